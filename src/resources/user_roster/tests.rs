//! Unit tests of `domo_user_roster`: schema, validation, planning, refresh
//! rules, import filters, and apply against the simulator.

use std::collections::BTreeMap;

use super::model::*;
use super::refresh::ImportFilter;
use super::*;
use crate::domo::model::same_number;
use crate::domo::ClientConfig;
use crate::framework::{register, AnyResource};
use crate::protocol::diagnostics::Severity;
use crate::protocol::{AsWritten, AttrType, AttributePath, Diagnostics, Field, Model, Value};
use crate::provider::models::tests::sample_user;
use crate::provider::models::UserProfile;
use crate::sim::{SimConfig, SimUser, Simulator};

fn resource() -> Box<dyn AnyResource> {
    register(UserRosterResource)
}

fn entry(name: &str, role: &str) -> RosterEntry {
    RosterEntry {
        profile: UserProfile {
            name: Field::Known(name.into()),
            role: Field::Known(role.into()),
            ..UserProfile::default()
        },
        ..RosterEntry::default()
    }
}

fn config(entries: &[(&str, RosterEntry)]) -> RosterModel {
    RosterModel {
        users: Field::Known(
            entries
                .iter()
                .map(|(k, e)| (k.to_string(), e.clone()))
                .collect(),
        ),
        ..RosterModel::default()
    }
}

fn account(id: u64, email: &str) -> RosterAccount {
    RosterAccount {
        id: Field::Known(id.to_string()),
        email: Field::Known(email.into()),
        created_at: Field::Known("2026-01-01T00:00:00Z".into()),
        updated_at: Field::Known("2026-01-02T00:00:00Z".into()),
        role: Field::Known("Admin".into()),
    }
}

/// A state holding `people` as (key, entry, account).
fn state(people: &[(&str, RosterEntry, RosterAccount)]) -> RosterModel {
    let people = people
        .iter()
        .map(|(k, e, a)| {
            let person = Person {
                entry: e.clone(),
                account: a.clone(),
            };
            (k.to_string(), person)
        })
        .collect();
    RosterModel {
        adopt_existing: Field::Known(false),
        on_removal: Field::Known(DELETE.into()),
        send_invite: Field::Known(false),
        ..RosterModel::default()
    }
    .with_people(people, AsWritten::default())
}

fn plan(prior: Option<&RosterModel>, config: &RosterModel) -> RosterModel {
    let prior = prior.map_or(Value::Null, Model::to_value);
    // Terraform proposes the configuration, computed values from prior.
    let mut proposed = config.clone();
    if let Value::Map(p) = &prior {
        proposed.accounts = RosterModel::from_value(&Value::Map(p.clone()))
            .unwrap()
            .unwrap()
            .accounts;
    }
    let planned = resource()
        .plan(prior, proposed.to_value(), config.to_value(), Value::Null)
        .unwrap();
    assert!(planned.diagnostics.is_empty(), "{:?}", planned.diagnostics);
    RosterModel::from_value(&planned.state).unwrap().unwrap()
}

/// Plans `config` over `prior` like [`plan`], also returning warnings.
fn plan_warned(prior: &RosterModel, config: &RosterModel) -> (RosterModel, Diagnostics) {
    let mut proposed = config.clone();
    proposed.accounts = prior.accounts.clone();
    let planned = resource()
        .plan(
            prior.to_value(),
            proposed.to_value(),
            config.to_value(),
            Value::Null,
        )
        .unwrap_or_else(|d| panic!("{d:?}"));
    assert!(
        !planned.diagnostics.has_errors(),
        "{:?}",
        planned.diagnostics
    );
    let model = RosterModel::from_value(&planned.state).unwrap().unwrap();
    (model, planned.diagnostics)
}

/// An entry with an employee number.
fn numbered(name: &str, number: &str) -> RosterEntry {
    let mut e = entry(name, "Participant");
    e.profile.employee_number = Field::Known(number.into());
    e
}

fn accounts(model: &RosterModel) -> &BTreeMap<String, RosterAccount> {
    model.accounts.known().expect("accounts known")
}

#[test]
fn the_schema_keeps_configured_and_computed_values_apart() {
    let schema = resource().schema().clone();
    let names: Vec<_> = schema.attributes.iter().map(|a| a.name).collect();
    assert_eq!(
        names,
        [
            "users",
            "accounts",
            "adopt_existing",
            "on_removal",
            "max_removals",
            "send_invite"
        ]
    );
    // `users` is dynamic: Terraform converts nothing (see the module docs);
    // its entries are read through these fields.
    let users = &schema.attributes[0];
    assert_eq!(users.ty, AttrType::Dynamic);
    assert!(!users.nested);
    let fields: Vec<_> = users.fields.iter().map(|a| a.name).collect();
    assert_eq!(
        fields,
        [
            "name",
            "role",
            "role_id",
            "title",
            "alternate_email",
            "phone",
            "location",
            "employee_number",
            "timezone",
            "locale"
        ]
    );
    // Nothing in a users entry is computed: Terraform 1.0 can only
    // validate a nested map planned exactly as configured.
    assert!(users.fields.iter().all(|a| !a.is_computed()));
    let accounts = &schema.attributes[1];
    assert!(!accounts.nested && accounts.mode == crate::protocol::Mode::Computed);
}

