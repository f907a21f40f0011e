//! `domo_group_members`: the whole member list of one group, authoritative.
//!
//! What this resource promises:
//! - after apply, the group's members are exactly `user_ids`: members Domo
//!   has that the list lacks are removed, and the plan shows every user
//!   added and removed;
//! - `user_ids` is a list with the meaning of a set, because Terraform
//!   checks a set's every element against every other after each apply
//!   (minutes at 7,000 members) and a list's element by element: the order
//!   is the configuration's and never makes a change (a reordered list
//!   plans the prior value, which Terraform accepts for a configured
//!   attribute), an id listed twice is an error, and refresh keeps the
//!   stored order: members Domo has that state lacks take the places of
//!   members it no longer has, in id order, the rest go at the end (see
//!   [`in_order`]);
//! - state stored as a set by schema version 0 upgrades to the list
//!   without a call to Domo (same ids, same order);
//! - refresh reads the group's member listing page by page (500 a page),
//!   never a request per member: a 5,000-member group costs 11 requests;
//! - apply makes one request per user added or removed, as many at once as
//!   the provider's `max_concurrent_requests` allows;
//! - a user deleted in Domo while still listed refreshes fine (Domo no
//!   longer lists it) with a warning naming it; the plan adds it back, and
//!   apply then fails on that user alone, pointing at `user_ids`;
//! - a partly failed update stores what was done, so state stays true.

use std::collections::{BTreeSet, HashSet};

use crate::domo::{DomoClient, MemberChanges};
use crate::framework::{Identity, Outcome, Resource};
use crate::model;
use crate::protocol::{AttributePath, Diagnostic, Diagnostics, Field};
use crate::provider::errors::{api_error, Action, ObjectKind};
use crate::provider::rules::{
    check_id, check_id_list, check_no_repeated_ids, numeric_id, parse_id, parse_id_set,
};

model! {
    /// A `domo_group_members` as Terraform holds it.
    pub struct GroupMembersModel {
        /// The group's id (the same as `group_id`).
        id: Field<String> [computed],
        /// Id of the group whose members this manages, such as
        /// `domo_group.sales.id`. Changing it removes the members from the
        /// old group and adds them to the new one.
        group_id: Field<String> [required, requires_replace],
        /// Ids of every member of the group, such as `domo_user.ada.id`, in
        /// any order: a list read as a set (the order never makes a change;
        /// an id listed twice is an error). Authoritative: members Domo has
        /// that are not listed here are removed. An empty list leaves the
        /// group without members.
        user_ids: Field<Vec<String>> [required],
    }
}

model! {
    /// What names a `domo_group_members` for its whole life: its group.
    pub struct GroupMembersIdentity {
        /// Domo's numeric id of the group, as a string (the `group_id`
        /// attribute).
        group_id: Field<String> [required],
    }
}

impl Identity<GroupMembersModel> for GroupMembersIdentity {
    fn of(state: &GroupMembersModel) -> Option<Self> {
        let group_id = state.group_id.known()?;
        Some(GroupMembersIdentity {
            group_id: Field::Known(group_id.clone()),
        })
    }

    fn import_id(&self) -> Result<String, Diagnostic> {
        numeric_id(&self.group_id, "group_id", "Domo group")
    }
}

impl GroupMembersModel {
    fn group_id(&self) -> Result<u64, Diagnostics> {
        self.group_id.as_deref().and_then(parse_id).ok_or_else(|| {
            Diagnostic::error(
                "Invalid group id",
                format!(
                    "Expected Domo's numeric group id, found {:?}.",
                    self.group_id
                ),
            )
            .at(AttributePath::root("group_id"))
            .into()
        })
    }

    fn user_ids(&self) -> Result<BTreeSet<u64>, Diagnostics> {
        self.user_ids
            .known()
            .and_then(parse_id_set)
            .ok_or_else(|| {
                Diagnostic::error(
                    "Invalid user ids",
                    "user_ids must be known Domo user ids at apply time; this is unexpected, please report it.",
                )
                .at(AttributePath::root("user_ids"))
                .into()
            })
    }

    /// State for the group `group_id` with these members, in the order
    /// and spelling of `ordered` (see [`in_order`]).
    fn with_members<'a>(
        group_id: &Field<String>,
        members: &BTreeSet<u64>,
        ordered: impl IntoIterator<Item = &'a String> + Clone,
    ) -> Self {
        GroupMembersModel {
            id: group_id.clone(),
            group_id: group_id.clone(),
            user_ids: Field::Known(in_order(members, ordered)),
        }
    }
}

