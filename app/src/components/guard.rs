use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;

use crate::auth::{use_auth, AuthStatus};

/// Renders its children for a signed-in user; while the session is being checked it says so,
/// and a signed-out visitor is sent to sign in (and brought back afterwards).
#[component]
pub fn RequireAuth(children: ChildrenFn, #[prop(optional)] admin: bool) -> impl IntoView {
    let auth = use_auth();
    let location = use_location();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let AuthStatus::SignedOut(reason) = auth.status.get() {
            let mut url = format!("/login?next={}", encode(&location.pathname.get_untracked()));
            if let Some(reason) = reason {
                url.push_str(&format!("&reason={}", encode(&reason)));
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
    move || match auth.status.get() {
        AuthStatus::SignedIn(user) if admin && !user.is_admin() => view! {
            <section class="card narrow" data-testid="forbidden">
                <h1>"403 — Admins only"</h1>
                <p>"Your account does not have access to the admin console."</p>
                <a class="button" href="/sessions">"Back to your devices"</a>
            </section>
        }
        .into_any(),
        AuthStatus::SignedIn(_) => children().into_any(),
        _ => view! { <p class="checking" role="status">"Checking your session…"</p> }.into_any(),
    }
}

fn encode(raw: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        String::from(js_sys::encode_uri_component(raw))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        raw.to_owned()
    }
}
