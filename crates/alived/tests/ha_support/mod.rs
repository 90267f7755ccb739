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

/// Adds `lines` to `global_defs` of a configuration rendered by `VrrpConf::render`.
pub fn extend_global(rendered: &str, lines: &str) -> String {
    rendered.replacen("global_defs {\n", &format!("global_defs {{\n{lines}"), 1)
}

/// Reads a FIFO (opened read-write and non-blocking, so neither side ever waits) into a list
/// of lines, until dropped.
pub struct FifoReader {
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FifoReader {
    /// Creates the FIFO at `path` (0600) and starts reading it.
    pub fn start(path: &Path) -> FifoReader {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(path)
            .unwrap();
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (l, s) = (lines.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut partial = Vec::new();
            let mut buf = [0u8; 4096];
            while !s.load(std::sync::atomic::Ordering::Relaxed) {
                match f.read(&mut buf) {
                    Ok(n) if n > 0 => {
                        partial.extend_from_slice(&buf[..n]);
                        while let Some(pos) = partial.iter().position(|b| *b == b'\n') {
                            let line: Vec<u8> = partial.drain(..=pos).collect();
                            let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                            l.lock().unwrap().push(text);
                        }
                    }
                    _ => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        FifoReader {
            lines,
            stop,
            thread: Some(thread),
        }
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits until at least `n` lines arrived.
    pub fn wait_lines(&self, n: usize, timeout: Duration) -> Vec<String> {
        wait_until(timeout, || self.lines().len() >= n);
        self.lines()
    }
}

impl Drop for FifoReader {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The test SMTP server (Debian's python3-aiosmtpd), run in `ns` on `addr:port`: it appends
/// each mail's Subject to `subjects`.
pub fn smtp_server(ns: &str, dir: &Path, addr: &str, port: u16) -> (Proc, PathBuf) {
    let py = dir.join("smtpd.py");
    std::fs::write(
        &py,
        "import sys, threading\n\
         from aiosmtpd.controller import Controller\n\
         class H:\n\
         \x20   async def handle_DATA(self, server, session, envelope):\n\
         \x20       text = envelope.content.decode('utf8', 'replace')\n\
         \x20       with open(sys.argv[3], 'a') as f:\n\
         \x20           for line in text.splitlines():\n\
         \x20               if line.startswith('Subject: '):\n\
         \x20                   f.write(line[9:] + '\\n')\n\
         \x20       return '250 OK'\n\
         c = Controller(H(), hostname=sys.argv[1], port=int(sys.argv[2]))\n\
         c.start()\n\
         open(sys.argv[3] + '.ready', 'w').close()\n\
         threading.Event().wait()\n",
    )
    .unwrap();
    let subjects = dir.join(format!("subjects-{port}"));
    let (py_s, subj_s, port_s) = (
        py.to_string_lossy().into_owned(),
        subjects.to_string_lossy().into_owned(),
        port.to_string(),
    );
    let p = spawn_in(ns, &[PYTHON, &py_s, addr, &port_s, &subj_s]);
    let ready = subjects.with_file_name(format!("subjects-{port}.ready"));
    assert!(
        wait_until(Duration::from_secs(10), || ready.exists()),
        "the SMTP server did not start"
    );
    (p, subjects)
}

/// The lines of a file (none if it does not exist).
pub fn file_lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A mail server that accepts connections (through the kernel's backlog) and never says a
/// word: every alert waits for its full `smtp_connect_timeout`.
pub fn smtp_tarpit(ns: &str, dir: &Path, addr: &str, port: u16) -> Proc {
    let py = dir.join("tarpit.py");
    std::fs::write(
        &py,
        "import socket, sys, threading\n\
         s = socket.socket()\n\
         s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
         s.bind((sys.argv[1], int(sys.argv[2])))\n\
         s.listen(64)\n\
         open(sys.argv[3], 'w').close()\n\
         threading.Event().wait()\n",
    )
    .unwrap();
    let ready = dir.join(format!("tarpit-{port}.ready"));
    let (py_s, port_s, ready_s) = (
        py.to_string_lossy().into_owned(),
        port.to_string(),
        ready.to_string_lossy().into_owned(),
    );
    let p = spawn_in(ns, &[PYTHON, &py_s, addr, &port_s, &ready_s]);
    assert!(
        wait_until(Duration::from_secs(10), || ready.exists()),
        "the tarpit did not start"
    );
    p
}
