//! Parts shared by `vrrp_instance` and `vrrp_sync_group`: notify scripts and `track_*`
//! blocks (behaviour spec 2.4 to 2.6).

use super::track::{Track, TrackKind, parse_track};
use super::values::{Cx, Script};
use crate::ast::{Body, Node, Token};
use serde::Serialize;

/// Which notify keyword a script came from (spec 2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyKind {
    Master,
    Backup,
    Fault,
    Stop,
    Deleted,
    /// `notify`: called with `INSTANCE|GROUP NAME STATE PRIORITY` appended.
    Any,
    MasterRxLowerPri,
}

impl NotifyKind {
    fn from_keyword(kw: &str) -> Option<NotifyKind> {
        Some(match kw {
            "notify_master" => NotifyKind::Master,
            "notify_backup" => NotifyKind::Backup,
            "notify_fault" => NotifyKind::Fault,
            "notify_stop" => NotifyKind::Stop,
            "notify_deleted" => NotifyKind::Deleted,
            "notify" => NotifyKind::Any,
            "notify_master_rx_lower_pri" => NotifyKind::MasterRxLowerPri,
            _ => return None,
        })
    }
}

/// Notify scripts (spec 2.6), kept as a short list: most instances have none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Notify {
    pub scripts: Vec<(NotifyKind, Script)>,
}

impl Notify {
    /// Sets the script for a notify keyword (a later line wins); false if `kw` is not one.
    pub(crate) fn set(&mut self, kw: &str, node: &Node) -> bool {
        let Some(kind) = NotifyKind::from_keyword(kw) else {
            return false;
        };
        self.scripts.retain(|(k, _)| *k != kind);
        if let Some(s) = Script::from_node(node) {
            self.scripts.push((kind, s));
        }
        true
    }

    pub fn get(&self, kind: NotifyKind) -> Option<&Script> {
        self.scripts
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, s)| s)
    }

    pub fn all(&self) -> impl Iterator<Item = &Script> {
        self.scripts.iter().map(|(_, s)| s)
    }
}

/// Tracked objects of an instance or sync group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tracking {
    pub interfaces: Vec<Track>,
    pub scripts: Vec<Track>,
    pub files: Vec<Track>,
    pub processes: Vec<Track>,
    pub bfds: Vec<Track>,
}

impl Tracking {
    /// Reads a `track_*` value block; false if `kw` is not one.
    pub(crate) fn read(&mut self, cx: &mut Cx<'_>, owner: &str, kw: &str, node: &Node) -> bool {
        let (kind, list) = match kw {
            "track_interface" => (TrackKind::Interface, &mut self.interfaces),
            "track_script" => (TrackKind::Script, &mut self.scripts),
            "track_file" => (TrackKind::File, &mut self.files),
            "track_process" => (TrackKind::Process, &mut self.processes),
            "track_bfd" => (TrackKind::Bfd, &mut self.bfds),
            _ => return false,
        };
        for line in value_lines(node) {
            let Some(first) = line.first() else { continue };
            if list.iter().any(|o| o.name == first.text) {
                cx.err(
                    first.span,
                    format!("{owner} duplicate {kw} {} - ignoring", first.text),
                );
                continue;
            }
            // keepalived drops a tracked interface that does not exist (a warning).
            if kind == TrackKind::Interface
                && !cx.check_interface(&first.text, first.span, || {
                    format!("{owner} tracked interface {} doesn't exist", first.text)
                })
            {
                continue;
            }
            let known = match kind {
                TrackKind::Script => Some(&cx.known_scripts),
                TrackKind::File => Some(&cx.known_files),
                TrackKind::Process => Some(&cx.known_processes),
                TrackKind::Interface | TrackKind::Bfd => None,
            };
            if known.is_some_and(|k| !k.contains(&first.text)) {
                cx.err(
                    first.span,
                    format!(
                        "{owner} {} {} not found, ignoring...",
                        kind.noun(),
                        first.text
                    ),
                );
                continue;
            }
            if let Some(t) = parse_track(cx, owner, kind, line) {
                list.push(t);
            }
        }
        true
    }
}

pub(crate) fn value_lines(node: &Node) -> &[Vec<Token>] {
    match &node.body {
        Body::Values(v) => v,
        _ => &[],
    }
}
