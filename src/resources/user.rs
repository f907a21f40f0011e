//! `domo_user`: one person's account in a Domo instance.
//!
//! What this resource promises, beyond plain CRUD:
//! - every change is an in-place update (Domo ids never change);
//! - email is compared case-insensitively, and state keeps the spelling the
//!   configuration uses;
//! - `timezone` and `locale` are write-only in Domo's API, so state keeps
//!   the configured values;
//! - a user deleted in Domo leaves state on refresh (with a warning), so
//!   the next plan creates it again;
//! - `send_invite` only matters at creation and never causes an API call.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::errors::{api_error, Action};
use super::{Outcome, Resource};
use crate::domo::{DomoClient, DomoError, User, UserFields};
use crate::protocol::{
    AttrType, Attribute, AttributePath, Diagnostic, Diagnostics, Field, Mode, ObjectReader, Schema,
    Value,
};

pub const TYPE_NAME: &str = "domo_user";
/// Domo's roles, spelled exactly as its API requires.
pub const ROLES: [&str; 3] = ["Admin", "Privileged", "Participant"];
const SCHEMA_VERSION: i64 = 0;

/// For this long after we create a user, a 404 is taken for Domo's
/// replication lag rather than a deletion...
const FRESH_USER_WINDOW: Duration = Duration::from_secs(120);
/// ...and retried for at most this long.
const NOT_FOUND_RETRY_BUDGET: Duration = Duration::from_secs(15);

pub struct UserResource;

/// The resource's attributes, typed.
#[derive(Clone, Debug, Default, PartialEq)]
struct UserModel {
    id: Field<String>,
    name: Field<String>,
    email: Field<String>,
    role: Field<String>,
    title: Field<String>,
    alternate_email: Field<String>,
    phone: Field<String>,
    location: Field<String>,
    timezone: Field<String>,
    locale: Field<String>,
    employee_number: Field<String>,
    send_invite: Field<bool>,
    created_at: Field<String>,
    updated_at: Field<String>,
    image_url: Field<String>,
}

fn schema() -> Schema {
    use AttrType::{Bool, String};
    use Mode::{Computed, Optional, OptionalComputed, Required};
    let attr = Attribute::new;
    Schema {
        version: SCHEMA_VERSION,
        description: "A user account in a Domo instance. Deleting it deletes the user in Domo, which cannot be undone.".into(),
        attributes: vec![
            attr("id", String, Computed, "Domo's numeric id of the user, as a string."),
            attr("name", String, Required, "The user's display name."),
            attr("email", String, Required, "Primary email address, unique within the Domo instance. Compared case-insensitively: a difference only in letter case is not a change."),
            attr("role", String, Required, "The user's role: `Admin`, `Privileged` or `Participant`, spelled exactly so."),
            attr("title", String, Optional, "Job title."),
            attr("alternate_email", String, Optional, "A secondary email address."),
            attr("phone", String, Optional, "Phone number."),
            attr("location", String, Optional, "Where the user works, free text."),
            attr("timezone", String, Optional, "Time zone, such as `America/Denver`. Domo accepts it but never returns it, so changes made outside Terraform cannot be detected."),
            attr("locale", String, Optional, "Locale, such as `en-US`. Domo accepts it but never returns it, so changes made outside Terraform cannot be detected."),
            attr("employee_number", String, Optional, "Employee number, kept as a string."),
            attr("send_invite", Bool, OptionalComputed, "Whether Domo emails the user an invitation when the account is created. Used only at creation: changing it later never calls Domo. Defaults to `false`."),
            attr("created_at", String, Computed, "When the user was created in Domo (ISO-8601, UTC)."),
            attr("updated_at", String, Computed, "When the user was last changed in Domo (ISO-8601, UTC)."),
            attr("image_url", String, Computed, "URL of the user's avatar image."),
        ],
    }
}

