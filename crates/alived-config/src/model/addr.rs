//! Address lines: `virtual_ipaddress`, `virtual_ipaddress_excluded`, `static_ipaddress`
//! (behaviour spec 2.3, keepalived's `alloc_ipaddress()`).

use super::values::Cx;
use crate::ast::Token;
use crate::span::Span;
use serde::Serialize;
use std::net::IpAddr;

/// Address family of an instance or an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Inet,
    Inet6,
}

impl Family {
    pub fn of(ip: &IpAddr) -> Family {
        if ip.is_ipv4() {
            Family::Inet
        } else {
            Family::Inet6
        }
    }
    pub fn max_prefix(self) -> u8 {
        match self {
            Family::Inet => 32,
            Family::Inet6 => 128,
        }
    }
}

/// `brd IP|-|+` (spec 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Broadcast {
    Addr(IpAddr),
    /// `brd +`: host bits set.
    HostBitsSet,
    /// `brd -`: host bits clear.
    HostBitsClear,
}

/// `scope site|link|host|nowhere|global|<n>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Scope(pub u8);

impl Scope {
    pub(crate) fn parse(s: &str) -> Option<Scope> {
        Some(Scope(match s {
            "global" | "universe" => 0,
            "site" => 200,
            "link" => 253,
            "host" => 254,
            "nowhere" => 255,
            _ => s.parse::<u8>().ok()?,
        }))
    }
}

/// `preferred_lft N|forever` (IPv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifetime {
    Forever,
    Secs(u32),
}

/// One address line, fully parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpAddress {
    pub addr: IpAddr,
    /// Default /32 for IPv4 and /128 for IPv6 (spec 2.3).
    pub prefix: u8,
    pub brd: Option<Broadcast>,
    /// `dev`; `None` means the instance interface (VIPs) or `default_interface` (static).
    pub dev: Option<String>,
    pub use_vmac: bool,
    pub scope: Option<Scope>,
    pub label: Option<String>,
    pub peer: Option<IpAddr>,
    pub home: bool,
    pub nodad: bool,
    pub mngtmpaddr: bool,
    pub noprefixroute: bool,
    pub autojoin: bool,
    /// Deleting the address externally does not take the instance out of MASTER.
    pub no_track: bool,
    pub preferred_lft: Option<Lifetime>,
    pub track_group: Option<String>,
    pub span: Span,
}

impl IpAddress {
    pub fn family(&self) -> Family {
        Family::of(&self.addr)
    }
}

/// Splits `IP[/LEN]` into the address and an optional prefix token text.
pub(crate) fn split_prefix(s: &str) -> (&str, Option<&str>) {
    match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    }
}

/// `IP[/LEN]` with keepalived's messages; a bad prefix falls back to the host prefix.
pub(crate) fn parse_ip_prefix(cx: &mut Cx<'_>, tok: &Token) -> Option<(IpAddr, u8)> {
    let (a, p) = split_prefix(&tok.text);
    let Ok(ip) = a.parse::<IpAddr>() else {
        cx.err(
            tok.span,
            format!("VRRP parsed invalid IP {}. skipping IP...", tok.text),
        );
        return None;
    };
    let max = Family::of(&ip).max_prefix();
    let prefix = match p {
        None => max,
        Some(p) => {
            let ptok = Token {
                text: p.to_owned(),
                span: tok.span,
                quoted: false,
            };
            match cx.unsigned(&ptok, 0, u64::from(max)) {
                Some(v) => v as u8,
                None => {
                    cx.err(
                        tok.span,
                        format!(
                            "Invalid address prefix len {p} for address {} - using {max}",
                            tok.text
                        ),
                    );
                    max
                }
            }
        }
    };
    Some((ip, prefix))
}

