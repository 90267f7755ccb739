//! Checker policy (retry, rise/fall, quorum, hysteresis, alpha/omega) and the load-balancer
//! plan: desired virtual services versus current, as a list of changes. Pure.
#![forbid(unsafe_code)]
