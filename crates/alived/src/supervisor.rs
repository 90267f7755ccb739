//! The parent process (behaviour spec 4.1): starts the VRRP and checker children by
//! re-executing its own binary with `--role`, restarts a child that dies (with keepalived's
//! back-off), forwards signals, and on TERM stops the children in order.
//!
//! The parent holds no sockets and no VIPs; a child's state survives its restart because the
//! VRRP child adopts the VIPs it finds on its interfaces (see the VRRP driver).

use std::process::ExitStatus;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::signal::unix::{SignalKind, signal};
use tracing::{error, info, warn};

/// Set to `1` in the environment of a child the parent restarts.
pub const RESPAWN_ENV: &str = "ALIVED_RESPAWN";

/// A child process kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildKind {
    Vrrp,
    Checker,
}

impl ChildKind {
    pub fn role(self) -> &'static str {
        match self {
            ChildKind::Vrrp => "vrrp",
            ChildKind::Checker => "check",
        }
    }
    /// keepalived's names in its parent's log lines.
    fn start_name(self) -> &'static str {
        match self {
            ChildKind::Vrrp => "VRRP",
            ChildKind::Checker => "Healthcheck",
        }
    }
    fn died_name(self) -> &'static str {
        match self {
            ChildKind::Vrrp => "VRRP child process",
            ChildKind::Checker => "Healthcheck child process",
        }
    }
}

/// keepalived's respawn rate limit (`calc_restart_delay()`, spec 4.1): a child that ran for
/// more than 60 s is restarted at once; otherwise the delays run 0, 1, 2, 4 ... 32, 60, 60 s.
#[derive(Debug, Default, Clone)]
pub struct RestartPolicy {
    quick_deaths: u32,
}

impl RestartPolicy {
    pub const STABLE_RUN: Duration = Duration::from_secs(60);

    pub fn delay_after(&mut self, ran_for: Duration) -> Duration {
        if ran_for > Self::STABLE_RUN {
            self.quick_deaths = 0;
            return Duration::ZERO;
        }
        let n = self.quick_deaths;
        self.quick_deaths = self.quick_deaths.saturating_add(1);
        match n {
            0 => Duration::ZERO,
            n if n >= 7 => Duration::from_secs(60),
            n => Duration::from_secs(1 << (n - 1)),
        }
    }
}

/// keepalived's permanent child exit codes (lib/scheduler.h): the parent terminates on these
/// rather than respawning.
pub fn permanent_error(status: &ExitStatus) -> Option<&'static str> {
    match status.code() {
        Some(1) => Some("FATAL"),
        Some(2) => Some("CONFIG"),
        Some(4) => Some("missing permission"),
        _ => None,
    }
}

/// keepalived 2.2.7's line for a child killed by a signal (measured): `pid 10621 exited due to
/// signal 9 (Killed) - has rlimit_rttime been exceeded?` (SIGKILL is how the kernel enforces
/// `vrrp_rlimit_rttime`), `pid 10702 exited due to segmentation fault (SIGSEGV).`, `pid 10904
/// exited due to signal 7 (Bus error)`.
pub fn killed_by_signal(pid: nix::unistd::Pid, status: &ExitStatus) -> Option<String> {
    use std::os::unix::process::ExitStatusExt as _;
    let sig = status.signal()?;
    // strsignal(3)'s glibc texts for the signals that end a process by default.
    let text = match sig {
        1 => "Hangup",
        2 => "Interrupt",
        3 => "Quit",
        4 => "Illegal instruction",
        5 => "Trace/breakpoint trap",
        6 => "Aborted",
        7 => "Bus error",
        8 => "Floating point exception",
        9 => "Killed",
        11 => {
            return Some(format!(
                "pid {pid} exited due to segmentation fault (SIGSEGV)."
            ));
        }
        13 => "Broken pipe",
        14 => "Alarm clock",
        15 => "Terminated",
        24 => "CPU time limit exceeded",
        25 => "File size limit exceeded",
        31 => "Bad system call",
        _ => "Unknown signal",
    };
    let hint = if sig == 9 {
        " - has rlimit_rttime been exceeded?"
    } else {
        ""
    };
    Some(format!(
        "pid {pid} exited due to signal {sig} ({text}){hint}"
    ))
}

struct Running {
    kind: ChildKind,
    pid: nix::unistd::Pid,
    started: tokio::time::Instant,
    policy: RestartPolicy,
}

/// A child's exit, reported by the task that waits for it.
type Exit = (usize, std::io::Result<ExitStatus>);

/// `tunables` (a `GLIBC_TUNABLES` value) with glibc's per-thread malloc cache off, unless it
/// sets that cache itself.
fn without_tcache(tunables: &std::ffi::OsStr) -> std::ffi::OsString {
    const KEY: &str = "glibc.malloc.tcache_count";
    let bytes = tunables.as_encoded_bytes();
    if bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()) {
        return tunables.to_owned();
    }
    let mut out = tunables.to_owned();
    if !out.is_empty() {
        out.push(":");
    }
    out.push(KEY);
    out.push("=0");
    out
}

