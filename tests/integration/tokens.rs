//! Attacks on the bearer check (SECURITY.md, "A. Access tokens"). Each forged token must answer
//! 401.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::both_engines;
use crate::support::*;

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn parts(token: &str) -> (Value, Value, String) {
    let mut it = token.split('.');
    let header =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap()).unwrap();
    let claims =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap()).unwrap();
    (header, claims, it.next().unwrap().to_owned())
}

/// Signs arbitrary claims with the server's real key, to test claim checks in isolation.
async fn sign(app: &TestApp, header: &Value, claims: &Value) -> String {
    let (der, kid) = signing_key(app).await;
    let mut h = Header::new(Algorithm::EdDSA);
    h.typ = header["typ"].as_str().map(str::to_owned);
    h.kid = Some(header["kid"].as_str().map(str::to_owned).unwrap_or(kid));
    h.jku = header["jku"].as_str().map(str::to_owned);
    h.x5u = header["x5u"].as_str().map(str::to_owned);
    h.jwk = header
        .get("jwk")
        .map(|j| serde_json::from_value(j.clone()).expect("a JWK"));
    jsonwebtoken::encode(&h, claims, &EncodingKey::from_ed_der(&der)).unwrap()
}

/// An HS256 token made by hand: the server's JWT library has no HMAC code compiled in, which
/// is the point, so the attacker's side is built here.
fn hs256(header: &Value, claims: &Value, key: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let signing_input = format!("{}.{}", b64(header), b64(claims));
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).unwrap();
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

async fn assert_refused(app: &TestApp, token: &str, what: &str) {
    let r = app
        .post_bearer("/api/sessions/list", token, json!({}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "{what} was accepted: {}",
        r.body
    );
}

both_engines!(
    valid_token_is_accepted_and_well_formed,
    |app: TestApp| async move {
        let alice = app.register("alice@example.com").await;
        let (header, claims, _) = parts(&alice.access);
        assert_eq!(header["alg"], "EdDSA");
        assert_eq!(header["typ"], "at+jwt");
        assert!(header["kid"].is_string());
        for claim in [
            "iss", "aud", "sub", "sid", "role", "email", "iat", "nbf", "exp", "jti",
        ] {
            assert!(!claims[claim].is_null(), "missing {claim}");
        }
        assert_eq!(claims["iss"], ORIGIN);
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            600
        );
        let r = app
            .post_bearer("/api/sessions/list", &alice.access, json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
);

both_engines!(
    forged_and_tampered_tokens_are_refused,
    |app: TestApp| async move {
        let alice = app.register("alice@example.com").await;
        let (header, claims, signature) = parts(&alice.access);
        let segments: Vec<&str> = alice.access.split('.').collect();

        // alg none with an empty signature
        let none = format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "at+jwt"})),
            segments[1]
        );
        assert_refused(&app, &none, "alg none").await;

        // HS256 keyed with our public key (algorithm confusion)
        let jwks: Value = app.state.auth.jwks().parse().unwrap();
        let public = URL_SAFE_NO_PAD
            .decode(jwks["keys"][0]["x"].as_str().unwrap())
            .unwrap();
        let hs = json!({"alg": "HS256", "typ": "at+jwt", "kid": header["kid"]});
        let confused = hs256(&hs, &claims, &public);
        assert_refused(&app, &confused, "HS256 with the public key").await;
        let guessed = hs256(&hs, &claims, b"secret");
        assert_refused(&app, &guessed, "HS256 with a guessed secret").await;

        // payload edited without re-signing
        let mut admin_claims = claims.clone();
        admin_claims["role"] = json!("admin");
        let edited = format!("{}.{}.{}", segments[0], b64(&admin_claims), signature);
        assert_refused(&app, &edited, "edited payload").await;

        // stripped / altered signature, extra segment, padding, whitespace
        assert_refused(
            &app,
            &format!("{}.{}.", segments[0], segments[1]),
            "stripped signature",
        )
        .await;
        let mut sig = signature.clone().into_bytes();
        sig[10] = if sig[10] == b'A' { b'B' } else { b'A' };
        assert_refused(
            &app,
            &format!(
                "{}.{}.{}",
                segments[0],
                segments[1],
                String::from_utf8(sig).unwrap()
            ),
            "altered signature",
        )
        .await;
        assert_refused(&app, &format!("{}.x", alice.access), "fourth segment").await;
        assert_refused(&app, &format!("{}=", alice.access), "padding").await;
        assert_refused(&app, &format!(" {}", alice.access), "leading whitespace").await;
        assert_refused(&app, &format!("{} ", alice.access), "trailing whitespace").await;
        // A different last character that decodes to the same bytes except the discarded bits.
        let last = signature.chars().last().unwrap();
        let twin = match last {
            'A' => 'B',
            'Q' => 'R',
            'g' => 'h',
            'w' => 'x',
            c => {
                if c == 'z' {
                    'y'
                } else {
                    (c as u8 + 1) as char
                }
            }
        };
        let trailing = format!(
            "{}.{}.{}{}",
            segments[0],
            segments[1],
            &signature[..signature.len() - 1],
            twin
        );
        assert_refused(&app, &trailing, "changed trailing bits").await;

        // garbage, a refresh token, nothing
        assert_refused(&app, "garbage", "garbage").await;
        assert_refused(&app, &alice.refresh, "a refresh token").await;
        let empty = app
            .post_with(
                "/api/sessions/list",
                json!({}),
                &[("authorization", "Bearer ")],
            )
            .await;
        assert_eq!(empty.status, StatusCode::UNAUTHORIZED);
        let basic = app
            .post_with(
                "/api/sessions/list",
                json!({}),
                &[("authorization", "Basic YTpi")],
            )
            .await;
        assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
    }
);

