//! Resource identity (Terraform 1.12 and later, protocol 6.9): what names
//! one object of a managed resource type for its whole life, kept by
//! Terraform beside the object's state, written in `import` blocks
//! (`identity = { id = "..." }`) and listed by `terraform query`.
//!
//! A resource declares its identity as a [`model!`](crate::model) and says
//! how it follows from the resource's state ([`Identity::of`]) and which
//! import id finds the object it names ([`Identity::import_id`]). The rules
//! every resource obeys live here, once, and the framework applies them to
//! every request:
//! - the identity answered is always the one derived from the state
//!   answered (none while it is not known, as on a create before apply);
//! - a prior identity may be null (state written by Terraform < 1.12, or
//!   imported by id): it is then filled in from state;
//! - an identity never changes over an object's life: a different one
//!   where Terraform holds one is an error, and Terraform's stays;
//!   only a replacement (a new object) plans a new identity.
//!
//! The protocol offers no client capability for identity: clients older
//! than 6.9 (Terraform < 1.12) ignore the fields they do not know and never
//! call the identity RPCs, so nothing changes for them.

use std::collections::BTreeMap;

use crate::proto::tfplugin6 as pb;
use crate::protocol::model::ObjectReader;
use crate::protocol::{Attribute, Diagnostic, Diagnostics, Mode, Model, Value};

/// The identity of a resource whose state is `M`: a model whose
/// attributes all name the object. `required` attributes must be given by
/// an `import` block's `identity`; `optional` ones may be.
pub trait Identity<M: Model>: Model {
    /// Bumped when the attributes change; [`Identity::upgrade`] then reads
    /// identities stored by earlier versions.
    const VERSION: i64 = 0;
    /// Whether the resource has an identity ([`NoIdentity`] has not).
    const DECLARED: bool = true;

    /// The identity of the object `state` describes; `None` while it is
    /// not wholly known (a create being planned).
    fn of(state: &M) -> Option<Self>;

    /// The id `terraform import` takes for the object this identity names:
    /// an import by identity is an import by this id.
    fn import_id(&self) -> Result<String, Diagnostic>;

    /// Reads an identity stored as `raw` by identity version `version`
    /// (never newer than [`Identity::VERSION`]: the framework refuses
    /// those). The default reads the current attributes.
    fn upgrade(_version: i64, raw: &Value) -> Result<Option<Self>, Diagnostics> {
        Self::from_value(raw)
    }
}

/// No identity: for a resource whose objects have none in Domo.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NoIdentity;

impl Model for NoIdentity {
    fn attributes() -> Vec<Attribute> {
        Vec::new()
    }

    fn read_fields(_: &ObjectReader<'_>) -> Result<Self, Diagnostics> {
        Ok(NoIdentity)
    }

    fn write_fields(&self, _: &mut BTreeMap<String, Value>) {}
}

impl<M: Model> Identity<M> for NoIdentity {
    const DECLARED: bool = false;

    fn of(_: &M) -> Option<Self> {
        None
    }

    fn import_id(&self) -> Result<String, Diagnostic> {
        Err(Diagnostic::error(
            "No resource identity",
            "This resource type has no identity: import it by id.",
        ))
    }
}

/// An identity schema, as `GetResourceIdentitySchemas` and the docs show
/// it.
#[derive(Clone, Debug)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<Attribute>,
}

impl IdentitySchema {
    /// The schema of `I`, or `None` for [`NoIdentity`].
    pub fn of<M: Model, I: Identity<M>>() -> Option<IdentitySchema> {
        I::DECLARED.then(|| IdentitySchema {
            version: I::VERSION,
            attributes: I::attributes(),
        })
    }

    pub fn to_proto(&self) -> pb::ResourceIdentitySchema {
        pb::ResourceIdentitySchema {
            version: self.version,
            identity_attributes: self
                .attributes
                .iter()
                .map(|a| pb::resource_identity_schema::IdentityAttribute {
                    name: a.name.to_owned(),
                    r#type: a.ty.to_json().to_string().into_bytes(),
                    required_for_import: a.mode == Mode::Required,
                    optional_for_import: a.mode != Mode::Required,
                    description: a.description.clone(),
                })
                .collect(),
        }
    }
}

