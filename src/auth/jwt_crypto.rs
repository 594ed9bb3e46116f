//! jsonwebtoken's cryptography, limited to what latchkey uses: Ed25519 to sign and verify its
//! access tokens, and ES256 to verify browsers' DPoP proofs (WebCrypto's ECDSA P-256). The
//! crate's own `rust_crypto` backend compiles in RSA (and its timing-side-channel advisory) and
//! every other algorithm, so latchkey installs this provider and builds jsonwebtoken without
//! any backend feature. Any other algorithm, or signing with ES256, fails.

use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::signature::{Error as SignatureError, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory,
    verifier_factory,
    // Only needed to build JWKs from private keys, which latchkey renders itself.
    key_utils: KeyUtils::new_unimplemented(),
};

/// Makes this provider the process default. Idempotent; call before the first JWT.
pub fn install() {
    // Err means a provider is already installed: ours, as nothing else in the process sets one.
    let _ = PROVIDER.install_default();
}

fn signer_factory(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    if *alg != Algorithm::EdDSA || key.family() != AlgorithmFamily::Ed {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let key = SigningKey::from_pkcs8_der(key.as_bytes()).map_err(|_| ErrorKind::InvalidEddsaKey)?;
    Ok(Box::new(Ed25519Signer(key)))
}

fn verifier_factory(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    match (alg, key.family()) {
        (Algorithm::EdDSA, AlgorithmFamily::Ed) => {}
        (Algorithm::ES256, AlgorithmFamily::Ec) => {
            // An uncompressed SEC1 point; `from_sec1_bytes` refuses points off the curve.
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key.try_get_as_bytes()?)
                .map_err(|_| ErrorKind::InvalidEcdsaKey)?;
            return Ok(Box::new(Es256Verifier(key)));
        }
        _ => return Err(ErrorKind::InvalidAlgorithm.into()),
    }
    let bytes: &[u8; 32] = key
        .try_get_as_bytes()?
        .try_into()
        .map_err(|_| ErrorKind::InvalidEddsaKey)?;
    let key = VerifyingKey::from_bytes(bytes).map_err(|_| ErrorKind::InvalidEddsaKey)?;
    Ok(Box::new(Ed25519Verifier(key)))
}

struct Ed25519Signer(SigningKey);

impl Signer<Vec<u8>> for Ed25519Signer {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, SignatureError> {
        Ok(self.0.sign(msg).to_bytes().to_vec())
    }
}

impl JwtSigner for Ed25519Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

struct Ed25519Verifier(VerifyingKey);

impl Verifier<Vec<u8>> for Ed25519Verifier {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> std::result::Result<(), SignatureError> {
        let signature = Signature::from_slice(signature)?;
        // Strict: refuses non-canonical signatures and small-order keys (malleability).
        self.0.verify_strict(msg, &signature)
    }
}

impl JwtVerifier for Ed25519Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

struct Es256Verifier(p256::ecdsa::VerifyingKey);

impl Verifier<Vec<u8>> for Es256Verifier {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> std::result::Result<(), SignatureError> {
        use p256::ecdsa::signature::Verifier as _;
        // JWS carries r‖s (64 bytes), which is also what WebCrypto's ECDSA produces.
        let signature =
            p256::ecdsa::Signature::from_slice(signature).map_err(|_| SignatureError::new())?;
        // Both s and n−s verify: browsers do not normalise s, and a proof's replay protection
        // rests on its `jti`, not on its signature bytes.
        self.0
            .verify(msg, &signature)
            .map_err(|_| SignatureError::new())
    }
}

impl JwtVerifier for Es256Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}
