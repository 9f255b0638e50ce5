//! The `gatehouse` command as scripts and pipelines use it: real workspaces on disk, the JSON
//! documents and exit codes of the contract (DESIGN §5).

// Test helpers fail loudly on purpose: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alerts;
mod connect;
mod drift;
mod drill;
mod export;
mod mlflow;
mod promotions;
mod rollout;
mod status;
mod team;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `gatehouse --workspace W ARGS…` with no user named in the environment.
fn gatehouse(workspace: &Path, args: &[&str]) -> Output {
    gatehouse_with(workspace, args, &[])
}

/// The same with extra environment variables.
fn gatehouse_with(workspace: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    cmd.arg("--workspace")
        .arg(workspace)
        .args(args)
        .env_remove("GATEHOUSE_WORKSPACE")
        .env_remove("GATEHOUSE_USER")
        .env_remove("GATEHOUSE_FAILPOINT")
        .env_remove("GATEHOUSE_STORE_CREDENTIAL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Runs the command as `user` (on a team store, with the user's own database login).
fn as_user(workspace: &Path, user: &str, args: &[&str]) -> Output {
    team::as_user_with(workspace, user, args, &[])
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout_json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = gatehouse(dir.path(), &["demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}
