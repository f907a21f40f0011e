//! `data "domo_group"`: one existing Domo group, found by id or by name.
//!
//! Exactly one of `id` and `name` selects the group. A name is matched
//! exactly (letter case included, surrounding spaces ignored); since Domo
//! may allow two groups one name, a name several groups have is an error
//! listing their ids, never a guess. No match is an error too: a
//! configuration that names a group depends on it existing.

use crate::domo::DomoClient;
use crate::framework::DataSource;
use crate::protocol::{AttributePath, Diagnostic, Diagnostics};
use crate::provider::errors::{api_error, Action, ObjectKind};
use crate::provider::models::GroupData;
use crate::provider::rules::{check_id, check_not_blank, check_one_selector, parse_id};

pub struct GroupDataSource;

/// Problems with the selector as known so far; unknown values pass.
fn selector_problems(config: &GroupData) -> Diagnostics {
    let checks = [
        check_id(&config.id, "Domo group", AttributePath::root("id")),
        check_not_blank(&config.name, AttributePath::root("name")),
        check_one_selector("group", ("id", &config.id), ("name", &config.name)),
    ];
    Diagnostics(checks.into_iter().flatten().collect())
}

#[tonic::async_trait]
impl DataSource for GroupDataSource {
    type Model = GroupData;
    const TYPE_NAME: &'static str = "domo_group";
    const DESCRIPTION: &'static str = "Reads one existing Domo group, found by `id` or by `name` (set exactly one; the name is matched exactly, letter case included). Fails when no group matches, and when several groups have the name (then use the id).";

    fn validate(&self, config: &GroupData) -> Diagnostics {
        selector_problems(config)
    }

    async fn read(&self, client: &DomoClient, config: GroupData) -> Result<GroupData, Diagnostics> {
        let (found, what, attribute) = match (config.id.known(), config.name.known()) {
            (Some(id), None) => {
                let id = parse_id(id).unwrap_or_default();
                (client.get_group(id).await, format!("id {id}"), "id")
            }
            (None, Some(name)) => (
                client.find_group_by_name(name).await,
                format!("the name \"{}\" (matched exactly, letter case included)", name.trim()),
                "name",
            ),
            _ => {
                return Err(Diagnostic::error(
                    "Selector not known",
                    "Terraform asked to read domo_group before `id` or `name` was known; this is unexpected. Please report it.",
                )
                .into())
            }
        };
        match found {
            Ok(Some(group)) => {
                let mut data = GroupData::of(&group);
                // The selector as configured, so the answer never
                // contradicts the configuration.
                if config.id.known().is_some() {
                    data.id = config.id.clone();
                } else {
                    data.name = config.name.clone();
                }
                Ok(data)
            }
            Ok(None) => Err(Diagnostic::error(
                "No such Domo group",
                format!("No Domo group with {what} exists. Check the value, or list the instance's groups with the domo_groups data source."),
            )
            .at(AttributePath::root(attribute))
            .into()),
            Err(e) => Err(api_error(Action::Read, ObjectKind::Group, &e)
                .at(AttributePath::root(attribute))
                .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::{register_data_source, AnyDataSource};
    use crate::protocol::model::value_with;
    use crate::protocol::Value;

    fn config(id: Value, name: Value) -> Value {
        value_with(&GroupData::default(), &[("id", id), ("name", name)])
    }

    #[test]
    fn exactly_one_valid_selector() {
        let ds: Box<dyn AnyDataSource> = register_data_source(GroupDataSource);
        assert!(ds
            .validate(&config(Value::string("7"), Value::Null))
            .is_empty());
        assert!(ds
            .validate(&config(Value::Null, Value::string("Sales")))
            .is_empty());
        assert!(ds.validate(&config(Value::Unknown, Value::Null)).is_empty());
        let both = ds.validate(&config(Value::string("7"), Value::string("Sales")));
        assert_eq!(both.paths(), vec![AttributePath::root("name")]);
        let neither = ds.validate(&config(Value::Null, Value::Null));
        assert_eq!(neither.paths(), vec![AttributePath::root("id")]);
        let bad = ds.validate(&config(Value::string("sales"), Value::Null));
        assert_eq!(bad.paths(), vec![AttributePath::root("id")]);
        let blank = ds.validate(&config(Value::Null, Value::string(" ")));
        assert_eq!(blank.paths(), vec![AttributePath::root("name")]);
    }
}
