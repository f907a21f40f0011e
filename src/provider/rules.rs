//! Rules about Domo's objects shared by every resource and data source:
//! what an email address, a role and an id must look like, each check
//! returning the diagnostic that points at the attribute. Values not known
//! yet pass: they are checked again once known.

use std::collections::{BTreeSet, HashSet};

use crate::domo::roles::{default_role_names, role_id_of, DEFAULT_ROLES};
use crate::protocol::{AttributePath, Diagnostic, Field};

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

/// A role name that is not one of Domo's five default roles, pointing at
/// `path`. Custom roles are set by id (`role_id`), never by name.
pub fn check_role(value: &Field<String>, path: AttributePath) -> Option<Diagnostic> {
    let role = value.known()?;
    if role_id_of(role).is_some() {
        return None;
    }
    let hint = DEFAULT_ROLES
        .iter()
        .find(|r| r.name.eq_ignore_ascii_case(role))
        .map(|r| format!("Did you mean \"{}\"? Roles are case-sensitive.", r.name))
        .unwrap_or_else(|| {
            "For a custom role of your instance, set role_id to its numeric id instead.".to_owned()
        });
    // The names on a line of their own, so that Terraform's line wrapping
    // never splits the list.
    Some(
        Diagnostic::error(
            "Invalid Domo role",
            format!(
                "{} = \"{role}\" is not one of Domo's default roles. Use one of:\n{}\n{hint}",
                path_name(&path),
                default_role_names()
            ),
        )
        .at(path),
    )
}

/// A role id that cannot be one (Domo's role ids start at 1), pointing at
/// `path`.
pub fn check_role_id(value: &Field<u64>, path: AttributePath) -> Option<Diagnostic> {
    let id = *value.known()?;
    (id == 0).then(|| {
        Diagnostic::error(
            "Invalid Domo role id",
            format!(
                "{} = 0 is not a Domo role id: ids start at 1 (the default roles are 1 to 5; a custom role's id is shown in Domo's admin pages).",
                path_name(&path)
            ),
        )
        .at(path)
    })
}

