//! `global_defs` (behaviour spec 2.1), with keepalived 2.2.7's defaults.

use super::process::{self, ProcessSched};
use super::values::{Cx, Interval, RawSetting, Script};
use crate::ast::{Body, Node};
use crate::span::Span;
use serde::Serialize;
use std::net::IpAddr;

/// `notify_fifo FIFO [user [group]]` and its script (spec 2.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fifo {
    pub path: String,
    pub user: Option<String>,
    pub group: Option<String>,
    pub script: Option<Script>,
    pub span: Span,
}

/// `smtp_server IP|name [PORT]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmtpServer {
    pub host: String,
    /// Default 25.
    pub port: u16,
    pub span: Span,
}

/// `script_user USER [GROUP]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptUser {
    pub user: String,
    pub group: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GlobalDefs {
    /// Default: the canonical host name, filled in by the daemon (`None` here).
    pub router_id: Option<String>,
    pub notification_email: Vec<String>,
    pub notification_email_from: Option<String>,
    pub smtp_server: Option<SmtpServer>,
    pub smtp_helo_name: Option<String>,
    /// Default 30 s.
    pub smtp_connect_timeout: Interval,
    pub smtp_alert: Option<bool>,
    pub smtp_alert_vrrp: Option<bool>,
    pub smtp_alert_checker: Option<bool>,
    pub script_user: Option<ScriptUser>,
    /// Refuse root scripts writable by non-root (checked by the script-security pass).
    pub enable_script_security: bool,
    pub dynamic_interfaces: bool,
    /// For `static_ipaddress` without `dev`. Default `eth0`.
    pub default_interface: String,
    /// Default 2; not applied to IPv6 instances (spec 0.1 #6).
    pub vrrp_version: u8,
    pub vrrp_mcast_group4: IpAddr,
    pub vrrp_mcast_group6: IpAddr,
    /// Integer seconds; default 5; 0 = no second burst (spec 0.1 #7).
    pub vrrp_garp_master_delay: u32,
    /// Default 5.
    pub vrrp_garp_master_repeat: u32,
    /// Seconds; 0 = off.
    pub vrrp_garp_master_refresh: u32,
    /// Default 1.
    pub vrrp_garp_master_refresh_repeat: u32,
    /// Default: `vrrp_garp_master_delay`.
    pub vrrp_garp_lower_prio_delay: Option<u32>,
    /// Default: `vrrp_garp_master_repeat`.
    pub vrrp_garp_lower_prio_repeat: Option<u32>,
    /// Pacing between GARPs; unset = none.
    pub vrrp_garp_interval: Option<Interval>,
    pub vrrp_gna_interval: Option<Interval>,
    /// Default 3.
    pub vrrp_down_timer_adverts: u32,
    pub vrrp_lower_prio_no_advert: bool,
    pub vrrp_higher_prio_send_advert: bool,
    pub vrrp_check_unicast_src: bool,
    pub vrrp_skip_check_adv_addr: bool,
    pub vrrp_strict: bool,
    pub vrrp_startup_delay: Option<Interval>,
    pub vmac_prefix: Option<String>,
    pub log_unknown_vrids: bool,
    pub notify_fifo: Option<Fifo>,
    pub vrrp_notify_fifo: Option<Fifo>,
    pub lvs_notify_fifo: Option<Fifo>,
    pub vrrp_notify_priority_changes: bool,
    pub lvs_flush: bool,
    /// `max_auto_priority [N]`: -1 (no NOTICE, no raising), 0 (the default: no raising),
    /// 1..99 (raise to real-time, up to N, when timers run late). No value = 99.
    pub max_auto_priority: Option<i32>,
    /// `min_auto_priority_delay`: how late a timer must be to count. Default 1 s.
    pub min_auto_priority_delay: Interval,
    /// `vrrp_priority`, `vrrp_rt_priority`, `vrrp_rlimit_rttime`, `vrrp_no_swap`,
    /// `vrrp_cpu_affinity`.
    pub vrrp_process: ProcessSched,
    /// The same for the checker process (`checker_*`).
    pub checker_process: ProcessSched,
    /// The same for a BFD process (`bfd_*`); alived has none.
    pub bfd_process: ProcessSched,
    pub enable_dbus: bool,
    pub startup_script: Option<Script>,
    pub shutdown_script: Option<Script>,
    /// Keywords kept as written (SNMP, netlink buffers...).
    pub other: Vec<RawSetting>,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            router_id: None,
            notification_email: Vec::new(),
            notification_email_from: None,
            smtp_server: None,
            smtp_helo_name: None,
            smtp_connect_timeout: Interval::from_secs(30),
            smtp_alert: None,
            smtp_alert_vrrp: None,
            smtp_alert_checker: None,
            script_user: None,
            enable_script_security: false,
            dynamic_interfaces: false,
            default_interface: "eth0".into(),
            vrrp_version: 2,
            vrrp_mcast_group4: IpAddr::from([224, 0, 0, 18]),
            vrrp_mcast_group6: IpAddr::from([0xff02, 0, 0, 0, 0, 0, 0, 0x12]),
            vrrp_garp_master_delay: 5,
            vrrp_garp_master_repeat: 5,
            vrrp_garp_master_refresh: 0,
            vrrp_garp_master_refresh_repeat: 1,
            vrrp_garp_lower_prio_delay: None,
            vrrp_garp_lower_prio_repeat: None,
            vrrp_garp_interval: None,
            vrrp_gna_interval: None,
            vrrp_down_timer_adverts: 3,
            vrrp_lower_prio_no_advert: false,
            vrrp_higher_prio_send_advert: false,
            vrrp_check_unicast_src: false,
            vrrp_skip_check_adv_addr: false,
            vrrp_strict: false,
            vrrp_startup_delay: None,
            vmac_prefix: None,
            log_unknown_vrids: false,
            notify_fifo: None,
            vrrp_notify_fifo: None,
            lvs_notify_fifo: None,
            vrrp_notify_priority_changes: false,
            lvs_flush: false,
            max_auto_priority: None,
            min_auto_priority_delay: Interval::from_secs(1),
            vrrp_process: ProcessSched::default(),
            checker_process: ProcessSched::default(),
            bfd_process: ProcessSched::default(),
            enable_dbus: false,
            startup_script: None,
            shutdown_script: None,
            other: Vec::new(),
        }
    }
}

