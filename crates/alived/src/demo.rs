//! `alived demo`: a throwaway lab rehearsing a failover (placeholder, filled in below).
#![allow(dead_code)]

mod conf;
mod router;
mod topology;
mod watch;
