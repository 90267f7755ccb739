//! keepalived 2.2.7's keyword tables, one static [`Schema`] per block.
//!
//! The lists were checked against the real 2.2.7 binary: a keyword is here exactly when
//! `keepalived -t` does not report `Unknown keyword` for it in that block. Value blocks (each
//! line kept raw) and keyword blocks follow the behaviour spec 1.2.

mod check;
mod global;
mod vrrp;

pub use check::*;
pub use global::*;
pub use vrrp::*;

use crate::schema::{Schema, block, leaf, values};

/// The top level (behaviour spec 1.9). `net_namespace` .. `linkbeat_use_polling` are top-level
/// only; `include*` lines are handled by the preprocessor and never reach the tables.
pub static ROOT: Schema = Schema {
    name: "root",
    keywords: &[
        block("SSL", &SSL),
        block("bfd_instance", &BFD_INSTANCE),
        leaf("child_wait_time"),
        block("garp_group", &GARP_GROUP),
        block("global_defs", &GLOBAL_DEFS),
        leaf("instance"),
        values("interface_up_down_delays"),
        values("linkbeat_interfaces"),
        leaf("linkbeat_use_polling"),
        leaf("namespace_with_ipsets"),
        leaf("net_namespace"),
        leaf("net_namespace_ipvs"),
        values("static_ipaddress"),
        values("static_routes"),
        values("static_rules"),
        block("track_file", &TRACK_FILE),
        block("track_group", &TRACK_GROUP),
        leaf("use_pid_dir"),
        block("virtual_server", &VIRTUAL_SERVER),
        values("virtual_server_group"),
        block("vrrp_instance", &VRRP_INSTANCE),
        block("vrrp_script", &VRRP_SCRIPT),
        block("vrrp_sync_group", &VRRP_SYNC_GROUP),
        block("vrrp_track_file", &TRACK_FILE),
        block("vrrp_track_process", &VRRP_TRACK_PROCESS),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Kind;

    fn all() -> Vec<&'static Schema> {
        let mut seen: Vec<&'static Schema> = vec![&ROOT];
        let mut i = 0;
        while i < seen.len() {
            for k in seen[i].keywords {
                if let Kind::Block(s) = k.kind
                    && !seen.iter().any(|x| std::ptr::eq(*x, s))
                {
                    seen.push(s);
                }
            }
            i += 1;
        }
        seen
    }

    // Spec 1.2: every block kind reachable from the root, no duplicate keyword in a table.
    #[test]
    fn tables_have_unique_keywords() {
        let tables = all();
        assert!(tables.len() >= 26, "{}", tables.len());
        for t in tables {
            let mut names: Vec<_> = t.keywords.iter().map(|k| k.name).collect();
            names.sort_unstable();
            let n = names.len();
            names.dedup();
            assert_eq!(n, names.len(), "duplicate keyword in {}", t.name);
        }
    }

    // Spec 1.9: top-level-only keywords are unknown inside global_defs and vice versa.
    #[test]
    fn top_level_only_keywords() {
        for k in [
            "instance",
            "child_wait_time",
            "net_namespace",
            "use_pid_dir",
        ] {
            assert!(ROOT.get(k).is_some(), "{k}");
            assert!(GLOBAL_DEFS.get(k).is_none(), "{k}");
        }
        assert!(ROOT.get("router_id").is_none());
    }

    // Spec 0 / 2.1: keywords new in later releases are unknown in 2.2.7.
    #[test]
    fn newer_keywords_are_unknown() {
        for k in [
            "state_dump_file",
            "json_version",
            "vrrp_owner_ignore_adverts",
            "use_symlink_paths",
        ] {
            assert!(GLOBAL_DEFS.get(k).is_none(), "{k}");
        }
        for k in ["no_virtual_ipaddress", "auth_hmac", "timer_expired_backup"] {
            assert!(VRRP_INSTANCE.get(k).is_none(), "{k}");
        }
    }

    // Spec 1.2: value blocks versus keyword blocks.
    #[test]
    fn block_kinds() {
        assert!(matches!(
            VRRP_INSTANCE.get("virtual_ipaddress").map(|k| k.kind),
            Some(Kind::Values)
        ));
        assert!(matches!(
            VRRP_INSTANCE.get("authentication").map(|k| k.kind),
            Some(Kind::Block(_))
        ));
        assert!(matches!(
            ROOT.get("virtual_server_group").map(|k| k.kind),
            Some(Kind::Values)
        ));
        assert!(matches!(
            HTTP_GET.get("url").map(|k| k.kind),
            Some(Kind::Block(_))
        ));
        assert!(matches!(
            VRRP_SYNC_GROUP.get("group").map(|k| k.kind),
            Some(Kind::Values)
        ));
    }
}
