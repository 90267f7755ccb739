//! State changes -> notify scripts, notify FIFOs and mail (behaviour spec 2.6).
//!
//! For each transition of an instance, in this order: the state's own script
//! (`notify_master`...) with only its configured arguments, then `notify` with
//! `INSTANCE NAME STATE PRIORITY` appended, then the FIFO line(s), then the mail. Scripts run
//! in the background and are never waited for; the FIFO keeps the order of transitions. A sync
//! group is notified the same way (`GROUP NAME STATE 0`): before its members when it enters
//! BACKUP or FAULT, after the last member when it enters MASTER or STOP (keepalived 2.2.7's
//! observed order: `GROUP "G1" BACKUP 0`, `INSTANCE "VI_A" BACKUP 150`,
//! `INSTANCE "VI_A" MASTER 150`, `GROUP "G1" MASTER 0`, `INSTANCE "VI_A" STOP 150`,
//! `GROUP "G1" STOP 0`).

use super::scripts::{Prepared, ScriptSpec};
use alived_config::model::vrrp::{Notify, NotifyKind};
use alived_config::model::{Config, GlobalDefs};
use alived_sys::fifo::{FifoLine, FifoState, FifoWriter};
use alived_sys::script::{KEEPALIVED_KILL_GRACE, Script, ScriptRunner};
use alived_sys::smtp::{self, Alert, MailState, SmtpConfig};
use alived_vrrp::instance::{Action, Reason, State};
use alived_vrrp::sync::{Router, Target};
use alived_vrrp::types::Name;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// Kinds in the order their scripts are prepared for one owner.
const KINDS: [NotifyKind; 7] = [
    NotifyKind::Master,
    NotifyKind::Backup,
    NotifyKind::Fault,
    NotifyKind::Stop,
    NotifyKind::Deleted,
    NotifyKind::Any,
    NotifyKind::MasterRxLowerPri,
];

/// The notify settings of one instance or sync group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OwnerSetup {
    pub name: String,
    scripts: Vec<(NotifyKind, ScriptSpec)>,
    pub smtp_alert: bool,
    pub priority_changes: bool,
    /// For a group: its members.
    pub members: Vec<String>,
}

/// A FIFO and its optional script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FifoSetup {
    pub path: PathBuf,
    pub owner: Option<(String, Option<String>)>,
    pub script: Option<ScriptSpec>,
}

/// Everything notification-related in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotifySetup {
    pub instances: Vec<OwnerSetup>,
    pub groups: Vec<OwnerSetup>,
    pub fifos: Vec<FifoSetup>,
    pub smtp: Option<SmtpConfig>,
    pub router_id: String,
}

fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".to_owned())
}

fn script_specs(n: &Notify) -> Vec<(NotifyKind, ScriptSpec)> {
    KINDS
        .iter()
        .filter_map(|k| {
            let s = n.get(*k)?;
            Some((
                *k,
                ScriptSpec {
                    track: None,
                    command: s.command.clone(),
                    user: s.user.clone().map(|u| (u, s.group.clone())),
                },
            ))
        })
        .collect()
}

/// `smtp_server` resolved, with the global mail settings; `None` without a server.
fn smtp_config(g: &GlobalDefs) -> Option<SmtpConfig> {
    let s = g.smtp_server.as_ref()?;
    let server: SocketAddr = match s.host.parse::<std::net::IpAddr>() {
        Ok(ip) => SocketAddr::new(ip, s.port),
        Err(_) => match (s.host.as_str(), s.port).to_socket_addrs() {
            Ok(mut a) => a.next()?,
            Err(e) => {
                warn!("Cannot resolve smtp_server {}: {e}", s.host);
                return None;
            }
        },
    };
    let host = hostname();
    Some(SmtpConfig {
        server,
        helo_name: g.smtp_helo_name.clone().unwrap_or_else(|| host.clone()),
        from: g
            .notification_email_from
            .clone()
            .unwrap_or_else(|| format!("keepalived@{host}")),
        to: g.notification_email.clone(),
        timeout: g
            .smtp_connect_timeout
            .as_duration()
            .max(Duration::from_secs(1)),
    })
}

