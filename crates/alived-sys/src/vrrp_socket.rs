//! Raw VRRP sockets (IP protocol 112, and 51 for IPsec-AH over IPv4), in bytes.
//!
//! Spec: keepalived-behaviour.md 5.8. IPv4 sockets use `IP_HDRINCL`: the caller hands over a
//! whole IPv4 packet (keepalived builds the header itself: TOS 0xc0, TTL 255, ID counter) and
//! the kernel fills in the header checksum. Received IPv4 packets include their IP header.
//! IPv6 sockets carry only the VRRP message: the kernel computes the VRRP checksum
//! (`IPV6_CHECKSUM` offset 6) and reports hop limit, destination and ifindex in cmsgs.
//!
//! Sockets are shared between instances through [`crate::SocketPool`].

use std::io::IoSlice;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::num::NonZeroU32;
use std::os::fd::{AsFd, AsRawFd};

use nix::sys::socket::{ControlMessage, MsgFlags, SockaddrIn6, sendmsg, setsockopt, sockopt};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, SockAddr, Socket, Type};
use tokio::io::unix::AsyncFd;

use crate::error::SocketError;
use crate::ffi;
use crate::recv::RecvBatch;
use alived_vrrp::wire::BpfInsn;

/// IP protocol number of VRRP (RFC 5798 §5.1.1.4).
pub const IPPROTO_VRRP: u8 = 112;
/// IP protocol number of IPsec AH, used by VRRPv2 `auth_type AH` (RFC 2402).
pub const IPPROTO_AH: u8 = 51;
/// Attempts at a send that finds the socket's buffer full, a millisecond apart.
const SEND_RETRIES: usize = 20;
/// VRRP IPv4 multicast group (RFC 5798 §5.1.1.2).
pub const VRRP_GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// VRRP IPv6 multicast group (RFC 5798 §5.1.2.2).
pub const VRRP_GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// TTL / hop limit VRRP requires on multicast adverts (RFC 5798 §5.1.1.3).
pub const VRRP_TTL: u8 = 255;
/// DSCP CS6 / precedence "internetwork control", as keepalived sets (`IP_TOS`/`IPV6_TCLASS`).
pub const VRRP_TOS: u8 = 0xc0;

/// Address family of a VRRP socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4 (VRRPv2 or v3).
    V4,
    /// IPv6 (VRRPv3 only).
    V6,
}

/// How adverts reach the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Delivery {
    /// Joined to a multicast group on the interface (default VRRP).
    Multicast,
    /// `unicast_peer` mode: no group joined; bound to `local` if given.
    Unicast,
}

/// What a pooled socket is shared on: keepalived's "sockpool" key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketKey {
    /// Interface the socket is bound to (SO_BINDTOIFINDEX) and sends/joins on.
    pub ifindex: u32,
    /// Address family.
    pub family: Family,
    /// IP protocol: [`IPPROTO_VRRP`] or [`IPPROTO_AH`] (IPv4 only).
    pub proto: u8,
    /// Multicast or unicast.
    pub delivery: Delivery,
    /// Local address the socket is bound to (unicast mode: `unicast_src_ip`), so that it only
    /// receives packets sent to that address. `None`: not bound.
    pub local: Option<IpAddr>,
}

impl SocketKey {
    /// A multicast IPv4 VRRP key on `ifindex`.
    pub fn multicast_v4(ifindex: u32) -> Self {
        SocketKey {
            ifindex,
            family: Family::V4,
            proto: IPPROTO_VRRP,
            delivery: Delivery::Multicast,
            local: None,
        }
    }
    /// A multicast IPv6 VRRP key on `ifindex`.
    pub fn multicast_v6(ifindex: u32) -> Self {
        SocketKey {
            family: Family::V6,
            ..Self::multicast_v4(ifindex)
        }
    }
    /// A unicast key on `ifindex`, bound to `local` when given (family follows `local`, or V4).
    pub fn unicast(ifindex: u32, family: Family, local: Option<IpAddr>) -> Self {
        SocketKey {
            ifindex,
            family,
            proto: IPPROTO_VRRP,
            delivery: Delivery::Unicast,
            local,
        }
    }
}

