//! Scalar values as keepalived reads them: numbers with ranges, booleans, timers, scripts.
//!
//! Each reader reports keepalived's own generic message (`invalid number 'abc'`,
//! `number '300' outside range [1, 255]`, behaviour spec 1.1) and returns `None`; the caller
//! then adds the keyword-specific message and keeps its default.

use crate::ast::{Node, Token};
use crate::diag::{Diagnostics, Severity};
use crate::span::Span;
use serde::Serialize;
use std::time::Duration;

/// A time in microseconds, keepalived's `TIMER_HZ` resolution (`read_timer()`, spec 1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Interval(pub u64);

impl Interval {
    pub const fn from_secs(s: u64) -> Self {
        Interval(s * 1_000_000)
    }
    pub const fn micros(self) -> u64 {
        self.0
    }
    pub const fn as_duration(self) -> Duration {
        Duration::from_micros(self.0)
    }
}

/// Context for reading the configuration: the diagnostics sink and load-wide state.
pub(crate) struct Cx<'d> {
    pub diags: &'d mut Diagnostics,
    /// Interfaces that exist, when the caller wants them checked (and no
    /// `dynamic_interfaces`).
    pub interfaces: Option<&'d std::collections::BTreeSet<String>>,
    /// Set when an interface check failed.
    pub missing_interface: bool,
    /// keepalived's default rule preference: 16384, one less for each rule without one,
    /// shared by `static_rules` and every `virtual_rules`.
    pub rule_pref: u32,
    /// VMAC interface names already taken, and by which instance.
    pub vmac_names: std::collections::HashMap<String, String>,
    /// `vrrp_script`, `track_file` and `vrrp_track_process` names defined so far: keepalived
    /// resolves a `track_*` line when it reads it, so the object must come first.
    pub known_scripts: std::collections::HashSet<String>,
    pub known_files: std::collections::HashSet<String>,
    pub known_processes: std::collections::HashSet<String>,
    /// `track_group` names defined so far (a static item must name one defined above it).
    pub known_track_groups: std::collections::HashSet<String>,
    /// Each `track_group X not found` so far: the name and the diagnostic's index (a help
    /// is added at the end if the group is defined further down).
    pub missing_track_groups: Vec<(String, usize)>,
    /// The host's CPU count, for `*_cpu_affinity` (`None`: ids up to 1023 accepted).
    pub host_cpus: Option<u32>,
}

impl<'d> Cx<'d> {
    pub fn new(diags: &'d mut Diagnostics) -> Self {
        Cx {
            diags,
            interfaces: None,
            missing_interface: false,
            rule_pref: 16384,
            vmac_names: Default::default(),
            known_scripts: Default::default(),
            known_files: Default::default(),
            known_processes: Default::default(),
            known_track_groups: Default::default(),
            missing_track_groups: Vec::new(),
            host_cpus: None,
        }
    }

    /// keepalived's start-up interface check: a warning naming the user of the interface.
    /// Returns false when the interface is known to be missing.
    pub fn check_interface(
        &mut self,
        name: &str,
        span: Span,
        msg: impl FnOnce() -> String,
    ) -> bool {
        if let Some(ifs) = self.interfaces
            && !ifs.contains(name)
        {
            self.diags.push(Severity::Warning, Some(span), msg());
            self.missing_interface = true;
            return false;
        }
        true
    }

    /// A static item's `track_group NAME` (spec 2.3): keepalived 2.2.7 looks the group up
    /// when it reads the item (measured: `track_group TG not found` when the group is defined
    /// below the item or nowhere, and `track_group X is a duplicate` for a second one); the
    /// item is then kept, untracked.
    pub fn track_group(&mut self, slot: &mut Option<String>, name: Option<&Token>) {
        let Some(n) = name else { return };
        if slot.is_some() {
            self.err(n.span, format!("track_group {} is a duplicate", n.text));
        } else if !self.known_track_groups.contains(&n.text) {
            self.missing_track_groups
                .push((n.text.clone(), self.diags.items.len()));
            self.err(n.span, format!("track_group {} not found", n.text));
        } else {
            *slot = Some(n.text.clone());
        }
    }

