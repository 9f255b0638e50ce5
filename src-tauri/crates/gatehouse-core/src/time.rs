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

/// The proleptic Gregorian calendar in UTC, for the places that read or write dates as text
/// (Alertmanager's RFC 3339 times, policy times, exported documents). Howard Hinnant's
/// algorithms: exact for every year an `i64` day count holds.
pub mod civil {
    /// Milliseconds in a day.
    pub const DAY_MS: i64 = 86_400_000;

    /// Days since 1970-01-01 of the date `y-m-d` (month 1 to 12).
    pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `(year, month, day)` of a day count since 1970-01-01.
    pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        (yoe + era * 400 + i64::from(m <= 2), m, d)
    }

    /// How many days month `m` (1 to 12) of year `y` has.
    pub fn days_in_month(y: i64, m: i64) -> i64 {
        match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
            _ => 28,
        }
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

#[cfg(test)]
mod tests {
    use super::civil::*;

    #[test]
    fn the_calendar_goes_both_ways() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(
            days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28),
            2
        );
        for z in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(z);
            assert!((1..=days_in_month(y, m)).contains(&d));
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2024, 2), 29);
    }
}
