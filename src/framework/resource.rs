//! Managed resources: the typed [`Resource`] trait each resource implements,
//! and [`AnyResource`], the value-level face the server calls.

use std::sync::OnceLock;

use crate::domo::DomoClient;
use crate::protocol::plan::{
    keep_configured, mark_computed_unknown, replaceable_part, replacement_paths,
};
use crate::protocol::{AttributePath, Diagnostic, Diagnostics, Model, Schema, Value};

/// What Terraform stores after a create, read, update, delete or import.
#[derive(Debug)]
pub struct Outcome<M> {
    /// `None` when the object does not exist (deleted, or never created).
    pub state: Option<M>,
    /// Replaces the private state when set; otherwise it passes through.
    pub private: Option<Vec<u8>>,
    /// Warnings, or errors that go with a partial result.
    pub diagnostics: Diagnostics,
}

impl<M> Outcome<M> {
    /// The object as it now is.
    pub fn new(state: M) -> Self {
        Outcome {
            state: Some(state),
            private: None,
            diagnostics: Diagnostics::default(),
        }
    }

    /// The object no longer exists.
    pub fn gone() -> Self {
        Outcome {
            state: None,
            private: None,
            diagnostics: Diagnostics::default(),
        }
    }

    pub fn with_private(mut self, private: Vec<u8>) -> Self {
        self.private = Some(private);
        self
    }

    pub fn with_diagnostic(mut self, diagnostic: Diagnostic) -> Self {
        self.diagnostics.push(diagnostic);
        self
    }
}

/// One managed resource type, written against its typed model. Each method
/// returning `Err` means nothing changed: state stays what it was.
#[tonic::async_trait]
pub trait Resource: Send + Sync + 'static {
    type Model: Model;
    /// e.g. `domo_user`.
    const TYPE_NAME: &'static str;
    /// Markdown, for Terraform and the docs.
    const DESCRIPTION: &'static str;
    /// Bumped when stored state needs [`Resource::upgrade`].
    const SCHEMA_VERSION: i64 = 0;

    /// Checks a configuration before any API call. Values may be unknown.
    fn validate(&self, _config: &Self::Model) -> Diagnostics {
        Diagnostics::default()
    }

    /// Adjusts a plan (create when `prior` is `None`, else update). Computed
    /// attributes the configuration leaves unset are already unknown on
    /// create and carry their prior values on update. Never calls the API.
    fn modify_plan(
        &self,
        _prior: Option<&Self::Model>,
        _planned: &mut Self::Model,
        _config: &Self::Model,
    ) -> Diagnostics {
        Diagnostics::default()
    }

    async fn create(
        &self,
        client: &DomoClient,
        planned: Self::Model,
    ) -> Result<Outcome<Self::Model>, Diagnostics>;

    /// Refreshes state from Domo; an outcome without state means the object
    /// is gone (say so with a warning).
    async fn read(
        &self,
        client: &DomoClient,
        current: Self::Model,
        private: &[u8],
    ) -> Result<Outcome<Self::Model>, Diagnostics>;

    async fn update(
        &self,
        client: &DomoClient,
        prior: Self::Model,
        planned: Self::Model,
        private: &[u8],
    ) -> Result<Outcome<Self::Model>, Diagnostics>;

    /// Deletes; [`Outcome::gone`] when done.
    async fn delete(
        &self,
        client: &DomoClient,
        prior: Self::Model,
    ) -> Result<Outcome<Self::Model>, Diagnostics>;

    /// Finds an existing object by the id given to `terraform import`.
    async fn import(
        &self,
        client: &DomoClient,
        id: &str,
    ) -> Result<Outcome<Self::Model>, Diagnostics>;

    /// Brings state stored by schema `version` (read into the current
    /// model, attributes it lacks as null) up to date.
    fn upgrade(&self, _version: i64, state: Self::Model) -> Result<Self::Model, Diagnostics> {
        Ok(state)
    }
}

/// A planned new state, for `PlanResourceChange`.
#[derive(Debug)]
pub struct Planned {
    pub state: Value,
    pub requires_replace: Vec<AttributePath>,
    pub diagnostics: Diagnostics,
}

/// A state to store, for the requests that change or read one.
#[derive(Debug, Default)]
pub struct Stored {
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

/// A resource as the gRPC server sees it: values in, values out.
#[tonic::async_trait]
pub trait AnyResource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn validate(&self, config: &Value) -> Diagnostics;
    /// A null `proposed` plans a destroy.
    /// The values are taken, not borrowed, so that each can be dropped
    /// as soon as it is read (a large roster is tens of megabytes each).
    fn plan(&self, prior: Value, proposed: Value, config: Value) -> Result<Planned, Diagnostics>;
    /// Creates (null `prior`), deletes (null `planned`) or updates.
    async fn apply(
        &self,
        client: &DomoClient,
        prior: Value,
        planned: Value,
        private: Vec<u8>,
    ) -> Stored;
    async fn read(&self, client: &DomoClient, current: Value, private: Vec<u8>) -> Stored;
    async fn import(&self, client: &DomoClient, id: &str) -> Result<Stored, Diagnostics>;
    fn upgrade(&self, version: i64, raw: &Value) -> Result<Value, Diagnostics>;
}

/// Makes a typed resource servable.
pub fn register<R: Resource>(resource: R) -> Box<dyn AnyResource> {
    Box::new(Registered {
        resource,
        schema: OnceLock::new(),
    })
}

struct Registered<R> {
    resource: R,
    /// Built on first use: start-up stays cheap.
    schema: OnceLock<Schema>,
}

