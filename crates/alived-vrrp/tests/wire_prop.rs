//! Property tests: emit -> parse is the identity, the checksum agrees with etherparse's, and
//! no parser panics on arbitrary bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use alived_vrrp::types::{Centisecs, Priority, Version, Vrid};
use alived_vrrp::wire::arp::{ArpFrame, garp_frame};
use alived_vrrp::wire::checksum::{self, PseudoHeader};
use alived_vrrp::wire::ipv4::{self, AhTx, Ipv4Tx, RxPacket};
use alived_vrrp::wire::ipv6::{self, Ipv6Header};
use alived_vrrp::wire::ndisc::{self, NaFrame};
use alived_vrrp::wire::vrrp::pass_field;
use alived_vrrp::wire::{Advert, AhHeader, Auth, Expect, ExpectAuth, Family, validate};
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn addrs(family: Family) -> BoxedStrategy<Vec<IpAddr>> {
    match family {
        Family::V4 => {
            proptest::collection::vec(any::<[u8; 4]>().prop_map(|o| IpAddr::V4(o.into())), 0..20)
                .boxed()
        }
        Family::V6 => {
            proptest::collection::vec(any::<[u8; 16]>().prop_map(|o| IpAddr::V6(o.into())), 0..20)
                .boxed()
        }
    }
}

fn advert_for(family: Family) -> impl Strategy<Value = Advert> {
    let v2_auth = prop_oneof![
        Just(Auth::None),
        any::<[u8; 8]>().prop_map(Auth::Pass),
        Just(Auth::Ah)
    ];
    (
        any::<bool>(),
        1u8..=255,
        any::<u8>(),
        0u32..=4095,
        v2_auth,
        addrs(family),
    )
        .prop_map(move |(v3, vrid, prio, int, auth, addrs)| {
            let version = if v3 { Version::V3 } else { Version::V2 };
            let (adver_int, auth) = match (version, family) {
                (Version::V3, _) => (Centisecs(int), Auth::None),
                (Version::V2, Family::V4) => (Centisecs((int % 256) * 100), auth),
                (Version::V2, Family::V6) => (Centisecs((int % 256) * 100), Auth::None),
            };
            Advert {
                version,
                vrid: Vrid::new(vrid).unwrap(),
                priority: Priority(prio),
                adver_int,
                auth,
                addrs,
            }
        })
}

fn ipv4() -> impl Strategy<Value = Ipv4Addr> {
    any::<[u8; 4]>().prop_map(Ipv4Addr::from)
}

