//! Shared by the wire_drop* tests: a valid advert, built by our own emitter, and a runner.

#![allow(dead_code)] // each test file uses a different part

use alived_vrrp::types::{Centisecs, Priority, Version, Vrid};
use alived_vrrp::wire::ipv4::{self, AhTx, Ipv4Tx, RxPacket};
use alived_vrrp::wire::vrrp::pass_field;
use alived_vrrp::wire::{Advert, Auth, DropReason, Expect, ExpectAuth, Valid, validate};
use std::net::{IpAddr, Ipv4Addr};

pub const SRC: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
pub const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
pub const PEER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
pub const PW: &[u8] = b"secret12";

pub fn vips() -> Vec<IpAddr> {
    vec!["10.0.0.100".parse().unwrap(), "10.0.0.101".parse().unwrap()]
}

pub fn advert(version: Version, auth: Auth) -> Advert {
    Advert {
        version,
        vrid: Vrid::new(51).unwrap(),
        priority: Priority(100),
        adver_int: Centisecs(100),
        auth,
        addrs: vips(),
    }
}

pub fn packet(a: &Advert, dst: Ipv4Addr, ah: Option<u32>) -> Vec<u8> {
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

pub fn v2_pass() -> Vec<u8> {
    packet(
        &advert(Version::V2, Auth::Pass(pass_field(PW))),
        GROUP,
        None,
    )
}

pub fn run(bytes: &[u8], f: impl FnOnce(&mut Expect<'_>)) -> Result<Valid, DropReason> {
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

pub fn drop_of(bytes: &[u8], f: impl FnOnce(&mut Expect<'_>)) -> DropReason {
    match run(bytes, f) {
        Err(d) => d,
        Ok(v) => panic!("accepted: {v:?}"),
    }
}
