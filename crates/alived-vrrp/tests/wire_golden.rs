//! Golden bytes: every packet keepalived 2.2.7 sent in the captures of tests/fixtures/ (see
//! the README there) parses to what the config says, validates, and re-emits byte for byte.
//! etherparse cross-checks the IP layer as an independent parser.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use alived_vrrp::types::{Centisecs, Priority, Version, Vrid};
use alived_vrrp::wire::arp::{
    ArpFrame, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, garp_frame, parse_ethernet,
};
use alived_vrrp::wire::ipv4::{self, AhTx, Ipv4Tx, RxPacket};
use alived_vrrp::wire::ndisc::{self, NaFrame};
use alived_vrrp::wire::vrrp::pass_field;
use alived_vrrp::wire::{
    Advert, AhReplay, Auth, DropReason, Expect, ExpectAuth, Family, PseudoHeader, VrrpPacket, ipv6,
    validate,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

/// Classic libpcap (not pcapng): 24-byte global header, then 16-byte record headers.
/// Returns (linktype, frames).
fn read_pcap(bytes: &[u8]) -> (u32, Vec<Vec<u8>>) {
    assert!(bytes.len() >= 24, "pcap too short");
    let magic = u32::from_le_bytes(bytes[0..4].try_into().unwrap());
    let le = match magic {
        0xa1b2c3d4 | 0xa1b23c4d => true,
        _ if u32::from_be_bytes(bytes[0..4].try_into().unwrap()) == 0xa1b2c3d4
            || u32::from_be_bytes(bytes[0..4].try_into().unwrap()) == 0xa1b23c4d =>
        {
            false
        }
        m => panic!("not a classic pcap (magic {m:#x})"),
    };
    let u32_at = |b: &[u8], o: usize| {
        let a: [u8; 4] = b[o..o + 4].try_into().unwrap();
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let linktype = u32_at(bytes, 20);
    let mut frames = Vec::new();
    let mut off = 24;
    while off + 16 <= bytes.len() {
        let incl = u32_at(bytes, off + 8) as usize;
        let orig = u32_at(bytes, off + 12) as usize;
        assert_eq!(incl, orig, "truncated capture record");
        let start = off + 16;
        frames.push(bytes[start..start + incl].to_vec());
        off = start + incl;
    }
    assert_eq!(off, bytes.len(), "trailing bytes in pcap");
    (linktype, frames)
}

fn fixture(name: &str) -> Vec<Vec<u8>> {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", name]
        .iter()
        .collect();
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let (linktype, frames) = read_pcap(&bytes);
    assert_eq!(linktype, 1, "Ethernet linktype");
    frames
}

/// What the README says a file holds.
struct Case {
    file: &'static str,
    version: Version,
    prio: u8,
    auth: Auth,
    expect_auth: ExpectAuth,
    addrs: Vec<IpAddr>,
    interval: Centisecs,
    unicast_dst: Option<Ipv4Addr>,
    ah: bool,
    /// GARPs (or NAs) expected at least.
    announcements: usize,
}

fn v4(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn cases() -> Vec<Case> {
    let pass = pass_field(b"1111");
    let vip = vec![v4("10.77.0.230")];
    let base = |file, auth, expect_auth| Case {
        file,
        version: Version::V2,
        prio: 100,
        auth,
        expect_auth,
        addrs: vip.clone(),
        interval: Centisecs(100),
        unicast_dst: None,
        ah: false,
        announcements: 5,
    };
    vec![
        base("v2-noauth.pcap", Auth::None, ExpectAuth::None),
        base("v2-pass.pcap", Auth::Pass(pass), ExpectAuth::Pass(pass)),
        Case {
            ah: true,
            ..base(
                "v2-ah.pcap",
                Auth::Ah,
                ExpectAuth::Ah(pass_field(b"secret12")),
            )
        },
        Case {
            prio: 255,
            addrs: vec![v4("10.77.0.230"), v4("10.77.0.231")],
            announcements: 10,
            ..base(
                "v2-two-vips-owner.pcap",
                Auth::Pass(pass),
                ExpectAuth::Pass(pass),
            )
        },
        Case {
            unicast_dst: Some("10.77.0.2".parse().unwrap()),
            ..base("v2-unicast.pcap", Auth::Pass(pass), ExpectAuth::Pass(pass))
        },
        Case {
            version: Version::V3,
            interval: Centisecs(10),
            ..base("v3-ipv4-100ms.pcap", Auth::None, ExpectAuth::None)
        },
        Case {
            ah: true,
            unicast_dst: Some("10.77.0.2".parse().unwrap()),
            announcements: 0,
            ..base(
                "v2-ah-unicast.pcap",
                Auth::Ah,
                ExpectAuth::Ah(pass_field(b"secret12")),
            )
        },
        Case {
            version: Version::V3,
            unicast_dst: Some("10.77.0.2".parse().unwrap()),
            announcements: 0,
            ..base("v3-unicast.pcap", Auth::None, ExpectAuth::None)
        },
        Case {
            addrs: vec![v4("2001:db8::230")],
            announcements: 0,
            ..base("v2-ipv6.pcap", Auth::None, ExpectAuth::None)
        },
        Case {
            version: Version::V3,
            addrs: vec![v4("fe80::230"), v4("2001:db8::230")],
            announcements: 2,
            ..base("v3-ipv6.pcap", Auth::None, ExpectAuth::None)
        },
    ]
}

#[derive(Default)]
struct Seen {
    adverts: Vec<Advert>,
    announcements: usize,
}

fn check_ipv4_advert(case: &Case, ip: &[u8], replay: &mut AhReplay, seen: &mut Seen) {
    // Independent parse of the IP layer.
    let eth = etherparse::Ipv4HeaderSlice::from_slice(ip).unwrap();
    let rx = RxPacket::parse_ipv4(ip).unwrap();
    assert_eq!(rx.src, IpAddr::V4(eth.source_addr()));
    assert_eq!(rx.dst, IpAddr::V4(eth.destination_addr()));
    assert_eq!(rx.ttl, eth.ttl());
    assert_eq!(rx.tot_len, usize::from(eth.total_len()));
    assert_eq!(rx.ip_header_len, usize::from(eth.ihl()) * 4);
    assert_eq!(eth.protocol().0, if case.ah { 51 } else { 112 });
    // keepalived's header: 0x45, TOS 0xc0, no DF, TTL 255, ID from 1 up.
    assert_eq!(
        (ip[0], ip[1], &ip[6..8], ip[8]),
        (0x45, 0xc0, &[0u8, 0][..], 255)
    );
    assert!(!eth.dont_fragment());
    assert_eq!(
        eth.identification() as usize,
        seen.adverts.len() + 1,
        "{}: IP ID counter",
        case.file
    );
    // The kernel's header checksum, by us and by etherparse.
    assert_eq!(ipv4::header_checksum(&ip[..20]), eth.header_checksum());
    assert_eq!(
        eth.to_header().calc_header_checksum(),
        eth.header_checksum()
    );

    let unicast = case.unicast_dst.is_some();
    let expect = Expect {
        auth: case.expect_auth,
        adver_int: case.interval,
        addrs: &case.addrs,
        unicast,
        unicast_peers: &[],
        ah_replay: *replay,
        ..Expect::new(Vrid::new(51).unwrap(), case.version)
    };
    let valid = validate(&rx, &expect).unwrap_or_else(|e| panic!("{}: {e}", case.file));
    assert!(
        valid.warnings.is_empty(),
        "{}: {:?}",
        case.file,
        valid.warnings
    );
    let advert = valid.advert;
    assert_eq!(advert.version, case.version);
    assert_eq!(advert.vrid.get(), 51);
    assert!(advert.priority == Priority(case.prio) || advert.priority == Priority::STOP);
    assert_eq!(advert.auth, case.auth);
    assert_eq!(advert.addrs, case.addrs);
    assert_eq!(advert.adver_int, case.interval);
    if let Some(dst) = case.unicast_dst {
        assert_eq!(rx.dst, IpAddr::V4(dst));
    } else {
        assert_eq!(rx.dst, v4("224.0.0.18"));
    }

    // The checked view agrees, and the checksum verifies.
    let pkt = VrrpPacket::new_checked(rx.advert).unwrap();
    let (IpAddr::V4(src), IpAddr::V4(dst)) = (rx.src, rx.dst) else {
        unreachable!()
    };
    assert!(PseudoHeader::for_advert(case.version, rx.src, rx.dst).verify(rx.advert));
    assert_eq!(
        pkt.checksum(),
        PseudoHeader::for_advert(case.version, rx.src, rx.dst).compute(rx.advert)
    );

    // AH: the sequence number goes up; record it as the caller would.
    let ah = match (case.ah, rx.ah) {
        (true, Some(h)) => {
            assert_eq!(valid.ah_seq, Some(h.seq));
            assert_eq!(h.spi, u32::from(src));
            assert_eq!((h.next_header, h.payload_len), (112, 4));
            assert_eq!(
                alived_vrrp::wire::ah::compute_icv(&pass_field(b"secret12"), ip, 20, unicast),
                h.icv,
                "{}: ICV",
                case.file
            );
            replay.accept(h.seq);
            Some(AhTx {
                seq: h.seq,
                key: pass_field(b"secret12"),
                unicast,
            })
        }
        (false, None) => None,
        other => panic!("{}: AH presence {other:?}", case.file),
    };

    // Re-emit byte for byte: the kernel-filled checksum is 0 from us, then filled.
    let tx = Ipv4Tx {
        src,
        dst,
        ttl: rx.ttl,
        ident: eth.identification(),
    };
    let mut out = vec![0u8; ipv4::advert_packet_len(&advert, case.ah)];
    let n = ipv4::emit_advert_packet(&mut out, &tx, &advert, ah).unwrap();
    assert_eq!(n, ip.len());
    assert_eq!(&out[10..12], &[0, 0], "checksum left for the kernel");
    ipv4::fill_header_checksum(&mut out[..20]);
    assert_eq!(out, ip, "{}: re-emitted packet", case.file);
    // And the message alone.
    let pseudo = PseudoHeader::for_advert(case.version, rx.src, rx.dst);
    assert_eq!(advert.to_bytes(Family::V4, pseudo).unwrap(), rx.advert);
    seen.adverts.push(advert);
}

fn check_ipv6(case: &Case, ip: &[u8], frame: &[u8], seen: &mut Seen) {
    let eth = etherparse::Ipv6HeaderSlice::from_slice(ip).unwrap();
    let hdr = ipv6::Ipv6Header::parse(ip).unwrap();
    assert_eq!(
        (hdr.src, hdr.dst),
        (eth.source_addr(), eth.destination_addr())
    );
    assert_eq!(
        (hdr.traffic_class, hdr.hop_limit),
        (eth.traffic_class(), eth.hop_limit())
    );
    assert_eq!(hdr.flow_label, eth.flow_label().value());
    assert_eq!(hdr.payload_len, eth.payload_length());
    assert_eq!(hdr.next_header, eth.next_header().0);
    let payload = &ip[40..40 + usize::from(hdr.payload_len)];
    match hdr.next_header {
        112 => {
            assert_eq!((hdr.traffic_class, hdr.hop_limit), (0xc0, 255));
            assert_eq!(hdr.dst, ipv6::VRRP_GROUP_V6);
            let rx = RxPacket::from_ipv6(hdr.src, hdr.dst, hdr.hop_limit, payload).unwrap();
            let expect = Expect {
                addrs: &case.addrs,
                ..Expect::new(Vrid::new(51).unwrap(), case.version)
            };
            let advert = validate(&rx, &expect).unwrap().advert;
            assert!(advert.priority == Priority(case.prio) || advert.priority == Priority::STOP);
            assert_eq!(
                (advert.addrs.clone(), advert.adver_int),
                (case.addrs.clone(), case.interval)
            );
            assert!(
                PseudoHeader::V6 {
                    src: hdr.src,
                    dst: hdr.dst
                }
                .verify(payload),
                "kernel checksum"
            );
            let again = ipv6::advert_packet(hdr.src, hdr.dst, hdr.flow_label, &advert).unwrap();
            assert_eq!(again, ip, "{}: re-emitted IPv6 advert", case.file);
            seen.adverts.push(advert);
        }
        58 if payload.first() == Some(&ndisc::ICMPV6_NA) => {
            assert!(NaFrame::checksum_ok(frame));
            let na = NaFrame::parse(frame).unwrap();
            assert!(case.addrs.contains(&IpAddr::V6(na.target)));
            assert_eq!(na.ip.src, na.target);
            assert_eq!(na.tlla, Some(na.eth_src));
            let again = ndisc::unsolicited_na(na.eth_src, na.target, na.router);
            assert_eq!(
                &again[..],
                &frame[..again.len()],
                "{}: re-emitted NA",
                case.file
            );
            seen.announcements += 1;
        }
        _ => {} // router/neighbour solicitations from the namespaces
    }
}

#[test]
fn every_fixture_parses_validates_and_reemits() {
    for case in cases() {
        let mut seen = Seen::default();
        let mut replay = AhReplay::default();
        let mut first_ah: Option<Vec<u8>> = None;
        for frame in fixture(case.file) {
            let e = parse_ethernet(&frame).unwrap();
            let (src_mac, ethertype, payload) = (e.src, e.ethertype, e.payload);
            match ethertype {
                ETHERTYPE_IPV4 if payload[9] == 112 || payload[9] == 51 => {
                    if case.ah && first_ah.is_none() {
                        first_ah = Some(payload.to_vec());
                    }
                    check_ipv4_advert(&case, payload, &mut replay, &mut seen)
                }
                ETHERTYPE_ARP => {
                    let arp = ArpFrame::parse(&frame).unwrap();
                    if arp.is_garp() {
                        assert!(
                            case.addrs.contains(&IpAddr::V4(arp.spa)),
                            "{}: GARP for {}",
                            case.file,
                            arp.spa
                        );
                        assert_eq!(arp.sha, src_mac);
                        assert_eq!(
                            &garp_frame(src_mac, arp.spa)[..],
                            &frame[..],
                            "{}: GARP",
                            case.file
                        );
                        seen.announcements += 1;
                    }
                }
                ETHERTYPE_IPV6 => check_ipv6(&case, payload, &frame, &mut seen),
                _ => {}
            }
        }
        eprintln!(
            "{}: {} adverts, {} announcements",
            case.file,
            seen.adverts.len(),
            seen.announcements
        );
        assert!(
            seen.adverts.len() >= 2,
            "{}: {} adverts",
            case.file,
            seen.adverts.len()
        );
        assert_eq!(
            seen.adverts.last().unwrap().priority,
            Priority::STOP,
            "{}: ends with prio 0",
            case.file
        );
        assert!(seen.adverts[0].priority == Priority(case.prio));
        assert!(
            seen.announcements >= case.announcements,
            "{}: {} GARP/NA",
            case.file,
            seen.announcements
        );
        // Replaying the first AH advert after the later ones is refused.
        if let Some(first) = first_ah {
            let rx = RxPacket::parse_ipv4(&first).unwrap();
            let expect = Expect {
                auth: case.expect_auth,
                addrs: &case.addrs,
                ah_replay: replay,
                ..Expect::new(Vrid::new(51).unwrap(), Version::V2)
            };
            assert!(matches!(
                validate(&rx, &expect),
                Err(DropReason::AhReplay { seq: 1, .. })
            ));
        }
    }
}

#[test]
fn every_pcap_in_fixtures_has_a_case() {
    let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures"]
        .iter()
        .collect();
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".pcap"))
        .collect();
    files.sort();
    let mut covered: Vec<String> = cases().iter().map(|c| c.file.to_string()).collect();
    covered.sort();
    assert_eq!(files, covered);
}

#[test]
fn ah_with_wrong_password_fails_icv() {
    let frame = fixture("v2-ah.pcap")
        .into_iter()
        .find(|f| f.len() > 23 && f[12..14] == [0x08, 0x00] && f[23] == 51)
        .unwrap();
    let ip = &frame[14..];
    let rx = RxPacket::parse_ipv4(ip).unwrap();
    let addrs = [v4("10.77.0.230")];
    let mut expect = Expect {
        addrs: &addrs,
        ..Expect::new(Vrid::new(51).unwrap(), Version::V2)
    };
    expect.auth = ExpectAuth::Ah(pass_field(b"secret13"));
    assert_eq!(validate(&rx, &expect), Err(DropReason::AhIcvBad));
    expect.auth = ExpectAuth::Ah(pass_field(b"secret12"));
    assert!(validate(&rx, &expect).is_ok());
    // Any changed byte of the immutable part breaks the ICV (TTL is immutable for multicast).
    let mut m = ip.to_vec();
    m[8] = 254;
    let rx = RxPacket::parse_ipv4(&m).unwrap();
    assert!(!alived_vrrp::wire::ah::verify_icv(
        &pass_field(b"secret12"),
        &m,
        20,
        false
    ));
    // ... but TOS, fragment offset and header checksum are mutable.
    let mut m2 = ip.to_vec();
    m2[1] = 0;
    m2[10] = 0;
    assert!(alived_vrrp::wire::ah::verify_icv(
        &pass_field(b"secret12"),
        &m2,
        20,
        false
    ));
    let _ = rx;
}

#[test]
fn ipv6_vrrp_without_kernel_data_has_link_local_source() {
    // The v3 IPv6 adverts come from the interface's link-local address.
    let frames = fixture("v3-ipv6.pcap");
    let n = frames
        .iter()
        .filter(|f| f.len() > 54 && f[12..14] == [0x86, 0xdd] && f[20] == 112)
        .inspect(|f| {
            let src = Ipv6Addr::from(<[u8; 16]>::try_from(&f[22..38]).unwrap());
            assert_eq!(src.segments()[0], 0xfe80);
        })
        .count();
    assert!(n >= 2);
}
