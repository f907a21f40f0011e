//! What every API request (everything but `/_sim` admin) goes through before
//! its handler: counting, latency, the rate limit, injected errors and the
//! bearer token check, in the order a real gateway would apply them; and,
//! after the handler, the delay of the answer on its way back.

use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;

use super::error::ApiError;
use super::store::{SimStats, SimStore, State as SimState};

/// The operation a request asks for, for the per-operation counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operation {
    Token,
    List,
    Get,
    Create,
    Update,
    Delete,
    GroupList,
    GroupGet,
    GroupCreate,
    GroupUpdate,
    GroupDelete,
    MemberList,
    MemberAdd,
    MemberRemove,
    Other,
}

impl Operation {
    fn of(method: &Method, path: &str) -> Operation {
        let path = path.trim_end_matches('/');
        if path == "/oauth/token" {
            return Operation::Token;
        }
        let Some(rest) = path.strip_prefix("/v1/") else {
            return Operation::Other;
        };
        let segments: Vec<&str> = rest.split('/').collect();
        if segments.iter().any(|segment| segment.is_empty()) {
            return Operation::Other;
        }
        match (segments.as_slice(), method) {
            (["users"], &Method::GET) => Operation::List,
            (["users"], &Method::POST) => Operation::Create,
            (["users", _], &Method::GET) => Operation::Get,
            (["users", _], &Method::PUT) => Operation::Update,
            (["users", _], &Method::DELETE) => Operation::Delete,
            (["groups"], &Method::GET) => Operation::GroupList,
            (["groups"], &Method::POST) => Operation::GroupCreate,
            (["groups", _], &Method::GET) => Operation::GroupGet,
            (["groups", _], &Method::PUT) => Operation::GroupUpdate,
            (["groups", _], &Method::DELETE) => Operation::GroupDelete,
            (["groups", _, "users"], &Method::GET) => Operation::MemberList,
            (["groups", _, "users", _], &Method::PUT) => Operation::MemberAdd,
            (["groups", _, "users", _], &Method::DELETE) => Operation::MemberRemove,
            _ => Operation::Other,
        }
    }

    fn count(self, stats: &mut SimStats) {
        stats.total_api_requests += 1;
        let counter = match self {
            Operation::Token => &mut stats.token_requests,
            Operation::List => &mut stats.list_requests,
            Operation::Get => &mut stats.get_requests,
            Operation::Create => &mut stats.create_requests,
            Operation::Update => &mut stats.update_requests,
            Operation::Delete => &mut stats.delete_requests,
            Operation::GroupList => &mut stats.group_list_requests,
            Operation::GroupGet => &mut stats.group_get_requests,
            Operation::GroupCreate => &mut stats.group_create_requests,
            Operation::GroupUpdate => &mut stats.group_update_requests,
            Operation::GroupDelete => &mut stats.group_delete_requests,
            Operation::MemberList => &mut stats.group_member_list_requests,
            Operation::MemberAdd => &mut stats.group_member_add_requests,
            Operation::MemberRemove => &mut stats.group_member_remove_requests,
            Operation::Other => return,
        };
        *counter += 1;
    }
}

/// Middleware in front of the API routes.
pub(crate) async fn api_gate(
    State(store): State<SimStore>,
    request: Request,
    next: Next,
) -> Response {
    let operation = Operation::of(request.method(), request.uri().path());
    let latency = {
        let mut state = store.lock();
        operation.count(&mut state.stats);
        state.config.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let rejection = {
        let mut state = store.lock();
        if let Some(response) = rate_limited(&mut state) {
            Some(response)
        } else if operation == Operation::Token {
            None
        } else if let Some(response) = injected_error(&mut state) {
            Some(response)
        } else {
            check_bearer_token(&state, request.headers())
                .err()
                .map(IntoResponse::into_response)
        }
    };
    let response = match rejection {
        Some(response) => response,
        None => next.run(request).await,
    };
    let response_latency = store.lock().config.response_latency;
    if !response_latency.is_zero() {
        tokio::time::sleep(response_latency).await;
    }
    response
}

/// A 429 when the current one-second window is full. Rejected requests do not
/// use up the window.
fn rate_limited(state: &mut SimState) -> Option<Response> {
    let limit = state.config.rate_limit_per_second?;
    let now = Instant::now();
    if now.duration_since(state.rate_window.0) >= Duration::from_secs(1) {
        state.rate_window = (now, 0);
    }
    if state.rate_window.1 < limit {
        state.rate_window.1 += 1;
        return None;
    }
    state.stats.rejected_rate_limited += 1;
    let mut response =
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded").into_response();
    if state.config.retry_after_header {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    Some(response)
}

/// With probability `error_rate`, a transient 500, 502 or 503.
fn injected_error(state: &mut SimState) -> Option<Response> {
    let rate = state.config.error_rate;
    let mut rng = rand::rng();
    if !(rate > 0.0 && rng.random::<f64>() < rate) {
        return None;
    }
    state.stats.injected_errors += 1;
    let status = [
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::BAD_GATEWAY,
        StatusCode::SERVICE_UNAVAILABLE,
    ][rng.random_range(0..3)];
    Some(ApiError::new(status, "Injected transient error").into_response())
}

/// `Authorization: bearer <token>` (scheme case-insensitive) with a live token.
fn check_bearer_token(state: &SimState, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| {
            ApiError::unauthorized("Full authentication is required to access this resource")
        })?;
    match state.tokens.get(token) {
        Some(expiry) if *expiry > Instant::now() => Ok(()),
        Some(_) => Err(ApiError::unauthorized("Access token expired")),
        None => Err(ApiError::unauthorized("Invalid access token")),
    }
}
