//! The one HTTP layer every Domo request goes through: the bearer token
//! (fetched and renewed single-flight), pacing and the in-flight limit,
//! per-attempt timeouts under the operation's deadline, retries with
//! backoff ([`Http::wait_to_retry`] is the one place a retry is timed,
//! counted and logged), and a debug log line per request. Tokens, the
//! client secret and Authorization headers are never logged.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use rand::Rng as _;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::time::Instant;

use super::auth::{parse_token_response, BearerToken, IssuedToken, TokenCache};
use super::error::DomoError;
use super::pacing::Pacer;
use super::retry::{
    classify_status, classify_transport_failure, server_requested_wait, Repeat, RetryBudget,
    Setback, Verdict,
};
use super::{ClientConfig, ClientStats};

const TOKEN_PATH: &str = "/oauth/token";
/// Longest error text quoted from a non-JSON error body.
const MAX_QUOTED_BODY: usize = 300;

/// What [`Http::create_once`] needs to know about one kind of object.
pub(crate) struct CreateOnce<'a, 'b> {
    /// The create (sent as [`Repeat::Unsafe`]: never resent blindly).
    pub request: &'a ApiRequest<'b>,
    /// What is created, for messages: "user", "group".
    pub kind: &'static str,
    /// What the lookup finds it by, for messages: "email", "name".
    pub key: &'static str,
    /// Whether an error answer says that key is taken.
    pub is_taken: fn(&DomoError) -> bool,
}

/// One logical operation (a public client call): its deadline bounds every
/// request, wait and retry made on its behalf.
pub(crate) struct Operation {
    started: Instant,
    deadline: Instant,
}

impl Operation {
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }
}

/// One API request, described once and sent as many times as needed.
pub(crate) struct ApiRequest<'a> {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<&'a Value>,
    pub repeat: Repeat,
}

/// Domo's final answer to a request (retries already done).
pub(crate) struct ApiResponse {
    pub status: u16,
    pub body: Vec<u8>,
    server_wait: Option<Duration>,
}

impl ApiResponse {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON, or `None` when it is empty or not JSON.
    pub(crate) fn json(&self) -> Option<Value> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        serde_json::from_slice(&self.body).ok()
    }
}

/// Why a request failed.
pub(crate) enum SendError {
    /// Definitely failed; the error says why.
    Failed(DomoError),
    /// A request that is unsafe to repeat may or may not have been processed
    /// (timeout, broken connection, 5xx): the caller must find out.
    MaybeProcessed(DomoError),
}

/// Request and retry counters, shared by all clones of a client.
#[derive(Default)]
struct Counters {
    requests_sent: AtomicU64,
    retries: AtomicU64,
    token_fetches: AtomicU64,
}

pub(crate) struct Http {
    /// Built on the first request: building it loads the system's trusted
    /// root certificates (a few milliseconds of file reading and parsing),
    /// which Terraform's provider processes that configure but never call
    /// Domo (plans of new resources, `-refresh=false`) need not pay.
    client: OnceLock<Result<reqwest::Client, String>>,
    /// `api_host` without its trailing slash; paths start with '/'.
    base_url: String,
    config: ClientConfig,
    pacer: Pacer,
    tokens: TokenCache,
    counters: Counters,
    /// Set once the token endpoint answered 405 to POST.
    token_via_get: AtomicBool,
    /// Set once Domo has answered anything: from then on a connection it
    /// refuses means it is down for a while, not that `api_host` is wrong.
    reached: AtomicBool,
}

enum Body<'a> {
    Empty,
    Json(&'a Value),
    Form(Vec<(&'static str, String)>),
}

enum Credentials<'a> {
    Bearer(&'a HeaderValue),
    ClientSecret,
}

/// One concrete HTTP request.
struct Outgoing<'a> {
    method: Method,
    path: &'a str,
    query: &'a [(&'static str, String)],
    body: Body<'a>,
    credentials: Credentials<'a>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TransportKind {
    /// No connection was made: the request certainly did not leave.
    Connect,
    /// The attempt ran out of time.
    TimedOut,
    /// The connection broke during the exchange.
    Broken,
}

enum AttemptFailure {
    DeadlinePassed,
    /// The HTTP client could not be set up: nothing was sent, and retrying
    /// cannot help.
    NoClient(DomoError),
    Transport {
        kind: TransportKind,
        detail: String,
    },
}

