//! Acceptance tests of groups: real Terraform + the built provider + the
//! simulator, through the lifecycle of `domo_group`, `domo_group_members`
//! and `domo_group_membership` under each of the simulator's readings of
//! what Domo leaves undocumented; bad input; a user deleted while listed;
//! the group data sources; and the API cost of big member lists, counted
//! by the simulator.

mod common;

use std::collections::BTreeSet;

use common::terraform::{plan_counts, Workspace};
use serde_json::Value;
use terraform_provider_domo::sim::{SimConfig, SimGroup, SimStore, Simulator};

/// Domo's numeric id of a resource in state.
async fn id_of(ws: &Workspace, address: &str) -> u64 {
    ws.state_attr(address, "id")
        .await
        .and_then(|id| id.as_str().and_then(|id| id.parse().ok()))
        .unwrap_or_else(|| panic!("{address} has no numeric id in state"))
}

/// Whether a plan shows `out` leaving a member list and `into` joining it:
/// as a removal and an addition, or, where Terraform diffs two lists of one
/// length place by place, as the one changed into the other.
fn swaps(plan: &str, out: u64, into: u64) -> bool {
    let has = |text: String| plan.contains(&text);
    (has(format!("- \"{out}\"")) && has(format!("+ \"{into}\"")))
        || has(format!("~ \"{out}\" -> \"{into}\""))
}

fn members(store: &SimStore, group: u64) -> BTreeSet<u64> {
    store
        .group(group)
        .unwrap_or_else(|| panic!("group {group} in Domo"))
        .members
}

const USERS: &str = r#"
resource "domo_user" "ada" {
  name  = "Ada Lovelace"
  email = "ada@example.com"
  role  = "Admin"
}

resource "domo_user" "grace" {
  name  = "Grace Hopper"
  email = "grace@example.com"
  role  = "Editor"
}

resource "domo_user" "alan" {
  name  = "Alan Turing"
  email = "alan@example.com"
  role  = "Participant"
}
"#;

/// Two groups: Sales with its whole member list, Engineering with one
/// membership managed from the user's side.
fn groups(sales_name: &str, sales_members: &str, eng_default: bool) -> String {
    let default = if eng_default {
        "\n  default = true"
    } else {
        ""
    };
    format!(
        r#"{USERS}
resource "domo_group" "sales" {{
  name = "{sales_name}"
}}

resource "domo_group" "eng" {{
  name = "Engineering"{default}
}}

resource "domo_group_members" "sales" {{
  group_id = domo_group.sales.id
  user_ids = [{sales_members}]
}}

resource "domo_group_membership" "alan_eng" {{
  group_id = domo_group.eng.id
  user_id  = domo_user.alan.id
}}
"#
    )
}

