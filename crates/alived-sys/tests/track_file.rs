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

/// Live check against keepalived 2.2.7 in a namespace: for each file content, the priority
/// keepalived logs is 100 + our `read_value` (weight 1).
#[test]
fn values_agree_with_live_keepalived() {
    use std::io::BufRead;
    if !std::path::Path::new("/usr/sbin/keepalived").exists() {
        println!("NOTICE: /usr/sbin/keepalived not installed; skipping the live comparison");
        return;
    }
    let mut lab = alived_sys::testnet::Lab::new("katf");
    let ns = lab.add_ns("a").unwrap();
    lab.ip(
        &ns,
        &["link", "add", "d0", "type", "veth", "peer", "name", "d1"],
    )
    .unwrap();
    lab.ip(&ns, &["link", "set", "d0", "up"]).unwrap();
    lab.ip(&ns, &["link", "set", "d1", "up"]).unwrap();
    lab.ip(&ns, &["addr", "add", "10.1.1.1/24", "dev", "d0"])
        .unwrap();
    let d = tempfile::tempdir().unwrap();
    let v = d.path().join("v");
    fs::write(&v, "0").unwrap();
    let conf = d.path().join("k.conf");
    fs::write(
        &conf,
        format!(
            "global_defs {{\n router_id r1\n}}\ntrack_file tf {{\n file {}\n weight 1\n}}\n\
             vrrp_instance VI_1 {{\n state BACKUP\n interface d0\n virtual_router_id 51\n priority 100\n\
             advert_int 1\n virtual_ipaddress {{\n  10.9.9.9/24\n }}\n track_file {{\n  tf\n }}\n}}\n",
            v.display()
        ),
    )
    .unwrap();
    let p = |n: &str| d.path().join(n).display().to_string();
    let mut child = std::process::Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns,
            "/usr/sbin/keepalived",
            "-n",
            "-l",
            "-D",
            "-f",
        ])
        .args([
            p("k.conf"),
            "-p".into(),
            p("a.pid"),
            "-r".into(),
            p("v.pid"),
            "-c".into(),
            p("c.pid"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped()) // -l logs to the console (stderr)
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let out = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            for _ in 0..100 {
                if matches!(self.0.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _stop = Stop(child);
    // Wait until keepalived runs (its VRRP child has read the config and the file).
    let started = std::iter::from_fn(|| rx.recv_timeout(BOUND).ok())
        .any(|l| l.contains("Entering BACKUP STATE") || l.contains("entering FAULT state"));
    assert!(started, "keepalived did not start");
    for text in ["5", "-3", "abc", "12abc", " 7", "0x10", "+4", "3.9", "010"] {
        fs::write(&v, text).unwrap();
        let want = (100 + read_value(&v)).clamp(1, 254);
        let suffix = format!(" to {want}");
        let seen = std::iter::from_fn(|| rx.recv_timeout(BOUND).ok())
            .find(|l| l.contains("Changing effective priority from"));
        let line = seen.unwrap_or_else(|| panic!("no priority change after writing {text:?}"));
        assert!(
            line.ends_with(&suffix),
            "{text:?}: keepalived: {line}; ours: {want}"
        );
    }
}
