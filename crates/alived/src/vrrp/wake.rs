//! What the VRRP loop waits on besides its sockets and its timer, polled only when it can
//! be ready.
//!
//! The loop's `select!` polls every branch at every wake-up, twice (once when it starts
//! waiting, once when woken). The signals (five tokio streams, each taking a mutex when
//! polled), the netlink events and the trackers' channels are almost never ready, yet at
//! 100 adverts a second their polling was a good part of the loop's user time. A [`Gate`]
//! hands them a waker of its own: they are polled again only once one of them has used it
//! (or has just completed, as another value may be queued behind it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use tokio::signal::unix::{Signal, SignalKind, signal};

/// Polls what it guards only after it woke the task (see the module docs).
pub struct Gate {
    shared: Arc<Shared>,
    /// The waker handed to what is guarded: wakes `shared`.
    waker: Waker,
    /// The task's waker last stored in `shared` (compared without the lock).
    task: Option<Waker>,
}

struct Shared {
    /// Set by a wake-up, taken by the poll that follows. Starts set: the first poll always
    /// looks.
    woken: AtomicBool,
    task: Mutex<Option<Waker>>,
}

impl Wake for Shared {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // The flag first: the task, once woken, must find it set.
        self.woken.store(true, Ordering::Release);
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(t) = task {
            t.wake();
        }
    }
}

impl Default for Gate {
    fn default() -> Gate {
        let shared = Arc::new(Shared {
            woken: AtomicBool::new(true),
            task: Mutex::new(None),
        });
        Gate {
            waker: Waker::from(shared.clone()),
            shared,
            task: None,
        }
    }
}

impl Gate {
    /// Makes the next [`Gate::poll`] look: for an owner that replaced what the gate guards
    /// (a new receiver has never been handed the gate's waker, so nothing would open it).
    pub fn open(&self) {
        self.shared.woken.store(true, Ordering::Release);
    }

    /// Runs `poll` (which polls what the gate guards, with the gate's waker) if something
    /// guarded woke the task since the last look, or completed at it; else `Pending` at the
    /// cost of an atomic swap.
    pub fn poll<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        // The task's waker is stored before the flag is read: a wake-up after the read
        // finds it.
        if !self.task.as_ref().is_some_and(|t| t.will_wake(cx.waker())) {
            let w = cx.waker().clone();
            *self
                .shared
                .task
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(w.clone());
            self.task = Some(w);
        }
        // Taken before polling: a wake-up while polling sets it again.
        if !self.shared.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let out = poll(&mut Context::from_waker(&self.waker));
        if out.is_ready() {
            // Another value may be queued behind this one, and a stream that yields one
            // need not wake anybody for the next.
            self.shared.woken.store(true, Ordering::Release);
        }
        out
    }
}

/// A signal the VRRP process acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sig {
    /// TERM or INT.
    Stop,
    /// HUP.
    Reload,
    /// USR1.
    DataDump,
    /// USR2.
    StatsDump,
}

/// TERM, INT, HUP, USR1 and USR2, behind one [`Gate`].
pub struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
    usr1: Signal,
    usr2: Signal,
    gate: Gate,
}

