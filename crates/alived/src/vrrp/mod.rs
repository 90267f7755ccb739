//! The VRRP child process (behaviour spec 4.1): reads the configuration, runs every
//! `vrrp_instance` (and `vrrp_sync_group`) on one current-thread runtime, and on TERM sends
//! priority 0 and removes its VIPs, routes and rules.
//!
//! Files: `build.rs` (configuration model -> [`spec::InstanceSpec`], the only file that knows
//! the model), `iface.rs` (interfaces, VIPs, routes, VMAC), `rx.rs` (receive validation,
//! drop counters, rate-limited logs), `tx.rs` (adverts, GARP/NA bursts), `setup.rs` (start-up
//! of one instance), `driver.rs` (event loop).
//!
//! Applied: VRRPv2/v3, IPv4/IPv6, multicast (`mcast_dst_ip`, `vrrp_mcast_group4/6`) and
//! unicast (`unicast_src_ip`, `unicast_peer` with `min_ttl`/`max_ttl`, `check_unicast_src`),
//! PASS and AH authentication, `virtual_ipaddress` (+ `_excluded`) with `dev`/`label`/`brd`,
//! `virtual_routes`/`virtual_rules` (plain unicast routes; others are reported and left out),
//! `track_interface`, `dont_track_primary`, `use_vmac`/`vmac_xmit_base`, GARP/NA schedules and
//! pacing, `vrrp_startup_delay`, sync groups. A process restarted by its parent
//! (`ALIVED_RESPAWN=1`) that finds an instance's VIPs in place resumes MASTER at once.
//!
//! `track_script` runs `vrrp_script`s and `track_file` watches files (`scripts.rs`).
//!
//! Not yet (reported at start as "not supported yet"):
//! `track_process`/`track_bfd`, notify scripts, `track_src_ip`; reload on HUP and the USR1/USR2
//! dumps are logged and ignored.

pub mod build;
pub mod driver;
pub mod iface;
pub mod rx;
pub mod scripts;
pub mod setup;
pub mod spec;
pub mod tx;

/// What the processes need from the configuration file.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub instances: Vec<spec::InstanceSpec>,
    /// Instances that cannot run, and why (logged by the VRRP process; the others run).
    pub disabled: Vec<String>,
    pub sync_groups: Vec<alived_vrrp::sync::SyncGroupConfig>,
    pub scripts: Vec<spec::VrrpScriptSpec>,
    pub track_files: Vec<spec::TrackFileSpec>,
    pub has_virtual_servers: bool,
    /// `vrrp_startup_delay`.
    pub startup_delay: std::time::Duration,
    /// The configuration's diagnostics, one line each.
    pub report: Vec<String>,
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
    let (instances, disabled) = build::instances(&loaded.config);
    Ok(Loaded {
        instances,
        disabled: disabled.iter().map(ToString::to_string).collect(),
        sync_groups: build::sync_groups(&loaded.config),
        scripts: build::vrrp_scripts(&loaded.config),
        track_files: build::track_files(&loaded.config),
        has_virtual_servers: build::has_virtual_servers(&loaded.config),
        startup_delay: build::startup_delay(&loaded.config),
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
    })
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
    match rt.block_on(driver::run(loaded, opts)) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e}");
            1
        }
    }
}
