//! Reload on HUP in the VRRP process (ARCHITECTURE.md section 3, behaviour spec 4.2): the
//! configuration file is read again; a broken one is refused and the running configuration
//! stays; otherwise [`diff`] says what changed and only that is applied.
//!
//! What keepalived 2.2.7 does, measured in network namespaces (VRRPv3, advert_int 0.1):
//! * logs: parent `Reloading ...`, `Opening file '…'.`, `Configuration file …`; VRRP process
//!   `Reloading`, then what changed, `Reload complete`;
//! * an unchanged instance keeps its state, VIPs and adverts (no advert gap over 0.103 s, the
//!   VIPs never missing, the backup never leaves BACKUP), and nothing is notified; every
//!   MASTER logs `(VI_1) setting VIPs.` and sets its VIPs again (no GARP);
//! * a removed MASTER logs `(VI_2) sent 0 priority` and `(VI_2) removing VIPs.`, sends one
//!   priority-0 advert (its backup takes over after Skew_Time) and removes its VIPs; with
//!   `notify_deleted` that script runs with its own arguments, `notify` gets
//!   `INSTANCE VI_2 DELETED 150` and the FIFO `INSTANCE "VI_2" DELETED 150`; without it,
//!   `notify` gets `INSTANCE VI_3 FAULT 150` and the FIFO a FAULT line (`notify_fault` does
//!   not run). A removed BACKUP is only notified;
//! * an added instance starts as at start-up (`Entering BACKUP STATE (init)`, notified) but
//!   without `removing VIPs.`;
//! * a new priority, interval or name keeps the state and goes out in the next advert; a
//!   VIP no longer configured is removed (`(VI_1) ip address 10.98.0.110/24 dev eth0, no
//!   longer exist`), a new one is added and the instance's VIPs are announced again (GARPs);
//! * a tracked script keeps its state (`VRRP_Script(chk) considered unsuccessful on reload`)
//!   and a new instance tracking it takes it at once;
//! * static addresses are diffed (`((null)) ip address 10.98.5.2/24 dev eth0, no longer
//!   exist` for one removed);
//! * a configuration with errors (a VRID of 300, a missing brace) makes 2.2.7's VRRP process
//!   exit (`exited with permanent error CONFIG`), leaving its VIPs in place while the backup
//!   takes over: a split brain; a missing file reloads as an empty configuration, removing
//!   every instance. alived refuses both and keeps running.
//!
//! Not applied on reload: `vrrp_startup_delay` (it only delays the start of the process).

use super::diff::{Plan, diff};
use super::driver::drain;
use super::iface;
use super::notify::{Notifier, NotifySetup};
use super::scripts::Prepared;
use super::setup::{GarpSockets, StartKind, Vr, start_one};
use super::spec::InstanceSpec;
use super::statics::StaticSpec;
use super::statics_restore::Statics;
use super::track::{TrackSetup, Trackers};
use super::tx::AdvertTx;
use alived_sys::SocketPool;
use alived_sys::netlink::Netlink;
use alived_vrrp::instance::{Input, Link, State, Timestamp, TrackerConfig};
use alived_vrrp::sync::{InstanceId, Router, SyncGroupConfig};
use alived_vrrp::types::Name;
use std::collections::HashMap;
use tracing::{debug, error, info};

/// The configuration the process runs now, as far as a reload needs to compare it.
pub struct Running {
    pub statics: StaticSpec,
    pub track: TrackSetup,
    pub notify: NotifySetup,
    pub groups: Vec<SyncGroupConfig>,
    /// `vrrp_priority`, `vrrp_rt_priority`... in force.
    pub sched: alived_config::model::process::ProcessSched,
}

/// The VRRP process's state a reload changes.
pub struct World<'a> {
    pub nl: &'a Netlink,
    pub pool: &'a mut SocketPool,
    /// The GARP/NA sockets, one per interface, shared by the instances.
    pub garp_socks: &'a mut GarpSockets,
    pub router: &'a mut Router,
    /// By `InstanceId`; `None` for an instance a reload removed.
    pub vrs: &'a mut Vec<Option<Vr>>,
    pub known: &'a mut HashMap<u32, bool>,
    pub trackers: &'a mut Trackers,
    pub notifier: &'a mut Notifier,
    pub running: &'a mut Running,
    pub statics: &'a mut Statics,
}

