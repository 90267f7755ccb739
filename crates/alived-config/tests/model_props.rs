//! Bad input gets diagnostics, never a panic: random keyword soup through the whole loader.

use alived_config::{LoadOptions, load_str};
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "vrrp_instance",
    "VI_1",
    "virtual_server",
    "real_server",
    "10.0.0.1",
    "80",
    "fe80::1",
    "global_defs",
    "vrrp_script",
    "chk",
    "track_script",
    "virtual_ipaddress",
    "unicast_peer",
    "authentication",
    "auth_type",
    "PASS",
    "AH",
    "auth_pass",
    "priority",
    "state",
    "MASTER",
    "interface",
    "eth0",
    "lo",
    "virtual_router_id",
    "advert_int",
    "version",
    "3",
    "2",
    "0",
    "-1",
    "1.5",
    "99999999999999999999",
    "weight",
    "reverse",
    "dev",
    "brd",
    "+",
    "scope",
    "label",
    "peer",
    "nopreempt",
    "preempt_delay",
    "vrrp_strict",
    "TCP_CHECK",
    "HTTP_GET",
    "url",
    "path",
    "status_code",
    "digest",
    "MISC_CHECK",
    "misc_path",
    "DNS_CHECK",
    "type",
    "lb_algo",
    "lb_kind",
    "DR",
    "protocol",
    "TCP",
    "fwmark",
    "group",
    "vrrp_sync_group",
    "virtual_routes",
    "virtual_rules",
    "from",
    "to",
    "table",
    "via",
    "nexthop",
    "blackhole",
    "static_ipaddress",
    "bfd_instance",
    "min_rx",
    "vrrp_track_process",
    "quorum",
    "delay_loop",
    "{",
    "}",
    "\"",
    "!",
    "#",
    "10.0.0.300/33",
    "::/200",
    "a.b.c.d-e",
    "1.2.3.4-300",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::collection::vec(prop::sample::select(WORDS), 0..6).prop_map(|w| w.join(" ")),
        0..60,
    )
    .prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn loader_never_panics(text in soup()) {
        let loaded = load_str("soup.conf", &text, &LoadOptions::default());
        let rc = loaded.diags.exit_code();
        prop_assert!(matches!(rc, 0 | 2 | 4 | 5 | 6));
        // The model always serialises.
        prop_assert!(serde_json::to_string(&loaded.config).is_ok());
    }
}
