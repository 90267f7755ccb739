//! Root tests: `notify_master_rx_lower_pri` and `notify_priority_changes` (behaviour spec
//! 2.6). Measured on keepalived 2.2.7, and these tests pass against it too
//! (`ALIVED_TEST_DAEMON=keepalived`):
//! - a MASTER receiving an advert of lower priority runs `notify_master_rx_lower_pri` once per
//!   such advert, with its configured arguments only, and writes
//!   `INSTANCE "VI_1" MASTER_RX_LOWER_PRI 200` to the FIFO; `notify` is not run for it;
//! - with `notify_priority_changes`, a change of effective priority writes
//!   `MASTER_PRIORITY`/`BACKUP_PRIORITY` lines to the FIFO; no script is run for it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod ha_support;

use common::*;
use ha_support::*;
use std::path::Path;
use std::time::Duration;

/// A script appending its arguments to `dir/args`.
fn recorder(dir: &Path) -> String {
    script(
        dir,
        "n.sh",
        &format!("#!/bin/sh\necho \"$*\" >> {}\n", dir.join("args").display()),
    )
    .display()
    .to_string()
}

/// Stops router `i`; a failure shows every log.
fn stop(t: &mut Topology, i: usize) {
    if let Err(e) = t.router(i).unwrap().stop() {
        panic!("{e}\n{}", t.dump_logs());
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// r1 (priority 200) sends its adverts to an address nobody has, so r2 (priority 100) never
/// hears it and becomes master too, sending its adverts to r1: r1 is a MASTER receiving
/// lower-priority adverts, one per advert interval.
#[test]
fn a_master_runs_notify_master_rx_lower_pri_once_per_lower_advert() {
    let dir = script_dir();
    let n = recorder(dir.path());
    let fifo = FifoReader::start(&dir.path().join("fifo"));
    let mut t = topology("rxlower", 2);
    let (a1, a2, nobody) = (t.addr(1), t.addr(2), t.addr(9));
    let inner1 = format!(
        "    unicast_src_ip {a1}\n    unicast_peer {{\n        {nobody}\n    }}\n    \
         notify_master_rx_lower_pri \"{n} lower x\"\n    notify \"{n} generic\"\n"
    );
    let mut c1 = VrrpConf::fast_v3("r1", 200, t.vip());
    c1.advert_int = "1".into();
    let c1 = extend_conf(&c1.render(), "", &inner1);
    let c1 = extend_global(
        &c1,
        &format!("    notify_fifo {}\n", dir.path().join("fifo").display()),
    );
    let inner2 = format!("    unicast_src_ip {a2}\n    unicast_peer {{\n        {a1}\n    }}\n");
    let mut c2 = VrrpConf::fast_v3("r2", 100, t.vip());
    c2.advert_int = "1".into();
    let c2 = extend_conf(&c2.render(), "", &inner2);
    t.router(0).unwrap().set_config(c1);
    t.router(1).unwrap().set_config(c2);
    t.router(0).unwrap().start().unwrap();
    expect_line(&t.routers[0], "(VI_1) Entering MASTER STATE", SLOW);
    t.router(1).unwrap().start().unwrap();
    expect_line(&t.routers[1], "(VI_1) Entering MASTER STATE", SLOW);

    let seen = format!("(VI_1) Received advert from {a2} with lower priority 100, ours 200");
    assert!(
        wait_until(SLOW, || t.routers[0].log().find_all(0, &seen).len() >= 3),
        "{}",
        t.dump_logs()
    );
    // Killed, not stopped: an orderly stop would send a priority 0 advert.
    t.router(1).unwrap().crash().unwrap();
    let log = t.routers[0].log().clone();
    let adverts = || log.find_all(0, &seen).len();
    let lower_runs = || {
        file_lines(&dir.path().join("args"))
            .iter()
            .filter(|l| l.starts_with("lower"))
            .count()
    };
    let fifo_lower = || {
        fifo.lines()
            .iter()
            .filter(|l| l.as_str() == "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 200")
            .count()
    };
    assert!(
        wait_until(FAST, || lower_runs() == adverts()
            && fifo_lower() == adverts()),
        "{} adverts, {} runs, {} FIFO lines",
        adverts(),
        lower_runs(),
        fifo_lower()
    );
    stop(&mut t, 0);
    let args = dir.path().join("args");
    assert!(wait_until(FAST, || file_lines(&args)
        .iter()
        .any(|l| l.contains("STOP"))));
    std::thread::sleep(Duration::from_millis(300));
    let others: Vec<String> = file_lines(&args)
        .into_iter()
        .filter(|l| !l.starts_with("lower"))
        .collect();
    assert_eq!(
        sorted(others),
        [
            "generic INSTANCE VI_1 BACKUP 200",
            "generic INSTANCE VI_1 MASTER 200",
            "generic INSTANCE VI_1 STOP 200",
        ]
    );
    assert!(
        file_lines(&args)
            .iter()
            .filter(|l| l.starts_with("lower"))
            .all(|l| l == "lower x"),
        "{:?}",
        file_lines(&args)
    );
}

/// keepalived 2.2.7: `notify_priority_changes` writes MASTER_PRIORITY / BACKUP_PRIORITY to
/// the FIFO, in order with the transitions, and runs no script.
#[test]
fn priority_changes_go_to_the_fifo_only() {
    let dir = script_dir();
    let n = recorder(dir.path());
    let file = dir.path().join("tf");
    let fifo = FifoReader::start(&dir.path().join("fifo"));
    let mut t = topology("prionotify", 2);
    let top = format!(
        "track_file tf {{\n    file {}\n    weight 1\n    init_file 0 overwrite\n}}\n",
        file.display()
    );
    let inner = format!(
        "    track_file {{\n        tf\n    }}\n    notify_priority_changes\n    notify \"{n} generic\"\n"
    );
    let c1 = extend_conf(
        &VrrpConf::fast_v3("r1", 150, t.vip()).render(),
        &top,
        &inner,
    );
    let c1 = extend_global(
        &c1,
        &format!("    notify_fifo {}\n", dir.path().join("fifo").display()),
    );
    t.router(0).unwrap().set_config(c1);
    let c2 = VrrpConf::fast_v3("r2", 200, t.vip()).render();
    t.router(1).unwrap().set_config(c2);
    t.router(0).unwrap().start().unwrap();
    expect_line(&t.routers[0], "(VI_1) Entering MASTER STATE", FAST);

    std::fs::write(&file, "5\n").unwrap();
    expect_line(
        &t.routers[0],
        "(VI_1) Changing effective priority from 150 to 155",
        FAST,
    );
    let mark = t.routers[0].mark();
    t.router(1).unwrap().start().unwrap();
    expect_line_since(&t.routers[0], mark, "(VI_1) Entering BACKUP STATE", FAST);
    std::fs::write(&file, "7\n").unwrap();
    expect_line(
        &t.routers[0],
        "(VI_1) Changing effective priority from 155 to 157",
        FAST,
    );
    stop(&mut t, 0);

    let want_fifo = [
        "INSTANCE \"VI_1\" BACKUP 150",
        "INSTANCE \"VI_1\" MASTER 150",
        "INSTANCE \"VI_1\" MASTER_PRIORITY 155",
        "INSTANCE \"VI_1\" BACKUP 155",
        "INSTANCE \"VI_1\" BACKUP_PRIORITY 157",
        "INSTANCE \"VI_1\" STOP 157",
    ];
    assert_eq!(fifo.wait_lines(want_fifo.len(), FAST), want_fifo);
    let args = dir.path().join("args");
    wait_until(FAST, || file_lines(&args).len() >= 4);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        sorted(file_lines(&args)),
        [
            "generic INSTANCE VI_1 BACKUP 150",
            "generic INSTANCE VI_1 BACKUP 155",
            "generic INSTANCE VI_1 MASTER 150",
            "generic INSTANCE VI_1 STOP 157",
        ]
    );
}
