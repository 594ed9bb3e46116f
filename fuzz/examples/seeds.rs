//! Writes the hand-made seeds into `corpus/<target>/seed-*` (run from `fuzz/`:
//! `cargo run --example seeds`). Realistic inputs, right and wrong, so the fuzzer starts from
//! every branch a person would think of; `cargo fuzz cmin` keeps what adds coverage.

use std::path::Path;

use latchkey_fuzz::access_token::{self, TTL};
use latchkey_fuzz::clock::NOW;
use latchkey_fuzz::dpop_proof::{self, URL};
use serde_json::{json, Value};

fn main() -> std::io::Result<()> {
    bearer_token()?;
    dpop_proof()?;
    refresh_cookie()?;
    server_fn_bodies()?;
    client_meta()
}

fn write(target: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let dir = Path::new("corpus").join(target);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(format!("seed-{name}")), bytes)
}

/// Raw mode: an even first byte, then the header value.
fn raw(value: &str) -> Vec<u8> {
    [&[0u8][..], value.as_bytes()].concat()
}

/// Structured mode: an odd first byte; all-zero bytes choose the first variant everywhere,
/// which is the right value of every part.
fn structured(fill: u8, len: usize) -> Vec<u8> {
    [vec![1u8], vec![fill; len]].concat()
}

fn bearer_token() -> std::io::Result<()> {
    let (header, claims) = access_token::issued_parts();
    let token = access_token::signed(&header, &claims);
    let with = |edit: &dyn Fn(&mut Value, &mut Value)| {
        let (mut h, mut c) = (header.clone(), claims.clone());
        edit(&mut h, &mut c);
        access_token::signed(&h, &c)
    };
    let seeds = [
        ("valid", format!("Bearer {token}")),
        ("lowercase-scheme", format!("bearer {token}")),
        (
            "bound",
            format!("Bearer {}", with(&|_, c| c["cnf"] = json!({"jkt": "abc"}))),
        ),
        (
            "admin",
            format!("Bearer {}", with(&|_, c| c["role"] = "admin".into())),
        ),
        (
            "expired",
            format!("Bearer {}", with(&|_, c| c["exp"] = (NOW - 6).into())),
        ),
        (
            "edge-of-leeway",
            format!("Bearer {}", with(&|_, c| c["exp"] = (NOW - 4).into())),
        ),
        (
            "future-nbf",
            format!("Bearer {}", with(&|_, c| c["nbf"] = (NOW + 60).into())),
        ),
        (
            "longer-than-ttl",
            format!("Bearer {}", with(&|_, c| c["exp"] = (NOW + TTL + 1).into())),
        ),
        (
            "exp-string",
            format!("Bearer {}", with(&|_, c| c["exp"] = "never".into())),
        ),
        // Found by this target: exp - iat overflowed (a panic in debug builds; wrapped, the
        // lifetime check passed in release builds).
        (
            "regression-lifetime-overflow",
            format!(
                "Bearer {}",
                with(&|_, c| {
                    c["iat"] = (-100).into();
                    c["exp"] = (i64::MAX - 10).into();
                })
            ),
        ),
        (
            "no-iss",
            format!(
                "Bearer {}",
                with(&|_, c| {
                    c.as_object_mut().map(|m| m.remove("iss"));
                })
            ),
        ),
        (
            "wrong-aud",
            format!(
                "Bearer {}",
                with(&|_, c| c["aud"] = "https://evil.example".into())
            ),
        ),
        (
            "typ-jwt",
            format!("Bearer {}", with(&|h, _| h["typ"] = "JWT".into())),
        ),
        (
            "kid-traversal",
            format!(
                "Bearer {}",
                with(&|h, _| h["kid"] = "../../dev/null".into())
            ),
        ),
        (
            "jku",
            format!(
                "Bearer {}",
                with(&|h, _| h["jku"] = "https://evil.example/jwks".into())
            ),
        ),
        (
            "alg-none",
            format!(
                "Bearer {}.",
                jws_unsigned(&json!({"alg": "none", "typ": "at+jwt"}), &claims)
            ),
        ),
        (
            "hs256",
            format!(
                "Bearer {}.c2lnbmF0dXJl",
                jws_unsigned(&json!({"alg": "HS256", "typ": "at+jwt"}), &claims)
            ),
        ),
        ("padding", format!("Bearer {token}==")),
        ("trailing-space", format!("Bearer {token} ")),
        ("fourth-segment", format!("Bearer {token}.e30")),
        ("basic", "Basic dXNlcjpwYXNzd29yZA==".to_owned()),
        ("garbage", "Bearer a.b.c".to_owned()),
        ("empty", "Bearer ".to_owned()),
    ];
    for (name, value) in seeds {
        write("bearer_token", name, &raw(&value))?;
    }
    write("bearer_token", "shape-all-right", &structured(0, 64))?;
    write("bearer_token", "shape-ones", &structured(1, 96))?;
    write("bearer_token", "shape-mixed", &structured(0x5a, 128))
}

