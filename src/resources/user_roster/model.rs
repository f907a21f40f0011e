//! The roster as Terraform holds it, and what makes two entries the same
//! person: the configured `users` entries ([`RosterEntry`]), what Domo
//! assigned to each ([`RosterAccount`]), the resource's model
//! ([`RosterModel`]), one person with both sides ([`Person`]), and the
//! rules every stage shares: how keys compare ([`email_key`]), where an
//! entry's diagnostics point ([`entry_path`]), and when Domo must be
//! written for a person ([`differs_in_domo`]).

use std::collections::{BTreeMap, HashMap};

use crate::domo::roles::{role_id_of, role_name_of};
use crate::domo::{same_email, User};
use crate::model;
use crate::protocol::{AsWritten, AttributePath, Diagnostic, DynamicMap, Field};
use crate::provider::models::UserProfile;
use crate::provider::rules::parse_id;

/// `on_removal` values.
pub(super) const DELETE: &str = "delete";
pub(super) const KEEP: &str = "keep";

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
        /// A key that leaves the map while a new one arrives with the same
        /// `employee_number` is the same person whose address changed: the
        /// account is kept and its email changed in place (the plan warns,
        /// naming both addresses). Employee numbers compare as numbers
        /// (`0042` is `42`), and two entries with the same one are an error.
        /// Declared to Terraform as `dynamic`, so that Terraform passes the
        /// map on as written instead of converting it (a conversion whose
        /// time grows with the square of the number of entries); the
        /// provider checks each entry as Terraform would, naming it.
        users: Field<DynamicMap<RosterEntry>> [required],
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
        /// How many users one apply may delete from Domo through this
        /// roster: a plan whose removals would delete more fails at plan
        /// time, before anything is sent to Domo, naming the entries. Not
        /// set (the default): 10% of the users the roster manages, rounded
        /// up, so that an export cut short (an empty file, most of the
        /// roster gone) cannot delete a company, while the leavers of a
        /// normal sync go through (a roster of 1 to 10 people may lose one
        /// per apply, of 2,000 people 200). Set it for a change that really
        /// removes more (such as `max_removals = 150`), and remove it
        /// afterwards; `0` allows no delete at all. Removals under
        /// `on_removal = "keep"` delete nothing and are not limited, an
        /// entry renamed (same `employee_number`, new address) keeps its
        /// account and is no removal, and `terraform destroy` is not
        /// limited.
        max_removals: Field<u64> [optional],
        /// Whether Domo emails an invitation to each user this roster
        /// creates (never to adopted users). Used only at creation.
        /// Defaults to `false`.
        send_invite: Field<bool> [optional, computed],
    }
}

/// `users["<key>"].<attribute>`, or `users["<key>"]` for `None`.
pub(super) fn entry_path(key: &str, attribute: Option<&str>) -> AttributePath {
    let path = AttributePath::root("users").key(key);
    match attribute {
        Some(name) => path.attribute(name),
        None => path,
    }
}

/// How keys and addresses are compared: Domo's email rule.
pub(super) fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// How employee numbers are compared: as numbers, so "0042" and "42" are
/// the same (as [`same_number`](crate::domo::model::same_number) says); one with other characters compares
/// as written. `None` when there is none (null, unknown, or blank): such an
/// entry is recognised by its address only.
pub(super) fn employee_key(number: &Field<String>) -> Option<String> {
    let number = number.known()?.trim();
    if number.is_empty() {
        return None;
    }
    if number.bytes().all(|c| c.is_ascii_digit()) {
        let digits = number.trim_start_matches('0');
        return Some(if digits.is_empty() { "0" } else { digits }.to_owned());
    }
    Some(number.to_owned())
}

/// The keys of a roster's state, for finding the person a configured key
/// names: the same key, else the same address in another letter case.
pub(super) struct PriorKeys {
    by_address: HashMap<String, String>,
}

impl PriorKeys {
    pub(super) fn of<'a>(keys: impl Iterator<Item = &'a String>) -> Self {
        PriorKeys {
            by_address: keys.map(|k| (email_key(k), k.clone())).collect(),
        }
    }

    /// The key under which `prior` holds the person `key` names, if any.
    pub(super) fn find<V>(&self, prior: &BTreeMap<String, V>, key: &str) -> Option<String> {
        if prior.contains_key(key) {
            Some(key.to_owned())
        } else {
            self.by_address.get(&email_key(key)).cloned()
        }
    }
}

