//! argon2id hashing on the blocking pool, behind a semaphore sized to the cores, so a login
//! flood queues here instead of starving the async workers or exhausting memory.

use std::sync::Arc;

use anyhow::anyhow;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::config::Argon2Params;

use super::error::AuthError;

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// A real hash of a random password: unknown emails are verified against it so that they
    /// cost the same time as a wrong password.
    dummy_hash: Arc<str>,
}

pub struct Verification {
    pub matches: bool,
    pub needs_rehash: bool,
}

impl PasswordHasher {
    pub fn new(config: Argon2Params) -> anyhow::Result<Self> {
        let params = Params::new(config.m_kib, config.t, config.p, None)
            .map_err(|e| anyhow!("argon2 parameters: {e}"))?;
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let dummy_password = super::refresh_tokens::random_base64url::<16>();
        let dummy_hash = hash_blocking(&params, &dummy_password)?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(cores)),
            dummy_hash: dummy_hash.into(),
        })
    }

    pub async fn hash(&self, password: &str) -> Result<String, AuthError> {
        let params = self.params.clone();
        let password = password.to_owned();
        self.run(move || hash_blocking(&params, &password).map_err(AuthError::Internal))
            .await
    }

    /// Verifies against `stored`, or against the dummy hash when there is no account, so both
    /// paths do the same work. `matches` is false for a missing account.
    pub async fn verify(
        &self,
        password: &str,
        stored: Option<&str>,
    ) -> Result<Verification, AuthError> {
        let exists = stored.is_some();
        let hash = stored
            .map(str::to_owned)
            .unwrap_or_else(|| self.dummy_hash.to_string());
        let password = password.to_owned();
        let params = self.params.clone();
        self.run(move || {
            let parsed = PasswordHash::new(&hash)
                .map_err(|e| AuthError::Internal(anyhow!("stored hash: {e}")))?;
            let matches = argon2_with(&params)
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            Ok(Verification {
                matches: matches && exists,
                needs_rehash: matches && exists && weaker_than(&parsed, &params),
            })
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, AuthError> + Send + 'static,
    ) -> Result<T, AuthError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AuthError::Internal(e.into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AuthError::Internal(e.into()))?
    }
}

fn argon2_with(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_blocking(params: &Params, password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2_with(params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow!("argon2: {e}"))
}

/// True when the stored hash is not argon2id or any parameter is below the configured one.
fn weaker_than(stored: &PasswordHash<'_>, wanted: &Params) -> bool {
    if stored.algorithm.as_str() != "argon2id" {
        return true;
    }
    match Params::try_from(stored) {
        Ok(p) => {
            p.m_cost() < wanted.m_cost()
                || p.t_cost() < wanted.t_cost()
                || p.p_cost() < wanted.p_cost()
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Argon2Params {
        Argon2Params {
            m_kib: 8_192,
            t: 1,
            p: 1,
        }
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_the_configured_parameters_and_unique_salts() {
        let hasher = PasswordHasher::new(Argon2Params::default()).unwrap();
        let a = hasher.hash("correct horse battery").await.unwrap();
        let b = hasher.hash("correct horse battery").await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salts must differ");
    }

    #[tokio::test]
    async fn verify_accepts_the_password_and_nothing_else() {
        let hasher = PasswordHasher::new(small()).unwrap();
        let long = "p".repeat(127) + "q";
        let hash = hasher.hash(&long).await.unwrap();
        assert!(hasher.verify(&long, Some(&hash)).await.unwrap().matches);
        // A truncating implementation would accept this prefix.
        assert!(
            !hasher
                .verify(&"p".repeat(127), Some(&hash))
                .await
                .unwrap()
                .matches
        );
        assert!(
            !hasher.verify(&long, None).await.unwrap().matches,
            "no account never matches"
        );
    }

    #[tokio::test]
    async fn stronger_configuration_asks_for_a_rehash() {
        let weak = PasswordHasher::new(small()).unwrap();
        let hash = weak.hash("password123").await.unwrap();
        assert!(
            !weak
                .verify("password123", Some(&hash))
                .await
                .unwrap()
                .needs_rehash
        );
        let strong = PasswordHasher::new(Argon2Params {
            m_kib: 9_000,
            t: 1,
            p: 1,
        })
        .unwrap();
        assert!(
            strong
                .verify("password123", Some(&hash))
                .await
                .unwrap()
                .needs_rehash
        );
    }
}
