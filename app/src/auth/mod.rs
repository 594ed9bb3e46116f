//! Client-side auth state: the access token lives in memory only (never in storage or a
//! readable cookie); the refresh token is an httpOnly cookie the page cannot read.

pub mod token;
