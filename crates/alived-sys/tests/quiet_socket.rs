//! Root tests: a pooled socket with quiet adverts, on the kernel's own filtering. Steady
//! adverts must not wake the reader yet stay queued for it, in order; a priority-0 advert,
//! an unknown VRID and anything once the filter is cleared must wake it. IPv4 and IPv6 raw
//! sockets hand their filters different bytes (with and without the IP header): both run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use alived_sys::SocketPool;
use alived_sys::vrrp_socket::{SocketKey, VRRP_GROUP_V4, VRRP_GROUP_V6, VrrpSocket};
use alived_vrrp::types::{Centisecs, Version, Vrid};
use alived_vrrp::wire::{Quiet, QuietFilter};
use common::*;

/// Long enough for a packet sent to have woken a reader that was going to wake.
const SILENCE: Duration = Duration::from_millis(300);

/// Phases of packets sent from one namespace: phase `i` goes once the reader asks for it
/// (`want` >= i), and `sent` becomes i 50 ms after its last packet.
struct Phases {
    want: Arc<AtomicUsize>,
    sent: Arc<AtomicUsize>,
}

impl Phases {
    fn new() -> Self {
        Phases {
            want: Arc::new(AtomicUsize::new(0)),
            sent: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn clone_flags(&self) -> Phases {
        Phases {
            want: self.want.clone(),
            sent: self.sent.clone(),
        }
    }

    /// Asks for phase `i` and waits (at most 5 s) until it was sent.
    async fn run(&self, i: usize) {
        self.want.store(i, Ordering::SeqCst);
        wait_for(|| self.sent.load(Ordering::SeqCst) >= i).await;
    }
}

fn send_phases(
    lab: &Lab,
    ns: &str,
    key: SocketKey,
    flags: Phases,
    phases: Vec<Vec<Vec<u8>>>,
    dst: IpAddr,
    src6: Option<Ipv6Addr>,
) -> std::thread::JoinHandle<std::io::Result<()>> {
    lab.spawn_async(ns, move || async move {
        let sock = VrrpSocket::open(key).unwrap();
        for (i, packets) in phases.iter().enumerate().map(|(i, p)| (i + 1, p)) {
            wait_for(|| flags.want.load(Ordering::SeqCst) >= i).await;
            for p in packets {
                sock.send_to(p, dst, src6).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            flags.sent.store(i, Ordering::SeqCst);
        }
    })
    .unwrap()
}

/// What the reader saw in each phase: whether it woke, and the (VRID, priority) of what one
/// drain of the unwatched sockets then read.
type Seen = Vec<(bool, Vec<(u8, u8)>)>;

/// The reader: VRID 5 subscribed, quiet for `quiet`; phases 1-3 with the filter, phase 4
/// after clearing it.
fn reader(
    lab: &Lab,
    ns: &str,
    key: SocketKey,
    quiet: Quiet,
    flags: Phases,
) -> std::thread::JoinHandle<std::io::Result<Seen>> {
    lab.spawn_async(ns, move || async move {
        let mut pool = SocketPool::new();
        pool.subscribe(key, 5, &[], 50).unwrap();
        let mut filter = QuietFilter::new();
        filter.insert(Vrid::new(5).unwrap(), quiet);
        assert!(pool.set_quiet(&key, &filter).unwrap(), "a change");
        assert!(
            !pool.set_quiet(&key, &filter).unwrap(),
            "the same filter again"
        );
        assert!(pool.has_quiet());
        let mut seen = Vec::new();
        for phase in 1..=4 {
            if phase == 4 {
                assert!(pool.set_quiet(&key, &QuietFilter::new()).unwrap());
                assert!(!pool.has_quiet());
            }
            flags.run(phase).await;
            let woke = tokio::time::timeout(SILENCE, pool.readable()).await.is_ok();
            let mut got = Vec::new();
            pool.drain(1024, |_, p| got.push((p.vrrp()[1], p.vrrp()[2])));
            seen.push((woke, got));
        }
        seen
    })
    .unwrap()
}

/// Phase 1: three steady adverts (quiet: no wake, all three read after); 2: priority 0
/// (wakes); 3: an unknown VRID (wakes, counted, not delivered); 4: filter cleared, a steady
/// advert wakes.
fn expect(seen: &Seen) {
    assert_eq!(seen[0], (false, vec![(5, 100); 3]), "steady adverts");
    assert_eq!(seen[1], (true, vec![(5, 0)]), "priority 0");
    assert_eq!(seen[2], (true, vec![]), "unknown VRID");
    assert_eq!(seen[3], (true, vec![(5, 100)]), "without the filter");
}

/// The four phases from A to B on `family`'s multicast key, with `pkt(vrid, priority, n)`
/// building the n-th packet, and VRID 5 quiet for `quiet` on B.
fn four_phases(tag: &str, v6: bool, quiet: Quiet, pkt: impl Fn(u8, u8, u16) -> Vec<u8>) -> Seen {
    let (lab, a, b) = two_hosts(tag);
    let if_a = lab.ifindex(&a, "eth0").unwrap();
    let if_b = lab.ifindex(&b, "eth0").unwrap();
    let (key, dst, src6): (fn(u32) -> SocketKey, IpAddr, _) = if v6 {
        let ll_a = wait_link_local(&lab, &a, "eth0");
        (
            SocketKey::multicast_v6,
            IpAddr::V6(VRRP_GROUP_V6),
            Some(ll_a),
        )
    } else {
        (SocketKey::multicast_v4, IpAddr::V4(VRRP_GROUP_V4), None)
    };
    let phases = vec![
        vec![pkt(5, 100, 1), pkt(5, 100, 2), pkt(5, 100, 3)],
        vec![pkt(5, 0, 4)],
        vec![pkt(9, 100, 5)],
        vec![pkt(5, 100, 6)],
    ];
    let flags = Phases::new();
    let rx = reader(&lab, &b, key(if_b), quiet, flags.clone_flags());
    let tx = send_phases(&lab, &a, key(if_a), flags, phases, dst, src6);
    tx.join().unwrap().unwrap();
    rx.join().unwrap().unwrap()
}

#[test]
fn ipv4_steady_adverts_wait_unread_and_priority_zero_wakes() {
    let vip = [Ipv4Addr::new(10, 9, 0, 50)];
    let src = Ipv4Addr::new(10, 9, 0, 1);
    let quiet = Quiet::Steady {
        version: Version::V2,
        adver_int: Centisecs(100),
    };
    expect(&four_phases("qv4", false, quiet, |vrid, prio, id| {
        ipv4_packet(src, VRRP_GROUP_V4, id, &vrrp_v2(vrid, prio, &vip))
    }));
}

#[test]
fn ipv6_steady_adverts_wait_unread_and_priority_zero_wakes() {
    let vip: [Ipv6Addr; 1] = ["2001:db8::50".parse().unwrap()];
    let quiet = Quiet::Steady {
        version: Version::V3,
        adver_int: Centisecs(10),
    };
    expect(&four_phases("qv6", true, quiet, |vrid, prio, _| {
        vrrp_v3_v6(vrid, prio, 10, &vip)
    }));
}
