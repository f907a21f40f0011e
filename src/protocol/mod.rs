//! The protocol's data model, independent of any resource: values and their
//! wire codecs, cty types and schemas, diagnostics, and typed object access.

pub mod diagnostics;
pub mod object;
pub mod schema;
pub mod value;

#[cfg(test)]
mod proptests;

pub use diagnostics::{AttributePath, Diagnostic, Diagnostics};
pub use object::{Field, ObjectReader};
pub use schema::{AttrType, Attribute, Mode, Schema};
pub use value::{decode_dynamic, encode_dynamic, DecodeError, Number, Value};
