//! Acceptance tests: real Terraform + the built provider + the simulator,
//! through the whole `domo_user` lifecycle, under each of the simulator's
//! readings of what Domo's documentation leaves open.

mod common;

use std::time::Duration;

use common::terraform::{plan_counts, Workspace};
use terraform_provider_domo::sim::{SimConfig, Simulator};

const TWO_USERS: &str = r#"
resource "domo_user" "ada" {
  name            = "Ada Lovelace"
  email           = "Ada.Lovelace@Example.com"
  role            = "Admin"
  title           = "Analyst"
  alternate_email = "ada@home.example.org"
  phone           = "+44 20 7946 0000"
  location        = "London"
  timezone        = "Europe/London"
  locale          = "en-GB"
  employee_number = "1815"
  send_invite     = false
}

resource "domo_user" "grace" {
  name  = "Grace Hopper"
  email = "grace.hopper@example.com"
  role  = "Participant"
}
"#;

/// The lifecycle every simulator reading must pass.
async fn lifecycle(config: SimConfig) {
    let sim = Simulator::start(config).await.expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);

    // Create two users, one with every attribute.
    ws.write_config(TWO_USERS);
    ws.apply().await.expect_code(0, "create");
    assert_eq!(store.users().len(), 2);
    let ada_id = ws.state_attr("domo_user.ada", "id").await.unwrap();
    let ada_id: u64 = ada_id.as_str().unwrap().parse().unwrap();
    let grace_id: u64 = ws
        .state_attr("domo_user.grace", "id")
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let ada = store.user(ada_id).expect("ada in Domo");
    assert_eq!(ada.title.as_deref(), Some("Analyst"));
    assert_eq!(
        ada.timezone.as_deref(),
        Some("Europe/London"),
        "timezone reaches Domo"
    );
    assert_eq!(ada.employee_number.as_deref(), Some("1815"));
    // State keeps the configured spelling, whatever Domo did to it.
    assert_eq!(
        ws.state_attr("domo_user.ada", "email").await.unwrap(),
        "Ada.Lovelace@Example.com"
    );
    ws.plan()
        .await
        .expect_code(0, "plan right after create is clean");

    // Change title and role: one in-place update.
    ws.write_config(
        &TWO_USERS
            .replace("\"Analyst\"", "\"Lead Analyst\"")
            .replace(
                "role            = \"Admin\"",
                "role            = \"Privileged\"",
            ),
    );
    let plan = ws.plan().await.expect_code(2, "plan with changes");
    assert_eq!(plan_counts(&plan.stdout), Some((0, 1, 0)), "{}", plan.all());
    ws.apply().await.expect_code(0, "update");
    let ada = store.user(ada_id).unwrap();
    assert_eq!(
        (ada.title.as_deref(), ada.role.as_str()),
        (Some("Lead Analyst"), "Privileged")
    );
    ws.plan().await.expect_code(0, "plan after update is clean");

    // Someone edits Grace in Domo: drift is one change.
    assert!(store.edit_user(grace_id, |u| u.title = Some("Rear Admiral".into())));
    let plan = ws.plan().await.expect_code(2, "drift");
    assert_eq!(plan_counts(&plan.stdout), Some((0, 1, 0)), "{}", plan.all());

    // Someone deletes Ada in Domo: she is planned for creation again.
    assert!(store.mark_deleted(ada_id));
    let plan = ws.plan().await.expect_code(2, "deleted outside Terraform");
    let (add, change, destroy) = plan_counts(&plan.stdout).expect("plan line");
    assert_eq!((add, change, destroy), (1, 1, 0), "{}", plan.all());
    assert!(
        plan.all().contains("no longer exists"),
        "warning names the gone user\n{}",
        plan.all()
    );
    ws.apply().await.expect_code(0, "repair");
    assert_eq!(store.users().len(), 2);
    assert_eq!(store.user(grace_id).unwrap().title, None, "drift undone");
    ws.plan().await.expect_code(0, "clean after repair");

    // Import both into a fresh state: by id, and by email in another case.
    let ada_id: u64 = ws
        .state_attr("domo_user.ada", "id")
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let fresh = Workspace::new(&sim);
    fresh.write_config(
        &TWO_USERS
            .replace("\"Analyst\"", "\"Lead Analyst\"")
            .replace(
                "role            = \"Admin\"",
                "role            = \"Privileged\"",
            ),
    );
    fresh
        .run(&[
            "import",
            "-input=false",
            "-no-color",
            "domo_user.ada",
            &ada_id.to_string(),
        ])
        .await
        .expect_code(0, "import by id");
    fresh
        .run(&[
            "import",
            "-input=false",
            "-no-color",
            "domo_user.grace",
            "email:Grace.Hopper@EXAMPLE.com",
        ])
        .await
        .expect_code(0, "import by email");
    assert_eq!(
        fresh
            .state_attr("domo_user.grace", "id")
            .await
            .unwrap()
            .as_str()
            .unwrap(),
        grace_id.to_string()
    );
    // Domo never returns timezone and locale, so an imported user cannot
    // know them: the plan says it will set them, and nothing else.
    let plan = fresh.plan().await.expect_code(2, "plan after import");
    assert_eq!(plan_counts(&plan.stdout), Some((0, 1, 0)), "{}", plan.all());
    assert!(
        plan.stdout.contains("timezone") && plan.stdout.contains("locale"),
        "{}",
        plan.all()
    );
    assert!(
        !plan.stdout.contains("# domo_user.grace"),
        "grace imports clean\n{}",
        plan.all()
    );
    fresh.apply().await.expect_code(0, "apply after import");
    fresh.plan().await.expect_code(0, "clean after import");

    fresh.destroy().await.expect_code(0, "destroy");
    assert!(
        store.users().is_empty(),
        "the simulator holds no users: {:?}",
        store.users()
    );
    // The first workspace's state is now stale: destroying already-gone
    // users succeeds.
    ws.destroy()
        .await
        .expect_code(0, "destroy of already-deleted users");
    assert!(ws.state_list().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_default_simulator() {
    lifecycle(SimConfig::default()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_duplicate_email_answers_400_and_put_has_no_body() {
    lifecycle(SimConfig {
        duplicate_email_status: 400,
        put_returns_body: false,
        ..SimConfig::default()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_domo_lower_cases_emails() {
    lifecycle(SimConfig {
        lowercase_emails: true,
        ..SimConfig::default()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_under_rate_limits_and_server_errors() {
    lifecycle(SimConfig {
        rate_limit_per_second: Some(8),
        retry_after_header: false,
        error_rate: 0.05,
        ..SimConfig::default()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_with_retry_after_and_replication_lag() {
    lifecycle(SimConfig {
        rate_limit_per_second: Some(8),
        retry_after_header: true,
        read_after_create_404: Duration::from_millis(1500),
        ..SimConfig::default()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_role_and_bad_email_fail_at_plan_without_calling_domo() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let ws = Workspace::new(&sim);
    ws.write_config(
        r#"
resource "domo_user" "x" {
  name  = "X"
  email = "not-an-email"
  role  = "admin"
}
"#,
    );
    let out = ws.plan().await.expect_code(1, "invalid config");
    let all = out.all();
    assert!(all.contains("Invalid Domo role"), "{all}");
    assert!(all.contains("Admin, Privileged, Participant"), "{all}");
    assert!(all.contains("Invalid email address"), "{all}");
    // Terraform shows the attribute the diagnostic points at.
    assert!(all.contains("role  = \"admin\""), "{all}");
    assert!(all.contains("email = \"not-an-email\""), "{all}");
    let stats = sim.store().stats();
    assert_eq!(
        (stats.total_api_requests, stats.token_requests),
        (0, 0),
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_fail_with_a_clear_message() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let ws = Workspace::with_credentials(&sim, "sim-client", "wrong-secret");
    ws.write_config(TWO_USERS);
    let out = ws.apply().await.expect_code(1, "bad credentials");
    let all = out.all();
    assert!(all.contains("rejected the API client credentials"), "{all}");
    assert!(all.contains("client_secret"), "{all}");
    assert!(sim.store().users().is_empty());
    assert!(ws.state_list().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_email_creates_one_and_explains_the_other() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let ws = Workspace::new(&sim);
    ws.write_config(
        r#"
resource "domo_user" "first" {
  name  = "First"
  email = "same@example.com"
  role  = "Participant"
}

resource "domo_user" "second" {
  name  = "Second"
  email = "SAME@example.com"
  role  = "Participant"
}
"#,
    );
    let out = ws
        .run(&[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-parallelism=1",
        ])
        .await;
    assert_eq!(out.code, 1, "{}", out.all());
    let all = out.all();
    assert!(all.contains("already exists"), "{all}");
    assert!(all.contains("terraform import"), "{all}");
    let users = sim.store().users();
    assert_eq!(users.len(), 1, "{users:?}");
    let in_state = ws.state_list().await;
    assert_eq!(in_state.len(), 1, "{in_state:?}");
    let id = ws.state_attr(&in_state[0], "id").await.unwrap();
    assert_eq!(
        id.as_str().unwrap(),
        users[0].id.to_string(),
        "state matches Domo"
    );
    assert!(
        all.contains(&format!("terraform import 'ADDRESS' {}", users[0].id)),
        "{all}"
    );
}