#[test]
fn validation_names_each_bad_entry_and_sums_up_past_twenty() {
    let r = resource();
    let cfg = config(&[
        ("not-an-email", entry("A", "Participant")),
        ("Ada@Example.com", entry("Ada", "Admin")),
        ("ada@example.com", entry("Ada", "admin")),
        ("bob@example.com", entry("  ", "Participant")),
    ]);
    let d = r.validate(&cfg.to_value());
    let paths = d.paths();
    assert!(paths.contains(&entry_path("not-an-email", None)), "{d:?}");
    assert!(
        paths.contains(&entry_path("ada@example.com", None)),
        "{d:?}"
    );
    assert!(paths.contains(&entry_path("ada@example.com", Some("role"))));
    assert!(paths.contains(&entry_path("bob@example.com", Some("name"))));
    let dup =
        d.0.iter()
            .find(|d| d.summary == "Duplicate email in users")
            .unwrap();
    assert!(dup.detail.contains("Ada@Example.com") && dup.detail.contains("ada@example.com"));
    let role =
        d.0.iter()
            .find(|d| d.summary == "Invalid Domo role")
            .unwrap();
    assert!(
        role.detail.starts_with("users[\"ada@example.com\"]: "),
        "{}",
        role.detail
    );
    assert!(role.detail.contains("Did you mean \"Admin\""));

    let many: Vec<(String, RosterEntry)> = (0..30)
        .map(|i| (format!("u{i:02}@example.com"), entry("U", "Owner")))
        .collect();
    let cfg = RosterModel {
        users: Field::Known(many.into_iter().collect()),
        on_removal: Field::Known("forget".into()),
        ..RosterModel::default()
    };
    let d = r.validate(&cfg.to_value());
    assert_eq!(d.0.len(), 1 + 20 + 1, "{d:?}");
    assert_eq!(d.0[0].attribute, Some(AttributePath::root("on_removal")));
    let summary = d.0.last().unwrap();
    assert_eq!(summary.summary, "10 more entries with errors");
    assert!(summary.detail.contains("\"u29@example.com\""));
    assert!(!summary.detail.contains("\"u00@example.com\""));
    // Unknown values are checked once known.
    let unknown = RosterModel {
        users: Field::Unknown,
        ..RosterModel::default()
    };
    assert!(r.validate(&unknown.to_value()).is_empty());
}

#[test]
fn a_new_roster_plans_every_account_unknown_but_its_address() {
    let cfg = config(&[("Ada@Example.com", entry("Ada", "Admin"))]);
    let planned = plan(None, &cfg);
    let a = &accounts(&planned)["Ada@Example.com"];
    assert!(a.id.is_unknown() && a.created_at.is_unknown() && a.updated_at.is_unknown());
    assert_eq!(a.email.as_deref(), Some("Ada@Example.com"));
    assert_eq!(planned.users, cfg.users, "users are planned as configured");
    assert_eq!(planned.adopt_existing, Field::Known(false));
    assert_eq!(planned.send_invite, Field::Known(false));
    assert_eq!(planned.on_removal.as_deref(), Some("delete"));
}

#[test]
fn only_changed_entries_plan_unknown_values() {
    let prior = state(&[
        ("a@x.com", entry("A", "Admin"), account(1, "a@x.com")),
        ("b@x.com", entry("B", "Admin"), account(2, "b@x.com")),
        ("c@x.com", entry("C", "Admin"), account(3, "C@X.com")),
        ("gone@x.com", entry("G", "Admin"), account(4, "gone@x.com")),
        (
            "moved@x.com",
            entry("M", "Admin"),
            account(5, "other@x.com"),
        ),
        (
            "pending@x.com",
            entry("P", "Admin"),
            RosterAccount::pending("pending@x.com"),
        ),
    ]);
    let mut b = entry("B", "Admin");
    b.profile.title = Field::Known("Boss".into());
    let cfg = config(&[
        ("a@x.com", entry("A", "Admin")),
        ("b@x.com", b),
        ("c@X.COM", entry("C", "Admin")),
        ("moved@x.com", entry("M", "Admin")),
        ("pending@x.com", entry("P", "Admin")),
        ("new@x.com", entry("N", "Participant")),
    ]);
    let planned = plan(Some(&prior), &cfg);
    let acc = accounts(&planned);
    assert_eq!(acc["a@x.com"], account(1, "a@x.com"), "unchanged");
    assert_eq!(acc["b@x.com"].id.as_deref(), Some("2"));
    assert!(acc["b@x.com"].updated_at.is_unknown(), "changed");
    // Another letter case is the same person, unchanged.
    assert_eq!(acc["c@X.COM"], account(3, "C@X.com"));
    // An address changed in Domo is set back to the key.
    assert_eq!(acc["moved@x.com"].email.as_deref(), Some("moved@x.com"));
    assert!(acc["moved@x.com"].updated_at.is_unknown());
    assert_eq!(
        acc["pending@x.com"],
        RosterAccount::planned_for("pending@x.com")
    );
    assert_eq!(acc["new@x.com"], RosterAccount::planned_for("new@x.com"));
    assert!(!acc.contains_key("gone@x.com"));
}