impl UserModel {
    fn read(value: &Value) -> Result<Option<Self>, Diagnostics> {
        let Some(r) = ObjectReader::new(value)? else {
            return Ok(None);
        };
        Ok(Some(UserModel {
            id: r.field("id")?,
            name: r.field("name")?,
            email: r.field("email")?,
            role: r.field("role")?,
            title: r.field("title")?,
            alternate_email: r.field("alternate_email")?,
            phone: r.field("phone")?,
            location: r.field("location")?,
            timezone: r.field("timezone")?,
            locale: r.field("locale")?,
            employee_number: r.field("employee_number")?,
            send_invite: r.field("send_invite")?,
            created_at: r.field("created_at")?,
            updated_at: r.field("updated_at")?,
            image_url: r.field("image_url")?,
        }))
    }

    fn to_value(&self) -> Value {
        Value::object([
            ("id", self.id.to_value()),
            ("name", self.name.to_value()),
            ("email", self.email.to_value()),
            ("role", self.role.to_value()),
            ("title", self.title.to_value()),
            ("alternate_email", self.alternate_email.to_value()),
            ("phone", self.phone.to_value()),
            ("location", self.location.to_value()),
            ("timezone", self.timezone.to_value()),
            ("locale", self.locale.to_value()),
            ("employee_number", self.employee_number.to_value()),
            ("send_invite", self.send_invite.to_value()),
            ("created_at", self.created_at.to_value()),
            ("updated_at", self.updated_at.to_value()),
            ("image_url", self.image_url.to_value()),
        ])
    }

    /// The user as Domo's API takes it. Every value is known at apply time.
    fn to_fields(&self) -> Result<UserFields, Diagnostics> {
        let required = |f: &Field<String>, name: &str| {
            f.known().cloned().ok_or_else(|| {
                Diagnostics::from(
                    Diagnostic::error(
                        format!("{name} is not known"),
                        "Terraform sent an unknown value at apply time; this is a bug, please report it.",
                    )
                    .at(AttributePath::root(name)),
                )
            })
        };
        let optional = |f: &Field<String>| f.known().cloned();
        Ok(UserFields {
            name: required(&self.name, "name")?,
            email: required(&self.email, "email")?,
            role: required(&self.role, "role")?,
            title: optional(&self.title),
            alternate_email: optional(&self.alternate_email),
            phone: optional(&self.phone),
            location: optional(&self.location),
            timezone: optional(&self.timezone),
            locale: optional(&self.locale),
            employee_number: optional(&self.employee_number),
        })
    }

    fn id(&self) -> Result<u64, Diagnostics> {
        self.id.as_deref().and_then(|s| s.parse().ok()).ok_or_else(|| {
            Diagnostic::error(
                "Invalid user id in state",
                format!("Expected Domo's numeric user id, found {:?}. Remove the resource from state and import it again.", self.id),
            )
            .into()
        })
    }

    /// This planned model, with the attributes only Domo knows filled in
    /// from its answer. Configured attributes stay as planned: that is what
    /// we sent, and Terraform requires it back exactly.
    fn applied(mut self, user: &User) -> Self {
        self.id = Field::Known(user.id.to_string());
        self.created_at = Field::from_option(user.created_at.clone());
        self.updated_at = Field::from_option(user.updated_at.clone());
        self.image_url = Field::from_option(user.image_url.clone());
        self
    }

    /// State after reading `user` from Domo, given what state held before.
    fn refreshed(&self, user: &User) -> Self {
        let email = match self.email.known() {
            Some(ours) if ours.eq_ignore_ascii_case(&user.email) => ours.clone(),
            _ => user.email.clone(),
        };
        // Domo drops empty strings; keep a configured "" so it is no drift.
        let profile = |ours: &Field<String>, theirs: &Option<String>| match (ours, theirs) {
            (Field::Known(s), None) if s.is_empty() => Field::Known(String::new()),
            _ => Field::from_option(theirs.clone()),
        };
        UserModel {
            id: Field::Known(user.id.to_string()),
            name: Field::Known(user.name.clone()),
            email: Field::Known(email),
            role: Field::Known(user.role.clone()),
            title: profile(&self.title, &user.title),
            alternate_email: profile(&self.alternate_email, &user.alternate_email),
            phone: profile(&self.phone, &user.phone),
            location: profile(&self.location, &user.location),
            employee_number: match (self.employee_number.known(), &user.employee_number) {
                // Domo sends employee numbers as JSON numbers: "0042" comes
                // back as 42, which is the same number, not drift.
                (Some(ours), Some(theirs)) if same_number(ours, theirs) => {
                    self.employee_number.clone()
                }
                _ => profile(&self.employee_number, &user.employee_number),
            },
            timezone: self.timezone.clone(),
            locale: self.locale.clone(),
            send_invite: match self.send_invite {
                Field::Known(b) => Field::Known(b),
                _ => Field::Known(false),
            },
            created_at: Field::from_option(user.created_at.clone()),
            updated_at: Field::from_option(user.updated_at.clone()),
            image_url: Field::from_option(user.image_url.clone()),
        }
    }

