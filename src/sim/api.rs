//! Domo's public API as the simulator plays it: the OAuth token endpoint and
//! the Users endpoints under `/v1/users` (the Groups endpoints are in
//! `groups.rs`). Requests reach these handlers only after the gate
//! (`gate.rs`) has admitted them.

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{json, Map, Value};

use super::config::SimConfig;
use super::conn::ConnectionHandle;
use super::error::ApiError;
use super::store::{
    avatar_url, SimStore, SimUser, State as SimState, API_CLIENT_USER_ID, DEFAULT_ROLES,
};

/// Scopes the simulated client holds; a token request may ask for a subset.
const CLIENT_SCOPES: &[&str] = &["user"];
pub(crate) const DEFAULT_PAGE_SIZE: u64 = 50;
const MAX_PAGE_SIZE: u64 = 500;

/// `GET|POST /oauth/token`: client credentials in HTTP Basic auth;
/// `grant_type` and `scope` in the query or, for POST, a form body.
pub(crate) async fn token(
    State(store): State<SimStore>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let mut params = parse_params(query.as_deref().unwrap_or(""))?;
    if method == Method::POST && !body.is_empty() {
        let form = std::str::from_utf8(&body)
            .map_err(|_| ApiError::bad_request("The form body is not UTF-8"))?;
        for (key, value) in parse_params(form)? {
            params.entry(key).or_insert(value);
        }
    }

    let mut state = store.lock();
    let (client_id, client_secret) = basic_credentials(&headers)
        .ok_or_else(|| ApiError::unauthorized("Full authentication is required"))?;
    if client_id != state.config.client_id || client_secret != state.config.client_secret {
        return Err(ApiError::unauthorized("Bad credentials"));
    }
    match params.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Unsupported grant type: {other}"
            )))
        }
        None => return Err(ApiError::bad_request("Missing grant type")),
    }
    let scope = match params.get("scope").map(|s| s.trim()) {
        None | Some("") => CLIENT_SCOPES.join(" "),
        Some(requested) => {
            if let Some(unknown) = requested
                .split_whitespace()
                .find(|s| !CLIENT_SCOPES.contains(s))
            {
                return Err(ApiError::bad_request(format!("Invalid scope: {unknown}")));
            }
            requested.split_whitespace().collect::<Vec<_>>().join(" ")
        }
    };

    let ttl = state.config.token_ttl;
    let now = Instant::now();
    state.tokens.retain(|_, expiry| *expiry > now);
    let access_token = random_string(48);
    state.tokens.insert(access_token.clone(), now + ttl);
    Ok(Json(json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": ttl.as_secs().max(1),
        "scope": scope,
        "customer": "sim",
        "userId": API_CLIENT_USER_ID,
        "role": "Admin",
        "jti": random_string(36),
    })))
}

/// `GET /v1/users?limit=&offset=`: a bare array of live users by id.
pub(crate) async fn list_users(
    State(store): State<SimStore>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = parse_params(query.as_deref().unwrap_or(""))?;
    let limit = number_param(&params, "limit", DEFAULT_PAGE_SIZE)?;
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    let offset = number_param(&params, "offset", 0)?;
    let state = store.lock();
    let page = state
        .live_users()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .map(|user| user_json(&state, user))
        .collect();
    Ok(Json(Value::Array(page)))
}

/// `GET /v1/users/{id}`: the user; a deleted user answers a subset with
/// `"deleted": true`.
pub(crate) async fn get_user(
    State(store): State<SimStore>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&id, "user")?;
    let state = store.lock();
    let not_found = || ApiError::not_found(format!("User {id} not found"));
    // Eventual consistency: a new user is not readable by id at once.
    if let Some(created) = state.created_via_api.get(&id) {
        if created.elapsed() < state.config.read_after_create_404 {
            return Err(not_found());
        }
    }
    let user = state.users.get(&id).ok_or_else(not_found)?;
    Ok(Json(if user.deleted {
        deleted_user_json(user)
    } else {
        user_json(&state, user)
    }))
}

