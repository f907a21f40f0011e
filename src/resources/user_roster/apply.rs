//! Apply: bringing Domo from the state's people to the planned ones, with
//! partial failures. Every create, update and delete of a plan goes to the
//! Domo client in one bulk call (run concurrently under the shared pacing);
//! each result is then settled on its own, so that the state stored holds
//! exactly the users that exist, and each failed entry is reported and left
//! as it was for the next plan to retry.
//!
//! Creating, updating and destroying a roster are the same walk with
//! different inputs: a create starts from no people, a destroy wants none.
//! Each planned entry is matched with its person in state by key (in any
//! letter case), or, for a rename, by the Domo id the plan gave it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::SystemTime;

use crate::domo::{ChangeDone, DomoClient, DomoError, User, UserChange};
use crate::framework::Outcome;
use crate::protocol::diagnostics::Severity;
use crate::protocol::{AttributePath, Diagnostic, Diagnostics, Field};
use crate::provider::errors::{api_error, refused_user_delete, role_not_set, Action, ObjectKind};
use crate::provider::freshness::creation_mark;
use crate::provider::rules::parse_id;

use super::diagnostics::{entry_error, EntryDiagnostics};
use super::guard::RemovalLimit;
use super::model::{
    email_key, entry_path, Person, PriorKeys, RosterAccount, RosterEntry, RosterModel, KEEP,
};

/// Which Terraform operation an apply serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    /// The roster's first apply: see [`Assembly::first_apply`].
    Create,
    Update,
    /// `terraform destroy`: every user is a removal, and `max_removals`
    /// does not apply (destroying is an explicit act of its own).
    Destroy,
}

