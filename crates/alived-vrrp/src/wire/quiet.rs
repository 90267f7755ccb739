//! Which received adverts may wait unread, as a classic BPF socket filter.
//!
//! A backup hears its master once per advert interval and, for nearly every advert, only
//! moves its down timer later (RFC 5798 §6.4.2; behaviour spec 5.3). Such an advert can be
//! read at the instance's next timer instead of when it arrives: the driver reads its
//! sockets before it runs any timer and handles each advert at its kernel arrival time, so
//! the outcome is the same. What must still wake the driver at once is any advert that
//! could bring a deadline forward or needs an answer: priority 0 (Skew_Time), an interval
//! other than the one the instance uses, a VRID whose instance is MASTER, a VRID we do not
//! know (counted, and it fills the receive buffer), anything malformed.
//!
//! The driver keeps a second raw socket per pooled socket with [`QuietFilter::program`]
//! attached, watches that one, and reads the first (which keeps every packet) whenever it
//! wakes. The program drops ("quiet") exactly the adverts described by the filter's entries
//! and passes everything else. It is plain data here, tested with a small interpreter on
//! captured keepalived packets; `alived-sys` attaches it.

use crate::types::{Centisecs, Version, Vrid};

/// One classic BPF instruction, as `struct sock_filter` (linux/filter.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BpfInsn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

// Opcodes (linux/bpf_common.h, linux/filter.h).
const LDX_B_MSH: u16 = 0x01 | 0x10 | 0xa0; // X = 4 * (P[k] & 0xf)
const LDX_IMM: u16 = 0x01; // X = k
const LD_B_IND: u16 = 0x10 | 0x40; // A = P[X + k] (byte)
const LD_H_IND: u16 = 0x08 | 0x40; // A = P[X + k : 2] (network order)
const ALU_ADD_K: u16 = 0x04;
const ALU_ADD_X: u16 = 0x04 | 0x08;
const ALU_AND_K: u16 = 0x04 | 0x50;
const ALU_LSH_K: u16 = 0x04 | 0x60;
const MISC_TAX: u16 = 0x07;
const JEQ_K: u16 = 0x05 | 0x10;
const RET_K: u16 = 0x06;

/// Returned for a packet that must wake the reader (any non-zero length keeps it; the copy
/// is only a signal and is discarded unread).
const PASS: u32 = 0xffff;
/// Returned for a quiet packet: not queued on the filtered socket.
const QUIET: u32 = 0;

fn insn(code: u16, jt: u8, jf: u8, k: u32) -> BpfInsn {
    BpfInsn { code, jt, jf, k }
}

/// What a raw socket hands its filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// IPv4 raw socket: the IPv4 header first; with `ah`, then the AH header, then VRRP.
    V4 { ah: bool },
    /// IPv6 raw socket: the VRRP message itself.
    V6,
}

/// Which adverts for one VRID are quiet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quiet {
    /// Every advert but priority 0: the instance ignores adverts (INIT, FAULT).
    All,
    /// Adverts of this version and interval with a non-zero priority (a BACKUP's master
    /// interval).
    Steady {
        version: Version,
        adver_int: Centisecs,
    },
}

/// The quiet adverts of one socket: at most one entry per VRID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuietFilter {
    entries: Vec<(Vrid, Quiet)>,
}

impl QuietFilter {
    /// An empty filter (nothing quiet).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) `vrid`'s entry.
    pub fn insert(&mut self, vrid: Vrid, quiet: Quiet) {
        match self.entries.iter_mut().find(|(v, _)| *v == vrid) {
            Some(e) => e.1 = quiet,
            None => self.entries.push((vrid, quiet)),
        }
    }

    /// True if no advert is quiet.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The program for a socket of `layout`: drops the quiet adverts, passes the rest.
    /// At most 4 + 8 per entry instructions (255 entries: 2,044, under the kernel's 4,096).
    pub fn program(&self, layout: Layout) -> Vec<BpfInsn> {
        let mut p = Vec::with_capacity(8 + 8 * self.entries.len());
        // X = offset of the VRRP header.
        match layout {
            Layout::V4 { ah } => {
                p.push(insn(LDX_B_MSH, 0, 0, 0));
                if ah {
                    // AH length is (Payload Len + 2) 32-bit words (RFC 4302 §2.2).
                    p.push(insn(LD_B_IND, 0, 0, 1));
                    p.push(insn(ALU_ADD_K, 0, 0, 2));
                    p.push(insn(ALU_LSH_K, 0, 0, 2));
                    p.push(insn(ALU_ADD_X, 0, 0, 0));
                    p.push(insn(MISC_TAX, 0, 0, 0));
                }
            }
            Layout::V6 => p.push(insn(LDX_IMM, 0, 0, 0)),
        }
        // Priority 0 always wakes (a load past the end drops, which is also fine: the
        // packet stays queued on the unfiltered socket and is read at the next wake-up).
        p.push(insn(LD_B_IND, 0, 0, 2));
        p.push(insn(JEQ_K, 0, 1, 0));
        p.push(insn(RET_K, 0, 0, PASS));
        p.push(insn(LD_B_IND, 0, 0, 1));
        for &(vrid, quiet) in &self.entries {
            let block = quiet_block(quiet);
            // Not this VRID: skip the block (A still holds the VRID).
            let skip = u8::try_from(block.len()).unwrap_or(u8::MAX);
            p.push(insn(JEQ_K, 0, skip, u32::from(vrid.get())));
            p.extend(block);
        }
        p.push(insn(RET_K, 0, 0, PASS));
        p
    }
}

/// The instructions after a VRID matched: end in QUIET or PASS.
fn quiet_block(quiet: Quiet) -> Vec<BpfInsn> {
    match quiet {
        Quiet::All => vec![insn(RET_K, 0, 0, QUIET)],
        Quiet::Steady { version, adver_int } => {
            // The first byte: version and type 1 (Advertisement).
            let first = match version {
                Version::V2 => 0x21,
                Version::V3 => 0x31,
            };
            let interval = match version {
                // Whole seconds in byte 5 (RFC 3768 §5.3.7); an interval that is not whole
                // seconds never matches, so such adverts always wake.
                Version::V2 if adver_int.0 % 100 == 0 && adver_int.0 / 100 <= 255 => {
                    vec![insn(LD_B_IND, 0, 0, 5)]
                }
                Version::V2 => return vec![insn(RET_K, 0, 0, PASS)],
                // 12 bits in bytes 4-5 (RFC 5798 §5.2.7).
                Version::V3 => vec![insn(LD_H_IND, 0, 0, 4), insn(ALU_AND_K, 0, 0, 0x0fff)],
            };
            let want = match version {
                Version::V2 => adver_int.0 / 100,
                Version::V3 => adver_int.0,
            };
            let mut b = vec![insn(LD_B_IND, 0, 0, 0)];
            // Wrong version or type: to the final PASS (interval loads, its jeq, QUIET).
            let to_pass = u8::try_from(interval.len() + 2).unwrap_or(u8::MAX);
            b.push(insn(JEQ_K, 0, to_pass, first));
            b.extend(interval);
            b.push(insn(JEQ_K, 0, 1, want));
            b.push(insn(RET_K, 0, 0, QUIET));
            b.push(insn(RET_K, 0, 0, PASS));
            b
        }
    }
}

#[cfg(test)]
#[path = "quiet_tests.rs"]
mod tests;
