//! One test per drop reason of behaviour spec 5.7 (IP layer, length, TTL, version, auth
//! type, password, interval, type, checksum, mode): a valid advert is built, one thing is
//! changed, and `validate` must name that change, with keepalived's counter and log line.
//! AH, addresses, unicast sources and IPv6 are in wire_drop_auth.rs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

mod wire_support;

use alived_vrrp::types::{Centisecs, Version, Vrid};
use alived_vrrp::wire::checksum::PseudoHeader;
use alived_vrrp::wire::ipv4::RxPacket;
use alived_vrrp::wire::vrrp::pass_field;
use alived_vrrp::wire::{Advert, Auth, DropReason, Expect, ExpectAuth, Family, Warning, validate};
use std::net::Ipv6Addr;
use wire_support::*;

#[test]
fn valid_baseline_is_accepted() {
    let v = run(&v2_pass(), |_| {}).unwrap();
    assert_eq!(v.advert, advert(Version::V2, Auth::Pass(pass_field(PW))));
    assert!(v.warnings.is_empty());
}

#[test]
fn too_short() {
    let p = v2_pass();
    let d = drop_of(&p[..27], |_| {});
    assert_eq!(d, DropReason::TooShort { len: 27 });
    assert_eq!(
        d.log_message("VI_1"),
        "IPv4 VRRP packet too short - 27 bytes"
    );
    assert_eq!(d.counter_name(), "packet_len_err");
    let mut a = packet(&advert(Version::V2, Auth::Ah), GROUP, Some(1));
    a.truncate(40);
    assert_eq!(drop_of(&a, |_| {}), DropReason::TooShortAh { len: 40 });
    let d =
        RxPacket::from_ipv6(Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST, 255, &[0x31; 7]).unwrap_err();
    assert_eq!(d.log_message("x"), "IPv6 VRRP packet too short - 7 bytes");
}

#[test]
fn not_ipv4_or_not_vrrp() {
    let mut p = v2_pass();
    p[0] = 0x60;
    assert_eq!(
        drop_of(&p, |_| {}),
        DropReason::NotIpv4 { first_byte: 0x60 }
    );
    let mut p = v2_pass();
    p[9] = 17;
    assert_eq!(drop_of(&p, |_| {}), DropReason::WrongProtocol { proto: 17 });
}

#[test]
fn vrid_zero_and_unknown() {
    let mut p = v2_pass();
    p[21] = 0;
    assert_eq!(drop_of(&p, |_| {}), DropReason::VridZero);
    p[21] = 52;
    let d = drop_of(&p, |_| {});
    assert_eq!(d, DropReason::UnknownVrid { got: 52 });
    assert_eq!(d.counter_name(), "unknown_vrid");
    assert!(!d.logged_by_default());
    assert!(DropReason::PasswordMismatch.logged_by_default());
}

#[test]
fn bad_length_long_and_short() {
    let mut p = v2_pass();
    p.extend_from_slice(&[0; 4]);
    let tot = p.len() as u16;
    p[2..4].copy_from_slice(&tot.to_be_bytes());
    let d = drop_of(&p, |_| {});
    assert_eq!(
        d,
        DropReason::BadLength {
            len: 48,
            expect: 44
        }
    );
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) vrrp packet too long, length 48 and expect 44"
    );
    assert_eq!(d.counter_name(), "packet_len_err");
    let mut p = v2_pass();
    p[23] = 3; // claims 3 addresses
    let d = drop_of(&p, |_| {});
    assert_eq!(
        d,
        DropReason::BadLength {
            len: 44,
            expect: 48
        }
    );
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) vrrp packet too short, length 44 and expect 48"
    );
}

#[test]
fn ethernet_padding_is_tolerated() {
    // A v3 advert with one address is 20 + 12 = 32 bytes; Ethernet pads it to 46.
    let a = Advert {
        addrs: vec!["10.0.0.100".parse().unwrap()],
        ..advert(Version::V3, Auth::None)
    };
    let mut p = packet(&a, GROUP, None);
    p.resize(46, 0);
    let addrs = a.addrs.clone();
    let rx = RxPacket::parse_ipv4(&p).unwrap();
    assert_eq!(rx.received_len, 32);
    let e = Expect {
        addrs: &addrs,
        ..Expect::new(Vrid::new(51).unwrap(), Version::V3)
    };
    assert_eq!(validate(&rx, &e).unwrap().advert, a);
}

