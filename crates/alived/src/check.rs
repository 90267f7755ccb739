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
        config_id: opts.config_id.clone().or_else(default_config_id),
        all_config: opts.all_config,
    }
}

/// Runs the check; returns the process exit code.
pub fn run(opts: &Options, log_file: &str) -> i32 {
    let loaded = alived_config::load_file(&opts.use_file, &load_options(opts));
    let mut report = String::new();
    for d in &loaded.diags.items {
        report.push_str(&alived_config::render::render(d, &loaded.sources));
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
    loaded.diags.exit_code()
}
