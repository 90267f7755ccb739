//! Step 8: `include`, `includer`, `includem`, `includew`, `includeb`, `includea` and
//! `include_check` lines (behaviour spec 1.3).
//!
//! Observed with keepalived 2.2.7 (`keepalived -t`; rc is the exit code):
//! - `include X` of nothing: `Config files missing 'X'.`, rc 0 (so a [`Severity::Note`]);
//!   with `-e`: rc 6.
//! - `includem X` (no wildcard) of a missing file: `Config files missing 'X'.`, rc 6;
//!   `includem *.x` matching nothing: silent, rc 0.
//! - `includew *.x` matching nothing: `No config files matched '*.x'.`, rc 6.
//! - `includeb {a,zz}` with `zz` missing: `Some config files missing: "{a,zz}".`, rc 6.
//! - `includer X` missing: `Config files missing 'X'.`, rc 0.
//! - `includea X` missing: rc 6. The pattern is the rest of the line, quotes included.
//! - `include` sees the line after `@` and `$` processing (`include $F` works).
//! - `include_check` is unknown to 2.2.7 (newer keepalived has it); alived accepts it.

use super::glob::{brace_expand, glob, has_wildcard};
use super::lex::{self, Chars};
use super::{FileCtx, MAX_INCLUDE_DEPTH, Pre, canonical};
use crate::diag::Severity;
use crate::span::Span;
use std::path::PathBuf;

/// `include_check` flags (`includer`, `includem`, `includew`, `includeb`, `includea`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IncludeCheck {
    /// A matched file must be readable.
    pub readable: bool,
    /// A name without wildcards must exist.
    pub matched: bool,
    /// A wildcard pattern must match at least one file.
    pub wildcard_match: bool,
    /// Every alternative of a brace expansion must match something.
    pub brace_match: bool,
}

impl IncludeCheck {
    pub const ALL: IncludeCheck = IncludeCheck {
        readable: true,
        matched: true,
        wildcard_match: true,
        brace_match: true,
    };

    pub fn any(self) -> bool {
        self.readable || self.matched || self.wildcard_match || self.brace_match
    }

    /// The checks implied by an include keyword, on top of the current `include_check`.
    pub fn for_keyword(self, keyword: &str) -> Option<IncludeCheck> {
        let mut c = self;
        match keyword {
            "include" => {}
            "includer" => c.readable = true,
            "includem" => c.matched = true,
            "includew" => c.wildcard_match = true,
            "includeb" => c.brace_match = true,
            "includea" => c = IncludeCheck::ALL,
            _ => return None,
        }
        Some(c)
    }

    /// Apply `include_check` arguments: `+word` adds, `-word` removes, a plain word list
    /// replaces the set; no argument turns every check on. Returns the unknown words.
    pub fn apply(&mut self, args: &[&str]) -> Vec<String> {
        let mut bad = Vec::new();
        if args.is_empty() {
            *self = IncludeCheck::ALL;
            return bad;
        }
        let mut replaced = false;
        for a in args {
            let (on, word) = match a.as_bytes().first() {
                Some(b'+') => (true, &a[1..]),
                Some(b'-') => (false, &a[1..]),
                _ => {
                    if !replaced {
                        *self = IncludeCheck::default();
                        replaced = true;
                    }
                    (true, *a)
                }
            };
            match word {
                "readable" => self.readable = on,
                "match" => self.matched = on,
                "wildcard_match" => self.wildcard_match = on,
                "brace_match" => self.brace_match = on,
                _ => bad.push((*a).to_owned()),
            }
        }
        bad
    }
}

/// Longest include pattern accepted (a physical line is at most 1023 bytes; only a `$`
/// substitution makes it longer).
const MAX_PATTERN: usize = 4096;

