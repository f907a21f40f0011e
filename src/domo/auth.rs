//! The OAuth access-token cache. Renewal is single-flight: the token slot
//! is an async mutex held while a token is fetched, so however many
//! operations find the token expired (or rejected) at once, exactly one
//! token request goes out and the others wait for its result.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::HeaderValue;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::error::DomoError;

/// Lifetime assumed when Domo's token answer has no usable `expires_in`:
/// Domo documents about an hour, and a 401 triggers renewal anyway.
const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// Longest margin before expiry at which a token is renewed.
const MAX_RENEWAL_MARGIN: Duration = Duration::from_secs(60);
/// Longest lifetime believed: a longer one (even one that overflows the
/// clock) is cut to this, and a 401 renews the token sooner if need be.
const MAX_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);

/// An access token handed to one request. `generation` identifies the
/// token so a 401 can invalidate exactly the token that was rejected.
#[derive(Clone)]
pub(crate) struct BearerToken {
    /// `bearer <token>`, marked sensitive so that HTTP-level logging hides it.
    pub header: HeaderValue,
    pub generation: u64,
}

// Never print the token itself.
impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BearerToken")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// What the token endpoint answered.
pub(crate) struct IssuedToken {
    pub header: HeaderValue,
    pub expires_in: Duration,
}

struct CachedToken {
    token: BearerToken,
    renew_at: Instant,
}

#[derive(Default)]
pub(crate) struct TokenCache {
    slot: Mutex<Option<CachedToken>>,
    generations: AtomicU64,
}

impl TokenCache {
    /// Returns a usable token, fetching one with `fetch` when none is
    /// cached, it is due for renewal, or it is the one Domo just `rejected`
    /// (by generation). A token newer than the rejected one is reused.
    /// Gives up with `None` when the lock cannot be had by `deadline`.
    pub(crate) async fn token<F, Fut>(
        &self,
        rejected: Option<u64>,
        deadline: Instant,
        fetch: F,
    ) -> Option<Result<BearerToken, DomoError>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<IssuedToken, DomoError>>,
    {
        let mut slot = tokio::time::timeout_at(deadline, self.slot.lock())
            .await
            .ok()?;
        if let Some(cached) = slot.as_ref() {
            let was_rejected = rejected == Some(cached.token.generation);
            if !was_rejected && Instant::now() < cached.renew_at {
                return Some(Ok(cached.token.clone()));
            }
        }
        // Forget a stale or rejected token before trying to replace it, so
        // a failed fetch does not leave it in use.
        *slot = None;
        let requested_at = Instant::now();
        let issued = match fetch().await {
            Ok(issued) => issued,
            Err(error) => return Some(Err(error)),
        };
        let token = BearerToken {
            header: issued.header,
            generation: self.generations.fetch_add(1, Ordering::Relaxed) + 1,
        };
        *slot = Some(CachedToken {
            token: token.clone(),
            renew_at: requested_at
                + issued
                    .expires_in
                    .saturating_sub(renewal_margin(issued.expires_in)),
        });
        Some(Ok(token))
    }

    /// Test hook: pretend the cached token stays valid for a long time, so
    /// that the next request meets a server-side expiry (401).
    #[cfg(test)]
    pub(crate) async fn trust_cached_token_for(&self, ttl: Duration) {
        if let Some(cached) = self.slot.lock().await.as_mut() {
            cached.renew_at = Instant::now() + ttl;
        }
    }
}

/// How long before expiry a token is renewed: a minute, or a tenth of its
/// lifetime for short-lived tokens, so that a request never leaves with a
/// token about to expire in flight.
pub(crate) fn renewal_margin(ttl: Duration) -> Duration {
    (ttl / 10).min(MAX_RENEWAL_MARGIN)
}

