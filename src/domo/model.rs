//! Domo's user object: what we send (`UserFields`) and what we read (`User`),
//! with the leniency Domo's inconsistent JSON needs (numbers or strings,
//! empty strings meaning "absent", a `deleted` flag on soft-deleted users).
//!
//! Roles: a body names the role one way only, chosen by the client (see
//! [`super::roles`]): a documented name as `role`, any other role as
//! `roleId`.

use serde_json::{Map, Value};

/// The user attributes a caller controls.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserFields {
    pub name: String,
    pub email: String,
    /// A default role's name ("Admin", ... see [`super::roles`]). May be
    /// `None` when `role_id` is set; at least one of them should be.
    pub role: Option<String>,
    /// Domo's `roleId`: a default role's id or a custom role's.
    pub role_id: Option<u64>,
    pub title: Option<String>,
    pub alternate_email: Option<String>,
    pub phone: Option<String>,
    pub location: Option<String>,
    /// Write-only: Domo never returns it.
    pub timezone: Option<String>,
    /// Write-only: Domo never returns it.
    pub locale: Option<String>,
    pub employee_number: Option<String>,
}

/// A user as Domo reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub email: String,
    /// The role's name; for a custom role, most plausibly the custom
    /// role's name.
    pub role: String,
    /// `roleId`, when Domo sends it (whether it does is unknown).
    pub role_id: Option<u64>,
    /// Ids of the groups the user is a member of, from Domo's `groups`;
    /// `None` when the object has no readable `groups` array (a deleted
    /// user's subset, or a Domo that leaves it out), which says nothing
    /// about memberships.
    pub group_ids: Option<Vec<u64>>,
    pub title: Option<String>,
    pub alternate_email: Option<String>,
    pub phone: Option<String>,
    pub location: Option<String>,
    pub employee_number: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub image_url: Option<String>,
}

impl User {
    /// The attributes Domo returns on which this user differs from
    /// `fields`, by their Terraform names; empty when it has exactly what
    /// `fields` sets. Emails compare in any letter case, an empty value
    /// is an absent one (Domo drops empty strings), and employee numbers
    /// compare as numbers (Domo sends them as JSON numbers).
    pub fn differences(&self, fields: &UserFields) -> Vec<&'static str> {
        let optional = |ours: &Option<String>, theirs: &Option<String>| {
            let present = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
            present(ours) == present(theirs)
        };
        let employee_number = match (&fields.employee_number, &self.employee_number) {
            (Some(ours), Some(theirs)) if same_number(ours, theirs) => true,
            (ours, theirs) => optional(ours, theirs),
        };
        [
            ("name", self.name == fields.name),
            ("email", same_email(&self.email, &fields.email)),
            ("role", self.has_role_of(fields)),
            ("title", optional(&fields.title, &self.title)),
            (
                "alternate_email",
                optional(&fields.alternate_email, &self.alternate_email),
            ),
            ("phone", optional(&fields.phone, &self.phone)),
            ("location", optional(&fields.location, &self.location)),
            ("employee_number", employee_number),
        ]
        .into_iter()
        .filter(|(_, same)| !same)
        .map(|(name, _)| name)
        .collect()
    }

    /// Whether the user's role is the one `fields` asks for; a custom role
    /// id that Domo does not echo back cannot be told apart, and counts as
    /// the same.
    fn has_role_of(&self, fields: &UserFields) -> bool {
        match (&fields.role, fields.role_id) {
            (Some(name), _) => self.role == *name,
            (None, Some(id)) => match (self.role_id, super::roles::role_name_of(id)) {
                (Some(theirs), _) => theirs == id,
                (None, Some(name)) => self.role == name,
                (None, None) => true,
            },
            (None, None) => true,
        }
    }

    /// When Domo created the user, when `createdAt` is readable.
    pub fn created(&self) -> Option<std::time::SystemTime> {
        crate::calendar::parse_utc_timestamp(self.created_at.as_deref()?)
    }
}

/// Whether two strings spell the same whole number ("0042" and "42").
pub fn same_number(a: &str, b: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    digits(a) && digits(b) && a.trim_start_matches('0') == b.trim_start_matches('0')
}

/// A user object as read from the wire, with Domo's soft-delete flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UserRecord {
    pub user: User,
    pub deleted: bool,
}

