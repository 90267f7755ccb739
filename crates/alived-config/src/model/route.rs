//! `virtual_routes`/`static_routes` (ip route syntax) and `virtual_rules`/`static_rules`
//! (ip rule syntax), behaviour spec 2.3.

use super::addr::{Family, Scope, parse_ip_prefix};
use super::values::Cx;
use crate::ast::Token;
use crate::span::Span;
use serde::Serialize;
use std::net::IpAddr;

/// `IP/LEN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Prefix {
    pub addr: IpAddr,
    pub len: u8,
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteType {
    Unicast,
    Blackhole,
    Unreachable,
    Prohibit,
    Throw,
    Local,
    Broadcast,
    Multicast,
}

/// One `nexthop via IP dev IF weight N [onlink]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Nexthop {
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub weight: Option<u32>,
    pub onlink: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// `None` for `default` (0.0.0.0/0 or ::/0, by the gateway's family).
    pub dst: Option<Prefix>,
    pub route_type: RouteType,
    pub src: Option<IpAddr>,
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub scope: Option<Scope>,
    pub table: Option<u32>,
    pub metric: Option<u32>,
    pub protocol: Option<u8>,
    pub onlink: bool,
    pub nexthops: Vec<Nexthop>,
    /// Options passed through to netlink as written (`mtu 1400`, `advmss`...).
    pub options: Vec<(String, String)>,
    pub no_track: bool,
    pub track_group: Option<String>,
    pub span: Span,
}

impl Route {
    pub fn family(&self) -> Family {
        match (&self.dst, &self.via) {
            (Some(p), _) => Family::of(&p.addr),
            (None, Some(v)) => Family::of(v),
            (None, None) => Family::Inet,
        }
    }

    /// The destination as keepalived prints it (`default` or `IP/LEN`).
    pub fn dst_text(&self) -> String {
        match &self.dst {
            Some(p) => p.to_string(),
            None => "default".into(),
        }
    }
}

fn route_type(s: &str) -> Option<RouteType> {
    Some(match s {
        "unicast" => RouteType::Unicast,
        "blackhole" => RouteType::Blackhole,
        "unreachable" => RouteType::Unreachable,
        "prohibit" => RouteType::Prohibit,
        "throw" => RouteType::Throw,
        "local" => RouteType::Local,
        "broadcast" => RouteType::Broadcast,
        "multicast" => RouteType::Multicast,
        _ => return None,
    })
}

fn protocol(s: &str) -> Option<u8> {
    Some(match s {
        "redirect" => 1,
        "kernel" => 2,
        "boot" => 3,
        "static" => 4,
        "ra" => 9,
        "dhcp" => 16,
        "keepalived" => 18,
        _ => s.parse().ok()?,
    })
}

fn table_id(s: &str) -> Option<u32> {
    Some(match s {
        "default" => 253,
        "main" => 254,
        "local" => 255,
        _ => s.parse().ok()?,
    })
}

const PASS_THROUGH: &[&str] = &[
    "mtu",
    "advmss",
    "rtt",
    "rttvar",
    "reordering",
    "window",
    "cwnd",
    "ssthresh",
    "realms",
    "rto_min",
    "initcwnd",
    "initrwnd",
    "features",
    "quickack",
    "congctl",
    "pref",
    "expires",
    "fastopen_no_cookie",
    "hoplimit",
    "tos",
    "dsfield",
    "encap",
];
const PASS_FLAGS: &[&str] = &["append", "inet6", "inet", "lock"];

fn ip(cx: &mut Cx<'_>, tok: Option<&Token>, what: &str) -> Option<IpAddr> {
    let t = tok?;
    match t.text.parse::<IpAddr>() {
        Ok(a) => Some(a),
        Err(_) => {
            cx.err(
                t.span,
                format!("VRRP parsed invalid IP {}. skipping IP...", t.text),
            );
            cx.err(t.span, format!("invalid route {what} address {}", t.text));
            None
        }
    }
}

