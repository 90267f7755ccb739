//! A simulated LAN (house style rule 10): N routers on one segment, a simulated clock, loss,
//! delay, partitions, crashes, graceful stops and restarts. Pure and deterministic: the same
//! seed gives the same run, so every scenario and property failure replays.
//!
//! A crash makes a node silent at once (no priority 0, its VIPs vanish with it); a stop is
//! the graceful shutdown (a master sends priority 0).

pub mod fuzz;
mod rng;
pub mod scenario;

pub use rng::XorShift;

use crate::instance::InstanceConfig;
use crate::instance::{
    Action, Input, Link, LogLevel, Reason, State, Timestamp, TrackStatus, TrackerId,
};
use crate::sync::{InstanceId, Router, RouterError, SyncGroupConfig, Target};
use crate::types::Vrid;
use crate::wire::{Advert, Auth};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// One router of the simulation: its instances and sync groups.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    pub name: String,
    pub instances: Vec<InstanceConfig>,
    pub groups: Vec<SyncGroupConfig>,
}

/// A state change seen on the LAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEvent {
    pub at: Timestamp,
    pub node: usize,
    pub instance: String,
    pub vrid: Vrid,
    pub from: State,
    pub to: State,
    pub reason: Reason,
}

/// A log line printed by a node (keepalived prints Info and Warning without -D).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceLog {
    pub at: Timestamp,
    pub node: usize,
    pub line: String,
}

/// Something the simulator saw that must never happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub at: Timestamp,
    pub node: usize,
    pub what: String,
}

/// An advert handed to a running router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub at: Timestamp,
    pub to: usize,
    pub src: IpAddr,
    pub vrid: Vrid,
    pub priority: u8,
}

#[derive(Debug)]
struct Node {
    spec: NodeSpec,
    /// `None` while crashed.
    router: Option<Router>,
    segment: u32,
    link_up: bool,
    /// Drops every advert it would receive (a one-way firewall rule), still sends.
    deaf: bool,
    /// VIPs currently installed, per instance index (what AddVips/RemoveVips did).
    vips: Vec<bool>,
    /// Which instances were MASTER when the node last crashed (for [`Lan::resume`]).
    was_master: Vec<bool>,
}

#[derive(Debug, Clone)]
struct Delivery {
    to: usize,
    src: IpAddr,
    advert: Advert,
}

/// Upper bound on the events of one `run_until` call (a livelock guard).
const MAX_STEPS: usize = 5_000_000;

/// The simulated segment.
#[derive(Debug)]
pub struct Lan {
    now: Timestamp,
    nodes: Vec<Node>,
    queue: BTreeMap<(Timestamp, u64), Delivery>,
    seq: u64,
    rng: XorShift,
    /// Probability of losing each packet copy, per mille.
    pub loss_permille: u32,
    /// One-way delay of every packet.
    pub delay: Duration,
    /// Extra uniform random delay, 0..=jitter.
    pub jitter: Duration,
    trace: Vec<TraceEvent>,
    logs: Vec<TraceLog>,
    /// Transitions and printed log lines, in the order they happened.
    journal: Vec<TraceLog>,
    violations: Vec<Violation>,
    /// Adverts delivered (when `record_deliveries`).
    deliveries: Vec<Delivered>,
    /// Keep every delivery (for failover-time checks); off by default.
    pub record_deliveries: bool,
}

