//! argon2 working memory kept between hashes. Allocating 19 MiB per hash and handing it back
//! to the OS (see `crate::memory`) costs a page fault per 4 KiB: measured, a login then took
//! 25 ms of CPU instead of 13.5 ms. A few buffers, one per hash that may run at once, are kept
//! instead: resident memory grows by that much once and stays flat.

use std::sync::{Arc, Mutex};

use argon2::password_hash::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

#[derive(Clone)]
pub struct ScratchPool {
    free: Arc<Mutex<Vec<Vec<Block>>>>,
    keep: usize,
}

impl ScratchPool {
    /// Keeps at most `keep` buffers: the number of hashes that run at once.
    pub fn new(keep: usize) -> Self {
        Self {
            free: Arc::default(),
            keep,
        }
    }

    fn take(&self) -> Vec<Block> {
        self.free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default()
    }

    fn give_back(&self, buffer: Vec<Block>) {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if free.len() < self.keep {
            free.push(buffer);
        }
    }

    /// Whether `password` produces `stored` (any argon2 variant, version and parameters the
    /// hash names), compared in constant time. A malformed hash never matches.
    pub fn verify(&self, password: &[u8], stored: &PasswordHash<'_>) -> bool {
        let mut memory = self.take();
        let matches = verify_in(&mut memory, password, stored).unwrap_or(false);
        self.give_back(memory);
        matches
    }
}

fn verify_in(memory: &mut Vec<Block>, password: &[u8], stored: &PasswordHash<'_>) -> Option<bool> {
    let algorithm = Algorithm::try_from(stored.algorithm).ok()?;
    let version = match stored.version {
        Some(v) => Version::try_from(v).ok()?,
        None => Version::default(),
    };
    let params = Params::try_from(stored).ok()?;
    let expected = stored.hash?;
    let mut salt = [0u8; 64];
    let salt = stored.salt?.decode_b64(&mut salt).ok()?;
    memory.resize(params.block_count(), Block::new());
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut out, &mut memory[..])
        .ok()?;
    Some(out.ct_eq(expected.as_bytes()).into())
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher as _, SaltString};

    use super::*;

    type Outcome = Result<(), Box<dyn std::error::Error>>;

    fn hash(
        password: &str,
        m: u32,
        t: u32,
        algorithm: Algorithm,
    ) -> Result<String, Box<dyn std::error::Error>> {
        let params = Params::new(m, t, 1, None)?;
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Ok(Argon2::new(algorithm, Version::V0x13, params)
            .hash_password(password.as_bytes(), &salt)?
            .to_string())
    }

    #[test]
    fn agrees_with_the_argon2_crate_across_parameters_and_reused_memory() -> Outcome {
        let pool = ScratchPool::new(1);
        // Larger, then smaller, then larger memory: the buffer is resized and reused.
        for (m, t, algorithm) in [
            (16_384, 2, Algorithm::Argon2id),
            (8_192, 1, Algorithm::Argon2id),
            (8_192, 3, Algorithm::Argon2i),
            (12_288, 1, Algorithm::Argon2d),
        ] {
            let stored = hash("right password", m, t, algorithm)?;
            let parsed = PasswordHash::new(&stored)?;
            assert!(pool.verify(b"right password", &parsed), "{stored}");
            assert!(!pool.verify(b"wrong password", &parsed), "{stored}");
            assert!(!pool.verify(b"", &parsed));
        }
        let kept = pool.free.lock().map(|free| free.len()).unwrap_or_default();
        assert_eq!(kept, 1, "one buffer kept");
        Ok(())
    }

    #[test]
    fn malformed_or_foreign_hashes_never_match() -> Outcome {
        let pool = ScratchPool::new(1);
        let no_hash = PasswordHash::new("$argon2id$v=19$m=8192,t=1,p=1$c29tZXNhbHRzb21lc2FsdA")?;
        assert!(!pool.verify(b"", &no_hash));
        let scrypt = PasswordHash::new(
            "$scrypt$ln=15,r=8,p=1$c29tZXNhbHQ$c29tZWhhc2hzb21laGFzaHNvbWVoYXNo",
        )?;
        assert!(!pool.verify(b"x", &scrypt));
        Ok(())
    }
}
