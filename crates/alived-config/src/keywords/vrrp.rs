//! VRRP-side keyword tables (behaviour spec 2.2 to 2.5).

use crate::schema::{Schema, block, leaf, values};

/// `vrrp_instance` (spec 2.2).
pub static VRRP_INSTANCE: Schema = Schema {
    name: "vrrp_instance",
    keywords: &[
        leaf("accept"),
        leaf("advert_int"),
        block("authentication", &AUTHENTICATION),
        leaf("check_unicast_src"),
        leaf("debug"),
        leaf("dont_track_primary"),
        leaf("down_timer_adverts"),
        leaf("garp_extra_if"),
        leaf("garp_lower_prio_delay"),
        leaf("garp_lower_prio_repeat"),
        leaf("garp_master_delay"),
        leaf("garp_master_refresh"),
        leaf("garp_master_refresh_repeat"),
        leaf("garp_master_repeat"),
        leaf("higher_prio_send_advert"),
        leaf("interface"),
        leaf("kernel_rx_buf_size"),
        leaf("linkbeat_use_polling"),
        leaf("lower_prio_no_advert"),
        leaf("lvs_sync_daemon_interface"),
        leaf("mcast_dst_ip"),
        leaf("mcast_src_ip"),
        leaf("native_ipv6"),
        leaf("no_accept"),
        leaf("nopreempt"),
        leaf("notify"),
        leaf("notify_backup"),
        leaf("notify_deleted"),
        leaf("notify_fault"),
        leaf("notify_master"),
        leaf("notify_master_rx_lower_pri"),
        leaf("notify_priority_changes"),
        leaf("notify_stop"),
        leaf("old_unicast_checksum"),
        leaf("preempt"),
        leaf("preempt_delay"),
        leaf("priority"),
        leaf("promote_secondaries"),
        leaf("skip_check_adv_addr"),
        leaf("smtp_alert"),
        leaf("state"),
        leaf("strict_mode"),
        values("track_bfd"),
        values("track_file"),
        values("track_interface"),
        values("track_process"),
        values("track_script"),
        leaf("track_src_ip"),
        leaf("unicast_fault_no_peer"),
        values("unicast_peer"),
        leaf("unicast_src_ip"),
        leaf("unicast_ttl"),
        leaf("use_ipvlan"),
        leaf("use_vmac"),
        leaf("use_vmac_addr"),
        leaf("version"),
        values("virtual_ipaddress"),
        values("virtual_ipaddress_excluded"),
        leaf("virtual_router_id"),
        values("virtual_routes"),
        values("virtual_rules"),
        leaf("vmac_garp_intvl"),
        leaf("vmac_xmit_base"),
        leaf("vrf"),
    ],
};

/// `authentication` (spec 2.8).
pub static AUTHENTICATION: Schema = Schema {
    name: "authentication",
    keywords: &[leaf("auth_pass"), leaf("auth_type")],
};

/// `vrrp_sync_group` (spec 2.4).
pub static VRRP_SYNC_GROUP: Schema = Schema {
    name: "vrrp_sync_group",
    keywords: &[
        leaf("global_tracking"),
        values("group"),
        leaf("notify"),
        leaf("notify_backup"),
        leaf("notify_fault"),
        leaf("notify_master"),
        leaf("notify_priority_changes"),
        leaf("notify_stop"),
        leaf("smtp_alert"),
        leaf("sync_group_tracking_weight"),
        values("track_bfd"),
        values("track_file"),
        values("track_interface"),
        values("track_process"),
        values("track_script"),
    ],
};

/// `vrrp_script` (spec 2.5).
pub static VRRP_SCRIPT: Schema = Schema {
    name: "vrrp_script",
    keywords: &[
        leaf("fall"),
        leaf("init_fail"),
        leaf("interval"),
        leaf("rise"),
        leaf("script"),
        leaf("timeout"),
        leaf("user"),
        leaf("weight"),
    ],
};

/// `track_file` (spec 2.5; also `vrrp_track_file`).
pub static TRACK_FILE: Schema = Schema {
    name: "track_file",
    keywords: &[leaf("file"), leaf("init_file"), leaf("weight")],
};

/// `vrrp_track_process` (spec 2.5).
pub static VRRP_TRACK_PROCESS: Schema = Schema {
    name: "vrrp_track_process",
    keywords: &[
        leaf("delay"),
        leaf("fork_delay"),
        leaf("full_command"),
        leaf("param_match"),
        leaf("process"),
        leaf("quorum"),
        leaf("quorum_max"),
        leaf("terminate_delay"),
        leaf("weight"),
    ],
};

/// `garp_group` (spec 2.5).
pub static GARP_GROUP: Schema = Schema {
    name: "garp_group",
    keywords: &[
        leaf("garp_interval"),
        leaf("gna_interval"),
        leaf("interface"),
        values("interfaces"),
    ],
};

/// `track_group` (spec 2.5).
pub static TRACK_GROUP: Schema = Schema {
    name: "track_group",
    keywords: &[values("group")],
};

/// `bfd_instance` (spec 2.5).
pub static BFD_INSTANCE: Schema = Schema {
    name: "bfd_instance",
    keywords: &[
        leaf("checker"),
        leaf("hoplimit"),
        leaf("idle_tx"),
        leaf("max_hops"),
        leaf("min_rx"),
        leaf("min_tx"),
        leaf("multiplier"),
        leaf("neighbor_ip"),
        leaf("neighbour_ip"),
        leaf("passive"),
        leaf("source_ip"),
        leaf("ttl"),
        leaf("vrrp"),
        leaf("weight"),
    ],
};
