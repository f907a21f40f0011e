//! The `provider "domo"` block: its schema, validation, and turning a
//! configuration (with environment variable fallbacks) into a Domo client.
//! Defaults and the rules a setting must obey are the client's own
//! ([`ClientConfig`]); this module reads the settings and points each
//! problem at its attribute.

use std::time::Duration;

use crate::domo::{ClientConfig, DomoClient};
use crate::protocol::model::{FieldType, ObjectReader};
use crate::protocol::{
    AttrType, Attribute, AttributePath, Diagnostic, Diagnostics, Field, Mode, Schema, Value,
};

/// One provider setting and the environment variable it falls back to.
struct Setting {
    name: &'static str,
    env: &'static str,
    ty: AttrType,
    sensitive: bool,
    description: &'static str,
}

const SETTINGS: &[Setting] = &[
    Setting {
        name: "client_id",
        env: "DOMO_CLIENT_ID",
        ty: AttrType::String,
        sensitive: false,
        description: "Client ID of a Domo API client (created at developer.domo.com, with the `user` scope).",
    },
    Setting {
        name: "client_secret",
        env: "DOMO_CLIENT_SECRET",
        ty: AttrType::String,
        sensitive: true,
        description: "Client secret of the Domo API client.",
    },
    Setting {
        name: "api_host",
        env: "DOMO_API_HOST",
        ty: AttrType::String,
        sensitive: false,
        description: "Base URL of the Domo API. Defaults to `https://api.domo.com`. `http://` is accepted for local use, e.g. the bundled `domo-sim` simulator.",
    },
    Setting {
        name: "scope",
        env: "DOMO_SCOPE",
        ty: AttrType::String,
        sensitive: false,
        description: "Space-separated OAuth scopes to request. Defaults to `user`, which covers users and groups.",
    },
    Setting {
        name: "max_retries",
        env: "DOMO_MAX_RETRIES",
        ty: AttrType::Number,
        sensitive: false,
        description: "How many times a request that is safe to repeat is retried after a 5xx answer, a timeout or a broken connection. Defaults to 5. A rate limit (429) and a connection Domo refuses after answering earlier are retried until the operation's 5-minute deadline instead, however many times that takes: Domo did not process those requests.",
    },
    Setting {
        name: "request_timeout",
        env: "DOMO_REQUEST_TIMEOUT",
        ty: AttrType::String,
        sensitive: false,
        description: "How long one HTTP request may take, as a duration such as `30s` or `2m`. Defaults to `30s`.",
    },
    Setting {
        name: "max_requests_per_minute",
        env: "DOMO_MAX_REQUESTS_PER_MINUTE",
        ty: AttrType::Number,
        sensitive: false,
        description: "Client-side pacing: the most requests this provider sends per minute, shared by all operations of a run. `0` (the default) sends as fast as Domo allows. Either way the pace adapts: each 429 lowers it, and answers raise it again gradually, up to this setting.",
    },
    Setting {
        name: "max_concurrent_requests",
        env: "DOMO_MAX_CONCURRENT_REQUESTS",
        ty: AttrType::Number,
        sensitive: false,
        description: "The most HTTP requests in flight at once. Defaults to 16.",
    },
];

pub fn schema() -> Schema {
    let attributes = SETTINGS
        .iter()
        .map(|s| {
            let description = format!(
                "{} Can also be set with the `{}` environment variable.",
                s.description, s.env
            );
            let attr = Attribute::new(s.name, s.ty.clone(), Mode::Optional, &description);
            if s.sensitive {
                attr.sensitive()
            } else {
                attr
            }
        })
        .collect();
    Schema {
        version: 0,
        description: "Manages Domo user accounts, groups and group memberships through Domo's public Users and Groups APIs.".into(),
        attributes,
    }
}

/// The outcome of configuring the provider.
pub enum Configured {
    Ready(DomoClient),
    /// Some setting depends on a value not known until apply; Terraform will
    /// configure us again once it is.
    Deferred,
}

/// Settings read from configuration, falling back to the environment.
struct Resolver<'a> {
    config: Option<ObjectReader<'a>>,
    env: &'a dyn Fn(&str) -> Option<String>,
}

