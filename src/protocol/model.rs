//! Typed models: a resource's or data source's attributes declared once, as
//! a Rust struct, with the schema, the reading from a Terraform value and
//! the writing back all derived from that one declaration.
//!
//! ```
//! use terraform_provider_domo::model;
//! use terraform_provider_domo::protocol::{Field, Model};
//!
//! model! {
//!     /// A group of users.
//!     pub struct GroupModel {
//!         /// Domo's numeric id of the group.
//!         id: Field<String> [computed],
//!         /// The group's name.
//!         name: Field<String> [required],
//!     }
//! }
//!
//! let names: Vec<_> = GroupModel::attributes().into_iter().map(|a| a.name).collect();
//! assert_eq!(names, ["id", "name"]);
//! ```
//!
//! Each field is a [`Member`]: a [`Field<T>`] is one attribute named after
//! the field (its doc comment is the description, the flags in brackets are
//! methods of [`AttributeSpec`]); another model placed as a field is
//! flattened, its attributes becoming this model's (flags, if any, override
//! their modes). Names come from the field identifiers, so the model and
//! its schema cannot disagree.

use std::collections::{BTreeMap, BTreeSet};

use std::sync::Arc;

use super::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use super::schema::{AttrType, Attribute, Mode};
use super::value::{object_attribute_types, Number, Typed, Value};

/// One attribute as Terraform knows it: null, not yet known, or a value.
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

/// A Rust type an attribute's value can be read as and written from.
pub trait FieldType: Sized {
    /// The attribute's cty type.
    fn attr_type() -> AttrType;

    /// For object elements: the object's attributes, with descriptions.
    fn element_attributes() -> Vec<Attribute> {
        Vec::new()
    }

    /// Reads a value that is neither null nor unknown. A collection holding
    /// an unknown element it cannot represent reads as wholly unknown (the
    /// framework plans configured attributes from Terraform's own value, so
    /// nothing is lost).
    fn read(value: &Value, path: &AttributePath) -> Result<Field<Self>, Diagnostic>;

    fn write(&self) -> Value;
}

fn wrong_type<T: FieldType>(value: &Value, path: &AttributePath) -> Diagnostic {
    Diagnostic::error(
        format!("Invalid value for {}", path.last_attribute().unwrap_or("value")),
        format!(
            "Expected {}, got {}. This is a bug in the provider or a mismatch with Terraform; please report it.",
            T::attr_type().display_name(),
            value.kind()
        ),
    )
    .at(path.clone())
}

impl FieldType for String {
    fn attr_type() -> AttrType {
        AttrType::String
    }

    fn read(value: &Value, path: &AttributePath) -> Result<Field<Self>, Diagnostic> {
        match value {
            Value::String(s) => Ok(Field::Known(s.clone())),
            // Terraform converts numbers and bools to strings for string
            // attributes, but a value can still arrive typed in raw state.
            Value::Number(Number::Int(i)) => Ok(Field::Known(i.to_string())),
            Value::Number(Number::UInt(u)) => Ok(Field::Known(u.to_string())),
            Value::Number(Number::Decimal(d)) => Ok(Field::Known(d.clone())),
            Value::Bool(b) => Ok(Field::Known(b.to_string())),
            other => Err(wrong_type::<Self>(other, path)),
        }
    }

    fn write(&self) -> Value {
        Value::String(self.clone())
    }
}

impl FieldType for bool {
    fn attr_type() -> AttrType {
        AttrType::Bool
    }

    fn read(value: &Value, path: &AttributePath) -> Result<Field<Self>, Diagnostic> {
        match value {
            Value::Bool(b) => Ok(Field::Known(*b)),
            Value::String(s) if s == "true" => Ok(Field::Known(true)),
            Value::String(s) if s == "false" => Ok(Field::Known(false)),
            other => Err(wrong_type::<Self>(other, path)),
        }
    }

    fn write(&self) -> Value {
        Value::Bool(*self)
    }
}

/// Whole numbers of zero or more (ids, counts).
impl FieldType for u64 {
    fn attr_type() -> AttrType {
        AttrType::Number
    }

