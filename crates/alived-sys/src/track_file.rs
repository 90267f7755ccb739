//! `track_file NAME { file PATH; weight W [reverse]; init_file [VALUE] [overwrite] }`
//! (spec 2.5): a file whose number adjusts priorities, watched with inotify.
//!
//! Measured on keepalived 2.2.7 (weight 1, the file rewritten while running):
//! the value is read like `strtol(buf, NULL, 0)`: leading blanks skipped, optional sign,
//! `0x` hex and leading-`0` octal, the longest numeric prefix (`12abc` = 12, `3.9` = 3,
//! `7\n8` = 7); no number, an empty file or a deleted file = 0. `value * weight` below -253
//! puts the instance in FAULT (`(VI_1): tracked file tf now FAULT state`). `init_file 3`
//! creates a missing file containing the value (default 0); `overwrite` also replaces an
//! existing one.
//!
//! The parent directory is watched (not the file), so creation, atomic renames over the file
//! and deletion are all seen.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use futures::StreamExt;
use inotify::{Inotify, WatchMask};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A new value of a tracked file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileValue {
    /// The `track_file` name.
    pub name: String,
    /// The number now in the file (0 for none).
    pub value: i64,
}

/// One `track_file` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedFile {
    /// The block's name.
    pub name: String,
    /// `file PATH`.
    pub path: PathBuf,
}

/// What a tracked file does to an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileEffect {
    /// Add this to the priority (the driver clamps the sum to 1..254).
    Adjust(i64),
    /// The instance goes FAULT.
    Fault,
}

/// `value * weight` (negated with `reverse`); below -253 means FAULT.
pub fn effect(value: i64, weight: i32, reverse: bool) -> FileEffect {
    let mut v = value.saturating_mul(i64::from(weight));
    if reverse {
        v = v.saturating_neg();
    }
    if v < -253 {
        FileEffect::Fault
    } else {
        FileEffect::Adjust(v)
    }
}

/// `strtol(text, NULL, 0)`: see the module comment. Saturates like strtol.
pub fn parse_value(text: &[u8]) -> i64 {
    let mut i = 0;
    while text.get(i).is_some_and(|b| b" \t\n\r\x0b\x0c".contains(b)) {
        i += 1;
    }
    let neg = match text.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let hex_digit_follows = text.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
    let radix: u32 = match (text.get(i), text.get(i + 1)) {
        (Some(b'0'), Some(b'x' | b'X')) if hex_digit_follows => {
            i += 2;
            16
        }
        (Some(b'0'), _) => 8,
        _ => 10,
    };
    // Accumulate as a magnitude in i128 so that LONG_MIN itself is representable.
    let mut acc: i128 = 0;
    while let Some(d) = text.get(i).and_then(|b| char::from(*b).to_digit(radix)) {
        acc = (acc * i128::from(radix) + i128::from(d)).min(i128::from(i64::MAX) + 1);
        i += 1;
    }
    let signed = if neg { -acc } else { acc };
    i64::try_from(signed).unwrap_or(if neg { i64::MIN } else { i64::MAX })
}

/// Reads the file's value now (0 when missing, unreadable or not a number). Reads at most the
/// first 128 bytes.
pub fn read_value(path: &Path) -> i64 {
    use std::io::Read;
    let mut buf = [0u8; 128];
    match std::fs::File::open(path).and_then(|mut f| f.read(&mut buf)) {
        Ok(n) => parse_value(&buf[..n]),
        Err(_) => 0,
    }
}

/// `init_file [VALUE] [overwrite]`: writes `value` followed by a newline if the file is
/// missing, or always with `overwrite`. A new file gets mode 0600 (keepalived 2.2.7, measured,
/// through its default umask 0177); an overwritten one keeps its mode.
pub fn init_file(path: &Path, value: i64, overwrite: bool) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if !overwrite && path.exists() {
        return Ok(());
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(format!("{value}\n").as_bytes())
}

/// `(VI_1): tracked file tf now FAULT state` / `... leaving FAULT state` (keepalived 2.2.7).
pub fn fault_message(instance: &str, file: &str, fault: bool) -> String {
    let what = if fault { "now" } else { "leaving" };
    format!("({instance}): tracked file {file} {what} FAULT state")
}

