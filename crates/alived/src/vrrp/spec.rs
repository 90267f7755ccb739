//! What the VRRP driver needs to run one `vrrp_instance`, before the kernel is asked anything
//! (interface index, MAC and our address are resolved at start-up by `iface.rs`). Built from the
//! configuration by `build.rs`, the only file that knows the configuration's shape.

use alived_vrrp::instance::TrackerId;
use alived_vrrp::instance::{GarpConfig, InstanceConfig, TrackKind, TrackStatus, TrackerConfig};
use alived_vrrp::types::{Centisecs, Priority, Version, Vrid};
use std::net::IpAddr;
use std::time::Duration;

/// One `virtual_ipaddress` line (behaviour spec 2.3), the parts the driver applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipSpec {
    pub addr: IpAddr,
    /// Default /32 (IPv4) or /128 (IPv6).
    pub prefix: u8,
    /// `dev`: defaults to the instance interface (or its VMAC).
    pub dev: Option<String>,
    pub label: Option<String>,
    pub broadcast: Option<std::net::Ipv4Addr>,
}

/// `authentication { auth_type PASS|AH; auth_pass X }` (v2 only), the password as the 8-byte
/// field (truncated / zero padded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthSpec {
    Pass([u8; 8]),
    Ah([u8; 8]),
}

/// `use_vmac [NAME]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmacSpec {
    /// Default `vrrp.<VRID>`.
    pub name: String,
}

/// `track_interface { IF [weight W [reverse]] }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackIf {
    pub name: String,
    pub weight: i32,
    pub reverse: bool,
}

/// One `virtual_routes` line the driver can apply: the route, and its `dev` by name (resolved
/// to an ifindex at start-up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrouteSpec {
    pub route: alived_sys::netlink::RouteSpec,
    pub dev: Option<String>,
}

/// `track_script { NAME [weight W [reverse]] }`: the `vrrp_script` and this instance's
/// override of its weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackScriptRef {
    pub script: String,
    /// `None`: the script's own weight.
    pub weight: Option<i32>,
    pub reverse: bool,
}

/// One `track_file` block (behaviour spec 2.5): the number in `path` times the weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackFileSpec {
    pub name: String,
    pub path: std::path::PathBuf,
    pub weight: i32,
    pub reverse: bool,
}

/// One `vrrp_script` (behaviour spec 2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpScriptSpec {
    pub name: String,
    pub command: String,
    /// `user`/`group` of the script, else `script_user` from `global_defs`, else root.
    pub user: Option<(String, Option<String>)>,
    pub interval: Duration,
    pub timeout: Duration,
    pub weight: i32,
    pub weight_reverse: bool,
    pub rise: u32,
    pub fall: u32,
    pub init_fail: bool,
}

/// One instance, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSpec {
    pub name: String,
    pub interface: String,
    pub vrid: Vrid,
    pub version: Version,
    pub priority: Priority,
    pub adver_int: Centisecs,
    pub preempt: bool,
    pub preempt_delay: Duration,
    pub vips: Vec<VipSpec>,
    /// `virtual_ipaddress_excluded`: set and removed with the VIPs, not carried in adverts.
    pub evips: Vec<VipSpec>,
    /// `unicast_src_ip` / `mcast_src_ip`: our source and tie-break address.
    pub src_ip: Option<IpAddr>,
    /// The multicast group adverts go to: `mcast_dst_ip`, else `vrrp_mcast_group4/6`
    /// (224.0.0.18 / ff02::12).
    pub mcast_group: IpAddr,
    /// Non-empty: unicast mode, one advert copy per peer.
    pub unicast_peers: Vec<IpAddr>,
    /// `unicast_ttl` (255).
    pub unicast_ttl: u8,
    /// `check_unicast_src` (also implied by a peer's `min_ttl`/`max_ttl`): unicast adverts must
    /// come from a configured peer.
    pub check_unicast_src: bool,
    /// The peers' `min_ttl`/`max_ttl`, merged into one accepted range.
    pub unicast_ttl_range: Option<(u8, u8)>,
    /// `skip_check_adv_addr`.
    pub skip_check_adv_addr: bool,
    pub auth: Option<AuthSpec>,
    pub track_interfaces: Vec<TrackIf>,
    pub track_scripts: Vec<TrackScriptRef>,
    /// `track_file { NAME [weight W [reverse]] }` (same shape as a script reference).
    pub track_files: Vec<TrackScriptRef>,
    pub garp: GarpConfig,
    /// `vrrp_garp_interval` / `vrrp_gna_interval`: pause between GARPs / NAs (0 = none).
    pub garp_interval: Duration,
    pub gna_interval: Duration,
    pub use_vmac: Option<VmacSpec>,
    /// `vmac_xmit_base`: adverts on the base interface even with a VMAC.
    pub vmac_xmit_base: bool,
    pub dont_track_primary: bool,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub down_timer_adverts: u32,
    /// `virtual_routes`, added with the VIPs and removed before them.
    pub vroutes: Vec<VrouteSpec>,
    /// `virtual_rules`, likewise.
    pub vrules: Vec<alived_sys::netlink::RuleSpec>,
    /// Configured items this build accepts but does not act on yet (logged at start).
    pub not_applied: Vec<String>,
}

