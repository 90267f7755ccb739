//! Tracked scripts and files -> protocol inputs (behaviour spec 2.5).
//!
//! Every `vrrp_script` runs on its own interval in the background (a run still going when the
//! next interval comes is skipped, as keepalived does); each result goes through keepalived's
//! rise/fall counter (`alived_sys::script::TrackScriptState`, which also gives the log
//! lines), and a change of state becomes `Input::TrackerResult` for every instance that
//! tracks the script. `track_file`s are watched with inotify and their values fed likewise.
//! The weights themselves are applied by the protocol core (`TrackerConfig`): weight 0 puts the
//! instance in FAULT while the object is down, a signed weight adjusts the priority.
//!
//! Tracker ids: `track_interface` entries use 1.. (`InstanceSpec::track_if_id`); scripts
//! use [`SCRIPT_ID_BASE`] + the `vrrp_script`'s index, files [`FILE_ID_BASE`] + its index.

use super::scripts::{Prepared, ScriptGlobals, ScriptSpec};
use alived_config::model::Config;
use alived_config::model::track::Track;
use alived_sys::netns;
use alived_sys::script::{
    KEEPALIVED_KILL_GRACE, Script, ScriptDone, ScriptRunner, TrackScriptState, TrackStart,
    already_running_message,
};
use alived_sys::track_file::{FileTracker, FileValue, TrackedFile};
use alived_sys::track_process::{
    ParamMatch, ProcessEvent, ProcessSpec, ProcessTracker, quorum_message,
};
use alived_vrrp::instance::Timestamp;
use alived_vrrp::instance::{
    Contribution, Input, TrackKind, TrackStatus, TrackerConfig, TrackerId, contribution,
};
use alived_vrrp::sync::{InstanceId, Router};
use alived_vrrp::types::Name;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{info, warn};

pub const SCRIPT_ID_BASE: u32 = 1 << 16;
pub const FILE_ID_BASE: u32 = 2 << 16;
pub const PROCESS_ID_BASE: u32 = 3 << 16;

/// One `vrrp_script`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptDef {
    pub name: String,
    pub spec: ScriptSpec,
    pub interval: Duration,
    pub timeout: Duration,
    pub rise: u32,
    pub fall: u32,
    pub init_fail: bool,
    pub weight: i32,
    pub reverse: bool,
}

/// One `track_file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDef {
    pub name: String,
    pub path: Option<PathBuf>,
    pub weight: i32,
    pub reverse: bool,
    /// `init_file [VALUE] [overwrite]`.
    pub init: Option<(i64, bool)>,
}

/// One `vrrp_track_process`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessDef {
    pub spec: ProcessSpec,
    pub weight: i32,
    pub reverse: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    Script(usize),
    File(usize),
    Process(usize),
}

/// One `track_script`/`track_file` entry of an instance, with its resolved weight.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Use {
    object: Object,
    weight: i32,
    reverse: bool,
}

/// What the configuration asks to track, before anything runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrackSetup {
    pub scripts: Vec<ScriptDef>,
    pub files: Vec<FileDef>,
    pub processes: Vec<ProcessDef>,
    uses: HashMap<String, Vec<Use>>,
    globals: ScriptGlobals,
}

fn find_uses<T>(
    entries: &[Track],
    defs: &[T],
    name_of: impl Fn(&T) -> &str,
    weight_of: impl Fn(&T) -> (i32, bool),
    object: impl Fn(usize) -> Object,
) -> Vec<Use> {
    entries
        .iter()
        .filter_map(|t| {
            let i = defs.iter().position(|d| name_of(d) == t.name)?;
            let (w, r) = defs.get(i).map(&weight_of)?;
            Some(match t.weight {
                Some(tw) => Use {
                    object: object(i),
                    weight: tw.0,
                    reverse: t.reverse,
                },
                None => Use {
                    object: object(i),
                    weight: w,
                    reverse: r || t.reverse,
                },
            })
        })
        .collect()
}

