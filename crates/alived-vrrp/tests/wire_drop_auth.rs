//! Drop reasons of behaviour spec 5.7, continued: AH (presence, ICV, SPI, replay), the
//! address list, unicast sources, IPv6, and the counter names of every reason.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

mod wire_support;

use alived_vrrp::types::{Version, Vrid};
use alived_vrrp::wire::ah::{self, AH_LEN};
use alived_vrrp::wire::checksum::PseudoHeader;
use alived_vrrp::wire::ipv4::RxPacket;
use alived_vrrp::wire::vrrp::pass_field;
use alived_vrrp::wire::{
    Advert, AhReplay, Auth, DropReason, Expect, ExpectAuth, Family, Warning, validate,
};
use std::net::{IpAddr, Ipv6Addr};
use wire_support::*;

#[test]
fn ah_presence_must_match() {
    let ah = packet(&advert(Version::V2, Auth::Ah), GROUP, Some(1));
    let d = drop_of(&ah, |_| {});
    assert_eq!(d, DropReason::AhUnexpected);
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) Received AH header but auth type not AH"
    );
    assert_eq!(d.counter_name(), "authtype_mismatch");
    let d = drop_of(&v2_pass(), |e| e.auth = ExpectAuth::Ah(pass_field(PW)));
    assert_eq!(d, DropReason::AhMissing);
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) No AH header but auth type is AH"
    );
    // v3 ignores authentication: an AH expectation is void.
    let v3 = packet(&advert(Version::V3, Auth::None), GROUP, None);
    assert!(
        run(&v3, |e| {
            e.version = Version::V3;
            e.auth = ExpectAuth::Ah(pass_field(PW));
        })
        .is_ok()
    );
}

fn ah_expect(e: &mut Expect<'_>) {
    e.auth = ExpectAuth::Ah(pass_field(PW));
}

#[test]
fn ah_icv_spi_and_replay() {
    let good = packet(&advert(Version::V2, Auth::Ah), GROUP, Some(7));
    let v = run(&good, ah_expect).unwrap();
    assert_eq!(v.ah_seq, Some(7));

    let d = drop_of(&good, |e| e.auth = ExpectAuth::Ah(pass_field(b"other")));
    assert_eq!(d, DropReason::AhIcvBad);
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !"
    );
    assert_eq!(d.counter_name(), "auth_failure");

    // A valid ICV over a wrong SPI.
    let mut spi = good.clone();
    spi[24..28].copy_from_slice(&[10, 0, 0, 9]);
    let icv = ah::compute_icv(&pass_field(PW), &spi, 20, false);
    spi[32..44].copy_from_slice(&icv);
    let d = drop_of(&spi, ah_expect);
    assert_eq!(
        d,
        DropReason::AhSpiBad {
            got: 0x0a00_0009,
            expect: 0x0a00_0001
        }
    );
    assert_eq!(
        d.log_message("VI_1"),
        "IPSEC AH : invalid IPSEC SPI value. 16777226 and expect 150994954"
    );
    // The exact line keepalived 2.2.7 logged for source 10.88.0.2 and SPI 10.88.0.9.
    let observed = DropReason::AhSpiBad {
        got: u32::from_be_bytes([10, 88, 0, 9]),
        expect: u32::from_be_bytes([10, 88, 0, 2]),
    };
    assert_eq!(
        observed.log_message("VI_1"),
        "IPSEC AH : invalid IPSEC SPI value. 33576970 and expect 151017482"
    );

    let mut replay = AhReplay::default();
    replay.accept(7);
    let d = drop_of(&good, |e| {
        ah_expect(e);
        e.ah_replay = replay;
    });
    assert_eq!(d, DropReason::AhReplay { seq: 7, last: 7 });
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) IPSEC-AH : sequence number 7 already processed. Packet dropped. Local(7)"
    );
    let next = packet(&advert(Version::V2, Auth::Ah), GROUP, Some(8));
    assert!(
        run(&next, |e| {
            ah_expect(e);
            e.ah_replay = replay;
        })
        .is_ok()
    );
    // Sending moves the same counter (keepalived has one per instance).
    assert_eq!(replay.next_tx(), 8);
    assert_eq!(good.len(), 20 + AH_LEN + 8 + 8 + 8);
}

