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

    /// A request without a body.
    async fn call(&self, method: reqwest::Method, path: &str) -> reqwest::Response {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request answers")
    }

    async fn put_group(&self, id: u64, body: Value) -> reqwest::Response {
        self.send(reqwest::Method::PUT, &format!("/v1/groups/{id}"), body)
            .await
    }

    async fn create_group(&self, body: Value) -> reqwest::Response {
        self.send(reqwest::Method::POST, "/v1/groups", body).await
    }

    /// Creates a group named `name`, returns its id.
    async fn new_group(&self, name: &str) -> u64 {
        json_of(self.create_group(json!({ "name": name })).await, 201).await["id"]
            .as_u64()
            .expect("group id")
    }

    async fn add_member(&self, group: u64, user: u64) -> reqwest::Response {
        self.call(
            reqwest::Method::PUT,
            &format!("/v1/groups/{group}/users/{user}"),
        )
        .await
    }

    async fn remove_member(&self, group: u64, user: u64) -> reqwest::Response {
        self.call(
            reqwest::Method::DELETE,
            &format!("/v1/groups/{group}/users/{user}"),
        )
        .await
    }

    /// Member ids of `group` at `limit` / `offset`.
    async fn members(&self, group: u64, query: &str) -> Vec<u64> {
        let page = json_of(
            self.get(&format!("/v1/groups/{group}/users?{query}")).await,
            200,
        )
        .await;
        ids_of(&page)
    }
}

/// The ids of a JSON array of ids or of objects with an `id`.
fn ids_of(array: &Value) -> Vec<u64> {
    array
        .as_array()
        .expect("a bare array")
        .iter()
        .map(|item| item.as_u64().or_else(|| item["id"].as_u64()).expect("id"))
        .collect()
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
            "employeeNumber": 7, "sendInvite": true, "timezone": "America/Denver",
        }))
        .await,
        201,
    )
    .await;
    assert_eq!(body["email"], "Alice@Example.com", "stored as given");
    assert_eq!(body["employeeNumber"], 7);
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
    for number in [json!("E-7"), json!(""), json!("42"), json!(-3), json!(1.5)] {
        let body = json!({"name": "B", "email": "b@example.com", "role": "Admin",
                          "employeeNumber": number});
        let message = error_message(fx.create(body).await, 400).await;
        assert!(
            message.contains("employeeNumber must be an integer"),
            "{message}"
        );
    }
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
                "title": "", "phone": null, "employeeNumber": 42, "locale": "fr-FR",
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
    assert_eq!(updated["employeeNumber"], 42);
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
async fn employee_numbers_are_integers_unless_strings_are_allowed() {
    let fx = Fixture::start(SimConfig::default()).await;
    let mut body = alice();
    body["employeeNumber"] = json!(1815);
    let id = json_of(fx.create(body.clone()).await, 201).await["id"]
        .as_u64()
        .unwrap();
    // An update without the field leaves it; null clears it; "" is refused.
    let kept = json_of(fx.put(id, alice()).await, 200).await;
    assert_eq!(kept["employeeNumber"], 1815);
    body["employeeNumber"] = json!("");
    error_message(fx.put(id, body.clone()).await, 400).await;
    body["employeeNumber"] = Value::Null;
    let cleared = json_of(fx.put(id, body.clone()).await, 200).await;
    assert!(cleared.get("employeeNumber").is_none(), "{cleared}");

    fx.sim.store().set_config(SimConfig {
        string_employee_numbers: true,
        ..SimConfig::default()
    });
    body["employeeNumber"] = json!("E-7");
    let lenient = json_of(fx.put(id, body.clone()).await, 200).await;
    assert_eq!(lenient["employeeNumber"], "E-7");
    body["employeeNumber"] = json!("");
    let cleared = json_of(fx.put(id, body).await, 200).await;
    assert!(cleared.get("employeeNumber").is_none(), "{cleared}");
}

