//! One VRRP daemon (alived, or keepalived 2.2.7 for comparison) running in a network
//! namespace, started the way keepalived is run under systemd in the foreground:
//! `DAEMON -n -l -D -f CONF -p PID -r VRRP_PID -c CHECKERS_PID`.
//!
//! The daemon gets its own process group, so [`Router::crash`] can SIGKILL the parent and
//! every child at once, like a power cut. Console log lines (stdout and stderr) are collected
//! with their arrival [`Instant`] into a shared [`Log`]. Dropping a router kills its group.
//!
//! Shared by `alived demo` and the root scenario tests (tests/common includes this file).

use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// keepalived's usual install path.
pub const KEEPALIVED: &str = "/usr/sbin/keepalived";

/// Which implementation runs in the lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Daemon {
    Alived(PathBuf),
    Keepalived(PathBuf),
}

impl Daemon {
    /// keepalived at [`KEEPALIVED`].
    pub fn keepalived() -> Daemon {
        Daemon::Keepalived(PathBuf::from(KEEPALIVED))
    }

    /// `alived` or `keepalived`.
    pub fn label(&self) -> &'static str {
        match self {
            Daemon::Alived(_) => "alived",
            Daemon::Keepalived(_) => "keepalived",
        }
    }

    /// The executable.
    pub fn path(&self) -> &Path {
        match self {
            Daemon::Alived(p) | Daemon::Keepalived(p) => p,
        }
    }
}

/// One console line and when the lab read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub at: Instant,
    /// The line without keepalived's `Wed Nov 25 21:46:21 2026: ` console prefix.
    pub text: String,
}

/// Lines of every run of one router, in arrival order.
#[derive(Debug, Default)]
pub struct Log {
    lines: Mutex<Vec<LogLine>>,
    changed: Condvar,
}

impl Log {
    fn lock(&self) -> MutexGuard<'_, Vec<LogLine>> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a line read now.
    pub fn push(&self, raw: &str) {
        let line = LogLine {
            at: Instant::now(),
            text: strip_time_prefix(raw).to_owned(),
        };
        self.lock().push(line);
        self.changed.notify_all();
    }

    /// Number of lines so far (a mark for [`Log::wait_for`]).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True before the first line.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of every line.
    pub fn lines(&self) -> Vec<LogLine> {
        self.lock().clone()
    }

    /// The first line at index >= `from` containing `pattern`.
    pub fn find(&self, from: usize, pattern: &str) -> Option<LogLine> {
        self.lock()
            .iter()
            .skip(from)
            .find(|l| l.text.contains(pattern))
            .cloned()
    }

    /// Every line at index >= `from` containing `pattern`.
    pub fn find_all(&self, from: usize, pattern: &str) -> Vec<LogLine> {
        self.lock()
            .iter()
            .skip(from)
            .filter(|l| l.text.contains(pattern))
            .cloned()
            .collect()
    }

    /// Waits (at most `timeout`) for a line at index >= `from` containing `pattern`.
    pub fn wait_for(&self, from: usize, pattern: &str, timeout: Duration) -> Option<LogLine> {
        let end = Instant::now() + timeout;
        let mut lines = self.lock();
        loop {
            if let Some(l) = lines.iter().skip(from).find(|l| l.text.contains(pattern)) {
                return Some(l.clone());
            }
            let left = end.checked_duration_since(Instant::now())?;
            lines = match self.changed.wait_timeout(lines, left) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
    }
}

/// Drops keepalived's console time prefix (`Wed Nov 25 21:46:21 2026: `) if present.
pub fn strip_time_prefix(line: &str) -> &str {
    let b = line.as_bytes();
    let dated = b.len() >= 26
        && &b[24..26] == b": "
        && b[..3].iter().all(u8::is_ascii_alphabetic)
        && b[20..24].iter().all(u8::is_ascii_digit);
    if dated { &line[26..] } else { line }
}

/// A VRRP daemon in a namespace. Kill-on-drop.
#[derive(Debug)]
pub struct Router {
    /// Short name (`r1`), used in the timeline.
    pub name: String,
    /// The network namespace.
    pub ns: String,
    /// The LAN interface.
    pub ifname: String,
    pub daemon: Daemon,
    dir: PathBuf,
    config: String,
    child: Option<Child>,
    log: Arc<Log>,
    run_start: usize,
    started_at: Option<Instant>,
}

impl Router {
    /// A router named `name` in `ns`, with its files (config, pid files) under `dir`.
    pub fn new(name: &str, ns: &str, ifname: &str, daemon: Daemon, dir: &Path) -> Router {
        Router {
            name: name.to_owned(),
            ns: ns.to_owned(),
            ifname: ifname.to_owned(),
            daemon,
            dir: dir.join(name),
            config: String::new(),
            child: None,
            log: Arc::new(Log::default()),
            run_start: 0,
            started_at: None,
        }
    }

