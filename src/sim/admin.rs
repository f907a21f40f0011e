//! `/_sim/...`: endpoints for the demo and benchmark scripts to look at and
//! change the simulator's state behind the API's back (users, groups and
//! their members, custom roles). No auth, latency, rate limit or injected
//! errors, and not counted in the stats.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::api::{number_param, parse_id, parse_params};
use super::error::ApiError;
use super::store::{SimGroup, SimStats, SimStore, SimUser};

/// Most users one seed request may add.
const MAX_SEED: u64 = 1_000_000;
/// Most groups one seed request may add.
const MAX_SEED_GROUPS: u64 = 100_000;

pub(crate) fn router() -> Router<SimStore> {
    Router::new()
        .route("/_sim/users", get(list_users))
        .route("/_sim/users/{id}", patch(edit_user).delete(delete_user))
        .route("/_sim/seed", post(seed))
        .route("/_sim/groups", get(list_groups).post(create_group))
        .route("/_sim/groups/{id}", patch(edit_group).delete(delete_group))
        .route(
            "/_sim/groups/{id}/users/{user_id}",
            put(add_member).delete(remove_member),
        )
        .route("/_sim/seed_groups", post(seed_groups))
        .route("/_sim/roles", get(list_roles).post(define_role))
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
    let id = parse_id(&id, "user")?;
    let Ok(Value::Object(changes)) = serde_json::from_slice::<Value>(&body) else {
        return Err(ApiError::bad_request("The body must be a JSON object"));
    };
    let current = store
        .user(id)
        .ok_or_else(|| ApiError::not_found(format!("User {id} not found")))?;
    let Ok(Value::Object(merged)) = serde_json::to_value(&current) else {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Cannot serialize the user",
        ));
    };
    let merged = merge_fields(merged, changes)?;
    let changed: SimUser = serde_json::from_value(Value::Object(merged))
        .map_err(|e| ApiError::bad_request(format!("Invalid field value: {e}")))?;
    if let Some(role_id) = changed.role_id.filter(|id| Some(*id) != current.role_id) {
        if !store.roles().iter().any(|(id, _)| *id == role_id) {
            return Err(ApiError::bad_request(format!("No role with id {role_id}")));
        }
    }
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
    let id = parse_id(&id, "user")?;
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

/// `current` with `changes` applied; `id` and unknown fields are refused.
fn merge_fields(
    mut current: serde_json::Map<String, Value>,
    changes: serde_json::Map<String, Value>,
) -> Result<serde_json::Map<String, Value>, ApiError> {
    for (key, value) in changes {
        if key == "id" || !current.contains_key(&key) {
            return Err(ApiError::bad_request(format!("Cannot change field {key}")));
        }
        current.insert(key, value);
    }
    Ok(current)
}

/// Every group with its members and every stored field.
async fn list_groups(State(store): State<SimStore>) -> Json<Vec<SimGroup>> {
    Json(store.groups())
}

/// A group to add behind the API's back; what is left out takes
/// `SimGroup`'s defaults (active, not default, no members).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewGroup {
    name: String,
    #[serde(default)]
    default: bool,
    #[serde(default = "yes")]
    active: bool,
    #[serde(default)]
    members: Vec<u64>,
}

fn yes() -> bool {
    true
}

/// `POST /_sim/groups` with `{name, default?, active?, members?}`: adds a
/// group (names need not be unique here; members must be live users).
async fn create_group(
    State(store): State<SimStore>,
    body: Bytes,
) -> Result<Json<SimGroup>, ApiError> {
    let new: NewGroup = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Invalid group: {e}")))?;
    let live: Vec<u64> = store.users().iter().map(|u| u.id).collect();
    if let Some(unknown) = new.members.iter().find(|id| !live.contains(id)) {
        return Err(ApiError::bad_request(format!(
            "User {unknown} is not a live user"
        )));
    }
    let id = store.insert_group(SimGroup {
        name: new.name,
        default: new.default,
        active: new.active,
        members: new.members.into_iter().collect(),
        ..SimGroup::default()
    });
    group_or_404(&store, id)
}

