//! Scale tests with real Terraform: hundreds of users through a throttled,
//! flaky simulator; creates whose answer is lost; and the API cost of
//! refreshing many users (or a few in a huge instance), counted by the
//! simulator.

mod common;

use std::collections::BTreeSet;
use std::time::Instant;

use common::sim::domo_users;
use common::terraform::{plan_counts, TfResult, Workspace};
use serde_json::json;
use terraform_provider_domo::sim::{SimConfig, SimUser, Simulator};

const PARALLELISM: &str = "-parallelism=10";

async fn apply(ws: &Workspace) -> TfResult {
    ws.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        PARALLELISM,
    ])
    .await
}

async fn plan(ws: &Workspace) -> TfResult {
    ws.run(&[
        "plan",
        "-detailed-exitcode",
        "-input=false",
        "-no-color",
        PARALLELISM,
    ])
    .await
}

async fn destroy(ws: &Workspace) -> TfResult {
    ws.run(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        PARALLELISM,
    ])
    .await
}

/// `count` users named "Scale User N" with email "scale-N@example.com".
fn scale_config(count: usize) -> String {
    format!(
        r#"
resource "domo_user" "u" {{
  count = {count}
  name  = "Scale User ${{count.index}}"
  email = "scale-${{count.index}}@example.com"
  role  = "Participant"
}}
"#
    )
}

