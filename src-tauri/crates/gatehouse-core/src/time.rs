//! Instants as milliseconds since the Unix epoch, and the clock port that supplies them.

use serde::{Deserialize, Serialize};

/// An instant in milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct Timestamp(#[cfg_attr(feature = "bindings", ts(type = "number"))] pub i64);

impl Timestamp {
    /// One hour in milliseconds.
    pub const HOUR_MS: i64 = 3_600_000;

    /// This instant moved back by `hours` (fractions allowed).
    pub fn hours_before(self, hours: f64) -> Timestamp {
        Timestamp(self.0 - (hours * Self::HOUR_MS as f64).round() as i64)
    }

    /// Hours from `earlier` to `self` (negative when `earlier` is later).
    pub fn hours_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / Self::HOUR_MS as f64
    }
}

/// The source of the current time, so that logic never reads the system clock itself.
pub trait Clock {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// A clock that always answers the same instant: for tests, drills and reproducible exports.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// The operating system's clock, for binaries to pass in.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp(ms)
    }
}