const MAX_TIMER_U32_SECS: u64 = 4_294_967_295;

fn fifo(node: &Node) -> Option<Fifo> {
    let p = node.args.first()?;
    Some(Fifo {
        path: p.text.clone(),
        user: node.args.get(1).map(|t| t.text.clone()),
        group: node.args.get(2).map(|t| t.text.clone()),
        script: None,
        span: node.span,
    })
}

fn fifo_script(slot: &mut Option<Fifo>, node: &Node) {
    if let (Some(f), Some(s)) = (slot.as_mut(), Script::from_node(node)) {
        f.script = Some(s);
    }
}

/// `{vrrp,checker,bfd}_{priority,rt_priority,rlimit_rttime,no_swap,cpu_affinity}`.
fn sched_keyword(cx: &mut Cx<'_>, g: &mut GlobalDefs, kw: &str, n: &Node) -> bool {
    let Some((who, rest)) = kw.split_once('_') else {
        return false;
    };
    let slot = match who {
        "vrrp" => &mut g.vrrp_process,
        "checker" => &mut g.checker_process,
        "bfd" => &mut g.bfd_process,
        _ => return false,
    };
    process::apply(cx, slot, who, rest, n)
}

impl GlobalDefs {
    /// The highest real-time priority the VRRP and checker processes may raise themselves
    /// to when their timers run late; `None` when they do not (`max_auto_priority` unset, 0
    /// or -1).
    pub fn auto_priority_max(&self) -> Option<u8> {
        self.max_auto_priority
            .filter(|&p| p > 0)
            .and_then(|p| u8::try_from(p).ok())
    }

    /// Whether keepalived 2.2.7 would log `NOTICE: setting config option max_auto_priority
    /// should result in better keepalived performance` at start: when the option is unset
    /// or 0 (measured; -1 silences it).
    pub fn auto_priority_notice(&self) -> bool {
        matches!(self.max_auto_priority, None | Some(0))
    }
}

