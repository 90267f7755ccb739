//! Everything Linux: raw VRRP sockets, AF_PACKET GARP/NA, rtnetlink, script runner, probes,
//! SMTP client, syslog. The only crate allowed `unsafe`, each use small and named (see
//! `ffi.rs`).
//!
//! The I/O layer works in bytes: packets are built and parsed by `alived-vrrp`'s wire module.

pub mod error;
mod ffi;
pub mod netlink;
pub mod netns;
pub mod packet_socket;
pub mod pool;
#[doc(hidden)]
pub mod testnet;
pub mod vrrp_socket;

pub use error::{NetlinkError, SocketError};
pub use packet_socket::PacketSocket;
pub use pool::{Received, SocketPool, SocketStats, Subscription};
pub use vrrp_socket::{Delivery, Family, RecvInfo, SocketKey, VrrpSocket};
