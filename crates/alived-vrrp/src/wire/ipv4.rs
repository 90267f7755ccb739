//! The IPv4 header as keepalived builds it for adverts (behaviour spec 5.9,
//! `vrrp_build_ip4()`), and the receive-side parse into [`RxPacket`].
//!
//! RFC 791 §3.1:
//! ```text
//!     0                   1                   2                   3
//!     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |Version|  IHL  |Type of Service|          Total Length         |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |         Identification        |Flags|      Fragment Offset    |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |  Time to Live |    Protocol   |         Header Checksum       |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |                       Source Address                          |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |                    Destination Address                        |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |                    Options                    |    Padding    |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::Advert;
use super::ah::{AH_LEN, AhHeader, PROTO_AH};
use super::checksum::{self, PROTO_VRRP, PseudoHeader};
use super::drop::DropReason;
use super::vrrp::{EmitError, Family};
use std::net::{IpAddr, Ipv4Addr};

/// An IPv4 header without options.
pub const HEADER_LEN: usize = 20;
/// keepalived's TOS for adverts: 0xc0 (network control, RFC 5798 §5.1.1 suggests it too).
pub const TOS_NETWORK_CONTROL: u8 = 0xc0;
/// RFC 5798 §5.1.1.3: adverts are sent (and must be received) with TTL 255.
pub const VRRP_TTL: u8 = 255;
/// The smallest Ethernet payload (60-byte frame less the 14-byte header): a shorter IP packet
/// arrives padded to this.
pub const MIN_ETHERNET_PAYLOAD: usize = 46;

/// The next IPv4 Identification after `prev`: keepalived starts at 1, adds 1 per advert and
/// skips 0. The counter lives with the sender; pass it in.
pub fn next_ident(prev: u16) -> u16 {
    match prev.wrapping_add(1) {
        0 => 1,
        n => n,
    }
}

/// What keepalived puts in the IPv4 header of an advert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Tx {
    pub src: Ipv4Addr,
    /// 224.0.0.18, the configured group, or one unicast peer.
    pub dst: Ipv4Addr,
    /// 255, or `unicast_ttl` for unicast.
    pub ttl: u8,
    /// From [`next_ident`].
    pub ident: u16,
}

/// Writes the 20-byte header: 0x45, TOS 0xc0, total length, ident, no flags (no DF), TTL,
/// protocol, checksum 0 (left for the kernel with `IP_HDRINCL`), src, dst.
pub fn emit_header(
    buf: &mut [u8],
    tx: &Ipv4Tx,
    protocol: u8,
    payload_len: usize,
) -> Result<(), EmitError> {
    let have = buf.len();
    let h = buf.get_mut(..HEADER_LEN).ok_or(EmitError::BufferTooSmall {
        have,
        need: HEADER_LEN,
    })?;
    let total = u16::try_from(HEADER_LEN + payload_len).map_err(|_| EmitError::BufferTooSmall {
        have: u16::MAX.into(),
        need: HEADER_LEN + payload_len,
    })?;
    h[0] = 0x45;
    h[1] = TOS_NETWORK_CONTROL;
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h[4..6].copy_from_slice(&tx.ident.to_be_bytes());
    h[6..8].copy_from_slice(&[0, 0]);
    h[8] = tx.ttl;
    h[9] = protocol;
    h[10..12].copy_from_slice(&[0, 0]);
    h[12..16].copy_from_slice(&tx.src.octets());
    h[16..20].copy_from_slice(&tx.dst.octets());
    Ok(())
}

/// The header checksum the kernel fills in (RFC 791): computed with the field as zero.
pub fn header_checksum(header: &[u8]) -> u16 {
    let acc = checksum::sum(0, header.get(..10).unwrap_or(header));
    checksum::finish(checksum::sum(acc, header.get(12..).unwrap_or(&[])))
}

/// Stores [`header_checksum`] in the header (what the kernel does on send).
pub fn fill_header_checksum(header: &mut [u8]) {
    if header.len() >= 12 {
        let c = header_checksum(header);
        header[10..12].copy_from_slice(&c.to_be_bytes());
    }
}

/// Length of a full IPv4 advert packet (IP header [+ AH] + VRRP message).
pub fn advert_packet_len(advert: &Advert, with_ah: bool) -> usize {
    HEADER_LEN + if with_ah { AH_LEN } else { 0 } + advert.buffer_len(Family::V4)
}

