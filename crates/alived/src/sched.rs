//! How the VRRP and checker processes are scheduled (behaviour spec 2.1, and item 12 of its
//! user pain points: "A thread timer expired" and spurious failovers on busy hosts).
//!
//! keepalived 2.2.7, measured with strace, /proc and prlimit on its VRRP child:
//! - `vrrp_rt_priority N`: `sched_setscheduler(SCHED_RR|SCHED_RESET_ON_FORK, N)`, then
//!   RLIMIT_RTTIME soft = `vrrp_rlimit_rttime` / 2, hard = `vrrp_rlimit_rttime` (default
//!   10000 µs: 5000/10000). `vrrp_priority` is then not applied (no setpriority call).
//! - `vrrp_priority N` alone: `setpriority(PRIO_PROCESS, 0, N)`; RLIMIT_RTTIME untouched.
//! - `vrrp_no_swap`: `mlockall(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT)`: VmLck covers every
//!   mapping (29 MB for 2.2.7), VmRSS does not grow (3.4 MB either way).
//! - `vrrp_cpu_affinity`: `sched_setaffinity(0, set)`.
//! - Nothing of this is logged when it works; SIGXCPU (the soft limit) is logged as `VRRP
//!   process has used too much CPU time, vrrp_rlimit_rttime may need to be increased` and the
//!   process carries on.
//! - `max_auto_priority [N]`: when a timer runs later than `min_auto_priority_delay` (default
//!   1 s) it logs `A thread timer expired 1.371269 seconds ago` (whatever max_auto_priority
//!   is, even -1); if N > 0 it then switches to SCHED_RR at priority 1 (or one above its
//!   current real-time priority), setting RLIMIT_RTTIME as above, and logs `Set realtime
//!   priority 1`; each later late timer raises it by one up to N, then only the first line.
//! - Unset or 0, the parent logs `NOTICE: setting config option max_auto_priority should
//!   result in better keepalived performance` at start; -1 silences it.
//!
//! alived applies the same settings, with one difference in timing: the real-time policy
//! (and its RLIMIT_RTTIME) takes effect when start-up is complete, and a reload runs under the
//! normal policy. 2.2.7 goes real-time first and then reads and starts its instances within
//! the 10 ms limit: measured with 250 instances and `vrrp_rt_priority 50`, its VRRP child was
//! killed by SIGKILL (`pid … exited due to signal 9 (Killed) - has rlimit_rttime been
//! exceeded?`) four times at start and again at each reload.
//!
//! Linux schedules threads: the nice value and the affinity go to every thread the process
//! has at that point (the log writer too, as keepalived's single-threaded child has it all);
//! the real-time policy goes to the event-loop thread only, whose threads started later
//! (tokio's blocking pool) run normally because of SCHED_RESET_ON_FORK. Errors are logged,
//! never fatal.

use alived_config::model::GlobalDefs;
use alived_config::model::process::ProcessSched;
use alived_sys::sched;
use alived_vrrp::instance::Timestamp;
use std::time::Duration;
use tracing::{error, info, warn};

/// Which child process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Vrrp,
    Checker,
}

impl Who {
    /// The prefix of its keywords (`vrrp_rlimit_rttime`).
    fn keyword(self) -> &'static str {
        match self {
            Who::Vrrp => "vrrp",
            Who::Checker => "checker",
        }
    }
    /// Its name in log lines (keepalived's `VRRP process has used too much CPU time`).
    fn title(self) -> &'static str {
        match self {
            Who::Vrrp => "VRRP",
            Who::Checker => "Checker",
        }
    }
}

/// What one process needs from `global_defs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    pub process: ProcessSched,
    /// `max_auto_priority` when it raises priority (1..99).
    pub auto_max: Option<u8>,
    /// `min_auto_priority_delay`.
    pub min_delay: Duration,
}

impl Setup {
    pub fn from_config(g: &GlobalDefs, who: Who) -> Setup {
        Setup {
            process: match who {
                Who::Vrrp => g.vrrp_process.clone(),
                Who::Checker => g.checker_process.clone(),
            },
            auto_max: g.auto_priority_max(),
            min_delay: g.min_auto_priority_delay.as_duration(),
        }
    }
}

