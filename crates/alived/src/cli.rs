//! keepalived's command line (behaviour spec 4.3), with alived's additions.
//!
//! Every keepalived option is accepted so that an existing unit file or init script keeps
//! working; options alived does not act on yet are accepted and reported once at start.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

pub const DEFAULT_CONFIG: &str = "/etc/keepalived/keepalived.conf";

#[derive(Debug, Parser)]
#[command(
    name = "alived",
    version,
    about = "A keepalived-compatible high-availability daemon",
    disable_version_flag = true
)]
pub struct Cli {
    #[command(flatten)]
    pub opts: Options,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a throwaway lab of network namespaces and rehearse a failover (root).
    Demo(crate::demo::DemoArgs),
}

#[derive(Debug, Clone, Args)]
pub struct Options {
    /// Use the specified configuration file.
    #[arg(short = 'f', long = "use-file", value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub use_file: PathBuf,
    /// Only run with VRRP subsystem.
    #[arg(short = 'P', long = "vrrp")]
    pub vrrp_only: bool,
    /// Only run with Health-checker subsystem.
    #[arg(short = 'C', long = "check")]
    pub check_only: bool,
    /// Don't run BFD subsystem.
    #[arg(short = 'B', long = "no_bfd")]
    pub no_bfd: bool,
    /// Force all child processes to run, even if they have no configuration.
    #[arg(long = "all")]
    pub all: bool,
    /// Log messages to local console.
    #[arg(short = 'l', long = "log-console")]
    pub log_console: bool,
    /// Detailed log messages.
    #[arg(short = 'D', long = "log-detail")]
    pub log_detail: bool,
    /// Set syslog facility to LOG_LOCAL[0-7], user or daemon (default).
    #[arg(short = 'S', long = "log-facility", value_name = "FACILITY")]
    pub log_facility: Option<String>,
    /// Don't log via syslog.
    #[arg(short = 'G', long = "no-syslog")]
    pub no_syslog: bool,
    /// umask for file creation (in numeric form).
    #[arg(short = 'u', long = "umask", value_name = "MASK")]
    pub umask: Option<String>,
    /// Drop VIP on transition from signal.
    #[arg(short = 'X', long = "release-vips")]
    pub release_vips: bool,
    /// Don't remove VRRP VIPs and VROUTEs on daemon stop.
    #[arg(short = 'V', long = "dont-release-vrrp")]
    pub dont_release_vrrp: bool,
    /// Don't remove IPVS topology on daemon stop.
    #[arg(short = 'I', long = "dont-release-ipvs")]
    pub dont_release_ipvs: bool,
    /// Don't respawn child processes.
    #[arg(short = 'R', long = "dont-respawn")]
    pub dont_respawn: bool,
    /// Don't fork the daemon process.
    #[arg(short = 'n', long = "dont-fork")]
    pub dont_fork: bool,
    /// Dump the configuration data.
    #[arg(short = 'd', long = "dump-conf")]
    pub dump_conf: bool,
    /// Use specified pidfile for parent process.
    #[arg(short = 'p', long = "pid", value_name = "FILE")]
    pub pid: Option<PathBuf>,
    /// Use specified pidfile for VRRP child process.
    #[arg(short = 'r', long = "vrrp_pid", value_name = "FILE")]
    pub vrrp_pid: Option<PathBuf>,
    /// Use specified pidfile for checkers child process.
    #[arg(short = 'c', long = "checkers_pid", value_name = "FILE")]
    pub checkers_pid: Option<PathBuf>,
    /// Use specified pidfile for BFD child process.
    #[arg(short = 'b', long = "bfd_pid", value_name = "FILE")]
    pub bfd_pid: Option<PathBuf>,
    /// Report all address additions/deletions notified via netlink.
    #[arg(short = 'a', long = "address-monitoring")]
    pub address_monitoring: bool,
    /// Enable SNMP subsystem (accepted; alived has no SNMP agent).
    #[arg(short = 'x', long = "snmp")]
    pub snmp: bool,
    /// Use the specified socket for master agent.
    #[arg(short = 'A', long = "snmp-agent-socket", value_name = "FILE")]
    pub snmp_agent_socket: Option<String>,
    /// Run in network namespace NAME (overrides config).
    #[arg(short = 's', long = "namespace", value_name = "NAME")]
    pub namespace: Option<String>,
    /// Produce core dump if terminate abnormally.
    #[arg(short = 'm', long = "core-dump")]
    pub core_dump: bool,
    /// Also set /proc/sys/kernel/core_pattern to PATN.
    #[arg(short = 'M', long = "core-dump-pattern", value_name = "PATN", num_args = 0..=1,
          require_equals = true, default_missing_value = "core")]
    pub core_dump_pattern: Option<String>,
    /// Error if any configuration file missing.
    #[arg(short = 'e', long = "all-config")]
    pub all_config: bool,
    /// Skip any configuration lines beginning '@' that don't match id, or any lines
    /// beginning @^ that do match. Defaults to the node name up to the first dot.
    #[arg(short = 'i', long = "config-id", value_name = "ID")]
    pub config_id: Option<String>,
    /// Print the signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON.
    #[arg(long = "signum", value_name = "SIGFUNC")]
    pub signum: Option<String>,
    /// Check the configuration for obvious errors, output to stderr by default.
    #[arg(short = 't', long = "config-test", value_name = "LOG_FILE", num_args = 0..=1,
          require_equals = true, default_missing_value = "")]
    pub config_test: Option<String>,
    /// With -t: print the resolved configuration model as JSON on stdout.
    #[arg(long = "dump-json", requires = "config_test")]
    pub dump_json: bool,
    /// Display the version number.
    #[arg(short = 'v', long = "version")]
    pub version: bool,
    /// Internal: the role of a re-executed child process (vrrp or check).
    #[arg(long = "role", hide = true, value_name = "ROLE")]
    pub role: Option<String>,
}

