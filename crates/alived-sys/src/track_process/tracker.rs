//! The tracking task: initial `/proc` scan, then connector events.

use std::collections::HashMap;
use std::io;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::connector::{Connector, ProcEvent};
use super::matching::{ProcessSpec, Quorum, read_proc_info};

/// What the tracker reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessEvent {
    /// The number of matching processes changed (and once per tracker after the scan).
    Count {
        /// The `vrrp_track_process` name.
        name: String,
        /// Matching processes now.
        count: u32,
    },
    /// The quorum changed, after `fork_delay`/`terminate_delay` (and once per tracker after
    /// the initial scan, without delay).
    Quorum {
        /// The `vrrp_track_process` name.
        name: String,
        /// `quorum <= count <= quorum_max`.
        have_quorum: bool,
    },
}

/// Tracks processes until dropped.
#[derive(Debug)]
pub struct ProcessTracker {
    task: JoinHandle<()>,
}

impl Drop for ProcessTracker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ProcessTracker {
    /// Subscribes to the kernel's process events (root), scans `/proc`, reports each
    /// tracker's count and quorum, then follows changes. Events go to `tx`.
    pub async fn start(
        specs: Vec<ProcessSpec>,
        tx: mpsc::UnboundedSender<ProcessEvent>,
    ) -> io::Result<Self> {
        // Subscribe before scanning so that nothing between the two is missed.
        let conn = Connector::open().await?;
        let mut state = State::new(specs, tx);
        state.rescan();
        let task = tokio::spawn(state.run(conn));
        Ok(ProcessTracker { task })
    }
}

struct State {
    specs: Vec<ProcessSpec>,
    tx: mpsc::UnboundedSender<ProcessEvent>,
    /// pid -> indexes of the specs it matches (only pids that match something).
    pids: HashMap<u32, Vec<usize>>,
    counts: Vec<u32>,
    quorum: Vec<Quorum>,
    /// Per tracker: the last change in this batch came from a fork (fork_delay applies).
    forked: Vec<bool>,
}

impl State {
    fn new(specs: Vec<ProcessSpec>, tx: mpsc::UnboundedSender<ProcessEvent>) -> Self {
        let n = specs.len();
        State {
            specs,
            tx,
            pids: HashMap::new(),
            counts: vec![0; n],
            quorum: vec![Quorum::new(); n],
            forked: vec![false; n],
        }
    }

    async fn run(mut self, mut conn: Connector) {
        loop {
            let deadline = self.quorum.iter().filter_map(Quorum::deadline).min();
            tokio::select! {
                r = conn.recv() => match r {
                    Ok(events) => {
                        let mut changed = Vec::new();
                        let mut rechecks = Vec::new();
                        for ev in events {
                            self.apply(ev, &mut changed, &mut rechecks);
                        }
                        self.report(&changed);
                        self.recheck(&rechecks);
                    }
                    Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => self.rescan(),
                    Err(_) => return,
                },
                () = sleep_until(deadline) => {
                    let now = Instant::now();
                    for i in 0..self.quorum.len() {
                        if let Some(q) = self.quorum.get_mut(i).and_then(|q| q.poll(now)) {
                            self.send_quorum(i, q);
                        }
                    }
                }
            }
            if self.tx.is_closed() {
                return;
            }
        }
    }