#[test]
fn settings_removed_from_the_configuration_go_back_to_their_defaults() {
    let mut prior = state(&[]);
    prior.on_removal = Field::Known(KEEP.into());
    prior.adopt_existing = Field::Known(true);
    let planned = plan(Some(&prior), &config(&[]));
    assert_eq!(planned.on_removal.as_deref(), Some("delete"));
    assert_eq!(planned.adopt_existing, Field::Known(false));
    assert_eq!(planned.accounts, Field::Known(BTreeMap::new()));
}

#[test]
fn refresh_keeps_configured_spellings_and_write_only_values() {
    let mut ours = entry("Ada", "Admin");
    ours.timezone = Field::Known("Europe/London".into());
    ours.profile.employee_number = Field::Known("007".into());
    let user = sample_user(42, "ADA@example.com", "Privileged");
    let r = ours.refreshed(&Field::Null, &user);
    assert_eq!(r.timezone.as_deref(), Some("Europe/London"));
    assert_eq!(r.profile.employee_number.as_deref(), Some("007"));
    assert_eq!(r.profile.role.as_deref(), Some("Privileged"), "drift");
    let a = account(42, "ada@example.com").refreshed(&user);
    assert_eq!(a.email.as_deref(), Some("ada@example.com"));
    let a = account(42, "someone@example.com").refreshed(&user);
    assert_eq!(a.email.as_deref(), Some("ADA@example.com"));
    let mut half = account(42, "a@x.com");
    half.updated_at = Field::Unknown;
    assert_eq!(
        half.known_from(&account(42, "b@x.com")),
        account(42, "a@x.com")
    );
    // Adoption writes only where Domo differs, or a write-only value is set.
    let domo = sample_user(1, "a@x.com", "Admin");
    let same = RosterEntry::of(&domo);
    assert!(!same.adoption_needs_update(&domo));
    assert!(ours.adoption_needs_update(&domo));
    let mut with_locale = same.clone();
    with_locale.locale = Field::Known("en-US".into());
    assert!(with_locale.adoption_needs_update(&domo));
}

#[test]
fn an_entry_keeps_its_role_in_the_form_it_sets_it() {
    let by_id = |id: u64| RosterEntry {
        profile: UserProfile {
            name: Field::Known("Ada".into()),
            role_id: Field::Known(id),
            ..UserProfile::default()
        },
        ..RosterEntry::default()
    };
    let mut auditor = sample_user(1, "a@x.com", "Auditor");
    // Domo does not say the custom role's id: the name it reported last
    // time settles it.
    let roles = |e: RosterEntry| (e.profile.role, e.profile.role_id);
    let ours = by_id(101);
    let last = Field::Known("Auditor".to_string());
    assert_eq!(roles(ours.refreshed(&last, &auditor)), roles(ours.clone()));
    // Another custom role, id untold: the id is no longer known, which
    // the plan shows as a change back to 101.
    auditor.role = "Reviewer".into();
    let drifted = ours.refreshed(&last, &auditor).profile;
    assert_eq!((drifted.role, drifted.role_id), (Field::Null, Field::Null));
    // When Domo does say the id, it is the id.
    auditor.role_id = Some(102);
    assert_eq!(
        ours.refreshed(&last, &auditor).profile.role_id,
        Field::Known(102)
    );
    // A default role set by id reads back as that id.
    let editor = sample_user(2, "b@x.com", "Editor");
    assert_eq!(
        roles(by_id(3).refreshed(&Field::Null, &editor)),
        roles(by_id(3))
    );
    assert_eq!(
        by_id(4).refreshed(&Field::Null, &editor).profile.role_id,
        Field::Known(3)
    );
    // By name: only the name, whatever Domo sends.
    let by_name = entry("Ada", "Admin");
    let read = by_name.refreshed(&Field::Null, &editor).profile;
    assert_eq!(
        (read.role.as_deref(), read.role_id),
        (Some("Editor"), Field::Null)
    );

    // An import names a default role, and a custom one by id if known.
    let imported = RosterEntry::of(&editor).profile;
    assert_eq!(
        (imported.role.as_deref(), imported.role_id),
        (Some("Editor"), Field::Null)
    );
    let imported = RosterEntry::of(&auditor).profile;
    assert_eq!(
        (imported.role, imported.role_id),
        (Field::Null, Field::Known(102))
    );

    // The account keeps the name Domo reports, for the next refresh.
    assert_eq!(
        account(1, "a@x.com").refreshed(&auditor).role.as_deref(),
        Some("Reviewer")
    );
    assert_eq!(
        planned_role_name(&by_id(5).profile).as_deref(),
        Some("Social")
    );
    assert!(planned_role_name(&by_id(101).profile).is_unknown());
}

