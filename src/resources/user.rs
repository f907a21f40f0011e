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

use std::time::{Duration, Instant, SystemTime};

use crate::domo::roles::role_id_of;
use crate::domo::{same_email, DomoClient, DomoError, User, UserFields};
use crate::framework::{Identity, Outcome, Resource};
use crate::model;
use crate::protocol::diagnostics::Severity;
use crate::protocol::{AttributePath, Diagnostic, Diagnostics, Field};
use crate::provider::errors::{
    api_error, deleted, imported, refused_user_delete, role_not_set, Action, ObjectKind,
};
use crate::provider::freshness::{created_recently, creation_mark};
use crate::provider::models::UserProfile;
use crate::provider::rules::{check_email, looks_like_email, numeric_id, parse_id};

/// For a user created less than [`FRESH_WINDOW`](crate::provider::freshness::FRESH_WINDOW) ago, a 404
/// is retried for at most this long (Domo's replication lag).
const NOT_FOUND_RETRY_BUDGET: Duration = Duration::from_secs(15);

model! {
    /// A `domo_user` as Terraform holds it.
    pub struct UserModel {
        /// Domo's numeric id of the user, as a string.
        id: Field<String> [computed],
        profile: UserProfile [],
        /// Primary email address, unique within the Domo instance. Compared
        /// case-insensitively: a difference only in letter case is not a
        /// change.
        email: Field<String> [required],
        /// Time zone, such as `America/Denver`. Domo accepts it but never
        /// returns it, so changes made outside Terraform cannot be detected.
        timezone: Field<String> [optional],
        /// Locale, such as `en-US`. Domo accepts it but never returns it, so
        /// changes made outside Terraform cannot be detected.
        locale: Field<String> [optional],
        /// Whether Domo emails the user an invitation when the account is
        /// created. Used only at creation: changing it later never calls
        /// Domo. Defaults to `false`.
        send_invite: Field<bool> [optional, computed],
        /// When the user was created in Domo (ISO-8601, UTC).
        created_at: Field<String> [computed],
        /// When the user was last changed in Domo (ISO-8601, UTC).
        updated_at: Field<String> [computed],
        /// URL of the user's avatar image.
        image_url: Field<String> [computed],
    }
}

model! {
    /// What names a `domo_user` for its whole life.
    pub struct UserIdentity {
        /// Domo's numeric id of the user, as a string (the `id` attribute).
        id: Field<String> [required],
    }
}

impl Identity<UserModel> for UserIdentity {
    fn of(state: &UserModel) -> Option<Self> {
        let id = state.id.known()?;
        Some(UserIdentity {
            id: Field::Known(id.clone()),
        })
    }

    fn import_id(&self) -> Result<String, Diagnostic> {
        numeric_id(&self.id, "id", "Domo user")
    }
}

