//! `vrrp_instance` (behaviour spec 2.2): the per-keyword reading. The end-of-instance
//! checks (keepalived's `vrrp_complete_instance()`) are in `complete.rs`.

use super::addr::{Family, IpAddress, parse_ip_address};
use super::route::{Route, Rule, parse_route, parse_rule};
use super::values::{Cx, Interval, RawSetting};
use crate::ast::{Body, Node, Token};
use crate::span::Span;
use serde::Serialize;
use std::net::IpAddr;

/// Virtual router id, 1..=255.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Vrid(pub u8);

/// VRRP priority, 1..=255 (255 = address owner).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Priority(pub u8);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum InitialState {
    Master,
    Backup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AuthType {
    Pass,
    Ah,
}

/// `authentication { auth_type PASS|AH; auth_pass STR }` (spec 2.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Auth {
    pub auth_type: AuthType,
    /// At most 8 bytes (zero-padded on the wire).
    pub password: String,
    pub span: Span,
}

/// `unicast_peer` line: `IP [min_ttl N] [max_ttl N]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnicastPeer {
    pub addr: IpAddr,
    pub min_ttl: Option<u8>,
    pub max_ttl: Option<u8>,
    pub span: Span,
}

/// `use_vmac [NAME] [MAC]` (spec 2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vmac {
    /// Default `vrrp.<VRID>`.
    pub name: Option<String>,
    pub mac: Option<String>,
    pub span: Span,
}

pub(crate) use super::vrrp_common::value_lines;
pub use super::vrrp_common::{Notify, NotifyKind, Tracking};

/// One `vrrp_instance`, after keepalived's completion rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VrrpInstance {
    pub name: String,
    pub interface: Option<String>,
    pub vrid: Vrid,
    /// Default 100, or 255 with `state MASTER` and no priority (spec 0.1 #2).
    pub priority: Priority,
    pub state: InitialState,
    /// 2 or 3; IPv6 instances default to 3 (spec 0.1 #6).
    pub version: u8,
    pub family: Family,
    /// v2: whole seconds; v3: 10 ms units (spec 0.1 #6). Default 1 s.
    pub advert_int: Interval,
    pub vips: Vec<IpAddress>,
    pub evips: Vec<IpAddress>,
    pub vroutes: Vec<Route>,
    pub vrules: Vec<Rule>,
    pub auth: Option<Auth>,
    pub nopreempt: bool,
    pub preempt_delay: Option<Interval>,
    pub track: Tracking,
    pub notify: Notify,
    pub smtp_alert: Option<bool>,
    pub notify_priority_changes: Option<bool>,
    pub unicast_peers: Vec<UnicastPeer>,
    pub unicast_src_ip: Option<IpAddr>,
    pub mcast_src_ip: Option<IpAddr>,
    /// Default 255.
    pub unicast_ttl: u8,
    pub unicast_fault_no_peer: bool,
    pub check_unicast_src: bool,
    pub mcast_dst_ip: Option<IpAddr>,
    pub track_src_ip: bool,
    pub use_vmac: Option<Vmac>,
    pub vmac_xmit_base: bool,
    pub dont_track_primary: bool,
    pub promote_secondaries: bool,
    /// Accept mode; default true, but in strict mode only with priority 255.
    pub accept: bool,
    pub strict_mode: bool,
    pub skip_check_adv_addr: bool,
    pub lower_prio_no_advert: Option<bool>,
    pub higher_prio_send_advert: Option<bool>,
    pub down_timer_adverts: Option<u32>,
    pub garp_master_delay: Option<u32>,
    pub garp_master_repeat: Option<u32>,
    pub garp_master_refresh: Option<u32>,
    pub garp_master_refresh_repeat: Option<u32>,
    pub garp_lower_prio_delay: Option<u32>,
    pub garp_lower_prio_repeat: Option<u32>,
    pub other: Vec<RawSetting>,
    pub span: Span,
}

/// What was read, before completion; `None` = not given.
pub(crate) struct RawInstance {
    pub i: VrrpInstance,
    pub vrid: Option<u8>,
    pub priority: Option<u8>,
    pub state: Option<InitialState>,
    pub version: Option<u8>,
    pub advert_int: Option<Interval>,
    pub family: Option<Family>,
    pub accept: Option<bool>,
    pub interface_span: Option<Span>,
    pub unicast_configured: bool,
    /// Any unicast keyword, including `unicast_ttl` and `unicast_fault_no_peer`.
    pub unicast_keyword: bool,
    pub higher_prio_explicit: bool,
    pub promote_secondaries_explicit: bool,
    pub unicast_ttl_span: Option<Span>,
    pub vrf_span: Option<Span>,
}

