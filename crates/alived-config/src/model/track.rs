//! Tracked objects: `vrrp_script`, `track_file`, `vrrp_track_process`, and the `track_*`
//! lines that refer to them (behaviour spec 2.5).

use super::values::{Cx, Interval, RawSetting, Script};
use crate::ast::{Node, Token};
use crate::span::Span;
use serde::Serialize;

/// A tracker weight (spec 2.5: 0 = FAULT while down, >0 added while up, <0 subtracted while
/// down; `reverse` swaps the direction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Weight(pub i32);

/// One `track_*` line: `NAME [weight W [reverse|noreverse]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Track {
    pub name: String,
    /// `None`: the tracked object's own weight applies.
    pub weight: Option<Weight>,
    pub reverse: bool,
    pub span: Span,
}

/// Which `track_*` block a line came from; decides the weight range and wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrackKind {
    Interface,
    Script,
    File,
    Process,
    Bfd,
}

impl TrackKind {
    pub(crate) fn noun(self) -> &'static str {
        match self {
            TrackKind::Interface => "track interface",
            TrackKind::Script => "track script",
            TrackKind::File => "track file",
            TrackKind::Process => "track process",
            TrackKind::Bfd => "track bfd",
        }
    }
}

/// Parses one `track_*` line for instance or group `owner` (already formatted `(VI_1)`).
pub(crate) fn parse_track(
    cx: &mut Cx<'_>,
    owner: &str,
    kind: TrackKind,
    line: &[Token],
) -> Option<Track> {
    let name = line.first()?;
    let mut t = Track {
        name: name.text.clone(),
        weight: None,
        reverse: false,
        span: name.span,
    };
    let mut i = 1;
    while i < line.len() {
        let tok = &line[i];
        match tok.text.as_str() {
            "weight" => {
                let Some(w) = line.get(i + 1) else {
                    cx.err(
                        tok.span,
                        format!("{owner} {} {}: missing weight", kind.noun(), t.name),
                    );
                    return Some(t);
                };
                // 253 for interfaces, scripts and BFD; 254 for files and processes.
                let max: i64 = if matches!(kind, TrackKind::File | TrackKind::Process) {
                    254
                } else {
                    253
                };
                match cx.int(w, -254, 254) {
                    Some(v) if v.abs() <= max => t.weight = Some(Weight(v as i32)),
                    Some(v) if kind == TrackKind::Interface => {
                        cx.err(
                            w.span,
                            format!(
                                "{owner} weight for {} cannot be +/-254. Setting to +/-253",
                                t.name
                            ),
                        );
                        t.weight = Some(Weight(if v < 0 { -253 } else { 253 }));
                    }
                    _ if kind == TrackKind::Interface => cx.err(
                        w.span,
                        format!(
                            "{owner} weight {} for {} must be between [-{max}..{max}] inclusive. Ignoring...",
                            w.text, t.name
                        ),
                    ),
                    _ => cx.err(
                        w.span,
                        format!(
                            "{owner} {} {}: weight must be between [-{max}..{max}] inclusive, ignoring...",
                            kind.noun(),
                            t.name
                        ),
                    ),
                }
                i += 1;
            }
            "reverse" => t.reverse = true,
            "noreverse" => t.reverse = false,
            other => cx.err(
                tok.span,
                format!(
                    "{owner} {} {}: unknown option '{other}'",
                    kind.noun(),
                    t.name
                ),
            ),
        }
        i += 1;
    }
    Some(t)
}

/// `vrrp_script NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VrrpScript {
    pub name: String,
    pub script: Script,
    /// Default 1 s.
    pub interval: Interval,
    /// Default = interval.
    pub timeout: Interval,
    /// Default 0; -253..=253.
    pub weight: Weight,
    pub weight_reverse: bool,
    /// Default 1.
    pub rise: u32,
    /// Default 1.
    pub fall: u32,
    pub user: Option<String>,
    pub group: Option<String>,
    /// Start in the failed state (result counter 0).
    pub init_fail: bool,
    pub span: Span,
}

