use leptos::prelude::*;

#[component]
pub fn Home() -> impl IntoView {
    // Counts clicks only once hydrated: the browser test uses it to prove the WASM took over.
    let (presses, set_presses) = signal(0u32);
    view! {
        <section class="hero">
            <h1>"latchkey"</h1>
            <p class="lede">"Sign-in and sessions you can see, revoke and trust."</p>
            <button
                class="button secondary"
                data-testid="hydration-check"
                on:click=move |_| set_presses.update(|n| *n += 1)
            >
                "Pressed " {presses} " times"
            </button>
        </section>
    }
}