/// What the kernel told us about one received packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvInfo {
    /// Bytes received into the buffer.
    pub len: usize,
    /// The packet was longer than the buffer (`MSG_TRUNC`): the tail is lost.
    pub truncated: bool,
    /// Source address (IPv4 header / IPv6 sockaddr).
    pub src: IpAddr,
    /// Destination address (IPv4 header / IPV6_PKTINFO), if known.
    pub dst: Option<IpAddr>,
    /// Receiving interface (IP_PKTINFO / IPV6_PKTINFO), if reported.
    pub ifindex: Option<u32>,
    /// IPv4 TTL (from the header) or IPv6 hop limit (IPV6_HOPLIMIT cmsg), if known.
    pub hop_limit: Option<u8>,
    /// Offset of the VRRP message in the buffer: IPv4 header (+ AH) length; 0 for IPv6.
    pub vrrp_offset: usize,
    /// When the kernel took the packet in (`SO_TIMESTAMPNS`: CLOCK_REALTIME, since the Unix
    /// epoch), if it said.
    pub received_at: Option<std::time::Duration>,
}

/// Offset of the VRRP message in a received packet, or `None` if it is too short to hold
/// even the 8-byte VRRP header. IPv4: after the IP header and, for proto 51, the AH header
/// (RFC 2402: length in 32-bit words minus 2). IPv6: the socket returns the VRRP message alone.
pub fn vrrp_offset(family: Family, packet: &[u8]) -> Option<usize> {
    let off = match family {
        Family::V6 => 0,
        Family::V4 => {
            let first = *packet.first()?;
            if first >> 4 != 4 {
                return None;
            }
            let ihl = usize::from(first & 0x0f) * 4;
            if ihl < 20 {
                return None;
            }
            if *packet.get(9)? == IPPROTO_AH {
                let ah_words = usize::from(*packet.get(ihl + 1)?);
                ihl + (ah_words + 2) * 4
            } else {
                ihl
            }
        }
    };
    (packet.len() >= off + 8).then_some(off)
}

/// The VRID (byte 1 of the VRRP header) of a received packet, if it is long enough.
pub fn vrid_of(family: Family, packet: &[u8]) -> Option<u8> {
    let off = vrrp_offset(family, packet)?;
    packet.get(off + 1).copied()
}

/// One raw VRRP socket. Its owner registers it with the tokio reactor
/// ([`VrrpSocket::watch`]) for as long as it wants to hear of its packets.
#[derive(Debug)]
pub struct VrrpSocket {
    sock: Socket,
    key: SocketKey,
}

/// A registration of a [`VrrpSocket`] with the reactor for reading. Dropping it deregisters
/// the socket (no wake-up for its packets any more); the socket stays open.
#[derive(Debug)]
pub struct Watch {
    fd: AsyncFd<WatchedFd>,
}

/// The descriptor of a socket that a [`Watch`] borrows: never closed through it.
#[derive(Debug)]
struct WatchedFd(std::os::fd::RawFd);

impl AsRawFd for WatchedFd {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0
    }
}

impl Watch {
    /// Ready when the reactor reports the socket readable. The readiness is consumed: the
    /// caller must then read with [`VrrpSocket::try_recv_batch`] until the socket is empty (a
    /// packet arriving after that wakes the reactor again).
    pub fn poll_read_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        match self.fd.poll_read_ready(cx) {
            std::task::Poll::Ready(Ok(mut guard)) => {
                guard.clear_ready();
                std::task::Poll::Ready(())
            }
            // A reactor error on this socket: report it ready so that the read shows it.
            std::task::Poll::Ready(Err(_)) => std::task::Poll::Ready(()),
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    }
}

fn nz(ifindex: u32) -> Result<NonZeroU32, SocketError> {
    NonZeroU32::new(ifindex).ok_or(SocketError::Invalid("ifindex 0"))
}

impl VrrpSocket {
    /// Opens and configures a socket for `key`. Multicast sockets join the standard VRRP
    /// group; call [`VrrpSocket::join`] for a configured `mcast_dst_ip`. Must run inside a
    /// tokio runtime.
    pub fn open(key: SocketKey) -> Result<Self, SocketError> {
        let ifindex = nz(key.ifindex)?;
        let sock = match key.family {
            Family::V4 => Self::open_v4(&key, ifindex)?,
            Family::V6 => Self::open_v6(&key, ifindex)?,
        };
        sock.set_nonblocking(true)
            .map_err(SocketError::io("set_nonblocking"))?;
        // The kernel's arrival time of each packet: an advert read late (the process was
        // held off the CPU) still counts from when it arrived.
        setsockopt(&sock, sockopt::ReceiveTimestampns, &true)
            .map_err(SocketError::nix("SO_TIMESTAMPNS"))?;
        // Room for bursts of adverts from many instances sharing the socket.
        let _ = sock.set_recv_buffer_size(256 * 1024);
        let me = VrrpSocket { sock, key };
        if key.delivery == Delivery::Multicast {
            match key.family {
                Family::V4 => me.join(IpAddr::V4(VRRP_GROUP_V4))?,
                Family::V6 => me.join(IpAddr::V6(VRRP_GROUP_V6))?,
            }
        }
        Ok(me)
    }

