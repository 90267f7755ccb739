//! The validated, typed configuration (ARCHITECTURE.md section 4 rule 7: text -> AST with spans
//! -> this model). Built from the [`crate::ast::Node`] tree with keepalived 2.2.7's defaults,
//! corrections and messages; every item keeps its [`Span`].
//!
//! How it was checked: the keyword tables and the value rules were measured on the real
//! `keepalived -t` (see `tools/`), every Debian sample gives keepalived's exit code, and
//! `tests/differential.rs` compares 300 random configurations with the binary (exit code, and
//! every message keepalived prints must be among ours).
//!
//! Where alived knowingly differs from 2.2.7:
//! - keepalived stops completing instances at the first fatal one (`the virtual router id
//!   must be set`, `Unknown interface!`, `No VIP specified; at least one is required`) and
//!   stops reading at a keyword with a missing value (`-t` exits 2); alived drops that instance
//!   or ignores that line and goes on, so it reports every problem (exit code 5).
//! - A duplicate VIP is dropped with a note (2.2.7 says nothing at load time).
//! - Not modelled here: script security and user/group existence (exit 6, host-dependent),
//!   `smtp_server` name resolution, `umask` and `init_file`
//!   syntax, DNS_CHECK name labels.
//! - Keywords without a typed field are kept as written in `other` lists, with their value
//!   checked against keepalived's range and message where one was measured (`rules`).

pub mod addr;
mod complete;
pub mod global;
pub mod lvs;
mod lvs_check;
mod lvs_server;
pub mod process;
pub mod route;
mod rules;
mod rules_data;
mod statics;
pub mod track;
pub mod values;
pub mod vrrp;
mod vrrp_common;

pub use addr::{Family, IpAddress};
pub use global::GlobalDefs;
pub use lvs::{Checker, RealServer, SslConfig, VirtualServer, VirtualServerGroup};
pub use route::{Route, Rule};
pub use track::{Track, TrackFile, TrackProcess, VrrpScript, Weight};
pub use values::{Interval, RawSetting, Script};
pub use vrrp::{InitialState, Priority, Vrid, VrrpInstance};

use crate::ast::{Body, Node};
use crate::diag::Diagnostics;
use crate::span::Span;
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};
use values::Cx;
use vrrp::{Notify, Tracking, value_lines};

/// `vrrp_sync_group NAME { group { VI... } ... }` (spec 2.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncGroup {
    pub name: String,
    /// Member instance names, each known.
    pub group: Vec<String>,
    pub track: Tracking,
    pub notify: Notify,
    pub smtp_alert: Option<bool>,
    pub notify_priority_changes: Option<bool>,
    pub sync_group_tracking_weight: bool,
    pub span: Span,
    /// Whether `group { }` named any member (decides keepalived's wording when none exists).
    #[serde(skip)]
    named_members: bool,
}

/// `garp_group { garp_interval S; gna_interval S; interface IF | interfaces { ... } }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GarpGroup {
    pub garp_interval: Option<Interval>,
    pub gna_interval: Option<Interval>,
    pub interfaces: Vec<String>,
    pub span: Span,
}

/// `track_group NAME { group { VI... } }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackGroup {
    pub name: String,
    pub group: Vec<String>,
    pub span: Span,
}

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Config {
    pub global: GlobalDefs,
    pub vrrp_scripts: Vec<VrrpScript>,
    pub track_files: Vec<TrackFile>,
    pub track_processes: Vec<TrackProcess>,
    pub sync_groups: Vec<SyncGroup>,
    pub instances: Vec<VrrpInstance>,
    pub static_addresses: Vec<IpAddress>,
    pub static_routes: Vec<Route>,
    pub static_rules: Vec<Rule>,
    pub garp_groups: Vec<GarpGroup>,
    pub track_groups: Vec<TrackGroup>,
    pub linkbeat_interfaces: Vec<RawSetting>,
    pub interface_up_down_delays: Vec<RawSetting>,
    pub bfd_instances: Vec<RawSetting>,
    pub ssl: Option<SslConfig>,
    pub virtual_server_groups: Vec<VirtualServerGroup>,
    pub virtual_servers: Vec<VirtualServer>,
    /// Top-level settings kept as written (`net_namespace`, `instance`, `child_wait_time`...).
    pub top_level: Vec<RawSetting>,
    /// `vrrp_instance`s given up because of an error (no VRID, no VIP where one is needed...):
    /// a reload refuses a configuration that lost an instance this way.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped_instances: Vec<String>,
}

