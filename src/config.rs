//! Configuration from the environment. Every value is validated here, at the edge, so a bad
//! setting stops start-up with a message naming the variable instead of surfacing later.

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl Default for Argon2Params {
    /// OWASP's recommended argon2id parameters.
    fn default() -> Self {
        Self {
            m_kib: 19_456,
            t: 2,
            p: 1,
        }
    }
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
    pub rate_login_per_min: u32,
    pub rate_refresh_per_min: u32,
    pub trust_proxy: bool,
    pub admin: Option<AdminBootstrap>,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/latchkey.db";

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
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
        let refresh_grace = env.seconds("LATCHKEY_REFRESH_GRACE", 10, 0..=300)?;
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

        let defaults = Argon2Params::default();
        let argon2 = Argon2Params {
            m_kib: env.number("LATCHKEY_ARGON2_M_KIB", defaults.m_kib, 8_192..=4_194_304)?,
            t: env.number("LATCHKEY_ARGON2_T", defaults.t, 1..=64)?,
            p: env.number("LATCHKEY_ARGON2_P", defaults.p, 1..=64)?,
        };

        let rate_login_per_min = env.number("LATCHKEY_RATE_LOGIN_PER_MIN", 20, 0..=1_000_000)?;
        let rate_refresh_per_min =
            env.number("LATCHKEY_RATE_REFRESH_PER_MIN", 300, 0..=1_000_000)?;
        let trust_proxy = env.boolean("LATCHKEY_TRUST_PROXY", false)?;

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
            rate_login_per_min,
            rate_refresh_per_min,
            trust_proxy,
            admin,
        })
    }
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

    fn boolean(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.string(name).map(|v| v.to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
            Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
            Some(v) => Err(ConfigError {
                variable: name,
                message: format!("expected true or false, got {v:?}"),
            }),
        }
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
        assert!(!c.trust_proxy);
        assert!(c.admin.is_none());
    }

    #[test]
    fn good_values_are_read() {
        let c = config(&[
            ("DATABASE_URL", "postgres://127.0.0.1/test"),
            ("LATCHKEY_ACCESS_TTL", "30"),
            ("LATCHKEY_TRUST_PROXY", "true"),
            ("LATCHKEY_PUBLIC_ORIGIN", "https://auth.example.com/"),
            ("LATCHKEY_ADMIN_EMAIL", "root@example.com"),
            ("LATCHKEY_ADMIN_PASSWORD", "correct horse"),
        ])
        .unwrap();
        assert_eq!(c.access_ttl, Duration::from_secs(30));
        assert!(c.trust_proxy);
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
            ("LATCHKEY_TRUST_PROXY", "maybe"),
            ("LATCHKEY_ARGON2_M_KIB", "16"),
            ("LEPTOS_SITE_ADDR", "localhost"),
            ("LATCHKEY_PUBLIC_ORIGIN", "http://auth.example.com"),
            ("LATCHKEY_PUBLIC_ORIGIN", "https://auth.example.com/login"),
            ("DATABASE_URL", "mysql://x"),
            ("LATCHKEY_ADMIN_EMAIL", "a@b.c"),
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
