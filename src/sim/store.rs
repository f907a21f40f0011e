//! The simulator's state: users, issued tokens, the rate-limit window and
//! request counters, behind one mutex shared by the server and by tests.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::config::SimConfig;
use super::conn::Outage;
use crate::calendar::civil_from_days;

/// First id handed out; Domo's ids are large integers.
const FIRST_USER_ID: u64 = 1_000_001;

/// A user as the simulator stores it, including what the API never returns
/// (`timezone`, `locale`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SimUser {
    pub id: u64,
    pub name: String,
    pub email: String,
    pub role: String,
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
    /// When each user was created through the API, for `read_after_create_404`.
    pub created_via_api: HashMap<u64, Instant>,
    /// Access token -> expiry.
    pub tokens: HashMap<String, Instant>,
    pub stats: SimStats,
    /// Start of the current one-second window and requests admitted in it.
    pub rate_window: (Instant, u32),
    next_id: u64,
    next_seed: u64,
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
        let id = user.id;
        self.users.insert(id, user);
        id
    }

    /// Live users, by id.
    pub fn live_users(&self) -> impl Iterator<Item = &SimUser> {
        self.users.values().filter(|u| !u.deleted)
    }

    /// Another live user with this email, compared case-insensitively as Domo does.
    pub fn email_taken(&self, email: &str, except_id: Option<u64>) -> bool {
        let wanted = email.to_lowercase();
        self.live_users()
            .any(|u| Some(u.id) != except_id && u.email.to_lowercase() == wanted)
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
                created_via_api: HashMap::new(),
                tokens: HashMap::new(),
                stats: SimStats::default(),
                rate_window: (Instant::now(), 0),
                next_id: FIRST_USER_ID,
                next_seed: 1,
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
        let Some(user) = state.users.get_mut(&id) else {
            return false;
        };
        f(user);
        user.id = id;
        user.updated_at = updated_at;
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
                true
            }
            _ => false,
        }
    }

    /// Removes a user entirely: reading it then answers 404.
    pub fn purge(&self, id: u64) -> bool {
        self.lock().users.remove(&id).is_some()
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
