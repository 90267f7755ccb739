//! Root-test harness for the daemon: routers in their own namespaces on one bridged LAN,
//! each running the real `alived` binary (`-n -l -D -G`) in its own process group, killed by
//! that group on drop. Every wait is bounded.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alived_sys::testnet::{Lab, wait_until};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_alived");

/// CLOCK_MONOTONIC in seconds, the clock of the daemon's `transition ... at monotonic` lines.
pub fn monotonic() -> f64 {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).unwrap();
    t.tv_sec() as f64 + t.tv_nsec() as f64 / 1e9
}

/// One router: a namespace, a config, pid files and a log.
pub struct Router {
    pub ns: String,
    pub dir: tempfile::TempDir,
    pub conf: PathBuf,
    pub log: PathBuf,
    proc: Option<Child>,
}

impl Router {
    pub fn pid_path(&self) -> PathBuf {
        self.dir.path().join("parent.pid")
    }
    pub fn vrrp_pid_path(&self) -> PathBuf {
        self.dir.path().join("vrrp.pid")
    }

    /// Writes the config file.
    pub fn configure(&self, text: &str) {
        std::fs::write(&self.conf, text).unwrap();
    }

    /// Starts `alived -n -l -D -G -f CONF -p PID -r VPID -c CPID` in the namespace, in its own
    /// process group; the log is appended to.
    pub fn start(&mut self) {
        self.start_bin(BIN);
    }

    /// Like [`Router::start`] with another daemon binary taking the same options (keepalived).
    pub fn start_bin(&mut self, bin: &str) {
        self.start_bin_with(bin, &[]);
    }

    /// Like [`Router::start_bin`] with extra options.
    pub fn start_bin_with(&mut self, bin: &str, extra: &[&str]) {
        assert!(self.proc.is_none(), "{} already running", self.ns);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let d = self.dir.path();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns, bin, "-n", "-l", "-D", "-G", "-f"])
            .arg(&self.conf)
            .arg("-p")
            .arg(self.pid_path())
            .arg("-r")
            .arg(self.vrrp_pid_path())
            .arg("-c")
            .arg(d.join("checkers.pid"))
            .args(extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap();
        self.proc = Some(child);
    }

    fn pgid(&self) -> Option<Pid> {
        self.proc.as_ref().map(|c| Pid::from_raw(c.id() as i32))
    }

    /// SIGKILL to the whole process group (parent and children at once).
    pub fn kill_group(&mut self) {
        if let Some(p) = self.pgid() {
            let _ = killpg(p, Signal::SIGKILL);
        }
        self.reap(Duration::from_secs(5));
    }

    /// SIGTERM to the parent, then wait (bounded) for it to exit.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        if let Some(p) = self.pgid() {
            let _ = kill(p, Signal::SIGTERM);
        }
        self.reap(Duration::from_secs(10))
    }

    fn reap(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let mut child = self.proc.take()?;
        let end = Instant::now() + timeout;
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                return Some(st);
            }
            if Instant::now() > end {
                let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The pid in the VRRP child's pid file.
    pub fn vrrp_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.vrrp_pid_path())
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Lines of the log containing `needle`.
    pub fn lines_with(&self, needle: &str) -> Vec<String> {
        self.log_text()
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    }

    /// Waits until the log holds at least `n` lines containing `needle`.
    pub fn wait_log(&self, needle: &str, n: usize, timeout: Duration) -> bool {
        wait_until(timeout, || self.lines_with(needle).len() >= n)
    }

    /// The monotonic time of the `n`th (0-based) `transition to STATE` detail line.
    pub fn transition_at(&self, state: &str, n: usize) -> Option<f64> {
        let needle = format!("transition to {state} at monotonic ");
        let line = self.lines_with(&needle).into_iter().nth(n)?;
        let rest = line.split(&needle).nth(1)?;
        rest.split_whitespace().next()?.parse().ok()
    }

    /// The first `transition to STATE` after monotonic time `t` (a startup race may have made a
    /// router MASTER briefly before the one under test preempted it).
    pub fn transition_after(&self, state: &str, t: f64) -> Option<f64> {
        (0..)
            .map_while(|n| self.transition_at(state, n))
            .find(|at| *at > t)
    }

    /// `ip -br addr` of the namespace.
    pub fn addrs(&self, lab: &Lab) -> String {
        lab.ip(&self.ns, &["-br", "addr"]).unwrap_or_default()
    }

    pub fn has_addr(&self, lab: &Lab, addr: &str) -> bool {
        self.addrs(lab)
            .split_whitespace()
            .any(|w| w.split('/').next() == Some(addr))
    }
}

