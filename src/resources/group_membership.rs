//! `domo_group_membership`: one user in one group, additive.
//!
//! For teams that manage membership from the user's side (each user's
//! configuration says which groups it joins): creating one adds the user,
//! destroying it removes the user, and other members are left alone. It
//! must not be combined with `domo_group_members` on the same group, which
//! would remove what this adds.
//!
//! Refresh reads the user (served from the provider's shared user listing
//! when many memberships are refreshed at once) and looks for the group in
//! the user's groups; only when Domo leaves those out is the group's member
//! listing read.

use crate::domo::{DomoClient, Membership};
use crate::framework::{Identity, Outcome, Resource};
use crate::model;
use crate::protocol::{AttributePath, Diagnostic, Diagnostics, Field};
use crate::provider::errors::{api_error, deleted, Action, ObjectKind};
use crate::provider::rules::{check_id, numeric_id, parse_id};

model! {
    /// A `domo_group_membership` as Terraform holds it.
    pub struct GroupMembershipModel {
        /// `<group_id>/<user_id>`.
        id: Field<String> [computed],
        /// Id of the group, such as `domo_group.sales.id`. Changing it moves
        /// the user: out of the old group, into the new one.
        group_id: Field<String> [required, requires_replace],
        /// Id of the user, such as `domo_user.ada.id`. Changing it replaces
        /// the membership.
        user_id: Field<String> [required, requires_replace],
    }
}

model! {
    /// What names a `domo_group_membership` for its whole life: its group
    /// and its user.
    pub struct GroupMembershipIdentity {
        /// Domo's numeric id of the group, as a string (the `group_id`
        /// attribute).
        group_id: Field<String> [required],
        /// Domo's numeric id of the user, as a string (the `user_id`
        /// attribute).
        user_id: Field<String> [required],
    }
}

impl Identity<GroupMembershipModel> for GroupMembershipIdentity {
    fn of(state: &GroupMembershipModel) -> Option<Self> {
        Some(GroupMembershipIdentity {
            group_id: Field::Known(state.group_id.known()?.clone()),
            user_id: Field::Known(state.user_id.known()?.clone()),
        })
    }

    fn import_id(&self) -> Result<String, Diagnostic> {
        Ok(format!(
            "{}/{}",
            numeric_id(&self.group_id, "group_id", "Domo group")?,
            numeric_id(&self.user_id, "user_id", "Domo user")?
        ))
    }
}

impl GroupMembershipModel {
    fn ids(&self) -> Result<(u64, u64), Diagnostics> {
        let parse = |field: &Field<String>, name: &str| {
            field.as_deref().and_then(parse_id).ok_or_else(|| {
                Diagnostics::from(
                    Diagnostic::error(
                        format!("Invalid {name}"),
                        format!("Expected a numeric Domo id, found {field:?}."),
                    )
                    .at(AttributePath::root(name)),
                )
            })
        };
        Ok((
            parse(&self.group_id, "group_id")?,
            parse(&self.user_id, "user_id")?,
        ))
    }

    fn of(group_id: u64, user_id: u64) -> Self {
        GroupMembershipModel {
            id: Field::Known(format!("{group_id}/{user_id}")),
            group_id: Field::Known(group_id.to_string()),
            user_id: Field::Known(user_id.to_string()),
        }
    }
}

fn no_group(group_id: u64) -> Diagnostic {
    Diagnostic::error(
        "No such Domo group",
        format!("Domo has no group with id {group_id} (it may have been deleted). Check group_id."),
    )
    .at(AttributePath::root("group_id"))
}

fn no_user(user_id: u64) -> Diagnostic {
    Diagnostic::error(
        "No such Domo user",
        format!("Domo has no user with id {user_id} (it may have been deleted). Check user_id."),
    )
    .at(AttributePath::root("user_id"))
}

fn parse_import_id(raw: &str) -> Option<(u64, u64)> {
    let (group, user) = raw.trim().split_once('/')?;
    Some((parse_id(group)?, parse_id(user)?))
}

pub struct GroupMembershipResource;

#[tonic::async_trait]
impl Resource for GroupMembershipResource {
    type Model = GroupMembershipModel;
    type Identity = GroupMembershipIdentity;
    const TYPE_NAME: &'static str = "domo_group_membership";
    const DESCRIPTION: &'static str = "One user's membership of one Domo group. Additive: other members of the group are left alone. Do not combine it with `domo_group_members` for the same group: that resource removes every member it does not list, including the ones added here.";

    fn validate(&self, config: &GroupMembershipModel) -> Diagnostics {
        Diagnostics(
            [
                check_id(
                    &config.group_id,
                    "Domo group",
                    AttributePath::root("group_id"),
                ),
                check_id(&config.user_id, "Domo user", AttributePath::root("user_id")),
            ]
            .into_iter()
            .flatten()
            .collect(),
        )
    }

