//! One test per conversion rule; expected messages are keepalived 2.2.7's (checked with
//! `keepalived -t`).

use super::testutil::load;
use super::*;
use crate::model::addr::Broadcast;
use crate::model::vrrp::AuthType;

/// An instance with `body`; a VIP is added when `body` has none (keepalived complains about
/// an instance without VIPs).
fn inst(body: &str) -> String {
    let vip = if body.contains("virtual_ipaddress {") {
        ""
    } else {
        "\n virtual_ipaddress {\n 10.9.9.9\n }"
    };
    format!("vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n{body}{vip}\n}}\n")
}

fn has(msgs: &[String], m: &str) -> bool {
    msgs.iter().any(|x| x == m)
}

// Spec 2.2: defaults priority 100, BACKUP, v2, advert_int 1 s, accept on.
#[test]
fn instance_defaults() {
    let (c, msgs, _) = load(&inst(" virtual_ipaddress {\n 10.0.0.1\n }"));
    assert!(msgs.is_empty(), "{msgs:?}");
    let i = &c.instances[0];
    assert_eq!(i.vrid, Vrid(51));
    assert_eq!(i.priority, Priority(100));
    assert_eq!(i.state, InitialState::Backup);
    assert_eq!(i.version, 2);
    assert_eq!(i.advert_int, Interval::from_secs(1));
    assert!(i.accept);
    assert_eq!(i.vips[0].prefix, 32);
}

// Spec 0.1 #2: `state MASTER` without priority sets priority 255.
#[test]
fn state_master_without_priority_is_owner() {
    let (c, _, _) = load(&inst(" state MASTER"));
    assert_eq!(c.instances[0].priority, Priority(255));
    let (c, _, _) = load(&inst(" state MASTER\n priority 150"));
    assert_eq!(c.instances[0].priority, Priority(150));
}

// Spec 1.10: missing virtual_router_id drops the instance.
#[test]
fn missing_vrid_drops_instance() {
    let (c, msgs, d) = load("vrrp_instance VI_9 {\n interface eth0\n}\n");
    assert!(c.instances.is_empty());
    assert!(has(&msgs, "(VI_9) the virtual router id must be set"));
    assert_eq!(d.exit_code(), 5);
}

// Spec 1.1: range error then keyword message, default kept.
#[test]
fn priority_out_of_range_uses_default() {
    let (c, msgs, _) = load(&inst(" priority 300"));
    assert_eq!(
        msgs,
        [
            "number '300' outside range [1, 255]",
            "(VI_1) Priority not valid! must be between 1 & 255. Using default 100"
        ]
    );
    assert_eq!(c.instances[0].priority, Priority(100));
}

// Spec 2.2: vrid 1..255.
#[test]
fn vrid_out_of_range() {
    let (c, msgs, _) = load("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 300\n}\n");
    assert!(has(
        &msgs,
        "(VI_1): VRID '300' not valid - must be between 1 & 255"
    ));
    assert!(has(&msgs, "(VI_1) the virtual router id must be set"));
    assert!(c.instances.is_empty());
}

// Spec 2.2: unknown state -> BACKUP with error.
#[test]
fn unknown_state_defaults_to_backup() {
    let (c, msgs, _) = load(&inst(" state MAYBE"));
    assert!(has(
        &msgs,
        "(VI_1) unknown state 'MAYBE', defaulting to BACKUP"
    ));
    assert_eq!(c.instances[0].state, InitialState::Backup);
}

// Spec 0.1 #6: v2 advert_int is rounded to whole seconds.
#[test]
fn v2_advert_int_rounded() {
    let (c, msgs, _) = load(&inst(" advert_int 1.5"));
    assert!(has(
        &msgs,
        "(VI_1) VRRPv2 advertisement interval 1.500000s must be an integer. rounding"
    ));
    assert_eq!(c.instances[0].advert_int, Interval::from_secs(2));
}

// Spec 0.1 #6: v3 advert_int in 10 ms units, below 40.96 s.
#[test]
fn v3_advert_int_units_and_max() {
    let (c, msgs, _) = load(&inst(" version 3\n advert_int 0.015"));
    assert!(has(
        &msgs,
        "(VI_1) VRRPv3 advertisement interval 0.015000s must be in units of 10ms - rounding"
    ));
    assert_eq!(c.instances[0].advert_int, Interval(20_000));
    let (c, msgs, _) = load(&inst(" version 3\n advert_int 50"));
    assert!(has(
        &msgs,
        "(VI_1) VRRPv3 advertisement interval 50.00s is out of range. Must be less than 40.96s. Setting to 40.95s"
    ));
    assert_eq!(c.instances[0].advert_int, Interval(40_950_000));
}

