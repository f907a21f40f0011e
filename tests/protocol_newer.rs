//! Protocol tests of what newer Terraforms ask: resource identity (protocol
//! 6.9, Terraform 1.12) and list resources (6.10, Terraform 1.14), against
//! the built binary over gRPC with mutual TLS, as Terraform runs it, and a
//! Domo simulator.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::plugin::ProviderProcess;
use terraform_provider_domo::proto::tfplugin6::{self as pb, provider_client::ProviderClient};
use terraform_provider_domo::protocol::value::{decode_msgpack, encode_msgpack};
use terraform_provider_domo::protocol::{Number, Value};
use terraform_provider_domo::sim::{SimConfig, SimGroup, SimUser, Simulator};
use tonic::transport::Channel;

type Client = ProviderClient<Channel>;

/// A provider process configured against `sim` (with its debug log kept
/// when `logs`).
async fn provider(sim: &Simulator, logs: bool) -> (ProviderProcess, Client) {
    let config = sim.store().config();
    let url = sim.base_url();
    let env = [
        ("DOMO_API_HOST", url.as_str()),
        ("DOMO_CLIENT_ID", config.client_id.as_str()),
        ("DOMO_CLIENT_SECRET", config.client_secret.as_str()),
        ("TF_LOG_PROVIDER", "DEBUG"),
    ];
    let process = if logs {
        ProviderProcess::start_with_logs(&env)
    } else {
        ProviderProcess::start(&env[..3])
    };
    let mut client = ProviderClient::new(process.connect().await.expect("connect"));
    let configured = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: dynamic(&Value::object::<&str>([])),
            client_capabilities: None,
        })
        .await
        .expect("ConfigureProvider")
        .into_inner();
    assert!(configured.diagnostics.is_empty(), "{configured:?}");
    (process, client)
}

fn dynamic(value: &Value) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: encode_msgpack(value),
        json: vec![],
    })
}

fn value(dynamic: Option<&pb::DynamicValue>) -> Value {
    dynamic.map_or(Value::Null, |d| {
        decode_msgpack(&d.msgpack).expect("msgpack from the provider")
    })
}

fn identity(data: Option<&pb::ResourceIdentityData>) -> Value {
    value(data.and_then(|d| d.identity_data.as_ref()))
}

fn identity_data(identity: &Value) -> Option<pb::ResourceIdentityData> {
    Some(pb::ResourceIdentityData {
        identity_data: dynamic(identity),
    })
}

fn user_identity(id: &str) -> Value {
    Value::object([("id", Value::string(id))])
}

fn text(value: &Value, name: &str) -> String {
    match value.get(name) {
        Some(Value::String(s)) => s.clone(),
        other => panic!("{name} is not a string: {other:?} in {value:?}"),
    }
}

/// A `domo_user` list block's `config`: the four filters, null unless
/// given.
fn user_filters(pairs: &[(&str, Value)]) -> Value {
    Value::object(
        ["email_domain", "role", "role_id", "name_prefix"].map(|name| {
            let set = pairs.iter().find(|(k, _)| *k == name);
            (name, set.map_or(Value::Null, |(_, v)| v.clone()))
        }),
    )
}

/// Every event of a ListResource stream.
async fn list(
    client: &mut Client,
    type_name: &str,
    config: Value,
    include_resource_object: bool,
    limit: i64,
) -> Vec<pb::list_resource::Event> {
    let mut stream = client
        .list_resource(pb::list_resource::Request {
            type_name: type_name.into(),
            config: dynamic(&config),
            include_resource_object,
            limit,
        })
        .await
        .expect("ListResource")
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.message().await.expect("an event") {
        events.push(event);
    }
    events
}

/// The `id` in each event's identity, in order; every event must have one
/// and no diagnostics.
fn listed_ids(events: &[pb::list_resource::Event]) -> Vec<String> {
    events
        .iter()
        .map(|event| {
            assert!(event.diagnostic.is_empty(), "{event:?}");
            text(&identity(event.identity.as_ref()), "id")
        })
        .collect()
}

