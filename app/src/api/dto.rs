//! The JSON bodies of the public HTTP contract live in `contract`, shared with the engine;
//! they are re-exported here so pages and server functions name them through `api`.

pub use contract::{
    AdminUserDto, AdminUsersResponse, AuthResponse, Done, EndedSessionDto, EventDto, EventKind,
    EventsResponse, RegistrationStatus, ResetLinkResponse, RevokeReason, RevokedCount, Role,
    SessionAddressDto, SessionDto, SessionsResponse, UserDto,
};
