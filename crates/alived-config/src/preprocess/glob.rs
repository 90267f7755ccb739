//! `include` patterns: csh brace expansion and glob wildcards, written here because keepalived
//! uses `glob(GLOB_BRACE)` and the `glob` crate has no braces (behaviour spec 1.3).

use std::path::{Path, PathBuf};

/// Most alternatives one pattern may expand to (`{a,b}{c,d}...` grows quickly).
const MAX_ALTERNATIVES: usize = 4096;

/// csh-style brace expansion: `a{b,c{d,e}}f` -> `abf acdf acef`. An unmatched `{` or a brace
/// group without a comma is kept literally (as csh and glibc do for `{}`).
pub fn brace_expand(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    expand_into(pattern, &mut out, 0);
    out
}

/// Deepest brace nesting/sequence expanded; beyond it the rest of the pattern is literal.
const MAX_GROUPS: usize = 64;

fn expand_into(p: &str, out: &mut Vec<String>, depth: usize) {
    if out.len() >= MAX_ALTERNATIVES {
        return;
    }
    if depth >= MAX_GROUPS {
        out.push(p.to_owned());
        return;
    }
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == b'{'
            && let Some((close, commas)) = group(b, i)
            && !commas.is_empty()
        {
            let prefix = &p[..i];
            let suffix = &p[close + 1..];
            let mut start = i + 1;
            for end in commas.iter().copied().chain(std::iter::once(close)) {
                let alt = &p[start..end];
                expand_into(&format!("{prefix}{alt}{suffix}"), out, depth + 1);
                start = end + 1;
            }
            return;
        }
        i += 1;
    }
    out.push(p.to_owned());
}

/// The matching `}` of the `{` at `open` and the top-level commas inside.
fn group(b: &[u8], open: usize) -> Option<(usize, Vec<usize>)> {
    let mut depth = 0usize;
    let mut commas = Vec::new();
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some((i, commas));
                }
            }
            b',' if depth == 1 => commas.push(i),
            _ => {}
        }
        i += 1;
    }
    None
}

pub fn has_wildcard(p: &str) -> bool {
    p.contains(['*', '?', '['])
}

/// Files matching one (brace-free) glob pattern, sorted per directory like glob(3). A name
/// without wildcards is returned only if it exists. Wildcards do not match a leading `.`.
pub fn glob(pattern: &Path) -> Vec<PathBuf> {
    let text = pattern.to_string_lossy();
    if !has_wildcard(&text) {
        return if pattern.exists() {
            vec![pattern.to_path_buf()]
        } else {
            Vec::new()
        };
    }
    let absolute = text.starts_with('/');
    let mut current = vec![if absolute {
        PathBuf::from("/")
    } else {
        PathBuf::new()
    }];
    let comps: Vec<&str> = text.split('/').filter(|c| !c.is_empty()).collect();
    for (idx, comp) in comps.iter().enumerate() {
        let last = idx + 1 == comps.len();
        let mut next = Vec::new();
        for base in &current {
            if !has_wildcard(comp) {
                let p = base.join(comp);
                if (last && p.exists()) || p.is_dir() {
                    next.push(p);
                }
                continue;
            }
            let dir = if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base.as_path()
            };
            let Ok(rd) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<String> = rd
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| !n.starts_with('.') || comp.starts_with('.'))
                .filter(|n| fnmatch(comp.as_bytes(), n.as_bytes()))
                .collect();
            names.sort();
            for n in names {
                let p = base.join(&n);
                if last || p.is_dir() {
                    next.push(p);
                }
            }
        }
        current = next;
        if current.is_empty() {
            break;
        }
    }
    current
}

/// Shell pattern match of one path component: `*`, `?`, `[a-z]`, `[!x]`/`[^x]`, `\x`.
pub fn fnmatch(p: &[u8], s: &[u8]) -> bool {
    // Iterative with one backtrack point for the last `*`: linear-ish, no recursion.
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                b'?' => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                b'[' => {
                    if let Some((ok, next)) = class(p, pi, s[si]) {
                        if ok {
                            pi = next;
                            si += 1;
                            continue;
                        }
                    } else if s[si] == b'[' {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
                b'\\' if pi + 1 < p.len() => {
                    if p[pi + 1] == s[si] {
                        pi += 2;
                        si += 1;
                        continue;
                    }
                }
                c => {
                    if c == s[si] {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Match `c` against the class starting at `p[open] == '['`: (matched, index after `]`).
fn class(p: &[u8], open: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = open + 1;
    let negate = matches!(p.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        let lo = p[i];
        if lo == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if p.get(i + 1) == Some(&b'-') && p.get(i + 2).is_some_and(|&h| h != b']') {
            let hi = p[i + 2];
            if lo <= c && c <= hi {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces() {
        assert_eq!(brace_expand("a{b,c{d,e}}f"), ["abf", "acdf", "acef"]);
        assert_eq!(
            brace_expand("x{a,b}y{1,2}"),
            ["xay1", "xay2", "xby1", "xby2"]
        );
        assert_eq!(brace_expand("x{}y{a}z{"), ["x{}y{a}z{"]);
        // Bounded: many groups neither overflow the stack nor explode.
        let many = "{a,b}".repeat(500);
        let out = brace_expand(&many);
        assert!(!out.is_empty() && out.len() <= MAX_ALTERNATIVES);
    }

    #[test]
    fn wildcards() {
        assert!(fnmatch(b"*.conf", b"a.conf"));
        assert!(!fnmatch(b"*.conf", b"a.conf.bak"));
        assert!(fnmatch(b"[ab]?x*", b"b1x"));
        assert!(!fnmatch(b"[!ab]*", b"a"));
        assert!(fnmatch(b"a*b*c", b"aXXbYYbc"));
        assert!(fnmatch(b"[a-c]", b"b"));
    }
}
