//! The tfplugin6 `Provider` gRPC service. It only dispatches: each request's
//! values are decoded, handed to the provider block or to the resource or
//! data source the [`Registry`] names, and the answer is encoded. What a
//! resource does with them is the framework's and the resource's business.

use std::pin::Pin;
use std::sync::RwLock;

use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};

use crate::domo::DomoClient;
use crate::framework::{AnyDataSource, AnyListResource, AnyResource, Listed, Stored, StoredForm};
use crate::proto::tfplugin6::{self as pb, provider_server::Provider};
use crate::protocol::value::decode_json;
use crate::protocol::{decode_dynamic, encode_dynamic, Diagnostic, Diagnostics, Value};
use crate::provider::{self, Configured};
use crate::registry::Registry;

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
    registry: Registry,
    client: RwLock<ClientState>,
    /// The form upgraded state takes, from the Terraform version that
    /// configured the provider (as written until then).
    stored_form: RwLock<StoredForm>,
    env: Box<Env>,
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
            registry: Registry::default(),
            client: RwLock::new(ClientState::Unconfigured),
            stored_form: RwLock::new(StoredForm::AsWritten),
            env,
        }
    }

    fn resource(&self, type_name: &str) -> Result<&dyn AnyResource, Diagnostics> {
        self.registry.resource(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown resource type",
                format!("This provider has no resource type \"{type_name}\"."),
            )
            .into()
        })
    }

    fn list_resource(&self, type_name: &str) -> Result<&dyn AnyListResource, Diagnostics> {
        self.registry.list_resource(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown list resource",
                format!("This provider has no list resource \"{type_name}\"."),
            )
            .into()
        })
    }

    fn data_source(&self, type_name: &str) -> Result<&dyn AnyDataSource, Diagnostics> {
        self.registry.data_source(type_name).ok_or_else(|| {
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

    fn schemas(&self) -> pb::get_provider_schema::Response {
        pb::get_provider_schema::Response {
            provider: Some(provider::schema().to_proto()),
            resource_schemas: self
                .registry
                .resources
                .iter()
                .map(|r| (r.type_name().to_owned(), r.schema().to_proto()))
                .collect(),
            data_source_schemas: self
                .registry
                .data_sources
                .iter()
                .map(|d| (d.type_name().to_owned(), d.schema().to_proto()))
                .collect(),
            list_resource_schemas: self
                .registry
                .list_resources
                .iter()
                .map(|l| (l.type_name().to_owned(), l.schema().to_proto()))
                .collect(),
            diagnostics: vec![],
            provider_meta: None,
            server_capabilities: Some(server_capabilities()),
            ..Default::default()
        }
    }
}

/// Reads a value Terraform sent; `what` names it in the error.
fn decode(value: Option<&pb::DynamicValue>, what: &str) -> Result<Value, Diagnostics> {
    decode_dynamic(value).map_err(|e| {
        Diagnostic::error(
            "Invalid value from Terraform",
            format!("Could not read the {what} Terraform sent: {e}. This is a bug; please report it with your Terraform version."),
        )
        .into()
    })
}

/// Reads stored state (`what`: "state" or "identity") as the upgrade
/// requests carry it: JSON.
/// [`StoredForm::Compact`] for a Terraform (or OpenTofu, all of whose
/// releases are 1.6 or later) from 1.4 on, whose plan renderer compares
/// values key by key; as written for an earlier or unreadable version.
fn stored_form_for(terraform_version: &str) -> StoredForm {
    let mut parts = terraform_version
        .trim_start_matches('v')
        .split(['.', '-'])
        .map(|p| p.parse::<u64>());
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) if (major, minor) >= (1, 4) => StoredForm::Compact,
        _ => StoredForm::AsWritten,
    }
}

fn decode_raw_state(raw: Option<&pb::RawState>, what: &str) -> Result<Value, Diagnostics> {
    let json = raw.map(|s| s.json.as_slice()).unwrap_or_default();
    if json.is_empty() {
        return Err(Diagnostic::error(
            format!("Unsupported {what} format"),
            format!("This {what} was stored in Terraform's legacy flatmap format, which this provider never wrote. Remove the resource from state and import it again."),
        )
        .into());
    }
    decode_json(json).map_err(|e| {
        Diagnostic::error(
            format!("Unreadable stored {what}"),
            format!("The stored {what} is not valid JSON: {e}."),
        )
        .into()
    })
}

/// Reads an identity Terraform sent; absent (Terraform < 1.12, or none
/// held) is null.
fn decode_identity(data: Option<&pb::ResourceIdentityData>) -> Result<Value, Diagnostics> {
    decode(
        data.and_then(|d| d.identity_data.as_ref()),
        "resource identity",
    )
}

