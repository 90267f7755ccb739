//! `static_ipaddress`, `static_routes` and `static_rules` (behaviour spec 2.3) and the
//! `track_group` they may name (spec 2.5): added when the VRRP process starts, removed when it
//! stops, never moved by VRRP. An address without `dev` goes on `default_interface` (default
//! eth0). Keeping them in place at run time (restoring deleted ones) is `statics_restore.rs`.
//!
//! `track_group NAME { group { VI... } }`: every instance of the group tracks the interface of
//! each static item naming it (an address's `dev`, a route's `dev`, a rule's `iif`), as a
//! weight-0 `track_interface`: the instance is FAULT while that interface is down. Measured on
//! keepalived 2.2.7: `Netlink reports d0 down`, `(VI_1) Entering FAULT STATE`; back up,
//! `(VI_1) Entering BACKUP STATE` and the static items restored. A static item deleted from
//! outside while its interface is up is restored and the instances stay as they are.

use super::build;
use super::spec::{InstanceSpec, TrackIf, VipSpec, VrouteSpec};
use alived_config::model::Config;
use alived_sys::netlink::{RouteSpec, RuleSpec};

/// keepalived's route and rule protocol (RTPROT_KEEPALIVED, `proto keepalived` in `ip route`).
pub const RTPROT_KEEPALIVED: u8 = 18;

/// One static item and the `track_group` it names (already checked by the configuration:
/// an unknown group is reported there and dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item<T> {
    pub item: T,
    pub track_group: Option<String>,
    /// `no_track` (or a route without `dev`): never restored (measured on 2.2.7).
    pub no_track: bool,
}

/// The static items, as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaticSpec {
    pub addrs: Vec<Item<VipSpec>>,
    pub routes: Vec<Item<VrouteSpec>>,
    pub rules: Vec<Item<RuleSpec>>,
    /// (instance, interface): the interfaces each instance tracks through a `track_group`.
    pub tracking: Vec<(String, String)>,
    /// Static items that cannot be applied, one line each (logged at start).
    pub unsupported: Vec<String>,
}

impl StaticSpec {
    pub fn from_config(config: &Config) -> Self {
        let mut out = Self::default();
        for a in &config.static_addresses {
            out.addrs.push(Item {
                item: VipSpec {
                    addr: a.addr,
                    prefix: a.prefix,
                    dev: Some(
                        a.dev
                            .as_deref()
                            .unwrap_or(&config.global.default_interface)
                            .into(),
                    ),
                    label: a.label.as_deref().map(Into::into),
                    broadcast: a
                        .brd
                        .as_ref()
                        .and_then(|b| build::broadcast(a.addr, a.prefix, b)),
                },
                track_group: a.track_group.clone(),
                no_track: a.no_track,
            });
        }
        for r in &config.static_routes {
            match build::vroute("static_routes", r) {
                Ok(mut v) => {
                    // keepalived installs (and tracks) its static routes as protocol 18.
                    if r.protocol.is_none() {
                        v.route.protocol = RTPROT_KEEPALIVED;
                    }
                    out.routes.push(Item {
                        item: v,
                        track_group: r.track_group.clone(),
                        no_track: r.no_track,
                    });
                }
                Err(e) => out
                    .unsupported
                    .push(e.to_string().replacen("virtual_", "static_", 1)),
            }
        }
        for r in &config.static_rules {
            match build::vrule("static_rules", r) {
                Ok(mut v) => {
                    v.protocol = Some(RTPROT_KEEPALIVED);
                    out.rules.push(Item {
                        item: v,
                        track_group: r.track_group.clone(),
                        no_track: r.no_track,
                    });
                }
                Err(e) => out
                    .unsupported
                    .push(e.to_string().replacen("virtual_", "static_", 1)),
            }
        }
        let devs = out
            .addrs
            .iter()
            .map(|a| (a.item.dev.as_deref(), a.track_group.as_deref()))
            .chain(
                out.routes
                    .iter()
                    .map(|r| (r.item.dev.as_deref(), r.track_group.as_deref())),
            )
            .chain(
                out.rules
                    .iter()
                    .map(|r| (r.item.iif.as_deref(), r.track_group.as_deref())),
            );
        for (dev, group) in devs {
            let (Some(dev), Some(group)) = (dev, group) else {
                continue;
            };
            let members = config
                .track_groups
                .iter()
                .filter(|g| g.name == group)
                .flat_map(|g| &g.group);
            for m in members {
                let pair = (m.clone(), dev.to_owned());
                if !out.tracking.contains(&pair) {
                    out.tracking.push(pair);
                }
            }
        }
        out
    }