    pub fn err(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(Severity::Error, Some(span), msg);
    }
    pub fn warn(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(Severity::Warning, Some(span), msg);
    }
    pub fn note(&mut self, span: Option<Span>, msg: impl Into<String>) {
        self.diags.push(Severity::Note, span, msg);
    }
    pub fn global_err(&mut self, msg: impl Into<String>) {
        self.diags.push(Severity::Error, None, msg);
    }

    /// The first argument, or a `missing parameter` error naming the keyword.
    pub fn arg1<'n>(&mut self, node: &'n Node) -> Option<&'n Token> {
        let t = node.args.first();
        if t.is_none() {
            self.missing_parameter(node);
        }
        t
    }

    /// keepalived's generic missing-value message. keepalived 2.2.7 stops reading the
    /// configuration there (`keepalived -t` exits 2, measured); alived carries on to report
    /// the rest, and exits 2 as well ([`Severity::Abort`]).
    pub fn missing_parameter(&mut self, node: &Node) {
        let kw = &node.keyword.text;
        self.diags.push_help(
            Severity::Abort,
            Some(node.span),
            format!(
                "*** Configuration line starting `{kw}` is missing a parameter after keyword `{kw}` at word position 2"
            ),
            "keepalived 2.2.7 stops reading the configuration at this line (`keepalived -t` exits with 2)",
        );
    }

    /// Unsigned integer in `[min, max]` (keepalived `read_unsigned`).
    pub fn unsigned(&mut self, tok: &Token, min: u64, max: u64) -> Option<u64> {
        let s = tok.text.as_str();
        if s.starts_with('-') && s.len() > 1 && s[1..].bytes().all(|b| b.is_ascii_digit()) {
            self.err(tok.span, format!("negative number '{s}'"));
            return None;
        }
        match parse_u64(s) {
            Some(v) if v >= min && v <= max => Some(v),
            Some(_) => {
                self.err(
                    tok.span,
                    format!("number '{s}' outside range [{min}, {max}]"),
                );
                None
            }
            None => {
                self.err(tok.span, format!("invalid number '{s}'"));
                None
            }
        }
    }

    /// Signed integer in `[min, max]` (keepalived `read_int`).
    pub fn int(&mut self, tok: &Token, min: i64, max: i64) -> Option<i64> {
        let s = tok.text.as_str();
        match parse_i64(s) {
            Some(v) if v >= min && v <= max => Some(v),
            Some(_) => {
                self.err(
                    tok.span,
                    format!("number '{s}' outside range [{min}, {max}]"),
                );
                None
            }
            None => {
                self.err(tok.span, format!("invalid number '{s}'"));
                None
            }
        }
    }

    /// Decimal seconds in `[min, max]` µs (keepalived `read_timer` / `read_decimal_unsigned`).
    pub fn timer(&mut self, tok: &Token, min: u64, max: u64) -> Option<Interval> {
        let s = tok.text.as_str();
        if s.starts_with('-') {
            self.err(tok.span, format!("negative number '{s}'"));
            return None;
        }
        match parse_decimal_micros(s) {
            Some(v) if v >= min && v <= max => Some(Interval(v)),
            Some(_) => {
                self.err(
                    tok.span,
                    format!(
                        "number '{s}' outside range [{}, {}]",
                        fmt_micros(min),
                        fmt_micros(max)
                    ),
                );
                None
            }
            None => {
                self.err(tok.span, format!("invalid number '{s}'"));
                None
            }
        }
    }

    /// `on|off|true|false|yes|no`; no argument means true (`check_true_false()`, spec 1.1).
    /// Returns `None` (after `what`'s message) for anything else.
    pub fn bool_arg(&mut self, node: &Node, what: &str) -> Option<bool> {
        let Some(t) = node.args.first() else {
            return Some(true);
        };
        match parse_bool(&t.text) {
            Some(b) => Some(b),
            None => {
                self.err(t.span, format!("Invalid {what} parameter {}", t.text));
                None
            }
        }
    }

    /// A flag keyword that may take a BOOL; invalid values keep `default`.
    pub fn flag(&mut self, node: &Node, what: &str, default: bool) -> bool {
        self.bool_arg(node, what).unwrap_or(default)
    }
}

pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "on" | "true" | "yes" => Some(true),
        "off" | "false" | "no" => Some(false),
        _ => None,
    }
}

