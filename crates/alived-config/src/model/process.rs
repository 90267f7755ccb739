//! Process scheduling in `global_defs` (behaviour spec 2.1): `{vrrp,checker,bfd}_priority`,
//! `_rt_priority`, `_rlimit_rttime`, `_no_swap`, `_cpu_affinity`, and `min_auto_priority_delay`.
//!
//! Values and messages measured on keepalived 2.2.7 (`keepalived -t`, and the daemon's log
//! with `-n -l -D`):
//! - `vrrp_priority 20` -> `number '20' outside range [-20, 19]` and `Invalid vrrp process
//!   priority specified`; `99999999999` -> `number '…' outside integer range` (same second line).
//! - `vrrp_rt_priority 0` (or `-5`) -> `vrrp process real-time priority 0 less than minimum 1 -
//!   setting to minimum` and runs at 1; `100` -> `… greater than maximum 99 - setting to
//!   maximum` and runs at 99; `1.5` -> `invalid number '1.5'` and `vrrp process real-time
//!   priority '1.5' invalid` (ignored).
//! - `vrrp_rlimit_rttime 0` -> `number '0' outside range [1, 4294967295]`, `Invalid vrrp
//!   real-time limit - 0`. 2.2.7 then sets no RLIMIT_RTTIME at all (measured with prlimit:
//!   unlimited), leaving a real-time process without the kernel's brake; alived keeps the
//!   default (10000 µs) instead.
//! - `vrrp_rlimit_rtime` (old spelling): the daemon logs `Keyword 'vrrp_rlimit_rtime' is
//!   deprecated - please use 'vrrp_rlimit_rttime'`, `-t` says nothing (a note here).
//! - `vrrp_cpu_affinity 1 7` on a 2-CPU host -> `number '7' outside range [0, 1]` and `Invalid
//!   cpu_id:7 specified for vrrp process`, and no CPU of the line is used (2.2.7 keeps the
//!   inherited set); `x`, `0-1` or `0,1` -> `invalid number 'x'` and `Invalid cpu_id:0
//!   specified for vrrp process` under `-t` (the daemon, laxer, pins to CPU 0: alived does
//!   not). The range is the host's CPU count, not the caller's affinity (measured under
//!   `taskset -c 0`).
//! - `min_auto_priority_delay 0` -> `number '0' outside range [1, 10000000]` and
//!   `min_auto_priority_delay '0' must be in [1, 10000000] - ignoring`; with no value
//!   `min_auto_priority_delay requires delay time`.

use super::rules;
use super::values::{Cx, Interval};
use crate::ast::{Node, Token};
use serde::Serialize;

/// keepalived's default `*_rlimit_rttime`: 10 ms of CPU without blocking.
pub const DEFAULT_RLIMIT_RTTIME: Interval = Interval(10_000);
/// `sched_get_priority_max(SCHED_RR)` on Linux.
pub const MAX_RT_PRIORITY: u8 = 99;
/// CPU ids accepted when the host's CPU count is not known (the kernel's CPU_SETSIZE).
const MAX_CPUS: u32 = 1024;

/// How one child process is scheduled (`vrrp_*`, `checker_*` or `bfd_*` in `global_defs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessSched {
    /// `*_priority`: the nice value, -20..19 (negative = more CPU). Not applied with
    /// `rt_priority` (2.2.7 calls no setpriority then, measured).
    pub nice: Option<i8>,
    /// `*_rt_priority`: SCHED_RR at this priority, 1..99 (out-of-range values are clamped
    /// with a message, as keepalived does).
    pub rt_priority: Option<u8>,
    /// `*_rlimit_rttime`: RLIMIT_RTTIME while real-time (hard limit; the soft limit, which
    /// sends SIGXCPU, is half of it, as 2.2.7 sets them). Default 10000 µs.
    pub rlimit_rttime: Interval,
    /// `*_no_swap`: lock the process's pages in memory.
    pub no_swap: bool,
    /// `*_cpu_affinity`: the CPUs the process may run on, ascending; empty = unchanged.
    pub cpu_affinity: Vec<u16>,
}

impl Default for ProcessSched {
    fn default() -> Self {
        ProcessSched {
            nice: None,
            rt_priority: None,
            rlimit_rttime: DEFAULT_RLIMIT_RTTIME,
            no_swap: false,
            cpu_affinity: Vec::new(),
        }
    }
}

impl ProcessSched {
    /// Whether anything is set (the process is left as started otherwise).
    pub fn is_set(&self) -> bool {
        self.nice.is_some()
            || self.rt_priority.is_some()
            || self.no_swap
            || !self.cpu_affinity.is_empty()
    }
}

/// An integer as keepalived's `read_int` sees it: `Err(message)` for text that is not one or
/// does not fit 32 bits.
fn int32(s: &str) -> Result<i64, String> {
    let body = s.strip_prefix('+').unwrap_or(s);
    let digits = body.strip_prefix('-').unwrap_or(body);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("invalid number '{s}'"));
    }
    match body.parse::<i64>() {
        Ok(v) if i32::try_from(v).is_ok() => Ok(v),
        _ => Err(format!("number '{s}' outside integer range")),
    }
}