/// keepalived's NOTICE, logged by the parent at start when `max_auto_priority` is unset or 0.
pub const AUTO_PRIORITY_NOTICE: &str = "NOTICE: setting config option max_auto_priority should result in better keepalived performance";

/// The RLIMIT_RTTIME pair 2.2.7 sets for a `*_rlimit_rttime` of `hard`: soft = half.
/// In whole microseconds, as the limit is.
fn rttime_limits(hard: Duration) -> (Duration, Duration) {
    let us = u64::try_from(hard.as_micros()).unwrap_or(u64::MAX);
    (Duration::from_micros(us / 2), hard)
}

/// Switches the calling thread to SCHED_RR at `prio` and, if `first`, sets RLIMIT_RTTIME.
fn go_real_time(who: Who, prio: u8, first: bool, rttime: Duration) -> bool {
    if let Err(e) = sched::set_round_robin(sched::current_thread(), prio) {
        error!(
            "{} process: cannot set real-time priority {prio}: {e}",
            who.title()
        );
        return false;
    }
    if first {
        let (soft, hard) = rttime_limits(rttime);
        if let Err(e) = sched::set_rttime_limit(soft, hard) {
            error!(
                "{} process: cannot set {}_rlimit_rttime {}: {e}",
                who.title(),
                who.keyword(),
                hard.as_micros()
            );
        }
    }
    true
}

/// Every thread of this process (the calling one if they cannot be listed).
fn all_threads() -> Vec<sched::Tid> {
    sched::threads().unwrap_or_else(|e| {
        warn!("cannot list this process's threads: {e}");
        vec![sched::current_thread()]
    })
}

fn set_nice(who: Who, nice: i8) {
    for tid in all_threads() {
        if let Err(e) = sched::set_nice(tid, nice) {
            error!(
                "{} process: cannot set {}_priority {nice}: {e}",
                who.title(),
                who.keyword()
            );
            return;
        }
    }
}

fn lock_memory(who: Who, lock: bool) {
    let r = if lock {
        sched::lock_memory()
    } else {
        sched::unlock_memory()
    };
    if let Err(e) = r {
        error!(
            "{} process: cannot {} its memory ({}_no_swap): {e}",
            who.title(),
            if lock { "lock" } else { "unlock" },
            who.keyword()
        );
    }
}

fn set_affinity(who: Who, cpus: &[u16]) {
    for tid in all_threads() {
        if let Err(e) = sched::set_affinity(tid, cpus) {
            error!(
                "{} process: cannot set {}_cpu_affinity {cpus:?}: {e}",
                who.title(),
                who.keyword()
            );
            return;
        }
    }
}

/// Applies `p` to this process but its real-time priority (see [`enter_real_time`]): call
/// from the thread that will run the event loop, before the runtime starts.
pub fn apply(who: Who, p: &ProcessSched) {
    // 2.2.7: no setpriority with a real-time priority.
    if let (None, Some(nice)) = (p.rt_priority, p.nice) {
        set_nice(who, nice);
    }
    if p.no_swap {
        lock_memory(who, true);
    }
    if !p.cpu_affinity.is_empty() {
        set_affinity(who, &p.cpu_affinity);
    }
}

/// Switches the calling thread to `p.rt_priority` (if set) with its RLIMIT_RTTIME; returns
/// the real-time priority in force afterwards.
pub fn enter_real_time(who: Who, p: &ProcessSched) -> Option<u8> {
    let prio = p.rt_priority?;
    go_real_time(who, prio, true, p.rlimit_rttime.as_duration()).then_some(prio)
}

/// Runs the calling thread under the normal policy until dropped, if it was real-time: a
/// reload reads and builds the whole configuration without blocking, past any sensible
/// RLIMIT_RTTIME. [`NormalPriority::reconfigure`] applies a reload's new settings, the
/// real-time priority among them when the guard drops.
#[must_use]
pub struct NormalPriority {
    /// The real-time priority to return to.
    restore: Option<u8>,
    /// Set RLIMIT_RTTIME to this when returning.
    rttime: Option<Duration>,
}

impl NormalPriority {
    pub fn enter() -> NormalPriority {
        let tid = sched::current_thread();
        let restore = match sched::rt_priority(tid) {
            Ok(Some(p)) => match sched::set_normal(tid) {
                Ok(()) => Some(p),
                Err(e) => {
                    warn!("cannot leave real-time scheduling for the reload: {e}");
                    None
                }
            },
            _ => None,
        };
        NormalPriority {
            restore,
            rttime: None,
        }
    }

