//! `domo_user_roster`: many people's Domo accounts in one resource, a map
//! keyed by email address, so that a whole company syncs in one Terraform
//! resource (Terraform's own work per resource, not the API, is what makes
//! thousands of `domo_user` resources slow).
//!
//! Each entry keeps `domo_user`'s promises: emails compare case-insensitively
//! (a key that changes only in letter case is the same person), `timezone`
//! and `locale` keep their configured values, a user deleted in Domo leaves
//! state with a warning and is created again, and a create is never blindly
//! re-sent. On top of that:
//! - the plan shows, per entry, what is created, changed and removed, and
//!   nothing for the rest;
//! - apply runs every change concurrently through the Domo client's bulk
//!   call; a partial failure stores exactly the users that exist, with one
//!   error per failed entry, so the next plan retries only those;
//! - `adopt_existing` takes over users that already exist in Domo;
//! - `on_removal` chooses between deleting and letting go of users whose
//!   entry leaves the map (and on destroy).
//!
//! What Domo assigns (id, timestamps, its spelling of the address) lives in
//! a separate computed map, `accounts`, with the same keys, rather than
//! inside each `users` entry: Terraform 1.0 cannot validate a plan whose
//! nested map elements gain computed values (it crashes), while a nested
//! map planned exactly as configured works in every version.
//!
//! The Domo side (concurrency, the shared listing) lives in `crate::domo`;
//! this file holds the Terraform side: per-entry diff, validation, state.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use crate::domo::roles::{role_id_of, role_name_of};
use crate::domo::{same_email, ChangeDone, DomoClient, DomoError, User, UserChange};
use crate::framework::{Outcome, Resource};
use crate::model;
use crate::protocol::diagnostics::Severity;
use crate::protocol::{AttributePath, Diagnostic, Diagnostics, Field};
use crate::provider::errors::{api_error, Action, ObjectKind};
use crate::provider::freshness::{created_recently, creation_mark};
use crate::provider::models::UserProfile;
use crate::provider::rules::{check_role, looks_like_email, parse_id};

/// Diagnostics about entries shown one by one; the rest are summed up in
/// one, so that a systematic problem in 20,000 entries stays readable.
const MAX_ENTRY_DIAGNOSTICS: usize = 20;
/// Keys named in that summary.
const MAX_KEYS_IN_SUMMARY: usize = 50;
/// For users created less than [`FRESH_WINDOW`](crate::provider::freshness::FRESH_WINDOW) ago, one that
/// reads as gone is read again for at most this long (Domo's replication
/// lag).
const NOT_FOUND_RETRY_BUDGET: Duration = Duration::from_secs(15);

/// `on_removal` values.
const DELETE: &str = "delete";
const KEEP: &str = "keep";

model! {
    /// One person in a roster, as configured: what a `domo_user` sets,
    /// with the email address as the map key.
    pub struct RosterEntry {
        profile: UserProfile [configured_only],
        /// Time zone, such as `America/Denver`. Domo accepts it but never
        /// returns it, so changes made outside Terraform cannot be detected.
        timezone: Field<String> [optional],
        /// Locale, such as `en-US`. Domo accepts it but never returns it, so
        /// changes made outside Terraform cannot be detected.
        locale: Field<String> [optional],
    }
}

model! {
    /// What Domo assigned to one person of a roster.
    pub struct RosterAccount {
        /// Domo's numeric id of the user, as a string.
        id: Field<String> [computed],
        /// The primary email address as Domo holds it: the map key, possibly
        /// spelled in another letter case. When the address is changed in
        /// Domo, the plan shows it being set back to the key.
        email: Field<String> [computed],
        /// When the user was created in Domo (ISO-8601, UTC).
        created_at: Field<String> [computed],
        /// When the user was last changed in Domo (ISO-8601, UTC).
        updated_at: Field<String> [computed],
        /// The name of the user's role as Domo reports it (for an entry
        /// that sets a custom role by `role_id`, the role's name in Domo).
        role: Field<String> [computed],
    }
}

model! {
    /// A `domo_user_roster` as Terraform holds it.
    pub struct RosterModel {
        /// The people, keyed by primary email address (compared ignoring
        /// letter case: two keys differing only in case are an error). Each
        /// value sets what a `domo_user` sets. Typically built from a file:
        /// `{ for p in csvdecode(file("people.csv")) : p.email => { name = p.name, role = p.role } }`.
        users: Field<BTreeMap<String, RosterEntry>> [required, nested],
        /// What Domo assigned to each person, under the same key as in
        /// `users`: `accounts["jane@example.com"].id` is Jane's Domo user id.
        accounts: Field<BTreeMap<String, RosterAccount>> [computed],
        /// What to do when an entry's email already belongs to a Domo user
        /// this roster does not manage: `false` (the default) fails that
        /// entry; `true` adopts the user and updates it to match the entry
        /// (one listing of Domo's users, then an update only where a value
        /// differs). Only users not managed elsewhere should be adopted.
        adopt_existing: Field<bool> [optional, computed],
        /// What happens in Domo to a user whose entry leaves the map, and to
        /// every user on destroy: `delete` (the default) deletes the user,
        /// which cannot be undone; `keep` only stops managing it and leaves
        /// the account as it is. The value in state at the time of the
        /// removal counts: apply `keep` before destroying.
        on_removal: Field<String> [optional, computed],
        /// Whether Domo emails an invitation to each user this roster
        /// creates (never to adopted users). Used only at creation.
        /// Defaults to `false`.
        send_invite: Field<bool> [optional, computed],
    }
}

/// `users["<key>"].<attribute>`, or `users["<key>"]` for `None`.
fn entry_path(key: &str, attribute: Option<&str>) -> AttributePath {
    let path = AttributePath::root("users").key(key);
    match attribute {
        Some(name) => path.attribute(name),
        None => path,
    }
}

/// How keys and addresses are compared: Domo's email rule.
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl RosterEntry {
    /// The entry after reading `user` from Domo, given this one from state
    /// and the role name Domo reported last time (`last_role`, from the
    /// account): `domo_user`'s refresh rules, with the role in the form
    /// the entry sets it (by name or by id). Nothing in an entry is
    /// computed, so the other form is not kept here.
    fn refreshed(&self, last_role: &Field<String>, user: &User) -> Self {
        let mut known = self.profile.clone();
        if known.role.is_null() {
            known.role = last_role.clone();
        }
        known = known.upgraded();
        let by_id = !self.profile.role_id.is_null();
        RosterEntry {
            profile: role_set_by(known.refreshed(user), by_id),
            timezone: self.timezone.clone(),
            locale: self.locale.clone(),
        }
    }

    /// Everything Domo reports about `user`, for an import: the role by
    /// name when it is a default role or its id is not known, else by id.
    fn of(user: &User) -> Self {
        let profile = UserProfile::of(user);
        let default_role = profile.role.as_deref().and_then(role_id_of).is_some();
        let by_id = !default_role && !profile.role_id.is_null();
        RosterEntry {
            profile: role_set_by(profile, by_id),
            ..RosterEntry::default()
        }
    }

    /// Whether adopting `user` for this planned entry needs an update:
    /// some value Domo reports differs, or a write-only value (which Domo
    /// never reports) is configured.
    fn adoption_needs_update(&self, user: &User) -> bool {
        self.refreshed(&Field::Null, user).profile != self.profile
            || !self.timezone.is_null()
            || !self.locale.is_null()
    }
}

/// `profile` with only one of its role attributes: `role_id` when `by_id`,
/// else `role`.
fn role_set_by(mut profile: UserProfile, by_id: bool) -> UserProfile {
    if by_id {
        profile.role = Field::Null;
    } else {
        profile.role_id = Field::Null;
    }
    profile
}

/// The name of the role an entry sets, when the plan can know it: the
/// name itself, or a default role's id. A custom role's name is Domo's to
/// tell.
fn planned_role_name(profile: &UserProfile) -> Field<String> {
    match (&profile.role, profile.role_id.known()) {
        (Field::Known(name), _) => Field::Known(name.clone()),
        (_, Some(id)) => role_name_of(*id).map_or(Field::Unknown, |n| Field::Known(n.to_owned())),
        _ => Field::Unknown,
    }
}

