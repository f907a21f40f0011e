//! The Users endpoints: list, get, create, update, delete, and a fresh
//! scan by email (the shared, cheaper reads live in `directory`). Creation
//! is never blindly re-sent: after an ambiguous failure the user is looked
//! up by email first, so one call creates at most one user.

use reqwest::Method;
use serde_json::Value;

use super::error::DomoError;
use super::http::{invalid_response, status_error, ApiRequest, CreateOnce, Operation, SendError};
use super::model::{self, same_email, RoleInBody, User, UserFields, UserRecord};
use super::paging::{PageSize, PageWalk, Progress};
use super::retry::Repeat;
use super::roles::CREATE_AS;
use super::DomoClient;

/// Domo's largest page of users.
pub(crate) const MAX_PAGE_SIZE: u32 = 500;

impl DomoClient {
    /// One page of the user listing. `limit` is clamped to Domo's range
    /// (1..=500). Soft-deleted users are left out, so a page may hold fewer
    /// users than Domo sent.
    pub async fn list_users_page(&self, limit: u32, offset: u32) -> Result<Vec<User>, DomoError> {
        let op = self.inner.operation();
        let page = self.fetch_page(&op, limit, offset).await?;
        Ok(page
            .into_iter()
            .filter(|r| !r.deleted)
            .map(|r| r.user)
            .collect())
    }

    /// Every (not deleted) user, paging by 500 until a short or empty page.
    pub async fn list_all_users(&self) -> Result<Vec<User>, DomoError> {
        let op = self.inner.operation();
        let mut users = Vec::new();
        self.scan_users(&op, |user| {
            users.push(user);
            false
        })
        .await?;
        Ok(users)
    }

    /// The user with this id; `None` when Domo answers 404 or reports the
    /// user as deleted.
    pub async fn get_user(&self, id: u64) -> Result<Option<User>, DomoError> {
        let op = self.inner.operation();
        self.get_user_in(&op, id).await
    }

    /// Creates a user (`sendInvite` goes as a query parameter). If an attempt
    /// may have reached Domo without an answer (timeout, broken connection,
    /// 5xx), the user is looked up by email and adopted when found; only
    /// when it is not found is the create sent again.
    ///
    /// A role that goes by id (see [`super::roles`]) takes a second step:
    /// the user is created as [`CREATE_AS`], then given its role in an
    /// update. When that update fails or does not take, the user exists:
    /// [`DomoError::RoleNotSet`] carries it as Domo reports it.
    pub async fn create_user(
        &self,
        fields: &UserFields,
        send_invite: bool,
    ) -> Result<User, DomoError> {
        let role = self.roles.in_body(fields);
        let create_role = match role {
            RoleInBody::Id(_) => RoleInBody::Name(CREATE_AS.to_string()),
            _ => role.clone(),
        };
        let created = self
            .create_user_as(fields, &create_role, send_invite)
            .await?;
        if create_role == role {
            return Ok(created);
        }
        let wanted = match (&fields.role, &role) {
            (Some(name), _) => format!("role {name}"),
            (None, RoleInBody::Id(id)) => format!("the role with id {id}"),
            (None, _) => "the role asked for".to_string(),
        };
        let not_set = |user: User, reason: String| DomoError::RoleNotSet {
            user: Box::new(user),
            wanted: wanted.clone(),
            reason,
        };
        match self.update_user_as(created.id, fields, &role).await {
            Ok(user) if user.differences(fields).contains(&"role") => {
                let reason = format!(
                    "Domo took the update but reports role {}{}",
                    user.role,
                    user.role_id
                        .map(|id| format!(" (id {id})"))
                        .unwrap_or_default()
                );
                Err(not_set(user, reason))
            }
            Ok(user) => Ok(user),
            Err(error) => Err(not_set(created, error.to_string())),
        }
    }

    /// One create, its body naming the role as `role` says.
    async fn create_user_as(
        &self,
        fields: &UserFields,
        role: &RoleInBody,
        send_invite: bool,
    ) -> Result<User, DomoError> {
        let op = self.inner.operation();
        let body = model::create_body(fields, role);
        let request = ApiRequest {
            method: Method::POST,
            path: "/v1/users".to_string(),
            query: vec![("sendInvite", send_invite.to_string())],
            body: Some(&body),
            repeat: Repeat::Unsafe,
        };
        let create = CreateOnce {
            request: &request,
            kind: "user",
            key: "email",
            is_taken: DomoError::is_conflict,
        };
        self.inner
            .create_once(
                &op,
                create,
                |json| model::parse_user(json).ok().map(|record| record.user),
                || self.find_by_email_in(&op, &fields.email),
            )
            .await
    }

    /// Replaces the user's fields (the whole object, see
    /// [`model::update_body`]) and returns the user as Domo now has it.
    pub async fn update_user(&self, id: u64, fields: &UserFields) -> Result<User, DomoError> {
        self.update_user_as(id, fields, &self.roles.in_body(fields))
            .await
    }

