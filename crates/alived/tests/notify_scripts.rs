//! Root tests: notify scripts get keepalived's arguments, the notify FIFO gets keepalived's
//! lines in order, a real SMTP server (Debian's python3-aiosmtpd) gets one mail per
//! transition with keepalived's subject, and a mail server that never answers delays no
//! failover. Expectations validated against keepalived 2.2.7 (`ALIVED_TEST_DAEMON=keepalived`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod ha_support;

use common::*;
use ha_support::*;
use std::path::Path;
use std::time::{Duration, Instant};

const SMTP_PORT: u16 = 2525;

/// r1's configuration: the instance in a one-member sync group, every notify keyword, a
/// FIFO and mail to `smtp`.
fn notify_conf(t: &Topology, dir: &Path, name: &str, prio: u8, smtp: &str) -> String {
    notify_conf_alerting(t, dir, name, prio, smtp, false)
}

/// Like [`notify_conf`]; `group_alerts` moves `smtp_alert` from the instance to the group.
fn notify_conf_alerting(
    t: &Topology,
    dir: &Path,
    name: &str,
    prio: u8,
    smtp: &str,
    group_alerts: bool,
) -> String {
    let (group_alert, inst_alert) = if group_alerts {
        ("    smtp_alert\n", "")
    } else {
        ("", "    smtp_alert\n")
    };
    let n = script(
        dir,
        &format!("n-{name}.sh"),
        &format!(
            "#!/bin/sh\necho \"$*\" >> {}\n",
            dir.join(format!("args-{name}")).display()
        ),
    );
    let n = n.display();
    let global = format!(
        "    notify_fifo {}\n    notification_email {{\n        ops@example.com\n    }}\n    \
         notification_email_from alived@example.com\n    smtp_server {smtp}\n    \
         smtp_connect_timeout 30\n",
        dir.join(format!("fifo-{name}")).display()
    );
    let top = format!(
        "vrrp_sync_group G1 {{\n    group {{\n        VI_1\n    }}\n    \
         notify \"{n} group_generic\"\n    notify_master \"{n} group_master\"\n{group_alert}}}\n"
    );
    let inner = format!(
        "    notify_master \"{n} master_specific arg2\"\n    notify_backup \"{n} backup_specific\"\n    \
         notify_fault \"{n} fault_specific\"\n    notify_stop \"{n} stopping\"\n    \
         notify \"{n} generic\"\n{inst_alert}"
    );
    let conf = VrrpConf::fast_v3(name, prio, t.vip()).render();
    extend_global(&extend_conf(&conf, &top, &inner), &global)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn notify_scripts_fifo_and_mail_follow_each_transition() {
    let dir = script_dir();
    let mut t = topology("notify", 2);
    let smtp_addr = t.client_addr().to_string();
    let (_smtpd, subjects) = smtp_server(&t.client, dir.path(), &smtp_addr, SMTP_PORT);
    let fifo = FifoReader::start(&dir.path().join("fifo-r1"));
    let smtp = format!("{smtp_addr} {SMTP_PORT}");
    let c1 = notify_conf(&t, dir.path(), "r1", 150, &smtp);
    t.router(0).unwrap().set_config(c1);
    let c2 = VrrpConf::fast_v3("r2", 100, t.vip()).render();
    t.router(1).unwrap().set_config(c2);

    t.router(0).unwrap().start().unwrap();
    expect_line(&t.routers[0], "(VI_1) Entering MASTER STATE", FAST);
    t.router(1).unwrap().start().unwrap();
    expect_line(&t.routers[1], "(VI_1) Entering BACKUP STATE", FAST);
    t.router(0).unwrap().stop().unwrap();
    expect_line(&t.routers[1], "(VI_1) Entering MASTER STATE", FAST);

    let args_file = dir.path().join("args-r1");
    let want_args = sorted(
        [
            "group_generic GROUP G1 BACKUP 0",
            "generic INSTANCE VI_1 BACKUP 150",
            "backup_specific",
            "master_specific arg2",
            "generic INSTANCE VI_1 MASTER 150",
            "group_master",
            "group_generic GROUP G1 MASTER 0",
            "stopping",
            "generic INSTANCE VI_1 STOP 150",
            "group_generic GROUP G1 STOP 0",
        ]
        .map(str::to_owned)
        .to_vec(),
    );
    wait_until(FAST, || file_lines(&args_file).len() >= want_args.len());
    // Give a stray extra run the chance to show up before comparing.
    std::thread::sleep(Duration::from_millis(300));
    let got = sorted(file_lines(&args_file));
    eprintln!("notify arguments: {got:#?}");

    let want_fifo = [
        "GROUP \"G1\" BACKUP 0",
        "INSTANCE \"VI_1\" BACKUP 150",
        "INSTANCE \"VI_1\" MASTER 150",
        "GROUP \"G1\" MASTER 0",
        "INSTANCE \"VI_1\" STOP 150",
        "GROUP \"G1\" STOP 0",
    ];
    let fifo_lines = fifo.wait_lines(want_fifo.len(), FAST);
    eprintln!("FIFO lines: {fifo_lines:#?}");

    wait_until(FAST, || file_lines(&subjects).len() >= 2);
    std::thread::sleep(Duration::from_millis(300));
    let mails = file_lines(&subjects);
    eprintln!("mail subjects: {mails:#?}");

    assert_eq!(got, want_args, "notify script arguments");
    let r1 = &t.routers[0];
    expect_line(
        r1,
        &format!("Remote SMTP server [{smtp_addr}]:{SMTP_PORT} connected."),
        FAST,
    );
    expect_line(r1, "SMTP alert successfully sent.", FAST);
    expect_line(
        r1,
        "SECURITY VIOLATION - scripts are being executed but script_security not enabled.",
        FAST,
    );
    assert_eq!(fifo_lines, want_fifo, "FIFO lines in order");
    assert_eq!(
        sorted(mails),
        sorted(
            [
                "[r1] VRRP Instance VI_1 - Entering BACKUP state",
                "[r1] VRRP Instance VI_1 - Entering MASTER state",
            ]
            .map(str::to_owned)
            .to_vec()
        ),
        "one mail per transition of the instance (the group has no smtp_alert; none at STOP)"
    );
}

/// Master crash -> backup takeover, timed.
fn crash_takeover(t: &mut Topology) -> f64 {
    let m2 = t.routers[1].mark();
    let crashed = t.router(0).unwrap().crash().unwrap();
    let took = expect_line_since(&t.routers[1], m2, "(VI_1) Entering MASTER STATE", FAST);
    secs(crashed, took.at)
}

#[test]
fn a_mail_server_that_never_answers_or_is_down_delays_nothing() {
    let dir = script_dir();
    let mut t = topology("smtpslow", 2);
    let smtp_addr = t.client_addr().to_string();
    let mut tarpit = smtp_tarpit(&t.client, dir.path(), &smtp_addr, SMTP_PORT);
    let global = format!(
        "    notification_email {{\n        ops@example.com\n    }}\n    \
         notification_email_from alived@example.com\n    smtp_server {smtp_addr} {SMTP_PORT}\n    \
         smtp_connect_timeout 30\n    smtp_alert\n"
    );
    for (i, (name, prio)) in [("r1", 150u8), ("r2", 100u8)].iter().enumerate() {
        let conf = extend_global(&VrrpConf::fast_v3(name, *prio, t.vip()).render(), &global);
        t.router(i).unwrap().set_config(conf);
    }
    let vip_s = t.vip().to_string();

    // The mail server accepts and never answers: each alert waits 30 s, nothing else does.
    t.router(0).unwrap().start().unwrap();
    expect_line(&t.routers[0], "(VI_1) Entering MASTER STATE", FAST);
    t.router(1).unwrap().start().unwrap();
    expect_line(&t.routers[1], "(VI_1) Entering BACKUP STATE", FAST);
    let slow = crash_takeover(&mut t);
    expect_vip(&t.routers[1], &vip_s, true, FAST);

    // The mail server is down (connection refused).
    tarpit.kill();
    let m1 = t.routers[0].mark();
    let restarted = Instant::now();
    t.router(0).unwrap().start().unwrap();
    let back = expect_line_since(&t.routers[0], m1, "(VI_1) Entering MASTER STATE", FAST);
    let preempt = secs(restarted, back.at);
    let down = crash_takeover(&mut t);
    eprintln!(
        "measured: takeover after a master crash {slow:.3}s with a silent mail server, \
         {down:.3}s with none; preemption {preempt:.3}s after start with none"
    );
    // Master_Down_Interval is about 0.37 s; a takeover waiting on a mail would take 30 s.
    for (what, s) in [("silent server", slow), ("server down", down)] {
        assert!(s < 3.0, "takeover took {s:.3}s with the {what}");
    }
    assert!(
        preempt < 5.0,
        "preemption took {preempt:.3}s with the server down"
    );
    assert!(
        t.routers[1]
            .lines_with("SMTP alert successfully sent.")
            .is_empty()
    );
}

#[test]
fn a_sync_group_with_smtp_alert_mails_its_own_transitions() {
    let dir = script_dir();
    let mut t = topology("grpmail", 1);
    let smtp_addr = t.client_addr().to_string();
    let (_smtpd, subjects) = smtp_server(&t.client, dir.path(), &smtp_addr, SMTP_PORT);
    let smtp = format!("{smtp_addr} {SMTP_PORT}");
    let c1 = notify_conf_alerting(&t, dir.path(), "r1", 150, &smtp, true);
    t.router(0).unwrap().set_config(c1);
    t.router(0).unwrap().start().unwrap();
    expect_line(&t.routers[0], "(VI_1) Entering MASTER STATE", FAST);
    wait_until(FAST, || file_lines(&subjects).len() >= 2);
    std::thread::sleep(Duration::from_millis(300));
    let mails = file_lines(&subjects);
    eprintln!("mail subjects: {mails:#?}");
    assert_eq!(
        sorted(mails),
        sorted(
            [
                "[r1] VRRP Group G1 - Entering BACKUP state",
                "[r1] VRRP Group G1 - Entering MASTER state",
            ]
            .map(str::to_owned)
            .to_vec()
        )
    );
}

#[test]
fn the_notify_fifo_script_reads_the_fifo_given_as_its_last_argument() {
    let dir = script_dir();
    let mut t = topology("fifoscr", 1);
    let out = dir.path().join("fifo-out");
    let reader = script(
        dir.path(),
        "reader.sh",
        &format!(
            "#!/bin/sh\necho \"args: $*\" >> {out}\nwhile read -r line; do echo \"$line\" >> {out}; done < \"$1\"\n",
            out = out.display()
        ),
    );
    let fifo = dir.path().join("fifo");
    let global = format!(
        "    notify_fifo {}\n    notify_fifo_script \"{}\"\n",
        fifo.display(),
        reader.display()
    );
    // A track script too: the script checks are reported once for all scripts.
    let top = "vrrp_script chk_true {\n    script \"/bin/true\"\n    interval 1\n}\n";
    let inner = "    track_script {\n        chk_true\n    }\n";
    let conf = extend_conf(
        &extend_global(&VrrpConf::fast_v3("r1", 150, t.vip()).render(), &global),
        top,
        inner,
    );
    t.router(0).unwrap().set_config(conf);
    t.router(0).unwrap().start().unwrap();
    expect_line(&t.routers[0], "(VI_1) Entering MASTER STATE", FAST);
    let r1 = &t.routers[0];
    assert_eq!(r1.lines_with("SECURITY VIOLATION").len(), 1);
    assert_eq!(
        r1.lines_with("Script user 'keepalived_script' does not exist")
            .len(),
        1
    );
    let want = [
        format!("args: {}", fifo.display()),
        "INSTANCE \"VI_1\" BACKUP 150".to_owned(),
        "INSTANCE \"VI_1\" MASTER 150".to_owned(),
    ];
    wait_until(FAST, || file_lines(&out).len() >= want.len());
    assert_eq!(file_lines(&out), want);
}
