//! Root test: the gratuitous ARPs of a new MASTER, seen byte by byte from a third namespace
//! (behaviour spec 5.6): ARP requests, Ethernet and ARP sender = the master's MAC,
//! tha ff:ff:ff:ff:ff:ff, spa = tpa = VIP; 5 at once and 5 more after garp_master_delay.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use alived_vrrp::wire::arp::{ARP_REQUEST, BROADCAST};
use common::*;

#[test]
fn new_master_sends_two_bursts_of_five_garps() {
    let mut t = topology("garp", 1);
    let vip = t.vip();
    let mut conf = VrrpConf::fast_v3("r1", 100, vip);
    conf.garp_master_delay = Some(1);
    t.router(0).unwrap().set_config(conf.render());
    let mac = t.lab.mac(&t.routers[0].ns, "eth0").unwrap();
    let watch = ArpWatch::start(&t.lab, &t.client, "eth0").unwrap();

    t.router(0).unwrap().start().unwrap();
    let r1 = &t.routers[0];
    let master = expect_line(r1, "(VI_1) Entering MASTER STATE", FAST);
    expect_line(
        r1,
        &format!("(VI_1) Sending/queueing gratuitous ARPs on eth0 for {vip}"),
        FAST,
    );
    let ten = watch
        .wait_garps(vip, FAST, |g| (g.len() >= 10).then(|| g.to_vec()))
        .unwrap_or_else(|| panic!("fewer than 10 GARPs: {:?}", watch.garps(vip)));
    // garp_master_refresh is off: nothing follows the second burst.
    std::thread::sleep(Duration::from_millis(1500));
    let all = watch.garps(vip);
    assert_eq!(all.len(), 10, "GARPs after the second burst: {all:?}");

    for g in &ten {
        let f = g.frame;
        assert_eq!(f.eth_dst, BROADCAST);
        assert_eq!(f.eth_src, mac, "Ethernet source is not r1's eth0");
        assert_eq!(f.op, ARP_REQUEST);
        assert_eq!(f.sha, mac);
        assert_eq!((f.spa, f.tpa), (vip, vip));
        assert_eq!(f.tha, [0xff; 6]);
    }
    let (first, second) = ten.split_at(5);
    let spread = |b: &[SeenArp]| secs(b[0].at, b[b.len() - 1].at);
    let gap = secs(first[0].at, second[0].at);
    eprintln!(
        "measured: first GARP {:.3}s after the MASTER line; burst 1 spread {:.3}s, \
         burst 2 {:.3}s after burst 1 (garp_master_delay 1), spread {:.3}s",
        secs(master.at, first[0].at),
        spread(first),
        gap,
        spread(second)
    );
    assert!(
        spread(first) < 0.5 && spread(second) < 0.5,
        "bursts are not bursts"
    );
    assert!(
        (0.8..=5.0).contains(&gap),
        "second burst {gap:.3}s after the first"
    );
}
