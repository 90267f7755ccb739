//! Receive validation in keepalived's order (behaviour spec 5.7; RFC 3768 §7.1, RFC 5798
//! §7.1). Pure: the caller passes the packet and what the instance expects, and gets the
//! advert (with warnings) or the reason for the drop.

use super::Advert;
use super::ah::AhReplay;
use super::checksum::{self, ChecksumOutcome, PseudoHeader};
use super::drop::{DropReason, Warning};
use super::ipv4::{RxPacket, VRRP_TTL};
use super::vrrp::{self, AUTH_AH, AUTH_NONE, AUTH_PASS, Family, VrrpPacket};
use crate::types::{Centisecs, Version, Vrid};
use std::net::{IpAddr, Ipv4Addr};

/// The instance's authentication as configured (VRRPv2 only; ignored for v3 and strict mode,
/// spec 2.8: the caller passes [`ExpectAuth::None`] then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectAuth {
    None,
    /// `auth_pass`, as the 8-byte field ([`super::vrrp::pass_field`]).
    Pass([u8; 8]),
    /// `auth_pass` zero padded to 8 bytes, the HMAC key.
    Ah([u8; 8]),
}

impl ExpectAuth {
    fn type_byte(self) -> u8 {
        match self {
            ExpectAuth::None => AUTH_NONE,
            ExpectAuth::Pass(_) => AUTH_PASS,
            ExpectAuth::Ah(_) => AUTH_AH,
        }
    }
}

/// What the receiving instance expects: the part of its config and state the checks read.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    pub vrid: Vrid,
    pub version: Version,
    pub auth: ExpectAuth,
    /// Our advert interval (v2 must match exactly).
    pub adver_int: Centisecs,
    /// v3: the master's interval this instance has adopted (RFC 5798 §6.4.2
    /// Master_Adver_Interval), if it differs from `adver_int`.
    pub master_adver_int: Option<Centisecs>,
    /// Our virtual addresses (the ones carried in adverts), in config order.
    pub addrs: &'a [IpAddr],
    /// The instance has `unicast_peer`s.
    pub unicast: bool,
    pub unicast_peers: &'a [IpAddr],
    /// `check_unicast_src`.
    pub check_unicast_src: bool,
    /// `min_ttl`/`max_ttl` for unicast (None: unicast TTL is not checked).
    pub unicast_ttl_range: Option<(u8, u8)>,
    /// `skip_check_adv_addr` and this advert comes from the master we already know.
    pub skip_addr_check: bool,
    /// keepalived <= 2.3.2 behaviour: an address count or list mismatch drops the advert.
    /// Default false: accept with a warning (ARCHITECTURE.md section 1, as 2.3.3+).
    pub drop_on_addr_mismatch: bool,
    /// The AH sequence numbers seen so far.
    pub ah_replay: AhReplay,
}

impl<'a> Expect<'a> {
    /// Multicast defaults for `vrid`/`version`, no auth, 1 s, no addresses.
    pub fn new(vrid: Vrid, version: Version) -> Expect<'a> {
        Expect {
            vrid,
            version,
            auth: ExpectAuth::None,
            adver_int: Centisecs(100),
            master_adver_int: None,
            addrs: &[],
            unicast: false,
            unicast_peers: &[],
            check_unicast_src: false,
            unicast_ttl_range: None,
            skip_addr_check: false,
            drop_on_addr_mismatch: false,
            ah_replay: AhReplay::default(),
        }
    }

    fn auth(&self) -> ExpectAuth {
        // Spec 2.8: authentication is ignored for v3.
        if self.version == Version::V2 {
            self.auth
        } else {
            ExpectAuth::None
        }
    }
}

/// An accepted advert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valid {
    pub advert: Advert,
    /// Log each (rate-limited) and count those with a counter.
    pub warnings: Vec<Warning>,
    /// AH: the sequence number to record with [`AhReplay::accept`].
    pub ah_seq: Option<u32>,
}

fn is_multicast(a: IpAddr) -> bool {
    a.is_multicast()
}

