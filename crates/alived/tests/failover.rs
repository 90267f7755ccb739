//! Root tests: two (or three) real `alived` daemons in network namespaces on one bridge.
//! Election, failover on SIGKILL and on SIGTERM (priority 0), preemption on restart, FAULT on
//! link down, unicast peers, an IPv6 VIP with its unsolicited NA, and a killed VRRP child that
//! its parent restarts without the VIP moving. Takeover times are read from the daemons' own
//! `transition to MASTER at monotonic T` detail lines and printed beside the RFC formula;
//! assertions on time use generous bounds only.

mod driver_support;

use alived_sys::testnet::wait_until;
use driver_support::{
    BACKUP_INIT, MASTER, T, monotonic, net, start_in_order, v3_conf, v3_conf_adv, v3_mdi, v3_skew,
    wait_vip,
};
use std::time::Duration;

#[test]
fn higher_priority_wins_the_election_and_only_it_holds_the_vip() {
    let mut n = net("el", 2, 81);
    let vip = "10.81.0.100";
    n.routers[0].configure(&v3_conf(150, 51, vip, ""));
    n.routers[1].configure(&v3_conf(100, 51, vip, ""));
    start_in_order(&mut n);
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    assert!(wait_vip(&n.lab, r1, vip, true), "{}", r1.log_text());
    assert!(r1.wait_log(MASTER, 1, T));
    assert!(r2.wait_log(BACKUP_INIT, 1, T), "{}", r2.log_text());
    // Stable: after many more adverts the backup still has neither the VIP nor a MASTER line.
    assert!(r1.wait_log("Sending/queueing gratuitous ARPs", 1, T));
    std::thread::sleep(Duration::from_millis(800));
    assert!(!r2.has_addr(&n.lab, vip), "{}", r2.addrs(&n.lab));
    assert!(r2.lines_with(MASTER).is_empty(), "{}", r2.log_text());
    assert_eq!(r1.lines_with(MASTER).len(), 1);
}

#[test]
fn sigkill_of_the_master_group_moves_the_vip_after_master_down_interval() {
    let mut n = net("kill", 2, 82);
    let vip = "10.82.0.100";
    n.routers[0].configure(&v3_conf(150, 52, vip, ""));
    n.routers[1].configure(&v3_conf(100, 52, vip, ""));
    n.routers[0].start();
    n.routers[1].start();
    assert!(wait_vip(&n.lab, &n.routers[0], vip, true));
    assert!(n.routers[1].wait_log(BACKUP_INIT, 1, T));
    std::thread::sleep(Duration::from_millis(500));
    let killed_at = monotonic();
    n.routers[0].kill_group();
    let r2 = &n.routers[1];
    assert!(wait_vip(&n.lab, r2, vip, true), "{}", r2.log_text());
    let took = r2.transition_after("MASTER", killed_at).unwrap() - killed_at;
    let mdi = v3_mdi(100, 0.1);
    eprintln!(
        "SIGKILL takeover: {:.3} s (Master_Down_Interval {mdi:.4} s)",
        took
    );
    // No priority 0 was sent, so the backup waited for its down timer.
    assert!(r2.lines_with("Backup received priority 0").is_empty());
    assert!(took > 0.0 && took < mdi + 2.0, "took {took}");
}

#[test]
fn sigterm_sends_priority_zero_and_the_backup_takes_over_after_skew() {
    let mut n = net("term", 2, 83);
    let vip = "10.83.0.100";
    n.routers[0].configure(&v3_conf(150, 53, vip, ""));
    n.routers[1].configure(&v3_conf(100, 53, vip, ""));
    n.routers[0].start();
    n.routers[1].start();
    assert!(wait_vip(&n.lab, &n.routers[0], vip, true));
    assert!(n.routers[1].wait_log(BACKUP_INIT, 1, T));
    std::thread::sleep(Duration::from_millis(500));
    let stopped_at = monotonic();
    let status = n.routers[0].stop();
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    let r1 = &n.routers[0];
    let log = r1.log_text();
    assert!(log.contains("(VI_1) sent 0 priority"), "{log}");
    assert!(log.contains("(VI_1) removing VIPs."), "{log}");
    assert!(!r1.has_addr(&n.lab, vip), "the stopped master keeps no VIP");
    assert!(!r1.vrrp_pid_path().exists() && !r1.pid_path().exists());
    let r2 = &n.routers[1];
    assert!(wait_vip(&n.lab, r2, vip, true), "{}", r2.log_text());
    assert!(r2.wait_log("(VI_1) Backup received priority 0 advertisement", 1, T));
    let took = r2.transition_after("MASTER", stopped_at).unwrap() - stopped_at;
    let skew = v3_skew(100, 0.1);
    eprintln!("SIGTERM (priority 0) takeover: {took:.3} s (Skew_Time {skew:.4} s)");
    assert!(took > 0.0 && took < v3_mdi(100, 0.1) + 2.0, "took {took}");
}

