//! Managed resources: the typed [`Resource`] trait each resource implements,
//! and [`AnyResource`], the value-level face the server calls.

use std::sync::OnceLock;

use super::identity::{self, describe, Identity, IdentitySchema};
use crate::domo::DomoClient;
use crate::protocol::plan::{
    configuration_of, keep_configured, mark_computed_unknown, replaceable_part, replacement_paths,
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
    /// What names one object for its whole life, derived from its state
    /// (see [`Identity`]); [`NoIdentity`](super::NoIdentity) for none.
    type Identity: Identity<Self::Model>;
    /// e.g. `domo_user`.
    const TYPE_NAME: &'static str;
    /// Markdown, for Terraform and the docs.
    const DESCRIPTION: &'static str;
    /// Bumped when stored state needs [`Resource::upgrade`].
    const SCHEMA_VERSION: i64 = 0;
    /// Configured attributes that [`Resource::modify_plan`] may plan as
    /// exactly their prior value, when the configuration means the same
    /// (a list read as a set, listed in another order). Every other
    /// configured attribute is planned as configured. A `dynamic` one
    /// among them may be stored in another form than it is written in (see
    /// [`StoredForm::Compact`]): the model reads both alike, and the plan
    /// keeps the stored one when they mean the same.
    const MAY_PLAN_PRIOR: &'static [&'static str] = &[];

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

    /// The configuration Terraform writes for an object it is about to
    /// import (`-generate-config-out`), from `config`: the object's state
    /// with what only the provider sets already removed. Override it where
    /// that would not plan without change (say, two attributes of which a
    /// configuration sets one).
    fn generate_config(&self, config: Self::Model) -> Self::Model {
        config
    }
}

/// How an upgrade gives back the `dynamic` attributes of
/// [`Resource::MAY_PLAN_PRIOR`]. Terraform upgrades stored state at the
/// start of every command, so this is the form the refresh and a plan that
/// changes nothing carry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StoredForm {
    /// As the configuration wrote them.
    #[default]
    AsWritten,
    /// An object whose attributes all have one type as a map (see
    /// [`Typed::as_map`](crate::protocol::Typed::as_map)): Terraform reads
    /// its type at once, where an object's names every key. Only for a
    /// Terraform whose plan renderer compares a value stored as a map with
    /// one planned as an object key by key (1.4 and later); earlier ones
    /// show the whole value removed and added again.
    Compact,
}

/// A planned new state, for `PlanResourceChange`.
#[derive(Debug)]
pub struct Planned {
    pub state: Value,
    pub requires_replace: Vec<AttributePath>,
    /// The planned identity; null when not known yet (a create).
    pub identity: Value,
    pub diagnostics: Diagnostics,
}

/// A state to store, for the requests that change or read one.
#[derive(Debug, Default)]
pub struct Stored {
    pub state: Value,
    /// The object's identity; null for none (no object, or no identity).
    pub identity: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

/// A resource as the gRPC server sees it: values in, values out. Each
/// identity is the value Terraform holds or is answered, null for none
/// (Terraform < 1.12 sends none).
#[tonic::async_trait]
pub trait AnyResource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    /// `None` when the resource has no identity.
    fn identity_schema(&self) -> Option<&IdentitySchema>;
    fn validate(&self, config: &Value) -> Diagnostics;
    /// A null `proposed` plans a destroy.
    /// The values are taken, not borrowed, so that each can be dropped
    /// as soon as it is read (a large roster is tens of megabytes each).
    fn plan(
        &self,
        prior: Value,
        proposed: Value,
        config: Value,
        prior_identity: Value,
    ) -> Result<Planned, Diagnostics>;
    /// Creates (null `prior`), deletes (null `planned`) or updates.
    async fn apply(
        &self,
        client: &DomoClient,
        prior: Value,
        planned: Value,
        private: Vec<u8>,
        planned_identity: Value,
    ) -> Stored;
    async fn read(
        &self,
        client: &DomoClient,
        current: Value,
        private: Vec<u8>,
        current_identity: Value,
    ) -> Stored;
    /// Imports by `id`, or, when it is empty, by `identity` (an `import`
    /// block with `identity = {...}`).
    async fn import(
        &self,
        client: &DomoClient,
        id: &str,
        identity: Value,
    ) -> Result<Stored, Diagnostics>;
    /// Brings state stored by schema `version` up to date, in `form`.
    fn upgrade(&self, version: i64, raw: &Value, form: StoredForm) -> Result<Value, Diagnostics>;
    /// The configuration to write for an object whose state is `state`.
    fn generate_config(&self, state: Value) -> Result<Value, Diagnostics>;
    /// Brings an identity stored by identity schema `version` up to date.
    fn upgrade_identity(&self, version: i64, raw: &Value) -> Result<Value, Diagnostics>;
}

