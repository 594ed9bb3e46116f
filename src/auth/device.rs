//! A human label for a user agent ("Firefox on Linux"), parsed by woothee.

/// What the engine knows about the caller, taken from the request by the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
    /// The request's DPoP proof, if it sent one, with what it must have been made for.
    pub proof: Option<super::dpop::PresentedProof>,
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
            proof: None,
        }
    }

    pub fn with_proof(mut self, proof: super::dpop::PresentedProof) -> Self {
        self.proof = Some(proof);
        self
    }

    pub fn device_label(&self) -> String {
        device_label(&self.user_agent)
    }
}

/// The network an address belongs to, as text: IPv4 /24, IPv6 /64 (what one household, office
/// or phone usually holds). Unparseable input is its own network.
pub fn network_of(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>().map(canonical) {
        Ok(std::net::IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{prefix}/64")
        }
        Err(_) => ip.to_owned(),
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`, from dual-stack sockets) are the IPv4 client.
pub fn canonical(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map(std::net::IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// Whether two user agents are the same browser family on the same operating system (versions
/// may differ: browsers update). When either cannot be told, they are not called different.
pub fn same_kind_of_device(a: &str, b: &str) -> bool {
    fn kind(user_agent: &str) -> Option<(String, String)> {
        woothee::parser::Parser::new()
            .parse(user_agent)
            .filter(|ua| ua.name != "UNKNOWN" && ua.os != "UNKNOWN")
            .map(|ua| (ua.name.to_owned(), ua.os.to_owned()))
    }
    match (kind(a), kind(b)) {
        (Some(a), Some(b)) => a == b,
        _ => true,
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
    fn a_browser_update_is_the_same_device_and_another_browser_is_not() {
        let chrome_120 = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        let chrome_131 = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        let firefox_linux =
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
        let chrome_windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        assert!(same_kind_of_device(chrome_120, chrome_131));
        assert!(!same_kind_of_device(chrome_120, firefox_linux));
        assert!(!same_kind_of_device(chrome_120, chrome_windows));
        assert!(
            same_kind_of_device(chrome_120, ""),
            "unknown is not evidence"
        );
        assert!(same_kind_of_device(chrome_120, "curl/8.5.0"));
    }

    #[test]
    fn networks_group_a_household_or_a_phone() {
        assert_eq!(network_of("198.51.100.7"), "198.51.100.0/24");
        assert_eq!(network_of("::ffff:198.51.100.7"), "198.51.100.0/24");
        assert_eq!(network_of("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(network_of("unknown"), "unknown");
    }

    #[test]
    fn user_agent_is_bounded_and_stripped_of_control_characters() {
        let info = ClientInfo::new("1.2.3.4", &format!("evil\r\nheader{}", "x".repeat(5000)));
        assert!(!info.user_agent.contains('\n'));
        assert_eq!(info.user_agent.chars().count(), 512);
    }
}
