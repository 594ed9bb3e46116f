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
