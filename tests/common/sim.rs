//! What the simulator holds, in the shapes the acceptance tests compare
//! with Terraform's state.

use std::collections::BTreeSet;

use terraform_provider_domo::sim::SimStore;

/// (id, lower-cased email) of every live user in the simulator.
pub fn domo_users(store: &SimStore) -> BTreeSet<(String, String)> {
    store
        .users()
        .into_iter()
        .map(|u| (u.id.to_string(), u.email.to_lowercase()))
        .collect()
}