    /// Whether going from `self` to `planned` changes anything in Domo.
    fn differs_in_domo(&self, planned: &UserModel) -> bool {
        let same =
            |a: &Field<String>, b: &Field<String>| !a.is_unknown() && !b.is_unknown() && a == b;
        let same_email = match (self.email.known(), planned.email.known()) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        };
        !(same_email
            && same(&self.name, &planned.name)
            && same(&self.role, &planned.role)
            && same(&self.title, &planned.title)
            && same(&self.alternate_email, &planned.alternate_email)
            && same(&self.phone, &planned.phone)
            && same(&self.location, &planned.location)
            && same(&self.timezone, &planned.timezone)
            && same(&self.locale, &planned.locale)
            && same(&self.employee_number, &planned.employee_number))
    }
}

/// Whether two strings spell the same whole number ("0042" and "42").
fn same_number(a: &str, b: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    digits(a) && digits(b) && a.trim_start_matches('0') == b.trim_start_matches('0')
}

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

/// The diagnostic for a role Domo would refuse, pointing at `attribute`.
pub fn invalid_role(role: &str, attribute: &str) -> Option<Diagnostic> {
    if ROLES.contains(&role) {
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
        .at(AttributePath::root(attribute)),
    )
}

fn validate_config(m: &UserModel) -> Diagnostics {
    let mut diags = Diagnostics::default();
    if let Some(d) = m.role.known().and_then(|r| invalid_role(r, "role")) {
        diags.push(d);
    }
    for (name, field) in [("email", &m.email), ("alternate_email", &m.alternate_email)] {
        if let Some(addr) = field.known() {
            if !looks_like_email(addr) {
                diags.push(
                    Diagnostic::error(
                        "Invalid email address",
                        format!("{name} = \"{addr}\" does not look like an email address (expected something like jane.doe@example.com)."),
                    )
                    .at(AttributePath::root(name)),
                );
            }
        }
    }
    if let Some(name) = m.name.known() {
        if name.trim().is_empty() {
            diags.push(
                Diagnostic::error(
                    "Empty user name",
                    "name must contain at least one visible character.",
                )
                .at(AttributePath::root("name")),
            );
        }
    }
    diags
}

/// Private state kept with each user: when this provider created it, so a
/// 404 right after creation can be recognised as replication lag.
fn private_for_new_user(now: SystemTime) -> Vec<u8> {
    let ms = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    serde_json::json!({ "created_unix_ms": ms })
        .to_string()
        .into_bytes()
}

fn created_recently(private: &[u8], now: SystemTime) -> bool {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(private) else {
        return false;
    };
    let Some(ms) = json.get("created_unix_ms").and_then(|v| v.as_u64()) else {
        return false;
    };
    let created = UNIX_EPOCH + Duration::from_millis(ms);
    now.duration_since(created)
        .is_ok_and(|age| age < FRESH_USER_WINDOW)
}

