//! List resources (Terraform 1.14 and later, protocol 6.10): `list` blocks
//! of `terraform query`, which find existing objects of a managed resource
//! type, each with its identity (and its state, when asked), so that
//! `terraform query -generate-config-out` can write the configuration and
//! the `import` blocks that bring them under Terraform.
//!
//! A list resource declares the `config` block its `list` block takes (a
//! [`model!`](crate::model)) and lists into [`Results`]; the framework does
//! the rest, once for all of them: reading and validating the
//! configuration, deriving each object's identity from its state, the
//! `limit`, `include_resource_object`, and stopping the listing as soon as
//! Terraform stops reading (it drops the stream once it has `limit`
//! results).

use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

use tokio::sync::mpsc;

use super::identity::Identity;
use super::resource::Resource;
use crate::domo::DomoClient;
use crate::protocol::{Diagnostics, Model, Schema, Value};

/// Results waiting for Terraform to read them, at most: a slow reader
/// slows the listing down rather than letting it fill memory.
const BUFFERED_RESULTS: usize = 64;

/// One object found, or diagnostics about the listing.
#[derive(Debug, Default)]
pub struct Listed {
    /// Null for a diagnostics-only result.
    pub identity: Value,
    pub display_name: String,
    /// The object's state, when asked for.
    pub state: Option<Value>,
    pub diagnostics: Diagnostics,
}

/// The list resource of a managed resource type: the same type name, its
/// identity and state.
#[tonic::async_trait]
pub trait ListResource: Send + Sync + 'static {
    /// The managed resource whose objects this lists; it must have an
    /// identity.
    type Resource: Resource;
    /// The `config` block of a `list` block: its filters.
    type Config: Model;
    /// Markdown, for Terraform and the docs.
    const DESCRIPTION: &'static str;

    /// Checks the filters before any API call. Values may be unknown.
    fn validate(&self, _config: &Self::Config) -> Diagnostics {
        Diagnostics::default()
    }

    /// Lists the objects `config` selects into `results`, returning when
    /// the listing ends or [`Results::push`] says no more are wanted.
    async fn list(
        &self,
        client: &DomoClient,
        config: Self::Config,
        results: &mut Results<Self::Resource>,
    ) -> Result<(), Diagnostics>;
}

/// Where a listing puts what it finds.
pub struct Results<R: Resource> {
    sender: mpsc::Sender<Listed>,
    include_state: bool,
    /// Results still wanted (the limit, counted down).
    wanted: u64,
    resource: PhantomData<fn() -> R>,
}

impl<R: Resource> Results<R> {
    /// Hands one object to Terraform. `false` when no more are wanted (the
    /// limit is reached, or Terraform stopped reading): stop listing.
    pub async fn push(&mut self, display_name: impl Into<String>, state: &R::Model) -> bool {
        if self.wanted == 0 {
            return false;
        }
        let Some(identity) = R::Identity::of(state) else {
            // Never for an object Domo listed (its ids are known).
            tracing::warn!(
                type_name = R::TYPE_NAME,
                "a listed object has no identity; left out"
            );
            return true;
        };
        let listed = Listed {
            identity: identity.to_value(),
            display_name: display_name.into(),
            state: self.include_state.then(|| state.to_value()),
            diagnostics: Diagnostics::default(),
        };
        if self.sender.send(listed).await.is_err() {
            self.wanted = 0;
            return false;
        }
        self.wanted -= 1;
        self.wanted > 0
    }
}

/// A list resource as the gRPC server sees it: values in, results out.
pub trait AnyListResource: Send + Sync {
    fn type_name(&self) -> &'static str;
    /// The schema of the `config` block.
    fn schema(&self) -> &Schema;
    fn validate(&self, config: &Value) -> Diagnostics;
    /// Starts listing what `config` selects, at most `limit` objects (with
    /// their state when `include_state`). Results arrive on the receiver;
    /// dropping it stops the listing.
    fn list(
        &self,
        client: DomoClient,
        config: Value,
        include_state: bool,
        limit: i64,
    ) -> mpsc::Receiver<Listed>;
}

/// Makes a typed list resource servable.
pub fn register_list<L: ListResource>(list: L) -> Box<dyn AnyListResource> {
    Box::new(RegisteredList {
        list: Arc::new(list),
        schema: OnceLock::new(),
    })
}

struct RegisteredList<L> {
    list: Arc<L>,
    schema: OnceLock<Schema>,
}

/// The filters in `config`; a `list` block without a `config` block sets
/// none (Terraform sends null, or an object of nulls).
fn filters<L: ListResource>(config: &Value) -> Result<L::Config, Diagnostics> {
    Ok(L::Config::from_value(config)?.unwrap_or_default())
}

impl<L: ListResource> AnyListResource for RegisteredList<L> {
    fn type_name(&self) -> &'static str {
        <L::Resource as Resource>::TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        self.schema.get_or_init(|| Schema {
            version: 0,
            description: L::DESCRIPTION.to_owned(),
            attributes: L::Config::attributes(),
        })
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match filters::<L>(config) {
            Ok(config) => self.list.validate(&config),
            Err(diagnostics) => diagnostics,
        }
    }

    fn list(
        &self,
        client: DomoClient,
        config: Value,
        include_state: bool,
        limit: i64,
    ) -> mpsc::Receiver<Listed> {
        let (sender, receiver) = mpsc::channel(BUFFERED_RESULTS);
        let list = self.list.clone();
        tokio::spawn(async move {
            let mut results = Results::<L::Resource> {
                sender: sender.clone(),
                include_state,
                wanted: u64::try_from(limit).unwrap_or(0),
                resource: PhantomData,
            };
            let listing = async {
                let config = filters::<L>(&config)?;
                let problems = list.validate(&config);
                if problems.has_errors() {
                    return Err(problems);
                }
                if results.wanted == 0 {
                    return Ok(());
                }
                list.list(&client, config, &mut results).await
            };
            // Terraform drops the stream once it has its `limit`, or when
            // it is interrupted: stop at once, even mid-request.
            tokio::select! {
                biased;
                () = sender.closed() => {
                    tracing::debug!(
                        type_name = <L::Resource as Resource>::TYPE_NAME,
                        "Terraform stopped reading; listing stopped"
                    );
                }
                outcome = listing => {
                    if let Err(diagnostics) = outcome {
                        let _ = sender
                            .send(Listed {
                                diagnostics,
                                ..Listed::default()
                            })
                            .await;
                    }
                }
            }
        });
        receiver
    }
}
