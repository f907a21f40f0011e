//! Property tests of the value codecs: any value of any cty type (nested
//! lists, sets, maps and objects; null and unknown anywhere) comes back from
//! msgpack as it went in, and any wholly known value comes back from JSON
//! written the way Terraform stores state.

use proptest::prelude::*;

use super::schema::AttrType;
use super::value::{decode_json, decode_msgpack, encode_msgpack, Number, Value};

/// Attribute names for generated object types (object types need
/// `&'static str` names).
const NAMES: [&str; 6] = ["id", "name", "tags", "x y", "ünïcödé", ""];

fn cty_type() -> impl Strategy<Value = AttrType> {
    let leaf = prop_oneof![
        Just(AttrType::String),
        Just(AttrType::Number),
        Just(AttrType::Bool),
        Just(AttrType::Dynamic),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| AttrType::List(Box::new(t))),
            inner.clone().prop_map(|t| AttrType::Set(Box::new(t))),
            inner.clone().prop_map(|t| AttrType::Map(Box::new(t))),
            prop::collection::btree_map(prop::sample::select(&NAMES[..]), inner, 0..4)
                .prop_map(|attrs| AttrType::Object(attrs.into_iter().collect())),
        ]
    })
}

/// Every form a cty number takes on the wire: small and large integers,
/// integers above `i64::MAX`, finite floats, and decimals too large for any
/// machine type (which cty sends as strings).
fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::Int),
        ((i64::MAX as u64 + 1)..=u64::MAX).prop_map(Number::UInt),
        any::<f64>()
            .prop_filter("cty numbers are finite", |f| f.is_finite())
            .prop_map(Number::Float),
        "-?[1-9][0-9]{20,40}".prop_map(Number::Decimal),
    ]
}

/// A value of type `ty`: null, unknown, or known, at every level.
fn value_of(ty: &AttrType) -> BoxedStrategy<Value> {
    let known: BoxedStrategy<Value> = match ty {
        AttrType::String => any::<String>().prop_map(Value::String).boxed(),
        AttrType::Number => number().prop_map(Value::Number).boxed(),
        AttrType::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        AttrType::List(elem) | AttrType::Set(elem) => prop::collection::vec(value_of(elem), 0..4)
            .prop_map(Value::List)
            .boxed(),
        AttrType::Map(elem) => prop::collection::btree_map(any::<String>(), value_of(elem), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        AttrType::Dynamic => value_of(&AttrType::Map(Box::new(AttrType::String)))
            .prop_map(|v| Value::Typed(std::sync::Arc::new(super::Typed::inferred(v))))
            .boxed(),
        AttrType::Object(attrs) => {
            let fields: Vec<_> = attrs
                .iter()
                .map(|&(name, ref t)| value_of(t).prop_map(move |v| (name.to_string(), v)))
                .collect();
            fields
                .prop_map(|fields| Value::Map(fields.into_iter().collect()))
                .boxed()
        }
    };
    prop_oneof![
        1 => Just(Value::Null),
        1 => Just(Value::Unknown),
        6 => known,
    ]
    .boxed()
}

fn typed_value() -> impl Strategy<Value = (AttrType, Value)> {
    cty_type().prop_flat_map(|ty| {
        let values = value_of(&ty);
        (Just(ty), values)
    })
}

/// What a value reads back as: a decimal travels as a string (the schema
/// says it is a number), everything else as itself.
fn as_decoded(value: &Value) -> Value {
    match value {
        Value::Number(Number::Decimal(digits)) => Value::String(digits.clone()),
        Value::List(items) => Value::List(items.iter().map(as_decoded).collect()),
        Value::Map(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), as_decoded(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Whether JSON can carry the value exactly: no unknowns (state never holds
/// one) and no decimal beyond 64 bits (see the test below).
fn json_applicable(value: &Value) -> bool {
    match value {
        Value::Unknown | Value::Number(Number::Decimal(_)) => false,
        Value::List(items) => items.iter().all(json_applicable),
        Value::Map(map) => map.values().all(json_applicable),
        // Stored as a {"value", "type"} pair, read back by the attribute.
        Value::Typed(_) => false,
        _ => true,
    }
}

/// The value as Terraform writes it into state: cty's JSON.
fn to_state_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(Number::Int(i)) => J::from(*i),
        Value::Number(Number::UInt(u)) => J::from(*u),
        Value::Number(Number::Float(f)) => J::from(*f),
        Value::String(s) => J::String(s.clone()),
        Value::List(items) => J::Array(items.iter().map(to_state_json).collect()),
        Value::Map(map) => J::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), to_state_json(v)))
                .collect(),
        ),
        Value::Unknown | Value::Number(Number::Decimal(_)) | Value::Typed(_) => {
            unreachable!("not JSON-applicable")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_value_of_any_type_round_trips_through_msgpack((_ty, value) in typed_value()) {
        let decoded = decode_msgpack(&encode_msgpack(&value));
        prop_assert_eq!(decoded, Ok(as_decoded(&value)));
    }

    #[test]
    fn any_known_value_round_trips_through_state_json((_ty, value) in typed_value()) {
        prop_assume!(json_applicable(&value));
        let json = serde_json::to_vec(&to_state_json(&value)).expect("JSON");
        prop_assert_eq!(decode_json(&json), Ok(value));
    }

    /// Whatever bytes arrive, decoding answers (a value or an error) and
    /// never panics.
    #[test]
    fn arbitrary_bytes_never_panic_the_decoders(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_msgpack(&bytes);
        let _ = decode_json(&bytes);
    }
}

#[test]
fn a_decimal_too_large_for_64_bits_reads_back_from_state_json_as_a_float() {
    // Known and accepted: serde_json (without arbitrary precision) reads
    // such a number as the nearest f64. None of our schemas stores a number
    // in state; a resource that does must keep it below 2^64.
    let value = decode_json(b"123456789012345678901234567890").unwrap();
    assert_eq!(value, Value::Number(Number::Float(1.2345678901234568e29)));
}

#[test]
fn a_float_from_state_json_reads_back_exactly() {
    // Found by the property above: without serde_json's float_roundtrip,
    // this read back one unit in the last place off.
    let f = 1.0021163723367453e283;
    let json = serde_json::to_vec(&serde_json::json!({ "id": [f] })).expect("JSON");
    let value = decode_json(&json).expect("decodes");
    assert_eq!(
        value.get("id"),
        Some(&Value::List(vec![Value::Number(Number::Float(f))]))
    );
}