/// (id, lower-cased email) of every user in state.
async fn state_users(ws: &Workspace) -> BTreeSet<(String, String)> {
    ws.state_resources()
        .await
        .into_iter()
        .map(|(address, values)| {
            let id = values["id"].as_str().unwrap_or_default().to_owned();
            let email = values["email"].as_str().unwrap_or_default().to_lowercase();
            assert!(!id.is_empty(), "{address} has no id");
            (id, email)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_users_through_a_throttled_flaky_api() {
    const USERS: usize = 300;
    let sim = Simulator::start(SimConfig {
        rate_limit_per_second: Some(50),
        error_rate: 0.02,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    ws.write_config(&scale_config(USERS));

    let started = Instant::now();
    apply(&ws).await.expect_code(0, "apply of 300 users");
    let applied = started.elapsed();
    let in_state = state_users(&ws).await;
    assert_eq!(in_state.len(), USERS);
    assert_eq!(
        in_state,
        domo_users(&store),
        "Domo holds exactly the users in state"
    );

    let started = Instant::now();
    plan(&ws).await.expect_code(0, "refresh finds no drift");
    let planned = started.elapsed();

    let started = Instant::now();
    destroy(&ws).await.expect_code(0, "destroy of 300 users");
    let destroyed = started.elapsed();
    assert!(store.users().is_empty(), "every user deleted");
    assert!(ws.state_list().await.is_empty());

    let stats = store.stats();
    eprintln!(
        "300 users: apply {applied:.1?}, plan {planned:.1?}, destroy {destroyed:.1?}; {stats:?}"
    );
    assert!(stats.injected_errors > 0, "the run must meet 5xx answers");
    // A create is sent again only after an attempt the simulator refused
    // without acting (a 429 or an injected 5xx, checked by email first).
    let resent = stats.create_requests - USERS as u64;
    assert!(
        resent <= stats.injected_errors + stats.rejected_rate_limited,
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_connection_drops_yields_exactly_one_user() {
    let sim = Simulator::start(SimConfig {
        drop_connection_after_create: 1,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let store = sim.store();
    store.seed_users(5);
    let ws = Workspace::new(&sim);
    ws.write_config(
        r#"
resource "domo_user" "lost" {
  name  = "Lost Answer"
  email = "lost.answer@example.com"
  role  = "Privileged"
}
"#,
    );
    let first = apply(&ws).await;
    if first.code != 0 {
        // A clean failure is allowed, as long as a second apply finishes
        // the job without a duplicate.
        assert!(first.stderr.contains("Error"), "{}", first.all());
        apply(&ws)
            .await
            .expect_code(0, "re-apply after a clean failure");
    }
    let matching: Vec<SimUser> = store
        .users()
        .into_iter()
        .filter(|u| u.email.eq_ignore_ascii_case("lost.answer@example.com"))
        .collect();
    assert_eq!(matching.len(), 1, "exactly one such user: {matching:?}");
    let id = ws
        .state_attr("domo_user.lost", "id")
        .await
        .expect("in state");
    assert_eq!(id, json!(matching[0].id.to_string()));
    assert_eq!(store.stats().create_requests, 1, "never re-sent");
    plan(&ws).await.expect_code(0, "no drift after adoption");

    // Several at once: three of ten creates lose their answer.
    let mut config = store.config();
    config.drop_connection_after_create = 3;
    store.set_config(config);
    ws.write_config(&scale_config(10));
    apply(&ws)
        .await
        .expect_code(0, "ten users, three answers lost");
    let in_state = state_users(&ws).await;
    assert_eq!(in_state.len(), 10);
    let scale_users: BTreeSet<_> = domo_users(&store)
        .into_iter()
        .filter(|(_, email)| email.starts_with("scale-"))
        .collect();
    assert_eq!(in_state, scale_users);
    assert_eq!(store.config().drop_connection_after_create, 0, "all fired");
}

/// State attributes of a simulator user, as the provider would have
/// written them.
fn state_attributes(user: &SimUser) -> serde_json::Value {
    json!({
        "id": user.id.to_string(),
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "title": null,
        "alternate_email": null,
        "phone": null,
        "location": null,
        "timezone": null,
        "locale": null,
        "employee_number": null,
        "send_invite": false,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "image_url": user.image,
    })
}

/// Config for seeded users "Seed User N" / seed-N@example.com, N from 1.
fn seeded_config(name: &str, count: usize) -> String {
    format!(
        r#"
resource "domo_user" "{name}" {{
  count = {count}
  name  = "Seed User ${{count.index + 1}}"
  email = "seed-${{count.index + 1}}@example.com"
  role  = "Participant"
}}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshing_a_thousand_users_costs_at_most_fifty_calls() {
    const USERS: usize = 1000;
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    store.seed_users(USERS);
    let users = store.users();
    let ws = Workspace::new(&sim);
    ws.write_config(&seeded_config("u", USERS));
    let instances = users
        .iter()
        .enumerate()
        .map(|(index, user)| (Some(index as u64), state_attributes(user)))
        .collect();
    ws.write_user_state(&[("u", instances)]);

    store.reset_stats();
    let started = Instant::now();
    let out = plan(&ws).await.expect_code(0, "refresh of 1,000 users");
    let stats = store.stats();
    eprintln!(
        "refresh of {USERS} users: {:.1?}; {stats:?}",
        started.elapsed()
    );
    assert!(out.stdout.contains("No changes"), "{}", out.all());
    assert!(
        stats.total_api_requests <= 50,
        "1,000 refreshes must cost at most 50 calls: {stats:?}"
    );
    assert_eq!(stats.token_requests, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshing_two_users_in_a_huge_instance_costs_at_most_six_calls() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    store.seed_users(20_000);
    let users = store.users();
    let (first, last) = (&users[6], &users[19_998]);
    let ws = Workspace::new(&sim);
    ws.write_config(
        r#"
resource "domo_user" "early" {
  name  = "Seed User 7"
  email = "seed-7@example.com"
  role  = "Participant"
}

resource "domo_user" "late" {
  name  = "Seed User 19999"
  email = "seed-19999@example.com"
  role  = "Participant"
}
"#,
    );
    ws.write_user_state(&[
        ("early", vec![(None, state_attributes(first))]),
        ("late", vec![(None, state_attributes(last))]),
    ]);

    store.reset_stats();
    plan(&ws)
        .await
        .expect_code(0, "refresh of 2 users among 20,000");
    let stats = store.stats();
    eprintln!("refresh of 2 users among 20,000: {stats:?}");
    assert!(stats.total_api_requests <= 6, "{stats:?}");
    assert_eq!(stats.list_requests, 0, "never lists the instance");

    // The same holds when one of them changed outside Terraform: the
    // drift is seen, still without listing.
    assert!(store.edit_user(last.id, |u| u.title = Some("Changed".into())));
    store.reset_stats();
    let out = plan(&ws).await.expect_code(2, "drift is seen");
    assert_eq!(plan_counts(&out.stdout), Some((0, 1, 0)), "{}", out.all());
    assert!(store.stats().total_api_requests <= 6);
}
