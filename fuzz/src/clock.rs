//! Time stands still during a fuzz run, so an input means the same thing on every execution and
//! a committed seed (a signed token, a proof) stays valid forever.

use latchkey::auth::clock::Clock;

/// 2027-01-15T08:00:00Z.
pub const NOW: i64 = 1_800_000_000;

pub struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        NOW
    }
}
