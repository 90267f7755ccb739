//! Arbitrary bytes through every advert decoder (house style rule 2: a fuzz target the day a
//! decoder lands). Must never panic.
#![no_main]

use alived_vrrp::types::{Centisecs, Version, Vrid};
use alived_vrrp::wire::{
    Advert, Expect, ExpectAuth, Family, RxPacket, VrrpPacket, arp::ArpFrame, ndisc::NaFrame,
    validate, vrrp::pass_field,
};
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fuzz_target!(|data: &[u8]| {
    let Some(vrid) = Vrid::new(51) else { return };
    let vips: [IpAddr; 2] = [
        IpAddr::V4(Ipv4Addr::new(10, 77, 0, 230)),
        IpAddr::V4(Ipv4Addr::new(10, 77, 0, 231)),
    ];
    let peers: [IpAddr; 1] = [IpAddr::V4(Ipv4Addr::new(10, 77, 0, 2))];
    for (version, auth, unicast) in [
        (Version::V2, ExpectAuth::None, false),
        (Version::V2, ExpectAuth::Pass(pass_field(b"1111")), true),
        (Version::V2, ExpectAuth::Ah(pass_field(b"secret12")), false),
        (Version::V3, ExpectAuth::None, false),
    ] {
        let expect = Expect {
            auth,
            adver_int: Centisecs(100),
            addrs: &vips,
            unicast,
            unicast_peers: &peers,
            check_unicast_src: true,
            ..Expect::new(vrid, version)
        };
        if let Ok(rx) = RxPacket::parse_ipv4(data) {
            let _ = validate(&rx, &expect);
        }
        if let Ok(rx) = RxPacket::from_ipv6(
            Ipv6Addr::LOCALHOST,
            Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12),
            255,
            data,
        ) {
            let _ = validate(&rx, &expect);
        }
    }
    if let Ok(pkt) = VrrpPacket::new_checked(data) {
        for family in [Family::V4, Family::V6] {
            let _ = pkt.addr(family, 0);
            let _ = pkt.auth_data(family);
            let _ = pkt.expected_len(family);
            if let Ok(a) = Advert::parse(&pkt, family) {
                // Whatever parses re-emits without error when the interval fits.
                let _ = a.to_bytes(family, alived_vrrp::wire::PseudoHeader::None);
            }
        }
    }
    let _ = ArpFrame::parse(data);
    let _ = NaFrame::parse(data);
});
