//! When the VRRP loop reads its sockets and hands memory back: two small policies of the
//! loop in `driver.rs`, kept apart so that each can be tested on its own.

use alived_vrrp::instance::Timestamp;
use std::time::Duration;

/// Reading adverts in batches when they arrive densely.
///
/// Every advert is handled at its kernel arrival time, after every timer due before it, and
/// the loop reads its sockets before it runs any timer; so an advert read late changes
/// nothing an instance does as long as it is read within the instances' read slack
/// (`Router::read_slack`: Skew_Time for a backup, zero for a master). A backup of 1,000
/// instances used to wake for nearly every advert (about 190 times a second at 1,000
/// adverts a second), and the wake-up itself was a third of its CPU time. When adverts
/// follow each other within the slack, the loop stops waiting for socket readiness and reads
/// every socket once per window instead; one read that finds nothing returns it to waiting
/// for readiness, so a lone instance still wakes once per advert and no more.
#[derive(Debug, Default)]
pub(super) struct ReadHold {
    /// The sockets are read at this instant, not at readiness.
    until: Option<Timestamp>,
    /// The last read that delivered adverts.
    last: Option<Timestamp>,
    /// The current window.
    window: Duration,
}

impl ReadHold {
    /// Longest window: the kernel queues what arrives meanwhile (20 adverts at 1,000 a
    /// second), and each socket's receive buffer holds a few hundred.
    pub(super) const MAX: Duration = Duration::from_millis(20);
    /// Shorter windows save nothing.
    const MIN: Duration = Duration::from_millis(1);
    /// Adverts one window should bring at most: a window that brought more is shortened in
    /// proportion, so that a high advert rate never fills the receive buffers.
    const BATCH: usize = 64;

    /// Whether the loop waits for socket readiness (else it reads at [`ReadHold::due`]).
    pub(super) fn waits_for_readiness(&self) -> bool {
        self.until.is_none()
    }

    /// When the sockets are to be read, if held.
    pub(super) fn due(&self) -> Option<Timestamp> {
        self.until
    }

    /// After the loop read its sockets at `now` (whatever woke it): `delivered` adverts, with
    /// `slack` the instances' read slack.
    pub(super) fn after_read(&mut self, now: Timestamp, delivered: usize, slack: Option<Duration>) {
        let cap = slack.map_or(Self::MAX, |s| s.min(Self::MAX));
        match self.until {
            // Held, and woken early by something else: keep the window unless the slack
            // shrank below it (an instance became MASTER).
            Some(until) if now < until => {
                if cap < Self::MIN {
                    self.until = None;
                } else if until.saturating_duration_since(now) > cap {
                    self.until = Some(now + cap);
                }
            }
            // The window's read: hold again while adverts keep coming.
            Some(_) => {
                self.until = None;
                if delivered > 0 {
                    self.hold(now, cap, delivered);
                }
            }
            // Woken by readiness (or anything else): hold if this advert came soon after the
            // previous one.
            None => {
                let dense = self
                    .last
                    .is_some_and(|l| now.saturating_duration_since(l) < cap);
                if delivered > 0 && dense {
                    self.window = cap;
                    self.hold(now, cap, delivered);
                }
            }
        }
        if delivered > 0 {
            self.last = Some(now);
        }
    }

    fn hold(&mut self, now: Timestamp, cap: Duration, delivered: usize) {
        let mut window = self.window.min(cap);
        if delivered > Self::BATCH {
            window = window.mul_f64(Self::BATCH as f64 / delivered as f64);
        } else if window < cap {
            // Grow back towards the cap when batches are small.
            window = (window * 2).min(cap);
        }
        self.window = window;
        if window >= Self::MIN {
            self.until = Some(now + window);
        }
    }
}

/// Hands memory back once a burst of work is over: glibc keeps the heap pages a burst freed
/// when live blocks sit between them (measured: a master of 1,000 instances kept 0.7-1 MB of
/// free heap after its transition burst until `malloc_trim`), and the burst's code stays
/// mapped. Due a moment after the last busy drain, so that a burst (and the second GARP burst
/// `garp_master_delay` later) is released once, at its end.
#[derive(Debug, Default)]
pub(super) struct ReleaseAfterBurst {
    due: Option<Timestamp>,
}