// Spec 2.2: advert_int 0 is refused.
#[test]
fn advert_int_zero_refused() {
    let (c, msgs, _) = load(&inst(" advert_int 0"));
    assert!(has(
        &msgs,
        "number '0' outside range [0.010000, 255.000000]"
    ));
    assert!(has(
        &msgs,
        "(VI_1) Advert interval (0) not valid! Must be > 0 - ignoring"
    ));
    assert_eq!(c.instances[0].advert_int, Interval::from_secs(1));
}

// Spec 2.2 / 2.8: auth_pass truncated to 8.
#[test]
fn auth_pass_truncated() {
    let (c, msgs, _) = load(&inst(
        " authentication {\n auth_type PASS\n auth_pass 123456789\n }",
    ));
    assert!(has(&msgs, "Truncating auth_pass to 8 characters"));
    let a = c.instances[0]
        .auth
        .as_ref()
        .map(|a| (a.auth_type, a.password.clone()));
    assert_eq!(a, Some((AuthType::Pass, "12345678".into())));
}

// Spec 2.8: authentication is ignored for v3.
#[test]
fn v3_ignores_auth() {
    let (c, msgs, _) = load(&inst(
        " version 3\n authentication {\n auth_type PASS\n auth_pass x\n }",
    ));
    assert!(has(
        &msgs,
        "(VI_1) VRRP version 3 does not support authentication. Ignoring."
    ));
    assert!(c.instances[0].auth.is_none());
}

// Spec 2.8: unknown auth type.
#[test]
fn bad_auth_type() {
    let (c, msgs, _) = load(&inst(" authentication {\n auth_type FOO\n }"));
    assert!(has(&msgs, "(VI_1) unknown authentication type 'FOO'"));
    assert!(c.instances[0].auth.is_none());
}

// Spec 2.2: nopreempt with state MASTER is cleared (priority < 255), and with priority 255.
#[test]
fn nopreempt_with_master_cleared() {
    let (c, msgs, _) = load(&inst(" state MASTER\n priority 100\n nopreempt"));
    assert!(has(
        &msgs,
        "(VI_1) Warning - nopreempt will not work with initial state MASTER - clearing"
    ));
    assert!(!c.instances[0].nopreempt);
    let (c, msgs, _) = load(&inst(" state MASTER\n nopreempt"));
    assert!(has(
        &msgs,
        "(VI_1) nopreempt is incompatible with priority 255. resetting nopreempt"
    ));
    assert!(!c.instances[0].nopreempt);
}

// Spec 0.1 #6: IPv6 instances default to v3 whatever vrrp_version says.
#[test]
fn ipv6_defaults_to_v3() {
    let text = format!(
        "global_defs {{\n vrrp_version 2\n}}\n{}",
        inst(" virtual_ipaddress {\n fe80::1\n 2001:db8::1\n }")
    );
    let (c, msgs, _) = load(&text);
    assert!(msgs.is_empty(), "{msgs:?}");
    assert_eq!(c.instances[0].version, 3);
    assert_eq!(c.instances[0].family, Family::Inet6);
    assert_eq!(c.instances[0].vips[1].prefix, 128);
}

// Spec 2.7: strict mode corrections.
#[test]
fn strict_mode_corrections() {
    let text = format!(
        "global_defs {{\n vrrp_strict\n}}\n{}",
        inst(
            " state MASTER\n priority 100\n preempt_delay 5\n authentication {\n auth_type PASS\n auth_pass x\n }"
        )
    );
    let (c, msgs, _) = load(&text);
    assert!(has(
        &msgs,
        "(VI_1) State MASTER must match being address owner"
    ));
    assert!(has(
        &msgs,
        "(VI_1) Strict mode does not support authentication. Ignoring."
    ));
    assert!(has(
        &msgs,
        "(VI_1) preempt_delay is incompatible with strict mode - resetting"
    ));
    let i = &c.instances[0];
    assert_eq!(i.state, InitialState::Backup);
    assert!(i.auth.is_none() && i.preempt_delay.is_none());
    assert!(!i.accept, "strict: no accept mode below priority 255");
    assert_eq!(i.lower_prio_no_advert, Some(true));
}