impl RosterAccount {
    /// A new person's account as planned: only the address is known.
    fn planned_for(key: &str) -> Self {
        RosterAccount {
            id: Field::Unknown,
            email: Field::Known(key.to_owned()),
            created_at: Field::Unknown,
            updated_at: Field::Unknown,
            role: Field::Unknown,
        }
    }

    /// A person whose user could not be created by the roster's first
    /// apply: in state without an id, so that the next plan creates it.
    fn pending(key: &str) -> Self {
        RosterAccount {
            id: Field::Null,
            email: Field::Known(key.to_owned()),
            created_at: Field::Null,
            updated_at: Field::Null,
            role: Field::Null,
        }
    }

    /// Whether no Domo user stands behind this account yet (see
    /// [`RosterAccount::pending`]).
    fn is_pending(&self) -> bool {
        self.id.is_null()
    }

    /// The account as Domo reports it, keeping our spelling of the address
    /// when Domo's differs only in letter case.
    fn refreshed(&self, user: &User) -> Self {
        let email = match self.email.known() {
            Some(ours) if same_email(ours, &user.email) => ours.clone(),
            _ => user.email.clone(),
        };
        RosterAccount {
            id: Field::Known(user.id.to_string()),
            email: Field::Known(email),
            created_at: Field::from_option(user.created_at.clone()),
            updated_at: Field::from_option(user.updated_at.clone()),
            role: role_of(user),
        }
    }

    /// This planned account with what only Domo knows filled in: each
    /// value still unknown comes from `user`; known values stay as planned
    /// (Terraform requires them back exactly).
    fn applied(mut self, user: &User) -> Self {
        if self.id.is_unknown() {
            self.id = Field::Known(user.id.to_string());
        }
        if self.email.is_unknown() {
            self.email = Field::Known(user.email.clone());
        }
        if self.created_at.is_unknown() {
            self.created_at = Field::from_option(user.created_at.clone());
        }
        if self.updated_at.is_unknown() {
            self.updated_at = Field::from_option(user.updated_at.clone());
        }
        if self.role.is_unknown() {
            self.role = role_of(user);
        }
        self
    }

    /// This account with each value still unknown taken from `other`.
    fn known_from(mut self, other: &RosterAccount) -> Self {
        let fill = |mine: &mut Field<String>, theirs: &Field<String>| {
            if mine.is_unknown() {
                *mine = theirs.clone();
            }
        };
        fill(&mut self.id, &other.id);
        fill(&mut self.email, &other.email);
        fill(&mut self.created_at, &other.created_at);
        fill(&mut self.updated_at, &other.updated_at);
        fill(&mut self.role, &other.role);
        self
    }

    fn id(&self, key: &str) -> Result<u64, Diagnostic> {
        self.id.as_deref().and_then(parse_id).ok_or_else(|| {
            Diagnostic::error(
                "Invalid user id in state",
                format!(
                    "accounts[\"{key}\"] holds {:?} where Domo's numeric user id belongs. Remove the entry from users, apply, then add it back with adopt_existing = true.",
                    self.id
                ),
            )
            .at(entry_path(key, None))
        })
    }
}

/// The name of `user`'s role, as Domo reports it (a default role's name
/// when Domo sends only its id).
fn role_of(user: &User) -> Field<String> {
    let named = Some(user.role.clone()).filter(|name| !name.is_empty());
    Field::from_option(named.or_else(|| user.role_id.and_then(role_name_of).map(str::to_owned)))
}

/// One person as state holds them: the configured side and Domo's side.
#[derive(Clone, Debug, PartialEq)]
struct Person {
    entry: RosterEntry,
    account: RosterAccount,
}

impl Person {
    /// Whether Domo must be written for this person to become `planned`
    /// under `key`.
    fn differs_in_domo(&self, key: &str, planned: &RosterEntry) -> bool {
        differs_in_domo(&self.entry, &self.account, key, planned)
    }
}

/// Whether Domo must be written for a person (`entry` and `account` in
/// state) to become `planned` under `key`. A value not known yet counts as
/// a change.
fn differs_in_domo(
    entry: &RosterEntry,
    account: &RosterAccount,
    key: &str,
    planned: &RosterEntry,
) -> bool {
    let same_address = account.email.known().is_some_and(|e| same_email(e, key));
    !(same_address
        && entry.profile == planned.profile
        && entry.timezone == planned.timezone
        && entry.locale == planned.locale)
}

impl RosterModel {
    fn on_removal(&self) -> &str {
        match self.on_removal.as_deref() {
            Some(KEEP) => KEEP,
            _ => DELETE,
        }
    }

    fn adopt_existing(&self) -> bool {
        self.adopt_existing.known().copied().unwrap_or(false)
    }

    /// Takes the people out of this model (leaving its settings): each
    /// `users` entry with its `accounts` entry. An entry without an account
    /// (never in state written by this provider) gets an unknown one.
    fn take_people(&mut self) -> Option<BTreeMap<String, Person>> {
        let Field::Known(users) = std::mem::take(&mut self.users) else {
            return None;
        };
        let mut accounts = match std::mem::take(&mut self.accounts) {
            Field::Known(accounts) => accounts,
            _ => BTreeMap::new(),
        };
        Some(
            users
                .into_iter()
                .map(|(key, entry)| {
                    let account = accounts
                        .remove(&key)
                        .unwrap_or_else(|| RosterAccount::planned_for(&key));
                    (key, Person { entry, account })
                })
                .collect(),
        )
    }

    /// This model's settings with `people` as its users and accounts.
    fn with_people(mut self, people: BTreeMap<String, Person>) -> RosterModel {
        let mut users = BTreeMap::new();
        let mut accounts = BTreeMap::new();
        for (key, person) in people {
            accounts.insert(key.clone(), person.account);
            users.insert(key, person.entry);
        }
        self.users = Field::Known(users);
        self.accounts = Field::Known(accounts);
        self
    }
}

/// Diagnostics about entries: the first [`MAX_ENTRY_DIAGNOSTICS`] of each
/// severity as they are, the rest summed up in one that names their keys.
#[derive(Default)]
struct EntryDiagnostics {
    shown: Diagnostics,
    errors_left_out: Vec<String>,
    warnings_left_out: Vec<String>,
    errors: usize,
    warnings: usize,
}

impl EntryDiagnostics {
    fn push(&mut self, key: &str, diagnostic: Diagnostic) {
        let (count, left_out) = match diagnostic.severity {
            Severity::Error => (&mut self.errors, &mut self.errors_left_out),
            Severity::Warning => (&mut self.warnings, &mut self.warnings_left_out),
        };
        *count += 1;
        if *count <= MAX_ENTRY_DIAGNOSTICS {
            self.shown.push(diagnostic);
        } else {
            left_out.push(key.to_owned());
        }
    }

    fn finish(mut self, what_next: &str) -> Diagnostics {
        let sections = [
            (std::mem::take(&mut self.errors_left_out), true),
            (std::mem::take(&mut self.warnings_left_out), false),
        ];
        for (mut keys, is_error) in sections {
            if keys.is_empty() {
                continue;
            }
            keys.sort_unstable();
            let more = keys.len();
            let named: Vec<String> = keys
                .iter()
                .take(MAX_KEYS_IN_SUMMARY)
                .map(|k| format!("\"{k}\""))
                .collect();
            let rest = more.saturating_sub(MAX_KEYS_IN_SUMMARY);
            let tail = if rest > 0 {
                format!(" and {rest} more")
            } else {
                String::new()
            };
            let kind = if is_error { "errors" } else { "warnings" };
            let summary = format!("{more} more entries with {kind}");
            let detail = format!(
                "Only the first {MAX_ENTRY_DIAGNOSTICS} entries with {kind} are shown one by one. The same kind of problem may apply to these entries of users: {}{tail}. {what_next}",
                named.join(", ")
            );
            self.shown.push(if is_error {
                Diagnostic::error(summary, detail).at(AttributePath::root("users"))
            } else {
                Diagnostic::warning(summary, detail).at(AttributePath::root("users"))
            });
        }
        self.shown
    }
}

