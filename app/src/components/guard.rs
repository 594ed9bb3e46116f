use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;

use crate::auth::{use_auth, AuthStatus};
use crate::platform::encode_uri_component;

/// What a protected page may show; it changes only when the signed-in user or role does, so
/// a token renewal never rebuilds the page.
#[derive(Clone, PartialEq)]
enum Gate {
    Waiting,
    Allowed { user_id: String },
    AdminsOnly,
}

/// Renders its children for a signed-in user; while the session is being checked it says so,
/// and a signed-out visitor is sent to sign in (and brought back afterwards).
#[component]
pub fn RequireAuth(children: ChildrenFn, #[prop(optional)] admin: bool) -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    // The page this guard protects, read once: by the time a sign-out is seen the router may
    // already be on the sign-in page, which must never become the way back.
    let here = use_location().pathname.get_untracked();
    Effect::new(move |_| {
        if let AuthStatus::SignedOut(reason) = auth.status.get() {
            let mut url = format!("/login?next={}", encode_uri_component(&here));
            if let Some(reason) = reason {
                url.push_str(&format!("&reason={}", reason.as_query()));
            }
            navigate(
                &url,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    let gate = Memo::new(move |_| match auth.status.get() {
        AuthStatus::SignedIn(user) if admin && !user.is_admin() => Gate::AdminsOnly,
        AuthStatus::SignedIn(user) => Gate::Allowed { user_id: user.id },
        _ => Gate::Waiting,
    });
    move || match gate.get() {
        Gate::AdminsOnly => view! {
            <section class="card narrow" data-testid="forbidden">
                <h1>"403 — Admins only"</h1>
                <p>"Your account does not have access to the admin console."</p>
                <a class="button" href="/sessions">"Back to your devices"</a>
            </section>
        }
        .into_any(),
        Gate::Allowed { .. } => children().into_any(),
        Gate::Waiting => {
            view! { <p class="checking" role="status">"Checking your session…"</p> }.into_any()
        }
    }
}
