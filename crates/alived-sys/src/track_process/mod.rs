//! `vrrp_track_process NAME { process NAME [params...]; param_match initial|partial;
//! weight W [reverse]; quorum N; quorum_max N; delay S; fork_delay S; terminate_delay S;
//! full_command }` (spec 2.5): counts the running processes that match, from an initial
//! `/proc` scan plus the kernel's process events (netlink proc connector), and reports when a
//! tracker gains or loses its quorum.
//!
//! The kernel delivers process events only to sockets of the initial network namespace: a
//! daemon that runs in a `net_namespace` must start the tracker before `netns::enter` (the
//! socket keeps its namespace). keepalived 2.2.7 in a namespace fails here (measured:
//! `Failed to set/clear process event listen - errno 111 - Connection refused`).
//!
//! ```text
//! let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
//! let tracker = ProcessTracker::start(vec![spec], tx)?;          // root: proc connector
//! while let Some(ev) = rx.recv().await {
//!     // ProcessEvent::Quorum { name, have_quorum } -> priority / FAULT
//!     // ProcessEvent::Count { name, count }        -> status, logs
//! }
//! ```

mod connector;
mod matching;
mod tracker;

pub use connector::{ProcEvent, parse_events};
pub use matching::{ParamMatch, ProcInfo, ProcessSpec, Quorum, read_proc_info};
pub use tracker::{ProcessEvent, ProcessTracker};

/// `Quorum gained for tracked process %s` / `Quorum lost for tracked process %s`
/// (keepalived 2.2.7).
pub fn quorum_message(name: &str, gained: bool) -> String {
    let what = if gained { "gained" } else { "lost" };
    format!("Quorum {what} for tracked process {name}")
}
