//! Cheap refresh: reads of many users served from Domo's paged listing,
//! shared by every read of the client (so of the provider process), with a
//! plain GET for whatever the listing does not settle.
//!
//! The rules, and why:
//! - The first [`DIRECT_READS`] reads are plain GETs: a small configuration
//!   in a huge instance must never list the instance.
//! - Later reads wait for the shared walk, which fetches pages of 500 in
//!   order, only while a read is waiting for a user not yet listed, and
//!   only while the pages fetched for reads are fewer than the reads routed
//!   to the listing. So the listing never costs more calls than the GETs it
//!   replaces: a read costs at worst one page plus its own GET.
//! - A user missing from the listing is never taken for gone: it gets a GET
//!   (pages shift when users come and go while we page). So do users listed
//!   as deleted or without the timestamps a GET gives, users this client has
//!   written (listing data about them may predate the write), and every
//!   read once the walk has ended (last page, an error, the memory cap).
//! - Listing data is served for at most [`MAX_LISTING_AGE`]; after that the
//!   directory starts over.
//!
//! No lock is held across a request: a walker marks the walk busy, fetches
//! with the lock released, then stores the page and wakes every waiter.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::futures::Notified;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::bulk::run_bounded;
use super::error::DomoError;
use super::http::Operation;
use super::model::{email_key, same_email, User, UserRecord};
use super::paging::{PageSize, PageWalk, Progress};
use super::users::MAX_PAGE_SIZE;
use super::DomoClient;

/// Reads per listing generation answered by a plain GET before the listing
/// is used: token + 4 GETs is the cost of refreshing up to 4 users, however
/// large the instance.
pub(crate) const DIRECT_READS: u64 = 4;
/// Oldest listing data served; older data is dropped and listed afresh.
pub(crate) const MAX_LISTING_AGE: Duration = Duration::from_secs(120);
/// Most users kept from the listing (about 0.5 KiB each): beyond it the walk
/// stops and reads fall back to GETs, bounding memory in huge instances.
pub(crate) const MAX_LISTED_USERS: usize = 50_000;

/// What the listing said about one user.
enum Entry {
    /// Listed with every field a GET gives: served as is.
    Complete(Box<User>),
    /// Listed, but a GET must fill in or confirm it (fields missing, or
    /// listed as deleted: removing a user from state deserves a GET's word).
    NeedsGet,
}

/// Why the walk stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// A short page: every user was listed.
    Complete,
    /// An error, paging that repeats itself, or the memory cap.
    Abandoned,
}

struct State {
    /// When the current listing's first page was asked for.
    listing_started: Option<Instant>,
    /// `read_user` calls since the directory (re)started.
    reads: u64,
    /// Of those, the ones that the listing answered or is answering.
    routed: u64,
    /// Pages fetched on behalf of reads (the budget counts only these).
    pages_for_reads: u64,
    /// Where the listing has got to, by the one paging rule.
    walk: PageWalk,
    walking: bool,
    ended: Option<End>,
    entries: HashMap<u64, Entry>,
    /// Lower-cased email -> id of listed, not deleted users.
    by_email: HashMap<String, u64>,
    /// Ids this client has updated or deleted: always read with a GET. Kept
    /// across restarts since a write may still be in flight.
    written: HashSet<u64>,
}

impl Default for State {
    fn default() -> State {
        State {
            listing_started: None,
            reads: 0,
            routed: 0,
            pages_for_reads: 0,
            walk: PageWalk::new(MAX_PAGE_SIZE, PageSize::Documented),
            walking: false,
            ended: None,
            entries: HashMap::new(),
            by_email: HashMap::new(),
            written: HashSet::new(),
        }
    }
}

