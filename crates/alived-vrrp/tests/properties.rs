//! Property tests on the simulated LAN, over 1,000 seeded random LANs each (house style rule
//! 10). Every failure prints its seed; the run replays exactly from it.
//!
//! * while connected and stable, exactly one MASTER per VRID, and it is the best router
//!   (highest priority, then highest address: RFC 5798 §6.4.3, spec 5.4);
//! * after the master crashes, the best remaining router takes over exactly one
//!   Master_Down_Interval after the last advert it heard (spec 5.2 formula, v2 and v3), and a
//!   single master is back within Master_Down_Interval + one advert interval;
//! * after a partition heals, a single master within one advert interval;
//! * after a lossy period, a single (best) master within Master_Down_Interval + one interval.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alived_vrrp::instance::{InstanceConfig, State, Timestamp};
use alived_vrrp::sim::{Lan, NodeSpec, XorShift};
use alived_vrrp::types::{Centisecs, Priority, Version, Vrid};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

const SEEDS: u64 = 1000;

/// One random LAN: 2..=4 routers, one VRID, one version.
struct Setup {
    version: Version,
    prios: Vec<u8>,
    ints: Vec<u32>,
    vrid: Vrid,
}

fn addr(k: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, u8::try_from(k + 1).unwrap()))
}

fn setup(rng: &mut XorShift) -> Setup {
    let n = usize::try_from(rng.range(2, 4)).unwrap();
    let version = if rng.chance(500) {
        Version::V2
    } else {
        Version::V3
    };
    // v2 intervals must agree (a mismatch is dropped by validation); v3 may differ per node.
    let common = match version {
        Version::V2 => 100 * u32::try_from(rng.range(1, 3)).unwrap(),
        Version::V3 => u32::try_from(rng.range(20, 200)).unwrap(),
    };
    let ints = (0..n)
        .map(|_| {
            if version == Version::V3 && rng.chance(300) {
                u32::try_from(rng.range(20, 200)).unwrap()
            } else {
                common
            }
        })
        .collect();
    // Some ties on purpose: priorities from a small pool half of the time.
    let small_pool = rng.chance(500);
    let prios = (0..n)
        .map(|_| {
            if small_pool {
                u8::try_from(rng.range(99, 101)).unwrap()
            } else {
                u8::try_from(rng.range(1, 254)).unwrap()
            }
        })
        .collect();
    Setup {
        version,
        prios,
        ints,
        vrid: Vrid::new(u8::try_from(rng.range(1, 255)).unwrap()).unwrap(),
    }
}

fn lan(s: &Setup, seed: u64) -> Lan {
    let specs = (0..s.prios.len())
        .map(|k| {
            let mut c = InstanceConfig::new("VI_1", s.vrid, addr(k));
            c.version = s.version;
            c.priority = Priority(s.prios[k]);
            c.adver_int = Centisecs(s.ints[k]);
            c.vips = vec![IpAddr::V4(Ipv4Addr::new(10, 9, 9, 9))];
            NodeSpec {
                name: format!("r{}", k + 1),
                instances: vec![c],
                groups: vec![],
            }
        })
        .collect();
    let mut lan = Lan::new(specs, seed).unwrap();
    lan.delay = Duration::from_micros(50);
    lan.jitter = Duration::from_micros(200);
    lan
}

/// Spec 5.2, written out: down_timer_adverts(3) × interval + skew.
fn mdi_us(version: Version, prio: u8, int_cs: u32) -> u64 {
    let w = 256 - u64::from(prio);
    let skew = match version {
        Version::V2 => w * 1_000_000 / 256,
        Version::V3 => w * u64::from(int_cs) * 625 / 16,
    };
    3 * u64::from(int_cs) * 10_000 + skew
}

/// The router that wins among `alive` when all start together with equal intervals:
/// highest priority, then highest address.
fn best(s: &Setup, alive: &[usize]) -> usize {
    *alive
        .iter()
        .max_by_key(|&&k| (s.prios[k], addr(k)))
        .unwrap()
}

/// The routers that may end up MASTER among `alive`: those with the highest priority. The
/// address tie-break only applies between two masters (spec 5.3: a backup accepts an equal
/// priority), so with timers started at different moments any of them may win.
fn acceptable(s: &Setup, alive: &[usize]) -> Vec<usize> {
    let top = alive.iter().map(|&k| s.prios[k]).max().unwrap();
    alive
        .iter()
        .copied()
        .filter(|&k| s.prios[k] == top)
        .collect()
}

/// Longest possible Master_Down_Interval on this LAN plus one longest interval, in µs.
fn settle_us(s: &Setup) -> u64 {
    let max_int = u64::from(*s.ints.iter().max().unwrap());
    mdi_us(s.version, 1, u32::try_from(max_int).unwrap()) + max_int * 10_000
}

fn at(us: u64) -> Timestamp {
    Timestamp::from_micros(us)
}

/// Runs from `from_us` over three advert intervals and asserts at several points that
/// exactly one router is MASTER, always the same one, and one of `want`.
fn assert_single_master(lan: &mut Lan, s: &Setup, want: &[usize], from_us: u64, seed: u64) {
    let step = u64::from(*s.ints.iter().min().unwrap()) * 10_000 / 3;
    let mut first = None;
    for k in 0..9 {
        lan.run_until(at(from_us + k * step));
        let masters = lan.masters(s.vrid);
        let ok = masters.len() == 1
            && want.contains(&masters[0])
            && first.is_none_or(|f| f == masters[0]);
        assert!(
            ok,
            "seed {seed}: at {} masters {masters:?}, want one of {want:?} (prios {:?}, ints {:?}, {:?})",
            lan.now(),
            s.prios,
            s.ints,
            s.version
        );
        first = Some(masters[0]);
    }
    assert!(
        lan.violations().is_empty(),
        "seed {seed}: {:?}",
        lan.violations()
    );
}

