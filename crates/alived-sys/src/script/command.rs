//! A script's command line, its program and the identity it runs as: everything decided once,
//! when the configuration is loaded (spec 2.6 "Execution").

use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::ScriptError;

/// keepalived's fallback search path when `PATH` is unset.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Splits a script command line into words the way keepalived does for `script "..."`,
/// `notify_* "..."` and friends: blanks separate words, double and single quotes group (and
/// are removed), a backslash outside single quotes makes the next character literal.
pub fn split_command(cmd: &str) -> Result<Vec<String>, ScriptError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('\''), _) => cur.push(c),
            (_, '\\') => {
                let Some(next) = chars.next() else {
                    return Err(ScriptError::Syntax {
                        command: cmd.to_owned(),
                        reason: "trailing backslash",
                    });
                };
                cur.push(next);
                in_word = true;
            }
            (Some(_), _) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(ScriptError::Syntax {
            command: cmd.to_owned(),
            reason: "unterminated quote",
        });
    }
    if in_word {
        words.push(cur);
    }
    if words.is_empty() {
        return Err(ScriptError::Syntax {
            command: cmd.to_owned(),
            reason: "empty command",
        });
    }
    Ok(words)
}

/// The identity a script runs as: `script_user` or a per-script `user U [[:]G]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Real and effective uid of the script.
    pub uid: u32,
    /// Real and effective gid of the script.
    pub gid: u32,
    /// Supplementary groups set with `setgroups()` before exec.
    pub groups: Vec<u32>,
}

impl Credentials {
    /// uid 0, gid 0, supplementary group 0: keepalived's default when `keepalived_script`
    /// does not exist and no `script_user` is given.
    pub fn root() -> Self {
        Credentials {
            uid: 0,
            gid: 0,
            groups: vec![0],
        }
    }

    /// Resolves `user [[:]group]` through the system's user database. Without a group the
    /// user's primary group is used. A group written `:G` also gives the user's supplementary
    /// groups (`getgrouplist`, keepalived 2.3's form; 2.2.7 rejects it); otherwise the only
    /// supplementary group is the script's gid (measured on 2.2.7: `user postgres` runs with
    /// groups `104` only, although postgres is also in `ssl-cert`).
    pub fn lookup(user: &str, group: Option<&str>) -> Result<Self, ScriptError> {
        let unknown_user = || ScriptError::UnknownUser(user.to_owned());
        let u = match nix::unistd::User::from_name(user) {
            Ok(Some(u)) => u,
            Ok(None) | Err(_) => match user.parse::<u32>() {
                Ok(uid) => nix::unistd::User::from_uid(uid.into())
                    .ok()
                    .flatten()
                    .ok_or_else(unknown_user)?,
                Err(_) => return Err(unknown_user()),
            },
        };
        let (group, with_list) = match group {
            Some(g) => match g.strip_prefix(':') {
                Some(g) => (Some(g), true),
                None => (Some(g), false),
            },
            None => (None, false),
        };
        let gid = match group {
            None | Some("") => u.gid.as_raw(),
            Some(g) => match nix::unistd::Group::from_name(g) {
                Ok(Some(gr)) => gr.gid.as_raw(),
                Ok(None) | Err(_) => g
                    .parse::<u32>()
                    .map_err(|_| ScriptError::UnknownGroup(g.to_owned()))?,
            },
        };
        let mut groups = vec![gid];
        if with_list {
            let name = std::ffi::CString::new(user).map_err(|_| unknown_user())?;
            if let Ok(list) = nix::unistd::getgrouplist(&name, gid.into()) {
                for g in list {
                    if !groups.contains(&g.as_raw()) {
                        groups.push(g.as_raw());
                    }
                }
            }
        }
        Ok(Credentials {
            uid: u.uid.as_raw(),
            gid,
            groups,
        })
    }
}

/// How the program is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecMode {
    /// `execve(program, argv)`: no shell (keepalived's normal case).
    Direct,
    /// The command starts with `</path` (a shell redirection, e.g. `</dev/tcp/host/port`):
    /// the whole command line goes to `/bin/sh -c`.
    ShellCommand,
    /// The program is a text file without a `#!` line: the shell interprets it (keepalived
    /// runs these through `system()` and logs `Please add a #! shebang to script %s`).
    ShellScript,
}

/// A script ready to run: checked once at load, then started any number of times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// The command line as configured (used in log messages).
    pub command: String,
    /// The words of the command line; `argv[0]` as written.
    pub argv: Vec<String>,
    /// The program: found on `PATH` for a bare name, else the real path (symlinks resolved).
    pub program: PathBuf,
    /// How it is started.
    pub mode: ExecMode,
    /// Who it runs as.
    pub creds: Credentials,
}

/// Something worth a log line found while preparing a script that does not disable it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrepareNotice {
    /// The program is a text file without `#!`: it runs through the shell.
    NoShebang(PathBuf),
}

impl std::fmt::Display for PrepareNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // keepalived 2.2.x (built with libmagic) wording.
            PrepareNotice::NoShebang(p) => {
                write!(f, "Please add a #! shebang to script {}", p.display())
            }
        }
    }
}

