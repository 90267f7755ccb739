//! Network namespaces (keepalived's `net_namespace NAME`): namespaces are per thread, so the
//! daemon enters one on its runtime thread before it creates any socket or runtime.

use std::fs::File;
use std::io;
use std::os::fd::AsFd;

use nix::sched::{CloneFlags, setns};

/// Where `ip netns add` puts named namespaces.
pub const NETNS_RUN_DIR: &str = "/run/netns";

/// Errors entering a namespace.
#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    /// The name would escape the namespace directory.
    #[error("bad network namespace name {0:?}")]
    BadName(String),
    /// Opening /run/netns/NAME failed (usually: no such namespace).
    #[error("open {path}: {source}")]
    Open {
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// setns(2) failed.
    #[error("setns({name}): {source}")]
    Setns {
        /// The namespace.
        name: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

/// Opens the handle of named namespace `name`.
pub fn open(name: &str) -> Result<File, NetnsError> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(NetnsError::BadName(name.into()));
    }
    let path = format!("{NETNS_RUN_DIR}/{name}");
    File::open(&path).map_err(|source| NetnsError::Open { path, source })
}

/// A handle of the calling thread's current network namespace, to come back to later with
/// [`enter_fd`].
pub fn current() -> Result<File, NetnsError> {
    let path = "/proc/thread-self/ns/net".to_string();
    File::open(&path).map_err(|source| NetnsError::Open { path, source })
}

/// Moves the calling thread (only) into named namespace `name`.
pub fn enter(name: &str) -> Result<(), NetnsError> {
    let f = open(name)?;
    setns(f.as_fd(), CloneFlags::CLONE_NEWNET).map_err(|e| NetnsError::Setns {
        name: name.into(),
        source: e.into(),
    })
}

/// Moves the calling thread into the namespace `ns` refers to (from [`open`]/[`current`]).
pub fn enter_fd(ns: &File) -> Result<(), NetnsError> {
    setns(ns.as_fd(), CloneFlags::CLONE_NEWNET).map_err(|e| NetnsError::Setns {
        name: "fd".into(),
        source: e.into(),
    })
}
