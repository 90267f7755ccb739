//! Process scheduling for the VRRP and checker processes (keepalived's `vrrp_priority`,
//! `vrrp_rt_priority`, `vrrp_rlimit_rttime`, `vrrp_no_swap`, `vrrp_cpu_affinity` and their
//! `checker_` twins): small safe wrappers, one system call each. Which to call, in which
//! order and what to log is the daemon's business.
//!
//! Linux schedules threads, not processes: `nice`, the policy and the affinity are per thread
//! (`tid`); [`threads`] lists the process's. The memory lock and the resource limits are per
//! process.

use std::io;
use std::time::Duration;

/// A thread id (`gettid()`; the process id for the main thread).
pub type Tid = i32;

/// The calling thread's id.
pub fn current_thread() -> Tid {
    nix::unistd::gettid().as_raw()
}

/// Every thread of this process, from `/proc/self/task`.
pub fn threads() -> io::Result<Vec<Tid>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc/self/task")? {
        if let Some(tid) = entry?.file_name().to_str().and_then(|s| s.parse().ok()) {
            out.push(tid);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Sets the nice value (-20..19) of thread `tid`.
pub fn set_nice(tid: Tid, nice: i8) -> io::Result<()> {
    crate::ffi::set_nice(tid, nice.into())
}

/// SCHED_RR at `priority` (1..99) for thread `tid`, with SCHED_RESET_ON_FORK so that the
/// scripts and threads it starts run normally (keepalived 2.2.7 sets the same flag,
/// measured with strace).
pub fn set_round_robin(tid: Tid, priority: u8) -> io::Result<()> {
    crate::ffi::set_scheduler(
        tid,
        libc::SCHED_RR | libc::SCHED_RESET_ON_FORK,
        priority.into(),
    )
}

/// Back to the normal policy (SCHED_OTHER) for thread `tid`; its nice value is kept.
pub fn set_normal(tid: Tid) -> io::Result<()> {
    crate::ffi::set_scheduler(tid, libc::SCHED_OTHER, 0)
}

/// The real-time priority of thread `tid`: `Some(p)` under SCHED_RR or SCHED_FIFO, `None`
/// under a normal policy.
pub fn rt_priority(tid: Tid) -> io::Result<Option<u8>> {
    let (policy, prio) = crate::ffi::get_scheduler(tid)?;
    Ok(match policy {
        libc::SCHED_RR | libc::SCHED_FIFO => u8::try_from(prio).ok(),
        _ => None,
    })
}

/// RLIMIT_RTTIME: CPU time a real-time thread may use without blocking. The kernel sends
/// SIGXCPU at `soft` (and each second after) and SIGKILL at `hard`.
pub fn set_rttime_limit(soft: Duration, hard: Duration) -> io::Result<()> {
    let us = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    nix::sys::resource::setrlimit(
        nix::sys::resource::Resource::RLIMIT_RTTIME,
        us(soft),
        us(hard),
    )
    .map_err(io::Error::from)
}

/// Locks the process's pages in memory, now and as they are mapped, each page as it is first
/// touched (MCL_ONFAULT: what 2.2.7 asks for, measured; VmLck then counts every mapping while
/// the resident size does not grow).
pub fn lock_memory() -> io::Result<()> {
    crate::ffi::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT)
}

/// Undoes [`lock_memory`].
pub fn unlock_memory() -> io::Result<()> {
    crate::ffi::munlockall()
}

/// Restricts thread `tid` to `cpus`.
pub fn set_affinity(tid: Tid, cpus: &[u16]) -> io::Result<()> {
    let mut set = nix::sched::CpuSet::new();
    for &c in cpus {
        set.set(usize::from(c)).map_err(io::Error::from)?;
    }
    nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(tid), &set).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calling_thread_is_listed() {
        let me = current_thread();
        assert!(threads().unwrap().contains(&me));
    }

    #[test]
    fn normal_policy_has_no_rt_priority() {
        // Test threads run under SCHED_OTHER unless the harness was started real-time.
        let prio = rt_priority(current_thread()).unwrap();
        if let Some(p) = prio {
            assert!((1..=99).contains(&p));
        }
    }

    #[test]
    fn affinity_rejects_an_empty_set_and_ids_past_the_set() {
        // A thread of our own, so the test process keeps its CPUs.
        let r = std::thread::spawn(|| {
            let me = current_thread();
            let empty = set_affinity(me, &[]);
            let huge = set_affinity(me, &[u16::MAX]);
            (empty.is_err(), huge.is_err())
        })
        .join()
        .unwrap();
        assert_eq!(r, (true, true));
    }
}
