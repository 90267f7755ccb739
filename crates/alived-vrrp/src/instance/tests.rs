//! State-machine rules, one per test: start-up, BACKUP, FAULT and tracking (behaviour spec
//! 5.2, 5.3, 5.5, 2.5). Expected times are computed from the spec formulas here, not taken
//! from the code under test.

use super::*;
use crate::types::{Version, Vrid};
use crate::wire::{Advert, Auth};

pub(super) fn us(t: Timestamp) -> u64 {
    t.as_micros()
}

pub(super) fn at_ms(ms: u64) -> Timestamp {
    Timestamp::from_millis(ms)
}

pub(super) fn cfg(prio: u8) -> InstanceConfig {
    let mut c = InstanceConfig::new("VI_1", Vrid::new(51).unwrap(), "10.99.0.1".parse().unwrap());
    c.priority = Priority(prio);
    c.vips = vec!["10.99.0.100".parse().unwrap()];
    c
}

pub(super) fn advert(c: &InstanceConfig, prio: u8) -> Advert {
    Advert {
        version: c.version,
        vrid: c.vrid,
        priority: Priority(prio),
        adver_int: c.adver_int,
        auth: Auth::None,
        addrs: c.vips.clone(),
    }
}

pub(super) fn from(ip: &str, c: &InstanceConfig, prio: u8) -> Input {
    Input::Advert {
        src: ip.parse().unwrap(),
        advert: advert(c, prio),
    }
}

pub(super) fn drain(i: &mut Instance) -> Vec<Action> {
    std::iter::from_fn(|| i.poll_action()).collect()
}

pub(super) fn logs(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Log(l) => Some(l.to_string()),
            _ => None,
        })
        .collect()
}

pub(super) fn started(c: InstanceConfig, now: Timestamp) -> Instance {
    let mut i = Instance::new(c).unwrap();
    i.handle(now, Input::Start);
    drain(&mut i);
    i
}

/// Runs timers until `until`, like a driver would.
pub(super) fn run(i: &mut Instance, until: Timestamp) -> Vec<Action> {
    let mut out = Vec::new();
    for _ in 0..100_000 {
        match i.poll_timeout() {
            Some(t) if t <= until => {
                i.handle_timeout(t);
                out.extend(drain(i));
            }
            _ => break,
        }
    }
    out
}

/// Spec 5.2, written out independently: v2 skew (256-p)/256 s, v3 (256-p)*cs*625/16 µs.
pub(super) fn mdi_us(version: Version, prio: u64, adv_cs: u64) -> u64 {
    let skew = match version {
        Version::V2 => (256 - prio) * 1_000_000 / 256,
        Version::V3 => (256 - prio) * adv_cs * 625 / 16,
    };
    3 * adv_cs * 10_000 + skew
}

/// The time of the first transition to `to` in `actions`, given they came from `run` calls
/// whose timestamps we track through `poll_timeout`.
pub(super) fn became(i: &mut Instance, until: Timestamp, to: State) -> Option<Timestamp> {
    for _ in 0..100_000 {
        let t = i.poll_timeout()?;
        if t > until {
            return None;
        }
        i.handle_timeout(t);
        if drain(i)
            .iter()
            .any(|a| matches!(a, Action::Transition { to: s, .. } if *s == to))
        {
            return Some(t);
        }
    }
    None
}

// Spec 5.2 start-up: not an owner -> stale VIPs removed, `Entering BACKUP STATE (init)`
// (observed 2.2.7 order), MASTER after a full Master_Down_Interval if nobody speaks.
// RFC 5798 §6.4.1.
#[test]
fn start_non_owner_enters_backup_init_then_master_after_mdi() {
    let mut i = Instance::new(cfg(100)).unwrap();
    i.handle(at_ms(1000), Input::Start);
    let a = drain(&mut i);
    assert_eq!(
        logs(&a),
        [
            "(VI_1) removing VIPs.",
            "(VI_1) Entering BACKUP STATE (init)"
        ]
    );
    assert_eq!(a[1], Action::RemoveVips);
    assert_eq!(i.state(), State::Backup);
    let t = became(&mut i, at_ms(60_000), State::Master).unwrap();
    assert_eq!(us(t) - 1_000_000, mdi_us(Version::V2, 100, 100));
}

