//! The server's twin of `web.rs`, used while rendering pages: no browser, no tabs, no dialogs.
//! See `mod.rs` for what each function means.

use std::future::Future;
use std::time::Duration;

pub const IN_BROWSER: bool = false;

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn iso(at: i64) -> String {
    at.to_string()
}

pub fn local_time(at: i64) -> String {
    at.to_string()
}

/// Used only by code that runs after hydration, so the server never needs the escaping.
pub fn encode_uri_component(raw: &str) -> String {
    raw.to_owned()
}

pub fn confirm(_message: &str) -> bool {
    false
}

pub async fn sleep_ms(_ms: u32) {}

pub fn after(_delay: Duration, _run: impl FnOnce() + 'static) {}

pub async fn with_refresh_lock<T: 'static>(work: impl Future<Output = T> + 'static) -> T {
    work.await
}

pub fn broadcast_sign_out() {}

pub fn on_sign_out_elsewhere(_run: impl Fn() + 'static) {}

pub fn load_page(_path: &str) {}

pub async fn copy_text(_text: &str) -> bool {
    false
}

/// A URL's fragment never reaches the server.
pub fn take_location_fragment() -> Option<String> {
    None
}

pub fn focus_element(_selector: &str) {}

pub fn answer_not_found() {
    // Only the `ssr` build has a response to answer; a build with neither feature (such as
    // `cargo check -p app`) has nothing to set.
    #[cfg(feature = "ssr")]
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
}

/// Pages rendered on the server make no requests of their own, so they sign nothing.
pub async fn dpop_proof(_key: super::DeviceKeyUse, _path: &str) -> Option<String> {
    None
}

pub async fn forget_device_key() {}

pub fn registration_open() -> bool {
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::use_context::<crate::api::backend::SharedBackend>()
            .is_none_or(|backend| backend.registration_open())
    }
    #[cfg(not(feature = "ssr"))]
    {
        true
    }
}
