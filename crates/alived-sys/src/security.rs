//! `enable_script_security` and the load-time script checks (spec 2.1 `script_user`, 2.6
//! "Security check at load"), as a pure function over a view of the file system so that
//! `alived -t` and the daemon share it and tests can use a temp dir.
//!
//! Behaviour measured against keepalived 2.2.7 (`keepalived -t` and a short run, in a
//! namespace, with scripts in temp dirs):
//! * Only scripts that run as root are checked. Every component of the script's real path
//!   (symlinks resolved; the message names the resolved path), the file and each directory up
//!   to `/`, must be owned by root, not group-writable unless its group is root, and not
//!   other-writable unless it is a sticky directory (`/tmp` passes).
//! * With `enable_script_security` an insecure script is disabled; without it every script
//!   still runs and the violation line says `There are insecure scripts.`
//! * `keepalived -t` prints only some of these lines (see [`Finding::config_test_messages`]) and
//!   exits 6 on a security violation, else 5 when a track script was removed, else 0.
//! * Differences kept on purpose: with a non-root `script_user`, 2.2.7's `-t` kills itself
//!   with SIGTERM (exit 143); we check normally. The brief's `Disabling notify script %s due
//!   to insecure` and `WARNING - default user 'keepalived_script' ...` are not what 2.2.7
//!   prints; 2.2.7's wording is used.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::script::{Credentials, executable_by, split_command};

/// The default script user keepalived looks for.
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// Ownership and mode of one file or directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Owner uid.
    pub uid: u32,
    /// Group gid.
    pub gid: u32,
    /// `st_mode` permission bits (including the sticky bit).
    pub mode: u32,
    /// Whether it is a directory.
    pub is_dir: bool,
}

/// What the checks need from the file system.
pub trait FsView {
    /// The program a script's first word names: a bare name searched on `PATH`, otherwise
    /// the real path with symlinks resolved.
    fn find_program(&self, first_word: &str) -> io::Result<PathBuf>;
    /// Metadata of `path`, following symlinks.
    fn metadata(&self, path: &Path) -> io::Result<Meta>;
}

/// The real file system through `std::fs`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealFs;

impl FsView for RealFs {
    fn find_program(&self, first_word: &str) -> io::Result<PathBuf> {
        if first_word.contains('/') {
            return std::fs::canonicalize(first_word);
        }
        crate::script::resolve_program(first_word, std::env::var_os("PATH"))
            .map_err(|_| io::Error::from(io::ErrorKind::NotFound))
    }
    fn metadata(&self, path: &Path) -> io::Result<Meta> {
        let m = std::fs::metadata(path)?;
        Ok(Meta {
            uid: m.uid(),
            gid: m.gid(),
            mode: m.mode() & 0o7777,
            is_dir: m.is_dir(),
        })
    }
}

/// Which configuration item a script belongs to (it decides the wording and what a
/// failure removes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptRole {
    /// `vrrp_script NAME` (a failure removes the tracker: a config error for `-t`).
    Track(String),
    /// `notify*`, FIFO scripts, startup/shutdown scripts (a failure only disables it).
    Notify,
}

/// One configured script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptRef {
    /// What it belongs to.
    pub role: ScriptRole,
    /// The command line as configured.
    pub command: String,
    /// A per-script `user U [[:]G]`, already resolved.
    pub user: Option<Credentials>,
}

/// The global settings the checks depend on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecurityConfig {
    /// `enable_script_security`.
    pub enable_script_security: bool,
    /// `script_user`, already resolved.
    pub script_user: Option<Credentials>,
    /// The `keepalived_script` user, if it exists on this system.
    pub default_user: Option<Credentials>,
}

impl SecurityConfig {
    /// Looks `keepalived_script` up in the system's user database.
    pub fn with_system_default_user(
        enable_script_security: bool,
        script_user: Option<Credentials>,
    ) -> Self {
        SecurityConfig {
            enable_script_security,
            script_user,
            default_user: Credentials::lookup(DEFAULT_SCRIPT_USER, None).ok(),
        }
    }
}

/// One result of the checks. `script` is the index into the slice given to [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// No `script_user` and no `keepalived_script` user: scripts run as root (or, with
    /// `enable_script_security`, are refused).
    DefaultUserMissing,
    /// `enable_script_security` without a usable user: the script is removed.
    NoUser {
        /// Index of the script.
        script: usize,
    },
    /// The program does not exist or cannot be reached.
    Inaccessible {
        /// Index of the script.
        script: usize,
        /// The program as written (or resolved, when it resolved).
        path: PathBuf,
        /// The OS reason, e.g. `No such file or directory`.
        reason: String,
    },
    /// The program exists but its user cannot execute it: the script is disabled.
    NotExecutable {
        /// Index of the script.
        script: usize,
        /// The resolved program.
        path: PathBuf,
        /// The script's uid.
        uid: u32,
        /// The script's gid.
        gid: u32,
    },
    /// A root script whose path non-root users could change.
    Unsafe {
        /// Index of the script.
        script: usize,
        /// The resolved program.
        path: PathBuf,
        /// Whether it is disabled (`enable_script_security` set).
        disabled: bool,
    },
    /// Scripts run, `enable_script_security` is not set.
    SecurityViolation {
        /// Some of the scripts are insecure.
        insecure: bool,
    },
}

