//! Calendar arithmetic on plain civil dates and UTC timestamps, without a date crate.
//!
//! The usage schema stores dates as `YYYY-MM-DD` and timestamps as `YYYY-MM-DD HH:MM:SS`
//! text; this module converts between that text and day / second counts so the seed
//! generator and the reports can do exact, deterministic date maths.

use std::fmt;

/// A day in the proleptic Gregorian calendar, stored as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i64);

/// Day of the week, Monday first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Date {
    /// Builds a date from year, month (1–12) and day (1–31). Panics on an impossible date,
    /// because every caller passes constants or values it produced itself.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Date {
        assert!((1..=12).contains(&month), "month {month} out of range");
        assert!(day >= 1 && day <= days_in_month(year, month), "day {day} out of range");
        Date(days_from_civil(year, month, day))
    }

    /// Parses `YYYY-MM-DD` (anything after the tenth character, such as a time, is ignored).
    pub fn parse(text: &str) -> Option<Date> {
        let head = text.get(..10)?;
        let bytes = head.as_bytes();
        if bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let year: i32 = head[..4].parse().ok()?;
        let month: u32 = head[5..7].parse().ok()?;
        let day: u32 = head[8..10].parse().ok()?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date(days_from_civil(year, month, day)))
    }

    pub fn days_since_epoch(self) -> i64 {
        self.0
    }

    pub fn add_days(self, days: i64) -> Date {
        Date(self.0 + days)
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.0 - self.0
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    pub fn day_of_month(self) -> u32 {
        self.ymd().2
    }

    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday.
        match (self.0 + 3).rem_euclid(7) {
            0 => Weekday::Monday,
            1 => Weekday::Tuesday,
            2 => Weekday::Wednesday,
            3 => Weekday::Thursday,
            4 => Weekday::Friday,
            5 => Weekday::Saturday,
            _ => Weekday::Sunday,
        }
    }

    /// `YYYYMMDD`, handy inside identifiers.
    pub fn compact(self) -> String {
        let (y, m, d) = self.ymd();
        format!("{y:04}{m:02}{d:02}")
    }

    /// Midnight UTC of this day as a timestamp.
    pub fn at_midnight(self) -> Timestamp {
        Timestamp(self.0 * 86_400)
    }

    /// Every day from `self` to `last`, both included.
    pub fn through(self, last: Date) -> impl Iterator<Item = Date> {
        (self.0..=last.0).map(Date)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a date like 2025-11-01")))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// A UTC instant with one-second resolution, stored as seconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_unix_seconds(seconds: i64) -> Timestamp {
        Timestamp(seconds)
    }

    pub fn unix_seconds(self) -> i64 {
        self.0
    }

    pub fn add_seconds(self, seconds: i64) -> Timestamp {
        Timestamp(self.0 + seconds)
    }

    pub fn date(self) -> Date {
        Date(self.0.div_euclid(86_400))
    }

    /// Parses `YYYY-MM-DD HH:MM:SS` (a `T` separator is accepted too).
    pub fn parse(text: &str) -> Option<Timestamp> {
        let date = Date::parse(text)?;
        let rest = text.get(10..)?;
        let time = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('T'))?;
        let hms = time.get(..8)?;
        let b = hms.as_bytes();
        if b[2] != b':' || b[5] != b':' {
            return None;
        }
        let h: i64 = hms[..2].parse().ok()?;
        let m: i64 = hms[3..5].parse().ok()?;
        let s: i64 = hms[6..8].parse().ok()?;
        if h > 23 || m > 59 || s > 59 {
            return None;
        }
        Some(Timestamp(date.0 * 86_400 + h * 3600 + m * 60 + s))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.rem_euclid(86_400);
        write!(f, "{} {:02}:{:02}:{:02}", self.date(), secs / 3600, (secs / 60) % 60, secs % 60)
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

// Days since 1970-01-01 for a civil date, after Howard Hinnant's public-domain algorithm
// description ("chrono-compatible low-level date algorithms").
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = i64::from(month);
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (year_of_era + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_dates_across_years_and_leap_days() {
        for text in ["1970-01-01", "2000-02-29", "2025-11-01", "2025-12-15", "2024-12-31"] {
            let date = Date::parse(text).unwrap();
            assert_eq!(date.to_string(), text);
        }
        assert_eq!(Date::from_ymd(1970, 1, 1).days_since_epoch(), 0);
        assert_eq!(Date::from_ymd(2025, 11, 1).days_until(Date::from_ymd(2025, 12, 15)), 44);
    }

    #[test]
    fn rejects_impossible_dates() {
        assert_eq!(Date::parse("2025-02-29"), None);
        assert_eq!(Date::parse("2025-13-01"), None);
        assert_eq!(Date::parse("2025/11/01"), None);
        assert_eq!(Date::parse("2025-11"), None);
    }

    #[test]
    fn knows_weekdays() {
        assert_eq!(Date::from_ymd(2025, 11, 3).weekday(), Weekday::Monday);
        assert_eq!(Date::from_ymd(2025, 12, 15).weekday(), Weekday::Monday);
        assert_eq!(Date::from_ymd(2025, 11, 1).weekday(), Weekday::Saturday);
    }

    #[test]
    fn formats_and_parses_timestamps() {
        let ts = Timestamp::parse("2025-12-05 02:17:09").unwrap();
        assert_eq!(ts.to_string(), "2025-12-05 02:17:09");
        assert_eq!(ts.add_seconds(86_400 - 2 * 3600).to_string(), "2025-12-06 00:17:09");
        assert_eq!(Timestamp::parse("2025-12-05T23:59:59").unwrap().date().to_string(), "2025-12-05");
        assert_eq!(Timestamp::parse("2025-12-05 24:00:00"), None);
    }
}
