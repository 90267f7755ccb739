//! The VRRP driver's one timer: a deadline on CLOCK_MONOTONIC kept by a `timerfd`.
//!
//! Why not `tokio::time`: its wheel rounds every deadline up to the next millisecond and
//! wakes the process once per wheel level on the way down (two or three wake-ups for a one
//! second sleep). A timerfd armed at the absolute deadline wakes the process once, at the
//! microsecond the protocol asks for.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::task::{Context, Poll};
use std::time::Duration;

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use nix::time::clock_gettime;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::ffi;

/// CLOCK_MONOTONIC now (the clock [`Deadline`] is set in).
pub fn monotonic_now() -> Duration {
    clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .map(Duration::from)
        .unwrap_or_default()
}

/// A timerfd the reactor can wait on.
struct Fd(TimerFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// A one-shot deadline; re-arming replaces the previous one.
pub struct Deadline {
    fd: AsyncFd<Fd>,
    armed: Option<Duration>,
}

impl std::fmt::Debug for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deadline")
            .field("armed", &self.armed)
            .finish()
    }
}

impl Deadline {
    /// A disarmed deadline. Must be called inside a tokio runtime.
    pub fn new() -> io::Result<Self> {
        let tfd = TimerFd::new(ClockId::CLOCK_MONOTONIC, TimerFlags::TFD_NONBLOCK)
            .map_err(io::Error::from)?;
        let fd = ffi::register(Fd(tfd), Interest::READABLE)?;
        Ok(Deadline { fd, armed: None })
    }

    /// Arms the deadline at `at` (CLOCK_MONOTONIC; a time already past fires at once), or
    /// disarms it with `None`. Costs no system call when nothing changes.
    pub fn set(&mut self, at: Option<Duration>) -> io::Result<()> {
        if at == self.armed {
            return Ok(());
        }
        let tfd = &self.fd.get_ref().0;
        match at {
            // A zero expiry would disarm the timer: the earliest real instant is 1 ns.
            Some(t) => tfd.set(
                Expiration::OneShot(TimeSpec::from_duration(t.max(Duration::from_nanos(1)))),
                TimerSetTimeFlags::TFD_TIMER_ABSTIME,
            ),
            None => tfd.unset(),
        }
        .map_err(io::Error::from)?;
        self.armed = at;
        Ok(())
    }

    /// The armed deadline, if any.
    pub fn armed(&self) -> Option<Duration> {
        self.armed
    }

    /// Completes once the armed deadline has passed, with the CLOCK_MONOTONIC reading that
    /// found it passed; pending for ever while disarmed. The deadline is disarmed when this
    /// returns.
    ///
    /// The timerfd is never read: the reactor hears of every expiry (an edge), and the next
    /// `set` resets the expiry count. An expiry of a deadline since re-armed (both came
    /// before this was polled) is told apart by the clock, not by a read that would find
    /// the count reset: one system call fewer per timer (per advert, for a master).
    pub async fn expired(&mut self) -> Duration {
        std::future::poll_fn(|cx| self.poll_expired(cx)).await
    }

    /// [`Deadline::expired`] as a poll. The reactor keeps the waker in the fd's one reader
    /// slot: no waiter is queued and unqueued under the fd's lock at every wait, as a
    /// `readable()` future would be.
    pub fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<Duration> {
        loop {
            let mut guard = match self.fd.poll_read_ready(cx) {
                Poll::Ready(Ok(guard)) => guard,
                // The reactor failed on this fd: never fire rather than spin.
                Poll::Ready(Err(_)) | Poll::Pending => return Poll::Pending,
            };
            guard.clear_ready();
            if let Some(at) = self.armed {
                let now = monotonic_now();
                if now >= at {
                    self.armed = None;
                    return Poll::Ready(now);
                }
            }
            // Disarmed, or re-armed later than an expiry the reactor reported: wait on.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn fires_at_the_deadline_not_before_and_once() {
        runtime().block_on(async {
            let mut d = Deadline::new().unwrap();
            let start = monotonic_now();
            d.set(Some(start + Duration::from_millis(30))).unwrap();
            // Re-arming later replaces the earlier deadline.
            d.set(Some(start + Duration::from_millis(60))).unwrap();
            let seen = tokio::time::timeout(Duration::from_secs(5), d.expired())
                .await
                .unwrap();
            // The reading it returns is the one that found the deadline passed.
            assert!(seen >= start + Duration::from_millis(60), "{seen:?}");
            assert!(seen <= monotonic_now());
            let waited = monotonic_now() - start;
            assert!(
                waited >= Duration::from_millis(60),
                "fired early: {waited:?}"
            );
            assert_eq!(d.armed(), None);
            // Disarmed: does not fire again.
            let again = tokio::time::timeout(Duration::from_millis(100), d.expired()).await;
            assert!(again.is_err(), "a one-shot deadline fired twice");
            // A deadline in the past fires at once.
            d.set(Some(Duration::from_nanos(1))).unwrap();
            tokio::time::timeout(Duration::from_secs(5), d.expired())
                .await
                .unwrap();
        });
    }

    #[test]
    fn an_expiry_of_a_deadline_since_moved_later_is_not_taken_for_the_new_one() {
        runtime().block_on(async {
            let mut d = Deadline::new().unwrap();
            d.set(Some(monotonic_now() + Duration::from_millis(5)))
                .unwrap();
            // It expires while nobody waits (the loop was busy elsewhere)...
            std::thread::sleep(Duration::from_millis(30));
            // ...and is moved later before anybody does.
            let moved = monotonic_now();
            d.set(Some(moved + Duration::from_millis(80))).unwrap();
            tokio::time::timeout(Duration::from_secs(5), d.expired())
                .await
                .unwrap();
            let waited = monotonic_now() - moved;
            assert!(
                waited >= Duration::from_millis(80),
                "took the old expiry: {waited:?}"
            );
        });
    }
}
