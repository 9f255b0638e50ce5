//! `gatehouse drill`, `quarantine` and `retrain`: a drill played from the command line on its
//! own copy, the responses' exit codes, and the refusal on a workspace that connects MLflow.

use super::*;

fn user(workspace: &Path, user: &str, args: &[&str]) -> Output {
    gatehouse_with(workspace, args, &[("GATEHOUSE_USER", user)])
}

#[test]
fn a_drill_is_played_on_its_copy_and_its_result_kept_in_the_workspace() {
    let dir = demo();
    let started = stdout_json(&user(
        dir.path(),
        "newbie",
        &["--json", "drill", "start", "feature-drift"],
    ));
    let copy = std::path::PathBuf::from(started["copy_dir"].as_str().unwrap());
    assert!(copy.starts_with(dir.path().join("drills")), "{copy:?}");
    assert_eq!(started["events_applied"], 0);

    // An owner the policy does not have is refused.
    let wrong = user(
        &copy,
        "newbie",
        &["retrain", "churn", "--owner", "nobody", "--reason", "drift"],
    );
    assert!(!wrong.status.success());
    assert!(
        stderr(&wrong).contains("no owner `nobody`"),
        "{}",
        stderr(&wrong)
    );
    let asked = stdout_json(&user(
        &copy,
        "newbie",
        &[
            "--json",
            "retrain",
            "churn",
            "--owner",
            "churn-models",
            "--reason",
            "region mix moved",
        ],
    ));
    assert_eq!(asked["action"], "retrain_requested");
    assert_eq!(asked["after"], "churn-models");

    let debrief = stdout_json(&user(&copy, "newbie", &["--json", "drill", "finish"]));
    assert_eq!(debrief["outcome"], "passed");
    assert_eq!(debrief["score"], 100);
    assert_eq!(debrief["actions"][0]["mark"], "expected");

    let cards = stdout_json(&user(dir.path(), "newbie", &["--json", "drill", "list"]));
    let card = cards
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "feature-drift")
        .unwrap();
    assert_eq!(card["best"]["score"], 100);

    // The workspace itself is no drill copy.
    let not_a_copy = user(dir.path(), "newbie", &["drill", "status"]);
    assert!(!not_a_copy.status.success());
    assert!(
        stderr(&not_a_copy).contains("is not a drill copy"),
        "{}",
        stderr(&not_a_copy)
    );
}

#[test]
fn quarantine_needs_a_role_and_a_current_batch() {
    let dir = demo();
    let viewer = user(
        dir.path(),
        "sam",
        &["quarantine", "2026-11-26T14", "--reason", "broken"],
    );
    assert_eq!(viewer.status.code(), Some(4), "{}", stderr(&viewer));
    let unknown = user(
        dir.path(),
        "dana",
        &["quarantine", "nope", "--reason", "broken"],
    );
    assert!(
        stderr(&unknown).contains("no current reading of churn comes from batch `nope`"),
        "{}",
        stderr(&unknown)
    );
    let done = stdout_json(&user(
        dir.path(),
        "dana",
        &[
            "--json",
            "quarantine",
            "2026-11-26T14",
            "--reason",
            "tenure_months arrived as string",
        ],
    ));
    assert_eq!(done["target"], "batch:2026-11-26T14");
    assert_eq!(done["before"], "data.schema_violations = 3");
}

#[test]
fn no_drill_starts_on_a_workspace_that_connects_mlflow() {
    let dir = demo();
    let policy = dir.path().join("gatehouse.toml");
    let text = std::fs::read_to_string(&policy).unwrap().replace(
        "[backends.registry]\nkind = \"embedded\"",
        "[backends.registry]\nkind = \"mlflow\"\nurl = \"http://127.0.0.1:5000\"",
    );
    std::fs::write(&policy, text).unwrap();
    let refused = user(dir.path(), "newbie", &["drill", "start", "canary-rollback"]);
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("a drill never runs against a connected back end"),
        "{}",
        stderr(&refused)
    );
    assert!(!dir.path().join("drills").exists());
}
