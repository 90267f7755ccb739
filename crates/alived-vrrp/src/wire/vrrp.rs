//! The VRRP message: a checked view ([`VrrpPacket`]) and the parsed form ([`Advert`]).
//!
//! VRRPv2 (RFC 3768 §5.1):
//! ```text
//!     0                   1                   2                   3
//!     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |   Auth Type   |   Adver Int   |          Checksum             |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |                         IP Address (1)                        |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |                            .........                          |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |                     Authentication Data (1)                   |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |                     Authentication Data (2)                   |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//! VRRPv3 (RFC 5798 §5.1):
//! ```text
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |(rsvd) |     Max Adver Int     |          Checksum             |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    +                       IPvX Address(es)                        +
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//! keepalived (behaviour spec 5.9) sends the 8 authentication bytes only for v2 over IPv4:
//! the password for PASS, zeros otherwise. Its non-standard v2 over IPv6 has 16-byte
//! addresses and no authentication data.

use super::checksum::PseudoHeader;
use super::drop::DropReason;
use super::{Advert, Auth};
use crate::types::{Centisecs, Priority, Version, Vrid};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The fixed part of the message, before the addresses.
pub const HEADER_LEN: usize = 8;
/// VRRPv2's authentication data, after the addresses (IPv4 only).
pub const AUTH_DATA_LEN: usize = 8;
/// The only message type (RFC 3768 §5.3.2, RFC 5798 §5.2.2).
pub const TYPE_ADVERTISEMENT: u8 = 1;
/// v2 Auth Type values (RFC 3768 §5.3.6; RFC 2338 for AH).
pub const AUTH_NONE: u8 = 0;
pub const AUTH_PASS: u8 = 1;
pub const AUTH_AH: u8 = 2;
/// VRRPv3's Max Adver Int is 12 bits of centiseconds (RFC 5798 §5.2.7).
pub const MAX_ADVER_INT_V3: u32 = 0x0fff;

/// The address family of the IP layer carrying the advert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    /// Bytes per address in the message.
    pub fn addr_len(self) -> usize {
        match self {
            Family::V4 => 4,
            Family::V6 => 16,
        }
    }
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
}

/// The length of a message with `naddr` addresses (behaviour spec 5.7 step 6, without the IP
/// header): 8 + naddr x (4|16) [+ 8 auth for v2 over IPv4].
pub fn message_len(version: Version, family: Family, naddr: usize) -> usize {
    let auth = if version == Version::V2 && family == Family::V4 {
        AUTH_DATA_LEN
    } else {
        0
    };
    HEADER_LEN + naddr * family.addr_len() + auth
}

/// A read-only (or, over `&mut [u8]`, writable) view of a VRRP message. `new_checked`
/// guarantees the 8-byte fixed header is there; the accessors that reach further return
/// `Option`.
#[derive(Debug, Clone, Copy)]
pub struct VrrpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> VrrpPacket<T> {
    /// A view without any length check: accessors of the fixed header may panic on a short
    /// buffer. Only for buffers this crate sized itself.
    pub fn new_unchecked(buffer: T) -> Self {
        VrrpPacket { buffer }
    }

    /// A view over a buffer at least [`HEADER_LEN`] bytes long.
    pub fn new_checked(buffer: T) -> Result<Self, DropReason> {
        let len = buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(DropReason::TooShort { len });
        }
        Ok(VrrpPacket { buffer })
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    fn b(&self, i: usize) -> u8 {
        self.buffer.as_ref()[i]
    }