/// Parses one route line; `None` when keepalived drops it.
pub(crate) fn parse_route(
    cx: &mut Cx<'_>,
    line: &[Token],
    allow_track_group: bool,
) -> Option<Route> {
    let span = line.first()?.span;
    let mut r = Route {
        dst: None,
        route_type: RouteType::Unicast,
        src: None,
        via: None,
        dev: None,
        scope: None,
        table: None,
        metric: None,
        protocol: None,
        onlink: false,
        nexthops: Vec::new(),
        options: Vec::new(),
        no_track: false,
        track_group: None,
        span,
    };
    let mut have_dst = false;
    let mut i = 0;
    while i < line.len() {
        let t = &line[i];
        let next = line.get(i + 1);
        let s = t.text.as_str();
        match s {
            "src" => {
                r.src = Some(ip(cx, next, "src")?);
                i += 1;
            }
            "via" | "gw" => {
                if s == "gw" {
                    cx.err(
                        t.span,
                        "\"gw\" for routes is deprecated. Please use \"via\"",
                    );
                }
                r.via = Some(ip(cx, next, "via")?);
                i += 1;
            }
            "or" => {
                cx.err(
                    t.span,
                    "\"or\" for routes is deprecated. Please use \"nexthop\"",
                );
                let via = ip(cx, next, "or")?;
                r.nexthops.push(Nexthop {
                    via: Some(via),
                    dev: None,
                    weight: None,
                    onlink: false,
                });
                i += 1;
            }
            "dev" | "oif" => {
                r.dev = next.map(|n| n.text.clone());
                i += 1;
            }
            "scope" => {
                let v = next.map(|n| n.text.as_str()).unwrap_or("");
                match Scope::parse(v) {
                    Some(sc) => r.scope = Some(sc),
                    None => {
                        cx.err(t.span, format!("Scope {v} not found or invalid for route"));
                        return None;
                    }
                }
                i += 1;
            }
            "table" => {
                let v = next.map(|n| n.text.as_str()).unwrap_or("");
                match table_id(v) {
                    Some(id) => r.table = Some(id),
                    None => {
                        cx.err(t.span, format!("Routing table {v} not found for route"));
                        return None;
                    }
                }
                i += 1;
            }
            "metric" | "priority" | "preference" => {
                let n = next?;
                match cx.unsigned(n, 0, u64::from(u32::MAX)) {
                    Some(v) => r.metric = Some(v as u32),
                    None => {
                        cx.err(
                            n.span,
                            format!("Invalid metric {} specified for route", n.text),
                        );
                        return None;
                    }
                }
                i += 1;
            }
            "protocol" | "proto" => {
                let v = next.map(|n| n.text.as_str()).unwrap_or("");
                match protocol(v) {
                    Some(p) => r.protocol = Some(p),
                    None => {
                        cx.err(
                            t.span,
                            format!("Protocol {v} not found or invalid for route"),
                        );
                        return None;
                    }
                }
                i += 1;
            }
            "onlink" => r.onlink = true,
            "nexthop" => {
                let mut nh = Nexthop {
                    via: None,
                    dev: None,
                    weight: None,
                    onlink: false,
                };
                i += 1;
                while i < line.len() {
                    match line[i].text.as_str() {
                        "via" | "gw" => {
                            nh.via = Some(ip(cx, line.get(i + 1), "nexthop via")?);
                            i += 2;
                        }
                        "dev" => {
                            nh.dev = line.get(i + 1).map(|n| n.text.clone());
                            i += 2;
                        }
                        "weight" => {
                            let w = line.get(i + 1)?;
                            nh.weight = cx.unsigned(w, 1, 256).map(|v| v as u32);
                            i += 2;
                        }
                        "onlink" => {
                            nh.onlink = true;
                            i += 1;
                        }
                        _ => break,
                    }
                }
                r.nexthops.push(nh);
                continue;
            }
            "no_track" => r.no_track = true,
            "track_group" if allow_track_group => {
                cx.track_group(&mut r.track_group, next);
                i += 1;
            }
            "to" => {}
            _ if PASS_FLAGS.contains(&s) => {}
            _ if PASS_THROUGH.contains(&s) => {
                let v = next.map(|n| n.text.clone()).unwrap_or_default();
                r.options.push((s.to_owned(), v));
                i += 1;
            }
            _ if !have_dst => {
                if let Some(rt) = route_type(s) {
                    r.route_type = rt;
                } else if s == "default" || s == "all" {
                    have_dst = true;
                } else {
                    let (addr, len) = parse_ip_prefix(cx, t)?;
                    r.dst = Some(Prefix { addr, len });
                    have_dst = true;
                }
            }
            _ => {
                cx.err(
                    t.span,
                    format!("VRRP parsed invalid IP {s}. skipping IP..."),
                );
                cx.err(t.span, format!("unknown route keyword {s}"));
                return None;
            }
        }
        i += 1;
    }
    for d in r
        .dev
        .iter()
        .chain(r.nexthops.iter().filter_map(|n| n.dev.as_ref()))
    {
        let _ = cx.check_interface(d, span, || {
            format!("WARNING - interface {d} for VROUTE nexthop doesn't exist")
        });
    }
    Some(r)
}

