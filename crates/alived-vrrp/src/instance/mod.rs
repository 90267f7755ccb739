//! The sans-IO VRRP instance state machine (behaviour spec 5.1-5.6; RFC 3768 §6, RFC 5798 §6).
//!
//! The driver feeds [`Input`]s and timeouts in with the current [`Timestamp`], then drains
//! [`Action`]s with [`Instance::poll_action`] and arms one sleep for
//! [`Instance::poll_timeout`]. Nothing else changes an instance's state, and every state
//! change goes through `Instance::change_state`.

mod config;
mod events;
mod log;
mod reload;
mod rx;
mod timers;
mod track;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_master;
#[cfg(test)]
mod tests_reload;

pub use config::{
    ConfigError, GarpConfig, InstanceConfig, TrackKind, TrackStatus, TrackerConfig, TrackerId,
};
pub use events::{Action, FaultReason, GarpKind, Input, Link, Reason, State, Stats};
pub use log::{LogEvent, LogLevel, LogLine};
pub use timers::{Timestamp, master_down_interval, skew, skew_priority};
pub use track::{Contribution, contribution, effective_priority};

use crate::types::{Centisecs, Priority};
use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::Duration;
use timers::{DownKind, DownTimer, Timers};
use track::Tracking;

/// What [`Instance::status`] reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InstanceStatus {
    pub name: String,
    pub vrid: u8,
    pub state: State,
    pub wantstate: State,
    pub base_priority: u8,
    pub effective_priority: u8,
    pub master_adver_int_cs: u32,
    /// The master we last accepted an advert from (BACKUP).
    pub master: Option<IpAddr>,
    pub master_priority: Option<u8>,
    pub fault: Option<FaultReason>,
    pub stats: Stats,
}

/// One VRRP instance.
#[derive(Debug, Clone)]
pub struct Instance {
    cfg: InstanceConfig,
    state: State,
    /// The state this instance would be in without its sync group (spec 5.1).
    wantstate: State,
    /// The base priority; only lowered by the two-owners rule (spec 5.4, 2.2.7).
    base_priority: u8,
    effective_priority: u8,
    /// The interval that times the down timer: ours, or the master's for a v3 backup.
    master_adver_int: Centisecs,
    tracking: Tracking,
    own_link_up: bool,
    /// Set by the sync group while another member is in FAULT.
    sync_fault: bool,
    /// Set when a sync group decides when this instance may become master.
    in_sync_group: bool,
    timers: Timers,
    /// The master we last accepted an advert from, and its priority.
    master: Option<(IpAddr, Priority)>,
    actions: VecDeque<Action>,
    stats: Stats,
}

impl Instance {
    /// A stopped-before-start instance (state INIT). Send [`Input::Start`] to run it.
    pub fn new(cfg: InstanceConfig) -> Result<Instance, ConfigError> {
        cfg.validate()?;
        let tracking = Tracking::new(&cfg.trackers);
        let base = cfg.priority.0;
        let effective = effective_priority(base, tracking.adjustments());
        Ok(Instance {
            state: State::Init,
            wantstate: State::Init,
            base_priority: base,
            effective_priority: effective,
            master_adver_int: cfg.adver_int,
            tracking,
            own_link_up: true,
            sync_fault: false,
            in_sync_group: false,
            timers: Timers::default(),
            master: None,
            actions: VecDeque::new(),
            stats: Stats::default(),
            cfg,
        })
    }

    pub fn config(&self) -> &InstanceConfig {
        &self.cfg
    }
    pub fn state(&self) -> State {
        self.state
    }
    pub fn wantstate(&self) -> State {
        self.wantstate
    }
    pub fn effective_priority(&self) -> u8 {
        self.effective_priority
    }
    pub fn base_priority(&self) -> u8 {
        self.base_priority
    }
    pub fn master_adver_int(&self) -> Centisecs {
        self.master_adver_int
    }
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    /// The master we last accepted an advert from (BACKUP).
    pub fn current_master(&self) -> Option<(IpAddr, Priority)> {
        self.master
    }

