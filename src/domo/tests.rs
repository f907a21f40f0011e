//! Client tests against a real HTTP server: the local Domo simulator
//! (`crate::sim`) for the API's behaviours, and a tiny stub server for the
//! few answers the simulator does not play (token endpoint without POST,
//! PUT answering something that is not a user).

use std::time::Duration;

use super::*;
use crate::sim::{SimConfig, SimStats, Simulator};

async fn simulator(config: SimConfig) -> Simulator {
    Simulator::start(config).await.expect("start the simulator")
}

fn config_for(base_url: String) -> ClientConfig {
    ClientConfig {
        api_host: format!("{base_url}/"), // the trailing slash is tolerated
        client_id: "sim-client".to_string(),
        client_secret: "sim-secret".to_string(),
        request_timeout: Duration::from_secs(5),
        operation_timeout: Duration::from_secs(60),
        ..ClientConfig::default()
    }
}

fn client_for(sim: &Simulator) -> DomoClient {
    DomoClient::new(config_for(sim.base_url())).expect("client")
}

fn client_with(sim: &Simulator, adjust: impl FnOnce(&mut ClientConfig)) -> DomoClient {
    let mut config = config_for(sim.base_url());
    adjust(&mut config);
    DomoClient::new(config).expect("client")
}

fn fields(email: &str) -> UserFields {
    UserFields {
        name: "Ada Lovelace".to_string(),
        email: email.to_string(),
        role: Some("Participant".to_string()),
        ..UserFields::default()
    }
}

fn users_with_email(sim: &Simulator, email: &str) -> usize {
    sim.store()
        .users()
        .iter()
        .filter(|user| user.email.eq_ignore_ascii_case(email))
        .count()
}

fn stats(sim: &Simulator) -> SimStats {
    sim.store().stats()
}

#[tokio::test]
async fn crud_round_trip() {
    let sim = simulator(SimConfig::default()).await;
    let client = client_for(&sim);
    let wanted = UserFields {
        name: "Ada Lovelace".to_string(),
        email: "ada@example.com".to_string(),
        role: Some("Admin".to_string()),
        role_id: None,
        title: Some("Analyst".to_string()),
        alternate_email: Some("ada@alt.example.com".to_string()),
        phone: Some("+1 555 0100".to_string()),
        location: Some("London".to_string()),
        timezone: Some("Europe/London".to_string()),
        locale: Some("en-GB".to_string()),
        employee_number: Some("1815".to_string()),
    };
    let created = client.create_user(&wanted, false).await.unwrap();
    assert_eq!(created.name, "Ada Lovelace");
    assert_eq!(created.email, "ada@example.com");
    assert_eq!(created.role, "Admin");
    assert_eq!(created.title.as_deref(), Some("Analyst"));
    assert_eq!(
        created.alternate_email.as_deref(),
        Some("ada@alt.example.com")
    );
    assert_eq!(created.phone.as_deref(), Some("+1 555 0100"));
    assert_eq!(created.location.as_deref(), Some("London"));
    assert_eq!(created.employee_number.as_deref(), Some("1815"));
    assert!(created.created_at.is_some() && created.updated_at.is_some());
    assert!(created.image_url.is_some());
    let stored = sim.store().user(created.id).unwrap();
    assert_eq!(stored.timezone.as_deref(), Some("Europe/London"));
    assert_eq!(stored.locale.as_deref(), Some("en-GB"));

    let read = client.get_user(created.id).await.unwrap().unwrap();
    assert_eq!(read, created);

    // Change the title, clear the phone and the employee number, leave
    // timezone / locale unknown.
    let changed = UserFields {
        title: Some("Countess".to_string()),
        phone: None,
        employee_number: None,
        timezone: None,
        locale: None,
        ..wanted.clone()
    };
    let updated = client.update_user(created.id, &changed).await.unwrap();
    assert_eq!(updated.title.as_deref(), Some("Countess"));
    assert_eq!(updated.phone, None);
    assert_eq!(updated.location.as_deref(), Some("London"));
    let stored = sim.store().user(created.id).unwrap();
    assert_eq!(stored.phone, None);
    assert_eq!(stored.employee_number, None, "cleared with null");
    assert_eq!(
        stored.timezone.as_deref(),
        Some("Europe/London"),
        "not cleared"
    );
    assert_eq!(client.get_user(created.id).await.unwrap(), Some(updated));

    client.delete_user(created.id).await.unwrap();
    assert_eq!(client.get_user(created.id).await.unwrap(), None);
    // Deleting again is fine: the user is gone either way.
    client.delete_user(created.id).await.unwrap();
    assert_eq!(client.stats().token_fetches, 1);
}

#[tokio::test]
async fn numeric_employee_numbers_come_back_as_text() {
    let sim = simulator(SimConfig::default()).await;
    let client = client_for(&sim);
    let wanted = UserFields {
        employee_number: Some("1815".to_string()),
        ..fields("num@example.com")
    };
    let created = client.create_user(&wanted, true).await.unwrap();
    assert_eq!(created.employee_number.as_deref(), Some("1815"));
    let read = client.get_user(created.id).await.unwrap().unwrap();
    assert_eq!(read.employee_number.as_deref(), Some("1815"));
}

#[tokio::test]
async fn lists_every_page_and_finds_by_email() {
    let sim = simulator(SimConfig::default()).await;
    sim.store().seed_users(1203);
    let client = client_for(&sim);

    let users = client.list_all_users().await.unwrap();
    assert_eq!(users.len(), 1203);
    assert_eq!(stats(&sim).list_requests, 3, "500 + 500 + 203");

    let page = client.list_users_page(100, 1200).await.unwrap();
    assert_eq!(page.len(), 3);

    sim.store().reset_stats();
    let found = client
        .find_user_by_email("SEED-1203@Example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.email, "seed-1203@example.com");
    assert_eq!(stats(&sim).list_requests, 3);

    // The same client remembers the pages it walked...
    sim.store().reset_stats();
    let found = client
        .find_user_by_email("seed-2@example.com")
        .await
        .unwrap();
    assert!(found.is_some());
    assert_eq!(stats(&sim).total_api_requests, 0, "served from the walk");
    // ...and a new one stops at the first match.
    let found = client_for(&sim)
        .find_user_by_email("seed-2@example.com")
        .await
        .unwrap();
    assert!(found.is_some());
    assert_eq!(stats(&sim).list_requests, 1, "stops at the first match");

    assert_eq!(
        client
            .find_user_by_email("nobody@example.com")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn an_exact_multiple_of_the_page_size_ends_on_an_empty_page() {
    let sim = simulator(SimConfig::default()).await;
    sim.store().seed_users(500);
    let client = client_for(&sim);
    assert_eq!(client.list_all_users().await.unwrap().len(), 500);
    assert_eq!(stats(&sim).list_requests, 2);
}

#[tokio::test]
async fn deleted_and_unknown_users_read_as_none() {
    let sim = simulator(SimConfig::default()).await;
    let ids = sim.store().seed_users(3);
    let client = client_for(&sim);

    assert!(sim.store().mark_deleted(ids[0]));
    assert_eq!(client.get_user(ids[0]).await.unwrap(), None);
    assert!(sim.store().purge(ids[1]));
    assert_eq!(client.get_user(ids[1]).await.unwrap(), None);
    assert_eq!(client.get_user(42).await.unwrap(), None);
    assert!(client.get_user(ids[2]).await.unwrap().is_some());

    // Deleting users that are already gone succeeds.
    client.delete_user(ids[0]).await.unwrap();
    client.delete_user(ids[1]).await.unwrap();
    client.delete_user(42).await.unwrap();
}

#[tokio::test]
async fn update_without_a_body_reads_the_user_back() {
    let sim = simulator(SimConfig {
        put_returns_body: false,
        ..SimConfig::default()
    })
    .await;
    let client = client_for(&sim);
    let created = client
        .create_user(&fields("quiet@example.com"), false)
        .await
        .unwrap();
    let changed = UserFields {
        name: "Ada King".to_string(),
        ..fields("quiet@example.com")
    };
    sim.store().reset_stats();
    let updated = client.update_user(created.id, &changed).await.unwrap();
    assert_eq!(updated.name, "Ada King");
    assert_eq!(updated.id, created.id);
    assert_eq!(stats(&sim).update_requests, 1);
    assert_eq!(stats(&sim).get_requests, 1);
}

#[tokio::test]
async fn updating_a_missing_user_is_not_found() {
    let sim = simulator(SimConfig::default()).await;
    let client = client_for(&sim);
    let error = client
        .update_user(42, &fields("x@example.com"))
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error}");
}

#[tokio::test]
async fn an_expired_token_is_renewed_before_use() {
    let sim = simulator(SimConfig {
        token_ttl: Duration::from_secs(1),
        ..SimConfig::default()
    })
    .await;
    let id = sim.store().seed_users(1)[0];
    let client = client_for(&sim);
    assert!(client.get_user(id).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(client.get_user(id).await.unwrap().is_some());
    assert_eq!(stats(&sim).token_requests, 2);
    assert_eq!(client.stats().token_fetches, 2);
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_retries() {
    let sim = simulator(SimConfig {
        token_ttl: Duration::from_secs(1),
        ..SimConfig::default()
    })
    .await;
    let id = sim.store().seed_users(1)[0];
    let client = client_for(&sim);
    assert!(client.get_user(id).await.unwrap().is_some());
    // The client believes its token is good; the server has expired it.
    client
        .inner
        .tokens()
        .trust_cached_token_for(Duration::from_secs(3600))
        .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(client.get_user(id).await.unwrap().is_some());
    assert_eq!(stats(&sim).token_requests, 2);
    assert_eq!(stats(&sim).get_requests, 3, "ok, 401, ok");
    assert_eq!(client.stats().retries, 1);
}

async fn fifty_concurrent_reads(client: &DomoClient, id: u64) {
    let reads = (0..50).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get_user(id).await })
    });
    for read in reads.collect::<Vec<_>>() {
        assert!(read.await.unwrap().unwrap().is_some());
    }
}