impl Signals {
    /// Installs the handlers. Must be called inside a tokio runtime.
    pub fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
            usr1: signal(SignalKind::user_defined1())?,
            usr2: signal(SignalKind::user_defined2())?,
            gate: Gate::default(),
        })
    }

    /// The next signal; when several came, TERM, INT, HUP, USR1 and USR2 in that order.
    pub async fn next(&mut self) -> Sig {
        std::future::poll_fn(|cx| self.poll_next(cx)).await
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Sig> {
        let Signals {
            term,
            int,
            hup,
            usr1,
            usr2,
            gate,
        } = self;
        gate.poll(cx, |cx| {
            let streams = [
                (term, Sig::Stop),
                (int, Sig::Stop),
                (hup, Sig::Reload),
                (usr1, Sig::DataDump),
                (usr2, Sig::StatsDump),
            ];
            for (s, sig) in streams {
                if s.poll_recv(cx).is_ready() {
                    return Poll::Ready(sig);
                }
            }
            Poll::Pending
        })
    }

    /// Completes at the next TERM or INT (the others wait their turn).
    pub async fn stop(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::time::Duration;
    use tokio::sync::mpsc;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// A gate over a channel's receiver that counts how often the receiver was polled.
    struct Counted {
        gate: Gate,
        rx: mpsc::UnboundedReceiver<u32>,
        polls: usize,
    }

    impl Counted {
        fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<u32>> {
            let Counted { gate, rx, polls } = self;
            gate.poll(cx, |cx| {
                *polls += 1;
                rx.poll_recv(cx)
            })
        }
    }

    fn counted() -> (Counted, mpsc::UnboundedSender<u32>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let c = Counted {
            gate: Gate::default(),
            rx,
            polls: 0,
        };
        (c, tx)
    }

    #[test]
    fn what_is_guarded_is_polled_only_after_it_woke_the_task() {
        let (mut c, tx) = counted();
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        // The first look always polls.
        assert!(c.poll(&mut cx).is_pending());
        assert_eq!(c.polls, 1);
        // Nothing came: later looks cost no poll.
        for _ in 0..10 {
            assert!(c.poll(&mut cx).is_pending());
        }
        assert_eq!(c.polls, 1);
        // A value sent while the task was busy elsewhere is seen at the next look.
        tx.send(7).unwrap();
        assert_eq!(c.poll(&mut cx), Poll::Ready(Some(7)));
        assert_eq!(c.polls, 2);
    }

    #[test]
    fn values_queued_together_all_come_out() {
        let (mut c, tx) = counted();
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert!(c.poll(&mut cx).is_pending());
        for v in 1..=3 {
            tx.send(v).unwrap();
        }
        // One wake-up for three values: each completion opens the gate for the next.
        for v in 1..=3 {
            assert_eq!(c.poll(&mut cx), Poll::Ready(Some(v)));
        }
        assert!(c.poll(&mut cx).is_pending());
        drop(tx);
        assert_eq!(c.poll(&mut cx), Poll::Ready(None));
    }

    #[test]
    fn a_replaced_receiver_is_polled_once_the_gate_is_opened() {
        let (mut c, _old_tx) = counted();
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert!(c.poll(&mut cx).is_pending());
        // The owner swaps in a new channel (a reload's new trackers) that already holds a
        // value: the gate is closed, and the new receiver has no waker to open it.
        let (tx, rx) = mpsc::unbounded_channel();
        tx.send(9).unwrap();
        c.rx = rx;
        assert!(c.poll(&mut cx).is_pending());
        c.gate.open();
        assert_eq!(c.poll(&mut cx), Poll::Ready(Some(9)));
    }

    #[test]
    fn a_wake_from_another_thread_wakes_the_waiting_task() {
        runtime().block_on(async {
            let (mut c, tx) = counted();
            let sender = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                tx.send(5).unwrap();
                tx
            });
            let got = tokio::time::timeout(Duration::from_secs(10), poll_fn(|cx| c.poll(cx)))
                .await
                .expect("the gate never woke the task");
            assert_eq!(got, Some(5));
            drop(sender.join().unwrap());
        });
    }

    #[test]
    fn signals_that_came_together_are_seen_in_order() {
        runtime().block_on(async {
            let mut s = Signals::new().unwrap();
            // Idle: nothing comes.
            let idle = tokio::time::timeout(Duration::from_millis(50), s.next()).await;
            assert!(idle.is_err(), "a signal nobody sent: {idle:?}");
            // Two signals while the loop is busy (not polling): both are seen, HUP first.
            nix::sys::signal::raise(nix::sys::signal::Signal::SIGUSR2).unwrap();
            nix::sys::signal::raise(nix::sys::signal::Signal::SIGHUP).unwrap();
            let mut got = Vec::new();
            for _ in 0..2 {
                let sig = tokio::time::timeout(Duration::from_secs(10), s.next())
                    .await
                    .expect("a raised signal was not seen");
                got.push(sig);
            }
            assert_eq!(got, vec![Sig::Reload, Sig::StatsDump]);
        });
    }
}
