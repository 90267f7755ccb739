//! Script runner against real processes (root: uid switching, process groups, signals).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use alived_sys::script::{
    Credentials, ExecMode, Outcome, PrepareNotice, Script, ScriptError, ScriptRunner, TrackStart,
    already_running_message,
};

const GRACE: Duration = Duration::from_millis(300);
const BOUND: Duration = Duration::from_secs(10);

fn prep(cmd: &str) -> Script {
    Script::prepare(cmd, Credentials::root()).unwrap().0
}

/// A world-writable temp dir (scripts running as nobody write into it).
fn tmp() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o777)).unwrap();
    d
}

fn write_script(dir: &Path, name: &str, body: &str, mode: u32) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, body).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    p
}

/// Waits (bounded) for a condition that a child process makes true.
async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let end = tokio::time::Instant::now() + BOUND;
    while tokio::time::Instant::now() < end {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cond()
}

/// The pid written by a script, once the file is complete.
async fn read_pid(p: &Path) -> i32 {
    assert!(
        eventually(|| fs::read_to_string(p).is_ok_and(|s| s.ends_with('\n'))).await,
        "{} never written",
        p.display()
    );
    fs::read_to_string(p).unwrap().trim().parse().unwrap()
}

/// True when `pid` no longer exists (or is a zombie about to be reaped by init).
fn gone(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(s) => s
            .rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z')),
    }
}

#[tokio::test]
async fn exit_codes_and_signals() {
    let r = ScriptRunner::new(GRACE);
    assert_eq!(
        r.run(&prep("/bin/sh -c 'exit 3'"), &[], None).await,
        Outcome::Exited(3)
    );
    assert_eq!(
        r.run(&prep("/bin/true"), &[], None).await,
        Outcome::Exited(0)
    );
    assert!(r.run(&prep("true"), &[], None).await.success());
    assert_eq!(
        r.run(&prep("/bin/sh -c 'kill -USR1 $$'"), &[], None).await,
        Outcome::Signalled(libc::SIGUSR1)
    );
    assert_eq!(r.running(), 0);
}

#[tokio::test]
async fn timeout_kills_the_whole_group() {
    let d = tmp();
    let pidf = d.path().join("grandchild");
    let cmd = format!(
        "/bin/sh -c 'sleep 300 & echo $! > {}; wait'",
        pidf.display()
    );
    let r = ScriptRunner::new(GRACE);
    let script = prep(&cmd);
    let run = r.run(&script, &[], Some(Duration::from_millis(500)));
    let (outcome, pid) = tokio::join!(run, read_pid(&pidf));
    assert_eq!(outcome, Outcome::TimedOut);
    assert!(eventually(|| gone(pid)).await, "grandchild {pid} survived");
}

#[tokio::test]
async fn timeout_escalates_to_sigkill() {
    let d = tmp();
    let pidf = d.path().join("pid");
    let cmd = format!(
        "/bin/sh -c 'trap \"\" TERM; echo $$ > {}; while :; do sleep 1; done'",
        pidf.display()
    );
    let r = ScriptRunner::new(GRACE);
    let script = prep(&cmd);
    let run = r.run(&script, &[], Some(Duration::from_millis(300)));
    let (outcome, pid) = tokio::join!(run, read_pid(&pidf));
    assert_eq!(outcome, Outcome::TimedOut);
    assert!(eventually(|| gone(pid)).await);
}

