//! Refresh and import: reading the roster's people back from Domo. A
//! refresh reads Domo's listing once (through the client's shared
//! directory) and keeps, per entry, `domo_user`'s refresh rules; a user
//! gone from Domo loses its account in state (the entry stays, as after a
//! failed create) with a warning. An import fills a roster
//! from one pass of the listing, by a filter.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::domo::{DomoClient, DomoError, User};
use crate::framework::Outcome;
use crate::protocol::{AsWritten, AttributePath, Diagnostic, Diagnostics, Field};
use crate::provider::errors::{api_error, Action, ObjectKind};
use crate::provider::freshness::created_recently;
use crate::provider::rules::check_role;

use super::diagnostics::{entry_error, EntryDiagnostics};
use super::model::{entry_path, Person, RosterAccount, RosterEntry, RosterModel, DELETE};

/// For users created less than [`FRESH_WINDOW`](crate::provider::freshness::FRESH_WINDOW) ago, one that
/// reads as gone is read again for at most this long (Domo's replication
/// lag).
const NOT_FOUND_RETRY_BUDGET: Duration = Duration::from_secs(15);

/// Reads every person of `current` from Domo.
pub(super) async fn refresh_roster(
    client: &DomoClient,
    mut current: RosterModel,
    private: &[u8],
) -> Result<Outcome<RosterModel>, Diagnostics> {
    let Some((people, written)) = current.take_people() else {
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
            Ok(None) => {
                diagnostics.push(
                    &key,
                    Diagnostic::warning(
                        "Domo user no longer exists",
                        format!("users[\"{key}\"]: Domo user {id} was not found or has been deleted in Domo. Its account left Terraform state; the next plan creates it again."),
                    )
                    .at(entry_path(&key, None)),
                );
                // The entry stays as configured, without an account, as
                // after a failed create: `users` keeps its shape (Terraform
                // 1.0 cannot show a plan whose refresh changed it) and the
                // next plan creates the user.
                let account = RosterAccount::pending(&key);
                refreshed.insert(
                    key,
                    Person {
                        entry: person.entry,
                        account,
                    },
                );
            }
            Err(e) => {
                diagnostics.push(&key, entry_error(Action::Read, &key, &e));
                refreshed.insert(key, person);
            }
        }
    }
    let mut outcome = Outcome::new(current.with_people(refreshed, written));
    outcome.diagnostics = diagnostics.finish(
        "Users that no longer exist are planned for creation again; entries that could not be read keep their last known values.",
    );
    Ok(outcome)
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

/// Fills a roster with the Domo users `raw` (an [`ImportFilter`]) selects.
pub(super) async fn import_roster(
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
        max_removals: Field::Null,
    };
    Ok(Outcome::new(
        settings.with_people(people, AsWritten::default()),
    ))
}

/// What `terraform import` accepts.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum ImportFilter {
    All,
    EmailDomain(String),
    Role(String),
}

impl ImportFilter {
    pub(super) fn parse(raw: &str) -> Result<ImportFilter, Diagnostic> {
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

    pub(super) fn matches(&self, user: &User) -> bool {
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