impl<S: super::LineSink> Pre<'_, S> {
    /// Handle the line if it is an include directive; `false` if it is not one.
    pub(super) fn include(&mut self, ctx: &FileCtx, lineno: u32, chars: &Chars) -> bool {
        const INCLUDE: [char; 7] = ['i', 'n', 'c', 'l', 'u', 'd', 'e'];
        if chars.len() < INCLUDE.len() || chars.iter().zip(INCLUDE).any(|(a, b)| a.0 != b) {
            return false;
        }
        let kw_end = chars
            .iter()
            .position(|c| c.0.is_whitespace())
            .unwrap_or(chars.len());
        let keyword = lex::to_string(&chars[..kw_end]);
        let mut rest: Chars = chars[kw_end..].to_vec();
        lex::trim(&mut rest);
        let pattern = lex::to_string(&rest);
        let span = Span {
            file: ctx.id,
            line: lineno,
            col: rest
                .first()
                .map_or(chars.first().map_or(1, |c| c.1), |c| c.1),
            len: u32::try_from(pattern.chars().count()).unwrap_or(0),
        };
        if keyword == "include_check" {
            let args: Vec<&str> = pattern.split_whitespace().collect();
            for bad in self.check.apply(&args) {
                self.diags.push(
                    Severity::Error,
                    Some(span),
                    format!("Unknown include_check option '{bad}'"),
                );
            }
            return true;
        }
        let Some(mut check) = self.check.for_keyword(&keyword) else {
            return false;
        };
        if self.opts.all_config {
            check = IncludeCheck::ALL;
        }
        if pattern.is_empty() {
            // keepalived 2.2.7: a bare `include` is not a directive; the keyword lookup then
            // says `Unknown keyword 'include'` (observed).
            return false;
        }
        if pattern.len() > MAX_PATTERN {
            let msg = format!("include pattern longer than {MAX_PATTERN} bytes - ignoring");
            self.diags.push(Severity::Error, Some(span), msg);
            return true;
        }
        let mut files: Vec<PathBuf> = Vec::new();
        let (mut missing_plain, mut missing_wild, mut missing_alt) = (false, false, false);
        let alternatives = brace_expand(&pattern);
        let braced = alternatives.len() > 1;
        for alt in &alternatives {
            let path = if alt.starts_with('/') {
                PathBuf::from(alt)
            } else {
                ctx.dir.join(alt)
            };
            let found = glob(&path);
            if found.is_empty() {
                missing_alt = true;
                if has_wildcard(alt) {
                    missing_wild = true;
                } else {
                    missing_plain = true;
                }
            }
            files.extend(found);
        }
        let security = Some(span);
        if check.brace_match && braced && missing_alt {
            self.diags.push(
                Severity::Security,
                security,
                format!("Some config files missing: \"{pattern}\"."),
            );
        } else if check.wildcard_match && missing_wild {
            self.diags.push(
                Severity::Security,
                security,
                format!("No config files matched '{pattern}'."),
            );
        } else if check.matched && missing_plain {
            self.diags.push(
                Severity::Security,
                security,
                format!("Config files missing '{pattern}'."),
            );
        } else if files.is_empty() && !(check.matched || check.wildcard_match || check.brace_match)
        {
            self.diags.push(
                Severity::Note,
                security,
                format!("Config files missing '{pattern}'."),
            );
        }
        for f in files {
            self.include_file(&f, span, check.readable);
        }
        true
    }

    fn include_file(&mut self, path: &std::path::Path, span: Span, readable: bool) {
        let shown = path.display().to_string();
        let canon = canonical(path);
        let problem = if self.stack.contains(&canon) {
            Some("include cycle".to_owned())
        } else if self.stack.len() >= MAX_INCLUDE_DEPTH {
            Some(format!(
                "includes nested more than {MAX_INCLUDE_DEPTH} deep"
            ))
        } else {
            None
        };
        if let Some(why) = problem {
            self.diags.push(
                Severity::Error,
                Some(span),
                format!("Configuration file '{shown}' open problem ({why}) - skipping"),
            );
            return;
        }
        match super::read_capped(path, true) {
            Ok(bytes) => {
                let dir = path
                    .parent()
                    .map(std::path::Path::to_path_buf)
                    .unwrap_or_default();
                self.stack.push(canon);
                self.run_file(&shown, super::text_of(bytes), dir);
                self.stack.pop();
            }
            Err(e) => {
                let sev = if readable {
                    Severity::Security
                } else {
                    Severity::Note
                };
                // strerror-like text, as keepalived prints: no "(os error N)".
                let text = e.to_string();
                let why = text.split(" (os error").next().unwrap_or(&text);
                self.diags.push(
                    sev,
                    Some(span),
                    format!("Configuration file '{shown}' open problem ({why}) - skipping"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_flags() {
        let mut c = IncludeCheck::default();
        assert!(c.apply(&["match", "+readable"]).is_empty());
        assert!(c.matched && c.readable && !c.brace_match);
        assert_eq!(c.apply(&["-match", "bogus"]), ["bogus"]);
        assert!(!c.matched);
        assert_eq!(c.for_keyword("includea"), Some(IncludeCheck::ALL));
        assert_eq!(c.for_keyword("includex"), None);
    }
}
