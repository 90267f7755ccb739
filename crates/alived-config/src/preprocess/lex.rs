//! Lexical helpers: comment stripping (`decomment`), tokenising with quotes, and splitting a
//! logical line at unquoted `{` / `}` (behaviour spec 1.1, 1.2).
//!
//! Text is carried as [`Chars`]: each character with the 1-based column it came from, so a token
//! made from substituted text still points at the place it was used.

use crate::ast::Token;
use crate::span::{FileId, Span};

/// A character and the 1-based column of its origin on the physical line.
pub(crate) type Chars = Vec<(char, u32)>;

/// Turn a physical line into [`Chars`], columns counted in characters from 1.
#[cfg(test)]
pub(crate) fn to_chars(line: &str) -> Chars {
    line.chars().zip(1u32..).collect()
}

pub(crate) fn to_string(chars: &[(char, u32)]) -> String {
    chars.iter().map(|&(c, _)| c).collect()
}

/// Remove a `!`/`#` comment (not inside `"..."`, not escaped as `\#`/`\!`) and surrounding
/// whitespace. Escapes are kept: the tokeniser resolves them, so a second pass after
/// substitution still sees them as escaped.
pub(crate) fn decomment(chars: &mut Chars) {
    let mut in_quote = false;
    let mut i = 0;
    let mut cut = chars.len();
    while i < chars.len() {
        let c = chars[i].0;
        if c == '"' {
            in_quote = !in_quote;
        } else if !in_quote {
            if c == '\\' && matches!(chars.get(i + 1), Some(('#' | '!', _))) {
                i += 2;
                continue;
            }
            if c == '#' || c == '!' {
                cut = i;
                break;
            }
        }
        i += 1;
    }
    chars.truncate(cut);
    trim(chars);
}

pub(crate) fn trim(chars: &mut Chars) {
    while chars.last().is_some_and(|(c, _)| c.is_whitespace()) {
        chars.pop();
    }
    let lead = chars.iter().take_while(|(c, _)| c.is_whitespace()).count();
    if lead > 0 {
        chars.drain(..lead);
    }
}

fn token(text: String, file: FileId, line: u32, start: u32, end: u32, quoted: bool) -> Token {
    let len = end.saturating_sub(start) + 1;
    Token {
        text,
        span: Span {
            file,
            line,
            col: start,
            len,
        },
        quoted,
    }
}

/// Why tokenising a line complained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LexProblem {
    UnterminatedQuote,
}

/// Split a logical line into segments: each `{` ends a segment (and is its last token), each
/// `}` is a segment of its own, as keepalived's `read_line()` splits lines at braces.
/// A `"` starts a token of its own and the closing `"` ends it: keepalived 2.2.7 does not join
/// adjacent text (observed: `label a" b"c` gives the tokens `a`, ` b` and `c`; `router"_id"`
/// gives `Unknown keyword 'router'`). An unterminated quote ends the line.
pub(crate) fn tokenise(
    chars: &[(char, u32)],
    file: FileId,
    line: u32,
    out: &mut Vec<Vec<Token>>,
) -> Option<LexProblem> {
    let mut problem = None;
    let mut cur: Vec<Token> = Vec::new();
    let mut i = 0;
    let n = chars.len();
    while i < n {
        let (c, col) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '{' || c == '}' {
            let tok = Token {
                text: c.to_string(),
                span: Span {
                    file,
                    line,
                    col,
                    len: 1,
                },
                quoted: false,
            };
            if c == '{' {
                cur.push(tok);
                out.push(std::mem::take(&mut cur));
            } else {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(vec![tok]);
            }
            i += 1;
            continue;
        }
        let mut text = String::new();
        let start = col;
        let mut end = col;
        if c == '"' {
            // A quoted string is one token of its own, quotes removed.
            i += 1;
            let mut closed = false;
            while i < n {
                let (c, col) = chars[i];
                i += 1;
                end = col;
                if c == '"' {
                    closed = true;
                    break;
                }
                text.push(c);
            }
            if !closed {
                // keepalived 2.2.7 drops the unterminated string (`router_id "abc` has no
                // argument, observed) and reports the line.
                problem = Some(LexProblem::UnterminatedQuote);
                continue;
            }
            cur.push(token(text, file, line, start, end, true));
            continue;
        }
        while i < n {
            let (c, col) = chars[i];
            if c.is_whitespace() || c == '{' || c == '}' || c == '"' {
                break;
            }
            if c == '\\'
                && let Some(&(e @ ('#' | '!'), ecol)) = chars.get(i + 1)
            {
                text.push(e);
                end = ecol;
                i += 2;
                continue;
            }
            text.push(c);
            end = end.max(col);
            i += 1;
        }
        cur.push(token(text, file, line, start, end, false));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    problem
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let mut c = to_chars(s);
        decomment(&mut c);
        tokenise(&c, FileId(0), 1, &mut out);
        out.into_iter()
            .map(|l| l.into_iter().map(|t| t.text).collect())
            .collect()
    }

    #[test]
    fn quotes_delimit_tokens() {
        let want = vec![vec!["abcd", " efg h jkl ", "mnop", "x"]];
        assert_eq!(toks(r#"abcd" efg h jkl "mnop x"#), want);
        assert_eq!(toks(r#"a "" b"#), vec![vec!["a", "", "b"]]);
    }

    #[test]
    fn comments_and_escapes() {
        assert_eq!(toks(r#"a "b # c" d # e"#), vec![vec!["a", "b # c", "d"]]);
        assert_eq!(toks(r"a\#b c\!d ! x"), vec![vec!["a#b", "c!d"]]);
        assert_eq!(toks("   ! only a comment"), Vec::<Vec<String>>::new());
    }

    #[test]
    fn braces_split_lines() {
        assert_eq!(
            toks(r#"global_defs { router_id "R {1}" } x"#),
            vec![
                vec!["global_defs", "{"],
                vec!["router_id", "R {1}"],
                vec!["}"],
                vec!["x"]
            ]
        );
    }

    #[test]
    fn spans_point_at_columns() {
        let mut out = Vec::new();
        tokenise(&to_chars("  ab \"c d\""), FileId(0), 3, &mut out);
        let t = &out[0];
        assert_eq!((t[0].span.col, t[0].span.len), (3, 2));
        assert_eq!((t[1].span.col, t[1].span.len), (6, 5));
        assert!(t[1].quoted);
    }
}
