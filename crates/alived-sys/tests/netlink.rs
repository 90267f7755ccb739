//! Root tests: rtnetlink addresses, routes, rules, macvlan, sysctls and link events, each in
//! its own namespace, checked against `ip -n NS ...` as an independent view.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use alived_sys::NetlinkError;
use alived_sys::netlink::{
    AddrSpec, EventStream, NetEvent, Netlink, RouteSpec, RuleSpec, read_sysctl, scope,
    set_vmac_sysctls, vmac_mac,
};
use common::*;

const WAIT: Duration = Duration::from_secs(10);

/// One namespace with a veth pair eth0/eth1 inside it, both up.
fn one_host(tag: &str) -> (Lab, String) {
    let mut lab = Lab::new(tag);
    let a = lab.add_ns("a").unwrap();
    lab.ip(
        &a,
        &[
            "link", "add", "eth0", "type", "veth", "peer", "name", "eth1",
        ],
    )
    .unwrap();
    lab.ip(&a, &["link", "set", "eth0", "up"]).unwrap();
    lab.ip(&a, &["link", "set", "eth1", "up"]).unwrap();
    (lab, a)
}

fn v4(a: &str) -> IpAddr {
    IpAddr::V4(a.parse::<Ipv4Addr>().unwrap())
}
fn v6(a: &str) -> IpAddr {
    IpAddr::V6(a.parse::<Ipv6Addr>().unwrap())
}

#[test]
fn add_list_and_remove_addresses() {
    let (lab, a) = one_host("addr");
    let idx = lab.ifindex(&a, "eth0").unwrap();
    let mut vip4 = AddrSpec::new(idx, v4("10.7.0.5"), 24);
    vip4.broadcast = Some("10.7.0.255".parse().unwrap());
    vip4.label = Some("eth0:vip".into());
    let vip6 = AddrSpec::new(idx, v6("2001:db8::5"), 64);
    let mut vip6b = AddrSpec::new(idx, v6("2001:db8::6"), 128);
    vip6b.preferred_lft = Some(0);
    assert!(
        vip6.nodad,
        "IPv6 VIPs default to nodad, as keepalived adds them"
    );

    let (s4, s6, s6b) = (vip4.clone(), vip6.clone(), vip6b.clone());
    let listed = lab
        .run_async(&a, move || async move {
            let nl = Netlink::new().unwrap();
            nl.add_address(&s4).await.unwrap();
            nl.add_address(&s6).await.unwrap();
            nl.add_address(&s6b).await.unwrap();
            // Adding twice is refused with EEXIST; replace is idempotent.
            let again = nl.add_address(&s4).await.unwrap_err();
            assert_eq!(again.errno(), Some(libc::EEXIST), "{again}");
            nl.replace_address(&s4).await.unwrap();
            nl.addresses(Some(idx)).await.unwrap()
        })
        .unwrap();

    let shown = lab.ip(&a, &["addr", "show", "dev", "eth0"]).unwrap();
    assert!(
        shown.contains("inet 10.7.0.5/24 brd 10.7.0.255 scope global eth0:vip"),
        "{shown}"
    );
    assert!(
        shown.contains("inet6 2001:db8::5/64 scope global nodad"),
        "{shown}"
    );
    assert!(
        shown.contains("inet6 2001:db8::6/128 scope global nodad deprecated"),
        "{shown}"
    );
    assert!(shown.contains("preferred_lft 0sec"), "{shown}");

    let l4 = listed
        .iter()
        .find(|x| x.addr == vip4.addr)
        .expect("v4 listed");
    assert_eq!(
        (l4.prefix, l4.broadcast, l4.label.as_deref()),
        (24, vip4.broadcast, Some("eth0:vip"))
    );
    assert_eq!(l4.scope, scope::GLOBAL);
    let l6 = listed
        .iter()
        .find(|x| x.addr == vip6.addr)
        .expect("v6 listed");
    assert_eq!(l6.prefix, 64);
    assert!(l6.nodad());

    let (s4, s6, s6b) = (vip4.clone(), vip6.clone(), vip6b.clone());
    let after = lab
        .run_async(&a, move || async move {
            let nl = Netlink::new().unwrap();
            nl.del_address(&s4).await.unwrap();
            nl.del_address(&s6).await.unwrap();
            nl.del_address(&s6b).await.unwrap();
            nl.addresses(Some(idx)).await.unwrap()
        })
        .unwrap();
    assert!(
        after
            .iter()
            .all(|x| x.addr != vip4.addr && x.addr != vip6.addr && x.addr != vip6b.addr)
    );
    let shown = lab.ip(&a, &["addr", "show", "dev", "eth0"]).unwrap();
    assert!(
        !shown.contains("10.7.0.5") && !shown.contains("2001:db8::5"),
        "{shown}"
    );
}

