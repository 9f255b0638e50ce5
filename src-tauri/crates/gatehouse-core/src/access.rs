//! Who may do what: roles from the policy, checked in the core before any action. The UI only
//! mirrors these answers; it never decides.

use std::collections::BTreeSet;

use crate::policy::{Policy, Role, UserName};

/// An action that needs a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Ask for a pointer to move.
    RequestPromotion,
    /// Approve or reject a request.
    Decide,
    /// Move a pointer back to an earlier version.
    Rollback,
    /// Pass a request's blocking gates with a reason.
    OverrideGates,
    /// Acknowledge an alert (silence it with a reason) or take the acknowledgement back.
    Acknowledge,
    /// Respond to an incident: quarantine a data batch, ask a model's owner to retrain it.
    Respond,
}

impl Permission {
    /// What the permission allows, in words for a refusal.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::RequestPromotion => "request promotions",
            Permission::Decide => "approve or reject promotions",
            Permission::Rollback => "roll back",
            Permission::OverrideGates => "override gates",
            Permission::Acknowledge => "acknowledge alerts",
            Permission::Respond => "quarantine batches or request retraining",
        }
    }
}

/// Who is acting, as the panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Session {
    /// The login.
    pub user: UserName,
    /// A name for people.
    pub display_name: String,
    /// The roles the policy grants (empty for a user it does not know: read only).
    pub roles: Vec<Role>,
    /// Whether the policy knows the user.
    pub known: bool,
    /// May request promotions.
    pub can_request: bool,
    /// May approve or reject promotions.
    pub can_decide: bool,
    /// May roll back.
    pub can_rollback: bool,
    /// May override gates.
    pub can_override: bool,
    /// The pointer that means production in this workspace.
    pub production_pointer: crate::registry::PointerName,
}

/// The session of `user` under `policy`.
pub fn session(policy: &Policy, user: &UserName) -> Session {
    let known = policy.users.get(user);
    Session {
        user: user.clone(),
        display_name: known
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| user.to_string()),
        roles: roles_of(policy, user).into_iter().collect(),
        known: known.is_some(),
        can_request: authorize(policy, user, Permission::RequestPromotion).is_ok(),
        can_decide: authorize(policy, user, Permission::Decide).is_ok(),
        can_rollback: authorize(policy, user, Permission::Rollback).is_ok(),
        can_override: authorize(policy, user, Permission::OverrideGates).is_ok(),
        production_pointer: policy.promotion.production_pointer.clone(),
    }
}

/// The roles the policy grants `user`; none for a user it does not know.
pub fn roles_of(policy: &Policy, user: &UserName) -> BTreeSet<Role> {
    policy
        .users
        .get(user)
        .map(|u| u.roles.clone())
        .unwrap_or_default()
}

/// Whether `user` holds a role that allows `permission`. Admin allows everything. The error says
/// why, for a person.
pub fn authorize(policy: &Policy, user: &UserName, permission: Permission) -> Result<(), String> {
    let held = roles_of(policy, user);
    let rules = &policy.promotion;
    // Acknowledging is an operator's duty (DESIGN §2); every role above an operator may do it too.
    let acknowledge: BTreeSet<Role> = [Role::Operator, Role::Approver, Role::Admin].into();
    let allowed = match permission {
        Permission::RequestPromotion => &rules.request,
        Permission::Decide => &rules.approve,
        Permission::Rollback => &rules.rollback,
        Permission::OverrideGates => &rules.override_gates,
        // Quarantining a batch and calling for retraining are on-call duties, like acknowledging.
        Permission::Acknowledge | Permission::Respond => &acknowledge,
    };
    if held.contains(&Role::Admin) || held.iter().any(|r| allowed.contains(r)) {
        return Ok(());
    }
    let needed: Vec<String> = allowed
        .iter()
        .map(|r| format!("{r:?}").to_lowercase())
        .collect();
    if held.is_empty() {
        Err(format!(
            "{user} is not a user of this workspace and may not {}",
            permission.describe()
        ))
    } else {
        Err(format!(
            "{user} may not {}: that needs the role {}",
            permission.describe(),
            needed.join(" or ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::POLICY;

    #[test]
    fn roles_decide_and_admin_may_do_everything() {
        let policy = Policy::parse(POLICY, "gatehouse.toml").unwrap();
        let may = |user: &str, p| authorize(&policy, &UserName::from(user), p).is_ok();
        assert!(may("priya", Permission::Decide));
        assert!(!may("dana", Permission::Decide));
        assert!(may("dana", Permission::Rollback));
        assert!(!may("sam", Permission::RequestPromotion));
        assert!(may("erin", Permission::OverrideGates));
        assert!(!may("priya", Permission::OverrideGates));
        assert!(may("dana", Permission::Acknowledge));
        assert!(may("priya", Permission::Acknowledge));
        assert!(!may("sam", Permission::Acknowledge));
        let err = authorize(&policy, &UserName::from("mallory"), Permission::Decide).unwrap_err();
        assert_eq!(
            err,
            "mallory is not a user of this workspace and may not approve or reject promotions"
        );
        let err = authorize(&policy, &UserName::from("sam"), Permission::Decide).unwrap_err();
        assert_eq!(
            err,
            "sam may not approve or reject promotions: that needs the role approver or admin"
        );
    }
}
