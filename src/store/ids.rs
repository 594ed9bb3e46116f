//! Ids as types, so a user id cannot be passed where a session id is expected. Each is a UUIDv7
//! (time-ordered, so ids also break ties in creation order), stored and sent as text.
//!
//! ```compile_fail
//! use latchkey::store::{SessionId, UserId};
//! fn end_session(_: &SessionId) {}
//! end_session(&UserId::generate()); // a user id is not a session id
//! ```

use std::borrow::Borrow;
use std::fmt;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, sqlx::Type, serde::Serialize, serde::Deserialize,
        )]
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            /// Ids from clients are used only after they parse as UUIDs (in canonical form),
            /// so junk never reaches SQL.
            pub fn parse(raw: &str) -> Option<Self> {
                uuid::Uuid::parse_str(raw.trim())
                    .ok()
                    .map(|u| Self(u.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// Lets maps keyed by id be searched with the `&str` from a token's claims.
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

id!(
    /// An account.
    UserId
);
id!(
    /// A signed-in device: what one refresh-token chain belongs to.
    SessionId
);
id!(
    /// One refresh token (the row, never the secret).
    TokenId
);
id!(
    /// A security event.
    EventId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_must_be_uuids_and_are_canonicalised() {
        let id = SessionId::generate();
        let shouted = format!("  {}  ", id.as_str().to_uppercase());
        assert_eq!(SessionId::parse(&shouted), Some(id));
        assert_eq!(SessionId::parse("1; DROP TABLE sessions"), None);
        assert_eq!(SessionId::parse(""), None);
    }
}
