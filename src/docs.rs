//! Registry-format documentation (`docs/`), rendered from hand-written
//! templates (`templates/`) and the provider's own schemas, so the
//! attribute references can never disagree with what Terraform is told.
//!
//! A template `templates/<path>.md.tmpl` becomes `docs/<path>.md`. What it
//! documents follows from where it is: `index.md.tmpl` the provider block,
//! `resources/<name>.md.tmpl` the resource `domo_<name>`,
//! `data-sources/<name>.md.tmpl` the data source `domo_<name>`,
//! `list-resources/<name>.md.tmpl` the list resource `domo_<name>`, anything
//! else (guides) nothing. Templates use these directives:
//!
//! - `{{ schema }}`: the argument and attribute reference (for a list
//!   resource, of its `config` block);
//! - `{{ identity }}`: (resources with an identity, which must use it) the
//!   identity's attributes;
//! - `{{ description }}`: the schema's description;
//! - `{{ type_name }}`: e.g. `domo_user`;
//! - `{{ environment }}`: (provider only) a table of settings and their
//!   environment variables;
//! - `{{ example "examples/..." }}`: a file of the repository, fenced.
//!
//! `cargo run --bin gen-docs` writes the files; `tests/docs.rs` fails when
//! the committed ones differ from what this module renders.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::framework::IdentitySchema;
use crate::protocol::{AttrType, Attribute, Mode, Schema};
use crate::provider;
use crate::registry::Registry;

/// Where templates live, relative to the repository root.
pub const TEMPLATES_DIR: &str = "templates";
/// Where the rendered docs go, relative to the repository root.
pub const DOCS_DIR: &str = "docs";
const TEMPLATE_SUFFIX: &str = ".md.tmpl";
/// The prefix of every resource and data source type name.
const TYPE_PREFIX: &str = "domo_";

/// One rendered page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// Relative to `docs/`, with `/` separators, e.g. `resources/user.md`.
    pub path: String,
    pub content: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{template}: {message}")]
    Template { template: String, message: String },
    #[error("{0}")]
    Missing(String),
}

/// What one template documents.
enum Subject {
    Provider,
    Resource(Schema, Option<IdentitySchema>),
    DataSource(Schema),
    ListResource(Schema),
    Nothing,
}

