//! `alived -t` as a command: exit codes as `keepalived -t`, the `FILE:LINE:COL: severity:`
//! report on stderr (or in the `-t=LOGFILE`), the suggestion for a misspelt keyword, and
//! `--dump-json`. Runs the built binary; no root needed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

fn alived_t(conf: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_alived"))
        .arg("-t")
        .args(extra)
        .arg("-f")
        .arg(conf)
        .output()
        .expect("run alived -t")
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const CLEAN: &str = "vrrp_instance VI_1 {\n  interface lo_does_not_matter\n  virtual_router_id 51\n  \
                     priority 100\n  virtual_ipaddress {\n    10.0.0.1/24\n  }\n}\n";

#[test]
fn the_bundled_example_is_clean() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/keepalived.conf");
    let out = alived_t(&example, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_misspelt_keyword_is_reported_with_its_place_and_the_nearest_keyword() {
    let dir = tempfile::tempdir().unwrap();
    let conf = write(
        dir.path(),
        "k.conf",
        "global_defs {\n  router_id r1\n}\nvrrp_instance VI_1 {\n  virtual_router_idd 51\n}\n",
    );
    let out = alived_t(&conf, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    let want = format!(
        "{}:5:3: error: Unknown keyword 'virtual_router_idd'",
        conf.display()
    );
    assert!(err.contains(&want), "{err}");
    assert!(
        err.contains("virtual_router_idd 51"),
        "the source line is shown: {err}"
    );
    assert!(err.contains("did you mean `virtual_router_id`?"), "{err}");
}

#[test]
fn the_report_goes_to_the_log_file_given_with_t_equals() {
    let dir = tempfile::tempdir().unwrap();
    let conf = write(dir.path(), "k.conf", "bogus_keyword 1\n");
    let log = dir.path().join("report.txt");
    let out = Command::new(env!("CARGO_BIN_EXE_alived"))
        .arg(format!("--config-test={}", log.display()))
        .arg("-f")
        .arg(&conf)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(&log).unwrap();
    assert!(
        report.contains("Unknown keyword 'bogus_keyword'"),
        "{report}"
    );
}

#[test]
fn a_missing_value_exits_2_as_keepalived_stops_reading_there() {
    let dir = tempfile::tempdir().unwrap();
    let conf = write(dir.path(), "k.conf", "global_defs {\n  vrrp_version\n}\n");
    assert_eq!(alived_t(&conf, &[]).status.code(), Some(2));
}

#[test]
fn dump_json_prints_the_resolved_model() {
    let dir = tempfile::tempdir().unwrap();
    let conf = write(dir.path(), "k.conf", CLEAN);
    let out = alived_t(&conf, &["--dump-json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    let text = json.to_string();
    // The instance, its VRID and its VIP made it through, with keepalived's default priority.
    assert!(text.contains("VI_1"), "{text}");
    assert!(text.contains("10.0.0.1"), "{text}");
    assert!(text.contains("51"), "{text}");
}

#[test]
fn signum_prints_keepalived_s_numbers() {
    let out = Command::new(env!("CARGO_BIN_EXE_alived"))
        .arg("--signum=JSON")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "36");
    let out = Command::new(env!("CARGO_BIN_EXE_alived"))
        .arg("--signum=NOPE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
