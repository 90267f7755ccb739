//! Root tests: reload on HUP (behaviour spec 4.2), as measured on keepalived 2.2.7. An
//! unchanged instance keeps its VIP through the reload and its backup never takes over; an
//! added instance starts; a removed one releases its VIP (priority 0, the backup takes over)
//! and is notified DELETED (`notify_deleted`) or FAULT; a configuration with errors is refused
//! and the old one keeps running.
//!
//! `ALIVED_TEST_DAEMON=keepalived` runs the same tests against keepalived 2.2.7, which is how
//! the expectations were checked (the refused-config test fails there by design: 2.2.7's VRRP
//! process exits on such a configuration and leaves its VIPs in place);
//! `ALIVED_TEST_PEER=keepalived` makes the backups keepalived (interoperability).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod driver_support;
mod ha_support;

use alived_sys::testnet::wait_until;
use driver_support::*;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::path::Path;
use std::time::{Duration, Instant};

/// One VRRPv3 instance at advert_int 0.1; `extra` goes inside the block.
fn inst(name: &str, prio: u8, vrid: u8, vip: &str, extra: &str) -> String {
    format!(
        "vrrp_instance {name} {{\n  interface eth0\n  virtual_router_id {vrid}\n  priority {prio}\n  \
         version 3\n  advert_int 0.1\n{extra}\n  virtual_ipaddress {{\n    {vip}/24\n  }}\n}}\n"
    )
}

fn hup(r: &Router) {
    let pid: i32 = std::fs::read_to_string(r.pid_path())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    kill(Pid::from_raw(pid), Signal::SIGHUP).unwrap();
}

/// Polls every 10 ms, for `span` at most, that `vip` stays on `r`; returns the number of
/// polls where it was missing. Stops early once `done` holds for a second after the first
/// poll (the reload is over), and never runs more than `span`.
fn missing_polls(n: &Net, r: &Router, vip: &str, span: Duration, done: impl Fn() -> bool) -> usize {
    let start = Instant::now();
    let mut missing = 0;
    let mut done_at = None;
    while start.elapsed() < span {
        if !r.has_addr(&n.lab, vip) {
            missing += 1;
        }
        if done_at.is_none() && done() {
            done_at = Some(Instant::now());
        }
        if done_at.is_some_and(|t| t.elapsed() > Duration::from_secs(1)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        done(),
        "{}: the reload never completed\n{}",
        r.ns,
        r.log_text()
    );
    missing
}

/// A notify script that appends its arguments to `out`.
fn script(dir: &Path, name: &str, out: &Path) -> String {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("#!/bin/sh\necho \"$*\" >> {}\n", out.display()),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path.display().to_string()
}

/// The daemon under test: alived, or keepalived with `ALIVED_TEST_DAEMON=keepalived`.
fn daemon() -> &'static str {
    match std::env::var("ALIVED_TEST_DAEMON").as_deref() {
        Ok("keepalived") => "/usr/sbin/keepalived",
        _ => BIN,
    }
}

/// The daemon of r2 in [`pair`]: the one under test, or `ALIVED_TEST_PEER=keepalived` for a
/// keepalived 2.2.7 peer (interoperability: a reload must not make a keepalived backup take
/// over either).
fn peer() -> &'static str {
    match std::env::var("ALIVED_TEST_PEER").as_deref() {
        Ok("keepalived") => "/usr/sbin/keepalived",
        _ => daemon(),
    }
}

/// r1 (150) MASTER of VI_1 and r2 (100) its backup.
fn pair(tag: &str, net_no: u8, r1_conf: &str, r2_conf: &str) -> Net {
    let mut n = net(tag, 2, net_no);
    n.routers[0].configure(r1_conf);
    n.routers[1].configure(r2_conf);
    // r1 first, r2 once r1's down timer runs: r1 wins without a transient MASTER on r2.
    n.routers[0].start_bin(daemon());
    assert!(
        n.routers[0].wait_log(BACKUP_INIT, 1, T),
        "{}",
        n.routers[0].log_text()
    );
    n.routers[1].start_bin(peer());
    assert!(
        n.routers[0].wait_log(MASTER, 1, T),
        "{}",
        n.routers[0].log_text()
    );
    assert!(n.routers[1].wait_log("(VI_1) Entering BACKUP STATE", 1, T));
    n
}

