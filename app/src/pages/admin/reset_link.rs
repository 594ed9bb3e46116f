use leptos::prelude::*;

use crate::api::{self, AdminUserDto, ResetLinkResponse};
use crate::auth::use_auth;
use crate::components::ExactTime;
use crate::platform::copy_text;

/// Creates a one-time password reset link for the user and shows it, read-only with a copy
/// button, for the administrator to pass on: there is no email delivery yet.
#[component]
pub fn ResetLinkCreator(user: AdminUserDto) -> impl IntoView {
    let auth = use_auth();
    let AdminUserDto { id, email, .. } = user;
    let create = Action::new_local(move |_: &()| {
        let id = id.clone();
        async move { auth.call(|| api::admin_reset_link(id.clone())).await }
    });
    let copy = Action::new_local(|link: &String| {
        let link = link.clone();
        async move { copy_text(&link).await }
    });
    let label = format!("Create a password reset link for {email}");
    view! {
        <div class="reset-link" data-testid="reset-link">
            <button class="button secondary" disabled=move || create.pending().get()
                on:click=move |_| { create.dispatch(()); }>{label}</button>
            {move || create.value().get().map(|result| match result {
                Ok(ResetLinkResponse { link: Some(link), expires_at }) => {
                    let to_copy = link.clone();
                    view! {
                        <label for="reset-link-url">"Password reset link"</label>
                        <div class="password-row">
                            <input id="reset-link-url" type="text" readonly prop:value=link
                                aria-describedby="reset-link-expiry" />
                            <button type="button" class="button secondary small"
                                on:click=move |_| { copy.dispatch(to_copy.clone()); }>"Copy"</button>
                        </div>
                        <p class="hint" id="reset-link-expiry">
                            "Works once, until " <ExactTime at=expires_at />
                            ". Pass it on by a channel you trust; a new link replaces this one."
                        </p>
                        {move || copy.value().get().map(|copied| if copied {
                            view! { <p class="notice" role="status">"Link copied."</p> }.into_any()
                        } else {
                            view! { <p class="error" role="alert">"The browser did not allow copying. Select the link and copy it yourself."</p> }.into_any()
                        })}
                    }.into_any()
                }
                Ok(ResetLinkResponse { link: None, expires_at }) => view! {
                    <p class="notice" role="status">
                        "A reset link was sent to the account's owner. It works once, until "
                        <ExactTime at=expires_at /> "."
                    </p>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
            })}
        </div>
    }
}
