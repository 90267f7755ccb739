//! `real_server` blocks, the connection keywords shared by checkers, and the completion of
//! virtual servers (behaviour spec 3.2 to 3.4).

use super::Config;
use super::addr::Family;
use super::lvs::{
    Checker, CheckerKind, LbKind, Protocol, RealServer, Timing, VsGroupEntry, VsTarget, lb_kind,
    timing, vs_name,
};
use super::values::{Cx, Interval, Script};
use crate::ast::{Body, Node};
use std::net::IpAddr;

pub(crate) fn parse_real_server(
    cx: &mut Cx<'_>,
    n: &Node,
    vs_family: Option<Family>,
    vs_kind: LbKind,
) -> Option<RealServer> {
    let a0 = n.args.first()?;
    let ip = a0.text.parse::<IpAddr>().ok();
    let p = match n.args.get(1) {
        // Port 0 is accepted as such; otherwise 1..=65535 (keepalived 2.2.7).
        Some(t) if t.text == "0" => Some(0),
        Some(t) => cx.unsigned(t, 1, 65535).map(|v| v as u16),
        None => Some(0),
    };
    let (Some(ip), Some(port)) = (ip, p) else {
        cx.err(
            a0.span,
            format!(
                "Invalid real server ip address/port {}/{} - skipping",
                a0.text,
                n.args.get(1).map(|t| t.text.as_str()).unwrap_or("0")
            ),
        );
        return None;
    };
    let mut rs = RealServer {
        ip,
        port,
        weight: 1,
        lb_kind: None,
        inhibit_on_failure: None,
        notify_up: None,
        notify_down: None,
        uthreshold: None,
        lthreshold: None,
        smtp_alert: true,
        virtualhost: None,
        timing: Timing::default(),
        checkers: Vec::new(),
        span: n.span,
    };
    let body = match &n.body {
        Body::Keywords(b) => b.as_slice(),
        _ => &[],
    };
    for m in body {
        let kw = m.keyword.text.as_str();
        if timing(cx, "real_server", &mut rs.timing, m) {
            continue;
        }
        match kw {
            "weight" => {
                let Some(a) = cx.arg1(m) else { continue };
                match cx.unsigned(a, 0, i32::MAX as u64) {
                    Some(v) => rs.weight = v as u32,
                    None => cx.err(
                        a.span,
                        format!(
                            "Real server weight {} is outside range 0-2147483647",
                            a.text
                        ),
                    ),
                }
            }
            "lvs_method" => {
                let Some(a) = cx.arg1(m) else { continue };
                match lb_kind(&a.text) {
                    Some(k) => rs.lb_kind = Some(k),
                    None => cx.err(
                        a.span,
                        format!(
                            "PARSER : unknown [{}] routing method for real server.",
                            a.text
                        ),
                    ),
                }
            }
            "inhibit_on_failure" => rs.inhibit_on_failure = Some(cx.flag(m, kw, true)),
            "notify_up" => rs.notify_up = Script::from_node(m),
            "notify_down" => rs.notify_down = Script::from_node(m),
            "uthreshold" | "lthreshold" => {
                let Some(a) = cx.arg1(m) else { continue };
                let v = cx.unsigned(a, 0, u64::from(u32::MAX)).map(|v| v as u32);
                if kw == "uthreshold" {
                    rs.uthreshold = v;
                } else {
                    rs.lthreshold = v;
                }
            }
            "smtp_alert" => rs.smtp_alert = cx.flag(m, "real_server smtp_alert", true),
            "snmp_name" if m.args.len() != 1 => {
                cx.err(m.span, "real server snmp_name missing or extra parameters")
            }
            "virtualhost" => match m.args.first() {
                Some(t) => rs.virtualhost = Some(t.text.clone()),
                None => cx.err(m.span, "real server virtualhost missing"),
            },
            _ => {
                if let Some(c) = super::lvs_check::parse_checker(cx, m) {
                    rs.checkers.push(c);
                }
            }
        }
    }
    // keepalived checks the family when the block ends.
    // Tunnelling may cross families.
    if let Some(f) = vs_family
        && Family::of(&rs.ip) != f
        && rs.lb_kind.unwrap_or(vs_kind) != LbKind::Tun
    {
        cx.err(
            rs.span,
            format!(
                "Address family of virtual server and real server {} don't match - skipping real server.",
                rs.ip
            ),
        );
        return None;
    }
    Some(rs)
}

