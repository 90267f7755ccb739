//! `global_defs` process scheduling (process.rs): values, defaults and keepalived 2.2.7's
//! messages for bad values (each measured with `keepalived -t` and the daemon's log).

use super::process::{DEFAULT_RLIMIT_RTTIME, ProcessSched};
use super::testutil::{load, nodes};
use super::*;
use crate::diag::{Diagnostics, Severity};

fn globals(lines: &str) -> String {
    format!("global_defs {{\n{lines}\n}}\n")
}

/// The model and messages with a host of `cpus` CPUs.
fn load_cpus(text: &str, cpus: u32) -> (Config, Vec<String>) {
    let mut d = Diagnostics::default();
    let host = HostFacts {
        cpus: Some(cpus),
        ..Default::default()
    };
    let c = build(nodes(text), &host, &mut d);
    (c, d.items.into_iter().map(|i| i.message).collect())
}

#[test]
fn defaults_leave_every_process_as_started() {
    let (c, msgs, _) = load(&globals(" router_id r1"));
    assert!(msgs.is_empty(), "{msgs:?}");
    let g = &c.global;
    for p in [&g.vrrp_process, &g.checker_process, &g.bfd_process] {
        assert_eq!(*p, ProcessSched::default());
        assert!(!p.is_set());
        assert_eq!(p.rlimit_rttime, DEFAULT_RLIMIT_RTTIME);
        assert_eq!(p.rlimit_rttime.micros(), 10_000);
    }
    assert_eq!(g.max_auto_priority, None);
    assert_eq!(g.min_auto_priority_delay, Interval::from_secs(1));
    assert_eq!(g.auto_priority_max(), None);
    assert!(g.auto_priority_notice());
}

#[test]
fn good_values_per_process() {
    let (c, msgs) = load_cpus(
        &globals(
            " vrrp_priority -10\n vrrp_rt_priority 50\n vrrp_rlimit_rttime 20000\n vrrp_no_swap\n \
             vrrp_cpu_affinity 1 0 1\n checker_priority 19\n checker_no_swap\n \
             checker_cpu_affinity 0\n bfd_rt_priority 30\n",
        ),
        2,
    );
    assert!(msgs.is_empty(), "{msgs:?}");
    let v = &c.global.vrrp_process;
    assert_eq!(v.nice, Some(-10));
    assert_eq!(v.rt_priority, Some(50));
    assert_eq!(v.rlimit_rttime, Interval(20_000));
    assert!(v.no_swap);
    assert_eq!(v.cpu_affinity, [0, 1]);
    let k = &c.global.checker_process;
    assert_eq!(
        (k.nice, k.rt_priority, k.no_swap, k.cpu_affinity.as_slice()),
        (Some(19), None, true, &[0u16][..])
    );
    assert_eq!(c.global.bfd_process.rt_priority, Some(30));
    assert!(!c.global.bfd_process.no_swap);
}

#[test]
fn nice_out_of_range_or_not_a_number_is_ignored_with_keepalived_wording() {
    for (v, first) in [
        ("20", "number '20' outside range [-20, 19]"),
        ("-21", "number '-21' outside range [-20, 19]"),
        ("99999999999", "number '99999999999' outside integer range"),
        ("1.5", "invalid number '1.5'"),
        ("x", "invalid number 'x'"),
    ] {
        let (c, msgs, _) = load(&globals(&format!(" checker_priority {v}")));
        assert_eq!(
            msgs,
            [first, "Invalid checker process priority specified"],
            "{v}"
        );
        assert_eq!(c.global.checker_process.nice, None);
    }
    let (_, msgs, _) = load(&globals(" bfd_priority"));
    assert_eq!(msgs, ["No bfd process priority specified"]);
}

#[test]
fn rt_priority_is_clamped_or_ignored_as_keepalived_does() {
    for (v, want, msgs_want) in [
        (
            "0",
            Some(1),
            vec!["vrrp process real-time priority 0 less than minimum 1 - setting to minimum"],
        ),
        (
            "-5",
            Some(1),
            vec!["vrrp process real-time priority -5 less than minimum 1 - setting to minimum"],
        ),
        (
            "100",
            Some(99),
            vec![
                "vrrp process real-time priority 100 greater than maximum 99 - setting to maximum",
            ],
        ),
        ("99", Some(99), vec![]),
        (
            "1.5",
            None,
            vec![
                "invalid number '1.5'",
                "vrrp process real-time priority '1.5' invalid",
            ],
        ),
        (
            "99999999999",
            None,
            vec![
                "number '99999999999' outside integer range",
                "vrrp process real-time priority '99999999999' invalid",
            ],
        ),
    ] {
        let (c, msgs, _) = load(&globals(&format!(" vrrp_rt_priority {v}")));
        assert_eq!(msgs, msgs_want, "{v}");
        assert_eq!(c.global.vrrp_process.rt_priority, want, "{v}");
    }
    let (_, msgs, _) = load(&globals(" vrrp_rt_priority"));
    assert_eq!(msgs, ["No vrrp process real-time priority specified"]);
}