#[test]
fn a_plan_that_changes_the_role_plans_its_name() {
    let prior = state(&[("a@x.com", entry("A", "Admin"), account(1, "a@x.com"))]);
    let cfg = config(&[("a@x.com", entry("A", "Editor"))]);
    let planned = plan(Some(&prior), &cfg);
    assert_eq!(
        accounts(&planned)["a@x.com"].role.as_deref(),
        Some("Editor")
    );
    let mut custom = entry("A", "Admin");
    custom.profile.role = Field::Null;
    custom.profile.role_id = Field::Known(101);
    let planned = plan(Some(&prior), &config(&[("a@x.com", custom)]));
    assert!(accounts(&planned)["a@x.com"].role.is_unknown());
}

#[test]
fn import_filters() {
    assert_eq!(ImportFilter::parse(" all "), Ok(ImportFilter::All));
    assert_eq!(
        ImportFilter::parse("email_domain:@Example.COM"),
        Ok(ImportFilter::EmailDomain("example.com".into()))
    );
    assert_eq!(
        ImportFilter::parse("role:Admin"),
        Ok(ImportFilter::Role("Admin".into()))
    );
    let bad = ImportFilter::parse("role:admin").unwrap_err();
    assert!(
        bad.detail.contains("Did you mean \"Admin\""),
        "{}",
        bad.detail
    );
    assert!(ImportFilter::parse("email_domain:").is_err());
    let usage = ImportFilter::parse("jane@example.com").unwrap_err();
    assert!(usage.detail.contains("email_domain:example.com"));
    let user = sample_user(1, "Ada@Example.com", "Admin");
    assert!(ImportFilter::EmailDomain("example.com".into()).matches(&user));
    assert!(!ImportFilter::EmailDomain("ample.com".into()).matches(&user));
    assert!(!ImportFilter::Role("Participant".into()).matches(&user));
}

fn client(sim: &Simulator) -> DomoClient {
    DomoClient::new(ClientConfig {
        api_host: sim.base_url(),
        client_id: "sim-client".into(),
        client_secret: "sim-secret".into(),
        ..ClientConfig::default()
    })
    .unwrap()
}

fn people(n: usize) -> RosterModel {
    let entries: Vec<(String, RosterEntry)> = (0..n)
        .map(|i| {
            (
                format!("p{i}@example.com"),
                entry(&format!("P {i}"), "Participant"),
            )
        })
        .collect();
    let cfg = RosterModel {
        users: Field::Known(entries.into_iter().collect()),
        ..RosterModel::default()
    };
    plan(None, &cfg)
}

/// The state of a roster created from `config` without a problem.
async fn created(client: &DomoClient, config: RosterModel) -> RosterModel {
    let outcome = UserRosterResource.create(client, config).await;
    outcome.expect("created").state.expect("a state")
}

fn ids(model: &RosterModel) -> Vec<String> {
    accounts(model)
        .values()
        .filter_map(|a| a.id.known().cloned())
        .collect()
}

