//! The simulator's state: users, roles, groups and their members, issued
//! tokens, the rate-limit window and request counters, behind one mutex
//! shared by the server and by tests.
//!
//! Invariants the state keeps whoever changes it (API, admin endpoints,
//! tests): a deleted or purged user is a member of no group (Domo most
//! plausibly drops deleted users from memberships, and then every view
//! agrees: member listings, `memberCount`, a user's `groups`); a user's
//! `role` and `role_id` name the same role when the role is known.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::config::SimConfig;
use super::conn::Outage;
use crate::calendar::civil_from_days;

/// First id handed out; Domo's ids are large integers.
const FIRST_USER_ID: u64 = 1_000_001;
/// First group id handed out: far from user ids, so that a group id passed
/// where a user id belongs (or the reverse) finds nothing.
const FIRST_GROUP_ID: u64 = 1_000_000_001;
/// The user the simulated API client acts as (the token's `userId`), and
/// so the `creatorId` of the groups it creates.
pub(crate) const API_CLIENT_USER_ID: u64 = 1;

/// Domo's five default roles, by id. Admins can add custom roles (see
/// `SimStore::define_role`).
pub(crate) const DEFAULT_ROLES: [(u64, &str); 5] = [
    (1, "Admin"),
    (2, "Privileged"),
    (3, "Editor"),
    (4, "Participant"),
    (5, "Social"),
];

/// A user as the simulator stores it, including what the API never returns
/// (`timezone`, `locale`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SimUser {
    pub id: u64,
    pub name: String,
    pub email: String,
    /// The role's name, as the API's `role` reads.
    pub role: String,
    /// The role's id (`roleId`); filled in from `role` when `None` and the
    /// name is a known role's.
    pub role_id: Option<u64>,
    pub title: Option<String>,
    pub alternate_email: Option<String>,
    pub phone: Option<String>,
    pub location: Option<String>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub employee_number: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub image: Option<String>,
    pub deleted: bool,
    /// Owns DataSets or Dataflows: Domo refuses to delete such a user until
    /// the content is transferred (set through `PATCH /_sim/users/{id}`).
    #[serde(default)]
    pub owns_content: bool,
}

/// A group as the simulator stores it, members included.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimGroup {
    pub id: u64,
    pub name: String,
    /// The group new users join.
    pub default: bool,
    pub active: bool,
    pub creator_id: u64,
    /// Ids of live users, ascending.
    pub members: BTreeSet<u64>,
}

impl Default for SimGroup {
    /// An active, non-default group with no members; `id` 0 asks the store
    /// for one.
    fn default() -> SimGroup {
        SimGroup {
            id: 0,
            name: String::new(),
            default: false,
            active: true,
            creator_id: API_CLIENT_USER_ID,
            members: BTreeSet::new(),
        }
    }
}

/// Request counters since start or the last reset. Each per-operation counter
/// counts every request for that operation, whatever its outcome (including
/// ones rejected by the rate limit, an injected error or a bad token).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SimStats {
    pub token_requests: u64,
    pub list_requests: u64,
    pub get_requests: u64,
    pub create_requests: u64,
    pub update_requests: u64,
    pub delete_requests: u64,
    /// `GET /v1/groups`.
    pub group_list_requests: u64,
    /// `GET /v1/groups/{id}`.
    pub group_get_requests: u64,
    /// `POST /v1/groups`.
    pub group_create_requests: u64,
    /// `PUT /v1/groups/{id}`.
    pub group_update_requests: u64,
    /// `DELETE /v1/groups/{id}`.
    pub group_delete_requests: u64,
    /// `GET /v1/groups/{id}/users`.
    pub group_member_list_requests: u64,
    /// `PUT /v1/groups/{id}/users/{userId}`.
    pub group_member_add_requests: u64,
    /// `DELETE /v1/groups/{id}/users/{userId}`.
    pub group_member_remove_requests: u64,
    pub rejected_rate_limited: u64,
    pub injected_errors: u64,
    /// Every request except `/_sim` admin ones.
    pub total_api_requests: u64,
}

