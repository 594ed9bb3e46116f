//! Migrations are safe on a database that already holds data: each is applied on top of rows
//! written by the version before it.

use sqlx::migrate::Migrator;
use sqlx::Executor;

use crate::support::*;

/// id, reason, role, actor_id
type EventColumns = (String, Option<String>, Option<String>, Option<String>);

/// Applies the engine's migrations up to and including `last`, as an older release would have.
async fn migrate_up_to(url: &str, engine: Dialect, last: i64) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    if engine == Dialect::Sqlite {
        // As `Db::connect` would create it.
        let path = url.trim_start_matches("sqlite://");
        std::fs::File::create(path).expect("create sqlite file");
    }
    let pool = sqlx::AnyPool::connect(url).await.expect("connect");
    let folder = match engine {
        Dialect::Sqlite => "migrations/sqlite",
        Dialect::Postgres => "migrations/postgres",
    };
    let mut migrator = Migrator::new(std::path::Path::new(folder))
        .await
        .expect("read migrations");
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= last)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    migrator.run(&pool).await.expect("older migrations");
    pool
}

async fn typed_events_after_upgrade(engine: Dialect) {
    let Some(db) = test_db(engine).await else {
        return;
    };
    let old = migrate_up_to(&db.url, engine, 2).await;
    old.execute(
        "INSERT INTO users (id, email, password_hash, role, created_at, updated_at)
         VALUES ('u1', 'old@example.com', 'x', 'admin', 1, 1)",
    )
    .await
    .unwrap();
    // What version 0002 wrote into `detail`.
    for (id, kind, detail) in [
        ("e1", "session_revoked", Some("admin_forced by:admin-7")),
        ("e2", "session_revoked", Some("user_revoked")),
        ("e3", "account_disabled", Some(" by:admin-7")),
        ("e4", "role_changed", Some("admin")),
        ("e5", "registered", Some("admin bootstrap")),
        ("e6", "login_succeeded", None),
    ] {
        sqlx::query(
            "INSERT INTO security_events (id, user_id, kind, at, detail) VALUES ($1, 'u1', $2, 1, $3)",
        )
        .bind(id)
        .bind(kind)
        .bind(detail)
        .execute(&old)
        .await
        .unwrap();
    }
    old.close().await;

    let upgraded = latchkey::db::Db::connect(&db.url).await.expect("upgrade");
    let rows: Vec<EventColumns> =
        sqlx::query_as("SELECT id, reason, role, actor_id FROM security_events ORDER BY id")
            .fetch_all(&upgraded.pool)
            .await
            .unwrap();
    let owned = |s: &str| Some(s.to_owned());
    assert_eq!(
        rows,
        vec![
            ("e1".into(), owned("admin_forced"), None, owned("admin-7")),
            ("e2".into(), owned("user_revoked"), None, None),
            ("e3".into(), None, None, owned("admin-7")),
            ("e4".into(), None, owned("admin"), None),
            ("e5".into(), None, owned("admin"), None),
            ("e6".into(), None, None, None),
        ]
    );
}

#[tokio::test]
async fn old_event_details_become_typed_columns_on_sqlite() {
    typed_events_after_upgrade(Dialect::Sqlite).await;
}

#[tokio::test]
async fn old_event_details_become_typed_columns_on_postgres() {
    typed_events_after_upgrade(Dialect::Postgres).await;
}

/// Sessions from before device binding stay unbound and keep working; their address becomes
/// their first address and the start of their history.
async fn sessions_after_device_binding(engine: Dialect) {
    let Some(db) = test_db(engine).await else {
        return;
    };
    let old = migrate_up_to(&db.url, engine, 3).await;
    old.execute(
        "INSERT INTO users (id, email, password_hash, role, created_at, updated_at)
         VALUES ('u1', 'old@example.com', 'x', 'user', 1, 1)",
    )
    .await
    .unwrap();
    old.execute(
        "INSERT INTO sessions (id, user_id, created_at, last_active_at, idle_expires_at,
                               absolute_expires_at, user_agent, device, ip)
         VALUES ('s1', 'u1', 10, 20, 1000, 2000, 'Firefox', 'Firefox', '198.51.100.4')",
    )
    .await
    .unwrap();
    old.close().await;

    let upgraded = latchkey::db::Db::connect(&db.url).await.expect("upgrade");
    let (jkt, first_ip): (Option<String>, String) =
        sqlx::query_as("SELECT dpop_jkt, first_ip FROM sessions WHERE id = 's1'")
            .fetch_one(&upgraded.pool)
            .await
            .unwrap();
    assert_eq!((jkt, first_ip.as_str()), (None, "198.51.100.4"));
    let addresses: Vec<(String, i64)> =
        sqlx::query_as("SELECT ip, last_seen_at FROM session_addresses WHERE session_id = 's1'")
            .fetch_all(&upgraded.pool)
            .await
            .unwrap();
    assert_eq!(addresses, vec![("198.51.100.4".to_owned(), 20)]);
}