impl NotifySetup {
    pub fn from_config(config: &Config) -> NotifySetup {
        let g = &config.global;
        // `smtp_alert_vrrp` overrides `smtp_alert` for the VRRP side; an instance's or
        // group's own `smtp_alert` overrides both.
        let default_alert = g.smtp_alert_vrrp.or(g.smtp_alert).unwrap_or(false);
        let default_prio = false;
        let instances = config
            .instances
            .iter()
            .map(|i| OwnerSetup {
                name: i.name.clone(),
                scripts: script_specs(&i.notify),
                smtp_alert: i.smtp_alert.unwrap_or(default_alert),
                priority_changes: i.notify_priority_changes.unwrap_or(default_prio),
                members: Vec::new(),
            })
            // An instance with nothing to notify is left out (the notifier gives it an
            // empty owner): a thousand plain instances cost nothing here.
            .filter(|o| !o.scripts.is_empty() || o.smtp_alert || o.priority_changes)
            .collect();
        let groups = config
            .sync_groups
            .iter()
            .map(|s| OwnerSetup {
                name: s.name.clone(),
                scripts: script_specs(&s.notify),
                smtp_alert: s.smtp_alert.unwrap_or(default_alert),
                priority_changes: s.notify_priority_changes.unwrap_or(default_prio),
                members: s.group.clone(),
            })
            .collect();
        let fifos = [&g.notify_fifo, &g.vrrp_notify_fifo]
            .into_iter()
            .flatten()
            .map(|f| FifoSetup {
                path: PathBuf::from(&f.path),
                owner: f.user.clone().map(|u| (u, f.group.clone())),
                script: f.script.as_ref().map(|s| ScriptSpec {
                    track: None,
                    command: s.command.clone(),
                    user: s.user.clone().map(|u| (u, s.group.clone())),
                }),
            })
            .collect();
        NotifySetup {
            instances,
            groups,
            fifos,
            smtp: smtp_config(g),
            router_id: g.router_id.clone().unwrap_or_else(hostname),
        }
    }
}

impl NotifySetup {
    /// Every notify and FIFO script for the instances `names` (in the order [`Notifier::start`]
    /// takes them: instances, groups, FIFOs).
    pub fn script_specs_for(&self, names: &[Name]) -> Vec<ScriptSpec> {
        let inst = names
            .iter()
            .filter_map(|n| self.instances.iter().find(|o| &o.name == n));
        let mut specs: Vec<ScriptSpec> = Vec::new();
        for o in inst.chain(self.groups.iter()) {
            specs.extend(o.scripts.iter().map(|(_, s)| s.clone()));
        }
        specs.extend(self.fifos.iter().filter_map(|f| f.script.clone()));
        specs
    }
}

/// Prepared scripts of one instance or group (one per instance of a thousand: kept small).
#[derive(Default)]
struct Owner {
    name: Name,
    /// At most one per kind; usually none.
    scripts: Box<[(NotifyKindKey, Script)]>,
    smtp_alert: bool,
    priority_changes: bool,
    /// Last state notified.
    state: Option<State>,
}

impl Owner {
    fn script(&self, k: NotifyKind) -> Option<&Script> {
        let k = key(k);
        self.scripts.iter().find(|(x, _)| *x == k).map(|(_, s)| s)
    }
}

/// `NotifyKind` as a map key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct NotifyKindKey(u8);

fn key(k: NotifyKind) -> NotifyKindKey {
    NotifyKindKey(KINDS.iter().position(|x| *x == k).map_or(255, |p| p as u8))
}

/// The running notifier of the VRRP process.
pub struct Notifier {
    runner: ScriptRunner,
    instances: Vec<Owner>,
    groups: Vec<Owner>,
    /// For each instance: its group.
    group_of: Vec<Option<usize>>,
    group_members: Vec<Vec<usize>>,
    fifos: Vec<FifoWriter>,
    smtp: Option<SmtpConfig>,
    router_id: String,
    /// Mails still being sent (finished ones are pruned as new ones start).
    mails: Vec<JoinHandle<()>>,
}

