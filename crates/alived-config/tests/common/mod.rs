//! A small keepalived-like keyword table for the front-end tests (the real tables live in
//! the model; these tests must not depend on them).
#![allow(dead_code)]

use alived_config::schema::{Schema, block, leaf, values};
use alived_config::{Options, Parsed, parse_str, render};

pub static AUTH: Schema = Schema {
    name: "authentication",
    keywords: &[leaf("auth_type"), leaf("auth_pass")],
};

pub static VRRP_INSTANCE: Schema = Schema {
    name: "vrrp_instance",
    keywords: &[
        leaf("interface"),
        leaf("state"),
        leaf("virtual_router_id"),
        leaf("priority"),
        leaf("advert_int"),
        leaf("nopreempt"),
        leaf("notify_master"),
        block("authentication", &AUTH),
        values("virtual_ipaddress"),
        values("unicast_peer"),
        values("track_script"),
    ],
};

pub static GLOBAL_DEFS: Schema = Schema {
    name: "global_defs",
    keywords: &[
        leaf("router_id"),
        values("notification_email"),
        leaf("notification_email_from"),
        leaf("smtp_server"),
        leaf("vrrp_strict"),
        leaf("script_user"),
    ],
};

pub static VRRP_SCRIPT: Schema = Schema {
    name: "vrrp_script",
    keywords: &[
        leaf("script"),
        leaf("interval"),
        leaf("weight"),
        leaf("fall"),
        leaf("rise"),
    ],
};

pub static TCP_CHECK: Schema = Schema {
    name: "TCP_CHECK",
    keywords: &[leaf("connect_timeout"), leaf("connect_port")],
};

pub static REAL_SERVER: Schema = Schema {
    name: "real_server",
    keywords: &[leaf("weight"), block("TCP_CHECK", &TCP_CHECK)],
};

pub static VIRTUAL_SERVER: Schema = Schema {
    name: "virtual_server",
    keywords: &[
        leaf("delay_loop"),
        leaf("lb_algo"),
        leaf("lb_kind"),
        leaf("protocol"),
        block("real_server", &REAL_SERVER),
    ],
};

pub static ROOT: Schema = Schema {
    name: "root",
    keywords: &[
        block("global_defs", &GLOBAL_DEFS),
        block("vrrp_instance", &VRRP_INSTANCE),
        block("vrrp_script", &VRRP_SCRIPT),
        block("virtual_server", &VIRTUAL_SERVER),
        values("virtual_server_group"),
        leaf("net_namespace"),
    ],
};

pub fn parse(text: &str) -> Parsed {
    parse_str("test.conf", text, &Options::default(), &ROOT)
}

pub fn parse_with(text: &str, opts: &Options) -> Parsed {
    parse_str("test.conf", text, opts, &ROOT)
}

/// All diagnostics rendered, then the exit code.
pub fn report(p: &Parsed) -> String {
    let mut s = render::render_all(&p.diags, &p.sources);
    s.push_str(&format!("exit code: {}\n", p.diags.exit_code()));
    s
}

/// Only the messages, for compact assertions.
pub fn messages(p: &Parsed) -> Vec<String> {
    p.diags.items.iter().map(|d| d.message.clone()).collect()
}

/// A compact outline of the tree: `keyword args [children]`.
pub fn outline(p: &Parsed) -> String {
    fn walk(nodes: &[alived_config::ast::Node], depth: usize, out: &mut String) {
        use alived_config::ast::Body;
        for n in nodes {
            out.push_str(&"  ".repeat(depth));
            out.push_str(&n.keyword.text);
            for a in &n.args {
                out.push_str(&format!(" <{}>", a.text));
            }
            out.push('\n');
            match &n.body {
                Body::None => {}
                Body::Keywords(k) => walk(k, depth + 1, out),
                Body::Values(v) => {
                    for line in v {
                        out.push_str(&"  ".repeat(depth + 1));
                        let t: Vec<String> = line.iter().map(|t| format!("<{}>", t.text)).collect();
                        out.push_str(&format!("= {}\n", t.join(" ")));
                    }
                }
            }
        }
    }
    let mut s = String::new();
    walk(&p.nodes, 0, &mut s);
    s
}
