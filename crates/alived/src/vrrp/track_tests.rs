//! Unit tests of track.rs: weights, initial states, sync-group entries.

use super::*;

fn setup(text: &str) -> TrackSetup {
    let loaded = alived_config::load_str("t.conf", text, &Default::default());
    TrackSetup::from_config(&loaded.config)
}

const CONF: &str = "vrrp_script chk {\n script \"/bin/true\"\n weight -20\n}\n\
    vrrp_script up {\n script \"/bin/true\"\n weight 10\n}\n\
    vrrp_script hard {\n script \"/bin/true\"\n init_fail\n}\n\
    track_file tf {\n file /tmp/alived-no-such-file\n weight 3\n}\n\
    vrrp_sync_group G1 {\n group {\n VI_1\n VI_2\n }\n track_script {\n hard\n }\n}\n\
    vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n \
    virtual_ipaddress {\n 10.0.0.1\n }\n \
    track_script {\n chk\n up weight -5 reverse\n }\n track_file {\n tf\n }\n}\n\
    vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 52\n \
    virtual_ipaddress {\n 10.0.0.2\n }\n}\n";

#[test]
fn weights_come_from_the_script_unless_the_instance_overrides_them() {
    let s = setup(CONF);
    let t = s.trackers_for("VI_1");
    let by_name = |n: &str| t.iter().find(|c| c.name == n).unwrap();
    let chk = by_name("chk");
    assert_eq!(
        (chk.weight, chk.reverse, chk.kind),
        (-20, false, TrackKind::Script)
    );
    assert_eq!(chk.id, TrackerId(SCRIPT_ID_BASE));
    let up = by_name("up");
    assert_eq!((up.weight, up.reverse), (-5, true));
    let tf = by_name("tf");
    assert_eq!((tf.weight, tf.kind), (3, TrackKind::File));
    // A missing file reads as 0.
    assert_eq!(tf.initial, TrackStatus::Value(0));
}

#[test]
fn until_its_first_result_a_script_changes_nothing_unless_init_fail() {
    let s = setup(CONF);
    for c in s.trackers_for("VI_1") {
        if c.kind == TrackKind::Script && c.name != "hard" {
            assert_eq!(
                contribution(&c, c.initial),
                Contribution::Adjust(0),
                "{}",
                c.name
            );
        }
    }
    let hard = s
        .trackers_for("VI_2")
        .into_iter()
        .find(|c| c.name == "hard")
        .unwrap();
    assert_eq!(contribution(&hard, hard.initial), Contribution::Fault);
}

#[test]
fn a_sync_group_s_track_script_applies_to_every_member() {
    let s = setup(CONF);
    for inst in ["VI_1", "VI_2"] {
        assert!(
            s.trackers_for(inst).iter().any(|c| c.name == "hard"),
            "{inst}"
        );
    }
    assert!(s.trackers_for("VI_3").is_empty());
}
