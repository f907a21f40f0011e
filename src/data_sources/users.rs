//! `data "domo_users"`: every user of the Domo instance, optionally
//! filtered by role and email domain.
//!
//! Domo's API has no filters and no search, so this is one pass over the
//! listing (pages of 500, the most Domo allows) with the filters applied
//! here; 20,000 users take 40 pages and no per-user calls.

use super::{user_object_type, user_value, DataSource, USER_FIELDS};
use crate::domo::{DomoClient, User};
use crate::protocol::{
    AttrType, Attribute, AttributePath, Diagnostic, Diagnostics, Field, Mode, ObjectReader, Schema,
    Value,
};
use crate::resources::errors::{api_error, Action};
use crate::resources::user::invalid_role;

pub const TYPE_NAME: &str = "domo_users";

pub struct UsersDataSource;

/// The filters, as configured.
struct Filters {
    role: Field<String>,
    email_domain: Field<String>,
}

impl Filters {
    fn read(config: &Value) -> Result<Option<Self>, Diagnostics> {
        let Some(r) = ObjectReader::new(config)? else {
            return Ok(None);
        };
        Ok(Some(Filters {
            role: r.field("role")?,
            email_domain: r.field("email_domain")?,
        }))
    }

    fn problems(&self) -> Diagnostics {
        let mut diags = Diagnostics::default();
        if let Some(d) = self.role.known().and_then(|r| invalid_role(r, "role")) {
            diags.push(d);
        }
        if let Some(domain) = self.email_domain.known() {
            if normalise_domain(domain).is_none() {
                diags.push(
                    Diagnostic::error(
                        "Invalid email domain",
                        format!("email_domain = \"{domain}\" is not a domain name. Use the part of the address after '@', such as example.com."),
                    )
                    .at(AttributePath::root("email_domain")),
                );
            }
        }
        diags
    }

    /// Whether `user` passes every configured filter.
    fn matcher(&self) -> impl Fn(&User) -> bool {
        let role = self.role.known().cloned();
        let domain = self.email_domain.as_deref().and_then(normalise_domain);
        move |user: &User| {
            role.as_deref().is_none_or(|r| user.role == r)
                && domain
                    .as_deref()
                    .is_none_or(|d| domain_of(&user.email).is_some_and(|ud| ud == d))
        }
    }
}

/// `example.com` from `example.com`, `@Example.COM` or ` example.com `,
/// lower-cased; `None` when it cannot be a domain.
fn normalise_domain(domain: &str) -> Option<String> {
    let d = domain.trim();
    let d = d.strip_prefix('@').unwrap_or(d);
    let valid = !d.is_empty()
        && !d.contains('@')
        && !d.contains(char::is_whitespace)
        && d.split('.').all(|label| !label.is_empty());
    valid.then(|| d.to_lowercase())
}

/// The lower-cased part of an address after its last '@'.
fn domain_of(email: &str) -> Option<String> {
    email
        .trim()
        .rsplit_once('@')
        .map(|(_, domain)| domain.to_lowercase())
}

fn schema() -> Schema {
    Schema {
        version: 0,
        description: "Lists the users of the Domo instance, optionally only those with a given role or email domain. Reads Domo's whole user listing once, 500 users a request.".into(),
        attributes: vec![
            Attribute::new(
                "role",
                AttrType::String,
                Mode::Optional,
                "Only list users with this role: `Admin`, `Privileged` or `Participant`, spelled exactly so.",
            ),
            Attribute::new(
                "email_domain",
                AttrType::String,
                Mode::Optional,
                "Only list users whose primary email address is at this domain (the part after `@`, such as `example.com`), compared ignoring letter case. Subdomains are not included.",
            ),
            Attribute::new(
                "users",
                AttrType::List(Box::new(user_object_type())),
                Mode::Computed,
                "The users that pass the filters, ordered by id. Deleted users are never listed.",
            ),
        ],
    }
}

/// The state: the filters as configured, and the matching users by id.
fn state(filters: &Filters, mut users: Vec<User>) -> Value {
    let keep = filters.matcher();
    users.retain(|u| keep(u));
    users.sort_by_key(|u| u.id);
    Value::object([
        ("role", filters.role.to_value()),
        ("email_domain", filters.email_domain.to_value()),
        ("users", Value::List(users.iter().map(user_value).collect())),
    ])
}