/// Renders every page from the templates and examples under `root`.
pub fn generate(root: &Path) -> Result<Vec<Page>, DocsError> {
    let templates_root = root.join(TEMPLATES_DIR);
    let mut templates = Vec::new();
    collect_templates(&templates_root, &templates_root, &mut templates)?;
    templates.sort();

    let registry = Registry::default();
    // Every type must have a page: a new resource without docs is an error
    // here rather than a gap on the registry.
    let mut wanted: Vec<String> = registry
        .resources
        .iter()
        .map(|r| page_for("resources", r.type_name()))
        .chain(
            registry
                .data_sources
                .iter()
                .map(|d| page_for("data-sources", d.type_name())),
        )
        .chain(
            registry
                .list_resources
                .iter()
                .map(|l| page_for("list-resources", l.type_name())),
        )
        .collect();
    wanted.push("index.md".into());
    let rendered: Vec<String> = templates.iter().map(|t| output_path(t)).collect();
    let missing: Vec<_> = wanted.iter().filter(|w| !rendered.contains(w)).collect();
    if !missing.is_empty() {
        return Err(DocsError::Missing(format!(
            "no template for {}; add {}",
            missing
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            missing
                .iter()
                .map(|m| format!("{TEMPLATES_DIR}/{m}.tmpl"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }

    templates
        .iter()
        .map(|rel| {
            let subject = subject_for(rel, &registry)?;
            let path = templates_root.join(rel);
            let text = std::fs::read_to_string(&path).map_err(|source| DocsError::Read {
                path: path.clone(),
                source,
            })?;
            let content = render_template(root, rel, &text, &subject)?;
            Ok(Page {
                path: output_path(rel),
                content,
            })
        })
        .collect()
}

/// Writes `pages` under `root/docs`, and removes `.md` files there that no
/// template renders any more. Returns the paths it changed.
pub fn write(root: &Path, pages: &[Page]) -> Result<Vec<String>, DocsError> {
    let docs = root.join(DOCS_DIR);
    let mut changed = Vec::new();
    for page in pages {
        let path = docs.join(&page.path);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(page.content.as_str()) {
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| DocsError::Write {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, &page.content).map_err(|source| DocsError::Write {
            path: path.clone(),
            source,
        })?;
        changed.push(page.path.clone());
    }
    for stale in stale_files(root, pages)? {
        let path = docs.join(&stale);
        std::fs::remove_file(&path).map_err(|source| DocsError::Write { path, source })?;
        changed.push(stale);
    }
    Ok(changed)
}

/// What differs between `pages` and the files under `root/docs`: pages
/// whose file is missing or different, and `.md` files no page renders.
pub fn differences(root: &Path, pages: &[Page]) -> Result<Vec<String>, DocsError> {
    let docs = root.join(DOCS_DIR);
    let mut out: Vec<String> = pages
        .iter()
        .filter(|p| std::fs::read_to_string(docs.join(&p.path)).ok().as_deref() != Some(&p.content))
        .map(|p| format!("{DOCS_DIR}/{} is missing or out of date", p.path))
        .collect();
    out.extend(
        stale_files(root, pages)?
            .into_iter()
            .map(|s| format!("{DOCS_DIR}/{s} has no template in {TEMPLATES_DIR}/")),
    );
    Ok(out)
}

/// `.md` files under `docs/` that no page renders.
fn stale_files(root: &Path, pages: &[Page]) -> Result<Vec<String>, DocsError> {
    let docs = root.join(DOCS_DIR);
    let mut existing = Vec::new();
    if docs.is_dir() {
        collect_files(&docs, &docs, ".md", &mut existing)?;
    }
    existing.retain(|e| !pages.iter().any(|p| &p.path == e));
    existing.sort();
    Ok(existing)
}

fn collect_templates(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), DocsError> {
    collect_files(base, dir, TEMPLATE_SUFFIX, out)
}

/// Paths (relative to `base`, `/`-separated) of files under `dir` whose
/// names end with `suffix`.
fn collect_files(
    base: &Path,
    dir: &Path,
    suffix: &str,
    out: &mut Vec<String>,
) -> Result<(), DocsError> {
    let read_err = |source| DocsError::Read {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if path.is_dir() {
            collect_files(base, &path, suffix, out)?;
        } else if path.to_string_lossy().ends_with(suffix) {
            if let Ok(rel) = path.strip_prefix(base) {
                let parts: Vec<_> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    Ok(())
}

fn output_path(template: &str) -> String {
    format!(
        "{}.md",
        template.strip_suffix(TEMPLATE_SUFFIX).unwrap_or(template)
    )
}

fn page_for(kind: &str, type_name: &str) -> String {
    format!(
        "{kind}/{}.md",
        type_name.strip_prefix(TYPE_PREFIX).unwrap_or(type_name)
    )
}

fn subject_for(template: &str, registry: &Registry) -> Result<Subject, DocsError> {
    let out = output_path(template);
    if out == "index.md" {
        return Ok(Subject::Provider);
    }
    let unknown = |kind: &str| DocsError::Template {
        template: format!("{TEMPLATES_DIR}/{template}"),
        message: format!("the provider has no {kind} for this page"),
    };
    if out.starts_with("resources/") {
        return registry
            .resources
            .iter()
            .find(|r| page_for("resources", r.type_name()) == out)
            .map(|r| Subject::Resource(r.schema().clone(), r.identity_schema().cloned()))
            .ok_or_else(|| unknown("resource"));
    }
    if out.starts_with("list-resources/") {
        return registry
            .list_resources
            .iter()
            .find(|l| page_for("list-resources", l.type_name()) == out)
            .map(|l| Subject::ListResource(l.schema().clone()))
            .ok_or_else(|| unknown("list resource"));
    }
    if out.starts_with("data-sources/") {
        return registry
            .data_sources
            .iter()
            .find(|d| page_for("data-sources", d.type_name()) == out)
            .map(|d| Subject::DataSource(d.schema().clone()))
            .ok_or_else(|| unknown("data source"));
    }
    Ok(Subject::Nothing)
}

fn render_template(
    root: &Path,
    rel: &str,
    text: &str,
    subject: &Subject,
) -> Result<String, DocsError> {
    let template = format!("{TEMPLATES_DIR}/{rel}");
    let fail = |message: String| DocsError::Template {
        template: template.clone(),
        message,
    };
    let type_name = type_name_of(rel);
    if let Subject::Resource(_, Some(_)) = subject {
        if !text.contains("{{ identity }}") {
            return Err(fail(
                "this resource has an identity: document it with `{{ identity }}`".into(),
            ));
        }
    }
    let mut out = String::with_capacity(text.len() * 2);
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| fail("a `{{` is never closed".into()))?;
        let directive = after[..end].trim();
        rest = &after[end + 2..];
        let (name, arg) = match directive.split_once(char::is_whitespace) {
            Some((n, a)) => (n, Some(a.trim())),
            None => (directive, None),
        };
        let expanded = match (name, arg, subject) {
            ("schema", None, Subject::Provider) => {
                render_schema(&provider::schema()).map_err(fail)?
            }
            (
                "schema",
                None,
                Subject::Resource(s, _) | Subject::DataSource(s) | Subject::ListResource(s),
            ) => render_schema(s).map_err(fail)?,
            ("identity", None, Subject::Resource(_, Some(identity))) => render_identity(identity),
            ("description", None, Subject::Provider) => provider::schema().description,
            (
                "description",
                None,
                Subject::Resource(s, _) | Subject::DataSource(s) | Subject::ListResource(s),
            ) => s.description.clone(),
            (
                "type_name",
                None,
                Subject::Resource(..) | Subject::DataSource(_) | Subject::ListResource(_),
            ) => type_name.clone(),
            ("environment", None, Subject::Provider) => {
                render_environment(&provider::schema()).map_err(fail)?
            }
            ("example", Some(arg), _) => {
                let file = arg
                    .strip_prefix('"')
                    .and_then(|a| a.strip_suffix('"'))
                    .ok_or_else(|| fail(format!("example takes a quoted path, got {arg}")))?;
                render_example(root, file).map_err(fail)?
            }
            _ => {
                return Err(fail(format!(
                    "`{{{{ {directive} }}}}` is not a directive this page can use"
                )))
            }
        };
        out.push_str(expanded.trim_end_matches('\n'));
    }
    out.push_str(rest);
    let mut out = mark_generated(&out, &template);
    while out.ends_with("\n\n") {
        out.pop();
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// `domo_user` for `resources/user.md.tmpl`.
fn type_name_of(rel: &str) -> String {
    let stem = output_path(rel);
    let name = stem.rsplit('/').next().unwrap_or(&stem);
    format!("{TYPE_PREFIX}{}", name.trim_end_matches(".md"))
}

/// Adds a note for contributors after the front matter (the registry needs
/// the front matter first).
fn mark_generated(text: &str, template: &str) -> String {
    let note = format!(
        "<!-- Generated by `cargo run --bin gen-docs` from {template}; edit the template, not this file. -->\n"
    );
    if let Some(body) = text.strip_prefix("---\n") {
        if let Some(end) = body.find("\n---\n") {
            let (front, after) = body.split_at(end + "\n---\n".len());
            return format!("---\n{front}{note}{after}");
        }
    }
    format!("{note}\n{text}")
}

fn render_example(root: &Path, file: &str) -> Result<String, String> {
    let path = root.join(file);
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read example {file}: {e}"))?;
    let lang = match Path::new(file).extension().and_then(|e| e.to_str()) {
        // Configuration, and query files (`.tfquery.hcl`).
        Some("tf" | "hcl") => "terraform",
        Some("sh") => "shell",
        Some("json") => "json",
        _ => "",
    };
    Ok(format!("```{lang}\n{}\n```\n", text.trim_end()))
}

/// Argument reference (required, optional) and attribute reference
/// (read-only), with a nested section for each object-typed attribute.
pub fn render_schema(schema: &Schema) -> Result<String, String> {
    let mut out = String::from("## Schema\n");
    let mut nested_sections = String::new();
    for title in SECTIONS {
        let attrs: Vec<_> = schema
            .attributes
            .iter()
            .filter(|a| section_of(a) == title)
            .collect();
        if attrs.is_empty() {
            continue;
        }
        let _ = write!(out, "\n### {title}\n\n");
        for a in attrs {
            out.push_str(&attribute_line(a, "", &mut nested_sections)?);
        }
    }
    out.push_str(&nested_sections);
    Ok(out)
}

const SECTIONS: [&str; 3] = ["Required", "Optional", "Read-Only"];

/// A resource's identity: its attributes, by what an import block must
/// give.
pub fn render_identity(identity: &IdentitySchema) -> String {
    let mut out = String::from("### Identity Schema\n");
    for (title, required) in [
        ("Required for import", true),
        ("Optional for import", false),
    ] {
        let attrs: Vec<_> = identity
            .attributes
            .iter()
            .filter(|a| (a.mode == Mode::Required) == required)
            .collect();
        if attrs.is_empty() {
            continue;
        }
        let _ = write!(out, "\n{title}:\n\n");
        for a in attrs {
            let _ = writeln!(
                out,
                "- `{}` ({}) {}",
                a.name,
                a.ty.display_name(),
                one_line(&a.description)
            );
        }
    }
    out
}

/// One attribute's line; an object-typed attribute also gets its nested
/// section (appended to `nested_sections`), anchored under `parent`.
fn attribute_line(
    a: &Attribute,
    parent: &str,
    nested_sections: &mut String,
) -> Result<String, String> {
    let flags = if a.sensitive { ", Sensitive" } else { "" };
    // A dynamic attribute read as a map of objects (see `DynamicMap`) is
    // described as what it holds.
    let map_of_objects = a.ty == AttrType::Dynamic && !a.fields.is_empty();
    let type_name = if map_of_objects {
        "Map of Object".to_owned()
    } else {
        a.ty.display_name()
    };
    let mut line = format!(
        "- `{}` ({type_name}{flags}) {}",
        a.name,
        one_line(&a.description)
    );
    if object_fields(&a.ty).is_some() || map_of_objects {
        if a.fields.is_empty() {
            return Err(format!(
                "{}: its object fields have no descriptions",
                a.name
            ));
        }
        let anchor = format!("{parent}nestedatt--{}", a.name);
        let _ = write!(line, " (see [below for nested schema](#{anchor}))");
        let _ = write!(
            nested_sections,
            "\n<a id=\"{anchor}\"></a>\n### Nested Schema for `{}`\n",
            a.name
        );
        let mut deeper = String::new();
        for title in SECTIONS {
            // Everything inside an attribute the provider computes is read-only.
            let in_section = |f: &&Attribute| {
                let section = if a.mode == Mode::Computed {
                    "Read-Only"
                } else {
                    section_of(f)
                };
                section == title
            };
            let fields: Vec<_> = a.fields.iter().filter(in_section).collect();
            if fields.is_empty() {
                continue;
            }
            let _ = write!(nested_sections, "\n{title}:\n\n");
            for field in fields {
                nested_sections.push_str(&attribute_line(
                    field,
                    &format!("{anchor}--"),
                    &mut deeper,
                )?);
            }
        }
        nested_sections.push_str(&deeper);
    }
    line.push('\n');
    Ok(line)
}

fn section_of(a: &Attribute) -> &'static str {
    match a.mode {
        Mode::Required => "Required",
        Mode::Optional | Mode::OptionalComputed => "Optional",
        Mode::Computed => "Read-Only",
    }
}

/// The fields of an object, or of the objects in a list, set or map.
fn object_fields(ty: &AttrType) -> Option<&[(&'static str, AttrType)]> {
    match ty {
        AttrType::Object(fields) => Some(fields),
        AttrType::List(inner) | AttrType::Set(inner) | AttrType::Map(inner) => object_fields(inner),
        _ => None,
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A table of provider settings and the environment variable each falls
/// back to, read from the descriptions (which Terraform shows too).
fn render_environment(schema: &Schema) -> Result<String, String> {
    let mut out = String::from("| Setting | Environment variable | Sensitive |\n|---|---|---|\n");
    for a in &schema.attributes {
        let var = env_var_in(&a.description)
            .ok_or_else(|| format!("provider setting {} names no environment variable", a.name))?;
        let _ = writeln!(
            out,
            "| `{}` | `{var}` | {} |",
            a.name,
            if a.sensitive { "yes" } else { "no" }
        );
    }
    Ok(out)
}

/// The first backquoted `DOMO_...` name in a description.
fn env_var_in(description: &str) -> Option<&str> {
    description.split('`').skip(1).step_by(2).find(|s| {
        s.starts_with("DOMO_")
            && s.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_sections_and_nested_objects() {
        let mut items = Attribute::new(
            "items",
            AttrType::List(Box::new(AttrType::Object(vec![("id", AttrType::String)]))),
            Mode::Computed,
            "The items.",
        );
        let mut schema = Schema {
            version: 0,
            description: "D.".into(),
            attributes: vec![
                Attribute::new("name", AttrType::String, Mode::Required, "The name."),
                Attribute::new("secret", AttrType::String, Mode::Optional, "Shh.").sensitive(),
                items.clone(),
            ],
        };
        let err = render_schema(&schema).unwrap_err();
        assert!(err.contains("items"), "{err}");
        items.fields = vec![Attribute::new(
            "id",
            AttrType::String,
            Mode::OptionalComputed,
            "The id.",
        )];
        schema.attributes[2] = items;
        let md = render_schema(&schema).unwrap();
        assert!(
            md.contains("### Required\n\n- `name` (String) The name.\n"),
            "{md}"
        );
        assert!(md.contains("- `secret` (String, Sensitive) Shh."), "{md}");
        assert!(md.contains("### Read-Only\n\n- `items` (List of Object) The items. (see [below for nested schema](#nestedatt--items))"), "{md}");
        assert!(
            md.contains("### Nested Schema for `items`\n\nRead-Only:\n\n- `id` (String) The id.\n"),
            "{md}"
        );
    }

    #[test]
    fn environment_table_names_every_variable() {
        let table = render_environment(&provider::schema()).unwrap();
        assert!(
            table.contains("| `client_secret` | `DOMO_CLIENT_SECRET` | yes |"),
            "{table}"
        );
        assert!(
            table.contains("| `api_host` | `DOMO_API_HOST` | no |"),
            "{table}"
        );
        assert_eq!(env_var_in("Set `x` or `DOMO_A_1`."), Some("DOMO_A_1"));
        assert_eq!(env_var_in("No variable."), None);
    }

    #[test]
    fn directives_expand_and_unknown_ones_fail() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("examples")).unwrap();
        std::fs::write(dir.path().join("examples/x.tf"), "a = 1\n\n").unwrap();
        let text =
            "---\npage_title: t\n---\n\n# {{ type_name }}\n\n{{ example \"examples/x.tf\" }}\n";
        let out = render_template(
            dir.path(),
            "resources/user.md.tmpl",
            text,
            &Subject::Nothing,
        )
        .unwrap_err()
        .to_string();
        assert!(out.contains("type_name"), "{out}");
        let text = "---\npage_title: t\n---\n\n# T\n\n{{ example \"examples/x.tf\" }}\n";
        let out = render_template(dir.path(), "guides/g.md.tmpl", text, &Subject::Nothing).unwrap();
        assert!(
            out.starts_with("---\npage_title: t\n---\n<!-- Generated"),
            "{out}"
        );
        assert!(out.contains("```terraform\na = 1\n```\n"), "{out}");
        assert!(out.ends_with("```\n"), "{out}");
        let bad = render_template(dir.path(), "g.md.tmpl", "{{ schema", &Subject::Nothing);
        assert!(bad.is_err());
    }

    #[test]
    fn a_resource_with_an_identity_must_document_it() {
        let registry = Registry::default();
        let user = registry.resource("domo_user").unwrap();
        let subject = Subject::Resource(user.schema().clone(), user.identity_schema().cloned());
        let dir = tempfile::tempdir().unwrap();
        let page = "---\npage_title: t\n---\n\n# {{ type_name }}\n";
        let err = render_template(dir.path(), "resources/user.md.tmpl", page, &subject)
            .unwrap_err()
            .to_string();
        assert!(err.contains("{{ identity }}"), "{err}");
        let page = format!("{page}\n{{{{ identity }}}}\n");
        let out = render_template(dir.path(), "resources/user.md.tmpl", &page, &subject).unwrap();
        assert!(
            out.contains("### Identity Schema\n\nRequired for import:\n\n- `id` (String) "),
            "{out}"
        );
    }

    #[test]
    fn paths_map_to_types() {
        assert_eq!(output_path("resources/user.md.tmpl"), "resources/user.md");
        assert_eq!(type_name_of("data-sources/users.md.tmpl"), "domo_users");
        assert_eq!(
            page_for("data-sources", "domo_users"),
            "data-sources/users.md"
        );
    }
}
