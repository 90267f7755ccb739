//! VRRP on the wire (behaviour spec 5.6-5.9; RFC 3768, RFC 5798): adverts, authentication,
//! checksums, GARP and unsolicited neighbour advertisements.
//!
//! House style rule 2: each packet type is a checked view over bytes plus a parsed form with
//! `parse`/`emit`/`buffer_len`; nothing here panics on untrusted bytes.
//!
//! Receive path: [`RxPacket::parse_ipv4`] (raw IPv4 socket bytes) or
//! [`RxPacket::from_ipv6`] (IPv6 payload + ancillary data) -> [`validate()`] with the
//! instance's [`Expect`] -> [`Valid`] (the [`Advert`], [`Warning`]s to log rate-limited, the AH
//! sequence number to [`AhReplay::accept`]) or a [`DropReason`] (count
//! [`DropReason::counter_name`], log [`DropReason::log_message`]).
//!
//! Send path: IPv4 [`ipv4::emit_advert_packet`] (header as keepalived builds it for its
//! `IP_HDRINCL` socket, optional AH with [`AhReplay::next_tx`]); IPv6 [`Advert::emit`] with
//! [`PseudoHeader::V6`] (the kernel adds the header and redoes the checksum). Announcements:
//! [`arp::garp_frame`], [`ndisc::unsolicited_na`] (whole frames for AF_PACKET).

pub mod ah;
pub mod arp;
pub mod checksum;
pub mod drop;
pub mod ipv4;
pub mod ipv6;
pub mod ndisc;
pub mod quiet;
pub mod validate;
pub mod vrrp;

pub use ah::{AhHeader, AhReplay};
pub use checksum::{ChecksumOutcome, PseudoHeader};
pub use drop::{DropReason, Warning};
pub use ipv4::{AhTx, Ipv4Tx, RxPacket};
pub use quiet::{BpfInsn, Layout, Quiet, QuietFilter};
pub use validate::{Expect, ExpectAuth, Valid, validate};
pub use vrrp::{EmitError, Family, VrrpPacket};

use crate::types::{Centisecs, Priority, Version, Vrid};
use std::net::IpAddr;

/// VRRPv2 authentication (RFC 3768 §5.3.6; behaviour spec 2.8). Ignored by VRRPv3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// Auth Type 0.
    None,
    /// Auth Type 1: the 8-byte password field, zero padded (keepalived truncates to 8).
    Pass([u8; 8]),
    /// Auth Type 2: IPsec AH (HMAC-MD5-96) wrapped around the advert; the 8 auth bytes are zero.
    Ah,
}

/// A VRRP advertisement, parsed: the fields an instance needs, independent of the IP layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advert {
    pub version: Version,
    pub vrid: Vrid,
    /// 0 = the master is stopping, 255 = address owner.
    pub priority: Priority,
    /// v2: the whole-second Adver Int as `secs * 100`; v3: the 12-bit Max Adver Int field.
    pub adver_int: Centisecs,
    /// Always [`Auth::None`] for v3.
    pub auth: Auth,
    /// The virtual addresses, in packet order; all of one family.
    pub addrs: Vec<IpAddr>,
}
