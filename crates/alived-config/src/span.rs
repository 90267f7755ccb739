//! Source positions. Every token, node and model item keeps the [`Span`] it came from, so a
//! diagnostic can name `FILE:LINE:COL`.

use serde::Serialize;

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

/// One loaded source file: its path as it should be shown, and its text split into lines.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub lines: Vec<String>,
}

/// All files read while loading a configuration, indexed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    pub files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, path: String, text: &str) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        let lines = text
            .lines()
            .map(|l| l.trim_end_matches('\r').to_owned())
            .collect();
        self.files.push(SourceFile { path, lines });
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
        file.lines
            .get((span.line as usize).checked_sub(1)?)
            .map(String::as_str)
    }
}
