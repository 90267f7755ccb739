//! Root tests: `track_group` and static items kept in place (behaviour spec 2.3, 2.5).
//!
//! The instances of a track_group track the interface of every static item naming it (FAULT
//! while it is down), and static addresses, routes and rules deleted from outside are put
//! back, each with keepalived's `Restoring deleted static ...` line. Every expectation was
//! measured on keepalived 2.2.7 and these tests pass against it too
//! (`ALIVED_TEST_DAEMON=keepalived`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod ha_support;

use common::*;
use ha_support::*;

/// The static items' subnet, on the extra link `d0` inside r1's namespace only.
const STAT: &str = "10.251.0.50";
const GW: &str = "10.251.0.254";

/// Adds a veth pair `d0`/`d1` inside `ns` (gone with the namespace), both up.
fn add_d0(ns: &str) {
    router::ip_out(&[
        "-n", ns, "link", "add", "d0", "type", "veth", "peer", "name", "d1",
    ])
    .unwrap();
    for dev in ["d0", "d1"] {
        router::ip_out(&["-n", ns, "link", "set", dev, "up"]).unwrap();
    }
}

fn ip(ns: &str, args: &[&str]) -> String {
    let mut all = vec!["-n", ns];
    all.extend_from_slice(args);
    router::ip_out(&all).unwrap_or_else(|e| panic!("ip {args:?}: {e}"))
}

/// r1 alone, VI_1 in track_group TG, the static items `top` (a `track_group` block first).
fn start_r1(t: &mut Topology, statics: &str) {
    let top = format!("track_group TG {{\n    group {{\n        VI_1\n    }}\n}}\n{statics}");
    let conf = extend_conf(&VrrpConf::fast_v3("r1", 100, t.vip()).render(), &top, "");
    add_d0(&t.routers[0].ns);
    t.router(0).unwrap().set_config(conf);
    t.router(0).unwrap().start().unwrap();
    expect_line(&t.routers[0], "(VI_1) Entering MASTER STATE", FAST);
}

/// r1 is still MASTER and went to FAULT at no point since `mark`.
fn assert_master_without_fault(t: &Topology, mark: usize) {
    assert!(
        t.routers[0]
            .log()
            .find(mark, "Entering FAULT STATE")
            .is_none(),
        "{}",
        t.routers[0].dump()
    );
    assert_eq!(t.routers[0].last_state().as_deref(), Some("MASTER"));
}

/// Whether `r` logged exactly `text` after `mark`.
fn logged_exactly(r: &Router, mark: usize, text: &str) -> bool {
    r.log().find_all(mark, text).iter().any(|l| l.text == text)
}

fn tracked_statics() -> String {
    format!(
        "static_ipaddress {{\n    {STAT}/24 dev d0 track_group TG\n}}\n\
         static_routes {{\n    10.231.0.0/16 via {GW} dev d0 table 123 track_group TG\n}}\n"
    )
}

