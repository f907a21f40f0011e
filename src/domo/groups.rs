//! The Groups endpoints: groups (create, get, update, delete, list, find by
//! name) and their members (list, add, remove), through the one HTTP layer.
//!
//! Where Domo's behaviour is unknown, each call works under every reading
//! the simulator plays:
//! - page sizes of both listings are undocumented, so they are walked with
//!   [`PageSize::Assumed`] (a short first page is confirmed, never trusted);
//! - a group with members may be refused deletion: its members are then
//!   removed first, as Domo's own Python SDK does;
//! - adding a member twice or removing a non-member may be an error: from
//!   the caller's view both reached what was asked, so both succeed (an
//!   unexplained refusal is checked against the user's groups first);
//! - a create is never blindly re-sent: after an ambiguous failure the group
//!   is looked up by name and adopted when found.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde_json::{Map, Value};

use super::error::DomoError;
use super::http::{
    invalid_response, status_error, ApiRequest, ApiResponse, CreateOnce, Operation, SendError,
};
use super::model::parse_id;
use super::paging::{PageSize, PageWalk, Progress};
use super::retry::Repeat;
use super::DomoClient;

/// Rows asked for per page of either listing: the users listing's
/// documented largest page, assumed for groups too (Domo may serve fewer).
pub(crate) const GROUP_PAGE_SIZE: u32 = 500;
/// Rounds of "remove every member, delete again" before giving up (someone
/// may keep adding members meanwhile).
const DELETE_ROUNDS: u32 = 2;

const GROUPS_PATH: &str = "/v1/groups";

/// A group as Domo reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub id: u64,
    pub name: String,
    /// The group new users join; `None` when Domo leaves `default` out (its
    /// sample of a group read has no such field).
    pub default: Option<bool>,
    /// `true` when Domo leaves `active` out.
    pub active: bool,
    /// The user who created it, when Domo says.
    pub creator_id: Option<u64>,
    /// When Domo says.
    pub member_count: Option<u64>,
}

/// One membership change of [`DomoClient::change_group_members`] that
/// Domo refused or that could not be made.
#[derive(Debug)]
pub struct MemberChangeFailure {
    pub user_id: u64,
    /// `true` for an add, `false` for a removal.
    pub adding: bool,
    pub error: DomoError,
}

/// What [`DomoClient::change_group_members`] did: the users it made members
/// and not members (each as asked), and the changes that failed. A change
/// in none of the three was not tried (a failure that is not about one
/// user, say an expired credential, stops the rest).
#[derive(Debug, Default)]
pub struct MemberChanges {
    pub added: Vec<u64>,
    pub removed: Vec<u64>,
    pub failed: Vec<MemberChangeFailure>,
}

/// Whether a user is a member of a group, as [`DomoClient::group_membership`]
/// finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership {
    Member,
    NotMember,
    /// No such user (never was, or deleted).
    NoUser,
    /// No such group.
    NoGroup,
}

/// The group attributes a caller controls. `None` leaves a flag as Domo
/// has it (on create: Domo's default, an active, non-default group).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupFields {
    pub name: String,
    pub default: Option<bool>,
    pub active: Option<bool>,
}

impl DomoClient {
    /// Creates a group. Domo's create takes `name` and `default`; an
    /// `active` that differs from what Domo answered is then set with an
    /// update. If an attempt may have reached Domo without an answer
    /// (timeout, broken connection, 5xx), the group is looked up by name
    /// and adopted when found; only when it is not found is the create sent
    /// again. Adopted is the newest group with the name and no members (a
    /// group just created has none), so that where Domo allows duplicate
    /// names an older, used group is not taken for ours; an older empty
    /// group of the same name still could be, if the lost create never
    /// reached Domo.
    pub async fn create_group(&self, fields: &GroupFields) -> Result<Group, DomoError> {
        let op = self.inner.operation();
        let mut body = Map::new();
        body.insert("name".into(), Value::String(fields.name.clone()));
        if let Some(default) = fields.default {
            body.insert("default".into(), Value::Bool(default));
        }
        let body = Value::Object(body);
        let request = ApiRequest {
            method: Method::POST,
            path: GROUPS_PATH.to_string(),
            query: Vec::new(),
            body: Some(&body),
            repeat: Repeat::Unsafe,
        };
        let create = CreateOnce {
            request: &request,
            kind: "group",
            key: "name",
            is_taken: DomoError::is_duplicate_name,
        };
        let created = self
            .inner
            .create_once(
                &op,
                create,
                |json| parse_group(json).ok(),
                || self.newest_named(&op, &fields.name),
            )
            .await?;
        match fields.active {
            Some(active) if active != created.active => {
                self.update_group_in(&op, created.id, fields).await
            }
            _ => Ok(created),
        }
    }

