//! IPsec AH as keepalived uses it for VRRPv2 `auth_type AH` (behaviour spec 2.8, 5.9; RFC 2402
//! layout, HMAC-MD5-96 of RFC 2403). keepalived builds and checks it in user space on a raw
//! socket for protocol 51; the kernel's AH (`CONFIG_INET_AH`) is not involved.
//!
//! ```text
//!     0                   1                   2                   3
//!     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    | Next Header=112| Payload Len=4 |          RESERVED = 0        |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |         Security Parameters Index (SPI) = IPv4 source         |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |                Sequence Number (1, 2, 3, ...)                 |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!    |           Integrity Check Value: HMAC-MD5-96 (12 bytes)      |
//!    +                                                               +
//!    |                                                               |
//!    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//! ICV = first 12 bytes of HMAC-MD5(key = auth_pass zero padded to 8 bytes, data = IPv4
//! header with TOS, fragment offset and checksum zeroed (and TTL too for unicast) || AH with
//! the ICV zeroed || VRRP message).

use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;

/// IP protocol number of AH.
pub const PROTO_AH: u8 = 51;
/// The AH header keepalived sends: 12 fixed bytes + 12 bytes of ICV.
pub const AH_LEN: usize = 24;
/// HMAC-MD5-96.
pub const ICV_LEN: usize = 12;

/// The AH header, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AhHeader {
    pub next_header: u8,
    /// In 32-bit words minus 2: 4 for a 12-byte ICV.
    pub payload_len: u8,
    /// keepalived sets it to the IPv4 source address and checks that on receive.
    pub spi: u32,
    /// Strictly increasing per sender (see [`AhReplay`]).
    pub seq: u32,
    pub icv: [u8; ICV_LEN],
}

impl AhHeader {
    /// Parses the first [`AH_LEN`] bytes; `None` if fewer.
    pub fn parse(b: &[u8]) -> Option<AhHeader> {
        let b = b.get(..AH_LEN)?;
        let mut icv = [0; ICV_LEN];
        icv.copy_from_slice(&b[12..24]);
        Some(AhHeader {
            next_header: b[0],
            payload_len: b[1],
            spi: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            seq: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            icv,
        })
    }

    /// Writes the header into `buf` (which must hold [`AH_LEN`] bytes; shorter buffers are
    /// left untouched).
    pub fn emit(&self, buf: &mut [u8]) {
        if let Some(b) = buf.get_mut(..AH_LEN) {
            b[0] = self.next_header;
            b[1] = self.payload_len;
            b[2] = 0;
            b[3] = 0;
            b[4..8].copy_from_slice(&self.spi.to_be_bytes());
            b[8..12].copy_from_slice(&self.seq.to_be_bytes());
            b[12..24].copy_from_slice(&self.icv);
        }
    }
}

/// Feeds the ICV input of `packet` (IPv4 header of `ihl` bytes, AH, VRRP message) to `mac`,
/// with the mutable fields zeroed, without copying the packet.
fn feed(mac: &mut Hmac<Md5>, packet: &[u8], ihl: usize, unicast: bool) {
    let Some(hdr) = packet.get(..ihl) else { return };
    let mut h = [0u8; 60];
    let n = hdr.len().min(60);
    h[..n].copy_from_slice(&hdr[..n]);
    h[1] = 0; // TOS
    h[6] = 0; // flags + fragment offset
    h[7] = 0;
    if unicast {
        h[8] = 0; // TTL
    }
    h[10] = 0; // header checksum
    h[11] = 0;
    mac.update(&h[..n]);
    let Some(ah) = packet.get(ihl..ihl + AH_LEN) else {
        return;
    };
    mac.update(&ah[..12]);
    mac.update(&[0u8; ICV_LEN]);
    mac.update(packet.get(ihl + AH_LEN..).unwrap_or(&[]));
}

fn new_mac(key: &[u8; 8]) -> Option<Hmac<Md5>> {
    <Hmac<Md5> as KeyInit>::new_from_slice(key).ok()
}