/// Host facts the pure model may check against; all optional.
#[derive(Debug, Clone, Default)]
pub struct HostFacts {
    /// Names of the interfaces that exist. `None`: do not check (keepalived checks them and
    /// reports `WARNING - interface X for vrrp_instance V doesn't exist`).
    pub interfaces: Option<BTreeSet<String>>,
    /// Interface MTUs, for the number of VIPs an advert can carry. Missing: 1500.
    pub mtus: std::collections::BTreeMap<String, u32>,
    /// CPUs online, for `*_cpu_affinity` ids (keepalived's range is `[0, cpus - 1]`).
    /// `None`: not checked against the host.
    pub cpus: Option<u32>,
}

fn body(n: &Node) -> &[Node] {
    match &n.body {
        Body::Keywords(b) => b,
        _ => &[],
    }
}

/// Builds the model from the top-level nodes. The nodes are consumed one by one, so the
/// syntax tree's memory is released while the model grows.
pub fn build(nodes: Vec<Node>, host: &HostFacts, diags: &mut Diagnostics) -> Config {
    let globals: Vec<Node> = nodes
        .iter()
        .filter(|n| n.keyword.text == "global_defs")
        .cloned()
        .collect();
    build_from(&globals, nodes, host, diags)
}

/// [`build`] from the `global_defs` nodes and then every top-level node in order (the
/// `global_defs` ones again, skipped), which may be made one at a time.
pub(crate) fn build_from(
    globals: &[Node],
    nodes: impl IntoIterator<Item = Node>,
    host: &HostFacts,
    diags: &mut Diagnostics,
) -> Config {
    let mut cx = Cx::new(diags);
    let mut c = Config::default();
    cx.host_cpus = host.cpus;
    // global_defs is applied first: its values are defaults for everything else.
    for n in globals {
        global::apply(&mut cx, &mut c.global, body(n));
    }
    if !c.global.dynamic_interfaces {
        cx.interfaces = host.interfaces.as_ref();
    }
    let nodes = nodes.into_iter();
    // Room for every top-level node (most are instances in a big file): the list is not
    // regrown and copied as it fills, and room never used takes no memory.
    let mut raw_instances: Vec<vrrp::RawInstance> = Vec::with_capacity(nodes.size_hint().0);
    let mut raw_groups = Vec::new();
    for n in nodes {
        let n = &n;
        match n.keyword.text.as_str() {
            "global_defs" => {}
            "vrrp_script" => {
                if let Some(s) = track::parse_vrrp_script(&mut cx, n, body(n)) {
                    cx.known_scripts.insert(s.name.clone());
                    c.vrrp_scripts.push(s);
                }
            }
            "track_file" | "vrrp_track_file" => {
                let f = track::parse_track_file(&mut cx, n, body(n));
                cx.known_files.insert(f.name.clone());
                c.track_files.push(f);
            }
            "vrrp_track_process" => {
                let p = track::parse_track_process(&mut cx, n, body(n));
                cx.known_processes.insert(p.name.clone());
                c.track_processes.push(p);
            }
            "vrrp_instance" => {
                let mut r = vrrp::read_instance(&mut cx, n, body(n));
                shrink_instance(&mut r.i);
                raw_instances.push(r);
            }
            "vrrp_sync_group" => raw_groups.push(n.clone()),
            "static_ipaddress" => {
                for l in value_lines(n) {
                    if let Some(a) = addr::parse_ip_address(&mut cx, l, true) {
                        c.static_addresses.push(a);
                    }
                }
            }
            "static_routes" => {
                for l in value_lines(n) {
                    if let Some(r) = statics::static_route(&mut cx, l) {
                        c.static_routes.push(r);
                    }
                }
            }
            "static_rules" => {
                for l in value_lines(n) {
                    if let Some(r) = statics::static_rule(&mut cx, l) {
                        c.static_rules.push(r);
                    }
                }
            }
            "garp_group" => c.garp_groups.push(garp_group(&mut cx, n)),
            "track_group" => {
                let mut group = Vec::new();
                for m in body(n) {
                    if m.keyword.text == "group" {
                        group.extend(value_lines(m).iter().flatten().map(|t| t.text.clone()));
                    }
                }
                let name = n.args.first().map(|t| t.text.clone()).unwrap_or_default();
                cx.known_track_groups.insert(name.clone());
                c.track_groups.push(TrackGroup {
                    name,
                    group,
                    span: n.span,
                });
            }
            "linkbeat_interfaces" => c.linkbeat_interfaces.extend(raw_lines(n)),
            "interface_up_down_delays" => c.interface_up_down_delays.extend(raw_lines(n)),
            "bfd_instance" => {
                let name = n.args.first().map(|t| t.text.clone()).unwrap_or_default();
                for m in body(n) {
                    let kw = m.keyword.text.as_str();
                    if let ("neighbor_ip" | "neighbour_ip" | "source_ip", Some(t)) =
                        (kw, m.args.first())
                        && t.text.parse::<std::net::IpAddr>().is_err()
                    {
                        let (what, tail) = if kw == "source_ip" {
                            ("source", "")
                        } else {
                            ("neighbor", " instance")
                        };
                        cx.err(
                            t.span,
                            format!(
                                "Configuration error: BFD instance {name} has malformed {what} address {}, ignoring{tail}",
                                t.text
                            ),
                        );
                    }
                    let _ = rules::check(&mut cx, "bfd_instance", &name, m);
                }
                c.bfd_instances.push(RawSetting::from_node(n));
            }
            "SSL" => c.ssl = Some(lvs::parse_ssl(n, body(n))),
            "virtual_server_group" => c
                .virtual_server_groups
                .push(lvs::parse_vs_group(&mut cx, n)),
            "virtual_server" => {
                if let Some(mut vs) = lvs::parse_virtual_server(&mut cx, n, body(n)) {
                    shrink_virtual_server(&mut vs);
                    c.virtual_servers.push(vs);
                }
            }
            _ => c.top_level.push(RawSetting::from_node(n)),
        }
    }
    // A track_group named before its definition: say where it is.
    for (name, at) in std::mem::take(&mut cx.missing_track_groups) {
        if let (Some(g), Some(d)) = (
            c.track_groups.iter().find(|g| g.name == name),
            cx.diags.items.get_mut(at),
        ) {
            d.help = Some(format!(
                "track_group {name} is defined at line {}, below: keepalived looks a track_group up when it reads the item naming it, so define it above",
                g.span.line
            ));
        }
    }
    // keepalived resolves sync group members against the instances as read, before it
    // completes them. (Only made when there are groups: thousands of names otherwise.)
    let names: HashSet<String> = if raw_groups.is_empty() {
        HashSet::new()
    } else {
        raw_instances.iter().map(|r| r.i.name.clone()).collect()
    };
    let mut groups = Vec::with_capacity(raw_groups.len());
    for n in &raw_groups {
        groups.push(sync_group(&mut cx, n, &names));
    }
    drop(names);
    groups.retain(|g| {
        let keep = !g.group.is_empty();
        if !keep && g.named_members {
            cx.err(
                g.span,
                format!(
                    "Sync group {}, no matching virtual router found in group declaration - removing",
                    g.name
                ),
            );
        } else if !keep {
            cx.err(g.span, format!("Sync group {} has no virtual router(s). removing", g.name));
        }
        keep
    });
    for g in &groups {
        if g.group.len() == 1 {
            cx.err(g.span, format!(
                "Sync group {} has only 1 virtual router(s) - this probably isn't what you want",
                g.name
            ));
        }
    }
    c.sync_groups = groups;
    // Collected in place (the standard library reuses the raw list's buffer, as a
    // `RawInstance` is at least as large as a `VrrpInstance`): the raw and the completed
    // instances never take memory side by side.
    let global = &c.global;
    let dropped = &mut c.dropped_instances;
    c.instances = raw_instances
        .into_iter()
        .filter_map(|r| {
            let name = r.i.name.clone();
            let Some(mut i) = complete::complete(&mut cx, global, host, r) else {
                dropped.push(name);
                return None;
            };
            i.unicast_peers.shrink_to_fit();
            Some(i)
        })
        .collect();
    // A member dropped by completion leaves its group.
    let completed: HashSet<&str> = c.instances.iter().map(|i| i.name.as_str()).collect();
    for g in &mut c.sync_groups {
        g.group.retain(|m| completed.contains(m.as_str()));
    }
    c.sync_groups.retain(|g| !g.group.is_empty());
    lvs_server::complete_all(&mut cx, &mut c);
    if cx.missing_interface {
        cx.global_err("Non-existent interface specified in configuration");
    }
    c
}