    /// The group with this id; `None` when Domo answers 404.
    pub async fn get_group(&self, id: u64) -> Result<Option<Group>, DomoError> {
        let op = self.inner.operation();
        self.get_group_in(&op, id).await
    }

    async fn get_group_in(&self, op: &Operation, id: u64) -> Result<Option<Group>, DomoError> {
        let request = get_request(format!("{GROUPS_PATH}/{id}"), Vec::new());
        let response = self.inner.send(op, &request).await.map_err(into_error)?;
        match response.status {
            404 => Ok(None),
            200..=299 => {
                let json = response.json().ok_or_else(|| {
                    invalid_response(&request, response.status, "the body is not JSON")
                })?;
                parse_group(&json)
                    .map(Some)
                    .map_err(|why| invalid_response(&request, response.status, why))
            }
            _ => Err(status_error(&request, &response)),
        }
    }

    /// Sets the group's name, and `active` / `default` when given; returns
    /// the group as Domo now has it. A missing group is an error for which
    /// [`DomoError::is_not_found`] holds; a name another group has, one for
    /// which [`DomoError::is_duplicate_name`] does.
    pub async fn update_group(&self, id: u64, fields: &GroupFields) -> Result<Group, DomoError> {
        let op = self.inner.operation();
        self.update_group_in(&op, id, fields).await
    }

    async fn update_group_in(
        &self,
        op: &Operation,
        id: u64,
        fields: &GroupFields,
    ) -> Result<Group, DomoError> {
        let mut body = Map::new();
        body.insert("name".into(), Value::String(fields.name.clone()));
        if let Some(active) = fields.active {
            body.insert("active".into(), Value::Bool(active));
        }
        if let Some(default) = fields.default {
            body.insert("default".into(), Value::Bool(default));
        }
        let body = Value::Object(body);
        let path = format!("{GROUPS_PATH}/{id}");
        let request = ApiRequest {
            method: Method::PUT,
            path: path.clone(),
            query: Vec::new(),
            body: Some(&body),
            repeat: Repeat::Safe,
        };
        let response = self.inner.send(op, &request).await.map_err(into_error)?;
        if !response.is_success() {
            return Err(status_error(&request, &response));
        }
        // Whether PUT answers with the group is undocumented: use it when
        // it does, read the group back when it does not.
        if let Some(Ok(group)) = response.json().as_ref().map(parse_group) {
            if group.id == id {
                return Ok(group);
            }
        }
        self.get_group_in(op, id)
            .await?
            .ok_or_else(|| DomoError::Api {
                method: "GET".to_string(),
                path,
                status: 404,
                message: "the group was updated but cannot be read back: it has been deleted \
                      (or Domo has not caught up yet)"
                    .to_string(),
                toe: None,
            })
    }

    /// Deletes the group. A group already gone is fine. When Domo refuses
    /// and the group still has members, every member is removed (the
    /// member listing paged through) and the delete sent again, as Domo's
    /// Python SDK empties a group before deleting it. Domo's refusal does
    /// not reliably say why, so should it refuse for another reason, the
    /// group is left without members and Domo's error is returned.
    pub async fn delete_group(&self, id: u64) -> Result<(), DomoError> {
        let request = ApiRequest {
            method: Method::DELETE,
            path: format!("{GROUPS_PATH}/{id}"),
            query: Vec::new(),
            body: None,
            repeat: Repeat::Safe,
        };
        let mut round = 0;
        loop {
            // A round of its own deadline: emptying a big group may take
            // longer than one operation is given.
            let op = self.inner.operation();
            let response = self.inner.send(&op, &request).await.map_err(into_error)?;
            if response.is_success() || response.status == 404 {
                return Ok(());
            }
            let error = status_error(&request, &response);
            if !is_refusal(&response) || round == DELETE_ROUNDS {
                return Err(error);
            }
            round += 1;
            // Whatever the refusal says, members are the known reason: a
            // group without members keeps Domo's error.
            let members = match self.list_members_in(&op, id).await {
                Ok(members) => members,
                Err(listing) if listing.is_not_found() => return Ok(()),
                Err(listing) => return Err(listing),
            };
            if members.is_empty() {
                return Err(error);
            }
            tracing::debug!(
                id,
                members = members.len(),
                "Domo refused to delete a group with members; removing them first"
            );
            self.remove_members(id, members).await?;
        }
    }