    fn modify_plan(
        &self,
        _prior: Option<&GroupMembershipModel>,
        planned: &mut GroupMembershipModel,
        _config: &GroupMembershipModel,
    ) -> Diagnostics {
        if let Ok((group_id, user_id)) = planned.ids() {
            planned.id = Field::Known(format!("{group_id}/{user_id}"));
        }
        Diagnostics::default()
    }

    async fn create(
        &self,
        client: &DomoClient,
        planned: GroupMembershipModel,
    ) -> Result<Outcome<GroupMembershipModel>, Diagnostics> {
        let (group_id, user_id) = planned.ids()?;
        match client.add_group_member(group_id, user_id).await {
            Ok(()) => Ok(Outcome::new(GroupMembershipModel::of(group_id, user_id))),
            // Domo's 404 does not say whether the group or the user is
            // missing: ask.
            Err(e) if e.is_not_found() => match client.get_group(group_id).await {
                Ok(None) => Err(no_group(group_id).into()),
                _ => Err(no_user(user_id).into()),
            },
            Err(e) => Err(api_error(Action::Create, ObjectKind::GroupMembership, &e).into()),
        }
    }

    async fn read(
        &self,
        client: &DomoClient,
        current: GroupMembershipModel,
        _private: &[u8],
    ) -> Result<Outcome<GroupMembershipModel>, Diagnostics> {
        let (group_id, user_id) = current.ids()?;
        let why = match client.group_membership(group_id, user_id).await {
            Ok(Membership::Member) => {
                return Ok(Outcome::new(GroupMembershipModel::of(group_id, user_id)))
            }
            Ok(Membership::NotMember) => format!("Domo user {user_id} is no longer a member of group {group_id}: it was removed outside Terraform. The next plan adds it again."),
            Ok(Membership::NoUser) => format!("Domo user {user_id} no longer exists (deleted in Domo), so it is no longer a member of group {group_id}. The next plan adds it again, which fails until user_id names a user that exists."),
            Ok(Membership::NoGroup) => format!("Domo group {group_id} no longer exists, so user {user_id} is no longer a member of it. The next plan adds it again, which fails until group_id names a group that exists."),
            Err(e) => return Err(api_error(Action::Read, ObjectKind::GroupMembership, &e).into()),
        };
        Ok(Outcome::gone().with_diagnostic(Diagnostic::warning(
            "Domo group membership no longer exists",
            why,
        )))
    }

    async fn update(
        &self,
        _client: &DomoClient,
        _prior: GroupMembershipModel,
        planned: GroupMembershipModel,
        _private: &[u8],
    ) -> Result<Outcome<GroupMembershipModel>, Diagnostics> {
        // Every attribute replaces: an update only ever carries the same
        // ids (spelled differently, say).
        Ok(Outcome::new(planned))
    }

    async fn delete(
        &self,
        client: &DomoClient,
        prior: GroupMembershipModel,
    ) -> Result<Outcome<GroupMembershipModel>, Diagnostics> {
        let (group_id, user_id) = prior.ids()?;
        let removed = client.remove_group_member(group_id, user_id).await;
        deleted(ObjectKind::GroupMembership, removed)
    }