impl UserModel {
    fn id(&self) -> Result<u64, Diagnostics> {
        self.id.as_deref().and_then(parse_id).ok_or_else(|| {
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
        self.profile = self.profile.applied(user);
        self.id = Field::Known(user.id.to_string());
        self.created_at = Field::from_option(user.created_at.clone());
        self.updated_at = Field::from_option(user.updated_at.clone());
        self.image_url = Field::from_option(user.image_url.clone());
        self
    }

    /// The user as a listing or an import finds it (no state before).
    pub(crate) fn listed(user: &User) -> Self {
        UserModel::default().refreshed(user)
    }

    /// State after reading `user` from Domo, given what state held before.
    fn refreshed(&self, user: &User) -> Self {
        let email = match self.email.known() {
            Some(ours) if same_email(ours, &user.email) => ours.clone(),
            _ => user.email.clone(),
        };
        UserModel {
            id: Field::Known(user.id.to_string()),
            email: Field::Known(email),
            profile: self.profile.refreshed(user),
            timezone: self.timezone.clone(),
            locale: self.locale.clone(),
            send_invite: Field::Known(self.send_invite.known().copied().unwrap_or(false)),
            created_at: Field::from_option(user.created_at.clone()),
            updated_at: Field::from_option(user.updated_at.clone()),
            image_url: Field::from_option(user.image_url.clone()),
        }
    }

    /// Whether going from `self` to `planned` changes anything in Domo. A
    /// value not known yet counts as a change.
    fn differs_in_domo(&self, planned: &UserModel) -> bool {
        let same_address = match (self.email.known(), planned.email.known()) {
            (Some(a), Some(b)) => same_email(a, b),
            _ => false,
        };
        !(same_address
            && self.profile == planned.profile
            && self.timezone == planned.timezone
            && self.locale == planned.locale)
    }
}

/// A user Domo created but did not give its role (`error` carries it):
/// kept in state as planned, with a warning. Terraform requires the planned
/// values of a create that reports no error, and replaces (deletes and
/// creates again) one that reports an error; the next refresh reads the
/// role Domo holds, and the next plan repairs it.
fn created_without_role(planned: UserModel, error: &DomoError) -> Outcome<UserModel> {
    let role_path = match planned.profile.role.known() {
        Some(name) if role_id_of(name).is_some() => "role",
        _ => "role_id",
    };
    let mut warning = role_not_set(error).at(AttributePath::root(role_path));
    warning.severity = Severity::Warning;
    let state = match error.created_user() {
        Some(user) => planned.applied(user),
        None => planned,
    };
    Outcome::new(state)
        .with_private(creation_mark(SystemTime::now()))
        .with_diagnostic(warning)
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
    } else if let Some(id) = parse_id(raw) {
        return Ok(ImportId::Id(id));
    }
    Err(Diagnostic::error(
        "Invalid import id",
        format!("\"{raw}\" is neither a Domo user id nor email:<address>. Use, for example:\n\n  terraform import domo_user.jane 1234567\n  terraform import domo_user.jane email:jane@example.com"),
    ))
}

pub struct UserResource;

#[tonic::async_trait]
impl Resource for UserResource {
    type Model = UserModel;
    type Identity = UserIdentity;
    const TYPE_NAME: &'static str = "domo_user";
    const DESCRIPTION: &'static str = "A user account in a Domo instance. Deleting it deletes the user in Domo, which cannot be undone.";

    fn validate(&self, config: &UserModel) -> Diagnostics {
        let mut diagnostics = Diagnostics::default();
        if let Some(d) = check_email(&config.email, AttributePath::root("email")) {
            diagnostics.push(d);
        }
        diagnostics
            .0
            .extend(config.profile.problems(&AttributePath::default()).0);
        diagnostics
    }

    fn modify_plan(
        &self,
        prior: Option<&UserModel>,
        planned: &mut UserModel,
        config: &UserModel,
    ) -> Diagnostics {
        planned
            .profile
            .plan_role(prior.map(|prior| &prior.profile), &config.profile);
        if !matches!(planned.send_invite, Field::Known(_)) {
            planned.send_invite = Field::Known(false);
        }
        // Terraform proposes the prior computed values; only the update
        // time changes, and only when Domo will be called.
        if prior.is_some_and(|prior| prior.differs_in_domo(planned)) {
            planned.updated_at = Field::Unknown;
        }
        Diagnostics::default()
    }

    async fn create(
        &self,
        client: &DomoClient,
        planned: UserModel,
    ) -> Result<Outcome<UserModel>, Diagnostics> {
        let fields = planned
            .profile
            .fields(&planned.email, &planned.timezone, &planned.locale)?;
        let send_invite = planned.send_invite.known().copied().unwrap_or(false);
        match client.create_user(&fields, send_invite).await {
            Ok(user) => {
                Ok(Outcome::new(planned.applied(&user))
                    .with_private(creation_mark(SystemTime::now())))
            }
            Err(e) if e.created_user().is_some() => Ok(created_without_role(planned, &e)),
            Err(e) if e.is_conflict() => {
                let existing = client
                    .find_user_by_email(&fields.email)
                    .await
                    .ok()
                    .flatten();
                Err(duplicate_email(&fields, existing.as_ref(), &e, SystemTime::now()).into())
            }
            Err(e) => Err(api_error(Action::Create, ObjectKind::User, &e).into()),
        }
    }

