use leptos::prelude::*;

use crate::api::{AdminUserDto, SessionsResponse};
use crate::auth::use_auth;
use crate::components::{count, EndedList, Heading, RelativeTime, RequireAuth, SessionItem};
use crate::platform::{confirm, focus_element};

const PAGE: i64 = 20;

#[component]
pub fn Admin() -> impl IntoView {
    view! { <RequireAuth admin=true><AdminPage /></RequireAuth> }
}

#[component]
fn AdminPage() -> impl IntoView {
    let auth = use_auth();
    let query = RwSignal::new(String::new());
    let offset = RwSignal::new(0i64);
    let version = RwSignal::new(0u32);
    let selected = RwSignal::new(None::<AdminUserDto>);
    // The row whose details were open last, marked in the list when the person comes back.
    let last_opened = RwSignal::new(None::<String>);
    let open = move |user: AdminUserDto| {
        last_opened.set(Some(user.id.clone()));
        selected.set(Some(user));
        focus_element("[data-testid=user-detail] h2");
    };
    let back = move |_| {
        selected.set(None);
        if let Some(id) = last_opened.get_untracked() {
            focus_element(&format!("tr[data-id=\"{id}\"] button"));
        }
    };
    let notice = RwSignal::new(None::<String>);

    let users = LocalResource::new(move || {
        let (q, o) = (query.get(), offset.get());
        version.track();
        async move {
            auth.call(|| crate::api::admin_users(q.clone(), o, PAGE))
                .await
        }
    });
    let sessions = LocalResource::new(move || {
        let user = selected.get();
        version.track();
        async move {
            match user {
                Some(u) => auth
                    .call(|| crate::api::admin_user_sessions(u.id.clone()))
                    .await
                    .map(Some),
                None => Ok(None),
            }
        }
    });

    let force_logout = move |user: AdminUserDto| {
        if !confirm(&format!("Sign {} out of every device?", user.email)) {
            return;
        }
        leptos::task::spawn_local(async move {
            match auth
                .call(|| crate::api::admin_force_logout(user.id.clone()))
                .await
            {
                Ok(r) => notice.set(Some(format!(
                    "Ended {} of {}.",
                    count(r.revoked, "session", "sessions"),
                    user.email
                ))),
                Err(e) => notice.set(Some(e.message)),
            }
            version.update(|v| *v += 1);
        });
    };
    let set_disabled = move |user: AdminUserDto, disabled: bool| {
        if disabled
            && !confirm(&format!(
                "Disable {}? They are signed out of every device and cannot sign in until the account is enabled again.",
                user.email
            ))
        {
            return;
        }
        leptos::task::spawn_local(async move {
            match auth
                .call(|| crate::api::admin_set_disabled(user.id.clone(), disabled))
                .await
            {
                Ok(_) => {
                    notice.set(Some(if disabled {
                        format!("{} is disabled and signed out everywhere.", user.email)
                    } else {
                        format!("{} can sign in again.", user.email)
                    }));
                    selected.update(|s| {
                        if let Some(s) = s {
                            s.disabled = disabled
                        }
                    });
                }
                Err(e) => notice.set(Some(e.message)),
            }
            version.update(|v| *v += 1);
        });
    };

    view! {
        <section>
            <h1>"Admin"</h1>
            {move || notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
            {move || selected.get().map(|user| user_detail(user, sessions, force_logout, set_disabled, back))}
            // Hidden, not removed, while a user's details are open: the search, the page and the
            // scroll position are still there on the way back.
            <div class="user-list" hidden=move || selected.get().is_some()>
            <label for="user-search">"Search users by email"</label>
            <input id="user-search" type="search" placeholder="name@example.com"
                prop:value=query on:input=move |ev| { offset.set(0); query.set(event_target_value(&ev)); } />
            <Suspense fallback=|| view! { <p class="checking" role="status">"Loading users…"</p> }>
                {move || users.get().map(|result| match result {
                    Ok(page) => {
                        let total = page.total;
                        let at_end = move || offset.get() + PAGE >= total;
                        let range = move || format!("{}–{} of {}", (offset.get() + 1).min(total), (offset.get() + PAGE).min(total), total);
                        view! {
                            <div class="table-wrap">
                                <table class="users" data-testid="users">
                                    <thead><tr><th>"Email"</th><th>"Role"</th><th>"Status"</th><th>"Sessions"</th><th>"Created"</th><th></th></tr></thead>
                                    <tbody>
                                        {page.users.into_iter().map(|u| {
                                            let pick = u.clone();
                                            let id = u.id.clone();
                                            let marked = move || (last_opened.get().as_deref() == Some(id.as_str())).then_some("true");
                                            view! {
                                                <tr data-email=u.email.clone() data-id=u.id.clone() aria-current=marked>
                                                    <td>{u.email.clone()}</td>
                                                    <td>{u.role.as_str()}</td>
                                                    <td>{if u.disabled { "Disabled" } else { "Active" }}</td>
                                                    <td>{u.active_sessions}</td>
                                                    <td><RelativeTime at=u.created_at /></td>
                                                    <td><button class="button secondary small" aria-label=format!("Details of {}", u.email)
                                                        on:click=move |_| open(pick.clone())>"Details"</button></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <div class="pager">
                                <button class="button secondary small" disabled=move || offset.get() == 0
                                    on:click=move |_| offset.update(|o| *o = (*o - PAGE).max(0))>"Previous"</button>
                                <span>{range}</span>
                                <button class="button secondary small" disabled=at_end
                                    on:click=move |_| offset.update(|o| *o += PAGE)>"Next"</button>
                            </div>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                })}
            </Suspense>
            </div>
        </section>
    }
}

/// One user's details and actions, shown in place of the list.
fn user_detail(
    user: AdminUserDto,
    sessions: LocalResource<Result<Option<SessionsResponse>, crate::api::ApiError>>,
    force_logout: impl Fn(AdminUserDto) + Copy + 'static,
    set_disabled: impl Fn(AdminUserDto, bool) + Copy + 'static,
    back: impl Fn(leptos::ev::MouseEvent) + Copy + 'static,
) -> impl IntoView {
    let (u1, u2) = (user.clone(), user.clone());
    view! {
        <section class="card" data-testid="user-detail">
            <div class="heading-row">
                <h2>{user.email.clone()}</h2>
                <button class="button secondary small" on:click=back>"Back to all users"</button>
            </div>
            <div class="actions">
                <button class="button danger" on:click=move |_| force_logout(u1.clone())>"Force logout"</button>
                {if user.disabled {
                    view! { <button class="button" on:click=move |_| set_disabled(u2.clone(), false)>"Enable account"</button> }.into_any()
                } else {
                    view! { <button class="button secondary" on:click=move |_| set_disabled(u2.clone(), true)>"Disable account"</button> }.into_any()
                }}
            </div>
            <Suspense fallback=|| ()>
                {move || sessions.get().map(|result| match result {
                    Ok(Some(SessionsResponse { sessions, ended })) => view! {
                        <h3>"Active sessions (" {sessions.len()} ")"</h3>
                        <ul class="session-list">
                            {sessions.into_iter().map(|s| view! { <SessionItem session=s /> }).collect_view()}
                        </ul>
                        <EndedList ended heading=Heading::H3 />
                    }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
