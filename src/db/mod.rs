//! The database pool. One sqlx `AnyPool` serves both engines, so every query is written once;
//! SQL that differs lives only in the per-engine migration folders.

mod sweep_lock;
mod unavailable;
pub use sweep_lock::{SweepLock, SWEEP_LOCK_KEY};
pub use unavailable::Unavailable;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub dialect: Dialect,
    /// Kept for the connections a pool cannot give: PostgreSQL's `LISTEN` needs its own.
    url: Arc<str>,
    /// SQLite's writers take turns here, in order, before they take a connection.
    writers: Arc<tokio::sync::Mutex<()>>,
    /// Taken by the retention sweep (`try_sweep_lock`).
    sweeper: Arc<tokio::sync::Mutex<()>>,
}

/// A write transaction; on SQLite it also holds this process's writer turn until it ends.
/// Derefs to the connection, like sqlx's `Transaction`, so queries take `&mut *tx`.
pub struct WriteTx {
    inner: Option<Inner>,
    /// What may be told only once the writes are durable (audit lines, metrics); run in order
    /// after a successful commit, dropped unrun on rollback, drop or a failed commit.
    after_commit: Vec<Box<dyn FnOnce() + Send>>,
}

enum Inner {
    Sqlite(SqliteWrite),
    Postgres(Transaction<'static, Any>),
}

/// sqlx's `Transaction` is not used on SQLite: when a write fails with SQLITE_FULL or an I/O
/// error, SQLite may already have rolled the transaction back, sqlx's own rollback then fails,
/// and the connection went back to the pool believing it was still inside a transaction (every
/// later write on it failed with "begin_with at non-zero transaction depth" until a restart).
/// Here a connection returns to the pool only after a ROLLBACK or COMMIT succeeded on it.
struct SqliteWrite {
    conn: PoolConnection<Any>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl SqliteWrite {
    async fn begin(pool: &AnyPool, turn: tokio::sync::OwnedMutexGuard<()>) -> sqlx::Result<Self> {
        let mut conn = pool.acquire().await?;
        conn.execute("BEGIN IMMEDIATE").await?;
        Ok(Self { conn, _turn: turn })
    }

    async fn commit(mut self) -> sqlx::Result<()> {
        match self.conn.execute("COMMIT").await {
            Ok(_) => Ok(()),
            Err(err) => {
                self.abandon().await;
                Err(err)
            }
        }
    }

    /// Rolls back; a connection whose state is then unknown is closed instead of reused.
    async fn abandon(mut self) {
        if self.conn.execute("ROLLBACK").await.is_err() {
            self.conn.close_on_drop();
        }
    }
}

impl WriteTx {
    fn new(inner: Inner) -> Self {
        Self {
            inner: Some(inner),
            after_commit: Vec::new(),
        }
    }

    /// Runs `action` if and when this transaction commits.
    pub fn after_commit(&mut self, action: impl FnOnce() + Send + 'static) {
        self.after_commit.push(Box::new(action));
    }

    pub async fn commit(mut self) -> sqlx::Result<()> {
        let committed = match self.inner.take() {
            Some(Inner::Sqlite(write)) => write.commit().await,
            Some(Inner::Postgres(tx)) => tx.commit().await,
            None => Ok(()),
        };
        if committed.is_ok() {
            for action in std::mem::take(&mut self.after_commit) {
                action();
            }
        }
        committed
    }

