//! keepalived.conf front end: text -> tokens (with spans) -> AST -> typed model + diagnostics.
//!
//! Pure: no sockets, no clock, no runtime. The stages (ARCHITECTURE.md section 4, rule 7):
//! - [`preprocess`]: files, `include*`, `@id` conditionals, `$NAME` definitions, `~SEQ`/`~LST`,
//!   comments and quoting, brace splitting; yields logical lines of [`ast::Token`]s.
//! - [`tree`]: the keyword-table driven block walker (keepalived's recovery quirks included)
//!   that turns lines into an [`ast::Node`] tree, guided by a [`schema::Schema`].
//! - [`render`]: plain-text diagnostics for `alived -t`, and keepalived's own log-line form.
//!
//! Memory: the stages run as a stream. Each line goes to the walker as soon as it is made,
//! and each finished top-level node is kept packed (`packed`, a byte string) until the model
//! takes it, unpacked, one at a time (the model applies every `global_defs` first, so the
//! whole file is read before it starts). A file's text is kept once, for the diagnostics.
//! `alived -t` on 10,000 instances and 1,000 virtual servers peaks below keepalived's RSS
//! (bench/README.md).
//!
//! Compatibility with keepalived 2.2.7 (each point checked with `keepalived -t`; the module
//! docs and comments give the observations):
//! - Messages use keepalived's wording; one diagnostic per problem (keepalived prints each up
//!   to three times, once per process). Severities map to the same `-t` exit codes.
//! - A quote delimits a token (`a" b"c` is `a`, ` b`, `c`); an unterminated quote drops the
//!   quoted text. A long line is read in 1023-byte pieces; a NUL ends the line (both with a
//!   note; 2.2.7 is silent).
//! - Where 2.2.7 hangs or crashes (`$A=${A}`, a huge `~SEQ`, an include cycle), alived reports
//!   an error and carries on.
//! - `include_check` is accepted (newer keepalived); 2.2.7 calls it an unknown keyword.
//! - keepalived's `'{' missing from beginning of block` could not be triggered with 2.2.7 and
//!   is not produced.
#![forbid(unsafe_code)]

pub mod ast;
pub mod diag;
pub mod keywords;
pub mod model;
mod order;
mod packed;
pub mod preprocess;
pub mod render;
pub mod schema;
pub mod span;
pub mod suggest;
pub mod tree;

use std::path::Path;

pub use preprocess::Options;

/// The result of reading a configuration: the tree, the files read, and what went wrong.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub nodes: Vec<ast::Node>,
    pub sources: span::SourceMap,
    pub diags: diag::Diagnostics,
}

impl Parsed {
    /// Every diagnostic rendered for `alived -t` (see [`render::render`]).
    pub fn report(&self) -> String {
        render::render_all(&self.diags, &self.sources)
    }

    /// The `keepalived -t` exit code these diagnostics give.
    pub fn exit_code(&self) -> i32 {
        self.diags.exit_code()
    }
}

/// Parse in-memory text named `name` under the keyword table `root`.
pub fn parse_str(name: &str, text: &str, opts: &Options, root: &'static schema::Schema) -> Parsed {
    let (nodes, sources, diags) = parse_into(Input::Str(name, text), opts, root, Vec::new());
    Parsed {
        nodes,
        sources,
        diags,
    }
}

/// Parse a file (and its includes) under the keyword table `root`.
pub fn parse_file(path: &Path, opts: &Options, root: &'static schema::Schema) -> Parsed {
    let (nodes, sources, diags) = parse_into(Input::File(path), opts, root, Vec::new());
    Parsed {
        nodes,
        sources,
        diags,
    }
}

enum Input<'a> {
    File(&'a Path),
    Str(&'a str, &'a str),
}

/// Preprocess and walk, each line walked as soon as it is made and each finished top-level
/// node given to `out`; then put all diagnostics in reading order (see [`order`]).
fn parse_into<N: tree::NodeSink>(
    input: Input<'_>,
    opts: &Options,
    root: &'static schema::Schema,
    out: N,
) -> (N, span::SourceMap, diag::Diagnostics) {
    let mut sources = span::SourceMap::default();
    let mut diags = diag::Diagnostics::default();
    let mut keys = order::Keys::new(&diags);
    let mut walker = tree::Walker::new(root, out);
    match input {
        Input::File(path) => {
            preprocess::file_into(path, opts, &mut sources, &mut diags, &mut keys, &mut walker)
        }
        Input::Str(name, text) => preprocess::str_into(
            name,
            text,
            opts,
            &mut sources,
            &mut diags,
            &mut keys,
            &mut walker,
        ),
    }
    let out = walker.finish(&mut diags, &mut keys);
    keys.sort(&mut diags);
    (out, sources, diags)
}

/// Options for [`load_file`] / [`load_str`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// How the text is read (`-i` config id, `-e` all-config).
    pub parse: Options,
    /// Host facts to check against (existing interfaces); empty = no host checks.
    pub host: model::HostFacts,
}

/// A loaded configuration: the typed model, the files read, and every diagnostic (front end
/// and model, in order). `diags.exit_code()` is what `keepalived -t` would return.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: model::Config,
    pub sources: span::SourceMap,
    pub diags: diag::Diagnostics,
}

fn load(input: Input<'_>, opts: &LoadOptions) -> Loaded {
    let (packed, sources, mut diags) = parse_into(
        input,
        &opts.parse,
        &keywords::ROOT,
        packed::Packed::default(),
    );
    let globals = packed.globals();
    let config = model::build_from(&globals, packed.into_nodes(), &opts.host, &mut diags);
    Loaded {
        config,
        sources,
        diags,
    }
}

/// Reads, checks and types the configuration in `path` (and its includes).
pub fn load_file(path: &Path, opts: &LoadOptions) -> Loaded {
    load(Input::File(path), opts)
}

/// Reads, checks and types in-memory configuration text named `name`.
pub fn load_str(name: &str, text: &str, opts: &LoadOptions) -> Loaded {
    load(Input::Str(name, text), opts)
}