/// How long a stopping process waits for mails still being sent.
const MAIL_GRACE_AT_STOP: Duration = Duration::from_secs(3);

fn word(s: State) -> Option<(&'static str, FifoState, Option<MailState>, NotifyKind)> {
    Some(match s {
        State::Master => (
            "MASTER",
            FifoState::Master,
            Some(MailState::Master),
            NotifyKind::Master,
        ),
        State::Backup => (
            "BACKUP",
            FifoState::Backup,
            Some(MailState::Backup),
            NotifyKind::Backup,
        ),
        State::Fault => (
            "FAULT",
            FifoState::Fault,
            Some(MailState::Fault),
            NotifyKind::Fault,
        ),
        State::Stop => ("STOP", FifoState::Stop, None, NotifyKind::Stop),
        State::Init => return None,
    })
}

impl Notifier {
    /// Prepares the scripts (logging and disabling bad ones), opens the FIFOs and starts their
    /// scripts. `names[i]` is the name of `InstanceId(i)`.
    pub fn start(setup: NotifySetup, names: &[Name], pool: &Prepared) -> Notifier {
        Notifier::start_on(ScriptRunner::new(KEEPALIVED_KILL_GRACE), setup, names, pool)
    }

    /// The notifier for a reloaded configuration: the same script runner (scripts already
    /// running carry on undisturbed) and the mails in flight; the FIFOs are closed and opened
    /// again, as keepalived 2.2.7 does on every reload (measured: its FIFO reader sees EOF).
    pub fn reloaded(self, setup: NotifySetup, names: &[Name], pool: &Prepared) -> Notifier {
        let mut fresh = Notifier::start_on(self.runner.clone(), setup, names, pool);
        fresh.mails = self.mails;
        let fifos = self.fifos;
        tokio::spawn(async move {
            for f in fifos {
                let _ = tokio::time::timeout(Duration::from_secs(1), f.close()).await;
            }
        });
        fresh
    }

    fn start_on(
        runner: ScriptRunner,
        setup: NotifySetup,
        names: &[Name],
        pool: &Prepared,
    ) -> Notifier {
        let inst: Vec<&OwnerSetup> = names
            .iter()
            .filter_map(|n| setup.instances.iter().find(|o| &o.name == n))
            .collect();
        let specs = setup.script_specs_for(names);
        let mut prepared = specs
            .iter()
            .map(|s| pool.get(s))
            .collect::<Vec<_>>()
            .into_iter();
        let mut owner = |o: &OwnerSetup| Owner {
            name: o.name.as_str().into(),
            scripts: o
                .scripts
                .iter()
                .filter_map(|(k, _)| Some((key(*k), prepared.next().flatten()?)))
                .collect(),
            smtp_alert: o.smtp_alert,
            priority_changes: o.priority_changes,
            state: None,
        };
        let instances: Vec<Owner> = names
            .iter()
            .map(|n| {
                inst.iter()
                    .find(|o| &o.name == n)
                    .map(|o| Owner {
                        name: n.clone(),
                        ..owner(o)
                    })
                    .unwrap_or_else(|| Owner {
                        name: n.clone(),
                        ..Owner::default()
                    })
            })
            .collect();
        let groups: Vec<Owner> = setup.groups.iter().map(&mut owner).collect();
        let fifo_scripts: Vec<Option<Script>> = setup
            .fifos
            .iter()
            .map(|f| f.script.as_ref().and_then(|_| prepared.next().flatten()))
            .collect();
        let mut fifos = Vec::new();
        for (f, script) in setup.fifos.iter().zip(fifo_scripts) {
            let owner = f.owner.as_ref().and_then(|(u, g)| {
                alived_sys::script::Credentials::lookup(u, g.as_deref())
                    .ok()
                    .map(|c| (c.uid, c.gid))
            });
            match FifoWriter::open(&f.path, owner) {
                Ok(w) => {
                    if let Some(s) = script
                        && let Err(e) = w.start_script(&runner, &s)
                    {
                        warn!("Cannot start notify FIFO script {}: {e}", s.command);
                    }
                    fifos.push(w);
                }
                Err(e) => warn!("Unable to open notify FIFO: {e}"),
            }
        }
        let group_members: Vec<Vec<usize>> = setup
            .groups
            .iter()
            .map(|g| {
                g.members
                    .iter()
                    .filter_map(|m| names.iter().position(|n| n == m))
                    .collect()
            })
            .collect();
        // Without sync groups, no entry per instance (a missing entry reads as no group).
        let group_of = if group_members.is_empty() {
            Vec::new()
        } else {
            (0..names.len())
                .map(|i| group_members.iter().position(|m| m.contains(&i)))
                .collect()
        };
        Notifier {
            runner,
            instances,
            groups,
            group_of,
            group_members,
            fifos,
            smtp: setup.smtp,
            router_id: setup.router_id,
            mails: Vec::new(),
        }
    }

