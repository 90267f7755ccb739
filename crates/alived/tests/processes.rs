//! The process model (behaviour spec 4.1, 4.4): `-t` exit codes, daemonising without `-n`,
//! pid files, the checker child, and `-V` (keep VIPs at stop). Root tests run the binary in
//! their own namespaces.

mod driver_support;

use alived_sys::testnet::wait_until;
use driver_support::{BIN, net, v3_conf};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const T: Duration = Duration::from_secs(10);

#[test]
fn config_test_exit_codes_follow_keepalived() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.conf");
    std::fs::write(&good, v3_conf(100, 51, "10.0.0.1", "")).unwrap();
    let st = Command::new(BIN)
        .arg("-t")
        .arg("-f")
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(
        st.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let bad = dir.path().join("bad.conf");
    std::fs::write(&bad, v3_conf(100, 51, "10.0.0.1", "  priorty 7")).unwrap();
    let st = Command::new(BIN)
        .arg("-t")
        .arg("-f")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(5));
    let err = String::from_utf8_lossy(&st.stderr);
    assert!(err.contains("Unknown keyword 'priorty'"), "{err}");
}

fn read_pid(p: &Path) -> Option<i32> {
    std::fs::read_to_string(p).ok()?.trim().parse().ok()
}

fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Kills a daemon we started (by the pid it wrote) if a test fails half-way.
struct PidGuard(std::path::PathBuf);

impl Drop for PidGuard {
    fn drop(&mut self) {
        if let Some(pid) = read_pid(&self.0) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

#[test]
fn without_n_it_daemonises_writes_pid_files_and_stops_on_term() {
    let n = net("bg", 1, 96);
    let r = &n.routers[0];
    // The virtual server makes the parent start the checker child too.
    let vs = "virtual_server 10.96.0.100 80 {\n  real_server 10.96.0.1 80 {\n  }\n}\n";
    r.configure(&(v3_conf(150, 96, "10.96.0.100", "") + vs));
    let d = r.dir.path();
    let (pid_f, vpid_f, cpid_f) = (d.join("p.pid"), d.join("v.pid"), d.join("c.pid"));
    let _guard = PidGuard(pid_f.clone());
    let st = Command::new("ip")
        .args(["netns", "exec", &r.ns, BIN, "-G", "-f"])
        .arg(&r.conf)
        .arg("-p")
        .arg(&pid_f)
        .arg("-r")
        .arg(&vpid_f)
        .arg("-c")
        .arg(&cpid_f)
        .status()
        .unwrap();
    assert!(st.success());
    assert!(wait_until(T, || read_pid(&pid_f).is_some_and(alive)));
    assert!(wait_until(T, || read_pid(&vpid_f).is_some_and(alive)));
    assert!(wait_until(T, || read_pid(&cpid_f).is_some_and(alive)));
    let parent = read_pid(&pid_f).unwrap();
    // The daemon is not our child: it was re-executed in the background.
    assert_ne!(parent as u32, std::process::id());
    assert!(wait_until(T, || r.has_addr(&n.lab, "10.96.0.100")));
    kill(Pid::from_raw(parent), Signal::SIGTERM).unwrap();
    assert!(wait_until(T, || !alive(parent)));
    assert!(!pid_f.exists() && !vpid_f.exists() && !cpid_f.exists());
    assert!(!r.has_addr(&n.lab, "10.96.0.100"));
}

#[test]
fn dont_release_vrrp_keeps_the_vip_at_stop() {
    let mut n = net("keepv", 1, 97);
    n.routers[0].configure(&v3_conf(150, 97, "10.97.0.100", ""));
    let r = &mut n.routers[0];
    // -V on top of the usual options: rebuild the command by hand.
    r.start_bin_with(BIN, &["-V"]);
    assert!(wait_until(T, || n.routers[0].has_addr(&n.lab, "10.97.0.100")));
    let st = n.routers[0].stop();
    assert!(st.is_some_and(|s| s.success()));
    assert!(n.routers[0].has_addr(&n.lab, "10.97.0.100"));
    // A fresh start removes the VIP the earlier run left behind, then elects as usual.
    n.routers[0].start();
    assert!(n.routers[0].wait_log("(VI_1) removed stale VIP 10.97.0.100/32", 1, T));
}

#[test]
fn children_stop_cleanly_when_the_parent_is_killed() {
    let mut n = net("orph", 2, 98);
    let vip = "10.98.0.100";
    n.routers[0].configure(&v3_conf(150, 98, vip, ""));
    n.routers[1].configure(&v3_conf(100, 98, vip, ""));
    n.routers[0].start();
    n.routers[1].start();
    assert!(wait_until(T, || n.routers[0].has_addr(&n.lab, vip)));
    assert!(n.routers[1].wait_log("(VI_1) Entering BACKUP STATE (init)", 1, T));
    let parent = read_pid(&n.routers[0].pid_path()).unwrap();
    let child = n.routers[0].vrrp_pid().unwrap();
    // SIGKILL to the parent alone: its VRRP child gets SIGTERM (parent-death signal) and
    // hands over with priority 0 instead of lingering as an orphan master.
    kill(Pid::from_raw(parent), Signal::SIGKILL).unwrap();
    assert!(wait_until(T, || !alive(child)));
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    assert!(
        r1.log_text().contains("(VI_1) sent 0 priority"),
        "{}",
        r1.log_text()
    );
    assert!(!r1.has_addr(&n.lab, vip));
    assert!(wait_until(T, || r2.has_addr(&n.lab, vip)));
    assert!(r2.wait_log("(VI_1) Backup received priority 0 advertisement", 1, T));
}
