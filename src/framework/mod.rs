//! The typed resource layer, in the manner of HashiCorp's
//! terraform-plugin-framework: a resource is a [`Model`](crate::protocol::Model)
//! plus create / read / update / delete / import ([`Resource`]), a data
//! source a model plus read ([`DataSource`]); the code here does, once for
//! all of them, what Terraform's protocol asks of every resource: reading
//! prior, planned and configured values into models (with diagnostics),
//! the planning rules of [`protocol::plan`](crate::protocol::plan), routing
//! apply to create, update or delete, keeping state on failure, passing
//! private state through, and resource identity ([`identity`]: derived
//! from state, filled in where Terraform holds none, never changed). A list
//! resource ([`list`]) is a `config` model plus a listing into
//! [`Results`]: limits, identities, states and early stops are the
//! framework's.
//!
//! The gRPC server sees only the value-level, object-safe [`AnyResource`]
//! and [`AnyDataSource`] that [`register`] and [`register_data_source`]
//! make of a typed one.

mod data_source;
pub mod identity;
pub mod list;
mod resource;

pub use data_source::{register_data_source, AnyDataSource, DataSource};
pub use identity::{Identity, IdentitySchema, NoIdentity};
pub use list::{register_list, AnyListResource, ListResource, Listed, Results};
pub use resource::{register, AnyResource, Outcome, Planned, Resource, Stored, StoredForm};