/// Runs the checks of spec 5.7 in keepalived's order and parses the advert.
///
/// Left to the instance, which has the state: step 4 (drop in FAULT/INIT), 16
/// (`owner_ignore_adverts`), the `advert_rcvd` and priority-0 counters (17, 19), recording the
/// AH sequence number ([`Valid::ah_seq`]) and adopting a v3 master's interval.
pub fn validate(rx: &RxPacket<'_>, expect: &Expect<'_>) -> Result<Valid, DropReason> {
    let pkt = VrrpPacket::new_checked(rx.advert)?;
    let mut warnings = Vec::new();

    // Step 3: the VRID selects the instance.
    if pkt.vrid() == 0 {
        return Err(DropReason::VridZero);
    }
    if pkt.vrid() != expect.vrid.get() {
        return Err(DropReason::UnknownVrid { got: pkt.vrid() });
    }

    // Step 5: AH presence must match the auth type.
    let auth = expect.auth();
    let want_ah = matches!(auth, ExpectAuth::Ah(_)) && rx.family == Family::V4;
    match (rx.ah.is_some(), want_ah) {
        (true, false) => return Err(DropReason::AhUnexpected),
        (false, true) => return Err(DropReason::AhMissing),
        _ => {}
    }

    // Step 6: exact length (Ethernet padding was removed by the IP parse), for the packet's
    // own version and address count: keepalived 2.2.7 answers a v3-headed advert of v2 size
    // with `vrrp packet too long, length 40 and expect 32`, not `wrong version` (observed).
    let len_version = match pkt.version() {
        2 => Version::V2,
        3 => Version::V3,
        _ => expect.version,
    };
    let ah_len = if rx.ah.is_some() {
        super::ah::AH_LEN
    } else {
        0
    };
    let expect_len = rx.ip_header_len
        + ah_len
        + vrrp::message_len(len_version, rx.family, usize::from(pkt.naddr()));
    if rx.received_len != expect_len {
        return Err(DropReason::BadLength {
            len: rx.received_len,
            expect: expect_len,
        });
    }

    // Step 7: RFC 5798 §7.1: TTL / hop limit 255 for multicast; unicast only if configured.
    if is_multicast(rx.dst) {
        if rx.ttl != VRRP_TTL {
            return Err(DropReason::BadTtl {
                got: rx.ttl,
                expect: VRRP_TTL,
            });
        }
    } else if let Some((min, max)) = expect.unicast_ttl_range
        && (rx.ttl < min || rx.ttl > max)
    {
        return Err(DropReason::TtlOutOfRange {
            got: rx.ttl,
            min,
            max,
        });
    }

    // Step 8: version.
    if pkt.version() != expect.version.number() {
        return Err(DropReason::WrongVersion {
            got: pkt.version(),
            expect: expect.version.number(),
        });
    }

    // Step 10 (v2): auth type, password / AH, interval.
    let mut ah_seq = None;
    if expect.version == Version::V2 {
        let got = pkt.auth_type();
        if got > AUTH_AH {
            return Err(DropReason::InvalidAuthType { got });
        }
        if got != auth.type_byte() {
            return Err(DropReason::AuthTypeMismatch {
                got,
                expect: auth.type_byte(),
            });
        }
        match auth {
            ExpectAuth::None => {}
            ExpectAuth::Pass(pw) => {
                // Constant-time compare, as keepalived HEAD does.
                let field = pkt.auth_data(rx.family).unwrap_or_default();
                let diff = field
                    .iter()
                    .zip(pw.iter())
                    .fold(0u8, |d, (a, b)| d | (a ^ b));
                if diff != 0 {
                    return Err(DropReason::PasswordMismatch);
                }
            }
            ExpectAuth::Ah(key) => {
                if let Some(ah) = rx.ah {
                    let unicast = !is_multicast(rx.dst);
                    if !super::ah::verify_icv(&key, rx.ip, rx.ip_header_len, unicast) {
                        return Err(DropReason::AhIcvBad);
                    }
                    let src = match rx.src {
                        IpAddr::V4(s) => u32::from(s),
                        IpAddr::V6(_) => 0,
                    };
                    if ah.spi != src {
                        return Err(DropReason::AhSpiBad {
                            got: ah.spi,
                            expect: src,
                        });
                    }
                    expect.ah_replay.check(ah.seq)?;
                    ah_seq = Some(ah.seq);
                }
            }
        }
        let got_secs = u32::from(pkt.adver_int_v2());
        let mine_secs = expect.adver_int.0 / 100;
        if got_secs != mine_secs {
            return Err(DropReason::IntervalMismatch {
                mine: mine_secs,
                got: got_secs,
            });
        }
    }

    // Step 11: type.
    if pkt.kind() != vrrp::TYPE_ADVERTISEMENT {
        return Err(DropReason::InvalidType { got: pkt.kind() });
    }

    // keepalived 2.2.7 drops an advert whose address count differs from ours right after the
    // type check (before the checksum; observed against 2.2.7). 2.3.3+ only warns (step 17).
    if expect.drop_on_addr_mismatch && usize::from(pkt.naddr()) != expect.addrs.len() {
        return Err(DropReason::AddrCountMismatch {
            expect: expect.addrs.len(),
            got: usize::from(pkt.naddr()),
        });
    }

    // Step 12: IPv4 total length.
    if rx.family == Family::V4 && rx.tot_len != rx.received_len {
        return Err(DropReason::TotLenMismatch {
            tot_len: rx.tot_len,
            received: rx.received_len,
        });
    }

    // Step 13: v3 interval mismatch is only logged (RFC 5798 §6.4.2: a backup adopts the
    // master's interval). keepalived compares with the interval in use, so it logs once per
    // change (observed: `advertisement interval updated from 1000ms to 2000ms by master`).
    if expect.version == Version::V3 {
        let got = Centisecs(u32::from(pkt.max_adver_int_v3()));
        let in_use = expect.master_adver_int.unwrap_or(expect.adver_int);
        if got != in_use {
            warnings.push(Warning::IntervalV3 { mine: in_use, got });
        }
    }

    // Step 14: checksum; IPv6 was checked by the kernel (IPV6_CHECKSUM).
    if let (IpAddr::V4(src), IpAddr::V4(dst)) = (rx.src, rx.dst) {
        match checksum::verify_ipv4(expect.version, src, dst, rx.advert, expect.unicast) {
            ChecksumOutcome::Valid => {}
            ChecksumOutcome::ValidOldUnicast => warnings.push(Warning::OldUnicastChecksum),
            ChecksumOutcome::Invalid => {
                return Err(DropReason::BadChecksum {
                    version: expect.version,
                });
            }
        }
    }

    // Step 15: multicast vs unicast.
    if expect.unicast == is_multicast(rx.dst) {
        return Err(DropReason::ModeMismatch {
            expected_unicast: expect.unicast,
        });
    }

    let advert = Advert::parse(&pkt, rx.family)?;

    // Step 17: the address list (accepted with a warning, like keepalived >= 2.3.3).
    if !expect.skip_addr_check {
        let addr_warning = if advert.addrs.len() != expect.addrs.len() {
            Some(Warning::AddrCount {
                expect: expect.addrs.len(),
                got: advert.addrs.len(),
            })
        } else {
            expect
                .addrs
                .iter()
                .find(|a| !advert.addrs.contains(a))
                .map(|missing| Warning::AddrList {
                    vrid: advert.vrid.get(),
                    missing: *missing,
                    from: rx.src,
                })
        };
        match (addr_warning, expect.drop_on_addr_mismatch) {
            (Some(Warning::AddrList { vrid, missing, .. }), true) => {
                return Err(DropReason::AddrListMismatch { vrid, missing });
            }
            (Some(w), _) => warnings.push(w),
            (None, _) => {}
        }
    }

    // Step 18: unicast source must be a peer.
    if expect.unicast && expect.check_unicast_src && !expect.unicast_peers.contains(&rx.src) {
        return Err(DropReason::UnicastSrcNotPeer { src: rx.src });
    }

    Ok(Valid {
        advert,
        warnings,
        ah_seq,
    })
}

/// The pseudo-header a reply should use after [`Warning::OldUnicastChecksum`]: keepalived
/// then sends its unicast v3 adverts with the old checksum too.
pub fn old_unicast_pseudo_header(src: Ipv4Addr) -> PseudoHeader {
    PseudoHeader::V4 {
        src,
        dst: checksum::VRRP_GROUP_V4,
    }
}
