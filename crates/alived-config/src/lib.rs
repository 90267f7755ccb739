//! keepalived.conf front end: text -> tokens (with spans) -> AST -> typed model + diagnostics.
//!
//! Pure: no sockets, no clock, no runtime. The stages (ARCHITECTURE.md section 4, rule 7):
//! - [`preprocess`]: files, `include*`, `@id` conditionals, `$NAME` definitions, `~SEQ`/`~LST`,
//!   comments and quoting, brace splitting; yields logical lines of [`ast::Token`]s.
//! - [`tree`]: the keyword-table driven block walker (keepalived's recovery quirks included)
//!   that turns lines into an [`ast::Node`] tree, guided by a [`schema::Schema`].
//! - [`model`]: the validated, typed configuration with keepalived's defaults and cross-checks.
#![forbid(unsafe_code)]

pub mod ast;
pub mod diag;
pub mod keywords;
pub mod model;
pub mod schema;
pub mod span;
