//! Every resource, data source and list resource the provider serves, in
//! one list that the gRPC server and the docs generator read. It sits
//! beside [`server`](crate::server), above the resources it names: the
//! layers below never import it.

use crate::data_sources::{
    group::GroupDataSource, groups::GroupsDataSource, user::UserDataSource, users::UsersDataSource,
};
use crate::framework::{
    register, register_data_source, register_list, AnyDataSource, AnyListResource, AnyResource,
};
use crate::list_resources::{group::GroupList, user::UserList};
use crate::resources::group::GroupResource;
use crate::resources::group_members::GroupMembersResource;
use crate::resources::group_membership::GroupMembershipResource;
use crate::resources::user::UserResource;
use crate::resources::user_roster::UserRosterResource;

/// Every resource, data source and list resource this provider serves;
/// the gRPC server and the docs generator both read it. A new resource is
/// one line here.
pub struct Registry {
    pub resources: Vec<Box<dyn AnyResource>>,
    pub data_sources: Vec<Box<dyn AnyDataSource>>,
    /// Each named after the managed resource it lists, which has an
    /// identity.
    pub list_resources: Vec<Box<dyn AnyListResource>>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            resources: vec![
                register(UserResource),
                register(GroupResource),
                register(GroupMembersResource),
                register(GroupMembershipResource),
                register(UserRosterResource),
            ],
            data_sources: vec![
                register_data_source(UserDataSource),
                register_data_source(UsersDataSource),
                register_data_source(GroupDataSource),
                register_data_source(GroupsDataSource),
            ],
            list_resources: vec![register_list(UserList), register_list(GroupList)],
        }
    }
}

impl Registry {
    pub fn resource(&self, type_name: &str) -> Option<&dyn AnyResource> {
        self.resources
            .iter()
            .map(Box::as_ref)
            .find(|r| r.type_name() == type_name)
    }

    pub fn list_resource(&self, type_name: &str) -> Option<&dyn AnyListResource> {
        self.list_resources
            .iter()
            .map(Box::as_ref)
            .find(|l| l.type_name() == type_name)
    }

    pub fn data_source(&self, type_name: &str) -> Option<&dyn AnyDataSource> {
        self.data_sources
            .iter()
            .map(Box::as_ref)
            .find(|d| d.type_name() == type_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_unique_and_every_attribute_is_described() {
        let registry = Registry::default();
        let mut names: Vec<_> = registry.resources.iter().map(|r| r.type_name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), registry.resources.len());
        let schemas = registry
            .resources
            .iter()
            .map(|r| (r.type_name(), r.schema()))
            .chain(
                registry
                    .data_sources
                    .iter()
                    .map(|d| (d.type_name(), d.schema())),
            )
            .chain(
                registry
                    .list_resources
                    .iter()
                    .map(|l| (l.type_name(), l.schema())),
            );
        for (type_name, schema) in schemas {
            assert!(type_name.starts_with("domo_"), "{type_name}");
            assert!(
                schema.description.len() > 10,
                "{type_name} lacks a description"
            );
            let mut attributes: Vec<_> = schema.attributes.iter().collect();
            while let Some(a) = attributes.pop() {
                assert!(
                    a.description.trim().len() > 5,
                    "{type_name}.{} lacks a description",
                    a.name
                );
                attributes.extend(a.fields.iter());
            }
        }
    }

    /// Terraform refuses a list resource whose managed resource has no
    /// identity: each result is named by one.
    #[test]
    fn every_list_resource_lists_a_resource_with_an_identity() {
        let registry = Registry::default();
        for list in &registry.list_resources {
            let resource = registry
                .resource(list.type_name())
                .unwrap_or_else(|| panic!("no resource {}", list.type_name()));
            assert!(
                resource.identity_schema().is_some(),
                "{} has no identity",
                list.type_name()
            );
        }
    }
}
