//! Test harness: throw-away network namespaces joined by veth pairs or a bridge, for root
//! tests of this crate and of `alived`. Not for production use.
//!
//! Every namespace name carries the pid and a per-process counter, so parallel tests never
//! clash. [`Lab`]'s `Drop` kills every process it started (by pid) and deletes every namespace
//! it created, also when the test panics. Nothing here touches the root namespace's links.

use std::io;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::netns;

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn err(msg: String) -> io::Error {
    io::Error::other(msg)
}

/// Runs `cmd`, failing with its stderr if it exits non-zero.
pub fn run(cmd: &[&str]) -> io::Result<Output> {
    let (prog, args) = cmd
        .split_first()
        .ok_or_else(|| err("empty command".into()))?;
    let out = Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Err(err(format!(
            "`{}` failed ({}): {}",
            cmd.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out)
}

/// Polls `cond` every 20 ms until it returns true or `timeout` passes.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// A set of namespaces owned by one test.
#[derive(Debug)]
pub struct Lab {
    prefix: String,
    namespaces: Vec<String>,
    children: Vec<Child>,
}

impl Lab {
    /// A new, empty lab; `tag` names the test in namespace names (keep it short).
    pub fn new(tag: &str) -> Lab {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        Lab {
            prefix: format!("alv-{tag}-{}-{n}", std::process::id()),
            namespaces: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Creates namespace `<prefix>-<short>`, brings `lo` up, turns IPv6 DAD off (so
    /// link-local addresses are usable at once). Returns its full name.
    pub fn add_ns(&mut self, short: &str) -> io::Result<String> {
        let name = format!("{}-{short}", self.prefix);
        run(&["ip", "netns", "add", &name])?;
        self.namespaces.push(name.clone());
        run(&["ip", "-n", &name, "link", "set", "lo", "up"])?;
        for conf in ["all", "default"] {
            self.sysctl(&name, &format!("net/ipv6/conf/{conf}/accept_dad"), "0")?;
        }
        Ok(name)
    }

    /// Writes a sysctl (path below /proc/sys) inside `ns`.
    pub fn sysctl(&self, ns: &str, path: &str, value: &str) -> io::Result<()> {
        let script = format!("echo {value} > /proc/sys/{path}");
        run(&["ip", "netns", "exec", ns, "sh", "-c", &script]).map(|_| ())
    }

    /// `ip -n NS ARGS...`, returning stdout.
    pub fn ip(&self, ns: &str, args: &[&str]) -> io::Result<String> {
        let mut cmd = vec!["ip", "-n", ns];
        cmd.extend_from_slice(args);
        let out = run(&cmd)?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Runs a command inside `ns` and waits for it (`ip netns exec`).
    pub fn exec(&self, ns: &str, cmd: &[&str]) -> io::Result<Output> {
        let mut full = vec!["ip", "netns", "exec", ns];
        full.extend_from_slice(cmd);
        run(&full)
    }

    /// Starts a long-running command inside `ns`; the lab kills it on drop. Returns its pid.
    pub fn spawn(&mut self, ns: &str, cmd: &[&str]) -> io::Result<u32> {
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(cmd)
            .stdin(Stdio::null())
            .spawn()?;
        let pid = child.id();
        self.children.push(child);
        Ok(pid)
    }

    /// A veth pair: `if_a` in `ns_a`, `if_b` in `ns_b`, both up.
    pub fn veth(&self, ns_a: &str, if_a: &str, ns_b: &str, if_b: &str) -> io::Result<()> {
        self.ip(
            ns_a,
            &[
                "link", "add", if_a, "type", "veth", "peer", "name", if_b, "netns", ns_b,
            ],
        )?;
        self.ip(ns_a, &["link", "set", if_a, "up"])?;
        self.ip(ns_b, &["link", "set", if_b, "up"])?;
        Ok(())
    }

    /// A LAN: a bridge namespace holding `br0`, and one veth per `(ns, ifname)` member
    /// (the member end is named `ifname`, the bridge end `p<i>`). Returns the bridge ns.
    pub fn lan(&mut self, members: &[(&str, &str)]) -> io::Result<String> {
        let br = self.add_ns("br")?;
        self.ip(&br, &["link", "add", "br0", "type", "bridge"])?;
        // No STP/forward delay, no multicast snooping: frames flow as soon as ports are up.
        self.ip(
            &br,
            &["link", "set", "br0", "type", "bridge", "forward_delay", "0"],
        )?;
        self.ip(
            &br,
            &[
                "link",
                "set",
                "br0",
                "type",
                "bridge",
                "mcast_snooping",
                "0",
            ],
        )?;
        self.ip(&br, &["link", "set", "br0", "up"])?;
        for (i, (ns, ifname)) in members.iter().enumerate() {
            let port = format!("p{i}");
            self.veth(&br, &port, ns, ifname)?;
            self.ip(&br, &["link", "set", &port, "master", "br0"])?;
        }
        Ok(br)
    }

    /// The ifindex of `ifname` in `ns`.
    pub fn ifindex(&self, ns: &str, ifname: &str) -> io::Result<u32> {
        let out = self.ip(ns, &["-o", "link", "show", "dev", ifname])?;
        out.split(':')
            .next()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| err(format!("cannot parse ifindex from {out:?}")))
    }

    /// The MAC address of `ifname` in `ns`.
    pub fn mac(&self, ns: &str, ifname: &str) -> io::Result<[u8; 6]> {
        let out = self.ip(ns, &["-o", "link", "show", "dev", ifname])?;
        let text = out
            .split("link/ether ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .ok_or_else(|| err(format!("no MAC in {out:?}")))?;
        parse_mac(text).ok_or_else(|| err(format!("bad MAC {text:?}")))
    }

    /// Runs `f` on a fresh thread that has entered `ns` (setns(CLONE_NEWNET) on that thread
    /// only), and returns its result. A panic in `f` is re-raised here.
    pub fn run_in<R, F>(&self, ns: &str, f: F) -> io::Result<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let file = netns::open(ns).map_err(io::Error::other)?;
        let handle = thread::Builder::new()
            .name(format!("netns-{ns}"))
            .spawn(move || {
                netns::enter_fd(&file).map_err(io::Error::other)?;
                drop(file);
                Ok::<R, io::Error>(f())
            })?;
        match handle.join() {
            Ok(r) => r,
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }

    /// Like [`Lab::run_in`], with a current-thread tokio runtime on that thread running the
    /// future made by `f`.
    pub fn run_async<R, F, Fut>(&self, ns: &str, f: F) -> io::Result<R>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = R>,
        R: Send + 'static,
    {
        self.run_in(ns, move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            Ok::<R, io::Error>(rt.block_on(f()))
        })?
    }

    /// Spawns a thread in `ns` running `f` on a current-thread runtime, without waiting.
    /// Join the handle to get the result (bound the wait inside `f`).
    pub fn spawn_async<R, F, Fut>(
        &self,
        ns: &str,
        f: F,
    ) -> io::Result<thread::JoinHandle<io::Result<R>>>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = R>,
        R: Send + 'static,
    {
        let file = netns::open(ns).map_err(io::Error::other)?;
        thread::Builder::new()
            .name(format!("netns-{ns}"))
            .spawn(move || {
                netns::enter_fd(&file).map_err(io::Error::other)?;
                drop(file);
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                Ok(rt.block_on(f()))
            })
    }

    /// Names of the namespaces created so far.
    pub fn namespaces(&self) -> &[String] {
        &self.namespaces
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in self.namespaces.iter().rev() {
            let _ = Command::new("ip")
                .args(["netns", "del", ns])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Parses `aa:bb:cc:dd:ee:ff`.
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut mac {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}
