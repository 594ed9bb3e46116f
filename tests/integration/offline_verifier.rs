//! The README's offline verifier (`examples/verify_offline.rs`) against real latchkey tokens:
//! it accepts them, and refuses what a resource server must refuse.

use base64::Engine as _;
use http::{Request, StatusCode};
use jsonwebtoken::jwk::JwkSet;

use crate::both_engines;
use crate::support::*;

#[allow(dead_code)]
#[path = "../../examples/verify_offline.rs"]
mod example;

async fn keys(app: &TestApp) -> JwkSet {
    let jwks = app
        .send(
            Request::get("/.well-known/jwks.json")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(jwks.status, StatusCode::OK);
    serde_json::from_str(&jwks.body).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

both_engines!(
    the_readme_verifier_accepts_latchkey_tokens_and_refuses_the_rest,
    |app: TestApp| async move {
        let signin = app.register("verified@example.com").await;
        let verifier = example::Verifier::new(ORIGIN, keys(&app).await);

        let claims = verifier
            .verify(&signin.access)
            .expect("a fresh token verifies");
        assert_eq!(claims.sub, signin.user_id);

        // A changed payload breaks the signature.
        let parts: Vec<&str> = signin.access.split('.').collect();
        let mut payload: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[1])
                .unwrap(),
        )
        .unwrap();
        payload["sub"] = "someone-else".into();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            b64(payload.to_string().as_bytes()),
            parts[2]
        );
        assert!(verifier.verify(&tampered).is_none(), "tampered payload");

        // The token cannot pick its own algorithm or type.
        let header: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[0])
                .unwrap(),
        )
        .unwrap();
        for (field, value) in [("alg", "none"), ("alg", "HS256"), ("typ", "JWT")] {
            let mut forged = header.clone();
            forged[field] = value.into();
            let token = format!(
                "{}.{}.{}",
                b64(forged.to_string().as_bytes()),
                parts[1],
                parts[2]
            );
            assert!(verifier.verify(&token).is_none(), "{field}={value}");
        }

        // Another issuer's verifier, or one without this key, refuses it.
        let other = example::Verifier::new("https://elsewhere.example", keys(&app).await);
        assert!(
            other.verify(&signin.access).is_none(),
            "wrong issuer and audience"
        );
        let keyless = example::Verifier::new(ORIGIN, JwkSet { keys: vec![] });
        assert!(keyless.verify(&signin.access).is_none(), "unknown kid");

        // Expired, and not yet valid: tokens minted with the server's clock moved.
        app.clock.advance(-2 * 600);
        let old = app.login("verified@example.com").await;
        app.clock.advance(2 * 600 + 3600);
        let future = app.login("verified@example.com").await;
        assert!(verifier.verify(&old.access).is_none(), "expired");
        assert!(verifier.verify(&future.access).is_none(), "not yet valid");
    }
);

#[test]
fn the_readme_shows_the_tested_verifier() {
    let readme = include_str!("../../README.md");
    let example = include_str!("../../examples/verify_offline.rs");
    let start = readme
        .find("<!-- verify_offline.rs -->")
        .expect("README marks the verifier example");
    let block = &readme[start..];
    let code_start = block.find("```rust\n").expect("a rust block") + "```rust\n".len();
    let code = &block[code_start..];
    let code = &code[..code.find("```").expect("the block ends")];
    assert!(
        code.lines().count() > 20,
        "the README shows the verifier itself"
    );
    assert!(
        example.contains(code),
        "README's verifier differs from examples/verify_offline.rs:\n{code}"
    );
}

both_engines!(
    authorization_server_metadata_points_at_the_keys,
    |app: TestApp| async move {
        let answer = app
            .send(
                Request::get("/.well-known/oauth-authorization-server")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(
            answer.headers.get("content-type").unwrap(),
            "application/json"
        );
        let metadata = answer.json();
        assert_eq!(metadata["issuer"], ORIGIN);
        assert_eq!(
            metadata["jwks_uri"],
            format!("{ORIGIN}/.well-known/jwks.json")
        );
        assert_eq!(
            metadata["access_token_signing_alg_values_supported"],
            serde_json::json!(["EdDSA"])
        );
        assert_eq!(
            metadata["dpop_signing_alg_values_supported"],
            serde_json::json!(["ES256"])
        );
        assert_eq!(metadata["response_types_supported"], serde_json::json!([]));

        // What it points at is what signed a real token.
        let signin = app.register("discovered@example.com").await;
        let jwks_path = metadata["jwks_uri"]
            .as_str()
            .unwrap()
            .strip_prefix(ORIGIN)
            .unwrap()
            .to_owned();
        let jwks = app
            .send(
                Request::get(jwks_path)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        let verifier = example::Verifier::new(
            metadata["issuer"].as_str().unwrap(),
            serde_json::from_str(&jwks.body).unwrap(),
        );
        assert!(verifier.verify(&signin.access).is_some());
    }
);
