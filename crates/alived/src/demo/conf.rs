//! keepalived.conf text for the lab: one `vrrp_instance` per router, written in the grammar
//! both alived and keepalived 2.2.7 accept (behaviour spec 2.2).
//!
//! Shared by `alived demo` and the root scenario tests (tests/common includes this file).

use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// One router's VRRP instance, rendered by [`VrrpConf::render`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpConf {
    /// `router_id` in `global_defs`.
    pub router_id: String,
    /// Instance name (`VI_1`).
    pub name: String,
    /// `state` (MASTER or BACKUP; only a start hint below priority 255).
    pub state: &'static str,
    pub interface: String,
    pub vrid: u8,
    pub priority: u8,
    /// 2 or 3.
    pub version: u8,
    /// `advert_int` as written (seconds; v3 allows a fraction like `0.1`).
    pub advert_int: String,
    /// `authentication { auth_type PASS; auth_pass .. }` (VRRPv2 only).
    pub auth_pass: Option<String>,
    /// Addresses with prefix, e.g. `10.0.0.100/24`.
    pub vips: Vec<String>,
    pub nopreempt: bool,
    /// `preempt_delay` in seconds.
    pub preempt_delay: Option<u32>,
    /// `garp_master_delay` in seconds (default 5).
    pub garp_master_delay: Option<u32>,
    pub use_vmac: bool,
}

impl VrrpConf {
    /// The classic pair member: VRID 51, VRRPv2, advert_int 1, PASS authentication, one VIP.
    /// Priority 100 starts as `state MASTER`, anything else as `state BACKUP`.
    pub fn classic(router_id: &str, priority: u8, vip: Ipv4Addr) -> VrrpConf {
        VrrpConf {
            router_id: router_id.to_owned(),
            name: "VI_1".to_owned(),
            state: if priority >= 100 { "MASTER" } else { "BACKUP" },
            interface: "eth0".to_owned(),
            vrid: 51,
            priority,
            version: 2,
            advert_int: "1".to_owned(),
            auth_pass: Some("s3cr3t".to_owned()),
            vips: vec![format!("{vip}/24")],
            nopreempt: false,
            preempt_delay: None,
            garp_master_delay: None,
            use_vmac: false,
        }
    }

    /// A fast VRRPv3 variant: advert_int 0.1 (Master_Down_Interval about 0.37 s), no
    /// authentication (v3 has none), `state BACKUP`.
    pub fn fast_v3(router_id: &str, priority: u8, vip: Ipv4Addr) -> VrrpConf {
        VrrpConf {
            state: "BACKUP",
            version: 3,
            advert_int: "0.1".to_owned(),
            auth_pass: None,
            ..VrrpConf::classic(router_id, priority, vip)
        }
    }

    /// The configuration file text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "global_defs {{\n    router_id {}\n}}\n", self.router_id);
        let _ = writeln!(s, "vrrp_instance {} {{", self.name);
        let _ = writeln!(s, "    state {}", self.state);
        let _ = writeln!(s, "    interface {}", self.interface);
        let _ = writeln!(s, "    virtual_router_id {}", self.vrid);
        let _ = writeln!(s, "    priority {}", self.priority);
        let _ = writeln!(s, "    version {}", self.version);
        let _ = writeln!(s, "    advert_int {}", self.advert_int);
        if self.nopreempt {
            let _ = writeln!(s, "    nopreempt");
        }
        if let Some(d) = self.preempt_delay {
            let _ = writeln!(s, "    preempt_delay {d}");
        }
        if let Some(d) = self.garp_master_delay {
            let _ = writeln!(s, "    garp_master_delay {d}");
        }
        if self.use_vmac {
            let _ = writeln!(s, "    use_vmac");
        }
        if let Some(pass) = &self.auth_pass {
            let _ = writeln!(
                s,
                "    authentication {{\n        auth_type PASS\n        auth_pass {pass}\n    }}"
            );
        }
        let _ = writeln!(s, "    virtual_ipaddress {{");
        for vip in &self.vips {
            let _ = writeln!(s, "        {vip}");
        }
        let _ = writeln!(s, "    }}\n}}");
        s
    }
}
