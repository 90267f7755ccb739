//! The VRRP process's event loop (ARCHITECTURE.md section 3): packets, link events, one timer
//! and signals go into the sans-IO instances (held with their sync groups by one
//! `alived_vrrp::sync::Router`); their actions are carried out here.

use super::iface;
use super::notify::Notifier;
use super::pacing::{QuietReads, ReadHold, ReleaseAfterBurst};
use super::quiet::QuietSockets;
use super::reload::{Running, World, reload};
use super::rx;
use super::scripts::Prepared;
use super::setup::{StartError, StartKind, Vr, start_one};
use super::spec::InstanceSpec;
use super::statics_restore::Statics;
use super::track::{TrackEvent, Trackers};
use super::tx;
use super::wake::{Gate, Sig, Signals};
use alived_sys::netlink::{EventStream, NetEvent, Netlink};
use alived_sys::timer::Deadline;
use alived_sys::{Drained, Received, SocketPool};
use alived_vrrp::instance::{Action, Input, Link, LogLevel, State, Timestamp};
use alived_vrrp::sync::{InstanceId, Router, Target};
use alived_vrrp::types::Name;
use std::collections::HashMap;
use std::future::Future;
use std::task::Poll;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
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

/// Microseconds since the process's epoch, the instances' clock: CLOCK_MONOTONIC less its
/// reading at start, so that a deadline maps back to the timerfd's clock exactly.
#[derive(Clone, Copy)]
struct Clock(Duration);

impl Clock {
    fn start() -> Clock {
        Clock(alived_sys::timer::monotonic_now())
    }
    fn now(self) -> Timestamp {
        self.at(alived_sys::timer::monotonic_now())
    }
    /// A CLOCK_MONOTONIC reading on the instances' clock.
    fn at(self, monotonic: Duration) -> Timestamp {
        let us = monotonic.saturating_sub(self.0).as_micros();
        Timestamp::from_micros(u64::try_from(us).unwrap_or(u64::MAX))
    }
    /// Now on the instances' clock and on the wall clock (since the Unix epoch), as one
    /// instant: a process preempted between the two readings would date every packet's
    /// arrival early by the time it was off the CPU (enough, past Master_Down_Interval, for a
    /// backup to take over from a master whose adverts it has just read), so a pair whose
    /// monotonic readings around the wall clock lie more than [`PAIR_SLACK`] apart is read
    /// again (a few times at most; then the last pair, dated from its second reading).
    /// `fresh`: a CLOCK_MONOTONIC reading just made, taken as the first one.
    fn now_with_wall(self, fresh: Option<Duration>) -> (Timestamp, Option<Duration>) {
        let mut tries = 0;
        let mut fresh = fresh.map(|m| self.at(m));
        loop {
            let before = fresh.take().unwrap_or_else(|| self.now());
            let wall = SystemTime::now().duration_since(UNIX_EPOCH).ok();
            let after = self.now();
            tries += 1;
            if after.saturating_duration_since(before) <= PAIR_SLACK || tries == 4 {
                return (after, wall);
            }
        }
    }

    /// `t` on CLOCK_MONOTONIC.
    fn monotonic(self, t: Timestamp) -> Duration {
        self.0 + Duration::from_micros(t.as_micros())
    }
}

/// How far apart two clock readings may lie and still count as one instant.
const PAIR_SLACK: Duration = Duration::from_micros(200);

/// Packets read in one sweep of the sockets before the loop looks at its other inputs.
const RX_BUDGET: usize = 1024;
/// When a packet reached the kernel, on the instances' clock: `now` (the instances' clock and
/// the wall clock, read together) less the packet's age by the kernel's timestamp
/// (CLOCK_REALTIME, hence the wall clock),
/// never before `floor` (the last time already handed to the instances). However long the
/// process was stopped, the adverts that kept arriving count from when they arrived; a
/// wall-clock step in between can only move a packet later (to `floor`) or to `now`.
fn arrival(
    received_at: Option<Duration>,
    now: (Timestamp, Option<Duration>),
    floor: Timestamp,
) -> Timestamp {
    let (now, wall) = now;
    let age = received_at
        .zip(wall)
        .map(|(at, wall)| wall.saturating_sub(at))
        .unwrap_or_default();
    let us = u64::try_from(age.as_micros()).unwrap_or(u64::MAX);
    let t = Timestamp::from_micros(now.as_micros().saturating_sub(us));
    t.max(floor)
}