proptest! {
    #[test]
    fn advert_v4_round_trip(a in advert_for(Family::V4), src in ipv4(), dst in ipv4()) {
        let ph = PseudoHeader::for_advert(a.version, src.into(), dst.into());
        let bytes = a.to_bytes(Family::V4, ph).unwrap();
        prop_assert_eq!(bytes.len(), a.buffer_len(Family::V4));
        prop_assert!(ph.verify(&bytes));
        prop_assert_eq!(Advert::parse_bytes(&bytes, Family::V4).unwrap(), a);
    }

    #[test]
    fn advert_v6_round_trip(a in advert_for(Family::V6), src in any::<[u8; 16]>(), flow in 0u32..0x10_0000) {
        let src = Ipv6Addr::from(src);
        let pkt = ipv6::advert_packet(src, ipv6::VRRP_GROUP_V6, flow, &a).unwrap();
        let hdr = Ipv6Header::parse(&pkt).unwrap();
        prop_assert_eq!((hdr.src, hdr.flow_label, hdr.traffic_class), (src, flow, 0xc0));
        let ph = PseudoHeader::V6 { src, dst: ipv6::VRRP_GROUP_V6 };
        prop_assert!(ph.verify(&pkt[40..]));
        prop_assert_eq!(Advert::parse_bytes(&pkt[40..], Family::V6).unwrap(), a);
    }

    /// A whole IPv4 packet (with AH when the advert says so) validates against the
    /// expectations it was built from.
    #[test]
    fn ipv4_packet_round_trip(
        a in advert_for(Family::V4),
        src in ipv4(),
        ident in any::<u16>(),
        seq in any::<u32>(),
        key in any::<[u8; 8]>(),
        unicast in any::<bool>(),
    ) {
        let dst = if unicast { Ipv4Addr::new(10, 0, 0, 2) } else { Ipv4Addr::new(224, 0, 0, 18) };
        let tx = Ipv4Tx { src, dst, ttl: 255, ident };
        let ah = (a.auth == Auth::Ah && a.version == Version::V2).then_some(AhTx { seq, key, unicast });
        let mut buf = vec![0; ipv4::advert_packet_len(&a, ah.is_some())];
        ipv4::emit_advert_packet(&mut buf, &tx, &a, ah).unwrap();
        ipv4::fill_header_checksum(&mut buf[..20]);
        let eth = etherparse::Ipv4HeaderSlice::from_slice(&buf).unwrap();
        prop_assert_eq!(eth.to_header().calc_header_checksum(), eth.header_checksum());
        let rx = RxPacket::parse_ipv4(&buf).unwrap();
        let auth = match (&a.auth, a.version) {
            (Auth::Pass(p), Version::V2) => ExpectAuth::Pass(*p),
            (Auth::Ah, Version::V2) => ExpectAuth::Ah(key),
            _ => ExpectAuth::None,
        };
        let e = Expect {
            auth,
            adver_int: a.adver_int,
            addrs: &a.addrs,
            unicast,
            ..Expect::new(a.vrid, a.version)
        };
        let v = validate(&rx, &e).unwrap();
        prop_assert_eq!(v.advert, a);
        prop_assert_eq!(v.ah_seq, ah.map(|h| h.seq));
    }

    #[test]
    fn checksum_matches_etherparse(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let theirs = etherparse::checksum::Sum16BitWords::new().add_slice(&data).ones_complement();
        prop_assert_eq!(checksum::checksum(&data), u16::from_be(theirs));
    }

    #[test]
    fn garp_and_na_round_trip(mac in any::<[u8; 6]>(), v4 in ipv4(), v6 in any::<[u8; 16]>(), router in any::<bool>()) {
        let g = garp_frame(mac, v4);
        let p = ArpFrame::parse(&g).unwrap();
        prop_assert!(p.is_garp());
        prop_assert_eq!((p.sha, p.spa, p.tha), (mac, v4, [0xff; 6]));
        let v6 = Ipv6Addr::from(v6);
        let na = ndisc::unsolicited_na(mac, v6, router);
        prop_assert!(NaFrame::checksum_ok(&na));
        let n = NaFrame::parse(&na).unwrap();
        prop_assert_eq!((n.target, n.tlla, n.router, n.override_), (v6, Some(mac), router, true));
    }

    /// No parser panics on arbitrary bytes, and each either fails or gives a consistent view.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let vips: [IpAddr; 1] = ["10.0.0.1".parse().unwrap()];
        for (version, auth) in [
            (Version::V2, ExpectAuth::None),
            (Version::V2, ExpectAuth::Pass(pass_field(b"1111"))),
            (Version::V2, ExpectAuth::Ah(pass_field(b"secret12"))),
            (Version::V3, ExpectAuth::None),
        ] {
            let e = Expect { auth, addrs: &vips, ..Expect::new(Vrid::new(51).unwrap(), version) };
            if let Ok(rx) = RxPacket::parse_ipv4(&bytes) {
                prop_assert!(rx.advert.len() >= 8);
                let _ = validate(&rx, &e);
            }
            if let Ok(rx) = RxPacket::from_ipv6(Ipv6Addr::LOCALHOST, ipv6::VRRP_GROUP_V6, 255, &bytes) {
                let _ = validate(&rx, &e);
            }
        }
        for family in [Family::V4, Family::V6] {
            if let Ok(a) = Advert::parse_bytes(&bytes, family) {
                prop_assert!(a.addrs.len() == usize::from(bytes[3]));
            }
        }
        let _ = ArpFrame::parse(&bytes);
        let _ = NaFrame::parse(&bytes);
        let _ = NaFrame::checksum_ok(&bytes);
        let _ = Ipv6Header::parse(&bytes);
        let _ = AhHeader::parse(&bytes);
        let _ = alived_vrrp::wire::ah::verify_icv(&[0; 8], &bytes, 20, false);
        let _ = alived_vrrp::wire::ah::compute_icv(&[0; 8], &bytes, 20, false);
        let _ = ipv4::header_checksum(&bytes);
    }

    /// Valid packets with one byte flipped never panic either (deeper paths than random bytes).
    #[test]
    fn mutated_valid_packets_never_panic(a in advert_for(Family::V4), at in any::<prop::sample::Index>(), val in any::<u8>()) {
        let tx = Ipv4Tx { src: Ipv4Addr::new(10, 0, 0, 1), dst: Ipv4Addr::new(224, 0, 0, 18), ttl: 255, ident: 1 };
        let ah = (a.auth == Auth::Ah && a.version == Version::V2).then_some(AhTx { seq: 1, key: [1; 8], unicast: false });
        let mut buf = vec![0; ipv4::advert_packet_len(&a, ah.is_some())];
        ipv4::emit_advert_packet(&mut buf, &tx, &a, ah).unwrap();
        let i = at.index(buf.len());
        buf[i] = val;
        if let Ok(rx) = RxPacket::parse_ipv4(&buf) {
            let e = Expect { auth: ExpectAuth::Ah([1; 8]), addrs: &a.addrs, ..Expect::new(a.vrid, a.version) };
            let _ = validate(&rx, &e);
        }
    }
}

#[test]
fn ip_ident_skips_zero() {
    assert_eq!(ipv4::next_ident(0), 1);
    assert_eq!(ipv4::next_ident(1), 2);
    assert_eq!(ipv4::next_ident(u16::MAX), 1);
}
