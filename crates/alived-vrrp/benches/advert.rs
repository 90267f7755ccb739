//! Decode + validate cost per received advert: VRRPv2 with PASS, VRRPv2 with AH, and VRRPv3
//! (IPv4 multicast, one address), as the receive path runs it: IPv4 parse, then `validate`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark setup

use alived_vrrp::types::{Centisecs, Priority, Version, Vrid};
use alived_vrrp::wire::ipv4::{self, AhTx, Ipv4Tx, RxPacket};
use alived_vrrp::wire::vrrp::pass_field;
use alived_vrrp::wire::{Advert, Auth, Expect, ExpectAuth, validate};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

fn packet(a: &Advert, ah: Option<AhTx>) -> Vec<u8> {
    let tx = Ipv4Tx {
        src: Ipv4Addr::new(10, 77, 0, 1),
        dst: Ipv4Addr::new(224, 0, 0, 18),
        ttl: 255,
        ident: 1,
    };
    let mut v = vec![0; ipv4::advert_packet_len(a, ah.is_some())];
    ipv4::emit_advert_packet(&mut v, &tx, a, ah).unwrap();
    ipv4::fill_header_checksum(&mut v[..20]);
    v
}

fn bench(c: &mut Criterion) {
    let vips: Vec<IpAddr> = vec![IpAddr::V4(Ipv4Addr::new(10, 77, 0, 230))];
    let vrid = Vrid::new(51).unwrap();
    let pw = pass_field(b"1111");
    let key = pass_field(b"secret12");
    let base = Advert {
        version: Version::V2,
        vrid,
        priority: Priority(100),
        adver_int: Centisecs(100),
        auth: Auth::Pass(pw),
        addrs: vips.clone(),
    };
    let cases = [
        (
            "v2_pass",
            packet(&base, None),
            Version::V2,
            ExpectAuth::Pass(pw),
        ),
        (
            "v2_ah",
            packet(
                &Advert {
                    auth: Auth::Ah,
                    ..base.clone()
                },
                Some(AhTx {
                    seq: 1,
                    key,
                    unicast: false,
                }),
            ),
            Version::V2,
            ExpectAuth::Ah(key),
        ),
        (
            "v3",
            packet(
                &Advert {
                    version: Version::V3,
                    auth: Auth::None,
                    ..base.clone()
                },
                None,
            ),
            Version::V3,
            ExpectAuth::None,
        ),
    ];
    let mut g = c.benchmark_group("decode_validate");
    for (name, bytes, version, auth) in &cases {
        let expect = Expect {
            auth: *auth,
            addrs: &vips,
            ..Expect::new(vrid, *version)
        };
        // The setup is right, or the numbers mean nothing.
        assert!(validate(&RxPacket::parse_ipv4(bytes).unwrap(), &expect).is_ok());
        g.bench_function(*name, |b| {
            b.iter(|| {
                let rx = RxPacket::parse_ipv4(black_box(bytes)).unwrap();
                validate(&rx, black_box(&expect)).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
