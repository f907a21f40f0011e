//! `data "domo_user"`: one existing Domo user, found by id or by email.
//!
//! Exactly one of `id` and `email` selects the user; the email is matched
//! ignoring case. The selector keeps the configured spelling in the result
//! (as the `domo_user` resource does), so the answer never contradicts the
//! configuration. No match is an error, not an empty result: a
//! configuration that names a user depends on it existing.
//!
//! `group_ids` comes from the user object's `groups` when Domo includes
//! them (no extra request); otherwise every group's member listing is read.

use std::collections::BTreeSet;

use crate::domo::DomoClient;
use crate::framework::DataSource;
use crate::model;
use crate::protocol::{AttributePath, Diagnostic, Diagnostics, Field};
use crate::provider::errors::{api_error, Action, ObjectKind};
use crate::provider::models::{id_strings, UserData};
use crate::provider::rules::{check_email, check_id, check_one_selector, parse_id};

model! {
    /// One user, and the groups it is a member of.
    pub struct UserLookup {
        user: UserData [],
        /// Ids of the groups the user is a member of.
        group_ids: Field<BTreeSet<String>> [computed],
    }
}

pub struct UserDataSource;

/// How the user is looked up, once the selector is known and valid.
enum Lookup {
    Id(u64),
    Email(String),
}

/// Problems with the selector as known so far. Unknown values are let
/// through: they are checked again at read time, when everything is known.
fn selector_problems(config: &UserData) -> Diagnostics {
    let checks = [
        check_id(&config.id, "Domo user", AttributePath::root("id")),
        check_email(&config.email, AttributePath::root("email")),
        check_one_selector("user", ("id", &config.id), ("email", &config.email)),
    ];
    Diagnostics(checks.into_iter().flatten().collect())
}

fn lookup(config: &UserData) -> Result<Lookup, Diagnostics> {
    match (config.id.known(), config.email.known()) {
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

/// The user as Domo reports it, with the selector as configured.
fn with_selector(mut found: UserData, config: &UserData) -> UserData {
    for (ours, theirs) in [
        (&config.id, &mut found.id),
        (&config.email, &mut found.email),
    ] {
        if ours.known().is_some() {
            *theirs = ours.clone();
        }
    }
    found
}

#[tonic::async_trait]
impl DataSource for UserDataSource {
    type Model = UserLookup;
    const TYPE_NAME: &'static str = "domo_user";
    const DESCRIPTION: &'static str = "Reads one existing Domo user, found by `id` or by `email` (set exactly one; the email is matched ignoring letter case and keeps the configuration's spelling), with the ids of the groups it is a member of. Fails when no such user exists (or it has been deleted).";

    fn validate(&self, config: &UserLookup) -> Diagnostics {
        selector_problems(&config.user)
    }

    async fn read(
        &self,
        client: &DomoClient,
        config: UserLookup,
    ) -> Result<UserLookup, Diagnostics> {
        let config = config.user;
        let (found, what, attribute) = match lookup(&config)? {
            Lookup::Id(id) => (client.get_user(id).await, format!("id {id}"), "id"),
            Lookup::Email(email) => (
                client.find_user_by_email(&email).await,
                format!("email {email} (compared ignoring case)"),
                "email",
            ),
        };
        match found {
            Ok(Some(user)) => {
                let groups = client
                    .user_group_ids(&user)
                    .await
                    .map_err(|e| Diagnostics::from(api_error(Action::Read, ObjectKind::Group, &e)))?;
                Ok(UserLookup {
                    user: with_selector(UserData::of(&user), &config),
                    group_ids: Field::Known(id_strings(&groups, None)),
                })
            }
            Ok(None) => Err(Diagnostic::error(
                "No such Domo user",
                format!("No Domo user with {what} exists, or it has been deleted. Check the value, or list the instance's users with the domo_users data source."),
            )
            .at(AttributePath::root(attribute))
            .into()),
            Err(e) => Err(api_error(Action::Read, ObjectKind::User, &e).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::{register_data_source, AnyDataSource};
    use crate::protocol::model::value_with;
    use crate::protocol::{Model, Value};
    use crate::provider::models::tests::sample_user;

    fn model_of(value: &Value) -> UserData {
        UserData::from_value(value).unwrap().unwrap()
    }

    fn data_source() -> Box<dyn AnyDataSource> {
        register_data_source(UserDataSource)
    }

    fn config(id: Value, email: Value) -> Value {
        value_with(&UserLookup::default(), &[("id", id), ("email", email)])
    }

    #[test]
    fn exactly_one_selector() {
        let ds = data_source();
        assert!(ds
            .validate(&config(Value::string("42"), Value::Null))
            .is_empty());
        assert!(ds
            .validate(&config(Value::Null, Value::string("A@b.com")))
            .is_empty());
        let both = ds.validate(&config(Value::string("42"), Value::string("a@b.com")));
        assert!(both.has_errors());
        assert_eq!(both.paths(), vec![AttributePath::root("email")]);
        assert!(both.0[0].detail.contains("not both"));
        let neither = ds.validate(&config(Value::Null, Value::Null));
        assert!(neither.has_errors());
        assert_eq!(neither.paths(), vec![AttributePath::root("id")]);
    }

    #[test]
    fn unknown_values_pass_validation() {
        let ds = data_source();
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
        let ds = data_source();
        let d = ds.validate(&config(Value::string("jane"), Value::Null));
        assert_eq!(d.paths(), vec![AttributePath::root("id")]);
        let d = ds.validate(&config(Value::Null, Value::string("jane")));
        assert_eq!(d.paths(), vec![AttributePath::root("email")]);
    }

    #[test]
    fn state_keeps_the_configured_selector() {
        let user = sample_user(42, "ada@example.com", "Admin");
        let by_email = UserData {
            email: Field::Known("ADA@Example.com".into()),
            ..UserData::default()
        };
        let v = with_selector(UserData::of(&user), &by_email).to_value();
        assert_eq!(v.get("email"), Some(&Value::string("ADA@Example.com")));
        assert_eq!(v.get("id"), Some(&Value::string("42")));
        assert_eq!(v.get("role"), Some(&Value::string("Admin")));
        let by_id = UserData {
            id: Field::Known("42".into()),
            ..UserData::default()
        };
        let v = with_selector(UserData::of(&user), &by_id).to_value();
        assert_eq!(v.get("email"), Some(&Value::string("ada@example.com")));
        // Every schema attribute is present, nothing else.
        let v = UserLookup {
            user: model_of(&v),
            group_ids: Field::Known(BTreeSet::new()),
        }
        .to_value();
        let Value::Map(m) = &v else { panic!() };
        let attributes = data_source().schema().attributes.clone();
        assert_eq!(m.len(), attributes.len());
        for a in attributes {
            assert!(m.contains_key(a.name), "{}", a.name);
        }
    }
}
