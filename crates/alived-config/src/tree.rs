//! The block walker (behaviour spec 1.2): logical lines -> a tree of [`Node`]s, each line looked
//! up in the keyword table of the block it is in, with keepalived 2.2.7's recovery quirks.
//!
//! Checked against `keepalived -t` 2.2.7 (the process that owns the block, i.e. the VRRP child
//! for `vrrp_instance`):
//! - Unknown keyword: `Unknown keyword 'x'`, the line is skipped.
//! - Unknown keyword opening a block: `Unexpected '{' - ignoring`; the lines inside are read at
//!   the current level and the unknown block's `}` closes the *enclosing* block.
//! - One brace counter for the whole file: every `{` counts (even an unexpected one), every `}`
//!   uncounts. A `}` taking it below zero gives `Extra '}' found`; at the top level a `}` is
//!   also `Unknown keyword '}'`. At the end, `There are N missing '}'s or extra '{'s`.
//! - Keyword block without `{` on its line or the next: `Missing '{' at beginning of
//!   configuration block` (at the next line), and the lines are still read as the block's
//!   content, up to a `}` which then is an extra one. A value block without `{` is read the
//!   same way, silently.

use crate::ast::{Body, Node, Token};
use crate::diag::{Diagnostics, Severity};
use crate::preprocess::Line;
use crate::schema::{Kind, Schema};
use crate::span::Span;
use crate::suggest;

/// Build the tree of `lines` under the keyword table `root`.
pub fn build_tree(lines: &[Line], root: &'static Schema, diags: &mut Diagnostics) -> Vec<Node> {
    build_tree_owned(lines.to_vec(), root, diags)
}

/// [`build_tree`] taking the lines by value: their tokens move into the tree, no copies.
pub fn build_tree_owned(
    lines: Vec<Line>,
    root: &'static Schema,
    diags: &mut Diagnostics,
) -> Vec<Node> {
    build_tree_keyed(lines, root, diags).0
}

/// [`build_tree_owned`], also giving for each diagnostic it added the index of the line being
/// read when it was found (to merge with the preprocessor's diagnostics in reading order).
pub(crate) fn build_tree_keyed(
    lines: Vec<Line>,
    root: &'static Schema,
    diags: &mut Diagnostics,
) -> (Vec<Node>, Vec<usize>) {
    let diag_base = diags.items.len();
    let mut w = Walker {
        root,
        lines,
        pos: 0,
        open: Vec::new(),
        diags,
        diag_base,
        keys: Vec::new(),
    };
    let nodes = w.block(root, true);
    w.mark(w.pos.saturating_sub(1));
    if !w.open.is_empty() {
        let n = w.open.len();
        let last = w.open.last().copied();
        w.diags.items.push(crate::diag::Diagnostic {
            severity: Severity::Error,
            message: format!("There are {n} missing '}}'s or extra '{{'s"),
            span: last,
            help: Some("the last unclosed '{' is here".to_owned()),
        });
    }
    w.mark(w.lines.len());
    (nodes, w.keys)
}

fn is_open(t: &Token) -> bool {
    !t.quoted && t.text == "{"
}
fn is_close(t: &Token) -> bool {
    !t.quoted && t.text == "}"
}
/// A quoted `"{"`/`"}"` as the keyword: keepalived 2.2.7 compares the text, so it acts as a
/// brace for the walker, but its brace counter (kept while splitting lines) never saw it
/// (observed: `"}"` closes `global_defs` without `Extra '}' found` later).
fn is_text(t: &Token, s: &str) -> bool {
    t.quoted && t.text == s
}

struct Walker<'d> {
    root: &'static Schema,
    lines: Vec<Line>,
    pos: usize,
    /// Spans of the `{`s counted and not yet closed (keepalived's brace counter).
    open: Vec<Span>,
    diags: &'d mut Diagnostics,
    diag_base: usize,
    /// For each diagnostic added: the index of the line it was found on.
    keys: Vec<usize>,
}

