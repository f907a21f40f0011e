//! The planning rules Terraform holds every resource to, applied from the
//! schema once for all resources (the framework calls these around each
//! resource's own planning):
//!
//! - computed attributes the configuration leaves null are unknown until
//!   apply, on create and for each new element of a nested attribute;
//! - attributes only the user sets are planned exactly as configured;
//! - a change to an attribute marked `requires_replace` replaces the object.

use std::collections::BTreeMap;

use super::diagnostics::AttributePath;
use super::schema::{AttrType, Attribute, Mode};
use super::value::{encode_msgpack, Value};

/// Marks computed attributes unknown where Terraform proposes null and the
/// configuration sets nothing: every one when `prior` is null (a create),
/// and inside nested attributes, those of elements `prior` does not have.
pub fn mark_computed_unknown(
    attributes: &[Attribute],
    planned: &mut Value,
    config: &Value,
    prior: &Value,
) {
    let Value::Map(object) = planned else {
        return;
    };
    let creating = prior.is_null();
    for attribute in attributes {
        let Some(slot) = object.get_mut(attribute.name) else {
            continue;
        };
        let configured = config.get(attribute.name).unwrap_or(&Value::Null);
        if creating && attribute.is_computed() && configured.is_null() && slot.is_null() {
            *slot = Value::Unknown;
            continue;
        }
        if !attribute.nested {
            continue;
        }
        let before = prior.get(attribute.name).unwrap_or(&Value::Null);
        match (&attribute.ty, slot) {
            (AttrType::Map(_), Value::Map(elements)) => {
                for (key, element) in elements {
                    mark_computed_unknown(
                        &attribute.fields,
                        element,
                        configured.get(key).unwrap_or(&Value::Null),
                        before.get(key).unwrap_or(&Value::Null),
                    );
                }
            }
            (AttrType::List(_), Value::List(elements)) => {
                for (i, element) in elements.iter_mut().enumerate() {
                    mark_computed_unknown(
                        &attribute.fields,
                        element,
                        element_at(configured, i),
                        element_at(before, i),
                    );
                }
            }
            (AttrType::Object(_), slot) => {
                mark_computed_unknown(&attribute.fields, slot, configured, before);
            }
            // Set elements have no identity to match a prior element by.
            _ => {}
        }
    }
}

fn element_at(list: &Value, i: usize) -> &Value {
    match list {
        Value::List(items) => items.get(i).unwrap_or(&Value::Null),
        _ => &Value::Null,
    }
}

/// Puts back, from `configured` (the configuration, or Terraform's
/// proposal), every attribute the provider does not compute: Terraform
/// rejects a plan that changes what the user configured. Inside nested
/// attributes the elements are the configured ones, and only their computed
/// attributes come from `planned`. Values are moved, not copied.
pub fn keep_configured(attributes: &[Attribute], planned: &mut Value, configured: Value) {
    let Value::Map(mut wanted) = configured else {
        *planned = configured;
        return;
    };
    let Value::Map(object) = planned else {
        *planned = Value::Map(wanted);
        return;
    };
    for attribute in attributes {
        if attribute.is_computed() {
            continue;
        }
        let want = wanted.remove(attribute.name).unwrap_or(Value::Null);
        let have = object
            .entry(attribute.name.to_owned())
            .or_insert(Value::Null);
        if !attribute.nested {
            *have = want;
            continue;
        }
        *have = match (&attribute.ty, std::mem::take(have), want) {
            (AttrType::Map(_), Value::Map(mut have_elements), Value::Map(want_elements)) => {
                let merged: BTreeMap<String, Value> = want_elements
                    .into_iter()
                    .map(|(key, w)| {
                        let element = match have_elements.remove(&key) {
                            Some(mut element) => {
                                keep_configured(&attribute.fields, &mut element, w);
                                element
                            }
                            None => w,
                        };
                        (key, element)
                    })
                    .collect();
                Value::Map(merged)
            }
            (AttrType::List(_), Value::List(have_elements), Value::List(want_elements)) => {
                let mut have_elements = have_elements.into_iter();
                let merged = want_elements
                    .into_iter()
                    .map(|w| match have_elements.next() {
                        Some(mut element) => {
                            keep_configured(&attribute.fields, &mut element, w);
                            element
                        }
                        None => w,
                    })
                    .collect();
                Value::List(merged)
            }
            (AttrType::Object(_), mut element @ Value::Map(_), want @ Value::Map(_)) => {
                keep_configured(&attribute.fields, &mut element, want);
                element
            }
            (_, _, want) => want,
        };
    }
}