    fn read(value: &Value, path: &AttributePath) -> Result<Field<Self>, Diagnostic> {
        let n = match value {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        n.map(Field::Known).ok_or_else(|| {
            Diagnostic::error(
                format!(
                    "Invalid value for {}",
                    path.last_attribute().unwrap_or("value")
                ),
                format!(
                    "Expected a whole number of zero or more, got {}.",
                    value.kind()
                ),
            )
            .at(path.clone())
        })
    }

    fn write(&self) -> Value {
        Value::Number(Number::UInt(*self))
    }
}

/// Reads each element of a list or set value with `read`, stopping at the
/// first unknown element (the whole collection then reads as unknown).
fn read_elements<T: FieldType>(
    value: &Value,
    path: &AttributePath,
) -> Result<Field<Vec<T>>, Diagnostic> {
    let Value::List(items) = value else {
        return Err(Diagnostic::error(
            format!(
                "Invalid value for {}",
                path.last_attribute().unwrap_or("value")
            ),
            format!("Expected a collection, got {}.", value.kind()),
        )
        .at(path.clone()));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = path.clone().index(i as i64);
        match item {
            Value::Unknown => return Ok(Field::Unknown),
            Value::Null => {
                return Err(Diagnostic::error(
                    "Null element",
                    "A collection element is null; remove it or give it a value.",
                )
                .at(at))
            }
            v => match T::read(v, &at)? {
                Field::Known(t) => out.push(t),
                _ => return Ok(Field::Unknown),
            },
        }
    }
    Ok(Field::Known(out))
}

impl<T: FieldType> FieldType for Vec<T> {
    fn attr_type() -> AttrType {
        AttrType::List(Box::new(T::attr_type()))
    }

    fn element_attributes() -> Vec<Attribute> {
        T::element_attributes()
    }

    fn read(value: &Value, path: &AttributePath) -> Result<Field<Self>, Diagnostic> {
        read_elements(value, path)
    }

    fn write(&self) -> Value {
        Value::List(self.iter().map(T::write).collect())
    }
}

impl<T: FieldType + Ord> FieldType for BTreeSet<T> {
    fn attr_type() -> AttrType {
        AttrType::Set(Box::new(T::attr_type()))
    }

    fn element_attributes() -> Vec<Attribute> {
        T::element_attributes()
    }

    fn read(value: &Value, path: &AttributePath) -> Result<Field<Self>, Diagnostic> {
        Ok(match read_elements::<T>(value, path)? {
            Field::Known(items) => Field::Known(items.into_iter().collect()),
            Field::Unknown => Field::Unknown,
            Field::Null => Field::Null,
        })
    }

    fn write(&self) -> Value {
        Value::List(self.iter().map(T::write).collect())
    }
}

impl<T: FieldType> FieldType for BTreeMap<String, T> {
    fn attr_type() -> AttrType {
        AttrType::Map(Box::new(T::attr_type()))
    }

    fn element_attributes() -> Vec<Attribute> {
        T::element_attributes()
    }

    fn read(value: &Value, path: &AttributePath) -> Result<Field<Self>, Diagnostic> {
        let Value::Map(entries) = value else {
            return Err(wrong_type::<Self>(value, path));
        };
        let mut out = BTreeMap::new();
        for (key, item) in entries {
            let at = path.clone().key(key);
            match item {
                Value::Unknown => return Ok(Field::Unknown),
                Value::Null => {
                    return Err(Diagnostic::error(
                        "Null map element",
                        format!("The element \"{key}\" is null; remove it or give it a value."),
                    )
                    .at(at))
                }
                v => match T::read(v, &at)? {
                    Field::Known(t) => {
                        out.insert(key.clone(), t);
                    }
                    _ => return Ok(Field::Unknown),
                },
            }
        }
        Ok(Field::Known(out))
    }

    fn write(&self) -> Value {
        Value::Map(self.iter().map(|(k, v)| (k.clone(), v.write())).collect())
    }
}

/// A map of `T` held in a `dynamic` attribute: the configuration writes an
/// object (or map) of objects, such as `{ for p in people : p.email => {...} }`,
/// and Terraform passes it on as written, without converting it to a map of
/// objects (a conversion whose time grows with the square of the number of
/// entries). Entries read through `T`'s attributes like a nested map's, with
/// the checks Terraform would have made (known attribute names, value kinds,
/// required attributes) made here, naming the entry.
///
/// Written back, entries that still hold what Terraform sent keep exactly
/// its value and type, so that a plan or state built from them matches the
/// configuration; changed or new entries are written in the shape the
/// others have. Two values with equal entries are equal (they mean the
/// same, however written).
#[derive(Clone, Debug)]
pub struct DynamicMap<T> {
    entries: BTreeMap<String, T>,
    /// The value as Terraform sent it, when it did.
    written: Option<Arc<Typed>>,
}

impl<T> Default for DynamicMap<T> {
    fn default() -> Self {
        DynamicMap {
            entries: BTreeMap::new(),
            written: None,
        }
    }
}

impl<T: PartialEq> PartialEq for DynamicMap<T> {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl<T> From<BTreeMap<String, T>> for DynamicMap<T> {
    fn from(entries: BTreeMap<String, T>) -> Self {
        DynamicMap {
            entries,
            written: None,
        }
    }
}

impl<T> FromIterator<(String, T)> for DynamicMap<T> {
    fn from_iter<I: IntoIterator<Item = (String, T)>>(entries: I) -> Self {
        BTreeMap::from_iter(entries).into()
    }
}

impl<T> std::ops::Deref for DynamicMap<T> {
    type Target = BTreeMap<String, T>;
    fn deref(&self) -> &Self::Target {
        &self.entries
    }
}

impl<T> std::ops::DerefMut for DynamicMap<T> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.entries
    }
}