impl Walker<'_> {
    fn mark(&mut self, key: usize) {
        while self.diag_base + self.keys.len() < self.diags.items.len() {
            self.keys.push(key);
        }
    }

    /// Take the next line (its tokens move out; each line is consumed once).
    fn next_line(&mut self) -> Option<Line> {
        self.mark(self.pos.saturating_sub(1));
        let l = self.lines.get_mut(self.pos)?;
        self.pos += 1;
        Some(Line {
            tokens: std::mem::take(&mut l.tokens),
            span: l.span,
        })
    }

    /// A `}`: uncount it; report `Extra '}' found` when there was nothing to close.
    fn close_brace(&mut self, span: Span) {
        if self.open.pop().is_none() {
            self.diags
                .push(Severity::Error, Some(span), "Extra '}' found");
        }
    }

    fn unexpected_open(&mut self, span: Span) {
        self.open.push(span);
        self.diags
            .push(Severity::Error, Some(span), "Unexpected '{' - ignoring");
    }

    /// Read lines of a keyword block until its `}` (or the end).
    fn block(&mut self, schema: &'static Schema, top: bool) -> Vec<Node> {
        let mut nodes = Vec::new();
        while let Some(line) = self.next_line() {
            let line_span = line.span;
            let mut tokens = line.tokens;
            let brace = if tokens.len() > 1 && tokens.last().is_some_and(is_open) {
                tokens.pop()
            } else {
                None
            };
            if tokens.is_empty() {
                continue;
            }
            // The keyword moves out; the rest of the vector (its allocation reused) is the args.
            let first = tokens.remove(0);
            let rest = tokens;
            if is_close(&first) || is_text(&first, "}") {
                if !first.quoted {
                    self.close_brace(first.span);
                }
                if top {
                    self.diags
                        .push(Severity::Error, Some(first.span), "Unknown keyword '}'");
                    continue;
                }
                return nodes;
            }
            if is_open(&first) || is_text(&first, "{") {
                if first.quoted {
                    let span = Some(first.span);
                    self.diags
                        .push(Severity::Error, span, "Unexpected '{' - ignoring");
                } else {
                    self.unexpected_open(first.span);
                }
                continue;
            }
            let brace_span = brace.map(|b| b.span);
            let Some(kw) = schema.get(&first.text) else {
                self.unknown(&first, schema);
                if let Some(b) = brace_span {
                    self.unexpected_open(b);
                    if let Some(d) = self.diags.items.last_mut() {
                        d.help = Some(format!(
                            "the lines of the unknown block `{}` are read as part of the \
                             enclosing block, and its `}}` closes that block",
                            first.text
                        ));
                    }
                }
                continue;
            };
            let body = match kw.kind {
                Kind::Leaf => {
                    if let Some(b) = brace_span {
                        self.unexpected_open(b);
                    }
                    Body::None
                }
                Kind::Block(inner) => {
                    self.enter(brace_span, true);
                    Body::Keywords(self.block(inner, false))
                }
                Kind::Values => {
                    // keepalived 2.2.7 (observed): `virtual_ipaddress extra {` and
                    // `track_script x {` give `Block virtual_ipaddress has extra parameters
                    // extra ...`, and the block is read anyway. Top-level value blocks take a
                    // name (`virtual_server_group NAME {`), so only nested ones are checked.
                    if !top && let Some(extra) = rest.first() {
                        let msg = format!(
                            "Block {} has extra parameters {} ...",
                            first.text, extra.text
                        );
                        self.diags.push(Severity::Error, Some(extra.span), msg);
                    }
                    self.enter(brace_span, false);
                    Body::Values(self.values())
                }
            };
            nodes.push(Node {
                keyword: first,
                args: rest,
                body,
                span: line_span,
            });
        }
        nodes
    }

    /// Start a block: its `{` is on the keyword line, or alone on the next line, or missing.
    fn enter(&mut self, brace: Option<Span>, report_missing: bool) {
        if let Some(b) = brace {
            self.open.push(b);
            return;
        }
        match self.lines.get(self.pos) {
            Some(next) if next.tokens.len() == 1 && next.tokens.first().is_some_and(is_open) => {
                self.open.push(next.span);
                self.pos += 1;
            }
            // At the end of the input keepalived 2.2.7 says nothing (observed); a value block
            // without `{` is read silently too.
            Some(next) if report_missing => {
                self.diags.push(
                    Severity::Error,
                    Some(next.span),
                    "Missing '{' at beginning of configuration block",
                );
            }
            _ => {}
        }
    }

    /// Read the raw lines of a value block until its `}`.
    ///
    /// keepalived 2.2.7 hands a `{` in a value block to the allocator as a value line of its own
    /// (observed: `VRRP parsed invalid IP {. skipping IP...`), silently, but still counts it, so
    /// the value block's `}` only closes that `{`.
    fn values(&mut self) -> Vec<Vec<Token>> {
        let mut out = Vec::new();
        while let Some(line) = self.next_line() {
            let Some(first) = line.tokens.first() else {
                continue;
            };
            if is_close(first) {
                let span = first.span;
                self.close_brace(span);
                return out;
            }
            if is_open(first) {
                self.open.push(first.span);
            }
            let mut tokens = line.tokens;
            let brace = if tokens.len() > 1 && tokens.last().is_some_and(is_open) {
                tokens.pop()
            } else {
                None
            };
            out.push(tokens);
            if let Some(b) = brace {
                self.open.push(b.span);
                out.push(vec![b]);
            }
        }
        out
    }

    fn unknown(&mut self, word: &Token, schema: &Schema) {
        let msg = format!("Unknown keyword '{}'", word.text);
        let help = match suggest::nearest(&word.text, schema) {
            Some(s) => Some(format!("did you mean `{s}`?")),
            None => suggest::home_of(&word.text, self.root).map(|home| {
                if std::ptr::eq(home, self.root) {
                    format!("`{}` is only valid at the top level", word.text)
                } else {
                    format!("`{}` belongs in a `{}` block", word.text, home.name)
                }
            }),
        };
        match help {
            Some(h) => self
                .diags
                .push_help(Severity::Error, Some(word.span), msg, h),
            None => self.diags.push(Severity::Error, Some(word.span), msg),
        }
    }
}
