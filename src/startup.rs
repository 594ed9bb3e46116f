//! Builds the application: state, router, and the serve loop with graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use app::api::backend::SharedBackend;
use axum::extract::FromRef;
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;

use crate::auth::clock::{Clock, SystemClock};
use crate::auth::{AdminCreation, AuthService};
use crate::config::Config;
use crate::db::Db;
use crate::http::access_log::{self, AccessLog};
use crate::http::backend::EngineBackend;
use crate::http::connections::{self, ConnectionLimits};
use crate::http::guards::{self, ApiPolicy};
use crate::http::security_headers::{self, SecurityHeaders};
use crate::http::site::{self, EmbeddedSite};
use crate::http::{discovery, healthz, jwks, metrics_endpoint};

/// Handlers take only the part they need (`State<Db>`, `State<Arc<AuthService>>`).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub auth: Arc<AuthService>,
    pub backend: Arc<EngineBackend>,
    pub config: Arc<Config>,
    /// The site files compiled into the binary, when it serves them itself (see `site_files`).
    pub site: Option<Arc<EmbeddedSite>>,
}

/// Leptos options from cargo-leptos' environment (or the values compiled in), with the address
/// taken from our validated configuration. Pages served with the binary's own files link to
/// them under their build id.
pub fn leptos_options(
    config: &Config,
    site: Option<&EmbeddedSite>,
) -> anyhow::Result<LeptosOptions> {
    let mut options = leptos::config::get_configuration(None)?.leptos_options;
    options.site_addr = config.site_addr;
    if let Some(site) = site {
        options.site_pkg_dir = site.versioned_pkg_dir().into();
    }
    Ok(options)
}

/// The files compiled into this binary, unless `LEPTOS_SITE_ROOT` asks for files from disk
/// (development). A binary without them serves `target/site` and says so when it is missing.
pub fn site_files() -> Option<Arc<EmbeddedSite>> {
    let root = std::env::var_os("LEPTOS_SITE_ROOT");
    if root.is_none() {
        if let Some(site) = EmbeddedSite::compiled_in() {
            tracing::info!(
                build = site.build_id(),
                "serving the site compiled into the binary"
            );
            return Some(Arc::new(site));
        }
    }
    let root = root.map_or_else(|| "target/site".into(), std::path::PathBuf::from);
    if !root.join(site::PKG_DIR).is_dir() {
        tracing::warn!(
            "no site files: this binary has none compiled in and {} has no pkg/ directory, so \
             pages load without their scripts and styles. Build with ./scripts/release, or set \
             LEPTOS_SITE_ROOT to a built site",
            root.display()
        );
    }
    None
}

/// Connects and migrates the database, loads keys and revocations, bootstraps the admin.
pub async fn build_state(
    config: Config,
    leptos_options: LeptosOptions,
) -> anyhow::Result<AppState> {
    build_state_with_clock(config, leptos_options, Arc::new(SystemClock)).await
}

pub async fn build_state_with_clock(
    config: Config,
    leptos_options: LeptosOptions,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<AppState> {
    let db = Db::connect(&config.database_url).await?;
    let auth = AuthService::start(db.clone(), config.auth_settings(), clock).await?;
    if let Some(admin) = &config.admin {
        match auth.create_admin(&admin.email, &admin.password).await? {
            AdminCreation::Created { id } => {
                tracing::info!(email = %admin.email, %id, "admin account created from LATCHKEY_ADMIN_EMAIL")
            }
            AdminCreation::AlreadyExists { role, disabled, .. } => tracing::warn!(
                email = %admin.email,
                role = role.as_str(),
                disabled,
                "LATCHKEY_ADMIN_EMAIL names an existing account; start-up changes nothing about it \
                 (no promotion, no password reset, no re-enabling). Use `latchkey admin promote` \
                 or `latchkey admin reset-password` to change it deliberately"
            ),
        }
    }
    let backend = Arc::new(EngineBackend::new(auth.clone(), &config));
    Ok(AppState {
        leptos_options,
        db,
        auth,
        backend,
        config: Arc::new(config),
        site: None,
    })
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let options = state.leptos_options.clone();
    let backend: SharedBackend = state.backend.clone();
    let api_guard = axum::middleware::from_fn_with_state(
        ApiPolicy {
            allowed_origin: state.config.public_origin.clone(),
            body_timeout: state.config.body_timeout,
        },
        guards::api_guard,
    );
    let headers = axum::middleware::from_fn_with_state(
        Arc::new(SecurityHeaders::new(&state.config, &state.leptos_options)),
        security_headers::set_headers,
    );
    let access_log = axum::middleware::from_fn_with_state(
        Arc::new(AccessLog {
            trusted_proxies: state.config.trusted_proxies.clone(),
        }),
        access_log::log_request,
    );
    let provide_context_for_request = move || {
        provide_context::<SharedBackend>(backend.clone());
        security_headers::provide_nonce();
    };
    let site = state.site.clone();
    Router::new()
        .route("/healthz", get(healthz::healthz))
        .route("/livez", get(healthz::livez))
        .route("/readyz", get(healthz::readyz))
        .route("/.well-known/jwks.json", get(jwks::jwks))
        .route(discovery::PATH, get(discovery::metadata))
        .leptos_routes_with_context(&state, routes, provide_context_for_request, move || {
            app::shell(options.clone())
        })
        .fallback(
            move |uri: axum::http::Uri,
                  state: axum::extract::State<AppState>,
                  request: axum::extract::Request| {
                files_or_not_found(site.clone(), uri, state, request)
            },
        )
        // Inner to outer: the body limit backs up the guard for bodies without a length.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            guards::MAX_BODY_BYTES,
        ))
        .layer(api_guard)
        .layer(tower_cookies::CookieManagerLayer::new())
        .layer(headers)
        // Outermost, so its line has the status every other layer settled on. It replaces
        // tower-http's TraceLayer, whose span carried the whole URI, query string included.
        .layer(access_log)
        .with_state(state)
}