    async fn import(
        &self,
        client: &DomoClient,
        raw_id: &str,
    ) -> Result<Outcome<GroupMembershipModel>, Diagnostics> {
        let Some((group_id, user_id)) = parse_import_id(raw_id) else {
            return Err(Diagnostic::error(
                "Invalid import id",
                format!("\"{raw_id}\" is not <group_id>/<user_id>. Import a membership by both ids, for example:\n\n  terraform import domo_group_membership.ada_sales 1234567/7654321"),
            )
            .into());
        };
        let problem = match client.group_membership(group_id, user_id).await {
            Ok(Membership::Member) => {
                return Ok(Outcome::new(GroupMembershipModel::of(group_id, user_id)))
            }
            Ok(Membership::NotMember) => {
                format!("Domo user {user_id} is not a member of group {group_id}.")
            }
            Ok(Membership::NoUser) => format!("Domo has no user with id {user_id}."),
            Ok(Membership::NoGroup) => format!("Domo has no group with id {group_id}."),
            Err(e) => return Err(api_error(Action::Import, ObjectKind::GroupMembership, &e).into()),
        };
        Err(Diagnostic::error("Cannot import: no such Domo group membership", problem).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::register;
    use crate::protocol::{Model, Value};

    fn config(group_id: &str, user_id: &str) -> Value {
        GroupMembershipModel {
            id: Field::Null,
            group_id: Field::Known(group_id.into()),
            user_id: Field::Known(user_id.into()),
        }
        .to_value()
    }

    #[test]
    fn ids_are_checked_planned_and_replace_when_changed() {
        let r = register(GroupMembershipResource);
        assert_eq!(
            r.validate(&config("g", "u")).paths(),
            vec![
                AttributePath::root("group_id"),
                AttributePath::root("user_id")
            ]
        );
        let c = config("7", "42");
        let planned = r
            .plan(Value::Null, c.clone(), c.clone(), Value::Null)
            .unwrap();
        assert_eq!(planned.state.get("id"), Some(&Value::string("7/42")));
        let moved = config("7", "43");
        let planned = r
            .plan(planned.state, moved.clone(), moved, Value::Null)
            .unwrap();
        assert_eq!(
            planned.requires_replace,
            vec![AttributePath::root("user_id")]
        );
        let unknown = GroupMembershipModel {
            group_id: Field::Unknown,
            ..GroupMembershipModel::from_value(&c).unwrap().unwrap()
        }
        .to_value();
        let planned = r
            .plan(Value::Null, unknown.clone(), unknown, Value::Null)
            .unwrap();
        assert_eq!(planned.state.get("id"), Some(&Value::Unknown));
    }

    fn identity(group_id: &str, user_id: &str) -> Value {
        Value::object([
            ("group_id", Value::string(group_id)),
            ("user_id", Value::string(user_id)),
        ])
    }

    #[test]
    fn the_identity_is_planned_from_the_ids_and_never_changes_but_on_replacement() {
        let r = register(GroupMembershipResource);
        let c = config("7", "42");
        // Both ids configured: known from the plan of the create.
        let created = r
            .plan(Value::Null, c.clone(), c.clone(), Value::Null)
            .unwrap();
        assert_eq!(created.identity, identity("7", "42"));
        // An update keeps it; a null prior identity (Terraform < 1.12) is
        // filled in from state.
        let state = created.state;
        for held in [identity("7", "42"), Value::Null] {
            let planned = r.plan(state.clone(), c.clone(), c.clone(), held).unwrap();
            assert_eq!(planned.identity, identity("7", "42"));
        }
        // Another identity than the object's: refused.
        let err = r
            .plan(state.clone(), c.clone(), c.clone(), identity("7", "99"))
            .unwrap_err();
        assert_eq!(err.0[0].summary, "Unexpected identity change");
        // A replacement is a new object with a new identity.
        let moved = config("7", "43");
        let replaced = r
            .plan(state.clone(), moved.clone(), moved, identity("7", "42"))
            .unwrap();
        assert!(!replaced.requires_replace.is_empty());
        assert_eq!(replaced.identity, identity("7", "43"));
        // A destroy keeps the identity to the end.
        let destroy = r
            .plan(state, Value::Null, Value::Null, identity("7", "42"))
            .unwrap();
        assert_eq!(destroy.identity, identity("7", "42"));
        // Not known yet: none planned.
        let unknown = GroupMembershipModel {
            group_id: Field::Unknown,
            ..GroupMembershipModel::from_value(&c).unwrap().unwrap()
        }
        .to_value();
        let planned = r
            .plan(Value::Null, unknown.clone(), unknown, Value::Null)
            .unwrap();
        assert_eq!(planned.identity, Value::Null);
    }

    #[test]
    fn an_identity_imports_by_both_ids_and_only_well_formed_ones() {
        let ids = |group: &str, user: &str| GroupMembershipIdentity {
            group_id: Field::Known(group.into()),
            user_id: Field::Known(user.into()),
        };
        assert_eq!(ids("7", "42").import_id().unwrap(), "7/42");
        let bad = ids("7", "ada").import_id().unwrap_err();
        assert!(bad.detail.contains("user_id = \"ada\""), "{bad:?}");
        let missing = GroupMembershipIdentity {
            user_id: Field::Null,
            ..ids("7", "42")
        };
        assert!(missing.import_id().unwrap_err().detail.contains("user_id"));
        let schema = register(GroupMembershipResource)
            .identity_schema()
            .expect("an identity")
            .to_proto();
        let names: Vec<_> = schema
            .identity_attributes
            .iter()
            .map(|a| (a.name.as_str(), a.required_for_import))
            .collect();
        assert_eq!(names, [("group_id", true), ("user_id", true)]);
    }

    #[test]
    fn import_ids_are_group_slash_user() {
        assert_eq!(parse_import_id("7/42"), Some((7, 42)));
        assert_eq!(parse_import_id(" 7 / 42 "), Some((7, 42)));
        assert_eq!(parse_import_id("7"), None);
        assert_eq!(parse_import_id("7/x"), None);
    }
}
