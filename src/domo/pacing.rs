//! Client-side pacing shared by every operation of one client: a semaphore
//! bounds requests in flight, a token bucket spaces request starts to the
//! configured rate, and a pause gate holds everyone back after Domo asked
//! one request to wait (so concurrent operations stop hammering together).

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// Most requests the bucket lets start back to back after an idle spell.
const MAX_BURST: f64 = 10.0;

/// A token bucket with reservations: each request takes one token, and when
/// none is left it books the next one and is told how long to wait for it.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    per_second: f64,
    burst: f64,
    available: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket for `per_minute` request starts a minute. The burst is
    /// about one second's worth, between 1 and [`MAX_BURST`].
    pub(crate) fn new(per_minute: u32, now: Instant) -> TokenBucket {
        let per_second = f64::from(per_minute.max(1)) / 60.0;
        let burst = per_second.clamp(1.0, MAX_BURST);
        TokenBucket {
            per_second,
            burst,
            available: burst,
            updated: now,
        }
    }

    /// Books one request start at or after `now`; returns how long the
    /// caller must wait before starting it.
    pub(crate) fn reserve(&mut self, now: Instant) -> Duration {
        if now > self.updated {
            let refill = now.duration_since(self.updated).as_secs_f64() * self.per_second;
            self.available = (self.available + refill).min(self.burst);
            self.updated = now;
        }
        self.available -= 1.0;
        if self.available >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.available / self.per_second)
        }
    }
}

/// Why a request could not get its turn.
#[derive(Debug)]
pub(crate) struct DeadlinePassed;

/// The shared pacing state of one client.
pub(crate) struct Pacer {
    in_flight: Semaphore,
    bucket: Option<Mutex<TokenBucket>>,
    paused_until: Mutex<Option<Instant>>,
}

impl Pacer {
    pub(crate) fn new(max_concurrent: usize, max_per_minute: Option<u32>) -> Pacer {
        Pacer {
            in_flight: Semaphore::new(max_concurrent.max(1)),
            bucket: max_per_minute.map(|rate| Mutex::new(TokenBucket::new(rate, Instant::now()))),
            paused_until: Mutex::new(None),
        }
    }

    /// Waits for this request's turn: a free slot, the end of any pause Domo
    /// asked for, and the next start the rate allows. The permit is held for
    /// the duration of the attempt.
    pub(crate) async fn turn(
        &self,
        deadline: Instant,
    ) -> Result<SemaphorePermit<'_>, DeadlinePassed> {
        let permit = tokio::time::timeout_at(deadline, self.in_flight.acquire())
            .await
            .map_err(|_| DeadlinePassed)?
            .map_err(|_| DeadlinePassed)?; // never closed; treated as unavailable
        let paused_until = *lock(&self.paused_until);
        if let Some(until) = paused_until {
            sleep_until_before(until, deadline).await?;
        }
        if let Some(bucket) = &self.bucket {
            let wait = lock(bucket).reserve(Instant::now());
            if !wait.is_zero() {
                sleep_until_before(Instant::now() + wait, deadline).await?;
            }
        }
        Ok(permit)
    }

    /// Holds every request of this client back until `until`.
    pub(crate) fn pause_until(&self, until: Instant) {
        let mut paused = lock(&self.paused_until);
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }
}

async fn sleep_until_before(until: Instant, deadline: Instant) -> Result<(), DeadlinePassed> {
    if until > deadline {
        tokio::time::sleep_until(deadline).await;
        return Err(DeadlinePassed);
    }
    tokio::time::sleep_until(until).await;
    Ok(())
}

/// Locks a std mutex, shrugging off poisoning: the guarded data are plain
/// numbers that stay consistent even if a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    #[test]
    fn bucket_allows_a_small_burst_then_spaces_starts() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(120, start); // 2 a second, burst 2
        assert_eq!(bucket.reserve(start), Duration::ZERO);
        assert_eq!(bucket.reserve(start), Duration::ZERO);
        assert_eq!(bucket.reserve(start), ms(500));
        assert_eq!(bucket.reserve(start), ms(1000));
        // One second later the two booked tokens have just been paid back.
        assert_eq!(bucket.reserve(start + ms(1000)), ms(500));
    }

    #[test]
    fn bucket_refills_at_the_rate_up_to_the_burst_only() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(60, start); // 1 a second, burst 1
        assert_eq!(bucket.reserve(start), Duration::ZERO);
        assert_eq!(bucket.reserve(start + ms(250)), ms(750));
        // A long idle spell refills one token, not sixty.
        let later = start + Duration::from_secs(60);
        assert_eq!(bucket.reserve(later), Duration::ZERO);
        assert_eq!(bucket.reserve(later), ms(1000));
    }

    #[test]
    fn burst_is_capped_for_high_rates() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(6000, start); // 100 a second
        for _ in 0..10 {
            assert_eq!(bucket.reserve(start), Duration::ZERO);
        }
        assert_eq!(bucket.reserve(start), ms(10));
    }

    #[tokio::test]
    async fn turn_fails_once_the_deadline_cannot_be_met() {
        let pacer = Pacer::new(1, None);
        pacer.pause_until(Instant::now() + Duration::from_secs(60));
        let deadline = Instant::now() + ms(20);
        assert!(pacer.turn(deadline).await.is_err());
    }

    #[tokio::test]
    async fn semaphore_bounds_requests_in_flight() {
        let pacer = Pacer::new(1, None);
        let held = pacer.turn(Instant::now() + ms(100)).await;
        assert!(held.is_ok());
        assert!(pacer.turn(Instant::now() + ms(20)).await.is_err());
        drop(held);
        assert!(pacer.turn(Instant::now() + ms(20)).await.is_ok());
    }
}