/// What a retried request last ran into.
enum RetryCause {
    Status(ApiResponse),
    Transport { kind: TransportKind, detail: String },
}

impl Http {
    pub(crate) fn new(config: ClientConfig, base_url: String) -> Http {
        Http {
            client: OnceLock::new(),
            base_url,
            pacer: Pacer::new(
                config.max_concurrent_requests,
                config.max_requests_per_minute,
            ),
            config,
            tokens: TokenCache::default(),
            counters: Counters::default(),
            token_via_get: AtomicBool::new(false),
            reached: AtomicBool::new(false),
        }
    }

    fn client(&self) -> Result<&reqwest::Client, DomoError> {
        let built = self.client.get_or_init(|| {
            reqwest::Client::builder()
                .user_agent(self.config.user_agent.clone())
                .connect_timeout(self.config.request_timeout.min(Duration::from_secs(10)))
                .build()
                .map_err(|error| format!("cannot set up the HTTP client: {}", chain(&error)))
        });
        built
            .as_ref()
            .map_err(|message| DomoError::InvalidConfig(message.clone()))
    }

    pub(crate) fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub(crate) fn operation(&self) -> Operation {
        let started = Instant::now();
        Operation {
            started,
            deadline: started + self.config.operation_timeout,
        }
    }

    pub(crate) fn stats(&self) -> ClientStats {
        ClientStats {
            requests_sent: self.counters.requests_sent.load(Ordering::Relaxed),
            retries: self.counters.retries.load(Ordering::Relaxed),
            token_fetches: self.counters.token_fetches.load(Ordering::Relaxed),
        }
    }

    #[cfg(test)]
    pub(crate) fn tokens(&self) -> &TokenCache {
        &self.tokens
    }

    /// Sends an API request with a bearer token, renewing the token once on
    /// 401 and retrying what [`classify_status`] and
    /// [`classify_transport_failure`] allow. Any status that is not retried
    /// comes back as `Ok` for the caller to interpret.
    pub(crate) async fn send(
        &self,
        op: &Operation,
        request: &ApiRequest<'_>,
    ) -> Result<ApiResponse, SendError> {
        let mut rejected_token = None;
        let mut renewed_after_401 = false;
        let mut budget = RetryBudget::default();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let token = self
                .bearer_token(op, request, rejected_token.take())
                .await
                .map_err(SendError::Failed)?;
            let outgoing = Outgoing {
                method: request.method.clone(),
                path: &request.path,
                query: &request.query,
                body: request.body.map_or(Body::Empty, Body::Json),
                credentials: Credentials::Bearer(&token.header),
            };
            let cause = match self.attempt(op, &outgoing, attempt).await {
                // An expired or revoked token: renew once (single-flight,
                // only if still current) and resend. A rejected request was
                // not processed, so this is safe even for a create.
                Ok(response) if response.status == 401 && !renewed_after_401 => {
                    renewed_after_401 = true;
                    rejected_token = Some(token.generation);
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                Ok(response) if response.status == 401 => {
                    let (message, toe) = error_details(&response);
                    return Err(SendError::Failed(DomoError::Authentication {
                        status: 401,
                        message: format!("Domo refused a freshly issued access token: {message}"),
                        toe,
                    }));
                }
                Ok(response) => match classify_status(response.status, request.repeat) {
                    Verdict::Final => return Ok(response),
                    Verdict::Ambiguous => {
                        return Err(SendError::MaybeProcessed(status_error(request, &response)))
                    }
                    Verdict::Retry => RetryCause::Status(response),
                },
                Err(AttemptFailure::DeadlinePassed) => {
                    return Err(SendError::Failed(timeout_error(op, request)))
                }
                Err(AttemptFailure::NoClient(error)) => return Err(SendError::Failed(error)),
                Err(AttemptFailure::Transport { kind, detail }) => {
                    let cause = RetryCause::Transport { kind, detail };
                    let reached_server = kind != TransportKind::Connect;
                    if classify_transport_failure(reached_server, request.repeat)
                        == Verdict::Ambiguous
                    {
                        return Err(SendError::MaybeProcessed(
                            self.cause_error(op, request, attempt, cause),
                        ));
                    }
                    cause
                }
            };
            let setback = self.setback(&cause);
            if !self
                .wait_to_retry(op, request, &mut budget, setback, "retrying Domo request")
                .await
            {
                return Err(SendError::Failed(
                    self.cause_error(op, request, attempt, cause),
                ));
            }
        }
    }

