//! End-of-instance rules (keepalived's `vrrp_complete_instance()`): defaults that depend on
//! other keywords, corrections with their messages, strict mode (behaviour spec 2.2
//! "Validation warnings", 2.7, 0.1 #2 and #6).

use super::addr::Family;
use super::global::GlobalDefs;
use super::values::{Cx, Interval, fmt_micros};
use super::vrrp::{AuthType, InitialState, Priority, RawInstance, Vrid, VrrpInstance};
use std::net::IpAddr;

/// Most VIPs an advert can carry: the count is one byte, and the addresses must fit the
/// interface MTU. The IPv6 overhead (72 bytes: IPv6 header, VRRP header and 24 more) matches
/// keepalived 2.2.7 on a 1400-byte MTU (83 addresses); IPv4 leaves room for the IP header with
/// router alert, the VRRP header and the 8-byte authentication field.
fn max_vips(family: Family, mtu: u32) -> usize {
    let (overhead, size) = match family {
        Family::Inet => (40, 4),
        Family::Inet6 => (72, 16),
    };
    ((mtu.saturating_sub(overhead) / size) as usize).min(255)
}

/// Applies the completion rules; `None` when keepalived drops the instance.
pub(crate) fn complete(
    cx: &mut Cx<'_>,
    g: &GlobalDefs,
    host: &super::HostFacts,
    r: RawInstance,
) -> Option<VrrpInstance> {
    let RawInstance {
        mut i,
        vrid,
        priority,
        state,
        version,
        advert_int,
        family,
        mut accept,
        unicast_configured,
        unicast_keyword,
        higher_prio_explicit,
        promote_secondaries_explicit,
        unicast_ttl_span,
        vrf_span,
        ..
    } = r;
    let me = format!("({})", i.name);
    let span = i.span;
    let Some(vrid) = vrid else {
        cx.err(span, format!("{me} the virtual router id must be set"));
        return None;
    };
    i.vrid = Vrid(vrid);
    if let Some(own) = i.interface.clone() {
        i.track.interfaces.retain(|t| {
            let keep = t.name != own;
            if !keep {
                cx.err(
                    t.span,
                    format!("{me} Ignoring track_interface {own} since own interface"),
                );
            }
            keep
        });
    }
    if i.interface.is_none() && i.unicast_src_ip.is_none() {
        cx.err(span, format!("{me} Unknown interface!"));
    }

    // Family: first VIP, else unicast source or peers (spec 2.2 "Instance family").
    let fam = family
        .or_else(|| i.unicast_src_ip.as_ref().map(Family::of))
        .or_else(|| i.unicast_peers.first().map(|p| Family::of(&p.addr)))
        .unwrap_or(Family::Inet);
    i.family = fam;
    let peers = std::mem::take(&mut i.unicast_peers);
    for p in peers {
        if Family::of(&p.addr) != fam {
            cx.err(
                p.span,
                format!(
                    "Configuration error: VRRP instance[{}] and unicast peer address[{}] MUST be of the same family !!! Skipping...",
                    i.name, p.addr
                ),
            );
        } else {
            i.unicast_peers.push(p);
        }
    }

    if let Some(sp) = vrf_span
        && i.interface.is_some()
    {
        cx.err(
            sp,
            format!("{me} Cannot specify VRF interface and interface - ignoring"),
        );
    }
    // keepalived checks these when it reaches the end of the block.
    // A VMAC with unicast: adverts must go out on the base interface.
    if i.use_vmac.is_some() && unicast_keyword && !i.vmac_xmit_base {
        if i.interface.is_none() {
            cx.err(
                span,
                format!(
                    "{me}: Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac"
                ),
            );
            i.use_vmac = None;
        } else {
            cx.err(
                span,
                format!("{me} unicast with use_vmac requires vmac_xmit_base - setting"),
            );
            i.vmac_xmit_base = true;
        }
    }
    if i.unicast_peers.is_empty()
        && let Some(sp) = unicast_ttl_span
    {
        cx.err(
            sp,
            format!("{me}: Cannot use unicast_ttl without unicast peers - resetting"),
        );
        i.unicast_ttl = 255;
    }

    let strict = g.vrrp_strict || i.strict_mode;
    i.strict_mode = strict;

    // Spec 0.1 #6: IPv6 defaults to v3; the global vrrp_version applies to IPv4 only.
    let mut ver = version.unwrap_or(if fam == Family::Inet6 {
        3
    } else {
        g.vrrp_version
    });
    if fam == Family::Inet6 && ver == 2 && strict {
        cx.err(
            span,
            format!("{me} cannot use IPv6 with VRRP version 2; setting version 3"),
        );
        ver = 3;
    }
    i.version = ver;
    // VRRPv3 and strict mode need at least one address; keepalived 2.2.7 gives up on the
    // instance here.
    if i.vips.is_empty() {
        if ver == 3 || strict {
            cx.err(
                span,
                format!("{me} No VIP specified; at least one is required"),
            );
            return None;
        }
        cx.err(
            span,
            format!("{me} No VIP specified; at least one is sensible"),
        );
    }
    // Spec 2.8: AH is IPv4 only.
    if fam == Family::Inet6
        && ver == 2
        && i.auth.as_ref().is_some_and(|a| a.auth_type == AuthType::Ah)
    {
        cx.err(
            span,
            format!("{me} Cannot use AH authentication with IPv6. ignoring"),
        );
        i.auth = None;
    }
    if i.unicast_peers.is_empty() && unicast_configured && !i.unicast_fault_no_peer {
        cx.err(
                span,
                format!(
                    "{me} A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration."
                ),
            );
    }
    if i.use_vmac.is_some() && promote_secondaries_explicit {
        cx.err(
            span,
            format!("{me} promote_secondaries is automatically set for vmacs - ignoring"),
        );
    }
    if i.use_vmac.is_some() {
        i.promote_secondaries = true;
    }
    if fam == Family::Inet
        && i.other.iter().any(|o| o.keyword == "use_ipvlan")
        && i.unicast_src_ip.is_none()
        && i.mcast_src_ip.is_none()
    {
        cx.err(
            span,
            format!(
                "{me} IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state"
            ),
        );
    }
    if i.vmac_xmit_base && i.use_vmac.is_none() {
        cx.err(
            span,
            format!("{me} vmac_xmit_base is only valid with a vmac"),
        );
        i.vmac_xmit_base = false;
    }

    // Spec 0.1 #2: `state MASTER` without a priority means address owner.
    // Spec 2.2: without `state`, the state follows the priority (255 = address owner).
    let st = state.unwrap_or(if priority == Some(255) {
        InitialState::Master
    } else {
        InitialState::Backup
    });
    let prio = priority.unwrap_or(if st == InitialState::Master { 255 } else { 100 });
    i.priority = Priority(prio);
    i.state = st;

    if strict {
        if (i.state == InitialState::Master) != (prio == 255) {
            cx.err(
                span,
                format!("{me} State MASTER must match being address owner"),
            );
            i.state = if prio == 255 {
                InitialState::Master
            } else {
                InitialState::Backup
            };
        }
        if i.auth.is_some() {
            cx.err(
                span,
                format!("{me} Strict mode does not support authentication. Ignoring."),
            );
            i.auth = None;
        }
        if higher_prio_explicit && i.higher_prio_send_advert == Some(true) {
            cx.err(
                span,
                format!("{me} strict mode requires higher_prio_send_advert to be clear. resetting"),
            );
        }
        if i.vmac_xmit_base {
            cx.err(
                span,
                format!("{me} xmit_base is incompatible with strict mode - resetting"),
            );
            i.vmac_xmit_base = false;
        }
        if i.down_timer_adverts.is_some_and(|d| d != 3) {
            cx.err(
                span,
                format!("{me} down_timer_adverts is incompatible with strict mode - resetting"),
            );
            i.down_timer_adverts = Some(3);
        }
        if ver == 2 && prio != 255 && accept == Some(true) {
            cx.err(
                span,
                format!(
                    "{me} warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting"
                ),
            );
            accept = Some(false);
        }
        i.garp_lower_prio_delay = Some(0);
        i.garp_lower_prio_repeat = Some(0);
        i.lower_prio_no_advert = Some(true);
        i.higher_prio_send_advert = Some(false);
    }
    // Order as in keepalived 2.2.7 (measured): owner, initial MASTER, strict, nopreempt.
    let preempt_delay_given = i.preempt_delay.is_some();
    if i.nopreempt && prio == 255 {
        cx.err(
            span,
            format!("{me} nopreempt is incompatible with priority 255. resetting nopreempt"),
        );
        i.nopreempt = false;
    }
    if i.state == InitialState::Master {
        if i.nopreempt {
            cx.err(
                span,
                format!(
                    "{me} Warning - nopreempt will not work with initial state MASTER - clearing"
                ),
            );
            i.nopreempt = false;
        }
        if i.preempt_delay.is_some() {
            cx.err(span, format!(
                "{me} Warning - preempt delay will not work with initial state MASTER - clearing"
            ));
            i.preempt_delay = None;
        }
    }
    if strict && i.preempt_delay.is_some() {
        cx.err(
            span,
            format!("{me} preempt_delay is incompatible with strict mode - resetting"),
        );
        i.preempt_delay = None;
    }
    if i.nopreempt && preempt_delay_given {
        cx.err(
            span,
            format!("{me} preempt_delay is incompatible with nopreempt mode - resetting"),
        );
        i.preempt_delay = None;
    }
    if let Some(a) = &i.auth {
        if ver == 3 {
            cx.err(
                span,
                format!("{me} VRRP version 3 does not support authentication. Ignoring."),
            );
            i.auth = None;
        } else if a.auth_type == AuthType::Ah && i.state == InitialState::Master && prio != 255 {
            cx.err(
                span,
                format!(
                    "{me} Initial state master is incompatible with AH authentication - clearing"
                ),
            );
            i.state = InitialState::Backup;
        }
    }

    // Accept mode: default on, but strict mode only accepts as address owner (spec 2.7).
    i.accept = accept.unwrap_or(!strict || prio == 255);

    // Spec 0.1 #6: v2 whole seconds, v3 10 ms units below 40.96 s.
    let adv = advert_int.unwrap_or(Interval::from_secs(1));
    i.advert_int = if ver == 2 {
        if adv.0 % 1_000_000 != 0 {
            cx.err(
                span,
                format!(
                    "{me} VRRPv2 advertisement interval {}s must be an integer. rounding",
                    fmt_micros(adv.0)
                ),
            );
            Interval(((adv.0 + 500_000) / 1_000_000).max(1) * 1_000_000)
        } else {
            adv
        }
    } else if adv.0 >= 40_960_000 {
        cx.err(span, format!(
            "{me} VRRPv3 advertisement interval {:.2}s is out of range. Must be less than 40.96s. Setting to 40.95s",
            adv.0 as f64 / 1e6
        ));
        Interval(40_950_000)
    } else if adv.0 % 10_000 != 0 {
        cx.err(
            span,
            format!(
                "{me} VRRPv3 advertisement interval {}s must be in units of 10ms - rounding",
                fmt_micros(adv.0)
            ),
        );
        Interval(((adv.0 + 5_000) / 10_000).max(1) * 10_000)
    } else {
        adv
    };

    // An IPv6 instance (even one allowed VRRPv2) needs an address.
    if i.vips.is_empty() && fam == Family::Inet6 {
        cx.err(
            span,
            format!("{me} No VIP specified; at least one is required"),
        );
        return None;
    }
    // Spec 2.2: the advert carries at most 255 addresses; the rest become eVIPs.
    let mtu = i
        .interface
        .as_ref()
        .and_then(|n| host.mtus.get(n).copied())
        .unwrap_or(1500);
    let max = max_vips(fam, mtu);
    if i.vips.len() > max {
        cx.err(span, format!(
            "{me} Number of VIPs ({}) exceeds maximum/space available in packet (max {max} addresses) - excess moved to eVIPs",
            i.vips.len()
        ));
        let extra = i.vips.split_off(max);
        i.evips.extend(extra);
    }
    if fam == Family::Inet6
        && let Some(first) = i.vips.first()
    {
        let ll = matches!(first.addr, IpAddr::V6(a) if (a.segments()[0] & 0xffc0) == 0xfe80);
        if !ll {
            if strict {
                cx.err(
                    span,
                    format!("{me} the first IPv6 VIP address must be link local"),
                );
            } else {
                cx.note(
                    None,
                    format!("{me} the first IPv6 VIP address should be link local"),
                );
            }
        }
    }
    Some(i)
}