impl RosterEntry {
    /// The entry after reading `user` from Domo, given this one from state
    /// and the role name Domo reported last time (`last_role`, from the
    /// account): `domo_user`'s refresh rules, with the role in the form
    /// the entry sets it (by name or by id). Nothing in an entry is
    /// computed, so the other form is not kept here.
    pub(super) fn refreshed(&self, last_role: &Field<String>, user: &User) -> Self {
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
    pub(super) fn of(user: &User) -> Self {
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
    pub(super) fn adoption_needs_update(&self, user: &User) -> bool {
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
pub(super) fn planned_role_name(profile: &UserProfile) -> Field<String> {
    match (&profile.role, profile.role_id.known()) {
        (Field::Known(name), _) => Field::Known(name.clone()),
        (_, Some(id)) => role_name_of(*id).map_or(Field::Unknown, |n| Field::Known(n.to_owned())),
        _ => Field::Unknown,
    }
}

impl RosterAccount {
    /// What the plan holds for a person in Domo (`before`, with `entry`
    /// before it in state) who becomes `planned` under `key`: what Domo
    /// gave stays, unless Domo is written (then `updated_at` is unknown,
    /// and the role's name follows a changed role); the address is the
    /// key's.
    pub(super) fn planned_from(
        before: &RosterAccount,
        entry: &RosterEntry,
        key: &str,
        planned: &RosterEntry,
    ) -> Self {
        let changes = differs_in_domo(entry, before, key, planned);
        let mut account = before.clone();
        if !account.email.known().is_some_and(|e| same_email(e, key)) {
            account.email = Field::Known(key.to_owned());
        }
        if changes {
            account.updated_at = Field::Unknown;
            let same_role = entry.profile.role == planned.profile.role
                && entry.profile.role_id == planned.profile.role_id;
            if !same_role {
                account.role = planned_role_name(&planned.profile);
            }
        }
        account
    }

    /// A new person's account as planned: only the address is known.
    pub(super) fn planned_for(key: &str) -> Self {
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
    pub(super) fn pending(key: &str) -> Self {
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
    pub(super) fn is_pending(&self) -> bool {
        self.id.is_null()
    }

    /// The account as Domo reports it, keeping our spelling of the address
    /// when Domo's differs only in letter case.
    pub(super) fn refreshed(&self, user: &User) -> Self {
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
    pub(super) fn applied(mut self, user: &User) -> Self {
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
    pub(super) fn known_from(mut self, other: &RosterAccount) -> Self {
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

    pub(super) fn id(&self, key: &str) -> Result<u64, Diagnostic> {
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
pub(super) struct Person {
    pub(super) entry: RosterEntry,
    pub(super) account: RosterAccount,
}

impl Person {
    /// Whether Domo must be written for this person to become `planned`
    /// under `key`.
    pub(super) fn differs_in_domo(&self, key: &str, planned: &RosterEntry) -> bool {
        differs_in_domo(&self.entry, &self.account, key, planned)
    }
}

/// Whether Domo must be written for a person (`entry` and `account` in
/// state) to become `planned` under `key`. A value not known yet counts as
/// a change.
pub(super) fn differs_in_domo(
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
    pub(super) fn on_removal(&self) -> &str {
        match self.on_removal.as_deref() {
            Some(KEEP) => KEEP,
            _ => DELETE,
        }
    }

    pub(super) fn adopt_existing(&self) -> bool {
        self.adopt_existing.known().copied().unwrap_or(false)
    }

    /// Takes the people out of this model (leaving its settings): each
    /// `users` entry with its `accounts` entry, and `users` as Terraform
    /// sent it. An entry without an account (never in state written by this
    /// provider) gets an unknown one.
    pub(super) fn take_people(&mut self) -> Option<(BTreeMap<String, Person>, AsWritten)> {
        let Field::Known(users) = std::mem::take(&mut self.users) else {
            return None;
        };
        let (users, written) = users.into_parts();
        let mut accounts = match std::mem::take(&mut self.accounts) {
            Field::Known(accounts) => accounts,
            _ => BTreeMap::new(),
        };
        let people = users
            .into_iter()
            .map(|(key, entry)| {
                let account = accounts
                    .remove(&key)
                    .unwrap_or_else(|| RosterAccount::planned_for(&key));
                (key, Person { entry, account })
            })
            .collect();
        Some((people, written))
    }

    /// This model's settings with `people` as its users and accounts;
    /// `written` is `users` as Terraform sent it (entries that did not
    /// change are given back exactly so).
    pub(super) fn with_people(
        mut self,
        people: BTreeMap<String, Person>,
        written: AsWritten,
    ) -> RosterModel {
        let mut users = BTreeMap::new();
        let mut accounts = BTreeMap::new();
        for (key, person) in people {
            accounts.insert(key.clone(), person.account);
            users.insert(key, person.entry);
        }
        self.users = Field::Known(DynamicMap::from_parts(users, written));
        self.accounts = Field::Known(accounts);
        self
    }
}
