//! Private state that remembers when this provider last created users, so
//! that a refresh soon afterwards can take a 404 for Domo's replication lag
//! (a new user is not visible everywhere at once) rather than a deletion.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long after a create a user that reads as gone is first taken for
/// replication lag.
pub const FRESH_WINDOW: Duration = Duration::from_secs(120);

/// The private state to store with what was created at `now`.
pub fn creation_mark(now: SystemTime) -> Vec<u8> {
    let ms = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    serde_json::json!({ "created_unix_ms": ms })
        .to_string()
        .into_bytes()
}

/// Whether `private` (from [`creation_mark`]) says users were created
/// less than [`FRESH_WINDOW`] before `now`. Anything else, such as empty
/// or foreign private state, says no.
pub fn created_recently(private: &[u8], now: SystemTime) -> bool {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(private) else {
        return false;
    };
    let Some(ms) = json.get("created_unix_ms").and_then(|v| v.as_u64()) else {
        return false;
    };
    let created = UNIX_EPOCH + Duration::from_millis(ms);
    now.duration_since(created)
        .is_ok_and(|age| age < FRESH_WINDOW)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_is_fresh_for_the_window_only() {
        let now = SystemTime::now();
        let mark = creation_mark(now);
        assert!(created_recently(&mark, now + Duration::from_secs(5)));
        assert!(!created_recently(
            &mark,
            now + FRESH_WINDOW + Duration::from_secs(1)
        ));
        assert!(!created_recently(b"", now));
        assert!(!created_recently(b"garbage", now));
        assert!(!created_recently(br#"{"created_unix_ms":"x"}"#, now));
    }
}