/// `{ id = "7" }`, for messages.
pub(crate) fn describe(identity: &Value) -> String {
    match identity {
        Value::Map(attributes) => {
            let parts: Vec<String> = attributes
                .iter()
                .map(|(name, value)| match value {
                    Value::String(s) => format!("{name} = {s:?}"),
                    Value::Null => format!("{name} = null"),
                    other => format!("{name} = ({})", other.kind()),
                })
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        other => format!("({})", other.kind()),
    }
}

/// The identity to answer with for an object whose state is `state` (none:
/// the object is gone), given the one Terraform holds for it (`held`; none
/// when Terraform holds none yet). A different identity is an error
/// diagnostic, and `held` is answered.
pub(crate) fn answer<M: Model, I: Identity<M>>(
    type_name: &str,
    held: Option<&I>,
    state: Option<&M>,
) -> (Value, Option<Diagnostic>) {
    let Some(state) = state else {
        return (Value::Null, None);
    };
    match (held, I::of(state)) {
        (Some(held), Some(now)) if *held != now => {
            let (held, now) = (held.to_value(), now.to_value());
            let error = Diagnostic::error(
                "Unexpected identity change",
                format!(
                    "Terraform holds the identity {} for this {type_name}, but the object now has {}. \
                     An object's identity never changes; this is a bug in the provider, please report it. \
                     Terraform keeps the identity it holds.",
                    describe(&held),
                    describe(&now)
                ),
            );
            (held, Some(error))
        }
        (_, Some(now)) => (now.to_value(), None),
        (Some(held), None) => (held.to_value(), None),
        (None, None) => (Value::Null, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model;
    use crate::protocol::Field;

    model! {
        struct Thing {
            id: Field<String> [computed],
            name: Field<String> [required],
        }
    }

    model! {
        struct ThingIdentity {
            /// The id.
            id: Field<String> [required],
        }
    }

    impl Identity<Thing> for ThingIdentity {
        fn of(state: &Thing) -> Option<Self> {
            let id = state.id.known()?;
            Some(ThingIdentity {
                id: Field::Known(id.clone()),
            })
        }

        fn import_id(&self) -> Result<String, Diagnostic> {
            Ok(self.id.known().cloned().unwrap_or_default())
        }
    }

    fn thing(id: Field<String>) -> Thing {
        Thing {
            id,
            name: Field::Known("n".into()),
        }
    }

    fn identity(id: &str) -> ThingIdentity {
        ThingIdentity {
            id: Field::Known(id.into()),
        }
    }

    #[test]
    fn the_schema_comes_from_the_declaration() {
        let schema = IdentitySchema::of::<Thing, ThingIdentity>()
            .unwrap()
            .to_proto();
        assert_eq!(schema.version, 0);
        let [id] = schema.identity_attributes.as_slice() else {
            panic!("one attribute: {schema:?}")
        };
        assert_eq!(id.name, "id");
        assert_eq!(id.r#type, br#""string""#);
        assert!(id.required_for_import && !id.optional_for_import);
        assert_eq!(id.description, "The id.");
        assert!(IdentitySchema::of::<Thing, NoIdentity>().is_none());
    }

    #[test]
    fn the_answer_follows_state_and_never_changes() {
        let known = thing(Field::Known("7".into()));
        // A null prior identity (Terraform < 1.12, import by id): from state.
        let (value, error) = answer::<_, ThingIdentity>("thing", None, Some(&known));
        assert_eq!(value, identity("7").to_value());
        assert!(error.is_none());
        // The same identity: fine.
        let held = identity("7");
        let (value, error) = answer("thing", Some(&held), Some(&known));
        assert_eq!(value, held.to_value());
        assert!(error.is_none());
        // Another one: an error, and Terraform's stays.
        let other = identity("8");
        let (value, error) = answer("thing", Some(&other), Some(&known));
        assert_eq!(value, other.to_value());
        let error = error.expect("an error");
        assert!(error.detail.contains(r#"{ id = "8" }"#), "{error:?}");
        assert!(error.detail.contains(r#"{ id = "7" }"#), "{error:?}");
        // Not known yet, or gone.
        let planned = thing(Field::Unknown);
        assert_eq!(
            answer::<_, ThingIdentity>("thing", None, Some(&planned)).0,
            Value::Null
        );
        assert_eq!(
            answer("thing", Some(&held), Some(&planned)).0,
            held.to_value()
        );
        assert_eq!(answer("thing", Some(&held), None).0, Value::Null);
    }
}