/// An identity to answer with; none for null.
fn identity_data(identity: &Value) -> Option<pb::ResourceIdentityData> {
    (!identity.is_null()).then(|| pb::ResourceIdentityData {
        identity_data: encode(identity),
    })
}

fn encode(value: &Value) -> Option<pb::DynamicValue> {
    Some(encode_dynamic(value))
}

/// An answer's value and diagnostics: the value when there is one, none
/// (Terraform keeps what it had) with the errors otherwise.
fn answer(result: Result<Value, Diagnostics>) -> (Option<pb::DynamicValue>, Vec<pb::Diagnostic>) {
    match result {
        Ok(value) => (encode(&value), vec![]),
        Err(diagnostics) => (None, diagnostics.to_proto()),
    }
}

/// A stored state as the answer to a read or an apply.
struct Answer {
    state: Option<pb::DynamicValue>,
    identity: Option<pb::ResourceIdentityData>,
    private: Vec<u8>,
    diagnostics: Vec<pb::Diagnostic>,
}

/// The answer for `result`; `kept` answers when the request could not even
/// be routed (the state, identity and private state Terraform sent, as is).
fn stored(
    result: Result<Stored, Diagnostics>,
    kept: (
        Option<pb::DynamicValue>,
        Option<pb::ResourceIdentityData>,
        Vec<u8>,
    ),
) -> Answer {
    match result {
        Ok(s) => Answer {
            state: encode(&s.state),
            identity: identity_data(&s.identity),
            private: s.private,
            diagnostics: s.diagnostics.to_proto(),
        },
        Err(diagnostics) => Answer {
            state: kept.0,
            identity: kept.1,
            private: kept.2,
            diagnostics: diagnostics.to_proto(),
        },
    }
}

fn diagnostics_only(result: Result<Diagnostics, Diagnostics>) -> Vec<pb::Diagnostic> {
    result.unwrap_or_else(|d| d).to_proto()
}

/// What this provider tells Terraform about itself. The schema never
/// changes within a release, so Terraform may reuse the copy it fetched from
/// the first provider process of a run instead of asking every process.
/// Configuration for imports (`-generate-config-out`, Terraform 1.14 and
/// later) comes from the provider: Terraform's own guess would set both
/// attributes of a pair a configuration sets one of. Older clients ignore
/// the field.
fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        get_provider_schema_optional: true,
        generate_resource_config: true,
        ..Default::default()
    }
}

/// One listed object (or diagnostics about the listing) as a stream event.
fn list_event(listed: Listed) -> Result<pb::list_resource::Event, Status> {
    Ok(pb::list_resource::Event {
        identity: identity_data(&listed.identity),
        display_name: listed.display_name,
        resource_object: listed.state.as_ref().and_then(encode),
        diagnostic: listed.diagnostics.to_proto(),
    })
}

type ListStream = Pin<Box<dyn Stream<Item = Result<pb::list_resource::Event, Status>> + Send>>;

