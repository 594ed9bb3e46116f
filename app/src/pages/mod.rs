mod account;
mod activity;
mod admin;
mod credentials;
mod home;
mod not_found;
mod reset_password;
mod sessions;

pub use account::Account;
pub use activity::Activity;
pub use admin::Admin;
pub use credentials::{Register, SignIn};
pub use home::Home;
pub use not_found::NotFound;
pub use reset_password::ResetPassword;
pub use sessions::Sessions;
