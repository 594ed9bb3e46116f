//! `dpop::verify` against a fixed method, URL and clock. Odd first byte: the rest builds a proof
//! (`dpop_proof::ProofShape`); even: the rest is the header text itself. Never panics; accepts
//! only proofs an independent RFC 9449 check accepts, naming the key they were signed with;
//! accepts every proof that is right in every part.

#![no_main]

use std::sync::Once;

use arbitrary::{Arbitrary, Unstructured};
use latchkey::auth::dpop::{self, ProofTarget};
use latchkey_fuzz::clock::NOW;
use latchkey_fuzz::dpop_proof::{self, ProofShape, METHOD, URL};
use libfuzzer_sys::fuzz_target;

static CRYPTO: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    CRYPTO.call_once(latchkey::auth::jwt_crypto::install);
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let (proof, must_accept) = if mode % 2 == 1 {
        let Ok(shape) = ProofShape::arbitrary_take_rest(Unstructured::new(rest)) else {
            return;
        };
        (shape.proof(), shape.must_be_accepted())
    } else {
        (String::from_utf8_lossy(rest).into_owned(), false)
    };
    let target = ProofTarget {
        method: METHOD.into(),
        url: URL.into(),
    };
    match dpop::verify(&proof, &target, NOW) {
        Ok(accepted) => {
            let key = match dpop_proof::genuine(&proof) {
                Ok(key) => key,
                Err(why) => panic!("accepted a proof that is not valid ({why}): {proof}"),
            };
            assert_eq!(accepted.key.as_str(), key, "the thumbprint of another key");
            assert!(!accepted.jti.is_empty(), "an empty jti");
        }
        Err(err) => assert!(!must_accept, "refused a right proof ({err}): {proof}"),
    }
});