/// Push onto a list that is usually short (real servers, checkers, urls: thousands of
/// lists of one or two large items): room for one more at a time while it is short,
/// doubling after. A plain push would make room for four, and the spare room freed later
/// is too small to be reused for the next list.
pub(crate) fn push_short<T>(v: &mut Vec<T>, item: T) {
    if v.len() == v.capacity() && v.len() < 8 {
        v.reserve_exact(1);
    }
    v.push(item);
}

/// Per-instance lists without spare capacity (there are thousands of instances, each list
/// short): done as each is read, so the freed tails are reused for the next ones.
fn shrink_instance(i: &mut VrrpInstance) {
    i.vips.shrink_to_fit();
    i.evips.shrink_to_fit();
    i.vroutes.shrink_to_fit();
    i.vrules.shrink_to_fit();
    i.unicast_peers.shrink_to_fit();
    i.other.shrink_to_fit();
}

/// See [`shrink_instance`].
fn shrink_virtual_server(vs: &mut VirtualServer) {
    for rs in &mut vs.real_servers {
        for c in &mut rs.checkers {
            if let lvs::CheckerKind::Http { urls, .. } = &mut c.kind {
                for u in urls.iter_mut() {
                    u.status_code.shrink_to_fit();
                }
                urls.shrink_to_fit();
            }
        }
        rs.checkers.shrink_to_fit();
    }
    vs.real_servers.shrink_to_fit();
    vs.other.shrink_to_fit();
}

