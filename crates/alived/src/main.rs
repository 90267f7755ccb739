//! alived: a keepalived-compatible high-availability daemon.
#![forbid(unsafe_code)]

mod check;
mod cli;
mod logging;
mod pidfile;
mod supervisor;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    if cli.opts.version {
        println!("alived v{}", env!("CARGO_PKG_VERSION"));
        return;
    }
    if let Some(name) = &cli.opts.signum {
        match cli::signum(name) {
            Some(n) => println!("{n}"),
            None => {
                eprintln!("Unknown sigfunc {name}");
                std::process::exit(1);
            }
        }
        return;
    }
    if let Some(log_file) = &cli.opts.config_test {
        std::process::exit(check::run(&cli.opts, log_file));
    }
}
