//! Domo's Groups API as the simulator plays it: groups under `/v1/groups`
//! and their members under `/v1/groups/{id}/users`. What Domo leaves
//! undocumented (page sizes, deleting a group with members, redundant
//! member changes, duplicate names) follows the switches in `SimConfig`.
//! Requests reach these handlers only after the gate (`gate.rs`).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value};

use super::api::{number_param, parse_id, parse_params, string_field, DEFAULT_PAGE_SIZE};
use super::conn::ConnectionHandle;
use super::error::ApiError;
use super::store::{SimGroup, SimStore, State as SimState, API_CLIENT_USER_ID};

/// `GET /v1/groups?limit=&offset=`: a bare array of groups by id.
pub(crate) async fn list_groups(
    State(store): State<SimStore>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let state = store.lock();
    let (limit, offset) = page_params(query.as_deref(), state.config.max_group_page_size)?;
    let page = state
        .groups
        .values()
        .skip(offset)
        .take(limit)
        .map(|group| group_json(&state, group, Read::Read))
        .collect();
    Ok(Json(Value::Array(page)))
}

/// `POST /v1/groups` with `{name, default?}`: answers 201 with the group.
pub(crate) async fn create_group(
    State(store): State<SimStore>,
    ConnectInfo(connection): ConnectInfo<ConnectionHandle>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = json_object(&body)?;
    let name = match string_field(&fields, "name")? {
        Some(name) if !name.trim().is_empty() => name,
        _ => return Err(ApiError::bad_request("name is required")),
    };
    let default = bool_field(&fields, "default")?.unwrap_or(false);

    let mut state = store.lock();
    check_name_free(&state, &name, None)?;
    let id = state.insert_group(SimGroup {
        name,
        default,
        active: true,
        creator_id: API_CLIENT_USER_ID,
        ..SimGroup::default()
    });
    let body = group_json(&state, &state.groups[&id], Read::CreateAnswer);
    if state.config.drop_connection_after_group_create > 0 {
        state.config.drop_connection_after_group_create -= 1;
        tracing::info!(id, peer = %connection.peer, "domo-sim: created group, dropping the connection");
        connection.drop_without_response();
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /v1/groups/{id}`.
pub(crate) async fn get_group(
    State(store): State<SimStore>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&id, "group")?;
    let state = store.lock();
    let group = state.groups.get(&id).ok_or_else(|| group_not_found(id))?;
    Ok(Json(group_json(&state, group, Read::Read)))
}

/// `PUT /v1/groups/{id}` with any of `name`, `active`, `default`: what is
/// left out (or null) stays as it is.
pub(crate) async fn update_group(
    State(store): State<SimStore>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "group")?;
    let fields = json_object(&body)?;
    let name = string_field(&fields, "name")?;
    if name.as_ref().is_some_and(|name| name.trim().is_empty()) {
        return Err(ApiError::bad_request("name must not be empty"));
    }
    let active = bool_field(&fields, "active")?;
    let default = bool_field(&fields, "default")?;

    let mut state = store.lock();
    if !state.groups.contains_key(&id) {
        return Err(group_not_found(id));
    }
    if let Some(name) = &name {
        check_name_free(&state, name, Some(id))?;
    }
    let put_returns_body = state.config.put_returns_body;
    let Some(group) = state.groups.get_mut(&id) else {
        return Err(group_not_found(id));
    };
    if let Some(name) = name {
        group.name = name;
    }
    if let Some(active) = active {
        group.active = active;
    }
    if let Some(default) = default {
        group.default = default;
    }
    Ok(if put_returns_body {
        Json(group_json(&state, &state.groups[&id], Read::Read)).into_response()
    } else {
        StatusCode::OK.into_response()
    })
}

/// `DELETE /v1/groups/{id}`: 204; refused while the group has members
/// unless `delete_group_with_members`.
pub(crate) async fn delete_group(
    State(store): State<SimStore>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id, "group")?;
    let mut state = store.lock();
    let group = state.groups.get(&id).ok_or_else(|| group_not_found(id))?;
    let members = group.members.len();
    if members > 0 && !state.config.delete_group_with_members {
        return Err(ApiError::bad_request(format!(
            "Group {id} still has {members} members: remove them before deleting the group"
        )));
    }
    state.groups.remove(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/groups/{id}/users?limit=&offset=`: a bare array of member ids,
/// ascending.
pub(crate) async fn list_members(
    State(store): State<SimStore>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<u64>>, ApiError> {
    let id = parse_id(&id, "group")?;
    let state = store.lock();
    let (limit, offset) = page_params(query.as_deref(), state.config.max_group_member_page_size)?;
    let group = state.groups.get(&id).ok_or_else(|| group_not_found(id))?;
    Ok(Json(
        group
            .members
            .iter()
            .skip(offset)
            .take(limit)
            .copied()
            .collect(),
    ))
}

/// `PUT /v1/groups/{id}/users/{userId}`: 204. The user must be live; a
/// user already a member gets `already_member_status` (or 204).
pub(crate) async fn add_member(
    State(store): State<SimStore>,
    Path((group_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let group_id = parse_id(&group_id, "group")?;
    let user_id = parse_id(&user_id, "user")?;
    let mut state = store.lock();
    if !state.groups.contains_key(&group_id) {
        return Err(group_not_found(group_id));
    }
    if !state.is_live_user(user_id) {
        return Err(ApiError::not_found(format!("User {user_id} not found")));
    }
    let already_member_status = state.config.already_member_status;
    let Some(group) = state.groups.get_mut(&group_id) else {
        return Err(group_not_found(group_id));
    };
    if group.members.insert(user_id) {
        return Ok(StatusCode::NO_CONTENT);
    }
    match already_member_status {
        None => Ok(StatusCode::NO_CONTENT),
        Some(status) => Err(ApiError::new(
            status_or(status, StatusCode::BAD_REQUEST),
            format!("User {user_id} is already a member of group {group_id}"),
        )),
    }
}

/// `DELETE /v1/groups/{id}/users/{userId}`: 204; a user who is not a
/// member gets `not_member_status` (or 204).
pub(crate) async fn remove_member(
    State(store): State<SimStore>,
    Path((group_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let group_id = parse_id(&group_id, "group")?;
    let user_id = parse_id(&user_id, "user")?;
    let mut state = store.lock();
    let not_member_status = state.config.not_member_status;
    let group = state
        .groups
        .get_mut(&group_id)
        .ok_or_else(|| group_not_found(group_id))?;
    if group.members.remove(&user_id) {
        return Ok(StatusCode::NO_CONTENT);
    }
    match not_member_status {
        None => Ok(StatusCode::NO_CONTENT),
        Some(status) => Err(ApiError::new(
            status_or(status, StatusCode::NOT_FOUND),
            format!("User {user_id} is not a member of group {group_id}"),
        )),
    }
}

/// Which answer a group object is part of: Domo documents `default` in the
/// create answer, but its sample of a read leaves it out.
#[derive(Clone, Copy, PartialEq)]
enum Read {
    CreateAnswer,
    Read,
}

/// A group as the API shows it: `creatorId` a string unless
/// `creator_id_as_number`, `default` in reads only with
/// `group_default_in_reads`.
fn group_json(state: &SimState, group: &SimGroup, answer: Read) -> Value {
    let config = &state.config;
    let mut object = Map::new();
    object.insert("id".into(), group.id.into());
    object.insert("name".into(), group.name.clone().into());
    object.insert("active".into(), group.active.into());
    let creator_id = if config.creator_id_as_number {
        group.creator_id.into()
    } else {
        group.creator_id.to_string().into()
    };
    object.insert("creatorId".into(), creator_id);
    if answer == Read::CreateAnswer || config.group_default_in_reads {
        object.insert("default".into(), group.default.into());
    }
    object.insert("memberCount".into(), group.members.len().into());
    if state.config.group_user_ids {
        let ids: Vec<Value> = group.members.iter().map(|&id| id.into()).collect();
        object.insert("userIds".into(), Value::Array(ids));
    }
    Value::Object(object)
}

/// `limit` and `offset` of a group listing. A `limit` above `max` is
/// served `max` rows, silently (see `SimConfig::max_group_page_size`).
fn page_params(query: Option<&str>, max: u32) -> Result<(usize, usize), ApiError> {
    let params: HashMap<String, String> = parse_params(query.unwrap_or(""))?;
    let limit = number_param(&params, "limit", DEFAULT_PAGE_SIZE)?;
    if limit == 0 {
        return Err(ApiError::bad_request("limit must be at least 1"));
    }
    let limit = limit.min(u64::from(max.max(1)));
    let offset = number_param(&params, "offset", 0)?;
    let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    Ok((to_usize(limit), to_usize(offset)))
}

/// Refuses a name another group has, when names are unique.
fn check_name_free(state: &SimState, name: &str, except_id: Option<u64>) -> Result<(), ApiError> {
    match state.config.duplicate_group_name_status {
        Some(status) if state.group_name_taken(name, except_id) => Err(ApiError::new(
            status_or(status, StatusCode::CONFLICT),
            format!("A group named {name} already exists"),
        )),
        _ => Ok(()),
    }
}

fn group_not_found(id: u64) -> ApiError {
    ApiError::not_found(format!("Group {id} not found"))
}

fn status_or(status: u16, fallback: StatusCode) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(fallback)
}

fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(ApiError::bad_request("The body must be a JSON object")),
        Err(e) => Err(ApiError::bad_request(format!("Malformed JSON body: {e}"))),
    }
}

/// A boolean field; absent or null is `None`.
fn bool_field(fields: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(*flag)),
        Some(_) => Err(ApiError::bad_request(format!(
            "{key} must be true or false"
        ))),
    }
}
