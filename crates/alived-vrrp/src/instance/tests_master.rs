//! State-machine rules, one per test: MASTER state, leaving it, ties (behaviour spec 5.4,
//! 5.5, 5.6; RFC 5798 §6.4.3).

use super::tests::{at_ms, became, cfg, drain, from, logs, run, us};
use super::*;

fn master(c: InstanceConfig) -> (Instance, Timestamp) {
    let mut i = Instance::new(c).unwrap();
    i.handle(at_ms(0), Input::Start);
    let t = became(&mut i, at_ms(60_000), State::Master).unwrap();
    (i, t)
}

fn kinds(a: &[Action]) -> Vec<&'static str> {
    a.iter()
        .map(|a| match a {
            Action::SendAdvert { .. } => "advert",
            Action::AddVips => "add",
            Action::RemoveVips => "remove",
            Action::SendGarps { .. } => "garps",
            Action::Transition { .. } => "transition",
            Action::Log(_) => "log",
            Action::NotifyMasterRxLowerPri { .. } => "notify_rx_lower",
            Action::PriorityChanged { .. } => "prio",
        })
        .collect()
}

// Spec 5.4 "On becoming MASTER", in order: advert, log, setting VIPs, GARP burst, then the
// transition report for notifies.
#[test]
fn becoming_master_order_is_advert_log_vips_garps() {
    let mut i = Instance::new(cfg(100)).unwrap();
    i.handle(at_ms(0), Input::Start);
    drain(&mut i);
    let t = i.poll_timeout().unwrap();
    i.handle_timeout(t);
    let a = drain(&mut i);
    assert_eq!(
        kinds(&a),
        [
            "log",
            "advert",
            "log",
            "log",
            "add",
            "log",
            "garps",
            "transition"
        ]
    );
    assert_eq!(
        logs(&a),
        [
            "(VI_1) Receive advertisement timeout",
            "(VI_1) Entering MASTER STATE",
            "(VI_1) setting VIPs.",
            "(VI_1) Sending/queueing gratuitous ARPs on eth0 for 10.99.0.100",
        ]
    );
    assert!(a.contains(&Action::SendGarps {
        count: 5,
        kind: GarpKind::BecameMaster
    }));
}

// RFC 5798 §6.4.3: a master advertises every Advertisement_Interval.
#[test]
fn master_sends_advert_every_interval() {
    let (mut i, t0) = master(cfg(100));
    drain(&mut i);
    let until = Timestamp::from_micros(us(t0) + 10 * 1_000_000);
    let sent = run(&mut i, until)
        .iter()
        .filter(|a| matches!(a, Action::SendAdvert { priority } if priority.0 == 100))
        .count();
    assert_eq!(sent, 10);
}

// Spec 5.6: a second burst garp_master_delay after becoming master, then refresh bursts.
#[test]
fn second_garp_burst_after_master_delay_then_refresh() {
    let mut c = cfg(100);
    c.garp.master_refresh = Duration::from_secs(10);
    let (mut i, t0) = master(c);
    drain(&mut i);
    let mut bursts = Vec::new();
    for _ in 0..1000 {
        let t = i.poll_timeout().unwrap();
        if us(t) > us(t0) + 26_000_000 {
            break;
        }
        i.handle_timeout(t);
        for a in drain(&mut i) {
            if let Action::SendGarps { count, kind } = a {
                bursts.push((us(t) - us(t0), count, kind));
            }
        }
    }
    assert_eq!(
        bursts,
        [
            (5_000_000, 5, GarpKind::MasterDelay),
            (15_000_000, 1, GarpKind::Refresh),
            (25_000_000, 1, GarpKind::Refresh),
        ]
    );
}

// Spec 5.4: a master receiving priority 0 sends an advert at once and stays master.
#[test]
fn master_priority_zero_sends_advert_at_once() {
    let c = cfg(100);
    let (mut i, _) = master(c.clone());
    drain(&mut i);
    i.handle(at_ms(5000), from("10.99.0.2", &c, 0));
    let a = drain(&mut i);
    assert!(a.contains(&Action::SendAdvert {
        priority: Priority(100)
    }));
    assert_eq!(i.state(), State::Master);
}

// Spec 5.4: lower priority -> `forcing new election`, advert, lower-prio GARP burst now and
// again after garp_lower_prio_delay, notify_master_rx_lower_pri; stays master.
#[test]
fn master_lower_priority_forces_new_election() {
    let c = cfg(150);
    let (mut i, _) = master(c.clone());
    drain(&mut i);
    i.handle(at_ms(10_000), from("10.99.0.2", &c, 100));
    let a = drain(&mut i);
    assert_eq!(
        logs(&a)[0],
        "(VI_1) Received advert from 10.99.0.2 with lower priority 100, ours 150, forcing new election"
    );
    assert_eq!(
        kinds(&a),
        ["log", "advert", "log", "garps", "notify_rx_lower"]
    );
    assert_eq!(i.state(), State::Master);
    let delay = c.garp.lower_prio_delay;
    let a = run(&mut i, at_ms(10_000) + delay);
    assert!(a.contains(&Action::SendGarps {
        count: c.garp.lower_prio_repeat,
        kind: GarpKind::LowerPriority
    }));
}

