//! The registry docs in `docs/` are generated from the schemas, templates
//! and examples; these tests fail when the committed files have drifted
//! from what the generator renders, and when an example is not
//! `terraform fmt`-clean or not valid against the provider's schemas.

mod common;

use std::path::Path;

use common::terraform::{terraform_path, terraform_version, Workspace, SOURCE};
use terraform_provider_domo::docs;
use terraform_provider_domo::sim::{SimConfig, Simulator};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_docs_match_the_schemas() {
    let pages = docs::generate(root()).unwrap_or_else(|e| panic!("rendering the docs: {e}"));
    let differences = docs::differences(root(), &pages).expect("compare with docs/");
    assert!(
        differences.is_empty(),
        "docs/ is out of date with the provider's schemas, templates/ or examples/:\n  {}\n\
         Run `cargo run --bin gen-docs` and commit the result.",
        differences.join("\n  ")
    );
}

#[test]
fn docs_cover_every_type_and_the_registry_layout() {
    let pages = docs::generate(root()).expect("render");
    let paths: Vec<_> = pages.iter().map(|p| p.path.as_str()).collect();
    for wanted in [
        "index.md",
        "resources/user.md",
        "data-sources/user.md",
        "data-sources/users.md",
        "guides/import-existing-instance.md",
        "resources/group.md",
        "resources/group_members.md",
        "resources/group_membership.md",
        "data-sources/group.md",
        "data-sources/groups.md",
        "guides/groups-and-access.md",
        "guides/query-existing-instance.md",
        "list-resources/user.md",
        "list-resources/group.md",
    ] {
        assert!(paths.contains(&wanted), "{wanted} missing from {paths:?}");
    }
    let page = |p: &str| &pages.iter().find(|x| x.path == p).expect(p).content;
    for p in &pages {
        assert!(
            p.content.starts_with("---\npage_title: "),
            "{} lacks registry front matter",
            p.path
        );
        assert!(
            !p.content.contains("{{"),
            "{}: unexpanded directive",
            p.path
        );
    }
    // The references come from the schemas: spot-check a few lines.
    assert!(page("index.md").contains("| `client_secret` | `DOMO_CLIENT_SECRET` | yes |"));
    assert!(page("index.md").contains("- `client_secret` (String, Sensitive)"));
    assert!(page("resources/user.md").contains("### Required\n\n- `name` (String)"));
    assert!(page("resources/user.md").contains("terraform import domo_user.analyst email:"));
    assert!(page("data-sources/users.md").contains("### Nested Schema for `users`"));
    assert!(page("data-sources/user.md").contains("### Optional\n\n- `id` (String)"));
    assert!(page("resources/user.md")
        .contains("### Identity Schema\n\nRequired for import:\n\n- `id` (String)"));
    assert!(page("resources/group_membership.md").contains("- `user_id` (String)"));
    assert!(!page("resources/user_roster.md").contains("### Identity Schema"));
    assert!(page("list-resources/user.md").contains("### Optional\n\n- `email_domain` (String)"));
    assert!(page("list-resources/group.md").contains("- `name_prefix` (String)"));
}

#[test]
fn examples_are_terraform_fmt_clean() {
    let out = std::process::Command::new(terraform_path())
        .args([
            "fmt",
            "-check",
            "-recursive",
            "-diff",
            "-no-color",
            "examples",
        ])
        .current_dir(root())
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("run terraform fmt");
    assert!(
        out.status.success(),
        "`terraform fmt -check -recursive examples` found unformatted files (run `terraform fmt -recursive examples`):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A query file (`terraform query`, Terraform 1.14 and later).
fn is_query_file(path: &Path) -> bool {
    path.to_string_lossy().ends_with(".tfquery.hcl")
}

/// The Terraform a configuration file needs, when newer than 1.0: import
/// blocks by identity need 1.12; a stated `required_version` its version.
fn needs(text: &str) -> Option<(u32, u32, u32)> {
    if text.contains("required_version = \">= 1.14\"") {
        return Some((1, 14, 0));
    }
    text.contains("identity = {").then_some((1, 12, 0))
}

/// Directories under `examples/` holding `.tf` or `.tfquery.hcl` files.
fn example_dirs(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut has_tf = false;
    for entry in std::fs::read_dir(dir).expect("read examples") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            example_dirs(&path, out);
        } else if path.extension().is_some_and(|e| e == "tf") || is_query_file(&path) {
            has_tf = true;
        }
    }
    if has_tf {
        out.push(dir.to_path_buf());
    }
}

/// `terraform validate` of every example directory against the built
/// provider: a misspelt attribute in an example (and so in the docs) fails.
/// Files for newer Terraforms (import blocks by identity, query files) are
/// validated where the Terraform in use has them (query files with
/// `validate -query`), and left out, saying so, where it does not.
#[tokio::test(flavor = "multi_thread")]
async fn examples_are_valid_configurations() {
    let version = terraform_version();
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let mut dirs = Vec::new();
    example_dirs(&root().join("examples"), &mut dirs);
    assert!(dirs.len() >= 5, "{dirs:?}");
    for dir in dirs {
        let ws = Workspace::new(&sim);
        let mut text = String::new();
        let mut queries = false;
        let mut left_out = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("read example dir") {
            let path = entry.expect("dir entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("file name")
                .to_owned();
            if path.extension().is_some_and(|e| e == "tf") {
                let file = std::fs::read_to_string(&path).expect("read example");
                if needs(&file).is_some_and(|needed| version < needed) {
                    left_out.push(name);
                    continue;
                }
                text.push_str(&file);
                text.push('\n');
            }
            if is_query_file(&path) {
                if version < (1, 14, 0) {
                    left_out.push(name);
                    continue;
                }
                ws.write_file(&name, &std::fs::read_to_string(&path).expect("read query"));
                queries = true;
            }
            // Data an example reads with file(), such as a CSV export.
            if path.extension().is_some_and(|e| e == "csv") {
                ws.write_file(&name, &std::fs::read_to_string(&path).expect("read data"));
            }
        }
        if !left_out.is_empty() {
            eprintln!(
                "not validated under Terraform {}.{}.{}: {} in {} (for a newer Terraform)",
                version.0,
                version.1,
                version.2,
                left_out.join(", "),
                dir.display()
            );
        }
        if text.is_empty() && !queries {
            continue;
        }
        // Registry examples leave out the provider requirement; add it.
        if !text.contains("required_providers") {
            text = format!(
                "terraform {{\n  required_providers {{\n    domo = {{\n      source = \"{SOURCE}\"\n    }}\n  }}\n}}\n\n{text}"
            );
        }
        ws.write_file("main.tf", &text);
        // The guide's managing configuration reads the inventory's output.
        if text.contains("users.json") {
            ws.write_file("users.json", "{}");
        }
        let args: &[&str] = if queries {
            &["validate", "-query", "-no-color"]
        } else {
            &["validate", "-no-color"]
        };
        let out = ws.run(args).await;
        assert_eq!(
            out.code,
            0,
            "{} is not a valid configuration:\n{}",
            dir.display(),
            out.all()
        );
    }
}