impl InstanceSpec {
    /// The family of the instance: that of its first VIP, else of its source address.
    pub fn is_ipv6(&self) -> bool {
        self.vips
            .first()
            .map(|v| v.addr.is_ipv6())
            .or(self.src_ip.map(|a| a.is_ipv6()))
            .or(self.unicast_peers.first().map(IpAddr::is_ipv6))
            .unwrap_or(false)
    }

    pub fn is_unicast(&self) -> bool {
        !self.unicast_peers.is_empty()
    }

    /// The tracker id of `track_interface` entry `i` (ids are positions, from 1).
    pub fn track_if_id(i: usize) -> TrackerId {
        TrackerId(u32::try_from(i + 1).unwrap_or(u32::MAX))
    }

    /// The tracker id of `track_script` entry `i` (from 10_000, clear of interfaces).
    pub fn track_script_id(i: usize) -> TrackerId {
        TrackerId(u32::try_from(i + 10_000).unwrap_or(u32::MAX))
    }

    /// The tracker id of `track_file` entry `i` (from 20_000).
    pub fn track_file_id(i: usize) -> TrackerId {
        TrackerId(u32::try_from(i + 20_000).unwrap_or(u32::MAX))
    }

    /// The weight and direction of `track_file` entry `t` for file block `f`.
    pub fn file_weight(t: &TrackScriptRef, f: &TrackFileSpec) -> (i32, bool) {
        match t.weight {
            Some(w) => (w, t.reverse),
            None => (f.weight, f.reverse),
        }
    }

    /// The state machine's configuration, once our address is known; `scripts` and `files`
    /// give the weights of the `vrrp_script`s and `track_file`s this instance tracks.
    pub fn instance_config_with(
        &self,
        our_addr: IpAddr,
        scripts: &[VrrpScriptSpec],
        files: &[TrackFileSpec],
    ) -> InstanceConfig {
        let mut c = self.instance_config(our_addr);
        for (i, t) in self.track_files.iter().enumerate() {
            let Some(f) = files.iter().find(|f| f.name == t.script) else {
                continue;
            };
            let (weight, reverse) = Self::file_weight(t, f);
            c.trackers.push(TrackerConfig {
                id: Self::track_file_id(i),
                name: f.name.clone(),
                kind: TrackKind::File,
                weight,
                reverse,
                // The tracker reports the file's value at once.
                initial: TrackStatus::Value(0),
            });
        }
        for (i, t) in self.track_scripts.iter().enumerate() {
            let Some(s) = scripts.iter().find(|s| s.name == t.script) else {
                continue;
            };
            let (weight, reverse) = match t.weight {
                Some(w) => (w, t.reverse),
                None => (s.weight, s.weight_reverse),
            };
            c.trackers.push(TrackerConfig {
                id: Self::track_script_id(i),
                name: s.name.clone(),
                kind: TrackKind::Script,
                weight,
                reverse,
                // Unknown until the first result: no fault and no negative weight; `init_fail`
                // starts it failed (spec 2.5).
                initial: if s.init_fail {
                    TrackStatus::Down
                } else {
                    TrackStatus::Up
                },
            });
        }
        c
    }

    /// The state machine's configuration, once our address is known.
    pub fn instance_config(&self, our_addr: IpAddr) -> InstanceConfig {
        let mut c = InstanceConfig::new(self.name.clone(), self.vrid, our_addr);
        c.version = self.version;
        c.priority = self.priority;
        c.adver_int = self.adver_int;
        c.preempt = self.preempt;
        c.preempt_delay = self.preempt_delay;
        c.interface = self.interface.clone();
        c.vips = self.vips.iter().map(|v| v.addr).collect();
        c.garp = self.garp.clone();
        c.down_timer_adverts = self.down_timer_adverts;
        c.lower_prio_no_advert = self.lower_prio_no_advert;
        c.higher_prio_send_advert = self.higher_prio_send_advert;
        c.dont_track_primary = self.dont_track_primary;
        c.trackers = self
            .track_interfaces
            .iter()
            .enumerate()
            .map(|(i, t)| TrackerConfig {
                id: Self::track_if_id(i),
                name: t.name.clone(),
                kind: TrackKind::Interface,
                weight: t.weight,
                reverse: t.reverse,
                initial: TrackStatus::Up,
            })
            .collect();
        c
    }
}
