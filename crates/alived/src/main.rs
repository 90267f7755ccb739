//! alived: a keepalived-compatible high-availability daemon.
//!
//! One binary, three processes (behaviour spec 4.1): the parent checks the configuration,
//! writes its pid file and supervises a VRRP child and a checker child, each the same binary
//! re-executed with the hidden `--role` flag.
#![forbid(unsafe_code)]

mod check;
mod cli;
mod daemon;
mod demo;
mod logging;
mod pidfile;
mod sched;
mod supervisor;
mod vrrp;

use clap::Parser;

fn main() {
    alived_sys::single_malloc_arena();
    let cli = cli::Cli::parse();
    let opts = &cli.opts;
    if opts.version {
        println!("alived v{}", env!("CARGO_PKG_VERSION"));
        return;
    }
    if let Some(name) = &opts.signum {
        match cli::signum(name) {
            Some(n) => println!("{n}"),
            None => {
                eprintln!("Unknown sigfunc {name}");
                std::process::exit(1);
            }
        }
        return;
    }
    if let Some(cli::Command::Demo(args)) = &cli.command {
        exit(demo::run(args));
    }
    if let Some(log_file) = &opts.config_test {
        exit(check::run(opts, log_file));
    }
    let code = match opts.role.as_deref() {
        Some("vrrp") => daemon::vrrp_child(opts),
        Some("check") => daemon::checker_child(opts),
        Some(other) => {
            eprintln!("unknown role {other}");
            1
        }
        None => daemon::parent(opts),
    };
    exit(code);
}

/// Exits once every line logged is written (the log writer is a thread of its own).
fn exit(code: i32) -> ! {
    logging::flush();
    std::process::exit(code)
}
