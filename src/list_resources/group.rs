//! `list "domo_group"`: the groups of the Domo instance, for `terraform
//! query`, optionally only those whose name starts with some text. Walks
//! Domo's group listing a page at a time and stops once Terraform has
//! `limit` results.

use crate::domo::DomoClient;
use crate::framework::{ListResource, Results};
use crate::model;
use crate::protocol::{AttributePath, Diagnostics, Field};
use crate::provider::errors::{api_error, Action, ObjectKind};
use crate::provider::rules::check_not_blank;
use crate::resources::group::{GroupModel, GroupResource};

model! {
    /// Which groups a `list "domo_group"` block finds (no filter: every
    /// group).
    pub struct GroupListConfig {
        /// Only groups whose name starts with this text, compared ignoring
        /// letter case.
        name_prefix: Field<String> [optional],
    }
}

pub struct GroupList;

#[tonic::async_trait]
impl ListResource for GroupList {
    type Resource = GroupResource;
    type Config = GroupListConfig;
    const DESCRIPTION: &'static str = "Finds the groups of the Domo instance for `terraform query`, optionally only those whose name starts with some text. Reads Domo's group listing a page at a time and stops as soon as `limit` groups are found.";

    fn validate(&self, config: &GroupListConfig) -> Diagnostics {
        Diagnostics(
            check_not_blank(&config.name_prefix, AttributePath::root("name_prefix"))
                .into_iter()
                .collect(),
        )
    }

    async fn list(
        &self,
        client: &DomoClient,
        config: GroupListConfig,
        results: &mut Results<GroupResource>,
    ) -> Result<(), Diagnostics> {
        let prefix = config.name_prefix.as_deref().map(str::to_lowercase);
        let mut pages = client.group_pages();
        while let Some(page) = pages
            .next_page()
            .await
            .map_err(|e| Diagnostics::from(api_error(Action::List, ObjectKind::Group, &e)))?
        {
            let selected = page.iter().filter(|group| {
                prefix
                    .as_deref()
                    .is_none_or(|p| group.name.to_lowercase().starts_with(p))
            });
            for group in selected {
                if !results
                    .push(group.name.clone(), &GroupModel::of(group))
                    .await
                {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}
