//! The quiet filter run on adverts keepalived 2.2.7 sent (tests/fixtures), by a small
//! interpreter of the classic BPF subset it uses, with the kernel's rules: a load past the
//! end of the packet returns 0 (drop), jumps are relative to the next instruction.

use super::*;

/// Runs `prog` over `pkt` as the kernel would for a socket filter; returns the length kept.
fn run(prog: &[BpfInsn], pkt: &[u8]) -> u32 {
    let (mut a, mut x) = (0u32, 0u32);
    let mut pc = 0usize;
    let byte = |at: u32| pkt.get(at as usize).map(|&b| u32::from(b));
    for _ in 0..10_000 {
        let i = prog[pc];
        pc += 1;
        match i.code {
            LDX_B_MSH => match byte(i.k) {
                Some(b) => x = 4 * (b & 0xf),
                None => return 0,
            },
            LDX_IMM => x = i.k,
            LD_B_IND => match byte(x + i.k) {
                Some(b) => a = b,
                None => return 0,
            },
            LD_H_IND => match (byte(x + i.k), byte(x + i.k + 1)) {
                (Some(h), Some(l)) => a = (h << 8) | l,
                _ => return 0,
            },
            ALU_ADD_K => a = a.wrapping_add(i.k),
            ALU_ADD_X => a = a.wrapping_add(x),
            ALU_AND_K => a &= i.k,
            ALU_LSH_K => a <<= i.k,
            MISC_TAX => x = a,
            JEQ_K => pc += usize::from(if a == i.k { i.jt } else { i.jf }),
            RET_K => return i.k,
            other => panic!("opcode {other:#x} not expected"),
        }
        assert!(pc < prog.len(), "ran off the end of the program");
    }
    panic!("no return")
}

/// The IP packets (Ethernet payloads) of a capture in tests/fixtures.
fn ip_packets(pcap: &[u8]) -> Vec<Vec<u8>> {
    let u32_at =
        |off: usize| u32::from_le_bytes([pcap[off], pcap[off + 1], pcap[off + 2], pcap[off + 3]]);
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= pcap.len() {
        let len = u32_at(off + 8) as usize;
        let frame = &pcap[off + 16..off + 16 + len];
        out.push(frame[14..].to_vec());
        off += 16 + len;
    }
    out
}

/// The adverts of a capture as a socket of `layout` hands them to its filter, but the
/// last: each capture ends with keepalived's priority-0 advert at SIGTERM, checked apart.
fn adverts(pcap: &[u8], layout: Layout) -> Vec<Vec<u8>> {
    let proto = |p: &[u8]| match layout {
        Layout::V4 { ah: false } => p[0] >> 4 == 4 && p[9] == 112,
        Layout::V4 { ah: true } => p[0] >> 4 == 4 && p[9] == 51,
        Layout::V6 => p[0] >> 4 == 6 && p[6] == 112,
    };
    let got: Vec<Vec<u8>> = ip_packets(pcap)
        .into_iter()
        .filter(|p| proto(p))
        .map(|p| match layout {
            Layout::V6 => p[40..].to_vec(),
            Layout::V4 { .. } => p,
        })
        .collect();
    assert!(got.len() > 1, "no adverts in the capture");
    assert_eq!(
        priority_of(&got[got.len() - 1], layout),
        0,
        "the last advert is priority 0"
    );
    got[..got.len() - 1].to_vec()
}

fn vrid(v: u8) -> Vrid {
    Vrid::new(v).unwrap()
}

fn steady(version: Version, cs: u32) -> Quiet {
    Quiet::Steady {
        version,
        adver_int: Centisecs(cs),
    }
}

fn filter(entries: &[(u8, Quiet)]) -> QuietFilter {
    let mut f = QuietFilter::new();
    for &(v, q) in entries {
        f.insert(vrid(v), q);
    }
    f
}

/// Where the VRRP message starts in what a socket of `layout` receives.
fn vrrp_at(pkt: &[u8], layout: Layout) -> usize {
    match layout {
        Layout::V6 => 0,
        Layout::V4 { ah } => {
            let ihl = usize::from(pkt[0] & 0xf) * 4;
            if ah {
                ihl + (usize::from(pkt[ihl + 1]) + 2) * 4
            } else {
                ihl
            }
        }
    }
}

fn set_priority(pkt: &mut [u8], layout: Layout, prio: u8) {
    pkt[vrrp_at(pkt, layout) + 2] = prio;
}

fn priority_of(pkt: &[u8], layout: Layout) -> u8 {
    pkt[vrrp_at(pkt, layout) + 2]
}

fn vrid_of(pkt: &[u8], layout: Layout) -> u8 {
    pkt[vrrp_at(pkt, layout) + 1]
}

const V2_NOAUTH: &[u8] = include_bytes!("../../tests/fixtures/v2-noauth.pcap");
const V2_AH: &[u8] = include_bytes!("../../tests/fixtures/v2-ah.pcap");
const V3_100MS: &[u8] = include_bytes!("../../tests/fixtures/v3-ipv4-100ms.pcap");
const V3_IPV6: &[u8] = include_bytes!("../../tests/fixtures/v3-ipv6.pcap");
const V2_IPV6: &[u8] = include_bytes!("../../tests/fixtures/v2-ipv6.pcap");
const V2_AH_UNICAST: &[u8] = include_bytes!("../../tests/fixtures/v2-ah-unicast.pcap");
const V3_UNICAST: &[u8] = include_bytes!("../../tests/fixtures/v3-unicast.pcap");

