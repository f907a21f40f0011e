//! Terraform values as they cross the wire, and their msgpack / JSON codecs.
//!
//! Terraform sends every configuration, plan and state as a `DynamicValue`
//! holding msgpack (or, for a few requests, JSON). This module turns those
//! bytes into a [`Value`] tree and back. msgpack does not say whether a map
//! is a cty object or a cty map, nor whether an array is a list or a set; the
//! schema says that, and callers read values through the schema's attribute
//! names, so one `Map` and one `List` variant are enough here.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::proto::tfplugin6::DynamicValue;

/// A Terraform value of any type.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value {
    #[default]
    Null,
    /// Not known until apply. Refinements (Terraform >= 1.6) are dropped:
    /// an unknown is just unknown to this provider.
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    /// A list, set or tuple.
    List(Vec<Value>),
    /// An object or a map.
    Map(BTreeMap<String, Value>),
    /// A value of an attribute typed `dynamic`, which carries its own type
    /// on the wire: the configuration's value exactly as written. Shared:
    /// a roster's is the whole map of people, read into a model and written
    /// back unchanged by every call, so it is passed on, never copied.
    Typed(Arc<Typed>),
}

/// A value with its cty type, as Terraform sends a `dynamic` attribute:
/// msgpack `[type JSON as bin, value]`, or in stored JSON state
/// `{"value": ..., "type": ...}`. The type is kept as cty's JSON notation,
/// so that the value goes back to Terraform exactly as it came.
#[derive(Clone, Debug, PartialEq)]
pub struct Typed {
    pub ty: serde_json::Value,
    pub value: Value,
}

impl Typed {
    /// `value` with the type cty gives it when written in a configuration
    /// (an object for a map, a tuple for a list); a null or unknown inside
    /// is `dynamic`.
    pub fn inferred(value: Value) -> Typed {
        Typed {
            ty: Typed::type_of(&value),
            value,
        }
    }

    /// The type cty gives `value` when written in a configuration.
    pub fn type_of(value: &Value) -> serde_json::Value {
        use serde_json::json;
        match value {
            Value::Null | Value::Unknown => json!("dynamic"),
            Value::Bool(_) => json!("bool"),
            Value::Number(_) => json!("number"),
            Value::String(_) => json!("string"),
            Value::List(items) => {
                json!([
                    "tuple",
                    items.iter().map(Typed::type_of).collect::<Vec<_>>()
                ])
            }
            Value::Map(attrs) => {
                let attrs: serde_json::Map<String, serde_json::Value> = attrs
                    .iter()
                    .map(|(k, v)| (k.clone(), Typed::type_of(v)))
                    .collect();
                json!(["object", attrs])
            }
            Value::Typed(typed) => typed.ty.clone(),
        }
    }

    /// A `dynamic` attribute's value with the type it carries: typed from
    /// msgpack, or the `{"value", "type"}` pair of stored JSON state.
    /// `None` for a value without a type of its own (state written before
    /// the attribute was `dynamic`).
    pub fn carried(value: &Value) -> Option<Arc<Typed>> {
        match value {
            Value::Typed(typed) => Some(Arc::clone(typed)),
            Value::Map(pair) if pair.len() == 2 => match (pair.get("type"), pair.get("value")) {
                (Some(ty), Some(inner)) if is_cty_type(ty) => Some(Arc::new(Typed {
                    ty: type_json(ty),
                    value: inner.clone(),
                })),
                _ => None,
            },
            _ => None,
        }
    }