/// keepalived 2.2.7: the interface of a static item with a track_group going down puts the
/// group's instances in FAULT (`Netlink reports d0 down`); back up, they leave FAULT and the
/// items are put back (the kernel dropped the route with the link).
#[test]
fn a_tracked_static_items_interface_down_is_fault_and_up_restores_the_items() {
    let mut t = topology("tgdown", 1);
    start_r1(&mut t, &tracked_statics());
    let ns = t.routers[0].ns.clone();
    let vip = t.vip().to_string();
    let route = || ip(&ns, &["route", "show", "table", "123"]);
    assert!(
        wait_until(FAST, || route().contains("10.231.0.0/16 via")),
        "{}",
        route()
    );
    expect_vip(&t.routers[0], &vip, true, FAST);

    let mark = t.routers[0].mark();
    ip(&ns, &["link", "set", "d0", "down"]);
    expect_line_since(&t.routers[0], mark, "Netlink reports d0 down", FAST);
    expect_line_since(&t.routers[0], mark, "(VI_1) Entering FAULT STATE", FAST);
    expect_vip(&t.routers[0], &vip, false, FAST);

    let mark = t.routers[0].mark();
    ip(&ns, &["link", "set", "d0", "up"]);
    expect_line_since(&t.routers[0], mark, "Netlink reports d0 up", FAST);
    expect_line_since(&t.routers[0], mark, "(VI_1) Entering BACKUP STATE", FAST);
    let addr_line = format!(
        "Restoring deleted static address {STAT}/24 dev d0 scope global track_group TG set"
    );
    expect_line_since(&t.routers[0], mark, &addr_line, FAST);
    let route_line = format!(
        "Restoring deleted static route prepend 10.231.0.0/16 via inet {GW} dev d0 table 123 proto 18 track_group TG"
    );
    expect_line_since(&t.routers[0], mark, &route_line, FAST);
    assert!(
        wait_until(FAST, || route().contains("10.231.0.0/16 via")),
        "{}",
        route()
    );
    expect_line_since(&t.routers[0], mark, "(VI_1) Entering MASTER STATE", FAST);
    expect_vip(&t.routers[0], &vip, true, FAST);
    t.router(0).unwrap().stop().unwrap();
}

/// keepalived 2.2.7: the interface deleted, the restore of the address fails (the line has
/// no ` set`) and the instance is FAULT; the interface made again (a new ifindex) and up, the
/// items go back on it and the instance leaves FAULT.
#[test]
fn a_deleted_interface_fails_the_restore_and_its_return_restores_the_items() {
    let mut t = topology("tgdel", 1);
    start_r1(&mut t, &tracked_statics());
    let ns = t.routers[0].ns.clone();
    let vip = t.vip().to_string();
    expect_vip(&t.routers[0], STAT, true, FAST);

    let mark = t.routers[0].mark();
    ip(&ns, &["link", "del", "d0"]);
    expect_line_since(&t.routers[0], mark, "(VI_1) Entering FAULT STATE", FAST);
    let failed =
        format!("Restoring deleted static address {STAT}/24 dev d0 scope global track_group TG");
    assert!(
        wait_until(FAST, || logged_exactly(&t.routers[0], mark, &failed)),
        "no {failed:?}\n{}",
        t.routers[0].dump()
    );
    expect_line_since(
        &t.routers[0],
        mark,
        "Netlink: error: No such device(19), type=RTM_NEWADDR(20)",
        FAST,
    );
    expect_vip(&t.routers[0], &vip, false, FAST);

    let deleted = mark;
    let mark = t.routers[0].mark();
    add_d0(&ns);
    expect_line_since(&t.routers[0], mark, "(VI_1) Entering BACKUP STATE", FAST);
    // The new link appearing down is no news: `down` was reported once, at the delete.
    let downs = t.routers[0]
        .log()
        .find_all(deleted, "Netlink reports d0 down");
    assert_eq!(downs.len(), 1, "{}", t.routers[0].dump());
    expect_line_since(&t.routers[0], mark, &format!("{failed} set"), FAST);
    expect_line_since(
        &t.routers[0],
        mark,
        "Restoring deleted static route prepend 10.231.0.0/16",
        FAST,
    );
    expect_vip(&t.routers[0], STAT, true, FAST);
    let route = || ip(&ns, &["route", "show", "table", "123"]);
    assert!(
        wait_until(FAST, || route().contains("dev d0")),
        "{}",
        route()
    );
    expect_line_since(&t.routers[0], mark, "(VI_1) Entering MASTER STATE", FAST);
    t.router(0).unwrap().stop().unwrap();
}

