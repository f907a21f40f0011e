//! The simulator's behaviour, checked over real HTTP with reqwest.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::store::format_iso8601_millis;
use super::*;

/// A started simulator, an HTTP client and a valid token.
struct Fixture {
    sim: Simulator,
    http: Client,
    token: String,
}

impl Fixture {
    async fn start(config: SimConfig) -> Fixture {
        let sim = Simulator::start(config).await.expect("simulator starts");
        let http = Client::new();
        let token = fetch_token(&http, &sim.base_url()).await;
        Fixture { sim, http, token }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET answers")
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> reqwest::Response {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("request answers")
    }

    async fn create(&self, body: Value) -> reqwest::Response {
        self.send(reqwest::Method::POST, "/v1/users?sendInvite=false", body)
            .await
    }

    async fn put(&self, id: u64, body: Value) -> reqwest::Response {
        self.send(reqwest::Method::PUT, &format!("/v1/users/{id}"), body)
            .await
    }
}

async fn fetch_token(http: &Client, base: &str) -> String {
    let response = http
        .get(format!("{base}/oauth/token"))
        .query(&[("grant_type", "client_credentials"), ("scope", "user")])
        .basic_auth("sim-client", Some("sim-secret"))
        .send()
        .await
        .expect("token endpoint answers");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("token JSON");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

fn alice() -> Value {
    json!({"name": "Alice", "email": "alice@example.com", "role": "Participant"})
}

/// Asserts Domo's error body and returns its message.
async fn error_message(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status().as_u16(), status);
    let body: Value = response.json().await.expect("error body is JSON");
    assert_eq!(body["status"], status);
    assert!(body["statusReason"].as_str().is_some_and(|s| !s.is_empty()));
    let toe = body["toe"].as_str().expect("toe");
    assert!(
        !toe.is_empty()
            && toe
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    );
    body["message"].as_str().expect("message").to_string()
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    response.json().await.expect("JSON body")
}

#[tokio::test]
async fn token_by_get_and_by_post_with_a_form_body() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let http = Client::new();
    let base = sim.base_url();
    assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with('/'));

    let by_get = fetch_token(&http, &base).await;
    let by_post: Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth("sim-client", Some("sim-secret"))
        .form(&[("grant_type", "client_credentials"), ("scope", "user")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_post["token_type"], "bearer");
    assert_eq!(by_post["expires_in"], 3600);
    assert_eq!(by_post["scope"], "user");
    assert_eq!(by_post["customer"], "sim");
    assert_eq!(by_post["userId"], 1);
    assert_eq!(by_post["role"], "Admin");
    assert!(by_post["jti"].is_string());
    let by_post = by_post["access_token"].as_str().unwrap();
    assert_ne!(by_get, by_post);

    // Both tokens work, whatever the case of the scheme.
    for (scheme, token) in [("bearer", &by_get[..]), ("Bearer", by_post)] {
        let response = http
            .get(format!("{base}/v1/users"))
            .header("Authorization", format!("{scheme} {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    // Scope may be omitted; unknown scopes and grant types are refused.
    let no_scope = http
        .post(format!("{base}/oauth/token?grant_type=client_credentials"))
        .basic_auth("sim-client", Some("sim-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(no_scope, 200).await["scope"], "user");
    for query in [
        "grant_type=client_credentials&scope=data",
        "grant_type=password",
        "scope=user",
    ] {
        let response = http
            .get(format!("{base}/oauth/token?{query}"))
            .basic_auth("sim-client", Some("sim-secret"))
            .send()
            .await
            .unwrap();
        error_message(response, 400).await;
    }
    assert_eq!(sim.store().stats().token_requests, 6);
}

#[tokio::test]
async fn bad_or_missing_credentials_get_401() {
    let fx = Fixture::start(SimConfig::default()).await;
    let token_url = fx.url("/oauth/token?grant_type=client_credentials&scope=user");
    let wrong = fx
        .http
        .get(&token_url)
        .basic_auth("sim-client", Some("wrong"))
        .send()
        .await
        .unwrap();
    error_message(wrong, 401).await;
    let missing = fx.http.get(&token_url).send().await.unwrap();
    error_message(missing, 401).await;

    for auth in [
        None,
        Some("bearer nope"),
        Some("Basic c2ltLWNsaWVudDpzaW0tc2VjcmV0"),
    ] {
        let mut request = fx.http.get(fx.url("/v1/users"));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        error_message(request.send().await.unwrap(), 401).await;
    }
}

#[tokio::test]
async fn an_expired_token_gets_401() {
    let config = SimConfig {
        token_ttl: Duration::from_millis(300),
        ..SimConfig::default()
    };
    let fx = Fixture::start(config).await;
    assert_eq!(fx.get("/v1/users").await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let message = error_message(fx.get("/v1/users").await, 401).await;
    assert!(message.contains("expired"), "{message}");
}

#[tokio::test]
async fn list_pages_are_bare_arrays_of_live_users_by_id() {
    let fx = Fixture::start(SimConfig::default()).await;
    let store = fx.sim.store();
    let seeded = store.seed_users(1203);
    store.mark_deleted(seeded[0]);

    let first = json_of(fx.get("/v1/users").await, 200).await;
    assert_eq!(first.as_array().unwrap().len(), 50, "default limit");

    let mut listed = Vec::new();
    let mut offset = 0;
    loop {
        let page = json_of(
            fx.get(&format!("/v1/users?limit=500&offset={offset}"))
                .await,
            200,
        )
        .await;
        let page = page.as_array().expect("a bare array").clone();
        listed.extend(page.iter().map(|u| u["id"].as_u64().unwrap()));
        offset += page.len();
        if page.len() < 500 {
            assert_eq!(page.len(), 202, "short last page");
            break;
        }
    }
    assert_eq!(listed, seeded[1..].to_vec(), "live users, ascending ids");
    let beyond = json_of(fx.get("/v1/users?offset=5000").await, 200).await;
    assert_eq!(beyond, json!([]));

    for query in ["limit=501", "limit=abc", "offset=-1", "limit=0"] {
        error_message(fx.get(&format!("/v1/users?{query}")).await, 400).await;
    }
}

#[tokio::test]
async fn get_answers_user_deleted_subset_404_and_400() {
    let fx = Fixture::start(SimConfig::default()).await;
    let created = json_of(
        fx.create(json!({
            "name": "Alice", "email": "alice@example.com", "role": "Admin",
            "title": "CTO", "phone": "+1 555", "employeeNumber": 42,
        }))
        .await,
        201,
    )
    .await;
    let id = created["id"].as_u64().unwrap();
    let user = json_of(fx.get(&format!("/v1/users/{id}")).await, 200).await;
    assert_eq!(user, created);
    assert_eq!(user["title"], "CTO");
    assert_eq!(user["employeeNumber"], 42);
    assert_eq!(user["groups"], json!([]));
    assert_eq!(user["image"], format!("https://sim.domo.local/avatar/{id}"));
    assert!(user.get("location").is_none() && user.get("deleted").is_none());

    let deleted = fx
        .http
        .delete(fx.url(&format!("/v1/users/{id}")))
        .bearer_auth(&fx.token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let subset = json_of(fx.get(&format!("/v1/users/{id}")).await, 200).await;
    assert_eq!(
        subset,
        json!({"id": id, "name": "Alice", "email": "alice@example.com", "deleted": true})
    );

    fx.sim.store().purge(id);
    error_message(fx.get(&format!("/v1/users/{id}")).await, 404).await;
    error_message(fx.get("/v1/users/999").await, 404).await;
    error_message(fx.get("/v1/users/abc").await, 400).await;
}

#[tokio::test]
async fn create_validates_and_answers_201() {
    let fx = Fixture::start(SimConfig::default()).await;
    let body = json_of(
        fx.create(json!({
            "name": "Alice", "email": "Alice@Example.com", "role": "Privileged",
            "employeeNumber": "E-7", "sendInvite": true, "timezone": "America/Denver",
        }))
        .await,
        201,
    )
    .await;
    assert_eq!(body["email"], "Alice@Example.com", "stored as given");
    assert_eq!(body["employeeNumber"], "E-7");
    assert!(body.get("sendInvite").is_none());
    assert!(body["id"].as_u64().unwrap() > 1_000_000);
    let created_at = body["createdAt"].as_str().unwrap();
    assert!(
        created_at.ends_with('Z') && created_at.len() == 24,
        "{created_at}"
    );

    let missing_name = json!({"email": "b@example.com", "role": "Admin"});
    assert!(error_message(fx.create(missing_name).await, 400)
        .await
        .contains("name"));
    let bad_role = json!({"name": "B", "email": "b@example.com", "role": "admin"});
    let message = error_message(fx.create(bad_role).await, 400).await;
    assert!(
        message.contains("Admin, Privileged, Participant"),
        "{message}"
    );
    let bad_email = json!({"name": "B", "email": "b.example.com", "role": "Admin"});
    error_message(fx.create(bad_email).await, 400).await;
    let not_json = fx
        .http
        .post(fx.url("/v1/users"))
        .bearer_auth(&fx.token)
        .body("{")
        .send()
        .await
        .unwrap();
    error_message(not_json, 400).await;

    // Uniqueness ignores case.
    let duplicate = json!({"name": "A2", "email": "alice@EXAMPLE.com", "role": "Admin"});
    let message = error_message(fx.create(duplicate.clone()).await, 409).await;
    assert!(message.contains("already exists"), "{message}");
    assert_eq!(fx.sim.store().users().len(), 1);

    fx.sim.store().set_config(SimConfig {
        duplicate_email_status: 400,
        ..SimConfig::default()
    });
    error_message(fx.create(duplicate.clone()).await, 400).await;

    // A deleted user's email is free again.
    let id = fx.sim.store().users()[0].id;
    fx.sim.store().mark_deleted(id);
    assert_eq!(fx.create(duplicate).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn lowercase_emails_switch_lowers_stored_emails() {
    let fx = Fixture::start(SimConfig {
        lowercase_emails: true,
        ..SimConfig::default()
    })
    .await;
    let body = json!({"name": "Bob", "email": "Bob@Example.COM", "role": "Admin"});
    let created = json_of(fx.create(body).await, 201).await;
    assert_eq!(created["email"], "bob@example.com");
    let id = created["id"].as_u64().unwrap();
    let updated = json!({"name": "Bob", "email": "BOB@example.com", "role": "Admin"});
    assert_eq!(
        json_of(fx.put(id, updated).await, 200).await["email"],
        "bob@example.com"
    );
}

#[tokio::test]
async fn put_replaces_keeps_absent_fields_and_clears_empty_ones() {
    let fx = Fixture::start(SimConfig::default()).await;
    let created = json_of(
        fx.create(json!({
            "name": "Alice", "email": "alice@example.com", "role": "Participant",
            "title": "Engineer", "phone": "123", "location": "Denver",
            "timezone": "America/Denver", "locale": "en-US",
        }))
        .await,
        201,
    )
    .await;
    let id = created["id"].as_u64().unwrap();

    let updated = json_of(
        fx.put(
            id,
            json!({
                "name": "Alice B", "email": "alice@example.com", "role": "Admin",
                "title": "", "phone": null, "employeeNumber": "0042", "locale": "fr-FR",
            }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["name"], "Alice B");
    assert_eq!(updated["role"], "Admin");
    assert!(updated.get("title").is_none(), "\"\" clears");
    assert_eq!(updated["phone"], "123", "null leaves unchanged");
    assert_eq!(updated["location"], "Denver", "absent leaves unchanged");
    assert_eq!(
        updated["employeeNumber"], 42,
        "digits come back as a number"
    );
    assert_eq!(updated["createdAt"], created["createdAt"]);
    assert_ne!(updated["updatedAt"], created["updatedAt"]);
    assert!(updated.get("timezone").is_none() && updated.get("locale").is_none());
    let stored = fx.sim.store().user(id).unwrap();
    assert_eq!(stored.timezone.as_deref(), Some("America/Denver"));
    assert_eq!(stored.locale.as_deref(), Some("fr-FR"));
    assert_eq!(stored.title, None);

    // Validation, conflicts and missing users.
    error_message(fx.put(id, json!({"name": "A", "role": "Admin"})).await, 400).await;
    let other = json!({"name": "Carol", "email": "carol@example.com", "role": "Admin"});
    let carol = json_of(fx.create(other).await, 201).await["id"]
        .as_u64()
        .unwrap();
    let steal = json!({"name": "Carol", "email": "ALICE@example.com", "role": "Admin"});
    error_message(fx.put(carol, steal).await, 409).await;
    error_message(fx.put(424242, alice()).await, 404).await;
    fx.sim.store().mark_deleted(carol);
    let carol_again = json!({"name": "Carol", "email": "carol@example.com", "role": "Admin"});
    error_message(fx.put(carol, carol_again).await, 404).await;

    // Without a body.
    fx.sim.store().set_config(SimConfig {
        put_returns_body: false,
        ..SimConfig::default()
    });
    let response = fx.put(id, alice()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.unwrap().is_empty());
    assert_eq!(fx.sim.store().user(id).unwrap().name, "Alice");
}

#[tokio::test]
async fn timezone_and_locale_are_stored_but_never_returned() {
    let fx = Fixture::start(SimConfig::default()).await;
    let mut body = alice();
    body["timezone"] = json!("America/Denver");
    body["locale"] = json!("en-US");
    let created = json_of(fx.create(body).await, 201).await;
    let id = created["id"].as_u64().unwrap();
    let listed = json_of(fx.get("/v1/users").await, 200).await;
    let read = json_of(fx.get(&format!("/v1/users/{id}")).await, 200).await;
    for user in [&created, &listed[0], &read] {
        assert!(user.get("timezone").is_none() && user.get("locale").is_none());
    }
    let stored = fx.sim.store().user(id).unwrap();
    assert_eq!(stored.timezone.as_deref(), Some("America/Denver"));
    assert_eq!(stored.locale.as_deref(), Some("en-US"));
}

#[tokio::test]
async fn delete_answers_204_then_404() {
    let fx = Fixture::start(SimConfig::default()).await;
    let id = json_of(fx.create(alice()).await, 201).await["id"]
        .as_u64()
        .unwrap();
    let delete = || {
        fx.http
            .delete(fx.url(&format!("/v1/users/{id}")))
            .bearer_auth(&fx.token)
            .send()
    };
    assert_eq!(delete().await.unwrap().status(), StatusCode::NO_CONTENT);
    error_message(delete().await.unwrap(), 404).await;
    assert!(fx.sim.store().users().is_empty());
    assert!(fx.sim.store().all_users_including_deleted()[0].deleted);
    assert_eq!(json_of(fx.get("/v1/users").await, 200).await, json!([]));
}

#[tokio::test]
async fn rate_limit_answers_429_with_or_without_retry_after() {
    for retry_after_header in [true, false] {
        let fx = Fixture::start(SimConfig {
            rate_limit_per_second: Some(3),
            retry_after_header,
            ..SimConfig::default()
        })
        .await;
        // The token request used one slot of the window already.
        let started = Instant::now();
        assert_eq!(fx.get("/v1/users").await.status(), StatusCode::OK);
        assert_eq!(fx.get("/v1/users").await.status(), StatusCode::OK);
        let limited = fx.get("/v1/users").await;
        if started.elapsed() >= Duration::from_millis(900) {
            continue; // Too slow a machine to tell windows apart.
        }
        let retry_after = limited
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(retry_after.as_deref(), retry_after_header.then_some("1"));
        error_message(limited, 429).await;
        assert_eq!(fx.sim.store().stats().rejected_rate_limited, 1);

        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(fx.get("/v1/users").await.status(), StatusCode::OK);
        // Admin endpoints are never limited.
        for _ in 0..5 {
            let stats = fx.http.get(fx.url("/_sim/stats")).send().await.unwrap();
            assert_eq!(stats.status(), StatusCode::OK);
        }
    }
}

#[tokio::test]
async fn injected_errors_do_not_perform_the_operation() {
    let fx = Fixture::start(SimConfig {
        error_rate: 1.0,
        ..SimConfig::default()
    })
    .await;
    let seeded = fx.sim.store().seed_users(1)[0];
    let statuses: HashSet<u16> = [500, 502, 503].into();
    for _ in 0..10 {
        let status = fx.create(alice()).await.status().as_u16();
        assert!(statuses.contains(&status), "{status}");
    }
    let put = fx.put(seeded, alice()).await;
    assert!(statuses.contains(&error_message_status(put).await));
    let delete = fx
        .http
        .delete(fx.url(&format!("/v1/users/{seeded}")))
        .bearer_auth(&fx.token)
        .send()
        .await
        .unwrap();
    assert!(statuses.contains(&delete.status().as_u16()));

    let users = fx.sim.store().users();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].name, "Seed User 1");
    // The token endpoint is spared.
    fetch_token(&fx.http, &fx.sim.base_url()).await;
    assert_eq!(fx.sim.store().stats().injected_errors, 12);
}

/// The status of an error response whose body is Domo's error body.
async fn error_message_status(response: reqwest::Response) -> u16 {
    let status = response.status().as_u16();
    error_message(response, status).await;
    status
}

#[tokio::test]
async fn a_new_user_is_not_readable_by_id_at_once() {
    let fx = Fixture::start(SimConfig {
        read_after_create_404: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await;
    let id = json_of(fx.create(alice()).await, 201).await["id"]
        .as_u64()
        .unwrap();
    error_message(fx.get(&format!("/v1/users/{id}")).await, 404).await;
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        json_of(fx.get(&format!("/v1/users/{id}")).await, 200).await["id"],
        id
    );
}

#[tokio::test]
async fn a_dropped_connection_after_create_is_a_transport_error() {
    let fx = Fixture::start(SimConfig {
        drop_connection_after_create: 1,
        ..SimConfig::default()
    })
    .await;
    let outcome = fx
        .http
        .post(fx.url("/v1/users?sendInvite=false"))
        .bearer_auth(&fx.token)
        .json(&alice())
        .send()
        .await;
    let error = outcome.expect_err("no HTTP answer at all");
    assert!(error.status().is_none(), "{error:?}");
    let users = fx.sim.store().users();
    assert_eq!(users.len(), 1, "the user was created anyway");
    assert_eq!(users[0].email, "alice@example.com");
    assert_eq!(fx.sim.store().config().drop_connection_after_create, 0);

    // Only the next N creates are cut; the server is still fine.
    let bob = json!({"name": "Bob", "email": "bob@example.com", "role": "Admin"});
    assert_eq!(fx.create(bob).await.status(), StatusCode::CREATED);

    // Not a single byte of a response comes back.
    let mut config = fx.sim.store().config();
    config.drop_connection_after_create = 1;
    fx.sim.store().set_config(config);
    let body = r#"{"name":"Cy","email":"cy@example.com","role":"Admin"}"#;
    let request = format!(
        "POST /v1/users HTTP/1.1\r\nHost: sim\r\nAuthorization: bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        fx.token,
        body.len()
    );
    let mut socket = tokio::net::TcpStream::connect(fx.sim.addr()).await.unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer).await;
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    assert_eq!(fx.sim.store().users().len(), 3);
}

#[tokio::test]
async fn latency_delays_api_requests_only() {
    let fx = Fixture::start(SimConfig::default()).await;
    fx.sim.store().set_config(SimConfig {
        latency: Duration::from_millis(200),
        ..SimConfig::default()
    });
    let started = Instant::now();
    assert_eq!(fx.get("/v1/users").await.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(200));
    let started = Instant::now();
    fx.http.get(fx.url("/_sim/stats")).send().await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(200));
}

#[tokio::test]
async fn admin_endpoints_seed_edit_delete_and_report() {
    let fx = Fixture::start(SimConfig::default()).await;
    let admin = |path: &str| fx.url(&format!("/_sim{path}"));

    let ids: Vec<u64> = json_of(
        fx.http.post(admin("/seed?count=3")).send().await.unwrap(),
        200,
    )
    .await
    .as_array()
    .unwrap()
    .iter()
    .map(|id| id.as_u64().unwrap())
    .collect();
    assert_eq!(ids.len(), 3);

    let patched = json_of(
        fx.http
            .patch(admin(&format!("/users/{}", ids[0])))
            .json(&json!({"name": "Renamed", "timezone": "UTC", "title": null}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(patched["name"], "Renamed");
    assert_eq!(patched["timezone"], "UTC");
    let bad_field = fx
        .http
        .patch(admin(&format!("/users/{}", ids[0])))
        .json(&json!({"nope": 1}))
        .send()
        .await
        .unwrap();
    error_message(bad_field, 400).await;

    let deleted = fx
        .http
        .delete(admin(&format!("/users/{}", ids[1])))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    let users = json_of(fx.http.get(admin("/users")).send().await.unwrap(), 200).await;
    let users = users.as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0]["name"], "Renamed");
    assert_eq!(users[0]["timezone"], "UTC");
    assert_eq!(users[1]["email"], "seed-3@example.com");

    // Only the token request counted; admin requests are not API requests.
    let stats = json_of(fx.http.get(admin("/stats")).send().await.unwrap(), 200).await;
    assert_eq!(stats["token_requests"], 1);
    assert_eq!(stats["total_api_requests"], 1);
    let reset = fx.http.post(admin("/stats/reset")).send().await.unwrap();
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    assert_eq!(fx.sim.store().stats(), SimStats::default());
}

#[tokio::test]
async fn stats_count_each_operation() {
    let fx = Fixture::start(SimConfig::default()).await;
    fx.sim.store().reset_stats();
    let id = json_of(fx.create(alice()).await, 201).await["id"]
        .as_u64()
        .unwrap();
    fx.create(alice()).await; // duplicate: still a create request
    fx.get("/v1/users").await;
    fx.get(&format!("/v1/users/{id}")).await;
    fx.put(id, alice()).await;
    fx.http
        .delete(fx.url(&format!("/v1/users/{id}")))
        .bearer_auth(&fx.token)
        .send()
        .await
        .unwrap();
    fx.get("/v1/nowhere").await;
    let stats = fx.sim.store().stats();
    assert_eq!(
        stats,
        SimStats {
            token_requests: 0,
            list_requests: 1,
            get_requests: 1,
            create_requests: 2,
            update_requests: 1,
            delete_requests: 1,
            rejected_rate_limited: 0,
            injected_errors: 0,
            total_api_requests: 7,
        }
    );
}

#[tokio::test]
async fn store_handle_edits_behind_the_apis_back() {
    let fx = Fixture::start(SimConfig::default()).await;
    let store = fx.sim.store();
    let id = store.insert_user(SimUser {
        name: "Dora".into(),
        email: "dora@example.com".into(),
        role: "Admin".into(),
        ..SimUser::default()
    });
    let inserted = store.user(id).unwrap();
    assert!(id > 0 && !inserted.created_at.is_empty());
    assert_eq!(inserted.created_at, inserted.updated_at);

    assert!(store.edit_user(id, |u| u.title = Some("Boss".into())));
    let edited = json_of(fx.get(&format!("/v1/users/{id}")).await, 200).await;
    assert_eq!(edited["title"], "Boss");
    assert_ne!(edited["updatedAt"], edited["createdAt"]);
    assert!(!store.edit_user(1, |_| {}));

    assert!(store.mark_deleted(id));
    assert!(!store.mark_deleted(id));
    assert_eq!(
        json_of(fx.get(&format!("/v1/users/{id}")).await, 200).await["deleted"],
        true
    );
    assert!(store.purge(id));
    error_message(fx.get(&format!("/v1/users/{id}")).await, 404).await;

    // Explicit ids are kept, and later ids come after them.
    let explicit = store.insert_user(SimUser {
        id: 5_000_000,
        ..SimUser::default()
    });
    assert_eq!(explicit, 5_000_000);
    assert_eq!(store.seed_users(1)[0], 5_000_001);
}

#[tokio::test]
async fn shutdown_stops_serving_even_with_idle_keep_alive_connections() {
    let fx = Fixture::start(SimConfig::default()).await;
    assert_eq!(fx.get("/v1/users").await.status(), StatusCode::OK);
    let addr = fx.sim.addr();
    let started = Instant::now();
    fx.sim.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[test]
fn timestamps_are_iso8601_utc_with_milliseconds() {
    assert_eq!(format_iso8601_millis(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(
        format_iso8601_millis(1_795_810_500_123),
        "2026-11-27T20:15:00.123Z"
    );
    assert_eq!(
        format_iso8601_millis(1_709_251_199_999),
        "2024-02-29T23:59:59.999Z"
    );
}

#[tokio::test]
async fn an_outage_refuses_connections_closes_open_ones_then_ends() {
    let fx = Fixture::start(SimConfig::default()).await;
    let addr = fx.sim.addr();
    // An idle keep-alive connection, opened before the outage.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /v1/users HTTP/1.1\r\nHost: sim\r\nAuthorization: bearer {}\r\n\r\n",
        fx.token
    );
    idle.write_all(request.as_bytes()).await.unwrap();
    let mut answer = [0u8; 12];
    idle.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    let mut rest = vec![0u8; 4096];
    let _ = idle.read(&mut rest).await.unwrap();

    let started = Instant::now();
    let closed = fx
        .sim
        .store()
        .refuse_connections_for(Duration::from_millis(800));
    assert!(closed >= 1, "the idle connection was open");
    // The idle connection is closed at once, without an answer.
    let mut after = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(2), idle.read_to_end(&mut after)).await;
    assert!(read.is_ok(), "closed promptly");
    assert!(after.is_empty(), "{}", String::from_utf8_lossy(&after));
    // New connections are refused by the kernel: nothing listens.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let refused = tokio::net::TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    let error = fx.http.get(fx.url("/v1/users")).send().await.unwrap_err();
    assert!(error.is_connect(), "{error:?}");

    // Once it ends, the same port answers again.
    let mut status = None;
    while started.elapsed() < Duration::from_secs(5) {
        if let Ok(response) = fx.http.get(fx.url("/_sim/stats")).send().await {
            status = Some(response.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, Some(StatusCode::OK));
    assert!(started.elapsed() >= Duration::from_millis(800));
    assert_eq!(fx.get("/v1/users").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn response_latency_delays_the_answer_not_the_work() {
    let fx = Fixture::start(SimConfig::default()).await;
    fx.sim.store().set_config(SimConfig {
        response_latency: Duration::from_millis(300),
        ..SimConfig::default()
    });
    let started = Instant::now();
    let create = fx.create(alice());
    let watch = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        fx.sim.store().users().len()
    };
    let (response, stored_early) = tokio::join!(create, watch);
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(stored_early, 1, "stored before the answer left");
    assert!(started.elapsed() >= Duration::from_millis(300));
}