impl TrackSetup {
    /// The scripts and files of `config` and who tracks them (a sync group's entries apply to
    /// each of its members).
    pub fn from_config(config: &Config) -> TrackSetup {
        let scripts: Vec<ScriptDef> = config
            .vrrp_scripts
            .iter()
            .map(|s| ScriptDef {
                name: s.name.clone(),
                spec: ScriptSpec {
                    track: Some(s.name.clone()),
                    command: s.script.command.clone(),
                    user: s.user.clone().map(|u| (u, s.group.clone())),
                },
                interval: s.interval.as_duration().max(Duration::from_millis(1)),
                timeout: s.timeout.as_duration().max(Duration::from_millis(1)),
                rise: s.rise,
                fall: s.fall,
                init_fail: s.init_fail,
                weight: s.weight.0,
                reverse: s.weight_reverse,
            })
            .collect();
        let files: Vec<FileDef> = config
            .track_files
            .iter()
            .map(|f| FileDef {
                name: f.name.clone(),
                path: f.file.as_ref().map(PathBuf::from),
                weight: f.weight.0,
                reverse: f.reverse,
                init: f.init_file.as_ref().map(|r| {
                    let value = r
                        .args
                        .iter()
                        .find(|a| *a != "overwrite")
                        .map(|a| alived_sys::track_file::parse_value(a.as_bytes()))
                        .unwrap_or(0);
                    (value, r.args.iter().any(|a| a == "overwrite"))
                }),
            })
            .collect();
        let processes: Vec<ProcessDef> = config
            .track_processes
            .iter()
            .map(|p| {
                let mut spec = ProcessSpec::new(&p.name, p.process.as_deref().unwrap_or_default());
                spec.params = (!p.params.is_empty()).then(|| p.params.clone());
                if p.param_match_partial {
                    spec.param_match = ParamMatch::Partial;
                }
                spec.full_command = p.full_command;
                spec.quorum = p.quorum;
                spec.quorum_max = p.quorum_max;
                let delay = p.delay.map(|d| d.as_duration()).unwrap_or_default();
                spec.fork_delay = p.fork_delay.map_or(delay, |d| d.as_duration());
                spec.terminate_delay = p.terminate_delay.map_or(delay, |d| d.as_duration());
                ProcessDef {
                    spec,
                    weight: p.weight.0,
                    reverse: p.reverse,
                }
            })
            .collect();
        let mut uses: HashMap<String, Vec<Use>> = HashMap::new();
        let of = |t: &alived_config::model::vrrp::Tracking| {
            let mut v = find_uses(
                &t.scripts,
                &scripts,
                |d| &d.name,
                |d| (d.weight, d.reverse),
                Object::Script,
            );
            v.extend(find_uses(
                &t.files,
                &files,
                |d| &d.name,
                |d| (d.weight, d.reverse),
                Object::File,
            ));
            v.extend(find_uses(
                &t.processes,
                &processes,
                |d| &d.spec.name,
                |d| (d.weight, d.reverse),
                Object::Process,
            ));
            v
        };
        for i in &config.instances {
            uses.entry(i.name.clone()).or_default().extend(of(&i.track));
        }
        for g in &config.sync_groups {
            let v = of(&g.track);
            for m in &g.group {
                uses.entry(m.clone()).or_default().extend(v.iter().cloned());
            }
        }
        // Instances that track nothing have no entry: a thousand plain instances cost nothing.
        uses.retain(|_, v| !v.is_empty());
        uses.shrink_to_fit();
        TrackSetup {
            scripts,
            files,
            processes,
            uses,
            globals: ScriptGlobals::from_config(&config.global),
        }
    }

