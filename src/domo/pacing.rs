//! Client-side pacing shared by every operation of one client (so by the
//! whole provider process): a semaphore bounds requests in flight, a token
//! bucket spaces request starts, and a pause gate holds everyone back when
//! Domo asks for a long wait.
//!
//! The bucket's rate adapts to Domo's answers, additive increase and
//! multiplicative decrease as TCP does: a 429 cuts the pace by 30% (at most
//! once a second, since the answers to requests already sent at the old
//! pace arrive after the cut), every other answer raises it a little, about
//! four requests a second per second of traffic, back up to the configured
//! `max_requests_per_minute` (or to no limit at all). Processes that share
//! a Domo instance and its rate limit thus settle near their share of it
//! instead of all retrying at full speed.
//!
//! A short `Retry-After` (a second: "this second's quota is used up") holds
//! back only the request it answers; the lower pace takes care of the
//! rest. Holding the whole process for it, as an earlier version did, left
//! three pipelines sharing a 20 requests/s limit idle a third of the time.
//! A long one (from [`LONG_WAIT`]) holds back every request of the process:
//! nothing sent before then would be accepted.
//!
//! The policy ([`TokenBucket`], [`Pace`]) is pure: time comes in as an
//! argument, so the tests control the clock.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// Most requests the bucket lets start back to back after an idle spell.
const MAX_BURST: f64 = 10.0;
/// The adaptive pace never goes below this many requests a second.
const MIN_RATE: f64 = 1.0;
/// A 429 multiplies the pace by this...
const DECREASE: f64 = 0.7;
/// ...at most once in this long.
const CUT_INTERVAL: Duration = Duration::from_secs(1);
/// Each answer that is not a 429 raises the pace by this divided by the
/// pace: about this many requests a second, per second of traffic.
/// (With 0.7 and 4, three pipelines sharing 20 requests/s apply 900 users
/// in about 49 s, the floor being 45 s; halving and +2 took 57-60 s.)
const INCREASE: f64 = 4.0;
/// A 429 asking to wait at least this long holds back every request of
/// the process until then.
pub(crate) const LONG_WAIT: Duration = Duration::from_secs(5);
/// An adaptive pace recovered beyond this (requests a second) is dropped
/// when no pace is configured: no Domo instance takes that many.
const UNLIMITED: f64 = 1000.0;
/// Request starts remembered to measure the current rate (one second's
/// worth; bounded so that memory is too).
const MAX_REMEMBERED_STARTS: usize = 4096;

/// A token bucket with reservations: each request takes one token, and when
/// none is left it books the next one and is told how long to wait for it.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    per_second: f64,
    burst: f64,
    /// Tokens at `updated`; negative when starts are booked ahead.
    available: f64,
    /// When `available` was counted; may lie ahead after [`Self::hold_until`].
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket for `per_minute` request starts a minute.
    pub(crate) fn new(per_minute: u32, now: Instant) -> TokenBucket {
        let mut bucket = TokenBucket::empty(f64::from(per_minute.max(1)) / 60.0, now);
        bucket.available = bucket.burst;
        bucket
    }

    /// An empty bucket for `per_second` starts a second. The burst is about
    /// one second's worth, between 1 and [`MAX_BURST`].
    pub(crate) fn empty(per_second: f64, now: Instant) -> TokenBucket {
        let per_second = per_second.max(f64::MIN_POSITIVE);
        TokenBucket {
            per_second,
            burst: per_second.clamp(1.0, MAX_BURST),
            available: 0.0,
            updated: now,
        }
    }

    pub(crate) fn per_second(&self) -> f64 {
        self.per_second
    }

    fn refill(&mut self, now: Instant) {
        if now > self.updated {
            let refill = now.duration_since(self.updated).as_secs_f64() * self.per_second;
            self.available = (self.available + refill).min(self.burst);
            self.updated = now;
        }
    }

    /// Changes the rate from `now` on; tokens already earned are kept, up
    /// to the new burst.
    pub(crate) fn set_rate(&mut self, per_second: f64, now: Instant) {
        self.refill(now);
        self.per_second = per_second.max(f64::MIN_POSITIVE);
        self.burst = self.per_second.clamp(1.0, MAX_BURST);
        self.available = self.available.min(self.burst);
    }

    /// No start before `until`, and no burst saved up for it.
    pub(crate) fn hold_until(&mut self, until: Instant) {
        self.available = self.available.min(0.0);
        if until > self.updated {
            self.updated = until;
        }
    }

    /// Books one request start at or after `now`; returns how long the
    /// caller must wait before starting it.
    pub(crate) fn reserve(&mut self, now: Instant) -> Duration {
        self.refill(now);
        self.available -= 1.0;
        let held = self.updated.saturating_duration_since(now);
        if self.available >= 0.0 {
            held
        } else {
            held + Duration::from_secs_f64(-self.available / self.per_second)
        }
    }
}

