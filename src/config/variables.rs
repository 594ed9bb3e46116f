//! Every environment variable latchkey reads, with its default, for `latchkey --help`. The tests
//! below keep this list, the reads in `Config::from_lookup` and the README's table in step.

/// One documented variable.
pub struct Variable {
    pub name: &'static str,
    /// As shown; `None` when unset means "off" or "not used".
    pub default: Option<&'static str>,
    pub meaning: &'static str,
}

const fn var(name: &'static str, default: &'static str, meaning: &'static str) -> Variable {
    Variable {
        name,
        default: Some(default),
        meaning,
    }
}

const fn unset(name: &'static str, meaning: &'static str) -> Variable {
    Variable {
        name,
        default: None,
        meaning,
    }
}

/// Read by `Config::from_lookup`, in the order of the README's table.
pub const VARIABLES: &[Variable] = &[
    var(
        "DATABASE_URL",
        super::DEFAULT_DATABASE_URL,
        "sqlite:<file> or postgres://…",
    ),
    var("LEPTOS_SITE_ADDR", "127.0.0.1:3000", "listen address"),
    var(
        "LATCHKEY_PUBLIC_ORIGIN",
        "http://<LEPTOS_SITE_ADDR>",
        "JWT issuer and audience, the only accepted Origin; https unless loopback",
    ),
    var(
        "LATCHKEY_ACCESS_TTL",
        "600",
        "access token lifetime, seconds (5-86400)",
    ),
    var(
        "LATCHKEY_REFRESH_IDLE_TTL",
        "604800",
        "session idle expiry, seconds, sliding",
    ),
    var(
        "LATCHKEY_REFRESH_ABSOLUTE_TTL",
        "2592000",
        "session absolute expiry, seconds, never extended",
    ),
    var(
        "LATCHKEY_REFRESH_GRACE",
        "10",
        "seconds (0-60) in which a just-rotated token returns the same successor",
    ),
    var(
        "LATCHKEY_KEY_ROTATION",
        "2592000",
        "signing-key lifetime, seconds",
    ),
    var("LATCHKEY_ARGON2_M_KIB", "19456", "argon2id memory, KiB"),
    var("LATCHKEY_ARGON2_T", "2", "argon2id iterations"),
    var("LATCHKEY_ARGON2_P", "1", "argon2id parallelism"),
    var(
        "LATCHKEY_ARGON2_QUEUE",
        "32",
        "password checks that may wait for a core before 503 busy",
    ),
    var(
        "LATCHKEY_RATE_LOGIN_PER_MIN",
        "20",
        "sign-in attempts per client per minute; 0 off",
    ),
    var(
        "LATCHKEY_RATE_REFRESH_PER_MIN",
        "300",
        "refreshes per client per minute; 0 off",
    ),
    var(
        "LATCHKEY_RATE_ACCOUNT_FAILURES_PER_HOUR",
        "10",
        "failed sign-ins per account per hour before throttling; 0 off",
    ),
    unset(
        "LATCHKEY_TRUSTED_PROXIES",
        "networks of reverse proxies whose X-Forwarded-For is believed",
    ),
    unset(
        "LATCHKEY_KEY_ENCRYPTION_KEY",
        "base64 of 32 bytes sealing the signing keys (SQLite: generated; PostgreSQL: required)",
    ),
    unset(
        "LATCHKEY_KEY_ENCRYPTION_KEY_FILE",
        "a file holding that key instead",
    ),
    var(
        "LATCHKEY_REQUIRE_DPOP",
        "false",
        "refuse sign-ins not bound to a device key",
    ),
    var(
        "LATCHKEY_NEW_NETWORK_POLICY",
        "record",
        "refresh from a new network: record or refuse",
    ),
    var(
        "LATCHKEY_MAX_CONNECTIONS",
        "4096",
        "open connections at once",
    ),
    var(
        "LATCHKEY_MAX_CONNECTIONS_PER_CLIENT",
        "256",
        "open connections per IPv4 address or IPv6 /64",
    ),
    var(
        "LATCHKEY_HEADER_TIMEOUT",
        "10",
        "seconds to send a request head; idle keep-alive limit",
    ),
    var(
        "LATCHKEY_BODY_TIMEOUT",
        "10",
        "seconds to send a whole /api body",
    ),
    unset(
        "LATCHKEY_ADMIN_EMAIL",
        "create this admin at start-up if absent",
    ),
    unset("LATCHKEY_ADMIN_PASSWORD", "its password"),
    var(
        "LATCHKEY_REGISTRATION",
        "open",
        "open, or closed: only admins create accounts",
    ),
    var(
        "LATCHKEY_REUSE_DETECTION",
        "<LATCHKEY_REFRESH_IDLE_TTL>",
        "seconds a rotated refresh token is kept so that its replay still ends the session",
    ),
    var(
        "LATCHKEY_ENDED_RETENTION",
        "2592000",
        "seconds ended sessions (with their tokens) are kept before the sweep deletes them",
    ),
    var(
        "LATCHKEY_EVENT_RETENTION",
        "7776000",
        "seconds security events are kept",
    ),
    var(
        "LATCHKEY_LOG_FORMAT",
        "text",
        "text, or json: one object per line",
    ),
    unset(
        "LATCHKEY_METRICS_ADDR",
        "a second listener serving only GET /metrics (Prometheus), e.g. 127.0.0.1:9100",
    ),
];

