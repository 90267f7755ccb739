//! The client's view of the LAN: gratuitous ARPs seen on an AF_PACKET socket, and a small
//! `arping` (who answers ARP for the VIP, and with which MAC).
//!
//! Shared by `alived demo` and the root scenario tests (tests/common includes this file).

use std::io;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use alived_sys::PacketSocket;
use alived_sys::packet_socket::ETH_P_ARP;
use alived_sys::testnet::Lab;
use alived_vrrp::wire::arp::{ARP_REPLY, ARP_REQUEST, ArpFrame, BROADCAST};

/// One ARP frame and when the watcher read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeenArp {
    pub at: Instant,
    pub frame: ArpFrame,
}

/// Records every ARP frame on one interface until dropped.
#[derive(Debug)]
pub struct ArpWatch {
    seen: Arc<Mutex<Vec<SeenArp>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl ArpWatch {
    /// Opens the socket in `ns` on `ifname` and returns once it is receiving.
    pub fn start(lab: &Lab, ns: &str, ifname: &str) -> io::Result<ArpWatch> {
        let ifindex = lab.ifindex(ns, ifname)?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<()>>();
        let (s, st) = (seen.clone(), stop.clone());
        let thread = lab.spawn_async(ns, move || async move {
            let sock = match PacketSocket::receiver(ifindex, ETH_P_ARP) {
                Ok(sock) => {
                    let _ = ready_tx.send(Ok(()));
                    sock
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(io::Error::other(e.to_string())));
                    return;
                }
            };
            let mut buf = vec![0u8; 2048];
            while !st.load(Ordering::SeqCst) {
                let got = tokio::time::timeout(Duration::from_millis(100), sock.recv(&mut buf));
                if let Ok(Ok(n)) = got.await {
                    let at = Instant::now();
                    if let Some(frame) = buf.get(..n).and_then(ArpFrame::parse) {
                        s.lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(SeenArp { at, frame });
                    }
                }
            }
        })?;
        let watch = ArpWatch {
            seen,
            stop,
            thread: Some(thread),
        };
        match ready_rx.recv_timeout(Duration::from_secs(10)) {
            Ok(r) => r.map(|()| watch),
            Err(_) => Err(io::Error::other("ARP watcher did not start")),
        }
    }

    /// Every ARP frame so far.
    pub fn all(&self) -> Vec<SeenArp> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Gratuitous ARPs (requests with spa = tpa) for `vip`, in arrival order.
    pub fn garps(&self, vip: Ipv4Addr) -> Vec<SeenArp> {
        self.all()
            .into_iter()
            .filter(|s| s.frame.is_garp() && s.frame.spa == vip)
            .collect()
    }

    /// Waits (polling, at most `timeout`) until `f` over the GARPs for `vip` returns Some.
    pub fn wait_garps<T>(
        &self,
        vip: Ipv4Addr,
        timeout: Duration,
        mut f: impl FnMut(&[SeenArp]) -> Option<T>,
    ) -> Option<T> {
        let end = Instant::now() + timeout;
        loop {
            if let Some(t) = f(&self.garps(vip)) {
                return Some(t);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for ArpWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Sends one ARP request for `target` from `ifname` in `ns` (sender `src`) and returns the
/// sender MACs of the replies seen within `wait`.
pub fn arping(
    lab: &Lab,
    ns: &str,
    ifname: &str,
    src: Ipv4Addr,
    target: Ipv4Addr,
    wait: Duration,
) -> io::Result<Vec<[u8; 6]>> {
    let ifindex = lab.ifindex(ns, ifname)?;
    let mac = lab.mac(ns, ifname)?;
    lab.run_async(ns, move || async move {
        let sock = PacketSocket::receiver(ifindex, ETH_P_ARP)
            .map_err(|e| io::Error::other(e.to_string()))?;
        let req = ArpFrame {
            eth_dst: BROADCAST,
            eth_src: mac,
            op: ARP_REQUEST,
            sha: mac,
            spa: src,
            tha: [0; 6],
            tpa: target,
        };
        let mut out = [0u8; 64];
        let len = req
            .emit(&mut out)
            .ok_or_else(|| io::Error::other("ARP frame buffer too short"))?;
        sock.send(out.get(..len).unwrap_or(&out))
            .await
            .map_err(|e| io::Error::other(e.to_string()))?;
        let mut replies = Vec::new();
        let mut buf = vec![0u8; 2048];
        let end = tokio::time::Instant::now() + wait;
        while let Ok(Ok(n)) = tokio::time::timeout_at(end, sock.recv(&mut buf)).await {
            if let Some(f) = buf.get(..n).and_then(ArpFrame::parse)
                && f.op == ARP_REPLY
                && f.spa == target
                && f.tpa == src
                && !replies.contains(&f.sha)
            {
                replies.push(f.sha);
            }
        }
        Ok(replies)
    })?
}

/// A kernel-level reachability probe from `ns`: a UDP datagram to `target` port 9 on a
/// connected socket. An ICMP port-unreachable (ECONNREFUSED) or a reply means the address
/// answered; silence for `wait` means it did not. As a side effect the client's kernel
/// resolves `target` in its neighbour table, as any real client would.
pub fn udp_probe(lab: &Lab, ns: &str, target: Ipv4Addr, wait: Duration) -> io::Result<bool> {
    lab.run_in(ns, move || {
        let sock = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        sock.connect((target, 9))?;
        sock.set_read_timeout(Some(wait))?;
        sock.send(b"alived demo probe")?;
        let mut buf = [0u8; 64];
        match sock.recv(&mut buf) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Ok(true),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    })?
}

/// The MAC the kernel of `ns` has for `addr` (`ip neigh`), if it has a usable entry.
pub fn neighbour_mac(ns: &str, addr: Ipv4Addr) -> io::Result<Option<[u8; 6]>> {
    let out = super::router::ip_out(&["-n", ns, "neigh", "show", &addr.to_string()])?;
    Ok(out.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        words.find(|w| *w == "lladdr")?;
        alived_sys::testnet::parse_mac(words.next()?)
    }))
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn fmt_mac(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}
