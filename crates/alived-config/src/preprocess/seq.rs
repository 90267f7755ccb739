//! `~SEQ(var, start, step, end)`, `~SEQx(...)` and `~LST(...)` (behaviour spec 1.6).
//!
//! The construct must start the line; the rest of the line is emitted once per value with the
//! variable(s) defined. Several on one line nest, the left-most outermost.

use super::defs::{is_name_char, is_name_start};
use super::lex::Chars;

/// Most values one `~SEQ`/`~LST` may produce; more is treated as an invalid specification.
pub(crate) const MAX_VALUES: i64 = 100_000;

/// One parsed `~SEQ`/`~LST` head.
#[derive(Debug, PartialEq)]
pub(crate) struct Iteration {
    /// Variable names (one for `~SEQ` and a plain `~LST`, several for a tuple `~LST`).
    pub vars: Vec<String>,
    /// For each iteration, one value per variable.
    pub values: Vec<Vec<String>>,
    /// What follows the closing `)`.
    pub rest: Chars,
}

/// An invalid `~SEQ` or `~LST` specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// keepalived 2.2.7 logs the reason's line, then `Invalid ~SEQ specification '...'`.
    Seq(Why),
    /// keepalived 2.2.7 logs only `Invalid ~LST specification '...'`.
    Lst,
}

/// Why a `~SEQ` is invalid, with keepalived 2.2.7's first message (observed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    /// Wrong number of parameters, a bad name or a non-number: `Invalid ~SEQ definition`.
    Definition,
    /// A zero step (or, in alived, too many values): `Invalid ~SEQ values`.
    Values,
    /// No closing `)`: `~SEQ parameter strings too long`.
    TooLong,
}

impl Why {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Why::Definition => "Invalid ~SEQ definition",
            Why::Values => "Invalid ~SEQ values",
            Why::TooLong => "~SEQ parameter strings too long",
        }
    }
}

/// `Ok(None)`: the line does not start with `~SEQ`/`~SEQx`/`~LST`. `Err`: it does but the
/// specification is invalid.
pub(crate) fn parse(line: &[(char, u32)]) -> Result<Option<Iteration>, Invalid> {
    match parse_inner(line) {
        Ok(v) => Ok(v),
        Err(_) if line.get(1).map(|c| c.0) == Some('L') => Err(Invalid::Lst),
        Err(why) => Err(Invalid::Seq(why)),
    }
}

