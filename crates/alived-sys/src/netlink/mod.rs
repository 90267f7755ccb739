//! rtnetlink: links, addresses (VIPs), routes, rules, macvlan VMACs, sysctls, link events.
//!
//! All netlink use goes through this module (rtnetlink changes its API often; a version bump
//! should touch this module only). Address syntax follows keepalived's `virtual_ipaddress`
//! (behaviour spec 2.3): prefix, `brd`, `dev`, `scope`, `label`, `-nodad` (IPv6 VIPs are added
//! with IFA_F_NODAD), `noprefixroute`, `preferred_lft`.

mod events;
mod types;

pub use events::{EventStream, NetEvent};
pub use types::{Addr, AddrSpec, Link, MAX_IFNAME, RouteSpec, RuleSpec, scope};

use futures::{StreamExt, TryStreamExt};
use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST, NetlinkMessage,
    NetlinkPayload,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::{LinkMessage, MacVlanMode};
use rtnetlink::{Handle, LinkMacVlan, LinkUnspec};
use tokio::task::JoinHandle;

use crate::error::NetlinkError;

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