#[tonic::async_trait]
impl Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(server_capabilities()),
            diagnostics: vec![],
            data_sources: self
                .registry
                .data_sources
                .iter()
                .map(|d| pb::get_metadata::DataSourceMetadata {
                    type_name: d.type_name().to_owned(),
                })
                .collect(),
            resources: self
                .registry
                .resources
                .iter()
                .map(|r| pb::get_metadata::ResourceMetadata {
                    type_name: r.type_name().to_owned(),
                })
                .collect(),
            list_resources: self
                .registry
                .list_resources
                .iter()
                .map(|l| pb::get_metadata::ListResourceMetadata {
                    type_name: l.type_name().to_owned(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(self.schemas()))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let req = req.into_inner();
        let result = decode(req.config.as_ref(), "provider configuration")
            .map(|config| provider::validate(&config));
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diagnostics_only(result),
        }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let req = req.into_inner();
        let result = self
            .resource(&req.type_name)
            .and_then(|r| Ok(r.validate(&decode(req.config.as_ref(), "configuration")?)));
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: diagnostics_only(result),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let req = req.into_inner();
        let result = self
            .data_source(&req.type_name)
            .and_then(|d| Ok(d.validate(&decode(req.config.as_ref(), "configuration")?)));
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diagnostics_only(result),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = req.into_inner();
        let form = *self.stored_form.read().unwrap_or_else(|e| e.into_inner());
        let result = self.resource(&req.type_name).and_then(|r| {
            r.upgrade(
                req.version,
                &decode_raw_state(req.raw_state.as_ref(), "state")?,
                form,
            )
        });
        let (upgraded_state, diagnostics) = answer(result);
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics,
        }))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let req = req.into_inner();
        tracing::debug!(terraform_version = %req.terraform_version, "configuring provider");
        *self.stored_form.write().unwrap_or_else(|e| e.into_inner()) =
            stored_form_for(&req.terraform_version);
        let result = decode(req.config.as_ref(), "provider configuration")
            .and_then(|config| provider::configure(&config, &*self.env))
            .map(|configured| {
                let state = match configured {
                    Configured::Deferred => ClientState::Deferred,
                    Configured::Ready(client) => ClientState::Ready(client),
                };
                *self.client.write().unwrap_or_else(|e| e.into_inner()) = state;
                Diagnostics::default()
            });
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: diagnostics_only(result),
        }))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = req.into_inner();
        let result = async {
            let resource = self.resource(&req.type_name)?;
            let state = decode(req.current_state.as_ref(), "current state")?;
            let identity = decode_identity(req.current_identity.as_ref())?;
            let client = self.client()?;
            Ok(resource
                .read(&client, state, req.private.clone(), identity)
                .await)
        }
        .await;
        let answer = stored(
            result,
            (req.current_state, req.current_identity, req.private),
        );
        Ok(Response::new(pb::read_resource::Response {
            new_state: answer.state,
            diagnostics: answer.diagnostics,
            private: answer.private,
            deferred: None,
            new_identity: answer.identity,
        }))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let mut req = req.into_inner();
        // Each value is decoded from bytes taken out of the request, so the
        // bytes are freed as soon as they are read.
        let planned = (|| {
            let resource = self.resource(&req.type_name)?;
            let prior = decode(req.prior_state.take().as_ref(), "prior state")?;
            let proposed = decode(req.proposed_new_state.take().as_ref(), "proposed new state")?;
            let config = decode(req.config.take().as_ref(), "configuration")?;
            let identity = decode_identity(req.prior_identity.as_ref())?;
            resource.plan(prior, proposed, config, identity)
        })();
        let response = match planned {
            Ok(p) => pb::plan_resource_change::Response {
                planned_state: encode(&p.state),
                requires_replace: p.requires_replace.iter().map(|a| a.to_proto()).collect(),
                planned_private: req.prior_private,
                diagnostics: p.diagnostics.to_proto(),
                planned_identity: identity_data(&p.identity),
                ..Default::default()
            },
            Err(diagnostics) => pb::plan_resource_change::Response {
                planned_state: None,
                requires_replace: vec![],
                planned_private: req.prior_private,
                diagnostics: diagnostics.to_proto(),
                ..Default::default()
            },
        };
        Ok(Response::new(response))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        let result = async {
            let resource = self.resource(&req.type_name)?;
            let prior = decode(req.prior_state.as_ref(), "prior state")?;
            let planned = decode(req.planned_state.as_ref(), "planned state")?;
            let identity = decode_identity(req.planned_identity.as_ref())?;
            let client = self.client()?;
            Ok(resource
                .apply(
                    &client,
                    prior,
                    planned,
                    req.planned_private.clone(),
                    identity,
                )
                .await)
        }
        .await;
        // Not routed: nothing was done, what existed before still does.
        let answer = stored(
            result,
            (req.prior_state, req.planned_identity, req.planned_private),
        );
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state: answer.state,
            private: answer.private,
            diagnostics: answer.diagnostics,
            new_identity: answer.identity,
        }))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        let result = async {
            let resource = self.resource(&req.type_name)?;
            let identity = decode_identity(req.identity.as_ref())?;
            let client = self.client()?;
            resource.import(&client, &req.id, identity).await
        }
        .await;
        let response = match result {
            Ok(imported) => pb::import_resource_state::Response {
                imported_resources: vec![pb::import_resource_state::ImportedResource {
                    type_name: req.type_name,
                    state: encode(&imported.state),
                    private: imported.private,
                    identity: identity_data(&imported.identity),
                }],
                diagnostics: imported.diagnostics.to_proto(),
                deferred: None,
            },
            Err(diagnostics) => pb::import_resource_state::Response {
                imported_resources: vec![],
                diagnostics: diagnostics.to_proto(),
                deferred: None,
            },
        };
        Ok(Response::new(response))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let req = req.into_inner();
        let result = async {
            let data_source = self.data_source(&req.type_name)?;
            let config = decode(req.config.as_ref(), "configuration")?;
            let client = self.client()?;
            data_source.read(&client, &config).await
        }
        .await;
        let (state, diagnostics) = answer(result);
        Ok(Response::new(pb::read_data_source::Response {
            state,
            diagnostics,
            deferred: None,
        }))
    }

    /// Terraform 1.14 and later, for `terraform query` and for `plan` and
    /// `query` with `-generate-config-out` (announced by the server
    /// capability).
    async fn generate_resource_config(
        &self,
        req: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        let req = req.into_inner();
        let result = self.resource(&req.type_name).and_then(|r| {
            let state = decode(req.state.as_ref(), "state")?;
            r.generate_config(state)
        });
        let (config, diagnostics) = answer(result);
        Ok(Response::new(pb::generate_resource_config::Response {
            config,
            diagnostics,
        }))
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let req = req.into_inner();
        let result = self
            .list_resource(&req.type_name)
            .and_then(|l| Ok(l.validate(&decode(req.config.as_ref(), "list configuration")?)));
        Ok(Response::new(pb::validate_list_resource_config::Response {
            diagnostics: diagnostics_only(result),
        }))
    }

    type ListResourceStream = ListStream;

    /// `terraform query`: one event per object found, as the listing finds
    /// them. Terraform drops the stream once it has `limit` results, which
    /// stops the listing.
    async fn list_resource(
        &self,
        req: Request<pb::list_resource::Request>,
    ) -> Result<Response<Self::ListResourceStream>, Status> {
        let req = req.into_inner();
        let started = (|| {
            let list = self.list_resource(&req.type_name)?;
            let config = decode(req.config.as_ref(), "list configuration")?;
            let client = self.client()?;
            Ok(list.list(client, config, req.include_resource_object, req.limit))
        })();
        let stream: ListStream = match started {
            Ok(results) => Box::pin(ReceiverStream::new(results).map(list_event)),
            Err(diagnostics) => Box::pin(tokio_stream::once(list_event(Listed {
                diagnostics,
                ..Listed::default()
            }))),
        };
        Ok(Response::new(stream))
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        // Requests are bounded by the client's deadlines; nothing long-running
        // needs interrupting.
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }

    /// Terraform >= 1.12 and OpenTofu 1.12 ask on every run.
    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .registry
                .resources
                .iter()
                .filter_map(|r| Some((r.type_name().to_owned(), r.identity_schema()?.to_proto())))
                .collect(),
            diagnostics: vec![],
        }))
    }

    /// Called when state holds an identity written by another identity
    /// version than ours.
    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        let req = req.into_inner();
        let result = self.resource(&req.type_name).and_then(|r| {
            r.upgrade_identity(
                req.version,
                &decode_raw_state(req.raw_identity.as_ref(), "identity")?,
            )
        });
        let (upgraded, diagnostics) = answer(result);
        Ok(Response::new(pb::upgrade_resource_identity::Response {
            upgraded_identity: upgraded.map(|identity_data| pb::ResourceIdentityData {
                identity_data: Some(identity_data),
            }),
            diagnostics,
        }))
    }

    /// This provider defines no functions.
    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(pb::get_functions::Response::default()))
    }

    /// We do not advertise `move_resource_state`, so Terraform refuses a
    /// `moved` block between resource types itself; OpenTofu asks anyway and
    /// gets this explanation.
    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        let req = req.into_inner();
        let d = match self.resource(&req.target_type_name) {
            Err(d) => d,
            Ok(_) => Diagnostic::error(
                "Moving resources between types is not supported",
                format!(
                    "A \"moved\" block asks to turn a {} resource (from provider {}) into a {}, \
                     but {} cannot take over another resource type's state. Remove the \"moved\" block, \
                     remove the old resource from state (terraform state rm), and import the Domo object \
                     into the new resource instead: terraform import <address> <id>.",
                    req.source_type_name, req.source_provider_address, req.target_type_name, req.target_type_name,
                ),
            )
            .into(),
        };
        Ok(Response::new(pb::move_resource_state::Response {
            target_state: None,
            diagnostics: d.to_proto(),
            target_private: vec![],
            target_identity: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_stored_compact_for_terraform_from_1_4() {
        for (version, form) in [
            ("1.15.5", StoredForm::Compact),
            ("1.11.4", StoredForm::Compact),
            ("1.4.0", StoredForm::Compact),
            ("1.6.0-alpha20230816", StoredForm::Compact),
            ("2.0.0", StoredForm::Compact),
            ("1.3.9", StoredForm::AsWritten),
            ("1.0.3", StoredForm::AsWritten),
            ("0.15.5", StoredForm::AsWritten),
            ("", StoredForm::AsWritten),
            ("dev", StoredForm::AsWritten),
        ] {
            assert_eq!(stored_form_for(version), form, "{version}");
        }
    }
}