    /// A snapshot for the status API, JSON dumps and metrics.
    pub fn status(&self) -> InstanceStatus {
        InstanceStatus {
            name: self.cfg.name.to_string(),
            vrid: self.cfg.vrid.get(),
            state: self.state,
            wantstate: self.wantstate,
            base_priority: self.base_priority,
            effective_priority: self.effective_priority,
            master_adver_int_cs: self.master_adver_int.0,
            master: self.master.map(|(a, _)| a),
            master_priority: self.master.map(|(_, p)| p.0),
            fault: self.fault_reason(),
            stats: self.stats.clone(),
        }
    }

    /// The Master_Down_Interval this instance uses now (spec 5.2).
    pub fn master_down_interval(&self) -> Duration {
        master_down_interval(
            self.cfg.version,
            skew_priority(self.base_priority, self.effective_priority),
            self.master_adver_int,
            self.cfg.down_timer_adverts,
        )
    }

    /// Skew_Time with the current priority and master interval (spec 5.2).
    pub fn skew(&self) -> Duration {
        skew(
            self.cfg.version,
            skew_priority(self.base_priority, self.effective_priority),
            self.master_adver_int,
        )
    }

    /// How long an advert for this instance may wait unread without changing what the
    /// instance does with it, given that it is handled at its arrival time, after every
    /// timer due before that (the driver's rule). BACKUP: Skew_Time, as now computed: a
    /// priority-0 advert moves the down timer to its arrival + Skew_Time (spec 5.3) and keeps
    /// the master interval, and any other advert only moves the down timer later (or is
    /// discarded). MASTER: zero: a higher priority must make it yield at once, a lower or
    /// zero one is answered at once. Other states ignore adverts: no bound.
    pub fn read_slack(&self) -> Option<Duration> {
        match self.state {
            State::Backup => Some(self.skew()),
            State::Master => Some(Duration::ZERO),
            State::Init | State::Fault | State::Stop => None,
        }
    }

    /// Which of this instance's adverts may wait unread until its next timer (see
    /// [`crate::wire::quiet`]): a BACKUP's adverts with a non-zero priority and the master
    /// interval it uses only move its down timer later (or are discarded), whenever they are
    /// handled; INIT, FAULT and STOP ignore adverts. A MASTER must see every advert at once
    /// (`None`). Changes only with the state or the master interval, that is with
    /// [`Instance::read_slack`].
    pub fn quiet(&self) -> Option<crate::wire::Quiet> {
        match self.state {
            State::Backup => Some(crate::wire::Quiet::Steady {
                version: self.cfg.version,
                adver_int: self.master_adver_int,
            }),
            State::Master => None,
            State::Init | State::Fault | State::Stop => Some(crate::wire::Quiet::All),
        }
    }

    /// The next effect to carry out, in order.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// Lends the instance `spare`, an empty action queue, for the input it is about to take,
    /// if it holds none of its own. With [`Instance::reclaim_queue`] after draining, a router
    /// keeps one queue for all its instances: no queue per idle instance (a thousand of them
    /// kept half a megabyte after their start-up burst) and no allocation per advert.
    pub fn lend_queue(&mut self, spare: &mut VecDeque<Action>) {
        if self.actions.capacity() == 0 && spare.is_empty() {
            std::mem::swap(&mut self.actions, spare);
        }
    }

    /// Capacity of the instance's own action queue (tests of the lending).
    #[cfg(test)]
    pub(crate) fn queue_capacity(&self) -> usize {
        self.actions.capacity()
    }

    /// Takes the drained action queue back into `spare` (keeping the larger of the two), so
    /// that the instance holds none. Does nothing while actions are pending.
    pub fn reclaim_queue(&mut self, spare: &mut VecDeque<Action>) {
        if self.actions.is_empty() {
            let q = std::mem::take(&mut self.actions);
            if q.capacity() > spare.capacity() {
                *spare = q;
            }
        }
    }

