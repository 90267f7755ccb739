//! The VRRP process's event loop (ARCHITECTURE.md section 3): packets, link events, one timer
//! and signals go into the sans-IO instances; their actions are carried out here.

use super::iface::{self, Resolved};
use super::rx::{self, RxState};
use super::spec::InstanceSpec;
use super::tx::{self, AdvertTx};
use alived_sys::netlink::{AddrSpec, EventStream, NetEvent, Netlink};
use alived_sys::{PacketSocket, Received, SocketKey, SocketPool};
use alived_vrrp::instance::{Action, Input, Instance, Link, LogLevel, State, Timestamp};
use std::collections::HashMap;
use std::net::IpAddr;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{debug, info, warn};

/// How the process was started and what it may do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Restarted by a live parent: adopt VIPs found in place (resume MASTER).
    pub respawned: bool,
    /// Remove VIPs at stop (false with `-V`).
    pub release_vips: bool,
}

/// One running instance and its I/O.
struct Vr {
    spec: InstanceSpec,
    inst: Instance,
    res: Resolved,
    vips: Vec<AddrSpec>,
    vip_list: Vec<IpAddr>,
    routes: Vec<alived_sys::netlink::RouteSpec>,
    tx: AdvertTx,
    garp: Option<PacketSocket>,
    /// IPv6 forwarding on: the NA router flag.
    router: bool,
    rx: RxState,
}

/// Microseconds since the process's epoch, the instances' clock.
#[derive(Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn now(self) -> Timestamp {
        let us = self.0.elapsed().as_micros();
        Timestamp::from_micros(u64::try_from(us).unwrap_or(u64::MAX))
    }
    fn instant(self, t: Timestamp) -> Instant {
        self.0 + std::time::Duration::from_micros(t.as_micros())
    }
}

/// CLOCK_MONOTONIC as `secs.micros`, for the transition detail lines benchmarks read.
fn monotonic() -> String {
    match nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC) {
        Ok(t) => format!("{}.{:06}", t.tv_sec(), t.tv_nsec() / 1000),
        Err(_) => "?".to_owned(),
    }
}

/// Why the VRRP process could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("netlink: {0}")]
    Netlink(Box<alived_sys::NetlinkError>),
    #[error("{0}")]
    Iface(Box<iface::IfaceError>),
    #[error("({0}) socket: {1}")]
    Socket(String, alived_sys::SocketError),
    #[error("{0}")]
    Config(#[from] alived_vrrp::instance::ConfigError),
    #[error("signals: {0}")]
    Signal(std::io::Error),
}

impl From<alived_sys::NetlinkError> for StartError {
    fn from(e: alived_sys::NetlinkError) -> Self {
        StartError::Netlink(Box::new(e))
    }
}

impl From<iface::IfaceError> for StartError {
    fn from(e: iface::IfaceError) -> Self {
        StartError::Iface(Box::new(e))
    }
}