/// Parses one address line (`alloc_ipaddress()`); `None` when the address is dropped.
/// `allow_track_group` is set for `static_ipaddress`.
pub(crate) fn parse_ip_address(
    cx: &mut Cx<'_>,
    line: &[Token],
    allow_track_group: bool,
) -> Option<IpAddress> {
    let first = line.first()?;
    let span = first.span;
    let (addr, prefix) = parse_ip_prefix(cx, first)?;
    let v6 = addr.is_ipv6();
    let mut a = IpAddress {
        addr,
        prefix,
        brd: None,
        dev: None,
        use_vmac: false,
        scope: None,
        label: None,
        peer: None,
        home: false,
        nodad: false,
        mngtmpaddr: false,
        noprefixroute: false,
        autojoin: false,
        no_track: false,
        preferred_lft: None,
        track_group: None,
        span,
    };
    let mut i = 1;
    while i < line.len() {
        let t = &line[i];
        let next = line.get(i + 1);
        match t.text.as_str() {
            "dev" => {
                let Some(n) = next else {
                    cx.err(
                        t.span,
                        format!("No dev parameter specified for {}", first.text),
                    );
                    return None;
                };
                a.dev = Some(n.text.clone());
                i += 1;
            }
            "use_vmac" => a.use_vmac = true,
            "brd" => {
                let Some(n) = next else {
                    cx.err(
                        t.span,
                        format!("No broadcast address specified for {}", first.text),
                    );
                    return None;
                };
                a.brd = Some(match n.text.as_str() {
                    "+" => Broadcast::HostBitsSet,
                    "-" => Broadcast::HostBitsClear,
                    s => match s.parse::<IpAddr>() {
                        Ok(b) if b.is_ipv4() == addr.is_ipv4() => Broadcast::Addr(b),
                        _ => {
                            cx.err(
                                n.span,
                                format!(
                                    "VRRP is trying to assign invalid broadcast {s}. skipping VIP..."
                                ),
                            );
                            return None;
                        }
                    },
                });
                i += 1;
            }
            "scope" => {
                let s = next.map(|n| n.text.as_str()).unwrap_or("");
                if v6 {
                    cx.err(
                        t.span,
                        format!(
                            "Cannot specify scope for IPv6 addresses ({}) - ignoring scope",
                            first.text
                        ),
                    );
                } else {
                    match Scope::parse(s) {
                        Some(sc) => a.scope = Some(sc),
                        None => cx.err(
                            t.span,
                            format!(
                                "Invalid scope '{s}' specified for {} - ignoring",
                                first.text
                            ),
                        ),
                    }
                }
                i += 1;
            }
            "label" => {
                let s = next.map(|n| n.text.as_str()).unwrap_or("");
                if v6 {
                    cx.err(
                        t.span,
                        format!(
                            "Cannot specify label for IPv6 addresses ({}) - ignoring label",
                            first.text
                        ),
                    );
                } else if s.len() >= 16 {
                    // IFNAMSIZ is 16 including the NUL.
                    cx.err(
                        t.span,
                        format!(
                            "Address label {s} is longer than maximum length 15 - removing address"
                        ),
                    );
                    return None;
                } else {
                    a.label = Some(s.to_owned());
                }
                i += 1;
            }
            "peer" => {
                let s = next.map(|n| n.text.as_str()).unwrap_or("");
                match s.parse::<IpAddr>() {
                    Ok(p) => a.peer = Some(p),
                    Err(_) => {
                        cx.err(
                            t.span,
                            format!("VRRP parsed invalid IP {s}. skipping IP..."),
                        );
                        cx.err(t.span, format!("Invalid peer address {s}"));
                    }
                }
                i += 1;
            }
            "home" => a.home = true,
            "-nodad" => a.nodad = true,
            "mngtmpaddr" => a.mngtmpaddr = true,
            "noprefixroute" => a.noprefixroute = true,
            "autojoin" => a.autojoin = true,
            "no_track" => a.no_track = true,
            "preferred_lft" => {
                match next {
                    Some(n) if n.text == "forever" => a.preferred_lft = Some(Lifetime::Forever),
                    Some(n) => match cx.unsigned(n, 0, u64::from(u32::MAX)) {
                        Some(v) => a.preferred_lft = Some(Lifetime::Secs(v as u32)),
                        None => cx.err(n.span, format!("preferred_lft {} is invalid", n.text)),
                    },
                    None => cx.err(t.span, "preferred_lft missing value"),
                }
                i += 1;
            }
            "track_group" if allow_track_group => {
                cx.track_group(&mut a.track_group, next);
                i += 1;
            }
            other => cx.err(
                t.span,
                format!("Unknown configuration entry '{other}' for ip address - ignoring"),
            ),
        }
        i += 1;
    }
    if let Some(d) = &a.dev {
        let _ = cx.check_interface(d, span, || {
            format!(
                "WARNING - interface {d} for ip address {} doesn't exist",
                // keepalived 2.2.7 (measured): `10.0.0.1/24`, but `10.0.0.2` for a /32.
                if a.prefix == if a.addr.is_ipv4() { 32 } else { 128 } {
                    a.addr.to_string()
                } else {
                    format!("{}/{}", a.addr, a.prefix)
                }
            )
        });
    }
    Some(a)
}