/// Reads the keywords common to the connecting checkers; true if `n` was one.
pub(crate) fn common_keyword(cx: &mut Cx<'_>, ctx: &str, c: &mut Checker, n: &Node) -> bool {
    if timing(cx, ctx, &mut c.own, n) {
        return true;
    }
    let kw = n.keyword.text.as_str();
    let a = n.args.first();
    match kw {
        "connect_ip" | "bindto" => {
            let Some(t) = a else { return true };
            match t.text.parse::<IpAddr>() {
                Ok(ip) if kw == "connect_ip" => c.connect_ip = Some(ip),
                Ok(ip) => c.bindto = Some(ip),
                Err(_) => cx.err(
                    t.span,
                    format!("Invalid {kw} address {} - ignoring", t.text),
                ),
            }
        }
        "connect_port" | "bind_port" | "fwmark" => {
            if super::rules::check(cx, ctx, "", n) == Some(false) {
                return true;
            }
            let v = a.and_then(|t| t.text.parse::<u32>().ok());
            match kw {
                "connect_port" => c.connect_port = v.and_then(|v| u16::try_from(v).ok()),
                "bind_port" => c.bind_port = v.and_then(|v| u16::try_from(v).ok()),
                _ => c.fwmark = v,
            }
        }
        "bind_if" => c.bind_if = a.map(|t| t.text.clone()),
        "log_all_failures" => c.log_all_failures = cx.flag(n, "log_all_failures", true),
        _ => return false,
    }
    true
}