    async fn read(
        &self,
        client: &DomoClient,
        current: UserModel,
        private: &[u8],
    ) -> Result<Outcome<UserModel>, Diagnostics> {
        let id = current.id()?;
        let fresh = created_recently(private, SystemTime::now());
        match get_user_tolerating_lag(client, id, fresh).await {
            Ok(Some(user)) => Ok(Outcome::new(current.refreshed(&user))),
            Ok(None) => Ok(Outcome::gone().with_diagnostic(Diagnostic::warning(
                "Domo user no longer exists",
                format!(
                    "Domo user {id} ({}) was not found or has been deleted in Domo. It was removed from Terraform state; the next plan will create it again.",
                    current.email.as_deref().unwrap_or("unknown email")
                ),
            ))),
            Err(e) => Err(api_error(Action::Read, ObjectKind::User, &e).into()),
        }
    }

    async fn update(
        &self,
        client: &DomoClient,
        prior: UserModel,
        planned: UserModel,
        _private: &[u8],
    ) -> Result<Outcome<UserModel>, Diagnostics> {
        if !prior.differs_in_domo(&planned) {
            // Only Terraform-side values changed (send_invite, email case).
            return Ok(Outcome::new(planned));
        }
        let id = prior.id()?;
        let fields = planned
            .profile
            .fields(&planned.email, &planned.timezone, &planned.locale)?;
        match client.update_user(id, &fields).await {
            Ok(user) => Ok(Outcome::new(planned.applied(&user))),
            Err(e) if e.is_not_found() => Ok(Outcome::gone().with_diagnostic(Diagnostic::error(
                "Domo user no longer exists",
                format!("Domo user {id} was deleted outside Terraform after this update was planned, so there is nothing to update. The next terraform plan or apply notices it is gone and creates it again."),
            ))),
            Err(e) if e.is_conflict() => {
                let existing = client
                    .find_user_by_email(&fields.email)
                    .await
                    .ok()
                    .flatten()
                    .filter(|u| u.id != id);
                let who = existing.map(|u| format!(" (id {})", u.id)).unwrap_or_default();
                Err(Diagnostic::error(
                    "Email already used by another Domo user",
                    format!("Cannot change the email of Domo user {id} to {}: another user{who} already has it. Domo said: {e}", fields.email),
                )
                .at(AttributePath::root("email"))
                .into())
            }
            Err(e) => Err(api_error(Action::Update, ObjectKind::User, &e).into()),
        }
    }

    async fn delete(
        &self,
        client: &DomoClient,
        prior: UserModel,
    ) -> Result<Outcome<UserModel>, Diagnostics> {
        let id = prior.id()?;
        let result = client.delete_user(id).await;
        if let Err(error) = &result {
            let email = prior.email.as_deref().unwrap_or("(unknown email)");
            let let_go = "remove it from Terraform state instead: `terraform state rm ADDRESS`, or a `removed` block with `destroy = false` (Terraform 1.7 and later)";
            if let Some(refused) = refused_user_delete(email, id, error, let_go) {
                return Err(refused.into());
            }
        }
        deleted(ObjectKind::User, result)
    }

    async fn import(
        &self,
        client: &DomoClient,
        raw_id: &str,
    ) -> Result<Outcome<UserModel>, Diagnostics> {
        let (found, what) = match parse_import_id(raw_id)? {
            ImportId::Id(id) => (client.get_user(id).await, format!("id {id}")),
            ImportId::Email(email) => (
                client.find_user_by_email(&email).await,
                format!("email {email}"),
            ),
        };
        imported(
            ObjectKind::User,
            found,
            &what,
            " (or it has been deleted). Check the id with the Domo admin UI or the domo_users data source.",
            |user| UserModel::listed(&user),
        )
    }

