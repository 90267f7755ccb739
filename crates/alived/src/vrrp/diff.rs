//! Reload as a pure diff (ARCHITECTURE.md section 3): which running instances the new
//! configuration keeps as they are, keeps with new settings, removes, and which it adds.
//!
//! Instances are matched as keepalived 2.2.7 matches them (`vrrp_exist()`, behaviour spec
//! 4.2): by VRID, family, configured interface, unicast or multicast addressing (with the
//! source address), VMAC and multicast group, not by name. Measured: an instance renamed on a
//! reload keeps its state, a priority or interval change keeps the state and goes out in the
//! next advert, and a VRID change is a removal plus an addition.
//!
//! One more thing is part of the match here: `auth_type AH` (adverts arrive on another
//! socket, IP protocol 51), so a kept instance always keeps its socket.

use super::spec::{AuthSpec, InstanceSpec};
use alived_vrrp::types::Name;
use std::net::IpAddr;

/// What a running instance is recognised by across a reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchKey {
    pub vrid: u8,
    pub ipv6: bool,
    pub interface: Name,
    pub unicast: bool,
    pub src_ip: Option<IpAddr>,
    pub vmac: Option<Name>,
    pub vmac_xmit_base: bool,
    pub mcast_group: IpAddr,
    pub ah: bool,
}

impl MatchKey {
    pub fn of(s: &InstanceSpec) -> MatchKey {
        MatchKey {
            vrid: s.vrid.get(),
            ipv6: s.is_ipv6(),
            interface: s.interface.clone(),
            unicast: s.is_unicast(),
            src_ip: s.extra.src_ip,
            vmac: s.extra.use_vmac.as_ref().map(|v| v.name.clone()),
            vmac_xmit_base: s.extra.vmac_xmit_base,
            mcast_group: s.extra.mcast_group,
            ah: matches!(s.extra.auth, Some(AuthSpec::Ah(_))),
        }
    }
}

/// What a reload does, by position in the old and the new instance lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// `(old, new)`: identical settings; nothing is touched.
    pub unchanged: Vec<(usize, usize)>,
    /// `(old, new)`: the same instance with new settings; its state is kept.
    pub changed: Vec<(usize, usize)>,
    /// Old instances the new configuration does not have.
    pub removed: Vec<usize>,
    /// New instances.
    pub added: Vec<usize>,
}

impl Plan {
    pub fn is_noop(&self) -> bool {
        self.changed.is_empty() && self.removed.is_empty() && self.added.is_empty()
    }
}