/// Sets one instance up: interface, VIP clean-up or adoption, socket, state machine.
async fn start_one(
    nl: &Netlink,
    pool: &mut SocketPool,
    spec: InstanceSpec,
    opts: &RunOptions,
    clock: Clock,
    packets: &mpsc::Sender<(usize, Received)>,
    idx: usize,
) -> Result<Vr, StartError> {
    let res = iface::resolve(nl, &spec).await?;
    let vips = iface::vip_addrs(nl, &spec, &res).await;
    let routes = iface::vroutes(nl, &spec).await;
    let resume = opts.respawned && iface::all_present(nl, &vips).await;
    if !resume {
        // A fresh start removes VIPs a crashed earlier run left behind.
        for a in nl.remove_stale(&vips).await? {
            info!("({}) removed stale VIP {}/{}", spec.name, a.addr, a.prefix);
        }
    }
    let ifindex = res.xmit_ifindex(&spec);
    let key = match (spec.is_unicast(), spec.is_ipv6()) {
        (false, false) => SocketKey::multicast_v4(ifindex),
        (false, true) => SocketKey::multicast_v6(ifindex),
        (true, v6) => {
            let fam = if v6 {
                alived_sys::Family::V6
            } else {
                alived_sys::Family::V4
            };
            SocketKey::unicast(ifindex, fam, spec.src_ip)
        }
    };
    let mut sub = pool
        .subscribe(key, spec.vrid.get(), &[])
        .map_err(|e| StartError::Socket(spec.name.clone(), e))?;
    let tx = AdvertTx::new(sub.socket().clone(), &spec, res.our_addr);
    let fwd = packets.clone();
    tokio::spawn(async move {
        while let Some(p) = sub.recv().await {
            if fwd.send((idx, p)).await.is_err() {
                break;
            }
        }
    });
    let garp = match PacketSocket::sender(res.vip_link().index) {
        Ok(s) => Some(s),
        Err(e) => {
            warn!("({}) no GARP socket: {e}", spec.name);
            None
        }
    };
    let router = alived_sys::netlink::read_sysctl(&format!(
        "net/ipv6/conf/{}/forwarding",
        res.vip_link().name
    ))
    .is_ok_and(|v| v == "1");
    let mut inst = Instance::new(spec.instance_config(res.our_addr))?;
    let now = clock.now();
    if !res.base.is_running() {
        inst.handle(now, Input::LinkDown(Link::Own));
    }
    for (i, t) in spec.track_interfaces.iter().enumerate() {
        let up = nl.link_by_name(&t.name).await.is_ok_and(|l| l.is_running());
        if !up {
            inst.handle(
                now,
                Input::LinkDown(Link::Tracked(InstanceSpec::track_if_id(i))),
            );
        }
    }
    if resume {
        info!(
            "({}) VIPs found in place after a restart - resuming MASTER",
            spec.name
        );
    }
    inst.handle(now, if resume { Input::Resume } else { Input::Start });
    Ok(Vr {
        vip_list: spec.vips.iter().map(|v| v.addr).collect(),
        spec,
        inst,
        res,
        vips,
        routes,
        tx,
        garp,
        router,
        rx: RxState::default(),
    })
}

/// Carries out every pending action of one instance.
async fn drain(nl: &Netlink, vr: &mut Vr, release_vips: bool) {
    while let Some(a) = vr.inst.poll_action() {
        match a {
            Action::SendAdvert { priority } => {
                if let Err(e) = vr.tx.send(priority).await {
                    warn!("({}) cannot send advert: {e}", vr.spec.name);
                }
            }
            Action::AddVips => {
                iface::add_vips(nl, &vr.spec.name, &vr.vips).await;
                iface::add_routes(nl, &vr.spec.name, &vr.routes, &vr.spec.vrules).await;
            }
            Action::RemoveVips => {
                if release_vips || vr.inst.state() != State::Stop {
                    iface::remove_routes(nl, &vr.spec.name, &vr.routes, &vr.spec.vrules).await;
                    iface::remove_vips(nl, &vr.spec.name, &vr.vips).await;
                }
            }
            Action::SendGarps { count, .. } => {
                if let Some(s) = &vr.garp {
                    let name = &vr.res.vip_link().name;
                    let (mac, router) = (vr.res.mac(), vr.router);
                    if let Err(e) = tx::garps(s, name, mac, &vr.vip_list, count, router).await {
                        warn!("({}) cannot send GARP/NA: {e}", vr.spec.name);
                    }
                }
            }
            Action::Log(line) => match line.level() {
                LogLevel::Info => info!("{line}"),
                LogLevel::Warning => warn!("{line}"),
                LogLevel::Debug => debug!("{line}"),
            },
            Action::Transition { from, to, reason } => {
                // Hook point for notify scripts, FIFO and metrics (later issues).
                debug!(
                    "({}) transition to {to} at monotonic {} (from {from}, {reason:?})",
                    vr.spec.name,
                    monotonic()
                );
            }
            Action::NotifyMasterRxLowerPri { .. } | Action::PriorityChanged { .. } => {}
        }
    }
}

/// Feeds a link change to every instance that cares; logs it as keepalived does.
fn link_event(
    vrs: &mut [Vr],
    known: &mut HashMap<u32, bool>,
    index: u32,
    name: &str,
    up: bool,
    now: Timestamp,
) {
    let relevant = vrs.iter().any(|vr| {
        vr.res.base.index == index || vr.spec.track_interfaces.iter().any(|t| t.name == name)
    });
    if !relevant || known.insert(index, up) == Some(up) {
        return;
    }
    info!("Netlink reports {name} {}", if up { "up" } else { "down" });
    for vr in vrs.iter_mut() {
        let mut links = Vec::new();
        if vr.res.base.index == index {
            links.push(Link::Own);
        }
        for (i, t) in vr.spec.track_interfaces.iter().enumerate() {
            if t.name == name {
                links.push(Link::Tracked(InstanceSpec::track_if_id(i)));
            }
        }
        for l in links {
            let input = if up {
                Input::LinkUp(l)
            } else {
                Input::LinkDown(l)
            };
            vr.inst.handle(now, input);
        }
    }
}