#[tokio::test]
async fn a_first_apply_with_failures_warns_and_leaves_them_pending() {
    let sim = Simulator::start(SimConfig {
        fail_every_nth_create: 4,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = client(&sim);
    let outcome = UserRosterResource.create(&client, people(8)).await.unwrap();
    assert!(outcome
        .diagnostics
        .0
        .iter()
        .all(|d| d.severity == Severity::Warning));
    assert_eq!(outcome.diagnostics.0.len(), 2);
    let state = outcome.state.unwrap();
    assert_eq!(state.users.known().unwrap().len(), 8, "as planned");
    let pending = accounts(&state).values().filter(|a| a.is_pending()).count();
    assert_eq!(pending, 2);
    let mut in_domo: Vec<String> = sim
        .store()
        .users()
        .iter()
        .map(|u| u.id.to_string())
        .collect();
    let mut in_state = ids(&state);
    in_domo.sort();
    in_state.sort();
    assert_eq!(in_state, in_domo, "state holds exactly Domo's users");
    assert!(outcome.private.is_some());

    // The next apply is an update: it creates only the pending ones,
    // and a failure there is an error.
    let planned = plan(Some(&state), &people(8));
    let outcome = UserRosterResource
        .update(&client, state, planned, &[])
        .await
        .unwrap();
    assert_eq!(sim.store().stats().create_requests, 10);
    let state = outcome.state.unwrap();
    let failed = 8 - ids(&state).len();
    assert_eq!(
        failed, 0,
        "creates 9 and 10 succeed: {:?}",
        outcome.diagnostics
    );
    assert_eq!(sim.store().users().len(), 8);
}

#[tokio::test]
async fn later_failures_are_errors_and_keep_what_exists() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let client = client(&sim);
    let state = created(&client, people(6)).await;
    let mut config = sim.store().config();
    config.fail_every_nth_create = 1; // every create fails from now on
    sim.store().set_config(config);
    // p0 removed, p1 changed, p6 and p7 new, p2 deleted behind our back.
    let victim = accounts(&state)["p2@example.com"].id("p2").unwrap();
    assert!(sim.store().purge(victim));
    let mut wanted = people(8);
    let mut users = wanted.users.known().unwrap().clone();
    users.remove("p0@example.com");
    users.get_mut("p1@example.com").unwrap().profile.title = Field::Known("T".into());
    users.get_mut("p2@example.com").unwrap().profile.title = Field::Known("T".into());
    wanted.users = Field::Known(users);
    let planned = plan(Some(&state), &wanted);
    let outcome = UserRosterResource
        .update(&client, state, planned, &[])
        .await
        .unwrap();
    let errors: Vec<_> = outcome
        .diagnostics
        .0
        .iter()
        .map(|d| d.attribute.clone().unwrap())
        .collect();
    assert!(outcome
        .diagnostics
        .0
        .iter()
        .all(|d| d.severity == Severity::Error));
    assert_eq!(
        errors.len(),
        3,
        "p6, p7 not created; p2 gone: {:?}",
        outcome.diagnostics
    );
    assert!(errors.contains(&entry_path("p6@example.com", None)));
    let state = outcome.state.unwrap();
    let keys: Vec<&String> = state.users.known().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "p1@example.com",
            "p3@example.com",
            "p4@example.com",
            "p5@example.com"
        ]
    );
    assert_eq!(
        state.users.known().unwrap()["p1@example.com"]
            .profile
            .title
            .as_deref(),
        Some("T")
    );
    assert!(accounts(&state)
        .values()
        .all(|a| !a.id.is_unknown() && !a.updated_at.is_unknown()));
    assert_eq!(sim.store().users().len(), 4);
}

#[tokio::test]
async fn existing_addresses_fail_a_first_apply_cleanly_unless_adopted() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let client = client(&sim);
    sim.store().insert_user(SimUser {
        name: "P 1".into(),
        email: "P1@example.com".into(),
        role: "Participant".into(),
        ..SimUser::default()
    });
    sim.store().insert_user(SimUser {
        name: "Someone else".into(),
        email: "p2@example.com".into(),
        role: "Admin".into(),
        ..SimUser::default()
    });
    let err = UserRosterResource
        .create(&client, people(4))
        .await
        .unwrap_err();
    assert_eq!(err.0.len(), 2, "{err:?}");
    assert!(err.0[0].detail.contains("adopt_existing = true"));
    assert_eq!(sim.store().users().len(), 2, "nothing was created");

    let mut wanted = people(4);
    wanted.adopt_existing = Field::Known(true);
    sim.store().reset_stats();
    let state = created(&client, wanted).await;
    let stats = sim.store().stats();
    assert_eq!(
        (stats.create_requests, stats.update_requests),
        (2, 1),
        "{stats:?}"
    );
    assert_eq!(sim.store().users().len(), 4);
    let p2 = sim
        .store()
        .users()
        .into_iter()
        .find(|u| u.email == "p2@example.com")
        .unwrap();
    assert_eq!((p2.name.as_str(), p2.role.as_str()), ("P 2", "Participant"));
    assert_eq!(ids(&state).len(), 4);
}

/// Plans `config` over `prior`, Terraform's way, returning the errors.
fn plan_errors(prior: &RosterModel, config: &RosterModel) -> Diagnostics {
    let mut proposed = config.clone();
    proposed.accounts = prior.accounts.clone();
    match resource().plan(
        prior.to_value(),
        proposed.to_value(),
        config.to_value(),
        Value::Null,
    ) {
        Ok(planned) => planned.diagnostics,
        Err(diagnostics) => diagnostics,
    }
}

