//! `scripts/check-domo`, the live conformance check, run with python3
//! against the simulator in-process under its strict and lenient readings:
//! it runs to the end, its table lists every assumption with what the
//! simulator did, it removes every object it created (also when interrupted
//! with SIGINT, and leftovers of an earlier run), and it never touches
//! objects that merely look alike.

use std::process::{Output, Stdio};
use std::time::Duration;

use terraform_provider_domo::sim::{SimConfig, SimGroup, SimStore, SimUser, Simulator};
use tokio::process::{Child, Command};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/check-domo");

/// A guard against a hung script, not a timing assertion.
const RUN_LIMIT: Duration = Duration::from_secs(180);

/// Assumptions every table must list (the first column).
const EXPECTED_ROWS: &[&str] = &[
    "Token by POST /oauth/token with a form body",
    "Token by GET /oauth/token with query parameters",
    "Token answer: scope",
    "Token answer: expires_in",
    "GET /v1/users answers a bare JSON array",
    "GET /v1/users?limit=500",
    "GET /v1/users?limit=501",
    "Create with role \"Admin\" by name",
    "Create with role \"Privileged\" by name",
    "Create with role \"Editor\" by name",
    "Create with role \"Participant\" by name",
    "Create with role \"Social\" by name",
    "Create with roleId 3 and no role",
    "roleId in user objects",
    "Update to role \"Editor\" by name",
    "Update to role \"Social\" by name",
    "Update with roleId 3 (no role)",
    "Update with roleId 5 (no role)",
    "employeeNumber as a JSON number on create",
    "employeeNumber \"E-7\" (not a number)",
    "employeeNumber \"\" on update",
    "employeeNumber null on update",
    "PUT /v1/users/{id} answers",
    "Create with an email another user has",
    "GET /v1/users/{unknown id}",
    "GET of a deleted user",
    "Group `default` in create answer / GET / listing",
    "Group `creatorId` in create answer / GET / listing",
    "GET /v1/groups/{id}/users paging",
    "Adding a member again",
    "Removing a user who is not a member",
    "DELETE of a group with members",
    "DELETE of a user owning DataSets or Dataflows",
];

