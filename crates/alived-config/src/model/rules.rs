//! Checks the first value of a keyword the typed model keeps as written, with keepalived's
//! range and messages (table in `rules_data`).

use super::rules_data::{Kind, RULES, Rule};
use super::values::{Cx, fmt_micros, parse_decimal_micros};
use crate::ast::Node;

fn find(ctx: &str, kw: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.ctx == ctx && r.keyword == kw)
}

fn fill(t: &str, value: &str, name: &str) -> String {
    t.replace("{name}", name).replace("{}", value)
}

/// Checks `node` against the rule for (`ctx`, keyword). Returns `None` when there is no rule,
/// else whether the value is acceptable (after reporting it when not). `name` is the block's
/// name (instance, script, process...) used in some messages.
pub(crate) fn check(cx: &mut Cx<'_>, ctx: &str, name: &str, node: &Node) -> Option<bool> {
    let rule = find(ctx, &node.keyword.text)?;
    let Some(tok) = node.args.first() else {
        for m in rule.missing {
            if m.starts_with("*** Configuration line starting") {
                cx.missing_parameter(node);
            } else {
                cx.err(node.span, fill(m, "", name));
            }
        }
        return Some(rule.missing.is_empty());
    };
    let s = tok.text.as_str();
    let parsed: Option<i128> = match rule.kind {
        Kind::Decimal => {
            let (neg, body) = match s.strip_prefix('-') {
                Some(b) => (true, b),
                None => (false, s),
            };
            parse_decimal_micros(body).map(|v| if neg { -(v as i128) } else { v as i128 })
        }
        Kind::Unsigned | Kind::Signed => {
            let body = s.strip_prefix('+').unwrap_or(s);
            let digits = body.strip_prefix('-').unwrap_or(body);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                body.parse::<i128>().ok()
            }
        }
    };
    let ok = match parsed {
        None => {
            cx.err(tok.span, format!("invalid number '{s}'"));
            false
        }
        Some(v) if rule.kind != Kind::Signed && v < 0 => {
            cx.err(tok.span, format!("negative number '{s}'"));
            false
        }
        Some(v) if v < rule.min || v > rule.max => {
            if !rule.shown.0.is_empty() {
                cx.err(
                    tok.span,
                    format!(
                        "number '{s}' outside range [{}, {}]",
                        rule.shown.0, rule.shown.1
                    ),
                );
            }
            false
        }
        Some(_) => true,
    };
    if !ok && !rule.message.is_empty() {
        cx.err(tok.span, fill(rule.message, s, name));
    }
    Some(ok)
}

/// `fmt_micros` is re-exported for the table's users.
#[allow(dead_code)]
pub(crate) fn show(v: u64) -> String {
    fmt_micros(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{Body, Token};
    use crate::diag::Diagnostics;
    use crate::span::Span;

    fn node(kw: &str, arg: Option<&str>) -> Node {
        let t = |s: &str| Token {
            text: s.into(),
            span: Span::default(),
            quoted: false,
        };
        Node {
            keyword: t(kw),
            args: arg.map(t).into_iter().collect(),
            body: Body::None,
            span: Span::default(),
        }
    }

    // Measured 2.2.7 behaviour: `vrrp_rt_priority bogus` / out of range.
    #[test]
    fn rule_messages() {
        let mut d = Diagnostics::default();
        let mut cx = Cx::new(&mut d);
        assert_eq!(
            check(
                &mut cx,
                "global_defs",
                "",
                &node("vrrp_rlimit_rttime", Some("0"))
            ),
            Some(false)
        );
        assert_eq!(
            check(
                &mut cx,
                "global_defs",
                "",
                &node("vrrp_rlimit_rttime", Some("500"))
            ),
            Some(true)
        );
        assert_eq!(
            check(&mut cx, "bfd_instance", "B1", &node("min_rx", Some("x"))),
            Some(false)
        );
        assert_eq!(
            check(&mut cx, "global_defs", "", &node("router_id", Some("x"))),
            None
        );
        let m: Vec<_> = d.items.iter().map(|i| i.message.as_str()).collect();
        assert_eq!(
            m,
            [
                "number '0' outside range [1, 4294967295]",
                "Invalid vrrp real-time limit - 0",
                "invalid number 'x'",
                "Configuration error: BFD instance B1 min_rx value x is not valid (must be in range [1-4294967]), ignoring",
            ]
        );
    }
}