/// The lifecycle every simulator reading must pass.
async fn lifecycle(config: SimConfig) {
    let sim = Simulator::start(config).await.expect("simulator");
    let store = sim.store();
    let ws = Workspace::new(&sim);

    // Create.
    ws.write_config(&groups(
        "Sales",
        "domo_user.ada.id, domo_user.grace.id",
        false,
    ));
    ws.apply().await.expect_code(0, "create");
    let (ada, grace, alan) = (
        id_of(&ws, "domo_user.ada").await,
        id_of(&ws, "domo_user.grace").await,
        id_of(&ws, "domo_user.alan").await,
    );
    let sales = id_of(&ws, "domo_group.sales").await;
    let eng = id_of(&ws, "domo_group.eng").await;
    assert_eq!(store.groups().len(), 2, "{:?}", store.groups());
    assert_eq!(
        store.config().drop_connection_after_group_create,
        0,
        "a lost create answer, when switched on, was met and adopted"
    );
    assert_eq!(store.group(sales).unwrap().name, "Sales");
    assert_eq!(members(&store, sales), BTreeSet::from([ada, grace]));
    assert_eq!(members(&store, eng), BTreeSet::from([alan]));
    assert_eq!(
        ws.state_attr("domo_group_membership.alan_eng", "id").await,
        Some(Value::String(format!("{eng}/{alan}")))
    );
    assert_eq!(
        ws.state_attr("domo_group.eng", "default").await,
        Some(Value::Bool(false))
    );
    ws.plan().await.expect_code(0, "clean after create");

    // Update in place: rename, change the member list, flag a default group.
    ws.write_config(&groups(
        "Sales EMEA",
        "domo_user.ada.id, domo_user.alan.id",
        true,
    ));
    let plan = ws.plan().await.expect_code(2, "update");
    assert_eq!(plan_counts(&plan.stdout), Some((0, 3, 0)), "{}", plan.all());
    assert!(
        swaps(&plan.stdout, grace, alan),
        "the plan names who is added and removed\n{}",
        plan.all()
    );
    ws.apply().await.expect_code(0, "update");
    assert_eq!(store.group(sales).unwrap().name, "Sales EMEA");
    assert!(store.group(eng).unwrap().default);
    assert_eq!(members(&store, sales), BTreeSet::from([ada, alan]));
    ws.plan().await.expect_code(0, "clean after update");

    // Drift made in Domo: a member added and one removed, a group renamed,
    // the managed membership removed.
    assert!(store.add_member_directly(sales, grace));
    assert!(store.remove_member_directly(sales, ada));
    assert!(store.edit_group(eng, |g| g.name = "Eng (renamed)".into()));
    assert!(store.remove_member_directly(eng, alan));
    let plan = ws.plan().await.expect_code(2, "drift");
    assert_eq!(plan_counts(&plan.stdout), Some((1, 2, 0)), "{}", plan.all());
    assert!(swaps(&plan.stdout, grace, ada), "{}", plan.all());
    assert!(
        plan.stdout.contains("\"Eng (renamed)\" -> \"Engineering\""),
        "{}",
        plan.all()
    );
    assert!(
        plan.all().contains("is no longer a member of group"),
        "{}",
        plan.all()
    );
    ws.apply().await.expect_code(0, "undo the drift");
    assert_eq!(members(&store, sales), BTreeSet::from([ada, alan]));
    assert_eq!(store.group(eng).unwrap().name, "Engineering");
    assert_eq!(members(&store, eng), BTreeSet::from([alan]));
    ws.plan()
        .await
        .expect_code(0, "clean after undoing the drift");

    // Import into a fresh state: a group by id and one by name, the member
    // list by group id, the membership by group/user.
    let fresh = Workspace::new(&sim);
    fresh.write_config(&format!(
        r#"
resource "domo_group" "sales" {{
  name = "Sales EMEA"
}}

resource "domo_group" "eng" {{
  name    = "Engineering"
  default = true
}}

resource "domo_group_members" "sales" {{
  group_id = domo_group.sales.id
  user_ids = ["{ada}", "{alan}"]
}}

resource "domo_group_membership" "alan_eng" {{
  group_id = domo_group.eng.id
  user_id  = "{alan}"
}}
"#
    ));
    for (address, id) in [
        ("domo_group.sales", sales.to_string()),
        ("domo_group.eng", "name:Engineering".to_string()),
        ("domo_group_members.sales", sales.to_string()),
        ("domo_group_membership.alan_eng", format!("{eng}/{alan}")),
    ] {
        fresh
            .run(&["import", "-input=false", "-no-color", address, &id])
            .await
            .expect_code(0, &format!("import {address} {id}"));
    }
    assert_eq!(id_of(&fresh, "domo_group.eng").await, eng);
    if !store.config().group_default_in_reads {
        // Domo's reads do not say whether a group is a default group, so
        // the imported group's `default` is unknown until set once.
        let plan = fresh.plan().await.expect_code(2, "default after import");
        assert_eq!(plan_counts(&plan.stdout), Some((0, 1, 0)), "{}", plan.all());
        assert!(plan.stdout.contains("+ default"), "{}", plan.all());
        fresh
            .apply()
            .await
            .expect_code(0, "set default after import");
        assert!(store.group(eng).unwrap().default);
    }
    fresh.plan().await.expect_code(0, "clean after import");

    // Destroy, with a member Terraform does not manage still in a group:
    // where Domo refuses to delete a group with members, it is emptied.
    assert!(store.add_member_directly(eng, grace));
    fresh.destroy().await.expect_code(0, "destroy the groups");
    assert!(store.groups().is_empty(), "{:?}", store.groups());
    assert_eq!(
        store.users().len(),
        3,
        "users are not the groups' to delete"
    );
    // The first state is stale now: the groups are gone, the users go.
    ws.destroy().await.expect_code(0, "destroy the rest");
    assert!(store.users().is_empty());
    assert!(ws.state_list().await.is_empty());
}

