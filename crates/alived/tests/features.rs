//! Root tests of instance features on a real LAN of namespaces: use_vmac (IPv4, IPv6,
//! vmac_xmit_base), virtual_routes/virtual_rules, mcast_dst_ip and sync groups.

mod driver_support;

use alived_sys::testnet::wait_until;
use driver_support::{BACKUP_INIT, MASTER, Router, T, net, start_in_order, v3_conf, wait_vip};
use std::time::Duration;

#[test]
fn use_vmac_puts_the_vip_on_a_vrrp_mac_interface_removed_at_stop() {
    let mut n = net("vmac", 2, 89);
    let vip = "10.89.0.100";
    n.routers[0].configure(&v3_conf(150, 59, vip, "  use_vmac"));
    n.routers[1].configure(&v3_conf(100, 59, vip, "  use_vmac"));
    n.routers[0].start();
    n.routers[1].start();
    let r1 = &n.routers[0];
    assert!(wait_vip(&n.lab, r1, vip, true), "{}", r1.log_text());
    assert!(r1.wait_log("(VI_1): Success creating VMAC interface vrrp.59", 1, T));
    let vmac = n
        .lab
        .ip(&r1.ns, &["-br", "addr", "show", "dev", "vrrp.59"])
        .unwrap();
    assert!(vmac.contains(vip), "{vmac}");
    assert_eq!(
        n.lab.mac(&r1.ns, "vrrp.59").unwrap(),
        [0x00, 0x00, 0x5e, 0x00, 0x01, 59]
    );
    assert!(n.routers[1].wait_log(BACKUP_INIT, 1, T));
    n.routers[0].stop();
    let r1 = &n.routers[0];
    assert!(
        r1.log_text()
            .contains("Success removing VMAC interface vrrp.59")
    );
    assert!(
        n.lab
            .ip(&r1.ns, &["link", "show", "dev", "vrrp.59"])
            .is_err()
    );
    assert!(wait_vip(&n.lab, &n.routers[1], vip, true));
}

#[test]
fn virtual_routes_and_rules_follow_the_master() {
    let mut n = net("vrt", 2, 94);
    let vip = "10.94.0.100";
    let extra = "  virtual_routes {\n    192.168.94.0/24 via 10.94.0.254 table 94\n  }\n  \
                 virtual_rules {\n    from 10.94.0.100 table 94 preference 194\n  }";
    n.routers[0].configure(&v3_conf(150, 64, vip, extra));
    n.routers[1].configure(&v3_conf(100, 64, vip, extra));
    n.routers[0].start();
    n.routers[1].start();
    assert!(
        wait_vip(&n.lab, &n.routers[0], vip, true),
        "{}",
        n.routers[0].log_text()
    );
    assert!(n.routers[1].wait_log(BACKUP_INIT, 1, T));
    let routes = |r: &Router| {
        n.lab
            .ip(&r.ns, &["route", "show", "table", "94"])
            .unwrap_or_default()
    };
    let rules = |r: &Router| n.lab.ip(&r.ns, &["rule", "show"]).unwrap_or_default();
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    assert!(wait_until(T, || routes(r1).contains("192.168.94.0/24 via 10.94.0.254")));
    assert!(
        rules(r1).contains("194:\tfrom 10.94.0.100 lookup 94"),
        "{}",
        rules(r1)
    );
    assert!(!routes(r2).contains("192.168.94.0/24"));
    assert!(!rules(r2).contains("lookup 94"));
    n.routers[0].stop();
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    assert!(!routes(r1).contains("192.168.94.0/24"), "{}", routes(r1));
    assert!(!rules(r1).contains("lookup 94"), "{}", rules(r1));
    assert!(wait_until(T, || routes(r2).contains("192.168.94.0/24 via 10.94.0.254")));
    assert!(rules(r2).contains("from 10.94.0.100 lookup 94"));
}

