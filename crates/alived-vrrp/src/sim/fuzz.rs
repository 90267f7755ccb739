//! Decoding arbitrary bytes into a config and a timed input sequence for one instance, and the
//! invariants checked after every step. Shared by the cargo-fuzz target
//! `fuzz/fuzz_targets/instance_inputs.rs` and a seeded loop in the unit tests.

use crate::instance::{
    Action, Input, Instance, InstanceConfig, Link, State, Timestamp, TrackKind, TrackStatus,
    TrackerConfig, TrackerId,
};
use crate::types::{Centisecs, Priority, Version, Vrid};
use crate::wire::{Advert, Auth};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// Bytes per step: delta, kind, two arguments.
const STEP: usize = 4;
/// Bytes of config header.
const HEADER: usize = 6;

/// A broken invariant, described for the fuzzer's crash report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvariantViolation(pub String);

fn byte(data: &[u8], i: usize) -> u8 {
    data.get(i).copied().unwrap_or(0)
}

/// The instance config encoded by the first bytes.
pub fn decode_config(data: &[u8]) -> Option<InstanceConfig> {
    let b = |i| byte(data, i);
    let vrid = Vrid::new(51)?;
    let mut c = InstanceConfig::new("VI_F", vrid, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 100)));
    c.priority = Priority(b(0).max(1));
    c.version = if b(1) & 1 == 0 {
        Version::V2
    } else {
        Version::V3
    };
    c.adver_int = Centisecs(match c.version {
        Version::V2 => 100 * u32::from(1 + (b(1) >> 1) % 3),
        Version::V3 => 10 + u32::from(b(1) >> 1) * 2,
    });
    c.preempt = b(2) & 1 == 0;
    c.preempt_delay = Duration::from_millis(u64::from((b(2) >> 1) % 8) * 500);
    c.lower_prio_no_advert = b(2) & 0x10 != 0;
    c.higher_prio_send_advert = b(2) & 0x20 != 0;
    c.dont_track_primary = b(2) & 0x40 != 0;
    c.down_timer_adverts = 1 + u32::from(b(3) % 5);
    c.vips = vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))];
    for k in 0..2u8 {
        let w = i32::from(b(4 + usize::from(k)) as i8);
        c.trackers.push(TrackerConfig {
            id: TrackerId(u32::from(k)),
            name: format!("chk{k}"),
            kind: if k == 0 {
                TrackKind::Script
            } else {
                TrackKind::File
            },
            weight: w.clamp(-254, 254),
            reverse: w & 1 != 0,
            initial: if k == 0 {
                TrackStatus::Up
            } else {
                TrackStatus::Value(0)
            },
        });
    }
    Some(c)
}

/// Which states a case visited, so tests can check the generator reaches them all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Visited {
    pub backup: bool,
    pub master: bool,
    pub fault: bool,
    pub stop: bool,
}

