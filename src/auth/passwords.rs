//! argon2id hashing on threads of its own, behind a semaphore sized to the cores, so a login
//! flood cannot starve the async workers or exhaust memory. The queue in front of the
//! semaphore is bounded in length and in waiting time: beyond either, the caller is told at once
//! that the server is busy instead of waiting behind an attacker's flood.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::telemetry::metrics;

use super::argon2_memory::ScratchPool;
use super::error::AuthError;

/// The longest a hash waits for a core before the caller gets `busy`.
const MAX_WAIT: Duration = Duration::from_secs(3);
/// What `busy` tells clients to wait: the queue drains in well under this.
const BUSY_RETRY_AFTER_SECS: u64 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl Default for Argon2Params {
    /// OWASP's recommended argon2id parameters.
    fn default() -> Self {
        Self {
            m_kib: 19_456,
            t: 2,
            p: 1,
        }
    }
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    /// A real hash of a random password: unknown emails are verified against it so that they
    /// cost the same time as a wrong password.
    dummy_hash: Arc<str>,
    scratch: ScratchPool,
}

pub struct Verification {
    pub matches: bool,
    pub needs_rehash: bool,
}

impl PasswordHasher {
    /// `max_waiting`: how many hashes may wait for a free core.
    pub fn new(config: Argon2Params, max_waiting: usize) -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self::with_concurrency(config, cores, max_waiting)
    }

    pub fn with_concurrency(
        config: Argon2Params,
        concurrency: usize,
        max_waiting: usize,
    ) -> anyhow::Result<Self> {
        let params = Params::new(config.m_kib, config.t, config.p, None)
            .map_err(|e| anyhow!("argon2 parameters: {e}"))?;
        let dummy_password = super::refresh_tokens::random_base64url::<16>();
        let dummy_hash = hash_blocking(&params, &dummy_password)?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting,
            dummy_hash: dummy_hash.into(),
            scratch: ScratchPool::new(concurrency.max(1)),
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
        let scratch = self.scratch.clone();
        self.run(move || {
            let parsed = PasswordHash::new(&hash)
                .map_err(|e| AuthError::Internal(anyhow!("stored hash: {e}")))?;
            let matches = scratch.verify(password.as_bytes(), &parsed);
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
        let queued = std::time::Instant::now();
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => self.wait_for_permit().await?,
        };
        metrics::argon2_queue_wait(queued.elapsed());
        // A thread of its own at background priority, holding the permit until the hash is
        // done (even if the request is cancelled), so at most one hash per core runs.
        let (done, result) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("argon2".into())
            .spawn(move || {
                lower_priority();
                let _ = done.send(work());
                drop(permit);
            })
            .map_err(|e| AuthError::Internal(e.into()))?;
        result.await.map_err(|e| AuthError::Internal(e.into()))?
    }
}

/// Niceness of the hashing threads. Under a login flood the scheduler then gives refreshes and
/// bearer calls the CPU first (their p99 stays low) and logins take everything left, instead of
/// two hashes per two cores starving the request handlers.
const HASHING_NICENESS: i32 = 10;

fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its integer arguments; on Linux `PRIO_PROCESS` with id 0
    // names the calling thread. Failure (not expected: lowering priority needs no privilege)
    // leaves the thread at normal priority, which is only slower for others.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, HASHING_NICENESS);
    }
}

impl PasswordHasher {
    async fn wait_for_permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, AuthError> {
        let busy = AuthError::Busy {
            retry_after: BUSY_RETRY_AFTER_SECS,
        };
        let _place = QueuePlace::take(&self.waiting, self.max_waiting).ok_or(busy)?;
        match tokio::time::timeout(MAX_WAIT, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(AuthError::Internal(closed.into())),
            Err(_) => Err(AuthError::Busy {
                retry_after: BUSY_RETRY_AFTER_SECS,
            }),
        }
    }
}

/// A place in the bounded queue, given back when dropped (also when the request is cancelled).
struct QueuePlace<'a>(&'a AtomicUsize);

impl<'a> QueuePlace<'a> {
    fn take(waiting: &'a AtomicUsize, max: usize) -> Option<Self> {
        waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Self(waiting))
    }
}

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
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
        let hasher = PasswordHasher::new(Argon2Params::default(), 8).unwrap();
        let a = hasher.hash("correct horse battery").await.unwrap();
        let b = hasher.hash("correct horse battery").await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salts must differ");
    }

    #[tokio::test]
    async fn verify_accepts_the_password_and_nothing_else() {
        let hasher = PasswordHasher::new(small(), 8).unwrap();
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
        let weak = PasswordHasher::new(small(), 8).unwrap();
        let hash = weak.hash("password123").await.unwrap();
        assert!(
            !weak
                .verify("password123", Some(&hash))
                .await
                .unwrap()
                .needs_rehash
        );
        let strong = PasswordHasher::new(
            Argon2Params {
                m_kib: 9_000,
                t: 1,
                p: 1,
            },
            8,
        )
        .unwrap();
        assert!(
            strong
                .verify("password123", Some(&hash))
                .await
                .unwrap()
                .needs_rehash
        );
    }

    /// With one core busy and one place in the queue, a third hash is refused at once.
    #[tokio::test]
    async fn a_full_queue_answers_busy_instead_of_waiting() {
        let hasher = PasswordHasher::with_concurrency(small(), 1, 1).unwrap();
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let running = {
            let hasher = hasher.clone();
            tokio::spawn(async move {
                hasher
                    .run(move || {
                        blocked.recv().ok();
                        Ok(())
                    })
                    .await
            })
        };
        while hasher.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let queued = {
            let hasher = hasher.clone();
            tokio::spawn(async move { hasher.hash("queued password").await })
        };
        while hasher.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        let refused = hasher.hash("one too many").await;
        assert!(
            matches!(refused, Err(AuthError::Busy { retry_after }) if retry_after > 0),
            "{refused:?}"
        );
        release.send(()).unwrap();
        running.await.unwrap().unwrap();
        assert!(queued.await.unwrap().is_ok(), "the queued hash still runs");
        assert_eq!(
            hasher.waiting.load(Ordering::Acquire),
            0,
            "places are given back"
        );
        assert!(hasher.hash("room again").await.is_ok());
    }
}
