//! Configuration from the environment. Every value is validated here, at the edge, so a bad
//! setting stops start-up with a message naming the variable instead of surfacing later.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use secrecy::SecretString;
use url::Url;

pub use crate::auth::key_encryption::{decode_key_encryption_key, KeyEncryptionSource};
pub use crate::auth::passwords::Argon2Params;
use crate::auth::{AuthSettings, NewNetworkPolicy, Registration};
use crate::http::connections::ConnectionLimits;
pub use crate::telemetry::LogFormat;

#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct AdminBootstrap {
    pub email: String,
    pub password: SecretString,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub site_addr: SocketAddr,
    /// Scheme + host + port, no path: the JWT issuer and the only accepted `Origin`.
    pub public_origin: String,
    pub access_ttl: Duration,
    pub refresh_idle_ttl: Duration,
    pub refresh_absolute_ttl: Duration,
    pub refresh_grace: Duration,
    pub key_rotation: Duration,
    pub argon2: Argon2Params,
    /// Password hashes that may wait for a free core; beyond this the answer is 503 `busy`.
    pub argon2_queue: usize,
    pub rate_login_per_min: u32,
    pub rate_refresh_per_min: u32,
    /// Failed sign-ins per account per hour before that account is throttled (0: off).
    pub rate_account_failures_per_hour: u32,
    /// Proxies whose `X-Forwarded-For` entries are believed.
    pub trusted_proxies: Vec<IpNet>,
    pub key_encryption: KeyEncryptionSource,
    pub admin: Option<AdminBootstrap>,
    /// Refuse sign-ins that do not bind the session to a device key (DPoP).
    pub require_dpop: bool,
    pub new_network_policy: NewNetworkPolicy,
    pub registration: Registration,
    pub max_connections: usize,
    pub max_connections_per_client: usize,
    /// Time to send a request head; also how long an idle keep-alive connection stays open.
    pub header_timeout: Duration,
    /// Time to send a whole `/api` request body.
    pub body_timeout: Duration,
    /// How long after its rotation a replayed refresh token still ends the session.
    pub reuse_detection: Duration,
    /// How long ended sessions are kept (the sessions page shows why they ended).
    pub ended_retention: Duration,
    /// How long security events are kept.
    pub event_retention: Duration,
    pub log_format: LogFormat,
    /// Where `GET /metrics` is served; `None`: no metrics.
    pub metrics_addr: Option<SocketAddr>,
}

mod variables;
pub use variables::{help, Variable, READ_ELSEWHERE, VARIABLES};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/latchkey.db";
pub const MAX_REFRESH_GRACE_SECS: u64 = 60;
/// Ten years: retention is for bounding storage, not for turning it off.
const MAX_RETENTION_SECS: u64 = 315_360_000;

/// Durations are validated to fit well inside `i64` seconds; saturate rather than wrap anyway.
fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// The SQLite file a `sqlite:` URL names, or `None` for an in-memory database.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?
        .split('?')
        .next()
        .unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

fn key_encryption_source(
    env: &Env<'_>,
    database_url: &str,
) -> Result<KeyEncryptionSource, ConfigError> {
    const INLINE: &str = "LATCHKEY_KEY_ENCRYPTION_KEY";
    const FILE: &str = "LATCHKEY_KEY_ENCRYPTION_KEY_FILE";
    match (env.string(INLINE), env.string(FILE)) {
        (Some(_), Some(_)) => Err(ConfigError {
            variable: INLINE,
            message: format!("set either {INLINE} or {FILE}, not both"),
        }),
        (Some(raw), None) => decode_key_encryption_key(&raw)
            .map(|key| KeyEncryptionSource::Inline(Arc::new(key)))
            .map_err(|message| ConfigError {
                variable: INLINE,
                message,
            }),
        (None, Some(path)) => Ok(KeyEncryptionSource::File(PathBuf::from(path))),
        (None, None) if database_url.starts_with("sqlite:") => {
            Ok(match sqlite_path(database_url) {
                Some(db) => {
                    let mut name = db.clone().into_os_string();
                    name.push(".key");
                    KeyEncryptionSource::BesideDatabase(PathBuf::from(name))
                }
                None => KeyEncryptionSource::Ephemeral,
            })
        }
        (None, None) => Err(ConfigError {
            variable: INLINE,
            message: format!(
                "is required with PostgreSQL: the signing keys in the database are encrypted \
                 under it. Generate one with `openssl rand -base64 32` and set {INLINE} or {FILE}; \
                 keep it out of the database's backups"
            ),
        }),
    }
}