    /// This value typed as a cty *map*, when it is an object whose
    /// attributes all have one type (as the entries of a map built from a
    /// file do); else as it is. The value itself is the same. The type of
    /// an object names every attribute, so Terraform reads one as long as
    /// the value each time it decodes it (a third of a second at 20,000
    /// entries); a map's type names one element. An object whose type has
    /// `dynamic` in it (an attribute written as a bare `null`) stays as
    /// Terraform typed it.
    pub fn as_map(self: Arc<Typed>) -> Arc<Typed> {
        let mut types = object_attribute_types(&self.ty)
            .and_then(serde_json::Value::as_object)
            .into_iter()
            .flat_map(|attributes| attributes.values());
        let element = match types.next() {
            Some(first) if !mentions_dynamic(first) && types.all(|t| t == first) => first.clone(),
            _ => return self,
        };
        let value = Arc::try_unwrap(self).map_or_else(|shared| shared.value.clone(), |t| t.value);
        Arc::new(Typed {
            ty: serde_json::json!(["map", element]),
            value,
        })
    }

    /// The types of an object's attributes or a map's elements, by name.
    pub fn element_type(&self, key: &str) -> serde_json::Value {
        match self.ty.as_array().map(Vec::as_slice) {
            Some([kind, attrs]) if kind == "object" => {
                attrs.get(key).cloned().unwrap_or_else(|| "dynamic".into())
            }
            Some([kind, element]) if kind == "map" => element.clone(),
            _ => "dynamic".into(),
        }
    }
}

/// The attribute types of an object type, in cty's JSON notation.
pub(crate) fn object_attribute_types(ty: &serde_json::Value) -> Option<&serde_json::Value> {
    match ty.as_array().map(Vec::as_slice) {
        Some([kind, attributes]) if kind == "object" => Some(attributes),
        _ => None,
    }
}

/// Whether a cty type (in its JSON notation) has `dynamic` anywhere in it.
fn mentions_dynamic(ty: &serde_json::Value) -> bool {
    match ty {
        serde_json::Value::String(name) => name == "dynamic",
        serde_json::Value::Array(parts) => parts.iter().skip(1).any(mentions_dynamic),
        serde_json::Value::Object(attributes) => attributes.values().any(mentions_dynamic),
        _ => false,
    }
}

/// Whether a value read from JSON state spells a cty type.
fn is_cty_type(value: &Value) -> bool {
    match value {
        Value::String(s) => matches!(s.as_str(), "string" | "number" | "bool" | "dynamic"),
        Value::List(parts) => {
            matches!(parts.first(), Some(Value::String(kind)) if matches!(kind.as_str(), "list" | "set" | "map" | "object" | "tuple"))
        }
        _ => false,
    }
}

/// A cty type read from JSON state, back in its JSON notation.
fn type_json(value: &Value) -> serde_json::Value {
    match value {
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::List(items) => serde_json::Value::Array(items.iter().map(type_json).collect()),
        Value::Map(attrs) => serde_json::Value::Object(
            attrs
                .iter()
                .map(|(k, v)| (k.clone(), type_json(v)))
                .collect(),
        ),
        Value::Bool(b) => serde_json::Value::Bool(*b),
        _ => serde_json::Value::Null,
    }
}

/// A cty number. Kept in the form it arrived in so that a 64-bit id never
/// passes through a float.
#[derive(Clone, Debug, PartialEq)]
pub enum Number {
    Int(i64),
    UInt(u64),
    Float(f64),
    /// Terraform sends numbers that fit no machine type as decimal strings.
    Decimal(String),
}

impl Number {
    /// The number as an unsigned integer, if it is exactly one.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Number::Int(i) => u64::try_from(*i).ok(),
            Number::UInt(u) => Some(*u),
            Number::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64 => {
                Some(*f as u64)
            }
            Number::Float(_) => None,
            Number::Decimal(s) => s.parse().ok(),
        }
    }
}

impl Value {
    /// Looks up an attribute of an object value.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Map(m) => m.get(name),
            Value::Typed(typed) => typed.value.get(name),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// What kind of value this is, for messages: never the value itself,
    /// which may be huge or secret.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "an unknown value",
            Value::Bool(_) => "a bool",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::List(_) => "a list, set or tuple",
            Value::Map(_) => "an object or map",
            Value::Typed(typed) => typed.value.kind(),
        }
    }

    /// True when this value or anything inside it is unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::List(items) => items.iter().any(Value::contains_unknown),
            Value::Map(m) => m.values().any(Value::contains_unknown),
            Value::Typed(typed) => typed.value.contains_unknown(),
            _ => false,
        }
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// Builds an object from `(name, value)` pairs.
    pub fn object<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

