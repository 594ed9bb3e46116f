//! The latchkey web app: pages, components, client auth state, and the server functions
//! (transport only) that the server crate backs with the auth engine.

pub mod api;
pub mod auth;
pub mod components;
pub mod pages;
pub mod platform;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // In the document, not the app: its address follows the build (`/pkg/<build id>/` when the
    // binary serves its own files), which only the server knows.
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.ico" sizes="32x32" />
                <link rel="stylesheet" id="leptos" href=stylesheet />
                <meta name="latchkey-registration"
                    content=if platform::registration_open() { "open" } else { "closed" } />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    auth::provide_auth();
    view! {
        <Title text="latchkey" />
        <Router>
            <components::FocusOnNavigate />
            <components::Nav />
            <main class="page">
                <Routes fallback=pages::NotFound>
                    <Route path=path!("") view=pages::Home />
                    <Route path=path!("login") view=pages::SignIn />
                    <Route path=path!("register") view=pages::Register />
                    <Route path=path!("reset-password") view=pages::ResetPassword />
                    <Route path=path!("sessions") view=pages::Sessions />
                    <Route path=path!("activity") view=pages::Activity />
                    <Route path=path!("account") view=pages::Account />
                    <Route path=path!("admin") view=pages::Admin />
                </Routes>
            </main>
        </Router>
    }
}
