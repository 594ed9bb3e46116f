//! The password rules. The server decides with [`check`]; the page calls [`assess`] on every
//! keystroke to explain the same decision before the form is sent.
//!
//! They follow NIST SP 800-63B: 8 to 128 characters with no composition rules, and a refusal
//! for passwords that are known, built from the account's own name, or made only of patterns
//! an attacker tries first (repeats, sequences, keyboard rows, a common password with a few
//! characters added). How hard a password is to guess is estimated as the cheapest way to
//! describe it from those patterns, the way zxcvbn does, with a list small enough to ship in
//! the page (zxcvbn itself would triple the size of the WebAssembly).

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;

/// Below this many bits of guessing work (about a million guesses) a password is refused.
const REFUSED_BELOW_BITS: f64 = 20.0;
/// A local part shorter than this is too common a fragment to refuse passwords over.
const MIN_EMAIL_FRAGMENT: usize = 4;
/// Longer dictionary matches than this are not looked for (the list has none).
const MAX_WORD_CHARS: usize = 32;
/// Named in the estimate as a context word: a password containing it is guessed early.
const SERVICE_NAME: &str = "latchkey";

/// What the rules know about the person choosing the password.
#[derive(Debug, Default, Clone, Copy)]
pub struct Context<'a> {
    pub email: &'a str,
    /// The password being replaced, when there is one.
    pub current: Option<&'a str>,
}

/// Why a password is refused, in the order the rules are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    TooShort,
    TooLong,
    OnlyWhitespace,
    /// Tab, line break, NUL, escape and the like: nobody types them, and they hide in logs.
    ControlCharacter,
    SameAsCurrent,
    ContainsEmail,
    Common,
    Predictable,
}

impl Problem {
    pub fn sentence(self) -> &'static str {
        match self {
            Self::TooShort => "Use at least 8 characters. A few words together are easiest.",
            Self::TooLong => "Use at most 128 characters.",
            Self::OnlyWhitespace => "A password cannot be only spaces. Add some words.",
            Self::ControlCharacter => {
                "A password cannot contain control characters such as tabs or line breaks."
            }
            Self::SameAsCurrent => {
                "The new password is the same as the current one. Choose a different one."
            }
            Self::ContainsEmail => {
                "This password contains your email address, so it is easy to guess. Choose another."
            }
            Self::Common => {
                "This is one of the most common passwords, so attackers try it first. Choose another."
            }
            Self::Predictable => {
                "This password follows a pattern attackers try first (repeated characters, \
                 sequences such as 1234, keyboard rows, or a common password with a few \
                 characters added). Add words only you would put together."
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sentence())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// Refused.
    TooWeak,
    Weak,
    Fair,
    Good,
    Strong,
}

impl Strength {
    fn from_bits(bits: f64) -> Self {
        match bits {
            b if b < REFUSED_BELOW_BITS => Self::TooWeak,
            b if b < 28.0 => Self::Weak,
            b if b < 36.0 => Self::Fair,
            b if b < 50.0 => Self::Good,
            _ => Self::Strong,
        }
    }

    /// 0 (refused) to 4, for a meter.
    pub fn level(self) -> u8 {
        self as u8
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::TooWeak => "Too weak",
            Self::Weak => "Weak",
            Self::Fair => "Fair",
            Self::Good => "Good",
            Self::Strong => "Strong",
        }
    }
}

/// The kinds of pattern a guesser tries first, for advice on an accepted but weak password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    Repeat,
    Sequence,
    Keyboard,
    Dictionary,
    Context,
}

