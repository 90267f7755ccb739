//! Everything Linux: raw VRRP sockets, AF_PACKET GARP/NA, rtnetlink, script runner, probes,
//! SMTP client, syslog. The only crate allowed `unsafe`, each use small and named (see
//! `ffi.rs`).
//!
//! The I/O layer works in bytes: packets are built and parsed by `alived-vrrp`'s wire module.
//!
//! Typical use by the VRRP driver, on its current-thread runtime (after `netns::enter` if
//! `net_namespace` is set):
//!
//! ```text
//! let nl = netlink::Netlink::new()?;                       // rtnetlink requests
//! let eth0 = nl.link_by_name("eth0").await?;
//! nl.remove_stale(&configured_vips).await?;                // VIPs a crashed run left behind
//! let mut pool = SocketPool::new();
//! let sock = pool.subscribe(SocketKey::multicast_v4(eth0.index), vrid, &[], token)?;
//! sock.send_v4(&ipv4_packet_bytes, VRRP_GROUP_V4).await?;  // adverts out
//! pool.readable().await;                                   // adverts in, in the loop:
//! pool.drain(budget, |token, pkt| { /* bytes + RecvInfo */ });
//! pool.pause(); /* ... */ pool.resume()?;                 // dense adverts: read on a timer
//! let mut deadline = timer::Deadline::new()?;              // the loop's one timer
//! nl.add_address(&AddrSpec::new(eth0.index, vip, 32)).await?;       // become master
//! PacketSocket::sender(eth0.index)?.send(&garp_frame).await?;       // GARP / NA
//! let mut events = netlink::EventStream::new()?;           // link up/down, addresses
//! resident::release_idle_memory();                         // after start-up and bursts
//! ```
//!
//! Trackers, notify scripts and mail (each pushes results into a tokio mpsc channel or runs
//! in its own task; none blocks the caller):
//!
//! ```text
//! let findings = security::check(&script_refs, &sec_cfg, &security::RealFs);  // load / -t
//! let (chk, _) = script::Script::prepare("/etc/keepalived/chk.sh", creds)?;
//! let runner = script::ScriptRunner::new(grace);
//! runner.start_track("chk", &chk, timeout, &done_tx);      // -> ScriptDone { name, outcome }
//! runner.spawn_notify(&notify, &["INSTANCE", "VI_1", "MASTER", "100"])?;
//! let fifo = fifo::FifoWriter::open(path, None)?;           // fifo.send(&FifoLine::Instance{..})
//! smtp::spawn_alert(smtp_cfg, smtp::Alert::vrrp_instance(rid, "VI_1", MailState::Master));
//! let files = track_file::FileTracker::start(files, file_tx)?;            // -> FileValue
//! let procs = track_process::ProcessTracker::start(specs, proc_tx).await?; // before netns
//! runner.shutdown().await;                                  // nothing left running
//! ```

pub mod error;
mod ffi;
pub mod fifo;
pub mod netlink;
pub mod netns;
pub mod packet_socket;
pub mod pool;
pub mod recv;
pub mod resident;
pub mod sched;
pub mod script;
pub mod security;
pub mod smtp;
#[doc(hidden)]
pub mod testnet;
pub mod timer;
pub mod track_file;
pub mod track_process;
pub mod vrrp_socket;

pub use error::{NetlinkError, SocketError};

/// Keeps one malloc arena for every thread of the process. Call first thing in `main`.
pub fn single_malloc_arena() {
    ffi::single_malloc_arena();
}

pub use packet_socket::PacketSocket;
pub use pool::{Drained, Received, SocketPool, SocketStats};
pub use recv::RecvBatch;
pub use resident::release_idle_memory;
pub use vrrp_socket::{Delivery, Family, RecvInfo, SocketKey, VrrpSocket, Watch};