/// The name of each instance slot ("" for a removed one): what the trackers and the
/// notifier are built over.
fn slot_names(vrs: &[Option<Vr>]) -> Vec<Name> {
    vrs.iter()
        .map(|v| {
            v.as_ref()
                .map(|vr| vr.spec.name.clone())
                .unwrap_or_default()
        })
        .collect()
}

/// Re-reads the configuration and applies it. `now` is the instances' clock.
pub async fn reload(cli: &crate::cli::Options, mut w: World<'_>, now: impl Fn() -> Timestamp) {
    info!("Reloading");
    let mut normal = crate::sched::NormalPriority::enter();
    let loaded = match super::load_for_reload(cli) {
        Ok(l) => l,
        Err(why) => {
            for line in why {
                error!("{line}");
            }
            error!("{}", super::RELOAD_REFUSED);
            return;
        }
    };
    for why in &loaded.disabled {
        error!("{why} - instance disabled");
    }
    normal.reconfigure(
        crate::sched::Who::Vrrp,
        &w.running.sched,
        &loaded.sched.process,
    );
    // Static items first (virtual routes may need them), as at start-up.
    if loaded.statics != w.running.statics {
        w.statics.reload(w.nl, &loaded.statics).await;
    }
    // The running instances, by id, and what decides whether each changed.
    let old_ids: Vec<InstanceId> = w
        .vrs
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_some())
        .map(|(i, _)| InstanceId(i))
        .collect();
    let old: Vec<(InstanceSpec, Vec<TrackerConfig>)> = w
        .vrs
        .iter()
        .flatten()
        .map(|vr| {
            let t = w.running.track.trackers_for(&vr.spec.name);
            (vr.spec.clone(), t)
        })
        .collect();
    let new: Vec<(InstanceSpec, Vec<TrackerConfig>)> = loaded
        .instances
        .iter()
        .map(|s| (s.clone(), loaded.track.trackers_for(&s.name)))
        .collect();
    let plan = diff(&old, &new);
    if plan.is_noop() {
        debug!("Reload: no instance changed");
    }
    let renamed = plan
        .changed
        .iter()
        .any(|&(o, n)| old.get(o).map(|x| &x.0.name) != new.get(n).map(|x| &x.0.name));
    let same_ids = plan.added.is_empty() && plan.removed.is_empty() && !renamed;
    let id_of = |o: usize| old_ids.get(o).copied();

    remove(&mut w, &plan, &id_of, &now).await;
    for &(o, n) in &plan.changed {
        if let (Some(id), Some((spec, trackers))) = (id_of(o), new.get(n)) {
            change(&mut w, id, spec.clone(), trackers.clone(), now()).await;
        }
    }
    // Measured on 2.2.7: every MASTER kept as it was logs `(VI_1) setting VIPs.` and sets
    // its VIPs again (no GARP); a VIP deleted from outside comes back that way.
    for &(o, _) in &plan.unchanged {
        let Some(id) = id_of(o) else { continue };
        let Some(inst) = w.router.instance(id) else {
            continue;
        };
        if inst.state() == State::Master {
            let config = inst.config().clone();
            if let Err(e) = w.router.reconfigure(now(), id, config) {
                error!("{e}");
            }
        }
    }
    let mut firsts = Vec::new();
    for &n in &plan.added {
        let Some((spec, trackers)) = new.get(n) else {
            continue;
        };
        if let Some(first) = add(&mut w, spec.clone(), trackers.clone(), now()).await {
            firsts.push(first);
        }
    }
    // Sync groups over the instances that run.
    let names = slot_names(w.vrs);
    let groups: Vec<SyncGroupConfig> = loaded
        .sync_groups
        .iter()
        .filter(|g| g.members.iter().all(|m| names.iter().any(|n| n == m)))
        .cloned()
        .collect();
    if groups != w.running.groups
        && let Err(e) = w.router.set_groups(now(), groups.clone())
    {
        error!("{e} - sync groups unchanged");
    }
    // Trackers and notifications: rebuilt when what they run or who they serve changed
    // (keepalived reopens the FIFOs on every reload; scripts keep their state).
    let track_same = same_ids && loaded.track == w.running.track;
    if track_same {
        w.trackers.log_reload();
    }
    let notify_same = same_ids && loaded.notify == w.running.notify && groups == w.running.groups;
    if !track_same || !notify_same {
        let prepared = Prepared::new(
            [
                loaded.track.script_specs_for(&names),
                loaded.notify.script_specs_for(&names),
            ]
            .concat(),
            loaded.track.globals(),
        );
        if !track_same {
            let mut fresh = Trackers::start(loaded.track.clone(), &names, &prepared).await;
            let (old_t, new_t) = (&w.running.track, &loaded.track);
            fresh.carry_over(w.trackers, |name| {
                old_t.scripts.iter().find(|d| d.name == name)
                    == new_t.scripts.iter().find(|d| d.name == name)
            });
            let stale = std::mem::replace(w.trackers, fresh);
            tokio::spawn(stale.shutdown());
            w.trackers.log_reload();
            w.trackers.replay(w.router, now());
        }
        if !notify_same {
            // `Notifier` has no cheap placeholder: build the new one from the old in place.
            let placeholder = Notifier::start(NotifySetup::default(), &[], &prepared);
            let old = std::mem::replace(w.notifier, placeholder);
            let mut fresh = old.reloaded(loaded.notify.clone(), &names, &prepared);
            fresh.seed(w.router);
            let placeholder = std::mem::replace(w.notifier, fresh);
            tokio::spawn(placeholder.shutdown());
        }
    }
    for (id, first) in firsts {
        w.trackers.start_or_hold(w.router, now(), id, first);
    }
    *w.running = Running {
        statics: loaded.statics,
        track: loaded.track,
        notify: loaded.notify,
        groups,
        sched: loaded.sched.process,
    };
    info!("Reload complete");
}