    /// The scripts the instances `names` track (only those are prepared and run: keepalived
    /// ignores the others).
    pub fn script_specs_for(&self, names: &[Name]) -> Vec<ScriptSpec> {
        self.scripts
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                names.iter().any(|n| {
                    self.uses
                        .get(n.as_str())
                        .is_some_and(|u| u.iter().any(|u| u.object == Object::Script(*i)))
                })
            })
            .map(|(_, s)| s.spec.clone())
            .collect()
    }

    /// The global script settings.
    pub fn globals(&self) -> &ScriptGlobals {
        &self.globals
    }

    /// The protocol core's trackers for instance `name`.
    pub fn trackers_for(&self, name: &str) -> Vec<TrackerConfig> {
        let Some(uses) = self.uses.get(name) else {
            return Vec::new();
        };
        uses.iter()
            .filter_map(|u| {
                let (id, kind, tname) = match u.object {
                    Object::Script(i) => (
                        SCRIPT_ID_BASE + u32::try_from(i).ok()?,
                        TrackKind::Script,
                        &self.scripts.get(i)?.name,
                    ),
                    Object::File(i) => (
                        FILE_ID_BASE + u32::try_from(i).ok()?,
                        TrackKind::File,
                        &self.files.get(i)?.name,
                    ),
                    Object::Process(i) => (
                        PROCESS_ID_BASE + u32::try_from(i).ok()?,
                        TrackKind::Process,
                        &self.processes.get(i)?.spec.name,
                    ),
                };
                let mut c = TrackerConfig {
                    id: TrackerId(id),
                    name: tname.clone(),
                    kind,
                    weight: u.weight,
                    reverse: u.reverse,
                    initial: TrackStatus::Up,
                };
                c.initial = match u.object {
                    Object::Script(i) => {
                        let def = self.scripts.get(i)?;
                        script_initial(&c, def.init_fail)
                    }
                    Object::File(i) => TrackStatus::Value(file_value(self.files.get(i)?)),
                    // The initial scan reports at once; until then it changes nothing.
                    Object::Process(_) => script_initial(&c, false),
                };
                Some(c)
            })
            .collect()
    }
}

/// Until its first result a script counts as neither up nor down: the status that changes
/// nothing (measured on 2.2.7: no weight is applied before the first result). `init_fail`
/// starts it failed.
fn script_initial(c: &TrackerConfig, init_fail: bool) -> TrackStatus {
    if init_fail {
        return if c.reverse {
            TrackStatus::Up
        } else {
            TrackStatus::Down
        };
    }
    if contribution(c, TrackStatus::Up) == Contribution::Adjust(0) {
        TrackStatus::Up
    } else {
        TrackStatus::Down
    }
}

/// A file's value now, after `init_file` created or rewrote it.
fn file_value(f: &FileDef) -> i64 {
    f.path
        .as_deref()
        .map(alived_sys::track_file::read_value)
        .unwrap_or(0)
}

/// Something a tracker reported.
#[derive(Debug)]
pub enum TrackEvent {
    Script(ScriptDone),
    File(FileValue),
    Process(ProcessEvent),
}

/// The running trackers of the VRRP process.
pub struct Trackers {
    runner: ScriptRunner,
    states: Vec<TrackScriptState>,
    by_name: HashMap<String, usize>,
    files_by_name: HashMap<String, usize>,
    /// For each script / file index: the instances that track it.
    script_users: Vec<Vec<InstanceId>>,
    file_users: Vec<Vec<InstanceId>>,
    process_users: Vec<Vec<InstanceId>>,
    processes_by_name: HashMap<String, usize>,
    proc_rx: mpsc::UnboundedReceiver<ProcessEvent>,
    _processes: Option<ProcessTracker>,
    done_rx: mpsc::UnboundedReceiver<ScriptDone>,
    file_rx: mpsc::UnboundedReceiver<FileValue>,
    tickers: Vec<JoinHandle<()>>,
    _files: Option<FileTracker>,
    /// For each instance: the unweighted scripts whose first result it waits for.
    /// (Only instances that wait have an entry.)
    waits_for: HashMap<InstanceId, Vec<usize>>,
    /// Start inputs held until then.
    held: Vec<(InstanceId, Input)>,
    /// For each script: prepared and running (a disabled one never reports).
    enabled: Vec<bool>,
}

impl Trackers {
    /// Writes `init_file`s; call before [`TrackSetup::trackers_for`] so that the first
    /// values are the initialised ones.
    pub fn init_files(setup: &TrackSetup) {
        for f in &setup.files {
            if let (Some(path), Some((value, overwrite))) = (&f.path, f.init)
                && let Err(e) = alived_sys::track_file::init_file(path, value, overwrite)
            {
                warn!(
                    "track_file {}: cannot initialise {}: {e}",
                    f.name,
                    path.display()
                );
            }
        }
    }

