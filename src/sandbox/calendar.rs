//! Working-day arithmetic for day-unit absences.
//!
//! The simulated company works Monday to Friday for everyone and **ignores public holidays** (every
//! employee carries a `holiday_calendar` attribute for realism, but no holiday is ever deducted).
//! `days_count` and balances therefore count Mon–Fri days, with half days worth 0.5.
//!
//! Half-day flags (REFERENCE.md §10): on a multi-day period `half_day_start` means the first day is
//! taken from mid-day (afternoon off) and `half_day_end` that the last day ends at mid-day (morning
//! off). On a single day exactly one flag means half a day; the sandbox maps `half_day_start` to the
//! afternoon and `half_day_end` to the morning so that both readings stay consistent.

use chrono::{Datelike, NaiveDate, Weekday};

/// Monday to Friday.
pub fn is_working_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The halves of `date` covered by a day-unit period: `(morning, afternoon)`; `(false, false)` when the
/// date lies outside the period.
pub fn halves_on(
    start: NaiveDate,
    end: NaiveDate,
    half_day_start: bool,
    half_day_end: bool,
    date: NaiveDate,
) -> (bool, bool) {
    if date < start || date > end {
        return (false, false);
    }
    if start == end {
        return match (half_day_start, half_day_end) {
            (true, false) => (false, true),
            (false, true) => (true, false),
            _ => (true, true),
        };
    }
    if date == start && half_day_start {
        (false, true)
    } else if date == end && half_day_end {
        (true, false)
    } else {
        (true, true)
    }
}

/// Working days consumed by a day-unit period, counting only dates up to and including `until` when
/// given (used for "taken so far" balances). Weekends count 0, half days 0.5.
pub fn day_amount(
    start: NaiveDate,
    end: NaiveDate,
    half_day_start: bool,
    half_day_end: bool,
    until: Option<NaiveDate>,
) -> f64 {
    day_amount_within(
        start,
        end,
        half_day_start,
        half_day_end,
        start,
        until.unwrap_or(end),
    )
}

/// Working days a day-unit period consumes within the window `[from, to]` (inclusive).
pub fn day_amount_within(
    start: NaiveDate,
    end: NaiveDate,
    half_day_start: bool,
    half_day_end: bool,
    from: NaiveDate,
    to: NaiveDate,
) -> f64 {
    let first = start.max(from);
    let last = end.min(to);
    let mut total = 0.0;
    for date in first.iter_days().take_while(|d| *d <= last) {
        if !is_working_day(date) {
            continue;
        }
        let (morning, afternoon) = halves_on(start, end, half_day_start, half_day_end, date);
        total += 0.5 * f64::from(u8::from(morning)) + 0.5 * f64::from(u8::from(afternoon));
    }
    total
}

/// True when two day-unit periods claim the same half of some day.
#[allow(clippy::too_many_arguments)]
pub fn day_periods_clash(
    a_start: NaiveDate,
    a_end: NaiveDate,
    a_half_start: bool,
    a_half_end: bool,
    b_start: NaiveDate,
    b_end: NaiveDate,
    b_half_start: bool,
    b_half_end: bool,
) -> bool {
    let from = a_start.max(b_start);
    let to = a_end.min(b_end);
    if from > to {
        return false;
    }
    from.iter_days().take_while(|d| *d <= to).any(|date| {
        let (am_a, pm_a) = halves_on(a_start, a_end, a_half_start, a_half_end, date);
        let (am_b, pm_b) = halves_on(b_start, b_end, b_half_start, b_half_end, date);
        (am_a && am_b) || (pm_a && pm_b)
    })
}

/// The date `n` working days after `start` counting `start` itself as the first (n ≥ 1); when `start`
/// is not a working day the count begins at the next working day.
pub fn add_working_days(start: NaiveDate, n: u32) -> NaiveDate {
    let mut remaining = n.max(1);
    let mut last = start;
    for date in start.iter_days().take(400) {
        if is_working_day(date) {
            last = date;
            remaining -= 1;
            if remaining == 0 {
                break;
            }
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2022, m, day).unwrap()
    }

    #[test]
    fn fixture_days_counts() {
        // fixtures/personio-go/time-offs-body.json
        assert_eq!(day_amount(d(9, 5), d(9, 9), false, false, None), 5.0);
        assert_eq!(day_amount(d(9, 7), d(9, 14), false, false, None), 6.0);
        assert_eq!(day_amount(d(12, 1), d(12, 1), false, true, None), 0.5);
    }

    #[test]
    fn half_days_on_multi_day_periods() {
        assert_eq!(day_amount(d(9, 5), d(9, 9), true, true, None), 4.0);
        assert_eq!(
            day_amount(d(9, 5), d(9, 9), true, false, Some(d(9, 6))),
            1.5
        );
        assert_eq!(day_amount(d(9, 10), d(9, 11), false, false, None), 0.0);
    }

    #[test]
    fn complementary_half_days_do_not_clash() {
        let day = d(9, 5);
        assert!(!day_periods_clash(
            day, day, true, false, day, day, false, true
        ));
        assert!(day_periods_clash(
            day, day, true, false, day, day, true, false
        ));
        assert!(day_periods_clash(
            d(9, 1),
            d(9, 5),
            false,
            false,
            day,
            d(9, 7),
            false,
            false
        ));
        // Multi-day ending at mid-day on the 5th, next one starting at mid-day on the 5th.
        assert!(!day_periods_clash(
            d(9, 1),
            day,
            false,
            true,
            day,
            d(9, 7),
            true,
            false
        ));
        assert!(!day_periods_clash(
            d(9, 1),
            d(9, 2),
            false,
            false,
            d(9, 5),
            d(9, 7),
            false,
            false
        ));
    }

    #[test]
    fn working_day_addition_skips_weekends() {
        assert_eq!(add_working_days(d(9, 9), 2), d(9, 12));
        assert_eq!(add_working_days(d(9, 10), 1), d(9, 12));
        assert_eq!(add_working_days(d(9, 5), 5), d(9, 9));
    }
}