impl Pattern {
    fn advice(self) -> &'static str {
        match self {
            Self::Repeat => "Repeated characters add little. Add another word or two.",
            Self::Sequence => "Sequences such as abc or 1234 add little. Add another word or two.",
            Self::Keyboard => "Keyboard patterns such as qwerty add little. Add another word or two.",
            Self::Dictionary => {
                "Common passwords and words are guessed early, even with numbers added. Add another word or two."
            }
            Self::Context => "Your own name or this service's name is guessed early. Add another word or two.",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub problem: Option<Problem>,
    pub strength: Strength,
    /// A next step for a password that is accepted but could be stronger.
    pub advice: Option<&'static str>,
}

/// The server's rule: `Err` names the first problem found.
pub fn check(password: &str, context: Context<'_>) -> Result<(), Problem> {
    match assess(password, context).problem {
        Some(problem) => Err(problem),
        None => Ok(()),
    }
}

pub fn assess(password: &str, context: Context<'_>) -> Assessment {
    let refused = |problem| Assessment {
        problem: Some(problem),
        strength: Strength::TooWeak,
        advice: None,
    };
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return refused(Problem::TooShort);
    }
    if chars > MAX_CHARS {
        return refused(Problem::TooLong);
    }
    if password.trim().is_empty() {
        return refused(Problem::OnlyWhitespace);
    }
    if password.chars().any(char::is_control) {
        return refused(Problem::ControlCharacter);
    }
    if context.current == Some(password) {
        return refused(Problem::SameAsCurrent);
    }
    let lower = password.to_lowercase();
    let fragment = email_fragment(context.email);
    if fragment
        .as_deref()
        .is_some_and(|f| lower.contains(f) || lower.contains(context.email.trim()))
    {
        return refused(Problem::ContainsEmail);
    }
    if common().contains_key(lower.trim()) {
        return refused(Problem::Common);
    }
    let estimate = estimate(password, fragment.as_deref());
    let strength = Strength::from_bits(estimate.bits);
    if strength == Strength::TooWeak {
        return refused(Problem::Predictable);
    }
    Assessment {
        problem: None,
        strength,
        advice: (strength < Strength::Good).then(|| {
            estimate.weakest.map_or(
                "Length helps most: add another word or two.",
                Pattern::advice,
            )
        }),
    }
}

/// The part of the email before `@` (and before any `+tag`), lower-cased, if long enough to
/// matter.
fn email_fragment(email: &str) -> Option<String> {
    let local = email.trim().split('@').next()?.split('+').next()?;
    (local.chars().count() >= MIN_EMAIL_FRAGMENT).then(|| local.to_lowercase())
}

/// Most common first: the rank is the line number.
fn common() -> &'static HashMap<&'static str, u32> {
    static LIST: OnceLock<HashMap<&'static str, u32>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .zip(1..)
            .collect()
    })
}

struct Estimate {
    /// log2 of the guesses needed by an attacker who tries patterns cheapest first.
    bits: f64,
    /// The pattern covering most of the password, if any did.
    weakest: Option<Pattern>,
}

/// One way to describe the characters `start..end`, and what guessing it costs.
#[derive(Clone, Copy)]
struct Piece {
    end: usize,
    bits: f64,
    pattern: Option<Pattern>,
}

/// The cheapest description of the whole password as a run of pieces (dynamic programming
/// over the positions), so a guesser who knows every pattern is never underestimated.
fn estimate(password: &str, email_fragment: Option<&str>) -> Estimate {
    let chars: Vec<char> = password.chars().collect();
    let lower: Vec<char> = chars.iter().map(|&c| lower_char(c)).collect();
    let n = chars.len();
    // best[i] = (bits to describe chars[..i], where the last piece starts, its pattern)
    let mut best = vec![(f64::INFINITY, 0usize, None::<Pattern>); n + 1];
    best[0].0 = 0.0;
    let context: Vec<Vec<char>> = [Some(SERVICE_NAME), email_fragment]
        .into_iter()
        .flatten()
        .map(|word| word.chars().collect())
        .collect();
    for start in 0..n {
        let so_far = best[start].0;
        for piece in pieces(start, &chars, &lower, &context) {
            let total = so_far + piece.bits;
            if total < best[piece.end].0 {
                best[piece.end] = (total, start, piece.pattern);
            }
        }
    }
    let mut weakest = None;
    let mut widest = 0;
    let mut end = n;
    while end > 0 {
        let (_, start, pattern) = best[end];
        if pattern.is_some() && end - start > widest {
            widest = end - start;
            weakest = pattern;
        }
        end = start;
    }
    Estimate {
        bits: best[n].0,
        weakest,
    }
}

fn pieces(start: usize, chars: &[char], lower: &[char], context: &[Vec<char>]) -> Vec<Piece> {
    let mut found = vec![Piece {
        end: start + 1,
        bits: class_bits(chars[start]),
        pattern: None,
    }];
    dictionary_words(start, chars, lower, &mut found);
    for word in context {
        if lower[start..].starts_with(word) {
            let end = start + word.len();
            found.push(Piece {
                end,
                bits: 1.0 + case_bits(&chars[start..end]),
                pattern: Some(Pattern::Context),
            });
        }
    }
    repeats(start, chars, lower, &mut found);
    runs(start, lower, &mut found);
    found
}

