//! Scenario files (house style rule 9): every `tests/scenarios/*.json` runs on the simulated
//! LAN and its trace must equal the `.expected` file beside it. `UPDATE_SCENARIOS=1` rewrites
//! the expected files instead; review the diff before committing it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use alived_vrrp::sim::scenario::{self, Scenario};
use std::path::{Path, PathBuf};

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn scenarios_match_expected_traces() {
    let update = std::env::var("UPDATE_SCENARIOS").is_ok_and(|v| v == "1");
    let files = scenario_files();
    assert!(files.len() >= 10, "scenario files missing");
    let mut failures = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let s: Scenario =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let got = scenario::run(&s).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            !got.contains("VIOLATION"),
            "{}: invariant violated:\n{got}",
            path.display()
        );
        let expected_path = path.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if want != got {
            failures.push(format!(
                "{} differs from {} (run with UPDATE_SCENARIOS=1 to regenerate):\n--- got\n{got}",
                path.display(),
                expected_path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
