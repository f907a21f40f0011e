//! Logs users can debug with, and that are safe to share: real Terraform
//! runs a full lifecycle with `TF_LOG=TRACE`; every Domo request must be in
//! the log with method, path, status, attempt and duration, and neither the
//! client secret, nor the Basic credentials, nor any access token the
//! simulator issued may appear anywhere in it.

mod common;

use base64::Engine as _;
use common::terraform::{TfResult, Workspace, SOURCE};
use terraform_provider_domo::sim::{SimConfig, Simulator};

/// Distinctive, so that any occurrence in a log is a leak.
const CLIENT_ID: &str = "log-test-client";
const CLIENT_SECRET: &str = "s3cret-8d41c7f0-never-in-logs";

const CONFIG: &str = r#"
resource "domo_user" "ada" {
  name  = "Ada Lovelace"
  email = "ada@example.com"
  role  = "Admin"
  title = "TITLE"
}

data "domo_user" "ada" {
  email = domo_user.ada.email
}

data "domo_users" "admins" {
  role = "Admin"
}
"#;

fn sim_config() -> SimConfig {
    SimConfig {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        ..SimConfig::default()
    }
}

/// The provider's "Domo request" lines as Terraform wrote them, e.g.
/// `... [DEBUG] provider.terraform-provider-domo: Domo request: attempt=1
/// duration_ms=3 method=GET path=/v1/users status=200 ...`.
fn request_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("provider.terraform-provider-domo") && l.contains("Domo request"))
        .collect()
}

/// Whether some request line has all of these `key=value` fields.
fn logged(lines: &[&str], fields: &[&str]) -> bool {
    lines.iter().any(|l| {
        fields.iter().all(|f| {
            l.split_whitespace()
                .any(|w| w == *f || (f.ends_with('=') && w.starts_with(f)))
        })
    })
}

/// Everything a leak would look like, checked in `text`.
fn assert_no_secrets(text: &str, tokens: &[String], what: &str) {
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    assert!(
        !text.contains(CLIENT_SECRET),
        "{what} contains the client secret"
    );
    assert!(
        !text.contains(&basic),
        "{what} contains the Basic credentials"
    );
    for token in tokens {
        assert!(
            !text.contains(token.as_str()),
            "{what} contains an access token"
        );
    }
    let lower = text.to_ascii_lowercase();
    assert!(
        !lower.contains("authorization:") && !lower.contains("\"authorization\""),
        "{what} contains an Authorization header"
    );
    assert!(!lower.contains("bearer "), "{what} contains a bearer token");
}

#[tokio::test(flavor = "multi_thread")]
async fn trace_logs_show_every_request_and_no_secret() {
    let sim = Simulator::start(sim_config()).await.expect("simulator");
    let store = sim.store();
    let mut ws = Workspace::new(&sim);
    let log_path = ws.path().join("terraform.log");
    ws.set_env("TF_LOG", "TRACE");
    ws.set_env("TF_LOG_PATH", &log_path.display().to_string());

    // The credentials in the provider block this time (the other test
    // has them in the environment): configuration values pass through
    // Terraform's own logging too.
    let with_credentials = |body: &str| {
        format!(
            "terraform {{\n  required_providers {{\n    domo = {{\n      source = \"{SOURCE}\"\n    }}\n  }}\n}}\n\n\
             provider \"domo\" {{\n  client_id     = \"{CLIENT_ID}\"\n  client_secret = \"{CLIENT_SECRET}\"\n}}\n{body}"
        )
    };
    ws.set_env("DOMO_CLIENT_ID", "");
    ws.set_env("DOMO_CLIENT_SECRET", "");

    // Create, update, read, destroy.
    ws.write_file("main.tf", &with_credentials(CONFIG));
    let mut runs: Vec<TfResult> = vec![ws.apply().await.expect_code(0, "create")];
    ws.write_file(
        "main.tf",
        &with_credentials(&CONFIG.replace("TITLE", "Countess")),
    );
    runs.push(ws.apply().await.expect_code(0, "update"));
    runs.push(ws.destroy().await.expect_code(0, "destroy"));
    assert!(store.users().is_empty());

    let log = std::fs::read_to_string(&log_path).expect("TF_LOG_PATH file");
    let lines = request_lines(&log);
    assert!(
        !lines.is_empty(),
        "no provider request lines in the log:\n{}",
        &log[..log.len().min(4000)]
    );
    // One line per request, each with every field.
    for l in &lines {
        for field in ["method=", "path=", "attempt=", "duration_ms="] {
            assert!(l.contains(field), "{field} missing from {l}");
        }
    }
    let id = "/v1/users/";
    for expected in [
        &[
            "method=POST",
            "path=/oauth/token",
            "status=200",
            "attempt=1",
        ][..],
        &["method=POST", "path=/v1/users", "status=", "attempt=1"],
        &["method=GET", "path=/v1/users", "status=200"],
        &["method=PUT", "status=200"],
        &["method=DELETE", "status=204"],
    ] {
        assert!(
            logged(&lines, expected),
            "no request line with {expected:?} in:\n{}",
            lines.join("\n")
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("method=GET") && l.contains(id)),
        "no GET of one user:\n{}",
        lines.join("\n")
    );

    // Not in the log, nor in anything Terraform printed.
    let tokens = store.issued_tokens();
    assert!(!tokens.is_empty(), "the simulator issued no token");
    assert_no_secrets(&log, &tokens, "the TF_LOG=TRACE log");
    for run in &runs {
        assert_no_secrets(&run.all(), &tokens, "Terraform's output");
    }
}

/// `TF_LOG_PROVIDER` alone turns on the provider's logs (and not
/// Terraform's own), at the level it names.
#[tokio::test(flavor = "multi_thread")]
async fn tf_log_provider_alone_enables_provider_debug_logs() {
    let sim = Simulator::start(sim_config()).await.expect("simulator");
    let mut ws = Workspace::new(&sim);
    let log_path = ws.path().join("provider.log");
    ws.set_env("TF_LOG_PROVIDER", "DEBUG");
    ws.set_env("TF_LOG_PATH", &log_path.display().to_string());
    ws.write_config(CONFIG);
    let run = ws.apply().await.expect_code(0, "apply");
    ws.destroy().await.expect_code(0, "destroy");

    let log = std::fs::read_to_string(&log_path).expect("TF_LOG_PATH file");
    let lines = request_lines(&log);
    assert!(
        logged(&lines, &["method=POST", "path=/v1/users", "attempt=1"]),
        "{log}"
    );
    // Debug, not trace: the provider's trace events stay out.
    assert!(
        !log.lines()
            .any(|l| l.contains("provider.terraform-provider-domo") && l.contains("[TRACE]")),
        "{log}"
    );
    let tokens = sim.store().issued_tokens();
    assert_no_secrets(&log, &tokens, "the TF_LOG_PROVIDER log");
    assert_no_secrets(&run.all(), &tokens, "Terraform's output");
}