impl Finding {
    /// keepalived 2.2.7's log lines for this finding, given the same `scripts` slice.
    pub fn messages(&self, scripts: &[ScriptRef]) -> Vec<String> {
        let track = |i: usize| match scripts.get(i).map(|s| &s.role) {
            Some(ScriptRole::Track(name)) => Some(name.clone()),
            _ => None,
        };
        let command = |i: usize| {
            scripts
                .get(i)
                .map(|s| s.command.clone())
                .unwrap_or_default()
        };
        match self {
            Finding::DefaultUserMissing => {
                vec![format!(
                    "Script user '{DEFAULT_SCRIPT_USER}' does not exist"
                )]
            }
            Finding::NoUser { script } => match track(*script) {
                Some(name) => vec![
                    format!("Unable to set default user {DEFAULT_SCRIPT_USER} for script"),
                    format!("Unable to set default user for vrrp script {name} - removing"),
                ],
                None => vec![format!(
                    "Failed to set default user for notify script {} - ignoring",
                    command(*script)
                )],
            },
            Finding::Inaccessible {
                script,
                path,
                reason,
            } => {
                let mut v = vec![format!(
                    "Script {} cannot be accessed - {reason}",
                    path.display()
                )];
                if let Some(name) = track(*script) {
                    v.push(format!(
                        "Disabling track script {name} since not found/accessible"
                    ));
                }
                v
            }
            Finding::NotExecutable { path, uid, gid, .. } => vec![format!(
                "WARNING - script '{}' is not executable for uid:gid {uid}:{gid} - disabling.",
                path.display()
            )],
            Finding::Unsafe {
                script,
                path,
                disabled,
            } => {
                if !disabled {
                    return vec![format!(
                        "Unsafe permissions found for script '{}'.",
                        path.display()
                    )];
                }
                let mut v = vec![format!(
                    "Unsafe permissions found for script '{}' - disabling.",
                    path.display()
                )];
                if let Some(name) = track(*script) {
                    v.push(format!("Disabling track script {name} due to insecure"));
                }
                v
            }
            Finding::SecurityViolation { insecure } => vec![format!(
                "SECURITY VIOLATION - scripts are being executed but script_security not enabled.{}",
                if *insecure {
                    " There are insecure scripts."
                } else {
                    ""
                }
            )],
        }
    }

    /// The lines `keepalived -t` prints for this finding (a subset of [`Finding::messages`]).
    pub fn config_test_messages(&self, scripts: &[ScriptRef]) -> Vec<String> {
        let all = self.messages(scripts);
        match self {
            Finding::NoUser { .. } if self.removes_track(scripts) => all,
            // Only the "Disabling track script" line is printed by -t.
            Finding::Inaccessible { .. } | Finding::Unsafe { .. } => all
                .into_iter()
                .filter(|l| l.starts_with("Disabling track script"))
                .collect(),
            Finding::SecurityViolation { .. } => all,
            _ => Vec::new(),
        }
    }

    /// Whether this finding removes a `vrrp_script` (a config error for `-t`: exit 5).
    pub fn removes_track(&self, scripts: &[ScriptRef]) -> bool {
        let is_track =
            |i: &usize| matches!(scripts.get(*i).map(|s| &s.role), Some(ScriptRole::Track(_)));
        match self {
            Finding::NoUser { script } | Finding::Inaccessible { script, .. } => is_track(script),
            Finding::Unsafe {
                script, disabled, ..
            } => *disabled && is_track(script),
            _ => false,
        }
    }

    /// The script this finding disables, if any.
    pub fn disabled_script(&self) -> Option<usize> {
        match self {
            Finding::NoUser { script }
            | Finding::Inaccessible { script, .. }
            | Finding::NotExecutable { script, .. } => Some(*script),
            Finding::Unsafe {
                script,
                disabled: true,
                ..
            } => Some(*script),
            _ => None,
        }
    }
}

/// `keepalived -t`'s exit status for these findings: 6 on a security violation, else 5 when a
/// track script was removed, else 0.
pub fn config_test_exit_code(findings: &[Finding], scripts: &[ScriptRef]) -> i32 {
    if findings
        .iter()
        .any(|f| matches!(f, Finding::SecurityViolation { .. }))
    {
        6
    } else if findings.iter().any(|f| f.removes_track(scripts)) {
        5
    } else {
        0
    }
}

