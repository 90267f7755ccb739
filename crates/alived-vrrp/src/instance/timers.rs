//! Simulated-or-real time as a value, and the VRRP timer formulas (behaviour spec 5.2;
//! RFC 3768 §6.1, RFC 5798 §6.1).
//!
//! The core never reads a clock (house style rule 1): the driver passes `now` in as a
//! [`Timestamp`], microseconds since an epoch of its choosing (keepalived's `TIMER_HZ` is 1e6,
//! so every keepalived timer is representable exactly).

use crate::types::{Centisecs, Version};
use serde::Serialize;
use std::fmt;
use std::num::NonZeroU64;
use std::ops::Add;
use std::time::Duration;

/// A point in time: microseconds since an arbitrary epoch chosen by the driver.
///
/// Stored as microseconds + 1 in a `NonZeroU64`, so that an `Option<Timestamp>` (every
/// timer of an instance, a thousand instances in one process) takes 8 bytes, not 16. The
/// last microsecond of `u64` is the end of time: `from_micros(u64::MAX)` saturates to it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(NonZeroU64);

impl Timestamp {
    pub const ZERO: Timestamp = Timestamp(NonZeroU64::MIN);

    pub const fn from_micros(us: u64) -> Timestamp {
        Timestamp(NonZeroU64::MIN.saturating_add(us))
    }
    pub const fn from_millis(ms: u64) -> Timestamp {
        Timestamp::from_micros(ms.saturating_mul(1000))
    }
    pub const fn as_micros(self) -> u64 {
        self.0.get() - 1
    }
    /// `self + d`, saturating at the end of time rather than wrapping.
    pub fn saturating_add(self, d: Duration) -> Timestamp {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        Timestamp(self.0.saturating_add(us))
    }
    /// The time from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Timestamp) -> Duration {
        Duration::from_micros(self.as_micros().saturating_sub(earlier.as_micros()))
    }
}

impl Default for Timestamp {
    fn default() -> Timestamp {
        Timestamp::ZERO
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Timestamp").field(&self.as_micros()).finish()
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct("Timestamp", &self.as_micros())
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Duration) -> Timestamp {
        self.saturating_add(d)
    }
}

impl fmt::Display for Timestamp {
    /// `secs.micros`, as keepalived prints its timers with -D.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.as_micros();
        write!(f, "{}.{:06}", us / 1_000_000, us % 1_000_000)
    }
}

/// The priority that goes into the skew formula: the effective priority, or 1 when the base
/// priority is 255 (behaviour spec 5.2, "`prio` = effective priority, or 1 if the base priority
/// is 255").
pub fn skew_priority(base: u8, effective: u8) -> u8 {
    if base == 255 { 1 } else { effective }
}

/// Skew_Time (`VRRP_TIMER_SKEW_CALC`, behaviour spec 5.2).
///
/// * v2 (RFC 3768 §6.1): `(256 - prio) / 256` seconds, independent of the advert interval.
/// * v3 (RFC 5798 §6.1): `((256 - prio) * Master_Adver_Interval) / 256`, computed in µs as
///   `(256 - prio) * centisecs * 625 / 16` (10_000 / 256 = 625 / 16), truncating.
pub fn skew(version: Version, prio: u8, master_adver_int: Centisecs) -> Duration {
    let weight = 256 - u64::from(prio);
    let us = match version {
        Version::V2 => weight * 1_000_000 / 256,
        Version::V3 => weight * u64::from(master_adver_int.0) * 625 / 16,
    };
    Duration::from_micros(us)
}

/// Master_Down_Interval = `down_timer_adverts × Master_Adver_Interval + Skew_Time`
/// (`VRRP_MS_DOWN_TIMER`; RFC 3768 §6.1 and RFC 5798 §6.1 with `down_timer_adverts` = 3).
pub fn master_down_interval(
    version: Version,
    prio: u8,
    master_adver_int: Centisecs,
    down_timer_adverts: u32,
) -> Duration {
    let adverts = Duration::from_micros(master_adver_int.as_micros()) * down_timer_adverts;
    adverts + skew(version, prio, master_adver_int)
}

/// Bounds the queued lower-priority GARP repeats, so that a flood of lower adverts cannot grow
/// memory (house style rule 8).
pub(crate) const MAX_LOWER_PRIO_REPEATS: usize = 64;

/// Every timer an instance may have armed, by purpose. `None` = not armed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Timers {
    /// BACKUP: Master_Down_Timer (RFC 5798 §6.2). Fires -> MASTER.
    pub down: Option<DownTimer>,
    /// MASTER: Adver_Timer. Fires -> send an advert.
    pub advert: Option<Timestamp>,
    /// MASTER: the second GARP burst, `garp_master_delay` after becoming master.
    pub garp_delay: Option<Timestamp>,
    /// MASTER: the periodic GARP refresh (`garp_master_refresh`).
    pub garp_refresh: Option<Timestamp>,
    /// MASTER: the repeats of lower-priority GARP bursts (`garp_lower_prio_delay`), one per
    /// lower-priority advert received (observed 2.2.7: four such adverts, four delayed
    /// bursts), oldest first, at most [`MAX_LOWER_PRIO_REPEATS`].
    pub lower_prio_garp: RepeatQueue,
    /// BACKUP: end of the preempt delay, started on entering BACKUP from start-up or FAULT.
    /// Not a wake-up: it only changes how the next lower-priority advert is treated.
    pub preempt_until: Option<Timestamp>,
}

