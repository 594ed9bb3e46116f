//! Logs and metrics. Logs go to stderr as text or one JSON object per line
//! (`LATCHKEY_LOG_FORMAT`); metrics are recorded through the `metrics` facade and exported
//! only when `LATCHKEY_METRICS_ADDR` is set (`metrics::install`).

pub mod metrics;

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// For people reading a terminal or `journalctl`.
    #[default]
    Text,
    /// One JSON object per line, for log shippers (Loki, Elasticsearch, a SIEM).
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = ();

    fn from_str(raw: &str) -> Result<Self, ()> {
        match raw.to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(()),
        }
    }
}

/// Logs to stderr; `RUST_LOG` overrides the default level. The target is printed so that
/// `latchkey::audit` and `latchkey::access` lines can be told apart by a filter.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    // Colour codes only for a person at a terminal: in journald or a file they would break
    // every filter written against the lines (fail2ban's included).
    let ansi = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        // Fields at the top level, so a filter reads `.kind` rather than `.fields.kind`.
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_in_any_case_and_nothing_else_does() {
        assert_eq!("text".parse(), Ok(LogFormat::Text));
        assert_eq!("JSON".parse(), Ok(LogFormat::Json));
        assert_eq!("logfmt".parse::<LogFormat>(), Err(()));
    }
}