/// Everything behind the lock. Handlers work on it directly so that checks
/// and changes (say, email uniqueness and insertion) happen atomically.
#[derive(Debug)]
pub(crate) struct State {
    pub config: SimConfig,
    pub users: BTreeMap<u64, SimUser>,
    pub groups: BTreeMap<u64, SimGroup>,
    /// Role id -> name: the five defaults and any custom roles defined.
    pub roles: BTreeMap<u64, String>,
    /// When each user was created through the API, for `read_after_create_404`.
    pub created_via_api: HashMap<u64, Instant>,
    /// Access token -> expiry.
    pub tokens: HashMap<String, Instant>,
    pub stats: SimStats,
    /// Start of the current one-second window and requests admitted in it.
    pub rate_window: (Instant, u32),
    /// Create requests that reached the handler, for `fail_every_nth_create`.
    pub creates_handled: u64,
    /// Lower-cased email -> ids of users that have had it: candidates for
    /// `email_taken`, checked against the users themselves, so that
    /// uniqueness costs the same with 20,000 users as with 20.
    emails: HashMap<String, Vec<u64>>,
    next_id: u64,
    next_group_id: u64,
    next_seed: u64,
    next_group_seed: u64,
    last_timestamp_ms: u64,
}

impl State {
    /// A fresh id, above every id in use.
    pub fn allocate_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The current time as an ISO-8601 UTC string with milliseconds; strictly
    /// increasing, so an update always changes `updatedAt`.
    pub fn timestamp(&mut self) -> String {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let ms = now_ms.max(self.last_timestamp_ms + 1);
        self.last_timestamp_ms = ms;
        format_iso8601_millis(ms)
    }

    /// Stores a user, filling in what a real Domo user always has.
    pub fn insert(&mut self, mut user: SimUser) -> u64 {
        if user.id == 0 {
            user.id = self.allocate_id();
        }
        self.next_id = self.next_id.max(user.id + 1);
        if user.created_at.is_empty() {
            user.created_at = self.timestamp();
        }
        if user.updated_at.is_empty() {
            user.updated_at = user.created_at.clone();
        }
        if user.image.is_none() {
            user.image = Some(avatar_url(user.id));
        }
        let before = self.users.get(&user.id).cloned();
        self.settle_role(&mut user, before.as_ref());
        let id = user.id;
        self.remember_email(id, &user.email);
        let deleted = user.deleted;
        self.users.insert(id, user);
        if deleted {
            self.drop_memberships(id);
        }
        id
    }

    /// Records that user `id` has (now) this email. Call whenever an email
    /// is set; stale entries do no harm.
    pub fn remember_email(&mut self, id: u64, email: &str) {
        let ids = self.emails.entry(email.to_lowercase()).or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }

    /// Makes `role` and `role_id` agree after a change from `before`: the
    /// one that changed wins (the id when both did, if it is a known
    /// role's); a role name no role has leaves `role_id` empty.
    pub fn settle_role(&self, user: &mut SimUser, before: Option<&SimUser>) {
        let id_changed = before.is_none_or(|b| b.role_id != user.role_id);
        let name_changed = before.is_none_or(|b| b.role != user.role);
        let named = user.role_id.and_then(|id| self.roles.get(&id));
        match named {
            Some(name) if id_changed => user.role = name.clone(),
            _ if name_changed || user.role_id.is_none() => {
                user.role_id = self.role_id_named(&user.role);
            }
            _ => {}
        }
    }

    /// The id of the role with exactly this name.
    pub fn role_id_named(&self, name: &str) -> Option<u64> {
        self.roles
            .iter()
            .find(|(_, role)| role.as_str() == name)
            .map(|(id, _)| *id)
    }

