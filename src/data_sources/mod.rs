//! Data sources: read-only views of Domo, one file each. A data source is a
//! model declared with [`model!`](crate::model) plus an implementation of
//! [`DataSource`](crate::framework::DataSource); registering it in
//! [`Registry`](crate::registry::Registry) makes Terraform see it.

pub mod group;
pub mod groups;
pub mod user;
pub mod users;
