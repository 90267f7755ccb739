//! Root tests: the process-scheduling settings of `global_defs` (behaviour spec 2.1, pain
//! point 12), checked in /proc on the VRRP child as measured on keepalived 2.2.7:
//! `vrrp_rt_priority` (SCHED_RR with SCHED_RESET_ON_FORK, RLIMIT_RTTIME soft = half of
//! `vrrp_rlimit_rttime`, hard = all of it), `vrrp_priority` (nice; not applied with a
//! real-time priority), `vrrp_no_swap` (VmLck), `vrrp_cpu_affinity`, SIGXCPU logged, and
//! `max_auto_priority` raising the process to real time when its timers run late.
//!
//! `ALIVED_TEST_DAEMON=keepalived` runs the same tests against keepalived 2.2.7 (how the
//! expectations were checked).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod driver_support;

use alived_sys::testnet::wait_until;
use driver_support::*;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::time::Duration;

/// The daemon under test: alived, or keepalived with `ALIVED_TEST_DAEMON=keepalived`.
fn daemon() -> &'static str {
    match std::env::var("ALIVED_TEST_DAEMON").as_deref() {
        Ok("keepalived") => "/usr/sbin/keepalived",
        _ => BIN,
    }
}

const NOTICE: &str = "NOTICE: setting config option max_auto_priority should result in better keepalived performance";

/// What /proc says about one process's scheduling.
#[derive(Debug)]
struct Sched {
    /// `/proc/PID/stat` field 19.
    nice: i64,
    /// Field 40.
    rt_priority: i64,
    /// Field 41 (0 SCHED_OTHER, 2 SCHED_RR).
    policy: i64,
    /// `Cpus_allowed_list` of `/proc/PID/status`.
    cpus: String,
    /// `VmLck` in kB.
    vm_lck_kb: u64,
    /// `Max realtime timeout` of `/proc/PID/limits`: (soft, hard), `None` for unlimited.
    rttime: (Option<u64>, Option<u64>),
}

fn sched_of(pid: i32) -> Sched {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which is in parentheses): field 3 is the first.
    let rest = stat.rsplit_once(')').unwrap().1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| f[n - 3].parse::<i64>().unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let status_field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap()
            .trim()
            .to_owned()
    };
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let rt = limits
        .lines()
        .find(|l| l.starts_with("Max realtime timeout"))
        .unwrap();
    let w: Vec<&str> = rt["Max realtime timeout".len()..]
        .split_whitespace()
        .collect();
    Sched {
        nice: field(19),
        rt_priority: field(40),
        policy: field(41),
        cpus: status_field("Cpus_allowed_list:"),
        vm_lck_kb: status_field("VmLck:")
            .trim_end_matches("kB")
            .trim()
            .parse()
            .unwrap(),
        rttime: (w[0].parse().ok(), w[1].parse().ok()),
    }
}

