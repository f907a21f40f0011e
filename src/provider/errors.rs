//! The one place Domo client errors become Terraform diagnostics. The
//! client's messages already say what went wrong and what to do; this adds
//! which operation on which kind of object failed.

use crate::domo::DomoError;
use crate::framework::Outcome;
use crate::protocol::{Diagnostic, Diagnostics};

/// What was being done.
#[derive(Clone, Copy, Debug)]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
    Import,
    List,
}

/// The kind of Domo object it was done to.
#[derive(Clone, Copy, Debug)]
pub enum ObjectKind {
    User,
    Group,
    GroupMembership,
}

impl ObjectKind {
    /// e.g. "Domo user".
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::User => "Domo user",
            ObjectKind::Group => "Domo group",
            ObjectKind::GroupMembership => "Domo group membership",
        }
    }
}

/// "Could not create Domo user", with the client's explanation as detail;
/// a name that matches several objects gets its own wording, which says how
/// to refer to one of them by id.
pub fn api_error(action: Action, kind: ObjectKind, err: &DomoError) -> Diagnostic {
    if let DomoError::AmbiguousName { kind, name, ids } = err {
        return ambiguous_name(action, kind, name, ids);
    }
    let verb = match action {
        Action::Create => "create",
        Action::Read => "read",
        Action::Update => "update",
        Action::Delete => "delete",
        Action::Import => "import",
        Action::List => "list",
    };
    let plural = if matches!(action, Action::List) {
        "s"
    } else {
        ""
    };
    Diagnostic::error(
        format!("Could not {verb} {}{plural}", kind.name()),
        capitalise(&err.to_string()),
    )
}

/// Several objects answer to one name: list them, and show the id form of
/// what the user was doing.
fn ambiguous_name(action: Action, kind: &str, name: &str, ids: &[u64]) -> Diagnostic {
    let listed = ids
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let example = ids.first().copied().unwrap_or_default();
    let how = match action {
        Action::Import => {
            format!("Import it by id instead, for example:\n\n  terraform import ADDRESS {example}")
        }
        _ => format!("Select it by id instead, for example: id = \"{example}\""),
    };
    Diagnostic::error(
        format!("Several Domo {kind}s are named \"{name}\""),
        format!(
            "The name \"{name}\" matches {} Domo {kind}s (ids {listed}), so it cannot pick one. {how}\n\nThe domo_groups data source lists every {kind} with its id.",
            ids.len()
        ),
    )
}

/// Domo refused to delete a user (it owns DataSets or Dataflows, or any
/// other refusal): who, Domo's words, and the two ways on. `None` when
/// `error` is not a refusal (Domo down, credentials, ...), which
/// [`api_error`] words. `let_go` says how this resource stops managing a
/// user without deleting it.
pub fn refused_user_delete(
    email: &str,
    id: u64,
    error: &DomoError,
    let_go: &str,
) -> Option<Diagnostic> {
    let message = error.refusal()?;
    Some(Diagnostic::error(
        "Domo refused to delete the user",
        format!(
            "Domo refused to delete user {email} (id {id}): \"{message}\". Domo does not delete a user who owns DataSets or Dataflows. To delete the user, transfer their content to another owner in Domo's admin pages (Admin > People, the user, transfer ownership), then apply again. To stop managing the user and leave the account in Domo, {let_go}. The user stays in Terraform state until one or the other is done."
        ),
    ))
}

/// A user was created, but without the role asked for: the user is kept
/// in state, and the next plan reads the role Domo holds and repairs it.
/// An error; on a create, callers make it a warning, since Terraform
/// replaces (deletes and creates again) an object whose create reports an
/// error, and requires the planned values back when none is reported.
pub fn role_not_set(error: &DomoError) -> Diagnostic {
    Diagnostic::error(
        "Domo user created without its role",
        format!(
            "{} The user exists and is kept in Terraform state: the next plan reads the role Domo holds and shows the change, and the next apply sets the role again. If it keeps failing, check that the role exists in the Domo instance and that the API client may assign it.",
            capitalise(&error.to_string())
        ),
    )
}

/// A delete's outcome: the object is gone, or why it is not.
pub fn deleted<M>(
    kind: ObjectKind,
    result: Result<(), DomoError>,
) -> Result<Outcome<M>, Diagnostics> {
    result
        .map(|()| Outcome::gone())
        .map_err(|e| api_error(Action::Delete, kind, &e).into())
}

/// An import's outcome from the lookup of the id given: the object found,
/// as `model` makes it, or "no such object" naming `what` was looked for
/// and ending with `hint` (how to find the right id).
pub fn imported<T, M>(
    kind: ObjectKind,
    found: Result<Option<T>, DomoError>,
    what: &str,
    hint: &str,
    model: impl FnOnce(T) -> M,
) -> Result<Outcome<M>, Diagnostics> {
    match found {
        Ok(Some(object)) => Ok(Outcome::new(model(object))),
        Ok(None) => Err(Diagnostic::error(
            format!("Cannot import: no such {}", kind.name()),
            format!("No {} with {what} exists{hint}", kind.name()),
        )
        .into()),
        Err(e) => Err(api_error(Action::Import, kind, &e).into()),
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => {
            let mut out: String = first.to_uppercase().chain(chars).collect();
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_name_the_action_and_the_kind_of_object() {
        let err = DomoError::InvalidConfig("api_host is empty".into());
        let d = api_error(Action::Create, ObjectKind::Group, &err);
        assert_eq!(d.summary, "Could not create Domo group");
        assert!(
            d.detail.starts_with("Invalid Domo client configuration"),
            "{}",
            d.detail
        );
        assert!(d.detail.ends_with('.'));
        let d = api_error(Action::List, ObjectKind::User, &err);
        assert_eq!(d.summary, "Could not list Domo users");
    }

    #[test]
    fn an_ambiguous_name_says_to_use_the_id() {
        let err = DomoError::AmbiguousName {
            kind: "group",
            name: "Sales".into(),
            ids: vec![7, 9],
        };
        let d = api_error(Action::Import, ObjectKind::Group, &err);
        assert_eq!(d.summary, "Several Domo groups are named \"Sales\"");
        assert!(d.detail.contains("ids 7, 9"), "{}", d.detail);
        assert!(
            d.detail.contains("terraform import ADDRESS 7"),
            "{}",
            d.detail
        );
        let d = api_error(Action::Read, ObjectKind::Group, &err);
        assert!(d.detail.contains("id = \"7\""), "{}", d.detail);
    }
}