    /// Prepares the scripts (logging and disabling bad ones) and starts every tracked script
    /// and file. `names[i]` is the name of `InstanceId(i)`.
    ///
    /// Process tracking is started first, before anything else is spawned: its socket is
    /// opened in the initial network namespace (the only one the kernel's process events
    /// reach), on this thread, which then returns to its own namespace.
    pub async fn start(setup: TrackSetup, names: &[Name], pool: &Prepared) -> Trackers {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let (file_tx, file_rx) = mpsc::unbounded_channel();
        let (proc_tx, proc_rx) = mpsc::unbounded_channel();
        let runner = ScriptRunner::new(KEEPALIVED_KILL_GRACE);
        let mut script_users = vec![Vec::new(); setup.scripts.len()];
        let mut file_users = vec![Vec::new(); setup.files.len()];
        let mut process_users = vec![Vec::new(); setup.processes.len()];
        let mut waits_for: HashMap<InstanceId, Vec<usize>> = HashMap::new();
        for (i, name) in names.iter().enumerate() {
            for u in setup.uses.get(name.as_str()).into_iter().flatten() {
                if let Object::Script(s) = u.object
                    && u.weight == 0
                    && setup.scripts.get(s).is_some_and(|d| !d.init_fail)
                {
                    waits_for.entry(InstanceId(i)).or_default().push(s);
                }
                let list = match u.object {
                    Object::Script(s) => script_users.get_mut(s),
                    Object::File(f) => file_users.get_mut(f),
                    Object::Process(p) => process_users.get_mut(p),
                };
                if let Some(l) = list {
                    l.push(InstanceId(i));
                }
            }
        }
        let tracked_procs: Vec<ProcessSpec> = setup
            .processes
            .iter()
            .enumerate()
            .filter(|(i, _)| process_users.get(*i).is_some_and(|u| !u.is_empty()))
            .map(|(_, p)| p.spec.clone())
            .collect();
        let processes = if tracked_procs.is_empty() {
            None
        } else {
            match start_processes(tracked_procs, proc_tx).await {
                Ok(t) => Some(t),
                Err(e) => {
                    warn!("Cannot track processes: {e}");
                    None
                }
            }
        };
        // Only scripts somebody tracks are prepared and run (keepalived ignores the others).
        let used: Vec<usize> = (0..setup.scripts.len())
            .filter(|&i| script_users.get(i).is_some_and(|u| !u.is_empty()))
            .collect();
        let prepared: Vec<Option<Script>> = used
            .iter()
            .map(|&i| setup.scripts.get(i).and_then(|s| pool.get(&s.spec)))
            .collect();
        let mut tickers = Vec::new();
        let mut enabled = vec![false; setup.scripts.len()];
        for (&i, script) in used.iter().zip(prepared) {
            let (Some(def), Some(script)) = (setup.scripts.get(i), script) else {
                continue;
            };
            if let Some(e) = enabled.get_mut(i) {
                *e = true;
            }
            tickers.push(tokio::spawn(tick(
                runner.clone(),
                def.clone(),
                script,
                done_tx.clone(),
            )));
        }
        let tracked: Vec<TrackedFile> = setup
            .files
            .iter()
            .enumerate()
            .filter(|(i, _)| file_users.get(*i).is_some_and(|u| !u.is_empty()))
            .filter_map(|(_, f)| {
                Some(TrackedFile {
                    name: f.name.clone(),
                    path: f.path.clone()?,
                })
            })
            .collect();
        let files = if tracked.is_empty() {
            None
        } else {
            match FileTracker::start(tracked, file_tx) {
                Ok(t) => Some(t),
                Err(e) => {
                    warn!("Cannot watch tracked files: {e}");
                    None
                }
            }
        };
        Trackers {
            runner,
            states: setup
                .scripts
                .iter()
                .map(|s| TrackScriptState::new(&s.name, s.rise, s.fall, s.init_fail))
                .collect(),
            by_name: setup
                .scripts
                .iter()
                .enumerate()
                .map(|(i, s)| (s.name.clone(), i))
                .collect(),
            files_by_name: setup
                .files
                .iter()
                .enumerate()
                .map(|(i, f)| (f.name.clone(), i))
                .collect(),
            processes_by_name: setup
                .processes
                .iter()
                .enumerate()
                .map(|(i, p)| (p.spec.name.clone(), i))
                .collect(),
            script_users,
            file_users,
            process_users,
            proc_rx,
            _processes: processes,
            done_rx,
            file_rx,
            tickers,
            _files: files,
            waits_for,
            held: Vec::new(),
            enabled,
        }
    }