#[test]
fn an_unchanged_config_keeps_the_master_and_its_vip_through_reloads() {
    let vip = "10.90.0.100";
    let n = pair(
        "rlsame",
        90,
        &inst("VI_1", 150, 51, vip, ""),
        &inst("VI_1", 100, 51, vip, ""),
    );
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    assert!(wait_vip(&n.lab, r1, vip, true));
    let vrrp_pid = r1.vrrp_pid();
    for round in 1..=3 {
        hup(r1);
        let missing = missing_polls(&n, r1, vip, T, || {
            r1.lines_with("Reload complete").len() >= round
        });
        assert_eq!(missing, 0, "round {round}: the VIP went missing");
    }
    // The backup reloads too, and stays backup.
    hup(r2);
    assert!(r2.wait_log("Reload complete", 1, T), "{}", r2.log_text());
    std::thread::sleep(Duration::from_millis(500));
    assert!(r1.lines_with("Reloading ...").len() >= 3);
    assert_eq!(
        r2.lines_with("(VI_1) Entering MASTER STATE").len(),
        0,
        "{}",
        r2.log_text()
    );
    assert_eq!(r1.lines_with("(VI_1) Entering MASTER STATE").len(), 1);
    assert_eq!(r1.vrrp_pid(), vrrp_pid, "the VRRP process was restarted");
    assert!(r1.has_addr(&n.lab, vip) && !r2.has_addr(&n.lab, vip));
    // Measured on 2.2.7: each reload sets a master's VIPs again (`(VI_1) setting VIPs.`), so
    // a VIP deleted from outside comes back with the next reload.
    assert_eq!(
        r1.lines_with("(VI_1) setting VIPs.").len(),
        4,
        "{}",
        r1.log_text()
    );
    n.lab
        .ip(
            &r1.ns,
            &["addr", "del", &format!("{vip}/24"), "dev", "eth0"],
        )
        .unwrap();
    assert!(wait_vip(&n.lab, r1, vip, false));
    hup(r1);
    assert!(r1.wait_log("Reload complete", 4, T), "{}", r1.log_text());
    assert!(wait_vip(&n.lab, r1, vip, true), "{}", r1.log_text());
}

