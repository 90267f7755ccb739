//! Root test: `static_ipaddress`, `static_routes` and `static_rules` are in place while the
//! VRRP process runs, whatever the instance's state, and gone after TERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod ha_support;

use common::*;
use ha_support::*;

#[test]
fn static_items_are_added_at_start_and_removed_at_stop() {
    let mut t = topology("statics", 1);
    let vip = t.vip();
    let stat = t.addr(150).to_string();
    let gw = t.addr(254).to_string();
    let ifname = t.routers[0].ifname.clone();
    let top = format!(
        "static_ipaddress {{\n    {stat}/24 dev {ifname}\n}}\n\
         static_routes {{\n    10.231.0.0/16 via {gw} dev {ifname} table 123\n}}\n\
         static_rules {{\n    from 10.232.0.0/16 table 123 priority 345\n}}\n"
    );
    let conf = extend_conf(&VrrpConf::fast_v3("r1", 100, vip).render(), &top, "");
    let conf = extend_global(&conf, &format!("    default_interface {ifname}\n"));
    t.router(0).unwrap().set_config(conf);
    let ns = t.routers[0].ns.clone();
    t.router(0).unwrap().start().unwrap();
    expect_line(&t.routers[0], "(VI_1) Entering MASTER STATE", FAST);
    expect_vip(&t.routers[0], &stat, true, FAST);
    let routes = || router::ip_out(&["-n", &ns, "route", "show", "table", "123"]).unwrap();
    let rules = || router::ip_out(&["-n", &ns, "rule", "show"]).unwrap();
    assert!(
        wait_until(FAST, || routes().contains("10.231.0.0/16 via")),
        "static route missing: {}",
        routes()
    );
    assert!(
        wait_until(FAST, || rules()
            .lines()
            .any(|l| l.starts_with("345:") && l.contains("10.232.0.0/16"))),
        "static rule missing: {}",
        rules()
    );

    t.router(0).unwrap().stop().unwrap();
    expect_vip(&t.routers[0], &stat, false, FAST);
    expect_vip(&t.routers[0], &vip.to_string(), false, FAST);
    assert!(!routes().contains("10.231.0.0/16"), "{}", routes());
    assert!(!rules().contains("10.232.0.0/16"), "{}", rules());
}

/// keepalived 2.2.7, measured in a namespace: a static address deleted from outside is put
/// back at once (`Restoring deleted static address ... track_group TG set`), and the instance
/// of the track group stays MASTER.
#[test]
fn a_deleted_tracked_static_address_is_restored_and_the_instance_stays_master() {
    let mut t = topology("stattrk", 1);
    let vip = t.vip();
    let stat = t.addr(151).to_string();
    let ifname = t.routers[0].ifname.clone();
    let top = format!(
        "track_group TG {{\n    group {{\n        VI_1\n    }}\n}}\n\
         static_ipaddress {{\n    {stat}/24 dev {ifname} track_group TG\n}}\n"
    );
    let conf = extend_conf(&VrrpConf::fast_v3("r1", 100, vip).render(), &top, "");
    t.router(0).unwrap().set_config(conf);
    let ns = t.routers[0].ns.clone();
    t.router(0).unwrap().start().unwrap();
    expect_line(&t.routers[0], "(VI_1) Entering MASTER STATE", FAST);
    expect_vip(&t.routers[0], &stat, true, FAST);

    let mark = t.routers[0].mark();
    router::ip_out(&[
        "-n",
        &ns,
        "addr",
        "del",
        &format!("{stat}/24"),
        "dev",
        &ifname,
    ])
    .unwrap();
    let want = format!(
        "Restoring deleted static address {stat}/24 dev {ifname} scope global track_group TG set"
    );
    expect_line_since(&t.routers[0], mark, &want, FAST);
    expect_vip(&t.routers[0], &stat, true, FAST);
    expect_vip(&t.routers[0], &vip.to_string(), true, FAST);
    assert!(
        t.routers[0]
            .log()
            .find(mark, "Entering FAULT STATE")
            .is_none(),
        "{}",
        t.routers[0].dump()
    );
    assert_eq!(t.routers[0].last_state().as_deref(), Some("MASTER"));

    t.router(0).unwrap().stop().unwrap();
    expect_vip(&t.routers[0], &stat, false, FAST);
}