/// The role rules of anything that sets a user's role through a `role`
/// and a `role_id` attribute under `at` (the attributes' parent: the root,
/// or say `users["k"]`): exactly one of them is configured, `role` is one
/// of the five default names, `role_id` a possible id. Unknown values count
/// as configured (they will be set) and are checked once known.
pub fn check_role_choice(
    role: &Field<String>,
    role_id: &Field<u64>,
    at: &AttributePath,
) -> Vec<Diagnostic> {
    let role_path = at.clone().attribute("role");
    let id_path = at.clone().attribute("role_id");
    match (role.is_null(), role_id.is_null()) {
        (true, true) => vec![Diagnostic::error(
            "No Domo role set",
            format!(
                "Set role to one of Domo's default roles ({}), or role_id to the id of a custom role.",
                default_role_names()
            ),
        )
        .at(role_path)],
        (false, false) => vec![Diagnostic::error(
            "Conflicting role settings",
            "Set either role (a default role's name) or role_id (a role's id, for custom roles), not both: remove one of them.",
        )
        .at(id_path)],
        _ => [check_role(role, role_path), check_role_id(role_id, id_path)]
            .into_iter()
            .flatten()
            .collect(),
    }
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

/// An employee number Domo cannot store, pointing at `path`: Domo types
/// `employeeNumber` as an integer, so only digits go (at most 19, the
/// largest integer that fits).
pub fn check_employee_number(value: &Field<String>, path: AttributePath) -> Option<Diagnostic> {
    let text = value.known()?;
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let fits = text.trim_start_matches('0').len() <= 19;
    (!(digits && fits)).then(|| {
        Diagnostic::error(
            "Invalid employee number",
            format!(
                "{} is {text:?}, but Domo stores employee numbers as whole numbers: use digits only (at most 19), such as \"1815\", or leave it unset.",
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

/// `example.com` from `example.com`, `@Example.COM` or ` example.com `,
/// lower-cased; `None` when it cannot be a domain.
pub fn normalise_email_domain(domain: &str) -> Option<String> {
    let d = domain.trim();
    let d = d.strip_prefix('@').unwrap_or(d);
    let valid = !d.is_empty()
        && !d.contains('@')
        && !d.contains(char::is_whitespace)
        && d.split('.').all(|label| !label.is_empty());
    valid.then(|| d.to_lowercase())
}

/// The lower-cased part of an address after its last '@'.
pub fn email_domain_of(email: &str) -> Option<String> {
    email
        .trim()
        .rsplit_once('@')
        .map(|(_, domain)| domain.to_lowercase())
}

/// An email domain filter that cannot be one, pointing at `path`.
pub fn check_email_domain(value: &Field<String>, path: AttributePath) -> Option<Diagnostic> {
    let domain = value.known()?;
    normalise_email_domain(domain).is_none().then(|| {
        Diagnostic::error(
            "Invalid email domain",
            format!(
                "{} = \"{domain}\" is not a domain name. Use the part of the address after '@', such as example.com.",
                path_name(&path)
            ),
        )
        .at(path)
    })
}

/// An identity attribute that must hold a Domo id (`what`, e.g. "Domo
/// user"): the id, as an import id takes it, or why not.
pub fn numeric_id(value: &Field<String>, name: &str, what: &str) -> Result<String, Diagnostic> {
    match value.known().map(|id| (id, parse_id(id))) {
        Some((_, Some(id))) => Ok(id.to_string()),
        Some((id, None)) => Err(Diagnostic::error(
            format!("Invalid {what} id in identity"),
            format!("{name} = \"{id}\" is not a {what} id (a whole number such as 1234567)."),
        )),
        None => Err(Diagnostic::error(
            "Incomplete identity",
            format!("The identity must set {name}, the {what} id."),
        )),
    }
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

/// Elements of a list of ids that are not Domo ids, in one diagnostic
/// pointing at `path`; `what` names the objects, e.g. "Domo user".
pub fn check_id_list(
    value: &Field<Vec<String>>,
    what: &str,
    path: AttributePath,
) -> Option<Diagnostic> {
    let bad: Vec<String> = value
        .known()?
        .iter()
        .filter(|id| parse_id(id).is_none())
        .map(|id| format!("\"{id}\""))
        .collect();
    (!bad.is_empty()).then(|| {
        Diagnostic::error(
            format!("Invalid {what} id"),
            format!(
                "{} holds {} that {} not {what} ids (whole numbers such as 1234567): {}. Use the users' numeric ids, for example domo_user.NAME.id.",
                path_name(&path),
                if bad.len() == 1 { "a value" } else { "values" },
                if bad.len() == 1 { "is" } else { "are" },
                bad.join(", ")
            ),
        )
        .at(path)
    })
}

/// Ids a list with set meaning holds more than once ("7" and "007" are the
/// same id), in one diagnostic pointing at the first repeat.
pub fn check_no_repeated_ids(
    value: &Field<Vec<String>>,
    path: AttributePath,
) -> Option<Diagnostic> {
    let ids = value.known()?;
    let mut seen = HashSet::with_capacity(ids.len());
    let mut first_repeat = None;
    let mut repeated = Vec::new();
    for (i, text) in ids.iter().enumerate() {
        let id = parse_id(text).map_or_else(|| text.clone(), |id| id.to_string());
        if !seen.insert(id.clone()) {
            first_repeat.get_or_insert(i);
            if !repeated.contains(&id) {
                repeated.push(id);
            }
        }
    }
    let at = first_repeat?;
    let listed: Vec<String> = repeated.iter().map(|id| format!("\"{id}\"")).collect();
    Some(
        Diagnostic::error(
            "Repeated id",
            format!(
                "{} lists {} more than once: {}. Each id may appear once (the order does not matter); remove the repeats.",
                path_name(&path),
                if repeated.len() == 1 { "an id" } else { "ids" },
                listed.join(", ")
            ),
        )
        .at(path.index(at as i64)),
    )
}

/// Parses ids already checked with [`check_id_list`].
pub fn parse_id_set<'a>(ids: impl IntoIterator<Item = &'a String>) -> Option<BTreeSet<u64>> {
    ids.into_iter().map(|id| parse_id(id)).collect()
}

/// A data source's two selectors, of which exactly one must be set (an
/// unknown one counts as set): "No user selected" at the first when neither
/// is, "Conflicting user selectors" at the second when both are. `noun`
/// names the object read, e.g. "user".
pub fn check_one_selector(
    noun: &str,
    (first, first_value): (&'static str, &Field<String>),
    (second, second_value): (&'static str, &Field<String>),
) -> Option<Diagnostic> {
    match (first_value, second_value) {
        (Field::Null, Field::Null) => Some(
            Diagnostic::error(
                format!("No {noun} selected"),
                format!(
                    "Set exactly one of `{first}` or `{second}` to choose the Domo {noun} to read."
                ),
            )
            .at(AttributePath::root(first)),
        ),
        (Field::Known(_), Field::Known(_)) => Some(
            Diagnostic::error(
                format!("Conflicting {noun} selectors"),
                format!(
                    "Set exactly one of `{first}` or `{second}`, not both: remove one of them."
                ),
            )
            .at(AttributePath::root(second)),
        ),
        _ => None,
    }
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
    fn exactly_one_of_role_and_role_id_under_any_prefix() {
        let entry = AttributePath::root("users").key("k");
        let none = check_role_choice(&Field::Null, &Field::Null, &entry);
        assert_eq!(none.len(), 1);
        assert_eq!(
            none[0].attribute,
            Some(entry.clone().attribute("role")),
            "points inside the entry"
        );
        let both = check_role_choice(&known("Admin"), &Field::Known(101), &entry);
        assert_eq!(both[0].summary, "Conflicting role settings");
        assert_eq!(both[0].attribute, Some(entry.clone().attribute("role_id")));
        // Unknown counts as set: both set is an error even before apply.
        let root = AttributePath::default();
        assert_eq!(
            check_role_choice(&Field::Unknown, &Field::Known(3), &root).len(),
            1
        );
        assert!(check_role_choice(&known("Editor"), &Field::Null, &root).is_empty());
        assert!(check_role_choice(&Field::Null, &Field::Known(101), &root).is_empty());
        assert!(check_role_choice(&Field::Unknown, &Field::Null, &root).is_empty());
        let bad_name = check_role_choice(&known("Owner"), &Field::Null, &root);
        assert_eq!(bad_name[0].attribute, Some(AttributePath::root("role")));
        let zero = check_role_choice(&Field::Null, &Field::Known(0), &root);
        assert_eq!(zero[0].attribute, Some(AttributePath::root("role_id")));
        assert!(
            zero[0].detail.starts_with("role_id = 0"),
            "{}",
            zero[0].detail
        );
    }

    #[test]
    fn checks_point_at_the_attribute_and_let_unknowns_through() {
        let d = check_email(&known("nope"), AttributePath::root("email")).unwrap();
        assert_eq!(d.attribute, Some(AttributePath::root("email")));
        assert!(d.detail.starts_with("email = \"nope\""), "{}", d.detail);
        assert!(check_email(&Field::Unknown, AttributePath::root("email")).is_none());
        let d = check_role(&known("admin"), AttributePath::root("role")).unwrap();
        assert!(d
            .detail
            .contains("Admin, Privileged, Editor, Participant, Social"));
        assert!(d.detail.contains("Did you mean \"Admin\""));
        for role in ["Admin", "Privileged", "Editor", "Participant", "Social"] {
            assert!(check_role(&known(role), AttributePath::root("role")).is_none());
        }
        let d = check_role(&known("Auditor"), AttributePath::root("role")).unwrap();
        assert!(d.detail.contains("role_id"), "{}", d.detail);
        let d = check_not_blank(&known("  "), AttributePath::root("name")).unwrap();
        assert_eq!(d.summary, "Empty name");
        let list = |ids: &[&str]| Field::Known(ids.iter().map(|s| s.to_string()).collect());
        let d = check_id_list(
            &list(&["12", "ada", "x"]),
            "Domo user",
            AttributePath::root("user_ids"),
        )
        .unwrap();
        assert_eq!(d.attribute, Some(AttributePath::root("user_ids")));
        assert!(d.detail.contains("\"ada\", \"x\""), "{}", d.detail);
        assert!(
            check_id_list(&list(&["1", " 2"]), "Domo user", AttributePath::root("u")).is_none()
        );
        assert!(check_id_list(&Field::Unknown, "Domo user", AttributePath::root("u")).is_none());
        let d = check_id(&known("x1"), "Domo user", AttributePath::root("id")).unwrap();
        assert_eq!(d.summary, "Invalid Domo user id");
        assert!(check_id(&known(" 42 "), "Domo user", AttributePath::root("id")).is_none());
    }
}
