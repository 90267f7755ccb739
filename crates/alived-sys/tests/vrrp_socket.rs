//! Root tests: raw VRRP sockets between namespaces on a bridge.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use alived_sys::vrrp_socket::{Family, SocketKey, VRRP_GROUP_V4, VRRP_GROUP_V6, VrrpSocket};
use alived_sys::{SocketPool, SocketStats};
use common::*;

const WAIT: Duration = Duration::from_secs(10);

/// One packet taken from the pool, with the token its VRID was subscribed under.
#[derive(Debug)]
struct Got {
    token: usize,
    bytes: Vec<u8>,
    info: alived_sys::RecvInfo,
}

impl Got {
    fn vrrp(&self) -> &[u8] {
        &self.bytes[self.info.vrrp_offset..]
    }
}

async fn recv(pool: &mut SocketPool) -> Got {
    let (token, bytes, info) = pool.recv_owned().await;
    Got { token, bytes, info }
}

/// Sender loop in A: sends each packet of `packets` (built per round) every 100 ms until
/// `done` is set, at most 100 rounds. Waits for `ready` first.
fn sender(
    lab: &Lab,
    ns: &str,
    key: SocketKey,
    ready: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
    packets: Vec<(Vec<u8>, IpAddr, Option<Ipv6Addr>)>,
) -> std::thread::JoinHandle<std::io::Result<usize>> {
    lab.spawn_async(ns, move || async move {
        let sock = VrrpSocket::open(key).unwrap();
        for _ in 0..500 {
            if ready.load(Ordering::SeqCst) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut rounds = 0;
        while !done.load(Ordering::SeqCst) && rounds < 100 {
            for (p, dst, src6) in &packets {
                sock.send_to(p, *dst, *src6).await.unwrap();
            }
            rounds += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        rounds
    })
    .unwrap()
}

#[test]
fn ipv4_multicast_advert_reaches_its_vrid_only() {
    let (lab, a, b) = two_hosts("v4m");
    let if_b = lab.ifindex(&b, "eth0").unwrap();
    let if_a = lab.ifindex(&a, "eth0").unwrap();
    let src = Ipv4Addr::new(10, 9, 0, 1);
    let vrrp51 = vrrp_v2(51, 150, &[Ipv4Addr::new(10, 9, 0, 100)]);
    let p51 = ipv4_packet(src, VRRP_GROUP_V4, 1, &vrrp51);
    let p99 = ipv4_packet(
        src,
        VRRP_GROUP_V4,
        2,
        &vrrp_v2(99, 100, &[Ipv4Addr::new(10, 9, 0, 99)]),
    );
    let (ready, done) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );

    let (r, d) = (ready.clone(), done.clone());
    let receiver = lab
        .spawn_async(&b, move || async move {
            let mut pool = SocketPool::new();
            let key = SocketKey::multicast_v4(if_b);
            pool.subscribe(key, 51, &[], 5100).unwrap();
            pool.subscribe(key, 52, &[], 5200).unwrap();
            assert_eq!(pool.len(), 1, "both VRIDs share one socket");
            r.store(true, Ordering::SeqCst);
            let got = tokio::time::timeout(WAIT, recv(&mut pool)).await;
            d.store(true, Ordering::SeqCst);
            let got = got.expect("no advert for VRID 51 within the bound");
            // Anything else queued must not be for VRID 52 (nothing was sent to it).
            let mut others = Vec::new();
            pool.drain(64, |t, _| others.push(t));
            let other = got.token == 5100 && !others.contains(&5200);
            let unknown = SocketStats::get(&pool.stats(&key).unwrap().unknown_vrid);
            (got, other, unknown)
        })
        .unwrap();
    let tx = sender(
        &lab,
        &a,
        SocketKey::multicast_v4(if_a),
        ready,
        done,
        vec![
            (p99, IpAddr::V4(VRRP_GROUP_V4), None),
            (p51.clone(), IpAddr::V4(VRRP_GROUP_V4), None),
        ],
    );
    let (got, other_empty, unknown) = receiver.join().unwrap().unwrap();
    tx.join().unwrap().unwrap();

    assert_eq!(got.info.hop_limit, Some(255));
    assert_eq!(got.info.src, IpAddr::V4(src));
    assert_eq!(got.info.dst, Some(IpAddr::V4(VRRP_GROUP_V4)));
    assert_eq!(got.info.ifindex, Some(if_b));
    assert_eq!(got.info.vrrp_offset, 20);
    assert!(got.info.received_at.is_some(), "kernel receive timestamp");
    assert_eq!(
        got.vrrp(),
        &vrrp51[..],
        "VRRP message arrives byte for byte"
    );
    // Header as sent, except the checksum the kernel filled in (and it must be valid).
    assert_eq!(got.bytes[..10], p51[..10]);
    assert_eq!(got.bytes[12..20], p51[12..20]);
    assert_eq!(
        checksum(&got.bytes[..20]),
        0,
        "kernel-filled IPv4 header checksum"
    );
    assert!(other_empty, "VRID 52 subscriber got a packet meant for 51");
    assert!(unknown >= 1, "VRID 99 advert should count as unknown VRID");
}

#[test]
fn ipv4_unicast_advert_to_peer() {
    let (lab, a, b) = two_hosts("v4u");
    let if_b = lab.ifindex(&b, "eth0").unwrap();
    let if_a = lab.ifindex(&a, "eth0").unwrap();
    let (src, peer) = (Ipv4Addr::new(10, 9, 0, 1), Ipv4Addr::new(10, 9, 0, 2));
    let vrrp = vrrp_v2(62, 200, &[Ipv4Addr::new(10, 9, 0, 162)]);
    let pkt = ipv4_packet(src, peer, 7, &vrrp);
    let (ready, done) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (r, d) = (ready.clone(), done.clone());
    let receiver = lab
        .spawn_async(&b, move || async move {
            let mut pool = SocketPool::new();
            let key = SocketKey::unicast(if_b, Family::V4, Some(IpAddr::V4(peer)));
            pool.subscribe(key, 62, &[], 0).unwrap();
            r.store(true, Ordering::SeqCst);
            let got = tokio::time::timeout(WAIT, recv(&mut pool)).await;
            d.store(true, Ordering::SeqCst);
            got.expect("no unicast advert within the bound")
        })
        .unwrap();
    let key_a = SocketKey::unicast(if_a, Family::V4, Some(IpAddr::V4(src)));
    let tx = sender(
        &lab,
        &a,
        key_a,
        ready,
        done,
        vec![(pkt, IpAddr::V4(peer), None)],
    );
    let got = receiver.join().unwrap().unwrap();
    tx.join().unwrap().unwrap();
    assert_eq!(got.info.src, IpAddr::V4(src));
    assert_eq!(got.info.dst, Some(IpAddr::V4(peer)));
    assert_eq!(got.info.hop_limit, Some(255));
    assert_eq!(got.info.ifindex, Some(if_b));
    assert_eq!(got.vrrp(), &vrrp[..]);
}

#[test]
fn ipv6_v3_advert_with_kernel_checksum() {
    let (lab, a, b) = two_hosts("v6m");
    let if_a = lab.ifindex(&a, "eth0").unwrap();
    let if_b = lab.ifindex(&b, "eth0").unwrap();
    let ll_a = wait_link_local(&lab, &a, "eth0");
    let vip: Ipv6Addr = "2001:db8::61".parse().unwrap();
    let msg = vrrp_v3_v6(61, 200, 100, &[vip]);
    let (ready, done) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (r, d) = (ready.clone(), done.clone());
    let receiver = lab
        .spawn_async(&b, move || async move {
            let mut pool = SocketPool::new();
            pool.subscribe(SocketKey::multicast_v6(if_b), 61, &[], 0)
                .unwrap();
            r.store(true, Ordering::SeqCst);
            let got = tokio::time::timeout(WAIT, recv(&mut pool)).await;
            d.store(true, Ordering::SeqCst);
            got.expect("no IPv6 advert within the bound")
        })
        .unwrap();
    let tx = sender(
        &lab,
        &a,
        SocketKey::multicast_v6(if_a),
        ready,
        done,
        vec![(msg.clone(), IpAddr::V6(VRRP_GROUP_V6), Some(ll_a))],
    );
    let got = receiver.join().unwrap().unwrap();
    tx.join().unwrap().unwrap();
    assert_eq!(got.info.hop_limit, Some(255));
    assert_eq!(got.info.src, IpAddr::V6(ll_a));
    assert_eq!(got.info.dst, Some(IpAddr::V6(VRRP_GROUP_V6)));
    assert_eq!(got.info.ifindex, Some(if_b));
    assert_eq!(got.bytes.len(), msg.len());
    assert_eq!(got.bytes[..6], msg[..6]);
    assert_eq!(got.bytes[8..], msg[8..]);
    assert_ne!(
        got.bytes[6..8],
        [0, 0],
        "kernel should have filled the checksum"
    );
    assert!(
        v6_checksum_ok(ll_a, VRRP_GROUP_V6, &got.bytes),
        "pseudo-header checksum"
    );
}

#[test]
fn ipv4_configured_multicast_group() {
    let (lab, a, b) = two_hosts("v4g");
    let if_b = lab.ifindex(&b, "eth0").unwrap();
    let if_a = lab.ifindex(&a, "eth0").unwrap();
    let group = Ipv4Addr::new(224, 0, 0, 99);
    let vrrp = vrrp_v2(70, 100, &[Ipv4Addr::new(10, 9, 0, 70)]);
    let pkt = ipv4_packet(Ipv4Addr::new(10, 9, 0, 1), group, 3, &vrrp);
    let (ready, done) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (r, d) = (ready.clone(), done.clone());
    let receiver = lab
        .spawn_async(&b, move || async move {
            let mut pool = SocketPool::new();
            let key = SocketKey::multicast_v4(if_b);
            pool.subscribe(key, 70, &[IpAddr::V4(group)], 0).unwrap();
            r.store(true, Ordering::SeqCst);
            let got = tokio::time::timeout(WAIT, recv(&mut pool)).await;
            d.store(true, Ordering::SeqCst);
            got.expect("nothing received on the configured group")
        })
        .unwrap();
    let tx = sender(
        &lab,
        &a,
        SocketKey::multicast_v4(if_a),
        ready,
        done,
        vec![(pkt, IpAddr::V4(group), None)],
    );
    let got = receiver.join().unwrap().unwrap();
    tx.join().unwrap().unwrap();
    assert_eq!(got.info.dst, Some(IpAddr::V4(group)));
    assert_eq!(got.vrrp(), &vrrp[..]);
}

#[test]
fn ipv6_unicast_to_global_peer() {
    let (lab, a, b) = two_hosts("v6u");
    let if_b = lab.ifindex(&b, "eth0").unwrap();
    let if_a = lab.ifindex(&a, "eth0").unwrap();
    let (src, peer): (Ipv6Addr, Ipv6Addr) = (
        "2001:db8:9::1".parse().unwrap(),
        "2001:db8:9::2".parse().unwrap(),
    );
    lab.ip(
        &a,
        &["addr", "add", "2001:db8:9::1/64", "dev", "eth0", "nodad"],
    )
    .unwrap();
    lab.ip(
        &b,
        &["addr", "add", "2001:db8:9::2/64", "dev", "eth0", "nodad"],
    )
    .unwrap();
    let msg = vrrp_v3_v6(80, 100, 100, &["2001:db8:9::80".parse().unwrap()]);
    let (ready, done) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (r, d) = (ready.clone(), done.clone());
    let receiver = lab
        .spawn_async(&b, move || async move {
            let mut pool = SocketPool::new();
            let key = SocketKey::unicast(if_b, Family::V6, Some(IpAddr::V6(peer)));
            pool.subscribe(key, 80, &[], 0).unwrap();
            r.store(true, Ordering::SeqCst);
            let got = tokio::time::timeout(WAIT, recv(&mut pool)).await;
            d.store(true, Ordering::SeqCst);
            got.expect("no IPv6 unicast advert within the bound")
        })
        .unwrap();
    let key_a = SocketKey::unicast(if_a, Family::V6, Some(IpAddr::V6(src)));
    let tx = sender(
        &lab,
        &a,
        key_a,
        ready,
        done,
        vec![(msg.clone(), IpAddr::V6(peer), Some(src))],
    );
    let got = receiver.join().unwrap().unwrap();
    tx.join().unwrap().unwrap();
    assert_eq!(got.info.src, IpAddr::V6(src));
    assert_eq!(got.info.dst, Some(IpAddr::V6(peer)));
    assert_eq!(got.info.hop_limit, Some(255));
    assert_eq!(got.info.ifindex, Some(if_b));
    assert!(v6_checksum_ok(src, peer, &got.bytes));
    assert_eq!(got.bytes[8..], msg[8..]);
}

#[test]
fn pool_shares_and_releases_sockets() {
    let mut lab = Lab::new("pool");
    let a = lab.add_ns("a").unwrap();
    lab.ip(
        &a,
        &[
            "link", "add", "eth0", "type", "veth", "peer", "name", "eth1",
        ],
    )
    .unwrap();
    lab.ip(&a, &["link", "set", "eth0", "up"]).unwrap();
    let idx = lab.ifindex(&a, "eth0").unwrap();
    lab.run_async(&a, move || async move {
        let mut pool = SocketPool::new();
        let k4 = SocketKey::multicast_v4(idx);
        let k6 = SocketKey::multicast_v6(idx);
        let s1 = pool.subscribe(k4, 1, &[], 1).unwrap();
        assert!(
            pool.subscribe(k4, 1, &[], 9).is_err(),
            "same VRID twice on one socket"
        );
        let s2 = pool.subscribe(k4, 2, &[], 2).unwrap();
        pool.subscribe(k6, 1, &[], 3).unwrap();
        assert_eq!(pool.len(), 2);
        assert!(Arc::ptr_eq(&s1, &s2));
        assert!(pool.unsubscribe(k4, 1));
        assert!(!pool.unsubscribe(k4, 1), "already gone");
        assert_eq!(pool.len(), 2, "VRID 2 still uses the IPv4 socket");
        assert!(pool.unsubscribe(k6, 1));
        assert_eq!(pool.len(), 1);
        let again = pool.subscribe(k4, 1, &[], 1).unwrap();
        assert!(Arc::ptr_eq(&again, &s2));
        assert!(pool.unsubscribe(k4, 1) && pool.unsubscribe(k4, 2));
        assert!(pool.is_empty());
        // Bad requests are errors, not panics.
        assert!(VrrpSocket::open(SocketKey::multicast_v4(0)).is_err());
        let mut bad = SocketKey::multicast_v6(idx);
        bad.proto = 51;
        assert!(VrrpSocket::open(bad).is_err());
        let sock = VrrpSocket::open(SocketKey::multicast_v4(idx)).unwrap();
        assert!(sock.send_v4(&[0x60; 40], VRRP_GROUP_V4).await.is_err());
        assert!(sock.send_v6(&[0; 8], None, VRRP_GROUP_V6).await.is_err());
    })
    .unwrap();
}

/// In `ns`, once `ready` is set: one VRRPv2 advert to the VRRP group on `ifindex` for each
/// VRID 1..=`n`, back to back, in order; then `sent` is set, 50 ms after the last one (so that
/// it has reached the receiver's queue).
fn burst_sender(
    lab: &Lab,
    ns: &str,
    ifindex: u32,
    n: u8,
    ready: Arc<AtomicBool>,
    sent: Arc<AtomicBool>,
) -> std::thread::JoinHandle<std::io::Result<()>> {
    let src = Ipv4Addr::new(10, 9, 0, 1);
    lab.spawn_async(ns, move || async move {
        let sock = VrrpSocket::open(SocketKey::multicast_v4(ifindex)).unwrap();
        wait_for(|| ready.load(Ordering::SeqCst)).await;
        for vrid in 1..=n {
            let p = ipv4_packet(
                src,
                VRRP_GROUP_V4,
                u16::from(vrid),
                &vrrp_v2(vrid, 100, &[Ipv4Addr::new(10, 9, 0, vrid)]),
            );
            sock.send_to(&p, IpAddr::V4(VRRP_GROUP_V4), None)
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        sent.store(true, Ordering::SeqCst);
    })
    .unwrap()
}

/// A burst queued while the receiver was not reading (more packets than one `recvmmsg`
/// batch) is taken whole, in the order sent, each with its own addresses and timestamp.
#[test]
fn a_queued_burst_is_taken_whole_and_in_order() {
    const N: u8 = 21; // more than two batches of 8
    let (lab, a, b) = two_hosts("burst");
    let if_b = lab.ifindex(&b, "eth0").unwrap();
    let if_a = lab.ifindex(&a, "eth0").unwrap();
    let (ready, sent) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (r, s) = (ready.clone(), sent.clone());
    let receiver = lab
        .spawn_async(&b, move || async move {
            let mut pool = SocketPool::new();
            let key = SocketKey::multicast_v4(if_b);
            for vrid in 1..=N {
                pool.subscribe(key, vrid, &[], usize::from(vrid) * 10)
                    .unwrap();
            }
            r.store(true, Ordering::SeqCst);
            // Read nothing until the whole burst has been sent.
            wait_for(|| s.load(Ordering::SeqCst)).await;
            let mut got = Vec::new();
            let collect = async {
                while got.len() < usize::from(N) {
                    pool.drain(1024, |t, p| {
                        got.push((t, p.vrrp()[1], p.info.ifindex, p.info.received_at))
                    });
                    if got.len() < usize::from(N) {
                        pool.readable().await;
                    }
                }
            };
            let done = tokio::time::timeout(WAIT, collect).await.is_ok();
            (done, got)
        })
        .unwrap();
    let tx = burst_sender(&lab, &a, if_a, N, ready, sent);
    tx.join().unwrap().unwrap();
    let (done, got) = receiver.join().unwrap().unwrap();
    assert!(done, "only {} of {N} packets within the bound", got.len());
    let vrids: Vec<u8> = got.iter().map(|g| g.1).collect();
    assert_eq!(vrids, (1..=N).collect::<Vec<_>>(), "every packet, in order");
    for (token, vrid, ifindex, at) in &got {
        assert_eq!(*token, usize::from(*vrid) * 10, "token of VRID {vrid}");
        assert_eq!(*ifindex, Some(if_b));
        assert!(at.is_some(), "kernel timestamp of VRID {vrid}");
    }
    let stamps: Vec<_> = got.iter().map(|g| g.3).collect();
    assert!(
        stamps.windows(2).all(|w| w[0] <= w[1]),
        "timestamps in order"
    );
}

/// A paused pool is not woken by packets (its sockets are out of the reactor's set) but keeps
/// them queued; resumed, it is ready at once for what arrived meanwhile.
#[test]
fn a_paused_pool_keeps_packets_without_waking_and_wakes_on_resume() {
    const N: u8 = 3;
    let (lab, a, b) = two_hosts("pause");
    let if_b = lab.ifindex(&b, "eth0").unwrap();
    let if_a = lab.ifindex(&a, "eth0").unwrap();
    let (ready, sent) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (r, s) = (ready.clone(), sent.clone());
    let receiver = lab
        .spawn_async(&b, move || async move {
            let mut pool = SocketPool::new();
            let key = SocketKey::multicast_v4(if_b);
            for vrid in 1..=N {
                pool.subscribe(key, vrid, &[], usize::from(vrid)).unwrap();
            }
            pool.pause();
            r.store(true, Ordering::SeqCst);
            wait_for(|| s.load(Ordering::SeqCst)).await;
            // Unpaused, the queued packets would make it ready at once.
            let woken_while_paused =
                tokio::time::timeout(Duration::from_millis(300), pool.readable())
                    .await
                    .is_ok();
            let paused = pool.is_paused();
            let resumed = pool.resume().is_ok();
            let woken_on_resume = tokio::time::timeout(WAIT, pool.readable()).await.is_ok();
            let mut got = Vec::new();
            pool.drain(1024, |t, p| got.push((t, p.vrrp()[1])));
            (woken_while_paused, paused, resumed, woken_on_resume, got)
        })
        .unwrap();
    let tx = burst_sender(&lab, &a, if_a, N, ready, sent);
    tx.join().unwrap().unwrap();
    let (woken_while_paused, paused, resumed, woken_on_resume, got) =
        receiver.join().unwrap().unwrap();
    assert!(!woken_while_paused, "a paused pool reported readiness");
    assert!(paused && resumed);
    assert!(
        woken_on_resume,
        "packets queued while paused did not wake the resumed pool"
    );
    assert_eq!(
        got,
        (1..=N).map(|v| (usize::from(v), v)).collect::<Vec<_>>()
    );
}