impl State {
    /// Drops listing data older than [`MAX_LISTING_AGE`] (never during a
    /// walk: the walker's page would land in the new generation).
    fn drop_if_old(&mut self, now: Instant) {
        let old = self
            .listing_started
            .is_some_and(|started| now.saturating_duration_since(started) > MAX_LISTING_AGE);
        if old && !self.walking {
            let written = std::mem::take(&mut self.written);
            *self = State {
                written,
                ..State::default()
            };
        }
    }

    /// What the listing says of `id`, if it has said anything.
    fn lookup(&self, id: u64) -> Option<Found> {
        if self.written.contains(&id) {
            return Some(Found::NeedsGet);
        }
        match self.entries.get(&id)? {
            Entry::Complete(user) => Some(Found::User(user.clone())),
            Entry::NeedsGet => Some(Found::NeedsGet),
        }
    }

    /// Starts fetching the next page, on behalf of a read or not.
    fn start_walk(&mut self, now: Instant) -> u32 {
        self.walking = true;
        self.listing_started.get_or_insert(now);
        self.walk.offset()
    }
}

enum Found {
    User(Box<User>),
    NeedsGet,
}

/// Where a read goes when it arrives.
enum Route {
    Listed(Box<User>),
    Get,
    /// Wait for (or drive) the shared walk.
    Listing,
}

/// What a waiting caller does next.
enum Step<'a, T> {
    Done(T),
    Get(u64),
    Wait(Notified<'a>),
    Fetch(u32),
}

/// The listing shared by all reads of one client.
#[derive(Default)]
pub(crate) struct Directory {
    state: Mutex<State>,
    /// Woken whenever a page lands or a walk ends.
    changed: Notify,
}

impl Directory {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Plain data: consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Called before updating or deleting `id`: listing data about it may
    /// no longer hold, so it is read with a GET from now on.
    pub(crate) fn forget(&self, id: u64) {
        let mut state = self.lock();
        state.written.insert(id);
        state.entries.remove(&id);
    }

    /// Stores a page fetched at `offset` and wakes every waiter.
    fn page_arrived(&self, offset: u32, for_read: bool, page: Result<Vec<UserRecord>, DomoError>) {
        let mut state = self.lock();
        state.walking = false;
        match page {
            Ok(records) => {
                if for_read {
                    state.pages_for_reads += 1;
                }
                debug_assert_eq!(offset, state.walk.offset(), "pages arrive in order");
                let progress = state.walk.record(records.iter().map(|r| r.user.id));
                for record in records {
                    let id = record.user.id;
                    let entry = if record.deleted {
                        Entry::NeedsGet
                    } else {
                        let key = email_key(&record.user.email);
                        state.by_email.entry(key).or_insert(id);
                        if is_complete(&record.user) {
                            Entry::Complete(Box::new(record.user))
                        } else {
                            Entry::NeedsGet
                        }
                    };
                    state.entries.insert(id, entry);
                }
                match progress {
                    Ok(Progress::Last) => state.ended = Some(End::Complete),
                    Ok(Progress::More) if state.entries.len() < MAX_LISTED_USERS => {}
                    // The memory cap, or a full page of users seen before
                    // (Domo ignores offset).
                    Ok(Progress::More) | Err(_) => state.ended = Some(End::Abandoned),
                }
            }
            Err(error) => {
                // Reads do not fail because the listing did: they GET.
                tracing::debug!(%error, offset, "user listing failed; reading users one by one");
                state.ended = Some(End::Abandoned);
            }
        }
        drop(state);
        self.changed.notify_waiters();
    }

    /// Ends a walk whose walker went away (its future was dropped).
    fn walk_abandoned(&self) {
        self.lock().walking = false;
        self.changed.notify_waiters();
    }
}

/// Clears the walk flag if the walker is dropped mid-fetch (a cancelled
/// Terraform operation), so that waiters do not wait for nothing.
struct WalkGuard<'a> {
    directory: Option<&'a Directory>,
}

