//! Every file in `tests/broken/` (one per failure kind of the grammar) is parsed and its
//! rendered diagnostics, exit code and resulting tree are snapshotted. None may panic.
//!
//! Regenerate with `INSTA_UPDATE=always cargo test -p alived-config --test broken`, then
//! review the `.snap` files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use alived_config::{Options, parse_file};
use common::*;
use std::path::Path;

#[test]
fn broken_configs() {
    let dir = Path::new("tests/broken");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        // `model-*` files are the model's (value, range and cross-check) failures; tests/model.rs
        // snapshots them through the whole loader and compares exit codes with keepalived.
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("model-"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 30, "only {} broken configs", files.len());
    let opts = Options::default();
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let parsed = std::panic::catch_unwind(|| parse_file(&path, &opts, &ROOT))
            .unwrap_or_else(|_| panic!("parsing {} panicked", path.display()));
        let out = format!("{}--- tree\n{}", report(&parsed), outline(&parsed));
        insta::assert_snapshot!(name, out);
    }
}
