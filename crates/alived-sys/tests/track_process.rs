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
        let c = self.command(&[arg]);
        let pid = c.id();
        self.children.push(c);
        pid
    }
    /// Starts the copy. Retries ETXTBSY: another test thread may fork while the copy's
    /// write descriptor is still open in this (multi-threaded) process.
    fn command(&self, args: &[&str]) -> Child {
        for _ in 0..100 {
            match Command::new(&self.path)
                .args(args)
                .stdout(Stdio::null())
                .spawn()
            {
                Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                r => return r.unwrap(),
            }
        }
        panic!("{} stayed busy", self.path.display());
    }
    /// Waits (bounded) until `pid` has finished its exec (its comm is ours), so that a scan
    /// started now finds it.
    fn wait_exec(&self, pid: u32) {
        let ok = alived_sys::testnet::wait_until(BOUND, || {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim_end() == self.comm)
        });
        assert!(ok, "{pid} never ran as {}", self.comm);
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

async fn expect(rx: &mut UnboundedReceiver<ProcessEvent>, want: ProcessEvent) {
    match tokio::time::timeout(BOUND, rx.recv()).await {
        Ok(Some(got)) => assert_eq!(got, want),
        other => panic!("waiting for {want:?}: {other:?}"),
    }
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
    s.wait_exec(first);
    let mut spec = ProcessSpec::new("t", &s.comm);
    spec.quorum = 2;
    spec.quorum_max = Some(2);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _tracker = ProcessTracker::start(vec![spec], tx).await.unwrap();
    expect(&mut rx, count("t", 1)).await;
    expect(&mut rx, quorum("t", false)).await;

    let second = s.spawn("300");
    expect(&mut rx, count("t", 2)).await;
    expect(&mut rx, quorum("t", true)).await;
    let third = s.spawn("300");
    expect(&mut rx, count("t", 3)).await;
    expect(&mut rx, quorum("t", false)).await; // above quorum_max
    s.kill(third);
    expect(&mut rx, count("t", 2)).await;
    expect(&mut rx, quorum("t", true)).await;
    s.kill(first);
    expect(&mut rx, count("t", 1)).await;
    expect(&mut rx, quorum("t", false)).await;
    s.kill(second);
    expect(&mut rx, count("t", 0)).await;
}

#[tokio::test]
async fn terminate_delay_holds_the_loss_back() {
    let mut s = Sleeper::new();
    let pid = s.spawn("300");
    s.wait_exec(pid);
    let mut spec = ProcessSpec::new("d", &s.comm);
    spec.terminate_delay = Duration::from_millis(400);
    // keepalived 2.2.7 applies fork_delay to forks only: an exec'd process counts at once
    // (the quorum below must arrive well within BOUND, far below this delay).
    spec.fork_delay = Duration::from_secs(600);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _tracker = ProcessTracker::start(vec![spec], tx).await.unwrap();
    expect(&mut rx, count("d", 1)).await;
    expect(&mut rx, quorum("d", true)).await;
    s.kill(pid);
    expect(&mut rx, count("d", 0)).await;
    let t0 = Instant::now();
    expect(&mut rx, quorum("d", false)).await;
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "reported early: {:?}",
        t0.elapsed()
    );

    // A process that comes back within the delay: the loss is never reported.
    let pid = s.spawn("300");
    expect(&mut rx, count("d", 1)).await;
    expect(&mut rx, quorum("d", true)).await;
    s.kill(pid);
    expect(&mut rx, count("d", 0)).await;
    s.spawn("300");
    expect(&mut rx, count("d", 1)).await;
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
    let c = s.command(&["30", "1"]);
    s.children.push(c);
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

#[test]
fn refuses_clearly_inside_a_network_namespace() {
    let mut lab = alived_sys::testnet::Lab::new("tp");
    let ns = lab.add_ns("a").unwrap();
    let r = lab
        .run_async(&ns, || async {
            let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
            ProcessTracker::start(vec![ProcessSpec::new("x", "x")], tx)
                .await
                .map(|_| ())
        })
        .unwrap();
    let e = r.unwrap_err();
    assert!(e.to_string().contains("initial network namespace"), "{e}");
}
