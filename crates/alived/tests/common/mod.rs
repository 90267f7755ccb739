//! Shared helpers for the root scenario tests (tests/lab_*.rs).
//!
//! The lab code itself lives in the binary's `demo` module (src/demo/*.rs), so `alived demo`
//! and these tests drive daemons the same way; it is included here by path.
//!
//! The daemon under test is this package's `alived` binary. `ALIVED_TEST_DAEMON=keepalived`
//! (or a path to a keepalived binary) runs the same scenarios against keepalived 2.2.7,
//! which is how the harness itself is validated; `ALIVED_TEST_DAEMONS=keepalived,alived`
//! mixes them router by router (interoperability).
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

/// `alived`, `keepalived`, or a path to either.
pub fn parse_daemon(name: &str) -> Daemon {
    match name.trim() {
        "" | "alived" => Daemon::Alived(PathBuf::from(env!("CARGO_BIN_EXE_alived"))),
        "keepalived" => Daemon::keepalived(),
        path if path.contains("keepalived") => Daemon::Keepalived(PathBuf::from(path)),
        path => Daemon::Alived(PathBuf::from(path)),
    }
}

/// The daemon selected by `ALIVED_TEST_DAEMON` (`alived` by default).
pub fn daemon_under_test() -> Daemon {
    parse_daemon(&std::env::var("ALIVED_TEST_DAEMON").unwrap_or_default())
}

/// The daemons for routers r1..rN: `ALIVED_TEST_DAEMONS=keepalived,alived` assigns them in
/// turn (r1 keepalived, r2 alived, r3 keepalived...) for interoperability runs; otherwise
/// every router runs [`daemon_under_test`].
pub fn daemons(n: usize) -> Vec<Daemon> {
    let list = std::env::var("ALIVED_TEST_DAEMONS").unwrap_or_default();
    let names: Vec<&str> = list.split(',').filter(|s| !s.trim().is_empty()).collect();
    if names.is_empty() {
        return vec![daemon_under_test(); n];
    }
    (0..n)
        .map(|i| parse_daemon(names[i % names.len()]))
        .collect()
}

/// A topology of `n` routers and a client running the daemons under test.
pub fn topology(tag: &str, n: usize) -> Topology {
    let daemons = daemons(n);
    for (i, d) in daemons.iter().enumerate() {
        eprintln!("r{}: {} ({})", i + 1, d.label(), d.path().display());
    }
    Topology::with_daemons(tag, &daemons).expect("build the lab")
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
