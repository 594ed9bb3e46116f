//! Test support: a fresh database per test (a temporary SQLite file, or a new PostgreSQL
//! database), the real router driven with `oneshot`, and small HTTP helpers, some of them typed
//! with the contract's own DTOs (`app::api`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use app::api::{AdminUsersResponse, EventsResponse, SessionsResponse};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::{Extension, Router};
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use latchkey::auth::clock::ManualClock;
use latchkey::config::Config;
use latchkey::startup::{self, AppState};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use tower::ServiceExt;

/// The refresh cookie's name, from the transport layer that sets it. The literal name is part of
/// the contract and is pinned once, in `auth_flow::refresh_cookie_attributes_are_exact`.
pub use app::api::transport::REFRESH_COOKIE;
/// The server's own database enum: what `TestApp::dialect` reports and `both_engines!` runs on.
pub use latchkey::db::Dialect;

pub const ORIGIN: &str = "http://127.0.0.1:3000";
pub const PASSWORD: &str = "correct horse battery staple";
pub const UA_FIREFOX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";

/// A database that lives as long as the test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database to drop when the test ends.
    pg_name: Option<String>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside async code; a short-lived runtime on its own thread does the work.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&postgres_admin_url())
                    .await
                    .ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// Where PostgreSQL tests connect to create their databases.
fn postgres_admin_url() -> String {
    std::env::var("LATCHKEY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub async fn test_db(engine: Dialect) -> Option<TestDb> {
    match engine {
        Dialect::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/latchkey.db", dir.path().display());
            Some(TestDb {
                url,
                _dir: Some(dir),
                pg_name: None,
            })
        }
        Dialect::Postgres => {
            use sqlx::Connection;
            let admin = postgres_admin_url();
            let mut conn = match sqlx::PgConnection::connect(&admin).await {
                Ok(conn) => conn,
                Err(err) => {
                    if std::env::var("CI").is_ok_and(|v| v == "true") {
                        panic!("PostgreSQL is required under CI=true but {admin} is unreachable: {err}");
                    }
                    eprintln!("SKIPPED: PostgreSQL test, {admin} is unreachable ({err}); set LATCHKEY_TEST_POSTGRES_URL");
                    return None;
                }
            };
            let name = format!("latchkey_test_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            Some(TestDb {
                url: format!("{base}/{name}"),
                _dir: None,
                pg_name: Some(name),
            })
        }
    }
}

