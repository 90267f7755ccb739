//! The VRRP protocol core: wire codecs and the sans-IO instance state machine.
//!
//! Pure (ARCHITECTURE.md section 4, rule 1): no clock, no sockets, no tokio, no libc. Time comes
//! in as `now`, effects go out as values.
#![forbid(unsafe_code)]

pub mod instance;
pub mod sim;
pub mod sync;
pub mod types;
pub mod wire;
