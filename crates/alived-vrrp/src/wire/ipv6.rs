//! The IPv6 header (RFC 8200 §3), for building and reading whole frames in tests and for the
//! unsolicited NA. The daemon sends IPv6 adverts on a raw socket and the kernel builds this
//! header (traffic class 0xc0 via `IPV6_TCLASS`, hop limit 255, checksum via `IPV6_CHECKSUM`).
//!
//! ```text
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |Version| Traffic Class |           Flow Label                  |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |         Payload Length        |  Next Header  |   Hop Limit   |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |                     Source Address (128 bits)                 |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |                  Destination Address (128 bits)               |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::Advert;
use super::checksum::{PROTO_VRRP, PseudoHeader};
use super::vrrp::{EmitError, Family};
use std::net::Ipv6Addr;

pub const HEADER_LEN: usize = 40;
/// ff02::12, the VRRP group (RFC 5798 §5.1.2.2).
pub const VRRP_GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);

/// An IPv6 header without extension headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Header {
    pub traffic_class: u8,
    /// 20 bits (the kernel picks one per flow unless told otherwise).
    pub flow_label: u32,
    pub payload_len: u16,
    pub next_header: u8,
    pub hop_limit: u8,
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
}

impl Ipv6Header {
    /// Parses the first 40 bytes; `None` if shorter or not version 6.
    pub fn parse(b: &[u8]) -> Option<Ipv6Header> {
        let b = b.get(..HEADER_LEN)?;
        if b[0] >> 4 != 6 {
            return None;
        }
        Some(Ipv6Header {
            traffic_class: (b[0] << 4) | (b[1] >> 4),
            flow_label: u32::from_be_bytes([0, b[1] & 0x0f, b[2], b[3]]),
            payload_len: u16::from_be_bytes([b[4], b[5]]),
            next_header: b[6],
            hop_limit: b[7],
            src: Ipv6Addr::from(<[u8; 16]>::try_from(&b[8..24]).ok()?),
            dst: Ipv6Addr::from(<[u8; 16]>::try_from(&b[24..40]).ok()?),
        })
    }

    /// Writes 40 bytes; `None` if `buf` is shorter.
    pub fn emit(&self, buf: &mut [u8]) -> Option<()> {
        let b = buf.get_mut(..HEADER_LEN)?;
        let word =
            (6u32 << 28) | (u32::from(self.traffic_class) << 20) | (self.flow_label & 0x000f_ffff);
        b[0..4].copy_from_slice(&word.to_be_bytes());
        b[4..6].copy_from_slice(&self.payload_len.to_be_bytes());
        b[6] = self.next_header;
        b[7] = self.hop_limit;
        b[8..24].copy_from_slice(&self.src.octets());
        b[24..40].copy_from_slice(&self.dst.octets());
        Some(())
    }
}

/// A whole IPv6 advert packet as the kernel would send it from `src` to `dst` (traffic class
/// 0xc0, hop limit 255, checksum with the IPv6 pseudo-header). For tests and simulations.
pub fn advert_packet(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    flow_label: u32,
    advert: &Advert,
) -> Result<Vec<u8>, EmitError> {
    let len = advert.buffer_len(Family::V6);
    let mut v = vec![0u8; HEADER_LEN + len];
    let payload_len =
        u16::try_from(len).map_err(|_| EmitError::TooManyAddresses(advert.addrs.len()))?;
    let hdr = Ipv6Header {
        traffic_class: 0xc0,
        flow_label,
        payload_len,
        next_header: PROTO_VRRP,
        hop_limit: 255,
        src,
        dst,
    };
    let _ = hdr.emit(&mut v);
    advert.emit(
        &mut v[HEADER_LEN..],
        Family::V6,
        PseudoHeader::V6 { src, dst },
    )?;
    Ok(v)
}
