//! The server-function client: the browser's fetch client plus `Authorization: Bearer …` from
//! the access token held in memory. Every server function uses it, so no call site handles
//! the header itself.
//!
//! The access token lives here, in this tab's memory only (never in storage or a readable
//! cookie). `send` is an associated function and cannot reach reactive context, so the token is
//! a thread-local; `auth::AuthState` writes it through `set_access_token` and mirrors who is
//! signed in for the UI.

use std::cell::RefCell;
use std::future::Future;

use bytes::Bytes;
use futures::{Sink, Stream};
use server_fn::client::browser::BrowserClient;
use server_fn::client::Client;
use server_fn::error::FromServerFnError;
use server_fn::request::browser::BrowserRequest;
use server_fn::response::browser::BrowserResponse;

use crate::platform::{self, DeviceKeyUse};

/// The request header that carries a DPoP proof.
const DPOP: &str = "DPoP";

thread_local! {
    static ACCESS_TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keeps `token` for the calls this tab makes from now on, or forgets it. Only a browser tab
/// keeps one: a server thread renders pages for many people, so there it is dropped.
pub fn set_access_token(token: Option<String>) {
    if platform::IN_BROWSER {
        ACCESS_TOKEN.with(|t| *t.borrow_mut() = token);
    }
}

/// Whether this tab holds an access token (it may have expired).
pub fn holds_access_token() -> bool {
    ACCESS_TOKEN.with(|t| t.borrow().is_some())
}

fn access_token() -> Option<String> {
    ACCESS_TOKEN.with(|t| t.borrow().clone())
}

pub struct AuthClient;

impl<E, IS, OS> Client<E, IS, OS> for AuthClient
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    type Request = BrowserRequest;
    type Response = BrowserResponse;

    fn send(req: Self::Request) -> impl Future<Output = Result<Self::Response, E>> + Send {
        if let Some(token) = access_token() {
            req.headers()
                .set("Authorization", &format!("Bearer {token}"));
        }
        // The fetch request's URL is absolute; the proof names this origin and the path.
        let path = path_of(&req.url()).to_owned();
        send_wrapper::SendWrapper::new(async move {
            let Some(key) = proof_key(&path) else {
                return <BrowserClient as Client<E, IS, OS>>::send(req).await;
            };
            let send = async move {
                if let Some(proof) = platform::dpop_proof(key, &path).await {
                    req.headers().set(DPOP, &proof);
                }
                let answer = <BrowserClient as Client<E, IS, OS>>::send(req).await;
                // Only once the server has heard the sign-out: a retry after a network failure
                // must still prove the session with its key, or it would look like theft.
                if path == "/api/auth/logout" && answer.is_ok() {
                    platform::forget_device_key().await;
                }
                answer
            };
            match key {
                // A sign-in replaces the key every tab signs with; no other tab may refresh
                // the old session with the new key meanwhile (that would look like theft).
                DeviceKeyUse::New => platform::with_refresh_lock(send).await,
                DeviceKeyUse::Current => send.await,
            }
        })
    }

    #[allow(clippy::type_complexity)]
    fn open_websocket(
        path: &str,
    ) -> impl Future<
        Output = Result<
            (
                impl Stream<Item = Result<Bytes, Bytes>> + Send + 'static,
                impl Sink<Bytes> + Send + 'static,
            ),
            E,
        >,
    > + Send {
        <BrowserClient as Client<E, IS, OS>>::open_websocket(path)
    }

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        <BrowserClient as Client<E, IS, OS>>::spawn(future)
    }
}

/// The path of a same-origin URL, without query or fragment: `/api/auth/refresh`.
fn path_of(url: &str) -> &str {
    let without_origin = match url.find("://") {
        Some(scheme_end) => {
            let rest = &url[scheme_end + 3..];
            rest.find('/').map_or("/", |slash| &rest[slash..])
        }
        None => url,
    };
    without_origin
        .split(['?', '#'])
        .next()
        .unwrap_or(without_origin)
}

/// The calls that carry the refresh cookie are signed with the device key (DPoP, RFC 9449):
/// a sign-in with a new key, refresh and sign-out with the key its session is bound to.
fn proof_key(path: &str) -> Option<DeviceKeyUse> {
    let endpoint = path.strip_prefix("/api/")?;
    match endpoint {
        "auth/login" | "auth/register" => Some(DeviceKeyUse::New),
        "auth/refresh" | "auth/logout" => Some(DeviceKeyUse::Current),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_cookie_endpoints_are_signed() {
        assert_eq!(proof_key("/api/auth/login"), Some(DeviceKeyUse::New));
        assert_eq!(proof_key("/api/auth/register"), Some(DeviceKeyUse::New));
        assert_eq!(proof_key("/api/auth/refresh"), Some(DeviceKeyUse::Current));
        assert_eq!(
            proof_key(path_of("https://auth.example.com/api/auth/logout?x=1")),
            Some(DeviceKeyUse::Current)
        );
        assert_eq!(
            path_of("http://127.0.0.1:3000/api/auth/refresh"),
            "/api/auth/refresh"
        );
        assert_eq!(path_of("/api/auth/refresh#top"), "/api/auth/refresh");
        assert_eq!(proof_key("/api/sessions/list"), None);
        assert_eq!(proof_key("/api/account/password"), None);
    }
}