impl Lan {
    pub fn new(specs: Vec<NodeSpec>, seed: u64) -> Result<Lan, RouterError> {
        let nodes = specs
            .into_iter()
            .map(|spec| {
                let n = spec.instances.len();
                Router::new(spec.instances.clone(), spec.groups.clone()).map(|r| Node {
                    spec,
                    router: Some(r),
                    segment: 0,
                    link_up: true,
                    deaf: false,
                    vips: vec![false; n],
                    was_master: vec![false; n],
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Lan {
            now: Timestamp::ZERO,
            nodes,
            queue: BTreeMap::new(),
            seq: 0,
            rng: XorShift::new(seed),
            loss_permille: 0,
            delay: Duration::from_micros(100),
            jitter: Duration::ZERO,
            trace: Vec::new(),
            logs: Vec::new(),
            journal: Vec::new(),
            violations: Vec::new(),
            deliveries: Vec::new(),
            record_deliveries: false,
        })
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }
    pub fn trace(&self) -> &[TraceEvent] {
        &self.trace
    }
    pub fn logs(&self) -> &[TraceLog] {
        &self.logs
    }
    /// Every printed log line and transition (`VI_1 BACKUP -> MASTER (MasterDown)`), in order.
    pub fn journal(&self) -> &[TraceLog] {
        &self.journal
    }
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }
    pub fn deliveries(&self) -> &[Delivered] {
        &self.deliveries
    }
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
    pub fn node_name(&self, node: usize) -> &str {
        self.nodes.get(node).map_or("?", |n| n.spec.name.as_str())
    }
    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.spec.name == name)
    }
    pub fn router(&self, node: usize) -> Option<&Router> {
        self.nodes.get(node)?.router.as_ref()
    }

