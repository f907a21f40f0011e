//! The removal guard, `max_removals`: how many users one apply may delete
//! from Domo through a roster. Domo cannot undo a delete (a user re-created
//! is a new, empty account), and a roster's `users` usually comes from a
//! file another system writes: an export cut short (an empty CSV from a
//! failed job, a filter gone wrong) would otherwise delete everyone missing
//! from it in one apply. So a plan that would delete more than the limit
//! fails at plan time, before anything is sent to Domo, and says how to
//! proceed.
//!
//! The default is a share of the users the roster manages, not a fixed
//! number, because normal churn grows with a company while a truncated
//! export removes most of a roster whatever its size: [`DEFAULT_PERCENT`]
//! of them, rounded up. That stops an empty map (and "most of the roster
//! gone") cold for any roster of two or more people, and lets through the
//! leavers of a normal sync: a nightly sync of 5,000 people sees a handful,
//! the limit is 500. A small roster may still lose one person per apply (1
//! of 3, or the only user of a roster of one); more at once needs
//! `max_removals` set for that change.
//!
//! Only deletes count: removals under `on_removal = "keep"` delete nothing,
//! an entry renamed (same employee number, new address) keeps its account,
//! and `terraform destroy` is an explicit act of its own and is not limited.
//! The apply checks the same limit again before sending anything, so no
//! path deletes more than the plan allowed.

use crate::protocol::{AttributePath, Diagnostic, Field};

/// The share of a roster's users that one apply may delete when
/// `max_removals` is not set, in percent, rounded up.
pub(super) const DEFAULT_PERCENT: usize = 10;
/// Entries named in the guard's error.
const NAMED: usize = 20;

/// How many users one apply may delete, and where that number comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RemovalLimit {
    max: usize,
    /// `None`: configured; `Some(n)`: the default for a roster managing `n`
    /// users.
    default_for: Option<usize>,
}

impl RemovalLimit {
    /// The limit for a roster that manages `managed` users in Domo (state's
    /// accounts with an id), with `max_removals` as configured. `None`
    /// while `max_removals` is unknown: it is checked once known (Terraform
    /// plans again at apply time, and the apply checks too).
    pub(super) fn new(max_removals: &Field<u64>, managed: usize) -> Option<Self> {
        match max_removals {
            Field::Known(max) => Some(RemovalLimit {
                max: usize::try_from(*max).unwrap_or(usize::MAX),
                default_for: None,
            }),
            Field::Null => Some(RemovalLimit {
                max: managed.saturating_mul(DEFAULT_PERCENT).div_ceil(100),
                default_for: Some(managed),
            }),
            Field::Unknown => None,
        }
    }

    /// An error when deleting the users of `removed` (their keys in state)
    /// is more than this limit allows.
    pub(super) fn check(&self, removed: &[&str]) -> Result<(), Diagnostic> {
        let count = removed.len();
        if count <= self.max {
            return Ok(());
        }
        let mut named: Vec<&str> = removed.to_vec();
        named.sort_unstable();
        let listed: Vec<String> = named
            .iter()
            .take(NAMED)
            .map(|k| format!("\"{k}\""))
            .collect();
        let rest = count.saturating_sub(NAMED);
        let tail = if rest > 0 {
            format!(" and {rest} more")
        } else {
            String::new()
        };
        let shown = if rest > 0 {
            format!("the first {NAMED} of {count}")
        } else {
            format!("all {count}")
        };
        let limit = match self.default_for {
            None => format!("max_removals = {} as configured", self.max),
            Some(managed) => format!(
                "{} by default ({DEFAULT_PERCENT}% of the {managed} users this roster manages, rounded up; max_removals is not set)",
                self.max
            ),
        };
        Err(Diagnostic::error(
            "Too many Domo users would be deleted",
            format!(
                "This plan would delete {count} users from Domo, whose entries are no longer in users (on_removal = \"delete\"), more than max_removals allows: {limit}. Deleting a Domo user cannot be undone, so the plan stops here and nothing has been sent to Domo.\n\nWould be deleted ({shown}): {}{tail}.\n\nTo proceed:\n- If the file or expression users is built from was cut short or filtered wrongly (an empty or partial export), fix it and plan again.\n- If these people really left, set max_removals = {count} (or more) on this domo_user_roster for this change, and remove it afterwards.\n- To stop managing them without deleting their accounts, set on_removal = \"keep\".",
                listed.join(", ")
            ),
        )
        .at(AttributePath::root("users")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("u{i:03}@example.com")).collect()
    }

    fn check(limit: RemovalLimit, n: usize) -> Result<(), Diagnostic> {
        let keys = keys(n);
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        limit.check(&refs)
    }

    #[test]
    fn the_default_is_a_tenth_of_the_roster_rounded_up() {
        let default = |managed| RemovalLimit::new(&Field::Null, managed).unwrap().max;
        assert_eq!(
            [0, 1, 3, 10, 11, 100, 2_000, 20_000].map(default),
            [0, 1, 1, 1, 2, 10, 200, 2_000]
        );
        // An empty map stops cold for any roster of two or more people.
        for managed in 2..=200 {
            let limit = RemovalLimit::new(&Field::Null, managed).unwrap();
            assert!(check(limit, managed).is_err(), "{managed}");
            assert!(check(limit, managed / 2 + 1).is_err(), "most gone");
        }
        // One of three may go.
        assert!(check(RemovalLimit::new(&Field::Null, 3).unwrap(), 1).is_ok());
    }

    #[test]
    fn a_configured_limit_is_the_limit_and_unknown_waits() {
        let five = RemovalLimit::new(&Field::Known(5), 100).unwrap();
        assert!(check(five, 5).is_ok());
        let err = check(five, 10).unwrap_err();
        assert!(err.detail.contains("max_removals = 5 as configured"));
        let zero = RemovalLimit::new(&Field::Known(0), 100).unwrap();
        assert!(check(zero, 0).is_ok() && check(zero, 1).is_err());
        let huge = RemovalLimit::new(&Field::Known(u64::MAX), 1).unwrap();
        assert!(check(huge, 1_000).is_ok());
        assert_eq!(RemovalLimit::new(&Field::Unknown, 100), None);
    }

    #[test]
    fn the_error_names_the_setting_the_count_and_twenty_entries() {
        let limit = RemovalLimit::new(&Field::Null, 100).unwrap();
        let err = check(limit, 100).unwrap_err();
        assert_eq!(err.summary, "Too many Domo users would be deleted");
        assert_eq!(err.attribute, Some(AttributePath::root("users")));
        for wanted in [
            "delete 100 users",
            "max_removals allows: 10 by default (10% of the 100 users",
            "nothing has been sent to Domo",
            "(the first 20 of 100)",
            "\"u000@example.com\"",
            "\"u019@example.com\" and 80 more",
            "set max_removals = 100 (or more)",
            "on_removal = \"keep\"",
            "cut short",
        ] {
            assert!(err.detail.contains(wanted), "{wanted:?} in {}", err.detail);
        }
        assert!(!err.detail.contains("u020@"));
        let few = check(RemovalLimit::new(&Field::Known(1), 100).unwrap(), 3).unwrap_err();
        assert!(few.detail.contains(
            "(all 3): \"u000@example.com\", \"u001@example.com\", \"u002@example.com\"."
        ));
    }
}