    /// Looks at one action on its way to the driver; notifies what needs notifying.
    pub fn observe(&mut self, target: Target, action: &Action, router: &Router) {
        let Target::Instance(id) = target else { return };
        let i = id.0;
        let prio = router.instance(id).map_or(0, |x| x.effective_priority());
        match action {
            Action::Transition {
                reason: Reason::Deleted,
                ..
            } => self.deleted(i, prio),
            Action::Transition { to, .. } => {
                let group = self.group_of.get(i).copied().flatten();
                if let Some(g) = group
                    && matches!(to, State::Backup | State::Fault)
                {
                    self.group_enter(g, *to);
                }
                if let Some(o) = self.instances.get_mut(i) {
                    o.state = Some(*to);
                }
                self.notify(Who::Instance(i), *to, prio);
                if let Some(g) = group
                    && matches!(to, State::Master | State::Stop)
                {
                    let all = self.group_members.get(g).is_some_and(|m| {
                        m.iter()
                            .all(|&x| self.instances.get(x).and_then(|o| o.state) == Some(*to))
                    });
                    if all {
                        self.group_enter(g, *to);
                    }
                }
            }
            Action::NotifyMasterRxLowerPri { .. } => {
                if let Some(o) = self.instances.get(i) {
                    if let Some(s) = o.script(NotifyKind::MasterRxLowerPri) {
                        spawn(&self.runner, s, &[]);
                    }
                    self.fifo(FifoLine::Instance {
                        name: o.name.to_string(),
                        state: FifoState::MasterRxLowerPri,
                        priority: prio,
                    });
                }
            }
            Action::PriorityChanged { to, .. } => {
                if let Some(o) = self.instances.get(i)
                    && o.priority_changes
                {
                    let state = match o.state {
                        Some(State::Master) => FifoState::MasterPriority,
                        Some(State::Backup) => FifoState::BackupPriority,
                        _ => return,
                    };
                    self.fifo(FifoLine::Instance {
                        name: o.name.to_string(),
                        state,
                        priority: *to,
                    });
                }
            }
            _ => {}
        }
    }

    /// An instance removed by a reload (measured on 2.2.7): with `notify_deleted`, that
    /// script (its own arguments only), `notify` with `DELETED` and a `DELETED` FIFO line;
    /// without it, `notify` with `FAULT` and a `FAULT` FIFO line (`notify_fault` does not
    /// run). The priority is the instance's effective one, not 0 as for STOP.
    fn deleted(&mut self, i: usize, prio: u8) {
        let Some(o) = self.instances.get_mut(i) else {
            return;
        };
        o.state = Some(State::Stop);
        let (word, fifo_state) = match o.script(NotifyKind::Deleted) {
            Some(s) => {
                spawn(&self.runner, s, &[]);
                ("DELETED", FifoState::Deleted)
            }
            None => ("FAULT", FifoState::Fault),
        };
        if let Some(s) = o.script(NotifyKind::Any) {
            let p = prio.to_string();
            spawn(&self.runner, s, &["INSTANCE", &o.name, word, &p]);
        }
        let line = FifoLine::Instance {
            name: o.name.to_string(),
            state: fifo_state,
            priority: prio,
        };
        self.fifo(line);
    }

