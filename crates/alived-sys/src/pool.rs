//! Socket pool: one raw socket per [`SocketKey`], shared by every VRRP instance on that
//! interface/family/protocol/mode, with received packets demultiplexed by VRID
//! (keepalived's "sockpool", keepalived-behaviour.md 5.8; 5.7 step 3: unknown VRIDs are
//! ignored and counted).
//!
//! The pool has no tasks and no queues of its own: the VRRP driver waits on
//! [`SocketPool::readable`] and then [`SocketPool::drain`]s every socket in its own loop, one
//! reused buffer, each packet handed over with the token its VRID was subscribed under and the
//! kernel's receive timestamp. Reading in the driver's loop is what lets it take every advert
//! already queued before it acts on an expired timer (no spurious takeover after the process
//! was held off the CPU), and it costs no task, channel or allocation per instance or packet.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use crate::error::SocketError;
use crate::recv::{BATCH, RecvBatch};
use crate::vrrp_socket::{Family, IPPROTO_AH, RecvInfo, SocketKey, VrrpSocket, Watch, vrid_of};
use alived_vrrp::wire::{BpfInsn, Layout, QuietFilter};

/// One received packet, borrowed from the pool's buffer for the length of the callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received<'a> {
    /// Bytes as received: the IPv4 packet with its header, or the IPv6 VRRP message.
    pub bytes: &'a [u8],
    /// Source, destination, ifindex, TTL/hop limit, VRRP offset, receive time.
    pub info: RecvInfo,
}

impl Received<'_> {
    /// The VRRP message (after the IPv4 header and AH, if any).
    pub fn vrrp(&self) -> &[u8] {
        self.bytes.get(self.info.vrrp_offset..).unwrap_or(&[])
    }
}

/// Counters of one pooled socket.
#[derive(Debug, Default)]
pub struct SocketStats {
    /// Packets received.
    pub received: AtomicU64,
    /// Packets too short to carry a VRRP header (dropped).
    pub too_short: AtomicU64,
    /// Packets truncated by the receive buffer (dropped).
    pub truncated: AtomicU64,
    /// Packets for a VRID nobody subscribed to (dropped).
    pub unknown_vrid: AtomicU64,
    /// Receive errors.
    pub recv_errors: AtomicU64,
}

impl SocketStats {
    /// Reads a counter.
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
    fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

struct Pooled {
    key: SocketKey,
    /// The socket's registration with the reactor; `None` while the pool is paused. Declared
    /// before `socket`: dropped (deregistered) first.
    watch: Option<Watch>,
    socket: Arc<VrrpSocket>,
    /// VRID -> the subscriber's token.
    vrids: HashMap<u8, usize>,
    stats: Arc<SocketStats>,
    /// Set while some adverts on this socket are quiet ([`SocketPool::set_quiet`]): then
    /// this is watched instead of `watch`, and the socket is read at every drain.
    quiet: Option<QuietSide>,
}

/// The filtered twin of a pooled socket: it queues only the packets that must be read at
/// once; the pooled socket keeps all of them, in order, with their arrival times.
struct QuietSide {
    /// Declared before `socket`: deregistered first.
    watch: Watch,
    socket: VrrpSocket,
    program: Vec<BpfInsn>,
    /// The reactor reported the twin readable since it was last emptied: a drain empties it
    /// (one system call saved on every other wake-up). A packet that comes between the poll
    /// and the drain stays, and its readiness wakes the loop again at once.
    signalled: std::cell::Cell<bool>,
}

impl Pooled {
    /// The reactor watches nothing that covers this socket's packets: a drain must read it.
    fn unwatched(&self) -> bool {
        self.watch.is_none()
    }

    /// Drops the filtered twin and watches the socket itself again (unless the pool is
    /// paused: its resume will).
    fn unquiet(&mut self, paused: bool) -> Result<(), SocketError> {
        self.quiet = None;
        if !paused {
            self.watch = Some(self.socket.watch()?);
        }
        Ok(())
    }

    fn layout(&self) -> Layout {
        match self.key.family {
            Family::V4 => Layout::V4 {
                ah: self.key.proto == IPPROTO_AH,
            },
            Family::V6 => Layout::V6,
        }
    }
}

/// What one [`SocketPool::drain`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Drained {
    /// Packets handed to the callback.
    pub delivered: usize,
    /// The budget ran out with packets possibly still queued: drain again before sleeping.
    pub more: bool,
    /// Packets read from the sockets with quiet adverts: the most from any one of them
    /// (what their receive buffers had to hold since the previous drain).
    pub quiet_peak: usize,
    /// Of `delivered`, those from sockets with quiet adverts.
    pub quiet_delivered: usize,
}

/// The pool. Lives on the VRRP driver's runtime.
pub struct SocketPool {
    sockets: Vec<Pooled>,
    batch: RecvBatch,
    /// [`SocketPool::pause`]d: sockets are read only when the owner drains them.
    paused: bool,
}