/// Reads a user for refresh, retrying a 404 for a bounded time when the
/// user is new. The first look may be served from the client's shared
/// listing (cheap when Terraform refreshes many users); a retry asks Domo
/// directly, since a listing fetched earlier cannot have caught up.
async fn get_user_tolerating_lag(
    client: &DomoClient,
    id: u64,
    fresh: bool,
) -> Result<Option<User>, DomoError> {
    let started = Instant::now();
    let mut wait = Duration::from_millis(200);
    let mut found = client.read_user(id).await?;
    loop {
        match found {
            None if fresh && started.elapsed() + wait < NOT_FOUND_RETRY_BUDGET => {
                tracing::debug!(id, "new user not visible yet; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(3));
                found = client.get_user(id).await?;
            }
            found => return Ok(found),
        }
    }
}

/// A user with exactly the configured attributes, created this recently,
/// is most likely one an interrupted earlier apply made.
const INTERRUPTED_APPLY_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The error for a create Domo refused because `existing` (when it could
/// be found) has the email. Terraform's output shows the resource's
/// address above the detail ("with domo_user.x"), which the provider
/// itself is never told: the import command says where it goes.
fn duplicate_email(
    fields: &UserFields,
    existing: Option<&User>,
    err: &DomoError,
    now: SystemTime,
) -> Diagnostic {
    let email = &fields.email;
    let detail = match existing {
        Some(user) => {
            let id = user.id;
            let differences = user.differences(fields);
            let age = user
                .created()
                .and_then(|created| now.duration_since(created).ok());
            let created = match (&user.created_at, age) {
                (Some(at), Some(age)) => format!(", created {} ago ({at}),", approximate(age)),
                _ => String::new(),
            };
            let why = if !differences.is_empty() {
                format!(
                    "That user{created} differs from this configuration in: {}.",
                    differences.join(", ")
                )
            } else if age.is_some_and(|age| age < INTERRUPTED_APPLY_WINDOW) {
                format!(
                    "That user{created} has exactly the attributes configured here: it is most likely the one an interrupted earlier apply of this configuration created (Domo made it, but Terraform never received the answer, for example because the provider or the CI job was stopped mid-apply)."
                )
            } else {
                format!("That user{created} has exactly the attributes configured here.")
            };
            format!(
                "Domo refused to create a user with email {email}: Domo user {id} already has it, and emails are unique within a Domo instance. {why}\n\nTo manage that user with this resource, import it, writing this resource's address (shown above after \"with\") in place of ADDRESS:\n\n  terraform import 'ADDRESS' {id}\n\nthen apply again. If that user belongs to another configuration, use a different email here instead. Domo said: {err}"
            )
        }
        None => format!(
            "Domo refused to create a user with email {email}: another user already has it, and emails are unique within a Domo instance. Domo said: {err}\n\nIf that user exists, import it, writing this resource's address (shown above after \"with\") in place of ADDRESS:\n\n  terraform import 'ADDRESS' email:{email}\n\nOtherwise, use a different email for this resource."
        ),
    };
    Diagnostic::error("A Domo user with this email already exists", detail)
        .at(AttributePath::root("email"))
}

/// "40 seconds", "12 minutes", "3 hours", "2 days".
fn approximate(age: Duration) -> String {
    let seconds = age.as_secs();
    let (amount, unit) = match seconds {
        0..=119 => (seconds, "second"),
        120..=7199 => (seconds / 60, "minute"),
        7200..=172_799 => (seconds / 3600, "hour"),
        _ => (seconds / 86_400, "day"),
    };
    let plural = if amount == 1 { "" } else { "s" };
    format!("{amount} {unit}{plural}")
}

enum ImportId {
    Id(u64),
    Email(String),
}

fn parse_import_id(raw: &str) -> Result<ImportId, Diagnostic> {
    let raw = raw.trim();
    if let Some(email) = raw.strip_prefix("email:") {
        if looks_like_email(email.trim()) {
            return Ok(ImportId::Email(email.trim().to_owned()));
        }
    } else if let Ok(id) = raw.parse() {
        return Ok(ImportId::Id(id));
    }
    Err(Diagnostic::error(
        "Invalid import id",
        format!("\"{raw}\" is neither a Domo user id nor email:<address>. Use, for example:\n\n  terraform import domo_user.jane 1234567\n  terraform import domo_user.jane email:jane@example.com"),
    ))
}

#[tonic::async_trait]
impl Resource for UserResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match UserModel::read(config) {
            Ok(Some(m)) => validate_config(&m),
            Ok(None) => Diagnostics::default(),
            Err(d) => d,
        }
    }

    fn plan(&self, prior: &Value, proposed: &Value, _config: &Value) -> Result<Value, Diagnostics> {
        let Some(mut planned) = UserModel::read(proposed)? else {
            return Ok(Value::Null); // destroy
        };
        if planned.send_invite.is_null() {
            planned.send_invite = Field::Known(false);
        }
        match UserModel::read(prior)? {
            None => {
                planned.id = Field::Unknown;
                planned.created_at = Field::Unknown;
                planned.updated_at = Field::Unknown;
                planned.image_url = Field::Unknown;
            }
            // Terraform proposes the prior computed values; only the update
            // time changes, and only when Domo will be called.
            Some(prior) if prior.differs_in_domo(&planned) => planned.updated_at = Field::Unknown,
            Some(_) => {}
        }
        Ok(planned.to_value())
    }

    async fn apply(
        &self,
        client: &DomoClient,
        prior: &Value,
        planned: &Value,
        private: &[u8],
    ) -> Outcome {
        let models = UserModel::read(prior).and_then(|p| Ok((p, UserModel::read(planned)?)));
        match models {
            Err(diagnostics) => Outcome {
                state: prior.clone(),
                diagnostics,
                ..Outcome::default()
            },
            Ok((None, None)) => Outcome::default(),
            Ok((None, Some(new))) => create(client, new).await,
            Ok((Some(old), None)) => delete(client, old, prior).await,
            Ok((Some(old), Some(new))) => update(client, old, new, prior, private).await,
        }
    }

    async fn read(&self, client: &DomoClient, state: &Value, private: &[u8]) -> Outcome {
        let current = match UserModel::read(state) {
            Ok(Some(m)) => m,
            Ok(None) => return Outcome::default(),
            Err(diagnostics) => {
                return Outcome {
                    state: state.clone(),
                    diagnostics,
                    ..Outcome::default()
                }
            }
        };
        let keep = |diagnostics: Diagnostics| Outcome {
            state: state.clone(),
            private: private.to_vec(),
            diagnostics,
        };
        let id = match current.id() {
            Ok(id) => id,
            Err(d) => return keep(d),
        };
        let fresh = created_recently(private, SystemTime::now());
        match get_user_tolerating_lag(client, id, fresh).await {
            Ok(Some(user)) => Outcome {
                state: current.refreshed(&user).to_value(),
                private: private.to_vec(),
                diagnostics: Diagnostics::default(),
            },
            Ok(None) => Outcome {
                state: Value::Null,
                private: Vec::new(),
                diagnostics: Diagnostic::warning(
                    "Domo user no longer exists",
                    format!(
                        "Domo user {id} ({}) was not found or has been deleted in Domo. It was removed from Terraform state; the next plan will create it again.",
                        current.email.as_deref().unwrap_or("unknown email")
                    ),
                )
                .into(),
            },
            Err(e) => keep(api_error(Action::Read, &e).into()),
        }
    }

    async fn import(&self, client: &DomoClient, raw_id: &str) -> Outcome {
        let fail = |d: Diagnostic| Outcome {
            diagnostics: d.into(),
            ..Outcome::default()
        };
        let (found, what) = match parse_import_id(raw_id) {
            Err(d) => return fail(d),
            Ok(ImportId::Id(id)) => (client.get_user(id).await, format!("id {id}")),
            Ok(ImportId::Email(email)) => (
                client.find_user_by_email(&email).await,
                format!("email {email}"),
            ),
        };
        match found {
            Ok(Some(user)) => Outcome {
                state: UserModel::default().refreshed(&user).to_value(),
                ..Outcome::default()
            },
            Ok(None) => fail(Diagnostic::error(
                "Cannot import: no such Domo user",
                format!("No Domo user with {what} exists (or it has been deleted). Check the id with the Domo admin UI or the domo_users data source."),
            )),
            Err(e) => fail(api_error(Action::Import, &e)),
        }
    }

    fn upgrade(&self, version: i64, raw: &Value) -> Result<Value, Diagnostics> {
        if version > SCHEMA_VERSION {
            return Err(Diagnostic::error(
                "State from a newer provider",
                format!("This domo_user state has schema version {version}, written by a newer terraform-provider-domo. Upgrade the provider to use this state."),
            )
            .into());
        }
        // Version 0 is current; reading and re-writing it drops attributes
        // we no longer know and adds new ones as null.
        let mut model = UserModel::read(raw)?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Empty state",
                "The stored domo_user state is empty.",
            ))
        })?;
        if model.send_invite.is_null() {
            model.send_invite = Field::Known(false);
        }
        Ok(model.to_value())
    }
}

