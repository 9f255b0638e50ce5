//! Promotions, approvals under the four-eyes rule, rollback, the audit log, and crash safety, as
//! the `gatehouse` command drives them on the demo workspace.

use super::team::{as_user_with, demo_on, Store};
use super::*;

/// Where `model@pointer` points now.
fn pointer(ws: &Path, model: &str, pointer: &str) -> Option<String> {
    let doc = stdout_json(&gatehouse(
        ws,
        &["--json", "registry", "list", "--model", model],
    ));
    doc["models"][0]["pointers"][pointer]
        .as_str()
        .map(str::to_owned)
}

fn request(ws: &Path, id: i64) -> Value {
    let doc = stdout_json(&gatehouse(ws, &["--json", "requests", "--all"]));
    doc["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .cloned()
        .unwrap()
}

fn audit(ws: &Path) -> Vec<Value> {
    let out = gatehouse(ws, &["audit", "export"]);
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn actions_for(ws: &Path, request: i64) -> Vec<String> {
    audit(ws)
        .iter()
        .filter(|e| e["request"] == request)
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

fn four_eyes_approvals_move_a_pointer_and_rollback_moves_it_back(store: Store) {
    let ws = demo_on(store);
    let ws = ws.path();
    assert_eq!(pointer(ws, "churn", "champion").as_deref(), Some("3"));

    let out = as_user(
        ws,
        "priya",
        &[
            "--json",
            "promote",
            "churn",
            "5",
            "--to",
            "champion",
            "--reason",
            "v5 beats v3 on every segment",
        ],
    );
    let req = stdout_json(&out)["request"].clone();
    assert_eq!(req["state"], "requested");
    assert_eq!(req["pointer"], "champion");
    assert_eq!(req["from_version"], "3");
    let id = req["id"].as_i64().unwrap();
    let id_arg = id.to_string();

    // The requester may not approve; a viewer may not either. Both refusals are exit 4 and audited.
    let own = as_user(ws, "priya", &["approve", &id_arg]);
    assert_eq!(own.status.code(), Some(4), "{}", stderr(&own));
    assert!(stderr(&own).contains("four-eyes"), "{}", stderr(&own));
    let viewer = as_user(ws, "sam", &["approve", &id_arg]);
    assert_eq!(viewer.status.code(), Some(4), "{}", stderr(&viewer));
    let stranger = as_user(
        ws,
        "mallory",
        &["promote", "churn", "5", "--to", "staging", "--reason", "x"],
    );
    assert_eq!(stranger.status.code(), Some(4));
    let denied = audit(ws).iter().filter(|e| e["action"] == "denied").count();
    assert_eq!(denied, 3);

    // One approval of two leaves it waiting; the second executes the move.
    let first = stdout_json(&as_user(
        ws,
        "marco",
        &["--json", "approve", &id_arg, "--reason", "canary plan ok"],
    ));
    assert_eq!(first["request"]["state"], "requested");
    assert_eq!(pointer(ws, "churn", "champion").as_deref(), Some("3"));
    let second = stdout_json(&as_user(ws, "erin", &["--json", "approve", &id_arg]));
    assert_eq!(second["request"]["state"], "done");
    let approvers: Vec<&str> = second["request"]["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["by"].as_str().unwrap())
        .collect();
    assert_eq!(approvers, ["marco", "erin"]);
    assert_eq!(pointer(ws, "churn", "champion").as_deref(), Some("5"));

    // The demo's open production request completes with a second approver, too.
    let done = stdout_json(&as_user(ws, "marco", &["--json", "approve", "2"]));
    assert_eq!(done["request"]["state"], "done");
    assert_eq!(pointer(ws, "churn", "production").as_deref(), Some("4"));

    // Rollback returns production to the version it held before, taken from the audit log.
    let back = stdout_json(&as_user(
        ws,
        "dana",
        &[
            "--json",
            "rollback",
            "churn",
            "--reason",
            "error rate doubled",
        ],
    ));
    assert_eq!(back["request"]["kind"], "rollback");
    assert_eq!(back["request"]["state"], "done");
    assert_eq!(pointer(ws, "churn", "production").as_deref(), Some("3"));
    let viewer = as_user(ws, "sam", &["rollback", "churn", "--reason", "x"]);
    assert_eq!(viewer.status.code(), Some(4));

    let verify = gatehouse(ws, &["audit", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("audit log intact"));
    assert_eq!(
        actions_for(ws, id),
        [
            "requested",
            "denied",
            "denied",
            "approved",
            "approved",
            "executed"
        ]
    );
}

/// Runs SQL on a workspace's database file behind the application's back, as someone with
/// write access to the file could. The triggers keep the application honest; such a person can
/// drop them, which is why the hash chain exists.
fn tamper(ws: &Path, sql: &'static str) {
    let url = format!("sqlite://{}", ws.join("gatehouse.db").display());
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async move {
            use sqlx::Connection as _;
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        });
}

#[test]
fn an_edited_or_deleted_audit_event_is_named() {
    let ws = demo();
    assert!(gatehouse(ws.path(), &["audit", "verify"]).status.success());
    tamper(
        ws.path(),
        "DROP TRIGGER audit_no_update; UPDATE audit_events SET reason = 'approved by the board' WHERE seq = 3;",
    );
    let out = gatehouse(ws.path(), &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("event 3") && stderr(&out).contains("edited"),
        "{}",
        stderr(&out)
    );

    let ws = demo();
    tamper(
        ws.path(),
        "DROP TRIGGER audit_no_delete; DELETE FROM audit_events WHERE seq = 2;",
    );
    let out = gatehouse(ws.path(), &["--json", "audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["first_bad"]["seq"], 3);
    assert_eq!(doc["first_bad"]["problem"], "gap");
}

fn a_crash_after_the_intent_is_settled_as_failed_and_nothing_moves(store: Store) {
    let ws = demo_on(store);
    let ws = ws.path();
    let crashed = as_user_with(
        ws,
        "marco",
        &["approve", "2"],
        &[("GATEHOUSE_FAILPOINT", "after-intent")],
    );
    assert_eq!(
        crashed.status.code(),
        None,
        "the process was aborted, not exited"
    );
    // Before anyone reconciles, the intent is on record and the pointer has not moved.
    assert_eq!(pointer(ws, "churn", "production").as_deref(), Some("3"));

    // The next start settles it: the pointer never moved, so the request failed; nothing repeats.
    let req = request(ws, 2);
    assert_eq!(req["state"], "failed", "{req}");
    assert!(req["outcome"]
        .as_str()
        .unwrap()
        .contains("before the registry moved"));
    assert_eq!(pointer(ws, "churn", "production").as_deref(), Some("3"));
    assert_eq!(
        actions_for(ws, 2),
        ["requested", "approved", "approved", "reconciled"]
    );
    assert!(gatehouse(ws, &["audit", "verify"]).status.success());
}

fn a_crash_after_the_move_is_settled_as_done_and_never_doubled(store: Store) {
    let ws = demo_on(store);
    let ws = ws.path();
    let crashed = as_user_with(
        ws,
        "marco",
        &["approve", "2"],
        &[("GATEHOUSE_FAILPOINT", "after-move")],
    );
    assert_eq!(crashed.status.code(), None);
    assert_eq!(pointer(ws, "churn", "production").as_deref(), Some("4"));

    let req = request(ws, 2);
    assert_eq!(req["state"], "done", "{req}");
    assert_eq!(
        actions_for(ws, 2),
        ["requested", "approved", "approved", "reconciled"]
    );
    // Settled once: a second start finds nothing to do.
    let again = gatehouse(ws, &["requests"]);
    assert!(!stderr(&again).contains("settled"), "{}", stderr(&again));
    assert_eq!(actions_for(ws, 2).len(), 4);
    // The rollback default knows where production was before the interrupted move.
    let back = stdout_json(&as_user(
        ws,
        "dana",
        &["--json", "rollback", "churn", "--reason", "undo"],
    ));
    assert_eq!(back["request"]["version"], "3");
}

fn concurrent_final_approvals_execute_once(store: Store) {
    for _ in 0..4 {
        let ws = demo_on(store);
        let ws = ws.path();
        let spawn = |user: &str| as_user(ws, user, &["approve", "2"]);
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| spawn("marco"));
            let b = s.spawn(|| spawn("erin"));
            (a.join().unwrap(), b.join().unwrap())
        });
        assert!(
            a.status.success() || b.status.success(),
            "{} / {}",
            stderr(&a),
            stderr(&b)
        );
        let executed = actions_for(ws, 2)
            .iter()
            .filter(|a| *a == "executed")
            .count();
        assert_eq!(executed, 1);
        assert_eq!(request(ws, 2)["state"], "done");
        assert_eq!(pointer(ws, "churn", "production").as_deref(), Some("4"));
        assert!(gatehouse(ws, &["audit", "verify"]).status.success());
    }
}

fn bad_input_is_refused_and_nothing_is_half_written(store: Store) {
    let ws = demo_on(store);
    let ws = ws.path();
    let events = audit(ws).len();
    let cases: [(&[&str], i32, &str); 7] = [
        (
            &[
                "promote",
                "nope",
                "1",
                "--to",
                "production",
                "--reason",
                "r",
            ],
            1,
            "nope has no version 1",
        ),
        (
            &[
                "promote",
                "churn",
                "99",
                "--to",
                "production",
                "--reason",
                "r",
            ],
            1,
            "churn has no version 99",
        ),
        (
            &["promote", "churn", "5", "--to", "staging", "--reason", "  "],
            2,
            "needs a reason",
        ),
        (
            &[
                "promote",
                "churn",
                "5",
                "--to",
                "prod uction",
                "--reason",
                "r",
            ],
            2,
            "may hold only",
        ),
        (
            &[
                "promote",
                "churn",
                "5",
                "--to",
                "production",
                "--reason",
                "r",
            ],
            2,
            "request #2 for churn@production is still open",
        ),
        (&["approve", "99"], 1, "no request #99"),
        (
            &["rollback", "fraud-score", "--reason", "r"],
            2,
            "records no earlier version",
        ),
    ];
    for (args, code, needle) in cases {
        let out = as_user(ws, "priya", args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(audit(ws).len(), events, "refused input writes nothing");

    // A request that went stale (the pointer moved meanwhile) fails instead of moving it.
    let id = stdout_json(&as_user(
        ws,
        "priya",
        &[
            "--json", "promote", "churn", "5", "--to", "champion", "--reason", "r",
        ],
    ))["request"]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    assert!(as_user(ws, "marco", &["approve", &id]).status.success());
    let moved = as_user(
        ws,
        "dana",
        &[
            "rollback",
            "churn",
            "--pointer",
            "champion",
            "--to",
            "2",
            "--reason",
            "hotfix",
        ],
    );
    assert!(moved.status.success(), "{}", stderr(&moved));
    let stale = as_user(ws, "erin", &["approve", &id]);
    assert_eq!(stale.status.code(), Some(3), "{}", stderr(&stale));
    assert!(stderr(&stale).contains("stale"), "{}", stderr(&stale));
    assert_eq!(pointer(ws, "churn", "champion").as_deref(), Some("2"));

    // A malformed policy stops every action before anything is written.
    let before = audit(ws).len();
    let policy = ws.join("gatehouse.toml");
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(
        &policy,
        text.replace("[pointers.production]", "[pointers.production]\nquorum = 3"),
    )
    .unwrap();
    let out = as_user(ws, "marco", &["approve", "2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unknown field `quorum`"),
        "{}",
        stderr(&out)
    );
    std::fs::write(&policy, text).unwrap();
    assert_eq!(audit(ws).len(), before);
}

fn gate_check_exits_3_when_a_guarding_gate_blocks(store: Store) {
    let ws = demo_on(store);
    let ws = ws.path();
    let ok = stdout_json(&gatehouse(ws, &["--json", "gate", "check", "churn", "5"]));
    assert_eq!(ok["blocked"], false);
    assert_eq!(ok["gates"][0]["id"], "model-validation");
    assert!(
        gatehouse(ws, &["record", "model.worst_segment_auc", "0.61"])
            .status
            .success()
    );
    let out = gatehouse(ws, &["gate", "check", "churn", "5"]);
    assert_eq!(out.status.code(), Some(3));

    // An approved request that a gate holds back stays approved, is shown on the promotion gate,
    // and moves once an admin overrides with a reason.
    let held = as_user(ws, "marco", &["approve", "2"]);
    assert_eq!(held.status.code(), Some(3), "{}", stderr(&held));
    assert_eq!(request(ws, 2)["state"], "approved");
    let status = stdout_json(&gatehouse(ws, &["--json", "status"]));
    let promotion = status["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "promotion")
        .unwrap()
        .clone();
    assert_eq!(promotion["state"], "blocked");
    let refused = as_user(ws, "priya", &["override", "2", "--reason", "x"]);
    assert_eq!(refused.status.code(), Some(4));
    let done = stdout_json(&as_user(
        ws,
        "erin",
        &[
            "--json",
            "override",
            "2",
            "--reason",
            "segment metric is a known labelling lag",
        ],
    ));
    assert_eq!(done["request"]["state"], "done");
    assert_eq!(pointer(ws, "churn", "production").as_deref(), Some("4"));
}

/// Each journey runs twice: on the workspace's own SQLite file and on a team store on a real
/// PostgreSQL server, where every user is a database login.
macro_rules! on_both_stores {
    ($($journey:ident),* $(,)?) => {$(
        mod $journey {
            #[test]
            fn embedded() {
                super::$journey(super::Store::Embedded)
            }

            #[test]
            fn team() {
                super::$journey(super::Store::Team)
            }
        }
    )*};
}

on_both_stores!(
    four_eyes_approvals_move_a_pointer_and_rollback_moves_it_back,
    a_crash_after_the_intent_is_settled_as_failed_and_nothing_moves,
    a_crash_after_the_move_is_settled_as_done_and_never_doubled,
    concurrent_final_approvals_execute_once,
    bad_input_is_refused_and_nothing_is_half_written,
    gate_check_exits_3_when_a_guarding_gate_blocks,
);
