//! Alertmanager (API v2) behind the core's [`AlertSource`] port: alerts with the receivers of
//! their groups, silences, and acknowledgement as a silence.
//!
//! The wire types mirror Alertmanager's JSON and stay in this module; every answer is converted
//! to the core's types here, and anything malformed (a missing field, a bad time, an unknown
//! state) is an [`ConnectorError::UnexpectedResponse`], never a panic.

use std::collections::BTreeMap;

use gatehouse_core::alert::{
    AlertId, AlertSnapshot, AlertSource, Matcher, NewSilence, ObservedAlert, Silence, SilenceId,
    SilenceState,
};
use gatehouse_core::time::Timestamp;
use gatehouse_core::Error;
use serde::{Deserialize, Serialize};

use crate::error::ConnectorError;
use crate::http::{ClientOptions, Endpoint};
use crate::secret::{self, Credential};

const BACKEND: &str = "alertmanager";

/// A group of alerts as Alertmanager routes them: its receiver is the owning team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertGroup {
    /// The receiver the group's notifications go to.
    pub receiver: String,
    /// The labels the group is formed by.
    pub labels: BTreeMap<String, String>,
    /// Its alerts.
    pub alerts: Vec<ObservedAlert>,
}

/// A client of one Alertmanager.
#[derive(Debug, Clone)]
pub struct Alertmanager {
    endpoint: Endpoint,
}

impl Alertmanager {
    /// A client for the Alertmanager at `base_url` (such as `http://127.0.0.1:9093`).
    pub fn new(base_url: &str, options: ClientOptions) -> Result<Alertmanager, ConnectorError> {
        Ok(Alertmanager {
            endpoint: Endpoint::new(BACKEND, base_url, options)?,
        })
    }

    /// The same client, sending `credential` (basic auth or a bearer token, for an Alertmanager
    /// behind `--web.config.file` or a proxy) with every request.
    pub fn with_credential(self, credential: Option<Credential>) -> Alertmanager {
        Alertmanager {
            endpoint: self.endpoint.with_credential(credential),
        }
    }

    /// A client for the policy's alerts back end, with its credential from the keyring.
    pub fn from_backend(
        backend: &gatehouse_core::policy::Backend,
        options: ClientOptions,
    ) -> Result<Alertmanager, ConnectorError> {
        let url = match (backend.kind, backend.url.as_deref()) {
            (gatehouse_core::policy::BackendKind::Alertmanager, Some(url)) => url,
            _ => {
                return Err(ConnectorError::Invalid(
                    "[backends.alerts] names an alertmanager without a url: run `gatehouse connect alertmanager URL`".into(),
                ))
            }
        };
        let credential = match &backend.credential {
            Some(entry) => Some(secret::load(entry)?),
            None => None,
        };
        Ok(Alertmanager::new(url, options)?.with_credential(credential))
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        self.endpoint.base()
    }

    /// Checks that an Alertmanager answers at the URL and accepts the credential: its status,
    /// which only Alertmanager's API v2 serves. Returns its version.
    pub async fn check(&self) -> Result<String, ConnectorError> {
        let path = "api/v2/status";
        let status: wire::Status = self.endpoint.get(path, &[]).await.map_err(|e| match e {
            ConnectorError::Rejected { status: 404, .. } => self
                .endpoint
                .unexpected(path, "no such endpoint: this is not an alertmanager".into()),
            other => other,
        })?;
        let version = status.version_info.version;
        if version.trim().is_empty() {
            return Err(self
                .endpoint
                .unexpected(path, "a status without a version".into()));
        }
        Ok(version)
    }

    /// Every alert it holds (active, silenced and inhibited), with the receivers it routes each
    /// one to.
    pub async fn alerts(&self) -> Result<Vec<ObservedAlert>, ConnectorError> {
        let path = "api/v2/alerts";
        let wire: Vec<wire::Alert> = self.endpoint.get(path, &[]).await?;
        decode_list(wire, |a| a.into_domain()).map_err(|d| self.endpoint.unexpected(path, d))
    }