    fn open_v4(key: &SocketKey, ifindex: NonZeroU32) -> Result<Socket, SocketError> {
        if key.proto != IPPROTO_VRRP && key.proto != IPPROTO_AH {
            return Err(SocketError::Invalid("IPv4 proto must be 112 or 51"));
        }
        let s = Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(i32::from(key.proto))),
        )
        .map_err(SocketError::io("socket(AF_INET, SOCK_RAW)"))?;
        s.set_header_included_v4(true)
            .map_err(SocketError::io("IP_HDRINCL"))?;
        s.bind_device_by_index_v4(Some(ifindex))
            .map_err(SocketError::io("SO_BINDTOIFINDEX"))?;
        s.set_multicast_loop_v4(false)
            .map_err(SocketError::io("IP_MULTICAST_LOOP"))?;
        s.set_multicast_all_v4(false)
            .map_err(SocketError::io("IP_MULTICAST_ALL"))?;
        s.set_tos_v4(u32::from(VRRP_TOS))
            .map_err(SocketError::io("IP_TOS"))?;
        s.set_multicast_ttl_v4(u32::from(VRRP_TTL))
            .map_err(SocketError::io("IP_MULTICAST_TTL"))?;
        let mreqn = libc::ip_mreqn {
            imr_multiaddr: libc::in_addr { s_addr: 0 },
            imr_address: libc::in_addr { s_addr: 0 },
            imr_ifindex: libc::c_int::try_from(ifindex.get())
                .map_err(|_| SocketError::Invalid("ifindex out of range"))?,
        };
        ffi::setsockopt(s.as_fd(), libc::IPPROTO_IP, libc::IP_MULTICAST_IF, &mreqn)
            .map_err(SocketError::io("IP_MULTICAST_IF"))?;
        setsockopt(&s, sockopt::Ipv4PacketInfo, &true).map_err(SocketError::nix("IP_PKTINFO"))?;
        if let Some(local) = key.local {
            let IpAddr::V4(a) = local else {
                return Err(SocketError::Invalid("IPv6 local address on an IPv4 socket"));
            };
            s.bind(&SockAddr::from(SocketAddrV4::new(a, 0)))
                .map_err(SocketError::io("bind"))?;
        }
        Ok(s)
    }

    fn open_v6(key: &SocketKey, ifindex: NonZeroU32) -> Result<Socket, SocketError> {
        if key.proto != IPPROTO_VRRP {
            return Err(SocketError::Invalid("IPv6 proto must be 112"));
        }
        let s = Socket::new(
            Domain::IPV6,
            Type::RAW,
            Some(Protocol::from(i32::from(key.proto))),
        )
        .map_err(SocketError::io("socket(AF_INET6, SOCK_RAW)"))?;
        s.bind_device_by_index_v6(Some(ifindex))
            .map_err(SocketError::io("SO_BINDTOIFINDEX"))?;
        // RFC 5798 §5.2.8: the checksum covers an IPv6 pseudo-header; the kernel computes it
        // on send and verifies it on receive (bad ones never reach us).
        let off: libc::c_int = 6;
        ffi::setsockopt(s.as_fd(), libc::IPPROTO_IPV6, libc::IPV6_CHECKSUM, &off)
            .map_err(SocketError::io("IPV6_CHECKSUM"))?;
        s.set_multicast_hops_v6(u32::from(VRRP_TTL))
            .map_err(SocketError::io("IPV6_MULTICAST_HOPS"))?;
        s.set_unicast_hops_v6(u32::from(VRRP_TTL))
            .map_err(SocketError::io("IPV6_UNICAST_HOPS"))?;
        s.set_multicast_loop_v6(false)
            .map_err(SocketError::io("IPV6_MULTICAST_LOOP"))?;
        s.set_multicast_if_v6(ifindex.get())
            .map_err(SocketError::io("IPV6_MULTICAST_IF"))?;
        s.set_multicast_all_v6(false)
            .map_err(SocketError::io("IPV6_MULTICAST_ALL"))?;
        s.set_tclass_v6(u32::from(VRRP_TOS))
            .map_err(SocketError::io("IPV6_TCLASS"))?;
        s.set_recv_hoplimit_v6(true)
            .map_err(SocketError::io("IPV6_RECVHOPLIMIT"))?;
        setsockopt(&s, sockopt::Ipv6RecvPacketInfo, &true)
            .map_err(SocketError::nix("IPV6_RECVPKTINFO"))?;
        if let Some(local) = key.local {
            let IpAddr::V6(a) = local else {
                return Err(SocketError::Invalid("IPv4 local address on an IPv6 socket"));
            };
            let scope = if is_link_local_v6(&a) {
                ifindex.get()
            } else {
                0
            };
            s.bind(&SockAddr::from(SocketAddrV6::new(a, 0, 0, scope)))
                .map_err(SocketError::io("bind"))?;
        }
        Ok(s)
    }

    /// Registers the socket with the reactor for reading. The [`Watch`] must not outlive
    /// the socket (the pool keeps both and drops the watch first). Must be called inside a
    /// tokio runtime.
    pub fn watch(&self) -> Result<Watch, SocketError> {
        let fd = ffi::register(
            WatchedFd(self.sock.as_raw_fd()),
            tokio::io::Interest::READABLE,
        )
        .map_err(SocketError::io("AsyncFd::new"))?;
        Ok(Watch { fd })
    }

    /// Opens a second socket for `key` that queues only what `program` passes (a
    /// [`alived_vrrp::wire::QuietFilter`] program): a signal that adverts needing prompt
    /// handling arrived, read with [`VrrpSocket::discard_queued`]. Its buffer is small: the
    /// readiness, not the bytes, is what matters.
    pub fn open_filtered(key: SocketKey, program: &[BpfInsn]) -> Result<Self, SocketError> {
        let me = Self::open(key)?;
        me.set_filter(program)?;
        let _ = me.sock.set_recv_buffer_size(8 * 1024);
        // Whatever came in before the filter was attached wakes the reader once, harmlessly.
        Ok(me)
    }

    /// Replaces the socket's filter (SO_ATTACH_FILTER) with `program`.
    pub fn set_filter(&self, program: &[BpfInsn]) -> Result<(), SocketError> {
        let prog: Vec<socket2::SockFilter> = program
            .iter()
            .map(|i| socket2::SockFilter::new(i.code, i.jt, i.jf, i.k))
            .collect();
        self.sock
            .attach_filter(&prog)
            .map_err(SocketError::io("SO_ATTACH_FILTER"))
    }

    /// Reads and drops every queued packet; returns how many there were.
    pub fn discard_queued(&self) -> usize {
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 64];
        let mut n = 0;
        // Bounded: the small buffer holds a few dozen packets at most.
        while n < 4096 && self.sock.recv(&mut buf).is_ok() {
            n += 1;
        }
        n
    }

    /// The key this socket was opened for.
    pub fn key(&self) -> SocketKey {
        self.key
    }

    /// Joins `group` on the socket's interface (e.g. a configured `mcast_dst_ip`).
    pub fn join(&self, group: IpAddr) -> Result<(), SocketError> {
        let s = &self.sock;
        match (group, self.key.family) {
            (IpAddr::V4(g), Family::V4) => s
                .join_multicast_v4_n(&g, &InterfaceIndexOrAddress::Index(self.key.ifindex))
                .map_err(SocketError::io("IP_ADD_MEMBERSHIP")),
            (IpAddr::V6(g), Family::V6) => s
                .join_multicast_v6(&g, self.key.ifindex)
                .map_err(SocketError::io("IPV6_ADD_MEMBERSHIP")),
            _ => Err(SocketError::Invalid(
                "group family differs from socket family",
            )),
        }
    }

    /// Sends a whole IPv4 packet (header included, as built by the wire module) to `dst`.
    /// The kernel fills in the IP header checksum (and the ID and source if zero).
    pub async fn send_v4(&self, packet: &[u8], dst: Ipv4Addr) -> Result<usize, SocketError> {
        if self.key.family != Family::V4 {
            return Err(SocketError::Invalid("send_v4 on an IPv6 socket"));
        }
        if packet.len() < 20 || packet[0] >> 4 != 4 {
            return Err(SocketError::Invalid("not an IPv4 packet"));
        }
        let addr = SockAddr::from(SocketAddrV4::new(dst, 0));
        self.send_direct("sendto", |s| s.send_to(packet, &addr))
            .await
    }

    /// Sends with `f` on the non-blocking socket at once; a full send buffer (rare for a raw
    /// socket) is retried a few times a millisecond apart. The socket is registered for
    /// reading only: waiting for writability would cost a wake-up after every send.
    async fn send_direct(
        &self,
        what: &'static str,
        f: impl Fn(&Socket) -> std::io::Result<usize>,
    ) -> Result<usize, SocketError> {
        for _ in 0..SEND_RETRIES {
            match f(&self.sock) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                r => return r.map_err(SocketError::io(what)),
            }
        }
        Err(SocketError::io(what)(std::io::ErrorKind::WouldBlock.into()))
    }

    /// Sends a VRRP message over IPv6 to `dst` from `src` (IPV6_PKTINFO; `None` lets the
    /// kernel choose, normally the link-local address). The kernel adds the IPv6 header
    /// (hop limit 255, traffic class 0xc0) and computes the VRRP checksum.
    pub async fn send_v6(
        &self,
        vrrp: &[u8],
        src: Option<Ipv6Addr>,
        dst: Ipv6Addr,
    ) -> Result<usize, SocketError> {
        if self.key.family != Family::V6 {
            return Err(SocketError::Invalid("send_v6 on an IPv4 socket"));
        }
        if vrrp.len() < 8 {
            return Err(SocketError::Invalid("VRRP message shorter than 8 bytes"));
        }
        let scope = if is_link_local_v6(&dst) || is_link_scope_mcast(&dst) {
            self.key.ifindex
        } else {
            0
        };
        let to = SockaddrIn6::from(SocketAddrV6::new(dst, 0, 0, scope));
        let pktinfo = libc::in6_pktinfo {
            ipi6_addr: libc::in6_addr {
                s6_addr: src.unwrap_or(Ipv6Addr::UNSPECIFIED).octets(),
            },
            ipi6_ifindex: self.key.ifindex,
        };
        let iov = [IoSlice::new(vrrp)];
        self.send_direct("sendmsg", |fd| {
            let cmsg = [ControlMessage::Ipv6PacketInfo(&pktinfo)];
            let cmsgs: &[ControlMessage<'_>] = if src.is_some() { &cmsg } else { &[] };
            sendmsg(fd.as_raw_fd(), &iov, cmsgs, MsgFlags::empty(), Some(&to))
                .map_err(std::io::Error::from)
        })
        .await
    }

    /// Sends `bytes` to `dst`: a whole IPv4 packet for an IPv4 socket, a VRRP message from
    /// `src6` for an IPv6 one.
    pub async fn send_to(
        &self,
        bytes: &[u8],
        dst: IpAddr,
        src6: Option<Ipv6Addr>,
    ) -> Result<usize, SocketError> {
        match dst {
            IpAddr::V4(d) => self.send_v4(bytes, d).await,
            IpAddr::V6(d) => self.send_v6(bytes, src6, d).await,
        }
    }

    /// Receives the packets queued on the socket, up to [`RecvBatch`]'s size, in one
    /// `recvmmsg` without waiting, and calls `f` with each (its bytes: the whole IPv4 packet,
    /// header included, or the IPv6 VRRP message). Returns how many were received: 0 when the
    /// socket is empty, fewer than the batch's size when it was emptied. Reads the socket
    /// directly, whatever the reactor last saw, so that a caller can take every packet the
    /// kernel holds before it acts on a timer.
    pub fn try_recv_batch(
        &self,
        batch: &mut RecvBatch,
        f: impl FnMut(Result<(RecvInfo, &[u8]), SocketError>),
    ) -> Result<usize, SocketError> {
        batch.receive(self.sock.as_raw_fd(), self.key.family, f)
    }
}

