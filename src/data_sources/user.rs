//! `data "domo_user"`: one existing Domo user, found by id or by email.
//!
//! Exactly one of `id` and `email` selects the user; the email is matched
//! ignoring case. The selector keeps the configured spelling in the result
//! (as the `domo_user` resource does), so the answer never contradicts the
//! configuration. No match is an error, not an empty result: a
//! configuration that names a user depends on it existing.

use super::{computed_user_attributes, user_value, DataSource};
use crate::domo::{DomoClient, User};
use crate::protocol::{
    AttrType, Attribute, AttributePath, Diagnostic, Diagnostics, Field, Mode, ObjectReader, Schema,
    Value,
};
use crate::resources::errors::{api_error, Action};
use crate::resources::user::looks_like_email;

pub const TYPE_NAME: &str = "domo_user";

pub struct UserDataSource;

/// The two inputs; every other attribute is computed.
struct Selector {
    id: Field<String>,
    email: Field<String>,
}

/// How the user is looked up, once the inputs are known and valid.
enum Lookup {
    Id(u64),
    Email(String),
}

impl Selector {
    fn read(config: &Value) -> Result<Option<Self>, Diagnostics> {
        let Some(r) = ObjectReader::new(config)? else {
            return Ok(None);
        };
        Ok(Some(Selector {
            id: r.field("id")?,
            email: r.field("email")?,
        }))
    }

    /// Problems with what is known so far. Unknown values are let through:
    /// they are checked again at read time, when everything is known.
    fn problems(&self) -> Diagnostics {
        let mut diags = Diagnostics::default();
        if let Some(id) = self.id.known() {
            if parse_id(id).is_none() {
                diags.push(
                    Diagnostic::error(
                        "Invalid Domo user id",
                        format!(
                            "id = \"{id}\" is not a Domo user id (a whole number such as 1234567)."
                        ),
                    )
                    .at(AttributePath::root("id")),
                );
            }
        }
        if let Some(email) = self.email.known() {
            if !looks_like_email(email) {
                diags.push(
                    Diagnostic::error(
                        "Invalid email address",
                        format!("email = \"{email}\" does not look like an email address (expected something like jane.doe@example.com)."),
                    )
                    .at(AttributePath::root("email")),
                );
            }
        }
        match (&self.id, &self.email) {
            (Field::Null, Field::Null) => diags.push(
                Diagnostic::error(
                    "No user selected",
                    "Set exactly one of `id` or `email` to choose the Domo user to read.",
                )
                .at(AttributePath::root("id")),
            ),
            (Field::Known(_), Field::Known(_)) => diags.push(
                Diagnostic::error(
                    "Conflicting user selectors",
                    "Set exactly one of `id` or `email`, not both: remove one of them.",
                )
                .at(AttributePath::root("email")),
            ),
            _ => {}
        }
        diags
    }

    fn lookup(&self) -> Result<Lookup, Diagnostics> {
        let problems = self.problems();
        if problems.has_errors() {
            return Err(problems);
        }
        match (self.id.known(), self.email.known()) {
            (Some(id), None) => parse_id(id).map(Lookup::Id),
            (None, Some(email)) => Some(Lookup::Email(email.trim().to_owned())),
            _ => None,
        }
        .ok_or_else(|| {
            Diagnostic::error(
                "Selector not known",
                "Terraform asked to read domo_user before `id` or `email` was known; this is unexpected. Please report it.",
            )
            .into()
        })
    }
}

fn parse_id(id: &str) -> Option<u64> {
    id.trim().parse().ok()
}

fn schema() -> Schema {
    let mut attributes = vec![
        Attribute::new(
            "id",
            AttrType::String,
            Mode::OptionalComputed,
            "Domo's numeric id of the user, as a string. Set exactly one of `id` or `email`; when the user is found by email, this is the id Domo reports.",
        ),
        Attribute::new(
            "email",
            AttrType::String,
            Mode::OptionalComputed,
            "Primary email address of the user, matched ignoring letter case. Set exactly one of `id` or `email`. When set, it keeps the spelling of the configuration; when the user is found by id, this is the email Domo reports.",
        ),
    ];
    attributes.extend(computed_user_attributes(&["id", "email"]));
    Schema {
        version: 0,
        description: "Reads one existing Domo user, found by id or by email. Fails when no such user exists (or it has been deleted).".into(),
        attributes,
    }
}

/// The state for `user`, with the selector as configured.
fn state(selector: &Selector, user: &User) -> Value {
    let mut value = user_value(user);
    if let Value::Map(m) = &mut value {
        for (name, field) in [("id", &selector.id), ("email", &selector.email)] {
            if let Some(configured) = field.known() {
                m.insert(name.to_owned(), Value::string(configured));
            }
        }
    }
    value
}

