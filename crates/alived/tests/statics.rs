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