/// Why bytes from Terraform could not be read as a value.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DecodeError {
    #[error("msgpack value ends early")]
    UnexpectedEnd,
    #[error("msgpack marker 0x{0:02x} is not a Terraform value")]
    UnsupportedMarker(u8),
    #[error("msgpack string is not valid UTF-8")]
    InvalidUtf8,
    #[error("object key is not a string")]
    NonStringKey,
    #[error("{0} trailing bytes after the value")]
    TrailingBytes(usize),
    #[error("value nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("invalid JSON value: {0}")]
    Json(String),
}

/// Deeper than any schema of ours; guards the recursive decoder.
const MAX_DEPTH: usize = 64;

/// Reads a `DynamicValue`: msgpack when present, else JSON, else null.
pub fn decode_dynamic(dv: Option<&DynamicValue>) -> Result<Value, DecodeError> {
    match dv {
        None => Ok(Value::Null),
        Some(dv) if !dv.msgpack.is_empty() => decode_msgpack(&dv.msgpack),
        Some(dv) if !dv.json.is_empty() => decode_json(&dv.json),
        Some(_) => Ok(Value::Null),
    }
}

/// Writes a value as Terraform expects answers: always msgpack.
pub fn encode_dynamic(value: &Value) -> DynamicValue {
    DynamicValue {
        msgpack: encode_msgpack(value),
        json: Vec::new(),
    }
}

