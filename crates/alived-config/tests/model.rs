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
    let interfaces: Option<std::collections::BTreeSet<String>> =
        std::fs::read_dir("/sys/class/net")
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .ok();
    let mtus = interfaces
        .iter()
        .flatten()
        .filter_map(|i| {
            let m = std::fs::read_to_string(format!("/sys/class/net/{i}/mtu")).ok()?;
            Some((i.clone(), m.trim().parse().ok()?))
        })
        .collect();
    let mut o = LoadOptions {
        host: HostFacts {
            interfaces,
            mtus,
            cpus: None,
        },
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

/// Broken configs where alived knowingly differs from keepalived 2.2.7's `-t` exit code.
const KNOWN_DIVERGENCES: &[(&str, &str)] = &[];

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
        if let Some((_, why)) = KNOWN_DIVERGENCES.iter().find(|(n, _)| *n == name(p)) {
            eprintln!("NOTICE: {}: {why}", name(p));
            continue;
        }
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

/// The benchmark shape: `n` instances and `m` virtual servers.
fn big_config(n: usize, m: usize) -> String {
    let mut s = String::from(
        "global_defs {\n router_id bench\n}\nvrrp_script chk {\n script \"/bin/true\"\n}\n",
    );
    for i in 0..n {
        let v = i % 255 + 1;
        let (a, b) = (i / 250 % 250, i % 250);
        s.push_str(&format!(
            "vrrp_instance VI_{i} {{\n state BACKUP\n interface eth0\n virtual_router_id {v}\n priority 100\n advert_int 1\n authentication {{\n auth_type PASS\n auth_pass pw{v}\n }}\n track_script {{\n chk weight -10\n }}\n virtual_ipaddress {{\n 10.{a}.{b}.1/24 dev eth0\n 10.{a}.{b}.2/24 dev eth0\n }}\n}}\n"
        ));
    }
    for j in 0..m {
        let (a, b) = (j / 250 % 250, j % 250);
        s.push_str(&format!(
            "virtual_server 172.16.{a}.{b} 80 {{\n delay_loop 6\n lb_algo rr\n lb_kind NAT\n protocol TCP\n real_server 192.168.{a}.{b} 80 {{\n weight 1\n TCP_CHECK {{\n connect_timeout 3\n }}\n }}\n real_server 192.168.{a}.{b} 81 {{\n weight 1\n HTTP_GET {{\n url {{\n path /\n status_code 200\n }}\n }}\n }}\n}}\n"
        ));
    }
    s
}

// Scale: 10,000 instances and 1,000 virtual servers load cleanly (run with --ignored in
// release mode to see the time; `ALIVED_BENCH_OUT=FILE` also writes the config for
// `keepalived -t -f FILE`).
#[test]
#[ignore]
fn bench_big_config() {
    let text = big_config(10_000, 1_000);
    if let Ok(out) = std::env::var("ALIVED_BENCH_OUT") {
        let _ = std::fs::write(out, &text);
    }
    let t = std::time::Instant::now();
    let loaded = alived_config::load_str("big.conf", &text, &LoadOptions::default());
    let el = t.elapsed();
    println!(
        "load_str: {el:?}: {} instances, {} virtual servers, {} diagnostics",
        loaded.config.instances.len(),
        loaded.config.virtual_servers.len(),
        loaded.diags.items.len()
    );
    assert_eq!(loaded.config.instances.len(), 10_000);
    assert_eq!(loaded.config.virtual_servers.len(), 1_000);
    assert_eq!(
        loaded.diags.exit_code(),
        0,
        "{:?}",
        loaded.diags.items.first()
    );
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
#[ignore]
fn bench_big_config_memory() {
    let text = big_config(10_000, 1_000);
    println!("peak after text: {} kB", rss_kb());
    let p = alived_config::parse_str(
        "big.conf",
        &text,
        &Default::default(),
        &alived_config::keywords::ROOT,
    );
    println!("peak after parse: {} kB", rss_kb());
    let mut d = p.diags;
    let c = alived_config::model::build(p.nodes, &Default::default(), &mut d);
    println!(
        "peak after build: {} kB ({} instances)",
        rss_kb(),
        c.instances.len()
    );
}

// Development aid: prints alived's `-t` exit code for every file in $ALIVED_RC_DIR.
#[test]
#[ignore]
fn print_exit_codes() {
    let Ok(dir) = std::env::var("ALIVED_RC_DIR") else {
        return;
    };
    let opts = host_options();
    for p in files(Path::new(&dir), "") {
        let loaded = load_file(&p, &opts);
        println!("RC {} {}", loaded.diags.exit_code(), name(&p));
        if std::env::var("ALIVED_RC_VERBOSE").is_ok() {
            print!("{}", render::render_all(&loaded.diags, &loaded.sources));
        }
        if std::env::var("ALIVED_RC_MESSAGES").is_ok() {
            for d in &loaded.diags.items {
                println!("MSG {} {}", name(&p), d.message);
            }
        }
    }
}
