//! What the server and the page agree on: the JSON of the HTTP contract, its enums, the error
//! codes with their statuses, and the password rules. Both sides compile this crate, so each
//! is written once; it holds no Leptos, SQL or cryptography, and the engine may use it.

pub mod account;
pub mod error;
pub mod event;
pub mod password;
pub mod session;
pub mod user;
pub mod wire_enum;

pub use account::ResetLinkResponse;
pub use error::ErrorCode;
pub use event::{EventDto, EventKind, EventsResponse};
pub use session::{
    EndedSessionDto, RevokeReason, RevokedCount, SessionAddressDto, SessionDto, SessionsResponse,
};
pub use user::{
    AdminUserDto, AdminUsersResponse, AuthResponse, Done, RegistrationStatus, Role, UserDto,
};