    /// Sends a create without ever making two objects. When the answer is
    /// lost and the create may have reached Domo, `find` looks the object up
    /// by its unique key and adopts it; only when Domo has none is the
    /// create sent again, within the retry budget. A "taken" answer after
    /// such an attempt means the attempt did create it, so that object is
    /// looked for a few times (the listing may lag behind the create). A
    /// success whose answer holds no object (`parse` gives `None`) is
    /// settled by `find` too.
    pub(crate) async fn create_once<T, Fut>(
        &self,
        op: &Operation,
        create: CreateOnce<'_, '_>,
        parse: impl Fn(&Value) -> Option<T>,
        mut find: impl FnMut() -> Fut,
    ) -> Result<T, DomoError>
    where
        Fut: std::future::Future<Output = Result<Option<T>, DomoError>>,
    {
        let CreateOnce {
            request,
            kind,
            key,
            is_taken,
        } = create;
        let mut resends = RetryBudget::default();
        let mut may_exist_already = false;
        loop {
            let uncertain = match self.send(op, request).await {
                Ok(response) if response.is_success() => {
                    if let Some(created) = response.json().as_ref().and_then(&parse) {
                        return Ok(created);
                    }
                    // No object in the answer: fetch what was created.
                    return find().await?.ok_or_else(|| {
                        invalid_response(
                            request,
                            response.status,
                            format!(
                                "Domo reported success but returned no {kind}, \
                                 and no {kind} with this {key} can be found"
                            ),
                        )
                    });
                }
                Ok(response) => {
                    let error = status_error(request, &response);
                    if may_exist_already && is_taken(&error) {
                        // An earlier attempt did create it after all.
                        let why = "looking again for what an earlier create made";
                        if let Some(created) =
                            self.look_for_created(op, request, why, &mut find).await?
                        {
                            tracing::debug!(kind, "adopting what an earlier create made");
                            return Ok(created);
                        }
                    }
                    return Err(error);
                }
                Err(SendError::Failed(error)) => return Err(error),
                Err(SendError::MaybeProcessed(error)) => error,
            };
            may_exist_already = true;
            tracing::debug!(error = %uncertain, kind, key, "create may have reached Domo; looking it up");
            if let Some(created) = find().await? {
                tracing::debug!(kind, "adopting what an uncertain create made");
                return Ok(created);
            }
            let why = "resending a create after checking Domo has no such object";
            let setback = Setback::Transient { server_wait: None };
            if !self
                .wait_to_retry(op, request, &mut resends, setback, why)
                .await
            {
                return Err(uncertain);
            }
        }
    }

    /// Runs `lookup` until it finds something, at most three times, waiting
    /// with backoff in between (`why` is logged with each wait), in case
    /// Domo's listing lags behind the create being looked for.
    async fn look_for_created<T, Fut>(
        &self,
        op: &Operation,
        request: &ApiRequest<'_>,
        why: &'static str,
        mut lookup: impl FnMut() -> Fut,
    ) -> Result<Option<T>, DomoError>
    where
        Fut: std::future::Future<Output = Result<Option<T>, DomoError>>,
    {
        const LOOKUPS: u32 = 3;
        let mut budget = RetryBudget::default();
        for attempt in 1..=LOOKUPS {
            if let Some(found) = lookup().await? {
                return Ok(Some(found));
            }
            let setback = Setback::Transient { server_wait: None };
            if attempt == LOOKUPS
                || !self
                    .wait_to_retry(op, request, &mut budget, setback, why)
                    .await
            {
                break;
            }
        }
        Ok(None)
    }

