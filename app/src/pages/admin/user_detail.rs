use leptos::prelude::*;

use crate::api::{AdminUserDto, ApiError, SessionsResponse};
use crate::components::{EndedList, HeadingLevel, SessionItem};

use super::reset_link::ResetLinkCreator;
use super::AdminChange;

/// One user's details and actions, shown in place of the list: their devices as the user sees
/// them, and the buttons that end their sessions or disable the account.
#[component]
pub fn UserDetail(
    user: AdminUserDto,
    sessions: LocalResource<Result<Option<SessionsResponse>, ApiError>>,
    on_change: Callback<AdminChange>,
    on_back: Callback<()>,
) -> impl IntoView {
    let (u1, u2, u3) = (user.clone(), user.clone(), user.clone());
    let delete_label = format!("Delete {}", user.email);
    view! {
        <section class="card" data-testid="user-detail">
            <div class="heading-row">
                <h2>{user.email.clone()}</h2>
                <button class="button secondary small" on:click=move |_| on_back.run(())>"Back to all users"</button>
            </div>
            <div class="actions">
                <button class="button danger" on:click=move |_| on_change.run(AdminChange::ForceLogout(u1.clone()))>"Force logout"</button>
                {if user.disabled {
                    view! { <button class="button" on:click=move |_| on_change.run(AdminChange::SetDisabled(u2.clone(), false))>"Enable account"</button> }.into_any()
                } else {
                    view! { <button class="button secondary" on:click=move |_| on_change.run(AdminChange::SetDisabled(u2.clone(), true))>"Disable account"</button> }.into_any()
                }}
                <button class="button danger" on:click=move |_| on_change.run(AdminChange::Delete(u3.clone()))>{delete_label}</button>
            </div>
            <ResetLinkCreator user=user.clone() />
            <Suspense fallback=|| ()>
                {move || sessions.get().map(|result| match result {
                    Ok(Some(SessionsResponse { sessions, ended })) => view! {
                        <h3>"Active sessions (" {sessions.len()} ")"</h3>
                        <ul class="session-list">
                            {sessions.into_iter().map(|s| view! { <SessionItem session=s /> }).collect_view()}
                        </ul>
                        <EndedList ended heading=HeadingLevel::H3 />
                    }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
