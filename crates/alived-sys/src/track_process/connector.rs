//! The netlink process connector (`NETLINK_CONNECTOR`, `CN_IDX_PROC`): the kernel multicasts a
//! message for every fork, exec, comm change and exit. Needs CAP_NET_ADMIN.
//!
//! Message layout (include/uapi/linux/netlink.h, connector.h, cn_proc.h), native endian:
//!
//! ```text
//! nlmsghdr  16 bytes: len u32, type u16 (NLMSG_DONE), flags u16, seq u32, pid u32
//! cn_msg    20 bytes: id.idx u32 (CN_IDX_PROC=1), id.val u32 (CN_VAL_PROC=1), seq u32,
//!                     ack u32, len u16, flags u16
//! proc_event header 16 bytes: what u32, cpu u32, timestamp_ns u64
//! event_data: FORK  parent_pid, parent_tgid, child_pid, child_tgid   (u32 each)
//!             EXEC  process_pid, process_tgid
//!             COMM  process_pid, process_tgid, comm[16]
//!             EXIT  process_pid, process_tgid, exit_code, exit_signal
//! ```
//!
//! Subscribing sends the same headers with a u32 `PROC_CN_MCAST_LISTEN` (1) as payload.

use std::io;

use netlink_sys::{AsyncSocket, AsyncSocketExt, SocketAddr, TokioSocket, protocols};

const NLMSG_HDRLEN: usize = 16;
const CN_MSG_LEN: usize = 20;
const PROC_EVENT_HDR: usize = 16;
const NLMSG_DONE: u16 = 3;
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
const PROC_CN_MCAST_LISTEN: u32 = 1;

const PROC_EVENT_FORK: u32 = 0x0000_0001;
const PROC_EVENT_EXEC: u32 = 0x0000_0002;
const PROC_EVENT_COMM: u32 = 0x0000_0200;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;

/// One process event of interest. Thread events (pid != tgid) are filtered out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcEvent {
    /// A new process `child` (forked from `parent`).
    Fork {
        /// Parent tgid.
        parent: u32,
        /// New process id.
        child: u32,
    },
    /// `pid` called execve.
    Exec {
        /// Process id.
        pid: u32,
    },
    /// `pid` changed its comm (prctl PR_SET_NAME).
    Comm {
        /// Process id.
        pid: u32,
    },
    /// `pid` exited.
    Exit {
        /// Process id.
        pid: u32,
    },
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    b.get(off..off + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_ne_bytes)
}

/// Parses one datagram from the connector (one or more netlink messages). Malformed or
/// foreign messages are skipped.
pub fn parse_events(mut buf: &[u8]) -> Vec<ProcEvent> {
    let mut out = Vec::new();
    while buf.len() >= NLMSG_HDRLEN {
        let Some(len) = u32_at(buf, 0).and_then(|l| usize::try_from(l).ok()) else {
            break;
        };
        if len < NLMSG_HDRLEN || len > buf.len() {
            break;
        }
        let (msg, rest) = buf.split_at(len);
        if let Some(ev) = parse_one(msg) {
            out.push(ev);
        }
        // Messages are 4-byte aligned.
        let next = len.next_multiple_of(4).min(buf.len());
        buf = rest.get(next - len..).unwrap_or_default();
    }
    out
}

fn parse_one(msg: &[u8]) -> Option<ProcEvent> {
    let cn = msg.get(NLMSG_HDRLEN..)?;
    if u32_at(cn, 0)? != CN_IDX_PROC || u32_at(cn, 4)? != CN_VAL_PROC {
        return None;
    }
    let ev = cn.get(CN_MSG_LEN..)?;
    let what = u32_at(ev, 0)?;
    let d = ev.get(PROC_EVENT_HDR..)?;
    match what {
        PROC_EVENT_FORK => {
            let (parent_tgid, child_pid, child_tgid) =
                (u32_at(d, 4)?, u32_at(d, 8)?, u32_at(d, 12)?);
            (child_pid == child_tgid).then_some(ProcEvent::Fork {
                parent: parent_tgid,
                child: child_pid,
            })
        }
        PROC_EVENT_EXEC | PROC_EVENT_COMM | PROC_EVENT_EXIT => {
            let (pid, tgid) = (u32_at(d, 0)?, u32_at(d, 4)?);
            if pid != tgid {
                return None;
            }
            Some(match what {
                PROC_EVENT_EXEC => ProcEvent::Exec { pid },
                PROC_EVENT_COMM => ProcEvent::Comm { pid },
                _ => ProcEvent::Exit { pid },
            })
        }
        _ => None,
    }
}

/// The subscribe (or unsubscribe, op 2) request.
fn control_message(op: u32) -> Vec<u8> {
    let total = NLMSG_HDRLEN + CN_MSG_LEN + 4;
    let mut m = Vec::with_capacity(total);
    m.extend_from_slice(&(total as u32).to_ne_bytes());
    m.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
    m.extend_from_slice(&0u16.to_ne_bytes()); // flags
    m.extend_from_slice(&0u32.to_ne_bytes()); // seq
    m.extend_from_slice(&std::process::id().to_ne_bytes());
    m.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
    m.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes()); // seq
    m.extend_from_slice(&0u32.to_ne_bytes()); // ack
    m.extend_from_slice(&4u16.to_ne_bytes()); // len
    m.extend_from_slice(&0u16.to_ne_bytes()); // flags
    m.extend_from_slice(&op.to_ne_bytes());
    m
}

