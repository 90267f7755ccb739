//! Running scripts as keepalived does: track scripts (`vrrp_script`), notify scripts and the
//! FIFO scripts (spec 2.5, 2.6 "Execution").
//!
//! ```text
//! let (script, notice) = Script::prepare("/etc/keepalived/chk.sh arg", creds)?; // at load
//! let runner = ScriptRunner::new(Duration::from_secs(2));
//! let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
//! match runner.start_track("chk", &script, timeout, &tx) {          // every interval
//!     TrackStart::Started => {}
//!     TrackStart::AlreadyRunning => log(already_running_message("chk")),
//! }
//! let done = rx.recv().await;                                    // ScriptDone { name, outcome }
//! runner.spawn_notify(&notify_script, &["INSTANCE", "VI_1", "MASTER", "100"]);
//! runner.shutdown().await;                                       // nothing left running
//! ```

mod command;
mod runner;
mod track;

use std::path::PathBuf;

pub use command::{
    Credentials, ExecMode, PrepareNotice, Script, executable_by, resolve_program, split_command,
};
#[cfg(test)]
mod tests {
    #[test]
    fn user_error_quotes_each_word() {
        let argv = vec!["/tmp/trk/run/ids.sh".to_owned(), "pgc".to_owned()];
        assert_eq!(
            super::script_user_error(&argv),
            "Unable to set uid/gid for script '/tmp/trk/run/ids.sh' 'pgc'"
        );
    }
}

pub use runner::{
    ORIGINAL_TUNABLES_ENV, ScriptDone, ScriptRunner, TrackStart, already_running_message,
};
pub use track::{TrackScriptState, TrackUpdate};

/// How a script run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It exited with this status (0 = success for a track script).
    Exited(i32),
    /// A signal killed it (a failure for a track script).
    Signalled(i32),
    /// It outlived its timeout and was killed (SIGTERM to its process group, then SIGKILL).
    /// keepalived logs `VRRP_Script(%s) timed_out`.
    TimedOut,
    /// It could not be started; the reason is the OS error or `shutting down`.
    SpawnFailed(String),
}

impl Outcome {
    /// keepalived's success rule: exit status 0 and nothing else.
    pub fn success(&self) -> bool {
        *self == Outcome::Exited(0)
    }
}

/// keepalived 2.2.7's config error for a global `script_user` it cannot resolve (`-t` exit 5).
pub const GLOBAL_USER_ERROR: &str = "Error setting global script uid/gid";

/// keepalived 2.2.7's config error for a per-script `user` it cannot resolve; the script is
/// removed (`-t` exit 5). keepalived quotes each word: `'/x/ids.sh' 'arg'`. (2.2.7 has no
/// `user U :G` form: it reports `Script group ':G' does not exist`.)
pub fn script_user_error(argv: &[String]) -> String {
    let words: Vec<String> = argv.iter().map(|w| format!("'{w}'")).collect();
    format!("Unable to set uid/gid for script {}", words.join(" "))
}

/// Time between SIGTERM and SIGKILL for a timed-out track script: about 2 s in keepalived
/// 2.2.7 (measured: SIGTERM at the 1 s timeout, the process gone 2.0-2.1 s later).
pub const KEEPALIVED_KILL_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Errors found while preparing a script at load time. The `Display` text is keepalived's
/// log wording where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// The command line could not be split.
    #[error("script '{command}': {reason}")]
    Syntax {
        /// The command as configured.
        command: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The program does not exist (or a bare name is not on `PATH`).
    #[error("script '{}' not found/accessible - disabling.", .0.display())]
    NotFound(PathBuf),
    /// The program exists but its user may not execute it.
    #[error("WARNING - script '{}' is not executable for uid:gid {uid}:{gid} - disabling.", path.display())]
    NotExecutable {
        /// The resolved program path.
        path: PathBuf,
        /// The script's uid.
        uid: u32,
        /// The script's gid.
        gid: u32,
    },
    /// `user NAME` names no user.
    #[error("Unknown script user {0}")]
    UnknownUser(String),
    /// The group names no group.
    #[error("Unknown script group {0}")]
    UnknownGroup(String),
}