/// The pace of one client: the configured rate, the adaptive limit below
/// it, and the bucket that enforces whichever is lower.
#[derive(Debug)]
pub(crate) struct Pace {
    /// `max_requests_per_minute`, per second; `None` for no limit.
    configured: Option<f64>,
    /// The adaptive limit; `None` while no 429 has lowered it (or it has
    /// recovered).
    adaptive: Option<f64>,
    bucket: Option<TokenBucket>,
    last_cut: Option<Instant>,
    /// Starts booked in the last second, oldest first.
    starts: VecDeque<Instant>,
}

impl Pace {
    pub(crate) fn new(max_per_minute: Option<u32>, now: Instant) -> Pace {
        Pace {
            configured: max_per_minute.map(|rate| f64::from(rate.max(1)) / 60.0),
            adaptive: None,
            bucket: max_per_minute.map(|rate| TokenBucket::new(rate, now)),
            last_cut: None,
            starts: VecDeque::new(),
        }
    }

    /// The rate in force, requests a second; `None` when unlimited.
    pub(crate) fn rate(&self) -> Option<f64> {
        self.bucket.as_ref().map(TokenBucket::per_second)
    }

    /// Books one request start; returns how long to wait for it.
    pub(crate) fn reserve(&mut self, now: Instant) -> Duration {
        let wait = self
            .bucket
            .as_mut()
            .map_or(Duration::ZERO, |bucket| bucket.reserve(now));
        if self.starts.len() == MAX_REMEMBERED_STARTS {
            self.starts.pop_front();
        }
        self.starts.push_back(now + wait);
        wait
    }

    /// Domo answered 429: slow down (once per [`CUT_INTERVAL`]); with
    /// `hold_until`, start nothing before then either.
    pub(crate) fn rate_limited(&mut self, now: Instant, hold_until: Option<Instant>) {
        let recently_cut = self
            .last_cut
            .is_some_and(|cut| now.duration_since(cut) < CUT_INTERVAL);
        if !recently_cut {
            self.last_cut = Some(now);
            let current = self.current_rate(now);
            let lowered = (current * DECREASE).max(MIN_RATE);
            self.adaptive = Some(lowered);
            self.apply_rate(lowered, now);
        }
        if let (Some(bucket), Some(until)) = (&mut self.bucket, hold_until) {
            bucket.hold_until(until);
        }
    }

    /// Domo answered something other than 429: speed up a little.
    pub(crate) fn answered(&mut self, now: Instant) {
        let Some(adaptive) = self.adaptive else {
            return;
        };
        let raised = adaptive + INCREASE / adaptive;
        let ceiling = self.configured.unwrap_or(UNLIMITED);
        if raised >= ceiling {
            self.adaptive = None;
            match self.configured {
                Some(rate) => self.apply_rate(rate, now),
                None => self.bucket = None,
            }
        } else {
            self.adaptive = Some(raised);
            self.apply_rate(raised, now);
        }
    }

