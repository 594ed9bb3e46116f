//! Access tokens built from fuzz input: every header and claim either right or wrong in one of
//! the ways SECURITY.md lists (section A), signed by latchkey's key, another key or nobody, then
//! maybe tampered with. `genuine` is the independent check that whatever latchkey accepted was
//! signed by its key and carries the claims it relies on.

use arbitrary::Arbitrary;
use ed25519_dalek::Signer as _;
use serde_json::{json, Map, Value};

use crate::clock::NOW;
use crate::jws::{self, b64};
use crate::keys;
use crate::server::ORIGIN;

/// `LATCHKEY_ACCESS_TTL` of every fixture.
pub const TTL: i64 = 600;
/// `access_tokens::CLOCK_SKEW_SECS`.
pub const SKEW: i64 = 5;

#[derive(Arbitrary, Debug)]
pub struct TokenShape {
    pub scheme: Scheme,
    alg: Text,
    typ: Text,
    kid: Kid,
    foreign_key_header: Option<ForeignKeyHeader>,
    iss: Text,
    aud: Text,
    sub: Text,
    sid: Text,
    role: Text,
    email: Text,
    iat: Time,
    nbf: Time,
    exp: Time,
    jti: Text,
    cnf: Option<String>,
    signature: Signature,
    tamper: Tamper,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Scheme {
    Bearer,
    Lower,
    Upper,
    Basic,
    TwoSpaces,
    None,
}

/// A string claim or header: the value latchkey expects, absent, of the wrong JSON type, or any
/// other text.
#[derive(Arbitrary, Debug)]
enum Text {
    Right,
    Missing,
    Number(i64),
    Array,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Kid {
    Ours,
    Missing,
    PathTraversal,
    Sql,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum ForeignKeyHeader {
    Jku,
    X5u,
    Jwk,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Time {
    /// Seconds from the fixed clock's now, where the interesting edges are.
    Near(i16),
    Absolute(i64),
    /// Near the ends of i64, where arithmetic on times overflows.
    Extreme(i8),
    Missing,
    Float,
    Text,
}

#[derive(Arbitrary, Debug)]
enum Signature {
    Ours,
    ForeignKey,
    Empty,
    /// HS256 keyed with latchkey's public key: the algorithm-confusion attack.
    HmacWithPublicKey,
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Tamper {
    None,
    FlipByte(u16),
    Padding,
    Whitespace,
    FourthSegment,
    TrailingBits,
    Truncate(u16),
}

impl TokenShape {
    /// The `Authorization` header value.
    pub fn header_value(&self) -> Vec<u8> {
        let token = self.token();
        let scheme = match self.scheme {
            Scheme::Bearer => "Bearer ",
            Scheme::Lower => "bearer ",
            Scheme::Upper => "BEARER ",
            Scheme::Basic => "Basic ",
            Scheme::TwoSpaces => "Bearer  ",
            Scheme::None => "",
        };
        format!("{scheme}{token}").into_bytes()
    }

    /// Whether latchkey must accept it: every part right and the times inside the window.
    pub fn must_be_accepted(&self) -> bool {
        let right = |t: &Text| matches!(t, Text::Right);
        matches!(self.scheme, Scheme::Bearer | Scheme::Lower | Scheme::Upper)
            && [
                &self.alg, &self.typ, &self.iss, &self.aud, &self.sub, &self.sid,
            ]
            .into_iter()
            .all(right)
            && [&self.role, &self.email, &self.jti].into_iter().all(right)
            && matches!(self.kid, Kid::Ours)
            && self.foreign_key_header.is_none()
            && matches!(self.signature, Signature::Ours)
            && matches!(self.tamper, Tamper::None)
            && match (time(self.iat), time(self.nbf), time(self.exp)) {
                // jsonwebtoken reads exp and nbf as unsigned NumericDates and refuses a
                // negative one before latchkey looks: safe, and never issued.
                (Some(iat), Some(nbf), Some(exp)) => {
                    nbf >= 0 && exp >= 0 && times_valid(iat, nbf, exp)
                }
                _ => false,
            }
    }

    fn token(&self) -> String {
        let header = self.header();
        let payload = self.payload();
        let signed = jws::signing_input(&header, &payload);
        let signature = match &self.signature {
            Signature::Ours => keys::access_key().sign(signed.as_bytes()).to_vec(),
            Signature::ForeignKey => keys::foreign_key().sign(signed.as_bytes()).to_vec(),
            Signature::Empty => Vec::new(),
            Signature::HmacWithPublicKey => hmac_with_public_key(signed.as_bytes()),
            Signature::Bytes(bytes) => bytes.clone(),
        };
        tamper(format!("{signed}.{}", b64(&signature)), &self.tamper)
    }

    fn header(&self) -> Value {
        let mut header = Map::new();
        put(&mut header, "alg", &self.alg, "EdDSA");
        put(&mut header, "typ", &self.typ, "at+jwt");
        match &self.kid {
            Kid::Ours => {
                header.insert("kid".into(), keys::access_kid().into());
            }
            Kid::Missing => {}
            Kid::PathTraversal => {
                header.insert("kid".into(), "../../../../dev/null".into());
            }
            Kid::Sql => {
                header.insert("kid".into(), "' OR 1=1 --".into());
            }
            Kid::Other(kid) => {
                header.insert("kid".into(), kid.as_str().into());
            }
        }
        match self.foreign_key_header {
            Some(ForeignKeyHeader::Jku) => {
                header.insert("jku".into(), "https://evil.example/jwks.json".into());
            }
            Some(ForeignKeyHeader::X5u) => {
                header.insert("x5u".into(), "https://evil.example/cert.pem".into());
            }
            Some(ForeignKeyHeader::Jwk) => {
                let x = b64(keys::foreign_key().verifying_key().as_bytes());
                header.insert(
                    "jwk".into(),
                    json!({"kty": "OKP", "crv": "Ed25519", "x": x}),
                );
            }
            None => {}
        }
        Value::Object(header)
    }

    fn payload(&self) -> Value {
        let mut claims = Map::new();
        put(&mut claims, "iss", &self.iss, ORIGIN);
        put(&mut claims, "aud", &self.aud, ORIGIN);
        put(
            &mut claims,
            "sub",
            &self.sub,
            "0190f0c4-5b1e-7000-8000-00000000a11c",
        );
        put(
            &mut claims,
            "sid",
            &self.sid,
            "0190f0c4-5b1e-7000-8000-00000000005e",
        );
        put(&mut claims, "role", &self.role, "user");
        put(&mut claims, "email", &self.email, "alice@example.com");
        put(
            &mut claims,
            "jti",
            &self.jti,
            "0190f0c4-5b1e-7000-8000-0000000000a1",
        );
        for (name, t) in [("iat", self.iat), ("nbf", self.nbf), ("exp", self.exp)] {
            match t {
                Time::Missing => {}
                Time::Float => {
                    claims.insert(name.into(), json!(NOW as f64 + 0.5));
                }
                Time::Text => {
                    claims.insert(name.into(), "never".into());
                }
                Time::Near(_) | Time::Absolute(_) | Time::Extreme(_) => {
                    claims.insert(name.into(), time(t).into());
                }
            }
        }
        if let Some(jkt) = &self.cnf {
            claims.insert("cnf".into(), json!({ "jkt": jkt }));
        }
        Value::Object(claims)
    }
}

fn put(map: &mut Map<String, Value>, name: &str, value: &Text, right: &str) {
    let value = match value {
        Text::Right => right.into(),
        Text::Missing => return,
        Text::Number(n) => (*n).into(),
        Text::Array => json!([right]),
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
        Time::Missing | Time::Float | Time::Text => None,
    }
}

/// The rules of `AccessTokens::verify`, in i128 so that no edge can wrap.
pub fn times_valid(iat: i64, nbf: i64, exp: i64) -> bool {
    let (iat, nbf, exp, now) = (iat as i128, nbf as i128, exp as i128, NOW as i128);
    let (skew, ttl) = (SKEW as i128, TTL as i128);
    nbf <= now + skew && iat <= now + skew && exp - iat <= ttl && exp + skew > now
}

fn hmac_with_public_key(message: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    // HMAC-SHA256 (RFC 2104) by hand: the key is the 32-byte public key, shorter than a block.
    let key = keys::access_key().verifying_key().to_bytes();
    let mut inner = [0x36u8; 64];
    let mut outer = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        inner[i] ^= k;
        outer[i] ^= k;
    }
    let inner_hash = Sha256::new()
        .chain_update(inner)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(outer)
        .chain_update(inner_hash)
        .finalize()
        .to_vec()
}

fn tamper(token: String, how: &Tamper) -> String {
    let mut bytes = token.into_bytes();
    match how {
        Tamper::None => {}
        Tamper::FlipByte(at) => {
            if !bytes.is_empty() {
                let at = usize::from(*at) % bytes.len();
                bytes[at] ^= 0x01;
            }
        }
        Tamper::Padding => bytes.extend_from_slice(b"=="),
        Tamper::Whitespace => bytes.push(b' '),
        Tamper::FourthSegment => bytes.extend_from_slice(b".e30"),
        Tamper::TrailingBits => {
            // The last character of an unpadded segment carries unused low bits; setting one
            // spells the same bytes differently.
            if let Some(last) = bytes.last_mut() {
                *last = match *last {
                    b'A' => b'B',
                    b'Q' => b'R',
                    b'g' => b'h',
                    b'w' => b'x',
                    other => other,
                };
            }
        }
        Tamper::Truncate(keep) => bytes.truncate(usize::from(*keep)),
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A token signed with latchkey's fixed key, for seeds.
pub fn signed(header: &Value, claims: &Value) -> String {
    let signed = jws::signing_input(header, claims);
    format!(
        "{signed}.{}",
        b64(&keys::access_key().sign(signed.as_bytes()).to_vec())
    )
}

/// The header and claims of a token latchkey issues at the fixed clock's now.
pub fn issued_parts() -> (Value, Value) {
    let header = json!({"alg": "EdDSA", "typ": "at+jwt", "kid": keys::access_kid()});
    let claims = json!({
        "iss": ORIGIN, "aud": ORIGIN,
        "sub": "0190f0c4-5b1e-7000-8000-00000000a11c", "sid": "0190f0c4-5b1e-7000-8000-00000000005e",
        "role": "user", "email": "alice@example.com",
        "iat": NOW, "nbf": NOW, "exp": NOW + TTL, "jti": "0190f0c4-5b1e-7000-8000-0000000000a1",
    });
    (header, claims)
}

/// What latchkey accepted, checked without its code: the claims if the token is genuine.
pub fn genuine(token: &str) -> Result<Map<String, Value>, String> {
    let compact = jws::read(token)?;
    let header = &compact.header;
    if jws::text(header, "alg") != Some("EdDSA") || jws::text(header, "typ") != Some("at+jwt") {
        return Err("alg or typ".into());
    }
    if jws::text(header, "kid") != Some(keys::access_kid().as_str()) {
        return Err("kid is not latchkey's key".into());
    }
    if ["jku", "x5u", "jwk"]
        .iter()
        .any(|h| header.contains_key(*h))
    {
        return Err("a header pointing at another key".into());
    }
    let signature = ed25519_dalek::Signature::from_slice(&compact.signature)
        .map_err(|_| "signature length".to_string())?;
    keys::access_key()
        .verifying_key()
        .verify_strict(compact.signed.as_bytes(), &signature)
        .map_err(|_| "not signed by latchkey's key".to_string())?;
    let claims = compact.payload;
    if jws::text(&claims, "iss") != Some(ORIGIN) || jws::text(&claims, "aud") != Some(ORIGIN) {
        return Err("iss or aud".into());
    }
    match (
        jws::integer(&claims, "iat"),
        jws::integer(&claims, "nbf"),
        jws::integer(&claims, "exp"),
    ) {
        (Some(iat), Some(nbf), Some(exp)) if times_valid(iat, nbf, exp) => Ok(claims),
        _ => Err("times missing or outside the window".into()),
    }
}