#[tokio::test]
async fn concurrent_calls_renew_an_expired_token_once() {
    let sim = simulator(SimConfig {
        token_ttl: Duration::from_secs(1),
        ..SimConfig::default()
    })
    .await;
    let id = sim.store().seed_users(1)[0];
    let client = client_with(&sim, |config| config.max_concurrent_requests = 64);
    assert!(client.get_user(id).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    fifty_concurrent_reads(&client, id).await;
    assert_eq!(stats(&sim).token_requests, 2);
}

#[tokio::test]
async fn concurrent_401s_renew_the_token_once() {
    let sim = simulator(SimConfig {
        token_ttl: Duration::from_secs(1),
        ..SimConfig::default()
    })
    .await;
    let id = sim.store().seed_users(1)[0];
    let client = client_with(&sim, |config| config.max_concurrent_requests = 64);
    assert!(client.get_user(id).await.unwrap().is_some());
    client
        .inner
        .tokens()
        .trust_cached_token_for(Duration::from_secs(3600))
        .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Long-lived tokens from now on, so the renewed one stays valid.
    sim.store().set_config(SimConfig::default());
    fifty_concurrent_reads(&client, id).await;
    assert_eq!(stats(&sim).token_requests, 2);
}

#[tokio::test]
async fn duplicate_emails_are_conflicts_whether_409_or_400() {
    for status in [409, 400] {
        let sim = simulator(SimConfig {
            duplicate_email_status: status,
            ..SimConfig::default()
        })
        .await;
        let client = client_for(&sim);
        client
            .create_user(&fields("twin@example.com"), false)
            .await
            .unwrap();
        let error = client
            .create_user(&fields("TWIN@example.com"), false)
            .await
            .unwrap_err();
        assert!(error.is_conflict(), "{status}: {error}");
        assert_eq!(error.status(), Some(status));
        let text = error.to_string();
        assert!(text.contains("already exists"), "{text}");
        assert!(text.contains("trace id"), "{text}");
        assert_eq!(stats(&sim).create_requests, 2, "a conflict is not retried");
    }
}

#[tokio::test]
async fn wrong_credentials_are_an_authentication_error() {
    let sim = simulator(SimConfig::default()).await;
    let client = client_with(&sim, |config| config.client_secret = "wrong".to_string());
    let error = client.get_user(1).await.unwrap_err();
    assert!(
        matches!(error, DomoError::Authentication { status: 401, .. }),
        "{error}"
    );
    let text = error.to_string();
    assert!(text.contains("client_id / client_secret"), "{text}");
    assert!(
        !text.contains("wrong"),
        "the secret must not appear: {text}"
    );
    assert_eq!(stats(&sim).token_requests, 1, "not retried");
}

#[tokio::test]
async fn an_unknown_scope_is_an_authentication_error() {
    let sim = simulator(SimConfig::default()).await;
    let client = client_with(&sim, |config| config.scope = "dashboard".to_string());
    let error = client.list_users_page(10, 0).await.unwrap_err();
    assert!(
        matches!(error, DomoError::Authentication { status: 400, .. }),
        "{error}"
    );
}

#[tokio::test]
async fn an_unreachable_host_is_reported_as_such() {
    // A port that was free a moment ago: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = DomoClient::new(ClientConfig {
        api_host: format!("http://{address}"),
        client_id: "id".to_string(),
        client_secret: "secret".to_string(),
        max_retries: 1,
        ..ClientConfig::default()
    })
    .unwrap();
    let error = client.get_user(1).await.unwrap_err();
    assert!(matches!(error, DomoError::Unreachable { .. }), "{error}");
    let text = error.to_string();
    assert!(text.contains(&address.to_string()), "{text}");
    assert!(text.contains("DOMO_API_HOST"), "{text}");
    assert_eq!(client.stats().requests_sent, 2, "one retry");
}

#[tokio::test]
async fn rate_limited_requests_are_retried_after_retry_after() {
    let sim = simulator(SimConfig {
        rate_limit_per_second: Some(5),
        retry_after_header: true,
        ..SimConfig::default()
    })
    .await;
    let id = sim.store().seed_users(1)[0];
    // 429s are retried until the deadline, whatever max_retries says.
    let client = client_with(&sim, |config| config.max_retries = 0);
    let reads = (0..12).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get_user(id).await })
    });
    for read in reads.collect::<Vec<_>>() {
        assert!(read.await.unwrap().unwrap().is_some());
    }
    assert!(
        stats(&sim).rejected_rate_limited > 0,
        "the test must hit the limit"
    );
    assert!(client.stats().retries > 0);
}

#[tokio::test]
async fn rate_limited_requests_back_off_without_retry_after() {
    let sim = simulator(SimConfig {
        rate_limit_per_second: Some(5),
        retry_after_header: false,
        ..SimConfig::default()
    })
    .await;
    let id = sim.store().seed_users(1)[0];
    let client = client_with(&sim, |config| config.max_retries = 10);
    let reads = (0..12).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get_user(id).await })
    });
    for read in reads.collect::<Vec<_>>() {
        assert!(read.await.unwrap().unwrap().is_some());
    }
    assert!(
        stats(&sim).rejected_rate_limited > 0,
        "the test must hit the limit"
    );
}