// Spec 2.7: strict mode forces v3 for IPv6 and wants a link-local first VIP.
#[test]
fn strict_ipv6() {
    let text = format!(
        "global_defs {{\n vrrp_strict\n}}\n{}",
        inst(" version 2\n virtual_ipaddress {\n 2001:db8::1\n }")
    );
    let (c, msgs, _) = load(&text);
    assert!(has(
        &msgs,
        "(VI_1) cannot use IPv6 with VRRP version 2; setting version 3"
    ));
    assert!(has(
        &msgs,
        "(VI_1) the first IPv6 VIP address must be link local"
    ));
    assert_eq!(c.instances[0].version, 3);
}

// Spec 2.2: loopback rejected.
#[test]
fn loopback_interface_rejected() {
    let (c, msgs, _) = load("vrrp_instance VI_1 {\n interface lo\n virtual_router_id 1\n}\n");
    assert!(has(
        &msgs,
        "(VI_1) cannot use a loopback interface (lo) for vrrp - ignoring"
    ));
    assert!(has(&msgs, "(VI_1) Unknown interface!"));
    assert_eq!(c.instances[0].interface, None);
}

// Spec 2.3: every VIP option.
#[test]
fn vip_line_fully_parsed() {
    let (c, msgs, _) = load(&inst(
        " virtual_ipaddress {\n 10.0.0.1/24 brd + dev eth1 scope link label eth1:1 peer 10.0.0.9 home -nodad mngtmpaddr noprefixroute autojoin no_track preferred_lft forever\n }",
    ));
    assert!(msgs.is_empty(), "{msgs:?}");
    let a = &c.instances[0].vips[0];
    assert_eq!(a.prefix, 24);
    assert_eq!(a.brd, Some(Broadcast::HostBitsSet));
    assert_eq!(a.dev.as_deref(), Some("eth1"));
    assert_eq!(a.scope, Some(addr::Scope(253)));
    assert_eq!(a.label.as_deref(), Some("eth1:1"));
    assert!(a.peer.is_some() && a.home && a.nodad && a.mngtmpaddr && a.noprefixroute);
    assert!(a.autojoin && a.no_track);
    assert_eq!(a.preferred_lft, Some(addr::Lifetime::Forever));
}

// Spec 2.3: unknown option, invalid IP, bad prefix, bad scope.
#[test]
fn vip_errors() {
    let (c, msgs, _) = load(&inst(
        " virtual_ipaddress {\n 10.0.0.1/24 dev eth0 foo\n 10.0.0.300\n 10.0.0.2/33\n 10.0.0.3 scope bogus\n }",
    ));
    assert_eq!(
        msgs,
        [
            "Unknown configuration entry 'foo' for ip address - ignoring",
            "VRRP parsed invalid IP 10.0.0.300. skipping IP...",
            "number '33' outside range [0, 32]",
            "Invalid address prefix len 33 for address 10.0.0.2/33 - using 32",
            "Invalid scope 'bogus' specified for 10.0.0.3 - ignoring",
        ]
    );
    let v: Vec<_> = c.instances[0]
        .vips
        .iter()
        .map(|a| (a.addr.to_string(), a.prefix))
        .collect();
    assert_eq!(
        v,
        [
            ("10.0.0.1".into(), 24),
            ("10.0.0.2".into(), 32),
            ("10.0.0.3".into(), 32)
        ]
    );
}

// Spec 2.2: VIP family must match the instance's.
#[test]
fn vip_family_mismatch() {
    let (c, msgs, _) = load(&inst(" virtual_ipaddress {\n 10.0.0.1\n fe80::1\n }"));
    assert!(has(
        &msgs,
        "(VI_1): address family must match VRRP instance [fe80::1] - ignoring"
    ));
    assert_eq!(c.instances[0].vips.len(), 1);
}

// Spec 2.3: duplicate VIPs rejected (a note: 2.2.7 says nothing at load time).
#[test]
fn duplicate_vip_rejected() {
    let (c, _, d) = load(&inst(" virtual_ipaddress {\n 10.0.0.1\n 10.0.0.1\n }"));
    assert_eq!(c.instances[0].vips.len(), 1);
    assert_eq!(d.exit_code(), 0);
}