pub(crate) fn parse_vrrp_script(cx: &mut Cx<'_>, node: &Node, body: &[Node]) -> Option<VrrpScript> {
    let name = node
        .args
        .first()
        .map(|t| t.text.clone())
        .unwrap_or_default();
    let mut script = None;
    let mut interval = Interval::from_secs(1);
    let mut timeout = None;
    let mut weight = Weight(0);
    let mut weight_reverse = false;
    let (mut rise, mut fall) = (1u32, 1u32);
    let (mut user, mut group) = (None, None);
    let mut init_fail = false;
    for n in body {
        let kw = n.keyword.text.as_str();
        match kw {
            "script" => script = Script::from_node(n),
            // 2.2.7 reads whole seconds here (ms resolution came in 2.3.2).
            "interval" | "timeout" => {
                let Some(t) = cx.arg1(n) else { continue };
                match cx.unsigned(t, 0, 4294) {
                    Some(0) => cx.err(
                        t.span,
                        format!("({name}): vrrp script {kw} must be greater than 0, setting to 1"),
                    ),
                    Some(v) if kw == "interval" => interval = Interval::from_secs(v),
                    Some(v) => timeout = Some(Interval::from_secs(v)),
                    None if kw == "interval" => cx.err(
                        t.span,
                        format!(
                            "({name}): vrrp script interval '{}' must be between 1 and 4294 - ignoring",
                            t.text
                        ),
                    ),
                    None => cx.err(
                        t.span,
                        format!("({name}): vrrp script timeout '{}' invalid - ignoring", t.text),
                    ),
                }
            }
            "weight" => {
                let Some(t) = cx.arg1(n) else { continue };
                match cx.int(t, -253, 253) {
                    Some(v) => weight = Weight(v as i32),
                    None => cx.err(
                        t.span,
                        format!(
                            "vrrp_script {name} weight {} must be in [-253, 253]",
                            t.text
                        ),
                    ),
                }
                weight_reverse = n.args.get(1).is_some_and(|t| t.text == "reverse");
            }
            "rise" | "fall" => {
                let Some(t) = cx.arg1(n) else { continue };
                match cx.unsigned(t, 1, i32::MAX as u64) {
                    Some(v) if kw == "rise" => rise = v as u32,
                    Some(v) => fall = v as u32,
                    None => cx.err(
                        t.span,
                        format!(
                            "({name}): vrrp script {kw} value '{}' invalid, defaulting to 1",
                            t.text
                        ),
                    ),
                }
            }
            "user" => {
                user = n.args.first().map(|t| t.text.clone());
                group = n.args.get(1).map(|t| t.text.clone());
            }
            "init_fail" => init_fail = true,
            _ => {}
        }
    }
    let Some(script) = script else {
        cx.err(
            node.span,
            format!("No script set for vrrp_script {name} - removing"),
        );
        return None;
    };
    Some(VrrpScript {
        name,
        script,
        interval,
        timeout: timeout.unwrap_or(interval),
        weight,
        weight_reverse,
        rise,
        fall,
        user,
        group,
        init_fail,
        span: node.span,
    })
}

/// `track_file NAME { file PATH; weight W [reverse]; init_file [VALUE] [overwrite] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackFile {
    pub name: String,
    pub file: Option<String>,
    /// Default 1; -254..=254.
    pub weight: Weight,
    pub reverse: bool,
    pub init_file: Option<RawSetting>,
    pub span: Span,
}