/// Comma- or space-separated CIDRs; a bare address means just that host.
fn parse_networks(variable: &'static str, raw: &str) -> Result<Vec<IpNet>, ConfigError> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| ConfigError {
                    variable,
                    message: format!("{item:?} is not a network like 10.0.0.0/8 or an address"),
                })
        })
        .collect()
}

impl Config {
    /// The engine's part of the configuration.
    pub fn auth_settings(&self) -> AuthSettings {
        AuthSettings {
            issuer: self.public_origin.clone(),
            access_ttl_secs: secs(self.access_ttl),
            idle_ttl_secs: secs(self.refresh_idle_ttl),
            absolute_ttl_secs: secs(self.refresh_absolute_ttl),
            grace_secs: secs(self.refresh_grace),
            key_rotation_secs: secs(self.key_rotation),
            argon2: self.argon2,
            argon2_queue: self.argon2_queue,
            account_failures_per_hour: self.rate_account_failures_per_hour,
            key_encryption: self.key_encryption.clone(),
            require_dpop: self.require_dpop,
            new_network: self.new_network_policy,
            registration: self.registration,
            reuse_detection_secs: secs(self.reuse_detection),
            ended_retention_secs: secs(self.ended_retention),
            event_retention_secs: secs(self.event_retention),
        }
    }

    /// What the accept loop enforces against slow or greedy clients.
    pub fn connection_limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: self.max_connections,
            max_per_client: self.max_connections_per_client,
            header_timeout: self.header_timeout,
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The log format alone: logging starts before the rest of the configuration is read.
    pub fn log_format_from_env() -> Result<LogFormat, ConfigError> {
        log_format(&Env(&|name| std::env::var(name).ok()))
    }

