//! AF_PACKET sockets for whole Ethernet frames: gratuitous ARPs and unsolicited neighbour
//! advertisements (keepalived-behaviour.md 5.6), and frame capture in tests.

use std::os::fd::AsFd;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::unix::AsyncFd;

use crate::error::SocketError;
use crate::ffi;

/// `ETH_P_ALL`: every protocol.
pub const ETH_P_ALL: u16 = 0x0003;
/// `ETH_P_ARP`.
pub const ETH_P_ARP: u16 = 0x0806;
/// `ETH_P_IPV6`.
pub const ETH_P_IPV6: u16 = 0x86dd;

/// An AF_PACKET `SOCK_RAW` socket bound to one interface.
#[derive(Debug)]
pub struct PacketSocket {
    fd: AsyncFd<Socket>,
    ifindex: u32,
}

impl PacketSocket {
    /// A send-only socket on `ifindex` (protocol 0: the kernel queues nothing to it).
    pub fn sender(ifindex: u32) -> Result<Self, SocketError> {
        Self::open(ifindex, 0)
    }

    /// A socket on `ifindex` that also receives frames of `protocol` (host order, e.g.
    /// [`ETH_P_ALL`] or [`ETH_P_ARP`]), incoming and outgoing.
    pub fn receiver(ifindex: u32, protocol: u16) -> Result<Self, SocketError> {
        Self::open(ifindex, protocol)
    }

    fn open(ifindex: u32, protocol: u16) -> Result<Self, SocketError> {
        if ifindex == 0 {
            return Err(SocketError::Invalid("ifindex 0"));
        }
        let s = Socket::new(
            Domain::PACKET,
            Type::RAW,
            Some(Protocol::from(i32::from(protocol.to_be()))),
        )
        .map_err(SocketError::io("socket(AF_PACKET, SOCK_RAW)"))?;
        ffi::bind_packet(s.as_fd(), ifindex, protocol)
            .map_err(SocketError::io("bind(sockaddr_ll)"))?;
        s.set_nonblocking(true)
            .map_err(SocketError::io("set_nonblocking"))?;
        let fd = ffi::register(
            s,
            tokio::io::Interest::READABLE | tokio::io::Interest::WRITABLE,
        )
        .map_err(SocketError::io("AsyncFd::new"))?;
        Ok(PacketSocket { fd, ifindex })
    }

    /// The interface the socket is bound to.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// Sends one whole Ethernet frame (destination MAC first) out of the interface.
    pub async fn send(&self, frame: &[u8]) -> Result<usize, SocketError> {
        if frame.len() < 14 {
            return Err(SocketError::Invalid("Ethernet frame shorter than 14 bytes"));
        }
        loop {
            let mut guard = self
                .fd
                .writable()
                .await
                .map_err(SocketError::io("poll writable"))?;
            match guard.try_io(|fd| fd.get_ref().send(frame)) {
                Ok(r) => return r.map_err(SocketError::io("send")),
                Err(_would_block) => continue,
            }
        }
    }

    /// Receives one frame into `buf`; returns its length (capped at `buf.len()`).
    pub async fn recv(&self, buf: &mut [u8]) -> Result<usize, SocketError> {
        loop {
            let mut guard = self
                .fd
                .readable()
                .await
                .map_err(SocketError::io("poll readable"))?;
            match guard.try_io(|fd| std::io::Read::read(&mut fd.get_ref(), buf)) {
                Ok(r) => return r.map_err(SocketError::io("recv")),
                Err(_would_block) => continue,
            }
        }
    }
}
