//! Checker-side conversion rules (behaviour spec 3), one test per rule; expected messages
//! are keepalived 2.2.7's.

use super::testutil::load;
use super::*;
use crate::model::lvs::{CheckerKind, LbKind, Protocol, VsTarget};

fn has(msgs: &[String], m: &str) -> bool {
    msgs.iter().any(|x| x == m)
}

fn inst(body: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n{body}\n virtual_ipaddress {{\n 10.9.9.9\n }}\n}}\n"
    )
}

#[test]
fn virtual_server_defaults() {
    let (c, msgs, _) =
        load("virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 80 {\n }\n}\n");
    assert_eq!(
        msgs,
        [
            "Virtual server [10.0.0.1]:tcp:80: no scheduler set, setting default 'wlc'",
            "Virtual server [10.0.0.1]:tcp:80: no forwarding method set, setting default NAT",
        ]
    );
    let vs = &c.virtual_servers[0];
    assert_eq!((vs.lb_algo.as_str(), vs.lb_kind), ("wlc", LbKind::Nat));
    assert_eq!(
        (vs.delay_loop, vs.quorum, vs.hysteresis),
        (Interval::from_secs(60), 1, 0)
    );
    assert_eq!(vs.real_servers[0].weight, 1);
    assert!(vs.real_servers[0].smtp_alert);
}

#[test]
fn virtual_server_errors_and_dr_ports() {
    let (c, msgs, _) = load(
        "virtual_server 10.0.0.1 81 {\n lb_kind DR\n lb_algo bogus\n protocol tcpx\n real_server 10.0.0.2 8080 {\n weight -1\n }\n}\n",
    );
    assert_eq!(
        msgs,
        [
            "Invalid lvs_scheduler 'bogus' - ignoring",
            "Unknown protocol tcpx - ignoring",
            "negative number '-1'",
            "Real server weight -1 is outside range 0-2147483647",
            "Virtual server [10.0.0.1]:none:81: no protocol set - defaulting to UDP",
            "Virtual server [10.0.0.1]:udp:81: no scheduler set, setting default 'wlc'",
            "WARNING - virtual server [10.0.0.1]:udp:81 and real server [10.0.0.2]:udp:8080 ports don't match - resetting",
        ]
    );
    let vs = &c.virtual_servers[0];
    assert_eq!(vs.protocol, Some(Protocol::Udp));
    assert_eq!(vs.real_servers[0].port, 81);
}

#[test]
fn virtual_server_targets() {
    let (c, msgs, _) = load(
        "virtual_server_group G {\n 10.0.0.7 80\n}\nvirtual_server fwmark 1 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 10.0.0.2 80 {\n }\n}\nvirtual_server 10.0.0.999 80 {\n}\nvirtual_server group G {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.2 80 {\n }\n}\nvirtual_server 10.0.0.1 80 {\n protocol TCP\n}\n",
    );
    assert!(has(
        &msgs,
        "Warning: Virtual server FWM 1: protocol specified for fwmark - protocol will be ignored"
    ));
    assert!(has(
        &msgs,
        "Invalid virtual server IP address/port 10.0.0.999/80 - skipping"
    ));
    assert!(has(
        &msgs,
        "Virtual server [10.0.0.1]:tcp:80 has no real servers - ignoring"
    ));
    assert_eq!(c.virtual_servers.len(), 2);
    assert_eq!(c.virtual_servers[0].target, VsTarget::Fwmark(1));
    assert_eq!(c.virtual_servers[1].target, VsTarget::Group("G".into()));
}

