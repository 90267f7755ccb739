//! Receiving: a packet from the socket pool -> parse -> validate against the instance's
//! expectations (behaviour spec 5.7) -> `Input::Advert`. Drops are counted by keepalived's
//! counter names and logged in keepalived's wording, rate-limited per cause.

use super::spec::{AuthSpec, InstanceSpec};
use alived_sys::Received;
use alived_vrrp::instance::Input;
use alived_vrrp::wire::{self, AhReplay, DropReason, Expect, ExpectAuth, RxPacket};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;
use tokio::time::Instant;
use tracing::{debug, warn};

/// How often one cause of drop or warning may be logged per instance.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Per-instance receive state: the AH sequence counter (shared with sending), and, from the
/// first drop or warning on, counters and log rate limits.
#[derive(Debug, Default)]
pub struct RxState {
    pub ah_replay: AhReplay,
    /// Boxed: most instances never drop a packet, and a thousand of them run in one process.
    drops: Option<Box<Drops>>,
}

/// What an instance has dropped or warned about.
#[derive(Debug, Default)]
struct Drops {
    /// keepalived's counter names -> count.
    counters: BTreeMap<&'static str, u64>,
    last_logged: BTreeMap<String, Instant>,
    suppressed: BTreeMap<String, u64>,
}

impl RxState {
    fn drops(&mut self) -> &mut Drops {
        self.drops.get_or_insert_default()
    }

    #[cfg(test)]
    /// The drop and warning counters by keepalived's names (empty: none so far).
    pub fn counters(&self) -> Option<&BTreeMap<&'static str, u64>> {
        self.drops.as_ref().map(|d| &d.counters)
    }

    /// Logs `msg` unless the same cause was logged less than [`LOG_EVERY`] ago.
    pub fn log_limited(&mut self, cause: &str, msg: &str, warning: bool) {
        let now = Instant::now();
        let d = self.drops();
        let due = d
            .last_logged
            .get(cause)
            .is_none_or(|t| now.duration_since(*t) >= LOG_EVERY);
        if !due {
            *d.suppressed.entry(cause.to_owned()).or_default() += 1;
            return;
        }
        d.last_logged.insert(cause.to_owned(), now);
        let extra = match d.suppressed.remove(cause) {
            Some(n) if n > 0 => format!(" ({n} more suppressed)"),
            _ => String::new(),
        };
        if warning {
            warn!("{msg}{extra}");
        } else {
            debug!("{msg}{extra}");
        }
    }

    fn count(&mut self, name: &'static str) {
        *self.drops().counters.entry(name).or_default() += 1;
    }
}

/// The expectations an advert for `spec` is checked against.
fn expect<'a>(spec: &'a InstanceSpec, vips: &'a [IpAddr], replay: AhReplay) -> Expect<'a> {
    let mut e = Expect::new(spec.vrid, spec.version);
    e.auth = match spec.extra.auth {
        None => ExpectAuth::None,
        Some(AuthSpec::Pass(p)) => ExpectAuth::Pass(p),
        Some(AuthSpec::Ah(k)) => ExpectAuth::Ah(k),
    };
    e.adver_int = spec.adver_int;
    e.addrs = vips;
    e.unicast = spec.is_unicast();
    e.unicast_peers = &spec.extra.unicast_peers;
    e.check_unicast_src = spec.extra.check_unicast_src;
    e.unicast_ttl_range = spec.extra.unicast_ttl_range;
    e.skip_addr_check = spec.extra.skip_check_adv_addr;
    e.ah_replay = replay;
    e
}

/// A received advert that passed validation.
#[derive(Debug)]
pub struct Decoded {
    pub input: Input,
    /// Its AH sequence number, if AH.
    pub ah_seq: Option<u32>,
}

