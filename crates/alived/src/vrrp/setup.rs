//! Start-up of one instance's I/O: interface, VIP clean-up or adoption, socket subscription,
//! GARP socket, and the inputs its state machine needs before `Start` (link states).

use super::iface::{self, Resolved};
use super::rx::RxState;
use super::spec::InstanceSpec;
use super::tx::AdvertTx;
use alived_sys::netlink::{AddrSpec, Netlink, RouteSpec};
use alived_sys::{PacketSocket, SocketKey, SocketPool};
use alived_vrrp::instance::{Input, InstanceConfig, Link};
use std::net::IpAddr;
use std::sync::Arc;
use tracing::{info, warn};

/// Why the VRRP process could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("netlink: {0}")]
    Netlink(Box<alived_sys::NetlinkError>),
    #[error("{0}")]
    Iface(Box<iface::IfaceError>),
    #[error("({0}) socket: {1}")]
    Socket(String, alived_sys::SocketError),
    #[error("{0}")]
    Router(#[from] alived_vrrp::sync::RouterError),
    #[error("signals: {0}")]
    Signal(std::io::Error),
    #[error("timer: {0}")]
    Timer(std::io::Error),
}

impl From<alived_sys::NetlinkError> for StartError {
    fn from(e: alived_sys::NetlinkError) -> Self {
        StartError::Netlink(Box::new(e))
    }
}

impl From<iface::IfaceError> for StartError {
    fn from(e: iface::IfaceError) -> Self {
        StartError::Iface(Box::new(e))
    }
}

/// One running instance's I/O (its state machine lives in the process's sync `Router`).
/// A thousand of these run in one process: what can be derived from the spec is not kept
/// twice, and lists are exact-size boxed slices.
pub struct Vr {
    pub spec: InstanceSpec,
    pub res: Resolved,
    /// The devices of VIPs with a `dev` of their own (see [`iface::vip_devs`]).
    pub vip_devs: Option<Box<[u32]>>,
    pub garp_sock: Option<Arc<PacketSocket>>,
    pub routes: Box<[RouteSpec]>,
    pub tx: AdvertTx,
    /// IPv6 forwarding on: the NA router flag.
    pub router: bool,
    pub rx: RxState,
}

impl Vr {
    /// The VIPs and eVIPs as netlink addresses (made when needed: a thousand instances keep
    /// only their spec).
    pub fn vip_addrs(&self) -> Vec<AddrSpec> {
        iface::vip_addrs(&self.spec, &self.res, self.vip_devs.as_deref())
    }

    /// The pooled socket this instance's VRID is subscribed on (to unsubscribe).
    pub fn sock_key(&self) -> SocketKey {
        socket_key(&self.spec, &self.res)
    }

    /// VIPs and eVIPs: what GARPs / NAs announce.
    pub fn garp_list(&self) -> Vec<IpAddr> {
        let s = &self.spec;
        s.vips
            .iter()
            .chain(&s.extra.evips)
            .map(|v| v.addr)
            .collect()
    }
}

/// What `start_one` hands back besides the I/O.
pub struct Prepared {
    pub vr: Vr,
    pub config: InstanceConfig,
    /// Link-down inputs to feed before the first input.
    pub initial: Vec<Input>,
    /// The first input: `Start`, or `Resume` for a restarted process that found its VIPs.
    pub first: Input,
    /// The links this instance watches and whether each is up now (ifindex, up).
    pub links: Vec<(u32, bool)>,
}

/// One GARP/NA sending socket per interface, shared by the instances on it.
pub type GarpSockets = std::collections::HashMap<u32, Arc<PacketSocket>>;

fn garp_socket(socks: &mut GarpSockets, ifindex: u32, name: &str) -> Option<Arc<PacketSocket>> {
    if let Some(s) = socks.get(&ifindex) {
        return Some(s.clone());
    }
    match PacketSocket::sender(ifindex) {
        Ok(s) => {
            let s = Arc::new(s);
            socks.insert(ifindex, s.clone());
            Some(s)
        }
        Err(e) => {
            warn!("({name}) no GARP socket: {e}");
            None
        }
    }
}

/// The pooled socket an instance's adverts arrive on: by interface, family, addressing and
/// protocol (the same for an instance a reload keeps: those are what it is matched by).
fn socket_key(spec: &InstanceSpec, res: &Resolved) -> SocketKey {
    let ifindex = res.xmit_ifindex(spec);
    let mut key = match (spec.is_unicast(), spec.is_ipv6()) {
        (false, false) => SocketKey::multicast_v4(ifindex),
        (false, true) => SocketKey::multicast_v6(ifindex),
        (true, v6) => {
            let fam = if v6 {
                alived_sys::Family::V6
            } else {
                alived_sys::Family::V4
            };
            SocketKey::unicast(ifindex, fam, spec.extra.src_ip)
        }
    };
    // `auth_type AH` adverts are IP protocol 51 (spec 5.8): they arrive on an AH socket.
    if matches!(spec.extra.auth, Some(super::spec::AuthSpec::Ah(_))) && !spec.is_ipv6() {
        key.proto = alived_sys::vrrp_socket::IPPROTO_AH;
    }
    key
}

/// How an instance comes to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartKind {
    /// With the process: stale VIPs from an earlier run are removed.
    Fresh,
    /// With a process its parent restarted: VIPs found in place mean resume MASTER.
    Respawned,
    /// Added by a reload: addresses are left alone (another instance may hold them), as
    /// keepalived 2.2.7 does (measured: no `removing VIPs.` for an added instance).
    Added,
}