/// Applies one `{vrrp,checker,bfd}_*` scheduling keyword; `who` is the process
/// (`vrrp`, `checker`, `bfd`). Returns false if `kw` is not one of them.
pub(crate) fn apply(
    cx: &mut Cx<'_>,
    slot: &mut ProcessSched,
    who: &str,
    kw: &str,
    n: &Node,
) -> bool {
    match kw {
        "priority" => nice(cx, slot, who, n),
        "rt_priority" => rt_priority(cx, slot, who, n),
        "rlimit_rttime" | "rlimit_rtime" => {
            if kw == "rlimit_rtime" {
                cx.note(
                    Some(n.keyword.span),
                    format!(
                        "Keyword '{who}_rlimit_rtime' is deprecated - please use '{who}_rlimit_rttime'"
                    ),
                );
            }
            // The rule table has 2.2.7's range and messages.
            if rules::check(cx, "global_defs", "", n) == Some(true)
                && let Some(v) = n.args.first().and_then(|t| t.text.parse::<u64>().ok())
            {
                slot.rlimit_rttime = Interval(v);
            }
        }
        "no_swap" => slot.no_swap = true,
        "cpu_affinity" => cpu_affinity(cx, slot, who, n),
        _ => return false,
    }
    true
}

fn nice(cx: &mut Cx<'_>, slot: &mut ProcessSched, who: &str, n: &Node) {
    let Some(t) = n.args.first() else {
        cx.err(n.span, format!("No {who} process priority specified"));
        return;
    };
    let problem = match int32(&t.text) {
        Ok(v) => match i8::try_from(v) {
            Ok(v) if (-20..=19).contains(&v) => {
                slot.nice = Some(v);
                return;
            }
            _ => format!("number '{}' outside range [-20, 19]", t.text),
        },
        Err(m) => m,
    };
    cx.err(t.span, problem);
    cx.err(t.span, format!("Invalid {who} process priority specified"));
}

fn rt_priority(cx: &mut Cx<'_>, slot: &mut ProcessSched, who: &str, n: &Node) {
    let Some(t) = n.args.first() else {
        cx.err(
            n.span,
            format!("No {who} process real-time priority specified"),
        );
        return;
    };
    match int32(&t.text) {
        Ok(v) if v < 1 => {
            cx.err(
                t.span,
                format!(
                    "{who} process real-time priority {v} less than minimum 1 - setting to minimum"
                ),
            );
            slot.rt_priority = Some(1);
        }
        Ok(v) if v > i64::from(MAX_RT_PRIORITY) => {
            cx.err(
                t.span,
                format!(
                    "{who} process real-time priority {v} greater than maximum {MAX_RT_PRIORITY} - setting to maximum"
                ),
            );
            slot.rt_priority = Some(MAX_RT_PRIORITY);
        }
        Ok(v) => slot.rt_priority = u8::try_from(v).ok(),
        Err(m) => {
            cx.err(t.span, m);
            cx.err(
                t.span,
                format!("{who} process real-time priority '{}' invalid", t.text),
            );
        }
    }
}

/// One CPU id in `[0, cpus - 1]`, or keepalived's two messages and `None`.
fn cpu_id(cx: &mut Cx<'_>, who: &str, t: &Token, cpus: u32) -> Option<u16> {
    let last = cpus.saturating_sub(1);
    let (problem, shown) = match int32(&t.text) {
        Ok(v) if (0..=i64::from(last)).contains(&v) => return u16::try_from(v).ok(),
        Ok(v) => (
            format!("number '{}' outside range [0, {last}]", t.text),
            v.to_string(),
        ),
        // keepalived names the id it read, 0 for text that is not a number.
        Err(m) => (m, "0".to_owned()),
    };
    cx.err(t.span, problem);
    cx.err(
        t.span,
        format!("Invalid cpu_id:{shown} specified for {who} process"),
    );
    None
}

fn cpu_affinity(cx: &mut Cx<'_>, slot: &mut ProcessSched, who: &str, n: &Node) {
    if n.args.is_empty() {
        cx.err(n.span, format!("No {who} cpu_id set specified"));
        return;
    }
    let cpus = cx.host_cpus.unwrap_or(MAX_CPUS);
    let mut set = Vec::with_capacity(n.args.len());
    for t in &n.args {
        // One bad id and the whole line is dropped (2.2.7 keeps the inherited set).
        let Some(id) = cpu_id(cx, who, t, cpus) else {
            return;
        };
        set.push(id);
    }
    set.sort_unstable();
    set.dedup();
    slot.cpu_affinity = set;
}

/// `min_auto_priority_delay USECS`: 1..10000000, default 1 s.
pub(crate) fn min_auto_priority_delay(cx: &mut Cx<'_>, n: &Node) -> Option<Interval> {
    let Some(t) = n.args.first() else {
        cx.err(n.span, "min_auto_priority_delay requires delay time");
        return None;
    };
    match cx.unsigned(t, 1, 10_000_000) {
        Some(v) => Some(Interval(v)),
        None => {
            cx.err(
                t.span,
                format!(
                    "min_auto_priority_delay '{}' must be in [1, 10000000] - ignoring",
                    t.text
                ),
            );
            None
        }
    }
}
