//! A person's devices, as the devices page and the admin console both show them: one row per
//! signed-in device, and the list of recently ended ones with why each ended.

use leptos::prelude::*;

use crate::api::{EndedSessionDto, SessionAddressDto, SessionDto};
use crate::auth::ended_reason_text;
use crate::components::{ExactTime, RelativeTime};

/// Whether a device name (as the server derives it from the user agent) reads as a phone.
fn is_phone(device: &str) -> bool {
    let d = device.to_ascii_lowercase();
    ["android", "iphone", "ios", "mobile"]
        .iter()
        .any(|word| d.contains(word))
}

/// A phone or a laptop outline, drawn inline so no icon font or emoji font is needed.
#[component]
pub fn DeviceIcon(#[prop(into)] device: String) -> impl IntoView {
    let path = if is_phone(&device) {
        "M8 2h8a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm3 17h2"
    } else {
        "M4 5h16a1 1 0 0 1 1 1v10H3V6a1 1 0 0 1 1-1zM1 18h22v1a1 1 0 0 1-1 1H2a1 1 0 0 1-1-1z"
    };
    view! {
        <svg class="device-icon" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true"
            fill="none" stroke="currentColor" stroke-width="1.6" stroke-linejoin="round">
            <path d=path />
        </svg>
    }
}

/// One signed-in device. With `on_sign_out`, a device other than this one gets a "Sign out"
/// button that reports the session's id and device name.
#[component]
pub fn SessionItem(
    session: SessionDto,
    #[prop(optional)] on_sign_out: Option<Callback<(String, String)>>,
) -> impl IntoView {
    let target = (session.id.clone(), session.device.clone());
    let label = format!("Sign out {}", session.device);
    let sign_out = on_sign_out.filter(|_| !session.current);
    // Erased to `AnyView`: the row's full static type is deep enough to exceed rustc's
    // layout depth limit in the hydrate build.
    let main = view! {
        <div class="session-main">
            <div class="device">
                <strong>{session.device.clone()}</strong>
                {session.current.then(|| view! { <span class="badge">"This device"</span> })}
            </div>
            <div class="meta" title=session.user_agent.clone()>
                <span>"Last seen from " {session.ip.clone()}</span>
                {(session.first_ip != session.ip && !session.first_ip.is_empty()).then(|| view! {
                    <span>"Signed in from " {session.first_ip.clone()}</span>
                })}
                <span>"Signed in " <RelativeTime at=session.created_at /></span>
                <span>"Last active " <RelativeTime at=session.last_active_at /></span>
                <span>"Expires " <ExactTime at=session.expires_at /></span>
            </div>
            <div class="meta binding" data-testid="binding" data-bound=session.bound.to_string()>
                {if session.bound {
                    view! { <span>"Bound to its browser\u{2019}s key: a copied sign-in does not work elsewhere"</span> }.into_any()
                } else {
                    view! { <span class="warning">"Not bound to a device key (signed in by a script or an older app)"</span> }.into_any()
                }}
            </div>
            <NetworkHistory addresses=session.addresses.clone() />
        </div>
    }
    .into_any();
    view! {
        <li class="session" data-testid="session" data-current=session.current.to_string()>
            <DeviceIcon device=session.device.clone() />
            {main}
            {sign_out.map(|sign_out| view! {
                <button class="button secondary small" aria-label=label.clone()
                    on:click=move |_| sign_out.run(target.clone())>"Sign out"</button>
            })}
        </li>
    }
}

/// Where a session has been used from, when that is more than one address; a network it had
/// not used before is marked.
#[component]
fn NetworkHistory(addresses: Vec<SessionAddressDto>) -> impl IntoView {
    (addresses.len() > 1).then(|| view! {
        <details class="networks">
            <summary>{format!("Used from {} addresses", addresses.len())}</summary>
            <ul data-testid="addresses">
                {addresses.into_iter().map(|a| view! {
                    <li data-new-network=a.new_network.to_string()>
                        {a.ip}
                        {a.new_network.then(|| view! { <span class="badge warning">"New network"</span> })}
                        " \u{b7} last " <RelativeTime at=a.last_seen_at />
                    </li>
                }).collect_view()}
            </ul>
        </details>
    })
}

/// The heading level of a list's title, to fit the page around it.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub enum HeadingLevel {
    /// Directly under the page's `h1`.
    #[default]
    H2,
    /// Inside a card titled with an `h2`.
    H3,
}

/// "Recently ended": each ended session with why it ended; nothing at all when there is none.
#[component]
pub fn EndedList(
    ended: Vec<EndedSessionDto>,
    #[prop(optional)] heading: HeadingLevel,
) -> impl IntoView {
    (!ended.is_empty()).then(|| view! {
        {match heading {
            HeadingLevel::H2 => view! { <h2>"Recently ended"</h2> }.into_any(),
            HeadingLevel::H3 => view! { <h3>"Recently ended"</h3> }.into_any(),
        }}
        <ul class="session-list ended" data-testid="ended-sessions">
            {ended.into_iter().map(|s| view! {
                <li class="session">
                    <DeviceIcon device=s.device.clone() />
                    <div class="session-main">
                        <div class="device"><strong>{s.device}</strong></div>
                        <div class="meta">
                            <span class="reason" data-reason=s.reason.as_str()>{ended_reason_text(s.reason)}</span>
                            <span><RelativeTime at=s.ended_at /></span>
                            <span>"IP " {s.ip}</span>
                        </div>
                    </div>
                </li>
            }).collect_view()}
        </ul>
    })
}

#[cfg(test)]
mod tests {
    use super::is_phone;

    #[test]
    fn phones_and_computers_are_told_apart() {
        for phone in ["Safari on iPhone", "Chrome on Android", "Firefox Mobile"] {
            assert!(is_phone(phone), "{phone}");
        }
        for computer in ["Firefox on Linux", "Chrome on Windows", "Safari on macOS"] {
            assert!(!is_phone(computer), "{computer}");
        }
    }
}
