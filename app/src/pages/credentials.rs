use contract::password;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::{self, ApiError, ErrorCode};
use crate::auth::{use_auth, AuthStatus, SignedOutReason};
use crate::components::{safe_next, use_hydrated, PasswordMeter};
use crate::platform;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    SignIn,
    Register,
}

/// The outcome of the sign-out that brought the visitor here, if any.
#[derive(Clone, Copy, PartialEq)]
enum SignOut {
    NotAsked,
    Done,
    Failed,
    Retrying,
}

#[component]
pub fn SignIn() -> impl IntoView {
    view! { <Title text="Sign in · latchkey" /><CredentialsForm mode=Mode::SignIn /> }
}

/// The form, unless this server takes no new accounts; the server refuses them either way.
/// Known while rendering (no loading state, and no `Suspense`: the form's local actions must
/// be created and dropped on the thread that renders it).
#[component]
pub fn Register() -> impl IntoView {
    let form = if platform::registration_open() {
        view! { <CredentialsForm mode=Mode::Register /> }.into_any()
    } else {
        view! {
            <section class="card narrow" data-testid="registration-closed">
                <h1>"Create your account"</h1>
                <p>"This service does not take new accounts. An administrator creates them; ask yours for one."</p>
                <p>"Already have an account? " <a href="/login">"Sign in"</a></p>
            </section>
        }
        .into_any()
    };
    view! {
        <Title text="Create your account · latchkey" />
        {form}
    }
}

/// The page's own checks: the password rules are the server's (`contract::password`), so a
/// refusal is explained before the form is sent. The server still decides.
fn validate(mode: Mode, email: &str, password: &str) -> Option<&'static str> {
    let email = email.trim();
    if email.is_empty() || !email.contains('@') || email.ends_with('@') {
        return Some("Enter a valid email address.");
    }
    if password.is_empty() {
        return Some("Enter your password.");
    }
    if mode == Mode::Register {
        let context = password::Context {
            email,
            current: None,
        };
        if let Err(problem) = password::check(password, context) {
            return Some(problem.sentence());
        }
    }
    None
}

fn describe(err: &ApiError) -> String {
    match err.code {
        ErrorCode::InvalidCredentials => "The email or password is incorrect.".into(),
        ErrorCode::RateLimited => {
            format!(
                "Too many attempts. Try again in {} seconds.",
                err.retry_after.unwrap_or(60)
            )
        }
        ErrorCode::Busy => format!(
            "The server is busy. Try again in {} seconds.",
            err.retry_after.unwrap_or(2)
        ),
        ErrorCode::Network => "Could not reach the server. Check your connection.".into(),
        _ => err.message.clone(),
    }
}

