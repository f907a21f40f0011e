//! Managed resources, one file each. A resource is a model declared with
//! [`model!`](crate::model) plus an implementation of
//! [`Resource`](crate::framework::Resource); registering it in
//! [`Registry`](crate::registry::Registry) makes Terraform see it.

pub mod group;
pub mod group_members;
pub mod group_membership;
pub mod user;
pub mod user_roster;
