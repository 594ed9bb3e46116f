//! Browser-only pieces: cross-tab refresh lock (Web Locks API, falling back to this tab only),
//! the refresh timer, and the sign-out broadcast.

#[cfg(feature = "hydrate")]
use leptos::prelude::*;

#[cfg(feature = "hydrate")]
use super::Auth;

#[cfg(feature = "hydrate")]
const CHANNEL: &str = "latchkey-auth";
#[cfg(feature = "hydrate")]
const LOCK: &str = "latchkey-refresh";

/// Runs `work` while holding the browser-wide refresh lock. Without Web Locks it still
/// serialises within the tab.
pub async fn with_refresh_lock<T: 'static>(
    work: impl std::future::Future<Output = T> + 'static,
) -> T {
    #[cfg(feature = "hydrate")]
    {
        use std::cell::RefCell;
        use std::rc::Rc;
        use wasm_bindgen::prelude::*;
        use wasm_bindgen::JsCast;

        thread_local! {
            static TAB_LOCK: Rc<futures::lock::Mutex<()>> = Rc::new(futures::lock::Mutex::new(()));
        }
        let tab_lock = TAB_LOCK.with(Rc::clone);
        let _guard = tab_lock.lock().await;

        let locks = web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w.navigator(), &"locks".into()).ok())
            .filter(|l| !l.is_undefined() && !l.is_null());
        let request = locks
            .as_ref()
            .and_then(|l| js_sys::Reflect::get(l, &"request".into()).ok())
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        let (Some(locks), Some(request)) = (locks, request) else {
            return work.await;
        };

        let slot: Rc<RefCell<Option<T>>> = Rc::new(RefCell::new(None));
        let work = Rc::new(RefCell::new(Some(work)));
        let callback = {
            let slot = slot.clone();
            let work = work.clone();
            Closure::once_into_js(move |_lock: JsValue| -> js_sys::Promise {
                let work = work.borrow_mut().take();
                wasm_bindgen_futures::future_to_promise(async move {
                    if let Some(work) = work {
                        *slot.borrow_mut() = Some(work.await);
                    }
                    Ok(JsValue::UNDEFINED)
                })
            })
        };
        if let Ok(promise) = request.call2(&locks, &LOCK.into(), &callback) {
            if let Ok(promise) = promise.dyn_into::<js_sys::Promise>() {
                let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            }
        }
        let result = slot.borrow_mut().take();
        if let Some(result) = result {
            return result;
        }
        // The lock request failed before running the work: run it under the tab lock alone.
        let pending = work.borrow_mut().take();
        match pending {
            Some(work) => work.await,
            None => unreachable!("the work either ran under the lock or is still here"),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        work.await
    }
}

/// Refreshes when 80 % of the token's life has passed (at least 2 s before it expires).
#[cfg(feature = "hydrate")]
pub fn schedule_refresh(auth: Auth, expires_in: i64) {
    let lead = (expires_in / 5).max(2);
    let delay = (expires_in - lead).max(1) as u64;
    let generation = auth.generation.get_untracked();
    set_timeout(
        move || {
            // A newer token has its own timer.
            if auth.generation.get_untracked() == generation && super::token::current().is_some() {
                leptos::task::spawn_local(async move {
                    let _ = auth.refresh().await;
                });
            }
        },
        std::time::Duration::from_secs(delay),
    );
}

/// Waits without blocking the tab (a no-op on the server).
pub async fn sleep_ms(ms: u32) {
    #[cfg(feature = "hydrate")]
    {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(window) = web_sys::window() {
                let _ = window
                    .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ms;
}

/// After a refresh failed for a passing reason, tries again later rather than never.
#[cfg(feature = "hydrate")]
pub fn schedule_retry(auth: Auth, seconds: u64) {
    let generation = auth.generation.get_untracked();
    set_timeout(
        move || {
            if auth.generation.get_untracked() == generation {
                leptos::task::spawn_local(async move {
                    let _ = auth.refresh().await;
                });
            }
        },
        std::time::Duration::from_secs(seconds),
    );
}

#[cfg(feature = "hydrate")]
thread_local! {
    // One channel per tab, used to both listen and announce: a BroadcastChannel never receives
    // its own messages, so the tab that signs out is not told it was signed out elsewhere.
    static CHANNEL_HANDLE: Option<web_sys::BroadcastChannel> = web_sys::BroadcastChannel::new(CHANNEL).ok();
}

#[cfg(feature = "hydrate")]
pub fn announce_sign_out() {
    CHANNEL_HANDLE.with(|channel| {
        if let Some(channel) = channel {
            let _ = channel.post_message(&"signed_out".into());
        }
    });
}

#[cfg(feature = "hydrate")]
pub fn listen_for_other_tabs(auth: Auth) {
    use wasm_bindgen::prelude::*;
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if event.data().as_string().as_deref() == Some("signed_out") {
                auth.forget(Some(super::SignedOutReason::ElsewhereInThisBrowser));
            }
        });
    CHANNEL_HANDLE.with(|channel| {
        if let Some(channel) = channel {
            channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        }
    });
    // The listener lives as long as the tab.
    on_message.forget();
}
