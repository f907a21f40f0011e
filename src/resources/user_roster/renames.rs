//! Renames: a person whose address changed (a new surname, a company domain
//! change) is still the same person. A roster is keyed by email, so the
//! export shows one key leaving and another arriving; deleting the old
//! account and creating a new one would lose everything the person owns in
//! Domo. When the entry that leaves and the one that arrives carry the same
//! non-empty `employee_number`, unique on each side, the plan keeps the
//! account: the new key gets the old key's Domo id in `accounts`, a warning
//! names both addresses and the number, and apply changes the address in
//! place (one update, no delete, no create). A rename is not a removal, so
//! `max_removals` does not count it.
//!
//! Employee numbers are compared as numbers ([`employee_key`]). Two
//! configured entries with the same number are an error at plan time
//! ([`duplicates`]); two entries of the state with the same number (Domo
//! edited by hand) make a rename ambiguous, and then nothing is paired: the
//! old entries are removed and the new one created, as without numbers,
//! with a warning saying why.

use std::collections::HashMap;

use crate::protocol::{Diagnostic, Field};

use super::diagnostics::EntryDiagnostics;
use super::model::{employee_key, entry_path, RosterAccount, RosterEntry};

/// One person whose address changes from `from` to `to`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Rename<'a> {
    pub(super) from: &'a str,
    pub(super) to: &'a str,
}

/// Pairs entries that arrive (keys with no account in Domo yet) with
/// entries that leave (keys of the state that no configured key names, with
/// an account in Domo) by employee number. Reports, into `diagnostics`, a
/// warning per rename and per number that cannot be paired.
pub(super) fn pair<'a>(
    leaving: impl Iterator<Item = (&'a str, &'a RosterEntry, &'a RosterAccount)>,
    arriving: impl Iterator<Item = (&'a str, &'a RosterEntry)>,
    diagnostics: &mut EntryDiagnostics,
) -> Vec<Rename<'a>> {
    let mut left: HashMap<String, Vec<(&str, &RosterEntry, &RosterAccount)>> = HashMap::new();
    for (key, entry, account) in leaving {
        if let Some(number) = employee_key(&entry.profile.employee_number) {
            left.entry(number).or_default().push((key, entry, account));
        }
    }
    if left.is_empty() {
        return Vec::new();
    }
    let arriving: Vec<(String, &str, &RosterEntry)> = arriving
        .filter_map(|(key, entry)| {
            Some((employee_key(&entry.profile.employee_number)?, key, entry))
        })
        .collect();
    let mut arrivals: HashMap<&str, usize> = HashMap::new();
    for (number, _, _) in &arriving {
        *arrivals.entry(number).or_default() += 1;
    }
    let mut renames = Vec::new();
    for (number, to, entry) in &arriving {
        let Some(from) = left.get(number) else {
            continue;
        };
        if arrivals.get(number.as_str()).copied() != Some(1) {
            continue; // two configured entries: validation reports them
        }
        match from.as_slice() {
            [(from, before, account)] => {
                diagnostics.push(to, renamed(from, before, account, to, entry));
                renames.push(Rename { from, to });
            }
            many => diagnostics.push(to, ambiguous(many, to, entry)),
        }
    }
    renames
}

fn number_of(entry: &RosterEntry) -> &str {
    entry.profile.employee_number.as_deref().unwrap_or_default()
}

/// The plan-time warning of a rename.
fn renamed(
    from: &str,
    before: &RosterEntry,
    account: &RosterAccount,
    to: &str,
    entry: &RosterEntry,
) -> Diagnostic {
    let id = account.id.as_deref().unwrap_or("?");
    let number = number_of(entry);
    let spelled = if number_of(before).trim() == number.trim() {
        String::new()
    } else {
        format!(" (\"{}\" in state, the same number)", number_of(before))
    };
    Diagnostic::warning(
        "Email change planned in place",
        format!(
            "users[\"{to}\"] has employee_number \"{number}\"{spelled}, as users[\"{from}\"], which leaves the map: it is the same person. Domo user {id} keeps its account, and its email changes from {from} to {to} (one update; nothing is deleted or created). If these are two different people, correct the employee_number of one of them."
        ),
    )
    .at(entry_path(to, None))
}

/// The warning for an arriving entry whose number several leaving entries
/// of the state share.
fn ambiguous(
    leaving: &[(&str, &RosterEntry, &RosterAccount)],
    to: &str,
    entry: &RosterEntry,
) -> Diagnostic {
    let keys: Vec<String> = leaving
        .iter()
        .map(|(k, _, _)| format!("users[\"{k}\"]"))
        .collect();
    Diagnostic::warning(
        "Employee number not unique in state",
        format!(
            "users[\"{to}\"] has employee_number \"{}\", which {} all had in state, so the roster cannot tell which of them changed address: it is planned as a new user, and they as removals. To keep that person's account instead, make the employee numbers unique in Domo (the next refresh reads them), then plan again.",
            number_of(entry),
            keys.join(" and ")
        ),
    )
    .at(entry_path(to, None))
}

/// Configured entries that share an employee number: an error for each
/// after the first, naming both entries, at its `employee_number`.
pub(super) fn duplicates<'a>(
    users: impl Iterator<Item = (&'a String, &'a RosterEntry)>,
    diagnostics: &mut EntryDiagnostics,
) {
    let mut first: HashMap<String, (&str, &Field<String>)> = HashMap::new();
    for (key, entry) in users {
        let number = &entry.profile.employee_number;
        let Some(normal) = employee_key(number) else {
            continue;
        };
        if let Some((other, theirs)) = first.get(&normal) {
            let ours = number.as_deref().unwrap_or_default();
            let theirs = theirs.as_deref().unwrap_or_default();
            let same = if ours == theirs {
                String::new()
            } else {
                format!(" (\"{theirs}\" and \"{ours}\" are the same number)")
            };
            diagnostics.push(
                key,
                Diagnostic::error(
                    "Duplicate employee_number in users",
                    format!(
                        "users[\"{other}\"] and users[\"{key}\"] have the same employee_number \"{ours}\"{same}. An employee number names one person: the roster uses it to recognise an email address that changed, keeping the account. Correct one of them (or leave it out)."
                    ),
                )
                .at(entry_path(key, Some("employee_number"))),
            );
        } else {
            first.insert(normal, (key, number));
        }
    }
}