/// `members` as a list in the order and spelling of `ordered` (the list
/// state had), once each: a member `ordered` lacks takes the place of one
/// it lists that is no longer a member, in id order, and those left over
/// go at the end. Only real changes then show in a plan: Terraform diffs
/// two lists of one length place by place, so a drift of three members
/// out and three in shows as three lines, not as every later place
/// shifted by one.
fn in_order<'a>(
    members: &BTreeSet<u64>,
    ordered: impl IntoIterator<Item = &'a String> + Clone,
) -> Vec<String> {
    let listed: HashSet<u64> = ordered
        .clone()
        .into_iter()
        .filter_map(|t| parse_id(t))
        .collect();
    let mut newcomers = members.iter().filter(|id| !listed.contains(id));
    let mut placed = HashSet::with_capacity(members.len());
    let mut out = Vec::with_capacity(members.len());
    for text in ordered {
        match parse_id(text) {
            Some(id) if members.contains(&id) => {
                if placed.insert(id) {
                    out.push(text.clone());
                }
            }
            _ => out.extend(newcomers.next().map(u64::to_string)),
        }
    }
    out.extend(newcomers.map(u64::to_string));
    out
}

/// Whether two lists of ids hold the same ids (in any order, however
/// spelled); a list holding an id that is not one is never the same.
fn same_ids(a: &[String], b: &[String]) -> bool {
    a.len() == b.len()
        && match (parse_id_set(a), parse_id_set(b)) {
            (Some(a_ids), Some(b_ids)) => a_ids.len() == a.len() && a_ids == b_ids,
            _ => false,
        }
}

/// A warning saying who joins and who leaves, when Terraform's plan cannot:
/// it shows two lists of one length place by place, so a member leaving
/// near the top and another joining near the end shows every place in
/// between as changed (`~ "old" -> "new"`).
fn changes_shown_place_by_place(before: &[String], wanted: &[String]) -> Option<Diagnostic> {
    if before.len() != wanted.len() {
        return None;
    }
    let (old, new) = (parse_id_set(before)?, parse_id_set(wanted)?);
    let joining: Vec<String> = new.difference(&old).map(u64::to_string).collect();
    let leaving: Vec<String> = old.difference(&new).map(u64::to_string).collect();
    let places = before.iter().zip(wanted).filter(|(a, b)| a != b).count();
    if places <= joining.len() {
        return None;
    }
    let listed = |ids: &[String]| {
        let shown = ids.iter().take(20).cloned().collect::<Vec<_>>().join(", ");
        match ids.len() {
            n if n > 20 => format!("{shown} and {} more", n - 20),
            _ => shown,
        }
    };
    Some(
        Diagnostic::warning(
            "Members that join and leave",
            format!(
                "This plan adds {} member(s) to the group ({}) and removes {} ({}); no other member changes. Terraform shows a list that keeps its length place by place, so the {places} places it marks as changed include members who stay.",
                joining.len(),
                listed(&joining),
                leaving.len(),
                listed(&leaving),
            ),
        )
        .at(AttributePath::root("user_ids")),
    )
}

/// The members that `changes` made true, starting from `before`.
fn after(before: &BTreeSet<u64>, changes: &MemberChanges) -> BTreeSet<u64> {
    let mut now = before.clone();
    now.extend(&changes.added);
    for id in &changes.removed {
        now.remove(id);
    }
    now
}

/// One error for every failed change, pointing at `user_ids`; users who do
/// not exist get their own wording (the usual reason: deleted in Domo).
fn failures(group_id: u64, changes: &MemberChanges) -> Diagnostics {
    let mut missing = Vec::new();
    let mut diagnostics = Diagnostics::default();
    for failure in &changes.failed {
        if failure.adding && failure.error.is_not_found() {
            missing.push(failure.user_id.to_string());
            continue;
        }
        let verb = if failure.adding { "add" } else { "remove" };
        let mut d = api_error(Action::Update, ObjectKind::GroupMembership, &failure.error);
        d.summary = format!(
            "Could not {verb} Domo user {} {} group {group_id}",
            failure.user_id,
            if failure.adding { "to" } else { "from" }
        );
        diagnostics.push(d.at(AttributePath::root("user_ids")));
    }
    if !missing.is_empty() {
        diagnostics.push(
            Diagnostic::error(
                "Domo users do not exist",
                format!(
                    "Cannot add {} to Domo group {group_id}: Domo has no such user (deleted in Domo, or never created): {}. Remove {} from user_ids. Every other member change was made.",
                    if missing.len() == 1 { "this user" } else { "these users" },
                    missing.join(", "),
                    if missing.len() == 1 { "it" } else { "them" },
                ),
            )
            .at(AttributePath::root("user_ids")),
        );
    }
    diagnostics
}