#[test]
fn removals_past_max_removals_fail_at_plan_time() {
    let people: Vec<(String, RosterEntry, RosterAccount)> = (0..100)
        .map(|i| {
            let key = format!("p{i:02}@x.com");
            (key.clone(), entry("P", "Participant"), account(i + 1, &key))
        })
        .collect();
    let refs: Vec<(&str, RosterEntry, RosterAccount)> = people
        .iter()
        .map(|(k, e, a)| (k.as_str(), e.clone(), a.clone()))
        .collect();
    let prior = state(&refs);
    let keeping = |n: usize| {
        config(
            &refs[..n]
                .iter()
                .map(|(k, e, _)| (*k, e.clone()))
                .collect::<Vec<_>>(),
        )
    };

    // An empty map: 100 deletes, over the default of 10.
    let d = plan_errors(&prior, &config(&[]));
    assert!(d.has_errors(), "{d:?}");
    assert_eq!(d.0.len(), 1);
    assert!(
        d.0[0].detail.contains("delete 100 users"),
        "{}",
        d.0[0].detail
    );
    assert!(d.0[0].detail.contains("\"p00@x.com\""));
    // Terraform 1.0 proposes null for a configured empty map.
    let mut proposed = config(&[]);
    proposed.users = Field::Null;
    let d = resource().plan(
        prior.to_value(),
        proposed.to_value(),
        config(&[]).to_value(),
        Value::Null,
    );
    assert!(d.unwrap_err().has_errors());
    // Ten removals are within the default; eleven are not.
    assert!(plan_errors(&prior, &keeping(90)).is_empty());
    assert!(plan_errors(&prior, &keeping(89)).has_errors());
    // A configured limit replaces the default.
    let mut five = keeping(90);
    five.max_removals = Field::Known(5);
    assert!(plan_errors(&prior, &five).0[0]
        .detail
        .contains("max_removals = 5 as configured"));
    let mut all = config(&[]);
    all.max_removals = Field::Known(100);
    assert!(plan_errors(&prior, &all).is_empty());
    // Unknown until apply: Terraform plans again then.
    all.max_removals = Field::Unknown;
    assert!(plan_errors(&prior, &all).is_empty());
    // Keep deletes nothing: not limited.
    let mut keep = config(&[]);
    keep.on_removal = Field::Known(KEEP.into());
    assert!(plan_errors(&prior, &keep).is_empty());
    // A key in another letter case is no removal, nor is a pending entry.
    let mut respelled = keeping(100);
    let mut users = respelled.users.known().unwrap().clone();
    let ada = users.remove("p00@x.com").unwrap();
    users.insert("P00@X.com".into(), ada);
    respelled.users = Field::Known(users);
    assert!(plan_errors(&prior, &respelled).is_empty());
    let pending = state(&[
        ("a@x.com", entry("A", "Admin"), account(1, "a@x.com")),
        (
            "b@x.com",
            entry("B", "Admin"),
            RosterAccount::pending("b@x.com"),
        ),
        (
            "c@x.com",
            entry("C", "Admin"),
            RosterAccount::pending("c@x.com"),
        ),
    ]);
    assert!(plan_errors(&pending, &config(&[("a@x.com", entry("A", "Admin"))])).is_empty());
    // Destroying is not limited.
    let destroy = resource().plan(prior.to_value(), Value::Null, Value::Null, Value::Null);
    assert!(destroy.unwrap().diagnostics.is_empty());
}

#[tokio::test]
async fn an_apply_checks_max_removals_again_before_sending_anything() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let client = client(&sim);
    let state = created(&client, people(20)).await;
    sim.store().reset_stats();
    // A plan that skipped the guard (max_removals unknown at plan time,
    // then 1): the apply refuses it whole.
    let mut wanted = state.clone();
    let mut users = wanted.users.known().unwrap().clone();
    for i in 11..20 {
        users.remove(&format!("p{i}@example.com"));
    }
    wanted.users = Field::Known(users);
    wanted.max_removals = Field::Known(1);
    let err = UserRosterResource
        .update(&client, state.clone(), wanted.clone(), &[])
        .await
        .unwrap_err();
    assert!(err.0[0].detail.contains("max_removals = 1 as configured"));
    assert_eq!(sim.store().stats().delete_requests, 0);
    assert_eq!(sim.store().users().len(), 20);
    // Raised for this change: the deletes go through.
    wanted.max_removals = Field::Known(10);
    let outcome = UserRosterResource
        .update(&client, state, wanted, &[])
        .await
        .unwrap();
    assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
    assert_eq!(sim.store().stats().delete_requests, 9);
    assert_eq!(sim.store().users().len(), 11);
}

#[test]
fn employee_numbers_compare_as_numbers() {
    let key = |n: &str| employee_key(&Field::Known(n.to_owned()));
    for (a, b) in [("0042", "42"), ("42", "42"), ("000", "0"), (" 7 ", "07")] {
        assert_eq!(key(a), key(b), "{a} and {b}");
        assert!(same_number(a.trim(), b.trim()));
    }
    for (a, b) in [("42", "420"), ("42", "E-42"), ("1", "10")] {
        assert_ne!(key(a), key(b), "{a} and {b}");
        assert!(!same_number(a, b));
    }
    assert_eq!(key("E-42"), Some("E-42".into()));
    assert_eq!(key("  "), None);
    assert_eq!(employee_key(&Field::Null), None);
    assert_eq!(employee_key(&Field::Unknown), None);
}