#[test]
fn a_reload_adds_and_removes_instances_with_notify_deleted_and_fault() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("args");
    let s = script(dir.path(), "n.sh", &out);
    let (v1, v2, v3, v4) = ("10.91.0.100", "10.91.0.101", "10.91.0.102", "10.91.0.103");
    let notify_2 = format!("  notify_deleted \"{s} VI_2 deleted\"\n  notify \"{s} any\"");
    let notify_4 = format!("  notify \"{s} any\"\n  notify_fault \"{s} VI_4 fault\"");
    let fifo_path = dir.path().join("fifo");
    let fifo = ha_support::FifoReader::start(&fifo_path);
    let global = format!(
        "global_defs {{\n  notify_fifo {}\n}}\n",
        fifo_path.display()
    );
    let r1_old = global.clone()
        + &inst("VI_1", 150, 51, v1, "")
        + &inst("VI_2", 150, 52, v2, &notify_2)
        + &inst("VI_4", 150, 54, v4, &notify_4);
    let r2_conf = inst("VI_1", 100, 51, v1, "") + &inst("VI_2", 100, 52, v2, "");
    let n = pair("rladd", 91, &r1_old, &r2_conf);
    {
        let r1 = &n.routers[0];
        assert!(r1.wait_log("(VI_2) Entering MASTER STATE", 1, T));
        assert!(r1.wait_log("(VI_4) Entering MASTER STATE", 1, T));
        assert!(wait_vip(&n.lab, r1, v2, true) && wait_vip(&n.lab, r1, v4, true));
    }
    // VI_2 and VI_4 go, VI_3 comes.
    let r1_new = global + &inst("VI_1", 150, 51, v1, "") + &inst("VI_3", 150, 53, v3, "");
    n.routers[0].configure(&r1_new);
    // The start-up notifications (BACKUP then MASTER for VI_2 and VI_4) first: the scripts run
    // in the background and one could land after the reload.
    let startup_lines = || {
        std::fs::read_to_string(&out)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("MASTER 150") || l.contains("BACKUP 150"))
            .count()
    };
    assert!(
        wait_until(T, || startup_lines() >= 4),
        "{}",
        startup_lines()
    );
    let _ = std::fs::remove_file(&out);
    hup(&n.routers[0]);
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    let missing = missing_polls(&n, r1, v1, T, || {
        !r1.lines_with("Reload complete").is_empty()
    });
    assert_eq!(missing, 0, "VI_1's VIP went missing");
    // Removed: priority 0 and VIPs released; r2 takes VI_2 over.
    assert!(
        r1.wait_log("(VI_2) sent 0 priority", 1, T),
        "{}",
        r1.log_text()
    );
    assert!(wait_vip(&n.lab, r1, v2, false) && wait_vip(&n.lab, r1, v4, false));
    assert!(
        r2.wait_log("(VI_2) Entering MASTER STATE", 1, T),
        "{}",
        r2.log_text()
    );
    assert!(wait_vip(&n.lab, r2, v2, true));
    // Added: VI_3 starts and becomes master.
    assert!(
        r1.wait_log("(VI_3) Entering MASTER STATE", 1, T),
        "{}",
        r1.log_text()
    );
    assert!(wait_vip(&n.lab, r1, v3, true));
    // Measured on 2.2.7: an added instance starts without `removing VIPs.`.
    assert!(
        r1.lines_with("(VI_3) removing VIPs.").is_empty(),
        "{}",
        r1.log_text()
    );
    // Notified as 2.2.7 does.
    let want = [
        "VI_2 deleted",
        "any INSTANCE VI_2 DELETED 150",
        "any INSTANCE VI_4 FAULT 150",
    ];
    let got = || {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    assert!(
        wait_until(T, || got() == want),
        "notify arguments: {:?}",
        got()
    );
    // The FIFO: DELETED with notify_deleted, FAULT without, then VI_3's start.
    let fifo_has = |l: &str| fifo.lines().iter().any(|x| x == l);
    assert!(
        wait_until(T, || fifo_has("INSTANCE \"VI_3\" MASTER 150")),
        "{:?}",
        fifo.lines()
    );
    assert!(
        fifo_has("INSTANCE \"VI_2\" DELETED 150"),
        "{:?}",
        fifo.lines()
    );
    assert!(
        fifo_has("INSTANCE \"VI_4\" FAULT 150"),
        "{:?}",
        fifo.lines()
    );
    assert_eq!(r2.lines_with("(VI_1) Entering MASTER STATE").len(), 0);
    // VI_2 back (same VRID, same socket as before its removal): it starts again and, with
    // the higher priority, takes its VIP back from r2.
    r1.configure(&(r1_new + &inst("VI_2", 150, 52, v2, "")));
    hup(r1);
    assert!(r1.wait_log("Reload complete", 2, T), "{}", r1.log_text());
    assert!(
        r1.wait_log("(VI_2) Entering MASTER STATE", 2, T),
        "{}",
        r1.log_text()
    );
    assert!(wait_vip(&n.lab, r1, v2, true) && wait_vip(&n.lab, r2, v2, false));
    assert!(r1.has_addr(&n.lab, v1) && r1.has_addr(&n.lab, v3));
}

