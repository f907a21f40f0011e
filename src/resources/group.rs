//! `domo_group`: a group of users in a Domo instance (its members are
//! managed by `domo_group_members` or `domo_group_membership`).
//!
//! What this resource promises, beyond plain CRUD:
//! - every change is an in-place update (Domo ids never change);
//! - a group Domo refuses to delete while it has members is emptied first
//!   (the client does it), so `terraform destroy` always works;
//! - a name another group has fails with the `terraform import` command
//!   that adopts that group;
//! - import by id, or by `name:<group name>` (refused, with the ids, when
//!   several groups have the name);
//! - `member_count` is Domo's count: it changes whenever members do, so an
//!   update plans it unknown rather than promising the old count.

use crate::domo::{DomoClient, DomoError, Group, GroupFields};
use crate::framework::{Identity, Outcome, Resource};
use crate::model;
use crate::protocol::{AttributePath, Diagnostic, Diagnostics, Field};
use crate::provider::errors::{api_error, deleted, imported, Action, ObjectKind};
use crate::provider::rules::{check_not_blank, numeric_id, parse_id};

model! {
    /// A `domo_group` as Terraform holds it.
    pub struct GroupModel {
        /// Domo's numeric id of the group, as a string.
        id: Field<String> [computed],
        /// The group's name. Domo may refuse a name another group has
        /// (compared ignoring letter case).
        name: Field<String> [required],
        /// Whether this is a default group: Domo adds every new user to its
        /// default groups. When left unset, Terraform does not manage it and
        /// state follows Domo (a new group is not a default group).
        default: Field<bool> [optional, computed],
        /// How many users are members, as Domo counts them (null when Domo
        /// does not say). Changes whenever members do.
        member_count: Field<u64> [computed],
        /// Id of the user who created the group: for groups Terraform
        /// creates, the Domo user the API client acts for.
        creator_id: Field<String> [computed],
    }
}

model! {
    /// What names a `domo_group` for its whole life.
    pub struct GroupIdentity {
        /// Domo's numeric id of the group, as a string (the `id` attribute).
        id: Field<String> [required],
    }
}

impl Identity<GroupModel> for GroupIdentity {
    fn of(state: &GroupModel) -> Option<Self> {
        let id = state.id.known()?;
        Some(GroupIdentity {
            id: Field::Known(id.clone()),
        })
    }

    fn import_id(&self) -> Result<String, Diagnostic> {
        numeric_id(&self.id, "id", "Domo group")
    }
}

impl GroupModel {
    fn id(&self) -> Result<u64, Diagnostics> {
        self.id.as_deref().and_then(parse_id).ok_or_else(|| {
            Diagnostic::error(
                "Invalid group id in state",
                format!("Expected Domo's numeric group id, found {:?}. Remove the resource from state and import it again.", self.id),
            )
            .into()
        })
    }

    /// The group as Domo's API takes it. `default` goes only when known
    /// (configured, or carried over from state), so that an unset one
    /// leaves Domo's value alone.
    fn fields(&self) -> Result<GroupFields, Diagnostics> {
        let name = self.name.known().cloned().ok_or_else(|| {
            Diagnostics::from(
                Diagnostic::error(
                    "name is not known",
                    "Terraform sent an unknown group name at apply time; this is a bug, please report it.",
                )
                .at(AttributePath::root("name")),
            )
        })?;
        Ok(GroupFields {
            name,
            default: self.default.known().copied(),
            active: None,
        })
    }

    /// This planned model with what only Domo knows filled in from its
    /// answer; configured values stay as planned.
    fn applied(mut self, group: &Group) -> Self {
        self.id = Field::Known(group.id.to_string());
        if !matches!(self.default, Field::Known(_)) {
            self.default = Field::from_option(group.default);
        }
        self.member_count = Field::from_option(group.member_count);
        self.creator_id = Field::from_option(group.creator_id.map(|id| id.to_string()));
        self
    }

    /// The group exactly as Domo reports it.
    pub(crate) fn of(group: &Group) -> Self {
        GroupModel {
            name: Field::Known(group.name.clone()),
            default: Field::from_option(group.default),
            ..GroupModel::default()
        }
        .applied(group)
    }

    /// State after reading `group`, given state before: as Domo reports it,
    /// except `default` when Domo leaves it out (then it cannot have been
    /// seen to change).
    fn refreshed(&self, group: &Group) -> Self {
        let mut refreshed = GroupModel::of(group);
        if group.default.is_none() {
            refreshed.default = self.default.clone();
        }
        refreshed
    }

    /// Whether going from `self` to `planned` calls Domo.
    fn differs_in_domo(&self, planned: &GroupModel) -> bool {
        self.name != planned.name || self.default != planned.default
    }
}

