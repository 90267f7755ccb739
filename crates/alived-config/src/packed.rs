//! Finished top-level nodes kept packed until the model reads them: one byte string per node
//! (varints, token text inline) instead of a tree of `String`s and `Vec`s. The model needs
//! every `global_defs` before anything else, so the whole file is read before the first node
//! is typed; packed, the waiting nodes take a fraction of the memory, and each is unpacked
//! (and its bytes freed) only when the model takes it.

use crate::ast::{Body, Node, Token};
use crate::span::{FileId, Span};
use crate::tree::NodeSink;

/// Top-level nodes, packed, in reading order.
#[derive(Debug, Default)]
pub(crate) struct Packed {
    nodes: Vec<Box<[u8]>>,
    /// Reused encoding buffer.
    buf: Vec<u8>,
}

impl NodeSink for Packed {
    fn node(&mut self, node: Node) {
        let mut w = Writer {
            out: std::mem::take(&mut self.buf),
            line: 0,
        };
        w.out.clear();
        w.node(&node);
        self.nodes.push(w.out.as_slice().into());
        self.buf = w.out;
    }
}

impl Packed {
    /// The `global_defs` nodes, unpacked (the others are skipped after their keyword).
    pub fn globals(&self) -> Vec<Node> {
        self.nodes
            .iter()
            .filter_map(|b| {
                let mut r = Reader { data: b, line: 0 };
                let kw = r.token()?;
                if kw.text != "global_defs" {
                    return None;
                }
                Reader { data: b, line: 0 }.node()
            })
            .collect()
    }

    /// Every node in order, each unpacked when it is taken (its bytes freed then).
    pub fn into_nodes(self) -> Unpack {
        Unpack {
            nodes: self.nodes.into_iter(),
        }
    }
}

/// See [`Packed::into_nodes`]; knows how many nodes are left.
pub(crate) struct Unpack {
    nodes: std::vec::IntoIter<Box<[u8]>>,
}

impl Iterator for Unpack {
    type Item = Node;

    fn next(&mut self) -> Option<Node> {
        // A node that does not unpack (never: the bytes are our own) is left out.
        self.nodes
            .by_ref()
            .find_map(|b| Reader { data: &b, line: 0 }.node())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.nodes.len(), Some(self.nodes.len()))
    }
}

struct Writer {
    out: Vec<u8>,
    /// Line of the previous token (lines are written as differences).
    line: u32,
}