fn parse_inner(line: &[(char, u32)]) -> Result<Option<Iteration>, Why> {
    if line.first().map(|c| c.0) != Some('~') {
        return Ok(None);
    }
    let mut head_chars = [' '; 5];
    for (slot, &(c, _)) in head_chars.iter_mut().zip(line.iter()) {
        *slot = c;
    }
    let (kind, head) = match head_chars {
        ['~', 'S', 'E', 'Q', 'x'] => (Kind::SeqHex, 5),
        ['~', 'S', 'E', 'Q', _] => (Kind::Seq, 4),
        ['~', 'L', 'S', 'T', _] => (Kind::Lst, 4),
        _ => return Ok(None),
    };
    let mut i = head;
    while i < line.len() && line[i].0.is_whitespace() {
        i += 1;
    }
    if line.get(i).map(|c| c.0) != Some('(') {
        return Err(Why::Definition);
    }
    let close = (i + 1..line.len())
        .find(|&j| line[j].0 == ')')
        .ok_or(Why::TooLong)?;
    let inner: String = line[i + 1..close].iter().map(|&(c, _)| c).collect();
    let mut rest: Chars = line[close + 1..].to_vec();
    super::lex::trim(&mut rest);
    let parts = split_top(&inner).ok_or(Why::Definition)?;
    let (vars, values) = match kind {
        Kind::Seq | Kind::SeqHex => seq(&parts, kind == Kind::SeqHex)?,
        Kind::Lst => lst(&parts).map_err(|()| Why::Definition)?,
    };
    Ok(Some(Iteration { vars, values, rest }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Seq,
    SeqHex,
    Lst,
}

fn valid_name(s: &str) -> bool {
    s.chars().next().is_some_and(is_name_start) && s.chars().all(is_name_char)
}

/// Split at commas outside `{...}`, trimming each part.
fn split_top(s: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            ',' if depth == 0 => {
                parts.push(cur.trim().to_owned());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if depth != 0 {
        return None;
    }
    parts.push(cur.trim().to_owned());
    Some(parts)
}

fn seq(parts: &[String], hex: bool) -> Result<(Vec<String>, Vec<Vec<String>>), Why> {
    let var = parts.first().ok_or(Why::Definition)?;
    if !valid_name(var) {
        return Err(Why::Definition);
    }
    let nums: Vec<i64> = parts[1..]
        .iter()
        .map(|p| p.parse::<i64>().map_err(|_| Why::Definition))
        .collect::<Result<_, _>>()?;
    let (start, step, end) = match nums[..] {
        [end] => {
            let start = if end < 0 { -1 } else { 1 };
            (start, if end < start { -1 } else { 1 }, end)
        }
        [start, end] => (start, if end < start { -1 } else { 1 }, end),
        [start, step, end] => (start, step, end),
        _ => return Err(Why::Definition),
    };
    if step == 0 {
        return Err(Why::Values);
    }
    let count = if (step > 0 && start > end) || (step < 0 && start < end) {
        0
    } else {
        (end.abs_diff(start) / step.unsigned_abs()).saturating_add(1)
    };
    if count > MAX_VALUES.unsigned_abs() {
        return Err(Why::Values);
    }
    let mut values = Vec::new();
    let mut v = start;
    for _ in 0..count {
        values.push(vec![if hex { format!("{v:x}") } else { v.to_string() }]);
        v = v.saturating_add(step);
    }
    Ok((vec![var.clone()], values))
}

fn braced(s: &str) -> Option<Vec<String>> {
    let inner = s.strip_prefix('{')?.strip_suffix('}')?;
    Some(inner.split(',').map(|p| p.trim().to_owned()).collect())
}

fn lst(parts: &[String]) -> Result<(Vec<String>, Vec<Vec<String>>), ()> {
    let first = parts.first().ok_or(())?;
    if parts.len() < 2 {
        return Err(());
    }
    if let Some(vars) = braced(first) {
        if !vars.iter().all(|v| valid_name(v)) {
            return Err(());
        }
        let mut values = Vec::new();
        for p in &parts[1..] {
            let tuple = braced(p).ok_or(())?;
            if tuple.len() != vars.len() {
                return Err(());
            }
            values.push(tuple);
        }
        Ok((vars, values))
    } else {
        if !valid_name(first) {
            return Err(());
        }
        Ok((
            vec![first.clone()],
            parts[1..].iter().map(|p| vec![p.clone()]).collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::lex::{to_chars, to_string};
    use super::*;

    fn vals(s: &str) -> Vec<Vec<String>> {
        parse(&to_chars(s)).unwrap().unwrap().values
    }

    #[test]
    fn seq_forms() {
        let flat = |v: Vec<Vec<String>>| v.into_iter().flatten().collect::<Vec<_>>();
        assert_eq!(flat(vals("~SEQ(X, 1, 2, 5) r$X")), ["1", "3", "5"]);
        assert_eq!(flat(vals("~SEQ(X, 3) r")), ["1", "2", "3"]);
        assert_eq!(flat(vals("~SEQ(X,-2) r")), ["-1", "-2"]);
        assert_eq!(flat(vals("~SEQ (X,1,2) r")), ["1", "2"]);
        assert_eq!(flat(vals("~SEQx(H,9,11) r")), ["9", "a", "b"]);
        let it = parse(&to_chars("~SEQ(X,1,2) ~SEQ(Y,1,2) a"))
            .unwrap()
            .unwrap();
        assert_eq!(to_string(&it.rest), "~SEQ(Y,1,2) a");
    }

    #[test]
    fn lst_forms() {
        assert_eq!(vals("~LST(L, a, b) x"), [["a"], ["b"]]);
        let it = parse(&to_chars("~LST({p,q},{1,2},{3,4}) x"))
            .unwrap()
            .unwrap();
        assert_eq!(it.vars, ["p", "q"]);
        assert_eq!(it.values, [["1", "2"], ["3", "4"]]);
    }

    #[test]
    fn invalid_specs() {
        for s in [
            "~SEQ(Q) x",
            "~SEQ(A,1,zz) y",
            "~SEQ(A,1,0,5) y",
            "~SEQ(1,2) y",
            "~SEQ(A,1",
            "~LST({a,b},{1}) x",
            "~SEQ(A,1,1000000000) x",
        ] {
            assert!(parse(&to_chars(s)).is_err(), "{s}");
        }
        assert!(parse(&to_chars("router_id x")).unwrap().is_none());
    }
}
