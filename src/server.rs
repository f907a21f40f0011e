//! The tfplugin6 `Provider` gRPC service: decodes each request's values,
//! routes it to the provider block, a resource or a data source, and encodes
//! the answer.
//! Nothing below this layer sees protobuf or msgpack.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::Notify;

use tonic::{Request, Response, Status};

use crate::data_sources::{self, DataSource};
use crate::domo::DomoClient;
use crate::proto::tfplugin6::{self as pb, provider_server::Provider};
use crate::protocol::{decode_dynamic, encode_dynamic, Diagnostic, Diagnostics, Value};
use crate::provider::{self, Configured};
use crate::resources::{user::UserResource, Resource};

type Env = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Where the provider stands with its Domo client.
#[derive(Clone)]
enum ClientState {
    Unconfigured,
    /// The provider block uses values not known until apply.
    Deferred,
    Ready(DomoClient),
}

pub struct ProviderService {
    resources: Vec<Arc<dyn Resource>>,
    data_sources: Vec<Arc<dyn DataSource>>,
    client: RwLock<ClientState>,
    env: Box<Env>,
    in_flight: Arc<InFlight>,
}

/// Counts provider requests being served, so shutdown can wait for the
/// work Terraform must record (and not for idle connections).
#[derive(Default)]
pub struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

/// Held while one request is served.
pub struct InFlightGuard(Arc<InFlight>);

impl InFlight {
    fn enter(self: &Arc<Self>) -> InFlightGuard {
        self.count.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self.clone())
    }

    /// Waits until no request is being served, or `limit` has passed.
    /// Returns whether the provider went idle.
    pub async fn wait_idle(&self, limit: Duration) -> bool {
        let idle = async {
            loop {
                // Registered before the check, so a wake-up between the
                // check and the await is not lost.
                let notified = self.idle.notified();
                if self.count.load(Ordering::SeqCst) == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, idle).await.is_ok()
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Default for ProviderService {
    fn default() -> Self {
        Self::with_env(Box::new(|k| std::env::var(k).ok()))
    }
}

impl ProviderService {
    /// A provider that reads fallback settings through `env` (tests inject
    /// their own).
    pub fn with_env(env: Box<Env>) -> Self {
        ProviderService {
            resources: vec![Arc::new(UserResource)],
            data_sources: data_sources::all(),
            client: RwLock::new(ClientState::Unconfigured),
            env,
            in_flight: Arc::default(),
        }
    }

    /// The counter of requests in flight, for graceful shutdown.
    pub fn in_flight(&self) -> Arc<InFlight> {
        self.in_flight.clone()
    }

    fn resource(&self, type_name: &str) -> Result<&Arc<dyn Resource>, Diagnostics> {
        self.resources
            .iter()
            .find(|r| r.type_name() == type_name)
            .ok_or_else(|| {
                Diagnostic::error(
                    "Unknown resource type",
                    format!("This provider has no resource type \"{type_name}\"."),
                )
                .into()
            })
    }

    fn data_source(&self, type_name: &str) -> Result<&Arc<dyn DataSource>, Diagnostics> {
        self.data_sources
            .iter()
            .find(|d| d.type_name() == type_name)
            .ok_or_else(|| {
                Diagnostic::error(
                    "Unknown data source",
                    format!("This provider has no data source \"{type_name}\"."),
                )
                .into()
            })
    }

    fn client(&self) -> Result<DomoClient, Diagnostics> {
        let state = self
            .client
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match state {
            ClientState::Ready(c) => Ok(c),
            ClientState::Deferred => Err(Diagnostic::error(
                "Domo provider configuration not known yet",
                "The provider \"domo\" block depends on values that are only known after apply, so Domo cannot be reached yet. \
                 Apply the resources it depends on first (terraform apply -target=...), or configure the provider with known values.",
            )
            .into()),
            ClientState::Unconfigured => Err(Diagnostic::error(
                "Domo provider not configured",
                "Terraform did not configure the provider before using it; this is unexpected. Please report it.",
            )
            .into()),
        }
    }
}

fn decode(dv: Option<&pb::DynamicValue>, what: &str) -> Result<Value, Diagnostics> {
    decode_dynamic(dv).map_err(|e| {
        Diagnostic::error(
            "Invalid value from Terraform",
            format!("Could not read the {what} Terraform sent: {e}. This is a bug; please report it with your Terraform version."),
        )
        .into()
    })
}

/// What this provider tells Terraform about itself. The schema never
/// changes within a release, so Terraform may reuse the copy it fetched from
/// the first provider process of a run instead of asking every process.
fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        get_provider_schema_optional: true,
        ..Default::default()
    }
}

