//! Plan: what the roster's next apply will do, decided from the
//! configuration and the state alone, without any call to Domo. `users` is
//! planned exactly as configured (Terraform 1.0 accepts nothing else for a
//! nested map); what changes is `accounts`:
//! - an entry whose person is unchanged keeps everything Domo gave; one
//!   that Domo must be written for gets an unknown `updated_at` (and its
//!   role's name when the role changes);
//! - a new entry is unknown but for its address, unless it is a rename: an
//!   entry that leaves with the same employee number gives it its account
//!   (see [`renames`](super::renames));
//! - whoever else leaves is deleted (unless `on_removal = "keep"`), and a
//!   plan that would delete more than `max_removals` allows fails here
//!   (see [`guard`](super::guard)).

use std::collections::{BTreeMap, HashSet};

use crate::protocol::{Diagnostics, Field};

use super::diagnostics::EntryDiagnostics;
use super::guard::RemovalLimit;
use super::model::{PriorKeys, RosterAccount, RosterModel, DELETE, KEEP};
use super::renames::{self, Rename};

/// Completes Terraform's proposed plan (`planned`): the settings' defaults
/// and the planned `accounts`.
pub(super) fn plan_roster(
    prior: Option<&RosterModel>,
    planned: &mut RosterModel,
    config: &RosterModel,
) -> Diagnostics {
    // Defaults come from the configuration: a setting removed from it
    // goes back to its default rather than keeping its prior value.
    planned.adopt_existing = Field::Known(config.adopt_existing.known().copied().unwrap_or(false));
    planned.send_invite = Field::Known(config.send_invite.known().copied().unwrap_or(false));
    planned.on_removal = match &config.on_removal {
        Field::Null => Field::Known(DELETE.to_owned()),
        other => other.clone(),
    };
    if planned.users.is_null() {
        // Terraform 1.0 proposes null for a configured empty map (and then
        // requires the empty map back): plan what is configured, so that an
        // emptied map is planned, and guarded, as the removal it is.
        planned.users = config.users.clone();
    }
    // The same people written differently (a number where a string was,
    // an explicit null): the stored value, so that the plan shows no
    // change (see `MAY_PLAN_PRIOR`).
    if let (Some(before), Field::Known(wanted)) =
        (prior.and_then(|p| p.users.known()), &config.users)
    {
        if before == wanted {
            planned.users = Field::Known(before.clone());
        }
    }
    let Field::Known(users) = &planned.users else {
        planned.accounts = Field::Unknown;
        return Diagnostics::default();
    };
    let empty_users = BTreeMap::new();
    let empty_accounts = BTreeMap::new();
    let prior_users = prior
        .and_then(|p| p.users.known())
        .map_or(&empty_users, |users| users);
    let prior_accounts = prior
        .and_then(|p| p.accounts.known())
        .unwrap_or(&empty_accounts);
    let prior_keys = PriorKeys::of(prior_users.keys());
    let mut accounts = BTreeMap::new();
    // The prior keys some configured key names: everyone else leaves.
    let mut kept: HashSet<String> = HashSet::with_capacity(prior_users.len());
    // Configured keys with nobody in Domo yet.
    let mut arriving: Vec<&str> = Vec::new();
    for (key, entry) in users {
        let prior_key = prior_keys.find(prior_users, key);
        if let Some(k) = &prior_key {
            kept.insert(k.clone());
        }
        let before = prior_key
            .and_then(|k| Some((prior_users.get(&k)?, prior_accounts.get(&k)?)))
            .filter(|(_, account)| !account.is_pending());
        let account = match before {
            // New: what Domo assigns is unknown, except the address.
            None => {
                arriving.push(key);
                RosterAccount::planned_for(key)
            }
            // The same person (perhaps under a key spelled differently).
            Some((before_entry, before_account)) => {
                RosterAccount::planned_from(before_account, before_entry, key, entry)
            }
        };
        accounts.insert(key.clone(), account);
    }

    // Someone who leaves and someone who arrives with the same employee
    // number are one person whose address changed: the account stays.
    let in_domo = |key: &String| prior_accounts.get(key).is_some_and(|a| !a.is_pending());
    let leaving = prior_users
        .iter()
        .filter(|(key, _)| !kept.contains(*key) && in_domo(key))
        .filter_map(|(key, entry)| Some((key.as_str(), entry, prior_accounts.get(key)?)));
    let arrivals = arriving
        .iter()
        .filter_map(|key| Some((*key, users.get(*key)?)));
    let mut diagnostics = EntryDiagnostics::default();
    for Rename { from, to } in renames::pair(leaving, arrivals, &mut diagnostics) {
        if let (Some(entry), Some(before), Some(planned)) = (
            prior_users.get(from),
            prior_accounts.get(from),
            users.get(to),
        ) {
            accounts.insert(
                to.to_owned(),
                RosterAccount::planned_from(before, entry, to, planned),
            );
            kept.insert(from.to_owned());
        }
    }
    let mut diagnostics = diagnostics
        .finish("Each of these entries has the employee_number of an entry that leaves the map.");
    planned.accounts = Field::Known(accounts);

    // Users whose entry left the map are deleted, unless on_removal keeps
    // them: no more than max_removals allows.
    if planned.on_removal() != KEEP {
        // As apply counts them: an entry without an account is not pending.
        let in_domo = |key: &String| prior_accounts.get(key).is_none_or(|a| !a.is_pending());
        let managed = prior_users.keys().filter(|k| in_domo(k)).count();
        let removed: Vec<&str> = prior_users
            .keys()
            .filter(|k| in_domo(k) && !kept.contains(*k))
            .map(String::as_str)
            .collect();
        if let Some(limit) = RemovalLimit::new(&config.max_removals, managed) {
            if let Err(error) = limit.check(&removed) {
                diagnostics.push(error);
            }
        }
    }
    diagnostics
}
