//! A scratch SQLite database per fuzz process, holding the fixed signing key before the engine
//! starts. A file, not `sqlite::memory:`: the pool opens several connections and each would get
//! an empty in-memory database of its own (sqlx's `Any` driver parses the URL per connection).

use std::path::{Path, PathBuf};

use latchkey::db::Db;

use crate::keys;

/// Creates `latchkey-fuzz/<name>-<pid>` in the temporary directory, migrates a database in it and
/// stores the fixed signing key; returns the database URL.
pub async fn prepared(name: &str) -> String {
    let root = std::env::temp_dir().join("latchkey-fuzz");
    remove_abandoned(&root);
    let dir = root.join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(err) = std::fs::create_dir_all(&dir) {
        panic!("fixture: cannot create {}: {err}", dir.display());
    }
    let url = format!("sqlite://{}/latchkey.db", dir.display());
    let db = match Db::connect(&url).await {
        Ok(db) => db,
        Err(err) => panic!("fixture: cannot open {url}: {err}"),
    };
    if let Err(err) = latchkey::store::keys::insert(&db.pool, &keys::access_key_row()).await {
        panic!("fixture: cannot store the signing key: {err}");
    }
    db.pool.close().await;
    url
}

/// Directories of fuzz processes that have ended (a crash skips any clean-up at exit).
fn remove_abandoned(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name.rsplit('-').next().unwrap_or_default();
        if !pid.is_empty() && !PathBuf::from("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
