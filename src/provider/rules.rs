//! Rules about Domo's objects shared by every resource and data source:
//! what an email address, a role and an id must look like, each check
//! returning the diagnostic that points at the attribute. Values not known
//! yet pass: they are checked again once known.

use crate::protocol::{AttributePath, Diagnostic, Field};

/// Domo's roles, spelled exactly as its API requires.
pub const ROLES: [&str; 3] = ["Admin", "Privileged", "Participant"];

/// A deliberately loose check: one `@`, something before it, a dotted
/// domain after it, no spaces. Domo has the final word.
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !s.contains(char::is_whitespace)
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty())
}

/// An email address that cannot be one, pointing at `path`.
pub fn check_email(value: &Field<String>, path: AttributePath) -> Option<Diagnostic> {
    let address = value.known()?;
    (!looks_like_email(address)).then(|| {
        Diagnostic::error(
            "Invalid email address",
            format!(
                "{} = \"{address}\" does not look like an email address (expected something like jane.doe@example.com).",
                path_name(&path)
            ),
        )
        .at(path)
    })
}

/// A role Domo would refuse, pointing at `path`.
pub fn check_role(value: &Field<String>, path: AttributePath) -> Option<Diagnostic> {
    let role = value.known()?;
    if ROLES.contains(&role.as_str()) {
        return None;
    }
    let hint = ROLES
        .iter()
        .find(|r| r.eq_ignore_ascii_case(role))
        .map(|r| format!(" Did you mean \"{r}\"? Roles are case-sensitive."))
        .unwrap_or_default();
    Some(
        Diagnostic::error(
            "Invalid Domo role",
            format!(
                "\"{role}\" is not a Domo role. Use one of: {}.{hint}",
                ROLES.join(", ")
            ),
        )
        .at(path),
    )
}

/// A name that is empty or only blanks, pointing at `path`.
pub fn check_not_blank(value: &Field<String>, path: AttributePath) -> Option<Diagnostic> {
    let text = value.known()?;
    text.trim().is_empty().then(|| {
        Diagnostic::error(
            format!("Empty {}", path_name(&path)),
            format!(
                "{} must contain at least one visible character.",
                path_name(&path)
            ),
        )
        .at(path)
    })
}

/// Domo's numeric id, from its decimal text.
pub fn parse_id(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// An id that is not a Domo id (a whole number), pointing at `path`;
/// `what` names the object, e.g. "Domo user".
pub fn check_id(value: &Field<String>, what: &str, path: AttributePath) -> Option<Diagnostic> {
    let id = value.known()?;
    parse_id(id).is_none().then(|| {
        Diagnostic::error(
            format!("Invalid {what} id"),
            format!(
                "{} = \"{id}\" is not a {what} id (a whole number such as 1234567).",
                path_name(&path)
            ),
        )
        .at(path)
    })
}

/// The last attribute name of a path, for messages ("email").
fn path_name(path: &AttributePath) -> String {
    path.last_attribute().unwrap_or("value").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(s: &str) -> Field<String> {
        Field::Known(s.to_owned())
    }

    #[test]
    fn email_shapes() {
        for ok in ["a@b.co", "first.last+tag@sub.example.com"] {
            assert!(looks_like_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "@b.com",
            "a@",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@b..com",
            "a@.com",
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }

    #[test]
    fn checks_point_at_the_attribute_and_let_unknowns_through() {
        let d = check_email(&known("nope"), AttributePath::root("email")).unwrap();
        assert_eq!(d.attribute, Some(AttributePath::root("email")));
        assert!(d.detail.starts_with("email = \"nope\""), "{}", d.detail);
        assert!(check_email(&Field::Unknown, AttributePath::root("email")).is_none());
        let d = check_role(&known("admin"), AttributePath::root("role")).unwrap();
        assert!(d.detail.contains("Admin, Privileged, Participant"));
        assert!(d.detail.contains("Did you mean \"Admin\""));
        assert!(check_role(&known("Admin"), AttributePath::root("role")).is_none());
        let d = check_not_blank(&known("  "), AttributePath::root("name")).unwrap();
        assert_eq!(d.summary, "Empty name");
        let d = check_id(&known("x1"), "Domo user", AttributePath::root("id")).unwrap();
        assert_eq!(d.summary, "Invalid Domo user id");
        assert!(check_id(&known(" 42 "), "Domo user", AttributePath::root("id")).is_none());
    }
}
