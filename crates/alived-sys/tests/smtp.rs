//! SMTP alerts against an in-test SMTP sink (byte-exact against keepalived 2.2.7's recorded
//! conversation) and against Debian's aiosmtpd.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::Duration;

use alived_sys::smtp::{self, Alert, MailState, SmtpConfig, SmtpError, Stage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const BOUND: Duration = Duration::from_secs(10);
/// The Date header of the recorded keepalived conversations.
const RECORDED_DATE: &str = "Wed, 25 Nov 2026 23:34:04 +0000";

fn config(server: SocketAddr) -> SmtpConfig {
    SmtpConfig {
        server,
        helo_name: "helo.example".into(),
        from: "ka@example.com".into(),
        to: vec![
            "ops@example.com".into(),
            "Second Person <two@example.com>".into(),
        ],
        timeout: Duration::from_secs(5),
    }
}

/// How the sink answers.
#[derive(Clone, Copy)]
enum Sink {
    Good,
    /// Multi-line 250 replies (as ESMTP servers send to EHLO).
    MultiLine,
    RejectRcpt,
    Silent,
}

/// A one-connection SMTP sink; resolves to the transcript (`C: ` client bytes, `S: ` replies).
async fn sink(mode: Sink) -> (SocketAddr, tokio::task::JoinHandle<(Vec<u8>, String)>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut client = Vec::new();
        let mut transcript = String::new();
        if matches!(mode, Sink::Silent) {
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf).await; // until the client gives up
            return (client, transcript);
        }
        let reply = |s: String, t: &mut String| {
            t.push_str(&format!("S: {s:?}\n"));
            s
        };
        let greet = reply("220 sink ready\r\n".into(), &mut transcript);
        s.write_all(greet.as_bytes()).await.unwrap();
        let mut pending = Vec::new();
        let mut in_data = false;
        let mut buf = [0u8; 4096];
        loop {
            let n = s.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            client.extend_from_slice(&buf[..n]);
            pending.extend_from_slice(&buf[..n]);
            loop {
                let text = String::from_utf8_lossy(&pending).into_owned();
                let (unit, answer) = if in_data {
                    let Some(end) = text.find("\r\n.\r\n") else {
                        break;
                    };
                    in_data = false;
                    (end + 5, "250 queued\r\n".to_owned())
                } else {
                    let Some(end) = text.find("\r\n") else { break };
                    let cmd = &text[..end];
                    let answer = match (mode, cmd.split(' ').next().unwrap_or("")) {
                        (_, "DATA") => {
                            in_data = true;
                            "354 go ahead\r\n".to_owned()
                        }
                        (_, "QUIT") => "221 bye\r\n".to_owned(),
                        (Sink::RejectRcpt, "RCPT") => "550 no such user\r\n".to_owned(),
                        (Sink::MultiLine, _) => {
                            "250-first\r\n250-second\r\n250 done\r\n".to_owned()
                        }
                        _ => "250 ok\r\n".to_owned(),
                    };
                    (end + 2, answer)
                };
                transcript.push_str(&format!("C: {:?}\n", &text[..unit]));
                pending.drain(..unit);
                let a = reply(answer, &mut transcript);
                s.write_all(a.as_bytes()).await.unwrap();
            }
        }
        (client, transcript)
    });
    (addr, task)
}

#[tokio::test]
async fn conversation_matches_keepalived_byte_for_byte() {
    let cases = [
        (
            Alert::vrrp_instance("rtr1", "VI_1", MailState::Master),
            &include_bytes!("data/keepalived-2.2.7-smtp-instance-master.bin")[..],
        ),
        (
            Alert::vrrp_group("rtr1", "G1", MailState::Backup),
            &include_bytes!("data/keepalived-2.2.7-smtp-group-backup.bin")[..],
        ),
    ];
    for (alert, recorded) in cases {
        let (addr, task) = sink(Sink::Good).await;
        let date = if alert.subject.contains("Group") {
            "Wed, 25 Nov 2026 23:34:01 +0000"
        } else {
            RECORDED_DATE
        };
        smtp::send(&config(addr), &alert, date).await.unwrap();
        let (client, transcript) = tokio::time::timeout(BOUND, task).await.unwrap().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&client),
            String::from_utf8_lossy(recorded)
        );
        if alert.subject.contains("Instance") {
            insta::assert_snapshot!("smtp_instance_master_transcript", transcript);
        }
    }
}

#[tokio::test]
async fn multi_line_replies_are_read_whole() {
    let (addr, task) = sink(Sink::MultiLine).await;
    let alert = Alert::vrrp_instance("r", "VI_9", MailState::Backup);
    smtp::send(&config(addr), &alert, "D").await.unwrap();
    let (client, _) = task.await.unwrap();
    assert!(String::from_utf8_lossy(&client).ends_with("QUIT\r\n"));
}

