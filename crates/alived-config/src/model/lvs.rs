//! Checker side: `virtual_server_group`, `virtual_server`, `real_server`, checkers, `SSL`
//! (behaviour spec 3).

use super::addr::Family;
use super::track::Weight;
use super::values::{Cx, Interval, RawSetting, Script};
use super::vrrp::value_lines;
use crate::ast::Node;
use crate::span::Span;
use serde::Serialize;
use std::net::IpAddr;

/// `SSL { password; ca; certificate; key }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SslConfig {
    pub password: Option<String>,
    pub ca: Option<String>,
    pub certificate: Option<String>,
    pub key: Option<String>,
}

pub(crate) fn parse_ssl(_n: &Node, body: &[Node]) -> SslConfig {
    let mut s = SslConfig::default();
    for m in body {
        let v = m.args.first().map(|t| t.text.clone());
        match m.keyword.text.as_str() {
            "password" => s.password = v,
            "ca" => s.ca = v,
            "certificate" => s.certificate = v,
            "key" => s.key = v,
            _ => {}
        }
    }
    s
}

/// One line of a `virtual_server_group` (spec 3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VsGroupEntry {
    /// `IP [PORT]` or a range `a.b.c.d-e` (`last` is the range end).
    Addr {
        first: IpAddr,
        last: IpAddr,
        port: u16,
        span: Span,
    },
    Fwmark {
        mark: u32,
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VirtualServerGroup {
    pub name: String,
    pub entries: Vec<VsGroupEntry>,
    pub span: Span,
}

fn parse_range(s: &str) -> Option<(IpAddr, IpAddr)> {
    if let Ok(a) = s.parse::<IpAddr>() {
        return Some((a, a));
    }
    let (a, b) = s.split_once('-')?;
    let first: IpAddr = a.parse().ok()?;
    match (first, b.parse::<IpAddr>()) {
        (_, Ok(last)) => Some((first, last)),
        (IpAddr::V4(f), Err(_)) => {
            let end: u8 = b.parse().ok()?;
            let mut o = f.octets();
            if end < o[3] {
                return None;
            }
            o[3] = end;
            Some((first, IpAddr::from(o)))
        }
        (IpAddr::V6(f), Err(_)) => {
            let end = u16::from_str_radix(b, 16).ok()?;
            let mut s = f.segments();
            s[7] = end;
            Some((first, IpAddr::from(s)))
        }
    }
}

pub(crate) fn parse_vs_group(cx: &mut Cx<'_>, n: &Node) -> VirtualServerGroup {
    let mut g = VirtualServerGroup {
        name: n.args.first().map(|t| t.text.clone()).unwrap_or_default(),
        entries: Vec::new(),
        span: n.span,
    };
    for line in value_lines(n) {
        let Some(first) = line.first() else { continue };
        if first.text == "fwmark" {
            match line.get(1).and_then(|t| t.text.parse::<u32>().ok()) {
                Some(mark) => g.entries.push(VsGroupEntry::Fwmark {
                    mark,
                    span: first.span,
                }),
                None => cx.err(first.span, "Invalid virtual server group fwmark - skipping"),
            }
            continue;
        }
        let port_tok = line.get(1);
        let port = port_tok
            .and_then(|t| t.text.parse::<u16>().ok())
            .unwrap_or(0);
        match parse_range(&first.text) {
            Some((f, l)) if port_tok.is_none() || port != 0 => g.entries.push(VsGroupEntry::Addr {
                first: f,
                last: l,
                port,
                span: first.span,
            }),
            _ => cx.err(
                first.span,
                format!(
                    "Invalid virtual server group IP address {} /port/{} - skipping",
                    first.text,
                    port_tok.map(|t| t.text.as_str()).unwrap_or("0")
                ),
            ),
        }
    }
    g
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub(crate) fn name(p: Option<Protocol>) -> &'static str {
        match p {
            Some(Protocol::Tcp) => "tcp",
            Some(Protocol::Udp) => "udp",
            Some(Protocol::Sctp) => "sctp",
            None => "none",
        }
    }
}