impl Default for SocketPool {
    fn default() -> Self {
        Self::new()
    }
}

impl SocketPool {
    /// An empty pool.
    pub fn new() -> Self {
        SocketPool {
            sockets: Vec::new(),
            batch: RecvBatch::new(),
            paused: false,
        }
    }

    /// Subscribes `vrid` on the socket for `key` under `token` (what [`SocketPool::drain`]
    /// hands back with its packets), opening the socket if this is its first user. `groups`
    /// are extra multicast groups to join (`mcast_dst_ip`). Returns the shared socket, for
    /// sending. Must be called inside a tokio runtime. A VRID can be subscribed once per key.
    pub fn subscribe(
        &mut self,
        key: SocketKey,
        vrid: u8,
        groups: &[IpAddr],
        token: usize,
    ) -> Result<Arc<VrrpSocket>, SocketError> {
        let at = match self.sockets.iter().position(|p| p.key == key) {
            Some(i) => i,
            None => {
                let socket = Arc::new(VrrpSocket::open(key)?);
                self.sockets.push(Pooled {
                    key,
                    watch: if self.paused {
                        // (A socket opened while paused is read by every drain.)
                        None
                    } else {
                        Some(socket.watch()?)
                    },
                    socket,
                    vrids: HashMap::new(),
                    stats: Arc::default(),
                    quiet: None,
                });
                self.sockets.len() - 1
            }
        };
        let pooled = &mut self.sockets[at];
        if pooled.vrids.contains_key(&vrid) {
            return Err(SocketError::Invalid(
                "VRID already subscribed on this socket",
            ));
        }
        for g in groups {
            pooled.socket.join(*g)?;
        }
        pooled.vrids.insert(vrid, token);
        Ok(pooled.socket.clone())
    }

    /// Ends `vrid`'s subscription on `key`; a socket nobody uses any more is closed (once the
    /// senders holding it let go). Returns whether it was subscribed.
    pub fn unsubscribe(&mut self, key: SocketKey, vrid: u8) -> bool {
        let Some(i) = self.sockets.iter().position(|p| p.key == key) else {
            return false;
        };
        let was = self.sockets[i].vrids.remove(&vrid).is_some();
        if self.sockets[i].vrids.is_empty() {
            self.sockets.swap_remove(i);
        }
        was
    }

    /// Number of open sockets.
    pub fn len(&self) -> usize {
        self.sockets.len()
    }

