//! Receiving VRRP packets in batches: one `recvmmsg` takes every packet queued on a socket
//! (up to [`BATCH`]), each with its control messages (packet info, hop limit, the kernel's
//! receive timestamp). A lone advert costs one system call instead of a `recvmsg` for it and
//! another that finds the socket empty; a burst costs one per [`BATCH`] packets.

use std::io::IoSliceMut;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::RawFd;

use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, MultiHeaders, RecvMsg, SockaddrStorage, recvmmsg,
};

use crate::error::SocketError;
use crate::vrrp_socket::{Family, RecvInfo, vrrp_offset};

/// Packets taken per system call.
pub const BATCH: usize = 8;
/// Room per packet: the largest VRRP packet a socket can deliver is an IPv6 advert with 255
/// addresses (8 + 255 x 16 = 4,088 bytes; an IPv4 one with AH is at most 1,072 with its
/// headers). A longer packet is not VRRP; it is reported truncated and dropped.
pub const SLOT: usize = 4608;

/// Buffers and headers for [`BATCH`] packets, allocated once and reused (memory is touched
/// only as far as packets fill it).
pub struct RecvBatch {
    headers: MultiHeaders<SockaddrStorage>,
    data: Vec<u8>,
}

impl std::fmt::Debug for RecvBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecvBatch").finish_non_exhaustive()
    }
}

impl Default for RecvBatch {
    fn default() -> Self {
        Self::new()
    }
}

impl RecvBatch {
    pub fn new() -> Self {
        let cmsg = nix::cmsg_space!(
            libc::in6_pktinfo,
            libc::c_int,
            libc::in_pktinfo,
            libc::timespec
        );
        RecvBatch {
            headers: MultiHeaders::preallocate(BATCH, Some(cmsg)),
            data: vec![0; BATCH * SLOT],
        }
    }

    /// One non-blocking `recvmmsg` on `fd`; `f` gets each packet (or why it is unusable).
    /// Returns the number received; 0 when the socket is empty.
    pub(crate) fn receive(
        &mut self,
        fd: RawFd,
        family: Family,
        mut f: impl FnMut(Result<(RecvInfo, &[u8]), SocketError>),
    ) -> Result<usize, SocketError> {
        let mut chunks = self.data.chunks_exact_mut(SLOT);
        let mut slices: [[IoSliceMut<'_>; 1]; BATCH] =
            std::array::from_fn(|_| [IoSliceMut::new(chunks.next().unwrap_or_default())]);
        let results = match recvmmsg(
            fd,
            &mut self.headers,
            slices.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        ) {
            Ok(r) => r,
            Err(nix::errno::Errno::EAGAIN) => return Ok(0),
            Err(e) => return Err(SocketError::nix("recvmmsg")(e)),
        };
        let mut n = 0;
        for msg in results {
            n += 1;
            let data = msg.iovs().next().unwrap_or(&[]);
            f(info(&msg, family, data).map(|i| (i, data)));
        }
        Ok(n)
    }
}

/// What the kernel said about one received packet whose bytes (as far as they fit) are
/// `data`.
fn info(
    msg: &RecvMsg<'_, '_, SockaddrStorage>,
    family: Family,
    data: &[u8],
) -> Result<RecvInfo, SocketError> {
    let mut ifindex = None;
    let mut dst = None;
    let mut hop_limit = None;
    let mut received_at = None;
    if let Ok(cmsgs) = msg.cmsgs() {
        for c in cmsgs {
            match c {
                ControlMessageOwned::Ipv4PacketInfo(pi) => {
                    ifindex = u32::try_from(pi.ipi_ifindex).ok();
                }
                ControlMessageOwned::Ipv6PacketInfo(pi) => {
                    ifindex = Some(pi.ipi6_ifindex);
                    dst = Some(IpAddr::V6(Ipv6Addr::from(pi.ipi6_addr.s6_addr)));
                }
                ControlMessageOwned::Ipv6HopLimit(h) => hop_limit = u8::try_from(h).ok(),
                ControlMessageOwned::ScmTimestampns(ts) => {
                    received_at = u64::try_from(ts.tv_sec()).ok().and_then(|secs| {
                        let nanos = u32::try_from(ts.tv_nsec()).ok()?;
                        Some(std::time::Duration::new(secs, nanos))
                    });
                }
                _ => {}
            }
        }
    }
    // recvmmsg reports the bytes stored; MSG_TRUNC in the message's flags says more were
    // sent than fitted.
    let truncated = msg.flags.contains(MsgFlags::MSG_TRUNC);
    let len = data.len();
    Ok(match family {
        Family::V4 => {
            if len < 20 {
                return Err(SocketError::Invalid("IPv4 packet shorter than its header"));
            }
            RecvInfo {
                len,
                truncated,
                src: IpAddr::V4(Ipv4Addr::new(data[12], data[13], data[14], data[15])),
                dst: Some(IpAddr::V4(Ipv4Addr::new(
                    data[16], data[17], data[18], data[19],
                ))),
                ifindex,
                hop_limit: Some(data[8]),
                vrrp_offset: vrrp_offset(family, data).unwrap_or(len),
                received_at,
            }
        }
        Family::V6 => RecvInfo {
            len,
            truncated,
            src: msg
                .address
                .as_ref()
                .and_then(|a| a.as_sockaddr_in6())
                .map(|a| IpAddr::V6(a.ip()))
                .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
            dst,
            ifindex,
            hop_limit,
            vrrp_offset: 0,
            received_at,
        },
    })
}