impl ReleaseAfterBurst {
    /// Quiet time after the last busy drain: GARP bursts run on in the background meanwhile.
    const QUIET: Duration = Duration::from_millis(500);
    /// After start-up: the first adverts heard and sent, first log lines and the like still
    /// run code that the loop will not need again.
    pub(super) const SETTLE: Duration = crate::logging::RELEASE_AFTER_START;

    pub(super) fn busy(&mut self, now: Timestamp) {
        self.wait(now, Self::QUIET);
    }

    /// Due `quiet` from now, or later if it already was.
    pub(super) fn wait(&mut self, now: Timestamp, quiet: Duration) {
        self.due = self.due.max(Some(now + quiet));
    }

    /// The loop's timer must wake for it.
    pub(super) fn due(&self) -> Option<Timestamp> {
        self.due
    }

    /// True (once) when the memory is to be released now.
    pub(super) fn poll(&mut self, now: Timestamp) -> bool {
        if self.due.is_some_and(|d| d <= now) {
            self.due = None;
            return true;
        }
        false
    }
}

/// How long sockets with quiet adverts may go unread: every packet stays queued in the
/// socket's receive buffer until the loop wakes, so the loop must wake before that fills
/// (it holds some 400 adverts: 256 KiB asked, doubled by the kernel up to twice
/// `rmem_max`, at about 1 KiB of buffer per queued advert). A window is sized for
/// [`QuietReads::PEAK`] adverts at the rate the instances' masters send, and shortened in
/// proportion when a read found more (a peer sending faster than it says, or two of them).
#[derive(Debug, Default)]
pub(super) struct QuietReads {
    due: Option<Timestamp>,
    window: Duration,
}

impl QuietReads {
    /// Adverts one socket should hold at most between two reads.
    pub(super) const PEAK: usize = 128;
    const MIN: Duration = Duration::from_millis(1);
    /// Any longer and a clock step or a lost wake-up would matter more than the saving.
    const MAX: Duration = Duration::from_secs(60);

    /// When the sockets with quiet adverts must be read next.
    pub(super) fn due(&self) -> Option<Timestamp> {
        self.due
    }

