//! Time-off validation and the calendar arithmetic under it, on arbitrary dates (anywhere in
//! chrono's range), half-day flags, times, units and comments.
//!
//! Properties: nothing panics; an accepted day request consumes between 0.5 and 366 working
//! days, an accepted hour request between 0 and 24 hours; windows over 366 days are refused.
#![no_main]

use arbitrary::Arbitrary;
use chrono::{NaiveDate, NaiveTime};
use libfuzzer_sys::fuzz_target;
use personio_mcp::domain::absences::check_window;
use personio_mcp::domain::calendar::{month_of, working_days};
use personio_mcp::domain::time_off::{TimeOffRequest, validate};
use personio_mcp::personio::{TimeOffType, Unit};

#[derive(Debug, Arbitrary)]
struct Input {
    start: i32,
    /// Days after start (may be negative); kept small half of the time so validation proceeds.
    span: i32,
    half_day_start: bool,
    half_day_end: bool,
    start_time: Option<(u32, u32)>,
    end_time: Option<(u32, u32)>,
    hours: bool,
    comment: Option<String>,
    name: String,
}

fn date(days_from_ce: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days_from_ce)
}

fn time(t: Option<(u32, u32)>) -> Option<NaiveTime> {
    t.and_then(|(h, m)| NaiveTime::from_hms_opt(h, m, 0))
}

fuzz_target!(|input: Input| {
    // Half the inputs near today (days from CE of 2026-01-01 is ~739617), half anywhere.
    let start_days = if input.start % 2 == 0 {
        739_617 + (input.start / 2) % 4000
    } else {
        input.start
    };
    let Some(start) = date(start_days) else {
        return;
    };
    let span = if input.span % 2 == 0 {
        (input.span / 2) % 400
    } else {
        input.span
    };
    let Some(end) = start_days.checked_add(span).and_then(date) else {
        return;
    };
    let ty = TimeOffType {
        id: 1,
        name: input.name.clone(),
        category: None,
        unit: if input.hours { Unit::Hours } else { Unit::Days },
        approval_required: None,
        id_v2: None,
    };
    let req = TimeOffRequest {
        start_date: start,
        end_date: end,
        half_day_start: input.half_day_start,
        half_day_end: input.half_day_end,
        start_time: time(input.start_time),
        end_time: time(input.end_time),
        comment: input.comment.clone(),
    };
    if let Ok(amount) = validate(&ty, &req) {
        match ty.unit {
            Unit::Days => assert!((0.5..=366.0).contains(&amount), "days amount {amount}"),
            Unit::Hours => assert!(amount > 0.0 && amount <= 24.0, "hours amount {amount}"),
        }
    }
    let window = check_window(start, end);
    if end >= start && (end - start).num_days() >= 366 {
        assert!(window.is_err(), "a window over 366 days was accepted");
    }
    if window.is_ok() {
        let _ = working_days(start, end, input.half_day_start, input.half_day_end);
    }
    let (first, last) = month_of(start);
    assert!(first <= start && start <= last);
});
