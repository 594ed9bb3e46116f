//! The site's static files (WASM, JS, CSS, favicon), served from memory when they were compiled
//! into the binary, so that the binary alone serves the whole app.
//!
//! `./scripts/release` builds the site, then builds the server with `LATCHKEY_EMBED_SITE`
//! pointing at a copy of it (see `build.rs`). Such a binary serves its own files unless
//! `LEPTOS_SITE_ROOT` is set, which keeps development on files from disk. The package files are
//! served under `/pkg/<build id>/`, a digest of their contents, so browsers may keep them
//! forever (`immutable`); anything else is revalidated by its `ETag`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, VARY,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use sha2::{Digest, Sha256};

/// The package directory under the site root, as cargo-leptos writes it (`site-pkg-dir`).
pub const PKG_DIR: &str = "pkg";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Unversioned names may change with the next release: cache, but ask before each use.
const REVALIDATE: &str = "no-cache";

/// One file and the compressed copies `cargo leptos build --precompress` wrote beside it.
struct Asset {
    content_type: &'static str,
    identity: Variant,
    brotli: Option<Variant>,
    gzip: Option<Variant>,
}

struct Variant {
    bytes: Cow<'static, [u8]>,
    etag: HeaderValue,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Encoding {
    Identity,
    Brotli,
    Gzip,
}

impl Encoding {
    fn token(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }
}

/// The files of a built site, held in memory.
pub struct EmbeddedSite {
    assets: HashMap<String, Asset>,
    build_id: String,
}

impl EmbeddedSite {
    /// The files compiled into this binary, if it was built with `LATCHKEY_EMBED_SITE`.
    pub fn compiled_in() -> Option<Self> {
        compiled::files().map(Self::from_files)
    }

    /// Builds the table from site-relative paths (`pkg/latchkey.wasm`, `favicon.ico`) and
    /// contents. `x.br` and `x.gz` become the compressed forms of `x`, never files of their own.
    pub fn from_files(files: impl IntoIterator<Item = (String, Cow<'static, [u8]>)>) -> Self {
        let mut plain = Vec::new();
        let mut compressed: HashMap<(String, Encoding), Cow<'static, [u8]>> = HashMap::new();
        for (path, bytes) in files {
            let path = path.replace('\\', "/");
            if let Some(original) = path.strip_suffix(".br") {
                compressed.insert((original.to_owned(), Encoding::Brotli), bytes);
            } else if let Some(original) = path.strip_suffix(".gz") {
                compressed.insert((original.to_owned(), Encoding::Gzip), bytes);
            } else {
                plain.push((path, bytes));
            }
        }
        // Sorted, so the build id depends on the contents only.
        plain.sort_by(|a, b| a.0.cmp(&b.0));
        let mut build = Sha256::new();
        let mut assets = HashMap::new();
        for (path, bytes) in plain {
            let digest = hex(&Sha256::digest(&bytes));
            if path.starts_with(&format!("{PKG_DIR}/")) {
                build.update(path.as_bytes());
                build.update(digest.as_bytes());
            }
            let variant = |encoding: Encoding, bytes: Cow<'static, [u8]>| Variant {
                etag: etag(&digest, encoding),
                bytes,
            };
            let brotli = compressed
                .remove(&(path.clone(), Encoding::Brotli))
                .map(|b| variant(Encoding::Brotli, b));
            let gzip = compressed
                .remove(&(path.clone(), Encoding::Gzip))
                .map(|b| variant(Encoding::Gzip, b));
            let asset = Asset {
                content_type: content_type(&path),
                identity: variant(Encoding::Identity, bytes),
                brotli,
                gzip,
            };
            assets.insert(path, asset);
        }
        let build_id = hex(&build.finalize())[..16].to_owned();
        Self { assets, build_id }
    }

    /// A digest of the package files; the package directory the pages link to is
    /// `pkg/<build id>`.
    pub fn build_id(&self) -> &str {
        &self.build_id
    }

    /// The package directory to put in the Leptos options: the pages then link to
    /// `/pkg/<build id>/latchkey.js` and friends.
    pub fn versioned_pkg_dir(&self) -> String {
        format!("{PKG_DIR}/{}", self.build_id)
    }