/// keepalived 2.2.7: static routes and rules deleted from outside are put back at once, and
/// the instances stay MASTER; but a daemon watches rule deletions only when some static rule
/// has a track_group (likewise routes): here no rule has one, so a deleted rule stays
/// deleted. The rule is deleted before the route: once the route's restore line is out,
/// the rule's deletion (earlier on the same netlink socket) has been seen too.
#[test]
fn deleted_static_routes_are_restored_and_rules_only_when_watched() {
    let mut t = topology("tgroute", 1);
    let statics = format!(
        "static_ipaddress {{\n    {STAT}/24 dev d0\n}}\n\
         static_routes {{\n    10.231.0.0/16 via {GW} dev d0 table 123 track_group TG\n    \
         10.233.0.0/16 via {GW} dev d0 table 123\n}}\n\
         static_rules {{\n    from 10.232.0.0/16 table 123 priority 345\n}}\n"
    );
    start_r1(&mut t, &statics);
    let ns = t.routers[0].ns.clone();
    let rules = || ip(&ns, &["rule", "show"]);
    assert!(wait_until(FAST, || rules().contains("345:")), "{}", rules());

    let mark = t.routers[0].mark();
    ip(&ns, &["rule", "del", "priority", "345"]);
    ip(&ns, &["route", "del", "10.233.0.0/16", "table", "123"]);
    expect_line_since(
        &t.routers[0],
        mark,
        &format!(
            "Restoring deleted static route prepend 10.233.0.0/16 via inet {GW} dev d0 table 123 proto 18"
        ),
        FAST,
    );
    let routes = ip(&ns, &["route", "show", "table", "123"]);
    assert!(routes.contains("10.233.0.0/16 via"), "{routes}");
    assert!(
        !rules().contains("345:"),
        "an unwatched rule came back: {}",
        rules()
    );
    assert!(
        t.routers[0]
            .log()
            .find(mark, "Restoring deleted static rule")
            .is_none()
    );
    assert_master_without_fault(&t, mark);
    t.router(0).unwrap().stop().unwrap();
}

/// keepalived 2.2.7: with a track_group on a static rule (its `iif` is tracked), every
/// deleted static rule is put back; the rule's interface going down is FAULT.
#[test]
fn deleted_static_rules_are_restored_and_a_tracked_rules_iif_down_is_fault() {
    let mut t = topology("tgrule", 1);
    let statics = "static_rules {\n    from 10.232.0.0/16 iif d0 table 123 priority 345 track_group TG\n    \
                   to 10.235.0.0/16 table 124 priority 347\n}\n";
    start_r1(&mut t, statics);
    let ns = t.routers[0].ns.clone();
    let rules = || ip(&ns, &["rule", "show"]);
    assert!(wait_until(FAST, || rules().contains("347:")), "{}", rules());

    let mark = t.routers[0].mark();
    ip(&ns, &["rule", "del", "priority", "345"]);
    expect_line_since(
        &t.routers[0],
        mark,
        "Restoring deleted static rule from 10.232.0.0/16 priority 345 tos 0x0 iif d0 protocol 18 lookup 123 track_group TG",
        FAST,
    );
    ip(&ns, &["rule", "del", "priority", "347"]);
    expect_line_since(
        &t.routers[0],
        mark,
        "Restoring deleted static rule from all to 10.235.0.0/16 priority 347 tos 0x0 protocol 18 lookup 124",
        FAST,
    );
    assert!(
        wait_until(FAST, || rules().contains("345:")
            && rules().contains("347:")),
        "{}",
        rules()
    );
    assert!(
        t.routers[0]
            .log()
            .find(mark, "Entering FAULT STATE")
            .is_none()
    );

    ip(&ns, &["link", "set", "d0", "down"]);
    expect_line_since(&t.routers[0], mark, "(VI_1) Entering FAULT STATE", FAST);
    ip(&ns, &["link", "set", "d0", "up"]);
    expect_line_since(&t.routers[0], mark, "(VI_1) Entering BACKUP STATE", FAST);
    expect_line_since(&t.routers[0], mark, "(VI_1) Entering MASTER STATE", FAST);
    t.router(0).unwrap().stop().unwrap();
}