    /// Live user `id` exists.
    pub fn is_live_user(&self, id: u64) -> bool {
        self.users.get(&id).is_some_and(|u| !u.deleted)
    }

    /// Removes a user from every group (a deleted or purged user).
    pub fn drop_memberships(&mut self, user_id: u64) {
        for group in self.groups.values_mut() {
            group.members.remove(&user_id);
        }
    }

    /// The groups `user_id` is a member of, by id.
    pub fn groups_of(&self, user_id: u64) -> impl Iterator<Item = &SimGroup> {
        self.groups
            .values()
            .filter(move |g| g.members.contains(&user_id))
    }

    /// Stores a group: assigns an id when it is 0, keeps only live members.
    pub fn insert_group(&mut self, mut group: SimGroup) -> u64 {
        if group.id == 0 {
            group.id = self.next_group_id;
        }
        self.next_group_id = self.next_group_id.max(group.id + 1);
        group.members.retain(|id| self.is_live_user(*id));
        let id = group.id;
        self.groups.insert(id, group);
        id
    }

    /// Another group with this name, compared trimmed and ignoring case.
    pub fn group_name_taken(&self, name: &str, except_id: Option<u64>) -> bool {
        let wanted = name.trim().to_lowercase();
        self.groups
            .values()
            .any(|g| Some(g.id) != except_id && g.name.trim().to_lowercase() == wanted)
    }

    /// Live users, by id.
    pub fn live_users(&self) -> impl Iterator<Item = &SimUser> {
        self.users.values().filter(|u| !u.deleted)
    }

    /// Another live user with this email, compared case-insensitively as Domo does.
    pub fn email_taken(&self, email: &str, except_id: Option<u64>) -> bool {
        let wanted = email.to_lowercase();
        let Some(candidates) = self.emails.get(&wanted) else {
            return false;
        };
        candidates.iter().any(|id| {
            Some(*id) != except_id
                && self
                    .users
                    .get(id)
                    .is_some_and(|u| !u.deleted && u.email.to_lowercase() == wanted)
        })
    }
}

/// The avatar URL the simulator gives each user.
pub(crate) fn avatar_url(id: u64) -> String {
    format!("https://sim.domo.local/avatar/{id}")
}

/// Cheap handle to the simulator's state.
#[derive(Clone)]
pub struct SimStore {
    inner: Arc<Mutex<State>>,
    /// The listener's off switch (kept out of `State`: it has its own lock).
    outage: Outage,
}

impl SimStore {
    pub(crate) fn new(config: SimConfig) -> SimStore {
        SimStore {
            inner: Arc::new(Mutex::new(State {
                config,
                users: BTreeMap::new(),
                groups: BTreeMap::new(),
                roles: DEFAULT_ROLES
                    .iter()
                    .map(|(id, name)| (*id, name.to_string()))
                    .collect(),
                created_via_api: HashMap::new(),
                tokens: HashMap::new(),
                stats: SimStats::default(),
                rate_window: (Instant::now(), 0),
                creates_handled: 0,
                emails: HashMap::new(),
                next_id: FIRST_USER_ID,
                next_group_id: FIRST_GROUP_ID,
                next_seed: 1,
                next_group_seed: 1,
                last_timestamp_ms: 0,
            })),
            outage: Outage::default(),
        }
    }

    pub(crate) fn outage(&self) -> Outage {
        self.outage.clone()
    }

    /// Takes the simulator off the network for `duration`, as a Domo outage
    /// would: nothing listens on its port (connections are refused) and
    /// every open connection, keep-alive ones included, is closed at once.
    /// Afterwards it listens on the same port again. Returns how many open
    /// connections were closed.
    pub fn refuse_connections_for(&self, duration: std::time::Duration) -> usize {
        self.outage.refuse_for(duration)
    }

    /// Locks the state; a panic elsewhere while holding the lock must not
    /// take the server down, so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Live (not deleted) users, by id ascending.
    pub fn users(&self) -> Vec<SimUser> {
        self.lock().live_users().cloned().collect()
    }