/// keepalived's `--signum` names and numbers (spec 4.2; glibc's SIGRTMIN is 34, SIGRTMAX 64).
pub fn signum(name: &str) -> Option<i32> {
    Some(match name {
        "STOP" => 15,
        "RELOAD" => 1,
        "DATA" => 10,
        "STATS" => 12,
        "STATS_CLEAR" => 63,
        "JSON" => 36,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("alived").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn default_config_path_is_keepalived_s() {
        assert_eq!(parse(&[]).opts.use_file, PathBuf::from(DEFAULT_CONFIG));
    }

    #[test]
    fn short_flags_combine_as_getopt_does() {
        let cli = parse(&["-nlD", "-f", "/tmp/k.conf", "-p", "/tmp/p"]);
        assert!(cli.opts.dont_fork && cli.opts.log_console && cli.opts.log_detail);
        assert_eq!(cli.opts.use_file, PathBuf::from("/tmp/k.conf"));
        assert_eq!(cli.opts.pid, Some(PathBuf::from("/tmp/p")));
    }

    #[test]
    fn config_test_takes_an_optional_attached_log_file() {
        assert_eq!(parse(&["-t"]).opts.config_test.as_deref(), Some(""));
        assert_eq!(
            parse(&["--config-test=/tmp/log"])
                .opts
                .config_test
                .as_deref(),
            Some("/tmp/log")
        );
        // A detached word after -t is not its log file (getopt optional_argument).
        let cli = parse(&["-t", "-f", "x.conf"]);
        assert_eq!(cli.opts.config_test.as_deref(), Some(""));
        assert_eq!(cli.opts.use_file, PathBuf::from("x.conf"));
    }

    #[test]
    fn long_forms_match_keepalived() {
        let cli = parse(&[
            "--use-file=/a",
            "--vrrp_pid=/r",
            "--checkers_pid=/c",
            "--config-id=lb1",
        ]);
        assert_eq!(cli.opts.use_file, PathBuf::from("/a"));
        assert_eq!(cli.opts.vrrp_pid, Some(PathBuf::from("/r")));
        assert_eq!(cli.opts.checkers_pid, Some(PathBuf::from("/c")));
        assert_eq!(cli.opts.config_id.as_deref(), Some("lb1"));
    }

    #[test]
    fn signum_names_give_keepalived_s_numbers() {
        assert_eq!(signum("JSON"), Some(36));
        assert_eq!(signum("STATS_CLEAR"), Some(63));
        assert_eq!(signum("BOGUS"), None);
    }
}