/// Turns a state into the configuration that sets what it holds, as
/// Terraform itself does when it writes configuration for an import
/// (`-generate-config-out`): what only the provider sets (computed and not
/// optional) is null, at every level of nested attributes; everything else
/// is kept.
pub fn configuration_of(attributes: &[Attribute], state: &mut Value) {
    let Value::Map(object) = state else {
        return;
    };
    for attribute in attributes {
        let Some(slot) = object.get_mut(attribute.name) else {
            continue;
        };
        if attribute.mode == Mode::Computed {
            *slot = Value::Null;
            continue;
        }
        if !attribute.nested {
            continue;
        }
        match slot {
            Value::Map(elements) if !matches!(attribute.ty, AttrType::Object(_)) => {
                for element in elements.values_mut() {
                    configuration_of(&attribute.fields, element);
                }
            }
            Value::List(elements) => {
                for element in elements {
                    configuration_of(&attribute.fields, element);
                }
            }
            element => configuration_of(&attribute.fields, element),
        }
    }
}

/// Of a prior state, only what [`replacement_paths`] compares: the
/// attributes marked `requires_replace` (null stays null).
pub fn replaceable_part(attributes: &[Attribute], prior: Value) -> Value {
    let Value::Map(mut object) = prior else {
        return prior;
    };
    Value::Map(
        attributes
            .iter()
            .filter(|a| a.requires_replace)
            .filter_map(|a| object.remove_entry(a.name))
            .collect(),
    )
}

/// The attributes marked `requires_replace` whose planned value differs
/// from the prior one. Empty on create and destroy.
pub fn replacement_paths(
    attributes: &[Attribute],
    prior: &Value,
    planned: &Value,
) -> Vec<AttributePath> {
    if prior.is_null() || planned.is_null() {
        return Vec::new();
    }
    attributes
        .iter()
        .filter(|a| a.requires_replace)
        .filter(|a| {
            let before = prior.get(a.name).unwrap_or(&Value::Null);
            let after = planned.get(a.name).unwrap_or(&Value::Null);
            !same_value(&a.ty, before, after)
        })
        .map(|a| AttributePath::root(a.name))
        .collect()
}

