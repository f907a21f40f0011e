//! Domo's error body, `{"status", "statusReason", "message", "toe"}`, which
//! every failing request gets, whatever its status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::json;

/// A failed request: its status and a human-readable message.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "status": self.status.as_u16(),
            "statusReason": self.status.canonical_reason().unwrap_or("Error"),
            "message": self.message,
            "toe": trace_id(),
        });
        (self.status, Json(body)).into_response()
    }
}

/// A random id in the style of Domo's `toe` (trace id), for support tickets.
fn trace_id() -> String {
    Alphanumeric
        .sample_string(&mut rand::rng(), 20)
        .to_uppercase()
}
