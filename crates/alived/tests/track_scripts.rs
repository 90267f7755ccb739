//! Root tests: a track script that hangs is killed at its timeout and counts as failed; a
//! script that does not exist or is not executable is reported and disabled (the instance runs
//! as if it were not tracked). Expectations validated against keepalived 2.2.7
//! (`ALIVED_TEST_DAEMON=keepalived`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod ha_support;

use common::*;
use ha_support::*;
use std::time::{Duration, Instant};

fn track_conf(t: &Topology, top: &str, names: &[&str]) -> String {
    let mut inner = String::from("    track_script {\n");
    for n in names {
        inner.push_str(&format!("        {n}\n"));
    }
    inner.push_str("    }\n");
    extend_conf(&VrrpConf::fast_v3("r1", 100, t.vip()).render(), top, &inner)
}

#[test]
fn a_hanging_script_is_killed_at_its_timeout_and_counts_as_failed() {
    let dir = script_dir();
    let mut t = topology("hang", 1);
    let pidfile = dir.path().join("hang.pid");
    let hang = script(
        dir.path(),
        "hang.sh",
        &format!(
            "#!/bin/sh\necho $$ > {}\nexec /bin/sleep 60\n",
            pidfile.display()
        ),
    );
    let top = format!(
        "vrrp_script chk_hang {{\n    script \"{}\"\n    interval 1\n    timeout 1\n}}\n",
        hang.display()
    );
    let conf = track_conf(&t, &top, &["chk_hang"]);
    t.router(0).unwrap().set_config(conf);
    let started = Instant::now();
    t.router(0).unwrap().start().unwrap();
    let r1 = &t.routers[0];
    let timed_out = expect_line(r1, "VRRP_Script(chk_hang) timed_out", FAST);
    // keepalived 2.2.7 keeps an instance with an unweighted script that has not reported
    // out of every state; the failure then keeps it from MASTER (it is FAULT).
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        r1.lines_with("(VI_1) Entering MASTER STATE").is_empty()
            && r1.lines_with("(VI_1) Entering BACKUP STATE").is_empty(),
        "the instance ran although its unweighted script never succeeded"
    );
    assert!(!r1.has_vip(&t.vip().to_string()).unwrap());
    // The hung process is gone (SIGTERM at the timeout, SIGKILL after the grace).
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let gone = wait_until(Duration::from_secs(10), || {
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
    });
    assert!(gone, "the hung script {pid} is still there");
    eprintln!(
        "measured: timed_out logged {:.3}s after start",
        secs(started, timed_out.at)
    );
}

#[test]
fn missing_and_non_executable_scripts_are_reported_and_disabled() {
    let dir = script_dir();
    let mut t = topology("badscr", 1);
    let noexec = dir.path().join("noexec.sh");
    std::fs::write(&noexec, "#!/bin/sh\nexit 0\n").unwrap();
    let missing = dir.path().join("missing.sh");
    let top = format!(
        "vrrp_script chk_missing {{\n    script \"{}\"\n    interval 1\n}}\n\
         vrrp_script chk_noexec {{\n    script \"{}\"\n    interval 1\n}}\n",
        missing.display(),
        noexec.display()
    );
    let conf = track_conf(&t, &top, &["chk_missing", "chk_noexec"]);
    t.router(0).unwrap().set_config(conf);
    t.router(0).unwrap().start().unwrap();
    let r1 = &t.routers[0];
    // Disabled scripts do not hold the instance back.
    expect_line(r1, "(VI_1) Entering MASTER STATE", FAST);
    expect_line(
        r1,
        "Disabling track script chk_missing since not found/accessible",
        FAST,
    );
    expect_line(
        r1,
        &format!(
            "WARNING - script '{}' is not executable for uid:gid 0:0 - disabling.",
            noexec.display()
        ),
        FAST,
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        r1.lines_with("VRRP_Script(chk_").is_empty(),
        "a disabled script ran"
    );
    assert!(r1.lines_with("Entering FAULT").is_empty());
}

#[test]
fn with_script_security_an_insecure_script_is_disabled() {
    use std::os::unix::fs::PermissionsExt;
    let dir = script_dir();
    let mut t = topology("insecure", 1);
    let good = script(dir.path(), "good.sh", "#!/bin/sh\nexit 0\n");
    let bad = script(dir.path(), "bad.sh", "#!/bin/sh\nexit 1\n");
    // Writable by anyone: whoever edits it would run code as root.
    std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o777)).unwrap();
    let top = format!(
        "vrrp_script chk_good {{\n    script \"{}\"\n    interval 1\n}}\n\
         vrrp_script chk_bad {{\n    script \"{}\"\n    interval 1\n}}\n",
        good.display(),
        bad.display()
    );
    let conf = extend_global(
        &track_conf(&t, &top, &["chk_good", "chk_bad"]),
        "    enable_script_security\n    script_user root\n",
    );
    t.router(0).unwrap().set_config(conf);
    t.router(0).unwrap().start().unwrap();
    let r1 = &t.routers[0];
    expect_line(
        r1,
        &format!(
            "Unsafe permissions found for script '{}' - disabling.",
            bad.display()
        ),
        FAST,
    );
    expect_line(r1, "Disabling track script chk_bad due to insecure", FAST);
    // The secure one runs; the failing insecure one does not hold the instance back.
    expect_line(r1, "VRRP_Script(chk_good) succeeded", FAST);
    expect_line(r1, "(VI_1) Entering MASTER STATE", FAST);
    assert!(r1.lines_with("VRRP_Script(chk_bad)").is_empty());
    assert!(r1.lines_with("SECURITY VIOLATION").is_empty());
}
