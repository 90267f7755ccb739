//! The runtime configuration of one VRRP instance: what the config crate's typed model is
//! turned into (behaviour spec 2.1, 2.2, 2.5). Defaults are keepalived 2.2.7's.

use crate::types::{Centisecs, Name, Priority, Sparse, SparseDefault, Version, Vrid};
use std::net::IpAddr;
use std::time::Duration;
use thiserror::Error;

/// Identifies one tracked object of an instance (interface, script, file, process, BFD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackerId(pub u32);

/// What kind of object a tracker follows; only used for log wording and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackKind {
    Interface,
    Script,
    File,
    Process,
    Bfd,
}

/// The last reported state of a tracked object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackStatus {
    Up,
    Down,
    /// `track_file`: the integer read from the file.
    Value(i64),
}

/// One `track_*` entry of an instance, with its weight (behaviour spec 2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerConfig {
    pub id: TrackerId,
    /// The object's name (script name, interface name...), for log lines.
    pub name: String,
    pub kind: TrackKind,
    /// 0 = FAULT while down; >0 = +weight while up; <0 = -|weight| while down.
    pub weight: i32,
    /// `reverse`: swaps the direction (up <-> down; for files, the sign).
    pub reverse: bool,
    /// The state assumed until the first report.
    pub initial: TrackStatus,
}

/// GARP / unsolicited NA rates (behaviour spec 2.1 `vrrp_garp_*`, 5.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GarpConfig {
    /// `garp_master_delay`: delay of the second burst after becoming master; 0 = none. 5 s.
    pub master_delay: Duration,
    /// `garp_master_repeat`: packets per burst on becoming master. 5.
    pub master_repeat: u32,
    /// `garp_master_refresh`: period of refresh bursts while master; 0 = off (default).
    pub master_refresh: Duration,
    /// `garp_master_refresh_repeat`: packets per refresh burst. 1.
    pub master_refresh_repeat: u32,
    /// `garp_lower_prio_delay`: repeat delay after a lower-priority advert. = master_delay.
    pub lower_prio_delay: Duration,
    /// `garp_lower_prio_repeat`: packets per burst after a lower-priority advert.
    /// = master_repeat.
    pub lower_prio_repeat: u32,
}

impl GarpConfig {
    /// keepalived 2.2.7's defaults.
    pub const DEFAULT: GarpConfig = GarpConfig {
        master_delay: Duration::from_secs(5),
        master_repeat: 5,
        master_refresh: Duration::ZERO,
        master_refresh_repeat: 1,
        lower_prio_delay: Duration::from_secs(5),
        lower_prio_repeat: 5,
    };
}

impl Default for GarpConfig {
    fn default() -> Self {
        GarpConfig::DEFAULT
    }
}

/// What a [`Sparse<GarpConfig>`] reads as while nothing is stored.
static DEFAULT_GARP: GarpConfig = GarpConfig::DEFAULT;

impl SparseDefault for GarpConfig {
    fn sparse_default() -> &'static GarpConfig {
        &DEFAULT_GARP
    }
}