// Spec 2.2: unicast peers must share the instance family; min/max_ttl parsed.
#[test]
fn unicast_peer_family_and_ttl() {
    let (c, msgs, _) = load(&inst(
        " virtual_ipaddress {\n 10.0.0.1\n }\n unicast_peer {\n 10.0.0.5 min_ttl 2 max_ttl 9\n fe80::5\n }",
    ));
    assert!(has(
        &msgs,
        "Configuration error: VRRP instance[VI_1] and unicast peer address[fe80::5] MUST be of the same family !!! Skipping..."
    ));
    let p = &c.instances[0].unicast_peers;
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].min_ttl, p[0].max_ttl), (Some(2), Some(9)));
}

// Spec 2.5: track_script must name a vrrp_script; weight range; duplicates.
#[test]
fn track_script_rules() {
    let text = format!(
        "vrrp_script chk {{\n script \"/bin/true\"\n}}\n{}",
        inst(
            " track_script {\n chk weight 300\n nosuch\n chk weight -10 reverse\n chk2 weight -10 reverse\n }"
        )
    );
    let text = text.replace(
        "vrrp_script chk {",
        "vrrp_script chk2 {\n script /bin/false\n}\nvrrp_script chk {",
    );
    let (c, msgs, _) = load(&text);
    assert!(has(&msgs, "number '300' outside range [-254, 254]"));
    assert!(has(
        &msgs,
        "(VI_1) track script chk: weight must be between [-253..253] inclusive, ignoring..."
    ));
    assert!(has(&msgs, "(VI_1) duplicate track_script chk - ignoring"));
    assert!(has(
        &msgs,
        "(VI_1) track script nosuch not found, ignoring..."
    ));
    let t = &c.instances[0].track.scripts;
    assert_eq!(t.len(), 2);
    assert_eq!((t[0].weight, t[0].reverse), (None, false));
    assert_eq!((t[1].weight, t[1].reverse), (Some(Weight(-10)), true));
}

// Spec 2.5: track_interface weight 254 clamped to 253.
#[test]
fn track_interface_weight_clamped() {
    let (c, msgs, _) = load(&inst(" track_interface {\n eth1 weight -254\n eth0\n }"));
    assert!(has(
        &msgs,
        "(VI_1) weight for eth1 cannot be +/-254. Setting to +/-253"
    ));
    assert!(has(
        &msgs,
        "(VI_1) Ignoring track_interface eth0 since own interface"
    ));
    assert_eq!(
        c.instances[0].track.interfaces[0].weight,
        Some(Weight(-253))
    );
}

// Spec 2.5: vrrp_script defaults and range messages.
#[test]
fn vrrp_script_rules() {
    let (c, msgs, _) = load(
        "vrrp_script chk {\n script \"/bin/true x\"\n interval 0\n weight 300\n rise 0\n fall abc\n timeout 3\n}\nvrrp_script empty {\n interval 2\n}\n",
    );
    assert_eq!(
        msgs,
        [
            "(chk): vrrp script interval must be greater than 0, setting to 1",
            "number '300' outside range [-253, 253]",
            "vrrp_script chk weight 300 must be in [-253, 253]",
            "number '0' outside range [1, 2147483647]",
            "(chk): vrrp script rise value '0' invalid, defaulting to 1",
            "invalid number 'abc'",
            "(chk): vrrp script fall value 'abc' invalid, defaulting to 1",
            "No script set for vrrp_script empty - removing",
        ]
    );
    let s = &c.vrrp_scripts[0];
    assert_eq!(s.script.command, "/bin/true x");
    assert_eq!(
        (s.interval, s.timeout, s.rise, s.fall),
        (Interval::from_secs(1), Interval::from_secs(3), 1, 1)
    );
    assert_eq!(c.vrrp_scripts.len(), 1);
}

// Spec 2.4: sync group members must exist.
#[test]
fn sync_group_unknown_member() {
    let text = format!(
        "{}vrrp_sync_group G {{\n group {{\n VI_1\n VI_X\n }}\n}}\n",
        inst("")
    );
    let (c, msgs, _) = load(&text);
    assert!(has(
        &msgs,
        "Virtual router VI_X specified in sync group G doesn't exist - ignoring"
    ));
    assert_eq!(c.sync_groups[0].group, ["VI_1"]);
}

