use contract::password::{assess, Context};
use leptos::prelude::*;

/// The shared password rules, applied as the person types: a strength bar, and either the
/// reason the server would refuse the password or advice on making it stronger. The server
/// runs the same `contract::password` check when the form is sent.
#[component]
pub fn PasswordMeter(
    /// What is in the new-password field now.
    #[prop(into)]
    password: Signal<String>,
    /// The account's email, or what is typed in the email field.
    #[prop(into)]
    email: Signal<String>,
    /// The current password, on forms that replace one.
    #[prop(into, optional)]
    current: Option<Signal<String>>,
    /// The id the password field points at with `aria-describedby`.
    id: &'static str,
) -> impl IntoView {
    let assessment = Memo::new(move |_| {
        let password = password.get();
        if password.is_empty() {
            return None;
        }
        let email = email.get();
        let current = current.map(|c| c.get());
        let context = Context {
            email: &email,
            current: current.as_deref().filter(|c| !c.is_empty()),
        };
        Some(assess(&password, context))
    });
    let level = move || assessment.get().map_or(0, |a| a.strength.level());
    view! {
        // Polite: a screen reader hears the verdict when the person pauses, not every keystroke.
        <div class="password-meter" id=id aria-live="polite" data-testid="password-meter"
            data-level=move || level().to_string() hidden=move || assessment.get().is_none()>
            <div class="bars" aria-hidden="true">
                {(1..=4u8).map(move |bar| view! { <span class:on={move || level() >= bar}></span> }).collect_view()}
            </div>
            {move || assessment.get().map(|a| {
                let verdict = format!("Strength: {}.", a.strength.label());
                match (a.problem, a.advice) {
                    (Some(problem), _) => view! {
                        <p class="password-problem" data-testid="password-problem">
                            <strong>{verdict}</strong>" "{problem.sentence()}
                        </p>
                    }.into_any(),
                    (None, advice) => view! {
                        <p class="hint"><strong>{verdict}</strong>" "{advice.unwrap_or("")}</p>
                    }.into_any(),
                }
            })}
        </div>
    }
}