fn diags(d: Diagnostics) -> Vec<pb::Diagnostic> {
    d.to_proto()
}

#[tonic::async_trait]
impl Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        let _serving = self.in_flight.enter();
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(server_capabilities()),
            diagnostics: vec![],
            data_sources: self
                .data_sources
                .iter()
                .map(|d| pb::get_metadata::DataSourceMetadata {
                    type_name: d.type_name().to_owned(),
                })
                .collect(),
            resources: self
                .resources
                .iter()
                .map(|r| pb::get_metadata::ResourceMetadata {
                    type_name: r.type_name().to_owned(),
                })
                .collect(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let _serving = self.in_flight.enter();
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(provider::schema().to_proto()),
            resource_schemas: self
                .resources
                .iter()
                .map(|r| (r.type_name().to_owned(), r.schema().to_proto()))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|d| (d.type_name().to_owned(), d.schema().to_proto()))
                .collect(),
            diagnostics: vec![],
            provider_meta: None,
            server_capabilities: Some(server_capabilities()),
        }))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let _serving = self.in_flight.enter();
        let req = req.into_inner();
        let d = match decode(req.config.as_ref(), "provider configuration") {
            Ok(config) => provider::validate(&config),
            Err(d) => d,
        };
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diags(d),
        }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let _serving = self.in_flight.enter();
        let req = req.into_inner();
        let d = self
            .resource(&req.type_name)
            .and_then(|r| Ok(r.validate(&decode(req.config.as_ref(), "configuration")?)))
            .unwrap_or_else(|d| d);
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: diags(d),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let _serving = self.in_flight.enter();
        let req = req.into_inner();
        let d = self
            .data_source(&req.type_name)
            .and_then(|ds| Ok(ds.validate(&decode(req.config.as_ref(), "configuration")?)))
            .unwrap_or_else(|d| d);
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diags(d),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let _serving = self.in_flight.enter();
        let req = req.into_inner();
        let result = self.resource(&req.type_name).and_then(|r| {
            let json = req.raw_state.as_ref().map(|s| s.json.as_slice()).unwrap_or_default();
            if json.is_empty() {
                return Err(Diagnostic::error(
                    "Unsupported state format",
                    "This state was stored in Terraform's legacy flatmap format, which this provider never wrote. Remove the resource from state and import it again.",
                )
                .into());
            }
            let raw = crate::protocol::value::decode_json(json).map_err(|e| {
                Diagnostics::from(Diagnostic::error("Unreadable stored state", format!("The stored state is not valid JSON: {e}.")))
            })?;
            r.upgrade(req.version, &raw)
        });
        let (upgraded_state, d) = match result {
            Ok(v) => (Some(encode_dynamic(&v)), Diagnostics::default()),
            Err(d) => (None, d),
        };
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: diags(d),
        }))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let _serving = self.in_flight.enter();
        let req = req.into_inner();
        tracing::debug!(terraform_version = %req.terraform_version, "configuring provider");
        let result = decode(req.config.as_ref(), "provider configuration")
            .and_then(|config| provider::configure(&config, &*self.env))
            .and_then(|configured| match configured {
                Configured::Deferred => Ok(ClientState::Deferred),
                Configured::Ready(cfg) => {
                    DomoClient::new(cfg).map(ClientState::Ready).map_err(|e| {
                        Diagnostic::error("Invalid Domo provider configuration", e.to_string())
                            .into()
                    })
                }
            });
        let d = match result {
            Ok(state) => {
                *self.client.write().unwrap_or_else(|e| e.into_inner()) = state;
                Diagnostics::default()
            }
            Err(d) => d,
        };
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: diags(d),
        }))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let _serving = self.in_flight.enter();
        let req = req.into_inner();
        let outcome = async {
            let resource = self.resource(&req.type_name)?;
            let state = decode(req.current_state.as_ref(), "current state")?;
            let client = self.client()?;
            Ok::<_, Diagnostics>(resource.read(&client, &state, &req.private).await)
        }
        .await;
        Ok(Response::new(match outcome {
            Ok(o) => pb::read_resource::Response {
                new_state: Some(encode_dynamic(&o.state)),
                diagnostics: diags(o.diagnostics),
                private: o.private,
            },
            Err(d) => pb::read_resource::Response {
                new_state: req.current_state,
                diagnostics: diags(d),
                private: req.private,
            },
        }))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let _serving = self.in_flight.enter();
        let req = req.into_inner();
        let planned = (|| {
            let resource = self.resource(&req.type_name)?;
            let prior = decode(req.prior_state.as_ref(), "prior state")?;
            let proposed = decode(req.proposed_new_state.as_ref(), "proposed new state")?;
            let config = decode(req.config.as_ref(), "configuration")?;
            resource.plan(&prior, &proposed, &config)
        })();
        let (planned_state, d) = match planned {
            Ok(v) => (Some(encode_dynamic(&v)), Diagnostics::default()),
            Err(d) => (None, d),
        };
        Ok(Response::new(pb::plan_resource_change::Response {
            planned_state,
            requires_replace: vec![],
            planned_private: req.prior_private,
            diagnostics: diags(d),
        }))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let _serving = self.in_flight.enter();
        let req = req.into_inner();
        let outcome = async {
            let resource = self.resource(&req.type_name)?;
            let prior = decode(req.prior_state.as_ref(), "prior state")?;
            let planned = decode(req.planned_state.as_ref(), "planned state")?;
            let client = self.client()?;
            Ok::<_, Diagnostics>(
                resource
                    .apply(&client, &prior, &planned, &req.planned_private)
                    .await,
            )
        }
        .await;
        Ok(Response::new(match outcome {
            Ok(o) => pb::apply_resource_change::Response {
                new_state: Some(encode_dynamic(&o.state)),
                private: o.private,
                diagnostics: diags(o.diagnostics),
            },
            // Nothing was done: what existed before still does.
            Err(d) => pb::apply_resource_change::Response {
                new_state: req.prior_state,
                private: req.planned_private,
                diagnostics: diags(d),
            },
        }))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let _serving = self.in_flight.enter();
        let req = req.into_inner();
        let outcome = async {
            let resource = self.resource(&req.type_name)?;
            let client = self.client()?;
            Ok::<_, Diagnostics>(resource.import(&client, &req.id).await)
        }
        .await;
        let (imported_resources, d) = match outcome {
            Ok(o) if !o.state.is_null() => (
                vec![pb::import_resource_state::ImportedResource {
                    type_name: req.type_name.clone(),
                    state: Some(encode_dynamic(&o.state)),
                    private: o.private,
                }],
                o.diagnostics,
            ),
            Ok(o) => (vec![], o.diagnostics),
            Err(d) => (vec![], d),
        };
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources,
            diagnostics: diags(d),
        }))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let _serving = self.in_flight.enter();
        let req = req.into_inner();
        let outcome = async {
            let data_source = self.data_source(&req.type_name)?;
            let config = decode(req.config.as_ref(), "configuration")?;
            let client = self.client()?;
            data_source.read(&client, &config).await
        }
        .await;
        let (state, d) = match outcome {
            Ok(v) => (Some(encode_dynamic(&v)), Diagnostics::default()),
            Err(d) => (None, d),
        };
        Ok(Response::new(pb::read_data_source::Response {
            state,
            diagnostics: diags(d),
        }))
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        let _serving = self.in_flight.enter();
        // Requests are bounded by the client's deadlines; nothing long-running
        // needs interrupting.
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }

    /// Terraform >= 1.12 and OpenTofu 1.12 ask on every run; we declare no
    /// resource identities.
    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        let _serving = self.in_flight.enter();
        Ok(Response::new(
            pb::get_resource_identity_schemas::Response::default(),
        ))
    }

    /// This provider defines no functions.
    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        let _serving = self.in_flight.enter();
        Ok(Response::new(pb::get_functions::Response::default()))
    }

    /// We do not advertise `move_resource_state`, so Terraform refuses a
    /// `moved` block between resource types itself; OpenTofu asks anyway and
    /// gets this explanation.
    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        let _serving = self.in_flight.enter();
        let req = req.into_inner();
        let d = match self.resource(&req.target_type_name) {
            Err(d) => d,
            Ok(_) => Diagnostic::error(
                "Moving resources between types is not supported",
                format!(
                    "A \"moved\" block asks to turn a {} resource (from provider {}) into a {}, \
                     but {} cannot take over another resource type's state. Remove the \"moved\" block, \
                     remove the old resource from state (terraform state rm), and import the Domo user \
                     instead: terraform import <address> <user id>.",
                    req.source_type_name, req.source_provider_address, req.target_type_name, req.target_type_name,
                ),
            )
            .into(),
        };
        Ok(Response::new(pb::move_resource_state::Response {
            target_state: None,
            diagnostics: diags(d),
            target_private: vec![],
            target_identity: None,
        }))
    }
}
