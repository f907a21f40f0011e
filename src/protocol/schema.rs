//! Schemas: what a provider, resource or data source accepts and returns.
//!
//! A schema is described once in Rust and serves three readers: Terraform
//! (through `GetProviderSchema`, as protobuf with cty type JSON), the typed
//! value readers (which attribute is computed), and the docs generator.

use crate::proto::tfplugin6 as pb;

/// A cty type.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrType {
    String,
    Number,
    Bool,
    List(Box<AttrType>),
    Set(Box<AttrType>),
    Map(Box<AttrType>),
    Object(Vec<(&'static str, AttrType)>),
    /// Any type: Terraform passes the configured value on as written,
    /// with its type, and converts nothing (the provider checks it).
    Dynamic,
}

impl AttrType {
    /// cty's JSON type notation, as Terraform reads it from `Attribute.type`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{json, Map, Value};
        match self {
            AttrType::String => json!("string"),
            AttrType::Dynamic => json!("dynamic"),
            AttrType::Number => json!("number"),
            AttrType::Bool => json!("bool"),
            AttrType::List(t) => json!(["list", t.to_json()]),
            AttrType::Set(t) => json!(["set", t.to_json()]),
            AttrType::Map(t) => json!(["map", t.to_json()]),
            AttrType::Object(attrs) => {
                let fields: Map<String, Value> = attrs
                    .iter()
                    .map(|(name, t)| (name.to_string(), t.to_json()))
                    .collect();
                json!(["object", fields])
            }
        }
    }

    /// A short human name, used in docs and diagnostics.
    pub fn display_name(&self) -> String {
        match self {
            AttrType::String => "String".into(),
            AttrType::Number => "Number".into(),
            AttrType::Bool => "Boolean".into(),
            AttrType::List(t) => format!("List of {}", t.display_name()),
            AttrType::Set(t) => format!("Set of {}", t.display_name()),
            AttrType::Map(t) => format!("Map of {}", t.display_name()),
            AttrType::Object(_) => "Object".into(),
            AttrType::Dynamic => "Dynamic".into(),
        }
    }
}

/// Whether an attribute is set by the user, by the provider, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    /// Set by the provider only.
    Computed,
    /// Set by the user, or by the provider when the user leaves it out.
    OptionalComputed,
}

/// One attribute of a schema.
#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: AttrType,
    pub mode: Mode,
    pub sensitive: bool,
    /// Changing it replaces the object: Terraform plans a delete and a create.
    pub requires_replace: bool,
    /// Sent to Terraform as nested attributes rather than as a plain object
    /// type, so that each element's computed attributes are planned on their
    /// own. Needs `fields`.
    pub nested: bool,
    /// The attributes of an object-typed element (an object, or a
    /// collection of objects), with their own modes and descriptions: what
    /// `nested` sends, and what the docs describe.
    pub fields: Vec<Attribute>,
    /// Markdown; sent to Terraform as such, and copied into `docs/`.
    pub description: String,
}

impl Attribute {
    pub fn new(name: &'static str, ty: AttrType, mode: Mode, description: &str) -> Self {
        Attribute {
            name,
            ty,
            mode,
            sensitive: false,
            requires_replace: false,
            nested: false,
            fields: Vec::new(),
            description: description.to_owned(),
        }
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    pub fn is_computed(&self) -> bool {
        matches!(self.mode, Mode::Computed | Mode::OptionalComputed)
    }

    fn to_proto(&self) -> pb::schema::Attribute {
        let (r#type, nested_type) = match self.nesting() {
            Some(nesting) => (
                Vec::new(),
                Some(pb::schema::Object {
                    attributes: self.fields.iter().map(Attribute::to_proto).collect(),
                    nesting: nesting as i32,
                    ..Default::default()
                }),
            ),
            None => (self.ty.to_json().to_string().into_bytes(), None),
        };
        pb::schema::Attribute {
            name: self.name.to_owned(),
            r#type,
            nested_type,
            description: self.description.clone(),
            required: self.mode == Mode::Required,
            optional: matches!(self.mode, Mode::Optional | Mode::OptionalComputed),
            computed: self.is_computed(),
            sensitive: self.sensitive,
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: false,
            write_only: false,
            deprecation_message: String::new(),
        }
    }

    /// How a nested attribute's elements are arranged, from its type.
    fn nesting(&self) -> Option<pb::schema::object::NestingMode> {
        use pb::schema::object::NestingMode;
        if !self.nested {
            return None;
        }
        Some(match self.ty {
            AttrType::List(_) => NestingMode::List,
            AttrType::Set(_) => NestingMode::Set,
            AttrType::Map(_) => NestingMode::Map,
            _ => NestingMode::Single,
        })
    }
}

/// The schema of a provider block, resource or data source.
#[derive(Clone, Debug)]
pub struct Schema {
    /// Bumped when stored state needs upgrading (see `UpgradeResourceState`).
    pub version: i64,
    pub description: String,
    pub attributes: Vec<Attribute>,
}

impl Schema {
    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(pb::schema::Block {
                version: self.version,
                attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
                block_types: Vec::new(),
                description: self.description.clone(),
                description_kind: pb::StringKind::Markdown as i32,
                deprecated: false,
                deprecation_message: String::new(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cty_type_json() {
        assert_eq!(AttrType::String.to_json().to_string(), r#""string""#);
        assert_eq!(
            AttrType::List(Box::new(AttrType::String))
                .to_json()
                .to_string(),
            r#"["list","string"]"#
        );
        assert_eq!(
            AttrType::Set(Box::new(AttrType::Number))
                .to_json()
                .to_string(),
            r#"["set","number"]"#
        );
        assert_eq!(
            AttrType::Map(Box::new(AttrType::Bool))
                .to_json()
                .to_string(),
            r#"["map","bool"]"#
        );
        let obj = AttrType::List(Box::new(AttrType::Object(vec![
            ("id", AttrType::String),
            ("n", AttrType::Number),
        ])));
        assert_eq!(
            obj.to_json().to_string(),
            r#"["list",["object",{"id":"string","n":"number"}]]"#
        );
    }

    #[test]
    fn attribute_flags_and_descriptions_reach_the_proto() {
        let schema = Schema {
            version: 2,
            description: "A *thing*.".into(),
            attributes: vec![
                Attribute::new("id", AttrType::String, Mode::Computed, "The id."),
                Attribute::new("secret", AttrType::String, Mode::Optional, "Shh.").sensitive(),
                Attribute::new("flag", AttrType::Bool, Mode::OptionalComputed, "F."),
                Attribute::new("name", AttrType::String, Mode::Required, "N."),
            ],
        };
        let pb = schema.to_proto();
        assert_eq!(pb.version, 2);
        let block = pb.block.expect("block");
        assert_eq!(block.description_kind, pb::StringKind::Markdown as i32);
        let by_name = |n: &str| {
            block
                .attributes
                .iter()
                .find(|a| a.name == n)
                .unwrap()
                .clone()
        };
        let id = by_name("id");
        assert!(id.computed && !id.optional && !id.required);
        assert_eq!(id.r#type, b"\"string\"");
        assert!(id.nested_type.is_none());
        assert!(by_name("secret").sensitive);
        let flag = by_name("flag");
        assert!(flag.optional && flag.computed);
        assert!(by_name("name").required);
        assert_eq!(by_name("name").description, "N.");
    }
}