fn jws_unsigned(header: &Value, claims: &Value) -> String {
    latchkey_fuzz::jws::signing_input(header, claims)
}

fn dpop_proof() -> std::io::Result<()> {
    let header = json!({"typ": "dpop+jwt", "alg": "ES256"});
    let claims = json!({"jti": "f5c0d0a4-1", "htm": "POST", "htu": URL, "iat": NOW});
    let with = |edit: &dyn Fn(&mut Value, &mut Value)| {
        let (mut h, mut c) = (header.clone(), claims.clone());
        edit(&mut h, &mut c);
        dpop_proof::signed(h, &c)
    };
    let valid = with(&|_, _| {});
    let seeds = [
        ("valid", valid.clone()),
        (
            "query",
            with(&|_, c| c["htu"] = format!("{URL}?x=1").into()),
        ),
        ("get", with(&|_, c| c["htm"] = "GET".into())),
        (
            "other-path",
            with(&|_, c| c["htu"] = "https://auth.example.com/api/auth/logout".into()),
        ),
        ("stale", with(&|_, c| c["iat"] = (NOW - 61).into())),
        ("future", with(&|_, c| c["iat"] = (NOW + 60).into())),
        ("iat-float", with(&|_, c| c["iat"] = json!(NOW as f64))),
        // Found by this target: iat - now overflowed; in release builds a proof dated
        // now - 2^63 passed as fresh.
        (
            "regression-iat-half-range",
            with(&|_, c| c["iat"] = (i64::MIN + NOW).into()),
        ),
        (
            "regression-iat-min",
            with(&|_, c| c["iat"] = i64::MIN.into()),
        ),
        ("empty-jti", with(&|_, c| c["jti"] = "".into())),
        ("typ-jwt", with(&|h, _| h["typ"] = "JWT".into())),
        ("alg-none", with(&|h, _| h["alg"] = "none".into())),
        ("truncated", valid[..valid.len() - 3].to_owned()),
        ("garbage", "a.b.c".to_owned()),
    ];
    for (name, proof) in seeds {
        write("dpop_proof", name, &raw(&proof))?;
    }
    write("dpop_proof", "shape-all-right", &structured(0, 96))?;
    write("dpop_proof", "shape-mixed", &structured(0x33, 160))
}

fn refresh_cookie() -> std::io::Result<()> {
    let name = app::api::transport::REFRESH_COOKIE;
    let token = "Qm9vdHN0cmFwcGVkIHJlZnJlc2ggdG9rZW4gdmFsdWUh"; // 43 chars, unknown
    let seeds = [
        ("unknown-token", format!("{name}={token}")),
        (
            "among-others",
            format!("theme=dark; {name}={token}; lang=en"),
        ),
        ("twice", format!("{name}={token}; {name}=AAAA")),
        ("quoted", format!("{name}=\"{token}\"")),
        ("padded", format!("{name}={token}=")),
        ("short", format!("{name}={}", &token[..42])),
        (
            "plus-slash",
            format!("{name}=+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+"),
        ),
        ("other-name", format!("__Secure-latchkey-refresh={token}")),
        ("empty-value", format!("{name}=")),
        ("no-equals", name.to_owned()),
        ("spaces", format!("  {name} = {token} ;;")),
    ];
    for (label, cookie) in seeds {
        for (mode, endpoint) in [(0u8, "refresh"), (1u8, "logout")] {
            let bytes = [&[mode][..], cookie.as_bytes()].concat();
            write("refresh_cookie", &format!("{endpoint}-{label}"), &bytes)?;
        }
    }
    Ok(())
}

