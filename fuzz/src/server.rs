//! latchkey as production builds it (`startup::build_state_with_clock` and `startup::router`),
//! on a scratch SQLite database, driven in process on a current-thread runtime.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::{Extension, Router};
use http::{HeaderName, HeaderValue, Request, StatusCode};
use latchkey::auth::AuthService;
use latchkey::config::Config;
use latchkey::db::Db;
use latchkey::startup::{self, AppState};
use tokio::runtime::Runtime;
use tower::ServiceExt as _;

use crate::clock::FixedClock;
use crate::{database, keys};

/// `LATCHKEY_PUBLIC_ORIGIN`: the `iss` and `aud` of tokens and the only accepted `Origin`.
pub const ORIGIN: &str = "http://127.0.0.1:3000";
pub const USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
/// Where every request comes from, as `into_make_service_with_connect_info` would say.
const PEER: &str = "198.51.100.20:40000";
/// An answer body larger than this is a bug of its own.
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

pub struct Answer {
    pub status: StatusCode,
    pub set_cookie: Vec<String>,
    pub body: Vec<u8>,
}

pub struct Server {
    runtime: Runtime,
    router: Router,
    pub state: AppState,
}

pub fn runtime() -> Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => panic!("fixture: tokio runtime: {err}"),
    }
}

/// Production defaults except: cheap argon2 (the fuzzer needs executions, not strength), no
/// rate limits (every input must be judged alone), a fixed key-encryption key.
pub fn config(database_url: &str, extra: &[(&str, &str)]) -> Config {
    let mut vars: Vec<(String, String)> = [
        ("DATABASE_URL", database_url.to_owned()),
        ("LATCHKEY_PUBLIC_ORIGIN", ORIGIN.to_owned()),
        ("LATCHKEY_ARGON2_M_KIB", "8192".to_owned()),
        ("LATCHKEY_ARGON2_T", "1".to_owned()),
        ("LATCHKEY_RATE_LOGIN_PER_MIN", "0".to_owned()),
        ("LATCHKEY_RATE_REFRESH_PER_MIN", "0".to_owned()),
        ("LATCHKEY_RATE_ACCOUNT_FAILURES_PER_HOUR", "0".to_owned()),
        ("LATCHKEY_KEY_ENCRYPTION_KEY", keys::kek_base64()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let lookup = move |name: &str| {
        vars.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    match Config::from_lookup(lookup) {
        Ok(config) => config,
        Err(err) => panic!("fixture: configuration: {err:?}"),
    }
}

/// The engine alone, for targets that need no HTTP.
pub fn engine(name: &str) -> (Runtime, Arc<AuthService>) {
    let runtime = runtime();
    let service = runtime.block_on(async {
        let config = config(&database::prepared(name).await, &[]);
        let db = match Db::connect(&config.database_url).await {
            Ok(db) => db,
            Err(err) => panic!("fixture: database: {err}"),
        };
        match AuthService::start(db, config.auth_settings(), Arc::new(FixedClock)).await {
            Ok(service) => service,
            Err(err) => panic!("fixture: engine: {err}"),
        }
    });
    (runtime, service)
}

impl Server {
    pub fn start(name: &str, extra: &[(&str, &str)]) -> Self {
        let runtime = runtime();
        let state = runtime.block_on(async {
            let config = config(&database::prepared(name).await, extra);
            let options = leptos::config::LeptosOptions::builder()
                .output_name("latchkey")
                .site_root("target/site")
                .build();
            match startup::build_state_with_clock(config, options, Arc::new(FixedClock)).await {
                Ok(state) => state,
                Err(err) => panic!("fixture: app state: {err:#}"),
            }
        });
        let peer: SocketAddr = match PEER.parse() {
            Ok(peer) => peer,
            Err(err) => panic!("fixture: {PEER}: {err}"),
        };
        let router = runtime
            .block_on(async { startup::router(state.clone()).layer(Extension(ConnectInfo(peer))) });
        Self {
            runtime,
            router,
            state,
        }
    }

    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// A POST the `/api` guard lets through (same origin, JSON), plus `headers`.
    pub fn post(&self, path: &str, headers: &[(HeaderName, HeaderValue)], body: Vec<u8>) -> Answer {
        let mut request = Request::post(path)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ORIGIN, ORIGIN)
            .header(http::header::USER_AGENT, USER_AGENT);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let request = match request.body(Body::from(body)) {
            Ok(request) => request,
            Err(err) => panic!("fixture: request for {path}: {err}"),
        };
        self.runtime.block_on(async {
            let response = match self.router.clone().oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let status = response.status();
            let set_cookie = response
                .headers()
                .get_all(http::header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_owned))
                .collect();
            let body = match axum::body::to_bytes(response.into_body(), MAX_ANSWER_BYTES).await {
                Ok(body) => body.to_vec(),
                Err(err) => panic!("{path} answered {status} with an unreadable body: {err}"),
            };
            Answer {
                status,
                set_cookie,
                body,
            }
        })
    }
}

impl Answer {
    /// The `code` of an `/api` error body; every error must have one (no stack traces, no
    /// framework text).
    pub fn error_code(&self) -> Option<String> {
        let value: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        value.get("code")?.as_str().map(str::to_owned)
    }

    pub fn must_not_be_a_server_fault(&self, what: &str) {
        assert!(
            !self.status.is_server_error() || self.status == StatusCode::SERVICE_UNAVAILABLE,
            "{what}: answered {} {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        if self.status.is_client_error() || self.status.is_server_error() {
            assert!(
                self.error_code().is_some(),
                "{what}: error {} without an error code: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            );
        }
    }
}