/// A state holding `domo_group_members.big` for `group` with `user_ids`,
/// at schema version 0 (how a test writes what an earlier run stored).
fn write_members_state(ws: &Workspace, group: u64, user_ids: Vec<String>) {
    ws.write_state(
        "domo_group_members",
        &[(
            "big",
            vec![(
                None,
                serde_json::json!({
                    "id": group.to_string(),
                    "group_id": group.to_string(),
                    "user_ids": user_ids,
                }),
            )],
        )],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_default_simulator() {
    lifecycle(SimConfig::default()).await;
}

/// Every undocumented behaviour the other way round from the default.
#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_every_unknown_read_the_other_way() {
    lifecycle(SimConfig {
        max_group_page_size: 1,
        max_group_member_page_size: 1,
        delete_group_with_members: true,
        already_member_status: None,
        not_member_status: None,
        duplicate_group_name_status: None,
        group_user_ids: true,
        user_groups: false,
        put_returns_body: false,
        default_groups_gain_new_users: false,
        role_id_as_string: true,
        ..SimConfig::lenient()
    })
    .await;
}

/// The other statuses Domo might answer, and a group create whose answer
/// is lost.
#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_other_statuses_and_a_lost_create_answer() {
    lifecycle(SimConfig {
        already_member_status: Some(409),
        not_member_status: Some(400),
        duplicate_group_name_status: Some(400),
        drop_connection_after_group_create: 1,
        ..SimConfig::default()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_fails_at_plan_pointing_at_the_attribute_without_calling_domo() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let ws = Workspace::new(&sim);
    ws.write_config(
        r#"
resource "domo_group" "blank" {
  name = "   "
}

resource "domo_group_members" "bad" {
  group_id = "1000000001"
  user_ids = ["1000001", "ada"]
}

resource "domo_group_membership" "bad" {
  group_id = "sales"
  user_id  = "1000001"
}
"#,
    );
    let out = ws.plan().await.expect_code(1, "invalid config");
    let all = out.all();
    for expected in [
        "Empty name",
        "Invalid Domo user id",
        "\"ada\"",
        "Invalid Domo group id",
        // Terraform shows the attribute each diagnostic points at.
        "name = \"   \"",
        "user_ids = [\"1000001\", \"ada\"]",
        "group_id = \"sales\"",
    ] {
        assert!(all.contains(expected), "{expected}\n{all}");
    }
    let stats = sim.store().stats();
    assert_eq!(
        (stats.total_api_requests, stats.token_requests),
        (0, 0),
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_deleted_in_domo_while_listed_gives_a_clear_plan_and_a_clear_apply_error() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let users = store.seed_users(3);
    let group = store.seed_groups(1, 0)[0];
    let ws = Workspace::new(&sim);
    let config = |ids: &[u64]| {
        let ids: Vec<String> = ids.iter().map(|id| format!("\"{id}\"")).collect();
        format!(
            "resource \"domo_group_members\" \"team\" {{\n  group_id = \"{group}\"\n  user_ids = [{}]\n}}\n",
            ids.join(", ")
        )
    };
    ws.write_config(&config(&users[..2]));
    ws.apply().await.expect_code(0, "create");
    assert_eq!(members(&store, group), BTreeSet::from([users[0], users[1]]));

    // users[1] is deleted in Domo; the configuration also adds users[2].
    assert!(store.mark_deleted(users[1]));
    ws.write_config(&config(&users));
    let plan = ws
        .plan()
        .await
        .expect_code(2, "refresh works, plan shows the change");
    let all = plan.all();
    assert!(
        all.contains("Users in user_ids no longer exist in Domo"),
        "{all}"
    );
    assert!(all.contains(&users[1].to_string()), "{all}");
    assert!(
        plan.stdout.contains(&format!("+ \"{}\"", users[1])),
        "{all}"
    );

    let out = ws
        .apply()
        .await
        .expect_code(1, "adding a deleted user fails");
    // Terraform wraps long details: compare with whitespace collapsed.
    let all = out.flat();
    assert!(all.contains("Domo users do not exist"), "{all}");
    assert!(
        all.contains(&format!(
            "no such user (deleted in Domo, or never created): {}. Remove it from user_ids",
            users[1]
        )),
        "{all}"
    );
    // Terraform shows the attribute the error points at.
    assert!(all.contains("user_ids = ["), "{all}");
    // The rest was done, and state says so.
    assert_eq!(members(&store, group), BTreeSet::from([users[0], users[2]]));
    let in_state: BTreeSet<String> = serde_json::from_value(
        ws.state_attr("domo_group_members.team", "user_ids")
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        in_state,
        BTreeSet::from([users[0].to_string(), users[2].to_string()])
    );
    // Dropping the deleted user from the configuration: nothing to do.
    ws.write_config(&config(&[users[0], users[2]]));
    ws.plan().await.expect_code(0, "clean");
}

#[tokio::test(flavor = "multi_thread")]
async fn group_data_sources_and_a_users_groups() {
    let sim = Simulator::start(SimConfig {
        duplicate_group_name_status: None,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let store = sim.store();
    let users = store.seed_users(3);
    let seeded = |name: &str, members: &[u64], default: bool| {
        store.insert_group(SimGroup {
            name: name.into(),
            default,
            members: members.iter().copied().collect(),
            ..SimGroup::default()
        })
    };
    let web = seeded("eng-web", &users[..2], false);
    let data = seeded("eng-data", &users[..1], true);
    let ops = seeded("Ops", &[], false);
    seeded("Twin", &[], false);
    seeded("Twin", &[], false);
    let ws = Workspace::new(&sim);
    ws.write_config(&format!(
        r#"
data "domo_group" "by_id" {{
  id = "{web}"
}}

data "domo_group" "by_name" {{
  name = "Ops"
}}

data "domo_groups" "eng" {{
  name_prefix = "eng-"
}}

data "domo_groups" "all" {{}}

data "domo_user" "first" {{
  id = "{first}"
}}

output "by_id" {{
  value = data.domo_group.by_id
}}

output "by_name" {{
  value = data.domo_group.by_name.id
}}

output "eng" {{
  value = [for g in data.domo_groups.eng.groups : g.name]
}}

output "all" {{
  value = length(data.domo_groups.all.groups)
}}

output "first_groups" {{
  value = data.domo_user.first.group_ids
}}
"#,
        first = users[0]
    ));
    ws.apply().await.expect_code(0, "read");
    // Domo's group reads (in the strict reading) do not say `default`.
    let by_id = ws.output("by_id").await;
    assert_eq!(
        by_id,
        serde_json::json!({
            "id": web.to_string(),
            "name": "eng-web",
            "default": null,
            "member_count": 2,
            "creator_id": "1",
        })
    );
    assert_eq!(ws.output("by_name").await, ops.to_string());
    assert_eq!(
        ws.output("eng").await,
        serde_json::json!(["eng-web", "eng-data"])
    );
    assert_eq!(ws.output("all").await, 5);
    let mut first: Vec<String> = serde_json::from_value(ws.output("first_groups").await).unwrap();
    first.sort();
    assert_eq!(first, [web.to_string(), data.to_string()]);

    // A name two groups have picks neither, and says to use the id.
    ws.write_config("data \"domo_group\" \"twin\" {\n  name = \"Twin\"\n}\n");
    let out = ws.plan().await.expect_code(1, "ambiguous name");
    let flat = out.flat();
    assert!(
        flat.contains("Several Domo groups are named \"Twin\""),
        "{flat}"
    );
    assert!(flat.contains("Select it by id instead"), "{flat}");
    // So does importing by it.
    ws.write_config("resource \"domo_group\" \"twin\" {\n  name = \"Twin\"\n}\n");
    let out = ws
        .run(&[
            "import",
            "-input=false",
            "-no-color",
            "domo_group.twin",
            "name:Twin",
        ])
        .await
        .expect_code(1, "ambiguous import");
    let flat = out.flat();
    assert!(
        flat.contains("Several Domo groups are named \"Twin\""),
        "{flat}"
    );
    assert!(flat.contains("terraform import ADDRESS"), "{flat}");
    assert!(!ws
        .state_list()
        .await
        .contains(&"domo_group.twin".to_string()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_group_name_fails_with_the_import_command() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let taken = sim.store().insert_group(SimGroup {
        name: "Sales".into(),
        ..SimGroup::default()
    });
    let ws = Workspace::new(&sim);
    ws.write_config("resource \"domo_group\" \"sales\" {\n  name = \"sales\"\n}\n");
    let out = ws.apply().await.expect_code(1, "name taken");
    let all = out.all();
    assert!(
        all.contains("A Domo group with this name already exists"),
        "{all}"
    );
    assert!(
        all.contains(&format!("terraform import ADDRESS {taken}")),
        "{all}"
    );
    assert!(all.contains("name = \"sales\""), "{all}");
    assert_eq!(sim.store().groups().len(), 1);
    assert!(ws.state_list().await.is_empty());
}

/// A configuration holding one group's whole member list, by literal ids.
fn member_list(group: u64, ids: impl IntoIterator<Item = u64>) -> String {
    let ids: Vec<String> = ids.into_iter().map(|id| format!("\"{id}\"")).collect();
    format!(
        "resource \"domo_group_members\" \"big\" {{\n  group_id = \"{group}\"\n  user_ids = [{}]\n}}\n",
        ids.join(",\n    ")
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn refreshing_five_thousand_members_reads_the_listing_page_by_page() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    // Seeded directly: creating 5,000 users through Terraform would take
    // many minutes and test nothing more.
    let group = store.seed_groups(1, 5000)[0];
    let ids = members(&store, group);
    let ws = Workspace::new(&sim);
    ws.write_config(&member_list(group, ids.iter().copied()));
    // State written directly rather than imported: Terraform 1.0.3 takes
    // some 40 s of its own CPU over every command that reads a set of
    // 5,000 elements back from a provider (Terraform 1.11: 2-3 s).
    let user_ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    write_members_state(&ws, group, user_ids);

    store.reset_stats();
    ws.plan()
        .await
        .expect_code(0, "refresh finds nothing to change");
    let stats = store.stats();
    // Token + 10 full pages of 500 + the empty page that ends the listing.
    assert!(stats.total_api_requests <= 12, "{stats:?}");
    assert_eq!(stats.group_member_list_requests, 11, "{stats:?}");
    assert_eq!(
        stats.get_requests + stats.group_get_requests,
        0,
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_and_removing_a_hundred_members_costs_one_call_each() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let group = store.seed_groups(1, 200)[0];
    let before: Vec<u64> = members(&store, group).into_iter().collect();
    let newcomers = store.seed_users(100);
    let ws = Workspace::new(&sim);
    ws.write_config(&member_list(group, before.iter().copied()));
    ws.run(&[
        "import",
        "-input=false",
        "-no-color",
        "domo_group_members.big",
        &group.to_string(),
    ])
    .await
    .expect_code(0, "import");

    let wanted: BTreeSet<u64> = before[100..].iter().chain(&newcomers).copied().collect();
    ws.write_config(&member_list(group, wanted.iter().copied()));
    store.reset_stats();
    ws.apply().await.expect_code(0, "apply");
    assert_eq!(members(&store, group), wanted);
    let s = store.stats();
    assert_eq!(
        (s.group_member_add_requests, s.group_member_remove_requests),
        (100, 100),
        "{s:?}"
    );
    // Everything else is reading: tokens and the member listing (a refresh
    // of 200 members is one full page and the empty page that ends it).
    assert_eq!(
        s.total_api_requests - 200,
        s.token_requests + s.group_member_list_requests,
        "{s:?}"
    );
    assert_eq!(s.group_member_list_requests, 2, "{s:?}");
    ws.plan().await.expect_code(0, "clean");
}

/// One group with its whole member list, as a new user writes it: a
/// `domo_group` and a `domo_group_members` listing every id, in `order`.
fn whole_company(order: &[u64]) -> String {
    let ids: Vec<String> = order.iter().map(|id| format!("\"{id}\"")).collect();
    format!(
        r#"resource "domo_group" "all" {{
  name = "All employees"
}}

resource "domo_group_members" "all" {{
  group_id = domo_group.all.id
  user_ids = [
    {}
  ]
}}
"#,
        ids.join(",\n    ")
    )
}

/// Lines of a plan that show one list element added, removed or changed.
fn element_lines(plan: &str) -> usize {
    plan.lines()
        .map(str::trim_start)
        .filter(|l| ["+ \"", "- \"", "~ \""].iter().any(|p| l.starts_with(p)))
        .count()
}

/// Member adds and removals the simulator served since its last reset.
fn member_changes(store: &SimStore) -> (u64, u64) {
    let s = store.stats();
    (s.group_member_add_requests, s.group_member_remove_requests)
}

fn strings(ids: &[u64]) -> Vec<Value> {
    ids.iter().map(|id| Value::String(id.to_string())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_thousand_members_apply_plan_clean_repair_a_drift_exactly_and_ignore_order() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    // Seeded: 2,000 users through Terraform would test nothing more.
    let users = store.seed_users(2010);
    let (staff, outsiders) = users.split_at(2000);
    // An order of the configuration's own: odd places, then even ones.
    let order: Vec<u64> = staff
        .iter()
        .skip(1)
        .step_by(2)
        .chain(staff.iter().step_by(2))
        .copied()
        .collect();
    let staff_set: BTreeSet<u64> = staff.iter().copied().collect();
    let ws = Workspace::new(&sim);
    ws.write_config(&whole_company(&order));
    ws.apply().await.expect_code(0, "first apply");
    let group = id_of(&ws, "domo_group.all").await;
    assert_eq!(members(&store, group), staff_set);
    assert_eq!(member_changes(&store), (2000, 0));
    // State holds the configuration's order.
    assert_eq!(
        ws.state_attr("domo_group_members.all", "user_ids").await,
        Some(Value::Array(strings(&order)))
    );
    ws.plan()
        .await
        .expect_code(0, "clean after the first apply");

    // Drift: three members removed in Domo, three others added.
    let gone = [order[10], order[1000], order[1999]];
    for id in gone {
        assert!(store.remove_member_directly(group, id));
    }
    for id in &outsiders[..3] {
        assert!(store.add_member_directly(group, *id));
    }
    let plan = ws.plan().await.expect_code(2, "drift");
    assert_eq!(plan_counts(&plan.stdout), Some((0, 1, 0)), "{}", plan.all());
    for id in gone.iter().chain(&outsiders[..3]) {
        assert!(
            plan.stdout.contains(&format!("\"{id}\"")),
            "{id}\n{}",
            plan.all()
        );
    }
    // The drifted members, not the list: each shows in the drift found
    // and in the change planned (an element changed in place counts once).
    assert!(element_lines(&plan.stdout) <= 12, "{}", plan.all());
    store.reset_stats();
    ws.apply().await.expect_code(0, "repair");
    assert_eq!(members(&store, group), staff_set);
    assert_eq!(member_changes(&store), (3, 3));
    ws.plan().await.expect_code(0, "clean after the repair");

    // The same members in another order: no change, and nothing sent.
    let mut sorted = order.clone();
    sorted.sort_unstable();
    ws.write_config(&whole_company(&sorted));
    ws.plan()
        .await
        .expect_code(0, "a reordered list is no change");
    store.reset_stats();
    ws.apply().await.expect_code(0, "apply of a reordered list");
    assert_eq!(member_changes(&store), (0, 0));
    assert_eq!(
        ws.state_attr("domo_group_members.all", "user_ids").await,
        Some(Value::Array(strings(&order))),
        "state keeps the order it had"
    );

    // A change of the configuration: five out, two in.
    let leavers: BTreeSet<u64> = [
        sorted[0],
        sorted[7],
        sorted[500],
        sorted[1500],
        sorted[1999],
    ]
    .into();
    let changed: Vec<u64> = sorted
        .iter()
        .filter(|id| !leavers.contains(id))
        .chain(&outsiders[5..7])
        .copied()
        .collect();
    ws.write_config(&whole_company(&changed));
    let plan = ws.plan().await.expect_code(2, "five out, two in");
    assert_eq!(plan_counts(&plan.stdout), Some((0, 1, 0)), "{}", plan.all());
    for id in &leavers {
        assert!(
            plan.stdout.contains(&format!("- \"{id}\"")),
            "{id}\n{}",
            plan.all()
        );
    }
    for id in &outsiders[5..7] {
        assert!(
            plan.stdout.contains(&format!("+ \"{id}\"")),
            "{id}\n{}",
            plan.all()
        );
    }
    store.reset_stats();
    ws.apply().await.expect_code(0, "five out, two in");
    let now: BTreeSet<u64> = changed.iter().copied().collect();
    assert_eq!(members(&store, group), now);
    assert_eq!(member_changes(&store), (2, 5));
    ws.plan().await.expect_code(0, "clean after the change");

    // One out at the top, one in at the end: the list keeps its length, so
    // Terraform shows it place by place; a warning names who joins and who
    // leaves, and the apply sends exactly that.
    let shifted: Vec<u64> = changed[1..]
        .iter()
        .chain(&outsiders[7..8])
        .copied()
        .collect();
    ws.write_config(&whole_company(&shifted));
    let plan = ws.plan().await.expect_code(2, "one out, one in");
    let shown = plan.flat();
    assert!(shown.contains("Members that join and leave"), "{shown}");
    assert!(
        shown.contains(&format!(
            "adds 1 member(s) to the group ({}) and removes 1 ({})",
            outsiders[7], changed[0]
        )),
        "{shown}"
    );
    store.reset_stats();
    ws.apply().await.expect_code(0, "one out, one in");
    assert_eq!(member_changes(&store), (1, 1));
    let changed = shifted;

    // An id listed twice: an error naming it, before any call to Domo.
    let mut twice = changed.clone();
    twice.push(changed[3]);
    ws.write_config(&whole_company(&twice));
    store.reset_stats();
    let out = ws.plan().await.expect_code(1, "an id listed twice");
    let flat = out.flat();
    assert!(flat.contains("Repeated id"), "{flat}");
    assert!(
        flat.contains(&format!("lists an id more than once: \"{}\"", changed[3])),
        "{flat}"
    );
    assert_eq!(store.stats().total_api_requests, 0);

    ws.write_config(&whole_company(&changed));
    store.reset_stats();
    ws.destroy().await.expect_code(0, "destroy");
    assert_eq!(member_changes(&store), (0, 1997));
    assert!(store.group(group).is_none());
    assert!(ws.state_list().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn state_of_the_release_that_stored_a_set_upgrades_with_a_clean_plan_and_no_change_in_domo() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let group = store.seed_groups(1, 300)[0];
    let ids: Vec<u64> = members(&store, group).into_iter().collect();
    // The configuration lists them in an order of its own.
    let mut order = ids.clone();
    order.reverse();
    let ws = Workspace::new(&sim);
    ws.write_config(&member_list(group, order));
    // What the previous release stored: schema version 0 and the set as
    // Terraform writes a set of strings, sorted as strings.
    let mut as_set: Vec<String> = ids.iter().map(u64::to_string).collect();
    as_set.sort();
    write_members_state(&ws, group, as_set.clone());
    store.reset_stats();
    ws.plan()
        .await
        .expect_code(0, "the upgraded state plans clean");
    ws.apply()
        .await
        .expect_code(0, "apply of the upgraded state");
    let s = store.stats();
    assert_eq!(member_changes(&store), (0, 0), "{s:?}");
    // Reads only: tokens and the member listing.
    assert_eq!(
        s.total_api_requests,
        s.token_requests + s.group_member_list_requests,
        "{s:?}"
    );
    let state: Value =
        serde_json::from_slice(&std::fs::read(ws.path().join("terraform.tfstate")).expect("state"))
            .expect("state JSON");
    let instance = &state["resources"][0]["instances"][0];
    assert_eq!(instance["schema_version"], 1, "{instance}");
    assert_eq!(
        instance["attributes"]["user_ids"],
        Value::Array(as_set.into_iter().map(Value::String).collect()),
        "the set's order, kept"
    );
    ws.plan().await.expect_code(0, "clean after the upgrade");
}
