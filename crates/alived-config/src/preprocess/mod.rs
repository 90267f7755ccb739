//! The preprocessor: files and `include*`, comments, `@id` conditionals, `$NAME` definitions,
//! `~SEQ`/`~LST`, quoting and brace splitting. Yields logical [`Line`]s of tokens with spans,
//! in keepalived's processing order (behaviour spec 1.8):
//!
//! 1. read a physical line (a 1023-byte `fgets` chunk; NUL ends it), strip the EOL
//! 2. decomment; 3. multi-line `$NAME= \` accumulation; 4. `@`/`@^` conditional;
//! 5. `$NAME=` definition; 6. `~SEQ`/`~LST`; 7. `$` substitution, then decomment again;
//! 8. `include*`; 9. split at `{`/`}`; 10. tokenise. (11, keyword dispatch, is [`crate::tree`].)

mod defs;
pub mod glob;
pub mod include;
mod lex;
mod seq;

use crate::ast::Token;
use crate::diag::{Diagnostics, Severity};
use crate::order::{Keys, Stage};
use crate::span::{FileId, SourceMap, Span};
use defs::{Defs, Reserved, Subst};
use include::IncludeCheck;
use lex::Chars;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Command-line options that change how the text is read.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `-i/--config-id`: selects `@id` lines. keepalived defaults it to the host name up to the
    /// first `.`; the caller supplies that. `None`: every `@x` line is dropped, `@^x` kept.
    pub config_id: Option<String>,
    /// `-e/--all-config`: every include check on; a missing file is an error.
    pub all_config: bool,
}

/// One logical line: a keyword and its arguments, or a lone `{` / `}` (unquoted braces are
/// tokens of their own; a `{` is always the last token of its line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub tokens: Vec<Token>,
    pub span: Span,
}

/// keepalived reads lines with `fgets` into a 1024-byte buffer (`MAXBUF`): 1023 bytes at most.
/// keepalived 2.2.7 does not report a longer line: the rest is read as the next line (observed:
/// a 1111-byte `router_id aaa...` line gave `Unknown keyword 'aaa...'` for the last 88 bytes).
/// alived does the same and adds a note.
pub const MAX_LINE_BYTES: usize = 1023;
/// Nested includes deeper than this are refused (keepalived runs out of file descriptors:
/// `Configuration file 'x' open problem (Too many open files) - skipping`).
pub const MAX_INCLUDE_DEPTH: usize = 32;
/// Most logical lines one physical line may produce through `~SEQ`/`~LST` and multi-line
/// definitions.
pub const MAX_LINES_PER_LINE: usize = 1_000_000;
/// Nesting bound for `~SEQ` in `~SEQ` and definitions expanding to definitions.
const MAX_NEST: usize = 32;

/// Where the preprocessor's lines go, one at a time, as they are made (so the whole file's
/// lines never exist at once). `keys` orders the diagnostics (see [`crate::order`]): a sink
/// that adds diagnostics keys them before it returns.
pub(crate) trait LineSink {
    fn line(&mut self, line: Line, diags: &mut Diagnostics, keys: &mut Keys);
}

impl LineSink for Vec<Line> {
    fn line(&mut self, line: Line, _: &mut Diagnostics, _: &mut Keys) {
        self.push(line);
    }
}

/// Preprocess a file (and everything it includes).
pub fn preprocess_file(
    path: &Path,
    opts: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Vec<Line> {
    let mut out = Vec::new();
    let mut keys = Keys::new(diags);
    file_into(path, opts, sources, diags, &mut keys, &mut out);
    out
}

/// Preprocess in-memory text named `name`; relative includes are relative to the current
/// directory.
pub fn preprocess_str(
    name: &str,
    text: &str,
    opts: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Vec<Line> {
    let mut out = Vec::new();
    let mut keys = Keys::new(diags);
    str_into(name, text, opts, sources, diags, &mut keys, &mut out);
    out
}

/// [`preprocess_file`], giving each line to `sink` as it is made. Each diagnostic added is
/// keyed with the number of lines emitted before the physical line it is about.
pub(crate) fn file_into<S: LineSink>(
    path: &Path,
    opts: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
    keys: &mut Keys,
    sink: &mut S,
) {
    let mut p = Pre::new(opts, sources, diags, keys, sink);
    match read_capped(path, false) {
        Ok(bytes) => {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            p.stack.push(canonical(path));
            p.run_file(&path.to_string_lossy(), text_of(bytes), dir);
        }
        Err(_) => {
            // keepalived 2.2.7: `keepalived -t -f /nonexistent.conf` prints `Config files
            // missing '/nonexistent.conf'.` and exits 0 (observed); with -e it exits 4.
            let sev = if opts.all_config {
                Severity::Fatal
            } else {
                Severity::Note
            };
            p.diags.push(
                sev,
                None,
                format!("Config files missing '{}'.", path.display()),
            );
        }
    }
    p.finish();
}

/// [`preprocess_str`] into a sink, see [`file_into`].
pub(crate) fn str_into<S: LineSink>(
    name: &str,
    text: &str,
    opts: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
    keys: &mut Keys,
    sink: &mut S,
) {
    let mut p = Pre::new(opts, sources, diags, keys, sink);
    p.run_file(name, Arc::new(text.to_owned()), PathBuf::new());
    p.finish();
}

/// Largest configuration file read (keepalived has no limit; this keeps `include /dev/zero`
/// or a stray huge file from eating the memory).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Read a file, at most [`MAX_FILE_BYTES`]. With `regular_only` (included files) anything
/// but a regular file (a directory, a device, a FIFO) is refused.
fn read_capped(path: &Path, regular_only: bool) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if regular_only && !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_FILE_BYTES} bytes"
        )));
    }
    Ok(bytes)
}