/// A subscribed connector socket.
pub(crate) struct Connector {
    sock: TokioSocket,
}

impl Connector {
    /// Opens, binds to the CN_IDX_PROC group and subscribes.
    pub(crate) async fn open() -> io::Result<Self> {
        Self::subscribe().await.map_err(|e| {
            if e.raw_os_error() == Some(libc::ECONNREFUSED) {
                // keepalived 2.2.7 in a namespace logs `Failed to set/clear process event
                // listen - errno 111 - Connection refused` and tracks nothing.
                io::Error::new(
                    e.kind(),
                    "process events are only delivered in the initial network namespace: \
                     start the process tracker before entering net_namespace",
                )
            } else {
                e
            }
        })
    }

    async fn subscribe() -> io::Result<Self> {
        let mut sock = TokioSocket::new(protocols::NETLINK_CONNECTOR)?;
        sock.socket_mut().bind(&SocketAddr::new(0, CN_IDX_PROC))?;
        // Bursts of forks must not overflow quietly: a bigger buffer, and ENOBUFS (which we
        // answer with a rescan) otherwise.
        let _ = sock.socket_ref().set_rx_buf_sz(1 << 20);
        sock.send_to(
            &control_message(PROC_CN_MCAST_LISTEN),
            &SocketAddr::new(0, 0),
        )
        .await?;
        Ok(Connector { sock })
    }

    /// The next datagram's events. `Err` with ENOBUFS means events were lost.
    pub(crate) async fn recv(&mut self) -> io::Result<Vec<ProcEvent>> {
        let (buf, _) = self.sock.recv_from_full().await?;
        Ok(parse_events(&buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(what: u32, data: &[u32]) -> Vec<u8> {
        let mut m = Vec::new();
        let len = NLMSG_HDRLEN + CN_MSG_LEN + PROC_EVENT_HDR + data.len() * 4;
        m.extend_from_slice(&(len as u32).to_ne_bytes());
        m.extend_from_slice(&[0; 12]);
        m.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
        m.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
        m.extend_from_slice(&[0; 12]);
        m.extend_from_slice(&what.to_ne_bytes());
        m.extend_from_slice(&[0; 12]);
        for d in data {
            m.extend_from_slice(&d.to_ne_bytes());
        }
        m
    }

    #[test]
    fn parses_each_kind_and_skips_threads() {
        assert_eq!(
            parse_events(&event(PROC_EVENT_FORK, &[10, 10, 11, 11])),
            vec![ProcEvent::Fork {
                parent: 10,
                child: 11
            }]
        );
        assert_eq!(
            parse_events(&event(PROC_EVENT_FORK, &[10, 10, 12, 11])),
            vec![]
        );
        assert_eq!(
            parse_events(&event(PROC_EVENT_EXEC, &[7, 7])),
            vec![ProcEvent::Exec { pid: 7 }]
        );
        assert_eq!(
            parse_events(&event(PROC_EVENT_EXIT, &[7, 7, 0, 17])),
            vec![ProcEvent::Exit { pid: 7 }]
        );
        assert_eq!(
            parse_events(&event(PROC_EVENT_EXIT, &[8, 7, 0, 17])),
            vec![]
        );
        let mut two = event(PROC_EVENT_COMM, &[5, 5, 0, 0, 0, 0]);
        two.extend(event(PROC_EVENT_EXEC, &[6, 6]));
        assert_eq!(
            parse_events(&two),
            vec![ProcEvent::Comm { pid: 5 }, ProcEvent::Exec { pid: 6 }]
        );
    }

    #[test]
    fn garbage_is_skipped_not_a_panic() {
        assert_eq!(parse_events(&[]), vec![]);
        assert_eq!(parse_events(&[0xff; 7]), vec![]);
        let mut m = event(PROC_EVENT_EXEC, &[7, 7]);
        m.truncate(40);
        assert_eq!(parse_events(&m), vec![]);
        let mut m = event(PROC_EVENT_EXEC, &[7, 7]);
        m[0..4].copy_from_slice(&1000u32.to_ne_bytes());
        assert_eq!(parse_events(&m), vec![]);
        for n in 0..60 {
            let m = event(PROC_EVENT_FORK, &[1, 1, 2, 2]);
            let _ = parse_events(&m[..n.min(m.len())]);
        }
    }

    #[test]
    fn subscribe_message_layout() {
        let m = control_message(PROC_CN_MCAST_LISTEN);
        assert_eq!(m.len(), 40);
        assert_eq!(u32_at(&m, 0), Some(40));
        assert_eq!(u32_at(&m, 16), Some(1));
        assert_eq!(u32_at(&m, 20), Some(1));
        assert_eq!(&m[32..34], &4u16.to_ne_bytes());
        assert_eq!(u32_at(&m, 36), Some(1));
    }
}