#[test]
fn bad_address_requests_are_errors() {
    let (lab, a) = one_host("bad");
    let idx = lab.ifindex(&a, "eth0").unwrap();
    let errs = lab
        .run_async(&a, move || async move {
            let nl = Netlink::new().unwrap();
            let mut long_label = AddrSpec::new(idx, v4("10.7.0.5"), 32);
            long_label.label = Some("a-label-far-too-long".into());
            let long_prefix = AddrSpec::new(idx, v4("10.7.0.5"), 33);
            let missing = AddrSpec::new(idx, v4("10.7.0.77"), 32);
            (
                nl.add_address(&long_label).await.unwrap_err(),
                nl.add_address(&long_prefix).await.unwrap_err(),
                nl.del_address(&missing).await.unwrap_err(),
                nl.link_by_name("nosuch0").await.unwrap_err(),
            )
        })
        .unwrap();
    assert!(matches!(errs.0, NetlinkError::Invalid(_)), "{}", errs.0);
    assert!(matches!(errs.1, NetlinkError::Invalid(_)), "{}", errs.1);
    assert_eq!(errs.2.errno(), Some(libc::EADDRNOTAVAIL), "{}", errs.2);
    assert!(matches!(errs.3, NetlinkError::NoSuchLink(_)), "{}", errs.3);
}

#[test]
fn stale_vips_from_a_crashed_run_are_removed() {
    let (lab, a) = one_host("stale");
    let idx = lab.ifindex(&a, "eth0").unwrap();
    lab.ip(&a, &["addr", "add", "10.7.0.9/32", "dev", "eth0"])
        .unwrap();
    lab.ip(&a, &["addr", "add", "10.7.0.1/24", "dev", "eth0"])
        .unwrap();
    let removed = lab
        .run_async(&a, move || async move {
            let nl = Netlink::new().unwrap();
            let vips = [
                AddrSpec::new(idx, v4("10.7.0.9"), 32),
                AddrSpec::new(idx, v4("10.7.0.10"), 32),
            ];
            nl.remove_stale(&vips).await.unwrap()
        })
        .unwrap();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].addr, v4("10.7.0.9"));
    let shown = lab.ip(&a, &["addr", "show", "dev", "eth0"]).unwrap();
    assert!(!shown.contains("10.7.0.9/32"), "{shown}");
    assert!(
        shown.contains("10.7.0.1/24"),
        "a non-VIP address must stay: {shown}"
    );
}

