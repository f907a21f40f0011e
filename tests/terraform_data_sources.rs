//! Acceptance tests of the data sources: real Terraform reads `domo_user`
//! and `domo_users` from the simulator, and the outputs are checked. Also
//! the guide's inventory-then-import flow, run as the guide describes it.

mod common;

use std::time::Instant;

use common::terraform::Workspace;
use serde_json::{json, Value};
use terraform_provider_domo::sim::{SimConfig, SimStore, SimUser, Simulator};

/// Four people across two domains and three roles, a deleted admin at
/// example.com, and five seeded participants at example.com. Returns the
/// ids of Ada, Grace and the deleted user.
fn seed(store: &SimStore) -> (u64, u64, u64) {
    let ada = store.insert_user(SimUser {
        name: "Ada Lovelace".into(),
        email: "Ada.Lovelace@Example.com".into(),
        role: "Admin".into(),
        title: Some("Analyst".into()),
        alternate_email: Some("ada@home.example.org".into()),
        phone: Some("+44 20 7946 0000".into()),
        location: Some("London".into()),
        employee_number: Some("1815".into()),
        ..SimUser::default()
    });
    let grace = store.insert_user(SimUser {
        name: "Grace Hopper".into(),
        email: "grace@navy.example.org".into(),
        role: "Privileged".into(),
        ..SimUser::default()
    });
    store.insert_user(SimUser {
        name: "Alan Turing".into(),
        email: "alan@EXAMPLE.com".into(),
        role: "Participant".into(),
        ..SimUser::default()
    });
    store.insert_user(SimUser {
        name: "Katherine Johnson".into(),
        email: "katherine@nasa.example.org".into(),
        role: "Admin".into(),
        ..SimUser::default()
    });
    let gone = store.insert_user(SimUser {
        name: "Gone Admin".into(),
        email: "gone@example.com".into(),
        role: "Admin".into(),
        ..SimUser::default()
    });
    assert!(store.mark_deleted(gone));
    store.seed_users(5);
    (ada, grace, gone)
}

