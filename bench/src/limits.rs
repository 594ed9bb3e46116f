//! The ceilings each HTTP figure is compared with, measured in this process: raw Ed25519
//! verification, raw argon2id hashing, and the engine's own rotation transaction without HTTP.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::{Signer, SigningKey, Verifier};
use latchkey::auth::clock::SystemClock;
use latchkey::auth::{AuthService, ClientInfo};
use latchkey::config::Config;
use latchkey::db::Db;

use crate::PASSWORD;

/// Operations per second of `op` on one thread for `span`.
fn rate(span: Duration, mut op: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < span {
        for _ in 0..64 {
            op();
        }
        n += 64;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Raw Ed25519 verifications per second on one core, on a message the size of an access token's
/// signing input.
pub fn ed25519_verify_per_sec(span: Duration) -> f64 {
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let message = vec![b'x'; 420];
    let signature = key.sign(&message);
    let public = key.verifying_key();
    rate(span, || {
        public.verify(&message, &signature).expect("valid");
    })
}

/// Full access-token checks (parse, Ed25519, claims, revocation list) per second on one core.
pub async fn token_verify_per_sec(service: &AuthService, token: &str, span: Duration) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < span {
        for _ in 0..64 {
            service.authenticate(token).await.expect("token verifies");
        }
        n += 64;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// argon2id hashes per second with every core busy, at the server's parameters.
pub fn argon2_per_sec(m_kib: u32, t: u32, p: u32, span: Duration) -> f64 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let start = Instant::now();
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            std::thread::spawn(move || {
                let params = argon2::Params::new(m_kib, t, p, None).expect("params");
                let hasher = argon2::Argon2::new(
                    argon2::Algorithm::Argon2id,
                    argon2::Version::V0x13,
                    params,
                );
                let mut out = [0u8; 32];
                let mut n = 0u64;
                while start.elapsed() < span {
                    hasher
                        .hash_password_into(PASSWORD.as_bytes(), b"0123456789abcdef", &mut out)
                        .expect("hash");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = threads.into_iter().map(|t| t.join().unwrap_or(0)).sum();
    total as f64 / start.elapsed().as_secs_f64()
}

/// An engine on `database_url`, configured like the server under test.
pub async fn engine(database_url: &str) -> anyhow::Result<Arc<AuthService>> {
    let vars = crate::server_env(database_url);
    let config = Config::from_lookup(move |name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })?;
    let db = Db::connect(&config.database_url).await?;
    Ok(AuthService::start(db, config.auth_settings(), Arc::new(SystemClock)).await?)
}

/// Rotations per second through `AuthService::refresh` alone (no HTTP), `clients` sessions each
/// refreshing in a loop: the database's rotation rate the HTTP figure is held against.
pub async fn engine_rotations(
    service: Arc<AuthService>,
    clients: usize,
    span: Duration,
) -> anyhow::Result<crate::load::Outcome> {
    let client = ClientInfo::new("127.0.0.1", crate::USER_AGENT);
    let mut tokens = Vec::new();
    for i in 0..clients {
        let issued = service
            .register(
                &format!("engine-{i}-{}@bench.test", rand::random::<u32>()),
                PASSWORD,
                &client,
            )
            .await?;
        tokens.push(issued.refresh_token.into_string());
    }
    let deadline = Instant::now() + span;
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|mut token| {
            let service = service.clone();
            let client = client.clone();
            tokio::spawn(async move {
                let mut outcome = crate::load::Outcome::default();
                while Instant::now() < deadline {
                    let start = Instant::now();
                    match service.refresh(Some(&token), &client).await {
                        Ok(issued) => {
                            token = issued.refresh_token.into_string();
                            outcome.ok(start.elapsed());
                        }
                        Err(_) => outcome.errors += 1,
                    }
                }
                outcome
            })
        })
        .collect();
    let mut total = crate::load::Outcome::default();
    for task in tasks {
        total.merge(task.await?);
    }
    total.seconds = span.as_secs_f64();
    Ok(total)
}