#[test]
fn a_changed_address_with_the_same_employee_number_keeps_the_account() {
    let prior = state(&[
        (
            "ada@x.com",
            numbered("Ada", "0042"),
            account(1, "ada@x.com"),
        ),
        ("bob@x.com", numbered("Bob", "7"), account(2, "bob@x.com")),
        ("cy@x.com", numbered("Cy", "8"), account(3, "cy@x.com")),
        (
            "dee@x.com",
            entry("Dee", "Participant"),
            account(4, "dee@x.com"),
        ),
    ]);
    let mut cfg = config(&[
        ("ada.king@y.com", numbered("Ada King", "42")),
        ("bob@x.com", numbered("Bob", "7")),
        ("cy.new@x.com", numbered("Cy", "9")),
        ("dee.new@x.com", entry("Dee", "Participant")),
    ]);
    cfg.max_removals = Field::Known(2);
    let (planned, warnings) = plan_warned(&prior, &cfg);
    let acc = accounts(&planned);
    // Ada: her account, under the new key, with the new address.
    let ada = &acc["ada.king@y.com"];
    assert_eq!(ada.id.as_deref(), Some("1"));
    assert_eq!(ada.email.as_deref(), Some("ada.king@y.com"));
    assert_eq!(ada.created_at, account(1, "x").created_at);
    assert!(ada.updated_at.is_unknown());
    assert_eq!(acc["bob@x.com"], account(2, "bob@x.com"), "unchanged");
    // Another number, or none: a new user (and a removal).
    assert!(acc["cy.new@x.com"].id.is_unknown());
    assert!(acc["dee.new@x.com"].id.is_unknown());
    assert!(!acc.contains_key("ada@x.com"));
    assert_eq!(warnings.0.len(), 1, "{warnings:?}");
    let w = &warnings.0[0];
    assert_eq!(w.severity, Severity::Warning);
    assert_eq!(w.attribute, Some(entry_path("ada.king@y.com", None)));
    for wanted in [
        "users[\"ada.king@y.com\"] has employee_number \"42\" (\"0042\" in state, the same number), as users[\"ada@x.com\"]",
        "Domo user 1 keeps its account",
        "from ada@x.com to ada.king@y.com",
    ] {
        assert!(w.detail.contains(wanted), "{wanted:?} in {}", w.detail);
    }
    // Not a removal: two removals (Cy, Dee) pass max_removals = 2, and
    // with 1 the error names only them.
    cfg.max_removals = Field::Known(1);
    let d = plan_errors(&prior, &cfg);
    let error = d.0.iter().find(|d| d.severity == Severity::Error).unwrap();
    assert!(error.detail.contains("delete 2 users"), "{}", error.detail);
    assert!(!error.detail.contains("ada@x.com"));

    // A pending entry, or one the map keeps, is no rename source.
    let prior = state(&[
        (
            "ada@x.com",
            numbered("Ada", "42"),
            RosterAccount::pending("ada@x.com"),
        ),
        ("bob@x.com", numbered("Bob", "7"), account(2, "bob@x.com")),
    ]);
    let cfg = config(&[
        ("ada.king@y.com", numbered("Ada", "42")),
        ("bob@x.com", numbered("Bob", "8")),
        ("bob2@x.com", numbered("Bob", "7")),
    ]);
    let (planned, warnings) = plan_warned(&prior, &cfg);
    assert!(accounts(&planned)["ada.king@y.com"].id.is_unknown());
    assert!(accounts(&planned)["bob2@x.com"].id.is_unknown());
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn an_employee_number_shared_in_state_is_no_rename() {
    let prior = state(&[
        ("a@x.com", numbered("A", "5"), account(1, "a@x.com")),
        ("b@x.com", numbered("B", "05"), account(2, "b@x.com")),
    ]);
    let mut cfg = config(&[("c@x.com", numbered("C", "5"))]);
    cfg.max_removals = Field::Known(2);
    let (planned, warnings) = plan_warned(&prior, &cfg);
    assert!(accounts(&planned)["c@x.com"].id.is_unknown());
    assert_eq!(warnings.0.len(), 1);
    assert_eq!(warnings.0[0].summary, "Employee number not unique in state");
    assert!(warnings.0[0]
        .detail
        .contains("users[\"a@x.com\"] and users[\"b@x.com\"]"));
}

#[test]
fn duplicate_employee_numbers_fail_validation_naming_both() {
    let cfg = config(&[
        ("a@x.com", numbered("A", "0042")),
        ("b@x.com", numbered("B", "7")),
        ("c@x.com", numbered("C", "42")),
        ("d@x.com", entry("D", "Participant")),
        ("e@x.com", entry("E", "Participant")),
    ]);
    let d = resource().validate(&cfg.to_value());
    assert_eq!(d.0.len(), 1, "{d:?}");
    assert_eq!(d.0[0].summary, "Duplicate employee_number in users");
    assert_eq!(
        d.0[0].attribute,
        Some(entry_path("c@x.com", Some("employee_number")))
    );
    assert!(d.0[0].detail.contains(
        "users[\"a@x.com\"] and users[\"c@x.com\"] have the same employee_number \"42\" (\"0042\" and \"42\" are the same number)"
    ));
}

#[tokio::test]
async fn a_rename_is_one_update_of_the_same_user() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let client = client(&sim);
    let wanted = config(&[
        ("ada@x.com", numbered("Ada", "42")),
        ("bob@x.com", numbered("Bob", "7")),
    ]);
    let state = created(&client, plan(None, &wanted)).await;
    let ada_id = accounts(&state)["ada@x.com"].id.clone();
    let cfg = config(&[
        ("ada.king@y.com", numbered("Ada King", "42")),
        ("bob@x.com", numbered("Bob", "7")),
    ]);
    let (planned, _) = plan_warned(&state, &cfg);
    sim.store().reset_stats();
    let outcome = UserRosterResource
        .update(&client, state.clone(), planned.clone(), &[])
        .await
        .unwrap();
    assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
    let stats = sim.store().stats();
    assert_eq!(
        (
            stats.create_requests,
            stats.update_requests,
            stats.delete_requests
        ),
        (0, 1, 0)
    );
    let after = outcome.state.unwrap();
    assert_eq!(accounts(&after)["ada.king@y.com"].id, ada_id);
    assert!(!accounts(&after).contains_key("ada@x.com"));
    let ada = sim
        .store()
        .users()
        .into_iter()
        .find(|u| u.name == "Ada King");
    assert_eq!(ada.map(|u| u.email), Some("ada.king@y.com".to_string()));

    // A plan whose renamed person is no longer in state: nothing is sent.
    let mut stale = state.clone();
    let mut users = stale.users.known().unwrap().clone();
    users.remove("ada@x.com");
    stale.users = Field::Known(users);
    sim.store().reset_stats();
    let outcome = UserRosterResource
        .update(&client, stale, planned, &[])
        .await
        .unwrap();
    assert_eq!(
        outcome.diagnostics.0[0].summary,
        "Planned email change has no user to change"
    );
    assert_eq!(sim.store().stats().create_requests, 0);
    assert_eq!(sim.store().stats().update_requests, 0);
}

