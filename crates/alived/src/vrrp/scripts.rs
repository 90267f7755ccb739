//! `vrrp_script` tracking (behaviour spec 2.5): each script used by an instance runs every
//! `interval` through `alived_sys::script::ScriptRunner`; its results go through the
//! rise/fall counter (`TrackScriptState`), and a change of state becomes a
//! `TrackerResult` for every instance that tracks it.

use super::spec::{InstanceSpec, TrackFileSpec, VrrpScriptSpec};
use alived_sys::script::{
    Credentials, Script, ScriptDone, ScriptRunner, TrackScriptState, TrackStart,
    already_running_message,
};
use alived_sys::track_file::{
    FileEffect, FileTracker, FileValue, TrackedFile, effect, fault_message,
};
use alived_vrrp::instance::{Input, TrackStatus};
use alived_vrrp::sync::InstanceId;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{info, warn};

/// How long a timed-out script gets between SIGTERM and SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(2);

struct Tracked {
    spec: VrrpScriptSpec,
    script: Script,
    state: TrackScriptState,
    next: Instant,
    /// Who tracks it: (instance, tracker id).
    users: Vec<(InstanceId, alived_vrrp::instance::TrackerId)>,
}

/// Every `vrrp_script` some instance tracks.
pub struct Scripts {
    runner: ScriptRunner,
    tracked: Vec<Tracked>,
    tx: mpsc::UnboundedSender<ScriptDone>,
}

fn credentials(s: &VrrpScriptSpec) -> Result<Credentials, String> {
    match &s.user {
        None => Ok(Credentials::root()),
        Some((user, group)) => {
            Credentials::lookup(user, group.as_deref()).map_err(|e| e.to_string())
        }
    }
}

impl Scripts {
    /// Prepares the scripts the started instances track (`instances[i]` is `InstanceId(i)`).
    /// A script that cannot run is logged and disabled (its trackers keep their initial state).
    /// Finished runs arrive on the returned receiver; pass them to [`Scripts::done`].
    pub fn new(
        all: &[VrrpScriptSpec],
        instances: &[&InstanceSpec],
    ) -> (Scripts, mpsc::UnboundedReceiver<ScriptDone>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut tracked: Vec<Tracked> = Vec::new();
        let now = Instant::now();
        for (idx, inst) in instances.iter().enumerate() {
            for (i, t) in inst.track_scripts.iter().enumerate() {
                let id = InstanceSpec::track_script_id(i);
                if let Some(existing) = tracked.iter_mut().find(|x| x.spec.name == t.script) {
                    existing.users.push((InstanceId(idx), id));
                    continue;
                }
                let Some(spec) = all.iter().find(|s| s.name == t.script) else {
                    continue;
                };
                let prepared = credentials(spec)
                    .and_then(|c| Script::prepare(&spec.command, c).map_err(|e| e.to_string()));
                match prepared {
                    Ok((script, notice)) => {
                        if let Some(n) = notice {
                            warn!("{n}");
                        }
                        tracked.push(Tracked {
                            state: TrackScriptState::new(
                                &spec.name,
                                spec.rise,
                                spec.fall,
                                spec.init_fail,
                            ),
                            spec: spec.clone(),
                            script,
                            next: now,
                            users: vec![(InstanceId(idx), id)],
                        });
                    }
                    Err(e) => warn!("VRRP_Script({}) disabled: {e}", spec.name),
                }
            }
        }
        let scripts = Scripts {
            runner: ScriptRunner::new(KILL_GRACE),
            tracked,
            tx,
        };
        (scripts, rx)
    }

    /// When the next script is due, if any.
    pub fn next_due(&self) -> Option<Instant> {
        self.tracked.iter().map(|t| t.next).min()
    }

    /// Starts every script that is due and schedules its next run.
    pub fn run_due(&mut self) {
        let now = Instant::now();
        for t in &mut self.tracked {
            if t.next > now {
                continue;
            }
            t.next = now + t.spec.interval.max(Duration::from_millis(10));
            let timeout = if t.spec.timeout.is_zero() {
                t.spec.interval
            } else {
                t.spec.timeout
            };
            if self
                .runner
                .start_track(&t.spec.name, &t.script, timeout, &self.tx)
                == TrackStart::AlreadyRunning
            {
                warn!("{}", already_running_message(&t.spec.name));
            }
        }
    }

    /// Records a finished run; returns the inputs for the instances that track it, when its
    /// state changed.
    pub fn done(&mut self, d: &ScriptDone) -> Vec<(InstanceId, Input)> {
        let Some(t) = self.tracked.iter_mut().find(|t| t.spec.name == d.name) else {
            return Vec::new();
        };
        let update = t.state.record(&d.outcome);
        for m in &update.messages {
            info!("{m}");
        }
        let Some(up) = update.changed else {
            return Vec::new();
        };
        let status = if up {
            TrackStatus::Up
        } else {
            TrackStatus::Down
        };
        t.users
            .iter()
            .map(|(inst, id)| (*inst, Input::TrackerResult { id: *id, status }))
            .collect()
    }

