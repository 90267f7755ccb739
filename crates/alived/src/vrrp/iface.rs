//! The kernel side of one instance: its interface (index, MAC, our address), its VMAC, and its
//! virtual addresses (behaviour spec 2.3, 5.8).

use super::spec::{InstanceSpec, VipSpec};
use alived_sys::NetlinkError;
use alived_sys::netlink::{
    Addr, AddrSpec, Link, Netlink, RouteSpec, RuleSpec, set_vmac_sysctls, vmac_mac,
};
use alived_vrrp::types::Name;
use std::net::{IpAddr, Ipv6Addr};
use tracing::{debug, info, warn};

/// IFA_F_SECONDARY: not the primary address of its subnet.
const IFA_F_SECONDARY: u32 = 0x01;
const EEXIST: i32 = 17;
const EADDRNOTAVAIL: i32 = 99;
const ENOENT: i32 = 2;
const ESRCH: i32 = 3;

/// Why an instance cannot start on this host.
#[derive(Debug, thiserror::Error)]
pub enum IfaceError {
    #[error("({instance}) interface {interface}: {source}")]
    Link {
        instance: String,
        interface: String,
        source: NetlinkError,
    },
    #[error("({instance}) no {family} address on {interface} to send adverts from")]
    NoAddress {
        instance: String,
        interface: String,
        family: &'static str,
    },
    #[error("({instance}) VMAC {name}: {source}")]
    Vmac {
        instance: String,
        name: String,
        source: NetlinkError,
    },
}

/// One link of an instance, as much as it needs while running: its name is in the spec (the
/// configured interface, or the VMAC's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkRef {
    pub index: u32,
    /// The Ethernet address (zeros if the link has none of 6 bytes).
    pub mac: [u8; 6],
}

impl LinkRef {
    pub fn of(l: &Link) -> LinkRef {
        let mut mac = [0u8; 6];
        if l.mac.len() == 6 {
            mac.copy_from_slice(&l.mac);
        }
        LinkRef {
            index: l.index,
            mac,
        }
    }
}

/// An instance's interface, resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The configured interface (link state of this one is the instance's own link).
    pub base: LinkRef,
    /// The VMAC, when `use_vmac` (VIPs and GARPs go there; adverts too unless
    /// `vmac_xmit_base`).
    pub vmac: Option<LinkRef>,
    /// Our advert source and tie-break address.
    pub our_addr: IpAddr,
}

impl Resolved {
    /// Where adverts are sent and received.
    pub fn xmit_ifindex(&self, spec: &InstanceSpec) -> u32 {
        match &self.vmac {
            Some(v) if !spec.extra.vmac_xmit_base => v.index,
            _ => self.base.index,
        }
    }
    /// Where VIPs without `dev` go, and GARPs leave from.
    pub fn vip_link(&self) -> LinkRef {
        self.vmac.unwrap_or(self.base)
    }
    /// The name of [`Resolved::vip_link`]: the VMAC's, else the configured interface.
    pub fn vip_link_name<'a>(&self, spec: &'a InstanceSpec) -> &'a Name {
        match (&self.vmac, &spec.extra.use_vmac) {
            (Some(_), Some(v)) => &v.name,
            _ => &spec.interface,
        }
    }
    /// The Ethernet source of GARPs / NAs.
    pub fn mac(&self) -> [u8; 6] {
        self.vip_link().mac
    }
}