/// What woke the loop.
enum Wake {
    Stop,
    Reload,
    DataDump,
    StatsDump,
    Packets,
    Net(Option<NetEvent>),
    Track(TrackEvent),
    Timer,
}

/// Takes every packet the kernel holds (up to [`RX_BUDGET`]) into the instances, each at its
/// arrival time, timers due before it first: a process that was held off the CPU while
/// adverts kept arriving does not take them for a silent master. Returns whether packets may
/// be left.
fn receive(
    pool: &mut SocketPool,
    router: &mut Router,
    vrs: &mut [Option<Vr>],
    (now, wall): (Timestamp, Option<Duration>),
    floor: &mut Timestamp,
    unwatched_only: bool,
) -> Drained {
    // Both clocks were read once for the whole sweep, together, so that every packet's age
    // is taken against the same instant as `now`.
    let handle = |idx, pkt: Received<'_>| {
        let Some(Some(vr)) = vrs.get_mut(idx) else {
            return;
        };
        // The VIPs adverts are checked against: the state machine's (one copy of them).
        let vips = router
            .instance(InstanceId(idx))
            .map_or(&[][..], |i| &i.config().vips);
        let Some(d) = rx::decode(&vr.spec, vips, &mut vr.rx, &pkt) else {
            return;
        };
        let t = arrival(pkt.info.received_at, (now, wall), *floor);
        *floor = t;
        router.handle_timeout(t);
        ah_resync(router, InstanceId(idx), vr, &d);
        router.handle(t, InstanceId(idx), d.input);
    };
    if unwatched_only {
        pool.drain_unwatched(RX_BUDGET, handle)
    } else {
        pool.drain(RX_BUDGET, handle)
    }
}