/// Read outside `Config`: before it (logging) or by Leptos (where the site's files are).
pub const READ_ELSEWHERE: &[Variable] = &[
    var("RUST_LOG", "info", "log filter"),
    unset(
        "LEPTOS_SITE_ROOT",
        "serve the site from this directory instead of the files compiled in",
    ),
];

/// The text after `latchkey --help` and `latchkey serve --help`.
pub fn help() -> String {
    let width = VARIABLES
        .iter()
        .chain(READ_ELSEWHERE)
        .map(|v| v.name.len() + v.default.map_or(0, |d| d.len() + 3))
        .max()
        .unwrap_or(0);
    let mut text = String::from(
        "Environment (durations in seconds; a bad value stops start-up naming the variable; \
         details in the README):\n",
    );
    for variable in VARIABLES.iter().chain(READ_ELSEWHERE) {
        let shown = match variable.default {
            Some(default) => format!("{}={default}", variable.name),
            None => variable.name.to_owned(),
        };
        text.push_str(&format!("  {shown:<width$}  {}\n", variable.meaning));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::sync::Mutex;

    fn names(list: &[Variable]) -> BTreeSet<&'static str> {
        list.iter().map(|v| v.name).collect()
    }

    #[test]
    fn the_list_names_exactly_what_the_configuration_reads() {
        let read = Mutex::new(BTreeSet::new());
        let _ = crate::config::Config::from_lookup(|name| {
            if let Ok(mut read) = read.lock() {
                read.insert(name.to_owned());
            }
            None
        });
        let read = read.into_inner().unwrap();
        let listed: BTreeSet<String> = names(VARIABLES).into_iter().map(String::from).collect();
        // The retired variable is read only to refuse it with a pointer to its replacement.
        let read: BTreeSet<String> = read
            .into_iter()
            .filter(|n| n != "LATCHKEY_TRUST_PROXY")
            .collect();
        assert_eq!(read, listed, "Config::from_lookup and VARIABLES disagree");
    }

    #[test]
    fn every_stated_default_is_the_default() {
        let unset = crate::config::Config::from_lookup(|_| None).unwrap();
        for variable in VARIABLES {
            let Some(default) = variable.default.filter(|d| !d.contains('<')) else {
                continue;
            };
            let set = crate::config::Config::from_lookup(|name| {
                (name == variable.name).then(|| default.to_owned())
            })
            .unwrap_or_else(|e| panic!("{} = {default}: {e}", variable.name));
            assert_eq!(
                format!("{set:?}"),
                format!("{unset:?}"),
                "{} = {default} is not what an unset {} gives",
                variable.name,
                variable.name
            );
        }
    }

    #[test]
    fn the_readme_table_lists_every_variable() {
        let readme = include_str!("../../README.md");
        for variable in VARIABLES.iter().chain(READ_ELSEWHERE) {
            assert!(
                readme.contains(&format!("`{}`", variable.name)),
                "README.md does not document {}",
                variable.name
            );
        }
    }

    #[test]
    fn help_shows_each_variable_with_its_default() {
        let help = help();
        assert!(help.contains("LATCHKEY_ACCESS_TTL=600"));
        assert!(help.contains("DATABASE_URL=sqlite://data/latchkey.db"));
        for variable in VARIABLES.iter().chain(READ_ELSEWHERE) {
            assert!(help.contains(variable.name), "{} missing", variable.name);
        }
    }
}
