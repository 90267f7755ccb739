//! Errors of the Linux I/O layer, one enum per area.

use std::io;

/// Errors from the raw VRRP and AF_PACKET sockets.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    /// A socket system call failed; `op` names the call or option.
    #[error("{op}: {source}")]
    Io {
        /// The call or socket option that failed, e.g. `setsockopt(IPV6_CHECKSUM)`.
        op: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The caller asked for something the socket cannot do (wrong family, bad length...).
    #[error("invalid request: {0}")]
    Invalid(&'static str),
}

impl SocketError {
    pub(crate) fn io(op: &'static str) -> impl FnOnce(io::Error) -> SocketError {
        move |source| SocketError::Io { op, source }
    }
    pub(crate) fn nix(op: &'static str) -> impl FnOnce(nix::Error) -> SocketError {
        move |e| SocketError::Io {
            op,
            source: io::Error::from(e),
        }
    }
}

/// Errors from rtnetlink and sysctl operations.
#[derive(Debug, thiserror::Error)]
pub enum NetlinkError {
    /// Opening the netlink socket failed.
    #[error("netlink connection: {0}")]
    Connect(#[source] io::Error),
    /// The kernel refused a request; `op` says which.
    #[error("{op}: {source}")]
    Request {
        /// What we asked for, e.g. `add address 10.0.0.1/24 on ifindex 3`.
        op: String,
        /// The error returned by rtnetlink (usually a kernel errno).
        #[source]
        source: rtnetlink::Error,
    },
    /// No link has this name or index.
    #[error("no such link: {0}")]
    NoSuchLink(String),
    /// A request argument was not valid (prefix too long, label too long, family mix...).
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// Writing or reading a sysctl file failed.
    #[error("sysctl {path}: {source}")]
    Sysctl {
        /// The /proc/sys path.
        path: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

impl NetlinkError {
    /// The kernel errno behind a refused request, if any (e.g. `libc::EEXIST`).
    pub fn errno(&self) -> Option<i32> {
        match self {
            NetlinkError::Request {
                source: rtnetlink::Error::NetlinkError(m),
                ..
            } => m.code.map(|c| -c.get()),
            _ => None,
        }
    }
}