#[tokio::test]
async fn environment_group_and_arguments() {
    // SAFETY: set before any child of this test is spawned; std's env lock covers spawns.
    unsafe {
        std::env::set_var("LD_PRELOAD", "/nonexistent.so");
        std::env::set_var("IFS", "x");
        std::env::set_var("ALIVED_KEEP_ME", "kept");
    }
    let d = tmp();
    let out = d.path().join("out");
    let s = write_script(
        d.path(),
        "env.sh",
        &format!(
            "#!/bin/sh\n{{ echo \"args=$*\"; echo \"pre=${{LD_PRELOAD-unset}} ifs=$(tr \\\\0 \\\\n < /proc/$$/environ | grep -c ^IFS=) keep=$ALIVED_KEEP_ME\"; \
             echo \"pgrp=$(cut -d' ' -f5 /proc/$$/stat) pid=$$\"; }} > {}\n",
            out.display()
        ),
        0o755,
    );
    let script = prep(&format!("{} 'first arg' second", s.display()));
    assert_eq!(script.mode, ExecMode::Direct);
    let r = ScriptRunner::new(GRACE);
    let o = r
        .run(&script, &["INSTANCE", "VI_1", "MASTER", "100"], None)
        .await;
    assert_eq!(o, Outcome::Exited(0));
    let text = fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "args=first arg second INSTANCE VI_1 MASTER 100");
    assert_eq!(lines[1], "pre=unset ifs=0 keep=kept");
    let (pgrp, pid) = lines[2].split_once(' ').unwrap();
    assert_eq!(
        pgrp.trim_start_matches("pgrp="),
        pid.trim_start_matches("pid=")
    );
}

#[tokio::test]
async fn runs_as_the_configured_user() {
    let d = tmp();
    let out = d.path().join("ids");
    let s = write_script(
        d.path(),
        "id.sh",
        &format!(
            "#!/bin/sh\necho \"$(id -u) $(id -g) $(id -G)\" > {}\n",
            out.display()
        ),
        0o755,
    );
    let creds = Credentials::lookup("nobody", Some("nogroup")).unwrap();
    let (script, _) = Script::prepare(&s.display().to_string(), creds.clone()).unwrap();
    let o = ScriptRunner::new(GRACE).run(&script, &[], None).await;
    assert_eq!(o, Outcome::Exited(0));
    let got = fs::read_to_string(&out).unwrap();
    assert_eq!(
        got.trim(),
        format!("{} {} {}", creds.uid, creds.gid, creds.gid)
    );
    assert_ne!(creds.uid, 0);
}

#[tokio::test]
async fn load_checks() {
    let d = tmp();
    let missing = d.path().join("missing.sh");
    assert!(matches!(
        Script::prepare(&missing.display().to_string(), Credentials::root()),
        Err(ScriptError::NotFound(_))
    ));
    let noexec = write_script(d.path(), "noexec.sh", "#!/bin/sh\n", 0o644);
    let err = Script::prepare(&noexec.display().to_string(), Credentials::root()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "WARNING - script '{}' is not executable for uid:gid 0:0 - disabling.",
            noexec.display()
        )
    );
    let private = write_script(d.path(), "private.sh", "#!/bin/sh\n", 0o700);
    let nobody = Credentials::lookup("nobody", None).unwrap();
    let err = Script::prepare(&private.display().to_string(), nobody.clone()).unwrap_err();
    assert_eq!(
        err,
        ScriptError::NotExecutable {
            path: private.clone(),
            uid: nobody.uid,
            gid: nobody.gid
        }
    );
    assert!(matches!(
        Credentials::lookup("no-such-user-alived", None),
        Err(ScriptError::UnknownUser(_))
    ));
}

#[tokio::test]
async fn shebang_less_and_redirect_scripts_use_the_shell() {
    let d = tmp();
    let out = d.path().join("out");
    let s = write_script(
        d.path(),
        "plain",
        &format!("echo \"$1\" > {}\n", out.display()),
        0o755,
    );
    let (script, notice) =
        Script::prepare(&format!("{} hello", s.display()), Credentials::root()).unwrap();
    assert_eq!(script.mode, ExecMode::ShellScript);
    assert_eq!(
        notice.map(|n: PrepareNotice| n.to_string()),
        Some(format!("Please add a #! shebang to script {}", s.display()))
    );
    let r = ScriptRunner::new(GRACE);
    assert_eq!(r.run(&script, &[], None).await, Outcome::Exited(0));
    assert_eq!(fs::read_to_string(&out).unwrap(), "hello\n");

    let redirect = prep("</dev/null");
    assert_eq!(redirect.mode, ExecMode::ShellCommand);
    assert_eq!(r.run(&redirect, &[], None).await, Outcome::Exited(0));
    let bad = prep("</nonexistent/file");
    assert!(matches!(r.run(&bad, &[], None).await, Outcome::Exited(c) if c != 0));
}