/// True unless the value rule for (`ctx`, keyword) rejects the node's value.
fn rules_ok(cx: &mut Cx<'_>, ctx: &str, n: &Node) -> bool {
    rules::check(cx, ctx, "", n) != Some(false)
}

fn raw_lines(n: &Node) -> impl Iterator<Item = RawSetting> + '_ {
    value_lines(n).iter().filter_map(|l| {
        let (first, rest) = l.split_first()?;
        Some(RawSetting {
            keyword: first.text.clone(),
            args: rest.iter().map(|t| t.text.clone()).collect(),
            span: first.span,
        })
    })
}

fn garp_group(cx: &mut Cx<'_>, n: &Node) -> GarpGroup {
    let mut g = GarpGroup {
        garp_interval: None,
        gna_interval: None,
        interfaces: Vec::new(),
        span: n.span,
    };
    for m in body(n) {
        match m.keyword.text.as_str() {
            "garp_interval" | "gna_interval" if rules_ok(cx, "garp_group", m) => {
                let v = m
                    .args
                    .first()
                    .and_then(|t| values::parse_decimal_micros(&t.text));
                if m.keyword.text == "garp_interval" {
                    g.garp_interval = v.map(Interval);
                } else {
                    g.gna_interval = v.map(Interval);
                }
            }
            "interface" => {
                if let Some(t) = m.args.first() {
                    let _ = cx.check_interface(&t.text, t.span, || {
                        format!(
                            "WARNING - interface {} specified for garp_group doesn't exist",
                            t.text
                        )
                    });
                    g.interfaces.push(t.text.clone());
                }
            }
            "interfaces" => g
                .interfaces
                .extend(value_lines(m).iter().flatten().map(|t| t.text.clone())),
            _ => {}
        }
    }
    g
}

