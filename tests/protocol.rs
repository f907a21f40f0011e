//! Protocol tests: the built provider binary, started as Terraform starts
//! it, spoken to over gRPC with mutual TLS on its unix socket.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::plugin::{connect, ClientIdentity, ProviderProcess, COOKIE};
use terraform_provider_domo::proto::go_plugin::{
    grpc_controller_client::GrpcControllerClient, Empty,
};
use terraform_provider_domo::proto::tfplugin6::{self as pb, provider_client::ProviderClient};
use terraform_provider_domo::protocol::{value::encode_msgpack, Value};

fn provider_config(pairs: &[(&str, Value)]) -> pb::DynamicValue {
    let names = [
        "client_id",
        "client_secret",
        "api_host",
        "scope",
        "max_retries",
        "request_timeout",
        "max_requests_per_minute",
        "max_concurrent_requests",
    ];
    let mut attrs: Vec<(&str, Value)> = names.iter().map(|n| (*n, Value::Null)).collect();
    for (k, v) in pairs {
        attrs.retain(|(n, _)| n != k);
        attrs.push((k, v.clone()));
    }
    pb::DynamicValue {
        msgpack: encode_msgpack(&Value::object(attrs)),
        json: vec![],
    }
}

#[tokio::test]
async fn handshake_schema_configure_and_shutdown_over_mtls() {
    // No DOMO_* variables may leak in from the developer's shell.
    let mut p = ProviderProcess::start(&[("DOMO_CLIENT_ID", ""), ("DOMO_CLIENT_SECRET", "")]);
    let hs = &p.handshake;
    assert_eq!(
        (hs.core_version.as_str(), hs.protocol_version.as_str()),
        ("1", "6")
    );
    assert_eq!(
        (hs.network.as_str(), hs.protocol.as_str()),
        ("unix", "grpc")
    );
    assert_eq!(hs.field_count, 6, "no seventh field");
    assert!(
        !hs.server_cert_der.is_empty(),
        "AutoMTLS: server certificate in the handshake"
    );
    let socket = std::path::PathBuf::from(&hs.address);
    assert!(socket.exists());

    let channel = p.connect().await.expect("mTLS connection");
    let mut client = ProviderClient::new(channel.clone());

    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema")
        .into_inner();
    let provider = schema.provider.unwrap().block.unwrap();
    let secret = provider
        .attributes
        .iter()
        .find(|a| a.name == "client_secret")
        .unwrap();
    assert!(secret.sensitive && secret.optional);
    assert_eq!(secret.r#type, br#""string""#);
    let user = schema
        .resource_schemas
        .get("domo_user")
        .expect("domo_user schema");
    let attrs = &user.block.as_ref().unwrap().attributes;
    // role or role_id: one is configured, the other computed.
    for name in ["role", "role_id"] {
        let role = attrs.iter().find(|a| a.name == name).unwrap();
        assert!(role.optional && role.computed && !role.description.is_empty());
    }
    for name in ["domo_group", "domo_group_members", "domo_group_membership"] {
        assert!(schema.resource_schemas.contains_key(name), "{name}");
    }
    let id = attrs.iter().find(|a| a.name == "id").unwrap();
    assert!(id.computed && !id.optional);

    // Validation tolerates unknown values and flags bad ones at the attribute.
    let ok = client
        .validate_provider_config(pb::validate_provider_config::Request {
            config: Some(provider_config(&[("client_secret", Value::Unknown)])),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(ok.diagnostics.is_empty(), "{:?}", ok.diagnostics);
    let bad = client
        .validate_provider_config(pb::validate_provider_config::Request {
            config: Some(provider_config(&[(
                "api_host",
                Value::string("api.domo.com"),
            )])),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bad.diagnostics.len(), 1);
    let step = &bad.diagnostics[0].attribute.as_ref().unwrap().steps[0];
    assert_eq!(
        step.selector,
        Some(pb::attribute_path::step::Selector::AttributeName(
            "api_host".into()
        ))
    );

    // Missing credentials: a diagnostic naming attribute and variable.
    let missing = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.0.3".into(),
            config: Some(provider_config(&[])),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(missing
        .diagnostics
        .iter()
        .any(|d| d.detail.contains("DOMO_CLIENT_ID")));
    assert!(missing
        .diagnostics
        .iter()
        .any(|d| d.detail.contains("DOMO_CLIENT_SECRET")));

    let configured = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.0.3".into(),
            config: Some(provider_config(&[
                ("client_id", Value::string("id")),
                ("client_secret", Value::string("secret")),
                ("api_host", Value::string("http://127.0.0.1:9")),
            ])),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        configured.diagnostics.is_empty(),
        "{:?}",
        configured.diagnostics
    );

    // Stored state of schema version 0 upgrades to the current schema:
    // unknown attributes dropped, missing ones null, send_invite defaulted.
    let upgraded = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "domo_user".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: br#"{"id":"1000001","name":"Ada","email":"ada@example.com","role":"Admin","retired_attribute":1}"#.to_vec(),
                flatmap: Default::default(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        upgraded.diagnostics.is_empty(),
        "{:?}",
        upgraded.diagnostics
    );
    let state = terraform_provider_domo::protocol::value::decode_msgpack(
        &upgraded.upgraded_state.unwrap().msgpack,
    )
    .unwrap();
    assert_eq!(state.get("id"), Some(&Value::string("1000001")));
    assert_eq!(state.get("send_invite"), Some(&Value::Bool(false)));
    assert_eq!(state.get("title"), Some(&Value::Null));
    assert!(state.get("retired_attribute").is_none());
    let newer = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "domo_user".into(),
            version: 7,
            raw_state: Some(pb::RawState {
                json: b"{}".to_vec(),
                flatmap: Default::default(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(newer.diagnostics[0].summary.contains("newer provider"));

    // A method no client calls unannounced answers UNIMPLEMENTED.
    let unimplemented = channel_call_unimplemented(channel.clone()).await;
    assert_eq!(unimplemented, tonic::Code::Unimplemented);

    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .expect("Shutdown");
    let status = p
        .wait_exit(Duration::from_secs(1))
        .expect("exits within a second of Shutdown");
    assert!(status.success(), "{status:?}");
    assert!(!socket.exists(), "socket removed on exit");
}

/// Calls `tfplugin6.Provider/OpenEphemeralResource`, which we do not serve
/// (a client calls it only for ephemeral resources the schema declares).
async fn channel_call_unimplemented(channel: tonic::transport::Channel) -> tonic::Code {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("ready");
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(
        "/tfplugin6.Provider/OpenEphemeralResource",
    );
    let codec =
        tonic_prost::ProstCodec::<pb::get_metadata::Request, pb::get_metadata::Response>::default();
    grpc.unary(
        tonic::Request::new(pb::get_metadata::Request {}),
        path,
        codec,
    )
    .await
    .expect_err("not served")
    .code()
}

/// The TCP transport (Windows' own, forced here): the handshake line says
/// `tcp` and a loopback address within Terraform's port range, and gRPC
/// with mutual TLS works over it.
#[tokio::test]
async fn over_tcp_the_handshake_names_a_loopback_port_in_range() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let low = free.local_addr().expect("addr").port();
    drop(free);
    let (min, max) = (low.to_string(), low.saturating_add(50).to_string());
    let p = ProviderProcess::start(&[
        ("DOMO_PLUGIN_TRANSPORT", "tcp"),
        ("PLUGIN_MIN_PORT", &min),
        ("PLUGIN_MAX_PORT", &max),
    ]);
    let hs = &p.handshake;
    assert_eq!((hs.network.as_str(), hs.field_count), ("tcp", 6));
    let address: std::net::SocketAddr = hs.address.parse().expect("ip:port");
    assert!(address.ip().is_loopback(), "{address}");
    assert!((low..=low + 50).contains(&address.port()), "{address}");
    let channel = p.connect().await.expect("mTLS over TCP");
    ProviderClient::new(channel)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema over TCP");
    // A foreign certificate is refused over TCP too.
    let stranger = ClientIdentity::generate();
    let refused = async {
        let channel = connect(hs, &stranger).await?;
        ProviderClient::new(channel)
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
            .map_err(|s| Box::new(s) as Box<dyn std::error::Error>)?;
        Ok::<_, Box<dyn std::error::Error>>(())
    }
    .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn a_client_with_another_certificate_is_refused() {
    let p = ProviderProcess::start(&[]);
    let stranger = ClientIdentity::generate();
    let result = async {
        let channel = connect(&p.handshake, &stranger).await?;
        ProviderClient::new(channel)
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
            .map_err(|s| Box::new(s) as Box<dyn std::error::Error>)?;
        Ok::<_, Box<dyn std::error::Error>>(())
    }
    .await;
    assert!(
        result.is_err(),
        "a foreign client certificate must not get an answer"
    );
    // The rightful client still gets in.
    let channel = p.connect().await.expect("pinned client connects");
    ProviderClient::new(channel)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("pinned client is served");
}

#[test]
fn without_the_cookie_it_explains_itself_and_exits_1() {
    let out = Command::new(env!("CARGO_BIN_EXE_terraform-provider-domo"))
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .stdin(Stdio::null())
        .output()
        .expect("run binary");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout without a handshake"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("plugin for Terraform"), "{stderr}");
}

#[test]
fn refuses_clients_that_do_not_offer_protocol_6() {
    let out = Command::new(env!("CARGO_BIN_EXE_terraform-provider-domo"))
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .stdin(Stdio::null())
        .output()
        .expect("run binary");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only version 6"));
}

#[tokio::test]
async fn sigterm_ends_an_idle_provider_promptly() {
    let mut p = ProviderProcess::start(&[]);
    let socket = std::path::PathBuf::from(&p.handshake.address);
    let _channel = p.connect().await.expect("connect");
    let pid = p.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = p
        .wait_exit(Duration::from_secs(2))
        .expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}");
    assert!(!socket.exists());
}

#[tokio::test]
async fn debug_mode_prints_a_reattach_line_and_serves_without_the_cookie() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_terraform-provider-domo"))
        .arg("--debug")
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start in debug mode");
    let stdout = child.stdout.take().expect("stdout");
    let reattach = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            l.trim()
                .strip_prefix("export TF_REATTACH_PROVIDERS=")
                .map(str::to_owned)
        })
        .expect("reattach line");
    let json: serde_json::Value = serde_json::from_str(reattach.trim_matches('\'')).expect("JSON");
    let entry = &json["registry.terraform.io/tf-domo/domo"];
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Pid"], child.id());
    assert_eq!(entry["Addr"]["Network"], "unix");
    let socket = entry["Addr"]["String"].as_str().unwrap().to_owned();

    // Plaintext gRPC on the socket, as Terraform's reattach client expects.
    let channel = tonic::transport::Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            async move {
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(
                    tokio::net::UnixStream::connect(socket).await?,
                ))
            }
        }))
        .await
        .expect("plaintext connection");
    let schema = ProviderClient::new(channel)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("served");
    assert!(schema
        .into_inner()
        .resource_schemas
        .contains_key("domo_user"));
    let _ = child.kill();
    let _ = child.wait();
}

