//! `alived demo` (root): a failover rehearsal in a throwaway lab.
//!
//! Two routers and a client in fresh network namespaces on one bridge. The routers run real
//! daemons (this binary, or keepalived with the hidden `--daemon keepalived`) with the
//! classic pair configuration: VRID 51, priorities 100 and 99, PASS authentication, one VIP.
//! The demo shows who holds the VIP and what the client sees, SIGKILLs the master's whole
//! process group, times the backup's takeover (to MASTER, to the VIP on its interface, to the
//! first gratuitous ARP the client sees), restarts the old master and shows it take the VIP
//! back. Every namespace and process is removed at the end, on failure, and on Ctrl-C.
//!
//! The lab pieces (submodules) are shared with the root scenario tests (tests/common).

#[allow(dead_code)]
mod conf;
#[allow(dead_code)]
mod router;
#[allow(dead_code)]
mod topology;
#[allow(dead_code)]
mod watch;

use std::io;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use conf::VrrpConf;
use router::{Daemon, LogLine, Router};
use topology::Topology;
use watch::{ArpWatch, arping, fmt_mac, neighbour_mac, udp_probe};

/// Options of `alived demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// The daemon to run in the lab: `alived` (this binary) or `keepalived` (for comparison),
    /// or a path to either.
    #[arg(long, hide = true, default_value = "alived")]
    pub daemon: String,
}

/// Why the demo stopped early.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("alived demo must run as root (it creates network namespaces)")]
    NotRoot,
    #[error("daemon executable {0} not found")]
    MissingDaemon(PathBuf),
    #[error("lab: {0}")]
    Lab(#[from] io::Error),
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout { what: String, after: Duration },
    #[error("unexpected state: {0}")]
    Unexpected(String),
    #[error("interrupted; lab removed")]
    Interrupted,
}

/// Bound for each step with the classic timers (Master_Down_Interval about 3.6 s).
const STEP: Duration = Duration::from_secs(30);

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Runs the demo; returns the process exit code (0 success, 1 failure, 130 interrupted).
pub fn run(args: &DemoArgs) -> i32 {
    let result = demo(args);
    // A terminal Ctrl-C also hits an `ip` helper running at that moment, which then fails:
    // report the interruption, not that failure.
    let result = match result {
        Err(_) if INTERRUPTED.load(Ordering::SeqCst) => Err(DemoError::Interrupted),
        r => r,
    };
    match result {
        Ok(()) => 0,
        Err(DemoError::Interrupted) => {
            eprintln!("alived demo: {}", DemoError::Interrupted);
            130
        }
        Err(e) => {
            eprintln!("alived demo: FAILED: {e}");
            1
        }
    }
}

fn daemon_from(arg: &str) -> Result<Daemon, DemoError> {
    let daemon = match arg {
        "alived" => Daemon::Alived(std::env::current_exe()?),
        "keepalived" => Daemon::keepalived(),
        path if path.contains("keepalived") => Daemon::Keepalived(PathBuf::from(path)),
        path => Daemon::Alived(PathBuf::from(path)),
    };
    if !daemon.path().is_file() {
        return Err(DemoError::MissingDaemon(daemon.path().to_owned()));
    }
    Ok(daemon)
}

/// Catches SIGINT/SIGTERM/SIGHUP on a helper thread so the lab is torn down by the normal
/// unwinding path (the daemons sit in their own process groups and never see the terminal's
/// Ctrl-C).
fn catch_signals() -> io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let (tx, rx) = std::sync::mpsc::channel::<io::Result<()>>();
    std::thread::Builder::new()
        .name("demo-signals".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            rt.block_on(async move {
                let kinds = [
                    SignalKind::interrupt(),
                    SignalKind::terminate(),
                    SignalKind::hangup(),
                ];
                let mut streams = Vec::new();
                for k in kinds {
                    match signal(k) {
                        Ok(s) => streams.push(s),
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return;
                        }
                    }
                }
                let _ = tx.send(Ok(()));
                let [a, b, c] = &mut streams[..] else { return };
                tokio::select! {
                    _ = a.recv() => {}
                    _ = b.recv() => {}
                    _ = c.recv() => {}
                }
                INTERRUPTED.store(true, Ordering::SeqCst);
            });
        })?;
    rx.recv_timeout(Duration::from_secs(5))
        .map_err(|_| io::Error::other("signal thread did not start"))?
}

