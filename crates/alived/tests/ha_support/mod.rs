//! Helpers for the tracker and notify root tests: an HTTP backend and Debian's haproxy in a
//! router namespace, executable scripts in a temp dir, and a client fetch through the VIP.
//! Every process is started by us and killed by its pid on drop.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alived_sys::testnet::wait_until;

/// Debian's python, not whatever `python3` is first on PATH.
pub const PYTHON: &str = "/usr/bin/python3";
pub const HAPROXY: &str = "/usr/sbin/haproxy";

/// A child we started, killed (SIGKILL) and reaped on drop.
pub struct Proc(pub Option<Child>);

impl Proc {
    pub fn pid(&self) -> Option<u32> {
        self.0.as_ref().map(Child::id)
    }
    /// SIGKILL and reap; returns when it is gone.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
    pub fn is_running(&mut self) -> bool {
        self.0
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `ip netns exec NS ARGS...` (the program replaces `ip`, so the child's pid is its own).
pub fn spawn_in(ns: &str, args: &[&str]) -> Proc {
    let child = Command::new("ip")
        .args(["netns", "exec", ns])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn in namespace");
    Proc(Some(child))
}

/// Writes an executable (0755) script.
pub fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// A temp dir that root-run scripts may live in (0755, so keepalived's path check passes).
pub fn script_dir() -> tempfile::TempDir {
    let d = tempfile::Builder::new()
        .prefix("alived-ha-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    d
}

/// One router's web stack: a backend answering its name on 127.0.0.1:8081 and haproxy on
/// *:80 in front of it. The haproxy pid is kept in `pidfile` for the check script (the routers
/// share one PID namespace, so `pidof haproxy` would see the other router's haproxy too).
pub struct WebStack {
    pub ns: String,
    pub dir: PathBuf,
    pub backend: Proc,
    pub haproxy: Proc,
}

impl WebStack {
    pub fn start(ns: &str, dir: &Path, name: &str) -> WebStack {
        let www = dir.join(format!("www-{name}"));
        std::fs::create_dir_all(&www).unwrap();
        std::fs::write(www.join("index.html"), format!("{name}\n")).unwrap();
        let www_s = www.to_string_lossy().into_owned();
        let backend = spawn_in(
            ns,
            &[
                PYTHON,
                "-m",
                "http.server",
                "8081",
                "--bind",
                "127.0.0.1",
                "--directory",
                &www_s,
            ],
        );
        let mut s = WebStack {
            ns: ns.to_owned(),
            dir: dir.to_path_buf(),
            backend,
            haproxy: Proc(None),
        };
        s.start_haproxy();
        s
    }

    pub fn haproxy_cfg(&self) -> PathBuf {
        self.dir.join(format!("haproxy-{}.cfg", self.ns))
    }

    pub fn pidfile(&self) -> PathBuf {
        self.dir.join(format!("haproxy-{}.pid", self.ns))
    }

    /// Starts haproxy (again) and waits until it serves through 127.0.0.1:80.
    pub fn start_haproxy(&mut self) {
        let cfg = self.haproxy_cfg();
        std::fs::write(
            &cfg,
            "global\n    maxconn 64\n\ndefaults\n    mode http\n    timeout connect 1s\n    \
             timeout client 5s\n    timeout server 5s\n\nfrontend fe\n    bind *:80\n    \
             default_backend be\n\nbackend be\n    server s1 127.0.0.1:8081\n",
        )
        .unwrap();
        let cfg_s = cfg.to_string_lossy().into_owned();
        self.haproxy = spawn_in(&self.ns, &[HAPROXY, "-db", "-f", &cfg_s]);
        std::fs::write(self.pidfile(), format!("{}\n", self.haproxy.pid().unwrap())).unwrap();
        let ns = self.ns.clone();
        assert!(
            wait_until(Duration::from_secs(10), || fetch(&ns, "127.0.0.1")
                .is_some()),
            "haproxy in {ns} does not serve"
        );
    }

    /// The check script's body: is this router's haproxy alive?
    pub fn check_script(&self) -> String {
        format!(
            "#!/bin/sh\nexec /bin/kill -0 \"$(cat {})\" 2>/dev/null\n",
            self.pidfile().display()
        )
    }
}

/// `GET http://ADDR/` from `ns` (1 s timeout): the body, or None.
pub fn fetch(ns: &str, addr: &str) -> Option<String> {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "curl", "-sf", "--max-time", "1"])
        .arg(format!("http://{addr}/"))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Waits until the client gets `want` through `addr`; returns when it first did.
pub fn expect_served_by(ns: &str, addr: &str, want: &str, timeout: Duration) -> Instant {
    let ok = wait_until(timeout, || fetch(ns, addr).as_deref() == Some(want));
    assert!(
        ok,
        "client never served by {want} through {addr} within {timeout:?}"
    );
    Instant::now()
}

/// Adds `top` (blocks such as `vrrp_script`) before the instance and `inner` (keywords) inside
/// it, to a configuration rendered by `VrrpConf::render`.
pub fn extend_conf(rendered: &str, top: &str, inner: &str) -> String {
    let at = rendered.find("vrrp_instance").expect("an instance");
    let mut s = String::new();
    s.push_str(&rendered[..at]);
    s.push_str(top);
    s.push('\n');
    let rest = &rendered[at..];
    let vip = rest
        .find("    virtual_ipaddress {")
        .expect("virtual_ipaddress");
    s.push_str(&rest[..vip]);
    s.push_str(inner);
    s.push_str(&rest[vip..]);
    s
}
