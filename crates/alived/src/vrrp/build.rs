//! Configuration model -> [`InstanceSpec`]s: the only code of the VRRP driver that knows the
//! shape of `alived_config::model`. The model already applied keepalived 2.2.7's defaults and
//! completion rules (priority 255 for `state MASTER` without a priority, v3 for IPv6, v2
//! advert_int rounding...); instance keywords left unset fall back to `global_defs` here.

use super::spec::{AuthSpec, InstanceSpec, SpecExtra, TrackIf, VipSpec, VmacSpec, VrouteSpec};
use alived_config::model::addr::Broadcast;
use alived_config::model::route::RouteType;
use alived_config::model::vrrp::AuthType;
use alived_config::model::{Config, GlobalDefs, VrrpInstance};
use alived_config::model::{Route, Rule};
use alived_sys::netlink::{RouteSpec, RuleSpec};
use alived_vrrp::instance::GarpConfig;
use alived_vrrp::types::{Centisecs, Name, Priority, Sparse, Version, Vrid};
use std::net::IpAddr;
use std::time::Duration;

/// An instance the driver cannot run although the model accepted it.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("({0}) has no interface (unicast without an interface is not supported yet)")]
    NoInterface(String),
    #[error("({0}) virtual_router_id 0")]
    VridZero(String),
    #[error("{1}")]
    Unsupported(String, String),
}

/// Every `vrrp_instance` of the configuration that the driver can run, in order, and why
/// the others cannot (they are left out; the rest run).
pub fn instances(config: &Config) -> (Vec<InstanceSpec>, Vec<BuildError>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for i in &config.instances {
        match instance(&config.global, i) {
            Ok(s) => ok.push(s),
            Err(e) => bad.push(e),
        }
    }
    // One allocation per interface name, shared by the instances on it.
    let mut seen: Vec<Name> = Vec::new();
    for s in &mut ok {
        match seen.iter().find(|n| **n == s.interface) {
            Some(n) => s.interface = n.clone(),
            None => seen.push(s.interface.clone()),
        }
    }
    (ok, bad)
}

/// The `vrrp_sync_group`s (their members were checked by the model).
pub fn sync_groups(config: &Config) -> Vec<alived_vrrp::sync::SyncGroupConfig> {
    config
        .sync_groups
        .iter()
        .map(|g| alived_vrrp::sync::SyncGroupConfig {
            name: g.name.clone(),
            members: g.group.clone(),
            tracking_weight: g.sync_group_tracking_weight,
        })
        .collect()
}

/// `vrrp_startup_delay`: how long instances wait before starting.
pub fn startup_delay(config: &Config) -> Duration {
    config
        .global
        .vrrp_startup_delay
        .map(|d| d.as_duration())
        .unwrap_or_default()
}

/// Whether the configuration has anything for the checker process.
pub fn has_virtual_servers(config: &Config) -> bool {
    !config.virtual_servers.is_empty()
}

fn secs(s: u32) -> Duration {
    Duration::from_secs(u64::from(s))
}

/// The GARP schedule: instance keywords, else `vrrp_garp_*` from `global_defs`.
fn garp(g: &GlobalDefs, i: &VrrpInstance) -> GarpConfig {
    let master_delay = i.garp_master_delay.unwrap_or(g.vrrp_garp_master_delay);
    let master_repeat = i.garp_master_repeat.unwrap_or(g.vrrp_garp_master_repeat);
    GarpConfig {
        master_delay: secs(master_delay),
        master_repeat,
        master_refresh: secs(i.garp_master_refresh.unwrap_or(g.vrrp_garp_master_refresh)),
        master_refresh_repeat: i
            .garp_master_refresh_repeat
            .unwrap_or(g.vrrp_garp_master_refresh_repeat),
        lower_prio_delay: secs(
            i.garp_lower_prio_delay
                .or(g.vrrp_garp_lower_prio_delay)
                .unwrap_or(master_delay),
        ),
        lower_prio_repeat: i
            .garp_lower_prio_repeat
            .or(g.vrrp_garp_lower_prio_repeat)
            .unwrap_or(master_repeat),
    }
}

