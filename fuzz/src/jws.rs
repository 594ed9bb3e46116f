//! Compact JWS written and read here without jsonwebtoken, so the checks of what latchkey
//! accepted do not share its parser.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `header.payload`, the bytes a signature covers.
pub fn signing_input(header: &Value, payload: &Value) -> String {
    format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    )
}

/// A token as read by a strict verifier: three segments, each the one canonical base64url
/// spelling of its bytes (no padding, no whitespace, no stray trailing bits).
pub struct Compact {
    pub signed: String,
    pub header: Map<String, Value>,
    pub payload: Map<String, Value>,
    pub signature: Vec<u8>,
}

pub fn read(token: &str) -> Result<Compact, String> {
    let segments: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = segments[..] else {
        return Err(format!("{} segments", segments.len()));
    };
    let header_bytes = canonical(header)?;
    let payload_bytes = canonical(payload)?;
    let signature = canonical(signature)?;
    Ok(Compact {
        signed: format!("{header}.{payload}"),
        header: object(&header_bytes)?,
        payload: object(&payload_bytes)?,
        signature,
    })
}

fn canonical(segment: &str) -> Result<Vec<u8>, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|e| format!("segment {segment:.40}: {e}"))?;
    if b64(&bytes) != segment {
        return Err(format!("segment {segment:.40} is not canonical base64url"));
    }
    Ok(bytes)
}

fn object(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err("not a JSON object".into()),
    }
}

pub fn text<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    map.get(name).and_then(Value::as_str)
}

/// A JSON integer that fits i64; floats and strings are not times.
pub fn integer(map: &Map<String, Value>, name: &str) -> Option<i64> {
    map.get(name).and_then(Value::as_i64)
}
