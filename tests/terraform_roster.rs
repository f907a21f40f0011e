//! Acceptance tests of `domo_user_roster` with real Terraform: thousands of
//! users in one resource read from a CSV file, changes and drift planned
//! per entry, partial failures, adoption of existing users, `on_removal`,
//! import, and a 20,000-entry roster. API calls are counted by the
//! simulator; each test prints how long its Terraform commands took.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use common::sim::domo_users;
use common::terraform::{plan_counts, terraform_version, TfResult, Workspace};
use serde_json::Value;
use terraform_provider_domo::sim::{SimConfig, SimStore, SimUser, Simulator};

/// A roster read from `people.csv` the way the guide shows it.
fn roster_config(extra: &str) -> String {
    format!(
        r#"
locals {{
  people = csvdecode(file("${{path.module}}/people.csv"))
}}

resource "domo_user_roster" "all" {{
  users = {{ for p in local.people : p.email => {{
    name  = p.name
    role  = p.role
    title = p.title == "" ? null : p.title
  }} }}
{extra}
}}
"#
    )
}

/// One CSV row: (email, name, role, title).
type Row = (String, String, String, String);

fn rows(count: usize, prefix: &str) -> Vec<Row> {
    (0..count)
        .map(|i| {
            (
                format!("{prefix}-{i}@example.com"),
                format!("{prefix} User {i}"),
                "Participant".to_string(),
                if i % 3 == 0 {
                    "Analyst".to_string()
                } else {
                    String::new()
                },
            )
        })
        .collect()
}

fn write_csv(ws: &Workspace, rows: &[Row]) {
    let mut text = String::from("email,name,role,title\n");
    for (email, name, role, title) in rows {
        text.push_str(&format!("{email},{name},{role},{title}\n"));
    }
    ws.write_file("people.csv", &text);
}

/// Runs a Terraform command, timing it.
async fn timed(ws: &Workspace, what: &str, args: &[&str]) -> TfResult {
    let started = Instant::now();
    let out = ws.run(args).await;
    eprintln!("{what}: {:.1?} (exit {})", started.elapsed(), out.code);
    out
}

async fn apply(ws: &Workspace, what: &str) -> TfResult {
    timed(
        ws,
        what,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    )
    .await
}

async fn plan(ws: &Workspace, what: &str) -> TfResult {
    timed(
        ws,
        what,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
    )
    .await
}

async fn destroy(ws: &Workspace, what: &str) -> TfResult {
    timed(
        ws,
        what,
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
    )
    .await
}

/// The roster's attributes in state.
async fn roster_state(ws: &Workspace) -> Value {
    ws.state_resources()
        .await
        .into_iter()
        .find(|(address, _)| address == "domo_user_roster.all")
        .map(|(_, values)| values)
        .expect("a roster in state")
}

/// (id, lower-cased email) of every account in state that has an id.
fn state_accounts(roster: &Value) -> BTreeSet<(String, String)> {
    roster["accounts"]
        .as_object()
        .expect("accounts")
        .values()
        .filter_map(|a| {
            let id = a["id"].as_str()?;
            Some((id.to_owned(), a["email"].as_str()?.to_lowercase()))
        })
        .collect()
}