    /// When [`Instance::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.timers.next()
    }

    /// Feeds one input.
    pub fn handle(&mut self, now: Timestamp, input: Input) {
        match input {
            Input::Start => self.start(now, false, true),
            Input::Resume => self.start(now, true, false),
            Input::StartAdded => self.start(now, false, false),
            Input::Stop => self.change_state(now, State::Stop, Reason::Shutdown),
            Input::Advert { src, advert } => self.receive(now, src, &advert),
            Input::LinkUp(link) | Input::LinkDown(link) => {
                let up = matches!(input, Input::LinkUp(_));
                match link {
                    Link::Own => self.own_link_up = up,
                    Link::Tracked(id) => {
                        let status = if up {
                            TrackStatus::Up
                        } else {
                            TrackStatus::Down
                        };
                        if !self.tracking.set(id, status) {
                            self.stats.unknown_tracker += 1;
                        }
                    }
                }
                self.reevaluate(now);
            }
            Input::TrackerResult { id, status } => {
                let faulted = |t: &Tracking| {
                    t.get(id)
                        .map(|(c, s)| (c.kind, contribution(c, s) == Contribution::Fault))
                };
                let before = faulted(&self.tracking);
                if !self.tracking.set(id, status) {
                    self.stats.unknown_tracker += 1;
                }
                // Observed 2.2.7: a track_file crossing into or out of FAULT has its own line
                // before the state change.
                if let (Some((TrackKind::File, was)), Some((_, is))) =
                    (before, faulted(&self.tracking))
                    && was != is
                {
                    let file = self
                        .tracking
                        .get(id)
                        .map(|(c, _)| c.name.clone())
                        .unwrap_or_default();
                    self.log(LogEvent::TrackedFileFault { file, fault: is });
                }
                self.reevaluate(now);
            }
        }
    }

    /// Runs every timer due at or before `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        let due = |t: Option<Timestamp>| t.is_some_and(|t| t <= now);
        if due(self.timers.down.map(|d| d.at)) {
            self.timers.down = None;
            self.down_timer_expired(now);
        }
        if due(self.timers.advert) {
            self.timers.advert = Some(now + self.cfg.adver_int.as_duration());
            self.send_advert(self.effective_priority);
        }
        if due(self.timers.garp_delay) {
            self.timers.garp_delay = None;
            self.garp_burst(self.cfg.garp.master_repeat, GarpKind::MasterDelay);
        }
        if due(self.timers.garp_refresh) {
            self.timers.garp_refresh = Some(now + self.cfg.garp.master_refresh);
            self.garp_burst(self.cfg.garp.master_refresh_repeat, GarpKind::Refresh);
        }
        while self
            .timers
            .lower_prio_garp
            .front()
            .is_some_and(|t| *t <= now)
        {
            self.timers.lower_prio_garp.pop_front();
            self.garp_burst(self.cfg.garp.lower_prio_repeat, GarpKind::LowerPriority);
        }
    }

    /// Start-up (`vrrp_init_state()`, spec 5.2; RFC 5798 §6.4.1), as 2.2.7 logs it
    /// (observed in network namespaces):
    /// * a fault present: the cause, `(VI_1) entering FAULT state`, `(VI_1) removing VIPs.`;
    /// * an address owner (255): `(VI_1) removing VIPs.`, then BACKUP silently with a 1 µs
    ///   down timer, so MASTER at once;
    /// * otherwise `(VI_1) removing VIPs.`, `(VI_1) Entering BACKUP STATE (init)` and the full
    ///   Master_Down_Interval.
    ///
    /// `resume` (after a reload or a crash of the VRRP process while MASTER) behaves like the
    /// owner but keeps the VIPs: nothing is removed.
    fn start(&mut self, now: Timestamp, resume: bool, clear_vips: bool) {
        if !matches!(self.state, State::Init | State::Stop) {
            return;
        }
        self.state = State::Init;
        if let Some(reason) = self.fault_reason() {
            self.change_state(now, State::Fault, Reason::Fault(reason));
            return;
        }
        if clear_vips {
            self.remove_stale_vips();
        }
        let reason = if self.effective_priority == 255 || resume {
            Reason::InitAsMaster
        } else {
            Reason::Init
        };
        self.change_state(now, State::Backup, reason);
    }

    /// `preempt_delay` (spec 2.2): lower-priority adverts are accepted for this long after
    /// start-up or FAULT recovery.
    fn start_preempt_delay(&mut self, now: Timestamp) {
        let delay = self.cfg.preempt_delay;
        if self.cfg.preempt && !delay.is_zero() {
            self.timers.preempt_until = Some(now + delay);
            self.log(LogEvent::StartPreemptDelay { delay });
        }
    }

    /// keepalived clears the instance's addresses at start, whatever state follows.
    fn remove_stale_vips(&mut self) {
        self.log(LogEvent::RemovingVips);
        self.actions.push_back(Action::RemoveVips);
    }

    /// RFC 5798 §6.4.2: Master_Down_Timer fires -> MASTER. In a sync group the instance only
    /// records that it wants MASTER; the group moves everyone together (spec 2.4).
    fn down_timer_expired(&mut self, now: Timestamp) {
        if self.state != State::Backup {
            return;
        }
        self.log(LogEvent::ReceiveAdvertTimeout);
        if self.in_sync_group {
            self.wantstate = State::Master;
        } else {
            self.change_state(now, State::Master, Reason::MasterDown);
        }
    }

    /// The one place where the state changes (house style rule 4): logs, counts, re-arms
    /// timers and reports the transition.
    pub(crate) fn change_state(&mut self, now: Timestamp, to: State, reason: Reason) {
        let from = self.state;
        if from == to {
            return;
        }
        self.state = to;
        self.wantstate = to;
        match to {
            State::Master => self.enter_master(now),
            // Owner or resumed master at start-up: BACKUP silently (observed 2.2.7: no log
            // line) with a 1 µs down timer, so MASTER at once; not reported either.
            State::Backup if reason == Reason::InitAsMaster => {
                self.master_adver_int = self.cfg.adver_int;
                self.arm_down_timer(now, DownKind::Fixed);
                return;
            }
            State::Backup => {
                self.log(LogEvent::EnteringBackup {
                    init: from == State::Init,
                });
                self.timers.preempt_until = None;
                if from == State::Master {
                    self.leave_master(0, false);
                } else {
                    self.master_adver_int = self.cfg.adver_int;
                    self.start_preempt_delay(now);
                }
                self.arm_down_timer(now, DownKind::Full);
            }
            State::Fault => {
                let init = from == State::Init;
                if init {
                    self.log_fault_cause();
                }
                self.log(LogEvent::EnteringFault { init });
                if init {
                    self.remove_stale_vips();
                }
                // Spec 5.4: observed twice, with `sent 0 priority`, when a tracker fails; a
                // member pulled into FAULT by its sync group sends one, silently (observed).
                if reason == Reason::Fault(FaultReason::SyncGroup) {
                    self.leave_master_with(from, 1, false);
                } else {
                    self.leave_master_with(from, 2, true);
                }
                self.timers = Timers::default();
                self.master = None;
            }
            State::Stop => {
                self.leave_master_with(from, 1, true);
                self.timers = Timers::default();
                self.master = None;
            }
            State::Init => self.timers = Timers::default(),
        }
        self.actions
            .push_back(Action::Transition { from, to, reason });
    }

    /// Spec 5.4 "On becoming MASTER", in order: advert first, log, VIPs, GARP burst, second
    /// burst after `garp_master_delay`, refresh timer. RFC 5798 §6.4.2 / §6.4.1.
    fn enter_master(&mut self, now: Timestamp) {
        self.stats.became_master += 1;
        self.master = None;
        self.timers.down = None;
        self.timers.preempt_until = None;
        self.send_advert(self.effective_priority);
        self.log(LogEvent::EnteringMaster);
        // RFC 5798 §6.4.2: a v3 master uses its own interval again (observed 2.2.7 line).
        if self.master_adver_int != self.cfg.adver_int {
            self.log(LogEvent::IntervalRestored {
                from_ms: self.master_adver_int.0 * 10,
                to_ms: self.cfg.adver_int.0 * 10,
            });
            self.master_adver_int = self.cfg.adver_int;
        }
        self.log(LogEvent::SettingVips);
        self.actions.push_back(Action::AddVips);
        self.garp_burst(self.cfg.garp.master_repeat, GarpKind::BecameMaster);
        let garp = &self.cfg.garp;
        self.timers.garp_delay = (!garp.master_delay.is_zero()).then(|| now + garp.master_delay);
        self.timers.garp_refresh =
            (!garp.master_refresh.is_zero()).then(|| now + garp.master_delay + garp.master_refresh);
        self.timers.advert = Some(now + self.cfg.adver_int.as_duration());
    }

    fn leave_master_with(&mut self, from: State, zero_adverts: u32, log_zero: bool) {
        if from == State::Master {
            self.leave_master(zero_adverts, log_zero);
        }
    }

    /// Leaving MASTER: priority-0 adverts on stop/fault (spec 5.5), then remove the VIPs.
    fn leave_master(&mut self, zero_adverts: u32, log_zero: bool) {
        self.stats.released_master += 1;
        for _ in 0..zero_adverts {
            self.send_advert(0);
        }
        if zero_adverts > 0 && log_zero {
            self.log(LogEvent::SentZeroPriority);
        }
        self.log(LogEvent::RemovingVips);
        self.actions.push_back(Action::RemoveVips);
        self.timers.clear_master();
    }

    /// Arms the down timer from `now`.
    fn arm_down_timer(&mut self, now: Timestamp, kind: DownKind) {
        let interval = match kind {
            DownKind::Full => self.master_down_interval(),
            DownKind::SkewOnly => self.skew(),
            DownKind::Fixed => Duration::from_micros(1),
        };
        self.timers.down = Some(DownTimer {
            at: now + interval,
            since: now,
            kind,
        });
    }

    /// The first fault present, if any (spec 5.5).
    fn fault_reason(&self) -> Option<FaultReason> {
        if !self.own_link_up && !self.cfg.dont_track_primary {
            return Some(FaultReason::Interface);
        }
        if let Some((id, _, _)) = self.tracking.first_fault() {
            return Some(FaultReason::Tracker(id.0));
        }
        self.sync_fault.then_some(FaultReason::SyncGroup)
    }

    /// The sum of the trackers' priority adjustments.
    pub(crate) fn track_sum(&self) -> i64 {
        self.tracking.adjustments()
    }

    /// Whether a fault of this instance's own (not the sync group's) is present.
    pub fn has_own_fault(&self) -> bool {
        matches!(
            self.fault_reason(),
            Some(FaultReason::Interface | FaultReason::Tracker(_))
        )
    }

    /// The cause line logged before `entering FAULT state` at start-up (observed 2.2.7; a
    /// fault while running logs only `Entering FAULT STATE`).
    fn log_fault_cause(&mut self) {
        if !self.own_link_up && !self.cfg.dont_track_primary {
            let interface = self.cfg.interface.clone();
            self.log(LogEvent::FaultInterfaceDown { interface });
        } else if let Some((_, TrackKind::Script, name)) = self.tracking.first_fault() {
            let script = name.to_owned();
            self.log(LogEvent::FaultDueToScript { script });
        } else if let Some((_, TrackKind::Interface, name)) = self.tracking.first_fault() {
            let interface = name.into();
            self.log(LogEvent::FaultInterfaceDown { interface });
        }
    }

    /// After a link or tracker change: new effective priority (and down timer), FAULT entry or
    /// recovery (spec 2.5, 5.5).
    pub(crate) fn reevaluate(&mut self, now: Timestamp) {
        let new = effective_priority(self.base_priority, self.tracking.adjustments());
        if new != self.effective_priority {
            self.set_effective_priority(now, new);
        }
        let fault = self.fault_reason();
        match (self.state, fault) {
            (State::Backup | State::Master, Some(r)) => {
                self.change_state(now, State::Fault, Reason::Fault(r));
            }
            (State::Fault, None) => self.change_state(now, State::Backup, Reason::FaultCleared),
            _ => {}
        }
    }

    fn set_effective_priority(&mut self, now: Timestamp, new: u8) {
        let old = self.effective_priority;
        self.effective_priority = new;
        self.log(LogEvent::PriorityChange { from: old, to: new });
        self.actions
            .push_back(Action::PriorityChanged { from: old, to: new });
        self.recompute_down_timer(now);
    }

    /// Spec 2.5: a priority change re-computes the down timer at once, from when it was
    /// started.
    fn recompute_down_timer(&mut self, now: Timestamp) {
        if let Some(d) = self.timers.down {
            let interval = match d.kind {
                DownKind::Full => self.master_down_interval(),
                DownKind::SkewOnly => self.skew(),
                DownKind::Fixed => return,
            };
            self.timers.down = Some(DownTimer {
                at: (d.since + interval).max(now),
                ..d
            });
        }
    }

    /// Sync group: set or clear the group-imposed fault (spec 2.4).
    pub(crate) fn set_sync_fault(&mut self, now: Timestamp, on: bool) {
        if self.sync_fault != on {
            self.sync_fault = on;
            if on && matches!(self.state, State::Backup | State::Master) {
                self.change_state(now, State::Fault, Reason::Fault(FaultReason::SyncGroup));
            } else if !on {
                self.reevaluate(now);
            }
        }
    }

    pub(crate) fn set_in_sync_group(&mut self, on: bool) {
        self.in_sync_group = on;
    }

    /// Sync group: another member received a lower-priority advert as MASTER; send our
    /// lower-priority GARPs too (spec 5.4 "also for sync-group peers").
    pub(crate) fn sync_lower_prio_garp(&mut self, now: Timestamp) {
        if self.state == State::Master {
            self.lower_prio_garps(now);
        }
    }

    /// The lower-priority GARP burst now and its repeat after `garp_lower_prio_delay`.
    pub(crate) fn lower_prio_garps(&mut self, now: Timestamp) {
        self.garp_burst(self.cfg.garp.lower_prio_repeat, GarpKind::LowerPriority);
        let delay = self.cfg.garp.lower_prio_delay;
        if !delay.is_zero() && self.cfg.garp.lower_prio_repeat > 0 {
            if self.timers.lower_prio_garp.len() >= timers::MAX_LOWER_PRIO_REPEATS {
                self.timers.lower_prio_garp.pop_front();
            }
            self.timers.lower_prio_garp.push_back(now + delay);
        }
    }

    /// Sync group: move to MASTER or BACKUP because the group says so.
    pub(crate) fn sync_goto(&mut self, now: Timestamp, to: State, reason: Reason) {
        if self.state == to || !matches!(self.state, State::Backup | State::Master) {
            return;
        }
        self.change_state(now, to, reason);
    }

    /// Whether the sync group holds this instance in FAULT.
    pub fn sync_fault(&self) -> bool {
        self.sync_fault
    }

    fn send_advert(&mut self, priority: u8) {
        self.stats.adverts_sent += 1;
        if priority == 0 {
            self.stats.pri_zero_sent += 1;
        }
        self.actions.push_back(Action::SendAdvert {
            priority: Priority(priority),
        });
    }

    /// One burst: a log line per VIP, then one action for the driver (spec 5.6).
    fn garp_burst(&mut self, count: u32, kind: GarpKind) {
        if count == 0 || self.cfg.vips.is_empty() {
            return;
        }
        for i in 0..self.cfg.vips.len() {
            let vip = self.cfg.vips[i];
            let interface = self.cfg.interface.clone();
            self.log(LogEvent::SendingGarps { interface, vip });
        }
        self.actions.push_back(Action::SendGarps { count, kind });
    }

    fn log(&mut self, event: LogEvent) {
        self.actions.push_back(Action::Log(LogLine {
            name: self.cfg.name.clone(),
            event,
        }));
    }
}
