//! Root test: FAULT on link loss (VRRPv3, advert_int 0.1). When the master's interface goes
//! down it enters FAULT and drops the VIP, the backup takes over; when the link returns the
//! old master goes through BACKUP and (higher priority, preempt) back to MASTER.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Instant;

use common::*;

#[test]
fn link_down_puts_the_master_in_fault_and_the_backup_takes_over() {
    let mut t = topology("fault", 2);
    let vip = t.vip();
    let vip_s = vip.to_string();
    t.router(0)
        .unwrap()
        .set_config(VrrpConf::fast_v3("r1", 100, vip).render());
    t.router(1)
        .unwrap()
        .set_config(VrrpConf::fast_v3("r2", 99, vip).render());
    t.router(0).unwrap().start().unwrap();
    expect_line(&t.routers[0], "(VI_1) Entering MASTER STATE", FAST);
    expect_vip(&t.routers[0], &vip_s, true, FAST);
    t.router(1).unwrap().start().unwrap();
    expect_line(&t.routers[1], "(VI_1) Entering BACKUP STATE", FAST);

    let (m1, m2) = (t.routers[0].mark(), t.routers[1].mark());
    let down = Instant::now();
    t.lab
        .ip(&t.routers[0].ns, &["link", "set", "eth0", "down"])
        .unwrap();
    let (r1, r2) = (&t.routers[0], &t.routers[1]);
    let fault = expect_line_since(r1, m1, "(VI_1) Entering FAULT STATE", FAST);
    expect_vip(r1, &vip_s, false, FAST);
    let took = expect_line_since(r2, m2, "(VI_1) Entering MASTER STATE", FAST);
    expect_vip(r2, &vip_s, true, FAST);

    let m1 = t.routers[0].mark();
    let up = Instant::now();
    t.lab
        .ip(&t.routers[0].ns, &["link", "set", "eth0", "up"])
        .unwrap();
    let (r1, r2) = (&t.routers[0], &t.routers[1]);
    let backup = expect_line_since(r1, m1, "(VI_1) Entering BACKUP STATE", FAST);
    let back = expect_line_since(r1, m1, "(VI_1) Entering MASTER STATE", FAST);
    assert!(
        backup.at <= back.at,
        "r1 went MASTER before BACKUP after the fault"
    );
    expect_vip(r1, &vip_s, true, FAST);
    expect_vip(r2, &vip_s, false, FAST);
    eprintln!(
        "measured: FAULT {:.3}s after link down, r2 MASTER {:.3}s after link down; \
         r1 BACKUP {:.3}s and MASTER {:.3}s after link up",
        secs(down, fault.at),
        secs(down, took.at),
        secs(up, backup.at),
        secs(up, back.at)
    );
}