    /// Rebuilds the pid table from `/proc` and reports every tracker whose count changed
    /// (every tracker on the first scan).
    fn rescan(&mut self) {
        let first = self.quorum.iter().all(|q| q.reported().is_none());
        let old = self.counts.clone();
        self.pids.clear();
        self.counts.iter_mut().for_each(|c| *c = 0);
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for entry in dir.flatten() {
                let Some(pid) = entry
                    .file_name()
                    .to_str()
                    .and_then(|s| s.parse::<u32>().ok())
                else {
                    continue;
                };
                let mut ignored = Vec::new();
                self.classify(pid, &mut ignored);
            }
        }
        let changed: Vec<usize> = (0..self.specs.len())
            .filter(|&i| first || old.get(i) != self.counts.get(i))
            .collect();
        self.report(&changed);
    }

    fn apply(&mut self, ev: ProcEvent, changed: &mut Vec<usize>, rechecks: &mut Vec<usize>) {
        match ev {
            ProcEvent::Fork { child: pid, .. } => {
                let from = changed.len();
                self.classify(pid, changed);
                for &i in changed.get(from..).unwrap_or_default() {
                    if let Some(f) = self.forked.get_mut(i) {
                        *f = true;
                    }
                }
            }
            ProcEvent::Exec { pid } | ProcEvent::Comm { pid } => {
                let from = changed.len();
                self.classify(pid, changed);
                for &i in changed.get(from..).unwrap_or_default() {
                    if let Some(f) = self.forked.get_mut(i) {
                        *f = false;
                    }
                }
                // The fork event may have been handled after this exec had already happened
                // (we read /proc when the event is handled): the match it counted is an exec
                // match, so no fork_delay for it.
                rechecks.extend(self.pids.get(&pid).into_iter().flatten().copied());
            }
            ProcEvent::Exit { pid } => self.forget(pid, changed),
        }
    }

    /// (Re)reads `pid` and updates the specs it matches.
    fn classify(&mut self, pid: u32, changed: &mut Vec<usize>) {
        let now: Vec<usize> = match read_proc_info(pid) {
            Some(info) => (0..self.specs.len())
                .filter(|&i| self.specs.get(i).is_some_and(|s| s.matches(&info)))
                .collect(),
            None => Vec::new(),
        };
        let before = self.pids.remove(&pid).unwrap_or_default();
        for &i in before.iter().filter(|i| !now.contains(i)) {
            if let Some(c) = self.counts.get_mut(i) {
                *c = c.saturating_sub(1);
                changed.push(i);
            }
        }
        for &i in now.iter().filter(|i| !before.contains(i)) {
            if let Some(c) = self.counts.get_mut(i) {
                *c += 1;
                changed.push(i);
            }
        }
        if !now.is_empty() {
            self.pids.insert(pid, now);
        }
    }

    fn forget(&mut self, pid: u32, changed: &mut Vec<usize>) {
        for i in self.pids.remove(&pid).unwrap_or_default() {
            if let Some(c) = self.counts.get_mut(i) {
                *c = c.saturating_sub(1);
                changed.push(i);
            }
        }
    }

    fn report(&mut self, changed: &[usize]) {
        let mut seen = Vec::new();
        let now = Instant::now();
        for &i in changed {
            if seen.contains(&i) {
                continue;
            }
            seen.push(i);
            let (Some(spec), Some(&count)) = (self.specs.get(i), self.counts.get(i)) else {
                continue;
            };
            let _ = self.tx.send(ProcessEvent::Count {
                name: spec.name.clone(),
                count,
            });
            let has = spec.has_quorum(count);
            let forked = self.forked.get_mut(i).map(std::mem::take).unwrap_or(false);
            let gain_delay = if forked {
                spec.fork_delay
            } else {
                Duration::ZERO
            };
            if let Some(q) = self
                .quorum
                .get_mut(i)
                .and_then(|q| q.update(spec, now, has, gain_delay))
            {
                self.send_quorum(i, q);
            }
        }
    }

    /// Re-evaluates the quorum of trackers whose count did not change, without fork delay.
    fn recheck(&mut self, trackers: &[usize]) {
        let now = Instant::now();
        for &i in trackers {
            let (Some(spec), Some(&count)) = (self.specs.get(i), self.counts.get(i)) else {
                continue;
            };
            let has = spec.has_quorum(count);
            if let Some(q) = self
                .quorum
                .get_mut(i)
                .and_then(|q| q.update(spec, now, has, Duration::ZERO))
            {
                self.send_quorum(i, q);
            }
        }
    }

    fn send_quorum(&self, i: usize, have_quorum: bool) {
        if let Some(spec) = self.specs.get(i) {
            let _ = self.tx.send(ProcessEvent::Quorum {
                name: spec.name.clone(),
                have_quorum,
            });
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}
