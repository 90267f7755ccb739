#![allow(clippy::unwrap_used)]
use alived_vrrp::types::{Centisecs, Priority, Version, Vrid};
use alived_vrrp::wire::ipv4::{self, AhTx, Ipv4Tx};
use alived_vrrp::wire::vrrp::pass_field;
use alived_vrrp::wire::{Advert, Auth, Family, PseudoHeader};
use std::net::Ipv4Addr;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let kind = args[1].as_str();
    let seq: u32 = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(1);
    let src = Ipv4Addr::new(10, 88, 0, 2);
    let dst = Ipv4Addr::new(10, 88, 0, 1);
    let mut a = Advert {
        version: Version::V2,
        vrid: Vrid::new(51).unwrap(),
        priority: Priority(200),
        adver_int: Centisecs(100),
        auth: Auth::Ah,
        addrs: vec!["10.88.0.230".parse().unwrap()],
    };
    let tx = Ipv4Tx {
        src,
        dst,
        ttl: 64,
        ident: seq as u16,
    };
    let (ah, key) = match kind {
        "ah" | "ahspi" | "ahlow" => (true, pass_field(b"secret12")),
        "ahbad" => (true, pass_field(b"wrongpw1")),
        _ => (false, [0; 8]),
    };
    if let Some(k) = kind.strip_prefix("p_") {
        a.auth = Auth::Pass(pass_field(if k.contains("badpw") {
            b"2222"
        } else {
            b"1111"
        }));
        if k.contains("none") {
            a.auth = Auth::None;
        }
        if k.contains("int2") {
            a.adver_int = Centisecs(200);
        }
        let mut v = vec![0; ipv4::advert_packet_len(&a, false)];
        ipv4::emit_advert_packet(&mut v, &tx, &a, None).unwrap();
        if k.contains("badck") {
            v[26] ^= 1;
        }
        if k.contains("v3hdr") {
            v[20] = 0x31;
        }
        if k.contains("type2") {
            v[20] = 0x22;
        }
        println!(
            "{}",
            v.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        return;
    }
    if kind == "v3int" {
        a.adver_int = Centisecs(200);
    }
    if kind == "v3two" {
        a.addrs.push("10.88.0.231".parse().unwrap());
    }
    if kind == "v2ttl" {
        a.auth = Auth::None;
        let mut v = vec![0; ipv4::advert_packet_len(&a, false)];
        let tx = Ipv4Tx {
            src,
            dst,
            ttl: 64,
            ident: 1,
        };
        ipv4::emit_advert_packet(&mut v, &tx, &a, None).unwrap();
        v[20] = 0x31; // v3 header on a v2-sized packet
        println!(
            "{}",
            v.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        return;
    }
    if !ah {
        a.version = Version::V3;
        a.auth = Auth::None;
    }
    if kind == "ahlow" {
        a.priority = Priority(50);
    }
    let ahtx = ah.then_some(AhTx {
        seq,
        key,
        unicast: true,
    });
    let mut v = vec![0; ipv4::advert_packet_len(&a, ah)];
    ipv4::emit_advert_packet(&mut v, &tx, &a, ahtx).unwrap();
    if kind == "ahspi" {
        v[24..28].copy_from_slice(&[10, 88, 0, 9]);
        let icv = alived_vrrp::wire::ah::compute_icv(&key, &v, 20, true);
        v[32..44].copy_from_slice(&icv);
    }
    if kind == "v3old" {
        let c = PseudoHeader::V4 {
            src,
            dst: Ipv4Addr::new(224, 0, 0, 18),
        }
        .compute(&v[20..]);
        v[26..28].copy_from_slice(&c.to_be_bytes());
    }
    let _ = Family::V4;
    println!(
        "{}",
        v.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
}