/// A name another group has: say which, and how to adopt it instead.
async fn duplicate_name(client: &DomoClient, name: &str, err: &DomoError) -> Diagnostic {
    // Domo may compare names ignoring letter case: so does this lookup.
    let existing = client.list_all_groups().await.ok().and_then(|groups| {
        groups
            .iter()
            .filter(|group| group.name.trim().to_lowercase() == name.trim().to_lowercase())
            .map(|group| group.id)
            .min()
    });
    let (who, import) = match existing {
        Some(id) => (
            format!(" (id {id})"),
            format!("  terraform import ADDRESS {id}"),
        ),
        None => (
            String::new(),
            format!("  terraform import ADDRESS \"name:{name}\""),
        ),
    };
    Diagnostic::error(
        "A Domo group with this name already exists",
        format!(
            "Domo refused the name \"{name}\": another group{who} has it. Domo said: {err}\n\nTo manage that group with Terraform instead, import it into this resource's address:\n\n{import}\n\nOtherwise, choose another name."
        ),
    )
    .at(AttributePath::root("name"))
}

fn gone_after_planning(id: u64) -> Diagnostic {
    Diagnostic::error(
        "Domo group no longer exists",
        format!("Domo group {id} was deleted outside Terraform after this update was planned, so there is nothing to update. The next terraform plan or apply notices it is gone and creates it again."),
    )
}

enum ImportId {
    Id(u64),
    Name(String),
}

fn parse_import_id(raw: &str) -> Result<ImportId, Diagnostic> {
    let trimmed = raw.trim();
    if let Some(name) = trimmed.strip_prefix("name:") {
        if !name.trim().is_empty() {
            return Ok(ImportId::Name(name.trim().to_owned()));
        }
    } else if let Some(id) = parse_id(trimmed) {
        return Ok(ImportId::Id(id));
    }
    Err(Diagnostic::error(
        "Invalid import id",
        format!("\"{raw}\" is neither a Domo group id nor name:<group name>. Use, for example:\n\n  terraform import domo_group.sales 1234567\n  terraform import domo_group.sales \"name:Sales EMEA\""),
    ))
}

pub struct GroupResource;

#[tonic::async_trait]
impl Resource for GroupResource {
    type Model = GroupModel;
    type Identity = GroupIdentity;
    const TYPE_NAME: &'static str = "domo_group";
    const DESCRIPTION: &'static str = "A group of users in a Domo instance. Its members are managed with `domo_group_members` (the whole member list) or `domo_group_membership` (one member each). Deleting a group that still has members removes the members first.";

    fn validate(&self, config: &GroupModel) -> Diagnostics {
        Diagnostics(
            check_not_blank(&config.name, AttributePath::root("name"))
                .into_iter()
                .collect(),
        )
    }

    fn modify_plan(
        &self,
        prior: Option<&GroupModel>,
        planned: &mut GroupModel,
        _config: &GroupModel,
    ) -> Diagnostics {
        if prior.is_some_and(|prior| prior.differs_in_domo(planned)) {
            planned.member_count = Field::Unknown;
        }
        Diagnostics::default()
    }

    async fn create(
        &self,
        client: &DomoClient,
        planned: GroupModel,
    ) -> Result<Outcome<GroupModel>, Diagnostics> {
        let fields = planned.fields()?;
        match client.create_group(&fields).await {
            Ok(group) => {
                let mut state = planned.applied(&group);
                if state.default.is_null() {
                    // Created without the flag, and Domo did not say (an
                    // adopted create reads a listing): Domo's default.
                    state.default = Field::Known(fields.default.unwrap_or(false));
                }
                Ok(Outcome::new(state))
            }
            Err(e) if e.is_duplicate_name() => {
                Err(duplicate_name(client, &fields.name, &e).await.into())
            }
            Err(e) => Err(api_error(Action::Create, ObjectKind::Group, &e).into()),
        }
    }

    async fn read(
        &self,
        client: &DomoClient,
        current: GroupModel,
        _private: &[u8],
    ) -> Result<Outcome<GroupModel>, Diagnostics> {
        let id = current.id()?;
        match client.get_group(id).await {
            Ok(Some(group)) => Ok(Outcome::new(current.refreshed(&group))),
            Ok(None) => Ok(Outcome::gone().with_diagnostic(Diagnostic::warning(
                "Domo group no longer exists",
                format!(
                    "Domo group {id} ({}) was not found in Domo. It was removed from Terraform state; the next plan will create it again.",
                    current.name.as_deref().unwrap_or("unknown name")
                ),
            ))),
            Err(e) => Err(api_error(Action::Read, ObjectKind::Group, &e).into()),
        }
    }