#[tokio::test]
async fn a_user_who_owns_content_cannot_be_deleted_until_it_is_transferred() {
    let fx = Fixture::start(SimConfig::default()).await;
    let id = json_of(fx.create(alice()).await, 201).await["id"]
        .as_u64()
        .unwrap();
    let admin_patch = |owns: bool| {
        fx.http
            .patch(fx.url(&format!("/_sim/users/{id}")))
            .json(&json!({"owns_content": owns}))
            .send()
    };
    json_of(admin_patch(true).await.unwrap(), 200).await;
    let delete = || {
        fx.http
            .delete(fx.url(&format!("/v1/users/{id}")))
            .bearer_auth(&fx.token)
            .send()
    };
    let message = error_message(delete().await.unwrap(), 400).await;
    assert!(message.contains("Transfer ownership"), "{message}");
    assert!(!fx.sim.store().user(id).unwrap().deleted);
    json_of(admin_patch(false).await.unwrap(), 200).await;
    assert_eq!(delete().await.unwrap().status(), StatusCode::NO_CONTENT);
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
            total_api_requests: 7,
            ..SimStats::default()
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
async fn every_nth_create_is_refused_without_creating() {
    let fx = Fixture::start(SimConfig {
        fail_every_nth_create: 3,
        ..SimConfig::default()
    })
    .await;
    let mut statuses = Vec::new();
    for i in 1..=7 {
        let body = json!({"name": format!("U{i}"), "email": format!("u{i}@example.com"), "role": "Participant"});
        statuses.push(fx.create(body).await.status().as_u16());
    }
    assert_eq!(statuses, [201, 201, 400, 201, 201, 400, 201]);
    let emails: HashSet<String> = fx
        .sim
        .store()
        .users()
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(emails.len(), 5);
    assert!(!emails.contains("u3@example.com") && !emails.contains("u6@example.com"));
}

// ---- Roles ----

fn with_role(email: &str, role: Value) -> Value {
    let mut body = json!({"name": "R", "email": email});
    for (key, value) in role.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

#[tokio::test]
async fn a_lenient_domo_takes_the_five_default_roles_by_name_or_by_id() {
    let fx = Fixture::start(SimConfig {
        accept_all_role_names: true,
        create_honours_role_id: true,
        ..SimConfig::default()
    })
    .await;
    let names = ["Admin", "Privileged", "Editor", "Participant", "Social"];
    for (index, name) in names.iter().enumerate() {
        let by_name = with_role(&format!("n{index}@example.com"), json!({"role": name}));
        let created = json_of(fx.create(by_name).await, 201).await;
        assert_eq!(created["role"], *name);
        assert!(created.get("roleId").is_none(), "not returned by default");
        let id = created["id"].as_u64().unwrap();
        assert_eq!(
            fx.sim.store().user(id).unwrap().role_id,
            Some(index as u64 + 1)
        );

        let role_id = index as u64 + 1;
        let by_id = with_role(&format!("i{index}@example.com"), json!({"roleId": role_id}));
        assert_eq!(json_of(fx.create(by_id).await, 201).await["role"], *name);
    }
    // Both, agreeing; a numeric string is taken too.
    let both = with_role("both@example.com", json!({"role": "Editor", "roleId": "3"}));
    assert_eq!(json_of(fx.create(both).await, 201).await["role"], "Editor");

    let refusals = [
        (json!({"role": "Admin", "roleId": 3}), "different roles"),
        (json!({"roleId": 999}), "no such role"),
        (json!({"roleId": true}), "roleId"),
        (json!({"roleId": -1}), "roleId"),
        (json!({"role": "editor"}), "must be one of"),
        (json!({}), "role is required"),
        (json!({"role": ""}), "role is required"),
    ];
    for (role, expected) in refusals {
        let message = error_message(fx.create(with_role("x@example.com", role)).await, 400).await;
        assert!(message.contains(expected), "{message}");
    }

    // An update takes a role by id as well.
    let id = fx.sim.store().users()[0].id;
    let update = with_role("n0@example.com", json!({"roleId": 2}));
    assert_eq!(
        json_of(fx.put(id, update).await, 200).await["role"],
        "Privileged"
    );
    assert_eq!(fx.sim.store().user(id).unwrap().role_id, Some(2));
    let neither = json!({"name": "R", "email": "n0@example.com"});
    error_message(fx.put(id, neither).await, 400).await;
}

#[tokio::test]
async fn a_strict_domo_takes_three_names_and_ignores_role_id_on_create() {
    let fx = Fixture::start(SimConfig::default()).await;
    for name in ["Admin", "Privileged", "Participant"] {
        let body = with_role(&format!("{name}@example.com"), json!({"role": name}));
        assert_eq!(json_of(fx.create(body).await, 201).await["role"], name);
    }
    for name in ["Editor", "Social"] {
        let body = with_role("x@example.com", json!({"role": name}));
        let message = error_message(fx.create(body).await, 400).await;
        assert!(message.contains("Invalid role"), "{message}");
        // ... in an update too, where roleId does the job.
        let id = fx.sim.store().users()[0].id;
        let email = fx.sim.store().users()[0].email.clone();
        error_message(
            fx.put(id, with_role(&email, json!({"role": name}))).await,
            400,
        )
        .await;
    }
    // roleId is ignored on create: with a name, the name wins; alone, no role.
    let both = with_role("p@example.com", json!({"role": "Participant", "roleId": 3}));
    let created = json_of(fx.create(both).await, 201).await;
    assert_eq!(created["role"], "Participant");
    let alone = with_role("q@example.com", json!({"roleId": 3}));
    error_message(fx.create(alone).await, 400).await;
    // An update takes it.
    let id = created["id"].as_u64().unwrap();
    let editor = with_role("p@example.com", json!({"roleId": 3}));
    assert_eq!(
        json_of(fx.put(id, editor).await, 200).await["role"],
        "Editor"
    );
}

#[tokio::test]
async fn custom_roles_go_by_id_and_read_as_their_name() {
    let fx = Fixture::start(SimConfig {
        create_honours_role_id: true,
        ..SimConfig::default()
    })
    .await;
    let store = fx.sim.store();
    let auditor = with_role("aud@example.com", json!({"roleId": 101}));
    error_message(fx.create(auditor.clone()).await, 400).await;

    store.define_role(101, "Auditor").unwrap();
    let created = json_of(fx.create(auditor).await, 201).await;
    assert_eq!(created["role"], "Auditor");
    let id = created["id"].as_u64().unwrap();
    // The custom role's name is not a valid `role` value.
    let by_name = with_role("aud2@example.com", json!({"role": "Auditor"}));
    let message = error_message(fx.create(by_name).await, 400).await;
    assert!(message.contains("roleId"), "{message}");
    let mismatched = with_role("aud3@example.com", json!({"role": "Admin", "roleId": 101}));
    error_message(fx.create(mismatched).await, 400).await;

    // roleId is read only when the switch says Domo sends it.
    let read = json_of(fx.get(&format!("/v1/users/{id}")).await, 200).await;
    assert_eq!(read["role"], "Auditor");
    assert!(read.get("roleId").is_none());
    store.set_config(SimConfig {
        return_role_id: true,
        ..SimConfig::default()
    });
    let read = json_of(fx.get(&format!("/v1/users/{id}")).await, 200).await;
    assert_eq!(read["roleId"], 101);
    let listed = json_of(fx.get("/v1/users").await, 200).await;
    assert_eq!(listed[0]["roleId"], 101);
    store.set_config(SimConfig {
        return_role_id: true,
        role_id_as_string: true,
        ..SimConfig::default()
    });
    let read = json_of(fx.get(&format!("/v1/users/{id}")).await, 200).await;
    assert_eq!(read["roleId"], "101");

    // Taken ids and names are refused; the defaults cannot be redefined.
    assert!(store.define_role(101, "Other").is_err());
    assert!(store.define_role(102, "auditor").is_err());
    assert!(store.define_role(3, "Writer").is_err());
    assert!(store.define_role(0, "Zero").is_err());
    assert!(store.define_role(103, " ").is_err());
    assert_eq!(store.roles().len(), 6);

    // Behind the API's back, by id; name and id stay in step.
    assert!(store.set_user_role(id, 5));
    assert_eq!(store.user(id).unwrap().role, "Social");
    assert!(!store.set_user_role(id, 999));
    assert!(!store.set_user_role(42, 1));
    assert!(store.edit_user(id, |user| user.role = "Editor".into()));
    assert_eq!(store.user(id).unwrap().role_id, Some(3));
}

#[tokio::test]
async fn admin_endpoints_define_roles_and_set_them() {
    let fx = Fixture::start(SimConfig::default()).await;
    let admin = |path: &str| fx.url(&format!("/_sim{path}"));
    let define = |body: Value| fx.http.post(admin("/roles")).json(&body).send();
    assert_eq!(
        define(json!({"id": 101, "name": "Auditor"}))
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    let message = error_message(
        define(json!({"id": 102, "name": "ADMIN"})).await.unwrap(),
        400,
    )
    .await;
    assert!(message.contains("taken"), "{message}");
    error_message(define(json!({"id": 101})).await.unwrap(), 400).await;
    let roles = json_of(fx.http.get(admin("/roles")).send().await.unwrap(), 200).await;
    assert_eq!(roles.as_array().unwrap().len(), 6);
    assert_eq!(roles[5], json!({"id": 101, "name": "Auditor"}));

    let id = fx.sim.store().seed_users(1)[0];
    let patch = |body: Value| {
        fx.http
            .patch(admin(&format!("/users/{id}")))
            .json(&body)
            .send()
    };
    let patched = json_of(patch(json!({"role_id": 101})).await.unwrap(), 200).await;
    assert_eq!(patched["role"], "Auditor");
    let patched = json_of(patch(json!({"role": "Admin"})).await.unwrap(), 200).await;
    assert_eq!(patched["role_id"], 1);
    error_message(patch(json!({"role_id": 999})).await.unwrap(), 400).await;
}

// ---- Groups ----

#[tokio::test]
async fn group_reads_follow_the_docs_sample_unless_switched() {
    let fx = Fixture::start(SimConfig::default()).await;
    let created = json_of(fx.create_group(json!({"name": "Sales"})).await, 201).await;
    let id = created["id"].as_u64().unwrap();
    assert_eq!(
        created,
        json!({"id": id, "name": "Sales", "active": true, "creatorId": "1",
               "default": false, "memberCount": 0}),
        "the create answer has default; creatorId is text"
    );
    let read = json_of(fx.get(&format!("/v1/groups/{id}")).await, 200).await;
    assert_eq!(
        read,
        json!({"id": id, "name": "Sales", "active": true, "creatorId": "1", "memberCount": 0})
    );
    let listed = json_of(fx.get("/v1/groups").await, 200).await;
    assert!(listed[0].get("default").is_none(), "{listed}");
}

#[tokio::test]
async fn group_create_get_update_delete() {
    let fx = Fixture::start(SimConfig {
        group_default_in_reads: true,
        creator_id_as_number: true,
        ..SimConfig::default()
    })
    .await;
    let created = json_of(fx.create_group(json!({"name": "Sales"})).await, 201).await;
    let id = created["id"].as_u64().unwrap();
    assert!(id > 1_000_000_000, "far from user ids");
    assert_eq!(
        created,
        json!({"id": id, "name": "Sales", "active": true, "creatorId": 1,
               "default": false, "memberCount": 0})
    );
    assert_eq!(
        json_of(fx.get(&format!("/v1/groups/{id}")).await, 200).await,
        created
    );
    let flagged = json_of(
        fx.create_group(json!({"name": "Everyone", "default": true, "active": false}))
            .await,
        201,
    )
    .await;
    assert_eq!(flagged["default"], true);
    assert_eq!(
        flagged["active"], true,
        "create takes name and default only"
    );

    // PUT changes what it is given and leaves the rest.
    let path = format!("/v1/groups/{id}");
    let put = |body: Value| fx.send(reqwest::Method::PUT, &path, body);
    let renamed = json_of(put(json!({"name": "Sales EMEA"})).await, 200).await;
    assert_eq!(renamed["name"], "Sales EMEA");
    assert_eq!(renamed["active"], true);
    let flags = json_of(
        put(json!({"active": false, "default": true, "name": null})).await,
        200,
    )
    .await;
    assert_eq!(
        (&flags["name"], &flags["active"], &flags["default"]),
        (&json!("Sales EMEA"), &json!(false), &json!(true))
    );
    let stored = fx.sim.store().group(id).unwrap();
    assert!(!stored.active && stored.default);
    fx.sim.store().set_config(SimConfig {
        put_returns_body: false,
        ..SimConfig::default()
    });
    let response = put(json!({"name": "Quiet"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.unwrap().is_empty());
    assert_eq!(fx.sim.store().group(id).unwrap().name, "Quiet");

    // Validation and unknown groups.
    for body in [json!({}), json!({"name": " "}), json!({"name": 7})] {
        error_message(fx.create_group(body).await, 400).await;
    }
    error_message(
        fx.create_group(json!({"name": "X", "default": "yes"}))
            .await,
        400,
    )
    .await;
    error_message(put(json!({"name": ""})).await, 400).await;
    error_message(put(json!({"active": 1})).await, 400).await;
    error_message(put(json!([1])).await, 400).await;
    let missing = fx
        .send(reqwest::Method::PUT, "/v1/groups/42", json!({"name": "N"}))
        .await;
    error_message(missing, 404).await;
    error_message(fx.get("/v1/groups/42").await, 404).await;
    error_message(fx.get("/v1/groups/abc").await, 400).await;

    // An empty group is deleted at once; then it is gone.
    let delete = || fx.call(reqwest::Method::DELETE, &path);
    assert_eq!(delete().await.status(), StatusCode::NO_CONTENT);
    error_message(delete().await, 404).await;
    error_message(fx.get(&path).await, 404).await;
}

#[tokio::test]
async fn group_names_are_unique_ignoring_case_unless_switched_off() {
    for status in [409, 400] {
        let fx = Fixture::start(SimConfig {
            duplicate_group_name_status: Some(status),
            ..SimConfig::default()
        })
        .await;
        let sales = fx.new_group("Sales").await;
        let message =
            error_message(fx.create_group(json!({"name": " sales "})).await, status).await;
        assert!(message.contains("already exists"), "{message}");
        let other = fx.new_group("Marketing").await;
        error_message(fx.put_group(other, json!({"name": "SALES"})).await, status).await;
        // A group may take its own name in another case.
        assert_eq!(
            fx.put_group(sales, json!({"name": "SALES"})).await.status(),
            StatusCode::OK
        );
        assert_eq!(fx.sim.store().groups().len(), 2);
    }
    let fx = Fixture::start(SimConfig {
        duplicate_group_name_status: None,
        ..SimConfig::default()
    })
    .await;
    let first = fx.new_group("Twins").await;
    let second = fx.new_group("Twins").await;
    assert_ne!(first, second);
}

#[tokio::test]
async fn members_are_added_listed_and_removed() {
    let fx = Fixture::start(SimConfig::default()).await;
    let users = fx.sim.store().seed_users(3);
    let group = fx.new_group("Sales").await;
    for &user in users.iter().rev() {
        assert_eq!(
            fx.add_member(group, user).await.status(),
            StatusCode::NO_CONTENT
        );
    }
    assert_eq!(fx.members(group, "").await, users, "ascending ids");
    let read = json_of(fx.get(&format!("/v1/groups/{group}")).await, 200).await;
    assert_eq!(read["memberCount"], 3);
    assert!(read.get("userIds").is_none());
    let user = json_of(fx.get(&format!("/v1/users/{}", users[0])).await, 200).await;
    assert_eq!(user["groups"], json!([{"id": group, "name": "Sales"}]));
    let listed = json_of(fx.get("/v1/users").await, 200).await;
    assert_eq!(listed[1]["groups"], json!([{"id": group, "name": "Sales"}]));

    // Default: re-adding and removing a non-member are errors.
    let message = error_message(fx.add_member(group, users[0]).await, 400).await;
    assert!(message.contains("already a member"), "{message}");
    assert_eq!(
        fx.remove_member(group, users[0]).await.status(),
        StatusCode::NO_CONTENT
    );
    let message = error_message(fx.remove_member(group, users[0]).await, 404).await;
    assert!(message.contains("not a member"), "{message}");
    assert_eq!(fx.members(group, "").await, users[1..].to_vec());

    // Unknown groups and users, deleted users.
    error_message(fx.add_member(42, users[0]).await, 404).await;
    error_message(fx.remove_member(42, users[0]).await, 404).await;
    error_message(fx.get("/v1/groups/42/users").await, 404).await;
    error_message(fx.add_member(group, 42).await, 404).await;
    fx.sim.store().mark_deleted(users[0]);
    error_message(fx.add_member(group, users[0]).await, 404).await;
    error_message(fx.add_member(group, 0).await, 404).await;
    error_message(
        fx.call(reqwest::Method::PUT, &format!("/v1/groups/{group}/users/x"))
            .await,
        400,
    )
    .await;
}

#[tokio::test]
async fn redundant_member_changes_follow_the_switches() {
    let cases = [(Some(409), Some(400), 409, 400), (None, None, 204, 204)];
    for (already, not_member, add_status, remove_status) in cases {
        let fx = Fixture::start(SimConfig {
            already_member_status: already,
            not_member_status: not_member,
            ..SimConfig::default()
        })
        .await;
        let user = fx.sim.store().seed_users(1)[0];
        let group = fx.new_group("G").await;
        assert_eq!(
            fx.add_member(group, user).await.status(),
            StatusCode::NO_CONTENT
        );
        let again = fx.add_member(group, user).await;
        assert_eq!(again.status().as_u16(), add_status);
        if add_status != 204 {
            error_message(again, add_status).await;
        }
        assert_eq!(fx.members(group, "").await, vec![user], "still once");
        assert_eq!(
            fx.remove_member(group, user).await.status(),
            StatusCode::NO_CONTENT
        );
        let again = fx.remove_member(group, user).await;
        assert_eq!(again.status().as_u16(), remove_status);
        if remove_status != 204 {
            error_message(again, remove_status).await;
        }
        assert!(fx.members(group, "").await.is_empty());
        // An unknown group stays an error whatever the switches.
        error_message(fx.remove_member(42, user).await, 404).await;
    }
}

#[tokio::test]
async fn a_group_with_members_is_deleted_only_when_switched_on() {
    let fx = Fixture::start(SimConfig::default()).await;
    let users = fx.sim.store().seed_users(2);
    let group = fx.new_group("Busy").await;
    for &user in &users {
        fx.add_member(group, user).await;
    }
    let path = format!("/v1/groups/{group}");
    let message = error_message(fx.call(reqwest::Method::DELETE, &path).await, 400).await;
    assert!(message.contains("2 members"), "{message}");
    assert!(fx.sim.store().group(group).is_some());
    for &user in &users {
        fx.remove_member(group, user).await;
    }
    assert_eq!(
        fx.call(reqwest::Method::DELETE, &path).await.status(),
        StatusCode::NO_CONTENT
    );

    fx.sim.store().set_config(SimConfig {
        delete_group_with_members: true,
        ..SimConfig::default()
    });
    let group = fx.new_group("Busy").await;
    fx.add_member(group, users[0]).await;
    let path = format!("/v1/groups/{group}");
    assert_eq!(
        fx.call(reqwest::Method::DELETE, &path).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(fx.sim.store().groups().is_empty());
    let user = json_of(fx.get(&format!("/v1/users/{}", users[0])).await, 200).await;
    assert_eq!(user["groups"], json!([]));
}

#[tokio::test]
async fn group_listings_page_and_serve_at_most_the_largest_page() {
    let fx = Fixture::start(SimConfig::default()).await;
    let store = fx.sim.store();
    let group = store.seed_groups(1, 1234)[0];
    let members = store.group(group).unwrap().members;
    assert_eq!(members.len(), 1234);
    assert_eq!(fx.members(group, "").await.len(), 50, "default limit");
    let mut listed = Vec::new();
    for offset in [0, 500, 1000, 1234] {
        listed.extend(
            fx.members(group, &format!("limit=500&offset={offset}"))
                .await,
        );
    }
    assert_eq!(listed, members.iter().copied().collect::<Vec<_>>());
    for query in ["limit=0", "limit=abc", "offset=-1"] {
        error_message(
            fx.get(&format!("/v1/groups/{group}/users?{query}")).await,
            400,
        )
        .await;
        error_message(fx.get(&format!("/v1/groups?{query}")).await, 400).await;
    }

    // Smaller largest pages: more is asked, fewer is served, silently.
    store.set_config(SimConfig {
        max_group_member_page_size: 100,
        max_group_page_size: 3,
        ..SimConfig::default()
    });
    assert_eq!(fx.members(group, "limit=500").await.len(), 100);
    assert_eq!(fx.members(group, "limit=500&offset=1200").await.len(), 34);
    store.seed_groups(6, 0);
    let page = json_of(fx.get("/v1/groups?limit=500").await, 200).await;
    assert_eq!(ids_of(&page).len(), 3);
    assert_eq!(page[0]["memberCount"], 1234);
    let last = json_of(fx.get("/v1/groups?limit=500&offset=6").await, 200).await;
    assert_eq!(ids_of(&last).len(), 1);
    let beyond = json_of(fx.get("/v1/groups?limit=500&offset=7").await, 200).await;
    assert_eq!(beyond, json!([]));
}

#[tokio::test]
async fn deleted_and_purged_users_leave_every_group() {
    let fx = Fixture::start(SimConfig::default()).await;
    let store = fx.sim.store();
    let users = store.seed_users(5);
    let groups = store.seed_groups(2, 5);
    let user_path = |id: u64| format!("/v1/users/{id}");
    // Deleted through the API, in Domo's UI, purged, and by an edit.
    assert_eq!(
        fx.call(reqwest::Method::DELETE, &user_path(users[0]))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    store.mark_deleted(users[1]);
    store.purge(users[2]);
    store.edit_user(users[3], |user| user.deleted = true);
    for &group in &groups {
        assert_eq!(fx.members(group, "").await, vec![users[4]]);
        let read = json_of(fx.get(&format!("/v1/groups/{group}")).await, 200).await;
        assert_eq!(read["memberCount"], 1);
    }
    assert!(store.group_ids_of(users[0]).is_empty());
    let deleted = json_of(fx.get(&user_path(users[0])).await, 200).await;
    assert!(deleted.get("groups").is_none(), "the deleted subset");
    let deleted_again = SimUser {
        id: users[4],
        deleted: true,
        ..store.user(users[4]).unwrap()
    };
    store.insert_user(deleted_again);
    assert!(store.groups().iter().all(|g| g.members.is_empty()));
}

#[tokio::test]
async fn group_objects_carry_user_ids_when_switched_on() {
    let fx = Fixture::start(SimConfig {
        group_user_ids: true,
        ..SimConfig::default()
    })
    .await;
    let group = fx.sim.store().seed_groups(1, 2)[0];
    let members: Vec<u64> = fx
        .sim
        .store()
        .group(group)
        .unwrap()
        .members
        .into_iter()
        .collect();
    let read = json_of(fx.get(&format!("/v1/groups/{group}")).await, 200).await;
    assert_eq!(read["userIds"], json!(members));
    let listed = json_of(fx.get("/v1/groups").await, 200).await;
    assert_eq!(listed[0]["userIds"], json!(members));
}

#[tokio::test]
async fn new_users_join_the_active_default_groups_unless_switched_off() {
    for joins in [true, false] {
        let fx = Fixture::start(SimConfig {
            default_groups_gain_new_users: joins,
            ..SimConfig::default()
        })
        .await;
        let store = fx.sim.store();
        let everyone = store.insert_group(SimGroup {
            name: "Everyone".into(),
            default: true,
            ..SimGroup::default()
        });
        store.insert_group(SimGroup {
            name: "Retired default".into(),
            default: true,
            active: false,
            ..SimGroup::default()
        });
        store.insert_group(SimGroup {
            name: "Plain".into(),
            ..SimGroup::default()
        });
        let created = json_of(fx.create(alice()).await, 201).await;
        let expected = if joins {
            json!([{"id": everyone, "name": "Everyone"}])
        } else {
            json!([])
        };
        assert_eq!(created["groups"], expected);
        // Users added behind the API's back join nothing.
        let seeded = store.seed_users(1)[0];
        assert!(store.group_ids_of(seeded).is_empty());
    }
}

#[tokio::test]
async fn a_dropped_connection_after_group_create_is_a_transport_error() {
    let fx = Fixture::start(SimConfig {
        drop_connection_after_group_create: 1,
        ..SimConfig::default()
    })
    .await;
    let outcome = fx
        .http
        .post(fx.url("/v1/groups"))
        .bearer_auth(&fx.token)
        .json(&json!({"name": "Lost"}))
        .send()
        .await;
    assert!(outcome.expect_err("no answer").status().is_none());
    assert_eq!(fx.sim.store().groups()[0].name, "Lost", "created anyway");
    assert_eq!(
        fx.sim.store().config().drop_connection_after_group_create,
        0
    );
    assert_eq!(
        fx.create_group(json!({"name": "Found"})).await.status(),
        StatusCode::CREATED
    );
    // User creates are not affected by the group switch, nor the reverse.
    assert_eq!(fx.create(alice()).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn group_endpoints_are_behind_the_gate() {
    let fx = Fixture::start(SimConfig::default()).await;
    let group = fx.sim.store().seed_groups(1, 1)[0];
    let user = fx.sim.store().users()[0].id;
    let routes = [
        (reqwest::Method::GET, "/v1/groups".to_string()),
        (reqwest::Method::POST, "/v1/groups".to_string()),
        (reqwest::Method::GET, format!("/v1/groups/{group}")),
        (reqwest::Method::PUT, format!("/v1/groups/{group}")),
        (reqwest::Method::DELETE, format!("/v1/groups/{group}")),
        (reqwest::Method::GET, format!("/v1/groups/{group}/users")),
        (
            reqwest::Method::PUT,
            format!("/v1/groups/{group}/users/{user}"),
        ),
        (
            reqwest::Method::DELETE,
            format!("/v1/groups/{group}/users/{user}"),
        ),
    ];
    for (method, path) in &routes {
        let response = fx
            .http
            .request(method.clone(), fx.url(path))
            .send()
            .await
            .unwrap();
        error_message(response, 401).await;
    }
    // Injected errors do not perform group operations either.
    fx.sim.store().set_config(SimConfig {
        error_rate: 1.0,
        ..SimConfig::default()
    });
    for (method, path) in &routes {
        let response = fx
            .send(method.clone(), path, json!({"name": "Changed"}))
            .await;
        assert!(response.status().is_server_error(), "{method} {path}");
    }
    let stored = fx.sim.store().group(group).unwrap();
    assert_eq!(
        (stored.name.as_str(), stored.members.len()),
        ("Seed Group 1", 1)
    );
    assert_eq!(fx.sim.store().groups().len(), 1);
    assert_eq!(fx.sim.store().stats().injected_errors, 8);
}

#[tokio::test]
async fn stats_count_each_group_operation() {
    let fx = Fixture::start(SimConfig::default()).await;
    let user = fx.sim.store().seed_users(1)[0];
    fx.sim.store().reset_stats();
    let group = fx.new_group("Counted").await;
    fx.create_group(json!({"name": "Counted"})).await; // duplicate: still a create
    fx.get("/v1/groups").await;
    fx.get(&format!("/v1/groups/{group}")).await;
    fx.send(
        reqwest::Method::PUT,
        &format!("/v1/groups/{group}"),
        json!({"name": "C"}),
    )
    .await;
    fx.add_member(group, user).await;
    fx.members(group, "").await;
    fx.remove_member(group, user).await;
    fx.remove_member(group, user).await; // not a member: still counted
    fx.call(reqwest::Method::DELETE, &format!("/v1/groups/{group}"))
        .await;
    fx.get(&format!("/v1/groups/{group}/nowhere")).await;
    assert_eq!(
        fx.sim.store().stats(),
        SimStats {
            group_create_requests: 2,
            group_list_requests: 1,
            group_get_requests: 1,
            group_update_requests: 1,
            group_member_add_requests: 1,
            group_member_list_requests: 1,
            group_member_remove_requests: 2,
            group_delete_requests: 1,
            total_api_requests: 11,
            ..SimStats::default()
        }
    );
}

#[tokio::test]
async fn admin_endpoints_look_at_and_change_groups() {
    let fx = Fixture::start(SimConfig::default()).await;
    let admin = |path: &str| fx.url(&format!("/_sim{path}"));
    let users = fx.sim.store().seed_users(3);

    let created = json_of(
        fx.http
            .post(admin("/groups"))
            .json(&json!({"name": "Ops", "members": [users[0], users[1]]}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let group = created["id"].as_u64().unwrap();
    assert_eq!(created["members"], json!([users[0], users[1]]));
    assert_eq!(created["active"], true);
    let bad = fx
        .http
        .post(admin("/groups"))
        .json(&json!({"name": "X", "members": [42]}))
        .send()
        .await
        .unwrap();
    error_message(bad, 400).await;
    // Names need not be unique behind the API's back.
    let twin = fx
        .http
        .post(admin("/groups"))
        .json(&json!({"name": "ops"}))
        .send()
        .await
        .unwrap();
    assert_eq!(twin.status(), StatusCode::OK);

    let renamed = json_of(
        fx.http
            .patch(admin(&format!("/groups/{group}")))
            .json(&json!({"name": "Operations", "default": true}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        (renamed["name"].as_str(), renamed["default"].as_bool()),
        (Some("Operations"), Some(true))
    );
    let bad_field = fx
        .http
        .patch(admin(&format!("/groups/{group}")))
        .json(&json!({"id": 1}))
        .send()
        .await
        .unwrap();
    error_message(bad_field, 400).await;

    let member = |method: reqwest::Method, user: u64| {
        fx.http
            .request(method, admin(&format!("/groups/{group}/users/{user}")))
            .send()
    };
    assert_eq!(
        member(reqwest::Method::PUT, users[2])
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    error_message(member(reqwest::Method::PUT, users[2]).await.unwrap(), 404).await;
    assert_eq!(
        member(reqwest::Method::DELETE, users[0])
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    error_message(
        member(reqwest::Method::DELETE, users[0]).await.unwrap(),
        404,
    )
    .await;

    let seeded = json_of(
        fx.http
            .post(admin("/seed_groups?count=2&members=5"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(ids_of(&seeded).len(), 2);
    assert_eq!(
        fx.sim.store().users().len(),
        5,
        "two users seeded to make five"
    );

    let all = json_of(fx.http.get(admin("/groups")).send().await.unwrap(), 200).await;
    assert_eq!(all.as_array().unwrap().len(), 4);
    assert_eq!(all[0]["name"], "Operations");
    assert_eq!(all[0]["members"], json!([users[1], users[2]]));

    // Deleting behind the API's back ignores members.
    let deleted = fx
        .http
        .delete(admin(&format!("/groups/{group}")))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    error_message(
        fx.http
            .delete(admin(&format!("/groups/{group}")))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    // Only the fixture's token request was an API request.
    assert_eq!(fx.sim.store().stats().total_api_requests, 1);
}

#[tokio::test]
async fn store_handle_pokes_groups_behind_the_apis_back() {
    let fx = Fixture::start(SimConfig::default()).await;
    let store = fx.sim.store();
    let users = store.seed_users(2);
    store.mark_deleted(users[1]);
    let group = store.insert_group(SimGroup {
        name: "Poked".into(),
        members: [users[0], users[1], 42].into(),
        ..SimGroup::default()
    });
    assert_eq!(
        store.group(group).unwrap().members,
        [users[0]].into(),
        "live users only"
    );
    assert!(
        !store.add_member_directly(group, users[0]),
        "a member already"
    );
    assert!(!store.add_member_directly(group, users[1]), "deleted");
    assert!(!store.add_member_directly(42, users[0]), "no such group");
    assert!(store.remove_member_directly(group, users[0]));
    assert!(!store.remove_member_directly(group, users[0]));
    assert!(store.add_member_directly(group, users[0]));
    assert_eq!(store.group_ids_of(users[0]), vec![group]);

    assert!(store.edit_group(group, |g| g.name = "Renamed".into()));
    let read = json_of(fx.get(&format!("/v1/groups/{group}")).await, 200).await;
    assert_eq!(read["name"], "Renamed");
    assert!(!store.edit_group(42, |_| {}));
    assert!(store.delete_group_directly(group));
    assert!(!store.delete_group_directly(group));
    // Explicit ids are kept, and later ids come after them.
    let explicit = store.insert_group(SimGroup {
        id: 2_000_000_000,
        ..SimGroup::default()
    });
    assert_eq!(explicit, 2_000_000_000);
    assert_eq!(store.seed_groups(1, 0), vec![2_000_000_001]);
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