fn dictionary_words(start: usize, chars: &[char], lower: &[char], found: &mut Vec<Piece>) {
    let longest = MAX_WORD_CHARS.min(lower.len() - start);
    for len in 4..=longest {
        let end = start + len;
        let plain: String = lower[start..end].iter().collect();
        let unleeted: String = lower[start..end].iter().map(|&c| unleet(c)).collect();
        let case = case_bits(&chars[start..end]);
        let ranked = [(plain.as_str(), 0.0), (unleeted.as_str(), 1.0)];
        for (word, extra) in ranked {
            if let Some(&rank) = common().get(word) {
                found.push(Piece {
                    end,
                    bits: f64::from(rank + 1).log2() + case + extra,
                    pattern: Some(Pattern::Dictionary),
                });
            }
        }
    }
}

/// `aaaa`, and short chunks said again: `abab`, `1231 23`.
fn repeats(start: usize, chars: &[char], lower: &[char], found: &mut Vec<Piece>) {
    for chunk in 1..=4 {
        if start + 2 * chunk > lower.len() {
            break;
        }
        let unit = &lower[start..start + chunk];
        let unit_bits: f64 = chars[start..start + chunk]
            .iter()
            .map(|&c| class_bits(c))
            .sum();
        let mut times = 1;
        while lower[start + times * chunk..]
            .get(..chunk)
            .is_some_and(|next| next == unit)
        {
            times += 1;
            let end = start + times * chunk;
            // A single character must repeat three times to count: "ll" is just spelling.
            if chunk > 1 || times >= 3 {
                found.push(Piece {
                    end,
                    bits: unit_bits + (times as f64).log2(),
                    pattern: Some(Pattern::Repeat),
                });
            }
        }
    }
}

/// Alphabet and digit sequences (`abcd`, `4321`) and walks along a keyboard row (`qwer`).
fn runs(start: usize, lower: &[char], found: &mut Vec<Piece>) {
    const ROWS: [&str; 4] = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"];
    let step = |a: char, b: char| -> Option<(i32, Pattern)> {
        let alphabet = (a.is_ascii_lowercase() && b.is_ascii_lowercase())
            || (a.is_ascii_digit() && b.is_ascii_digit());
        let delta = b as i32 - a as i32;
        if alphabet && delta.abs() == 1 {
            return Some((delta, Pattern::Sequence));
        }
        ROWS.iter().find_map(|row| {
            let (i, j) = (row.find(a)?, row.find(b)?);
            let delta = j as i32 - i as i32;
            (delta.abs() == 1).then_some((delta, Pattern::Keyboard))
        })
    };
    let Some(&first) = lower.get(start) else {
        return;
    };
    let Some(first_step) = lower.get(start + 1).and_then(|&next| step(first, next)) else {
        return;
    };
    let mut end = start + 2;
    while let Some(&next) = lower.get(end) {
        if step(lower[end - 1], next) != Some(first_step) {
            break;
        }
        end += 1;
        let len = end - start;
        if len >= 3 {
            let (_, pattern) = first_step;
            // Where it starts (one of ~36 keys) and in which direction.
            let bits = 36f64.log2() + (len as f64).log2() + 1.0;
            found.push(Piece {
                end,
                bits,
                pattern: Some(pattern),
            });
        }
    }
}

fn class_bits(c: char) -> f64 {
    let size: f64 = if c.is_ascii_lowercase() || c.is_ascii_uppercase() {
        26.0
    } else if c.is_ascii_digit() {
        10.0
    } else if c.is_ascii() {
        33.0
    } else {
        100.0
    };
    size.log2()
}

/// A capital first letter or all capitals is one more guess per word; anything else costs a
/// bit per capital.
fn case_bits(word: &[char]) -> f64 {
    let upper = word.iter().filter(|c| c.is_uppercase()).count();
    let letters = word.iter().filter(|c| c.is_alphabetic()).count();
    match upper {
        0 => 0.0,
        _ if upper == letters || (upper == 1 && word[0].is_uppercase()) => 1.0,
        n => n as f64,
    }
}