fn no_such_group(group_id: u64) -> Diagnostic {
    Diagnostic::error(
        "No such Domo group",
        format!("Domo has no group with id {group_id} (it may have been deleted). Check group_id; the domo_groups data source lists every group with its id."),
    )
    .at(AttributePath::root("group_id"))
}

/// Whether a batch of failed adds means the group itself is gone (every
/// 404 looks alike).
async fn group_is_gone(client: &DomoClient, group_id: u64, changes: &MemberChanges) -> bool {
    let any_not_found = changes.failed.iter().any(|f| f.error.is_not_found());
    any_not_found && matches!(client.get_group(group_id).await, Ok(None))
}

/// Makes the group's members go from `before` to `wanted`.
async fn converge(
    client: &DomoClient,
    group_id: u64,
    before: &BTreeSet<u64>,
    wanted: &BTreeSet<u64>,
) -> MemberChanges {
    let add: Vec<u64> = wanted.difference(before).copied().collect();
    let remove: Vec<u64> = before.difference(wanted).copied().collect();
    tracing::debug!(
        group_id,
        add = add.len(),
        remove = remove.len(),
        "changing group members"
    );
    client.change_group_members(group_id, &add, &remove).await
}

/// The warning for users state listed that Domo no longer lists and that
/// no longer exist: the plan will try to add them back, which cannot work.
async fn deleted_users_warning(
    client: &DomoClient,
    group_id: u64,
    vanished: impl Iterator<Item = u64>,
) -> Option<Diagnostic> {
    let mut deleted = Vec::new();
    for id in vanished {
        // Served from the shared user listing when there are many.
        if let Ok(None) = client.read_user(id).await {
            deleted.push(id.to_string());
        }
    }
    (!deleted.is_empty()).then(|| {
        Diagnostic::warning(
            "Users in user_ids no longer exist in Domo",
            format!(
                "These Domo users were members of group {group_id} and have since been deleted in Domo: {}. If user_ids still lists them, the plan adds them back and the apply will fail: remove them from user_ids.",
                deleted.join(", ")
            ),
        )
        .at(AttributePath::root("user_ids"))
    })
}

pub struct GroupMembersResource;

