//! Root tests: a GARP frame (and an unsolicited NA) sent on an AF_PACKET socket in one namespace is seen byte for
//! byte by a packet socket in another namespace on the same bridge.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use alived_sys::PacketSocket;
use alived_sys::packet_socket::{ETH_P_ARP, ETH_P_IPV6};
use common::*;

#[test]
fn garp_frame_crosses_the_bridge_unchanged() {
    let frame = frame_crosses("garp", ETH_P_ARP, |mac| {
        garp(mac, Ipv4Addr::new(10, 99, 0, 100))
    });
    assert_eq!(frame.len(), 42);
}

#[test]
fn unsolicited_na_crosses_the_bridge_unchanged() {
    let vip: Ipv6Addr = "2001:db8::61".parse().unwrap();
    let frame = frame_crosses("na", ETH_P_IPV6, |mac| unsolicited_na(mac, vip));
    assert_eq!(frame.len(), 14 + 40 + 32);
}

/// Sends the frame built by `build` (given A's MAC) from A until C sees it byte for byte on a
/// packet socket for `proto`; returns the frame.
fn frame_crosses(tag: &str, proto: u16, build: impl Fn([u8; 6]) -> Vec<u8>) -> Vec<u8> {
    let mut lab = Lab::new(tag);
    let a = lab.add_ns("a").unwrap();
    let c = lab.add_ns("c").unwrap();
    lab.lan(&[(&a, "eth0"), (&c, "eth0")]).unwrap();
    let if_a = lab.ifindex(&a, "eth0").unwrap();
    let if_c = lab.ifindex(&c, "eth0").unwrap();
    let mac_a = lab.mac(&a, "eth0").unwrap();
    let frame = build(mac_a);
    let sent = frame.clone();

    let (ready, done) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (r, d, want) = (ready.clone(), done.clone(), frame.clone());
    let rx = lab
        .spawn_async(&c, move || async move {
            let sock = PacketSocket::receiver(if_c, proto).unwrap();
            r.store(true, Ordering::SeqCst);
            let mut buf = vec![0u8; 2048];
            let mut seen = Vec::new();
            let found = tokio::time::timeout(Duration::from_secs(10), async {
                loop {
                    let n = sock.recv(&mut buf).await.unwrap();
                    if buf[..n] == want[..] {
                        return;
                    }
                    seen.push(buf[..n].to_vec());
                }
            })
            .await;
            d.store(true, Ordering::SeqCst);
            (found.is_ok(), seen)
        })
        .unwrap();
    let tx = lab
        .spawn_async(&a, move || async move {
            let sock = PacketSocket::sender(if_a).unwrap();
            for _ in 0..500 {
                if ready.load(Ordering::SeqCst) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let mut rounds = 0;
            while !done.load(Ordering::SeqCst) && rounds < 100 {
                assert_eq!(sock.send(&frame).await.unwrap(), frame.len());
                rounds += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .unwrap();
    let (found, seen) = rx.join().unwrap().unwrap();
    tx.join().unwrap().unwrap();
    assert!(
        found,
        "frame not seen unchanged; other frames seen: {seen:02x?}"
    );
    sent
}