/// Where a setting's value came from.
enum Source<T> {
    Configured(T),
    /// The environment variable's text, not yet parsed.
    Environment(String),
    Unset,
}

impl Resolver<'_> {
    /// The configured value, else the environment variable's; `Err(None)`
    /// when the configured value is unknown.
    fn source<T: FieldType>(&self, name: &str) -> Result<Source<T>, Option<Diagnostic>> {
        let configured = match &self.config {
            Some(r) => r.field::<T>(name).map_err(Some)?,
            None => Field::Null,
        };
        Ok(match configured {
            Field::Unknown => return Err(None),
            Field::Known(v) => Source::Configured(v),
            Field::Null => {
                let env = setting(name).map(|s| s.env).unwrap_or_default();
                match (self.env)(env).filter(|v| !v.trim().is_empty()) {
                    Some(text) => Source::Environment(text),
                    None => Source::Unset,
                }
            }
        })
    }

    fn string(&self, name: &str) -> Result<Option<String>, Option<Diagnostic>> {
        Ok(match self.source::<String>(name)? {
            Source::Configured(v) | Source::Environment(v) => Some(v),
            Source::Unset => None,
        })
    }

    fn number(&self, name: &str) -> Result<Option<u64>, Option<Diagnostic>> {
        let invalid = |summary: String, detail: String| {
            Some(Diagnostic::error(summary, detail).at(AttributePath::root(name)))
        };
        let source = self.source::<u64>(name).map_err(|e| {
            e.and_then(|_| {
                invalid(
                    format!("Invalid {name}"),
                    "Expected a whole number of zero or more.".to_owned(),
                )
            })
        })?;
        match source {
            Source::Configured(n) => Ok(Some(n)),
            Source::Environment(raw) => raw.trim().parse().map(Some).map_err(|_| {
                let env = setting(name).map(|s| s.env).unwrap_or_default();
                invalid(
                    format!("Invalid {env}"),
                    format!("{env}={raw:?} is not a whole number of zero or more."),
                )
            }),
            Source::Unset => Ok(None),
        }
    }
}

/// What reading the settings found besides values: errors to report, and
/// whether any setting is unknown until apply.
#[derive(Default)]
struct Settled {
    diags: Diagnostics,
    deferred: bool,
}

impl Settled {
    fn take<T>(&mut self, read: Result<Option<T>, Option<Diagnostic>>) -> Option<T> {
        match read {
            Ok(value) => value,
            Err(Some(d)) => {
                self.diags.push(d);
                None
            }
            Err(None) => {
                self.deferred = true;
                None
            }
        }
    }
}

