//! Every security event is also a log line at target `latchkey::audit`, so fail2ban or a SIEM
//! can act on it without reading the database.
//!
//! A line says only what happened: an event saved in a write transaction is logged after that
//! transaction commits (`NewEvent::save` hands it to `WriteTx::after_commit`), so a rolled-back
//! operation leaves no line. A failed sign-in is logged as it fails, whether or not the email
//! has an account (no event row is written for an unknown one): fail2ban needs the address of
//! every failure, and both paths then do the same work.
//!
//! The email is left out. The user id names the account for good (an email can change), the
//! database or the admin page turns it into an address, and logs are kept longer and read by
//! more people than the accounts table. An email typed at the sign-in form is not logged either:
//! people paste passwords into it.

use crate::store::events::EventRow;
use crate::store::{SessionId, UserId};
use contract::{EventKind, RevokeReason, Role};

pub const TARGET: &str = "latchkey::audit";

/// The line for a stored event; written once the event is durable.
pub(super) fn log_event(event: &EventRow) {
    tracing::info!(
        target: TARGET,
        kind = %event.kind.as_str(),
        event_id = %event.id,
        user_id = %event.user_id,
        session_id = event.session_id.as_ref().map(SessionId::as_str).map(display),
        ip = event.ip.as_deref().map(display),
        device = event.device.as_deref(),
        reason = event.reason.map(RevokeReason::as_str).map(display),
        role = event.role.map(Role::as_str).map(display),
        actor_id = event.actor_id.as_ref().map(UserId::as_str).map(display),
        "security event"
    );
}

/// A failed sign-in that has no event row: the email has no account, or the attempt was
/// refused before the account was looked up.
pub(super) fn log_failed_login_without_account(ip: &str, device: &str) {
    tracing::info!(
        target: TARGET,
        kind = %EventKind::LoginFailed.as_str(),
        ip = %ip,
        device,
        "security event"
    );
}