/// After a netlink overrun: re-read the links we care about.
async fn resync_links(
    nl: &Netlink,
    vrs: &mut [Vr],
    known: &mut HashMap<u32, bool>,
    now: Timestamp,
) {
    let Ok(links) = nl.links().await else { return };
    for l in links {
        link_event(vrs, known, l.index, &l.name, l.is_running(), now);
    }
}

/// Runs the VRRP process until TERM/INT; returns the exit code.
pub async fn run(specs: Vec<InstanceSpec>, opts: RunOptions) -> Result<i32, StartError> {
    let clock = Clock(Instant::now());
    let nl = Netlink::new()?;
    let mut events = EventStream::new()?;
    let mut pool = SocketPool::new();
    let (ptx, mut packets) = mpsc::channel::<(usize, Received)>(1024);
    let sig = |k| signal(k).map_err(StartError::Signal);
    let (mut term, mut int) = (sig(SignalKind::terminate())?, sig(SignalKind::interrupt())?);
    let (mut hup, mut usr1) = (
        sig(SignalKind::hangup())?,
        sig(SignalKind::user_defined1())?,
    );
    let mut usr2 = sig(SignalKind::user_defined2())?;
    let mut vrs = Vec::new();
    for (idx, spec) in specs.into_iter().enumerate() {
        vrs.push(start_one(&nl, &mut pool, spec, &opts, clock, &ptx, idx).await?);
    }
    let mut known: HashMap<u32, bool> = vrs
        .iter()
        .map(|vr| (vr.res.base.index, vr.res.base.is_running()))
        .collect();
    info!("Startup complete");
    for vr in &mut vrs {
        drain(&nl, vr, opts.release_vips).await;
    }
    loop {
        let next = vrs.iter().filter_map(|vr| vr.inst.poll_timeout()).min();
        let sleep = async {
            match next {
                Some(t) => tokio::time::sleep_until(clock.instant(t)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => warn!("Reload is not supported yet - keeping the running configuration"),
            _ = usr1.recv() => info!("Data dump is not supported yet"),
            _ = usr2.recv() => info!("Stats dump is not supported yet"),
            Some((idx, pkt)) = packets.recv() => {
                if let Some(vr) = vrs.get_mut(idx)
                    && let Some(input) = rx::decode(&vr.spec, &vr.vip_list, &mut vr.rx, &pkt)
                {
                    vr.inst.handle(clock.now(), input);
                }
            }
            ev = events.next() => match ev {
                Some(NetEvent::LinkUp { index, name }) => link_event(&mut vrs, &mut known, index, &name, true, clock.now()),
                Some(NetEvent::LinkDown { index, name }) | Some(NetEvent::LinkRemoved { index, name }) => {
                    link_event(&mut vrs, &mut known, index, &name, false, clock.now())
                }
                Some(NetEvent::Overrun) => resync_links(&nl, &mut vrs, &mut known, clock.now()).await,
                Some(_) => {}
                None => {
                    warn!("Netlink event stream ended - reopening");
                    events = EventStream::new()?;
                }
            },
            _ = sleep => {
                let now = clock.now();
                for vr in &mut vrs {
                    if vr.inst.poll_timeout().is_some_and(|t| t <= now) {
                        vr.inst.handle_timeout(now);
                    }
                }
            }
        }
        for vr in &mut vrs {
            drain(&nl, vr, opts.release_vips).await;
        }
    }
    // TERM: priority 0 from every master, VIPs removed (unless -V), VMACs deleted.
    let now = clock.now();
    for vr in &mut vrs {
        vr.inst.handle(now, Input::Stop);
        drain(&nl, vr, opts.release_vips).await;
    }
    for vr in &vrs {
        iface::remove_vmac(&nl, &vr.spec, &vr.res).await;
    }
    info!("Stopped");
    Ok(0)
}
