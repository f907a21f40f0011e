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
    assert!(
        all.contains("Admin, Privileged, Editor, Participant, Social"),
        "{all}"
    );
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

const ONE_USER: &str = r#"
resource "domo_user" "ada" {
  name  = "Ada Lovelace"
  email = "ada@example.com"
  role  = "Participant"
  title = "Analyst"
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn update_of_a_user_deleted_after_planning_leaves_state_and_is_recreated_next() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    ws.write_config(ONE_USER);
    ws.apply().await.expect_code(0, "create");
    let id: u64 = ws
        .state_attr("domo_user.ada", "id")
        .await
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
        .expect("id in state");

    // Plan a change, then the user disappears before the plan is applied
    // (a saved plan is applied without refreshing).
    ws.write_config(&ONE_USER.replace("\"Analyst\"", "\"Lead Analyst\""));
    ws.run(&["plan", "-input=false", "-no-color", "-out=tfplan"])
        .await
        .expect_code(0, "plan the update");
    assert!(store.purge(id));
    let out = ws
        .run(&["apply", "-input=false", "-no-color", "tfplan"])
        .await
        .expect_code(1, "update of a user that is gone");
    let all = out.all();
    assert!(all.contains("Domo user no longer exists"), "{all}");
    assert!(all.contains(&id.to_string()), "{all}");
    // Terraform keeps the prior object after a failed update; the next
    // refresh finds it gone and plans it again.
    let plan = ws.plan().await.expect_code(2, "the user is planned again");
    assert_eq!(plan_counts(&plan.stdout), Some((1, 0, 0)), "{}", plan.all());
    assert!(plan.all().contains("no longer exists"), "{}", plan.all());
    ws.apply().await.expect_code(0, "recreate");
    assert_eq!(store.users().len(), 1);
}

/// A new address (a new surname, a domain change) is the same person: one
/// PUT to the same Domo user, never a delete and a create.
#[tokio::test(flavor = "multi_thread")]
async fn changing_email_updates_the_same_user_in_place() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    ws.write_config(ONE_USER);
    ws.apply().await.expect_code(0, "create");
    let id = ws.state_attr("domo_user.ada", "id").await.expect("id");

    ws.write_config(&ONE_USER.replace("ada@example.com", "ada.king@example.org"));
    let plan = ws.plan().await.expect_code(2, "an email change");
    assert_eq!(plan_counts(&plan.stdout), Some((0, 1, 0)), "{}", plan.all());
    store.reset_stats();
    ws.apply().await.expect_code(0, "apply the new email");
    let stats = store.stats();
    assert_eq!(
        (
            stats.create_requests,
            stats.update_requests,
            stats.delete_requests
        ),
        (0, 1, 0),
        "{stats:?}"
    );
    assert_eq!(ws.state_attr("domo_user.ada", "id").await, Some(id.clone()));
    let users = store.users();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].id.to_string(), id.as_str().unwrap_or_default());
    assert_eq!(users[0].email, "ada.king@example.org");
    assert_eq!(users[0].title.as_deref(), Some("Analyst"));
    ws.plan().await.expect_code(0, "clean after the change");
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_email_to_another_users_address_fails_at_the_attribute_and_changes_nothing() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    let grace = r#"
resource "domo_user" "grace" {
  name  = "Grace Hopper"
  email = "grace@example.com"
  role  = "Participant"
}
"#;
    ws.write_config(&format!("{ONE_USER}{grace}"));
    ws.apply().await.expect_code(0, "create both");
    let grace_id = ws
        .state_attr("domo_user.grace", "id")
        .await
        .expect("grace's id");

    ws.write_config(&format!(
        "{}{grace}",
        ONE_USER.replace("ada@example.com", "Grace@Example.com")
    ));
    let out = ws.apply().await.expect_code(1, "email taken");
    let all = out.all();
    assert!(
        all.contains("Email already used by another Domo user"),
        "{all}"
    );
    assert!(
        all.contains(&format!("(id {})", grace_id.as_str().unwrap_or_default())),
        "names the other user\n{all}"
    );
    // Terraform shows the attribute the diagnostic points at.
    assert!(all.contains("email = \"Grace@Example.com\""), "{all}");
    let mut emails: Vec<_> = store.users().into_iter().map(|u| u.email).collect();
    emails.sort();
    assert_eq!(emails, ["ada@example.com", "grace@example.com"]);
    assert_eq!(
        ws.state_attr("domo_user.ada", "email").await.unwrap(),
        "ada@example.com",
        "state keeps what Domo has"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn importing_a_user_that_does_not_exist_fails_clearly_and_imports_nothing() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let ws = Workspace::new(&sim);
    ws.write_config(ONE_USER);
    for (id, what) in [
        ("999999", "No Domo user with id 999999"),
        (
            "email:nobody@example.com",
            "No Domo user with email nobody@example.com",
        ),
    ] {
        let out = ws
            .run(&["import", "-input=false", "-no-color", "domo_user.ada", id])
            .await
            .expect_code(1, "import of nobody");
        let all = out.all();
        assert!(all.contains("Cannot import: no such Domo user"), "{all}");
        assert!(all.contains(what), "{all}");
    }
    assert!(ws.state_list().await.is_empty());
    assert_eq!(sim.store().stats().create_requests, 0);
}

