//! Sync-group rules, one per test (behaviour spec 2.4).

use super::*;
use crate::instance::{Link, Reason};
use crate::types::{Priority, Vrid};
use crate::wire::{Advert, Auth, Quiet};

fn cfg(name: &str, vrid: u8) -> InstanceConfig {
    let mut c = InstanceConfig::new(name, Vrid::new(vrid).unwrap(), "10.0.0.1".parse().unwrap());
    c.vips = vec![format!("10.0.{vrid}.100").parse().unwrap()];
    c
}

fn router() -> Router {
    Router::new(
        vec![cfg("VI_1", 51), cfg("VI_2", 52)],
        vec![SyncGroupConfig {
            name: "G1".into(),
            members: vec!["VI_1".into(), "VI_2".into()],
            tracking_weight: false,
        }],
    )
    .unwrap()
}

fn ms(v: u64) -> Timestamp {
    Timestamp::from_millis(v)
}

fn advert_for(r: &Router, id: InstanceId, prio: u8) -> Input {
    let c = r.instance(id).unwrap().config();
    Input::Advert {
        src: "10.0.0.2".parse().unwrap(),
        advert: Advert {
            version: c.version,
            vrid: c.vrid,
            priority: Priority(prio),
            adver_int: c.adver_int,
            auth: Auth::None,
            addrs: c.vips.clone(),
        },
    }
}

fn drain(r: &mut Router) -> Vec<(Target, Action)> {
    std::iter::from_fn(|| r.poll_action()).collect()
}

fn group_logs(a: &[(Target, Action)]) -> Vec<String> {
    a.iter()
        .filter_map(|(t, a)| match (t, a) {
            (Target::Group(_), Action::Log(l)) => Some(l.to_string()),
            _ => None,
        })
        .collect()
}

fn states(r: &Router) -> Vec<State> {
    r.instances().map(|(_, i)| i.state()).collect()
}

/// Drives timers up to `until`, collecting actions.
fn run(r: &mut Router, until: Timestamp) -> Vec<(Target, Action)> {
    let mut out = Vec::new();
    for _ in 0..10_000 {
        match r.poll_timeout() {
            Some(t) if t <= until => {
                r.handle_timeout(t);
                out.extend(drain(r));
            }
            _ => break,
        }
    }
    out
}

