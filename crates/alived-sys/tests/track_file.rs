//! track_file with a real inotify watch on a temp dir.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::time::Duration;

use alived_sys::track_file::{FileTracker, FileValue, TrackedFile, init_file, read_value};
use tokio::sync::mpsc::UnboundedReceiver;

const BOUND: Duration = Duration::from_secs(10);

async fn next(rx: &mut UnboundedReceiver<FileValue>) -> (String, i64) {
    let v = tokio::time::timeout(BOUND, rx.recv())
        .await
        .expect("no event in time")
        .unwrap();
    (v.name, v.value)
}

#[tokio::test]
async fn follows_writes_renames_and_deletion() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let b = d.path().join("b");
    fs::write(&a, "5\n").unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _t = FileTracker::start(
        vec![
            TrackedFile {
                name: "ta".into(),
                path: a.clone(),
            },
            TrackedFile {
                name: "tb".into(),
                path: b.clone(),
            },
        ],
        tx,
    )
    .unwrap();
    assert_eq!(next(&mut rx).await, ("ta".into(), 5));
    assert_eq!(next(&mut rx).await, ("tb".into(), 0)); // missing file = 0

    fs::write(&a, "-3").unwrap();
    assert_eq!(next(&mut rx).await, ("ta".into(), -3));
    fs::write(&a, "0x10").unwrap();
    assert_eq!(next(&mut rx).await, ("ta".into(), 16));
    // Atomic replace: write elsewhere, rename over.
    let tmp = d.path().join("tmp");
    fs::write(&tmp, "42").unwrap();
    fs::rename(&tmp, &a).unwrap();
    assert_eq!(next(&mut rx).await, ("ta".into(), 42));
    // Created later.
    fs::write(&b, "7").unwrap();
    assert_eq!(next(&mut rx).await, ("tb".into(), 7));
    // Unchanged rewrite: no event; the next change is the next event.
    fs::write(&b, "7").unwrap();
    fs::remove_file(&a).unwrap();
    assert_eq!(next(&mut rx).await, ("ta".into(), 0));
    fs::write(&b, "garbage").unwrap();
    assert_eq!(next(&mut rx).await, ("tb".into(), 0));
}

#[test]
fn init_file_creates_and_overwrites() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("f");
    init_file(&p, 3, false).unwrap();
    assert_eq!(fs::read_to_string(&p).unwrap(), "3\n");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o600
    );
    fs::write(&p, "9").unwrap();
    init_file(&p, 3, false).unwrap();
    assert_eq!(read_value(&p), 9);
    init_file(&p, -4, true).unwrap();
    assert_eq!(read_value(&p), -4);
}
