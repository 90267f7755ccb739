//! The VRRP process's event loop (ARCHITECTURE.md section 3): packets, link events, one timer
//! and signals go into the sans-IO instances (held with their sync groups by one
//! `alived_vrrp::sync::Router`); their actions are carried out here.

use super::iface;
use super::notify::Notifier;
use super::reload::{Running, World, reload};
use super::rx;
use super::scripts::Prepared;
use super::setup::{StartError, Vr, start_one};
use super::spec::InstanceSpec;
use super::statics::Statics;
use super::track::Trackers;
use super::tx;
use alived_sys::netlink::{EventStream, NetEvent, Netlink};
use alived_sys::{Received, SocketPool};
use alived_vrrp::instance::{Action, Input, Link, LogLevel, State, Timestamp};
use alived_vrrp::sync::{InstanceId, Router, Target};
use std::collections::HashMap;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

/// How the process was started and what it may do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Restarted by a live parent: adopt VIPs found in place (resume MASTER).
    pub respawned: bool,
    /// Remove VIPs at stop (false with `-V`).
    pub release_vips: bool,
    /// The command line, to read the configuration again on HUP.
    pub cli: crate::cli::Options,
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

fn log_line(line: &alived_vrrp::instance::LogLine) {
    match line.level() {
        LogLevel::Info => info!("{line}"),
        LogLevel::Warning => warn!("{line}"),
        LogLevel::Debug => debug!("{line}"),
    }
}

/// Carries out one instance's action.
async fn act(nl: &Netlink, vr: &mut Vr, state: State, a: Action, release_vips: bool) {
    let name = vr.spec.name.as_str();
    match a {
        Action::SendAdvert { priority } => {
            if let Err(e) = vr.tx.send(priority, &mut vr.rx.ah_replay).await {
                let msg = format!("({name}) cannot send advert: {e}");
                vr.rx.log_limited("send advert", &msg, true);
            }
        }
        Action::AddVips => {
            iface::add_vips(nl, name, &vr.vips).await;
            iface::add_routes(nl, name, &vr.routes, &vr.spec.vrules).await;
        }
        Action::RemoveVips => {
            // `-V`: a stopping process leaves its VIPs, routes and rules in place.
            if release_vips || state != State::Stop {
                iface::remove_routes(nl, name, &vr.routes, &vr.spec.vrules).await;
                iface::remove_vips(nl, name, &vr.vips).await;
            }
        }
        Action::SendGarps { count, .. } => {
            if let Some(sock) = &vr.garp_sock {
                let burst = tx::GarpBurst {
                    sock: sock.clone(),
                    ifname: vr.res.vip_link().name.clone(),
                    mac: vr.res.mac(),
                    vips: vr.garp_list.clone(),
                    count,
                    router: vr.router,
                    garp_interval: vr.spec.garp_interval,
                    gna_interval: vr.spec.gna_interval,
                };
                if burst.garp_interval.is_zero() && burst.gna_interval.is_zero() {
                    if let Err(e) = burst.send().await {
                        warn!("({name}) cannot send GARP/NA: {e}");
                    }
                } else {
                    // Paced (`vrrp_garp_interval`): in the background, adverts go on meanwhile.
                    let name = name.to_owned();
                    tokio::spawn(async move {
                        if let Err(e) = burst.send().await {
                            warn!("({name}) cannot send GARP/NA: {e}");
                        }
                    });
                }
            }
        }
        Action::Log(line) => log_line(&line),
        Action::Transition { from, to, reason } => {
            // Hook point for notify scripts, FIFO and metrics (later issues).
            debug!(
                "({name}) transition to {to} at monotonic {} (from {from}, {reason:?})",
                monotonic()
            );
        }
        Action::NotifyMasterRxLowerPri { .. } | Action::PriorityChanged { .. } => {}
    }
}

/// Carries out every pending action, in order.
pub(super) async fn drain(
    nl: &Netlink,
    router: &mut Router,
    vrs: &mut [Option<Vr>],
    release_vips: bool,
    notifier: &mut Notifier,
) {
    while let Some((target, a)) = router.poll_action() {
        notifier.observe(target, &a, router);
        match target {
            Target::Instance(id) => {
                let state = router.instance(id).map_or(State::Init, |i| i.state());
                if let Some(Some(vr)) = vrs.get_mut(id.0) {
                    act(nl, vr, state, a, release_vips).await;
                }
            }
            Target::Group(_) => {
                if let Action::Log(line) = a {
                    log_line(&line);
                }
            }
        }
    }
}