    /// What the pace is now: the bucket's rate, or when unlimited (or above
    /// what is really sent) the rate of starts over the last second.
    fn current_rate(&mut self, now: Instant) -> f64 {
        while self
            .starts
            .front()
            .is_some_and(|start| now.saturating_duration_since(*start) > Duration::from_secs(1))
        {
            self.starts.pop_front();
        }
        let observed = self.starts.len() as f64;
        let limit = self.rate().unwrap_or(f64::INFINITY);
        limit.min(observed).max(MIN_RATE)
    }

    fn apply_rate(&mut self, per_second: f64, now: Instant) {
        match &mut self.bucket {
            Some(bucket) => bucket.set_rate(per_second, now),
            None => self.bucket = Some(TokenBucket::empty(per_second, now)),
        }
    }
}

/// Why a request could not get its turn.
#[derive(Debug)]
pub(crate) struct DeadlinePassed;

/// The shared pacing state of one client.
pub(crate) struct Pacer {
    in_flight: Semaphore,
    pace: Mutex<Pace>,
    paused_until: Mutex<Option<Instant>>,
}

impl Pacer {
    pub(crate) fn new(max_concurrent: usize, max_per_minute: Option<u32>) -> Pacer {
        Pacer {
            in_flight: Semaphore::new(max_concurrent.max(1)),
            pace: Mutex::new(Pace::new(max_per_minute, Instant::now())),
            paused_until: Mutex::new(None),
        }
    }

