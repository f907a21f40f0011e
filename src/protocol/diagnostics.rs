//! Diagnostics: the errors and warnings Terraform shows to the user, each
//! optionally pointing at the attribute it is about.

use crate::proto::tfplugin6 as pb;

/// A path to an attribute, e.g. `email` or `users[3].id`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributePath(Vec<PathStep>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    Attribute(String),
    Key(String),
    Index(i64),
}

impl AttributePath {
    pub fn root(name: &str) -> Self {
        AttributePath(vec![PathStep::Attribute(name.to_owned())])
    }

    pub fn attribute(mut self, name: &str) -> Self {
        self.0.push(PathStep::Attribute(name.to_owned()));
        self
    }

    pub fn index(mut self, i: i64) -> Self {
        self.0.push(PathStep::Index(i));
        self
    }

    /// The name of the last attribute step, e.g. `role` in `users["a"].role`.
    pub fn last_attribute(&self) -> Option<&str> {
        self.0.iter().rev().find_map(|step| match step {
            PathStep::Attribute(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// A map element, by key.
    pub fn key(mut self, key: &str) -> Self {
        self.0.push(PathStep::Key(key.to_owned()));
        self
    }

    pub(crate) fn to_proto(&self) -> pb::AttributePath {
        use pb::attribute_path::{step::Selector, Step};
        let steps = self
            .0
            .iter()
            .map(|s| Step {
                selector: Some(match s {
                    PathStep::Attribute(n) => Selector::AttributeName(n.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect();
        pb::AttributePath { steps }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub attribute: Option<AttributePath>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(summary, detail)
        }
    }

    /// Points the diagnostic at an attribute, so Terraform underlines it.
    pub fn at(mut self, path: AttributePath) -> Self {
        self.attribute = Some(path);
        self
    }

    pub fn to_proto(&self) -> pb::Diagnostic {
        pb::Diagnostic {
            severity: match self.severity {
                Severity::Error => pb::diagnostic::Severity::Error as i32,
                Severity::Warning => pb::diagnostic::Severity::Warning as i32,
            },
            summary: bounded(&self.summary, MAX_SUMMARY_BYTES),
            detail: bounded(&self.detail, MAX_DETAIL_BYTES),
            attribute: self.attribute.as_ref().map(AttributePath::to_proto),
        }
    }
}

/// Messages quote what the user wrote, which can be huge (a 5 MB string, a
/// value Terraform never meant to send). Terraform reads answers of at most
/// 4 MiB, so a message is cut to a size a person reads anyway.
const MAX_SUMMARY_BYTES: usize = 256;
const MAX_DETAIL_BYTES: usize = 4096;

fn bounded(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}… ({} more bytes not shown)",
        &text[..end],
        text.len() - end
    )
}

/// An ordered collection of diagnostics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_proto(&self) -> Vec<pb::Diagnostic> {
        self.0.iter().map(Diagnostic::to_proto).collect()
    }

    /// The attributes the diagnostics point at, in order (for tests).
    #[cfg(test)]
    pub(crate) fn paths(&self) -> Vec<AttributePath> {
        self.0.iter().filter_map(|d| d.attribute.clone()).collect()
    }

    /// The first diagnostic, for places that report only one.
    pub fn into_first(self) -> Diagnostic {
        self.0.into_iter().next().unwrap_or_else(|| {
            Diagnostic::error(
                "Unexpected error",
                "An operation failed without saying why. Please report it.",
            )
        })
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pb::attribute_path::step::Selector;

    #[test]
    fn diagnostic_with_attribute_path_to_proto() {
        let d =
            Diagnostic::error("Invalid role", "Use one of: Admin")
                .at(AttributePath::root("users").index(2).attribute("role"));
        let p = d.to_proto();
        assert_eq!(p.severity, pb::diagnostic::Severity::Error as i32);
        assert_eq!(p.summary, "Invalid role");
        let steps: Vec<_> = p
            .attribute
            .unwrap()
            .steps
            .into_iter()
            .map(|s| s.selector.unwrap())
            .collect();
        assert_eq!(
            steps,
            vec![
                Selector::AttributeName("users".into()),
                Selector::ElementKeyInt(2),
                Selector::AttributeName("role".into()),
            ]
        );
        let w = Diagnostic::warning("w", "d").to_proto();
        assert_eq!(w.severity, pb::diagnostic::Severity::Warning as i32);
        assert!(w.attribute.is_none());
    }

    #[test]
    fn huge_messages_are_cut_on_a_character_boundary() {
        let detail = format!("email = \"{}\" is wrong", "é".repeat(3_000_000));
        let p = Diagnostic::error("s".repeat(1000), detail).to_proto();
        assert!(p.detail.len() < MAX_DETAIL_BYTES + 64, "{}", p.detail.len());
        assert!(p.detail.starts_with("email = \"éé"));
        assert!(p.detail.ends_with("more bytes not shown)"));
        assert!(p.summary.len() < MAX_SUMMARY_BYTES + 64);
        let short = Diagnostic::error("Invalid role", "Use Admin").to_proto();
        assert_eq!(short.detail, "Use Admin");
    }

    #[test]
    fn has_errors_ignores_warnings() {
        let mut ds = Diagnostics::default();
        ds.push(Diagnostic::warning("w", ""));
        assert!(!ds.has_errors());
        ds.push(Diagnostic::error("e", ""));
        assert!(ds.has_errors());
    }
}
