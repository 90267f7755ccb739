//! Snapshots of the plain-text diagnostic renderer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use alived_config::diag::{Diagnostic, Severity};
use alived_config::render::render;
use alived_config::span::{FileId, SourceMap, Span};
use common::*;

#[test]
fn unknown_keyword_with_help() {
    let p = parse("vrrp_instance VI_1 {\n    Interface eth0\n}\n");
    insta::assert_snapshot!(report(&p), @r"
    test.conf:2:5: error: Unknown keyword 'Interface'
      |
    2 |     Interface eth0
      |     ^^^^^^^^^
      = help: did you mean `interface`?
    exit code: 5
    ");
}

#[test]
fn whole_config_diagnostic_without_span() {
    let sources = SourceMap::default();
    let d = Diagnostic {
        severity: Severity::Fatal,
        message: "Config files missing '/x.conf'.".into(),
        span: None,
        help: None,
    };
    insta::assert_snapshot!(render(&d, &sources), @"fatal: Config files missing '/x.conf'.");
}

#[test]
fn tabs_and_wide_line_numbers() {
    let mut text = "\n".repeat(99);
    text.push_str("global_defs {\n\tbogus\t1\n}\n");
    let p = parse(&text);
    insta::assert_snapshot!(report(&p), @r"
    test.conf:101:2: error: Unknown keyword 'bogus'
        |
    101 |  bogus 1
        |  ^^^^^
    exit code: 5
    ");
}

#[test]
fn substituted_token_points_at_the_reference() {
    let p = parse("$KW=bogus_kw\nglobal_defs {\n  ${KW} 1\n}\n");
    insta::assert_snapshot!(report(&p), @r"
    test.conf:3:3: error: Unknown keyword 'bogus_kw'
      |
    3 |   ${KW} 1
      |   ^^^^^
    exit code: 5
    ");
}

#[test]
fn span_past_the_end_of_the_line_has_no_marker() {
    let mut sources = SourceMap::default();
    let f = sources.add("x.conf".into(), "ab\n");
    let d = Diagnostic {
        severity: Severity::Warning,
        message: "w".into(),
        span: Some(Span {
            file: f,
            line: 1,
            col: 40,
            len: 3,
        }),
        help: None,
    };
    insta::assert_snapshot!(render(&d, &sources), @r"
    x.conf:1:40: warning: w
      |
    1 | ab
    ");
    let d = Diagnostic {
        span: Some(Span {
            file: FileId(7),
            line: 1,
            col: 1,
            len: 1,
        }),
        ..d
    };
    insta::assert_snapshot!(render(&d, &sources), @"<unknown>:1:1: warning: w");
}