#[test]
fn ah_unicast_zeroes_ttl_in_icv() {
    let p = packet(&advert(Version::V2, Auth::Ah), PEER, Some(1));
    assert!(ah::verify_icv(&pass_field(PW), &p, 20, true));
    let mut q = p.clone();
    q[8] = 17;
    assert!(ah::verify_icv(&pass_field(PW), &q, 20, true));
    assert!(!ah::verify_icv(&pass_field(PW), &q, 20, false));
}

#[test]
fn address_mismatch_warns_by_default_and_drops_on_request() {
    let other = Advert {
        addrs: vec!["10.0.0.100".parse().unwrap(), "10.0.0.102".parse().unwrap()],
        ..advert(Version::V2, Auth::Pass(pass_field(PW)))
    };
    let p = packet(&other, GROUP, None);
    let v = run(&p, |_| {}).unwrap();
    let missing: IpAddr = "10.0.0.101".parse().unwrap();
    assert_eq!(
        v.warnings,
        vec![Warning::AddrList {
            vrid: 51,
            missing,
            from: SRC.into()
        }]
    );
    assert_eq!(
        v.warnings[0].log_message("VI_1"),
        "(VI_1) ip address associated with VRID 51 not present in MASTER advert: 10.0.0.101"
    );
    assert_eq!(v.warnings[0].counter_name(), Some("addr_list_err"));
    let d = drop_of(&p, |e| e.drop_on_addr_mismatch = true);
    assert_eq!(d, DropReason::AddrListMismatch { vrid: 51, missing });
    assert_eq!(d.counter_name(), "addr_list_err");
    assert!(
        run(&p, |e| e.skip_addr_check = true)
            .unwrap()
            .warnings
            .is_empty()
    );

    let one = Advert {
        addrs: vec!["10.0.0.100".parse().unwrap()],
        ..other
    };
    let p = packet(&one, GROUP, None);
    let v = run(&p, |_| {}).unwrap();
    assert_eq!(v.warnings, vec![Warning::AddrCount { expect: 2, got: 1 }]);
    assert_eq!(
        v.warnings[0].log_message("VI_1"),
        "(VI_1) expected 2 VIPs but received 1"
    );
    let d = drop_of(&p, |e| e.drop_on_addr_mismatch = true);
    assert_eq!(d, DropReason::AddrCountMismatch { expect: 2, got: 1 });
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) received an unexpected ip number count 1, expected 2!"
    );
    // 2.2.7 checks the count before the checksum.
    let mut bad = p.clone();
    bad[26] ^= 0xff;
    assert_eq!(drop_of(&bad, |e| e.drop_on_addr_mismatch = true), d);
    assert_eq!(
        drop_of(&bad, |_| {}),
        DropReason::BadChecksum {
            version: Version::V2
        }
    );
}

#[test]
fn unicast_source_must_be_a_peer() {
    let p = packet(&advert(Version::V2, Auth::Pass(pass_field(PW))), PEER, None);
    // Our own source 10.0.0.1 is not in the peer list {10.0.0.2}.
    let d = drop_of(&p, |e| {
        e.unicast = true;
        e.check_unicast_src = true;
    });
    assert_eq!(d, DropReason::UnicastSrcNotPeer { src: SRC.into() });
    assert_eq!(
        d.log_message("VI_1"),
        "(VI_1) unicast source address 10.0.0.1 not a unicast peer"
    );
    assert!(run(&p, |e| e.unicast = true).is_ok());
}

