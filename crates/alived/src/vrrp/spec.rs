//! What the VRRP driver needs to run one `vrrp_instance`, before the kernel is asked anything
//! (interface index, MAC and our address are resolved at start-up by `iface.rs`). Built from the
//! configuration by `build.rs`, the only file that knows the configuration's shape.

use alived_vrrp::instance::TrackerId;
use alived_vrrp::instance::{GarpConfig, InstanceConfig, TrackKind, TrackStatus, TrackerConfig};
use alived_vrrp::types::{Centisecs, Name, Priority, Sparse, SparseDefault, Version, Vrid};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// One `virtual_ipaddress` line (behaviour spec 2.3), the parts the driver applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipSpec {
    pub addr: IpAddr,
    /// Default /32 (IPv4) or /128 (IPv6).
    pub prefix: u8,
    /// `dev`: defaults to the instance interface (or its VMAC).
    pub dev: Option<Name>,
    pub label: Option<Name>,
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
    pub name: Name,
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

/// One instance, as configured: what every instance has inline, the rest in [`SpecExtra`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSpec {
    /// Shared with the state machine's configuration, the notifier and the log lines.
    pub name: Name,
    /// Shared by every instance on the interface.
    pub interface: Name,
    pub vrid: Vrid,
    pub version: Version,
    pub priority: Priority,
    pub preempt: bool,
    pub adver_int: Centisecs,
    pub vips: Box<[VipSpec]>,
    /// Everything else, allocated only when some of it differs from the defaults: a plain
    /// instance carries 8 bytes for these settings instead of some 330.
    pub extra: Sparse<SpecExtra>,
}

/// The settings of an instance that most configurations leave at their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecExtra {
    pub preempt_delay: Duration,
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

impl SpecExtra {
    /// keepalived 2.2.7's defaults (behaviour spec 2.1, 2.2) for an IPv4 instance.
    pub const DEFAULT: SpecExtra = SpecExtra {
        preempt_delay: Duration::ZERO,
        evips: Vec::new(),
        src_ip: None,
        mcast_group: IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)),
        unicast_peers: Vec::new(),
        unicast_ttl: 255,
        check_unicast_src: false,
        unicast_ttl_range: None,
        skip_check_adv_addr: false,
        auth: None,
        track_interfaces: Vec::new(),
        garp: GarpConfig::DEFAULT,
        garp_interval: Duration::ZERO,
        gna_interval: Duration::ZERO,
        use_vmac: None,
        vmac_xmit_base: false,
        dont_track_primary: false,
        lower_prio_no_advert: false,
        higher_prio_send_advert: false,
        down_timer_adverts: 3,
        vroutes: Vec::new(),
        vrules: Vec::new(),
        not_applied: Vec::new(),
    };
}

/// What a [`Sparse<SpecExtra>`] reads as while nothing is stored.
static DEFAULT_EXTRA: SpecExtra = SpecExtra::DEFAULT;

impl SparseDefault for SpecExtra {
    fn sparse_default() -> &'static SpecExtra {
        &DEFAULT_EXTRA
    }
}

impl InstanceSpec {
    /// The family of the instance: that of its first VIP, else of its source address.
    pub fn is_ipv6(&self) -> bool {
        self.vips
            .first()
            .map(|v| v.addr.is_ipv6())
            .or(self.extra.src_ip.map(|a| a.is_ipv6()))
            .or(self.extra.unicast_peers.first().map(IpAddr::is_ipv6))
            .unwrap_or(false)
    }

    pub fn is_unicast(&self) -> bool {
        !self.extra.unicast_peers.is_empty()
    }

    /// The tracker id of `track_interface` entry `i` (ids are positions, from 1).
    pub fn track_if_id(i: usize) -> TrackerId {
        TrackerId(u32::try_from(i + 1).unwrap_or(u32::MAX))
    }

    /// The state machine's configuration, once our address is known.
    pub fn instance_config(&self, our_addr: IpAddr) -> InstanceConfig {
        let mut c = InstanceConfig::new(self.name.clone(), self.vrid, our_addr);
        c.version = self.version;
        c.priority = self.priority;
        c.adver_int = self.adver_int;
        c.preempt = self.preempt;
        c.preempt_delay = self.extra.preempt_delay;
        c.interface = self.interface.clone();
        c.vips = self.vips.iter().map(|v| v.addr).collect();
        c.garp = Sparse::new(self.extra.garp.clone());
        c.down_timer_adverts = self.extra.down_timer_adverts;
        c.lower_prio_no_advert = self.extra.lower_prio_no_advert;
        c.higher_prio_send_advert = self.extra.higher_prio_send_advert;
        c.dont_track_primary = self.extra.dont_track_primary;
        c.trackers = self
            .extra
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
