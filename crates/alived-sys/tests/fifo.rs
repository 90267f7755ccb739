//! notify_fifo writer against a real FIFO and a real reader.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::time::Duration;

use alived_sys::fifo::{FifoError, FifoLine, FifoState, FifoWriter};
use alived_sys::script::{Credentials, Script, ScriptRunner};
use tokio::io::{AsyncBufReadExt, BufReader};

const BOUND: Duration = Duration::from_secs(10);

fn inst(i: u32) -> FifoLine {
    FifoLine::Instance {
        name: format!("VI_{i}"),
        state: if i.is_multiple_of(2) {
            FifoState::Master
        } else {
            FifoState::Backup
        },
        priority: (i % 250) as u8,
    }
}

#[tokio::test]
async fn creates_fifo_and_keeps_order_without_waiting_for_a_reader() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("notify.fifo");
    let w = FifoWriter::open(&path, None).unwrap();
    let meta = fs::symlink_metadata(&path).unwrap();
    assert!(meta.file_type().is_fifo());
    assert_eq!(meta.permissions().mode() & 0o7777, 0o600);

    // Lines sent before anyone reads are kept (the pipe buffer holds them).
    w.send(&FifoLine::Group {
        name: "G1".into(),
        state: FifoState::Backup,
    });
    for i in 0..500 {
        w.send(&inst(i));
    }
    let rx = tokio::net::unix::pipe::OpenOptions::new()
        .open_receiver(&path)
        .unwrap();
    let mut lines = BufReader::new(rx).lines();
    let first = tokio::time::timeout(BOUND, lines.next_line())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.as_deref(), Some("GROUP \"G1\" BACKUP 0"));
    for i in 0..500 {
        let got = tokio::time::timeout(BOUND, lines.next_line())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.map(|l| l + "\n"), Some(inst(i).to_string()));
    }
    assert_eq!(w.dropped(), 0);
    assert_eq!(w.write_errors(), 0);
    // The reader going away does not break the writer (the FIFO is open read-write).
    drop(lines);
    w.send(&inst(1));
    tokio::time::timeout(BOUND, w.close()).await.unwrap();
    assert!(path.exists(), "the FIFO stays in place");
}

#[tokio::test]
async fn existing_fifo_is_reused_and_a_regular_file_refused() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("f");
    nix::unistd::mkfifo(&path, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let w = FifoWriter::open(&path, None).unwrap();
    drop(w);
    let file = d.path().join("regular");
    fs::write(&file, "x").unwrap();
    assert!(matches!(
        FifoWriter::open(&file, None),
        Err(FifoError::NotFifo(_))
    ));
}

#[tokio::test]
async fn fifo_script_gets_the_path_as_last_argument() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("f");
    let out = d.path().join("out");
    let script = d.path().join("reader.sh");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$*\" > {o}.args\nhead -n 2 \"$2\" > {o}.tmp && mv {o}.tmp {o}\n",
            o = out.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let w = FifoWriter::open(&path, None).unwrap();
    let (s, _) =
        Script::prepare(&format!("{} first", script.display()), Credentials::root()).unwrap();
    let runner = ScriptRunner::new(Duration::from_millis(200));
    w.start_script(&runner, &s).unwrap();
    w.send(&FifoLine::Instance {
        name: "VI_1".into(),
        state: FifoState::Backup,
        priority: 100,
    });
    w.send(&FifoLine::Instance {
        name: "VI_1".into(),
        state: FifoState::Master,
        priority: 100,
    });
    let end = tokio::time::Instant::now() + BOUND;
    while !out.exists() && tokio::time::Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        fs::read_to_string(&out).unwrap(),
        "INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" MASTER 100\n"
    );
    assert_eq!(
        fs::read_to_string(format!("{}.args", out.display()))
            .unwrap()
            .trim(),
        format!("first {}", path.display())
    );
    runner.shutdown().await;
}

#[tokio::test]
async fn nobody_reading_never_blocks_the_caller() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("f");
    let w = FifoWriter::open(&path, None).unwrap();
    // Far more than the queue (4096 lines) plus the pipe buffer (64 KiB) can hold. `send`
    // is synchronous: reaching the end of this loop is the proof that it never waits.
    for i in 0..20_000 {
        w.send(&inst(i));
    }
    assert!(w.dropped() > 0);
    // Let the writer fill the pipe; a bounded close gives up, and stops the writer.
    tokio::task::yield_now().await;
    let closed = tokio::time::timeout(Duration::from_millis(300), w.close()).await;
    assert!(closed.is_err(), "the pipe cannot have taken 20000 lines");
}