/// `scripts/check-domo` pointed at the simulator, output captured.
fn check_domo(sim: &Simulator) -> Command {
    let mut command = Command::new("python3");
    command
        .arg(SCRIPT)
        .env("DOMO_CLIENT_ID", "sim-client")
        .env("DOMO_CLIENT_SECRET", "sim-secret")
        .env("DOMO_API_HOST", sim.base_url())
        .env("DOMO_CHECK_PACE", "0")
        .env_remove("DOMO_SCOPE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // urllib would send requests for 127.0.0.1 through a configured proxy.
    for proxy in ["http_proxy", "https_proxy", "all_proxy"] {
        command.env_remove(proxy).env_remove(proxy.to_uppercase());
    }
    command
}

async fn finish(child: Child) -> (Output, String, String) {
    let output = tokio::time::timeout(RUN_LIMIT, child.wait_with_output())
        .await
        .expect("check-domo finishes")
        .expect("check-domo runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

async fn run(command: &mut Command) -> (Output, String, String) {
    finish(command.spawn().expect("python3 starts")).await
}

/// The table's rows: (assumption, provider expects, instance did, result).
fn rows(stdout: &str) -> Vec<[String; 4]> {
    stdout
        .lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| Assumption |"))
        .map(|line| {
            let cells: Vec<String> = line
                .trim_start_matches("| ")
                .trim_end_matches(" |")
                .split(" | ")
                .map(str::to_string)
                .collect();
            assert_eq!(cells.len(), 4, "a row of four cells: {line}");
            [
                cells[0].clone(),
                cells[1].clone(),
                cells[2].clone(),
                cells[3].clone(),
            ]
        })
        .collect()
}

/// What the instance did, in the row of this assumption.
fn observed<'a>(rows: &'a [[String; 4]], assumption: &str) -> &'a str {
    &rows
        .iter()
        .find(|row| row[0] == assumption)
        .unwrap_or_else(|| panic!("no row {assumption:?}"))[2]
}

/// Live users and groups whose name or email starts with the prefix.
fn conformance_objects(store: &SimStore) -> (Vec<SimUser>, Vec<SimGroup>) {
    let ours = |text: &str| text.to_lowercase().starts_with("tf-conformance-");
    let users = store
        .users()
        .into_iter()
        .filter(|user| ours(&user.name) || ours(&user.email))
        .collect();
    let groups = store
        .groups()
        .into_iter()
        .filter(|group| ours(&group.name))
        .collect();
    (users, groups)
}

fn assert_nothing_left(store: &SimStore, context: &str) {
    let (users, groups) = conformance_objects(store);
    assert!(
        users.is_empty() && groups.is_empty(),
        "{context}: left behind users {users:?} and groups {groups:?}"
    );
}

/// A complete run: exit 0, every expected row, every row OK (the simulator
/// plays a reading the provider copes with), nothing left behind.
async fn complete_run(sim: &Simulator) -> Vec<[String; 4]> {
    let (output, stdout, stderr) = run(&mut check_domo(sim)).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "check-domo exits 0\n{stdout}\n{stderr}"
    );
    let rows = rows(&stdout);
    for assumption in EXPECTED_ROWS {
        observed(&rows, assumption);
    }
    let not_ok: Vec<&[String; 4]> = rows.iter().filter(|row| row[3] != "OK").collect();
    assert!(
        not_ok.is_empty(),
        "the simulator meets every expectation: {not_ok:#?}"
    );
    assert!(
        stderr.contains("nothing named tf-conformance-"),
        "the cleanup is confirmed: {stderr}"
    );
    assert_nothing_left(&sim.store(), "after a complete run");
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn strict_reading_refuses_editor_and_social_by_name_and_leftovers_go() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    // Leftovers of an earlier run killed hard: a user, and a group with
    // that user as a member (the strict simulator refuses to delete it
    // until it is emptied).
    let leftover_user = store.insert_user(SimUser {
        name: "tf-conformance-dead00-editor".into(),
        email: "tf-conformance-dead00-editor@example.com".into(),
        role: "Participant".into(),
        ..SimUser::default()
    });
    let leftover_group = store.insert_group(SimGroup {
        name: "tf-conformance-dead00-group".into(),
        members: [leftover_user].into(),
        ..SimGroup::default()
    });
    // Look-alikes that are not the check's: the prefix on the name only, on
    // the email only, and a group name without a run id.
    let name_only = store.insert_user(SimUser {
        name: "tf-conformance-dead00-jane".into(),
        email: "jane@example.com".into(),
        role: "Participant".into(),
        ..SimUser::default()
    });
    let email_only = store.insert_user(SimUser {
        name: "Jane Doe".into(),
        email: "tf-conformance-dead00-jane@example.com".into(),
        role: "Participant".into(),
        ..SimUser::default()
    });
    let group_look_alike = store.insert_group(SimGroup {
        name: "tf-conformance-notes".into(),
        ..SimGroup::default()
    });

    let (output, stdout, stderr) = run(&mut check_domo(&sim)).await;
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Removed leftovers of an earlier tf-conformance run")
            && stdout.contains("tf-conformance-dead00-editor@example.com"),
        "the output says what it removed: {stdout}"
    );
    assert!(store.user(leftover_user).is_some_and(|user| user.deleted));
    assert!(store.group(leftover_group).is_none());
    for id in [name_only, email_only] {
        assert!(
            store.user(id).is_some_and(|user| !user.deleted),
            "user {id} is not the check's and stays"
        );
    }
    assert!(store.group(group_look_alike).is_some());

    // The leftovers are gone: a second run is a plain complete run.
    store.edit_user(name_only, |user| user.deleted = true);
    store.edit_user(email_only, |user| user.deleted = true);
    store.delete_group_directly(group_look_alike);
    let rows = complete_run(&sim).await;
    for role in ["Editor", "Social"] {
        let did = observed(&rows, &format!("Create with role \"{role}\" by name"));
        assert!(did.starts_with("refused: HTTP 400"), "{role}: {did}");
        let did = observed(&rows, &format!("Update to role \"{role}\" by name"));
        assert!(did.starts_with("refused: HTTP 400"), "{role}: {did}");
    }
    for role in ["Admin", "Privileged", "Participant"] {
        let did = observed(&rows, &format!("Create with role \"{role}\" by name"));
        assert!(did.starts_with("accepted"), "{role}: {did}");
    }
    let did = observed(&rows, "Update with roleId 3 (no role)");
    assert!(did.contains("reads back as Editor"), "{did}");
    let did = observed(&rows, "Create with role Participant and roleId 3");
    assert!(did.contains("roleId ignored"), "{did}");
    let did = observed(&rows, "employeeNumber \"E-7\" (not a number)");
    assert!(did.starts_with("refused: HTTP 400"), "{did}");
    let did = observed(&rows, "roleId in user objects");
    assert!(did.starts_with("absent"), "{did}");
    let did = observed(&rows, "Group `default` in create answer / GET / listing");
    assert_eq!(did, "create: boolean false; GET: absent; listing: absent");
    let did = observed(&rows, "DELETE of a user owning DataSets or Dataflows");
    assert!(
        did.starts_with("refused: HTTP 400") && did.contains("owns DataSets"),
        "the simulator is detected and the refusal observed: {did}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn lenient_reading_accepts_editor_and_social_by_name() {
    let sim = Simulator::start(SimConfig::lenient())
        .await
        .expect("simulator");
    let rows = complete_run(&sim).await;
    for role in ["Editor", "Social"] {
        let did = observed(&rows, &format!("Create with role \"{role}\" by name"));
        assert!(did.starts_with("accepted"), "{role}: {did}");
        assert!(
            did.contains(&format!("reads back as {role}")),
            "{role}: {did}"
        );
    }
    let did = observed(&rows, "Create with roleId 3 and no role");
    assert!(did.contains("roleId honoured"), "{did}");
    let did = observed(&rows, "employeeNumber \"E-7\" (not a number)");
    assert!(did.starts_with("accepted"), "{did}");
    let did = observed(&rows, "roleId in user objects");
    assert!(did.starts_with("number"), "{did}");
    let did = observed(&rows, "Group `creatorId` in create answer / GET / listing");
    assert_eq!(did, "create: number 1; GET: number 1; listing: number 1");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limited_instance_is_waited_out() {
    // The check sends its first 31 requests well within a second (a few
    // milliseconds each), so the 31st meets a 429 with Retry-After.
    let sim = Simulator::start(SimConfig {
        rate_limit_per_second: Some(30),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    complete_run(&sim).await;
    assert!(
        sim.store().stats().rejected_rate_limited > 0,
        "the check met 429s and went on"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_halfway_cleans_up_and_a_rerun_leaves_nothing() {
    // Slow requests, so that the run is still going when it is interrupted.
    let sim = Simulator::start(SimConfig {
        latency: Duration::from_millis(20),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let store = sim.store();
    let mut child = check_domo(&sim).spawn().expect("python3 starts");
    let pid = child.id().expect("a running process");
    loop {
        if !conformance_objects(&store).0.is_empty() {
            break;
        }
        if let Some(status) = child.try_wait().expect("child status") {
            panic!("check-domo ended ({status}) before creating anything");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let kill = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .await
        .expect("kill runs");
    assert!(kill.success());
    let (output, stdout, stderr) = finish(child).await;
    assert_eq!(
        output.status.code(),
        Some(130),
        "interrupted: 128 + SIGINT\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("interrupted by SIGINT") && stderr.contains("nothing named"),
        "{stderr}"
    );
    assert_nothing_left(&store, "after SIGINT");

    store.set_config(SimConfig::default());
    complete_run(&sim).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unusable_setups_exit_2_with_a_clear_message() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let (output, _, stderr) = run(check_domo(&sim)
        .env_remove("DOMO_CLIENT_ID")
        .env_remove("DOMO_CLIENT_SECRET"))
    .await;
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("DOMO_CLIENT_ID and DOMO_CLIENT_SECRET not set"),
        "{stderr}"
    );

    let (output, _, stderr) = run(check_domo(&sim).env("DOMO_CLIENT_SECRET", "wrong")).await;
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("Domo refused the client credentials (HTTP 401"),
        "{stderr}"
    );
    assert_eq!(sim.store().stats().create_requests, 0);
}