fn emails(users: &Value) -> Vec<String> {
    users
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {users}"))
        .iter()
        .map(|u| u["email"].as_str().expect("email").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_users_by_email_by_id_and_with_filters() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let (ada, grace, gone) = seed(&store);
    let ws = Workspace::new(&sim);
    ws.write_config(&format!(
        r#"
data "domo_user" "by_email" {{
  email = "ada.lovelace@EXAMPLE.COM"
}}

data "domo_user" "by_id" {{
  id = "{grace}"
}}

data "domo_users" "all" {{}}

data "domo_users" "admins" {{
  role = "Admin"
}}

data "domo_users" "example_com" {{
  email_domain = "Example.COM"
}}

data "domo_users" "example_participants" {{
  role         = "Participant"
  email_domain = "example.com"
}}

output "by_email" {{
  value = data.domo_user.by_email
}}

output "by_id" {{
  value = data.domo_user.by_id
}}

output "all" {{
  value = data.domo_users.all.users
}}

output "admins" {{
  value = data.domo_users.admins.users
}}

output "example_com" {{
  value = data.domo_users.example_com.users
}}

output "example_participants" {{
  value = [for u in data.domo_users.example_participants.users : u.email]
}}
"#
    ));
    store.reset_stats();
    ws.apply().await.expect_code(0, "apply");
    let stats = store.stats();

    // By email, in a different case: every attribute, and the email as
    // configured.
    let by_email = ws.output("by_email").await;
    assert_eq!(
        by_email,
        json!({
            "id": ada.to_string(),
            "email": "ada.lovelace@EXAMPLE.COM",
            "name": "Ada Lovelace",
            "role": "Admin",
            "role_id": 1,
            "title": "Analyst",
            "alternate_email": "ada@home.example.org",
            "phone": "+44 20 7946 0000",
            "location": "London",
            "employee_number": "1815",
            "created_at": store.user(ada).unwrap().created_at,
            "updated_at": store.user(ada).unwrap().updated_at,
            "image_url": store.user(ada).unwrap().image,
            "group_ids": [],
        })
    );

    // By id: the email as Domo has it, unset attributes null.
    let by_id = ws.output("by_id").await;
    assert_eq!(by_id["id"], grace.to_string());
    assert_eq!(by_id["email"], "grace@navy.example.org");
    assert_eq!(by_id["name"], "Grace Hopper");
    assert_eq!(by_id["role"], "Privileged");
    assert_eq!(by_id["title"], Value::Null);
    assert!(by_id["created_at"].as_str().is_some_and(|t| !t.is_empty()));

    // All live users, by id; the deleted one is not listed.
    let all = ws.output("all").await;
    let live = store.users();
    assert_eq!(all.as_array().unwrap().len(), live.len());
    assert_eq!(live.len(), 9);
    let ids: Vec<u64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().parse().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "ordered by id");
    assert!(!ids.contains(&gone));
    assert_eq!(all[0]["email"], "Ada.Lovelace@Example.com");
    assert_eq!(all[0]["title"], "Analyst");

    // Filters.
    assert_eq!(
        emails(&ws.output("admins").await),
        ["Ada.Lovelace@Example.com", "katherine@nasa.example.org"]
    );
    let example_com = emails(&ws.output("example_com").await);
    assert_eq!(example_com.len(), 7, "{example_com:?}");
    assert_eq!(
        example_com[..2],
        ["Ada.Lovelace@Example.com", "alan@EXAMPLE.com"]
    );
    assert!(example_com[2..]
        .iter()
        .all(|e| e.starts_with("seed-") && e.ends_with("@example.com")));
    let participants = ws.output("example_participants").await;
    let participants: Vec<String> = serde_json::from_value(participants).unwrap();
    assert_eq!(participants.len(), 6, "{participants:?}");
    assert_eq!(participants[0], "alan@EXAMPLE.com");

    // No per-user reads: the only GET by id is the lookup by id.
    assert_eq!(stats.get_requests, 1, "{stats:?}");
    assert_eq!(stats.create_requests + stats.update_requests, 0);

    // Reading again changes nothing.
    ws.plan().await.expect_code(0, "plan after reading");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_matching_user_is_a_clear_error() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let (_, _, gone) = seed(&sim.store());
    let ws = Workspace::new(&sim);
    ws.write_config(
        r#"
data "domo_user" "nobody" {
  email = "nobody@example.com"
}
"#,
    );
    let out = ws.plan().await.expect_code(1, "no such email");
    let all = out.all();
    assert!(all.contains("No such Domo user"), "{all}");
    assert!(
        all.contains("No Domo user with email nobody@example.com"),
        "{all}"
    );
    // Terraform shows the attribute the error is about.
    assert!(all.contains("email = \"nobody@example.com\""), "{all}");

    // A deleted user is no match either.
    ws.write_config(&format!(
        "data \"domo_user\" \"gone\" {{\n  id = \"{gone}\"\n}}\n"
    ));
    let out = ws.plan().await.expect_code(1, "deleted user");
    let all = out.all();
    assert!(
        all.contains(&format!("No Domo user with id {gone}")),
        "{all}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_selectors_and_filters_fail_before_any_api_call() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let ws = Workspace::new(&sim);
    let cases = [
        (
            "data \"domo_user\" \"x\" {\n  id    = \"42\"\n  email = \"a@example.com\"\n}\n",
            "Conflicting user selectors",
        ),
        ("data \"domo_user\" \"x\" {}\n", "No user selected"),
        (
            "data \"domo_user\" \"x\" {\n  id = \"jane\"\n}\n",
            "Invalid Domo user id",
        ),
        (
            "data \"domo_users\" \"x\" {\n  role = \"admin\"\n}\n",
            "Did you mean \"Admin\"?",
        ),
        (
            "data \"domo_users\" \"x\" {\n  email_domain = \"not a domain\"\n}\n",
            "Invalid email domain",
        ),
    ];
    for (config, expected) in cases {
        ws.write_config(config);
        let out = ws.run(&["validate", "-no-color"]).await;
        assert_eq!(out.code, 1, "{config}\n{}", out.all());
        // Terraform wraps long details: compare with whitespace collapsed.
        let flat = out.flat();
        assert!(flat.contains(expected), "{config}\n{}", out.all());
    }
    // Both selectors: the error points at the configuration.
    ws.write_config(cases[0].0);
    let out = ws.plan().await.expect_code(1, "both selectors");
    assert!(
        out.all().contains("email = \"a@example.com\""),
        "{}",
        out.all()
    );
    let stats = sim.store().stats();
    assert_eq!(
        (stats.total_api_requests, stats.token_requests),
        (0, 0),
        "{stats:?}"
    );
}

/// 20,000 users: one pass over the listing (40 full pages and the empty
/// one that ends it), no per-user calls. The time bound is loose because
/// Terraform itself spends most of it storing 20,000 objects; the provider's
/// share is bounded tightly below.
#[tokio::test(flavor = "multi_thread")]
async fn lists_twenty_thousand_users_in_one_pass() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    store.seed_users(20_000);
    let ws = Workspace::new(&sim);
    ws.write_config(
        r#"
data "domo_users" "all" {}

data "domo_users" "admins" {
  role = "Admin"
}

output "count" {
  value = length(data.domo_users.all.users)
}

output "last" {
  value = data.domo_users.all.users[19999].email
}

output "admins" {
  value = length(data.domo_users.admins.users)
}
"#,
    );
    let started = Instant::now();
    ws.apply().await.expect_code(0, "apply");
    let took = started.elapsed();
    eprintln!("reading 20,000 users twice took {took:?}, Terraform included");
    let stats = store.stats();
    assert_eq!(ws.output("count").await, 20_000);
    assert_eq!(ws.output("last").await, "seed-20000@example.com");
    assert_eq!(ws.output("admins").await, 0);
    // Two data sources, each one pass of 41 pages.
    assert_eq!(stats.list_requests, 2 * 41, "{stats:?}");
    assert_eq!(stats.get_requests, 0, "{stats:?}");
    assert!(
        took.as_secs() < 120,
        "reading 20,000 users took {took:?} (Terraform included)"
    );
}

