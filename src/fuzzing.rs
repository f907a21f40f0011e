//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz): each takes
//! arbitrary bytes, feeds them to one decoder or parser that reads input
//! from outside, and panics only when that code breaks a promise (a panic,
//! or an answer that contradicts itself). Not part of the provider's API:
//! it exists so the targets can reach parsers that stay private.

use std::time::Duration;

use crate::domo;
use crate::framework::StoredForm;
use crate::protocol::value::{decode_json, decode_msgpack, encode_msgpack};
use crate::protocol::{Schema, Value};
use crate::provider;
use crate::registry::Registry;

/// msgpack as Terraform sends it. Whatever decodes must encode and decode
/// again to the same bytes (compared as bytes: a NaN is not equal to
/// itself, but encodes the same).
pub fn msgpack_value(data: &[u8]) {
    if let Ok(value) = decode_msgpack(data) {
        let encoded = encode_msgpack(&value);
        let again = decode_msgpack(&encoded).expect("our own encoding decodes");
        assert_eq!(encode_msgpack(&again), encoded, "msgpack round trip");
    }
}

/// JSON as Terraform stores state. Whatever decodes must survive a msgpack
/// round trip (it is sent back to Terraform as msgpack).
pub fn json_value(data: &[u8]) {
    if let Ok(value) = decode_json(data) {
        let encoded = encode_msgpack(&value);
        let again = decode_msgpack(&encoded).expect("our own encoding decodes");
        assert_eq!(encode_msgpack(&again), encoded, "JSON value to msgpack");
    }
}

/// Values read through the schemas: the first byte picks a schema (the
/// provider block, a resource, a data source); the rest is msgpack. A
/// msgpack array is read as an object whose attributes are the schema's, in
/// order, so the fuzzer reaches the typed readers without having to guess
/// attribute names.
pub fn schema_object(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(value) = decode_msgpack(rest) else {
        return;
    };
    read_through_schemas(pick, value);
}

/// Runs one value through everything that reads typed values from
/// Terraform. This is the one place to adapt when that layer changes.
fn read_through_schemas(pick: u8, value: Value) {
    let registry = Registry::default();
    let resources = registry.resources.len();
    let choices = 1 + resources + registry.data_sources.len();
    match usize::from(pick) % choices {
        0 => {
            let config = as_object(&provider::schema(), value);
            let _ = provider::validate(&config);
        }
        n if n <= resources => {
            let resource = &registry.resources[n - 1];
            let config = as_object(resource.schema(), value);
            let _ = resource.validate(&config);
            let _ = resource.plan(Value::Null, config.clone(), config.clone(), Value::Null);
            let _ = resource.plan(config.clone(), config.clone(), config.clone(), Value::Null);
            let _ = resource.upgrade(0, &config, StoredForm::Compact);
        }
        n => {
            let data_source = &registry.data_sources[n - 1 - resources];
            let config = as_object(data_source.schema(), value);
            let _ = data_source.validate(&config);
        }
    }
}

fn as_object(schema: &Schema, value: Value) -> Value {
    match value {
        Value::List(items) => Value::object(
            schema
                .attributes
                .iter()
                .map(|a| a.name)
                .zip(items.into_iter().chain(std::iter::repeat(Value::Null))),
        ),
        other => other,
    }
}

/// A JSON body from Domo's users endpoints: one user, or a page of them.
pub fn domo_user(data: &[u8]) {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(record) = domo::model::parse_user(&json) {
        assert!(json.is_object(), "only an object is a user");
        let _ = record.user.id;
    }
    if let Ok(records) = domo::model::parse_user_list(&json) {
        assert_eq!(
            Some(records.len()),
            json.as_array().map(Vec::len),
            "one record per item"
        );
    }
}

/// The token endpoint's answer. A token that parses must be usable: its
/// header says `bearer`, and its lifetime can be added to the clock.
pub fn domo_token(data: &[u8]) {
    if let Ok(token) = domo::parse_token_response(data) {
        // Bytes, not text: a token may hold non-ASCII bytes, which HTTP
        // allows in a header value.
        let header = token.header.as_bytes();
        assert!(header.starts_with(b"bearer "), "header {header:?}");
        assert!(token.expires_in > Duration::ZERO);
        assert!(
            tokio::time::Instant::now()
                .checked_add(token.expires_in)
                .is_some(),
            "a lifetime of {:?} overflows the clock",
            token.expires_in
        );
    }
}

/// Every input a fuzz target ever crashed on, replayed through the same
/// entry point (the fix is tested where it was made, too).
#[cfg(test)]
mod regressions {
    use super::*;

    /// The provider block with `request_timeout = 18446744073709551615`:
    /// too many seconds for a `Duration`, which panicked in validation.
    #[test]
    fn schema_object_huge_request_timeout() {
        schema_object(&[
            0x98, 0x98, 0xff, 0xff, 0xff, 0xf6, 0xcf, 0xcf, 0xcf, 0xcf, 0xd7, 0xcf, 0xcf, 0xcf,
            0xcf, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x90, 0x90,
        ]);
    }

    /// A token answer whose lifetime fits a `Duration` but not the clock
    /// (found by reading the parser for what the fuzz target asserts).
    #[test]
    fn domo_token_lifetime_beyond_the_clock() {
        domo_token(br#"{"access_token":"abc","expires_in":1e19}"#);
    }

    /// A token holding a non-ASCII character: valid in a header, but the
    /// target's check read the header as ASCII text.
    #[test]
    fn domo_token_non_ascii_token() {
        domo_token(
            b"{\"access_token\":\"avbexpse\xd2\x9cgss_e_c????:??acce<<<.ss_t?????A??????????????3\
              ??????????C????????toktype\\\\??????????????????\"}",
        );
    }
}