/// Makes a typed resource servable.
pub fn register<R: Resource>(resource: R) -> Box<dyn AnyResource> {
    Box::new(Registered {
        resource,
        schema: OnceLock::new(),
        identity_schema: OnceLock::new(),
    })
}

struct Registered<R> {
    resource: R,
    /// Built on first use: start-up stays cheap.
    schema: OnceLock<Schema>,
    identity_schema: OnceLock<Option<IdentitySchema>>,
}

impl<R: Resource> Registered<R> {
    /// Reads a value Terraform sent; a null value is no object.
    fn model(&self, value: &Value) -> Result<Option<R::Model>, Diagnostics> {
        R::Model::from_value(value)
    }

    /// Reads an identity Terraform holds; `None` when it holds none (null,
    /// or every attribute null), or when the resource has no identity.
    fn held(&self, value: &Value) -> Result<Option<R::Identity>, Diagnostics> {
        if !R::Identity::DECLARED || is_fully_null(value) {
            return Ok(None);
        }
        R::Identity::from_value(value).map_err(|problems| {
            Diagnostic::error(
                "Invalid identity from Terraform",
                format!(
                    "Could not read the {} identity {} Terraform sent: {}",
                    R::TYPE_NAME,
                    describe(value),
                    problems.into_first().detail
                ),
            )
            .into()
        })
    }

    /// What to store for `outcome`, with the identity derived from its
    /// state (see [`identity::answer`]) given the one Terraform holds.
    fn store(
        &self,
        outcome: Outcome<R::Model>,
        private: Vec<u8>,
        held: Option<&R::Identity>,
    ) -> Stored {
        let (identity, changed) = identity::answer(R::TYPE_NAME, held, outcome.state.as_ref());
        let mut diagnostics = outcome.diagnostics;
        diagnostics.0.extend(changed);
        match outcome.state {
            Some(state) => Stored {
                state: state.to_value(),
                identity,
                private: outcome.private.unwrap_or(private),
                diagnostics,
            },
            None => Stored {
                state: Value::Null,
                identity,
                private: Vec::new(),
                diagnostics,
            },
        }
    }
}

