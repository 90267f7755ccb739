//! Root test: `nopreempt` (both routers `state BACKUP`, VRRPv3 advert_int 0.1). A
//! higher-priority router that comes back after an orderly stop stays BACKUP and leaves the
//! VIP where it is.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;

/// How long the returning router is watched: about 8 Master_Down_Intervals (0.37 s each).
const HOLD: Duration = Duration::from_secs(3);

#[test]
fn returning_higher_priority_router_stays_backup_with_nopreempt() {
    let mut t = topology("nopre", 2);
    let vip = t.vip();
    let vip_s = vip.to_string();
    for (i, prio) in [(0, 100), (1, 99)] {
        let r = t.router(i).unwrap();
        let mut conf = VrrpConf::fast_v3(&r.name.clone(), prio, vip);
        conf.nopreempt = true;
        assert_eq!(conf.state, "BACKUP");
        r.set_config(conf.render());
    }

    // r1 alone becomes MASTER; r2 joins as BACKUP.
    t.router(0).unwrap().start().unwrap();
    expect_line(&t.routers[0], "(VI_1) Entering MASTER STATE", FAST);
    expect_vip(&t.routers[0], &vip_s, true, FAST);
    t.router(1).unwrap().start().unwrap();
    expect_line(&t.routers[1], "(VI_1) Entering BACKUP STATE", FAST);
    assert!(!t.routers[1].has_vip(&vip_s).unwrap());

    // Orderly stop of r1: priority 0, so r2 takes over after only its skew.
    let m2 = t.routers[1].mark();
    let stopped = Instant::now();
    t.router(0).unwrap().stop().unwrap();
    let took = expect_line_since(&t.routers[1], m2, "(VI_1) Entering MASTER STATE", FAST);
    expect_vip(&t.routers[1], &vip_s, true, FAST);
    assert!(
        !t.routers[0].has_vip(&vip_s).unwrap(),
        "r1 kept the VIP after SIGTERM"
    );
    eprintln!(
        "measured: r2 MASTER {:.3}s after SIGTERM to r1",
        secs(stopped, took.at)
    );

    // r1 comes back with the higher priority: it must stay BACKUP.
    let m2 = t.routers[1].mark();
    t.router(0).unwrap().start().unwrap();
    let (r1, r2) = (&t.routers[0], &t.routers[1]);
    let init = expect_line(r1, "(VI_1) Entering BACKUP STATE", FAST);
    let end = Instant::now() + HOLD;
    while Instant::now() < end {
        assert_eq!(r1.last_state().as_deref(), Some("BACKUP"), "r1 preempted");
        assert!(!r1.has_vip(&vip_s).unwrap(), "r1 took the VIP");
        assert!(r2.has_vip(&vip_s).unwrap(), "r2 lost the VIP");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        r1.wait_for_line("Entering MASTER STATE", Duration::ZERO)
            .is_none()
    );
    assert!(
        r2.wait_for_line_since(m2, "Entering BACKUP STATE", Duration::ZERO)
            .is_none()
    );
    assert_eq!(r2.last_state().as_deref(), Some("MASTER"));
    eprintln!(
        "measured: r1 stayed BACKUP for {:.3}s after its (init) line",
        secs(init.at, Instant::now())
    );
}

/// After a SIGKILL the VIP is still configured on r1 (nothing removed it). When r1 restarts
/// as a nopreempt BACKUP it must remove that stale VIP at start-up (keepalived logs
/// `(VI_1) removing VIPs.` there), so the LAN is not left with two holders.
#[test]
fn restart_after_a_crash_removes_the_stale_vip() {
    let mut t = topology("stale", 2);
    let vip = t.vip();
    let vip_s = vip.to_string();
    for (i, prio) in [(0, 100), (1, 99)] {
        let r = t.router(i).unwrap();
        let mut conf = VrrpConf::fast_v3(&r.name.clone(), prio, vip);
        conf.nopreempt = true;
        r.set_config(conf.render());
    }
    t.router(0).unwrap().start().unwrap();
    expect_line(&t.routers[0], "(VI_1) Entering MASTER STATE", FAST);
    expect_vip(&t.routers[0], &vip_s, true, FAST);
    t.router(1).unwrap().start().unwrap();
    expect_line(&t.routers[1], "(VI_1) Entering BACKUP STATE", FAST);

    let m2 = t.routers[1].mark();
    let killed = t.router(0).unwrap().crash().unwrap();
    let took = expect_line_since(&t.routers[1], m2, "(VI_1) Entering MASTER STATE", FAST);
    expect_vip(&t.routers[1], &vip_s, true, FAST);
    assert!(
        t.routers[0].has_vip(&vip_s).unwrap(),
        "precondition: SIGKILL leaves the VIP configured on r1"
    );

    t.router(0).unwrap().start().unwrap();
    let r1 = &t.routers[0];
    let init = expect_line(r1, "(VI_1) Entering BACKUP STATE", FAST);
    let gone = expect_vip(r1, &vip_s, false, FAST);
    assert_eq!(r1.last_state().as_deref(), Some("BACKUP"));
    assert!(t.routers[1].has_vip(&vip_s).unwrap());
    eprintln!(
        "measured: r2 MASTER {:.3}s after SIGKILL; stale VIP gone from r1 {:.3}s after its \
         restart ((init) line after {:.3}s)",
        secs(killed, took.at),
        secs(r1.started_at().unwrap(), gone),
        secs(r1.started_at().unwrap(), init.at)
    );
}