/// While reads are held the sockets are out of the reactor's epoll set: a packet arriving
/// then wakes nobody (registered, each one would wake the process even though the loop does
/// not read it).
fn pace_reads(pool: &mut SocketPool, hold: &ReadHold) {
    if !hold.waits_for_readiness() {
        if !pool.is_paused() {
            pool.pause();
        }
    } else if pool.is_paused()
        && let Err(e) = pool.resume()
    {
        // Out of epoll watches or memory: the sockets are still read at every wake-up.
        warn!("cannot watch the VRRP sockets again: {e}");
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
            let (spec, src) = (&vr.spec, vr.res.our_addr);
            if let Err(e) = vr.tx.send(priority, spec, src, &mut vr.rx.ah_replay).await {
                let msg = format!("({name}) cannot send advert: {e}");
                vr.rx.log_limited("send advert", &msg, true);
            }
        }
        Action::AddVips => {
            iface::add_vips(nl, name, &vr.vip_addrs()).await;
            iface::add_routes(nl, name, &vr.routes, &vr.spec.extra.vrules).await;
        }
        Action::RemoveVips => {
            // `-V`: a stopping process leaves its VIPs, routes and rules in place.
            if release_vips || state != State::Stop {
                iface::remove_routes(nl, name, &vr.routes, &vr.spec.extra.vrules).await;
                iface::remove_vips(nl, name, &vr.vip_addrs()).await;
            }
        }
        Action::SendGarps { count, .. } => {
            if let Some(sock) = &vr.garp_sock {
                let burst = tx::GarpBurst {
                    sock: sock.clone(),
                    ifname: vr.res.vip_link_name(&vr.spec).clone(),
                    mac: vr.res.mac(),
                    vips: vr.garp_list(),
                    count,
                    router: vr.router,
                    garp_interval: vr.spec.extra.garp_interval,
                    gna_interval: vr.spec.extra.gna_interval,
                };
                // In the background, yielding between frames: a thousand instances entering
                // MASTER together send five thousand frames, and the adverts due meanwhile
                // must not wait for them (measured: a 200-instance burst at 10 ms adverts held
                // the loop past the backups' down timers).
                let name = vr.spec.name.clone();
                tokio::spawn(async move {
                    if let Err(e) = burst.send().await {
                        warn!("({name}) cannot send GARP/NA: {e}");
                    }
                });
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

/// Carries out every pending action, in order. Returns whether any was more than an advert
/// (a transition, VIPs, GARPs, a log line): work that leaves memory to hand back.
pub(super) async fn drain(
    nl: &Netlink,
    router: &mut Router,
    vrs: &mut [Option<Vr>],
    release_vips: bool,
    notifier: &mut Notifier,
) -> bool {
    let mut busy = false;
    while let Some((target, a)) = router.poll_action() {
        busy |= !matches!(a, Action::SendAdvert { .. });
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
    busy
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
        vr.res.base.index == index
            || vr
                .spec
                .extra
                .track_interfaces
                .iter()
                .any(|t| t.name == name)
    });
    // A link first seen down (made again after a delete, or created for a tracker) changes
    // nothing: keepalived 2.2.7 reports only its coming up (measured).
    let before = known.insert(index, up);
    if !relevant || before == Some(up) || (before.is_none() && !up) {
        return;
    }
    info!("Netlink reports {name} {}", if up { "up" } else { "down" });
    for (i, vr) in vrs.iter().enumerate() {
        let Some(vr) = vr else { continue };
        let mut links = Vec::new();
        if vr.res.base.index == index {
            links.push(Link::Own);
        }
        for (t_i, t) in vr.spec.extra.track_interfaces.iter().enumerate() {
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
    // Timers running late (max_auto_priority); enters vrrp_rt_priority once start-up is over.
    let mut late = crate::sched::LateTimers::new(crate::sched::Who::Vrrp, &loaded.sched);
    let super::Loaded {
        instances: specs,
        sync_groups: groups,
        startup_delay,
        track: track_setup,
        notify: notify_setup,
        statics: static_spec,
        ..
    } = loaded;
    let clock = Clock::start();
    let mut deadline = Deadline::new().map_err(StartError::Timer)?;
    let nl = Netlink::new()?;
    let mut pool = SocketPool::new();
    let mut garp_socks = super::setup::GarpSockets::new();
    let mut signals = Signals::new().map_err(StartError::Signal)?;
    // Sized once: a growing vector would leave its earlier copies as holes in the heap.
    let mut vrs = Vec::with_capacity(specs.len());
    let mut configs = Vec::with_capacity(specs.len());
    let mut firsts = Vec::with_capacity(specs.len());
    let mut known: HashMap<u32, bool> = HashMap::new();
    // Static addresses, routes and rules first: virtual routes may need them.
    let mut statics = Statics::apply(&nl, &static_spec).await;
    let (routes, rules) = statics.watches();
    let mut events = EventStream::with_routes_and_rules(routes, rules)?;
    for spec in specs {
        // An instance that cannot start here (no such interface, no address) is reported
        // and left out; the others run.
        match start_one(
            &nl,
            &mut pool,
            spec,
            if opts.respawned {
                StartKind::Respawned
            } else {
                StartKind::Fresh
            },
            vrs.len(),
            &mut garp_socks,
        )
        .await
        {
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
    let names: Vec<Name> = vrs
        .iter()
        .flatten()
        .map(|vr| vr.spec.name.clone())
        .collect();
    let mut running = Running {
        statics: static_spec,
        track: track_setup.clone(),
        notify: notify_setup.clone(),
        groups,
        sched: late.process().clone(),
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
    // Start-up lists go before the loop (a thousand names, and the spare room of `vrs`).
    drop((names, prepared));
    vrs.shrink_to_fit();
    let mut stopping = false;
    if !startup_delay.is_zero() && !opts.respawned {
        info!(
            "Delaying startup for {} seconds",
            startup_delay.as_secs_f64()
        );
        tokio::select! {
            _ = tokio::time::sleep(startup_delay) => {}
            () = signals.stop() => stopping = true,
        }
        // Adverts heard meanwhile are stale.
        while pool.drain(RX_BUDGET, |_, _| {}).more {}
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
    // After the start-up burst of actions and log lines too.
    crate::logging::release_memory_after_backlog();
    let mut floor = now;
    let mut more = false;
    let mut reloaded = false;
    let mut release = ReleaseAfterBurst::default();
    release.wait(now, ReleaseAfterBurst::SETTLE);
    let mut hold = ReadHold::default();
    let mut quiet = QuietSockets::default();
    let mut quiet_reads = QuietReads::default();
    // The netlink events and the trackers: polled only when one of them woke the loop.
    let mut inputs = Gate::default();
    while !stopping {
        let timeout = [
            router.poll_timeout(),
            release.due(),
            hold.due(),
            quiet_reads.due(),
        ]
        .into_iter()
        .flatten()
        .min();
        let ready = !more && hold.waits_for_readiness();
        late.armed(timeout, clock.now());
        if let Err(e) = deadline.set(timeout.map(|t| clock.monotonic(t))) {
            // Cannot happen with a valid timerfd; fall back to a short poll rather than stall.
            warn!("cannot arm the VRRP timer: {e}");
            deadline
                .set(Some(
                    alived_sys::timer::monotonic_now() + Duration::from_millis(1),
                ))
                .ok();
        }
        // The clock reading that found the deadline passed, if that is what woke us.
        let mut fired = None;
        let wake = {
            let mut net = std::pin::pin!(events.next());
            let mut track = std::pin::pin!(trackers.next());
            let net_or_track = std::future::poll_fn(|cx| {
                inputs.poll(cx, |cx| {
                    if let Poll::Ready(ev) = net.as_mut().poll(cx) {
                        return Poll::Ready(Wake::Net(ev));
                    }
                    track.as_mut().poll(cx).map(Wake::Track)
                })
            });
            tokio::select! {
                biased;
                sig = signals.next() => match sig {
                    Sig::Stop => Wake::Stop,
                    Sig::Reload => Wake::Reload,
                    Sig::DataDump => Wake::DataDump,
                    Sig::StatsDump => Wake::StatsDump,
                },
                () = pool.readable(), if ready => Wake::Packets,
                () = std::future::ready(()), if more => Wake::Packets,
                w = net_or_track => w,
                at = deadline.expired() => {
                    fired = Some(at);
                    Wake::Timer
                }
            }
        };
        // Whatever woke us, the adverts already queued go in first, at their arrival times.
        // Unless the socket branch above was polled and found nothing: then the reactor saw
        // no packet queued when it last looked, which was after whatever woke us (a timer
        // that expired, an event that came), so nothing was queued before it either (and
        // reading would cost a system call per wake-up that only learns so). That holds for
        // the sockets the reactor watches; the others (those with quiet adverts) are read at
        // every wake (with none, the sweep makes no system call).
        let (now, wall) = clock.now_with_wall(fired);
        late.woke(now);
        let polled_empty = ready && matches!(wake, Wake::Timer | Wake::Net(_) | Wake::Track(_));
        let at = (now, wall);
        let read = receive(
            &mut pool,
            &mut router,
            &mut vrs,
            at,
            &mut floor,
            polled_empty,
        );
        more = read.more;
        // Everything below runs at the instant the sweep began, not after it: a process
        // preempted once it had read the sockets must not run timers over the time it then
        // spent off the CPU while adverts kept arriving (the next sweep reads those first;
        // a timer due meanwhile fires on the next turn, which comes at once).
        let now = now.max(floor);
        floor = now;
        match wake {
            Wake::Stop => stopping = true,
            Wake::Reload => {
                let world = World {
                    nl: &nl,
                    pool: &mut pool,
                    garp_socks: &mut garp_socks,
                    router: &mut router,
                    vrs: &mut vrs,
                    known: &mut known,
                    trackers: &mut trackers,
                    notifier: &mut notifier,
                    running: &mut running,
                    statics: &mut statics,
                };
                reload(&opts.cli, world, || clock.now().max(floor)).await;
                // The trackers may be new ones, whose channels were never polled.
                inputs.open();
                // A whole configuration was read and diffed.
                release.busy(now);
                reloaded = true;
            }
            Wake::DataDump => info!("Data dump is not supported yet"),
            Wake::StatsDump => info!("Stats dump is not supported yet"),
            Wake::Packets | Wake::Timer => {}
            Wake::Net(ev) => match ev {
                Some(ref ev @ NetEvent::LinkUp { index, ref name }) => {
                    link_event(&mut router, &vrs, &mut known, (index, name), true, now);
                    // The state change first, then the static items: keepalived's order.
                    if drain(&nl, &mut router, &mut vrs, opts.release_vips, &mut notifier).await {
                        release.busy(now);
                    }
                    statics.on_event(&nl, ev).await;
                }
                Some(
                    ref ev @ (NetEvent::LinkDown { index, ref name }
                    | NetEvent::LinkRemoved { index, ref name }),
                ) => {
                    link_event(&mut router, &vrs, &mut known, (index, name), false, now);
                    statics.on_event(&nl, ev).await;
                }
                Some(NetEvent::Overrun) => {
                    // Events were lost: re-read the links we care about. (alived's wording;
                    // keepalived sizes its buffers differently and words this otherwise.)
                    warn!("Netlink event socket overrun - re-reading links and static items");
                    if let Ok(links) = nl.links().await {
                        for l in links {
                            let up = l.is_running();
                            link_event(&mut router, &vrs, &mut known, (l.index, &l.name), up, now);
                        }
                    }
                    statics.resync(&nl).await;
                }
                Some(ev) => statics.on_event(&nl, &ev).await,
                None => {
                    warn!("Netlink event stream ended - reopening");
                    events = EventStream::with_routes_and_rules(routes, rules)?;
                    inputs.open();
                }
            },
            Wake::Track(ev) => trackers.apply(ev, &mut router, now),
        }
        router.handle_timeout(now);
        if drain(&nl, &mut router, &mut vrs, opts.release_vips, &mut notifier).await {
            release.busy(now);
        }
        // With this wake's transitions done: a new master must not be held.
        let watched = read.delivered - read.quiet_delivered;
        hold.after_read(now, watched, router.read_slack());
        pace_reads(&mut pool, &hold);
        // And its instances' quiet adverts filtered; after a change, read once more at once
        // for what was announced on the descriptor no longer watched.
        more |= quiet.refresh(&mut pool, &router, &vrs, std::mem::take(&mut reloaded));
        quiet_reads.after_read(now, read.quiet_peak, quiet.peak_rate());
        if release.poll(now) {
            // From the log writer, once the burst's lines are written and freed.
            crate::logging::release_memory_after_backlog();
        }
    }
    // TERM: priority 0 from every master, VIPs removed (unless -V), VMACs deleted; then the
    // track scripts are stopped and the notify scripts for STOP get their grace.
    router.handle_all(clock.now(), Input::Stop);
    drain(&nl, &mut router, &mut vrs, opts.release_vips, &mut notifier).await;
    for vr in vrs.iter().flatten() {
        // Sockets closed before their VMAC interface goes.
        pool.unsubscribe(vr.sock_key(), vr.spec.vrid.get());
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
