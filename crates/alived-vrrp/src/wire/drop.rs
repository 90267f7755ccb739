//! Why a received advert is dropped: one variant per check of behaviour spec 5.7 that the
//! packet (plus the instance's expectations) decides. Each maps to keepalived's statistics
//! counter (spec 7.2/7.3) and to keepalived 2.2.7's log line (spec 5.7, 6; wording taken from
//! the 2.2.7 binary's messages). House style rule 5: counted and logged in one place.

use crate::types::{Centisecs, Version};
use std::net::IpAddr;

/// A dropped advert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DropReason {
    /// Spec 5.7 step 2: not even an IP header and the 8-byte VRRP header.
    #[error("IPv4 VRRP packet too short - {len} bytes")]
    TooShort { len: usize },
    /// Step 2, AH variant.
    #[error("IPv4 VRRP packet with AH too short - {len} bytes")]
    TooShortAh { len: usize },
    /// Step 2, IPv6 variant.
    #[error("IPv6 VRRP packet too short - {len} bytes")]
    TooShortIpv6 { len: usize },
    /// Not an IPv4 packet on the IPv4 socket.
    #[error("not an IPv4 packet (first byte {first_byte:#04x})")]
    NotIpv4 { first_byte: u8 },
    /// Neither VRRP (112) nor AH (51); the raw sockets never deliver this.
    #[error("IP protocol {proto} is neither VRRP nor AH")]
    WrongProtocol { proto: u8 },
    /// Step 3: VRID 0 is never valid (RFC 5798 §5.2.3).
    #[error("VRID 0")]
    VridZero,
    /// Step 3: not the VRID of this instance (keepalived ignores it; logged only with
    /// `log_unknown_vrids`).
    #[error("unknown VRID {got}")]
    UnknownVrid { got: u8 },
    /// Step 5: AH received but the instance's auth type is not AH.
    #[error("Received AH header but auth type not AH")]
    AhUnexpected,
    /// Step 5: no AH but the instance's auth type is AH.
    #[error("No AH header but auth type is AH")]
    AhMissing,
    /// Step 6: the packet length is not the exact one for its address count.
    #[error("vrrp packet too long/short, length {len} and expect {expect}")]
    BadLength { len: usize, expect: usize },
    /// Step 7: multicast adverts must arrive with TTL / hop limit 255 (RFC 5798 §5.1.1.3).
    #[error("invalid TTL/HL. Received {got} and expect {expect}")]
    BadTtl { got: u8, expect: u8 },
    /// Step 7, unicast with `min_ttl`/`max_ttl`.
    #[error("TTL/HL {got} not in range {min} - {max}")]
    TtlOutOfRange { got: u8, min: u8, max: u8 },
    /// Step 8: not the instance's version.
    #[error("wrong version. Received {got} and expect {expect}")]
    WrongVersion { got: u8, expect: u8 },
    /// A version field that is neither 2 nor 3 (when parsing without an instance).
    #[error("unknown VRRP version {got}")]
    UnknownVersion { got: u8 },
    /// Step 10: v2 Auth Type other than 0, 1, 2.
    #[error("Invalid auth type: {got}")]
    InvalidAuthType { got: u8 },
    /// Step 10: v2 Auth Type not ours.
    #[error("received a {got} auth, expecting {expect}!")]
    AuthTypeMismatch { got: u8, expect: u8 },
    /// Step 10: PASS field differs from our password.
    #[error("received an invalid passwd!")]
    PasswordMismatch,
    /// Step 10: AH ICV wrong (bad key, or a field changed on the way).
    #[error("IPSEC-AH : invalid IPSEC HMAC-MD5 value")]
    AhIcvBad,
    /// Step 10: AH SPI is not the IPv4 source address.
    #[error("AH SPI {got:#010x} is not the source address {expect:#010x}")]
    AhSpiBad { got: u32, expect: u32 },
    /// Step 10: AH sequence number not greater than the last accepted.
    #[error("IPSEC-AH : sequence number {seq} already processed. Local({last})")]
    AhReplay { seq: u32, last: u32 },
    /// Step 10: v2 Adver Int differs from ours (v3 only logs, RFC 5798 §6.4.2).
    #[error("advertisement interval mismatch mine={mine} sec rcv'd={got} sec")]
    IntervalMismatch { mine: u32, got: u32 },
    /// Step 11: Type is not 1 (advertisement).
    #[error("Invalid packet type. {got} and expect 1")]
    InvalidType { got: u8 },
    /// Step 12: IPv4 total length differs from the bytes received.
    #[error("ip_tot_len mismatch against received length. {tot_len} and received {received}")]
    TotLenMismatch { tot_len: usize, received: usize },
    /// Step 14: checksum wrong.
    #[error("Invalid VRRPv{} checksum", .version.number())]
    BadChecksum { version: Version },
    /// Step 15: multicast received by a unicast instance or the reverse.
    #[error("Expected {}icast packet but received {}icast packet",
        if *.expected_unicast { "un" } else { "mult" }, if *.expected_unicast { "mult" } else { "un" })]
    ModeMismatch { expected_unicast: bool },
    /// keepalived <= 2.3.2, checked right after the type (only with
    /// [`super::Expect::drop_on_addr_mismatch`]; 2.2.7's wording, observed).
    #[error("received an unexpected ip number count {got}, expected {expect}!")]
    AddrCountMismatch { expect: usize, got: usize },
    /// Step 17 in keepalived <= 2.3.2 (only with [`super::Expect::drop_on_addr_mismatch`]).
    #[error("ip address associated with VRID {vrid} not present in MASTER advert: {missing}")]
    AddrListMismatch { vrid: u8, missing: IpAddr },
    /// Step 18: `check_unicast_src` and the source is not a configured peer.
    #[error("unicast source address {src} not a unicast peer")]
    UnicastSrcNotPeer { src: IpAddr },
}

