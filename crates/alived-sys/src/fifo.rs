//! `notify_fifo` / `vrrp_notify_fifo` / `lvs_notify_fifo` writers (spec 2.6 "FIFO line format").
//!
//! As measured on keepalived 2.2.7: a missing FIFO is created with mode 0600; it is opened
//! `O_RDWR | O_NONBLOCK | O_CLOEXEC` (so opening never waits for a reader and a reader that
//! goes away never breaks the writer); the `*_fifo_script` is started with the FIFO path as
//! its last argument; the FIFO is left in place at exit.
//!
//! Lines are written by one task from one queue, so they reach the reader in the order they
//! were sent. When the queue is full (nobody reads and the pipe buffer is full too) new lines
//! are dropped and counted, so the caller never blocks.

use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::script::{Script, ScriptRunner};

/// Lines waiting to be written before new ones are dropped.
const QUEUE_LINES: usize = 4096;

/// Errors opening a notify FIFO.
#[derive(Debug, thiserror::Error)]
pub enum FifoError {
    /// The path exists and is not a FIFO.
    #[error("{} exists and is not a FIFO", .0.display())]
    NotFifo(PathBuf),
    /// mkfifo/chown/open failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What failed.
        op: &'static str,
        /// The FIFO path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// The state word of an `INSTANCE`/`GROUP` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FifoState {
    /// `MASTER`
    Master,
    /// `BACKUP`
    Backup,
    /// `FAULT`
    Fault,
    /// `STOP`
    Stop,
    /// `DELETED`
    Deleted,
    /// `MASTER_RX_LOWER_PRI`: a master received an advert with a lower priority.
    MasterRxLowerPri,
    /// `MASTER_PRIORITY` (with `notify_priority_changes`).
    MasterPriority,
    /// `BACKUP_PRIORITY` (with `notify_priority_changes`).
    BackupPriority,
}

impl FifoState {
    /// The word written to the FIFO.
    pub fn as_str(self) -> &'static str {
        match self {
            FifoState::Master => "MASTER",
            FifoState::Backup => "BACKUP",
            FifoState::Fault => "FAULT",
            FifoState::Stop => "STOP",
            FifoState::Deleted => "DELETED",
            FifoState::MasterRxLowerPri => "MASTER_RX_LOWER_PRI",
            FifoState::MasterPriority => "MASTER_PRIORITY",
            FifoState::BackupPriority => "BACKUP_PRIORITY",
        }
    }
}

/// One FIFO line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FifoLine {
    /// `INSTANCE "VI_1" MASTER 100`
    Instance {
        /// Instance name.
        name: String,
        /// New state.
        state: FifoState,
        /// Effective priority.
        priority: u8,
    },
    /// `GROUP "G1" BACKUP 0` (a group's priority is always 0).
    Group {
        /// Sync group name.
        name: String,
        /// New state.
        state: FifoState,
    },
    /// `VS [192.168.201.15]:tcp:80 UP` (see [`service`] for the address form).
    VirtualServer {
        /// The service, e.g. `[192.168.201.15]:tcp:80`.
        service: String,
        /// Up or down.
        up: bool,
    },
    /// `RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 UP`
    RealServer {
        /// The real server.
        real: String,
        /// Its virtual server.
        service: String,
        /// Up or down.
        up: bool,
    },
}

/// `[addr]:proto:port`, the service form of the LVS FIFO lines.
pub fn service(addr: SocketAddr, proto: &str) -> String {
    let ip: IpAddr = addr.ip();
    format!("[{ip}]:{proto}:{}", addr.port())
}

impl std::fmt::Display for FifoLine {
    /// The line with its trailing newline.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ud = |up: bool| if up { "UP" } else { "DOWN" };
        match self {
            FifoLine::Instance {
                name,
                state,
                priority,
            } => writeln!(f, "INSTANCE \"{name}\" {} {priority}", state.as_str()),
            FifoLine::Group { name, state } => {
                writeln!(f, "GROUP \"{name}\" {} 0", state.as_str())
            }
            FifoLine::VirtualServer { service, up } => writeln!(f, "VS {service} {}", ud(*up)),
            FifoLine::RealServer { real, service, up } => {
                writeln!(f, "RS {real} {service} {}", ud(*up))
            }
        }
    }
}

/// A notify FIFO and the task that writes to it.
#[derive(Debug)]
pub struct FifoWriter {
    path: PathBuf,
    tx: Option<mpsc::Sender<String>>,
    task: Option<JoinHandle<()>>,
    dropped: Arc<AtomicU64>,
    write_errors: Arc<AtomicU64>,
}

