use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::platform::focus_element;

/// After a client-side navigation, moves focus to the new page's main heading, so keyboard and
/// screen-reader users start where the content starts. Browsers do this only for full page
/// loads; without it focus stays on the link that was clicked, in a header that did not change.
#[component]
pub fn FocusOnNavigate() -> impl IntoView {
    let location = use_location();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|p| p != path) {
            focus_element("main h1");
        }
        path
    });
}