#[test]
fn a_sync_group_moves_together_when_one_member_faults() {
    let mut n = net("sync", 2, 95);
    let r1ns = n.routers[0].ns.clone();
    n.lab.veth(&r1ns, "up0", &r1ns, "up0p").unwrap();
    let conf = |prio: u8, track: &str| {
        format!(
            "vrrp_sync_group G1 {{\n  group {{\n    VI_1\n    VI_2\n  }}\n}}\n\
             vrrp_instance VI_1 {{\n  interface eth0\n  virtual_router_id 71\n  priority {prio}\n  \
             version 3\n  advert_int 0.1\n  virtual_ipaddress {{\n    10.95.0.101\n  }}\n}}\n\
             vrrp_instance VI_2 {{\n  interface eth0\n  virtual_router_id 72\n  priority {prio}\n  \
             version 3\n  advert_int 0.1\n{track}\n  virtual_ipaddress {{\n    10.95.0.102\n  }}\n}}\n"
        )
    };
    n.routers[0].configure(&conf(150, "  track_interface {\n    up0\n  }"));
    n.routers[1].configure(&conf(100, ""));
    n.routers[0].start();
    n.routers[1].start();
    let lab = &n.lab;
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    assert!(wait_vip(lab, r1, "10.95.0.101", true), "{}", r1.log_text());
    assert!(wait_vip(lab, r1, "10.95.0.102", true));
    assert!(r2.wait_log("(VI_2) Entering BACKUP STATE (init)", 1, T));
    // Only VI_2 tracks up0; the group takes VI_1 along.
    lab.ip(&r1ns, &["link", "set", "up0", "down"]).unwrap();
    assert!(wait_vip(lab, r2, "10.95.0.101", true), "{}", r1.log_text());
    assert!(wait_vip(lab, r2, "10.95.0.102", true));
    assert!(wait_vip(lab, r1, "10.95.0.101", false));
    assert!(
        r1.wait_log("(VI_1) Entering FAULT STATE", 1, T),
        "{}",
        r1.log_text()
    );
    assert!(r1.wait_log("(VI_2) Entering FAULT STATE", 1, T));
}

#[test]
fn ipv6_use_vmac_sends_from_the_base_link_local_and_fails_over() {
    let mut n = net("v6vm", 2, 99);
    let vip = "2001:db8:99::100/64";
    n.routers[0].configure(&v3_conf(150, 99, vip, "  use_vmac"));
    n.routers[1].configure(&v3_conf(100, 99, vip, "  use_vmac"));
    n.routers[0].start();
    n.routers[1].start();
    let addr = "2001:db8:99::100";
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    assert!(wait_vip(&n.lab, r1, addr, true), "{}", r1.log_text());
    assert!(r2.wait_log(BACKUP_INIT, 1, T));
    // The VMAC carries the base interface's link-local address, not one derived from the
    // shared VMAC MAC.
    let base = n
        .lab
        .ip(&r1.ns, &["-6", "-br", "addr", "show", "dev", "eth0"])
        .unwrap();
    let ll = base
        .split_whitespace()
        .find(|w| w.starts_with("fe80:"))
        .unwrap();
    let vmac = n
        .lab
        .ip(&r1.ns, &["-6", "-br", "addr", "show", "dev", "vrrp.99"])
        .unwrap();
    assert!(vmac.contains(ll), "{vmac} lacks {ll}");
    assert!(!vmac.contains("fe80::200:5eff"), "{vmac}");
    assert!(r1.wait_log(
        "Sending/queueing Unsolicited Neighbour Adverts on vrrp.99",
        1,
        T
    ));
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        r1.lines_with("cannot send advert").is_empty(),
        "{}",
        r1.log_text()
    );
    assert!(!r2.has_addr(&n.lab, addr));
    n.routers[0].stop();
    assert!(wait_vip(&n.lab, &n.routers[1], addr, true));
}

