//! Plan-time checks of a configured roster (Terraform's
//! `ValidateResourceConfig`): every entry's address and profile, employee
//! numbers unique, and the settings, before any call to Domo. Each problem
//! names its entry.

use std::collections::HashMap;

use crate::protocol::{AttributePath, Diagnostic, Diagnostics};
use crate::provider::rules::looks_like_email;

use super::diagnostics::EntryDiagnostics;
use super::model::{email_key, entry_path, RosterModel, DELETE, KEEP};
use super::renames;

/// The problems of a configured roster that Terraform can show at plan
/// time, before any call to Domo.
pub(super) fn problems(config: &RosterModel) -> Diagnostics {
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
    renames::duplicates(users.iter(), &mut entries);
    out.0.extend(
        entries
            .finish("Fix the configuration (or the file it is read from) and plan again.")
            .0,
    );
    out
}