/// `brd ADDR|+|-` as an IPv4 broadcast address (spec 2.3: `+`/`-` set/clear the host bits).
pub(crate) fn broadcast(addr: IpAddr, prefix: u8, b: &Broadcast) -> Option<std::net::Ipv4Addr> {
    let IpAddr::V4(a) = addr else { return None };
    let host_mask = u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
    match b {
        Broadcast::Addr(IpAddr::V4(b)) => Some(*b),
        Broadcast::Addr(IpAddr::V6(_)) => None,
        Broadcast::HostBitsSet => Some((u32::from(a) | host_mask).into()),
        Broadcast::HostBitsClear => Some((u32::from(a) & !host_mask).into()),
    }
}

/// A `virtual_routes` line as a netlink route: plain unicast routes with `via`, `src`, `dev`,
/// `table`, `metric`, `scope` and `protocol`; anything else is refused by name.
pub(crate) fn vroute(name: &str, r: &Route) -> Result<VrouteSpec, BuildError> {
    let unsupported = |what: &str| {
        BuildError::Unsupported(
            name.to_owned(),
            format!("virtual_routes {what} ({})", r.dst_text()),
        )
    };
    if r.route_type != RouteType::Unicast {
        return Err(unsupported("route type"));
    }
    if !r.nexthops.is_empty() {
        return Err(unsupported("nexthop"));
    }
    let (dst, prefix) = match (&r.dst, r.via) {
        (Some(p), _) => (p.addr, p.len),
        (None, Some(IpAddr::V6(_))) => (IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), 0),
        (None, _) => (IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0),
    };
    let mut route = RouteSpec::new(dst, prefix);
    route.gateway = r.via;
    route.pref_src = r.src;
    route.table = r.table.unwrap_or(254);
    route.metric = r.metric;
    if let Some(s) = r.scope {
        route.scope = s.0;
    } else if r.via.is_none() && r.dev.is_some() {
        route.scope = alived_sys::netlink::scope::LINK;
    }
    if let Some(p) = r.protocol {
        route.protocol = p;
    }
    Ok(VrouteSpec {
        route,
        dev: r.dev.clone(),
    })
}

/// A `virtual_rules` line as a netlink rule (from, to, table, preference, fwmark).
pub(crate) fn vrule(name: &str, r: &Rule) -> Result<RuleSpec, BuildError> {
    if r.invert || r.goto.is_some() || r.action.is_some() {
        return Err(BuildError::Unsupported(
            name.to_owned(),
            "virtual_rules with not/goto/action".into(),
        ));
    }
    let ipv6 = r.from.or(r.to).is_some_and(|p| p.addr.is_ipv6());
    Ok(RuleSpec {
        ipv6,
        from: r.from.map(|p| (p.addr, p.len)),
        to: r.to.map(|p| (p.addr, p.len)),
        table: r.table.unwrap_or(254),
        priority: Some(r.preference),
        fwmark: r.fwmark.map(|m| (m, r.fwmask)),
        iif: r.iif.clone(),
        oif: r.oif.clone(),
        protocol: None,
    })
}

/// The peers' `min_ttl`/`max_ttl` as one range (the loosest bounds given), if any is set.
fn unicast_ttl_range(i: &VrrpInstance) -> Option<(u8, u8)> {
    let mins = i.unicast_peers.iter().filter_map(|p| p.min_ttl);
    let maxs = i.unicast_peers.iter().filter_map(|p| p.max_ttl);
    let (min, max) = (mins.min(), maxs.max());
    (min.is_some() || max.is_some()).then(|| (min.unwrap_or(0), max.unwrap_or(255)))
}