// Spec 2.4: a member only becomes MASTER when every member wants MASTER; then all do, with
// `VRRP_Group(G1) Syncing instances to MASTER state`.
#[test]
fn sync_group_goes_master_only_when_all_members_want_master() {
    let mut r = router();
    r.handle_all(ms(0), Input::Start);
    drain(&mut r);
    let (vi1, vi2) = (InstanceId(0), InstanceId(1));
    // VI_1 hears a master every second until 10 s; VI_2 hears nobody.
    for k in 1..=10 {
        run(&mut r, ms(k * 1000));
        let adv = advert_for(&r, vi1, 200);
        r.handle(ms(k * 1000), vi1, adv);
    }
    run(&mut r, ms(10_000));
    assert_eq!(states(&r), [State::Backup, State::Backup]);
    assert_eq!(r.instance(vi2).unwrap().wantstate(), State::Master);
    // VI_1's own down timer decides when: last advert + its Master_Down_Interval (v2,
    // prio 100, 1 s: 3 s + 156/256 s).
    let mdi_us = 3 * 1_000_000 + (256 - 100) * 1_000_000 / 256;
    let just_before = Timestamp::from_micros(10_000_000 + mdi_us - 1);
    run(&mut r, just_before);
    assert_eq!(states(&r), [State::Backup, State::Backup]);
    let a = run(&mut r, Timestamp::from_micros(10_000_000 + mdi_us));
    assert_eq!(states(&r), [State::Master, State::Master]);
    assert_eq!(
        group_logs(&a),
        ["VRRP_Group(G1) Syncing instances to MASTER state"]
    );
    // Observed 2.2.7 order: the member that completed the condition (VI_1, whose timer ran
    // out last) enters MASTER first, then the group line, then the others.
    let order: Vec<String> = a
        .iter()
        .filter_map(|(t, a)| match a {
            Action::Transition {
                to: State::Master, ..
            } => Some(format!("{t:?}")),
            Action::Log(l) if matches!(t, Target::Group(_)) => Some(l.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        [
            "Instance(InstanceId(0))",
            "VRRP_Group(G1) Syncing instances to MASTER state",
            "Instance(InstanceId(1))"
        ]
    );
}

// Spec 2.4: any member in FAULT -> all FAULT; when it clears, all go BACKUP.
#[test]
fn sync_group_fault_propagates_to_all_members() {
    let mut r = router();
    r.handle_all(ms(0), Input::Start);
    drain(&mut r);
    r.handle(ms(100), InstanceId(0), Input::LinkDown(Link::Own));
    let a = drain(&mut r);
    assert_eq!(states(&r), [State::Fault, State::Fault]);
    assert_eq!(
        group_logs(&a),
        ["VRRP_Group(G1) Syncing instances to FAULT state"]
    );
    assert!(a.iter().any(|(t, a)| *t == Target::Instance(InstanceId(1))
        && matches!(
            a,
            Action::Transition {
                reason: Reason::Fault(_),
                ..
            }
        )));
    r.handle(ms(200), InstanceId(0), Input::LinkUp(Link::Own));
    drain(&mut r);
    assert_eq!(states(&r), [State::Backup, State::Backup]);
}

// Spec 2.4: a member that goes BACKUP takes the other masters with it.
#[test]
fn sync_group_backup_propagates_from_one_member() {
    let mut r = router();
    r.handle_all(ms(0), Input::Start);
    run(&mut r, ms(10_000));
    assert_eq!(states(&r), [State::Master, State::Master]);
    let adv = advert_for(&r, InstanceId(1), 250);
    r.handle(ms(10_500), InstanceId(1), adv);
    let a = drain(&mut r);
    assert_eq!(states(&r), [State::Backup, State::Backup]);
    assert_eq!(
        group_logs(&a),
        ["VRRP_Group(G1) Syncing instances to BACKUP state"]
    );
}

// Spec 2.4: a group naming an unknown instance is a configuration error, not a panic.
#[test]
fn sync_group_with_unknown_member_is_an_error() {
    let e = Router::new(
        vec![cfg("VI_1", 51)],
        vec![SyncGroupConfig {
            name: "G1".into(),
            members: vec!["VI_1".into(), "VI_9".into()],
            tracking_weight: false,
        }],
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "VRRP_Group(G1) unknown instance VI_9");
}

fn weighted(c: &mut InstanceConfig) {
    c.trackers.push(crate::instance::TrackerConfig {
        id: crate::instance::TrackerId(1),
        name: "chk".into(),
        kind: crate::instance::TrackKind::Script,
        weight: -50,
        reverse: false,
        initial: crate::instance::TrackStatus::Up,
    });
}

// Spec 2.4: weighted trackers of members are dropped unless sync_group_tracking_weight.
#[test]
fn sync_group_drops_member_tracker_weights_unless_tracking_weight() {
    for keep in [false, true] {
        let mut c1 = cfg("VI_1", 51);
        weighted(&mut c1);
        let mut r = Router::new(
            vec![c1, cfg("VI_2", 52)],
            vec![SyncGroupConfig {
                name: "G1".into(),
                members: vec!["VI_1".into(), "VI_2".into()],
                tracking_weight: keep,
            }],
        )
        .unwrap();
        r.handle_all(ms(0), Input::Start);
        r.handle(
            ms(1),
            InstanceId(0),
            Input::TrackerResult {
                id: crate::instance::TrackerId(1),
                status: crate::instance::TrackStatus::Down,
            },
        );
        let want = if keep { 50 } else { 100 };
        assert_eq!(
            r.instance(InstanceId(0)).unwrap().effective_priority(),
            want
        );
    }
}

// Spec 5.4: lower-priority GARPs are sent "also for sync-group peers".
#[test]
fn sync_group_peers_send_lower_priority_garps_too() {
    let mut r = router();
    r.handle_all(ms(0), Input::Start);
    run(&mut r, ms(10_000));
    assert_eq!(states(&r), [State::Master, State::Master]);
    let adv = advert_for(&r, InstanceId(0), 50);
    r.handle(ms(10_100), InstanceId(0), adv);
    let garps: Vec<Target> = drain(&mut r)
        .into_iter()
        .filter(|(_, a)| {
            matches!(
                a,
                Action::SendGarps {
                    kind: crate::instance::GarpKind::LowerPriority,
                    ..
                }
            )
        })
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        garps,
        [
            Target::Instance(InstanceId(0)),
            Target::Instance(InstanceId(1))
        ]
    );
}

#[test]
fn drained_instances_hold_no_action_queue_of_their_own() {
    let configs: Vec<InstanceConfig> = (1..=20).map(|v| cfg(&format!("VI_{v}"), v)).collect();
    let mut r = Router::new(configs, vec![]).unwrap();
    r.handle_all(ms(0), Input::Start);
    assert!(!drain(&mut r).is_empty());
    // Through the down timers to MASTER, then a few advert intervals.
    let mut t = 0;
    while t < 10_000 {
        t += 100;
        r.handle_timeout(ms(t));
        drain(&mut r);
    }
    assert!(states(&r).iter().all(|s| *s == State::Master));
    let id = InstanceId(3);
    let input = advert_for(&r, id, 255);
    r.handle(ms(t), id, input);
    assert!(
        !drain(&mut r).is_empty(),
        "a higher-priority advert makes VI_4 act"
    );
    for (id, inst) in r.instances() {
        assert_eq!(inst.queue_capacity(), 0, "{id:?} kept its queue");
    }
    assert!(r.spare.capacity() > 0, "the router keeps the one queue");
}

#[test]
fn read_slack_is_the_shortest_backup_skew_and_zero_once_any_instance_is_master() {
    let mut low = cfg("VI_1", 51);
    low.priority = Priority(100);
    let mut high = cfg("VI_2", 52);
    high.priority = Priority(200);
    let mut r = Router::new(vec![low, high], vec![]).unwrap();
    // INIT ignores adverts: nothing bounds how long they may wait.
    assert_eq!(r.read_slack(), None);
    let quiet = |r: &Router| -> Vec<_> { r.instances().map(|(_, i)| i.quiet()).collect() };
    assert_eq!(quiet(&r), [Some(Quiet::All), Some(Quiet::All)]);
    let g = r.quiet_generation();
    r.handle_all(ms(0), Input::Start);
    drain(&mut r);
    assert_eq!(states(&r), [State::Backup, State::Backup]);
    assert_ne!(
        r.quiet_generation(),
        g,
        "every instance's quiet adverts changed"
    );
    let steady = Quiet::Steady {
        version: crate::types::Version::V2,
        adver_int: crate::types::Centisecs(100),
    };
    assert_eq!(quiet(&r), [Some(steady), Some(steady)]);
    let skews: Vec<_> = r.instances().map(|(_, i)| i.skew()).collect();
    // v2 Skew_Time = (256 - priority) / 256 s: the higher priority has the shorter one.
    assert_eq!(skews[1], std::time::Duration::from_micros(218_750));
    assert_eq!(r.read_slack(), Some(skews[1]));
    // With no master heard, the higher priority takes over first: a master answers at once.
    let g = r.quiet_generation();
    run(&mut r, ms(3_500));
    assert_eq!(states(&r)[1], State::Master);
    assert_eq!(r.read_slack(), Some(std::time::Duration::ZERO));
    assert_eq!(
        quiet(&r),
        [Some(steady), None],
        "a master hears every advert"
    );
    assert_ne!(r.quiet_generation(), g);
    // A master that loses its link stops listening; the backup's skew bounds it again.
    let g = r.quiet_generation();
    r.handle(ms(3_600), InstanceId(1), Input::LinkDown(Link::Own));
    drain(&mut r);
    assert_eq!(states(&r)[1], State::Fault);
    assert_eq!(r.read_slack(), Some(skews[0]));
    assert_eq!(quiet(&r), [Some(steady), Some(Quiet::All)]);
    assert_ne!(r.quiet_generation(), g);
}