fn sync_group(cx: &mut Cx<'_>, n: &Node, instances: &HashSet<String>) -> SyncGroup {
    let name = n.args.first().map(|t| t.text.clone()).unwrap_or_default();
    let me = format!("({name})");
    let mut g = SyncGroup {
        name,
        group: Vec::new(),
        track: Tracking::default(),
        notify: Notify::default(),
        smtp_alert: None,
        notify_priority_changes: None,
        sync_group_tracking_weight: false,
        span: n.span,
        named_members: false,
    };
    for m in body(n) {
        let kw = m.keyword.text.as_str();
        if g.notify.set(kw, m) || g.track.read(cx, &me, kw, m) {
            continue;
        }
        match kw {
            "group" => {
                for t in value_lines(m).iter().flatten() {
                    g.named_members = true;
                    if instances.contains(t.text.as_str()) {
                        g.group.push(t.text.clone());
                    } else {
                        cx.err(
                            t.span,
                            format!(
                                "Virtual router {} specified in sync group {} doesn't exist - ignoring",
                                t.text, g.name
                            ),
                        );
                    }
                }
            }
            "smtp_alert" => g.smtp_alert = cx.bool_arg(m, "vrrp_sync_group smtp_alert"),
            "notify_priority_changes" => g.notify_priority_changes = cx.bool_arg(m, kw),
            "sync_group_tracking_weight" => g.sync_group_tracking_weight = true,
            "global_tracking" => cx.err(
                m.keyword.span,
                format!(
                    "{me} global_tracking is deprecated. Use track_interface/script/file on the sync group"
                ),
            ),
            _ => {}
        }
    }
    g
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_lvs;
#[cfg(test)]
mod tests_process;
#[cfg(test)]
pub(crate) mod testutil;

/// One script the configuration would run, with where it came from: the input to the
/// script-security check (spec 2.6 `check_script_secure()`).
#[derive(Debug, Clone, Copy)]
pub struct ScriptUse<'a> {
    /// e.g. `vrrp_script chk`, `vrrp_instance VI_1 notify_master`, `MISC_CHECK`.
    pub context: &'a str,
    pub owner: &'a str,
    pub script: &'a Script,
}

impl Config {
    /// Every script the configuration names, in file order per kind.
    pub fn scripts(&self) -> Vec<ScriptUse<'_>> {
        let mut v = Vec::new();
        let g = &self.global;
        for (ctx, s) in [
            ("startup_script", &g.startup_script),
            ("shutdown_script", &g.shutdown_script),
        ] {
            if let Some(s) = s {
                v.push(ScriptUse {
                    context: ctx,
                    owner: "global_defs",
                    script: s,
                });
            }
        }
        for (ctx, f) in [
            ("notify_fifo_script", &g.notify_fifo),
            ("vrrp_notify_fifo_script", &g.vrrp_notify_fifo),
            ("lvs_notify_fifo_script", &g.lvs_notify_fifo),
        ] {
            if let Some(s) = f.as_ref().and_then(|f| f.script.as_ref()) {
                v.push(ScriptUse {
                    context: ctx,
                    owner: "global_defs",
                    script: s,
                });
            }
        }
        for s in &self.vrrp_scripts {
            v.push(ScriptUse {
                context: "vrrp_script",
                owner: &s.name,
                script: &s.script,
            });
        }
        for i in &self.instances {
            for s in i.notify.all() {
                v.push(ScriptUse {
                    context: "vrrp_instance",
                    owner: &i.name,
                    script: s,
                });
            }
        }
        for gr in &self.sync_groups {
            for s in gr.notify.all() {
                v.push(ScriptUse {
                    context: "vrrp_sync_group",
                    owner: &gr.name,
                    script: s,
                });
            }
        }
        for vs in &self.virtual_servers {
            for s in vs.quorum_up.iter().chain(vs.quorum_down.iter()) {
                v.push(ScriptUse {
                    context: "virtual_server",
                    owner: "quorum",
                    script: s,
                });
            }
            for rs in &vs.real_servers {
                for s in rs.notify_up.iter().chain(rs.notify_down.iter()) {
                    v.push(ScriptUse {
                        context: "real_server",
                        owner: "notify",
                        script: s,
                    });
                }
                for c in &rs.checkers {
                    if let lvs::CheckerKind::Misc { path: Some(s), .. } = &c.kind {
                        v.push(ScriptUse {
                            context: "MISC_CHECK",
                            owner: "misc_path",
                            script: s,
                        });
                    }
                }
            }
        }
        v
    }
}
