//! Diagnostics about entries of a roster, which may hold 20,000 people:
//! validation, apply and refresh report each problem against its entry
//! (`users["<key>"]`), and through [`EntryDiagnostics`] a systematic
//! problem stays readable.

use crate::domo::DomoError;
use crate::protocol::diagnostics::Severity;
use crate::protocol::{AttributePath, Diagnostic, Diagnostics};
use crate::provider::errors::{api_error, Action, ObjectKind};

use super::model::entry_path;

/// Diagnostics about entries shown one by one, per severity.
const MAX_ENTRY_DIAGNOSTICS: usize = 20;
/// Keys named in that summary.
const MAX_KEYS_IN_SUMMARY: usize = 50;

/// Diagnostics about entries: the first [`MAX_ENTRY_DIAGNOSTICS`] of each
/// severity as they are, the rest summed up in one that names their keys.
#[derive(Default)]
pub(super) struct EntryDiagnostics {
    shown: Diagnostics,
    errors_left_out: Vec<String>,
    warnings_left_out: Vec<String>,
    pub(super) errors: usize,
    warnings: usize,
}

impl EntryDiagnostics {
    pub(super) fn push(&mut self, key: &str, diagnostic: Diagnostic) {
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

    pub(super) fn finish(mut self, what_next: &str) -> Diagnostics {
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

/// "Could not update Domo user", naming and pointing at the entry.
pub(super) fn entry_error(action: Action, key: &str, error: &DomoError) -> Diagnostic {
    let mut diagnostic = api_error(action, ObjectKind::User, error);
    diagnostic.detail = format!("users[\"{key}\"]: {}", diagnostic.detail);
    diagnostic.at(entry_path(key, None))
}
