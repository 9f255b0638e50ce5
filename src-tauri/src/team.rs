//! The team store, live in the panel. One LISTEN connection hears every change any desktop
//! commits (requests, approvals, pointer moves, audit events, readings) and wakes the
//! workspace's watchers at once, instead of at their next poll (the poll stays as the fallback
//! for the policy file and a lost connection), and is forwarded to the webview, whose views read
//! again on it. Presence beats go through here too.

use std::time::Duration;

use gatehouse_core::presence::{Looking, LOOK_LASTS_SECS};
use gatehouse_core::promotion::RequestId;
use gatehouse_core::Error;
use gatehouse_store::team::TeamStore;
use gatehouse_store::Workspace;
use tauri::ipc::Channel;
use tokio::sync::watch;

/// How long to wait before listening again after the connection failed.
const RETRY: Duration = Duration::from_secs(2);

/// How long a watcher woken by a notice lets the burst it belongs to settle.
const SETTLE: Duration = Duration::from_millis(150);

/// Counts the changes the team store announced; every watcher of the workspace holds a
/// [`Nudges`] of it.
pub struct TeamFeed(watch::Sender<u64>);

impl TeamFeed {
    /// Listens to the team store behind `ws`, if there is one, for as long as the panel runs. A
    /// workspace without one never wakes anyone early.
    pub fn start(ws: Option<&Workspace>) -> TeamFeed {
        let (changed, _) = watch::channel(0);
        if let Some(team) = ws.and_then(Workspace::team) {
            tauri::async_runtime::spawn(listen(team.clone(), changed.clone()));
        }
        TeamFeed(changed)
    }

    /// A new watcher's view of the feed.
    pub fn nudges(&self) -> Nudges {
        Nudges(self.0.subscribe())
    }
}

/// Counts every change notice; listens again after a failure (the notices missed meanwhile are
/// caught by the watchers' poll of the revision).
async fn listen(team: TeamStore, changed: watch::Sender<u64>) {
    loop {
        if let Ok(mut listener) = team.listen().await {
            while listener.next().await.is_ok() {
                changed.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// What a watcher waits on between two looks at the workspace.
pub struct Nudges(watch::Receiver<u64>);

/// Sends the count of change notices heard on `on_change` after each new one (a burst of notices
/// arrives as one), until the webview drops the channel: the views read again at once, without
/// waiting for the loop to be computed anew.
pub fn forward(mut nudges: Nudges, on_change: Channel<u64>) {
    tauri::async_runtime::spawn(async move {
        while nudges.0.changed().await.is_ok() {
            let heard = *nudges.0.borrow_and_update();
            if on_change.send(heard).is_err() {
                break;
            }
        }
    });
}

impl Nudges {
    /// Waits `poll`, or less if the team store announces a change meanwhile: then [`SETTLE`]
    /// more, so that the transactions of one action elsewhere are read once, and the views,
    /// which the notice made read again at once, are drawn before the loop is computed anew.
    /// Notices that arrived while the watcher was busy end the next wait at once, so none is
    /// lost.
    pub async fn wait(&mut self, poll: Duration) {
        match tokio::time::timeout(poll, self.0.changed()).await {
            Ok(Ok(())) => tokio::time::sleep(SETTLE).await,
            // The feed is gone (the panel is closing): only the poll is left.
            Ok(Err(_)) => tokio::time::sleep(poll).await,
            Err(_) => {}
        }
    }
}

/// The most requests one beat may name: a view shows far fewer.
const MAX_LOOKED_AT: usize = 500;

/// Says that the acting login looks at `requests` now (and at no other), and returns who else
/// looks at which request. Only a team store has anyone else: on the workspace's own file
/// nobody does.
pub async fn look_at(ws: &Workspace, requests: &[RequestId]) -> Result<Vec<Looking>, Error> {
    if requests.len() > MAX_LOOKED_AT {
        return Err(Error::Invalid(format!(
            "a look names at most {MAX_LOOKED_AT} requests, not {}",
            requests.len()
        )));
    }
    match ws.team() {
        Some(team) => Ok(team
            .look_at(requests, Duration::from_secs(LOOK_LASTS_SECS))
            .await?),
        None => Ok(Vec::new()),
    }
}