    /// Waits before one more retry of `request` after `setback`, when its
    /// budget and the operation's deadline allow; false when they do not.
    /// Also used by callers that drive a step themselves (resending a
    /// create they checked was not processed, looking again for a user).
    pub(crate) async fn wait_to_retry(
        &self,
        op: &Operation,
        request: &ApiRequest<'_>,
        budget: &mut RetryBudget,
        setback: Setback,
        why: &'static str,
    ) -> bool {
        let now = Instant::now();
        let remaining = op.deadline.saturating_duration_since(now);
        let jitter = rand::rng().random::<f64>();
        let Ok(delay) = budget.next_wait(setback, self.config.max_retries, remaining, jitter)
        else {
            return false;
        };
        self.counters.retries.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(
            method = %request.method,
            path = %request.path,
            retry = budget.total(),
            ?setback,
            delay_ms = delay.as_millis() as u64,
            "{why}"
        );
        tokio::time::sleep_until(now + delay).await;
        true
    }

    /// How a failure that is worth retrying counts against the budget.
    fn setback(&self, cause: &RetryCause) -> Setback {
        match cause {
            RetryCause::Status(response) if response.status == 429 => Setback::RateLimited {
                server_wait: response.server_wait,
            },
            RetryCause::Status(response) => Setback::Transient {
                server_wait: response.server_wait,
            },
            RetryCause::Transport {
                kind: TransportKind::Connect,
                ..
            } if self.reached.load(Ordering::Relaxed) => Setback::Refused,
            RetryCause::Transport { .. } => Setback::Transient { server_wait: None },
        }
    }

    /// A token for `request`, fetched or renewed single-flight.
    async fn bearer_token(
        &self,
        op: &Operation,
        request: &ApiRequest<'_>,
        rejected: Option<u64>,
    ) -> Result<BearerToken, DomoError> {
        self.tokens
            .token(rejected, op.deadline, || self.fetch_token(op))
            .await
            .unwrap_or_else(|| Err(timeout_error(op, request)))
    }

