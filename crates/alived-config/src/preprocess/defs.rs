//! `$NAME=value` definitions and `$NAME` / `${NAME}` substitution (behaviour spec 1.5).

use super::lex::Chars;
use std::collections::HashMap;

/// How deep a value may refer to other values before we give up. keepalived itself loops for
/// ever on `$A=${A}` (observed with 2.2.7); alived reports an error instead.
pub(crate) const MAX_SUBST_DEPTH: usize = 32;
/// Cap on the characters one line may expand to (`$A=${B}${B}`, `$B=${C}${C}`... doubles).
pub(crate) const MAX_EXPANSION: usize = 256 * 1024;

/// All definitions seen so far.
#[derive(Debug, Default)]
pub(crate) struct Defs {
    map: HashMap<String, String>,
    /// `${_RANDOM}` state: a fixed-seed xorshift so runs (and tests) are reproducible.
    rng: u64,
}

/// Outcome of one substitution pass.
#[derive(Debug, Default)]
pub(crate) struct Subst {
    /// Set when a definition refers to itself (directly or not) too deeply.
    pub too_deep: Option<String>,
}

/// Context for the reserved `${_...}` names.
pub(crate) struct Reserved<'a> {
    pub pwd: &'a str,
    pub instance: &'a str,
}

pub(crate) fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}
pub(crate) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Defs {
    pub fn new() -> Self {
        Defs {
            map: HashMap::new(),
            rng: 0x9E37_79B9_7F4A_7C15,
        }
    }

    pub fn set(&mut self, name: &str, value: String) {
        self.map.insert(name.to_owned(), value);
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: deterministic, no clock (house style 1), good enough for `${_RANDOM}`.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33
    }

    /// Value of a reserved name with its arguments (`_RANDOM 5 10`), if it is one.
    fn reserved(&mut self, name: &str, args: &str, ctx: &Reserved<'_>) -> Option<String> {
        Some(match name {
            "_PWD" => ctx.pwd.to_owned(),
            "_INSTANCE" => ctx.instance.to_owned(),
            "_HASH" => "#".to_owned(),
            "_BANG" => "!".to_owned(),
            "_RANDOM" => {
                let mut it = args.split_whitespace().map(|a| a.parse::<i64>().ok());
                let min = it.next().flatten().unwrap_or(0);
                let max = it.next().flatten().unwrap_or(32767);
                let (lo, hi) = if min <= max { (min, max) } else { (max, min) };
                let span = u64::try_from(hi.saturating_sub(lo))
                    .unwrap_or(0)
                    .saturating_add(1);
                let r = self.next_random() % span.max(1);
                lo.saturating_add(i64::try_from(r).unwrap_or(0)).to_string()
            }
            _ => return None,
        })
    }

    fn lookup(&mut self, name: &str, args: &str, ctx: &Reserved<'_>) -> Option<String> {
        if let Some(v) = self.map.get(name) {
            return Some(v.clone());
        }
        if name.starts_with('_') {
            self.reserved(name, args, ctx)
        } else {
            None
        }
    }

    /// Substitute every known `$NAME` (followed by whitespace or the end) and `${NAME}`.
    /// Inserted text takes the column of the `$` that referred to it. Undefined names are
    /// left as they are. Returns `None` when nothing changed (the common case, no copy).
    pub fn substitute(
        &mut self,
        input: &Chars,
        ctx: &Reserved<'_>,
        st: &mut Subst,
    ) -> Option<Chars> {
        if !input.iter().any(|&(c, _)| c == '$') {
            return None;
        }
        let mut out = Chars::with_capacity(input.len() + 16);
        let changed = self.subst_into(input, ctx, st, 0, None, &mut out);
        changed.then_some(out)
    }

    fn subst_into(
        &mut self,
        input: &[(char, u32)],
        ctx: &Reserved<'_>,
        st: &mut Subst,
        depth: usize,
        col_override: Option<u32>,
        out: &mut Chars,
    ) -> bool {
        let mut changed = false;
        let n = input.len();
        let mut i = 0;
        while i < n {
            if st.too_deep.is_some() {
                // Give up at once: siblings would repeat the same blow-up.
                return changed;
            }
            let (c, col) = input[i];
            let col = col_override.unwrap_or(col);
            if c == '$'
                && i + 1 < n
                && let Some((name, args, next)) = parse_ref(input, i)
                && let Some(value) = self.lookup(&name, &args, ctx)
            {
                changed = true;
                if depth >= MAX_SUBST_DEPTH || out.len() > MAX_EXPANSION {
                    st.too_deep.get_or_insert(name);
                } else {
                    let v: Chars = value.chars().map(|ch| (ch, col)).collect();
                    let mark = out.len();
                    self.subst_into(&v, ctx, st, depth + 1, Some(col), out);
                    // The last inserted character takes the column of the reference's end, so
                    // a token made of the value spans the whole `$NAME` in diagnostics.
                    let end_col = col_override.unwrap_or(input[next - 1].1);
                    if out.len() > mark
                        && let Some(last) = out.last_mut()
                    {
                        last.1 = end_col;
                    }
                }
                i = next;
                continue;
            }
            out.push((c, col));
            i += 1;
        }
        changed
    }
}

