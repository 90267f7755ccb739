//! `static_ipaddress`, `static_routes` and `static_rules` (behaviour spec 2.3): added when the
//! VRRP process starts, removed when it stops, never moved by VRRP. An address without `dev`
//! goes on `default_interface` (default eth0).

use super::build;
use super::iface;
use super::spec::{VipSpec, VrouteSpec};
use alived_config::model::Config;
use alived_sys::netlink::{Addr, AddrSpec, Netlink, RouteSpec, RuleSpec};
use tracing::{info, warn};

/// The name used in log lines for the static items.
const WHO: &str = "static";

/// The static items, as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaticSpec {
    pub addrs: Vec<VipSpec>,
    /// Each address's `track_group`, in the order of `addrs` (for the log lines).
    pub track_groups: Vec<Option<String>>,
    pub routes: Vec<VrouteSpec>,
    pub rules: Vec<RuleSpec>,
    /// Static items that cannot be applied, one line each (logged at start).
    pub unsupported: Vec<String>,
}

impl StaticSpec {
    pub fn from_config(config: &Config) -> Self {
        let mut out = Self::default();
        for a in &config.static_addresses {
            out.addrs.push(VipSpec {
                addr: a.addr,
                prefix: a.prefix,
                dev: Some(
                    a.dev
                        .clone()
                        .unwrap_or_else(|| config.global.default_interface.clone()),
                ),
                label: a.label.clone(),
                broadcast: a
                    .brd
                    .as_ref()
                    .and_then(|b| build::broadcast(a.addr, a.prefix, b)),
            });
            out.track_groups.push(a.track_group.clone());
        }
        for r in &config.static_routes {
            match build::vroute("static_routes", r) {
                Ok(v) => out.routes.push(v),
                Err(e) => out
                    .unsupported
                    .push(e.to_string().replacen("virtual_", "static_", 1)),
            }
        }
        for r in &config.static_rules {
            match build::vrule("static_rules", r) {
                Ok(v) => out.rules.push(v),
                Err(e) => out
                    .unsupported
                    .push(e.to_string().replacen("virtual_", "static_", 1)),
            }
        }
        out
    }
}

/// The static items resolved against this host's interfaces.
#[derive(Debug, Clone, Default)]
pub struct Statics {
    pub addrs: Vec<AddrSpec>,
    /// How each address is named in keepalived's restore line
    /// (`10.0.0.5/24 dev eth0 scope global track_group TG`), in the order of `addrs`.
    pub described: Vec<String>,
    pub routes: Vec<RouteSpec>,
    pub rules: Vec<RuleSpec>,
}

impl Statics {
    /// Resolves the interfaces and adds every static item (present ones are kept).
    pub async fn apply(nl: &Netlink, spec: &StaticSpec) -> Self {
        let mut addrs = Vec::new();
        let mut described = Vec::new();
        for (v, group) in spec.addrs.iter().zip(&spec.track_groups) {
            let dev = v.dev.as_deref().unwrap_or_default();
            match nl.link_by_name(dev).await {
                Ok(link) => {
                    let mut a = AddrSpec::new(link.index, v.addr, v.prefix);
                    a.label = v.label.clone();
                    a.broadcast = v.broadcast;
                    addrs.push(a);
                    let group = group
                        .as_ref()
                        .map(|g| format!(" track_group {g}"))
                        .unwrap_or_default();
                    described.push(format!(
                        "{}/{} dev {dev} scope global{group}",
                        v.addr, v.prefix
                    ));
                }
                Err(e) => warn!("static_ipaddress {}/{} dev {dev}: {e}", v.addr, v.prefix),
            }
        }
        let mut routes = Vec::new();
        for v in &spec.routes {
            let mut r = v.route.clone();
            if let Some(dev) = &v.dev {
                match nl.link_by_name(dev).await {
                    Ok(l) => r.oif = Some(l.index),
                    Err(e) => {
                        warn!("static_routes {}/{} dev {dev}: {e}", r.dst, r.prefix);
                        continue;
                    }
                }
            }
            routes.push(r);
        }
        let s = Self {
            addrs,
            described,
            routes,
            rules: spec.rules.clone(),
        };
        iface::add_vips(nl, WHO, &s.addrs).await;
        iface::add_routes(nl, WHO, &s.routes, &s.rules).await;
        s
    }

    /// Spec 2.3: a static address deleted from outside is put back at once, as keepalived
    /// 2.2.7 does (measured: `Restoring deleted static address 10.77.0.50/24 dev v0 scope
    /// global track_group TG set`, the tracking instances stay as they are).
    pub async fn restore(&self, nl: &Netlink, removed: &Addr) {
        let found = self.addrs.iter().zip(&self.described).find(|(a, _)| {
            a.ifindex == removed.ifindex && a.addr == removed.addr && a.prefix == removed.prefix
        });
        let Some((a, what)) = found else {
            return;
        };
        info!("Restoring deleted static address {what} set");
        if let Err(e) = nl.add_address(a).await {
            warn!("cannot restore static address {what}: {e}");
        }
    }

    /// Reload (measured on 2.2.7): new items are added, kept ones stay in place, and the ones
    /// no longer configured are removed, an address with
    /// `((null)) ip address 10.98.5.2/24 dev eth0, no longer exist` (logged here without the
    /// `((null))`).
    pub async fn reload(&mut self, nl: &Netlink, spec: &StaticSpec) {
        let new = Statics::apply(nl, spec).await;
        let gone_routes: Vec<RouteSpec> = self
            .routes
            .iter()
            .filter(|r| !new.routes.contains(r))
            .cloned()
            .collect();
        let gone_rules: Vec<RuleSpec> = self
            .rules
            .iter()
            .filter(|r| !new.rules.contains(r))
            .cloned()
            .collect();
        iface::remove_routes(nl, WHO, &gone_routes, &gone_rules).await;
        let mut gone = Vec::new();
        for (a, what) in self.addrs.iter().zip(&self.described) {
            if !new.addrs.contains(a) {
                let what = what.split(" scope").next().unwrap_or(what);
                info!("ip address {what}, no longer exist");
                gone.push(a.clone());
            }
        }
        iface::remove_vips(nl, WHO, &gone).await;
        *self = new;
    }

    /// Removes every static item (absent ones are fine): rules, routes, then addresses.
    pub async fn remove(&self, nl: &Netlink) {
        iface::remove_routes(nl, WHO, &self.routes, &self.rules).await;
        iface::remove_vips(nl, WHO, &self.addrs).await;
    }
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
        assert_eq!(s.addrs[0].dev.as_deref(), Some("x1"));
        assert_eq!(s.addrs[0].prefix, 24);
        assert_eq!(s.addrs[1].dev.as_deref(), Some("lan0"));
        assert_eq!(s.addrs[1].prefix, 32);
        let s = spec("static_ipaddress {\n 10.1.1.2\n}\n");
        assert_eq!(s.addrs[0].dev.as_deref(), Some("eth0"));
    }

    #[test]
    fn routes_and_rules_become_netlink_specs() {
        let s = spec(
            "static_routes {\n 10.9.0.0/16 via 10.1.1.254 table 100\n blackhole 10.8.0.0/16\n}\nstatic_rules {\n from 10.1.1.0/24 table 100 priority 300\n}\n",
        );
        assert_eq!(s.routes.len(), 1);
        assert_eq!(s.routes[0].route.table, 100);
        assert_eq!(s.unsupported.len(), 1, "{:?}", s.unsupported);
        assert_eq!(s.rules[0].priority, Some(300));
    }
}
