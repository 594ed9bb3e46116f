//! The refresh cookie as a request meets it: a `Cookie` header through the whole router
//! (tower-cookies, `transport::read_refresh_cookie`, `RefreshToken::parse`, the digest lookup)
//! to `/api/auth/refresh` (first byte even) or `/api/auth/logout` (odd). The database holds no
//! refresh token, so refresh must answer 401 `invalid_refresh_token` and logout 200, and neither
//! may ever set a cookie with a value. `RefreshToken::parse` itself must accept exactly the
//! canonical base64url spellings of 32 bytes.

#![no_main]

use std::sync::OnceLock;

use app::api::transport::REFRESH_COOKIE;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::{HeaderName, HeaderValue, StatusCode};
use latchkey::auth::refresh_tokens::RefreshToken;
use latchkey_fuzz::server::Server;
use libfuzzer_sys::fuzz_target;

static SERVER: OnceLock<Server> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some((mode, cookie)) = data.split_first() else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(cookie) {
        check_parse(text);
        if let Some(value) = text.strip_prefix(&format!("{REFRESH_COOKIE}=")) {
            check_parse(value);
        }
    }
    let Ok(cookie) = HeaderValue::from_bytes(cookie) else {
        return;
    };
    let server = SERVER.get_or_init(|| Server::start("refresh_cookie", &[]));
    let headers = [(HeaderName::from_static("cookie"), cookie)];
    let refresh = mode % 2 == 0;
    let path = if refresh {
        "/api/auth/refresh"
    } else {
        "/api/auth/logout"
    };
    let answer = server.post(path, &headers, b"{}".to_vec());
    answer.must_not_be_a_server_fault(path);
    if refresh {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            answer.error_code().as_deref(),
            Some("invalid_refresh_token")
        );
    } else {
        assert_eq!(answer.status, StatusCode::OK, "{path}");
    }
    for set in &answer.set_cookie {
        assert!(
            set.starts_with(&format!("{REFRESH_COOKIE}=;")),
            "{path} set a cookie with a value: {set}"
        );
    }
});

fn check_parse(raw: &str) {
    let canonical = raw.len() == 43
        && URL_SAFE_NO_PAD
            .decode(raw)
            .is_ok_and(|bytes| bytes.len() == 32 && URL_SAFE_NO_PAD.encode(&bytes) == raw);
    match RefreshToken::parse(raw) {
        Some(token) => {
            assert!(
                canonical,
                "parsed a value generate() cannot produce: {raw:?}"
            );
            assert_eq!(token.expose(), raw);
            let successor = RefreshToken::generate();
            let sealed = match token.seal_successor(&successor) {
                Ok(sealed) => sealed,
                Err(err) => panic!("sealing under {raw:?} failed: {err}"),
            };
            let opened = token.open_successor(&sealed);
            assert_eq!(
                opened.as_ref().map(RefreshToken::expose),
                Some(successor.expose())
            );
            assert!(
                token.open_successor(raw.as_bytes()).is_none(),
                "opened garbage"
            );
        }
        None => assert!(!canonical, "refused a well-formed token: {raw:?}"),
    }
}