// Spec 2.6: notify scripts keep user and group.
#[test]
fn notify_script_user_group() {
    let (c, _, _) = load(&inst(
        " notify_master \"/x.sh a b\" nobody nogroup\n notify /y.sh",
    ));
    let n = &c.instances[0].notify;
    let m = n
        .get(vrrp::NotifyKind::Master)
        .map(|s| (s.command.as_str(), s.user.as_deref(), s.group.as_deref()));
    assert_eq!(m, Some(("/x.sh a b", Some("nobody"), Some("nogroup"))));
    assert_eq!(
        n.get(vrrp::NotifyKind::Any).map(|s| s.command.as_str()),
        Some("/y.sh")
    );
}

// Spec 1.1: BOOL values; an invalid one is reported.
#[test]
fn bool_keywords() {
    let (c, msgs, _) = load(&inst(" smtp_alert maybe"));
    assert!(has(
        &msgs,
        "Invalid vrrp_instance smtp_alert parameter maybe"
    ));
    assert_eq!(c.instances[0].smtp_alert, None);
    let (c, _, _) = load(&inst(" smtp_alert off"));
    assert_eq!(c.instances[0].smtp_alert, Some(false));
    let (c, _, _) = load(&inst(" smtp_alert"));
    assert_eq!(c.instances[0].smtp_alert, Some(true));
}

// Spec 2.1: global defaults and script security flag.
#[test]
fn global_defaults_and_errors() {
    let (c, msgs, _) = load(
        "global_defs {\n enable_script_security\n vrrp_version 4\n vrrp_garp_interval 0\n vrrp_garp_master_delay abc\n}\n",
    );
    assert_eq!(
        msgs,
        [
            "number '4' outside range [2, 3]",
            "VRRP Error: Version must be either 2 or 3",
            "number '0' outside range [0.000001, 4294.967295]",
            "vrrp_garp_interval '0' is invalid",
            "invalid number 'abc'",
            "vrrp_garp_master_delay 'abc' invalid - ignoring",
        ]
    );
    let g = &c.global;
    assert!(g.enable_script_security);
    assert_eq!(
        (
            g.vrrp_version,
            g.vrrp_garp_master_delay,
            g.vrrp_garp_master_repeat
        ),
        (2, 5, 5)
    );
    assert_eq!(g.vrrp_mcast_group4.to_string(), "224.0.0.18");
}

// Spec 2.3: routes, including deprecated gw/or and no-interface tracking.
#[test]
fn route_lines() {
    let (c, msgs, _) = load(&inst(
        " virtual_routes {\n src 10.0.0.1 10.2.0.0/16 via 10.0.0.254 dev eth0 table 100 metric 5 protocol static onlink\n 0.0.0.0/0 gw 192.168.0.1 table 100\n blackhole 10.9.0.0/16\n 10.5.0.0/16 via 10.0.0.999\n 10.4.0.0/16 dev eth0 nexthop via 10.0.0.1 dev eth0 weight 2 nexthop via 10.0.0.2\n }",
    ));
    assert_eq!(
        msgs,
        [
            "\"gw\" for routes is deprecated. Please use \"via\"",
            "Warning - cannot track route 0.0.0.0/0 with no interface specified, not tracking",
            "Warning - cannot track route 10.9.0.0/16 with no interface specified, not tracking",
            "VRRP parsed invalid IP 10.0.0.999. skipping IP...",
            "invalid route via address 10.0.0.999",
        ]
    );
    let r = &c.instances[0].vroutes;
    assert_eq!(r.len(), 4);
    assert_eq!(
        (r[0].table, r[0].metric, r[0].protocol, r[0].onlink),
        (Some(100), Some(5), Some(4), true)
    );
    assert_eq!(r[2].route_type, route::RouteType::Blackhole);
    assert_eq!(r[3].nexthops.len(), 2);
}

// Spec 2.3: rules; missing preference gets 16384 then 16383.
#[test]
fn rule_lines() {
    let (c, msgs, _) = load(&inst(
        " virtual_rules {\n from 10.0.0.0/8 to 10.1.0.0/16 iif eth0 fwmark 0x1/0xff table 100\n from all lookup main preference 7\n to 1.2.3.4 table 5\n from 1.2.3.4 bogus\n }",
    ));
    assert_eq!(
        msgs,
        [
            "Rule has no preference specified - setting to 16384. This is probably not what you want.",
            "Rule has no preference specified - setting to 16383. This is probably not what you want.",
            "Unknown rule option bogus",
            "Rule has no preference specified - setting to 16382. This is probably not what you want.",
        ]
    );
    let r = &c.instances[0].vrules;
    assert_eq!(
        (r[0].fwmark, r[0].fwmask, r[0].table),
        (Some(1), Some(0xff), Some(100))
    );
    assert_eq!((r[1].preference, r[1].table), (7, Some(254)));
}

