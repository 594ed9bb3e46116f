use leptos::prelude::*;
use leptos_meta::Title;

use contract::{EventDto, EventKind, Role};

use crate::api;
use crate::auth::{ended_reason_text, use_auth};
use crate::components::{Pager, RelativeTime, RequireAuth};

#[component]
pub fn Activity() -> impl IntoView {
    view! { <Title text="Security activity · latchkey" /><RequireAuth><ActivityPage /></RequireAuth> }
}

pub(super) fn describe(event: &EventDto) -> String {
    let by = if event.by_admin {
        " by an administrator"
    } else {
        ""
    };
    match event.kind {
        EventKind::Registered => match event.role {
            Some(Role::Admin) => "Administrator account created".into(),
            _ => "Account created".into(),
        },
        EventKind::LoginSucceeded => "Signed in".into(),
        EventKind::LoginFailed => "Failed sign-in attempt".into(),
        EventKind::RefreshReused => {
            "A sign-in token was used twice \u{2014} the session was ended (possible theft)".into()
        }
        EventKind::RefreshGraceReplay => {
            "A sign-in token was presented again within seconds by the same browser (a retry)"
                .into()
        }
        EventKind::SessionRevoked => match event.reason {
            Some(reason) => format!("Session ended: {}", ended_reason_text(reason)),
            None => "Session ended".into(),
        },
        EventKind::PasswordChanged => "Password changed".into(),
        EventKind::AccountDisabled => format!("Account disabled{by}"),
        EventKind::AccountEnabled => format!("Account enabled{by}"),
        EventKind::RoleChanged => match event.role {
            Some(Role::Admin) => "Made an administrator".into(),
            Some(Role::User) => "Administrator rights removed".into(),
            None => "Role changed".into(),
        },
        EventKind::PasswordReset => "Password reset by an operator".into(),
        EventKind::ResetLinkIssued => format!("Password reset link created{by}"),
        EventKind::PasswordResetByLink => {
            "Password set with a reset link \u{2014} every session was ended".into()
        }
        EventKind::UsedFromAnotherDevice => {
            "This session's refresh token was used from another device \u{2014} the session was ended (possible theft)".into()
        }
        EventKind::DeviceChanged => {
            "A refresh from another browser or operating system was refused".into()
        }
        EventKind::NewNetwork => "Used from a new network".into(),
    }
}

#[component]
fn ActivityPage() -> impl IntoView {
    let auth = use_auth();
    let offset = RwSignal::new(0_i64);
    let events = LocalResource::new(move || {
        let at = offset.get();
        async move {
            auth.call(|| api::security_events(Some(at), Some(api::EVENTS_PAGE)))
                .await
        }
    });
    view! {
        <section>
            <h1>"Security activity"</h1>
            <Suspense fallback=|| view! { <p class="checking" role="status">"Loading activity…"</p> }>
                {move || events.get().map(|result| match result {
                    Ok(list) if list.total == 0 => view! {
                        <p class="empty" data-testid="events-empty">"Nothing has happened on this account yet. Sign-ins, password changes and ended sessions will be listed here."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        {(list.total > api::EVENTS_PAGE).then(|| view! {
                            <Pager offset total=list.total page_size=api::EVENTS_PAGE />
                        })}
                        <ol class="events" data-testid="events">
                            {list.events.into_iter().map(|e| view! {
                                <li data-kind=e.kind.as_str()>
                                    <strong>{describe(&e)}</strong>
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
