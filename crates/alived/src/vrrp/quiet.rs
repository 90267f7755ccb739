//! Quiet adverts: a backup hears its master once per interval, and nearly every advert only
//! moves its down timer later (`Instance::quiet`). The VRRP loop reads its sockets before it
//! runs any timer and handles each advert at its kernel arrival time, so such adverts can
//! wait in the socket until the loop wakes for something else: the instance's own down
//! timer, an advert that matters (priority 0, another interval, a MASTER's VRID, an unknown
//! one), a link or tracker event. A backup of one instance at `advert_int 1` then wakes
//! about once per Master_Down_Interval - advert_int instead of once a second.
//!
//! Here: which adverts of each pooled socket are quiet (rebuilt when an instance's state or
//! master interval changed, `Router::quiet_generation`), and how fast they come, which
//! bounds how long the loop may leave them queued (`pacing::QuietReads`).

use super::setup::Vr;
use alived_sys::SocketPool;
use alived_sys::vrrp_socket::SocketKey;
use alived_vrrp::sync::{InstanceId, Router};
use alived_vrrp::wire::QuietFilter;
use std::collections::BTreeMap;
use tracing::warn;

/// Above this many adverts a second on one socket, its adverts are not made quiet. The
/// kernel copies every packet to the filtered twin before the filter drops it (on the CPU
/// that receives it: with veth, the sender's), and at such rates the loop already reads the
/// socket in batches (`pacing::ReadHold`) and seldom wakes for a single advert. Measured on
/// a v2 1 s pair (CPU ms a minute, backup): 50 instances 6.4 with quiet adverts against 9.7
/// without; at 200 and 1,000 no gain (within the +-7 % noise of the probe, and more kernel
/// work on the sender's side).
const MAX_RATE: f64 = 100.0;

/// The loop's view of its quiet sockets.
#[derive(Debug, Default)]
pub(super) struct QuietSockets {
    /// The router's generation the filters were built for.
    built_for: Option<u64>,
    /// Adverts a second that the busiest socket with quiet adverts receives from its
    /// instances' masters (each VRID's master interval).
    peak_rate: f64,
}

impl QuietSockets {
    /// Re-filters the sockets if an instance's quiet adverts may have changed (or `force`:
    /// instances or sockets were added or removed). True if a socket changed: the loop
    /// should read them once more at once.
    pub(super) fn refresh(
        &mut self,
        pool: &mut SocketPool,
        router: &Router,
        vrs: &[Option<Vr>],
        force: bool,
    ) -> bool {
        let generation = router.quiet_generation();
        if !force && self.built_for == Some(generation) {
            return false;
        }
        self.built_for = Some(generation);
        let mut sockets: BTreeMap<SocketKey, (QuietFilter, f64)> = BTreeMap::new();
        for (i, vr) in vrs.iter().enumerate() {
            let (Some(vr), Some(inst)) = (vr, router.instance(InstanceId(i))) else {
                continue;
            };
            let (filter, rate) = sockets.entry(vr.sock_key()).or_default();
            if let Some(q) = inst.quiet() {
                filter.insert(vr.spec.vrid, q);
            }
            *rate += 100.0 / f64::from(inst.master_adver_int().0.max(1));
        }
        let mut changed = false;
        self.peak_rate = 0.0;
        for (key, (filter, rate)) in &mut sockets {
            if *rate > MAX_RATE {
                *filter = QuietFilter::new();
            }
            match pool.set_quiet(key, filter) {
                Ok(c) => changed |= c,
                // Left with no filter (every advert wakes the loop), or unwatched if even that
                // failed (read whenever the loop wakes).
                Err(e) => warn!(
                    "cannot filter the VRRP socket on ifindex {}: {e}",
                    key.ifindex
                ),
            }
            if !filter.is_empty() {
                self.peak_rate = self.peak_rate.max(*rate);
            }
        }
        changed
    }

    /// Adverts a second on the busiest socket with quiet adverts (0 without one).
    pub(super) fn peak_rate(&self) -> f64 {
        self.peak_rate
    }
}
