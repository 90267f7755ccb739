//! Rough timing of the front end on N generated vrrp_instances:
//! `cargo run --release -p alived-config --example parse_bench -- 10000 [out.conf]`.
//! With a second argument the generated text is also written there (to time `keepalived -t`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use alived_config::schema::{Schema, block, leaf, values};
use alived_config::{Options, parse_str};
use std::fmt::Write as _;
use std::time::Instant;

static AUTH: Schema = Schema {
    name: "authentication",
    keywords: &[leaf("auth_type"), leaf("auth_pass")],
};
static INSTANCE: Schema = Schema {
    name: "vrrp_instance",
    keywords: &[
        leaf("state"),
        leaf("interface"),
        leaf("virtual_router_id"),
        leaf("priority"),
        leaf("advert_int"),
        block("authentication", &AUTH),
        values("virtual_ipaddress"),
    ],
};
static GLOBAL: Schema = Schema {
    name: "global_defs",
    keywords: &[leaf("router_id")],
};
static ROOT: Schema = Schema {
    name: "root",
    keywords: &[
        block("global_defs", &GLOBAL),
        block("vrrp_instance", &INSTANCE),
    ],
};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let mut text = String::from("global_defs {\n  router_id bench\n}\n");
    for i in 0..n {
        let _ = write!(
            text,
            "vrrp_instance VI_{i} {{\n    state BACKUP\n    interface lo\n    \
             virtual_router_id {}\n    priority 100\n    advert_int 1\n    authentication {{\n        \
             auth_type PASS\n        auth_pass secret\n    }}\n    virtual_ipaddress {{\n        \
             10.{}.{}.1/32 dev lo\n    }}\n}}\n",
            i % 255 + 1,
            i / 256 % 256,
            i % 256
        );
    }
    if let Some(out) = args.next() {
        std::fs::write(out, &text).unwrap();
    }
    let start = Instant::now();
    let p = parse_str("bench.conf", &text, &Options::default(), &ROOT);
    let took = start.elapsed();
    println!(
        "{n} instances, {} bytes, {} nodes, {} diagnostics: {:?}",
        text.len(),
        p.nodes.len(),
        p.diags.items.len(),
        took
    );
}