/// keepalived 2.2.7 reads a track_group when it reads the static item naming it: one
/// defined below the item is `not found` (`-t` exits 5) and the item is kept untracked, so
/// its interface going down changes nothing.
#[test]
fn a_track_group_defined_after_its_item_is_not_found_and_not_tracked() {
    let mut t = topology("tgorder", 1);
    let vip = t.vip();
    let statics = format!(
        "static_ipaddress {{\n    {STAT}/24 dev d0 track_group TG\n}}\n\
         track_group TG {{\n    group {{\n        VI_1\n    }}\n}}\n"
    );
    let conf = extend_conf(&VrrpConf::fast_v3("r1", 100, vip).render(), &statics, "");
    add_d0(&t.routers[0].ns);
    t.router(0).unwrap().set_config(conf);
    t.router(0).unwrap().start().unwrap();
    expect_line(&t.routers[0], "track_group TG not found", FAST);
    expect_line(&t.routers[0], "(VI_1) Entering MASTER STATE", FAST);
    expect_vip(&t.routers[0], STAT, true, FAST);

    let ns = t.routers[0].ns.clone();
    let mark = t.routers[0].mark();
    // The address goes when d0 is deleted: its restore fails, and still no FAULT. The restore
    // line (after the deletion) shows the event was handled.
    ip(&ns, &["link", "del", "d0"]);
    expect_line_since(
        &t.routers[0],
        mark,
        &format!("Restoring deleted static address {STAT}/24 dev d0 scope global"),
        FAST,
    );
    assert_master_without_fault(&t, mark);
    t.router(0).unwrap().stop().unwrap();
}

/// keepalived 2.2.7: a restore that fails while the interface stays up (IPv6 disabled on it:
/// `Permission denied`) is logged without ` set` and changes no state: no FAULT, and no
/// retry when IPv6 comes back.
#[test]
fn a_failed_restore_on_an_up_interface_is_logged_and_is_not_fault() {
    let mut t = topology("tgv6", 1);
    start_r1(
        &mut t,
        "static_ipaddress {\n    2001:db8:77::50/64 dev d0 track_group TG\n}\n",
    );
    let ns = t.routers[0].ns.clone();
    expect_vip(&t.routers[0], "2001:db8:77::50", true, FAST);
    let mark = t.routers[0].mark();
    let sysctl = |v: &str| {
        let set = format!("net.ipv6.conf.d0.disable_ipv6={v}");
        let out = alived_sys::testnet::run(&["ip", "netns", "exec", &ns, "sysctl", "-w", &set]);
        assert!(out.is_ok_and(|o| o.status.success()), "sysctl {set}");
    };
    sysctl("1");
    let failed = "Restoring deleted static address 2001:db8:77::50/64 dev d0 scope global track_group TG preferred_lft forever";
    assert!(
        wait_until(FAST, || logged_exactly(&t.routers[0], mark, failed)),
        "no {failed:?}\n{}",
        t.routers[0].dump()
    );
    expect_line_since(
        &t.routers[0],
        mark,
        "Netlink: error: Permission denied(13), type=RTM_NEWADDR(20)",
        FAST,
    );
    sysctl("0");
    assert_master_without_fault(&t, mark);
    t.router(0).unwrap().stop().unwrap();
}

/// keepalived 2.2.7: a tracked static item's interface down at start-up starts the group's
/// instances in FAULT (`(VI_1): entering FAULT state (interface d0 down)`); it coming up
/// ends it and puts the address on it.
#[test]
fn a_tracked_interface_down_at_start_starts_in_fault() {
    let mut t = topology("tginit", 1);
    let top = format!(
        "track_group TG {{\n    group {{\n        VI_1\n    }}\n}}\n\
         static_ipaddress {{\n    {STAT}/24 dev d0 track_group TG\n}}\n"
    );
    let conf = extend_conf(&VrrpConf::fast_v3("r1", 100, t.vip()).render(), &top, "");
    let ns = t.routers[0].ns.clone();
    add_d0(&ns);
    ip(&ns, &["link", "set", "d0", "down"]);
    t.router(0).unwrap().set_config(conf);
    t.router(0).unwrap().start().unwrap();
    expect_line(
        &t.routers[0],
        "(VI_1): entering FAULT state (interface d0 down)",
        FAST,
    );
    expect_line(&t.routers[0], "Startup complete", FAST);
    let mark = t.routers[0].mark();
    ip(&ns, &["link", "set", "d0", "up"]);
    expect_line_since(&t.routers[0], mark, "Netlink reports d0 up", FAST);
    expect_line_since(&t.routers[0], mark, "(VI_1) Entering BACKUP STATE", FAST);
    expect_line_since(
        &t.routers[0],
        mark,
        &format!(
            "Restoring deleted static address {STAT}/24 dev d0 scope global track_group TG set"
        ),
        FAST,
    );
    expect_line_since(&t.routers[0], mark, "(VI_1) Entering MASTER STATE", FAST);
    expect_vip(&t.routers[0], STAT, true, FAST);
    t.router(0).unwrap().stop().unwrap();
}

