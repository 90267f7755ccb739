//! Sync-group properties on the simulated LAN over 1,000 seeded random LANs (behaviour spec
//! 2.4): every router holds two instances in one sync group, with one priority per router.
//! * once stable, the best router is MASTER of both VRIDs and nobody else of either;
//! * after it crashes, the next best takes both over at the moment the *last* member's down
//!   timer expires (the group waits until every member wants MASTER), computed from the
//!   spec 5.2 formula, and the group never splits.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alived_vrrp::instance::{InstanceConfig, State, Timestamp};
use alived_vrrp::sim::{Lan, NodeSpec, XorShift};
use alived_vrrp::sync::SyncGroupConfig;
use alived_vrrp::types::{Centisecs, Priority, Version, Vrid};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

const SEEDS: u64 = 1000;

fn addr(k: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, u8::try_from(k + 1).unwrap()))
}

fn mdi_us(version: Version, prio: u8, int_cs: u32) -> u64 {
    let w = 256 - u64::from(prio);
    let skew = match version {
        Version::V2 => w * 1_000_000 / 256,
        Version::V3 => w * u64::from(int_cs) * 625 / 16,
    };
    3 * u64::from(int_cs) * 10_000 + skew
}

// Spec 2.4: members move together; MASTER only when every member wants MASTER.
#[test]
fn sync_group_members_move_together_and_fail_over_on_the_last_timer() {
    for seed in 0..SEEDS {
        let mut rng = XorShift::new(seed);
        let n = usize::try_from(rng.range(2, 3)).unwrap();
        let version = if rng.chance(500) {
            Version::V2
        } else {
            Version::V3
        };
        // Per-VRID intervals (v3 may differ between the two instances).
        let ints: [u32; 2] = match version {
            Version::V2 => [100, 100 * u32::try_from(rng.range(1, 2)).unwrap()],
            Version::V3 => [
                u32::try_from(rng.range(20, 150)).unwrap(),
                u32::try_from(rng.range(20, 150)).unwrap(),
            ],
        };
        let vrids = [Vrid::new(51).unwrap(), Vrid::new(52).unwrap()];
        let prios: Vec<u8> = (0..n)
            .map(|k| u8::try_from(60 + 50 * k as u64 + rng.below(40)).unwrap())
            .collect();
        let specs = (0..n)
            .map(|k| {
                let instances = (0..2)
                    .map(|v| {
                        let mut c = InstanceConfig::new(format!("VI_{}", v + 1), vrids[v], addr(k));
                        c.version = version;
                        c.priority = Priority(prios[k]);
                        c.adver_int = Centisecs(ints[v]);
                        c.vips = vec![IpAddr::V4(Ipv4Addr::new(10, 9, 9, 1 + v as u8))];
                        c
                    })
                    .collect();
                NodeSpec {
                    name: format!("r{}", k + 1),
                    instances,
                    groups: vec![SyncGroupConfig {
                        name: "G1".into(),
                        members: vec!["VI_1".into(), "VI_2".into()],
                        tracking_weight: false,
                    }],
                }
            })
            .collect();
        let mut lan = Lan::new(specs, seed).unwrap();
        lan.delay = Duration::from_micros(50);
        lan.jitter = Duration::from_micros(200);
        lan.record_deliveries = true;
        lan.start_all();
        let max_int = u64::from(*ints.iter().max().unwrap());
        let settle = mdi_us(version, 1, u32::try_from(max_int).unwrap()) + max_int * 10_000;
        let first = n - 1; // highest priority by construction
        let check = |lan: &Lan, want: usize, what: &str| {
            for v in vrids {
                assert_eq!(
                    lan.masters(v),
                    [want],
                    "seed {seed}: {what} VRID {v} at {}",
                    lan.now()
                );
            }
            for k in 0..n {
                if let Some(r) = lan.router(k) {
                    let s: Vec<State> = r.instances().map(|(_, i)| i.state()).collect();
                    assert_eq!(s[0], s[1], "seed {seed}: r{} split: {s:?}", k + 1);
                }
            }
            assert!(
                lan.violations().is_empty(),
                "seed {seed}: {:?}",
                lan.violations()
            );
        };
        lan.run_until(Timestamp::from_micros(settle));
        check(&lan, first, "stable");
        let crash_at = settle + rng.below(1_000_000);
        lan.run_until(Timestamp::from_micros(crash_at));
        lan.crash(first);
        let next = n - 2;
        lan.run_until(Timestamp::from_micros(crash_at + settle));
        check(&lan, next, "after failover");
        // The group moves when the later of the two down timers expires: each member's
        // last accepted advert + its Master_Down_Interval with the dead master's interval.
        let want = (0..2)
            .map(|v| {
                let last_rx = lan
                    .deliveries()
                    .iter()
                    .filter(|d| d.to == next && d.src == addr(first) && d.vrid == vrids[v])
                    .map(|d| d.at.as_micros())
                    .max()
                    .unwrap();
                last_rx + mdi_us(version, prios[next], ints[v])
            })
            .max()
            .unwrap();
        let took_over: Vec<u64> = lan
            .trace()
            .iter()
            .filter(|t| t.node == next && t.to == State::Master && t.at.as_micros() > crash_at)
            .map(|t| t.at.as_micros())
            .collect();
        assert_eq!(took_over.len(), 2, "seed {seed}");
        assert_eq!(
            took_over[0], took_over[1],
            "seed {seed}: members moved apart"
        );
        assert!(
            took_over[0].abs_diff(want) <= 1,
            "seed {seed}: group took over at {}, formula says {want}",
            took_over[0]
        );
    }
}