#[test]
fn the_higher_priority_router_preempts_when_it_comes_back() {
    let mut n = net("pre", 2, 84);
    let vip = "10.84.0.100";
    n.routers[0].configure(&v3_conf(150, 54, vip, ""));
    n.routers[1].configure(&v3_conf(100, 54, vip, ""));
    n.routers[1].start();
    assert!(
        wait_vip(&n.lab, &n.routers[1], vip, true),
        "{}",
        n.routers[1].log_text()
    );
    n.routers[0].start();
    assert!(
        wait_vip(&n.lab, &n.routers[0], vip, true),
        "{}",
        n.routers[0].log_text()
    );
    assert!(wait_vip(&n.lab, &n.routers[1], vip, false));
    let r2 = &n.routers[1];
    assert!(r2.wait_log(
        "(VI_1) Master received advert from 10.84.0.1 with higher priority 150, ours 100",
        1,
        T
    ));
    assert!(r2.wait_log("(VI_1) Entering BACKUP STATE", 2, T));
    let r1_master = n.routers[0].transition_at("MASTER", 0).unwrap();
    let r2_backup = r2.transition_at("BACKUP", 1).unwrap();
    eprintln!(
        "preemption: old master yielded {:.3} s after the new one took over",
        r2_backup - r1_master
    );
}

#[test]
fn link_down_on_the_master_is_fault_and_the_vip_moves() {
    let mut n = net("flt", 2, 85);
    let vip = "10.85.0.100";
    n.routers[0].configure(&v3_conf(150, 55, vip, ""));
    n.routers[1].configure(&v3_conf(100, 55, vip, ""));
    n.routers[0].start();
    n.routers[1].start();
    assert!(wait_vip(&n.lab, &n.routers[0], vip, true));
    assert!(n.routers[1].wait_log(BACKUP_INIT, 1, T));
    let r1ns = n.routers[0].ns.clone();
    n.lab.ip(&r1ns, &["link", "set", "eth0", "down"]).unwrap();
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    assert!(
        r1.wait_log("Netlink reports eth0 down", 1, T),
        "{}",
        r1.log_text()
    );
    assert!(r1.wait_log("(VI_1) Entering FAULT STATE", 1, T));
    assert!(wait_vip(&n.lab, r1, vip, false));
    assert!(wait_vip(&n.lab, r2, vip, true), "{}", r2.log_text());
    // Link back up: FAULT clears, and the higher priority takes the VIP back.
    n.lab.ip(&r1ns, &["link", "set", "eth0", "up"]).unwrap();
    assert!(r1.wait_log("Netlink reports eth0 up", 1, T));
    assert!(wait_vip(&n.lab, r1, vip, true), "{}", r1.log_text());
    assert!(wait_vip(&n.lab, r2, vip, false));
}

#[test]
fn unicast_peers_elect_and_fail_over() {
    let mut n = net("uni", 2, 86);
    let vip = "10.86.0.100";
    let uni = |me: u8, peer: u8| {
        format!("  unicast_src_ip 10.86.0.{me}\n  unicast_peer {{\n    10.86.0.{peer}\n  }}")
    };
    n.routers[0].configure(&v3_conf(150, 56, vip, &uni(1, 2)));
    n.routers[1].configure(&v3_conf(100, 56, vip, &uni(2, 1)));
    n.routers[0].start();
    n.routers[1].start();
    assert!(
        wait_vip(&n.lab, &n.routers[0], vip, true),
        "{}",
        n.routers[0].log_text()
    );
    assert!(n.routers[1].wait_log(BACKUP_INIT, 1, T));
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !n.routers[1].has_addr(&n.lab, vip),
        "{}",
        n.routers[1].log_text()
    );
    n.routers[0].stop();
    assert!(wait_vip(&n.lab, &n.routers[1], vip, true));
    assert!(n.routers[1].wait_log("(VI_1) Backup received priority 0 advertisement", 1, T));
}