/// Decodes one complete msgpack value.
pub fn decode_msgpack(bytes: &[u8]) -> Result<Value, DecodeError> {
    let mut reader = Reader { bytes, pos: 0 };
    let value = reader.value(0)?;
    match bytes.len() - reader.pos {
        0 => Ok(value),
        n => Err(DecodeError::TrailingBytes(n)),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::UnexpectedEnd)?;
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or(DecodeError::UnexpectedEnd)?;
        self.pos = end;
        Ok(slice)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<usize, DecodeError> {
        Ok(self.byte()? as usize)
    }
    fn u16(&mut self) -> Result<usize, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?) as usize)
    }
    fn u32(&mut self) -> Result<usize, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?) as usize)
    }

    fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        let marker = self.byte()?;
        let int = |n: i64| Ok(Value::Number(Number::Int(n)));
        match marker {
            0x00..=0x7f => int(marker as i64),
            0xe0..=0xff => int(marker as i8 as i64),
            0x80..=0x8f => self.map(marker as usize & 0x0f, depth),
            0x90..=0x9f => self.list(marker as usize & 0x0f, depth),
            0xa0..=0xbf => self.str(marker as usize & 0x1f),
            0xc0 => Ok(Value::Null),
            0xc2 => Ok(Value::Bool(false)),
            0xc3 => Ok(Value::Bool(true)),
            // bin: Terraform never sends it for values, but it is harmless
            // to read as a string.
            0xc4 => {
                let n = self.u8()?;
                self.str(n)
            }
            0xc5 => {
                let n = self.u16()?;
                self.str(n)
            }
            0xc6 => {
                let n = self.u32()?;
                self.str(n)
            }
            // ext 8/16/32: an unknown value (cty uses code 0; newer
            // Terraform uses 12 with refinements in the payload).
            0xc7 => {
                let n = self.u8()?;
                self.unknown(n)
            }
            0xc8 => {
                let n = self.u16()?;
                self.unknown(n)
            }
            0xc9 => {
                let n = self.u32()?;
                self.unknown(n)
            }
            0xca => Ok(Value::Number(Number::Float(
                f32::from_be_bytes(self.array()?) as f64,
            ))),
            0xcb => Ok(Value::Number(Number::Float(f64::from_be_bytes(
                self.array()?,
            )))),
            0xcc => int(self.byte()? as i64),
            0xcd => int(u16::from_be_bytes(self.array()?) as i64),
            0xce => int(u32::from_be_bytes(self.array()?) as i64),
            0xcf => {
                let n = u64::from_be_bytes(self.array()?);
                Ok(Value::Number(match i64::try_from(n) {
                    Ok(i) => Number::Int(i),
                    Err(_) => Number::UInt(n),
                }))
            }
            0xd0 => int(i8::from_be_bytes(self.array()?) as i64),
            0xd1 => int(i16::from_be_bytes(self.array()?) as i64),
            0xd2 => int(i32::from_be_bytes(self.array()?) as i64),
            0xd3 => int(i64::from_be_bytes(self.array()?)),
            // fixext 1/2/4/8/16
            0xd4 => self.unknown(1),
            0xd5 => self.unknown(2),
            0xd6 => self.unknown(4),
            0xd7 => self.unknown(8),
            0xd8 => self.unknown(16),
            0xd9 => {
                let n = self.u8()?;
                self.str(n)
            }
            0xda => {
                let n = self.u16()?;
                self.str(n)
            }
            0xdb => {
                let n = self.u32()?;
                self.str(n)
            }
            0xdc => {
                let n = self.u16()?;
                self.list(n, depth)
            }
            0xdd => {
                let n = self.u32()?;
                self.list(n, depth)
            }
            0xde => {
                let n = self.u16()?;
                self.map(n, depth)
            }
            0xdf => {
                let n = self.u32()?;
                self.map(n, depth)
            }
            other => Err(DecodeError::UnsupportedMarker(other)),
        }
    }

    /// Skips an extension's type byte and payload: any extension is unknown.
    fn unknown(&mut self, payload_len: usize) -> Result<Value, DecodeError> {
        self.take(1 + payload_len)?;
        Ok(Value::Unknown)
    }

    fn str(&mut self, len: usize) -> Result<Value, DecodeError> {
        let bytes = self.take(len)?;
        let s = std::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8)?;
        Ok(Value::String(s.to_owned()))
    }

    fn list(&mut self, len: usize, depth: usize) -> Result<Value, DecodeError> {
        // cty writes a `dynamic` attribute's value as [type JSON (bin),
        // value]; bin appears nowhere else.
        if len == 2 && matches!(self.bytes.get(self.pos), Some(0xc4..=0xc6)) {
            let Value::String(ty) = self.value(depth + 1)? else {
                return Err(DecodeError::UnexpectedEnd);
            };
            let ty = serde_json::from_str(&ty).map_err(|e| DecodeError::Json(e.to_string()))?;
            let value = self.value(depth + 1)?;
            return Ok(Value::Typed(Arc::new(Typed { ty, value })));
        }
        // Each element takes at least one byte: never trust a length beyond
        // what the input can hold.
        let mut items = Vec::with_capacity(len.min(self.bytes.len() - self.pos));
        for _ in 0..len {
            items.push(self.value(depth + 1)?);
        }
        Ok(Value::List(items))
    }

    fn map(&mut self, len: usize, depth: usize) -> Result<Value, DecodeError> {
        let mut map = BTreeMap::new();
        for _ in 0..len {
            let key = match self.value(depth + 1)? {
                Value::String(s) => s,
                _ => return Err(DecodeError::NonStringKey),
            };
            map.insert(key, self.value(depth + 1)?);
        }
        Ok(Value::Map(map))
    }
}

