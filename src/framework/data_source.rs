//! Data sources: the typed [`DataSource`] trait each data source implements,
//! and [`AnyDataSource`], the value-level face the server calls.

use std::sync::OnceLock;

use crate::domo::DomoClient;
use crate::protocol::{Diagnostic, Diagnostics, Model, Schema, Value};

/// One data source type, written against its typed model.
#[tonic::async_trait]
pub trait DataSource: Send + Sync + 'static {
    type Model: Model;
    /// e.g. `domo_users`.
    const TYPE_NAME: &'static str;
    /// Markdown, for Terraform and the docs.
    const DESCRIPTION: &'static str;

    /// Checks a configuration before any API call. Values may be unknown.
    fn validate(&self, _config: &Self::Model) -> Diagnostics {
        Diagnostics::default()
    }

    /// Reads the data into the configured model. `config` is wholly known:
    /// Terraform defers the read until it is.
    async fn read(
        &self,
        client: &DomoClient,
        config: Self::Model,
    ) -> Result<Self::Model, Diagnostics>;
}

/// A data source as the gRPC server sees it: values in, values out.
#[tonic::async_trait]
pub trait AnyDataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn validate(&self, config: &Value) -> Diagnostics;
    async fn read(&self, client: &DomoClient, config: &Value) -> Result<Value, Diagnostics>;
}

/// Makes a typed data source servable.
pub fn register_data_source<D: DataSource>(data_source: D) -> Box<dyn AnyDataSource> {
    Box::new(Registered {
        data_source,
        schema: OnceLock::new(),
    })
}

struct Registered<D> {
    data_source: D,
    schema: OnceLock<Schema>,
}

#[tonic::async_trait]
impl<D: DataSource> AnyDataSource for Registered<D> {
    fn type_name(&self) -> &'static str {
        D::TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        self.schema.get_or_init(|| Schema {
            version: 0,
            description: D::DESCRIPTION.to_owned(),
            attributes: D::Model::attributes(),
        })
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match D::Model::from_value(config) {
            Ok(Some(config)) => self.data_source.validate(&config),
            Ok(None) => Diagnostics::default(),
            Err(diagnostics) => diagnostics,
        }
    }

    async fn read(&self, client: &DomoClient, config: &Value) -> Result<Value, Diagnostics> {
        let config = D::Model::from_value(config)?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Empty configuration",
                format!(
                    "Terraform sent no configuration for {}; this is unexpected. Please report it.",
                    D::TYPE_NAME
                ),
            ))
        })?;
        let problems = self.data_source.validate(&config);
        if problems.has_errors() {
            return Err(problems);
        }
        Ok(self.data_source.read(client, config).await?.to_value())
    }
}