    /// Makes each instance of a `track_group` track its static items' interfaces (weight 0:
    /// FAULT while down). Names of instances that do not exist are ignored, as keepalived
    /// does (measured: no message).
    pub fn track_in(&self, instances: &mut [InstanceSpec]) {
        for (name, dev) in &self.tracking {
            for i in instances.iter_mut().filter(|i| &i.name == name) {
                let t = TrackIf {
                    name: dev.clone(),
                    weight: 0,
                    reverse: false,
                };
                if !i.extra.track_interfaces.contains(&t) {
                    i.extra.track_interfaces.push(t);
                }
            }
        }
    }

    /// Whether deleted static routes are restored. keepalived 2.2.7 watches route deletions
    /// only when some static route has a `track_group` (measured: with none, a deleted static
    /// route stays deleted; with one, every deleted static route is put back).
    pub fn watches_routes(&self) -> bool {
        self.routes.iter().any(|r| r.track_group.is_some())
    }

    /// [`StaticSpec::watches_routes`] for rules (measured the same way).
    pub fn watches_rules(&self) -> bool {
        self.rules.iter().any(|r| r.track_group.is_some())
    }
}

/// How keepalived 2.2.7 names a static route in its restore line (measured):
/// `prepend 10.238.0.0/16 src 10.88.0.50 via inet 10.88.0.254 dev d0 table 123 proto 18
/// metric 50 track_group TG`; a host route has no `/32`, the main table no `table`.
pub fn describe_route(r: &RouteSpec, dev: Option<&str>, group: Option<&str>) -> String {
    let full = if r.dst.is_ipv4() { 32 } else { 128 };
    let mut s = if r.prefix == 0 {
        // Not measured: 2.2.7 crashes when restoring a default route.
        "prepend default".to_owned()
    } else if r.prefix == full {
        format!("prepend {}", r.dst)
    } else {
        format!("prepend {}/{}", r.dst, r.prefix)
    };
    if let Some(src) = r.pref_src {
        s.push_str(&format!(" src {src}"));
    }
    if let Some(gw) = r.gateway {
        let fam = if gw.is_ipv4() { "inet" } else { "inet6" };
        s.push_str(&format!(" via {fam} {gw}"));
    }
    if let Some(dev) = dev {
        s.push_str(&format!(" dev {dev}"));
    }
    if r.table != 254 {
        s.push_str(&format!(" table {}", r.table));
    }
    s.push_str(&format!(" proto {}", r.protocol));
    if let Some(m) = r.metric {
        s.push_str(&format!(" metric {m}"));
    }
    if let Some(g) = group {
        s.push_str(&format!(" track_group {g}"));
    }
    s
}

/// How keepalived 2.2.7 names a static rule in its restore line (measured):
/// `from 10.232.0.0/16 priority 345 tos 0x0 iif d0 protocol 18 lookup 123 track_group TG`,
/// `from all to 10.235.0.0/16 priority 347 tos 0x0 fwmark 0x8/0xff protocol 18 lookup 124`.
/// (The order of `fwmark` against `iif`/`oif` in one rule was not measured.)
pub fn describe_rule(r: &RuleSpec, group: Option<&str>) -> String {
    let mut s = match r.from {
        Some((ip, len)) => format!("from {ip}/{len}"),
        None => "from all".to_owned(),
    };
    if let Some((ip, len)) = r.to {
        s.push_str(&format!(" to {ip}/{len}"));
    }
    if let Some(p) = r.priority {
        s.push_str(&format!(" priority {p}"));
    }
    s.push_str(" tos 0x0");
    if let Some((mark, mask)) = r.fwmark {
        s.push_str(&format!(" fwmark {mark:#x}"));
        if let Some(mask) = mask {
            s.push_str(&format!("/{mask:#x}"));
        }
    }
    if let Some(i) = &r.iif {
        s.push_str(&format!(" iif {i}"));
    }
    if let Some(o) = &r.oif {
        s.push_str(&format!(" oif {o}"));
    }
    if let Some(p) = r.protocol {
        s.push_str(&format!(" protocol {p}"));
    }
    s.push_str(&format!(" lookup {}", r.table));
    if let Some(g) = group {
        s.push_str(&format!(" track_group {g}"));
    }
    s
}