#[test]
fn checker_inheritance() {
    let (c, _, _) = load(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n delay_loop 10\n connect_timeout 7\n real_server 10.0.0.2 80 {\n retry 4\n TCP_CHECK {\n connect_port 81\n }\n HTTP_GET {\n url {\n path /\n }\n delay_loop 3\n }\n DNS_CHECK {\n }\n MISC_CHECK {\n misc_path /bin/true\n }\n }\n}\n",
    );
    let ch = &c.virtual_servers[0].real_servers[0].checkers;
    assert_eq!(ch.len(), 4);
    assert_eq!(ch[0].connect_port, Some(81));
    assert_eq!(
        (ch[0].delay_loop, ch[0].connect_timeout, ch[0].retry),
        (Interval::from_secs(10), Interval::from_secs(7), 4)
    );
    assert_eq!(
        (ch[1].delay_loop, ch[1].delay_before_retry, ch[1].warmup),
        (
            Interval::from_secs(3),
            Interval::from_secs(3),
            Interval::from_secs(3)
        )
    );
    assert!(
        matches!(&ch[1].kind, CheckerKind::Http { urls, .. } if urls[0].status_code == [(200, 299)])
    );
    // retry is inherited from the RS (4) even for DNS and MISC.
    assert_eq!(
        (ch[2].retry, ch[2].delay_before_retry),
        (4, Interval::from_secs(10))
    );
    let (c, _, _) = load(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.2 80 {\n DNS_CHECK {\n }\n MISC_CHECK {\n misc_path /bin/true\n }\n }\n}\n",
    );
    let ch = &c.virtual_servers[0].real_servers[0].checkers;
    assert_eq!(
        (ch[0].retry, ch[0].delay_before_retry),
        (3, Interval::from_secs(60))
    );
    assert_eq!(ch[1].retry, 0);
}

#[test]
fn checker_errors() {
    let (c, msgs, _) = load(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.2 80 {\n HTTP_GET {\n url {\n status_code 999\n digest xyz\n }\n nb_get_retry 3\n http_protocol 2.0\n }\n MISC_CHECK {\n }\n DNS_CHECK {\n type BOGUS\n }\n UDP_CHECK {\n payload zz\n }\n TCP_CHECK {\n connect_timeout 0\n retry abc\n }\n }\n}\n",
    );
    assert_eq!(
        msgs,
        [
            "Invalid HTTP_GET status code '999'",
            "digest 'xyz' character length should be 32 rather than 3",
            "HTTP/SSL_GET checker url has no path - ignoring",
            "nb_get_retry is deprecated - please use 'retry'",
            "Invalid http_protocol version 2.0",
            "HTTP/SSL_GET checker has no urls specified - ignoring",
            "No script path has been specified for MISC_CHECKER - skipping",
            "Unknown DNS check type BOGUS - ignoring",
            "Invalid hex string for UDP_CHECK payload",
            "number '0' outside range [0.000001, 4294.967295]",
            "connect_timeout 0 invalid - ignoring",
            "invalid number 'abc'",
            "Invalid retry connection value 'abc'",
        ]
    );
    assert_eq!(c.virtual_servers[0].real_servers[0].checkers.len(), 3);
}

#[test]
fn vs_group_lines() {
    let (c, msgs, _) = load(
        "virtual_server_group G1 {\n 10.0.0.1 80\n 10.0.0.2-10 80\n fwmark 5\n 10.0.0.999 80\n}\n",
    );
    assert_eq!(
        msgs,
        ["Invalid virtual server group IP address 10.0.0.999 /port/80 - skipping"]
    );
    assert_eq!(c.virtual_server_groups[0].entries.len(), 3);
}

#[test]
fn script_inventory() {
    let text = format!(
        "global_defs {{\n enable_script_security\n notify_fifo /tmp/f\n notify_fifo_script /fifo.sh\n}}\nvrrp_script chk {{\n script /chk.sh\n}}\n{}virtual_server 10.0.0.1 80 {{\n protocol TCP\n lb_algo rr\n lb_kind NAT\n quorum_up /up.sh\n real_server 10.0.0.2 80 {{\n notify_down /down.sh\n MISC_CHECK {{\n misc_path \"/misc.sh arg\"\n }}\n }}\n}}\n",
        inst(" notify_master /m.sh root")
    );
    let (c, _, _) = load(&text);
    let s: Vec<_> = c
        .scripts()
        .iter()
        .map(|u| u.script.command.clone())
        .collect();
    assert_eq!(
        s,
        [
            "/fifo.sh",
            "/chk.sh",
            "/m.sh",
            "/up.sh",
            "/down.sh",
            "/misc.sh arg"
        ]
    );
    assert!(c.global.enable_script_security);
}
