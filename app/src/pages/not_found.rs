use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    crate::platform::answer_not_found();
    view! {
        <Title text="Page not found · latchkey" />
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <a class="button" href="/">"Go home"</a>
        </section>
    }
}
