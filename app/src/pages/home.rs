use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use contract::UserDto;

use crate::api;
use crate::auth::{use_auth, AuthStatus};
use crate::components::{count, RelativeTime};

/// Signed out: what latchkey is, and the way in. Signed in: the account at a glance.
#[component]
pub fn Home() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    view! {
        <Title text="latchkey · sign-in and sessions you can see" />
        {move || query.read().get("account_deleted").map(|_| view! {
            <p class="notice" role="status" data-testid="account-deleted">
                "Your account has been deleted, and every device it was signed in on has been signed out."
            </p>
        })}
        {move || match auth.status.get() {
            AuthStatus::SignedIn(user) => view! { <AtAGlance user /> }.into_any(),
            // While the session is being restored, the visitor sees what latchkey is; the
            // page turns into their overview once it is.
            _ => view! { <Welcome /> }.into_any(),
        }}
    }
}

#[component]
fn Welcome() -> impl IntoView {
    view! {
        <section class="hero">
            <h1>"latchkey"</h1>
            <p class="lede">"Sign-in and sessions you can see, revoke and trust."</p>
            <p class="actions centred">
                <a class="button" href="/login">"Sign in"</a>
                <a class="button secondary" href="/register">"Create an account"</a>
            </p>
        </section>
        <section class="features" aria-label="What latchkey does">
            <div class="card">
                <h2>"Every device, in plain sight"</h2>
                <p>"See each browser and computer signed in to your account, where it was used and when, and sign any of them out from here."</p>
            </div>
            <div class="card">
                <h2>"A stolen sign-in stops working"</h2>
                <p>"Your session is tied to a key your browser cannot hand out. A copied sign-in cookie is refused, and one used twice ends the session and says so."</p>
            </div>
            <div class="card">
                <h2>"A record you can read"</h2>
                <p>"Sign-ins, failed attempts, password changes and ended sessions are listed in your security activity, with the device and network."</p>
            </div>
        </section>
    }
}

#[component]
fn AtAGlance(user: UserDto) -> impl IntoView {
    let auth = use_auth();
    let sessions = LocalResource::new(move || async move { auth.call(api::list_sessions).await });
    let events = LocalResource::new(move || async move {
        auth.call(|| api::security_events(Some(0), Some(1))).await
    });
    view! {
        <section>
            <h1>"Your account"</h1>
            <p class="lede">"Signed in as " <strong>{user.email.clone()}</strong>
                {user.is_admin().then_some(", administrator")} "."</p>
        </section>
        <section class="features">
            <div class="card" data-testid="glance-devices">
                <h2>"Devices"</h2>
                <Suspense fallback=|| view! { <p class="checking" role="status">"Loading devices…"</p> }>
                    {move || sessions.get().map(|result| match result {
                        Ok(list) => {
                            let live = list.sessions.len() as u64;
                            view! { <p>{count(live, "device is", "devices are")} " signed in."</p> }.into_any()
                        }
                        Err(err) => view! { <p class="error" role="alert">{err.message}</p> }.into_any(),
                    })}
                </Suspense>
                <a href="/sessions">"Review your devices"</a>
            </div>
            <div class="card" data-testid="glance-activity">
                <h2>"Latest activity"</h2>
                <Suspense fallback=|| view! { <p class="checking" role="status">"Loading activity…"</p> }>
                    {move || events.get().map(|result| match result {
                        Ok(list) => match list.events.into_iter().next() {
                            Some(latest) => view! {
                                <p>{crate::pages::activity::describe(&latest)} ", " <RelativeTime at=latest.at /> "."</p>
                            }.into_any(),
                            None => view! { <p>"Nothing yet."</p> }.into_any(),
                        },
                        Err(err) => view! { <p class="error" role="alert">{err.message}</p> }.into_any(),
                    })}
                </Suspense>
                <a href="/activity">"See all activity"</a>
            </div>
            <div class="card">
                <h2>"Password"</h2>
                <p>"Change it whenever you like; you choose whether other devices stay signed in."</p>
                <a href="/account">"Change your password"</a>
            </div>
        </section>
    }
}