/// The display names of the users `filters` select, sorted.
async fn names_found(client: &mut Client, filters: &[(&str, Value)]) -> Vec<String> {
    let events = list(client, "domo_user", user_filters(filters), false, 100).await;
    let mut names: Vec<String> = events.into_iter().map(|e| e.display_name).collect();
    names.sort();
    names
}

fn person(name: &str, email: &str, role: &str) -> SimUser {
    SimUser {
        name: name.into(),
        email: email.into(),
        role: role.into(),
        ..SimUser::default()
    }
}

/// 1,200 "Seed User N" (Participant, at example.com), then Ada (Admin, at
/// other.org), Adam (Participant, at other.org) and Grace (Admin, at
/// example.com): 1,203 users, three pages of the listing.
async fn instance() -> Simulator {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    sim.store().seed_users(1_200);
    for (name, email, role) in [
        ("Ada Lovelace", "ada@other.org", "Admin"),
        ("Adam Smith", "adam@Other.org", "Participant"),
        ("Grace Hopper", "grace@example.com", "Admin"),
    ] {
        sim.store().insert_user(person(name, email, role));
    }
    sim
}

#[tokio::test(flavor = "multi_thread")]
async fn list_resource_honours_limit_filters_and_include_resource_object() {
    let sim = instance().await;
    let (_p, mut client) = provider(&sim, false).await;

    let metadata = client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata")
        .into_inner();
    let mut announced: Vec<_> = metadata
        .list_resources
        .iter()
        .map(|l| l.type_name.as_str())
        .collect();
    announced.sort_unstable();
    assert_eq!(announced, ["domo_group", "domo_user"]);
    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema")
        .into_inner();
    let filters = &schema.list_resource_schemas["domo_user"]
        .block
        .as_ref()
        .expect("block")
        .attributes;
    let names: Vec<_> = filters.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["email_domain", "role", "role_id", "name_prefix"]);
    assert!(filters
        .iter()
        .all(|a| a.optional && !a.description.is_empty()));
    assert!(
        schema
            .server_capabilities
            .expect("capabilities")
            .generate_resource_config
    );

    // The default limit: one page is enough, and only one is read.
    sim.store().reset_stats();
    let first = list(&mut client, "domo_user", user_filters(&[]), false, 100).await;
    assert_eq!(first.len(), 100);
    assert_eq!(first[0].display_name, "Seed User 1 <seed-1@example.com>");
    assert!(first.iter().all(|e| e.resource_object.is_none()));
    let users = sim.store().users();
    assert_eq!(listed_ids(&first)[0], users[0].id.to_string());
    assert_eq!(sim.store().stats().list_requests, 1);

    // Everyone: ceil(1203 / 500) = 3 listing requests, nothing else.
    sim.store().reset_stats();
    let everyone = list(&mut client, "domo_user", user_filters(&[]), false, 10_000).await;
    let ids = listed_ids(&everyone);
    assert_eq!(ids.len(), 1_203);
    let want: BTreeSet<String> = users.iter().map(|u| u.id.to_string()).collect();
    assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), want);
    let stats = sim.store().stats();
    assert_eq!(
        (stats.list_requests, stats.get_requests),
        (3, 0),
        "{stats:?}"
    );

    // With each user's state: the state a read would store.
    let with_state = list(&mut client, "domo_user", user_filters(&[]), true, 2).await;
    assert_eq!(with_state.len(), 2);
    for event in &with_state {
        let state = value(event.resource_object.as_ref());
        let id = text(&identity(event.identity.as_ref()), "id");
        assert_eq!(text(&state, "id"), id);
        assert_eq!(text(&state, "role"), "Participant");
        let role_id = match state.get("role_id") {
            Some(Value::Number(n)) => n.as_u64(),
            _ => None,
        };
        assert_eq!(role_id, Some(4));
        assert_eq!(state.get("send_invite"), Some(&Value::Bool(false)));
        assert!(text(&state, "email").ends_with("@example.com"));
    }

    // Filters, alone and together.
    assert_eq!(
        names_found(&mut client, &[("email_domain", Value::string("OTHER.org"))]).await,
        [
            "Ada Lovelace <ada@other.org>",
            "Adam Smith <adam@Other.org>"
        ]
    );
    assert_eq!(
        names_found(&mut client, &[("role", Value::string("Admin"))]).await,
        [
            "Ada Lovelace <ada@other.org>",
            "Grace Hopper <grace@example.com>"
        ]
    );
    assert_eq!(
        names_found(&mut client, &[("name_prefix", Value::string("ADA"))]).await,
        [
            "Ada Lovelace <ada@other.org>",
            "Adam Smith <adam@Other.org>"
        ]
    );
    assert_eq!(
        names_found(
            &mut client,
            &[
                ("name_prefix", Value::string("ad")),
                ("role_id", Value::Number(Number::UInt(4))),
            ]
        )
        .await,
        ["Adam Smith <adam@Other.org>"]
    );
    assert!(
        names_found(&mut client, &[("name_prefix", Value::string("Zed"))])
            .await
            .is_empty()
    );

    // Groups, with no config block at all (Terraform sends null).
    sim.store().seed_groups(3, 0);
    sim.store().insert_group(SimGroup {
        name: "Sales EMEA".into(),
        ..SimGroup::default()
    });
    let groups = list(&mut client, "domo_group", Value::Null, true, 100).await;
    let names: Vec<_> = groups.iter().map(|e| e.display_name.as_str()).collect();
    assert_eq!(
        names,
        ["Seed Group 1", "Seed Group 2", "Seed Group 3", "Sales EMEA"]
    );
    for event in &groups {
        let state = value(event.resource_object.as_ref());
        assert_eq!(text(&state, "name"), event.display_name);
        assert_eq!(
            identity(event.identity.as_ref()),
            user_identity(&text(&state, "id"))
        );
    }
    let seeded = list(
        &mut client,
        "domo_group",
        Value::object([("name_prefix", Value::string("seed"))]),
        false,
        100,
    )
    .await;
    assert_eq!(seeded.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_filters_are_refused_before_any_listing() {
    let sim = instance().await;
    let (_p, mut client) = provider(&sim, false).await;
    sim.store().reset_stats();

    let validated = client
        .validate_list_resource_config(pb::validate_list_resource_config::Request {
            type_name: "domo_user".into(),
            config: dynamic(&user_filters(&[
                ("email_domain", Value::string("@")),
                ("role", Value::string("admin")),
                ("role_id", Value::Number(Number::UInt(1))),
                ("name_prefix", Value::string(" ")),
            ])),
            ..Default::default()
        })
        .await
        .expect("ValidateListResourceConfig")
        .into_inner();
    let problems: Vec<(&str, &str)> = validated
        .diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d.severity, pb::diagnostic::Severity::Error as i32);
            let step = &d.attribute.as_ref().expect("an attribute").steps[0];
            let Some(pb::attribute_path::step::Selector::AttributeName(name)) = &step.selector
            else {
                panic!("{step:?}")
            };
            (d.summary.as_str(), name.as_str())
        })
        .collect();
    assert_eq!(
        problems,
        [
            ("Invalid email domain", "email_domain"),
            ("Invalid Domo role", "role"),
            ("Empty name_prefix", "name_prefix"),
            ("Conflicting role filters", "role_id"),
        ]
    );
    assert!(validated.diagnostics[1]
        .detail
        .contains("Did you mean \"Admin\""));
    let fine = client
        .validate_list_resource_config(pb::validate_list_resource_config::Request {
            type_name: "domo_user".into(),
            config: dynamic(&user_filters(&[("email_domain", Value::Unknown)])),
            ..Default::default()
        })
        .await
        .expect("ValidateListResourceConfig")
        .into_inner();
    assert!(fine.diagnostics.is_empty(), "{fine:?}");

    // Listing with a bad filter anyway: one event, the error, no listing.
    let events = list(
        &mut client,
        "domo_user",
        user_filters(&[("email_domain", Value::string("not a domain"))]),
        false,
        100,
    )
    .await;
    let [event] = events.as_slice() else {
        panic!("one event: {events:?}")
    };
    assert!(event.identity.is_none());
    assert_eq!(event.diagnostic[0].summary, "Invalid email domain");
    // Malformed msgpack for the configuration: said so, in one event.
    let mut stream = client
        .list_resource(pb::list_resource::Request {
            type_name: "domo_user".into(),
            config: Some(pb::DynamicValue {
                msgpack: vec![0xc1],
                json: vec![],
            }),
            include_resource_object: false,
            limit: 100,
        })
        .await
        .expect("ListResource")
        .into_inner();
    let event = stream.message().await.expect("an event").expect("one");
    assert!(
        event.diagnostic[0].detail.contains("list configuration"),
        "{event:?}"
    );
    assert!(stream.message().await.expect("the end").is_none());
    // A list type this provider does not have, and a limit of nothing.
    let events = list(&mut client, "domo_widget", Value::Null, false, 100).await;
    assert!(events[0].diagnostic[0]
        .detail
        .contains("no list resource \"domo_widget\""));
    assert!(list(&mut client, "domo_user", Value::Null, false, 0)
        .await
        .is_empty());
    assert_eq!(sim.store().stats().list_requests, 0);
}

