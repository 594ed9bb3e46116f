use leptos::prelude::*;

use crate::auth::{ended_reason_text, use_auth};
use crate::components::{RelativeTime, RequireAuth};

#[component]
pub fn Activity() -> impl IntoView {
    view! { <RequireAuth><ActivityPage /></RequireAuth> }
}

fn describe(kind: &str, detail: Option<&str>) -> String {
    match kind {
        "registered" => "Account created".into(),
        "login_succeeded" => "Signed in".into(),
        "login_failed" => "Failed sign-in attempt".into(),
        "refresh_reused" => {
            "A sign-in token was used twice — the session was ended (possible theft)".into()
        }
        "session_revoked" => {
            let reason = detail.and_then(|d| d.split(' ').next()).unwrap_or("");
            format!("Session ended: {}", ended_reason_text(reason))
        }
        "password_changed" => "Password changed".into(),
        "account_disabled" => "Account disabled by an administrator".into(),
        "account_enabled" => "Account enabled by an administrator".into(),
        "role_changed" => match detail {
            Some("admin") => "Made an administrator".into(),
            _ => "Role changed".into(),
        },
        "password_reset" => "Password reset by an operator".into(),
        "refresh_grace_replay" => {
            "A sign-in token was presented again within seconds by the same browser (a retry)"
                .into()
        }
        other => other.replace('_', " "),
    }
}

#[component]
fn ActivityPage() -> impl IntoView {
    let auth = use_auth();
    let events =
        LocalResource::new(move || async move { auth.call(crate::api::security_events).await });
    view! {
        <section>
            <h1>"Security activity"</h1>
            <Suspense fallback=|| view! { <p class="checking" role="status">"Loading activity…"</p> }>
                {move || events.get().map(|result| match result {
                    Ok(list) => view! {
                        <ol class="events" data-testid="events">
                            {list.events.into_iter().map(|e| view! {
                                <li data-kind=e.kind.clone()>
                                    <strong>{describe(&e.kind, e.detail.as_deref())}</strong>
                                    <span class="meta">
                                        <RelativeTime at=e.at />
                                        {e.device.map(|d| view! { <span>{d}</span> })}
                                        {e.ip.map(|ip| view! { <span>"IP " {ip}</span> })}
                                    </span>
                                </li>
                            }).collect_view()}
                        </ol>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