#[tokio::test]
async fn a_rate_limit_outlasting_the_operation_says_so() {
    let sim = simulator(SimConfig {
        rate_limit_per_second: Some(1),
        retry_after_header: true,
        ..SimConfig::default()
    })
    .await;
    let client = client_with(&sim, |config| {
        config.operation_timeout = Duration::from_millis(900);
    });
    // The token request uses up the second's only slot, and waiting the
    // second Domo asks for would pass the operation's deadline.
    let error = client.get_user(1).await.unwrap_err();
    assert!(
        matches!(
            error,
            DomoError::RateLimited {
                attempts: 1,
                requested_wait: Some(_),
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(error.status(), Some(429));
    let text = error.to_string();
    assert!(
        text.contains("GET /v1/users/1 (HTTP 429): 1 attempt in"),
        "{text}"
    );
    assert!(text.contains("an operation may take"), "{text}");
}

#[tokio::test]
async fn a_domo_down_for_a_while_is_waited_for_and_a_create_sent_once() {
    let sim = simulator(SimConfig::default()).await;
    let id = sim.store().seed_users(1)[0];
    let client = client_for(&sim);
    assert!(client.get_user(id).await.unwrap().is_some());
    // Refusals for longer than max_retries backoffs would last.
    let started = std::time::Instant::now();
    sim.store().refuse_connections_for(Duration::from_secs(12));
    let down = fields("down@example.com");
    let (read, created) = tokio::join!(client.get_user(id), client.create_user(&down, false));
    assert!(read.unwrap().is_some());
    created.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(12));
    assert_eq!(users_with_email(&sim, "down@example.com"), 1);
    assert_eq!(
        stats(&sim).create_requests,
        1,
        "refused connections never carried the create"
    );
    assert!(client.stats().retries > 10, "{:?}", client.stats());
}

#[tokio::test]
async fn a_domo_down_past_the_deadline_is_reported_unreachable() {
    let sim = simulator(SimConfig::default()).await;
    let id = sim.store().seed_users(1)[0];
    let client = client_with(&sim, |config| {
        config.operation_timeout = Duration::from_secs(2);
    });
    assert!(client.get_user(id).await.unwrap().is_some());
    sim.store().refuse_connections_for(Duration::from_secs(10));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    let error = client
        .create_user(&fields("late@example.com"), false)
        .await
        .unwrap_err();
    assert!(matches!(error, DomoError::Unreachable { .. }), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "bounded by the deadline"
    );
}

#[tokio::test]
async fn client_side_pacing_stays_under_the_servers_limit() {
    let sim = simulator(SimConfig {
        rate_limit_per_second: Some(10),
        ..SimConfig::default()
    })
    .await;
    let id = sim.store().seed_users(1)[0];
    let client = client_with(&sim, |config| config.max_requests_per_minute = Some(300));
    let started = std::time::Instant::now();
    let reads = (0..15).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get_user(id).await })
    });
    for read in reads.collect::<Vec<_>>() {
        assert!(read.await.unwrap().unwrap().is_some());
    }
    assert_eq!(stats(&sim).rejected_rate_limited, 0);
    // 16 requests at 5 a second after a burst of 5: about 2.2 seconds.
    assert!(
        started.elapsed() >= Duration::from_millis(1800),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn transient_server_errors_are_retried() {
    let sim = simulator(SimConfig {
        error_rate: 0.3,
        ..SimConfig::default()
    })
    .await;
    sim.store().seed_users(20);
    // 0.3^9: a request failing every attempt is out of the question.
    let client = client_with(&sim, |config| config.max_retries = 8);
    let created = client
        .create_user(&fields("flaky@example.com"), false)
        .await
        .unwrap();
    assert_eq!(users_with_email(&sim, "flaky@example.com"), 1);
    let changed = UserFields {
        title: Some("Survivor".to_string()),
        ..fields("flaky@example.com")
    };
    let updated = client.update_user(created.id, &changed).await.unwrap();
    assert_eq!(updated.title.as_deref(), Some("Survivor"));
    for _ in 0..10 {
        assert!(client.get_user(created.id).await.unwrap().is_some());
    }
    assert_eq!(client.list_all_users().await.unwrap().len(), 21);
    client.delete_user(created.id).await.unwrap();
    assert_eq!(client.get_user(created.id).await.unwrap(), None);
    assert!(stats(&sim).injected_errors > 0, "the test must meet errors");
    assert!(client.stats().retries > 0);
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_adopted_not_repeated() {
    let sim = simulator(SimConfig {
        drop_connection_after_create: 1,
        lowercase_emails: true,
        ..SimConfig::default()
    })
    .await;
    sim.store().seed_users(3);
    let client = client_for(&sim);
    let created = client
        .create_user(&fields("Lost@Example.com"), false)
        .await
        .unwrap();
    assert_eq!(created.email, "lost@example.com");
    assert_eq!(users_with_email(&sim, "lost@example.com"), 1);
    assert_eq!(stats(&sim).create_requests, 1, "never re-sent");
    assert_eq!(
        sim.store().user(created.id).unwrap().email,
        "lost@example.com"
    );
}

#[tokio::test]
async fn a_create_that_failed_with_5xx_is_resent_once_checked() {
    let sim = simulator(SimConfig::default()).await;
    let client = client_for(&sim);
    // Every create answers 5xx the first time: the simulator's injected
    // errors do not create the user, so the client must resend.
    sim.store().set_config(SimConfig {
        error_rate: 1.0,
        ..SimConfig::default()
    });
    let heal = {
        let store = sim.store();
        tokio::spawn(async move {
            // Let the first create fail, then heal the server.
            tokio::time::sleep(Duration::from_millis(150)).await;
            store.set_config(SimConfig::default());
        })
    };
    let created = client
        .create_user(&fields("again@example.com"), false)
        .await;
    heal.await.unwrap();
    let created = created.unwrap();
    assert_eq!(created.email, "again@example.com");
    assert_eq!(users_with_email(&sim, "again@example.com"), 1);
    assert_eq!(stats(&sim).create_requests, 2, "checked, then re-sent once");
    assert!(
        stats(&sim).list_requests >= 1,
        "looked up before re-sending"
    );
}

#[tokio::test]
async fn a_slow_server_times_out_with_a_clear_error() {
    let sim = simulator(SimConfig {
        latency: Duration::from_millis(400),
        ..SimConfig::default()
    })
    .await;
    let client = client_with(&sim, |config| {
        config.request_timeout = Duration::from_millis(100);
        config.operation_timeout = Duration::from_millis(700);
    });
    let started = std::time::Instant::now();
    let error = client.get_user(1).await.unwrap_err();
    assert!(matches!(error, DomoError::Timeout { .. }), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "bounded by the deadline"
    );
    assert!(error.to_string().contains("in time"), "{error}");
}

/// A stub Domo for answers the simulator does not give: a token endpoint
/// that only takes GET, and a PUT answering a non-user body.
mod stub {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    use axum::extract::{Query, State};
    use axum::http::StatusCode;
    use axum::routing::get;
    use axum::{Json, Router};
    use serde_json::json;

    #[derive(Default)]
    pub struct Counts {
        pub token_posts: AtomicU32,
        pub token_gets: AtomicU32,
        pub creates: AtomicU32,
        pub lists: AtomicU32,
        pub group_creates: AtomicU32,
        pub group_lists: AtomicU32,
    }

    pub async fn start() -> (String, Arc<Counts>) {
        let counts = Arc::new(Counts::default());
        let app = Router::new()
            .route(
                "/oauth/token",
                get(|State(counts): State<Arc<Counts>>| async move {
                    counts.token_gets.fetch_add(1, Ordering::SeqCst);
                    Json(json!({"access_token": "stub-token", "token_type": "bearer",
                                "expires_in": 3599}))
                })
                .post(|State(counts): State<Arc<Counts>>| async move {
                    counts.token_posts.fetch_add(1, Ordering::SeqCst);
                    StatusCode::METHOD_NOT_ALLOWED
                }),
            )
            // A create that is processed but answered 503, and a listing
            // that shows the new user only from its second read on.
            .route(
                "/v1/users",
                get(|State(counts): State<Arc<Counts>>| async move {
                    if counts.lists.fetch_add(1, Ordering::SeqCst) == 0 {
                        return Json(json!([]));
                    }
                    Json(
                        json!([{"id": 9, "name": "Late", "email": "late@example.com",
                                 "role": "Participant"}]),
                    )
                })
                .post(|State(counts): State<Arc<Counts>>| async move {
                    if counts.creates.fetch_add(1, Ordering::SeqCst) == 0 {
                        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({})));
                    }
                    (
                        StatusCode::CONFLICT,
                        Json(json!({"message": "User with email late@example.com already exists"})),
                    )
                }),
            )
            // The same for groups: a create processed but answered 503,
            // then "name taken"; the listing shows the group from its
            // second read on (one page: later offsets are empty).
            .route(
                "/v1/groups",
                get(
                    |State(counts): State<Arc<Counts>>,
                     Query(query): Query<HashMap<String, String>>| async move {
                        let first_page = query.get("offset").is_none_or(|o| o == "0");
                        if !first_page || counts.group_lists.fetch_add(1, Ordering::SeqCst) == 0 {
                            return Json(json!([]));
                        }
                        Json(json!([{"id": 12, "name": "Late", "active": true,
                                     "memberCount": 0}]))
                    },
                )
                .post(|State(counts): State<Arc<Counts>>| async move {
                    if counts.group_creates.fetch_add(1, Ordering::SeqCst) == 0 {
                        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({})));
                    }
                    (
                        StatusCode::CONFLICT,
                        Json(json!({"message": "A group named Late already exists"})),
                    )
                }),
            )
            .route(
                "/v1/users/{id}",
                get(|| async {
                    Json(
                        json!({"id": "7", "name": "Stub", "email": "stub@example.com",
                                "role": "Admin", "employeeNumber": 12, "title": ""}),
                    )
                })
                .put(|| async { Json(json!({"success": true})) }),
            )
            .with_state(counts.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (format!("http://{address}"), counts)
    }
}