/// The problems of a configured roster that Terraform can show at plan
/// time, before any call to Domo.
fn problems(config: &RosterModel) -> Diagnostics {
    let mut out = Diagnostics::default();
    if let Some(value) = config.on_removal.known() {
        if value != DELETE && value != KEEP {
            out.push(
                Diagnostic::error(
                    "Invalid on_removal",
                    format!("on_removal = \"{value}\" is neither \"delete\" (delete users whose entry is removed) nor \"keep\" (leave their accounts in Domo)."),
                )
                .at(AttributePath::root("on_removal")),
            );
        }
    }
    let Some(users) = config.users.known() else {
        return out;
    };
    let mut entries = EntryDiagnostics::default();
    let mut first_spelling: HashMap<String, &str> = HashMap::with_capacity(users.len());
    for (key, entry) in users {
        if !looks_like_email(key) {
            entries.push(
                key,
                Diagnostic::error(
                    "Invalid email key in users",
                    format!("users[\"{key}\"]: the key must be the user's email address, like jane.doe@example.com."),
                )
                .at(entry_path(key, None)),
            );
        } else if let Some(other) = first_spelling.insert(email_key(key), key) {
            entries.push(
                key,
                Diagnostic::error(
                    "Duplicate email in users",
                    format!("users[\"{key}\"] and users[\"{other}\"] are the same address (emails are compared ignoring letter case), so they would be the same Domo user. Keep one of them."),
                )
                .at(entry_path(key, None)),
            );
        }
        for mut diagnostic in entry.profile.problems(&entry_path(key, None)).0 {
            diagnostic.detail = format!("users[\"{key}\"]: {}", diagnostic.detail);
            entries.push(key, diagnostic);
        }
    }
    out.0.extend(
        entries
            .finish("Fix the configuration (or the file it is read from) and plan again.")
            .0,
    );
    out
}

/// A change waiting for Domo's answer: what to store when it succeeds and
/// what to keep when it fails.
enum Pending {
    /// A new person (or an adopted user, when `adopting`): stored on
    /// success, absent on failure.
    Create {
        key: String,
        planned: Person,
        adopting: bool,
    },
    /// A person whose user changes: as planned on success, as before (under
    /// the prior key) on failure.
    Update {
        key: String,
        planned: Person,
        prior_key: String,
        prior: Box<Person>,
    },
    /// A removed person: gone on success, kept on failure.
    Delete { key: String, prior: Person },
}

/// Where an apply stands: the state being assembled, and its diagnostics.
#[derive(Default)]
struct Assembly {
    people: BTreeMap<String, Person>,
    diagnostics: EntryDiagnostics,
    created_any: bool,
    /// The roster's first apply (a Terraform create): Terraform taints a
    /// resource whose creation reports an error, and replaces it on the
    /// next apply, deleting and re-creating every user. So a failed entry
    /// is a warning there, and stays in state as pending (no id) for the
    /// next apply to create.
    first_apply: bool,
}

impl Assembly {
    /// Reports a problem with one entry: an error, or on the first apply a
    /// warning (see [`Assembly::first_apply`]).
    fn report(&mut self, key: &str, mut diagnostic: Diagnostic) {
        if self.first_apply {
            diagnostic.severity = Severity::Warning;
            diagnostic.detail.push_str("\n\nThe roster was created without this user, which is pending in state (no id): run terraform apply again to retry.");
        }
        self.diagnostics.push(key, diagnostic);
    }

    /// Records an entry that failed to be created or adopted.
    fn creation_failed(&mut self, key: String, planned: Person, diagnostic: Diagnostic) {
        self.report(&key, diagnostic);
        if self.first_apply {
            let person = Person {
                account: RosterAccount::pending(&key),
                ..planned
            };
            self.people.insert(key, person);
        }
    }

    fn store(&mut self, key: String, mut planned: Person, user: &User) {
        planned.account = planned.account.applied(user);
        self.people.insert(key, planned);
    }

    /// Stores the outcome of one change.
    fn settle(&mut self, pending: Pending, result: Result<ChangeDone, DomoError>) {
        match (pending, result) {
            (Pending::Create { key, planned, .. }, Ok(ChangeDone::Created(user))) => {
                self.created_any = true;
                self.store(key, planned, &user);
            }
            (Pending::Create { key, planned, .. }, Ok(ChangeDone::Updated(user)))
            | (Pending::Update { key, planned, .. }, Ok(ChangeDone::Updated(user))) => {
                self.store(key, planned, &user);
            }
            (Pending::Delete { .. }, Ok(ChangeDone::Deleted)) => {}
            (
                Pending::Create {
                    key,
                    planned,
                    adopting,
                },
                Err(e),
            ) => {
                let diagnostic = if e.is_conflict() && !adopting {
                    existing_email(&key, Some(&e))
                } else {
                    entry_error(Action::Create, &key, &e)
                };
                self.creation_failed(key, planned, diagnostic);
            }
            (Pending::Update { key, .. }, Err(e)) if e.is_not_found() => {
                // Deleted in Domo since the plan: nothing to keep; the next
                // plan creates it again.
                self.report(
                    &key,
                    Diagnostic::error(
                        "Domo user no longer exists",
                        format!("users[\"{key}\"]: the user was deleted outside Terraform after this change was planned, so there is nothing to update. It has left the state; the next plan creates it again."),
                    )
                    .at(entry_path(&key, None)),
                );
            }
            (
                Pending::Update {
                    key,
                    prior_key,
                    prior,
                    ..
                },
                Err(e),
            ) => {
                let diagnostic = if e.is_conflict() {
                    Diagnostic::error(
                        "Email already used by another Domo user",
                        format!("users[\"{key}\"]: cannot give Domo user {} this address: another user already has it. Domo said: {e}", prior.account.id.as_deref().unwrap_or("?")),
                    )
                    .at(entry_path(&key, None))
                } else {
                    entry_error(Action::Update, &key, &e)
                };
                self.report(&key, diagnostic);
                self.people.insert(prior_key, *prior);
            }
            (Pending::Delete { key, prior }, Err(e)) => {
                self.report(&key, entry_error(Action::Delete, &key, &e));
                self.people.insert(key, prior);
            }
            // A result of another kind than the change asked for: the
            // client never answers so; keep what is known to exist.
            (pending, Ok(_)) => {
                let key = match pending {
                    Pending::Create { key, planned, .. } => {
                        if self.first_apply {
                            let person = Person {
                                account: RosterAccount::pending(&key),
                                ..planned
                            };
                            self.people.insert(key.clone(), person);
                        }
                        key
                    }
                    Pending::Update {
                        key,
                        prior_key,
                        prior,
                        ..
                    } => {
                        self.people.insert(prior_key, *prior);
                        key
                    }
                    Pending::Delete { key, prior } => {
                        self.people.insert(key.clone(), prior);
                        key
                    }
                };
                self.report(
                    &key,
                    Diagnostic::error(
                        "Unexpected result from the Domo client",
                        format!("users[\"{key}\"]: the change finished with a result of another kind. This is a bug; please report it. The next plan shows what is left to do."),
                    )
                    .at(entry_path(&key, None)),
                );
            }
        }
    }
}

/// "Could not update Domo user", naming and pointing at the entry.
fn entry_error(action: Action, key: &str, error: &DomoError) -> Diagnostic {
    let mut diagnostic = api_error(action, ObjectKind::User, error);
    diagnostic.detail = format!("users[\"{key}\"]: {}", diagnostic.detail);
    diagnostic.at(entry_path(key, None))
}

/// An entry whose address another Domo user has; `error` is Domo's refusal
/// when there was one (otherwise the listing showed it).
fn existing_email(key: &str, error: Option<&DomoError>) -> Diagnostic {
    let said = error
        .map(|e| format!(" Domo said: {e}"))
        .unwrap_or_default();
    Diagnostic::error(
        "A Domo user with this email already exists",
        format!(
            "users[\"{key}\"]: a Domo user this roster does not manage already has this address, and emails are unique within a Domo instance.{said}\n\nTo bring existing users under this roster, set adopt_existing = true on the domo_user_roster: each such user is then adopted and updated to match its entry. Otherwise remove the entry or use another address."
        ),
    )
    .at(entry_path(key, None))
}