// Spec 5.2: an owner (255) goes MASTER at once through a 1 µs down timer; observed 2.2.7
// logs no BACKUP line for it, only `removing VIPs.`.
#[test]
fn start_owner_goes_master_after_one_microsecond() {
    let mut i = Instance::new(cfg(255)).unwrap();
    i.handle(at_ms(0), Input::Start);
    assert_eq!(logs(&drain(&mut i)), ["(VI_1) removing VIPs."]);
    assert_eq!(i.state(), State::Backup);
    let t = became(&mut i, at_ms(10_000), State::Master).unwrap();
    assert_eq!(us(t), 1);
}

// Spec 5.2: a fault present at start -> FAULT, logged as 2.2.7 does (observed: the cause,
// lower-case `entering FAULT state`, then `removing VIPs.`).
#[test]
fn start_with_fault_enters_fault_init() {
    let mut i = Instance::new(cfg(100)).unwrap();
    i.handle(at_ms(0), Input::LinkDown(Link::Own));
    i.handle(at_ms(0), Input::Start);
    let a = drain(&mut i);
    assert_eq!(
        logs(&a),
        [
            "(VI_1): entering FAULT state (interface eth0 down)",
            "(VI_1) entering FAULT state",
            "(VI_1) removing VIPs."
        ]
    );
    assert_eq!(i.state(), State::Fault);
    assert_eq!(i.poll_timeout(), None);
}

// Spec 5.3 / RFC 5798 §6.4.2: priority 0 -> the down timer becomes Skew_Time.
#[test]
fn backup_priority_zero_takes_over_after_skew() {
    let c = cfg(100);
    let mut i = started(c.clone(), at_ms(0));
    i.handle(at_ms(1000), from("10.99.0.2", &c, 150));
    i.handle(at_ms(1500), from("10.99.0.2", &c, 0));
    let a = drain(&mut i);
    assert_eq!(
        logs(&a),
        ["(VI_1) Backup received priority 0 advertisement"]
    );
    let t = became(&mut i, at_ms(60_000), State::Master).unwrap();
    let skew = (256 - 100) * 1_000_000 / 256;
    assert_eq!(us(t) - 1_500_000, skew);
}

// Spec 5.3: an advert with priority >= ours is accepted and resets the down timer.
#[test]
fn backup_accepts_higher_or_equal_priority_and_resets_down_timer() {
    let c = cfg(100);
    let mut i = started(c.clone(), at_ms(0));
    i.handle(at_ms(2000), from("10.99.0.2", &c, 100));
    i.handle(at_ms(4000), from("10.99.0.2", &c, 200));
    assert_eq!(
        i.current_master(),
        Some(("10.99.0.2".parse().unwrap(), Priority(200)))
    );
    let t = became(&mut i, at_ms(60_000), State::Master).unwrap();
    assert_eq!(us(t) - 4_000_000, mdi_us(Version::V2, 100, 100));
}

// Spec 5.3: preempting backup discards a lower-priority advert (log wording observed) and
// takes over one Master_Down_Interval after its last accepted advert.
#[test]
fn backup_discards_lower_priority_when_preempting() {
    let c = cfg(150);
    let mut i = started(c.clone(), at_ms(0));
    i.handle(at_ms(1000), from("10.99.0.2", &c, 200));
    drain(&mut i);
    i.handle(at_ms(2000), from("10.99.0.2", &c, 100));
    let a = drain(&mut i);
    assert_eq!(
        logs(&a),
        ["(VI_1) received lower priority (100) advert from 10.99.0.2 - discarding"]
    );
    assert_eq!(i.stats().discarded_lower, 1);
    let t = became(&mut i, at_ms(60_000), State::Master).unwrap();
    assert_eq!(us(t) - 1_000_000, mdi_us(Version::V2, 150, 100));
}

// Spec 5.3: with nopreempt every advert is accepted.
#[test]
fn nopreempt_backup_accepts_lower_priority() {
    let mut c = cfg(150);
    c.preempt = false;
    let mut i = started(c.clone(), at_ms(0));
    for k in 1..=10 {
        i.handle(at_ms(k * 1000), from("10.99.0.2", &c, 100));
    }
    assert_eq!(i.state(), State::Backup);
    let t = became(&mut i, at_ms(60_000), State::Master).unwrap();
    assert_eq!(us(t) - 10_000_000, mdi_us(Version::V2, 150, 100));
}