    async fn update(
        &self,
        client: &DomoClient,
        prior: GroupModel,
        planned: GroupModel,
        _private: &[u8],
    ) -> Result<Outcome<GroupModel>, Diagnostics> {
        let id = prior.id()?;
        if !prior.differs_in_domo(&planned) {
            return Ok(Outcome::new(planned));
        }
        let fields = planned.fields()?;
        match client.update_group(id, &fields).await {
            Ok(group) => Ok(Outcome::new(planned.applied(&group))),
            Err(e) if e.is_not_found() => {
                Ok(Outcome::gone().with_diagnostic(gone_after_planning(id)))
            }
            Err(e) if e.is_duplicate_name() => {
                Err(duplicate_name(client, &fields.name, &e).await.into())
            }
            Err(e) => Err(api_error(Action::Update, ObjectKind::Group, &e).into()),
        }
    }

    async fn delete(
        &self,
        client: &DomoClient,
        prior: GroupModel,
    ) -> Result<Outcome<GroupModel>, Diagnostics> {
        let id = prior.id()?;
        deleted(ObjectKind::Group, client.delete_group(id).await)
    }

    async fn import(
        &self,
        client: &DomoClient,
        raw_id: &str,
    ) -> Result<Outcome<GroupModel>, Diagnostics> {
        let (found, what) = match parse_import_id(raw_id)? {
            ImportId::Id(id) => (client.get_group(id).await, format!("id {id}")),
            ImportId::Name(name) => (
                client.find_group_by_name(&name).await,
                format!("the name \"{name}\" (names are matched exactly, letter case included)"),
            ),
        };
        imported(
            ObjectKind::Group,
            found,
            &what,
            ". The domo_groups data source lists every group with its id.",
            |group| GroupModel::of(&group),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::{register, AnyResource};
    use crate::protocol::{Model, Value};

    fn resource() -> Box<dyn AnyResource> {
        register(GroupResource)
    }

    fn group() -> Group {
        Group {
            id: 7,
            name: "Sales".into(),
            default: Some(false),
            active: true,
            creator_id: Some(1),
            member_count: Some(3),
        }
    }

    fn model(value: &Value) -> GroupModel {
        GroupModel::from_value(value).unwrap().unwrap()
    }

    #[test]
    fn a_blank_name_fails_at_the_attribute() {
        let config = GroupModel {
            name: Field::Known("  ".into()),
            ..GroupModel::default()
        };
        let d = resource().validate(&config.to_value());
        assert_eq!(d.paths(), vec![AttributePath::root("name")]);
        let ok = GroupModel {
            name: Field::Unknown,
            ..GroupModel::default()
        };
        assert!(resource().validate(&ok.to_value()).is_empty());
    }

    #[test]
    fn create_plans_computed_values_unknown_and_an_update_the_count() {
        let config = GroupModel {
            name: Field::Known("Sales".into()),
            ..GroupModel::default()
        }
        .to_value();
        let planned = model(
            &resource()
                .plan(Value::Null, config.clone(), config.clone(), Value::Null)
                .unwrap()
                .state,
        );
        assert!(planned.id.is_unknown() && planned.default.is_unknown());
        assert!(planned.member_count.is_unknown() && planned.creator_id.is_unknown());

        let state = GroupModel::of(&group());
        let same = resource()
            .plan(state.to_value(), state.to_value(), config, Value::Null)
            .unwrap();
        assert_eq!(model(&same.state), state, "nothing changes");
        let mut renamed = state.clone();
        renamed.name = Field::Known("Sales EMEA".into());
        let planned = resource()
            .plan(
                state.to_value(),
                renamed.to_value(),
                renamed.to_value(),
                Value::Null,
            )
            .unwrap();
        let planned = model(&planned.state);
        assert!(planned.member_count.is_unknown());
        assert_eq!(planned.id, state.id);
        assert_eq!(planned.creator_id.as_deref(), Some("1"));
    }

    #[test]
    fn applying_fills_in_what_domo_knows_and_keeps_the_configuration() {
        let planned = GroupModel {
            name: Field::Known("Sales".into()),
            default: Field::Unknown,
            ..GroupModel::default()
        };
        let applied = planned.applied(&group());
        assert_eq!(applied.id.as_deref(), Some("7"));
        assert_eq!(applied.default, Field::Known(false));
        assert_eq!(applied.member_count, Field::Known(3));
        assert_eq!(applied.creator_id.as_deref(), Some("1"));
        assert_eq!(
            applied.fields().unwrap(),
            GroupFields {
                name: "Sales".into(),
                default: Some(false),
                active: None
            }
        );
    }

    #[test]
    fn import_ids() {
        assert!(matches!(parse_import_id(" 12 "), Ok(ImportId::Id(12))));
        assert!(
            matches!(parse_import_id("name:Sales EMEA"), Ok(ImportId::Name(n)) if n == "Sales EMEA")
        );
        assert!(parse_import_id("name: ").is_err());
        assert!(parse_import_id("Sales").is_err());
    }
}