/// The ICV keepalived puts in an AH header for `packet` (the whole IPv4 packet, AH at
/// offset `ihl`). The ICV bytes in `packet` are ignored.
pub fn compute_icv(key: &[u8; 8], packet: &[u8], ihl: usize, unicast: bool) -> [u8; ICV_LEN] {
    let mut out = [0u8; ICV_LEN];
    if ihl < 20 || packet.len() < ihl + AH_LEN {
        return out;
    }
    if let Some(mut mac) = new_mac(key) {
        feed(&mut mac, packet, ihl, unicast);
        let tag = mac.finalize().into_bytes();
        out.copy_from_slice(&tag[..ICV_LEN]);
    }
    out
}

/// Checks the ICV of a received packet in constant time.
pub fn verify_icv(key: &[u8; 8], packet: &[u8], ihl: usize, unicast: bool) -> bool {
    if ihl < 20 || packet.len() < ihl + AH_LEN {
        return false;
    }
    let Some(mut mac) = new_mac(key) else {
        return false;
    };
    feed(&mut mac, packet, ihl, unicast);
    mac.verify_truncated_left(&packet[ihl + 12..ihl + AH_LEN])
        .is_ok()
}

/// The AH sequence counter of one instance. keepalived keeps a single counter for both
/// directions (observed against 2.2.7):
/// - sending: +1 per advert, starting at 1;
/// - receiving: a sequence number must be strictly greater than the counter, else
///   `IPSEC-AH : sequence number %u already processed. Packet dropped. Local(%u)`; an accepted
///   one becomes the counter;
/// - a master receiving a lower-priority advert sets the counter to its sequence number + 1
///   (`IPSEC-AH : Syncing seq_num - Increment seq`), so it next sends that + 2 (observed: peer
///   seq 1000, our next advert 1002).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AhReplay {
    /// The last sequence number sent or accepted (0 before any).
    pub seq: u32,
}

impl AhReplay {
    /// Would a received `seq` be accepted?
    pub fn check(&self, seq: u32) -> Result<(), super::drop::DropReason> {
        if seq > self.seq {
            Ok(())
        } else {
            Err(super::drop::DropReason::AhReplay {
                seq,
                last: self.seq,
            })
        }
    }
    /// Records an accepted sequence number (call after the advert passed validation).
    pub fn accept(&mut self, seq: u32) {
        self.seq = seq;
    }
    /// The sequence number for the next advert we send.
    pub fn next_tx(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }
    /// The resync a master does on a lower-priority AH advert with sequence number `peer_seq`
    /// (log `(VI_1) IPSEC-AH : Syncing seq_num - Increment seq`).
    pub fn sync_lower_prio(&mut self, peer_seq: u32) {
        self.seq = peer_seq.wrapping_add(1);
    }
    /// keepalived 2.2.7's log line for [`AhReplay::sync_lower_prio`] (observed).
    pub fn sync_log_message(instance: &str) -> String {
        format!("({instance}) IPSEC-AH : Syncing seq_num - Increment seq")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_counter_both_ways_as_keepalived() {
        let mut c = AhReplay::default();
        assert_eq!((c.next_tx(), c.next_tx()), (1, 2));
        // Observed: at 2, a lower-priority advert with 1000 arrives; next sent is 1002.
        assert!(c.check(1000).is_ok());
        c.accept(1000);
        c.sync_lower_prio(1000);
        assert_eq!(c.next_tx(), 1002);
        assert_eq!(
            AhReplay::sync_log_message("VI_1"),
            "(VI_1) IPSEC-AH : Syncing seq_num - Increment seq"
        );
        // Observed: `sequence number 2 already processed. Packet dropped. Local(2)`.
        let mut r = AhReplay { seq: 2 };
        assert!(r.check(2).is_err());
        assert!(r.check(1).is_err());
        assert!(r.check(3).is_ok());
        r.accept(3);
        assert!(r.check(3).is_err());
    }
}