fn server_fn_bodies() -> std::io::Result<()> {
    use latchkey_fuzz::accounts::PASSWORD;
    // Credentials byte: 0 nobody, 1 administrator, 2 member, 3 forged; +4 adds the cookie.
    let seeds: [(&str, u8, u8, String); 24] = [
        ("register", 0, 0, json!({"email": "new@example.com", "password": PASSWORD}).to_string()),
        ("register-weak", 0, 0, r#"{"email":"bob@example.com","password":"password1"}"#.into()),
        ("register-bad-email", 0, 0, r#"{"email":"a@b","password":"x"}"#.into()),
        ("login-admin", 1, 0, json!({"email": "root@example.com", "password": PASSWORD}).to_string()),
        ("login-wrong", 1, 0, r#"{"email":"alice@example.com","password":"nope"}"#.into()),
        ("login-extra-role", 1, 0, json!({"email": "alice@example.com", "password": PASSWORD, "role": "admin"}).to_string()),
        ("refresh", 2, 5, "{}".into()),
        ("refresh-no-cookie", 2, 0, "{}".into()),
        ("logout", 3, 6, "{}".into()),
        ("list", 4, 1, "{}".into()),
        ("list-array-body", 4, 2, "[]".into()),
        ("revoke-own", 5, 2, r#"{"session_id":"$session"}"#.into()),
        ("revoke-other", 5, 2, r#"{"session_id":"$other"}"#.into()),
        ("revoke-junk", 5, 1, r#"{"session_id":"1; DROP TABLE sessions"}"#.into()),
        ("revoke-others", 6, 1, "{}".into()),
        ("revoke-all", 7, 2, "{}".into()),
        ("password", 8, 2, json!({"current_password": PASSWORD, "new_password": "another long passphrase here", "revoke_other_sessions": true}).to_string()),
        ("events", 9, 1, "{}".into()),
        ("users", 10, 1, r#"{"query":"example","offset":0,"limit":20}"#.into()),
        ("users-absurd-paging", 10, 1, r#"{"query":"%_\\","offset":9223372036854775807,"limit":-9223372036854775808}"#.into()),
        ("users-as-member", 10, 2, r#"{"query":"","offset":0,"limit":1}"#.into()),
        ("user-sessions", 11, 1, r#"{"user_id":"$member"}"#.into()),
        ("force-logout", 12, 1, r#"{"user_id":"$member"}"#.into()),
        ("disable", 13, 1, r#"{"user_id":"$member","disabled":true}"#.into()),
    ];
    for (name, endpoint, credentials, body) in seeds {
        let bytes = [&[endpoint, credentials][..], body.as_bytes()].concat();
        write("server_fn_bodies", name, &bytes)?;
    }
    let nested = format!("{}{}", "[".repeat(4000), "]".repeat(4000));
    write(
        "server_fn_bodies",
        "deep-nesting",
        &[&[10u8, 1][..], nested.as_bytes()].concat(),
    )?;
    write(
        "server_fn_bodies",
        "control-characters",
        &[
            &[1u8, 0][..],
            b"{\"email\":\"a\\u0000@example.com\",\"password\":\"\\ud800\"}",
        ]
        .concat(),
    )
}

fn client_meta() -> std::io::Result<()> {
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
    let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
    let seeds = [
        ("direct", format!("203.0.113.9\n\n{firefox}\n{chrome}\n1.1.1.1")),
        ("one-proxy", format!("10.0.0.2\n10.0.0.0/8\n{firefox}\n{firefox}\n6.6.6.6, 198.51.100.4")),
        ("two-proxies", format!("10.0.0.2\n10.0.0.0/8,fd00::/8\n{chrome}\n{iphone}\n6.6.6.6, 198.51.100.4, 10.1.2.3")),
        ("ports", format!("10.0.0.2\n10.0.0.0/8\n{iphone}\ncurl/8.5.0\n198.51.100.4:5555\n[2001:db8::7]:443")),
        ("garbage-hop", format!("10.0.0.2\n10.0.0.0/8\n\n\n6.6.6.6, unknown")),
        ("all-trusted", "10.0.0.2\n10.0.0.0/8\nx\ny\n10.9.9.9".to_owned()),
        ("mapped-peer", format!("::ffff:10.0.0.2\n10.0.0.0/8\n{firefox}\n\n::ffff:198.51.100.4")),
        ("ipv6", format!("fd00::1\nfd00::/8\n{chrome}\n{chrome}\n2001:db8:1:2:3:4:5:6")),
        ("control-ua", "203.0.113.9\n\nevil\tagent\u{7f}\u{202e}\n\n".to_owned()),
        ("empty-entries", "10.0.0.2\n10.0.0.0/8\n\n\n,\n\n ,,".to_owned()),
    ];
    for (name, text) in seeds {
        write("client_meta", name, text.as_bytes())?;
    }
    write(
        "client_meta",
        "non-utf8-hop",
        b"10.0.0.2\n10.0.0.0/8\nUA\nUA\n\xff\xfe1.2.3.4",
    )
}