    /// The 4-bit version field (2 or 3 when valid).
    pub fn version(&self) -> u8 {
        self.b(0) >> 4
    }
    /// The 4-bit type field (1 = advertisement).
    pub fn kind(&self) -> u8 {
        self.b(0) & 0x0f
    }
    pub fn vrid(&self) -> u8 {
        self.b(1)
    }
    pub fn priority(&self) -> u8 {
        self.b(2)
    }
    /// Count IP Addrs / Count IPvX Addr.
    pub fn naddr(&self) -> u8 {
        self.b(3)
    }
    /// v2 only: the Auth Type byte.
    pub fn auth_type(&self) -> u8 {
        self.b(4)
    }
    /// v2 only: the Adver Int in whole seconds.
    pub fn adver_int_v2(&self) -> u8 {
        self.b(5)
    }
    /// v3 only: the 12-bit Max Adver Int in centiseconds (reserved bits masked off).
    pub fn max_adver_int_v3(&self) -> u16 {
        u16::from_be_bytes([self.b(4), self.b(5)]) & 0x0fff
    }
    pub fn checksum(&self) -> u16 {
        u16::from_be_bytes([self.b(6), self.b(7)])
    }
    /// The `i`-th address, if the buffer holds it.
    pub fn addr(&self, family: Family, i: usize) -> Option<IpAddr> {
        let n = family.addr_len();
        let start = HEADER_LEN + i * n;
        let bytes = self.buffer.as_ref().get(start..start + n)?;
        Some(match family {
            Family::V4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?)),
            Family::V6 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?)),
        })
    }
    /// v2 over IPv4 only: the 8 authentication bytes after the addresses.
    pub fn auth_data(&self, family: Family) -> Option<[u8; 8]> {
        let start = HEADER_LEN + usize::from(self.naddr()) * family.addr_len();
        let bytes = self.buffer.as_ref().get(start..start + AUTH_DATA_LEN)?;
        <[u8; 8]>::try_from(bytes).ok()
    }
    /// The exact length this message should have, from its own version and count.
    pub fn expected_len(&self, family: Family) -> usize {
        let version = if self.version() == 2 {
            Version::V2
        } else {
            Version::V3
        };
        message_len(version, family, usize::from(self.naddr()))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> VrrpPacket<T> {
    pub fn set_checksum(&mut self, v: u16) {
        self.buffer.as_mut()[6..8].copy_from_slice(&v.to_be_bytes());
    }
    /// Recomputes and stores the checksum.
    pub fn fill_checksum(&mut self, pseudo: PseudoHeader) {
        let c = pseudo.compute(self.buffer.as_ref());
        self.set_checksum(c);
    }
}

/// Why an [`Advert`] cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    #[error("buffer too small: {have} bytes, need {need}")]
    BufferTooSmall { have: usize, need: usize },
    #[error("{0} addresses; at most 255 fit in an advert")]
    TooManyAddresses(usize),
    #[error("address {0} is not of the advert's family")]
    WrongFamily(IpAddr),
    #[error("advert interval {0:?} cannot be carried by this version")]
    BadInterval(Centisecs),
    #[error("authentication other than none is only carried by VRRPv2 over IPv4")]
    AuthNotCarried,
}

impl Advert {
    /// Parses the message in `pkt` carried over `family`. Checks what the message alone
    /// decides, in keepalived's order (behaviour spec 5.7): length for its own count, version,
    /// v2 auth type, type, VRID. The instance checks (auth matching ours, interval,
    /// addresses, checksum) are in [`super::validate()`].
    pub fn parse<T: AsRef<[u8]>>(
        pkt: &VrrpPacket<T>,
        family: Family,
    ) -> Result<Advert, DropReason> {
        let len = pkt.as_bytes().len();
        let version = match pkt.version() {
            2 => Version::V2,
            3 => Version::V3,
            got => return Err(DropReason::UnknownVersion { got }),
        };
        let need = message_len(version, family, usize::from(pkt.naddr()));
        if len < need {
            return Err(DropReason::BadLength { len, expect: need });
        }
        let auth = match (version, family) {
            (Version::V2, Family::V4) => match pkt.auth_type() {
                AUTH_NONE => Auth::None,
                AUTH_PASS => Auth::Pass(pkt.auth_data(family).unwrap_or_default()),
                AUTH_AH => Auth::Ah,
                got => return Err(DropReason::InvalidAuthType { got }),
            },
            _ => Auth::None,
        };
        if pkt.kind() != TYPE_ADVERTISEMENT {
            return Err(DropReason::InvalidType { got: pkt.kind() });
        }
        let vrid = Vrid::new(pkt.vrid()).ok_or(DropReason::VridZero)?;
        let adver_int = match version {
            Version::V2 => Centisecs(u32::from(pkt.adver_int_v2()) * 100),
            Version::V3 => Centisecs(u32::from(pkt.max_adver_int_v3())),
        };
        let addrs = (0..usize::from(pkt.naddr()))
            .filter_map(|i| pkt.addr(family, i))
            .collect();
        Ok(Advert {
            version,
            vrid,
            priority: Priority(pkt.priority()),
            adver_int,
            auth,
            addrs,
        })
    }

