use contract::password;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::{self, ApiError, ErrorCode};
use crate::auth::SignedOutReason;
use crate::components::{use_hydrated, PasswordMeter};
use crate::platform::take_location_fragment;

/// Where a password reset link lands. The link's token is in the address's fragment, which
/// the browser never sends to a server; this page reads it and posts it in the JSON body.
#[component]
pub fn ResetPassword() -> impl IntoView {
    let navigate = use_navigate();
    let hydrated = use_hydrated();
    let token = RwSignal::new(None::<String>);
    // Runs once, in the browser only: the server never sees the fragment.
    Effect::new(move |_| {
        if let Some(found) = take_location_fragment() {
            token.set(Some(found));
        }
    });
    let new = RwSignal::new(String::new());
    let show_password = RwSignal::new(false);
    // Why the form was not sent, found before asking the server.
    let problem = RwSignal::new(None::<&'static str>);

    let reset = Action::new_local(move |(token, password): &(String, String)| {
        let (token, password) = (token.clone(), password.clone());
        let navigate = navigate.clone();
        async move {
            api::reset_password(token, password).await?;
            let done = SignedOutReason::Ended(contract::RevokeReason::PasswordReset);
            navigate(
                &format!("/login?reason={}", done.as_query()),
                Default::default(),
            );
            Ok::<_, ApiError>(())
        }
    });
    let pending = reset.pending();

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let Some(token) = token.get_untracked() else {
            return;
        };
        let password = new.get_untracked();
        // The page does not know the account's email; the server checks that rule too.
        let context = password::Context {
            email: "",
            current: None,
        };
        if let Err(found) = password::check(&password, context) {
            problem.set(Some(found.sentence()));
            return;
        }
        problem.set(None);
        reset.dispatch((token, password));
    };

    let error = move || match problem.get() {
        Some(text) => Some(text.to_owned()),
        None if pending.get() => None,
        None => match reset.value().get() {
            Some(Err(err)) => Some(describe(&err)),
            _ => None,
        },
    };
    let missing_link = move || hydrated.get() && token.get().is_none();

    view! {
        <section class="card narrow">
            <h1>"Set a new password"</h1>
            {move || missing_link().then(|| view! {
                <p class="error" role="alert" data-testid="reset-link-missing">
                    "This page needs the whole password reset link, including the part after \u{201c}#\u{201d}. Open the link you were given again, or ask an administrator for a new one."
                </p>
            })}
            <p>"Choose a new password for your account. Every device signed in to it will be signed out."</p>
            <form method="post" on:submit=on_submit novalidate>
                <label for="new-password">"New password"</label>
                <div class="password-row">
                    <input id="new-password" name="new-password" required autocomplete="new-password"
                        type=move || if show_password.get() { "text" } else { "password" }
                        minlength="8" maxlength="128" aria-describedby="new-password-strength"
                        prop:value=new on:input=move |ev| new.set(event_target_value(&ev)) />
                    <button type="button" class="button secondary small" aria-pressed=move || show_password.get().to_string()
                        on:click=move |_| show_password.update(|s| *s = !*s)>
                        {move || if show_password.get() { "Hide" } else { "Show" }}
                    </button>
                </div>
                <p class="hint">"8 to 128 characters. A few words only you would put together are easiest to remember and hardest to guess."</p>
                <PasswordMeter id="new-password-strength" password=new email=Signal::derive(String::new) />
                {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button type="submit" class="button wide"
                    disabled=move || !hydrated.get() || pending.get() || token.get().is_none()>
                    {move || if !hydrated.get() { "Loading…" } else if pending.get() { "Please wait…" } else { "Set new password" }}
                </button>
            </form>
        </section>
    }
}

fn describe(err: &ApiError) -> String {
    match err.code {
        ErrorCode::RateLimited => format!(
            "Too many attempts. Try again in {} seconds.",
            err.retry_after.unwrap_or(60)
        ),
        ErrorCode::Network => "Could not reach the server. Check your connection.".into(),
        _ => err.message.clone(),
    }
}
