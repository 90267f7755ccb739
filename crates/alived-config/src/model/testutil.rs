//! Test-only miniature block walker so model rules can be tested on config text without the
//! full front end: whitespace tokens, `"..."` quotes, `{`/`}` as separate tokens, `#`/`!`
//! comments. No includes, no definitions, no recovery quirks.

use crate::ast::{Body, Node, Token};
use crate::diag::Diagnostics;
use crate::schema::{Kind, Schema};
use crate::span::Span;

fn lex(text: &str) -> Vec<Vec<Token>> {
    let mut lines = Vec::new();
    for (ln, raw) in text.lines().enumerate() {
        let mut toks = Vec::new();
        let mut cur = String::new();
        let mut start = 0;
        let mut quoted = false;
        let mut in_q = false;
        let chars: Vec<char> = raw.chars().collect();
        let flush = |cur: &mut String, start: usize, quoted: &mut bool, toks: &mut Vec<Token>| {
            if !cur.is_empty() || *quoted {
                toks.push(Token {
                    text: std::mem::take(cur),
                    span: Span {
                        file: Default::default(),
                        line: ln as u32 + 1,
                        col: start as u32 + 1,
                        len: 0,
                    },
                    quoted: *quoted,
                });
            }
            *quoted = false;
        };
        for (i, &c) in chars.iter().enumerate() {
            if in_q {
                if c == '"' {
                    in_q = false;
                } else {
                    cur.push(c);
                }
                continue;
            }
            match c {
                '"' => {
                    if cur.is_empty() {
                        start = i;
                    }
                    in_q = true;
                    quoted = true;
                }
                '#' | '!' => break,
                '{' | '}' => {
                    flush(&mut cur, start, &mut quoted, &mut toks);
                    cur.push(c);
                    flush(&mut cur, i, &mut quoted, &mut toks);
                }
                c if c.is_whitespace() => flush(&mut cur, start, &mut quoted, &mut toks),
                c => {
                    if cur.is_empty() {
                        start = i;
                    }
                    cur.push(c);
                }
            }
        }
        flush(&mut cur, start, &mut quoted, &mut toks);
        // Split at braces into logical lines.
        let mut line = Vec::new();
        for t in toks {
            if t.text == "{" || t.text == "}" {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(vec![t]);
            } else {
                line.push(t);
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

fn walk(lines: &[Vec<Token>], pos: &mut usize, schema: &Schema) -> Vec<Node> {
    let mut out = Vec::new();
    while *pos < lines.len() {
        let line = &lines[*pos];
        *pos += 1;
        let kw = &line[0];
        if kw.text == "}" {
            return out;
        }
        let Some(k) = schema.get(&kw.text) else {
            continue;
        };
        let opens = lines.get(*pos).is_some_and(|l| l[0].text == "{");
        let body = match k.kind {
            Kind::Leaf => Body::None,
            Kind::Block(s) if opens => {
                *pos += 1;
                Body::Keywords(walk(lines, pos, s))
            }
            Kind::Values if opens => {
                *pos += 1;
                let mut v = Vec::new();
                while *pos < lines.len() && lines[*pos][0].text != "}" {
                    v.push(lines[*pos].clone());
                    *pos += 1;
                }
                *pos += 1;
                Body::Values(v)
            }
            _ => Body::None,
        };
        out.push(Node {
            keyword: kw.clone(),
            args: line[1..].to_vec(),
            body,
            span: kw.span,
        });
    }
    out
}

pub(crate) fn nodes(text: &str) -> Vec<Node> {
    let lines = lex(text);
    let mut pos = 0;
    walk(&lines, &mut pos, &crate::keywords::ROOT)
}

/// Builds the model from text; returns the config and the diagnostic messages.
pub(crate) fn load(text: &str) -> (super::Config, Vec<String>, Diagnostics) {
    let mut d = Diagnostics::default();
    let c = super::build(nodes(text), &super::HostFacts::default(), &mut d);
    let msgs = d.items.iter().map(|i| i.message.clone()).collect();
    (c, msgs, d)
}
