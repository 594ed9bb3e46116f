//! Revocations announced to every instance on the same PostgreSQL database with `NOTIFY`.
//! A notice sent inside the revoking transaction is delivered only if that transaction commits,
//! so no instance ever refuses a session that is still live in the database.

use serde::{Deserialize, Serialize};
use sqlx::{Any, Executor};

use super::ids::{SessionId, UserId};

/// The channel every instance listens on.
pub const CHANNEL: &str = "latchkey_revocations";

/// PostgreSQL refuses payloads of 8000 bytes or more; an id takes 39 bytes in the JSON.
const SESSIONS_PER_NOTICE: usize = 150;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// These sessions ended at `at`: refuse their access tokens.
    Sessions { ids: Vec<SessionId>, at: i64 },
    /// Refuse every access token of `user` issued before `before`.
    UserTokensBefore { user: UserId, before: i64 },
    /// An instance checking that its own listener still hears the channel.
    Heartbeat { from: String },
}

impl Notice {
    /// The notices that announce `ended`, each small enough for one `NOTIFY`.
    pub fn for_sessions(ended: &[SessionId], at: i64) -> impl Iterator<Item = Notice> + '_ {
        ended
            .chunks(SESSIONS_PER_NOTICE)
            .map(move |ids| Notice::Sessions {
                ids: ids.to_vec(),
                at,
            })
    }

    /// `None` for a payload this version does not understand (a newer instance's notice during
    /// a rolling upgrade): the listener then reloads from the database instead.
    pub fn parse(payload: &str) -> Option<Notice> {
        serde_json::from_str(payload).ok()
    }
}

/// Sends `notice` on the channel; inside a transaction it is delivered at commit.
pub async fn publish<'c>(
    ex: impl Executor<'c, Database = Any>,
    notice: &Notice,
) -> sqlx::Result<()> {
    let payload = serde_json::to_string(notice).map_err(|e| sqlx::Error::Encode(e.into()))?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(ex)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_revocations_split_into_notices_postgres_accepts() -> serde_json::Result<()> {
        let ended: Vec<SessionId> = (0..1_000).map(|_| SessionId::generate()).collect();
        let notices: Vec<Notice> = Notice::for_sessions(&ended, 1_700_000_000).collect();
        assert_eq!(notices.len(), 7);
        let mut seen = Vec::new();
        for notice in &notices {
            let payload = serde_json::to_string(notice)?;
            assert!(payload.len() < 8000, "{} bytes", payload.len());
            assert_eq!(Notice::parse(&payload).as_ref(), Some(notice));
            if let Notice::Sessions { ids, .. } = notice {
                seen.extend(ids.iter().cloned());
            }
        }
        assert_eq!(seen, ended);
        Ok(())
    }

    #[test]
    fn unknown_notices_are_not_guessed() {
        assert_eq!(Notice::parse(r#"{"kind":"keys_rotated"}"#), None);
        assert_eq!(Notice::parse("not json"), None);
    }
}