    /// Reads every variable through `lookup`, so tests can pass a map instead of the process env.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        let database_url = env
            .string("DATABASE_URL")
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError {
                variable: "DATABASE_URL",
                message: "must start with sqlite: or postgres://".into(),
            });
        }

        // sqlx's `Any` pool opens each connection from the URL again, and every opening of
        // `:memory:` is a new, empty database: requests would land on unmigrated databases.
        if database_url.starts_with("sqlite:") && sqlite_path(&database_url).is_none() {
            return Err(ConfigError {
                variable: "DATABASE_URL",
                message: "an in-memory SQLite database is not supported (each pooled connection \
                          would get its own empty database); name a file, for example \
                          sqlite:///tmp/latchkey-demo.db"
                    .into(),
            });
        }

        let site_addr = env.parse(
            "LEPTOS_SITE_ADDR",
            "127.0.0.1:3000",
            "a socket address like 127.0.0.1:3000",
        )?;
        let public_origin = parse_origin(
            &env.string("LATCHKEY_PUBLIC_ORIGIN")
                .unwrap_or_else(|| "http://127.0.0.1:3000".into()),
        )?;

        let access_ttl = env.seconds("LATCHKEY_ACCESS_TTL", 600, 5..=86_400)?;
        let refresh_idle_ttl =
            env.seconds("LATCHKEY_REFRESH_IDLE_TTL", 604_800, 10..=31_536_000)?;
        let refresh_absolute_ttl =
            env.seconds("LATCHKEY_REFRESH_ABSOLUTE_TTL", 2_592_000, 10..=31_536_000)?;
        // Short on purpose: every second of grace is a second in which a copied parent token
        // can be replayed by the client that consumed it.
        let refresh_grace =
            env.seconds("LATCHKEY_REFRESH_GRACE", 10, 0..=MAX_REFRESH_GRACE_SECS)?;
        let key_rotation = env.seconds("LATCHKEY_KEY_ROTATION", 2_592_000, 600..=31_536_000)?;
        if refresh_idle_ttl > refresh_absolute_ttl {
            return Err(ConfigError {
                variable: "LATCHKEY_REFRESH_IDLE_TTL",
                message: "must not exceed LATCHKEY_REFRESH_ABSOLUTE_TTL".into(),
            });
        }
        if key_rotation <= access_ttl {
            return Err(ConfigError {
                variable: "LATCHKEY_KEY_ROTATION",
                message: "must be longer than LATCHKEY_ACCESS_TTL".into(),
            });
        }

        // By default a rotated token stays detectable for as long as an idle session lives.
        let reuse_detection = env.seconds(
            "LATCHKEY_REUSE_DETECTION",
            refresh_idle_ttl.max(refresh_grace).as_secs(),
            1..=31_536_000,
        )?;
        if reuse_detection < refresh_grace {
            return Err(ConfigError {
                variable: "LATCHKEY_REUSE_DETECTION",
                message: "must not be shorter than LATCHKEY_REFRESH_GRACE: the immediate parent \
                          token must stay known while it may be answered with its successor"
                    .into(),
            });
        }
        let ended_retention = env.seconds(
            "LATCHKEY_ENDED_RETENTION",
            2_592_000,
            60..=MAX_RETENTION_SECS,
        )?;
        if ended_retention <= access_ttl {
            return Err(ConfigError {
                variable: "LATCHKEY_ENDED_RETENTION",
                message: "must be longer than LATCHKEY_ACCESS_TTL: an ended session's access \
                          tokens are refused after a restart because its row is still there"
                    .into(),
            });
        }
        let event_retention = env.seconds(
            "LATCHKEY_EVENT_RETENTION",
            7_776_000,
            60..=MAX_RETENTION_SECS,
        )?;

        let defaults = Argon2Params::default();
        let argon2 = Argon2Params {
            m_kib: env.number("LATCHKEY_ARGON2_M_KIB", defaults.m_kib, 8_192..=4_194_304)?,
            t: env.number("LATCHKEY_ARGON2_T", defaults.t, 1..=64)?,
            p: env.number("LATCHKEY_ARGON2_P", defaults.p, 1..=64)?,
        };

        let argon2_queue = env.number("LATCHKEY_ARGON2_QUEUE", 32, 0..=100_000)?;

        let rate_login_per_min = env.number("LATCHKEY_RATE_LOGIN_PER_MIN", 20, 0..=1_000_000)?;
        let rate_refresh_per_min =
            env.number("LATCHKEY_RATE_REFRESH_PER_MIN", 300, 0..=1_000_000)?;
        let rate_account_failures_per_hour =
            env.number("LATCHKEY_RATE_ACCOUNT_FAILURES_PER_HOUR", 10, 0..=1_000_000)?;
        if env.string("LATCHKEY_TRUST_PROXY").is_some() {
            return Err(ConfigError {
                variable: "LATCHKEY_TRUST_PROXY",
                message: "was replaced by LATCHKEY_TRUSTED_PROXIES, a comma-separated list of \
                          the proxies' networks (for example 10.0.0.0/8,fd00::/8)"
                    .into(),
            });
        }
        let require_dpop = env.parse("LATCHKEY_REQUIRE_DPOP", "false", "true or false")?;
        let new_network_policy =
            env.parse("LATCHKEY_NEW_NETWORK_POLICY", "record", "record or refuse")?;
        let trusted_proxies = parse_networks(
            "LATCHKEY_TRUSTED_PROXIES",
            &env.string("LATCHKEY_TRUSTED_PROXIES").unwrap_or_default(),
        )?;
        let key_encryption = key_encryption_source(&env, &database_url)?;
        let registration = env.parse("LATCHKEY_REGISTRATION", "open", "open or closed")?;
        let max_connections = env.number("LATCHKEY_MAX_CONNECTIONS", 4096, 16..=1_000_000)?;
        let max_connections_per_client =
            env.number("LATCHKEY_MAX_CONNECTIONS_PER_CLIENT", 256, 1..=1_000_000)?;
        let header_timeout = env.seconds("LATCHKEY_HEADER_TIMEOUT", 10, 1..=600)?;
        let body_timeout = env.seconds("LATCHKEY_BODY_TIMEOUT", 10, 1..=600)?;
        let log_format = log_format(&env)?;
        let metrics_addr = metrics_addr(&env, site_addr)?;

        let admin = match (
            env.string("LATCHKEY_ADMIN_EMAIL"),
            env.string("LATCHKEY_ADMIN_PASSWORD"),
        ) {
            (None, None) => None,
            (Some(email), Some(password)) => Some(AdminBootstrap {
                email,
                password: password.into(),
            }),
            (Some(_), None) => {
                return Err(ConfigError {
                    variable: "LATCHKEY_ADMIN_PASSWORD",
                    message: "must be set when LATCHKEY_ADMIN_EMAIL is".into(),
                })
            }
            (None, Some(_)) => {
                return Err(ConfigError {
                    variable: "LATCHKEY_ADMIN_EMAIL",
                    message: "must be set when LATCHKEY_ADMIN_PASSWORD is".into(),
                })
            }
        };

        Ok(Self {
            database_url,
            site_addr,
            public_origin,
            access_ttl,
            refresh_idle_ttl,
            refresh_absolute_ttl,
            refresh_grace,
            key_rotation,
            argon2,
            argon2_queue,
            rate_login_per_min,
            rate_refresh_per_min,
            rate_account_failures_per_hour,
            trusted_proxies,
            key_encryption,
            admin,
            require_dpop,
            new_network_policy,
            registration,
            max_connections,
            max_connections_per_client,
            header_timeout,
            body_timeout,
            reuse_detection,
            ended_retention,
            event_retention,
            log_format,
            metrics_addr,
        })
    }
}