/// A 20,000-person `domo_user_roster` crosses the connection both ways in
/// messages far above gRPC's usual 4 MiB limit (Terraform's own client
/// accepts more, and so must the provider).
#[tokio::test]
async fn a_twenty_thousand_user_roster_travels_in_one_message_each_way() {
    use terraform_provider_domo::protocol::value::decode_msgpack;
    let p = ProviderProcess::start(&[]);
    let channel = p.connect().await.expect("mTLS connection");
    let mut client = ProviderClient::new(channel)
        .max_decoding_message_size(256 << 20)
        .max_encoding_message_size(256 << 20);
    let entry_names = [
        "name",
        "role",
        "title",
        "alternate_email",
        "phone",
        "location",
        "employee_number",
        "timezone",
        "locale",
    ];
    let users = Value::Map(
        (0..20_000)
            .map(|i| {
                let entry = Value::object(entry_names.iter().map(|n| {
                    let v = match *n {
                        "name" => Value::string(format!("Person Number {i}")),
                        "role" => Value::string("Participant"),
                        "title" => Value::string("Senior Analyst, Finance Operations"),
                        _ => Value::Null,
                    };
                    (*n, v)
                }));
                (format!("person-{i}@example.com"), entry)
            })
            .collect(),
    );
    let config = Value::object([
        ("users", users),
        ("accounts", Value::Null),
        ("adopt_existing", Value::Null),
        ("on_removal", Value::Null),
        ("send_invite", Value::Null),
    ]);
    let encoded = encode_msgpack(&config);
    let dynamic = || pb::DynamicValue {
        msgpack: encoded.clone(),
        json: vec![],
    };
    let request = pb::plan_resource_change::Request {
        type_name: "domo_user_roster".into(),
        prior_state: None,
        proposed_new_state: Some(dynamic()),
        config: Some(dynamic()),
        prior_private: vec![],
        provider_meta: None,
        client_capabilities: None,
        prior_identity: None,
    };
    let size = prost::Message::encoded_len(&request);
    assert!(size > 4 << 20, "{size} bytes");
    let planned = client
        .plan_resource_change(request)
        .await
        .expect("a large plan is accepted and answered")
        .into_inner();
    assert!(planned.diagnostics.is_empty(), "{:?}", planned.diagnostics);
    let state = planned.planned_state.expect("planned state").msgpack;
    assert!(state.len() > 4 << 20, "{} bytes", state.len());
    let state = decode_msgpack(&state).expect("msgpack");
    let Some(Value::Map(accounts)) = state.get("accounts") else {
        panic!("no accounts planned")
    };
    assert_eq!(accounts.len(), 20_000);
}