fn setting(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// Checks the values that are known, without requiring credentials (they
/// may come from the environment at configure time).
pub fn validate(config: &Value) -> Diagnostics {
    let no_env = |_: &str| None;
    match resolve(config, &no_env, false) {
        Ok(_) => Diagnostics::default(),
        Err(diags) => diags,
    }
}

/// Builds the Domo client from the provider block and environment.
pub fn configure(
    config: &Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Configured, Diagnostics> {
    match resolve(config, env, true)? {
        Resolved::Deferred => Ok(Configured::Deferred),
        Resolved::Ready(settings) => {
            DomoClient::new(settings)
                .map(Configured::Ready)
                .map_err(|e| {
                    Diagnostic::error("Invalid Domo provider configuration", e.to_string()).into()
                })
        }
    }
}

/// Settings read and checked, before the client is built.
enum Resolved {
    Ready(ClientConfig),
    Deferred,
}

fn resolve(
    config: &Value,
    env: &dyn Fn(&str) -> Option<String>,
    require_credentials: bool,
) -> Result<Resolved, Diagnostics> {
    if matches!(config, Value::Unknown) {
        return Ok(Resolved::Deferred);
    }
    let reader = ObjectReader::at(config, AttributePath::default()).map_err(Diagnostics::from)?;
    let r = Resolver {
        config: reader,
        env,
    };
    let mut settled = Settled::default();
    let client_id = settled.take(r.string("client_id"));
    let client_secret = settled.take(r.string("client_secret"));
    let api_host = settled.take(r.string("api_host"));
    let scope = settled.take(r.string("scope"));
    let timeout = settled.take(r.string("request_timeout"));
    let max_retries = settled.take(r.number("max_retries"));
    let per_minute = settled.take(r.number("max_requests_per_minute"));
    let concurrency = settled.take(r.number("max_concurrent_requests"));
    let Settled {
        mut diags,
        deferred,
    } = settled;

    let request_timeout = match timeout.as_deref().map(parse_duration) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(why)) => {
            diags.push(
                Diagnostic::error("Invalid request_timeout", why)
                    .at(AttributePath::root("request_timeout")),
            );
            None
        }
    };
    let defaults = ClientConfig::default();
    let settings = ClientConfig {
        api_host: api_host.unwrap_or(defaults.api_host.clone()),
        client_id: client_id.clone().unwrap_or_default(),
        client_secret: client_secret.clone().unwrap_or_default(),
        scope: scope.unwrap_or(defaults.scope.clone()),
        max_retries: max_retries.map_or(defaults.max_retries, |n| n.min(100) as u32),
        request_timeout: request_timeout.unwrap_or(defaults.request_timeout),
        max_requests_per_minute: per_minute.map_or(defaults.max_requests_per_minute, |n| {
            // 0 is this block's way to say "no limit".
            (n > 0).then(|| n.min(u64::from(u32::MAX)) as u32)
        }),
        max_concurrent_requests: concurrency
            .map_or(defaults.max_concurrent_requests, |n| n.min(1024) as usize),
        ..defaults
    };
    for problem in settings.problems() {
        diags.push(
            Diagnostic::error(format!("Invalid {}", problem.setting), problem.to_string())
                .at(AttributePath::root(problem.setting)),
        );
    }
    if require_credentials && !deferred {
        for (name, value) in [("client_id", &client_id), ("client_secret", &client_secret)] {
            if value.is_none() {
                let env = setting(name).map(|s| s.env).unwrap_or_default();
                diags.push(
                    Diagnostic::error(
                        format!("Missing Domo {}", name.replace('_', " ")),
                        format!(
                            "Set `{name}` in the provider \"domo\" block or the {env} environment variable. \
                             Create an API client with the `user` scope at developer.domo.com to get one."
                        ),
                    )
                    .at(AttributePath::root(name)),
                );
            }
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(if deferred {
        Resolved::Deferred
    } else {
        Resolved::Ready(settings)
    })
}

/// Parses `30s`, `1500ms`, `2m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| {
        format!("{text:?} is not a duration. Use a number with a unit, such as 30s, 1500ms or 2m.")
    })?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        other => {
            return Err(format!(
                "Unknown unit {other:?} in {text:?}. Use ms, s, m or h."
            ))
        }
    };
    if !(secs > 0.0 && secs.is_finite()) {
        return Err(format!("{text:?} must be longer than zero."));
    }
    // More seconds than a Duration holds (about 585 billion years) would
    // panic in from_secs_f64.
    Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("{text:?} is too long. Use a duration such as 30s, 1500ms or 2m."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Number;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, Value)]) -> Value {
        let mut all: Vec<(&str, Value)> = SETTINGS.iter().map(|s| (s.name, Value::Null)).collect();
        for (k, v) in pairs {
            all.retain(|(n, _)| n != k);
            all.push((k, v.clone()));
        }
        Value::object(all)
    }

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    /// The client settings `configure` builds its client from.
    fn settings(
        config: &Value,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Resolved, Diagnostics> {
        resolve(config, env, true)
    }

    fn ready(r: Result<Resolved, Diagnostics>) -> ClientConfig {
        match r {
            Ok(Resolved::Ready(c)) => c,
            Ok(Resolved::Deferred) => panic!("deferred"),
            Err(d) => panic!("{d:?}"),
        }
    }

    #[test]
    fn configuration_wins_over_environment_and_defaults_apply() {
        let c = ready(settings(
            &cfg(&[("client_id", Value::string("cfg-id"))]),
            &env_of(&[
                ("DOMO_CLIENT_ID", "env-id"),
                ("DOMO_CLIENT_SECRET", "env-secret"),
            ]),
        ));
        assert_eq!(c.client_id, "cfg-id");
        assert_eq!(c.client_secret, "env-secret");
        assert_eq!(c.api_host, crate::domo::DEFAULT_API_HOST);
        assert_eq!(c.scope, "user");
        assert_eq!(c.max_requests_per_minute, None);
    }

    #[test]
    fn environment_settings_are_parsed() {
        let c = ready(settings(
            &cfg(&[]),
            &env_of(&[
                ("DOMO_CLIENT_ID", "i"),
                ("DOMO_CLIENT_SECRET", "s"),
                ("DOMO_API_HOST", "http://127.0.0.1:9"),
                ("DOMO_REQUEST_TIMEOUT", "1500ms"),
                ("DOMO_MAX_RETRIES", "2"),
                ("DOMO_MAX_REQUESTS_PER_MINUTE", "600"),
            ]),
        ));
        assert_eq!(c.api_host, "http://127.0.0.1:9");
        assert_eq!(c.request_timeout, Duration::from_millis(1500));
        assert_eq!(c.max_retries, 2);
        assert_eq!(c.max_requests_per_minute, Some(600));
    }

    #[test]
    fn missing_credentials_name_attribute_and_variable() {
        let err = match configure(&cfg(&[]), &env_of(&[])) {
            Err(d) => d,
            Ok(_) => panic!("should fail"),
        };
        assert_eq!(err.0.len(), 2);
        assert_eq!(err.0[0].attribute, Some(AttributePath::root("client_id")));
        assert!(err.0[0].detail.contains("DOMO_CLIENT_ID"));
        assert!(err.0[1].detail.contains("DOMO_CLIENT_SECRET"));
    }

    #[test]
    fn unknown_values_defer_instead_of_failing() {
        assert!(matches!(
            configure(&cfg(&[("client_secret", Value::Unknown)]), &env_of(&[])),
            Ok(Configured::Deferred)
        ));
        assert!(validate(&cfg(&[
            ("api_host", Value::Unknown),
            ("max_retries", Value::Unknown)
        ]))
        .is_empty());
        // A block not known at all yet is configured later, not refused.
        assert!(validate(&Value::Null).is_empty());
        assert!(validate(&Value::Unknown).is_empty());
        assert!(matches!(
            configure(&Value::Unknown, &env_of(&[])),
            Ok(Configured::Deferred)
        ));
    }

    #[test]
    fn validation_points_at_bad_settings() {
        let d = validate(&cfg(&[
            ("api_host", Value::string("ftp://x")),
            ("request_timeout", Value::string("soon")),
            ("max_concurrent_requests", Value::Number(Number::Int(0))),
        ]));
        let paths: Vec<_> = d.0.iter().filter_map(|d| d.attribute.clone()).collect();
        assert!(paths.contains(&AttributePath::root("api_host")));
        assert!(paths.contains(&AttributePath::root("request_timeout")));
        assert!(paths.contains(&AttributePath::root("max_concurrent_requests")));
        // No credentials needed to validate: they may come from the environment.
        assert!(validate(&cfg(&[(
            "api_host",
            Value::string("http://127.0.0.1:8787")
        )]))
        .is_empty());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("3 weeks").is_err());
        assert!(parse_duration("").is_err());
        // Found by fuzzing: more seconds than a Duration holds panicked.
        let huge = parse_duration("18446744073709551615").unwrap_err();
        assert!(huge.contains("too long"), "{huge}");
        assert!(parse_duration("99999999999999999999h").is_err());
    }

    #[test]
    fn schema_marks_secret_sensitive_and_mentions_variables() {
        let s = schema();
        let secret = s.attributes.iter().find(|a| a.name == "client_secret");
        assert!(secret.is_some_and(|a| a.sensitive));
        assert!(s.attributes.iter().all(|a| a.description.contains("DOMO_")));
        assert!(s.attributes.iter().all(|a| a.mode == Mode::Optional));
    }
}