    /// A reload changed the settings from `old` to `new`: applies what changed, as 2.2.7
    /// does on reload (measured: an added `vrrp_rt_priority`, `vrrp_no_swap` or
    /// `vrrp_cpu_affinity` takes effect; a removed real-time priority or `vrrp_no_swap` is
    /// undone; a removed affinity is left in place). A priority raised by
    /// `max_auto_priority` is kept while `vrrp_rt_priority` does not change.
    pub fn reconfigure(&mut self, who: Who, old: &ProcessSched, new: &ProcessSched) {
        if new.rt_priority != old.rt_priority {
            self.restore = new.rt_priority;
        }
        if new.rt_priority.is_some()
            && (new.rt_priority != old.rt_priority || new.rlimit_rttime != old.rlimit_rttime)
        {
            self.rttime = Some(new.rlimit_rttime.as_duration());
        }
        let nice = |p: &ProcessSched| p.nice.filter(|_| p.rt_priority.is_none());
        if nice(new) != nice(old) {
            set_nice(who, nice(new).unwrap_or(0));
        }
        if new.no_swap != old.no_swap {
            lock_memory(who, new.no_swap);
        }
        if !new.cpu_affinity.is_empty() && new.cpu_affinity != old.cpu_affinity {
            set_affinity(who, &new.cpu_affinity);
        }
    }
}

impl Drop for NormalPriority {
    fn drop(&mut self) {
        if let Some(p) = self.restore {
            if let Err(e) = sched::set_round_robin(sched::current_thread(), p) {
                error!("cannot return to real-time priority {p} after the reload: {e}");
                return;
            }
            if let Some(hard) = self.rttime {
                let (soft, hard) = rttime_limits(hard);
                if let Err(e) = sched::set_rttime_limit(soft, hard) {
                    error!("cannot set the real-time limit after the reload: {e}");
                }
            }
        }
    }
}

/// Logs SIGXCPU (RLIMIT_RTTIME's soft limit) as 2.2.7 does, instead of dying of it. Call
/// inside the runtime.
pub fn watch_cpu_limit(who: Who) {
    use tokio::signal::unix::{SignalKind, signal};
    let kind = SignalKind::from_raw(nix::sys::signal::Signal::SIGXCPU as i32);
    match signal(kind) {
        Ok(mut s) => {
            tokio::spawn(async move {
                while s.recv().await.is_some() {
                    warn!(
                        "{} process has used too much CPU time, {}_rlimit_rttime may need to be increased",
                        who.title(),
                        who.keyword()
                    );
                }
            });
        }
        Err(e) => warn!("cannot watch SIGXCPU: {e}"),
    }
}

/// The real-time priority to raise to from `rt` (`None`: a normal policy) under
/// `max_auto_priority` `max`; `None` when there is nothing to raise.
fn next_priority(rt: Option<u8>, max: Option<u8>) -> Option<u8> {
    let next = rt.map_or(1, |p| p.saturating_add(1));
    max.filter(|&m| next <= m).map(|_| next)
}

/// Watches how late the event loop wakes after the deadline it armed (`max_auto_priority`,
/// `min_auto_priority_delay`): see the module docs for 2.2.7's behaviour.
#[derive(Debug)]
pub struct LateTimers {
    who: Who,
    min_delay: Duration,
    max: Option<u8>,
    rttime: Duration,
    /// The settings in force at start.
    process: ProcessSched,
    /// Whether `process.rt_priority` is still to be entered (when the loop first waits:
    /// start-up is over).
    pending: bool,
    /// The deadline the loop waits for, never before the moment it was armed (time the loop
    /// spent working before it waited is not lateness of the scheduler).
    armed: Option<Timestamp>,
}

impl LateTimers {
    /// Also enters `s.process.rt_priority` at the first [`LateTimers::armed`].
    pub fn new(who: Who, s: &Setup) -> LateTimers {
        LateTimers {
            who,
            min_delay: s.min_delay,
            max: s.auto_max,
            rttime: s.process.rlimit_rttime.as_duration(),
            process: s.process.clone(),
            pending: true,
            armed: None,
        }
    }

