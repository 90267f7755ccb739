//! One test per drop reason of behaviour spec 5.7: a valid advert is built, one thing is
//! changed, and `validate` must name that change, with keepalived's counter and log line.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use alived_vrrp::types::{Centisecs, Priority, Version, Vrid};
use alived_vrrp::wire::ah::{self, AH_LEN};
use alived_vrrp::wire::checksum::PseudoHeader;
use alived_vrrp::wire::ipv4::{self, AhTx, Ipv4Tx, RxPacket};
use alived_vrrp::wire::vrrp::pass_field;
use alived_vrrp::wire::{
    Advert, AhReplay, Auth, DropReason, Expect, ExpectAuth, Family, Warning, validate,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const SRC: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
const PEER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const PW: &[u8] = b"secret12";

fn vips() -> Vec<IpAddr> {
    vec!["10.0.0.100".parse().unwrap(), "10.0.0.101".parse().unwrap()]
}

fn advert(version: Version, auth: Auth) -> Advert {
    Advert {
        version,
        vrid: Vrid::new(51).unwrap(),
        priority: Priority(100),
        adver_int: Centisecs(100),
        auth,
        addrs: vips(),
    }
}

fn packet(a: &Advert, dst: Ipv4Addr, ah: Option<u32>) -> Vec<u8> {
    let tx = Ipv4Tx {
        src: SRC,
        dst,
        ttl: 255,
        ident: 1,
    };
    let ah = ah.map(|seq| AhTx {
        seq,
        key: pass_field(PW),
        unicast: !dst.is_multicast(),
    });
    let mut v = vec![0; ipv4::advert_packet_len(a, ah.is_some())];
    ipv4::emit_advert_packet(&mut v, &tx, a, ah).unwrap();
    ipv4::fill_header_checksum(&mut v[..20]);
    v
}

fn v2_pass() -> Vec<u8> {
    packet(
        &advert(Version::V2, Auth::Pass(pass_field(PW))),
        GROUP,
        None,
    )
}

fn run(
    bytes: &[u8],
    f: impl FnOnce(&mut Expect<'_>),
) -> Result<alived_vrrp::wire::Valid, DropReason> {
    let addrs = vips();
    let peers: [IpAddr; 1] = [PEER.into()];
    let mut e = Expect {
        auth: ExpectAuth::Pass(pass_field(PW)),
        addrs: &addrs,
        unicast_peers: &peers,
        ..Expect::new(Vrid::new(51).unwrap(), Version::V2)
    };
    f(&mut e);
    let rx = RxPacket::parse_ipv4(bytes)?;
    validate(&rx, &e)
}

fn drop_of(bytes: &[u8], f: impl FnOnce(&mut Expect<'_>)) -> DropReason {
    match run(bytes, f) {
        Err(d) => d,
        Ok(v) => panic!("accepted: {v:?}"),
    }
}

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
