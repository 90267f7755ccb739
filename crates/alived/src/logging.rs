//! Logging as keepalived does it (behaviour spec 4.1, 6): to syslog under keepalived's idents
//! (`Keepalived`, `Keepalived_vrrp`, `Keepalived_healthcheckers`) and, with `-l`, to stderr
//! with each line prefixed by the local time (`Wed Nov 25 21:46:21 2026: `). Detail lines
//! (`-D`) are `tracing::debug!` events; everything an operator's log alerts match on is
//! `tracing::info!` or above, in keepalived 2.2.x wording.
//!
//! Syslog is written to `/dev/log` as RFC 3164 datagrams from safe code, so the binary crate
//! stays free of `unsafe`; if there is no syslog socket, syslog output is silently off.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::net::UnixDatagram;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Which process is logging; gives the syslog ident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Parent,
    Vrrp,
    Checker,
}

impl Role {
    pub fn ident(self) -> &'static str {
        match self {
            Role::Parent => "Keepalived",
            Role::Vrrp => "Keepalived_vrrp",
            Role::Checker => "Keepalived_healthcheckers",
        }
    }
}

#[derive(Debug, Clone)]
pub struct LogOptions {
    pub role: Role,
    pub console: bool,
    pub syslog: bool,
    pub detail: bool,
    /// syslog facility number (LOG_DAEMON = 3 by default; local0..7 = 16..23).
    pub facility: u8,
}

/// Parses keepalived's `-S` values: `0`-`7` (= local0-7), `local0`-`local7`, `user`, `daemon`.
pub fn parse_facility(s: &str) -> Option<u8> {
    match s {
        "user" => Some(1),
        "daemon" => Some(3),
        _ => {
            let n = s.strip_prefix("local").unwrap_or(s);
            let n: u8 = n.parse().ok()?;
            (n <= 7).then_some(16 + n)
        }
    }
}

struct KeepalivedLayer {
    opts: LogOptions,
    pid: u32,
}

/// How many lines may wait for the writer thread; beyond that they are dropped and counted.
const QUEUE: usize = 8192;

enum Line {
    /// One formatted line for each destination.
    Text {
        console: Option<String>,
        syslog: Option<String>,
    },
    /// Everything queued before this is written: acknowledge.
    Flush(std::sync::mpsc::SyncSender<()>),
    /// Everything queued before this is written and freed: hand the heap's free pages back.
    ReleaseMemory,
}

/// The lines go to a thread of their own through a bounded queue: a slow reader of stderr
/// or a busy syslog daemon never holds up the VRRP loop (a full stderr pipe used to stop
/// adverts, turning one late master into a cascade of takeovers). Lines that find the queue
/// full are dropped and counted; the next line logged is preceded by a warning saying how
/// many.
struct Writer {
    tx: std::sync::mpsc::Sender<Line>,
    /// Lines queued and not yet written (the bound; an unbounded channel allocates only what
    /// is queued, where a bounded one would hold all its slots for ever).
    pending: std::sync::Arc<AtomicUsize>,
    dropped: AtomicU64,
}

static WRITER: OnceLock<Writer> = OnceLock::new();

