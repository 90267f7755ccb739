//! Root test: `alived demo` end to end (exit 0, a timeline with both takeovers, nothing left
//! behind), and Ctrl-C in the middle (exit 130, nothing left behind).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use std::os::unix::process::CommandExt;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

fn demo_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_alived"));
    cmd.arg("demo");
    if let Daemon::Keepalived(path) = daemon_under_test() {
        cmd.arg("--daemon").arg(path);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Kills the demo if the test fails before it exits.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of stdout as they arrive.
fn lines(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            eprintln!("demo| {line}");
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_exit(child: &mut Child, timeout: Duration) -> i32 {
    let end = Instant::now() + timeout;
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st.code().unwrap_or(-1);
        }
        assert!(Instant::now() < end, "demo did not exit within {timeout:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Namespaces, processes and files a demo with pid `pid` made, still present.
fn leftovers(pid: u32) -> Vec<String> {
    let mut left = Vec::new();
    let ns = router::ip_out(&["netns", "list"]).unwrap();
    let prefix = format!("alv-demo-{pid}-");
    left.extend(
        ns.lines()
            .filter(|l| l.contains(&prefix))
            .map(str::to_owned),
    );
    let dir = format!("alived-lab-demo-{pid}-");
    for entry in std::fs::read_dir(std::env::temp_dir()).unwrap().flatten() {
        if entry.file_name().to_string_lossy().starts_with(&dir) {
            left.push(format!("directory {:?}", entry.path()));
        }
    }
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline"))
            && String::from_utf8_lossy(&cmdline).contains(&dir)
        {
            left.push(format!("process {:?}", entry.file_name()));
        }
    }
    left
}

#[test]
fn demo_fails_over_and_back_and_cleans_up() {
    let mut g = Guard(demo_command().spawn().unwrap());
    let rx = lines(&mut g.0);
    let rc = wait_exit(&mut g.0, Duration::from_secs(180));
    let out: Vec<String> = rx.try_iter().collect();
    let stderr = {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut g.0.stderr.take().unwrap(), &mut s).unwrap();
        s
    };
    assert_eq!(rc, 0, "demo failed: {stderr}");
    let text = out.join("\n");
    for want in [
        "SIGKILL to r1's whole process group",
        "first GARP for",
        "restarting r1",
        "failover after SIGKILL of the master: r2 MASTER after",
        "lab removed",
    ] {
        assert!(text.contains(want), "{want:?} missing from the demo output");
    }
    // The client's ARP cache follows the VIP: r1, then r2, then r1 again.
    let owners: Vec<&str> = out
        .iter()
        .filter(|l| l.contains("ARP cache:"))
        .map(|l| {
            if l.ends_with("(r1)") {
                "r1"
            } else if l.ends_with("(r2)") {
                "r2"
            } else {
                "?"
            }
        })
        .collect();
    assert_eq!(owners, ["r1", "r2", "r1"]);
    assert_eq!(leftovers(g.0.id()), Vec::<String>::new());
}

#[test]
fn ctrl_c_during_the_demo_removes_the_lab() {
    // Its own process group, like a shell job: Ctrl-C goes to the whole group.
    let mut g = Guard(demo_command().process_group(0).spawn().unwrap());
    let rx = lines(&mut g.0);
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        let line = rx
            .recv_timeout(end.saturating_duration_since(Instant::now()))
            .expect("demo never reached 'starting r2'");
        if line.contains("starting r2") {
            break;
        }
    }
    let pid = g.0.id();
    assert!(!leftovers(pid).is_empty(), "the lab should exist now");
    killpg(Pid::from_raw(pid as i32), Signal::SIGINT).unwrap();
    let rc = wait_exit(&mut g.0, Duration::from_secs(60));
    assert_eq!(rc, 130);
    assert_eq!(leftovers(pid), Vec::<String>::new());
}

#[test]
fn demo_with_a_missing_daemon_fails_clearly_and_leaves_nothing() {
    let out = Command::new(env!("CARGO_BIN_EXE_alived"))
        .args(["demo", "--daemon", "/nonexistent/keepalived"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("daemon executable /nonexistent/keepalived not found"),
        "stderr: {err}"
    );
}
