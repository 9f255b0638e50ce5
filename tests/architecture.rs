//! The architecture's invariants (ARCHITECTURE.md), checked over `cargo metadata` and the sources:
//! dependencies point one way, the pure crates stay pure, and only the UI's api module talks to
//! Tauri.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Each workspace package with the names of its normal and build dependencies.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null() || d["kind"] == "build")
                .map(|d| d["name"].as_str().unwrap().to_owned())
                .collect();
            (p["name"].as_str().unwrap().to_owned(), deps)
        })
        .collect()
}

#[test]
fn dependencies_point_one_way() {
    // drift → core → store / connectors / charts → cli, shell.
    let allowed: [(&str, &[&str]); 7] = [
        ("gatehouse-drift", &[]),
        ("gatehouse-core", &["gatehouse-drift"]),
        ("gatehouse-store", &["gatehouse-core", "gatehouse-drift"]),
        (
            "gatehouse-connectors",
            &["gatehouse-core", "gatehouse-drift"],
        ),
        ("gatehouse-charts", &["gatehouse-core", "gatehouse-drift"]),
        (
            "gatehouse-cli",
            &[
                "gatehouse-core",
                "gatehouse-drift",
                "gatehouse-store",
                "gatehouse-connectors",
                "gatehouse-charts",
            ],
        ),
        (
            "gatehouse-app",
            &[
                "gatehouse-core",
                "gatehouse-drift",
                "gatehouse-store",
                "gatehouse-connectors",
                "gatehouse-charts",
            ],
        ),
    ];
    let deps = dependencies();
    for (package, may_use) in allowed {
        let Some(used) = deps.get(package) else {
            panic!("{package} is missing from the workspace");
        };
        for dep in used.iter().filter(|d| d.starts_with("gatehouse-")) {
            assert!(
                may_use.contains(&dep.as_str()),
                "{package} must not depend on {dep}"
            );
        }
    }
}

#[test]
fn the_pure_crates_know_no_framework_or_io_library() {
    let deps = dependencies();
    let forbidden = ["tauri", "sqlx", "reqwest", "keyring", "plotters", "tokio"];
    for package in ["gatehouse-core", "gatehouse-drift"] {
        for dep in &deps[package] {
            assert!(
                !forbidden.contains(&dep.as_str()),
                "{package} must not depend on {dep}"
            );
        }
    }
    assert!(deps["gatehouse-drift"]
        .iter()
        .all(|d| d != "gatehouse-core"));
}

#[test]
fn plain_cargo_test_builds_neither_webkit_nor_the_ui() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let doc: toml::Table = toml::from_str(&manifest).unwrap();
    let members: Vec<&str> = doc["workspace"]["default-members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(!members.contains(&"src-tauri"), "{members:?}");
    assert!(members.contains(&"tests") && members.contains(&"src-tauri/crates/gatehouse-core"));
}

#[test]
fn only_the_ui_api_module_imports_tauri() {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("ts" | "svelte" | "js")
            ) {
                found.push(path);
            }
        }
    }
    let src = root().join("ui/src");
    let api = src.join("lib/api");
    let mut files = Vec::new();
    walk(&src, &mut files);
    assert!(!files.is_empty(), "the UI has sources");
    for file in files.iter().filter(|f| !f.starts_with(&api)) {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            !text.contains("@tauri-apps/"),
            "{} imports Tauri outside ui/src/lib/api",
            file.display()
        );
    }
}