    /// Starts instance `id` with `first`, unless it tracks an unweighted script that has not
    /// reported yet: keepalived 2.2.7 keeps such an instance out of every state until then
    /// (measured: no `Entering BACKUP STATE (init)` before the first result).
    pub fn start_or_hold(
        &mut self,
        router: &mut Router,
        now: Timestamp,
        id: InstanceId,
        first: Input,
    ) {
        if self.waiting(id) {
            self.held.push((id, first));
        } else {
            router.handle(now, id, first);
        }
    }

    /// Whether `id` still waits for a first script result. A disabled script never reports:
    /// it is not waited for.
    fn waiting(&self, id: InstanceId) -> bool {
        self.waits_for.get(&id).is_some_and(|w| {
            w.iter().any(|&s| {
                self.states.get(s).is_some_and(|st| st.state().is_none())
                    && self.enabled.get(s).copied().unwrap_or(false)
            })
        })
    }

    /// The next report (pending forever when nothing is tracked).
    pub async fn next(&mut self) -> TrackEvent {
        loop {
            tokio::select! {
                Some(d) = self.done_rx.recv() => return TrackEvent::Script(d),
                Some(v) = self.file_rx.recv() => return TrackEvent::File(v),
                Some(p) = self.proc_rx.recv() => return TrackEvent::Process(p),
                else => std::future::pending::<()>().await,
            }
        }
    }

    /// Applies one report: the result counter and its log lines, then the new status to
    /// every instance that tracks the object.
    pub fn apply(&mut self, ev: TrackEvent, router: &mut Router, now: Timestamp) {
        let (id, status, users) = match ev {
            TrackEvent::Script(done) => {
                let Some(&i) = self.by_name.get(&done.name) else {
                    return;
                };
                let Some(state) = self.states.get_mut(i) else {
                    return;
                };
                let up = state.record(&done.outcome);
                for m in &up.messages {
                    info!("{m}");
                }
                let Some(ok) = up.changed else { return };
                let status = if ok {
                    TrackStatus::Up
                } else {
                    TrackStatus::Down
                };
                (
                    SCRIPT_ID_BASE + idx(i),
                    status,
                    self.script_users.get(i).cloned(),
                )
            }
            TrackEvent::File(v) => {
                let Some(&i) = self.files_by_name.get(&v.name) else {
                    return;
                };
                (
                    FILE_ID_BASE + idx(i),
                    TrackStatus::Value(v.value),
                    self.file_users.get(i).cloned(),
                )
            }
            TrackEvent::Process(ProcessEvent::Count { .. }) => return,
            TrackEvent::Process(ProcessEvent::Quorum { name, have_quorum }) => {
                let Some(&i) = self.processes_by_name.get(&name) else {
                    return;
                };
                info!("{}", quorum_message(&name, have_quorum));
                let status = if have_quorum {
                    TrackStatus::Up
                } else {
                    TrackStatus::Down
                };
                (
                    PROCESS_ID_BASE + idx(i),
                    status,
                    self.process_users.get(i).cloned(),
                )
            }
        };
        for inst in users.into_iter().flatten() {
            router.handle(
                now,
                inst,
                Input::TrackerResult {
                    id: TrackerId(id),
                    status,
                },
            );
        }
        let held = std::mem::take(&mut self.held);
        for (inst, first) in held {
            self.start_or_hold(router, now, inst, first);
        }
    }

    /// After a reload rebuilt the trackers: each script `kept` says is unchanged takes over
    /// its old result counter and state, so it is neither announced again nor waited for
    /// (keepalived: `considered successful on reload`).
    /// Instances still held for a first script result stay held.
    pub fn carry_over(&mut self, old: &Trackers, kept: impl Fn(&str) -> bool) {
        self.held.extend(old.held.iter().cloned());
        for (name, &i) in &self.by_name {
            if !kept(name) {
                continue;
            }
            if let (Some(&j), Some(slot)) = (old.by_name.get(name), self.states.get_mut(i))
                && let Some(state) = old.states.get(j)
            {
                *slot = state.clone();
            }
        }
    }