impl Writer {
    fn uint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    fn int(&mut self, v: i64) {
        self.uint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn span(&mut self, s: Span) {
        self.uint(u64::from(s.file.0));
        self.int(i64::from(s.line) - i64::from(self.line));
        self.line = s.line;
        self.uint(u64::from(s.col));
        self.uint(u64::from(s.len));
    }

    fn token(&mut self, t: &Token) {
        self.uint(((t.text.len() as u64) << 1) | u64::from(t.quoted));
        self.out.extend_from_slice(t.text.as_bytes());
        self.span(t.span);
    }

    fn tokens(&mut self, ts: &[Token]) {
        self.uint(ts.len() as u64);
        for t in ts {
            self.token(t);
        }
    }

    fn node(&mut self, n: &Node) {
        self.token(&n.keyword);
        self.tokens(&n.args);
        self.span(n.span);
        match &n.body {
            Body::None => self.out.push(0),
            Body::Keywords(nodes) => {
                self.out.push(1);
                self.uint(nodes.len() as u64);
                for n in nodes {
                    self.node(n);
                }
            }
            Body::Values(lines) => {
                self.out.push(2);
                self.uint(lines.len() as u64);
                for l in lines {
                    self.tokens(l);
                }
            }
        }
    }
}

/// Reads what [`Writer`] wrote; `None` only if the bytes were not written by it.
struct Reader<'a> {
    data: &'a [u8],
    line: u32,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }

    fn uint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.uint()?).ok()
    }

    fn len(&mut self) -> Option<usize> {
        usize::try_from(self.uint()?).ok()
    }

    fn span(&mut self) -> Option<Span> {
        let file = FileId(self.u32()?);
        let z = self.uint()?;
        let delta = ((z >> 1) as i64) ^ -((z & 1) as i64);
        let line = u32::try_from(i64::from(self.line) + delta).ok()?;
        self.line = line;
        let col = self.u32()?;
        let len = self.u32()?;
        Some(Span {
            file,
            line,
            col,
            len,
        })
    }

    fn token(&mut self) -> Option<Token> {
        let head = self.uint()?;
        let n = usize::try_from(head >> 1).ok()?;
        let bytes = self.data.get(..n)?;
        self.data = self.data.get(n..)?;
        let text = std::str::from_utf8(bytes).ok()?.to_owned();
        Some(Token {
            text,
            span: self.span()?,
            quoted: head & 1 == 1,
        })
    }

    fn tokens(&mut self) -> Option<Vec<Token>> {
        let n = self.len()?;
        // Never trust a count for an allocation: each token takes at least 5 bytes.
        let mut v = Vec::with_capacity(n.min(self.data.len() / 5));
        for _ in 0..n {
            v.push(self.token()?);
        }
        Some(v)
    }

    fn node(&mut self) -> Option<Node> {
        let keyword = self.token()?;
        let args = self.tokens()?;
        let span = self.span()?;
        let body = match self.byte()? {
            0 => Body::None,
            1 => {
                let n = self.len()?;
                let mut nodes = Vec::with_capacity(n.min(self.data.len() / 8));
                for _ in 0..n {
                    nodes.push(self.node()?);
                }
                Body::Keywords(nodes)
            }
            2 => {
                let n = self.len()?;
                let mut lines = Vec::with_capacity(n.min(self.data.len()));
                for _ in 0..n {
                    lines.push(self.tokens()?);
                }
                Body::Values(lines)
            }
            _ => return None,
        };
        Some(Node {
            keyword,
            args,
            body,
            span,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Options;

    #[test]
    fn round_trip() {
        let text = "global_defs {\n router_id \"a b\"\n}\nvrrp_instance V {\n interface eth0\n \
                    virtual_ipaddress {\n  10.0.0.1/24 dev eth0\n }\n unicast_peer {\n }\n}\n\
                    $X=é\nvirtual_server 10.0.0.9 80 {\n real_server 10.0.0.2 80 {\n  \
                    TCP_CHECK {\n   connect_port ${X}\n  }\n }\n}\nglobal_defs {\n}\n";
        let p = crate::parse_str("t.conf", text, &Options::default(), &crate::keywords::ROOT);
        let mut packed = Packed::default();
        for n in p.nodes.iter().cloned() {
            packed.node(n);
        }
        let globals: Vec<Node> = p
            .nodes
            .iter()
            .filter(|n| n.keyword.text == "global_defs")
            .cloned()
            .collect();
        assert_eq!(globals.len(), 2);
        assert_eq!(packed.globals(), globals);
        assert_eq!(packed.into_nodes().collect::<Vec<_>>(), p.nodes);
    }

    #[test]
    fn lines_go_back_and_forth() {
        let node = Node {
            keyword: Token {
                text: "x".into(),
                span: Span {
                    file: FileId(3),
                    line: 90,
                    col: 7,
                    len: 1,
                },
                quoted: false,
            },
            args: vec![Token {
                text: String::new(),
                span: Span {
                    file: FileId(0),
                    line: u32::MAX,
                    col: u32::MAX,
                    len: 0,
                },
                quoted: true,
            }],
            body: Body::Values(vec![vec![], vec![]]),
            span: Span::default(),
        };
        let mut packed = Packed::default();
        packed.node(node.clone());
        assert_eq!(packed.into_nodes().collect::<Vec<_>>(), vec![node]);
    }
}