/// Starts a child and a task that reports its exit as `(slot, status)` on `exits`.
fn spawn(
    kind: ChildKind,
    slot: usize,
    exits: &tokio::sync::mpsc::UnboundedSender<Exit>,
    respawned: bool,
) -> std::io::Result<nix::unistd::Pid> {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let mut cmd = Command::new("/proc/self/exe");
    cmd.args(args).arg("--role").arg(kind.role());
    // glibc's per-thread malloc caches keep up to 7 freed blocks of each size per thread; in
    // a child the log writer thread frees every line the loop allocates, and the blocks its
    // cache holds, scattered over the heap, keep whole pages resident (measured: the VRRP
    // child with 1,000 instances as MASTER, 2.5 -> 2.0 MB). The children are single-threaded
    // but for that writer: the arena lock costs nothing. Scripts get the original value back.
    let original = std::env::var_os("GLIBC_TUNABLES").unwrap_or_default();
    cmd.env("GLIBC_TUNABLES", without_tcache(&original));
    cmd.env(alived_sys::script::ORIGINAL_TUNABLES_ENV, original);
    // A restarted child adopts the state it finds (the VRRP child keeps VIPs in place).
    if respawned {
        cmd.env(RESPAWN_ENV, "1");
    } else {
        cmd.env_remove(RESPAWN_ENV);
    }
    let mut child: Child = cmd.spawn()?;
    let raw = child.id().and_then(|p| i32::try_from(p).ok()).unwrap_or(0);
    info!("Starting {} child process, pid={raw}", kind.start_name());
    let exits = exits.clone();
    tokio::spawn(async move {
        let _ = exits.send((slot, child.wait().await));
    });
    Ok(nix::unistd::Pid::from_raw(raw))
}

fn forward(children: &[Running], sig: nix::sys::signal::Signal) {
    for r in children {
        let _ = nix::sys::signal::kill(r.pid, sig);
    }
}

/// How long children get to stop before SIGKILL (`child_wait_time`, default 5 s).
const CHILD_WAIT: Duration = Duration::from_secs(5);

/// What a reload check found in a usable configuration.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Problems to log that do not stop the reload.
    pub warnings: Vec<String>,
    /// The children the configuration needs.
    pub kinds: Vec<ChildKind>,
}

/// Reload (HUP, behaviour spec 4.2): `check` re-reads the configuration; a usable one is
/// forwarded to the children as HUP (each re-reads the file itself, as keepalived's children
/// do, so no configuration travels between processes), a broken one is refused with its
/// reasons and the children keep running on the old one. A child the new configuration needs
/// and that does not run yet is started; none is stopped (measured on keepalived 2.2.7: a
/// VRRP child starts when a reload brings the first instance, and stays when the last one
/// goes).
fn reload(
    children: &mut Vec<Running>,
    gone: &mut Vec<bool>,
    exits: &tokio::sync::mpsc::UnboundedSender<Exit>,
    check: &impl Fn() -> Result<Checked, Vec<String>>,
) -> std::io::Result<()> {
    info!("Reloading ...");
    match check() {
        Ok(checked) => {
            for w in checked.warnings {
                warn!("{w}");
            }
            forward(children, nix::sys::signal::Signal::SIGHUP);
            for kind in checked.kinds {
                if children.iter().any(|r| r.kind == kind) {
                    continue;
                }
                let pid = spawn(kind, children.len(), exits, false)?;
                children.push(Running {
                    kind,
                    pid,
                    started: tokio::time::Instant::now(),
                    policy: RestartPolicy::default(),
                });
                gone.push(false);
            }
        }
        Err(why) => {
            for line in why {
                error!("{line}");
            }
            error!("{}", crate::vrrp::RELOAD_REFUSED);
        }
    }
    Ok(())
}

