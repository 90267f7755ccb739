//! Checker-side keyword tables (behaviour spec 3).

use crate::schema::{Schema, block, leaf};

/// `SSL` (spec 3.4).
pub static SSL: Schema = Schema {
    name: "SSL",
    keywords: &[
        leaf("ca"),
        leaf("certificate"),
        leaf("key"),
        leaf("password"),
    ],
};

/// `virtual_server` (spec 3.2).
pub static VIRTUAL_SERVER: Schema = Schema {
    name: "virtual_server",
    keywords: &[
        leaf("alpha"),
        leaf("connect_timeout"),
        leaf("delay_before_retry"),
        leaf("delay_loop"),
        leaf("flag-1"),
        leaf("flag-2"),
        leaf("flag-3"),
        leaf("ha_suspend"),
        leaf("hashed"),
        leaf("hysteresis"),
        leaf("inhibit_on_failure"),
        leaf("ip_family"),
        leaf("lb_algo"),
        leaf("lb_kind"),
        leaf("lvs_method"),
        leaf("lvs_sched"),
        leaf("mh-fallback"),
        leaf("mh-port"),
        leaf("omega"),
        leaf("persistence_engine"),
        leaf("persistence_granularity"),
        leaf("persistence_timeout"),
        leaf("protocol"),
        leaf("quorum"),
        leaf("quorum_down"),
        leaf("quorum_up"),
        block("real_server", &REAL_SERVER),
        leaf("retry"),
        leaf("sh-fallback"),
        leaf("sh-port"),
        leaf("smtp_alert"),
        leaf("snmp_name"),
        leaf("sorry_server"),
        leaf("sorry_server_inhibit"),
        leaf("sorry_server_lvs_method"),
        leaf("virtualhost"),
        leaf("warmup"),
        leaf("weight"),
    ],
};

/// `real_server` (spec 3.3).
pub static REAL_SERVER: Schema = Schema {
    name: "real_server",
    keywords: &[
        block("BFD_CHECK", &BFD_CHECK),
        block("DNS_CHECK", &DNS_CHECK),
        block("FILE_CHECK", &FILE_CHECK),
        block("HTTP_GET", &HTTP_GET),
        block("MISC_CHECK", &MISC_CHECK),
        block("PING_CHECK", &PING_CHECK),
        block("SMTP_CHECK", &SMTP_CHECK),
        block("SSL_GET", &SSL_GET),
        block("TCP_CHECK", &TCP_CHECK),
        block("UDP_CHECK", &UDP_CHECK),
        leaf("alpha"),
        leaf("connect_timeout"),
        leaf("delay_before_retry"),
        leaf("delay_loop"),
        leaf("inhibit_on_failure"),
        leaf("lthreshold"),
        leaf("lvs_method"),
        leaf("notify_down"),
        leaf("notify_up"),
        leaf("retry"),
        leaf("smtp_alert"),
        leaf("snmp_name"),
        leaf("uthreshold"),
        leaf("virtualhost"),
        leaf("warmup"),
        leaf("weight"),
    ],
};

/// `TCP_CHECK` (spec 3.4).
pub static TCP_CHECK: Schema = Schema {
    name: "TCP_CHECK",
    keywords: &[
        leaf("alpha"),
        leaf("bind_if"),
        leaf("bind_port"),
        leaf("bindto"),
        leaf("connect_ip"),
        leaf("connect_port"),
        leaf("connect_timeout"),
        leaf("delay_before_retry"),
        leaf("delay_loop"),
        leaf("fwmark"),
        leaf("log_all_failures"),
        leaf("retry"),
        leaf("warmup"),
    ],
};

/// `HTTP_GET` (spec 3.4).
pub static HTTP_GET: Schema = Schema {
    name: "HTTP_GET",
    keywords: &[
        leaf("alpha"),
        leaf("bind_if"),
        leaf("bind_port"),
        leaf("bindto"),
        leaf("connect_ip"),
        leaf("connect_port"),
        leaf("connect_timeout"),
        leaf("delay_before_retry"),
        leaf("delay_loop"),
        leaf("enable_sni"),
        leaf("fast_recovery"),
        leaf("fwmark"),
        leaf("http_protocol"),
        leaf("log_all_failures"),
        leaf("nb_get_retry"),
        leaf("retry"),
        block("url", &URL),
        leaf("virtualhost"),
        leaf("warmup"),
    ],
};

/// `SSL_GET` (spec 3.4).
pub static SSL_GET: Schema = Schema {
    name: "SSL_GET",
    keywords: &[
        leaf("alpha"),
        leaf("bind_if"),
        leaf("bind_port"),
        leaf("bindto"),
        leaf("connect_ip"),
        leaf("connect_port"),
        leaf("connect_timeout"),
        leaf("delay_before_retry"),
        leaf("delay_loop"),
        leaf("enable_sni"),
        leaf("fast_recovery"),
        leaf("fwmark"),
        leaf("http_protocol"),
        leaf("log_all_failures"),
        leaf("nb_get_retry"),
        leaf("retry"),
        block("url", &URL),
        leaf("virtualhost"),
        leaf("warmup"),
    ],
};