#[test]
fn ipv6_v3_and_v2() {
    let src: Ipv6Addr = "fe80::1".parse().unwrap();
    let a = Advert {
        addrs: vec!["2001:db8::1".parse().unwrap()],
        ..advert(Version::V3, Auth::None)
    };
    let pkt =
        alived_vrrp::wire::ipv6::advert_packet(src, alived_vrrp::wire::ipv6::VRRP_GROUP_V6, 0, &a)
            .unwrap();
    let rx =
        RxPacket::from_ipv6(src, alived_vrrp::wire::ipv6::VRRP_GROUP_V6, 255, &pkt[40..]).unwrap();
    let e = Expect {
        addrs: &a.addrs,
        ..Expect::new(Vrid::new(51).unwrap(), Version::V3)
    };
    assert_eq!(validate(&rx, &e).unwrap().advert, a);
    let rx64 =
        RxPacket::from_ipv6(src, alived_vrrp::wire::ipv6::VRRP_GROUP_V6, 64, &pkt[40..]).unwrap();
    assert_eq!(
        validate(&rx64, &e),
        Err(DropReason::BadTtl {
            got: 64,
            expect: 255
        })
    );
    // keepalived's non-standard v2 over IPv6: 16-byte addresses, no auth data.
    let v2 = Advert {
        version: Version::V2,
        ..a.clone()
    };
    let msg = v2
        .to_bytes(
            Family::V6,
            PseudoHeader::V6 {
                src,
                dst: alived_vrrp::wire::ipv6::VRRP_GROUP_V6,
            },
        )
        .unwrap();
    assert_eq!(msg.len(), 8 + 16);
    let rx = RxPacket::from_ipv6(src, alived_vrrp::wire::ipv6::VRRP_GROUP_V6, 255, &msg).unwrap();
    let e = Expect {
        addrs: &a.addrs,
        ..Expect::new(Vrid::new(51).unwrap(), Version::V2)
    };
    assert_eq!(validate(&rx, &e).unwrap().advert, v2);
}

#[test]
fn every_counter_name_is_known() {
    let keepalived = [
        "packet_len_err",
        "ip_ttl_err",
        "invalid_type_rcvd",
        "advert_interval_err",
        "addr_list_err",
        "invalid_authtype",
        "authtype_mismatch",
        "auth_failure",
    ];
    let alived_only = [
        "version_err",
        "checksum_err",
        "mode_mismatch_err",
        "unicast_src_err",
        "unknown_vrid",
        "malformed_err",
    ];
    let all = [
        DropReason::TooShort { len: 0 },
        DropReason::TooShortAh { len: 0 },
        DropReason::TooShortIpv6 { len: 0 },
        DropReason::NotIpv4 { first_byte: 0 },
        DropReason::WrongProtocol { proto: 0 },
        DropReason::VridZero,
        DropReason::UnknownVrid { got: 1 },
        DropReason::AhUnexpected,
        DropReason::AhMissing,
        DropReason::BadLength { len: 0, expect: 1 },
        DropReason::BadTtl {
            got: 0,
            expect: 255,
        },
        DropReason::TtlOutOfRange {
            got: 0,
            min: 1,
            max: 2,
        },
        DropReason::WrongVersion { got: 3, expect: 2 },
        DropReason::UnknownVersion { got: 9 },
        DropReason::InvalidAuthType { got: 9 },
        DropReason::AuthTypeMismatch { got: 1, expect: 0 },
        DropReason::PasswordMismatch,
        DropReason::AhIcvBad,
        DropReason::AhSpiBad { got: 1, expect: 2 },
        DropReason::AhReplay { seq: 1, last: 1 },
        DropReason::IntervalMismatch { mine: 1, got: 2 },
        DropReason::InvalidType { got: 2 },
        DropReason::TotLenMismatch {
            tot_len: 1,
            received: 2,
        },
        DropReason::BadChecksum {
            version: Version::V3,
        },
        DropReason::ModeMismatch {
            expected_unicast: false,
        },
        DropReason::AddrCountMismatch { expect: 1, got: 2 },
        DropReason::AddrListMismatch {
            vrid: 1,
            missing: SRC.into(),
        },
        DropReason::UnicastSrcNotPeer { src: SRC.into() },
    ];
    for d in all {
        let c = d.counter_name();
        assert!(
            keepalived.contains(&c) || alived_only.contains(&c),
            "{d:?}: {c}"
        );
        assert!(!d.log_message("VI_9").is_empty());
    }
}