/// Virtual-server completion: defaults with keepalived's messages, DR/TUN port rule,
/// checker timing inheritance (spec 3.2 to 3.4).
pub(crate) fn complete_all(cx: &mut Cx<'_>, c: &mut Config) {
    // Group services are numbered per group in file order, before any is dropped.
    let mut uses: std::collections::HashMap<String, u32> = Default::default();
    for vs in &mut c.virtual_servers {
        if let VsTarget::Group(g) = &vs.target {
            let n = uses.entry(g.clone()).or_default();
            vs.group_index = *n;
            *n += 1;
        }
    }
    // A service on an undefined group is dropped (keepalived 2.2.7 says nothing).
    let groups = &c.virtual_server_groups;
    c.virtual_servers.retain(|vs| match &vs.target {
        VsTarget::Group(g) => match groups.iter().find(|x| &x.name == g) {
            None => {
                cx.note(Some(vs.span), format!("Virtual server group {g} specified but not configured"));
                false
            }
            // An `ip_family` other than the group's addresses: 2.2.7 drops the service
            // without a word.
            Some(grp) => {
                let clash = vs.family.is_some_and(|f| {
                    grp.entries.iter().any(|e| {
                        matches!(e, VsGroupEntry::Addr { first, .. } if Family::of(first) != f)
                    })
                });
                if clash {
                    cx.note(
                        Some(vs.span),
                        format!("Virtual server group {g}: address family differs from ip_family - ignoring the service"),
                    );
                }
                !clash
            }
        },
        _ => true,
    });
    c.virtual_servers.retain(|vs| {
        let keep = !vs.real_servers.is_empty();
        if !keep {
            cx.err(
                vs.span,
                format!(
                    "Virtual server {} has no real servers - ignoring",
                    vs_name(vs)
                ),
            );
        }
        keep
    });
    let groups_snapshot = c.virtual_server_groups.clone();
    for vs in &mut c.virtual_servers {
        let group_has_fwmark = match &vs.target {
            VsTarget::Group(g) => groups_snapshot.iter().any(|x| {
                &x.name == g
                    && x.entries
                        .iter()
                        .any(|e| matches!(e, VsGroupEntry::Fwmark { .. }))
            }),
            _ => false,
        };
        if (matches!(vs.target, VsTarget::Fwmark(_)) || group_has_fwmark) && vs.ha_suspend {
            cx.err(
                vs.span,
                format!(
                    "Virtual server {}: cannot use ha_suspend with fwmarks - clearing ha_suspend",
                    vs_name(vs)
                ),
            );
            vs.ha_suspend = false;
        }
        if matches!(vs.target, VsTarget::Fwmark(_)) && vs.protocol_given {
            cx.diags.push(
                crate::diag::Severity::Warning,
                Some(vs.span),
                format!(
                    "Warning: Virtual server {}: protocol specified for fwmark - protocol will be ignored",
                    vs_name(vs)
                ),
            );
            vs.protocol = None;
        }
        if !matches!(vs.target, VsTarget::Fwmark(_)) && vs.protocol.is_none() {
            cx.err(
                vs.span,
                format!(
                    "Virtual server {}: no protocol set - defaulting to UDP",
                    vs_name(vs)
                ),
            );
            vs.protocol = Some(Protocol::Udp);
        }
        if matches!(vs.target, VsTarget::Addr { port: 0, .. }) && vs.persistence_timeout.is_none() {
            cx.err(
                vs.span,
                format!(
                    "Virtual server {}: zero port only valid for persistent services - setting",
                    vs_name(vs)
                ),
            );
            vs.persistence_timeout = Some(360);
        }
        if !vs.lb_algo_set {
            cx.err(
                vs.span,
                format!(
                    "Virtual server {}: no scheduler set, setting default 'wlc'",
                    vs_name(vs)
                ),
            );
        }
        if !vs.lb_kind_set {
            cx.err(
                vs.span,
                format!(
                    "Virtual server {}: no forwarding method set, setting default NAT",
                    vs_name(vs)
                ),
            );
        }
        // Quorum cannot exceed what the real servers can give (spec 3.4 quorum).
        let total: u64 = vs.real_servers.iter().map(|r| u64::from(r.weight)).sum();
        if u64::from(vs.quorum) > total {
            cx.warn(
                vs.span,
                format!(
                    "Warning - quorum {} for {} exceeds total weight of real servers {total}, reducing quorum to {total}",
                    vs.quorum,
                    vs_name(vs)
                ),
            );
            vs.quorum = total as u32;
        }
        if vs.hysteresis >= vs.quorum {
            let h = vs.quorum.wrapping_sub(1);
            cx.err(
                vs.span,
                format!(
                    "Virtual server {}: hysteresis {} >= quorum {}; setting hysteresis to {h}",
                    vs_name(vs),
                    vs.hysteresis,
                    vs.quorum
                ),
            );
            vs.hysteresis = h;
        }
        if matches!(vs.target, VsTarget::Fwmark(_)) {
            let name = vs_name(vs);
            let vs_kind = vs.lb_kind;
            for rs in vs
                .real_servers
                .iter_mut()
                .filter(|r| r.port != 0 && r.lb_kind.unwrap_or(vs_kind) != LbKind::Nat)
            {
                cx.warn(
                    rs.span,
                    format!(
                        "WARNING - fwmark virtual server {name}, real server [{}]:none:{} has port specified - clearing",
                        rs.ip, rs.port
                    ),
                );
                rs.port = 0;
            }
        }
        let name = vs_name(vs);
        let vs_port = match vs.target {
            VsTarget::Addr { port, .. } => Some(port),
            _ => None,
        };
        let p = Protocol::name(vs.protocol);
        // A group service with DR/TUN: real-server ports against the group's entries.
        if let VsTarget::Group(gname) = &vs.target
            && vs.lb_kind != LbKind::Nat
            && let Some(group) = groups_snapshot.iter().find(|g| &g.name == gname)
        {
            let p = Protocol::name(vs.protocol);
            if group
                .entries
                .iter()
                .any(|e| matches!(e, VsGroupEntry::Fwmark { .. }))
            {
                for rs in vs.real_servers.iter().filter(|r| r.port != 0) {
                    cx.warn(
                        rs.span,
                        format!(
                            "WARNING - fwmark virtual server {name}, real server [{}]:{p}:{} has port specified - port will be ignored",
                            rs.ip, rs.port
                        ),
                    );
                }
            }
            for rs in vs.real_servers.iter().filter(|r| r.port != 0) {
                for e in &group.entries {
                    if let VsGroupEntry::Addr {
                        first, last, port, ..
                    } = e
                        && *port != rs.port
                    {
                        let addr = if first == last {
                            first.to_string()
                        } else {
                            format!("{first}-{last}")
                        };
                        cx.err(
                            rs.span,
                            format!(
                                "virtual server {name}:[{addr},{port}] and real server [{}]:{p}:{} ports don't match",
                                rs.ip, rs.port
                            ),
                        );
                    }
                }
            }
        }
        // Sorry server with DR/TUN: its port follows the service (none for fwmark).
        if vs.lb_kind != LbKind::Nat
            && let Some((_, sp)) = vs.sorry_server.as_mut()
            && *sp != 0
        {
            match vs_port {
                Some(vp) if *sp != vp => {
                    cx.warn(
                        vs.span,
                        format!(
                            "WARNING - virtual server {name} and sorry server ports don't match - resetting"
                        ),
                    );
                    *sp = vp;
                }
                None if matches!(vs.target, VsTarget::Fwmark(_)) => {
                    cx.warn(
                        vs.span,
                        format!("WARNING - virtual server {name}, sorry server has port specified - clearing"),
                    );
                    *sp = 0;
                }
                _ => {}
            }
        }
        for rs in &mut vs.real_servers {
            let kind = rs.lb_kind.unwrap_or(vs.lb_kind);
            if let Some(vp) = vs_port
                && kind != LbKind::Nat
                && rs.port != vp
            {
                cx.warn(rs.span, format!(
                        "WARNING - virtual server {name} and real server [{}]:{p}:{} ports don't match - resetting",
                        rs.ip, rs.port
                    ));
                rs.port = vp;
            }
            for ch in &mut rs.checkers {
                inherit(ch, &rs.timing, &vs.timing, vs.delay_loop);
            }
        }
    }
}

