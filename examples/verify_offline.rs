//! Another axum service verifying latchkey access tokens offline, from the JWKS alone. The
//! README shows this file; `tests/integration/offline_verifier.rs` runs it against real tokens.
//!
//!     LATCHKEY_URL=http://127.0.0.1:3000 cargo run --example verify_offline
//!     curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:4000/hello
//!
//! Your service needs jsonwebtoken 12 with a crypto backend (`features = ["aws_lc_rs"]`, or
//! `["rust_crypto"]`), axum, tokio, serde and an HTTP client for the JWKS.

use std::sync::{Arc, RwLock};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::{request::Parts, StatusCode};
use jsonwebtoken::{decode, decode_header, jwk::JwkSet, Algorithm, DecodingKey, Validation};

/// The claims this service uses; latchkey's tokens carry more (`role`, `email`, `jti`, `cnf`).
#[derive(Debug, serde::Deserialize)]
pub struct Claims {
    pub sub: String,
    pub sid: String,
    pub exp: i64,
}

/// latchkey's issuer (its public origin) and its current keys.
pub struct Verifier {
    issuer: String,
    keys: RwLock<JwkSet>,
}

impl Verifier {
    pub fn new(issuer: &str, jwks: JwkSet) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            keys: RwLock::new(jwks),
        }
    }

    /// New keys are published 90 s before they sign anything: refresh at least every minute.
    pub fn replace_keys(&self, jwks: JwkSet) {
        if let Ok(mut keys) = self.keys.write() {
            *keys = jwks;
        }
    }

    pub fn verify(&self, token: &str) -> Option<Claims> {
        let header = decode_header(token).ok()?;
        // Pin the algorithm and the token type: never let the token choose how it is checked.
        if header.alg != Algorithm::EdDSA || header.typ.as_deref() != Some("at+jwt") {
            return None;
        }
        let keys = self.keys.read().ok()?;
        let key = DecodingKey::from_jwk(keys.find(header.kid.as_deref()?)?).ok()?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        decode::<Claims>(token, &key, &validation)
            .ok()
            .map(|t| t.claims)
    }
}

/// An extractor: handlers that take `User` run only for a valid latchkey access token.
pub struct User(pub Claims);

impl<S: Send + Sync> FromRequestParts<S> for User
where
    Arc<Verifier>: FromRef<S>,
{
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, StatusCode> {
        let token = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(StatusCode::UNAUTHORIZED)?;
        let verifier = Arc::<Verifier>::from_ref(state);
        verifier
            .verify(token)
            .map(User)
            .ok_or(StatusCode::UNAUTHORIZED)
    }
}

async fn hello(User(claims): User) -> String {
    format!("hello {} (session {})\n", claims.sub, claims.sid)
}

async fn fetch_keys(latchkey: &str) -> Result<JwkSet, reqwest::Error> {
    reqwest::get(format!("{latchkey}/.well-known/jwks.json"))
        .await?
        .json()
        .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Only inside this repository, which builds jsonwebtoken without a crypto backend; your
    // service enables one (above) instead.
    latchkey::auth::jwt_crypto::install();
    let latchkey = std::env::var("LATCHKEY_URL").unwrap_or("http://127.0.0.1:3000".into());
    let verifier = Arc::new(Verifier::new(&latchkey, fetch_keys(&latchkey).await?));
    let refresher = verifier.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            if let Ok(keys) = fetch_keys(&latchkey).await {
                refresher.replace_keys(keys);
            }
        }
    });
    let app = axum::Router::new()
        .route("/hello", axum::routing::get(hello))
        .with_state(verifier);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:4000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