/// Spec 5.9: a MASTER receiving a lower-priority AH advert resynchronises its sequence
/// counter past the peer's.
fn ah_resync(router: &Router, id: InstanceId, vr: &mut Vr, d: &rx::Decoded) {
    let (Some(seq), Input::Advert { advert, .. }) = (d.ah_seq, &d.input) else {
        return;
    };
    let Some(inst) = router.instance(id) else {
        return;
    };
    if inst.state() == State::Master && advert.priority.0 < inst.effective_priority() {
        vr.rx.ah_replay.sync_lower_prio(seq);
        info!(
            "{}",
            alived_vrrp::wire::AhReplay::sync_log_message(&vr.spec.name)
        );
    }
}

/// Feeds a link change to every instance that cares; logs it as keepalived does.
fn link_event(
    router: &mut Router,
    vrs: &[Option<Vr>],
    known: &mut HashMap<u32, bool>,
    (index, name): (u32, &str),
    up: bool,
    now: Timestamp,
) {
    let relevant = vrs.iter().flatten().any(|vr| {
        vr.res.base.index == index || vr.spec.track_interfaces.iter().any(|t| t.name == name)
    });
    if !relevant || known.insert(index, up) == Some(up) {
        return;
    }
    info!("Netlink reports {name} {}", if up { "up" } else { "down" });
    for (i, vr) in vrs.iter().enumerate() {
        let Some(vr) = vr else { continue };
        let mut links = Vec::new();
        if vr.res.base.index == index {
            links.push(Link::Own);
        }
        for (t_i, t) in vr.spec.track_interfaces.iter().enumerate() {
            if t.name == name {
                links.push(Link::Tracked(InstanceSpec::track_if_id(t_i)));
            }
        }
        for l in links {
            let input = if up {
                Input::LinkUp(l)
            } else {
                Input::LinkDown(l)
            };
            router.handle(now, InstanceId(i), input);
        }
    }
}

