//! Source positions. Every token, node and model item keeps the [`Span`] it came from, so a
//! diagnostic can name `FILE:LINE:COL`.

use serde::Serialize;
use std::sync::{Arc, OnceLock};

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
pub struct FileId(pub u32);

/// A place in a source file: 1-based line and column (in characters), and a length in
/// characters on that line (0 when the whole line or no particular text is meant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub struct Span {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
    pub len: u32,
}

/// One loaded source file: its path as it should be shown, and its text (one allocation per
/// file, not one per line). Where each line starts is worked out when a line is first asked
/// for (only to show a diagnostic), not while reading.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    text: Arc<String>,
    starts: OnceLock<Vec<u32>>,
}

impl SourceFile {
    /// The whole text as read.
    pub fn text(&self) -> &Arc<String> {
        &self.text
    }

    /// Byte offsets of the line starts, as [`str::lines`] splits: after each `\n` that is
    /// not the last byte.
    fn starts(&self) -> &[u32] {
        self.starts.get_or_init(|| {
            let offset = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
            let text = &self.text;
            let mut starts = Vec::new();
            if !text.is_empty() {
                starts.push(0);
            }
            starts.extend(
                text.bytes()
                    .enumerate()
                    .filter(|&(i, b)| b == b'\n' && i + 1 < text.len())
                    .map(|(i, _)| offset(i + 1)),
            );
            starts.shrink_to_fit();
            starts
        })
    }

    /// Number of lines (as [`str::lines`] counts them).
    pub fn line_count(&self) -> usize {
        self.starts().len()
    }

    /// The text of a 0-based line, without its line end (`\n`, and any `\r` before it).
    pub fn line(&self, index: usize) -> Option<&str> {
        let starts = self.starts();
        let start = *starts.get(index)? as usize;
        let end = match starts.get(index + 1) {
            Some(&next) => next as usize,
            None => self.text.len(),
        };
        let line = self.text.get(start..end)?;
        let line = line.strip_suffix('\n').unwrap_or(line);
        Some(line.trim_end_matches('\r'))
    }
}

/// All files read while loading a configuration, indexed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    pub files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, path: String, text: &str) -> FileId {
        self.add_shared(path, Arc::new(text.to_owned()))
    }

    /// [`SourceMap::add`] keeping `text` itself (no copy).
    pub fn add_shared(&mut self, path: String, text: Arc<String>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile {
            path,
            text,
            starts: OnceLock::new(),
        });
        id
    }

    pub fn path(&self, id: FileId) -> &str {
        self.files
            .get(id.0 as usize)
            .map(|f| f.path.as_str())
            .unwrap_or("<unknown>")
    }

    /// The text of a 1-based line, if it exists.
    pub fn line(&self, span: Span) -> Option<&str> {
        let file = self.files.get(span.file.0 as usize)?;
        file.line((span.line as usize).checked_sub(1)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_str_lines() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\r\nb",
            "a\n\nb\r\r\n",
            "x\ny\r",
            "\r\n\r",
        ] {
            let mut m = SourceMap::default();
            let id = m.add("t".into(), text);
            let want: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
            let got: Vec<&str> = (1..=want.len() + 1)
                .filter_map(|line| {
                    m.line(Span {
                        file: id,
                        line: line as u32,
                        col: 1,
                        len: 0,
                    })
                })
                .collect();
            assert_eq!(got, want, "{text:?}");
        }
    }
}
