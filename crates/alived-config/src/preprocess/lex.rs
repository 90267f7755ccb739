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

/// Why tokenising a line complained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LexProblem {
    UnterminatedQuote,
}

/// Split a logical line into segments: each `{` ends a segment (and is its last token), each
/// `}` is a segment of its own, as keepalived's `read_line()` splits lines at braces.
/// An unterminated quoted token is dropped (keepalived keeps nothing of it either: observed
/// `router_id "abc` gives `routerid name missing`).
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
        let mut quoted = false;
        let mut in_quote = false;
        let start = col;
        let mut end = col;
        while i < n {
            let (c, col) = chars[i];
            if c == '"' {
                in_quote = !in_quote;
                quoted = true;
                end = end.max(col);
                i += 1;
                continue;
            }
            if !in_quote {
                if c.is_whitespace() || c == '{' || c == '}' {
                    break;
                }
                if c == '\\'
                    && let Some(&(e @ ('#' | '!'), ecol)) = chars.get(i + 1)
                {
                    text.push(e);
                    end = end.max(ecol);
                    i += 2;
                    continue;
                }
            }
            text.push(c);
            end = end.max(col);
            i += 1;
        }
        if in_quote {
            problem = Some(LexProblem::UnterminatedQuote);
            continue;
        }
        let len = end.saturating_sub(start) + 1;
        cur.push(Token {
            text,
            span: Span {
                file,
                line,
                col: start,
                len,
            },
            quoted,
        });
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
    fn quotes_join_adjacent_text() {
        assert_eq!(
            toks(r#"abcd" efg h jkl "mnop x"#),
            vec![vec!["abcd efg h jkl mnop", "x"]]
        );
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