/// The queued lower-priority GARP repeats, on the heap only while one is queued: most
/// instances never queue one, and a thousand run in one process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[expect(
    clippy::box_collection,
    reason = "8 bytes inline while empty instead of a 32-byte VecDeque"
)]
pub(crate) struct RepeatQueue(Option<Box<std::collections::VecDeque<Timestamp>>>);

impl RepeatQueue {
    pub fn front(&self) -> Option<&Timestamp> {
        self.0.as_ref().and_then(|q| q.front())
    }
    pub fn pop_front(&mut self) -> Option<Timestamp> {
        let q = self.0.as_mut()?;
        let t = q.pop_front();
        if q.is_empty() {
            self.0 = None;
        }
        t
    }
    pub fn push_back(&mut self, t: Timestamp) {
        self.0.get_or_insert_default().push_back(t);
    }
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |q| q.len())
    }
    pub fn clear(&mut self) {
        self.0 = None;
    }
}

/// The down timer remembers how it was armed, so that a priority change can re-compute it
/// from the same starting point (behaviour spec 2.5, "A change re-computes the down timer at
/// once").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DownTimer {
    pub at: Timestamp,
    /// When it was (re)started.
    pub since: Timestamp,
    pub kind: DownKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DownKind {
    /// The full Master_Down_Interval.
    Full,
    /// Skew only, after a priority-0 advert (RFC 5798 §6.4.2).
    SkewOnly,
    /// A fixed wake-up that does not depend on priority (the owner's 1 µs start-up timer).
    Fixed,
}

impl Timers {
    /// The earliest armed wake-up.
    pub fn next(&self) -> Option<Timestamp> {
        [
            self.down.map(|d| d.at),
            self.advert,
            self.garp_delay,
            self.garp_refresh,
            self.lower_prio_garp.front().copied(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn clear_master(&mut self) {
        self.advert = None;
        self.garp_delay = None;
        self.garp_refresh = None;
        self.lower_prio_garp.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Behaviour spec 5.2 worked examples: v2 prio 100 adv 1 -> 3.609 s; prio-0 takeover at
    // prio 100 -> 0.609 s; v3 adv 0.5 prio 100 -> 1.805 s. Expected values from the formula.
    #[test]
    fn v2_master_down_interval_matches_formula() {
        let got = master_down_interval(Version::V2, 100, Centisecs(100), 3);
        let want_us = 3 * 1_000_000 + (256 - 100) * 1_000_000 / 256;
        assert_eq!(got, Duration::from_micros(want_us));
        assert!((got.as_secs_f64() - 3.609).abs() < 0.001);
    }

    #[test]
    fn v2_skew_ignores_advert_interval() {
        assert_eq!(
            skew(Version::V2, 100, Centisecs(100)),
            skew(Version::V2, 100, Centisecs(500))
        );
    }

    #[test]
    fn v3_skew_scales_with_master_interval() {
        let got = master_down_interval(Version::V3, 100, Centisecs(50), 3);
        let want_us = 3 * 500_000 + (256 - 100) * 50 * 625 / 16;
        assert_eq!(got, Duration::from_micros(want_us));
        assert!((got.as_secs_f64() - 1.805).abs() < 0.001);
    }

    #[test]
    fn owner_skew_uses_priority_one() {
        // Behaviour spec 5.2: prio = 1 if the base priority is 255.
        assert_eq!(skew_priority(255, 255), 1);
        assert_eq!(skew_priority(200, 180), 180);
    }

    #[test]
    fn timestamps_keep_their_micros_order_and_fit_an_option_in_eight_bytes() {
        assert_eq!(std::mem::size_of::<Option<Timestamp>>(), 8);
        assert_eq!(Timestamp::ZERO.as_micros(), 0);
        assert_eq!(Timestamp::default(), Timestamp::ZERO);
        assert_eq!(Timestamp::from_micros(3_609_375).as_micros(), 3_609_375);
        assert_eq!(Timestamp::from_millis(2).as_micros(), 2000);
        assert!(Timestamp::from_micros(1) < Timestamp::from_micros(2));
        let end = Timestamp::from_micros(u64::MAX);
        assert_eq!(end + Duration::from_secs(1), end);
        assert_eq!(end.as_micros(), u64::MAX - 1);
        let t = Timestamp::from_micros(5) + Duration::from_micros(7);
        assert_eq!(t.as_micros(), 12);
        assert_eq!(
            t.saturating_duration_since(Timestamp::from_micros(2)),
            Duration::from_micros(10)
        );
        assert_eq!(format!("{t:?}"), "Timestamp(12)");
        assert_eq!(serde_json::to_string(&t).unwrap(), "12");
    }

    #[test]
    fn timestamp_display_is_secs_dot_micros() {
        assert_eq!(Timestamp::from_micros(3_609_375).to_string(), "3.609375");
    }
}
