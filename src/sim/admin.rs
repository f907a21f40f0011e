//! `/_sim/...`: endpoints for the demo and benchmark scripts to look at and
//! change the simulator's state behind the API's back. No auth, latency, rate
//! limit or injected errors, and not counted in the stats.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::Value;

use super::api::{number_param, parse_id, parse_params};
use super::error::ApiError;
use super::store::{SimStats, SimStore, SimUser};

/// Most users one seed request may add.
const MAX_SEED: u64 = 1_000_000;

pub(crate) fn router() -> Router<SimStore> {
    Router::new()
        .route("/_sim/users", get(list_users))
        .route("/_sim/users/{id}", patch(edit_user).delete(delete_user))
        .route("/_sim/seed", post(seed))
        .route("/_sim/stats", get(stats))
        .route("/_sim/stats/reset", post(reset_stats))
}

/// All live users, with every stored field (`timezone` and `locale` included).
async fn list_users(State(store): State<SimStore>) -> Json<Vec<SimUser>> {
    Json(store.users())
}

/// `POST /_sim/seed?count=N`: adds N users, answers their ids.
async fn seed(
    State(store): State<SimStore>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<u64>>, ApiError> {
    let params = parse_params(query.as_deref().unwrap_or(""))?;
    let count = number_param(&params, "count", 1)?;
    if count > MAX_SEED {
        return Err(ApiError::bad_request(format!(
            "count must be at most {MAX_SEED}"
        )));
    }
    Ok(Json(store.seed_users(count as usize)))
}

/// `PATCH /_sim/users/{id}` with a JSON object of `SimUser` fields (snake_case)
/// to change; answers the changed user.
async fn edit_user(
    State(store): State<SimStore>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<SimUser>, ApiError> {
    let id = parse_id(&id)?;
    let Ok(Value::Object(changes)) = serde_json::from_slice::<Value>(&body) else {
        return Err(ApiError::bad_request("The body must be a JSON object"));
    };
    let current = store
        .user(id)
        .ok_or_else(|| ApiError::not_found(format!("User {id} not found")))?;
    let Ok(Value::Object(mut merged)) = serde_json::to_value(&current) else {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Cannot serialize the user",
        ));
    };
    for (key, value) in changes {
        if key == "id" || !merged.contains_key(&key) {
            return Err(ApiError::bad_request(format!("Cannot change field {key}")));
        }
        merged.insert(key, value);
    }
    let changed: SimUser = serde_json::from_value(Value::Object(merged))
        .map_err(|e| ApiError::bad_request(format!("Invalid field value: {e}")))?;
    store.edit_user(id, |user| *user = changed);
    store
        .user(id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("User {id} not found")))
}

/// `DELETE /_sim/users/{id}`: marks the user deleted, as Domo's UI does.
async fn delete_user(
    State(store): State<SimStore>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    if store.mark_deleted(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("User {id} not found")))
    }
}

async fn stats(State(store): State<SimStore>) -> Json<SimStats> {
    Json(store.stats())
}

async fn reset_stats(State(store): State<SimStore>) -> StatusCode {
    store.reset_stats();
    StatusCode::NO_CONTENT
}
