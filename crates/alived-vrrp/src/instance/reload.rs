//! Reload (behaviour spec 4.2, measured on keepalived 2.2.7): an instance kept by a reload
//! takes its new settings without a state change, and one removed by it stops.
//!
//! Measured (2.2.7, VRRPv3, advert_int 0.1, a MASTER kept by the reload):
//! * a new priority or interval goes out in the next advert; the state, the VIPs and the
//!   advert rhythm are kept (no gap over 0.103 s), and nothing is notified;
//! * every MASTER kept logs `(VI_1) setting VIPs.`; one that gained VIPs also sends its GARP
//!   burst for all its VIPs;
//! * a removed MASTER logs `(VI_2) sent 0 priority`, `(VI_2) removing VIPs.` and sends one
//!   priority-0 advert; a removed BACKUP logs nothing. Both are notified (DELETED or FAULT).

use super::{
    Action, ConfigError, GarpKind, Instance, InstanceConfig, LogEvent, Reason, State, Timestamp,
    effective_priority,
};
use crate::types::Version;

impl Instance {
    /// Applies new settings to a running instance (same VRID, family, interface and
    /// addressing: the reload matched it). The state, the timers and the trackers' last
    /// statuses are kept; the new priority and interval apply from the next advert or down
    /// timer. A MASTER re-adds its VIPs (the driver removes the ones no longer configured) and,
    /// if it gained VIPs, announces them.
    pub fn reconfigure(&mut self, now: Timestamp, cfg: InstanceConfig) -> Result<(), ConfigError> {
        cfg.validate()?;
        let gained_vips = cfg.vips.iter().any(|v| !self.cfg.vips.contains(v));
        self.tracking = self.tracking.reconfigured(&cfg.trackers);
        self.base_priority = cfg.priority.0;
        self.cfg = cfg;
        let adver_int = self.cfg.adver_int;
        // A v3 backup keeps the interval learned from its master (RFC 5798 §6.4.2); otherwise
        // our own interval is the one in use.
        if self.state != State::Backup || self.cfg.version == Version::V2 {
            self.master_adver_int = adver_int;
        }
        if let Some(t) = self.timers.advert {
            self.timers.advert = Some(t.min(now + adver_int.as_duration()));
        }
        // Observed 2.2.7: a new base priority is not logged as an effective-priority change.
        self.effective_priority = effective_priority(self.base_priority, self.track_sum());
        self.recompute_down_timer(now);
        // Trackers added or removed may bring or clear a fault.
        self.reevaluate(now);
        if self.state == State::Master {
            self.log(LogEvent::SettingVips);
            self.actions.push_back(Action::AddVips);
            if gained_vips {
                self.garp_burst(self.cfg.garp.master_repeat, GarpKind::BecameMaster);
            }
        }
        Ok(())
    }

    /// Removed by a reload: a MASTER sends priority 0 and removes its VIPs, as at shutdown,
    /// and the transition is reported with [`Reason::Deleted`].
    pub fn delete(&mut self, now: Timestamp) {
        self.change_state(now, State::Stop, Reason::Deleted);
    }
}
