//! Arbitrary (time delta, input) sequences against one VRRP instance: no panic, and the
//! invariants of `alived_vrrp::sim::fuzz::run_case` hold (VIPs held iff MASTER, no double add,
//! no priority 0 from a backup, priority within bounds, a timer armed in BACKUP
//! and MASTER and none in FAULT/STOP, no timer in the past).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(v) = alived_vrrp::sim::fuzz::run_case(data) {
        panic!("invariant violated: {}", v.0);
    }
});
