//! The one place Domo client errors become Terraform diagnostics. The
//! client's messages already say what went wrong and what to do; this adds
//! which operation on which kind of object failed.

use crate::domo::DomoError;
use crate::protocol::Diagnostic;

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

/// "Could not create Domo user", with the client's explanation as detail.
pub fn api_error(action: Action, kind: ObjectKind, err: &DomoError) -> Diagnostic {
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
}
