//! Typed errors of the Domo API client, worded for the person who meets them:
//! what went wrong, and what to do about it.

use std::time::Duration;

/// Everything that can go wrong talking to Domo.
#[derive(Debug, thiserror::Error)]
pub enum DomoError {
    /// The token endpoint refused the client credentials (or an API call kept
    /// answering 401 even with a freshly issued token).
    #[error(
        "Domo rejected the API client credentials (HTTP {status}): {message}{}. \
         Check client_id / client_secret, and that the API client has the requested scope \
         (usually \"user\") in Domo's developer portal",
        toe_suffix(.toe)
    )]
    Authentication {
        status: u16,
        message: String,
        toe: Option<String>,
    },

    /// Domo answered an API call with an error status.
    #[error("Domo API error on {method} {path} (HTTP {status}): {message}{}{}", toe_suffix(.toe), status_hint(*.status))]
    Api {
        method: String,
        path: String,
        status: u16,
        message: String,
        toe: Option<String>,
    },

    /// No connection could be made to the API host.
    #[error(
        "could not reach the Domo API at {host}: {source_msg}. \
         Check api_host / DOMO_API_HOST and your network"
    )]
    Unreachable { host: String, source_msg: String },

    /// A connection was made but broke before Domo's answer arrived, and the
    /// retries ran out (or the request could not safely be repeated).
    #[error(
        "the connection to the Domo API broke during {method} {path}: {source_msg}. \
         Check your network or proxy, then try again"
    )]
    ConnectionLost {
        method: String,
        path: String,
        source_msg: String,
    },

    /// The operation (including its retries) did not finish in time.
    #[error(
        "Domo did not answer {method} {path} in time (gave up after {:.1}s, retries included). \
         Domo may be slow or overloaded: try again, or raise the request / operation timeout",
        .waited.as_secs_f64()
    )]
    Timeout {
        method: String,
        path: String,
        waited: Duration,
    },

    /// Domo kept answering 429 Too Many Requests until the operation's
    /// time was up (429s are retried for as long as it lasts).
    #[error(
        "Domo kept rate-limiting {method} {path} (HTTP 429): {attempts} attempt{} in {:.0}s, \
         and waiting longer would pass the {:.0}s an operation may take{}. \
         The instance's rate limit is shared with other clients: lower max_requests_per_minute \
         or terraform's -parallelism, or try again later",
        if *.attempts == 1 { "" } else { "s" },
        .waited.as_secs_f64(),
        .limit.as_secs_f64(),
        wait_suffix(.requested_wait)
    )]
    RateLimited {
        method: String,
        path: String,
        attempts: u32,
        /// From the operation's start to giving up.
        waited: Duration,
        /// The operation's time limit.
        limit: Duration,
        /// How long Domo last asked us to wait, when it said so.
        requested_wait: Option<Duration>,
    },

    /// Domo answered, but not with what its API documents.
    #[error(
        "unexpected answer from Domo to {method} {path} (HTTP {status}): {detail}. \
         Check that api_host points at the Domo API (e.g. https://api.domo.com)"
    )]
    InvalidResponse {
        method: String,
        path: String,
        status: u16,
        detail: String,
    },

    /// A user was created with a documented role, but the update that was
    /// to give it the role asked for failed or did not take (see
    /// [`super::roles`]). The user exists, as `user` shows it.
    #[error(
        "Domo created user {} (id {}) with role {}, but did not give it {wanted}: {reason}",
        .user.email,
        .user.id,
        role_shown(.user)
    )]
    RoleNotSet {
        user: Box<super::User>,
        /// The role asked for, e.g. "role Editor" or "the role with id 101".
        wanted: String,
        /// Why: the update's error, or what Domo reported instead.
        reason: String,
    },

    /// The client configuration cannot work; nothing was sent.
    #[error("invalid Domo client configuration: {0}")]
    InvalidConfig(String),

    /// A name meant to pick one Domo object (say, a group) matches several.
    #[error(
        "{} Domo {kind}s are named {name:?} (ids {}); refer to the {kind} by its id instead",
        .ids.len(),
        join_ids(.ids)
    )]
    AmbiguousName {
        /// "group".
        kind: &'static str,
        name: String,
        ids: Vec<u64>,
    },
}

fn join_ids(ids: &[u64]) -> String {
    ids.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn role_shown(user: &super::User) -> String {
    match (user.role.is_empty(), user.role_id) {
        (false, _) => user.role.clone(),
        (true, Some(id)) => format!("role id {id}"),
        (true, None) => "no role Domo reports".to_string(),
    }
}

fn toe_suffix(toe: &Option<String>) -> String {
    match toe {
        Some(toe) if !toe.is_empty() => format!(" (Domo trace id: {toe})"),
        _ => String::new(),
    }
}

fn status_hint(status: u16) -> &'static str {
    match status {
        403 => ". The API client lacks permission: give it the \"user\" scope, or use a client of an admin",
        _ => "",
    }
}

fn wait_suffix(wait: &Option<Duration>) -> String {
    match wait {
        Some(wait) => format!(" (Domo last asked to wait {:.0}s)", wait.as_secs_f64()),
        None => String::new(),
    }
}