// Spec 2.2 / 5.3: with preempt_delay, lower adverts are accepted until the delay, started
// at start-up (observed 2.2.7: `start preempt delay (5.000000)` right after start), runs out;
// then they are discarded and the instance preempts one Master_Down_Interval after the last
// accepted advert.
#[test]
fn preempt_delay_accepts_lower_priority_until_it_expires() {
    let mut c = cfg(150);
    c.preempt_delay = Duration::from_secs(5);
    let mut i = Instance::new(c.clone()).unwrap();
    i.handle(at_ms(500), Input::Start);
    assert!(logs(&drain(&mut i)).contains(&"(VI_1) start preempt delay (5.000000)".to_owned()));
    let mut last_accepted = 0;
    for k in 1..=10u64 {
        i.handle(at_ms(k * 1000), from("10.99.0.2", &c, 100));
        let discarded = logs(&drain(&mut i))
            .iter()
            .any(|l| l.contains("discarding"));
        assert_eq!(discarded, k * 1000 >= 500 + 5000, "advert at {k} s");
        if !discarded {
            last_accepted = k * 1000;
        }
    }
    assert_eq!(last_accepted, 5000);
    let t = became(&mut i, at_ms(60_000), State::Master).unwrap();
    assert_eq!(us(t) - 5_000_000, mdi_us(Version::V2, 150, 100));
}

// RFC 5798 §6.4.2, spec 5.2: a v3 backup times its down timer with the master's interval.
#[test]
fn v3_backup_adopts_master_interval() {
    let mut c = cfg(100);
    c.version = Version::V3;
    c.adver_int = Centisecs(100);
    let mut i = started(c.clone(), at_ms(0));
    let mut adv = advert(&c, 200);
    adv.adver_int = Centisecs(50);
    i.handle(
        at_ms(1000),
        Input::Advert {
            src: "10.99.0.2".parse().unwrap(),
            advert: adv,
        },
    );
    assert_eq!(i.master_adver_int(), Centisecs(50));
    // Adverts of the new interval are the quiet ones now, and the read slack moved with
    // them (the router rebuilds socket filters when a slack changes).
    assert_eq!(
        i.quiet(),
        Some(crate::wire::Quiet::Steady {
            version: Version::V3,
            adver_int: Centisecs(50)
        })
    );
    assert_eq!(i.read_slack(), Some(i.skew()));
    assert_ne!(i.skew(), skew(Version::V3, 100, Centisecs(100)));
    let t = became(&mut i, at_ms(60_000), State::Master).unwrap();
    assert_eq!(us(t) - 1_000_000, mdi_us(Version::V3, 100, 50));
    // ...and resets to its own on becoming master.
    assert_eq!(i.master_adver_int(), Centisecs(100));
}

// Observed 2.2.7 (v3, master 1 s, backup 0.5 s): the backup logs the adoption and, when it
// becomes master, the return to its own interval, between `Entering MASTER STATE` and
// `setting VIPs.`.
#[test]
fn v3_interval_adoption_and_restore_are_logged() {
    let mut c = cfg(100);
    c.version = Version::V3;
    c.adver_int = Centisecs(50);
    let mut i = started(c.clone(), at_ms(0));
    let mut adv = advert(&c, 150);
    adv.adver_int = Centisecs(100);
    i.handle(
        at_ms(100),
        Input::Advert {
            src: "10.99.0.2".parse().unwrap(),
            advert: adv,
        },
    );
    assert_eq!(
        logs(&drain(&mut i)),
        ["(VI_1) advertisement interval updated from 500ms to 1000ms by master"]
    );
    let t = i.poll_timeout().unwrap();
    i.handle_timeout(t);
    let l = logs(&drain(&mut i));
    assert_eq!(
        l[1..4],
        [
            "(VI_1) Entering MASTER STATE",
            "(VI_1) changing advert interval from 1000ms to locally configured 500ms",
            "(VI_1) setting VIPs."
        ]
    );
}

// Spec 2.5: a weighted tracker changes the effective priority, logs it, and re-computes the
// down timer at once.
#[test]
fn tracker_weight_changes_priority_and_down_timer() {
    let mut c = cfg(100);
    c.trackers.push(TrackerConfig {
        id: TrackerId(7),
        name: "chk".into(),
        kind: TrackKind::Script,
        weight: -50,
        reverse: false,
        initial: TrackStatus::Up,
    });
    let mut i = started(c.clone(), at_ms(0));
    i.handle(at_ms(1000), from("10.99.0.2", &c, 200));
    i.handle(
        at_ms(1500),
        Input::TrackerResult {
            id: TrackerId(7),
            status: TrackStatus::Down,
        },
    );
    let a = drain(&mut i);
    assert_eq!(
        logs(&a),
        ["(VI_1) Changing effective priority from 100 to 50"]
    );
    assert_eq!(i.effective_priority(), 50);
    let t = became(&mut i, at_ms(60_000), State::Master).unwrap();
    assert_eq!(us(t) - 1_000_000, mdi_us(Version::V2, 50, 100));
}