fn parse_u64(s: &str) -> Option<u64> {
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_i64(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = i64::try_from(parse_u64(digits)?).ok()?;
    Some(if neg { -v } else { v })
}

/// `1.5` -> 1_500_000. At most 6 decimal places are kept (µs resolution); more are dropped.
pub(crate) fn parse_decimal_micros(s: &str) -> Option<u64> {
    let s = s.strip_prefix('+').unwrap_or(s);
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut micros: u64 = 0;
    for (i, b) in frac.bytes().take(6).enumerate() {
        micros += u64::from(b - b'0') * 10u64.pow(5 - i as u32);
    }
    whole.checked_mul(1_000_000)?.checked_add(micros)
}

/// `%f` formatting of a µs count: `0.000001`, `1000.000000`.
pub(crate) fn fmt_micros(v: u64) -> String {
    format!("{}.{:06}", v / 1_000_000, v % 1_000_000)
}

/// `SCRIPT [user [group]]` as given on a notify/quorum/misc line (spec 2.6). The command is
/// kept as one string (its own quoting is the script runner's business).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Script {
    pub command: String,
    pub user: Option<String>,
    pub group: Option<String>,
    pub span: Span,
}

impl Script {
    pub(crate) fn from_node(node: &Node) -> Option<Script> {
        let cmd = node.args.first()?;
        Some(Script {
            command: cmd.text.clone(),
            user: node.args.get(1).map(|t| t.text.clone()),
            group: node.args.get(2).map(|t| t.text.clone()),
            span: node.span,
        })
    }
}

/// A keyword recorded as written, for settings the typed model does not interpret yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawSetting {
    pub keyword: String,
    pub args: Vec<String>,
    pub span: Span,
}

impl RawSetting {
    pub(crate) fn from_node(node: &Node) -> RawSetting {
        RawSetting {
            keyword: node.keyword.text.clone(),
            args: node.args.iter().map(|t| t.text.clone()).collect(),
            span: node.span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(s: &str) -> Token {
        Token {
            text: s.into(),
            span: Span::default(),
            quoted: false,
        }
    }

    // Spec 1.1: numbers out of range log `number 'N' outside range [MIN, MAX]`.
    #[test]
    fn unsigned_out_of_range_message() {
        let mut d = Diagnostics::default();
        let mut cx = Cx::new(&mut d);
        assert_eq!(cx.unsigned(&tok("300"), 1, 255), None);
        assert_eq!(cx.unsigned(&tok("abc"), 1, 255), None);
        assert_eq!(cx.unsigned(&tok("-1"), 0, 10), None);
        assert_eq!(cx.unsigned(&tok("42"), 1, 255), Some(42));
        let m: Vec<_> = d.items.iter().map(|i| i.message.as_str()).collect();
        assert_eq!(
            m,
            [
                "number '300' outside range [1, 255]",
                "invalid number 'abc'",
                "negative number '-1'"
            ]
        );
    }

    // Spec 1.1: TIMER = decimal seconds, microsecond resolution.
    #[test]
    fn timer_is_decimal_seconds_in_micros() {
        assert_eq!(parse_decimal_micros("1.5"), Some(1_500_000));
        assert_eq!(parse_decimal_micros("0.000001"), Some(1));
        assert_eq!(parse_decimal_micros(".5"), Some(500_000));
        assert_eq!(parse_decimal_micros("3"), Some(3_000_000));
        assert_eq!(parse_decimal_micros("1.x"), None);
        assert_eq!(parse_decimal_micros("."), None);
        let mut d = Diagnostics::default();
        let mut cx = Cx::new(&mut d);
        assert_eq!(cx.timer(&tok("2000"), 0, 1_000_000_000), None);
        assert_eq!(
            d.items[0].message,
            "number '2000' outside range [0.000000, 1000.000000]"
        );
    }

    // Spec 1.1: BOOL = on|off|true|false|yes|no.
    #[test]
    fn bool_words() {
        for (s, v) in [
            ("on", true),
            ("yes", true),
            ("true", true),
            ("off", false),
            ("no", false),
        ] {
            assert_eq!(parse_bool(s), Some(v));
        }
        assert_eq!(parse_bool("maybe"), None);
        assert_eq!(parse_bool("ON"), None);
    }
}
