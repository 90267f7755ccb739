//! Tracking arithmetic (behaviour spec 2.5, "Weight semantics" and "Effective priority").
//!
//! Each tracked object contributes either a priority adjustment or a fault; the effective
//! priority is the base plus the sum of adjustments, clamped to [1, 254], and never changes
//! for an address owner (base 255).

use super::config::{TrackKind, TrackStatus, TrackerConfig, TrackerId};

/// What one tracker does to its instance right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contribution {
    /// Add this (possibly negative) amount to the priority.
    Adjust(i64),
    /// Put the instance in FAULT.
    Fault,
}

/// A track_file result below this means FAULT (behaviour spec 2.5).
pub const FILE_FAULT_BELOW: i64 = -253;

/// The contribution of one tracker in one state.
///
/// * weight 0: FAULT while down (a file: while its value is non-zero).
/// * weight > 0: +weight while up.
/// * weight < 0: -|weight| while down.
/// * `reverse` swaps up and down (for a file, the sign of the product).
/// * track_file: value × weight; below -253 -> FAULT.
pub fn contribution(cfg: &TrackerConfig, status: TrackStatus) -> Contribution {
    let weight = i64::from(cfg.weight);
    match status {
        TrackStatus::Value(v) => {
            if weight == 0 {
                return if v == 0 {
                    Contribution::Adjust(0)
                } else {
                    Contribution::Fault
                };
            }
            let sign = if cfg.reverse { -1 } else { 1 };
            let total = v.saturating_mul(weight).saturating_mul(sign);
            if total < FILE_FAULT_BELOW {
                Contribution::Fault
            } else {
                Contribution::Adjust(total)
            }
        }
        TrackStatus::Up | TrackStatus::Down => {
            let up = (status == TrackStatus::Up) != cfg.reverse;
            match (weight, up) {
                (0, true) => Contribution::Adjust(0),
                (0, false) => Contribution::Fault,
                (w, true) if w > 0 => Contribution::Adjust(w),
                (w, false) if w < 0 => Contribution::Adjust(w),
                _ => Contribution::Adjust(0),
            }
        }
    }
}

/// Effective priority = base + Σ adjustments, clamped to [1, 254]; 255 stays 255
/// (`vrrp_set_effective_priority()` semantics, behaviour spec 2.5). Trackers can never lift a
/// priority to 255.
pub fn effective_priority(base: u8, adjustments: i64) -> u8 {
    if base == 255 {
        return 255;
    }
    let p = i64::from(base).saturating_add(adjustments).clamp(1, 254);
    u8::try_from(p).unwrap_or(254)
}

/// The trackers of one instance with their last reported status.
#[derive(Debug, Clone)]
pub(crate) struct Tracking {
    entries: Vec<(TrackerConfig, TrackStatus)>,
}

impl Tracking {
    pub fn new(cfgs: &[TrackerConfig]) -> Tracking {
        Tracking {
            entries: cfgs.iter().map(|c| (c.clone(), c.initial)).collect(),
        }
    }

    /// New tracker configurations; a tracker kept (same id, kind and name) keeps its last
    /// status, a new one starts from its initial status (reload, spec 4.2).
    pub fn reconfigured(&self, cfgs: &[TrackerConfig]) -> Tracking {
        Tracking {
            entries: cfgs
                .iter()
                .map(|c| {
                    let kept = self
                        .entries
                        .iter()
                        .find(|(o, _)| o.id == c.id && o.kind == c.kind && o.name == c.name)
                        .map_or(c.initial, |(_, s)| *s);
                    (c.clone(), kept)
                })
                .collect(),
        }
    }

    /// Records a report; returns false for an unknown tracker (dropped by the caller).
    pub fn set(&mut self, id: TrackerId, status: TrackStatus) -> bool {
        match self.entries.iter_mut().find(|(c, _)| c.id == id) {
            Some(e) => {
                e.1 = status;
                true
            }
            None => false,
        }
    }

