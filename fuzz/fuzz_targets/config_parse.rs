//! keepalived.conf front end on arbitrary input: must never panic.
#![no_main]

use alived_config::schema::{Schema, block, leaf, values};
use alived_config::{Options, parse_str, render};
use libfuzzer_sys::fuzz_target;

static AUTH: Schema = Schema { name: "authentication", keywords: &[leaf("auth_type")] };
static INSTANCE: Schema = Schema {
    name: "vrrp_instance",
    keywords: &[leaf("interface"), block("authentication", &AUTH), values("virtual_ipaddress")],
};
static GLOBAL: Schema = Schema { name: "global_defs", keywords: &[leaf("router_id")] };
static ROOT: Schema = Schema {
    name: "root",
    keywords: &[block("global_defs", &GLOBAL), block("vrrp_instance", &INSTANCE)],
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let opts = Options { config_id: Some("main".to_owned()), all_config: false };
    let parsed = parse_str("fuzz.conf", &text, &opts, &ROOT);
    for d in &parsed.diags.items {
        let _ = render::render(d, &parsed.sources);
    }
});