    pub fn all_users_including_deleted(&self) -> Vec<SimUser> {
        self.lock().users.values().cloned().collect()
    }

    pub fn user(&self, id: u64) -> Option<SimUser> {
        self.lock().users.get(&id).cloned()
    }

    /// Adds (or replaces) a user behind the API's back. Assigns an id when it
    /// is 0, and timestamps and an avatar when they are empty.
    pub fn insert_user(&self, user: SimUser) -> u64 {
        self.lock().insert(user)
    }

    /// Adds `n` live users named "Seed User N" with email "seed-N@example.com";
    /// N keeps counting across calls so emails stay unique.
    pub fn seed_users(&self, n: usize) -> Vec<u64> {
        let mut state = self.lock();
        (0..n)
            .map(|_| {
                let seq = state.next_seed;
                state.next_seed += 1;
                state.insert(SimUser {
                    name: format!("Seed User {seq}"),
                    email: format!("seed-{seq}@example.com"),
                    role: "Participant".to_string(),
                    ..SimUser::default()
                })
            })
            .collect()
    }

    /// Changes a user behind the API's back and bumps `updatedAt`. The id
    /// cannot change. False when there is no such user.
    pub fn edit_user(&self, id: u64, f: impl FnOnce(&mut SimUser)) -> bool {
        let mut state = self.lock();
        let updated_at = state.timestamp();
        let Some(before) = state.users.get(&id).cloned() else {
            return false;
        };
        let mut user = before.clone();
        f(&mut user);
        user.id = id;
        user.updated_at = updated_at;
        state.settle_role(&mut user, Some(&before));
        state.remember_email(id, &user.email);
        let deleted = user.deleted;
        state.users.insert(id, user);
        if deleted {
            state.drop_memberships(id);
        }
        true
    }

    /// Marks a user deleted, as a deletion in Domo's UI does: reading it then
    /// answers the deleted subset. False when unknown or already deleted.
    pub fn mark_deleted(&self, id: u64) -> bool {
        let mut state = self.lock();
        let updated_at = state.timestamp();
        match state.users.get_mut(&id) {
            Some(user) if !user.deleted => {
                user.deleted = true;
                user.updated_at = updated_at;
                state.drop_memberships(id);
                true
            }
            _ => false,
        }
    }

    /// Removes a user entirely: reading it then answers 404.
    pub fn purge(&self, id: u64) -> bool {
        let mut state = self.lock();
        state.drop_memberships(id);
        state.users.remove(&id).is_some()
    }

    /// Sets a user's role by id (a default or a defined custom role) behind
    /// the API's back. False when the user or the role is unknown.
    pub fn set_user_role(&self, user_id: u64, role_id: u64) -> bool {
        let known = self.lock().roles.contains_key(&role_id);
        known && self.edit_user(user_id, |user| user.role_id = Some(role_id))
    }

    /// Defines a custom role, as an admin does in Domo's UI. Refused when
    /// the id or the name (ignoring case) is taken, or the name is blank.
    pub fn define_role(&self, id: u64, name: &str) -> Result<(), String> {
        let mut state = self.lock();
        let name = name.trim();
        if name.is_empty() {
            return Err("a role needs a name".to_string());
        }
        if id == 0 {
            return Err("a role id must be a positive integer".to_string());
        }
        if let Some(existing) = state.roles.get(&id) {
            return Err(format!("role id {id} is taken by {existing}"));
        }
        if let Some((taken, _)) = state
            .roles
            .iter()
            .find(|(_, role)| role.eq_ignore_ascii_case(name))
        {
            return Err(format!("role name {name} is taken by role id {taken}"));
        }
        state.roles.insert(id, name.to_string());
        Ok(())
    }

    /// Every role, `(id, name)` by id: the five defaults and custom ones.
    pub fn roles(&self) -> Vec<(u64, String)> {
        self.lock()
            .roles
            .iter()
            .map(|(id, name)| (*id, name.clone()))
            .collect()
    }

