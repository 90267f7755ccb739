//! Unsolicited Neighbour Advertisement as keepalived sends it for IPv6 VIPs (behaviour spec
//! 5.6): a whole Ethernet frame for an AF_PACKET socket.
//!
//! RFC 4861 §4.4 (after Ethernet dst 33:33:00:00:00:01 and an IPv6 header from the VIP to
//! ff02::1, hop limit 255, traffic class 0):
//! ```text
//!     0                   1                   2                   3
//!     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |     Type=136  |     Code=0    |          Checksum             |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |R|S|O|                     Reserved                            |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |                       Target Address = VIP                    |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |  Type=2 (TLLA)|   Length=1    |     Link-Layer Address (MAC)  |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//! keepalived sets Override, and Router when forwarding is on for the interface; never
//! Solicited.

use super::arp::{ETHERNET_HEADER_LEN, ETHERTYPE_IPV6, Ethernet, emit_ethernet, parse_ethernet};
use super::checksum::{self, pseudo_v6};
use super::ipv6::{self, Ipv6Header};
use std::net::Ipv6Addr;

pub const PROTO_ICMPV6: u8 = 58;
pub const ICMPV6_NA: u8 = 136;
/// ICMPv6 NA with one TLLA option.
pub const NA_LEN: usize = 32;
pub const NA_FRAME_LEN: usize = ETHERNET_HEADER_LEN + ipv6::HEADER_LEN + NA_LEN;
/// ff02::1, all nodes.
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
/// The Ethernet address of ff02::1 (RFC 2464 §7).
pub const ALL_NODES_MAC: [u8; 6] = [0x33, 0x33, 0, 0, 0, 1];

const FLAG_ROUTER: u8 = 0x80;
const FLAG_SOLICITED: u8 = 0x40;
const FLAG_OVERRIDE: u8 = 0x20;

/// A neighbour advertisement frame, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NaFrame {
    pub eth_dst: [u8; 6],
    pub eth_src: [u8; 6],
    pub ip: Ipv6Header,
    pub router: bool,
    pub solicited: bool,
    pub override_: bool,
    pub target: Ipv6Addr,
    /// The Target Link-Layer Address option, if present.
    pub tlla: Option<[u8; 6]>,
    /// The ICMPv6 checksum as received.
    pub checksum: u16,
}

/// keepalived's unsolicited NA for `vip` from `mac`; `router` = forwarding enabled.
pub fn unsolicited_na(mac: [u8; 6], vip: Ipv6Addr, router: bool) -> [u8; NA_FRAME_LEN] {
    let mut f = [0u8; NA_FRAME_LEN];
    emit_ethernet(&mut f, ALL_NODES_MAC, mac, ETHERTYPE_IPV6);
    let ip = Ipv6Header {
        traffic_class: 0,
        flow_label: 0,
        payload_len: NA_LEN as u16,
        next_header: PROTO_ICMPV6,
        hop_limit: 255,
        src: vip,
        dst: ALL_NODES,
    };
    let _ = ip.emit(&mut f[ETHERNET_HEADER_LEN..]);
    let icmp = &mut f[ETHERNET_HEADER_LEN + ipv6::HEADER_LEN..];
    icmp[0] = ICMPV6_NA;
    icmp[1] = 0;
    icmp[4] = FLAG_OVERRIDE | if router { FLAG_ROUTER } else { 0 };
    icmp[8..24].copy_from_slice(&vip.octets());
    icmp[24] = 2; // Target Link-Layer Address
    icmp[25] = 1; // in units of 8 bytes
    icmp[26..32].copy_from_slice(&mac);
    let c = checksum::finish(checksum::sum(
        pseudo_v6(vip, ALL_NODES, PROTO_ICMPV6, NA_LEN as u32),
        icmp,
    ));
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    f
}

