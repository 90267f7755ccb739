//! The Internet checksum (RFC 1071) and the pseudo-headers VRRP uses.
//!
//! - VRRPv2 (RFC 3768 §5.3.8): the one's complement sum over the VRRP message only.
//! - VRRPv3 over IPv4 (RFC 5798 §5.2.8): the message plus the IPv4 pseudo-header
//!   {src, dst, 0, 112, VRRP length}.
//! - VRRPv3 over IPv6: the message plus the IPv6 pseudo-header (RFC 8200 §8.1). On Linux the
//!   kernel computes and checks it (`IPV6_CHECKSUM` offset 6); the user-space version here is
//!   for tests and for captured packets.
//! - keepalived's pre-1.3.6 unicast v3 checksum used 224.0.0.18 as the pseudo-header
//!   destination whatever the real one was (behaviour spec 5.7 step 14, 5.9).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IP protocol number of VRRP.
pub const PROTO_VRRP: u8 = 112;

/// Adds `data` to a running 32-bit one's complement accumulator as big-endian 16-bit words
/// (an odd trailing byte is padded with zero, RFC 1071 §4.1).
pub fn sum(mut acc: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc = acc.wrapping_add(u32::from(u16::from_be_bytes([c[0], c[1]])));
        // Fold early so the accumulator can never overflow, whatever the input length.
        if acc > 0xffff_0000 {
            acc = (acc & 0xffff) + (acc >> 16);
        }
    }
    if let [last] = chunks.remainder() {
        acc = acc.wrapping_add(u32::from(*last) << 8);
    }
    acc
}

/// Folds the accumulator to 16 bits and returns its one's complement: the value to put in a
/// checksum field.
pub fn finish(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The RFC 1071 checksum of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    finish(sum(0, data))
}

/// The IPv4 pseudo-header {src, dst, 0, proto, len} as an accumulator start value.
pub fn pseudo_v4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: u16) -> u32 {
    let mut acc = sum(0, &src.octets());
    acc = sum(acc, &dst.octets());
    acc = sum(acc, &[0, proto]);
    sum(acc, &len.to_be_bytes())
}

/// The IPv6 pseudo-header {src, dst, upper-layer length (32 bits), 0, next header}.
pub fn pseudo_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, len: u32) -> u32 {
    let mut acc = sum(0, &src.octets());
    acc = sum(acc, &dst.octets());
    acc = sum(acc, &len.to_be_bytes());
    sum(acc, &[0, 0, 0, next_header])
}

/// What a VRRP checksum covers besides the message itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PseudoHeader {
    /// VRRPv2 over IPv4, and keepalived's `v3_checksum_as_v2`: the message only.
    None,
    /// VRRPv3 over IPv4.
    V4 { src: Ipv4Addr, dst: Ipv4Addr },
    /// Anything over IPv6 (the kernel's `IPV6_CHECKSUM` covers v2 over IPv6 the same way).
    V6 { src: Ipv6Addr, dst: Ipv6Addr },
}

impl PseudoHeader {
    /// The pseudo-header keepalived uses for `version` from `src` to `dst`.
    pub fn for_advert(version: crate::types::Version, src: IpAddr, dst: IpAddr) -> PseudoHeader {
        match (src, dst) {
            (IpAddr::V6(src), IpAddr::V6(dst)) => PseudoHeader::V6 { src, dst },
            (IpAddr::V4(src), IpAddr::V4(dst)) if version == crate::types::Version::V3 => {
                PseudoHeader::V4 { src, dst }
            }
            _ => PseudoHeader::None,
        }
    }

    fn start(self, len: usize) -> u32 {
        match self {
            PseudoHeader::None => 0,
            // A VRRP message is at most 8 + 255 * 16 + 8 bytes, so it always fits 16 bits.
            PseudoHeader::V4 { src, dst } => {
                pseudo_v4(src, dst, PROTO_VRRP, u16::try_from(len).unwrap_or(u16::MAX))
            }
            PseudoHeader::V6 { src, dst } => {
                pseudo_v6(src, dst, PROTO_VRRP, u32::try_from(len).unwrap_or(u32::MAX))
            }
        }
    }

    /// The checksum to write at offset 6 of `msg`, the field itself counted as zero.
    pub fn compute(self, msg: &[u8]) -> u16 {
        let acc = self.start(msg.len());
        let acc = sum(acc, msg.get(..6).unwrap_or(msg));
        finish(sum(acc, msg.get(8..).unwrap_or(&[])))
    }

