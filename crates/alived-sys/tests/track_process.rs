//! Root tests: process tracking through the kernel's proc connector, with copies of `sleep`
//! under a name unique to this test run (processes we start and kill by pid).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use alived_sys::track_process::{ParamMatch, ProcessEvent, ProcessSpec, ProcessTracker};
use tokio::sync::mpsc::UnboundedReceiver;

const BOUND: Duration = Duration::from_secs(10);
static N: AtomicU32 = AtomicU32::new(0);

/// A copy of /bin/sleep named `tp<pid>x<n>` (at most 15 bytes: the whole comm).
struct Sleeper {
    _dir: tempfile::TempDir,
    path: PathBuf,
    comm: String,
    children: Vec<Child>,
}

impl Sleeper {
    fn new() -> Sleeper {
        let dir = tempfile::tempdir().unwrap();
        let comm = format!(
            "tp{}x{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        assert!(comm.len() <= 15);
        let path = dir.path().join(&comm);
        std::fs::copy("/bin/sleep", &path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        Sleeper {
            _dir: dir,
            path,
            comm,
            children: Vec::new(),
        }
    }
    fn spawn(&mut self, arg: &str) -> u32 {
        let c = Command::new(&self.path)
            .arg(arg)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let pid = c.id();
        self.children.push(c);
        pid
    }
    fn kill(&mut self, pid: u32) {
        let i = self.children.iter().position(|c| c.id() == pid).unwrap();
        let mut c = self.children.remove(i);
        c.kill().unwrap();
        c.wait().unwrap();
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn next(rx: &mut UnboundedReceiver<ProcessEvent>) -> ProcessEvent {
    tokio::time::timeout(BOUND, rx.recv())
        .await
        .expect("no event in time")
        .unwrap()
}

fn count(name: &str, count: u32) -> ProcessEvent {
    ProcessEvent::Count {
        name: name.into(),
        count,
    }
}
fn quorum(name: &str, have_quorum: bool) -> ProcessEvent {
    ProcessEvent::Quorum {
        name: name.into(),
        have_quorum,
    }
}

#[tokio::test]
async fn counts_rise_and_fall_with_quorum() {
    let mut s = Sleeper::new();
    let first = s.spawn("300"); // already running at start: found by the /proc scan
    let mut spec = ProcessSpec::new("t", &s.comm);
    spec.quorum = 2;
    spec.quorum_max = Some(2);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _tracker = ProcessTracker::start(vec![spec], tx).await.unwrap();
    assert_eq!(next(&mut rx).await, count("t", 1));
    assert_eq!(next(&mut rx).await, quorum("t", false));

    let second = s.spawn("300");
    assert_eq!(next(&mut rx).await, count("t", 2));
    assert_eq!(next(&mut rx).await, quorum("t", true));
    let third = s.spawn("300");
    assert_eq!(next(&mut rx).await, count("t", 3));
    assert_eq!(next(&mut rx).await, quorum("t", false)); // above quorum_max
    s.kill(third);
    assert_eq!(next(&mut rx).await, count("t", 2));
    assert_eq!(next(&mut rx).await, quorum("t", true));
    s.kill(first);
    assert_eq!(next(&mut rx).await, count("t", 1));
    assert_eq!(next(&mut rx).await, quorum("t", false));
    s.kill(second);
    assert_eq!(next(&mut rx).await, count("t", 0));
}

#[tokio::test]
async fn terminate_delay_holds_the_loss_back() {
    let mut s = Sleeper::new();
    let pid = s.spawn("300");
    let mut spec = ProcessSpec::new("d", &s.comm);
    spec.terminate_delay = Duration::from_millis(400);
    // keepalived 2.2.7 applies fork_delay to forks only: an exec'd process counts at once
    // (the quorum below must arrive well within BOUND, far below this delay).
    spec.fork_delay = Duration::from_secs(600);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _tracker = ProcessTracker::start(vec![spec], tx).await.unwrap();
    assert_eq!(next(&mut rx).await, count("d", 1));
    assert_eq!(next(&mut rx).await, quorum("d", true));
    s.kill(pid);
    assert_eq!(next(&mut rx).await, count("d", 0));
    let t0 = Instant::now();
    assert_eq!(next(&mut rx).await, quorum("d", false));
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "reported early: {:?}",
        t0.elapsed()
    );

    // A process that comes back within the delay: the loss is never reported.
    let pid = s.spawn("300");
    assert_eq!(next(&mut rx).await, count("d", 1));
    assert_eq!(next(&mut rx).await, quorum("d", true));
    s.kill(pid);
    assert_eq!(next(&mut rx).await, count("d", 0));
    s.spawn("300");
    assert_eq!(next(&mut rx).await, count("d", 1));
    // Nothing more within twice the delay.
    let quiet = tokio::time::timeout(Duration::from_millis(800), rx.recv()).await;
    assert!(quiet.is_err(), "unexpected {quiet:?}");
}

#[tokio::test]
async fn full_command_and_parameters() {
    let mut s = Sleeper::new();
    let path = s.path.display().to_string();
    let with_params = |name: &str, m: ParamMatch| {
        let mut p = ProcessSpec::new(name, &path);
        p.params = Some(vec!["30".into()]);
        p.param_match = m;
        p
    };
    let mut by_comm = ProcessSpec::new("comm", &s.comm);
    by_comm.full_command = true; // argv[0] is the full path, not the comm: never matches
    let specs = vec![
        with_params("exact", ParamMatch::Exact),
        with_params("initial", ParamMatch::Initial),
        with_params("partial", ParamMatch::Partial),
        by_comm,
    ];
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _tracker = ProcessTracker::start(specs, tx).await.unwrap();
    for _ in 0..8 {
        next(&mut rx).await; // initial counts and quorums
    }
    s.spawn("301");
    s.spawn("30");
    s.children
        .push(Command::new(&s.path).args(["30", "1"]).spawn().unwrap());
    let want = [count("exact", 1), count("initial", 3), count("partial", 2)];
    let mut got = Vec::new();
    let end = tokio::time::Instant::now() + BOUND;
    while !want.iter().all(|w| got.contains(w)) {
        assert!(tokio::time::Instant::now() < end, "{got:?}");
        got.push(next(&mut rx).await);
    }
    assert!(!got.contains(&count("exact", 2)), "{got:?}");
    assert!(!got.contains(&count("partial", 3)), "{got:?}");
    assert!(
        !got.iter()
            .any(|e| matches!(e, ProcessEvent::Count { name, .. } if name == "comm")),
        "{got:?}"
    );
}