    /// The settings in force at start.
    pub fn process(&self) -> &ProcessSched {
        &self.process
    }

    /// The loop is about to wait for `deadline` (none: no timer), at `now`.
    pub fn armed(&mut self, deadline: Option<Timestamp>, now: Timestamp) {
        if std::mem::take(&mut self.pending) {
            enter_real_time(self.who, &self.process);
        }
        self.armed = deadline.map(|d| d.max(now));
    }

    /// The loop woke at `now`; returns how late it was if that counted (more than
    /// `min_auto_priority_delay` past the deadline), after logging it and raising the
    /// priority.
    pub fn woke(&mut self, now: Timestamp) -> Option<Duration> {
        let armed = self.armed.take()?;
        let late = now.saturating_duration_since(armed);
        if late <= self.min_delay {
            return None;
        }
        warn!(
            "A thread timer expired {:.6} seconds ago",
            late.as_secs_f64()
        );
        self.raise();
        Some(late)
    }

    fn raise(&mut self) {
        // The kernel's word: a reload may have changed it.
        let current = match sched::rt_priority(sched::current_thread()) {
            Ok(p) => p,
            Err(e) => {
                warn!("cannot read the scheduling policy: {e}");
                return;
            }
        };
        let Some(next) = next_priority(current, self.max) else {
            return;
        };
        if go_real_time(self.who, next, current.is_none(), self.rttime) {
            info!("Set realtime priority {next}");
        } else {
            // Not permitted here: say so once, not at every late timer.
            self.max = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_is_half_the_configured_one() {
        // 2.2.7: 10000 -> 5000/10000, 20000 -> 10000/20000, 5000 -> 2500/5000.
        for (hard, soft) in [(10_000, 5_000), (20_000, 10_000), (5_000, 2_500), (1, 0)] {
            assert_eq!(
                rttime_limits(Duration::from_micros(hard)),
                (Duration::from_micros(soft), Duration::from_micros(hard))
            );
        }
    }

    fn t(us: u64) -> Timestamp {
        Timestamp::from_micros(us)
    }

    fn watcher(max: Option<u8>) -> LateTimers {
        let s = Setup {
            process: ProcessSched::default(),
            auto_max: max,
            min_delay: Duration::from_millis(100),
        };
        LateTimers::new(Who::Vrrp, &s)
    }

    // Lateness counts from the deadline, or from when it was armed if that was later; a
    // wake with no timer armed, or early, or within min_auto_priority_delay, does not count.
    // (No max: nothing is raised, so the test needs no privilege.)
    #[test]
    fn only_waits_past_the_deadline_by_more_than_the_delay_count() {
        let mut w = watcher(None);
        assert_eq!(w.woke(t(10_000_000)), None);
        w.armed(Some(t(1_000_000)), t(0));
        assert_eq!(w.woke(t(900_000)), None);
        w.armed(Some(t(1_000_000)), t(0));
        assert_eq!(w.woke(t(1_100_000)), None);
        w.armed(Some(t(1_000_000)), t(0));
        assert_eq!(w.woke(t(1_250_000)), Some(Duration::from_millis(250)));
        // Armed late (the loop was busy): measured from the arming.
        w.armed(Some(t(1_000_000)), t(5_000_000));
        assert_eq!(w.woke(t(5_090_000)), None);
        w.armed(Some(t(1_000_000)), t(5_000_000));
        assert_eq!(w.woke(t(5_200_000)), Some(Duration::from_millis(200)));
        w.armed(None, t(0));
        assert_eq!(w.woke(t(99_000_000)), None);
    }

    // 2.2.7: from a normal policy to 1, then one at a time up to max_auto_priority; from a
    // configured vrrp_rt_priority 5 to 6, 7...
    #[test]
    fn priority_rises_by_one_up_to_the_maximum() {
        assert_eq!(next_priority(None, Some(20)), Some(1));
        assert_eq!(next_priority(Some(1), Some(20)), Some(2));
        assert_eq!(next_priority(Some(5), Some(10)), Some(6));
        assert_eq!(next_priority(Some(2), Some(2)), None);
        assert_eq!(next_priority(Some(50), Some(10)), None);
        assert_eq!(next_priority(None, None), None);
        assert_eq!(next_priority(Some(99), Some(99)), None);
    }
}
