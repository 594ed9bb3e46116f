//! Where a session is used from. A refresh from another browser family or operating system
//! than the session's is refused; a refresh from a network the session has not used is
//! recorded (and refused when the policy says so). Every session keeps its recent addresses.

use contract::{EventKind, SessionAddressDto};

use crate::store;
use crate::store::session_addresses::AddressRow;
use crate::store::sessions::SessionRow;

use super::device::{network_of, same_kind_of_device, ClientInfo};
use super::error::AuthError;
use super::service::{AuthService, Tx};
use super::settings::NewNetworkPolicy;

/// Why a refresh was refused for where it came from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Refusal {
    DeviceChanged,
    NewNetwork,
}

impl AuthService {
    /// Checks the caller against the session's device and networks, and records its address
    /// in `tx`. `Some` means refuse: the caller rolls back and calls `record_refusal`.
    pub(super) async fn where_from(
        &self,
        tx: &mut Tx,
        session: &SessionRow,
        client: &ClientInfo,
        now: i64,
    ) -> Result<Option<Refusal>, AuthError> {
        if !same_kind_of_device(&session.user_agent, &client.user_agent) {
            return Ok(Some(Refusal::DeviceChanged));
        }
        let known = store::session_addresses::for_session(&mut **tx, &session.id).await?;
        let network = network_of(&client.ip);
        let new_network = network_of(&session.first_ip) != network
            && !known.iter().any(|a| network_of(&a.ip) == network);
        if new_network {
            if self.settings.new_network == NewNetworkPolicy::Refuse {
                return Ok(Some(Refusal::NewNetwork));
            }
            self.event(&session.user_id, EventKind::NewNetwork, now)
                .session(&session.id)
                .device(&client.device_label())
                .ip(&client.ip)
                .save(tx)
                .await?;
        }
        store::session_addresses::record(&mut **tx, &session.id, &client.ip, now).await?;
        if !known.iter().any(|a| a.ip == client.ip) {
            store::session_addresses::trim(&mut **tx, &session.id).await?;
        }
        Ok(None)
    }

    /// Writes the event for a refused refresh (outside the rolled-back rotation) and returns
    /// the error to answer with.
    pub(super) async fn record_refusal(
        &self,
        session: &SessionRow,
        client: &ClientInfo,
        refusal: Refusal,
        now: i64,
    ) -> AuthError {
        let (kind, error) = match refusal {
            Refusal::DeviceChanged => (EventKind::DeviceChanged, AuthError::DeviceChanged),
            Refusal::NewNetwork => (EventKind::NewNetwork, AuthError::NewNetworkRefused),
        };
        let saved = self
            .event(&session.user_id, kind, now)
            .session(&session.id)
            .device(&client.device_label())
            .ip(&client.ip)
            .save_alone(&self.db.pool)
            .await;
        match saved {
            Ok(()) => error,
            Err(err) => err.into(),
        }
    }
}

/// A session's addresses for its owner, most recent first, each marked when its network was
/// new to the session at the time.
pub(super) fn addresses_dto(first_ip: &str, mut rows: Vec<AddressRow>) -> Vec<SessionAddressDto> {
    rows.sort_by_key(|a| a.first_seen_at);
    let mut seen = vec![network_of(first_ip)];
    let mut out: Vec<SessionAddressDto> = rows
        .into_iter()
        .map(|a| {
            let network = network_of(&a.ip);
            let new_network = !seen.contains(&network);
            if new_network {
                seen.push(network);
            }
            SessionAddressDto {
                ip: a.ip,
                first_seen_at: a.first_seen_at,
                last_seen_at: a.last_seen_at,
                new_network,
            }
        })
        .collect();
    out.sort_by_key(|a| std::cmp::Reverse(a.last_seen_at));
    out
}
