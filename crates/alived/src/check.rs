//! `alived -t`: check a configuration and exit as `keepalived -t` does (behaviour spec 1.10):
//! 0 clean, 4 cannot run, 5 errors but will run, 6 security problem. Each problem is printed as
//! `FILE:LINE:COL: severity: message`, with the source line, a marker and any suggestion.

use crate::cli::Options;
use std::io::Write as _;

/// The config id keepalived uses when `-i` is not given: the node name up to the first dot.
pub fn default_config_id() -> Option<String> {
    let name = nix::unistd::gethostname().ok()?.into_string().ok()?;
    Some(name.split('.').next().unwrap_or_default().to_owned())
}

pub fn load_options(opts: &Options) -> alived_config::LoadOptions {
    alived_config::LoadOptions {
        parse: alived_config::preprocess::Options {
            config_id: opts.config_id.clone().or_else(default_config_id),
            all_config: opts.all_config,
        },
        host: host_facts(),
    }
}

/// The number of CPUs in a kernel CPU list such as `0-3,6` (`/sys/devices/system/cpu/online`).
fn count_cpus(list: &str) -> Option<u32> {
    let mut n = 0u32;
    for part in list.trim().split(',').filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
        n = n.checked_add(b.checked_sub(a)?.checked_add(1)?)?;
    }
    (n > 0).then_some(n)
}

/// The interfaces of the current network namespace and their MTUs, as keepalived checks them
/// (`interface X for vrrp_instance V doesn't exist`; VIPs per advert limited by the MTU), and
/// the CPUs online (`*_cpu_affinity` ids: keepalived's range is the CPU count, not the
/// caller's affinity, measured under `taskset`).
pub fn host_facts() -> alived_config::model::HostFacts {
    let mut facts = alived_config::model::HostFacts {
        cpus: std::fs::read_to_string("/sys/devices/system/cpu/online")
            .ok()
            .and_then(|l| count_cpus(&l)),
        ..Default::default()
    };
    let Ok(dir) = std::fs::read_dir("/sys/class/net") else {
        return facts;
    };
    let mut names = std::collections::BTreeSet::new();
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let mtu = std::fs::read_to_string(entry.path().join("mtu")).ok();
        if let Some(mtu) = mtu.and_then(|m| m.trim().parse().ok()) {
            facts.mtus.insert(name.clone(), mtu);
        }
        names.insert(name);
    }
    facts.interfaces = Some(names);
    facts
}

/// Runs the check; returns the process exit code.
pub fn run(opts: &Options, log_file: &str) -> i32 {
    let loaded = alived_config::load_file(&opts.use_file, &load_options(opts));
    let mut report = alived_config::render::render_all(&loaded.diags, &loaded.sources);
    // keepalived's script checks: their lines, and exit 6 (violation) / 5 (track script
    // removed) over a configuration that is otherwise usable.
    let (script_code, script_lines) = crate::vrrp::scripts::config_test(&loaded.config);
    for line in script_lines {
        report.push_str(&line);
        report.push('\n');
    }
    let written = if log_file.is_empty() {
        std::io::stderr().write_all(report.as_bytes())
    } else {
        std::fs::write(log_file, report.as_bytes())
    };
    if let Err(e) = written {
        eprintln!("cannot write the config-test report to {log_file}: {e}");
    }
    if opts.dump_json {
        match serde_json::to_string_pretty(&loaded.config) {
            Ok(json) => println!("{json}"),
            Err(e) => eprintln!("cannot serialise the configuration: {e}"),
        }
    }
    match loaded.diags.exit_code() {
        code @ (0 | 5) => code.max(script_code),
        code => code,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_lists_are_counted() {
        assert_eq!(super::count_cpus("0-1\n"), Some(2));
        assert_eq!(super::count_cpus("0"), Some(1));
        assert_eq!(super::count_cpus("0-3,6,8-9"), Some(7));
        assert_eq!(super::count_cpus(""), None);
        assert_eq!(super::count_cpus("3-1"), None);
        assert_eq!(super::count_cpus("x"), None);
    }
}
