//! Shared helpers for the root scenario tests (tests/lab_*.rs).
//!
//! The lab code itself lives in the binary's `demo` module (src/demo/*.rs), so `alived demo`
//! and these tests drive daemons the same way; it is included here by path.
//!
//! The daemon under test is this package's `alived` binary. `ALIVED_TEST_DAEMON=keepalived`
//! (or a path to a keepalived binary) runs the same scenarios against keepalived 2.2.7,
//! which is how the harness itself is validated.
#![allow(dead_code, unused_imports)]

#[path = "../../src/demo/conf.rs"]
pub mod conf;
#[path = "../../src/demo/router.rs"]
pub mod router;
#[path = "../../src/demo/topology.rs"]
pub mod topology;
#[path = "../../src/demo/watch.rs"]
pub mod watch;

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use alived_sys::testnet::wait_until;
pub use conf::VrrpConf;
pub use router::{Daemon, LogLine, Router};
pub use topology::Topology;
pub use watch::{ArpWatch, SeenArp, arping, fmt_mac};

/// Generous bound for anything that should take well under a second with advert_int 0.1.
pub const FAST: Duration = Duration::from_secs(10);
/// Generous bound for VRRPv2 timings (Master_Down_Interval about 3.6 s).
pub const SLOW: Duration = Duration::from_secs(30);

/// The daemon selected by `ALIVED_TEST_DAEMON` (`alived` by default).
pub fn daemon_under_test() -> Daemon {
    match std::env::var("ALIVED_TEST_DAEMON").ok().as_deref() {
        None | Some("") | Some("alived") => {
            Daemon::Alived(PathBuf::from(env!("CARGO_BIN_EXE_alived")))
        }
        Some("keepalived") => Daemon::keepalived(),
        Some(path) if path.contains("keepalived") => Daemon::Keepalived(PathBuf::from(path)),
        Some(path) => Daemon::Alived(PathBuf::from(path)),
    }
}

/// A topology of `n` routers and a client running the daemon under test.
pub fn topology(tag: &str, n: usize) -> Topology {
    let daemon = daemon_under_test();
    eprintln!(
        "daemon under test: {} ({})",
        daemon.label(),
        daemon.path().display()
    );
    Topology::new(tag, n, &daemon).expect("build the lab")
}

/// Waits for `pattern` in the current run of `r`, panicking with a clear message.
pub fn expect_line(r: &Router, pattern: &str, timeout: Duration) -> LogLine {
    r.wait_for_line(pattern, timeout)
        .unwrap_or_else(|| panic!("{}: no {pattern:?} within {timeout:?}", r.name))
}

/// Waits for `pattern` after `mark` in `r`'s log, panicking with a clear message.
pub fn expect_line_since(r: &Router, mark: usize, pattern: &str, timeout: Duration) -> LogLine {
    r.wait_for_line_since(mark, pattern, timeout)
        .unwrap_or_else(|| {
            panic!(
                "{}: no {pattern:?} after mark {mark} within {timeout:?}",
                r.name
            )
        })
}

/// Waits until `r` holds (or does not hold) `vip`; returns when that was first seen.
pub fn expect_vip(r: &Router, vip: &str, present: bool, timeout: Duration) -> Instant {
    let ok = wait_until(timeout, || r.has_vip(vip).unwrap_or(!present) == present);
    assert!(
        ok,
        "{}: VIP {vip} {} within {timeout:?}",
        r.name,
        if present {
            "never appeared"
        } else {
            "still present"
        }
    );
    Instant::now()
}

/// Seconds between two instants, for the measurements printed by the tests.
pub fn secs(from: Instant, to: Instant) -> f64 {
    to.saturating_duration_since(from).as_secs_f64()
}
