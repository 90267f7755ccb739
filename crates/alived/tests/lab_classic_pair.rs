//! Root test: the classic pair (VRRPv2, advert_int 1, PASS authentication, priorities 100 and
//! 99) and its v2 timers (behaviour spec 5.2): an orderly stop (priority 0) hands over after
//! the skew only (~0.61 s), a restarted higher-priority node preempts one
//! Master_Down_Interval (~3.61 s) after it starts, and after a SIGKILL the backup waits
//! Master_Down_Interval from the last advert it heard (2.6 to 3.6 s after the kill).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Instant;

use common::*;

#[test]
fn classic_pair_v2_timers() {
    let mut t = topology("classic", 2);
    let vip = t.vip();
    let vip_s = vip.to_string();
    t.router(0)
        .unwrap()
        .set_config(VrrpConf::classic("r1", 100, vip).render());
    t.router(1)
        .unwrap()
        .set_config(VrrpConf::classic("r2", 99, vip).render());

    t.router(0).unwrap().start().unwrap();
    let r1 = &t.routers[0];
    let init = expect_line(r1, "(VI_1) Entering BACKUP STATE (init)", SLOW);
    let m = expect_line(r1, "(VI_1) Entering MASTER STATE", SLOW);
    expect_vip(r1, &vip_s, true, SLOW);
    let first = secs(init.at, m.at);
    t.router(1).unwrap().start().unwrap();
    expect_line(&t.routers[1], "(VI_1) Entering BACKUP STATE (init)", SLOW);

    // Orderly stop: priority 0, so r2 waits only its skew, (256-99)/256 s.
    let m2 = t.routers[1].mark();
    let stopping = Instant::now();
    t.router(0).unwrap().stop().unwrap();
    let r2 = &t.routers[1];
    let got = expect_line_since(r2, m2, "(VI_1) Entering MASTER STATE", SLOW);
    expect_vip(r2, &vip_s, true, SLOW);
    let prio0 = secs(stopping, got.at);

    // r1 returns and preempts after one Master_Down_Interval, discarding r2's adverts.
    let m2 = t.routers[1].mark();
    t.router(0).unwrap().start().unwrap();
    let r1 = &t.routers[0];
    let started = r1.started_at().unwrap();
    let back = expect_line(r1, "(VI_1) Entering MASTER STATE", SLOW);
    expect_line_since(&t.routers[1], m2, "(VI_1) Entering BACKUP STATE", SLOW);
    expect_vip(&t.routers[1], &vip_s, false, SLOW);
    expect_vip(r1, &vip_s, true, SLOW);
    let preempt = secs(started, back.at);
    let discards = r1.lines_with("received lower priority (99) advert").len();

    // Power cut on r1.
    let m2 = t.routers[1].mark();
    let killed = t.router(0).unwrap().crash().unwrap();
    let r2 = &t.routers[1];
    let got = expect_line_since(r2, m2, "(VI_1) Entering MASTER STATE", SLOW);
    expect_vip(r2, &vip_s, true, SLOW);
    let crash = secs(killed, got.at);

    eprintln!(
        "measured: first MASTER {first:.3}s after (init); priority-0 handover {prio0:.3}s; \
         preemption {preempt:.3}s after restart ({discards} lower-priority adverts discarded); \
         takeover {crash:.3}s after SIGKILL"
    );
    // Generous bounds that still tell the timers apart (skew 0.61 s, down interval 3.61 s).
    assert!(
        (3.0..10.0).contains(&first),
        "first election after {first:.3}s"
    );
    assert!(
        prio0 < 2.5,
        "priority 0 should cut the wait to the skew: {prio0:.3}s"
    );
    assert!(
        (3.0..10.0).contains(&preempt),
        "preemption after {preempt:.3}s"
    );
    assert!(discards >= 1, "r1 never discarded a lower-priority advert");
    assert!(
        (2.0..10.0).contains(&crash),
        "takeover {crash:.3}s after SIGKILL"
    );
}

/// PASS authentication is really checked: with different passwords each router drops the
/// other's adverts (`(VI_1) received an invalid passwd!`, behaviour spec 6) and both end up
/// MASTER holding the VIP (split brain, as with keepalived).
#[test]
fn mismatched_passwords_are_rejected_and_both_become_master() {
    let mut t = topology("passwd", 2);
    let vip = t.vip();
    let vip_s = vip.to_string();
    for (i, prio, pass) in [(0, 100, "alpha"), (1, 99, "bravo")] {
        let r = t.router(i).unwrap();
        let mut conf = VrrpConf::classic(&r.name.clone(), prio, vip);
        conf.auth_pass = Some(pass.to_owned());
        r.set_config(conf.render());
    }
    t.router(0).unwrap().start().unwrap();
    expect_line(&t.routers[0], "(VI_1) Entering MASTER STATE", SLOW);
    t.router(1).unwrap().start().unwrap();
    let (r1, r2) = (&t.routers[0], &t.routers[1]);
    let bad = expect_line(r2, "(VI_1) received an invalid passwd!", SLOW);
    let m2 = expect_line(r2, "(VI_1) Entering MASTER STATE", SLOW);
    expect_line(r1, "(VI_1) received an invalid passwd!", SLOW);
    expect_vip(r1, &vip_s, true, SLOW);
    expect_vip(r2, &vip_s, true, SLOW);
    assert_eq!(r1.last_state().as_deref(), Some("MASTER"));
    assert_eq!(r2.last_state().as_deref(), Some("MASTER"));
    eprintln!(
        "measured: r2 rejected a bad password {:.3}s after start and went MASTER {:.3}s after start",
        secs(r2.started_at().unwrap(), bad.at),
        secs(r2.started_at().unwrap(), m2.at)
    );
}
