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

/// The Python of the venv `scripts/setup --test` makes (Evidently 0.7, scipy, pyarrow):
/// `$GATEHOUSE_EVIDENTLY_PYTHON`, else `~/.cache/gatehouse/venv-evidently/bin/python`.
fn evidently_python() -> std::path::PathBuf {
    let path = match std::env::var_os("GATEHOUSE_EVIDENTLY_PYTHON") {
        Some(p) if !p.is_empty() => std::path::PathBuf::from(p),
        _ => std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/gatehouse/venv-evidently/bin/python"),
    };
    assert!(
        path.is_file(),
        "the Evidently venv is missing at {}: run scripts/setup --test (or set GATEHOUSE_EVIDENTLY_PYTHON)",
        path.display()
    );
    path
}

/// Drift scores compare as Evidently reports them: a test's p-value, a distance's value.
fn score_of(column: &Value) -> f64 {
    match column["method"].as_str().unwrap() {
        "ks" | "chisquare" | "z" => column["p_value"].as_f64().unwrap(),
        _ => column["value"].as_f64().unwrap(),
    }
}

fn assert_close(what: &str, actual: f64, expected: f64, tol: f64) {
    let scale = expected.abs().max(1.0);
    assert!(
        actual == expected || (actual - expected).abs() <= tol * scale,
        "{what}: gatehouse {actual:e}, reference {expected:e}"
    );
}

fn tolerance(method: &str) -> f64 {
    match method {
        "ks" | "chisquare" | "z" => 1e-6,
        _ => 1e-9,
    }
}

/// `gatehouse --json drift` on files Evidently 0.7 and scipy judge in the same run (generated
/// by `tests/fixtures/drift/evidently_cli.py` on both sides of the 1000-row switch, with ties,
/// NaN and ±inf, a constant column, few-valued and integer columns, an unseen category): the same
/// default method, score, threshold and drift flag per column, the same drifted-column count, and
/// for every `--method` the same score and flag; KS statistics and p-values equal scipy's.
#[test]
fn drift_agrees_with_evidently_and_scipy_on_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(evidently_python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../tests/fixtures/drift/evidently_cli.py"
        ))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    for case in ["small", "large"] {
        let folder = dir.path().join(case);
        let expected: Value =
            serde_json::from_slice(&std::fs::read(folder.join("expected.json")).unwrap()).unwrap();
        let (r, c) = (
            folder.join("ref.csv").display().to_string(),
            folder.join("cur.csv").display().to_string(),
        );
        let run = |extra: &[&str]| {
            let mut args = vec!["--json", "drift", &r, &c];
            args.extend_from_slice(extra);
            let doc = stdout_json(&gatehouse(dir.path(), &args));
            doc["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|col| (col["name"].as_str().unwrap().to_owned(), col.clone()))
                .collect::<std::collections::BTreeMap<String, Value>>()
        };

        let doc = stdout_json(&gatehouse(dir.path(), &["--json", "drift", &r, &c]));
        assert_eq!(
            doc["drifted_columns"].as_f64(),
            expected["dataset"]["count"].as_f64(),
            "{case}: drifted columns"
        );
        let ours = run(&[]);
        let defaults = expected["default"].as_object().unwrap();
        assert_eq!(ours.len(), defaults.len(), "{case}: columns");
        for (name, want) in defaults {
            let got = &ours[name];
            let what = format!("{case}/{name} default");
            assert_eq!(got["method"], want["method"], "{what}: method");
            assert_eq!(
                got["kind"].as_str().unwrap()[..3],
                expected["kinds"][name].as_str().unwrap()[..3],
                "{what}: kind"
            );
            assert_eq!(got["threshold"], want["threshold"], "{what}: threshold");
            assert_eq!(got["drifted"], want["drifted"], "{what}: drift flag");
            let method = want["method"].as_str().unwrap();
            assert_close(
                &what,
                score_of(got),
                want["score"].as_f64().unwrap(),
                tolerance(method),
            );
        }

        for (method, columns) in expected["methods"].as_object().unwrap() {
            let names: Vec<&str> = columns
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let list = names.join(",");
            let ours = run(&["--method", method, "--columns", &list]);
            for (name, want) in columns.as_object().unwrap() {
                let got = &ours[name];
                let what = format!("{case}/{name} --method {method}");
                assert_eq!(got["method"].as_str(), Some(method.as_str()), "{what}");
                assert_eq!(got["drifted"], want["drifted"], "{what}: drift flag");
                assert_close(
                    &what,
                    score_of(got),
                    want["score"].as_f64().unwrap(),
                    tolerance(method),
                );
            }
            if method == "ks" {
                for (name, want) in expected["scipy_ks"].as_object().unwrap() {
                    let got = &ours[name];
                    let what = format!("{case}/{name} scipy ks_2samp");
                    let statistic = want["statistic"].as_f64().unwrap();
                    assert_close(&what, got["value"].as_f64().unwrap(), statistic, 1e-9);
                    let p = want["pvalue"].as_f64().unwrap();
                    assert_close(&what, got["p_value"].as_f64().unwrap(), p, 1e-6);
                }
            }
        }
    }
}

fn parquet_fixture(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../tests/fixtures/drift/parquet"
    ))
    .join(name)
}