/// Terraform drops the stream once it has `limit` results, or when it is
/// interrupted: the provider stops listing then, not at the end of Domo's
/// listing.
#[tokio::test(flavor = "multi_thread")]
async fn a_stream_dropped_halfway_stops_the_listing() {
    let sim = Simulator::start(SimConfig {
        latency: Duration::from_millis(50),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    sim.store().seed_users(20_000);
    let (process, mut client) = provider(&sim, true).await;
    sim.store().reset_stats();
    let mut stream = client
        .list_resource(pb::list_resource::Request {
            type_name: "domo_user".into(),
            config: dynamic(&user_filters(&[])),
            include_resource_object: false,
            limit: 100_000,
        })
        .await
        .expect("ListResource")
        .into_inner();
    for _ in 0..600 {
        let event = stream.message().await.expect("an event").expect("more");
        assert!(event.diagnostic.is_empty());
    }
    drop(stream);
    process.wait_for_log("listing stopped", Duration::from_secs(60));
    let pages = sim.store().stats().list_requests;
    assert!(
        (2..10).contains(&pages),
        "{pages} pages of the 41 the whole listing takes"
    );
    // The provider serves on.
    let again = list(&mut client, "domo_user", user_filters(&[]), false, 3).await;
    assert_eq!(again.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn identity_on_every_request_never_changes() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let ada_id = sim
        .store()
        .insert_user(person("Ada Lovelace", "ada@example.com", "Admin"));
    let ada = ada_id.to_string();
    let (_p, mut client) = provider(&sim, false).await;

    // Import by id, then by identity (an import block's `identity`, with
    // an empty id): the same object, its identity the id.
    let by_id = client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "domo_user".into(),
            id: ada.clone(),
            ..Default::default()
        })
        .await
        .expect("ImportResourceState")
        .into_inner();
    assert!(by_id.diagnostics.is_empty(), "{by_id:?}");
    let imported = &by_id.imported_resources[0];
    assert_eq!(identity(imported.identity.as_ref()), user_identity(&ada));
    let state = value(imported.state.as_ref());
    let by_identity = client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "domo_user".into(),
            id: String::new(),
            identity: identity_data(&user_identity(&ada)),
            ..Default::default()
        })
        .await
        .expect("ImportResourceState")
        .into_inner();
    assert!(by_identity.diagnostics.is_empty(), "{by_identity:?}");
    let imported = &by_identity.imported_resources[0];
    assert_eq!(value(imported.state.as_ref()), state);
    assert_eq!(identity(imported.identity.as_ref()), user_identity(&ada));
    for (id, expected) in [
        ("999999", "No Domo user with id 999999"),
        ("email:ada@example.com", "not a Domo user id"),
    ] {
        let refused = client
            .import_resource_state(pb::import_resource_state::Request {
                type_name: "domo_user".into(),
                identity: identity_data(&user_identity(id)),
                ..Default::default()
            })
            .await
            .expect("ImportResourceState")
            .into_inner();
        assert!(refused.imported_resources.is_empty());
        assert!(
            refused.diagnostics[0].detail.contains(expected),
            "{refused:?}"
        );
    }

    // Read: a null prior identity (state written by Terraform < 1.12) is
    // filled in; the same one stays; another one is an error and stays.
    let read = |held: Value| {
        let request = pb::read_resource::Request {
            type_name: "domo_user".into(),
            current_state: dynamic(&state),
            current_identity: (!held.is_null()).then(|| identity_data(&held)).flatten(),
            ..Default::default()
        };
        let mut client = client.clone();
        async move {
            client
                .read_resource(request)
                .await
                .expect("ReadResource")
                .into_inner()
        }
    };
    for held in [Value::Null, user_identity(&ada)] {
        let answer = read(held).await;
        assert!(answer.diagnostics.is_empty(), "{answer:?}");
        assert_eq!(identity(answer.new_identity.as_ref()), user_identity(&ada));
    }
    let garbled = client
        .clone()
        .read_resource(pb::read_resource::Request {
            type_name: "domo_user".into(),
            current_state: dynamic(&state),
            current_identity: Some(pb::ResourceIdentityData {
                identity_data: Some(pb::DynamicValue {
                    msgpack: vec![0x81, 0xa2, b'i', b'd', 0x90],
                    json: vec![],
                }),
            }),
            ..Default::default()
        })
        .await
        .expect("ReadResource")
        .into_inner();
    assert_eq!(
        garbled.diagnostics[0].summary, "Invalid identity from Terraform",
        "{garbled:?}"
    );
    let changed = read(user_identity("1")).await;
    assert_eq!(changed.diagnostics[0].summary, "Unexpected identity change");
    assert_eq!(identity(changed.new_identity.as_ref()), user_identity("1"));

    // The configuration -generate-config-out writes: one role attribute.
    let generated = client
        .generate_resource_config(pb::generate_resource_config::Request {
            type_name: "domo_user".into(),
            state: dynamic(&state),
        })
        .await
        .expect("GenerateResourceConfig")
        .into_inner();
    assert!(generated.diagnostics.is_empty(), "{generated:?}");
    let config = value(generated.config.as_ref());
    assert_eq!(text(&config, "role"), "Admin");
    assert_eq!(config.get("role_id"), Some(&Value::Null));
    assert_eq!(config.get("id"), Some(&Value::Null));

    // Plan and apply an update: the identity is the object's throughout.
    let with_title = |mut object: Value| {
        if let Value::Map(attributes) = &mut object {
            attributes.insert("title".into(), Value::string("Countess"));
        }
        object
    };
    let config = with_title(config);
    let proposed = with_title(state.clone());
    let plan = |held: Value| {
        let request = pb::plan_resource_change::Request {
            type_name: "domo_user".into(),
            prior_state: dynamic(&state),
            proposed_new_state: dynamic(&proposed),
            config: dynamic(&config),
            prior_identity: (!held.is_null()).then(|| identity_data(&held)).flatten(),
            ..Default::default()
        };
        let mut client = client.clone();
        async move {
            client
                .plan_resource_change(request)
                .await
                .expect("PlanResourceChange")
                .into_inner()
        }
    };
    let from_null = plan(Value::Null).await;
    assert!(from_null.diagnostics.is_empty(), "{from_null:?}");
    assert_eq!(
        identity(from_null.planned_identity.as_ref()),
        user_identity(&ada)
    );
    let planned = plan(user_identity(&ada)).await;
    assert_eq!(
        identity(planned.planned_identity.as_ref()),
        user_identity(&ada)
    );
    let refused = plan(user_identity("1")).await;
    assert_eq!(refused.diagnostics[0].summary, "Unexpected identity change");
    let applied = client
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: "domo_user".into(),
            prior_state: dynamic(&state),
            planned_state: planned.planned_state.clone(),
            config: dynamic(&config),
            planned_identity: planned.planned_identity.clone(),
            ..Default::default()
        })
        .await
        .expect("ApplyResourceChange")
        .into_inner();
    assert!(applied.diagnostics.is_empty(), "{applied:?}");
    assert_eq!(identity(applied.new_identity.as_ref()), user_identity(&ada));
    assert_eq!(
        sim.store().user(ada_id).expect("ada").title.as_deref(),
        Some("Countess")
    );
    let updated = value(applied.new_state.as_ref());

    // Destroy: planned with the object's identity, applied to none.
    let destroy = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "domo_user".into(),
            prior_state: dynamic(&updated),
            prior_identity: identity_data(&user_identity(&ada)),
            ..Default::default()
        })
        .await
        .expect("PlanResourceChange")
        .into_inner();
    assert_eq!(
        identity(destroy.planned_identity.as_ref()),
        user_identity(&ada)
    );
    let deleted = client
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: "domo_user".into(),
            prior_state: dynamic(&updated),
            planned_identity: identity_data(&user_identity(&ada)),
            ..Default::default()
        })
        .await
        .expect("ApplyResourceChange")
        .into_inner();
    assert!(deleted.diagnostics.is_empty(), "{deleted:?}");
    assert!(deleted.new_state.is_none() || value(deleted.new_state.as_ref()).is_null());
    assert!(deleted.new_identity.is_none());

    // Create: no identity planned (the id is not known), Domo's id after.
    let mut grace = config.clone();
    if let Value::Map(attributes) = &mut grace {
        attributes.insert("name".into(), Value::string("Grace Hopper"));
        attributes.insert("email".into(), Value::string("grace@example.com"));
    }
    let create = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "domo_user".into(),
            proposed_new_state: dynamic(&grace),
            config: dynamic(&grace),
            ..Default::default()
        })
        .await
        .expect("PlanResourceChange")
        .into_inner();
    assert!(create.diagnostics.is_empty(), "{create:?}");
    assert!(create.planned_identity.is_none());
    let created = client
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: "domo_user".into(),
            planned_state: create.planned_state,
            config: dynamic(&grace),
            ..Default::default()
        })
        .await
        .expect("ApplyResourceChange")
        .into_inner();
    assert!(created.diagnostics.is_empty(), "{created:?}");
    let new_id = text(&value(created.new_state.as_ref()), "id");
    assert_eq!(
        identity(created.new_identity.as_ref()),
        user_identity(&new_id)
    );

    // A membership's identity is both ids, known from its configuration.
    let membership = Value::object([
        ("id", Value::Null),
        ("group_id", Value::string("7")),
        ("user_id", Value::string(&new_id)),
    ]);
    let planned = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "domo_group_membership".into(),
            proposed_new_state: dynamic(&membership),
            config: dynamic(&membership),
            ..Default::default()
        })
        .await
        .expect("PlanResourceChange")
        .into_inner();
    assert_eq!(
        identity(planned.planned_identity.as_ref()),
        Value::object([
            ("group_id", Value::string("7")),
            ("user_id", Value::string(&new_id)),
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stored_identities_upgrade_to_the_current_version() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let (_p, mut client) = provider(&sim, false).await;
    let upgrade = |type_name: &str, version: i64, json: &[u8]| {
        let request = pb::upgrade_resource_identity::Request {
            type_name: type_name.into(),
            version,
            raw_identity: Some(pb::RawState {
                json: json.to_vec(),
                flatmap: Default::default(),
            }),
        };
        let mut client = client.clone();
        async move {
            client
                .upgrade_resource_identity(request)
                .await
                .expect("UpgradeResourceIdentity")
                .into_inner()
        }
    };
    let current = upgrade(
        "domo_group_membership",
        0,
        br#"{"group_id":"7","user_id":"42"}"#,
    )
    .await;
    assert!(current.diagnostics.is_empty(), "{current:?}");
    assert_eq!(
        identity(current.upgraded_identity.as_ref()),
        Value::object([
            ("group_id", Value::string("7")),
            ("user_id", Value::string("42")),
        ])
    );
    for (type_name, version, json, expected) in [
        (
            "domo_user",
            1,
            &br#"{"id":"7"}"#[..],
            "newer terraform-provider-domo",
        ),
        ("domo_user", 0, b"{not json", "not valid JSON"),
        ("domo_user", 0, b"", "legacy flatmap"),
        ("domo_user_roster", 0, br#"{"id":"7"}"#, "has no identity"),
        ("domo_widget", 0, br#"{"id":"7"}"#, "no resource type"),
    ] {
        let refused = upgrade(type_name, version, json).await;
        assert!(refused.upgraded_identity.is_none(), "{type_name} {version}");
        assert!(
            refused.diagnostics[0].detail.contains(expected),
            "{type_name} {version}: {refused:?}"
        );
    }
    client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("still serving");
}