// Spec 2.5: never for base 255.
#[test]
fn owner_priority_never_changed_by_trackers() {
    let mut c = cfg(255);
    c.trackers.push(TrackerConfig {
        id: TrackerId(1),
        name: "chk".into(),
        kind: TrackKind::Script,
        weight: -50,
        reverse: false,
        initial: TrackStatus::Up,
    });
    let mut i = started(c, at_ms(0));
    i.handle(
        at_ms(1),
        Input::TrackerResult {
            id: TrackerId(1),
            status: TrackStatus::Down,
        },
    );
    assert_eq!(i.effective_priority(), 255);
    assert!(logs(&drain(&mut i)).is_empty());
}

// Spec 2.5, 5.5: weight 0 down -> FAULT (observed 2.2.7: only `Entering FAULT STATE` while
// running); recovery -> BACKUP with a fresh Master_Down_Interval.
#[test]
fn weight_zero_tracker_down_faults_and_recovers_to_backup_with_fresh_mdi() {
    let mut c = cfg(100);
    c.trackers.push(TrackerConfig {
        id: TrackerId(1),
        name: "chk".into(),
        kind: TrackKind::Script,
        weight: 0,
        reverse: false,
        initial: TrackStatus::Up,
    });
    let mut i = started(c, at_ms(0));
    let down = Input::TrackerResult {
        id: TrackerId(1),
        status: TrackStatus::Down,
    };
    i.handle(at_ms(1000), down);
    let a = drain(&mut i);
    assert_eq!(logs(&a), ["(VI_1) Entering FAULT STATE"]);
    assert_eq!(i.poll_timeout(), None);
    i.handle(
        at_ms(9000),
        Input::TrackerResult {
            id: TrackerId(1),
            status: TrackStatus::Up,
        },
    );
    assert_eq!(logs(&drain(&mut i)), ["(VI_1) Entering BACKUP STATE"]);
    let t = became(&mut i, at_ms(60_000), State::Master).unwrap();
    assert_eq!(us(t) - 9_000_000, mdi_us(Version::V2, 100, 100));
}

// Spec 5.5: own interface down -> FAULT, unless dont_track_primary.
#[test]
fn own_link_down_faults_unless_dont_track_primary() {
    let mut i = started(cfg(100), at_ms(0));
    i.handle(at_ms(10), Input::LinkDown(Link::Own));
    assert_eq!(i.state(), State::Fault);
    let mut c = cfg(100);
    c.dont_track_primary = true;
    let mut j = started(c, at_ms(0));
    j.handle(at_ms(10), Input::LinkDown(Link::Own));
    assert_eq!(j.state(), State::Backup);
}

// Spec 5.5 / 5.7 step 4: adverts received in FAULT (or INIT) are ignored.
#[test]
fn adverts_ignored_in_fault_and_init() {
    let c = cfg(100);
    let mut i = Instance::new(c.clone()).unwrap();
    i.handle(at_ms(0), from("10.99.0.2", &c, 200));
    i.handle(at_ms(0), Input::Start);
    i.handle(at_ms(10), Input::LinkDown(Link::Own));
    drain(&mut i);
    i.handle(at_ms(20), from("10.99.0.2", &c, 200));
    assert!(drain(&mut i).is_empty());
    assert_eq!(i.stats().ignored, 2);
    assert_eq!(i.stats().adverts_rcvd, 0);
}

// Spec 2.5: track_file value × weight below -253 -> FAULT.
#[test]
fn track_file_below_minus_253_faults() {
    let mut c = cfg(200);
    c.trackers.push(TrackerConfig {
        id: TrackerId(3),
        name: "f".into(),
        kind: TrackKind::File,
        weight: -1,
        reverse: false,
        initial: TrackStatus::Value(0),
    });
    let mut i = started(c, at_ms(0));
    let set = |v| Input::TrackerResult {
        id: TrackerId(3),
        status: TrackStatus::Value(v),
    };
    i.handle(at_ms(1), set(100));
    assert_eq!(i.effective_priority(), 100);
    assert_eq!(i.state(), State::Backup);
    i.handle(at_ms(2), set(254));
    assert_eq!(i.state(), State::Fault);
}

