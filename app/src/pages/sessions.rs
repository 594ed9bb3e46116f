use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::api::{self, ApiError, ErrorCode, SessionsResponse};
use crate::auth::use_auth;
use crate::components::{count, EndedList, RequireAuth, SessionItem};
use crate::platform::confirm;

#[component]
pub fn Sessions() -> impl IntoView {
    view! { <Title text="Your devices · latchkey" /><RequireAuth><SessionsPage /></RequireAuth> }
}

/// Which devices the person asked to sign out on this page.
#[derive(Clone)]
enum SignOut {
    One { id: String, device: String },
    Others,
    Everywhere,
}

impl SignOut {
    /// What the confirm dialog asks first.
    fn question(&self) -> String {
        match self {
            Self::One { device, .. } => format!("Sign out {device}?"),
            Self::Others => "Sign out all other devices?".into(),
            Self::Everywhere => "Sign out everywhere, including this device?".into(),
        }
    }
}

#[component]
fn SessionsPage() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let data = LocalResource::new(move || async move { auth.call(api::list_sessions).await });
    // The last list the server gave: an outage shows it (marked as possibly stale) instead of
    // taking the devices off the screen.
    let last = RwSignal::new(None::<SessionsResponse>);
    Effect::new(move |_| {
        if let Some(Ok(list)) = data.get() {
            last.set(Some(list));
        }
    });

    // Answers with the notice to show. A sign-out that failed changed nothing, so the list on
    // screen is still right and is not reloaded.
    let sign_out = Action::new_local(move |asked: &SignOut| {
        let asked = asked.clone();
        let navigate = navigate.clone();
        async move {
            match asked {
                SignOut::One { id, device } => {
                    match auth.call(|| api::revoke_session(id.clone())).await {
                        Ok(_) => {
                            data.refetch();
                            Some(format!("{device} was signed out."))
                        }
                        Err(e) => Some(action_failed(&e, &format!("{device} is still signed in"))),
                    }
                }
                SignOut::Others => match auth.call(api::revoke_other_sessions).await {
                    Ok(r) => {
                        data.refetch();
                        Some(match r.revoked {
                            0 => "No other device was signed in.".to_owned(),
                            n => {
                                format!("Signed out {}.", count(n, "other device", "other devices"))
                            }
                        })
                    }
                    Err(e) => Some(action_failed(&e, "no device was signed out")),
                },
                SignOut::Everywhere => match auth.call(api::revoke_all_sessions).await {
                    Ok(_) => {
                        auth.signed_out_everywhere();
                        navigate("/login?reason=signed_out_everywhere", Default::default());
                        None
                    }
                    Err(e) => Some(action_failed(&e, "nothing was signed out")),
                },
            }
        }
    });
    let ask = move |asked: SignOut| {
        if confirm(&asked.question()) {
            sign_out.dispatch(asked);
        }
    };
    let sign_out_one = Callback::new(move |(id, device)| ask(SignOut::One { id, device }));

    view! {
        <section>
            <div class="heading-row">
                <h1>"Your devices"</h1>
                <div class="actions">
                    <button class="button secondary" on:click=move |_| ask(SignOut::Others)>"Sign out all other devices"</button>
                    <button class="button danger" on:click=move |_| ask(SignOut::Everywhere)>"Sign out everywhere"</button>
                </div>
            </div>
            {move || sign_out.value().get().flatten().map(|n| view! { <p class="notice" role="status">{n}</p> })}
            <Suspense fallback=|| view! { <p class="checking" role="status">"Loading your devices…"</p> }>
                {move || data.get().map(|result| {
                    let (problem, shown) = match result {
                        Ok(list) => (None, Some(list)),
                        Err(e) => (Some(e), last.get_untracked()),
                    };
                    view! {
                        {problem.map(|e| view! {
                            <div class="error" role="alert" data-testid="list-problem">
                                <p>{list_problem(&e)}</p>
                                <button type="button" class="button secondary small" on:click=move |_| data.refetch()>"Retry"</button>
                            </div>
                        })}
                        {shown.map(|SessionsResponse { sessions, ended }| view! {
                            <ul class="session-list" data-testid="active-sessions">
                                {sessions.into_iter().map(|s| view! { <SessionItem session=s on_sign_out=sign_out_one /> }).collect_view()}
                            </ul>
                            <EndedList ended />
                        })}
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Why an action did not happen, and what that means, as one sentence.
fn action_failed(err: &ApiError, unchanged: &str) -> String {
    if is_unreachable(err) {
        format!("Could not reach the server, so {unchanged}. Check your connection and try again.")
    } else {
        let mut unchanged = unchanged.to_owned();
        if let Some(first) = unchanged.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        format!("{} {unchanged}.", err.message)
    }
}

fn is_unreachable(err: &ApiError) -> bool {
    matches!(
        err.code,
        ErrorCode::Network | ErrorCode::DatabaseUnavailable | ErrorCode::Busy
    )
}

fn list_problem(err: &ApiError) -> String {
    if is_unreachable(err) {
        "Could not reach the server, so this list may be out of date. Check your connection, then retry.".into()
    } else {
        format!("Could not load your devices. {}", err.message)
    }
}