#[test]
fn a_changed_instance_keeps_its_state_swaps_vips_and_takes_its_new_priority() {
    let (v1, v1b, v1c) = ("10.93.0.100", "10.93.0.101", "10.93.0.102");
    let two = |a: &str, b: &str| format!("{a}/24\n    {b}");
    let r1_old = inst("VI_1", 150, 51, &two(v1, v1b), "");
    let n = pair(
        "rlchg",
        93,
        &r1_old,
        &inst("VI_1", 100, 51, &two(v1, v1b), ""),
    );
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    assert!(wait_vip(&n.lab, r1, v1b, true));
    // v1b goes, v1c comes, priority 140: still above r2, so r1 stays MASTER.
    r1.configure(&inst("VI_1", 140, 51, &two(v1, v1c), ""));
    hup(r1);
    let missing = missing_polls(&n, r1, v1, T, || {
        !r1.lines_with("Reload complete").is_empty()
    });
    assert_eq!(missing, 0, "the kept VIP went missing");
    assert!(wait_vip(&n.lab, r1, v1c, true) && wait_vip(&n.lab, r1, v1b, false));
    assert!(
        !r1.lines_with(&format!(
            "(VI_1) ip address {v1b}/24 dev eth0, no longer exist"
        ))
        .is_empty(),
        "{}",
        r1.log_text()
    );
    assert_eq!(r1.lines_with("(VI_1) Entering MASTER STATE").len(), 1);
    // r2 (BACKUP) takes the same VIP list (2.2.7 drops adverts whose list differs) and stays
    // BACKUP; then r1 drops to priority 90, below r2's 100, and r2 preempts.
    r2.configure(&inst("VI_1", 100, 51, &two(v1, v1c), ""));
    hup(r2);
    assert!(r2.wait_log("Reload complete", 1, T), "{}", r2.log_text());
    assert!(!r2.has_addr(&n.lab, v1c));
    r1.configure(&inst("VI_1", 90, 51, &two(v1, v1c), ""));
    hup(r1);
    assert!(
        r2.wait_log("(VI_1) Entering MASTER STATE", 1, T),
        "{}",
        r2.log_text()
    );
    assert!(
        r1.wait_log("(VI_1) Entering BACKUP STATE", 2, T),
        "{}",
        r1.log_text()
    );
    assert!(wait_vip(&n.lab, r1, v1, false));
}

#[test]
fn a_config_with_errors_is_refused_and_the_old_one_keeps_running() {
    let vip = "10.92.0.100";
    let good = inst("VI_1", 150, 51, vip, "");
    let n = pair("rlbad", 92, &good, &inst("VI_1", 100, 51, vip, ""));
    let vrrp_pid = n.routers[0].vrrp_pid();
    assert!(wait_vip(&n.lab, &n.routers[0], vip, true));
    // An instance with an impossible VRID, and a priority change that must not apply.
    let bad = inst("VI_1", 50, 51, vip, "")
        + &inst("VI_9", 100, 51, "10.92.0.109", "")
            .replace("virtual_router_id 51", "virtual_router_id 300");
    n.routers[0].configure(&bad);
    hup(&n.routers[0]);
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    assert!(
        r1.wait_log("New config failed validation", 1, T),
        "{}",
        r1.log_text()
    );
    assert!(
        !r1.lines_with("VRID '300' not valid").is_empty(),
        "{}",
        r1.log_text()
    );
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(r1.vrrp_pid(), vrrp_pid);
    assert!(r1.has_addr(&n.lab, vip));
    assert!(r1.lines_with("Reload complete").is_empty());
    assert_eq!(r2.lines_with("(VI_1) Entering MASTER STATE").len(), 0);
    // The process still reloads a good configuration afterwards.
    n.routers[0].configure(&good);
    hup(&n.routers[0]);
    assert!(n.routers[0].wait_log("Reload complete", 1, T));
    // An error keepalived only reports (an unknown keyword) is logged and the rest applied.
    let typo = good.replace("  priority 150", "  priorty 150\n  priority 150");
    n.routers[0].configure(&typo);
    hup(&n.routers[0]);
    assert!(n.routers[0].wait_log("Reload complete", 2, T));
    assert!(!n.routers[0].lines_with("priorty").is_empty());
}

