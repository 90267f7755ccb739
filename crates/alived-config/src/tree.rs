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
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::order::{Keys, Stage};
use crate::preprocess::{Line, LineSink};
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
    let mut keys = Keys::new(diags);
    let mut w = Walker::new(root, Vec::new());
    for line in lines {
        w.line(line, diags, &mut keys);
    }
    w.finish(diags, &mut keys)
}

/// Where the walker's finished top-level nodes go, one at a time.
pub(crate) trait NodeSink {
    fn node(&mut self, node: Node);
}

impl NodeSink for Vec<Node> {
    fn node(&mut self, node: Node) {
        self.push(node);
    }
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

/// A keyword line whose block is being read.
struct Head {
    keyword: Token,
    args: Vec<Token>,
    span: Span,
}

/// An open block.
enum Frame {
    /// A keyword block: each line is looked up in `schema`.
    Keywords {
        schema: &'static Schema,
        head: Head,
        nodes: Vec<Node>,
    },
    /// A value block: each line is kept raw.
    Values { head: Head, lines: Vec<Vec<Token>> },
}

/// The walker, fed one line at a time ([`LineSink`]); the open blocks are a stack of
/// [`Frame`]s, the top level (under `root`) is below them all. Finished top-level nodes go to
/// the [`NodeSink`] as soon as they are complete.
pub(crate) struct Walker<N> {
    root: &'static Schema,
    frames: Vec<Frame>,
    /// Spans of the `{`s counted and not yet closed (keepalived's brace counter).
    open: Vec<Span>,
    /// Set by a block keyword without `{` on its line: the next line may be that `{`
    /// (`Some(true)`: say so when it is not).
    awaiting: Option<bool>,
    /// Lines read so far (the key of the diagnostics for the line being read).
    count: usize,
    out: N,
}

impl<N: NodeSink> LineSink for Walker<N> {
    fn line(&mut self, line: Line, diags: &mut Diagnostics, keys: &mut Keys) {
        let k = self.count;
        self.count += 1;
        if let Some(report) = self.awaiting.take() {
            if line.tokens.len() == 1 && line.tokens.first().is_some_and(is_open) {
                self.open.push(line.span);
                return;
            }
            if report {
                // Found while reading the keyword line (the one before).
                diags.push(
                    Severity::Error,
                    Some(line.span),
                    "Missing '{' at beginning of configuration block",
                );
                keys.mark(diags, k.saturating_sub(1), Stage::Tree);
            }
        }
        if matches!(self.frames.last(), Some(Frame::Values { .. })) {
            self.value_line(line, diags);
        } else {
            self.keyword_line(line, diags);
        }
        keys.mark(diags, k, Stage::Tree);
    }
}

impl<N: NodeSink> Walker<N> {
    pub fn new(root: &'static Schema, out: N) -> Self {
        Walker {
            root,
            frames: Vec::new(),
            open: Vec::new(),
            awaiting: None,
            count: 0,
            out,
        }
    }

    /// The end of the input: close what is open, report the missing `}`s, and give back the
    /// node sink.
    pub fn finish(mut self, diags: &mut Diagnostics, keys: &mut Keys) -> N {
        while !self.frames.is_empty() {
            self.close_frame();
        }
        if !self.open.is_empty() {
            let n = self.open.len();
            let last = self.open.last().copied();
            diags.items.push(Diagnostic {
                severity: Severity::Error,
                message: format!("There are {n} missing '}}'s or extra '{{'s"),
                span: last,
                help: Some("the last unclosed '{' is here".to_owned()),
            });
        }
        keys.mark(diags, self.count, Stage::Tree);
        self.out
    }

    /// The innermost block is done: its node goes to the block around it (or out).
    fn close_frame(&mut self) {
        let (head, body) = match self.frames.pop() {
            Some(Frame::Keywords {
                head, mut nodes, ..
            }) => {
                nodes.shrink_to_fit();
                (head, Body::Keywords(nodes))
            }
            Some(Frame::Values { head, mut lines }) => {
                lines.shrink_to_fit();
                (head, Body::Values(lines))
            }
            None => return,
        };
        self.add(Node {
            keyword: head.keyword,
            args: head.args,
            body,
            span: head.span,
        });
    }

    fn add(&mut self, node: Node) {
        match self.frames.last_mut() {
            Some(Frame::Keywords { nodes, .. }) => nodes.push(node),
            // A value block holds no nodes (never the last frame when a node is added).
            Some(Frame::Values { .. }) | None => self.out.node(node),
        }
    }

    /// A `}`: uncount it; report `Extra '}' found` when there was nothing to close.
    fn close_brace(&mut self, diags: &mut Diagnostics, span: Span) {
        if self.open.pop().is_none() {
            diags.push(Severity::Error, Some(span), "Extra '}' found");
        }
    }