    /// A configuration names the role once: by name when it is one of
    /// Domo's default roles, by id otherwise (a custom role). `send_invite`
    /// is left to its default.
    fn generate_config(&self, mut config: UserModel) -> UserModel {
        let profile = &mut config.profile;
        let default_role = profile.role.as_deref().and_then(role_id_of).is_some();
        if default_role || profile.role_id.is_null() {
            profile.role_id = Field::Null;
        } else {
            profile.role = Field::Null;
        }
        config.send_invite = Field::Null;
        config
    }

    fn upgrade(&self, _version: i64, mut state: UserModel) -> Result<UserModel, Diagnostics> {
        if state.send_invite.is_null() {
            state.send_invite = Field::Known(false);
        }
        state.profile = state.profile.upgraded();
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::{register, AnyResource, StoredForm};
    use crate::protocol::model::value_with;
    use crate::protocol::{Model, Number, Value};
    use crate::provider::models::tests::sample_user;

    fn resource() -> Box<dyn AnyResource> {
        register(UserResource)
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        let ada = UserModel {
            email: Field::Known("Ada@Example.com".into()),
            profile: UserProfile {
                name: Field::Known("Ada Lovelace".into()),
                role: Field::Known("Admin".into()),
                ..UserProfile::default()
            },
            ..UserModel::default()
        };
        value_with(&ada, pairs)
    }

    fn user() -> User {
        User {
            name: "Ada Lovelace".into(),
            title: None,
            employee_number: Some("7".into()),
            image_url: Some("https://x/a.png".into()),
            ..sample_user(42, "ada@example.com", "Admin")
        }
    }

    fn model(value: &Value) -> UserModel {
        UserModel::from_value(value).unwrap().unwrap()
    }

    /// What `-generate-config-out` writes plans without error: one role
    /// attribute, nothing only Domo sets.
    #[test]
    fn generated_configuration_names_the_role_once() {
        let mut custom = user();
        custom.role = "Analyst".into();
        custom.role_id = Some(42);
        for (listed, role, role_id) in [
            (user(), Value::string("Admin"), Value::Null),
            (custom, Value::Null, Value::Number(Number::UInt(42))),
        ] {
            let state = UserModel::listed(&listed).to_value();
            let config = resource().generate_config(state).unwrap();
            assert_eq!(config.get("role"), Some(&role));
            assert_eq!(config.get("role_id"), Some(&role_id));
            for computed in ["id", "created_at", "updated_at", "image_url", "send_invite"] {
                assert_eq!(config.get(computed), Some(&Value::Null), "{computed}");
            }
            assert_eq!(config.get("email"), Some(&Value::string("ada@example.com")));
            assert_eq!(config.get("employee_number"), Some(&Value::string("7")));
            let problems = resource().validate(&config);
            assert!(problems.is_empty(), "{problems:?}");
        }
    }

    #[test]
    fn role_and_email_validation_points_at_attributes() {
        let r = resource();
        let d = r.validate(&config(&[("role", Value::string("admin"))]));
        assert_eq!(d.0.len(), 1);
        assert_eq!(d.0[0].attribute, Some(AttributePath::root("role")));
        assert!(d.0[0]
            .detail
            .contains("Admin, Privileged, Editor, Participant, Social"));
        assert!(d.0[0].detail.contains("Did you mean \"Admin\""));
        let d = r.validate(&config(&[("role_id", Value::Number(Number::UInt(101)))]));
        assert_eq!(d.paths(), vec![AttributePath::root("role_id")]);
        assert!(r
            .validate(&config(&[
                ("role", Value::Null),
                ("role_id", Value::Number(Number::UInt(101)))
            ]))
            .is_empty());
        let d = r.validate(&config(&[("role", Value::Null)]));
        assert_eq!(d.paths(), vec![AttributePath::root("role")]);
        let d = r.validate(&config(&[
            ("email", Value::string("not-an-email")),
            ("alternate_email", Value::string("a@b")),
        ]));
        assert_eq!(
            d.paths(),
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
    fn create_plans_computed_values_unknown_and_defaults_send_invite() {
        let planned = resource()
            .plan(Value::Null, config(&[]), config(&[]), Value::Null)
            .unwrap();
        assert!(planned.requires_replace.is_empty());
        let m = model(&planned.state);
        assert!(
            m.id.is_unknown()
                && m.created_at.is_unknown()
                && m.updated_at.is_unknown()
                && m.image_url.is_unknown()
        );
        assert_eq!(m.send_invite, Field::Known(false));
        assert_eq!(m.email.as_deref(), Some("Ada@Example.com"));
        assert_eq!(m.profile.role_id, Field::Known(1), "Admin's id is known");
    }

    #[test]
    fn update_keeps_computed_values_known_unless_domo_changes() {
        let state = UserModel::default().refreshed(&user());
        let mut proposed = state.clone();
        proposed.send_invite = Field::Known(true);
        proposed.email = Field::Known("ADA@example.com".into());
        let plan = |proposed: &UserModel| {
            let proposed = proposed.to_value();
            let planned =
                resource().plan(state.to_value(), proposed.clone(), proposed, Value::Null);
            model(&planned.unwrap().state)
        };
        assert_eq!(plan(&proposed).updated_at, state.updated_at);

        proposed.profile.title = Field::Known("Countess".into());
        let m = plan(&proposed);
        assert!(m.updated_at.is_unknown());
        assert_eq!(m.created_at, state.created_at);
        assert_eq!(m.id, state.id);
    }

    #[test]
    fn refresh_keeps_configured_email_spelling_timezone_and_locale() {
        let mut ours = model(&config(&[]));
        ours.timezone = Field::Known("Europe/London".into());
        ours.locale = Field::Known("en-GB".into());
        ours.profile.title = Field::Known(String::new());
        let r = ours.refreshed(&user());
        assert_eq!(r.email.as_deref(), Some("Ada@Example.com"));
        assert_eq!(r.timezone.as_deref(), Some("Europe/London"));
        assert_eq!(r.locale.as_deref(), Some("en-GB"));
        assert_eq!(r.profile.title.as_deref(), Some(""));
        assert_eq!(r.id.as_deref(), Some("42"));
        assert_eq!(r.send_invite, Field::Known(false));
        // Domo's numeric employee numbers lose leading zeros: not drift.
        ours.profile.employee_number = Field::Known("007".into());
        assert_eq!(
            ours.refreshed(&user()).profile.employee_number.as_deref(),
            Some("007")
        );
        ours.profile.employee_number = Field::Known("8".into());
        assert_eq!(
            ours.refreshed(&user()).profile.employee_number.as_deref(),
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
        let ada = model(&config(&[]));
        let mut fields = ada
            .profile
            .fields(&ada.email, &ada.timezone, &ada.locale)
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
        fields.role = Some("Participant".into());
        fields.role_id = Some(4);
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
        let up = resource().upgrade(0, &raw, StoredForm::AsWritten).unwrap();
        let m = model(&up);
        assert_eq!(m.id.as_deref(), Some("42"));
        assert_eq!(m.send_invite, Field::Known(false));
        assert_eq!(m.profile.role_id, Field::Known(1), "filled in from role");
        assert!(up.get("obsolete").is_none());
        assert_eq!(up.get("title"), Some(&Value::Null));
        assert!(resource().upgrade(1, &raw, StoredForm::AsWritten).is_err());
        assert!(resource().upgrade(-1, &raw, StoredForm::AsWritten).is_err());
    }
}
