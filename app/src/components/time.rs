use leptos::prelude::*;

use crate::platform::{iso, local_time, now};

/// "3 minutes ago", with the exact time on hover.
#[component]
pub fn RelativeTime(at: i64) -> impl IntoView {
    view! { <time datetime=iso(at) title=local_time(at)>{relative(at)}</time> }
}

#[component]
pub fn ExactTime(at: i64) -> impl IntoView {
    view! { <time datetime=iso(at)>{local_time(at)}</time> }
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
