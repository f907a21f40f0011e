//! Switches that choose how the simulator plays the parts of Domo's API that
//! are undocumented or unreliable (see `shared/domo-api.md`).

use std::time::Duration;

/// How the simulator behaves. Every switch can be changed while it runs
/// (`SimStore::set_config`).
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// OAuth client id accepted by `/oauth/token`.
    pub client_id: String,
    /// OAuth client secret accepted by `/oauth/token`.
    pub client_secret: String,
    /// Lifetime of issued tokens; `expires_in` reports it in whole seconds (at least 1).
    pub token_ttl: Duration,
    /// Status for a create or update whose email another live user has: 409 or 400.
    pub duplicate_email_status: u16,
    /// `false`: `PUT /v1/users/{id}` answers 200 with an empty body.
    pub put_returns_body: bool,
    /// `true`: emails are stored and returned lower-cased.
    pub lowercase_emails: bool,
    /// Delay added to every API request (not to `/_sim` admin requests).
    pub latency: Duration,
    /// Delay between an API request being processed and its answer being
    /// sent: a create is stored at once, its answer comes this much later
    /// (a slow network on the way back, or a busy gateway).
    pub response_latency: Duration,
    /// Requests admitted per fixed one-second window (token endpoint included); over it: 429.
    pub rate_limit_per_second: Option<u32>,
    /// Whether a 429 carries `Retry-After: 1`.
    pub retry_after_header: bool,
    /// Probability in [0, 1] that an API request (not the token endpoint)
    /// answers 500, 502 or 503 without performing the operation.
    pub error_rate: f64,
    /// For this long after a user is created through the API, reading it by id answers 404.
    pub read_after_create_404: Duration,
    /// The next N successful creates store the user, then drop the connection
    /// without an answer. Counts down as it fires.
    pub drop_connection_after_create: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            client_id: "sim-client".to_string(),
            client_secret: "sim-secret".to_string(),
            token_ttl: Duration::from_secs(3600),
            duplicate_email_status: 409,
            put_returns_body: true,
            lowercase_emails: false,
            latency: Duration::ZERO,
            response_latency: Duration::ZERO,
            rate_limit_per_second: None,
            retry_after_header: true,
            error_rate: 0.0,
            read_after_create_404: Duration::ZERO,
            drop_connection_after_create: 0,
        }
    }
}