    /// A tracker's config and last status.
    pub fn get(&self, id: TrackerId) -> Option<(&TrackerConfig, TrackStatus)> {
        self.entries
            .iter()
            .find(|(c, _)| c.id == id)
            .map(|(c, s)| (c, *s))
    }

    pub fn adjustments(&self) -> i64 {
        self.entries
            .iter()
            .map(|(c, s)| match contribution(c, *s) {
                Contribution::Adjust(a) => a,
                Contribution::Fault => 0,
            })
            .fold(0i64, i64::saturating_add)
    }

    /// The first tracker that faults the instance, if any.
    pub fn first_fault(&self) -> Option<(TrackerId, TrackKind, &str)> {
        self.entries
            .iter()
            .find(|(c, s)| contribution(c, *s) == Contribution::Fault)
            .map(|(c, _)| (c.id, c.kind, c.name.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(weight: i32, reverse: bool) -> TrackerConfig {
        TrackerConfig {
            id: TrackerId(1),
            name: "chk".into(),
            kind: TrackKind::Script,
            weight,
            reverse,
            initial: TrackStatus::Up,
        }
    }

    // Spec 2.5: weight 0 -> FAULT while the object is down.
    #[test]
    fn weight_zero_down_is_fault() {
        assert_eq!(
            contribution(&tracker(0, false), TrackStatus::Down),
            Contribution::Fault
        );
        assert_eq!(
            contribution(&tracker(0, false), TrackStatus::Up),
            Contribution::Adjust(0)
        );
    }

    // Spec 2.5: weight > 0 -> +weight while up, nothing while down.
    #[test]
    fn positive_weight_adds_while_up() {
        assert_eq!(
            contribution(&tracker(20, false), TrackStatus::Up),
            Contribution::Adjust(20)
        );
        assert_eq!(
            contribution(&tracker(20, false), TrackStatus::Down),
            Contribution::Adjust(0)
        );
    }

    // Spec 2.5: weight < 0 -> -|weight| while down.
    #[test]
    fn negative_weight_subtracts_while_down() {
        assert_eq!(
            contribution(&tracker(-30, false), TrackStatus::Down),
            Contribution::Adjust(-30)
        );
        assert_eq!(
            contribution(&tracker(-30, false), TrackStatus::Up),
            Contribution::Adjust(0)
        );
    }

    // Spec 2.5: `reverse` swaps the direction.
    #[test]
    fn reverse_swaps_direction() {
        assert_eq!(
            contribution(&tracker(20, true), TrackStatus::Down),
            Contribution::Adjust(20)
        );
        assert_eq!(
            contribution(&tracker(-30, true), TrackStatus::Up),
            Contribution::Adjust(-30)
        );
        assert_eq!(
            contribution(&tracker(0, true), TrackStatus::Up),
            Contribution::Fault
        );
    }

    // Spec 2.5: track_file value × weight; below -253 -> FAULT.
    #[test]
    fn track_file_value_times_weight_and_fault_below_minus_253() {
        let t = tracker(-10, false);
        assert_eq!(
            contribution(&t, TrackStatus::Value(5)),
            Contribution::Adjust(5 * -10)
        );
        assert_eq!(
            contribution(&t, TrackStatus::Value(25)),
            Contribution::Adjust(25 * -10)
        );
        assert_eq!(
            contribution(&t, TrackStatus::Value(26)),
            Contribution::Fault
        );
        assert_eq!(
            contribution(&tracker(10, true), TrackStatus::Value(3)),
            Contribution::Adjust(-30)
        );
    }

    // Spec 2.5: clamped to [1, 254]; never for base 255.
    #[test]
    fn effective_priority_clamps_and_spares_owner() {
        assert_eq!(effective_priority(100, 50), 150);
        assert_eq!(effective_priority(250, 50), 254);
        assert_eq!(effective_priority(10, -50), 1);
        assert_eq!(effective_priority(255, -100), 255);
        assert_eq!(effective_priority(254, 1), 254);
    }
}