fn is_link_local_v6(a: &Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

fn is_link_scope_mcast(a: &Ipv6Addr) -> bool {
    a.segments()[0] & 0xff0f == 0xff02
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vrid_offsets() {
        // IPv4 + VRRPv2 header: VRID at 21.
        let mut p = vec![0u8; 20 + 16];
        p[0] = 0x45;
        p[9] = IPPROTO_VRRP;
        p[21] = 51;
        assert_eq!(vrrp_offset(Family::V4, &p), Some(20));
        assert_eq!(vrid_of(Family::V4, &p), Some(51));
        // With AH (payload_len 4 -> 24 bytes).
        let mut p = vec![0u8; 20 + 24 + 16];
        p[0] = 0x45;
        p[9] = IPPROTO_AH;
        p[21] = 4;
        p[20 + 24 + 1] = 7;
        assert_eq!(vrid_of(Family::V4, &p), Some(7));
        // Too short, bad version, bad IHL.
        assert_eq!(vrid_of(Family::V4, &[0x45; 27]), None);
        assert_eq!(vrid_of(Family::V4, &[0x65; 40]), None);
        assert_eq!(vrid_of(Family::V4, &[0x44; 40]), None);
        assert_eq!(vrid_of(Family::V4, &[]), None);
        // IPv6: message alone.
        assert_eq!(vrid_of(Family::V6, &[0x31, 9, 0, 0, 0, 0, 0, 0]), Some(9));
        assert_eq!(vrid_of(Family::V6, &[0x31, 9, 0]), None);
    }
}