/// Runs the byte-encoded case; `Err` names the first broken invariant.
pub fn run_case(data: &[u8]) -> Result<Visited, InvariantViolation> {
    let mut seen = Visited::default();
    let Some(cfg) = decode_config(data) else {
        return Ok(seen);
    };
    let Ok(mut inst) = Instance::new(cfg.clone()) else {
        return Ok(seen); // an invalid config is refused cleanly, which is fine
    };
    let mut now = Timestamp::ZERO;
    let mut vips = false;
    let steps = data.get(HEADER..).unwrap_or(&[]);
    for chunk in steps.chunks(STEP) {
        let b = |i: usize| chunk.get(i).copied().unwrap_or(0);
        let target = now + Duration::from_micros(u64::from(b(0)) * u64::from(b(0)) * 100);
        // Let time pass the way a driver would: fire every timer due on the way.
        for _ in 0..10_000 {
            match inst.poll_timeout() {
                Some(t) if t <= target => {
                    if t < now {
                        return Err(InvariantViolation(format!(
                            "timer {t} in the past at {now}"
                        )));
                    }
                    now = t;
                    inst.handle_timeout(now);
                    check(&mut inst, now, &mut vips)?;
                    visit(&mut seen, inst.state());
                }
                _ => break,
            }
        }
        now = target;
        let input = match b(1) % 8 {
            0 if b(2) & 1 == 0 => Input::Start,
            0 => Input::Resume,
            1 => Input::Stop,
            2 | 3 => Input::Advert {
                src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, b(3))),
                advert: Advert {
                    version: cfg.version,
                    vrid: cfg.vrid,
                    priority: Priority(b(2)),
                    adver_int: Centisecs(u32::from(b(3)) * 10),
                    auth: Auth::None,
                    addrs: cfg.vips.clone(),
                },
            },
            4 => Input::LinkDown(if b(2) & 1 == 0 {
                Link::Own
            } else {
                Link::Tracked(TrackerId(0))
            }),
            5 => Input::LinkUp(if b(2) & 1 == 0 {
                Link::Own
            } else {
                Link::Tracked(TrackerId(0))
            }),
            6 => Input::TrackerResult {
                id: TrackerId(u32::from(b(2) % 3)),
                status: if b(3) & 1 == 0 {
                    TrackStatus::Up
                } else {
                    TrackStatus::Down
                },
            },
            _ => Input::TrackerResult {
                id: TrackerId(1),
                status: TrackStatus::Value(i64::from(b(2) as i8) * i64::from(b(3))),
            },
        };
        inst.handle(now, input);
        check(&mut inst, now, &mut vips)?;
        visit(&mut seen, inst.state());
    }
    Ok(seen)
}

fn visit(seen: &mut Visited, state: State) {
    match state {
        State::Backup => seen.backup = true,
        State::Master => seen.master = true,
        State::Fault => seen.fault = true,
        State::Stop => seen.stop = true,
        State::Init => {}
    }
}

/// Drains the actions and checks every invariant.
fn check(inst: &mut Instance, now: Timestamp, vips: &mut bool) -> Result<(), InvariantViolation> {
    let fail = |s: String| Err(InvariantViolation(s));
    while let Some(a) = inst.poll_action() {
        match a {
            Action::AddVips if *vips => return fail("VIPs added twice".into()),
            Action::AddVips => *vips = true,
            // Removing absent VIPs is normal: keepalived clears them at every start.
            Action::RemoveVips => *vips = false,
            Action::SendAdvert { priority } if priority.0 == 0 && inst.state() == State::Backup => {
                return fail("priority 0 sent by a backup".into());
            }
            _ => {}
        }
    }
    let state = inst.state();
    if *vips != (state == State::Master) {
        return fail(format!(
            "VIPs {} in {state}",
            if *vips { "held" } else { "absent" }
        ));
    }
    let (base, eff) = (inst.base_priority(), inst.effective_priority());
    if eff == 0 || (base == 255) != (eff == 255) {
        return fail(format!("effective priority {eff} with base {base}"));
    }
    match (state, inst.poll_timeout()) {
        (State::Master | State::Backup, None) => fail(format!("{state} with no timer armed")),
        (State::Fault | State::Stop | State::Init, Some(t)) => {
            fail(format!("{state} with a timer at {t}"))
        }
        // A timer may be due right now (a priority change can shorten the down timer), never
        // in the past.
        (_, Some(t)) if t < now => fail(format!("timer {t} before now {now}")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::XorShift;

    // House style rule 8 and the fuzz target's invariants, over 2,000 seeded random inputs.
    #[test]
    fn random_input_sequences_keep_instance_invariants() {
        let mut count = [0u32; 4];
        for seed in 0..2000u64 {
            let mut rng = XorShift::new(seed);
            let len = usize::try_from(rng.range(0, 400)).unwrap();
            let data: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            match run_case(&data) {
                Err(e) => panic!("seed {seed}: {e:?} (data {data:?})"),
                Ok(v) => {
                    for (k, hit) in [v.backup, v.master, v.fault, v.stop]
                        .into_iter()
                        .enumerate()
                    {
                        count[k] += u32::from(hit);
                    }
                }
            }
        }
        // The generator must actually reach every state, or the invariants prove little.
        assert!(count.iter().all(|&c| c >= 100), "states reached: {count:?}");
    }
}