/// `chrt -p PID`'s policy line (shows SCHED_RESET_ON_FORK).
fn chrt_policy(pid: i32) -> String {
    let out = std::process::Command::new("chrt")
        .args(["-p", &pid.to_string()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The highest CPU id online (the one the VRRP process is pinned to).
fn last_cpu() -> u32 {
    let online = std::fs::read_to_string("/sys/devices/system/cpu/online").unwrap();
    online
        .trim()
        .split([',', '-'])
        .filter_map(|c| c.parse().ok())
        .max()
        .unwrap()
}

fn globals(lines: &[&str]) -> String {
    format!("global_defs {{\n  {}\n}}\n", lines.join("\n  "))
}

/// One router running `globals` and a VRRPv3 instance at 0.1 s adverts (alone, so MASTER);
/// returns the lab and its VRRP child's pid once it is up.
fn one_router(tag: &str, net_no: u8, globals: &str) -> (Net, i32) {
    let mut n = net(tag, 1, net_no);
    let vip = format!("10.{net_no}.0.100/24");
    n.routers[0].configure(&format!("{globals}{}", v3_conf(100, 51, &vip, "")));
    n.routers[0].start_bin(daemon());
    let r = &n.routers[0];
    assert!(r.wait_log(MASTER, 1, T), "{}", r.log_text());
    let pid = r.vrrp_pid().unwrap();
    (n, pid)
}

fn parent_pid(r: &Router) -> i32 {
    std::fs::read_to_string(r.pid_path())
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn rt_priority_no_swap_and_affinity_apply_to_the_vrrp_child() {
    let cpu = last_cpu();
    let g = globals(&[
        "vrrp_priority -10",
        "vrrp_rt_priority 50",
        "vrrp_rlimit_rttime 20000",
        "vrrp_no_swap",
        &format!("vrrp_cpu_affinity {cpu}"),
    ]);
    let (n, pid) = one_router("schrt", 121, &g);
    let r = &n.routers[0];
    let s = sched_of(pid);
    assert_eq!((s.policy, s.rt_priority), (2, 50), "{s:?}");
    assert_eq!(
        chrt_policy(pid).split(':').nth(1).map(str::trim),
        Some("SCHED_RR|SCHED_RESET_ON_FORK")
    );
    // 2.2.7: no setpriority with a real-time priority.
    assert_eq!(s.nice, 0, "{s:?}");
    assert_eq!(s.rttime, (Some(10_000), Some(20_000)), "{s:?}");
    assert!(s.vm_lck_kb > 0, "{s:?}");
    assert_eq!(s.cpus, cpu.to_string(), "{s:?}");
    // The parent is left as it was started.
    let p = sched_of(parent_pid(r));
    assert_eq!(
        (p.policy, p.nice, p.vm_lck_kb, p.rttime),
        (0, 0, 0, (None, None)),
        "{p:?}"
    );
    // The soft limit's SIGXCPU is logged, and the process carries on.
    kill(Pid::from_raw(pid), Signal::SIGXCPU).unwrap();
    assert!(
        r.wait_log(
            "VRRP process has used too much CPU time, vrrp_rlimit_rttime may need to be increased",
            1,
            T
        ),
        "{}",
        r.log_text()
    );
    assert_eq!(r.vrrp_pid(), Some(pid));
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    // max_auto_priority unset: 2.2.7's NOTICE, once.
    assert_eq!(r.lines_with(NOTICE).len(), 1, "{}", r.log_text());
}

#[test]
fn nice_alone_sets_the_nice_value_and_no_rt_limit() {
    let (n, pid) = one_router(
        "schnice",
        122,
        &globals(&["vrrp_priority -10", "max_auto_priority -1"]),
    );
    let s = sched_of(pid);
    assert_eq!((s.policy, s.rt_priority, s.nice), (0, 0, -10), "{s:?}");
    assert_eq!(s.rttime, (None, None), "{s:?}");
    assert_eq!(s.vm_lck_kb, 0, "{s:?}");
    // -1 silences the NOTICE.
    let r = &n.routers[0];
    assert!(r.lines_with(NOTICE).is_empty(), "{}", r.log_text());
}

#[test]
fn bad_values_are_reported_and_clamped_or_ignored_as_2_2_7_does() {
    let cpu = last_cpu();
    let (n, pid) = one_router(
        "schbad",
        123,
        &globals(&[
            "vrrp_rt_priority 0",
            "vrrp_priority 20",
            &format!("vrrp_cpu_affinity {cpu} 4096"),
        ]),
    );
    let r = &n.routers[0];
    for line in [
        "vrrp process real-time priority 0 less than minimum 1 - setting to minimum",
        "number '20' outside range [-20, 19]",
        "Invalid vrrp process priority specified",
        &format!("number '4096' outside range [0, {cpu}]"),
        "Invalid cpu_id:4096 specified for vrrp process",
    ] {
        assert!(!r.lines_with(line).is_empty(), "{line}\n{}", r.log_text());
    }
    let s = sched_of(pid);
    assert_eq!((s.policy, s.rt_priority), (2, 1), "{s:?}");
    // The default limit, 10000 µs.
    assert_eq!(s.rttime, (Some(5_000), Some(10_000)), "{s:?}");
    // The whole affinity line is dropped: every CPU, as inherited.
    let parent = sched_of(parent_pid(r));
    assert_eq!(s.cpus, parent.cpus, "{s:?}");
}

/// Stops the VRRP child for 1.5 s (its timers run late), then lets it go on.
fn hold_off_cpu(pid: i32) {
    kill(Pid::from_raw(pid), Signal::SIGSTOP).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    kill(Pid::from_raw(pid), Signal::SIGCONT).unwrap();
}

#[test]
fn late_timers_raise_the_vrrp_child_to_real_time_up_to_max_auto_priority() {
    let (n, pid) = one_router(
        "schauto",
        124,
        &globals(&["max_auto_priority 2", "min_auto_priority_delay 100000"]),
    );
    let r = &n.routers[0];
    assert!(r.lines_with(NOTICE).is_empty(), "{}", r.log_text());
    let s = sched_of(pid);
    assert_eq!((s.policy, s.rttime), (0, (None, None)), "{s:?}");
    for (round, prio) in [(1, 1), (2, 2), (3, 2)] {
        hold_off_cpu(pid);
        assert!(
            r.wait_log("A thread timer expired ", round, T),
            "{}",
            r.log_text()
        );
        // Raised (at most) once per late timer, never past max_auto_priority.
        let want = format!("Set realtime priority {prio}");
        assert!(
            wait_until(T, || r.lines_with(&want).len() == 1),
            "{}",
            r.log_text()
        );
        let s = sched_of(pid);
        assert_eq!((s.policy, s.rt_priority), (2, prio), "{s:?}");
        assert_eq!(s.rttime, (Some(5_000), Some(10_000)), "{s:?}");
    }
    assert!(r.lines_with("Set realtime priority 3").is_empty());
    let line = &r.lines_with("A thread timer expired ")[0];
    let secs: f64 = line
        .split("A thread timer expired ")
        .nth(1)
        .and_then(|s| s.strip_suffix(" seconds ago"))
        .unwrap()
        .parse()
        .unwrap();
    // Generous bounds: the wait was 1.5 s, the timer fell due inside it.
    assert!((0.1..10.0).contains(&secs), "{line}");
}

#[test]
fn a_reload_applies_added_settings_and_undoes_removed_ones() {
    let cpu = last_cpu();
    let plain = globals(&["max_auto_priority -1"]);
    let (n, pid) = one_router("schrl", 125, &plain);
    let r = &n.routers[0];
    let vip = "10.125.0.100/24";
    let hup = |round: usize| {
        kill(Pid::from_raw(parent_pid(r)), Signal::SIGHUP).unwrap();
        assert!(r.wait_log("Reload complete", round, T), "{}", r.log_text());
    };
    let s = sched_of(pid);
    assert_eq!((s.policy, s.vm_lck_kb), (0, 0), "{s:?}");
    let tuned = globals(&[
        "max_auto_priority -1",
        "vrrp_rt_priority 20",
        "vrrp_no_swap",
        &format!("vrrp_cpu_affinity {cpu}"),
    ]);
    r.configure(&format!("{tuned}{}", v3_conf(100, 51, vip, "")));
    hup(1);
    // The same process (2.2.7 keeps its VRRP child through a reload).
    assert_eq!(r.vrrp_pid(), Some(pid));
    let s = sched_of(pid);
    assert_eq!((s.policy, s.rt_priority), (2, 20), "{s:?}");
    assert_eq!(s.rttime, (Some(5_000), Some(10_000)), "{s:?}");
    assert!(s.vm_lck_kb > 0, "{s:?}");
    assert_eq!(s.cpus, cpu.to_string(), "{s:?}");
    r.configure(&format!("{plain}{}", v3_conf(100, 51, vip, "")));
    hup(2);
    let s = sched_of(pid);
    assert_eq!((s.policy, s.rt_priority, s.vm_lck_kb), (0, 0, 0), "{s:?}");
    // 2.2.7 leaves a removed affinity in place.
    assert_eq!(s.cpus, cpu.to_string(), "{s:?}");
}

#[test]
fn the_checker_child_takes_the_checker_settings() {
    if daemon() != BIN {
        // 2.2.7's checker process exits at start on this kernel (no IPVS), before it applies
        // any of them (measured: `IPVS: Can't initialize ipvs`, no sched_setscheduler call).
        eprintln!("NOTICE: alived-only test (keepalived's checker needs IPVS)");
        return;
    }
    let cpu = last_cpu();
    let g = globals(&[
        "checker_rt_priority 40",
        "checker_rlimit_rttime 8000",
        "checker_no_swap",
        &format!("checker_cpu_affinity {cpu}"),
        "vrrp_priority 5",
    ]);
    let vs = "virtual_server 10.126.0.100 80 {\n  delay_loop 5\n  lb_algo rr\n  lb_kind NAT\n  \
              protocol TCP\n  real_server 10.126.0.2 80 {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n}\n";
    let (n, vrrp_pid) = one_router("schchk", 126, &format!("{g}{vs}"));
    let r = &n.routers[0];
    let path = r.dir.path().join("checkers.pid");
    let pid = || -> Option<i32> { std::fs::read_to_string(&path).ok()?.trim().parse().ok() };
    assert!(wait_until(T, || pid().is_some()), "{}", r.log_text());
    let pid = pid().unwrap();
    // Applied before its runtime starts, so shortly after its pid file.
    assert!(
        wait_until(T, || sched_of(pid).policy == 2),
        "{:?}\n{}",
        sched_of(pid),
        r.log_text()
    );
    let s = sched_of(pid);
    assert_eq!(s.rt_priority, 40, "{s:?}");
    assert_eq!(s.rttime, (Some(4_000), Some(8_000)), "{s:?}");
    assert!(s.vm_lck_kb > 0, "{s:?}");
    assert_eq!(s.cpus, cpu.to_string(), "{s:?}");
    // Each child its own settings.
    let v = sched_of(vrrp_pid);
    assert_eq!((v.policy, v.nice, v.vm_lck_kb), (0, 5, 0), "{v:?}");
}