impl<'a, T> IntoIterator for &'a DynamicMap<T> {
    type Item = (&'a String, &'a T);
    type IntoIter = std::collections::btree_map::Iter<'a, String, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

/// What Terraform sent for a [`DynamicMap`], kept while its entries are
/// taken apart and put together again.
#[derive(Clone, Debug, Default)]
pub struct AsWritten(Option<Arc<Typed>>);

impl<T> DynamicMap<T> {
    /// The entries, and the value as Terraform sent it.
    pub fn into_parts(self) -> (BTreeMap<String, T>, AsWritten) {
        (self.entries, AsWritten(self.written))
    }

    /// Entries taken apart by [`DynamicMap::into_parts`], put together.
    pub fn from_parts(entries: BTreeMap<String, T>, written: AsWritten) -> Self {
        DynamicMap {
            entries,
            written: written.0,
        }
    }
}

impl<T: FieldType + PartialEq> DynamicMap<T> {
    fn read_entries(
        value: &Value,
        path: &AttributePath,
    ) -> Result<Field<BTreeMap<String, T>>, Diagnostic> {
        let Value::Map(entries) = value else {
            return Err(Diagnostic::error(
                format!("Invalid {}", path.last_attribute().unwrap_or("value")),
                format!(
                    "Expected a map of objects keyed by name, such as {{ for p in people : p.email => {{ name = p.name }} }}; got {}.",
                    value.kind()
                ),
            )
            .at(path.clone()));
        };
        let attributes = T::element_attributes();
        let mut out = BTreeMap::new();
        for (key, entry) in entries {
            let at = path.clone().key(key);
            match entry {
                Value::Unknown => return Ok(Field::Unknown),
                other => check_entry(key, other, &attributes, &at)?,
            }
            match T::read(entry, &at)? {
                Field::Known(t) => {
                    out.insert(key.clone(), t);
                }
                _ => return Ok(Field::Unknown),
            }
        }
        Ok(Field::Known(out))
    }
}

/// The checks Terraform makes of a nested attribute's element, for an
/// entry of a [`DynamicMap`]: an object, with only `attributes`, each of a
/// kind its type accepts, and the required ones set.
fn check_entry(
    key: &str,
    entry: &Value,
    attributes: &[Attribute],
    at: &AttributePath,
) -> Result<(), Diagnostic> {
    let invalid = |detail: String, at: AttributePath| {
        Err(Diagnostic::error("Invalid entry", format!("[\"{key}\"]: {detail}")).at(at))
    };
    let Value::Map(fields) = entry else {
        return invalid(
            format!(
                "expected an object such as {{ name = \"...\" }}, got {}.",
                entry.kind()
            ),
            at.clone(),
        );
    };
    for (name, value) in fields {
        let Some(attribute) = attributes.iter().find(|a| a.name == name) else {
            let known: Vec<&str> = attributes.iter().map(|a| a.name).collect();
            return invalid(
                format!(
                    "unsupported attribute \"{name}\"; an entry may set {}.",
                    known.join(", ")
                ),
                at.clone().attribute(name),
            );
        };
        let fits = match (&attribute.ty, value) {
            (_, Value::Null | Value::Unknown) => true,
            (AttrType::String, v) => {
                matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
            }
            (AttrType::Number, Value::Number(_)) => true,
            (AttrType::Number, Value::String(s)) => s.trim().parse::<f64>().is_ok(),
            (AttrType::Bool, Value::Bool(_)) => true,
            (AttrType::Bool, Value::String(s)) => s == "true" || s == "false",
            _ => false,
        };
        if !fits {
            return invalid(
                format!(
                    "{name} must be {}, got {}.",
                    attribute.ty.display_name().to_lowercase(),
                    value.kind()
                ),
                at.clone().attribute(name),
            );
        }
    }
    for attribute in attributes.iter().filter(|a| a.mode == Mode::Required) {
        if fields.get(attribute.name).is_none_or(Value::is_null) {
            return invalid(
                format!("the attribute \"{}\" is required.", attribute.name),
                at.clone().attribute(attribute.name),
            );
        }
    }
    Ok(())
}

/// An entry written anew, in the shape a configuration most likely gives
/// it: its attributes that are set, and as null (typed as the schema types
/// it, as a conditional such as `p.title == "" ? null : p.title` does) the
/// attributes in `shape` that are not. `written_types` are the attribute
/// types of the entry as it was written before, if it was.
fn entry_anew(
    fields: BTreeMap<String, Value>,
    shape: &BTreeSet<String>,
    written_types: Option<&serde_json::Value>,
    attributes: &[Attribute],
) -> (Value, serde_json::Value) {
    let mut values = BTreeMap::new();
    let mut types = serde_json::Map::new();
    for (name, value) in fields {
        let ty = if value.is_null() {
            if !shape.contains(&name) {
                continue;
            }
            written_types
                .and_then(|t| t.get(&name).cloned())
                .or_else(|| {
                    attributes
                        .iter()
                        .find(|a| a.name == name)
                        .map(|a| a.ty.to_json())
                })
                .unwrap_or_else(|| "dynamic".into())
        } else {
            Typed::type_of(&value)
        };
        types.insert(name.clone(), ty);
        values.insert(name, value);
    }
    (Value::Map(values), serde_json::json!(["object", types]))
}

/// The attribute names of an object value.
fn attribute_names(value: &Value) -> BTreeSet<String> {
    match value {
        Value::Map(fields) => fields.keys().cloned().collect(),
        _ => BTreeSet::new(),
    }
}

impl<T: FieldType + PartialEq> FieldType for DynamicMap<T> {
    fn attr_type() -> AttrType {
        AttrType::Dynamic
    }