/// `POST /v1/users?sendInvite=`: creates a user, answers 201 with it. The
/// user joins the active default groups when `default_groups_gain_new_users`.
pub(crate) async fn create_user(
    State(store): State<SimStore>,
    ConnectInfo(connection): ConnectInfo<ConnectionHandle>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let params = parse_params(query.as_deref().unwrap_or(""))?;
    match params.get("sendInvite").map(String::as_str) {
        None | Some("true") | Some("false") => {}
        Some(_) => return Err(ApiError::bad_request("sendInvite must be true or false")),
    }
    let mut state = store.lock();
    let input = UserInput::parse(&body, &state.config)?;
    state.creates_handled += 1;
    let every = u64::from(state.config.fail_every_nth_create);
    if every > 0 && state.creates_handled % every == 0 {
        return Err(ApiError::bad_request(format!(
            "Simulated create failure (fail_every_nth_create = {every})"
        )));
    }
    let (role_id, role) = input.role.resolve(&state, Write::Create)?;
    let email = input.email_as_stored(state.config.lowercase_emails);
    if state.email_taken(&email, None) {
        return Err(duplicate_email(state.config.duplicate_email_status, &email));
    }
    let id = state.allocate_id();
    let now = state.timestamp();
    let mut user = SimUser {
        id,
        name: input.name,
        email,
        role,
        role_id: Some(role_id),
        created_at: now.clone(),
        updated_at: now,
        image: Some(avatar_url(id)),
        ..SimUser::default()
    };
    input.optional.apply_to(&mut user);
    state.insert(user);
    if state.config.default_groups_gain_new_users {
        for group in state.groups.values_mut() {
            if group.default && group.active {
                group.members.insert(id);
            }
        }
    }
    let body = state
        .users
        .get(&id)
        .map(|user| user_json(&state, user))
        .unwrap_or_default();
    state.created_via_api.insert(id, Instant::now());

    if state.config.drop_connection_after_create > 0 {
        state.config.drop_connection_after_create -= 1;
        tracing::info!(id, peer = %connection.peer, "domo-sim: created user, dropping the connection");
        connection.drop_without_response();
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `PUT /v1/users/{id}`: replaces the user's fields. `name`, `email` and
/// `role` or `roleId` are required; an optional field left out (or null)
/// stays as it is, one sent as "" is cleared.
pub(crate) async fn update_user(
    State(store): State<SimStore>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "user")?;
    let mut state = store.lock();
    let input = UserInput::parse(&body, &state.config)?;
    let (role_id, role) = input.role.resolve(&state, Write::Update)?;
    let email = input.email_as_stored(state.config.lowercase_emails);
    let live = state.users.get(&id).is_some_and(|u| !u.deleted);
    if !live {
        return Err(ApiError::not_found(format!("User {id} not found")));
    }
    if state.email_taken(&email, Some(id)) {
        return Err(duplicate_email(state.config.duplicate_email_status, &email));
    }
    let now = state.timestamp();
    let put_returns_body = state.config.put_returns_body;
    let Some(user) = state.users.get_mut(&id) else {
        return Err(ApiError::not_found(format!("User {id} not found")));
    };
    user.name = input.name;
    user.email = email;
    user.role = role;
    user.role_id = Some(role_id);
    input.optional.apply_to(user);
    user.updated_at = now;
    let email = user.email.clone();
    state.remember_email(id, &email);
    Ok(if put_returns_body {
        let body = state
            .users
            .get(&id)
            .map(|user| user_json(&state, user))
            .unwrap_or_default();
        Json(body).into_response()
    } else {
        StatusCode::OK.into_response()
    })
}

/// `DELETE /v1/users/{id}`: 204; the user is then marked deleted. A user
/// who owns DataSets or Dataflows is refused with a 400 (Domo documents the
/// refusal, not its status: 400 with a `message` is the assumption).
pub(crate) async fn delete_user(
    State(store): State<SimStore>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id, "user")?;
    if store.user(id).is_some_and(|user| user.owns_content) {
        return Err(ApiError::bad_request(format!(
            "User {id} owns DataSets or Dataflows and cannot be deleted. Transfer ownership of the user's content first"
        )));
    }
    if store.mark_deleted(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("User {id} not found")))
    }
}

pub(crate) async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("No resource at {}", uri.path()))
}

pub(crate) async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("Method {method} is not supported on {}", uri.path()),
    )
}

