//! The VRRP child process (behaviour spec 4.1): reads the configuration, runs every
//! `vrrp_instance` (and `vrrp_sync_group`) on one current-thread runtime, and on TERM sends
//! priority 0 and removes its VIPs, routes and rules.
//!
//! Files: `build.rs` (configuration model -> [`spec::InstanceSpec`], the only file that knows
//! the model), `iface.rs` (interfaces, VIPs, routes, VMAC), `rx.rs` (receive validation,
//! drop counters, rate-limited logs), `tx.rs` (adverts, GARP/NA bursts), `setup.rs` (start-up
//! of one instance), `driver.rs` (event loop), `wake.rs` (its signals, and the gate that
//! polls rarely ready inputs only when they woke it).
//!
//! Applied: VRRPv2/v3, IPv4/IPv6, multicast (`mcast_dst_ip`, `vrrp_mcast_group4/6`) and
//! unicast (`unicast_src_ip`, `unicast_peer` with `min_ttl`/`max_ttl`, `check_unicast_src`),
//! PASS and AH authentication, `virtual_ipaddress` (+ `_excluded`) with `dev`/`label`/`brd`,
//! `virtual_routes`/`virtual_rules` (plain unicast routes; others are reported and left out),
//! `track_interface`, `dont_track_primary`, `use_vmac`/`vmac_xmit_base`, GARP/NA schedules and
//! pacing, `vrrp_startup_delay`, sync groups. A process restarted by its parent
//! (`ALIVED_RESPAWN=1`) that finds an instance's VIPs in place resumes MASTER at once.
//!
//! `track_script`, `track_file` and `track_process` feed the instances (`track.rs`, with the
//! scripts prepared and security-checked by `scripts.rs`); transitions run the notify scripts,
//! write the notify FIFOs and send mail (`notify.rs`).
//!
//! `static_ipaddress`, `static_routes` and `static_rules` are added at start and removed at
//! stop (`statics.rs`), and put back when deleted from outside (`statics_restore.rs`); the
//! instances of a `track_group` track the interfaces of the items naming it.
//!
//! Reload on HUP (`reload.rs`, with the pure `diff.rs`): the configuration is read again and
//! only what changed is applied; a configuration with errors is refused and the running one
//! stays.
//!
//! Process scheduling (`vrrp_priority`, `vrrp_rt_priority`, `vrrp_rlimit_rttime`,
//! `vrrp_no_swap`, `vrrp_cpu_affinity`, `max_auto_priority`): `crate::sched`, applied at
//! start (the real-time priority once start-up is over) and on reload.
//!
//! Not yet (reported at start as "not supported yet"):
//! `track_bfd`, `track_src_ip`; the USR1/USR2 dumps are logged and ignored.

pub mod build;
pub mod diff;
pub mod driver;
pub mod iface;
pub mod notify;
mod pacing;
mod quiet;
pub mod reload;
pub mod rx;
pub mod scripts;
pub mod setup;
pub mod spec;
pub mod statics;
pub mod statics_restore;
pub mod track;
pub mod tx;
mod wake;

/// What the processes need from the configuration file.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub instances: Vec<spec::InstanceSpec>,
    /// Instances that cannot run, and why (logged by the VRRP process; the others run).
    pub disabled: Vec<String>,
    /// Configured top-level items this version does not act on yet, logged at start so that
    /// nothing configured is ignored silently.
    pub unsupported: Vec<String>,
    pub sync_groups: Vec<alived_vrrp::sync::SyncGroupConfig>,
    pub has_virtual_servers: bool,
    /// `static_ipaddress`, `static_routes`, `static_rules` (statics.rs).
    pub statics: statics::StaticSpec,
    /// `vrrp_startup_delay`.
    pub startup_delay: std::time::Duration,
    /// `vrrp_script`s, `track_file`s, `vrrp_track_process`es and who tracks them (track.rs).
    pub track: track::TrackSetup,
    /// Notify scripts, FIFOs and mail (notify.rs).
    pub notify: notify::NotifySetup,
    /// `vrrp_priority`, `vrrp_rt_priority`... and `max_auto_priority` (crate::sched).
    pub sched: crate::sched::Setup,
    /// Whether the parent logs keepalived's `max_auto_priority` NOTICE at start.
    pub auto_priority_notice: bool,
    /// The configuration's diagnostics, one line each.
    pub report: Vec<String>,
    /// Why a reload must not use this configuration although a start would (an instance
    /// lost to an error, a configuration cut short); empty if it may.
    pub unsafe_for_reload: Vec<String>,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Fatal(String),
}