    /// After the loop read its sockets at `now`: `peak` packets from the fullest socket
    /// with quiet adverts; `rate`: adverts a second expected on the busiest (0: there is no
    /// such socket).
    pub(super) fn after_read(&mut self, now: Timestamp, peak: usize, rate: f64) {
        if rate <= 0.0 {
            *self = Self::default();
            return;
        }
        let bound = Duration::try_from_secs_f64(Self::PEAK as f64 / rate)
            .unwrap_or(Self::MAX)
            .clamp(Self::MIN, Self::MAX);
        self.window = if self.window.is_zero() {
            bound
        } else if peak > Self::PEAK {
            self.window.mul_f64(Self::PEAK as f64 / peak as f64)
        } else {
            self.window * 2
        }
        .clamp(Self::MIN, bound);
        self.due = Some(now + self.window);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Timestamp {
        Timestamp::from_millis(v)
    }
    const SKEW: Option<Duration> = Some(Duration::from_millis(609));

    #[test]
    fn sparse_adverts_are_read_at_readiness_one_wake_each() {
        let mut h = ReadHold::default();
        for t in (0..10).map(|k| ms(1_000 * k)) {
            h.after_read(t, 1, SKEW);
            assert!(h.waits_for_readiness(), "at {t}");
        }
    }

    #[test]
    fn dense_adverts_are_read_once_per_window_until_a_read_finds_none() {
        let mut h = ReadHold::default();
        h.after_read(ms(0), 1, SKEW);
        assert!(h.waits_for_readiness());
        // The next advert 1 ms later: hold for the whole window.
        h.after_read(ms(1), 1, SKEW);
        assert_eq!(h.due(), Some(ms(1) + ReadHold::MAX));
        // The window's read found 20: hold again.
        h.after_read(ms(21), 20, SKEW);
        assert_eq!(h.due(), Some(ms(41)));
        // Woken early by something else: the window stays.
        h.after_read(ms(30), 3, SKEW);
        assert_eq!(h.due(), Some(ms(41)));
        // Nothing came in a whole window: back to readiness.
        h.after_read(ms(41), 0, SKEW);
        assert!(h.waits_for_readiness());
    }

    #[test]
    fn the_window_never_exceeds_the_slack_and_a_master_ends_it() {
        let mut h = ReadHold::default();
        let short = Some(Duration::from_millis(6));
        h.after_read(ms(0), 1, short);
        h.after_read(ms(2), 1, short);
        assert_eq!(h.due(), Some(ms(8)));
        // An instance became MASTER (slack zero) before the window's end: read at readiness.
        h.after_read(ms(3), 1, Some(Duration::ZERO));
        assert!(h.waits_for_readiness());
        // And a master never holds.
        h.after_read(ms(4), 1, Some(Duration::ZERO));
        assert!(h.waits_for_readiness());
    }

    #[test]
    fn a_crowded_window_is_shortened_so_the_receive_buffers_never_fill() {
        let mut h = ReadHold::default();
        h.after_read(ms(0), 1, SKEW);
        h.after_read(ms(1), 1, SKEW);
        // 256 adverts in 20 ms: the next window is a quarter as long.
        h.after_read(ms(21), 256, SKEW);
        assert_eq!(h.due(), Some(ms(26)));
        // Small batches let it grow back.
        h.after_read(ms(26), 10, SKEW);
        assert_eq!(h.due(), Some(ms(36)));
        h.after_read(ms(36), 10, SKEW);
        assert_eq!(h.due(), Some(ms(56)));
    }

    #[test]
    fn memory_is_released_once_after_the_last_burst() {
        let mut r = ReleaseAfterBurst::default();
        r.wait(ms(0), ReleaseAfterBurst::SETTLE);
        // A burst during the settle time does not bring it forward.
        r.busy(ms(1_000));
        assert_eq!(r.due(), Some(ms(3_000)));
        assert!(!r.poll(ms(2_999)));
        assert!(r.poll(ms(3_000)));
        assert!(!r.poll(ms(3_001)));
        // A later burst, extended by the next.
        r.busy(ms(10_000));
        r.busy(ms(10_200));
        assert!(!r.poll(ms(10_600)));
        assert!(r.poll(ms(10_700)));
    }

    #[test]
    fn quiet_sockets_are_read_before_their_buffers_hold_more_than_the_peak() {
        let mut q = QuietReads::default();
        // One instance at 1 s: the cap, not the rate, bounds the window.
        q.after_read(ms(0), 1, 1.0);
        assert_eq!(q.due(), Some(ms(60_000)));
        // 250 instances at 1 s on one socket: 128 of their adverts take 512 ms.
        let mut q = QuietReads::default();
        q.after_read(ms(0), 0, 250.0);
        assert_eq!(q.due(), Some(ms(512)));
        // Every read, whatever woke the loop, starts a window.
        q.after_read(ms(100), 25, 250.0);
        assert_eq!(q.due(), Some(ms(612)));
        // No socket with quiet adverts any more: no deadline.
        q.after_read(ms(200), 0, 0.0);
        assert_eq!(q.due(), None);
    }

    #[test]
    fn a_quiet_socket_that_brought_more_than_expected_is_read_sooner() {
        let mut q = QuietReads::default();
        q.after_read(ms(0), 0, 250.0);
        // Four times the peak (a peer sending faster than it says): a quarter of the window.
        q.after_read(ms(512), 512, 250.0);
        assert_eq!(q.due(), Some(ms(640)));
        // Then it grows back, never past the rate's bound.
        q.after_read(ms(640), 32, 250.0);
        assert_eq!(q.due(), Some(ms(896)));
        q.after_read(ms(896), 64, 250.0);
        assert_eq!(q.due(), Some(ms(1_408)));
        q.after_read(ms(1_408), 128, 250.0);
        assert_eq!(q.due(), Some(ms(1_920)));
    }
}