/// IPVS forwarding method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LbKind {
    Nat,
    Dr,
    Tun,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VsTarget {
    Addr { ip: IpAddr, port: u16 },
    Fwmark(u32),
    Group(String),
}

/// Timing shared by virtual server, real server and checker (spec 3.4 inheritance).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Timing {
    pub connect_timeout: Option<Interval>,
    pub delay_loop: Option<Interval>,
    pub retry: Option<u32>,
    pub delay_before_retry: Option<Interval>,
    pub warmup: Option<Interval>,
    pub alpha: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VirtualServer {
    pub target: VsTarget,
    pub protocol: Option<Protocol>,
    /// Scheduler; `wlc` when unset (with keepalived's error).
    pub lb_algo: String,
    pub lb_kind: LbKind,
    pub persistence_timeout: Option<u32>,
    pub persistence_granularity: Option<String>,
    pub persistence_engine: Option<String>,
    /// Default 60 s.
    pub delay_loop: Interval,
    pub timing: Timing,
    pub inhibit_on_failure: bool,
    pub omega: bool,
    pub ha_suspend: bool,
    /// Default 1.
    pub quorum: u32,
    /// Default 0.
    pub hysteresis: u32,
    pub quorum_up: Option<Script>,
    pub quorum_down: Option<Script>,
    pub sorry_server: Option<(IpAddr, u16)>,
    pub virtualhost: Option<String>,
    pub smtp_alert: Option<bool>,
    pub real_servers: Vec<RealServer>,
    /// From the address, or `ip_family` for fwmark and group services.
    pub family: Option<Family>,
    pub other: Vec<RawSetting>,
    pub span: Span,
    #[serde(skip)]
    pub(crate) lb_algo_set: bool,
    #[serde(skip)]
    pub(crate) lb_kind_set: bool,
    #[serde(skip)]
    pub(crate) protocol_given: bool,
    /// For a group service: how many services before this one use the same group (keepalived
    /// prints it in the service name, `[G0]:1`).
    #[serde(skip)]
    pub(crate) group_index: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RealServer {
    pub ip: IpAddr,
    pub port: u16,
    /// Default 1.
    pub weight: u32,
    pub lb_kind: Option<LbKind>,
    pub inhibit_on_failure: Option<bool>,
    pub notify_up: Option<Script>,
    pub notify_down: Option<Script>,
    pub uthreshold: Option<u32>,
    pub lthreshold: Option<u32>,
    /// Default true (spec 2.6: real-server alerts default on).
    pub smtp_alert: bool,
    pub virtualhost: Option<String>,
    pub timing: Timing,
    pub checkers: Vec<Checker>,
    pub span: Span,
}

/// One `url { ... }` of HTTP_GET/SSL_GET.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Url {
    pub path: Option<String>,
    pub digest: Option<String>,
    /// Accepted status codes as ranges; default 200-299.
    pub status_code: Vec<(u16, u16)>,
    pub virtualhost: Option<String>,
    pub regex: Option<String>,
    pub regex_no_match: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum CheckerKind {
    Tcp,
    Http {
        ssl: bool,
        urls: Vec<Url>,
        http_protocol: Option<String>,
        virtualhost: Option<String>,
        fast_recovery: bool,
        enable_sni: bool,
    },
    Misc {
        path: Option<Script>,
        timeout: Option<Interval>,
        dynamic: bool,
        user: Option<String>,
    },
    Smtp {
        helo_name: Option<String>,
    },
    Dns {
        /// Default SOA.
        query_type: String,
        /// Default `.`.
        name: String,
    },
    Udp {
        payload: Option<Vec<u8>>,
        require_reply: Option<String>,
        min_reply_length: u32,
        max_reply_length: u32,
    },
    Ping,
    File {
        track_file: Option<String>,
        weight: Option<Weight>,
    },
    Bfd {
        name: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checker {
    pub kind: CheckerKind,
    pub connect_ip: Option<IpAddr>,
    pub connect_port: Option<u16>,
    pub bindto: Option<IpAddr>,
    pub bind_port: Option<u16>,
    pub bind_if: Option<String>,
    pub fwmark: Option<u32>,
    /// As written in the checker block.
    pub own: Timing,
    /// After inheritance (checker <- real server <- virtual server <- defaults, spec 3.4).
    pub connect_timeout: Interval,
    pub delay_loop: Interval,
    pub retry: u32,
    pub delay_before_retry: Interval,
    pub warmup: Interval,
    pub alpha: bool,
    pub log_all_failures: bool,
    pub span: Span,
}

/// Reads a timing keyword into `t`; true if `n` was one. `ctx` names the block for the
/// value rules (`virtual_server`, `real_server`, `TCP_CHECK`...).
pub(crate) fn timing(cx: &mut Cx<'_>, ctx: &str, t: &mut Timing, n: &Node) -> bool {
    let kw = n.keyword.text.as_str();
    match kw {
        "connect_timeout" | "delay_before_retry" | "warmup" | "delay_loop" | "retry"
        | "nb_get_retry" => {}
        "alpha" => {
            // keepalived checks the BOOL in real servers and checkers, not in virtual servers.
            t.alpha = Some(if ctx == "virtual_server" {
                lenient_flag(n)
            } else {
                cx.flag(n, "alpha", true)
            });
            return true;
        }
        _ => return false,
    }
    if kw == "nb_get_retry" && !n.args.is_empty() {
        cx.err(
            n.keyword.span,
            "nb_get_retry is deprecated - please use 'retry'",
        );
    }
    if super::rules::check(cx, ctx, "", n) == Some(false) {
        return true;
    }
    let Some(a) = n.args.first() else { return true };
    if kw == "retry" || kw == "nb_get_retry" {
        if let Ok(v) = a.text.parse::<u32>() {
            t.retry = Some(v);
        }
        return true;
    }
    if let Some(v) = super::values::parse_decimal_micros(&a.text).map(Interval) {
        match kw {
            "connect_timeout" => t.connect_timeout = Some(v),
            "delay_before_retry" => t.delay_before_retry = Some(v),
            "warmup" => t.warmup = Some(v),
            _ => t.delay_loop = Some(v),
        }
    }
    true
}

/// A flag keyword for which keepalived accepts any argument (`alpha`, `inhibit_on_failure`):
/// a BOOL word is honoured, anything else means true.
pub(crate) fn lenient_flag(n: &Node) -> bool {
    n.args
        .first()
        .and_then(|t| super::values::parse_bool(&t.text))
        .unwrap_or(true)
}

const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos",
];

pub(crate) fn lb_kind(s: &str) -> Option<LbKind> {
    match s {
        "NAT" => Some(LbKind::Nat),
        "DR" => Some(LbKind::Dr),
        "TUN" => Some(LbKind::Tun),
        _ => None,
    }
}

pub(crate) fn parse_virtual_server(
    cx: &mut Cx<'_>,
    n: &Node,
    body: &[Node],
) -> Option<VirtualServer> {
    let a0 = n.args.first()?;
    let target = match a0.text.as_str() {
        "fwmark" => {
            let t = n.args.get(1)?;
            match cx.unsigned(t, 0, u64::from(u32::MAX)) {
                Some(v) => VsTarget::Fwmark(v as u32),
                None => {
                    cx.err(
                        t.span,
                        format!(
                            "virtual server fwmark '{}' must be in [0, 4294967295] - ignoring",
                            t.text
                        ),
                    );
                    return None;
                }
            }
        }
        "group" => VsTarget::Group(n.args.get(1)?.text.clone()),
        ip => {
            let addr = ip.parse::<IpAddr>().ok();
            let p = match n.args.get(1) {
                // Port 0 is accepted as such; otherwise 1..=65535 (keepalived 2.2.7).
                Some(t) if t.text == "0" => Some(0),
                Some(t) => cx.unsigned(t, 1, 65535).map(|v| v as u16),
                None => Some(0),
            };
            match (addr, p) {
                (Some(ip), Some(port)) => VsTarget::Addr { ip, port },
                _ => {
                    cx.err(
                        a0.span,
                        format!(
                            "Invalid virtual server IP address/port {}/{} - skipping",
                            ip,
                            n.args.get(1).map(|t| t.text.as_str()).unwrap_or("0")
                        ),
                    );
                    return None;
                }
            }
        }
    };
    let mut vs = VirtualServer {
        target,
        protocol: None,
        lb_algo: "wlc".into(),
        lb_kind: LbKind::Nat,
        persistence_timeout: None,
        persistence_granularity: None,
        persistence_engine: None,
        delay_loop: Interval::from_secs(60),
        timing: Timing::default(),
        inhibit_on_failure: false,
        omega: false,
        ha_suspend: false,
        quorum: 1,
        hysteresis: 0,
        quorum_up: None,
        quorum_down: None,
        sorry_server: None,
        virtualhost: None,
        smtp_alert: None,
        real_servers: Vec::new(),
        family: None,
        other: Vec::new(),
        span: n.span,
        lb_algo_set: false,
        lb_kind_set: false,
        protocol_given: false,
        group_index: 0,
    };
    if let VsTarget::Addr { ip, .. } = &vs.target {
        vs.family = Some(Family::of(ip));
    }
    let mut protocol_given = false;
    for m in body {
        let kw = m.keyword.text.as_str();
        if kw == "delay_loop" {
            if super::rules::check(cx, "virtual_server", "", m) != Some(false)
                && let Some(v) = m
                    .args
                    .first()
                    .and_then(|a| super::values::parse_decimal_micros(&a.text))
            {
                vs.delay_loop = Interval(v);
            }
            continue;
        }
        if timing(cx, "virtual_server", &mut vs.timing, m) {
            continue;
        }
        let a = m.args.first();
        match kw {
            "lb_algo" | "lvs_sched" => {
                let Some(a) = cx.arg1(m) else { continue };
                if SCHEDULERS.contains(&a.text.as_str()) {
                    vs.lb_algo = a.text.clone();
                    vs.lb_algo_set = true;
                } else {
                    cx.err(
                        a.span,
                        format!("Invalid lvs_scheduler '{}' - ignoring", a.text),
                    );
                }
            }
            "lb_kind" | "lvs_method" => {
                let Some(a) = cx.arg1(m) else { continue };
                match lb_kind(&a.text) {
                    Some(k) => {
                        vs.lb_kind = k;
                        vs.lb_kind_set = true;
                    }
                    None => cx.err(
                        a.span,
                        format!(
                            "PARSER : unknown [{}] routing method for virtual server.",
                            a.text
                        ),
                    ),
                }
            }
            "protocol" => {
                let Some(a) = cx.arg1(m) else { continue };
                protocol_given = true;
                vs.protocol = match a.text.to_ascii_uppercase().as_str() {
                    "TCP" => Some(Protocol::Tcp),
                    "UDP" => Some(Protocol::Udp),
                    "SCTP" => Some(Protocol::Sctp),
                    _ => {
                        cx.err(a.span, format!("Unknown protocol {} - ignoring", a.text));
                        None
                    }
                };
            }
            "persistence_timeout" => match a {
                None => vs.persistence_timeout = Some(360),
                Some(a) => match cx.unsigned(a, 1, 2_678_400) {
                    Some(v) => vs.persistence_timeout = Some(v as u32),
                    None => cx.err(a.span, "persistence_timeout invalid"),
                },
            },
            "persistence_granularity" => match a {
                // inet_aton() forms such as `255.255.255.0` or `1.5`, or an IPv6 prefix length.
                Some(t)
                    if !t.text.is_empty()
                        && t.text.bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
                {
                    vs.persistence_granularity = Some(t.text.clone())
                }
                Some(t) => cx.err(
                    t.span,
                    format!(
                        "Invalid IPv4 persistence_granularity specified - {}",
                        t.text
                    ),
                ),
                None => {}
            },
            "persistence_engine" => vs.persistence_engine = a.map(|t| t.text.clone()),
            "inhibit_on_failure" => vs.inhibit_on_failure = lenient_flag(m),
            "omega" => vs.omega = true,
            "ha_suspend" => vs.ha_suspend = true,
            "quorum" => {
                let Some(a) = cx.arg1(m) else { continue };
                match cx.unsigned(a, 1, u64::from(u32::MAX)) {
                    Some(v) => vs.quorum = v as u32,
                    None => cx.err(
                        a.span,
                        format!(
                            "Quorum {} must be in [1, 4294967295]. Setting to 1.",
                            a.text
                        ),
                    ),
                }
            }
            "hysteresis" => {
                let Some(a) = cx.arg1(m) else { continue };
                match cx.unsigned(a, 0, u64::from(u32::MAX)) {
                    Some(v) => vs.hysteresis = v as u32,
                    None => cx.err(
                        a.span,
                        format!(
                            "Hysteresis {} must be in [0, 4294967295] - ignoring",
                            a.text
                        ),
                    ),
                }
            }
            "quorum_up" => vs.quorum_up = Script::from_node(m),
            "quorum_down" => vs.quorum_down = Script::from_node(m),
            "sorry_server" => {
                let ip = a.and_then(|t| t.text.parse::<IpAddr>().ok());
                if let (Some(ip), Some(f)) = (ip, vs.family)
                    && Family::of(&ip) != f
                {
                    cx.err(
                        m.span,
                        format!(
                            "Address family of virtual server and sorry server {ip} don't match - skipping sorry server."
                        ),
                    );
                    continue;
                }
                let p = m
                    .args
                    .get(1)
                    .and_then(|t| t.text.parse::<u16>().ok())
                    .unwrap_or(0);
                match ip {
                    Some(ip) => vs.sorry_server = Some((ip, p)),
                    None => cx.err(m.span, "Invalid sorry server IP address - skipping"),
                }
            }
            "snmp_name" if m.args.len() != 1 => cx.err(
                m.span,
                "virtual server snmp_name missing or extra parameters",
            ),
            "virtualhost" => match a {
                Some(t) => vs.virtualhost = Some(t.text.clone()),
                None => cx.err(m.span, "virtual server virtualhost missing"),
            },
            "ip_family" => {
                match a.map(|t| t.text.as_str()) {
                    Some(f @ ("inet" | "inet6")) => {
                        let fam = if f == "inet" {
                            Family::Inet
                        } else {
                            Family::Inet6
                        };
                        match &vs.target {
                        VsTarget::Addr { ip, .. } if Family::of(ip) != fam => cx.err(
                            m.span,
                            format!("Virtual server specified family {f} conflicts with server family"),
                        ),
                        _ => vs.family = Some(fam),
                    }
                    }
                    Some(o) => cx.err(m.span, format!("unknown address family {o}")),
                    None => {}
                }
            }
            "hashed" | "sh-port" | "sh-fallback" if vs.lb_algo != "sh" => cx.err(
                m.span,
                format!("{kw} only applies to sh scheduler - ignoring"),
            ),
            "mh-port" | "mh-fallback" if vs.lb_algo != "mh" => cx.err(
                m.span,
                format!("{kw} only applies to mh scheduler - ignoring"),
            ),
            "sorry_server_inhibit" if vs.sorry_server.is_none() => cx.err(
                m.span,
                "Ignoring sorry_server inhibit used before or without sorry_server",
            ),
            "sorry_server_lvs_method" if vs.sorry_server.is_none() => {
                cx.err(m.span, "sorry_server forwarding used without sorry_server")
            }
            "smtp_alert" => vs.smtp_alert = cx.bool_arg(m, "virtual_server smtp_alert"),
            "real_server" => {
                if let Some(rs) = super::lvs_server::parse_real_server(cx, m, vs.family, vs.lb_kind)
                {
                    vs.real_servers.push(rs);
                }
            }
            _ => {
                let _ = super::rules::check(cx, "virtual_server", "", m);
                vs.other.push(RawSetting::from_node(m));
            }
        }
    }
    vs.protocol_given = protocol_given;
    Some(vs)
}

/// keepalived's `FMT_VS`: `[10.0.0.1]:tcp:80`, `FWM 1`, `[GROUP]:tcp:0`.
pub fn vs_name(vs: &VirtualServer) -> String {
    let p = Protocol::name(vs.protocol);
    match &vs.target {
        VsTarget::Addr { ip, port } => format!("[{ip}]:{p}:{port}"),
        VsTarget::Fwmark(m) => format!("FWM {m}"),
        VsTarget::Group(g) => {
            let _ = p;
            format!("[{g}]:{}", vs.group_index)
        }
    }
}