#[test]
fn static_addresses_are_diffed_on_reload() {
    let vip = "10.94.0.100";
    let statics = |a: &str, b: &str| {
        format!("static_ipaddress {{\n  {a}/24 dev eth0\n  {b}/24 dev eth0\n}}\n")
    };
    let (s1, s2, s3) = ("10.94.5.1", "10.94.5.2", "10.94.5.3");
    let mut n = net("rlstat", 1, 94);
    n.routers[0].configure(&(statics(s1, s2) + &inst("VI_1", 150, 51, vip, "")));
    n.routers[0].start_bin(daemon());
    let r = &n.routers[0];
    assert!(r.wait_log(MASTER, 1, T), "{}", r.log_text());
    assert!(wait_vip(&n.lab, r, s2, true));
    r.configure(&(statics(s1, s3) + &inst("VI_1", 150, 51, vip, "")));
    hup(r);
    let missing = missing_polls(&n, r, s1, T, || !r.lines_with("Reload complete").is_empty());
    assert_eq!(missing, 0, "a kept static address went missing");
    assert!(wait_vip(&n.lab, r, s3, true) && wait_vip(&n.lab, r, s2, false));
    assert!(
        !r.lines_with(&format!("ip address {s2}/24 dev eth0, no longer exist"))
            .is_empty(),
        "{}",
        r.log_text()
    );
    assert!(r.has_addr(&n.lab, vip));
}

