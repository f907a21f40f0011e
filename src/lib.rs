//! terraform-provider-domo: a Terraform / OpenTofu provider for Domo users.
//!
//! A request travels one way through these modules:
//!
//! ```text
//! terraform ─gRPC/mTLS─> plugin ─> server ─> framework ─> resources ─> domo ─HTTP─> Domo
//!                        (transport)  (decode,   (models,     (typed      (API client)
//!                                      dispatch)  plan rules)  logic)
//! ```
//!
//! - [`plugin`]: go-plugin transport: handshake, AutoMTLS, the controller and
//!   stdio side services, counting requests in flight, shutdown.
//! - [`protocol`]: Terraform's values (msgpack), cty types and schemas,
//!   diagnostics and attribute paths, typed models ([`model!`]) and the
//!   planning rules every resource obeys. Nothing here knows about Domo.
//! - [`server`]: the tfplugin6 `Provider` gRPC service; decodes each request
//!   and dispatches it to the provider, a resource or a data source.
//! - [`framework`]: the typed resource layer: the `Resource`,
//!   `DataSource` and `ListResource` traits, resource identity, and the
//!   code that does for all of them what Terraform's protocol asks of each.
//! - [`registry`]: the one list of resources, data sources and list
//!   resources the server serves (and the docs describe).
//! - [`provider`]: the `provider "domo"` block, and the models, rules and
//!   error wording resources and data sources share.
//! - [`resources`]: managed resources (`domo_user`), one file each, written
//!   against typed models only.
//! - [`data_sources`]: data sources (`domo_user`, `domo_users`), likewise.
//! - [`list_resources`]: list resources for `terraform query` (`domo_user`,
//!   `domo_group`), likewise.
//! - [`domo`]: the Domo API client (auth, retries, pacing, typed errors). It
//!   knows nothing of Terraform.
//! - [`sim`]: a local Domo API simulator for the demo and the tests. It knows
//!   nothing of Terraform or of the client.
//! - [`logging`]: hclog-style JSON logs on stderr.
//! - [`calendar`]: UTC dates for timestamps (logs, simulator).
//! - [`docs`]: renders the registry docs in `docs/` from the schemas and
//!   the hand-written templates in `templates/` (`cargo run --bin gen-docs`).
//! - `fuzzing` (hidden): entry points for the fuzz targets in `fuzz/`.

pub mod calendar;
pub mod data_sources;
pub mod docs;
pub mod domo;
pub mod framework;
#[doc(hidden)]
pub mod fuzzing;
pub mod list_resources;
pub mod logging;
pub mod plugin;
pub mod protocol;
pub mod provider;
pub mod registry;
pub mod resources;
pub mod server;
pub mod sim;

/// Code generated from `proto/` by `build.rs`.
pub mod proto {
    /// Terraform plugin protocol 6.
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    /// go-plugin's controller and stdio services.
    pub mod go_plugin {
        tonic::include_proto!("plugin");
    }
}
