//! Faults with real Terraform, each checked for the promise users run
//! pipelines on: whatever happens, Domo and the state agree afterwards, no
//! account is lost or duplicated, and no secret reaches the output.
//!
//! - the provider killed (SIGKILL) in the middle of a 300-user apply;
//! - Domo down (connections refused, open ones cut) for 20 s mid-apply;
//! - three pipelines applying at once against one rate-limited Domo.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::terraform::{provider_processes, RunningTerraform, TfResult, Workspace};
use terraform_provider_domo::sim::{SimConfig, SimStore, Simulator};

const PARALLELISM: &str = "-parallelism=10";
/// Most creates one provider has in flight: Terraform's -parallelism.
const IN_FLIGHT: usize = 10;
/// Longer than any of these applies should take, short enough that a hang
/// fails the test instead of the CI job.
const HANG_LIMIT: Duration = Duration::from_secs(300);

const APPLY: [&str; 5] = [
    "apply",
    "-auto-approve",
    "-input=false",
    "-no-color",
    PARALLELISM,
];

async fn apply(ws: &Workspace) -> TfResult {
    ws.run(&APPLY).await
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

/// `count` users `domo_user.u[N]` with email "<prefix>-N@example.com".
fn users_config(prefix: &str, count: usize) -> String {
    format!(
        r#"
resource "domo_user" "u" {{
  count = {count}
  name  = "{prefix} user ${{count.index}}"
  email = "{prefix}-${{count.index}}@example.com"
  role  = "Participant"
}}
"#
    )
}

/// Lower-cased email -> id of every user in state; panics on an email held
/// twice.
async fn state_users(ws: &Workspace) -> BTreeMap<String, u64> {
    let mut users = BTreeMap::new();
    for (address, values) in ws.state_resources().await {
        let id = values["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("{address} has no numeric id: {values}"));
        let email = values["email"].as_str().unwrap_or_default().to_lowercase();
        let previous = users.insert(email.clone(), id);
        assert!(previous.is_none(), "{email} is twice in state");
    }
    users
}

/// Lower-cased email -> id of every live simulator user whose email starts
/// with `prefix`; panics on a duplicate email.
fn domo_users(store: &SimStore, prefix: &str) -> BTreeMap<String, u64> {
    let mut users = BTreeMap::new();
    for user in store.users() {
        let email = user.email.to_lowercase();
        if email.starts_with(prefix) {
            let previous = users.insert(email.clone(), user.id);
            assert!(previous.is_none(), "duplicate account in Domo: {email}");
        }
    }
    users
}

/// Fails if Terraform's output holds the client secret or any token the
/// simulator issued: error paths are where secrets leak.
fn assert_no_secret(store: &SimStore, result: &TfResult) {
    let text = result.all();
    let secret = store.config().client_secret;
    assert!(!text.contains(&secret), "the client secret leaked:\n{text}");
    for token in store.issued_tokens() {
        assert!(!text.contains(&token), "an access token leaked:\n{text}");
    }
}

/// Waits until the simulator has seen `creates` create requests.
async fn await_creates(store: &SimStore, creates: u64, terraform: &mut RunningTerraform) {
    let started = Instant::now();
    while store.stats().create_requests < creates {
        assert!(
            !terraform.has_exited(),
            "terraform ended before {creates} creates"
        );
        assert!(
            started.elapsed() < HANG_LIMIT,
            "the apply never reached {creates} creates: {:?}",
            store.stats()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The advice of each "already exists" error in Terraform's output, as
/// (resource address, the import command with the address filled in).
fn import_advice(output: &str) -> Vec<(String, String)> {
    // One block per diagnostic, from its "Error:" or "Warning:" line; with
    // colours off, Terraform 1.0 prints no "│" frame, later versions do.
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in output.lines() {
        let line = line.trim_start_matches(['│', '╷', '╵']).trim();
        if line.starts_with("Error: ") || line.starts_with("Warning: ") {
            blocks.push(Vec::new());
        }
        if let Some(block) = blocks.last_mut() {
            block.push(line);
        }
    }
    blocks
        .into_iter()
        .filter(|block| block[0] == "Error: A Domo user with this email already exists")
        .map(|block| {
            let text = block.join("\n");
            let address = block
                .iter()
                .find_map(|line| line.strip_prefix("with ")?.strip_suffix(','))
                .unwrap_or_else(|| panic!("no resource address in:\n{text}"));
            let command = block
                .iter()
                .find(|line| line.starts_with("terraform import 'ADDRESS' "))
                .unwrap_or_else(|| panic!("no import command in:\n{text}"));
            (
                address.to_string(),
                command.replace("'ADDRESS'", &format!("'{address}'")),
            )
        })
        .collect()
}

/// Splits `terraform import 'ADDR' ID` as a shell would.
fn import_args(command: &str) -> (String, String) {
    let rest = command
        .strip_prefix("terraform import '")
        .unwrap_or_else(|| panic!("not an import command: {command}"));
    let (address, id) = rest
        .split_once("' ")
        .unwrap_or_else(|| panic!("not an import command: {command}"));
    (address.to_string(), id.trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_killed_mid_apply_converges_once_the_named_users_are_imported() {
    const USERS: usize = 300;
    const PREFIX: &str = "killed";
    // Each answer leaves Domo 300 ms after the user is stored: at the kill,
    // the creates in flight have reached Domo and their answers have not
    // reached Terraform.
    let sim = Simulator::start(SimConfig {
        response_latency: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    ws.write_config(&users_config(PREFIX, USERS));

    let started = Instant::now();
    let mut terraform = ws.spawn(&APPLY);
    await_creates(&store, 100, &mut terraform).await;
    let terraform_pid = terraform.pid();
    let providers = provider_processes(terraform_pid);
    assert_eq!(providers.len(), 1, "one provider serves the apply");
    let killed = std::process::Command::new("kill")
        .args(["-9", &providers[0].to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let interrupted = terraform
        .finish(HANG_LIMIT)
        .await
        .expect("Terraform must not hang when its provider dies");
    let interrupted_after = started.elapsed();
    assert_ne!(interrupted.code, 0, "{}", interrupted.all());
    assert!(
        interrupted.stderr.contains("plugin"),
        "Terraform reports the dead plugin: {}",
        interrupted.all()
    );
    assert_no_secret(&store, &interrupted);
    let reported: BTreeSet<&str> = interrupted
        .stderr
        .lines()
        .map(|line| line.trim_start_matches(['│', ' ']))
        .filter(|line| line.starts_with("Error: "))
        .collect();
    eprintln!("Terraform after the kill: {reported:?}");
    store.set_config(SimConfig::default());

    // Terraform saved what it knew and released its lock.
    assert!(
        !ws.path().join(".terraform.tfstate.lock.info").exists(),
        "the state lock is released"
    );
    let saved = state_users(&ws).await;
    let in_domo = domo_users(&store, PREFIX);
    assert!(!saved.is_empty() && saved.len() < USERS, "{}", saved.len());
    for (email, id) in &saved {
        assert_eq!(in_domo.get(email), Some(id), "{email}: state is true");
    }
    let orphans: BTreeMap<&String, &u64> = in_domo
        .iter()
        .filter(|(email, _)| !saved.contains_key(*email))
        .collect();
    assert!(
        !orphans.is_empty() && orphans.len() <= IN_FLIGHT,
        "Domo made the creates in flight at the kill, Terraform never heard: {orphans:?}"
    );

    // The next apply creates everything else and names each of those
    // users, with the command that adopts it.
    let recovery = apply(&ws).await.expect_code(1, "re-apply after the kill");
    assert_no_secret(&store, &recovery);
    let advice = import_advice(&recovery.stderr);
    assert_eq!(advice.len(), orphans.len(), "{}", recovery.all());
    assert_eq!(
        domo_users(&store, PREFIX).len(),
        USERS,
        "no duplicate, nothing missing"
    );
    for (address, command) in &advice {
        let (imported, id) = import_args(command);
        assert_eq!(&imported, address);
        // domo_user.u[N] is PREFIX-N@example.com.
        let index = address
            .strip_prefix("domo_user.u[")
            .and_then(|rest| rest.strip_suffix(']'))
            .unwrap_or_else(|| panic!("unexpected address {address}"));
        let email = format!("{PREFIX}-{index}@example.com");
        assert_eq!(
            orphans.get(&email).map(|id| id.to_string()),
            Some(id.clone()),
            "{command} adopts the user Domo made for {email}"
        );
        ws.run(&["import", "-input=false", "-no-color", address, &id])
            .await
            .expect_code(0, command);
    }
    let converged = apply(&ws).await.expect_code(0, "apply after the imports");
    assert!(
        converged.stdout.contains("0 added, 0 changed, 0 destroyed")
            || converged.stdout.contains("No changes"),
        "{}",
        converged.all()
    );
    plan(&ws).await.expect_code(0, "no drift");

    let final_state = state_users(&ws).await;
    let final_domo = domo_users(&store, PREFIX);
    assert_eq!(final_state.len(), USERS);
    assert_eq!(final_state, final_domo, "state ids are Domo's ids");
    eprintln!(
        "killed after {interrupted_after:.1?} with {} users in state and {} more in Domo; \
         converged in {:.1?} in all",
        saved.len(),
        orphans.len(),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_rides_out_twenty_seconds_of_domo_refusing_connections() {
    const USERS: usize = 300;
    const PREFIX: &str = "outage";
    const OUTAGE: Duration = Duration::from_secs(20);
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);
    ws.write_config(&users_config(PREFIX, USERS));

    let started = Instant::now();
    let mut terraform = ws.spawn(&APPLY);
    await_creates(&store, 100, &mut terraform).await;
    let cut = store.refuse_connections_for(OUTAGE);
    let before = store.stats().create_requests;
    tokio::time::sleep(OUTAGE).await;
    let during = store.stats().create_requests - before;
    let result = terraform
        .finish(HANG_LIMIT)
        .await
        .expect("Terraform must not hang while Domo is down");
    let after = store.stats().create_requests - before - during;
    eprintln!(
        "outage: {cut} open connections cut, {during} creates arrived during it, \
         {after} after; apply took {:.1?}",
        started.elapsed()
    );
    // Refused connections never sent a request: they are retried until
    // the operation's deadline, so the apply completes.
    let result = result.expect_code(0, "apply through a 20 s outage");
    assert_no_secret(&store, &result);
    assert!(!result.stderr.contains("Error"), "{}", result.all());
    assert!(during <= IN_FLIGHT as u64, "Domo was down: {during}");
    assert!(after > 0, "the apply went on after the outage");

    let in_state = state_users(&ws).await;
    assert_eq!(in_state.len(), USERS);
    assert_eq!(in_state, domo_users(&store, PREFIX), "no duplicate");
    plan(&ws).await.expect_code(0, "no drift");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_pipelines_share_a_rate_limit_of_twenty_requests_a_second() {
    const USERS: usize = 300;
    const PIPELINES: usize = 3;
    const REPEATS: usize = 5;
    let sim = Simulator::start(SimConfig {
        rate_limit_per_second: Some(20),
        retry_after_header: true,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let store = sim.store();
    for repeat in 0..REPEATS {
        // Fresh workspaces and emails each time: nothing to destroy.
        let prefixes: Vec<String> = (0..PIPELINES)
            .map(|pipeline| format!("r{repeat}p{pipeline}"))
            .collect();
        let workspaces: Vec<Workspace> = prefixes
            .iter()
            .map(|prefix| {
                let ws = Workspace::new(&sim);
                ws.write_config(&users_config(prefix, USERS));
                ws
            })
            .collect();
        store.reset_stats();
        let started = Instant::now();
        let (first, second, third) = tokio::join!(
            apply(&workspaces[0]),
            apply(&workspaces[1]),
            apply(&workspaces[2])
        );
        let results = [first, second, third];
        let took = started.elapsed();
        for (result, prefix) in results.into_iter().zip(&prefixes) {
            let result = result.expect_code(0, &format!("pipeline {prefix}"));
            assert_no_secret(&store, &result);
            assert!(!result.stderr.contains("Error"), "{}", result.all());
        }
        let mut in_states = BTreeMap::new();
        for ws in &workspaces {
            let users = state_users(ws).await;
            assert_eq!(users.len(), USERS);
            in_states.extend(users);
        }
        let prefix = format!("r{repeat}p");
        assert_eq!(
            in_states,
            domo_users(&store, &prefix),
            "Domo holds exactly the users in the three states"
        );
        let stats = store.stats();
        eprintln!(
            "repeat {repeat}: {took:.1?}, {} requests, {} answered 429",
            stats.total_api_requests, stats.rejected_rate_limited
        );
        assert!(stats.rejected_rate_limited > 0, "the limit was met");
    }
    let emails: BTreeSet<String> = store.users().into_iter().map(|u| u.email).collect();
    assert_eq!(emails.len(), USERS * PIPELINES * REPEATS);
}