fn check_interrupt() -> Result<(), DemoError> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        Err(DemoError::Interrupted)
    } else {
        Ok(())
    }
}

/// Polls `cond` every 20 ms for at most `timeout`, giving up early on Ctrl-C.
fn wait<T>(
    what: &str,
    timeout: Duration,
    mut cond: impl FnMut() -> io::Result<Option<T>>,
) -> Result<T, DemoError> {
    let end = Instant::now() + timeout;
    loop {
        check_interrupt()?;
        if let Some(t) = cond()? {
            return Ok(t);
        }
        if Instant::now() >= end {
            return Err(DemoError::Timeout {
                what: what.to_owned(),
                after: timeout,
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for a log line of `r` after `mark`.
fn wait_line(r: &Router, mark: usize, pattern: &str) -> Result<LogLine, DemoError> {
    let what = format!("{}: {pattern:?}", r.name);
    wait(&what, STEP, || Ok(r.log().find(mark, pattern)))
}

/// The printed timeline: demo events and the interesting daemon lines, stamped relative to
/// the start.
struct Timeline {
    t0: Instant,
    printed: Vec<usize>,
}

impl Timeline {
    fn rel(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.t0).as_secs_f64()
    }

    fn line(&self, at: Instant, who: &str, msg: &str) {
        println!("[{:>7.3}s] {who:<7} {msg}", self.rel(at));
    }

    /// Prints the daemon lines that arrived since the last call, in time order.
    fn flush(&mut self, topo: &Topology) {
        let mut new = Vec::new();
        for (i, r) in topo.routers.iter().enumerate() {
            let lines = r.log().lines();
            let from = self.printed.get(i).copied().unwrap_or(0);
            for l in lines.iter().skip(from) {
                if interesting(&l.text) {
                    new.push((l.at, r.name.clone(), l.text.clone()));
                }
            }
            if let Some(p) = self.printed.get_mut(i) {
                *p = lines.len();
            }
        }
        new.sort_by_key(|(at, _, _)| *at);
        for (at, who, text) in new {
            self.line(at, &who, &text);
        }
    }

    /// Flushes the daemon lines, then prints a demo event happening now.
    fn event(&mut self, topo: &Topology, who: &str, msg: &str) {
        self.flush(topo);
        self.line(Instant::now(), who, msg);
    }
}

/// The daemon lines worth showing: state changes, VIPs, GARPs, priority 0, start/stop.
fn interesting(text: &str) -> bool {
    [
        "Entering ",
        "VIPs",
        "gratuitous ARPs",
        "sent 0 priority",
        "priority 0",
        "higher priority",
        "lower priority",
        "Stopped",
        "Starting ",
    ]
    .iter()
    .any(|p| text.contains(p))
        && !text.starts_with("--- lab")
}

/// Who a MAC belongs to, for the timeline.
fn owner(mac: Option<[u8; 6]>, macs: &[(String, [u8; 6])]) -> String {
    match mac {
        None => "no entry".to_owned(),
        Some(m) => match macs.iter().find(|(_, x)| *x == m) {
            Some((name, _)) => format!("{} ({name})", fmt_mac(&m)),
            None => format!("{} (unknown)", fmt_mac(&m)),
        },
    }
}

fn demo(args: &DemoArgs) -> Result<(), DemoError> {
    if !nix::unistd::geteuid().is_root() {
        return Err(DemoError::NotRoot);
    }
    let daemon = daemon_from(&args.daemon)?;
    catch_signals()?;

    let mut topo = Topology::new("demo", 2, &daemon)?;
    let vip = topo.vip();
    let vip_s = vip.to_string();
    let mut macs = Vec::new();
    for r in &topo.routers {
        macs.push((r.name.clone(), topo.lab.mac(&r.ns, &r.ifname)?));
    }
    let confs = [
        VrrpConf::classic("r1", 100, vip),
        VrrpConf::classic("r2", 99, vip),
    ];
    for (r, c) in topo.routers.iter_mut().zip(&confs) {
        r.set_config(c.render());
    }

    println!(
        "alived demo: VRRP failover rehearsal with {} in throwaway network namespaces",
        daemon.label()
    );
    println!("  daemon   {}", daemon.path().display());
    for ((r, c), (_, mac)) in topo.routers.iter().zip(&confs).zip(&macs) {
        println!(
            "  {:<8} netns {:<28} eth0 {}/24  mac {}  priority {} (state {})",
            r.name,
            r.ns,
            topo.addr(if r.name == "r1" { 1 } else { 2 }),
            fmt_mac(mac),
            c.priority,
            c.state
        );
    }
    println!(
        "  {:<8} netns {:<28} eth0 {}/24",
        "client",
        topo.client,
        topo.client_addr()
    );
    println!("  VIP {vip}, VRID 51, VRRPv2, advert_int 1 s, PASS authentication\n");
    println!("  r1's keepalived.conf:");
    for l in confs[0].render().lines() {
        println!("    {l}");
    }
    println!();

    let watch = ArpWatch::start(&topo.lab, &topo.client, "eth0")?;
    let mut tl = Timeline {
        t0: Instant::now(),
        printed: vec![0; topo.routers.len()],
    };

    // 1. r1 (priority 100) starts and, alone, becomes MASTER; r2 joins as BACKUP.
    tl.event(&topo, "lab", "starting r1");
    topo.routers[0].start()?;
    let r1 = &topo.routers[0];
    wait_line(r1, 0, "Entering MASTER STATE")?;
    wait("the VIP on r1", STEP, || {
        Ok(r1.has_vip(&vip_s)?.then_some(()))
    })?;
    tl.event(&topo, "lab", &format!("VIP {vip} is on r1; starting r2"));
    topo.routers[1].start()?;
    let (r1, r2) = (&topo.routers[0], &topo.routers[1]);
    wait_line(r2, 0, "Entering BACKUP STATE")?;
    // One advert interval later r2 has heard r1 and stays BACKUP.
    let settle = Instant::now() + Duration::from_millis(1500);
    wait("r2 to settle in BACKUP", STEP, || {
        Ok((Instant::now() >= settle).then_some(()))
    })?;
    if r2.last_state().as_deref() != Some("BACKUP") || !r1.has_vip(&vip_s)? {
        return Err(DemoError::Unexpected(format!(
            "after r2 joined: r1 {:?}, r2 {:?}",
            r1.last_state(),
            r2.last_state()
        )));
    }
    show_client(&mut tl, &topo, vip, &macs)?;

    // 2. Power cut on the master.
    check_interrupt()?;
    let m2 = topo.routers[1].mark();
    let garps_before = watch.garps(vip).len();
    tl.event(&topo, "lab", "SIGKILL to r1's whole process group");
    let killed = topo.routers[0].crash()?;
    let r2 = &topo.routers[1];
    let master2 = wait_line(r2, m2, "Entering MASTER STATE")?;
    let vip2 = wait("the VIP on r2", STEP, || {
        Ok(r2.has_vip(&vip_s)?.then(Instant::now))
    })?;
    let r2_mac = macs[1].1;
    let garp2 = wait("a GARP from r2", STEP, || {
        Ok(watch
            .garps(vip)
            .into_iter()
            .skip(garps_before)
            .find(|g| g.frame.sha == r2_mac)
            .map(|g| g.at))
    })?;
    tl.event(
        &topo,
        "client",
        &format!("first GARP for {vip} from {} (r2)", fmt_mac(&r2_mac)),
    );
    show_client(&mut tl, &topo, vip, &macs)?;
    if topo.routers[0].has_vip(&vip_s)? {
        tl.event(
            &topo,
            "lab",
            "r1's kernel still has the VIP (SIGKILL left no daemon to remove it); the GARP \
             moved the client to r2",
        );
    }

    // 3. The old master comes back and takes the VIP back (it has the higher priority).
    check_interrupt()?;
    let (m1, m2) = (topo.routers[0].mark(), topo.routers[1].mark());
    let garps_before = watch.garps(vip).len();
    tl.event(&topo, "lab", "restarting r1");
    let restarted = Instant::now();
    topo.routers[0].start()?;
    let (r1, r2) = (&topo.routers[0], &topo.routers[1]);
    let master1 = wait_line(r1, m1, "Entering MASTER STATE")?;
    wait_line(r2, m2, "Entering BACKUP STATE")?;
    wait("the VIP back on r1 only", STEP, || {
        Ok((r1.has_vip(&vip_s)? && !r2.has_vip(&vip_s)?).then_some(()))
    })?;
    let r1_mac = macs[0].1;
    wait("a GARP from r1", STEP, || {
        Ok(watch
            .garps(vip)
            .into_iter()
            .skip(garps_before)
            .find(|g| g.frame.sha == r1_mac)
            .map(|g| g.at))
    })?;
    tl.event(
        &topo,
        "client",
        &format!("GARP for {vip} from {} (r1)", fmt_mac(&r1_mac)),
    );
    show_client(&mut tl, &topo, vip, &macs)?;

    // 4. Orderly stop.
    check_interrupt()?;
    tl.event(&topo, "lab", "SIGTERM to both daemons");
    for r in topo.routers.iter_mut().rev() {
        r.stop()?;
    }
    tl.flush(&topo);

    let s = |a: Instant, b: Instant| b.saturating_duration_since(a).as_secs_f64();
    println!("\nSummary ({}):", daemon.label());
    println!(
        "  failover after SIGKILL of the master: r2 MASTER after {:.3} s, VIP on r2 after \
         {:.3} s, first GARP at the client after {:.3} s",
        s(killed, master2.at),
        s(killed, vip2),
        s(killed, garp2)
    );
    println!(
        "    (r2 waits Master_Down_Interval = 3 x 1 s + (256-99)/256 s = 3.613 s from the \
         last advert it heard, so 2.6 to 3.6 s after the kill)"
    );
    println!(
        "  fail-back: r1 MASTER again {:.3} s after its restart",
        s(restarted, master1.at)
    );
    drop(watch);
    drop(topo);
    println!("  lab removed (namespaces and processes).");
    Ok(())
}

/// What the client sees: reachability of the VIP and the MAC its kernel resolved it to.
fn show_client(
    tl: &mut Timeline,
    topo: &Topology,
    vip: Ipv4Addr,
    macs: &[(String, [u8; 6])],
) -> Result<(), DemoError> {
    let replies = arping(
        &topo.lab,
        &topo.client,
        "eth0",
        topo.client_addr(),
        vip,
        Duration::from_millis(300),
    )?;
    let who: Vec<String> = replies.iter().map(|m| owner(Some(*m), macs)).collect();
    tl.event(
        topo,
        "client",
        &format!(
            "arping {vip}: {}",
            if who.is_empty() {
                "no reply".to_owned()
            } else {
                format!("reply from {}", who.join(", "))
            }
        ),
    );
    let answered = udp_probe(&topo.lab, &topo.client, vip, Duration::from_millis(500))?;
    let mac = neighbour_mac(&topo.client, vip)?;
    tl.event(
        topo,
        "client",
        &format!(
            "UDP probe to {vip}: {}; ARP cache: {vip} -> {}",
            if answered { "answered" } else { "no answer" },
            owner(mac, macs)
        ),
    );
    Ok(())
}

#[cfg(test)]
mod tests;
