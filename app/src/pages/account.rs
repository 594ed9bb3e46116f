use contract::password;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::auth::use_auth;
use crate::components::{use_hydrated, PasswordMeter, RequireAuth};

#[component]
pub fn Account() -> impl IntoView {
    view! { <RequireAuth><AccountPage /></RequireAuth> }
}

#[component]
fn AccountPage() -> impl IntoView {
    let auth = use_auth();
    let hydrated = use_hydrated();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let sign_out_others = RwSignal::new(true);
    let message = RwSignal::new(None::<(bool, String)>);
    let pending = RwSignal::new(false);

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (c, n, others) = (
            current.get_untracked(),
            new.get_untracked(),
            sign_out_others.get_untracked(),
        );
        if c.is_empty() {
            message.set(Some((false, "Enter your current password.".into())));
            return;
        }
        let email = auth.user().map(|u| u.email).unwrap_or_default();
        let context = password::Context {
            email: &email,
            current: Some(&c),
        };
        if let Err(problem) = password::check(&n, context) {
            message.set(Some((false, problem.sentence().into())));
            return;
        }
        pending.set(true);
        leptos::task::spawn_local(async move {
            match auth
                .call(|| crate::api::change_password(c.clone(), n.clone(), others))
                .await
            {
                Ok(_) => {
                    current.set(String::new());
                    new.set(String::new());
                    message.set(Some((true, "Password changed.".into())));
                }
                Err(e) => message.set(Some((false, e.message))),
            }
            pending.set(false);
        });
    };

    view! {
        <section class="card">
            <h1>"Account"</h1>
            {move || auth.user().map(|u| view! {
                <dl class="facts">
                    <dt>"Email"</dt><dd data-testid="account-email">{u.email}</dd>
                    <dt>"Role"</dt><dd>{u.role.as_str()}</dd>
                </dl>
            })}
        </section>
        <section class="card">
            <h2>"Change password"</h2>
            <form method="post" on:submit=on_submit novalidate>
                <label for="current-password">"Current password"</label>
                <input id="current-password" type="password" autocomplete="current-password" required
                    prop:value=current on:input=move |ev| current.set(event_target_value(&ev)) />
                <label for="new-password">"New password"</label>
                <input id="new-password" type="password" autocomplete="new-password" minlength="8" maxlength="128" required
                    aria-describedby="new-password-strength"
                    prop:value=new on:input=move |ev| new.set(event_target_value(&ev)) />
                <p class="hint">"8 to 128 characters, not the current one."</p>
                <PasswordMeter id="new-password-strength" password=new current=current
                    email=Signal::derive(move || auth.user().map(|u| u.email).unwrap_or_default()) />
                <label class="check">
                    <input type="checkbox" prop:checked=sign_out_others
                        on:change=move |ev| sign_out_others.set(event_target_checked(&ev)) />
                    "Sign out my other devices"
                </label>
                {move || message.get().map(|(ok, text)| if ok {
                    view! { <p class="notice" role="status">{text}</p> }.into_any()
                } else {
                    view! { <p class="error" role="alert">{text}</p> }.into_any()
                })}
                <button type="submit" class="button" disabled=move || !hydrated.get() || pending.get()>"Change password"</button>
            </form>
        </section>
    }
}
