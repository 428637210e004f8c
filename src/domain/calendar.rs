//! Working-day arithmetic (Mon–Fri; public holidays are not known to the v1 API we use).

use chrono::{Datelike, NaiveDate, Weekday};

pub fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Working days in `[start, end]`, minus half a day for each half-day flag that falls on a
/// working day. A single day with one flag counts 0.5.
pub fn working_days(start: NaiveDate, end: NaiveDate, half_start: bool, half_end: bool) -> f64 {
    if end < start {
        return 0.0;
    }
    let mut days = 0.0;
    let mut d = start;
    while d <= end {
        if is_working_day(d) {
            days += 1.0;
        }
        match d.succ_opt() {
            Some(next) => d = next,
            None => break,
        }
    }
    if start == end {
        if is_working_day(start) && (half_start || half_end) {
            return 0.5;
        }
        return days;
    }
    if half_start && is_working_day(start) {
        days -= 0.5;
    }
    if half_end && is_working_day(end) {
        days -= 0.5;
    }
    days
}

/// The first and last day of the month containing `d`.
pub fn month_of(d: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = d.with_day(1).unwrap_or(d);
    let next = if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    };
    let last = next.and_then(|n| n.pred_opt()).unwrap_or(d);
    (first, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn counts_like_personio_days_count() {
        // REFERENCE.md §8.5 fixture: 2022-09-05…09-09 = 5, 2022-09-07…09-14 = 6.
        assert_eq!(
            working_days(d(2022, 9, 5), d(2022, 9, 9), false, false),
            5.0
        );
        assert_eq!(
            working_days(d(2022, 9, 7), d(2022, 9, 14), false, false),
            6.0
        );
        assert_eq!(
            working_days(d(2022, 12, 1), d(2022, 12, 1), false, true),
            0.5
        );
        assert_eq!(working_days(d(2022, 9, 5), d(2022, 9, 9), true, true), 4.0);
        assert_eq!(
            working_days(d(2022, 9, 10), d(2022, 9, 11), false, false),
            0.0
        );
    }

    #[test]
    fn month_bounds() {
        assert_eq!(month_of(d(2024, 2, 10)), (d(2024, 2, 1), d(2024, 2, 29)));
        assert_eq!(month_of(d(2026, 12, 31)), (d(2026, 12, 1), d(2026, 12, 31)));
    }
}