    /// The alert groups, each with its receiver.
    pub async fn groups(&self) -> Result<Vec<AlertGroup>, ConnectorError> {
        let path = "api/v2/alerts/groups";
        let wire: Vec<wire::Group> = self.endpoint.get(path, &[]).await?;
        decode_list(wire, |g| g.into_domain()).map_err(|d| self.endpoint.unexpected(path, d))
    }

    /// Every silence it holds, active, pending or expired (expired ones are kept for 120 h).
    pub async fn silences(&self) -> Result<Vec<Silence>, ConnectorError> {
        let path = "api/v2/silences";
        let wire: Vec<wire::Silence> = self.endpoint.get(path, &[]).await?;
        decode_list(wire, |s| s.into_domain()).map_err(|d| self.endpoint.unexpected(path, d))
    }

    /// Creates a silence; returns its identifier.
    pub async fn create_silence(&self, silence: &NewSilence) -> Result<SilenceId, ConnectorError> {
        if silence.matchers.is_empty() {
            return Err(ConnectorError::Invalid(
                "a silence needs at least one matcher".into(),
            ));
        }
        let body = wire::PostSilence {
            matchers: silence
                .matchers
                .iter()
                .map(|m| wire::Matcher {
                    name: m.name.clone(),
                    value: m.value.clone(),
                    is_regex: m.is_regex,
                    is_equal: m.is_equal,
                })
                .collect(),
            starts_at: rfc3339::format(silence.starts_at),
            ends_at: rfc3339::format(silence.ends_at),
            created_by: silence.created_by.to_string(),
            comment: silence.comment.clone(),
        };
        let created: wire::SilenceCreated = self.endpoint.post("api/v2/silences", &body).await?;
        if created.silence_id.trim().is_empty() {
            return Err(self
                .endpoint
                .unexpected("api/v2/silences", "an empty silence id".into()));
        }
        Ok(SilenceId(created.silence_id))
    }

    /// Expires a silence now.
    pub async fn expire_silence(&self, id: &SilenceId) -> Result<(), ConnectorError> {
        // Alertmanager insists on a UUID here; anything else could also escape the path.
        let valid = !id.as_str().is_empty()
            && id
                .as_str()
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == '-');
        if !valid {
            return Err(ConnectorError::Invalid(format!(
                "`{id}` is not an alertmanager silence id"
            )));
        }
        match self
            .endpoint
            .delete(&format!("api/v2/silence/{}", id.as_str()))
            .await
        {
            // Alertmanager answers an unknown id with 500 "silence not found".
            Err(ConnectorError::Server { message, .. }) if message.contains("not found") => Err(
                ConnectorError::NotFound(format!("alertmanager has no silence {id}")),
            ),
            other => other,
        }
    }

    /// Alerts and silences in one snapshot. Alerts come from the groups, so that each carries
    /// the receivers of all the groups it is in; an alert in several groups appears once.
    pub async fn snapshot(&self) -> Result<AlertSnapshot, ConnectorError> {
        let groups = self.groups().await?;
        let silences = self.silences().await?;
        Ok(AlertSnapshot {
            alerts: merge_groups(groups),
            silences,
        })
    }
}

impl AlertSource for Alertmanager {
    async fn list(&self) -> Result<AlertSnapshot, Error> {
        Ok(self.snapshot().await?)
    }

    async fn acknowledge(&self, silence: &NewSilence) -> Result<SilenceId, Error> {
        Ok(self.create_silence(silence).await?)
    }

    async fn unacknowledge(&self, silence: &SilenceId) -> Result<(), Error> {
        Ok(self.expire_silence(silence).await?)
    }
}