    /// Removes `members` from the group (concurrently, see
    /// [`DomoClient::change_group_members`]); the first failure is the
    /// error.
    async fn remove_members(&self, group_id: u64, members: Vec<u64>) -> Result<(), DomoError> {
        let changes = self.change_group_members(group_id, &[], &members).await;
        match changes.failed.into_iter().next() {
            Some(failure) => Err(failure.error),
            None => Ok(()),
        }
    }

    /// Adds `add` to the group's members and removes `remove` from them,
    /// one request per user, as many at once as the client's
    /// `max_concurrent_requests` allows (its pacing applies too). Each
    /// change succeeds or fails on its own, as [`add_group_member`] and
    /// [`remove_group_member`] do: a user who cannot be added (say, deleted
    /// in Domo) does not stop the others. A failure that is not about one
    /// user (anything but 404: credentials, throttling that outlasted the
    /// retries, a timeout) stops the changes not yet started.
    ///
    /// [`add_group_member`]: DomoClient::add_group_member
    /// [`remove_group_member`]: DomoClient::remove_group_member
    pub async fn change_group_members(
        &self,
        group_id: u64,
        add: &[u64],
        remove: &[u64],
    ) -> MemberChanges {
        let queue: Vec<(u64, bool)> = add
            .iter()
            .map(|&id| (id, true))
            .chain(remove.iter().map(|&id| (id, false)))
            .collect();
        let workers = self
            .inner
            .config()
            .max_concurrent_requests
            .clamp(1, queue.len().max(1));
        let shared = Arc::new(MemberQueue {
            pending: Mutex::new(queue.into_iter()),
            stopped: AtomicBool::new(false),
            done: Mutex::new(MemberChanges::default()),
        });
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..workers {
            let client = self.clone();
            let shared = Arc::clone(&shared);
            tasks.spawn(async move { client.drain_member_queue(group_id, &shared).await });
        }
        while tasks.join_next().await.is_some() {}
        // Every worker has finished, so the lock is free and uncontended.
        let mut done = lock(&shared.done);
        std::mem::take(&mut *done)
    }

    /// One worker of [`DomoClient::change_group_members`].
    async fn drain_member_queue(&self, group_id: u64, queue: &MemberQueue) {
        while !queue.stopped.load(Ordering::Relaxed) {
            let Some((user_id, adding)) = lock(&queue.pending).next() else {
                return;
            };
            let result = if adding {
                self.add_group_member(group_id, user_id).await
            } else {
                self.remove_group_member(group_id, user_id).await
            };
            let mut done = lock(&queue.done);
            match result {
                Ok(()) if adding => done.added.push(user_id),
                Ok(()) => done.removed.push(user_id),
                Err(error) => {
                    if !error.is_not_found() {
                        queue.stopped.store(true, Ordering::Relaxed);
                    }
                    done.failed.push(MemberChangeFailure {
                        user_id,
                        adding,
                        error,
                    });
                }
            }
        }
    }

    /// Every group, paging by 500 (see the module documentation).
    pub async fn list_all_groups(&self) -> Result<Vec<Group>, DomoError> {
        let op = self.inner.operation();
        self.list_groups_in(&op).await
    }

    async fn list_groups_in(&self, op: &Operation) -> Result<Vec<Group>, DomoError> {
        let mut walk = group_walk();
        let mut groups = Vec::new();
        loop {
            let (page, progress) = self.group_page(op, &mut walk).await?;
            groups.extend(page);
            if progress == Progress::Last {
                return Ok(dedup_by_id(groups, |group| group.id));
            }
        }
    }

    /// The page of the group listing at `walk`'s offset, and what follows.
    pub(super) async fn group_page(
        &self,
        op: &Operation,
        walk: &mut PageWalk,
    ) -> Result<(Vec<Group>, Progress), DomoError> {
        let request = get_request(GROUPS_PATH.to_string(), page_query(walk));
        let page = self.fetch_list(op, &request).await?;
        let page =
            parse_list(&page, parse_group).map_err(|why| invalid_response(&request, 200, why))?;
        let progress = walk
            .record(page.iter().map(|group| group.id))
            .map_err(|repeated| repeated.into_error(GROUPS_PATH, "groups"))?;
        Ok((page, progress))
    }

