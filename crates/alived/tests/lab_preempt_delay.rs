//! Root test: `preempt_delay` (VRRPv3, advert_int 0.1). A higher-priority router that joins a
//! running MASTER takes over, but only after the delay.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;

const DELAY_S: u32 = 2;

#[test]
fn higher_priority_router_takes_over_only_after_preempt_delay() {
    let mut t = topology("pdelay", 2);
    let vip = t.vip();
    let vip_s = vip.to_string();
    let mut c1 = VrrpConf::fast_v3("r1", 100, vip);
    c1.preempt_delay = Some(DELAY_S);
    t.router(0).unwrap().set_config(c1.render());
    t.router(1)
        .unwrap()
        .set_config(VrrpConf::fast_v3("r2", 99, vip).render());

    // r2 alone: MASTER.
    t.router(1).unwrap().start().unwrap();
    expect_line(&t.routers[1], "(VI_1) Entering MASTER STATE", FAST);
    expect_vip(&t.routers[1], &vip_s, true, FAST);

    // r1 joins with the higher priority and a preempt delay.
    let m2 = t.routers[1].mark();
    t.router(0).unwrap().start().unwrap();
    let (r1, r2) = (&t.routers[0], &t.routers[1]);
    let started = r1.started_at().unwrap();
    let init = expect_line(r1, "(VI_1) Entering BACKUP STATE", FAST);
    let master = expect_line(r1, "(VI_1) Entering MASTER STATE", FAST + FAST);
    expect_line_since(r2, m2, "(VI_1) Entering BACKUP STATE", FAST);
    expect_vip(r1, &vip_s, true, FAST);
    expect_vip(r2, &vip_s, false, FAST);

    let waited = master.at.duration_since(started);
    eprintln!(
        "measured: r1 MASTER {:.3}s after start ({:.3}s after its BACKUP (init) line); \
         preempt_delay {DELAY_S}s",
        waited.as_secs_f64(),
        secs(init.at, master.at)
    );
    // Without the delay r1 would preempt one Master_Down_Interval (~0.37 s) after start.
    assert!(
        waited >= Duration::from_secs(u64::from(DELAY_S)) - Duration::from_millis(50),
        "r1 preempted after {waited:?}, before the {DELAY_S}s preempt_delay"
    );
}