/// A `vrrp_script chk` (interval 1 s, weight -60) running `body` from a script in `dir`, and
/// the `track_script` block that tracks it.
fn chk_script(dir: &std::path::Path, body: &str) -> (String, &'static str) {
    let chk = dir.join("chk.sh");
    std::fs::write(&chk, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&chk, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let script = format!(
        "vrrp_script chk {{\n  script {}\n  interval 1\n  weight -60\n}}\n",
        chk.display()
    );
    (script, "  track_script {\n    chk\n  }")
}

#[test]
fn a_tracked_script_keeps_its_state_when_the_trackers_are_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let (script, track) = chk_script(
        dir.path(),
        &format!("echo run >> {}\nexit 1", runs.display()),
    );
    let (v1, v2) = ("10.95.0.100", "10.95.0.101");
    let mut n = net("rltrk", 1, 95);
    n.routers[0].configure(&(script.clone() + &inst("VI_1", 150, 51, v1, track)));
    n.routers[0].start_bin(daemon());
    let r = &n.routers[0];
    let lowered = "(VI_1) Changing effective priority from 150 to 90";
    assert!(r.wait_log(lowered, 1, T), "{}", r.log_text());
    assert!(r.wait_log(MASTER, 1, T), "{}", r.log_text());
    // A new instance (tracking the same script) makes the trackers start again.
    r.configure(&(script + &inst("VI_1", 150, 51, v1, track) + &inst("VI_2", 150, 52, v2, track)));
    hup(r);
    assert!(r.wait_log("Reload complete", 1, T), "{}", r.log_text());
    let count = || {
        std::fs::read_to_string(&runs)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let after_reload = count();
    // Two more runs of the script: it still fails, and VI_1 never moves.
    assert!(wait_until(T, || count() >= after_reload + 2));
    assert!(
        r.wait_log("(VI_2) Entering MASTER STATE", 1, T),
        "{}",
        r.log_text()
    );
    // Measured on 2.2.7: the state is carried and logged, and the new instance takes it at
    // once.
    let has = |l: &str| !r.lines_with(l).is_empty();
    let log = r.log_text();
    assert!(
        has("VRRP_Script(chk) considered unsuccessful on reload"),
        "{log}"
    );
    assert!(
        has("(VI_2) Changing effective priority from 150 to 90"),
        "{log}"
    );
    assert!(!has("Changing effective priority from 90 to 150"), "{log}");
    assert_eq!(r.lines_with(MASTER).len(), 1);
    assert!(r.has_addr(&n.lab, v1));
}

#[test]
fn a_tracked_script_s_change_after_the_trackers_were_rebuilt_is_seen() {
    // The script fails while `fail` exists.
    let dir = tempfile::tempdir().unwrap();
    let fail = dir.path().join("fail");
    std::fs::write(&fail, "").unwrap();
    let (script, track) = chk_script(dir.path(), &format!("test ! -e {}", fail.display()));
    let v1 = "10.97.0.100";
    let mut n = net("rltrk2", 1, 97);
    n.routers[0].configure(&(script.clone() + &inst("VI_1", 150, 51, v1, track)));
    n.routers[0].start_bin(daemon());
    let r = &n.routers[0];
    assert!(
        r.wait_log("(VI_1) Changing effective priority from 150 to 90", 1, T),
        "{}",
        r.log_text()
    );
    // A second script makes the trackers start again (and nothing else changes: no address
    // or link event follows); the new trackers' results must reach the loop as the old
    // ones' did.
    let other = "vrrp_script other {\n  script /bin/true\n  interval 1\n}\n";
    let track2 = "  track_script {\n    chk\n    other\n  }";
    r.configure(&(script + other + &inst("VI_1", 150, 51, v1, track2)));
    hup(r);
    assert!(r.wait_log("Reload complete", 1, T), "{}", r.log_text());
    std::fs::remove_file(&fail).unwrap();
    assert!(
        r.wait_log("(VI_1) Changing effective priority from 90 to 150", 1, T),
        "{}",
        r.log_text()
    );
}

#[test]
fn a_sync_group_member_changed_then_removed() {
    let (v1, v2) = ("10.96.0.100", "10.96.0.101");
    let group =
        |members: &str| format!("vrrp_sync_group G1 {{\n  group {{\n    {members}\n  }}\n}}\n");
    let r1_old =
        group("VI_1\n    VI_2") + &inst("VI_1", 150, 51, v1, "") + &inst("VI_2", 150, 52, v2, "");
    let r2_conf = inst("VI_1", 100, 51, v1, "") + &inst("VI_2", 100, 52, v2, "");
    let n = pair("rlgrp", 96, &r1_old, &r2_conf);
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    assert!(wait_vip(&n.lab, r1, v1, true) && wait_vip(&n.lab, r1, v2, true));
    // A member's priority changes: the group stays MASTER, no VIP moves.
    r1.configure(
        &(group("VI_1\n    VI_2")
            + &inst("VI_1", 150, 51, v1, "")
            + &inst("VI_2", 140, 52, v2, "")),
    );
    hup(r1);
    let missing = missing_polls(&n, r1, v2, T, || {
        !r1.lines_with("Reload complete").is_empty()
    });
    assert_eq!(missing, 0, "VI_2's VIP went missing");
    assert!(r1.has_addr(&n.lab, v1));
    // VI_2 leaves the group and the configuration: r2 takes it, VI_1 stays.
    r1.configure(&(group("VI_1") + &inst("VI_1", 150, 51, v1, "")));
    hup(r1);
    let missing = missing_polls(&n, r1, v1, T, || {
        r1.lines_with("Reload complete").len() >= 2
    });
    assert_eq!(missing, 0, "VI_1's VIP went missing");
    assert!(wait_vip(&n.lab, r1, v2, false) && wait_vip(&n.lab, r2, v2, true));
    assert_eq!(r1.lines_with("(VI_1) Entering MASTER STATE").len(), 1);
    assert_eq!(r2.lines_with("(VI_1) Entering MASTER STATE").len(), 0);
}

#[test]
fn a_reload_that_brings_the_first_instance_starts_the_vrrp_process() {
    let vip = "10.97.0.100";
    let mut n = net("rlfirst", 1, 97);
    n.routers[0].configure("global_defs {\n  router_id R1\n}\n");
    n.routers[0].start_bin(daemon());
    let r = &n.routers[0];
    assert!(wait_until(T, || r.pid_path().exists()), "{}", r.log_text());
    std::thread::sleep(Duration::from_millis(300));
    assert!(r.vrrp_pid().is_none(), "{}", r.log_text());
    r.configure(&inst("VI_1", 150, 51, vip, ""));
    hup(r);
    assert!(r.wait_log(MASTER, 1, T), "{}", r.log_text());
    assert!(wait_vip(&n.lab, r, vip, true));
    assert!(r.vrrp_pid().is_some());
}