#[tokio::test]
async fn removal_and_destroy_follow_on_removal() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let client = client(&sim);
    let mut wanted = people(3);
    wanted.on_removal = Field::Known(KEEP.into());
    let state = created(&client, wanted).await;
    let outcome = UserRosterResource.delete(&client, state).await.unwrap();
    assert!(outcome.state.is_none());
    assert_eq!(sim.store().users().len(), 3, "kept");
    assert_eq!(sim.store().stats().delete_requests, 0);

    let state = UserRosterResource
        .import(&client, "all")
        .await
        .unwrap()
        .state
        .unwrap();
    assert_eq!(state.on_removal.as_deref(), Some("delete"));
    assert_eq!(ids(&state).len(), 3);
    let outcome = UserRosterResource.delete(&client, state).await.unwrap();
    assert!(outcome.state.is_none() && outcome.diagnostics.is_empty());
    assert!(sim.store().users().is_empty());
}

#[tokio::test]
async fn refresh_reads_the_listing_once_and_unlinks_deleted_users_with_a_warning() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let client = client(&sim);
    let state = created(&client, people(600)).await;
    let users = sim.store().users();
    assert!(sim.store().purge(users[10].id));
    assert!(sim
        .store()
        .edit_user(users[20].id, |u| u.title = Some("Drift".into())));
    let client = self::client(&sim); // a fresh process
    sim.store().reset_stats();
    let outcome = UserRosterResource.read(&client, state, &[]).await.unwrap();
    let stats = sim.store().stats();
    assert_eq!(
        (
            stats.token_requests,
            stats.list_requests,
            stats.get_requests
        ),
        (1, 2, 1),
        "{stats:?}"
    );
    assert_eq!(outcome.diagnostics.0.len(), 1);
    assert_eq!(outcome.diagnostics.0[0].severity, Severity::Warning);
    let state = outcome.state.unwrap();
    // The deleted user's entry stays, without an account: the next plan
    // creates it.
    assert_eq!(state.users.known().unwrap().len(), 600);
    let unlinked: Vec<_> = accounts(&state)
        .iter()
        .filter(|(_, a)| a.is_pending())
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(unlinked, [users[10].email.clone()]);
    let planned = plan(Some(&state), &state.clone());
    let replanned = &accounts(&planned)[&users[10].email];
    assert!(
        replanned.id.is_unknown(),
        "planned for creation: {replanned:?}"
    );
    let drifted = &state.users.known().unwrap()[&users[20].email];
    assert_eq!(drifted.profile.title.as_deref(), Some("Drift"));
}

/// A roster has no identity (see `UserRosterResource::Identity`): none in
/// the schemas, none answered, and an import cannot name one.
#[tokio::test]
async fn a_roster_has_no_identity() {
    let roster = resource();
    assert!(roster.identity_schema().is_none());
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let client = client(&sim);
    sim.store().seed_users(2);
    let imported = roster.import(&client, "all", Value::Null).await.unwrap();
    assert_eq!(imported.identity, Value::Null);
    let refused = roster
        .import(&client, "", Value::object([("id", Value::string("1"))]))
        .await
        .unwrap_err();
    assert_eq!(refused.0[0].summary, "No resource identity");
    let read = roster
        .read(&client, imported.state, Vec::new(), Value::Null)
        .await;
    assert_eq!(read.identity, Value::Null);
    assert!(!read.diagnostics.has_errors(), "{:?}", read.diagnostics);
}