/// `MISC_CHECK` (spec 3.4).
pub static MISC_CHECK: Schema = Schema {
    name: "MISC_CHECK",
    keywords: &[
        leaf("alpha"),
        leaf("delay_before_retry"),
        leaf("delay_loop"),
        leaf("log_all_failures"),
        leaf("misc_dynamic"),
        leaf("misc_path"),
        leaf("misc_timeout"),
        leaf("retry"),
        leaf("user"),
        leaf("warmup"),
    ],
};

/// `SMTP_CHECK` (spec 3.4).
pub static SMTP_CHECK: Schema = Schema {
    name: "SMTP_CHECK",
    keywords: &[
        leaf("alpha"),
        leaf("bind_if"),
        leaf("bind_port"),
        leaf("bindto"),
        leaf("connect_ip"),
        leaf("connect_port"),
        leaf("connect_timeout"),
        leaf("delay_before_retry"),
        leaf("delay_loop"),
        leaf("fwmark"),
        leaf("helo_name"),
        block("host", &SMTP_HOST),
        leaf("log_all_failures"),
        leaf("retry"),
        leaf("warmup"),
    ],
};

/// `DNS_CHECK` (spec 3.4).
pub static DNS_CHECK: Schema = Schema {
    name: "DNS_CHECK",
    keywords: &[
        leaf("alpha"),
        leaf("bind_if"),
        leaf("bind_port"),
        leaf("bindto"),
        leaf("connect_ip"),
        leaf("connect_port"),
        leaf("connect_timeout"),
        leaf("delay_before_retry"),
        leaf("delay_loop"),
        leaf("fwmark"),
        leaf("log_all_failures"),
        leaf("name"),
        leaf("retry"),
        leaf("type"),
        leaf("warmup"),
    ],
};

/// `UDP_CHECK` (spec 3.4).
pub static UDP_CHECK: Schema = Schema {
    name: "UDP_CHECK",
    keywords: &[
        leaf("alpha"),
        leaf("bind_if"),
        leaf("bind_port"),
        leaf("bindto"),
        leaf("connect_ip"),
        leaf("connect_port"),
        leaf("connect_timeout"),
        leaf("delay_before_retry"),
        leaf("delay_loop"),
        leaf("fwmark"),
        leaf("log_all_failures"),
        leaf("max_reply_length"),
        leaf("min_reply_length"),
        leaf("payload"),
        leaf("require_reply"),
        leaf("retry"),
        leaf("warmup"),
    ],
};

/// `PING_CHECK` (spec 3.4).
pub static PING_CHECK: Schema = Schema {
    name: "PING_CHECK",
    keywords: &[
        leaf("alpha"),
        leaf("bind_if"),
        leaf("bind_port"),
        leaf("bindto"),
        leaf("connect_ip"),
        leaf("connect_port"),
        leaf("connect_timeout"),
        leaf("delay_before_retry"),
        leaf("delay_loop"),
        leaf("fwmark"),
        leaf("log_all_failures"),
        leaf("retry"),
        leaf("warmup"),
    ],
};

/// `FILE_CHECK` (spec 3.4).
pub static FILE_CHECK: Schema = Schema {
    name: "FILE_CHECK",
    keywords: &[leaf("track_file"), leaf("weight")],
};

/// `BFD_CHECK` (spec 3.4).
pub static BFD_CHECK: Schema = Schema {
    name: "BFD_CHECK",
    keywords: &[leaf("alpha"), leaf("name")],
};

/// `url` (spec 3.4, inside HTTP_GET/SSL_GET).
pub static URL: Schema = Schema {
    name: "url",
    keywords: &[
        leaf("digest"),
        leaf("path"),
        leaf("regex"),
        leaf("regex_max_offset"),
        leaf("regex_min_offset"),
        leaf("regex_no_match"),
        leaf("regex_options"),
        leaf("regex_stack"),
        leaf("status_code"),
        leaf("virtualhost"),
    ],
};

/// `host` (spec 3.4, deprecated, inside SMTP_CHECK).
pub static SMTP_HOST: Schema = Schema {
    name: "host",
    keywords: &[
        leaf("alpha"),
        leaf("bind_if"),
        leaf("bind_port"),
        leaf("bindto"),
        leaf("connect_ip"),
        leaf("connect_port"),
        leaf("connect_timeout"),
        leaf("delay_before_retry"),
        leaf("delay_loop"),
        leaf("fwmark"),
        leaf("log_all_failures"),
        leaf("retry"),
        leaf("warmup"),
    ],
};