/// `PATCH /_sim/groups/{id}` with a JSON object of `SimGroup` fields
/// (snake_case) to change, e.g. `{"name": "Renamed"}`; answers the group.
async fn edit_group(
    State(store): State<SimStore>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<SimGroup>, ApiError> {
    let id = parse_id(&id, "group")?;
    let Ok(Value::Object(changes)) = serde_json::from_slice::<Value>(&body) else {
        return Err(ApiError::bad_request("The body must be a JSON object"));
    };
    let current = store
        .group(id)
        .ok_or_else(|| ApiError::not_found(format!("Group {id} not found")))?;
    let Ok(Value::Object(current)) = serde_json::to_value(&current) else {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Cannot serialize the group",
        ));
    };
    let merged = merge_fields(current, changes)?;
    let changed: SimGroup = serde_json::from_value(Value::Object(merged))
        .map_err(|e| ApiError::bad_request(format!("Invalid field value: {e}")))?;
    store.edit_group(id, |group| *group = changed);
    group_or_404(&store, id)
}

/// `DELETE /_sim/groups/{id}`: removes the group, members or not.
async fn delete_group(
    State(store): State<SimStore>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id, "group")?;
    if store.delete_group_directly(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("Group {id} not found")))
    }
}

/// `PUT /_sim/groups/{id}/users/{user_id}`: 204 when added; 404 when the
/// group or the live user is unknown or the user is a member already.
async fn add_member(
    State(store): State<SimStore>,
    Path((group_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let group_id = parse_id(&group_id, "group")?;
    let user_id = parse_id(&user_id, "user")?;
    if store.add_member_directly(group_id, user_id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "Cannot add user {user_id} to group {group_id}: no such group or live user, \
             or a member already"
        )))
    }
}

/// `DELETE /_sim/groups/{id}/users/{user_id}`: 204 when removed; 404 when
/// the group is unknown or the user is not a member.
async fn remove_member(
    State(store): State<SimStore>,
    Path((group_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let group_id = parse_id(&group_id, "group")?;
    let user_id = parse_id(&user_id, "user")?;
    if store.remove_member_directly(group_id, user_id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "User {user_id} is not a member of group {group_id}"
        )))
    }
}

/// `POST /_sim/seed_groups?count=N&members=M`: adds N groups with the same
/// M members each (the first live users, seeded when too few); answers
/// the group ids.
async fn seed_groups(
    State(store): State<SimStore>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<u64>>, ApiError> {
    let params = parse_params(query.as_deref().unwrap_or(""))?;
    let count = number_param(&params, "count", 1)?;
    let members = number_param(&params, "members", 0)?;
    if count > MAX_SEED_GROUPS || members > MAX_SEED {
        return Err(ApiError::bad_request(format!(
            "count must be at most {MAX_SEED_GROUPS} and members at most {MAX_SEED}"
        )));
    }
    Ok(Json(store.seed_groups(count as usize, members as usize)))
}

fn group_or_404(store: &SimStore, id: u64) -> Result<Json<SimGroup>, ApiError> {
    store
        .group(id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("Group {id} not found")))
}

/// A role, as `/_sim/roles` shows and takes it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Role {
    id: u64,
    name: String,
}

/// Every role: the five defaults and the custom ones defined.
async fn list_roles(State(store): State<SimStore>) -> Json<Vec<Role>> {
    Json(
        store
            .roles()
            .into_iter()
            .map(|(id, name)| Role { id, name })
            .collect(),
    )
}

/// `POST /_sim/roles` with `{id, name}`: defines a custom role (201); 400
/// when the id or the name is taken.
async fn define_role(State(store): State<SimStore>, body: Bytes) -> Result<StatusCode, ApiError> {
    let role: Role = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Invalid role: {e}")))?;
    store
        .define_role(role.id, &role.name)
        .map_err(ApiError::bad_request)?;
    Ok(StatusCode::CREATED)
}