/// One `ip rule` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub invert: bool,
    pub from: Option<Prefix>,
    pub to: Option<Prefix>,
    pub iif: Option<String>,
    pub oif: Option<String>,
    pub tos: Option<u8>,
    pub fwmark: Option<u32>,
    pub fwmask: Option<u32>,
    pub table: Option<u32>,
    /// Set by keepalived when missing: 16384, then one less for each later rule.
    pub preference: u32,
    pub goto: Option<u32>,
    pub uidrange: Option<(u32, u32)>,
    pub l3mdev: bool,
    pub suppress_prefixlength: Option<u32>,
    pub suppress_ifgroup: Option<String>,
    pub realms: Option<String>,
    /// `blackhole`, `unreachable`, `prohibit`, `nop` actions.
    pub action: Option<String>,
    pub no_track: bool,
    pub track_group: Option<String>,
    pub span: Span,
}

fn num_hex(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Parses one rule line.
pub(crate) fn parse_rule(cx: &mut Cx<'_>, line: &[Token], allow_track_group: bool) -> Option<Rule> {
    let span = line.first()?.span;
    let mut r = Rule {
        invert: false,
        from: None,
        to: None,
        iif: None,
        oif: None,
        tos: None,
        fwmark: None,
        fwmask: None,
        table: None,
        preference: 0,
        goto: None,
        uidrange: None,
        l3mdev: false,
        suppress_prefixlength: None,
        suppress_ifgroup: None,
        realms: None,
        action: None,
        no_track: false,
        track_group: None,
        span,
    };
    let mut pref = None;
    let mut i = 0;
    while i < line.len() {
        let t = &line[i];
        let next = line.get(i + 1);
        let s = t.text.as_str();
        let val = next.map(|n| n.text.as_str()).unwrap_or("");
        let mut takes = true;
        match s {
            "not" => {
                r.invert = true;
                takes = false;
            }
            "from" | "to" => {
                let p = if val == "all" {
                    None
                } else {
                    let n = next?;
                    match parse_ip_prefix(cx, n) {
                        Some((addr, len)) => Some(Prefix { addr, len }),
                        None => {
                            cx.err(n.span, format!("Invalid rule {s} address {val}"));
                            return None;
                        }
                    }
                };
                if s == "from" {
                    r.from = p;
                } else {
                    r.to = p;
                }
            }
            "iif" | "dev" => r.iif = Some(val.to_owned()),
            "oif" => r.oif = Some(val.to_owned()),
            "tos" | "dsfield" => r.tos = num_hex(val).and_then(|v| u8::try_from(v).ok()),
            "fwmark" => {
                let (m, mask) = match val.split_once('/') {
                    Some((m, k)) => (num_hex(m), num_hex(k)),
                    None => (num_hex(val), None),
                };
                if m.is_none() {
                    cx.err(t.span, format!("Invalid rule fwmark {val} specified"));
                    return None;
                }
                r.fwmark = m;
                r.fwmask = mask;
            }
            "table" | "lookup" => match table_id(val) {
                Some(id) => r.table = Some(id),
                None => {
                    cx.err(t.span, format!("Routing table {val} not found for rule"));
                    return None;
                }
            },
            "preference" | "priority" | "order" | "pref" | "prio" => {
                let n = next?;
                match cx.unsigned(n, 0, u64::from(u32::MAX)) {
                    Some(v) => pref = Some(v as u32),
                    None => {
                        cx.err(n.span, format!("Invalid rule preference {s} specified"));
                        return None;
                    }
                }
            }
            "goto" => r.goto = val.parse().ok(),
            "uidrange" => {
                r.uidrange = val
                    .split_once('-')
                    .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
            }
            "l3mdev" => {
                r.l3mdev = true;
                takes = false;
            }
            "suppress_prefixlength" | "sup_pl" => r.suppress_prefixlength = val.parse().ok(),
            "suppress_ifgroup" | "sup_group" => r.suppress_ifgroup = Some(val.to_owned()),
            "realms" => r.realms = Some(val.to_owned()),
            "type" => r.action = Some(val.to_owned()),
            "blackhole" | "unreachable" | "prohibit" | "nop" => {
                r.action = Some(s.to_owned());
                takes = false;
            }
            "no_track" => {
                r.no_track = true;
                takes = false;
            }
            "track_group" if allow_track_group => cx.track_group(&mut r.track_group, next),
            _ => {
                cx.err(t.span, format!("Unknown rule option {s}"));
                takes = false;
            }
        }
        i += if takes { 2 } else { 1 };
    }
    r.preference = match pref {
        Some(p) => p,
        None => {
            let p = cx.rule_pref;
            cx.err(
                span,
                format!(
                    "Rule has no preference specified - setting to {p}. This is probably not what you want."
                ),
            );
            cx.rule_pref = cx.rule_pref.saturating_sub(1);
            p
        }
    };
    Some(r)
}