/// Of `names` (a resource's [`Resource::MAY_PLAN_PRIOR`]), the prior
/// values of those both the prior state and the configuration set.
fn prior_values(
    names: &[&'static str],
    prior: &Value,
    config: &Value,
) -> Vec<(&'static str, Value)> {
    let set = |value: &Value, name| value.get(name).is_some_and(|v| !v.is_null());
    names
        .iter()
        .filter(|name| set(config, name))
        .filter_map(|name| Some((*name, prior.get(name).filter(|v| !v.is_null())?.clone())))
        .collect()
}

/// Takes out of `planned` the attributes the resource planned as exactly
/// their prior value (of `priors`, from [`prior_values`]), to be put back
/// once the configuration is: Terraform accepts the prior value of a
/// configured attribute when both are set (the configuration means the
/// same), which is how a list read as a set plans no change for a
/// reordered configuration.
fn take_planned_prior(
    planned: &mut Value,
    priors: Vec<(&'static str, Value)>,
) -> Vec<(String, Value)> {
    let Value::Map(object) = planned else {
        return Vec::new();
    };
    let mut kept = Vec::new();
    for (name, prior) in priors {
        if object.get(name) == Some(&prior) {
            kept.extend(object.remove_entry(name));
        }
    }
    kept
}

/// The `dynamic` values among the attributes `names` of `state`, each as a
/// map when it can be one (see [`StoredForm::Compact`]).
fn compact(state: &mut Value, names: &[&str]) {
    let Value::Map(object) = state else {
        return;
    };
    for name in names {
        if let Some(value @ Value::Typed(_)) = object.get_mut(*name) {
            // Taken out, so that the value is moved into its new type, not copied.
            if let Value::Typed(typed) = std::mem::take(value) {
                *value = Value::Typed(typed.as_map());
            }
        }
    }
}

/// Null, or an object whose attributes are all null: no identity.
fn is_fully_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Map(attributes) => attributes.values().all(Value::is_null),
        _ => false,
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

    fn identity_schema(&self) -> Option<&IdentitySchema> {
        self.identity_schema
            .get_or_init(IdentitySchema::of::<R::Model, R::Identity>)
            .as_ref()
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
        prior_identity: Value,
    ) -> Result<Planned, Diagnostics> {
        let held = self.held(&prior_identity)?;
        if proposed.is_null() {
            // A destroy: the object keeps its identity to the end.
            return Ok(Planned {
                state: Value::Null,
                requires_replace: Vec::new(),
                identity: held.map_or(Value::Null, |held| held.to_value()),
                diagnostics: Diagnostics::default(),
            });
        }
        let attributes = &self.schema().attributes;
        mark_computed_unknown(attributes, &mut proposed, &config, &prior);
        let mut planned = self.model(&proposed)?.unwrap_or_default();
        drop(proposed);
        let prior_model = self.model(&prior)?;
        let priors = prior_values(R::MAY_PLAN_PRIOR, &prior, &config);
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
        let kept_prior = take_planned_prior(&mut state, priors);
        // From the configuration rather than the proposal: they agree,
        // except that Terraform 1.0 proposes null for an empty nested map
        // and then rejects a plan that is not the configured empty map.
        keep_configured(attributes, &mut state, config);
        if let Value::Map(object) = &mut state {
            object.extend(kept_prior);
        }
        let requires_replace = replacement_paths(attributes, &prior, &state);
        // A replacement is a new object, with an identity of its own.
        let held = held.filter(|_| requires_replace.is_empty());
        let (identity, changed) = identity::answer(R::TYPE_NAME, held.as_ref(), Some(&planned));
        drop(planned);
        let mut diagnostics = diagnostics;
        if let Some(changed) = changed {
            diagnostics.push(changed);
            return Err(diagnostics);
        }
        Ok(Planned {
            requires_replace,
            state,
            identity,
            diagnostics,
        })
    }

    async fn apply(
        &self,
        client: &DomoClient,
        prior: Value,
        planned: Value,
        private: Vec<u8>,
        planned_identity: Value,
    ) -> Stored {
        let models = self.held(&planned_identity).and_then(|held| {
            let old = self.model(&prior)?;
            Ok((held, old, self.model(&planned)?))
        });
        let (held, models) = match models {
            Ok((held, old, new)) => (held, (old, new)),
            Err(diagnostics) => {
                return Stored {
                    state: prior,
                    identity: planned_identity,
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
            Ok(outcome) => self.store(outcome, private, held.as_ref()),
            // Nothing was done: what existed before still does.
            Err(diagnostics) => Stored {
                identity: identity::answer(R::TYPE_NAME, held.as_ref(), kept.as_ref()).0,
                state: kept.map_or(Value::Null, |m| m.to_value()),
                private,
                diagnostics,
            },
        }
    }

    async fn read(
        &self,
        client: &DomoClient,
        current: Value,
        private: Vec<u8>,
        current_identity: Value,
    ) -> Stored {
        let read = self
            .held(&current_identity)
            .and_then(|held| Ok((held, self.model(&current)?)));
        let (held, model) = match read {
            Ok((_, None)) => return Stored::default(),
            Ok((held, Some(model))) => (held, model),
            Err(diagnostics) => {
                return Stored {
                    state: current,
                    identity: current_identity,
                    private,
                    diagnostics,
                }
            }
        };
        drop(current);
        let kept = model.clone();
        match self.resource.read(client, model, &private).await {
            Ok(outcome) => self.store(outcome, private, held.as_ref()),
            Err(diagnostics) => Stored {
                identity: identity::answer(R::TYPE_NAME, held.as_ref(), Some(&kept)).0,
                state: kept.to_value(),
                private,
                diagnostics,
            },
        }
    }

    async fn import(
        &self,
        client: &DomoClient,
        id: &str,
        identity: Value,
    ) -> Result<Stored, Diagnostics> {
        if !R::Identity::DECLARED && !identity.is_null() {
            return Err(Diagnostic::error(
                "No resource identity",
                format!(
                    "{} has no identity, so an import block cannot name one by `identity`: give its import id with `id` instead.",
                    R::TYPE_NAME
                ),
            )
            .into());
        }
        let requested = self.held(&identity)?;
        let (raw_id, named) = match &requested {
            _ if !id.is_empty() => (id.to_owned(), format!("import id \"{id}\"")),
            Some(requested) => (
                requested.import_id().map_err(Diagnostics::from)?,
                format!("identity {}", describe(&identity)),
            ),
            None => {
                return Err(Diagnostic::error(
                    "Nothing to import",
                    format!(
                        "Terraform asked to import a {} without an import id or an identity. Give one of them in the import block.",
                        R::TYPE_NAME
                    ),
                )
                .into())
            }
        };
        let outcome = self.resource.import(client, &raw_id).await?;
        let Some(state) = &outcome.state else {
            return Err(Diagnostic::error(
                "Cannot import",
                format!("No {} was found for {named}.", R::TYPE_NAME),
            )
            .into());
        };
        if let (Some(requested), Some(found)) = (&requested, R::Identity::of(state)) {
            if *requested != found {
                return Err(Diagnostic::error(
                    "Imported object has another identity",
                    format!(
                        "The {} found for {named} has the identity {}. Write that identity in the import block.",
                        R::TYPE_NAME,
                        describe(&found.to_value())
                    ),
                )
                .into());
            }
        }
        Ok(self.store(outcome, Vec::new(), requested.as_ref()))
    }

    fn upgrade(&self, version: i64, raw: &Value, form: StoredForm) -> Result<Value, Diagnostics> {
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
        let mut upgraded = self.resource.upgrade(version, state)?.to_value();
        if form == StoredForm::Compact {
            compact(&mut upgraded, R::MAY_PLAN_PRIOR);
        }
        Ok(upgraded)
    }

    fn generate_config(&self, mut state: Value) -> Result<Value, Diagnostics> {
        configuration_of(&self.schema().attributes, &mut state);
        let config = self.model(&state)?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "No state to generate configuration from",
                format!(
                    "Terraform asked for the configuration of a {} without its state; this is unexpected. Please report it.",
                    R::TYPE_NAME
                ),
            ))
        })?;
        Ok(self.resource.generate_config(config).to_value())
    }

    fn upgrade_identity(&self, version: i64, raw: &Value) -> Result<Value, Diagnostics> {
        if !R::Identity::DECLARED {
            return Err(Diagnostic::error(
                "No resource identity",
                format!(
                    "{} has no identity, yet Terraform holds one for it. Remove the resource from state and import it again.",
                    R::TYPE_NAME
                ),
            )
            .into());
        }
        if !(0..=R::Identity::VERSION).contains(&version) {
            let why = if version < 0 {
                "which no provider writes. The state file may have been edited by hand"
            } else {
                "written by a newer terraform-provider-domo. Upgrade the provider to use this state"
            };
            return Err(Diagnostic::error(
                "Unsupported identity version",
                format!(
                    "This {} identity has version {version}, {why}.",
                    R::TYPE_NAME
                ),
            )
            .into());
        }
        let identity = R::Identity::upgrade(version, raw)?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Empty identity",
                format!("The stored {} identity is empty.", R::TYPE_NAME),
            ))
        })?;
        Ok(identity.to_value())
    }
}