both_engines!(claims_are_checked, |app: TestApp| async move {
    let alice = app.register("alice@example.com").await;
    let (header, claims, _) = parts(&alice.access);
    let now = claims["iat"].as_i64().unwrap();
    let valid = sign(&app, &header, &claims).await;
    assert_eq!(
        app.post_bearer("/api/sessions/list", &valid, json!({}))
            .await
            .status,
        StatusCode::OK,
        "control"
    );

    let mut cases: Vec<(&str, Value, Value)> = Vec::new();
    let with = |k: &str, v: Value| {
        let mut c = claims.clone();
        c[k] = v;
        c
    };
    let without = |k: &str| {
        let mut c = claims.clone();
        c.as_object_mut().unwrap().remove(k);
        c
    };
    cases.push((
        "expired beyond leeway",
        header.clone(),
        with("exp", json!(now - 6)),
    ));
    cases.push(("exp missing", header.clone(), without("exp")));
    cases.push((
        "lives longer than the configured TTL",
        header.clone(),
        with("exp", json!(now + 601)),
    ));
    cases.push(("exp a string", header.clone(), with("exp", json!("never"))));
    cases.push((
        "exp a float string",
        header.clone(),
        with("exp", json!("9999999999.5")),
    ));
    cases.push((
        "nbf in the future",
        header.clone(),
        with("nbf", json!(now + 7)),
    ));
    cases.push(("nbf missing", header.clone(), without("nbf")));
    cases.push((
        "wrong iss",
        header.clone(),
        with("iss", json!("https://evil.example")),
    ));
    cases.push(("iss missing", header.clone(), without("iss")));
    cases.push((
        "wrong aud",
        header.clone(),
        with("aud", json!("someone-else")),
    ));
    cases.push(("aud missing", header.clone(), without("aud")));
    cases.push(("sid missing", header.clone(), without("sid")));
    cases.push(("sub missing", header.clone(), without("sub")));
    let mut untyped = header.clone();
    untyped["typ"] = json!("JWT");
    cases.push(("typ JWT", untyped, claims.clone()));
    for kid in ["../../dev/null", "' OR 1=1 --", "unknown"] {
        let mut h = header.clone();
        h["kid"] = json!(kid);
        cases.push(("foreign kid", h, claims.clone()));
    }
    for (what, h, c) in cases {
        let token = sign(&app, &h, &c).await;
        assert_refused(&app, &token, what).await;
    }

    let skewed = sign(&app, &header, &with("exp", json!(now - 3))).await;
    let within = app
        .post_bearer("/api/sessions/list", &skewed, json!({}))
        .await;
    assert_eq!(
        within.status,
        StatusCode::OK,
        "3 s of clock skew is tolerated"
    );
    let expired = sign(&app, &header, &with("exp", json!(now - 30))).await;
    assert_eq!(
        app.post_bearer("/api/sessions/list", &expired, json!({}))
            .await
            .code(),
        "token_expired"
    );
});

both_engines!(
    header_keys_pointing_elsewhere_are_refused,
    |app: TestApp| async move {
        let alice = app.register("alice@example.com").await;
        let (header, claims, _) = parts(&alice.access);
        // Correctly signed with our own key, so only the header check can refuse them.
        let control = sign(&app, &header, &claims).await;
        assert_eq!(
            app.post_bearer("/api/sessions/list", &control, json!({}))
                .await
                .status,
            StatusCode::OK
        );
        let foreign_jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        for (k, v) in [
            ("jku", json!("https://evil.example/jwks")),
            ("x5u", json!("https://evil.example/cert")),
            ("jwk", foreign_jwk),
        ] {
            let mut h = header.clone();
            h[k] = v;
            let token = sign(&app, &h, &claims).await;
            assert_refused(&app, &token, k).await;
        }
    }
);

both_engines!(
    oversized_tokens_are_refused_without_parsing,
    |app: TestApp| async move {
        let alice = app.register("alice@example.com").await;
        let (header, mut claims, _) = parts(&alice.access);
        claims["pad"] = json!("x".repeat(9000));
        let big = sign(&app, &header, &claims).await;
        assert_refused(&app, &big, "a 9 KB token").await;
    }
);

both_engines!(
    tokens_in_the_query_string_are_ignored,
    |app: TestApp| async move {
        let alice = app.register("alice@example.com").await;
        let r = app
            .post(
                &format!("/api/sessions/list?access_token={}", alice.access),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
);