/// alived only: when the kernel drops netlink events (the daemon held off the CPU while
/// thousands of addresses come and go), the deletion of a static address may be among the
/// lost ones; the overrun makes alived re-check its static items and put it back.
#[test]
fn a_static_address_deleted_while_events_were_lost_is_restored() {
    if !matches!(daemon_under_test(), Daemon::Alived(_)) {
        eprintln!("NOTICE: alived-only test (netlink overrun handling)");
        return;
    }
    let mut t = topology("tgoverrun", 1);
    start_r1(&mut t, &tracked_statics());
    let ns = t.routers[0].ns.clone();
    expect_vip(&t.routers[0], STAT, true, FAST);
    let batch = std::env::temp_dir().join(format!("alived-flood-{}", std::process::id()));
    let lines: String = (0..8000)
        .map(|i| format!("addr add 10.99.{}.{}/32 dev d1\n", i / 250, i % 250 + 1))
        .collect();
    std::fs::write(&batch, lines).unwrap();
    let group = nix::unistd::Pid::from_raw(t.routers[0].pid().unwrap() as i32);
    let mark = t.routers[0].mark();
    nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGSTOP).unwrap();
    let flood = router::ip_out(&["-n", &ns, "-batch", &batch.to_string_lossy()]);
    let deleted = router::ip_out(&["-n", &ns, "addr", "del", &format!("{STAT}/24"), "dev", "d0"]);
    nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGCONT).unwrap();
    let _ = std::fs::remove_file(&batch);
    flood.unwrap();
    deleted.unwrap();
    expect_line_since(
        &t.routers[0],
        mark,
        "Netlink event socket overrun - re-reading links and static items",
        FAST,
    );
    expect_line_since(
        &t.routers[0],
        mark,
        &format!(
            "Restoring deleted static address {STAT}/24 dev d0 scope global track_group TG set"
        ),
        FAST,
    );
    expect_vip(&t.routers[0], STAT, true, FAST);
    t.router(0).unwrap().stop().unwrap();
}