pub fn test_config(db: &TestDb, overrides: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = [
        ("DATABASE_URL", db.url.as_str()),
        ("LATCHKEY_PUBLIC_ORIGIN", ORIGIN),
        ("LATCHKEY_ARGON2_M_KIB", "8192"),
        ("LATCHKEY_ARGON2_T", "1"),
        ("LATCHKEY_RATE_LOGIN_PER_MIN", "0"),
        ("LATCHKEY_RATE_REFRESH_PER_MIN", "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if db.url.starts_with("postgres") {
        // PostgreSQL refuses to start without one; SQLite tests use the generated key file.
        vars.insert(
            "LATCHKEY_KEY_ENCRYPTION_KEY".into(),
            test_key_encryption_key().into(),
        );
    }
    for (k, v) in overrides {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    Config::from_lookup(move |name| vars.get(name).cloned()).expect("test config is valid")
}

/// A fixed key for tests; each test database is new, so sharing it across tests is harmless.
pub fn test_key_encryption_key() -> &'static str {
    "dGVzdC1rZXktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM="
}

pub fn leptos_options() -> leptos::config::LeptosOptions {
    leptos::config::LeptosOptions::builder()
        .output_name("latchkey")
        .site_root("target/site")
        .build()
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub clock: ManualClock,
    db: Arc<TestDb>,
}

impl TestApp {
    pub async fn spawn(engine: Dialect) -> Option<Self> {
        Self::spawn_with(engine, &[]).await
    }

    pub async fn spawn_with(engine: Dialect, overrides: &[(&str, &str)]) -> Option<Self> {
        let db = Arc::new(test_db(engine).await?);
        Some(
            Self::start(db, ManualClock::default(), overrides)
                .await
                .expect("app state"),
        )
    }

    async fn start(
        db: Arc<TestDb>,
        clock: ManualClock,
        overrides: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let config = test_config(&db, overrides);
        let state =
            startup::build_state_with_clock(config, leptos_options(), Arc::new(clock.clone()))
                .await?;
        // What `into_make_service_with_connect_info` gives the real server: every request comes
        // from `PROXY_PEER`. The server reads the `ConnectInfo` extension itself (see
        // `src/http/request_meta.rs`), which axum's `MockConnectInfo` does not provide.
        let peer = SocketAddr::new(PROXY_PEER.parse().expect("PROXY_PEER is an IP"), 40_000);
        let router = startup::router(state.clone()).layer(Extension(ConnectInfo(peer)));
        Ok(Self {
            router,
            state,
            clock,
            db,
        })
    }

    /// Another server process on the same database and clock (an upgrade, a restart with new
    /// settings, or a second instance).
    pub async fn restart_with(&self, overrides: &[(&str, &str)]) -> anyhow::Result<TestApp> {
        Self::start(self.db.clone(), self.clock.clone(), overrides).await
    }

    pub fn dialect(&self) -> Dialect {
        self.state.db.dialect
    }

    pub fn database_url(&self) -> &str {
        &self.db.url
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A browser-like JSON POST from our own origin.
    pub async fn post(&self, path: &str, body: Value) -> TestResponse {
        self.post_with(path, body, &[]).await
    }

    pub async fn post_with(
        &self,
        path: &str,
        body: Value,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let body = body.to_string();
        let mut request = Request::post(path)
            .header("content-type", "application/json")
            .header("origin", ORIGIN)
            .header("user-agent", UA_FIREFOX)
            .header("content-length", body.len())
            .body(Body::from(body))
            .unwrap();
        for (k, v) in headers {
            request.headers_mut().insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        self.send(request).await
    }

    pub async fn post_bearer(&self, path: &str, token: &str, body: Value) -> TestResponse {
        self.post_with(path, body, &[("authorization", &format!("Bearer {token}"))])
            .await
    }

    /// A JSON POST from another client: its own user agent and, through a trusted proxy, its
    /// own address (the app must trust `PROXY_PEER`, see `BEHIND_PROXY`).
    pub async fn post_from(
        &self,
        client: &Client,
        path: &str,
        body: Value,
        extra: &[(&str, &str)],
    ) -> TestResponse {
        let mut headers = vec![
            ("user-agent", client.user_agent),
            ("x-forwarded-for", client.ip),
        ];
        headers.extend_from_slice(extra);
        self.post_with(path, body, &headers).await
    }

    pub async fn post_cookie(&self, path: &str, refresh: &str) -> TestResponse {
        self.post_with(path, json!({}), &[("cookie", &cookie_header(refresh))])
            .await
    }

    pub async fn register(&self, email: &str) -> Signin {
        let response = self
            .post(
                "/api/auth/register",
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "register {email}: {}",
            response.body
        );
        Signin::from(&response)
    }

    pub async fn login(&self, email: &str) -> Signin {
        let response = self
            .post(
                "/api/auth/login",
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "login {email}: {}",
            response.body
        );
        Signin::from(&response)
    }

    pub async fn refresh(&self, refresh: &str) -> TestResponse {
        self.post_cookie("/api/auth/refresh", refresh).await
    }

    /// An admin created through the bootstrap path, signed in.
    pub async fn admin(&self, email: &str) -> Signin {
        self.state
            .auth
            .create_admin(email, &PASSWORD.to_owned().into())
            .await
            .expect("create admin");
        self.login(email).await
    }

    pub fn clock_now(&self) -> i64 {
        use latchkey::auth::clock::Clock;
        self.clock.now()
    }

    pub fn pool(&self) -> &sqlx::AnyPool {
        &self.state.db.pool
    }

    /// `/api/sessions/list` with `access` as the bearer token, as it answers.
    pub async fn list_sessions(&self, access: &str) -> TestResponse {
        self.post_bearer("/api/sessions/list", access, json!({}))
            .await
    }

    /// The caller's live and recently ended sessions (the call must succeed).
    pub async fn sessions(&self, access: &str) -> SessionsResponse {
        self.list_sessions(access).await.dto()
    }

    /// `/api/sessions/revoke` of one session of the caller's (or anyone's: the server decides).
    pub async fn revoke(
        &self,
        access: &str,
        session_id: &(impl Serialize + ?Sized),
    ) -> TestResponse {
        self.post_bearer(
            "/api/sessions/revoke",
            access,
            json!({"session_id": session_id}),
        )
        .await
    }

    /// The caller's security events (the call must succeed).
    pub async fn events(&self, access: &str) -> EventsResponse {
        self.post_bearer("/api/account/events", access, json!({}))
            .await
            .dto()
    }

    /// `/api/admin/users`: one page of the user search, as it answers.
    pub async fn list_users(
        &self,
        access: &str,
        query: &str,
        offset: i64,
        limit: i64,
    ) -> TestResponse {
        self.post_bearer(
            "/api/admin/users",
            access,
            json!({"query": query, "offset": offset, "limit": limit}),
        )
        .await
    }

    /// One page of the admin's user search (the call must succeed).
    pub async fn admin_users(
        &self,
        access: &str,
        query: &str,
        offset: i64,
        limit: i64,
    ) -> AdminUsersResponse {
        self.list_users(access, query, offset, limit).await.dto()
    }

    /// A user's sessions as an admin sees them (the call must succeed).
    pub async fn admin_user_sessions(
        &self,
        access: &str,
        user_id: &(impl Serialize + ?Sized),
    ) -> SessionsResponse {
        self.post_bearer(
            "/api/admin/user_sessions",
            access,
            json!({"user_id": user_id}),
        )
        .await
        .dto()
    }

    /// `/api/admin/force_logout` of every session of a user, as it answers.
    pub async fn force_logout(
        &self,
        access: &str,
        user_id: &(impl Serialize + ?Sized),
    ) -> TestResponse {
        self.post_bearer(
            "/api/admin/force_logout",
            access,
            json!({"user_id": user_id}),
        )
        .await
    }

    /// `/api/admin/set_disabled`, as it answers.
    pub async fn set_disabled(
        &self,
        access: &str,
        user_id: &(impl Serialize + ?Sized),
        disabled: bool,
    ) -> TestResponse {
        self.post_bearer(
            "/api/admin/set_disabled",
            access,
            json!({"user_id": user_id, "disabled": disabled}),
        )
        .await
    }
}

/// A `Cookie` header value carrying a refresh token.
pub fn cookie_header(refresh: &str) -> String {
    format!("{REFRESH_COOKIE}={refresh}")
}

/// A DTO field as it travels on the wire: a JSON string's value, or the JSON text of anything
/// else (`null`, a number). Compare codes and ids through it, e.g.
/// `assert_eq!(wire(&ended.reason), "admin_forced")`, so the test reads the contract whether
/// the Rust field is a `String`, a serde enum or an id newtype.
pub fn wire<T: Serialize + ?Sized>(value: &T) -> String {
    match serde_json::to_value(value).expect("DTO fields serialize") {
        Value::String(text) => text,
        other => other.to_string(),
    }
}

/// The address every test request comes from: `TestApp::start` gives it to every request as
/// the connection's peer.
pub const PROXY_PEER: &str = "203.0.113.7";
/// Settings that make the test peer a trusted proxy, so `X-Forwarded-For` picks the client.
pub const BEHIND_PROXY: (&str, &str) = ("LATCHKEY_TRUSTED_PROXIES", PROXY_PEER);

/// A browser somewhere: what `post_from` sends as its user agent and address.
pub struct Client {
    pub user_agent: &'static str,
    pub ip: &'static str,
}

pub const UA_CURL: &str = "curl/8.5.0";

/// The session id (`sid`) and other claims of an access token, read without verifying.
pub fn claims(access_token: &str) -> Value {
    use base64::Engine as _;
    let payload = access_token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("JSON claims")
}

/// The private signing key (PKCS#8) and its kid, opened with the server's key-encryption key:
/// what only the KEK's holder can do, used to sign arbitrary claims in tests.
pub async fn signing_key(app: &TestApp) -> (Vec<u8>, String) {
    let (sealed, kid): (Vec<u8>, String) =
        sqlx::query_as("SELECT private_sealed, kid FROM signing_keys ORDER BY created_at")
            .fetch_one(app.pool())
            .await
            .unwrap();
    let kek =
        latchkey::auth::key_encryption::KeyEncryptionKey::load(&app.state.config.key_encryption)
            .unwrap();
    (kek.open(&kid, &sealed).unwrap(), kid)
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The body as one of the contract's DTOs; fails (showing the body) unless the status is 200.
    pub fn dto<T: DeserializeOwned>(&self) -> T {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not a {} ({e}): {}", std::any::type_name::<T>(), self.body))
    }

    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The refresh token in this response's `Set-Cookie`, if any (empty when cleared).
    pub fn refresh_cookie(&self) -> Option<String> {
        self.set_cookies().iter().find_map(|c| {
            c.strip_prefix(REFRESH_COOKIE)
                .and_then(|rest| rest.strip_prefix('='))
                .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
        })
    }
}

/// What a successful sign-in leaves in a browser.
#[derive(Clone)]
pub struct Signin {
    pub access: String,
    pub refresh: String,
    pub user_id: String,
}

impl From<&TestResponse> for Signin {
    fn from(response: &TestResponse) -> Self {
        let body = response.json();
        Signin {
            access: body["access_token"]
                .as_str()
                .expect("access_token")
                .to_owned(),
            refresh: response.refresh_cookie().expect("refresh cookie"),
            user_id: body["user"]["id"].as_str().expect("user id").to_owned(),
        }
    }
}

impl From<TestResponse> for Signin {
    fn from(response: TestResponse) -> Self {
        Signin::from(&response)
    }
}

/// Runs a test body on SQLite and, where reachable, PostgreSQL, as `name::sqlite` and
/// `name::postgres`. `both_engines!(name, &[("VAR", "value")], body)` starts the app with those
/// settings (`TestApp::spawn_with`).
#[macro_export]
macro_rules! both_engines {
    ($name:ident, $body:expr $(,)?) => {
        $crate::both_engines!($name, &[], $body);
    };
    ($name:ident, $overrides:expr, $body:expr $(,)?) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                if let Some(app) = $crate::support::TestApp::spawn_with(
                    $crate::support::Dialect::Sqlite,
                    $overrides,
                )
                .await
                {
                    ($body)(app).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(app) = $crate::support::TestApp::spawn_with(
                    $crate::support::Dialect::Postgres,
                    $overrides,
                )
                .await
                {
                    ($body)(app).await;
                }
            }
        }
    };
}

/// A device key like the browser's (ECDSA P-256): signs DPoP proofs for this app's endpoints.
pub struct DeviceKey(p256::ecdsa::SigningKey);

impl DeviceKey {
    pub fn generate() -> Self {
        Self(p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng))
    }

    /// A fresh proof for `POST path` at the app's current time.
    pub fn proof(&self, app: &TestApp, path: &str) -> String {
        self.proof_with(
            "POST",
            &format!("{}{path}", app.state.config.public_origin),
            app.clock_now(),
            &uuid::Uuid::new_v4().to_string(),
        )
    }

    pub fn proof_with(&self, htm: &str, htu: &str, iat: i64, jti: &str) -> String {
        latchkey::auth::dpop::sign(
            &self.0,
            &latchkey::auth::dpop::ProofClaims {
                jti: jti.into(),
                htm: htm.into(),
                htu: htu.into(),
                iat,
            },
        )
    }

    /// The RFC 7638 thumbprint the server binds sessions to.
    pub fn thumbprint(&self) -> String {
        let point = self.0.verifying_key().to_encoded_point(false);
        latchkey::auth::dpop::PublicJwk::p256(
            &(*point.x().unwrap()).into(),
            &(*point.y().unwrap()).into(),
        )
        .thumbprint()
        .as_str()
        .to_owned()
    }
}

impl TestApp {
    /// Register with a proof from `key`, as the browser app does.
    pub async fn register_bound(&self, email: &str, key: &DeviceKey) -> Signin {
        let path = "/api/auth/register";
        let response = self
            .post_with(
                path,
                json!({"email": email, "password": PASSWORD}),
                &[("dpop", &key.proof(self, path))],
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        Signin::from(&response)
    }

    /// Sign in with a proof from `key`.
    pub async fn login_bound(&self, email: &str, key: &DeviceKey) -> Signin {
        let path = "/api/auth/login";
        let response = self
            .post_with(
                path,
                json!({"email": email, "password": PASSWORD}),
                &[("dpop", &key.proof(self, path))],
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        Signin::from(&response)
    }

    /// Refresh with the cookie and, if given, a proof from `key`.
    pub async fn refresh_bound(&self, refresh: &str, key: Option<&DeviceKey>) -> TestResponse {
        let path = "/api/auth/refresh";
        let cookie = cookie_header(refresh);
        let proof = key.map(|key| key.proof(self, path));
        let mut headers = vec![("cookie", cookie.as_str())];
        if let Some(proof) = &proof {
            headers.push(("dpop", proof));
        }
        self.post_with(path, json!({}), &headers).await
    }
}
