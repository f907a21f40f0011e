//! Typed access to object values, so resource code reads and writes Rust
//! values (`Field<String>`, `Field<bool>`) instead of raw value trees.

use super::diagnostics::{AttributePath, Diagnostic};
use super::value::{Number, Value};

/// One primitive attribute as Terraform knows it: null, not yet known, or a
/// value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Field<T> {
    #[default]
    Null,
    Unknown,
    Known(T),
}

impl<T> Field<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Field::Known(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Field::Unknown)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Field::Null)
    }

    /// Null for `None`, known otherwise.
    pub fn from_option(v: Option<T>) -> Self {
        v.map_or(Field::Null, Field::Known)
    }
}

impl Field<String> {
    pub fn as_deref(&self) -> Option<&str> {
        self.known().map(String::as_str)
    }
}

/// A Rust type an attribute value can be read as and written from.
pub trait FieldType: Sized {
    /// The type's name in diagnostics.
    const NAME: &'static str;
    fn read(value: &Value) -> Option<Self>;
    fn write(&self) -> Value;
}

impl FieldType for String {
    const NAME: &'static str = "string";
    fn read(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Some(s.clone()),
            // Terraform converts numbers and bools to strings for string
            // attributes, but a value can still arrive typed in raw state.
            Value::Number(Number::Int(i)) => Some(i.to_string()),
            Value::Number(Number::UInt(u)) => Some(u.to_string()),
            Value::Number(Number::Decimal(d)) => Some(d.clone()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    fn write(&self) -> Value {
        Value::String(self.clone())
    }
}

impl FieldType for bool {
    const NAME: &'static str = "bool";
    fn read(value: &Value) -> Option<Self> {
        match value {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }
    fn write(&self) -> Value {
        Value::Bool(*self)
    }
}

impl FieldType for u64 {
    const NAME: &'static str = "whole number";
    fn read(value: &Value) -> Option<Self> {
        match value {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }
    fn write(&self) -> Value {
        Value::Number(Number::UInt(*self))
    }
}

impl<T: FieldType> Field<T> {
    pub fn to_value(&self) -> Value {
        match self {
            Field::Null => Value::Null,
            Field::Unknown => Value::Unknown,
            Field::Known(v) => v.write(),
        }
    }
}

/// Reads attributes of an object value, with errors that name the attribute.
pub struct ObjectReader<'a> {
    value: &'a Value,
    path: AttributePath,
}

impl<'a> ObjectReader<'a> {
    /// `None` when the whole value is null (no object at all).
    pub fn new(value: &'a Value) -> Result<Option<Self>, Diagnostic> {
        Self::at(value, AttributePath::default())
    }

    pub fn at(value: &'a Value, path: AttributePath) -> Result<Option<Self>, Diagnostic> {
        match value {
            Value::Null => Ok(None),
            Value::Map(_) => Ok(Some(ObjectReader { value, path })),
            other => Err(Diagnostic::error(
                "Unexpected value from Terraform",
                format!("Expected an object, got {}. This is a bug in the provider or a mismatch with Terraform; please report it.", other.kind()),
            )),
        }
    }

    /// Reads one attribute. A missing attribute reads as null, so that state
    /// written by an older schema still reads.
    pub fn field<T: FieldType>(&self, name: &str) -> Result<Field<T>, Diagnostic> {
        match self.value.get(name) {
            None | Some(Value::Null) => Ok(Field::Null),
            Some(Value::Unknown) => Ok(Field::Unknown),
            Some(v) => T::read(v).map(Field::Known).ok_or_else(|| {
                Diagnostic::error(
                    format!("Invalid value for {name}"),
                    format!("Expected a {}, got {}.", T::NAME, v.kind()),
                )
                .at(self.path.clone().attribute(name))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_null_unknown_and_known_fields() {
        let v = Value::object([
            ("a", Value::string("x")),
            ("b", Value::Unknown),
            ("c", Value::Null),
            ("d", Value::Bool(true)),
            ("n", Value::Number(Number::Int(12345678901))),
        ]);
        let r = ObjectReader::new(&v).unwrap().unwrap();
        assert_eq!(r.field::<String>("a").unwrap(), Field::Known("x".into()));
        assert_eq!(r.field::<String>("b").unwrap(), Field::Unknown);
        assert_eq!(r.field::<String>("c").unwrap(), Field::Null);
        assert_eq!(r.field::<String>("missing").unwrap(), Field::Null);
        assert_eq!(r.field::<bool>("d").unwrap(), Field::Known(true));
        assert_eq!(
            r.field::<String>("n").unwrap(),
            Field::Known("12345678901".into())
        );
        assert_eq!(r.field::<u64>("n").unwrap(), Field::Known(12345678901));
        let err = r.field::<bool>("a").unwrap_err();
        assert_eq!(err.attribute, Some(AttributePath::root("a")));
        assert!(ObjectReader::new(&Value::Null).unwrap().is_none());
        assert!(ObjectReader::new(&Value::Bool(true)).is_err());
    }

    #[test]
    fn fields_write_back() {
        assert_eq!(Field::<String>::Null.to_value(), Value::Null);
        assert_eq!(Field::<String>::Unknown.to_value(), Value::Unknown);
        assert_eq!(Field::Known(true).to_value(), Value::Bool(true));
        assert_eq!(
            Field::from_option(Some("a".to_string())).as_deref(),
            Some("a")
        );
    }
}
