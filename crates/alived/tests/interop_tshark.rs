//! Root tests: Wireshark's dissectors as an independent check of alived's packets. tshark
//! captures in the client namespace while alived becomes MASTER alone (VRRPv2 PASS, VRRPv2 AH,
//! VRRPv3 IPv4, VRRPv3 IPv6 with its unsolicited Neighbour Advertisements); every advert, GARP
//! and NA must decode with no malformed packet, no bad checksum (IP header checksums are
//! verified too) and no expert warning or error.
//!
//! Skipped with a notice when `which tshark` fails (CI installs it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod interop_support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Topology, expect_vip};
use interop_support::{Flavour, alived, conf, vip};

fn have_tshark() -> bool {
    let ok = Command::new("which")
        .arg("tshark")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("tshark is not installed (`which tshark` failed): skipping this test");
    }
    ok
}

/// A running capture, killed on drop.
struct Capture {
    child: Option<Child>,
    file: PathBuf,
}

impl Capture {
    /// `tshark -i eth0 -w FILE -a duration:SECS` in `ns`; returns once tshark captures.
    fn start(ns: &str, file: &Path, secs: u32) -> Capture {
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, "tshark", "-i", "eth0", "-w"])
            .arg(file)
            .args(["-a", &format!("duration:{secs}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tshark");
        let err = child.stderr.take().expect("tshark stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if line.contains("Capturing on") {
                    let _ = tx.send(());
                }
            }
        });
        let cap = Capture {
            child: Some(child),
            file: file.to_owned(),
        };
        rx.recv_timeout(Duration::from_secs(30))
            .expect("tshark did not start capturing within 30 s");
        cap
    }

    /// Waits (bounded) for the capture to end by itself.
    fn finish(mut self, timeout: Duration) -> PathBuf {
        let mut child = self.child.take().expect("running");
        let end = Instant::now() + timeout;
        while child.try_wait().expect("wait").is_none() {
            assert!(Instant::now() < end, "tshark did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.file.clone()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `tshark -r FILE -o ip.check_checksum:TRUE ARGS`, stdout.
fn read(file: &Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(["-o", "ip.check_checksum:TRUE"])
        .args(args)
        .stderr(Stdio::null())
        .output()
        .expect("run tshark -r");
    assert!(out.status.success(), "tshark -r {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Number of frames matching display filter `filter`.
fn count(file: &Path, filter: &str) -> usize {
    read(file, &["-Y", filter, "-T", "fields", "-e", "frame.number"])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count()
}

fn decode(tag: &str, f: Flavour) {
    if !have_tshark() {
        return;
    }
    let mut topo = Topology::with_daemons(tag, &[alived()]).expect("lab");
    let vip = vip(&topo, f);
    let c = conf(&topo, 0, 1, f, 150, 57, &vip);
    topo.routers[0].set_config(c);
    // Master_Down_Interval, then a few adverts and the first GARP/NA burst.
    let secs = if f.advert_int() >= 1.0 { 7 } else { 3 };
    let dir = std::env::temp_dir().join(format!("alived-tshark-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("capture dir");
    let file = dir.join("cap.pcapng");
    let cap = Capture::start(&topo.client, &file, secs);
    topo.routers[0].start().expect("start alived");
    expect_vip(&topo.routers[0], &vip, true, Duration::from_secs(20));
    let file = cap.finish(Duration::from_secs(u64::from(secs) + 30));

    let adverts = count(&file, "vrrp");
    let garps = if f.ipv6() {
        count(
            &file,
            &format!("icmpv6.type == 136 && icmpv6.nd.na.target_address == {vip}"),
        )
    } else {
        count(
            &file,
            &format!("arp.isgratuitous && arp.src.proto_ipv4 == {vip}"),
        )
    };
    eprintln!("{f:?}: {adverts} adverts, {garps} GARPs/NAs captured");
    assert!(adverts >= 3, "only {adverts} VRRP adverts captured");
    assert!(garps >= 1, "no GARP/NA for {vip} captured");
    match f {
        Flavour::V2Ah => assert_eq!(count(&file, "ah && vrrp"), adverts, "adverts without AH"),
        Flavour::V2Pass => assert_eq!(
            count(&file, "vrrp.version == 2 && vrrp.auth_type == 1"),
            adverts
        ),
        _ => assert_eq!(count(&file, "vrrp.version == 3"), adverts),
    }

    let verbose = read(&file, &["-V"]);
    for bad in [
        "Malformed",
        "[incorrect",
        "Bad checksum",
        "Status: Bad",
        "Exception occurred",
    ] {
        assert!(
            !verbose.contains(bad),
            "{bad:?} in the decode:\n{}",
            verbose
                .lines()
                .filter(|l| l.contains(bad))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let expert = read(&file, &["-q", "-z", "expert,warn"]);
    assert!(
        !expert.contains("Errors (") && !expert.contains("Warns ("),
        "tshark expert info:\n{expert}"
    );
    drop(topo);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tshark_decodes_alived_v2_pass() {
    decode("tsp", Flavour::V2Pass);
}

#[test]
fn tshark_decodes_alived_v2_ah() {
    decode("tsa", Flavour::V2Ah);
}

#[test]
fn tshark_decodes_alived_v3_ipv4() {
    decode("ts4", Flavour::V3V4);
}

#[test]
fn tshark_decodes_alived_v3_ipv6_and_its_neighbour_adverts() {
    decode("ts6", Flavour::V3V6);
}
