//! Configuration -> [`InstanceSpec`]s: the only code that knows the configuration's shape.
//!
//! TEMPORARY: reads the minimal tree of `tmpconf.rs` until `alived_config`'s typed model
//! (`load_file`) lands in main; then this file translates `alived_config::model::VrrpInstance`
//! instead, and `tmpconf.rs` goes. Defaults are keepalived 2.2.7's (behaviour spec 2.1, 2.2).

use super::spec::{AuthSpec, InstanceSpec, TrackIf, VipSpec, VmacSpec};
use super::tmpconf::Node;
use alived_vrrp::instance::GarpConfig;
use alived_vrrp::types::{Centisecs, Priority, Version, Vrid};
use std::net::IpAddr;
use std::time::Duration;

/// A configuration the driver cannot run.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("({instance}) line {line}: {what}")]
    Bad {
        instance: String,
        line: usize,
        what: String,
    },
}

fn bad(inst: &str, n: &Node, what: impl Into<String>) -> BuildError {
    BuildError::Bad {
        instance: inst.to_owned(),
        line: n.line,
        what: what.into(),
    }
}

/// Global defaults that instances inherit (`global_defs`).
#[derive(Debug, Clone)]
struct Globals {
    version: Version,
    garp: GarpConfig,
    lower_prio_no_advert: bool,
    higher_prio_send_advert: bool,
}

fn secs(n: &Node) -> Option<Duration> {
    n.arg()?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(Duration::from_secs_f64)
}

fn num<T: std::str::FromStr>(n: &Node) -> Option<T> {
    n.arg()?.parse().ok()
}

/// `[BOOL]` keywords: no word = true.
fn flag(n: &Node) -> bool {
    !matches!(n.arg(), Some("false" | "off" | "no" | "0"))
}

fn apply_garp(g: &mut GarpConfig, prefix: &str, n: &Node) {
    let Some(k) = n.keyword.strip_prefix(prefix) else {
        return;
    };
    match k {
        "garp_master_delay" => g.master_delay = secs(n).unwrap_or(g.master_delay),
        "garp_master_repeat" => g.master_repeat = num(n).unwrap_or(g.master_repeat),
        "garp_master_refresh" => g.master_refresh = secs(n).unwrap_or(g.master_refresh),
        "garp_master_refresh_repeat" => {
            g.master_refresh_repeat = num(n).unwrap_or(g.master_refresh_repeat)
        }
        "garp_lower_prio_delay" => g.lower_prio_delay = secs(n).unwrap_or(g.lower_prio_delay),
        "garp_lower_prio_repeat" => g.lower_prio_repeat = num(n).unwrap_or(g.lower_prio_repeat),
        _ => {}
    }
}

fn globals(nodes: &[Node]) -> Globals {
    let mut g = Globals {
        version: Version::V2,
        garp: GarpConfig::default(),
        lower_prio_no_advert: false,
        higher_prio_send_advert: false,
    };
    for gd in nodes.iter().filter(|n| n.keyword == "global_defs") {
        for n in gd.children() {
            match n.keyword.as_str() {
                "vrrp_version" if n.arg() == Some("3") => g.version = Version::V3,
                "vrrp_lower_prio_no_advert" => g.lower_prio_no_advert = flag(n),
                "vrrp_higher_prio_send_advert" => g.higher_prio_send_advert = flag(n),
                _ => apply_garp(&mut g.garp, "vrrp_", n),
            }
        }
    }
    g
}

/// Every `vrrp_instance` of the configuration, in order.
pub fn instances(nodes: &[Node]) -> Result<Vec<InstanceSpec>, BuildError> {
    let g = globals(nodes);
    nodes
        .iter()
        .filter(|n| n.keyword == "vrrp_instance")
        .map(|n| instance(&g, n))
        .collect()
}

/// Whether the configuration has anything for the checker process.
pub fn has_virtual_servers(nodes: &[Node]) -> bool {
    nodes.iter().any(|n| n.keyword == "virtual_server")
}

