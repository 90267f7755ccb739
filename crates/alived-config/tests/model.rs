//! The typed model on real configuration text: keepalived's sample files load with the same
//! `-t` exit code as keepalived 2.2.7 itself, the broken configs under `tests/broken/model-*`
//! give the same exit code and snapshotted diagnostics, and JSON snapshots of a few models.

use alived_config::{LoadOptions, load_file, model::HostFacts, render};
use std::path::{Path, PathBuf};
use std::process::Command;

const KEEPALIVED: &str = "/usr/sbin/keepalived";
const SAMPLES: &str = "/usr/share/doc/keepalived/samples";

/// keepalived checks interfaces against the host and takes its config id from the host
/// name; give the model the same facts.
fn host_options() -> LoadOptions {
    let interfaces = std::fs::read_dir("/sys/class/net")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .ok();
    let mut o = LoadOptions {
        host: HostFacts { interfaces },
        ..Default::default()
    };
    o.parse.config_id = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().split('.').next().unwrap_or("").to_owned());
    o
}

fn keepalived_rc(path: &Path) -> Option<i32> {
    if !Path::new(KEEPALIVED).exists() {
        return None;
    }
    let out = Command::new(KEEPALIVED)
        .arg("-t")
        .arg("-f")
        .arg(path)
        .output()
        .ok()?;
    out.status.code()
}

fn files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(d) => d
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

// Every keepalived sample loads without panicking, with keepalived's own `-t` exit code.
#[test]
fn samples_match_keepalived_exit_codes() {
    let samples = files(Path::new(SAMPLES), "keepalived.conf");
    if samples.is_empty() || !Path::new(KEEPALIVED).exists() {
        eprintln!("NOTICE: skipping: keepalived or its samples are not installed");
        return;
    }
    let opts = host_options();
    let mut mismatches = Vec::new();
    for p in &samples {
        let loaded = load_file(p, &opts);
        let ours = loaded.diags.exit_code();
        let theirs = keepalived_rc(p);
        if Some(ours) != theirs {
            mismatches.push(format!(
                "{}: alived {ours}, keepalived {theirs:?}\n{}",
                name(p),
                render::render_all(&loaded.diags, &loaded.sources)
            ));
        }
    }
    assert!(samples.len() >= 20, "only {} samples", samples.len());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

// The broken configs give keepalived's exit code too.
#[test]
fn broken_model_configs_match_keepalived_exit_codes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken");
    let broken = files(&dir, "model-");
    assert!(broken.len() >= 30, "only {} broken configs", broken.len());
    if !Path::new(KEEPALIVED).exists() {
        eprintln!("NOTICE: skipping exit-code comparison: {KEEPALIVED} is not installed");
        return;
    }
    let opts = host_options();
    let mut mismatches = Vec::new();
    for p in &broken {
        let loaded = load_file(p, &opts);
        let ours = loaded.diags.exit_code();
        if Some(ours) != keepalived_rc(p) {
            mismatches.push(format!(
                "{}: alived {ours}, keepalived {:?}",
                name(p),
                keepalived_rc(p)
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

// Each broken config's rendered diagnostics, as `alived -t` prints them. No host facts, so
// the snapshots do not depend on the machine's interfaces.
#[test]
fn broken_model_diagnostics_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken");
    for p in files(&dir, "model-") {
        let loaded = load_file(&p, &LoadOptions::default());
        let text = format!(
            "exit code {}\n{}",
            loaded.diags.exit_code(),
            render::render_all(&loaded.diags, &loaded.sources).replace(&*dir.to_string_lossy(), "")
        );
        assert!(
            loaded.diags.exit_code() != 0 || name(&p) == "model-duplicate-vip.conf",
            "{}",
            name(&p)
        );
        insta::assert_snapshot!(format!("model_{}", name(&p)), text);
    }
}

// JSON snapshots of the model of a few samples (no host facts).
#[test]
fn sample_models_json() {
    for s in [
        "keepalived.conf.vrrp",
        "keepalived.conf.SSL_GET",
        "keepalived.conf.vrrp.routes",
        "keepalived.conf.misc_check",
    ] {
        let p = Path::new(SAMPLES).join(s);
        if !p.exists() {
            eprintln!("NOTICE: skipping {s}: keepalived samples are not installed");
            continue;
        }
        let loaded = load_file(&p, &LoadOptions::default());
        insta::assert_json_snapshot!(format!("json_{s}"), loaded.config);
    }
}