/// Reads and checks the configuration file (`-f`, with `-i`/`-e`).
pub fn load(opts: &crate::cli::Options) -> Result<Loaded, LoadError> {
    let loaded = alived_config::load_file(&opts.use_file, &crate::check::load_options(opts));
    if loaded.diags.exit_code() == 4 {
        let report = alived_config::render::render_all(&loaded.diags, &loaded.sources);
        return Err(LoadError::Fatal(report));
    }
    let (mut instances, disabled) = build::instances(&loaded.config);
    let statics = statics::StaticSpec::from_config(&loaded.config);
    statics.track_in(&mut instances);
    Ok(Loaded {
        instances,
        disabled: disabled.iter().map(ToString::to_string).collect(),
        unsupported: unsupported(&loaded.config),
        sync_groups: build::sync_groups(&loaded.config),
        has_virtual_servers: build::has_virtual_servers(&loaded.config),
        statics,
        startup_delay: build::startup_delay(&loaded.config),
        track: track::TrackSetup::from_config(&loaded.config),
        notify: notify::NotifySetup::from_config(&loaded.config),
        sched: crate::sched::Setup::from_config(&loaded.config.global, crate::sched::Who::Vrrp),
        auto_priority_notice: loaded.config.global.auto_priority_notice(),
        // One log line per problem (`FILE:LINE:COL: severity: message`), as keepalived logs.
        report: loaded
            .diags
            .items
            .iter()
            .filter_map(|d| {
                let text = alived_config::render::render(d, &loaded.sources);
                text.lines().next().map(str::to_owned)
            })
            .collect(),
        unsafe_for_reload: unsafe_for_reload(&loaded, &disabled),
    })
}

/// Why a configuration that would run must still not replace a running one: errors that
/// cost an instance (no VRID, a VRID out of range, no VIP where one is needed, no such
/// interface), or that cut the configuration short (unbalanced braces, a keyword without its
/// value). Other errors (a deprecated keyword, `auth_pass` truncated, an unknown keyword) are
/// logged and the configuration applied, as keepalived applies it.
fn unsafe_for_reload(
    loaded: &alived_config::Loaded,
    disabled: &[build::BuildError],
) -> Vec<String> {
    use alived_config::diag::Severity;
    let mut why: Vec<String> = Vec::new();
    let items = &loaded.diags.items;
    if items.iter().any(|d| d.severity >= Severity::Fatal) {
        why.push("the configuration could not be read completely".to_owned());
    }
    // keepalived's wording for unbalanced braces: blocks may have swallowed each other.
    if items
        .iter()
        .any(|d| d.message.contains("missing '}'s or extra '{'s"))
    {
        why.push("the configuration's braces do not balance".to_owned());
    }
    for name in &loaded.config.dropped_instances {
        why.push(format!("({name}) would be removed because of an error"));
    }
    for d in disabled {
        why.push(format!("{d} - instance would be disabled"));
    }
    why
}

/// Reads and checks the configuration for a reload (spec 4.2): the reasons it cannot be used,
/// one log line each. A configuration with errors that would cost an instance or cut the
/// configuration short is refused (see [`unsafe_for_reload`]): keepalived 2.2.7 reloads such
/// a configuration anyway and its VRRP process exits on it (measured with a VRID of 300 and
/// with a missing brace: `exited with permanent error CONFIG`, VIPs left in place while the
/// backup takes over); alived keeps running on the old one instead.
///
/// A missing configuration file is refused too: 2.2.7 logs `Config files missing '…'.` and
/// `Failed to open configuration file`, then reloads an empty configuration, removing every
/// instance (measured: `(VI_1) sent 0 priority`, `(VI_1) removing VIPs.`).
pub fn load_for_reload(opts: &crate::cli::Options) -> Result<Loaded, Vec<String>> {
    if !opts.use_file.is_file() {
        return Err(vec![
            format!("Config files missing '{}'.", opts.use_file.display()),
            "Failed to open configuration file".to_owned(),
        ]);
    }
    match load(opts) {
        Err(LoadError::Fatal(report)) => Err(report.lines().map(str::to_owned).collect()),
        Ok(l) if !l.unsafe_for_reload.is_empty() => {
            let errors = l.report.iter().filter(|r| r.contains(": error: ")).cloned();
            Err(errors.chain(l.unsafe_for_reload).collect())
        }
        Ok(l) => Ok(l),
    }
}

