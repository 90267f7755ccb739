//! Reload rules (behaviour spec 4.2, measured on 2.2.7): a kept instance takes its new
//! settings without a transition; a removed one stops and says so.

use super::tests::{at_ms, became, cfg, drain, from, logs, started};
use super::*;

fn master(c: InstanceConfig) -> Instance {
    let mut i = started(c, at_ms(0));
    assert!(became(&mut i, at_ms(10_000), State::Master).is_some());
    i
}

fn adverts(a: &[Action]) -> Vec<u8> {
    a.iter()
        .filter_map(|x| match x {
            Action::SendAdvert { priority } => Some(priority.0),
            _ => None,
        })
        .collect()
}

fn transitions(a: &[Action]) -> usize {
    a.iter()
        .filter(|x| matches!(x, Action::Transition { .. }))
        .count()
}

#[test]
fn new_priority_goes_out_in_the_next_advert_without_a_transition() {
    let mut i = master(cfg(150));
    let mut c = cfg(120);
    c.vips = cfg(150).vips;
    i.reconfigure(at_ms(5000), c).unwrap();
    let a = drain(&mut i);
    assert_eq!(transitions(&a), 0);
    assert_eq!(logs(&a), ["(VI_1) setting VIPs."]);
    assert!(a.contains(&Action::AddVips));
    assert!(!a.iter().any(|x| matches!(x, Action::SendGarps { .. })));
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.base_priority(), 120);
    // The next advert carries 120, no later than one interval from the reload.
    let next = i.poll_timeout().unwrap();
    assert!(next <= at_ms(6000), "{next:?}");
    i.handle_timeout(next);
    assert_eq!(adverts(&drain(&mut i)), [120]);
}

#[test]
fn a_master_that_gains_a_vip_announces_its_vips() {
    let mut i = master(cfg(150));
    let mut c = cfg(150);
    c.vips.push("10.99.0.110".parse().unwrap());
    i.reconfigure(at_ms(5000), c).unwrap();
    let a = drain(&mut i);
    assert_eq!(transitions(&a), 0);
    assert!(a.contains(&Action::AddVips));
    assert!(a.iter().any(|x| matches!(
        x,
        Action::SendGarps {
            kind: GarpKind::BecameMaster,
            ..
        }
    )));
}

#[test]
fn a_backup_keeps_its_down_timer_and_takes_the_new_priority() {
    let c = cfg(100);
    let mut i = started(c.clone(), at_ms(0));
    i.handle(at_ms(1000), from("10.99.0.2", &c, 200));
    drain(&mut i);
    let before = i.poll_timeout().unwrap();
    i.reconfigure(at_ms(1500), cfg(100)).unwrap();
    let a = drain(&mut i);
    assert!(a.is_empty(), "{a:?}");
    assert_eq!(i.poll_timeout(), Some(before));
    assert_eq!(i.state(), State::Backup);
    // A higher priority shortens the skew part of the same down timer.
    i.reconfigure(at_ms(1600), cfg(200)).unwrap();
    assert!(i.poll_timeout().unwrap() < before);
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn a_kept_tracker_keeps_its_status_and_a_new_one_starts_from_its_initial() {
    let tracker = |id, initial| TrackerConfig {
        id: TrackerId(id),
        name: format!("chk{id}"),
        kind: TrackKind::Script,
        weight: -20,
        reverse: false,
        initial,
    };
    let mut c = cfg(100);
    c.trackers.push(tracker(1, TrackStatus::Up));
    let mut i = started(c.clone(), at_ms(0));
    i.handle(
        at_ms(100),
        Input::TrackerResult {
            id: TrackerId(1),
            status: TrackStatus::Down,
        },
    );
    drain(&mut i);
    assert_eq!(i.effective_priority(), 80);
    c.trackers.push(tracker(2, TrackStatus::Down));
    i.reconfigure(at_ms(200), c).unwrap();
    assert_eq!(i.effective_priority(), 60);
}

#[test]
fn a_new_unweighted_tracker_that_is_down_faults_the_instance() {
    let mut i = master(cfg(150));
    let mut c = cfg(150);
    c.trackers.push(TrackerConfig {
        id: TrackerId(9),
        name: "chk".into(),
        kind: TrackKind::Script,
        weight: 0,
        reverse: false,
        initial: TrackStatus::Down,
    });
    i.reconfigure(at_ms(5000), c).unwrap();
    let a = drain(&mut i);
    assert_eq!(i.state(), State::Fault);
    assert!(a.contains(&Action::RemoveVips));
}

#[test]
fn an_invalid_configuration_is_refused_and_nothing_changes() {
    let mut i = master(cfg(150));
    let mut c = cfg(150);
    c.vips.clear();
    c.adver_int = crate::types::Centisecs(0);
    assert!(i.reconfigure(at_ms(5000), c).is_err());
    assert!(drain(&mut i).is_empty());
    assert_eq!(i.config().vips.len(), 1);
}

#[test]
fn a_deleted_master_sends_priority_zero_removes_its_vips_and_reports_deleted() {
    let mut i = master(cfg(150));
    i.delete(at_ms(5000));
    let a = drain(&mut i);
    assert_eq!(adverts(&a), [0]);
    assert_eq!(
        logs(&a),
        ["(VI_1) sent 0 priority", "(VI_1) removing VIPs."]
    );
    assert!(a.contains(&Action::RemoveVips));
    assert!(a.contains(&Action::Transition {
        from: State::Master,
        to: State::Stop,
        reason: Reason::Deleted
    }));
    assert_eq!(i.poll_timeout(), None);
}

#[test]
fn a_deleted_backup_is_silent_but_reported() {
    let mut i = started(cfg(100), at_ms(0));
    i.delete(at_ms(100));
    let a = drain(&mut i);
    assert!(adverts(&a).is_empty());
    assert!(logs(&a).is_empty());
    assert!(a.contains(&Action::Transition {
        from: State::Backup,
        to: State::Stop,
        reason: Reason::Deleted
    }));
}

#[test]
fn an_instance_added_by_a_reload_starts_without_touching_addresses() {
    let mut i = Instance::new(cfg(100)).unwrap();
    i.handle(at_ms(0), Input::StartAdded);
    let a = drain(&mut i);
    assert!(!a.contains(&Action::RemoveVips), "{a:?}");
    assert_eq!(logs(&a), ["(VI_1) Entering BACKUP STATE (init)"]);
    assert!(became(&mut i, at_ms(10_000), State::Master).is_some());
    // A fresh start clears stale addresses first.
    let mut j = Instance::new(cfg(100)).unwrap();
    j.handle(at_ms(0), Input::Start);
    assert!(drain(&mut j).contains(&Action::RemoveVips));
}