#[test]
fn drift_reads_parquet_as_it_reads_csv() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = parquet_fixture("mixed.parquet").display().to_string();
    let csv = parquet_fixture("mixed.csv").display().to_string();
    let columns = "score,count,small,plan,active";
    let from = |r: &str, c: &str| {
        stdout_json(&gatehouse(
            dir.path(),
            &["--json", "drift", r, c, "--columns", columns],
        ))
    };
    let both_parquet = from(&parquet, &parquet);
    let mixed = from(&parquet, &csv);
    let cols = both_parquet["columns"].as_array().unwrap();
    assert_eq!(cols.len(), 5);
    assert_eq!(both_parquet["drifted_columns"], 0);
    for (a, b) in cols.iter().zip(mixed["columns"].as_array().unwrap()) {
        for key in ["name", "kind", "method", "value", "p_value", "drifted"] {
            assert_eq!(a[key], b[key], "{}: {key}", a["name"]);
        }
    }
    assert_eq!(cols[2]["kind"], "categorical", "few integers, as Evidently");
    assert_eq!(cols[3]["kind"], "categorical");
}

#[test]
fn malformed_tables_get_an_error_naming_the_file_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let ok = write(dir.path(), "ok.csv", "x,y\n1.5,a\n2.5,b\n3.5,a\n");
    let mixed = parquet_fixture("mixed.parquet").display().to_string();
    let bytes = std::fs::read(&mixed).unwrap();
    let cut = dir.path().join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let cut = cut.display().to_string();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "empty file",
            write(dir.path(), "empty.csv", ""),
            "empty.csv: line 1: the file is empty",
        ),
        (
            "header only",
            write(dir.path(), "header.csv", "x,y\n"),
            "header.csv: no data rows",
        ),
        (
            "ragged row",
            write(dir.path(), "ragged.csv", "x,y\n1,a\n2\n"),
            "ragged.csv: line 3:",
        ),
        (
            "huge value",
            write(dir.path(), "huge.csv", "x,y\n1,a\n1e400,b\n"),
            "huge.csv: line 3: column `x`: `1e400` is too large for a 64-bit number",
        ),
        (
            "wrong type",
            write(dir.path(), "typed.csv", "x,y\n1,a\ntwo,b\n"),
            "typed.csv: column `x`, row 2: `two` is not a number",
        ),
        (
            "column missing on one side",
            write(dir.path(), "narrow.csv", "x\n1\n2\n"),
            "narrow.csv has no column `y`",
        ),
        (
            "truncated parquet",
            cut.clone(),
            "cut.parquet: not a readable Parquet file",
        ),
        (
            "different columns (CSV against Parquet)",
            mixed.clone(),
            "has no column",
        ),
    ];
    for (what, file, needle) in cases {
        let out = gatehouse(dir.path(), &["drift", &ok, &file]);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{what}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("panicked"),
            "{what}: {}",
            stderr(&out)
        );
    }
    let out = gatehouse(dir.path(), &["drift", &mixed, &mixed]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("column `seen`: date and time columns are not compared"),
        "{}",
        stderr(&out)
    );
    let out = gatehouse(dir.path(), &["--json", "drift", &ok, &ok]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn drift_from_prometheus_reports_the_latest_window_of_the_feature_histograms() {
    use gatehouse_tests::servers::{
        rfc3339_in_hours, start_prometheus, BasicAuth, TENURE_AFTER, TENURE_BEFORE, TENURE_EDGES,
    };
    let ws = demo();
    let (server, _) = start_prometheus(BasicAuth::Off);
    // The history's tenure histogram shifts halfway through its three hours: the hour ending
    // two hours ago is before the shift, the last quarter of an hour after it.
    let path = ws.path().join("gatehouse.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "[backends.metrics]\nkind = \"embedded\"",
        &format!(
            "[backends.metrics]\nkind = \"prometheus\"\nurl = \"{}\"",
            server.url
        ),
    );
    let drift = format!(
        "\n[drift.prometheus]\nfeatures = [\"tenure_months\"]\nlabels = {{ model = \"churn\" }}\nwindow = \"15m\"\nwindows = 1\nreference = \"1h\"\nreference_end = \"{}\"\n",
        rfc3339_in_hours(-2)
    );
    std::fs::write(&path, text + &drift).unwrap();

    let doc = stdout_json(&gatehouse(
        ws.path(),
        &["--json", "drift", "--from", "prometheus"],
    ));
    let column = &doc["columns"][0];
    assert_eq!(column["name"], "tenure_months", "{doc}");
    assert_eq!(column["method"], "jensenshannon");
    let bins = |per_minute: [u64; 5]| gatehouse_drift::Bins {
        upper_bounds: TENURE_EDGES.to_vec(),
        counts: per_minute.iter().map(|n| *n as f64).collect(),
    };
    let engine = gatehouse_drift::compare_binned(
        &bins(TENURE_BEFORE),
        &bins(TENURE_AFTER),
        &gatehouse_drift::Options::default(),
    )
    .unwrap();
    let value = column["value"].as_f64().unwrap();
    assert!(
        (value - engine.value).abs() <= 1e-9,
        "{value} vs {}",
        engine.value
    );
    assert_eq!(column["drifted"], true);
    assert_eq!(doc["dataset_drift"], true);

    // KS needs raw samples: a usage error that says so.
    let out = gatehouse(
        ws.path(),
        &["--json", "drift", "--from", "prometheus", "--method", "ks"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("needs raw samples"),
        "{}",
        stderr(&out)
    );
    // Files and --from do not mix; without either there is nothing to compare.
    let out = gatehouse(
        ws.path(),
        &["drift", "a.csv", "b.csv", "--from", "prometheus"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = gatehouse(ws.path(), &["drift"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
