//! SMTP alerts as keepalived sends them (spec 2.6 "SMTP alerts"; crates.md section 9).
//!
//! The conversation, recorded byte for byte from keepalived 2.2.7 against a test server
//! (`tests/data/keepalived-2.2.7-smtp-*.bin`):
//!
//! ```text
//! S: 220 ...                      C: HELO <smtp_helo_name>
//! S: 250                          C: MAIL FROM:<notification_email_from>
//! S: 250                          C: RCPT TO:<addr>            (one per recipient, verbatim)
//! S: 250                          C: DATA
//! S: 354                          C: Date: %a, %d %b %Y %H:%M:%S %z \r\n From: .. \r\n
//!                                    Subject: .. \r\n X-Mailer: Keepalived \r\n To: a, b \r\n
//!                                    \r\n <body> \r\n \r\n . \r\n
//! S: 250                          C: QUIT
//! S: 221
//! ```
//!
//! No EHLO, TLS or AUTH. Every wait (connect and each reply) is bounded by
//! `smtp_connect_timeout`. [`spawn_alert`] runs the exchange in its own task so a slow or dead
//! server never holds up the caller.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// keepalived's default `smtp_connect_timeout`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and how to send alerts (the `global_defs` mail keywords).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// `smtp_server IP [PORT]` (port 25 by default), resolved by the caller.
    pub server: SocketAddr,
    /// `smtp_helo_name` (default: the local host name).
    pub helo_name: String,
    /// `notification_email_from`.
    pub from: String,
    /// `notification_email { ... }`, in order, each sent verbatim inside `<...>`.
    pub to: Vec<String>,
    /// `smtp_connect_timeout`: bounds the connect and every reply.
    pub timeout: Duration,
}

/// One alert: its subject and body text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The `Subject:` header.
    pub subject: String,
    /// The body (one or more lines, no trailing newline).
    pub body: String,
}

/// The VRRP states that send mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailState {
    /// Entering MASTER.
    Master,
    /// Entering BACKUP.
    Backup,
    /// Entering FAULT.
    Fault,
}

impl MailState {
    fn word(self) -> &'static str {
        match self {
            MailState::Master => "MASTER",
            MailState::Backup => "BACKUP",
            MailState::Fault => "FAULT",
        }
    }
}

impl Alert {
    /// `[router_id] VRRP Instance VI_1 - Entering MASTER state`, body
    /// `=> VRRP Instance is now owning VRRP VIPs <=` (MASTER) or
    /// `=> VRRP Instance is no longer owning VRRP VIPs <=` (BACKUP, FAULT).
    pub fn vrrp_instance(router_id: &str, instance: &str, state: MailState) -> Alert {
        let body = match state {
            MailState::Master => "=> VRRP Instance is now owning VRRP VIPs <=",
            MailState::Backup | MailState::Fault => {
                "=> VRRP Instance is no longer owning VRRP VIPs <="
            }
        };
        Alert {
            subject: format!(
                "[{router_id}] VRRP Instance {instance} - Entering {} state",
                state.word()
            ),
            body: body.to_owned(),
        }
    }

    /// `[router_id] VRRP Group G1 - Entering MASTER state`, body
    /// `=> All VRRP group instances are now in MASTER state <=`.
    pub fn vrrp_group(router_id: &str, group: &str, state: MailState) -> Alert {
        Alert {
            subject: format!(
                "[{router_id}] VRRP Group {group} - Entering {} state",
                state.word()
            ),
            body: format!(
                "=> All VRRP group instances are now in {} state <=",
                state.word()
            ),
        }
    }
}

/// Which command a bad reply answered (keepalived's names; the greeting is `(E)SMTP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The 220 greeting.
    Greeting,
    /// `HELO`
    Helo,
    /// `MAIL FROM`
    Mail,
    /// `RCPT TO`
    Rcpt,
    /// `DATA` (354) and the end of the message (250).
    Data,
    /// `QUIT` (221)
    Quit,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Greeting => "(E)SMTP",
            Stage::Helo => "HELO",
            Stage::Mail => "MAIL",
            Stage::Rcpt => "RCPT",
            Stage::Data => "DATA",
            Stage::Quit => "QUIT",
        }
    }
}

