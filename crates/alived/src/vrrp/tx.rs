//! Sending: adverts (behaviour spec 5.9: IPv4 header as keepalived builds it, one copy per
//! unicast peer, v6 through the kernel) and GARP / unsolicited NA bursts (spec 5.6).

use super::spec::{AuthSpec, InstanceSpec};
use alived_sys::{PacketSocket, SocketError, VrrpSocket};
use alived_vrrp::types::Priority;
use alived_vrrp::wire::ipv4::{self, VRRP_TTL};
use alived_vrrp::wire::{Advert, AhReplay, AhTx, Auth, Family, Ipv4Tx, PseudoHeader};
use std::net::IpAddr;
use std::sync::Arc;
use tracing::debug;

/// IPv4 header as keepalived sends it (no options).
const IPV4_HEADER: usize = 20;
/// The AH header in front of a VRRPv2 `auth_type AH` message (RFC 2402, HMAC-96).
const AH_HEADER: usize = 24;

/// Why an advert could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    #[error("cannot build advert: {0:?}")]
    Emit(alived_vrrp::wire::EmitError),
    #[error("{0}")]
    Socket(#[from] SocketError),
}

/// The largest IPv4 advert: header, AH, and a VRRPv2 message with 255 addresses.
const MAX_V4_PACKET: usize = IPV4_HEADER + AH_HEADER + 8 + 255 * 4 + 8;
/// Room for an IPv4 advert with AH and up to 16 addresses.
const SMALL_V4_PACKET: usize = IPV4_HEADER + AH_HEADER + 8 + 16 * 4 + 8;

/// The advert sender of one instance: its socket and IPv4 ID. The message, destinations,
/// TTL and key are read from the spec at each send rather than kept twice.
pub struct AdvertTx {
    sock: Arc<VrrpSocket>,
    /// IPv4 ID: starts at 1, +1 per packet, skips 0 (spec 5.9).
    ident: u16,
}

thread_local! {
    /// The advert's address list, filled again from the spec at each send: one for the
    /// process, so that sending allocates nothing (a master at 100 adverts a second would
    /// otherwise allocate and free it a hundred times a second) and no instance keeps a list
    /// of its own. Adverts are sent from the VRRP loop's thread; a send that finds it taken
    /// (none does) would make its own.
    static ADDRS: std::cell::Cell<Vec<IpAddr>> = const { std::cell::Cell::new(Vec::new()) };
}

impl AdvertTx {
    pub fn new(sock: Arc<VrrpSocket>) -> AdvertTx {
        AdvertTx { sock, ident: 0 }
    }

    /// The socket adverts leave from (kept by an instance a reload reconfigures).
    pub fn socket(&self) -> Arc<VrrpSocket> {
        self.sock.clone()
    }

    /// Sends one advert of `spec` with `priority` from `src` to every destination. `ah` is
    /// the instance's one AH sequence counter, shared with the receive side as keepalived
    /// does.
    pub async fn send(
        &mut self,
        priority: Priority,
        spec: &InstanceSpec,
        src: IpAddr,
        ah_seq: &mut AhReplay,
    ) -> Result<(), TxError> {
        let mut addrs = ADDRS.take();
        addrs.clear();
        addrs.extend(spec.vips.iter().map(|v| v.addr));
        let template = Advert {
            version: spec.version,
            vrid: spec.vrid,
            priority,
            adver_int: spec.adver_int,
            auth: match spec.extra.auth {
                None => Auth::None,
                Some(AuthSpec::Pass(p)) => Auth::Pass(p),
                Some(AuthSpec::Ah(_)) => Auth::Ah,
            },
            addrs,
        };
        let sent = self.send_template(&template, spec, src, ah_seq).await;
        // The list goes back for the next send, whatever became of this one.
        ADDRS.set(template.addrs);
        sent
    }