/// Each capture: its layout, its VRID, and the entry that makes its adverts quiet (the
/// README of tests/fixtures: VRID 51; v2 1 s, v3 100 ms and 1 s).
fn captures() -> Vec<(&'static str, &'static [u8], Layout, Quiet)> {
    vec![
        (
            "v2-noauth",
            V2_NOAUTH,
            Layout::V4 { ah: false },
            steady(Version::V2, 100),
        ),
        (
            "v2-ah",
            V2_AH,
            Layout::V4 { ah: true },
            steady(Version::V2, 100),
        ),
        (
            "v3-ipv4-100ms",
            V3_100MS,
            Layout::V4 { ah: false },
            steady(Version::V3, 10),
        ),
        ("v3-ipv6", V3_IPV6, Layout::V6, steady(Version::V3, 100)),
        // keepalived's VRRPv2 over IPv6: the v2 header after no IP header.
        ("v2-ipv6", V2_IPV6, Layout::V6, steady(Version::V2, 100)),
        (
            "v2-ah-unicast",
            V2_AH_UNICAST,
            Layout::V4 { ah: true },
            steady(Version::V2, 100),
        ),
        (
            "v3-unicast",
            V3_UNICAST,
            Layout::V4 { ah: false },
            steady(Version::V3, 100),
        ),
    ]
}

#[test]
fn a_steady_advert_of_the_expected_interval_is_quiet_and_priority_zero_is_not() {
    for (name, pcap, layout, quiet) in captures() {
        for pkt in adverts(pcap, layout) {
            let v = vrid_of(&pkt, layout);
            let prog = filter(&[(v, quiet)]).program(layout);
            assert_eq!(run(&prog, &pkt), QUIET, "{name}: steady advert");
            let mut zero = pkt.clone();
            set_priority(&mut zero, layout, 0);
            assert_eq!(run(&prog, &zero), PASS, "{name}: priority 0");
            // With no entry for the VRID, everything wakes.
            assert_eq!(
                run(&QuietFilter::new().program(layout), &pkt),
                PASS,
                "{name}: unknown VRID"
            );
        }
    }
}

#[test]
fn another_interval_or_version_wakes() {
    for (name, pcap, layout, quiet) in captures() {
        let Quiet::Steady { version, adver_int } = quiet else {
            unreachable!()
        };
        let other_version = match version {
            Version::V2 => Version::V3,
            Version::V3 => Version::V2,
        };
        for pkt in adverts(pcap, layout) {
            let v = vrid_of(&pkt, layout);
            for q in [
                steady(version, adver_int.0 + 100),
                steady(version, adver_int.0 * 2),
                steady(other_version, adver_int.0),
            ] {
                assert_eq!(
                    run(&filter(&[(v, q)]).program(layout), &pkt),
                    PASS,
                    "{name}: {q:?}"
                );
            }
        }
    }
}

#[test]
fn every_entry_is_checked_and_all_quiets_the_vrid_but_priority_zero() {
    for (name, pcap, layout, quiet) in captures() {
        for pkt in adverts(pcap, layout) {
            let v = vrid_of(&pkt, layout);
            // The capture's VRID among others, first, middle and last.
            let others = |o: u8| (o.wrapping_add(v) % 250 + 1, steady(Version::V3, 7));
            let mut entries = vec![others(10), others(20), others(30)];
            for at in 0..=entries.len() {
                let mut e = entries.clone();
                e.insert(at, (v, quiet));
                assert_eq!(
                    run(&filter(&e).program(layout), &pkt),
                    QUIET,
                    "{name} at {at}"
                );
            }
            entries.push((v, Quiet::All));
            let prog = filter(&entries).program(layout);
            assert_eq!(run(&prog, &pkt), QUIET, "{name}: all");
            let mut zero = pkt.clone();
            set_priority(&mut zero, layout, 0);
            assert_eq!(run(&prog, &zero), PASS, "{name}: all but priority 0");
        }
    }
}

#[test]
fn truncated_packets_do_not_wake_and_a_v2_interval_in_centiseconds_always_wakes() {
    let layout = Layout::V4 { ah: false };
    let pkt = &adverts(V2_NOAUTH, layout)[0];
    let v = vrid_of(pkt, layout);
    let prog = filter(&[(v, steady(Version::V2, 100))]).program(layout);
    // Cut inside the VRRP header: a load past the end drops the copy (the unfiltered
    // socket still has the packet, counted when read).
    assert_eq!(run(&prog, &pkt[..22]), 0);
    assert_eq!(
        run(
            &filter(&[(v, steady(Version::V2, 150))]).program(layout),
            pkt
        ),
        PASS
    );
}

#[test]
fn a_full_socket_of_vrids_fits_the_kernel_limit_and_replaced_entries_do_not_grow_it() {
    let mut f = QuietFilter::new();
    for v in 1..=255u8 {
        f.insert(vrid(v), steady(Version::V3, 100));
    }
    let len = f.program(Layout::V4 { ah: true }).len();
    assert!(len <= 4096, "{len} instructions");
    f.insert(vrid(7), Quiet::All);
    assert!(f.program(Layout::V4 { ah: true }).len() < len);
}
