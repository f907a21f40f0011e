//! The provider's own block, `provider "domo"` ([`config`]), and what its
//! resources and data sources share: the models of Domo's objects
//! ([`models`]), the rules their values obey ([`rules`]), the wording of
//! Domo's errors ([`errors`]) and the mark a create leaves so that a
//! refresh soon after takes a 404 for replication lag ([`freshness`]).
//! The list of what it serves is [`Registry`](crate::registry::Registry),
//! above the resources.

pub mod config;
pub mod errors;
pub mod freshness;
pub mod models;
pub mod rules;

pub use config::{configure, schema, validate, Configured};