async fn create(client: &DomoClient, planned: UserModel) -> Outcome {
    let fields = match planned.to_fields() {
        Ok(f) => f,
        Err(diagnostics) => {
            return Outcome {
                diagnostics,
                ..Outcome::default()
            }
        }
    };
    let send_invite = planned.send_invite.known().copied().unwrap_or(false);
    match client.create_user(&fields, send_invite).await {
        Ok(user) => Outcome {
            state: planned.applied(&user).to_value(),
            private: private_for_new_user(SystemTime::now()),
            diagnostics: Diagnostics::default(),
        },
        Err(e) if e.is_conflict() => {
            let existing = client
                .find_user_by_email(&fields.email)
                .await
                .ok()
                .flatten();
            Outcome {
                diagnostics: duplicate_email(&fields, existing.as_ref(), &e, SystemTime::now())
                    .into(),
                ..Outcome::default()
            }
        }
        Err(e) => Outcome {
            diagnostics: api_error(Action::Create, &e).into(),
            ..Outcome::default()
        },
    }
}

async fn update(
    client: &DomoClient,
    old: UserModel,
    new: UserModel,
    prior: &Value,
    private: &[u8],
) -> Outcome {
    let unchanged = |diagnostics: Diagnostics| Outcome {
        state: prior.clone(),
        private: private.to_vec(),
        diagnostics,
    };
    if !old.differs_in_domo(&new) {
        // Only Terraform-side values changed (send_invite, email case).
        return Outcome {
            state: new.to_value(),
            private: private.to_vec(),
            ..Outcome::default()
        };
    }
    let (id, fields) = match (old.id(), new.to_fields()) {
        (Ok(id), Ok(fields)) => (id, fields),
        (Err(d), _) | (_, Err(d)) => return unchanged(d),
    };
    match client.update_user(id, &fields).await {
        Ok(user) => Outcome {
            state: new.applied(&user).to_value(),
            private: private.to_vec(),
            diagnostics: Diagnostics::default(),
        },
        Err(e) if e.is_not_found() => Outcome {
            state: Value::Null,
            private: Vec::new(),
            diagnostics: Diagnostic::error(
                "Domo user no longer exists",
                format!("Domo user {id} was deleted outside Terraform while this update was planned. It has been removed from state; run terraform apply again to create it."),
            )
            .into(),
        },
        Err(e) if e.is_conflict() => {
            let existing = client.find_user_by_email(&fields.email).await.ok().flatten().filter(|u| u.id != id);
            let who = existing.map(|u| format!(" (id {})", u.id)).unwrap_or_default();
            unchanged(
                Diagnostic::error(
                    "Email already used by another Domo user",
                    format!("Cannot change the email of Domo user {id} to {}: another user{who} already has it. Domo said: {e}", fields.email),
                )
                .at(AttributePath::root("email"))
                .into(),
            )
        }
        Err(e) => unchanged(api_error(Action::Update, &e).into()),
    }
}

