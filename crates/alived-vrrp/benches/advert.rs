//! Decode + validate cost per received advert: VRRPv2 with PASS, VRRPv2 with AH, and VRRPv3
//! (IPv4 multicast, one address), as the receive path runs it: IPv4 parse, then `validate`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark setup

use alived_vrrp::instance::{Input, Instance, InstanceConfig, State, Timestamp};
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

    // The whole receive path of a BACKUP: decode, validate, then the state machine's handling
    // of the master's advert (re-arming the down timer), draining its actions.
    let mut g = c.benchmark_group("decode_validate_handle");
    let (_, bytes, version, auth) = &cases[0];
    let expect = Expect {
        auth: *auth,
        addrs: &vips,
        ..Expect::new(vrid, *version)
    };
    let mut cfg = InstanceConfig::new("VI_1", vrid, IpAddr::V4(Ipv4Addr::new(10, 77, 0, 2)));
    cfg.priority = Priority(99);
    cfg.adver_int = Centisecs(100);
    cfg.vips = vips.clone();
    let mut inst = Instance::new(cfg).unwrap();
    inst.handle(Timestamp::ZERO, Input::Start);
    while inst.poll_action().is_some() {}
    let src = IpAddr::V4(Ipv4Addr::new(10, 77, 0, 1));
    let mut now = 0u64;
    g.bench_function("v2_pass_backup", |b| {
        b.iter(|| {
            now += 1_000_000;
            let rx = RxPacket::parse_ipv4(black_box(bytes)).unwrap();
            let valid = validate(&rx, black_box(&expect)).unwrap();
            inst.handle(
                Timestamp::from_micros(now),
                Input::Advert {
                    src,
                    advert: valid.advert,
                },
            );
            while let Some(a) = inst.poll_action() {
                black_box(a);
            }
        })
    });
    // Still a BACKUP: every advert was accepted, none timed out.
    assert_eq!(inst.status().state, State::Backup);
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
