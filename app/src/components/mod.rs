mod focus;
mod guard;
mod nav;
mod pager;
mod password_meter;
mod session_list;
mod time;

pub use focus::FocusOnNavigate;
pub use guard::RequireAuth;
pub use nav::Nav;
pub use pager::Pager;
pub use password_meter::PasswordMeter;
pub use session_list::{EndedList, HeadingLevel, SessionItem};
pub use time::{ExactTime, RelativeTime};

/// "1 device", "2 devices": a count with its noun, never "device(s)".
pub fn count(n: u64, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{n} {plural}")
    }
}

/// Returning to the sign-in or registration form after signing in would look like a failure.
fn is_sign_in_page(path: &str) -> bool {
    let route = path
        .split(['?', '#'])
        .next()
        .unwrap_or(path)
        .trim_end_matches('/');
    matches!(route, "/login" | "/register")
}

/// Keeps post-sign-in redirects on this site: only plain absolute paths are followed.
pub fn safe_next(next: Option<String>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(|c| c.is_control() || c.is_whitespace())
                && !is_sign_in_page(&path) =>
        {
            path
        }
        _ => "/sessions".to_owned(),
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

    #[test]
    fn counts_read_as_words() {
        use super::count;
        assert_eq!(count(1, "device", "devices"), "1 device");
        assert_eq!(count(0, "device", "devices"), "0 devices");
        assert_eq!(count(2, "session", "sessions"), "2 sessions");
    }

    #[test]
    fn never_back_to_the_sign_in_forms() {
        for loop_back in [
            "/login",
            "/login/",
            "/login?next=%2Fsessions",
            "/register",
            "/register#x",
        ] {
            assert_eq!(
                safe_next(Some(loop_back.into())),
                "/sessions",
                "{loop_back}"
            );
        }
        assert_eq!(safe_next(Some("/login-help".into())), "/login-help");
    }
}
