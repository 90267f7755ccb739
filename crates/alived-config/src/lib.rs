//! keepalived.conf front end: text -> tokens (with spans) -> AST -> typed model + diagnostics.
//!
//! Pure: no sockets, no clock, no runtime. The stages (ARCHITECTURE.md section 4, rule 7):
//! - [`preprocess`]: files, `include*`, `@id` conditionals, `$NAME` definitions, `~SEQ`/`~LST`,
//!   comments and quoting, brace splitting; yields logical lines of [`ast::Token`]s.
//! - [`tree`]: the keyword-table driven block walker (keepalived's recovery quirks included)
//!   that turns lines into an [`ast::Node`] tree, guided by a [`schema::Schema`].
//! - [`render`]: plain-text diagnostics for `alived -t`.
#![forbid(unsafe_code)]

pub mod ast;
pub mod diag;
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

/// Parse in-memory text named `name` under the keyword table `root`.
pub fn parse_str(name: &str, text: &str, opts: &Options, root: &'static schema::Schema) -> Parsed {
    let mut sources = span::SourceMap::default();
    let mut diags = diag::Diagnostics::default();
    let lines = preprocess::preprocess_str(name, text, opts, &mut sources, &mut diags);
    let nodes = tree::build_tree_owned(lines, root, &mut diags);
    Parsed {
        nodes,
        sources,
        diags,
    }
}

/// Parse a file (and its includes) under the keyword table `root`.
pub fn parse_file(path: &Path, opts: &Options, root: &'static schema::Schema) -> Parsed {
    let mut sources = span::SourceMap::default();
    let mut diags = diag::Diagnostics::default();
    let lines = preprocess::preprocess_file(path, opts, &mut sources, &mut diags);
    let nodes = tree::build_tree_owned(lines, root, &mut diags);
    Parsed {
        nodes,
        sources,
        diags,
    }
}
