//! Unit tests of the lab pieces (kept out of the shared files so the root test binaries,
//! which include those files, do not run them again).

use std::net::Ipv4Addr;
use std::time::Duration;

use super::conf::VrrpConf;
use super::interesting;
use super::router::{Log, strip_time_prefix};

#[test]
fn classic_pair_renders_the_textbook_config() {
    let text = VrrpConf::classic("r1", 100, Ipv4Addr::new(10, 0, 0, 100)).render();
    for want in [
        "router_id r1",
        "vrrp_instance VI_1 {",
        "state MASTER",
        "virtual_router_id 51",
        "priority 100",
        "version 2",
        "advert_int 1\n",
        "auth_type PASS",
        "10.0.0.100/24",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    let backup = VrrpConf::classic("r2", 99, Ipv4Addr::new(10, 0, 0, 100)).render();
    assert!(backup.contains("state BACKUP"));
}

#[test]
fn fast_v3_has_no_authentication_and_a_fractional_interval() {
    let mut c = VrrpConf::fast_v3("r1", 100, Ipv4Addr::new(10, 0, 0, 100));
    c.nopreempt = true;
    c.use_vmac = true;
    let text = c.render();
    assert!(text.contains("version 3") && text.contains("advert_int 0.1"));
    assert!(text.contains("nopreempt") && text.contains("use_vmac"));
    assert!(!text.contains("authentication"));
    assert_eq!(text.matches('{').count(), text.matches('}').count());
}

#[test]
fn console_prefix_is_stripped_only_when_present() {
    assert_eq!(
        strip_time_prefix("Wed Nov 25 21:46:21 2026: (VI_1) Entering MASTER STATE"),
        "(VI_1) Entering MASTER STATE"
    );
    assert_eq!(
        strip_time_prefix("(VI_1) setting VIPs."),
        "(VI_1) setting VIPs."
    );
    assert_eq!(strip_time_prefix(""), "");
}

#[test]
fn log_wait_finds_lines_after_the_mark_only() {
    let log = Log::default();
    log.push("(VI_1) Entering BACKUP STATE (init)");
    let mark = log.len();
    assert!(log.find(mark, "BACKUP").is_none());
    assert!(
        log.wait_for(mark, "MASTER", Duration::from_millis(30))
            .is_none()
    );
    log.push("Thu Nov 26 01:02:03 2026: (VI_1) Entering MASTER STATE");
    let got = log.wait_for(mark, "MASTER", Duration::from_millis(30));
    assert_eq!(
        got.map(|l| l.text).as_deref(),
        Some("(VI_1) Entering MASTER STATE")
    );
}

#[test]
fn the_timeline_shows_state_changes_but_not_packet_chatter() {
    assert!(interesting("(VI_1) Entering MASTER STATE"));
    assert!(interesting("(VI_1) removing VIPs."));
    assert!(interesting(
        "(VI_1) Sending/queueing gratuitous ARPs on eth0 for 10.0.0.100"
    ));
    assert!(!interesting(
        "Sending gratuitous ARP on eth0 for 10.0.0.100"
    ));
    assert!(!interesting("--- lab: starting alived in x"));
}

#[test]
fn last_state_follows_the_latest_entering_line() {
    use super::router::{Daemon, Router};
    let r = Router::new(
        "r1",
        "ns",
        "eth0",
        Daemon::keepalived(),
        std::path::Path::new("/nonexistent"),
    );
    assert_eq!(r.last_state(), None);
    for (line, want) in [
        (
            "Wed Nov 25 21:46:21 2026: (VI_1) Entering BACKUP STATE (init)",
            "BACKUP",
        ),
        ("(VI_1) Entering MASTER STATE", "MASTER"),
        ("(VI_1) setting VIPs.", "MASTER"),
        ("(VI_1) Entering FAULT STATE", "FAULT"),
    ] {
        r.log().push(line);
        assert_eq!(r.last_state().as_deref(), Some(want), "after {line:?}");
    }
}
