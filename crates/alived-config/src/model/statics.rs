//! `static_routes` and `static_rules` lines (spec 2.3): the `virtual_routes`/`virtual_rules`
//! grammar plus `track_group`, with the checks keepalived 2.2.7 makes on static items
//! (measured with `keepalived -t`).

use super::route::{Route, Rule, parse_route, parse_rule};
use super::values::Cx;
use crate::ast::Token;

/// keepalived's route protocol, RTPROT_KEEPALIVED: the protocol of every tracked route.
pub const RTPROT_KEEPALIVED: u8 = 18;

/// One `static_routes` line.
pub(crate) fn static_route(cx: &mut Cx<'_>, line: &[Token]) -> Option<Route> {
    let mut r = parse_route(cx, line, true)?;
    if r.dev.is_none() && !r.no_track {
        cx.warn(
            r.span,
            format!(
                "Warning - cannot track route {} with no interface specified, not tracking",
                r.dst_text()
            ),
        );
        r.no_track = true;
        if r.track_group.take().is_some() {
            cx.err(
                r.span,
                "Static route cannot have track group if no oif specified",
            );
        }
    }
    if !r.no_track && r.protocol.is_some_and(|p| p != RTPROT_KEEPALIVED) {
        cx.err(
            r.span,
            "Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol",
        );
        r.protocol = Some(RTPROT_KEEPALIVED);
    }
    Some(r)
}

/// One `static_rules` line: a rule's `track_group` follows its incoming interface.
pub(crate) fn static_rule(cx: &mut Cx<'_>, line: &[Token]) -> Option<Rule> {
    let mut r = parse_rule(cx, line, true)?;
    if r.iif.is_none() && r.track_group.take().is_some() {
        cx.err(
            r.span,
            "Static rule cannot have track_group if dev/iif not specified",
        );
    }
    Some(r)
}