async fn delete(client: &DomoClient, old: UserModel, prior: &Value) -> Outcome {
    let id = match old.id() {
        Ok(id) => id,
        Err(diagnostics) => {
            return Outcome {
                state: prior.clone(),
                diagnostics,
                ..Outcome::default()
            }
        }
    };
    match client.delete_user(id).await {
        Ok(()) => Outcome::default(),
        Err(e) => Outcome {
            state: prior.clone(),
            diagnostics: api_error(Action::Delete, &e).into(),
            ..Outcome::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut m = UserModel {
            name: Field::Known("Ada Lovelace".into()),
            email: Field::Known("Ada@Example.com".into()),
            role: Field::Known("Admin".into()),
            ..UserModel::default()
        }
        .to_value();
        if let Value::Map(map) = &mut m {
            for (k, v) in pairs {
                map.insert(k.to_string(), v.clone());
            }
        }
        m
    }

    fn user() -> User {
        User {
            id: 42,
            name: "Ada Lovelace".into(),
            email: "ada@example.com".into(),
            role: "Admin".into(),
            title: None,
            alternate_email: None,
            phone: None,
            location: None,
            employee_number: Some("7".into()),
            created_at: Some("2026-01-01T00:00:00Z".into()),
            updated_at: Some("2026-01-02T00:00:00Z".into()),
            image_url: Some("https://x/a.png".into()),
        }
    }

    #[test]
    fn role_and_email_validation_points_at_attributes() {
        let r = UserResource;
        let d = r.validate(&config(&[("role", Value::string("admin"))]));
        assert_eq!(d.0.len(), 1);
        assert_eq!(d.0[0].attribute, Some(AttributePath::root("role")));
        assert!(d.0[0].detail.contains("Admin, Privileged, Participant"));
        assert!(d.0[0].detail.contains("Did you mean \"Admin\""));
        let d = r.validate(&config(&[
            ("email", Value::string("not-an-email")),
            ("alternate_email", Value::string("a@b")),
        ]));
        let paths: Vec<_> = d.0.iter().filter_map(|d| d.attribute.clone()).collect();
        assert_eq!(
            paths,
            vec![
                AttributePath::root("email"),
                AttributePath::root("alternate_email")
            ]
        );
        assert!(r.validate(&config(&[])).is_empty());
        // Unknown values are checked later, when known.
        assert!(r
            .validate(&config(&[
                ("role", Value::Unknown),
                ("email", Value::Unknown)
            ]))
            .is_empty());
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
    fn create_plans_computed_values_unknown_and_defaults_send_invite() {
        let planned = UserResource
            .plan(&Value::Null, &config(&[]), &config(&[]))
            .unwrap();
        let m = UserModel::read(&planned).unwrap().unwrap();
        assert!(
            m.id.is_unknown()
                && m.created_at.is_unknown()
                && m.updated_at.is_unknown()
                && m.image_url.is_unknown()
        );
        assert_eq!(m.send_invite, Field::Known(false));
        assert_eq!(m.email.as_deref(), Some("Ada@Example.com"));
    }

    #[test]
    fn update_keeps_computed_values_known_unless_domo_changes() {
        let state = UserModel::default().refreshed(&user());
        let mut proposed = state.clone();
        proposed.send_invite = Field::Known(true);
        proposed.email = Field::Known("ADA@example.com".into());
        let planned = UserResource
            .plan(&state.to_value(), &proposed.to_value(), &Value::Null)
            .unwrap();
        assert_eq!(
            UserModel::read(&planned).unwrap().unwrap().updated_at,
            state.updated_at
        );

        proposed.title = Field::Known("Countess".into());
        let planned = UserResource
            .plan(&state.to_value(), &proposed.to_value(), &Value::Null)
            .unwrap();
        let m = UserModel::read(&planned).unwrap().unwrap();
        assert!(m.updated_at.is_unknown());
        assert_eq!(m.created_at, state.created_at);
        assert_eq!(m.id, state.id);
    }

    #[test]
    fn refresh_keeps_configured_email_spelling_timezone_and_locale() {
        let mut ours = UserModel::read(&config(&[])).unwrap().unwrap();
        ours.timezone = Field::Known("Europe/London".into());
        ours.locale = Field::Known("en-GB".into());
        ours.title = Field::Known(String::new());
        let r = ours.refreshed(&user());
        assert_eq!(r.email.as_deref(), Some("Ada@Example.com"));
        assert_eq!(r.timezone.as_deref(), Some("Europe/London"));
        assert_eq!(r.locale.as_deref(), Some("en-GB"));
        assert_eq!(r.title.as_deref(), Some(""));
        assert_eq!(r.id.as_deref(), Some("42"));
        assert_eq!(r.send_invite, Field::Known(false));
        // Domo's numeric employee numbers lose leading zeros: not drift.
        ours.employee_number = Field::Known("007".into());
        assert_eq!(
            ours.refreshed(&user()).employee_number.as_deref(),
            Some("007")
        );
        ours.employee_number = Field::Known("8".into());
        assert_eq!(
            ours.refreshed(&user()).employee_number.as_deref(),
            Some("7")
        );
        // A real change of address is drift.
        let mut moved = user();
        moved.email = "countess@example.com".into();
        assert_eq!(
            ours.refreshed(&moved).email.as_deref(),
            Some("countess@example.com")
        );
    }

    #[test]
    fn a_duplicate_email_names_the_user_and_the_import_command() {
        let conflict = DomoError::Api {
            method: "POST".into(),
            path: "/v1/users".into(),
            status: 409,
            message: "email exists".into(),
            toe: None,
        };
        let mut fields = UserModel::read(&config(&[]))
            .unwrap()
            .unwrap()
            .to_fields()
            .unwrap();
        fields.employee_number = Some("7".into());
        let created = crate::calendar::parse_utc_timestamp("2026-01-01T00:00:00Z").unwrap();
        let soon = created + Duration::from_secs(90);
        let d = duplicate_email(&fields, Some(&user()), &conflict, soon);
        assert_eq!(d.attribute, Some(AttributePath::root("email")));
        assert!(
            d.detail.contains("\n  terraform import 'ADDRESS' 42\n"),
            "{}",
            d.detail
        );
        assert!(
            d.detail
                .contains("created 90 seconds ago (2026-01-01T00:00:00Z), has exactly"),
            "{}",
            d.detail
        );
        assert!(
            d.detail.contains("interrupted earlier apply"),
            "{}",
            d.detail
        );
        // Long after: the same advice, no guess about its origin.
        let later = created + INTERRUPTED_APPLY_WINDOW;
        let d = duplicate_email(&fields, Some(&user()), &conflict, later);
        assert!(!d.detail.contains("interrupted"), "{}", d.detail);
        assert!(d.detail.contains("created 24 hours ago"), "{}", d.detail);
        // Someone else's user: what differs is said, and no guess either.
        fields.role = "Participant".into();
        let d = duplicate_email(&fields, Some(&user()), &conflict, soon);
        assert!(
            d.detail
                .contains("differs from this configuration in: role."),
            "{}",
            d.detail
        );
        assert!(!d.detail.contains("interrupted"), "{}", d.detail);
        let d = duplicate_email(&fields, None, &conflict, soon);
        assert!(
            d.detail
                .contains("terraform import 'ADDRESS' email:Ada@Example.com"),
            "{}",
            d.detail
        );
    }

    #[test]
    fn import_ids() {
        assert!(matches!(parse_import_id("123"), Ok(ImportId::Id(123))));
        assert!(
            matches!(parse_import_id("email:a@b.com"), Ok(ImportId::Email(e)) if e == "a@b.com")
        );
        assert!(parse_import_id("jane").is_err());
        assert!(parse_import_id("email:nope").is_err());
    }

    #[test]
    fn upgrade_from_version_zero_normalises_the_object() {
        let raw = crate::protocol::value::decode_json(
            br#"{"id":"42","name":"Ada","email":"a@b.com","role":"Admin","send_invite":null,"obsolete":"x","created_at":"t"}"#,
        )
        .unwrap();
        let up = UserResource.upgrade(0, &raw).unwrap();
        let m = UserModel::read(&up).unwrap().unwrap();
        assert_eq!(m.id.as_deref(), Some("42"));
        assert_eq!(m.send_invite, Field::Known(false));
        assert!(up.get("obsolete").is_none());
        assert_eq!(up.get("title"), Some(&Value::Null));
        assert!(UserResource.upgrade(1, &raw).is_err());
    }

    #[test]
    fn private_state_marks_fresh_users() {
        let now = SystemTime::now();
        let p = private_for_new_user(now);
        assert!(created_recently(&p, now + Duration::from_secs(5)));
        assert!(!created_recently(
            &p,
            now + FRESH_USER_WINDOW + Duration::from_secs(1)
        ));
        assert!(!created_recently(b"", now));
        assert!(!created_recently(b"garbage", now));
    }

    #[test]
    fn every_attribute_is_described() {
        for a in schema().attributes {
            assert!(
                !a.description.trim().is_empty(),
                "{} lacks a description",
                a.name
            );
        }
    }
}