/// Two users, one with a default role by name and one with a custom role
/// by id.
fn roles_config(editor_role: &str, custom_role_id: u64) -> String {
    format!(
        r#"
resource "domo_user" "ed" {{
  name  = "Ed Editor"
  email = "ed@example.com"
  role  = "{editor_role}"
}}

resource "domo_user" "aud" {{
  name    = "Aud Auditor"
  email   = "aud@example.com"
  role_id = {custom_role_id}
}}

output "roles" {{
  value = {{
    ed  = [domo_user.ed.role, domo_user.ed.role_id]
    aud = [domo_user.aud.role, domo_user.aud.role_id]
  }}
}}
"#
    )
}

/// Default and custom roles through create, update, drift and import,
/// whether or not Domo's user objects carry `roleId`, and whether Domo
/// takes only the documented role names (and ignores `roleId` on create)
/// or all of them.
async fn roles_lifecycle(config: SimConfig) {
    let return_role_id = config.return_role_id;
    let sim = Simulator::start(config).await.expect("simulator");
    let store = sim.store();
    store.define_role(101, "Auditor").unwrap();
    store.define_role(102, "Reviewer").unwrap();
    let ws = Workspace::new(&sim);
    let role_of = |id: u64| {
        let user = store.user(id).expect("user in Domo");
        (user.role, user.role_id)
    };

    ws.write_config(&roles_config("Editor", 101));
    ws.apply().await.expect_code(0, "create");
    let ed = ws.state_attr("domo_user.ed", "id").await.unwrap();
    let ed: u64 = ed.as_str().unwrap().parse().unwrap();
    let aud = ws.state_attr("domo_user.aud", "id").await.unwrap();
    let aud: u64 = aud.as_str().unwrap().parse().unwrap();
    assert_eq!(role_of(ed), ("Editor".to_string(), Some(3)));
    assert_eq!(role_of(aud), ("Auditor".to_string(), Some(101)));
    assert_eq!(
        ws.output("roles").await,
        serde_json::json!({"ed": ["Editor", 3], "aud": ["Auditor", 101]})
    );
    ws.plan().await.expect_code(0, "clean after create");

    // Update both: another default role by name, another custom role by id.
    ws.write_config(&roles_config("Social", 102));
    let plan = ws.plan().await.expect_code(2, "role changes");
    assert_eq!(plan_counts(&plan.stdout), Some((0, 2, 0)), "{}", plan.all());
    ws.apply().await.expect_code(0, "update");
    assert_eq!(role_of(ed), ("Social".to_string(), Some(5)));
    assert_eq!(role_of(aud), ("Reviewer".to_string(), Some(102)));
    assert_eq!(
        ws.output("roles").await,
        serde_json::json!({"ed": ["Social", 5], "aud": ["Reviewer", 102]})
    );
    ws.plan().await.expect_code(0, "clean after update");

    // Out of band: the default-role user gets a custom role, the
    // custom-role user a default one; both show and are set back.
    assert!(store.set_user_role(ed, 101));
    assert!(store.set_user_role(aud, 2));
    let plan = ws.plan().await.expect_code(2, "role drift");
    assert_eq!(plan_counts(&plan.stdout), Some((0, 2, 0)), "{}", plan.all());
    assert!(
        plan.stdout.contains("\"Auditor\" -> \"Social\""),
        "{}",
        plan.all()
    );
    ws.apply().await.expect_code(0, "undo the drift");
    assert_eq!(role_of(ed), ("Social".to_string(), Some(5)));
    assert_eq!(role_of(aud), ("Reviewer".to_string(), Some(102)));
    ws.plan()
        .await
        .expect_code(0, "clean after undoing the drift");

    // Out of band, from one custom role to another: only the name tells
    // when Domo leaves roleId out, and it is enough.
    assert!(store.set_user_role(aud, 101));
    let plan = ws.plan().await.expect_code(2, "custom role drift");
    assert_eq!(plan_counts(&plan.stdout), Some((0, 1, 0)), "{}", plan.all());
    assert!(plan.stdout.contains("role_id"), "{}", plan.all());
    ws.apply().await.expect_code(0, "undo");
    assert_eq!(role_of(aud), ("Reviewer".to_string(), Some(102)));
    ws.plan().await.expect_code(0, "clean again");

    // From a role set by id to a documented name, and back.
    ws.write_config(&roles_config("Participant", 102));
    ws.apply().await.expect_code(0, "to a documented role");
    assert_eq!(role_of(ed), ("Participant".to_string(), Some(4)));
    ws.write_config(&roles_config("Social", 102));
    ws.apply().await.expect_code(0, "back");
    assert_eq!(role_of(ed), ("Social".to_string(), Some(5)));
    ws.plan().await.expect_code(0, "clean after both ways");

    // Import the custom-role user into a fresh state. Without roleId from
    // Domo, its id cannot be read: the plan sets it once, as for timezone.
    let fresh = Workspace::new(&sim);
    // Without the output, which an import does not compute.
    let users_only = roles_config("Social", 102);
    let users_only = users_only.split("output").next().unwrap();
    fresh.write_config(users_only);
    for (address, id) in [("domo_user.ed", ed), ("domo_user.aud", aud)] {
        fresh
            .run(&[
                "import",
                "-input=false",
                "-no-color",
                address,
                &id.to_string(),
            ])
            .await
            .expect_code(0, "import");
    }
    if return_role_id {
        fresh.plan().await.expect_code(0, "clean after import");
    } else {
        let plan = fresh.plan().await.expect_code(2, "role_id after import");
        assert_eq!(plan_counts(&plan.stdout), Some((0, 1, 0)), "{}", plan.all());
        assert!(plan.stdout.contains("+ role_id"), "{}", plan.all());
        assert!(!plan.stdout.contains("# domo_user.ed"), "{}", plan.all());
        fresh.apply().await.expect_code(0, "apply after import");
        fresh.plan().await.expect_code(0, "clean after import");
    }
    fresh.destroy().await.expect_code(0, "destroy");
    assert!(store.users().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_default_and_custom_under_a_strict_domo_without_role_ids() {
    roles_lifecycle(SimConfig::default()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_default_and_custom_under_a_lenient_domo_with_role_ids() {
    roles_lifecycle(SimConfig::lenient()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn role_settings_are_checked_at_plan_pointing_at_the_attribute() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let ws = Workspace::new(&sim);
    ws.write_config(
        r#"
resource "domo_user" "owner" {
  name  = "O"
  email = "o@example.com"
  role  = "Owner"
}

resource "domo_user" "both" {
  name    = "B"
  email   = "b@example.com"
  role    = "Admin"
  role_id = 101
}

resource "domo_user" "neither" {
  name  = "N"
  email = "n@example.com"
}
"#,
    );
    let out = ws.plan().await.expect_code(1, "invalid roles");
    let all = out.all();
    let flat = out.flat();
    for expected in [
        "role = \"Owner\" is not one of Domo's default roles",
        "Admin, Privileged, Editor, Participant, Social",
        "set role_id to its numeric id instead",
        "Conflicting role settings",
        "No Domo role set",
    ] {
        assert!(flat.contains(expected), "{expected}\n{all}");
    }
    // Terraform shows the attribute each diagnostic points at.
    assert!(all.contains("role  = \"Owner\""), "{all}");
    assert!(all.contains("role_id = 101"), "{all}");
    let stats = sim.store().stats();
    assert_eq!(
        (stats.total_api_requests, stats.token_requests),
        (0, 0),
        "{stats:?}"
    );
}

fn numbered_users(ada_number: Option<&str>, grace_title: &str) -> String {
    let number = ada_number
        .map(|n| format!("  employee_number = \"{n}\"\n"))
        .unwrap_or_default();
    format!(
        r#"
resource "domo_user" "ada" {{
  name  = "Ada Lovelace"
  email = "ada@example.com"
  role  = "Admin"
{number}}}

resource "domo_user" "grace" {{
  name  = "Grace Hopper"
  email = "grace@example.com"
  role  = "Participant"
  title = "{grace_title}"
}}
"#
    )
}

/// Domo types employee numbers as integers: they travel as JSON numbers
/// (the strict simulator refuses strings, `""` included), a user without
/// one updates cleanly, and a number that is not digits fails at plan.
#[tokio::test(flavor = "multi_thread")]
async fn employee_numbers_travel_as_numbers_and_are_checked_at_plan() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    let number_of = |email: &str| {
        let user = store.users().into_iter().find(|u| u.email == email);
        user.expect("user in Domo").employee_number
    };

    ws.write_config(&numbered_users(Some("1815"), "Rear Admiral"));
    ws.apply().await.expect_code(0, "create");
    assert_eq!(number_of("ada@example.com").as_deref(), Some("1815"));
    assert_eq!(number_of("grace@example.com"), None);

    // An update of a user without an employee number.
    ws.write_config(&numbered_users(Some("1815"), "Commodore"));
    ws.apply().await.expect_code(0, "update grace");
    let grace = store
        .users()
        .into_iter()
        .find(|u| u.email == "grace@example.com");
    assert_eq!(grace.unwrap().title.as_deref(), Some("Commodore"));
    ws.plan().await.expect_code(0, "clean");

    // Cleared: null on the wire.
    ws.write_config(&numbered_users(None, "Commodore"));
    ws.apply().await.expect_code(0, "clear");
    assert_eq!(number_of("ada@example.com"), None);
    ws.plan().await.expect_code(0, "clean after clearing");

    // Not digits: refused at plan, pointing at the attribute; Domo unchanged.
    let before = store.stats();
    ws.write_config(&numbered_users(Some("E-7"), "Commodore"));
    let plan = ws.plan().await.expect_code(1, "bad employee number");
    let all = plan.flat();
    assert!(all.contains("Invalid employee number"), "{all}");
    assert!(all.contains("employee_number is \"E-7\""), "{all}");
    assert!(all.contains("domo_user.ada"), "{all}");
    let after = store.stats();
    assert_eq!(
        (after.create_requests, after.update_requests),
        (before.create_requests, before.update_requests)
    );
}

/// Domo refuses to delete a user who owns DataSets or Dataflows: the
/// apply fails saying who, quoting Domo and saying what to do; the user
/// stays in state and in Domo; once the content is transferred, the next
/// apply deletes it.
#[tokio::test(flavor = "multi_thread")]
async fn a_delete_refused_for_owned_content_keeps_the_user_until_transferred() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    ws.write_config(&numbered_users(None, "Commodore"));
    ws.apply().await.expect_code(0, "create");
    let ada: u64 = ws
        .state_attr("domo_user.ada", "id")
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(store.edit_user(ada, |user| user.owns_content = true));

    // Ada leaves the configuration.
    let grace_only = numbered_users(None, "Commodore");
    let grace_only = &grace_only[grace_only.find("resource \"domo_user\" \"grace\"").unwrap()..];
    ws.write_config(grace_only);
    let refused = ws.apply().await.expect_code(1, "refused delete");
    let all = refused.flat();
    assert!(all.contains("Domo refused to delete the user"), "{all}");
    assert!(
        all.contains(&format!("ada@example.com (id {ada})")),
        "{all}"
    );
    assert!(all.contains("owns DataSets or Dataflows"), "{all}");
    assert!(all.contains("terraform state rm"), "{all}");
    assert!(!store.user(ada).unwrap().deleted, "still in Domo");
    assert!(ws.state_list().await.contains(&"domo_user.ada".to_string()));
    ws.plan().await.expect_code(2, "still to delete");

    // The content is transferred in Domo: the delete goes through.
    assert!(store.edit_user(ada, |user| user.owns_content = false));
    ws.apply().await.expect_code(0, "delete after transfer");
    assert!(store.user(ada).is_none_or(|user| user.deleted));
    assert_eq!(ws.state_list().await, ["domo_user.grace"]);
    ws.plan().await.expect_code(0, "clean");
}

/// A user whose role cannot be given (the role does not exist yet): the
/// user is created and kept (a warning, not an error: Terraform would
/// replace, so delete, a new user whose create reports an error), the next
/// plan shows the role Domo holds, and once the role exists the next apply
/// gives it, without a second create.
#[tokio::test(flavor = "multi_thread")]
async fn a_user_created_without_its_role_is_kept_and_repaired_next_apply() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    ws.write_config(
        r#"
resource "domo_user" "aud" {
  name    = "Aud Auditor"
  email   = "aud@example.com"
  role_id = 150
}
"#,
    );
    let applied = ws.apply().await.expect_code(0, "role refused");
    let all = applied.flat();
    assert!(
        all.contains("Warning: Domo user created without its role"),
        "{all}"
    );
    assert!(
        all.contains("did not give it the role with id 150"),
        "{all}"
    );
    let users = store.users();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].role, "Participant");
    assert_eq!(
        ws.state_attr("domo_user.aud", "id").await,
        Some(serde_json::json!(users[0].id.to_string()))
    );

    // The plan tells the truth: Domo holds Participant (id 4).
    let plan = ws.plan().await.expect_code(2, "the role to repair");
    assert_eq!(plan_counts(&plan.stdout), Some((0, 1, 0)), "{}", plan.all());
    assert!(plan.flat().contains("role_id = 4 -> 150"), "{}", plan.all());
    store.define_role(150, "Auditor").unwrap();
    ws.apply().await.expect_code(0, "repair");
    assert_eq!(store.user(users[0].id).unwrap().role, "Auditor");
    assert_eq!(store.stats().create_requests, 1, "never created twice");
    ws.plan().await.expect_code(0, "clean");
}