fn is_link_local_v6(a: &Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

/// The address keepalived uses as ours (spec 5.4): the configured source, else the
/// interface's primary IPv4 address, or its IPv6 link-local address. VIPs are never ours.
pub fn pick_our_addr(spec: &InstanceSpec, addrs: &[Addr], ifindex: u32) -> Option<IpAddr> {
    if let Some(a) = spec.extra.src_ip {
        return Some(a);
    }
    let is_vip = |a: &IpAddr| {
        spec.vips
            .iter()
            .chain(&spec.extra.evips)
            .any(|v| v.addr == *a)
    };
    let mine = addrs
        .iter()
        .filter(|a| a.ifindex == ifindex && !is_vip(&a.addr));
    if spec.is_ipv6() {
        mine.filter_map(|a| match a.addr {
            IpAddr::V6(v6) if is_link_local_v6(&v6) => Some(a.addr),
            _ => None,
        })
        .next()
    } else {
        mine.filter(|a| a.addr.is_ipv4() && a.flags & IFA_F_SECONDARY == 0)
            .map(|a| a.addr)
            .next()
    }
}

/// Looks the interface up, creates the VMAC if configured, and finds our address; with
/// whether the interface is running now.
pub async fn resolve(nl: &Netlink, spec: &InstanceSpec) -> Result<(Resolved, bool), IfaceError> {
    let link_err = |source| IfaceError::Link {
        instance: spec.name.to_string(),
        interface: spec.interface.to_string(),
        source,
    };
    let base = nl.link_by_name(&spec.interface).await.map_err(link_err)?;
    let addrs = nl.addresses(Some(base.index)).await.map_err(link_err)?;
    let our_addr =
        pick_our_addr(spec, &addrs, base.index).ok_or_else(|| IfaceError::NoAddress {
            instance: spec.name.to_string(),
            interface: spec.interface.to_string(),
            family: if spec.is_ipv6() {
                "IPv6 link-local"
            } else {
                "IPv4"
            },
        })?;
    let vmac = match &spec.extra.use_vmac {
        None => None,
        Some(v) => Some(vmac(nl, spec, &base, &v.name, our_addr).await?),
    };
    let res = Resolved {
        base: LinkRef::of(&base),
        vmac: vmac.as_ref().map(LinkRef::of),
        our_addr,
    };
    Ok((res, base.is_running()))
}

/// Creates (or, after a restart, adopts) the instance's VMAC: macvlan private mode, MAC
/// 00:00:5e:00:01:VRID (00:00:5e:00:02:VRID for IPv6), keepalived's sysctls (spec 5.8).
async fn vmac(
    nl: &Netlink,
    spec: &InstanceSpec,
    base: &Link,
    name: &str,
    our_addr: IpAddr,
) -> Result<Link, IfaceError> {
    let err = |source| IfaceError::Vmac {
        instance: spec.name.to_string(),
        name: name.to_owned(),
        source,
    };
    let mac = vmac_mac(spec.vrid.get(), spec.is_ipv6());
    let link = match nl.link_by_name(name).await {
        Ok(l) if l.parent == Some(base.index) && l.mac == mac => l,
        Ok(l) => {
            // A stale link of that name that is not our VMAC: replace it.
            nl.delete_link(l.index).await.map_err(err)?;
            nl.create_macvlan(base.index, name, mac)
                .await
                .map_err(err)?
        }
        Err(_) => nl
            .create_macvlan(base.index, name, mac)
            .await
            .map_err(err)?,
    };
    set_vmac_sysctls(name, &base.name).map_err(err)?;
    if let IpAddr::V6(ll) = our_addr {
        vmac_link_local(nl, &link, ll).await.map_err(err)?;
    }
    info!("({}): Success creating VMAC interface {name}", spec.name);
    Ok(link)
}

/// An IPv6 VMAC carries the base interface's link-local address (our advert source) instead
/// of the one the kernel derives from the VMAC MAC, which would be the same on every router
/// of the VRID.
async fn vmac_link_local(nl: &Netlink, link: &Link, ll: Ipv6Addr) -> Result<(), NetlinkError> {
    alived_sys::netlink::write_sysctl(&format!("net/ipv6/conf/{}/addr_gen_mode", link.name), "1")?;
    for a in nl.addresses(Some(link.index)).await? {
        if let IpAddr::V6(v6) = a.addr
            && is_link_local_v6(&v6)
            && v6 != ll
        {
            let mut spec = AddrSpec::new(link.index, a.addr, a.prefix);
            spec.scope = alived_sys::netlink::scope::LINK;
            nl.del_address(&spec).await?;
        }
    }
    let mut own = AddrSpec::new(link.index, IpAddr::V6(ll), 64);
    own.scope = alived_sys::netlink::scope::LINK;
    match nl.add_address(&own).await {
        Err(e) if e.errno() != Some(EEXIST) => Err(e),
        _ => Ok(()),
    }
}

/// Deletes the VMAC at stop.
pub async fn remove_vmac(nl: &Netlink, spec: &InstanceSpec, r: &Resolved) {
    if let Some(v) = &r.vmac {
        let vname = r.vip_link_name(spec);
        match nl.delete_link(v.index).await {
            Ok(()) => info!("({}): Success removing VMAC interface {vname}", spec.name),
            Err(e) => warn!("({}) cannot remove VMAC {vname}: {e}", spec.name),
        }
    }
}

/// Where each VIP and eVIP with a `dev` of its own lives, resolved once, at start: by
/// position in the VIPs then eVIPs, 0 for a device not found (that VIP is left out, with a
/// warning). `None` when no VIP names a `dev` other than the instance's interface: each one
/// is on [`Resolved::vip_link`] (a plain instance keeps no list).
pub async fn vip_devs(nl: &Netlink, spec: &InstanceSpec, r: &Resolved) -> Option<Box<[u32]>> {
    let all = || spec.vips.iter().chain(&spec.extra.evips);
    let own_dev = |v: &VipSpec| v.dev.as_ref().filter(|d| **d != spec.interface).cloned();
    if !all().any(|v| own_dev(v).is_some()) {
        return None;
    }
    let mut out = Vec::new();
    for v in all() {
        let index = match own_dev(v) {
            Some(dev) => match nl.link_by_name(&dev).await {
                Ok(l) => l.index,
                Err(e) => {
                    warn!("({}) VIP {}: {e}", spec.name, v.addr);
                    0
                }
            },
            None => r.vip_link().index,
        };
        out.push(index);
    }
    Some(out.into_boxed_slice())
}

/// The netlink address of a VIP on link `ifindex` (keepalived defaults: /32 or /128, global
/// scope, IPv6 without DAD and, for /128, preferred_lft 0).
pub fn vip_addr(v: &VipSpec, ifindex: u32) -> AddrSpec {
    let mut a = AddrSpec::new(ifindex, v.addr, v.prefix);
    a.label = v.label.as_deref().map(Into::into);
    a.broadcast = v.broadcast;
    if v.addr.is_ipv6() && v.prefix == 128 {
        a.preferred_lft = Some(0);
    }
    a
}

/// The netlink addresses of every VIP and eVIP of an instance whose device was found, with
/// the devices [`vip_devs`] resolved.
pub fn vip_addrs(spec: &InstanceSpec, r: &Resolved, devs: Option<&[u32]>) -> Vec<AddrSpec> {
    spec.vips
        .iter()
        .chain(&spec.extra.evips)
        .enumerate()
        .filter_map(|(i, v)| {
            let index = match devs {
                None => r.vip_link().index,
                Some(d) => d.get(i).copied().unwrap_or(0),
            };
            (index != 0).then(|| vip_addr(v, index))
        })
        .collect()
}

/// Adds the VIPs (present ones are kept: a restart or a repeat is not an error).
pub async fn add_vips(nl: &Netlink, name: &str, vips: &[AddrSpec]) {
    for a in vips {
        match nl.add_address(a).await {
            Ok(()) => debug!("({name}) added VIP {}/{}", a.addr, a.prefix),
            Err(e) if e.errno() == Some(EEXIST) => {}
            Err(e) => warn!("({name}) cannot add VIP {}/{}: {e}", a.addr, a.prefix),
        }
    }
}

/// Removes the VIPs (absent ones are fine).
pub async fn remove_vips(nl: &Netlink, name: &str, vips: &[AddrSpec]) {
    for a in vips {
        match nl.del_address(a).await {
            Ok(()) => debug!("({name}) removed VIP {}/{}", a.addr, a.prefix),
            Err(e) if e.errno() == Some(EADDRNOTAVAIL) => {}
            Err(e) => warn!("({name}) cannot remove VIP {}/{}: {e}", a.addr, a.prefix),
        }
    }
}

/// The instance's `virtual_routes` with their `dev` resolved (default: none, the kernel picks
/// the interface from the gateway).
pub async fn vroutes(nl: &Netlink, spec: &InstanceSpec) -> Box<[RouteSpec]> {
    let mut out = Vec::new();
    for v in &spec.extra.vroutes {
        let mut r = v.route.clone();
        if let Some(dev) = &v.dev {
            match nl.link_by_name(dev).await {
                Ok(l) => r.oif = Some(l.index),
                Err(e) => {
                    warn!("({}) virtual route {}/{}: {e}", spec.name, r.dst, r.prefix);
                    continue;
                }
            }
        }
        out.push(r);
    }
    out.into_boxed_slice()
}

/// Adds `virtual_routes` then `virtual_rules` (present ones are fine).
pub async fn add_routes(nl: &Netlink, name: &str, routes: &[RouteSpec], rules: &[RuleSpec]) {
    for r in routes {
        match nl.add_route(r).await {
            Ok(()) => debug!("({name}) added route {}/{}", r.dst, r.prefix),
            Err(e) if e.errno() == Some(EEXIST) => {}
            Err(e) => warn!("({name}) cannot add route {}/{}: {e}", r.dst, r.prefix),
        }
    }
    for r in rules {
        match nl.add_rule(r).await {
            Ok(()) => debug!("({name}) added rule {r:?}"),
            Err(e) if e.errno() == Some(EEXIST) => {}
            Err(e) => warn!("({name}) cannot add rule {r:?}: {e}"),
        }
    }
}

/// Removes `virtual_rules` then `virtual_routes` (absent ones are fine).
pub async fn remove_routes(nl: &Netlink, name: &str, routes: &[RouteSpec], rules: &[RuleSpec]) {
    for r in rules {
        match nl.del_rule(r).await {
            Ok(()) => debug!("({name}) removed rule {r:?}"),
            Err(e) if matches!(e.errno(), Some(ENOENT | ESRCH)) => {}
            Err(e) => warn!("({name}) cannot remove rule {r:?}: {e}"),
        }
    }
    for r in routes {
        match nl.del_route(r).await {
            Ok(()) => debug!("({name}) removed route {}/{}", r.dst, r.prefix),
            Err(e) if matches!(e.errno(), Some(ENOENT | ESRCH)) => {}
            Err(e) => warn!("({name}) cannot remove route {}/{}: {e}", r.dst, r.prefix),
        }
    }
}

/// Whether every VIP is present on its link (a restarted VRRP process then resumes MASTER).
pub async fn all_present(nl: &Netlink, vips: &[AddrSpec]) -> bool {
    let Ok(present) = nl.addresses(None).await else {
        return false;
    };
    !vips.is_empty()
        && vips.iter().all(|v| {
            present
                .iter()
                .any(|p| p.ifindex == v.ifindex && p.addr == v.addr && p.prefix == v.prefix)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(ifindex: u32, a: &str, flags: u32) -> Addr {
        Addr {
            ifindex,
            addr: a.parse().unwrap(),
            prefix: 24,
            broadcast: None,
            scope: 0,
            label: None,
            flags,
            preferred_lft: None,
        }
    }

    fn spec(vip: &str) -> InstanceSpec {
        super::super::build::tests::load(&format!(
            "vrrp_instance V {{
 interface e
 virtual_router_id 1
 \
             virtual_ipaddress {{
 {vip}
 }}
}}
"
        ))
        .remove(0)
    }

    #[test]
    fn our_address_is_the_primary_ipv4_not_a_vip_nor_a_secondary() {
        let s = spec("10.0.0.100");
        let addrs = [
            addr(3, "10.0.0.100", 0),
            addr(3, "10.0.0.7", IFA_F_SECONDARY),
            addr(2, "10.0.1.1", 0),
            addr(3, "10.0.0.2", 0),
        ];
        assert_eq!(
            pick_our_addr(&s, &addrs, 3),
            Some("10.0.0.2".parse().unwrap())
        );
    }

    #[test]
    fn ipv6_instances_use_the_link_local_address() {
        let s = spec("2001:db8::1");
        let addrs = [addr(3, "2001:db8::2", 0), addr(3, "fe80::2", 0)];
        assert_eq!(
            pick_our_addr(&s, &addrs, 3),
            Some("fe80::2".parse().unwrap())
        );
        assert_eq!(pick_our_addr(&s, &addrs[..1], 3), None);
    }

    #[test]
    fn vip_addresses_are_made_from_the_spec_on_the_resolved_links() {
        let s = spec("10.0.0.100/24 label e:1\n 10.0.2.1\n 10.0.1.1 dev x");
        let r = Resolved {
            base: LinkRef {
                index: 3,
                mac: [0; 6],
            },
            vmac: Some(LinkRef {
                index: 9,
                mac: [0; 6],
            }),
            our_addr: "10.0.0.2".parse().unwrap(),
        };
        // Without devices of their own, every VIP goes on the VIP link (here a VMAC).
        let all = vip_addrs(&s, &r, None);
        assert_eq!(all.len(), 3);
        assert!(all.iter().all(|a| a.ifindex == 9));
        assert_eq!((all[0].prefix, all[0].label.as_deref()), (24, Some("e:1")));
        assert_eq!((all[1].prefix, all[1].preferred_lft), (32, None));
        let v6 = vip_addrs(&spec("2001:db8::1/128"), &r, None);
        assert_eq!(v6[0].preferred_lft, Some(0));
        // With them: by position; a device not found (0) leaves its VIP out.
        let placed = vip_addrs(&s, &r, Some(&[9, 9, 5]));
        assert_eq!(placed[2].ifindex, 5);
        let missing = vip_addrs(&s, &r, Some(&[9, 0, 5]));
        assert_eq!(missing.len(), 2);
        assert_eq!(missing[1].addr, "10.0.1.1".parse::<IpAddr>().unwrap());
    }
}