pub(crate) fn parse_track_file(cx: &mut Cx<'_>, node: &Node, body: &[Node]) -> TrackFile {
    let mut tf = TrackFile {
        name: node
            .args
            .first()
            .map(|t| t.text.clone())
            .unwrap_or_default(),
        file: None,
        weight: Weight(1),
        reverse: false,
        init_file: None,
        span: node.span,
    };
    for n in body {
        match n.keyword.text.as_str() {
            "file" => match (&tf.file, n.args.first()) {
                (Some(_), Some(t)) => cx.err(
                    t.span,
                    format!(
                        "File already set for track file {} - ignoring {}",
                        tf.name, t.text
                    ),
                ),
                (None, t) => tf.file = t.map(|t| t.text.clone()),
                _ => {}
            },
            "weight" => {
                if super::rules::check(cx, "track_file", &tf.name, n) == Some(true)
                    && let Some(v) = n.args.first().and_then(|t| t.text.parse::<i32>().ok())
                {
                    tf.weight = Weight(v);
                }
                tf.reverse = n.args.get(1).is_some_and(|t| t.text == "reverse");
            }
            "init_file" => tf.init_file = Some(RawSetting::from_node(n)),
            _ => {}
        }
    }
    tf
}

/// `vrrp_track_process NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackProcess {
    pub name: String,
    pub process: Option<String>,
    pub params: Vec<String>,
    pub param_match_partial: bool,
    pub weight: Weight,
    pub reverse: bool,
    /// Default 1.
    pub quorum: u32,
    pub quorum_max: Option<u32>,
    pub delay: Option<Interval>,
    pub fork_delay: Option<Interval>,
    pub terminate_delay: Option<Interval>,
    pub full_command: bool,
    pub span: Span,
}

pub(crate) fn parse_track_process(cx: &mut Cx<'_>, node: &Node, body: &[Node]) -> TrackProcess {
    let mut tp = TrackProcess {
        name: node
            .args
            .first()
            .map(|t| t.text.clone())
            .unwrap_or_default(),
        process: None,
        params: Vec::new(),
        param_match_partial: false,
        weight: Weight(0),
        reverse: false,
        quorum: 1,
        quorum_max: None,
        delay: None,
        fork_delay: None,
        terminate_delay: None,
        full_command: false,
        span: node.span,
    };
    for n in body {
        let kw = n.keyword.text.as_str();
        match kw {
            "process" => {
                if tp.process.is_some() {
                    if let Some(t) = n.args.first() {
                        cx.err(
                            t.span,
                            format!(
                                "Process already set for track process {} - ignoring {}",
                                tp.name, t.text
                            ),
                        );
                    }
                    continue;
                }
                tp.process = n.args.first().map(|t| t.text.clone());
                tp.params = n.args.iter().skip(1).map(|t| t.text.clone()).collect();
            }
            "weight" | "quorum" | "quorum_max" | "delay" | "fork_delay" | "terminate_delay" => {
                if super::rules::check(cx, "vrrp_track_process", &tp.name, n) != Some(true) {
                    continue;
                }
                let Some(t) = n.args.first() else { continue };
                let int = t.text.parse::<i64>().ok();
                let dec = super::values::parse_decimal_micros(&t.text).map(Interval);
                match kw {
                    "weight" => {
                        tp.weight = Weight(int.unwrap_or(0) as i32);
                        tp.reverse = n.args.get(1).is_some_and(|t| t.text == "reverse");
                    }
                    "quorum" => tp.quorum = int.unwrap_or(1) as u32,
                    "quorum_max" => tp.quorum_max = int.map(|v| v as u32),
                    "delay" => tp.delay = dec,
                    "fork_delay" => tp.fork_delay = dec,
                    _ => tp.terminate_delay = dec,
                }
            }
            "param_match" => match n.args.first().map(|t| t.text.as_str()) {
                Some("partial") => tp.param_match_partial = true,
                Some("initial") | None => tp.param_match_partial = false,
                Some(o) => cx.err(n.span, format!("Invalid param_match type {o} - ignoring")),
            },
            "full_command" => tp.full_command = true,
            _ => {}
        }
    }
    tp
}
