//! The router's shortest read slack: how long the driver may leave adverts unread in its
//! sockets without changing any instance's behaviour ([`Instance::read_slack`]).
//!
//! Each instance's slack changes only with its state, priority or master interval, so it is
//! re-read for the instances an input touched (O(1) each) and the minimum over all of them
//! is computed again only after one changed.
//!
//! [`Instance::read_slack`]: crate::instance::Instance::read_slack

use std::time::Duration;

/// An instance whose state ignores adverts.
const UNBOUNDED: u32 = u32::MAX;

#[derive(Debug, Clone, Default)]
pub(crate) struct ReadSlack {
    /// Each instance's slack in microseconds, by index ([`UNBOUNDED`]: none).
    each: Vec<u32>,
    /// The minimum, once computed; `None` after a change.
    min: Option<Option<Duration>>,
    /// Moves on every change of any instance's slack (see [`ReadSlack::generation`]).
    generation: u64,
}

impl ReadSlack {
    /// Room for `n` instances, all unbounded.
    pub(crate) fn new(n: usize) -> ReadSlack {
        ReadSlack {
            each: vec![UNBOUNDED; n],
            min: Some(None),
            generation: 0,
        }
    }

    /// Room for one more instance (unbounded).
    pub(crate) fn push_slot(&mut self) {
        self.each.push(UNBOUNDED);
    }

    /// Instance `i`'s slack now.
    pub(crate) fn set(&mut self, i: usize, slack: Option<Duration>) {
        // Microseconds: Skew_Time is at most 255/256 of 40.95 s.
        let us = slack.map_or(UNBOUNDED, |d| {
            u32::try_from(d.as_micros()).map_or(UNBOUNDED - 1, |u| u.min(UNBOUNDED - 1))
        });
        if let Some(slot) = self.each.get_mut(i)
            && *slot != us
        {
            *slot = us;
            self.min = None;
            self.generation += 1;
        }
    }

    /// A count of changes: the same number means no instance's slack changed since, hence
    /// no instance's state or master interval either, nor its quiet adverts.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// The shortest slack of all instances; `None` if none bounds it.
    pub(crate) fn min(&mut self) -> Option<Duration> {
        if let Some(m) = self.min {
            return m;
        }
        let m = self
            .each
            .iter()
            .copied()
            .filter(|&us| us != UNBOUNDED)
            .min()
            .map(|us| Duration::from_micros(u64::from(us)));
        self.min = Some(m);
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn no_bound_until_an_instance_sets_one() {
        let mut s = ReadSlack::new(3);
        assert_eq!(s.min(), None);
        s.set(1, Some(600 * MS));
        s.set(2, Some(60 * MS));
        assert_eq!(s.min(), Some(60 * MS));
    }

    #[test]
    fn the_minimum_follows_changes_up_and_down() {
        let mut s = ReadSlack::new(2);
        s.set(0, Some(600 * MS));
        s.set(1, Some(60 * MS));
        assert_eq!(s.min(), Some(60 * MS));
        // The shortest one became MASTER (zero), then went to FAULT (unbounded).
        let g = s.generation();
        s.set(1, Some(Duration::ZERO));
        assert_eq!(s.min(), Some(Duration::ZERO));
        assert_ne!(s.generation(), g);
        let g = s.generation();
        s.set(1, Some(Duration::ZERO));
        assert_eq!(s.generation(), g, "no change, same generation");
        s.set(1, None);
        assert_eq!(s.min(), Some(600 * MS));
        s.set(0, None);
        assert_eq!(s.min(), None);
    }

    #[test]
    fn added_slots_start_unbounded_and_unknown_ones_are_ignored() {
        let mut s = ReadSlack::new(1);
        s.set(0, Some(5 * MS));
        s.push_slot();
        assert_eq!(s.min(), Some(5 * MS));
        s.set(1, Some(2 * MS));
        s.set(7, Some(Duration::ZERO));
        assert_eq!(s.min(), Some(2 * MS));
    }
}
