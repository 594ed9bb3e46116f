//! Everything that needs a browser, behind one set of signatures.
//!
//! The app is compiled twice: for the server (rendering pages) and for the browser (the WASM that
//! hydrates them). Code that calls the browser's APIs lives in `web.rs`; `server.rs` has a twin of
//! every function that does what makes sense while rendering on the server (usually nothing).
//! This is the one place that chooses between them, so pages, components and `auth` read the
//! same on both sides and carry no `cfg` of their own.
//!
//! Add a function by writing it in both files and wrapping it here with its documentation: a
//! twin that drifts from its signature then fails to compile on its side.

use std::future::Future;
use std::time::Duration;

#[cfg_attr(feature = "hydrate", path = "web.rs")]
#[cfg_attr(not(feature = "hydrate"), path = "server.rs")]
mod side;

/// The browser's device key (WebCrypto and IndexedDB); `web.rs` uses it.
#[cfg(feature = "hydrate")]
mod device_key;

/// Which device key signs a request's DPoP proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKeyUse {
    /// A new key, replacing the old one: every sign-in binds its session to a fresh key.
    New,
    /// This browser's key, made now if it has none (so a copied cookie presented from another
    /// browser always comes with another key, which ends the session as stolen).
    Current,
}

/// True in the browser, false while rendering on the server.
pub const IN_BROWSER: bool = side::IN_BROWSER;

/// Seconds since the Unix epoch, from this machine's clock.
pub fn now() -> i64 {
    side::now()
}

/// `at` (seconds since the epoch) in ISO 8601, for a `<time datetime>` attribute. The server
/// writes the plain number; the browser replaces it on hydration.
pub fn iso(at: i64) -> String {
    side::iso(at)
}

/// `at` as a date and time in the reader's own locale and time zone, which only the browser
/// knows. The server writes the plain number; the browser replaces it on hydration.
pub fn local_time(at: i64) -> String {
    side::local_time(at)
}

/// `raw` escaped for use as one query-string value.
pub fn encode_uri_component(raw: &str) -> String {
    side::encode_uri_component(raw)
}

/// Whether this server takes new accounts (`LATCHKEY_REGISTRATION`): the backend's setting while
/// rendering on the server, which writes it into the page's head; read back from there in the
/// browser, so both render the register page alike without waiting for a request.
pub fn registration_open() -> bool {
    side::registration_open()
}

/// Asks the browser's confirm dialog; never confirms on the server.
pub fn confirm(message: &str) -> bool {
    side::confirm(message)
}

/// Waits without blocking the tab (returns at once on the server).
pub async fn sleep_ms(ms: u32) {
    side::sleep_ms(ms).await
}

/// Runs `run` once, after `delay`, in this tab (never on the server: a page rendered there has
/// no timers).
pub fn after(delay: Duration, run: impl FnOnce() + 'static) {
    side::after(delay, run)
}

/// Runs `work` while holding the browser-wide refresh lock (Web Locks API), so only one tab of
/// this browser rotates the refresh token at a time. Without Web Locks it still serialises
/// within the tab.
pub async fn with_refresh_lock<T: 'static>(work: impl Future<Output = T> + 'static) -> T {
    side::with_refresh_lock(work).await
}

/// Tells the other tabs of this browser that this one signed out (BroadcastChannel).
pub fn broadcast_sign_out() {
    side::broadcast_sign_out()
}

/// Runs `run` whenever another tab of this browser signs out; this tab's own announcements are
/// not heard. Listens for as long as the tab lives.
pub fn on_sign_out_elsewhere(run: impl Fn() + 'static) {
    side::on_sign_out_elsewhere(run)
}

/// Loads `path` afresh, as if typed into the address bar: every state this tab held is gone.
pub fn load_page(path: &str) {
    side::load_page(path)
}

/// Puts `text` on the clipboard (Clipboard API); false where the browser refused, so the
/// page can ask the person to copy it themselves.
pub async fn copy_text(text: &str) -> bool {
    side::copy_text(text).await
}

/// The page address's fragment (after `#`), which is then removed from the address bar and
/// this history entry so it is not left on screen or in history. Secrets travel there because
/// browsers never send a fragment to a server (no logs, proxies or `Referer`). `None` on the
/// server and when there is none.
pub fn take_location_fragment() -> Option<String> {
    side::take_location_fragment()
}

/// Moves focus to the first element matching `selector` once it has been drawn; a heading
/// becomes focusable by script only (not a tab stop).
pub fn focus_element(selector: &str) {
    side::focus_element(selector)
}

/// Answers the page being rendered with 404 Not Found (the browser's navigation has no status
/// to set).
pub fn answer_not_found() {
    side::answer_not_found()
}

/// A DPoP proof (RFC 9449) for `POST` to `path` on this origin, signed with this browser's
/// device key, whose private half can never be read by script. `None` where the browser cannot
/// make or keep such a key: the request then goes without one (an unbound session).
pub async fn dpop_proof(key: DeviceKeyUse, path: &str) -> Option<String> {
    side::dpop_proof(key, path).await
}

/// Deletes the device key: after signing out nothing here can prove the old session.
pub async fn forget_device_key() {
    side::forget_device_key().await
}