/// The RPCs newer clients call without being told they exist get real
/// answers, never UNIMPLEMENTED, and the schema lets Terraform reuse one
/// fetched copy.
#[tokio::test]
async fn newer_clients_get_answers_not_unimplemented() {
    let p = ProviderProcess::start(&[]);
    let mut client = ProviderClient::new(p.connect().await.expect("connect"));

    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema")
        .into_inner();
    assert!(
        schema
            .server_capabilities
            .expect("capabilities")
            .get_provider_schema_optional
    );
    let metadata = client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata")
        .into_inner();
    let capabilities = metadata.server_capabilities.expect("capabilities");
    assert!(capabilities.get_provider_schema_optional);
    assert!(
        !capabilities.move_resource_state,
        "we do not take over other resource types' state"
    );

    // Terraform >= 1.12 and OpenTofu 1.12: on every run.
    let identities = client
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .expect("GetResourceIdentitySchemas is served")
        .into_inner();
    assert!(identities.diagnostics.is_empty());
    let mut declared: Vec<(&str, Vec<&str>)> = identities
        .identity_schemas
        .iter()
        .map(|(type_name, schema)| {
            assert_eq!(schema.version, 0, "{type_name}");
            let attributes = schema
                .identity_attributes
                .iter()
                .map(|a| {
                    assert_eq!(a.r#type, br#""string""#, "{type_name}.{}", a.name);
                    assert!(a.required_for_import && !a.description.is_empty());
                    a.name.as_str()
                })
                .collect();
            (type_name.as_str(), attributes)
        })
        .collect();
    declared.sort();
    assert_eq!(
        declared,
        [
            ("domo_group", vec!["id"]),
            ("domo_group_members", vec!["group_id"]),
            ("domo_group_membership", vec!["group_id", "user_id"]),
            ("domo_user", vec!["id"]),
        ],
        "every resource but the roster has an identity"
    );

    // OpenTofu, for an unknown provider::domo:: function.
    let functions = client
        .get_functions(pb::get_functions::Request {})
        .await
        .expect("GetFunctions is served")
        .into_inner();
    assert!(functions.functions.is_empty());
    assert!(functions.diagnostics.is_empty());

    // OpenTofu, for a moved block from another resource type.
    let moved = client
        .move_resource_state(pb::move_resource_state::Request {
            source_provider_address: "registry.opentofu.org/hashicorp/null".into(),
            source_type_name: "null_resource".into(),
            source_schema_version: 0,
            source_state: Some(pb::RawState {
                json: br#"{"id":"1"}"#.to_vec(),
                flatmap: Default::default(),
            }),
            target_type_name: "domo_user".into(),
            source_private: vec![],
            // Since 6.9 the source identity travels as stored JSON; a
            // request carrying one must decode.
            source_identity: Some(pb::RawState {
                json: br#"{"id":"1"}"#.to_vec(),
                flatmap: Default::default(),
            }),
            source_identity_schema_version: 0,
        })
        .await
        .expect("MoveResourceState is served")
        .into_inner();
    assert!(moved.target_state.is_none());
    let [d] = moved.diagnostics.as_slice() else {
        panic!("one diagnostic: {:?}", moved.diagnostics)
    };
    assert_eq!(d.severity, pb::diagnostic::Severity::Error as i32);
    assert!(d.summary.contains("not supported"), "{d:?}");
    assert!(
        d.detail.contains("null_resource") && d.detail.contains("terraform import"),
        "{d:?}"
    );
    let unknown_target = client
        .move_resource_state(pb::move_resource_state::Request {
            target_type_name: "domo_widget".into(),
            ..Default::default()
        })
        .await
        .expect("MoveResourceState is served")
        .into_inner();
    assert!(unknown_target.diagnostics[0]
        .detail
        .contains("no resource type \"domo_widget\""));
}

const USER_ATTRIBUTES: [&str; 15] = [
    "id",
    "name",
    "email",
    "role",
    "title",
    "alternate_email",
    "phone",
    "location",
    "timezone",
    "locale",
    "employee_number",
    "send_invite",
    "created_at",
    "updated_at",
    "image_url",
];

/// A `domo_user` object: every attribute null but those given.
fn user(pairs: &[(&str, Value)]) -> Value {
    Value::object(USER_ATTRIBUTES.iter().map(|name| {
        let value = pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null);
        (*name, value)
    }))
}