/// Reads one user object; `Err` says why it is not one.
pub(crate) fn parse_user(value: &Value) -> Result<UserRecord, String> {
    let object = value
        .as_object()
        .ok_or_else(|| format!("expected a user object, got {}", json_kind(value)))?;
    let id = match object.get("id") {
        Some(id) => {
            parse_id(id).ok_or_else(|| format!("user id {id} is not a positive integer"))?
        }
        None => return Err("the user object has no \"id\"".to_string()),
    };
    let user = User {
        id,
        name: text(object, "name").unwrap_or_default(),
        email: text(object, "email").unwrap_or_default(),
        role: text(object, "role").unwrap_or_default(),
        role_id: object.get("roleId").and_then(parse_id),
        group_ids: object.get("groups").and_then(parse_group_refs),
        title: text(object, "title"),
        alternate_email: text(object, "alternateEmail"),
        phone: text(object, "phone"),
        location: text(object, "location"),
        employee_number: text(object, "employeeNumber"),
        created_at: text(object, "createdAt"),
        updated_at: text(object, "updatedAt"),
        image_url: text(object, "image"),
    };
    Ok(UserRecord {
        user,
        deleted: flag(object, "deleted"),
    })
}

/// Reads Domo's list answer: a bare JSON array of user objects.
pub(crate) fn parse_user_list(value: &Value) -> Result<Vec<UserRecord>, String> {
    let items = value
        .as_array()
        .ok_or_else(|| format!("expected a JSON array of users, got {}", json_kind(value)))?;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| parse_user(item).map_err(|why| format!("item {index}: {why}")))
        .collect()
}

/// Ids from a `groups` array of `{id, name}` objects (bare ids tolerated);
/// `None` if it is not an array or any item has no readable id.
fn parse_group_refs(value: &Value) -> Option<Vec<u64>> {
    value
        .as_array()?
        .iter()
        .map(|item| match item {
            Value::Object(group) => group.get("id").and_then(parse_id),
            other => parse_id(other),
        })
        .collect()
}

/// An id as a JSON number or a numeric string (seen in some SDKs' payloads).
pub(crate) fn parse_id(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// An optional text field: strings as-is, numbers as their decimal text
/// (`employeeNumber` arrives as either); empty strings and null mean absent.
fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::String(text) if text.is_empty() => None,
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn flag(object: &Map<String, Value>, key: &str) -> bool {
    match object.get(key) {
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(text)) => text.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// How a body names the user's role: by name (`role`) or by id (`roleId`),
/// never both, so that a Domo that checks one against the other, or ignores
/// one of them, cannot trip over it (see [`super::roles`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RoleInBody {
    Name(String),
    Id(u64),
    /// Neither is known: the body has no role (Domo refuses a create then).
    Missing,
}

/// Body of `POST /v1/users`: required fields plus the optional ones given.
/// `sendInvite` is a query parameter, never part of the body.
pub(crate) fn create_body(fields: &UserFields, role: &RoleInBody) -> Value {
    let mut body = required_fields(fields, role);
    for (key, value) in optional_fields(fields)
        .into_iter()
        .chain(write_only_fields(fields))
    {
        if let Some(value) = value {
            body.insert(key.to_string(), Value::String(value.clone()));
        }
    }
    if let Some(number) = &fields.employee_number {
        body.insert("employeeNumber".into(), employee_number_json(number));
    }
    Value::Object(body)
}

/// Body of `PUT /v1/users/{id}`: the whole object. Absent optional text
/// fields go as "" and an absent employee number as null, so that clearing
/// works whether Domo treats an omitted field as "unchanged" or the update
/// as a full replacement. `timezone` and `locale` go only when set: Domo
/// never returns them, so we cannot know what "" would overwrite.
pub(crate) fn update_body(fields: &UserFields, role: &RoleInBody) -> Value {
    let mut body = required_fields(fields, role);
    for (key, value) in optional_fields(fields) {
        let value = value.cloned().unwrap_or_default();
        body.insert(key.to_string(), Value::String(value));
    }
    for (key, value) in write_only_fields(fields) {
        if let Some(value) = value {
            body.insert(key.to_string(), Value::String(value.clone()));
        }
    }
    let number = fields.employee_number.as_deref();
    body.insert(
        "employeeNumber".into(),
        number.map_or(Value::Null, employee_number_json),
    );
    Value::Object(body)
}

/// `name`, `email`, and the role as `role` says.
fn required_fields(fields: &UserFields, role: &RoleInBody) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("name".into(), Value::String(fields.name.clone()));
    body.insert("email".into(), Value::String(fields.email.clone()));
    match role {
        RoleInBody::Name(name) => {
            body.insert("role".into(), Value::String(name.clone()));
        }
        RoleInBody::Id(id) => {
            body.insert("roleId".into(), Value::from(*id));
        }
        RoleInBody::Missing => {}
    }
    body
}

/// Domo types `employeeNumber` as an integer: a number of digits goes as a
/// JSON number (the provider checks at plan time that configured ones are);
/// anything else (say, a value an older Domo stored) goes as it is.
fn employee_number_json(number: &str) -> Value {
    let digits = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
    match number.parse::<u64>() {
        Ok(n) if digits => Value::from(n),
        _ => Value::String(number.to_string()),
    }
}