#[component]
fn CredentialsForm(mode: Mode) -> AnyView {
    let auth = use_auth();
    let query = use_query_map();
    let navigate = use_navigate();
    let hydrated = use_hydrated();
    let show_password = RwSignal::new(false);
    let email_field = NodeRef::<leptos::html::Input>::new();
    let password_field = NodeRef::<leptos::html::Input>::new();
    // Why the form was not sent, found before asking the server.
    let problem = RwSignal::new(None::<&'static str>);
    // Copies of the fields for the strength meter, taken on input and once after hydration
    // (text typed before it never fired an event the app heard).
    let typed_email = RwSignal::new(String::new());
    let typed_password = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let (Some(email), Some(password)) = (email_field.get(), password_field.get()) {
            typed_email.set(email.value());
            typed_password.set(password.value());
        }
    });

    // Set once this form has signed someone in, so the "already signed in" card does not flash
    // while the page moves on.
    let submitted = RwSignal::new(false);
    // Someone already signed in is offered their account, or a clean switch: signing in as
    // someone else must not leave the first session alive in the background.
    let already = Memo::new(move |_| match auth.status.get() {
        AuthStatus::SignedIn(user) if !submitted.get() => Some(user.email),
        _ => None,
    });
    let switch_account = Action::new_local(move |_: &()| async move { auth.sign_out().await });
    let retry_sign_out = Action::new_local(|_: &()| async move { api::logout().await.map(|_| ()) });
    // What the sign-out that led here reported (the page may already be showing when it
    // lands), unless this page has since tried again. A retry is only offered after a failure,
    // so its answer is the newer one.
    let signout = Memo::new(move |_| {
        if retry_sign_out.pending().get() {
            return SignOut::Retrying;
        }
        match retry_sign_out.value().get() {
            Some(Ok(())) => return SignOut::Done,
            Some(Err(_)) => return SignOut::Failed,
            None => {}
        }
        if let Some(Err(_)) = switch_account.value().get() {
            return SignOut::Failed;
        }
        match query.read().get("signed_out").as_deref() {
            Some("failed") => SignOut::Failed,
            Some(_) => SignOut::Done,
            None => SignOut::NotAsked,
        }
    });

    let next = move || safe_next(query.read_untracked().get("next"));

    let submit = Action::new_local(move |(email, password): &(String, String)| {
        let (email, password) = (email.clone(), password.clone());
        let navigate = navigate.clone();
        async move {
            let response = match mode {
                Mode::SignIn => api::login(email, password).await,
                Mode::Register => api::register(email, password).await,
            }?;
            submitted.set(true);
            auth.accept(response);
            navigate(&next(), Default::default());
            Ok::<_, ApiError>(())
        }
    });
    let pending = submit.pending();
    // The form's own objection if it has one, else why the server refused the last attempt.
    let error = move || match problem.get() {
        Some(text) => Some(text.to_owned()),
        None if pending.get() => None,
        None => match submit.value().get() {
            Some(Err(err)) => Some(describe(&err)),
            _ => None,
        },
    };

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        // Read from the fields themselves: text typed or autofilled before the app took over
        // never reached the signals.
        let field = |node: NodeRef<leptos::html::Input>| {
            node.get_untracked()
                .map(|input| input.value())
                .unwrap_or_default()
        };
        let (e, p) = (field(email_field), field(password_field));
        if let Some(found) = validate(mode, &e, &p) {
            problem.set(Some(found));
            return;
        }
        problem.set(None);
        submit.dispatch((e, p));
    };

    let (title, action, other) = match mode {
        Mode::SignIn => (
            "Sign in",
            "Sign in",
            view! { <p>"New here? " <a href="/register">"Create an account"</a></p> }.into_any(),
        ),
        Mode::Register => (
            "Create your account",
            "Create account",
            view! { <p>"Already registered? " <a href="/login">"Sign in"</a></p> }.into_any(),
        ),
    };

    view! {
        {move || already.get().map(|email| view! {
            <section class="card narrow" data-testid="already-signed-in">
                <h1>{title}</h1>
                <p>"You are signed in as " <strong>{email}</strong> "."</p>
                <p class="actions">
                    <a class="button" href=next()>"Continue to your account"</a>
                    <button type="button" class="button secondary" disabled=move || switch_account.pending().get()
                        on:click=move |_| { switch_account.dispatch(()); }>"Sign out and use another account"</button>
                </p>
            </section>
        })}
        <section class="card narrow" hidden=move || already.get().is_some()>
            <h1>{title}</h1>
            {move || query.read().get("reason").map(|raw| SignedOutReason::from_query(&raw)).map(|reason| if reason.is_theft() {
                view! {
                    <div class="error" role="alert" data-testid="signed-out-reason">
                        <p>{reason.sentence()}</p>
                        <p class="actions">
                            <a href="/account">"Change your password"</a>
                            <a href="/sessions">"Review your devices"</a>
                        </p>
                    </div>
                }.into_any()
            } else {
                view! { <p class="notice" role="status" data-testid="signed-out-reason">{reason.sentence()}</p> }.into_any()
            })}
            {move || match signout.get() {
                SignOut::NotAsked => None,
                SignOut::Done => Some(view! {
                    <p class="notice" role="status" data-testid="signed-out">"You have signed out."</p>
                }.into_any()),
                state => Some(view! {
                    <div class="error" role="alert" data-testid="sign-out-failed">
                        <p>"You are signed out on this page, but the server could not be reached, so this device may still be signed in there. Check your connection and try again."</p>
                        <button type="button" class="button secondary small" disabled=state == SignOut::Retrying
                            on:click=move |_| { retry_sign_out.dispatch(()); }>"Try signing out again"</button>
                    </div>
                }.into_any()),
            }}
            <form method="post" on:submit=on_submit novalidate>
                <label for="email">"Email"</label>
                // No `prop:value`: hydration would overwrite what was typed before it.
                <input id="email" name="email" type="email" autocomplete="username" required
                    node_ref=email_field on:input=move |ev| typed_email.set(event_target_value(&ev)) />
                <label for="password">"Password"</label>
                <div class="password-row">
                    <input id="password" name="password" required
                        type=move || if show_password.get() { "text" } else { "password" }
                        autocomplete=if mode == Mode::SignIn { "current-password" } else { "new-password" }
                        minlength=if mode == Mode::Register { "8" } else { "1" } maxlength="128"
                        aria-describedby=(mode == Mode::Register).then_some("password-strength")
                        node_ref=password_field on:input=move |ev| typed_password.set(event_target_value(&ev)) />
                    <button type="button" class="button secondary small" aria-pressed=move || show_password.get().to_string()
                        on:click=move |_| show_password.update(|s| *s = !*s)>
                        {move || if show_password.get() { "Hide" } else { "Show" }}
                    </button>
                </div>
                {(mode == Mode::Register).then(|| view! {
                    <p class="hint">"8 to 128 characters. A few words only you would put together are easiest to remember and hardest to guess."</p>
                    <PasswordMeter id="password-strength" password=typed_password email=typed_email />
                })}
                {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button type="submit" class="button wide" disabled=move || !hydrated.get() || pending.get()>
                    {move || if !hydrated.get() { "Loading…" } else if pending.get() { "Please wait…" } else { action }}
                </button>
            </form>
            {other}
        </section>
    }
    // Erased here: the form's full view type, nested in each page and route that uses it,
    // overflowed the compiler's query depth in the fuzz build.
    .into_any()
}
