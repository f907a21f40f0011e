//! The protocol's data model, independent of any resource: values and their
//! wire codecs, cty types and schemas, diagnostics, typed models, and the
//! planning rules every resource obeys.

pub mod diagnostics;
pub mod model;
pub mod plan;
pub mod schema;
pub mod value;

#[cfg(test)]
mod proptests;

pub use diagnostics::{AttributePath, Diagnostic, Diagnostics};
pub use model::{AsWritten, DynamicMap, Field, Model};
pub use schema::{AttrType, Attribute, Mode, Schema};
pub use value::{decode_dynamic, encode_dynamic, DecodeError, Number, Typed, Value};