/// What an instance configures that this build does not act on yet, for a start-up warning
/// (scripts, files and processes are tracked by track.rs, notify scripts run by notify.rs).
fn not_applied(i: &VrrpInstance) -> Vec<String> {
    let mut out = Vec::new();
    let t = &i.track;
    out.extend(t.bfds.iter().map(|x| format!("track_bfd {}", x.name)));
    if i.track_src_ip {
        out.push("track_src_ip".into());
    }
    out
}

fn instance(g: &GlobalDefs, i: &VrrpInstance) -> Result<InstanceSpec, BuildError> {
    // A route or rule this build cannot express is left out and reported, not fatal.
    let mut not_applied = not_applied(i);
    let mut skip = |e: BuildError| not_applied.push(e.to_string());
    let vroutes = i
        .vroutes
        .iter()
        .filter_map(|r| vroute(&i.name, r).map_err(&mut skip).ok())
        .collect();
    let vrules = i
        .vrules
        .iter()
        .filter_map(|r| vrule(&i.name, r).map_err(&mut skip).ok())
        .collect();
    let interface = i
        .interface
        .clone()
        .ok_or_else(|| BuildError::NoInterface(i.name.clone()))?;
    let vrid = Vrid::new(i.vrid.0).ok_or_else(|| BuildError::VridZero(i.name.clone()))?;
    let version = if i.version == 3 {
        Version::V3
    } else {
        Version::V2
    };
    // The model's interval is in µs: whole seconds for v2, 10 ms steps for v3.
    let cs = u32::try_from(i.advert_int.micros() / 10_000).unwrap_or(u32::MAX);
    let auth = i.auth.as_ref().and_then(|a| {
        let field = alived_vrrp::wire::vrrp::pass_field(a.password.as_bytes());
        match (version, a.auth_type) {
            (Version::V3, _) => None,
            (Version::V2, AuthType::Pass) => Some(AuthSpec::Pass(field)),
            (Version::V2, AuthType::Ah) => Some(AuthSpec::Ah(field)),
        }
    });
    let vip = |v: &alived_config::model::IpAddress| VipSpec {
        addr: v.addr,
        prefix: v.prefix,
        dev: v.dev.as_deref().map(Name::from),
        label: v.label.as_deref().map(Name::from),
        broadcast: v.brd.as_ref().and_then(|b| broadcast(v.addr, v.prefix, b)),
    };
    let vips = i.vips.iter().map(vip).collect();
    let evips = i.evips.iter().map(vip).collect();
    let track_interfaces = i
        .track
        .interfaces
        .iter()
        .map(|t| TrackIf {
            name: t.name.clone(),
            weight: t.weight.map_or(0, |w| w.0),
            reverse: t.reverse,
        })
        .collect();
    let extra = SpecExtra {
        preempt_delay: i.preempt_delay.map(|d| d.as_duration()).unwrap_or_default(),
        evips,
        src_ip: i.unicast_src_ip.or(i.mcast_src_ip),
        mcast_group: i.mcast_dst_ip.unwrap_or(match i.family {
            alived_config::model::Family::Inet6 => g.vrrp_mcast_group6,
            _ => g.vrrp_mcast_group4,
        }),
        unicast_peers: i.unicast_peers.iter().map(|p| p.addr).collect(),
        unicast_ttl: i.unicast_ttl,
        check_unicast_src: i.check_unicast_src
            || g.vrrp_check_unicast_src
            || unicast_ttl_range(i).is_some(),
        unicast_ttl_range: unicast_ttl_range(i),
        skip_check_adv_addr: i.skip_check_adv_addr || g.vrrp_skip_check_adv_addr,
        auth,
        track_interfaces,
        garp: garp(g, i),
        garp_interval: g
            .vrrp_garp_interval
            .map(|d| d.as_duration())
            .unwrap_or_default(),
        gna_interval: g
            .vrrp_gna_interval
            .map(|d| d.as_duration())
            .unwrap_or_default(),
        use_vmac: i.use_vmac.as_ref().map(|v| VmacSpec {
            name: v
                .name
                .clone()
                .unwrap_or_else(|| format!("vrrp.{vrid}"))
                .into(),
        }),
        vmac_xmit_base: i.vmac_xmit_base,
        dont_track_primary: i.dont_track_primary,
        lower_prio_no_advert: i
            .lower_prio_no_advert
            .unwrap_or(g.vrrp_lower_prio_no_advert),
        higher_prio_send_advert: i
            .higher_prio_send_advert
            .unwrap_or(g.vrrp_higher_prio_send_advert),
        down_timer_adverts: i.down_timer_adverts.unwrap_or(g.vrrp_down_timer_adverts),
        vroutes,
        vrules,
        not_applied,
    };
    Ok(InstanceSpec {
        name: i.name.as_str().into(),
        interface: interface.into(),
        vrid,
        version,
        priority: Priority(i.priority.0),
        preempt: !i.nopreempt,
        adver_int: Centisecs(cs.max(1)),
        vips,
        extra: Sparse::new(extra),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn load(text: &str) -> Vec<InstanceSpec> {
        let loaded = alived_config::load_str("t.conf", text, &Default::default());
        let (ok, bad) = instances(&loaded.config);
        assert!(bad.is_empty(), "{bad:?}");
        ok
    }

    #[test]
    fn defaults_are_keepalived_s() {
        let s = load(
            "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n \
             virtual_ipaddress {\n 10.0.0.1\n }\n}\n",
        )
        .remove(0);
        assert_eq!(s.version, Version::V2);
        assert_eq!(s.priority, Priority(100));
        assert_eq!(s.adver_int, Centisecs(100));
        assert!(s.preempt);
        assert_eq!(s.vips[0].prefix, 32);
        assert_eq!(s.extra.garp, GarpConfig::default());
        assert_eq!(s.extra.down_timer_adverts, 3);
        assert!(!s.is_unicast());
    }

    #[test]
    fn state_master_without_priority_is_owner_and_v6_is_v3() {
        let s = load(
            "vrrp_instance V6 {\n state MASTER\n interface eth0\n virtual_router_id 7\n \
             advert_int 0.1\n virtual_ipaddress {\n fe80::7\n 2001:db8::7/64\n }\n}\n",
        )
        .remove(0);
        assert_eq!(s.priority, Priority(255));
        assert_eq!(s.version, Version::V3);
        assert_eq!(s.adver_int, Centisecs(10));
        assert_eq!(s.extra.mcast_group, "ff02::12".parse::<IpAddr>().unwrap());
        assert_eq!(s.vips[0].prefix, 128);
        assert_eq!(s.vips[1].prefix, 64);
    }

    #[test]
    fn unicast_auth_tracking_vmac_and_global_garp() {
        let s = load(
            "global_defs {\n vrrp_garp_master_delay 1\n}\n\
             vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n nopreempt\n \
             unicast_src_ip 10.0.0.2\n unicast_peer {\n 10.0.0.3\n }\n \
             authentication {\n auth_type PASS\n auth_pass secret12\n }\n \
             track_interface {\n eth1 weight -20\n }\n use_vmac\n \
             virtual_ipaddress {\n 10.0.0.1/24 brd + dev eth0 label eth0:1\n }\n}\n",
        )
        .remove(0);
        assert!(!s.preempt);
        assert_eq!(
            s.extra.unicast_peers,
            ["10.0.0.3".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(s.extra.src_ip, Some("10.0.0.2".parse().unwrap()));
        assert_eq!(s.extra.auth, Some(AuthSpec::Pass(*b"secret12")));
        assert_eq!(s.extra.track_interfaces[0].weight, -20);
        assert_eq!(s.extra.use_vmac.as_ref().unwrap().name, "vrrp.51");
        assert_eq!(s.extra.garp.master_delay, Duration::from_secs(1));
        assert_eq!(s.extra.garp.lower_prio_delay, Duration::from_secs(1));
        assert_eq!(s.vips[0].label.as_deref(), Some("eth0:1"));
        assert_eq!(s.vips[0].broadcast, Some("10.0.0.255".parse().unwrap()));
    }

    #[test]
    fn virtual_routes_and_rules() {
        let s = load(
            "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n \
             virtual_ipaddress {\n 10.0.0.1\n }\n \
             virtual_routes {\n 192.168.50.0/24 via 10.0.0.254 table 100 metric 5\n \
             default via 10.0.0.254\n }\n \
             virtual_rules {\n from 10.0.0.1 table 100 preference 200\n }\n}\n",
        )
        .remove(0);
        let r = &s.extra.vroutes[0].route;
        assert_eq!((r.dst, r.prefix), ("192.168.50.0".parse().unwrap(), 24));
        assert_eq!(r.gateway, Some("10.0.0.254".parse().unwrap()));
        assert_eq!((r.table, r.metric), (100, Some(5)));
        assert_eq!(s.extra.vroutes[1].route.prefix, 0);
        assert_eq!(
            s.extra.vrules[0].from,
            Some(("10.0.0.1".parse().unwrap(), 32))
        );
        assert_eq!(
            (s.extra.vrules[0].table, s.extra.vrules[0].priority),
            (100, Some(200))
        );
    }

    #[test]
    fn excluded_vips_pacing_and_what_is_not_applied_yet() {
        let s = load(
            "global_defs {\n vrrp_garp_interval 0.002\n}\n\
             vrrp_script chk {\n script \"/bin/true\"\n}\n\
             vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n \
             virtual_ipaddress {\n 10.0.0.1\n }\n \
             virtual_ipaddress_excluded {\n 2001:db8::9\n }\n \
             track_script {\n chk\n }\n notify_master /bin/true\n \
             track_bfd {\n b1\n }\n}\n",
        )
        .remove(0);
        assert_eq!(
            s.extra.evips[0].addr,
            "2001:db8::9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(s.extra.garp_interval, Duration::from_millis(2));
        assert_eq!(s.extra.not_applied, ["track_bfd b1"]);
        assert_eq!(s.extra.mcast_group, "224.0.0.18".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn an_unsupported_route_is_left_out_and_reported() {
        let s = load(
            "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n \
             virtual_ipaddress {\n 10.0.0.1\n }\n \
             virtual_routes {\n blackhole 192.168.9.0/24\n 192.168.8.0/24 via 10.0.0.9\n }\n}\n",
        )
        .remove(0);
        assert_eq!(s.extra.vroutes.len(), 1);
        assert_eq!(
            s.extra.not_applied,
            ["virtual_routes route type (192.168.9.0/24)"]
        );
    }

    #[test]
    fn an_instance_without_an_interface_is_disabled_alone() {
        let loaded = alived_config::load_str(
            "t.conf",
            "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n \
             virtual_ipaddress {\n 10.0.0.1\n }\n}\n\
             vrrp_instance B {\n virtual_router_id 2\n unicast_src_ip 10.0.0.2\n \
             unicast_peer {\n 10.0.0.3\n }\n virtual_ipaddress {\n 10.0.0.4\n }\n}\n",
            &Default::default(),
        );
        let (ok, bad) = instances(&loaded.config);
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].name, "A");
        assert!(
            matches!(&bad[..], [BuildError::NoInterface(n)] if n == "B"),
            "{bad:?}"
        );
    }

    #[test]
    fn brd_minus_clears_host_bits() {
        let a: IpAddr = "192.168.7.9".parse().unwrap();
        assert_eq!(
            broadcast(a, 24, &Broadcast::HostBitsClear),
            Some("192.168.7.0".parse().unwrap())
        );
        assert_eq!(
            broadcast(a, 32, &Broadcast::HostBitsSet),
            Some("192.168.7.9".parse().unwrap())
        );
    }
}
