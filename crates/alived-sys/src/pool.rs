//! Socket pool: one raw socket per [`SocketKey`], shared by every VRRP instance on that
//! interface/family/protocol/mode, with received packets demultiplexed by VRID
//! (keepalived's "sockpool", keepalived-behaviour.md 5.8; 5.7 step 3: unknown VRIDs are
//! ignored and counted).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::error::SocketError;
use crate::vrrp_socket::{RecvInfo, SocketKey, VrrpSocket, vrid_of};

/// Largest packet we accept; VRRP adverts are far smaller (255 IPv6 addresses = 4 KiB).
const RECV_BUF: usize = 9216;
/// Per-subscriber queue depth; when full, packets are dropped and counted.
const QUEUE: usize = 64;

/// One packet delivered to a VRID subscriber.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Bytes as received: the IPv4 packet with its header, or the IPv6 VRRP message.
    pub bytes: Vec<u8>,
    /// Source, destination, ifindex, TTL/hop limit, VRRP offset.
    pub info: RecvInfo,
}

impl Received {
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
    /// Packets dropped because the subscriber's queue was full or closed.
    pub queue_full: AtomicU64,
    /// Receive errors.
    pub recv_errors: AtomicU64,
}

impl SocketStats {
    /// Reads a counter.
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

type Subscribers = Arc<Mutex<HashMap<u8, mpsc::Sender<Received>>>>;

struct Pooled {
    socket: Arc<VrrpSocket>,
    subscribers: Subscribers,
    stats: Arc<SocketStats>,
    task: JoinHandle<()>,
}

/// The pool. Lives on the VRRP driver's runtime; dropping it stops all receive tasks and
/// closes the sockets once subscribers let go of them.
#[derive(Default)]
pub struct SocketPool {
    sockets: HashMap<SocketKey, Pooled>,
}

/// A VRID's share of a pooled socket: its packets arrive on [`Subscription::recv`]; send
/// through [`Subscription::socket`]. Dropping it unsubscribes the VRID.
pub struct Subscription {
    rx: mpsc::Receiver<Received>,
    socket: Arc<VrrpSocket>,
    subscribers: Subscribers,
    stats: Arc<SocketStats>,
    vrid: u8,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("key", &self.socket.key())
            .field("vrid", &self.vrid)
            .finish()
    }
}

impl Subscription {
    /// Next packet for this VRID; `None` when the socket's receive task has ended.
    pub async fn recv(&mut self) -> Option<Received> {
        self.rx.recv().await
    }
    /// Packets queued for this VRID and not yet read.
    pub fn pending(&self) -> usize {
        self.rx.len()
    }
    /// The shared socket, for sending.
    pub fn socket(&self) -> &Arc<VrrpSocket> {
        &self.socket
    }
    /// Counters of the shared socket.
    pub fn stats(&self) -> &Arc<SocketStats> {
        &self.stats
    }
    /// The subscribed VRID.
    pub fn vrid(&self) -> u8 {
        self.vrid
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.vrid);
    }
}

impl SocketPool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// Subscribes `vrid` on the socket for `key`, opening it (and its receive task) if this
    /// is the first user. `groups` are extra multicast groups to join (`mcast_dst_ip`).
    /// Must be called inside a tokio runtime. A VRID can be subscribed once per key.
    pub fn subscribe(
        &mut self,
        key: SocketKey,
        vrid: u8,
        groups: &[IpAddr],
    ) -> Result<Subscription, SocketError> {
        let pooled = match self.sockets.entry(key) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => {
                let socket = Arc::new(VrrpSocket::open(key)?);
                let subscribers: Subscribers = Arc::default();
                let stats: Arc<SocketStats> = Arc::default();
                let task = tokio::spawn(demux(socket.clone(), subscribers.clone(), stats.clone()));
                v.insert(Pooled {
                    socket,
                    subscribers,
                    stats,
                    task,
                })
            }
        };
        for g in groups {
            pooled.socket.join(*g)?;
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        {
            let mut subs = pooled
                .subscribers
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if subs.contains_key(&vrid) {
                return Err(SocketError::Invalid(
                    "VRID already subscribed on this socket",
                ));
            }
            subs.insert(vrid, tx);
        }
        Ok(Subscription {
            rx,
            socket: pooled.socket.clone(),
            subscribers: pooled.subscribers.clone(),
            stats: pooled.stats.clone(),
            vrid,
        })
    }

    /// Closes sockets nobody subscribes to any more. Returns how many were closed.
    pub fn release_unused(&mut self) -> usize {
        let before = self.sockets.len();
        self.sockets.retain(|_, p| {
            let used = !p
                .subscribers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty();
            if !used {
                p.task.abort();
            }
            used
        });
        before - self.sockets.len()
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
        self.sockets.get(key).map(|p| p.stats.clone())
    }
}

impl Drop for SocketPool {
    fn drop(&mut self) {
        for p in self.sockets.values() {
            p.task.abort();
        }
    }
}

/// Receive loop of one pooled socket: reads packets and hands each to its VRID's queue.
async fn demux(socket: Arc<VrrpSocket>, subscribers: Subscribers, stats: Arc<SocketStats>) {
    let family = socket.key().family;
    let mut buf = vec![0u8; RECV_BUF];
    let mut consecutive_errors = 0u32;
    loop {
        let info = match socket.recv(&mut buf).await {
            Ok(i) => {
                consecutive_errors = 0;
                i
            }
            Err(_) => {
                stats.recv_errors.fetch_add(1, Ordering::Relaxed);
                consecutive_errors += 1;
                if consecutive_errors > 1000 {
                    // A socket that only fails is broken; end the task (subscribers see None).
                    return;
                }
                continue;
            }
        };
        stats.received.fetch_add(1, Ordering::Relaxed);
        if info.truncated {
            stats.truncated.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let bytes = &buf[..info.len];
        let Some(vrid) = vrid_of(family, bytes) else {
            stats.too_short.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let tx = subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&vrid)
            .cloned();
        match tx {
            None => {
                stats.unknown_vrid.fetch_add(1, Ordering::Relaxed);
            }
            Some(tx) => {
                if tx
                    .try_send(Received {
                        bytes: bytes.to_vec(),
                        info,
                    })
                    .is_err()
                {
                    stats.queue_full.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}
