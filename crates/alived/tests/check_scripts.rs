//! `alived -t` and scripts: keepalived 2.2.7 prints `SECURITY VIOLATION - scripts are being
//! executed but script_security not enabled.` and exits 6 when scripts would run without
//! `enable_script_security`, even over a configuration that has other errors (exit 5). When
//! keepalived is installed the same file is checked with it too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

fn check(bin: &str, conf: &Path) -> Output {
    Command::new(bin)
        .args(["-t", "-l", "-f"])
        .arg(conf)
        .output()
        .expect("run -t")
}

const VIOLATION: &str =
    "SECURITY VIOLATION - scripts are being executed but script_security not enabled.";

/// An interface of this namespace other than `lo` (keepalived -t stops before its script
/// checks when the interface does not exist).
fn some_interface() -> Option<String> {
    std::fs::read_dir("/sys/class/net")
        .ok()?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n != "lo")
}

fn conf(ifname: &str, extra_instance: &str) -> String {
    format!(
        "vrrp_script chk {{\n    script \"/bin/true\"\n}}\n\
         vrrp_instance VI_1 {{\n    interface {ifname}\n    virtual_router_id 51\n    \
         virtual_ipaddress {{\n        10.0.0.1\n    }}\n    track_script {{\n        chk\n    }}\n\
         {extra_instance}}}\n"
    )
}

#[test]
fn scripts_without_script_security_exit_6() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k.conf");
    let Some(ifname) = some_interface() else {
        eprintln!("no interface besides lo: skipped");
        return;
    };
    std::fs::write(&p, conf(&ifname, "    notify_master \"/bin/true\"\n")).unwrap();
    let mut daemons = vec![env!("CARGO_BIN_EXE_alived")];
    if Path::new("/usr/sbin/keepalived").exists() {
        daemons.push("/usr/sbin/keepalived");
    }
    for bin in daemons {
        let out = check(bin, &p);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(6), "{bin}: {text}");
        assert!(text.contains(VIOLATION), "{bin}: {text}");
    }
}
