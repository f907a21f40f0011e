//! Retry policy as pure functions: which outcomes are retried, how long to
//! back off (exponential, full jitter), how long each kind of setback may
//! go on (a count of retries, or the operation's deadline), and how to read
//! the server's own `Retry-After` / `X-RateLimit-Reset` hints. Time and
//! randomness come in as arguments so the tests control them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// First backoff window; each retry doubles it up to [`BACKOFF_CAP`].
pub(crate) const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// Longest backoff window we choose ourselves (a server may ask for more).
pub(crate) const BACKOFF_CAP: Duration = Duration::from_secs(20);
/// Requests told to wait spread their return over at least this long (and
/// at most [`SPREAD_MAX`]) beyond the wait: with a one-second window
/// `Retry-After: 1` sends every waiting request of every client back in
/// the same instant otherwise.
pub(crate) const SPREAD_MIN: Duration = Duration::from_secs(1);
pub(crate) const SPREAD_MAX: Duration = Duration::from_secs(10);
/// Longest backoff between tries to reconnect to a Domo that is down: it
/// may be back any second, and nothing is sent meanwhile.
pub(crate) const REFUSED_CAP: Duration = Duration::from_secs(4);

/// Whether a request may be sent twice without harm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// GET, PUT (whole object), DELETE (404 afterwards means done), token.
    Safe,
    /// POST create: a second copy could create a second user.
    Unsafe,
}

/// What to do after one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The answer is final (success or an error to report).
    Final,
    /// Back off and send again.
    Retry,
    /// The request may have been processed and must not be blindly repeated:
    /// the caller has to find out what happened first.
    Ambiguous,
}

/// Verdict for an HTTP status.
///
/// 429 is retried for every request: Domo refused it without processing.
/// 502/503/504 are transient gateway/overload answers. 500 is retried too
/// for safe requests: GETs obviously, and PUT/DELETE because they are
/// idempotent (a PUT of the whole object or a DELETE can be repeated, and a
/// repeated DELETE answering 404 counts as success). For a create, any 5xx
/// is ambiguous: the user may have been created before the error.
pub(crate) fn classify_status(status: u16, repeat: Repeat) -> Verdict {
    match (status, repeat) {
        (429, _) => Verdict::Retry,
        (500 | 502 | 503 | 504, Repeat::Safe) => Verdict::Retry,
        (500..=599, Repeat::Unsafe) => Verdict::Ambiguous,
        _ => Verdict::Final,
    }
}

/// Verdict for a transport failure (no HTTP answer). `reached_server` is
/// false only when the failure certainly happened before the request left
/// (e.g. connection refused), which makes even a create safe to resend.
pub(crate) fn classify_transport_failure(reached_server: bool, repeat: Repeat) -> Verdict {
    match (reached_server, repeat) {
        (false, _) | (true, Repeat::Safe) => Verdict::Retry,
        (true, Repeat::Unsafe) => Verdict::Ambiguous,
    }
}

/// What a failed attempt ran into, as far as the retry budget goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Setback {
    /// 429: Domo refused the request without processing it, so repeating
    /// it is always safe; retried until the operation's deadline, however
    /// many times that takes.
    RateLimited { server_wait: Option<Duration> },
    /// No connection could be made to a Domo that has answered this client
    /// before: it is down or restarting, and the request never left.
    /// Retried until the operation's deadline too.
    Refused,
    /// Anything else worth retrying (a 5xx for a safe request, a timeout, a
    /// broken connection, a host never reached): at most `max_retries`.
    Transient { server_wait: Option<Duration> },
}

/// Why there is no next retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exhausted {
    /// `max_retries` transient failures in a row were retried already.
    Retries,
    /// The wait would not end before the operation's deadline.
    Time,
}

/// The retries made so far for one request (or one caller-driven loop),
/// by kind, each kind with its own backoff sequence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RetryBudget {
    transient: u32,
    rate_limited: u32,
    refused: u32,
}