// Spec 5.4: with lower_prio_no_advert the suffix is omitted and no advert is sent.
#[test]
fn lower_prio_no_advert_omits_forcing_new_election() {
    let mut c = cfg(150);
    c.lower_prio_no_advert = true;
    let (mut i, _) = master(c.clone());
    drain(&mut i);
    i.handle(at_ms(10_000), from("10.99.0.2", &c, 100));
    let a = drain(&mut i);
    assert_eq!(
        logs(&a)[0],
        "(VI_1) Received advert from 10.99.0.2 with lower priority 100, ours 150"
    );
    assert!(!kinds(&a).contains(&"advert"));
}

// Spec 5.4 / RFC 5798 §6.4.3: higher priority -> BACKUP, `removing VIPs.`, no priority 0.
#[test]
fn master_higher_priority_goes_backup_and_removes_vips() {
    let c = cfg(100);
    let (mut i, _) = master(c.clone());
    drain(&mut i);
    i.handle(at_ms(10_000), from("10.99.0.2", &c, 150));
    let a = drain(&mut i);
    assert_eq!(
        logs(&a),
        [
            "(VI_1) Master received advert from 10.99.0.2 with higher priority 150, ours 100",
            "(VI_1) Entering BACKUP STATE",
            "(VI_1) removing VIPs.",
        ]
    );
    assert!(a.contains(&Action::RemoveVips));
    assert!(!kinds(&a).contains(&"advert"));
    assert_eq!(i.state(), State::Backup);
}

// Spec 5.4: equal priority, higher address wins (IPv4 as network-order integers).
#[test]
fn equal_priority_higher_address_wins() {
    let c = cfg(100); // we are 10.99.0.1
    let (mut i, _) = master(c.clone());
    drain(&mut i);
    i.handle(at_ms(10_000), from("10.99.0.2", &c, 100));
    let a = drain(&mut i);
    assert_eq!(
        logs(&a)[0],
        "(VI_1) Master received advert from 10.99.0.2 with same priority 100 but higher IP address than ours"
    );
    assert_eq!(i.state(), State::Backup);
}

// Spec 5.4: equal priority from a lower address -> we stay master, forcing new election.
#[test]
fn equal_priority_lower_address_loses() {
    let mut c = cfg(100);
    c.our_addr = "10.99.0.9".parse().unwrap();
    let (mut i, _) = master(c.clone());
    drain(&mut i);
    // 10.99.0.10 > 10.99.0.9 as integers even though "10" < "9" as text.
    i.handle(at_ms(10_000), from("10.99.0.8", &c, 100));
    assert_eq!(i.state(), State::Master);
    i.handle(at_ms(10_500), from("10.99.0.10", &c, 100));
    assert_eq!(i.state(), State::Backup);
}

// Spec 5.4: IPv6 compares word by word as unsigned network-order integers.
#[test]
fn ipv6_addresses_compare_word_by_word() {
    use rx::compare_addrs;
    use std::cmp::Ordering;
    let a: IpAddr = "fe80::1:0".parse().unwrap();
    let b: IpAddr = "fe80::ffff".parse().unwrap();
    assert_eq!(compare_addrs(a, b), Some(Ordering::Greater));
    let c: IpAddr = "fe80::8000:0:0:0".parse().unwrap();
    assert_eq!(compare_addrs(c, a), Some(Ordering::Greater));
    assert_eq!(compare_addrs(a, "10.0.0.1".parse().unwrap()), None);
}

// Spec 5.4 (2.2.7): two owners -> log the configuration error, reduce to 254 for good, yield.
#[test]
fn two_owners_reduce_local_priority_to_254() {
    let c = cfg(255);
    let (mut i, _) = master(c.clone());
    drain(&mut i);
    i.handle(at_ms(1000), from("10.99.0.2", &c, 255));
    let a = drain(&mut i);
    let l = logs(&a);
    assert_eq!(
        l[0],
        "(VI_1) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority"
    );
    // Observed 2.2.7: the reduction itself is not logged as a priority change.
    assert_eq!(
        l[1],
        "(VI_1) Master received advert from 10.99.0.2 with higher priority 255, ours 254"
    );
    assert!(!l.iter().any(|x| x.contains("Changing effective priority")));
    assert_eq!(i.base_priority(), 254);
    assert_eq!(i.effective_priority(), 254);
    assert_eq!(i.state(), State::Backup);
}