impl Writer {
    fn start(syslog: Option<UnixDatagram>) -> Writer {
        let (tx, rx) = std::sync::mpsc::channel::<Line>();
        let pending = std::sync::Arc::new(AtomicUsize::new(0));
        let queued = pending.clone();
        let spawned = std::thread::Builder::new()
            .name("log".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                while let Ok(line) = rx.recv() {
                    queued.fetch_sub(1, Ordering::Relaxed);
                    let (console, datagram) = match line {
                        Line::Text { console, syslog } => (console, syslog),
                        Line::Flush(ack) => {
                            let _ = ack.try_send(());
                            continue;
                        }
                        Line::ReleaseMemory => {
                            alived_sys::release_idle_memory();
                            continue;
                        }
                    };
                    if let Some(c) = &console {
                        // One write per line so that lines of the parent and the children
                        // interleave whole.
                        let _ = std::io::stderr().write_all(c.as_bytes());
                    }
                    if let (Some(s), Some(d)) = (&syslog, &datagram) {
                        let _ = s.send(d.as_bytes());
                    }
                }
            });
        if let Err(e) = spawned {
            // Every line will count as dropped; say why once.
            let _ = std::io::stderr().write_all(format!("no log writer thread: {e}\n").as_bytes());
        }
        Writer {
            tx,
            pending,
            dropped: AtomicU64::new(0),
        }
    }

    fn send(&self, line: Line) {
        let full = self.pending.load(Ordering::Relaxed) >= QUEUE;
        if full {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.pending.fetch_add(1, Ordering::Relaxed);
        if self.tx.send(line).is_err() {
            self.pending.fetch_sub(1, Ordering::Relaxed);
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Waits (at most two seconds) until every line logged so far is written. Call before the
/// process exits.
pub fn flush() {
    let Some(w) = WRITER.get() else {
        return;
    };
    let (ack_tx, ack_rx) = std::sync::mpsc::sync_channel(1);
    w.pending.fetch_add(1, Ordering::Relaxed);
    if w.tx.send(Line::Flush(ack_tx)).is_ok() {
        let _ = ack_rx.recv_timeout(std::time::Duration::from_secs(2));
    }
}

/// How long after a process has started (its children, for the parent; its instances, for
/// the VRRP child) it hands back idle memory with [`release_memory_after_backlog`]: what runs
/// just after start-up (the first adverts, the first log lines) still touches memory and code
/// that the steady state does not need.
pub const RELEASE_AFTER_START: std::time::Duration = std::time::Duration::from_secs(3);

/// Returns the heap's free pages to the kernel once every line logged so far is written (a
/// start-up burst of thousands of lines is freed only then), from the writer thread, without
/// waiting for it here.
pub fn release_memory_after_backlog() {
    match WRITER.get() {
        Some(w) => {
            w.pending.fetch_add(1, Ordering::Relaxed);
            if w.tx.send(Line::ReleaseMemory).is_err() {
                w.pending.fetch_sub(1, Ordering::Relaxed);
                alived_sys::release_idle_memory();
            }
        }
        None => alived_sys::release_idle_memory(),
    }
}

#[derive(Default)]
struct MessageVisitor(String);

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }
}

fn syslog_severity(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

impl<S: Subscriber> Layer<S> for KeepalivedLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = event.metadata().level();
        if *level > Level::INFO && !self.opts.detail {
            return;
        }
        let mut msg = MessageVisitor::default();
        event.record(&mut msg);
        let Some(w) = WRITER.get() else {
            return;
        };
        let lost = w.dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let note = format!("{lost} log lines dropped: log output too slow");
            w.send(self.line(&Level::WARN, &note));
        }
        w.send(self.line(level, &msg.0));
    }
}

impl KeepalivedLayer {
    /// `msg` as each destination wants it: keepalived's time prefix on the console, the
    /// priority, ident and pid for syslog.
    fn line(&self, level: &Level, msg: &str) -> Line {
        let console = self.opts.console.then(|| {
            let now = chrono::Local::now().format("%a %b %e %H:%M:%S %Y");
            format!("{now}: {msg}\n")
        });
        let syslog = self.opts.syslog.then(|| {
            let pri = self.opts.facility * 8 + syslog_severity(level);
            format!("<{pri}>{}[{}]: {msg}", self.opts.role.ident(), self.pid)
        });
        Line::Text { console, syslog }
    }
}

/// Installs the process-wide logger. Call once, first thing in each process.
pub fn init(opts: LogOptions) {
    let syslog = if opts.syslog {
        UnixDatagram::unbound()
            .and_then(|s| s.connect("/dev/log").map(|()| s))
            .ok()
    } else {
        None
    };
    let _ = WRITER.set(Writer::start(syslog));
    let layer = KeepalivedLayer {
        opts,
        pid: std::process::id(),
    };
    let subscriber = tracing_subscriber::registry().with(layer);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facilities_parse_as_keepalived_s_dash_s() {
        assert_eq!(parse_facility("daemon"), Some(3));
        assert_eq!(parse_facility("user"), Some(1));
        assert_eq!(parse_facility("local0"), Some(16));
        assert_eq!(parse_facility("7"), Some(23));
        assert_eq!(parse_facility("8"), None);
        assert_eq!(parse_facility("kern"), None);
    }
}
