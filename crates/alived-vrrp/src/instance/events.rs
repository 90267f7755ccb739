//! The vocabulary of an instance: its states, the inputs it takes, the actions it asks the
//! driver to carry out, why transitions happen, and its counters.

use super::config::{TrackStatus, TrackerId};
use super::log::LogLine;
use crate::types::Priority;
use crate::wire::Advert;
use serde::Serialize;
use std::fmt;
use std::net::IpAddr;

/// Instance states (keepalived/include/vrrp.h numbering, behaviour spec 5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum State {
    Init = 0,
    Backup = 1,
    Master = 2,
    Fault = 3,
    Stop = 98,
}

impl State {
    /// The upper-case name used in log lines and notify arguments.
    pub fn name(self) -> &'static str {
        match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
            State::Stop => "STOP",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which link an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The instance's own interface (FAULT when down unless `dont_track_primary`).
    Own,
    /// A `track_interface` entry.
    Tracked(TrackerId),
}

/// Everything that can happen to an instance, besides time passing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Start the protocol (RFC 5798 §6.4.1 Startup event).
    Start,
    /// Start after a reload or a restart of the VRRP process while this instance was MASTER:
    /// BACKUP with a 1 µs down timer, so MASTER at once without a Master_Down_Interval with
    /// no VIP (behaviour spec 5.2 "or it was MASTER before a reload"; ARCHITECTURE.md section
    /// 1 asks the same after a crash of the VRRP child). A fault still wins: FAULT (init).
    Resume,
    /// Start an instance a reload added: as [`Input::Start`], but the addresses are left
    /// alone (measured on 2.2.7: an added instance logs `Entering BACKUP STATE (init)` with no
    /// `removing VIPs.` before it; its address may be another running instance's).
    StartAdded,
    /// A validated advert for our VRID, and its IP source address.
    Advert {
        src: IpAddr,
        advert: Advert,
    },
    LinkUp(Link),
    LinkDown(Link),
    /// A tracked object's new status.
    TrackerResult {
        id: TrackerId,
        status: TrackStatus,
    },
    /// Shutdown (RFC 5798 §6.4.3 Shutdown event): a master sends priority 0.
    Stop,
}

/// Why a fault is present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FaultReason {
    /// Our own interface is down.
    Interface,
    /// An unweighted tracker is down, or a track_file is below -253.
    Tracker(u32),
    /// Another member of our sync group is in FAULT.
    SyncGroup,
}

/// Why a transition happened; carried to notify, FIFO and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Reason {
    /// Start-up into BACKUP or FAULT.
    Init,
    /// Start-up of an address owner or a resumed master: a silent BACKUP for 1 µs, never
    /// reported as a transition (spec 5.2).
    InitAsMaster,
    /// The Master_Down_Timer expired.
    MasterDown,
    /// A higher-priority advert (or equal priority from a higher address) reached a master.
    HigherPriority,
    Fault(FaultReason),
    /// Every fault cleared.
    FaultCleared,
    /// The sync group moved us.
    SyncGroup,
    Shutdown,
    /// Removed from the configuration by a reload (spec 4.2): stops like a shutdown; notify
    /// reports it as DELETED (with `notify_deleted`) or FAULT.
    Deleted,
}

/// Which rule a GARP burst comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GarpKind {
    BecameMaster,
    MasterDelay,
    Refresh,
    LowerPriority,
}

/// Effects for the driver to carry out, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send one advert with this priority (0 on stop/fault), our own interval and VIPs.
    SendAdvert {
        priority: Priority,
    },
    AddVips,
    RemoveVips,
    /// Send `count` GARPs/unsolicited NAs for every VIP (paced by the driver).
    SendGarps {
        count: u32,
        kind: GarpKind,
    },
    Transition {
        from: State,
        to: State,
        reason: Reason,
    },
    Log(LogLine),
    /// `notify_master_rx_lower_pri` / FIFO `MASTER_RX_LOWER_PRI`.
    NotifyMasterRxLowerPri {
        from: IpAddr,
        priority: Priority,
    },
    /// The effective priority changed (`notify_priority_changes`).
    PriorityChanged {
        from: u8,
        to: u8,
    },
}

/// Counters, as in keepalived's stats dump (behaviour spec 7.2), plus drops by cause.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub became_master: u64,
    pub released_master: u64,
    pub adverts_rcvd: u64,
    pub adverts_sent: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
    /// Lower-priority adverts a preempting backup discarded.
    pub discarded_lower: u64,
    /// Adverts received in INIT/FAULT/STOP, or for another VRID/version.
    pub ignored: u64,
    /// Reports about trackers we do not have.
    pub unknown_tracker: u64,
}