    /// Waits for this request's turn: a free slot, the end of any pause Domo
    /// asked for, and the next start the pace allows. The permit is held for
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
        let wait = lock(&self.pace).reserve(Instant::now());
        if !wait.is_zero() {
            sleep_until_before(Instant::now() + wait, deadline).await?;
        }
        Ok(permit)
    }

    /// Domo answered 429, maybe asking to wait `server_wait`: slow down,
    /// and when the wait is long, hold back every request until it ends.
    pub(crate) fn rate_limited(&self, server_wait: Option<Duration>) {
        let now = Instant::now();
        let hold_until = server_wait
            .filter(|wait| *wait >= LONG_WAIT)
            .map(|wait| now + wait);
        if let Some(until) = hold_until {
            let mut paused = lock(&self.paused_until);
            if paused.is_none_or(|current| current < until) {
                *paused = Some(until);
            }
        }
        lock(&self.pace).rate_limited(now, hold_until);
    }

    /// Domo answered anything but 429.
    pub(crate) fn answered(&self) {
        lock(&self.pace).answered(Instant::now());
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

    fn secs(seconds: u64) -> Duration {
        Duration::from_secs(seconds)
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
        let later = start + secs(60);
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

    #[test]
    fn a_held_bucket_starts_nothing_before_the_hold_ends_and_saves_no_burst() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(600, start); // 10 a second, burst 10
        bucket.hold_until(start + secs(1));
        assert_eq!(bucket.reserve(start), ms(1100));
        assert_eq!(bucket.reserve(start + ms(500)), ms(700));
        // After the hold, starts are spaced at the rate: no saved-up burst.
        assert_eq!(bucket.reserve(start + secs(1)), ms(300));
    }

    #[test]
    fn a_new_rate_applies_to_starts_booked_after_it() {
        let start = Instant::now();
        let mut bucket = TokenBucket::empty(10.0, start);
        assert_eq!(bucket.reserve(start), ms(100));
        bucket.set_rate(2.0, start);
        assert_eq!(bucket.reserve(start), ms(1000));
    }

    /// Books `n` starts at `now` and returns the last one's wait.
    fn book(pace: &mut Pace, now: Instant, n: usize) -> Duration {
        (0..n).map(|_| pace.reserve(now)).last().unwrap_or_default()
    }

    fn assert_rate(pace: &Pace, expected: f64) {
        let rate = pace.rate().expect("a pace in force");
        assert!((rate - expected).abs() < 1e-9, "{rate} != {expected}");
    }

    #[test]
    fn unlimited_pace_cuts_the_observed_rate_on_a_429() {
        let start = Instant::now();
        let mut pace = Pace::new(None, start);
        assert_eq!(pace.rate(), None);
        assert_eq!(book(&mut pace, start, 40), Duration::ZERO);
        pace.rate_limited(start + ms(100), None);
        assert_rate(&pace, 28.0);
        // More 429s for requests already sent do not cut again at once...
        pace.rate_limited(start + ms(500), None);
        assert_rate(&pace, 28.0);
        // ...but one a second later does, from the pace then in force.
        book(&mut pace, start + ms(1100), 28);
        pace.rate_limited(start + ms(1200), None);
        assert_rate(&pace, 19.6);
    }

    #[test]
    fn the_pace_never_falls_below_the_floor() {
        let start = Instant::now();
        let mut pace = Pace::new(Some(120), start); // 2 a second
        for second in 0..10 {
            pace.rate_limited(start + secs(second), None);
        }
        assert_eq!(pace.rate(), Some(MIN_RATE));
    }

    #[test]
    fn a_hold_stops_every_start_until_it_ends() {
        let start = Instant::now();
        let mut pace = Pace::new(None, start);
        book(&mut pace, start, 10);
        pace.rate_limited(start, Some(start + secs(10)));
        assert_rate(&pace, 7.0);
        let wait = pace.reserve(start);
        assert!(wait > secs(10) && wait < secs(10) + ms(150), "{wait:?}");
    }

    #[test]
    fn answers_raise_the_pace_gradually_back_to_the_configured_rate() {
        let start = Instant::now();
        let mut pace = Pace::new(Some(1200), start); // 20 a second
        book(&mut pace, start, 20);
        pace.rate_limited(start, None);
        assert_rate(&pace, 14.0);
        // About +4 a second per second of answers at the current pace.
        let mut now = start;
        let mut answers = 0;
        while pace.rate().is_some_and(|rate| rate < 18.0) {
            now += ms(70);
            pace.answered(now);
            answers += 1;
        }
        assert!((14..=16).contains(&answers), "{answers}");
        for _ in 0..1000 {
            pace.answered(now);
        }
        assert_eq!(pace.rate(), Some(20.0), "back to the configured rate");
    }

    #[test]
    fn an_unlimited_pace_recovers_to_no_limit() {
        let start = Instant::now();
        let mut pace = Pace::new(None, start);
        book(&mut pace, start, 10);
        pace.rate_limited(start, None);
        assert_rate(&pace, 7.0);
        pace.answered(start);
        assert_rate(&pace, 7.0 + 4.0 / 7.0);
        for _ in 0..1_000_000 {
            pace.answered(start);
            if pace.rate().is_none() {
                break;
            }
        }
        assert_eq!(pace.rate(), None);
        assert_eq!(pace.reserve(start), Duration::ZERO);
    }

    #[test]
    fn a_slow_client_is_cut_from_what_it_really_sends() {
        let start = Instant::now();
        // Configured at 100 a second but sending 10: the cut is from 10.
        let mut pace = Pace::new(Some(6000), start);
        book(&mut pace, start, 10);
        pace.rate_limited(start + ms(500), None);
        assert_rate(&pace, 7.0);
    }

    #[tokio::test]
    async fn a_long_wait_holds_back_every_request_a_short_one_does_not() {
        let pacer = Pacer::new(4, None);
        // Only the (lowered) pace applies: at least a start a second.
        pacer.rate_limited(Some(LONG_WAIT - ms(1)));
        assert!(pacer.turn(Instant::now() + ms(1500)).await.is_ok());
        pacer.rate_limited(Some(Duration::from_secs(60)));
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
