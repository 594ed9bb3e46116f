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
    focus_element("main h1");
}

/// Moves focus to the first element matching `selector` once it has been drawn; headings
/// become focusable by script only (not a tab stop).
pub fn focus_element(selector: &str) {
    #[cfg(feature = "hydrate")]
    {
        let selector = selector.to_owned();
        request_animation_frame(move || {
            use wasm_bindgen::JsCast as _;
            let Some(element) = document().query_selector(&selector).ok().flatten() else {
                return;
            };
            if !element.has_attribute("tabindex") && element.tag_name().starts_with('H') {
                let _ = element.set_attribute("tabindex", "-1");
            }
            if let Ok(element) = element.dyn_into::<web_sys::HtmlElement>() {
                let _ = element.focus();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = selector;
}
