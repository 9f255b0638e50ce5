//! A small W3C WebDriver client: just the endpoints the journeys use, over blocking HTTP.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;
use serde_json::{json, Value};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebDriver session on a running driver.
pub struct Session {
    http: reqwest::blocking::Client,
    base: String,
}

/// An element reference of a session.
pub struct Element(String);

impl Session {
    /// Opens a session with the given capabilities on the driver at `url`.
    pub fn start(url: &str, capabilities: Value) -> Result<Session> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        let response: Value = http
            .post(format!("{url}/session"))
            .json(&body)
            .send()
            .context("driver unreachable")?
            .json()?;
        let id = response["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no session: {response}"))?;
        Ok(Session {
            http,
            base: format!("{url}/session/{id}"),
        })
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response: Value = request.send()?.json()?;
        if let Some(error) = response["value"].get("error") {
            bail!(
                "webdriver {path}: {error}: {}",
                response["value"]["message"]
            );
        }
        Ok(response["value"].clone())
    }

    /// Runs `script` in the page (its body may `return` a JSON-able value).
    pub fn execute(&self, script: &str, args: Value) -> Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Every element matching a CSS selector.
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let value = self.call(
            reqwest::Method::POST,
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        )?;
        value
            .as_array()
            .ok_or_else(|| anyhow!("elements: {value}"))?
            .iter()
            .map(|e| {
                e[ELEMENT_KEY]
                    .as_str()
                    .map(|id| Element(id.to_owned()))
                    .ok_or_else(|| anyhow!("element reference: {e}"))
            })
            .collect()
    }

    /// The one element matching a CSS selector, waiting up to `timeout` for it to appear.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element> {
        let start = Instant::now();
        loop {
            if let Some(e) = self.find_all(css)?.into_iter().next() {
                return Ok(e);
            }
            if start.elapsed() > timeout {
                bail!("nothing matched {css} within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The rendered text of the first element matching `css`, once it shows any (drawers slide
    /// in, and text that is not yet visible reads as empty).
    pub fn wait_for_text(&self, css: &str, timeout: Duration) -> Result<String> {
        let start = Instant::now();
        loop {
            if let Some(e) = self.find_all(css)?.into_iter().next() {
                let text = self.text(&e)?;
                if !text.trim().is_empty() {
                    return Ok(text);
                }
            }
            if start.elapsed() > timeout {
                bail!("no visible text in {css} within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `script` returns `true`.
    pub fn wait_until(&self, what: &str, script: &str, timeout: Duration) -> Result<()> {
        let start = Instant::now();
        loop {
            if self.execute(script, json!([]))? == Value::Bool(true) {
                return Ok(());
            }
            if start.elapsed() > timeout {
                bail!("timed out after {timeout:?} waiting for {what}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Clicks an element as a user would.
    pub fn click(&self, element: &Element) -> Result<()> {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/click", element.0),
            Some(json!({})),
        )
        .map(|_| ())
    }

    /// Presses and releases one key (a WebDriver key code such as `\u{E007}` for Enter) on
    /// whatever has the focus, as a keyboard would.
    pub fn press(&self, key: &str) -> Result<()> {
        let actions = json!({ "actions": [{
            "type": "key",
            "id": "keyboard",
            "actions": [{ "type": "keyDown", "value": key }, { "type": "keyUp", "value": key }]
        }]});
        self.call(reqwest::Method::POST, "/actions", Some(actions))
            .map(|_| ())
    }

    /// The rendered text of an element.
    pub fn text(&self, element: &Element) -> Result<String> {
        let v = self.call(
            reqwest::Method::GET,
            &format!("/element/{}/text", element.0),
            None,
        )?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Types `text` into an element.
    pub fn send_keys(&self, element: &Element, text: &str) -> Result<()> {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        )
        .map(|_| ())
    }

    /// A PNG of the window, taken after two animation frames so it shows the latest DOM.
    pub fn screenshot(&self) -> Result<Vec<u8>> {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({
                "script": "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                "args": []
            })),
        )?;
        let b64 = self.call(reqwest::Method::GET, "/screenshot", None)?;
        let b64 = b64.as_str().ok_or_else(|| anyhow!("screenshot: {b64}"))?;
        Ok(base64::engine::general_purpose::STANDARD.decode(b64)?)
    }

    /// Ends the session (closing the app).
    pub fn end(&self) -> Result<()> {
        self.http.delete(&self.base).send()?;
        Ok(())
    }
}