/// Matches `old` to `new`. Each item is an instance and whatever else decides whether it
/// changed (its trackers, say): equal specs and equal extras are `unchanged`. Each old
/// instance matches at most one new one (the first with its key).
pub fn diff<X: PartialEq>(old: &[(InstanceSpec, X)], new: &[(InstanceSpec, X)]) -> Plan {
    let old_keys: Vec<MatchKey> = old.iter().map(|(s, _)| MatchKey::of(s)).collect();
    let mut taken = vec![false; old.len()];
    let mut plan = Plan::default();
    for (n, (spec, extra)) in new.iter().enumerate() {
        let key = MatchKey::of(spec);
        let found = old_keys
            .iter()
            .enumerate()
            .position(|(o, k)| *k == key && !taken.get(o).copied().unwrap_or(true));
        match found {
            Some(o) => {
                if let Some(t) = taken.get_mut(o) {
                    *t = true;
                }
                let same = old.get(o).is_some_and(|(s, x)| s == spec && x == extra);
                if same {
                    plan.unchanged.push((o, n));
                } else {
                    plan.changed.push((o, n));
                }
            }
            None => plan.added.push(n),
        }
    }
    plan.removed = taken
        .iter()
        .enumerate()
        .filter(|(_, t)| !**t)
        .map(|(o, _)| o)
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vrrp::build::tests::load;

    fn inst(name: &str, vrid: u8, prio: u8, vips: &str) -> String {
        format!(
            "vrrp_instance {name} {{\n interface eth0\n virtual_router_id {vrid}\n \
             priority {prio}\n virtual_ipaddress {{\n {vips}\n }}\n}}\n"
        )
    }

    fn specs(text: &str) -> Vec<(InstanceSpec, ())> {
        load(text).into_iter().map(|s| (s, ())).collect()
    }

    #[test]
    fn the_same_configuration_changes_nothing() {
        let text = inst("VI_1", 51, 150, "10.0.0.1") + &inst("VI_2", 52, 150, "10.0.0.2");
        let plan = diff(&specs(&text), &specs(&text));
        assert_eq!(plan.unchanged, [(0, 0), (1, 1)]);
        assert!(plan.is_noop());
    }

    #[test]
    fn instances_are_matched_by_vrid_not_by_position() {
        let a = inst("VI_1", 51, 150, "10.0.0.1") + &inst("VI_2", 52, 150, "10.0.0.2");
        let b = inst("VI_2", 52, 150, "10.0.0.2") + &inst("VI_1", 51, 150, "10.0.0.1");
        let plan = diff(&specs(&a), &specs(&b));
        assert_eq!(plan.unchanged, [(1, 0), (0, 1)]);
        assert!(plan.is_noop());
    }

    #[test]
    fn priority_vips_and_name_are_changes_of_the_same_instance() {
        let a = inst("VI_1", 51, 150, "10.0.0.1") + &inst("VI_2", 52, 150, "10.0.0.2");
        let b = inst("VI_1", 51, 120, "10.0.0.1") + &inst("VI_X", 52, 150, "10.0.0.2\n 10.0.0.3");
        let plan = diff(&specs(&a), &specs(&b));
        assert_eq!(plan.changed, [(0, 0), (1, 1)]);
        assert!(plan.removed.is_empty() && plan.added.is_empty());
    }

    #[test]
    fn a_new_vrid_or_interface_is_a_removal_and_an_addition() {
        let a = inst("VI_1", 51, 150, "10.0.0.1") + &inst("VI_2", 52, 150, "10.0.0.2");
        let b = inst("VI_1", 61, 150, "10.0.0.1")
            + &inst("VI_2", 52, 150, "10.0.0.2").replace("eth0", "eth1");
        let plan = diff(&specs(&a), &specs(&b));
        assert_eq!(plan.removed, [0, 1]);
        assert_eq!(plan.added, [0, 1]);
        assert!(plan.unchanged.is_empty() && plan.changed.is_empty());
    }

    #[test]
    fn deleted_and_added_instances() {
        let a = inst("VI_1", 51, 150, "10.0.0.1") + &inst("VI_2", 52, 150, "10.0.0.2");
        let b = inst("VI_1", 51, 150, "10.0.0.1") + &inst("VI_3", 53, 150, "10.0.0.3");
        let plan = diff(&specs(&a), &specs(&b));
        assert_eq!(plan.unchanged, [(0, 0)]);
        assert_eq!(plan.removed, [1]);
        assert_eq!(plan.added, [1]);
    }

    #[test]
    fn unicast_source_and_family_are_part_of_the_match() {
        let uni = |src: &str| {
            inst("VI_1", 51, 150, "10.0.0.1").replace(
                " priority",
                &format!(" unicast_src_ip {src}\n unicast_peer {{\n 10.0.0.9\n }}\n priority"),
            )
        };
        let plan = diff(&specs(&uni("10.0.0.5")), &specs(&uni("10.0.0.6")));
        assert_eq!((plan.removed.len(), plan.added.len()), (1, 1));
        let v6 = inst("VI_1", 51, 150, "fd00::1");
        let plan = diff(&specs(&inst("VI_1", 51, 150, "10.0.0.1")), &specs(&v6));
        assert_eq!((plan.removed.len(), plan.added.len()), (1, 1));
    }

    #[test]
    fn an_extra_difference_is_a_change() {
        let text = inst("VI_1", 51, 150, "10.0.0.1");
        let old: Vec<(InstanceSpec, u32)> = load(&text).into_iter().map(|s| (s, 1)).collect();
        let new: Vec<(InstanceSpec, u32)> = load(&text).into_iter().map(|s| (s, 2)).collect();
        assert_eq!(diff(&old, &new).changed, [(0, 0)]);
    }

    #[test]
    fn two_new_instances_with_one_key_match_once() {
        let a = inst("VI_1", 51, 150, "10.0.0.1");
        let b = inst("VI_1", 51, 150, "10.0.0.1") + &inst("VI_2", 51, 150, "10.0.0.2");
        let plan = diff(&specs(&a), &specs(&b));
        assert_eq!(plan.unchanged, [(0, 0)]);
        assert_eq!(plan.added, [1]);
    }
}
