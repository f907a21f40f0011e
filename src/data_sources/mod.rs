//! Data sources: read-only views of Domo users. Each implements
//! [`DataSource`] against typed protocol values and the Domo client; the
//! gRPC server routes requests to them.

pub mod user;
pub mod users;

use std::sync::Arc;

use crate::domo::{DomoClient, User};
use crate::protocol::{AttrType, Attribute, Diagnostics, Field, Mode, Schema, Value};

/// One data source type, in the shape of Terraform's two calls for it.
#[tonic::async_trait]
pub trait DataSource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Checks a configuration before any API call. Values may be unknown.
    fn validate(&self, config: &Value) -> Diagnostics;

    /// Reads the data. `config` is wholly known: Terraform defers the read
    /// until it is.
    async fn read(&self, client: &DomoClient, config: &Value) -> Result<Value, Diagnostics>;

    /// Descriptions of the fields of an object-typed attribute, for the
    /// docs: cty object types carry no descriptions of their own.
    fn field_descriptions(&self, _attribute: &str) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// Every data source this provider serves.
pub fn all() -> Vec<Arc<dyn DataSource>> {
    vec![
        Arc::new(user::UserDataSource),
        Arc::new(users::UsersDataSource),
    ]
}

/// The attributes both data sources report for a user, with descriptions.
/// `id` and `email` come first: `domo_user` takes them as inputs.
pub(crate) const USER_FIELDS: [(&str, &str); 12] = [
    ("id", "Domo's numeric id of the user, as a string."),
    ("email", "Primary email address."),
    ("name", "The user's display name."),
    (
        "role",
        "The user's role: `Admin`, `Privileged` or `Participant`.",
    ),
    ("title", "Job title; null when not set."),
    (
        "alternate_email",
        "A secondary email address; null when not set.",
    ),
    ("phone", "Phone number; null when not set."),
    (
        "location",
        "Where the user works, free text; null when not set.",
    ),
    (
        "employee_number",
        "Employee number, as a string; null when not set.",
    ),
    (
        "created_at",
        "When the user was created in Domo (ISO-8601, UTC).",
    ),
    (
        "updated_at",
        "When the user was last changed in Domo (ISO-8601, UTC).",
    ),
    ("image_url", "URL of the user's avatar image."),
];

/// The cty object type of one user, as listed by `domo_users`.
pub(crate) fn user_object_type() -> AttrType {
    AttrType::Object(
        USER_FIELDS
            .iter()
            .map(|(name, _)| (*name, AttrType::String))
            .collect(),
    )
}

/// Computed attributes for every user field except those named in `skip`
/// (which the data source declares itself).
pub(crate) fn computed_user_attributes(skip: &[&str]) -> Vec<Attribute> {
    USER_FIELDS
        .iter()
        .filter(|(name, _)| !skip.contains(name))
        .map(|(name, description)| {
            Attribute::new(name, AttrType::String, Mode::Computed, description)
        })
        .collect()
}

/// A user as an object value holding every field of [`USER_FIELDS`].
pub(crate) fn user_value(user: &User) -> Value {
    let opt = |v: &Option<String>| Field::from_option(v.clone()).to_value();
    Value::object([
        ("id", Value::string(user.id.to_string())),
        ("email", Value::string(&user.email)),
        ("name", Value::string(&user.name)),
        ("role", Value::string(&user.role)),
        ("title", opt(&user.title)),
        ("alternate_email", opt(&user.alternate_email)),
        ("phone", opt(&user.phone)),
        ("location", opt(&user.location)),
        ("employee_number", opt(&user.employee_number)),
        ("created_at", opt(&user.created_at)),
        ("updated_at", opt(&user.updated_at)),
        ("image_url", opt(&user.image_url)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample_user(id: u64, email: &str, role: &str) -> User {
        User {
            id,
            name: format!("User {id}"),
            email: email.into(),
            role: role.into(),
            role_id: None,
            group_ids: None,
            title: Some("Analyst".into()),
            alternate_email: None,
            phone: None,
            location: None,
            employee_number: Some("7".into()),
            created_at: Some("2026-01-01T00:00:00Z".into()),
            updated_at: Some("2026-01-02T00:00:00Z".into()),
            image_url: None,
        }
    }

    #[test]
    fn user_value_has_exactly_the_object_type_fields() {
        let v = user_value(&sample_user(42, "a@b.com", "Admin"));
        let Value::Map(m) = &v else {
            panic!("not an object: {v:?}")
        };
        let names: Vec<_> = m.keys().map(String::as_str).collect();
        let mut expected: Vec<_> = USER_FIELDS.iter().map(|(n, _)| *n).collect();
        expected.sort_unstable();
        assert_eq!(names, expected);
        assert_eq!(v.get("id"), Some(&Value::string("42")));
        assert_eq!(v.get("phone"), Some(&Value::Null));
        assert_eq!(v.get("employee_number"), Some(&Value::string("7")));
    }

    #[test]
    fn every_data_source_attribute_is_described() {
        for ds in all() {
            for a in ds.schema().attributes {
                assert!(
                    a.description.len() > 10,
                    "{}.{} lacks a description",
                    ds.type_name(),
                    a.name
                );
                if let AttrType::List(inner) = &a.ty {
                    if let AttrType::Object(fields) = inner.as_ref() {
                        let described = ds.field_descriptions(a.name);
                        for (field, _) in fields {
                            assert!(
                                described.iter().any(|(n, d)| n == field && d.len() > 10),
                                "{}.{}.{} lacks a description",
                                ds.type_name(),
                                a.name,
                                field
                            );
                        }
                    }
                }
            }
        }
    }
}