// Spec 5.4/5.5: leaving MASTER for FAULT sends priority 0 (twice, as observed), logs
// `sent 0 priority` and removes the VIPs.
#[test]
fn fault_from_master_sends_priority_zero_twice() {
    let (mut i, _) = master(cfg(100));
    drain(&mut i);
    i.handle(at_ms(10_000), Input::LinkDown(Link::Own));
    let a = drain(&mut i);
    assert_eq!(
        logs(&a),
        [
            "(VI_1) Entering FAULT STATE",
            "(VI_1) sent 0 priority",
            "(VI_1) removing VIPs."
        ]
    );
    let zeros = a
        .iter()
        .filter(|a| {
            **a == Action::SendAdvert {
                priority: Priority(0),
            }
        })
        .count();
    assert_eq!(zeros, 2);
    assert_eq!(i.poll_timeout(), None);
}

// Spec 5.5 / RFC 5798 §6.4.3 Shutdown: a stopping master sends priority 0 once.
#[test]
fn stop_from_master_sends_priority_zero() {
    let (mut i, _) = master(cfg(100));
    drain(&mut i);
    i.handle(at_ms(10_000), Input::Stop);
    let a = drain(&mut i);
    assert_eq!(kinds(&a), ["advert", "log", "log", "remove", "transition"]);
    assert_eq!(
        a[0],
        Action::SendAdvert {
            priority: Priority(0)
        }
    );
    assert_eq!(i.state(), State::Stop);
    assert_eq!(i.poll_timeout(), None);
}

// Spec 5.5: priority 0 is not sent when a backup stops.
#[test]
fn stop_from_backup_sends_nothing_on_the_wire() {
    let mut i = Instance::new(cfg(100)).unwrap();
    i.handle(at_ms(0), Input::Start);
    drain(&mut i);
    i.handle(at_ms(10), Input::Stop);
    assert_eq!(kinds(&drain(&mut i)), ["transition"]);
}

// Spec 5.4: higher_prio_send_advert -> one advert (our priority) before yielding.
#[test]
fn higher_prio_send_advert_sends_one_before_yielding() {
    let mut c = cfg(100);
    c.higher_prio_send_advert = true;
    let (mut i, _) = master(c.clone());
    drain(&mut i);
    i.handle(at_ms(10_000), from("10.99.0.2", &c, 150));
    let a = drain(&mut i);
    assert_eq!(kinds(&a)[..2], ["log", "advert"]);
    assert_eq!(
        a[1],
        Action::SendAdvert {
            priority: Priority(100)
        }
    );
}

// Spec 5.4: equal priority from our own address is a warning, not a state change.
#[test]
fn equal_priority_from_our_address_warns() {
    let c = cfg(100);
    let (mut i, _) = master(c.clone());
    drain(&mut i);
    i.handle(at_ms(10_000), from("10.99.0.1", &c, 100));
    assert_eq!(
        logs(&drain(&mut i)),
        ["(VI_1) WARNING - equal priority advert received from remote host with our IP address."]
    );
    assert_eq!(i.state(), State::Master);
}

// Observed 2.2.7: each lower-priority advert schedules its own delayed GARP repeat (four
// adverts a second apart -> four delayed bursts a second apart), and the master answers each
// at once and restarts its advert timer.
#[test]
fn each_lower_priority_advert_schedules_its_own_garp_repeat() {
    let c = cfg(150);
    let (mut i, _) = master(c.clone());
    drain(&mut i);
    for k in 0..4u64 {
        i.handle(at_ms(10_000 + k * 1000), from("10.99.0.2", &c, 100));
        let a = drain(&mut i);
        assert!(a.contains(&Action::SendAdvert {
            priority: Priority(150)
        }));
        // the advert timer restarted from this advert
        let next_advert = at_ms(10_000 + k * 1000) + c.adver_int.as_duration();
        assert!(i.poll_timeout().unwrap() <= next_advert);
    }
    let delay = c.garp.lower_prio_delay;
    let mut repeats = Vec::new();
    for _ in 0..1000 {
        let t = i.poll_timeout().unwrap();
        if t > at_ms(13_000) + delay {
            break;
        }
        i.handle_timeout(t);
        for a in drain(&mut i) {
            if matches!(
                a,
                Action::SendGarps {
                    kind: GarpKind::LowerPriority,
                    ..
                }
            ) {
                repeats.push(t);
            }
        }
    }
    let want: Vec<Timestamp> = (0..4u64)
        .map(|k| at_ms(10_000 + k * 1000) + delay)
        .collect();
    assert_eq!(repeats, want);
}