/// Encodes a value as msgpack the way cty does.
pub fn encode_msgpack(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut Vec<u8>, value: &Value) {
    // Writing into a Vec cannot fail, so rmp's io errors are impossible here.
    match value {
        Value::Null => out.push(0xc0),
        // cty's unknown: fixext1, type 0, one zero byte.
        Value::Unknown => out.extend_from_slice(&[0xd4, 0x00, 0x00]),
        Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Number(Number::Int(i)) => {
            let _ = rmp::encode::write_sint(out, *i);
        }
        Value::Number(Number::UInt(u)) => {
            let _ = rmp::encode::write_uint(out, *u);
        }
        Value::Number(Number::Float(f)) => {
            let _ = rmp::encode::write_f64(out, *f);
        }
        Value::Number(Number::Decimal(s)) | Value::String(s) => {
            let _ = rmp::encode::write_str(out, s);
        }
        Value::List(items) => {
            let _ = rmp::encode::write_array_len(out, items.len() as u32);
            for item in items {
                write_value(out, item);
            }
        }
        Value::Map(map) => {
            let _ = rmp::encode::write_map_len(out, map.len() as u32);
            for (key, item) in map {
                let _ = rmp::encode::write_str(out, key);
                write_value(out, item);
            }
        }
        Value::Typed(typed) => {
            let _ = rmp::encode::write_array_len(out, 2);
            let ty = typed.ty.to_string();
            let _ = rmp::encode::write_bin(out, ty.as_bytes());
            write_value(out, &typed.value);
        }
    }
}

/// Decodes a JSON value (JSON `DynamicValue`s and stored raw state).
pub fn decode_json(bytes: &[u8]) -> Result<Value, DecodeError> {
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| DecodeError::Json(e.to_string()))?;
    Ok(from_json(json))
}

