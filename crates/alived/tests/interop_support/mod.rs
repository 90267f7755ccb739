//! Shared pieces of the interoperability tests (tests/interop_*.rs): alived beside the real
//! keepalived 2.2.7 on the lab of tests/common (a bridge, routers r1..rN, a client).
//!
//! Configurations are the lab's [`VrrpConf`] with the few things it does not render (AH,
//! unicast peers, an IPv6 VIP) added to its text.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use crate::common::router::KEEPALIVED as KEEPALIVED_PATH;
use crate::common::{Daemon, Router, Topology, VrrpConf, parse_daemon};

/// The protocol flavours of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// VRRPv2, advert_int 1, no authentication.
    V2None,
    /// VRRPv2, advert_int 1, `auth_type PASS`.
    V2Pass,
    /// VRRPv2, advert_int 1, `auth_type AH` (HMAC-MD5-96 in an AH header).
    V2Ah,
    /// VRRPv3 over IPv4, advert_int 0.1, multicast.
    V3V4,
    /// VRRPv3 over IPv6 (link-local source, unsolicited NAs), advert_int 0.1.
    V3V6,
    /// VRRPv3 over IPv4, advert_int 0.1, `unicast_src_ip` + `unicast_peer` (no multicast).
    Unicast,
}

impl Flavour {
    /// The advertisement interval in seconds.
    pub fn advert_int(self) -> f64 {
        match self {
            Flavour::V2None | Flavour::V2Pass | Flavour::V2Ah => 1.0,
            _ => 0.1,
        }
    }

    /// Skew_Time for `prio` (RFC 3768 9 / RFC 5798 6.1; keepalived uses the v3 formula with
    /// the v2 interval too): (256 - prio) * advert_int / 256.
    pub fn skew(self, prio: u8) -> f64 {
        f64::from(256 - u16::from(prio)) * self.advert_int() / 256.0
    }

    /// Master_Down_Interval = 3 * advert_int + Skew_Time.
    pub fn master_down(self, prio: u8) -> f64 {
        3.0 * self.advert_int() + self.skew(prio)
    }

    /// Whether the VIP is IPv6.
    pub fn ipv6(self) -> bool {
        self == Flavour::V3V6
    }
}

/// keepalived, if installed; prints a skip notice otherwise.
pub fn keepalived() -> Option<Daemon> {
    if Path::new(KEEPALIVED_PATH).exists() {
        Some(Daemon::keepalived())
    } else {
        eprintln!("{KEEPALIVED_PATH} is not installed: skipping this interop test");
        None
    }
}

/// This package's alived.
pub fn alived() -> Daemon {
    parse_daemon("alived")
}

/// The VIP of `topo` for `f` (no prefix): 10.A.B.100 or 2001:db8:A:B::100.
pub fn vip(topo: &Topology, f: Flavour) -> String {
    if f.ipv6() {
        format!("2001:db8:{}:{}::100", topo.subnet[0], topo.subnet[1])
    } else {
        topo.vip().to_string()
    }
}

/// Router `i`'s (0-based) configuration for flavour `f`: VRID `vrid`, priority `prio`,
/// `state BACKUP`, one VIP `vip` (no prefix), unicast peers = the other `n - 1` routers.
pub fn conf(
    topo: &Topology,
    i: usize,
    n: usize,
    f: Flavour,
    prio: u8,
    vrid: u8,
    vip: &str,
) -> String {
    let host = |k: usize| topo.addr(u8::try_from(k + 1).unwrap_or(u8::MAX));
    let mut c = match f {
        Flavour::V2None | Flavour::V2Pass | Flavour::V2Ah => {
            VrrpConf::classic(&format!("r{}", i + 1), prio, topo.vip())
        }
        _ => VrrpConf::fast_v3(&format!("r{}", i + 1), prio, topo.vip()),
    };
    c.state = "BACKUP";
    c.vrid = vrid;
    if f == Flavour::V2None {
        c.auth_pass = None;
    }
    c.vips = vec![if f.ipv6() {
        format!("{vip}/64")
    } else {
        format!("{vip}/24")
    }];
    let mut text = c.render();
    if f == Flavour::V2Ah {
        text = text.replace("auth_type PASS", "auth_type AH");
    }
    if f == Flavour::Unicast {
        let peers: String = (0..n)
            .filter(|&k| k != i)
            .map(|k| format!("        {}\n", host(k)))
            .collect();
        let block = format!(
            "    unicast_src_ip {}\n    unicast_peer {{\n{peers}    }}\n    virtual_ipaddress {{",
            host(i)
        );
        text = text.replace("    virtual_ipaddress {", &block);
    }
    text
}

/// Receive-side complaints, in the wording both keepalived 2.2.7 and alived use: any of these
/// in a log means a packet of the other implementation was rejected (or nearly so).
pub const RX_ERRORS: &[&str] = &[
    "packet too short",
    "packet with AH too short",
    "packet too long",
    "invalid TTL",
    "TTL/HL",
    "wrong version",
    "unknown VRRP version",
    "Invalid auth type",
    "auth, expecting",
    "invalid passwd",
    "IPSEC-AH : invalid",
    "IPSEC AH : invalid",
    "already processed",
    "AH SPI",
    "Received AH header but",
    "No AH header but",
    "interval mismatch",
    "Invalid packet type",
    "ip_tot_len",
    "checksum",
    "icast packet but received",
    "ip number count",
    "not present in",
    "VIPs but received",
    "not a unicast peer",
    "bogus VRRP",
];

/// The lines of every run of `r` that report a rejected packet.
pub fn rx_errors(r: &Router) -> Vec<String> {
    r.log()
        .lines()
        .into_iter()
        .filter(|l| RX_ERRORS.iter().any(|p| l.text.contains(p)))
        .map(|l| l.text)
        .collect()
}

/// Asserts that no router of `topo` rejected a packet.
pub fn assert_no_rx_errors(topo: &Topology) {
    for r in &topo.routers {
        let bad = rx_errors(r);
        assert!(
            bad.is_empty(),
            "{} ({}) rejected packets:\n{}\n--- logs ---\n{}",
            r.name,
            r.daemon.label(),
            bad.join("\n"),
            topo.dump_logs()
        );
    }
}

/// A log line reduced to what both implementations must agree on: the `(VI_1) ...` text
/// without keepalived's `(N more suppressed)`-style suffixes and without numbers that depend on
/// the run (AH sequence numbers).
pub fn normalise(line: &str) -> String {
    let mut s = line.trim().to_owned();
    // The last " (": a line can start with `(VI_1)` after its time prefix.
    if let Some(i) = s.rfind(" (")
        && s[i..].contains("more suppressed")
    {
        s.truncate(i);
    }
    s
}

/// Sleeps `d` (for the "nothing else happens" checks, after a state was reached).
pub fn settle(d: Duration) {
    std::thread::sleep(d);
}
