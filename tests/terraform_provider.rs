//! The provider as real Terraform sees it: it validates, plans and reports
//! its schema through the genuine CLI (dev_overrides).

mod common;

use common::terraform::{
    parse_version, terraform_at_least, terraform_path, terraform_version, Workspace, SOURCE,
};
use terraform_provider_domo::sim::{SimConfig, Simulator};

#[tokio::test(flavor = "multi_thread")]
async fn terraform_validates_plans_and_reads_the_schema() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let ws = Workspace::new(&sim);
    // A provider block with explicit settings (credentials from the env).
    std::fs::write(
        ws.path().join("main.tf"),
        format!(
            r#"terraform {{
  required_providers {{
    domo = {{
      source = "{SOURCE}"
    }}
  }}
}}

provider "domo" {{
  api_host                = "{}"
  scope                   = "user"
  max_retries             = 3
  request_timeout         = "20s"
  max_requests_per_minute = 600
}}
"#,
            sim.base_url()
        ),
    )
    .unwrap();

    let validate = ws
        .run(&["validate", "-no-color"])
        .await
        .expect_code(0, "validate");
    assert!(
        validate.stdout.contains("The configuration is valid"),
        "{}",
        validate.all()
    );

    let plan = ws.plan().await.expect_code(0, "plan");
    assert!(plan.stdout.contains("No changes"), "{}", plan.all());

    let schema = ws
        .run(&["providers", "schema", "-json"])
        .await
        .expect_code(0, "schema");
    let json: serde_json::Value = serde_json::from_str(&schema.stdout).expect("schema JSON");
    let ours = &json["provider_schemas"]["registry.terraform.io/tf-domo/domo"];
    let provider = &ours["provider"]["block"]["attributes"];
    assert_eq!(provider["client_secret"]["sensitive"], true);
    assert_eq!(provider["api_host"]["type"], "string");
    assert_eq!(provider["max_retries"]["type"], "number");
    assert!(provider["client_id"]["description"]
        .as_str()
        .unwrap()
        .contains("DOMO_CLIENT_ID"));
    let user = &ours["resource_schemas"]["domo_user"]["block"]["attributes"];
    assert_eq!(user["email"]["required"], true);
    assert_eq!(user["id"]["computed"], true);
    assert_eq!(user["send_invite"]["type"], "bool");
    assert_eq!(user["send_invite"]["optional"], true);

    // Nothing reached Domo: validation and an empty plan need no API.
    assert_eq!(sim.store().stats().total_api_requests, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_provider_settings_fail_validation_at_the_attribute() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let ws = Workspace::new(&sim);
    std::fs::write(
        ws.path().join("main.tf"),
        format!(
            "terraform {{\n  required_providers {{\n    domo = {{ source = \"{SOURCE}\" }}\n  }}\n}}\n\nprovider \"domo\" {{\n  api_host        = \"api.domo.com\"\n  request_timeout = \"soon\"\n}}\n\nresource \"domo_user\" \"x\" {{\n  name  = \"X\"\n  email = \"x@example.com\"\n  role  = \"Participant\"\n}}\n"
        ),
    )
    .unwrap();
    let out = ws.plan().await.expect_code(1, "invalid provider block");
    let all = out.all();
    assert!(all.contains("Invalid api_host"), "{all}");
    assert!(all.contains("Invalid request_timeout"), "{all}");
    assert!(
        all.contains("api_host        = \"api.domo.com\""),
        "points at the attribute: {all}"
    );
    assert_eq!(sim.store().stats().total_api_requests, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_credentials_name_the_attribute_and_the_variable() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let mut ws = Workspace::new(&sim);
    ws.set_env("DOMO_CLIENT_ID", "");
    ws.set_env("DOMO_CLIENT_SECRET", "");
    ws.write_config("resource \"domo_user\" \"x\" {\n  name  = \"X\"\n  email = \"x@example.com\"\n  role  = \"Participant\"\n}\n");
    let out = ws.plan().await.expect_code(1, "no credentials");
    let all = out.all();
    assert!(
        all.contains("DOMO_CLIENT_ID") && all.contains("client_id"),
        "{all}"
    );
    assert!(all.contains("DOMO_CLIENT_SECRET"), "{all}");
}

/// Real Terraform over the TCP transport (what go-plugin uses on Windows,
/// forced here with `DOMO_PLUGIN_TRANSPORT=tcp`): every provider process
/// Terraform started announced TCP on loopback (its log, which Terraform
/// keeps, says what the handshake line said), no unix socket exists for
/// Terraform to use instead, and a user's lifecycle works.
#[tokio::test(flavor = "multi_thread")]
async fn terraform_drives_the_provider_over_tcp() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let mut ws = Workspace::new(&sim);
    let log = ws.path().join("terraform.log");
    ws.set_env("DOMO_PLUGIN_TRANSPORT", "tcp");
    ws.set_env("TF_LOG", "debug");
    ws.set_env("TF_LOG_PATH", &log.display().to_string());
    ws.write_config(
        r#"
resource "domo_user" "ada" {
  name  = "Ada Lovelace"
  email = "ada@example.com"
  role  = "Editor"
}
"#,
    );
    ws.apply().await.expect_code(0, "apply over tcp");
    assert_eq!(store.users().len(), 1);
    ws.plan().await.expect_code(0, "clean over tcp");
    let text = std::fs::read_to_string(&log).expect("Terraform's log");
    let announced: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("provider serving"))
        .collect();
    assert!(!announced.is_empty(), "no provider started?");
    assert!(
        announced
            .iter()
            .all(|line| line.contains("network=tcp") && line.contains("address=127.0.0.1:")),
        "{announced:#?}"
    );
    ws.destroy().await.expect_code(0, "destroy over tcp");
    assert!(store.users().is_empty());
}

/// `terraform_version()`, which tests of newer Terraform features gate on,
/// names the Terraform in use: the one `terraform version` names.
#[test]
fn the_version_helper_names_the_terraform_in_use() {
    let (major, minor, patch) = terraform_version();
    let out = std::process::Command::new(terraform_path())
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("run terraform version");
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or_default();
    eprintln!("Terraform in use: {first}");
    assert!(
        first == format!("Terraform v{major}.{minor}.{patch}")
            || first.starts_with(&format!("Terraform v{major}.{minor}.{patch}-")),
        "terraform_version() = {:?}, `terraform version` says {first:?}",
        (major, minor, patch)
    );
    assert!(major >= 1, "protocol 6 needs Terraform 1.0 or later");
    assert!(terraform_at_least((1, 0, 0), "anything"));
    assert!(!terraform_at_least((major + 1, 0, 0), "a future release"));

    assert_eq!(parse_version("1.15.5"), Some((1, 15, 5)));
    assert_eq!(parse_version("1.0.3"), Some((1, 0, 3)));
    assert_eq!(parse_version("1.16.0-beta1"), Some((1, 16, 0)));
    assert_eq!(parse_version("1.16"), None);
    assert_eq!(parse_version("1.2.3.4"), None);
}