    fn element_attributes() -> Vec<Attribute> {
        T::element_attributes()
    }

    fn read(value: &Value, path: &AttributePath) -> Result<Field<Self>, Diagnostic> {
        // State written before the attribute was dynamic carries no type:
        // it is written anew.
        let carried = Typed::carried(value);
        let inner = carried.as_ref().map_or(value, |typed| &typed.value);
        Ok(match Self::read_entries(inner, path)? {
            Field::Known(entries) => Field::Known(DynamicMap {
                entries,
                written: carried,
            }),
            Field::Unknown => Field::Unknown,
            Field::Null => Field::Null,
        })
    }

    fn write(&self) -> Value {
        let path = AttributePath::default();
        let written = self.written.as_deref();
        // The entry as Terraform sent it, if it still holds the same.
        let written_entry = |key: &str, entry: &T| -> Option<&Value> {
            let value = written?.value.get(key)?;
            match T::read(value, &path) {
                Ok(Field::Known(t)) if t == *entry => Some(value),
                _ => None,
            }
        };
        if let Some(sent) = &self.written {
            let unchanged = match &sent.value {
                Value::Map(all) => {
                    all.len() == self.entries.len()
                        && self
                            .entries
                            .iter()
                            .all(|(key, entry)| written_entry(key, entry).is_some())
                }
                _ => false,
            };
            if unchanged {
                return Value::Typed(Arc::clone(sent));
            }
        }
        let as_written = |key: &str, entry: &T| -> Option<(Value, serde_json::Value)> {
            let value = written_entry(key, entry)?;
            Some((value.clone(), written?.element_type(key)))
        };
        // Entries written anew take the attributes any entry sets: the
        // columns of the file a roster is usually built from.
        let fields: BTreeMap<&String, BTreeMap<String, Value>> = self
            .entries
            .iter()
            .map(|(key, entry)| match entry.write() {
                Value::Map(fields) => (key, fields),
                _ => (key, BTreeMap::new()),
            })
            .collect();
        let columns: BTreeSet<String> = fields
            .values()
            .flat_map(|f| {
                f.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(n, _)| n.clone())
            })
            .collect();
        let attributes = T::element_attributes();
        let mut values = BTreeMap::new();
        let mut types = serde_json::Map::new();
        for (key, entry) in &self.entries {
            let (value, ty) = as_written(key, entry).unwrap_or_else(|| {
                let before = written.and_then(|w| w.value.get(key));
                let before_type = written.map(|w| w.element_type(key));
                let own_shape;
                let shape = match before {
                    Some(before) => {
                        own_shape = attribute_names(before);
                        &own_shape
                    }
                    None => &columns,
                };
                let fields = fields.get(key).cloned().unwrap_or_default();
                entry_anew(
                    fields,
                    shape,
                    before_type.as_ref().and_then(object_attribute_types),
                    &attributes,
                )
            });
            values.insert(key.clone(), value);
            types.insert(key.clone(), ty);
        }
        Value::Typed(Arc::new(Typed {
            ty: serde_json::json!(["object", types]),
            value: Value::Map(values),
        }))
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

/// Reads the attributes of an object value, with errors that name the
/// attribute's path.
pub struct ObjectReader<'a> {
    value: &'a Value,
    path: AttributePath,
}

impl<'a> ObjectReader<'a> {
    /// `None` when the whole value is null (no object at all).
    pub fn at(value: &'a Value, path: AttributePath) -> Result<Option<Self>, Diagnostic> {
        match value {
            Value::Null => Ok(None),
            Value::Map(_) => Ok(Some(ObjectReader { value, path })),
            other => Err(Diagnostic::error(
                "Unexpected value from Terraform",
                format!("Expected an object, got {}. This is a bug in the provider or a mismatch with Terraform; please report it.", other.kind()),
            )
            .at(path)),
        }
    }