/// Applies one `global_defs` block (there may be several; later lines win).
pub(crate) fn apply(cx: &mut Cx<'_>, g: &mut GlobalDefs, body: &[Node]) {
    for n in body {
        let kw = n.keyword.text.as_str();
        match kw {
            "router_id" => match n.args.first() {
                Some(t) => g.router_id = Some(t.text.clone()),
                None => cx.err(n.span, "routerid name missing - ignoring"),
            },
            "rs_init_notifies"
            | "no_checker_emails"
            | "data_use_instance"
            | "vrrp_netlink_cmd_rcv_bufs_force"
            | "vrrp_netlink_monitor_rcv_bufs_force"
            | "lvs_netlink_cmd_rcv_bufs_force"
            | "lvs_netlink_monitor_rcv_bufs_force"
            | "process_monitor_rcv_bufs_force" => {
                if let Some(t) = n.args.first()
                    && super::values::parse_bool(&t.text).is_none()
                {
                    // keepalived's own spelling for data_use_instance.
                    let shown = if kw == "data_use_instance" {
                        "date_use_instance"
                    } else {
                        kw
                    };
                    cx.err(
                        t.span,
                        format!("Invalid value '{}' for global {shown} specified", t.text),
                    );
                }
                g.other.push(RawSetting::from_node(n));
            }
            "vrrp_min_garp" | "checker_log_all_failures" => {
                if let Some(t) = n.args.first()
                    && super::values::parse_bool(&t.text).is_none()
                {
                    cx.err(t.span, format!("Invalid value for {kw} specified"));
                }
                g.other.push(RawSetting::from_node(n));
            }
            "lvs_flush_onstop" | "lvs_flush_on_stop" => {
                if let Some(t) = n.args.first()
                    && t.text != "VS"
                    && t.text != "ALL"
                {
                    cx.err(t.span, format!("Unknown lvs_flush_on_stop type {}", t.text));
                }
                g.other.push(RawSetting::from_node(n));
            }
            "notification_email" => {
                if let Body::Values(lines) = &n.body {
                    g.notification_email.extend(
                        lines
                            .iter()
                            .filter_map(|l| l.first())
                            .map(|t| t.text.clone()),
                    );
                }
            }
            "notification_email_from" => match n.args.first() {
                Some(t) => g.notification_email_from = Some(t.text.clone()),
                None => cx.err(n.span, "emailfrom missing - ignoring"),
            },
            "smtp_server" => {
                let Some(h) = cx.arg1(n) else { continue };
                let mut port = 25;
                if let Some(p) = n.args.get(1) {
                    match cx.unsigned(p, 1, 65535) {
                        Some(v) => port = v as u16,
                        None => {
                            cx.err(p.span, format!("Invalid smtp server {} {}", h.text, p.text));
                            continue;
                        }
                    }
                }
                g.smtp_server = Some(SmtpServer {
                    host: h.text.clone(),
                    port,
                    span: n.span,
                });
            }
            "smtp_helo_name" => g.smtp_helo_name = n.args.first().map(|t| t.text.clone()),
            "smtp_connect_timeout" => {
                let Some(t) = cx.arg1(n) else { continue };
                match cx.unsigned(t, 0, 4294) {
                    Some(0) => {
                        // keepalived's own spelling.
                        cx.err(
                            t.span,
                            "smtp_conect_timeout must be greater than 0, setting to 1",
                        );
                        g.smtp_connect_timeout = Interval::from_secs(1);
                    }
                    Some(v) => g.smtp_connect_timeout = Interval::from_secs(v),
                    None => cx.err(
                        t.span,
                        format!(
                            "smtp_connect_timeout '{}' must be in [0, 4294] - ignoring",
                            t.text
                        ),
                    ),
                }
            }
            "smtp_alert" | "smtp_alert_vrrp" | "smtp_alert_checker" => {
                let v = match n.args.first() {
                    None => Some(true),
                    Some(t) => {
                        let b = super::values::parse_bool(&t.text);
                        if b.is_none() {
                            cx.err(
                                t.span,
                                format!("Invalid value '{}' for global {kw} specified", t.text),
                            );
                        }
                        b
                    }
                };
                if v.is_some() {
                    match kw {
                        "smtp_alert" => g.smtp_alert = v,
                        "smtp_alert_vrrp" => g.smtp_alert_vrrp = v,
                        _ => g.smtp_alert_checker = v,
                    }
                }
            }
            "script_user" => {
                if let Some(u) = cx.arg1(n) {
                    let (user, group) = match u.text.split_once(':') {
                        Some((a, b)) => (a.to_owned(), Some(b.to_owned())),
                        None => (u.text.clone(), n.args.get(1).map(|t| t.text.clone())),
                    };
                    g.script_user = Some(ScriptUser {
                        user,
                        group,
                        span: n.span,
                    });
                }
            }
            "enable_script_security" => g.enable_script_security = true,
            "dynamic_interfaces" => {
                g.dynamic_interfaces = true;
                if let Some(t) = n.args.first()
                    && t.text != "allow_if_changes"
                {
                    cx.err(
                        t.span,
                        format!("Unknown dynamic_interfaces option '{}'", t.text),
                    );
                }
            }
            "default_interface" => {
                if let Some(t) = cx.arg1(n) {
                    g.default_interface = t.text.clone();
                }
            }
            "vrrp_version" => {
                let Some(t) = cx.arg1(n) else { continue };
                match cx.unsigned(t, 2, 3) {
                    Some(v) => g.vrrp_version = v as u8,
                    None => cx.err(t.span, "VRRP Error: Version must be either 2 or 3"),
                }
            }
            "vrrp_mcast_group4" | "vrrp_mcast_group6" => {
                let Some(t) = cx.arg1(n) else { continue };
                let v4 = kw.ends_with('4');
                match t.text.parse::<IpAddr>() {
                    Ok(ip) if ip.is_multicast() && ip.is_ipv4() == v4 => {
                        if v4 {
                            g.vrrp_mcast_group4 = ip;
                        } else {
                            g.vrrp_mcast_group6 = ip;
                        }
                    }
                    _ => cx.err(
                        t.span,
                        format!("{kw} [{}] is not multicast. Skipping", t.text),
                    ),
                }
            }
            "vrrp_garp_master_delay"
            | "vrrp_garp_master_repeat"
            | "vrrp_garp_master_refresh"
            | "vrrp_garp_master_refresh_repeat"
            | "vrrp_garp_lower_prio_delay"
            | "vrrp_garp_lower_prio_repeat" => {
                let Some(t) = cx.arg1(n) else { continue };
                let Some(v) = cx.unsigned(t, 0, u64::from(u32::MAX)) else {
                    cx.err(t.span, format!("{kw} '{}' invalid - ignoring", t.text));
                    continue;
                };
                let v = v as u32;
                match kw {
                    "vrrp_garp_master_delay" => g.vrrp_garp_master_delay = v,
                    "vrrp_garp_master_repeat" => {
                        if v == 0 {
                            cx.err(t.span, format!("{kw} must be greater than 0, setting to 1"));
                        }
                        g.vrrp_garp_master_repeat = v.max(1)
                    }
                    "vrrp_garp_master_refresh" => g.vrrp_garp_master_refresh = v,
                    "vrrp_garp_master_refresh_repeat" => {
                        if v == 0 {
                            cx.err(t.span, format!("{kw} must be greater than 0, setting to 1"));
                        }
                        g.vrrp_garp_master_refresh_repeat = v.max(1)
                    }
                    "vrrp_garp_lower_prio_delay" => g.vrrp_garp_lower_prio_delay = Some(v),
                    _ => g.vrrp_garp_lower_prio_repeat = Some(v),
                }
            }
            "vrrp_garp_interval" | "vrrp_gna_interval" => {
                let Some(t) = cx.arg1(n) else { continue };
                match cx.timer(t, 1, MAX_TIMER_U32_SECS) {
                    Some(v) if kw == "vrrp_garp_interval" => g.vrrp_garp_interval = Some(v),
                    Some(v) => g.vrrp_gna_interval = Some(v),
                    None => cx.err(t.span, format!("{kw} '{}' is invalid", t.text)),
                }
            }
            "vrrp_down_timer_adverts" => {
                let Some(t) = cx.arg1(n) else { continue };
                match cx.unsigned(t, 1, 100) {
                    Some(v) => g.vrrp_down_timer_adverts = v as u32,
                    None => cx.err(t.span, format!("Invalid {kw} [1:100] '{}'", t.text)),
                }
            }
            "vrrp_lower_prio_no_advert" => {
                g.vrrp_lower_prio_no_advert = cx.flag(n, kw, g.vrrp_lower_prio_no_advert)
            }
            "vrrp_higher_prio_send_advert" => {
                g.vrrp_higher_prio_send_advert = cx.flag(n, kw, g.vrrp_higher_prio_send_advert)
            }
            "vrrp_check_unicast_src" => g.vrrp_check_unicast_src = true,
            // keepalived takes any argument here.
            "vrrp_skip_check_adv_addr" => g.vrrp_skip_check_adv_addr = super::lvs::lenient_flag(n),
            "vrrp_strict" => g.vrrp_strict = true,
            "vrrp_startup_delay" => {
                let Some(t) = cx.arg1(n) else { continue };
                match cx.timer(t, 1_000, MAX_TIMER_U32_SECS) {
                    Some(v) => g.vrrp_startup_delay = Some(v),
                    None => cx.err(
                        t.span,
                        format!("vrrp_startup_delay '{}' is invalid", t.text),
                    ),
                }
            }
            "vmac_prefix" | "vmac_addr_prefix" => {
                g.vmac_prefix = n.args.first().map(|t| t.text.clone())
            }
            "log_unknown_vrids" => g.log_unknown_vrids = true,
            "notify_fifo" | "vrrp_notify_fifo" | "lvs_notify_fifo" if n.args.is_empty() => {
                cx.err(n.span, format!("No {kw} name specified"))
            }
            "notify_fifo" => g.notify_fifo = fifo(n),
            "vrrp_notify_fifo" => g.vrrp_notify_fifo = fifo(n),
            "lvs_notify_fifo" => g.lvs_notify_fifo = fifo(n),
            "snmp_socket"
            | "tmp_config_directory"
            | "reload_time_file"
            | "lvs_sync_daemon"
            | "dbus_service_name"
                if n.args.is_empty() =>
            {
                cx.err(
                    n.span,
                    match kw {
                        "snmp_socket" => "SNMP error : snmp socket name missing",
                        "tmp_config_directory" => "tmp_config_directory missing directory name",
                        "reload_time_file" => "reload_time_file invalid",
                        "lvs_sync_daemon" => "lvs_sync_daemon requires interface",
                        _ => "dbus_service_name missing - ignoring",
                    },
                )
            }
            "lvs_timeouts" => {
                // `[tcp S] [tcpfin S] [udp S]`: at least one valid option.
                let ok = n.args.chunks(2).any(|c| {
                    matches!(c[0].text.as_str(), "tcp" | "tcpfin" | "udp") && c.len() == 2
                });
                if !ok {
                    cx.err(n.span, "lvs_timeouts requires at least one option");
                }
                g.other.push(RawSetting::from_node(n));
            }
            "notify_fifo_script" => fifo_script(&mut g.notify_fifo, n),
            "vrrp_notify_fifo_script" => fifo_script(&mut g.vrrp_notify_fifo, n),
            "lvs_notify_fifo_script" => fifo_script(&mut g.lvs_notify_fifo, n),
            "vrrp_notify_priority_changes" => {
                g.vrrp_notify_priority_changes = cx.flag(n, kw, g.vrrp_notify_priority_changes)
            }
            "lvs_flush" => g.lvs_flush = true,
            "max_auto_priority" => {
                let v = match n.args.first() {
                    None => Some(99),
                    Some(t) => {
                        let v = cx.int(t, -1, 99);
                        if v.is_none() {
                            cx.err(
                                t.span,
                                format!(
                                    "max_auto_priority '{}' must be in [0, 99] (or -1 to disable) - ignoring",
                                    t.text
                                ),
                            );
                        }
                        v
                    }
                };
                g.max_auto_priority = v.map(|v| v as i32);
            }
            "min_auto_priority_delay" => {
                if let Some(v) = process::min_auto_priority_delay(cx, n) {
                    g.min_auto_priority_delay = v;
                }
            }
            _ if sched_keyword(cx, g, kw, n) => {}
            "enable_dbus" => g.enable_dbus = true,
            "startup_script" => g.startup_script = Script::from_node(n),
            "shutdown_script" => g.shutdown_script = Script::from_node(n),
            "vrrp_vmac_garp_intvl" => {
                cx.err(
                    n.keyword.span,
                    "Keyword \"vrrp_vmac_garp_intvl\" is deprecated - please use \"vrrp_garp_extra_if\"",
                );
                g.other.push(RawSetting::from_node(n));
            }
            "vrrp_iptables" => {
                cx.err(
                    n.keyword.span,
                    "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option",
                );
                g.other.push(RawSetting::from_node(n));
            }
            _ => {
                let _ = super::rules::check(cx, "global_defs", "", n);
                g.other.push(RawSetting::from_node(n));
            }
        }
    }
}
