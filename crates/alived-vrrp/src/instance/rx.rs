//! Receiving a validated advert in BACKUP or MASTER (behaviour spec 5.3, 5.4; RFC 3768 §6.4,
//! RFC 5798 §6.4.2-6.4.3). Packet-level checks (length, checksum, TTL, auth, interval, address
//! list) were done by `wire` before the advert got here.

use super::log::LogEvent;
use super::timers::DownKind;
use super::{Action, Instance, Reason, State, Timestamp};
use crate::types::{Centisecs, Priority, Version};
use crate::wire::Advert;
use std::cmp::Ordering;
use std::net::IpAddr;

/// Compares two addresses as keepalived's `inet_inaddrcmp()` does (spec 5.4): IPv4 as
/// unsigned 32-bit network-order integers, IPv6 word by word, i.e. as big-endian integers.
/// Different families are `None`.
pub fn compare_addrs(a: IpAddr, b: IpAddr) -> Option<Ordering> {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => Some(u32::from(a).cmp(&u32::from(b))),
        (IpAddr::V6(a), IpAddr::V6(b)) => Some(u128::from(a).cmp(&u128::from(b))),
        _ => None,
    }
}

impl Instance {
    pub(super) fn receive(&mut self, now: Timestamp, src: IpAddr, adv: &Advert) {
        // Spec 5.5: adverts received in FAULT or INIT (or after stop) are ignored. A stray
        // advert for another VRID or version is a driver bug, dropped the same way.
        if !matches!(self.state, State::Backup | State::Master)
            || adv.vrid != self.cfg.vrid
            || adv.version != self.cfg.version
        {
            self.stats.ignored += 1;
            return;
        }
        // owner_ignore_adverts (2.3.3+, spec 5.5).
        if self.cfg.owner_ignore_adverts && self.base_priority == 255 {
            self.stats.ignored += 1;
            self.log(LogEvent::OwnerDroppingAdverts { from: src });
            return;
        }
        self.stats.adverts_rcvd += 1;
        if adv.priority == Priority::STOP {
            self.stats.pri_zero_rcvd += 1;
        }
        match self.state {
            State::Backup => self.receive_backup(now, src, adv),
            State::Master => self.receive_master(now, src, adv),
            _ => {}
        }
    }

    /// Spec 5.3; RFC 5798 §6.4.2.
    fn receive_backup(&mut self, now: Timestamp, src: IpAddr, adv: &Advert) {
        let prio = adv.priority.0;
        // Priority 0: the master is stopping -> take over after Skew_Time only.
        if prio == 0 {
            self.log(LogEvent::BackupReceivedPriorityZero);
            self.arm_down_timer(now, DownKind::SkewOnly);
            return;
        }
        let accept =
            !self.cfg.preempt || prio >= self.effective_priority || self.preempt_delay_running(now);
        if !accept {
            self.stats.discarded_lower += 1;
            self.log(LogEvent::DiscardLowerPriority {
                priority: prio,
                from: src,
            });
            return;
        }
        self.master = Some((src, adv.priority));
        self.adopt_interval(adv.adver_int);
        if self.in_sync_group {
            self.wantstate = State::Backup;
        }
        self.arm_down_timer(now, DownKind::Full);
    }

    /// With `preempt_delay`, lower-priority adverts are still accepted until the delay, started
    /// when the instance entered BACKUP from start-up or FAULT, runs out. (Observed 2.2.7:
    /// `start preempt delay (5.000000)` is logged at start-up, before any advert; the spec's
    /// code reading had it start at the first lower-priority advert.)
    fn preempt_delay_running(&self, now: Timestamp) -> bool {
        self.timers.preempt_until.is_some_and(|until| now < until)
    }

    /// RFC 5798 §6.4.2: a v3 backup times its down timer with the master's interval. A v2
    /// interval mismatch was dropped by validation, so v2 keeps its own.
    fn adopt_interval(&mut self, int: Centisecs) {
        if self.cfg.version == Version::V3 && int.0 != 0 && int != self.master_adver_int {
            self.log(LogEvent::IntervalUpdated {
                from_ms: self.master_adver_int.0 * 10,
                to_ms: int.0 * 10,
            });
            self.master_adver_int = int;
        }
    }

    /// Spec 5.4; RFC 5798 §6.4.3.
    fn receive_master(&mut self, now: Timestamp, src: IpAddr, adv: &Advert) {
        let mut prio = adv.priority.0;
        // Priority 0: another master stopped; answer at once so backups do not take over.
        if prio == 0 {
            self.log(LogEvent::MasterReceivedPriorityZero);
            self.send_advert(self.effective_priority);
            self.timers.advert = Some(now + self.cfg.adver_int.as_duration());
            return;
        }
        // Two address owners, 2.2.7 behaviour: reduce our base and effective priority to 254
        // for good, then compare as usual (so we yield to the other owner).
        if prio == 255 && self.effective_priority == 255 {
            // Observed: no `Changing effective priority` line follows.
            self.log(LogEvent::TwoAddressOwners);
            self.base_priority = 254;
            self.effective_priority = super::track::effective_priority(254, self.track_sum());
            prio = adv.priority.0;
        }
        let ours = self.effective_priority;
        let addr_order = compare_addrs(src, self.cfg.our_addr).unwrap_or(Ordering::Less);
        if prio == ours && addr_order == Ordering::Equal {
            self.log(LogEvent::EqualPriorityOurIp);
            return;
        }
        let higher = prio > ours || (prio == ours && addr_order == Ordering::Greater);
        if higher {
            if prio > ours {
                self.log(LogEvent::MasterHigherPriority {
                    from: src,
                    priority: prio,
                    ours,
                });
            } else {
                self.log(LogEvent::MasterSamePriorityHigherIp {
                    from: src,
                    priority: prio,
                });
            }
            if self.cfg.higher_prio_send_advert {
                self.send_advert(ours);
            }
            self.adopt_interval(adv.adver_int);
            self.master = Some((src, adv.priority));
            self.change_state(now, State::Backup, Reason::HigherPriority);
            return;
        }
        // Lower priority, or equal priority from a lower address: we stay master and make
        // ourselves heard (keepalived's "forcing new election").
        let forcing_election = !self.cfg.lower_prio_no_advert;
        self.log(LogEvent::ReceivedLowerPriority {
            from: src,
            priority: prio,
            ours,
            forcing_election,
        });
        if forcing_election {
            self.send_advert(ours);
            self.timers.advert = Some(now + self.cfg.adver_int.as_duration());
        }
        self.lower_prio_garps(now);
        self.actions.push_back(Action::NotifyMasterRxLowerPri {
            from: src,
            priority: adv.priority,
        });
    }
}
