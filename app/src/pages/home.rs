use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn Home() -> impl IntoView {
    let query = use_query_map();
    view! {
        <section class="hero">
            {move || query.read().get("account_deleted").map(|_| view! {
                <p class="notice" role="status" data-testid="account-deleted">
                    "Your account has been deleted, and every device it was signed in on has been signed out."
                </p>
            })}
            <h1>"latchkey"</h1>
            <p class="lede">"Sign-in and sessions you can see, revoke and trust."</p>
        </section>
    }
}