/// Removed instances: stopped (priority 0 if MASTER, VIPs removed, notified DELETED or
/// FAULT by the notifier that knows their scripts), then forgotten.
async fn remove(
    w: &mut World<'_>,
    plan: &Plan,
    id_of: &impl Fn(usize) -> Option<InstanceId>,
    now: &impl Fn() -> Timestamp,
) {
    if plan.removed.is_empty() {
        return;
    }
    for &o in &plan.removed {
        if let Some(id) = id_of(o) {
            w.router.delete(now(), id);
        }
    }
    // `-V` keeps VIPs at shutdown, not here: a removed instance always releases them.
    drain(w.nl, w.router, w.vrs, true, w.notifier).await;
    for &o in &plan.removed {
        let Some(id) = id_of(o) else { continue };
        w.router.remove(id);
        if let Some(vr) = w.vrs.get_mut(id.0).and_then(Option::take) {
            // Sockets first, then its VMAC interface (as at stop). The GARP socket of its
            // interface goes with the last instance that uses it.
            w.pool.unsubscribe(vr.sock_key(), vr.spec.vrid.get());
            let link = vr.res.vip_link().index;
            if !w
                .vrs
                .iter()
                .flatten()
                .any(|v| v.res.vip_link().index == link)
            {
                w.garp_socks.remove(&link);
            }
            iface::remove_vmac(w.nl, &vr.spec, &vr.res).await;
        }
    }
}