/// One alert per fingerprint, with the receivers of every group it is in (the group's receiver
/// first, in group order).
fn merge_groups(groups: Vec<AlertGroup>) -> Vec<ObservedAlert> {
    let mut out: Vec<ObservedAlert> = Vec::new();
    for group in groups {
        for mut alert in group.alerts {
            let mut receivers = vec![group.receiver.clone()];
            receivers.append(&mut alert.receivers);
            match out.iter_mut().find(|a| a.id == alert.id) {
                Some(seen) => seen.receivers.extend(receivers),
                None => {
                    alert.receivers = receivers;
                    out.push(alert);
                }
            }
        }
    }
    for alert in &mut out {
        let mut seen = std::collections::BTreeSet::new();
        alert.receivers.retain(|r| seen.insert(r.clone()));
    }
    out
}

fn decode_list<W, T>(
    wire: Vec<W>,
    convert: impl Fn(W) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    wire.into_iter().map(convert).collect()
}

/// Alertmanager's JSON, as it is on the wire.
mod wire {
    use super::*;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Alert {
        pub fingerprint: String,
        pub labels: BTreeMap<String, String>,
        #[serde(default)]
        pub annotations: BTreeMap<String, String>,
        pub starts_at: String,
        #[serde(default)]
        pub ends_at: Option<String>,
        #[serde(default)]
        pub receivers: Vec<Receiver>,
        pub status: AlertStatus,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct AlertStatus {
        pub state: String,
        #[serde(default)]
        pub silenced_by: Vec<String>,
    }

    #[derive(Deserialize)]
    pub struct Receiver {
        pub name: String,
    }

    #[derive(Deserialize)]
    pub struct Group {
        pub alerts: Vec<Alert>,
        #[serde(default)]
        pub labels: BTreeMap<String, String>,
        pub receiver: Receiver,
    }

    #[derive(Deserialize, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Matcher {
        pub name: String,
        pub value: String,
        pub is_regex: bool,
        // Absent in answers of Alertmanager before 0.22, where every matcher was positive.
        #[serde(default = "yes")]
        pub is_equal: bool,
    }