fn optional_fields(fields: &UserFields) -> [(&'static str, Option<&String>); 4] {
    [
        ("title", fields.title.as_ref()),
        ("alternateEmail", fields.alternate_email.as_ref()),
        ("phone", fields.phone.as_ref()),
        ("location", fields.location.as_ref()),
    ]
}

fn write_only_fields(fields: &UserFields) -> [(&'static str, Option<&String>); 2] {
    [
        ("timezone", fields.timezone.as_ref()),
        ("locale", fields.locale.as_ref()),
    ]
}

/// Whether two addresses name the same mailbox: compared ignoring letter
/// case and surrounding blanks, since Domo's own case handling is unknown.
/// The one email-equality rule of the whole provider.
pub fn same_email(a: &str, b: &str) -> bool {
    email_key(a) == email_key(b)
}

/// The form under which [`same_email`] addresses are equal, for lookups.
pub(crate) fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn differences_name_what_domo_holds_otherwise() {
        let user = User {
            id: 7,
            name: "Ada".into(),
            email: "ada@example.com".into(),
            role: "Admin".into(),
            title: None,
            alternate_email: None,
            phone: Some("1".into()),
            location: None,
            employee_number: Some("42".into()),
            created_at: Some("2026-11-27T20:15:00.123Z".into()),
            updated_at: None,
            image_url: None,
            role_id: None,
            group_ids: None,
        };
        let mut fields = UserFields {
            name: "Ada".into(),
            email: "ADA@example.com".into(),
            role: Some("Admin".into()),
            title: Some(String::new()),
            phone: Some("1".into()),
            employee_number: Some("0042".into()),
            // Never returned: never a difference.
            timezone: Some("Europe/London".into()),
            ..UserFields::default()
        };
        assert!(user.differences(&fields).is_empty());
        // A custom role id Domo does not echo back cannot be compared.
        fields.role = None;
        fields.role_id = Some(101);
        assert!(user.differences(&fields).is_empty());
        fields.role_id = Some(4);
        assert_eq!(user.differences(&fields), ["role"]);
        fields.role = Some("Participant".into());
        fields.phone = None;
        fields.location = Some("London".into());
        assert_eq!(user.differences(&fields), ["role", "phone", "location"]);
        assert_eq!(
            user.created(),
            crate::calendar::parse_utc_timestamp("2026-11-27T20:15:00.123Z")
        );
    }

    #[test]
    fn reads_a_full_user_in_camel_case() {
        let record = parse_user(&json!({
            "id": 1234, "name": "Ada", "email": "ada@example.com", "role": "Admin",
            "title": "Engineer", "alternateEmail": "ada@alt.example", "phone": "555",
            "location": "Denver", "employeeNumber": "E-7", "createdAt": "2024-01-01T00:00:00Z",
            "updatedAt": "2024-02-01T00:00:00Z", "image": "https://img/ada.png",
            "groups": [{"id": 1, "name": "All"}], "roleId": 1, "timezone": "ignored"
        }))
        .unwrap();
        assert!(!record.deleted);
        let user = record.user;
        assert_eq!(user.id, 1234);
        assert_eq!(user.alternate_email.as_deref(), Some("ada@alt.example"));
        assert_eq!(user.employee_number.as_deref(), Some("E-7"));
        assert_eq!(user.image_url.as_deref(), Some("https://img/ada.png"));
        assert_eq!(user.updated_at.as_deref(), Some("2024-02-01T00:00:00Z"));
        assert_eq!(user.role_id, Some(1));
        assert_eq!(user.group_ids, Some(vec![1]));
    }

    #[test]
    fn role_id_and_groups_are_read_leniently() {
        let user = |value: Value| parse_user(&value).unwrap().user;
        let bare = user(json!({"id": 1, "role": "Auditor"}));
        assert_eq!((bare.role.as_str(), bare.role_id), ("Auditor", None));
        assert_eq!(bare.group_ids, None, "no groups field says nothing");
        assert_eq!(user(json!({"id": 1, "roleId": "101"})).role_id, Some(101));
        assert_eq!(user(json!({"id": 1, "roleId": null})).role_id, None);
        assert_eq!(user(json!({"id": 1, "groups": []})).group_ids, Some(vec![]));
        assert_eq!(
            user(json!({"id": 1, "groups": [{"id": "7", "name": "A"}, 8]})).group_ids,
            Some(vec![7, 8])
        );
        assert_eq!(
            user(json!({"id": 1, "groups": [{"name": "no id"}]})).group_ids,
            None
        );
        assert_eq!(user(json!({"id": 1, "groups": "x"})).group_ids, None);
    }

    #[test]
    fn employee_number_may_be_a_number_or_a_string() {
        let number = parse_user(&json!({"id": 1, "employeeNumber": 42})).unwrap();
        assert_eq!(number.user.employee_number.as_deref(), Some("42"));
        let string = parse_user(&json!({"id": 1, "employeeNumber": "0042"})).unwrap();
        assert_eq!(string.user.employee_number.as_deref(), Some("0042"));
    }

    #[test]
    fn empty_strings_and_nulls_are_absent() {
        let user = parse_user(&json!({
            "id": 1, "name": "A", "email": "a@b.c", "role": "Participant",
            "title": "", "phone": null, "employeeNumber": "", "image": ""
        }))
        .unwrap()
        .user;
        assert_eq!(user.title, None);
        assert_eq!(user.phone, None);
        assert_eq!(user.employee_number, None);
        assert_eq!(user.image_url, None);
        assert_eq!(user.location, None);
    }

    #[test]
    fn detects_soft_deleted_users() {
        assert!(
            parse_user(&json!({"id": 9, "deleted": true}))
                .unwrap()
                .deleted
        );
        assert!(
            !parse_user(&json!({"id": 9, "deleted": false}))
                .unwrap()
                .deleted
        );
        assert!(!parse_user(&json!({"id": 9})).unwrap().deleted);
    }

    #[test]
    fn id_may_be_a_numeric_string_but_must_exist() {
        assert_eq!(parse_user(&json!({"id": "77"})).unwrap().user.id, 77);
        assert!(parse_user(&json!({"id": "x"})).is_err());
        assert!(parse_user(&json!({"id": -1})).is_err());
        assert!(parse_user(&json!({"name": "no id"})).is_err());
        assert!(parse_user(&json!([1, 2])).is_err());
    }

    #[test]
    fn list_is_a_bare_array() {
        let list = parse_user_list(&json!([{"id": 1}, {"id": 2, "deleted": true}])).unwrap();
        assert_eq!(list.len(), 2);
        assert!(list[1].deleted);
        assert!(parse_user_list(&json!({"users": []})).is_err());
    }

    fn fields() -> UserFields {
        UserFields {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            role: Some("Admin".into()),
            title: Some("Engineer".into()),
            ..Default::default()
        }
    }

    #[test]
    fn create_body_sends_only_present_fields() {
        let mut fields = fields();
        fields.timezone = Some("America/Denver".into());
        let admin = RoleInBody::Name("Admin".into());
        assert_eq!(
            create_body(&fields, &admin),
            json!({"name": "Ada", "email": "ada@example.com", "role": "Admin",
                   "title": "Engineer", "timezone": "America/Denver"})
        );
    }

    #[test]
    fn update_body_sends_the_whole_object_but_not_unknown_write_only_fields() {
        let admin = RoleInBody::Name("Admin".into());
        assert_eq!(
            update_body(&fields(), &admin),
            json!({"name": "Ada", "email": "ada@example.com", "role": "Admin",
                   "title": "Engineer", "alternateEmail": "", "phone": "",
                   "location": "", "employeeNumber": null})
        );
        let mut fields = fields();
        fields.locale = Some("en-US".into());
        assert_eq!(update_body(&fields, &admin)["locale"], json!("en-US"));
        assert!(update_body(&fields, &admin).get("timezone").is_none());
    }

    #[test]
    fn employee_numbers_go_as_json_numbers() {
        let admin = RoleInBody::Name("Admin".into());
        let with_number = |number: &str| UserFields {
            employee_number: Some(number.into()),
            ..fields()
        };
        for body in [create_body, update_body] {
            assert_eq!(
                body(&with_number("1815"), &admin)["employeeNumber"],
                json!(1815)
            );
            assert_eq!(
                body(&with_number("0042"), &admin)["employeeNumber"],
                json!(42)
            );
            // Never configured (plan-time checks), but state may hold one.
            assert_eq!(
                body(&with_number("E-7"), &admin)["employeeNumber"],
                json!("E-7")
            );
        }
        assert!(create_body(&fields(), &admin)
            .get("employeeNumber")
            .is_none());
    }

    #[test]
    fn bodies_name_the_role_one_way_only() {
        let role_of = |body: Value| (body.get("role").cloned(), body.get("roleId").cloned());
        for body in [create_body, update_body] {
            assert_eq!(
                role_of(body(&fields(), &RoleInBody::Name("Admin".into()))),
                (Some(json!("Admin")), None)
            );
            assert_eq!(
                role_of(body(&fields(), &RoleInBody::Id(101))),
                (None, Some(json!(101)))
            );
            assert_eq!(role_of(body(&fields(), &RoleInBody::Missing)), (None, None));
        }
    }

    #[test]
    fn emails_match_case_insensitively() {
        assert!(same_email("Ada@Example.COM", "ada@example.com"));
        assert!(!same_email("ada@example.com", "ada@example.org"));
    }
}