impl WalkGuard<'_> {
    fn finish(mut self, offset: u32, for_read: bool, page: Result<Vec<UserRecord>, DomoError>) {
        if let Some(directory) = self.directory.take() {
            directory.page_arrived(offset, for_read, page);
        }
    }
}

impl Drop for WalkGuard<'_> {
    fn drop(&mut self) {
        if let Some(directory) = self.directory.take() {
            directory.walk_abandoned();
        }
    }
}

/// Whether a listed user has everything a GET would give. Domo's listing
/// is documented to hold the same objects, but should it leave out the
/// timestamps, a GET fills them in rather than state losing them.
fn is_complete(user: &User) -> bool {
    user.created_at.is_some() && user.updated_at.is_some()
}

impl DomoClient {
    /// The user with this id, like [`DomoClient::get_user`] (`None` = gone),
    /// but meant for reading many users: served from the shared listing
    /// when that is cheaper (see the module documentation). `None` always
    /// comes from a GET, never from a user's absence in the listing.
    pub async fn read_user(&self, id: u64) -> Result<Option<User>, DomoError> {
        let op = self.inner.operation();
        let directory = &*self.directory;
        let route = {
            let mut state = directory.lock();
            state.drop_if_old(Instant::now());
            state.reads += 1;
            match state.lookup(id) {
                Some(Found::User(user)) => {
                    state.routed += 1;
                    Route::Listed(user)
                }
                Some(Found::NeedsGet) => Route::Get,
                None if state.reads <= DIRECT_READS || state.ended.is_some() => Route::Get,
                None => {
                    state.routed += 1;
                    Route::Listing
                }
            }
        };
        match route {
            Route::Listed(user) => return Ok(Some(*user)),
            Route::Get => return self.get_user_in(&op, id).await,
            Route::Listing => {}
        }
        loop {
            let step = {
                let mut state = directory.lock();
                match state.lookup(id) {
                    Some(Found::User(user)) => Step::Done(*user),
                    Some(Found::NeedsGet) => Step::Get(id),
                    None if state.ended.is_some() => Step::Get(id),
                    None if state.walking => Step::Wait(directory.changed.notified()),
                    // The budget: no more pages than reads routed here.
                    None if state.pages_for_reads >= state.routed => Step::Get(id),
                    None => Step::Fetch(state.start_walk(Instant::now())),
                }
            };
            match step {
                Step::Done(user) => return Ok(Some(user)),
                Step::Get(id) => return self.get_user_in(&op, id).await,
                Step::Wait(changed) => {
                    // Past the deadline, the GET reports the timeout.
                    if tokio::time::timeout_at(op.deadline(), changed)
                        .await
                        .is_err()
                    {
                        return self.get_user_in(&op, id).await;
                    }
                }
                Step::Fetch(offset) => self.walk_one_page(&op, offset, true).await,
            }
        }
    }