    fn yes() -> bool {
        true
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Silence {
        pub id: String,
        pub matchers: Vec<Matcher>,
        pub starts_at: String,
        pub ends_at: String,
        pub created_by: String,
        #[serde(default)]
        pub comment: String,
        pub status: SilenceStatus,
    }

    #[derive(Deserialize)]
    pub struct SilenceStatus {
        pub state: String,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PostSilence {
        pub matchers: Vec<Matcher>,
        pub starts_at: String,
        pub ends_at: String,
        pub created_by: String,
        pub comment: String,
    }

    /// `/api/v2/status`; only the version is read.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Status {
        pub version_info: VersionInfo,
    }

    #[derive(Deserialize)]
    pub struct VersionInfo {
        pub version: String,
    }

    #[derive(Deserialize)]
    pub struct SilenceCreated {
        #[serde(rename = "silenceID")]
        pub silence_id: String,
    }

    fn time(field: &str, value: &str) -> Result<Timestamp, String> {
        rfc3339::parse(value)
            .ok_or_else(|| format!("{field} `{}` is not an rfc 3339 time", short(value)))
    }

    /// A value quoted in an error, cut to a length a person reads at a glance.
    fn short(value: &str) -> String {
        const KEEP: usize = 40;
        if value.chars().count() > KEEP {
            value.chars().take(KEEP).chain(['…']).collect()
        } else {
            value.to_owned()
        }
    }

    impl Alert {
        pub fn into_domain(self) -> Result<ObservedAlert, String> {
            if self.fingerprint.trim().is_empty() {
                return Err("an alert without a fingerprint".into());
            }
            // Errors name the alert, so that a person can find it in Alertmanager.
            let alert = short(&self.fingerprint);
            match self.status.state.as_str() {
                "active" | "suppressed" | "unprocessed" => {}
                other => return Err(format!("alert {alert}: unknown state `{}`", short(other))),
            }
            let named = |e: String| format!("alert {alert}: {e}");
            Ok(ObservedAlert {
                starts_at: time("startsAt", &self.starts_at).map_err(named)?,
                ends_at: match self.ends_at.as_deref() {
                    None | Some("") => None,
                    Some(t) => Some(time("endsAt", t).map_err(named)?),
                },
                id: AlertId(self.fingerprint),
                labels: self.labels,
                annotations: self.annotations,
                receivers: self.receivers.into_iter().map(|r| r.name).collect(),
                silenced_by: self.status.silenced_by.into_iter().map(SilenceId).collect(),
            })
        }
    }

    impl Group {
        pub fn into_domain(self) -> Result<AlertGroup, String> {
            Ok(AlertGroup {
                receiver: self.receiver.name,
                labels: self.labels,
                alerts: decode_list(self.alerts, Alert::into_domain)?,
            })
        }
    }

    impl Silence {
        pub fn into_domain(self) -> Result<super::Silence, String> {
            let silence = short(&self.id);
            let named = |e: String| format!("silence {silence}: {e}");
            let state = match self.status.state.as_str() {
                "active" => SilenceState::Active,
                "pending" => SilenceState::Pending,
                "expired" => SilenceState::Expired,
                other => return Err(named(format!("unknown state `{}`", short(other)))),
            };
            Ok(super::Silence {
                id: SilenceId(self.id),
                matchers: self
                    .matchers
                    .into_iter()
                    .map(|m| super::Matcher {
                        name: m.name,
                        value: m.value,
                        is_regex: m.is_regex,
                        is_equal: m.is_equal,
                    })
                    .collect(),
                created_by: self.created_by,
                comment: self.comment,
                starts_at: time("startsAt", &self.starts_at).map_err(named)?,
                ends_at: time("endsAt", &self.ends_at).map_err(named)?,
                state,
            })
        }
    }
}

/// RFC 3339 times as Alertmanager writes and reads them, to the millisecond.
pub mod rfc3339 {
    use gatehouse_core::time::civil::{civil_from_days, days_from_civil, days_in_month, DAY_MS};
    use gatehouse_core::time::Timestamp;