/// A kept instance with new settings: same socket and state; derived I/O refreshed, VIPs no
/// longer configured removed while MASTER (as keepalived logs it).
async fn change(
    w: &mut World<'_>,
    id: InstanceId,
    spec: InstanceSpec,
    trackers: Vec<TrackerConfig>,
    now: Timestamp,
) {
    let master = w.router.instance(id).map(|i| i.state()) == Some(State::Master);
    let Some(vr) = w.vrs.get_mut(id.0).and_then(Option::as_mut) else {
        return;
    };
    let mut config = spec.instance_config(vr.res.our_addr);
    config.interface = vr.res.vip_link_name(&spec).clone();
    config.trackers.extend(trackers);
    // Checked before anything is touched: a refused one leaves the instance as it was.
    if let Err(e) = config.validate() {
        error!("({}) {e} - keeping its previous settings", spec.name);
        return;
    }
    let vip_devs = iface::vip_devs(w.nl, &spec, &vr.res).await;
    let vips = iface::vip_addrs(&spec, &vr.res, vip_devs.as_deref());
    let routes = iface::vroutes(w.nl, &spec).await;
    if master {
        let gone_routes: Vec<_> = vr
            .routes
            .iter()
            .filter(|r| !routes.contains(r))
            .cloned()
            .collect();
        let gone_rules: Vec<_> = vr
            .spec
            .extra
            .vrules
            .iter()
            .filter(|r| !spec.extra.vrules.contains(r))
            .cloned()
            .collect();
        iface::remove_routes(w.nl, &spec.name, &gone_routes, &gone_rules).await;
        let gone: Vec<_> = vr
            .vip_addrs()
            .into_iter()
            .filter(|a| !vips.contains(a))
            .collect();
        for a in &gone {
            let dev =
                w.nl.link_by_index(a.ifindex)
                    .await
                    .map(|l| l.name)
                    .unwrap_or_else(|_| a.ifindex.to_string());
            info!(
                "({}) ip address {}/{} dev {dev}, no longer exist",
                spec.name, a.addr, a.prefix
            );
        }
        iface::remove_vips(w.nl, &spec.name, &gone).await;
    }
    vr.tx = AdvertTx::new(vr.tx.socket());
    vr.vip_devs = vip_devs;
    vr.routes = routes;
    // Tracked interfaces new at their position (tracker ids are positions): their state
    // now, as at start-up.
    let mut link_inputs = Vec::new();
    for (i, t) in spec.extra.track_interfaces.iter().enumerate() {
        if vr
            .spec
            .extra
            .track_interfaces
            .get(i)
            .is_some_and(|o| o.name == t.name)
        {
            continue;
        }
        let link = w.nl.link_by_name(&t.name).await.ok();
        let up = link.as_ref().is_some_and(|l| l.is_running());
        if let Some(l) = link {
            w.known.insert(l.index, up);
        }
        if !up {
            link_inputs.push(Input::LinkDown(Link::Tracked(InstanceSpec::track_if_id(i))));
        }
    }
    vr.spec = spec;
    if let Err(e) = w.router.reconfigure(now, id, config) {
        error!("({}) {e} - keeping its previous settings", vr.spec.name);
        return;
    }
    for input in link_inputs {
        w.router.handle(now, id, input);
    }
}

/// A new instance: set up like at start-up; returns its first input (held by the trackers
/// until its unweighted scripts have reported).
async fn add(
    w: &mut World<'_>,
    spec: InstanceSpec,
    trackers: Vec<TrackerConfig>,
    now: Timestamp,
) -> Option<(InstanceId, Input)> {
    let slot = w.vrs.len();
    let p = match start_one(w.nl, w.pool, spec, StartKind::Added, slot, w.garp_socks).await {
        Ok(p) => p,
        Err(e) => {
            error!("{e} - instance disabled");
            return None;
        }
    };
    let mut config = p.config;
    config.trackers.extend(trackers);
    let id = match w.router.add(config) {
        Ok(id) if id.0 == slot => id,
        Ok(id) => {
            // The router and the driver number instances alike; a mismatch is a bug.
            error!(
                "({}) instance id {} is not slot {slot}",
                p.vr.spec.name, id.0
            );
            w.router.delete(now, id);
            w.router.remove(id);
            return None;
        }
        Err(e) => {
            error!("({}) {e} - instance disabled", p.vr.spec.name);
            return None;
        }
    };
    w.known.extend(p.links);
    w.vrs.push(Some(p.vr));
    for input in p.initial {
        w.router.handle(now, id, input);
    }
    Some((id, p.first))
}
