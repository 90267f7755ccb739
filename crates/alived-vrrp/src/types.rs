//! Quantities of the protocol, one unit each, carried in the type (house style rule 6).

use serde::Serialize;
use std::fmt;

/// VRRP version on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Version {
    /// RFC 3768.
    V2,
    /// RFC 5798.
    V3,
}

impl Version {
    pub fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

/// A Virtual Router Identifier, 1..=255.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Vrid(u8);

impl Vrid {
    pub fn new(v: u8) -> Option<Vrid> {
        (v != 0).then_some(Vrid(v))
    }
    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Vrid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A VRRP priority as carried in adverts: 0 = master stopping, 255 = address owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Priority(pub u8);

impl Priority {
    pub const STOP: Priority = Priority(0);
    pub const OWNER: Priority = Priority(255);
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An interval in centiseconds, the unit of VRRPv3's 12-bit Max Adver Int (RFC 5798 §5.2.7).
/// VRRPv2's whole-second interval is carried as `Centisecs(secs * 100)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
pub struct Centisecs(pub u32);

impl Centisecs {
    pub fn as_micros(self) -> u64 {
        u64::from(self.0) * 10_000
    }
    pub fn as_duration(self) -> std::time::Duration {
        std::time::Duration::from_micros(self.as_micros())
    }
}
