//! Acceptance tests of what newer Terraforms add: `terraform query` with
//! the list resources and `-generate-config-out` (Terraform 1.14 and
//! later), and resource identity (Terraform 1.12 and later): import blocks
//! that name an object by `identity`, and the identity kept in state. Each
//! test says on stderr when the Terraform in use is too old for what it
//! checks; under 1.15.5 every one of them asserts. What must hold under
//! every Terraform (state written before identities existed keeps planning
//! cleanly) is checked under all of them.

mod common;

use std::collections::BTreeSet;

use common::sim::domo_users;
use common::terraform::{terraform_at_least, terraform_version, TfResult, Workspace};
use serde_json::Value;
use terraform_provider_domo::sim::{SimConfig, SimGroup, SimStats, SimUser, Simulator};

const LIST_RESOURCES: (u32, u32, u32) = (1, 14, 0);
const IDENTITY: (u32, u32, u32) = (1, 12, 0);

/// Every resource instance in state as (address, identity, values), from
/// `terraform show -json`.
async fn state_with_identities(ws: &Workspace) -> Vec<(String, Value, Value)> {
    let out = ws
        .run(&["show", "-json", "-no-color"])
        .await
        .expect_code(0, "show -json");
    let json: Value = serde_json::from_str(&out.stdout).expect("show -json output");
    json["values"]["root_module"]["resources"]
        .as_array()
        .map(|resources| {
            resources
                .iter()
                .map(|r| {
                    (
                        r["address"].as_str().unwrap_or_default().to_owned(),
                        r["identity"].clone(),
                        r["values"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn query(ws: &Workspace, extra: &[&str]) -> TfResult {
    let mut args = vec!["query", "-no-color"];
    args.extend_from_slice(extra);
    ws.run(&args).await
}

/// The result lines `terraform query` prints for list block `address`.
fn results<'a>(out: &'a TfResult, address: &str) -> Vec<&'a str> {
    let prefix = format!("{address} ");
    out.stdout
        .lines()
        .filter(|line| line.starts_with(&prefix))
        .collect()
}

/// What the simulator counts as writes.
fn writes(stats: &SimStats) -> u64 {
    stats.create_requests
        + stats.update_requests
        + stats.delete_requests
        + stats.group_create_requests
        + stats.group_update_requests
        + stats.group_delete_requests
        + stats.group_member_add_requests
        + stats.group_member_remove_requests
}

/// Writes the configuration `query -generate-config-out` produced into
/// `generated.tf`, plans ("N to import, 0 to add, 0 to change, 0 to
/// destroy"), applies without a write to Domo, and plans again: no change.
async fn import_generated(ws: &Workspace, sim: &Simulator, count: usize, what: &str) {
    let generated =
        std::fs::read_to_string(ws.path().join("generated.tf")).expect("generated.tf written");
    let imports = generated.matches("\nimport {").count();
    assert_eq!(imports, count, "one import block per {what}:\n{generated}");
    assert_eq!(generated.matches("identity = {").count(), count);
    // The query files are done with; plan and apply read *.tf only.
    let plan = ws
        .run(&["plan", "-input=false", "-no-color"])
        .await
        .expect_code(0, "plan of the generated configuration");
    let summary = format!("Plan: {count} to import, 0 to add, 0 to change, 0 to destroy.");
    assert!(plan.flat().contains(&summary), "{}", plan.all());
    let users_before = domo_users(&sim.store());
    let groups_before = sim.store().groups();
    sim.store().reset_stats();
    let applied = ws.apply().await.expect_code(0, "apply of the imports");
    assert!(
        applied.flat().contains(&format!(
            "Resources: {count} imported, 0 added, 0 changed, 0 destroyed."
        )),
        "{}",
        applied.all()
    );
    let stats = sim.store().stats();
    assert_eq!(writes(&stats), 0, "nothing written to Domo: {stats:?}");
    assert_eq!(domo_users(&sim.store()), users_before);
    assert_eq!(sim.store().groups(), groups_before);
    ws.plan()
        .await
        .expect_code(0, "the next plan after the imports");
    assert_eq!(state_with_identities(ws).await.len(), count);
}

#[tokio::test(flavor = "multi_thread")]
async fn query_lists_users_and_brings_them_under_terraform() {
    if !terraform_at_least(LIST_RESOURCES, "terraform query (list resources)") {
        return;
    }
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    // 300 "Seed User N" at example.com, Participants; 20 Admins at
    // partner.org, with a title and an employee number.
    sim.store().seed_users(300);
    for n in 1..=20 {
        sim.store().insert_user(SimUser {
            name: format!("Partner {n}"),
            email: format!("partner-{n}@Partner.org"),
            role: "Admin".into(),
            title: Some("Consultant".into()),
            employee_number: Some(format!("{}", 9000 + n)),
            ..SimUser::default()
        });
    }
    let ws = Workspace::new(&sim);
    ws.write_config("");

    ws.write_file(
        "users.tfquery.hcl",
        r#"
list "domo_user" "all" {
  provider = domo
  limit    = 1000
}

list "domo_user" "partners" {
  provider = domo
  config {
    email_domain = "partner.org"
  }
}

list "domo_user" "admins" {
  provider = domo
  config {
    role = "Admin"
  }
}

list "domo_user" "seed_1" {
  provider = domo
  limit    = 200
  config {
    name_prefix = "seed user 1"
    role_id     = 4
  }
}
"#,
    );
    sim.store().reset_stats();
    let out = query(&ws, &[]).await.expect_code(0, "query");
    let all = results(&out, "list.domo_user.all");
    assert_eq!(all.len(), 320, "{}", out.all());
    let ids: BTreeSet<String> = sim
        .store()
        .users()
        .iter()
        .map(|u| format!("id={}", u.id))
        .collect();
    for line in &all {
        let id = line.split_whitespace().nth(1).expect("an identity");
        assert!(ids.contains(id), "{line}");
    }
    assert!(
        all.iter()
            .any(|line| line.ends_with("Seed User 1 <seed-1@example.com>")),
        "{}",
        out.stdout
    );
    assert_eq!(results(&out, "list.domo_user.partners").len(), 20);
    assert_eq!(results(&out, "list.domo_user.admins").len(), 20);
    // "Seed User 1", "Seed User 10" to "19", "Seed User 100" to "199".
    assert_eq!(results(&out, "list.domo_user.seed_1").len(), 111);
    // Four list blocks, one page each (320 users fit in one): no GETs.
    let stats = sim.store().stats();
    assert_eq!(
        (stats.list_requests, stats.get_requests),
        (4, 0),
        "{stats:?}"
    );

    // A bad filter fails before anything is listed, at its attribute.
    ws.write_file(
        "users.tfquery.hcl",
        r#"
list "domo_user" "bad" {
  provider = domo
  config {
    email_domain = "partner..org"
    role         = "admin"
  }
}
"#,
    );
    let bad = query(&ws, &[])
        .await
        .expect_code(1, "query with bad filters");
    let flat = bad.flat();
    assert!(flat.contains("Invalid email domain"), "{}", bad.all());
    assert!(flat.contains("Did you mean \"Admin\"?"), "{}", bad.all());

    // Everyone, as configuration with import blocks.
    ws.write_file(
        "users.tfquery.hcl",
        r#"
list "domo_user" "all" {
  provider = domo
  limit    = 1000
}
"#,
    );
    query(&ws, &["-generate-config-out=generated.tf"])
        .await
        .expect_code(0, "query -generate-config-out");
    let generated = std::fs::read_to_string(ws.path().join("generated.tf")).expect("generated");
    assert_eq!(generated.matches("resource \"domo_user\"").count(), 320);
    assert!(
        !generated.contains("role_id"),
        "one role attribute per user, by name for default roles:\n{generated}"
    );
    std::fs::remove_file(ws.path().join("users.tfquery.hcl")).expect("remove the query file");
    import_generated(&ws, &sim, 320, "user").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn query_lists_groups_and_brings_them_under_terraform() {
    if !terraform_at_least(LIST_RESOURCES, "terraform query (list resources)") {
        return;
    }
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    sim.store().seed_groups(40, 2);
    for name in ["Sales EMEA", "Sales APAC"] {
        sim.store().insert_group(SimGroup {
            name: name.into(),
            ..SimGroup::default()
        });
    }
    let ws = Workspace::new(&sim);
    ws.write_config("");
    ws.write_file(
        "groups.tfquery.hcl",
        r#"
list "domo_group" "all" {
  provider = domo
}

list "domo_group" "sales" {
  provider = domo
  config {
    name_prefix = "SALES"
  }
}
"#,
    );
    let out = query(&ws, &[]).await.expect_code(0, "query");
    assert_eq!(
        results(&out, "list.domo_group.all").len(),
        42,
        "{}",
        out.all()
    );
    let sales = results(&out, "list.domo_group.sales");
    assert_eq!(sales.len(), 2, "{}", out.all());
    assert!(sales.iter().any(|line| line.ends_with("Sales EMEA")));

    ws.write_file(
        "groups.tfquery.hcl",
        r#"
list "domo_group" "all" {
  provider = domo
}
"#,
    );
    query(&ws, &["-generate-config-out=generated.tf"])
        .await
        .expect_code(0, "query -generate-config-out");
    std::fs::remove_file(ws.path().join("groups.tfquery.hcl")).expect("remove the query file");
    import_generated(&ws, &sim, 42, "group").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn import_by_identity_and_the_identity_in_state_never_changes() {
    if !terraform_at_least(IDENTITY, "import blocks by identity (resource identity)") {
        return;
    }
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ada = store.insert_user(SimUser {
        name: "Ada Lovelace".into(),
        email: "ada@example.com".into(),
        role: "Admin".into(),
        ..SimUser::default()
    });
    let sales = store.insert_group(SimGroup {
        name: "Sales".into(),
        ..SimGroup::default()
    });
    assert!(store.add_member_directly(sales, ada));
    let config = |title: &str, group: &str| {
        format!(
            r#"
import {{
  to       = domo_user.ada
  identity = {{ id = "{ada}" }}
}}

import {{
  to       = domo_group.sales
  identity = {{ id = "{sales}" }}
}}

import {{
  to       = domo_group_membership.ada_sales
  identity = {{
    group_id = "{sales}"
    user_id  = "{ada}"
  }}
}}

resource "domo_user" "ada" {{
  name  = "Ada Lovelace"
  email = "ada@example.com"
  role  = "Admin"
  title = "{title}"
}}

resource "domo_group" "sales" {{
  name = "{group}"
}}

resource "domo_group_membership" "ada_sales" {{
  group_id = domo_group.sales.id
  user_id  = domo_user.ada.id
}}
"#
        )
    };
    let ws = Workspace::new(&sim);
    ws.write_config(&config("Countess", "Sales"));
    let plan = ws
        .run(&["plan", "-input=false", "-no-color"])
        .await
        .expect_code(0, "plan");
    assert!(
        plan.flat()
            .contains("Plan: 3 to import, 0 to add, 1 to change, 0 to destroy."),
        "{}",
        plan.all()
    );
    ws.apply().await.expect_code(0, "import and update");

    let expected = |address: &str| -> Value {
        match address {
            "domo_user.ada" => serde_json::json!({ "id": ada.to_string() }),
            "domo_group.sales" => serde_json::json!({ "id": sales.to_string() }),
            "domo_group_membership.ada_sales" => serde_json::json!({
                "group_id": sales.to_string(),
                "user_id": ada.to_string(),
            }),
            other => panic!("unexpected {other} in state"),
        }
    };
    let before = state_with_identities(&ws).await;
    assert_eq!(before.len(), 3);
    for (address, identity, values) in &before {
        assert_eq!(*identity, expected(address), "{address}");
        if let Some(id) = identity.get("id") {
            assert_eq!(values["id"], *id, "{address}: identity and id agree");
        }
    }
    assert_eq!(
        store.user(ada).expect("ada").title.as_deref(),
        Some("Countess")
    );

    // Updates (and a rename) keep every identity.
    ws.write_config(&config("Analyst", "Sales EMEA"));
    ws.apply().await.expect_code(0, "updates");
    assert_eq!(
        store.group(sales).expect("sales").name,
        "Sales EMEA",
        "renamed in place"
    );
    let after = state_with_identities(&ws).await;
    let identities = |state: &[(String, Value, Value)]| -> Vec<(String, Value)> {
        state
            .iter()
            .map(|(address, identity, _)| (address.clone(), identity.clone()))
            .collect()
    };
    assert_eq!(identities(&after), identities(&before));
    ws.plan()
        .await
        .expect_code(0, "clean plan after the update");
}

/// State written before identities existed (Terraform < 1.12 keeps none)
/// plans without change under every Terraform; a refresh under 1.12 or
/// later fills the identity in, and an older Terraform stores none.
#[tokio::test(flavor = "multi_thread")]
async fn state_without_identities_keeps_working_and_gains_them_on_refresh() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let ws = Workspace::new(&sim);
    ws.write_config(
        r#"
resource "domo_user" "ada" {
  name  = "Ada Lovelace"
  email = "ada@example.com"
  role  = "Admin"
}
"#,
    );
    ws.apply().await.expect_code(0, "create");
    let state = state_with_identities(&ws).await;
    let [(_, identity, values)] = state.as_slice() else {
        panic!("one resource: {state:?}")
    };
    let id = values["id"].clone();
    if terraform_version() >= IDENTITY {
        assert_eq!(*identity, serde_json::json!({ "id": id }));
    } else {
        assert!(identity.is_null(), "Terraform < 1.12 keeps no identity");
    }

    // The same object in a state file as Terraform 1.0.3 writes it.
    let mut attributes = values.clone();
    attributes["timezone"] = Value::Null;
    ws.write_user_state(&[("ada", vec![(None, attributes)])]);
    ws.plan()
        .await
        .expect_code(0, "plan of an identity-less state");
    ws.run(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ])
    .await
    .expect_code(0, "refresh");
    let refreshed = state_with_identities(&ws).await;
    let (_, identity, _) = &refreshed[0];
    if terraform_at_least(IDENTITY, "identities filled in on refresh") {
        assert_eq!(*identity, serde_json::json!({ "id": id }));
    } else {
        assert!(identity.is_null());
    }
    ws.plan().await.expect_code(0, "clean plan");
}