    /// On every reload, each tracked script with a result so far, as 2.2.7 logs it
    /// (measured: `VRRP_Script(chk) considered unsuccessful on reload`).
    pub fn log_reload(&self) {
        let mut scripts: Vec<(&String, &usize)> = self.by_name.iter().collect();
        scripts.sort_by_key(|(_, i)| **i);
        for (name, &i) in scripts {
            let used = self.script_users.get(i).is_some_and(|u| !u.is_empty());
            if let (true, Some(ok)) = (used, self.states.get(i).and_then(|s| s.state())) {
                let word = if ok { "successful" } else { "unsuccessful" };
                info!("VRRP_Script({name}) considered {word} on reload");
            }
        }
    }

    /// After a reload rebuilt the trackers: each script state carried over goes to every
    /// instance tracking the script, so a new instance takes it at once (measured on 2.2.7:
    /// `(VI_2) Changing effective priority from 150 to 90` before its `Entering BACKUP STATE
    /// (init)`); an instance that already has it does not change.
    pub fn replay(&self, router: &mut Router, now: Timestamp) {
        for (i, users) in self.script_users.iter().enumerate() {
            let Some(ok) = self.states.get(i).and_then(|s| s.state()) else {
                continue;
            };
            let status = if ok {
                TrackStatus::Up
            } else {
                TrackStatus::Down
            };
            for &inst in users {
                router.handle(
                    now,
                    inst,
                    Input::TrackerResult {
                        id: TrackerId(SCRIPT_ID_BASE + idx(i)),
                        status,
                    },
                );
            }
        }
    }

    /// Stops the tickers and every script still running.
    pub async fn shutdown(self) {
        for t in &self.tickers {
            t.abort();
        }
        self.runner.shutdown().await;
    }
}

/// The parent pid of `pid`, from `/proc/PID/stat` (the field after the `(comm)`).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// A handle of the initial network namespace: pid 1's, or where that cannot be read (a
/// sandbox without ptrace rights over pid 1), that of the nearest ancestor in another
/// namespace than ours (`ip netns exec` starts us from there). If that is not the initial
/// one after all, subscribing fails with the tracker's clear error.
fn initial_netns(ours: (u64, u64)) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::MetadataExt;
    if let Ok(f) = std::fs::File::open("/proc/1/ns/net") {
        return Ok(f);
    }
    let mut pid = std::process::id();
    for _ in 0..64 {
        let Some(ppid) = parent_of(pid).filter(|p| *p > 1) else {
            break;
        };
        let path = format!("/proc/{ppid}/ns/net");
        if let Ok(m) = std::fs::metadata(&path)
            && (m.dev(), m.ino()) != ours
            && let Ok(f) = std::fs::File::open(&path)
        {
            return Ok(f);
        }
        pid = ppid;
    }
    Err(std::io::Error::other(
        "cannot find the initial network namespace",
    ))
}

/// Starts the process tracker with its socket in the initial network namespace (see
/// [`Trackers::start`]); a thread already there just starts it.
async fn start_processes(
    specs: Vec<ProcessSpec>,
    tx: mpsc::UnboundedSender<ProcessEvent>,
) -> std::io::Result<ProcessTracker> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata("/proc/thread-self/ns/net")?;
    let ours = (m.dev(), m.ino());
    let init = std::fs::metadata("/proc/1/ns/net")
        .ok()
        .map(|m| (m.dev(), m.ino()));
    if init == Some(ours) {
        return ProcessTracker::start(specs, tx).await;
    }
    let initial = initial_netns(ours)?;
    let back = netns::current().map_err(std::io::Error::other)?;
    netns::enter_fd(&initial).map_err(std::io::Error::other)?;
    let started = ProcessTracker::start(specs, tx).await;
    if let Err(e) = netns::enter_fd(&back) {
        // Carrying on in the wrong namespace would be far worse than stopping here.
        tracing::error!("cannot return to our network namespace: {e}");
        crate::logging::flush();
        std::process::exit(1);
    }
    started
}

fn idx(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX >> 16)
}

/// One script's interval loop: a run per interval, none while the previous one is going.
async fn tick(
    runner: ScriptRunner,
    def: ScriptDef,
    script: Script,
    done: mpsc::UnboundedSender<ScriptDone>,
) {
    let mut every = tokio::time::interval(def.interval);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if runner.start_track(&def.name, &script, def.timeout, &done) == TrackStart::AlreadyRunning
        {
            info!("{}", already_running_message(&def.name));
        }
    }
}

#[cfg(test)]
#[path = "track_tests.rs"]
mod tests;