    /// The answer for a request, or `None` when no file has this path (the caller renders the
    /// app's 404 page).
    pub fn respond(&self, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
        if method != Method::GET && method != Method::HEAD {
            return None;
        }
        let path = path.trim_start_matches('/');
        let (name, cache) = match path
            .strip_prefix(PKG_DIR)
            .and_then(|rest| rest.strip_prefix('/'))
            .and_then(|rest| rest.split_once('/'))
        {
            // A versioned name: only this build's id; an older page's files are gone.
            Some((id, file)) if id == self.build_id => (format!("{PKG_DIR}/{file}"), IMMUTABLE),
            Some((id, _)) if looks_like_build_id(id) => return None,
            _ => (path.to_owned(), REVALIDATE),
        };
        let asset = self.assets.get(&name)?;
        let encoding = negotiate(headers.get(ACCEPT_ENCODING), asset);
        let variant = match encoding {
            Encoding::Brotli => asset.brotli.as_ref(),
            Encoding::Gzip => asset.gzip.as_ref(),
            Encoding::Identity => None,
        }
        .unwrap_or(&asset.identity);

        let mut response = if not_modified(headers.get(IF_NONE_MATCH), &variant.etag) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let body = if method == Method::HEAD {
                Body::empty()
            } else {
                Body::from(variant.bytes.clone())
            };
            let mut response = Response::new(body);
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
            headers.insert(CONTENT_LENGTH, HeaderValue::from(variant.bytes.len()));
            if encoding != Encoding::Identity {
                headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding.token()));
            }
            response
        };
        let headers = response.headers_mut();
        headers.insert(ETAG, variant.etag.clone());
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
        if asset.brotli.is_some() || asset.gzip.is_some() {
            headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
        }
        Some(response)
    }
}

