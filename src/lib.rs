//! terraform-provider-domo: a Terraform / OpenTofu provider for Domo users.
//!
//! A request travels one way through these modules:
//!
//! ```text
//! terraform ─gRPC/mTLS─> plugin ─> server ─> provider / resources ─> domo ─HTTP─> Domo
//!                        (transport)  (protocol      (typed logic)    (API client)
//!                                      decoding)
//! ```
//!
//! - [`plugin`]: go-plugin transport: handshake, AutoMTLS, the controller and
//!   stdio side services, shutdown.
//! - [`protocol`]: Terraform's values (msgpack), cty types and schemas,
//!   diagnostics and attribute paths. Nothing here knows about Domo.
//! - [`server`]: the tfplugin6 `Provider` gRPC service; decodes each request
//!   and routes it to the provider, a resource or a data source.
//! - [`provider`]: the `provider "domo"` block and its configuration.
//! - [`resources`]: managed resources (`domo_user`), written against typed
//!   values only.
//! - [`data_sources`]: data sources (`domo_user`, `domo_users`), likewise.
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
#[doc(hidden)]
pub mod fuzzing;
pub mod logging;
pub mod plugin;
pub mod protocol;
pub mod provider;
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
