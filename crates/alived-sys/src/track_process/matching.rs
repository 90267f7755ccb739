//! Which processes match a `vrrp_track_process`, and the quorum with its delays. Pure.

use std::time::{Duration, Instant};

/// The kernel's `TASK_COMM_LEN - 1`: `/proc/PID/comm` holds at most 15 bytes.
const COMM_MAX: usize = 15;

/// `param_match`, as measured on keepalived 2.2.7 (`process kaslp 30`):
///
/// | process parameters | exact | `initial` | `partial` |
/// |---|---|---|---|
/// | `30`      | yes | yes | yes |
/// | `30 1`    | no  | yes | yes |
/// | `301`     | no  | yes | no  |
/// | `1 30`    | no  | no  | no  |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParamMatch {
    /// (default) the process's parameters are exactly the configured ones.
    #[default]
    Exact,
    /// `initial`: the configured parameters, as one string, start the process's parameter
    /// string (byte prefix: `30` matches `301`).
    Initial,
    /// `partial`: the configured parameters are the first whole parameters of the process.
    Partial,
}

/// One `vrrp_track_process` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSpec {
    /// The block's name.
    pub name: String,
    /// `process NAME`: compared with `/proc/PID/comm`; with `full_command` or with
    /// parameters, compared with `argv[0]` exactly (measured: `kaslp 301` matches
    /// `process kaslp 301`, `./kaslp 301` does not).
    pub process: String,
    /// `process NAME PARAM...`: `None` when no parameters were given (any match).
    pub params: Option<Vec<String>>,
    /// `param_match`.
    pub param_match: ParamMatch,
    /// `full_command`.
    pub full_command: bool,
    /// `quorum` (default 1).
    pub quorum: u32,
    /// `quorum_max` (default: no maximum).
    pub quorum_max: Option<u32>,
    /// `fork_delay` (or `delay`): how long a quorum gained through a *fork* of a matching
    /// process must hold before it is reported. keepalived 2.2.7 (measured) reports a quorum
    /// gained by an exec at once, whatever the fork_delay.
    pub fork_delay: Duration,
    /// `terminate_delay` (or `delay`): how long a lost quorum must last before it is reported.
    pub terminate_delay: Duration,
}

impl ProcessSpec {
    /// A spec with keepalived's defaults: quorum 1, no maximum, no delays, exact match.
    pub fn new(name: &str, process: &str) -> Self {
        ProcessSpec {
            name: name.to_owned(),
            process: process.to_owned(),
            params: None,
            param_match: ParamMatch::Exact,
            full_command: false,
            quorum: 1,
            quorum_max: None,
            fork_delay: Duration::ZERO,
            terminate_delay: Duration::ZERO,
        }
    }

    /// Whether a process with this `comm` and command line matches.
    pub fn matches(&self, p: &ProcInfo) -> bool {
        let name_ok = if self.full_command || self.params.is_some() {
            p.argv.first().is_some_and(|a0| *a0 == self.process)
        } else {
            let want = truncate_comm(&self.process);
            p.comm == want
        };
        if !name_ok {
            return false;
        }
        let Some(params) = &self.params else {
            return true;
        };
        let args = p.argv.get(1..).unwrap_or_default();
        match self.param_match {
            ParamMatch::Exact => args == params.as_slice(),
            ParamMatch::Initial => args.join("\0").starts_with(&params.join("\0")),
            ParamMatch::Partial => args.starts_with(params),
        }
    }

    /// Whether `count` matching processes make a quorum: `quorum <= count <= quorum_max`.
    pub fn has_quorum(&self, count: u32) -> bool {
        count >= self.quorum && self.quorum_max.is_none_or(|max| count <= max)
    }
}

/// The first 15 bytes of a name, as the kernel stores it in `comm`. keepalived 2.2.7
/// compares the configured name untruncated, so a name longer than 15 bytes never matches
/// there (measured); we compare what the kernel can store instead.
fn truncate_comm(name: &str) -> &str {
    let mut end = name.len().min(COMM_MAX);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name.get(..end).unwrap_or(name)
}

/// What matching needs to know about a process.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcInfo {
    /// `/proc/PID/comm` without the newline.
    pub comm: String,
    /// `/proc/PID/cmdline` split at NULs (empty for kernel threads).
    pub argv: Vec<String>,
}

/// Reads `/proc/PID/comm` and `/proc/PID/cmdline`; `None` once the process is gone.
pub fn read_proc_info(pid: u32) -> Option<ProcInfo> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let argv = cmdline
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    Some(ProcInfo {
        comm: comm.trim_end_matches('\n').to_owned(),
        argv,
    })
}

/// The reported quorum of one tracker, with `fork_delay`/`terminate_delay` applied: a change
/// is reported only once it has lasted its delay; a change that reverts within the delay is
/// never reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quorum {
    reported: Option<bool>,
    pending: Option<(bool, Instant)>,
}

impl Default for Quorum {
    fn default() -> Self {
        Self::new()
    }
}

impl Quorum {
    /// Nothing reported yet.
    pub fn new() -> Self {
        Quorum {
            reported: None,
            pending: None,
        }
    }

    /// The last reported state.
    pub fn reported(&self) -> Option<bool> {
        self.reported
    }