/// A user as the API shows it: camelCase, absent fields left out, never
/// `timezone` or `locale` (Domo documents that they are not returned),
/// `roleId` only when `return_role_id`, and the user's groups unless
/// `user_groups` is off.
pub(crate) fn user_json(state: &SimState, user: &SimUser) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), user.id.into());
    object.insert("name".into(), user.name.clone().into());
    object.insert("email".into(), user.email.clone().into());
    object.insert("role".into(), user.role.clone().into());
    if state.config.return_role_id {
        if let Some(role_id) = user.role_id {
            let role_id = if state.config.role_id_as_string {
                role_id.to_string().into()
            } else {
                role_id.into()
            };
            object.insert("roleId".into(), role_id);
        }
    }
    let optional = [
        ("title", &user.title),
        ("alternateEmail", &user.alternate_email),
        ("phone", &user.phone),
        ("location", &user.location),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            object.insert(key.into(), value.clone().into());
        }
    }
    if let Some(number) = &user.employee_number {
        object.insert("employeeNumber".into(), employee_number_json(number));
    }
    object.insert("createdAt".into(), user.created_at.clone().into());
    object.insert("updatedAt".into(), user.updated_at.clone().into());
    if let Some(image) = &user.image {
        object.insert("image".into(), image.clone().into());
    }
    if state.config.user_groups {
        let groups = state
            .groups_of(user.id)
            .map(|group| json!({ "id": group.id, "name": group.name }))
            .collect();
        object.insert("groups".into(), Value::Array(groups));
    }
    Value::Object(object)
}

/// What reading a deleted user answers.
fn deleted_user_json(user: &SimUser) -> Value {
    json!({ "id": user.id, "name": user.name, "email": user.email, "deleted": true })
}

/// Domo's samples show employee numbers as JSON numbers: do the same when
/// the stored string is one.
fn employee_number_json(number: &str) -> Value {
    let all_digits = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
    match number.parse::<u64>() {
        Ok(n) if all_digits => n.into(),
        _ => number.into(),
    }
}

fn duplicate_email(status: u16, email: &str) -> ApiError {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT);
    ApiError::new(status, format!("User with email {email} already exists"))
}

/// The body of a create or an update, validated.
struct UserInput {
    name: String,
    email: String,
    role: RoleInput,
    optional: OptionalFields,
}

/// `role` and / or `roleId` as sent; at least one is present.
struct RoleInput {
    name: Option<String>,
    id: Option<u64>,
}

impl RoleInput {
    fn parse(fields: &Map<String, Value>) -> Result<RoleInput, ApiError> {
        let name = string_field(fields, "role")?.filter(|name| !name.trim().is_empty());
        let id = match fields.get("roleId") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(n.as_u64().ok_or_else(bad_role_id)?),
            Some(Value::String(s)) => Some(s.trim().parse().map_err(|_| bad_role_id())?),
            Some(_) => return Err(bad_role_id()),
        };
        if name.is_none() && id.is_none() {
            return Err(ApiError::bad_request("role is required"));
        }
        Ok(RoleInput { name, id })
    }

    /// The role's id and name. `role` takes the documented names (all five
    /// default names with `accept_all_role_names`; custom roles go by
    /// `roleId`); `roleId` takes any known role, but a create ignores it
    /// unless `create_honours_role_id`; both must name the same role.
    fn resolve(&self, state: &SimState, write: Write) -> Result<(u64, String), ApiError> {
        let config = &state.config;
        let by_name = match &self.name {
            None => None,
            Some(name) => Some(role_by_name(name, config.accept_all_role_names)?),
        };
        let given_id = match write {
            Write::Create if !config.create_honours_role_id => None,
            _ => self.id,
        };
        let id = match (by_name, given_id) {
            (Some(named), Some(id)) if named != id => {
                return Err(ApiError::bad_request(format!(
                    "role {} and roleId {id} name different roles",
                    self.name.as_deref().unwrap_or_default()
                )))
            }
            (_, Some(id)) | (Some(id), None) => id,
            (None, None) => return Err(ApiError::bad_request("role is required")),
        };
        let name = state
            .roles
            .get(&id)
            .ok_or_else(|| ApiError::bad_request(format!("Invalid roleId {id}: no such role")))?;
        Ok((id, name.clone()))
    }
}

/// Whether a body creates a user or updates one.
#[derive(Clone, Copy)]
enum Write {
    Create,
    Update,
}

/// The role names Domo's reference documents for `role`.
const DOCUMENTED_ROLE_NAMES: [&str; 3] = ["Admin", "Privileged", "Participant"];

/// The id of the default role `name` names, if `role` may take that name.
fn role_by_name(name: &str, all_names: bool) -> Result<u64, ApiError> {
    let allowed = |role: &str| all_names || DOCUMENTED_ROLE_NAMES.contains(&role);
    DEFAULT_ROLES
        .iter()
        .find(|(_, role)| *role == name && allowed(role))
        .map(|(id, _)| *id)
        .ok_or_else(|| {
            let names: Vec<&str> = DEFAULT_ROLES
                .iter()
                .map(|(_, role)| *role)
                .filter(|role| allowed(role))
                .collect();
            ApiError::bad_request(format!(
                "Invalid role {name}: must be one of {}; other roles are set with roleId",
                names.join(", ")
            ))
        })
}

