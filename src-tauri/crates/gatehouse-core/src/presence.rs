//! Who else is looking at a request: on a team store, the other logins whose panels showed it in
//! the last few seconds, so that two approvers know they are reading the same request. A look is
//! no decision and leaves no audit trace; it only expires.

use serde::Serialize;

use crate::policy::UserName;
use crate::promotion::RequestId;

/// How long a look counts without another beat, in seconds: a panel that closes without a word
/// drops off within this.
pub const LOOK_LASTS_SECS: u64 = 6;

/// How often a panel showing requests says it still looks, in seconds (a third of
/// [`LOOK_LASTS_SECS`], so one lost beat ends no look).
pub const BEAT_SECS: u64 = 2;

/// The other users looking at one request now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Looking {
    /// The request.
    pub request: RequestId,
    /// Who else looks at it, by name.
    pub users: Vec<UserName>,
}

/// Groups `(request, user)` pairs, as a store reads them, into one [`Looking`] per request, in
/// request order, each user once.
pub fn group_looks(pairs: impl IntoIterator<Item = (RequestId, UserName)>) -> Vec<Looking> {
    let mut by_request = std::collections::BTreeMap::<RequestId, Vec<UserName>>::new();
    for (request, user) in pairs {
        let users = by_request.entry(request).or_default();
        if !users.contains(&user) {
            users.push(user);
        }
    }
    by_request
        .into_iter()
        .map(|(request, users)| Looking { request, users })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_are_grouped_by_request_with_each_user_once() {
        let pairs = [
            (RequestId(3), UserName::from("marco")),
            (RequestId(1), UserName::from("erin")),
            (RequestId(3), UserName::from("dana")),
            (RequestId(3), UserName::from("marco")),
        ];
        assert_eq!(
            group_looks(pairs),
            [
                Looking {
                    request: RequestId(1),
                    users: vec![UserName::from("erin")],
                },
                Looking {
                    request: RequestId(3),
                    users: vec![UserName::from("marco"), UserName::from("dana")],
                },
            ]
        );
    }
}
