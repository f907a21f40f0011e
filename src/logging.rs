//! Logs as hclog JSON lines on stderr, the format Terraform's plugin client
//! parses and shows under `TF_LOG` / `TF_LOG_PROVIDER`. stdout is reserved
//! for the handshake line.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};

use crate::calendar::civil_from_days;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Installs the global logger, at the level Terraform's variables ask for.
pub fn init() {
    let level = level_from_env(
        std::env::var("TF_LOG_PROVIDER").ok().as_deref(),
        std::env::var("TF_LOG").ok().as_deref(),
    );
    let subscriber = tracing_subscriber::registry().with(HclogLayer.with_filter(targets(level)));
    // Fails only if a logger is already installed (e.g. by a test), which
    // is fine to keep.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Our own events at `level`; dependencies (gRPC, HTTP/2 framing) only at
/// warnings, so a debug log shows Domo requests, not every HTTP/2 frame.
fn targets(level: LevelFilter) -> Targets {
    Targets::new()
        .with_target(env!("CARGO_CRATE_NAME"), level)
        .with_default(level.min(LevelFilter::WARN))
}

/// `TF_LOG_PROVIDER` wins over `TF_LOG`; unset means warnings and errors
/// only; an unrecognised value means everything, as Terraform does.
pub fn level_from_env(tf_log_provider: Option<&str>, tf_log: Option<&str>) -> LevelFilter {
    let chosen = [tf_log_provider, tf_log]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|v| !v.is_empty());
    match chosen.map(str::to_ascii_uppercase).as_deref() {
        None => LevelFilter::WARN,
        Some("OFF") => LevelFilter::OFF,
        Some("ERROR") => LevelFilter::ERROR,
        Some("WARN") => LevelFilter::WARN,
        Some("INFO") => LevelFilter::INFO,
        Some("DEBUG") => LevelFilter::DEBUG,
        Some(_) => LevelFilter::TRACE,
    }
}

/// Writes each event as one hclog JSON line.
pub struct HclogLayer;

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let line = format_event(event, SystemTime::now());
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(line.as_bytes());
    }
}

fn format_event(event: &Event<'_>, now: SystemTime) -> String {
    let mut fields = JsonFields::default();
    event.record(&mut fields);
    let level = match *event.metadata().level() {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    };
    let mut obj = serde_json::Map::new();
    obj.insert("@level".into(), level.into());
    obj.insert("@message".into(), fields.message.unwrap_or_default().into());
    obj.insert("@module".into(), "domo".into());
    obj.insert("@timestamp".into(), hclog_timestamp(now).into());
    obj.extend(fields.rest);
    let mut line = serde_json::Value::Object(obj).to_string();
    line.push('\n');
    line
}

#[derive(Default)]
struct JsonFields {
    message: Option<String>,
    rest: serde_json::Map<String, serde_json::Value>,
}

impl Visit for JsonFields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = Some(text);
        } else {
            self.rest.insert(field.name().into(), text.into());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_owned());
        } else {
            self.rest.insert(field.name().into(), value.into());
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.rest.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.rest.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.rest.insert(field.name().into(), value.into());
    }
}

/// `2006-01-02T15:04:05.000000Z`: the layout Terraform's plugin client
/// parses `@timestamp` with.
pub fn hclog_timestamp(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    let mut s = String::with_capacity(27);
    let _ = write!(
        s,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        since.subsec_micros()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn levels_follow_terraform_variables() {
        assert_eq!(level_from_env(None, None), LevelFilter::WARN);
        assert_eq!(level_from_env(None, Some("debug")), LevelFilter::DEBUG);
        assert_eq!(
            level_from_env(Some("ERROR"), Some("TRACE")),
            LevelFilter::ERROR
        );
        assert_eq!(level_from_env(Some(""), Some("INFO")), LevelFilter::INFO);
        assert_eq!(level_from_env(None, Some("JSON")), LevelFilter::TRACE);
        assert_eq!(level_from_env(None, Some("off")), LevelFilter::OFF);
    }

    #[test]
    fn dependencies_log_only_warnings() {
        let t = targets(LevelFilter::DEBUG);
        assert!(t.would_enable("terraform_provider_domo::domo::http", &Level::DEBUG));
        assert!(!t.would_enable("h2::codec", &Level::DEBUG));
        assert!(t.would_enable("h2::codec", &Level::WARN));
        assert!(!targets(LevelFilter::ERROR).would_enable("h2", &Level::WARN));
    }

    #[test]
    fn timestamps_in_hclog_layout() {
        assert_eq!(hclog_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        let t = UNIX_EPOCH + Duration::from_micros(1_795_810_335_123_456);
        assert_eq!(hclog_timestamp(t), "2026-11-27T20:12:15.123456Z");
    }

    #[test]
    fn events_become_json_lines() {
        use std::sync::{Arc, Mutex};
        struct Capture(Arc<Mutex<Vec<String>>>);
        impl<S: Subscriber> Layer<S> for Capture {
            fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
                self.0.lock().unwrap().push(format_event(event, UNIX_EPOCH));
            }
        }
        let lines = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(lines.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(status = 200, path = "/v1/users", "request done");
        });
        let lines = lines.lock().unwrap();
        let v: serde_json::Value = serde_json::from_str(lines[0].trim_end()).unwrap();
        assert_eq!(v["@level"], "info");
        assert_eq!(v["@message"], "request done");
        assert_eq!(v["@timestamp"], "1970-01-01T00:00:00.000000Z");
        assert_eq!(v["status"], 200);
        assert_eq!(v["path"], "/v1/users");
        assert!(lines[0].ends_with('\n'));
    }
}
