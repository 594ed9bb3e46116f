//! What the server and the page agree on. Both sides compile this crate, so a rule or a wire
//! name is written once; it holds no Leptos, SQL or cryptography.

pub mod password;