impl DropReason {
    /// The keepalived statistics counter this drop increments (spec 7.2/7.3 names). Drops that
    /// keepalived does not count per instance get an alived-only name, marked below.
    pub fn counter_name(&self) -> &'static str {
        use DropReason::*;
        match self {
            TooShort { .. }
            | TooShortAh { .. }
            | TooShortIpv6 { .. }
            | BadLength { .. }
            | TotLenMismatch { .. } => "packet_len_err",
            BadTtl { .. } | TtlOutOfRange { .. } => "ip_ttl_err",
            InvalidType { .. } => "invalid_type_rcvd",
            IntervalMismatch { .. } => "advert_interval_err",
            AddrCountMismatch { .. } | AddrListMismatch { .. } => "addr_list_err",
            InvalidAuthType { .. } => "invalid_authtype",
            AuthTypeMismatch { .. } | AhUnexpected | AhMissing => "authtype_mismatch",
            PasswordMismatch | AhIcvBad | AhSpiBad { .. } | AhReplay { .. } => "auth_failure",
            // alived-only counters (keepalived logs these but has no per-instance counter).
            WrongVersion { .. } | UnknownVersion { .. } => "version_err",
            BadChecksum { .. } => "checksum_err",
            ModeMismatch { .. } => "mode_mismatch_err",
            UnicastSrcNotPeer { .. } => "unicast_src_err",
            VridZero | UnknownVrid { .. } => "unknown_vrid",
            NotIpv4 { .. } | WrongProtocol { .. } => "malformed_err",
        }
    }

    /// False for the drops keepalived does not log unless asked: an advert for a VRID no
    /// instance has (`log_unknown_vrids`).
    pub fn logged_by_default(&self) -> bool {
        !matches!(self, DropReason::VridZero | DropReason::UnknownVrid { .. })
    }

    /// keepalived 2.2.7's log line for this drop, for instance `instance`.
    pub fn log_message(&self, instance: &str) -> String {
        use DropReason::*;
        let i = instance;
        match self {
            // Logged before the instance is known, hence no prefix.
            TooShort { .. }
            | TooShortAh { .. }
            | TooShortIpv6 { .. }
            | NotIpv4 { .. }
            | WrongProtocol { .. } => self.to_string(),
            VridZero | UnknownVrid { .. } => self.to_string(),
            // keepalived 2.2.7 prints the source address first and the packet's SPI second,
            // both as the raw network bytes read as a little-endian (x86) integer (observed:
            // source 10.88.0.2, SPI 10.88.0.9 -> `33576970 and expect 151017482`).
            AhSpiBad { got, expect } => format!(
                "IPSEC AH : invalid IPSEC SPI value. {} and expect {}",
                expect.swap_bytes(),
                got.swap_bytes()
            ),
            AhIcvBad => {
                format!(
                    "({i}) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !"
                )
            }
            AhReplay { seq, last } => {
                format!(
                    "({i}) IPSEC-AH : sequence number {seq} already processed. Packet dropped. Local({last})"
                )
            }
            BadLength { len, expect } => {
                let which = if len > expect { "long" } else { "short" };
                format!("({i}) vrrp packet too {which}, length {len} and expect {expect}")
            }
            _ => format!("({i}) {self}"),
        }
    }
}

/// An advert that is accepted but worth a (rate-limited) log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warning {
    /// A unicast v3 advert with keepalived's pre-1.3.6 checksum; reply the same way.
    OldUnicastChecksum,
    /// Spec 5.7 step 17: the advert carries a different number of addresses. Accepted, as
    /// keepalived >= 2.3.3 does (ARCHITECTURE.md section 1).
    AddrCount { expect: usize, got: usize },
    /// Step 17: one of our addresses is missing from the advert. Accepted as above.
    AddrList {
        vrid: u8,
        missing: IpAddr,
        from: IpAddr,
    },
    /// v3: the advert's interval differs from the one in use (RFC 5798 §6.4.2: a backup
    /// adopts it, and the next advert then matches).
    IntervalV3 { mine: Centisecs, got: Centisecs },
}

impl Warning {
    /// The counter keepalived increments, if any.
    pub fn counter_name(&self) -> Option<&'static str> {
        match self {
            Warning::AddrCount { .. } | Warning::AddrList { .. } => Some("addr_list_err"),
            Warning::OldUnicastChecksum | Warning::IntervalV3 { .. } => None,
        }
    }

    /// The log line (2.2.7 wording where 2.2.7 has one).
    pub fn log_message(&self, instance: &str) -> String {
        let i = instance;
        match self {
            Warning::OldUnicastChecksum => {
                format!("({i}) Setting unicast VRRPv3 checksum to old version")
            }
            Warning::AddrCount { expect, got } => {
                format!("({i}) expected {expect} VIPs but received {got}")
            }
            Warning::AddrList { vrid, missing, .. } => {
                format!(
                    "({i}) ip address associated with VRID {vrid} not present in MASTER advert: {missing}"
                )
            }
            Warning::IntervalV3 { mine, got } => format!(
                "({i}) advertisement interval updated from {}ms to {}ms by master",
                u64::from(mine.0) * 10,
                u64::from(got.0) * 10
            ),
        }
    }
}