impl NaFrame {
    /// Parses an Ethernet + IPv6 + ICMPv6 NA frame (no extension headers); `None` otherwise.
    pub fn parse(frame: &[u8]) -> Option<NaFrame> {
        let Ethernet {
            dst: eth_dst,
            src: eth_src,
            ethertype,
            payload: p,
        } = parse_ethernet(frame)?;
        if ethertype != ETHERTYPE_IPV6 {
            return None;
        }
        let ip = Ipv6Header::parse(p)?;
        let icmp = p.get(ipv6::HEADER_LEN..ipv6::HEADER_LEN + usize::from(ip.payload_len))?;
        if ip.next_header != PROTO_ICMPV6 || icmp.len() < 24 || icmp[0] != ICMPV6_NA {
            return None;
        }
        let target = Ipv6Addr::from(<[u8; 16]>::try_from(&icmp[8..24]).ok()?);
        // Options: type, length in 8-byte units, value.
        let mut tlla = None;
        let mut opts = &icmp[24..];
        while opts.len() >= 8 {
            let len = usize::from(opts[1]) * 8;
            if len == 0 || len > opts.len() {
                break;
            }
            if opts[0] == 2 && len == 8 {
                tlla = <[u8; 6]>::try_from(&opts[2..8]).ok();
            }
            opts = &opts[len..];
        }
        Some(NaFrame {
            eth_dst,
            eth_src,
            ip,
            router: icmp[4] & FLAG_ROUTER != 0,
            solicited: icmp[4] & FLAG_SOLICITED != 0,
            override_: icmp[4] & FLAG_OVERRIDE != 0,
            target,
            tlla,
            checksum: u16::from_be_bytes([icmp[2], icmp[3]]),
        })
    }

    /// Checks the ICMPv6 checksum of `frame` (the frame this was parsed from).
    pub fn checksum_ok(frame: &[u8]) -> bool {
        let Some(ip) = frame.get(ETHERNET_HEADER_LEN..).and_then(Ipv6Header::parse) else {
            return false;
        };
        let start = ETHERNET_HEADER_LEN + ipv6::HEADER_LEN;
        let Some(icmp) = frame.get(start..start + usize::from(ip.payload_len)) else {
            return false;
        };
        let acc = pseudo_v6(ip.src, ip.dst, PROTO_ICMPV6, u32::from(ip.payload_len));
        checksum::finish(checksum::sum(acc, icmp)) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn na_round_trip_and_checksum() {
        let mac = [0x0e, 0x76, 0xda, 0x06, 0x53, 0x6a];
        let vip: Ipv6Addr = "fe80::61".parse().unwrap();
        let f = unsolicited_na(mac, vip, false);
        assert!(NaFrame::checksum_ok(&f));
        let na = NaFrame::parse(&f).unwrap();
        assert!(na.override_ && !na.router && !na.solicited);
        assert_eq!(
            (na.target, na.tlla, na.ip.src, na.ip.dst),
            (vip, Some(mac), vip, ALL_NODES)
        );
        // Spec 5.6 observed ICMPv6 start: 8800 1cf5 2000 0000 fe80...0061 0201 0e76da06536a.
        let icmp = &f[ETHERNET_HEADER_LEN + ipv6::HEADER_LEN..];
        assert_eq!(&icmp[0..8], &[0x88, 0x00, 0x1c, 0xf5, 0x20, 0, 0, 0]);
        assert_eq!(
            &icmp[24..32],
            &[0x02, 0x01, 0x0e, 0x76, 0xda, 0x06, 0x53, 0x6a]
        );
        let r = unsolicited_na(mac, vip, true);
        assert!(NaFrame::parse(&r).unwrap().router);
        assert!(NaFrame::checksum_ok(&r));
    }

    #[test]
    fn truncated_frames_are_none() {
        let f = unsolicited_na([2; 6], "2001:db8::1".parse().unwrap(), false);
        for n in 0..f.len() {
            assert!(NaFrame::parse(&f[..n]).is_none(), "len {n}");
        }
    }
}