    /// `2026-11-26T16:53:17.295Z` (UTC, milliseconds).
    pub fn format(t: Timestamp) -> String {
        let (y, m, d) = civil_from_days(t.0.div_euclid(DAY_MS));
        let ms = t.0.rem_euclid(DAY_MS);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        )
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; fractions finer than a millisecond
    /// are truncated. None for anything else.
    pub fn parse(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        let num = |from: usize, len: usize| -> Option<i64> {
            let part = b.get(from..from + len)?;
            part.iter().try_fold(0i64, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
            })
        };
        let sep = |at: usize, c: &[u8]| b.get(at).is_some_and(|x| c.contains(x));
        if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
            return None;
        }
        let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
        let (h, mi, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
        if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 {
            return None;
        }
        // 60 is a leap second; it is folded into the next minute's first.
        if sec > 60 {
            return None;
        }
        let mut i = 19;
        let mut ms = 0i64;
        if sep(i, b".") {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                if i - start < 3 {
                    ms = ms * 10 + i64::from(b[i] - b'0');
                }
                i += 1;
            }
            let digits = i - start;
            if digits == 0 {
                return None;
            }
            for _ in digits..3 {
                ms *= 10;
            }
        }
        let offset_min = match b.get(i) {
            Some(b'Z' | b'z') if i + 1 == b.len() => 0,
            Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && sep(i + 3, b":") => {
                let (oh, om) = (num(i + 1, 2)?, num(i + 4, 2)?);
                if oh > 23 || om > 59 {
                    return None;
                }
                let minutes = oh * 60 + om;
                if *sign == b'+' {
                    minutes
                } else {
                    -minutes
                }
            }
            _ => return None,
        };
        let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60;
        Some(Timestamp(secs * 1000 + ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUPS: &str = r#"[{"alerts":[{"annotations":{"runbook_url":"https://runbooks/x","summary":"p95 high"},"endsAt":"2026-11-26T16:58:17.295Z","fingerprint":"80944f26882a5e69","receivers":[{"name":"serving-sre"}],"startsAt":"2026-11-26T16:53:17.295Z","status":{"inhibitedBy":[],"silencedBy":["bd4c7f6d-5598-4cfb-8600-69ddc0030c41"],"state":"suppressed"},"updatedAt":"2026-11-26T16:53:17.295Z","labels":{"alertname":"HighLatency","model":"churn","severity":"critical","team":"serving-sre"}}],"labels":{"alertname":"HighLatency"},"receiver":{"name":"serving-sre"}},{"alerts":[{"annotations":{},"endsAt":"2026-11-26T16:58:17.295Z","fingerprint":"51491d27e562eb87","receivers":[{"name":"default"}],"startsAt":"2026-11-26T16:53:17.295Z","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2026-11-26T16:53:17.295Z","labels":{"alertname":"Orphan","severity":"warning"}}],"labels":{"alertname":"Orphan"},"receiver":{"name":"default"}}]"#;

    const SILENCES: &str = r#"[{"id":"bd4c7f6d-5598-4cfb-8600-69ddc0030c41","status":{"state":"active"},"updatedAt":"2026-11-26T16:53:21.493Z","comment":"looking","createdBy":"dana","endsAt":"2026-11-26T18:50:00.000Z","matchers":[{"isEqual":true,"isRegex":false,"name":"alertname","value":"HighLatency"}],"startsAt":"2026-11-26T16:53:21.493Z"}]"#;

    fn groups(text: &str) -> Result<Vec<AlertGroup>, String> {
        let wire: Vec<wire::Group> = serde_json::from_str(text).map_err(|e| e.to_string())?;
        decode_list(wire, wire::Group::into_domain)
    }

    fn silences(text: &str) -> Result<Vec<Silence>, String> {
        let wire: Vec<wire::Silence> = serde_json::from_str(text).map_err(|e| e.to_string())?;
        decode_list(wire, wire::Silence::into_domain)
    }

    #[test]
    fn real_answers_decode() {
        let groups = groups(GROUPS).unwrap();
        assert_eq!(groups[0].receiver, "serving-sre");
        let alerts = merge_groups(groups);
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[0].receivers, ["serving-sre"]);
        assert_eq!(
            alerts[0].silenced_by[0].as_str(),
            "bd4c7f6d-5598-4cfb-8600-69ddc0030c41"
        );
        assert_eq!(
            alerts[0].starts_at,
            rfc3339::parse("2026-11-26T16:53:17.295Z").unwrap()
        );
        let silences = silences(SILENCES).unwrap();
        assert_eq!(silences[0].state, SilenceState::Active);
        assert_eq!(silences[0].created_by, "dana");
    }

    #[test]
    fn an_alert_in_two_groups_is_listed_once_with_both_receivers() {
        let one = groups(GROUPS).unwrap().remove(0);
        let mut two = one.clone();
        two.receiver = "ml-oncall".into();
        let alerts = merge_groups(vec![one, two]);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].receivers, ["serving-sre", "ml-oncall"]);
    }

    #[test]
    fn times_round_trip_and_bad_ones_are_refused() {
        let check = |text: &str, expected: Option<i64>| {
            assert_eq!(rfc3339::parse(text).map(|t| t.0), expected, "{text}");
        };
        check("1970-01-01T00:00:00Z", Some(0));
        check("1970-01-01T00:00:00.5Z", Some(500));
        check("1970-01-01T00:00:00.123456789Z", Some(123));
        check("1970-01-01T01:00:00+01:00", Some(0));
        check("1969-12-31T23:00:00-01:00", Some(0));
        check("2024-02-29T00:00:00Z", Some(1_709_164_800_000));
        check("0001-01-01T00:00:00Z", Some(-62_135_596_800_000));
        for bad in [
            "",
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-26T24:00:00Z",
            "2026-11-26T16:53:17",
            "2026-11-26T16:53:17.Z",
            "2026-11-26T16:53:17Zjunk",
            "2026-11-26T16:53:17+0100",
            "２０２６-11-26T16:53:17Z",
        ] {
            check(bad, None);
        }
        for t in [0, 1_764_175_997_295, -1, 253_402_300_799_999] {
            assert_eq!(
                rfc3339::parse(&rfc3339::format(Timestamp(t))),
                Some(Timestamp(t))
            );
        }
    }

    #[test]
    fn malformed_answers_are_errors() {
        assert!(groups(r#"[{"alerts":[],"receiver":{}}]"#).is_err());
        let bad_state = GROUPS.replace("\"suppressed\"", "\"on fire\"");
        assert!(groups(&bad_state).unwrap_err().contains("on fire"));
        let bad_time = SILENCES.replace("2026-11-26T18:50:00.000Z", "tomorrow");
        assert!(silences(&bad_time).unwrap_err().contains("tomorrow"));
        assert!(silences(r#"{"not": "a list"}"#).is_err());
    }

    /// A small deterministic generator, so the fuzz loop needs no dependency.
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Replaces a random node of a JSON document with a value of another shape.
    fn mutate_value(v: &mut serde_json::Value, rng: &mut SplitMix) {
        use serde_json::Value;
        let replacement = |pick: usize| -> Value {
            match pick {
                0 => Value::Null,
                1 => Value::Bool(true),
                2 => Value::from(-1.5e300),
                3 => Value::from(""),
                4 => Value::from("9999-99-99T99:99:99Z"),
                5 => Value::Array(vec![]),
                6 => serde_json::json!({}),
                7 => Value::from("+Inf"),
                _ => Value::from("2026-11-26T16:53:17.295+25:00"),
            }
        };
        match v {
            Value::Array(items) if !items.is_empty() && rng.below(3) != 0 => {
                let i = rng.below(items.len());
                mutate_value(&mut items[i], rng);
            }
            Value::Object(map) if !map.is_empty() && rng.below(3) != 0 => {
                let keys: Vec<String> = map.keys().cloned().collect();
                let key = &keys[rng.below(keys.len())];
                if rng.below(5) == 0 {
                    map.remove(key);
                } else if let Some(child) = map.get_mut(key) {
                    mutate_value(child, rng);
                }
            }
            _ => {
                let pick = rng.below(9);
                *v = replacement(pick);
            }
        }
    }

    #[test]
    fn mutated_answers_never_panic() {
        let mut rng = SplitMix(20_261_126);
        for sample in [GROUPS, SILENCES] {
            let original: serde_json::Value = serde_json::from_str(sample).unwrap();
            for _ in 0..3000 {
                // Structural mutations reach the conversions; byte mutations reach the parser.
                let mut v = original.clone();
                for _ in 0..1 + rng.below(3) {
                    mutate_value(&mut v, &mut rng);
                }
                let text = v.to_string();
                let _ = groups(&text);
                let _ = silences(&text);
                let mut bytes = sample.as_bytes().to_vec();
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(bytes.len());
                    match rng.below(3) {
                        0 => bytes[i] = b"\"{}[],:0aZ-.\\"[rng.below(13)],
                        1 => {
                            bytes.remove(i);
                        }
                        _ => bytes.truncate(i),
                    }
                    if bytes.is_empty() {
                        break;
                    }
                }
                let text = String::from_utf8_lossy(&bytes);
                let _ = groups(&text);
                let _ = silences(&text);
                let _ = rfc3339::parse(&text);
            }
        }
    }
}