#[tonic::async_trait]
impl DataSource for UserDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match Selector::read(config) {
            Ok(Some(s)) => s.problems(),
            Ok(None) => Diagnostics::default(),
            Err(d) => d,
        }
    }

    async fn read(&self, client: &DomoClient, config: &Value) -> Result<Value, Diagnostics> {
        let selector = Selector::read(config)?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Empty configuration",
                "Terraform sent no configuration for domo_user; this is unexpected. Please report it.",
            ))
        })?;
        let (found, what, attribute) = match selector.lookup()? {
            Lookup::Id(id) => (client.get_user(id).await, format!("id {id}"), "id"),
            Lookup::Email(email) => (
                client.find_user_by_email(&email).await,
                format!("email {email} (compared ignoring case)"),
                "email",
            ),
        };
        match found {
            Ok(Some(user)) => Ok(state(&selector, &user)),
            Ok(None) => Err(Diagnostic::error(
                "No such Domo user",
                format!("No Domo user with {what} exists, or it has been deleted. Check the value, or list the instance's users with the domo_users data source."),
            )
            .at(AttributePath::root(attribute))
            .into()),
            Err(e) => Err(api_error(Action::Read, &e).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample_user;
    use super::*;

    fn config(id: Value, email: Value) -> Value {
        let mut attrs: Vec<(&str, Value)> = schema()
            .attributes
            .iter()
            .map(|a| (a.name, Value::Null))
            .collect();
        attrs.retain(|(n, _)| *n != "id" && *n != "email");
        attrs.push(("id", id));
        attrs.push(("email", email));
        Value::object(attrs)
    }

    fn paths(d: &Diagnostics) -> Vec<AttributePath> {
        d.0.iter().filter_map(|d| d.attribute.clone()).collect()
    }

    #[test]
    fn exactly_one_selector() {
        let ds = UserDataSource;
        assert!(ds
            .validate(&config(Value::string("42"), Value::Null))
            .is_empty());
        assert!(ds
            .validate(&config(Value::Null, Value::string("A@b.com")))
            .is_empty());
        let both = ds.validate(&config(Value::string("42"), Value::string("a@b.com")));
        assert!(both.has_errors());
        assert_eq!(paths(&both), vec![AttributePath::root("email")]);
        assert!(both.0[0].detail.contains("not both"));
        let neither = ds.validate(&config(Value::Null, Value::Null));
        assert!(neither.has_errors());
        assert_eq!(paths(&neither), vec![AttributePath::root("id")]);
    }

    #[test]
    fn unknown_values_pass_validation() {
        let ds = UserDataSource;
        assert!(ds.validate(&config(Value::Unknown, Value::Null)).is_empty());
        assert!(ds
            .validate(&config(Value::Unknown, Value::string("a@b.com")))
            .is_empty());
        assert!(ds
            .validate(&config(Value::Unknown, Value::Unknown))
            .is_empty());
        assert!(ds.validate(&Value::Null).is_empty());
    }

    #[test]
    fn malformed_selectors_point_at_their_attribute() {
        let ds = UserDataSource;
        let d = ds.validate(&config(Value::string("jane"), Value::Null));
        assert_eq!(paths(&d), vec![AttributePath::root("id")]);
        let d = ds.validate(&config(Value::Null, Value::string("jane")));
        assert_eq!(paths(&d), vec![AttributePath::root("email")]);
    }

    #[test]
    fn state_keeps_the_configured_selector() {
        let user = sample_user(42, "ada@example.com", "Admin");
        let by_email = Selector {
            id: Field::Null,
            email: Field::Known("ADA@Example.com".into()),
        };
        let v = state(&by_email, &user);
        assert_eq!(v.get("email"), Some(&Value::string("ADA@Example.com")));
        assert_eq!(v.get("id"), Some(&Value::string("42")));
        assert_eq!(v.get("role"), Some(&Value::string("Admin")));
        let by_id = Selector {
            id: Field::Known("42".into()),
            email: Field::Null,
        };
        let v = state(&by_id, &user);
        assert_eq!(v.get("email"), Some(&Value::string("ada@example.com")));
        // Every schema attribute is present, nothing else.
        let Value::Map(m) = &v else { panic!() };
        assert_eq!(m.len(), schema().attributes.len());
        for a in schema().attributes {
            assert!(m.contains_key(a.name), "{}", a.name);
        }
    }
}