    async fn send_template(
        &mut self,
        template: &Advert,
        spec: &InstanceSpec,
        src: IpAddr,
        ah_seq: &mut AhReplay,
    ) -> Result<(), TxError> {
        let ah_key = match spec.extra.auth {
            Some(AuthSpec::Ah(k)) => Some(k),
            _ => None,
        };
        let ttl = if spec.is_unicast() {
            spec.extra.unicast_ttl
        } else {
            VRRP_TTL
        };
        let group = [spec.extra.mcast_group];
        let dests = if spec.is_unicast() {
            &spec.extra.unicast_peers[..]
        } else {
            &group[..]
        };
        // Built on the stack: a thousand instances keep no send buffer each. The usual advert
        // fits a small buffer; the largest possible one (1 KB to zero at every send) is made
        // only for an advert that needs it. IPv6 adverts (the VRRP message alone) use the
        // same room.
        let mut small = [0u8; SMALL_V4_PACKET];
        let mut large;
        let buf: &mut [u8] = if ipv4::advert_packet_len(template, ah_key.is_some()) <= small.len() {
            &mut small
        } else {
            large = [0u8; MAX_V4_PACKET];
            &mut large
        };
        for &dst in dests {
            match (src, dst) {
                (IpAddr::V4(src), IpAddr::V4(d)) => {
                    self.ident = ipv4::next_ident(self.ident);
                    let tx = Ipv4Tx {
                        src,
                        dst: d,
                        ttl,
                        ident: self.ident,
                    };
                    let ah = ah_key.map(|key| AhTx {
                        seq: ah_seq.next_tx(),
                        key,
                        unicast: !d.is_multicast(),
                    });
                    let n =
                        ipv4::emit_advert_packet(buf, &tx, template, ah).map_err(TxError::Emit)?;
                    self.sock.send_v4(&buf[..n], d).await?;
                }
                (IpAddr::V6(src), IpAddr::V6(d)) => {
                    let pseudo = PseudoHeader::for_advert(template.version, src.into(), dst);
                    if let Some(out) = buf.get_mut(..template.buffer_len(Family::V6)) {
                        let n = template
                            .emit(out, Family::V6, pseudo)
                            .map_err(TxError::Emit)?;
                        self.sock.send_v6(&out[..n], Some(src), d).await?;
                    } else {
                        // More addresses than an IPv4 packet's room holds (over 64).
                        let bytes = template
                            .to_bytes(Family::V6, pseudo)
                            .map_err(TxError::Emit)?;
                        self.sock.send_v6(&bytes, Some(src), d).await?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// One burst of GARPs (IPv4 VIPs) or unsolicited NAs (IPv6 VIPs): `count` per VIP, paced by
/// `vrrp_garp_interval` / `vrrp_gna_interval` (0: back to back, keepalived's default).
pub struct GarpBurst {
    pub sock: Arc<PacketSocket>,
    pub ifname: alived_vrrp::types::Name,
    pub mac: [u8; 6],
    pub vips: Vec<IpAddr>,
    pub count: u32,
    /// IPv6 forwarding on: the NA router flag.
    pub router: bool,
    pub garp_interval: std::time::Duration,
    pub gna_interval: std::time::Duration,
}

impl GarpBurst {
    /// Sends the burst, logging each packet with -D as keepalived does.
    pub async fn send(&self) -> Result<(), SocketError> {
        let ifname = &self.ifname;
        for _ in 0..self.count {
            for vip in &self.vips {
                let pause = match vip {
                    IpAddr::V4(v4) => {
                        debug!("Sending gratuitous ARP on {ifname} for {v4}");
                        let frame = alived_vrrp::wire::arp::garp_frame(self.mac, *v4);
                        self.sock.send(&frame).await?;
                        self.garp_interval
                    }
                    IpAddr::V6(v6) => {
                        debug!("Sending unsolicited Neighbour Advert on {ifname} for {v6}");
                        let frame =
                            alived_vrrp::wire::ndisc::unsolicited_na(self.mac, *v6, self.router);
                        self.sock.send(&frame).await?;
                        self.gna_interval
                    }
                };
                if pause.is_zero() {
                    // Back to back, but the VRRP loop runs between two frames.
                    tokio::task::yield_now().await;
                } else {
                    tokio::time::sleep(pause).await;
                }
            }
        }
        Ok(())
    }
}