fn ip_arg(cx: &mut Cx<'_>, node: &Node) -> Option<IpAddr> {
    let t = cx.arg1(node)?;
    match t.text.parse() {
        Ok(a) => Some(a),
        Err(_) => {
            cx.err(
                t.span,
                format!("VRRP parsed invalid IP {}. skipping IP...", t.text),
            );
            None
        }
    }
}

pub(crate) fn read_instance(cx: &mut Cx<'_>, node: &Node, body: &[Node]) -> RawInstance {
    let name = node
        .args
        .first()
        .map(|t| t.text.clone())
        .unwrap_or_default();
    let me = format!("({name})");
    let mut r = RawInstance {
        i: VrrpInstance {
            name,
            interface: None,
            vrid: Vrid(0),
            priority: Priority(100),
            state: InitialState::Backup,
            version: 2,
            family: Family::Inet,
            advert_int: Interval::from_secs(1),
            vips: Vec::new(),
            evips: Vec::new(),
            vroutes: Vec::new(),
            vrules: Vec::new(),
            auth: None,
            nopreempt: false,
            preempt_delay: None,
            track: Tracking::default(),
            notify: Notify::default(),
            smtp_alert: None,
            notify_priority_changes: None,
            unicast_peers: Vec::new(),
            unicast_src_ip: None,
            mcast_src_ip: None,
            unicast_ttl: 255,
            unicast_fault_no_peer: false,
            check_unicast_src: false,
            mcast_dst_ip: None,
            track_src_ip: false,
            use_vmac: None,
            vmac_xmit_base: false,
            dont_track_primary: false,
            promote_secondaries: false,
            accept: true,
            strict_mode: false,
            skip_check_adv_addr: false,
            lower_prio_no_advert: None,
            higher_prio_send_advert: None,
            down_timer_adverts: None,
            garp_master_delay: None,
            garp_master_repeat: None,
            garp_master_refresh: None,
            garp_master_refresh_repeat: None,
            garp_lower_prio_delay: None,
            garp_lower_prio_repeat: None,
            other: Vec::new(),
            span: node.span,
        },
        vrid: None,
        priority: None,
        state: None,
        version: None,
        advert_int: None,
        family: None,
        accept: None,
        interface_span: None,
        unicast_configured: false,
        unicast_keyword: false,
        higher_prio_explicit: false,
        promote_secondaries_explicit: false,
        unicast_ttl_span: None,
        vrf_span: None,
    };
    for n in body {
        read_keyword(cx, &me, &mut r, n);
    }
    r
}