impl Drop for Router {
    fn drop(&mut self) {
        self.kill_group();
    }
}

/// A lab with `n` routers `r1..rN`, each with `eth0` on one bridge, addresses
/// `10.<net>.0.<i>/24` and IPv6 link-local addresses.
pub struct Net {
    pub routers: Vec<Router>,
    // Dropped after the routers (fields drop in declaration order).
    pub lab: Lab,
}

pub fn net(tag: &str, n: usize, net: u8) -> Net {
    let mut lab = Lab::new(tag);
    let mut names = Vec::new();
    for i in 1..=n {
        names.push(lab.add_ns(&format!("r{i}")).unwrap());
    }
    let members: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "eth0")).collect();
    lab.lan(&members).unwrap();
    let mut routers = Vec::new();
    for (i, ns) in names.into_iter().enumerate() {
        lab.ip(
            &ns,
            &[
                "addr",
                "add",
                &format!("10.{net}.0.{}/24", i + 1),
                "dev",
                "eth0",
            ],
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        routers.push(Router {
            conf: dir.path().join("keepalived.conf"),
            log: dir.path().join("alived.log"),
            ns,
            dir,
            proc: None,
        });
    }
    Net { routers, lab }
}

/// A VRRPv3 instance, 0.1 s adverts unless `extra` says otherwise.
pub fn v3_conf(prio: u8, vrid: u8, vip: &str, extra: &str) -> String {
    v3_conf_adv(prio, vrid, vip, "0.1", extra)
}

/// A VRRPv3 instance with advert interval `adv` seconds.
pub fn v3_conf_adv(prio: u8, vrid: u8, vip: &str, adv: &str, extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n  interface eth0\n  virtual_router_id {vrid}\n  priority {prio}\n  \
         version 3\n  advert_int {adv}\n{extra}\n  virtual_ipaddress {{\n    {vip}\n  }}\n}}\n"
    )
}

/// Master_Down_Interval of a v3 backup (RFC 5798 §6.1): 3 × interval + (256 − prio) ×
/// interval / 256, in seconds.
pub fn v3_mdi(prio: u8, adv: f64) -> f64 {
    3.0 * adv + v3_skew(prio, adv)
}

/// Skew_Time of a v3 backup (RFC 5798 §6.1).
pub fn v3_skew(prio: u8, adv: f64) -> f64 {
    (256.0 - f64::from(prio)) * adv / 256.0
}

/// Bound of every wait in the root tests.
pub const T: Duration = Duration::from_secs(10);
pub const MASTER: &str = "(VI_1) Entering MASTER STATE";
pub const BACKUP_INIT: &str = "(VI_1) Entering BACKUP STATE (init)";

/// Starts r1 (the higher priority), waits until it is MASTER, then starts r2, which hears an
/// advert every interval from its start: no transient MASTER on r2 however slowly either
/// daemon starts. (Starting r2 as soon as r1's down timer ran left r2 ahead only by the
/// Skew_Time difference plus its own start-up time, some 40 ms at advert_int 0.1.)
pub fn start_in_order(n: &mut Net) {
    n.routers[0].start();
    assert!(
        n.routers[0].wait_log(BACKUP_INIT, 1, T) && n.routers[0].wait_log(MASTER, 1, T),
        "{}",
        n.routers[0].log_text()
    );
    n.routers[1].start();
}

/// Waits until `vip` is (or is not) on the router.
pub fn wait_vip(lab: &Lab, r: &Router, vip: &str, present: bool) -> bool {
    wait_until(T, || r.has_addr(lab, vip) == present)
}
