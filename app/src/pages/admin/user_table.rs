use leptos::prelude::*;

use crate::api::AdminUserDto;
use crate::components::RelativeTime;

/// One page of users, one row each, with a button that opens a user's details. The row opened
/// last is marked (`aria-current`) so the person finds their place on the way back.
#[component]
pub fn UserTable(
    users: Vec<AdminUserDto>,
    #[prop(into)] last_opened: Signal<Option<String>>,
    on_open: Callback<AdminUserDto>,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="users" data-testid="users">
                <thead><tr><th>"Email"</th><th>"Role"</th><th>"Status"</th><th>"Sessions"</th><th>"Created"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                <tbody>
                    {users.into_iter().map(|u| {
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
                                    on:click=move |_| on_open.run(pick.clone())>"Details"</button></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