    /// After a reload rebuilt the notifier: the states already notified, so that group and
    /// priority-change notifications carry on from where they were.
    pub fn seed(&mut self, router: &Router) {
        for (id, inst) in router.instances() {
            if let Some(o) = self.instances.get_mut(id.0) {
                o.state = Some(inst.state());
            }
        }
        for (g, members) in self.group_members.iter().enumerate() {
            let states: Vec<Option<State>> = members
                .iter()
                .map(|&m| self.instances.get(m).and_then(|o| o.state))
                .collect();
            if let (Some(o), Some(first)) = (self.groups.get_mut(g), states.first())
                && states.iter().all(|s| s == first)
            {
                o.state = *first;
            }
        }
    }

    fn group_enter(&mut self, g: usize, to: State) {
        let Some(o) = self.groups.get_mut(g) else {
            return;
        };
        if o.state == Some(to) {
            return;
        }
        o.state = Some(to);
        self.notify(Who::Group(g), to, 0);
    }

    fn notify(&mut self, who: Who, to: State, prio: u8) {
        let (o, kind_word) = match who {
            Who::Instance(i) => (self.instances.get(i), "INSTANCE"),
            Who::Group(g) => (self.groups.get(g), "GROUP"),
        };
        let (Some(o), Some((state_word, fifo_state, mail, kind))) = (o, word(to)) else {
            return;
        };
        if let Some(s) = o.script(kind) {
            spawn(&self.runner, s, &[]);
        }
        if let Some(s) = o.script(NotifyKind::Any) {
            let p = prio.to_string();
            spawn(&self.runner, s, &[kind_word, &o.name, state_word, &p]);
        }
        self.fifo(match who {
            Who::Instance(_) => FifoLine::Instance {
                name: o.name.to_string(),
                state: fifo_state,
                priority: prio,
            },
            Who::Group(_) => FifoLine::Group {
                name: o.name.to_string(),
                state: fifo_state,
            },
        });
        if let (Some(cfg), Some(m), true) = (&self.smtp, mail, o.smtp_alert) {
            let alert = match who {
                Who::Instance(_) => Alert::vrrp_instance(&self.router_id, &o.name, m),
                Who::Group(_) => Alert::vrrp_group(&self.router_id, &o.name, m),
            };
            let server = cfg.server;
            let task = smtp::spawn_alert(cfg.clone(), alert);
            // The exchange runs on its own; only its outcome is logged.
            self.mails.retain(|m| !m.is_finished());
            self.mails.push(tokio::spawn(async move {
                let result = match task.await {
                    Ok(r) => r,
                    Err(_) => return,
                };
                for line in smtp::log_lines(&server, &result) {
                    if result.is_ok() {
                        info!("{line}");
                    } else {
                        warn!("{line}");
                    }
                }
            }));
        }
    }

    fn fifo(&self, line: FifoLine) {
        for f in &self.fifos {
            f.send(&line);
        }
    }

    /// Flushes the FIFOs (bounded), gives mails in flight a short grace (a dead mail server
    /// cannot hold the stop for long) and lets the notify scripts started at stop finish.
    pub async fn shutdown(self) {
        let mails = async {
            for m in self.mails {
                let _ = m.await;
            }
        };
        let _ = tokio::time::timeout(MAIL_GRACE_AT_STOP, mails).await;
        for f in self.fifos {
            let _ = tokio::time::timeout(Duration::from_secs(1), f.close()).await;
        }
        self.runner.shutdown().await;
    }
}

#[derive(Debug, Clone, Copy)]
enum Who {
    Instance(usize),
    Group(usize),
}

fn spawn(runner: &ScriptRunner, s: &Script, extra: &[&str]) {
    if let Err(e) = runner.spawn_notify(s, extra) {
        warn!("Unable to run notify script {}: {e}", s.command);
    }
}