/// Turns one received packet into an input for the instance, or counts and logs the drop.
pub fn decode(
    spec: &InstanceSpec,
    vips: &[IpAddr],
    st: &mut RxState,
    pkt: &Received<'_>,
) -> Option<Decoded> {
    let parsed = match pkt.info.src {
        IpAddr::V4(_) => RxPacket::parse_ipv4(pkt.bytes),
        IpAddr::V6(src) => {
            let dst = match pkt.info.dst {
                Some(IpAddr::V6(d)) => d,
                _ => Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12),
            };
            RxPacket::from_ipv6(src, dst, pkt.info.hop_limit.unwrap_or(0), pkt.bytes)
        }
    };
    let result = parsed.and_then(|rx| wire::validate(&rx, &expect(spec, vips, st.ah_replay)));
    match result {
        Ok(valid) => {
            if let Some(seq) = valid.ah_seq {
                st.ah_replay.accept(seq);
            }
            for w in &valid.warnings {
                if let Some(c) = w.counter_name() {
                    st.count(c);
                }
                let msg = w.log_message(&spec.name);
                // The v3 interval note is a detail line in keepalived.
                let warning = !matches!(w, wire::Warning::IntervalV3 { .. });
                st.log_limited(&format!("{w:?}"), &msg, warning);
            }
            Some(Decoded {
                input: Input::Advert {
                    src: pkt.info.src,
                    advert: valid.advert,
                },
                ah_seq: valid.ah_seq,
            })
        }
        Err(reason) => {
            st.count(reason.counter_name());
            // Unknown VRIDs are ignored silently, as keepalived does without
            // `log_unknown_vrids`.
            if !matches!(reason, DropReason::UnknownVrid { .. }) {
                let msg = reason.log_message(&spec.name);
                st.log_limited(reason.counter_name(), &msg, true);
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alived_sys::RecvInfo;
    use alived_vrrp::types::Priority;
    use alived_vrrp::wire::ipv4::emit_advert_packet;
    use alived_vrrp::wire::{Advert, Auth, Ipv4Tx};
    use std::net::Ipv4Addr;

    fn spec(extra: &str) -> InstanceSpec {
        crate::vrrp::build::tests::load(&format!(
            "vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n{extra}\n \
             virtual_ipaddress {{\n 10.0.0.100\n }}\n}}\n"
        ))
        .remove(0)
    }

    /// An owned packet; `Received` borrows it.
    struct Packet {
        bytes: Vec<u8>,
        info: RecvInfo,
    }

    fn packet(s: &InstanceSpec, vrid: u8, ttl: u8, auth: Auth) -> Packet {
        let advert = Advert {
            version: s.version,
            vrid: alived_vrrp::types::Vrid::new(vrid).unwrap(),
            priority: Priority(150),
            adver_int: s.adver_int,
            auth,
            addrs: s.vips.iter().map(|v| v.addr).collect(),
        };
        let (src, dst) = (Ipv4Addr::new(10, 0, 0, 2), Ipv4Addr::new(224, 0, 0, 18));
        let tx = Ipv4Tx {
            src,
            dst,
            ttl,
            ident: 1,
        };
        let mut buf = vec![0u8; 256];
        let n = emit_advert_packet(&mut buf, &tx, &advert, None).unwrap();
        buf.truncate(n);
        Packet {
            info: RecvInfo {
                len: n,
                truncated: false,
                src: src.into(),
                dst: Some(dst.into()),
                ifindex: Some(2),
                hop_limit: Some(ttl),
                vrrp_offset: 20,
                received_at: None,
            },
            bytes: buf,
        }
    }

    fn run(s: &InstanceSpec, p: &Packet) -> (Option<Decoded>, RxState) {
        let vips: Vec<IpAddr> = s.vips.iter().map(|v| v.addr).collect();
        let mut st = RxState::default();
        let r = Received {
            bytes: &p.bytes,
            info: p.info,
        };
        let d = decode(s, &vips, &mut st, &r);
        (d, st)
    }

    #[test]
    fn a_good_advert_becomes_an_input() {
        let s = spec("");
        let (d, st) = run(&s, &packet(&s, 51, 255, Auth::None));
        let Some(Decoded {
            input: Input::Advert { src, advert },
            ah_seq: None,
        }) = d
        else {
            panic!("not decoded: {d:?}");
        };
        assert_eq!(src, "10.0.0.2".parse::<IpAddr>().unwrap());
        assert_eq!(advert.priority, Priority(150));
        assert!(st.counters().is_none());
    }

    #[test]
    fn drops_are_counted_under_keepalived_s_names() {
        let s = spec("");
        let (d, st) = run(&s, &packet(&s, 51, 254, Auth::None));
        assert!(d.is_none());
        assert_eq!(st.counters().unwrap().get("ip_ttl_err"), Some(&1));
        let (d, st) = run(&s, &packet(&s, 52, 255, Auth::None));
        assert!(d.is_none());
        assert_eq!(st.counters().unwrap().get("unknown_vrid"), Some(&1));
        let p = spec(" authentication {\n auth_type PASS\n auth_pass secret\n }");
        let (d, st) = run(&p, &packet(&p, 51, 255, Auth::Pass(*b"wrong\0\0\0")));
        assert!(d.is_none());
        assert_eq!(st.counters().unwrap().get("auth_failure"), Some(&1));
    }

    #[test]
    fn repeated_drops_are_logged_once_per_period() {
        let mut st = RxState::default();
        st.log_limited("x", "first", true);
        st.log_limited("x", "second", true);
        st.log_limited("y", "other cause", true);
        let d = st.drops.unwrap();
        assert_eq!(d.suppressed.get("x"), Some(&1));
        assert_eq!(d.suppressed.get("y"), None);
    }
}