    /// Every group, by id, with its members.
    pub fn groups(&self) -> Vec<SimGroup> {
        self.lock().groups.values().cloned().collect()
    }

    pub fn group(&self, id: u64) -> Option<SimGroup> {
        self.lock().groups.get(&id).cloned()
    }

    /// Adds (or replaces) a group behind the API's back. Assigns an id when
    /// it is 0; members that are not live users are left out. Names need
    /// not be unique here, so tests can play duplicates.
    pub fn insert_group(&self, group: SimGroup) -> u64 {
        self.lock().insert_group(group)
    }

    /// Adds `count` groups "Seed Group N" (N keeps counting across calls),
    /// each with the same `members_each` members: the first live users by
    /// id, seeding more users when there are too few.
    pub fn seed_groups(&self, count: usize, members_each: usize) -> Vec<u64> {
        let live = self.lock().live_users().count();
        if live < members_each {
            self.seed_users(members_each - live);
        }
        let mut state = self.lock();
        let members: BTreeSet<u64> = state
            .live_users()
            .take(members_each)
            .map(|u| u.id)
            .collect();
        (0..count)
            .map(|_| {
                let seq = state.next_group_seed;
                state.next_group_seed += 1;
                state.insert_group(SimGroup {
                    name: format!("Seed Group {seq}"),
                    members: members.clone(),
                    ..SimGroup::default()
                })
            })
            .collect()
    }

    /// Changes a group behind the API's back; the id cannot change and
    /// members that are not live users are dropped. False when unknown.
    pub fn edit_group(&self, id: u64, f: impl FnOnce(&mut SimGroup)) -> bool {
        let mut state = self.lock();
        let Some(mut group) = state.groups.get(&id).cloned() else {
            return false;
        };
        f(&mut group);
        group.id = id;
        state.insert_group(group);
        true
    }

    /// Removes a group, members or not. False when unknown.
    pub fn delete_group_directly(&self, id: u64) -> bool {
        self.lock().groups.remove(&id).is_some()
    }

    /// Makes a live user a member behind the API's back. False when the
    /// group or the live user is unknown, or the user is a member already.
    pub fn add_member_directly(&self, group_id: u64, user_id: u64) -> bool {
        let mut state = self.lock();
        if !state.is_live_user(user_id) {
            return false;
        }
        state
            .groups
            .get_mut(&group_id)
            .is_some_and(|g| g.members.insert(user_id))
    }

    /// Removes a member behind the API's back. False when the group is
    /// unknown or the user is not a member.
    pub fn remove_member_directly(&self, group_id: u64, user_id: u64) -> bool {
        self.lock()
            .groups
            .get_mut(&group_id)
            .is_some_and(|g| g.members.remove(&user_id))
    }

    /// Ids of the groups a user is a member of, ascending.
    pub fn group_ids_of(&self, user_id: u64) -> Vec<u64> {
        self.lock().groups_of(user_id).map(|g| g.id).collect()
    }

    /// The access tokens issued and still held (expired ones are dropped
    /// when the next is issued), so tests can check none reaches a log.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.lock().tokens.keys().cloned().collect()
    }

    pub fn stats(&self) -> SimStats {
        self.lock().stats.clone()
    }

    pub fn reset_stats(&self) {
        self.lock().stats = SimStats::default();
    }

    pub fn config(&self) -> SimConfig {
        self.lock().config.clone()
    }

    pub fn set_config(&self, config: SimConfig) {
        self.lock().config = config;
    }
}

/// Formats milliseconds since the Unix epoch as "2026-11-27T20:15:00.123Z".
pub(crate) fn format_iso8601_millis(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, secs_of_day) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        secs_of_day / 3600,
        secs_of_day % 3600 / 60,
        secs_of_day % 60,
        ms % 1000
    )
}