/// The change that writes `planned` into Domo for `key`: the whole user,
/// with the key as its address.
fn fields_for(key: &str, planned: &RosterEntry) -> Result<crate::domo::UserFields, Diagnostic> {
    planned
        .profile
        .fields(
            &Field::Known(key.to_owned()),
            &planned.timezone,
            &planned.locale,
        )
        .map_err(|d| {
            let mut d = d.into_first();
            d.attribute = Some(entry_path(
                key,
                d.attribute.as_ref().and_then(|p| p.last_attribute()),
            ));
            d
        })
}

/// Brings Domo from `prior` (empty on create) to `planned`: one bulk call
/// for every create, update and delete, then the state of what exists.
///
/// On the roster's first apply (`first_apply`), Domo's users are listed
/// before anything is written: when entries' addresses are taken and
/// `adopt_existing` is off, the apply fails with nothing done (a clean
/// error, which leaves no half-created roster for Terraform to taint).
async fn apply_roster(
    client: &DomoClient,
    mut prior: BTreeMap<String, Person>,
    mut planned: RosterModel,
    first_apply: bool,
) -> Result<Outcome<RosterModel>, Diagnostics> {
    // People are moved, never copied: a roster may hold 20,000.
    let Some(wanted) = planned.take_people() else {
        return Err(Diagnostic::error(
            "users is not known",
            "Terraform sent a roster whose users are not known at apply time; this is a bug, please report it.",
        )
        .at(AttributePath::root("users"))
        .into());
    };
    let prior_keys: HashMap<String, String> =
        prior.keys().map(|k| (email_key(k), k.clone())).collect();
    let send_invite = planned.send_invite.known().copied().unwrap_or(false);
    let mut assembly = Assembly {
        first_apply,
        ..Assembly::default()
    };
    let mut changes: Vec<(Pending, UserChange)> = Vec::new();
    let mut to_create: Vec<(String, Person)> = Vec::new();

    for (key, person) in wanted {
        let prior_key = if prior.contains_key(&key) {
            Some(key.clone())
        } else {
            prior_keys.get(&email_key(&key)).cloned()
        };
        let Some((prior_key, before)) = prior_key.and_then(|k| prior.remove_entry(&k)) else {
            to_create.push((key, person));
            continue;
        };
        if before.account.is_pending() {
            to_create.push((key, person));
            continue;
        }
        if !before.differs_in_domo(&key, &person.entry) {
            // The plan kept Domo's values; should any be unknown, the
            // prior ones are still true (Domo is not written).
            let mut person = person;
            person.account = person.account.known_from(&before.account);
            assembly.people.insert(key, person);
            continue;
        }
        let change = before.account.id(&prior_key).and_then(|id| {
            Ok(UserChange::Update {
                id,
                fields: fields_for(&key, &person.entry)?,
            })
        });
        match change {
            Ok(change) => changes.push((
                Pending::Update {
                    key,
                    planned: person,
                    prior_key,
                    prior: Box::new(before),
                },
                change,
            )),
            Err(diagnostic) => {
                assembly.report(&key, diagnostic);
                assembly.people.insert(prior_key, before);
            }
        }
    }

    // What is left of the prior people left the map.
    let removed = std::mem::take(&mut prior);
    if planned.on_removal() == KEEP {
        tracing::debug!(
            users = removed.len(),
            "on_removal = keep: users leave the roster, not Domo"
        );
    } else {
        for (key, before) in removed {
            if before.account.is_pending() {
                continue; // never created: nothing to delete
            }
            match before.account.id(&key) {
                Ok(id) => changes.push((
                    Pending::Delete { key, prior: before },
                    UserChange::Delete { id },
                )),
                Err(diagnostic) => {
                    assembly.report(&key, diagnostic);
                    assembly.people.insert(key, before);
                }
            }
        }
    }

    // New people: created, or adopted when their address is taken.
    let adopt = planned.adopt_existing();
    let existing: HashMap<String, User> = if (adopt || first_apply) && !to_create.is_empty() {
        let users = client
            .list_all_users()
            .await
            .map_err(|e| Diagnostics::from(api_error(Action::List, ObjectKind::User, &e)))?;
        users
            .into_iter()
            .map(|u| (email_key(&u.email), u))
            .collect()
    } else {
        HashMap::new()
    };
    if !adopt && !existing.is_empty() {
        let mut taken = EntryDiagnostics::default();
        for (key, _) in &to_create {
            if existing.contains_key(&email_key(key)) {
                taken.push(key, existing_email(key, None));
            }
        }
        if taken.errors > 0 {
            return Err(taken.finish(
                "Nothing was changed in Domo. Set adopt_existing = true to adopt these users, or remove their entries.",
            ));
        }
    }
    let mut adopted = 0usize;
    for (key, person) in to_create {
        let fields = match fields_for(&key, &person.entry) {
            Ok(fields) => fields,
            Err(d) => {
                assembly.creation_failed(key, person, d);
                continue;
            }
        };
        let found = existing.get(&email_key(&key)).filter(|_| adopt);
        let change = match found {
            Some(user) if !person.entry.adoption_needs_update(user) => {
                adopted += 1;
                assembly.store(key, person, user);
                continue;
            }
            Some(user) => {
                adopted += 1;
                UserChange::Update {
                    id: user.id,
                    fields,
                }
            }
            None => UserChange::Create {
                fields,
                send_invite,
            },
        };
        let adopting = matches!(change, UserChange::Update { .. });
        changes.push((
            Pending::Create {
                key,
                planned: person,
                adopting,
            },
            change,
        ));
    }
    drop(existing);

    tracing::debug!(changes = changes.len(), adopted, "applying a user roster");
    for (pending, result) in client.apply_user_changes(changes).await {
        assembly.settle(pending, result);
    }
    let diagnostics = assembly.diagnostics.finish(
        "Every failed entry is left as it was in Domo (and in state); the next plan shows them again and apply retries only those.",
    );
    let created_any = assembly.created_any;
    let mut outcome = Outcome::new(planned.with_people(assembly.people));
    outcome.diagnostics = diagnostics;
    if created_any {
        outcome = outcome.with_private(creation_mark(SystemTime::now()));
    }
    Ok(outcome)
}

/// What `terraform import` accepts.
#[derive(Debug, PartialEq, Eq)]
enum ImportFilter {
    All,
    EmailDomain(String),
    Role(String),
}

impl ImportFilter {
    fn parse(raw: &str) -> Result<ImportFilter, Diagnostic> {
        let raw = raw.trim();
        let usage = "Use one of:\n\n  terraform import domo_user_roster.NAME all\n  terraform import domo_user_roster.NAME email_domain:example.com\n  terraform import domo_user_roster.NAME role:Participant";
        if raw == "all" {
            return Ok(ImportFilter::All);
        }
        if let Some(domain) = raw.strip_prefix("email_domain:") {
            let domain = domain.trim().trim_start_matches('@').to_lowercase();
            let valid = !domain.is_empty()
                && !domain.contains(['@', ' '])
                && domain.split('.').all(|label| !label.is_empty());
            if valid {
                return Ok(ImportFilter::EmailDomain(domain));
            }
            return Err(Diagnostic::error(
                "Invalid import filter",
                format!("\"{raw}\": the domain must be the part of the address after '@', such as example.com. {usage}"),
            ));
        }
        if let Some(role) = raw.strip_prefix("role:") {
            let role = Field::Known(role.trim().to_owned());
            if let Some(mut problem) = check_role(&role, AttributePath::default()) {
                problem.attribute = None;
                return Err(problem);
            }
            return Ok(ImportFilter::Role(
                role.known().cloned().unwrap_or_default(),
            ));
        }
        Err(Diagnostic::error(
            "Invalid import filter",
            format!("\"{raw}\" is not a roster import filter. {usage}"),
        ))
    }

    fn matches(&self, user: &User) -> bool {
        match self {
            ImportFilter::All => true,
            ImportFilter::EmailDomain(domain) => user
                .email
                .trim()
                .rsplit_once('@')
                .is_some_and(|(_, d)| d.to_lowercase() == *domain),
            ImportFilter::Role(role) => user.role == *role,
        }
    }
}

pub struct UserRosterResource;