/// Sleeps until `at`; forever when there is nothing to wait for.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Runs the parent until TERM/INT or a permanent child failure; returns the exit code.
/// Must run inside a tokio `LocalSet`-free current-thread runtime (it spawns wait tasks).
/// `check` validates the configuration on HUP (see [`reload`]).
pub async fn run(
    kinds: &[ChildKind],
    respawn: bool,
    check: impl Fn() -> Result<Checked, Vec<String>>,
) -> std::io::Result<i32> {
    let (tx, mut exits) = tokio::sync::mpsc::unbounded_channel::<Exit>();
    let mut children = Vec::new();
    for (slot, &kind) in kinds.iter().enumerate() {
        let pid = spawn(kind, slot, &tx, false)?;
        children.push(Running {
            kind,
            pid,
            started: tokio::time::Instant::now(),
            policy: RestartPolicy::default(),
        });
    }
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut usr1 = signal(SignalKind::user_defined1())?;
    let mut usr2 = signal(SignalKind::user_defined2())?;
    const SETTLE: Duration = crate::logging::RELEASE_AFTER_START;
    let mut code = 0;
    let mut gone = vec![false; children.len()];
    // Memory that starting the children took (and the code that ran only then) is handed
    // back once they are up; again after each respawn or reload.
    let mut release_at = Some(tokio::time::Instant::now() + SETTLE);
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => {
                reload(&mut children, &mut gone, &tx, &check)?;
                release_at = Some(tokio::time::Instant::now() + SETTLE);
            }
            () = sleep_until_some(release_at) => {
                release_at = None;
                crate::logging::release_memory_after_backlog();
            }
            _ = usr1.recv() => forward(&children, nix::sys::signal::Signal::SIGUSR1),
            _ = usr2.recv() => forward(&children, nix::sys::signal::Signal::SIGUSR2),
            Some((slot, status)) = exits.recv() => {
                let Some(r) = children.get_mut(slot) else { continue };
                let status = status?;
                if let Some(line) = killed_by_signal(r.pid, &status) {
                    warn!("{line}");
                }
                if let Some(what) = permanent_error(&status) {
                    warn!("{} exited with permanent error {what}. Terminating", r.kind.died_name());
                    code = status.code().unwrap_or(1);
                    gone[slot] = true;
                    break;
                }
                if !respawn {
                    warn!("{}({}) died: Exiting", r.kind.died_name(), r.pid);
                    gone[slot] = true;
                    break;
                }
                warn!("{}({}) died: Respawning", r.kind.died_name(), r.pid);
                let delay = r.policy.delay_after(r.started.elapsed());
                if !delay.is_zero() {
                    warn!(
                        "Restart of {} process delayed {} seconds to limit respawn rate",
                        r.kind.start_name(),
                        delay.as_secs()
                    );
                    tokio::time::sleep(delay).await;
                }
                r.pid = spawn(r.kind, slot, &tx, true)?;
                r.started = tokio::time::Instant::now();
                release_at = Some(r.started + SETTLE);
            }
        }
    }
    info!("Stopping");
    forward(&children, nix::sys::signal::Signal::SIGTERM);
    let deadline = tokio::time::Instant::now() + CHILD_WAIT;
    while gone.contains(&false) {
        match tokio::time::timeout_at(deadline, exits.recv()).await {
            Ok(Some((slot, _))) => {
                if let Some(g) = gone.get_mut(slot) {
                    *g = true;
                }
            }
            Ok(None) => break,
            Err(_) => {
                for (r, _) in children.iter().zip(&gone).filter(|(_, g)| !**g) {
                    warn!(
                        "{} process failed to die - forcing termination",
                        r.kind.start_name()
                    );
                    let _ = nix::sys::signal::kill(r.pid, nix::sys::signal::Signal::SIGKILL);
                }
                break;
            }
        }
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_run_without_glibc_s_thread_cache_unless_told_otherwise() {
        use std::ffi::OsStr;
        let off = |t: &str| without_tcache(OsStr::new(t)).into_string().unwrap();
        assert_eq!(off(""), "glibc.malloc.tcache_count=0");
        assert_eq!(
            off("glibc.malloc.arena_max=2"),
            "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=0"
        );
        assert_eq!(
            off("glibc.malloc.tcache_count=3"),
            "glibc.malloc.tcache_count=3"
        );
    }

    #[test]
    fn a_child_that_ran_long_is_restarted_at_once() {
        let mut p = RestartPolicy::default();
        for _ in 0..10 {
            assert_eq!(p.delay_after(Duration::from_secs(61)), Duration::ZERO);
        }
    }

    #[test]
    fn quick_deaths_back_off_0_1_2_4_to_60() {
        let mut p = RestartPolicy::default();
        let got: Vec<u64> = (0..10)
            .map(|_| p.delay_after(Duration::from_secs(1)).as_secs())
            .collect();
        assert_eq!(got, [0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
        // A stable run resets the sequence.
        assert_eq!(p.delay_after(Duration::from_secs(120)), Duration::ZERO);
        assert_eq!(p.delay_after(Duration::from_secs(1)), Duration::ZERO);
    }

    #[test]
    fn deaths_by_signal_are_worded_as_2_2_7_words_them() {
        use std::os::unix::process::ExitStatusExt as _;
        let pid = nix::unistd::Pid::from_raw(10621);
        // Raw wait statuses: a signal number alone is "killed by that signal".
        let line = |raw| killed_by_signal(pid, &ExitStatus::from_raw(raw));
        assert_eq!(
            line(9).as_deref(),
            Some("pid 10621 exited due to signal 9 (Killed) - has rlimit_rttime been exceeded?")
        );
        assert_eq!(
            line(11).as_deref(),
            Some("pid 10621 exited due to segmentation fault (SIGSEGV).")
        );
        assert_eq!(
            line(7).as_deref(),
            Some("pid 10621 exited due to signal 7 (Bus error)")
        );
        // An exit code is not a signal.
        assert_eq!(line(1 << 8), None);
    }
}
