//! Managed resources. Each implements [`Resource`] against typed protocol
//! values and the Domo client; the gRPC server routes requests to them.

pub mod errors;
pub mod user;

use crate::domo::DomoClient;
use crate::protocol::{Diagnostics, Schema, Value};

/// What Terraform should store after an apply or read. `state` is null when
/// the object does not exist (deleted, or never created).
#[derive(Debug, Default)]
pub struct Outcome {
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

/// One managed resource type, in the shape of Terraform's lifecycle.
#[tonic::async_trait]
pub trait Resource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Checks a configuration before any API call. Values may be unknown.
    fn validate(&self, config: &Value) -> Diagnostics;

    /// Plans a create (prior null) or an update. Never calls the API.
    fn plan(&self, prior: &Value, proposed: &Value, config: &Value) -> Result<Value, Diagnostics>;

    /// Creates, updates or (when `planned` is null) deletes.
    async fn apply(
        &self,
        client: &DomoClient,
        prior: &Value,
        planned: &Value,
        private: &[u8],
    ) -> Outcome;

    /// Refreshes state from the API; a null state means the object is gone.
    async fn read(&self, client: &DomoClient, state: &Value, private: &[u8]) -> Outcome;

    /// Finds an existing object by the user-supplied import id.
    async fn import(&self, client: &DomoClient, id: &str) -> Outcome;

    /// Rewrites stored state (decoded from JSON) of `version` into the
    /// current schema.
    fn upgrade(&self, version: i64, raw: &Value) -> Result<Value, Diagnostics>;
}