/// The keys of `users` whose entry a saved plan changes, adds or removes,
/// and of entries without a Domo user, which it creates.
async fn planned_entry_changes(ws: &Workspace) -> BTreeSet<String> {
    timed(
        ws,
        "plan -out",
        &["plan", "-out=tfplan", "-input=false", "-no-color"],
    )
    .await
    .expect_code(0, "plan -out");
    let shown = ws
        .run(&["show", "-json", "-no-color", "tfplan"])
        .await
        .expect_code(0, "show -json tfplan");
    let json: Value = serde_json::from_str(&shown.stdout).expect("plan JSON");
    let change = json["resource_changes"]
        .as_array()
        .and_then(|changes| {
            changes
                .iter()
                .find(|c| c["address"] == "domo_user_roster.all")
        })
        .map(|c| c["change"].clone())
        .unwrap_or(Value::Null);
    let empty = serde_json::Map::new();
    let side = |which: &str, attribute: &str| -> BTreeMap<String, Value> {
        change[which][attribute]
            .as_object()
            .unwrap_or(&empty)
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let (before, after) = (side("before", "users"), side("after", "users"));
    let mut changed: BTreeSet<String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .cloned()
        .collect();
    // A user deleted in Domo keeps its entry and loses its account: the
    // plan creates it (an account whose id is known before, not after).
    let accounts = side("before", "accounts");
    changed.extend(
        accounts
            .iter()
            .filter(|(_, account)| account["id"].is_null())
            .map(|(key, _)| key.clone()),
    );
    changed
}

fn users_by_email(store: &SimStore) -> BTreeMap<String, SimUser> {
    store
        .users()
        .into_iter()
        .map(|u| (u.email.to_lowercase(), u))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_thousand_user_roster_from_a_csv_file() {
    const PEOPLE: usize = 2_000;
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    let mut people = rows(PEOPLE, "staff");
    write_csv(&ws, &people);
    ws.write_config(&roster_config(""));

    apply(&ws, "apply 2,000").await.expect_code(0, "apply");
    assert_eq!(store.users().len(), PEOPLE);
    assert_eq!(store.stats().create_requests, PEOPLE as u64);
    let roster = roster_state(&ws).await;
    assert_eq!(state_accounts(&roster), domo_users(&store));
    assert_eq!(roster["users"]["staff-3@example.com"]["title"], "Analyst");
    assert_eq!(roster["users"]["staff-4@example.com"]["title"], Value::Null);

    store.reset_stats();
    let out = plan(&ws, "no-change plan")
        .await
        .expect_code(0, "clean plan");
    assert!(out.stdout.contains("No changes"), "{}", out.all());
    let stats = store.stats();
    assert!(stats.total_api_requests <= 8, "refresh of 2,000: {stats:?}");

    // Change 10 entries and remove 5: exactly 10 PUTs and 5 DELETEs.
    for row in people.iter_mut().skip(100).take(10) {
        row.3 = "Promoted".to_string();
    }
    let removed: Vec<Row> = people.drain(1_995..).collect();
    write_csv(&ws, &people);
    let changed = planned_entry_changes(&ws).await;
    assert_eq!(changed.len(), 15, "{changed:?}");
    assert!(
        changed.contains("staff-100@example.com") && changed.contains("staff-1999@example.com")
    );
    let out = plan(&ws, "plan 15 changes").await.expect_code(2, "changes");
    assert_eq!(plan_counts(&out.stdout), Some((0, 1, 0)));
    assert!(
        !out.stdout.contains("staff-99@example.com"),
        "unchanged entries are not shown"
    );
    store.reset_stats();
    apply(&ws, "apply 15 changes")
        .await
        .expect_code(0, "apply changes");
    let stats = store.stats();
    assert_eq!(
        (
            stats.update_requests,
            stats.delete_requests,
            stats.create_requests
        ),
        (10, 5, 0),
        "{stats:?}"
    );
    let domo = users_by_email(&store);
    assert_eq!(domo.len(), PEOPLE - 5);
    assert_eq!(
        domo["staff-105@example.com"].title.as_deref(),
        Some("Promoted")
    );
    assert!(removed.iter().all(|r| !domo.contains_key(&r.0)));
    plan(&ws, "plan after changes")
        .await
        .expect_code(0, "clean again");

    // Drift of 3 entries made in Domo is planned back, a user deleted in
    // Domo is planned for creation again (with a warning), and nothing else.
    let drifted = [
        "staff-7@example.com",
        "staff-500@example.com",
        "staff-1500@example.com",
    ];
    for email in drifted {
        let id = domo[email].id;
        assert!(store.edit_user(id, |u| u.title = Some("Changed in Domo".into())));
    }
    assert!(store.purge(domo["staff-42@example.com"].id));
    let changed = planned_entry_changes(&ws).await;
    let mut expected: BTreeSet<String> = drifted.iter().map(|s| s.to_string()).collect();
    expected.insert("staff-42@example.com".to_string());
    assert_eq!(changed, expected);
    let out = plan(&ws, "plan drift").await.expect_code(2, "drift");
    assert!(
        out.all().contains("Domo user no longer exists"),
        "{}",
        out.all()
    );
    store.reset_stats();
    apply(&ws, "apply drift back")
        .await
        .expect_code(0, "drift back");
    let stats = store.stats();
    assert_eq!(
        (stats.update_requests, stats.create_requests),
        (3, 1),
        "{stats:?}"
    );
    let domo = users_by_email(&store);
    assert_eq!(domo["staff-7@example.com"].title.as_deref(), None);
    assert_eq!(domo["staff-500@example.com"].title.as_deref(), None);

    store.reset_stats();
    destroy(&ws, "destroy").await.expect_code(0, "destroy");
    assert!(store.users().is_empty());
    assert_eq!(store.stats().delete_requests, (PEOPLE - 5) as u64);
    assert!(ws.state_list().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_creates_are_reported_and_the_next_apply_finishes_the_job() {
    const PEOPLE: usize = 700;
    let sim = Simulator::start(SimConfig {
        fail_every_nth_create: 7,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    let mut people = rows(PEOPLE, "flaky");
    write_csv(&ws, &people);
    ws.write_config(&roster_config(""));

    // The roster's first apply: failures are warnings (an error would make
    // Terraform taint the roster and replace it, deleting every user).
    let out = apply(&ws, "first apply, every 7th create fails").await;
    let out = out.expect_code(0, "first apply");
    let failed = PEOPLE / 7;
    assert_eq!(store.users().len(), PEOPLE - failed);
    // The first 20 one by one (Terraform folds similar warnings together),
    // the rest summed up.
    assert!(
        out.stdout.contains("Warning: Could not create Domo user"),
        "{}",
        out.all()
    );
    assert!(out.stdout.contains("pending in state"), "{}", out.all());
    assert!(
        out.stdout
            .contains(&format!("{} more entries with warnings", failed - 20)),
        "{}",
        out.all()
    );
    let roster = roster_state(&ws).await;
    assert_eq!(state_accounts(&roster), domo_users(&store), "state = Domo");
    let pending = roster["accounts"]
        .as_object()
        .unwrap()
        .values()
        .filter(|a| a["id"].is_null())
        .count();
    assert_eq!(pending, failed);
    // Users as configured: what the next plan does is create the pending.
    assert_eq!(
        planned_entry_changes(&ws).await.len(),
        failed,
        "only the pending entries"
    );

    // Later applies report failures as errors, and keep what exists.
    people.extend(rows(70, "later"));
    write_csv(&ws, &people);
    let out = apply(&ws, "second apply, still failing").await;
    let out = out.expect_code(1, "errors");
    assert!(
        out.stderr.contains("Error: Could not create Domo user"),
        "{}",
        out.all()
    );
    assert!(
        out.stderr.contains("more entries with errors"),
        "{}",
        out.all()
    );
    let roster = roster_state(&ws).await;
    assert_eq!(state_accounts(&roster), domo_users(&store), "state = Domo");

    // The cause goes away: the next apply creates exactly what is missing.
    let mut config = store.config();
    config.fail_every_nth_create = 0;
    store.set_config(config);
    store.reset_stats();
    apply(&ws, "third apply").await.expect_code(0, "converges");
    let missing = PEOPLE + 70 - (state_accounts(&roster).len());
    assert_eq!(store.stats().create_requests, missing as u64);
    let emails: Vec<String> = store.users().into_iter().map(|u| u.email).collect();
    let unique: BTreeSet<&String> = emails.iter().collect();
    assert_eq!(emails.len(), PEOPLE + 70, "every person once");
    assert_eq!(unique.len(), emails.len(), "no duplicates");
    plan(&ws, "plan after convergence")
        .await
        .expect_code(0, "clean");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_users_are_adopted_only_when_asked() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    store.seed_users(1_000); // "Seed User N", seed-N@example.com, Participant
    let ws = Workspace::new(&sim);
    // The seeded people as Domo has them (one in ten with a new title),
    // plus 1,000 new ones.
    let mut people: Vec<Row> = (1..=1_000)
        .map(|n| {
            let title = if n % 10 == 0 { "Adopted" } else { "" };
            (
                format!("seed-{n}@example.com"),
                format!("Seed User {n}"),
                "Participant".to_string(),
                title.to_string(),
            )
        })
        .collect();
    people.extend(rows(1_000, "hire"));
    write_csv(&ws, &people);

    ws.write_config(&roster_config(""));
    let out = apply(&ws, "apply without adopt_existing").await;
    let out = out.expect_code(1, "existing emails");
    assert!(
        out.stderr
            .contains("A Domo user with this email already exists"),
        "{}",
        out.all()
    );
    assert!(
        out.stderr.contains("adopt_existing = true"),
        "{}",
        out.all()
    );
    assert_eq!(store.users().len(), 1_000, "nothing was created");
    assert!(ws.state_list().await.is_empty(), "no roster in state");

    ws.write_config(&roster_config("  adopt_existing = true"));
    store.reset_stats();
    apply(&ws, "apply with adopt_existing")
        .await
        .expect_code(0, "adopt");
    let stats = store.stats();
    assert_eq!(
        (stats.create_requests, stats.update_requests),
        (1_000, 100),
        "a PUT only where a value differs: {stats:?}"
    );
    assert_eq!(store.users().len(), 2_000);
    let roster = roster_state(&ws).await;
    assert_eq!(state_accounts(&roster), domo_users(&store));
    assert_eq!(
        users_by_email(&store)["seed-10@example.com"]
            .title
            .as_deref(),
        Some("Adopted")
    );
    plan(&ws, "plan after adoption")
        .await
        .expect_code(0, "clean");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_removal_keep_leaves_accounts_in_domo() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    let mut people = rows(50, "keep");
    write_csv(&ws, &people);
    ws.write_config(&roster_config("  on_removal = \"keep\""));
    apply(&ws, "apply 50").await.expect_code(0, "apply");

    people.truncate(45);
    write_csv(&ws, &people);
    apply(&ws, "remove 5").await.expect_code(0, "remove 5");
    let roster = roster_state(&ws).await;
    assert_eq!(roster["users"].as_object().unwrap().len(), 45);
    destroy(&ws, "destroy").await.expect_code(0, "destroy");
    assert!(ws.state_list().await.is_empty());
    assert_eq!(store.users().len(), 50, "every account is still in Domo");
    assert_eq!(store.stats().delete_requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_time_validation_names_each_entry() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let ws = Workspace::new(&sim);
    ws.write_config(
        r#"
resource "domo_user_roster" "all" {
  users = {
    "not-an-email"     = { name = "A", role = "Participant" }
    "Ada@Example.com"  = { name = "Ada", role = "Admin" }
    "ada@example.com"  = { name = "Ada", role = "Admin" }
    "bob@example.com"  = { name = "Bob", role = "admin" }
    "both@example.com" = { name = "Bo", role = "Admin", role_id = 1 }
    "none@example.com" = { name = "No" }
  }
  on_removal = "forget"
}
"#,
    );
    let out = plan(&ws, "invalid plan").await.expect_code(1, "invalid");
    let all = out.all();
    for expected in [
        "Invalid email key in users",
        "users[\"not-an-email\"]",
        "Duplicate email in users",
        "users[\"ada@example.com\"] and users[\"Ada@Example.com\"]",
        "Invalid Domo role",
        "users[\"bob@example.com\"]: role = \"admin\"",
        "Conflicting role settings",
        "users[\"both@example.com\"]: Set either role",
        "No Domo role set",
        "users[\"none@example.com\"]: Set role",
        "Invalid on_removal",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in\n{all}");
    }
    assert_eq!(sim.store().stats().total_api_requests, 0, "no call to Domo");
}

/// Roles by default name, by default id and by custom id; roles changed
/// in Domo are planned back for exactly those entries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_by_name_or_id_and_their_drift() {
    roles_lifecycle(SimConfig::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_by_name_or_id_under_a_lenient_domo() {
    roles_lifecycle(SimConfig::lenient()).await;
}

/// Roles by name and by id, through create, drift and changes each way,
/// under a Domo that takes only the documented names on create (each
/// entry is created as Participant and given its role by id) or all.
async fn roles_lifecycle(config: SimConfig) {
    let sim = Simulator::start(config).await.expect("simulator");
    let store = sim.store();
    store.define_role(101, "Auditor").expect("custom role");
    let ws = Workspace::new(&sim);
    ws.write_config(
        r#"
resource "domo_user_roster" "all" {
  users = {
    "ed@example.com"  = { name = "Ed", role = "Editor" }
    "aud@example.com" = { name = "Aud", role_id = 101 }
    "so@example.com"  = { name = "So", role_id = 5 }
  }
}
"#,
    );
    apply(&ws, "apply roles").await.expect_code(0, "apply");
    let role_ids = |store: &SimStore| -> Vec<(String, Option<u64>)> {
        users_by_email(store)
            .into_iter()
            .map(|(email, user)| (email, user.role_id))
            .collect()
    };
    let expected = vec![
        ("aud@example.com".to_string(), Some(101)),
        ("ed@example.com".to_string(), Some(3)),
        ("so@example.com".to_string(), Some(5)),
    ];
    assert_eq!(role_ids(&store), expected);
    let roster = roster_state(&ws).await;
    assert_eq!(roster["accounts"]["aud@example.com"]["role"], "Auditor");
    assert_eq!(roster["users"]["aud@example.com"]["role"], Value::Null);
    plan(&ws, "plan roles").await.expect_code(0, "clean");

    // Out of band: the custom-role user becomes Privileged, the editor an
    // auditor.
    let domo = users_by_email(&store);
    assert!(store.set_user_role(domo["aud@example.com"].id, 2));
    assert!(store.set_user_role(domo["ed@example.com"].id, 101));
    let changed = planned_entry_changes(&ws).await;
    let drifted: BTreeSet<String> = ["aud@example.com", "ed@example.com"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(changed, drifted);
    store.reset_stats();
    apply(&ws, "apply roles back").await.expect_code(0, "apply");
    assert_eq!(store.stats().update_requests, 2);
    assert_eq!(role_ids(&store), expected);
    plan(&ws, "plan roles again").await.expect_code(0, "clean");

    // Changed in the configuration, each way: by id to a documented name,
    // a documented-name-less role by name.
    ws.write_config(
        r#"
resource "domo_user_roster" "all" {
  users = {
    "ed@example.com"  = { name = "Ed", role = "Privileged" }
    "aud@example.com" = { name = "Aud", role = "Social" }
    "so@example.com"  = { name = "So", role_id = 101 }
  }
}
"#,
    );
    apply(&ws, "apply new roles").await.expect_code(0, "apply");
    assert_eq!(
        role_ids(&store),
        vec![
            ("aud@example.com".to_string(), Some(5)),
            ("ed@example.com".to_string(), Some(2)),
            ("so@example.com".to_string(), Some(101)),
        ]
    );
    plan(&ws, "plan new roles").await.expect_code(0, "clean");
    destroy(&ws, "destroy roles")
        .await
        .expect_code(0, "destroy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_by_filter_then_manage() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    store.seed_users(30);
    for (email, role) in [
        ("eng-1@corp.example", "Admin"),
        ("eng-2@corp.example", "Participant"),
    ] {
        store.insert_user(SimUser {
            name: email.to_string(),
            email: email.to_string(),
            role: role.to_string(),
            ..SimUser::default()
        });
    }
    let ws = Workspace::new(&sim);
    ws.write_config(
        r#"
resource "domo_user_roster" "all" {
  users = {
    "ENG-1@corp.example" = { name = "eng-1@corp.example", role = "Admin" }
    "eng-2@corp.example" = { name = "Engineer Two", role = "Participant" }
  }
}
"#,
    );
    let bad = ws
        .run(&[
            "import",
            "-no-color",
            "domo_user_roster.all",
            "email:eng-1@corp.example",
        ])
        .await
        .expect_code(1, "bad filter");
    assert!(
        bad.all().contains("email_domain:example.com"),
        "{}",
        bad.all()
    );
    ws.run(&[
        "import",
        "-no-color",
        "domo_user_roster.all",
        "email_domain:corp.example",
    ])
    .await
    .expect_code(0, "import");
    let roster = roster_state(&ws).await;
    let keys: Vec<&String> = roster["users"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["eng-1@corp.example", "eng-2@corp.example"]);
    // A key in another letter case is the same person: no call for it; the
    // name change is one PUT.
    store.reset_stats();
    apply(&ws, "apply after import")
        .await
        .expect_code(0, "apply");
    let stats = store.stats();
    assert_eq!(
        (
            stats.create_requests,
            stats.update_requests,
            stats.delete_requests
        ),
        (0, 1, 0)
    );
    plan(&ws, "plan after import").await.expect_code(0, "clean");
    assert_eq!(store.users().len(), 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_whose_answer_is_lost_are_adopted_not_repeated() {
    let sim = Simulator::start(SimConfig {
        drop_connection_after_create: 3,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    write_csv(&ws, &rows(50, "lost"));
    ws.write_config(&roster_config(""));
    apply(&ws, "apply, 3 answers lost")
        .await
        .expect_code(0, "apply");
    assert_eq!(store.config().drop_connection_after_create, 0, "all fired");
    assert_eq!(store.users().len(), 50);
    assert_eq!(store.stats().create_requests, 50, "never re-sent");
    let roster = roster_state(&ws).await;
    assert_eq!(state_accounts(&roster), domo_users(&store));
    plan(&ws, "plan").await.expect_code(0, "clean");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twenty_thousand_user_roster_plans_and_applies() {
    const PEOPLE: usize = 20_000;
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    write_csv(&ws, &rows(PEOPLE, "big"));
    ws.write_config(&roster_config(""));
    apply(&ws, "apply 20,000").await.expect_code(0, "apply");
    assert_eq!(store.users().len(), PEOPLE);
    // No refresh needed for the assertion: the plan compares configuration
    // and state, 20,000 entries each way through the gRPC connection.
    let out = timed(
        &ws,
        "plan -refresh=false",
        &[
            "plan",
            "-refresh=false",
            "-detailed-exitcode",
            "-input=false",
            "-no-color",
        ],
    )
    .await;
    out.expect_code(0, "clean plan");
}

/// (POST, PUT, DELETE) requests: the calls that change Domo's users.
fn writes(store: &SimStore) -> (u64, u64, u64) {
    let stats = store.stats();
    (
        stats.create_requests,
        stats.update_requests,
        stats.delete_requests,
    )
}

/// An export cut short cannot delete a company: removals past
/// `max_removals` (by default 10% of the roster) fail at plan time with
/// nothing sent to Domo; a raised limit lets exactly that many go; with
/// `on_removal = "keep"` nobody is deleted and nothing is limited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_removals_stops_a_truncated_export_at_plan_time() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    let people = rows(100, "guard");
    write_csv(&ws, &people);
    ws.write_config(&roster_config(""));
    apply(&ws, "apply 100").await.expect_code(0, "apply");
    assert_eq!(store.users().len(), 100);

    // The export comes back empty: the plan fails, and so does the apply,
    // before any change.
    write_csv(&ws, &[]);
    store.reset_stats();
    let out = plan(&ws, "plan an empty export").await;
    let all = out.expect_code(1, "guarded at plan").flat();
    assert!(
        all.contains("Too many Domo users would be deleted"),
        "{all}"
    );
    let out = apply(&ws, "apply an empty export").await;
    let out = out.expect_code(1, "guarded");
    assert!(!out.stdout.contains("will perform the following actions"));
    let all = out.flat();
    for wanted in [
        "Too many Domo users would be deleted",
        "delete 100 users",
        "max_removals allows: 10 by default",
        "(the first 20 of 100)",
        "\"guard-0@example.com\"",
        "and 80 more",
        "set max_removals = 100 (or more)",
        "on_removal = \"keep\"",
    ] {
        assert!(all.contains(wanted), "missing {wanted:?} in\n{all}");
    }
    assert_eq!(writes(&store), (0, 0, 0), "nothing sent that changes Domo");
    assert_eq!(store.users().len(), 100);
    let roster = roster_state(&ws).await;
    assert_eq!(roster["users"].as_object().unwrap().len(), 100);

    // Ten leave, with max_removals = 5: refused the same way.
    let (staying, leaving) = people.split_at(90);
    write_csv(&ws, staying);
    ws.write_config(&roster_config("  max_removals = 5"));
    let out = apply(&ws, "apply 10 removals, max 5").await;
    let out = out.expect_code(1, "guarded");
    assert!(!out.stdout.contains("will perform the following actions"));
    let all = out.flat();
    assert!(
        all.contains("delete 10 users") && all.contains("max_removals = 5 as configured"),
        "{all}"
    );
    assert!(all.contains(&format!("\"{}\"", leaving[9].0)), "{all}");
    assert_eq!(writes(&store), (0, 0, 0));
    assert_eq!(store.users().len(), 100);

    // max_removals = 10: exactly those ten are deleted.
    ws.write_config(&roster_config("  max_removals = 10"));
    apply(&ws, "apply 10 removals, max 10")
        .await
        .expect_code(0, "allowed");
    assert_eq!(writes(&store), (0, 0, 10));
    let domo = users_by_email(&store);
    assert_eq!(domo.len(), 90);
    assert!(leaving.iter().all(|r| !domo.contains_key(&r.0)));
    plan(&ws, "plan after removals")
        .await
        .expect_code(0, "clean");

    // on_removal = "keep": emptying the map releases everyone, deletes no one.
    write_csv(&ws, &[]);
    ws.write_config(&roster_config("  on_removal = \"keep\""));
    store.reset_stats();
    apply(&ws, "apply an empty export, keep")
        .await
        .expect_code(0, "released");
    assert_eq!(writes(&store), (0, 0, 0));
    assert_eq!(store.users().len(), 90);
    let roster = roster_state(&ws).await;
    assert!(roster["users"].as_object().unwrap().is_empty());
}

/// A roster from `people.csv` with an `employee_id` column, which names a
/// person whatever their address.
const NUMBERED_ROSTER: &str = r#"
locals {
  people = csvdecode(file("${path.module}/people.csv"))
}

resource "domo_user_roster" "all" {
  users = { for p in local.people : p.email => {
    name            = p.name
    role            = "Participant"
    employee_number = p.employee_id
  } }
}
"#;

/// (email, name, employee number) rows into `people.csv`.
fn write_numbered_csv(ws: &Workspace, rows: &[(String, String, String)]) {
    let mut text = String::from("email,name,employee_id\n");
    for (email, name, number) in rows {
        text.push_str(&format!("{email},{name},{number}\n"));
    }
    ws.write_file("people.csv", &text);
}

/// Three people change address but keep their employee numbers: three
/// PUTs to the same users, no delete, no create, and a clean plan after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_addresses_with_the_same_employee_number_keep_their_accounts() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    let mut people: Vec<(String, String, String)> = (0..40)
        .map(|i| {
            (
                format!("staff-{i}@example.com"),
                format!("Staff {i}"),
                (1_000 + i).to_string(),
            )
        })
        .collect();
    write_numbered_csv(&ws, &people);
    ws.write_config(NUMBERED_ROSTER);
    apply(&ws, "apply 40").await.expect_code(0, "apply");
    let ids_before = users_by_email(&store);
    assert_eq!(ids_before.len(), 40);

    // A new surname, and two moves to another domain.
    let renamed = [
        (3, "staff-3.married@example.com"),
        (17, "staff-17@example.org"),
        (38, "staff-38@example.org"),
    ];
    for (i, email) in renamed {
        people[i].0 = email.to_string();
    }
    write_numbered_csv(&ws, &people);
    let out = plan(&ws, "plan 3 renames").await.expect_code(2, "changes");
    assert_eq!(plan_counts(&out.stdout), Some((0, 1, 0)));
    let all = out.flat();
    assert!(all.contains("Email change planned in place"), "{all}");
    assert!(
        all.contains("users[\"staff-17@example.org\"] has employee_number \"1017\", as users[\"staff-17@example.com\"]"),
        "{all}"
    );
    assert!(
        all.contains("from staff-17@example.com to staff-17@example.org"),
        "{all}"
    );

    store.reset_stats();
    apply(&ws, "apply 3 renames")
        .await
        .expect_code(0, "apply renames");
    assert_eq!(writes(&store), (0, 3, 0), "three PUTs, nothing else");
    let domo = users_by_email(&store);
    assert_eq!(domo.len(), 40);
    for (i, email) in renamed {
        let old = &ids_before[&format!("staff-{i}@example.com")];
        assert_eq!(domo[email].id, old.id, "{email} kept its account");
        assert_eq!(domo[email].name, old.name);
    }
    let roster = roster_state(&ws).await;
    assert_eq!(state_accounts(&roster), domo_users(&store), "state = Domo");
    plan(&ws, "plan after renames")
        .await
        .expect_code(0, "clean");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_employee_numbers_fail_at_plan_naming_both_entries() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let ws = Workspace::new(&sim);
    let people: Vec<(String, String, String)> = [
        ("ada@example.com", "Ada", "1815"),
        ("grace@example.com", "Grace", "1906"),
        ("ada.king@example.com", "Ada King", "1815"),
    ]
    .iter()
    .map(|(e, n, k)| (e.to_string(), n.to_string(), k.to_string()))
    .collect();
    write_numbered_csv(&ws, &people);
    ws.write_config(NUMBERED_ROSTER);
    let out = plan(&ws, "plan duplicates").await;
    let all = out.expect_code(1, "duplicates").flat();
    assert!(all.contains("Duplicate employee_number in users"), "{all}");
    assert!(
        all.contains("users[\"ada.king@example.com\"] and users[\"ada@example.com\"] have the same employee_number \"1815\""),
        "{all}"
    );
    assert_eq!(sim.store().stats().total_api_requests, 0, "no call to Domo");
}

/// Domo refuses to delete users who own DataSets or Dataflows: a roster
/// removing five entries, two of them owners, deletes three, reports the
/// two by name, keeps them in state, and deletes only them once their
/// content is transferred.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_deletes_are_reported_kept_and_retried_alone() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    let people = rows(7, "own");
    write_csv(&ws, &people);
    ws.write_config(&roster_config("  max_removals = 5"));
    apply(&ws, "create").await.expect_code(0, "create");
    let domo = users_by_email(&store);
    let owners = ["own-1@example.com", "own-4@example.com"];
    for owner in owners {
        assert!(store.edit_user(domo[owner].id, |user| user.owns_content = true));
    }

    // Five people leave: own-0, own-1, own-3, own-4, own-6.
    let staying: Vec<Row> = people
        .iter()
        .filter(|(email, ..)| ["own-2@example.com", "own-5@example.com"].contains(&email.as_str()))
        .cloned()
        .collect();
    write_csv(&ws, &staying);
    store.reset_stats();
    let refused = apply(&ws, "remove five")
        .await
        .expect_code(1, "two refused");
    assert_eq!(store.stats().delete_requests, 5);
    let all = refused.flat();
    for owner in owners {
        let id = domo[owner].id;
        assert!(
            all.contains(&format!("Domo refused to delete user {owner} (id {id})")),
            "{all}"
        );
    }
    assert!(all.contains("owns DataSets or Dataflows"), "{all}");
    assert!(all.contains("on_removal = \"keep\""), "{all}");
    let live: BTreeSet<String> = users_by_email(&store).into_keys().collect();
    let expected: BTreeSet<String> = [
        "own-1@example.com",
        "own-2@example.com",
        "own-4@example.com",
        "own-5@example.com",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(live, expected, "three deleted, the owners kept");
    let in_state: BTreeSet<String> = state_accounts(&roster_state(&ws).await)
        .into_iter()
        .map(|(_, email)| email)
        .collect();
    assert_eq!(in_state, expected, "state holds what Domo holds");

    // Transferred: the next apply deletes exactly the two.
    for owner in owners {
        assert!(store.edit_user(domo[owner].id, |user| user.owns_content = false));
    }
    store.reset_stats();
    apply(&ws, "retry").await.expect_code(0, "retry the two");
    let stats = store.stats();
    assert_eq!(
        (
            stats.delete_requests,
            stats.create_requests,
            stats.update_requests
        ),
        (2, 0, 0)
    );
    assert_eq!(users_by_email(&store).len(), 2);
    plan(&ws, "clean").await.expect_code(0, "clean");
}

/// Employee numbers are whole numbers in Domo: a roster entry with one
/// that is not fails at plan, naming the entry, before any call to Domo.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn employee_numbers_are_checked_per_entry_at_plan() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    let numbered = |grace: &str| {
        format!(
            r#"
resource "domo_user_roster" "all" {{
  users = {{
    "ada@example.com"   = {{ name = "Ada", role = "Admin", employee_number = "1815" }}
    "grace@example.com" = {{ name = "Grace", role = "Editor", employee_number = "{grace}" }}
  }}
}}
"#
        )
    };
    ws.write_config(&numbered("E-7"));
    let failed = plan(&ws, "plan").await.expect_code(1, "bad number");
    let all = failed.flat();
    assert!(all.contains("Invalid employee number"), "{all}");
    assert!(all.contains("users[\"grace@example.com\"]"), "{all}");
    assert!(!all.contains("users[\"ada@example.com\"]"), "{all}");
    assert_eq!(store.stats().create_requests, 0);
    ws.write_config(&numbered("7"));
    apply(&ws, "apply").await.expect_code(0, "apply");
    let domo = users_by_email(&store);
    assert_eq!(
        domo["grace@example.com"].employee_number.as_deref(),
        Some("7")
    );
    assert_eq!(domo["grace@example.com"].role, "Editor");
    plan(&ws, "clean").await.expect_code(0, "clean");
}

/// Entries whose role cannot be given on the roster's first apply (a
/// custom role the instance does not have yet): created and kept, with a
/// warning (an error would taint the roster and the next apply would delete
/// everyone); the next plan shows the role Domo holds for those entries
/// only, and once the role exists, one update each repairs them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_created_without_their_role_are_kept_and_repaired() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    ws.write_config(
        r#"
resource "domo_user_roster" "all" {
  users = {
    "ed@example.com"  = { name = "Ed", role = "Editor" }
    "aud@example.com" = { name = "Aud", role_id = 150 }
  }
}
"#,
    );
    let applied = apply(&ws, "apply").await.expect_code(0, "created");
    let all = applied.flat();
    assert!(all.contains("Domo user created without its role"), "{all}");
    assert!(all.contains("users[\"aud@example.com\"]"), "{all}");
    let domo = users_by_email(&store);
    assert_eq!(domo["ed@example.com"].role, "Editor");
    assert_eq!(domo["aud@example.com"].role, "Participant");
    let changed = planned_entry_changes(&ws).await;
    assert_eq!(changed, BTreeSet::from(["aud@example.com".to_string()]));

    store.define_role(150, "Auditor").unwrap();
    store.reset_stats();
    apply(&ws, "repair").await.expect_code(0, "repair");
    let stats = store.stats();
    assert_eq!((stats.create_requests, stats.update_requests), (0, 1));
    assert_eq!(users_by_email(&store)["aud@example.com"].role, "Auditor");
    plan(&ws, "clean").await.expect_code(0, "clean");
}

/// The state file's roster instance, as Terraform stores it.
fn stored_roster(ws: &Workspace) -> (Value, usize) {
    let text = std::fs::read_to_string(ws.path().join("terraform.tfstate")).expect("state file");
    let state: Value = serde_json::from_str(&text).expect("state JSON");
    let index = state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .position(|r| r["type"] == "domo_user_roster")
        .expect("a roster in the state file");
    (state, index)
}

/// The kind of `users`' stored type (`"map"` or `"object"`): cty JSON
/// state keeps a `dynamic` attribute as `{"value": ..., "type": [kind, ...]}`.
fn stored_users_kind(ws: &Workspace) -> String {
    let (state, index) = stored_roster(ws);
    let users = &state["resources"][index]["instances"][0]["attributes"]["users"];
    users["type"][0]
        .as_str()
        .unwrap_or_else(|| panic!("users carries its type: {users}"))
        .to_owned()
}

/// Once stored, `users` is read back as a map of objects by Terraform 1.4
/// and later (its type names one entry, not every key, so Terraform decodes
/// it in no time), and kept as written by earlier ones (their plan renderer
/// would show a map planned as an object as every entry removed and added):
/// a plan that changes no one keeps the stored form and is clean, an apply
/// without changes stores it, and a change to one entry is planned, shown
/// and applied as that entry alone, in the configuration's form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_stored_as_a_map_and_a_clean_plan_keeps_that_form() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    let mut people = rows(30, "kept");
    write_csv(&ws, &people);
    ws.write_config(&roster_config(""));
    apply(&ws, "apply").await.expect_code(0, "apply");
    // An apply stores the planned value: the configuration's object.
    assert_eq!(stored_users_kind(&ws), "object");

    store.reset_stats();
    plan(&ws, "plan").await.expect_code(0, "clean plan");
    apply(&ws, "apply without changes")
        .await
        .expect_code(0, "apply without changes");
    assert_eq!(writes(&store), (0, 0, 0));
    let compact = terraform_version() >= (1, 4, 0);
    assert_eq!(
        stored_users_kind(&ws),
        if compact { "map" } else { "object" }
    );
    let roster = roster_state(&ws).await;
    assert_eq!(roster["users"]["kept-3@example.com"]["title"], "Analyst");
    assert_eq!(roster["users"]["kept-4@example.com"]["title"], Value::Null);
    plan(&ws, "plan from the map")
        .await
        .expect_code(0, "clean plan from the map");

    people[4].3 = "Lead".to_owned();
    write_csv(&ws, &people);
    assert_eq!(
        planned_entry_changes(&ws).await,
        BTreeSet::from(["kept-4@example.com".to_owned()])
    );
    let out = plan(&ws, "plan one change")
        .await
        .expect_code(2, "one change");
    assert!(
        out.stdout.contains("\"kept-4@example.com\""),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("kept-5@example.com"),
        "only the changed entry is shown: {}",
        out.stdout
    );
    apply(&ws, "apply one change").await.expect_code(0, "apply");
    assert_eq!(writes(&store), (0, 1, 0));
    assert_eq!(
        users_by_email(&store)["kept-4@example.com"]
            .title
            .as_deref(),
        Some("Lead")
    );
    plan(&ws, "plan after the change")
        .await
        .expect_code(0, "clean plan after the change");
}

/// State written by the release before `users` became `dynamic` (schema
/// version 0, `users` a nested map whose entries hold every attribute)
/// upgrades with no call to Domo that changes anything and no plan diff,
/// and the next change applies as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_state_from_the_map_release_upgrades_without_a_change() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    let people = rows(30, "upgrade");
    write_csv(&ws, &people);
    ws.write_config(&roster_config(""));
    apply(&ws, "apply 30").await.expect_code(0, "apply");

    // Rewrite the roster's state as the map release wrote it.
    let (mut state, index) = stored_roster(&ws);
    let instance = &mut state["resources"][index]["instances"][0];
    assert_eq!(instance["schema_version"], 1, "written at version 1");
    let users = instance["attributes"]["users"]["value"].clone();
    assert!(
        instance["attributes"]["users"]["type"].is_array(),
        "a dynamic attribute is stored with its type: {}",
        instance["attributes"]["users"]
    );
    let attributes = [
        "name",
        "role",
        "role_id",
        "title",
        "alternate_email",
        "phone",
        "location",
        "employee_number",
        "timezone",
        "locale",
    ];
    let old_users: serde_json::Map<String, Value> = users
        .as_object()
        .expect("users")
        .iter()
        .map(|(key, entry)| {
            let full: serde_json::Map<String, Value> = attributes
                .iter()
                .map(|a| (a.to_string(), entry.get(*a).cloned().unwrap_or(Value::Null)))
                .collect();
            (key.clone(), Value::Object(full))
        })
        .collect();
    assert_eq!(old_users.len(), 30);
    instance["schema_version"] = 0.into();
    instance["attributes"]["users"] = Value::Object(old_users);
    state["serial"] = (state["serial"].as_u64().unwrap_or(1) + 1).into();
    std::fs::write(
        ws.path().join("terraform.tfstate"),
        serde_json::to_vec_pretty(&state).expect("state JSON"),
    )
    .expect("write state");

    store.reset_stats();
    let out = plan(&ws, "plan after the upgrade").await;
    out.expect_code(0, "no change after the upgrade");
    assert_eq!(writes(&store), (0, 0, 0), "no call changed Domo");
    apply(&ws, "apply after the upgrade")
        .await
        .expect_code(0, "apply");
    assert_eq!(writes(&store), (0, 0, 0), "nothing to apply");
    let (state, index) = stored_roster(&ws);
    assert_eq!(
        state["resources"][index]["instances"][0]["schema_version"],
        1
    );

    // The next change is planned per entry and applied as usual.
    let mut changed = people.clone();
    changed[4].3 = "Upgraded".into();
    write_csv(&ws, &changed);
    assert_eq!(
        planned_entry_changes(&ws).await,
        BTreeSet::from([changed[4].0.clone()])
    );
    apply(&ws, "apply one change").await.expect_code(0, "apply");
    assert_eq!(writes(&store), (0, 1, 0));
    plan(&ws, "clean plan").await.expect_code(0, "clean plan");
}

/// Entries written in any form Terraform accepts for the attributes (a
/// number for employee_number or role_id, an explicit null, a map built
/// with tomap) come back exactly as written: the plan after apply is clean,
/// and a change to one entry plans that entry alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_keep_the_form_they_are_written_in() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    let config_numbered = |title: &str, employee_number: &str| {
        format!(
            r#"
locals {{
  title = "{title}"
}}

resource "domo_user_roster" "all" {{
  users = {{
    "Ada@Example.com" = {{
      name            = "Ada"
      role            = "Participant"
      employee_number = {employee_number}
      title           = null
    }}
    "bob@example.com" = {{
      name    = "Bob"
      role_id = 4
      title   = local.title
    }}
    "cy@example.com" = tomap({{
      name  = "Cy"
      role  = "Privileged"
      phone = "555-0100"
    }})
  }}
}}
"#
        )
    };
    let config = |title: &str| config_numbered(title, "1001");
    ws.write_config(&config("Engineer"));
    apply(&ws, "apply").await.expect_code(0, "apply");
    assert_eq!(store.users().len(), 3);
    plan(&ws, "plan")
        .await
        .expect_code(0, "clean plan after apply");
    let by_email = users_by_email(&store);
    assert_eq!(
        by_email["ada@example.com"].employee_number.as_deref(),
        Some("1001")
    );

    ws.write_config(&config("Manager"));
    assert_eq!(
        planned_entry_changes(&ws).await,
        BTreeSet::from(["bob@example.com".to_owned()])
    );
    store.reset_stats();
    apply(&ws, "apply a change").await.expect_code(0, "apply");
    assert_eq!(writes(&store), (0, 1, 0));
    plan(&ws, "plan")
        .await
        .expect_code(0, "clean plan after the change");

    // The same value written in another form (a string for the number):
    // the same people, so the plan keeps what is stored and shows nothing.
    ws.write_config(&config_numbered("Manager", r#""1001""#));
    plan(&ws, "plan")
        .await
        .expect_code(0, "another form is no change");
}

/// What Terraform no longer checks for a `dynamic` attribute, the provider
/// does, naming the entry and the attribute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_entries_fail_at_plan_naming_them() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    for (users, wanted) in [
        (
            r#"{ "a@example.com" = { name = "A", tittle = "x" } }"#,
            r#"unsupported attribute "tittle""#,
        ),
        (
            r#"{ "a@example.com" = { role = "Participant" } }"#,
            r#"the attribute "name" is required"#,
        ),
        (
            r#"{ "a@example.com" = { name = ["A"] } }"#,
            "name must be string",
        ),
        (r#"{ "a@example.com" = "A" }"#, "expected an object"),
        (
            r#"["a@example.com"]"#,
            "Expected a map of objects keyed by name",
        ),
    ] {
        ws.write_config(&format!(
            "resource \"domo_user_roster\" \"all\" {{\n  users = {users}\n}}\n"
        ));
        let out = plan(&ws, "plan a malformed roster").await;
        let all = out.expect_code(1, users).flat();
        assert!(all.contains(wanted), "{users}: {all}");
    }
    assert_eq!(writes(&store), (0, 0, 0));
}