/// AH parameters for sending: the sequence number of this advert and the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AhTx {
    pub seq: u32,
    /// `auth_pass` zero padded to 8 bytes.
    pub key: [u8; 8],
    /// Unicast adverts have the TTL zeroed in the ICV input as well.
    pub unicast: bool,
}

/// Builds a whole IPv4 advert as keepalived sends it through its `IP_HDRINCL` socket. The
/// header checksum is left 0 for the kernel. With `ah`, the advert's auth must be
/// [`super::Auth::Ah`] (its 8 auth bytes are zero) and the ICV is computed.
pub fn emit_advert_packet(
    buf: &mut [u8],
    tx: &Ipv4Tx,
    advert: &Advert,
    ah: Option<AhTx>,
) -> Result<usize, EmitError> {
    let total = advert_packet_len(advert, ah.is_some());
    let have = buf.len();
    let out = buf
        .get_mut(..total)
        .ok_or(EmitError::BufferTooSmall { have, need: total })?;
    let msg_start = HEADER_LEN + if ah.is_some() { AH_LEN } else { 0 };
    let pseudo = PseudoHeader::for_advert(advert.version, tx.src.into(), tx.dst.into());
    advert.emit(&mut out[msg_start..], Family::V4, pseudo)?;
    let proto = if ah.is_some() { PROTO_AH } else { PROTO_VRRP };
    emit_header(out, tx, proto, total - HEADER_LEN)?;
    if let Some(ah) = ah {
        let hdr = AhHeader {
            next_header: PROTO_VRRP,
            payload_len: 4,
            spi: u32::from(tx.src),
            seq: ah.seq,
            icv: [0; 12],
        };
        hdr.emit(&mut out[HEADER_LEN..HEADER_LEN + AH_LEN]);
        let icv = super::ah::compute_icv(&ah.key, out, HEADER_LEN, ah.unicast);
        out[HEADER_LEN + 12..HEADER_LEN + AH_LEN].copy_from_slice(&icv);
    }
    Ok(total)
}

/// A received packet, reduced to what the receive path needs (behaviour spec 5.7). Built by
/// [`RxPacket::parse_ipv4`] from a raw IPv4 socket's bytes, or [`RxPacket::from_ipv6`] from
/// an IPv6 raw socket's payload and ancillary data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxPacket<'a> {
    pub family: Family,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// TTL (IPv4) or hop limit (IPv6, from `IPV6_RECVHOPLIMIT`).
    pub ttl: u8,
    /// The VRRP message: from after the IP header (and AH) to the end of the IP packet.
    pub advert: &'a [u8],
    pub ah: Option<AhHeader>,
    /// The whole IP packet (IPv4: header included; needed for the AH ICV); for IPv6 the
    /// VRRP message again.
    pub ip: &'a [u8],
    /// IPv4 header length in bytes (0 for IPv6).
    pub ip_header_len: usize,
    /// IPv4 `tot_len` as received (IPv6: the message length).
    pub tot_len: usize,
    /// Bytes received (after removing Ethernet padding).
    pub received_len: usize,
}