    /// Sets the configuration text used by the next (re)start.
    pub fn set_config(&mut self, text: String) {
        self.config = text;
    }

    /// The configuration text.
    pub fn config(&self) -> &str {
        &self.config
    }

    /// The shared log (all runs).
    pub fn log(&self) -> &Arc<Log> {
        &self.log
    }

    /// Path of the configuration file.
    pub fn config_path(&self) -> PathBuf {
        self.dir.join("keepalived.conf")
    }

    /// Writes the config and starts the daemon in its own process group.
    pub fn start(&mut self) -> io::Result<()> {
        if self.child.is_some() {
            return Err(io::Error::other(format!(
                "{} is already running",
                self.name
            )));
        }
        std::fs::create_dir_all(&self.dir)?;
        let conf = self.config_path();
        std::fs::write(&conf, &self.config)?;
        let file = |f: &str| self.dir.join(f).to_string_lossy().into_owned();
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.ns])
            .arg(self.daemon.path())
            .args(["-n", "-l", "-D", "-f"])
            .arg(&conf)
            .args(["-p", &file("parent.pid")])
            .args(["-r", &file("vrrp.pid")])
            .args(["-c", &file("checkers.pid")])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        self.log.push(&format!(
            "--- lab: starting {} in {}",
            self.daemon.label(),
            self.ns
        ));
        self.run_start = self.log.len();
        // Orphans of a killed daemon (its VRRP/checker children) are re-parented to us, not
        // to init, so kill_group can reap them at once.
        let _ = nix::sys::prctl::set_child_subreaper(true);
        let mut child = cmd.spawn()?;
        self.started_at = Some(Instant::now());
        if let Some(out) = child.stdout.take() {
            pump(out, self.log.clone(), &self.name)?;
        }
        if let Some(err) = child.stderr.take() {
            pump(err, self.log.clone(), &self.name)?;
        }
        self.child = Some(child);
        Ok(())
    }

    /// When the current run was started.
    pub fn started_at(&self) -> Option<Instant> {
        self.started_at
    }

    /// The parent's pid (= its process group id), while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// True while the parent has not exited.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// SIGKILL to the whole process group (parent and children), then reaps the parent.
    /// Returns when the signal was sent.
    pub fn crash(&mut self) -> io::Result<Instant> {
        let mut child = self
            .child
            .take()
            .ok_or_else(|| io::Error::other(format!("{} is not running", self.name)))?;
        let at = Instant::now();
        let _ = killpg(group(&child), Signal::SIGKILL);
        self.log.push("--- lab: SIGKILL to the process group");
        reap(&mut child, Duration::from_secs(10))?;
        kill_group(&child);
        Ok(at)
    }

    /// SIGTERM to the parent (keepalived's orderly stop: priority 0 advert, VIPs removed),
    /// waiting up to 15 s for it to exit; then the group is killed either way.
    pub fn stop(&mut self) -> io::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        self.log.push("--- lab: SIGTERM to the parent");
        let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
        let _ = kill(pid, Signal::SIGTERM);
        let exited = reap(&mut child, Duration::from_secs(15));
        kill_group(&child);
        exited.map(|_| ())
    }

    /// Stops (SIGTERM) if running, then starts again with the current config.
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop()?;
        self.start()
    }

    /// A mark in the log: pass to [`Router::wait_for_line_since`].
    pub fn mark(&self) -> usize {
        self.log.len()
    }

    /// Waits for a line of the current run containing `pattern`.
    pub fn wait_for_line(&self, pattern: &str, timeout: Duration) -> Option<LogLine> {
        self.log.wait_for(self.run_start, pattern, timeout)
    }

    /// Waits for a line after `mark` containing `pattern`.
    pub fn wait_for_line_since(
        &self,
        mark: usize,
        pattern: &str,
        timeout: Duration,
    ) -> Option<LogLine> {
        self.log.wait_for(mark, pattern, timeout)
    }

    /// Lines of the current run containing `pattern`.
    pub fn lines_with(&self, pattern: &str) -> Vec<LogLine> {
        self.log.find_all(self.run_start, pattern)
    }

    /// The state named by the last `Entering X STATE` line of the current run.
    pub fn last_state(&self) -> Option<String> {
        let lines = self.log.find_all(self.run_start, "Entering ");
        lines.iter().rev().find_map(|l| {
            let rest = l.text.split("Entering ").nth(1)?;
            Some(rest.split(" STATE").next().unwrap_or(rest).to_owned())
        })
    }

    /// Whether `addr` (an IP, no prefix) is configured on any interface of the namespace.
    pub fn has_vip(&self, addr: &str) -> io::Result<bool> {
        Ok(self.vip_device(addr)?.is_some())
    }

    /// The interface holding `addr`, if any (from `ip -n NS -br addr`).
    pub fn vip_device(&self, addr: &str) -> io::Result<Option<String>> {
        let out = ip_out(&["-n", &self.ns, "-br", "addr"])?;
        let with_slash = format!("{addr}/");
        Ok(out.lines().find_map(|line| {
            let mut words = line.split_whitespace();
            let dev = words.next()?;
            let dev = dev.split('@').next().unwrap_or(dev);
            words
                .any(|w| w.starts_with(&with_slash))
                .then(|| dev.to_owned())
        }))
    }

    /// Every log line of every run, for a failure report.
    pub fn dump(&self) -> String {
        let lines = self.log.lines();
        let t0 = lines.first().map(|l| l.at);
        lines
            .iter()
            .map(|l| {
                let t = t0.map_or(0.0, |t0| l.at.duration_since(t0).as_secs_f64());
                format!("[{} +{t:8.3}] {}\n", self.name, l.text)
            })
            .collect()
    }
}