// RFC 5798 §6.4, spec 5.3/5.4: a connected, stable LAN has exactly one MASTER, the best one.
#[test]
fn stable_lan_has_exactly_one_master_per_vrid() {
    for seed in 0..SEEDS {
        let mut rng = XorShift::new(seed);
        let s = setup(&mut rng);
        let mut lan = lan(&s, seed);
        lan.start_all();
        let all: Vec<usize> = (0..s.prios.len()).collect();
        let settle = settle_us(&s) + 10_000;
        // With one interval everywhere the timers of equal priorities expire together and the
        // address decides (spec 5.4); otherwise any top priority may win.
        let want = if s.ints.iter().all(|&i| i == s.ints[0]) {
            vec![best(&s, &all)]
        } else {
            acceptable(&s, &all)
        };
        assert_single_master(&mut lan, &s, &want, settle, seed);
    }
}

// Spec 5.2/5.3: after the master crashes, the best remaining router becomes MASTER exactly
// Master_Down_Interval (with the dead master's interval for v3) after the last advert it
// accepted, and it is the only master from then on.
#[test]
fn master_crash_failover_time_matches_formula() {
    for seed in 0..SEEDS {
        let mut rng = XorShift::new(seed);
        let mut s = setup(&mut rng);
        // Distinct priorities so that "the next best" is unique and ahead by a skew step.
        let n = s.prios.len();
        for k in 0..n {
            s.prios[k] = u8::try_from(50 + 40 * k as u64 + rng.below(30)).unwrap();
        }
        let mut lan = lan(&s, seed);
        lan.record_deliveries = true;
        lan.start_all();
        let all: Vec<usize> = (0..n).collect();
        let first = best(&s, &all);
        let settle = settle_us(&s);
        let crash_at = settle + rng.below(2_000_000);
        lan.run_until(at(crash_at));
        assert_eq!(lan.masters(s.vrid), [first], "seed {seed}");
        lan.crash(first);
        let rest: Vec<usize> = all.iter().copied().filter(|&k| k != first).collect();
        let next = best(&s, &rest);
        lan.run_until(at(crash_at + settle_us(&s)));
        let last_rx = lan
            .deliveries()
            .iter()
            .filter(|d| d.to == next && d.src == addr(first))
            .map(|d| d.at.as_micros())
            .max()
            .unwrap();
        let took_over = lan
            .trace()
            .iter()
            .filter(|t| t.node == next && t.to == State::Master && t.at.as_micros() > crash_at)
            .map(|t| t.at.as_micros())
            .next()
            .unwrap_or_else(|| panic!("seed {seed}: no takeover"));
        let want = last_rx + mdi_us(s.version, s.prios[next], s.ints[first]);
        assert!(
            took_over.abs_diff(want) <= 1,
            "seed {seed}: took over at {took_over}, formula says {want} ({:?}, prio {}, int {})",
            s.version,
            s.prios[next],
            s.ints[first]
        );
        let max_int = u64::from(*s.ints.iter().max().unwrap()) * 10_000;
        let bound = crash_at + mdi_us(s.version, s.prios[next], s.ints[first]) + max_int;
        assert_single_master(&mut lan, &s, &[next], bound, seed);
    }
}

// After a partition heals, the masters hear each other and a single (best) master remains
// within one advert interval (spec 5.4).
#[test]
fn partition_heal_leaves_single_master() {
    for seed in 0..SEEDS {
        let mut rng = XorShift::new(seed);
        let s = setup(&mut rng);
        let n = s.prios.len();
        let mut lan = lan(&s, seed);
        lan.start_all();
        let settle = settle_us(&s);
        lan.run_until(at(settle));
        // A random non-trivial split.
        let split = usize::try_from(rng.range(1, n as u64 - 1)).unwrap();
        let (a, b): (Vec<usize>, Vec<usize>) = (0..n).partition(|&k| k < split);
        lan.partition(&[a.clone(), b.clone()]);
        lan.run_until(at(2 * settle));
        let masters = lan.masters(s.vrid);
        for side in [&a, &b] {
            let here: Vec<usize> = masters
                .iter()
                .copied()
                .filter(|m| side.contains(m))
                .collect();
            assert!(
                here.len() == 1 && acceptable(&s, side).contains(&here[0]),
                "seed {seed}: side {side:?} masters {here:?} (prios {:?}, ints {:?})",
                s.prios,
                s.ints
            );
        }
        let heal_at = 2 * settle + rng.below(1_000_000);
        lan.run_until(at(heal_at));
        lan.heal();
        let max_int = u64::from(*s.ints.iter().max().unwrap()) * 10_000;
        let all: Vec<usize> = (0..n).collect();
        assert_single_master(
            &mut lan,
            &s,
            &acceptable(&s, &all),
            heal_at + max_int + 1_000,
            seed,
        );
    }
}

// With loss the backup may take over for a while; once the loss stops, a single best master
// is back within Master_Down_Interval + one advert interval.
#[test]
fn lossy_period_then_single_master_again() {
    for seed in 0..SEEDS {
        let mut rng = XorShift::new(seed);
        let s = setup(&mut rng);
        let mut lan = lan(&s, seed);
        lan.loss_permille = u32::try_from(rng.range(100, 600)).unwrap();
        lan.start_all();
        let lossy_until = 3 * settle_us(&s);
        lan.run_until(at(lossy_until));
        lan.loss_permille = 0;
        let all: Vec<usize> = (0..s.prios.len()).collect();
        let want = acceptable(&s, &all);
        assert_single_master(&mut lan, &s, &want, lossy_until + settle_us(&s), seed);
    }
}
