//! The access token, in this tab's memory only. The server-function client reads it from here
//! (its `send` is an associated function, so it cannot reach reactive context); the reactive
//! `AuthState` mirrors it for the UI.

#[cfg(feature = "hydrate")]
thread_local! {
    static TOKEN: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

pub fn current() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        TOKEN.with(|t| t.borrow().clone())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

pub fn set(token: Option<String>) {
    #[cfg(feature = "hydrate")]
    TOKEN.with(|t| *t.borrow_mut() = token);
    #[cfg(not(feature = "hydrate"))]
    let _ = token;
}