    async fn update_user_as(
        &self,
        id: u64,
        fields: &UserFields,
        role: &RoleInBody,
    ) -> Result<User, DomoError> {
        // Before sending, so that no listing page fetched meanwhile is served.
        self.directory.forget(id);
        let op = self.inner.operation();
        let body = model::update_body(fields, role);
        let request = ApiRequest {
            method: Method::PUT,
            path: format!("/v1/users/{id}"),
            query: Vec::new(),
            body: Some(&body),
            repeat: Repeat::Safe,
        };
        let response = self.inner.send(&op, &request).await.map_err(into_error)?;
        if !response.is_success() {
            return Err(status_error(&request, &response));
        }
        // Whether PUT answers with the user is undocumented: use it when it
        // does, read the user back when it does not.
        if let Some(Ok(record)) = response.json().as_ref().map(model::parse_user) {
            if record.user.id == id && !record.deleted {
                self.roles.learn([&record.user]);
                return Ok(record.user);
            }
        }
        self.get_user_in(&op, id)
            .await?
            .ok_or_else(|| DomoError::Api {
                method: "GET".to_string(),
                path: format!("/v1/users/{id}"),
                status: 404,
                message: "the user was updated but cannot be read back: it has been deleted \
                      (or Domo has not caught up yet)"
                    .to_string(),
                toe: None,
            })
    }

    /// Deletes the user. A user already gone (404, or reported deleted) is
    /// fine: the goal is reached.
    pub async fn delete_user(&self, id: u64) -> Result<(), DomoError> {
        self.directory.forget(id);
        let op = self.inner.operation();
        let request = ApiRequest {
            method: Method::DELETE,
            path: format!("/v1/users/{id}"),
            query: Vec::new(),
            body: None,
            repeat: Repeat::Safe,
        };
        let response = self.inner.send(&op, &request).await.map_err(into_error)?;
        match response.status {
            200..=299 | 404 => Ok(()),
            // Some other refusal: fine if the user is gone (e.g. a deleted
            // user that refuses a second delete), an error otherwise.
            400..=499 if !matches!(response.status, 401 | 403 | 429) => {
                let error = status_error(&request, &response);
                match self.get_user_in(&op, id).await {
                    Ok(None) => Ok(()),
                    _ => Err(error),
                }
            }
            _ => Err(status_error(&request, &response)),
        }
    }

    pub(super) async fn get_user_in(
        &self,
        op: &Operation,
        id: u64,
    ) -> Result<Option<User>, DomoError> {
        let request = ApiRequest {
            method: Method::GET,
            path: format!("/v1/users/{id}"),
            query: Vec::new(),
            body: None,
            repeat: Repeat::Safe,
        };
        let response = self.inner.send(op, &request).await.map_err(into_error)?;
        match response.status {
            404 => Ok(None),
            200..=299 => {
                let json = response.json().ok_or_else(|| {
                    invalid_response(&request, response.status, "the body is not JSON")
                })?;
                let record = model::parse_user(&json)
                    .map_err(|why| invalid_response(&request, response.status, why))?;
                self.roles.learn([&record.user]);
                Ok((!record.deleted).then_some(record.user))
            }
            _ => Err(status_error(&request, &response)),
        }
    }

    /// A fresh scan of the listing for this email (never served from the
    /// shared listing: adopting a user after an uncertain create needs
    /// Domo's current word).
    pub(super) async fn find_by_email_in(
        &self,
        op: &Operation,
        email: &str,
    ) -> Result<Option<User>, DomoError> {
        let mut found = None;
        self.scan_users(op, |user| {
            if same_email(&user.email, email) {
                found = Some(user);
                true
            } else {
                false
            }
        })
        .await?;
        Ok(found)
    }

    /// Pages through the listing, handing each not-deleted user to `visit`
    /// until it returns true (stop) or the listing ends (the rule of the
    /// `paging` module).
    async fn scan_users(
        &self,
        op: &Operation,
        mut visit: impl FnMut(User) -> bool,
    ) -> Result<(), DomoError> {
        let mut walk = PageWalk::new(MAX_PAGE_SIZE, PageSize::Documented);
        loop {
            let page = self.fetch_page(op, walk.limit(), walk.offset()).await?;
            let progress = walk
                .record(page.iter().map(|record| record.user.id))
                .map_err(|repeated| repeated.into_error("/v1/users", "users"));
            for record in page {
                if !record.deleted && visit(record.user) {
                    return Ok(());
                }
            }
            match progress? {
                Progress::More => {}
                Progress::Last => return Ok(()),
            }
        }
    }

    /// One raw page, soft-deleted users included (they count for paging).
    pub(super) async fn fetch_page(
        &self,
        op: &Operation,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<UserRecord>, DomoError> {
        let request = ApiRequest {
            method: Method::GET,
            path: "/v1/users".to_string(),
            query: vec![
                ("limit", limit.clamp(1, MAX_PAGE_SIZE).to_string()),
                ("offset", offset.to_string()),
            ],
            body: None,
            repeat: Repeat::Safe,
        };
        let response = self.inner.send(op, &request).await.map_err(into_error)?;
        if !response.is_success() {
            return Err(status_error(&request, &response));
        }
        // An empty body is an empty page.
        let json = match response.json() {
            Some(json) => json,
            None if response.body.iter().all(u8::is_ascii_whitespace) => Value::Array(Vec::new()),
            None => {
                return Err(invalid_response(
                    &request,
                    response.status,
                    "the body is not JSON",
                ))
            }
        };
        let page = model::parse_user_list(&json)
            .map_err(|why| invalid_response(&request, response.status, why))?;
        self.roles.learn(page.iter().map(|record| &record.user));
        Ok(page)
    }
}

/// For safe requests there is no "maybe processed": both are plain errors.
fn into_error(error: SendError) -> DomoError {
    match error {
        SendError::Failed(error) | SendError::MaybeProcessed(error) => error,
    }
}