    /// The first (not deleted) user whose email matches, ignoring case.
    /// Domo has no search endpoint, so this pages through the listing: the
    /// shared one, so that many lookups in one process cost one walk. A
    /// miss is checked against a listing at least as new as the call.
    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, DomoError> {
        let op = self.inner.operation();
        let directory = &*self.directory;
        let key = email_key(email);
        directory.lock().drop_if_old(Instant::now());
        loop {
            let step = {
                let mut state = directory.lock();
                match state.by_email.get(&key).copied() {
                    Some(id) => match state.lookup(id) {
                        Some(Found::User(user)) => Step::Done(Some(*user)),
                        _ => Step::Get(id),
                    },
                    None => match state.ended {
                        // Listed in full since this call began: trust the miss.
                        Some(End::Complete)
                            if state
                                .listing_started
                                .is_some_and(|started| started >= op.started()) =>
                        {
                            Step::Done(None)
                        }
                        Some(_) => break,
                        None if state.walking => Step::Wait(directory.changed.notified()),
                        None => Step::Fetch(state.start_walk(Instant::now())),
                    },
                }
            };
            match step {
                Step::Done(found) => return Ok(found),
                Step::Get(id) => match self.get_user_in(&op, id).await? {
                    Some(user) if same_email(&user.email, email) => return Ok(Some(user)),
                    // The email moved since it was listed: look afresh.
                    _ => break,
                },
                Step::Wait(changed) => {
                    if tokio::time::timeout_at(op.deadline(), changed)
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                Step::Fetch(offset) => self.walk_one_page(&op, offset, false).await,
            }
        }
        // The shared listing cannot answer (stopped early, older than this
        // call, or out of date for this email): scan Domo directly.
        self.find_by_email_in(&op, email).await
    }

    /// Reads many users at once (a roster's refresh): like
    /// [`DomoClient::read_user`] for each id, in one pass of the shared
    /// listing. The reads count as one batch: a batch of at most
    /// [`DIRECT_READS`] users (with the reads before it) is a plain GET
    /// each; a larger one walks the listing while any of its users is not
    /// listed yet, within the same page budget (no more pages than reads),
    /// then GETs, concurrently, only the users the listing cannot settle.
    /// The results are in the order of `ids`; `None` always comes from a
    /// GET.
    pub async fn read_users(&self, ids: &[u64]) -> Vec<Result<Option<User>, DomoError>> {
        let op = self.inner.operation();
        let directory = &*self.directory;
        let count = ids.len() as u64;
        let use_listing = {
            let mut state = directory.lock();
            state.drop_if_old(Instant::now());
            state.reads += count;
            let listing = state.reads > DIRECT_READS && state.ended.is_none();
            if listing {
                let answerable = ids
                    .iter()
                    .filter(|id| !matches!(state.lookup(**id), Some(Found::NeedsGet)))
                    .count();
                state.routed += answerable as u64;
            }
            listing
        };
        if use_listing {
            let mut unlisted: Vec<u64> = ids.to_vec();
            loop {
                let step = {
                    let mut state = directory.lock();
                    unlisted.retain(|id| state.lookup(*id).is_none());
                    if unlisted.is_empty()
                        || state.ended.is_some()
                        || state.pages_for_reads >= state.routed
                    {
                        break;
                    }
                    if state.walking {
                        Step::Wait(directory.changed.notified())
                    } else {
                        Step::Fetch(state.start_walk(Instant::now()))
                    }
                };
                match step {
                    Step::Wait(changed) => {
                        if tokio::time::timeout_at(op.deadline(), changed)
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                    Step::Fetch(offset) => self.walk_one_page(&op, offset, true).await,
                    Step::Done(()) | Step::Get(_) => break,
                }
            }
        }
        // What the listing settled (by this batch or an earlier read, such
        // as another roster's refresh in the same process: a small batch
        // after a complete listing costs nothing), and which users need a
        // GET.
        let settled: Vec<Option<Result<Option<User>, DomoError>>> = {
            let state = directory.lock();
            ids.iter()
                .map(|id| match state.lookup(*id) {
                    Some(Found::User(user)) => Some(Ok(Some(*user))),
                    _ => None,
                })
                .collect()
        };
        let to_get: Vec<(usize, u64)> = settled
            .iter()
            .zip(ids)
            .enumerate()
            .filter(|(_, (settled, _))| settled.is_none())
            .map(|(index, (_, id))| (index, *id))
            .collect();
        tracing::debug!(users = ids.len(), gets = to_get.len(), "bulk read of users");
        let fetched = run_bounded(self.concurrency(), to_get, |(index, id)| async move {
            (index, self.get_user(id).await)
        })
        .await;
        // Every unsettled read is in `to_get`, so each placeholder below is
        // replaced by its GET's result.
        let mut results: Vec<Result<Option<User>, DomoError>> = settled
            .into_iter()
            .map(|settled| settled.unwrap_or(Ok(None)))
            .collect();
        for (index, result) in fetched {
            results[index] = result;
        }
        results
    }

    /// Fetches the page at `offset` for the shared walk (the caller has
    /// marked the walk busy) and hands it to the directory.
    async fn walk_one_page(&self, op: &Operation, offset: u32, for_read: bool) {
        let guard = WalkGuard {
            directory: Some(&self.directory),
        };
        let page = self.fetch_page(op, MAX_PAGE_SIZE, offset).await;
        guard.finish(offset, for_read, page);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64, email: &str, stamped: bool, deleted: bool) -> UserRecord {
        let stamp = stamped.then(|| "2026-01-01T00:00:00.000Z".to_string());
        UserRecord {
            user: User {
                id,
                name: format!("User {id}"),
                email: email.to_string(),
                role: "Participant".to_string(),
                role_id: None,
                group_ids: None,
                title: None,
                alternate_email: None,
                phone: None,
                location: None,
                employee_number: None,
                created_at: stamp.clone(),
                updated_at: stamp,
                image_url: None,
            },
            deleted,
        }
    }

    #[test]
    fn incomplete_or_deleted_listings_send_reads_to_a_get() {
        let directory = Directory::default();
        directory.page_arrived(
            0,
            true,
            Ok(vec![
                record(1, "a@x.com", true, false),
                record(2, "b@x.com", false, false),
                record(3, "c@x.com", true, true),
            ]),
        );
        let state = directory.lock();
        assert!(matches!(state.lookup(1), Some(Found::User(_))));
        assert!(matches!(state.lookup(2), Some(Found::NeedsGet)));
        assert!(matches!(state.lookup(3), Some(Found::NeedsGet)));
        assert!(state.lookup(4).is_none());
        assert_eq!(state.ended, Some(End::Complete), "a short page ends it");
        assert_eq!(state.by_email.get("b@x.com"), Some(&2));
        assert!(!state.by_email.contains_key("c@x.com"), "deleted");
    }

    #[test]
    fn written_users_are_never_served_from_the_listing() {
        let directory = Directory::default();
        directory.forget(1);
        // A page fetched before the write lands after it.
        directory.page_arrived(0, true, Ok(vec![record(1, "a@x.com", true, false)]));
        assert!(matches!(directory.lock().lookup(1), Some(Found::NeedsGet)));
    }

    #[test]
    fn a_full_page_of_known_users_or_an_error_abandons_the_walk() {
        let page = || {
            (1..=u64::from(MAX_PAGE_SIZE))
                .map(|id| record(id, &format!("{id}@x.com"), true, false))
                .collect::<Vec<_>>()
        };
        let directory = Directory::default();
        directory.page_arrived(0, true, Ok(page()));
        assert_eq!(directory.lock().ended, None);
        assert_eq!(directory.lock().walk.offset(), MAX_PAGE_SIZE);
        directory.page_arrived(MAX_PAGE_SIZE, true, Ok(page()));
        assert_eq!(directory.lock().ended, Some(End::Abandoned));

        let directory = Directory::default();
        directory.page_arrived(0, true, Err(DomoError::InvalidConfig("x".into())));
        assert_eq!(directory.lock().ended, Some(End::Abandoned));
        assert!(!directory.lock().walking);
    }

    #[test]
    fn old_listings_are_dropped_but_writes_remembered() {
        let directory = Directory::default();
        let start = Instant::now();
        directory.lock().start_walk(start);
        directory.page_arrived(0, true, Ok(vec![record(1, "a@x.com", true, false)]));
        directory.forget(2);
        let mut state = directory.lock();
        state.drop_if_old(start + MAX_LISTING_AGE);
        assert!(state.lookup(1).is_some(), "not old yet");
        state.drop_if_old(start + MAX_LISTING_AGE + Duration::from_secs(1));
        assert!(state.lookup(1).is_none());
        assert_eq!(state.ended, None);
        assert!(state.written.contains(&2));
    }
}
