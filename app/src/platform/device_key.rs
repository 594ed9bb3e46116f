//! The browser's device key for DPoP (RFC 9449): an ECDSA P-256 key pair made by WebCrypto with
//! a non-extractable private key, kept in IndexedDB so every tab of this browser signs with it.
//! Script can ask the browser to sign with it but can never read it, so neither an XSS payload
//! nor a copied profile folder's cookie can take it elsewhere.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransactionMode};

const DATABASE: &str = "latchkey";
const STORE: &str = "device-key";
const SLOT: &str = "current";

/// A key pair as WebCrypto made it; only its public half can be exported.
#[derive(Clone)]
pub struct DeviceKey(JsValue);

/// Makes a new key pair and stores it in place of the old one: each sign-in gets its own key.
pub async fn replace() -> Option<DeviceKey> {
    let subtle = web_sys::window()?.crypto().ok()?.subtle();
    let algorithm = object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())]);
    let usages = Array::of1(&"sign".into());
    let pair = await_promise(
        subtle
            .generate_key_with_object(&algorithm, false, &usages)
            .ok()?,
    )
    .await?;
    store(Some(&pair)).await?;
    ask_to_persist();
    Some(DeviceKey(pair))
}

/// Asks the browser not to evict this origin's storage under pressure: a key lost while its
/// cookie remains would make the next refresh look like a copied cookie. Best effort; the
/// browser decides.
fn ask_to_persist() {
    let persist = web_sys::window()
        .and_then(|w| Reflect::get(&w.navigator(), &"storage".into()).ok())
        .filter(|storage| !storage.is_undefined())
        .and_then(|storage| {
            let persist = Reflect::get(&storage, &"persist".into()).ok()?;
            Some((storage, persist.dyn_into::<js_sys::Function>().ok()?))
        });
    if let Some((storage, persist)) = persist {
        let _ = persist.call0(&storage);
    }
}

/// This browser's key, or a new one if it has none (so a copied cookie used from another
/// browser is always presented with another key, which ends the session as stolen).
pub async fn current_or_new() -> Option<DeviceKey> {
    match load().await {
        Some(pair) => Some(DeviceKey(pair)),
        None => replace().await,
    }
}

/// Forgets the key: after sign-out nothing on this device can prove the old session.
pub async fn forget() {
    let _ = store(None).await;
}

impl DeviceKey {
    /// A proof for one request: `method` and `url` (origin and path) as the server will see them.
    pub async fn proof(&self, method: &str, url: &str) -> Option<String> {
        let subtle = web_sys::window()?.crypto().ok()?.subtle();
        let crypto = web_sys::window()?.crypto().ok()?;
        let public: CryptoKey = Reflect::get(&self.0, &"publicKey".into())
            .ok()?
            .dyn_into()
            .ok()?;
        let private: CryptoKey = Reflect::get(&self.0, &"privateKey".into())
            .ok()?
            .dyn_into()
            .ok()?;
        let jwk = await_promise(subtle.export_key("jwk", &public).ok()?).await?;
        let coordinate = |name: &str| Reflect::get(&jwk, &name.into()).ok()?.as_string();
        let header = serde_json::json!({
            "typ": "dpop+jwt",
            "alg": "ES256",
            "jwk": { "kty": "EC", "crv": "P-256", "x": coordinate("x")?, "y": coordinate("y")? },
        });
        let claims = serde_json::json!({
            "jti": crypto.random_uuid(),
            "htm": method,
            "htu": url,
            "iat": (js_sys::Date::now() / 1000.0).floor() as i64,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let algorithm = object(&[("name", "ECDSA".into()), ("hash", "SHA-256".into())]);
        let data = Uint8Array::from(signing_input.as_bytes());
        let signature = await_promise(
            subtle
                .sign_with_object_and_buffer_source(&algorithm, &private, &data)
                .ok()?,
        )
        .await?;
        // WebCrypto's ECDSA signature is r‖s, the encoding JWS uses.
        let signature = Uint8Array::new(&signature).to_vec();
        Some(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

fn object(entries: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (name, value) in entries {
        let _ = Reflect::set(&object, &(*name).into(), value);
    }
    object
}

async fn await_promise(promise: Promise) -> Option<JsValue> {
    JsFuture::from(promise).await.ok()
}

/// An IndexedDB request as a future of its result.
async fn finished(request: &IdbRequest) -> Option<JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    await_promise(promise).await?;
    request.result().ok()
}

async fn open() -> Option<IdbDatabase> {
    let request: IdbOpenDbRequest = web_sys::window()?
        .indexed_db()
        .ok()??
        .open_with_u32(DATABASE, 1)
        .ok()?;
    let upgrade = Closure::<dyn FnMut(JsValue)>::new({
        let request = request.clone();
        move |_event: JsValue| {
            if let Some(db) = request
                .result()
                .ok()
                .and_then(|r| r.dyn_into::<IdbDatabase>().ok())
            {
                let _ = db.create_object_store(STORE);
            }
        }
    });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let db = finished(&request).await;
    request.set_onupgradeneeded(None);
    db?.dyn_into().ok()
}

async fn load() -> Option<JsValue> {
    let db = open().await?;
    let request = db
        .transaction_with_str_and_mode(STORE, IdbTransactionMode::Readonly)
        .ok()?
        .object_store(STORE)
        .ok()?
        .get(&SLOT.into())
        .ok()?;
    let pair = finished(&request).await;
    db.close();
    pair.filter(|p| !p.is_undefined() && !p.is_null())
}

/// Stores `pair` (structured clone keeps the private key non-extractable), or deletes it.
async fn store(pair: Option<&JsValue>) -> Option<()> {
    let db = open().await?;
    let slots = db
        .transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)
        .ok()?
        .object_store(STORE)
        .ok()?;
    let request = match pair {
        Some(pair) => slots.put_with_key(pair, &SLOT.into()).ok()?,
        None => slots.delete(&SLOT.into()).ok()?,
    };
    let done = finished(&request).await;
    db.close();
    done.map(|_| ())
}