impl RetryBudget {
    /// Counts one more retry after `setback` and returns how long to wait
    /// before it, or why it must not happen: `remaining` is the time left
    /// before the operation's deadline, `jitter` a number in `[0, 1)`.
    pub(crate) fn next_wait(
        &mut self,
        setback: Setback,
        max_retries: u32,
        remaining: Duration,
        jitter: f64,
    ) -> Result<Duration, Exhausted> {
        let wait = match setback {
            Setback::RateLimited { server_wait } => {
                self.rate_limited += 1;
                match server_wait {
                    Some(_) => backoff_delay(self.rate_limited, jitter, server_wait),
                    // Without a hint, never less than a second's spread.
                    None => backoff_ceiling(self.rate_limited)
                        .max(SPREAD_MIN)
                        .mul_f64(clamp_jitter(jitter)),
                }
            }
            Setback::Refused => {
                self.refused += 1;
                backoff_ceiling(self.refused)
                    .min(REFUSED_CAP)
                    .mul_f64(clamp_jitter(jitter))
            }
            Setback::Transient { server_wait } => {
                if self.transient >= max_retries {
                    return Err(Exhausted::Retries);
                }
                self.transient += 1;
                backoff_delay(self.transient, jitter, server_wait)
            }
        };
        if wait >= remaining {
            return Err(Exhausted::Time);
        }
        Ok(wait)
    }

    /// Retries counted so far, of every kind.
    pub(crate) fn total(&self) -> u32 {
        self.transient + self.rate_limited + self.refused
    }
}