#[tokio::test]
async fn old_sessions_stay_unbound_on_sqlite() {
    sessions_after_device_binding(Dialect::Sqlite).await;
}

#[tokio::test]
async fn old_sessions_stay_unbound_on_postgres() {
    sessions_after_device_binding(Dialect::Postgres).await;
}

/// The retention indexes go onto a database full of rows written before them, and the first
/// sweep clears the backlog of what is past retention while the live session stays.
async fn backlog_after_retention(engine: Dialect) {
    use latchkey::auth::clock::{Clock, ManualClock};
    let Some(db) = test_db(engine).await else {
        return;
    };
    let clock = ManualClock::default();
    let now = clock.now();
    let old = migrate_up_to(&db.url, engine, 5).await;
    old.execute(
        "INSERT INTO users (id, email, password_hash, role, created_at, updated_at)
         VALUES ('u1', 'old@example.com', 'x', 'user', 1, 1)",
    )
    .await
    .unwrap();
    for (id, idle_expires_at, revoked_at) in [
        ("ended", 1_000, Some(500_i64)),
        ("expired", 1_000, None),
        ("live", now + 1_000, None),
    ] {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, last_active_at, idle_expires_at,
                                   absolute_expires_at, user_agent, device, ip, revoked_at)
             VALUES ($1, 'u1', 10, 20, $2, $3, 'Firefox', 'Firefox', '198.51.100.4', $4)",
        )
        .bind(id)
        .bind(idle_expires_at)
        .bind(now + 2_000)
        .bind(revoked_at)
        .execute(&old)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO session_addresses (session_id, ip, first_seen_at, last_seen_at)
             VALUES ($1, '198.51.100.4', 20, 20)",
        )
        .bind(id)
        .execute(&old)
        .await
        .unwrap();
        // A token rotated long ago, and the session's current one.
        for (token, used_at) in [("rotated", Some(20_i64)), ("current", None)] {
            sqlx::query(
                "INSERT INTO refresh_tokens (id, session_id, token_hash, created_at, used_at)
                 VALUES ($1, $2, $3, 10, $4)",
            )
            .bind(format!("{id}-{token}"))
            .bind(id)
            .bind(format!("{id}-{token}").into_bytes())
            .bind(used_at)
            .execute(&old)
            .await
            .unwrap();
        }
    }
    for (id, at) in [("old-event", 30_i64), ("new-event", now - 60)] {
        sqlx::query(
            "INSERT INTO security_events (id, user_id, kind, at) VALUES ($1, 'u1', 'login_succeeded', $2)",
        )
        .bind(id)
        .bind(at)
        .execute(&old)
        .await
        .unwrap();
    }
    old.close().await;

    let upgraded = latchkey::db::Db::connect(&db.url).await.expect("upgrade");
    let settings = test_config(&db, &[]).auth_settings();
    let auth =
        latchkey::auth::AuthService::start(upgraded.clone(), settings, std::sync::Arc::new(clock))
            .await
            .unwrap();
    let report = auth.sweep(now).await.unwrap().unwrap();
    assert_eq!(
        (
            report.sessions,
            report.refresh_tokens,
            report.session_addresses,
            report.events
        ),
        (2, 5, 2, 1),
        "{report:?}"
    );
    let ids = |table: &'static str, column: &'static str| {
        let pool = upgraded.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(&format!(
                "SELECT {column} FROM {table} ORDER BY {column}"
            ))
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(ids("sessions", "id").await, ["live"]);
    assert_eq!(ids("refresh_tokens", "id").await, ["live-current"]);
    assert_eq!(ids("session_addresses", "session_id").await, ["live"]);
    assert_eq!(ids("security_events", "id").await, ["new-event"]);
}

#[tokio::test]
async fn a_backlog_is_swept_after_the_retention_migration_on_sqlite() {
    backlog_after_retention(Dialect::Sqlite).await;
}

#[tokio::test]
async fn a_backlog_is_swept_after_the_retention_migration_on_postgres() {
    backlog_after_retention(Dialect::Postgres).await;
}
