//! Starting, supervising and stopping script processes.
//!
//! Every script runs in its own process group (`setpgid(0, 0)`; same session as the daemon),
//! with `PR_SET_PDEATHSIG = SIGTERM`, as its configured user, with `IFS`, `LD_PRELOAD` and
//! `LD_LIBRARY_PATH` removed from an otherwise inherited environment, and
//! stdin/stdout/stderr on `/dev/null`. Each child is owned by a small tokio task that reaps it
//! (no zombies), so the caller never waits.
//!
//! Measured on keepalived 2.2.7: own process group, /dev/null stdio, SIGTERM at the timeout
//! then SIGKILL about 2 s later ([`super::KEEPALIVED_KILL_GRACE`]). 2.2.7 still passes `IFS`
//! and `LD_PRELOAD` through; keepalived's later versions remove them, as we do.

use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::sync::{Notify, mpsc};

use super::{ExecMode, Outcome, Script};

/// The variables keepalived removes before `execve()`.
const UNSAFE_ENV: [&str; 3] = ["IFS", "LD_PRELOAD", "LD_LIBRARY_PATH"];

/// Set by alived's parent in its children's environment: the `GLIBC_TUNABLES` alived was
/// started with (empty if none). The children run with malloc tunables of their own; the
/// scripts they start get this value back, and not this variable.
pub const ORIGINAL_TUNABLES_ENV: &str = "ALIVED_ORIGINAL_GLIBC_TUNABLES";

/// A finished track script run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptDone {
    /// The `vrrp_script` name given to [`ScriptRunner::start_track`].
    pub name: String,
    /// How the run ended.
    pub outcome: Outcome,
}

/// Result of asking for a track script run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackStart {
    /// A run was started (or failed to start): its [`ScriptDone`] will arrive on the channel.
    Started,
    /// The previous run has not finished: nothing was started (keepalived skips this
    /// interval and logs [`already_running_message`]).
    AlreadyRunning,
}

/// `Track script %s is already running, expect idle - skipping run`
pub fn already_running_message(name: &str) -> String {
    format!("Track script {name} is already running, expect idle - skipping run")
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Track(String),
    Notify,
}

#[derive(Debug)]
struct Running {
    pgid: i32,
    kind: Kind,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    running: HashMap<u64, Running>,
    shutting_down: bool,
}

#[derive(Debug)]
struct Inner {
    /// Time between SIGTERM and SIGKILL for a script that must stop.
    grace: Duration,
    state: Mutex<State>,
    /// Woken whenever a script process has been reaped.
    reaped: Notify,
}

/// Starts scripts and keeps track of those still running. Cheap to clone; all clones share
/// one registry. Must be used inside a tokio runtime (current_thread is fine).
#[derive(Debug, Clone)]
pub struct ScriptRunner {
    inner: Arc<Inner>,
}

