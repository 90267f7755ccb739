//! Root tests: adverts with many addresses, which the sender builds in its larger buffer
//! (an IPv4 packet with more than 16 addresses, an IPv6 message as long) or apart (an IPv6
//! message longer than the small buffer whose IPv4 counterpart would fit it), are sent and
//! accepted: the backup hears a master with 30 IPv4, 12 or 30 IPv6 VIPs and stays BACKUP.

mod driver_support;

use driver_support::{BACKUP_INIT, MASTER, T, net, start_in_order, v3_conf, wait_vip};
use std::time::Duration;

fn stays_backup(tag: &str, subnet: u8, vrid: u8, vips: &[String]) {
    let mut n = net(tag, 2, subnet);
    let list = vips.join("\n    ");
    n.routers[0].configure(&v3_conf(150, vrid, &list, ""));
    n.routers[1].configure(&v3_conf(100, vrid, &list, ""));
    start_in_order(&mut n);
    let (r1, r2) = (&n.routers[0], &n.routers[1]);
    let last = &vips[vips.len() - 1];
    assert!(wait_vip(&n.lab, r1, last, true), "{}", r1.log_text());
    assert!(r2.wait_log(BACKUP_INIT, 1, T), "{}", r2.log_text());
    // Many adverts later (0.1 s interval): the backup took none of them for silence, and
    // the master sent every one of them.
    assert!(r1.wait_log(MASTER, 1, T), "{}", r1.log_text());
    std::thread::sleep(Duration::from_millis(800));
    assert!(r2.lines_with(MASTER).is_empty(), "{}", r2.log_text());
    assert!(!r2.has_addr(&n.lab, last), "{}", r2.addrs(&n.lab));
    assert!(
        r1.lines_with("cannot send advert").is_empty(),
        "{}",
        r1.log_text()
    );
    // The backup found each advert's address list equal to its own (no count or list
    // warning).
    assert!(
        r2.lines_with("address")
            .iter()
            .all(|l| !l.contains("mismatch") && !l.contains("does not match")),
        "{}",
        r2.log_text()
    );
}

#[test]
fn a_master_with_thirty_ipv4_vips_keeps_its_backup() {
    let vips: Vec<String> = (100..130).map(|i| format!("10.91.0.{i}")).collect();
    stays_backup("big4", 91, 61, &vips);
}

#[test]
fn a_master_with_twelve_ipv6_vips_keeps_its_backup() {
    let vips: Vec<String> = (0x100..0x10c)
        .map(|i| format!("2001:db8:92::{i:x}"))
        .collect();
    stays_backup("big6", 92, 62, &vips);
}

#[test]
fn a_master_with_thirty_ipv6_vips_keeps_its_backup() {
    let vips: Vec<String> = (0x100..0x11e)
        .map(|i| format!("2001:db8:93::{i:x}"))
        .collect();
    stays_backup("big6b", 93, 63, &vips);
}