/// Reads the token endpoint's JSON answer.
pub(crate) fn parse_token_response(body: &[u8]) -> Result<IssuedToken, String> {
    let json: Value = serde_json::from_slice(body)
        .map_err(|error| format!("the token answer is not JSON ({error})"))?;
    let mut header = match json.get("access_token") {
        Some(Value::String(token)) if !token.is_empty() => {
            // Domo's own SDKs send the scheme in lower case.
            HeaderValue::from_str(&format!("bearer {token}"))
                .map_err(|_| "the access token holds characters not allowed in a header")?
        }
        _ => return Err("the token answer has no \"access_token\"".to_string()),
    };
    header.set_sensitive(true);
    let expires_in = match json.get("expires_in") {
        Some(Value::Number(seconds)) => seconds.as_f64(),
        Some(Value::String(seconds)) => seconds.trim().parse().ok(),
        _ => None,
    }
    .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
    .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
    .map_or(DEFAULT_TOKEN_TTL, |ttl| ttl.min(MAX_TOKEN_TTL));
    Ok(IssuedToken { header, expires_in })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    fn issued(ttl_secs: u64) -> IssuedToken {
        IssuedToken {
            header: HeaderValue::from_static("bearer secret-token"),
            expires_in: Duration::from_secs(ttl_secs),
        }
    }

    #[test]
    fn renews_a_minute_early_or_a_tenth_early_for_short_tokens() {
        assert_eq!(
            renewal_margin(Duration::from_secs(3599)),
            Duration::from_secs(60)
        );
        assert_eq!(
            renewal_margin(Duration::from_secs(300)),
            Duration::from_secs(30)
        );
        assert_eq!(
            renewal_margin(Duration::from_secs(1)),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn parses_token_answers_leniently() {
        let token = parse_token_response(
            br#"{"access_token":"abc","token_type":"bearer","expires_in":3599,"scope":"user"}"#,
        )
        .unwrap();
        assert_eq!(token.header.to_str().unwrap(), "bearer abc");
        assert!(token.header.is_sensitive());
        assert_eq!(token.expires_in, Duration::from_secs(3599));
        let token = parse_token_response(br#"{"access_token":"abc","expires_in":"60"}"#).unwrap();
        assert_eq!(token.expires_in, Duration::from_secs(60));
        let token = parse_token_response(br#"{"access_token":"abc"}"#).unwrap();
        assert_eq!(token.expires_in, DEFAULT_TOKEN_TTL);
        assert!(parse_token_response(br#"{"error":"invalid_client"}"#).is_err());
        assert!(parse_token_response(b"<html>").is_err());
    }

    #[tokio::test]
    async fn an_absurd_lifetime_is_capped_instead_of_overflowing_the_clock() {
        let issued = parse_token_response(br#"{"access_token":"abc","expires_in":1e19}"#).unwrap();
        assert_eq!(issued.expires_in, MAX_TOKEN_TTL);
        let cache = TokenCache::default();
        let token = cache.token(None, far(), || async { Ok(issued) }).await;
        assert!(matches!(token, Some(Ok(_))));
    }

    #[test]
    fn debug_output_hides_the_token() {
        let token = BearerToken {
            header: HeaderValue::from_static("bearer secret-token"),
            generation: 3,
        };
        assert!(!format!("{token:?}").contains("secret"));
    }

    #[tokio::test]
    async fn concurrent_renewals_fetch_exactly_once() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let cache = cache.clone();
            let fetches = fetches.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .token(None, far(), || async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok(issued(3600))
                    })
                    .await
                    .unwrap()
                    .unwrap()
                    .generation
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), 1);
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_rejected_token_is_replaced_once_and_newer_ones_are_kept() {
        let cache = TokenCache::default();
        let fetches = AtomicUsize::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            Ok(issued(3600))
        };
        let first = cache.token(None, far(), fetch).await.unwrap().unwrap();
        let second = cache
            .token(Some(first.generation), far(), fetch)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(second.generation, first.generation + 1);
        // Another request rejected with the old token reuses the new one.
        let third = cache
            .token(Some(first.generation), far(), fetch)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(third.generation, second.generation);
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_expired_token_is_renewed() {
        let cache = TokenCache::default();
        let fetches = AtomicUsize::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            Ok(IssuedToken {
                header: HeaderValue::from_static("bearer t"),
                expires_in: Duration::from_millis(50),
            })
        };
        cache.token(None, far(), fetch).await.unwrap().unwrap();
        cache.token(None, far(), fetch).await.unwrap().unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(60)).await;
        cache.token(None, far(), fetch).await.unwrap().unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }
}
