//! Diagnostics: what `alived -t` prints and what the daemon logs for a config problem.
//!
//! Severities follow keepalived's `config_err_t` groups (behaviour spec 1.10), which decide the
//! `-t` exit code: 0 clean, 4 cannot run, 5 errors but will run, 6 security problem.

use crate::span::Span;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational; does not change the exit code (e.g. keepalived's NOTICE lines).
    Note,
    /// CONFIG_WARNING / CONFIG_DEPRECATED: reported, exit code 5 as keepalived does.
    Warning,
    /// Any "will run" error: unknown keyword, bad number, brace problems... exit code 5.
    Error,
    /// CONFIG_SECURITY_ERROR, or keepalived's NO_CONFIG (e.g. `includea` of a missing file): 6.
    Security,
    /// CONFIG_FILE_NOT_FOUND / CONFIG_BAD_IF / CONFIG_FATAL: cannot run, exit code 4.
    Fatal,
    /// A keyword with a missing value: keepalived 2.2.7 stops reading the configuration at
    /// that line and exits with KEEPALIVED_EXIT_CONFIG (2), also under `-t` (measured). alived
    /// reports everything else as well, but gives the same exit code.
    Abort,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// keepalived's own wording where there is one (e.g. `Unknown keyword 'Interface'`).
    pub message: String,
    /// Where; `None` for whole-config problems.
    pub span: Option<Span>,
    /// A suggestion such as the nearest valid keyword.
    pub help: Option<String>,
}

/// The diagnostics of one load, in the order they were found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, severity: Severity, span: Option<Span>, message: impl Into<String>) {
        self.items.push(Diagnostic {
            severity,
            message: message.into(),
            span,
            help: None,
        });
    }

    pub fn push_help(
        &mut self,
        severity: Severity,
        span: Option<Span>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.items.push(Diagnostic {
            severity,
            message: message.into(),
            span,
            help: Some(help.into()),
        });
    }

    /// `keepalived -t` exit code for these diagnostics (spec 1.10).
    pub fn exit_code(&self) -> i32 {
        let worst = self.items.iter().map(|d| d.severity).max();
        match worst {
            None | Some(Severity::Note) => 0,
            Some(Severity::Warning) | Some(Severity::Error) => 5,
            Some(Severity::Security) => 6,
            Some(Severity::Fatal) => 4,
            Some(Severity::Abort) => 2,
        }
    }
}