fn read_keyword(cx: &mut Cx<'_>, me: &str, r: &mut RawInstance, n: &Node) {
    let kw = n.keyword.text.as_str();
    let i = &mut r.i;
    if i.notify.set(kw, n) || i.track.read(cx, me, kw, n) {
        return;
    }
    match kw {
        "interface" => {
            let Some(t) = cx.arg1(n) else { return };
            if t.text == "lo" {
                cx.err(
                    t.span,
                    format!("{me} cannot use a loopback interface (lo) for vrrp - ignoring"),
                );
                return;
            }
            let _ = cx.check_interface(&t.text, t.span, || {
                format!(
                    "WARNING - interface {} for vrrp_instance {} doesn't exist",
                    t.text, i.name
                )
            });
            i.interface = Some(t.text.clone());
            r.interface_span = Some(t.span);
        }
        "virtual_router_id" => {
            let Some(t) = cx.arg1(n) else { return };
            match cx.unsigned(t, 1, 255) {
                Some(v) => r.vrid = Some(v as u8),
                None => cx.err(
                    t.span,
                    format!(
                        "{me}: VRID '{}' not valid - must be between 1 & 255",
                        t.text
                    ),
                ),
            }
        }
        "priority" => {
            let Some(t) = cx.arg1(n) else { return };
            match cx.unsigned(t, 1, 255) {
                Some(v) => r.priority = Some(v as u8),
                None => {
                    cx.err(
                        t.span,
                        format!("{me} Priority not valid! must be between 1 & 255. Using default 100"),
                    );
                    // The default then counts as configured (no `state MASTER` => 255).
                    r.priority = Some(100);
                }
            }
        }
        "state" => {
            let Some(t) = cx.arg1(n) else { return };
            r.state = Some(match t.text.as_str() {
                "MASTER" => InitialState::Master,
                "BACKUP" if r.state == Some(InitialState::Master) => {
                    cx.err(t.span, format!("{me} state previously set as MASTER - ignoring BACKUP"));
                    InitialState::Master
                }
                "BACKUP" => InitialState::Backup,
                other => {
                    cx.err(
                        t.span,
                        format!("{me} unknown state '{other}', defaulting to BACKUP"),
                    );
                    InitialState::Backup
                }
            });
        }
        "version" => {
            let Some(t) = cx.arg1(n) else { return };
            match cx.unsigned(t, 2, 3) {
                // A second, different version is refused; so is v2 once the instance is known
                // to be IPv6 (spec 0.1 #6; 2.2.7 then prints version 0).
                Some(v)
                    if r.version.is_some_and(|old| old != v as u8)
                        || (v == 2 && r.version.is_none() && r.family == Some(Family::Inet6)) =>
                {
                    cx.err(
                        t.span,
                        format!(
                            "{me} vrrp_version {v} conflicts with configured or deduced version {}; ignoring.",
                            r.version.unwrap_or(0)
                        ),
                    )
                }
                Some(v) => r.version = Some(v as u8),
                None => cx.err(t.span, format!("{me}: Version must be either 2 or 3")),
            }
        }
        "advert_int" => {
            let Some(t) = cx.arg1(n) else { return };
            match cx.timer(t, 10_000, 255_000_000) {
                Some(v) => r.advert_int = Some(v),
                None => cx.err(
                    t.span,
                    format!(
                        "{me} Advert interval ({}) not valid! Must be > 0 - ignoring",
                        t.text
                    ),
                ),
            }
        }
        "virtual_ipaddress" | "virtual_ipaddress_excluded" => {
            let excluded = kw == "virtual_ipaddress_excluded";
            for line in value_lines(n) {
                let Some(a) = parse_ip_address(cx, line, false) else {
                    continue;
                };
                if !excluded {
                    match r.family {
                        None => r.family = Some(a.family()),
                        Some(f) if f != a.family() => {
                            let text = line.first().map(|t| t.text.as_str()).unwrap_or("");
                            cx.err(
                                a.span,
                                format!(
                                    "{me}: address family must match VRRP instance [{text}] - ignoring"
                                ),
                            );
                            continue;
                        }
                        Some(_) => {}
                    }
                }
                // Spec 2.3: duplicates are rejected (2.2.7 says nothing at load time).
                if i.vips
                    .iter()
                    .chain(i.evips.iter())
                    .any(|o| o.addr == a.addr && o.prefix == a.prefix && o.dev == a.dev)
                {
                    cx.note(
                        Some(a.span),
                        format!("{me} duplicate VIP {} - ignoring", a.addr),
                    );
                    continue;
                }
                if excluded {
                    i.evips.push(a)
                } else {
                    i.vips.push(a)
                }
            }
        }
        "virtual_routes" => {
            for line in value_lines(n) {
                if let Some(mut rt) = parse_route(cx, line, false) {
                    if rt.dev.is_none() && !rt.no_track {
                        cx.warn(
                            rt.span,
                            format!(
                                "Warning - cannot track route {} with no interface specified, not tracking",
                                rt.dst_text()
                            ),
                        );
                        rt.no_track = true;
                    }
                    i.vroutes.push(rt);
                }
            }
        }
        "virtual_rules" => {
            for line in value_lines(n) {
                if let Some(rl) = parse_rule(cx, line, false) {
                    i.vrules.push(rl);
                }
            }
        }
        "authentication" => {
            let Body::Keywords(body) = &n.body else {
                return;
            };
            let mut ty = None;
            let mut pass = None;
            for a in body {
                match a.keyword.text.as_str() {
                    "auth_type" => {
                        let Some(t) = cx.arg1(a) else { continue };
                        match t.text.as_str() {
                            "PASS" => ty = Some(AuthType::Pass),
                            "AH" => ty = Some(AuthType::Ah),
                            o => cx.err(t.span, format!("{me} unknown authentication type '{o}'")),
                        }
                    }
                    "auth_pass" => {
                        let Some(t) = cx.arg1(a) else { continue };
                        let mut p = t.text.clone();
                        if p.len() > 8 {
                            cx.err(t.span, "Truncating auth_pass to 8 characters");
                            let mut end = 8;
                            while !p.is_char_boundary(end) {
                                end -= 1;
                            }
                            p.truncate(end);
                        }
                        pass = Some(p);
                    }
                    _ => {}
                }
            }
            if let Some(auth_type) = ty {
                i.auth = Some(Auth {
                    auth_type,
                    password: pass.unwrap_or_default(),
                    span: n.span,
                });
            }
        }
        "nopreempt" => i.nopreempt = true,
        "preempt" => i.nopreempt = false,
        "preempt_delay" => {
            let Some(t) = cx.arg1(n) else { return };
            match cx.timer(t, 0, 1_000_000_000) {
                Some(v) => i.preempt_delay = Some(v),
                None => cx.err(
                    t.span,
                    format!("{me} Preempt_delay not valid! must be between 0-1000"),
                ),
            }
        }
        "smtp_alert" => {
            if let Some(b) = cx.bool_arg(n, "vrrp_instance smtp_alert") {
                i.smtp_alert = Some(b);
            }
        }
        "notify_priority_changes" => {
            if let Some(b) = cx.bool_arg(n, "vrrp_instance notify_priority_changes") {
                i.notify_priority_changes = Some(b);
            }
        }
        "unicast_peer" => {
            r.unicast_configured = true;
            r.unicast_keyword = true;
            for line in value_lines(n) {
                let Some(p) = read_peer(cx, line) else { continue };
                // The first address of any kind sets the instance family (spec 2.2).
                match r.family {
                    Some(f) if f != Family::of(&p.addr) => cx.err(
                        p.span,
                        format!(
                            "Configuration error: VRRP instance[{}] and unicast peer address[{}] MUST be of the same family !!! Skipping...",
                            i.name, p.addr
                        ),
                    ),
                    _ => {
                        r.family = Some(Family::of(&p.addr));
                        i.unicast_peers.push(p);
                    }
                }
            }
        }
        "unicast_src_ip" | "mcast_src_ip" => {
            if kw == "unicast_src_ip" {
                r.unicast_configured = true;
                r.unicast_keyword = true;
            }
            let Some(ip) = ip_arg(cx, n) else { return };
            match r.family {
                Some(f) if f != Family::of(&ip) => cx.err(
                    n.span,
                    format!(
                        "Configuration error: VRRP instance[{}] and src address[{ip}] MUST be of the same family !!! Skipping...",
                        i.name
                    ),
                ),
                _ => {
                    r.family = Some(Family::of(&ip));
                    if kw == "unicast_src_ip" {
                        i.unicast_src_ip = Some(ip);
                    } else {
                        i.mcast_src_ip = Some(ip);
                    }
                }
            }
        }
        "mcast_dst_ip" => i.mcast_dst_ip = ip_arg(cx, n),
        "unicast_ttl" => {
            let Some(t) = cx.arg1(n) else { return };
            match cx.unsigned(t, 0, 255) {
                Some(v) => {
                    r.unicast_keyword = true;
                    i.unicast_ttl = v as u8;
                    r.unicast_ttl_span = Some(n.span);
                }
                None => cx.err(
                    t.span,
                    format!("{me}: TTL '{}' not valid - must be between 0 & 255", t.text),
                ),
            }
        }
        "unicast_fault_no_peer" => {
            r.unicast_keyword = true;
            i.unicast_fault_no_peer = true;
        }
        "check_unicast_src" => {
            r.unicast_configured = true;
            r.unicast_keyword = true;
            i.check_unicast_src = true;
        }
        "track_src_ip" => i.track_src_ip = true,
        "use_vmac" => {
            let mut v = Vmac {
                name: None,
                mac: None,
                span: n.span,
            };
            for a in &n.args {
                if a.text.len() == 17 && a.text.bytes().filter(|&b| b == b':').count() == 5 {
                    v.mac = Some(a.text.clone());
                } else if v.name.is_none() {
                    match cx.vmac_names.get(&a.text) {
                        Some(other) if *other != i.name => cx.err(
                            a.span,
                            format!(
                                "{me} VRRP instance {other} is already using {} - ignoring name",
                                a.text
                            ),
                        ),
                        _ => {
                            cx.vmac_names.insert(a.text.clone(), i.name.clone());
                            v.name = Some(a.text.clone());
                        }
                    }
                } else {
                    cx.err(a.span, "VMAC interface name already specified");
                }
            }
            i.use_vmac = Some(v);
        }
        "vmac_xmit_base" => i.vmac_xmit_base = true,
        "dont_track_primary" => i.dont_track_primary = true,
        "promote_secondaries" => {
            r.promote_secondaries_explicit = true;
            i.promote_secondaries = true;
        }
        "accept" => r.accept = Some(true),
        "no_accept" => r.accept = Some(false),
        "strict_mode" => i.strict_mode = cx.flag(n, "strict_mode", true),
        "skip_check_adv_addr" => i.skip_check_adv_addr = cx.flag(n, "skip_check_adv_addr", true),
        "lower_prio_no_advert" => i.lower_prio_no_advert = cx.bool_arg(n, kw),
        "higher_prio_send_advert" => {
            r.higher_prio_explicit = true;
            i.higher_prio_send_advert = cx.bool_arg(n, kw);
        }
        "down_timer_adverts" => {
            let Some(t) = cx.arg1(n) else { return };
            match cx.unsigned(t, 1, 100) {
                Some(v) => i.down_timer_adverts = Some(v as u32),
                None => cx.err(
                    t.span,
                    format!("{me}: Invalid down_timer_adverts [1:100] '{}'", t.text),
                ),
            }
        }
        "garp_master_delay"
        | "garp_master_repeat"
        | "garp_master_refresh"
        | "garp_master_refresh_repeat"
        | "garp_lower_prio_delay"
        | "garp_lower_prio_repeat" => {
            let Some(t) = cx.arg1(n) else { return };
            let Some(mut v) = cx.unsigned(t, 0, u64::from(u32::MAX)).map(|v| v as u32) else {
                cx.err(
                    t.span,
                    format!("{me}: {kw} '{}' invalid - ignoring", t.text),
                );
                return;
            };
            if v == 0 && (kw == "garp_master_repeat" || kw == "garp_master_refresh_repeat") {
                cx.err(
                    t.span,
                    format!("{me}: {kw} must be greater than 0, setting to 1"),
                );
                v = 1;
            }
            let slot = match kw {
                "garp_master_delay" => &mut i.garp_master_delay,
                "garp_master_repeat" => &mut i.garp_master_repeat,
                "garp_master_refresh" => &mut i.garp_master_refresh,
                "garp_master_refresh_repeat" => &mut i.garp_master_refresh_repeat,
                "garp_lower_prio_delay" => &mut i.garp_lower_prio_delay,
                _ => &mut i.garp_lower_prio_repeat,
            };
            *slot = Some(v);
        }
        "native_ipv6" => {
            r.family = Some(Family::Inet6);
        }
        "lvs_sync_daemon_interface" => {
            cx.err(
                n.span,
                format!("{me} Specifying lvs_sync_daemon_interface against a vrrp is deprecated."),
            );
            cx.err(n.span, "        Please use global lvs_sync_daemon");
            i.other.push(RawSetting::from_node(n));
        }
        "old_unicast_checksum" => {
            r.unicast_configured = true;
            i.other.push(RawSetting::from_node(n));
        }
        "vmac_garp_intvl" => {
            cx.err(
                n.keyword.span,
                "Keyword \"vmac_garp_intvl\" is deprecated - please use \"garp_extra_if\"",
            );
            i.other.push(RawSetting::from_node(n));
        }
        "linkbeat_use_polling" => cx.err(
            n.keyword.span,
            format!("{me} 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block"),
        ),
        "vrf" => {
            r.vrf_span = Some(n.span);
            i.other.push(RawSetting::from_node(n));
        }
        _ => {
            let name = i.name.clone();
            let _ = super::rules::check(cx, "vrrp_instance", &name, n);
            r.i.other.push(RawSetting::from_node(n));
        }
    }
}

fn read_peer(cx: &mut Cx<'_>, line: &[Token]) -> Option<UnicastPeer> {
    let first = line.first()?;
    let Ok(addr) = first.text.parse::<IpAddr>() else {
        cx.err(
            first.span,
            format!("VRRP parsed invalid IP {}. skipping IP...", first.text),
        );
        return None;
    };
    let mut p = UnicastPeer {
        addr,
        min_ttl: None,
        max_ttl: None,
        span: first.span,
    };
    let mut k = 1;
    while k < line.len() {
        let t = &line[k];
        match t.text.as_str() {
            "min_ttl" | "max_ttl" => {
                let Some(v) = line.get(k + 1) else { break };
                if let Some(x) = cx.unsigned(v, 0, 255) {
                    if t.text == "min_ttl" {
                        p.min_ttl = Some(x as u8);
                    } else {
                        p.max_ttl = Some(x as u8);
                    }
                }
                k += 1;
            }
            o => cx.err(t.span, format!("Unknown unicast_peer option '{o}'")),
        }
        k += 1;
    }
    Some(p)
}