    /// Every group named exactly `name` (surrounding spaces ignored), by
    /// id; several when Domo allows duplicate names.
    pub async fn find_groups_by_name(&self, name: &str) -> Result<Vec<Group>, DomoError> {
        let op = self.inner.operation();
        self.groups_named(&op, name).await
    }

    /// The group named exactly `name` (case-sensitive, surrounding spaces
    /// ignored); `None` when there is none. Whether Domo allows two groups
    /// with one name is unknown: when several have it, this is
    /// [`DomoError::AmbiguousName`] listing their ids, never a guess.
    pub async fn find_group_by_name(&self, name: &str) -> Result<Option<Group>, DomoError> {
        let mut found = self.find_groups_by_name(name).await?;
        match found.len() {
            0 | 1 => Ok(found.pop()),
            _ => Err(DomoError::AmbiguousName {
                kind: "group",
                name: name.to_string(),
                ids: found.iter().map(|group| group.id).collect(),
            }),
        }
    }

    async fn groups_named(&self, op: &Operation, name: &str) -> Result<Vec<Group>, DomoError> {
        let mut groups = self.list_groups_in(op).await?;
        groups.retain(|group| group.name.trim() == name.trim());
        groups.sort_by_key(|group| group.id);
        Ok(groups)
    }

    /// The newest group with this name and no members (or an unknown
    /// count): after an uncertain create, ours (Domo hands out ids in
    /// increasing order, and a new group has no members).
    async fn newest_named(&self, op: &Operation, name: &str) -> Result<Option<Group>, DomoError> {
        let mut named = self.groups_named(op, name).await?;
        named.retain(|group| group.member_count.unwrap_or(0) == 0);
        Ok(named.pop())
    }

    /// Ids of the group's members, in Domo's order, every page of the
    /// member listing (no call per member). A missing group is an error for
    /// which [`DomoError::is_not_found`] holds.
    pub async fn list_group_members(&self, group_id: u64) -> Result<Vec<u64>, DomoError> {
        let op = self.inner.operation();
        self.list_members_in(&op, group_id).await
    }

    async fn list_members_in(&self, op: &Operation, group_id: u64) -> Result<Vec<u64>, DomoError> {
        let path = members_path(group_id);
        let mut walk = PageWalk::new(GROUP_PAGE_SIZE, PageSize::Assumed);
        let mut members = Vec::new();
        loop {
            let request = get_request(path.clone(), page_query(&walk));
            let page = self.fetch_list(op, &request).await?;
            let page = parse_list(&page, parse_member)
                .map_err(|why| invalid_response(&request, 200, why))?;
            let progress = walk
                .record(page.iter().copied())
                .map_err(|repeated| repeated.into_error(&path, "members"))?;
            members.extend(page);
            if progress == Progress::Last {
                return Ok(dedup_by_id(members, |id| *id));
            }
        }
    }

    /// Makes the user a member. Already being one is success, whatever
    /// Domo answers. A missing group or user is an error for which
    /// [`DomoError::is_not_found`] holds.
    pub async fn add_group_member(&self, group_id: u64, user_id: u64) -> Result<(), DomoError> {
        self.change_membership(group_id, user_id, true).await
    }

    /// Makes the user not a member. Not being one is success, whatever
    /// Domo answers, and so is a 404 (no such group or user: no such
    /// membership either).
    pub async fn remove_group_member(&self, group_id: u64, user_id: u64) -> Result<(), DomoError> {
        self.change_membership(group_id, user_id, false).await
    }

    async fn change_membership(
        &self,
        group_id: u64,
        user_id: u64,
        member: bool,
    ) -> Result<(), DomoError> {
        // The user's `groups` changes: listing data about it is stale.
        self.directory.forget(user_id);
        let op = self.inner.operation();
        let request = ApiRequest {
            method: if member { Method::PUT } else { Method::DELETE },
            path: format!("{}/{user_id}", members_path(group_id)),
            query: Vec::new(),
            body: None,
            repeat: Repeat::Safe,
        };
        let response = self.inner.send(&op, &request).await.map_err(into_error)?;
        if response.is_success() || (!member && response.status == 404) {
            return Ok(());
        }
        let error = status_error(&request, &response);
        if !is_refusal(&response) || response.status == 404 {
            return Err(error);
        }
        // "Already a member" / "not a member" in Domo's words, whatever
        // they are: check before calling it a failure.
        match self.is_member(&op, group_id, user_id).await? {
            Some(is) if is == member => Ok(()),
            // No such group or user: no such membership either.
            None if !member => Ok(()),
            _ => Err(error),
        }
    }