    /// Convenience: checked view + parse in one.
    pub fn parse_bytes(bytes: &[u8], family: Family) -> Result<Advert, DropReason> {
        Advert::parse(&VrrpPacket::new_checked(bytes)?, family)
    }

    /// The number of bytes [`Advert::emit`] writes.
    pub fn buffer_len(&self, family: Family) -> usize {
        message_len(self.version, family, self.addrs.len())
    }

    /// Writes the message into the start of `buf` and returns its length. The checksum covers
    /// `pseudo` (see [`PseudoHeader::for_advert`]); over IPv6 the kernel rewrites it anyway.
    pub fn emit(
        &self,
        buf: &mut [u8],
        family: Family,
        pseudo: PseudoHeader,
    ) -> Result<usize, EmitError> {
        let need = self.buffer_len(family);
        let naddr = u8::try_from(self.addrs.len())
            .map_err(|_| EmitError::TooManyAddresses(self.addrs.len()))?;
        if let Some(a) = self.addrs.iter().find(|a| Family::of(a) != family) {
            return Err(EmitError::WrongFamily(*a));
        }
        let have = buf.len();
        let out = buf
            .get_mut(..need)
            .ok_or(EmitError::BufferTooSmall { have, need })?;
        out[0] = (self.version.number() << 4) | TYPE_ADVERTISEMENT;
        out[1] = self.vrid.get();
        out[2] = self.priority.0;
        out[3] = naddr;
        let cs = self.adver_int.0;
        match self.version {
            Version::V2 => {
                // RFC 3768 §5.3.7: whole seconds in 8 bits.
                let secs =
                    u8::try_from(cs / 100).map_err(|_| EmitError::BadInterval(self.adver_int))?;
                if !cs.is_multiple_of(100) {
                    return Err(EmitError::BadInterval(self.adver_int));
                }
                out[4] = match (&self.auth, family) {
                    (Auth::None, _) => AUTH_NONE,
                    (Auth::Pass(_), Family::V4) => AUTH_PASS,
                    (Auth::Ah, Family::V4) => AUTH_AH,
                    (_, Family::V6) => return Err(EmitError::AuthNotCarried),
                };
                out[5] = secs;
            }
            Version::V3 => {
                if cs > MAX_ADVER_INT_V3 {
                    return Err(EmitError::BadInterval(self.adver_int));
                }
                // RFC 5798 §5.2.7: 4 reserved bits (zero), then 12 bits of centiseconds.
                out[4..6].copy_from_slice(&(cs as u16).to_be_bytes());
            }
        }
        out[6] = 0;
        out[7] = 0;
        let mut off = HEADER_LEN;
        for a in &self.addrs {
            match a {
                IpAddr::V4(v4) => out[off..off + 4].copy_from_slice(&v4.octets()),
                IpAddr::V6(v6) => out[off..off + 16].copy_from_slice(&v6.octets()),
            }
            off += family.addr_len();
        }
        if self.version == Version::V2 && family == Family::V4 {
            let data = match &self.auth {
                Auth::Pass(p) => *p,
                Auth::None | Auth::Ah => [0; 8],
            };
            out[off..off + AUTH_DATA_LEN].copy_from_slice(&data);
        }
        let mut pkt = VrrpPacket::new_unchecked(out);
        pkt.fill_checksum(pseudo);
        Ok(need)
    }

    /// Emits into a new `Vec`.
    pub fn to_bytes(&self, family: Family, pseudo: PseudoHeader) -> Result<Vec<u8>, EmitError> {
        let mut v = vec![0; self.buffer_len(family)];
        self.emit(&mut v, family, pseudo)?;
        Ok(v)
    }
}

