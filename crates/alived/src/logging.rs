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
use std::sync::Mutex;
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
    syslog: Option<Mutex<UnixDatagram>>,
    pid: u32,
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
        if self.opts.console {
            let now = chrono::Local::now().format("%a %b %e %H:%M:%S %Y");
            // One write per line so that lines of the parent and the children interleave whole.
            let line = format!("{now}: {}\n", msg.0);
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
        if let Some(sock) = &self.syslog {
            let pri = self.opts.facility * 8 + syslog_severity(level);
            let datagram = format!("<{pri}>{}[{}]: {}", self.opts.role.ident(), self.pid, msg.0);
            if let Ok(sock) = sock.lock() {
                let _ = sock.send(datagram.as_bytes());
            }
        }
    }
}

/// Installs the process-wide logger. Call once, first thing in each process.
pub fn init(opts: LogOptions) {
    let syslog = if opts.syslog {
        UnixDatagram::unbound()
            .and_then(|s| s.connect("/dev/log").map(|()| s))
            .ok()
            .map(Mutex::new)
    } else {
        None
    };
    let layer = KeepalivedLayer {
        opts,
        syslog,
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
