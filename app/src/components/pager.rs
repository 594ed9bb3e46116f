use leptos::prelude::*;

/// "Previous", "21–40 of 57", "Next": moves `offset` through `total` items, `page_size` at a time.
#[component]
pub fn Pager(offset: RwSignal<i64>, total: i64, page_size: i64) -> impl IntoView {
    let at_end = move || offset.get() + page_size >= total;
    let range = move || {
        format!(
            "{}–{} of {}",
            (offset.get() + 1).min(total),
            (offset.get() + page_size).min(total),
            total
        )
    };
    view! {
        <div class="pager">
            <button class="button secondary small" disabled=move || offset.get() == 0
                on:click=move |_| offset.update(|o| *o = (*o - page_size).max(0))>"Previous"</button>
            <span>{range}</span>
            <button class="button secondary small" disabled=at_end
                on:click=move |_| offset.update(|o| *o += page_size)>"Next"</button>
        </div>
    }
}