impl<'a> RxPacket<'a> {
    /// Parses an IPv4 packet as a raw socket returns it (header included). Fails only when
    /// there is not enough to find the message (`IPv4 VRRP packet too short`); every other
    /// check is left to [`super::validate()`] so it runs in keepalived's order.
    pub fn parse_ipv4(bytes: &'a [u8]) -> Result<RxPacket<'a>, DropReason> {
        let too_short = DropReason::TooShort { len: bytes.len() };
        let first = *bytes.first().ok_or(too_short)?;
        if first >> 4 != 4 {
            return Err(DropReason::NotIpv4 { first_byte: first });
        }
        let ihl = usize::from(first & 0x0f) * 4;
        if ihl < HEADER_LEN || bytes.len() < ihl + super::vrrp::HEADER_LEN {
            return Err(too_short);
        }
        let tot_len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
        // A short packet on Ethernet arrives padded to 46 bytes; the padding is not ours.
        let data = if bytes.len() > tot_len && bytes.len() <= MIN_ETHERNET_PAYLOAD && tot_len >= ihl
        {
            &bytes[..tot_len]
        } else {
            bytes
        };
        let src = Ipv4Addr::new(bytes[12], bytes[13], bytes[14], bytes[15]);
        let dst = Ipv4Addr::new(bytes[16], bytes[17], bytes[18], bytes[19]);
        let (ah, msg_start) = match bytes[9] {
            PROTO_AH => {
                let ah_bytes = data
                    .get(ihl..ihl + AH_LEN)
                    .ok_or(DropReason::TooShortAh { len: data.len() })?;
                if data.len() < ihl + AH_LEN + super::vrrp::HEADER_LEN {
                    return Err(DropReason::TooShortAh { len: data.len() });
                }
                (
                    Some(
                        AhHeader::parse(ah_bytes)
                            .ok_or(DropReason::TooShortAh { len: data.len() })?,
                    ),
                    ihl + AH_LEN,
                )
            }
            PROTO_VRRP => (None, ihl),
            proto => return Err(DropReason::WrongProtocol { proto }),
        };
        // tot_len may have cut the message short of its fixed header.
        if data.len() < msg_start + super::vrrp::HEADER_LEN {
            return Err(DropReason::TooShort { len: data.len() });
        }
        Ok(RxPacket {
            family: Family::V4,
            src: src.into(),
            dst: dst.into(),
            ttl: bytes[8],
            advert: &data[msg_start..],
            ah,
            ip: data,
            ip_header_len: ihl,
            tot_len,
            received_len: data.len(),
        })
    }

    /// An IPv6 advert: the raw socket gives the VRRP message; source from `recvfrom`,
    /// destination from `IPV6_PKTINFO`, hop limit from `IPV6_HOPLIMIT`. The kernel has
    /// already checked the checksum (`IPV6_CHECKSUM`).
    pub fn from_ipv6(
        src: std::net::Ipv6Addr,
        dst: std::net::Ipv6Addr,
        hop_limit: u8,
        msg: &'a [u8],
    ) -> Result<RxPacket<'a>, DropReason> {
        if msg.len() < super::vrrp::HEADER_LEN {
            return Err(DropReason::TooShortIpv6 { len: msg.len() });
        }
        Ok(RxPacket {
            family: Family::V6,
            src: src.into(),
            dst: dst.into(),
            ttl: hop_limit,
            advert: msg,
            ah: None,
            ip: msg,
            ip_header_len: 0,
            tot_len: msg.len(),
            received_len: msg.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Centisecs, Priority, Version, Vrid};

    #[test]
    fn header_with_options_is_parsed_past_them() {
        let a = Advert {
            version: Version::V3,
            vrid: Vrid::new(7).unwrap(),
            priority: Priority(1),
            adver_int: Centisecs(100),
            auth: super::super::Auth::None,
            addrs: vec![],
        };
        let tx = Ipv4Tx {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(224, 0, 0, 18),
            ttl: 255,
            ident: 1,
        };
        let mut p = vec![0u8; 28];
        emit_advert_packet(&mut p, &tx, &a, None).unwrap();
        // Insert a 4-byte option (NOP x4) and grow IHL and tot_len.
        let mut q = p[..20].to_vec();
        q.extend_from_slice(&[1, 1, 1, 1]);
        q.extend_from_slice(&p[20..]);
        q[0] = 0x46;
        q[3] = 32;
        let rx = RxPacket::parse_ipv4(&q).unwrap();
        assert_eq!((rx.ip_header_len, rx.advert), (24, &p[20..]));
        assert_eq!(rx.ah, None);
    }

    #[test]
    fn header_is_keepalived_shaped() {
        let tx = Ipv4Tx {
            src: Ipv4Addr::new(10, 77, 0, 1),
            dst: Ipv4Addr::new(224, 0, 0, 18),
            ttl: 255,
            ident: 1,
        };
        let mut h = [0u8; 20];
        emit_header(&mut h, &tx, 112, 20).unwrap();
        // From v2-noauth.pcap, with the kernel's checksum d044 still 0.
        assert_eq!(
            h,
            [
                0x45, 0xc0, 0, 40, 0, 1, 0, 0, 0xff, 0x70, 0, 0, 10, 77, 0, 1, 224, 0, 0, 18
            ]
        );
        fill_header_checksum(&mut h);
        assert_eq!(&h[10..12], &[0xd0, 0x44]);
    }
}
