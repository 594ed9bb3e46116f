//! The admin console: find a user, see their devices, sign them out or disable them.

mod reset_link;
mod user_detail;
mod user_table;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{self, AdminUserDto};
use crate::auth::{use_auth, AuthState};
use crate::components::{count, Pager, RequireAuth};
use crate::platform::{after, confirm, focus_element};

use user_detail::UserDetail;
use user_table::UserTable;

/// Users per page of the list.
const PAGE: i64 = 20;
/// The search waits for typing to pause this long, so a word is one query, not one per letter.
const SEARCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

#[component]
pub fn Admin() -> impl IntoView {
    view! { <Title text="Users · Admin · latchkey" /><RequireAuth admin=true><AdminPage /></RequireAuth> }
}

/// What an administrator can do to one user.
#[derive(Clone)]
pub enum AdminChange {
    ForceLogout(AdminUserDto),
    SetDisabled(AdminUserDto, bool),
    Delete(AdminUserDto),
}

impl AdminChange {
    /// What the confirm dialog asks first; enabling an account asks nothing.
    fn question(&self) -> Option<String> {
        match self {
            Self::ForceLogout(user) => Some(format!("Sign {} out of every device?", user.email)),
            Self::SetDisabled(user, true) => Some(format!(
                "Disable {}? They are signed out of every device and cannot sign in until the account is enabled again.",
                user.email
            )),
            Self::SetDisabled(_, false) => None,
            Self::Delete(user) => Some(format!(
                "Delete {}? Their account, sessions and activity are deleted and every device is signed out. This cannot be undone.",
                user.email
            )),
        }
    }

    /// Asks the server for the change; answers with the notice to show, whether it worked or
    /// not. The open details follow a change of the account's status.
    async fn make(self, auth: AuthState, selected: RwSignal<Option<AdminUserDto>>) -> String {
        match self {
            Self::ForceLogout(user) => {
                match auth.call(|| api::admin_force_logout(user.id.clone())).await {
                    Ok(r) => format!(
                        "Ended {} of {}.",
                        count(r.revoked, "session", "sessions"),
                        user.email
                    ),
                    Err(e) => e.message,
                }
            }
            Self::SetDisabled(user, disabled) => {
                match auth
                    .call(|| api::admin_set_disabled(user.id.clone(), disabled))
                    .await
                {
                    Ok(_) => {
                        selected.update(|s| {
                            if let Some(s) = s {
                                s.disabled = disabled
                            }
                        });
                        if disabled {
                            format!("{} is disabled and signed out everywhere.", user.email)
                        } else {
                            format!("{} can sign in again.", user.email)
                        }
                    }
                    Err(e) => e.message,
                }
            }
            Self::Delete(user) => match auth.call(|| api::admin_delete_user(user.id.clone())).await
            {
                Ok(_) => {
                    selected.set(None);
                    format!("{} was deleted.", user.email)
                }
                Err(e) => e.message,
            },
        }
    }
}

#[component]
fn AdminPage() -> impl IntoView {
    let auth = use_auth();
    // What is in the box, and what was searched: the second follows the first once typing pauses.
    let offset = RwSignal::new(0i64);
    let typed = RwSignal::new(String::new());
    let query = RwSignal::new(String::new());
    let keystrokes = StoredValue::new(0u64);
    let on_search_input = move |ev: leptos::ev::Event| {
        typed.set(event_target_value(&ev));
        keystrokes.update_value(|n| *n += 1);
        let this = keystrokes.get_value();
        after(SEARCH_PAUSE, move || {
            if keystrokes.try_get_value() == Some(this) {
                offset.set(0);
                query.set(typed.get_untracked());
            }
        });
    };
    let selected = RwSignal::new(None::<AdminUserDto>);
    // The row whose details were open last, marked in the list when the person comes back.
    let last_opened = RwSignal::new(None::<String>);
    let open = Callback::new(move |user: AdminUserDto| {
        last_opened.set(Some(user.id.clone()));
        selected.set(Some(user));
        focus_element("[data-testid=user-detail] h2");
    });
    let back = Callback::new(move |()| {
        selected.set(None);
        if let Some(id) = last_opened.get_untracked() {
            focus_element(&format!("tr[data-id=\"{id}\"] button"));
        }
    });

    let change = Action::new_local(move |change: &AdminChange| change.clone().make(auth, selected));
    let ask = Callback::new(move |asked: AdminChange| {
        if asked.question().is_none_or(|q| confirm(&q)) {
            change.dispatch(asked);
        }
    });

    // Both lists reload after every change, whether it worked or not.
    let users = LocalResource::new(move || {
        let (q, o) = (query.get(), offset.get());
        change.version().track();
        async move { auth.call(|| api::admin_users(q.clone(), o, PAGE)).await }
    });
    let sessions = LocalResource::new(move || {
        let user = selected.get();
        change.version().track();
        async move {
            match user {
                Some(u) => auth
                    .call(|| api::admin_user_sessions(u.id.clone()))
                    .await
                    .map(Some),
                None => Ok(None),
            }
        }
    });

    view! {
        <section>
            <h1>"Admin"</h1>
            {move || change.value().get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
            {move || selected.get().map(|user| view! {
                <UserDetail user sessions on_change=ask on_back=back />
            })}
            // Hidden, not removed, while a user's details are open: the search, the page and the
            // scroll position are still there on the way back.
            <div class="user-list" hidden=move || selected.get().is_some()>
            <label for="user-search">"Search users by email"</label>
            <input id="user-search" type="search" placeholder="name@example.com"
                prop:value=typed on:input=on_search_input />
            <Suspense fallback=|| view! { <p class="checking" role="status">"Loading users…"</p> }>
                {move || users.get().map(|result| match result {
                    Ok(page) if page.total == 0 => view! {
                        <p class="empty" data-testid="users-empty">{
                            match query.get_untracked() {
                                q if q.is_empty() => "There are no accounts yet.".to_owned(),
                                q => format!("No account's email contains “{q}”."),
                            }
                        }</p>
                    }.into_any(),
                    Ok(page) => view! {
                        <UserTable users=page.users last_opened on_open=open />
                        <Pager offset total=page.total page_size=PAGE />
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                })}
            </Suspense>
            </div>
        </section>
    }
}