/// Why an alert was not delivered. The `Display` text is keepalived's log line where it has
/// one (the address is written `[ip]:port` as keepalived does).
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// The TCP connection failed (refused, unreachable). keepalived 2.2.7 logs the unhelpful
    /// `smtp fd N returned write error`; we name the server and the reason.
    #[error("Error connecting to SMTP server {}: {source}", fmt_server(.server))]
    Connect {
        /// The server.
        server: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// No connection within the timeout.
    #[error("Timeout connecting SMTP server {}.", fmt_server(.server))]
    ConnectTimeout {
        /// The server.
        server: SocketAddr,
    },
    /// Connected, but a reply did not come within the timeout.
    #[error("Timeout reading data to remote SMTP server {}.", fmt_server(.server))]
    ReadTimeout {
        /// The server.
        server: SocketAddr,
        /// The command whose reply was awaited.
        stage: Stage,
    },
    /// A reply with an unexpected status code.
    #[error("Error processing {} cmd on SMTP server {}. SMTP status code = {code}", .stage.name(), fmt_server(.server))]
    Status {
        /// The server.
        server: SocketAddr,
        /// The command it answered.
        stage: Stage,
        /// The status code received (0 if the reply did not start with one).
        code: u16,
    },
    /// The connection broke mid-conversation.
    #[error("SMTP connection to {} lost: {source}", fmt_server(.server))]
    Io {
        /// The server.
        server: SocketAddr,
        /// The OS error (or unexpected EOF).
        #[source]
        source: std::io::Error,
    },
}

impl SmtpError {
    /// Whether the TCP connection was made (keepalived logs `Remote SMTP server %s connected.`
    /// first in that case).
    pub fn connected(&self) -> bool {
        !matches!(
            self,
            SmtpError::Connect { .. } | SmtpError::ConnectTimeout { .. }
        )
    }
}

/// `[127.0.0.1]:2525`, `[2001:db8::1]:25`
pub fn fmt_server(server: &SocketAddr) -> String {
    format!("[{}]:{}", server.ip(), server.port())
}

/// `Remote SMTP server [127.0.0.1]:2525 connected.`
pub fn connected_message(server: &SocketAddr) -> String {
    format!("Remote SMTP server {} connected.", fmt_server(server))
}

/// `SMTP alert successfully sent.`
pub const SENT_MESSAGE: &str = "SMTP alert successfully sent.";

/// The log lines keepalived writes for one alert with this result.
pub fn log_lines(server: &SocketAddr, result: &Result<(), SmtpError>) -> Vec<String> {
    let mut v = Vec::new();
    match result {
        Ok(()) => {
            v.push(connected_message(server));
            v.push(SENT_MESSAGE.to_owned());
        }
        Err(e) => {
            if e.connected() {
                v.push(connected_message(server));
            }
            v.push(e.to_string());
        }
    }
    v
}

/// The current local time as keepalived writes the `Date:` header.
pub fn date_now() -> String {
    chrono::Local::now()
        .format("%a, %d %b %Y %H:%M:%S %z")
        .to_string()
}

/// The DATA payload: headers, blank line, body, and the terminating `\r\n.\r\n`.
pub fn message(cfg: &SmtpConfig, alert: &Alert, date: &str) -> String {
    let mut m = format!(
        "Date: {date}\r\nFrom: {}\r\nSubject: {}\r\nX-Mailer: Keepalived\r\nTo: {}\r\n\r\n",
        cfg.from,
        alert.subject,
        cfg.to.join(", ")
    );
    for line in alert.body.lines() {
        // RFC 5321 4.5.2 transparency: a leading dot is doubled.
        if line.starts_with('.') {
            m.push('.');
        }
        m.push_str(line);
        m.push_str("\r\n");
    }
    m.push_str("\r\n.\r\n");
    m
}

/// Sends one alert now, with `date` as the `Date:` header. Prefer [`spawn_alert`] from an
/// event loop.
pub async fn send(cfg: &SmtpConfig, alert: &Alert, date: &str) -> Result<(), SmtpError> {
    let server = cfg.server;
    let stream = match tokio::time::timeout(cfg.timeout, TcpStream::connect(server)).await {
        Err(_) => return Err(SmtpError::ConnectTimeout { server }),
        Ok(Err(source)) => return Err(SmtpError::Connect { server, source }),
        Ok(Ok(s)) => s,
    };
    let mut conn = Conn {
        stream: BufReader::new(stream),
        server,
        timeout: cfg.timeout,
    };
    conn.expect(Stage::Greeting, 220).await?;
    conn.command(&format!("HELO {}\r\n", cfg.helo_name), Stage::Helo, 250)
        .await?;
    conn.command(&format!("MAIL FROM:<{}>\r\n", cfg.from), Stage::Mail, 250)
        .await?;
    for to in &cfg.to {
        conn.command(&format!("RCPT TO:<{to}>\r\n"), Stage::Rcpt, 250)
            .await?;
    }
    conn.command("DATA\r\n", Stage::Data, 354).await?;
    conn.command(&message(cfg, alert, date), Stage::Data, 250)
        .await?;
    conn.command("QUIT\r\n", Stage::Quit, 221).await?;
    Ok(())
}