impl Drop for Router {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = killpg(group(&child), Signal::SIGKILL);
            let _ = reap(&mut child, Duration::from_secs(5));
            kill_group(&child);
        }
    }
}

/// `ip ARGS`, returning stdout; an error carries ip's stderr.
pub fn ip_out(args: &[&str]) -> io::Result<String> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// SIGKILL to the child's process group, then reaps every member that was re-parented to us
/// (see [`Router::start`]: we are a child subreaper), so that no zombie keeps a pid from a
/// daemon's pid file alive when it restarts.
fn kill_group(child: &Child) {
    let Ok(pgid) = i32::try_from(child.id()) else {
        return;
    };
    let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        match waitpid(Pid::from_raw(-pgid), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => thread::sleep(Duration::from_millis(5)),
            Ok(_) => {}
            Err(_) => break, // ECHILD: nobody of that group is left to reap
        }
    }
}

fn group(child: &Child) -> Pid {
    Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX))
}

/// Waits up to `timeout` for `child` to exit; kills the group if it has not.
fn reap(child: &mut Child, timeout: Duration) -> io::Result<()> {
    let end = Instant::now() + timeout;
    loop {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        if Instant::now() >= end {
            let _ = killpg(group(child), Signal::SIGKILL);
            let _ = child.wait();
            return Err(io::Error::other(format!(
                "pid {} did not exit within {timeout:?}; killed",
                child.id()
            )));
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Reads `src` line by line into `log` on a thread (ends at EOF, when the group is gone).
fn pump(src: impl Read + Send + 'static, log: Arc<Log>, name: &str) -> io::Result<()> {
    thread::Builder::new()
        .name(format!("log-{name}"))
        .spawn(move || {
            let mut reader = BufReader::new(src);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&buf);
                        log.push(text.trim_end_matches(['\n', '\r']));
                    }
                }
            }
        })
        .map(|_| ())
}
