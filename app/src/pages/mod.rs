mod account;
mod activity;
mod admin;
mod home;
mod not_found;
mod sessions;
mod sign_in;

pub use account::Account;
pub use activity::Activity;
pub use admin::Admin;
pub use home::Home;
pub use not_found::NotFound;
pub use sessions::Sessions;
pub use sign_in::{Register, SignIn};
