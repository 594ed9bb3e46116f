//! Signing keys are sealed under a key-encryption key kept outside the database (SECURITY.md,
//! "The security review's findings (issue 7)", item 1, and its unnumbered row on a token for a made-up session).

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use http::StatusCode;
use serde_json::json;

use crate::both_engines;
use crate::support::*;

async fn key_rows(app: &TestApp) -> Vec<(String, Vec<u8>, Option<Vec<u8>>)> {
    sqlx::query_as("SELECT kid, private_der, private_sealed FROM signing_keys")
        .fetch_all(app.pool())
        .await
        .unwrap()
}

both_engines!(
    a_database_dump_holds_no_usable_signing_key,
    |app: TestApp| async move {
        let alice = app.register("dump@example.com").await;
        let rows = key_rows(&app).await;
        assert!(!rows.is_empty());
        for (kid, plain, sealed) in rows {
            assert!(plain.is_empty(), "{kid}: a plain private key is stored");
            let sealed = sealed.expect("sealed key");
            assert!(
                ed25519_dalek::SigningKey::from_pkcs8_der(&sealed).is_err(),
                "{kid}: the stored value is a usable key"
            );
            // Nor does it contain the raw key anywhere inside.
            assert!(sealed.len() > 48);
        }
        // And signing still works.
        let list = app.list_sessions(&alice.access).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    }
);

both_engines!(
    plain_keys_written_by_an_older_version_are_sealed_at_start,
    |app: TestApp| async move {
        // What the previous version wrote: a plain PKCS#8 key, old enough to be the signer.
        let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let der = key.to_pkcs8_der().unwrap().as_bytes().to_vec();
        let now = app.clock_now();
        let kid = "legacy-plain-key";
        sqlx::query(
            "INSERT INTO signing_keys (kid, private_der, public_x, created_at, sign_until, publish_until)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(kid)
        .bind(&der)
        .bind(base64_url(key.verifying_key().as_bytes()))
        .bind(now - 1_000)
        .bind(now + 100_000)
        .bind(now + 200_000)
        .execute(app.pool())
        .await
        .unwrap();

        let upgraded = app.restart_with(&[]).await.expect("restart seals the key");
        let (plain, sealed): (Vec<u8>, Option<Vec<u8>>) =
            sqlx::query_as("SELECT private_der, private_sealed FROM signing_keys WHERE kid = $1")
                .bind(kid)
                .fetch_one(app.pool())
                .await
                .unwrap();
        assert!(plain.is_empty(), "the plain key is still stored");
        assert!(sealed.is_some());
        // The sealed key is the one that signs now: it opened correctly.
        let alice = upgraded.register("legacy@example.com").await;
        assert_eq!(header_kid(&alice.access), kid);
        let list = upgraded.list_sessions(&alice.access).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    }
);

both_engines!(
    the_wrong_key_encryption_key_refuses_to_start,
    |app: TestApp| async move {
        app.register("kek@example.com").await;
        let err = app
            .restart_with(&[(
                "LATCHKEY_KEY_ENCRYPTION_KEY",
                "b3RoZXIta2V5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=",
            )])
            .await
            .err()
            .expect("a different key-encryption key must not start");
        let message = format!("{err:#}");
        assert!(message.contains("LATCHKEY_KEY_ENCRYPTION_KEY"), "{message}");
    }
);

#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_database_its_directory_and_key_file_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh-data");
    let url = format!("sqlite://{}/latchkey.db", data.display());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let config = latchkey::config::Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "LATCHKEY_ARGON2_M_KIB" => Some("8192".into()),
        "LATCHKEY_ARGON2_T" => Some("1".into()),
        _ => None,
    })
    .unwrap();
    let state = latchkey::startup::build_state(config, leptos_options())
        .await
        .expect("starts with a generated key file");
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(&data.join("latchkey.db")), 0o600, "database file");
    assert_eq!(mode(&data.join("latchkey.db.key")), 0o600, "key file");
    if data.join("latchkey.db-wal").exists() {
        assert_eq!(mode(&data.join("latchkey.db-wal")), 0o600, "WAL file");
    }
    drop(state);
}

#[test]
fn postgres_without_a_key_encryption_key_refuses_to_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .env(
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/never_used",
        )
        .env_remove("LATCHKEY_KEY_ENCRYPTION_KEY")
        .env_remove("LATCHKEY_KEY_ENCRYPTION_KEY_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("LATCHKEY_KEY_ENCRYPTION_KEY"), "{stderr}");
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn header_kid(token: &str) -> String {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap();
    let header: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

both_engines!(
    a_token_for_a_made_up_session_gets_nothing_from_admin_endpoints,
    |app: TestApp| async move {
        // Even with the signing key (a leaked KEK and dump), admin endpoints check that the
        // token's session exists and is live.
        let admin = app.admin("root@example.com").await;
        let mut forged = claims(&admin.access);
        forged["sid"] = json!("00000000-0000-7000-8000-000000000000");
        forged["jti"] = json!("forged");
        let (der, kid) = signing_key(&app).await;
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.typ = Some("at+jwt".into());
        header.kid = Some(kid);
        let token = jsonwebtoken::encode(
            &header,
            &forged,
            &jsonwebtoken::EncodingKey::from_ed_der(&der),
        )
        .unwrap();
        let answer = app.list_users(&token, "", 0, 10).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
        // The genuine token still works.
        let genuine = app.list_users(&admin.access, "", 0, 10).await;
        assert_eq!(genuine.status, StatusCode::OK, "{}", genuine.body);
    }
);