fn from_json(json: serde_json::Value) -> Value {
    use serde_json::Value as J;
    match json {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => Value::Number(if let Some(i) = n.as_i64() {
            Number::Int(i)
        } else if let Some(u) = n.as_u64() {
            Number::UInt(u)
        } else {
            Number::Float(n.as_f64().unwrap_or(f64::NAN))
        }),
        J::String(s) => Value::String(s),
        J::Array(items) => Value::List(items.into_iter().map(from_json).collect()),
        J::Object(map) => Value::Map(map.into_iter().map(|(k, v)| (k, from_json(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(v: &Value) -> Value {
        decode_msgpack(&encode_msgpack(v)).expect("decodes what it encoded")
    }

    fn typed_json(ty: serde_json::Value, value: Value) -> Arc<Typed> {
        Arc::new(Typed { ty, value })
    }

    #[test]
    fn an_object_of_one_element_type_becomes_a_map_and_others_stay() {
        use serde_json::json;
        let entry = |name: &str| Value::object([("name", Value::string(name))]);
        let value = Value::object([("a", entry("A")), ("b", entry("B"))]);
        let uniform = typed_json(
            json!(["object", {"a": ["object", {"name": "string"}], "b": ["object", {"name": "string"}]}]),
            value.clone(),
        );
        let mapped = uniform.as_map();
        assert_eq!(mapped.ty, json!(["map", ["object", {"name": "string"}]]));
        assert_eq!(mapped.value, value, "the value is the same");
        assert_eq!(
            mapped.element_type("b"),
            json!(["object", {"name": "string"}])
        );

        for ty in [
            json!(["object", {"a": ["object", {"name": "string"}], "b": ["object", {"name": "string", "id": "string"}]}]),
            json!(["object", {}]),
            json!(["tuple", ["string"]]),
            json!(["object", {"a": ["object", {"name": "dynamic"}], "b": ["object", {"name": "dynamic"}]}]),
        ] {
            let kept = typed_json(ty.clone(), value.clone()).as_map();
            assert_eq!(kept.ty, ty, "not one element type: kept");
        }
    }

    #[test]
    fn scalars_roundtrip() {
        for v in [
            Value::Null,
            Value::Unknown,
            Value::Bool(true),
            Value::Bool(false),
            Value::string(""),
            Value::string("héllo"),
            Value::string("x".repeat(70_000)),
            Value::Number(Number::Int(-1)),
            Value::Number(Number::Int(-40_000)),
            Value::Number(Number::Int(i64::MIN)),
            Value::Number(Number::Float(1.5)),
            Value::Number(Number::UInt(u64::MAX)),
        ] {
            assert_eq!(roundtrip(&v), v);
        }
    }

    #[test]
    fn unknown_is_any_extension_type() {
        // cty: fixext1 type 0.
        assert_eq!(decode_msgpack(&[0xd4, 0x00, 0x00]), Ok(Value::Unknown));
        // Terraform >= 1.6 refined unknown: ext type 12 with a payload
        // (here a refinement map {1: true}, "not null").
        assert_eq!(
            decode_msgpack(&[0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3]),
            Ok(Value::Unknown)
        );
        assert_eq!(
            decode_msgpack(&[0xd5, 0x0c, 0x81, 0x01]),
            Ok(Value::Unknown)
        );
        // Inside an object.
        let obj = decode_msgpack(&[0x81, 0xa2, b'i', b'd', 0xd4, 0x00, 0x00]).unwrap();
        assert_eq!(obj.get("id"), Some(&Value::Unknown));
    }

    #[test]
    fn sixty_four_bit_id_as_int_and_as_string_keeps_precision() {
        let id: u64 = 9_007_199_254_740_993; // 2^53 + 1: a float would lose it
        let mut as_int = vec![0xcf];
        as_int.extend_from_slice(&id.to_be_bytes());
        let v = decode_msgpack(&as_int).unwrap();
        match &v {
            Value::Number(n) => assert_eq!(n.as_u64(), Some(id)),
            other => panic!("expected a number, got {other:?}"),
        }
        let as_string = encode_msgpack(&Value::Number(Number::Decimal(id.to_string())));
        match decode_msgpack(&as_string).unwrap() {
            Value::String(s) => assert_eq!(Number::Decimal(s).as_u64(), Some(id)),
            other => panic!("expected a string, got {other:?}"),
        }
        let above_i64 = u64::MAX - 1;
        let mut big = vec![0xcf];
        big.extend_from_slice(&above_i64.to_be_bytes());
        assert_eq!(
            decode_msgpack(&big),
            Ok(Value::Number(Number::UInt(above_i64)))
        );
    }

    #[test]
    fn nested_objects_lists_and_maps_roundtrip() {
        let v = Value::object([
            ("id", Value::Unknown),
            ("name", Value::string("Ada")),
            (
                "tags",
                Value::List(vec![Value::string("a"), Value::string("b")]),
            ),
            (
                "inner",
                Value::object([
                    ("n", Value::Number(Number::Int(7))),
                    ("empty", Value::Map(BTreeMap::new())),
                    ("nothing", Value::Null),
                ]),
            ),
            ("big", Value::List(vec![Value::Bool(true); 20])),
        ]);
        assert_eq!(roundtrip(&v), v);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert_eq!(decode_msgpack(&[]), Err(DecodeError::UnexpectedEnd));
        assert_eq!(
            decode_msgpack(&[0xa5, b'a']),
            Err(DecodeError::UnexpectedEnd)
        );
        assert_eq!(
            decode_msgpack(&[0xc1]),
            Err(DecodeError::UnsupportedMarker(0xc1))
        );
        assert_eq!(decode_msgpack(&[0xa1, 0xff]), Err(DecodeError::InvalidUtf8));
        assert_eq!(
            decode_msgpack(&[0x81, 0x01, 0xc0]),
            Err(DecodeError::NonStringKey)
        );
        assert_eq!(
            decode_msgpack(&[0xc0, 0xc0]),
            Err(DecodeError::TrailingBytes(1))
        );
        // A huge declared length with no content.
        assert_eq!(
            decode_msgpack(&[0xdd, 0xff, 0xff, 0xff, 0xff]),
            Err(DecodeError::UnexpectedEnd)
        );
        assert_eq!(
            decode_msgpack(&[0xc9, 0xff, 0xff, 0xff, 0xff, 0x00]),
            Err(DecodeError::UnexpectedEnd)
        );
        let deep = vec![0x91; 1000];
        assert_eq!(decode_msgpack(&deep), Err(DecodeError::TooDeep));
        // Every prefix of a valid value fails cleanly.
        let full = encode_msgpack(&Value::object([(
            "a",
            Value::List(vec![Value::string("xyz")]),
        )]));
        for end in 0..full.len() {
            assert!(decode_msgpack(&full[..end]).is_err());
        }
    }

    /// cty's msgpack for a `dynamic` attribute: [type JSON as bin, value].
    fn cty_dynamic(ty: &str, value: &[u8]) -> Vec<u8> {
        let mut out = vec![0x92];
        rmp::encode::write_bin(&mut out, ty.as_bytes()).unwrap();
        out.extend_from_slice(value);
        out
    }

    #[test]
    fn a_dynamic_value_keeps_its_type_both_ways() {
        // {"a@x" = {name = "A"}} as cty writes it.
        let ty = r#"["object",{"a@x":["object",{"name":"string"}]}]"#;
        let mut value = vec![0x81];
        rmp::encode::write_str(&mut value, "a@x").unwrap();
        value.push(0x81);
        rmp::encode::write_str(&mut value, "name").unwrap();
        rmp::encode::write_str(&mut value, "A").unwrap();
        let bytes = cty_dynamic(ty, &value);
        let decoded = decode_msgpack(&bytes).unwrap();
        let Value::Typed(typed) = &decoded else {
            panic!("not typed: {decoded:?}")
        };
        assert_eq!(
            typed.ty,
            serde_json::from_str::<serde_json::Value>(ty).unwrap()
        );
        assert_eq!(
            typed.value.get("a@x").and_then(|e| e.get("name")),
            Some(&Value::string("A"))
        );
        assert_eq!(
            typed.element_type("a@x"),
            serde_json::json!(["object", {"name": "string"}])
        );
        assert_eq!(
            encode_msgpack(&decoded),
            bytes,
            "written back byte for byte"
        );
        // A two-element list of a string and a value is no typed value.
        let plain = Value::List(vec![Value::string("number"), Value::Bool(true)]);
        assert_eq!(roundtrip(&plain), plain);
    }

    #[test]
    fn stored_dynamic_values_are_read_with_their_type() {
        let stored = decode_json(
            br#"{"value":{"a@x":{"role_id":4}},"type":["object",{"a@x":["object",{"role_id":"number"}]}]}"#,
        )
        .unwrap();
        let typed = Typed::carried(&stored).expect("a stored typed value");
        assert_eq!(
            typed.element_type("a@x"),
            serde_json::json!(["object", {"role_id": "number"}])
        );
        assert_eq!(
            typed.value.get("a@x").and_then(|e| e.get("role_id")),
            Some(&Value::Number(Number::Int(4)))
        );
        // A map with other keys, or whose "type" is no type, carries none.
        let plain = decode_json(br#"{"type":"x","value":1}"#).unwrap();
        assert_eq!(Typed::carried(&plain), None);
        assert_eq!(
            Typed::type_of(&plain),
            serde_json::json!(["object", {"type": "string", "value": "number"}])
        );
    }

    #[test]
    fn json_dynamic_values_are_accepted_and_answers_are_msgpack() {
        let dv = DynamicValue {
            msgpack: vec![],
            json: br#"{"id":"42","n":9007199254740993,"ok":true,"x":null,"l":[1.5]}"#.to_vec(),
        };
        let v = decode_dynamic(Some(&dv)).unwrap();
        assert_eq!(v.get("id"), Some(&Value::string("42")));
        assert_eq!(
            v.get("n"),
            Some(&Value::Number(Number::Int(9_007_199_254_740_993)))
        );
        assert_eq!(v.get("x"), Some(&Value::Null));
        let out = encode_dynamic(&v);
        assert!(out.json.is_empty());
        assert_eq!(decode_msgpack(&out.msgpack).unwrap(), v);
        assert_eq!(decode_dynamic(None), Ok(Value::Null));
        assert_eq!(
            decode_dynamic(Some(&DynamicValue::default())),
            Ok(Value::Null)
        );
        assert!(decode_json(b"{nope").is_err());
    }
}