#[test]
fn ipv6_vip_with_v3_moves_and_is_announced_by_unsolicited_na() {
    use alived_sys::PacketSocket;
    use alived_vrrp::wire::ndisc::NaFrame;
    let mut n = net("v6", 2, 87);
    let vip = "2001:db8:87::100";
    n.routers[0].configure(&v3_conf(150, 57, vip, ""));
    n.routers[1].configure(&v3_conf(100, 57, vip, ""));
    // Watch for NAs on the backup's interface, from before the master starts.
    let ifindex = n.lab.ifindex(&n.routers[1].ns, "eth0").unwrap();
    let r1_mac = n.lab.mac(&n.routers[0].ns, "eth0").unwrap();
    let target: std::net::Ipv6Addr = vip.parse().unwrap();
    let watcher = n
        .lab
        .spawn_async(&n.routers[1].ns, move || async move {
            let sock = PacketSocket::receiver(ifindex, 0x0003).unwrap();
            let mut buf = vec![0u8; 2048];
            let end = tokio::time::Instant::now() + Duration::from_secs(15);
            loop {
                match tokio::time::timeout_at(end, sock.recv(&mut buf)).await {
                    Ok(Ok(len)) => {
                        if let Some(na) = NaFrame::parse(&buf[..len])
                            && na.target == target
                            && na.eth_src == r1_mac
                            && NaFrame::checksum_ok(&buf[..len])
                        {
                            return Some(na);
                        }
                    }
                    _ => return None,
                }
            }
        })
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    n.routers[0].start();
    n.routers[1].start();
    assert!(
        wait_vip(&n.lab, &n.routers[0], vip, true),
        "{}",
        n.routers[0].log_text()
    );
    let r1 = &n.routers[0];
    assert!(r1.wait_log(
        &format!("(VI_1) Sending/queueing Unsolicited Neighbour Adverts on eth0 for {vip}"),
        1,
        T
    ));
    let na = watcher
        .join()
        .unwrap()
        .unwrap()
        .expect("an unsolicited NA for the VIP");
    assert_eq!(na.eth_src, r1_mac);
    assert!(na.override_ && !na.solicited);
    assert!(n.routers[1].wait_log(BACKUP_INIT, 1, T));
    let killed_at = monotonic();
    n.routers[0].kill_group();
    assert!(
        wait_vip(&n.lab, &n.routers[1], vip, true),
        "{}",
        n.routers[1].log_text()
    );
    let took = n.routers[1].transition_after("MASTER", killed_at).unwrap() - killed_at;
    eprintln!(
        "IPv6 SIGKILL takeover: {took:.3} s (Master_Down_Interval {:.4} s)",
        v3_mdi(100, 0.1)
    );
}