fn inherit(ch: &mut Checker, rs: &Timing, vs: &Timing, vs_delay_loop: Interval) {
    let pick = |f: fn(&Timing) -> Option<Interval>| f(&ch.own).or(f(rs)).or(f(vs));
    let delay_loop = pick(|t| t.delay_loop).unwrap_or(vs_delay_loop);
    ch.delay_loop = delay_loop;
    ch.connect_timeout = pick(|t| t.connect_timeout).unwrap_or(Interval::from_secs(5));
    let (retry_default, dbr_default) = match ch.kind {
        CheckerKind::Dns { .. } => (3, delay_loop),
        CheckerKind::Misc { .. } => (0, Interval::from_secs(1)),
        CheckerKind::Http { .. } => (1, Interval::from_secs(3)),
        _ => (1, Interval::from_secs(1)),
    };
    ch.retry = ch
        .own
        .retry
        .or(rs.retry)
        .or(vs.retry)
        .unwrap_or(retry_default);
    ch.delay_before_retry = pick(|t| t.delay_before_retry).unwrap_or(dbr_default);
    ch.warmup = pick(|t| t.warmup).unwrap_or(delay_loop);
    ch.alpha = ch.own.alpha.or(rs.alpha).or(vs.alpha).unwrap_or(false);
}
