//! Gratuitous ARP as keepalived sends it (behaviour spec 5.6): an Ethernet frame carrying an
//! ARP *request* for the VIP, sent on an AF_PACKET socket.
//!
//! RFC 826 over Ethernet (RFC 5227 §3 for the gratuitous form):
//! ```text
//!    +-------------------+-------------------+-----------+
//!    | dst ff:ff:ff:ff:ff:ff | src MAC       | type 0806 |   Ethernet (14)
//!    +---------+---------+----+----+---------+-----------+
//!    | htype 1 | ptype 0800 | hlen 6 | plen 4 | op 1      |   ARP (28)
//!    +---------+------------+--------+--------+-----------+
//!    | sha = MAC (6) | spa = VIP (4) | tha = ff..ff (6) | tpa = VIP (4) |
//!    +---------------+---------------+------------------+---------------+
//! ```
//! keepalived puts the broadcast address, not zeros, in the target hardware address.

use std::net::Ipv4Addr;

pub const ETHERNET_HEADER_LEN: usize = 14;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
pub const BROADCAST: [u8; 6] = [0xff; 6];
/// ARP payload for IPv4 over Ethernet.
pub const ARP_LEN: usize = 28;
/// A GARP frame (without the padding the NIC adds up to 60 bytes).
pub const GARP_FRAME_LEN: usize = ETHERNET_HEADER_LEN + ARP_LEN;
pub const ARP_REQUEST: u16 = 1;
pub const ARP_REPLY: u16 = 2;

/// Writes an Ethernet II header.
pub fn emit_ethernet(buf: &mut [u8], dst: [u8; 6], src: [u8; 6], ethertype: u16) {
    if let Some(b) = buf.get_mut(..ETHERNET_HEADER_LEN) {
        b[0..6].copy_from_slice(&dst);
        b[6..12].copy_from_slice(&src);
        b[12..14].copy_from_slice(&ethertype.to_be_bytes());
    }
}

/// An Ethernet II frame, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ethernet<'a> {
    pub dst: [u8; 6],
    pub src: [u8; 6],
    pub ethertype: u16,
    pub payload: &'a [u8],
}

/// Parses an Ethernet II header; `None` if the frame is shorter than 14 bytes.
pub fn parse_ethernet(frame: &[u8]) -> Option<Ethernet<'_>> {
    let h = frame.get(..ETHERNET_HEADER_LEN)?;
    Some(Ethernet {
        dst: <[u8; 6]>::try_from(&h[0..6]).ok()?,
        src: <[u8; 6]>::try_from(&h[6..12]).ok()?,
        ethertype: u16::from_be_bytes([h[12], h[13]]),
        payload: &frame[ETHERNET_HEADER_LEN..],
    })
}

/// An Ethernet + ARP frame for IPv4, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpFrame {
    pub eth_dst: [u8; 6],
    pub eth_src: [u8; 6],
    pub op: u16,
    pub sha: [u8; 6],
    pub spa: Ipv4Addr,
    pub tha: [u8; 6],
    pub tpa: Ipv4Addr,
}

impl ArpFrame {
    /// Parses an Ethernet frame holding an IPv4-over-Ethernet ARP packet; trailing padding is
    /// ignored. `None` for anything else.
    pub fn parse(frame: &[u8]) -> Option<ArpFrame> {
        let Ethernet {
            dst: eth_dst,
            src: eth_src,
            ethertype,
            payload: p,
        } = parse_ethernet(frame)?;
        let p = p.get(..ARP_LEN)?;
        if ethertype != ETHERTYPE_ARP || p[0..6] != [0x00, 0x01, 0x08, 0x00, 6, 4] {
            return None;
        }
        Some(ArpFrame {
            eth_dst,
            eth_src,
            op: u16::from_be_bytes([p[6], p[7]]),
            sha: <[u8; 6]>::try_from(&p[8..14]).ok()?,
            spa: Ipv4Addr::new(p[14], p[15], p[16], p[17]),
            tha: <[u8; 6]>::try_from(&p[18..24]).ok()?,
            tpa: Ipv4Addr::new(p[24], p[25], p[26], p[27]),
        })
    }

    /// A gratuitous ARP: a request announcing its own sender address.
    pub fn is_garp(&self) -> bool {
        self.op == ARP_REQUEST && self.spa == self.tpa
    }

    /// Writes the frame ([`GARP_FRAME_LEN`] bytes); `None` if `buf` is shorter.
    pub fn emit(&self, buf: &mut [u8]) -> Option<usize> {
        let b = buf.get_mut(..GARP_FRAME_LEN)?;
        emit_ethernet(b, self.eth_dst, self.eth_src, ETHERTYPE_ARP);
        let p = &mut b[ETHERNET_HEADER_LEN..];
        p[0..6].copy_from_slice(&[0x00, 0x01, 0x08, 0x00, 6, 4]);
        p[6..8].copy_from_slice(&self.op.to_be_bytes());
        p[8..14].copy_from_slice(&self.sha);
        p[14..18].copy_from_slice(&self.spa.octets());
        p[18..24].copy_from_slice(&self.tha);
        p[24..28].copy_from_slice(&self.tpa.octets());
        Some(GARP_FRAME_LEN)
    }
}

/// keepalived's GARP for `vip` from interface MAC `mac` (the VMAC if used).
pub fn garp(mac: [u8; 6], vip: Ipv4Addr) -> ArpFrame {
    ArpFrame {
        eth_dst: BROADCAST,
        eth_src: mac,
        op: ARP_REQUEST,
        sha: mac,
        spa: vip,
        tha: BROADCAST,
        tpa: vip,
    }
}

/// The GARP frame bytes for an AF_PACKET socket.
pub fn garp_frame(mac: [u8; 6], vip: Ipv4Addr) -> [u8; GARP_FRAME_LEN] {
    let mut b = [0u8; GARP_FRAME_LEN];
    let _ = garp(mac, vip).emit(&mut b);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_observed_bytes() {
        // Behaviour spec 5.6, observed from keepalived 2.2.7.
        let want: Vec<u8> = [
            "ffffffffffff",
            "ae49407a2a34",
            "0806",
            "0001",
            "0800",
            "0604",
            "0001",
            "ae49407a2a34",
            "0a630064",
            "ffffffffffff",
            "0a630064",
        ]
        .concat()
        .as_bytes()
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect();
        let mac = [0xae, 0x49, 0x40, 0x7a, 0x2a, 0x34];
        let got = garp_frame(mac, Ipv4Addr::new(10, 99, 0, 100));
        assert_eq!(&got[..], &want[..]);
        let parsed = ArpFrame::parse(&want).unwrap();
        assert!(parsed.is_garp());
        assert_eq!(parsed, garp(mac, Ipv4Addr::new(10, 99, 0, 100)));
    }

    #[test]
    fn short_or_foreign_frames_are_none() {
        let f = garp_frame([2; 6], Ipv4Addr::new(1, 2, 3, 4));
        for n in 0..f.len() {
            assert!(ArpFrame::parse(&f[..n]).is_none());
        }
        let mut g = f;
        g[12] = 0x08;
        g[13] = 0x00;
        assert!(ArpFrame::parse(&g).is_none());
    }
}