#[test]
fn routes_and_rules() {
    let (lab, a) = one_host("route");
    let idx = lab.ifindex(&a, "eth0").unwrap();
    lab.ip(&a, &["addr", "add", "10.7.0.5/24", "dev", "eth0"])
        .unwrap();
    let mut route = RouteSpec::new(v4("10.8.0.0"), 24);
    route.gateway = Some(v4("10.7.0.1"));
    route.oif = Some(idx);
    route.table = 100;
    route.metric = Some(5);
    let rule = RuleSpec {
        ipv6: false,
        from: Some((v4("10.7.0.5"), 32)),
        to: None,
        table: 100,
        priority: Some(1000),
        fwmark: None,
        iif: None,
        oif: None,
        protocol: None,
    };
    let (r, ru) = (route.clone(), rule.clone());
    lab.run_async(&a, move || async move {
        let nl = Netlink::new().unwrap();
        nl.add_route(&r).await.unwrap();
        nl.add_rule(&ru).await.unwrap();
    })
    .unwrap();
    let routes = lab.ip(&a, &["route", "show", "table", "100"]).unwrap();
    assert!(
        routes.contains("10.8.0.0/24 via 10.7.0.1 dev eth0 proto static metric 5"),
        "{routes}"
    );
    let rules = lab.ip(&a, &["rule", "show"]).unwrap();
    assert!(rules.contains("1000:\tfrom 10.7.0.5 lookup 100"), "{rules}");

    let (r, ru) = (route.clone(), rule.clone());
    lab.run_async(&a, move || async move {
        let nl = Netlink::new().unwrap();
        nl.del_rule(&ru).await.unwrap();
        nl.del_route(&r).await.unwrap();
    })
    .unwrap();
    let routes = lab.ip(&a, &["route", "show", "table", "100"]).unwrap();
    assert!(!routes.contains("10.8.0.0/24"), "{routes}");
    let rules = lab.ip(&a, &["rule", "show"]).unwrap();
    assert!(!rules.contains("lookup 100"), "{rules}");
}

#[test]
fn macvlan_vmac_private_mode() {
    let (lab, a) = one_host("vmac");
    let base = lab.ifindex(&a, "eth0").unwrap();
    let (link, arp_ignore, accept_local, base_arp_filter) = lab
        .run_async(&a, move || async move {
            let nl = Netlink::new().unwrap();
            let link = nl
                .create_macvlan(base, "vrrp.51", vmac_mac(0x33, false))
                .await
                .unwrap();
            set_vmac_sysctls("vrrp.51", "eth0").unwrap();
            (
                link,
                read_sysctl("net/ipv4/conf/vrrp.51/arp_ignore").unwrap(),
                read_sysctl("net/ipv4/conf/vrrp.51/accept_local").unwrap(),
                read_sysctl("net/ipv4/conf/eth0/arp_filter").unwrap(),
            )
        })
        .unwrap();
    assert_eq!(link.mac, vec![0x00, 0x00, 0x5e, 0x00, 0x01, 0x33]);
    assert_eq!(link.kind.as_deref(), Some("macvlan"));
    assert_eq!(link.parent, Some(base));
    assert!(link.is_up());
    assert_eq!(
        (
            arp_ignore.as_str(),
            accept_local.as_str(),
            base_arp_filter.as_str()
        ),
        ("1", "1", "1")
    );
    let shown = lab
        .ip(&a, &["-d", "link", "show", "dev", "vrrp.51"])
        .unwrap();
    assert!(shown.contains("link/ether 00:00:5e:00:01:33"), "{shown}");
    assert!(shown.contains("macvlan mode private"), "{shown}");
    // The sysctl really is per namespace: the root namespace has no such interface.
    assert!(!std::path::Path::new("/proc/sys/net/ipv4/conf/vrrp.51").exists());

    let idx = link.index;
    lab.run_async(&a, move || async move {
        Netlink::new().unwrap().delete_link(idx).await.unwrap();
    })
    .unwrap();
    assert!(lab.ip(&a, &["link", "show", "dev", "vrrp.51"]).is_err());
}

