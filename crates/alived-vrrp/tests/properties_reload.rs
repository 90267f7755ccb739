//! Reload on the simulated LAN (ARCHITECTURE.md section 3: "a reload never moves a VIP by
//! itself"), over seeded random LANs; every failure prints its seed.
//!
//! * reloading any router with its own settings, at any moment, changes no state anywhere;
//! * reloading the master with a new priority that keeps it the best changes no state either,
//!   and its adverts carry the new priority from then on.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alived_vrrp::instance::{InstanceConfig, State, Timestamp};
use alived_vrrp::sim::{Lan, NodeSpec, XorShift};
use alived_vrrp::sync::InstanceId;
use alived_vrrp::types::{Centisecs, Priority, Version, Vrid};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

const SEEDS: u64 = 300;

fn config(k: usize, version: Version, prio: u8, int_cs: u32) -> InstanceConfig {
    let addr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, u8::try_from(k + 1).unwrap()));
    let mut c = InstanceConfig::new("VI_1", Vrid::new(51).unwrap(), addr);
    c.version = version;
    c.priority = Priority(prio);
    c.adver_int = Centisecs(int_cs);
    c.vips = vec![IpAddr::V4(Ipv4Addr::new(10, 9, 9, 9))];
    c
}

struct Setup {
    version: Version,
    /// Distinct priorities, so that the best router is unambiguous.
    prios: Vec<u8>,
    int_cs: u32,
}

fn setup(rng: &mut XorShift) -> Setup {
    let n = usize::try_from(rng.range(2, 4)).unwrap();
    let version = if rng.chance(500) {
        Version::V2
    } else {
        Version::V3
    };
    let int_cs = match version {
        Version::V2 => 100,
        Version::V3 => u32::try_from(rng.range(20, 100)).unwrap(),
    };
    let mut prios: Vec<u8> = Vec::new();
    while prios.len() < n {
        let p = u8::try_from(rng.range(2, 250)).unwrap();
        if !prios.contains(&p) {
            prios.push(p);
        }
    }
    Setup {
        version,
        prios,
        int_cs,
    }
}

fn lan(s: &Setup, seed: u64) -> Lan {
    let specs = s
        .prios
        .iter()
        .enumerate()
        .map(|(k, &p)| NodeSpec {
            name: format!("r{}", k + 1),
            instances: vec![config(k, s.version, p, s.int_cs)],
            groups: vec![],
        })
        .collect();
    let mut lan = Lan::new(specs, seed).unwrap();
    lan.delay = Duration::from_micros(50);
    lan.jitter = Duration::from_micros(200);
    lan
}

fn at(us: u64) -> Timestamp {
    Timestamp::from_micros(us)
}

/// Starts the LAN and lets it settle; returns the master and the time.
fn settled(lan: &mut Lan, s: &Setup, seed: u64) -> (usize, u64) {
    lan.start_all();
    // Longest Master_Down_Interval (v2: 3 s + skew < 4 s) plus margin.
    let t = 3 * u64::from(s.int_cs) * 10_000 + 1_000_000 + 2 * u64::from(s.int_cs) * 10_000;
    lan.run_until(at(t));
    let masters = lan.masters(Vrid::new(51).unwrap());
    assert_eq!(masters.len(), 1, "seed {seed}: {masters:?}");
    let best = (0..s.prios.len()).max_by_key(|&k| s.prios[k]).unwrap();
    assert_eq!(masters[0], best, "seed {seed}");
    (best, t)
}

#[test]
fn reloading_with_the_same_settings_changes_no_state() {
    for seed in 0..SEEDS {
        let mut rng = XorShift::new(seed);
        let s = setup(&mut rng);
        let mut lan = lan(&s, seed);
        let (master, mut t) = settled(&mut lan, &s, seed);
        let transitions = lan.trace().len();
        for _ in 0..20 {
            // Any moment: reloads land between adverts, on them, or just after one.
            t += rng.range(1, u64::from(s.int_cs) * 10_000);
            lan.run_until(at(t));
            let k = usize::try_from(rng.range(0, s.prios.len() as u64 - 1)).unwrap();
            lan.reconfigure(k, InstanceId(0), config(k, s.version, s.prios[k], s.int_cs))
                .unwrap();
        }
        lan.run_until(at(t + 5_000_000));
        assert_eq!(
            lan.trace().len(),
            transitions,
            "seed {seed}: {:?}",
            &lan.trace()[transitions..]
        );
        assert_eq!(lan.masters(Vrid::new(51).unwrap()), [master], "seed {seed}");
        assert!(
            lan.violations().is_empty(),
            "seed {seed}: {:?}",
            lan.violations()
        );
    }
}

#[test]
fn reloading_the_master_with_a_priority_that_keeps_it_best_changes_no_state() {
    for seed in 0..SEEDS {
        let mut rng = XorShift::new(seed);
        let s = setup(&mut rng);
        let mut lan = lan(&s, seed);
        let (master, t) = settled(&mut lan, &s, seed);
        let transitions = lan.trace().len();
        let second = (0..s.prios.len())
            .filter(|&k| k != master)
            .map(|k| s.prios[k])
            .max()
            .unwrap();
        let new = u8::try_from(rng.range(u64::from(second) + 1, 254)).unwrap();
        let t = t + rng.range(1, u64::from(s.int_cs) * 10_000);
        lan.run_until(at(t));
        lan.reconfigure(
            master,
            InstanceId(0),
            config(master, s.version, new, s.int_cs),
        )
        .unwrap();
        lan.run_until(at(t + 5_000_000));
        assert_eq!(
            lan.trace().len(),
            transitions,
            "seed {seed}: {:?}",
            &lan.trace()[transitions..]
        );
        let r = lan.router(master).unwrap();
        let inst = r.instance(InstanceId(0)).unwrap();
        assert_eq!(inst.state(), State::Master, "seed {seed}");
        assert_eq!(inst.base_priority(), new, "seed {seed}");
        assert!(
            lan.violations().is_empty(),
            "seed {seed}: {:?}",
            lan.violations()
        );
    }
}