    /// Reads one attribute. A missing attribute reads as null, so that state
    /// written by an older schema still reads.
    pub fn field<T: FieldType>(&self, name: &str) -> Result<Field<T>, Diagnostic> {
        match self.value.get(name) {
            None | Some(Value::Null) => Ok(Field::Null),
            Some(Value::Unknown) => Ok(Field::Unknown),
            Some(v) => T::read(v, &self.path.clone().attribute(name)),
        }
    }

    pub fn path(&self) -> &AttributePath {
        &self.path
    }
}

/// A struct declared with [`model!`](crate::model): its attributes, and the
/// conversions from and to Terraform values.
pub trait Model: Clone + Default + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    /// The attributes, in declaration order.
    fn attributes() -> Vec<Attribute>;

    /// Reads every field from an object.
    fn read_fields(reader: &ObjectReader<'_>) -> Result<Self, Diagnostics>;

    /// Writes every field into an object's attribute map.
    fn write_fields(&self, out: &mut BTreeMap<String, Value>);

    /// The model held in `value`; `None` when the value is null.
    fn from_value(value: &Value) -> Result<Option<Self>, Diagnostics> {
        Self::from_value_at(value, AttributePath::default())
    }

    fn from_value_at(value: &Value, path: AttributePath) -> Result<Option<Self>, Diagnostics> {
        match ObjectReader::at(value, path)? {
            Some(reader) => Self::read_fields(&reader).map(Some),
            None => Ok(None),
        }
    }

    fn to_value(&self) -> Value {
        let mut out = BTreeMap::new();
        self.write_fields(&mut out);
        Value::Map(out)
    }
}

/// An attribute as declared in a model, before its type is known: name,
/// description and the flags written in brackets.
#[derive(Clone, Debug)]
pub struct AttributeSpec {
    name: &'static str,
    description: String,
    mode: Option<Mode>,
    sensitive: bool,
    requires_replace: bool,
    nested: bool,
    configured_only: bool,
}

impl AttributeSpec {
    /// `doc` is the field's doc comment, a line an element.
    pub fn new(name: &'static str, doc: &[&str]) -> Self {
        AttributeSpec {
            name,
            description: doc_text(doc),
            mode: None,
            sensitive: false,
            requires_replace: false,
            nested: false,
            configured_only: false,
        }
    }

    /// The user must set it.
    pub fn required(mut self) -> Self {
        self.mode = Some(Mode::Required);
        self
    }

    /// The user may set it (with `computed`: or the provider fills it in).
    pub fn optional(mut self) -> Self {
        self.mode = Some(match self.mode {
            Some(Mode::Computed) => Mode::OptionalComputed,
            _ => Mode::Optional,
        });
        self
    }

    /// The provider sets it (with `optional`: when the user does not).
    pub fn computed(mut self) -> Self {
        self.mode = Some(match self.mode {
            Some(Mode::Optional) => Mode::OptionalComputed,
            _ => Mode::Computed,
        });
        self
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// A change replaces the object instead of updating it.
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    /// For a flattened model: what the user may set is taken as set, never
    /// filled in by the provider (optional and computed become optional).
    /// Terraform 1.0 requires this inside nested attributes.
    pub fn configured_only(mut self) -> Self {
        self.configured_only = true;
        self
    }

    /// Sent as nested attributes (see [`Attribute::nested`]).
    pub fn nested(mut self) -> Self {
        self.nested = true;
        self
    }

    /// The attribute, for a value of type `T`.
    pub fn build<T: FieldType>(self) -> Attribute {
        Attribute {
            name: self.name,
            ty: T::attr_type(),
            // A field declared without a mode is a bug the schema tests
            // catch (every attribute must say who sets it).
            mode: self.mode.unwrap_or(Mode::Computed),
            sensitive: self.sensitive,
            requires_replace: self.requires_replace,
            nested: self.nested,
            fields: T::element_attributes(),
            description: self.description,
        }
    }

    /// `attribute` of a flattened model, with this declaration's mode (when
    /// it gives one) and flags applied.
    pub fn apply_to(&self, mut attribute: Attribute) -> Attribute {
        if let Some(mode) = self.mode {
            attribute.mode = mode;
        }
        if self.configured_only && attribute.mode == Mode::OptionalComputed {
            attribute.mode = Mode::Optional;
        }
        attribute.sensitive |= self.sensitive;
        attribute.requires_replace |= self.requires_replace;
        attribute
    }
}

/// A doc comment's lines joined into Markdown: lines of one paragraph with
/// spaces, paragraphs with a blank line.
fn doc_text(lines: &[&str]) -> String {
    let mut out = String::new();
    let mut blank = false;
    for line in lines.iter().map(|l| l.trim()) {
        if line.is_empty() {
            blank = true;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { " " });
        }
        out.push_str(line);
        blank = false;
    }
    out
}

/// `model`'s value with some attributes replaced: configurations for tests.
#[cfg(test)]
pub(crate) fn value_with<M: Model>(model: &M, pairs: &[(&str, Value)]) -> Value {
    let mut value = model.to_value();
    if let Value::Map(map) = &mut value {
        for (name, replacement) in pairs {
            map.insert((*name).to_owned(), replacement.clone());
        }
    }
    value
}

/// A field of a model: one attribute ([`Field`]), or a flattened model.
pub trait Member: Sized {
    fn declare(spec: AttributeSpec, out: &mut Vec<Attribute>);
    fn read_member(reader: &ObjectReader<'_>, name: &'static str) -> Result<Self, Diagnostics>;
    fn write_member(&self, name: &'static str, out: &mut BTreeMap<String, Value>);
}

impl<T: FieldType> Member for Field<T> {
    fn declare(spec: AttributeSpec, out: &mut Vec<Attribute>) {
        out.push(spec.build::<T>());
    }