    /// Nodes whose instance for `vrid` is MASTER.
    pub fn masters(&self, vrid: Vrid) -> Vec<usize> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                n.router.as_ref().is_some_and(|r| {
                    r.instances()
                        .any(|(_, i)| i.config().vrid == vrid && i.state() == State::Master)
                })
            })
            .map(|(k, _)| k)
            .collect()
    }

    /// Starts every node.
    pub fn start_all(&mut self) {
        for k in 0..self.nodes.len() {
            self.start(k);
        }
    }

    /// Starts one node's instances (its process was already there, silent, until now).
    pub fn start(&mut self, node: usize) {
        self.with_router(node, |r, now| r.handle_all(now, Input::Start));
    }

    /// The node vanishes: no priority 0, its VIPs go with it.
    pub fn crash(&mut self, node: usize) {
        if let Some(n) = self.nodes.get_mut(node) {
            if let Some(r) = n.router.take() {
                n.was_master = r
                    .instances()
                    .map(|(_, i)| i.state() == State::Master)
                    .collect();
            }
            n.vips.iter_mut().for_each(|v| *v = false);
        }
    }

    /// Graceful stop: a master sends priority 0 and removes its VIPs.
    pub fn stop(&mut self, node: usize) {
        self.with_router(node, |r, now| r.handle_all(now, Input::Stop));
    }

    /// A fresh process on the node (after a crash or a stop), started at once.
    pub fn restart(&mut self, node: usize) {
        self.restart_with(node, false);
    }

    /// A fresh process after a crash that resumes as MASTER the instances that were MASTER
    /// ([`Input::Resume`]); the others start normally.
    pub fn resume(&mut self, node: usize) {
        self.restart_with(node, true);
    }

    fn restart_with(&mut self, node: usize, resume: bool) {
        if let Some(n) = self.nodes.get_mut(node) {
            match Router::new(n.spec.instances.clone(), n.spec.groups.clone()) {
                Ok(r) => n.router = Some(r),
                Err(_) => return, // it ran before, so it cannot fail now
            }
            n.vips.iter_mut().for_each(|v| *v = false);
            let up = n.link_up;
            if !up {
                self.with_router(node, |r, now| r.handle_all(now, Input::LinkDown(Link::Own)));
            }
        }
        let was_master = self
            .nodes
            .get(node)
            .map(|n| n.was_master.clone())
            .unwrap_or_default();
        self.with_router(node, |r, now| {
            let ids: Vec<InstanceId> = r.instances().map(|(id, _)| id).collect();
            for id in ids {
                let resume = resume && was_master.get(id.0).copied().unwrap_or(false);
                let input = if resume { Input::Resume } else { Input::Start };
                r.handle(now, id, input);
            }
        });
    }

    /// Splits the segment: each inner list is one side; unlisted nodes stay on side 0.
    pub fn partition(&mut self, sides: &[Vec<usize>]) {
        for n in &mut self.nodes {
            n.segment = 0;
        }
        for (s, side) in sides.iter().enumerate() {
            for &k in side {
                if let Some(n) = self.nodes.get_mut(k) {
                    n.segment = u32::try_from(s).unwrap_or(u32::MAX);
                }
            }
        }
    }

    pub fn heal(&mut self) {
        self.partition(&[]);
    }

    /// A one-way block: the node stops (or resumes) receiving adverts but still sends.
    pub fn set_deaf(&mut self, node: usize, deaf: bool) {
        if let Some(n) = self.nodes.get_mut(node) {
            n.deaf = deaf;
        }
    }

    /// The node's own interface goes down or up (every instance sees it).
    pub fn set_link(&mut self, node: usize, up: bool) {
        if let Some(n) = self.nodes.get_mut(node) {
            n.link_up = up;
        }
        let input = if up {
            Input::LinkUp(Link::Own)
        } else {
            Input::LinkDown(Link::Own)
        };
        self.with_router(node, |r, now| r.handle_all(now, input));
    }

    /// A tracker result for one instance of a node.
    pub fn track(&mut self, node: usize, instance: InstanceId, id: TrackerId, status: TrackStatus) {
        self.with_router(node, |r, now| {
            r.handle(now, instance, Input::TrackerResult { id, status })
        });
    }

    /// Reload on a node: new settings for one of its running instances
    /// ([`Router::reconfigure`]).
    pub fn reconfigure(
        &mut self,
        node: usize,
        instance: InstanceId,
        cfg: InstanceConfig,
    ) -> Result<(), RouterError> {
        let mut result = Ok(());
        self.with_router(node, |r, now| result = r.reconfigure(now, instance, cfg));
        result
    }

    /// Runs the simulation up to and including `until`.
    pub fn run_until(&mut self, until: Timestamp) {
        for _ in 0..MAX_STEPS {
            let next_pkt = self.queue.keys().next().map(|k| k.0);
            let next_timer = self
                .nodes
                .iter()
                .filter_map(|n| n.router.as_ref()?.poll_timeout())
                .min();
            let next = match (next_pkt, next_timer) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(t) => t,
                    None => break,
                },
            };
            if next > until {
                break;
            }
            self.now = self.now.max(next);
            while let Some(entry) = self.queue.first_entry() {
                if entry.key().0 > self.now {
                    break;
                }
                let d = entry.remove();
                self.deliver(d);
            }
            for k in 0..self.nodes.len() {
                let due = self.nodes[k]
                    .router
                    .as_ref()
                    .and_then(Router::poll_timeout)
                    .is_some_and(|t| t <= self.now);
                if due {
                    self.with_router(k, |r, now| r.handle_timeout(now));
                }
            }
        }
        self.now = self.now.max(until);
    }

    fn deliver(&mut self, d: Delivery) {
        let Some(node) = self.nodes.get(d.to) else {
            return;
        };
        if !node.link_up || node.deaf {
            return;
        }
        let Some(id) = node
            .router
            .as_ref()
            .and_then(|r| r.find(d.advert.vrid, d.src.is_ipv6()))
        else {
            return;
        };
        if self.record_deliveries {
            self.deliveries.push(Delivered {
                at: self.now,
                to: d.to,
                src: d.src,
                vrid: d.advert.vrid,
                priority: d.advert.priority.0,
            });
        }
        let input = Input::Advert {
            src: d.src,
            advert: d.advert,
        };
        self.with_router(d.to, |r, now| r.handle(now, id, input));
    }

    /// Calls `f` on the node's router (if it runs), then carries out its actions.
    fn with_router(&mut self, node: usize, f: impl FnOnce(&mut Router, Timestamp)) {
        let now = self.now;
        let Some(r) = self.nodes.get_mut(node).and_then(|n| n.router.as_mut()) else {
            return;
        };
        f(r, now);
        let mut actions = Vec::new();
        while let Some(a) = r.poll_action() {
            actions.push(a);
        }
        for (target, action) in actions {
            self.carry_out(node, target, action);
        }
        self.check_vips(node);
    }

    fn carry_out(&mut self, node: usize, target: Target, action: Action) {
        let now = self.now;
        let inst = match target {
            Target::Instance(id) => Some(id.0),
            Target::Group(_) => None,
        };
        match action {
            Action::Log(l) => {
                if l.level() != LogLevel::Debug {
                    let line = TraceLog {
                        at: now,
                        node,
                        line: l.to_string(),
                    };
                    self.journal.push(line.clone());
                    self.logs.push(line);
                }
            }
            Action::AddVips | Action::RemoveVips => {
                let on = action == Action::AddVips;
                if let Some(v) = inst.and_then(|i| self.nodes.get_mut(node)?.vips.get_mut(i)) {
                    *v = on;
                }
            }
            Action::Transition { from, to, reason } => {
                if let Some(cfg) = inst.and_then(|i| self.instance_config(node, i)) {
                    let (instance, vrid) = (cfg.name.clone(), cfg.vrid);
                    self.journal.push(TraceLog {
                        at: now,
                        node,
                        line: format!("{instance} {from} -> {to} ({reason:?})"),
                    });
                    self.trace.push(TraceEvent {
                        at: now,
                        node,
                        instance: instance.to_string(),
                        vrid,
                        from,
                        to,
                        reason,
                    });
                }
            }
            Action::SendAdvert { priority } => {
                if let Some(cfg) = inst.and_then(|i| self.instance_config(node, i)) {
                    let advert = Advert {
                        version: cfg.version,
                        vrid: cfg.vrid,
                        priority,
                        adver_int: cfg.adver_int,
                        auth: Auth::None,
                        addrs: cfg.vips.clone(),
                    };
                    let src = cfg.our_addr;
                    self.broadcast(node, src, advert);
                }
            }
            Action::SendGarps { .. }
            | Action::NotifyMasterRxLowerPri { .. }
            | Action::PriorityChanged { .. } => {}
        }
    }

    fn instance_config(&self, node: usize, inst: usize) -> Option<&InstanceConfig> {
        self.nodes.get(node)?.spec.instances.get(inst)
    }

    fn broadcast(&mut self, from: usize, src: IpAddr, advert: Advert) {
        let Some(sender) = self.nodes.get(from) else {
            return;
        };
        if !sender.link_up {
            return;
        }
        let segment = sender.segment;
        for to in 0..self.nodes.len() {
            if to == from || self.nodes[to].segment != segment {
                continue;
            }
            if self.rng.chance(self.loss_permille) {
                continue;
            }
            let jitter_us = u64::try_from(self.jitter.as_micros()).unwrap_or(u64::MAX);
            let extra = Duration::from_micros(self.rng.below(jitter_us.saturating_add(1)));
            let at = self.now + self.delay + extra;
            self.seq += 1;
            self.queue.insert(
                (at, self.seq),
                Delivery {
                    to,
                    src,
                    advert: advert.clone(),
                },
            );
        }
    }

    /// Invariant: an instance holds its VIPs iff it is MASTER.
    fn check_vips(&mut self, node: usize) {
        let Some(n) = self.nodes.get(node) else {
            return;
        };
        let Some(r) = n.router.as_ref() else {
            return;
        };
        let mut bad = Vec::new();
        for (id, inst) in r.instances() {
            let held = n.vips.get(id.0).copied().unwrap_or(false);
            if held != (inst.state() == State::Master) {
                bad.push(format!(
                    "{} in {} with VIPs {}",
                    inst.config().name,
                    inst.state(),
                    if held { "held" } else { "absent" }
                ));
            }
        }
        for what in bad {
            self.violations.push(Violation {
                at: self.now,
                node,
                what,
            });
        }
    }
}