/// Runs the VRRP process until TERM/INT; returns the exit code.
pub async fn run(loaded: super::Loaded, opts: RunOptions) -> Result<i32, StartError> {
    let super::Loaded {
        instances: specs,
        sync_groups: groups,
        startup_delay,
        track: track_setup,
        notify: notify_setup,
        statics: static_spec,
        ..
    } = loaded;
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
    let mut configs = Vec::new();
    let mut firsts = Vec::new();
    let mut known: HashMap<u32, bool> = HashMap::new();
    // Static addresses, routes and rules first: virtual routes may need them.
    let mut statics = Statics::apply(&nl, &static_spec).await;
    for spec in specs {
        // An instance that cannot start here (no such interface, no address) is reported
        // and left out; the others run.
        match start_one(&nl, &mut pool, spec, opts.respawned, &ptx, vrs.len()).await {
            Ok(p) => {
                known.extend(p.links);
                vrs.push(Some(p.vr));
                configs.push(p.config);
                firsts.push((p.initial, p.first));
            }
            Err(e) => error!("{e} - instance disabled"),
        }
    }
    // Sync groups only over the instances that started.
    let groups = groups
        .into_iter()
        .filter(|g| {
            let ok = g
                .members
                .iter()
                .all(|m| vrs.iter().flatten().any(|vr: &Vr| vr.spec.name == *m));
            if !ok {
                error!(
                    "VRRP_Group({}) has a disabled member - group ignored",
                    g.name
                );
            }
            ok
        })
        .collect::<Vec<_>>();
    Trackers::init_files(&track_setup);
    for c in &mut configs {
        c.trackers.extend(track_setup.trackers_for(&c.name));
    }
    let mut router = Router::new(configs, groups.clone())?;
    let names: Vec<String> = vrs
        .iter()
        .flatten()
        .map(|vr| vr.spec.name.clone())
        .collect();
    let mut running = Running {
        statics: static_spec,
        track: track_setup.clone(),
        notify: notify_setup.clone(),
        groups,
    };
    // Every script prepared (and security-checked) in one pass.
    let prepared = Prepared::new(
        [
            track_setup.script_specs_for(&names),
            notify_setup.script_specs_for(&names),
        ]
        .concat(),
        track_setup.globals(),
    );
    let mut trackers = Trackers::start(track_setup, &names, &prepared).await;
    let mut notifier = Notifier::start(notify_setup, &names, &prepared);
    let mut stopping = false;
    if !startup_delay.is_zero() && !opts.respawned {
        info!(
            "Delaying startup for {} seconds",
            startup_delay.as_secs_f64()
        );
        tokio::select! {
            _ = tokio::time::sleep(startup_delay) => {}
            _ = term.recv() => stopping = true,
            _ = int.recv() => stopping = true,
        }
        // Adverts heard meanwhile are stale.
        while packets.try_recv().is_ok() {}
    }
    let now = clock.now();
    for (i, (initial, first)) in firsts.into_iter().enumerate() {
        for input in initial {
            router.handle(now, InstanceId(i), input);
        }
        if !stopping {
            trackers.start_or_hold(&mut router, now, InstanceId(i), first);
        }
    }
    info!("Startup complete");
    drain(&nl, &mut router, &mut vrs, opts.release_vips, &mut notifier).await;
    while !stopping {
        let next = router.poll_timeout();
        let sleep = async {
            match next {
                Some(t) => tokio::time::sleep_until(clock.instant(t)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = term.recv() => stopping = true,
            _ = int.recv() => stopping = true,
            _ = hup.recv() => {
                let world = World {
                    nl: &nl, pool: &mut pool, packets: &ptx, router: &mut router, vrs: &mut vrs,
                    known: &mut known, trackers: &mut trackers, notifier: &mut notifier,
                    running: &mut running, statics: &mut statics,
                };
                reload(&opts.cli, world, || clock.now()).await;
            }
            _ = usr1.recv() => info!("Data dump is not supported yet"),
            _ = usr2.recv() => info!("Stats dump is not supported yet"),
            Some((idx, pkt)) = packets.recv() => {
                if let Some(Some(vr)) = vrs.get_mut(idx)
                    && let Some(d) = rx::decode(&vr.spec, &vr.vip_list, &mut vr.rx, &pkt)
                {
                    ah_resync(&router, InstanceId(idx), vr, &d);
                    router.handle(clock.now(), InstanceId(idx), d.input);
                }
            }
            ev = events.next() => match ev {
                Some(NetEvent::LinkUp { index, name }) => {
                    link_event(&mut router, &vrs, &mut known, (index, &name), true, clock.now())
                }
                Some(NetEvent::LinkDown { index, name } | NetEvent::LinkRemoved { index, name }) => {
                    link_event(&mut router, &vrs, &mut known, (index, &name), false, clock.now())
                }
                Some(NetEvent::Overrun) => {
                    // Events were lost: re-read the links we care about.
                    if let Ok(links) = nl.links().await {
                        for l in links {
                            let up = l.is_running();
                            link_event(&mut router, &vrs, &mut known, (l.index, &l.name), up, clock.now());
                        }
                    }
                }
                Some(NetEvent::AddrRemoved(a)) => statics.restore(&nl, &a).await,
                Some(_) => {}
                None => {
                    warn!("Netlink event stream ended - reopening");
                    events = EventStream::new()?;
                }
            },
            ev = trackers.next() => trackers.apply(ev, &mut router, clock.now()),
            _ = sleep => router.handle_timeout(clock.now()),
        }
        drain(&nl, &mut router, &mut vrs, opts.release_vips, &mut notifier).await;
    }
    // TERM: priority 0 from every master, VIPs removed (unless -V), VMACs deleted; then the
    // track scripts are stopped and the notify scripts for STOP get their grace.
    router.handle_all(clock.now(), Input::Stop);
    drain(&nl, &mut router, &mut vrs, opts.release_vips, &mut notifier).await;
    for vr in vrs.iter().flatten() {
        iface::remove_vmac(&nl, &vr.spec, &vr.res).await;
    }
    if opts.release_vips {
        statics.remove(&nl).await;
    }
    trackers.shutdown().await;
    notifier.shutdown().await;
    info!("Stopped");
    Ok(0)
}