    pub async fn rollback(mut self) -> sqlx::Result<()> {
        match self.inner.take() {
            Some(Inner::Sqlite(write)) => {
                write.abandon().await;
                Ok(())
            }
            Some(Inner::Postgres(tx)) => tx.rollback().await,
            None => Ok(()),
        }
    }
}

impl Drop for WriteTx {
    /// Dropped without commit (an error path): roll back before the connection and the writer
    /// turn are released. sqlx's `Transaction` does the same for PostgreSQL on its own drop.
    fn drop(&mut self) {
        let Some(Inner::Sqlite(mut write)) = self.inner.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(write.abandon());
            }
            // Closing the connection rolls its transaction back.
            Err(_) => write.conn.close_on_drop(),
        }
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match &self.inner {
            Some(Inner::Sqlite(write)) => &write.conn,
            Some(Inner::Postgres(tx)) => tx,
            None => unreachable!("a WriteTx is only emptied by commit, rollback or drop"),
        }
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.inner {
            Some(Inner::Sqlite(write)) => &mut write.conn,
            Some(Inner::Postgres(tx)) => tx,
            None => unreachable!("a WriteTx is only emptied by commit, rollback or drop"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("could not create the SQLite directory {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("could not create the SQLite database {path}: {source}")]
    CreateFile {
        path: String,
        source: std::io::Error,
    },
    #[error("could not connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("could not apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "another latchkey server is already serving {path}{holder}. With SQLite one server owns \
         the database (its revocation list and rate limits live in its memory); stop the other \
         one, or run several instances on PostgreSQL (see the README, \"Running more than one \
         instance\")"
    )]
    SecondServer { path: String, holder: String },
    #[error("could not lock {path}: {source}")]
    Lock {
        path: String,
        source: std::io::Error,
    },
}

/// Held for as long as the server runs; the lock ends with the process, however it ends.
pub struct ServerLock {
    _file: std::fs::File,
}

/// On SQLite, makes sure no other `latchkey serve` uses the same database file: a second server
/// would keep its own revocation list and never hear the first one's revocations. The admin
/// CLI does not take the lock (the server polls for what it revokes). `None` for PostgreSQL
/// and in-memory databases.
pub fn claim_single_server(url: &str) -> Result<Option<ServerLock>, DbError> {
    let Some(path) = crate::config::sqlite_path(url) else {
        return Ok(None);
    };
    let mut lock_path = path.into_os_string();
    lock_path.push(".server-lock");
    let lock_path = std::path::PathBuf::from(lock_path);
    let shown = lock_path.display().to_string();
    if let Some(dir) = lock_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(|source| DbError::CreateDir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|source| DbError::Lock {
            path: shown.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = std::io::Read::read_to_string(&mut file, &mut pid);
            let pid = pid.trim();
            return Err(DbError::SecondServer {
                path: crate::config::sqlite_path(url)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                holder: if pid.is_empty() {
                    String::new()
                } else {
                    format!(" (process {pid})")
                },
            });
        }
        Err(std::fs::TryLockError::Error(source)) => {
            return Err(DbError::Lock {
                path: shown,
                source,
            })
        }
    }
    // Who holds it, for the message above; the lock, not this text, is what counts.
    let _ = file.set_len(0);
    let _ = std::io::Write::write_all(&mut file, std::process::id().to_string().as_bytes());
    Ok(Some(ServerLock { _file: file }))
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Db {
    /// A transaction that will write. On SQLite it takes the write lock up front: a deferred
    /// transaction that reads and then writes fails with SQLITE_BUSY (no waiting) if another
    /// writer went first. Writers of this process first queue for their turn in memory:
    /// left to SQLite's busy handler, which sleeps and retries with growing pauses (up to
    /// 100 ms), 64 refreshing clients saw a p99 of 115 ms for a 0.4 ms transaction.
    pub async fn begin_write(&self) -> sqlx::Result<WriteTx> {
        match self.dialect {
            Dialect::Sqlite => {
                let turn = self.writers.clone().lock_owned().await;
                let write = SqliteWrite::begin(&self.pool, turn).await?;
                Ok(WriteTx::new(Inner::Sqlite(write)))
            }
            Dialect::Postgres => Ok(WriteTx::new(Inner::Postgres(self.pool.begin().await?))),
        }
    }

    /// Connects, applies the engine's migrations and returns a ready pool.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else {
            Dialect::Postgres
        };
        let pool = match dialect {
            Dialect::Sqlite => connect_sqlite(url).await?,
            Dialect::Postgres => AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await
                .map_err(DbError::Connect)?,
        };
        let migrator = match dialect {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await?;
        Ok(Self {
            pool,
            dialect,
            url: url.into(),
            writers: Arc::default(),
            sweeper: Arc::default(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// True when the database answers a trivial query within a second.
    pub async fn ping(&self) -> bool {
        let query = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&self.pool);
        matches!(
            tokio::time::timeout(Duration::from_secs(1), query).await,
            Ok(Ok(1))
        )
    }
}

async fn connect_sqlite(url: &str) -> Result<AnyPool, DbError> {
    let mut url = url.to_owned();
    if let Some(path) = crate::config::sqlite_path(&url) {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir).map_err(|source| DbError::CreateDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        // SQLite gives its -wal and -shm files the database file's permissions.
        make_private_file(&path).map_err(|source| DbError::CreateFile {
            path: path.display().to_string(),
            source,
        })?;
        if !url.contains("mode=") {
            url.push_str(if url.contains('?') {
                "&mode=rwc"
            } else {
                "?mode=rwc"
            });
        }
    }
    let options = AnyConnectOptions::from_str(&url).map_err(DbError::Connect)?;
    AnyPoolOptions::new()
        // SQLite has one writer; a few connections serve readers while a write waits.
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // WAL lets readers run beside the writer; busy_timeout makes writers queue instead
                // of failing with SQLITE_BUSY; foreign keys are off by default in SQLite.
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = NORMAL").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                conn.execute("PRAGMA busy_timeout = 5000").await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(DbError::Connect)
}

/// Creates a directory (and its parents) readable by the owner only. An existing directory is
/// left as it is: it may be shared on purpose.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates the database file owner-only, or takes group and other access away from an existing
/// one: it holds password hashes, sessions and the sealed signing keys.
fn make_private_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => return Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(err) => return Err(err),
        }
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
            tracing::warn!(path = %path.display(), "the database file was readable by other users; it is now owner-only");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