#[test]
fn padding_trim_never_leaves_a_short_message() {
    // tot_len says 24 (a 4-byte "message") inside a padded 46-byte frame.
    let mut p = v2_pass();
    p.resize(46, 0);
    p[2..4].copy_from_slice(&24u16.to_be_bytes());
    assert_eq!(drop_of(&p, |_| {}), DropReason::TooShort { len: 24 });
}

#[test]
fn ttl_must_be_255_for_multicast() {
    let mut p = v2_pass();
    p[8] = 64;
    let d = drop_of(&p, |_| {});
    assert_eq!(
        d,
        DropReason::BadTtl {
            got: 64,
            expect: 255
        }
    );
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) invalid TTL/HL. Received 64 and expect 255"
    );
    assert_eq!(d.counter_name(), "ip_ttl_err");
}

#[test]
fn unicast_ttl_is_free_unless_ranged() {
    let mut p = packet(&advert(Version::V2, Auth::Pass(pass_field(PW))), PEER, None);
    p[8] = 64;
    assert!(run(&p, |e| e.unicast = true).is_ok());
    let d = drop_of(&p, |e| {
        e.unicast = true;
        e.unicast_ttl_range = Some((200, 255));
    });
    assert_eq!(
        d,
        DropReason::TtlOutOfRange {
            got: 64,
            min: 200,
            max: 255
        }
    );
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) TTL/HL 64 not in range 200 - 255"
    );
}

#[test]
fn length_is_checked_for_the_packets_own_version() {
    // keepalived 2.2.7, v2 instance, a v2-sized advert (1 address) with a v3 header:
    // `(VI_1) vrrp packet too long, length 40 and expect 32` (observed).
    let one = Advert {
        addrs: vec!["10.0.0.100".parse().unwrap()],
        ..advert(Version::V2, Auth::Pass(pass_field(PW)))
    };
    let mut p = packet(&one, GROUP, None);
    p[20] = 0x31;
    let d = drop_of(&p, |_| {});
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) vrrp packet too long, length 40 and expect 32"
    );
}

#[test]
fn wrong_version() {
    // A well-formed v3 advert reaching a v2 instance.
    let p = packet(&advert(Version::V3, Auth::None), GROUP, None);
    let d = drop_of(&p, |_| {});
    assert_eq!(d, DropReason::WrongVersion { got: 3, expect: 2 });
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) wrong version. Received 3 and expect 2"
    );
    assert_eq!(
        Advert::parse_bytes(&[0x41, 1, 1, 0, 0, 1, 0, 0], Family::V4),
        Err(DropReason::UnknownVersion { got: 4 })
    );
}

#[test]
fn invalid_auth_type() {
    let mut p = v2_pass();
    p[24] = 3;
    let d = drop_of(&p, |_| {});
    assert_eq!(d, DropReason::InvalidAuthType { got: 3 });
    assert_eq!(d.log_message("VI_1"), "(VI_1) Invalid auth type: 3");
    assert_eq!(d.counter_name(), "invalid_authtype");
}

#[test]
fn auth_type_mismatch() {
    let d = drop_of(&v2_pass(), |e| e.auth = ExpectAuth::None);
    assert_eq!(d, DropReason::AuthTypeMismatch { got: 1, expect: 0 });
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) received a 1 auth, expecting 0!"
    );
    assert_eq!(d.counter_name(), "authtype_mismatch");
}

#[test]
fn password_mismatch() {
    let d = drop_of(&v2_pass(), |e| {
        e.auth = ExpectAuth::Pass(pass_field(b"1111"))
    });
    assert_eq!(d, DropReason::PasswordMismatch);
    assert_eq!(d.log_message("VI_1"), "(VI_1) received an invalid passwd!");
    assert_eq!(d.counter_name(), "auth_failure");
}

