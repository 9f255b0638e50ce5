//! `gatehouse drift` on CSV files: the JSON document of the contract and clear errors.

use super::*;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn drift_reports_each_column_and_the_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let mut reference = String::from("tenure,plan\n");
    let mut current = String::from("tenure,plan\n");
    for i in 0..200 {
        reference.push_str(&format!(
            "{},{}\n",
            i % 40,
            if i % 2 == 0 { "basic" } else { "pro" }
        ));
        current.push_str(&format!(
            "{},{}\n",
            20 + i % 40,
            if i % 2 == 0 { "basic" } else { "pro" }
        ));
    }
    let r = write(dir.path(), "ref.csv", &reference);
    let c = write(dir.path(), "cur.csv", &current);
    let doc = stdout_json(&gatehouse(dir.path(), &["--json", "drift", &r, &c]));
    let cols = doc["columns"].as_array().unwrap();
    assert_eq!(cols.len(), 2);
    for key in [
        "name",
        "kind",
        "method",
        "value",
        "p_value",
        "threshold",
        "drifted",
    ] {
        assert!(cols[0].get(key).is_some(), "column lacks {key}");
    }
    assert_eq!(cols[0]["name"], "tenure");
    assert_eq!(cols[0]["method"], "ks");
    assert_eq!(cols[0]["drifted"], true);
    assert_eq!(cols[1]["drifted"], false);
    assert_eq!(doc["share_drifted"], 0.5);
    assert_eq!(doc["dataset_drift"], true);

    let doc = stdout_json(&gatehouse(
        dir.path(),
        &[
            "--json",
            "drift",
            &r,
            &c,
            "--method",
            "psi",
            "--columns",
            "plan",
        ],
    ));
    assert_eq!(doc["columns"][0]["method"], "psi");
    assert_eq!(doc["columns"].as_array().unwrap().len(), 1);
}

#[test]
fn bad_drift_input_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let r = write(dir.path(), "ref.csv", "x\n1\n2\n3\n");
    let c = write(dir.path(), "cur.csv", "x\n1\nfoo\n3\n");
    let ragged = write(dir.path(), "ragged.csv", "x,y\n1,2\n3\n");
    let cases: [(Vec<&str>, i32, &str); 5] = [
        (
            vec!["drift", &r, &c, "--numerical", "x"],
            1,
            "row 2: `foo` is not a number",
        ),
        (vec!["drift", &r, &ragged], 1, "line 3"),
        (
            vec!["drift", &r, "missing.csv"],
            1,
            "cannot read missing.csv",
        ),
        (vec!["drift", &r, &c, "--method", "magic"], 2, "magic"),
        (
            vec!["drift", &r, &c, "--columns", "y"],
            1,
            "has no column `y`",
        ),
    ];
    for (args, code, needle) in cases {
        let out = gatehouse(dir.path(), &args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
}