impl Script {
    /// Parses `command`, finds its program and checks that `creds` may execute it.
    ///
    /// Errors: [`ScriptError::NotFound`] (keepalived: `... since not found/accessible`) and
    /// [`ScriptError::NotExecutable`] (`WARNING - script '%s' is not executable for uid:gid
    /// %u:%u - disabling.`). The caller logs them and disables the script.
    pub fn prepare(
        command: &str,
        creds: Credentials,
    ) -> Result<(Script, Option<PrepareNotice>), ScriptError> {
        let argv = split_command(command)?;
        if command.trim_start().starts_with("</") {
            return Ok((
                Script {
                    command: command.to_owned(),
                    argv,
                    program: PathBuf::from("/bin/sh"),
                    mode: ExecMode::ShellCommand,
                    creds,
                },
                None,
            ));
        }
        let first = argv.first().map(String::as_str).unwrap_or_default();
        let program = resolve_program(first, std::env::var_os("PATH"))?;
        let meta = fs::metadata(&program).map_err(|_| ScriptError::NotFound(program.clone()))?;
        if !meta.is_file() || !executable_by(meta.mode(), meta.uid(), meta.gid(), &creds) {
            return Err(ScriptError::NotExecutable {
                path: program,
                uid: creds.uid,
                gid: creds.gid,
            });
        }
        let (mode, notice) = if has_interpreter_magic(&program) {
            (ExecMode::Direct, None)
        } else {
            (
                ExecMode::ShellScript,
                Some(PrepareNotice::NoShebang(program.clone())),
            )
        };
        Ok((
            Script {
                command: command.to_owned(),
                argv,
                program,
                mode,
                creds,
            },
            notice,
        ))
    }
}

/// A bare name is searched on `path` (or keepalived's default search path); anything with a
/// `/` is made absolute with its symlinks resolved.
pub fn resolve_program(first: &str, path: Option<OsString>) -> Result<PathBuf, ScriptError> {
    if first.contains('/') {
        return fs::canonicalize(first).map_err(|_| ScriptError::NotFound(PathBuf::from(first)));
    }
    let path = path.unwrap_or_else(|| OsString::from(DEFAULT_PATH));
    for dir in std::env::split_paths(&path) {
        let cand = dir.join(first);
        if let Ok(m) = fs::metadata(&cand)
            && m.is_file()
            && m.mode() & 0o111 != 0
        {
            return fs::canonicalize(&cand).map_err(|_| ScriptError::NotFound(cand));
        }
    }
    Err(ScriptError::NotFound(PathBuf::from(first)))
}

/// Whether a file with `mode`, owned by `owner:group`, may be executed by `creds`, by the
/// permission bits as the kernel applies them (root needs at least one x bit).
pub fn executable_by(mode: u32, owner: u32, group: u32, creds: &Credentials) -> bool {
    if creds.uid == 0 {
        return mode & 0o111 != 0;
    }
    if owner == creds.uid {
        return mode & 0o100 != 0;
    }
    if group == creds.gid || creds.groups.contains(&group) {
        return mode & 0o010 != 0;
    }
    mode & 0o001 != 0
}

/// `#!` or an ELF header: the kernel can exec it directly.
fn has_interpreter_magic(path: &Path) -> bool {
    let mut head = [0u8; 4];
    let n = match fs::File::open(path).and_then(|mut f| f.read(&mut head)) {
        Ok(n) => n,
        Err(_) => return true, // unreadable: let execve decide
    };
    let head = &head[..n];
    head.starts_with(b"#!") || head.starts_with(b"\x7fELF")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn split_plain_and_quoted() {
        assert_eq!(
            split_command("/bin/echo a  b").ok(),
            Some(s(&["/bin/echo", "a", "b"]))
        );
        assert_eq!(
            split_command(r#"/x "two words" 'single q' c"d"e"#).ok(),
            Some(s(&["/x", "two words", "single q", "cde"]))
        );
        assert_eq!(
            split_command(r#"/x a\ b "q\"x" 'no\esc'"#).ok(),
            Some(s(&["/x", "a b", "q\"x", "no\\esc"]))
        );
        assert_eq!(split_command(r#"/x """#).ok(), Some(s(&["/x", ""])));
    }

    #[test]
    fn split_errors() {
        assert!(matches!(
            split_command("/x \"open"),
            Err(ScriptError::Syntax {
                reason: "unterminated quote",
                ..
            })
        ));
        assert!(matches!(
            split_command("   "),
            Err(ScriptError::Syntax {
                reason: "empty command",
                ..
            })
        ));
        assert!(split_command("/x \\").is_err());
    }

    #[test]
    fn exec_bits() {
        let user = Credentials {
            uid: 1000,
            gid: 100,
            groups: vec![100, 20],
        };
        assert!(executable_by(0o700, 1000, 0, &user));
        assert!(!executable_by(0o077, 1000, 100, &user)); // owner bits win
        assert!(executable_by(0o010, 0, 20, &user)); // supplementary group
        assert!(!executable_by(0o010, 0, 30, &user));
        assert!(executable_by(0o001, 0, 30, &user));
        assert!(executable_by(0o001, 5, 5, &Credentials::root()));
        assert!(!executable_by(0o644, 0, 0, &Credentials::root()));
    }

    #[test]
    fn bare_names_use_the_search_path() {
        let p = resolve_program("sh", Some(OsString::from("/nonexistent:/bin")));
        assert!(p.is_ok(), "{p:?}");
        assert!(matches!(
            resolve_program("no-such-prog-xyz", Some(OsString::from("/bin"))),
            Err(ScriptError::NotFound(_))
        ));
    }
}
