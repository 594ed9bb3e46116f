//! A human label for a user agent ("Firefox on Linux"), parsed by woothee.

/// What the engine knows about the caller, taken from the request by the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

const MAX_USER_AGENT: usize = 512;

impl ClientInfo {
    pub fn new(ip: impl Into<String>, user_agent: &str) -> Self {
        let user_agent: String = user_agent
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_USER_AGENT)
            .collect();
        Self {
            ip: ip.into(),
            user_agent,
        }
    }

    pub fn device_label(&self) -> String {
        device_label(&self.user_agent)
    }
}

pub fn device_label(user_agent: &str) -> String {
    if user_agent.trim().is_empty() {
        return "Unknown device".into();
    }
    let Some(ua) = woothee::parser::Parser::new().parse(user_agent) else {
        return "Unknown browser".into();
    };
    let browser = if ua.name == "UNKNOWN" {
        "Unknown browser"
    } else {
        ua.name
    };
    let os = match ua.os {
        "UNKNOWN" => None,
        "Mac OSX" => Some("macOS"),
        other => Some(other),
    };
    match os {
        Some(os) => format!("{browser} on {os}"),
        None => browser.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_common_browsers() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(device_label(chrome), "Chrome on Linux");
        let firefox =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";
        assert!(
            device_label(firefox).starts_with("Firefox on Windows"),
            "{}",
            device_label(firefox)
        );
        assert_eq!(device_label(""), "Unknown device");
    }

    #[test]
    fn user_agent_is_bounded_and_stripped_of_control_characters() {
        let info = ClientInfo::new("1.2.3.4", &format!("evil\r\nheader{}", "x".repeat(5000)));
        assert!(!info.user_agent.contains('\n'));
        assert_eq!(info.user_agent.chars().count(), 512);
    }
}
