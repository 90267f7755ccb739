//! alived: a keepalived-compatible high-availability daemon.
#![forbid(unsafe_code)]

fn main() {
    println!("alived {}", env!("CARGO_PKG_VERSION"));
}
