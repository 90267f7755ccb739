//! The static items at run time (behaviour spec 2.3): added at start, kept in place while the
//! VRRP process runs, removed at stop. What keepalived 2.2.7 does, measured in namespaces:
//! - a static address deleted from outside is put back at once: `Restoring deleted static
//!   address 10.88.0.50/24 dev d0 scope global track_group TG set`; when that fails (its
//!   interface was deleted) the line has no ` set` and follows the netlink error;
//! - a static route or rule deleted from outside is put back (`Restoring deleted static route
//!   prepend ...`, `Restoring deleted static rule from ...`), but only when some static route
//!   (rule) has a `track_group` (see [`StaticSpec::watches_routes`]);
//! - when an interface comes back up (or back into existence, by name), its static addresses
//!   and routes are added again, each with its `Restoring deleted ...` line (the kernel drops
//!   the routes of a link that goes down without telling anyone); rules stay in place;
//! - a restore that fails changes no instance's state and is not retried (measured with IPv6
//!   disabled on an up link: `Netlink: error: Permission denied(13), type=RTM_NEWADDR(20)`);
//! - `no_track` items, and static routes without `dev`, are never put back.
//!
//! Beyond keepalived: when the kernel reports lost events (a netlink overrun), every item is
//! checked and what went missing is put back ([`Statics::resync`]).
//!
//! The FAULT of a `track_group`'s instances is not here: they track the items' interfaces
//! like a `track_interface` (statics.rs).

use super::iface;
use super::statics::{Item, StaticSpec, describe_addr, describe_route, describe_rule};
use alived_sys::NetlinkError;
use alived_sys::netlink::{AddrSpec, NetEvent, Netlink, RouteSpec, RuleSpec};
use nix::libc::EEXIST;
use std::collections::HashMap;
use tracing::{info, warn};

/// The name used in log lines for the static items.
const WHO: &str = "static";

/// One static address or route where it was put.
#[derive(Debug, Clone)]
struct Placed<T> {
    item: T,
    /// The interface's name (`dev`), if any.
    dev: Option<String>,
    /// The interface's index when it was last installed (0: never).
    installed: u32,
    group: Option<String>,
    /// Never put back.
    no_track: bool,
}

/// The static items of the running process.
#[derive(Debug, Default)]
pub struct Statics {
    addrs: Vec<Placed<AddrSpec>>,
    /// How each address is named in its restore line, in the order of `addrs`.
    described: Vec<String>,
    routes: Vec<Placed<RouteSpec>>,
    rules: Vec<Item<RuleSpec>>,
    watch_routes: bool,
    watch_rules: bool,
    /// The interfaces the items are on, by name: (ifindex, running).
    links: HashMap<String, (u32, bool)>,
}

/// keepalived's line for a refused request, less the sequence number and port id it adds
/// (alived's netlink layer does not expose them):
/// `Netlink: error: No such device(19), type=RTM_NEWADDR(20)`.
fn netlink_error(e: &NetlinkError, kind: &str) -> String {
    match e.errno() {
        Some(n) => format!(
            "Netlink: error: {}({n}), type={kind}",
            nix::errno::Errno::from_raw(n).desc()
        ),
        None => format!("Netlink: error: {e}, type={kind}"),
    }
}