fn vip(name: &str, n: &Node) -> Result<VipSpec, BuildError> {
    let (addr, prefix) = match n.keyword.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (n.keyword.as_str(), None),
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| bad(name, n, format!("bad virtual address {}", n.keyword)))?;
    let max = if addr.is_ipv6() { 128 } else { 32 };
    let prefix = match prefix {
        None => max,
        Some(p) => p
            .parse::<u8>()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| bad(name, n, format!("bad prefix in {}", n.keyword)))?,
    };
    let mut v = VipSpec {
        addr,
        prefix,
        dev: None,
        label: None,
        broadcast: None,
    };
    let mut words = n.args.iter();
    while let Some(w) = words.next() {
        match w.as_str() {
            "dev" => v.dev = words.next().cloned(),
            "label" => v.label = words.next().cloned(),
            "brd" => v.broadcast = words.next().and_then(|b| b.parse().ok()),
            // Accepted and not applied by this temporary reader.
            "scope" | "preferred_lft" | "peer" => {
                words.next();
            }
            _ => {}
        }
    }
    Ok(v)
}

fn instance(g: &Globals, node: &Node) -> Result<InstanceSpec, BuildError> {
    let name = node.arg().unwrap_or("").to_owned();
    let req = |kw: &str| {
        node.child(kw)
            .ok_or_else(|| bad(&name, node, format!("{kw} missing")))
    };
    let interface = req("interface")?.arg().unwrap_or("").to_owned();
    let vrid_node = req("virtual_router_id")?;
    let vrid = num::<u8>(vrid_node)
        .and_then(Vrid::new)
        .ok_or_else(|| bad(&name, vrid_node, "virtual_router_id must be 1-255"))?;
    let mut vips = Vec::new();
    if let Some(b) = node.child("virtual_ipaddress") {
        for n in b.children() {
            vips.push(vip(&name, n)?);
        }
    }
    let ipv6 = vips.first().is_some_and(|v| v.addr.is_ipv6());
    let version = match node.child("version").and_then(Node::arg) {
        Some("2") => Version::V2,
        Some("3") => Version::V3,
        _ if ipv6 => Version::V3,
        _ => g.version,
    };
    let master = node.child("state").and_then(Node::arg) == Some("MASTER");
    let priority = match node.child("priority") {
        Some(p) => num::<u8>(p)
            .filter(|p| *p > 0)
            .ok_or_else(|| bad(&name, p, "priority must be 1-255"))?,
        None if master => 255,
        None => 100,
    };
    let adv = node
        .child("advert_int")
        .and_then(secs)
        .unwrap_or(Duration::from_secs(1));
    let adver_int = match version {
        Version::V2 => Centisecs((adv.as_secs_f64().round().max(1.0) as u32) * 100),
        Version::V3 => Centisecs(((adv.as_secs_f64() * 100.0).round() as u32).max(1)),
    };
    let addr_list = |kw: &str| -> Vec<IpAddr> {
        node.child(kw)
            .map(|b| {
                b.children()
                    .iter()
                    .filter_map(|n| n.keyword.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let auth = node.child("authentication").and_then(|a| {
        let pass = a.child("auth_pass").and_then(Node::arg).unwrap_or("");
        let field = alived_vrrp::wire::vrrp::pass_field(pass.as_bytes());
        match a.child("auth_type").and_then(Node::arg) {
            Some("PASS") => Some(AuthSpec::Pass(field)),
            Some("AH") => Some(AuthSpec::Ah(field)),
            _ => None,
        }
    });
    let track_interfaces = node
        .child("track_interface")
        .map(|b| {
            b.children()
                .iter()
                .map(|n| TrackIf {
                    name: n.keyword.clone(),
                    weight: n
                        .args
                        .iter()
                        .position(|w| w == "weight")
                        .and_then(|i| n.args.get(i + 1))
                        .and_then(|w| w.parse().ok())
                        .unwrap_or(0),
                    reverse: n.args.iter().any(|w| w == "reverse"),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut garp = g.garp.clone();
    for n in node.children() {
        apply_garp(&mut garp, "", n);
    }
    let use_vmac = node.child("use_vmac").map(|n| VmacSpec {
        name: n
            .arg()
            .map_or_else(|| format!("vrrp.{vrid}"), str::to_owned),
    });
    let has = |kw: &str| node.child(kw).is_some();
    Ok(InstanceSpec {
        name: name.clone(),
        interface,
        vrid,
        version,
        priority: Priority(priority),
        adver_int,
        // nopreempt is cleared by `state MASTER` and by an owner (spec 2.2).
        preempt: !has("nopreempt") || master || priority == 255,
        preempt_delay: node
            .child("preempt_delay")
            .and_then(secs)
            .unwrap_or_default(),
        vips,
        src_ip: node
            .child("unicast_src_ip")
            .or(node.child("mcast_src_ip"))
            .and_then(|n| n.arg()?.parse().ok()),
        unicast_peers: addr_list("unicast_peer"),
        unicast_ttl: node.child("unicast_ttl").and_then(num).unwrap_or(255),
        auth: if version == Version::V2 { auth } else { None },
        track_interfaces,
        garp,
        use_vmac,
        vmac_xmit_base: has("vmac_xmit_base"),
        dont_track_primary: has("dont_track_primary"),
        lower_prio_no_advert: node
            .child("lower_prio_no_advert")
            .map_or(g.lower_prio_no_advert, flag),
        higher_prio_send_advert: node
            .child("higher_prio_send_advert")
            .map_or(g.higher_prio_send_advert, flag),
        down_timer_adverts: node.child("down_timer_adverts").and_then(num).unwrap_or(3),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vrrp::tmpconf::parse;

    fn one(text: &str) -> InstanceSpec {
        let t = parse(text, "t").unwrap();
        instances(&t).unwrap().remove(0)
    }

    #[test]
    fn defaults_are_keepalived_s() {
        let s = one(
            "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n \
             virtual_ipaddress {\n 10.0.0.1\n }\n}\n",
        );
        assert_eq!(s.version, Version::V2);
        assert_eq!(s.priority, Priority(100));
        assert_eq!(s.adver_int, Centisecs(100));
        assert!(s.preempt);
        assert_eq!(s.vips[0].prefix, 32);
        assert_eq!(s.garp, GarpConfig::default());
        assert!(!s.is_unicast());
    }

    #[test]
    fn state_master_without_priority_is_owner_and_v6_is_v3() {
        let s = one(
            "vrrp_instance V6 {\n state MASTER\n interface eth0\n virtual_router_id 7\n \
             advert_int 0.1\n virtual_ipaddress {\n fe80::7\n 2001:db8::7/64\n }\n}\n",
        );
        assert_eq!(s.priority, Priority(255));
        assert_eq!(s.version, Version::V3);
        assert_eq!(s.adver_int, Centisecs(10));
        assert_eq!(s.vips[0].prefix, 128);
        assert_eq!(s.vips[1].prefix, 64);
    }

    #[test]
    fn unicast_auth_tracking_and_vmac() {
        let s = one("global_defs {\n vrrp_garp_master_delay 1\n}\n\
             vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n nopreempt\n \
             unicast_src_ip 10.0.0.2\n unicast_peer {\n 10.0.0.3\n }\n \
             authentication {\n auth_type PASS\n auth_pass secret12345\n }\n \
             track_interface {\n eth1 weight -20\n }\n use_vmac\n \
             virtual_ipaddress {\n 10.0.0.1/24 dev eth0 label eth0:1\n }\n}\n");
        assert!(!s.preempt);
        assert_eq!(s.unicast_peers, ["10.0.0.3".parse::<IpAddr>().unwrap()]);
        assert_eq!(s.auth, Some(AuthSpec::Pass(*b"secret12")));
        assert_eq!(s.track_interfaces[0].weight, -20);
        assert_eq!(s.use_vmac.as_ref().unwrap().name, "vrrp.51");
        assert_eq!(s.garp.master_delay, Duration::from_secs(1));
        assert_eq!(s.vips[0].label.as_deref(), Some("eth0:1"));
    }

    #[test]
    fn missing_vrid_is_an_error() {
        let t = parse("vrrp_instance X {\n interface eth0\n}\n", "t").unwrap();
        assert!(instances(&t).is_err());
    }
}