impl<R: Resource> Registered<R> {
    /// Reads a value Terraform sent; a null value is no object.
    fn model(&self, value: &Value) -> Result<Option<R::Model>, Diagnostics> {
        R::Model::from_value(value)
    }

    fn store(&self, outcome: Outcome<R::Model>, private: Vec<u8>) -> Stored {
        match outcome.state {
            Some(state) => Stored {
                state: state.to_value(),
                private: outcome.private.unwrap_or(private),
                diagnostics: outcome.diagnostics,
            },
            None => Stored {
                state: Value::Null,
                private: Vec::new(),
                diagnostics: outcome.diagnostics,
            },
        }
    }
}

#[tonic::async_trait]
impl<R: Resource> AnyResource for Registered<R> {
    fn type_name(&self) -> &'static str {
        R::TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        self.schema.get_or_init(|| Schema {
            version: R::SCHEMA_VERSION,
            description: R::DESCRIPTION.to_owned(),
            attributes: R::Model::attributes(),
        })
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match self.model(config) {
            Ok(Some(config)) => self.resource.validate(&config),
            Ok(None) => Diagnostics::default(),
            Err(diagnostics) => diagnostics,
        }
    }

    fn plan(
        &self,
        prior: Value,
        mut proposed: Value,
        config: Value,
    ) -> Result<Planned, Diagnostics> {
        if proposed.is_null() {
            return Ok(Planned {
                state: Value::Null,
                requires_replace: Vec::new(),
                diagnostics: Diagnostics::default(),
            });
        }
        let attributes = &self.schema().attributes;
        mark_computed_unknown(attributes, &mut proposed, &config, &prior);
        let mut planned = self.model(&proposed)?.unwrap_or_default();
        drop(proposed);
        let prior_model = self.model(&prior)?;
        let prior = replaceable_part(attributes, prior);
        let config_model = self.model(&config)?.unwrap_or_default();
        let diagnostics =
            self.resource
                .modify_plan(prior_model.as_ref(), &mut planned, &config_model);
        drop((prior_model, config_model));
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        let mut state = planned.to_value();
        drop(planned);
        // From the configuration rather than the proposal: they agree,
        // except that Terraform 1.0 proposes null for an empty nested map
        // and then rejects a plan that is not the configured empty map.
        keep_configured(attributes, &mut state, config);
        Ok(Planned {
            requires_replace: replacement_paths(attributes, &prior, &state),
            state,
            diagnostics,
        })
    }

    async fn apply(
        &self,
        client: &DomoClient,
        prior: Value,
        planned: Value,
        private: Vec<u8>,
    ) -> Stored {
        let models = self
            .model(&prior)
            .and_then(|old| Ok((old, self.model(&planned)?)));
        let models = match models {
            Ok(models) => models,
            Err(diagnostics) => {
                return Stored {
                    state: prior,
                    private,
                    diagnostics,
                }
            }
        };
        // The models hold the same, in a third of the memory.
        drop((prior, planned));
        let kept = models.0.clone();
        let result = match models {
            (None, None) => Ok(Outcome::gone()),
            (None, Some(new)) => self.resource.create(client, new).await,
            (Some(old), None) => self.resource.delete(client, old).await,
            (Some(old), Some(new)) => self.resource.update(client, old, new, &private).await,
        };
        match result {
            Ok(outcome) => self.store(outcome, private),
            // Nothing was done: what existed before still does.
            Err(diagnostics) => Stored {
                state: kept.map_or(Value::Null, |m| m.to_value()),
                private,
                diagnostics,
            },
        }
    }

    async fn read(&self, client: &DomoClient, current: Value, private: Vec<u8>) -> Stored {
        let model = match self.model(&current) {
            Ok(None) => return Stored::default(),
            Ok(Some(model)) => model,
            Err(diagnostics) => {
                return Stored {
                    state: current,
                    private,
                    diagnostics,
                }
            }
        };
        drop(current);
        let kept = model.clone();
        match self.resource.read(client, model, &private).await {
            Ok(outcome) => self.store(outcome, private),
            Err(diagnostics) => Stored {
                state: kept.to_value(),
                private,
                diagnostics,
            },
        }
    }

    async fn import(&self, client: &DomoClient, id: &str) -> Result<Stored, Diagnostics> {
        let outcome = self.resource.import(client, id).await?;
        if outcome.state.is_none() {
            return Err(Diagnostic::error(
                "Cannot import",
                format!("No {} was found for import id \"{id}\".", R::TYPE_NAME),
            )
            .into());
        }
        Ok(self.store(outcome, Vec::new()))
    }

    fn upgrade(&self, version: i64, raw: &Value) -> Result<Value, Diagnostics> {
        if version < 0 {
            return Err(Diagnostic::error(
                "Invalid stored state version",
                format!(
                    "This {} state has schema version {version}, which no provider writes. The state file may have been edited by hand; remove the resource from state and import it again.",
                    R::TYPE_NAME
                ),
            )
            .into());
        }
        if version > R::SCHEMA_VERSION {
            return Err(Diagnostic::error(
                "State from a newer provider",
                format!(
                    "This {} state has schema version {version}, written by a newer terraform-provider-domo. Upgrade the provider to use this state.",
                    R::TYPE_NAME
                ),
            )
            .into());
        }
        // Reading into the current model drops attributes it no longer has
        // and adds new ones as null.
        let state = self.model(raw)?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Empty state",
                format!("The stored {} state is empty.", R::TYPE_NAME),
            ))
        })?;
        Ok(self.resource.upgrade(version, state)?.to_value())
    }
}