#[test]
fn a_bad_rttime_keeps_the_default_and_the_old_spelling_is_noted() {
    let (c, msgs, _) = load(&globals(" vrrp_rlimit_rttime 0\n checker_rlimit_rttime x"));
    assert_eq!(
        msgs,
        [
            "number '0' outside range [1, 4294967295]",
            "Invalid vrrp real-time limit - 0",
            "invalid number 'x'",
            "Invalid checker real-time limit - x",
        ]
    );
    assert_eq!(c.global.vrrp_process.rlimit_rttime, DEFAULT_RLIMIT_RTTIME);
    assert_eq!(
        c.global.checker_process.rlimit_rttime,
        DEFAULT_RLIMIT_RTTIME
    );
    let mut d = Diagnostics::default();
    let c = build(
        nodes(&globals(" vrrp_rlimit_rtime 30000")),
        &HostFacts::default(),
        &mut d,
    );
    assert_eq!(c.global.vrrp_process.rlimit_rttime, Interval(30_000));
    assert_eq!(d.items.len(), 1);
    assert_eq!(d.items[0].severity, Severity::Note);
    assert_eq!(
        d.items[0].message,
        "Keyword 'vrrp_rlimit_rtime' is deprecated - please use 'vrrp_rlimit_rttime'"
    );
    // `keepalived -t` exits 0 on it.
    assert_eq!(d.exit_code(), 0);
}

#[test]
fn cpu_affinity_drops_the_whole_line_on_one_bad_id() {
    for (v, msgs_want) in [
        (
            "1 7",
            [
                "number '7' outside range [0, 1]",
                "Invalid cpu_id:7 specified for vrrp process",
            ],
        ),
        (
            "-1",
            [
                "number '-1' outside range [0, 1]",
                "Invalid cpu_id:-1 specified for vrrp process",
            ],
        ),
        (
            "0-1",
            [
                "invalid number '0-1'",
                "Invalid cpu_id:0 specified for vrrp process",
            ],
        ),
        (
            "0,1",
            [
                "invalid number '0,1'",
                "Invalid cpu_id:0 specified for vrrp process",
            ],
        ),
        (
            "1 x",
            [
                "invalid number 'x'",
                "Invalid cpu_id:0 specified for vrrp process",
            ],
        ),
    ] {
        let (c, msgs) = load_cpus(&globals(&format!(" vrrp_cpu_affinity {v}")), 2);
        assert_eq!(msgs, msgs_want, "{v}");
        assert!(c.global.vrrp_process.cpu_affinity.is_empty(), "{v}");
    }
    let (_, msgs) = load_cpus(&globals(" checker_cpu_affinity"), 2);
    assert_eq!(msgs, ["No checker cpu_id set specified"]);
    // Without host facts any id the kernel's CPU set can hold is taken.
    let (c, msgs, _) = load(&globals(" vrrp_cpu_affinity 7 1023"));
    assert!(msgs.is_empty(), "{msgs:?}");
    assert_eq!(c.global.vrrp_process.cpu_affinity, [7, 1023]);
}

#[test]
fn auto_priority_values() {
    for (line, max, notice) in [
        ("max_auto_priority", Some(99), false),
        ("max_auto_priority 20", Some(20), false),
        ("max_auto_priority 0", None, true),
        ("max_auto_priority -1", None, false),
    ] {
        let (c, msgs, _) = load(&globals(&format!(" {line}")));
        assert!(msgs.is_empty(), "{msgs:?}");
        assert_eq!(c.global.auto_priority_max(), max, "{line}");
        assert_eq!(c.global.auto_priority_notice(), notice, "{line}");
    }
    let (c, msgs, _) = load(&globals(" max_auto_priority 100"));
    assert_eq!(
        msgs,
        [
            "number '100' outside range [-1, 99]",
            "max_auto_priority '100' must be in [0, 99] (or -1 to disable) - ignoring",
        ]
    );
    assert!(c.global.auto_priority_notice());
    let (c, msgs, _) = load(&globals(" min_auto_priority_delay 5000"));
    assert!(msgs.is_empty(), "{msgs:?}");
    assert_eq!(c.global.min_auto_priority_delay, Interval(5_000));
    for (v, first) in [
        ("0", "number '0' outside range [1, 10000000]"),
        ("x", "invalid number 'x'"),
    ] {
        let (c, msgs, _) = load(&globals(&format!(" min_auto_priority_delay {v}")));
        assert_eq!(
            msgs,
            [
                first.to_owned(),
                format!("min_auto_priority_delay '{v}' must be in [1, 10000000] - ignoring")
            ],
        );
        assert_eq!(c.global.min_auto_priority_delay, Interval::from_secs(1));
    }
    let (_, msgs, _) = load(&globals(" min_auto_priority_delay"));
    assert_eq!(msgs, ["min_auto_priority_delay requires delay time"]);
}
