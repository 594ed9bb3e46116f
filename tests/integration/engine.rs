//! The engine called directly, without HTTP or Leptos: rotation races on both databases.

use std::sync::Arc;

use latchkey::auth::{AuthError, ClientInfo};

use crate::both_engines;
use crate::support::*;

// Named so that SECURITY.md's `engine.rs::parallel_rotation_on_*` (attack 19) still finds it.
both_engines!(
    parallel_rotation_on_both_engines,
    |app: TestApp| async move {
        let auth = app.state.auth.clone();
        let client = ClientInfo::new("192.0.2.1", UA_FIREFOX);
        let issued = auth
            .register("engine@example.com", PASSWORD, &client)
            .await
            .unwrap();
        let token = Arc::new(issued.refresh_token.into_string());
        let calls = (0..10).map(|_| {
            let (auth, token, client) = (auth.clone(), token.clone(), client.clone());
            tokio::spawn(async move { auth.refresh(Some(&token), &client).await })
        });
        let mut successors = std::collections::HashSet::new();
        for result in futures::future::join_all(calls).await {
            successors.insert(
                result
                    .unwrap()
                    .expect("every parallel refresh succeeds")
                    .refresh_token
                    .into_string(),
            );
        }
        assert_eq!(successors.len(), 1);
        let live: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM refresh_tokens WHERE used_at IS NULL")
                .fetch_one(app.pool())
                .await
                .unwrap();
        assert_eq!(live, 1);

        app.clock.advance(11);
        let replay = auth.refresh(Some(&token), &client).await;
        assert!(
            matches!(replay, Err(AuthError::RefreshReused)),
            "{replay:?}"
        );
        let successor = successors.into_iter().next().unwrap();
        assert!(matches!(
            auth.refresh(Some(&successor), &client).await,
            Err(AuthError::RefreshReused)
        ));
    }
);