// Spec 3.2: virtual server defaults with keepalived's messages.
// Spec 3.2/3.3: bad values; DR port mismatch reset.
// Spec 3.2: fwmark with protocol, bad VS address.
// Spec 3.4: checker timing inheritance checker <- RS <- VS <- per-type defaults.
// Spec 3.4: checker value errors.
// Spec 3.1: virtual_server_group lines.
// Spec 2.3 static_ipaddress: track_group allowed, dev defaults later to default_interface.
#[test]
fn static_addresses() {
    let (c, msgs, _) = load(
        "track_group TG {\n group {\n VI_1\n }\n}\nstatic_ipaddress {\n 10.1.1.1/24 dev eth0 track_group TG\n 10.1.1.2\n}\n",
    );
    assert!(msgs.is_empty(), "{msgs:?}");
    assert_eq!(c.static_addresses[0].track_group.as_deref(), Some("TG"));
    assert_eq!(c.static_addresses[1].dev, None);
}

// Spec 2.3/2.5, measured on keepalived 2.2.7 (`keepalived -t`): a static item's track_group
// must be defined above it; a second one is a duplicate; a route needs a dev and a rule an
// iif to be tracked; a tracked route's protocol is forced to 18. The item stays, untracked.
#[test]
fn static_track_group_checks() {
    let (c, msgs, d) = load(
        "static_ipaddress {\n 10.1.1.1/24 dev eth0 track_group TG\n}\n\
         track_group TG {\n group {\n VI_1\n }\n}\n\
         static_ipaddress {\n 10.1.1.2/24 dev eth0 track_group NOPE\n 10.1.1.3/24 dev eth0 track_group TG track_group NOPE\n}\n\
         static_routes {\n 10.9.0.0/16 via 10.1.1.254 table 5 track_group TG\n 10.8.0.0/16 via 10.1.1.254 dev eth0 protocol 4 track_group TG\n}\n\
         static_rules {\n from 10.7.0.0/16 oif eth0 table 5 priority 10 track_group TG\n from 10.6.0.0/16 iif eth0 table 5 priority 11 track_group TG\n}\n",
    );
    assert_eq!(
        msgs,
        [
            "track_group TG not found",
            "track_group NOPE not found",
            "track_group NOPE is a duplicate",
            "Warning - cannot track route 10.9.0.0/16 with no interface specified, not tracking",
            "Static route cannot have track group if no oif specified",
            "Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol",
            "Static rule cannot have track_group if dev/iif not specified",
        ]
    );
    assert_eq!(d.exit_code(), 5);
    let groups: Vec<_> = c
        .static_addresses
        .iter()
        .map(|a| a.track_group.as_deref())
        .collect();
    assert_eq!(groups, [None, None, Some("TG")]);
    assert_eq!(c.static_routes[0].track_group, None);
    assert_eq!(c.static_routes[1].track_group.as_deref(), Some("TG"));
    assert_eq!(c.static_routes[1].protocol, Some(18));
    assert_eq!(c.static_rules[0].track_group, None);
    assert_eq!(c.static_rules[1].track_group.as_deref(), Some("TG"));
}

// Spec 1.10: interface existence is checked when the host facts are given.
#[test]
fn missing_interfaces_reported() {
    let mut d = crate::diag::Diagnostics::default();
    let host = HostFacts {
        interfaces: Some(["eth0".to_string()].into_iter().collect()),
        ..Default::default()
    };
    let text = "vrrp_instance VI_1 {\n interface eth1\n virtual_router_id 1\n track_interface {\n eth2\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n";
    let _ = build(super::testutil::nodes(text), &host, &mut d);
    let msgs: Vec<_> = d.items.iter().map(|i| i.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "WARNING - interface eth1 for vrrp_instance VI_1 doesn't exist",
            "(VI_1) tracked interface eth2 doesn't exist",
            "Non-existent interface specified in configuration",
        ]
    );
    // keepalived 2.2.7 names an address with its prefix unless it is a host address.
    let mut d = crate::diag::Diagnostics::default();
    let text = "static_ipaddress {\n 10.9.0.50/24 dev d5\n 10.9.0.51 dev d5\n}\n";
    let _ = build(super::testutil::nodes(text), &host, &mut d);
    let msgs: Vec<_> = d.items.iter().map(|i| i.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "WARNING - interface d5 for ip address 10.9.0.50/24 doesn't exist",
            "WARNING - interface d5 for ip address 10.9.0.51 doesn't exist",
            "Non-existent interface specified in configuration",
        ]
    );
}