impl DomoError {
    /// The HTTP status Domo answered with, when the error comes from one.
    pub fn status(&self) -> Option<u16> {
        match self {
            DomoError::Authentication { status, .. }
            | DomoError::Api { status, .. }
            | DomoError::InvalidResponse { status, .. } => Some(*status),
            DomoError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// True when Domo refused because the user (its email) exists already:
    /// 409, or a 400 whose message says the email is a duplicate, since Domo's
    /// status for this case is undocumented.
    pub fn is_conflict(&self) -> bool {
        match self {
            DomoError::Api { status: 409, .. } => true,
            DomoError::Api {
                status: 400,
                message,
                ..
            } => message_says_duplicate_email(message),
            _ => false,
        }
    }

    /// Domo's message when it refused a request outright with a 4xx that
    /// says something about the object (not 401/403 credentials or
    /// permissions, 404 or 429): for a delete, "this user cannot go".
    pub fn refusal(&self) -> Option<&str> {
        match self {
            DomoError::Api {
                status, message, ..
            } if (400..500).contains(status) && !matches!(status, 401 | 403 | 404 | 429) => {
                Some(message)
            }
            _ => None,
        }
    }

    /// The user that exists although the call failed: a create whose role
    /// update did not take ([`DomoError::RoleNotSet`]).
    pub fn created_user(&self) -> Option<&super::User> {
        match self {
            DomoError::RoleNotSet { user, .. } => Some(user),
            _ => None,
        }
    }

    /// True when Domo answered 404 Not Found.
    pub fn is_not_found(&self) -> bool {
        matches!(self, DomoError::Api { status: 404, .. })
    }

    /// True when Domo refused a group name another group has: 409, or a
    /// 400 whose message says so (the status is undocumented).
    pub fn is_duplicate_name(&self) -> bool {
        match self {
            DomoError::Api { status: 409, .. } => true,
            DomoError::Api {
                status: 400,
                message,
                ..
            } => message_says_name_taken(message),
            _ => false,
        }
    }
}

/// Whether an error message reads like "this name is already taken".
fn message_says_name_taken(message: &str) -> bool {
    let message = message.to_lowercase();
    message.contains("duplicate")
        || message.contains("already exists")
        || (message.contains("name")
            && ["in use", "taken", "unique", "exists"]
                .iter()
                .any(|word| message.contains(word)))
}

/// Whether an error message reads like "this email is already taken".
pub(crate) fn message_says_duplicate_email(message: &str) -> bool {
    let message = message.to_lowercase();
    message.contains("duplicate")
        || (message.contains("email")
            && ["exist", "already", "in use", "taken", "unique"]
                .iter()
                .any(|word| message.contains(word)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, message: &str) -> DomoError {
        DomoError::Api {
            method: "POST".into(),
            path: "/v1/users".into(),
            status,
            message: message.into(),
            toe: Some("ABC-123".into()),
        }
    }

    #[test]
    fn conflict_is_409_or_a_400_about_a_duplicate_email() {
        assert!(api(409, "Conflict").is_conflict());
        assert!(api(400, "User with email a@b.c already exists").is_conflict());
        assert!(api(400, "Duplicate value").is_conflict());
        assert!(!api(400, "role is invalid").is_conflict());
        assert!(!api(404, "Not Found").is_conflict());
    }

    #[test]
    fn duplicate_name_is_409_or_a_400_saying_so() {
        assert!(api(409, "Conflict").is_duplicate_name());
        assert!(api(400, "A group named Sales already exists").is_duplicate_name());
        assert!(api(400, "Group name must be unique").is_duplicate_name());
        assert!(!api(400, "name is required").is_duplicate_name());
        assert!(!api(404, "Group 7 not found").is_duplicate_name());
        let text = DomoError::AmbiguousName {
            kind: "group",
            name: "Sales".into(),
            ids: vec![7, 9],
        }
        .to_string();
        assert!(
            text.contains("2 Domo groups are named \"Sales\" (ids 7, 9)"),
            "{text}"
        );
    }

    #[test]
    fn helpers_report_status_and_not_found() {
        assert_eq!(api(404, "x").status(), Some(404));
        assert!(api(404, "x").is_not_found());
        assert!(!api(500, "x").is_not_found());
        assert_eq!(DomoError::InvalidConfig("x".into()).status(), None);
    }

    #[test]
    fn display_shows_domo_message_and_trace_id() {
        let text = api(400, "role is invalid").to_string();
        assert!(text.contains("role is invalid"), "{text}");
        assert!(text.contains("ABC-123"), "{text}");
        assert!(text.contains("POST /v1/users"), "{text}");
        let text = DomoError::RateLimited {
            method: "POST".into(),
            path: "/v1/users".into(),
            attempts: 57,
            waited: Duration::from_secs(299),
            limit: Duration::from_secs(300),
            requested_wait: Some(Duration::from_secs(1)),
        }
        .to_string();
        assert!(
            text.starts_with(
                "Domo kept rate-limiting POST /v1/users (HTTP 429): 57 attempts in 299s, \
                 and waiting longer would pass the 300s an operation may take \
                 (Domo last asked to wait 1s)."
            ),
            "{text}"
        );
        let text = DomoError::Unreachable {
            host: "http://127.0.0.1:1".into(),
            source_msg: "connection refused".into(),
        }
        .to_string();
        assert!(text.contains("DOMO_API_HOST"), "{text}");
    }
}