#[test]
fn interval_mismatch_v2() {
    let d = drop_of(&v2_pass(), |e| e.adver_int = Centisecs(200));
    assert_eq!(d, DropReason::IntervalMismatch { mine: 2, got: 1 });
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) advertisement interval mismatch mine=2 sec rcv'd=1 sec"
    );
    assert_eq!(d.counter_name(), "advert_interval_err");
}

#[test]
fn interval_mismatch_v3_is_a_warning() {
    let p = packet(&advert(Version::V3, Auth::None), GROUP, None);
    let v = run(&p, |e| {
        e.version = Version::V3;
        e.adver_int = Centisecs(10);
    })
    .unwrap();
    let w = Warning::IntervalV3 {
        mine: Centisecs(10),
        got: Centisecs(100),
    };
    assert_eq!(v.warnings, vec![w]);
    assert_eq!(
        w.log_message("VI_1"),
        "(VI_1) advertisement interval updated from 100ms to 1000ms by master"
    );
    // Once adopted, the same interval is no news.
    let v = run(&p, |e| {
        e.version = Version::V3;
        e.adver_int = Centisecs(10);
        e.master_adver_int = Some(Centisecs(100));
    })
    .unwrap();
    assert!(v.warnings.is_empty());
}

#[test]
fn invalid_type() {
    let mut p = v2_pass();
    p[20] = 0x22;
    let d = drop_of(&p, |_| {});
    assert_eq!(d, DropReason::InvalidType { got: 2 });
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) Invalid packet type. 2 and expect 1"
    );
    assert_eq!(d.counter_name(), "invalid_type_rcvd");
}

#[test]
fn tot_len_mismatch() {
    let mut p = v2_pass();
    p[2..4].copy_from_slice(&60u16.to_be_bytes());
    let d = drop_of(&p, |_| {});
    assert_eq!(
        d,
        DropReason::TotLenMismatch {
            tot_len: 60,
            received: 44
        }
    );
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) ip_tot_len mismatch against received length. 60 and received 44"
    );
}

#[test]
fn bad_checksum_v2_and_v3() {
    let mut p = v2_pass();
    p[26] ^= 0x01;
    let d = drop_of(&p, |_| {});
    assert_eq!(
        d,
        DropReason::BadChecksum {
            version: Version::V2
        }
    );
    assert_eq!(d.log_message("VI_1"), "(VI_1) Invalid VRRPv2 checksum");
    // A v3 checksum computed without the pseudo-header is wrong.
    let mut p = packet(&advert(Version::V3, Auth::None), GROUP, None);
    let c = PseudoHeader::None.compute(&p[20..]);
    p[26..28].copy_from_slice(&c.to_be_bytes());
    let d = drop_of(&p, |e| e.version = Version::V3);
    assert_eq!(d.log_message("VI_1"), "(VI_1) Invalid VRRPv3 checksum");
}

#[test]
fn old_unicast_v3_checksum_is_accepted_with_a_warning() {
    let mut p = packet(&advert(Version::V3, Auth::None), PEER, None);
    let c = alived_vrrp::wire::validate::old_unicast_pseudo_header(SRC).compute(&p[20..]);
    p[26..28].copy_from_slice(&c.to_be_bytes());
    let v = run(&p, |e| {
        e.version = Version::V3;
        e.unicast = true;
    })
    .unwrap();
    assert_eq!(v.warnings, vec![Warning::OldUnicastChecksum]);
    assert_eq!(
        Warning::OldUnicastChecksum.log_message("VI_1"),
        "(VI_1) Setting unicast VRRPv3 checksum to old version"
    );
}

#[test]
fn multicast_vs_unicast() {
    let d = drop_of(&v2_pass(), |e| e.unicast = true);
    assert_eq!(
        d,
        DropReason::ModeMismatch {
            expected_unicast: true
        }
    );
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) Expected unicast packet but received multicast packet"
    );
    let p = packet(&advert(Version::V2, Auth::Pass(pass_field(PW))), PEER, None);
    let d = drop_of(&p, |_| {});
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) Expected multicast packet but received unicast packet"
    );
}