/// Build ids are 16 lowercase hex digits; other directories under `pkg/` are ordinary names.
fn looks_like_build_id(segment: &str) -> bool {
    segment.len() == 16 && segment.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The best compressed form the client accepts: brotli, then gzip, else the file as it is.
fn negotiate(accept: Option<&HeaderValue>, asset: &Asset) -> Encoding {
    let Some(accept) = accept.and_then(|v| v.to_str().ok()) else {
        return Encoding::Identity;
    };
    let accepts = |wanted: &str| {
        accept.split(',').any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .or_else(|| p.strip_prefix("Q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            coding.eq_ignore_ascii_case(wanted) && !refused
        })
    };
    if asset.brotli.is_some() && accepts("br") {
        Encoding::Brotli
    } else if asset.gzip.is_some() && accepts("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

fn not_modified(if_none_match: Option<&HeaderValue>, etag: &HeaderValue) -> bool {
    let Some(candidates) = if_none_match.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let ours = etag.as_bytes();
    candidates
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/").as_bytes() == ours)
}

fn etag(digest: &str, encoding: Encoding) -> HeaderValue {
    let value = match encoding {
        Encoding::Identity => format!("\"{}\"", &digest[..32]),
        other => format!("\"{}-{}\"", &digest[..32], other.token()),
    };
    // Hex digits, a dash and letters: always a valid header value.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("wasm") => "application/wasm",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("ico") => "image/x-icon",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(embedded_site)]
mod compiled {
    use std::borrow::Cow;

    /// The directory named by `LATCHKEY_EMBED_SITE` when this binary was built.
    #[derive(rust_embed::RustEmbed)]
    #[folder = "$LATCHKEY_EMBED_SITE"]
    struct Files;

    pub fn files() -> Option<Vec<(String, Cow<'static, [u8]>)>> {
        use rust_embed::RustEmbed as _;
        let files: Vec<_> = Files::iter()
            .filter_map(|name| Files::get(&name).map(|file| (name.into_owned(), file.data)))
            .collect();
        Some(files)
    }
}

#[cfg(not(embedded_site))]
mod compiled {
    use std::borrow::Cow;

    pub fn files() -> Option<Vec<(String, Cow<'static, [u8]>)>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> EmbeddedSite {
        let file = |path: &str, bytes: &'static [u8]| (path.to_owned(), Cow::Borrowed(bytes));
        EmbeddedSite::from_files([
            file("pkg/latchkey.wasm", b"\0asm-raw"),
            file("pkg/latchkey.wasm.br", b"brotli"),
            file("pkg/latchkey.wasm.gz", b"gzip"),
            file("pkg/latchkey.css", b"body{}"),
            file("favicon.ico", b"icon"),
        ])
    }

    fn get(site: &EmbeddedSite, path: &str, headers: &[(&str, &str)]) -> Option<Response> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        site.respond(&Method::GET, path, &map)
    }

    fn header(response: &Response, name: http::HeaderName) -> Option<&str> {
        response.headers().get(name).and_then(|v| v.to_str().ok())
    }

    async fn body(response: Response) -> Vec<u8> {
        use http_body_util::BodyExt;
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec()
    }

    #[tokio::test]
    async fn versioned_names_are_immutable_and_precompressed() {
        let site = site();
        let path = format!("/{}/latchkey.wasm", site.versioned_pkg_dir());
        let response = get(&site, &path, &[("accept-encoding", "gzip, deflate, br")]).unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, CONTENT_ENCODING), Some("br"));
        assert_eq!(header(&response, CONTENT_TYPE), Some("application/wasm"));
        assert_eq!(header(&response, CACHE_CONTROL), Some(IMMUTABLE));
        assert_eq!(header(&response, VARY), Some("accept-encoding"));
        assert_eq!(body(response).await, b"brotli");

        let gzip = get(&site, &path, &[("accept-encoding", "gzip")]).unwrap();
        assert_eq!(header(&gzip, CONTENT_ENCODING), Some("gzip"));
        assert_eq!(body(gzip).await, b"gzip");

        let refused = get(&site, &path, &[("accept-encoding", "br;q=0, gzip;q=0")]).unwrap();
        assert_eq!(header(&refused, CONTENT_ENCODING), None);
        assert_eq!(body(refused).await, b"\0asm-raw");

        let plain = get(&site, &path, &[]).unwrap();
        assert_eq!(header(&plain, CONTENT_ENCODING), None);
        assert_eq!(header(&plain, CONTENT_LENGTH), Some("8"));
    }

    #[tokio::test]
    async fn each_encoding_has_its_own_etag_and_a_match_is_not_modified() {
        let site = site();
        let path = format!("/{}/latchkey.wasm", site.versioned_pkg_dir());
        let br = get(&site, &path, &[("accept-encoding", "br")]).unwrap();
        let raw = get(&site, &path, &[]).unwrap();
        let br_tag = header(&br, ETAG).unwrap().to_owned();
        assert_ne!(Some(br_tag.as_str()), header(&raw, ETAG));

        let again = get(
            &site,
            &path,
            &[("accept-encoding", "br"), ("if-none-match", &br_tag)],
        )
        .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header(&again, ETAG), Some(br_tag.as_str()));
        assert!(body(again).await.is_empty());

        // The brotli tag does not validate the uncompressed body.
        let other = get(&site, &path, &[("if-none-match", &br_tag)]).unwrap();
        assert_eq!(other.status(), StatusCode::OK);
    }

    #[test]
    fn unversioned_names_revalidate_and_other_builds_are_gone() {
        let site = site();
        let icon = get(&site, "/favicon.ico", &[]).unwrap();
        assert_eq!(header(&icon, CACHE_CONTROL), Some(REVALIDATE));
        assert_eq!(header(&icon, CONTENT_TYPE), Some("image/x-icon"));
        assert_eq!(header(&icon, VARY), None);
        let css = get(&site, "/pkg/latchkey.css", &[]).unwrap();
        assert_eq!(header(&css, CACHE_CONTROL), Some(REVALIDATE));

        assert!(get(&site, "/pkg/0123456789abcdef/latchkey.css", &[]).is_none());
        assert!(get(&site, "/pkg/latchkey.wasm.br", &[]).is_none());
        assert!(get(&site, "/login", &[]).is_none());
        assert!(site
            .respond(&Method::POST, "/favicon.ico", &HeaderMap::new())
            .is_none());
    }

    #[test]
    fn the_build_id_follows_the_package_contents_only() {
        let with = |wasm: &'static [u8], icon: &'static [u8]| {
            EmbeddedSite::from_files([
                ("pkg/latchkey.wasm".to_owned(), Cow::Borrowed(wasm)),
                ("favicon.ico".to_owned(), Cow::Borrowed(icon)),
            ])
            .build_id()
            .to_owned()
        };
        assert_eq!(with(b"a", b"x"), with(b"a", b"y"));
        assert_ne!(with(b"a", b"x"), with(b"b", b"x"));
        assert!(looks_like_build_id(&with(b"a", b"x")));
    }
}
