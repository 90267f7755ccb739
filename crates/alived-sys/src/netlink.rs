//! rtnetlink: links, addresses (VIPs), routes, rules, macvlan VMACs, sysctls, link events.
//!
//! All netlink use goes through this module (rtnetlink changes its API often; a version bump
//! should touch this file only). Address syntax follows keepalived's `virtual_ipaddress`
//! (behaviour spec 2.3): prefix, `brd`, `dev`, `scope`, `label`, `-nodad` (IPv6 VIPs are added
//! with IFA_F_NODAD), `noprefixroute`, `preferred_lft`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use futures::StreamExt;
use futures::TryStreamExt;
use futures::channel::mpsc::UnboundedReceiver;
use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST, NetlinkMessage,
    NetlinkPayload,
};
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, AddressScope, CacheInfo,
};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkInfo, LinkMessage, MacVlanMode};
use netlink_packet_route::route::{RouteMessage, RouteProtocol, RouteScope};
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::AsyncSocket;
use rtnetlink::{Handle, LinkMacVlan, LinkUnspec, MulticastGroup, RouteMessageBuilder};
use tokio::task::JoinHandle;

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
    fn from_msg(m: &LinkMessage) -> Self {
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
    /// `label` (IPv4 only, < IFNAMSIZ).
    pub label: Option<String>,
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

    fn validate(&self) -> Result<(), NetlinkError> {
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

    fn message(&self) -> AddressMessage {
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
            m.attributes.push(AddressAttribute::Label(l.clone()));
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
    fn from_msg(m: &AddressMessage) -> Option<Self> {
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

    fn message(&self) -> Result<RouteMessage, NetlinkError> {
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
}

impl RuleSpec {
    fn message(&self) -> Result<RuleMessage, NetlinkError> {
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
        Ok(m)
    }
}

fn family_of(ip: IpAddr) -> AddressFamily {
    if ip.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    }
}

/// An rtnetlink request handle. Its connection runs as a task on the current runtime and
/// stops when this is dropped. Netlink acts on the network namespace of the thread that
/// called [`Netlink::new`].
#[derive(Debug)]
pub struct Netlink {
    handle: Handle,
    conn: JoinHandle<()>,
}

impl Drop for Netlink {
    fn drop(&mut self) {
        self.conn.abort();
    }
}

impl Netlink {
    /// Opens a connection. Must be called inside a tokio runtime.
    pub fn new() -> Result<Self, NetlinkError> {
        let (conn, handle, _) = rtnetlink::new_connection().map_err(NetlinkError::Connect)?;
        Ok(Netlink {
            handle,
            conn: tokio::spawn(conn),
        })
    }

    /// Sends one request that the kernel answers with an ACK.
    async fn ack(
        &self,
        op: impl Fn() -> String,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<(), NetlinkError> {
        let mut req = NetlinkMessage::from(msg);
        req.header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        let mut handle = self.handle.clone();
        let mut resp = handle
            .request(req)
            .map_err(|source| NetlinkError::Request { op: op(), source })?;
        while let Some(m) = resp.next().await {
            if let NetlinkPayload::Error(e) = m.payload
                && e.code.is_some()
            {
                return Err(NetlinkError::Request {
                    op: op(),
                    source: rtnetlink::Error::NetlinkError(e),
                });
            }
        }
        Ok(())
    }

    /// All links.
    pub async fn links(&self) -> Result<Vec<Link>, NetlinkError> {
        let msgs: Vec<LinkMessage> = self
            .handle
            .link()
            .get()
            .execute()
            .try_collect()
            .await
            .map_err(|source| NetlinkError::Request {
                op: "dump links".into(),
                source,
            })?;
        Ok(msgs.iter().map(Link::from_msg).collect())
    }

    /// The link called `name`.
    pub async fn link_by_name(&self, name: &str) -> Result<Link, NetlinkError> {
        let mut s = self
            .handle
            .link()
            .get()
            .match_name(name.to_string())
            .execute();
        match s.try_next().await {
            Ok(Some(m)) => Ok(Link::from_msg(&m)),
            Ok(None) => Err(NetlinkError::NoSuchLink(name.into())),
            Err(rtnetlink::Error::NetlinkError(e))
                if e.code.map(|c| -c.get()) == Some(libc::ENODEV) =>
            {
                Err(NetlinkError::NoSuchLink(name.into()))
            }
            Err(source) => Err(NetlinkError::Request {
                op: format!("get link {name}"),
                source,
            }),
        }
    }

    /// The link with ifindex `index`.
    pub async fn link_by_index(&self, index: u32) -> Result<Link, NetlinkError> {
        let mut s = self.handle.link().get().match_index(index).execute();
        match s.try_next().await {
            Ok(Some(m)) => Ok(Link::from_msg(&m)),
            Ok(None) => Err(NetlinkError::NoSuchLink(index.to_string())),
            Err(rtnetlink::Error::NetlinkError(e))
                if e.code.map(|c| -c.get()) == Some(libc::ENODEV) =>
            {
                Err(NetlinkError::NoSuchLink(index.to_string()))
            }
            Err(source) => Err(NetlinkError::Request {
                op: format!("get link {index}"),
                source,
            }),
        }
    }

    /// Sets a link administratively up or down.
    pub async fn set_link_up(&self, index: u32, up: bool) -> Result<(), NetlinkError> {
        let b = LinkUnspec::new_with_index(index);
        let msg = if up { b.up() } else { b.down() }.build();
        self.handle
            .link()
            .set(msg)
            .execute()
            .await
            .map_err(|source| NetlinkError::Request {
                op: format!("set link {index} up={up}"),
                source,
            })
    }

    /// Addresses of one link (`Some(ifindex)`) or of all links.
    pub async fn addresses(&self, ifindex: Option<u32>) -> Result<Vec<Addr>, NetlinkError> {
        let mut req = self.handle.address().get();
        if let Some(i) = ifindex {
            req = req.set_link_index_filter(i);
        }
        let msgs: Vec<AddressMessage> =
            req.execute()
                .try_collect()
                .await
                .map_err(|source| NetlinkError::Request {
                    op: "dump addresses".into(),
                    source,
                })?;
        Ok(msgs.iter().filter_map(Addr::from_msg).collect())
    }

    /// Adds an address (fails with EEXIST if present; see [`Netlink::replace_address`]).
    pub async fn add_address(&self, a: &AddrSpec) -> Result<(), NetlinkError> {
        a.validate()?;
        let op = || {
            format!(
                "add address {}/{} on ifindex {}",
                a.addr, a.prefix, a.ifindex
            )
        };
        self.ack(
            op,
            RouteNetlinkMessage::NewAddress(a.message()),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .await
    }

    /// Adds or updates an address (NLM_F_REPLACE).
    pub async fn replace_address(&self, a: &AddrSpec) -> Result<(), NetlinkError> {
        a.validate()?;
        let op = || {
            format!(
                "replace address {}/{} on ifindex {}",
                a.addr, a.prefix, a.ifindex
            )
        };
        self.ack(
            op,
            RouteNetlinkMessage::NewAddress(a.message()),
            NLM_F_CREATE | NLM_F_REPLACE,
        )
        .await
    }

    /// Deletes an address (EADDRNOTAVAIL if absent).
    pub async fn del_address(&self, a: &AddrSpec) -> Result<(), NetlinkError> {
        a.validate()?;
        let op = || {
            format!(
                "delete address {}/{} on ifindex {}",
                a.addr, a.prefix, a.ifindex
            )
        };
        self.ack(op, RouteNetlinkMessage::DelAddress(a.message()), 0)
            .await
    }

    /// Start-up clean-up: deletes each of `vips` that is present on its link (left behind by
    /// a run that crashed). Returns the ones removed.
    pub async fn remove_stale(&self, vips: &[AddrSpec]) -> Result<Vec<AddrSpec>, NetlinkError> {
        let present = self.addresses(None).await?;
        let mut removed = Vec::new();
        for v in vips {
            if present
                .iter()
                .any(|p| p.ifindex == v.ifindex && p.addr == v.addr && p.prefix == v.prefix)
            {
                self.del_address(v).await?;
                removed.push(v.clone());
            }
        }
        Ok(removed)
    }

    /// Adds a route.
    pub async fn add_route(&self, r: &RouteSpec) -> Result<(), NetlinkError> {
        let op = || format!("add route {}/{}", r.dst, r.prefix);
        self.ack(
            op,
            RouteNetlinkMessage::NewRoute(r.message()?),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .await
    }

    /// Deletes a route.
    pub async fn del_route(&self, r: &RouteSpec) -> Result<(), NetlinkError> {
        let op = || format!("delete route {}/{}", r.dst, r.prefix);
        self.ack(op, RouteNetlinkMessage::DelRoute(r.message()?), 0)
            .await
    }

    /// Adds a rule.
    pub async fn add_rule(&self, r: &RuleSpec) -> Result<(), NetlinkError> {
        let op = || format!("add rule {r:?}");
        self.ack(
            op,
            RouteNetlinkMessage::NewRule(r.message()?),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .await
    }

    /// Deletes a rule.
    pub async fn del_rule(&self, r: &RuleSpec) -> Result<(), NetlinkError> {
        let op = || format!("delete rule {r:?}");
        self.ack(op, RouteNetlinkMessage::DelRule(r.message()?), 0)
            .await
    }

    /// Creates a macvlan in private mode on `base` (keepalived's `use_vmac`, spec 5.8) with
    /// MAC `mac`, brings it up and returns it.
    pub async fn create_macvlan(
        &self,
        base: u32,
        name: &str,
        mac: [u8; 6],
    ) -> Result<Link, NetlinkError> {
        if name.is_empty() || name.len() > MAX_IFNAME {
            return Err(NetlinkError::Invalid(format!(
                "bad interface name {name:?}"
            )));
        }
        let msg = LinkMacVlan::new(name, base, MacVlanMode::Private)
            .address(mac.to_vec())
            .up()
            .build();
        self.handle
            .link()
            .add(msg)
            .execute()
            .await
            .map_err(|source| NetlinkError::Request {
                op: format!("create macvlan {name}"),
                source,
            })?;
        self.link_by_name(name).await
    }

    /// Deletes a link (e.g. a VMAC).
    pub async fn delete_link(&self, index: u32) -> Result<(), NetlinkError> {
        self.handle
            .link()
            .del(index)
            .execute()
            .await
            .map_err(|source| NetlinkError::Request {
                op: format!("delete link {index}"),
                source,
            })
    }
}

/// The VMAC MAC for `vrid`: 00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID (IPv6).
pub fn vmac_mac(vrid: u8, ipv6: bool) -> [u8; 6] {
    [0x00, 0x00, 0x5e, 0x00, if ipv6 { 0x02 } else { 0x01 }, vrid]
}

/// Writes `value` to /proc/sys/`path` (e.g. `net/ipv4/conf/eth0/arp_ignore`), in the calling
/// thread's network namespace.
pub fn write_sysctl(path: &str, value: &str) -> Result<(), NetlinkError> {
    if path.split('/').any(|c| c == ".." || c.is_empty()) {
        return Err(NetlinkError::Invalid(format!("bad sysctl path {path:?}")));
    }
    let full = format!("/proc/sys/{path}");
    std::fs::write(&full, value).map_err(|source| NetlinkError::Sysctl { path: full, source })
}

/// Reads /proc/sys/`path`, trimmed.
pub fn read_sysctl(path: &str) -> Result<String, NetlinkError> {
    let full = format!("/proc/sys/{path}");
    std::fs::read_to_string(&full)
        .map(|s| s.trim().to_string())
        .map_err(|source| NetlinkError::Sysctl { path: full, source })
}

/// The sysctls keepalived sets for a VMAC (spec 5.8): on the VMAC `arp_ignore=1`,
/// `accept_local=1`, `rp_filter=0`, `promote_secondaries=1`; on the base `arp_ignore=1`,
/// `arp_filter=1`. (Lowering/restoring `all.rp_filter` is left to the caller, with
/// [`read_sysctl`].)
pub fn set_vmac_sysctls(vmac: &str, base: &str) -> Result<(), NetlinkError> {
    for n in [vmac, base] {
        if n.is_empty() || n.len() > MAX_IFNAME || n.contains('/') {
            return Err(NetlinkError::Invalid(format!("bad interface name {n:?}")));
        }
    }
    for (k, v) in [
        ("arp_ignore", "1"),
        ("accept_local", "1"),
        ("rp_filter", "0"),
        ("promote_secondaries", "1"),
    ] {
        write_sysctl(&format!("net/ipv4/conf/{vmac}/{k}"), v)?;
    }
    for (k, v) in [("arp_ignore", "1"), ("arp_filter", "1")] {
        write_sysctl(&format!("net/ipv4/conf/{base}/{k}"), v)?;
    }
    Ok(())
}

/// A link or address change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetEvent {
    /// The link became usable (IFF_UP and IFF_RUNNING), or was first seen so.
    LinkUp {
        /// ifindex.
        index: u32,
        /// Name.
        name: String,
    },
    /// The link stopped being usable, or was first seen so.
    LinkDown {
        /// ifindex.
        index: u32,
        /// Name.
        name: String,
    },
    /// The link was deleted.
    LinkRemoved {
        /// ifindex.
        index: u32,
        /// Name.
        name: String,
    },
    /// An address was added (or changed).
    AddrAdded(Addr),
    /// An address was removed.
    AddrRemoved(Addr),
}

/// Link and address events (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR). Link
/// events are reported on change of the up/running state only.
#[derive(Debug)]
pub struct EventStream {
    rx: UnboundedReceiver<(NetlinkMessage<RouteNetlinkMessage>, netlink_sys::SocketAddr)>,
    conn: JoinHandle<()>,
    last: HashMap<u32, bool>,
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.conn.abort();
    }
}

impl EventStream {
    /// Subscribes. Must be called inside a tokio runtime; watches the calling thread's netns.
    pub fn new() -> Result<Self, NetlinkError> {
        let groups = [
            MulticastGroup::Link,
            MulticastGroup::Ipv4Ifaddr,
            MulticastGroup::Ipv6Ifaddr,
        ];
        let (mut conn, _handle, rx) =
            rtnetlink::new_multicast_connection(&groups).map_err(NetlinkError::Connect)?;
        // Bursts of events must not overflow the socket (ENOBUFS loses events).
        let _ = conn.socket_mut().socket_mut().set_rx_buf_sz(1 << 20);
        Ok(EventStream {
            rx,
            conn: tokio::spawn(conn),
            last: HashMap::new(),
        })
    }

    /// Next event; `None` if the connection ended.
    pub async fn next(&mut self) -> Option<NetEvent> {
        loop {
            let (msg, _) = self.rx.next().await?;
            let NetlinkPayload::InnerMessage(inner) = msg.payload else {
                continue;
            };
            match inner {
                RouteNetlinkMessage::NewLink(m) => {
                    let l = Link::from_msg(&m);
                    let up = l.is_running();
                    if self.last.insert(l.index, up) == Some(up) {
                        continue;
                    }
                    return Some(if up {
                        NetEvent::LinkUp {
                            index: l.index,
                            name: l.name,
                        }
                    } else {
                        NetEvent::LinkDown {
                            index: l.index,
                            name: l.name,
                        }
                    });
                }
                RouteNetlinkMessage::DelLink(m) => {
                    let l = Link::from_msg(&m);
                    self.last.remove(&l.index);
                    return Some(NetEvent::LinkRemoved {
                        index: l.index,
                        name: l.name,
                    });
                }
                RouteNetlinkMessage::NewAddress(m) => {
                    if let Some(a) = Addr::from_msg(&m) {
                        return Some(NetEvent::AddrAdded(a));
                    }
                }
                RouteNetlinkMessage::DelAddress(m) => {
                    if let Some(a) = Addr::from_msg(&m) {
                        return Some(NetEvent::AddrRemoved(a));
                    }
                }
                _ => {}
            }
        }
    }
}