/// keepalived's PASS field: the password truncated or zero padded to 8 bytes (spec 2.8).
pub fn pass_field(password: &[u8]) -> [u8; 8] {
    let mut f = [0u8; 8];
    let n = password.len().min(8);
    f[..n].copy_from_slice(&password[..n]);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2() -> Advert {
        Advert {
            version: Version::V2,
            vrid: Vrid::new(51).unwrap(),
            priority: Priority(150),
            adver_int: Centisecs(100),
            auth: Auth::Pass(pass_field(b"secret12345")),
            addrs: vec![IpAddr::V4(Ipv4Addr::new(10, 99, 0, 100))],
        }
    }

    #[test]
    fn spec_observed_v2_pass() {
        // Behaviour spec 5.9: `21 33 96 01 01 01 cf84 0a630064 "secret12"`.
        let b = v2().to_bytes(Family::V4, PseudoHeader::None).unwrap();
        let mut want = vec![
            0x21, 0x33, 0x96, 0x01, 0x01, 0x01, 0xcf, 0x84, 10, 99, 0, 100,
        ];
        want.extend_from_slice(b"secret12");
        assert_eq!(b, want);
        // The priority-0 advert of the same instance: checksum 0x6585.
        let stop = Advert {
            priority: Priority::STOP,
            ..v2()
        };
        let b = stop.to_bytes(Family::V4, PseudoHeader::None).unwrap();
        assert_eq!(&b[..8], &[0x21, 0x33, 0x00, 0x01, 0x01, 0x01, 0x65, 0x85]);
    }

    #[test]
    fn emit_errors() {
        let mut buf = [0u8; 64];
        let half = Advert {
            adver_int: Centisecs(150),
            ..v2()
        };
        assert_eq!(
            half.emit(&mut buf, Family::V4, PseudoHeader::None),
            Err(EmitError::BadInterval(Centisecs(150)))
        );
        let long = Advert {
            adver_int: Centisecs(25_600),
            ..v2()
        };
        assert!(matches!(
            long.emit(&mut buf, Family::V4, PseudoHeader::None),
            Err(EmitError::BadInterval(_))
        ));
        let v3 = Advert {
            version: Version::V3,
            auth: Auth::None,
            adver_int: Centisecs(4096),
            ..v2()
        };
        assert!(matches!(
            v3.emit(&mut buf, Family::V4, PseudoHeader::None),
            Err(EmitError::BadInterval(_))
        ));
        assert!(matches!(
            v2().emit(&mut buf, Family::V6, PseudoHeader::None),
            Err(EmitError::WrongFamily(_))
        ));
        let v6pass = Advert {
            addrs: vec!["2001:db8::1".parse().unwrap()],
            ..v2()
        };
        assert_eq!(
            v6pass.emit(&mut buf, Family::V6, PseudoHeader::None),
            Err(EmitError::AuthNotCarried)
        );
        assert_eq!(
            v2().emit(&mut buf[..19], Family::V4, PseudoHeader::None),
            Err(EmitError::BufferTooSmall { have: 19, need: 20 })
        );
        let many = Advert {
            addrs: vec![IpAddr::V4(Ipv4Addr::LOCALHOST); 256],
            ..v2()
        };
        assert_eq!(
            many.emit(&mut [0u8; 2048], Family::V4, PseudoHeader::None),
            Err(EmitError::TooManyAddresses(256))
        );
    }

    #[test]
    fn v3_reserved_bits_are_ignored_on_parse() {
        let a = Advert {
            version: Version::V3,
            auth: Auth::None,
            adver_int: Centisecs(10),
            ..v2()
        };
        let mut b = a.to_bytes(Family::V4, PseudoHeader::None).unwrap();
        b[4] |= 0xf0;
        assert_eq!(
            Advert::parse_bytes(&b, Family::V4).unwrap().adver_int,
            Centisecs(10)
        );
    }

    #[test]
    fn truncated_messages_are_errors_not_panics() {
        let b = v2().to_bytes(Family::V4, PseudoHeader::None).unwrap();
        for n in 0..b.len() {
            assert!(Advert::parse_bytes(&b[..n], Family::V4).is_err(), "len {n}");
        }
    }
}