fn clamp_jitter(jitter: f64) -> f64 {
    if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Delay before retry number `retry` (1 = first retry).
///
/// Without a server hint: "full jitter", a uniform pick in
/// `[0, min(cap, base * 2^(retry-1)))`, which spreads concurrent clients
/// best. With a server hint: at least the requested wait, plus a uniform
/// pick over as long again, between [`SPREAD_MIN`] and [`SPREAD_MAX`], so
/// that requests told the same instant do not all return in it.
/// `jitter` is a number in `[0, 1)`.
pub(crate) fn backoff_delay(retry: u32, jitter: f64, server_wait: Option<Duration>) -> Duration {
    let jitter = clamp_jitter(jitter);
    match server_wait {
        Some(wait) => wait.saturating_add(wait.clamp(SPREAD_MIN, SPREAD_MAX).mul_f64(jitter)),
        None => backoff_ceiling(retry).mul_f64(jitter),
    }
}

/// Upper bound of the full-jitter window for retry number `retry`.
pub(crate) fn backoff_ceiling(retry: u32) -> Duration {
    let doublings = retry.saturating_sub(1).min(31);
    BACKOFF_BASE
        .saturating_mul(1u32 << doublings)
        .min(BACKOFF_CAP)
}

/// Parses `Retry-After`: delta-seconds (decimals tolerated) or an HTTP-date.
/// A date in the past means "now".
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Some(seconds) = parse_seconds(value) {
        return Some(seconds);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses `X-RateLimit-Reset`, leniently since its meaning varies between
/// APIs: epoch milliseconds or epoch seconds when the number is that large,
/// otherwise delta-seconds; an HTTP-date is accepted too.
pub(crate) fn parse_rate_limit_reset(value: &str, now: SystemTime) -> Option<Duration> {
    const EPOCH_SECONDS_FLOOR: f64 = 1_000_000_000.0; // 2001-09-09
    const EPOCH_MILLIS_FLOOR: f64 = 1_000_000_000_000.0;
    let value = value.trim();
    let Ok(number) = value.parse::<f64>() else {
        let date = httpdate::parse_http_date(value).ok()?;
        return Some(date.duration_since(now).unwrap_or(Duration::ZERO));
    };
    if !number.is_finite() || number < 0.0 {
        return None;
    }
    let epoch_seconds = if number >= EPOCH_MILLIS_FLOOR {
        number / 1000.0
    } else if number >= EPOCH_SECONDS_FLOOR {
        number
    } else {
        return Duration::try_from_secs_f64(number).ok();
    };
    let reset_at = UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(epoch_seconds).ok()?)?;
    Some(reset_at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The wait the server asked for, from whichever hint is present;
/// `Retry-After` wins, as the standard header.
pub(crate) fn server_requested_wait(
    retry_after: Option<&str>,
    rate_limit_reset: Option<&str>,
    now: SystemTime,
) -> Option<Duration> {
    retry_after
        .and_then(|value| parse_retry_after(value, now))
        .or_else(|| rate_limit_reset.and_then(|value| parse_rate_limit_reset(value, now)))
}

fn parse_seconds(value: &str) -> Option<Duration> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let seconds: f64 = value.parse().ok()?;
    Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(epoch_seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(epoch_seconds)
    }

    #[test]
    fn backoff_window_doubles_from_base_up_to_cap() {
        assert_eq!(backoff_ceiling(1), Duration::from_millis(250));
        assert_eq!(backoff_ceiling(2), Duration::from_millis(500));
        assert_eq!(backoff_ceiling(3), Duration::from_secs(1));
        assert_eq!(backoff_ceiling(7), Duration::from_secs(16));
        assert_eq!(backoff_ceiling(8), BACKOFF_CAP);
        assert_eq!(backoff_ceiling(1000), BACKOFF_CAP);
        assert_eq!(backoff_ceiling(0), BACKOFF_BASE);
    }

    #[test]
    fn full_jitter_spans_zero_to_the_window() {
        assert_eq!(backoff_delay(3, 0.0, None), Duration::ZERO);
        assert_eq!(backoff_delay(3, 0.5, None), Duration::from_millis(500));
        assert!(backoff_delay(3, 0.999, None) < Duration::from_secs(1));
        assert_eq!(backoff_delay(50, 0.5, None), Duration::from_secs(10));
        // Nonsense jitter never produces nonsense delays.
        assert_eq!(backoff_delay(3, f64::NAN, None), Duration::ZERO);
        assert_eq!(backoff_delay(3, 7.0, None), Duration::from_secs(1));
    }

    #[test]
    fn server_wait_is_a_floor_even_beyond_our_cap() {
        let asked = Duration::from_secs(3);
        assert_eq!(backoff_delay(1, 0.0, Some(asked)), asked);
        assert_eq!(
            backoff_delay(1, 0.5, Some(asked)),
            asked + Duration::from_millis(1500)
        );
        let long = Duration::from_secs(60);
        assert!(backoff_delay(9, 0.9, Some(long)) >= long);
        assert_eq!(
            backoff_delay(9, 0.5, Some(long)),
            long + Duration::from_secs(5)
        );
    }

    #[test]
    fn requests_told_to_wait_a_second_return_over_the_next_second() {
        let asked = Some(Duration::from_secs(1));
        let returns: Vec<Duration> = (0..10)
            .map(|i| backoff_delay(1, f64::from(i) / 10.0, asked))
            .collect();
        assert_eq!(returns[0], Duration::from_secs(1));
        assert_eq!(returns[5], Duration::from_millis(1500));
        assert_eq!(returns[9], Duration::from_millis(1900));
        // Even "retry now" is spread over a second.
        assert_eq!(
            backoff_delay(1, 0.5, Some(Duration::ZERO)),
            Duration::from_millis(500)
        );
    }

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn rate_limits_are_retried_until_the_deadline_not_counted() {
        let mut budget = RetryBudget::default();
        let limited = Setback::RateLimited {
            server_wait: Some(Duration::from_secs(1)),
        };
        for _ in 0..1000 {
            assert!(budget.next_wait(limited, 0, MINUTE, 0.5).is_ok());
        }
        assert_eq!(
            budget.next_wait(limited, 0, Duration::from_millis(1400), 0.5),
            Err(Exhausted::Time)
        );
        assert_eq!(budget.total(), 1001);
        // Without a hint: exponential, but never under a second's spread.
        let mut budget = RetryBudget::default();
        let unhinted = Setback::RateLimited { server_wait: None };
        assert_eq!(
            budget.next_wait(unhinted, 0, MINUTE, 0.5),
            Ok(Duration::from_millis(500))
        );
        for _ in 0..10 {
            let _ = budget.next_wait(unhinted, 0, MINUTE, 0.5);
        }
        assert_eq!(
            budget.next_wait(unhinted, 0, MINUTE, 0.5),
            Ok(BACKOFF_CAP / 2)
        );
    }

    #[test]
    fn refused_connections_are_retried_until_the_deadline_every_few_seconds() {
        let mut budget = RetryBudget::default();
        let waits: Vec<Duration> = (0..100)
            .map(|_| {
                budget
                    .next_wait(Setback::Refused, 2, MINUTE, 0.999)
                    .unwrap()
            })
            .collect();
        assert!(waits[0] < BACKOFF_BASE);
        assert!(waits.iter().all(|wait| *wait < REFUSED_CAP));
        assert!(waits[99] > REFUSED_CAP / 2);
        assert_eq!(
            budget.next_wait(Setback::Refused, 2, Duration::from_secs(1), 0.999),
            Err(Exhausted::Time)
        );
    }

    #[test]
    fn other_failures_are_retried_max_retries_times() {
        let mut budget = RetryBudget::default();
        let transient = Setback::Transient { server_wait: None };
        assert!(budget.next_wait(transient, 2, MINUTE, 0.5).is_ok());
        // A 429 in between neither uses up nor resets the count.
        let limited = Setback::RateLimited { server_wait: None };
        assert!(budget.next_wait(limited, 2, MINUTE, 0.5).is_ok());
        assert!(budget.next_wait(transient, 2, MINUTE, 0.5).is_ok());
        assert_eq!(
            budget.next_wait(transient, 2, MINUTE, 0.5),
            Err(Exhausted::Retries)
        );
        // The deadline bounds them too.
        let mut budget = RetryBudget::default();
        assert_eq!(
            budget.next_wait(transient, 5, Duration::from_millis(100), 0.9),
            Err(Exhausted::Time)
        );
    }

    #[test]
    fn retry_after_delta_seconds() {
        let now = at(1_700_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }

    #[test]
    fn retry_after_http_date() {
        let now = at(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        // A date already past: retry now.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn rate_limit_reset_epoch_or_delta() {
        let now = at(1_700_000_000);
        assert_eq!(
            parse_rate_limit_reset("1700000012", now),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            parse_rate_limit_reset("1700000002500", now),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(
            parse_rate_limit_reset("1699999990", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_rate_limit_reset("5", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(parse_rate_limit_reset("-5", now), None);
        assert_eq!(parse_rate_limit_reset("later", now), None);
    }

    #[test]
    fn retry_after_wins_over_rate_limit_reset() {
        let now = at(1_700_000_000);
        assert_eq!(
            server_requested_wait(Some("2"), Some("1700000030"), now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            server_requested_wait(Some("bogus"), Some("1700000030"), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(server_requested_wait(None, None, now), None);
    }

    #[test]
    fn which_statuses_are_retried() {
        for status in [429, 500, 502, 503, 504] {
            assert_eq!(classify_status(status, Repeat::Safe), Verdict::Retry);
        }
        for status in [200, 204, 400, 401, 403, 404, 409, 501] {
            assert_eq!(classify_status(status, Repeat::Safe), Verdict::Final);
        }
        assert_eq!(classify_status(429, Repeat::Unsafe), Verdict::Retry);
        for status in [500, 502, 503, 504] {
            assert_eq!(classify_status(status, Repeat::Unsafe), Verdict::Ambiguous);
        }
        assert_eq!(classify_status(409, Repeat::Unsafe), Verdict::Final);
    }

    #[test]
    fn transport_failures_before_sending_are_always_retried() {
        assert_eq!(
            classify_transport_failure(false, Repeat::Unsafe),
            Verdict::Retry
        );
        assert_eq!(
            classify_transport_failure(true, Repeat::Unsafe),
            Verdict::Ambiguous
        );
        assert_eq!(
            classify_transport_failure(true, Repeat::Safe),
            Verdict::Retry
        );
    }
}