#[tokio::test]
async fn token_endpoint_refusing_post_is_asked_with_get() {
    use std::sync::atomic::Ordering;
    let (base_url, counts) = stub::start().await;
    let client = DomoClient::new(config_for(base_url)).unwrap();
    let user = client.get_user(7).await.unwrap().unwrap();
    assert_eq!(user.id, 7);
    assert_eq!(user.employee_number.as_deref(), Some("12"));
    assert_eq!(user.title, None);
    // A PUT answering something else than a user: the user is read back.
    let updated = client
        .update_user(7, &fields("stub@example.com"))
        .await
        .unwrap();
    assert_eq!(updated.name, "Stub");
    assert_eq!(counts.token_posts.load(Ordering::SeqCst), 1);
    assert_eq!(counts.token_gets.load(Ordering::SeqCst), 1);
    assert_eq!(client.stats().token_fetches, 2);
}

#[tokio::test]
async fn a_conflict_after_an_uncertain_create_adopts_the_user_once_listed() {
    use std::sync::atomic::Ordering;
    let (base_url, counts) = stub::start().await;
    let client = DomoClient::new(config_for(base_url)).unwrap();
    let user = client
        .create_user(&fields("late@example.com"), false)
        .await
        .unwrap();
    assert_eq!(user.id, 9);
    assert_eq!(counts.creates.load(Ordering::SeqCst), 2);
    assert_eq!(counts.lists.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_name_taken_after_an_uncertain_create_adopts_the_group_once_listed() {
    use std::sync::atomic::Ordering;
    let (base_url, counts) = stub::start().await;
    let client = DomoClient::new(config_for(base_url)).unwrap();
    let group = client.create_group(&group_fields("Late")).await.unwrap();
    assert_eq!(group.id, 12);
    assert_eq!(counts.group_creates.load(Ordering::SeqCst), 2);
    assert_eq!(counts.group_lists.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn fifty_concurrent_operations_renew_a_two_second_token_once_per_expiry() {
    const EXPIRIES: u64 = 3;
    let sim = simulator(SimConfig {
        token_ttl: Duration::from_secs(2),
        ..SimConfig::default()
    })
    .await;
    let id = sim.store().seed_users(1)[0];
    let client = client_with(&sim, |config| config.max_concurrent_requests = 64);
    fifty_concurrent_reads(&client, id).await;
    for _ in 0..EXPIRIES {
        // Past the token's lifetime: 50 operations find it expired at once.
        tokio::time::sleep(Duration::from_millis(2100)).await;
        fifty_concurrent_reads(&client, id).await;
    }
    let stats = stats(&sim);
    assert_eq!(stats.token_requests, 1 + EXPIRIES);
    assert_eq!(stats.get_requests, 50 * (1 + EXPIRIES), "no 401 retries");
    assert_eq!(client.stats().token_fetches, 1 + EXPIRIES);
}

/// Reads `ids` through `read_user`, `batch` at a time concurrently (as
/// Terraform does with -parallelism), checking each against the simulator.
async fn read_in_batches(sim: &Simulator, client: &DomoClient, ids: &[u64], batch: usize) {
    for chunk in ids.chunks(batch) {
        let reads: Vec<_> = chunk
            .iter()
            .map(|&id| {
                let client = client.clone();
                tokio::spawn(async move { (id, client.read_user(id).await) })
            })
            .collect();
        for read in reads {
            let (id, user) = read.await.unwrap();
            let user = user.unwrap().expect("the user exists");
            let stored = sim.store().user(id).unwrap();
            assert_eq!(user.id, id);
            assert_eq!(user.email, stored.email);
            assert_eq!(user.name, stored.name);
            assert_eq!(user.updated_at.as_deref(), Some(stored.updated_at.as_str()));
        }
    }
}

#[tokio::test]
async fn refreshing_a_thousand_users_costs_a_few_pages_not_a_thousand_gets() {
    let sim = simulator(SimConfig::default()).await;
    let mut ids = sim.store().seed_users(1000);
    // Terraform's order is not the listing's.
    ids.reverse();
    ids.swap(10, 900);
    let client = client_for(&sim);
    read_in_batches(&sim, &client, &ids, 10).await;
    let stats = stats(&sim);
    assert!(stats.total_api_requests <= 50, "{stats:?}");
    // token + the direct reads + 2 pages (or a few GETs more if a batch
    // raced ahead of the walk).
    assert_eq!(stats.token_requests, 1);
    assert!(stats.list_requests <= 3, "{stats:?}");
    assert!(
        stats.get_requests <= DIRECT_READS_FOR_TESTS + 10,
        "{stats:?}"
    );
}

const DIRECT_READS_FOR_TESTS: u64 = super::directory::DIRECT_READS;

#[tokio::test]
async fn refreshing_two_users_in_a_huge_instance_never_lists_it() {
    let sim = simulator(SimConfig::default()).await;
    let ids = sim.store().seed_users(20_000);
    let client = client_for(&sim);
    read_in_batches(&sim, &client, &[ids[19_999], ids[7]], 10).await;
    let stats = stats(&sim);
    assert!(stats.total_api_requests <= 6, "{stats:?}");
    assert_eq!(stats.list_requests, 0);
    assert_eq!(stats.get_requests, 2);
}

#[tokio::test]
async fn the_listing_never_costs_more_than_the_gets_it_replaces() {
    let sim = simulator(SimConfig::default()).await;
    let ids = sim.store().seed_users(20_000);
    let client = client_for(&sim);
    // Twelve users at the far end of a 40-page listing.
    let wanted: Vec<u64> = ids[19_988..].to_vec();
    read_in_batches(&sim, &client, &wanted, 4).await;
    let stats = stats(&sim);
    let reads = wanted.len() as u64;
    assert!(
        stats.list_requests <= reads - DIRECT_READS_FOR_TESTS,
        "pages <= reads routed to the listing: {stats:?}"
    );
    assert!(
        stats.total_api_requests <= 1 + 2 * reads,
        "at worst a page and a GET per read: {stats:?}"
    );
}

#[tokio::test]
async fn a_user_missing_from_the_listing_is_read_with_a_get() {
    let sim = simulator(SimConfig::default()).await;
    let ids = sim.store().seed_users(1000);
    let client = client_for(&sim);
    read_in_batches(&sim, &client, &ids[..20], 10).await;
    // Deleted after the walk began (it is on a page not fetched yet) and
    // purged entirely: neither is listed, both are asked for by id.
    assert!(sim.store().mark_deleted(ids[700]));
    assert!(sim.store().purge(ids[701]));
    sim.store().reset_stats();
    assert_eq!(client.read_user(ids[700]).await.unwrap(), None);
    assert_eq!(client.read_user(ids[701]).await.unwrap(), None);
    let counted = stats(&sim);
    assert_eq!(counted.get_requests, 2, "{counted:?}");
    assert!(counted.list_requests <= 2, "{counted:?}");
    // Everyone else is still served, without calls.
    sim.store().reset_stats();
    read_in_batches(&sim, &client, &ids[600..700], 10).await;
    assert_eq!(stats(&sim).total_api_requests, 0);
}

#[tokio::test]
async fn a_write_through_the_client_is_never_followed_by_a_stale_read() {
    let sim = simulator(SimConfig::default()).await;
    let ids = sim.store().seed_users(600);
    let client = client_for(&sim);
    read_in_batches(&sim, &client, &ids, 10).await;
    let target = ids[550];
    let listed = client.read_user(target).await.unwrap().unwrap();
    assert!(listed.title.is_none());

    let changed = UserFields {
        name: listed.name.clone(),
        email: listed.email.clone(),
        role: Some(listed.role.clone()),
        title: Some("Changed".to_string()),
        ..UserFields::default()
    };
    client.update_user(target, &changed).await.unwrap();
    sim.store().reset_stats();
    let read = client.read_user(target).await.unwrap().unwrap();
    assert_eq!(read.title.as_deref(), Some("Changed"));
    assert_eq!(stats(&sim).get_requests, 1, "read with a GET after a write");

    client.delete_user(ids[551]).await.unwrap();
    assert_eq!(client.read_user(ids[551]).await.unwrap(), None);
    // Found by email: the listed entry is stale, so it is confirmed by id.
    assert_eq!(
        client
            .find_user_by_email(&listed.email)
            .await
            .unwrap()
            .unwrap()
            .title
            .as_deref(),
        Some("Changed")
    );
}

#[tokio::test]
async fn a_cancelled_walker_does_not_strand_the_waiters() {
    let sim = simulator(SimConfig::default()).await;
    let ids = sim.store().seed_users(1200);
    let client = client_for(&sim);
    read_in_batches(&sim, &client, &ids[..DIRECT_READS_FOR_TESTS as usize], 4).await;
    // Slow pages from now on; the first walker gives up mid-fetch.
    sim.store().set_config(SimConfig {
        latency: Duration::from_millis(300),
        ..SimConfig::default()
    });
    let walker = {
        let client = client.clone();
        let id = ids[1100];
        tokio::spawn(async move { client.read_user(id).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let waiter = {
        let client = client.clone();
        let id = ids[1150];
        tokio::spawn(async move { client.read_user(id).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    walker.abort();
    let read = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("the waiter carries on")
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(read.id, ids[1150]);
}

#[tokio::test]
async fn many_lookups_by_email_share_one_walk() {
    let sim = simulator(SimConfig::default()).await;
    sim.store().seed_users(2200);
    let client = client_for(&sim);
    let lookups: Vec<_> = (1..=50)
        .map(|n| {
            let client = client.clone();
            let email = format!("SEED-{}@example.com", n * 44);
            tokio::spawn(async move { (n * 44, client.find_user_by_email(&email).await) })
        })
        .collect();
    for lookup in lookups {
        let (n, found) = lookup.await.unwrap();
        let user = found.unwrap().expect("found");
        assert_eq!(user.email, format!("seed-{n}@example.com"));
    }
    let counted = stats(&sim);
    assert_eq!(counted.list_requests, 5, "one walk of 5 pages: {counted:?}");
    assert_eq!(counted.get_requests, 0);
    // A miss trusts a listing made during the call; an older one is
    // checked afresh.
    let fresh = client_for(&sim);
    sim.store().reset_stats();
    assert_eq!(
        fresh
            .find_user_by_email("nobody@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(stats(&sim).list_requests, 5);
}

#[tokio::test]
async fn a_bulk_read_walks_the_listing_once_and_gets_only_what_it_cannot_settle() {
    let sim = simulator(SimConfig::default()).await;
    let ids = sim.store().seed_users(1_200);
    let client = client_for(&sim);
    // One user deleted in Domo, one unknown id: both answered by a GET.
    assert!(sim.store().purge(ids[10]));
    let mut wanted = ids.clone();
    wanted.push(99);
    let results = client.read_users(&wanted).await;
    assert_eq!(results.len(), wanted.len());
    for (id, result) in wanted.iter().zip(&results) {
        let found = result.as_ref().expect("no error");
        match *id {
            id if id == ids[10] || id == 99 => assert!(found.is_none(), "{id}"),
            id => assert_eq!(found.as_ref().map(|u| u.id), Some(id)),
        }
    }
    let s = stats(&sim);
    // Token, 3 pages (the last one short), 2 GETs.
    assert_eq!((s.list_requests, s.get_requests), (3, 2), "{s:?}");
    assert_eq!(s.total_api_requests, 6, "{s:?}");

    // Later batches of any size (say, smaller rosters of the same
    // process) are served by that complete listing: no call at all.
    sim.store().reset_stats();
    for batch in [&ids[..3], &ids[100..400]] {
        let results = client.read_users(batch).await;
        for (id, result) in batch.iter().zip(&results) {
            let found = result.as_ref().expect("no error").as_ref();
            assert_eq!(found.map(|u| u.id), Some(*id));
        }
    }
    assert_eq!(stats(&sim).total_api_requests, 0, "{:?}", stats(&sim));
}

#[tokio::test]
async fn a_small_bulk_read_never_lists_the_instance() {
    let sim = simulator(SimConfig::default()).await;
    let ids = sim.store().seed_users(2_000);
    let client = client_for(&sim);
    let results = client.read_users(&ids[1_990..1_993]).await;
    assert!(results.iter().all(|r| matches!(r, Ok(Some(_)))));
    let s = stats(&sim);
    assert_eq!((s.list_requests, s.get_requests), (0, 3), "{s:?}");
}

#[tokio::test]
async fn bulk_changes_each_report_their_own_result() {
    let sim = simulator(SimConfig {
        fail_every_nth_create: 4,
        ..SimConfig::default()
    })
    .await;
    let existing = sim.store().seed_users(2);
    let client = client_with(&sim, |c| c.max_concurrent_requests = 8);
    let mut changes: Vec<(String, UserChange)> = (0..12)
        .map(|i| {
            let email = format!("bulk-{i}@example.com");
            let change = UserChange::Create {
                fields: fields(&email),
                send_invite: false,
            };
            (email, change)
        })
        .collect();
    changes.push((
        "update".into(),
        UserChange::Update {
            id: existing[0],
            fields: fields("renamed@example.com"),
        },
    ));
    changes.push(("delete".into(), UserChange::Delete { id: existing[1] }));
    let results = client.apply_user_changes(changes).await;
    assert_eq!(results.len(), 14);
    let failed: Vec<&String> = results
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(k, _)| k)
        .collect();
    assert_eq!(failed.len(), 3, "every 4th of 12 creates: {results:?}");
    for (key, result) in &results {
        match (key.as_str(), result) {
            ("update", Ok(ChangeDone::Updated(user))) => {
                assert_eq!(user.email, "renamed@example.com")
            }
            ("delete", Ok(ChangeDone::Deleted)) => {}
            (_, Ok(ChangeDone::Created(user))) => assert_eq!(&user.email, key),
            (_, Err(e)) => assert_eq!(e.status(), Some(400), "{key}: {e}"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(sim.store().users().len(), 1 + 9);
}

/// Every role reaches Domo whichever reading it keeps: documented names on
/// create, the rest by `roleId` in an update right after.
async fn roles_reach_domo(config: SimConfig) {
    let sim = simulator(config).await;
    sim.store().define_role(101, "Auditor").unwrap();
    let client = client_for(&sim);
    let with_role = |email: &str, role: Option<&str>, role_id: Option<u64>| UserFields {
        role: role.map(str::to_string),
        role_id,
        ..fields(email)
    };
    let calls = |sim: &Simulator| {
        let stats = sim.store().stats();
        (stats.create_requests, stats.update_requests)
    };

    let admin = client
        .create_user(&with_role("ad@example.com", Some("Admin"), None), false)
        .await
        .unwrap();
    assert_eq!(admin.role, "Admin");
    assert_eq!(calls(&sim), (1, 0), "a documented name: one create");
    let editor = client
        .create_user(&with_role("ed@example.com", Some("Editor"), None), false)
        .await
        .unwrap();
    assert_eq!(editor.role, "Editor");
    assert_eq!(
        calls(&sim),
        (2, 1),
        "created as Participant, then given its role"
    );
    let social = client
        .create_user(&with_role("so@example.com", None, Some(5)), false)
        .await
        .unwrap();
    assert_eq!(social.role, "Social");
    let auditor = client
        .create_user(&with_role("au@example.com", None, Some(101)), false)
        .await
        .unwrap();
    assert_eq!(auditor.role, "Auditor");
    assert_eq!(sim.store().user(auditor.id).unwrap().role_id, Some(101));
    assert_eq!(calls(&sim), (4, 3));

    // Moving a custom-role user back to a default role, and the reverse.
    let updated = client
        .update_user(
            auditor.id,
            &with_role("au@example.com", Some("Admin"), None),
        )
        .await
        .unwrap();
    assert_eq!(updated.role, "Admin");
    let updated = client
        .update_user(editor.id, &with_role("ed@example.com", None, Some(101)))
        .await
        .unwrap();
    assert_eq!(updated.role, "Auditor");
    let updated = client
        .update_user(
            editor.id,
            &with_role("ed@example.com", Some("Social"), None),
        )
        .await
        .unwrap();
    assert_eq!(updated.role, "Social");

    // A role Domo refuses: the user exists, with the role it was created
    // with, and the error carries it.
    let error = client
        .create_user(&with_role("x@example.com", None, Some(999)), false)
        .await
        .unwrap_err();
    let DomoError::RoleNotSet {
        user,
        wanted,
        reason,
    } = &error
    else {
        panic!("expected RoleNotSet, got {error:?}");
    };
    assert_eq!(
        (user.role.as_str(), wanted.as_str()),
        ("Participant", "the role with id 999")
    );
    assert!(reason.contains("no such role"), "{reason}");
    assert!(error.to_string().contains("x@example.com"), "{error}");
    assert_eq!(sim.store().user(user.id).unwrap().role, "Participant");
}

#[tokio::test]
async fn roles_reach_a_domo_that_keeps_to_its_documentation() {
    roles_reach_domo(SimConfig::default()).await;
}

#[tokio::test]
async fn roles_reach_a_lenient_domo() {
    roles_reach_domo(SimConfig::lenient()).await;
}

#[tokio::test]
async fn role_ids_are_read_as_numbers_or_text() {
    for role_id_as_string in [false, true] {
        let sim = simulator(SimConfig {
            return_role_id: true,
            role_id_as_string,
            ..SimConfig::default()
        })
        .await;
        sim.store().define_role(101, "Auditor").unwrap();
        let client = client_for(&sim);
        let auditor = client
            .create_user(
                &UserFields {
                    role: None,
                    role_id: Some(101),
                    ..fields("au@example.com")
                },
                false,
            )
            .await
            .unwrap();
        let read = client.get_user(auditor.id).await.unwrap().unwrap();
        assert_eq!((read.role.as_str(), read.role_id), ("Auditor", Some(101)));
    }
}

#[tokio::test]
async fn users_read_their_group_ids() {
    let sim = simulator(SimConfig::default()).await;
    let users = sim.store().seed_users(2);
    let groups = sim.store().seed_groups(2, 1);
    let client = client_for(&sim);
    let member = client.get_user(users[0]).await.unwrap().unwrap();
    assert_eq!(member.group_ids, Some(groups.clone()));
    let loner = client.get_user(users[1]).await.unwrap().unwrap();
    assert_eq!(loner.group_ids, Some(vec![]));
    let listed = client.list_all_users().await.unwrap();
    assert_eq!(listed[0].group_ids, Some(groups));
}

// ---- Groups ----

fn group_fields(name: &str) -> GroupFields {
    GroupFields {
        name: name.to_string(),
        ..GroupFields::default()
    }
}

/// The group counters, in a fixed order for exact comparisons:
/// (create, get, update, delete, list, member list, member add, member remove).
fn group_calls(sim: &Simulator) -> [u64; 8] {
    let s = stats(sim);
    [
        s.group_create_requests,
        s.group_get_requests,
        s.group_update_requests,
        s.group_delete_requests,
        s.group_list_requests,
        s.group_member_list_requests,
        s.group_member_add_requests,
        s.group_member_remove_requests,
    ]
}

#[tokio::test]
async fn group_crud_round_trip() {
    // Group reads that carry `default`, so that every flag can be checked.
    let sim = simulator(SimConfig {
        group_default_in_reads: true,
        ..SimConfig::default()
    })
    .await;
    let client = client_for(&sim);
    let created = client
        .create_group(&GroupFields {
            name: "Sales".to_string(),
            default: Some(true),
            active: None,
        })
        .await
        .unwrap();
    assert_eq!(created.name, "Sales");
    assert!(created.default == Some(true) && created.active);
    assert_eq!(created.creator_id, Some(1));
    assert_eq!(created.member_count, Some(0));
    assert_eq!(
        client.get_group(created.id).await.unwrap(),
        Some(created.clone())
    );

    let changed = GroupFields {
        name: "Sales EMEA".to_string(),
        default: Some(false),
        active: Some(false),
    };
    let updated = client.update_group(created.id, &changed).await.unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.default, updated.active),
        ("Sales EMEA", Some(false), false)
    );
    // Flags left out stay as they are.
    let renamed = client
        .update_group(created.id, &group_fields("Sales APAC"))
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.active),
        ("Sales APAC", false)
    );
    assert_eq!(group_calls(&sim), [1, 1, 2, 0, 0, 0, 0, 0]);

    client.delete_group(created.id).await.unwrap();
    assert_eq!(client.get_group(created.id).await.unwrap(), None);
    // Gone already: still success, one call.
    client.delete_group(created.id).await.unwrap();
    assert_eq!(group_calls(&sim), [1, 2, 2, 2, 0, 0, 0, 0]);
    let error = client
        .update_group(created.id, &group_fields("Ghost"))
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error}");
}

#[tokio::test]
async fn a_group_update_without_a_body_reads_the_group_back() {
    let sim = simulator(SimConfig {
        put_returns_body: false,
        ..SimConfig::default()
    })
    .await;
    let client = client_for(&sim);
    let id = client
        .create_group(&group_fields("Quiet"))
        .await
        .unwrap()
        .id;
    let updated = client
        .update_group(id, &group_fields("Hushed"))
        .await
        .unwrap();
    assert_eq!(updated.name, "Hushed");
    assert_eq!(group_calls(&sim), [1, 1, 1, 0, 0, 0, 0, 0]);
}

#[tokio::test]
async fn an_inactive_group_is_created_then_deactivated() {
    let sim = simulator(SimConfig::default()).await;
    let client = client_for(&sim);
    let fields = GroupFields {
        active: Some(false),
        ..group_fields("Dormant")
    };
    let created = client.create_group(&fields).await.unwrap();
    assert!(!created.active);
    assert!(!sim.store().group(created.id).unwrap().active);
    assert_eq!(group_calls(&sim), [1, 0, 1, 0, 0, 0, 0, 0]);
    // Asking for what Domo gives anyway costs no update.
    let active = GroupFields {
        active: Some(true),
        ..group_fields("Awake")
    };
    client.create_group(&active).await.unwrap();
    assert_eq!(group_calls(&sim), [2, 0, 1, 0, 0, 0, 0, 0]);
}

#[tokio::test]
async fn duplicate_group_names_are_typed_whether_409_or_400() {
    for status in [409, 400] {
        let sim = simulator(SimConfig {
            duplicate_group_name_status: Some(status),
            ..SimConfig::default()
        })
        .await;
        let client = client_for(&sim);
        let first = client.create_group(&group_fields("Twins")).await.unwrap();
        let error = client
            .create_group(&group_fields("twins"))
            .await
            .unwrap_err();
        assert!(error.is_duplicate_name(), "{status}: {error}");
        assert_eq!(error.status(), Some(status));
        let other = client.create_group(&group_fields("Other")).await.unwrap();
        let error = client
            .update_group(other.id, &group_fields("TWINS"))
            .await
            .unwrap_err();
        assert!(error.is_duplicate_name(), "{error}");
        assert_eq!(sim.store().groups().len(), 2);
        assert_eq!(
            client.find_group_by_name("Twins").await.unwrap(),
            Some(Group {
                default: None,
                ..first
            }),
            "reads leave default out"
        );
        assert_eq!(stats(&sim).group_create_requests, 3, "not retried");
    }
}

#[tokio::test]
async fn finding_a_group_by_name_is_exact_and_refuses_to_guess() {
    let sim = simulator(SimConfig {
        duplicate_group_name_status: None,
        ..SimConfig::default()
    })
    .await;
    let client = client_for(&sim);
    let sales = client.create_group(&group_fields("Sales")).await.unwrap();
    client
        .create_group(&group_fields("Sales Team"))
        .await
        .unwrap();
    let sales = Group {
        default: None,
        ..sales
    };
    assert_eq!(
        client.find_group_by_name("Sales").await.unwrap(),
        Some(sales.clone())
    );
    assert_eq!(
        client.find_group_by_name(" Sales ").await.unwrap(),
        Some(sales.clone())
    );
    assert_eq!(
        client.find_group_by_name("sales").await.unwrap(),
        None,
        "case counts"
    );
    assert_eq!(client.find_group_by_name("Nobody").await.unwrap(), None);

    let twin = client.create_group(&group_fields("Sales")).await.unwrap();
    let error = client.find_group_by_name("Sales").await.unwrap_err();
    match &error {
        DomoError::AmbiguousName { kind, name, ids } => {
            assert_eq!((*kind, name.as_str()), ("group", "Sales"));
            assert_eq!(ids, &vec![sales.id, twin.id]);
        }
        other => panic!("expected AmbiguousName, got {other}"),
    }
    let both = client.find_groups_by_name("Sales").await.unwrap();
    let twin = Group {
        default: None,
        ..twin
    };
    assert_eq!(both, vec![sales, twin]);
}

#[tokio::test]
async fn listing_groups_pages_even_when_domo_serves_fewer_than_asked() {
    let sim = simulator(SimConfig::default()).await;
    let client = client_for(&sim);
    let seeded = sim.store().seed_groups(1234, 0);
    let listed = client.list_all_groups().await.unwrap();
    assert_eq!(listed.iter().map(|g| g.id).collect::<Vec<_>>(), seeded);
    assert_eq!(stats(&sim).group_list_requests, 3, "500 + 500 + 234");

    sim.store().set_config(SimConfig {
        max_group_page_size: 100,
        ..SimConfig::default()
    });
    sim.store().reset_stats();
    assert_eq!(client.list_all_groups().await.unwrap().len(), 1234);
    assert_eq!(stats(&sim).group_list_requests, 13, "12 x 100 + 34");

    // A first page shorter than asked is confirmed by one more request.
    let small = simulator(SimConfig::default()).await;
    small.store().seed_groups(7, 0);
    assert_eq!(client_for(&small).list_all_groups().await.unwrap().len(), 7);
    assert_eq!(stats(&small).group_list_requests, 2);
    let empty = simulator(SimConfig::default()).await;
    assert!(client_for(&empty)
        .list_all_groups()
        .await
        .unwrap()
        .is_empty());
    assert_eq!(stats(&empty).group_list_requests, 1);
}

#[tokio::test]
async fn listing_five_thousand_members_costs_eleven_pages() {
    let sim = simulator(SimConfig::default()).await;
    let group = sim.store().seed_groups(1, 5000)[0];
    let client = client_for(&sim);
    let members = client.list_group_members(group).await.unwrap();
    let stored: Vec<u64> = sim
        .store()
        .group(group)
        .unwrap()
        .members
        .into_iter()
        .collect();
    assert_eq!(members, stored);
    assert_eq!(
        stats(&sim).group_member_list_requests,
        11,
        "10 full pages + 1 empty"
    );
    assert_eq!(stats(&sim).get_requests, 0, "no call per member");
    assert_eq!(stats(&sim).total_api_requests, 12, "and the token");

    let error = client.list_group_members(42).await.unwrap_err();
    assert!(error.is_not_found(), "{error}");
}

#[tokio::test]
async fn listing_members_survives_small_pages() {
    for (max, calls) in [(100, 13), (7, 177)] {
        let sim = simulator(SimConfig {
            max_group_member_page_size: max,
            ..SimConfig::default()
        })
        .await;
        let group = sim.store().seed_groups(1, 1234)[0];
        let members = client_for(&sim).list_group_members(group).await.unwrap();
        assert_eq!(members.len(), 1234);
        assert_eq!(
            members,
            sim.store()
                .group(group)
                .unwrap()
                .members
                .into_iter()
                .collect::<Vec<_>>()
        );
        assert_eq!(stats(&sim).group_member_list_requests, calls, "max {max}");
    }
}

#[tokio::test]
async fn member_changes_are_idempotent_under_every_switch() {
    // (already member, not member) statuses; extra GETs the client makes
    // to check an unexplained refusal.
    let cases = [
        (Some(400), Some(404), 1, 0),
        (Some(409), Some(400), 1, 1),
        (None, None, 0, 0),
    ];
    for (already, not_member, gets_on_readd, gets_on_reremove) in cases {
        let sim = simulator(SimConfig {
            already_member_status: already,
            not_member_status: not_member,
            ..SimConfig::default()
        })
        .await;
        let user = sim.store().seed_users(1)[0];
        let group = sim.store().seed_groups(1, 0)[0];
        let client = client_for(&sim);

        client.add_group_member(group, user).await.unwrap();
        client.add_group_member(group, user).await.unwrap();
        assert_eq!(client.list_group_members(group).await.unwrap(), vec![user]);
        assert_eq!(stats(&sim).group_member_add_requests, 2);
        assert_eq!(stats(&sim).get_requests, gets_on_readd, "{already:?}");

        sim.store().reset_stats();
        client.remove_group_member(group, user).await.unwrap();
        client.remove_group_member(group, user).await.unwrap();
        assert!(sim.store().group(group).unwrap().members.is_empty());
        assert_eq!(stats(&sim).group_member_remove_requests, 2);
        assert_eq!(stats(&sim).get_requests, gets_on_reremove, "{not_member:?}");

        // A missing group or user: adding fails typed, removing is done.
        let error = client.add_group_member(42, user).await.unwrap_err();
        assert!(error.is_not_found(), "{error}");
        let error = client.add_group_member(group, 42).await.unwrap_err();
        assert!(error.is_not_found(), "{error}");
        client.remove_group_member(42, user).await.unwrap();
        client.remove_group_member(group, 42).await.unwrap();
    }
}

#[tokio::test]
async fn an_unexplained_refusal_to_add_is_reported_when_the_user_is_not_a_member() {
    // A stub answering every member change 400, like a Domo refusing for
    // a reason of its own: the client checks, then reports Domo's words.
    use axum::http::StatusCode;
    use axum::routing::{get, put};
    use axum::{Json, Router};
    use serde_json::json;
    let app = Router::new()
        .route(
            "/oauth/token",
            get(|| async { Json(json!({"access_token": "t", "expires_in": 3599})) })
                .post(|| async { Json(json!({"access_token": "t", "expires_in": 3599})) }),
        )
        .route(
            "/v1/groups/{group}/users/{user}",
            put(|| async {
                (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"message": "Group is archived"})),
                )
            }),
        )
        .route(
            "/v1/users/{user}",
            get(|| async { Json(json!({"id": 5, "groups": [{"id": 9, "name": "Other"}]})) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let client = DomoClient::new(config_for(format!("http://{address}"))).unwrap();
    let error = client.add_group_member(7, 5).await.unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert!(error.to_string().contains("Group is archived"), "{error}");
    // Member of group 9 per its groups: the same refusal counts as done.
    client.add_group_member(9, 5).await.unwrap();
}

#[tokio::test]
async fn deleting_a_group_with_members_empties_it_first() {
    let sim = simulator(SimConfig::default()).await;
    let group = sim.store().seed_groups(1, 1234)[0];
    let keep = sim.store().seed_groups(1, 3)[0];
    let client = client_for(&sim);
    client.delete_group(group).await.unwrap();
    assert!(sim.store().group(group).is_none());
    assert_eq!(sim.store().users().len(), 1234, "users stay");
    assert_eq!(
        sim.store().group(keep).unwrap().members.len(),
        3,
        "others untouched"
    );
    // Refused, 3 member pages, 1,234 removals, deleted.
    assert_eq!(group_calls(&sim), [0, 0, 0, 2, 0, 3, 0, 1234]);

    // Where Domo deletes a group with its members: one call.
    sim.store().set_config(SimConfig {
        delete_group_with_members: true,
        ..SimConfig::default()
    });
    sim.store().reset_stats();
    client.delete_group(keep).await.unwrap();
    assert!(sim.store().groups().is_empty());
    assert_eq!(group_calls(&sim), [0, 0, 0, 1, 0, 0, 0, 0]);
}

#[tokio::test]
async fn deleting_an_empty_group_costs_one_call() {
    let sim = simulator(SimConfig::default()).await;
    let client = client_for(&sim);
    let group = sim.store().seed_groups(1, 0)[0];
    client.delete_group(group).await.unwrap();
    assert!(sim.store().groups().is_empty());
    assert_eq!(group_calls(&sim), [0, 0, 0, 1, 0, 0, 0, 0]);
}

#[tokio::test]
async fn an_uncertain_group_create_adopts_without_duplicating() {
    let sim = simulator(SimConfig {
        drop_connection_after_group_create: 1,
        ..SimConfig::default()
    })
    .await;
    sim.store().seed_groups(3, 0);
    let client = client_for(&sim);
    let created = client.create_group(&group_fields("Lost")).await.unwrap();
    assert_eq!(created.name, "Lost");
    let named: Vec<_> = sim
        .store()
        .groups()
        .into_iter()
        .filter(|g| g.name == "Lost")
        .collect();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].id, created.id);
    // One create, then one listing (a page of 4, and the empty page after).
    assert_eq!(group_calls(&sim), [1, 0, 0, 0, 2, 0, 0, 0]);
}

#[tokio::test]
async fn an_uncertain_create_adopts_the_newest_of_same_named_groups() {
    let sim = simulator(SimConfig {
        drop_connection_after_group_create: 1,
        duplicate_group_name_status: None,
        ..SimConfig::default()
    })
    .await;
    let older = sim.store().insert_group(crate::sim::SimGroup {
        name: "Lost".into(),
        ..Default::default()
    });
    let client = client_for(&sim);
    let created = client.create_group(&group_fields("Lost")).await.unwrap();
    assert_ne!(created.id, older);
    assert_eq!(sim.store().groups().len(), 2);
    assert_eq!(stats(&sim).group_create_requests, 1);

    // A lost create that never reached Domo (an injected 5xx) is not taken
    // for an older group of the same name that has members: it is re-sent.
    let user = sim.store().seed_users(1)[0];
    sim.store().add_member_directly(older, user);
    sim.store().add_member_directly(created.id, user);
    sim.store().set_config(SimConfig {
        error_rate: 1.0,
        duplicate_group_name_status: None,
        ..SimConfig::default()
    });
    let heal = {
        let store = sim.store();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            store.set_config(SimConfig {
                duplicate_group_name_status: None,
                ..SimConfig::default()
            });
        })
    };
    let third = client.create_group(&group_fields("Lost")).await;
    heal.await.unwrap();
    let third = third.unwrap();
    assert!(third.id != older && third.id != created.id);
    assert_eq!(sim.store().groups().len(), 3);
}

#[tokio::test]
async fn a_group_create_that_failed_with_5xx_is_resent_once_checked() {
    let sim = simulator(SimConfig::default()).await;
    let client = client_for(&sim);
    sim.store().set_config(SimConfig {
        error_rate: 1.0,
        ..SimConfig::default()
    });
    let heal = {
        let store = sim.store();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            store.set_config(SimConfig::default());
        })
    };
    let created = client.create_group(&group_fields("Again")).await;
    heal.await.unwrap();
    assert_eq!(created.unwrap().name, "Again");
    assert_eq!(sim.store().groups().len(), 1);
    assert_eq!(
        stats(&sim).group_create_requests,
        2,
        "checked, then re-sent once"
    );
    assert!(
        stats(&sim).group_list_requests >= 1,
        "looked up before re-sending"
    );
}

#[tokio::test]
async fn group_calls_ride_out_transient_errors() {
    let sim = simulator(SimConfig {
        error_rate: 0.3,
        ..SimConfig::default()
    })
    .await;
    let users = sim.store().seed_users(30);
    let client = client_with(&sim, |config| config.max_retries = 8);
    let group = client.create_group(&group_fields("Flaky")).await.unwrap();
    for &user in &users {
        client.add_group_member(group.id, user).await.unwrap();
    }
    assert_eq!(client.list_group_members(group.id).await.unwrap(), users);
    assert_eq!(client.list_all_groups().await.unwrap().len(), 1);
    client
        .remove_group_member(group.id, users[0])
        .await
        .unwrap();
    client.delete_group(group.id).await.unwrap();
    assert!(sim.store().groups().is_empty());
    assert!(stats(&sim).injected_errors > 0, "the test must meet errors");
}

#[tokio::test]
async fn membership_changes_are_never_followed_by_stale_listing_reads() {
    let sim = simulator(SimConfig::default()).await;
    let ids = sim.store().seed_users(600);
    let group = sim.store().seed_groups(1, 0)[0];
    let client = client_for(&sim);
    read_in_batches(&sim, &client, &ids, 10).await;
    let target = ids[550];
    assert_eq!(
        client.read_user(target).await.unwrap().unwrap().group_ids,
        Some(vec![])
    );
    client.add_group_member(group, target).await.unwrap();
    let read = client.read_user(target).await.unwrap().unwrap();
    assert_eq!(read.group_ids, Some(vec![group]));
    client.remove_group_member(group, target).await.unwrap();
    let read = client.read_user(target).await.unwrap().unwrap();
    assert_eq!(read.group_ids, Some(vec![]));
}

#[tokio::test]
async fn member_changes_run_together_and_fail_one_user_at_a_time() {
    let sim = simulator(SimConfig::default()).await;
    let store = sim.store();
    let group = store.seed_groups(1, 150)[0];
    let members: Vec<u64> = store.group(group).unwrap().members.into_iter().collect();
    let newcomers = store.seed_users(100);
    let gone = store.seed_users(1)[0];
    assert!(store.mark_deleted(gone));
    let client = client_with(&sim, |config| config.max_concurrent_requests = 4);
    let mut add = newcomers.clone();
    add.push(gone);
    let remove = &members[..100];
    store.reset_stats();

    let changes = client.change_group_members(group, &add, remove).await;

    let sorted = |mut ids: Vec<u64>| {
        ids.sort_unstable();
        ids
    };
    assert_eq!(sorted(changes.added), newcomers);
    assert_eq!(sorted(changes.removed), remove.to_vec());
    assert_eq!(changes.failed.len(), 1, "{:?}", changes.failed);
    let failure = &changes.failed[0];
    assert_eq!((failure.user_id, failure.adding), (gone, true));
    assert!(failure.error.is_not_found(), "{}", failure.error);
    let now: Vec<u64> = store.group(group).unwrap().members.into_iter().collect();
    assert_eq!(now, sorted([&members[100..], &newcomers[..]].concat()));
    // One call per change, nothing else but the token.
    let s = stats(&sim);
    assert_eq!(
        (s.group_member_add_requests, s.group_member_remove_requests),
        (101, 100)
    );
    assert_eq!(s.total_api_requests, 202, "{s:?}");
}

#[tokio::test]
async fn a_failure_that_is_not_about_one_user_stops_the_member_changes() {
    let sim = simulator(SimConfig::default()).await;
    let group = sim.store().seed_groups(1, 0)[0];
    let users = sim.store().seed_users(50);
    let client = client_with(&sim, |config| {
        config.client_secret = "wrong".into();
        config.max_concurrent_requests = 2;
    });
    let changes = client.change_group_members(group, &users, &[]).await;
    assert!(changes.added.is_empty());
    assert!(
        (1..=2).contains(&changes.failed.len()),
        "at most one failure per worker: {:?}",
        changes.failed
    );
    assert!(matches!(
        changes.failed[0].error,
        DomoError::Authentication { .. }
    ));
    assert!(sim.store().group(group).unwrap().members.is_empty());
}

#[tokio::test]
async fn membership_and_a_users_groups_are_read_with_or_without_groups_on_users() {
    for user_groups in [true, false] {
        let sim = simulator(SimConfig {
            user_groups,
            ..SimConfig::default()
        })
        .await;
        let store = sim.store();
        let groups = store.seed_groups(3, 2);
        let users: Vec<u64> = store
            .group(groups[0])
            .unwrap()
            .members
            .into_iter()
            .collect();
        assert!(store.remove_member_directly(groups[1], users[0]));
        let outsider = store.seed_users(1)[0];
        let gone = store.seed_users(1)[0];
        assert!(store.mark_deleted(gone));
        let client = client_for(&sim);

        let membership = |g, u| {
            let client = client.clone();
            async move { client.group_membership(g, u).await.unwrap() }
        };
        assert_eq!(membership(groups[0], users[0]).await, Membership::Member);
        assert_eq!(membership(groups[1], users[0]).await, Membership::NotMember);
        assert_eq!(membership(groups[0], outsider).await, Membership::NotMember);
        assert_eq!(membership(groups[0], gone).await, Membership::NoUser);
        assert_eq!(membership(999, users[0]).await, Membership::NoGroup);

        let user = client.get_user(users[0]).await.unwrap().unwrap();
        assert_eq!(user.group_ids.is_some(), user_groups);
        assert_eq!(
            client.user_group_ids(&user).await.unwrap(),
            vec![groups[0], groups[2]],
            "user_groups = {user_groups}"
        );
    }
}