/// Parse a reference at `input[i] == '$'`: `${NAME args}` or `$NAME` followed by whitespace or
/// the end. Returns the name, the arguments (only for the braced form) and the index after it.
fn parse_ref(input: &[(char, u32)], i: usize) -> Option<(String, String, usize)> {
    let n = input.len();
    if input.get(i + 1)?.0 == '{' {
        let close = (i + 2..n).find(|&j| input[j].0 == '}')?;
        let inner: String = input[i + 2..close].iter().map(|&(c, _)| c).collect();
        let inner = inner.trim();
        let (name, args) = match inner.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (inner, ""),
        };
        if !name.chars().next().is_some_and(is_name_start) || !name.chars().all(is_name_char) {
            return None;
        }
        return Some((name.to_owned(), args.to_owned(), close + 1));
    }
    if !is_name_start(input[i + 1].0) {
        return None;
    }
    let mut j = i + 1;
    while j < n && is_name_char(input[j].0) {
        j += 1;
    }
    if j < n && !input[j].0.is_whitespace() {
        return None;
    }
    Some((
        input[i + 1..j].iter().map(|&(c, _)| c).collect(),
        String::new(),
        j,
    ))
}

/// If `line` is a definition `$NAME=VALUE` (nothing between the name and `=`), return the name
/// and the value text.
pub(crate) fn parse_definition(line: &[(char, u32)]) -> Option<(String, Chars)> {
    if line.first()?.0 != '$' || !is_name_start(line.get(1)?.0) {
        return None;
    }
    let mut j = 1;
    while j < line.len() && is_name_char(line[j].0) {
        j += 1;
    }
    if line.get(j)?.0 != '=' {
        return None;
    }
    let name = line[1..j].iter().map(|&(c, _)| c).collect();
    let mut value: Chars = line[j + 1..].to_vec();
    super::lex::trim(&mut value);
    Some((name, value))
}

#[cfg(test)]
mod tests {
    use super::super::lex::{to_chars, to_string};
    use super::*;

    fn sub(d: &mut Defs, s: &str) -> String {
        let ctx = Reserved {
            pwd: "/etc",
            instance: "main",
        };
        let mut st = Subst::default();
        let c = to_chars(s);
        d.substitute(&c, &ctx, &mut st)
            .map(|c| to_string(&c))
            .unwrap_or_else(|| s.to_owned())
    }

    #[test]
    fn plain_braced_recursive_and_undefined() {
        let mut d = Defs::new();
        d.set("A", "x${B}".into());
        d.set("B", "y".into());
        assert_eq!(sub(&mut d, "k $A"), "k xy");
        assert_eq!(sub(&mut d, "k ${A}z $Az $C ${C}"), "k xyz $Az $C ${C}");
        assert_eq!(sub(&mut d, "${_PWD}/${_INSTANCE}"), "/etc/main");
    }

    #[test]
    fn random_is_deterministic_and_in_range() {
        let mut d1 = Defs::new();
        let mut d2 = Defs::new();
        for _ in 0..50 {
            let a = sub(&mut d1, "${_RANDOM 5 7}");
            assert_eq!(a, sub(&mut d2, "${_RANDOM 5 7}"));
            let v: i64 = a.parse().unwrap();
            assert!((5..=7).contains(&v));
        }
        assert_eq!(sub(&mut d1, "${_RANDOM 5 5}"), "5");
    }

    #[test]
    fn self_reference_is_bounded() {
        let mut d = Defs::new();
        d.set("R", "${R}".into());
        let ctx = Reserved {
            pwd: "",
            instance: "",
        };
        let mut st = Subst::default();
        d.substitute(&to_chars("$R"), &ctx, &mut st);
        assert_eq!(st.too_deep.as_deref(), Some("R"));
    }

    #[test]
    fn definition_syntax() {
        let (n, v) = parse_definition(&to_chars("$NAME= some value ")).unwrap();
        assert_eq!((n.as_str(), to_string(&v).as_str()), ("NAME", "some value"));
        assert!(parse_definition(&to_chars("$NAME =x")).is_none());
        assert!(parse_definition(&to_chars("$1=x")).is_none());
    }
}