    /// The current quorum is `now_has`: returns a state to report now, if any. The first call
    /// (after the initial scan) reports at once, without delay. A gain waits `gain_delay`
    /// (the spec's `fork_delay` when a fork caused it, else zero), a loss the spec's
    /// `terminate_delay`.
    pub fn update(
        &mut self,
        spec: &ProcessSpec,
        now: Instant,
        now_has: bool,
        gain_delay: Duration,
    ) -> Option<bool> {
        match self.reported {
            None => {
                self.reported = Some(now_has);
                self.pending = None;
                Some(now_has)
            }
            Some(r) if r == now_has => {
                self.pending = None;
                None
            }
            Some(_) => {
                let delay = if now_has {
                    gain_delay
                } else {
                    spec.terminate_delay
                };
                let due = now + delay;
                // The same change seen again (e.g. the exec after a fork) keeps the earlier
                // of the two deadlines.
                let due = match self.pending {
                    Some((s, t)) if s == now_has => t.min(due),
                    _ => due,
                };
                self.pending = Some((now_has, due));
                self.poll(now)
            }
        }
    }

    /// When a pending change becomes due.
    pub fn deadline(&self) -> Option<Instant> {
        self.pending.map(|(_, t)| t)
    }

    /// Reports a pending change whose delay has passed.
    pub fn poll(&mut self, now: Instant) -> Option<bool> {
        match self.pending {
            Some((s, t)) if now >= t => {
                self.pending = None;
                self.reported = Some(s);
                Some(s)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(comm: &str, argv: &[&str]) -> ProcInfo {
        ProcInfo {
            comm: comm.into(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn name_and_parameter_matching() {
        let mut s = ProcessSpec::new("t", "nginx");
        let p = info("nginx", &["/usr/sbin/nginx", "-g", "daemon off;"]);
        assert!(s.matches(&p)); // comm
        assert!(!s.matches(&info("nginx-x", &["/usr/sbin/nginx"])));
        s.full_command = true;
        assert!(!s.matches(&p));
        s.process = "/usr/sbin/nginx".into();
        assert!(s.matches(&p));
        s.full_command = false;
        // With parameters the name is argv[0], even without full_command.
        s.params = Some(vec!["-g".into(), "daemon off;".into()]);
        assert!(s.matches(&p));
        s.process = "nginx".into();
        assert!(!s.matches(&p));
    }

    #[test]
    fn param_match_table_measured_on_keepalived() {
        // (process parameters, exact, initial, partial) for `process kaslp 30`.
        let table: [(&[&str], bool, bool, bool); 5] = [
            (&["30"], true, true, true),
            (&["30", "1"], false, true, true),
            (&["301"], false, true, false),
            (&["3012"], false, true, false),
            (&["1", "30"], false, false, false),
        ];
        for (args, exact, initial, partial) in table {
            let mut argv = vec!["kaslp"];
            argv.extend_from_slice(args);
            let p = info("kaslp", &argv);
            let mut s = ProcessSpec::new("t", "kaslp");
            s.params = Some(vec!["30".into()]);
            for (mode, want) in [
                (ParamMatch::Exact, exact),
                (ParamMatch::Initial, initial),
                (ParamMatch::Partial, partial),
            ] {
                s.param_match = mode;
                assert_eq!(s.matches(&p), want, "{args:?} {mode:?}");
            }
        }
    }

    #[test]
    fn long_names_compare_as_the_kernel_truncates_comm() {
        let s = ProcessSpec::new("t", "a-very-long-process-name");
        assert!(s.matches(&info("a-very-long-pro", &[])));
    }

    #[test]
    fn quorum_bounds() {
        let mut s = ProcessSpec::new("t", "x");
        assert!(!s.has_quorum(0));
        assert!(s.has_quorum(1));
        s.quorum = 2;
        s.quorum_max = Some(3);
        assert!(!s.has_quorum(1));
        assert!(s.has_quorum(3));
        assert!(!s.has_quorum(4));
    }

    #[test]
    fn delays() {
        let mut s = ProcessSpec::new("t", "x");
        s.fork_delay = Duration::from_secs(2);
        s.terminate_delay = Duration::from_secs(5);
        let t0 = Instant::now();
        let mut q = Quorum::new();
        let fork = s.fork_delay;
        assert_eq!(q.update(&s, t0, false, fork), Some(false)); // initial: at once
        assert_eq!(q.update(&s, t0, true, fork), None);
        assert_eq!(q.deadline(), Some(t0 + Duration::from_secs(2)));
        assert_eq!(q.poll(t0 + Duration::from_secs(1)), None);
        assert_eq!(q.poll(t0 + Duration::from_secs(2)), Some(true));
        // A loss that comes back within terminate_delay is never reported.
        assert_eq!(q.update(&s, t0 + Duration::from_secs(3), false, fork), None);
        assert_eq!(q.update(&s, t0 + Duration::from_secs(4), true, fork), None);
        assert_eq!(q.deadline(), None);
        assert_eq!(q.poll(t0 + Duration::from_secs(60)), None);
        // A gain by fork waits; the exec that follows makes it due at once.
        assert_eq!(q.update(&s, t0 + Duration::from_secs(5), false, fork), None);
        assert_eq!(q.poll(t0 + Duration::from_secs(10)), Some(false));
        assert_eq!(q.update(&s, t0 + Duration::from_secs(11), true, fork), None);
        assert_eq!(
            q.update(&s, t0 + Duration::from_secs(11), true, Duration::ZERO),
            Some(true)
        );
        // Without delays a change is reported at once.
        let s0 = ProcessSpec::new("t", "x");
        assert_eq!(q.update(&s0, t0, false, Duration::ZERO), Some(false));
        assert_eq!(q.reported(), Some(false));
        // A gain by exec (no fork) is reported at once even with a fork_delay.
        assert_eq!(q.update(&s, t0, true, Duration::ZERO), Some(true));
    }
}
