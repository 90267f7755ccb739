//! Log lines, with keepalived 2.2.7's exact wording (behaviour spec section 6). The driver
//! prints `LogLine`'s `Display` form; tests and the status API can match on the variant.

use std::fmt;
use std::net::IpAddr;

/// How keepalived logs the line: always, or only with `-D` (detailed logging).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Info,
    Warning,
    /// Only printed by keepalived with `-D`.
    Debug,
}

/// One log line of an instance or a sync group. `name` is the instance or group name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub name: crate::types::Name,
    pub event: LogEvent,
}

/// The events that produce a log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    EnteringMaster,
    EnteringBackup {
        init: bool,
    },
    EnteringFault {
        init: bool,
    },
    FaultDueToScript {
        script: String,
    },
    FaultInterfaceDown {
        interface: crate::types::Name,
    },
    /// `(VI_1): tracked file tf now FAULT state` / `... leaving FAULT state` (observed).
    TrackedFileFault {
        file: String,
        fault: bool,
    },
    SettingVips,
    RemovingVips,
    SentZeroPriority,
    /// One per VIP per burst.
    SendingGarps {
        interface: crate::types::Name,
        vip: IpAddr,
    },
    DiscardLowerPriority {
        priority: u8,
        from: IpAddr,
    },
    ReceivedLowerPriority {
        from: IpAddr,
        priority: u8,
        ours: u8,
        forcing_election: bool,
    },
    MasterHigherPriority {
        from: IpAddr,
        priority: u8,
        ours: u8,
    },
    MasterSamePriorityHigherIp {
        from: IpAddr,
        priority: u8,
    },
    EqualPriorityOurIp,
    TwoAddressOwners,
    PriorityChange {
        from: u8,
        to: u8,
    },
    ReceiveAdvertTimeout,
    BackupReceivedPriorityZero,
    MasterReceivedPriorityZero,
    /// The configured delay, printed as `secs.micros`.
    StartPreemptDelay {
        delay: std::time::Duration,
    },
    IntervalUpdated {
        from_ms: u32,
        to_ms: u32,
    },
    /// `(VI_1) changing advert interval from 1000ms to locally configured 500ms` (observed).
    IntervalRestored {
        from_ms: u32,
        to_ms: u32,
    },
    OwnerDroppingAdverts {
        from: IpAddr,
    },
    /// `VRRP_Group(G1) Syncing instances to MASTER state`.
    SyncGroupSyncing {
        state: &'static str,
    },
}

