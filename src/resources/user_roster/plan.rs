//! Plan: what the roster's next apply will do, decided from the
//! configuration and the state alone, without any call to Domo. `users` is
//! planned exactly as configured (Terraform 1.0 accepts nothing else for a
//! nested map); what changes is `accounts`: an entry whose person is
//! unchanged keeps everything Domo gave, an entry that Domo must be written
//! for gets an unknown `updated_at` (and its role's name when the role
//! changes), and a new entry is unknown but for its address.

use std::collections::BTreeMap;

use crate::domo::same_email;
use crate::protocol::{Diagnostics, Field};

use super::model::{
    differs_in_domo, planned_role_name, PriorKeys, RosterAccount, RosterModel, DELETE,
};

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
    let prior_keys = PriorKeys::of(prior_users.keys());
    let mut accounts = BTreeMap::new();
    for (key, entry) in users {
        let before = prior_keys
            .find(prior_users, key)
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
