//! The syntax tree: tokens with spans, arranged in blocks by the keyword-table walker.

use crate::span::Span;
use serde::Serialize;

/// One token after preprocessing: definitions substituted, quotes removed. As in keepalived
/// 2.2.7 a quote also delimits a token (`ab"c d"` is the two tokens `ab` and `c d`).
/// `quoted` says whether the token was a quoted string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    pub text: String,
    pub span: Span,
    pub quoted: bool,
}

/// A keyword line, with its arguments and, for a block keyword, the block's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    pub keyword: Token,
    pub args: Vec<Token>,
    pub body: Body,
    /// The whole statement: from the keyword to the end of its line.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Body {
    /// A plain keyword line.
    None,
    /// A keyword block: every line inside was looked up in that block's keyword table.
    Keywords(Vec<Node>),
    /// A value block (`virtual_ipaddress`, `unicast_peer`, `group`...): each line raw.
    Values(Vec<Vec<Token>>),
}