/// File bytes as text (invalid UTF-8 replaced), without a copy when they are valid.
fn text_of(bytes: Vec<u8>) -> Arc<String> {
    match String::from_utf8(bytes) {
        Ok(s) => Arc::new(s),
        Err(e) => Arc::new(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Per-file state.
struct FileCtx {
    id: FileId,
    /// Directory of the file: base of relative includes (empty: the current directory).
    dir: PathBuf,
    /// `${_PWD}`.
    pwd: String,
}

/// A multi-line definition being collected.
struct Pending {
    name: String,
    body: String,
    started: bool,
}

struct Pre<'a, S> {
    opts: &'a Options,
    sources: &'a mut SourceMap,
    diags: &'a mut Diagnostics,
    defs: Defs,
    sink: &'a mut S,
    /// Lines given to the sink so far.
    emitted: usize,
    /// `emitted` when the physical line being read started (the key of its diagnostics).
    phys_start: usize,
    /// Canonical paths of the files being read, outermost first (include cycle detection).
    stack: Vec<PathBuf>,
    check: IncludeCheck,
    pending: Option<Pending>,
    /// Lines left for the current physical line (see [`MAX_LINES_PER_LINE`]).
    budget: usize,
    /// Reused line buffer.
    scratch: Chars,
    /// For each diagnostic added: the number of lines emitted before its physical line.
    keys: &'a mut Keys,
}

impl<'a, S: LineSink> Pre<'a, S> {
    fn new(
        opts: &'a Options,
        sources: &'a mut SourceMap,
        diags: &'a mut Diagnostics,
        keys: &'a mut Keys,
        sink: &'a mut S,
    ) -> Self {
        let check = if opts.all_config {
            IncludeCheck::ALL
        } else {
            IncludeCheck::default()
        };
        Pre {
            opts,
            sources,
            diags,
            defs: Defs::new(),
            sink,
            emitted: 0,
            phys_start: 0,
            stack: Vec::new(),
            check,
            pending: None,
            budget: MAX_LINES_PER_LINE,
            scratch: Chars::new(),
            keys,
        }
    }

    /// Give every diagnostic not keyed yet the key `key`.
    fn mark(&mut self, key: usize) {
        self.keys.mark(self.diags, key, Stage::Pre);
    }

    fn finish(mut self) {
        let n = self.emitted;
        self.mark(n);
    }

    fn run_file(&mut self, name: &str, text: Arc<String>, dir: PathBuf) {
        let id = self.sources.add_shared(name.to_owned(), Arc::clone(&text));
        let pwd = if dir.as_os_str().is_empty() {
            std::env::current_dir()
                .map(|d| d.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            dir.to_string_lossy().into_owned()
        };
        let ctx = FileCtx { id, dir, pwd };
        // include_check and an unfinished multi-line definition are per file.
        let saved_check = self.check;
        let saved_pending = self.pending.take();
        let saved_start = self.phys_start;
        let mut lines = text.split('\n').peekable();
        let mut lineno: u32 = 0;
        while let Some(raw) = lines.next() {
            if raw.is_empty() && lines.peek().is_none() {
                break;
            }
            lineno = lineno.saturating_add(1);
            let start = self.emitted;
            self.phys_start = start;
            self.physical(&ctx, lineno, raw);
            self.mark(start);
        }
        self.finish_pending();
        self.check = saved_check;
        self.pending = saved_pending;
        self.phys_start = saved_start;
    }

    /// Steps 1-3 for one physical line.
    fn physical(&mut self, ctx: &FileCtx, lineno: u32, raw: &str) {
        let mut raw = raw.strip_suffix('\r').unwrap_or(raw);
        let span = Span {
            file: ctx.id,
            line: lineno,
            col: 1,
            len: 0,
        };
        if let Some(nul) = raw.find('\0') {
            // keepalived 2.2.7 reads the line with fgets and uses it as a C string: the text
            // after the NUL is silently lost (observed, rc 0). Say so, without changing rc.
            self.diags.push(
                Severity::Note,
                Some(span),
                "configuration appears to have embedded NULs - ignoring the rest of the line",
            );
            raw = &raw[..nul];
        }
        if raw.len() <= MAX_LINE_BYTES {
            self.budget = MAX_LINES_PER_LINE;
            self.chunk(ctx, lineno, raw, 1);
            return;
        }
        self.diags.push(
            Severity::Note,
            Some(span),
            format!(
                "line too long ({} bytes, limit {MAX_LINE_BYTES}) - the rest is read as a new \
                 line, as keepalived 2.2.7 does",
                raw.len()
            ),
        );
        let mut rest = raw;
        let mut col = 1u32;
        while !rest.is_empty() {
            let mut cut = rest.len().min(MAX_LINE_BYTES);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            let (head, tail) = rest.split_at(cut);
            self.budget = MAX_LINES_PER_LINE;
            self.chunk(ctx, lineno, head, col);
            col = col.saturating_add(u32::try_from(head.chars().count()).unwrap_or(u32::MAX));
            rest = tail;
        }
    }

    fn chunk(&mut self, ctx: &FileCtx, lineno: u32, text: &str, first_col: u32) {
        // One buffer reused for every line: no allocation per line in the common case.
        let mut chars = std::mem::take(&mut self.scratch);
        chars.clear();
        chars.extend(text.chars().zip(first_col..));
        self.line_chars(ctx, lineno, &mut chars);
        self.scratch = chars;
    }

    fn line_chars(&mut self, ctx: &FileCtx, lineno: u32, chars: &mut Chars) {
        lex::decomment(chars);
        if let Some(p) = self.pending.as_mut() {
            let cont = chars.last().is_some_and(|&(c, _)| c == '\\');
            if cont {
                chars.pop();
                lex::trim(chars);
            }
            if p.started {
                p.body.push('\n');
            }
            p.started = true;
            p.body.extend(chars.iter().map(|&(c, _)| c));
            if !cont {
                self.finish_pending();
            }
            return;
        }
        if chars.is_empty() {
            return;
        }
        self.logical(ctx, lineno, chars, 0);
    }

    fn finish_pending(&mut self) {
        if let Some(p) = self.pending.take() {
            self.defs.set(&p.name, p.body);
        }
    }

    /// `@id` / `@^id`: `false` when the line is dropped; otherwise the prefix is removed.
    fn conditional(&self, chars: &mut Chars) -> bool {
        if chars.first().map(|c| c.0) != Some('@') {
            return true;
        }
        let negate = chars.get(1).map(|c| c.0) == Some('^');
        let start = if negate { 2 } else { 1 };
        let end = chars
            .iter()
            .skip(start)
            .position(|c| c.0.is_whitespace())
            .map_or(chars.len(), |p| p + start);
        let word = lex::to_string(&chars[start..end]);
        let matches = self.opts.config_id.as_deref() == Some(word.as_str());
        if matches == negate {
            return false;
        }
        chars.drain(..end);
        lex::trim(chars);
        true
    }

    /// Steps 4-10 for one logical line.
    fn logical(&mut self, ctx: &FileCtx, lineno: u32, chars: &mut Chars, depth: usize) {
        if !self.conditional(chars) || chars.is_empty() {
            return;
        }
        if let Some((name, value)) = defs::parse_definition(chars) {
            if value.last().is_some_and(|c| c.0 == '\\') {
                // `$NAME= \` starts a multi-line definition; so does `$NAME=text \` (observed
                // with 2.2.7: the text is the first line of the body).
                let mut first = value;
                first.pop();
                lex::trim(&mut first);
                let started = !first.is_empty();
                let body = lex::to_string(&first);
                self.pending = Some(Pending {
                    name,
                    body,
                    started,
                });
            } else {
                self.defs.set(&name, lex::to_string(&value));
            }
            return;
        }
        let line_span = |chars: &Chars| {
            let col = chars.first().map_or(1, |c| c.1);
            Span {
                file: ctx.id,
                line: lineno,
                col,
                len: 0,
            }
        };
        match seq::parse(chars) {
            Err(kind) => {
                // keepalived 2.2.7 wording (observed): a reason and `Invalid ~SEQ specification`
                // for ~SEQ, one line for ~LST.
                let text = lex::to_string(chars);
                let span = Some(line_span(chars));
                if let seq::Invalid::Seq(why) = kind {
                    let msg = format!("{} '{text}'", why.message());
                    self.diags.push(Severity::Error, span, msg);
                    let msg = format!("Invalid ~SEQ specification '{text}'");
                    self.diags.push(Severity::Error, span, msg);
                } else {
                    let msg = format!("Invalid ~LST specification '{text}'");
                    self.diags.push(Severity::Error, span, msg);
                }
                return;
            }
            Ok(Some(it)) => {
                if depth >= MAX_NEST {
                    self.too_deep(line_span(chars));
                    return;
                }
                for values in it.values {
                    if self.budget == 0 {
                        break;
                    }
                    for (var, value) in it.vars.iter().zip(values) {
                        self.defs.set(var, value);
                    }
                    let mut rest = it.rest.clone();
                    self.logical(ctx, lineno, &mut rest, depth + 1);
                }
                return;
            }
            Ok(None) => {}
        }
        let reserved = Reserved {
            pwd: &ctx.pwd,
            instance: self.opts.config_id.as_deref().unwrap_or(""),
        };
        let mut st = Subst::default();
        if let Some(sub) = self.defs.substitute(chars, &reserved, &mut st) {
            if let Some(name) = st.too_deep {
                self.diags.push(
                    Severity::Error,
                    Some(line_span(chars)),
                    format!("Definition '${name}' expands too deeply (does it refer to itself?) - ignoring line"),
                );
                return;
            }
            if depth >= MAX_NEST {
                self.too_deep(line_span(chars));
                return;
            }
            // A multi-line definition expands back into several lines; each is read again,
            // so it may hold conditionals, definitions and `~SEQ`s of its own.
            let mut piece = Chars::new();
            for c in sub.into_iter().chain(std::iter::once(('\n', 0))) {
                if c.0 == '\n' {
                    lex::decomment(&mut piece);
                    if !piece.is_empty() {
                        self.logical(ctx, lineno, &mut piece, depth + 1);
                    }
                    piece.clear();
                } else {
                    piece.push(c);
                }
            }
            return;
        }
        if self.include(ctx, lineno, chars) {
            return;
        }
        self.emit(ctx, lineno, chars);
    }

    fn too_deep(&mut self, span: Span) {
        self.diags.push(
            Severity::Error,
            Some(span),
            format!("Definitions or ~SEQ nested more than {MAX_NEST} deep - ignoring line"),
        );
    }

    /// Steps 9-10: split at braces, tokenise, and emit.
    fn emit(&mut self, ctx: &FileCtx, lineno: u32, chars: &Chars) {
        let mut segs = Vec::new();
        if lex::tokenise(chars, ctx.id, lineno, &mut segs).is_some() {
            let text = lex::to_string(chars);
            let span = Some(Span {
                file: ctx.id,
                line: lineno,
                col: chars.first().map_or(1, |c| c.1),
                len: 0,
            });
            self.diags.push(
                Severity::Error,
                span,
                format!("Unterminated quote '{text}'"),
            );
            self.diags
                .push(Severity::Error, span, format!("Unmatched quote: '{text}'"));
        }
        for tokens in segs {
            if self.budget == 0 {
                self.diags.push(
                    Severity::Error,
                    Some(Span {
                        file: ctx.id,
                        line: lineno,
                        col: 1,
                        len: 0,
                    }),
                    format!(
                        "line expands to more than {MAX_LINES_PER_LINE} lines - ignoring the rest"
                    ),
                );
                return;
            }
            self.budget -= 1;
            let (Some(first), Some(last)) = (tokens.first(), tokens.last()) else {
                continue;
            };
            let end = if last.span.line == first.span.line {
                last.span.col + last.span.len
            } else {
                first.span.col
            };
            let span = Span {
                len: end.saturating_sub(first.span.col),
                ..first.span
            };
            // Our diagnostics so far belong before the walker's for this line.
            let start = self.phys_start;
            self.mark(start);
            self.sink.line(Line { tokens, span }, self.diags, self.keys);
            self.emitted += 1;
        }
    }
}
