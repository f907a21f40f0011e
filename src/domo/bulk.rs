//! Many user changes at once: creates, updates and deletes run concurrently,
//! each through the single-user call (so each keeps its retries, the shared
//! pacing, and a create's adopt-after-ambiguous-failure rule), with at most
//! `max_concurrent_requests` operations under way. Every change gets its own
//! result: one failure never stops or hides the others.

use std::future::Future;

use futures_util::stream::{self, StreamExt};

use super::error::DomoError;
use super::model::{User, UserFields};
use super::DomoClient;

/// One change to one user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserChange {
    Create {
        fields: UserFields,
        send_invite: bool,
    },
    Update {
        id: u64,
        fields: UserFields,
    },
    Delete {
        id: u64,
    },
}

/// What a change did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeDone {
    /// The user as created (or adopted after an uncertain create).
    Created(User),
    /// The user as Domo has it after the update.
    Updated(User),
    Deleted,
}

impl DomoClient {
    /// Applies `changes`, each tagged with a key of the caller's choosing,
    /// concurrently. Returns every key with its result, in the order the
    /// changes finished. Dropping the future cancels what has not finished.
    pub async fn apply_user_changes<K>(
        &self,
        changes: Vec<(K, UserChange)>,
    ) -> Vec<(K, Result<ChangeDone, DomoError>)> {
        let total = changes.len();
        let results = run_bounded(self.concurrency(), changes, |(key, change)| async move {
            let result = match change {
                UserChange::Create {
                    fields,
                    send_invite,
                } => self
                    .create_user(&fields, send_invite)
                    .await
                    .map(ChangeDone::Created),
                UserChange::Update { id, fields } => {
                    self.update_user(id, &fields).await.map(ChangeDone::Updated)
                }
                UserChange::Delete { id } => {
                    self.delete_user(id).await.map(|()| ChangeDone::Deleted)
                }
            };
            (key, result)
        })
        .await;
        let failed = results.iter().filter(|(_, r)| r.is_err()).count();
        tracing::debug!(total, failed, "applied a batch of user changes");
        results
    }

    /// How many operations a bulk call keeps under way: as many as may be
    /// in flight, so that none waits long for its turn (an operation's
    /// deadline runs from its start).
    pub(crate) fn concurrency(&self) -> usize {
        self.inner.config().max_concurrent_requests.max(1)
    }
}

/// Runs `work` on every item with at most `limit` running at once; the
/// outputs come back in the order they finished. The futures are polled by
/// the caller (no tasks are spawned): dropping the returned future cancels
/// whatever has not finished.
pub(crate) async fn run_bounded<T, F, Fut>(limit: usize, items: Vec<T>, work: F) -> Vec<Fut::Output>
where
    F: FnMut(T) -> Fut,
    Fut: Future,
{
    stream::iter(items)
        .map(work)
        .buffer_unordered(limit.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test(flavor = "current_thread")]
    async fn run_bounded_keeps_at_most_limit_running_and_returns_everything() {
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let outputs = run_bounded(3, (0..20).collect(), |i: u64| {
            let running = running.clone();
            let peak = peak.clone();
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2 + i % 4)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                i * 2
            }
        })
        .await;
        let mut sorted = outputs.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..20).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        assert!(run_bounded(0, Vec::<u8>::new(), |i| async move { i })
            .await
            .is_empty());
    }
}