/// keepalived 2.2.7: `no_track` static items (and a static route without `dev`, which is
/// not tracked) stay deleted. A tracked route deleted last proves the earlier deletions
/// were seen: its restore line comes after them on the same netlink socket.
#[test]
fn no_track_static_items_stay_deleted() {
    let mut t = topology("tgnotrack", 1);
    let statics = format!(
        "static_ipaddress {{\n    {STAT}/24 dev d0\n    10.252.0.50/24 dev d0 no_track\n}}\n\
         static_routes {{\n    10.231.0.0/16 via {GW} dev d0 table 123 track_group TG\n    \
         10.232.0.0/16 via {GW} table 123\n    10.233.0.0/16 via {GW} dev d0 table 123 no_track\n}}\n\
         static_rules {{\n    from 10.242.0.0/16 iif d0 table 123 priority 348 track_group TG\n    \
         from 10.243.0.0/16 table 123 priority 349 no_track\n}}\n"
    );
    start_r1(&mut t, &statics);
    let ns = t.routers[0].ns.clone();
    let routes = || ip(&ns, &["route", "show", "table", "123"]);
    let rules = || ip(&ns, &["rule", "show"]);
    assert!(
        wait_until(FAST, || routes().contains("10.233.0.0/16")
            && rules().contains("349:")),
        "{}{}",
        routes(),
        rules()
    );
    expect_line(
        &t.routers[0],
        "Warning - cannot track route 10.232.0.0/16 with no interface specified, not tracking",
        FAST,
    );
    let mark = t.routers[0].mark();
    ip(&ns, &["route", "del", "10.232.0.0/16", "table", "123"]);
    ip(&ns, &["route", "del", "10.233.0.0/16", "table", "123"]);
    ip(&ns, &["rule", "del", "priority", "349"]);
    ip(&ns, &["addr", "del", "10.252.0.50/24", "dev", "d0"]);
    ip(&ns, &["route", "del", "10.231.0.0/16", "table", "123"]);
    expect_line_since(
        &t.routers[0],
        mark,
        "Restoring deleted static route prepend 10.231.0.0/16",
        FAST,
    );
    let restored = t.routers[0]
        .log()
        .find_all(mark, "Restoring deleted static");
    assert_eq!(restored.len(), 1, "{restored:?}");
    assert!(!routes().contains("10.232.0.0/16"), "{}", routes());
    assert!(!routes().contains("10.233.0.0/16"), "{}", routes());
    assert!(!rules().contains("349:"), "{}", rules());
    expect_vip(&t.routers[0], "10.252.0.50", false, FAST);
    t.router(0).unwrap().stop().unwrap();
}

/// keepalived 2.2.7: a deleted static route whose gateway is no longer reachable cannot be
/// put back: `Netlink: error: Network is unreachable(101), type=RTM_NEWROUTE(24)`, then its
/// restore line, and no state change. The daemon is held (SIGSTOP) while the route and the
/// address reaching its gateway go, so it sees both deletions before it acts.
#[test]
fn a_static_route_that_cannot_be_restored_is_logged_and_is_not_fault() {
    let mut t = topology("tgunreach", 1);
    start_r1(
        &mut t,
        &format!(
            "static_routes {{\n    10.231.0.0/16 via {GW} dev d0 table 123 track_group TG\n}}\n"
        ),
    );
    let ns = t.routers[0].ns.clone();
    // The gateway's subnet through an address that is not a static item.
    ip(&ns, &["addr", "add", "10.251.0.1/24", "dev", "d0"]);
    let add = [
        "route",
        "add",
        "10.231.0.0/16",
        "via",
        GW,
        "dev",
        "d0",
        "table",
        "123",
        "proto",
        "18",
    ];
    let _ = router::ip_out(&[&["-n", ns.as_str()][..], &add[..]].concat());
    let route = || ip(&ns, &["route", "show", "table", "123"]);
    assert!(
        wait_until(FAST, || route().contains("10.231.0.0/16")),
        "{}",
        route()
    );

    let group = nix::unistd::Pid::from_raw(t.routers[0].pid().unwrap() as i32);
    let mark = t.routers[0].mark();
    nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGSTOP).unwrap();
    let r1 = router::ip_out(&["-n", &ns, "route", "del", "10.231.0.0/16", "table", "123"]);
    let r2 = router::ip_out(&["-n", &ns, "addr", "del", "10.251.0.1/24", "dev", "d0"]);
    nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGCONT).unwrap();
    r1.unwrap();
    r2.unwrap();
    expect_line_since(
        &t.routers[0],
        mark,
        "Netlink: error: Network is unreachable(101), type=RTM_NEWROUTE(24)",
        FAST,
    );
    let line = format!(
        "Restoring deleted static route prepend 10.231.0.0/16 via inet {GW} dev d0 table 123 proto 18 track_group TG"
    );
    assert!(
        wait_until(FAST, || logged_exactly(&t.routers[0], mark, &line)),
        "no {line:?}\n{}",
        t.routers[0].dump()
    );
    assert!(!route().contains("10.231.0.0/16"), "{}", route());
    assert_master_without_fault(&t, mark);
    t.router(0).unwrap().stop().unwrap();
}
