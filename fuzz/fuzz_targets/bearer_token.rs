//! The bearer check as a request meets it: an `Authorization` header value through
//! `request_meta::bearer` and `AuthService::authenticate` (signature, claims, revocation list).
//! Odd first byte: the rest builds a token (`access_token::TokenShape`); even: the rest is the
//! header value itself. Never panics; accepts only what latchkey's own key signed with claims
//! inside the window; accepts every token that is right in every part.

#![no_main]

use std::sync::{Arc, OnceLock};

use arbitrary::{Arbitrary, Unstructured};
use latchkey::auth::access_tokens::MAX_TOKEN_BYTES;
use latchkey::auth::AuthService;
use latchkey::http::request_meta;
use latchkey_fuzz::access_token::{self, TokenShape};
use libfuzzer_sys::fuzz_target;
use tokio::runtime::Runtime;

static ENGINE: OnceLock<(Runtime, Arc<AuthService>)> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (runtime, auth) = ENGINE.get_or_init(|| latchkey_fuzz::server::engine("bearer_token"));
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let (value, must_accept) = if mode % 2 == 1 {
        let Ok(shape) = TokenShape::arbitrary_take_rest(Unstructured::new(rest)) else {
            return;
        };
        (shape.header_value(), shape.must_be_accepted())
    } else {
        (rest.to_vec(), false)
    };
    let Ok(request) = http::Request::get("/api/sessions/list")
        .header(http::header::AUTHORIZATION, value.as_slice())
        .body(())
    else {
        return; // not a header value HTTP can carry
    };
    let (parts, ()) = request.into_parts();
    let Some(token) = request_meta::bearer(&parts) else {
        assert!(!must_accept, "a Bearer header was not read: {value:?}");
        return;
    };
    assert!(
        value.ends_with(token.as_bytes()) && value.len() > token.len(),
        "the token is not the end of the header value"
    );
    // Longer tokens are refused unread, whatever they hold (SECURITY.md A13).
    let must_accept = must_accept && token.len() <= MAX_TOKEN_BYTES;
    match runtime.block_on(auth.authenticate(token)) {
        Ok(principal) => {
            let claims = match access_token::genuine(token) {
                Ok(claims) => claims,
                Err(why) => panic!("accepted a token that is not genuine ({why}): {token}"),
            };
            let claim = |name: &str| {
                claims
                    .get(name)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
            };
            assert_eq!(principal.user_id.as_str(), claim("sub"), "sub");
            assert_eq!(principal.session_id.as_str(), claim("sid"), "sid");
            assert_eq!(principal.role.as_str(), claim("role"), "role");
            assert_eq!(principal.email, claim("email"), "email");
        }
        Err(err) => assert!(!must_accept, "refused a right token ({err}): {token}"),
    }
});
