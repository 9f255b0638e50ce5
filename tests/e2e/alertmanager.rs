//! The monitoring journey against real servers: a workspace connected (with `gatehouse connect`)
//! to a Prometheus holding three hours of history and to an Alertmanager. An alert posted to
//! Alertmanager appears in the window under the owner the policy's ownership map names;
//! acknowledging it in the window creates the silence, with the user and the reason, in
//! Alertmanager. The Monitor view shows latency and errors per version for the loaded history,
//! and keeps them, marked stale, when Prometheus stops answering.

use gatehouse_tests::servers::{
    http, post_alerts, rfc3339_in_hours, start_alertmanager, start_prometheus, BasicAuth,
};

use super::*;

/// The text of the Monitor view's latest-values cell of `signal` for `version`.
fn monitor_cell(s: &Session, version: &str, signal: &str) -> Result<String> {
    let v = s.execute(
        &format!(
            "const c = document.querySelector(\"[data-testid=monitor-version][data-version='{version}'] td[data-signal='{signal}']\"); return c ? c.textContent.trim() : null;"
        ),
        json!([]),
    )?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn an_alert_posted_to_alertmanager_is_acknowledged_in_the_window_and_the_monitor_shows_prometheus(
) -> Result<()> {
    let (mut prometheus, _) = start_prometheus(BasicAuth::Off);
    let alertmanager = start_alertmanager(BasicAuth::Off);
    let (_dir, ws) = demo_workspace()?;
    gatehouse(&ws, &["connect", "prometheus", &prometheus.url])?;
    gatehouse(&ws, &["connect", "alertmanager", &alertmanager.url])?;

    // Nothing in the alert names an owner: the policy's ownership map gives it to serving-sre.
    let until = rfc3339_in_hours(1);
    post_alerts(
        &alertmanager.url,
        &format!(
            r#"[{{"labels": {{"alertname": "HighErrorRate", "severity": "critical", "model": "churn", "version": "5"}},
                 "annotations": {{"summary": "churn 5 fails one request in ten", "runbook_url": "https://wiki.acme.example/runbooks/errors"}},
                 "endsAt": "{until}"}}]"#
        ),
    );

    let panel = Panel::open_as(&ws, "marco", LOOP_READY)?;
    let s = panel.session();
    go_to(s, "alerts")?;
    let card = "[data-testid=alert-group][data-owner='serving-sre'] [data-testid=alert][data-alert='HighErrorRate']";
    s.wait_for(&format!("{card}[data-state='firing']"), WAIT)?;
    let runbook = s.wait_for_text(&format!("{card} [data-testid=alert-runbook]"), WAIT)?;
    assert_eq!(runbook, "https://wiki.acme.example/runbooks/errors");
    panel.save_screenshot("alertmanager-firing.png")?;

    // Acknowledge it in the window: two hours, with a reason.
    s.click(&s.wait_for(&format!("{card} [data-testid=alert-ack]"), WAIT)?)?;
    let reason = s.wait_for("[data-testid=ack-reason]", WAIT)?;
    s.send_keys(&reason, "rolling churn back to 4")?;
    s.click(&s.wait_for("[data-testid=ack-confirm]", WAIT)?)?;
    s.wait_for(&format!("{card}[data-state='acknowledged']"), WAIT)?;
    let ack = s.wait_for_text(&format!("{card} [data-testid=alert-acknowledgement]"), WAIT)?;
    assert!(
        ack.contains("marco") && ack.contains("rolling churn back to 4"),
        "{ack:?}"
    );
    panel.save_screenshot("alertmanager-acknowledged.png")?;

    // The silence is in Alertmanager, created by the user with the reason, matching the alert.
    let (status, body) =
        http(&alertmanager.url, "GET", "/api/v2/silences", None).context("alertmanager answers")?;
    assert_eq!(status, 200);
    let silences: Value = serde_json::from_str(&body)?;
    let silence = &silences[0];
    assert_eq!(silence["createdBy"], "marco");
    assert_eq!(silence["comment"], "rolling churn back to 4");
    assert_eq!(silence["status"]["state"], "active");
    assert!(silence["matchers"]
        .as_array()
        .context("matchers")?
        .iter()
        .any(|m| m["name"] == "alertname" && m["value"] == "HighErrorRate"));
    // And the CLI, reading the same Alertmanager, agrees.
    let cli: Value = serde_json::from_str(&gatehouse(&ws, &["--json", "alerts"])?)?;
    assert_eq!(cli["alerts"][0]["state"], "acknowledged");
    assert_eq!(cli["alerts"][0]["owner"], "serving-sre");

    // The Monitor view: latency and errors per version from the loaded history.
    go_to(s, "monitor")?;
    s.wait_for(
        "[data-testid=monitor-source][data-source='prometheus']",
        WAIT,
    )?;
    s.wait_for("[data-testid=monitor-version][data-version='5']", WAIT)?;
    // Version 5 fails 10 of 100 requests a minute, version 4 2 of 100.
    assert_eq!(monitor_cell(s, "5", "error_rate")?, "10 %");
    assert_eq!(monitor_cell(s, "4", "error_rate")?, "2 %");
    // The request rate's latest point lies at the end of the history, where the rate window
    // holds only part of a minute's samples: present, not exact.
    assert!(monitor_cell(s, "5", "request_rate")?.ends_with(" /s"));
    let p95_5 = monitor_cell(s, "5", "latency_p95")?;
    let p95_4 = monitor_cell(s, "4", "latency_p95")?;
    let ms = |t: &str| t.trim_end_matches(" ms").parse::<f64>().unwrap_or(f64::NAN);
    assert!(ms(&p95_5) > ms(&p95_4), "{p95_5} vs {p95_4}");
    // Saturation: version 5 holds 640 MiB with 7 requests waiting, version 4 512 MiB and 2.
    assert_eq!(monitor_cell(s, "5", "memory")?, "640 MiB");
    assert_eq!(monitor_cell(s, "4", "memory")?, "512 MiB");
    assert_eq!(monitor_cell(s, "5", "queue")?, "7");
    assert!(monitor_cell(s, "5", "cpu")?.ends_with(" cores"));
    assert!(s.find_all("[data-testid=monitor-missing]")?.is_empty());
    let charts = s.find_all("[data-testid=monitor-chart]")?;
    assert!(charts.len() >= 8, "{} charts", charts.len());
    panel.save_screenshot("monitor-prometheus.png")?;

    // Prometheus stops answering: the view keeps the last data, marked stale with its age.
    prometheus.kill();
    let stale = s.wait_for_text("[data-testid=stale]", Duration::from_secs(45))?;
    assert!(stale.contains("Stale: showing what was read"), "{stale:?}");
    assert_eq!(monitor_cell(s, "5", "error_rate")?, "10 %");
    let error = s.wait_for_text("[data-testid=error]", WAIT)?;
    assert!(error.contains("prometheus is unreachable"), "{error:?}");
    panel.save_screenshot("monitor-stale.png")?;
    Ok(())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn without_prometheus_the_monitor_view_draws_the_demo_serving_stream() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    let production = {
        let doc: Value = serde_json::from_str(&gatehouse(
            &ws,
            &["--json", "registry", "list", "--model", "churn"],
        )?)?;
        doc["models"][0]["pointers"]["production"]
            .as_str()
            .context("production pointer")?
            .to_owned()
    };
    let panel = Panel::open_as(&ws, "dana", LOOP_READY)?;
    let s = panel.session();
    go_to(s, "monitor")?;
    s.wait_for(
        "[data-testid=monitor-source][data-source='serving_stream']",
        WAIT,
    )?;
    // The production version serves; every system signal has a value and a chart.
    s.wait_for(
        &format!("[data-testid=monitor-version][data-version='{production}']"),
        WAIT,
    )?;
    for signal in [
        "latency_p95",
        "error_rate",
        "request_rate",
        "cpu",
        "memory",
        "queue",
    ] {
        let cell = monitor_cell(s, &production, signal)?;
        assert!(!cell.is_empty() && cell != "–", "{signal}: {cell:?}");
    }
    assert!(s.find_all("[data-testid=monitor-missing]")?.is_empty());
    // The data layer: the drift of the same stream, with its chart.
    let drift = s.wait_for_text("[data-testid=monitor-drift]", WAIT)?;
    assert!(drift.contains("% of features drifting"), "{drift:?}");
    s.wait_for(
        "[data-testid=monitor-chart][data-chart='drift_share']",
        WAIT,
    )?;
    let quality = s.wait_for_text("[data-testid=monitor-quality]", WAIT)?;
    assert!(quality.contains("monitor.share_drifted"), "{quality:?}");
    panel.save_screenshot("monitor-demo.png")?;
    Ok(())
}