fn bad_role_id() -> ApiError {
    ApiError::bad_request("roleId must be a positive integer")
}

/// Optional fields: `None` when absent or null, `Some("")` to clear.
struct OptionalFields {
    title: Option<String>,
    alternate_email: Option<String>,
    phone: Option<String>,
    location: Option<String>,
    timezone: Option<String>,
    locale: Option<String>,
    employee_number: Option<String>,
}

impl UserInput {
    fn parse(body: &[u8], config: &SimConfig) -> Result<UserInput, ApiError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("Malformed JSON body: {e}")))?;
        let Value::Object(fields) = value else {
            return Err(ApiError::bad_request("The body must be a JSON object"));
        };
        let required = |key: &str| match string_field(&fields, key)? {
            Some(value) if !value.trim().is_empty() => Ok(value),
            _ => Err(ApiError::bad_request(format!("{key} is required"))),
        };
        let optional = |key: &str| string_field(&fields, key);
        let input = UserInput {
            name: required("name")?,
            email: required("email")?,
            role: RoleInput::parse(&fields)?,
            optional: OptionalFields {
                title: optional("title")?,
                alternate_email: optional("alternateEmail")?,
                phone: optional("phone")?,
                location: optional("location")?,
                timezone: optional("timezone")?,
                locale: optional("locale")?,
                employee_number: employee_number(&fields, config.string_employee_numbers)?,
            },
        };
        if !input.email.contains('@') {
            return Err(ApiError::bad_request(format!(
                "Invalid email address: {}",
                input.email
            )));
        }
        Ok(input)
    }

    fn email_as_stored(&self, lowercase: bool) -> String {
        if lowercase {
            self.email.to_lowercase()
        } else {
            self.email.clone()
        }
    }
}

impl OptionalFields {
    fn apply_to(self, user: &mut SimUser) {
        let changes = [
            (&mut user.title, self.title),
            (&mut user.alternate_email, self.alternate_email),
            (&mut user.phone, self.phone),
            (&mut user.location, self.location),
            (&mut user.timezone, self.timezone),
            (&mut user.locale, self.locale),
            (&mut user.employee_number, self.employee_number),
        ];
        for (slot, change) in changes {
            if let Some(value) = change {
                *slot = (!value.is_empty()).then_some(value);
            }
        }
    }
}

/// `employeeNumber`: a JSON integer, or null to clear it (`Some("")`);
/// with `strings`, any string too. Absent: `None` (unchanged).
fn employee_number(fields: &Map<String, Value>, strings: bool) -> Result<Option<String>, ApiError> {
    match fields.get("employeeNumber") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(String::new())),
        Some(Value::Number(n)) if n.is_u64() => Ok(Some(n.to_string())),
        Some(Value::String(s)) if strings => Ok(Some(s.clone())),
        Some(other) => Err(ApiError::bad_request(format!(
            "employeeNumber must be an integer, got {other}"
        ))),
    }
}

/// A string field of a JSON object.
pub(crate) fn string_field(
    fields: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, ApiError> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::bad_request(format!("{key} must be a string"))),
    }
}

/// `(client_id, client_secret)` from `Authorization: Basic ...`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Decodes `a=1&b=2` (query string or form body).
pub(crate) fn parse_params(encoded: &str) -> Result<HashMap<String, String>, ApiError> {
    let bad = || ApiError::bad_request("Malformed parameters");
    let uri: Uri = format!("/?{encoded}").parse().map_err(|_| bad())?;
    axum::extract::Query::<HashMap<String, String>>::try_from_uri(&uri)
        .map(|query| query.0)
        .map_err(|_| bad())
}

/// A non-negative integer parameter, or `default` when absent.
pub(crate) fn number_param(
    params: &HashMap<String, String>,
    key: &str,
    default: u64,
) -> Result<u64, ApiError> {
    match params.get(key) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| ApiError::bad_request(format!("{key} must be a non-negative integer"))),
    }
}

/// An id in a path; `what` ("user", "group") names it in the error.
pub(crate) fn parse_id(raw: &str, what: &str) -> Result<u64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::bad_request(format!("Invalid {what} id: {raw}")))
}

fn random_string(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}