/// Brings Domo from `prior` (empty on create) to `planned`: one bulk call
/// for every create, update and delete, then the state of what exists.
///
/// On the roster's first apply ([`Stage::Create`]), Domo's users are listed
/// before anything is written: when entries' addresses are taken and
/// `adopt_existing` is off, the apply fails with nothing done (a clean
/// error, which leaves no half-created roster for Terraform to taint).
/// On an update, the removal guard is checked again before anything is
/// sent (the plan checked it already; this is what makes it a promise).
pub(super) async fn apply_roster(
    client: &DomoClient,
    mut prior: BTreeMap<String, Person>,
    mut planned: RosterModel,
    stage: Stage,
) -> Result<Outcome<RosterModel>, Diagnostics> {
    // People are moved, never copied: a roster may hold 20,000.
    let Some((wanted, written)) = planned.take_people() else {
        return Err(Diagnostic::error(
            "users is not known",
            "Terraform sent a roster whose users are not known at apply time; this is a bug, please report it.",
        )
        .at(AttributePath::root("users"))
        .into());
    };
    let prior_keys = PriorKeys::of(prior.keys());
    let managed = prior.values().filter(|p| !p.account.is_pending()).count();
    let first_apply = stage == Stage::Create;
    let send_invite = planned.send_invite.known().copied().unwrap_or(false);
    let mut assembly = Assembly {
        first_apply,
        ..Assembly::default()
    };
    let mut changes: Vec<(Pending, UserChange)> = Vec::new();
    let mut to_create: Vec<(String, Person)> = Vec::new();

    // A rename: the plan gave an entry the account of a person who leaves
    // (same employee number), who is found in state by that Domo id.
    let named: HashSet<String> = wanted
        .keys()
        .filter_map(|key| prior_keys.find(&prior, key))
        .collect();
    let leaving_by_id: HashMap<String, String> = prior
        .iter()
        .filter(|(key, before)| !named.contains(*key) && !before.account.is_pending())
        .filter_map(|(key, before)| Some((before.account.id.known()?.clone(), key.clone())))
        .collect();
    drop(named);

    for (key, person) in wanted {
        let found = prior_keys
            .find(&prior, &key)
            .and_then(|k| prior.remove_entry(&k))
            .filter(|(_, before)| !before.account.is_pending());
        let found = match (found, person.account.id.known()) {
            (Some(found), _) => Some(found),
            (None, None) => None,
            (None, Some(id)) => {
                let renamed = leaving_by_id.get(id).and_then(|k| prior.remove_entry(k));
                if renamed.is_none() {
                    assembly.report(&key, unplanned_rename(&key, id));
                    continue;
                }
                renamed
            }
        };
        let Some((prior_key, before)) = found else {
            to_create.push((key, person));
            continue;
        };
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
        // Never created (pending): nothing to delete.
        let removed: Vec<(String, Person)> = removed
            .into_iter()
            .filter(|(_, before)| !before.account.is_pending())
            .collect();
        if stage == Stage::Update {
            let keys: Vec<&str> = removed.iter().map(|(key, _)| key.as_str()).collect();
            if let Some(limit) = RemovalLimit::new(&planned.max_removals, managed) {
                limit.check(&keys)?;
            }
        }
        for (key, before) in removed {
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
    let mut outcome = Outcome::new(planned.with_people(assembly.people, written));
    outcome.diagnostics = diagnostics;
    if created_any {
        outcome = outcome.with_private(creation_mark(SystemTime::now()));
    }
    Ok(outcome)
}

/// Destroys a roster: with `on_removal = "delete"` in state, every user is
/// a removal; with `keep`, nothing is sent to Domo. When some users could
/// not be deleted the roster stays, holding them, with the errors.
pub(super) async fn destroy_roster(
    client: &DomoClient,
    mut prior: RosterModel,
) -> Result<Outcome<RosterModel>, Diagnostics> {
    if prior.on_removal() == KEEP {
        return Ok(Outcome::gone());
    }
    let people = prior.take_people().map(|(people, _)| people);
    let people = people.unwrap_or_default();
    // Nobody wanted: every user is a removal.
    prior.users = Field::Known(BTreeMap::new().into());
    let outcome = apply_roster(client, people, prior, Stage::Destroy).await?;
    // Every user deleted: the roster is gone. Otherwise it stays, with
    // the users that could not be deleted, and the errors.
    let nothing_left = outcome
        .state
        .as_ref()
        .and_then(|s| s.users.known())
        .is_none_or(|users| users.is_empty());
    if nothing_left && !outcome.diagnostics.has_errors() {
        return Ok(Outcome::gone());
    }
    Ok(outcome)
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

    /// Records a user Domo created without the role asked for. On the
    /// roster's first apply, as planned and with a warning (an error would
    /// taint the roster, and without one Terraform requires the planned
    /// entry back); later, with the role Domo reports and an error. Either
    /// way the next plan shows the role change.
    fn created_without_role(
        &mut self,
        key: String,
        planned: Person,
        user: &User,
        error: &DomoError,
    ) {
        let account = planned.account.applied(user);
        let entry = if self.first_apply {
            planned.entry
        } else {
            planned.entry.refreshed(&account.role, user)
        };
        self.people.insert(key.clone(), Person { entry, account });
        let mut diagnostic = role_not_set(error).at(entry_path(&key, None));
        diagnostic.detail = format!("users[\"{key}\"]: {}", diagnostic.detail);
        if self.first_apply {
            diagnostic.severity = Severity::Warning;
        }
        self.diagnostics.push(&key, diagnostic);
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
            ) => match e.created_user() {
                Some(user) => {
                    self.created_any = true;
                    self.created_without_role(key, planned, user, &e);
                }
                None => {
                    let diagnostic = if e.is_conflict() && !adopting {
                        existing_email(&key, Some(&e))
                    } else {
                        entry_error(Action::Create, &key, &e)
                    };
                    self.creation_failed(key, planned, diagnostic);
                }
            },
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
                let id = prior.account.id.as_deref().and_then(parse_id);
                let refused = id.and_then(|id| {
                    let let_go = "set on_removal = \"keep\" (removed entries then leave the roster and their accounts stay in Domo)";
                    refused_user_delete(&key, id, &e, let_go)
                });
                let diagnostic = match refused {
                    Some(mut refused) => {
                        refused.detail = format!("users[\"{key}\"]: {}", refused.detail);
                        refused.at(entry_path(&key, None))
                    }
                    None => entry_error(Action::Delete, &key, &e),
                };
                self.report(&key, diagnostic);
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

/// An entry planned with Domo user `id` (a rename) whose person the state
/// does not hold as leaving: the plan and the state disagree, so nothing is
/// sent for it.
fn unplanned_rename(key: &str, id: &str) -> Diagnostic {
    Diagnostic::error(
        "Planned email change has no user to change",
        format!("users[\"{key}\"]: the plan gave this entry Domo user {id}, whose entry leaves the map with the same employee_number, but the state holds no such entry now. Nothing was sent to Domo for it; run terraform plan again."),
    )
    .at(entry_path(key, None))
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