#[tonic::async_trait]
impl DataSource for UsersDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match Filters::read(config) {
            Ok(Some(f)) => f.problems(),
            Ok(None) => Diagnostics::default(),
            Err(d) => d,
        }
    }

    async fn read(&self, client: &DomoClient, config: &Value) -> Result<Value, Diagnostics> {
        let filters = Filters::read(config)?.unwrap_or(Filters {
            role: Field::Null,
            email_domain: Field::Null,
        });
        let problems = filters.problems();
        if problems.has_errors() {
            return Err(problems);
        }
        let users = client
            .list_all_users()
            .await
            .map_err(|e| Diagnostics::from(api_error(Action::List, &e)))?;
        let listed = users.len();
        let value = state(&filters, users);
        let matched = match value.get("users") {
            Some(Value::List(items)) => items.len(),
            _ => 0,
        };
        tracing::debug!(listed, matched, "read domo_users");
        Ok(value)
    }

    fn field_descriptions(&self, attribute: &str) -> Vec<(&'static str, String)> {
        match attribute {
            "users" => USER_FIELDS
                .iter()
                .map(|(name, description)| (*name, (*description).to_owned()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample_user;
    use super::*;

    fn filters(role: Option<&str>, domain: Option<&str>) -> Filters {
        let f = |v: Option<&str>| Field::from_option(v.map(str::to_owned));
        Filters {
            role: f(role),
            email_domain: f(domain),
        }
    }

    fn ids(v: &Value) -> Vec<String> {
        match v.get("users") {
            Some(Value::List(items)) => items
                .iter()
                .filter_map(|u| match u.get("id") {
                    Some(Value::String(s)) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            other => panic!("users is {other:?}"),
        }
    }

    fn people() -> Vec<User> {
        vec![
            sample_user(3, "c@Example.com", "Participant"),
            sample_user(1, "a@example.com", "Admin"),
            sample_user(2, "b@other.org", "Participant"),
            sample_user(4, "d@sub.example.com", "Participant"),
        ]
    }

    #[test]
    fn filters_combine_and_results_are_ordered_by_id() {
        assert_eq!(
            ids(&state(&filters(None, None), people())),
            ["1", "2", "3", "4"]
        );
        assert_eq!(
            ids(&state(&filters(Some("Participant"), None), people())),
            ["2", "3", "4"]
        );
        assert_eq!(
            ids(&state(&filters(None, Some("EXAMPLE.com")), people())),
            ["1", "3"]
        );
        assert_eq!(
            ids(&state(&filters(None, Some("@example.com")), people())),
            ["1", "3"]
        );
        assert_eq!(
            ids(&state(
                &filters(Some("Participant"), Some("example.com")),
                people()
            )),
            ["3"]
        );
        assert!(ids(&state(&filters(Some("Admin"), Some("other.org")), people())).is_empty());
    }

    #[test]
    fn state_echoes_the_filters() {
        let v = state(&filters(Some("Admin"), Some("@Example.com")), people());
        assert_eq!(v.get("role"), Some(&Value::string("Admin")));
        assert_eq!(v.get("email_domain"), Some(&Value::string("@Example.com")));
        assert_eq!(
            state(&filters(None, None), vec![]).get("role"),
            Some(&Value::Null)
        );
    }

    #[test]
    fn bad_filters_point_at_their_attribute() {
        let d = filters(Some("admin"), Some("not a domain")).problems();
        let paths: Vec<_> = d.0.iter().filter_map(|d| d.attribute.clone()).collect();
        assert_eq!(
            paths,
            vec![
                AttributePath::root("role"),
                AttributePath::root("email_domain")
            ]
        );
        assert!(d.0[0].detail.contains("Did you mean \"Admin\""));
        for bad in ["", "a@b.com", "example..com", "@"] {
            assert!(normalise_domain(bad).is_none(), "{bad}");
        }
        let unknown = Filters {
            role: Field::Unknown,
            email_domain: Field::Unknown,
        };
        assert!(unknown.problems().is_empty());
    }
}