impl FifoWriter {
    /// Creates the FIFO if missing (mode 0600, owned by `owner` if given) and opens it for
    /// writing without waiting for a reader. Call inside a tokio runtime.
    pub fn open(path: &Path, owner: Option<(u32, u32)>) -> Result<Self, FifoError> {
        let io = |op: &'static str| {
            let path = path.to_path_buf();
            move |source: std::io::Error| FifoError::Io { op, path, source }
        };
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_fifo() => {}
            Ok(_) => return Err(FifoError::NotFifo(path.to_path_buf())),
            Err(_) => {
                nix::unistd::mkfifo(
                    path,
                    nix::sys::stat::Mode::S_IRUSR | nix::sys::stat::Mode::S_IWUSR,
                )
                .map_err(|e| io("mkfifo")(e.into()))?;
                // mkfifo applies the umask; set the mode keepalived leaves explicitly.
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .map_err(io("chmod"))?;
            }
        }
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(io("chown"))?;
        }
        let mut pipe = tokio::net::unix::pipe::OpenOptions::new()
            .read_write(true)
            .open_sender(path)
            .map_err(io("open"))?;
        let (tx, mut rx) = mpsc::channel::<String>(QUEUE_LINES);
        let write_errors = Arc::new(AtomicU64::new(0));
        let errors = write_errors.clone();
        let task = tokio::spawn(async move {
            while let Some(line) = rx.recv().await {
                if pipe.write_all(line.as_bytes()).await.is_err() {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        Ok(FifoWriter {
            path: path.to_path_buf(),
            tx: Some(tx),
            task: Some(task),
            dropped: Arc::new(AtomicU64::new(0)),
            write_errors,
        })
    }

    /// The FIFO's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues one line; never waits. A full queue drops the line (see [`FifoWriter::dropped`]).
    pub fn send(&self, line: &FifoLine) {
        self.send_raw(line.to_string());
    }

    /// Queues preformatted text (must end with a newline to be a line).
    pub fn send_raw(&self, text: String) {
        let ok = self.tx.as_ref().is_some_and(|tx| tx.try_send(text).is_ok());
        if !ok {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Lines dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Writes that failed.
    pub fn write_errors(&self) -> u64 {
        self.write_errors.load(Ordering::Relaxed)
    }

    /// Starts the `*_fifo_script` with the FIFO path as its last argument.
    pub fn start_script(&self, runner: &ScriptRunner, script: &Script) -> Result<(), String> {
        let path = self.path.to_string_lossy().into_owned();
        runner.spawn_notify(script, &[path.as_str()])
    }

    /// Stops accepting lines and waits until the queued ones are written (into the pipe
    /// buffer; a full pipe with no reader can make this wait, so bound it with a timeout:
    /// if this future is dropped before it finishes, the writer task is stopped too).
    pub async fn close(mut self) {
        self.tx = None;
        let mut guard = AbortOnDrop(self.task.take());
        if let Some(task) = guard.0.as_mut() {
            let _ = task.await;
        }
        guard.0 = None;
    }
}

/// Aborts the task it holds when dropped.
struct AbortOnDrop(Option<JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

impl Drop for FifoWriter {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_formats() {
        let l = |x: FifoLine| x.to_string();
        assert_eq!(
            l(FifoLine::Instance {
                name: "VI_1".into(),
                state: FifoState::Master,
                priority: 100
            }),
            "INSTANCE \"VI_1\" MASTER 100\n"
        );
        assert_eq!(
            l(FifoLine::Group {
                name: "G1".into(),
                state: FifoState::Backup
            }),
            "GROUP \"G1\" BACKUP 0\n"
        );
        assert_eq!(
            l(FifoLine::Instance {
                name: "VI_A".into(),
                state: FifoState::MasterRxLowerPri,
                priority: 150
            }),
            "INSTANCE \"VI_A\" MASTER_RX_LOWER_PRI 150\n"
        );
        let vs = service(
            "192.168.201.15:80"
                .parse()
                .unwrap_or_else(|_| unreachable_addr()),
            "tcp",
        );
        assert_eq!(vs, "[192.168.201.15]:tcp:80");
        assert_eq!(
            l(FifoLine::VirtualServer {
                service: vs.clone(),
                up: true
            }),
            "VS [192.168.201.15]:tcp:80 UP\n"
        );
        let rs = service(
            "[2001:db8::1]:8080"
                .parse()
                .unwrap_or_else(|_| unreachable_addr()),
            "udp",
        );
        assert_eq!(
            l(FifoLine::RealServer {
                real: rs,
                service: vs,
                up: false
            }),
            "RS [2001:db8::1]:udp:8080 [192.168.201.15]:tcp:80 DOWN\n"
        );
    }

    fn unreachable_addr() -> SocketAddr {
        SocketAddr::from(([0, 0, 0, 0], 0))
    }
}