#[tokio::test]
async fn track_runs_are_skipped_while_running_and_stopped_at_shutdown() {
    let d = tmp();
    let pidf = d.path().join("pid");
    let script = prep(&format!(
        "/bin/sh -c 'echo $$ > {}; exec sleep 300'",
        pidf.display()
    ));
    let r = ScriptRunner::new(GRACE);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    assert_eq!(
        r.start_track("chk", &script, BOUND * 3, &tx),
        TrackStart::Started
    );
    let pid = read_pid(&pidf).await;
    assert_eq!(
        r.start_track("chk", &script, BOUND * 3, &tx),
        TrackStart::AlreadyRunning
    );
    assert_eq!(
        already_running_message("chk"),
        "Track script chk is already running, expect idle - skipping run"
    );
    // Another script name is independent.
    assert_eq!(
        r.start_track("other", &prep("/bin/true"), BOUND, &tx),
        TrackStart::Started
    );
    let first = tokio::time::timeout(BOUND, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (first.name.as_str(), first.outcome),
        ("other", Outcome::Exited(0))
    );

    tokio::time::timeout(BOUND, r.shutdown()).await.unwrap();
    assert_eq!(r.running(), 0);
    assert!(gone(pid));
    let done = tokio::time::timeout(BOUND, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (done.name.as_str(), done.outcome),
        ("chk", Outcome::Signalled(libc::SIGTERM))
    );
    // After shutdown nothing starts.
    assert_eq!(
        r.start_track("late", &script, BOUND, &tx),
        TrackStart::Started
    );
    let late = tokio::time::timeout(BOUND, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(late.outcome, Outcome::SpawnFailed(_)));
}

#[tokio::test]
async fn notify_scripts_are_reaped_and_killed_only_at_shutdown() {
    let d = tmp();
    let quick = d.path().join("quick");
    let r = ScriptRunner::new(GRACE);
    r.spawn_notify(
        &prep(&format!("/bin/sh -c 'echo $$ > {}'", quick.display())),
        &[],
    )
    .unwrap();
    let pid = read_pid(&quick).await;
    assert!(eventually(|| r.running() == 0).await);
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "zombie left behind"
    );

    let slow = d.path().join("slow");
    r.spawn_notify(
        &prep(&format!(
            "/bin/sh -c 'echo $$ > {}; exec sleep 300'",
            slow.display()
        )),
        &[],
    )
    .unwrap();
    let pid = read_pid(&slow).await;
    assert_eq!(r.running(), 1);
    tokio::time::timeout(BOUND, r.shutdown()).await.unwrap();
    assert_eq!(r.running(), 0);
    assert!(gone(pid));
}

/// PR_SET_PDEATHSIG is tied to the thread that spawned the child: when that thread dies
/// without dropping its runtime (no kill_on_drop SIGKILL), the script gets SIGTERM.
#[test]
fn scripts_get_sigterm_when_their_parent_thread_dies() {
    let d = tmp();
    let marker = d.path().join("term");
    let pidf = d.path().join("pid");
    let script = prep(&format!(
        "/bin/sh -c 'trap \"echo term > {}; exit 0\" TERM; echo $$ > {}; while :; do sleep 0.1; done'",
        marker.display(),
        pidf.display()
    ));
    let pf = pidf.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let r = ScriptRunner::new(GRACE);
            r.spawn_notify(&script, &[]).unwrap();
            read_pid(&pf).await;
            std::mem::forget(r);
        });
        std::mem::forget(rt); // no drop: nothing but the thread's death signals the child
    })
    .join()
    .unwrap();
    let ok = alived_sys::testnet::wait_until(BOUND, || marker.exists());
    assert!(ok, "the script never got SIGTERM");
    assert_eq!(fs::read_to_string(&marker).unwrap(), "term\n");
}