#[test]
fn a_killed_vrrp_child_is_restarted_and_keeps_the_vip_without_an_outage() {
    let mut n = net("resp", 2, 88);
    let vip = "10.88.0.100";
    // 1 s adverts: the restart must fit well inside the backup's 3.6 s down timer even on a
    // loaded machine; the point here is the restart, not the timers.
    n.routers[0].configure(&v3_conf_adv(150, 58, vip, "1", ""));
    n.routers[1].configure(&v3_conf_adv(100, 58, vip, "1", ""));
    start_in_order(&mut n);
    assert!(
        wait_vip(&n.lab, &n.routers[0], vip, true),
        "{}",
        n.routers[0].log_text()
    );
    assert!(n.routers[1].wait_log(BACKUP_INIT, 1, T));
    let r1 = &n.routers[0];
    let old = r1.vrrp_pid().unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(old),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    // Watch the VIP every 10 ms until the new child has resumed, plus two advert intervals.
    let mut missing = 0;
    let resumed = wait_until(T, || {
        if !r1.has_addr(&n.lab, vip) {
            missing += 1;
        }
        r1.lines_with("VIPs found in place after a restart - resuming MASTER")
            .len()
            == 1
    });
    assert!(resumed, "{}", r1.log_text());
    assert!(r1.wait_log("VRRP child process", 1, T));
    assert!(
        r1.log_text()
            .contains(&format!("VRRP child process({old}) died: Respawning"))
    );
    let end = std::time::Instant::now() + Duration::from_secs(2);
    while std::time::Instant::now() < end {
        if !r1.has_addr(&n.lab, vip) {
            missing += 1;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(missing, 0, "the VIP disappeared during the restart");
    assert_ne!(r1.vrrp_pid(), Some(old));
    let r2 = &n.routers[1];
    assert!(r2.lines_with(MASTER).is_empty(), "{}", r2.log_text());
    assert!(!r2.has_addr(&n.lab, vip));
}

#[test]
fn a_tracked_interface_going_down_puts_the_master_in_fault() {
    let mut n = net("trk", 2, 90);
    let vip = "10.90.0.100";
    let r1ns = n.routers[0].ns.clone();
    // A veth pair inside r1 (no dummy module here): up0 is running while both ends are up.
    n.lab.veth(&r1ns, "up0", &r1ns, "up0p").unwrap();
    let track = "  track_interface {\n    up0\n  }";
    n.routers[0].configure(&v3_conf(150, 60, vip, track));
    n.routers[1].configure(&v3_conf(100, 60, vip, ""));
    n.routers[0].start();
    n.routers[1].start();
    assert!(
        wait_vip(&n.lab, &n.routers[0], vip, true),
        "{}",
        n.routers[0].log_text()
    );
    assert!(n.routers[1].wait_log(BACKUP_INIT, 1, T));
    n.lab.ip(&r1ns, &["link", "set", "up0", "down"]).unwrap();
    let r1 = &n.routers[0];
    assert!(
        r1.wait_log("Netlink reports up0 down", 1, T),
        "{}",
        r1.log_text()
    );
    assert!(
        r1.wait_log("(VI_1) Entering FAULT STATE", 1, T),
        "{}",
        r1.log_text()
    );
    assert!(wait_vip(&n.lab, r1, vip, false));
    assert!(wait_vip(&n.lab, &n.routers[1], vip, true));
    n.lab.ip(&r1ns, &["link", "set", "up0", "up"]).unwrap();
    assert!(
        wait_vip(&n.lab, &n.routers[0], vip, true),
        "{}",
        n.routers[0].log_text()
    );
}

#[test]
fn v2_sigkill_takeover_after_master_down_interval_of_one_second_adverts() {
    let mut n = net("v2k", 2, 93);
    let vip = "10.93.0.100";
    let conf = |prio: u8| {
        format!(
            "vrrp_instance VI_1 {{\n  interface eth0\n  virtual_router_id 63\n  priority {prio}\n  \
             advert_int 1\n  virtual_ipaddress {{\n    {vip}\n  }}\n}}\n"
        )
    };
    n.routers[0].configure(&conf(150));
    n.routers[1].configure(&conf(100));
    n.routers[1].start();
    n.routers[0].start();
    assert!(
        wait_vip(&n.lab, &n.routers[0], vip, true),
        "{}",
        n.routers[0].log_text()
    );
    assert!(n.routers[1].wait_log(BACKUP_INIT, 1, T));
    // Let the backup hear a few adverts.
    assert!(wait_until(T, || n.routers[0]
        .lines_with("Entering MASTER")
        .len()
        == 1));
    std::thread::sleep(Duration::from_millis(2500));
    let killed_at = monotonic();
    n.routers[0].kill_group();
    let r2 = &n.routers[1];
    assert!(wait_vip(&n.lab, r2, vip, true), "{}", r2.log_text());
    let took = r2.transition_after("MASTER", killed_at).unwrap() - killed_at;
    // RFC 3768 §6.1: 3 × Advertisement_Interval + (256 − Priority) / 256.
    let mdi = 3.0 + (256.0 - 100.0) / 256.0;
    eprintln!("VRRPv2 SIGKILL takeover: {took:.3} s (Master_Down_Interval {mdi:.4} s)");
    assert!(took > mdi - 1.5 && took < mdi + 3.0, "took {took}");
}

#[test]
fn a_backup_held_off_the_cpu_does_not_take_adverts_queued_meanwhile_for_silence() {
    // The VRRP child of the backup is stopped (SIGSTOP) for over five Master_Down_Intervals
    // while the master goes on advertising. When it runs again, its down timer has long
    // passed, but the adverts that arrived meanwhile wait in its socket with their kernel
    // arrival times: they are taken first, so it must stay BACKUP. (Before the receive path
    // read them ahead of the timer, this took over on most resumes.)
    let mut n = net("stop", 2, 91);
    let vip = "10.91.0.100";
    n.routers[0].configure(&v3_conf(150, 61, vip, ""));
    n.routers[1].configure(&v3_conf(100, 61, vip, ""));
    start_in_order(&mut n);
    assert!(wait_vip(&n.lab, &n.routers[0], vip, true));
    let r2 = &n.routers[1];
    assert!(r2.wait_log(BACKUP_INIT, 1, T), "{}", r2.log_text());
    let child = nix::unistd::Pid::from_raw(r2.vrrp_pid().unwrap());
    let mdi = v3_mdi(100, 0.1);
    for _ in 0..3 {
        nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGSTOP).unwrap();
        std::thread::sleep(Duration::from_secs_f64(mdi * 5.0));
        nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGCONT).unwrap();
        // Several advert intervals running again.
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(r2.lines_with(MASTER).is_empty(), "{}", r2.log_text());
    assert!(!r2.has_addr(&n.lab, vip));
    assert_eq!(n.routers[0].lines_with(MASTER).len(), 1);
}

/// `n` VRRPv3 instances VI_1..VI_n (VRIDs 1..n, one VIP each in 10.`net`.`vrid`.1/32) at
/// `advert_int` 1 s.
fn many_instances(n: u8, prio: u8, net: u8) -> String {
    (1..=n)
        .map(|v| {
            format!(
                "vrrp_instance VI_{v} {{\n  interface eth0\n  virtual_router_id {v}\n  \
                 priority {prio}\n  version 3\n  advert_int 1\n  virtual_ipaddress {{\n    \
                 10.{net}.{v}.1/32\n  }}\n}}\n"
            )
        })
        .collect()
}

/// A backup of many instances reads its master's adverts in batches (they come in a burst each
/// interval), yet every instance still takes over Skew_Time after the priority-0 advert of an
/// orderly stop: a batch is never held longer than the shortest Skew_Time. Held past it, the
/// priority-0 adverts would be read at the next wake-up, which for a backup is a down timer
/// (the loop reads before timers): up to Master_Down_Interval (3.6 s) after the stop, against
/// 0.61 s.
#[test]
fn a_backup_reading_adverts_in_batches_takes_over_on_priority_zero_after_skew() {
    const N: u8 = 40;
    let mut n = net("batch", 2, 92);
    n.routers[0].configure(&many_instances(N, 150, 92));
    n.routers[1].configure(&many_instances(N, 100, 92));
    n.routers[0].start();
    assert!(
        n.routers[0].wait_log("Entering MASTER STATE", N.into(), T),
        "{}",
        n.routers[0].log_text()
    );
    n.routers[1].start();
    assert!(
        n.routers[1].wait_log("Entering BACKUP STATE (init)", N.into(), T),
        "{}",
        n.routers[1].log_text()
    );
    // Bursts of adverts read in batches, past the backup's start-up (its memory release 3 s in
    // is a wake-up that would read the sockets whatever the batching does).
    std::thread::sleep(Duration::from_millis(4_500));
    assert!(n.routers[1].lines_with("Entering MASTER STATE").is_empty());
    let stopped_at = monotonic();
    n.routers[0].stop();
    let r2 = &n.routers[1];
    assert!(
        r2.wait_log("Entering MASTER STATE", N.into(), T),
        "{}",
        r2.log_text()
    );
    assert_eq!(
        r2.lines_with("Backup received priority 0 advertisement")
            .len(),
        usize::from(N),
        "{}",
        r2.log_text()
    );
    let skew = v3_skew(100, 1.0);
    let took: Vec<f64> = (0..usize::from(N))
        .filter_map(|i| r2.transition_at("MASTER", i))
        .map(|t| t - stopped_at)
        .collect();
    let last = took.iter().copied().fold(0.0, f64::max);
    eprintln!("{N} instances: last takeover {last:.3} s after SIGTERM (Skew_Time {skew:.3} s)");
    assert_eq!(took.len(), usize::from(N));
    assert!(
        took.iter().all(|t| *t > 0.0 && *t < 1.5),
        "takeovers {took:?} (Skew_Time {skew} s, Master_Down_Interval {} s)",
        v3_mdi(100, 1.0)
    );
}