    /// Asks the token endpoint for a token: POST with a form body, or GET
    /// with query parameters once the endpoint answered 405 to POST.
    async fn fetch_token(&self, op: &Operation) -> Result<IssuedToken, DomoError> {
        let mut budget = RetryBudget::default();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let via_get = self.token_via_get.load(Ordering::Relaxed);
            let mut parameters = vec![("grant_type", "client_credentials".to_string())];
            if !self.config.scope.is_empty() {
                parameters.push(("scope", self.config.scope.clone()));
            }
            let (method, query, body) = if via_get {
                (Method::GET, parameters, Body::Empty)
            } else {
                (Method::POST, Vec::new(), Body::Form(parameters))
            };
            let description = ApiRequest {
                method: method.clone(),
                path: TOKEN_PATH.to_string(),
                query: Vec::new(),
                body: None,
                repeat: Repeat::Safe,
            };
            let outgoing = Outgoing {
                method,
                path: TOKEN_PATH,
                query: &query,
                body,
                credentials: Credentials::ClientSecret,
            };
            let cause = match self.attempt(op, &outgoing, attempt).await {
                Ok(response) if response.status == 405 && !via_get => {
                    tracing::debug!("Domo's token endpoint refused POST; using GET from now on");
                    self.token_via_get.store(true, Ordering::Relaxed);
                    continue;
                }
                Ok(response) if response.is_success() => {
                    return parse_token_response(&response.body).map_err(|detail| {
                        DomoError::InvalidResponse {
                            method: description.method.to_string(),
                            path: TOKEN_PATH.to_string(),
                            status: response.status,
                            detail,
                        }
                    });
                }
                Ok(response) if matches!(response.status, 400 | 401 | 403) => {
                    let (message, toe) = error_details(&response);
                    return Err(DomoError::Authentication {
                        status: response.status,
                        message,
                        toe,
                    });
                }
                Ok(response) => match classify_status(response.status, Repeat::Safe) {
                    Verdict::Retry => RetryCause::Status(response),
                    _ => return Err(status_error(&description, &response)),
                },
                Err(AttemptFailure::DeadlinePassed) => return Err(timeout_error(op, &description)),
                Err(AttemptFailure::NoClient(error)) => return Err(error),
                Err(AttemptFailure::Transport { kind, detail }) => {
                    RetryCause::Transport { kind, detail }
                }
            };
            let setback = self.setback(&cause);
            if !self
                .wait_to_retry(
                    op,
                    &description,
                    &mut budget,
                    setback,
                    "retrying token request",
                )
                .await
            {
                return Err(self.cause_error(op, &description, attempt, cause));
            }
        }
    }

    /// The error to report for the last failure of a request.
    fn cause_error(
        &self,
        op: &Operation,
        request: &ApiRequest<'_>,
        attempts: u32,
        cause: RetryCause,
    ) -> DomoError {
        match cause {
            RetryCause::Status(response) if response.status == 429 => DomoError::RateLimited {
                method: request.method.to_string(),
                path: request.path.clone(),
                attempts,
                waited: op.started.elapsed(),
                limit: self.config.operation_timeout,
                requested_wait: response.server_wait,
            },
            RetryCause::Status(response) => status_error(request, &response),
            RetryCause::Transport {
                kind: TransportKind::Connect,
                detail,
            } => DomoError::Unreachable {
                host: self.base_url.clone(),
                source_msg: detail,
            },
            RetryCause::Transport {
                kind: TransportKind::TimedOut,
                ..
            } => timeout_error(op, request),
            RetryCause::Transport {
                kind: TransportKind::Broken,
                detail,
            } => DomoError::ConnectionLost {
                method: request.method.to_string(),
                path: request.path.clone(),
                source_msg: detail,
            },
        }
    }

    /// Sends one HTTP request once: waits for its turn, bounds it by the
    /// per-attempt timeout and the deadline, reads the whole body, logs.
    async fn attempt(
        &self,
        op: &Operation,
        outgoing: &Outgoing<'_>,
        attempt: u32,
    ) -> Result<ApiResponse, AttemptFailure> {
        let _in_flight = self
            .pacer
            .turn(op.deadline)
            .await
            .map_err(|_| AttemptFailure::DeadlinePassed)?;
        let started = Instant::now();
        let remaining = op.deadline.saturating_duration_since(started);
        if remaining.is_zero() {
            return Err(AttemptFailure::DeadlinePassed);
        }
        let attempt_timeout = self.config.request_timeout.min(remaining);

        let url = format!("{}{}", self.base_url, outgoing.path);
        let mut builder = self
            .client()
            .map_err(AttemptFailure::NoClient)?
            .request(outgoing.method.clone(), url)
            .timeout(attempt_timeout);
        if !outgoing.query.is_empty() {
            builder = builder.query(outgoing.query);
        }
        builder = match &outgoing.body {
            Body::Empty => builder,
            Body::Json(json) => builder.json(json),
            Body::Form(form) => builder.form(form),
        };
        builder = match outgoing.credentials {
            Credentials::Bearer(header) => builder.header(AUTHORIZATION, header.clone()),
            Credentials::ClientSecret => {
                self.counters.token_fetches.fetch_add(1, Ordering::Relaxed);
                builder.basic_auth(&self.config.client_id, Some(&self.config.client_secret))
            }
        };
        self.counters.requests_sent.fetch_add(1, Ordering::Relaxed);

        let exchange = async {
            let response = builder.send().await?;
            let status = response.status();
            // Read the hint now rather than copy the headers for later.
            let server_wait = wait_hint(status, response.headers());
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, server_wait, Vec::from(body)))
        };
        // reqwest enforces the timeout too; this outer bound also covers
        // anything reqwest might not.
        let result = tokio::time::timeout(attempt_timeout, exchange).await;
        let duration_ms = started.elapsed().as_millis() as u64;
        let (method, path) = (&outgoing.method, outgoing.path);
        match result {
            Ok(Ok((status, server_wait, body))) => {
                tracing::debug!(%method, path, status = status.as_u16(), attempt, duration_ms, "Domo request");
                self.reached.store(true, Ordering::Relaxed);
                if status == StatusCode::TOO_MANY_REQUESTS {
                    self.pacer.rate_limited(server_wait);
                } else {
                    self.pacer.answered();
                }
                Ok(ApiResponse {
                    status: status.as_u16(),
                    server_wait,
                    body,
                })
            }
            Ok(Err(error)) => {
                let kind = if error.is_connect() {
                    TransportKind::Connect
                } else if error.is_timeout() {
                    TransportKind::TimedOut
                } else {
                    TransportKind::Broken
                };
                let detail = chain(&error.without_url());
                tracing::debug!(%method, path, attempt, duration_ms, error = %detail, "Domo request failed");
                Err(AttemptFailure::Transport { kind, detail })
            }
            Err(_elapsed) => {
                tracing::debug!(%method, path, attempt, duration_ms, "Domo request timed out");
                Err(AttemptFailure::Transport {
                    kind: TransportKind::TimedOut,
                    detail: format!("no answer within {:.1}s", attempt_timeout.as_secs_f64()),
                })
            }
        }
    }
}

