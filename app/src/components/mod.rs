mod guard;
mod nav;
mod time;

pub use guard::RequireAuth;
pub use nav::Nav;
pub use time::{ExactTime, RelativeTime};

/// Keeps post-sign-in redirects on this site: only plain absolute paths are followed.
pub fn safe_next(next: Option<String>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            path
        }
        _ => "/sessions".to_owned(),
    }
}

/// Asks the browser's confirm dialog; never confirms on the server.
pub fn confirm(message: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.confirm_with_message(message).ok())
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = message;
        false
    }
}

/// True once the WASM has taken over; forms stay disabled until then so nothing is submitted
/// the old-fashioned way (which would put a password in a URL).
pub fn use_hydrated() -> leptos::prelude::RwSignal<bool> {
    use leptos::prelude::*;
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    hydrated
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn redirects_stay_on_this_site() {
        assert_eq!(safe_next(Some("/account".into())), "/account");
        for evil in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/\n/evil.example",
        ] {
            assert_eq!(safe_next(Some(evil.into())), "/sessions", "{evil}");
        }
        assert_eq!(safe_next(None), "/sessions");
    }
}