// House style rule 8: a report about a tracker we do not have is counted, not a panic.
#[test]
fn unknown_tracker_is_counted() {
    let mut i = started(cfg(100), at_ms(0));
    i.handle(
        at_ms(1),
        Input::TrackerResult {
            id: TrackerId(99),
            status: TrackStatus::Down,
        },
    );
    assert_eq!(i.stats().unknown_tracker, 1);
    assert_eq!(i.state(), State::Backup);
}

// Spec 5.2 ("or it was MASTER before a reload") and ARCHITECTURE.md section 1: a resumed
// master goes MASTER through a 1 µs down timer instead of a full Master_Down_Interval.
#[test]
fn resume_goes_master_after_one_microsecond() {
    let mut i = Instance::new(cfg(100)).unwrap();
    i.handle(at_ms(5000), Input::Resume);
    let t = became(&mut i, at_ms(60_000), State::Master).unwrap();
    assert_eq!(us(t), 5_000_001);
    // A fault still wins.
    let mut j = Instance::new(cfg(100)).unwrap();
    j.handle(at_ms(0), Input::LinkDown(Link::Own));
    j.handle(at_ms(0), Input::Resume);
    assert_eq!(j.state(), State::Fault);
}

// Start-up with an unweighted script already down names the script (2.2.7 wording).
#[test]
fn start_with_script_fault_names_the_script() {
    let mut c = cfg(100);
    c.trackers.push(TrackerConfig {
        id: TrackerId(1),
        name: "chk".into(),
        kind: TrackKind::Script,
        weight: 0,
        reverse: false,
        initial: TrackStatus::Down,
    });
    let mut i = Instance::new(c).unwrap();
    i.handle(at_ms(0), Input::Start);
    assert_eq!(
        logs(&drain(&mut i))[..2],
        [
            "(VI_1): entering FAULT state due to script chk",
            "(VI_1) entering FAULT state"
        ]
    );
}

// The status snapshot reflects state, priorities, the accepted master and counters.
#[test]
fn status_snapshot_reports_master_and_counters() {
    let c = cfg(100);
    let mut i = started(c.clone(), at_ms(0));
    i.handle(at_ms(1000), from("10.99.0.2", &c, 200));
    let s = i.status();
    assert_eq!(s.state, State::Backup);
    assert_eq!(s.master, Some("10.99.0.2".parse().unwrap()));
    assert_eq!(s.master_priority, Some(200));
    assert_eq!(s.stats.adverts_rcvd, 1);
    assert_eq!(s.fault, None);
}

/// What one instance costs inline (issue 6: a thousand run in one process). The bound fails
/// loudly on a regression; `--nocapture` prints where the bytes are.
#[test]
fn an_instance_stays_small() {
    use std::mem::size_of;
    let sizes = [
        ("Instance", size_of::<Instance>(), 368),
        ("InstanceConfig", size_of::<InstanceConfig>(), 144),
        ("Timers", size_of::<super::timers::Timers>(), 64),
        ("Stats", size_of::<Stats>(), 72),
    ];
    for (name, size, bound) in sizes {
        eprintln!("{name}: {size} bytes (bound {bound})");
    }
    for (name, size, bound) in sizes {
        assert!(size <= bound, "{name} is {size} bytes, more than {bound}");
    }
}

#[test]
fn garp_settings_compare_by_value_however_stored() {
    use crate::types::Sparse;
    let mut g = Sparse::<GarpConfig>::default();
    assert!(!g.is_stored());
    assert_eq!(g, GarpConfig::default());
    g.master_repeat = 2;
    assert_eq!(g.master_repeat, 2);
    assert_ne!(g, Sparse::default());
    g.master_repeat = GarpConfig::DEFAULT.master_repeat;
    // Stored after a write, yet equal to the unstored default.
    assert!(g.is_stored());
    assert_eq!(g, Sparse::default());
    assert!(!Sparse::new(GarpConfig::DEFAULT).is_stored());
    assert!(
        !InstanceConfig::new("VI_1", Vrid::new(51).unwrap(), "10.0.0.1".parse().unwrap())
            .garp
            .is_stored()
    );
}
