use contract::password;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{self, ApiError};
use crate::auth::use_auth;
use crate::components::{use_hydrated, PasswordMeter, RequireAuth};
use crate::platform;

/// Where the browser lands after the account was deleted; the home page says so.
pub const DELETED_LANDING: &str = "/?account_deleted";

#[component]
pub fn Account() -> impl IntoView {
    view! { <Title text="Account · latchkey" /><RequireAuth><AccountPage /></RequireAuth> }
}

/// What the password form asks the server for.
#[derive(Clone)]
struct PasswordChange {
    current: String,
    new: String,
    sign_out_others: bool,
}

#[component]
fn AccountPage() -> impl IntoView {
    let auth = use_auth();
    let hydrated = use_hydrated();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let sign_out_others = RwSignal::new(true);
    // Why the form was not sent, found before asking the server.
    let problem = RwSignal::new(None::<&'static str>);

    let change = Action::new_local(move |change: &PasswordChange| {
        let PasswordChange {
            current: c,
            new: n,
            sign_out_others: others,
        } = change.clone();
        async move {
            let result = auth
                .call(|| api::change_password(c.clone(), n.clone(), others))
                .await;
            if result.is_ok() {
                current.set(String::new());
                new.set(String::new());
            }
            result
        }
    });

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let asked = PasswordChange {
            current: current.get_untracked(),
            new: new.get_untracked(),
            sign_out_others: sign_out_others.get_untracked(),
        };
        if asked.current.is_empty() {
            problem.set(Some("Enter your current password."));
            return;
        }
        let email = auth.user().map(|u| u.email).unwrap_or_default();
        let context = password::Context {
            email: &email,
            current: Some(&asked.current),
        };
        if let Err(found) = password::check(&asked.new, context) {
            problem.set(Some(found.sentence()));
            return;
        }
        problem.set(None);
        change.dispatch(asked);
    };
    // The form's own objection if it has one, else the server's last answer.
    let message = move || match problem.get() {
        Some(text) => Some((false, text.to_owned())),
        None => change.value().get().map(|result| match result {
            Ok(_) => (true, "Password changed.".to_owned()),
            Err(e) => (false, e.message),
        }),
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
                {move || message().map(|(ok, text)| if ok {
                    view! { <p class="notice" role="status">{text}</p> }.into_any()
                } else {
                    view! { <p class="error" role="alert">{text}</p> }.into_any()
                })}
                <button type="submit" class="button" disabled=move || !hydrated.get() || change.pending().get()>"Change password"</button>
            </form>
        </section>
        <DeleteAccount />
    }
}

/// Deleting the account, confirmed with the password. Afterwards the page is loaded afresh on
/// the home page: nothing of the signed-in state survives in this tab, and the other tabs are
/// told to sign out.
#[component]
fn DeleteAccount() -> impl IntoView {
    let auth = use_auth();
    let hydrated = use_hydrated();
    let password = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<&'static str>);
    let delete = Action::new_local(move |password: &String| {
        let password = password.clone();
        async move {
            auth.call(|| api::delete_account(password.clone())).await?;
            platform::broadcast_sign_out();
            platform::load_page(DELETED_LANDING);
            Ok::<_, ApiError>(())
        }
    });
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let typed = password.get_untracked();
        if typed.is_empty() {
            problem.set(Some("Enter your password to confirm."));
            return;
        }
        problem.set(None);
        delete.dispatch(typed);
    };
    let error = move || match problem.get() {
        Some(text) => Some(text.to_owned()),
        None => match delete.value().get() {
            Some(Err(e)) => Some(e.message),
            _ => None,
        },
    };
    view! {
        <section class="card" data-testid="delete-account">
            <h2>"Delete your account"</h2>
            <p class="error">"This cannot be undone."</p>
            <p>"Your account, its sessions and its activity are deleted, and every device signed in to it is signed out at once. The email address can be registered again afterwards."</p>
            <form method="post" on:submit=on_submit novalidate>
                <label for="delete-password">"Your password, to confirm"</label>
                <input id="delete-password" type="password" autocomplete="current-password" required
                    prop:value=password on:input=move |ev| password.set(event_target_value(&ev)) />
                {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button type="submit" class="button danger" disabled=move || !hydrated.get() || delete.pending().get()>"Delete my account"</button>
            </form>
        </section>
    }
}