/// The line logged when a reload is refused (keepalived's wording for `reload_check_config`,
/// without its log file).
pub const RELOAD_REFUSED: &str = "New config failed validation, see the lines above for details - keeping the running configuration";

/// The top-level VRRP-side items the daemon does not apply yet, one line each.
fn unsupported(config: &alived_config::model::Config) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(statics::StaticSpec::from_config(config).unsupported);
    if !config.bfd_instances.is_empty() {
        out.push(format!(
            "bfd_instance ({} instances)",
            config.bfd_instances.len()
        ));
        // No BFD process to schedule (keepalived says nothing without a bfd_instance: it
        // starts no BFD process then).
        if config.global.bfd_process.is_set() {
            out.push(
                "bfd_priority/bfd_rt_priority/bfd_no_swap/bfd_cpu_affinity (there is no BFD process)"
                    .to_owned(),
            );
        }
    }
    out
}

/// Runs the VRRP process; returns its exit code (keepalived's: 0 stopped, 1 fatal, 2 config).
pub fn run(cli: &crate::cli::Options, opts: driver::RunOptions) -> i32 {
    let loaded = match load(cli) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("{e}");
            return 2;
        }
    };
    for why in &loaded.disabled {
        tracing::error!("{why} - instance disabled");
    }
    for what in &loaded.unsupported {
        tracing::warn!("{what} is not supported yet - ignored");
    }
    // Scheduling first, on the thread that will run the loop, before the runtime exists (the
    // real-time priority once start-up is over: driver.rs).
    crate::sched::apply(crate::sched::Who::Vrrp, &loaded.sched.process);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the runtime: {e}");
            return 1;
        }
    };
    match rt.block_on(async {
        crate::sched::watch_cpu_limit(crate::sched::Who::Vrrp);
        driver::run(loaded, opts).await
    }) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    fn opts(path: &std::path::Path) -> crate::cli::Options {
        crate::cli::Cli::try_parse_from(["alived", "-f", &path.display().to_string()])
            .unwrap()
            .opts
    }

    #[test]
    fn a_reload_refuses_a_configuration_with_errors_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.conf");
        // An interface this host has (the configuration is checked against the host).
        let Some(ifname) = crate::check::host_facts()
            .interfaces
            .into_iter()
            .flatten()
            .find(|i| i != "lo")
        else {
            eprintln!("no interface besides lo - skipped");
            return;
        };
        let good = format!(
            "vrrp_instance VI_1 {{\n interface {ifname}\n virtual_router_id 51\n \
             virtual_ipaddress {{\n 10.0.0.1\n }}\n}}\n"
        );
        std::fs::write(&path, &good).unwrap();
        let l = load_for_reload(&opts(&path)).unwrap();
        assert_eq!(l.instances.len(), 1);
        std::fs::write(&path, good.replace("51", "300")).unwrap();
        let why = load_for_reload(&opts(&path)).err().unwrap();
        assert!(
            why.iter().any(|l| l.contains("VRID '300' not valid")),
            "{why:?}"
        );
        std::fs::write(
            &path,
            format!("{good}vrrp_instance VI_2 {{\n interface lo\n"),
        )
        .unwrap();
        assert!(load_for_reload(&opts(&path)).is_err());
        std::fs::remove_file(&path).unwrap();
        assert!(load_for_reload(&opts(&path)).is_err());
        // Errors keepalived only reports (a truncated password, a one-member sync group, an
        // unknown keyword) do not stop a reload.
        let reported = good
            .replace(
                "virtual_router_id 51",
                "virtual_router_id 51\n authentication {\n auth_type PASS\n auth_pass 0123456789\n }\n nonsense 1",
            )
            + "vrrp_sync_group G1 {\n group {\n VI_1\n }\n}\n";
        std::fs::write(&path, &reported).unwrap();
        let l = load_for_reload(&opts(&path)).unwrap();
        assert!(
            l.report.iter().any(|r| r.contains("error")),
            "{:?}",
            l.report
        );
        assert_eq!(l.instances.len(), 1);
    }
}
