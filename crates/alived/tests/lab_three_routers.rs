//! Root test: three routers (priorities 100, 50, 10; VRRPv3, advert_int 0.1) converge on
//! one MASTER; when it is SIGKILLed the next-highest takes over and the lowest stays BACKUP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;

#[test]
fn three_routers_elect_the_highest_and_fail_over_to_the_next() {
    let mut t = topology("three", 3);
    let vip = t.vip();
    let vip_s = vip.to_string();
    for (i, prio) in [(0, 100), (1, 50), (2, 10)] {
        let r = t.router(i).unwrap();
        let name = r.name.clone();
        r.set_config(VrrpConf::fast_v3(&name, prio, vip).render());
    }
    let t0 = std::time::Instant::now();
    for i in 0..3 {
        t.router(i).unwrap().start().unwrap();
    }

    // Converged: r1 MASTER with the VIP, r2 and r3 BACKUP without it.
    let (r1, r2, r3) = (&t.routers[0], &t.routers[1], &t.routers[2]);
    let m = expect_line(r1, "(VI_1) Entering MASTER STATE", FAST);
    expect_vip(r1, &vip_s, true, FAST);
    for r in [r2, r3] {
        assert!(
            wait_until(FAST, || r.last_state().as_deref() == Some("BACKUP")
                && !r.has_vip(&vip_s).unwrap()),
            "{} did not settle in BACKUP without the VIP (last state {:?})",
            r.name,
            r.last_state()
        );
    }
    eprintln!("measured: r1 MASTER {:.3}s after start", secs(t0, m.at));

    // Crash the master: r2 (priority 50) takes over, r3 (10) stays BACKUP.
    let (m2, m3) = (t.routers[1].mark(), t.routers[2].mark());
    let killed = t.router(0).unwrap().crash().unwrap();
    let (r2, r3) = (&t.routers[1], &t.routers[2]);
    let took = expect_line_since(r2, m2, "(VI_1) Entering MASTER STATE", FAST);
    let vip_at = expect_vip(r2, &vip_s, true, FAST);
    assert!(
        wait_until(FAST, || r3.last_state().as_deref() == Some("BACKUP")
            && !r3.has_vip(&vip_s).unwrap()
            && r2.last_state().as_deref() == Some("MASTER")),
        "after the crash: r2 {:?}, r3 {:?} (want MASTER, BACKUP)",
        r2.last_state(),
        r3.last_state()
    );
    let r3_flaps = r3.log().find_all(m3, "Entering MASTER STATE").len();
    eprintln!(
        "measured: r2 MASTER {:.3}s after SIGKILL of r1, VIP seen on r2 after {:.3}s; \
         r3 transient MASTER entries: {r3_flaps}",
        secs(killed, took.at),
        secs(killed, vip_at)
    );
}