#[tonic::async_trait]
impl Resource for UserRosterResource {
    type Model = RosterModel;
    const TYPE_NAME: &'static str = "domo_user_roster";
    const DESCRIPTION: &'static str = "Many users of a Domo instance in one resource: a map keyed by email address, each entry with what a `domo_user` sets. Made for synchronising a whole company's accounts (tens of thousands of people) from a file, with one plan entry per person that changes. Removing an entry deletes the user in Domo unless `on_removal = \"keep\"`.";

    fn validate(&self, config: &RosterModel) -> Diagnostics {
        problems(config)
    }

    fn modify_plan(
        &self,
        prior: Option<&RosterModel>,
        planned: &mut RosterModel,
        config: &RosterModel,
    ) -> Diagnostics {
        // Defaults come from the configuration: a setting removed from it
        // goes back to its default rather than keeping its prior value.
        planned.adopt_existing =
            Field::Known(config.adopt_existing.known().copied().unwrap_or(false));
        planned.send_invite = Field::Known(config.send_invite.known().copied().unwrap_or(false));
        planned.on_removal = match &config.on_removal {
            Field::Null => Field::Known(DELETE.to_owned()),
            other => other.clone(),
        };
        let Field::Known(users) = &planned.users else {
            planned.accounts = Field::Unknown;
            return Diagnostics::default();
        };
        let empty_users = BTreeMap::new();
        let empty_accounts = BTreeMap::new();
        let prior_users = prior.and_then(|p| p.users.known()).unwrap_or(&empty_users);
        let prior_accounts = prior
            .and_then(|p| p.accounts.known())
            .unwrap_or(&empty_accounts);
        let prior_keys: HashMap<String, &str> = prior_users
            .keys()
            .map(|k| (email_key(k), k.as_str()))
            .collect();
        let prior_key_of = |key: &str| {
            if prior_users.contains_key(key) {
                Some(key.to_owned())
            } else {
                prior_keys.get(&email_key(key)).map(|k| k.to_string())
            }
        };
        let mut accounts = BTreeMap::new();
        for (key, entry) in users {
            let before = prior_key_of(key)
                .and_then(|k| Some((prior_users.get(&k)?, prior_accounts.get(&k)?)))
                .filter(|(_, account)| !account.is_pending());
            let account = match before {
                // New: what Domo assigns is unknown, except the address.
                None => RosterAccount::planned_for(key),
                // The same person (perhaps under a key spelled differently):
                // what Domo gave stays unless Domo is written.
                Some((before_entry, before_account)) => {
                    let changes = differs_in_domo(before_entry, before_account, key, entry);
                    let mut account = before_account.clone();
                    if !account.email.known().is_some_and(|e| same_email(e, key)) {
                        account.email = Field::Known(key.clone());
                    }
                    if changes {
                        account.updated_at = Field::Unknown;
                        let same_role = before_entry.profile.role == entry.profile.role
                            && before_entry.profile.role_id == entry.profile.role_id;
                        if !same_role {
                            account.role = planned_role_name(&entry.profile);
                        }
                    }
                    account
                }
            };
            accounts.insert(key.clone(), account);
        }
        planned.accounts = Field::Known(accounts);
        Diagnostics::default()
    }

    async fn create(
        &self,
        client: &DomoClient,
        planned: RosterModel,
    ) -> Result<Outcome<RosterModel>, Diagnostics> {
        apply_roster(client, BTreeMap::new(), planned, true).await
    }

    async fn read(
        &self,
        client: &DomoClient,
        mut current: RosterModel,
        private: &[u8],
    ) -> Result<Outcome<RosterModel>, Diagnostics> {
        let Some(people) = current.take_people() else {
            return Ok(Outcome::new(current));
        };
        let mut diagnostics = EntryDiagnostics::default();
        let mut refreshed = BTreeMap::new();
        let mut to_read: Vec<(String, Person, u64)> = Vec::with_capacity(people.len());
        for (key, person) in people {
            if person.account.is_pending() {
                refreshed.insert(key, person); // created by the next apply
                continue;
            }
            match person.account.id(&key) {
                Ok(id) => to_read.push((key, person, id)),
                Err(diagnostic) => {
                    diagnostics.push(&key, diagnostic);
                    refreshed.insert(key, person);
                }
            }
        }
        let ids: Vec<u64> = to_read.iter().map(|(_, _, id)| *id).collect();
        let mut found = client.read_users(&ids).await;
        // A user missing right after this roster created users may only be
        // Domo's replication lag: ask again for a bounded time.
        if created_recently(private, SystemTime::now()) {
            retry_missing(client, &ids, &mut found).await;
        }
        for ((key, person, id), result) in to_read.into_iter().zip(found) {
            match result {
                Ok(Some(user)) => {
                    let person = Person {
                        entry: person.entry.refreshed(&person.account.role, &user),
                        account: person.account.refreshed(&user),
                    };
                    refreshed.insert(key, person);
                }
                Ok(None) => diagnostics.push(
                    &key,
                    Diagnostic::warning(
                        "Domo user no longer exists",
                        format!("users[\"{key}\"]: Domo user {id} was not found or has been deleted in Domo. It was removed from Terraform state; the next plan creates it again."),
                    )
                    .at(entry_path(&key, None)),
                ),
                Err(e) => {
                    diagnostics.push(&key, entry_error(Action::Read, &key, &e));
                    refreshed.insert(key, person);
                }
            }
        }
        let mut outcome = Outcome::new(current.with_people(refreshed));
        outcome.diagnostics = diagnostics.finish(
            "Users that no longer exist are planned for creation again; entries that could not be read keep their last known values.",
        );
        Ok(outcome)
    }

    async fn update(
        &self,
        client: &DomoClient,
        mut prior: RosterModel,
        planned: RosterModel,
        _private: &[u8],
    ) -> Result<Outcome<RosterModel>, Diagnostics> {
        let people = prior.take_people().unwrap_or_default();
        apply_roster(client, people, planned, false).await
    }

    async fn delete(
        &self,
        client: &DomoClient,
        mut prior: RosterModel,
    ) -> Result<Outcome<RosterModel>, Diagnostics> {
        if prior.on_removal() == KEEP {
            return Ok(Outcome::gone());
        }
        let people = prior.take_people().unwrap_or_default();
        // Nobody wanted: every user is a removal.
        prior.users = Field::Known(BTreeMap::new());
        let outcome = apply_roster(client, people, prior, false).await?;
        // Every user deleted: the roster is gone. Otherwise it stays, with
        // the users that could not be deleted, and the errors.
        let nothing_left = outcome
            .state
            .as_ref()
            .and_then(|s| s.users.known())
            .is_none_or(BTreeMap::is_empty);
        if nothing_left && !outcome.diagnostics.has_errors() {
            return Ok(Outcome::gone());
        }
        Ok(outcome)
    }

    async fn import(
        &self,
        client: &DomoClient,
        raw: &str,
    ) -> Result<Outcome<RosterModel>, Diagnostics> {
        let filter = ImportFilter::parse(raw)?;
        let listed = client
            .list_all_users()
            .await
            .map_err(|e| Diagnostics::from(api_error(Action::Import, ObjectKind::User, &e)))?;
        let people: BTreeMap<String, Person> = listed
            .iter()
            .filter(|user| filter.matches(user))
            .map(|user| {
                let person = Person {
                    entry: RosterEntry::of(user),
                    account: RosterAccount::default().refreshed(user),
                };
                (user.email.clone(), person)
            })
            .collect();
        tracing::debug!(
            listed = listed.len(),
            imported = people.len(),
            "imported a user roster"
        );
        let settings = RosterModel {
            users: Field::Null,
            accounts: Field::Null,
            adopt_existing: Field::Known(false),
            on_removal: Field::Known(DELETE.to_owned()),
            send_invite: Field::Known(false),
        };
        Ok(Outcome::new(settings.with_people(people)))
    }
}

