//! `domo_user_roster`: many people's Domo accounts in one resource, a map
//! keyed by email address, so that a whole company syncs in one Terraform
//! resource (Terraform's own work per resource, not the API, is what makes
//! thousands of `domo_user` resources slow).
//!
//! Each entry keeps `domo_user`'s promises: emails compare case-insensitively
//! (a key that changes only in letter case is the same person, and so is
//! one that changes address but keeps its employee number), `timezone`
//! and `locale` keep their configured values, a user deleted in Domo leaves
//! state with a warning and is created again, and a create is never blindly
//! re-sent. On top of that:
//! - the plan shows, per entry, what is created, changed and removed, and
//!   nothing for the rest;
//! - apply runs every change concurrently through the Domo client's bulk
//!   call; a partial failure stores exactly the users that exist, with one
//!   error per failed entry, so the next plan retries only those;
//! - `adopt_existing` takes over users that already exist in Domo;
//! - `on_removal` chooses between deleting and letting go of users whose
//!   entry leaves the map (and on destroy);
//! - `max_removals` limits how many users one apply may delete, so that an
//!   export cut short fails at plan time instead of deleting a company.
//!
//! What Domo assigns (id, timestamps, its spelling of the address) lives in
//! a separate computed map, `accounts`, with the same keys, rather than
//! inside each `users` entry: Terraform 1.0 cannot validate a plan whose
//! nested map elements gain computed values (it crashes), while a nested
//! map planned exactly as configured works in every version.
//!
//! The Domo side (concurrency, the shared listing) lives in `crate::domo`;
//! this module holds the Terraform side, one file per stage of a roster's
//! life, each read top to bottom:
//! - [`model`]: the roster as Terraform holds it, and the rules every stage
//!   shares (when two keys are the same person, when Domo must be written);
//! - [`validate`]: plan-time checks of the configuration;
//! - [`plan`]: the per-entry plan, without any call to Domo, with
//!   [`renames`] (a changed address keeps its account) and [`guard`];
//! - [`apply`]: create, update and destroy, with partial failures;
//! - [`refresh`]: refresh and import;
//! - [`diagnostics`]: per-entry diagnostics that stay readable at 20,000.

mod apply;
mod diagnostics;
mod guard;
mod model;
mod plan;
mod refresh;
mod renames;
mod validate;

use std::collections::BTreeMap;

use crate::domo::DomoClient;
use crate::framework::{NoIdentity, Outcome, Resource};
use crate::protocol::Diagnostics;

pub use model::{RosterAccount, RosterEntry, RosterModel};

pub struct UserRosterResource;

#[tonic::async_trait]
impl Resource for UserRosterResource {
    type Model = RosterModel;
    /// A roster has no resource identity. It is not an object in Domo: it
    /// is this configuration's claim on a set of users, with no id of its
    /// own, and its users come and go over its life while an identity may
    /// never change. Each of its users has one, as a `domo_user`; a roster
    /// is imported by a filter (`terraform import`), not by identity.
    type Identity = NoIdentity;
    const TYPE_NAME: &'static str = "domo_user_roster";
    /// 1: `users` became `dynamic` (it was a nested map); earlier state
    /// reads as it is, with no call to Domo.
    const SCHEMA_VERSION: i64 = 1;
    /// `users` written differently but holding the same people keeps its
    /// stored form (see `plan`).
    const MAY_PLAN_PRIOR: &'static [&'static str] = &["users"];
    const DESCRIPTION: &'static str = "Many users of a Domo instance in one resource: a map keyed by email address, each entry with what a `domo_user` sets. Made for synchronising a whole company's accounts (tens of thousands of people) from a file, with one plan entry per person that changes. Removing an entry deletes the user in Domo unless `on_removal = \"keep\"`.";

    fn validate(&self, config: &RosterModel) -> Diagnostics {
        validate::problems(config)
    }

    fn modify_plan(
        &self,
        prior: Option<&RosterModel>,
        planned: &mut RosterModel,
        config: &RosterModel,
    ) -> Diagnostics {
        plan::plan_roster(prior, planned, config)
    }

    async fn create(
        &self,
        client: &DomoClient,
        planned: RosterModel,
    ) -> Result<Outcome<RosterModel>, Diagnostics> {
        apply::apply_roster(client, BTreeMap::new(), planned, apply::Stage::Create).await
    }

    async fn read(
        &self,
        client: &DomoClient,
        current: RosterModel,
        private: &[u8],
    ) -> Result<Outcome<RosterModel>, Diagnostics> {
        refresh::refresh_roster(client, current, private).await
    }

    async fn update(
        &self,
        client: &DomoClient,
        mut prior: RosterModel,
        planned: RosterModel,
        _private: &[u8],
    ) -> Result<Outcome<RosterModel>, Diagnostics> {
        let people = prior.take_people().map(|(people, _)| people);
        let people = people.unwrap_or_default();
        apply::apply_roster(client, people, planned, apply::Stage::Update).await
    }

    async fn delete(
        &self,
        client: &DomoClient,
        prior: RosterModel,
    ) -> Result<Outcome<RosterModel>, Diagnostics> {
        apply::destroy_roster(client, prior).await
    }

    async fn import(
        &self,
        client: &DomoClient,
        raw: &str,
    ) -> Result<Outcome<RosterModel>, Diagnostics> {
        refresh::import_roster(client, raw).await
    }
}

#[cfg(test)]
mod tests;
