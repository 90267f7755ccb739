//! Checker blocks inside `real_server` (behaviour spec 3.4).

use super::lvs::{Checker, CheckerKind, Timing, Url};
use super::lvs_server::common_keyword;
use super::track::Weight;
use super::values::{Cx, Interval, Script};
use crate::ast::{Body, Node};

fn body(n: &Node) -> &[Node] {
    match &n.body {
        Body::Keywords(b) => b,
        _ => &[],
    }
}

fn kind_for(kw: &str) -> Option<CheckerKind> {
    Some(match kw {
        "TCP_CHECK" => CheckerKind::Tcp,
        "HTTP_GET" | "SSL_GET" => CheckerKind::Http {
            ssl: kw == "SSL_GET",
            urls: Vec::new(),
            http_protocol: None,
            virtualhost: None,
            fast_recovery: false,
            enable_sni: false,
        },
        "MISC_CHECK" => CheckerKind::Misc {
            path: None,
            timeout: None,
            dynamic: false,
            user: None,
        },
        "SMTP_CHECK" => CheckerKind::Smtp { helo_name: None },
        "DNS_CHECK" => CheckerKind::Dns {
            query_type: "SOA".into(),
            name: ".".into(),
        },
        "UDP_CHECK" => CheckerKind::Udp {
            payload: None,
            require_reply: None,
            min_reply_length: 0,
            max_reply_length: 255,
        },
        "PING_CHECK" => CheckerKind::Ping,
        "FILE_CHECK" => CheckerKind::File {
            track_file: None,
            weight: None,
        },
        "BFD_CHECK" => CheckerKind::Bfd { name: None },
        _ => return None,
    })
}

const DNS_TYPES: &[&str] = &[
    "A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY",
];

/// keepalived accepts hex digits; an odd count is allowed (the last nibble is padded).
fn hex(s: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = s
        .bytes()
        .map(|b| (b as char).to_digit(16).map(|d| d as u8))
        .collect::<Option<_>>()?;
    Some(
        digits
            .chunks(2)
            .map(|c| (c[0] << 4) | c.get(1).copied().unwrap_or(0))
            .collect(),
    )
}