    /// True if no socket is open.
    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }

    /// Counters of the socket for `key`, if open.
    pub fn stats(&self, key: &SocketKey) -> Option<Arc<SocketStats>> {
        self.sockets
            .iter()
            .find(|p| p.key == *key)
            .map(|p| p.stats.clone())
    }

    /// Completes when some socket may have packets; follow it with [`SocketPool::drain`].
    /// Pending for ever with no socket.
    pub fn readable(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| self.poll_readable(cx))
    }

    fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<()> {
        for p in &self.sockets {
            if p.watch
                .as_ref()
                .is_some_and(|w| w.poll_read_ready(cx).is_ready())
            {
                return Poll::Ready(());
            }
            if let Some(q) = &p.quiet
                && q.watch.poll_read_ready(cx).is_ready()
            {
                q.signalled.set(true);
                return Poll::Ready(());
            }
        }
        Poll::Pending
    }

    /// Stops the reactor from waking the process for packets (the sockets are deregistered
    /// from its epoll set; they stay open and keep queueing): for an owner that drains the
    /// pool at times of its own choosing, such as a loop reading dense adverts in batches.
    /// [`SocketPool::readable`] is pending for ever until [`SocketPool::resume`].
    pub fn pause(&mut self) {
        self.paused = true;
        for p in &mut self.sockets {
            p.watch = None;
        }
    }

    /// Registers the sockets with the reactor again. Packets queued meanwhile make
    /// [`SocketPool::readable`] ready at once. A socket that cannot be registered is tried
    /// again at the next resume (the first error is returned); the owner's drains still read it.
    pub fn resume(&mut self) -> Result<(), SocketError> {
        self.paused = false;
        let mut first = Ok(());
        for p in self
            .sockets
            .iter_mut()
            .filter(|p| p.watch.is_none() && p.quiet.is_none())
        {
            match p.socket.watch() {
                Ok(w) => p.watch = Some(w),
                Err(e) => {
                    self.paused = true;
                    if first.is_ok() {
                        first = Err(e);
                    }
                }
            }
        }
        first
    }

    /// Whether [`SocketPool::pause`] is in effect (or a resume left a socket unregistered).
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Reads every socket until it is empty or `budget` packets were read in all, calling
    /// `f(token, packet)` for each packet whose VRID is subscribed. Never waits. Packets for
    /// no subscriber, too short or truncated are counted and dropped here.
    pub fn drain(&mut self, budget: usize, f: impl FnMut(usize, Received<'_>)) -> Drained {
        self.drain_where(budget, |_| true, f)
    }

    /// [`SocketPool::drain`] of only the sockets the reactor is not watching for packets
    /// (those with quiet adverts, or all while paused): for an owner that polled
    /// [`SocketPool::readable`] and found it pending since its last drain.
    pub fn drain_unwatched(
        &mut self,
        budget: usize,
        f: impl FnMut(usize, Received<'_>),
    ) -> Drained {
        self.drain_where(budget, Pooled::unwatched, f)
    }

    fn drain_where(
        &mut self,
        budget: usize,
        which: impl Fn(&Pooled) -> bool,
        mut f: impl FnMut(usize, Received<'_>),
    ) -> Drained {
        let mut out = Drained::default();
        for p in self.sockets.iter().filter(|p| which(p)) {
            let family = p.key.family;
            // The filtered twin first: a packet that reaches both after this is still
            // queued there, and wakes the reactor again.
            if let Some(q) = &p.quiet
                && q.signalled.take()
            {
                q.socket.discard_queued();
            }
            let (mut read, before) = (0usize, out.delivered);
            loop {
                if out.delivered >= budget {
                    out.more = true;
                    return out;
                }
                let got = p.socket.try_recv_batch(&mut self.batch, |r| {
                    read += 1;
                    let (info, bytes) = match r {
                        Ok(x) => x,
                        Err(_) => return SocketStats::bump(&p.stats.recv_errors),
                    };
                    SocketStats::bump(&p.stats.received);
                    if info.truncated {
                        return SocketStats::bump(&p.stats.truncated);
                    }
                    let Some(vrid) = vrid_of(family, bytes) else {
                        return SocketStats::bump(&p.stats.too_short);
                    };
                    match p.vrids.get(&vrid) {
                        None => SocketStats::bump(&p.stats.unknown_vrid),
                        Some(&token) => {
                            out.delivered += 1;
                            f(token, Received { bytes, info });
                        }
                    }
                });
                match got {
                    // A short batch emptied the socket.
                    Ok(n) if n < BATCH => break,
                    Ok(_) => {}
                    Err(_) => {
                        SocketStats::bump(&p.stats.recv_errors);
                        break;
                    }
                }
            }
            if p.quiet.is_some() {
                out.quiet_peak = out.quiet_peak.max(read);
                out.quiet_delivered += out.delivered - before;
            }
        }
        out
    }

    /// Sets which adverts on `key`'s socket are quiet: with any, the socket gets a filtered
    /// twin that passes the others, the reactor watches the twin instead, and every drain
    /// reads the socket (its owner must drain it often enough for its receive buffer:
    /// [`Drained::quiet_peak`]). An empty filter returns it to plain watching. Returns
    /// whether anything changed: the owner should then drain once more, for what arrived
    /// before the switch and was announced on the other descriptor.
    pub fn set_quiet(
        &mut self,
        key: &SocketKey,
        filter: &QuietFilter,
    ) -> Result<bool, SocketError> {
        let paused = self.paused;
        let Some(p) = self.sockets.iter_mut().find(|p| p.key == *key) else {
            return Ok(false);
        };
        if filter.is_empty() {
            if p.quiet.is_none() {
                return Ok(false);
            }
            p.unquiet(paused)?;
            return Ok(true);
        }
        let program = filter.program(p.layout());
        match &mut p.quiet {
            Some(q) if q.program == program => return Ok(false),
            Some(q) => {
                if let Err(e) = q.socket.set_filter(&program) {
                    // The old program could quiet what must now wake: back to plain watching.
                    p.unquiet(paused)?;
                    return Err(e);
                }
                q.program = program;
            }
            None => {
                let socket = VrrpSocket::open_filtered(p.key, &program)?;
                p.quiet = Some(QuietSide {
                    watch: socket.watch()?,
                    socket,
                    program,
                    // Whatever came before the filter was attached.
                    signalled: std::cell::Cell::new(true),
                });
                p.watch = None;
            }
        }
        Ok(true)
    }

    /// Whether some socket has quiet adverts (its owner must read it at times of its own).
    pub fn has_quiet(&self) -> bool {
        self.sockets.iter().any(|p| p.quiet.is_some())
    }

    /// Waits for the next subscribed packet and returns a copy with its token (for tests and
    /// tools; the driver uses [`SocketPool::readable`] + [`SocketPool::drain`]).
    pub async fn recv_owned(&mut self) -> (usize, Vec<u8>, RecvInfo) {
        loop {
            let mut got = None;
            self.drain(1, |t, r| got = Some((t, r.bytes.to_vec(), r.info)));
            if let Some(g) = got {
                return g;
            }
            self.readable().await;
        }
    }
}