impl ScriptRunner {
    /// A runner whose scripts get `grace` between SIGTERM and SIGKILL when they must stop.
    pub fn new(grace: Duration) -> Self {
        ScriptRunner {
            inner: Arc::new(Inner {
                grace,
                state: Mutex::new(State::default()),
                reaped: Notify::new(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked mid-update of plain data.
        self.inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Number of script processes started and not yet reaped.
    pub fn running(&self) -> usize {
        self.state().running.len()
    }

    /// Whether the track script `name` has a run in progress.
    pub fn is_running(&self, name: &str) -> bool {
        self.state()
            .running
            .values()
            .any(|r| r.kind == Kind::Track(name.to_owned()))
    }

    /// One `vrrp_script` interval: starts `script` unless its previous run is still going.
    /// The result arrives on `results`; a run past `timeout` gets SIGTERM on its process group,
    /// then SIGKILL after the grace period, and ends as [`Outcome::TimedOut`].
    pub fn start_track(
        &self,
        name: &str,
        script: &Script,
        timeout: Duration,
        results: &mpsc::UnboundedSender<ScriptDone>,
    ) -> TrackStart {
        if self.is_running(name) {
            return TrackStart::AlreadyRunning;
        }
        let name = name.to_owned();
        let results = results.clone();
        match self.spawn(script, &[], Kind::Track(name.clone())) {
            Ok((child, id, pgid)) => {
                let this = self.clone();
                tokio::spawn(async move {
                    let outcome = supervise(child, pgid, Some(timeout), this.inner.grace).await;
                    this.reaped(id);
                    // The receiver may be gone at shutdown: nothing to report to then.
                    let _ = results.send(ScriptDone { name, outcome });
                });
            }
            Err(reason) => {
                let _ = results.send(ScriptDone {
                    name,
                    outcome: Outcome::SpawnFailed(reason),
                });
            }
        }
        TrackStart::Started
    }

    /// Fire-and-forget (notify scripts, FIFO scripts): starts `script` with `extra` arguments
    /// appended; a task reaps it whenever it ends. Only a failure to start is reported.
    pub fn spawn_notify(&self, script: &Script, extra: &[&str]) -> Result<(), String> {
        let (child, id, pgid) = self.spawn(script, extra, Kind::Notify)?;
        let this = self.clone();
        tokio::spawn(async move {
            let _ = supervise(child, pgid, None, this.inner.grace).await;
            this.reaped(id);
        });
        Ok(())
    }

    /// Runs `script` to completion (startup/shutdown scripts, tests): the same supervision as
    /// a track script, awaited by the caller.
    pub async fn run(&self, script: &Script, extra: &[&str], timeout: Option<Duration>) -> Outcome {
        match self.spawn(script, extra, Kind::Notify) {
            Ok((child, id, pgid)) => {
                let outcome = supervise(child, pgid, timeout, self.inner.grace).await;
                self.reaped(id);
                outcome
            }
            Err(reason) => Outcome::SpawnFailed(reason),
        }
    }

    /// Stops everything: refuses new runs, sends SIGTERM to every track script's process
    /// group at once, gives notify scripts the grace period to finish by themselves, then
    /// SIGTERM, and SIGKILL to whatever is left a grace period later. Returns once every child
    /// has been reaped (bounded: at most about three grace periods plus a second).
    pub async fn shutdown(&self) {
        let tracks: Vec<i32> = {
            let mut st = self.state();
            st.shutting_down = true;
            st.running
                .values()
                .filter(|r| matches!(r.kind, Kind::Track(_)))
                .map(|r| r.pgid)
                .collect()
        };
        for pgid in tracks {
            signal_group(pgid, Signal::SIGTERM);
        }
        let grace = self.inner.grace;
        if self.wait_idle(grace).await {
            return;
        }
        self.signal_all(Signal::SIGTERM);
        if self.wait_idle(grace).await {
            return;
        }
        self.signal_all(Signal::SIGKILL);
        self.wait_idle(Duration::from_secs(1) + grace).await;
    }

    fn signal_all(&self, sig: Signal) {
        let groups: Vec<i32> = self.state().running.values().map(|r| r.pgid).collect();
        for pgid in groups {
            signal_group(pgid, sig);
        }
    }

    /// Waits until no script is running or `limit` passes; true when idle.
    async fn wait_idle(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.inner.reaped.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.running() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.running() == 0;
            }
        }
    }

    fn reaped(&self, id: u64) {
        self.state().running.remove(&id);
        self.inner.reaped.notify_waiters();
    }

    fn spawn(
        &self,
        script: &Script,
        extra: &[&str],
        kind: Kind,
    ) -> Result<(tokio::process::Child, u64, i32), String> {
        let mut st = self.state();
        if st.shutting_down {
            return Err("shutting down".to_owned());
        }
        let mut cmd = build_command(script, extra);
        let child = cmd.spawn().map_err(|e| e.to_string())?;
        let pgid = child
            .id()
            .and_then(|p| i32::try_from(p).ok())
            .ok_or_else(|| "child has no pid".to_owned())?;
        let id = st.next_id;
        st.next_id += 1;
        st.running.insert(id, Running { pgid, kind });
        Ok((child, id, pgid))
    }
}

/// The `Command` for one run of `script` with `extra` arguments appended.
fn build_command(script: &Script, extra: &[&str]) -> tokio::process::Command {
    let mut cmd = match script.mode {
        ExecMode::Direct => {
            let mut c = tokio::process::Command::new(&script.program);
            if let Some(arg0) = script.argv.first() {
                c.arg0(arg0);
            }
            c.args(script.argv.iter().skip(1));
            c
        }
        ExecMode::ShellCommand => {
            // `sh -c CMD sh EXTRA...`: the extra words become $1... for the command line.
            let mut c = tokio::process::Command::new("/bin/sh");
            c.arg("-c").arg(&script.command).arg("sh");
            c
        }
        ExecMode::ShellScript => {
            // What execve's ENOEXEC fallback in a shell does: the shell reads the file.
            let mut c = tokio::process::Command::new("/bin/sh");
            c.arg(&script.program).args(script.argv.iter().skip(1));
            c
        }
    };
    cmd.args(extra);
    for var in UNSAFE_ENV {
        cmd.env_remove(var);
    }
    match std::env::var_os(ORIGINAL_TUNABLES_ENV) {
        Some(v) if v.is_empty() => {
            cmd.env_remove("GLIBC_TUNABLES");
        }
        Some(v) => {
            cmd.env("GLIBC_TUNABLES", v);
        }
        None => {}
    }
    cmd.env_remove(ORIGINAL_TUNABLES_ENV);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    let creds = &script.creds;
    let switch = !(nix::unistd::geteuid().as_raw() == creds.uid
        && nix::unistd::getegid().as_raw() == creds.gid
        && creds.uid != 0);
    crate::ffi::script_child_setup(
        &mut cmd,
        crate::ffi::ChildIds {
            switch,
            uid: creds.uid,
            gid: creds.gid,
            groups: creds.groups.clone(),
        },
    );
    cmd
}

/// Waits for `child`, enforcing `timeout` on its process group.
async fn supervise(
    mut child: tokio::process::Child,
    pgid: i32,
    timeout: Option<Duration>,
    grace: Duration,
) -> Outcome {
    let status = match timeout {
        None => child.wait().await,
        Some(t) => match tokio::time::timeout(t, child.wait()).await {
            Ok(status) => status,
            Err(_) => {
                signal_group(pgid, Signal::SIGTERM);
                if tokio::time::timeout(grace, child.wait()).await.is_err() {
                    signal_group(pgid, Signal::SIGKILL);
                    let _ = child.wait().await;
                }
                // Anything the script left in its group goes too.
                signal_group(pgid, Signal::SIGKILL);
                return Outcome::TimedOut;
            }
        },
    };
    match status {
        Ok(st) => match (st.code(), st.signal()) {
            (Some(code), _) => Outcome::Exited(code),
            (None, Some(sig)) => Outcome::Signalled(sig),
            (None, None) => Outcome::SpawnFailed("unknown exit status".to_owned()),
        },
        Err(e) => Outcome::SpawnFailed(e.to_string()),
    }
}

/// `kill(-pgid, sig)`; a group already gone (ESRCH) is fine.
fn signal_group(pgid: i32, sig: Signal) {
    if pgid > 1 {
        let _ = killpg(Pid::from_raw(pgid), sig);
    }
}
