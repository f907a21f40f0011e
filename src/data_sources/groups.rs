//! `data "domo_groups"`: every group of the Domo instance, optionally only
//! those whose name starts with a prefix.
//!
//! Domo's API has no search, so this is one pass over the group listing
//! (pages of up to 500) with the filter applied here; member lists are not
//! read (`member_count` says how many).

use crate::domo::{DomoClient, Group};
use crate::framework::DataSource;
use crate::model;
use crate::protocol::{Diagnostics, Field};
use crate::provider::errors::{api_error, Action, ObjectKind};
use crate::provider::models::GroupData;

model! {
    /// The filter, and the groups that pass it.
    pub struct GroupsModel {
        /// Only list groups whose name starts with this text (letter case
        /// included).
        name_prefix: Field<String> [optional],
        /// The groups that pass the filter, ordered by id.
        groups: Field<Vec<GroupData>> [computed],
    }
}

impl GroupsModel {
    /// The filter as configured, and the matching groups by id.
    fn with_groups(mut self, mut groups: Vec<Group>) -> Self {
        if let Some(prefix) = self.name_prefix.known() {
            groups.retain(|group| group.name.starts_with(prefix.as_str()));
        }
        groups.sort_by_key(|group| group.id);
        self.groups = Field::Known(groups.iter().map(GroupData::of).collect());
        self
    }
}

pub struct GroupsDataSource;

#[tonic::async_trait]
impl DataSource for GroupsDataSource {
    type Model = GroupsModel;
    const TYPE_NAME: &'static str = "domo_groups";
    const DESCRIPTION: &'static str = "Lists the groups of the Domo instance, optionally only those whose name starts with `name_prefix`. Reads Domo's whole group listing once, up to 500 groups a request.";

    async fn read(
        &self,
        client: &DomoClient,
        config: GroupsModel,
    ) -> Result<GroupsModel, Diagnostics> {
        let groups = client
            .list_all_groups()
            .await
            .map_err(|e| Diagnostics::from(api_error(Action::List, ObjectKind::Group, &e)))?;
        Ok(config.with_groups(groups))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: u64, name: &str) -> Group {
        Group {
            id,
            name: name.into(),
            default: Some(false),
            active: true,
            creator_id: None,
            member_count: Some(0),
        }
    }

    #[test]
    fn the_prefix_filters_case_sensitively_and_groups_are_ordered_by_id() {
        let groups = || {
            vec![
                group(3, "eng-data"),
                group(1, "eng-web"),
                group(2, "Eng-ops"),
            ]
        };
        let names = |prefix: Option<&str>| {
            let model = GroupsModel {
                name_prefix: Field::from_option(prefix.map(str::to_owned)),
                groups: Field::Null,
            }
            .with_groups(groups());
            model
                .groups
                .known()
                .unwrap()
                .iter()
                .map(|g| g.name.as_deref().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(None), ["eng-web", "Eng-ops", "eng-data"]);
        assert_eq!(names(Some("eng-")), ["eng-web", "eng-data"]);
        assert!(names(Some("x")).is_empty());
    }
}