fn msgpack(value: &Value) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: encode_msgpack(value),
        json: vec![],
    })
}

fn raw_msgpack(bytes: Vec<u8>) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: bytes,
        json: vec![],
    })
}

fn valid_user() -> Value {
    user(&[
        ("name", Value::string("Ada Lovelace")),
        ("email", Value::string("ada@example.com")),
        ("role", Value::string("Admin")),
    ])
}

/// What one hostile request got back: its diagnostics, or the gRPC status
/// if it was refused as a whole.
type Answer = Result<Vec<pb::Diagnostic>, tonic::Status>;

/// Sends what Terraform never would (malformed msgpack and JSON, values of
/// the wrong type, values nested too deep or too large, type names and
/// schema versions the provider does not have). Each gets an error
/// diagnostic, small enough for Terraform to read, and the same process
/// serves the next call on the same connection.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_input_gets_diagnostics_and_the_provider_keeps_serving() {
    let mut p = ProviderProcess::start(&[("DOMO_CLIENT_ID", ""), ("DOMO_CLIENT_SECRET", "")]);
    let channel = p.connect().await.expect("connect");
    let mut client = ProviderClient::new(channel);
    // Configured against a closed port: nothing here may reach Domo anyway.
    let configured = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: Some(provider_config(&[
                ("client_id", Value::string("id")),
                ("client_secret", Value::string("secret")),
                ("api_host", Value::string("http://127.0.0.1:9")),
            ])),
            client_capabilities: None,
        })
        .await
        .expect("ConfigureProvider")
        .into_inner();
    assert!(configured.diagnostics.is_empty(), "{configured:?}");

    let deep_msgpack = {
        let mut bytes = vec![0x91; 100_000];
        bytes.push(0xc0);
        bytes
    };
    let five_mib = "x".repeat(5 << 20);
    let million_bools = Value::List(vec![Value::Bool(true); 1_000_000]);
    let nested_list = (0..60).fold(Value::string("deep"), |v, _| Value::List(vec![v]));
    // A msgpack array declaring 2^32-1 elements, then none.
    let huge_declared_array = vec![0xdd, 0xff, 0xff, 0xff, 0xff];
    // A msgpack string declaring 4 GiB, then 3 bytes.
    let huge_declared_string = vec![0xdb, 0xff, 0xff, 0xff, 0xff, b'a', b'b', b'c'];

    // (what was sent, expected words in the diagnostic, the answer)
    let mut cases: Vec<(&str, &str, Answer)> = Vec::new();
    macro_rules! case {
        ($what:expr, $expect:expr, $call:expr) => {{
            let answer: Answer = $call.await.map(|r| r.into_inner().diagnostics);
            cases.push(($what, $expect, answer));
            assert_still_serving(&mut client, &mut p, $what).await;
        }};
    }
    let validate = |config: Option<pb::DynamicValue>| pb::validate_resource_config::Request {
        type_name: "domo_user".into(),
        config,
        client_capabilities: None,
    };

    // Malformed msgpack, in every request that carries a value.
    case!(
        "an unassigned msgpack marker",
        "0xc1",
        client.validate_resource_config(validate(raw_msgpack(vec![0xc1])))
    );
    case!(
        "truncated msgpack",
        "ends early",
        client.plan_resource_change(pb::plan_resource_change::Request {
            type_name: "domo_user".into(),
            prior_state: None,
            proposed_new_state: raw_msgpack(encode_msgpack(&valid_user())[..20].to_vec()),
            config: msgpack(&valid_user()),
            ..Default::default()
        })
    );
    case!(
        "msgpack with trailing bytes",
        "trailing",
        client.read_resource(pb::read_resource::Request {
            type_name: "domo_user".into(),
            current_state: raw_msgpack([encode_msgpack(&valid_user()), vec![0xc0]].concat()),
            ..Default::default()
        })
    );
    case!(
        "invalid UTF-8 in a msgpack string",
        "UTF-8",
        client.apply_resource_change(pb::apply_resource_change::Request {
            type_name: "domo_user".into(),
            prior_state: None,
            planned_state: raw_msgpack(vec![0x81, 0xa4, b'n', b'a', b'm', b'e', 0xa1, 0xff]),
            ..Default::default()
        })
    );
    case!(
        "a msgpack map with a non-string key",
        "not a string",
        client.validate_provider_config(pb::validate_provider_config::Request {
            config: raw_msgpack(vec![0x81, 0x01, 0xc0]),
        })
    );
    case!(
        "malformed JSON state",
        "not valid JSON",
        client.upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "domo_user".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: br#"{"id": "1", "name": "#.to_vec(),
                flatmap: Default::default(),
            }),
        })
    );
    case!(
        "malformed JSON data source config",
        "Invalid value from Terraform",
        client.read_data_source(pb::read_data_source::Request {
            type_name: "domo_user".into(),
            config: Some(pb::DynamicValue {
                msgpack: vec![],
                json: b"{email:".to_vec(),
            }),
            ..Default::default()
        })
    );

    // Values of the wrong type.
    case!(
        "a number where an object belongs",
        "Expected an object",
        client.validate_resource_config(validate(msgpack(&Value::Number(
            terraform_provider_domo::protocol::Number::Int(7)
        ))))
    );
    case!(
        "a list for a string attribute",
        "Invalid value for name",
        client.validate_resource_config(validate(msgpack(&user(&[
            ("name", Value::List(vec![Value::string("Ada")])),
            ("email", Value::string("ada@example.com")),
            ("role", Value::string("Admin")),
        ]))))
    );
    case!(
        "a word for a bool attribute",
        "Invalid value for send_invite",
        client.plan_resource_change(pb::plan_resource_change::Request {
            type_name: "domo_user".into(),
            proposed_new_state: msgpack(&user(&[
                ("name", Value::string("Ada")),
                ("email", Value::string("ada@example.com")),
                ("role", Value::string("Admin")),
                ("send_invite", Value::string("maybe")),
            ])),
            config: msgpack(&valid_user()),
            ..Default::default()
        })
    );
    case!(
        "an object for a string in stored state",
        "Invalid value for email",
        client.upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "domo_user".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: br#"{"id":"1","name":"Ada","email":{"a":1},"role":"Admin"}"#.to_vec(),
                flatmap: Default::default(),
            }),
        })
    );
    case!(
        "a map for a data source's email",
        "email",
        client.validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: "domo_user".into(),
            config: msgpack(&Value::object([
                ("id", Value::Null),
                ("email", Value::object([("x", Value::string("y"))])),
            ])),
        })
    );

    // Deeply nested values.
    case!(
        "msgpack nested 100,000 levels deep",
        "deeper than",
        client.validate_resource_config(validate(raw_msgpack(deep_msgpack.clone())))
    );
    case!(
        "JSON state nested 100,000 levels deep",
        "not valid JSON",
        client.upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "domo_user".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: "[".repeat(100_000).into_bytes(),
                flatmap: Default::default(),
            }),
        })
    );
    case!(
        "a string attribute holding a list nested 60 levels deep",
        "Invalid value for title",
        client.validate_resource_config(validate(msgpack(&user(&[
            ("name", Value::string("Ada")),
            ("email", Value::string("ada@example.com")),
            ("role", Value::string("Admin")),
            ("title", nested_list.clone()),
        ]))))
    );

    // Oversized values.
    case!(
        "a 5 MiB email",
        "Invalid email address",
        client.validate_resource_config(validate(msgpack(&user(&[
            ("name", Value::string("Ada")),
            ("email", Value::string(five_mib.clone())),
            ("role", Value::string("Admin")),
        ]))))
    );
    case!(
        "a million-element list for a string",
        "Invalid value for name",
        client.validate_resource_config(validate(msgpack(&user(&[
            ("name", million_bools.clone()),
            ("email", Value::string("ada@example.com")),
            ("role", Value::string("Admin")),
        ]))))
    );
    case!(
        "a msgpack array declaring 4 billion elements",
        "ends early",
        client.validate_resource_config(validate(raw_msgpack(huge_declared_array.clone())))
    );
    case!(
        "a msgpack string declaring 4 GiB",
        "ends early",
        client.read_resource(pb::read_resource::Request {
            type_name: "domo_user".into(),
            current_state: raw_msgpack(huge_declared_string.clone()),
            ..Default::default()
        })
    );

    // Type names the provider does not have.
    let ghost_user = || msgpack(&valid_user());
    case!(
        "an unknown resource type to validate",
        "no resource type \"domo_widget\"",
        client.validate_resource_config(pb::validate_resource_config::Request {
            type_name: "domo_widget".into(),
            config: ghost_user(),
            client_capabilities: None,
        })
    );
    case!(
        "an unknown resource type to plan",
        "no resource type \"domo_widget\"",
        client.plan_resource_change(pb::plan_resource_change::Request {
            type_name: "domo_widget".into(),
            proposed_new_state: ghost_user(),
            config: ghost_user(),
            ..Default::default()
        })
    );
    case!(
        "an unknown resource type to apply",
        "no resource type \"domo_widget\"",
        client.apply_resource_change(pb::apply_resource_change::Request {
            type_name: "domo_widget".into(),
            planned_state: ghost_user(),
            config: ghost_user(),
            ..Default::default()
        })
    );
    case!(
        "an unknown resource type to read",
        "no resource type \"domo_widget\"",
        client.read_resource(pb::read_resource::Request {
            type_name: "domo_widget".into(),
            current_state: ghost_user(),
            ..Default::default()
        })
    );
    case!(
        "an unknown resource type to import",
        "no resource type \"domo_widget\"",
        client.import_resource_state(pb::import_resource_state::Request {
            type_name: "domo_widget".into(),
            id: "1".into(),
            ..Default::default()
        })
    );
    case!(
        "an unknown resource type to upgrade",
        "no resource type \"domo_widget\"",
        client.upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "domo_widget".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: b"{}".to_vec(),
                flatmap: Default::default(),
            }),
        })
    );
    case!(
        "an unknown data source to validate",
        "no data source \"domo_widgets\"",
        client.validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: "domo_widgets".into(),
            config: msgpack(&Value::object([("name", Value::string("x"))])),
        })
    );
    case!(
        "an unknown data source to read",
        "no data source \"domo_widgets\"",
        client.read_data_source(pb::read_data_source::Request {
            type_name: "domo_widgets".into(),
            config: msgpack(&Value::object([("name", Value::string("x"))])),
            ..Default::default()
        })
    );

    // A schema version from the future.
    case!(
        "state of schema version 99",
        "schema version 99",
        client.upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "domo_user".into(),
            version: 99,
            raw_state: Some(pb::RawState {
                json: br#"{"id":"1","name":"Ada","email":"ada@example.com","role":"Admin"}"#
                    .to_vec(),
                flatmap: Default::default(),
            }),
        })
    );

    for (what, expect, answer) in cases {
        let diagnostics = answer.unwrap_or_else(|status| panic!("{what}: refused: {status:?}"));
        let errors: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
            .collect();
        assert!(!errors.is_empty(), "{what}: no error diagnostic");
        assert!(
            errors
                .iter()
                .any(|d| d.summary.contains(expect) || d.detail.contains(expect)),
            "{what}: expected {expect:?} in {errors:?}"
        );
        for d in &diagnostics {
            assert!(
                d.summary.len() + d.detail.len() < 8 << 10,
                "{what}: a diagnostic of {} bytes",
                d.summary.len() + d.detail.len()
            );
        }
    }
}

/// The process is alive and a well-formed call on the same connection is
/// answered normally.
async fn assert_still_serving(
    client: &mut ProviderClient<tonic::transport::Channel>,
    p: &mut ProviderProcess,
    after: &str,
) {
    assert!(
        p.child.try_wait().expect("process status").is_none(),
        "the provider exited after {after}"
    );
    let answer = client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "domo_user".into(),
            config: msgpack(&valid_user()),
            client_capabilities: None,
        })
        .await
        .unwrap_or_else(|status| panic!("no answer after {after}: {status:?}"))
        .into_inner();
    assert!(
        answer.diagnostics.is_empty(),
        "after {after}: {:?}",
        answer.diagnostics
    );
}
