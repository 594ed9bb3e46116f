use leptos::prelude::*;

#[component]
pub fn Home() -> impl IntoView {
    view! {
        <section class="hero">
            <h1>"latchkey"</h1>
            <p class="lede">"Sign-in and sessions you can see, revoke and trust."</p>
        </section>
    }
}
