//! Root test: `track_file` in a running pair. The file's value times the weight moves the
//! master's effective priority (keepalived's `Changing effective priority` line), so the
//! backup takes over, and back; a product below -253 puts the instance in FAULT. Validated
//! against keepalived 2.2.7 (`ALIVED_TEST_DAEMON=keepalived`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod ha_support;

use common::*;
use ha_support::*;

/// Replaces the file's content atomically (a rename, as tools that write config files do).
fn set(path: &std::path::Path, value: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, value).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn a_tracked_file_moves_the_priority_and_faults_below_minus_253() {
    let dir = script_dir();
    let file = dir.path().join("tf");
    let mut t = topology("tfile", 2);
    let vip_s = t.vip().to_string();
    let top = format!(
        "track_file tf {{\n    file {}\n    weight -10\n    init_file 0 overwrite\n}}\n",
        file.display()
    );
    let inner = "    track_file {\n        tf\n    }\n";
    let c1 = extend_conf(&VrrpConf::fast_v3("r1", 100, t.vip()).render(), &top, inner);
    let c2 = VrrpConf::fast_v3("r2", 99, t.vip()).render();
    t.router(0).unwrap().set_config(c1);
    t.router(1).unwrap().set_config(c2);
    t.router(0).unwrap().start().unwrap();
    expect_line(&t.routers[0], "(VI_1) Entering MASTER STATE", FAST);
    t.router(1).unwrap().start().unwrap();
    expect_line(&t.routers[1], "(VI_1) Entering BACKUP STATE", FAST);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "0\n");

    // 1 x -10: priority 90 < 99, the backup takes over.
    let (m1, m2) = (t.routers[0].mark(), t.routers[1].mark());
    set(&file, "1\n");
    let (r1, r2) = (&t.routers[0], &t.routers[1]);
    expect_line_since(
        r1,
        m1,
        "(VI_1) Changing effective priority from 100 to 90",
        FAST,
    );
    expect_line_since(r2, m2, "(VI_1) Entering MASTER STATE", FAST);
    expect_line_since(r1, m1, "(VI_1) Entering BACKUP STATE", FAST);
    expect_vip(r2, &vip_s, true, FAST);

    // Back to 0: r1 preempts.
    let m1 = t.routers[0].mark();
    set(&file, "0\n");
    let r1 = &t.routers[0];
    expect_line_since(
        r1,
        m1,
        "(VI_1) Changing effective priority from 90 to 100",
        FAST,
    );
    expect_line_since(r1, m1, "(VI_1) Entering MASTER STATE", FAST);
    expect_vip(r1, &vip_s, true, FAST);

    // 30 x -10 = -300 < -253: FAULT.
    let m1 = t.routers[0].mark();
    set(&file, "30\n");
    let r1 = &t.routers[0];
    expect_line_since(r1, m1, "(VI_1): tracked file tf now FAULT state", FAST);
    expect_line_since(r1, m1, "(VI_1) Entering FAULT STATE", FAST);
    expect_vip(r1, &vip_s, false, FAST);
    expect_vip(&t.routers[1], &vip_s, true, FAST);
}