/// The site's files from memory or disk, else the app's 404 page. That page carries the
/// hydration script too, so it needs the header's nonce.
async fn files_or_not_found(
    site: Option<Arc<EmbeddedSite>>,
    uri: axum::http::Uri,
    state: axum::extract::State<AppState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let from_disk = leptos_axum::file_and_error_handler_with_context::<AppState, _>(
        security_headers::provide_nonce,
        app::shell,
    );
    let Some(site) = site else {
        return from_disk(uri, state, request).await;
    };
    if let Some(response) = site.respond(request.method(), uri.path(), request.headers()) {
        return response;
    }
    // Nothing from disk: a binary serving its own files must not serve the working directory.
    let not_found = leptos_axum::render_app_to_stream_with_context(
        security_headers::provide_nonce,
        move || app::shell(state.0.leptos_options.clone()),
    );
    not_found(request).await
}

/// The metrics listener: bound, and the recorder installed, before the state is built, so a
/// taken port stops start-up at once and nothing recorded during start-up is lost.
pub struct MetricsListener {
    listener: TcpListener,
    handle: PrometheusHandle,
}

/// Prometheus scrapes from one or two addresses; this is plenty, and bounds what a stray
/// client can hold.
const METRICS_CONNECTIONS: usize = 64;
/// How often histograms are folded into their buckets between scrapes.
const METRICS_UPKEEP: Duration = Duration::from_secs(5);

impl MetricsListener {
    pub async fn bind(addr: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("LATCHKEY_METRICS_ADDR: could not listen on {addr}"))?;
        let handle = crate::telemetry::metrics::install()?;
        Ok(Self { listener, handle })
    }

    /// Serves `GET /metrics` until the process ends.
    pub fn spawn(self, state: &AppState) -> anyhow::Result<()> {
        tracing::info!(
            "serving metrics at http://{}/metrics",
            self.listener.local_addr()?
        );
        let limits = ConnectionLimits {
            max_connections: METRICS_CONNECTIONS,
            max_per_client: METRICS_CONNECTIONS,
            header_timeout: state.config.header_timeout,
            trusted_proxies: Vec::new(),
        };
        let upkeep = self.handle.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(METRICS_UPKEEP);
            loop {
                tick.tick().await;
                upkeep.run_upkeep();
            }
        });
        let router = metrics_endpoint::router(self.handle, state.db.clone());
        tokio::spawn(connections::serve(
            self.listener,
            router,
            limits,
            std::future::pending(),
        ));
        Ok(())
    }
}

/// Spawns the revocation feed, key reloads, revocation pruning, the retention sweep and
/// rate-limit housekeeping.
pub fn spawn_background(state: &AppState) {
    state.auth.spawn_revocation_feed();
    state.auth.spawn_maintenance();
    state.auth.spawn_retention();
    let backend = Arc::downgrade(&state.backend);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            match backend.upgrade() {
                Some(backend) => backend.forget_idle_limits(),
                None => return,
            }
        }
    });
}

/// Serves until SIGTERM or Ctrl-C, then lets in-flight requests finish.
pub async fn serve(listener: TcpListener, router: Router, limits: ConnectionLimits) {
    let descriptors = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    // Each connection holds a descriptor; the pool, the database files and logs need some too.
    if descriptors < limits.max_connections as u64 + 128 {
        tracing::warn!(
            "LATCHKEY_MAX_CONNECTIONS is {} but the open-files limit is {descriptors}; past it \
             the server pauses accepting instead. Raise the limit (systemd: LimitNOFILE)",
            limits.max_connections
        );
    }
    connections::serve(listener, router, limits, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