    /// True if the message's checksum field is right (the sum over all of it is zero).
    pub fn verify(self, msg: &[u8]) -> bool {
        finish(sum(self.start(msg.len()), msg)) == 0
    }
}

/// The result of checking a received advert's checksum (behaviour spec 5.7 step 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumOutcome {
    /// The checksum is right for the version.
    Valid,
    /// A unicast VRRPv3 advert whose checksum is right only with keepalived's pre-1.3.6
    /// pseudo-header (destination 224.0.0.18). keepalived accepts it and logs
    /// `(VI_1) Setting unicast VRRPv3 checksum to old version`, then sends that way too.
    ValidOldUnicast,
    /// Wrong.
    Invalid,
}

/// The VRRP multicast group for IPv4 (RFC 5798 §5.1.1.2), and the old unicast pseudo-header
/// destination.
pub const VRRP_GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

/// Checks an IPv4 VRRP message received from `src` to `dst`. `unicast` enables the old unicast
/// v3 fallback.
pub fn verify_ipv4(
    version: crate::types::Version,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    msg: &[u8],
    unicast: bool,
) -> ChecksumOutcome {
    let ph = PseudoHeader::for_advert(version, src.into(), dst.into());
    if ph.verify(msg) {
        return ChecksumOutcome::Valid;
    }
    if unicast && version == crate::types::Version::V3 {
        let old = PseudoHeader::V4 {
            src,
            dst: VRRP_GROUP_V4,
        };
        if old.verify(msg) {
            return ChecksumOutcome::ValidOldUnicast;
        }
    }
    ChecksumOutcome::Invalid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2.
        let d = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(finish(sum(0, &d)), !0xddf2);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(checksum(&[0x12]), checksum(&[0x12, 0x00]));
    }

    #[test]
    fn spec_v2_example() {
        // Behaviour spec 5.9: VRID 51, prio 150, PASS secret12: checksum 0xcf84.
        let mut m = [
            0x21, 0x33, 0x96, 0x01, 0x01, 0x01, 0xcf, 0x84, 0x0a, 0x63, 0x00, 0x64, b's', b'e',
            b'c', b'r', b'e', b't', b'1', b'2',
        ];
        assert_eq!(PseudoHeader::None.compute(&m), 0xcf84);
        assert!(PseudoHeader::None.verify(&m));
        m[2] = 0x97;
        assert!(!PseudoHeader::None.verify(&m));
    }

    #[test]
    fn spec_v3_example_needs_pseudo_header() {
        // Behaviour spec 5.9: `31 3f c8 01 0064 1062 0a6300a3`: 0x1062 with the pseudo-header,
        // 0xfb54 without. Source 10.99.0.1 (the interface address) to 224.0.0.18.
        let m = [
            0x31, 0x3f, 0xc8, 0x01, 0x00, 0x64, 0x10, 0x62, 0x0a, 0x63, 0x00, 0xa3,
        ];
        assert_eq!(PseudoHeader::None.compute(&m), 0xfb54);
        let src = Ipv4Addr::new(10, 99, 0, 1);
        let ph = PseudoHeader::V4 {
            src,
            dst: VRRP_GROUP_V4,
        };
        assert_eq!(ph.compute(&m), 0x1062);
        assert_eq!(
            verify_ipv4(crate::types::Version::V3, src, VRRP_GROUP_V4, &m, false),
            ChecksumOutcome::Valid
        );
    }

    #[test]
    fn old_unicast_fallback_is_reported() {
        let src = Ipv4Addr::new(10, 0, 0, 1);
        let peer = Ipv4Addr::new(10, 0, 0, 2);
        let mut m = [0x31, 0x01, 0x64, 0x01, 0x00, 0x64, 0, 0, 10, 0, 0, 100];
        let old = PseudoHeader::V4 {
            src,
            dst: VRRP_GROUP_V4,
        }
        .compute(&m);
        m[6..8].copy_from_slice(&old.to_be_bytes());
        let v3 = crate::types::Version::V3;
        assert_eq!(
            verify_ipv4(v3, src, peer, &m, true),
            ChecksumOutcome::ValidOldUnicast
        );
        assert_eq!(
            verify_ipv4(v3, src, peer, &m, false),
            ChecksumOutcome::Invalid
        );
        let new = PseudoHeader::V4 { src, dst: peer }.compute(&m);
        m[6..8].copy_from_slice(&new.to_be_bytes());
        assert_eq!(verify_ipv4(v3, src, peer, &m, true), ChecksumOutcome::Valid);
    }
}