/// Equality as Terraform sees it: a set's elements in any order.
fn same_value(ty: &AttrType, a: &Value, b: &Value) -> bool {
    match (ty, a, b) {
        (AttrType::Set(_), Value::List(x), Value::List(y)) => {
            let sorted = |items: &[Value]| {
                let mut encoded: Vec<Vec<u8>> = items.iter().map(encode_msgpack).collect();
                encoded.sort_unstable();
                encoded
            };
            x.len() == y.len() && sorted(x) == sorted(y)
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs() -> Vec<Attribute> {
        let entry_fields = vec![
            Attribute::new("name", AttrType::String, Mode::Required, "n"),
            Attribute::new("id", AttrType::String, Mode::Computed, "i"),
        ];
        let entry_type =
            AttrType::Object(vec![("name", AttrType::String), ("id", AttrType::String)]);
        let mut entries = Attribute::new(
            "entries",
            AttrType::Map(Box::new(entry_type)),
            Mode::Required,
            "e",
        );
        entries.nested = true;
        entries.fields = entry_fields;
        let mut group = Attribute::new("group", AttrType::String, Mode::Required, "g");
        group.requires_replace = true;
        let mut members = Attribute::new(
            "members",
            AttrType::Set(Box::new(AttrType::String)),
            Mode::Optional,
            "m",
        );
        members.requires_replace = true;
        vec![
            Attribute::new("id", AttrType::String, Mode::Computed, "i"),
            Attribute::new("flag", AttrType::Bool, Mode::OptionalComputed, "f"),
            group,
            members,
            entries,
        ]
    }

    fn entry(name: &str, id: Value) -> Value {
        Value::object([("name", Value::string(name)), ("id", id)])
    }

    #[test]
    fn configuration_drops_what_only_the_provider_sets_at_every_level() {
        let mut state = Value::object([
            ("id", Value::string("7")),
            ("flag", Value::Bool(true)),
            ("group", Value::string("g")),
            ("members", Value::List(vec![Value::string("1")])),
            (
                "entries",
                Value::object([("a", entry("A", Value::string("1")))]),
            ),
        ]);
        configuration_of(&attrs(), &mut state);
        assert_eq!(
            state,
            Value::object([
                ("id", Value::Null),
                ("flag", Value::Bool(true)),
                ("group", Value::string("g")),
                ("members", Value::List(vec![Value::string("1")])),
                ("entries", Value::object([("a", entry("A", Value::Null))])),
            ])
        );
    }

    #[test]
    fn create_marks_every_unset_computed_attribute_unknown() {
        let config = Value::object([
            ("id", Value::Null),
            ("flag", Value::Bool(true)),
            ("group", Value::string("g")),
            ("entries", Value::object([("a", entry("A", Value::Null))])),
        ]);
        let mut planned = config.clone();
        mark_computed_unknown(&attrs(), &mut planned, &config, &Value::Null);
        assert_eq!(planned.get("id"), Some(&Value::Unknown));
        assert_eq!(planned.get("flag"), Some(&Value::Bool(true)));
        assert_eq!(
            planned.get("entries").and_then(|e| e.get("a")),
            Some(&entry("A", Value::Unknown))
        );
    }

    #[test]
    fn update_marks_only_new_nested_elements_unknown() {
        let prior = Value::object([
            ("id", Value::string("1")),
            (
                "entries",
                Value::object([("a", entry("A", Value::string("7")))]),
            ),
        ]);
        let config = Value::object([
            ("id", Value::Null),
            (
                "entries",
                Value::object([
                    ("a", entry("A", Value::Null)),
                    ("b", entry("B", Value::Null)),
                ]),
            ),
        ]);
        let mut planned = Value::object([
            ("id", Value::string("1")),
            (
                "entries",
                Value::object([
                    ("a", entry("A", Value::string("7"))),
                    ("b", entry("B", Value::Null)),
                ]),
            ),
        ]);
        mark_computed_unknown(&attrs(), &mut planned, &config, &prior);
        let entries = planned.get("entries").unwrap();
        assert_eq!(entries.get("a"), Some(&entry("A", Value::string("7"))));
        assert_eq!(entries.get("b"), Some(&entry("B", Value::Unknown)));
        assert_eq!(planned.get("id"), Some(&Value::string("1")));
    }

    #[test]
    fn configured_values_are_kept_but_computed_nested_values_are_not() {
        let proposed = Value::object([
            ("id", Value::Null),
            ("group", Value::string("as configured")),
            (
                "members",
                Value::List(vec![Value::string("x"), Value::Unknown]),
            ),
            ("entries", Value::object([("a", entry("A", Value::Null))])),
        ]);
        let mut planned = Value::object([
            ("id", Value::Unknown),
            ("group", Value::string("rewritten")),
            ("members", Value::Unknown),
            (
                "entries",
                Value::object([
                    ("a", entry("changed", Value::Unknown)),
                    ("extra", entry("X", Value::Null)),
                ]),
            ),
        ]);
        keep_configured(&attrs(), &mut planned, proposed.clone());
        assert_eq!(planned.get("id"), Some(&Value::Unknown));
        assert_eq!(planned.get("group"), Some(&Value::string("as configured")));
        assert_eq!(planned.get("members"), proposed.get("members"));
        assert_eq!(
            planned.get("entries"),
            Some(&Value::object([("a", entry("A", Value::Unknown))]))
        );
    }

    #[test]
    fn replacement_when_a_marked_attribute_changes_sets_compared_unordered() {
        let set = |items: &[&str]| Value::List(items.iter().map(|s| Value::string(*s)).collect());
        let prior = Value::object([("group", Value::string("1")), ("members", set(&["a", "b"]))]);
        let same = Value::object([("group", Value::string("1")), ("members", set(&["b", "a"]))]);
        assert!(replacement_paths(&attrs(), &prior, &same).is_empty());
        let moved = Value::object([("group", Value::Unknown), ("members", set(&["a"]))]);
        assert_eq!(
            replacement_paths(&attrs(), &prior, &moved),
            vec![AttributePath::root("group"), AttributePath::root("members")]
        );
        assert!(replacement_paths(&attrs(), &Value::Null, &moved).is_empty());
        // Only the marked attributes need to be kept for the comparison.
        let kept = replaceable_part(&attrs(), prior.clone());
        assert_eq!(kept, prior);
        let with_more = Value::object([("group", Value::string("1")), ("id", Value::string("9"))]);
        assert_eq!(
            replaceable_part(&attrs(), with_more),
            Value::object([("group", Value::string("1"))])
        );
        assert_eq!(replaceable_part(&attrs(), Value::Null), Value::Null);
    }
}
