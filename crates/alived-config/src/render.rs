//! Plain-text rendering of a [`Diagnostic`] for `alived -t`: stable, no colours.
//!
//! ```text
//! keepalived.conf:3:3: error: Unknown keyword 'Interface'
//!    |
//!  3 |   Interface eth0
//!    |   ^^^^^^^^^
//!    = help: did you mean `interface`?
//! ```

use crate::diag::{Diagnostic, Severity};
use crate::span::SourceMap;
use std::fmt::Write as _;

pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Note => "note",
        Severity::Warning => "warning",
        Severity::Error => "error",
        Severity::Security => "security",
        Severity::Fatal => "fatal",
        Severity::Abort => "error",
    }
}

/// Render one diagnostic; ends with a newline.
pub fn render(diag: &Diagnostic, sources: &SourceMap) -> String {
    let mut out = String::new();
    let sev = severity_name(diag.severity);
    let Some(span) = diag.span else {
        let _ = writeln!(out, "{sev}: {}", diag.message);
        if let Some(h) = &diag.help {
            let _ = writeln!(out, "  = help: {h}");
        }
        return out;
    };
    let path = sources.path(span.file);
    let _ = writeln!(
        out,
        "{path}:{}:{}: {sev}: {}",
        span.line, span.col, diag.message
    );
    let num = span.line.to_string();
    let pad = " ".repeat(num.len());
    if let Some(text) = sources.line(span) {
        // Tabs and other control characters (a NUL) become one space so the marker lines up
        // and snapshots stay printable; long lines are cut.
        let shown: String = text
            .chars()
            .take(200)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let width = shown.chars().count() as u32;
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{num} | {shown}");
        let col = span.col.max(1);
        if col <= width + 1 {
            let len = if span.len == 0 {
                width.saturating_sub(col - 1).max(1)
            } else {
                span.len.min(width.saturating_sub(col - 1).max(1))
            };
            let _ = writeln!(
                out,
                "{pad} | {}{}",
                " ".repeat((col - 1) as usize),
                "^".repeat(len as usize)
            );
        }
    }
    if let Some(h) = &diag.help {
        let _ = writeln!(out, "{pad} = help: {h}");
    }
    out
}

/// Render all diagnostics, one after the other.
pub fn render_all(diags: &crate::diag::Diagnostics, sources: &SourceMap) -> String {
    diags.items.iter().map(|d| render(d, sources)).collect()
}

/// keepalived's own one-line form (`report_config_error()`, behaviour spec 1.10), for the
/// daemon's log: `(FILE: Line N) msg` when more than one file was read, `(Line N) msg` for a
/// single file, the bare message when there is no position.
pub fn log_line(diag: &Diagnostic, sources: &SourceMap) -> String {
    match diag.span {
        None => diag.message.clone(),
        Some(span) if sources.files.len() > 1 => {
            format!(
                "({}: Line {}) {}",
                sources.path(span.file),
                span.line,
                diag.message
            )
        }
        Some(span) => format!("(Line {}) {}", span.line, diag.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;

    #[test]
    fn keepalived_log_lines() {
        let mut sources = SourceMap::default();
        let a = sources.add("/etc/keepalived/keepalived.conf".into(), "x\n");
        let d = Diagnostic {
            severity: Severity::Error,
            message: "Unknown keyword 'x'".into(),
            span: Some(Span {
                file: a,
                line: 1,
                col: 1,
                len: 1,
            }),
            help: None,
        };
        assert_eq!(log_line(&d, &sources), "(Line 1) Unknown keyword 'x'");
        sources.add("inc.conf".into(), "");
        assert_eq!(
            log_line(&d, &sources),
            "(/etc/keepalived/keepalived.conf: Line 1) Unknown keyword 'x'"
        );
        let d = Diagnostic { span: None, ..d };
        assert_eq!(log_line(&d, &sources), "Unknown keyword 'x'");
    }
}