/// Reads again, with backoff for at most [`NOT_FOUND_RETRY_BUDGET`], the
/// users `found` reports as gone.
async fn retry_missing(
    client: &DomoClient,
    ids: &[u64],
    found: &mut [Result<Option<User>, DomoError>],
) {
    let started = std::time::Instant::now();
    let mut wait = Duration::from_millis(200);
    loop {
        let missing: Vec<usize> = found
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r, Ok(None)))
            .map(|(i, _)| i)
            .collect();
        if missing.is_empty() || started.elapsed() + wait >= NOT_FOUND_RETRY_BUDGET {
            return;
        }
        tracing::debug!(
            users = missing.len(),
            "new users not visible yet; reading again"
        );
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(3));
        let again: Vec<u64> = missing.iter().map(|i| ids[*i]).collect();
        for (index, result) in missing.into_iter().zip(client.read_users(&again).await) {
            found[index] = result;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domo::ClientConfig;
    use crate::framework::{register, AnyResource};
    use crate::protocol::{Model, Value};
    use crate::provider::models::tests::sample_user;
    use crate::sim::{SimConfig, SimUser, Simulator};

    fn resource() -> Box<dyn AnyResource> {
        register(UserRosterResource)
    }

    fn entry(name: &str, role: &str) -> RosterEntry {
        RosterEntry {
            profile: UserProfile {
                name: Field::Known(name.into()),
                role: Field::Known(role.into()),
                ..UserProfile::default()
            },
            ..RosterEntry::default()
        }
    }

    fn config(entries: &[(&str, RosterEntry)]) -> RosterModel {
        RosterModel {
            users: Field::Known(
                entries
                    .iter()
                    .map(|(k, e)| (k.to_string(), e.clone()))
                    .collect(),
            ),
            ..RosterModel::default()
        }
    }

    fn account(id: u64, email: &str) -> RosterAccount {
        RosterAccount {
            id: Field::Known(id.to_string()),
            email: Field::Known(email.into()),
            created_at: Field::Known("2026-01-01T00:00:00Z".into()),
            updated_at: Field::Known("2026-01-02T00:00:00Z".into()),
            role: Field::Known("Admin".into()),
        }
    }

    /// A state holding `people` as (key, entry, account).
    fn state(people: &[(&str, RosterEntry, RosterAccount)]) -> RosterModel {
        let people = people
            .iter()
            .map(|(k, e, a)| {
                let person = Person {
                    entry: e.clone(),
                    account: a.clone(),
                };
                (k.to_string(), person)
            })
            .collect();
        RosterModel {
            adopt_existing: Field::Known(false),
            on_removal: Field::Known(DELETE.into()),
            send_invite: Field::Known(false),
            ..RosterModel::default()
        }
        .with_people(people)
    }

    fn plan(prior: Option<&RosterModel>, config: &RosterModel) -> RosterModel {
        let prior = prior.map_or(Value::Null, Model::to_value);
        // Terraform proposes the configuration, computed values from prior.
        let mut proposed = config.clone();
        if let Value::Map(p) = &prior {
            proposed.accounts = RosterModel::from_value(&Value::Map(p.clone()))
                .unwrap()
                .unwrap()
                .accounts;
        }
        let planned = resource()
            .plan(prior, proposed.to_value(), config.to_value())
            .unwrap();
        assert!(planned.diagnostics.is_empty(), "{:?}", planned.diagnostics);
        RosterModel::from_value(&planned.state).unwrap().unwrap()
    }

    fn accounts(model: &RosterModel) -> &BTreeMap<String, RosterAccount> {
        model.accounts.known().expect("accounts known")
    }

    #[test]
    fn the_schema_keeps_configured_and_computed_values_apart() {
        let schema = resource().schema().clone();
        let names: Vec<_> = schema.attributes.iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            [
                "users",
                "accounts",
                "adopt_existing",
                "on_removal",
                "send_invite"
            ]
        );
        let users = &schema.attributes[0];
        assert!(users.nested);
        let fields: Vec<_> = users.fields.iter().map(|a| a.name).collect();
        assert_eq!(
            fields,
            [
                "name",
                "role",
                "role_id",
                "title",
                "alternate_email",
                "phone",
                "location",
                "employee_number",
                "timezone",
                "locale"
            ]
        );
        // Nothing in a users entry is computed: Terraform 1.0 can only
        // validate a nested map planned exactly as configured.
        assert!(users.fields.iter().all(|a| !a.is_computed()));
        let accounts = &schema.attributes[1];
        assert!(!accounts.nested && accounts.mode == crate::protocol::Mode::Computed);
    }

    #[test]
    fn validation_names_each_bad_entry_and_sums_up_past_twenty() {
        let r = resource();
        let cfg = config(&[
            ("not-an-email", entry("A", "Participant")),
            ("Ada@Example.com", entry("Ada", "Admin")),
            ("ada@example.com", entry("Ada", "admin")),
            ("bob@example.com", entry("  ", "Participant")),
        ]);
        let d = r.validate(&cfg.to_value());
        let paths = d.paths();
        assert!(paths.contains(&entry_path("not-an-email", None)), "{d:?}");
        assert!(
            paths.contains(&entry_path("ada@example.com", None)),
            "{d:?}"
        );
        assert!(paths.contains(&entry_path("ada@example.com", Some("role"))));
        assert!(paths.contains(&entry_path("bob@example.com", Some("name"))));
        let dup =
            d.0.iter()
                .find(|d| d.summary == "Duplicate email in users")
                .unwrap();
        assert!(dup.detail.contains("Ada@Example.com") && dup.detail.contains("ada@example.com"));
        let role =
            d.0.iter()
                .find(|d| d.summary == "Invalid Domo role")
                .unwrap();
        assert!(
            role.detail.starts_with("users[\"ada@example.com\"]: "),
            "{}",
            role.detail
        );
        assert!(role.detail.contains("Did you mean \"Admin\""));

        let many: Vec<(String, RosterEntry)> = (0..30)
            .map(|i| (format!("u{i:02}@example.com"), entry("U", "Owner")))
            .collect();
        let cfg = RosterModel {
            users: Field::Known(many.into_iter().collect()),
            on_removal: Field::Known("forget".into()),
            ..RosterModel::default()
        };
        let d = r.validate(&cfg.to_value());
        assert_eq!(d.0.len(), 1 + 20 + 1, "{d:?}");
        assert_eq!(d.0[0].attribute, Some(AttributePath::root("on_removal")));
        let summary = d.0.last().unwrap();
        assert_eq!(summary.summary, "10 more entries with errors");
        assert!(summary.detail.contains("\"u29@example.com\""));
        assert!(!summary.detail.contains("\"u00@example.com\""));
        // Unknown values are checked once known.
        let unknown = RosterModel {
            users: Field::Unknown,
            ..RosterModel::default()
        };
        assert!(r.validate(&unknown.to_value()).is_empty());
    }

    #[test]
    fn a_new_roster_plans_every_account_unknown_but_its_address() {
        let cfg = config(&[("Ada@Example.com", entry("Ada", "Admin"))]);
        let planned = plan(None, &cfg);
        let a = &accounts(&planned)["Ada@Example.com"];
        assert!(a.id.is_unknown() && a.created_at.is_unknown() && a.updated_at.is_unknown());
        assert_eq!(a.email.as_deref(), Some("Ada@Example.com"));
        assert_eq!(planned.users, cfg.users, "users are planned as configured");
        assert_eq!(planned.adopt_existing, Field::Known(false));
        assert_eq!(planned.send_invite, Field::Known(false));
        assert_eq!(planned.on_removal.as_deref(), Some("delete"));
    }

    #[test]
    fn only_changed_entries_plan_unknown_values() {
        let prior = state(&[
            ("a@x.com", entry("A", "Admin"), account(1, "a@x.com")),
            ("b@x.com", entry("B", "Admin"), account(2, "b@x.com")),
            ("c@x.com", entry("C", "Admin"), account(3, "C@X.com")),
            ("gone@x.com", entry("G", "Admin"), account(4, "gone@x.com")),
            (
                "moved@x.com",
                entry("M", "Admin"),
                account(5, "other@x.com"),
            ),
            (
                "pending@x.com",
                entry("P", "Admin"),
                RosterAccount::pending("pending@x.com"),
            ),
        ]);
        let mut b = entry("B", "Admin");
        b.profile.title = Field::Known("Boss".into());
        let cfg = config(&[
            ("a@x.com", entry("A", "Admin")),
            ("b@x.com", b),
            ("c@X.COM", entry("C", "Admin")),
            ("moved@x.com", entry("M", "Admin")),
            ("pending@x.com", entry("P", "Admin")),
            ("new@x.com", entry("N", "Participant")),
        ]);
        let planned = plan(Some(&prior), &cfg);
        let acc = accounts(&planned);
        assert_eq!(acc["a@x.com"], account(1, "a@x.com"), "unchanged");
        assert_eq!(acc["b@x.com"].id.as_deref(), Some("2"));
        assert!(acc["b@x.com"].updated_at.is_unknown(), "changed");
        // Another letter case is the same person, unchanged.
        assert_eq!(acc["c@X.COM"], account(3, "C@X.com"));
        // An address changed in Domo is set back to the key.
        assert_eq!(acc["moved@x.com"].email.as_deref(), Some("moved@x.com"));
        assert!(acc["moved@x.com"].updated_at.is_unknown());
        assert_eq!(
            acc["pending@x.com"],
            RosterAccount::planned_for("pending@x.com")
        );
        assert_eq!(acc["new@x.com"], RosterAccount::planned_for("new@x.com"));
        assert!(!acc.contains_key("gone@x.com"));
    }

    #[test]
    fn settings_removed_from_the_configuration_go_back_to_their_defaults() {
        let mut prior = state(&[]);
        prior.on_removal = Field::Known(KEEP.into());
        prior.adopt_existing = Field::Known(true);
        let planned = plan(Some(&prior), &config(&[]));
        assert_eq!(planned.on_removal.as_deref(), Some("delete"));
        assert_eq!(planned.adopt_existing, Field::Known(false));
        assert_eq!(planned.accounts, Field::Known(BTreeMap::new()));
    }

    #[test]
    fn refresh_keeps_configured_spellings_and_write_only_values() {
        let mut ours = entry("Ada", "Admin");
        ours.timezone = Field::Known("Europe/London".into());
        ours.profile.employee_number = Field::Known("007".into());
        let user = sample_user(42, "ADA@example.com", "Privileged");
        let r = ours.refreshed(&Field::Null, &user);
        assert_eq!(r.timezone.as_deref(), Some("Europe/London"));
        assert_eq!(r.profile.employee_number.as_deref(), Some("007"));
        assert_eq!(r.profile.role.as_deref(), Some("Privileged"), "drift");
        let a = account(42, "ada@example.com").refreshed(&user);
        assert_eq!(a.email.as_deref(), Some("ada@example.com"));
        let a = account(42, "someone@example.com").refreshed(&user);
        assert_eq!(a.email.as_deref(), Some("ADA@example.com"));
        let mut half = account(42, "a@x.com");
        half.updated_at = Field::Unknown;
        assert_eq!(
            half.known_from(&account(42, "b@x.com")),
            account(42, "a@x.com")
        );
        // Adoption writes only where Domo differs, or a write-only value is set.
        let domo = sample_user(1, "a@x.com", "Admin");
        let same = RosterEntry::of(&domo);
        assert!(!same.adoption_needs_update(&domo));
        assert!(ours.adoption_needs_update(&domo));
        let mut with_locale = same.clone();
        with_locale.locale = Field::Known("en-US".into());
        assert!(with_locale.adoption_needs_update(&domo));
    }

    #[test]
    fn an_entry_keeps_its_role_in_the_form_it_sets_it() {
        let by_id = |id: u64| RosterEntry {
            profile: UserProfile {
                name: Field::Known("Ada".into()),
                role_id: Field::Known(id),
                ..UserProfile::default()
            },
            ..RosterEntry::default()
        };
        let mut auditor = sample_user(1, "a@x.com", "Auditor");
        // Domo does not say the custom role's id: the name it reported last
        // time settles it.
        let roles = |e: RosterEntry| (e.profile.role, e.profile.role_id);
        let ours = by_id(101);
        let last = Field::Known("Auditor".to_string());
        assert_eq!(roles(ours.refreshed(&last, &auditor)), roles(ours.clone()));
        // Another custom role, id untold: the id is no longer known, which
        // the plan shows as a change back to 101.
        auditor.role = "Reviewer".into();
        let drifted = ours.refreshed(&last, &auditor).profile;
        assert_eq!((drifted.role, drifted.role_id), (Field::Null, Field::Null));
        // When Domo does say the id, it is the id.
        auditor.role_id = Some(102);
        assert_eq!(
            ours.refreshed(&last, &auditor).profile.role_id,
            Field::Known(102)
        );
        // A default role set by id reads back as that id.
        let editor = sample_user(2, "b@x.com", "Editor");
        assert_eq!(
            roles(by_id(3).refreshed(&Field::Null, &editor)),
            roles(by_id(3))
        );
        assert_eq!(
            by_id(4).refreshed(&Field::Null, &editor).profile.role_id,
            Field::Known(3)
        );
        // By name: only the name, whatever Domo sends.
        let by_name = entry("Ada", "Admin");
        let read = by_name.refreshed(&Field::Null, &editor).profile;
        assert_eq!(
            (read.role.as_deref(), read.role_id),
            (Some("Editor"), Field::Null)
        );

        // An import names a default role, and a custom one by id if known.
        let imported = RosterEntry::of(&editor).profile;
        assert_eq!(
            (imported.role.as_deref(), imported.role_id),
            (Some("Editor"), Field::Null)
        );
        let imported = RosterEntry::of(&auditor).profile;
        assert_eq!(
            (imported.role, imported.role_id),
            (Field::Null, Field::Known(102))
        );

        // The account keeps the name Domo reports, for the next refresh.
        assert_eq!(
            account(1, "a@x.com").refreshed(&auditor).role.as_deref(),
            Some("Reviewer")
        );
        assert_eq!(
            planned_role_name(&by_id(5).profile).as_deref(),
            Some("Social")
        );
        assert!(planned_role_name(&by_id(101).profile).is_unknown());
    }

    #[test]
    fn a_plan_that_changes_the_role_plans_its_name() {
        let prior = state(&[("a@x.com", entry("A", "Admin"), account(1, "a@x.com"))]);
        let cfg = config(&[("a@x.com", entry("A", "Editor"))]);
        let planned = plan(Some(&prior), &cfg);
        assert_eq!(
            accounts(&planned)["a@x.com"].role.as_deref(),
            Some("Editor")
        );
        let mut custom = entry("A", "Admin");
        custom.profile.role = Field::Null;
        custom.profile.role_id = Field::Known(101);
        let planned = plan(Some(&prior), &config(&[("a@x.com", custom)]));
        assert!(accounts(&planned)["a@x.com"].role.is_unknown());
    }

    #[test]
    fn import_filters() {
        assert_eq!(ImportFilter::parse(" all "), Ok(ImportFilter::All));
        assert_eq!(
            ImportFilter::parse("email_domain:@Example.COM"),
            Ok(ImportFilter::EmailDomain("example.com".into()))
        );
        assert_eq!(
            ImportFilter::parse("role:Admin"),
            Ok(ImportFilter::Role("Admin".into()))
        );
        let bad = ImportFilter::parse("role:admin").unwrap_err();
        assert!(
            bad.detail.contains("Did you mean \"Admin\""),
            "{}",
            bad.detail
        );
        assert!(ImportFilter::parse("email_domain:").is_err());
        let usage = ImportFilter::parse("jane@example.com").unwrap_err();
        assert!(usage.detail.contains("email_domain:example.com"));
        let user = sample_user(1, "Ada@Example.com", "Admin");
        assert!(ImportFilter::EmailDomain("example.com".into()).matches(&user));
        assert!(!ImportFilter::EmailDomain("ample.com".into()).matches(&user));
        assert!(!ImportFilter::Role("Participant".into()).matches(&user));
    }

    fn client(sim: &Simulator) -> DomoClient {
        DomoClient::new(ClientConfig {
            api_host: sim.base_url(),
            client_id: "sim-client".into(),
            client_secret: "sim-secret".into(),
            ..ClientConfig::default()
        })
        .unwrap()
    }

    fn people(n: usize) -> RosterModel {
        let entries: Vec<(String, RosterEntry)> = (0..n)
            .map(|i| {
                (
                    format!("p{i}@example.com"),
                    entry(&format!("P {i}"), "Participant"),
                )
            })
            .collect();
        let cfg = RosterModel {
            users: Field::Known(entries.into_iter().collect()),
            ..RosterModel::default()
        };
        plan(None, &cfg)
    }

    /// The state of a roster created from `config` without a problem.
    async fn created(client: &DomoClient, config: RosterModel) -> RosterModel {
        let outcome = UserRosterResource.create(client, config).await;
        outcome.expect("created").state.expect("a state")
    }

    fn ids(model: &RosterModel) -> Vec<String> {
        accounts(model)
            .values()
            .filter_map(|a| a.id.known().cloned())
            .collect()
    }

    #[tokio::test]
    async fn a_first_apply_with_failures_warns_and_leaves_them_pending() {
        let sim = Simulator::start(SimConfig {
            fail_every_nth_create: 4,
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let client = client(&sim);
        let outcome = UserRosterResource.create(&client, people(8)).await.unwrap();
        assert!(outcome
            .diagnostics
            .0
            .iter()
            .all(|d| d.severity == Severity::Warning));
        assert_eq!(outcome.diagnostics.0.len(), 2);
        let state = outcome.state.unwrap();
        assert_eq!(state.users.known().unwrap().len(), 8, "as planned");
        let pending = accounts(&state).values().filter(|a| a.is_pending()).count();
        assert_eq!(pending, 2);
        let mut in_domo: Vec<String> = sim
            .store()
            .users()
            .iter()
            .map(|u| u.id.to_string())
            .collect();
        let mut in_state = ids(&state);
        in_domo.sort();
        in_state.sort();
        assert_eq!(in_state, in_domo, "state holds exactly Domo's users");
        assert!(outcome.private.is_some());

        // The next apply is an update: it creates only the pending ones,
        // and a failure there is an error.
        let planned = plan(Some(&state), &people(8));
        let outcome = UserRosterResource
            .update(&client, state, planned, &[])
            .await
            .unwrap();
        assert_eq!(sim.store().stats().create_requests, 10);
        let state = outcome.state.unwrap();
        let failed = 8 - ids(&state).len();
        assert_eq!(
            failed, 0,
            "creates 9 and 10 succeed: {:?}",
            outcome.diagnostics
        );
        assert_eq!(sim.store().users().len(), 8);
    }

    #[tokio::test]
    async fn later_failures_are_errors_and_keep_what_exists() {
        let sim = Simulator::start(SimConfig::default()).await.unwrap();
        let client = client(&sim);
        let state = created(&client, people(6)).await;
        let mut config = sim.store().config();
        config.fail_every_nth_create = 1; // every create fails from now on
        sim.store().set_config(config);
        // p0 removed, p1 changed, p6 and p7 new, p2 deleted behind our back.
        let victim = accounts(&state)["p2@example.com"].id("p2").unwrap();
        assert!(sim.store().purge(victim));
        let mut wanted = people(8);
        let mut users = wanted.users.known().unwrap().clone();
        users.remove("p0@example.com");
        users.get_mut("p1@example.com").unwrap().profile.title = Field::Known("T".into());
        users.get_mut("p2@example.com").unwrap().profile.title = Field::Known("T".into());
        wanted.users = Field::Known(users);
        let planned = plan(Some(&state), &wanted);
        let outcome = UserRosterResource
            .update(&client, state, planned, &[])
            .await
            .unwrap();
        let errors: Vec<_> = outcome
            .diagnostics
            .0
            .iter()
            .map(|d| d.attribute.clone().unwrap())
            .collect();
        assert!(outcome
            .diagnostics
            .0
            .iter()
            .all(|d| d.severity == Severity::Error));
        assert_eq!(
            errors.len(),
            3,
            "p6, p7 not created; p2 gone: {:?}",
            outcome.diagnostics
        );
        assert!(errors.contains(&entry_path("p6@example.com", None)));
        let state = outcome.state.unwrap();
        let keys: Vec<&String> = state.users.known().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "p1@example.com",
                "p3@example.com",
                "p4@example.com",
                "p5@example.com"
            ]
        );
        assert_eq!(
            state.users.known().unwrap()["p1@example.com"]
                .profile
                .title
                .as_deref(),
            Some("T")
        );
        assert!(accounts(&state)
            .values()
            .all(|a| !a.id.is_unknown() && !a.updated_at.is_unknown()));
        assert_eq!(sim.store().users().len(), 4);
    }

    #[tokio::test]
    async fn existing_addresses_fail_a_first_apply_cleanly_unless_adopted() {
        let sim = Simulator::start(SimConfig::default()).await.unwrap();
        let client = client(&sim);
        sim.store().insert_user(SimUser {
            name: "P 1".into(),
            email: "P1@example.com".into(),
            role: "Participant".into(),
            ..SimUser::default()
        });
        sim.store().insert_user(SimUser {
            name: "Someone else".into(),
            email: "p2@example.com".into(),
            role: "Admin".into(),
            ..SimUser::default()
        });
        let err = UserRosterResource
            .create(&client, people(4))
            .await
            .unwrap_err();
        assert_eq!(err.0.len(), 2, "{err:?}");
        assert!(err.0[0].detail.contains("adopt_existing = true"));
        assert_eq!(sim.store().users().len(), 2, "nothing was created");

        let mut wanted = people(4);
        wanted.adopt_existing = Field::Known(true);
        sim.store().reset_stats();
        let state = created(&client, wanted).await;
        let stats = sim.store().stats();
        assert_eq!(
            (stats.create_requests, stats.update_requests),
            (2, 1),
            "{stats:?}"
        );
        assert_eq!(sim.store().users().len(), 4);
        let p2 = sim
            .store()
            .users()
            .into_iter()
            .find(|u| u.email == "p2@example.com")
            .unwrap();
        assert_eq!((p2.name.as_str(), p2.role.as_str()), ("P 2", "Participant"));
        assert_eq!(ids(&state).len(), 4);
    }

    #[tokio::test]
    async fn removal_and_destroy_follow_on_removal() {
        let sim = Simulator::start(SimConfig::default()).await.unwrap();
        let client = client(&sim);
        let mut wanted = people(3);
        wanted.on_removal = Field::Known(KEEP.into());
        let state = created(&client, wanted).await;
        let outcome = UserRosterResource.delete(&client, state).await.unwrap();
        assert!(outcome.state.is_none());
        assert_eq!(sim.store().users().len(), 3, "kept");
        assert_eq!(sim.store().stats().delete_requests, 0);

        let state = UserRosterResource
            .import(&client, "all")
            .await
            .unwrap()
            .state
            .unwrap();
        assert_eq!(state.on_removal.as_deref(), Some("delete"));
        assert_eq!(ids(&state).len(), 3);
        let outcome = UserRosterResource.delete(&client, state).await.unwrap();
        assert!(outcome.state.is_none() && outcome.diagnostics.is_empty());
        assert!(sim.store().users().is_empty());
    }

    #[tokio::test]
    async fn refresh_reads_the_listing_once_and_drops_deleted_users_with_a_warning() {
        let sim = Simulator::start(SimConfig::default()).await.unwrap();
        let client = client(&sim);
        let state = created(&client, people(600)).await;
        let users = sim.store().users();
        assert!(sim.store().purge(users[10].id));
        assert!(sim
            .store()
            .edit_user(users[20].id, |u| u.title = Some("Drift".into())));
        let client = self::client(&sim); // a fresh process
        sim.store().reset_stats();
        let outcome = UserRosterResource.read(&client, state, &[]).await.unwrap();
        let stats = sim.store().stats();
        assert_eq!(
            (
                stats.token_requests,
                stats.list_requests,
                stats.get_requests
            ),
            (1, 2, 1),
            "{stats:?}"
        );
        assert_eq!(outcome.diagnostics.0.len(), 1);
        assert_eq!(outcome.diagnostics.0[0].severity, Severity::Warning);
        let state = outcome.state.unwrap();
        assert_eq!(state.users.known().unwrap().len(), 599);
        assert_eq!(accounts(&state).len(), 599);
        let drifted = &state.users.known().unwrap()[&users[20].email];
        assert_eq!(drifted.profile.title.as_deref(), Some("Drift"));
    }
}
