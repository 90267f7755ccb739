//! Root tests: alived against the real keepalived 2.2.7 (`/usr/sbin/keepalived`) on one LAN,
//! VRRPv2 with PASS authentication (the classic configuration), in both roles. Skipped, with a
//! message, where keepalived is not installed.

mod driver_support;

use alived_sys::testnet::wait_until;
use driver_support::net;
use std::time::Duration;

const KEEPALIVED: &str = "/usr/sbin/keepalived";
const T: Duration = Duration::from_secs(15);

/// The protocol flavour of a mixed pair.
#[derive(Clone, Copy)]
enum Flavour {
    /// VRRPv2, 1 s, PASS authentication: the classic configuration.
    V2Pass,
    /// VRRPv2, 1 s, IPsec-AH authentication (HMAC-MD5-96, shared sequence counter).
    V2Ah,
    /// VRRPv3 over IPv4, 0.1 s adverts.
    V3Fast,
    /// VRRPv3 over IPv6 (link-local source, kernel checksum), 0.1 s adverts.
    V3Ipv6,
    /// VRRPv3 unicast (pseudo-header with the peer's address), 0.1 s adverts.
    V3Unicast,
}

fn conf(prio: u8, vip: &str, f: Flavour, me: &str, peer: &str) -> String {
    let unicast = format!(
        "  version 3\n  advert_int 0.1\n  unicast_src_ip {me}\n  unicast_peer {{\n    {peer}\n  }}\n"
    );
    let body = match f {
        Flavour::V3Unicast => unicast.as_str(),
        Flavour::V2Pass => {
            "  advert_int 1\n  authentication {\n    auth_type PASS\n    auth_pass secret12\n  }\n"
        }
        Flavour::V2Ah => {
            "  advert_int 1\n  authentication {\n    auth_type AH\n    auth_pass secret12\n  }\n"
        }
        Flavour::V3Fast | Flavour::V3Ipv6 => "  version 3\n  advert_int 0.1\n",
    };
    format!(
        "vrrp_instance VI_1 {{\n  interface eth0\n  virtual_router_id 61\n  priority {prio}\n\
         {body}  virtual_ipaddress {{\n    {vip}\n  }}\n}}\n"
    )
}

fn have_keepalived() -> bool {
    let ok = std::path::Path::new(KEEPALIVED).exists();
    if !ok {
        eprintln!("{KEEPALIVED} not installed - skipping");
    }
    ok
}

/// `keepalived_high`: which side has the higher priority. The lower side starts first and
/// becomes MASTER; the higher one must preempt it, then take over again after its TERM.
fn mixed_pair(tag: &str, subnet: u8, keepalived_high: bool, f: Flavour) {
    let mut n = net(tag, 2, subnet);
    let vip = match f {
        Flavour::V3Ipv6 => format!("2001:db8:{subnet}::100"),
        _ => format!("10.{subnet}.0.100"),
    };
    let (a1, a2) = (format!("10.{subnet}.0.1"), format!("10.{subnet}.0.2"));
    n.routers[0].configure(&conf(150, &vip, f, &a1, &a2));
    n.routers[1].configure(&conf(100, &vip, f, &a2, &a1));
    let (high_bin, low_bin) = if keepalived_high {
        (KEEPALIVED, driver_support::BIN)
    } else {
        (driver_support::BIN, KEEPALIVED)
    };
    n.routers[1].start_bin(low_bin);
    let lab = &n.lab;
    assert!(
        wait_until(T, || n.routers[1].has_addr(lab, &vip)),
        "{}",
        n.routers[1].log_text()
    );
    n.routers[0].start_bin(high_bin);
    // Preemption across implementations: the higher priority takes the VIP, the lower yields.
    assert!(
        wait_until(T, || n.routers[0].has_addr(lab, &vip)),
        "{}",
        n.routers[0].log_text()
    );
    assert!(wait_until(T, || !n.routers[1].has_addr(lab, &vip)));
    assert!(n.routers[1].wait_log("with higher priority 150, ours 100", 1, T));
    // Stop the higher one: its priority 0 hands the VIP back at once.
    n.routers[0].stop();
    assert!(
        wait_until(T, || n.routers[1].has_addr(&n.lab, &vip)),
        "{}",
        n.routers[1].log_text()
    );
    assert!(n.routers[1].wait_log("(VI_1) Entering MASTER STATE", 2, T));
    // No validation failures either way.
    for r in &n.routers {
        let log = r.log_text();
        for bad in [
            "invalid passwd",
            "checksum",
            "too short",
            "too long",
            "invalid TTL",
        ] {
            assert!(!log.contains(bad), "{bad} in {log}");
        }
    }
}

#[test]
fn keepalived_preempts_alived_and_hands_back_on_stop() {
    if have_keepalived() {
        mixed_pair("ika", 91, true, Flavour::V2Pass);
    }
}

#[test]
fn alived_preempts_keepalived_and_hands_back_on_stop() {
    if have_keepalived() {
        mixed_pair("iak", 92, false, Flavour::V2Pass);
    }
}

#[test]
fn v3_fast_adverts_interoperate_both_ways() {
    if have_keepalived() {
        mixed_pair("i3a", 93, true, Flavour::V3Fast);
        mixed_pair("i3b", 94, false, Flavour::V3Fast);
    }
}

#[test]
fn v3_ipv6_interoperates_both_ways() {
    if have_keepalived() {
        mixed_pair("i6a", 95, true, Flavour::V3Ipv6);
        mixed_pair("i6b", 96, false, Flavour::V3Ipv6);
    }
}

#[test]
fn v2_ah_authentication_interoperates_both_ways() {
    if have_keepalived() {
        mixed_pair("iaha", 97, true, Flavour::V2Ah);
        mixed_pair("iahb", 98, false, Flavour::V2Ah);
    }
}

#[test]
fn v3_unicast_interoperates_both_ways() {
    if have_keepalived() {
        mixed_pair("iuna", 99, true, Flavour::V3Unicast);
        mixed_pair("iunb", 100, false, Flavour::V3Unicast);
    }
}