    fn read_member(reader: &ObjectReader<'_>, name: &'static str) -> Result<Self, Diagnostics> {
        reader.field(name).map_err(Diagnostics::from)
    }

    fn write_member(&self, name: &'static str, out: &mut BTreeMap<String, Value>) {
        out.insert(name.to_owned(), self.to_value());
    }
}

/// Declares a model struct (see the [module docs](crate::protocol::model)).
#[macro_export]
macro_rules! model {
    (
        $(#[doc = $doc:literal])*
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $field_doc:literal])*
                $field:ident : $ty:ty [ $($flag:ident),* $(,)? ]
            ),* $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone, Debug, Default, PartialEq)]
        $vis struct $name {
            $( $(#[doc = $field_doc])* pub $field: $ty, )*
        }

        impl $crate::protocol::model::Model for $name {
            fn attributes() -> ::std::vec::Vec<$crate::protocol::Attribute> {
                let mut out = ::std::vec::Vec::new();
                $(
                    <$ty as $crate::protocol::model::Member>::declare(
                        $crate::protocol::model::AttributeSpec::new(
                            stringify!($field),
                            &[$($field_doc),*],
                        )$(.$flag())*,
                        &mut out,
                    );
                )*
                out
            }

            fn read_fields(
                reader: &$crate::protocol::model::ObjectReader<'_>,
            ) -> ::std::result::Result<Self, $crate::protocol::Diagnostics> {
                Ok($name {
                    $( $field: <$ty as $crate::protocol::model::Member>::read_member(
                        reader,
                        stringify!($field),
                    )?, )*
                })
            }

            fn write_fields(
                &self,
                out: &mut ::std::collections::BTreeMap<::std::string::String, $crate::protocol::Value>,
            ) {
                $( $crate::protocol::model::Member::write_member(
                    &self.$field,
                    stringify!($field),
                    out,
                ); )*
            }
        }

        // Placed as a field of another model: flattened into it.
        impl $crate::protocol::model::Member for $name {
            fn declare(
                spec: $crate::protocol::model::AttributeSpec,
                out: &mut ::std::vec::Vec<$crate::protocol::Attribute>,
            ) {
                out.extend(
                    <$name as $crate::protocol::model::Model>::attributes()
                        .into_iter()
                        .map(|a| spec.apply_to(a)),
                );
            }

            fn read_member(
                reader: &$crate::protocol::model::ObjectReader<'_>,
                _name: &'static str,
            ) -> ::std::result::Result<Self, $crate::protocol::Diagnostics> {
                <$name as $crate::protocol::model::Model>::read_fields(reader)
            }

            fn write_member(
                &self,
                _name: &'static str,
                out: &mut ::std::collections::BTreeMap<::std::string::String, $crate::protocol::Value>,
            ) {
                <$name as $crate::protocol::model::Model>::write_fields(self, out)
            }
        }

        // As an element of a collection, or an object-typed attribute.
        impl $crate::protocol::model::FieldType for $name {
            fn attr_type() -> $crate::protocol::AttrType {
                $crate::protocol::AttrType::Object(
                    <$name as $crate::protocol::model::Model>::attributes()
                        .into_iter()
                        .map(|a| (a.name, a.ty))
                        .collect(),
                )
            }

            fn element_attributes() -> ::std::vec::Vec<$crate::protocol::Attribute> {
                <$name as $crate::protocol::model::Model>::attributes()
            }

            fn read(
                value: &$crate::protocol::Value,
                path: &$crate::protocol::AttributePath,
            ) -> ::std::result::Result<
                $crate::protocol::model::Field<Self>,
                $crate::protocol::Diagnostic,
            > {
                let reader = $crate::protocol::model::ObjectReader::at(value, path.clone())?;
                match reader {
                    Some(reader) => {
                        <$name as $crate::protocol::model::Model>::read_fields(&reader)
                            .map($crate::protocol::model::Field::Known)
                            .map_err(|d| d.into_first())
                    }
                    None => Ok($crate::protocol::model::Field::Null),
                }
            }

            fn write(&self) -> $crate::protocol::Value {
                <$name as $crate::protocol::model::Model>::to_value(self)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Schema;

    crate::model! {
        /// Inner, flattened.
        struct Stamps {
            /// When it was made.
            created_at: Field<String> [computed],
        }
    }

    crate::model! {
        /// An element of a map.
        struct Entry {
            /// Its name.
            name: Field<String> [required],
            /// Its id.
            id: Field<u64> [computed],
        }
    }

    crate::model! {
        /// A thing.
        struct Thing {
            /// The id,
            /// on two lines.
            id: Field<String> [computed],
            /// A name.
            name: Field<String> [required, requires_replace],
            /// A flag.
            flag: Field<bool> [optional, computed],
            /// Tags.
            tags: Field<BTreeSet<String>> [optional],
            /// Entries.
            entries: Field<BTreeMap<String, Entry>> [optional, nested],
            stamps: Stamps [],
        }
    }

    #[test]
    fn attributes_come_from_the_declaration() {
        let attrs = Thing::attributes();
        let names: Vec<_> = attrs.iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            ["id", "name", "flag", "tags", "entries", "created_at"]
        );
        assert_eq!(attrs[0].description, "The id, on two lines.");
        assert_eq!(attrs[0].mode, Mode::Computed);
        assert_eq!(attrs[1].mode, Mode::Required);
        assert!(attrs[1].requires_replace);
        assert_eq!(attrs[2].mode, Mode::OptionalComputed);
        assert_eq!(attrs[3].ty, AttrType::Set(Box::new(AttrType::String)));
        assert!(attrs[4].nested);
        assert_eq!(attrs[4].fields.len(), 2);
        assert_eq!(attrs[4].fields[1].ty, AttrType::Number);
        assert_eq!(attrs[5].mode, Mode::Computed);
    }

    #[test]
    fn writing_then_reading_gives_the_model_back_with_every_attribute() {
        let thing = Thing {
            id: Field::Unknown,
            name: Field::Known("a".into()),
            flag: Field::Known(true),
            tags: Field::Known(BTreeSet::from(["x".to_string(), "y".to_string()])),
            entries: Field::Known(BTreeMap::from([(
                "k".to_string(),
                Entry {
                    name: Field::Known("n".into()),
                    id: Field::Unknown,
                },
            )])),
            stamps: Stamps {
                created_at: Field::Null,
            },
        };
        let value = thing.to_value();
        let Value::Map(map) = &value else {
            panic!("not an object")
        };
        let keys: Vec<_> = map.keys().map(String::as_str).collect();
        let mut names: Vec<_> = Thing::attributes().iter().map(|a| a.name).collect();
        names.sort_unstable();
        assert_eq!(
            keys, names,
            "the value holds exactly the schema's attributes"
        );
        assert_eq!(Thing::from_value(&value).unwrap(), Some(thing));
        assert_eq!(Thing::from_value(&Value::Null).unwrap(), None);
    }

    #[test]
    fn partly_unknown_collections_read_as_unknown_and_bad_values_name_their_path() {
        let value = Value::object([
            ("name", Value::string("a")),
            (
                "tags",
                Value::List(vec![Value::string("x"), Value::Unknown]),
            ),
            (
                "entries",
                Value::object([("k", Value::object([("id", Value::string("nope"))]))]),
            ),
        ]);
        let err = Thing::from_value(&value).unwrap_err();
        let path = err.0[0].attribute.clone().unwrap();
        assert_eq!(
            path,
            AttributePath::root("entries").key("k").attribute("id")
        );
        let value = Value::object([
            ("name", Value::string("a")),
            (
                "tags",
                Value::List(vec![Value::string("x"), Value::Unknown]),
            ),
        ]);
        assert!(Thing::from_value(&value)
            .unwrap()
            .unwrap()
            .tags
            .is_unknown());
    }

    #[test]
    fn nested_attributes_reach_the_proto_as_nested_types() {
        let schema = Schema {
            version: 0,
            description: "d".into(),
            attributes: Thing::attributes(),
        };
        let block = schema.to_proto().block.unwrap();
        let entries = block
            .attributes
            .iter()
            .find(|a| a.name == "entries")
            .unwrap();
        assert!(entries.r#type.is_empty());
        let nested = entries.nested_type.as_ref().unwrap();
        assert_eq!(
            nested.nesting,
            crate::proto::tfplugin6::schema::object::NestingMode::Map as i32
        );
        assert_eq!(nested.attributes.len(), 2);
        let tags = block.attributes.iter().find(|a| a.name == "tags").unwrap();
        assert_eq!(tags.r#type, br#"["set","string"]"#);
    }

    #[test]
    fn doc_text_joins_lines_and_keeps_paragraphs() {
        assert_eq!(doc_text(&[" a", " b", "", " c"]), "a b\n\nc");
        assert_eq!(doc_text(&[]), "");
    }

    fn typed(json: &str) -> Value {
        let stored = super::super::value::decode_json(json.as_bytes()).unwrap();
        Value::Typed(Typed::carried(&stored).unwrap())
    }

    fn entry(name: &str) -> Entry {
        Entry {
            name: Field::Known(name.into()),
            id: Field::Null,
        }
    }

    #[test]
    fn a_dynamic_map_is_written_back_as_it_came() {
        let sent = typed(
            r#"{"type":["object",{"a":["object",{"name":"string","id":"dynamic"}],"b":["map","string"]}],
                "value":{"a":{"name":"A","id":null},"b":{"name":"B"}}}"#,
        );
        let path = AttributePath::root("users");
        let Field::Known(users) = DynamicMap::<Entry>::read(&sent, &path).unwrap() else {
            panic!("known")
        };
        assert_eq!(users.len(), 2);
        assert_eq!(users["b"], entry("B"));
        assert_eq!(users.write(), sent, "unchanged: exactly as sent");

        // A changed entry is written anew in its former shape (with its
        // null attributes); the others stay as sent.
        let (mut entries, written) = users.into_parts();
        entries.insert("a".into(), entry("A2"));
        let changed = DynamicMap::from_parts(entries, written.clone()).write();
        let Value::Typed(changed) = changed else {
            panic!("typed")
        };
        assert_eq!(
            changed.value.get("a"),
            Some(&Value::object([
                ("name", Value::string("A2")),
                ("id", Value::Null)
            ]))
        );
        assert_eq!(
            changed.element_type("a"),
            serde_json::json!(["object", {"name": "string", "id": "dynamic"}])
        );
        assert_eq!(
            changed.element_type("b"),
            serde_json::json!(["map", "string"])
        );

        // Entries never sent take the attributes any entry sets.
        let fresh: DynamicMap<Entry> = [("x".to_owned(), entry("X"))].into_iter().collect();
        let Value::Typed(fresh) = fresh.write() else {
            panic!("typed")
        };
        assert_eq!(
            fresh.value.get("x"),
            Some(&Value::object([("name", Value::string("X"))]))
        );
    }

    #[test]
    fn a_dynamic_map_stored_as_a_cty_map_reads_and_writes_back_the_same() {
        let path = AttributePath::root("users");
        let read = |value: &Value| {
            let Field::Known(users) = DynamicMap::<Entry>::read(value, &path).unwrap() else {
                panic!("known")
            };
            users
        };
        let as_object = typed(
            r#"{"type":["object",{"a":["object",{"name":"string"}],"b":["object",{"name":"string"}]}],
                "value":{"a":{"name":"A"},"b":{"name":"B"}}}"#,
        );
        let Value::Typed(object) = &as_object else {
            panic!("typed")
        };
        let as_map = Value::Typed(Arc::clone(object).as_map());
        assert_eq!(read(&as_map), read(&as_object), "the same entries");
        assert_eq!(read(&as_map).write(), as_map, "written back as stored");
    }

    #[test]
    fn dynamic_maps_are_equal_when_their_entries_read_the_same() {
        let path = AttributePath::root("users");
        let read = |value: Value| DynamicMap::<Entry>::read(&value, &path).unwrap();
        let a = typed(
            r#"{"type":["object",{"k":["object",{"name":"string"}]}],"value":{"k":{"name":"1"}}}"#,
        );
        let b = typed(
            r#"{"type":["object",{"k":["object",{"name":"number"}]}],"value":{"k":{"name":1}}}"#,
        );
        let c = typed(
            r#"{"type":["object",{"k":["object",{"name":"string"}]}],"value":{"k":{"name":"2"}}}"#,
        );
        assert_eq!(
            read(a.clone()),
            read(b),
            "written differently, the same entries"
        );
        assert_ne!(read(a), read(c));
    }

    #[test]
    fn malformed_dynamic_entries_are_named() {
        let path = AttributePath::root("users");
        for (json, wanted) in [
            (
                r#"{"k":{"name":"A","nmae":"B"}}"#,
                r#"unsupported attribute "nmae""#,
            ),
            (r#"{"k":{"id":1}}"#, r#"the attribute "name" is required"#),
            (r#"{"k":{"name":["A"]}}"#, "name must be string"),
            (r#"{"k":"A"}"#, "expected an object"),
        ] {
            let value = super::super::value::decode_json(json.as_bytes()).unwrap();
            let error = DynamicMap::<Entry>::read(&value, &path).unwrap_err();
            assert!(error.detail.contains(wanted), "{json}: {}", error.detail);
            assert!(error.attribute.is_some(), "{json}: points at the entry");
        }
    }
}
