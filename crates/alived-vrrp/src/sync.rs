//! Sync groups and the set of instances of one process (behaviour spec 2.4).
//!
//! A [`Router`] holds every instance of a VRRP process and the sync groups over them. It is
//! sans-IO like [`Instance`]: inputs and timeouts go in with `now`, `(Target, Action)` pairs
//! come out. Group rules (`vrrp_sync.c` semantics as described by the spec):
//! * any member in FAULT -> every member FAULT (`Syncing instances to FAULT state`);
//! * a member that leaves MASTER for BACKUP takes the other masters with it;
//! * a member only becomes MASTER when every member wants MASTER; then all do.

use crate::instance::{
    Action, ConfigError, Input, Instance, InstanceConfig, LogEvent, LogLine, Reason, State,
    Timestamp,
};
use std::collections::VecDeque;
use std::time::Duration;
use sync_deadlines::Deadlines;
use sync_slack::ReadSlack;
use thiserror::Error;

/// Index of an instance in its [`Router`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceId(pub usize);

/// Index of a sync group in its [`Router`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(pub usize);

/// Who an action is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Instance(InstanceId),
    Group(GroupId),
}

/// `vrrp_sync_group NAME { group { VI_1 VI_2 } }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroupConfig {
    pub name: String,
    /// Member instance names.
    pub members: Vec<String>,
    /// `sync_group_tracking_weight`: keep the members' weighted trackers. Without it they
    /// are dropped (spec 2.4), so a member's priority cannot drift from the group's.
    pub tracking_weight: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RouterError {
    #[error(transparent)]
    Instance(#[from] ConfigError),
    #[error("VRRP_Group({group}) unknown instance {member}")]
    UnknownMember { group: String, member: String },
    #[error("VRRP_Group({group}) instance {member} is already in a sync group")]
    MemberTwice { group: String, member: String },
}

#[derive(Debug, Clone)]
struct Group {
    name: String,
    members: Vec<InstanceId>,
    tracking_weight: bool,
}

/// All instances of one process and their sync groups.
#[derive(Debug, Clone)]
pub struct Router {
    /// By [`InstanceId`]; `None` once removed by a reload (ids are never reused, so the
    /// driver's per-instance state stays addressed by the same id).
    instances: Vec<Option<Instance>>,
    groups: Vec<Group>,
    actions: VecDeque<(Target, Action)>,
    /// The instance whose input or timer is being handled (it leads a group move).
    last: Option<InstanceId>,
    /// Each instance's sync group, if any.
    group_of: Vec<Option<usize>>,
    /// Instances touched since their actions were last drained: only these can have actions,
    /// a new deadline or a new state, so one input costs O(1) however many instances run.
    dirty: Vec<usize>,
    /// Every armed deadline as (when, instance), and each instance's entry in it.
    deadlines: Deadlines,
    /// Each instance's read slack and their minimum ([`Router::read_slack`]).
    slack: ReadSlack,
    /// The one action queue lent to whichever instance takes an input (see
    /// [`Instance::lend_queue`]).
    spare: VecDeque<Action>,
    /// The due instances of one `handle_timeout`, kept to spare an allocation per timer.
    due: Vec<usize>,
}

/// Capacity the drained action queue keeps (a start-up burst can need thousands).
const IDLE_QUEUE: usize = 64;

/// Bounds the group fix-point loop; each pass can only move members towards agreement.
const MAX_SYNC_PASSES: usize = 8;

impl Router {
    pub fn new(
        configs: Vec<InstanceConfig>,
        groups: Vec<SyncGroupConfig>,
    ) -> Result<Router, RouterError> {
        let mut configs = configs;
        let mut out = Vec::new();
        for g in groups {
            let mut members = Vec::new();
            for m in &g.members {
                let idx = configs.iter().position(|c| &c.name == m).ok_or_else(|| {
                    RouterError::UnknownMember {
                        group: g.name.clone(),
                        member: m.clone(),
                    }
                })?;
                if out
                    .iter()
                    .any(|o: &Group| o.members.contains(&InstanceId(idx)))
                    || members.contains(&InstanceId(idx))
                {
                    return Err(RouterError::MemberTwice {
                        group: g.name.clone(),
                        member: m.clone(),
                    });
                }
                if let Some(c) = configs.get_mut(idx).filter(|_| !g.tracking_weight) {
                    c.trackers.retain(|t| t.weight == 0);
                }
                members.push(InstanceId(idx));
            }
            out.push(Group {
                name: g.name,
                members,
                tracking_weight: g.tracking_weight,
            });
        }
        let mut instances = configs
            .into_iter()
            .map(|c| Instance::new(c).map(Some))
            .collect::<Result<Vec<_>, _>>()?;
        // Collected through `Result`, the vector grew by doubling: no spare room kept.
        instances.shrink_to_fit();
        for g in &out {
            for m in &g.members {
                if let Some(Some(inst)) = instances.get_mut(m.0) {
                    inst.set_in_sync_group(true);
                }
            }
        }
        let mut group_of = vec![None; instances.len()];
        for (g, grp) in out.iter().enumerate() {
            for m in &grp.members {
                if let Some(slot) = group_of.get_mut(m.0) {
                    *slot = Some(g);
                }
            }
        }
        let n = instances.len();
        let mut router = Router {
            instances,
            groups: out,
            actions: VecDeque::new(),
            last: None,
            group_of,
            dirty: (0..n).collect(),
            deadlines: Deadlines::new(n),
            slack: ReadSlack::new(n),
            spare: VecDeque::new(),
            due: Vec::new(),
        };
        router.refresh_dirty();
        Ok(router)
    }

    /// Reload: adds an instance (INIT; send it `Input::Start` like the others).
    pub fn add(&mut self, config: InstanceConfig) -> Result<InstanceId, RouterError> {
        let inst = Instance::new(config)?;
        let i = self.instances.len();
        self.instances.push(Some(inst));
        self.group_of.push(None);
        self.deadlines.push_slot();
        self.slack.push_slot();
        self.dirty.push(i);
        self.refresh_dirty();
        Ok(InstanceId(i))
    }

    /// Reload: stops an instance the new configuration no longer has (priority 0 if MASTER,
    /// VIPs removed, a transition with `Reason::Deleted`). It leaves its sync group first. Its
    /// actions come out of [`Router::poll_action`] as usual; [`Router::remove`] it after.
    pub fn delete(&mut self, now: Timestamp, id: InstanceId) {
        for g in &mut self.groups {
            g.members.retain(|m| *m != id);
        }
        if let Some(slot) = self.group_of.get_mut(id.0) {
            *slot = None;
        }
        if let Some(inst) = self.instance_mut(id) {
            inst.delete(now);
            self.dirty.push(id.0);
        }
        self.settle(now);
    }

    /// Forgets a deleted instance; its id is never reused.
    pub fn remove(&mut self, id: InstanceId) {
        if let Some(slot) = self.instances.get_mut(id.0) {
            *slot = None;
        }
        self.deadlines.set(id.0, None);
        self.slack.set(id.0, None);
    }

    /// Reload: new settings for a kept instance ([`Instance::reconfigure`]); a member of a
    /// group without `sync_group_tracking_weight` drops its weighted trackers, as at start.
    pub fn reconfigure(
        &mut self,
        now: Timestamp,
        id: InstanceId,
        mut config: InstanceConfig,
    ) -> Result<(), RouterError> {
        if self
            .groups
            .iter()
            .any(|g| !g.tracking_weight && g.members.contains(&id))
        {
            config.trackers.retain(|t| t.weight == 0);
        }
        if let Some(inst) = self.instance_mut(id) {
            inst.reconfigure(now, config)?;
            self.dirty.push(id.0);
        }
        self.last = Some(id);
        self.settle(now);
        self.last = None;
        Ok(())
    }

    /// Reload: replaces the sync groups (members named among the live instances). On an
    /// error nothing changes.
    pub fn set_groups(
        &mut self,
        now: Timestamp,
        groups: Vec<SyncGroupConfig>,
    ) -> Result<(), RouterError> {
        let mut out: Vec<Group> = Vec::new();
        for g in groups {
            let mut members = Vec::new();
            for m in &g.members {
                let id = self
                    .instances()
                    .find(|(_, i)| &i.config().name == m)
                    .map(|(id, _)| id)
                    .ok_or_else(|| RouterError::UnknownMember {
                        group: g.name.clone(),
                        member: m.clone(),
                    })?;
                if out.iter().any(|o| o.members.contains(&id)) || members.contains(&id) {
                    return Err(RouterError::MemberTwice {
                        group: g.name.clone(),
                        member: m.clone(),
                    });
                }
                members.push(id);
            }
            out.push(Group {
                name: g.name,
                members,
                tracking_weight: g.tracking_weight,
            });
        }
        for (i, slot) in self.instances.iter_mut().enumerate() {
            let Some(inst) = slot else { continue };
            let group = out.iter().find(|g| g.members.contains(&InstanceId(i)));
            inst.set_in_sync_group(group.is_some());
            if group.is_some_and(|g| !g.tracking_weight)
                && inst.config().trackers.iter().any(|t| t.weight != 0)
            {
                let mut c = inst.config().clone();
                c.trackers.retain(|t| t.weight == 0);
                inst.reconfigure(now, c)?;
            }
        }
        let mut group_of = vec![None; self.instances.len()];
        for (g, grp) in out.iter().enumerate() {
            for m in &grp.members {
                if let Some(slot) = group_of.get_mut(m.0) {
                    *slot = Some(g);
                }
            }
        }
        self.groups = out;
        self.group_of = group_of;
        // Every live instance: each group's rules run once over the new membership.
        self.dirty.extend(
            self.instances
                .iter()
                .enumerate()
                .filter(|(_, x)| x.is_some())
                .map(|(i, _)| i),
        );
        self.settle(now);
        Ok(())
    }

    /// The live instances, by id.
    pub fn instances(&self) -> impl Iterator<Item = (InstanceId, &Instance)> {
        self.instances
            .iter()
            .enumerate()
            .filter_map(|(i, x)| Some((InstanceId(i), x.as_ref()?)))
    }

    pub fn instance(&self, id: InstanceId) -> Option<&Instance> {
        self.instances.get(id.0)?.as_ref()
    }

    /// The instance `id`, about to take an input: it is lent the spare action queue.
    fn instance_mut(&mut self, id: InstanceId) -> Option<&mut Instance> {
        let inst = self.instances.get_mut(id.0)?.as_mut()?;
        inst.lend_queue(&mut self.spare);
        Some(inst)
    }

    /// The instance for an incoming advert's VRID and family.
    pub fn find(&self, vrid: crate::types::Vrid, ipv6: bool) -> Option<InstanceId> {
        self.instances()
            .find(|(_, i)| i.config().vrid == vrid && i.config().our_addr.is_ipv6() == ipv6)
            .map(|(id, _)| id)
    }

    /// Feeds one input to one instance (an unknown id is ignored), then applies group rules.
    pub fn handle(&mut self, now: Timestamp, id: InstanceId, input: Input) {
        if let Some(inst) = self.instance_mut(id) {
            inst.handle(now, input);
            self.dirty.push(id.0);
        }
        self.last = Some(id);
        self.settle(now);
        self.last = None;
    }

    /// Feeds the same input (Start, Stop) to every instance.
    pub fn handle_all(&mut self, now: Timestamp, input: Input) {
        for inst in self.instances.iter_mut().flatten() {
            inst.lend_queue(&mut self.spare);
            inst.handle(now, input.clone());
        }
        self.dirty.extend(0..self.instances.len());
        self.settle(now);
    }

    /// Runs due timers one instance at a time, in instance order, applying the group rules
    /// after each, as keepalived's single thread does: with two members timing out together,
    /// the second one completes "every member wants MASTER".
    pub fn handle_timeout(&mut self, now: Timestamp) {
        let mut due = std::mem::take(&mut self.due);
        due.clear();
        self.deadlines.take_due(now, &mut due);
        due.sort_unstable();
        for &i in &due {
            // Taken out of the index: re-filed from the instance at the next refresh,
            // whether it runs now or an earlier member's group move re-armed it.
            self.dirty.push(i);
            let Some(Some(inst)) = self.instances.get_mut(i) else {
                continue;
            };
            if inst.poll_timeout().is_some_and(|t| t <= now) {
                inst.lend_queue(&mut self.spare);
                inst.handle_timeout(now);
                self.last = Some(InstanceId(i));
                self.settle(now);
            }
        }
        if !self.dirty.is_empty() {
            self.drain_instances(now);
        }
        self.due = due;
        self.last = None;
    }

    /// The earliest deadline of any instance.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.deadlines.first()
    }

    /// The shortest [`Instance::read_slack`] of all instances: how long adverts may wait
    /// unread (each then handled at its arrival time, due timers first) without changing
    /// what any instance does. `None`: no instance listens (all INIT, FAULT or stopped).
    pub fn read_slack(&mut self) -> Option<Duration> {
        self.slack.min()
    }

    /// Moves whenever some instance's read slack changes, and so whenever its
    /// [`Instance::quiet`] adverts may have: the driver rebuilds its socket filters then.
    pub fn quiet_generation(&self) -> u64 {
        self.slack.generation()
    }

    pub fn poll_action(&mut self) -> Option<(Target, Action)> {
        let a = self.actions.pop_front();
        if a.is_none() && self.actions.capacity() > IDLE_QUEUE {
            // The start-up burst of every instance at once is not kept allocated.
            self.actions.shrink_to(IDLE_QUEUE);
        }
        a
    }

    fn settle(&mut self, now: Timestamp) {
        let mut groups: Vec<usize> = self
            .dirty
            .iter()
            .filter_map(|&i| self.group_of.get(i).copied().flatten())
            .collect();
        self.drain_instances(now);
        if groups.is_empty() {
            return;
        }
        groups.sort_unstable();
        groups.dedup();
        for _ in 0..MAX_SYNC_PASSES {
            let mut changed = false;
            for &g in &groups {
                changed |= self.sync_group(now, g);
            }
            self.drain_instances(now);
            if !changed {
                break;
            }
        }
    }

    /// Re-files the deadlines of the touched instances.
    fn refresh_dirty(&mut self) {
        for &i in &self.dirty {
            // A removed instance has no deadline.
            let inst = self.instances.get(i).and_then(Option::as_ref);
            self.deadlines.set(i, inst.and_then(Instance::poll_timeout));
            self.slack.set(i, inst.and_then(Instance::read_slack));
        }
        self.dirty.clear();
    }

    /// Moves the touched instances' actions to ours, in instance order. A member master that
    /// received a lower-priority advert makes the other master members send their
    /// lower-priority GARPs too (spec 5.4).
    fn drain_instances(&mut self, now: Timestamp) {
        self.dirty.sort_unstable();
        self.dirty.dedup();
        let mut rx_lower = Vec::new();
        for &i in &self.dirty {
            let Some(Some(inst)) = self.instances.get_mut(i) else {
                continue;
            };
            while let Some(a) = inst.poll_action() {
                if matches!(a, Action::NotifyMasterRxLowerPri { .. }) {
                    rx_lower.push(InstanceId(i));
                }
                self.actions.push_back((Target::Instance(InstanceId(i)), a));
            }
            inst.reclaim_queue(&mut self.spare);
        }
        for id in rx_lower {
            let peers: Vec<InstanceId> = self
                .groups
                .iter()
                .filter(|g| g.members.contains(&id))
                .flat_map(|g| g.members.iter().copied())
                .filter(|m| *m != id)
                .collect();
            for p in peers {
                if let Some(Some(inst)) = self.instances.get_mut(p.0) {
                    inst.lend_queue(&mut self.spare);
                    inst.sync_lower_prio_garp(now);
                    self.dirty.push(p.0);
                    while let Some(a) = inst.poll_action() {
                        self.actions.push_back((Target::Instance(p), a));
                    }
                    inst.reclaim_queue(&mut self.spare);
                }
            }
        }
        self.refresh_dirty();
    }

    /// One pass of the group rules for group `g`; true if anything moved.
    fn sync_group(&mut self, now: Timestamp, g: usize) -> bool {
        let Some(group) = self.groups.get(g) else {
            return false;
        };
        let members: Vec<usize> = group.members.iter().map(|m| m.0).collect();
        let name = group.name.clone();
        // Any member may move below: their actions and deadlines are collected after.
        self.dirty.extend(&members);

        // Any member with a fault of its own -> all FAULT; none -> release.
        let fault = self
            .members_of(&members)
            .iter()
            .filter(|i| !matches!(i.state(), State::Init | State::Stop))
            .any(|i| i.has_own_fault());
        let mut moved = false;
        let entering_fault = fault
            && self
                .members_of(&members)
                .iter()
                .any(|i| matches!(i.state(), State::Backup | State::Master));
        if entering_fault {
            self.group_log(g, &name, "FAULT");
        }
        // Observed 2.2.7 on recovery: `(VI_1) Entering BACKUP STATE`, then the group line,
        // then the others.
        let releasing = !fault
            && self
                .members_of(&members)
                .iter()
                .any(|i| i.state() == State::Fault && i.sync_fault() && !i.has_own_fault());
        if releasing {
            self.group_log(g, &name, "BACKUP");
        }
        for &m in &members {
            if let Some(inst) = self.instance_mut(InstanceId(m)) {
                let before = inst.state();
                inst.set_sync_fault(now, fault && !inst.has_own_fault());
                moved |= inst.state() != before;
            }
        }
        if moved {
            return true;
        }
        if fault {
            return moved;
        }

        // A member back in BACKUP while others are MASTER -> all BACKUP.
        let states: Vec<State> = self
            .members_of(&members)
            .iter()
            .map(|i| i.state())
            .collect();
        let any_master = states.contains(&State::Master);
        let any_backup_not_wanting = self
            .members_of(&members)
            .iter()
            .any(|i| i.state() == State::Backup && i.wantstate() != State::Master);
        if any_master && any_backup_not_wanting {
            self.group_log(g, &name, "BACKUP");
            for &m in &members {
                if let Some(inst) = self.instance_mut(InstanceId(m)) {
                    inst.sync_goto(now, State::Backup, Reason::SyncGroup);
                }
            }
            return true;
        }

        // Every member wants MASTER -> all MASTER.
        let all_want = !members.is_empty()
            && self
                .members_of(&members)
                .iter()
                .all(|i| i.wantstate() == State::Master);
        if all_want && states.contains(&State::Backup) {
            // Observed 2.2.7: the member that completed the condition enters MASTER first,
            // then `VRRP_Group(G1) Syncing instances to MASTER state`, then the others.
            if let Some(lead) = self.last.filter(|l| members.contains(&l.0)) {
                if let Some(inst) = self.instance_mut(lead) {
                    inst.sync_goto(now, State::Master, Reason::MasterDown);
                }
                self.drain_instances(now);
                self.dirty.extend(&members);
            }
            self.group_log(g, &name, "MASTER");
            for &m in &members {
                if let Some(inst) = self.instance_mut(InstanceId(m)) {
                    inst.sync_goto(now, State::Master, Reason::SyncGroup);
                }
            }
            return true;
        }
        moved
    }

    fn members_of(&self, members: &[usize]) -> Vec<&Instance> {
        members
            .iter()
            .filter_map(|&m| self.instance(InstanceId(m)))
            .collect()
    }

    fn group_log(&mut self, g: usize, name: &str, state: &'static str) {
        self.actions.push_back((
            Target::Group(GroupId(g)),
            Action::Log(LogLine {
                name: name.into(),
                event: LogEvent::SyncGroupSyncing { state },
            }),
        ));
    }
}

#[path = "sync_deadlines.rs"]
mod sync_deadlines;
#[path = "sync_slack.rs"]
mod sync_slack;

#[cfg(test)]
#[path = "sync_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "sync_reload_tests.rs"]
mod reload_tests;
