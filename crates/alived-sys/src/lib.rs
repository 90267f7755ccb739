//! Everything Linux: raw VRRP sockets, AF_PACKET GARP/NA, rtnetlink, script runner, probes,
//! SMTP client, syslog. The only crate allowed `unsafe`, each use small and named.