#[test]
fn mcast_dst_ip_carries_the_adverts_on_another_group() {
    let mut n = net("mcg", 2, 100);
    let vip = "10.100.0.100";
    let extra = "  mcast_dst_ip 224.0.0.118";
    n.routers[0].configure(&v3_conf(150, 100, vip, extra));
    n.routers[1].configure(&v3_conf(100, 100, vip, extra));
    start_in_order(&mut n);
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    assert!(wait_vip(&n.lab, r1, vip, true), "{}", r1.log_text());
    assert!(r2.wait_log(BACKUP_INIT, 1, T));
    std::thread::sleep(Duration::from_millis(800));
    // The backup hears the master on 224.0.0.118: no takeover.
    assert!(!r2.has_addr(&n.lab, vip), "{}", r2.log_text());
    assert!(r2.lines_with(MASTER).is_empty(), "{}", r2.log_text());
    n.routers[0].stop();
    assert!(wait_vip(&n.lab, &n.routers[1], vip, true));
    assert!(n.routers[1].wait_log("(VI_1) Backup received priority 0 advertisement", 1, T));
}

#[test]
fn vmac_xmit_base_sends_adverts_from_the_base_interface() {
    use alived_sys::PacketSocket;
    let mut n = net("xmb", 2, 101);
    let vip = "10.101.0.100";
    let extra = "  use_vmac\n  vmac_xmit_base";
    n.routers[0].configure(&v3_conf(150, 101, vip, extra));
    n.routers[1].configure(&v3_conf(100, 101, vip, extra));
    let r1_mac = n.lab.mac(&n.routers[0].ns, "eth0").unwrap();
    let ifindex = n.lab.ifindex(&n.routers[1].ns, "eth0").unwrap();
    // On r2's wire: an IPv4 VRRP advert (proto 112) whose Ethernet source is r1's base MAC.
    let watcher = n
        .lab
        .spawn_async(&n.routers[1].ns, move || async move {
            let sock = PacketSocket::receiver(ifindex, 0x0003).unwrap();
            let mut buf = vec![0u8; 2048];
            let end = tokio::time::Instant::now() + Duration::from_secs(15);
            loop {
                match tokio::time::timeout_at(end, sock.recv(&mut buf)).await {
                    Ok(Ok(len)) if len > 34 => {
                        let f = &buf[..len];
                        let ipv4_vrrp = f[12..14] == [0x08, 0x00] && f[23] == 112;
                        if ipv4_vrrp && f[6..12] == r1_mac {
                            return true;
                        }
                    }
                    Ok(Ok(_)) => {}
                    _ => return false,
                }
            }
        })
        .unwrap();
    start_in_order(&mut n);
    let r1 = &n.routers[0];
    assert!(wait_vip(&n.lab, r1, vip, true), "{}", r1.log_text());
    let on_vmac = n
        .lab
        .ip(&r1.ns, &["-br", "addr", "show", "dev", "vrrp.101"])
        .unwrap();
    assert!(on_vmac.contains(vip), "{on_vmac}");
    assert!(
        watcher.join().unwrap().unwrap(),
        "no advert from r1's base MAC"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(n.routers[1].lines_with(MASTER).is_empty());
    n.routers[0].stop();
    assert!(wait_vip(&n.lab, &n.routers[1], vip, true));
}

/// A `vrrp_script` checking that `flag` exists, tracked by VI_1 (with `weight`, if given).
fn script_conf(prio: u8, vrid: u8, vip: &str, flag: &std::path::Path, weight: &str) -> String {
    let script = format!(
        "vrrp_script chk {{\n  script \"/usr/bin/test -f {}\"\n  interval 1\n}}\n",
        flag.display()
    );
    let track = format!("  track_script {{\n    chk {weight}\n  }}");
    script + &v3_conf(prio, vrid, vip, &track)
}

#[test]
fn a_failing_track_script_puts_the_master_in_fault_until_it_succeeds_again() {
    let mut n = net("scr", 2, 102);
    let vip = "10.102.0.100";
    let flag = n.routers[0].dir.path().join("healthy");
    std::fs::write(&flag, "").unwrap();
    n.routers[0].configure(&script_conf(150, 102, vip, &flag, ""));
    n.routers[1].configure(&v3_conf(100, 102, vip, ""));
    start_in_order(&mut n);
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    assert!(wait_vip(&n.lab, r1, vip, true), "{}", r1.log_text());
    assert!(
        r1.wait_log("VRRP_Script(chk) succeeded", 1, T),
        "{}",
        r1.log_text()
    );
    std::fs::remove_file(&flag).unwrap();
    assert!(r1.wait_log("VRRP_Script(chk) failed (exited with status 1)", 1, T));
    assert!(
        r1.wait_log("(VI_1) Entering FAULT STATE", 1, T),
        "{}",
        r1.log_text()
    );
    assert!(wait_vip(&n.lab, r2, vip, true), "{}", r2.log_text());
    assert!(wait_vip(&n.lab, r1, vip, false));
    std::fs::write(&flag, "").unwrap();
    assert!(
        r1.wait_log("VRRP_Script(chk) succeeded", 2, T),
        "{}",
        r1.log_text()
    );
    assert!(wait_vip(&n.lab, r1, vip, true), "{}", r1.log_text());
}

#[test]
fn a_weighted_track_script_lowers_the_priority_below_the_backup() {
    let mut n = net("scw", 2, 103);
    let vip = "10.103.0.100";
    let flag = n.routers[0].dir.path().join("healthy");
    std::fs::write(&flag, "").unwrap();
    n.routers[0].configure(&script_conf(150, 103, vip, &flag, "weight -60"));
    n.routers[1].configure(&v3_conf(100, 103, vip, ""));
    start_in_order(&mut n);
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    assert!(wait_vip(&n.lab, r1, vip, true), "{}", r1.log_text());
    std::fs::remove_file(&flag).unwrap();
    assert!(
        r1.wait_log("(VI_1) Changing effective priority from 150 to 90", 1, T),
        "{}",
        r1.log_text()
    );
    // The backup (100) preempts the master that now advertises 90.
    assert!(wait_vip(&n.lab, r2, vip, true), "{}", r2.log_text());
    assert!(wait_vip(&n.lab, r1, vip, false));
    assert!(r1.lines_with("FAULT").is_empty());
}

#[test]
fn a_track_file_value_moves_the_priority_and_below_minus_253_faults() {
    let mut n = net("tfile", 2, 104);
    let vip = "10.104.0.100";
    let file = n.routers[0].dir.path().join("prio");
    std::fs::write(&file, "0\n").unwrap();
    let track = "  track_file {\n    tf\n  }";
    let conf = format!("track_file tf {{\n  file {}\n}}\n", file.display())
        + &v3_conf(150, 104, vip, track);
    n.routers[0].configure(&conf);
    n.routers[1].configure(&v3_conf(100, 104, vip, ""));
    start_in_order(&mut n);
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    assert!(wait_vip(&n.lab, r1, vip, true), "{}", r1.log_text());
    // value -60 x weight 1: priority 90, below the backup's 100.
    std::fs::write(&file, "-60\n").unwrap();
    assert!(
        r1.wait_log("(VI_1) Changing effective priority from 150 to 90", 1, T),
        "{}",
        r1.log_text()
    );
    assert!(wait_vip(&n.lab, r2, vip, true), "{}", r2.log_text());
    std::fs::write(&file, "-300\n").unwrap();
    assert!(
        r1.wait_log("(VI_1): tracked file tf now FAULT state", 1, T),
        "{}",
        r1.log_text()
    );
    assert!(r1.wait_log("(VI_1) Entering FAULT STATE", 1, T));
    std::fs::write(&file, "0\n").unwrap();
    assert!(r1.wait_log("(VI_1): tracked file tf leaving FAULT state", 1, T));
    assert!(wait_vip(&n.lab, r1, vip, true), "{}", r1.log_text());
}
