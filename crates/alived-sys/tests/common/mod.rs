//! Shared helpers for the root tests: hand-built packets and checksums (independent of the
//! wire module, on purpose), plus the namespace lab.
#![allow(dead_code, unused_imports)]

use std::net::{Ipv4Addr, Ipv6Addr};

pub use alived_sys::testnet::{Lab, parse_mac, run, wait_until};

/// RFC 1071 one's-complement sum of `data`, folded, not inverted.
pub fn sum16(data: &[u8], mut acc: u32) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u32::from(*last) << 8;
    }
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc
}

/// The Internet checksum of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    !(sum16(data, 0) as u16)
}

/// A VRRPv2 advert (RFC 3768 §5.1) with no auth and a correct checksum.
pub fn vrrp_v2(vrid: u8, prio: u8, vips: &[Ipv4Addr]) -> Vec<u8> {
    let mut m = vec![0x21, vrid, prio, vips.len() as u8, 0, 1, 0, 0];
    for v in vips {
        m.extend_from_slice(&v.octets());
    }
    m.extend_from_slice(&[0; 8]);
    let c = checksum(&m);
    m[6..8].copy_from_slice(&c.to_be_bytes());
    m
}

/// An IPv4 header as keepalived builds it (TOS 0xc0, TTL 255, proto 112, checksum left 0 for
/// the kernel) followed by `payload`.
pub fn ipv4_packet(src: Ipv4Addr, dst: Ipv4Addr, id: u16, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut p = vec![0x45, 0xc0];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&[0, 0, 255, 112, 0, 0]);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(payload);
    p
}

/// A VRRPv3 message (RFC 5798 §5.1) with 16-byte addresses and checksum 0 (kernel fills it).
pub fn vrrp_v3_v6(vrid: u8, prio: u8, centis: u16, vips: &[Ipv6Addr]) -> Vec<u8> {
    let mut m = vec![0x31, vrid, prio, vips.len() as u8];
    m.extend_from_slice(&(centis & 0x0fff).to_be_bytes());
    m.extend_from_slice(&[0, 0]);
    for v in vips {
        m.extend_from_slice(&v.octets());
    }
    m
}

/// Verifies a VRRP-over-IPv6 checksum with the IPv6 pseudo-header (RFC 8200 §8.1).
pub fn v6_checksum_ok(src: Ipv6Addr, dst: Ipv6Addr, msg: &[u8]) -> bool {
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&src.octets());
    pseudo.extend_from_slice(&dst.octets());
    pseudo.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, 112]);
    let acc = sum16(&pseudo, 0);
    sum16(msg, acc) == 0xffff
}

/// A gratuitous ARP request frame as keepalived sends it (behaviour spec 5.6).
pub fn garp(mac: [u8; 6], vip: Ipv4Addr) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&vip.octets());
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&vip.octets());
    f
}

/// Waits until `done()` holds, for at most 5 s, looking every 10 ms.
pub async fn wait_for(done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Two hosts A and B on a bridge, eth0 each, with IPv4 addresses 10.9.0.1 and .2.
pub fn two_hosts(tag: &str) -> (Lab, String, String) {
    let mut lab = Lab::new(tag);
    let a = lab.add_ns("a").unwrap();
    let b = lab.add_ns("b").unwrap();
    lab.lan(&[(&a, "eth0"), (&b, "eth0")]).unwrap();
    lab.ip(&a, &["addr", "add", "10.9.0.1/24", "dev", "eth0"])
        .unwrap();
    lab.ip(&b, &["addr", "add", "10.9.0.2/24", "dev", "eth0"])
        .unwrap();
    (lab, a, b)
}

/// The link-local IPv6 address of `ifname` in `ns`, once it has one (at most 10 s).
pub fn wait_link_local(lab: &Lab, ns: &str, ifname: &str) -> Ipv6Addr {
    assert!(wait_until(std::time::Duration::from_secs(10), || lab
        .ip(ns, &["-6", "addr", "show", "dev", ifname, "scope", "link"])
        .is_ok_and(|o| o.contains("fe80"))));
    link_local(lab, ns, ifname)
}

/// The link-local IPv6 address of `ifname` in `ns`.
pub fn link_local(lab: &Lab, ns: &str, ifname: &str) -> Ipv6Addr {
    let out = lab
        .ip(
            ns,
            &["-6", "-o", "addr", "show", "dev", ifname, "scope", "link"],
        )
        .unwrap();
    let addr = out
        .split("inet6 ")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no link-local address in {out:?}"));
    addr.parse().unwrap()
}

/// An unsolicited neighbour advertisement as keepalived sends it (behaviour spec 5.6): from
/// the VIP to ff02::1, hop limit 255, Override flag, target link-layer address option.
pub fn unsolicited_na(mac: [u8; 6], vip: Ipv6Addr) -> Vec<u8> {
    let all_nodes: Ipv6Addr = "ff02::1".parse().unwrap();
    let mut icmp = vec![136, 0, 0, 0, 0x20, 0, 0, 0];
    icmp.extend_from_slice(&vip.octets());
    icmp.extend_from_slice(&[2, 1]);
    icmp.extend_from_slice(&mac);
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&vip.octets());
    pseudo.extend_from_slice(&all_nodes.octets());
    pseudo.extend_from_slice(&(icmp.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, 58]);
    let c = !(sum16(&icmp, sum16(&pseudo, 0)) as u16);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    let mut f = vec![0x33, 0x33, 0, 0, 0, 1];
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0]);
    f.extend_from_slice(&(icmp.len() as u16).to_be_bytes());
    f.extend_from_slice(&[58, 255]);
    f.extend_from_slice(&vip.octets());
    f.extend_from_slice(&all_nodes.octets());
    f.extend_from_slice(&icmp);
    f
}
