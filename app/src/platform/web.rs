//! The browser side of `platform`: the Web APIs the app uses, each behind a plain function.
//! See `mod.rs` for what each function means.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub const IN_BROWSER: bool = true;

/// The BroadcastChannel that carries sign-outs between tabs.
const CHANNEL: &str = "latchkey-auth";
/// The Web Locks name held while refreshing.
const LOCK: &str = "latchkey-refresh";
/// The message a tab posts when it signs out.
const SIGNED_OUT: &str = "signed_out";

pub fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

fn date(at: i64) -> js_sys::Date {
    js_sys::Date::new(&JsValue::from_f64(at as f64 * 1000.0))
}

pub fn iso(at: i64) -> String {
    String::from(date(at).to_iso_string())
}

pub fn local_time(at: i64) -> String {
    String::from(date(at).to_locale_string("default", &JsValue::UNDEFINED))
}

pub fn encode_uri_component(raw: &str) -> String {
    String::from(js_sys::encode_uri_component(raw))
}

pub fn confirm(message: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(message).ok())
        .unwrap_or(false)
}

pub async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ =
                window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

pub fn after(delay: Duration, run: impl FnOnce() + 'static) {
    leptos::prelude::set_timeout(run, delay);
}

pub async fn with_refresh_lock<T: 'static>(work: impl Future<Output = T> + 'static) -> T {
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

thread_local! {
    // One channel per tab, used to both listen and announce: a BroadcastChannel never receives
    // its own messages, so the tab that signs out is not told it was signed out elsewhere.
    static CHANNEL_HANDLE: Option<web_sys::BroadcastChannel> = web_sys::BroadcastChannel::new(CHANNEL).ok();
}

pub fn broadcast_sign_out() {
    CHANNEL_HANDLE.with(|channel| {
        if let Some(channel) = channel {
            let _ = channel.post_message(&SIGNED_OUT.into());
        }
    });
}

pub fn on_sign_out_elsewhere(run: impl Fn() + 'static) {
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if event.data().as_string().as_deref() == Some(SIGNED_OUT) {
                run();
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

pub fn load_page(path: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
}

pub async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

pub fn take_location_fragment() -> Option<String> {
    let window = web_sys::window()?;
    let hash = window.location().hash().ok()?;
    let fragment = hash.strip_prefix('#').unwrap_or(&hash).to_owned();
    if fragment.is_empty() {
        return None;
    }
    let location = window.location();
    let without = format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&without));
    }
    Some(fragment)
}

pub fn focus_element(selector: &str) {
    let selector = selector.to_owned();
    leptos::prelude::request_animation_frame(move || {
        let Some(element) = leptos::prelude::document()
            .query_selector(&selector)
            .ok()
            .flatten()
        else {
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

pub fn answer_not_found() {}

pub async fn dpop_proof(key: super::DeviceKeyUse, path: &str) -> Option<String> {
    let key = match key {
        super::DeviceKeyUse::New => super::device_key::replace().await?,
        super::DeviceKeyUse::Current => super::device_key::current_or_new().await?,
    };
    let origin = web_sys::window()?.location().origin().ok()?;
    key.proof("POST", &format!("{origin}{path}")).await
}

pub async fn forget_device_key() {
    super::device_key::forget().await
}

pub fn registration_open() -> bool {
    let content = leptos::prelude::document()
        .query_selector("meta[name=latchkey-registration]")
        .ok()
        .flatten()
        .and_then(|meta| meta.get_attribute("content"));
    content.as_deref() != Some("closed")
}
