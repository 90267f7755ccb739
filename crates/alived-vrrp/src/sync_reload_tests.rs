//! Reload on a [`Router`]: instances added, deleted and reconfigured while the others run
//! undisturbed (behaviour spec 4.2).

use super::*;
use crate::instance::Reason;
use crate::types::{Priority, Vrid};

fn cfg(name: &str, vrid: u8) -> InstanceConfig {
    let mut c = InstanceConfig::new(name, Vrid::new(vrid).unwrap(), "10.0.0.1".parse().unwrap());
    c.vips = vec![format!("10.0.{vrid}.100").parse().unwrap()];
    c
}

fn ms(v: u64) -> Timestamp {
    Timestamp::from_millis(v)
}

fn drain(r: &mut Router) -> Vec<(Target, Action)> {
    std::iter::from_fn(|| r.poll_action()).collect()
}

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

fn masters(n: usize) -> Router {
    let configs = (0..n)
        .map(|i| cfg(&format!("VI_{}", i + 1), 51 + i as u8))
        .collect();
    let mut r = Router::new(configs, Vec::new()).unwrap();
    r.handle_all(ms(0), Input::Start);
    run(&mut r, ms(10_000));
    assert!(r.instances().all(|(_, i)| i.state() == State::Master));
    r
}

fn transitions_of(a: &[(Target, Action)], id: InstanceId) -> Vec<(State, Reason)> {
    a.iter()
        .filter_map(|(t, a)| match (t, a) {
            (Target::Instance(i), Action::Transition { to, reason, .. }) if *i == id => {
                Some((*to, *reason))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_deleted_instance_stops_and_leaves_the_others_untouched() {
    let mut r = masters(2);
    let (vi1, vi2) = (InstanceId(0), InstanceId(1));
    let timer_before = r.instance(vi1).unwrap().poll_timeout();
    r.delete(ms(10_000), vi2);
    let a = drain(&mut r);
    assert_eq!(transitions_of(&a, vi2), [(State::Stop, Reason::Deleted)]);
    assert!(a.iter().all(|(t, _)| *t == Target::Instance(vi2)), "{a:?}");
    assert_eq!(r.instance(vi1).unwrap().poll_timeout(), timer_before);
    r.remove(vi2);
    assert!(r.instance(vi2).is_none());
    assert_eq!(r.instances().count(), 1);
    // The survivor goes on sending adverts; the removed one has no timers left.
    let a = run(&mut r, ms(15_000));
    assert!(a.iter().all(|(t, _)| *t == Target::Instance(vi1)));
    assert!(
        a.iter()
            .any(|(_, a)| matches!(a, Action::SendAdvert { .. }))
    );
}

#[test]
fn an_added_instance_gets_a_new_id_and_starts() {
    let mut r = masters(2);
    r.delete(ms(10_000), InstanceId(0));
    r.remove(InstanceId(0));
    drain(&mut r);
    let id = r.add(cfg("VI_3", 60)).unwrap();
    // Ids are never reused: the driver's per-instance state stays addressed by the same id.
    assert_eq!(id, InstanceId(2));
    r.handle(ms(10_000), id, Input::Start);
    let a = run(&mut r, ms(20_000));
    assert_eq!(
        transitions_of(&a, id).last().map(|t| t.0),
        Some(State::Master)
    );
    assert!(transitions_of(&a, InstanceId(1)).is_empty());
    assert_eq!(r.find(Vrid::new(60).unwrap(), false), Some(id));
    assert_eq!(r.find(Vrid::new(51).unwrap(), false), None);
}

#[test]
fn an_invalid_added_instance_is_an_error() {
    let mut r = masters(1);
    let mut c = cfg("VI_9", 70);
    c.vips.clear();
    c.adver_int = crate::types::Centisecs(0);
    assert!(r.add(c).is_err());
    assert_eq!(r.instances().count(), 1);
}

#[test]
fn a_reconfigured_master_stays_master() {
    let mut r = masters(1);
    let mut c = cfg("VI_1", 51);
    c.priority = Priority(200);
    r.reconfigure(ms(10_000), InstanceId(0), c).unwrap();
    let a = drain(&mut r);
    assert!(transitions_of(&a, InstanceId(0)).is_empty());
    assert_eq!(r.instance(InstanceId(0)).unwrap().base_priority(), 200);
    assert_eq!(r.instance(InstanceId(0)).unwrap().state(), State::Master);
}

#[test]
fn new_sync_groups_apply_to_the_running_instances() {
    let mut r = masters(2);
    let group = SyncGroupConfig {
        name: "G1".into(),
        members: vec!["VI_1".into(), "VI_2".into()],
        tracking_weight: false,
    };
    r.set_groups(ms(10_000), vec![group.clone()]).unwrap();
    drain(&mut r);
    // A member leaving MASTER now takes the other with it.
    let adv = Input::Advert {
        src: "10.0.0.9".parse().unwrap(),
        advert: crate::wire::Advert {
            version: crate::types::Version::V2,
            vrid: Vrid::new(51).unwrap(),
            priority: Priority(250),
            adver_int: crate::types::Centisecs(100),
            auth: crate::wire::Auth::None,
            addrs: vec!["10.0.51.100".parse().unwrap()],
        },
    };
    r.handle(ms(10_500), InstanceId(0), adv);
    drain(&mut r);
    assert!(r.instances().all(|(_, i)| i.state() == State::Backup));
    // An unknown member is refused and the groups stay as they were.
    let bad = SyncGroupConfig {
        members: vec!["VI_1".into(), "VI_X".into()],
        ..group
    };
    assert!(matches!(
        r.set_groups(ms(11_000), vec![bad]),
        Err(RouterError::UnknownMember { .. })
    ));
}

#[test]
fn a_deleted_member_leaves_its_group() {
    let mut r = Router::new(
        vec![cfg("VI_1", 51), cfg("VI_2", 52)],
        vec![SyncGroupConfig {
            name: "G1".into(),
            members: vec!["VI_1".into(), "VI_2".into()],
            tracking_weight: false,
        }],
    )
    .unwrap();
    r.handle_all(ms(0), Input::Start);
    run(&mut r, ms(10_000));
    assert!(r.instances().all(|(_, i)| i.state() == State::Master));
    r.delete(ms(10_000), InstanceId(1));
    let a = drain(&mut r);
    // The other member is not dragged along.
    assert!(transitions_of(&a, InstanceId(0)).is_empty(), "{a:?}");
    r.remove(InstanceId(1));
    run(&mut r, ms(20_000));
    assert_eq!(r.instance(InstanceId(0)).unwrap().state(), State::Master);
}