// JSON: the model serialises.
#[test]
fn config_serialises() {
    let (c, _, _) = load(&inst(" virtual_ipaddress {\n 10.0.0.1/24\n }"));
    let j = serde_json::to_value(&c).unwrap();
    assert_eq!(j["instances"][0]["vrid"], 51);
    assert_eq!(j["instances"][0]["vips"][0]["prefix"], 24);
}

// keepalived 2.2.7: an instance without VIPs, unicast keywords without peers, vmac_xmit_base
// without a VMAC are reported, in this order (measured).
#[test]
fn instance_completion_warnings() {
    let (_, msgs, _) = load(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n unicast_ttl 5\n check_unicast_src\n vmac_xmit_base\n}\n",
    );
    assert_eq!(
        msgs,
        [
            "(VI_1): Cannot use unicast_ttl without unicast peers - resetting",
            "(VI_1) No VIP specified; at least one is sensible",
            "(VI_1) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.",
            "(VI_1) vmac_xmit_base is only valid with a vmac",
        ]
    );
}

// Spec 2.2: the VIPs must fit one advert; the excess becomes eVIPs (2.2.7: 83 IPv6 VIPs on a
// 1400-byte MTU).
#[test]
fn too_many_vips_moved_to_evips() {
    let mut text = String::from(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n fe80::1\n",
    );
    for i in 2..=100 {
        text.push_str(&format!(" 2001:db8::{i:x}\n"));
    }
    text.push_str(" }\n}\n");
    let mut d = crate::diag::Diagnostics::default();
    let host = HostFacts {
        mtus: [("eth0".to_string(), 1400)].into_iter().collect(),
        ..Default::default()
    };
    let c = build(super::testutil::nodes(&text), &host, &mut d);
    assert_eq!(
        d.items[0].message,
        "(VI_1) Number of VIPs (100) exceeds maximum/space available in packet (max 83 addresses) - excess moved to eVIPs"
    );
    assert_eq!(
        (c.instances[0].vips.len(), c.instances[0].evips.len()),
        (83, 17)
    );
}

// keepalived resolves `track_script` when it reads the line: the script must come first.
#[test]
fn track_script_must_be_defined_first() {
    let text = format!(
        "{}vrrp_script chk {{\n script /bin/true\n}}\n",
        inst(" track_script {\n chk\n }")
    );
    let (c, msgs, _) = load(&text);
    assert!(has(&msgs, "(VI_1) track script chk not found, ignoring..."));
    assert!(c.instances[0].track.scripts.is_empty());
}

// Spec 2.2: without `state`, priority 255 means starting as MASTER; a VRRPv3 instance
// without VIPs is dropped; a second `version` conflicts.
#[test]
fn state_from_priority_and_v3_needs_vips() {
    let (c, _, _) = load(&inst(" priority 255"));
    assert_eq!(c.instances[0].state, InitialState::Master);
    let (c, msgs, _) =
        load("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n version 3\n}\n");
    assert!(has(
        &msgs,
        "(VI_1) No VIP specified; at least one is required"
    ));
    assert!(c.instances.is_empty());
    let (c, msgs, _) = load(&inst(" version 3\n version 2"));
    assert!(has(
        &msgs,
        "(VI_1) vrrp_version 2 conflicts with configured or deduced version 3; ignoring."
    ));
    assert_eq!(c.instances[0].version, 3);
}

// Spec 2.2: the first address of any kind sets the family; later ones must match.
#[test]
fn family_set_by_first_address() {
    let (c, msgs, _) = load(&inst(
        " unicast_peer {\n fe80::2\n }\n unicast_src_ip 10.0.0.1\n virtual_ipaddress {\n 10.7.0.1\n fe80::1\n }",
    ));
    assert!(has(
        &msgs,
        "Configuration error: VRRP instance[VI_1] and src address[10.0.0.1] MUST be of the same family !!! Skipping..."
    ));
    assert!(has(
        &msgs,
        "(VI_1): address family must match VRRP instance [10.7.0.1] - ignoring"
    ));
    let i = &c.instances[0];
    assert_eq!((i.family, i.version, i.vips.len()), (Family::Inet6, 3, 1));
}