/// Everything the state machine needs to know about one `vrrp_instance`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceConfig {
    /// The instance name, as it appears in log lines: `(VI_1) ...`.
    pub name: Name,
    pub vrid: Vrid,
    pub version: Version,
    /// The configured (base) priority, 1..=255; 255 = address owner.
    pub priority: Priority,
    /// Our own advert interval. v2: whole seconds as `secs * 100`.
    pub adver_int: Centisecs,
    /// `preempt` (default) or `nopreempt` (= false).
    pub preempt: bool,
    /// `preempt_delay`: 0 = none.
    pub preempt_delay: Duration,
    /// The instance's interface name, for log lines (`Sending/queueing ... on eth0`).
    pub interface: Name,
    /// Our address for the equal-priority tie-break: `unicast_src_ip`/`mcast_src_ip` if set,
    /// else the interface's primary IPv4 address or IPv6 link-local (behaviour spec 5.4).
    /// Its family is the instance's family.
    pub our_addr: IpAddr,
    /// The virtual addresses carried in adverts, in config order.
    pub vips: Vec<IpAddr>,
    /// The GARP rates: one pointer, null while they are keepalived's defaults.
    pub garp: Sparse<GarpConfig>,
    /// `down_timer_adverts`: adverts in Master_Down_Interval, 1..=100. 3 (the RFC value).
    pub down_timer_adverts: u32,
    /// `lower_prio_no_advert`: a master does not answer a lower-priority advert.
    pub lower_prio_no_advert: bool,
    /// `higher_prio_send_advert`: a master sends one advert before yielding.
    pub higher_prio_send_advert: bool,
    /// `dont_track_primary`: our own interface going down does not cause FAULT.
    pub dont_track_primary: bool,
    /// `owner_ignore_adverts` (2.3.3+): an address owner ignores all received adverts.
    pub owner_ignore_adverts: bool,
    pub trackers: Vec<TrackerConfig>,
}

/// Why a configuration cannot run. Reported by [`crate::instance::Instance::new`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("({0}) priority 0 is reserved for a stopping master")]
    PriorityZero(String),
    #[error("({0}) advert interval must be at least 1 centisecond")]
    ZeroInterval(String),
    #[error("({0}) VRRPv3 advert interval must be below 40.96 s, got {1} cs")]
    IntervalTooLong(String, u32),
    #[error("({0}) down_timer_adverts {1} outside 1..=100")]
    DownTimerAdverts(String, u32),
    #[error("({0}) tracker id {1} used twice")]
    DuplicateTracker(String, u32),
    #[error("({0}) VIP {1} is not the same address family as the instance")]
    FamilyMismatch(String, IpAddr),
}

impl InstanceConfig {
    /// A config with keepalived's defaults: v2, priority 100, 1 s, preempt, no trackers.
    pub fn new(name: impl Into<Name>, vrid: Vrid, our_addr: IpAddr) -> InstanceConfig {
        InstanceConfig {
            name: name.into(),
            vrid,
            version: if our_addr.is_ipv6() {
                Version::V3
            } else {
                Version::V2
            },
            priority: Priority(100),
            adver_int: Centisecs(100),
            preempt: true,
            preempt_delay: Duration::ZERO,
            interface: "eth0".into(),
            our_addr,
            vips: Vec::new(),
            garp: Sparse::default(),
            down_timer_adverts: 3,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            dont_track_primary: false,
            owner_ignore_adverts: false,
            trackers: Vec::new(),
        }
    }

    /// Checks the invariants the state machine relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let name = || self.name.to_string();
        if self.priority.0 == 0 {
            return Err(ConfigError::PriorityZero(name()));
        }
        if self.adver_int.0 == 0 {
            return Err(ConfigError::ZeroInterval(name()));
        }
        if self.version == Version::V3 && self.adver_int.0 > 0x0fff {
            return Err(ConfigError::IntervalTooLong(name(), self.adver_int.0));
        }
        if !(1..=100).contains(&self.down_timer_adverts) {
            return Err(ConfigError::DownTimerAdverts(
                name(),
                self.down_timer_adverts,
            ));
        }
        for (i, t) in self.trackers.iter().enumerate() {
            if self.trackers[..i].iter().any(|u| u.id == t.id) {
                return Err(ConfigError::DuplicateTracker(name(), t.id.0));
            }
        }
        if let Some(v) = self
            .vips
            .iter()
            .find(|v| v.is_ipv4() != self.our_addr.is_ipv4())
        {
            return Err(ConfigError::FamilyMismatch(name(), *v));
        }
        Ok(())
    }

    /// True for an address owner (base priority 255).
    pub fn is_owner(&self) -> bool {
        self.priority == Priority::OWNER
    }
}
