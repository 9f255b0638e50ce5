//! `gatehouse hooks secret ENTRY`: stores a deploy hook's signing secret in the OS keyring under
//! the entry that `[[hooks]]`'s `secret` names. The secret is read from standard input, never
//! taken as an argument, so it reaches no shell history, process list or file.

use std::io::Read;

use clap::Subcommand;
use gatehouse_connectors::hooks::store_secret;
use gatehouse_connectors::secret::Secret;
use gatehouse_core::hook::HookDelivery;
use gatehouse_core::ports::PromotionStore;
use gatehouse_core::promotion::RequestId;
use gatehouse_core::Error;
use gatehouse_store::Workspace;

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// Store a hook's signing secret, read from standard input, under the keyring entry ENTRY
    Secret {
        /// The keyring entry `[[hooks]]` names in `secret`, such as gatehouse/cd-hook
        entry: String,
    },
}

pub fn run(json: bool, command: HooksCommand, stdin: &mut dyn Read) -> Result<(), Error> {
    match command {
        HooksCommand::Secret { entry } => {
            let mut raw = String::new();
            stdin
                .take(64 * 1024)
                .read_to_string(&mut raw)
                .map_err(|e| Error::Invalid(format!("cannot read the secret: {e}")))?;
            // One trailing newline (from `echo` or a terminal) is not part of the secret.
            let secret = raw
                .strip_suffix("\r\n")
                .or_else(|| raw.strip_suffix('\n'))
                .unwrap_or(&raw);
            if secret.is_empty() {
                return Err(Error::Invalid("standard input held no secret".into()));
            }
            store_secret(&entry, Secret::new(secret))?;
            if json {
                println!("{}", serde_json::json!({ "stored": entry }));
            } else {
                println!("stored the hook's signing secret under keyring entry `{entry}`");
            }
            Ok(())
        }
    }
}

/// Warns on standard error about each deploy hook that failed for request `id`: the pointer
/// moved, but the CD system may not have heard of it. The audit log holds the details.
pub async fn warn_failed(ws: &Workspace, id: RequestId) -> Result<(), Error> {
    for event in ws.audit_log().await? {
        if event.request != Some(id) {
            continue;
        }
        if let Some(hook) = HookDelivery::from_event(&event).filter(|h| !h.delivered) {
            eprintln!(
                "gatehouse: deploy hook {} failed; the pointer moved all the same: {}",
                hook.url, hook.response
            );
        }
    }
    Ok(())
}