    /// Whether the user is a member of the group, read for many
    /// memberships at a time: the user is read as [`DomoClient::read_user`]
    /// reads (served from the shared user listing when that is cheaper),
    /// and its `groups` answer; only when Domo leaves them out is the
    /// group's member listing read. A group missing from the user's groups
    /// is not taken for deleted: the group is read to tell
    /// [`Membership::NotMember`] from [`Membership::NoGroup`].
    pub async fn group_membership(
        &self,
        group_id: u64,
        user_id: u64,
    ) -> Result<Membership, DomoError> {
        let Some(user) = self.read_user(user_id).await? else {
            return Ok(Membership::NoUser);
        };
        let member = match user.group_ids {
            Some(groups) => groups.contains(&group_id),
            None => match self.list_group_members(group_id).await {
                Ok(members) => members.contains(&user_id),
                Err(error) if error.is_not_found() => return Ok(Membership::NoGroup),
                Err(error) => return Err(error),
            },
        };
        if member {
            return Ok(Membership::Member);
        }
        Ok(match self.get_group(group_id).await? {
            Some(_) => Membership::NotMember,
            None => Membership::NoGroup,
        })
    }

    /// Ids of the groups `user` (as read from Domo) is a member of,
    /// ascending: its `groups` when Domo gave them, else every group's
    /// member listing (a group listing, then one listing per group).
    pub async fn user_group_ids(&self, user: &crate::domo::User) -> Result<Vec<u64>, DomoError> {
        let mut ids = match &user.group_ids {
            Some(ids) => ids.clone(),
            None => {
                let op = self.inner.operation();
                let mut ids = Vec::new();
                for group in self.list_groups_in(&op).await? {
                    match self.list_members_in(&op, group.id).await {
                        Ok(members) if members.contains(&user.id) => ids.push(group.id),
                        Ok(_) => {}
                        // Deleted while we listed: not a group of the user.
                        Err(error) if error.is_not_found() => {}
                        Err(error) => return Err(error),
                    }
                }
                ids
            }
        };
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Whether the user is a member: from the user's `groups` when Domo
    /// gives them, else from the member listing. `None` when the group or
    /// the user cannot be found.
    async fn is_member(
        &self,
        op: &Operation,
        group_id: u64,
        user_id: u64,
    ) -> Result<Option<bool>, DomoError> {
        match self.get_user_in(op, user_id).await? {
            None => return Ok(None),
            Some(user) => {
                if let Some(groups) = user.group_ids {
                    return Ok(Some(groups.contains(&group_id)));
                }
            }
        }
        match self.list_members_in(op, group_id).await {
            Ok(members) => Ok(Some(members.contains(&user_id))),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// A listing page as JSON; an empty body is an empty page.
    async fn fetch_list(
        &self,
        op: &Operation,
        request: &ApiRequest<'_>,
    ) -> Result<Value, DomoError> {
        let response = self.inner.send(op, request).await.map_err(into_error)?;
        if !response.is_success() {
            return Err(status_error(request, &response));
        }
        match response.json() {
            Some(json) => Ok(json),
            None if response.body.iter().all(u8::is_ascii_whitespace) => {
                Ok(Value::Array(Vec::new()))
            }
            None => Err(invalid_response(
                request,
                response.status,
                "the body is not JSON",
            )),
        }
    }
}

/// The work of [`DomoClient::change_group_members`], shared by its workers.
struct MemberQueue {
    pending: Mutex<std::vec::IntoIter<(u64, bool)>>,
    /// Set by a failure that is not about one user.
    stopped: AtomicBool,
    done: Mutex<MemberChanges>,
}

/// Locks a mutex no code holds across a panic-prone call; a poisoned one
/// still holds consistent data.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A 4xx that is Domo's word on this request, not on the client (bad
/// token, missing permission, throttling).
fn is_refusal(response: &ApiResponse) -> bool {
    (400..500).contains(&response.status) && !matches!(response.status, 401 | 403 | 429)
}

fn members_path(group_id: u64) -> String {
    format!("{GROUPS_PATH}/{group_id}/users")
}

fn get_request(path: String, query: Vec<(&'static str, String)>) -> ApiRequest<'static> {
    ApiRequest {
        method: Method::GET,
        path,
        query,
        body: None,
        repeat: Repeat::Safe,
    }
}

/// A walk through the group listing (see the module documentation).
pub(super) fn group_walk() -> PageWalk {
    PageWalk::new(GROUP_PAGE_SIZE, PageSize::Assumed)
}

fn page_query(walk: &PageWalk) -> Vec<(&'static str, String)> {
    vec![
        ("limit", walk.limit().to_string()),
        ("offset", walk.offset().to_string()),
    ]
}

/// Keeps the first of each id (pages can overlap when the listing shifts).
fn dedup_by_id<T>(items: Vec<T>, id: impl Fn(&T) -> u64) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|item| seen.insert(id(item)))
        .collect()
}

/// For safe requests there is no "maybe processed": both are plain errors.
fn into_error(error: SendError) -> DomoError {
    match error {
        SendError::Failed(error) | SendError::MaybeProcessed(error) => error,
    }
}

/// Reads one group object; `Err` says why it is not one.
pub(crate) fn parse_group(value: &Value) -> Result<Group, String> {
    let object = value
        .as_object()
        .ok_or_else(|| "expected a group object".to_string())?;
    let id = match object.get("id") {
        Some(id) => {
            parse_id(id).ok_or_else(|| format!("group id {id} is not a positive integer"))?
        }
        None => return Err("the group object has no \"id\"".to_string()),
    };
    let flag = |key: &str| match object.get(key) {
        Some(Value::Bool(flag)) => Some(*flag),
        Some(Value::String(text)) => Some(text.eq_ignore_ascii_case("true")),
        _ => None,
    };
    Ok(Group {
        id,
        name: match object.get("name") {
            Some(Value::String(name)) => name.clone(),
            _ => String::new(),
        },
        default: flag("default"),
        active: flag("active").unwrap_or(true),
        creator_id: object.get("creatorId").and_then(parse_id),
        member_count: object.get("memberCount").and_then(parse_count),
    })
}

/// A count: a non-negative number or numeric string (0 included).
fn parse_count(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// One entry of the member listing: a user id, or an object with `id` or
/// `userId` (Domo documents ids; the objects are tolerated).
fn parse_member(value: &Value) -> Result<u64, String> {
    let id = match value {
        Value::Object(object) => object.get("id").or_else(|| object.get("userId")),
        other => Some(other),
    };
    id.and_then(parse_id)
        .ok_or_else(|| format!("{value} is not a user id"))
}

/// A bare JSON array, each item read by `parse`.
fn parse_list<T>(
    value: &Value,
    parse: impl Fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    value
        .as_array()
        .ok_or_else(|| "expected a JSON array".to_string())?
        .iter()
        .enumerate()
        .map(|(index, item)| parse(item).map_err(|why| format!("item {index}: {why}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_group_leniently() {
        let group = parse_group(&json!({
            "id": "77", "name": "Sales", "active": false, "creatorId": 1,
            "default": true, "memberCount": 0, "userIds": [1, 2]
        }))
        .unwrap();
        assert_eq!(
            group,
            Group {
                id: 77,
                name: "Sales".into(),
                default: Some(true),
                active: false,
                creator_id: Some(1),
                member_count: Some(0),
            }
        );
        let sparse = parse_group(&json!({"id": 5})).unwrap();
        assert!(sparse.active && sparse.default.is_none());
        assert_eq!((sparse.creator_id, sparse.member_count), (None, None));
        assert!(parse_group(&json!({"name": "no id"})).is_err());
        assert!(parse_group(&json!([5])).is_err());
    }

    #[test]
    fn members_are_ids_or_objects_with_one() {
        let list = parse_list(&json!([1, "2", {"id": 3}, {"userId": 4}]), parse_member).unwrap();
        assert_eq!(list, vec![1, 2, 3, 4]);
        assert!(parse_list(&json!([{"name": "x"}]), parse_member).is_err());
        assert!(parse_list(&json!({"users": []}), parse_member).is_err());
    }

    #[test]
    fn duplicates_keep_their_first_place() {
        assert_eq!(dedup_by_id(vec![3, 1, 3, 2, 1], |id| *id), vec![3, 1, 2]);
    }
}