#[test]
fn link_down_up_and_address_events() {
    let (lab, a) = one_host("evt");
    let idx = lab.ifindex(&a, "eth0").unwrap();
    let seen = lab
        .run_async(&a, move || async move {
            let mut events = EventStream::new().unwrap();
            let nl = Netlink::new().unwrap();
            let mut seen = Vec::new();
            let mut wait_for = async |events: &mut EventStream, want: &dyn Fn(&NetEvent) -> bool| {
                let r = tokio::time::timeout(WAIT, async {
                    loop {
                        let e = events.next().await.expect("event stream ended");
                        let hit = want(&e);
                        seen.push(e);
                        if hit {
                            return;
                        }
                    }
                })
                .await;
                r.is_ok()
            };
            nl.set_link_up(idx, false).await.unwrap();
            let down = wait_for(&mut events, &|e| matches!(e, NetEvent::LinkDown { index, name } if *index == idx && name == "eth0")).await;
            nl.set_link_up(idx, true).await.unwrap();
            let up = wait_for(&mut events, &|e| matches!(e, NetEvent::LinkUp { index, name } if *index == idx && name == "eth0")).await;
            nl.add_address(&AddrSpec::new(idx, v4("10.7.0.42"), 32)).await.unwrap();
            let added = wait_for(&mut events, &|e| matches!(e, NetEvent::AddrAdded(a) if a.addr == v4("10.7.0.42"))).await;
            nl.del_address(&AddrSpec::new(idx, v4("10.7.0.42"), 32)).await.unwrap();
            let removed = wait_for(&mut events, &|e| matches!(e, NetEvent::AddrRemoved(a) if a.addr == v4("10.7.0.42"))).await;
            (down, up, added, removed)
        })
        .unwrap();
    assert_eq!(
        seen,
        (true, true, true, true),
        "down, up, addr added, addr removed"
    );
}

#[test]
fn route_and_rule_removal_events_describe_what_went() {
    let (lab, a) = one_host("rrevt");
    let idx = lab.ifindex(&a, "eth0").unwrap();
    lab.ip(&a, &["addr", "add", "10.7.0.5/24", "dev", "eth0"])
        .unwrap();
    let mut route = RouteSpec::new(v4("10.8.0.0"), 24);
    route.gateway = Some(v4("10.7.0.1"));
    route.oif = Some(idx);
    route.table = 100;
    route.metric = Some(5);
    route.protocol = 18;
    let rule = RuleSpec {
        ipv6: false,
        from: Some((v4("10.7.0.0"), 24)),
        to: Some((v4("10.9.0.0"), 16)),
        table: 1000,
        priority: Some(1000),
        fwmark: Some((7, Some(0xff))),
        iif: Some("eth0".into()),
        oif: None,
        protocol: Some(18),
    };
    let (r, ru) = (route.clone(), rule.clone());
    let (gone_route, gone_rule) = lab
        .run_async(&a, move || async move {
            let mut events = EventStream::with_routes_and_rules(true, true).unwrap();
            let nl = Netlink::new().unwrap();
            nl.add_route(&r).await.unwrap();
            nl.add_rule(&ru).await.unwrap();
            nl.del_route(&r).await.unwrap();
            nl.del_rule(&ru).await.unwrap();
            let (mut gone_route, mut gone_rule) = (None, None);
            let _ = tokio::time::timeout(WAIT, async {
                while gone_route.is_none() || gone_rule.is_none() {
                    match events.next().await.expect("event stream ended") {
                        NetEvent::RouteRemoved(x) if x.dst == v4("10.8.0.0") => {
                            gone_route = Some(x)
                        }
                        NetEvent::RuleRemoved(x) if x.priority == Some(1000) => gone_rule = Some(x),
                        _ => {}
                    }
                }
            })
            .await;
            (gone_route, gone_rule)
        })
        .unwrap();
    let gone_route = gone_route.expect("no RouteRemoved event");
    assert_eq!(
        (
            gone_route.prefix,
            gone_route.table,
            gone_route.oif,
            gone_route.metric
        ),
        (24, 100, Some(idx), Some(5))
    );
    assert_eq!(
        (gone_route.gateway, gone_route.protocol),
        (Some(v4("10.7.0.1")), 18)
    );
    assert_eq!(gone_rule, Some(rule));
}