#[tonic::async_trait]
impl Resource for GroupMembersResource {
    type Model = GroupMembersModel;
    type Identity = GroupMembersIdentity;
    const TYPE_NAME: &'static str = "domo_group_members";
    const DESCRIPTION: &'static str = "The complete member list of one Domo group. Authoritative: members the group has in Domo that `user_ids` does not list are removed. Do not combine it with `domo_group_membership` for the same group: the two would undo each other's changes.";
    /// 1: `user_ids` is a list read as a set (version 0: a set).
    const SCHEMA_VERSION: i64 = 1;
    const MAY_PLAN_PRIOR: &'static [&'static str] = &["user_ids"];

    fn validate(&self, config: &GroupMembersModel) -> Diagnostics {
        Diagnostics(
            [
                check_id(
                    &config.group_id,
                    "Domo group",
                    AttributePath::root("group_id"),
                ),
                check_id_list(
                    &config.user_ids,
                    "Domo user",
                    AttributePath::root("user_ids"),
                ),
                check_no_repeated_ids(&config.user_ids, AttributePath::root("user_ids")),
            ]
            .into_iter()
            .flatten()
            .collect(),
        )
    }

    fn modify_plan(
        &self,
        prior: Option<&GroupMembersModel>,
        planned: &mut GroupMembersModel,
        config: &GroupMembersModel,
    ) -> Diagnostics {
        // The id is the group id, known as soon as group_id is.
        planned.id = planned.group_id.clone();
        // Checked again here: validation may have seen the list unknown.
        if let Some(repeated) =
            check_no_repeated_ids(&config.user_ids, AttributePath::root("user_ids"))
        {
            return repeated.into();
        }
        // The same members in another order: no change.
        if let (Some(before), Some(wanted)) = (
            prior.and_then(|p| p.user_ids.known()),
            config.user_ids.known(),
        ) {
            if same_ids(before, wanted) {
                planned.user_ids = Field::Known(before.clone());
            } else if let Some(summary) = changes_shown_place_by_place(before, wanted) {
                return summary.into();
            }
        }
        Diagnostics::default()
    }

    async fn create(
        &self,
        client: &DomoClient,
        planned: GroupMembersModel,
    ) -> Result<Outcome<GroupMembersModel>, Diagnostics> {
        let group_id = planned.group_id()?;
        let wanted = planned.user_ids()?;
        let current: BTreeSet<u64> = match client.list_group_members(group_id).await {
            Ok(members) => members.into_iter().collect(),
            Err(e) if e.is_not_found() => return Err(no_such_group(group_id).into()),
            Err(e) => return Err(api_error(Action::Read, ObjectKind::Group, &e).into()),
        };
        let changes = converge(client, group_id, &current, &wanted).await;
        if changes.failed.is_empty() {
            return Ok(Outcome::new(planned));
        }
        if group_is_gone(client, group_id, &changes).await {
            return Err(no_such_group(group_id).into());
        }
        // No state for a create that failed in part (Terraform would taint
        // it, and replacing it would remove every member): the next apply
        // reads the members again and finishes the job.
        Err(failures(group_id, &changes))
    }

    async fn read(
        &self,
        client: &DomoClient,
        current: GroupMembersModel,
        _private: &[u8],
    ) -> Result<Outcome<GroupMembersModel>, Diagnostics> {
        let group_id = current.group_id()?;
        let members: BTreeSet<u64> = match client.list_group_members(group_id).await {
            Ok(members) => members.into_iter().collect(),
            Err(e) if e.is_not_found() => {
                return Ok(Outcome::gone().with_diagnostic(Diagnostic::warning(
                    "Domo group no longer exists",
                    format!("Domo group {group_id} was not found, so its member list was removed from Terraform state. If the configuration still manages it, the next apply fails until group_id names a group that exists."),
                )))
            }
            Err(e) => return Err(api_error(Action::Read, ObjectKind::Group, &e).into()),
        };
        let known = current.user_ids.known();
        let vanished: Vec<u64> = known
            .and_then(parse_id_set)
            .map(|before| before.difference(&members).copied().collect())
            .unwrap_or_default();
        let mut outcome = Outcome::new(GroupMembersModel::with_members(
            &current.group_id,
            &members,
            known.into_iter().flatten(),
        ));
        if let Some(warning) = deleted_users_warning(client, group_id, vanished.into_iter()).await {
            outcome = outcome.with_diagnostic(warning);
        }
        Ok(outcome)
    }

    async fn update(
        &self,
        client: &DomoClient,
        prior: GroupMembersModel,
        planned: GroupMembersModel,
        _private: &[u8],
    ) -> Result<Outcome<GroupMembersModel>, Diagnostics> {
        let group_id = prior.group_id()?;
        // The prior state was refreshed from Domo when the plan was made:
        // the difference is exactly the requests to send.
        let before = prior.user_ids()?;
        let wanted = planned.user_ids()?;
        let changes = converge(client, group_id, &before, &wanted).await;
        if changes.failed.is_empty() {
            return Ok(Outcome::new(planned));
        }
        if group_is_gone(client, group_id, &changes).await {
            return Ok(Outcome::gone().with_diagnostic(no_such_group(group_id)));
        }
        // Store what was done, with the errors: state stays true.
        let now = after(&before, &changes);
        let ordered = planned
            .user_ids
            .known()
            .into_iter()
            .chain(prior.user_ids.known())
            .flatten();
        let mut outcome = Outcome::new(GroupMembersModel::with_members(
            &planned.group_id,
            &now,
            ordered,
        ));
        outcome.diagnostics = failures(group_id, &changes);
        Ok(outcome)
    }

    async fn delete(
        &self,
        client: &DomoClient,
        prior: GroupMembersModel,
    ) -> Result<Outcome<GroupMembersModel>, Diagnostics> {
        let group_id = prior.group_id()?;
        let before = prior.user_ids()?;
        let changes = converge(client, group_id, &before, &BTreeSet::new()).await;
        if changes.failed.is_empty() {
            return Ok(Outcome::gone());
        }
        let now = after(&before, &changes);
        let mut outcome = Outcome::new(GroupMembersModel::with_members(
            &prior.group_id,
            &now,
            prior.user_ids.known().into_iter().flatten(),
        ));
        outcome.diagnostics = failures(group_id, &changes);
        Ok(outcome)
    }

    fn upgrade(
        &self,
        version: i64,
        state: GroupMembersModel,
    ) -> Result<GroupMembersModel, Diagnostics> {
        // Version 0 stored the set as a JSON array of its ids, in the set's
        // (sorted) order: read as the list, it is the same members in the
        // same order, with no call to Domo. Refresh keeps that order, and
        // the plan keeps it for a configuration listing the same members.
        debug_assert!(version <= Self::SCHEMA_VERSION);
        Ok(state)
    }

    async fn import(
        &self,
        client: &DomoClient,
        raw_id: &str,
    ) -> Result<Outcome<GroupMembersModel>, Diagnostics> {
        let Some(group_id) = parse_id(raw_id) else {
            return Err(Diagnostic::error(
                "Invalid import id",
                format!("\"{raw_id}\" is not a Domo group id. Import the member list of a group by the group's id, for example:\n\n  terraform import domo_group_members.sales 1234567"),
            )
            .into());
        };
        match client.list_group_members(group_id).await {
            Ok(members) => Ok(Outcome::new(GroupMembersModel::with_members(
                &Field::Known(group_id.to_string()),
                &members.into_iter().collect(),
                [],
            ))),
            Err(e) if e.is_not_found() => Err(Diagnostic::error(
                "Cannot import: no such Domo group",
                format!("No Domo group with id {group_id} exists. The domo_groups data source lists every group with its id."),
            )
            .into()),
            Err(e) => Err(api_error(Action::Import, ObjectKind::Group, &e).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domo::{DomoError, MemberChangeFailure};
    use crate::framework::{register, StoredForm};
    use crate::protocol::{Model, Value};

    fn config(group_id: &str, users: &[&str]) -> Value {
        GroupMembersModel {
            id: Field::Null,
            group_id: Field::Known(group_id.into()),
            user_ids: Field::Known(users.iter().map(|s| s.to_string()).collect()),
        }
        .to_value()
    }

    fn ids(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
        range.map(|i| i.to_string()).collect()
    }

    #[test]
    fn a_shifted_list_of_one_length_is_summed_up_by_who_joins_and_leaves() {
        // One leaves at the top, one joins at the end: Terraform would show
        // seven places changed.
        let warning = changes_shown_place_by_place(&ids(1..=7), &ids(2..=8)).expect("a warning");
        assert!(
            warning
                .detail
                .contains("adds 1 member(s) to the group (8) and removes 1 (1)"),
            "{}",
            warning.detail
        );
        assert!(
            warning.detail.contains("the 7 places"),
            "{}",
            warning.detail
        );
        // One replaced in its place: the plan shows exactly that.
        let mut swapped = ids(1..=7);
        swapped[3] = "9".into();
        assert!(changes_shown_place_by_place(&ids(1..=7), &swapped).is_none());
        // Lengths differ: Terraform shows additions and removals.
        assert!(changes_shown_place_by_place(&ids(1..=7), &ids(2..=9)).is_none());
    }

    #[test]
    fn bad_ids_fail_at_their_attribute() {
        let r = register(GroupMembersResource);
        let d = r.validate(&config("sales", &["1", "ada"]));
        assert_eq!(
            d.paths(),
            vec![
                AttributePath::root("group_id"),
                AttributePath::root("user_ids")
            ]
        );
        assert!(r.validate(&config("7", &[])).is_empty());
    }

    #[test]
    fn the_plan_knows_the_id_and_a_new_group_replaces() {
        let r = register(GroupMembersResource);
        let c = config("7", &["1"]);
        let planned = r.plan(Value::Null, c.clone(), c, Value::Null).unwrap();
        let m = GroupMembersModel::from_value(&planned.state)
            .unwrap()
            .unwrap();
        assert_eq!(m.id.as_deref(), Some("7"));
        let moved = config("8", &["1"]);
        let planned = r
            .plan(planned.state, moved.clone(), moved, Value::Null)
            .unwrap();
        assert_eq!(
            planned.requires_replace,
            vec![AttributePath::root("group_id")]
        );
    }

    fn user_ids_of(value: &Value) -> Vec<String> {
        let m = GroupMembersModel::from_value(value).unwrap().unwrap();
        m.user_ids.known().cloned().unwrap()
    }

    #[test]
    fn a_reordered_list_plans_the_prior_order_and_a_changed_one_the_configured() {
        let r = register(GroupMembersResource);
        let prior = config("7", &["3", "1", "2"]);
        let reordered = config("7", &["2", "3", "01"]);
        let planned = r
            .plan(prior.clone(), reordered.clone(), reordered, Value::Null)
            .unwrap();
        assert_eq!(
            planned.state.get("user_ids"),
            prior.get("user_ids"),
            "no change: the prior value, exactly"
        );
        let changed = config("7", &["2", "3", "4"]);
        let planned = r
            .plan(prior.clone(), changed.clone(), changed, Value::Null)
            .unwrap();
        assert_eq!(user_ids_of(&planned.state), ["2", "3", "4"]);
        // A create plans the configuration as written.
        let c = config("7", &["3", "1"]);
        let planned = r.plan(Value::Null, c.clone(), c, Value::Null).unwrap();
        assert_eq!(user_ids_of(&planned.state), ["3", "1"]);
    }

    #[test]
    fn an_id_listed_twice_fails_naming_it_at_validation_and_at_plan() {
        let r = register(GroupMembersResource);
        let twice = config("7", &["5", "1", "05", "2", "1"]);
        let d = r.validate(&twice);
        assert_eq!(d.0.len(), 1, "{d:?}");
        assert_eq!(
            d.0[0].attribute,
            Some(AttributePath::root("user_ids").index(2))
        );
        assert!(
            d.0[0].detail.contains(r#"more than once: "5", "1""#),
            "{}",
            d.0[0].detail
        );
        let d = r
            .plan(Value::Null, twice.clone(), twice, Value::Null)
            .unwrap_err();
        assert_eq!(d.0[0].summary, "Repeated id");
    }

    #[test]
    fn refresh_keeps_the_stored_order_newcomers_taking_the_places_of_members_gone() {
        let stored: Vec<String> = ["30", "010", "20", "x"].map(String::from).to_vec();
        let members = BTreeSet::from([10, 20, 5, 40, 50]);
        // 5 takes the place of 30, 40 that of "x"; 50 goes at the end.
        assert_eq!(in_order(&members, &stored), ["5", "010", "20", "40", "50"]);
        let fewer = BTreeSet::from([20]);
        assert_eq!(in_order(&fewer, &stored), ["20"]);
        assert_eq!(in_order(&members, []), ["5", "10", "20", "40", "50"]);
        assert!(same_ids(
            &stored[..3],
            &["20".into(), "30".into(), "10".into()]
        ));
        assert!(!same_ids(
            &["1".into(), "01".into()],
            &["1".into(), "2".into()]
        ));
        assert!(!same_ids(&stored, &stored[..3]));
    }

    #[test]
    fn state_stored_as_a_set_upgrades_to_the_same_list() {
        let r = register(GroupMembersResource);
        assert_eq!(r.schema().version, 1);
        let stored = crate::protocol::value::decode_json(
            br#"{"id":"7","group_id":"7","user_ids":["10","2","30"]}"#,
        )
        .unwrap();
        let upgraded = r.upgrade(0, &stored, StoredForm::AsWritten).unwrap();
        assert_eq!(user_ids_of(&upgraded), ["10", "2", "30"]);
        assert_eq!(
            r.schema().to_proto().block.unwrap().attributes[2].r#type,
            br#"["list","string"]"#
        );
    }

    #[test]
    fn partial_results_keep_what_was_done_and_name_each_failure() {
        let not_found = || DomoError::Api {
            method: "PUT".into(),
            path: "/v1/groups/7/users/9".into(),
            status: 404,
            message: "User 9 not found".into(),
            toe: None,
        };
        let changes = MemberChanges {
            added: vec![3],
            removed: vec![1],
            failed: vec![
                MemberChangeFailure {
                    user_id: 9,
                    adding: true,
                    error: not_found(),
                },
                MemberChangeFailure {
                    user_id: 2,
                    adding: false,
                    error: DomoError::Timeout {
                        method: "DELETE".into(),
                        path: "/v1/groups/7/users/2".into(),
                        waited: std::time::Duration::from_secs(30),
                    },
                },
            ],
        };
        let before = BTreeSet::from([1, 2]);
        assert_eq!(after(&before, &changes), BTreeSet::from([2, 3]));
        let d = failures(7, &changes);
        assert_eq!(d.0.len(), 2);
        assert!(d
            .0
            .iter()
            .all(|d| d.attribute == Some(AttributePath::root("user_ids"))));
        assert_eq!(d.0[0].summary, "Could not remove Domo user 2 from group 7");
        assert_eq!(d.0[1].summary, "Domo users do not exist");
        assert!(
            d.0[1]
                .detail
                .contains("such user (deleted in Domo, or never created): 9. Remove it"),
            "{}",
            d.0[1].detail
        );
    }
}
