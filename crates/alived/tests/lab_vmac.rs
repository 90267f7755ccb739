//! Root test: `use_vmac` (VRRPv3, advert_int 0.1). The MASTER puts the VIP on macvlan
//! `vrrp.51` with MAC 00:00:5e:00:01:33, its GARPs and ARP replies come from that MAC, and an
//! orderly stop removes the interface.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;

const VMAC: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x01, 0x33];

#[test]
fn vip_lives_on_the_vmac_interface_and_speaks_with_the_vmac() {
    let mut t = topology("vmac", 1);
    let vip = t.vip();
    let vip_s = vip.to_string();
    let mut conf = VrrpConf::fast_v3("r1", 100, vip);
    conf.use_vmac = true;
    conf.garp_master_delay = Some(1);
    t.router(0).unwrap().set_config(conf.render());
    let watch = ArpWatch::start(&t.lab, &t.client, "eth0").unwrap();

    t.router(0).unwrap().start().unwrap();
    let r1 = &t.routers[0];
    expect_line(r1, "(VI_1) Entering MASTER STATE", FAST);
    assert!(
        wait_until(FAST, || r1.vip_device(&vip_s).unwrap().as_deref()
            == Some("vrrp.51")),
        "VIP not on vrrp.51: {:?}",
        r1.vip_device(&vip_s)
    );
    assert_eq!(t.lab.mac(&r1.ns, "vrrp.51").unwrap(), VMAC);

    let garps = watch
        .wait_garps(vip, FAST, |g| (g.len() >= 5).then(|| g.to_vec()))
        .unwrap_or_else(|| panic!("fewer than 5 GARPs: {:?}", watch.garps(vip)));
    for g in &garps {
        assert_eq!(g.frame.eth_src, VMAC, "GARP Ethernet source");
        assert_eq!(g.frame.sha, VMAC, "GARP sender MAC");
    }

    let replies = arping(
        &t.lab,
        &t.client,
        "eth0",
        t.client_addr(),
        vip,
        Duration::from_millis(500),
    )
    .unwrap();
    eprintln!(
        "measured: ARP replies for {vip}: {:?}",
        replies.iter().map(fmt_mac).collect::<Vec<_>>()
    );
    assert_eq!(
        replies,
        vec![VMAC],
        "the VIP must answer ARP with the VMAC only"
    );

    t.router(0).unwrap().stop().unwrap();
    let r1 = &t.routers[0];
    assert!(
        wait_until(FAST, || t.lab.ifindex(&r1.ns, "vrrp.51").is_err()),
        "vrrp.51 still exists after an orderly stop"
    );
    assert!(!r1.has_vip(&vip_s).unwrap());
}
