//! Plain data: links, addresses, routes and rules, and their netlink messages.

use std::net::{IpAddr, Ipv4Addr};

use netlink_packet_route::AddressFamily;
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, AddressScope, CacheInfo,
};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkInfo, LinkMessage};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteProtocol, RouteScope,
};
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleMessage};
use rtnetlink::RouteMessageBuilder;

use crate::error::NetlinkError;

/// IFNAMSIZ - 1: longest interface name or address label.
pub const MAX_IFNAME: usize = 15;

/// A link as the kernel reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// ifindex.
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// Hardware address (6 bytes for Ethernet), empty if none.
    pub mac: Vec<u8>,
    /// Raw IFF_* flags.
    pub flags: u32,
    /// MTU, if reported.
    pub mtu: Option<u32>,
    /// Link kind (`veth`, `macvlan`, `bridge`...), if any.
    pub kind: Option<String>,
    /// Parent link (IFLA_LINK), e.g. the base of a macvlan.
    pub parent: Option<u32>,
}

impl Link {
    /// IFF_UP: administratively up.
    pub fn is_up(&self) -> bool {
        self.flags & LinkFlags::Up.bits() != 0
    }
    /// IFF_RUNNING: up with carrier (operationally usable); keepalived's "interface up".
    pub fn is_running(&self) -> bool {
        self.is_up() && self.flags & LinkFlags::Running.bits() != 0
    }
    /// IFF_NOARP: no GARPs on this link.
    pub fn is_noarp(&self) -> bool {
        self.flags & LinkFlags::Noarp.bits() != 0
    }
    pub(crate) fn from_msg(m: &LinkMessage) -> Self {
        let mut l = Link {
            index: m.header.index,
            name: String::new(),
            mac: Vec::new(),
            flags: m.header.flags.bits(),
            mtu: None,
            kind: None,
            parent: None,
        };
        for a in &m.attributes {
            match a {
                LinkAttribute::IfName(n) => l.name = n.clone(),
                LinkAttribute::Address(mac) => l.mac = mac.clone(),
                LinkAttribute::Mtu(v) => l.mtu = Some(*v),
                LinkAttribute::Link(p) => l.parent = Some(*p),
                LinkAttribute::LinkInfo(infos) => {
                    for i in infos {
                        if let LinkInfo::Kind(k) = i {
                            l.kind = Some(k.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
        l
    }
}

/// Address scope (`scope` keyword; rtnetlink RT_SCOPE_* numbers).
pub mod scope {
    /// `global`.
    pub const GLOBAL: u8 = 0;
    /// `site`.
    pub const SITE: u8 = 200;
    /// `link`.
    pub const LINK: u8 = 253;
    /// `host`.
    pub const HOST: u8 = 254;
    /// `nowhere`.
    pub const NOWHERE: u8 = 255;
}

/// An address to add or delete, in keepalived's `virtual_ipaddress` terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrSpec {
    /// `dev`: the link.
    pub ifindex: u32,
    /// The address.
    pub addr: IpAddr,
    /// Prefix length (keepalived default /32, /128).
    pub prefix: u8,
    /// `brd` (IPv4 only).
    pub broadcast: Option<Ipv4Addr>,
    /// `scope` (see [`scope`]); IPv6 VIPs use global.
    pub scope: u8,
    /// `label` (IPv4 only, < IFNAMSIZ). A boxed str: every VIP of every instance has one.
    pub label: Option<Box<str>>,
    /// IFA_F_NODAD: keepalived adds IPv6 VIPs without DAD unless told otherwise.
    pub nodad: bool,
    /// IFA_F_NOPREFIXROUTE.
    pub noprefixroute: bool,
    /// `preferred_lft` in seconds; `None` is forever. (IPv6 /128 VIPs: keepalived uses 0.)
    pub preferred_lft: Option<u32>,
}

impl AddrSpec {
    /// A plain address: global scope, no label, NODAD for IPv6 (keepalived's default).
    pub fn new(ifindex: u32, addr: IpAddr, prefix: u8) -> Self {
        AddrSpec {
            ifindex,
            addr,
            prefix,
            broadcast: None,
            scope: scope::GLOBAL,
            label: None,
            nodad: addr.is_ipv6(),
            noprefixroute: false,
            preferred_lft: None,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), NetlinkError> {
        let max = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix > max {
            return Err(NetlinkError::Invalid(format!(
                "prefix /{} too long for {}",
                self.prefix, self.addr
            )));
        }
        if let Some(l) = &self.label {
            if l.len() > MAX_IFNAME {
                return Err(NetlinkError::Invalid(format!(
                    "label {l:?} longer than {MAX_IFNAME}"
                )));
            }
            if self.addr.is_ipv6() {
                return Err(NetlinkError::Invalid("label is IPv4 only".into()));
            }
        }
        if self.broadcast.is_some() && self.addr.is_ipv6() {
            return Err(NetlinkError::Invalid("brd is IPv4 only".into()));
        }
        Ok(())
    }

    pub(crate) fn message(&self) -> AddressMessage {
        let mut m = AddressMessage::default();
        m.header.family = family_of(self.addr);
        m.header.prefix_len = self.prefix;
        m.header.scope = AddressScope::from(self.scope);
        m.header.index = self.ifindex;
        let mut flags = AddressFlags::empty();
        if self.nodad {
            flags |= AddressFlags::Nodad;
            m.header.flags |= AddressHeaderFlags::Nodad;
        }
        if self.noprefixroute {
            flags |= AddressFlags::Noprefixroute;
        }
        // As `ip addr add`: IFA_LOCAL and IFA_ADDRESS both carry the address.
        m.attributes.push(AddressAttribute::Local(self.addr));
        m.attributes.push(AddressAttribute::Address(self.addr));
        if let Some(b) = self.broadcast {
            m.attributes.push(AddressAttribute::Broadcast(b));
        }
        if let Some(l) = &self.label {
            m.attributes.push(AddressAttribute::Label(l.to_string()));
        }
        if !flags.is_empty() {
            m.attributes.push(AddressAttribute::Flags(flags));
        }
        if let Some(p) = self.preferred_lft {
            let mut ci = CacheInfo::default();
            ci.ifa_preferred = p;
            ci.ifa_valid = u32::MAX;
            m.attributes.push(AddressAttribute::CacheInfo(ci));
        }
        m
    }
}

/// An address as the kernel reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addr {
    /// Link.
    pub ifindex: u32,
    /// The local address (IFA_LOCAL, else IFA_ADDRESS).
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix: u8,
    /// IFA_BROADCAST.
    pub broadcast: Option<Ipv4Addr>,
    /// Scope number.
    pub scope: u8,
    /// IFA_LABEL.
    pub label: Option<String>,
    /// IFA_F_* flags (IFA_FLAGS, else the header's).
    pub flags: u32,
    /// Preferred lifetime (seconds; u32::MAX = forever), if reported.
    pub preferred_lft: Option<u32>,
}

impl Addr {
    /// IFA_F_NODAD set.
    pub fn nodad(&self) -> bool {
        self.flags & AddressFlags::Nodad.bits() != 0
    }
    pub(crate) fn from_msg(m: &AddressMessage) -> Option<Self> {
        let mut local = None;
        let mut address = None;
        let mut a = Addr {
            ifindex: m.header.index,
            addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            prefix: m.header.prefix_len,
            broadcast: None,
            scope: u8::from(m.header.scope),
            label: None,
            flags: u32::from(m.header.flags.bits()),
            preferred_lft: None,
        };
        for attr in &m.attributes {
            match attr {
                AddressAttribute::Local(ip) => local = Some(*ip),
                AddressAttribute::Address(ip) => address = Some(*ip),
                AddressAttribute::Broadcast(b) => a.broadcast = Some(*b),
                AddressAttribute::Label(l) => a.label = Some(l.clone()),
                AddressAttribute::Flags(f) => a.flags = f.bits(),
                AddressAttribute::CacheInfo(c) => a.preferred_lft = Some(c.ifa_preferred),
                _ => {}
            }
        }
        a.addr = local.or(address)?;
        Some(a)
    }
}

/// A route (`virtual_routes` basics).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSpec {
    /// Destination prefix (`default` is 0.0.0.0/0 or ::/0).
    pub dst: IpAddr,
    /// Destination prefix length.
    pub prefix: u8,
    /// `via`/`gw`.
    pub gateway: Option<IpAddr>,
    /// `src`.
    pub pref_src: Option<IpAddr>,
    /// `dev`.
    pub oif: Option<u32>,
    /// `table` (254 = main).
    pub table: u32,
    /// `metric`/`priority`.
    pub metric: Option<u32>,
    /// `scope` (see [`scope`]).
    pub scope: u8,
    /// `protocol` (4 = static, 3 = boot).
    pub protocol: u8,
}

impl RouteSpec {
    /// A route to `dst/prefix` in the main table, scope global, protocol static.
    pub fn new(dst: IpAddr, prefix: u8) -> Self {
        RouteSpec {
            dst,
            prefix,
            gateway: None,
            pref_src: None,
            oif: None,
            table: 254,
            metric: None,
            scope: scope::GLOBAL,
            protocol: 4,
        }
    }

    pub(crate) fn message(&self) -> Result<RouteMessage, NetlinkError> {
        fn inval<E: std::fmt::Debug>(e: E) -> NetlinkError {
            NetlinkError::Invalid(format!("route: {e:?}"))
        }
        let mut b = RouteMessageBuilder::<IpAddr>::new()
            .destination_prefix(self.dst, self.prefix)
            .map_err(inval)?
            .table_id(self.table)
            .scope(RouteScope::from(self.scope))
            .protocol(RouteProtocol::from(self.protocol));
        if let Some(g) = self.gateway {
            b = b.gateway(g).map_err(inval)?;
        }
        if let Some(s) = self.pref_src {
            b = b.pref_source(s).map_err(inval)?;
        }
        if let Some(o) = self.oif {
            b = b.output_interface(o);
        }
        if let Some(m) = self.metric {
            b = b.priority(m);
        }
        Ok(b.build())
    }

    /// The route a kernel message describes (for route events); `None` for a family other
    /// than IPv4/IPv6.
    pub(crate) fn from_msg(m: &RouteMessage) -> Option<Self> {
        let ip = |a: &RouteAddress| match a {
            RouteAddress::Inet(v4) => Some(IpAddr::V4(*v4)),
            RouteAddress::Inet6(v6) => Some(IpAddr::V6(*v6)),
            _ => None,
        };
        let unspecified = match m.header.address_family {
            AddressFamily::Inet => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            AddressFamily::Inet6 => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
            _ => return None,
        };
        let mut r = RouteSpec::new(unspecified, m.header.destination_prefix_length);
        r.table = u32::from(m.header.table);
        r.scope = u8::from(m.header.scope);
        r.protocol = u8::from(m.header.protocol);
        for a in &m.attributes {
            match a {
                RouteAttribute::Destination(d) => r.dst = ip(d).unwrap_or(r.dst),
                RouteAttribute::Gateway(g) => r.gateway = ip(g),
                RouteAttribute::PrefSource(s) => r.pref_src = ip(s),
                RouteAttribute::Oif(o) => r.oif = Some(*o),
                RouteAttribute::Table(t) => r.table = *t,
                RouteAttribute::Priority(p) => r.metric = Some(*p),
                _ => {}
            }
        }
        Some(r)
    }
}

/// A policy rule (`virtual_rules` basics).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSpec {
    /// IPv6 rule (else IPv4).
    pub ipv6: bool,
    /// `from PREFIX`.
    pub from: Option<(IpAddr, u8)>,
    /// `to PREFIX`.
    pub to: Option<(IpAddr, u8)>,
    /// `table`.
    pub table: u32,
    /// `preference`/`priority`.
    pub priority: Option<u32>,
    /// `fwmark` value and optional mask.
    pub fwmark: Option<(u32, Option<u32>)>,
    /// `iif`/`dev`: the incoming interface's name.
    pub iif: Option<String>,
    /// `oif`: the outgoing interface's name.
    pub oif: Option<String>,
    /// FRA_PROTOCOL (`proto`; keepalived marks its rules RTPROT_KEEPALIVED, 18).
    pub protocol: Option<u8>,
}

impl RuleSpec {
    pub(crate) fn message(&self) -> Result<RuleMessage, NetlinkError> {
        let mut m = RuleMessage::default();
        m.header.family = if self.ipv6 {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        m.header.action = RuleAction::ToTable;
        if let Ok(t) = u8::try_from(self.table) {
            m.header.table = t;
        } else {
            m.header.table = 252; // RT_TABLE_COMPAT: the real id is in FRA_TABLE
        }
        m.attributes.push(RuleAttribute::Table(self.table));
        for (slot, is_src) in [(self.from, true), (self.to, false)] {
            if let Some((ip, len)) = slot {
                if ip.is_ipv6() != self.ipv6 {
                    return Err(NetlinkError::Invalid(format!(
                        "rule address {ip} of the wrong family"
                    )));
                }
                if is_src {
                    m.header.src_len = len;
                    m.attributes.push(RuleAttribute::Source(ip));
                } else {
                    m.header.dst_len = len;
                    m.attributes.push(RuleAttribute::Destination(ip));
                }
            }
        }
        if let Some(p) = self.priority {
            m.attributes.push(RuleAttribute::Priority(p));
        }
        if let Some((mark, mask)) = self.fwmark {
            m.attributes.push(RuleAttribute::FwMark(mark));
            if let Some(mask) = mask {
                m.attributes.push(RuleAttribute::FwMask(mask));
            }
        }
        if let Some(i) = &self.iif {
            m.attributes.push(RuleAttribute::Iifname(i.clone()));
        }
        if let Some(o) = &self.oif {
            m.attributes.push(RuleAttribute::Oifname(o.clone()));
        }
        if let Some(p) = self.protocol {
            m.attributes
                .push(RuleAttribute::Protocol(RouteProtocol::from(p)));
        }
        Ok(m)
    }

    /// The rule a kernel message describes (for rule events); `None` for a family other
    /// than IPv4/IPv6.
    pub(crate) fn from_msg(m: &RuleMessage) -> Option<Self> {
        let ipv6 = match m.header.family {
            AddressFamily::Inet => false,
            AddressFamily::Inet6 => true,
            _ => return None,
        };
        let mut r = RuleSpec {
            ipv6,
            from: None,
            to: None,
            table: u32::from(m.header.table),
            priority: None,
            fwmark: None,
            iif: None,
            oif: None,
            protocol: None,
        };
        let mut mask = None;
        for a in &m.attributes {
            match a {
                RuleAttribute::Source(ip) => r.from = Some((*ip, m.header.src_len)),
                RuleAttribute::Destination(ip) => r.to = Some((*ip, m.header.dst_len)),
                RuleAttribute::Table(t) => r.table = *t,
                RuleAttribute::Priority(p) => r.priority = Some(*p),
                RuleAttribute::FwMark(f) => r.fwmark = Some((*f, None)),
                RuleAttribute::FwMask(k) => mask = Some(*k),
                RuleAttribute::Iifname(i) => r.iif = Some(i.clone()),
                RuleAttribute::Oifname(o) => r.oif = Some(o.clone()),
                RuleAttribute::Protocol(p) => r.protocol = Some(u8::from(*p)),
                _ => {}
            }
        }
        if let Some((_, m)) = &mut r.fwmark {
            *m = mask;
        }
        Some(r)
    }
}

pub(crate) fn family_of(ip: IpAddr) -> AddressFamily {
    if ip.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_vip_message_carries_nodad_and_lifetime() {
        let mut a = AddrSpec::new(3, "2001:db8::1".parse().unwrap(), 128);
        a.preferred_lft = Some(0);
        let m = a.message();
        assert_eq!(m.header.family, AddressFamily::Inet6);
        assert_eq!((m.header.prefix_len, m.header.index), (128, 3));
        assert!(
            m.attributes.iter().any(
                |x| matches!(x, AddressAttribute::Flags(f) if f.contains(AddressFlags::Nodad))
            )
        );
        assert!(m.attributes.iter().any(
            |x| matches!(x, AddressAttribute::CacheInfo(c) if c.ifa_preferred == 0 && c.ifa_valid == u32::MAX)
        ));
    }

    #[test]
    fn ipv4_vip_defaults_and_validation() {
        let a = AddrSpec::new(2, "10.0.0.1".parse().unwrap(), 32);
        assert!(!a.nodad);
        assert!(a.validate().is_ok());
        let mut bad = a.clone();
        bad.prefix = 33;
        assert!(bad.validate().is_err());
        let mut bad = a.clone();
        bad.label = Some("0123456789abcdef".into());
        assert!(bad.validate().is_err());
        let mut bad = AddrSpec::new(2, "::1".parse().unwrap(), 128);
        bad.broadcast = Some(Ipv4Addr::BROADCAST);
        assert!(bad.validate().is_err());
    }

    #[test]
    fn rule_table_above_255_uses_fra_table() {
        let r = RuleSpec {
            ipv6: false,
            from: Some(("10.0.0.0".parse().unwrap(), 8)),
            to: None,
            table: 1000,
            priority: Some(10),
            fwmark: Some((7, Some(0xff))),
            iif: Some("eth0".into()),
            oif: None,
            protocol: Some(18),
        };
        let m = r.message().unwrap();
        assert_eq!((m.header.table, m.header.src_len), (252, 8));
        assert!(m.attributes.contains(&RuleAttribute::Table(1000)));
        assert!(m.attributes.contains(&RuleAttribute::FwMask(0xff)));
        assert!(
            m.attributes
                .contains(&RuleAttribute::Iifname("eth0".into()))
        );
        assert_eq!(RuleSpec::from_msg(&m).as_ref(), Some(&r));
        let mixed = RuleSpec { ipv6: true, ..r };
        assert!(mixed.message().is_err());
    }
}
