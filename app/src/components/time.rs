use leptos::prelude::*;

/// "3 minutes ago", with the exact time on hover.
#[component]
pub fn RelativeTime(at: i64) -> impl IntoView {
    view! { <time datetime=iso(at) title=exact(at)>{relative(at)}</time> }
}

#[component]
pub fn ExactTime(at: i64) -> impl IntoView {
    view! { <time datetime=iso(at)>{exact(at)}</time> }
}

fn now() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        (js_sys::Date::now() / 1000.0) as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

pub fn relative(at: i64) -> String {
    let delta = now() - at;
    let (future, secs) = if delta < 0 {
        (true, -delta)
    } else {
        (false, delta)
    };
    let (n, unit) = match secs {
        0..=44 => {
            return if future {
                "in a few seconds".into()
            } else {
                "just now".into()
            }
        }
        45..=3_599 => ((secs + 30) / 60, "minute"),
        3_600..=86_399 => ((secs + 1_800) / 3_600, "hour"),
        _ => ((secs + 43_200) / 86_400, "day"),
    };
    let n = n.max(1);
    let plural = if n == 1 { "" } else { "s" };
    if future {
        format!("in {n} {unit}{plural}")
    } else {
        format!("{n} {unit}{plural} ago")
    }
}

fn iso(at: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        String::from(
            js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64 * 1000.0)).to_iso_string(),
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        at.to_string()
    }
}

fn exact(at: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        String::from(
            js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64 * 1000.0))
                .to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED),
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        at.to_string()
    }
}
