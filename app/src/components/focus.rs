use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// After a client-side navigation, moves focus to the new page's main heading, so keyboard and
/// screen-reader users start where the content starts. Browsers do this only for full page
/// loads; without it focus stays on the link that was clicked, in a header that did not change.
#[component]
pub fn FocusOnNavigate() -> impl IntoView {
    let location = use_location();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|p| p != path) {
            focus_heading();
        }
        path
    });
}

fn focus_heading() {
    #[cfg(feature = "hydrate")]
    request_animation_frame(|| {
        use wasm_bindgen::JsCast as _;
        let Some(heading) = document().query_selector("main h1").ok().flatten() else {
            return;
        };
        // Focusable by script only: not a tab stop.
        let _ = heading.set_attribute("tabindex", "-1");
        if let Ok(heading) = heading.dyn_into::<web_sys::HtmlElement>() {
            let _ = heading.focus();
        }
    });
}