#[tokio::test]
async fn rejected_recipient() {
    let (addr, _task) = sink(Sink::RejectRcpt).await;
    let alert = Alert::vrrp_instance("r", "VI_1", MailState::Master);
    let e = smtp::send(&config(addr), &alert, "D").await.unwrap_err();
    assert!(
        matches!(
            e,
            SmtpError::Status {
                stage: Stage::Rcpt,
                code: 550,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        smtp::log_lines(&addr, &Err(e)),
        vec![
            format!("Remote SMTP server [127.0.0.1]:{} connected.", addr.port()),
            format!(
                "Error processing RCPT cmd on SMTP server [127.0.0.1]:{}. SMTP status code = 550",
                addr.port()
            ),
        ]
    );
}

#[tokio::test]
async fn refused_connection() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let alert = Alert::vrrp_instance("r", "VI_1", MailState::Master);
    let e = smtp::send(&config(addr), &alert, "D").await.unwrap_err();
    assert!(matches!(e, SmtpError::Connect { .. }), "{e:?}");
    assert!(!e.connected());
}

#[tokio::test]
async fn silent_server_times_out_without_blocking_the_caller() {
    let (addr, _task) = sink(Sink::Silent).await;
    let mut cfg = config(addr);
    cfg.timeout = Duration::from_millis(300);
    let alert = Alert::vrrp_instance("r", "VI_1", MailState::Master);
    let handle = smtp::spawn_alert(cfg, alert);
    // The caller's loop keeps running while the alert waits on the server.
    let mut ticks = 0;
    while !handle.is_finished() && ticks < 1000 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        ticks += 1;
    }
    assert!(ticks > 0);
    let e = tokio::time::timeout(BOUND, handle)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            e,
            SmtpError::ReadTimeout {
                stage: Stage::Greeting,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "Timeout reading data to remote SMTP server [127.0.0.1]:{}.",
            addr.port()
        )
    );
}