/// The server's "come back later" hint on throttling or overload answers.
fn wait_hint(status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
    if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::SERVICE_UNAVAILABLE {
        return None;
    }
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    server_requested_wait(
        header(RETRY_AFTER.as_str()),
        header("x-ratelimit-reset"),
        SystemTime::now(),
    )
}

/// Domo's error message and trace id (`toe`) from an error answer, or a
/// quote of whatever else the body holds.
pub(crate) fn error_details(response: &ApiResponse) -> (String, Option<String>) {
    if let Some(Value::Object(fields)) = response.json() {
        let text = |key: &str| {
            fields
                .get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_string)
        };
        let message = text("message")
            .or_else(|| text("error_description"))
            .or_else(|| text("statusReason"))
            .or_else(|| text("error"));
        if let Some(message) = message {
            return (message, text("toe"));
        }
    }
    let quoted: String = String::from_utf8_lossy(&response.body)
        .trim()
        .chars()
        .take(MAX_QUOTED_BODY)
        .collect();
    if !quoted.is_empty() {
        return (quoted, None);
    }
    let reason = StatusCode::from_u16(response.status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("no details given");
    (reason.to_string(), None)
}

/// The error for an answer the caller did not expect.
pub(crate) fn status_error(request: &ApiRequest<'_>, response: &ApiResponse) -> DomoError {
    let (message, toe) = error_details(response);
    DomoError::Api {
        method: request.method.to_string(),
        path: request.path.clone(),
        status: response.status,
        message,
        toe,
    }
}

/// The error for an answer that is not what Domo documents.
pub(crate) fn invalid_response(
    request: &ApiRequest<'_>,
    status: u16,
    detail: impl Into<String>,
) -> DomoError {
    DomoError::InvalidResponse {
        method: request.method.to_string(),
        path: request.path.clone(),
        status,
        detail: detail.into(),
    }
}

fn timeout_error(op: &Operation, request: &ApiRequest<'_>) -> DomoError {
    DomoError::Timeout {
        method: request.method.to_string(),
        path: request.path.clone(),
        waited: op.started.elapsed(),
    }
}

/// An error and its causes, joined: reqwest's own message alone ("error
/// sending request") does not say what happened.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> ApiResponse {
        ApiResponse {
            status,
            body: body.as_bytes().to_vec(),
            server_wait: None,
        }
    }

    #[test]
    fn error_details_prefer_domos_message_and_toe() {
        let (message, toe) = error_details(&response(
            400,
            r#"{"status":400,"statusReason":"Bad Request","message":"Email is invalid","toe":"T-1"}"#,
        ));
        assert_eq!(message, "Email is invalid");
        assert_eq!(toe.as_deref(), Some("T-1"));
        let (message, _) = error_details(&response(
            401,
            r#"{"error":"invalid_client","error_description":"Bad credentials"}"#,
        ));
        assert_eq!(message, "Bad credentials");
        let (message, toe) = error_details(&response(502, "<html>Bad gateway</html>"));
        assert_eq!(message, "<html>Bad gateway</html>");
        assert_eq!(toe, None);
        let (message, _) = error_details(&response(503, ""));
        assert_eq!(message, "Service Unavailable");
    }

    #[test]
    fn wait_hints_are_read_only_from_throttling_answers() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(
            wait_hint(StatusCode::TOO_MANY_REQUESTS, &headers),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            wait_hint(StatusCode::SERVICE_UNAVAILABLE, &headers),
            Some(Duration::from_secs(3))
        );
        assert_eq!(wait_hint(StatusCode::OK, &headers), None);
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("2"));
        assert_eq!(
            wait_hint(StatusCode::TOO_MANY_REQUESTS, &headers),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn empty_bodies_are_not_json() {
        assert!(response(200, "").json().is_none());
        assert!(response(200, "  \n").json().is_none());
        assert!(response(200, "{}").json().is_some());
    }
}