/// Parses a checker block; `None` if `n` is not a checker or keepalived drops it.
pub(crate) fn parse_checker(cx: &mut Cx<'_>, n: &Node) -> Option<Checker> {
    let kind = kind_for(&n.keyword.text)?;
    let mut c = Checker {
        kind,
        connect_ip: None,
        connect_port: None,
        bindto: None,
        bind_port: None,
        bind_if: None,
        fwmark: None,
        own: Timing::default(),
        connect_timeout: Interval::from_secs(5),
        delay_loop: Interval::from_secs(60),
        retry: 1,
        delay_before_retry: Interval::from_secs(1),
        warmup: Interval::from_secs(60),
        alpha: false,
        log_all_failures: false,
        span: n.span,
    };
    for m in body(n) {
        if common_keyword(cx, &n.keyword.text, &mut c, m) {
            continue;
        }
        let kw = m.keyword.text.as_str();
        let a = m.args.first();
        if kw == "host" {
            // Deprecated SMTP_CHECK sub-block: its connection keywords apply to this checker.
            for h in body(m) {
                common_keyword(cx, "SMTP_CHECK", &mut c, h);
            }
            continue;
        }
        match &mut c.kind {
            CheckerKind::Http {
                urls,
                http_protocol,
                virtualhost,
                fast_recovery,
                enable_sni,
                ..
            } => match kw {
                "url" => {
                    let u = parse_url(cx, m);
                    if u.path.is_some() {
                        urls.push(u);
                    } else {
                        cx.err(m.span, "HTTP/SSL_GET checker url has no path - ignoring");
                    }
                }
                "http_protocol" => {
                    let v = a.map(|t| t.text.as_str()).unwrap_or("");
                    if matches!(v, "1.0" | "1.0C" | "1.0c" | "1.1") {
                        *http_protocol = Some(v.to_owned());
                    } else {
                        cx.err(m.span, format!("Invalid http_protocol version {v}"));
                    }
                }
                "virtualhost" => match a {
                    Some(t) => *virtualhost = Some(t.text.clone()),
                    None => cx.err(m.span, "HTTP_GET virtualhost name missing"),
                },
                "fast_recovery" => *fast_recovery = cx.flag(m, kw, true),
                "enable_sni" => *enable_sni = cx.flag(m, kw, true),
                _ => {}
            },
            CheckerKind::Misc {
                path,
                timeout,
                dynamic,
                user,
            } => match kw {
                "misc_path" => *path = Script::from_node(m),
                "misc_timeout" => {
                    if let Some(t) = cx.arg1(m) {
                        *timeout = cx.timer(t, 0, 4_294_967_295_000_000);
                    }
                }
                "misc_dynamic" => *dynamic = true,
                "user" => *user = a.map(|t| t.text.clone()),
                _ => {}
            },
            CheckerKind::Smtp { helo_name } => {
                if kw == "helo_name" {
                    match a {
                        Some(t) => *helo_name = Some(t.text.clone()),
                        None => cx.err(m.span, "SMTP_CHECK helo name missing"),
                    }
                }
            }
            CheckerKind::Dns { query_type, name } => match kw {
                "type" => {
                    let v = a.map(|t| t.text.as_str()).unwrap_or("");
                    if DNS_TYPES.contains(&v) {
                        *query_type = v.to_owned();
                    } else {
                        cx.err(m.span, format!("Unknown DNS check type {v} - ignoring"));
                    }
                }
                "name" => *name = a.map(|t| t.text.clone()).unwrap_or_else(|| ".".into()),
                _ => {}
            },
            CheckerKind::Udp {
                payload,
                require_reply,
                min_reply_length,
                max_reply_length,
            } => match kw {
                "payload" => match a.and_then(|t| hex(&t.text)) {
                    Some(p) => *payload = Some(p),
                    None => cx.err(m.span, "Invalid hex string for UDP_CHECK payload"),
                },
                "require_reply" => match a {
                    Some(t)
                        if t.text
                            .bytes()
                            .all(|b| b.is_ascii_hexdigit() || b == b'X' || b == b'x') =>
                    {
                        *require_reply = Some(t.text.clone())
                    }
                    Some(_) => cx.err(m.span, "Invalid hex string for UDP_CHECK reply"),
                    None => {}
                },
                "min_reply_length" | "max_reply_length" => {
                    if let Some(t) = cx.arg1(m)
                        && let Some(v) = cx.unsigned(t, 0, 65535)
                    {
                        if kw == "min_reply_length" {
                            *min_reply_length = v as u32;
                        } else {
                            *max_reply_length = v as u32;
                        }
                    }
                }
                _ => {}
            },
            CheckerKind::File { track_file, weight } => match kw {
                "track_file" => *track_file = a.map(|t| t.text.clone()),
                "weight" => {
                    if let Some(t) = cx.arg1(m) {
                        *weight = cx.int(t, -254, 254).map(|v| Weight(v as i32));
                    }
                }
                _ => {}
            },
            CheckerKind::Bfd { name } => {
                if kw == "name" {
                    *name = a.map(|t| t.text.clone());
                }
            }
            CheckerKind::Tcp | CheckerKind::Ping => {}
        }
    }
    if let CheckerKind::Http { urls, .. } = &c.kind
        && urls.is_empty()
    {
        cx.err(
            n.span,
            "HTTP/SSL_GET checker has no urls specified - ignoring",
        );
        return None;
    }
    if let CheckerKind::Misc { path: None, .. } = c.kind {
        cx.err(
            n.span,
            "No script path has been specified for MISC_CHECKER - skipping",
        );
        return None;
    }
    Some(c)
}

fn parse_url(cx: &mut Cx<'_>, n: &Node) -> Url {
    let mut u = Url::default();
    for m in body(n) {
        let a = m.args.first();
        match m.keyword.text.as_str() {
            "path" => u.path = a.map(|t| t.text.clone()),
            "digest" => {
                let Some(t) = a else { continue };
                if t.text.len() != 32 {
                    cx.err(
                        t.span,
                        format!(
                            "digest '{}' character length should be 32 rather than {}",
                            t.text,
                            t.text.len()
                        ),
                    );
                } else if !t.text.bytes().all(|b| b.is_ascii_hexdigit()) {
                    cx.err(
                        t.span,
                        format!("digest '{}' is not a valid hex string", t.text),
                    );
                } else {
                    u.digest = Some(t.text.to_ascii_lowercase());
                }
            }
            "status_code" => {
                for t in &m.args {
                    let r = match t.text.split_once('-') {
                        Some((x, y)) => x.parse().ok().zip(y.parse().ok()),
                        None => t.text.parse().ok().map(|v| (v, v)),
                    };
                    match r {
                        Some((x, y)) if (100..=599).contains(&x) && (x..=599).contains(&y) => {
                            u.status_code.push((x, y))
                        }
                        _ => cx.err(t.span, format!("Invalid HTTP_GET status code '{}'", t.text)),
                    }
                }
            }
            "virtualhost" => match a {
                Some(t) => u.virtualhost = Some(t.text.clone()),
                None => cx.err(m.span, "Missing HTTP_GET virtualhost name"),
            },
            "regex" => u.regex = a.map(|t| t.text.clone()),
            "regex_no_match" => u.regex_no_match = true,
            _ => {}
        }
    }
    if u.status_code.is_empty() {
        u.status_code.push((200, 299));
    }
    u
}