/// Sends one alert in its own task (the `Date:` header is taken now); await the handle or
/// drop it. The result carries keepalived's wording for the log (see [`log_lines`]).
pub fn spawn_alert(cfg: SmtpConfig, alert: Alert) -> JoinHandle<Result<(), SmtpError>> {
    let date = date_now();
    tokio::spawn(async move { send(&cfg, &alert, &date).await })
}

struct Conn {
    stream: BufReader<TcpStream>,
    server: SocketAddr,
    timeout: Duration,
}

impl Conn {
    async fn command(&mut self, text: &str, stage: Stage, want: u16) -> Result<(), SmtpError> {
        let server = self.server;
        let write = self.stream.get_mut().write_all(text.as_bytes());
        match tokio::time::timeout(self.timeout, write).await {
            Err(_) => return Err(SmtpError::ReadTimeout { server, stage }),
            Ok(Err(source)) => return Err(SmtpError::Io { server, source }),
            Ok(Ok(())) => {}
        }
        self.expect(stage, want).await
    }

    /// Reads one reply (all its `NNN-` continuation lines) and checks its code.
    async fn expect(&mut self, stage: Stage, want: u16) -> Result<(), SmtpError> {
        let server = self.server;
        let read = async {
            let mut line = String::new();
            loop {
                line.clear();
                let n = self.stream.read_line(&mut line).await?;
                if n == 0 {
                    return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
                }
                // "250-more" continues, "250 last" (or a bare "250") ends the reply.
                if line.as_bytes().get(3) != Some(&b'-') {
                    return Ok(reply_code(&line));
                }
            }
        };
        let code = match tokio::time::timeout(self.timeout, read).await {
            Err(_) => return Err(SmtpError::ReadTimeout { server, stage }),
            Ok(Err(source)) => return Err(SmtpError::Io { server, source }),
            Ok(Ok(code)) => code,
        };
        if code == want {
            Ok(())
        } else {
            Err(SmtpError::Status {
                server,
                stage,
                code,
            })
        }
    }
}

/// The three-digit code at the start of a reply line; 0 if there is none.
fn reply_code(line: &str) -> u16 {
    line.get(..3)
        .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_and_bodies() {
        let a = Alert::vrrp_instance("rtr1", "VI_1", MailState::Master);
        assert_eq!(
            a.subject,
            "[rtr1] VRRP Instance VI_1 - Entering MASTER state"
        );
        assert_eq!(a.body, "=> VRRP Instance is now owning VRRP VIPs <=");
        let a = Alert::vrrp_instance("rtr1", "VI_1", MailState::Fault);
        assert_eq!(
            a.subject,
            "[rtr1] VRRP Instance VI_1 - Entering FAULT state"
        );
        assert_eq!(a.body, "=> VRRP Instance is no longer owning VRRP VIPs <=");
        let g = Alert::vrrp_group("rtr1", "G1", MailState::Backup);
        assert_eq!(g.subject, "[rtr1] VRRP Group G1 - Entering BACKUP state");
        assert_eq!(
            g.body,
            "=> All VRRP group instances are now in BACKUP state <="
        );
    }

    #[test]
    fn reply_codes() {
        assert_eq!(reply_code("250 OK\r\n"), 250);
        assert_eq!(reply_code("354\r\n"), 354);
        assert_eq!(reply_code("hello\r\n"), 0);
        assert_eq!(reply_code("2"), 0);
    }

    #[test]
    fn error_wording() {
        let server: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 2525));
        let e = SmtpError::Status {
            server,
            stage: Stage::Greeting,
            code: 554,
        };
        assert_eq!(
            e.to_string(),
            "Error processing (E)SMTP cmd on SMTP server [127.0.0.1]:2525. SMTP status code = 554"
        );
        let e = SmtpError::ReadTimeout {
            server,
            stage: Stage::Helo,
        };
        assert_eq!(
            log_lines(&server, &Err(e)),
            vec![
                "Remote SMTP server [127.0.0.1]:2525 connected.".to_owned(),
                "Timeout reading data to remote SMTP server [127.0.0.1]:2525.".to_owned()
            ]
        );
    }

    #[test]
    fn dot_stuffing() {
        let cfg = SmtpConfig {
            server: SocketAddr::from(([127, 0, 0, 1], 25)),
            helo_name: "h".into(),
            from: "f@x".into(),
            to: vec!["a@x".into()],
            timeout: DEFAULT_CONNECT_TIMEOUT,
        };
        let m = message(
            &cfg,
            &Alert {
                subject: "s".into(),
                body: ".hidden\nok".into(),
            },
            "D",
        );
        assert!(m.ends_with("\r\n\r\n..hidden\r\nok\r\n\r\n.\r\n"), "{m:?}");
    }
}