impl LogLine {
    pub fn level(&self) -> LogLevel {
        use LogEvent::*;
        match self.event {
            ReceiveAdvertTimeout
            | BackupReceivedPriorityZero
            | MasterReceivedPriorityZero
            | StartPreemptDelay { .. }
            | IntervalUpdated { .. }
            | IntervalRestored { .. } => LogLevel::Debug,
            EqualPriorityOurIp | TwoAddressOwners => LogLevel::Warning,
            _ => LogLevel::Info,
        }
    }
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use LogEvent::*;
        let n = &self.name;
        match &self.event {
            EnteringMaster => write!(f, "({n}) Entering MASTER STATE"),
            EnteringBackup { init } => {
                write!(f, "({n}) Entering BACKUP STATE{}", init_suffix(*init))
            }
            // Observed 2.2.7 at start-up: lower case, no "(init)" (the spec's code reading
            // had `Entering FAULT STATE (init)`; the running daemon prints this).
            EnteringFault { init: true } => write!(f, "({n}) entering FAULT state"),
            EnteringFault { init: false } => write!(f, "({n}) Entering FAULT STATE"),
            // The colon after the name is keepalived's own inconsistency (spec section 6).
            FaultDueToScript { script } => {
                write!(f, "({n}): entering FAULT state due to script {script}")
            }
            FaultInterfaceDown { interface } => {
                write!(
                    f,
                    "({n}): entering FAULT state (interface {interface} down)"
                )
            }
            TrackedFileFault { file, fault } => write!(
                f,
                "({n}): tracked file {file} {} FAULT state",
                if *fault { "now" } else { "leaving" }
            ),
            SettingVips => write!(f, "({n}) setting VIPs."),
            RemovingVips => write!(f, "({n}) removing VIPs."),
            SentZeroPriority => write!(f, "({n}) sent 0 priority"),
            SendingGarps { interface, vip } => match vip {
                IpAddr::V4(_) => write!(
                    f,
                    "({n}) Sending/queueing gratuitous ARPs on {interface} for {vip}"
                ),
                IpAddr::V6(_) => write!(
                    f,
                    "({n}) Sending/queueing Unsolicited Neighbour Adverts on {interface} for {vip}"
                ),
            },
            DiscardLowerPriority { priority, from } => write!(
                f,
                "({n}) received lower priority ({priority}) advert from {from} - discarding"
            ),
            ReceivedLowerPriority {
                from,
                priority,
                ours,
                forcing_election,
            } => write!(
                f,
                "({n}) Received advert from {from} with lower priority {priority}, ours {ours}{}",
                if *forcing_election {
                    ", forcing new election"
                } else {
                    ""
                }
            ),
            MasterHigherPriority {
                from,
                priority,
                ours,
            } => write!(
                f,
                "({n}) Master received advert from {from} with higher priority {priority}, ours {ours}"
            ),
            MasterSamePriorityHigherIp { from, priority } => write!(
                f,
                "({n}) Master received advert from {from} with same priority {priority} but higher IP address than ours"
            ),
            EqualPriorityOurIp => write!(
                f,
                "({n}) WARNING - equal priority advert received from remote host with our IP address."
            ),
            TwoAddressOwners => write!(
                f,
                "({n}) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority"
            ),
            PriorityChange { from, to } => {
                write!(f, "({n}) Changing effective priority from {from} to {to}")
            }
            ReceiveAdvertTimeout => write!(f, "({n}) Receive advertisement timeout"),
            BackupReceivedPriorityZero => {
                write!(f, "({n}) Backup received priority 0 advertisement")
            }
            MasterReceivedPriorityZero => write!(f, "({n}) Master received priority 0 message"),
            StartPreemptDelay { delay } => write!(
                f,
                "({n}) start preempt delay ({}.{:06})",
                delay.as_secs(),
                delay.subsec_micros()
            ),
            IntervalUpdated { from_ms, to_ms } => write!(
                f,
                "({n}) advertisement interval updated from {from_ms}ms to {to_ms}ms by master"
            ),
            IntervalRestored { from_ms, to_ms } => write!(
                f,
                "({n}) changing advert interval from {from_ms}ms to locally configured {to_ms}ms"
            ),
            OwnerDroppingAdverts { from } => write!(
                f,
                "({n}) Dropping packet(s) from {from} since we are address owner"
            ),
            SyncGroupSyncing { state } => {
                write!(f, "VRRP_Group({n}) Syncing instances to {state} state")
            }
        }
    }
}

fn init_suffix(init: bool) -> &'static str {
    if init { " (init)" } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(event: LogEvent) -> String {
        LogLine {
            name: "VI_1".into(),
            event,
        }
        .to_string()
    }

    // Spec section 6: 2.2.7 wording, as observed.
    #[test]
    fn wording_matches_keepalived_2_2_7() {
        let a: IpAddr = "10.99.0.2".parse().unwrap();
        let b: IpAddr = "10.99.0.1".parse().unwrap();
        assert_eq!(
            line(LogEvent::EnteringMaster),
            "(VI_1) Entering MASTER STATE"
        );
        assert_eq!(
            line(LogEvent::EnteringBackup { init: true }),
            "(VI_1) Entering BACKUP STATE (init)"
        );
        assert_eq!(
            line(LogEvent::DiscardLowerPriority {
                priority: 100,
                from: a
            }),
            "(VI_1) received lower priority (100) advert from 10.99.0.2 - discarding"
        );
        assert_eq!(
            line(LogEvent::ReceivedLowerPriority {
                from: b,
                priority: 100,
                ours: 150,
                forcing_election: true
            }),
            "(VI_1) Received advert from 10.99.0.1 with lower priority 100, ours 150, forcing new election"
        );
        assert_eq!(
            line(LogEvent::MasterHigherPriority {
                from: a,
                priority: 150,
                ours: 100
            }),
            "(VI_1) Master received advert from 10.99.0.2 with higher priority 150, ours 100"
        );
        assert_eq!(
            line(LogEvent::MasterSamePriorityHigherIp {
                from: a,
                priority: 100
            }),
            "(VI_1) Master received advert from 10.99.0.2 with same priority 100 but higher IP address than ours"
        );
        assert_eq!(
            line(LogEvent::SendingGarps {
                interface: "eth0".into(),
                vip: "10.99.0.100".parse().unwrap()
            }),
            "(VI_1) Sending/queueing gratuitous ARPs on eth0 for 10.99.0.100"
        );
        assert_eq!(
            LogLine {
                name: "G1".into(),
                event: LogEvent::SyncGroupSyncing { state: "MASTER" }
            }
            .to_string(),
            "VRRP_Group(G1) Syncing instances to MASTER state"
        );
    }
}