impl Statics {
    /// Resolves the interfaces and adds every static item (present ones are kept). An item
    /// whose interface does not exist yet is added when it appears.
    pub async fn apply(nl: &Netlink, spec: &StaticSpec) -> Self {
        let mut s = Statics {
            watch_routes: spec.watches_routes(),
            watch_rules: spec.watches_rules(),
            rules: spec.rules.clone(),
            ..Statics::default()
        };
        let devs = spec
            .addrs
            .iter()
            .filter_map(|a| a.item.dev.as_deref().map(str::to_owned))
            .chain(spec.routes.iter().filter_map(|r| r.item.dev.clone()));
        for dev in devs {
            if s.links.contains_key(&dev) {
                continue;
            }
            match nl.link_by_name(&dev).await {
                Ok(l) => {
                    s.links.insert(dev, (l.index, l.is_running()));
                }
                Err(e) => warn!("static item on {dev}: {e}"),
            }
        }
        let index = |dev: Option<&str>| dev.and_then(|d| s.links.get(d)).map(|l| l.0);
        for a in &spec.addrs {
            let v = &a.item;
            let ifindex = index(v.dev.as_deref()).unwrap_or(0);
            let mut spec = AddrSpec::new(ifindex, v.addr, v.prefix);
            spec.label = v.label.as_deref().map(Into::into);
            spec.broadcast = v.broadcast;
            // keepalived adds an IPv6 /128 deprecated (preferred_lft 0), as it does VIPs.
            if v.addr.is_ipv6() && v.prefix == 128 {
                spec.preferred_lft = Some(0);
            }
            s.described.push(describe_addr(v, a.track_group.as_deref()));
            s.addrs.push(Placed {
                item: spec,
                dev: v.dev.as_deref().map(str::to_owned),
                installed: ifindex,
                group: a.track_group.clone(),
                no_track: a.no_track,
            });
        }
        for r in &spec.routes {
            let mut route = r.item.route.clone();
            let ifindex = match &r.item.dev {
                Some(d) => index(Some(d)).unwrap_or(0),
                None => 0,
            };
            if ifindex != 0 {
                route.oif = Some(ifindex);
            }
            s.routes.push(Placed {
                item: route,
                dev: r.item.dev.clone(),
                installed: ifindex,
                group: r.track_group.clone(),
                no_track: r.no_track,
            });
        }
        let addrs: Vec<AddrSpec> = s
            .addrs
            .iter()
            .filter(|p| p.installed != 0)
            .map(|p| p.item.clone())
            .collect();
        let routes: Vec<RouteSpec> = s
            .routes
            .iter()
            .filter(|p| p.dev.is_none() || p.installed != 0)
            .map(|p| p.item.clone())
            .collect();
        let rules: Vec<RuleSpec> = s.rules.iter().map(|r| r.item.clone()).collect();
        iface::add_vips(nl, WHO, &addrs).await;
        iface::add_routes(nl, WHO, &routes, &rules).await;
        s
    }

    /// Whether route (rule) deletions need to be reported by the event stream.
    pub fn watches(&self) -> (bool, bool) {
        (self.watch_routes, self.watch_rules)
    }

    /// Looks at one netlink event: puts back what was deleted, re-adds the items of an
    /// interface that came (back) up.
    pub async fn on_event(&mut self, nl: &Netlink, ev: &NetEvent) {
        match ev {
            NetEvent::AddrRemoved(a) => {
                let i = self.addrs.iter().position(|p| {
                    !p.no_track
                        && p.item.ifindex == a.ifindex
                        && p.item.addr == a.addr
                        && p.item.prefix == a.prefix
                });
                if let Some(i) = i {
                    self.restore_addr(nl, i).await;
                }
            }
            NetEvent::RouteRemoved(r) if self.watch_routes => {
                let i = self
                    .routes
                    .iter()
                    .position(|p| !p.no_track && same_route(&p.item, r));
                if let Some(i) = i {
                    self.restore_route(nl, i, None).await;
                }
            }
            NetEvent::RuleRemoved(r) if self.watch_rules => {
                let found = self
                    .rules
                    .iter()
                    .find(|p| !p.no_track && same_rule(&p.item, r));
                if let Some(p) = found {
                    let what = describe_rule(&p.item, p.track_group.as_deref());
                    if let Err(e) = nl.add_rule(&p.item).await
                        && e.errno() != Some(EEXIST)
                    {
                        warn!("{}", netlink_error(&e, "RTM_NEWRULE(32)"));
                    }
                    info!("Restoring deleted static rule {what}");
                }
            }
            NetEvent::LinkUp { index, name } => self.link_up(nl, *index, name).await,
            NetEvent::LinkDown { index, name } | NetEvent::LinkRemoved { index, name } => {
                if let Some(l) = self.links.get_mut(name) {
                    *l = (*index, false);
                }
            }
            _ => {}
        }
    }

    /// An interface came up: its addresses and routes go back (at its new index if it was
    /// deleted and made again), as keepalived does.
    async fn link_up(&mut self, nl: &Netlink, index: u32, name: &str) {
        let Some(l) = self.links.get_mut(name) else {
            if self.uses(name) {
                self.links.insert(name.to_owned(), (index, true));
                self.readd(nl, index, name).await;
            }
            return;
        };
        // A first report of a link already known up changes nothing.
        if *l == (index, true) {
            return;
        }
        *l = (index, true);
        self.readd(nl, index, name).await;
    }

    fn uses(&self, name: &str) -> bool {
        self.addrs.iter().any(|p| p.dev.as_deref() == Some(name))
            || self.routes.iter().any(|p| p.dev.as_deref() == Some(name))
    }

