//! The Domo API client: OAuth client-credentials auth, the Users and Groups
//! endpoints, retries with backoff, client-side pacing and typed errors. It
//! knows nothing of Terraform.
//!
//! Layout: [`http`] is the single HTTP layer every request goes through
//! (token, pacing, deadline, retries, logging); [`auth`] caches the token;
//! [`retry`] and [`pacing`] hold the timing policy as pure, tested
//! functions; [`users`] and [`groups`] implement the endpoints, walking
//! listings by the one rule in [`paging`]; [`directory`] serves reads of
//! many users from one shared, paged listing; [`listing`] hands out a
//! listing a page at a time, for callers that stream it; [`bulk`] applies many user
//! changes concurrently; [`model`] the user JSON; [`roles`] Domo's default
//! roles.

pub mod error;
pub mod model;
pub mod roles;

mod auth;
mod bulk;
mod directory;
mod groups;
mod http;
mod listing;
mod pacing;
mod paging;
mod retry;
mod users;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

pub use bulk::{ChangeDone, UserChange};
pub use error::DomoError;
pub use groups::{Group, GroupFields, MemberChangeFailure, MemberChanges, Membership};
pub use listing::{GroupPages, UserPages};
pub use model::{same_email, User, UserFields};

// For the fuzz targets (crate::fuzzing) only.
pub(crate) use auth::parse_token_response;

/// Domo's public API host.
pub const DEFAULT_API_HOST: &str = "https://api.domo.com";

/// How to reach and authenticate against Domo, and how hard to try.
#[derive(Clone)]
pub struct ClientConfig {
    /// e.g. "https://api.domo.com" or "http://127.0.0.1:8787"; a trailing
    /// slash is tolerated.
    pub api_host: String,
    pub client_id: String,
    /// Never logged, and redacted from `Debug`.
    pub client_secret: String,
    /// Space-separated OAuth scopes; empty asks for all scopes of the client.
    pub scope: String,
    /// Retries per request after the first attempt.
    pub max_retries: u32,
    /// Bound for each single attempt.
    pub request_timeout: Duration,
    /// Bound for a whole operation, retries and waits included.
    pub operation_timeout: Duration,
    /// Client-side rate shared by all concurrent operations; `None` = unlimited.
    pub max_requests_per_minute: Option<u32>,
    /// Most requests in flight at once.
    pub max_concurrent_requests: usize,
    pub user_agent: String,
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig {
            api_host: DEFAULT_API_HOST.to_string(),
            client_id: String::new(),
            client_secret: String::new(),
            scope: "user".to_string(),
            max_retries: 5,
            request_timeout: Duration::from_secs(30),
            operation_timeout: Duration::from_secs(5 * 60),
            max_requests_per_minute: None,
            max_concurrent_requests: 16,
            user_agent: format!("terraform-provider-domo/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

// Written by hand so that the secret never reaches a log through `{:?}`.
impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = if self.client_secret.is_empty() {
            "(empty)"
        } else {
            "(redacted)"
        };
        f.debug_struct("ClientConfig")
            .field("api_host", &self.api_host)
            .field("client_id", &self.client_id)
            .field("client_secret", &secret)
            .field("scope", &self.scope)
            .field("max_retries", &self.max_retries)
            .field("request_timeout", &self.request_timeout)
            .field("operation_timeout", &self.operation_timeout)
            .field("max_requests_per_minute", &self.max_requests_per_minute)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// Counters of one client (all its clones), for tests and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP requests sent, token requests included.
    pub requests_sent: u64,
    /// Requests sent again: backoff retries, resends after a 401, and
    /// create resends after checking the user was not created.
    pub retries: u64,
    /// HTTP requests sent to the token endpoint.
    pub token_fetches: u64,
}

/// A Domo API client. Cheap to clone; clones share the token, the pacing
/// and the counters.
#[derive(Clone)]
pub struct DomoClient {
    inner: Arc<http::Http>,
    /// The user listing shared by all reads (see [`directory`]).
    directory: Arc<directory::Directory>,
    /// Role ids as the instance reports them (see [`roles`]).
    roles: Arc<roles::RoleBook>,
}

impl std::fmt::Debug for DomoClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomoClient")
            .field("api_host", &self.inner.config().api_host)
            .finish_non_exhaustive()
    }
}