fn log_format(env: &Env<'_>) -> Result<LogFormat, ConfigError> {
    env.parse("LATCHKEY_LOG_FORMAT", "text", "text or json")
}

/// Metrics get a listener of their own, which the public port must not double as: they tell
/// anyone who reads them how many sign-ins fail and how busy the server is.
fn metrics_addr(env: &Env<'_>, site_addr: SocketAddr) -> Result<Option<SocketAddr>, ConfigError> {
    const NAME: &str = "LATCHKEY_METRICS_ADDR";
    let Some(raw) = env.string(NAME) else {
        return Ok(None);
    };
    let addr: SocketAddr = raw.parse().map_err(|_| ConfigError {
        variable: NAME,
        message: format!("expected an address and port like 127.0.0.1:9100, got {raw:?}"),
    })?;
    if addr.port() != 0 && addr.port() == site_addr.port() {
        return Err(ConfigError {
            variable: NAME,
            message: format!(
                "must use another port than LEPTOS_SITE_ADDR ({site_addr}): metrics are never \
                 served on the public port"
            ),
        });
    }
    Ok(Some(addr))
}

/// The refresh cookie is always `Secure`; browsers honour that over plain http only on loopback,
/// so any other http origin would silently break sign-in. Refuse it up front.
fn parse_origin(raw: &str) -> Result<String, ConfigError> {
    let err = |message: &str| ConfigError {
        variable: "LATCHKEY_PUBLIC_ORIGIN",
        message: message.into(),
    };
    let url =
        Url::parse(raw.trim()).map_err(|_| err("must be a URL like https://auth.example.com"))?;
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(err("must be an origin (scheme, host, port) without a path"));
    }
    let host = url.host_str().ok_or_else(|| err("must name a host"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(err(
                "must use https unless the host is loopback (secure cookies)",
            ))
        }
        _ => return Err(err("must use http or https")),
    }
    Ok(url.origin().ascii_serialization())
}

pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host == "127.0.0.1"
        || host == "[::1]"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    fn string(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn parse<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: &str,
        expected: &str,
    ) -> Result<T, ConfigError> {
        let raw = self.string(name).unwrap_or_else(|| default.to_owned());
        raw.parse().map_err(|_| ConfigError {
            variable: name,
            message: format!("expected {expected}, got {raw:?}"),
        })
    }

    fn number<T>(
        &self,
        name: &'static str,
        default: T,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let Some(raw) = self.string(name) else {
            return Ok(default);
        };
        let value: T = raw.parse().map_err(|_| ConfigError {
            variable: name,
            message: format!("expected a whole number, got {raw:?}"),
        })?;
        if !range.contains(&value) {
            return Err(ConfigError {
                variable: name,
                message: format!("{value} is outside {}..={}", range.start(), range.end()),
            });
        }
        Ok(value)
    }

    fn seconds(
        &self,
        name: &'static str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        self.number(name, default, range).map(Duration::from_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(move |name| map.get(name).cloned())
    }

    #[test]
    fn defaults_match_the_documented_values() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, "sqlite://data/latchkey.db");
        assert_eq!(c.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_origin, "http://127.0.0.1:3000");
        assert_eq!(c.access_ttl, Duration::from_secs(600));
        assert_eq!(c.refresh_idle_ttl, Duration::from_secs(604_800));
        assert_eq!(c.refresh_absolute_ttl, Duration::from_secs(2_592_000));
        assert_eq!(c.refresh_grace, Duration::from_secs(10));
        assert_eq!(c.key_rotation, Duration::from_secs(2_592_000));
        assert_eq!(
            c.argon2,
            Argon2Params {
                m_kib: 19_456,
                t: 2,
                p: 1
            }
        );
        assert_eq!((c.rate_login_per_min, c.rate_refresh_per_min), (20, 300));
        assert!(c.trusted_proxies.is_empty());
        assert_eq!(c.rate_account_failures_per_hour, 10);
        assert_eq!(c.argon2_queue, 32);
        assert_eq!(
            (c.max_connections, c.max_connections_per_client),
            (4096, 256)
        );
        assert_eq!(c.header_timeout, Duration::from_secs(10));
        assert_eq!(c.body_timeout, Duration::from_secs(10));
        assert_eq!(c.registration, Registration::Open);
        assert_eq!(c.reuse_detection, Duration::from_secs(604_800));
        assert_eq!(c.ended_retention, Duration::from_secs(2_592_000));
        assert_eq!(c.event_retention, Duration::from_secs(7_776_000));
        assert!(c.admin.is_none());
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.metrics_addr, None);
        match c.key_encryption {
            KeyEncryptionSource::BesideDatabase(path) => {
                assert_eq!(path, PathBuf::from("data/latchkey.db.key"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn good_values_are_read() {
        let c = config(&[
            ("DATABASE_URL", "postgres://127.0.0.1/test"),
            ("LATCHKEY_KEY_ENCRYPTION_KEY", KEK),
            ("LATCHKEY_ACCESS_TTL", "30"),
            (
                "LATCHKEY_TRUSTED_PROXIES",
                "10.0.0.7/8, 192.168.1.1 fd00::/8",
            ),
            ("LATCHKEY_PUBLIC_ORIGIN", "https://auth.example.com/"),
            ("LATCHKEY_ADMIN_EMAIL", "root@example.com"),
            ("LATCHKEY_ADMIN_PASSWORD", "correct horse"),
            ("LATCHKEY_LOG_FORMAT", "json"),
            ("LATCHKEY_METRICS_ADDR", "127.0.0.1:9100"),
        ])
        .unwrap();
        assert_eq!(c.access_ttl, Duration::from_secs(30));
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.metrics_addr, Some("127.0.0.1:9100".parse().unwrap()));
        assert_eq!(
            c.trusted_proxies
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["10.0.0.0/8", "192.168.1.1/32", "fd00::/8"]
        );
        assert!(matches!(c.key_encryption, KeyEncryptionSource::Inline(_)));
        assert_eq!(c.public_origin, "https://auth.example.com");
        assert_eq!(c.admin.unwrap().email, "root@example.com");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let cases = [
            ("LATCHKEY_ACCESS_TTL", "ten"),
            ("LATCHKEY_ACCESS_TTL", "-1"),
            ("LATCHKEY_ACCESS_TTL", "0"),
            ("LATCHKEY_REFRESH_GRACE", "100000"),
            ("LATCHKEY_REFRESH_GRACE", "61"),
            ("LATCHKEY_TRUST_PROXY", "true"),
            ("LATCHKEY_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("LATCHKEY_TRUSTED_PROXIES", "proxy.internal"),
            ("LATCHKEY_KEY_ENCRYPTION_KEY", "not base64!"),
            ("LATCHKEY_KEY_ENCRYPTION_KEY", "c2hvcnQ="),
            ("LATCHKEY_ARGON2_QUEUE", "-1"),
            ("LATCHKEY_REGISTRATION", "invite"),
            ("LATCHKEY_ARGON2_M_KIB", "16"),
            ("LEPTOS_SITE_ADDR", "localhost"),
            ("LATCHKEY_PUBLIC_ORIGIN", "http://auth.example.com"),
            ("LATCHKEY_PUBLIC_ORIGIN", "https://auth.example.com/login"),
            ("DATABASE_URL", "mysql://x"),
            ("LATCHKEY_ADMIN_EMAIL", "a@b.c"),
            ("LATCHKEY_REUSE_DETECTION", "0"),
            ("LATCHKEY_REUSE_DETECTION", "9"),
            ("LATCHKEY_REUSE_DETECTION", "a week"),
            ("LATCHKEY_ENDED_RETENTION", "59"),
            ("LATCHKEY_ENDED_RETENTION", "600"),
            ("LATCHKEY_ENDED_RETENTION", "315360001"),
            ("LATCHKEY_EVENT_RETENTION", "0"),
            ("LATCHKEY_EVENT_RETENTION", "-1"),
            ("LATCHKEY_LOG_FORMAT", "xml"),
            ("LATCHKEY_METRICS_ADDR", "9100"),
            ("LATCHKEY_METRICS_ADDR", "localhost:9100"),
            ("LATCHKEY_METRICS_ADDR", "127.0.0.1:3000"),
        ];
        for (name, value) in cases {
            let err = config(&[(name, value)]).expect_err(&format!("{name}={value} accepted"));
            let expected = if name == "LATCHKEY_ADMIN_EMAIL" {
                "LATCHKEY_ADMIN_PASSWORD"
            } else {
                name
            };
            assert_eq!(err.variable, expected, "{name}={value}");
            assert!(err.to_string().starts_with(expected), "{err}");
        }
    }

    const KEK: &str = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";

    #[test]
    fn postgres_needs_a_key_encryption_key_and_says_which_variable() {
        let err = config(&[("DATABASE_URL", "postgres://127.0.0.1/test")]).unwrap_err();
        assert_eq!(err.variable, "LATCHKEY_KEY_ENCRYPTION_KEY");
        assert!(
            err.message.contains("LATCHKEY_KEY_ENCRYPTION_KEY_FILE"),
            "{err}"
        );
        let both = config(&[
            ("LATCHKEY_KEY_ENCRYPTION_KEY", KEK),
            ("LATCHKEY_KEY_ENCRYPTION_KEY_FILE", "/run/secrets/kek"),
        ])
        .unwrap_err();
        assert_eq!(both.variable, "LATCHKEY_KEY_ENCRYPTION_KEY");
        let file = config(&[
            ("DATABASE_URL", "postgres://127.0.0.1/test"),
            ("LATCHKEY_KEY_ENCRYPTION_KEY_FILE", "/run/secrets/kek"),
        ])
        .unwrap();
        assert!(
            matches!(file.key_encryption, KeyEncryptionSource::File(p) if p == std::path::Path::new("/run/secrets/kek"))
        );
    }

    #[test]
    fn key_encryption_key_accepts_both_base64_alphabets() {
        use secrecy::ExposeSecret;
        let standard = decode_key_encryption_key(KEK).unwrap();
        let url_safe = decode_key_encryption_key(&KEK.replace('+', "-").replace('/', "_")).unwrap();
        assert_eq!(standard.expose_secret(), url_safe.expose_secret());
        assert!(decode_key_encryption_key(&KEK[..40]).is_err());
    }

    #[test]
    fn in_memory_sqlite_is_refused_with_a_reason() {
        for url in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite:",
            "sqlite::memory:?cache=shared",
        ] {
            let err = config(&[("DATABASE_URL", url)]).err();
            assert!(
                err.as_ref().is_some_and(
                    |e| e.variable == "DATABASE_URL" && e.message.contains("in-memory")
                ),
                "{url}: {err:?}"
            );
        }
    }

    #[test]
    fn reuse_detection_follows_the_idle_ttl_and_never_undercuts_the_grace() {
        let c = config(&[("LATCHKEY_REFRESH_IDLE_TTL", "3600")]).unwrap();
        assert_eq!(c.reuse_detection, Duration::from_secs(3600));
        let c = config(&[
            ("LATCHKEY_REFRESH_IDLE_TTL", "30"),
            ("LATCHKEY_REFRESH_GRACE", "60"),
        ])
        .unwrap();
        assert_eq!(c.reuse_detection, Duration::from_secs(60));
        let c = config(&[("LATCHKEY_REUSE_DETECTION", "10")]).unwrap();
        assert_eq!(c.auth_settings().reuse_detection_secs, 10);
    }

    #[test]
    fn ended_retention_outlasts_the_access_tokens() {
        let c = config(&[
            ("LATCHKEY_ACCESS_TTL", "60"),
            ("LATCHKEY_ENDED_RETENTION", "61"),
        ])
        .unwrap();
        assert_eq!(c.auth_settings().ended_retention_secs, 61);
        let err = config(&[
            ("LATCHKEY_ACCESS_TTL", "60"),
            ("LATCHKEY_ENDED_RETENTION", "60"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "LATCHKEY_ENDED_RETENTION");
    }

    #[test]
    fn idle_ttl_cannot_exceed_absolute_ttl() {
        let err = config(&[
            ("LATCHKEY_REFRESH_IDLE_TTL", "100"),
            ("LATCHKEY_REFRESH_ABSOLUTE_TTL", "50"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "LATCHKEY_REFRESH_IDLE_TTL");
    }
}