    /// Kills running scripts (at stop).
    pub async fn shutdown(&self) {
        self.runner.shutdown().await;
    }
}

/// One instance's use of a tracked file.
struct FileUser {
    inst: InstanceId,
    name: String,
    id: alived_vrrp::instance::TrackerId,
    weight: i32,
    reverse: bool,
    fault: bool,
}

/// Every `track_file` some instance tracks, watched with inotify.
pub struct Files {
    _tracker: Option<FileTracker>,
    users: Vec<(String, FileUser)>,
}

impl Files {
    /// Starts watching the files the started instances track. Values arrive on the returned
    /// receiver (the initial ones at once); pass them to [`Files::value`].
    pub fn start(
        all: &[TrackFileSpec],
        instances: &[&InstanceSpec],
    ) -> (Files, mpsc::UnboundedReceiver<FileValue>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut users = Vec::new();
        let mut watched: Vec<TrackedFile> = Vec::new();
        for (idx, inst) in instances.iter().enumerate() {
            for (i, t) in inst.track_files.iter().enumerate() {
                let Some(f) = all.iter().find(|f| f.name == t.script) else {
                    continue;
                };
                let (weight, reverse) = InstanceSpec::file_weight(t, f);
                users.push((
                    f.name.clone(),
                    FileUser {
                        inst: InstanceId(idx),
                        name: inst.name.clone(),
                        id: InstanceSpec::track_file_id(i),
                        weight,
                        reverse,
                        fault: false,
                    },
                ));
                if !watched.iter().any(|w| w.name == f.name) {
                    watched.push(TrackedFile {
                        name: f.name.clone(),
                        path: f.path.clone(),
                    });
                }
            }
        }
        let tracker = if watched.is_empty() {
            None
        } else {
            match FileTracker::start(watched, tx) {
                Ok(t) => Some(t),
                Err(e) => {
                    warn!("track_file: cannot watch files: {e}");
                    None
                }
            }
        };
        let files = Files {
            _tracker: tracker,
            users,
        };
        (files, rx)
    }

    /// A file's new value: a tracker result for every instance that tracks it, with
    /// keepalived's `tracked file ... FAULT state` lines.
    pub fn value(&mut self, v: &FileValue) -> Vec<(InstanceId, Input)> {
        let mut out = Vec::new();
        for (file, u) in self.users.iter_mut().filter(|(f, _)| *f == v.name) {
            let fault = effect(v.value, u.weight, u.reverse) == FileEffect::Fault;
            if fault != u.fault {
                u.fault = fault;
                info!("{}", fault_message(&u.name, file, fault));
            }
            out.push((
                u.inst,
                Input::TrackerResult {
                    id: u.id,
                    status: TrackStatus::Value(v.value),
                },
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alived_sys::script::Outcome;

    #[tokio::test]
    async fn a_change_of_state_reaches_every_instance_that_tracks_the_script() {
        let specs = crate::vrrp::build::tests::load(
            "vrrp_script chk {\n script /bin/true\n}\n\
             vrrp_instance A {\n interface eth0\n virtual_router_id 1\n \
             track_script {\n chk\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n\
             vrrp_instance B {\n interface eth0\n virtual_router_id 2\n \
             track_script {\n chk weight 10\n }\n virtual_ipaddress {\n 10.0.0.2\n }\n}\n",
        );
        let all = [VrrpScriptSpec {
            name: "chk".into(),
            command: "/bin/true".into(),
            user: None,
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            weight: 0,
            weight_reverse: false,
            rise: 1,
            fall: 1,
            init_fail: false,
        }];
        let refs: Vec<&InstanceSpec> = specs.iter().collect();
        let (mut s, _rx) = Scripts::new(&all, &refs);
        let done = |outcome| ScriptDone {
            name: "chk".into(),
            outcome,
        };
        let down = s.done(&done(Outcome::Exited(1)));
        let id = InstanceSpec::track_script_id(0);
        let want = |status| {
            vec![
                (InstanceId(0), Input::TrackerResult { id, status }),
                (InstanceId(1), Input::TrackerResult { id, status }),
            ]
        };
        assert_eq!(down, want(TrackStatus::Down));
        // No change, no input.
        assert!(s.done(&done(Outcome::Exited(1))).is_empty());
        assert_eq!(s.done(&done(Outcome::Exited(0))), want(TrackStatus::Up));
        // An unknown script is ignored.
        assert!(
            s.done(&ScriptDone {
                name: "other".into(),
                outcome: Outcome::Exited(1)
            })
            .is_empty()
        );
    }
}