/// A private D-Bus session bus, ended when dropped, and `dbus-monitor` writing every call to the
/// notification service on it to a file: no notification daemon is needed to see that the panel
/// asked for one.
struct Bus {
    daemon: Child,
    monitor: Child,
    address: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Bus {
    fn start() -> Result<Bus> {
        use std::io::{BufRead, BufReader};
        let dir = tempfile::tempdir()?;
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!(
                "--address=unix:path={}",
                dir.path().join("bus").display()
            ))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("dbus-daemon (Debian dbus) is needed for the notification journey")?;
        let mut line = String::new();
        BufReader::new(daemon.stdout.take().context("bus address")?).read_line(&mut line)?;
        let address = line.trim().to_owned();
        let log = dir.path().join("monitor.log");
        let monitor = Command::new("dbus-monitor")
            .args([
                "--address",
                &address,
                "interface='org.freedesktop.Notifications'",
            ])
            .stdout(std::fs::File::create(&log)?)
            .stderr(Stdio::null())
            .spawn()?;
        Ok(Bus {
            daemon,
            monitor,
            address,
            log,
            _dir: dir,
        })
    }

    fn seen(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        for child in [&mut self.monitor, &mut self.daemon] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn an_alert_of_the_users_team_that_starts_firing_asks_for_a_desktop_notification() -> Result<()> {
    let alertmanager = start_alertmanager(BasicAuth::Off);
    let (_dir, ws) = demo_workspace()?;
    gatehouse(&ws, &["connect", "alertmanager", &alertmanager.url])?;
    let until = rfc3339_in_hours(1);
    // Already firing when the panel opens: not news.
    post_alerts(
        &alertmanager.url,
        &format!(
            r#"[{{"labels": {{"alertname": "OldNews", "team": "serving-sre"}}, "endsAt": "{until}"}}]"#
        ),
    );
    let bus = Bus::start()?;
    // The app inherits the test's environment through tauri-driver; journeys run one at a time.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    std::env::set_var("GATEHOUSE_ALERT_WATCH_SECS", "1");
    let panel = Panel::open_as(&ws, "marco", LOOP_READY);
    std::env::remove_var("DBUS_SESSION_BUS_ADDRESS");
    std::env::remove_var("GATEHOUSE_ALERT_WATCH_SECS");
    let _panel = panel?;
    std::thread::sleep(Duration::from_secs(3));
    // marco is in serving-sre (HighErrorRate, by the ownership map), not in data-platform.
    post_alerts(
        &alertmanager.url,
        &format!(
            r#"[{{"labels": {{"alertname": "HighErrorRate", "severity": "critical", "model": "churn"}},
                  "annotations": {{"summary": "churn 5 fails one request in ten"}}, "endsAt": "{until}"}},
                {{"labels": {{"alertname": "LabelsLate", "severity": "warning"}}, "endsAt": "{until}"}}]"#
        ),
    );
    let start = Instant::now();
    while !bus.seen().contains("HighErrorRate") {
        if start.elapsed() > WAIT {
            bail!("no notification was asked for:\n{}", bus.seen());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(3));
    let seen = bus.seen();
    assert!(seen.contains("member=Notify"), "{seen}");
    assert!(seen.contains("HighErrorRate (critical)"), "{seen}");
    assert!(seen.contains("churn 5 fails one request in ten"), "{seen}");
    assert!(!seen.contains("LabelsLate"), "not marco's team: {seen}");
    assert!(!seen.contains("OldNews"), "already firing at start: {seen}");
    assert_eq!(
        seen.matches("HighErrorRate (critical)").count(),
        1,
        "once: {seen}"
    );
    Ok(())
}
