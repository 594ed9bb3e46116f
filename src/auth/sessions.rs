//! What a signed-in user can do with their own sessions and events.

use std::collections::HashMap;

use contract::{EndedSessionDto, EventDto, SessionDto, SessionsResponse};

use crate::store;
use crate::store::session_addresses::AddressRow;
use crate::store::sessions::SessionRow;

use super::domain::{RevokeReason, SessionId, UserId};
use super::error::AuthError;
use super::events::event_dto;
use super::service::{AuthService, Principal};
use super::whereabouts::addresses_dto;

/// Ended sessions stay listed for this long.
const ENDED_WINDOW_SECS: i64 = 30 * 24 * 3600;
const ENDED_LIMIT: i64 = 20;
/// The most events one page holds.
pub const EVENTS_PAGE_MAX: i64 = 100;

impl AuthService {
    #[tracing::instrument(skip_all)]
    pub async fn list_sessions(
        &self,
        user_id: &UserId,
        current_session: Option<&SessionId>,
    ) -> Result<SessionsResponse, AuthError> {
        let now = self.now();
        // Three reads on three pooled connections at once: the page waits for the slowest only.
        let (active, ended, address_rows) = tokio::try_join!(
            store::sessions::active_for_user(&self.db.pool, user_id, now),
            store::sessions::ended_for_user(
                &self.db.pool,
                user_id,
                now,
                now - ENDED_WINDOW_SECS,
                ENDED_LIMIT,
            ),
            store::session_addresses::for_user(&self.db.pool, user_id),
        )?;
        let mut addresses: HashMap<SessionId, Vec<AddressRow>> = HashMap::new();
        for (session, address) in address_rows {
            addresses.entry(session).or_default().push(address);
        }
        let mut sessions: Vec<SessionDto> = active
            .into_iter()
            .map(|s| SessionDto {
                current: current_session == Some(&s.id),
                expires_at: s.expires_at(),
                bound: s.dpop_jkt.is_some(),
                addresses: addresses_dto(&s.first_ip, addresses.remove(&s.id).unwrap_or_default()),
                first_ip: s.first_ip,
                id: s.id.into_string(),
                device: s.device,
                user_agent: s.user_agent,
                ip: s.ip,
                created_at: s.created_at,
                last_active_at: s.last_active_at,
            })
            .collect();
        // The device in the person's hand comes first; the rest stay most recent first.
        sessions.sort_by_key(|s| !s.current);
        Ok(SessionsResponse {
            sessions,
            ended: ended.into_iter().map(ended_dto).collect(),
        })
    }

    /// Revokes one of the caller's own sessions. Someone else's session id is answered exactly
    /// like an id that does not exist.
    #[tracing::instrument(skip_all, fields(user = %who.user_id, session = %who.session_id))]
    pub async fn revoke_session(
        &self,
        who: &Principal,
        session_id: &SessionId,
    ) -> Result<(), AuthError> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let session = store::sessions::get(&mut *tx, session_id)
            .await?
            .filter(|s| s.user_id == who.user_id && s.revoked_at.is_none())
            .ok_or(AuthError::NotFound)?;
        let reason = if session.id == who.session_id {
            RevokeReason::Logout
        } else {
            RevokeReason::UserRevoked
        };
        self.revoke_one(&mut tx, &session, reason, None, now)
            .await?;
        self.commit_revoking(tx, std::slice::from_ref(&session.id), now)
            .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(user = %who.user_id, session = %who.session_id))]
    pub async fn revoke_other_sessions(&self, who: &Principal) -> Result<u64, AuthError> {
        self.end_own_sessions(who, Some(&who.session_id), RevokeReason::RevokedOthers)
            .await
    }

    /// "Sign out everywhere": every session of the caller ends, this one included, and every
    /// access token already issued to the account is refused from now on.
    #[tracing::instrument(skip_all, fields(user = %who.user_id, session = %who.session_id))]
    pub async fn revoke_all_sessions(&self, who: &Principal) -> Result<u64, AuthError> {
        self.end_own_sessions(who, None, RevokeReason::SignedOutEverywhere)
            .await
    }

    async fn end_own_sessions(
        &self,
        who: &Principal,
        keep: Option<&SessionId>,
        reason: RevokeReason,
    ) -> Result<u64, AuthError> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let ended = self
            .revoke_all(&mut tx, &who.user_id, keep, reason, None, now)
            .await?;
        match keep {
            Some(_) => self.commit_revoking(tx, &ended, now).await?,
            None => {
                self.commit_revoking_user(tx, &ended, &who.user_id, now)
                    .await?
            }
        }
        Ok(ended.len() as u64)
    }

    #[tracing::instrument(skip_all)]
    /// A page of the account's security events, newest first, and how many there are.
    pub async fn events(
        &self,
        user_id: &UserId,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<EventDto>, i64), AuthError> {
        let (offset, limit) = (offset.max(0), limit.clamp(1, EVENTS_PAGE_MAX));
        let (rows, total) = tokio::try_join!(
            store::events::for_user(&self.db.pool, user_id, offset, limit),
            store::events::count_for_user(&self.db.pool, user_id),
        )?;
        Ok((rows.into_iter().map(event_dto).collect(), total))
    }
}

fn ended_dto(s: SessionRow) -> EndedSessionDto {
    let expired_at = s.expires_at();
    EndedSessionDto {
        ended_at: s.revoked_at.unwrap_or(expired_at),
        reason: s.revoke_reason.unwrap_or_else(|| {
            RevokeReason::expiry(s.idle_expires_at, s.absolute_expires_at, expired_at)
        }),
        id: s.id.into_string(),
        device: s.device,
        ip: s.ip,
        created_at: s.created_at,
    }
}