fn lower_char(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

fn unleet(c: char) -> char {
    match c {
        '@' | '4' => 'a',
        '0' => 'o',
        '1' | '!' => 'i',
        '3' => 'e',
        '5' | '$' => 's',
        '7' => 't',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: Context<'static> = Context {
        email: "Alice.Smith+news@example.com",
        current: Some("my current passphrase"),
    };

    fn problem(password: &str) -> Option<Problem> {
        assess(password, ALICE).problem
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert_eq!(problem("blue kit"), None);
        assert_eq!(problem("blue ki"), Some(Problem::TooShort));
        assert_eq!(problem(&"é".repeat(7)), Some(Problem::TooShort));
        assert_eq!(problem("Ünïcödé päss wörd"), None);
        let longest: String = "ab3 rtx9 qmzk ".chars().cycle().take(MAX_CHARS).collect();
        assert_eq!(problem(&longest), None);
        assert_eq!(problem(&format!("{longest}z")), Some(Problem::TooLong));
    }

    #[test]
    fn whitespace_alone_is_refused() {
        assert_eq!(problem("          "), Some(Problem::OnlyWhitespace));
        assert_eq!(problem("\t\n  \u{a0}    "), Some(Problem::OnlyWhitespace));
    }

    #[test]
    fn the_current_password_cannot_be_the_new_one() {
        assert_eq!(
            problem("my current passphrase"),
            Some(Problem::SameAsCurrent)
        );
        let registering = Context {
            current: None,
            ..ALICE
        };
        assert_eq!(assess("my current passphrase", registering).problem, None);
    }

    #[test]
    fn the_email_local_part_is_refused_in_any_case() {
        assert_eq!(problem("ALICE.SMITH-rules"), Some(Problem::ContainsEmail));
        assert_eq!(problem("hello alice.smith 2"), Some(Problem::ContainsEmail));
        // The +tag is not part of who the person is.
        assert_eq!(problem("alice.smith+news"), Some(Problem::ContainsEmail));
        // Short local parts are too common a fragment to refuse over.
        let bo = Context {
            email: "bo@example.com",
            current: None,
        };
        assert_eq!(assess("bold otter marches", bo).problem, None);
    }

    #[test]
    fn common_passwords_are_refused_ignoring_case_and_spaces() {
        for common in [
            "password",
            "PASSWORD",
            "  iloveyou ",
            "qwertyuiop",
            "1qaz2wsx",
        ] {
            assert_eq!(problem(common), Some(Problem::Common), "{common:?}");
        }
        assert_eq!(common().len(), 15_023, "the list shipped whole");
    }

    #[test]
    fn patterns_alone_are_refused() {
        for weak in [
            "aaaaaaaaaaaa",
            "abcabcabcabc",
            "abcdefghijkl",
            "987654321098",
            "asdfghjkl;'",
            "Password123!",
            "P@ssw0rd2024",
            "sunshine1234",
            "latchkey2024",
        ] {
            assert_eq!(problem(weak), Some(Problem::Predictable), "{weak:?}");
        }
    }

    #[test]
    fn passphrases_and_random_strings_pass() {
        for fine in [
            "correct horse battery staple",
            "a brand new password 42",
            "Tr0ub4dor&3",
            "xkqpmvzt",
            "vivid-lantern-oak",
        ] {
            assert_eq!(problem(fine), None, "{fine:?}");
        }
    }

    #[test]
    fn strength_grows_with_length_and_advice_names_the_pattern() {
        let levels: Vec<Strength> = [
            "monkey-banana-7",
            "xkqpmvzt",
            "xkqpmvztrw",
            "correct horse battery staple",
        ]
        .iter()
        .map(|p| assess(p, Context::default()).strength)
        .collect();
        assert!(levels.windows(2).all(|w| w[0] <= w[1]), "{levels:?}");
        assert_eq!(levels[0], Strength::Weak);
        assert_eq!(levels[3], Strength::Strong);
        let weak = assess("monkey-banana-7", Context::default());
        assert!(weak.strength < Strength::Good, "{weak:?}");
        assert!(weak.advice.unwrap().starts_with("Common"), "{weak:?}");
        assert_eq!(
            assess("correct horse battery staple", Context::default()).advice,
            None
        );
    }

    #[test]
    fn control_characters_are_refused_but_letters_of_any_script_are_not() {
        for password in [
            "correct horse\0battery",
            "correct\thorse battery",
            "horse\u{9b}battery!",
        ] {
            assert_eq!(
                check(password, Context::default()),
                Err(Problem::ControlCharacter),
                "{password:?}"
            );
        }
        assert_eq!(check("ünïcödé pässwörd wörks", Context::default()), Ok(()));
    }

    #[test]
    fn refusals_serialise_as_snake_case() {
        assert_eq!(
            serde_json::to_string(&Problem::SameAsCurrent).unwrap(),
            "\"same_as_current\""
        );
    }
}