/// The guide "Bringing an existing Domo instance under management", run
/// with its own example files: inventory, users.json, import by id, and an
/// empty plan.
#[tokio::test(flavor = "multi_thread")]
async fn guide_inventory_then_import_gives_an_empty_plan() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/guides/import-existing-instance");
    let read = |p: &str| std::fs::read_to_string(root.join(p)).expect("guide example");
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    seed(&store);

    let inventory = Workspace::new(&sim);
    inventory.write_file("main.tf", &read("inventory/main.tf"));
    inventory.apply().await.expect_code(0, "inventory apply");
    let people = inventory.output("people").await;
    let people = people.as_object().expect("people is a map");
    // Everyone live at example.com, keyed by lower-cased email.
    assert_eq!(people.len(), 7, "{people:?}");
    assert!(people.contains_key("ada.lovelace@example.com"));
    assert!(people.contains_key("alan@example.com"));
    assert!(store.stats().create_requests == 0);

    let manage = Workspace::new(&sim);
    manage.write_file("main.tf", &read("manage/main.tf"));
    manage.write_file(
        "users.json",
        &serde_json::to_string_pretty(&people).expect("json"),
    );
    let started = Instant::now();
    for (key, person) in people {
        let id = person["id"].as_str().expect("id");
        manage
            .run(&[
                "import",
                "-input=false",
                "-no-color",
                &format!("domo_user.people[\"{key}\"]"),
                id,
            ])
            .await
            .expect_code(0, "import");
    }
    eprintln!("imported {} users in {:?}", people.len(), started.elapsed());
    manage
        .plan()
        .await
        .expect_code(0, "plan after importing everyone is empty");
    let stats = store.stats();
    assert_eq!(
        (
            stats.create_requests,
            stats.update_requests,
            stats.delete_requests
        ),
        (0, 0, 0),
        "{stats:?}"
    );
}

/// The provider's own share of reading 20,000 users (listing, filtering,
/// building and encoding the value), without Terraform: well under the
/// time Terraform then spends storing the result.
#[tokio::test(flavor = "multi_thread")]
async fn provider_side_of_twenty_thousand_users_is_fast() {
    use terraform_provider_domo::data_sources::users::UsersDataSource;
    use terraform_provider_domo::domo::{ClientConfig, DomoClient};
    use terraform_provider_domo::framework::register_data_source;
    use terraform_provider_domo::protocol::{encode_dynamic, Value as TfValue};

    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    sim.store().seed_users(20_000);
    let cfg = sim.store().config();
    let client = DomoClient::new(ClientConfig {
        api_host: sim.base_url(),
        client_id: cfg.client_id,
        client_secret: cfg.client_secret,
        ..ClientConfig::default()
    })
    .expect("client");
    let config = TfValue::object([
        ("role", TfValue::Null),
        ("email_domain", TfValue::string("example.com")),
        ("users", TfValue::Null),
    ]);
    let started = Instant::now();
    let state = register_data_source(UsersDataSource)
        .read(&client, &config)
        .await
        .expect("read domo_users");
    let bytes = encode_dynamic(&state).msgpack.len();
    let took = started.elapsed();
    eprintln!("provider side: {took:?} for 20,000 users, {bytes} bytes of msgpack");
    match state.get("users") {
        Some(TfValue::List(users)) => assert_eq!(users.len(), 20_000),
        other => panic!("users: {other:?}"),
    }
    assert_eq!(sim.store().stats().list_requests, 41);
    assert!(took.as_secs() < 10, "took {took:?}");
}
