//! Link, address, route and rule events from rtnetlink multicast groups.

use std::collections::HashMap;

use futures::StreamExt;
use futures::channel::mpsc::UnboundedReceiver;
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::AsyncSocket;
use rtnetlink::MulticastGroup;
use tokio::task::JoinHandle;

use super::types::{Addr, Link, RouteSpec, RuleSpec};
use crate::error::NetlinkError;

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
    /// A route was removed (only with [`EventStream::with_routes_and_rules`]). The kernel
    /// reports routes deleted by hand, not those flushed with their link.
    RouteRemoved(RouteSpec),
    /// A policy rule was removed (only with [`EventStream::with_routes_and_rules`]).
    RuleRemoved(RuleSpec),
    /// The socket overflowed (ENOBUFS) and events were lost: re-read links and addresses
    /// ([`super::Netlink::links`], [`super::Netlink::addresses`]) to resynchronise.
    Overrun,
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
        Self::with_routes_and_rules(false, false)
    }

    /// [`EventStream::new`], also reporting removed routes and/or rules (RTNLGRP_IPV4_ROUTE,
    /// RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE). Off by default: a host
    /// with a full routing table changes routes often.
    pub fn with_routes_and_rules(routes: bool, rules: bool) -> Result<Self, NetlinkError> {
        let mut groups = vec![
            MulticastGroup::Link,
            MulticastGroup::Ipv4Ifaddr,
            MulticastGroup::Ipv6Ifaddr,
        ];
        if routes {
            groups.extend([MulticastGroup::Ipv4Route, MulticastGroup::Ipv6Route]);
        }
        if rules {
            groups.extend([MulticastGroup::Ipv4Rule, MulticastGroup::Ipv6Rule]);
        }
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
            let inner = match msg.payload {
                NetlinkPayload::InnerMessage(inner) => inner,
                NetlinkPayload::Overrun(_) => {
                    // ENOBUFS: the kernel dropped events. Forget link states so the next
                    // NEWLINK of each link is reported again.
                    self.last.clear();
                    return Some(NetEvent::Overrun);
                }
                _ => continue,
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
                RouteNetlinkMessage::DelRoute(m) => {
                    if let Some(r) = RouteSpec::from_msg(&m) {
                        return Some(NetEvent::RouteRemoved(r));
                    }
                }
                RouteNetlinkMessage::DelRule(m) => {
                    if let Some(r) = RuleSpec::from_msg(&m) {
                        return Some(NetEvent::RuleRemoved(r));
                    }
                }
                _ => {}
            }
        }
    }
}
