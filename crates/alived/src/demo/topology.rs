//! A LAN of N routers and one client namespace on a bridge, each on `eth0` in
//! 10.A.B.0/24 (A.B unique per topology in this process): routers are .1 to .N, the client
//! .200, the VIP .100. Dropping it kills every daemon, then deletes every namespace.
//!
//! Shared by `alived demo` and the root scenario tests (tests/common includes this file).

use std::io;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use alived_sys::testnet::Lab;

use super::router::{Daemon, Router};

static SUBNETS: AtomicU32 = AtomicU32::new(0);

/// Routers, a client and the lab that owns their namespaces.
#[derive(Debug)]
pub struct Topology {
    /// Declared first: dropped (daemons killed) before the namespaces go.
    pub routers: Vec<Router>,
    /// The client/observer namespace.
    pub client: String,
    /// The first two octets after 10.
    pub subnet: [u8; 2],
    dir: PathBuf,
    pub lab: Lab,
}

impl Topology {
    /// Builds `n` routers `r1..rN` (not started) running `daemon`, and a client `c`, on one
    /// bridge.
    pub fn new(tag: &str, n: usize, daemon: &Daemon) -> io::Result<Topology> {
        Topology::with_daemons(tag, &vec![daemon.clone(); n])
    }

    /// Like [`Topology::new`] with one daemon per router (`r1` runs `daemons[0]`...), e.g.
    /// keepalived next to alived for interoperability runs.
    pub fn with_daemons(tag: &str, daemons: &[Daemon]) -> io::Result<Topology> {
        let n = daemons.len();
        let mut lab = Lab::new(tag);
        let k = SUBNETS.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let subnet = [
            u8::try_from(pid % 200 + 20).unwrap_or(20),
            u8::try_from(k % 250 + 1).unwrap_or(1),
        ];
        let dir = std::env::temp_dir().join(format!("alived-lab-{tag}-{pid}-{k}"));
        std::fs::create_dir_all(&dir)?;
        let mut topo = Topology {
            routers: Vec::new(),
            client: String::new(),
            subnet,
            dir,
            lab: Lab::new(tag),
        };
        let mut names = Vec::new();
        for i in 1..=n {
            names.push((format!("r{i}"), lab.add_ns(&format!("r{i}"))?));
        }
        let client = lab.add_ns("c")?;
        let mut members: Vec<(&str, &str)> =
            names.iter().map(|(_, ns)| (ns.as_str(), "eth0")).collect();
        members.push((&client, "eth0"));
        lab.lan(&members)?;
        for (i, (name, ns)) in names.iter().enumerate() {
            let host = u8::try_from(i + 1).unwrap_or(u8::MAX);
            let addr = format!("{}/24", topo.addr(host));
            lab.ip(ns, &["addr", "add", &addr, "dev", "eth0"])?;
            let daemon = daemons.get(i).cloned().unwrap_or_else(Daemon::keepalived);
            topo.routers
                .push(Router::new(name, ns, "eth0", daemon, &topo.dir));
        }
        let addr = format!("{}/24", topo.client_addr());
        lab.ip(&client, &["addr", "add", &addr, "dev", "eth0"])?;
        topo.client = client;
        topo.lab = lab;
        Ok(topo)
    }

    /// 10.A.B.host
    pub fn addr(&self, host: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, self.subnet[0], self.subnet[1], host)
    }

    /// The virtual address (.100).
    pub fn vip(&self) -> Ipv4Addr {
        self.addr(100)
    }

    /// The client's address (.200).
    pub fn client_addr(&self) -> Ipv4Addr {
        self.addr(200)
    }

    /// Router `i` (0-based).
    pub fn router(&mut self, i: usize) -> io::Result<&mut Router> {
        self.routers
            .get_mut(i)
            .ok_or_else(|| io::Error::other(format!("no router {i}")))
    }

    /// Every router's log, for a failure report.
    pub fn dump_logs(&self) -> String {
        self.routers.iter().map(Router::dump).collect()
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- daemon logs ---\n{}", self.dump_logs());
        }
        // Kill the daemons before the lab deletes their namespaces.
        self.routers.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
