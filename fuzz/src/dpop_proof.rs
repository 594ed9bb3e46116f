//! DPoP proofs built from fuzz input: header, key, claims and signature each right or wrong in
//! a way RFC 9449 §4.3 names, then maybe tampered with. `genuine` checks, without latchkey's
//! code, that an accepted proof is one a verifier following the RFC would accept too.

use arbitrary::Arbitrary;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use serde_json::{json, Map, Value};

use crate::clock::NOW;
use crate::jws::{self, b64};
use crate::keys;

/// The method and URL every proof is checked against.
pub const METHOD: &str = "POST";
pub const URL: &str = "https://auth.example.com/api/auth/refresh";
/// `dpop::MAX_SKEW_SECS`.
pub const MAX_SKEW: i64 = 60;
const MAX_JTI_BYTES: usize = 128;

#[derive(Arbitrary, Debug)]
pub struct ProofShape {
    typ: Text,
    alg: Text,
    key: Key,
    with_private_part: bool,
    kty: Text,
    crv: Text,
    jti: Jti,
    htm: Text,
    htu: Htu,
    iat: Time,
    signature: Signature,
    tamper: Tamper,
}

#[derive(Arbitrary, Debug)]
enum Text {
    Right,
    Missing,
    Number(i64),
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Key {
    Fixed,
    /// Another device's key, from these bytes (the fixed key when they are no P-256 scalar).
    Seed([u8; 32]),
    /// Coordinates that are not a point of the curve, or not 32 bytes.
    Coordinates(Vec<u8>, Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Jti {
    Short(String),
    Repeated(u8),
    Missing,
    Number(i64),
}

#[derive(Arbitrary, Debug)]
enum Htu {
    Exact,
    WithQuery(u32),
    WithFragment,
    Shouted,
    DefaultPort,
    OtherPath,
    Http,
    Other(String),
    Missing,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Time {
    Near(i16),
    Absolute(i64),
    /// Near the ends of i64, where arithmetic on times overflows.
    Extreme(i8),
    Missing,
    Float,
}

#[derive(Arbitrary, Debug)]
enum Signature {
    Ours,
    /// The same signature with s replaced by n − s: valid too, as WebCrypto does not normalise.
    HighS,
    OtherKey,
    Empty,
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Tamper {
    None,
    FlipByte(u16),
    FourthSegment,
    Truncate(u16),
    Oversize(u16),
}

impl ProofShape {
    pub fn must_be_accepted(&self) -> bool {
        let right = |t: &Text| matches!(t, Text::Right);
        [&self.typ, &self.alg, &self.kty, &self.crv, &self.htm]
            .into_iter()
            .all(right)
            && matches!(self.key, Key::Fixed | Key::Seed(_))
            && !self.with_private_part
            && match &self.jti {
                Jti::Short(jti) => !jti.is_empty() && jti.len() <= MAX_JTI_BYTES,
                Jti::Repeated(n) => *n > 0 && usize::from(*n) <= MAX_JTI_BYTES,
                Jti::Missing | Jti::Number(_) => false,
            }
            && matches!(
                self.htu,
                Htu::Exact
                    | Htu::WithQuery(_)
                    | Htu::WithFragment
                    | Htu::Shouted
                    | Htu::DefaultPort
            )
            && time(self.iat).is_some_and(fresh)
            && matches!(self.signature, Signature::Ours | Signature::HighS)
            && matches!(self.tamper, Tamper::None)
    }

    pub fn proof(&self) -> String {
        let key = self.signing_key();
        let header = self.header(&key);
        let signed = jws::signing_input(&header, &self.claims());
        let signature: p256::ecdsa::Signature = key.sign(signed.as_bytes());
        let bytes = match &self.signature {
            Signature::Ours => signature.to_bytes().to_vec(),
            Signature::HighS => high_s(&signature),
            Signature::OtherKey => {
                let other: p256::ecdsa::Signature = other_key(&key).sign(signed.as_bytes());
                other.to_bytes().to_vec()
            }
            Signature::Empty => Vec::new(),
            Signature::Bytes(bytes) => bytes.clone(),
        };
        tamper(format!("{signed}.{}", b64(&bytes)), &self.tamper)
    }

    fn signing_key(&self) -> p256::ecdsa::SigningKey {
        match &self.key {
            Key::Seed(seed) => p256::ecdsa::SigningKey::from_bytes(&(*seed).into())
                .unwrap_or_else(|_| keys::device_key()),
            Key::Fixed | Key::Coordinates(..) => keys::device_key(),
        }
    }

    fn header(&self, key: &p256::ecdsa::SigningKey) -> Value {
        let point = key.verifying_key().to_encoded_point(false);
        let (x, y) = match &self.key {
            Key::Coordinates(x, y) => (b64(x), b64(y)),
            _ => (
                point.x().map(|c| b64(c)).unwrap_or_default(),
                point.y().map(|c| b64(c)).unwrap_or_default(),
            ),
        };
        let mut jwk = Map::new();
        put(&mut jwk, "kty", &self.kty, "EC");
        put(&mut jwk, "crv", &self.crv, "P-256");
        jwk.insert("x".into(), x.into());
        jwk.insert("y".into(), y.into());
        if self.with_private_part {
            jwk.insert("d".into(), b64(&key.to_bytes()).into());
        }
        let mut header = Map::new();
        put(&mut header, "typ", &self.typ, "dpop+jwt");
        put(&mut header, "alg", &self.alg, "ES256");
        header.insert("jwk".into(), Value::Object(jwk));
        Value::Object(header)
    }

    fn claims(&self) -> Value {
        let mut claims = Map::new();
        match &self.jti {
            Jti::Short(jti) => {
                claims.insert("jti".into(), jti.as_str().into());
            }
            Jti::Repeated(n) => {
                claims.insert("jti".into(), "j".repeat(usize::from(*n)).into());
            }
            Jti::Missing => {}
            Jti::Number(n) => {
                claims.insert("jti".into(), (*n).into());
            }
        }
        put(&mut claims, "htm", &self.htm, METHOD);
        let htu = match &self.htu {
            Htu::Exact => URL.to_owned(),
            Htu::WithQuery(n) => format!("{URL}?n={n}"),
            Htu::WithFragment => format!("{URL}#top"),
            Htu::Shouted => "HTTPS://AUTH.Example.COM/api/auth/refresh".into(),
            Htu::DefaultPort => "https://auth.example.com:443/api/auth/refresh".into(),
            Htu::OtherPath => "https://auth.example.com/api/auth/logout".into(),
            Htu::Http => "http://auth.example.com/api/auth/refresh".into(),
            Htu::Other(url) => url.clone(),
            Htu::Missing => String::new(),
        };
        if !matches!(self.htu, Htu::Missing) {
            claims.insert("htu".into(), htu.into());
        }
        match self.iat {
            Time::Missing => {}
            Time::Float => {
                claims.insert("iat".into(), json!(NOW as f64 + 0.5));
            }
            Time::Near(_) | Time::Absolute(_) | Time::Extreme(_) => {
                claims.insert("iat".into(), time(self.iat).into());
            }
        }
        Value::Object(claims)
    }
}

fn put(map: &mut Map<String, Value>, name: &str, value: &Text, right: &str) {
    let value = match value {
        Text::Right => right.into(),
        Text::Missing => return,
        Text::Number(n) => (*n).into(),
        Text::Other(text) => text.as_str().into(),
    };
    map.insert(name.into(), value);
}

fn time(t: Time) -> Option<i64> {
    match t {
        Time::Near(offset) => Some(NOW + i64::from(offset)),
        Time::Absolute(at) => Some(at),
        Time::Extreme(n) if n >= 0 => Some(i64::MAX - i64::from(n)),
        Time::Extreme(n) => Some(i64::MIN + (-1 - i64::from(n))),
        Time::Missing | Time::Float => None,
    }
}

/// Within the allowed skew of the fixed clock, computed where nothing can overflow.
fn fresh(iat: i64) -> bool {
    (iat as i128 - NOW as i128).abs() <= MAX_SKEW as i128
}

fn high_s(signature: &p256::ecdsa::Signature) -> Vec<u8> {
    let (r, s) = signature.split_scalars();
    match p256::ecdsa::Signature::from_scalars(r, -s) {
        Ok(flipped) => flipped.to_bytes().to_vec(),
        Err(_) => signature.to_bytes().to_vec(),
    }
}

fn other_key(key: &p256::ecdsa::SigningKey) -> p256::ecdsa::SigningKey {
    let fixed = keys::device_key();
    if key.verifying_key() == fixed.verifying_key() {
        p256::ecdsa::SigningKey::from_bytes(&[7u8; 32].into()).unwrap_or(fixed)
    } else {
        fixed
    }
}

fn tamper(proof: String, how: &Tamper) -> String {
    let mut bytes = proof.into_bytes();
    match how {
        Tamper::None => {}
        Tamper::FlipByte(at) => {
            if !bytes.is_empty() {
                let at = usize::from(*at) % bytes.len();
                bytes[at] ^= 0x01;
            }
        }
        Tamper::FourthSegment => bytes.extend_from_slice(b".e30"),
        Tamper::Truncate(keep) => bytes.truncate(usize::from(*keep)),
        Tamper::Oversize(extra) => bytes.extend(std::iter::repeat_n(b'A', usize::from(*extra))),
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A proof signed with the fixed device key, for seeds; `header` gets the key's `jwk`.
pub fn signed(mut header: Value, claims: &Value) -> String {
    let key = keys::device_key();
    let point = key.verifying_key().to_encoded_point(false);
    let coordinate = |c: Option<&p256::FieldBytes>| c.map(|c| b64(c)).unwrap_or_default();
    header["jwk"] = json!({"kty": "EC", "crv": "P-256", "x": coordinate(point.x()), "y": coordinate(point.y())});
    let signed = jws::signing_input(&header, claims);
    let signature: p256::ecdsa::Signature = key.sign(signed.as_bytes());
    format!("{signed}.{}", b64(&signature.to_bytes()))
}

/// The thumbprint of the key an accepted proof was checked with, or why it should have failed.
pub fn genuine(proof: &str) -> Result<String, String> {
    let compact = jws::read(proof)?;
    let header = &compact.header;
    if jws::text(header, "typ") != Some("dpop+jwt") || jws::text(header, "alg") != Some("ES256") {
        return Err("typ or alg".into());
    }
    let jwk = match header.get("jwk") {
        Some(Value::Object(jwk)) => jwk,
        _ => return Err("no jwk".into()),
    };
    if jwk.get("d").is_some_and(|d| !d.is_null()) {
        return Err("the jwk carries a private key".into());
    }
    let (Some("EC"), Some("P-256"), Some(x), Some(y)) = (
        jws::text(jwk, "kty"),
        jws::text(jwk, "crv"),
        jws::text(jwk, "x"),
        jws::text(jwk, "y"),
    ) else {
        return Err("not a P-256 jwk".into());
    };
    let coordinate = |c: &str| {
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, c)
            .ok()
            .filter(|b| b.len() == 32 && b64(b) == c)
    };
    let (Some(xb), Some(yb)) = (coordinate(x), coordinate(y)) else {
        return Err("coordinates".into());
    };
    let point = [&[4u8][..], &xb, &yb].concat();
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
        .map_err(|_| "not a point of P-256".to_string())?;
    let signature = p256::ecdsa::Signature::from_slice(&compact.signature)
        .map_err(|_| "signature shape".to_string())?;
    key.verify(compact.signed.as_bytes(), &signature)
        .map_err(|_| "signature does not verify".to_string())?;
    let claims = &compact.payload;
    let jti_ok =
        jws::text(claims, "jti").is_some_and(|j| !j.is_empty() && j.len() <= MAX_JTI_BYTES);
    let htu_ok = jws::text(claims, "htu").is_some_and(same_resource);
    let iat_ok = jws::integer(claims, "iat").is_some_and(fresh);
    if !(jti_ok && htu_ok && iat_ok && jws::text(claims, "htm") == Some(METHOD)) {
        return Err(format!("claims jti {jti_ok} htu {htu_ok} iat {iat_ok}"));
    }
    let canonical = json!({"crv": "P-256", "kty": "EC", "x": x, "y": y}).to_string();
    Ok(b64(&<sha2::Sha256 as sha2::Digest>::digest(
        canonical.as_bytes(),
    )))
}

/// RFC 9449 §4.3 point 9: the URL without query and fragment, compared after normalisation.
fn same_resource(htu: &str) -> bool {
    let Ok(sent) = url::Url::parse(htu) else {
        return false;
    };
    sent.scheme() == "https"
        && sent.host_str() == Some("auth.example.com")
        && sent.port_or_known_default() == Some(443)
        && sent.path() == "/api/auth/refresh"
        && sent.username().is_empty()
        && sent.password().is_none()
}