/// Sets one instance's I/O up. `idx` is the token its packets come out of `pool` with.
pub async fn start_one(
    nl: &Netlink,
    pool: &mut SocketPool,
    spec: InstanceSpec,
    kind: StartKind,
    idx: usize,
    garp_socks: &mut GarpSockets,
) -> Result<Prepared, StartError> {
    for item in &spec.extra.not_applied {
        warn!("({}) {item} is not supported yet - ignored", spec.name);
    }
    let (res, base_up) = iface::resolve(nl, &spec).await?;
    let vip_devs = iface::vip_devs(nl, &spec, &res).await;
    let vips = iface::vip_addrs(&spec, &res, vip_devs.as_deref());
    let routes = iface::vroutes(nl, &spec).await;
    let resume = kind == StartKind::Respawned && iface::all_present(nl, &vips).await;
    if !resume && kind != StartKind::Added {
        // A fresh start removes VIPs a crashed earlier run left behind.
        for a in nl.remove_stale(&vips).await? {
            info!("({}) removed stale VIP {}/{}", spec.name, a.addr, a.prefix);
        }
    }
    let key = socket_key(&spec, &res);
    // A group other than the VRRP one (`mcast_dst_ip`, `vrrp_mcast_group4/6`) is joined too.
    let default_group = match spec.extra.mcast_group {
        IpAddr::V4(g) => g == std::net::Ipv4Addr::new(224, 0, 0, 18),
        IpAddr::V6(g) => g == std::net::Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12),
    };
    let groups = if spec.is_unicast() || default_group {
        Vec::new()
    } else {
        vec![spec.extra.mcast_group]
    };
    let sock = pool
        .subscribe(key, spec.vrid.get(), &groups, idx)
        .map_err(|e| StartError::Socket(spec.name.to_string(), e))?;
    let tx = AdvertTx::new(sock);
    let garp_sock = garp_socket(garp_socks, res.vip_link().index, &spec.name);
    let router = alived_sys::netlink::read_sysctl(&format!(
        "net/ipv6/conf/{}/forwarding",
        res.vip_link_name(&spec)
    ))
    .is_ok_and(|v| v == "1");
    let mut initial = Vec::new();
    let mut links = vec![(res.base.index, base_up)];
    if !base_up {
        initial.push(Input::LinkDown(Link::Own));
    }
    for (i, t) in spec.extra.track_interfaces.iter().enumerate() {
        let link = nl.link_by_name(&t.name).await.ok();
        let up = link.as_ref().is_some_and(|l| l.is_running());
        if let Some(l) = link {
            links.push((l.index, up));
        }
        if !up {
            initial.push(Input::LinkDown(Link::Tracked(InstanceSpec::track_if_id(i))));
        }
    }
    if resume {
        info!(
            "({}) VIPs found in place after a restart - resuming MASTER",
            spec.name
        );
    }
    Ok(Prepared {
        config: {
            let mut c = spec.instance_config(res.our_addr);
            // GARP log lines name the interface they leave from (the VMAC, if any).
            c.interface = res.vip_link_name(&spec).clone();
            c
        },
        initial,
        first: match kind {
            _ if resume => Input::Resume,
            StartKind::Added => Input::StartAdded,
            StartKind::Fresh | StartKind::Respawned => Input::Start,
        },
        links,
        vr: Vr {
            spec,
            res,
            vip_devs,
            routes,
            tx,
            garp_sock,
            router,
            rx: RxState::default(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    /// What one instance costs the VRRP process inline (issue 6: at most half of keepalived's
    /// memory at a thousand instances). The bounds fail loudly on a regression; the printed
    /// sizes (`--nocapture`) say where the bytes are.
    #[test]
    fn per_instance_structures_stay_small() {
        let sizes = [
            ("Vr", size_of::<Vr>(), 192),
            ("InstanceSpec", size_of::<InstanceSpec>(), 64),
            ("Resolved", size_of::<Resolved>(), 48),
            ("AdvertTx", size_of::<AdvertTx>(), 16),
            ("RxState", size_of::<RxState>(), 16),
            ("VipSpec", size_of::<super::super::spec::VipSpec>(), 56),
            ("AddrSpec", size_of::<AddrSpec>(), 56),
        ];
        for (name, size, bound) in sizes {
            eprintln!("{name}: {size} bytes (bound {bound})");
        }
        for (name, size, bound) in sizes {
            assert!(size <= bound, "{name} is {size} bytes, more than {bound}");
        }
    }

    #[test]
    fn a_plain_instance_stores_no_extra_settings() {
        let s = crate::vrrp::build::tests::load(
            "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n \
             virtual_ipaddress {\n 10.0.0.1\n }\n}\n",
        )
        .remove(0);
        assert!(!s.extra.is_stored(), "{:?}", s.extra);
        let s = crate::vrrp::build::tests::load(
            "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n \
             nopreempt\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n",
        )
        .remove(0);
        assert!(!s.extra.is_stored(), "{:?}", s.extra);
        let s = crate::vrrp::build::tests::load(
            "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n \
             garp_master_delay 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n",
        )
        .remove(0);
        assert!(s.extra.is_stored());
        assert_eq!(s.extra.garp.master_delay, std::time::Duration::from_secs(1));
    }
}
