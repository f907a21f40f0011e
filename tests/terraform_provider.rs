//! The provider as real Terraform sees it: it validates, plans and reports
//! its schema through the genuine CLI (dev_overrides).

mod common;

use common::terraform::{Workspace, SOURCE};
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