/// Watches tracked files and reports each change of value.
#[derive(Debug)]
pub struct FileTracker {
    task: JoinHandle<()>,
}

impl FileTracker {
    /// Starts watching `files`. Sends each file's initial value at once, then a
    /// [`FileValue`] whenever a file's value changes (rewritten, renamed over, created or
    /// deleted). Must be called inside a tokio runtime.
    pub fn start(
        files: Vec<TrackedFile>,
        tx: mpsc::UnboundedSender<FileValue>,
    ) -> io::Result<Self> {
        let inotify = Inotify::init()?;
        let mask = WatchMask::CLOSE_WRITE
            | WatchMask::MOVED_TO
            | WatchMask::MOVED_FROM
            | WatchMask::DELETE
            | WatchMask::CREATE;
        // watch descriptor -> (file name in that directory -> indexes into `files`)
        let mut dirs: HashMap<inotify::WatchDescriptor, HashMap<OsString, Vec<usize>>> =
            HashMap::new();
        for (i, f) in files.iter().enumerate() {
            let dir = match f.path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let Some(fname) = f.path.file_name() else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "track_file {}: {} is not a file path",
                        f.name,
                        f.path.display()
                    ),
                ));
            };
            let wd = inotify.watches().add(dir, mask)?;
            dirs.entry(wd)
                .or_default()
                .entry(fname.to_os_string())
                .or_default()
                .push(i);
        }
        let mut last: Vec<i64> = files.iter().map(|f| read_value(&f.path)).collect();
        for (f, v) in files.iter().zip(&last) {
            let _ = tx.send(FileValue {
                name: f.name.clone(),
                value: *v,
            });
        }
        let mut stream = inotify.into_event_stream([0u8; 4096])?;
        let task = tokio::spawn(async move {
            while let Some(ev) = stream.next().await {
                let Ok(ev) = ev else { continue };
                // The kernel's queue overflowed: events were lost, so re-read every file.
                let all: Vec<usize>;
                let idx = if ev.mask.contains(inotify::EventMask::Q_OVERFLOW) {
                    all = (0..files.len()).collect();
                    &all
                } else {
                    let Some(name) = ev.name else { continue };
                    match dirs.get(&ev.wd).and_then(|m| m.get(&name)) {
                        Some(idx) => idx,
                        None => continue,
                    }
                };
                for &i in idx {
                    let (Some(f), Some(prev)) = (files.get(i), last.get_mut(i)) else {
                        continue;
                    };
                    let v = read_value(&f.path);
                    if v != *prev {
                        *prev = v;
                        if tx
                            .send(FileValue {
                                name: f.name.clone(),
                                value: v,
                            })
                            .is_err()
                        {
                            return; // nobody listens any more
                        }
                    }
                }
            }
        });
        Ok(FileTracker { task })
    }
}

impl Drop for FileTracker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_keepalived_2_2_7_reads_them() {
        // (file content, value keepalived used), measured with weight 1.
        let cases: [(&[u8], i64); 13] = [
            (b"5", 5),
            (b"-3", -3),
            (b"abc", 0),
            (b"", 0),
            (b"12abc", 12),
            (b" 7", 7),
            (b"7\n8", 7),
            (b"1000", 1000),
            (b"0x10", 16),
            (b"+4", 4),
            (b"3.9", 3),
            (b"010", 8),
            (b"0x", 0),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse_value(text),
                want,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        assert_eq!(parse_value(b"99999999999999999999999"), i64::MAX);
        assert_eq!(parse_value(b"-99999999999999999999999"), i64::MIN);
        assert_eq!(parse_value(b"-9223372036854775808"), i64::MIN);
    }

    #[test]
    fn effects() {
        assert_eq!(effect(5, 1, false), FileEffect::Adjust(5));
        assert_eq!(effect(5, 2, true), FileEffect::Adjust(-10));
        assert_eq!(effect(-1000, 1, false), FileEffect::Fault);
        assert_eq!(effect(-253, 1, false), FileEffect::Adjust(-253));
        assert_eq!(effect(-254, 1, false), FileEffect::Fault);
        assert_eq!(effect(1000, 1, false), FileEffect::Adjust(1000));
        assert_eq!(effect(i64::MAX, 254, false), FileEffect::Adjust(i64::MAX));
    }
}