impl DomoClient {
    /// Checks the configuration and sets the client up; sends nothing.
    pub fn new(config: ClientConfig) -> Result<DomoClient, DomoError> {
        let problems = config.problems();
        if !problems.is_empty() {
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(DomoError::InvalidConfig(text.join("; ")));
        }
        let base_url = config.api_host.trim().trim_end_matches('/').to_string();
        Ok(DomoClient {
            inner: Arc::new(http::Http::new(config, base_url)),
            directory: Arc::default(),
            roles: Arc::default(),
        })
    }

    /// Counters since the client was created.
    pub fn stats(&self) -> ClientStats {
        self.inner.stats()
    }
}

/// A client setting that cannot work, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{setting} {problem}")]
pub struct SettingError {
    /// The setting's name, as the provider block spells it.
    pub setting: &'static str,
    pub problem: String,
}

impl ClientConfig {
    /// Every problem with these settings; empty when a client can work with
    /// them. The one place the settings' rules live: the provider reports
    /// these at plan time, pointing at each setting.
    pub fn problems(&self) -> Vec<SettingError> {
        let mut problems = Vec::new();
        let mut problem = |setting: &'static str, problem: String| {
            problems.push(SettingError { setting, problem })
        };
        if let Err(why) = check_api_host(&self.api_host) {
            problem(
                "api_host",
                format!(
                    "{:?} {why}; expected something like {DEFAULT_API_HOST}",
                    self.api_host
                ),
            );
        }
        if self.max_concurrent_requests == 0 {
            problem(
                "max_concurrent_requests",
                "must be at least 1: one request at a time is the least".to_string(),
            );
        }
        if self.max_requests_per_minute == Some(0) {
            problem(
                "max_requests_per_minute",
                "must be at least 1 (leave it unset for no limit)".to_string(),
            );
        }
        if self.request_timeout.is_zero() {
            problem("request_timeout", "must be longer than zero".to_string());
        }
        if self.operation_timeout.is_zero() {
            problem("operation_timeout", "must be longer than zero".to_string());
        }
        problems
    }
}

/// Checks `api_host` is an http(s) URL with a host and without query or
/// fragment (paths are appended to it).
fn check_api_host(api_host: &str) -> Result<(), String> {
    let trimmed = api_host.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Err("is empty".to_string());
    }
    let url = reqwest::Url::parse(trimmed).map_err(|error| format!("is not a URL ({error})"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err("must start with https:// (or http:// for a local simulator)".to_string());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host name".to_string());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod config_tests {
    use super::*;

    #[test]
    fn api_host_must_be_an_http_url() {
        assert!(check_api_host("https://api.domo.com/").is_ok());
        assert!(check_api_host("http://127.0.0.1:8787").is_ok());
        for bad in [
            "",
            "api.domo.com",
            "ftp://api.domo.com",
            "https://",
            "http://h/?x=1",
        ] {
            let config = ClientConfig {
                api_host: bad.into(),
                ..Default::default()
            };
            let problems = config.problems();
            assert_eq!(problems.len(), 1, "{bad}");
            assert_eq!(problems[0].setting, "api_host");
            let error = DomoClient::new(config).unwrap_err();
            assert!(
                matches!(error, DomoError::InvalidConfig(_)),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn new_checks_limits_and_sends_nothing() {
        assert!(DomoClient::new(ClientConfig::default()).is_ok());
        let zero = ClientConfig {
            max_concurrent_requests: 0,
            ..Default::default()
        };
        assert!(DomoClient::new(zero).is_err());
        let zero_rate = ClientConfig {
            max_requests_per_minute: Some(0),
            ..Default::default()
        };
        assert!(DomoClient::new(zero_rate).is_err());
        assert_eq!(
            DomoClient::new(ClientConfig::default()).unwrap().stats(),
            ClientStats::default()
        );
    }

    #[test]
    fn debug_redacts_the_secret() {
        let config = ClientConfig {
            client_secret: "hunter2".into(),
            ..Default::default()
        };
        let text = format!("{config:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("redacted"));
    }
}
