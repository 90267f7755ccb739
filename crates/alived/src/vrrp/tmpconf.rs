//! TEMPORARY: a minimal keepalived.conf tree reader, used until the config model
//! (`alived_config::load_file`) lands in main. It knows the block structure only (keyword,
//! words, `{ ... }` bodies, `#`/`!` comments, `include` of one plain path); keyword meaning is
//! in `build.rs`. No `@id` lines, `$VAR`s, `~SEQ` or quoting. Delete when the model lands.

use std::path::Path;

/// One line of the config: a keyword, its words, and a `{ ... }` body if it has one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    pub keyword: String,
    pub args: Vec<String>,
    pub body: Option<Vec<Node>>,
    /// 1-based line of the keyword.
    pub line: usize,
}

impl Node {
    /// The first child with this keyword.
    pub fn child(&self, kw: &str) -> Option<&Node> {
        self.children().iter().find(|n| n.keyword == kw)
    }
    pub fn children(&self) -> &[Node] {
        self.body.as_deref().unwrap_or(&[])
    }
    /// The first word after the keyword.
    pub fn arg(&self) -> Option<&str> {
        self.args.first().map(String::as_str)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: unexpected '}}'")]
    UnexpectedClose { path: String, line: usize },
    #[error("{path}: missing '}}' at end of file")]
    Unclosed { path: String },
}

/// Reads and parses `path` (and plain `include` files, relative to its directory).
pub fn read(path: &Path) -> Result<Vec<Node>, TreeError> {
    read_depth(path, 0)
}

fn read_depth(path: &Path, depth: u32) -> Result<Vec<Node>, TreeError> {
    let text = std::fs::read_to_string(path).map_err(|source| TreeError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let nodes = parse(&text, &path.display().to_string())?;
    let mut out = Vec::new();
    for n in nodes {
        if n.keyword == "include" && depth < 8 {
            if let Some(inc) = n.arg() {
                let p = path.parent().unwrap_or(Path::new("/")).join(inc);
                out.extend(read_depth(&p, depth + 1)?);
            }
        } else {
            out.push(n);
        }
    }
    Ok(out)
}

/// Splits a line into words, with `{` and `}` as words of their own.
fn words(line: &str) -> Vec<String> {
    let line = line.split(['#', '!']).next().unwrap_or("");
    let spaced = line.replace('{', " { ").replace('}', " } ");
    spaced.split_whitespace().map(str::to_owned).collect()
}

/// Parses config text into a tree.
pub fn parse(text: &str, path: &str) -> Result<Vec<Node>, TreeError> {
    // A stack of open bodies; the bottom one is the top level.
    let mut stack: Vec<Vec<Node>> = vec![Vec::new()];
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        let mut current: Option<Node> = None;
        for w in words(line) {
            match w.as_str() {
                "{" => {
                    let node = current.take().unwrap_or_default();
                    // The open node is parked as the last child of its parent, body pending.
                    if let Some(top) = stack.last_mut() {
                        top.push(node);
                    }
                    stack.push(Vec::new());
                }
                "}" => {
                    if let Some(n) = current.take()
                        && let Some(top) = stack.last_mut()
                    {
                        top.push(n);
                    }
                    if stack.len() < 2 {
                        return Err(TreeError::UnexpectedClose {
                            path: path.to_owned(),
                            line: lineno,
                        });
                    }
                    let body = stack.pop().unwrap_or_default();
                    if let Some(parent) = stack.last_mut().and_then(|t| t.last_mut()) {
                        parent.body = Some(body);
                    }
                }
                _ => match &mut current {
                    Some(n) => n.args.push(w),
                    None => {
                        current = Some(Node {
                            keyword: w,
                            line: lineno,
                            ..Node::default()
                        })
                    }
                },
            }
        }
        if let Some(n) = current
            && let Some(top) = stack.last_mut()
        {
            top.push(n);
        }
    }
    if stack.len() != 1 {
        return Err(TreeError::Unclosed {
            path: path.to_owned(),
        });
    }
    Ok(stack.pop().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_nest_and_comments_are_dropped() {
        let t = parse(
            "global_defs { router_id a }\n\
             vrrp_instance VI_1 {   # comment\n  state BACKUP\n  virtual_ipaddress {\n    10.0.0.1/24 dev eth0\n  }\n}\n",
            "t",
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].child("router_id").unwrap().arg(), Some("a"));
        let vi = &t[1];
        assert_eq!(vi.arg(), Some("VI_1"));
        assert_eq!(vi.child("state").unwrap().arg(), Some("BACKUP"));
        let vips = vi.child("virtual_ipaddress").unwrap().children();
        assert_eq!(vips[0].keyword, "10.0.0.1/24");
        assert_eq!(vips[0].args, ["dev", "eth0"]);
    }

    #[test]
    fn unbalanced_braces_are_errors() {
        assert!(parse("a {\n", "t").is_err());
        assert!(parse("}\n", "t").is_err());
    }
}
