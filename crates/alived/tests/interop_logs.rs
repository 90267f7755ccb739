//! Root test: one scenario run twice, with a keepalived 2.2.7 pair and with an alived pair;
//! the state-change lines of each router (timestamps and pids stripped, addresses reduced to
//! their host part) must match keepalived's wording and order.
//!
//! Scenario (VRRPv3, advert_int 0.1): r2 (priority 100) starts alone and becomes MASTER; r1
//! (150) starts and preempts it; r2 stops hearing adverts (nftables) so both are MASTER and
//! r1 forces a new election on r2's lower-priority adverts, then hears again and yields; r1 is
//! stopped with SIGTERM (priority 0) and r2 takes over.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod interop_support;

use std::time::Duration;

use common::{Daemon, Topology, expect_line, expect_line_since, expect_vip};
use interop_support::{Flavour, alived, conf, keepalived, settle, vip};

const KEEP: &[&str] = &[
    "Entering ",
    "setting VIPs.",
    "removing VIPs.",
    "Sending/queueing gratuitous ARPs",
    "sent 0 priority",
    "forcing new election",
    "Master received advert",
    "Backup received priority 0",
];

const T: Duration = Duration::from_secs(15);

/// Drops (or stops dropping) every VRRP packet arriving in `ns` (nftables input hook, which
/// raw sockets are behind).
fn deaf(topo: &Topology, ns: &str, on: bool) {
    let script = if on {
        "add table inet alived_test\n\
         add chain inet alived_test input { type filter hook input priority 0; }\n\
         add rule inet alived_test input ip protocol vrrp drop\n"
    } else {
        "delete table inet alived_test\n"
    };
    let path = std::env::temp_dir().join(format!("alived-nft-{ns}.nft"));
    std::fs::write(&path, script).expect("nft script");
    let out = topo
        .lab
        .exec(ns, &["nft", "-f", &path.to_string_lossy()])
        .expect("run nft");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "{out:?}");
}

/// Runs the scenario with `daemon` on both routers; returns each router's normalised lines.
fn scenario(tag: &str, daemon: Daemon) -> [Vec<String>; 2] {
    let f = Flavour::V3V4;
    let mut topo = Topology::with_daemons(tag, &[daemon.clone(), daemon]).expect("lab");
    let vip = vip(&topo, f);
    for (i, prio) in [(0, 150), (1, 100)] {
        let c = conf(&topo, i, 2, f, prio, 58, &vip);
        topo.routers[i].set_config(c);
    }
    let master = "(VI_1) Entering MASTER STATE";
    let backup = "(VI_1) Entering BACKUP STATE";
    // r2 alone.
    topo.routers[1].start().expect("r2");
    expect_line(&topo.routers[1], master, T);
    expect_vip(&topo.routers[1], &vip, true, T);
    // r1 preempts.
    let m2 = topo.routers[1].mark();
    topo.routers[0].start().expect("r1");
    expect_line(&topo.routers[0], master, T);
    expect_line_since(&topo.routers[1], m2, backup, T);
    expect_vip(&topo.routers[1], &vip, false, T);
    settle(Duration::from_millis(500));
    // r2 deaf: it becomes MASTER too, and r1 forces a new election on its lower-priority
    // adverts; once r2 hears again it yields.
    let (m1, m2) = (topo.routers[0].mark(), topo.routers[1].mark());
    let r2ns = topo.routers[1].ns.clone();
    deaf(&topo, &r2ns, true);
    expect_line_since(&topo.routers[1], m2, master, T);
    expect_line_since(&topo.routers[0], m1, "forcing new election", T);
    // Marked before r2 hears again: it can yield before `deaf` even returns.
    let m2 = topo.routers[1].mark();
    deaf(&topo, &r2ns, false);
    expect_line_since(&topo.routers[1], m2, backup, T);
    expect_vip(&topo.routers[1], &vip, false, T);
    settle(Duration::from_millis(500));
    // Orderly stop of r1.
    let m2 = topo.routers[1].mark();
    topo.routers[0].stop().expect("stop r1");
    expect_line_since(&topo.routers[1], m2, master, T);
    expect_line_since(&topo.routers[1], m2, "Sending/queueing gratuitous ARPs", T);
    settle(Duration::from_millis(300));

    let prefix = format!("10.{}.{}.", topo.subnet[0], topo.subnet[1]);
    let lines = |i: usize| -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for l in topo.routers[i].log().lines() {
            if !KEEP.iter().any(|k| l.text.contains(k)) {
                continue;
            }
            let s = l.text.trim().replace(&prefix, "10.x.y.");
            // A repeated GARP burst line (garp_master_delay) collapses into the first.
            if v.last() != Some(&s) {
                v.push(s);
            }
            // So does a repeated pair: each lower-priority advert heard while deaf-r2 was
            // MASTER gives "forcing new election" + a GARP burst, as many as it sent.
            let n = v.len();
            if n >= 4 && v[n - 2..] == v[n - 4..n - 2] {
                v.truncate(n - 2);
            }
        }
        v
    };
    [lines(0), lines(1)]
}

#[test]
fn state_change_lines_match_keepalived_wording_and_order() {
    let Some(k) = keepalived() else { return };
    let want = scenario("ilk", k);
    let got = scenario("ila", alived());
    for i in 0..2 {
        eprintln!("r{}: keepalived\n  {}", i + 1, want[i].join("\n  "));
        eprintln!("r{}: alived\n  {}", i + 1, got[i].join("\n  "));
    }
    for i in 0..2 {
        assert_eq!(
            got[i],
            want[i],
            "r{}: alived's state-change lines differ from keepalived's",
            i + 1
        );
    }
}
