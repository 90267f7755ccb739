//! The router's index of armed deadlines: which instance's timer is due first, and which are
//! due by `now`, in O(log n) per re-arm.
//!
//! A binary heap of `(when, instance)` with lazy deletion: re-arming pushes a new entry and
//! leaves the old one, which is recognised as stale (it no longer matches the instance's
//! deadline) when it reaches the top, and the heap is rebuilt in place once stale entries
//! outnumber live ones. One allocation that grows to about twice the number of instances,
//! unlike a tree that allocates and frees a node on most re-arms (a thousand masters
//! re-arming every second scattered those nodes over the heap and kept 0.5-1 MB of it
//! fragmented).

use crate::instance::Timestamp;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Extra stale entries tolerated before a rebuild, over the number of live ones.
const SLACK: usize = 64;

#[derive(Debug, Clone, Default)]
pub(crate) struct Deadlines {
    /// Every deadline filed and not yet taken, some stale; the top is always live.
    heap: BinaryHeap<Reverse<(Timestamp, usize)>>,
    /// Each instance's armed deadline, by index.
    of: Vec<Option<Timestamp>>,
    /// How many of `of` are armed.
    live: usize,
}

impl Deadlines {
    /// Room for `n` instances, none armed.
    pub(crate) fn new(n: usize) -> Deadlines {
        Deadlines {
            heap: BinaryHeap::new(),
            of: vec![None; n],
            live: 0,
        }
    }

    /// One more instance, not armed.
    pub(crate) fn push_slot(&mut self) {
        self.of.push(None);
    }

    /// Arms (or with `None` disarms) instance `i`'s deadline.
    pub(crate) fn set(&mut self, i: usize, t: Option<Timestamp>) {
        let Some(slot) = self.of.get_mut(i) else {
            return;
        };
        if *slot == t {
            return;
        }
        match (slot.is_some(), t.is_some()) {
            (false, true) => self.live += 1,
            (true, false) => self.live -= 1,
            _ => {}
        }
        *slot = t;
        if let Some(t) = t {
            self.heap.push(Reverse((t, i)));
        }
        self.tidy();
    }

    /// The earliest armed deadline.
    pub(crate) fn first(&self) -> Option<Timestamp> {
        self.heap.peek().map(|Reverse((t, _))| *t)
    }

    /// Disarms every instance due by `now` and appends it to `out` (in deadline order, each
    /// once).
    pub(crate) fn take_due(&mut self, now: Timestamp, out: &mut Vec<usize>) {
        while let Some(&Reverse((t, i))) = self.heap.peek() {
            if t > now {
                break;
            }
            self.heap.pop();
            if let Some(slot) = self.of.get_mut(i)
                && *slot == Some(t)
            {
                *slot = None;
                self.live -= 1;
                out.push(i);
            }
        }
        self.tidy();
    }

    /// Drops stale entries from the top, and rebuilds the heap (in its own allocation) when
    /// they are too many.
    fn tidy(&mut self) {
        if self.heap.len() > 2 * self.live + SLACK {
            let mut v = std::mem::take(&mut self.heap).into_vec();
            v.clear();
            v.extend(
                self.of
                    .iter()
                    .enumerate()
                    .filter_map(|(i, t)| t.map(|t| Reverse((t, i)))),
            );
            self.heap = BinaryHeap::from(v);
        }
        while let Some(&Reverse((t, i))) = self.heap.peek() {
            if self.of.get(i) == Some(&Some(t)) {
                break;
            }
            self.heap.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(v: u64) -> Timestamp {
        Timestamp::from_micros(v)
    }

    #[test]
    fn the_first_deadline_is_the_earliest_live_one() {
        let mut d = Deadlines::new(3);
        assert_eq!(d.first(), None);
        d.set(0, Some(us(50)));
        d.set(1, Some(us(20)));
        d.set(2, Some(us(30)));
        assert_eq!(d.first(), Some(us(20)));
        // Re-armed later: the old entry is stale.
        d.set(1, Some(us(60)));
        assert_eq!(d.first(), Some(us(30)));
        d.set(2, None);
        assert_eq!(d.first(), Some(us(50)));
        d.set(0, None);
        d.set(1, None);
        assert_eq!(d.first(), None);
    }

    #[test]
    fn due_instances_come_out_once_and_are_disarmed() {
        let mut d = Deadlines::new(4);
        d.set(0, Some(us(10)));
        d.set(1, Some(us(30)));
        d.set(2, Some(us(10)));
        // Back to an earlier deadline it had: two equal entries, one instance.
        d.set(2, Some(us(40)));
        d.set(2, Some(us(10)));
        d.set(3, Some(us(100)));
        let mut out = Vec::new();
        d.take_due(us(30), &mut out);
        out.sort_unstable();
        assert_eq!(out, vec![0, 1, 2]);
        assert_eq!(d.first(), Some(us(100)));
        out.clear();
        d.take_due(us(99), &mut out);
        assert!(out.is_empty());
        d.take_due(us(100), &mut out);
        assert_eq!(out, vec![3]);
        assert_eq!(d.first(), None);
    }

    #[test]
    fn stale_entries_do_not_pile_up() {
        let mut d = Deadlines::new(10);
        for round in 0..10_000u64 {
            for i in 0..10 {
                d.set(i, Some(us(round * 100 + i as u64 + 1)));
            }
        }
        assert!(d.heap.len() <= 2 * 10 + SLACK, "{} entries", d.heap.len());
        assert_eq!(d.first(), Some(us(999_901)));
    }
}
