//! The three processes (behaviour spec 4.1, 4.4): the parent (config check, pid file,
//! daemonising, supervisor), the VRRP child and the checker child. One current-thread tokio
//! runtime per process, built after any re-exec: nothing forks once a runtime exists.

use crate::cli::Options;
use crate::logging::{self, LogOptions, Role};
use crate::pidfile::{self, PidFile};
use crate::supervisor::{self, ChildKind, RESPAWN_ENV};
use crate::vrrp;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tracing::{error, info, warn};

fn log_options(opts: &Options, role: Role) -> LogOptions {
    LogOptions {
        role,
        console: opts.log_console,
        syslog: !opts.no_syslog,
        detail: opts.log_detail,
        facility: opts
            .log_facility
            .as_deref()
            .and_then(logging::parse_facility)
            .unwrap_or(3),
    }
}

/// Enters `-s NAME` before anything else opens a socket.
fn enter_namespace(opts: &Options) -> Result<(), i32> {
    if let Some(ns) = &opts.namespace
        && let Err(e) = alived_sys::netns::enter(ns)
    {
        error!("cannot enter network namespace {ns}: {e}");
        return Err(1);
    }
    Ok(())
}

fn current_thread_runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            error!("cannot start the runtime: {e}");
            None
        }
    }
}

/// A pid file, or a logged error. keepalived refuses to start over a live pid.
fn pid_file(path: &Path) -> Result<PidFile, i32> {
    if let Ok(text) = std::fs::read_to_string(path)
        && let Ok(pid) = text.trim().parse::<u32>()
        && pid != std::process::id()
        && Path::new(&format!("/proc/{pid}")).exists()
    {
        error!(
            "daemon is already running (pid {pid} in {})",
            path.display()
        );
        return Err(1);
    }
    PidFile::create(path).map_err(|e| {
        error!("cannot write pid file {}: {e}", path.display());
        1
    })
}

/// Which children to start (spec 4.1: only with matching configuration, `--all` forces, `-P`
/// / `-C` choose one).
fn children(opts: &Options, loaded: &vrrp::Loaded) -> Vec<ChildKind> {
    let mut kinds = Vec::new();
    let vrrp = !opts.check_only && (opts.all || opts.vrrp_only || !loaded.instances.is_empty());
    let check = !opts.vrrp_only && (opts.all || opts.check_only || loaded.has_virtual_servers);
    if vrrp {
        kinds.push(ChildKind::Vrrp);
    }
    if check {
        kinds.push(ChildKind::Checker);
    }
    kinds
}

/// The parent process.
pub fn parent(opts: &Options) -> i32 {
    let loaded = match vrrp::load(opts) {
        Ok(l) => l,
        Err(e) => {
            eprint!("{e}");
            return 1;
        }
    };
    if !opts.dont_fork {
        // Daemonise by re-executing ourselves in the background, in a new process group,
        // before any runtime exists.
        let args: Vec<_> = std::env::args_os().skip(1).collect();
        return match Command::new("/proc/self/exe")
            .args(args)
            .arg("--dont-fork")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
        {
            Ok(_) => 0,
            Err(e) => {
                eprintln!("cannot start in the background: {e}");
                1
            }
        };
    }
    logging::init(log_options(opts, Role::Parent));
    if let Err(code) = enter_namespace(opts) {
        return code;
    }
    info!("Starting alived v{}", env!("CARGO_PKG_VERSION"));
    info!("Configuration file {}", opts.use_file.display());
    for line in &loaded.report {
        warn!("{line}");
    }
    if loaded.auto_priority_notice {
        info!("{}", crate::sched::AUTO_PRIORITY_NOTICE);
    }
    let path = opts
        .pid
        .clone()
        .unwrap_or_else(|| PathBuf::from(pidfile::PARENT));
    let _pid = match pid_file(&path) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let kinds = children(opts, &loaded);
    // The children read the configuration themselves: the parent keeps none of it.
    drop(loaded);
    alived_sys::release_idle_memory();
    let Some(rt) = current_thread_runtime() else {
        return 1;
    };
    let check = || {
        info!("Configuration file {}", opts.use_file.display());
        // Checked and dropped: as after start, the parent keeps none of it.
        let checked = vrrp::load_for_reload(opts).map(|l| supervisor::Checked {
            kinds: children(opts, &l),
            warnings: l.report,
        });
        alived_sys::release_idle_memory();
        checked
    };
    let code = match rt.block_on(supervisor::run(&kinds, !opts.dont_respawn, check)) {
        Ok(c) => c,
        Err(e) => {
            error!("{e}");
            1
        }
    };
    info!("Stopped alived v{}", env!("CARGO_PKG_VERSION"));
    code
}

/// A child dies with its parent: SIGTERM when the parent goes (keepalived's
/// PR_SET_PDEATHSIG), so that a killed parent still releases its VIPs cleanly.
fn die_with_parent() {
    if let Err(e) = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM) {
        warn!("cannot set the parent-death signal: {e}");
    }
}

/// The VRRP child.
pub fn vrrp_child(opts: &Options) -> i32 {
    logging::init(log_options(opts, Role::Vrrp));
    die_with_parent();
    if let Err(code) = enter_namespace(opts) {
        return code;
    }
    let path = opts
        .vrrp_pid
        .clone()
        .unwrap_or_else(|| PathBuf::from(pidfile::VRRP));
    let _pid = match pid_file(&path) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let run = vrrp::driver::RunOptions {
        respawned: std::env::var_os(RESPAWN_ENV).is_some_and(|v| v == "1"),
        release_vips: !opts.dont_release_vrrp,
        cli: opts.clone(),
    };
    vrrp::run(opts, run)
}

/// The checker child. Health checking is a later issue: it says so and waits for TERM.
pub fn checker_child(opts: &Options) -> i32 {
    logging::init(log_options(opts, Role::Checker));
    die_with_parent();
    let path = opts
        .checkers_pid
        .clone()
        .unwrap_or_else(|| PathBuf::from(pidfile::CHECKERS));
    let _pid = match pid_file(&path) {
        Ok(p) => p,
        Err(code) => return code,
    };
    warn!("Health checking is not implemented yet - checker process idle");
    // `checker_priority`, `checker_rt_priority`...: the configuration read for them only
    // (the parent has reported its problems).
    let loaded = alived_config::load_file(&opts.use_file, &crate::check::load_options(opts));
    let setup = crate::sched::Setup::from_config(&loaded.config.global, crate::sched::Who::Checker);
    drop(loaded);
    alived_sys::release_idle_memory();
    crate::sched::apply(crate::sched::Who::Checker, &setup.process);
    // Idle: nothing to start first.
    crate::sched::enter_real_time(crate::sched::Who::Checker, &setup.process);
    let Some(rt) = current_thread_runtime() else {
        return 1;
    };
    rt.block_on(async {
        crate::sched::watch_cpu_limit(crate::sched::Who::Checker);
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) else {
            return 1;
        };
        loop {
            tokio::select! {
                _ = term.recv() => break,
                _ = int.recv() => break,
                // The parent forwards HUP; nothing to reload while the checker is idle.
                _ = hup.recv() => info!("Got SIGHUP, reloading checker configuration"),
            }
        }
        info!("Stopped");
        0
    })
}
