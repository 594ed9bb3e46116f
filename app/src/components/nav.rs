use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::auth::{use_auth, AuthStatus};

#[component]
pub fn Nav() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let sign_out = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let target = match auth.sign_out().await {
                Ok(()) => "/login?signed_out=1",
                Err(_) => "/login?signed_out=failed",
            };
            navigate(target, Default::default());
        });
    };
    view! {
        <header class="nav">
            <a class="brand" href="/" aria-label="latchkey, home">"latchkey"</a>
            <nav aria-label="Main">
                {move || match auth.status.get() {
                    AuthStatus::SignedIn(user) => view! {
                        // `A` marks the link to the page on screen with `aria-current="page"`.
                        <A href="/sessions">"Devices"</A>
                        <A href="/activity">"Activity"</A>
                        <A href="/account">"Account"</A>
                        {user.is_admin().then(|| view! { <A href="/admin">"Admin"</A> })}
                        <span class="who" data-testid="signed-in-as">{user.email.clone()}</span>
                        <button class="button secondary small" on:click=sign_out.clone()>"Sign out"</button>
                    }
                    .into_any(),
                    AuthStatus::Checking => view! { <span class="who muted">"…"</span> }.into_any(),
                    AuthStatus::SignedOut(_) => view! {
                        <A href="/login">"Sign in"</A>
                        <a class="button small" href="/register">"Create account"</a>
                    }
                    .into_any(),
                }}
            </nav>
        </header>
    }
}
