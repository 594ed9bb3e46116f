use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::SessionsResponse;
use crate::auth::use_auth;
use crate::components::{count, EndedList, RequireAuth, SessionItem};
use crate::platform::confirm;

#[component]
pub fn Sessions() -> impl IntoView {
    view! { <RequireAuth><SessionsPage /></RequireAuth> }
}

#[component]
fn SessionsPage() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let version = RwSignal::new(0u32);
    let notice = RwSignal::new(None::<String>);
    let data = LocalResource::new(move || {
        version.track();
        async move { auth.call(crate::api::list_sessions).await }
    });
    // The last list the server gave: an outage shows it (marked as possibly stale) instead of
    // taking the devices off the screen.
    let last = RwSignal::new(None::<SessionsResponse>);
    Effect::new(move |_| {
        if let Some(Ok(list)) = data.get() {
            last.set(Some(list));
        }
    });
    let retry = move |_| version.update(|v| *v += 1);

    let revoke = Callback::new(move |(id, device): (String, String)| {
        if !confirm(&format!("Sign out {device}?")) {
            return;
        }
        leptos::task::spawn_local(async move {
            match auth.call(|| crate::api::revoke_session(id.clone())).await {
                Ok(_) => {
                    notice.set(Some(format!("{device} was signed out.")));
                    version.update(|v| *v += 1);
                }
                // Nothing changed, so the list on screen is still right: no reload.
                Err(e) => notice.set(Some(action_failed(
                    &e,
                    &format!("{device} is still signed in"),
                ))),
            }
        });
    });
    let revoke_others = move |_| {
        if !confirm("Sign out all other devices?") {
            return;
        }
        leptos::task::spawn_local(async move {
            match auth.call(crate::api::revoke_other_sessions).await {
                Ok(r) => {
                    notice.set(Some(match r.revoked {
                        0 => "No other device was signed in.".to_owned(),
                        n => format!("Signed out {}.", count(n, "other device", "other devices")),
                    }));
                    version.update(|v| *v += 1);
                }
                Err(e) => notice.set(Some(action_failed(&e, "no device was signed out"))),
            }
        });
    };
    let everywhere = move |_| {
        if !confirm("Sign out everywhere, including this device?") {
            return;
        }
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match auth.call(crate::api::revoke_all_sessions).await {
                Ok(_) => {
                    auth.signed_out_everywhere();
                    navigate("/login?reason=signed_out_everywhere", Default::default());
                }
                Err(e) => notice.set(Some(action_failed(&e, "nothing was signed out"))),
            }
        });
    };

    view! {
        <section>
            <div class="heading-row">
                <h1>"Your devices"</h1>
                <div class="actions">
                    <button class="button secondary" on:click=revoke_others>"Sign out all other devices"</button>
                    <button class="button danger" on:click=everywhere>"Sign out everywhere"</button>
                </div>
            </div>
            {move || notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
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
                                <button type="button" class="button secondary small" on:click=retry>"Retry"</button>
                            </div>
                        })}
                        {shown.map(|SessionsResponse { sessions, ended }| view! {
                            <ul class="session-list" data-testid="active-sessions">
                                {sessions.into_iter().map(|s| view! { <SessionItem session=s on_sign_out=revoke /> }).collect_view()}
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
fn action_failed(err: &crate::api::ApiError, unchanged: &str) -> String {
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

fn is_unreachable(err: &crate::api::ApiError) -> bool {
    matches!(
        err.code,
        crate::api::ErrorCode::Network
            | crate::api::ErrorCode::DatabaseUnavailable
            | crate::api::ErrorCode::Busy
    )
}

fn list_problem(err: &crate::api::ApiError) -> String {
    if is_unreachable(err) {
        "Could not reach the server, so this list may be out of date. Check your connection, then retry.".into()
    } else {
        format!("Could not load your devices. {}", err.message)
    }
}