/// How keepalived 2.2.7 names a static address in its restore line (measured):
/// `10.77.0.50/24 dev v0 scope global track_group TG`,
/// `10.88.0.7/24 brd 10.88.0.255 dev d0 scope global label d0:1`,
/// `2001:db8::50/64 dev d0 scope global preferred_lft forever`,
/// `2001:db8::51 dev d0 scope global track_group TG deprecated` (a /128 is added deprecated).
pub fn describe_addr(v: &VipSpec, group: Option<&str>) -> String {
    let full = if v.addr.is_ipv4() { 32 } else { 128 };
    let mut s = if v.prefix == full {
        v.addr.to_string()
    } else {
        format!("{}/{}", v.addr, v.prefix)
    };
    if let Some(b) = v.broadcast {
        s.push_str(&format!(" brd {b}"));
    }
    s.push_str(&format!(
        " dev {} scope global",
        v.dev.as_deref().unwrap_or_default()
    ));
    if let Some(l) = &v.label {
        s.push_str(&format!(" label {l}"));
    }
    if let Some(g) = group {
        s.push_str(&format!(" track_group {g}"));
    }
    if v.addr.is_ipv6() {
        s.push_str(if v.prefix == 128 {
            " deprecated"
        } else {
            " preferred_lft forever"
        });
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> StaticSpec {
        let loaded =
            alived_config::load_str("t.conf", text, &alived_config::LoadOptions::default());
        StaticSpec::from_config(&loaded.config)
    }

    #[test]
    fn addresses_default_to_default_interface() {
        let s = spec(
            "global_defs {\n default_interface lan0\n}\nstatic_ipaddress {\n 10.1.1.1/24 dev x1\n 10.1.1.2\n}\n",
        );
        assert_eq!(s.addrs[0].item.dev.as_deref(), Some("x1"));
        assert_eq!(s.addrs[0].item.prefix, 24);
        assert_eq!(s.addrs[1].item.dev.as_deref(), Some("lan0"));
        assert_eq!(s.addrs[1].item.prefix, 32);
        let s = spec("static_ipaddress {\n 10.1.1.2\n}\n");
        assert_eq!(s.addrs[0].item.dev.as_deref(), Some("eth0"));
    }

    #[test]
    fn routes_and_rules_become_netlink_specs() {
        let s = spec(
            "static_routes {\n 10.9.0.0/16 via 10.1.1.254 table 100\n blackhole 10.8.0.0/16\n}\nstatic_rules {\n from 10.1.1.0/24 table 100 priority 300\n}\n",
        );
        assert_eq!(s.routes.len(), 1);
        assert_eq!(s.routes[0].item.route.table, 100);
        assert_eq!(s.routes[0].item.route.protocol, RTPROT_KEEPALIVED);
        assert_eq!(s.unsupported.len(), 1, "{:?}", s.unsupported);
        assert_eq!(s.rules[0].item.priority, Some(300));
        assert_eq!(s.rules[0].item.protocol, Some(RTPROT_KEEPALIVED));
        assert!(!s.watches_routes() && !s.watches_rules());
    }

    #[test]
    fn track_group_members_track_the_items_interfaces() {
        let s = spec(
            "track_group TG {\n group {\n VI_1\n VI_2\n VI_X\n }\n}\n\
             track_group UNUSED {\n group {\n VI_3\n }\n}\n\
             static_ipaddress {\n 10.1.1.1/24 dev d0 track_group TG\n 10.1.1.2/24 dev d9\n}\n\
             static_routes {\n 10.9.0.0/16 via 10.1.1.254 dev d1 track_group TG\n}\n\
             static_rules {\n from 10.7.0.0/16 iif d2 table 5 priority 9 track_group TG\n}\n",
        );
        let want: Vec<(String, String)> = ["VI_1", "VI_2", "VI_X"]
            .iter()
            .flat_map(|i| ["d0", "d1", "d2"].map(|d| (i.to_string(), d.to_string())))
            .collect();
        let mut got = s.tracking.clone();
        got.sort();
        assert_eq!(got, want);
        assert!(s.watches_routes() && s.watches_rules());
        assert_eq!(s.rules[0].item.iif.as_deref(), Some("d2"));
    }

    #[test]
    fn restore_lines_read_as_keepalived_writes_them() {
        let s = spec(
            "track_group TG {\n group {\n VI_1\n }\n}\n\
             static_ipaddress {\n 10.77.0.50/24 dev v0 track_group TG\n}\n\
             static_routes {\n 10.231.0.0/16 via 10.88.0.254 dev d0\n\
              10.238.0.0/16 src 10.88.0.50 via 10.88.0.254 dev d0 table 123 metric 50 track_group TG\n\
              10.240.0.1 via 10.88.0.254 dev d0 table 123\n 10.236.0.0/16 dev d0 table 123\n}\n\
             static_rules {\n from 10.232.0.0/16 iif d0 table 123 priority 345 track_group TG\n\
              to 10.235.0.0/16 oif d0 table 124 priority 347\n fwmark 0x8/0xff table 123 priority 350\n\
              from 10.244.0.0/16 table main priority 351\n}\n",
        );
        let a = &s.addrs[0];
        assert_eq!(
            describe_addr(&a.item, a.track_group.as_deref()),
            "10.77.0.50/24 dev v0 scope global track_group TG"
        );
        let s6 = spec(
            "track_group TG {\n group {\n VI_1\n }\n}\n\
             static_ipaddress {\n 2001:db8::50/64 dev d0\n 2001:db8::51 dev d0 track_group TG\n\
              10.88.0.7/24 dev d0 label d0:1 brd 10.88.0.255\n}\n",
        );
        let addrs: Vec<String> = s6
            .addrs
            .iter()
            .map(|a| describe_addr(&a.item, a.track_group.as_deref()))
            .collect();
        assert_eq!(
            addrs,
            [
                "2001:db8::50/64 dev d0 scope global preferred_lft forever",
                "2001:db8::51 dev d0 scope global track_group TG deprecated",
                "10.88.0.7/24 brd 10.88.0.255 dev d0 scope global label d0:1",
            ]
        );
        let routes: Vec<String> = s
            .routes
            .iter()
            .map(|r| {
                describe_route(
                    &r.item.route,
                    r.item.dev.as_deref(),
                    r.track_group.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            routes,
            [
                "prepend 10.231.0.0/16 via inet 10.88.0.254 dev d0 proto 18",
                "prepend 10.238.0.0/16 src 10.88.0.50 via inet 10.88.0.254 dev d0 table 123 proto 18 metric 50 track_group TG",
                "prepend 10.240.0.1 via inet 10.88.0.254 dev d0 table 123 proto 18",
                "prepend 10.236.0.0/16 dev d0 table 123 proto 18",
            ]
        );
        let rules: Vec<String> = s
            .rules
            .iter()
            .map(|r| describe_rule(&r.item, r.track_group.as_deref()))
            .collect();
        assert_eq!(
            rules,
            [
                "from 10.232.0.0/16 priority 345 tos 0x0 iif d0 protocol 18 lookup 123 track_group TG",
                "from all to 10.235.0.0/16 priority 347 tos 0x0 oif d0 protocol 18 lookup 124",
                "from all priority 350 tos 0x0 fwmark 0x8/0xff protocol 18 lookup 123",
                "from 10.244.0.0/16 priority 351 tos 0x0 protocol 18 lookup 254",
            ]
        );
    }
}