    async fn readd(&mut self, nl: &Netlink, index: u32, name: &str) {
        for i in 0..self.addrs.len() {
            if let Some(p) = self.addrs.get_mut(i)
                && p.dev.as_deref() == Some(name)
            {
                p.item.ifindex = index;
                if !p.no_track {
                    self.restore_addr(nl, i).await;
                }
            }
        }
        for i in 0..self.routes.len() {
            let Some(p) = self.routes.get_mut(i) else {
                continue;
            };
            if p.dev.as_deref() != Some(name) {
                continue;
            }
            // keepalived names the index the route was first installed on when it differs
            // (measured: `... track_group TG [installed ifindex 4]`).
            let note = (p.installed != index && p.installed != 0)
                .then(|| format!(" [installed ifindex {}]", p.installed));
            p.item.oif = Some(index);
            if !p.no_track {
                self.restore_route(nl, i, note).await;
            }
        }
    }

    async fn restore_addr(&mut self, nl: &Netlink, i: usize) {
        let (Some(p), Some(what)) = (self.addrs.get_mut(i), self.described.get(i)) else {
            return;
        };
        // Replace, not add: on a link that comes back up the address may still be there
        // (keepalived logs its restore line then too).
        match nl.replace_address(&p.item).await {
            Ok(()) => {
                p.installed = p.item.ifindex;
                info!("Restoring deleted static address {what} set");
            }
            Err(e) => {
                warn!("{}", netlink_error(&e, "RTM_NEWADDR(20)"));
                info!("Restoring deleted static address {what}");
            }
        }
    }

    async fn restore_route(&mut self, nl: &Netlink, i: usize, note: Option<String>) {
        let Some(p) = self.routes.get_mut(i) else {
            return;
        };
        let what = describe_route(&p.item, p.dev.as_deref(), p.group.as_deref());
        match nl.add_route(&p.item).await {
            Ok(()) => p.installed = p.item.oif.unwrap_or(0),
            Err(e) if e.errno() == Some(EEXIST) => {}
            Err(e) => warn!("{}", netlink_error(&e, "RTM_NEWROUTE(24)")),
        }
        info!(
            "Restoring deleted static route {what}{}",
            note.unwrap_or_default()
        );
    }