/// Runs keepalived's load-time checks over every configured script.
pub fn check(scripts: &[ScriptRef], global: &SecurityConfig, fs: &dyn FsView) -> Vec<Finding> {
    let mut out = Vec::new();
    let needs_default = scripts.iter().any(|s| s.user.is_none()) && global.script_user.is_none();
    if needs_default && global.default_user.is_none() && !scripts.is_empty() {
        out.push(Finding::DefaultUserMissing);
    }
    let mut enabled = 0usize;
    let mut insecure = false;
    for (i, s) in scripts.iter().enumerate() {
        let creds = match (&s.user, &global.script_user, &global.default_user) {
            (Some(c), _, _) | (None, Some(c), _) | (None, None, Some(c)) => c.clone(),
            (None, None, None) if global.enable_script_security => {
                out.push(Finding::NoUser { script: i });
                continue;
            }
            (None, None, None) => Credentials::root(),
        };
        if s.command.trim_start().starts_with("</") {
            enabled += 1; // a shell redirection: nothing on disk to check
            continue;
        }
        let first = split_command(&s.command)
            .ok()
            .and_then(|w| w.into_iter().next())
            .unwrap_or_default();
        let path = match fs.find_program(&first) {
            Ok(p) => p,
            Err(e) => {
                out.push(Finding::Inaccessible {
                    script: i,
                    path: PathBuf::from(&first),
                    reason: os_reason(&e),
                });
                continue;
            }
        };
        let meta = match fs.metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                out.push(Finding::Inaccessible {
                    script: i,
                    path,
                    reason: os_reason(&e),
                });
                continue;
            }
        };
        if meta.is_dir || !executable_by(meta.mode, meta.uid, meta.gid, &creds) {
            out.push(Finding::NotExecutable {
                script: i,
                path,
                uid: creds.uid,
                gid: creds.gid,
            });
            continue;
        }
        if creds.uid == 0 && !path_is_secure(&path, fs) {
            insecure = true;
            let disabled = global.enable_script_security;
            out.push(Finding::Unsafe {
                script: i,
                path,
                disabled,
            });
            if disabled {
                continue;
            }
        }
        enabled += 1;
    }
    if enabled > 0 && !global.enable_script_security {
        out.push(Finding::SecurityViolation { insecure });
    }
    out
}

/// Whether only root can change `path`: the file and every directory up to `/`.
pub fn path_is_secure(path: &Path, fs: &dyn FsView) -> bool {
    path.ancestors().all(|p| match fs.metadata(p) {
        Ok(m) => component_is_secure(&m),
        Err(_) => false,
    })
}

/// One component: owned by root, group-writable only by group root, other-writable only
/// when it is a sticky directory.
pub fn component_is_secure(m: &Meta) -> bool {
    const S_IWGRP: u32 = 0o020;
    const S_IWOTH: u32 = 0o002;
    const S_ISVTX: u32 = 0o1000;
    if m.uid != 0 {
        return false;
    }
    if m.mode & S_IWGRP != 0 && m.gid != 0 {
        return false;
    }
    if m.mode & S_IWOTH != 0 && !(m.is_dir && m.mode & S_ISVTX != 0) {
        return false;
    }
    true
}

/// `No such file or directory` from an io::Error, without Rust's ` (os error 2)` suffix.
fn os_reason(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(uid: u32, gid: u32, mode: u32, is_dir: bool) -> Meta {
        Meta {
            uid,
            gid,
            mode,
            is_dir,
        }
    }

    #[test]
    fn component_rules_match_keepalived_2_2_7() {
        assert!(component_is_secure(&meta(0, 0, 0o755, true)));
        assert!(component_is_secure(&meta(0, 0, 0o775, false))); // group root may write
        assert!(!component_is_secure(&meta(0, 65534, 0o775, false)));
        assert!(!component_is_secure(&meta(0, 65534, 0o775, true)));
        assert!(component_is_secure(&meta(0, 0, 0o1777, true))); // /tmp
        assert!(!component_is_secure(&meta(0, 0, 0o777, true)));
        assert!(!component_is_secure(&meta(0, 0, 0o757, false)));
        assert!(!component_is_secure(&meta(0, 0, 0o1757, false))); // sticky file: no help
        assert!(!component_is_secure(&meta(1000, 0, 0o755, false)));
    }

    #[test]
    fn exit_codes() {
        let scripts = vec![ScriptRef {
            role: ScriptRole::Track("s1".into()),
            command: "/x".into(),
            user: None,
        }];
        let gone = Finding::Inaccessible {
            script: 0,
            path: "/x".into(),
            reason: "No such file or directory".into(),
        };
        assert_eq!(config_test_exit_code(&[], &scripts), 0);
        assert_eq!(
            config_test_exit_code(std::slice::from_ref(&gone), &scripts),
            5
        );
        assert_eq!(
            config_test_exit_code(
                &[gone.clone(), Finding::SecurityViolation { insecure: false }],
                &scripts
            ),
            6
        );
        assert_eq!(
            gone.config_test_messages(&scripts),
            vec!["Disabling track script s1 since not found/accessible".to_owned()]
        );
        assert_eq!(
            gone.messages(&scripts)[0],
            "Script /x cannot be accessed - No such file or directory"
        );
    }
}