#[tokio::test]
async fn delivers_to_aiosmtpd() {
    let python = "/usr/bin/python3";
    let ok = std::process::Command::new(python)
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("NOTICE: aiosmtpd not importable by {python}; skipping the aiosmtpd test");
        return;
    }
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = tokio::process::Command::new(python)
        .args([
            "-u",
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // Wait (bounded) until it accepts connections.
    let end = tokio::time::Instant::now() + BOUND;
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(tokio::time::Instant::now() < end, "aiosmtpd did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let alert = Alert::vrrp_instance("rtr1", "VI_1", MailState::Master);
    // aiosmtpd answers 501 to keepalived's verbatim `RCPT TO:<Name <a@b>>` (so would other
    // strict servers): plain addresses here.
    let mut cfg = config(addr);
    cfg.to = vec!["ops@example.com".into(), "two@example.com".into()];
    tokio::time::timeout(BOUND, smtp::send(&cfg, &alert, RECORDED_DATE))
        .await
        .unwrap()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    let got = tokio::time::timeout(BOUND, async {
        while !seen.contains("owning VRRP VIPs") {
            let n = out.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
    .await;
    let _ = child.start_kill();
    let _ = child.wait().await;
    assert!(got.is_ok(), "aiosmtpd printed: {seen}");
    assert!(
        seen.contains("Subject: [rtr1] VRRP Instance VI_1 - Entering MASTER state"),
        "{seen}"
    );
    assert!(seen.contains("X-Mailer: Keepalived"), "{seen}");
}

/// A server whose SYNs are dropped (nftables, in a namespace of its own): the connect times
/// out after `smtp_connect_timeout`.
#[test]
fn connect_timeout() {
    let mut lab = alived_sys::testnet::Lab::new("smtp");
    let ns = lab.add_ns("a").unwrap();
    lab.ip(&ns, &["link", "set", "lo", "up"]).unwrap();
    let rules = "table inet t {\n chain input {\n  type filter hook input priority 0;\n  tcp dport 2525 drop\n }\n}\n";
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), rules).unwrap();
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", &ns, "nft", "-f"])
        .arg(file.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nft: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = lab
        .run_async(&ns, || async {
            let _l = TcpListener::bind("127.0.0.1:2525").await.unwrap();
            let mut cfg = config("127.0.0.1:2525".parse().unwrap());
            cfg.timeout = Duration::from_millis(300);
            let alert = Alert::vrrp_instance("r", "VI_1", MailState::Master);
            tokio::time::timeout(BOUND, smtp::send(&cfg, &alert, "D")).await
        })
        .unwrap();
    let e = r.expect("bounded").unwrap_err();
    assert!(matches!(e, SmtpError::ConnectTimeout { .. }), "{e:?}");
    assert!(!e.connected());
    assert_eq!(
        e.to_string(),
        "Timeout connecting SMTP server [127.0.0.1]:2525."
    );
}

/// A keepalived we started; SIGTERM (it stops its children), then SIGKILL if it lingers.
struct Keepalived(std::process::Child);

impl Drop for Keepalived {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        for _ in 0..100 {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Live check: the real keepalived 2.2.7 sends its first two alerts (group and instance
/// entering BACKUP) to a sink in a namespace; our client's bytes for the same alerts, with
/// keepalived's Date header, must be identical.
#[test]
fn same_bytes_as_live_keepalived() {
    if !std::path::Path::new("/usr/sbin/keepalived").exists() {
        println!("NOTICE: /usr/sbin/keepalived not installed; skipping the live comparison");
        return;
    }
    let mut lab = alived_sys::testnet::Lab::new("kasmtp");
    let ns = lab.add_ns("a").unwrap();
    lab.ip(&ns, &["link", "set", "lo", "up"]).unwrap();
    lab.ip(
        &ns,
        &["link", "add", "d0", "type", "veth", "peer", "name", "d1"],
    )
    .unwrap();
    lab.ip(&ns, &["link", "set", "d0", "up"]).unwrap();
    lab.ip(&ns, &["link", "set", "d1", "up"]).unwrap();
    lab.ip(&ns, &["addr", "add", "10.1.1.1/24", "dev", "d0"])
        .unwrap();
    // The sink's socket is made inside the namespace (a socket keeps its namespace).
    let listener = lab
        .run_in(&ns, || std::net::TcpListener::bind("127.0.0.1:2525"))
        .unwrap()
        .unwrap();
    listener.set_nonblocking(true).unwrap();
    let sink = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = TcpListener::from_std(listener).unwrap();
            let mut out = Vec::new();
            for _ in 0..2 {
                let (s, _) = tokio::time::timeout(BOUND, l.accept()).await.ok()?.ok()?;
                out.push(tokio::spawn(serve_one(s)));
            }
            let mut got = Vec::new();
            for t in out {
                got.push(tokio::time::timeout(BOUND, t).await.ok()?.ok()?);
            }
            Some(got)
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("k.conf");
    std::fs::write(
        &conf,
        "global_defs {\n router_id rtr1\n notification_email {\n  ops@example.com\n  \
         \"Second Person <two@example.com>\"\n }\n notification_email_from ka@example.com\n \
         smtp_server 127.0.0.1 2525\n smtp_helo_name helo.example\n smtp_connect_timeout 5\n \
         script_user root\n enable_script_security\n}\nvrrp_sync_group G1 {\n group {\n  VI_1\n }\n \
         smtp_alert\n}\nvrrp_instance VI_1 {\n state BACKUP\n interface d0\n virtual_router_id 51\n \
         priority 100\n advert_int 1\n virtual_ipaddress {\n  10.9.9.9/24\n }\n smtp_alert\n}\n",
    )
    .unwrap();
    let f = |n: &str| dir.path().join(n).display().to_string();
    let ka = Keepalived(
        std::process::Command::new("ip")
            .args([
                "netns",
                "exec",
                &ns,
                "/usr/sbin/keepalived",
                "-n",
                "-l",
                "-D",
                "-f",
            ])
            .args([
                f("k.conf"),
                "-p".into(),
                f("a.pid"),
                "-r".into(),
                f("v.pid"),
                "-c".into(),
                f("c.pid"),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let got = sink.join().unwrap().expect("keepalived sent two alerts");
    drop(ka);
    for recorded in got {
        let text = String::from_utf8_lossy(&recorded).into_owned();
        let header = |name: &str| {
            text.split("\r\n")
                .find_map(|l| l.strip_prefix(name))
                .unwrap_or_else(|| panic!("no {name} in {text:?}"))
                .to_owned()
        };
        let (date, subject) = (header("Date: "), header("Subject: "));
        let alert = if subject.contains("Group") {
            Alert::vrrp_group("rtr1", "G1", MailState::Backup)
        } else {
            Alert::vrrp_instance("rtr1", "VI_1", MailState::Backup)
        };
        let cfg = config("127.0.0.1:2525".parse().unwrap());
        let mut ours = String::from(
            "HELO helo.example\r\nMAIL FROM:<ka@example.com>\r\nRCPT TO:<ops@example.com>\r\n\
             RCPT TO:<Second Person <two@example.com>>\r\nDATA\r\n",
        );
        ours.push_str(&smtp::message(&cfg, &alert, &date));
        ours.push_str("QUIT\r\n");
        assert_eq!(text, ours);
    }
}

/// Answers one SMTP client like a permissive server; returns the client's bytes.
async fn serve_one(mut s: tokio::net::TcpStream) -> Vec<u8> {
    let mut client = Vec::new();
    let _ = s.write_all(b"220 sink\r\n").await;
    let mut in_data = false;
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = match tokio::time::timeout(BOUND, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return client,
        };
        client.extend_from_slice(&buf[..n]);
        pending.extend_from_slice(&buf[..n]);
        loop {
            let text = String::from_utf8_lossy(&pending).into_owned();
            let (used, answer): (usize, &[u8]) = if in_data {
                let Some(end) = text.find("\r\n.\r\n") else {
                    break;
                };
                in_data = false;
                (end + 5, b"250 queued\r\n")
            } else {
                let Some(end) = text.find("\r\n") else { break };
                match &text[..end] {
                    "DATA" => {
                        in_data = true;
                        (end + 2, b"354 go\r\n")
                    }
                    "QUIT" => {
                        let _ = s.write_all(b"221 bye\r\n").await;
                        return client;
                    }
                    _ => (end + 2, b"250 ok\r\n"),
                }
            };
            pending.drain(..used);
            let _ = s.write_all(answer).await;
        }
    }
}
