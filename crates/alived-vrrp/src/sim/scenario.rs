//! Scenario files (house style rule 9): a LAN, a timeline of events, and the expected trace
//! of transitions and log lines. The files live in `crates/alived-vrrp/tests/scenarios/`; the
//! test compares [`run`]'s output with the `.expected` file beside each scenario, and rewrites
//! it when `UPDATE_SCENARIOS=1`.

use super::{Lan, NodeSpec};
use crate::instance::{InstanceConfig, TrackKind, TrackStatus, TrackerConfig, TrackerId};
use crate::sync::{InstanceId, RouterError, SyncGroupConfig};
use crate::types::{Centisecs, Priority, Version, Vrid};
use serde::Deserialize;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub description: String,
    #[serde(default)]
    pub seed: u64,
    #[serde(default = "default_delay_us")]
    pub delay_us: u64,
    #[serde(default)]
    pub jitter_us: u64,
    #[serde(default)]
    pub loss_permille: u32,
    pub run_ms: u64,
    pub nodes: Vec<ScenarioNode>,
    #[serde(default)]
    pub events: Vec<TimedEvent>,
}

fn default_delay_us() -> u64 {
    100
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioNode {
    pub name: String,
    /// The node's address: the tie-break address and advert source of its instances.
    pub addr: IpAddr,
    pub instances: Vec<ScenarioInstance>,
    #[serde(default)]
    pub sync_groups: Vec<ScenarioGroup>,
    /// When the node starts; before that it is silent.
    #[serde(default)]
    pub start_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioGroup {
    pub name: String,
    pub members: Vec<String>,
    #[serde(default)]
    pub tracking_weight: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioInstance {
    pub name: String,
    pub vrid: u8,
    #[serde(default = "default_priority")]
    pub priority: u8,
    /// 2 or 3.
    #[serde(default = "default_version")]
    pub version: u8,
    #[serde(default = "default_interval")]
    pub adver_int_cs: u32,
    #[serde(default)]
    pub nopreempt: bool,
    #[serde(default)]
    pub preempt_delay_ms: u64,
    pub vips: Vec<IpAddr>,
    #[serde(default)]
    pub lower_prio_no_advert: bool,
    #[serde(default)]
    pub higher_prio_send_advert: bool,
    #[serde(default)]
    pub garp_master_delay_s: Option<u64>,
    #[serde(default)]
    pub garp_master_refresh_s: Option<u64>,
    #[serde(default)]
    pub trackers: Vec<ScenarioTracker>,
}

fn default_priority() -> u8 {
    100
}
fn default_version() -> u8 {
    2
}
fn default_interval() -> u32 {
    100
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioTracker {
    pub id: u32,
    pub name: String,
    /// `script`, `interface`, `file`, `process` or `bfd`.
    pub kind: String,
    #[serde(default)]
    pub weight: i32,
    #[serde(default)]
    pub reverse: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TimedEvent {
    pub at_ms: u64,
    #[serde(flatten)]
    pub event: Event,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Event {
    /// Added for each node at its `start_ms`.
    Start {
        node: String,
    },
    Crash {
        node: String,
    },
    Stop {
        node: String,
    },
    Restart {
        node: String,
    },
    /// Restart after a crash, resuming as MASTER what was MASTER (`Input::Resume`).
    Resume {
        node: String,
    },
    Partition {
        sides: Vec<Vec<String>>,
    },
    Heal,
    /// The node stops receiving adverts (one-way block) / receives again.
    Deafen {
        node: String,
    },
    Undeafen {
        node: String,
    },
    LinkDown {
        node: String,
    },
    LinkUp {
        node: String,
    },
    /// `status`: `up`, `down` or an integer (track_file).
    Track {
        node: String,
        instance: String,
        tracker: u32,
        status: String,
    },
    Loss {
        permille: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScenarioError {
    #[error("unknown node {0}")]
    UnknownNode(String),
    #[error("node {0}: unknown instance {1}")]
    UnknownInstance(String, String),
    #[error("VRID {0} out of range")]
    BadVrid(u8),
    #[error("version {0} is not 2 or 3")]
    BadVersion(u8),
    #[error("tracker kind {0} unknown")]
    BadTrackerKind(String),
    #[error("tracker status {0} is not up, down or an integer")]
    BadStatus(String),
    #[error(transparent)]
    Router(#[from] RouterError),
}

impl ScenarioInstance {
    fn to_config(&self, addr: IpAddr) -> Result<InstanceConfig, ScenarioError> {
        let vrid = Vrid::new(self.vrid).ok_or(ScenarioError::BadVrid(self.vrid))?;
        let mut c = InstanceConfig::new(self.name.clone(), vrid, addr);
        c.version = match self.version {
            2 => Version::V2,
            3 => Version::V3,
            v => return Err(ScenarioError::BadVersion(v)),
        };
        c.priority = Priority(self.priority);
        c.adver_int = Centisecs(self.adver_int_cs);
        c.preempt = !self.nopreempt;
        c.preempt_delay = Duration::from_millis(self.preempt_delay_ms);
        c.vips = self.vips.clone();
        c.lower_prio_no_advert = self.lower_prio_no_advert;
        c.higher_prio_send_advert = self.higher_prio_send_advert;
        if let Some(s) = self.garp_master_delay_s {
            c.garp.master_delay = Duration::from_secs(s);
            c.garp.lower_prio_delay = Duration::from_secs(s);
        }
        if let Some(s) = self.garp_master_refresh_s {
            c.garp.master_refresh = Duration::from_secs(s);
        }
        for t in &self.trackers {
            let kind = match t.kind.as_str() {
                "script" => TrackKind::Script,
                "interface" => TrackKind::Interface,
                "file" => TrackKind::File,
                "process" => TrackKind::Process,
                "bfd" => TrackKind::Bfd,
                k => return Err(ScenarioError::BadTrackerKind(k.to_owned())),
            };
            c.trackers.push(TrackerConfig {
                id: TrackerId(t.id),
                name: t.name.clone(),
                kind,
                weight: t.weight,
                reverse: t.reverse,
                initial: if kind == TrackKind::File {
                    TrackStatus::Value(0)
                } else {
                    TrackStatus::Up
                },
            });
        }
        Ok(c)
    }
}

fn parse_status(s: &str) -> Result<TrackStatus, ScenarioError> {
    match s {
        "up" => Ok(TrackStatus::Up),
        "down" => Ok(TrackStatus::Down),
        v => v
            .parse()
            .map(TrackStatus::Value)
            .map_err(|_| ScenarioError::BadStatus(s.to_owned())),
    }
}

/// Builds the LAN of a scenario (not started).
pub fn build(s: &Scenario) -> Result<Lan, ScenarioError> {
    let specs = s
        .nodes
        .iter()
        .map(|n| {
            Ok(NodeSpec {
                name: n.name.clone(),
                instances: n
                    .instances
                    .iter()
                    .map(|i| i.to_config(n.addr))
                    .collect::<Result<_, ScenarioError>>()?,
                groups: n
                    .sync_groups
                    .iter()
                    .map(|g| SyncGroupConfig {
                        name: g.name.clone(),
                        members: g.members.clone(),
                        tracking_weight: g.tracking_weight,
                    })
                    .collect(),
            })
        })
        .collect::<Result<Vec<_>, ScenarioError>>()?;
    let mut lan = Lan::new(specs, s.seed)?;
    lan.delay = Duration::from_micros(s.delay_us);
    lan.jitter = Duration::from_micros(s.jitter_us);
    lan.loss_permille = s.loss_permille;
    Ok(lan)
}

/// Runs a scenario and renders its trace: one line per transition and per printed log line,
/// in time order, plus any invariant violation.
pub fn run(s: &Scenario) -> Result<String, ScenarioError> {
    let mut lan = build(s)?;
    let node = |lan: &Lan, name: &str| {
        lan.node_index(name)
            .ok_or_else(|| ScenarioError::UnknownNode(name.to_owned()))
    };
    let mut events = s.events.clone();
    for n in &s.nodes {
        events.push(TimedEvent {
            at_ms: n.start_ms,
            event: Event::Start {
                node: n.name.clone(),
            },
        });
    }
    // Stable: node starts come after the file's events of the same instant, in node order.
    events.sort_by_key(|e| e.at_ms);
    for e in &events {
        lan.run_until(crate::instance::Timestamp::from_millis(e.at_ms));
        match &e.event {
            Event::Start { node: n } => lan.start(node(&lan, n)?),
            Event::Crash { node: n } => lan.crash(node(&lan, n)?),
            Event::Stop { node: n } => lan.stop(node(&lan, n)?),
            Event::Restart { node: n } => lan.restart(node(&lan, n)?),
            Event::Resume { node: n } => lan.resume(node(&lan, n)?),
            Event::Partition { sides } => {
                let sides = sides
                    .iter()
                    .map(|side| side.iter().map(|n| node(&lan, n)).collect())
                    .collect::<Result<Vec<Vec<usize>>, _>>()?;
                lan.partition(&sides);
            }
            Event::Heal => lan.heal(),
            Event::Deafen { node: n } => lan.set_deaf(node(&lan, n)?, true),
            Event::Undeafen { node: n } => lan.set_deaf(node(&lan, n)?, false),
            Event::LinkDown { node: n } => lan.set_link(node(&lan, n)?, false),
            Event::LinkUp { node: n } => lan.set_link(node(&lan, n)?, true),
            Event::Track {
                node: n,
                instance,
                tracker,
                status,
            } => {
                let k = node(&lan, n)?;
                let id = lan
                    .router(k)
                    .and_then(|r| {
                        r.instances()
                            .find(|(_, i)| &i.config().name == instance)
                            .map(|(id, _)| id)
                    })
                    .ok_or_else(|| ScenarioError::UnknownInstance(n.clone(), instance.clone()))?;
                lan.track(
                    k,
                    InstanceId(id.0),
                    TrackerId(*tracker),
                    parse_status(status)?,
                );
            }
            Event::Loss { permille } => lan.loss_permille = *permille,
        }
    }
    lan.run_until(crate::instance::Timestamp::from_millis(s.run_ms));
    Ok(render(&lan))
}

/// The trace as text: `<secs.micros> <node> <what>`, then any invariant violation.
pub fn render(lan: &Lan) -> String {
    let mut out = String::new();
    for l in lan.journal() {
        let _ = writeln!(out, "{} {} {}", l.at, lan.node_name(l.node), l.line);
    }
    for v in lan.violations() {
        let _ = writeln!(
            out,
            "{} {} VIOLATION {}",
            v.at,
            lan.node_name(v.node),
            v.what
        );
    }
    out
}