    /// After lost events (netlink overrun): every item whose deletion may have gone unseen
    /// is added again if missing (the kernel refuses a present one), with its restore line;
    /// interfaces that came up meanwhile get their items back.
    pub async fn resync(&mut self, nl: &Netlink) {
        let mut came_up = Vec::new();
        for (name, known) in &self.links {
            if let Ok(l) = nl.link_by_name(name).await
                && l.is_running()
                && *known != (l.index, true)
            {
                came_up.push((l.index, name.clone()));
            }
        }
        for (index, name) in came_up {
            self.link_up(nl, index, &name).await;
        }
        for i in 0..self.addrs.len() {
            let Some(p) = self.addrs.get(i) else { continue };
            if p.installed == 0 || p.no_track {
                continue;
            }
            match nl.add_address(&p.item).await {
                Ok(()) => {
                    if let Some(what) = self.described.get(i) {
                        info!("Restoring deleted static address {what} set");
                    }
                }
                Err(e) if e.errno() == Some(EEXIST) => {}
                Err(e) => warn!("{}", netlink_error(&e, "RTM_NEWADDR(20)")),
            }
        }
        if self.watch_routes {
            for p in &self.routes {
                // Not on a link that is down or gone: it comes back when the link does.
                let usable = p
                    .dev
                    .as_ref()
                    .is_none_or(|d| p.installed != 0 && self.links.get(d).is_some_and(|l| l.1));
                if !usable || p.no_track {
                    continue;
                }
                match nl.add_route(&p.item).await {
                    Ok(()) => info!(
                        "Restoring deleted static route {}",
                        describe_route(&p.item, p.dev.as_deref(), p.group.as_deref())
                    ),
                    Err(e) if e.errno() == Some(EEXIST) => {}
                    Err(e) => warn!("{}", netlink_error(&e, "RTM_NEWROUTE(24)")),
                }
            }
        }
        if self.watch_rules {
            for r in self.rules.iter().filter(|r| !r.no_track) {
                match nl.add_rule(&r.item).await {
                    Ok(()) => info!(
                        "Restoring deleted static rule {}",
                        describe_rule(&r.item, r.track_group.as_deref())
                    ),
                    Err(e) if e.errno() == Some(EEXIST) => {}
                    Err(e) => warn!("{}", netlink_error(&e, "RTM_NEWRULE(32)")),
                }
            }
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
            .filter(|p| !new.routes.iter().any(|n| n.item == p.item))
            .map(|p| p.item.clone())
            .collect();
        let gone_rules: Vec<RuleSpec> = self
            .rules
            .iter()
            .filter(|r| !new.rules.iter().any(|n| n.item == r.item))
            .map(|r| r.item.clone())
            .collect();
        iface::remove_routes(nl, WHO, &gone_routes, &gone_rules).await;
        let mut gone = Vec::new();
        for (a, what) in self.addrs.iter().zip(&self.described) {
            if a.item.ifindex != 0 && !new.addrs.iter().any(|n| n.item == a.item) {
                let what = what.split(" scope").next().unwrap_or(what);
                info!("ip address {what}, no longer exist");
                gone.push(a.item.clone());
            }
        }
        iface::remove_vips(nl, WHO, &gone).await;
        *self = new;
    }

    /// Removes every static item (absent ones are fine): rules, routes, then addresses.
    pub async fn remove(&self, nl: &Netlink) {
        // Items whose interface never existed were never added.
        let routes: Vec<RouteSpec> = self
            .routes
            .iter()
            .filter(|p| p.dev.is_none() || p.item.oif.is_some())
            .map(|p| p.item.clone())
            .collect();
        let rules: Vec<RuleSpec> = self.rules.iter().map(|r| r.item.clone()).collect();
        let addrs: Vec<AddrSpec> = self
            .addrs
            .iter()
            .filter(|p| p.item.ifindex != 0)
            .map(|p| p.item.clone())
            .collect();
        iface::remove_routes(nl, WHO, &routes, &rules).await;
        iface::remove_vips(nl, WHO, &addrs).await;
    }
}

/// Whether a deleted route is our static route: same destination, table and (when we set
/// them) interface and metric. The kernel reports the metric it used (1024 for IPv6).
fn same_route(ours: &RouteSpec, gone: &RouteSpec) -> bool {
    ours.dst == gone.dst
        && ours.prefix == gone.prefix
        && ours.table == gone.table
        && (ours.oif.is_none() || ours.oif == gone.oif)
        && (ours.metric.is_none() || ours.metric == gone.metric)
}

/// Whether a deleted rule is our static rule.
fn same_rule(ours: &RuleSpec, gone: &RuleSpec) -> bool {
    ours.ipv6 == gone.ipv6
        && ours.priority == gone.priority
        && ours.from == gone.from
        && ours.to == gone.to
        && ours.table == gone.table
        && ours.fwmark.map(|f| f.0) == gone.fwmark.map(|f| f.0)
        && ours.iif == gone.iif
        && ours.oif == gone.oif
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> RuleSpec {
        RuleSpec {
            ipv6: false,
            from: Some(("10.7.0.0".parse().unwrap(), 16)),
            to: None,
            table: 123,
            priority: Some(345),
            fwmark: Some((8, Some(0xff))),
            iif: Some("d0".into()),
            oif: None,
            protocol: Some(18),
        }
    }

    #[test]
    fn deleted_rules_match_on_selectors_not_protocol() {
        let ours = rule();
        let mut gone = rule();
        gone.protocol = None;
        assert!(same_rule(&ours, &gone));
        gone.priority = Some(346);
        assert!(!same_rule(&ours, &gone));
        let mut gone = rule();
        gone.iif = None;
        assert!(!same_rule(&ours, &gone));
    }

    #[test]
    fn deleted_routes_match_on_destination_table_and_what_we_set() {
        let mut ours = RouteSpec::new("10.231.0.0".parse().unwrap(), 16);
        ours.table = 123;
        ours.oif = Some(4);
        let mut gone = ours.clone();
        gone.metric = Some(1024);
        gone.protocol = 18;
        assert!(same_route(&ours, &gone));
        gone.table = 254;
        assert!(!same_route(&ours, &gone));
        let mut gone = ours.clone();
        gone.oif = Some(5);
        assert!(!same_route(&ours, &gone));
        ours.metric = Some(50);
        let mut gone = ours.clone();
        gone.metric = None;
        assert!(!same_route(&ours, &gone));
    }

    #[test]
    fn netlink_errors_read_as_keepalived_writes_them() {
        let e = NetlinkError::Invalid("x".into());
        assert_eq!(
            netlink_error(&e, "RTM_NEWADDR(20)"),
            "Netlink: error: invalid argument: x, type=RTM_NEWADDR(20)"
        );
    }
}