    fn unexpected_open(&mut self, diags: &mut Diagnostics, span: Span) {
        self.open.push(span);
        diags.push(Severity::Error, Some(span), "Unexpected '{' - ignoring");
    }

    /// A line of a keyword block (or of the top level).
    fn keyword_line(&mut self, line: Line, diags: &mut Diagnostics) {
        let (schema, top) = match self.frames.last() {
            Some(Frame::Keywords { schema, .. }) => (*schema, false),
            _ => (self.root, true),
        };
        let line_span = line.span;
        let mut tokens = line.tokens;
        let brace = if tokens.len() > 1 && tokens.last().is_some_and(is_open) {
            tokens.pop()
        } else {
            None
        };
        if tokens.is_empty() {
            return;
        }
        // The keyword moves out; the rest of the vector (its allocation reused) is the args.
        let first = tokens.remove(0);
        let mut rest = tokens;
        if is_close(&first) || is_text(&first, "}") {
            if !first.quoted {
                self.close_brace(diags, first.span);
            }
            if top {
                diags.push(Severity::Error, Some(first.span), "Unknown keyword '}'");
                return;
            }
            self.close_frame();
            return;
        }
        if is_open(&first) || is_text(&first, "{") {
            if first.quoted {
                let span = Some(first.span);
                diags.push(Severity::Error, span, "Unexpected '{' - ignoring");
            } else {
                self.unexpected_open(diags, first.span);
            }
            return;
        }
        let brace_span = brace.map(|b| b.span);
        let Some(kw) = schema.get(&first.text) else {
            self.unknown(diags, &first, schema);
            if let Some(b) = brace_span {
                self.unexpected_open(diags, b);
                if let Some(d) = diags.items.last_mut() {
                    d.help = Some(format!(
                        "the lines of the unknown block `{}` are read as part of the \
                         enclosing block, and its `}}` closes that block",
                        first.text
                    ));
                }
            }
            return;
        };
        rest.shrink_to_fit();
        let head = Head {
            keyword: first,
            args: rest,
            span: line_span,
        };
        match kw.kind {
            Kind::Leaf => {
                if let Some(b) = brace_span {
                    self.unexpected_open(diags, b);
                }
                self.add(Node {
                    keyword: head.keyword,
                    args: head.args,
                    body: Body::None,
                    span: head.span,
                });
            }
            Kind::Block(inner) => {
                self.enter(brace_span, true);
                self.frames.push(Frame::Keywords {
                    schema: inner,
                    head,
                    nodes: Vec::new(),
                });
            }
            Kind::Values => {
                // keepalived 2.2.7 (observed): `virtual_ipaddress extra {` and
                // `track_script x {` give `Block virtual_ipaddress has extra parameters
                // extra ...`, and the block is read anyway. Top-level value blocks take a
                // name (`virtual_server_group NAME {`), so only nested ones are checked.
                if !top && let Some(extra) = head.args.first() {
                    let msg = format!(
                        "Block {} has extra parameters {} ...",
                        head.keyword.text, extra.text
                    );
                    diags.push(Severity::Error, Some(extra.span), msg);
                }
                self.enter(brace_span, false);
                self.frames.push(Frame::Values {
                    head,
                    lines: Vec::new(),
                });
            }
        }
    }

    /// Start a block: its `{` is on the keyword line, or alone on the next line, or missing.
    /// keepalived 2.2.7 reports a missing one (`Missing '{' at beginning of configuration
    /// block`, at the next line), but not at the end of the input (observed); a value block
    /// without `{` is read silently. The lines are read as the block's content either way.
    fn enter(&mut self, brace: Option<Span>, report_missing: bool) {
        match brace {
            Some(b) => self.open.push(b),
            None => self.awaiting = Some(report_missing),
        }
    }

    /// A raw line of a value block, up to its `}`.
    ///
    /// keepalived 2.2.7 hands a `{` in a value block to the allocator as a value line of its own
    /// (observed: `VRRP parsed invalid IP {. skipping IP...`), silently, but still counts it, so
    /// the value block's `}` only closes that `{`.
    fn value_line(&mut self, line: Line, diags: &mut Diagnostics) {
        let Some(first) = line.tokens.first() else {
            return;
        };
        if is_close(first) {
            let span = first.span;
            self.close_brace(diags, span);
            self.close_frame();
            return;
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
        tokens.shrink_to_fit();
        let Some(Frame::Values { lines, .. }) = self.frames.last_mut() else {
            return;
        };
        lines.push(tokens);
        if let Some(b) = brace {
            self.open.push(b.span);
            lines.push(vec![b]);
        }
    }

    fn unknown(&self, diags: &mut Diagnostics, word: &Token, schema: &Schema) {
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
            Some(h) => diags.push_help(Severity::Error, Some(word.span), msg, h),
            None => diags.push(Severity::Error, Some(word.span), msg),
        }
    }
}
