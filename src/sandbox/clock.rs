//! The sandbox's notion of "now" and Personio's timestamp spellings.
//!
//! The sandbox can be started with a fixed `today` so that seeded data, balances and tests are
//! reproducible. Wall-clock timestamps (`created_at`, `last_modified_at`, ...) are the real Berlin
//! wall-clock time moved by the same whole number of days, so "now" falls on `today` in Berlin while
//! still moving forward in real time (clients that compare `updated_since` against timestamps they
//! saw keep working). Moving the UTC instant instead would cross midnight wherever the real date and
//! `today` lie on different sides of a daylight-saving switch: at 22:30 UTC in December (23:30 in
//! Berlin) an instant moved to a June day is 00:30 of the next day there.
//!
//! Personio renders times in the account's time zone; the simulated account lives in Europe/Berlin, so
//! offsets switch between `+01:00` and `+02:00` exactly as in the captured fixtures.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;

/// The account time zone of the simulated company (also reported as `timezone` on hourly absences).
pub const ACCOUNT_TIME_ZONE: &str = "Europe/Berlin";

/// "Now" for the sandbox: real time shifted so that the current date is the configured `today`.
#[derive(Debug, Clone, Copy)]
pub struct SandboxClock {
    today: NaiveDate,
    /// Whole days from the real Berlin date to `today`.
    shift: Duration,
}

impl SandboxClock {
    /// A clock whose current date is `today` (the real date shifted by whole days).
    pub fn new(today: NaiveDate) -> Self {
        let real_today = Utc::now().with_timezone(&Berlin).date_naive();
        SandboxClock {
            today,
            shift: today.signed_duration_since(real_today),
        }
    }

    /// The configured current date (fixed for the life of the sandbox; balances are computed "as of" it).
    pub fn today(&self) -> NaiveDate {
        self.today
    }

    /// The current instant on the sandbox's time line.
    pub fn now(&self) -> DateTime<Utc> {
        shifted(Utc::now(), self.shift)
    }
}

/// `real` moved by `days` on Berlin's wall clock: the same local time, `days` later.
fn shifted(real: DateTime<Utc>, days: Duration) -> DateTime<Utc> {
    let local = real.with_timezone(&Berlin).naive_local();
    berlin_to_utc(local.checked_add_signed(days).unwrap_or(local))
}

/// The UTC instant of a Berlin wall-clock time. Gaps (spring forward) resolve to the later side,
/// folds (fall back) to the earlier one, so every wall-clock time maps to some instant.
pub fn berlin_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    match Berlin.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(early, _) => early.with_timezone(&Utc),
        LocalResult::None => {
            // Inside the spring-forward gap: one hour later always exists.
            let later = local
                .checked_add_signed(Duration::hours(1))
                .unwrap_or(local);
            match Berlin.from_local_datetime(&later) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
                LocalResult::None => Utc.from_utc_datetime(&local),
            }
        }
    }
}

/// Midnight of a Berlin calendar day as a UTC instant.
pub fn berlin_midnight(date: NaiveDate) -> DateTime<Utc> {
    berlin_to_utc(date.and_time(NaiveTime::MIN))
}

/// v1 date attributes and time-off dates: `2022-09-05T00:00:00+02:00` (midnight with the Berlin offset).
pub fn v1_date(date: NaiveDate) -> String {
    v1_timestamp(berlin_midnight(date))
}

/// v1 timestamps (`created_at`, `last_modified_at`, time-off `updated_at`): Berlin local time with
/// offset, seconds precision, e.g. `2022-07-26T15:46:39+02:00`.
pub fn v1_timestamp(t: DateTime<Utc>) -> String {
    t.with_timezone(&Berlin)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Hourly absence `start`/`end`: UTC with one fractional digit, e.g. `2022-05-31T22:00:00.0Z`.
pub fn v1_hourly_instant(t: DateTime<Utc>) -> String {
    let tenths = t.timestamp_subsec_millis() / 100;
    format!("{}.{tenths}Z", t.format("%Y-%m-%dT%H:%M:%S"))
}

/// Hourly absence bookkeeping times: UTC with milliseconds, e.g. `2022-06-20T14:29:56.510Z`.
pub fn v1_hourly_bookkeeping(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// v2 timestamps: UTC, seconds precision, `Z` suffix, e.g. `2023-03-01T14:07:17Z`.
pub fn v2_timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Custom (`dynamic_*`) date attributes are plain dates, e.g. `2021-01-01`.
pub fn plain_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn midnight_offsets_follow_berlin_dst() {
        assert_eq!(v1_date(d(2022, 1, 12)), "2022-01-12T00:00:00+01:00");
        assert_eq!(v1_date(d(2022, 9, 5)), "2022-09-05T00:00:00+02:00");
        // The switch happens at 02:00 local, so midnight of the switch day still has the old offset.
        assert_eq!(v1_date(d(2025, 3, 30)), "2025-03-30T00:00:00+01:00");
        assert_eq!(v1_date(d(2025, 3, 31)), "2025-03-31T00:00:00+02:00");
        assert_eq!(v1_date(d(2025, 10, 26)), "2025-10-26T00:00:00+02:00");
        assert_eq!(v1_date(d(2025, 10, 27)), "2025-10-27T00:00:00+01:00");
    }

    #[test]
    fn hourly_instants_are_utc_with_one_fraction_digit() {
        let start = berlin_midnight(d(2022, 6, 1));
        assert_eq!(v1_hourly_instant(start), "2022-05-31T22:00:00.0Z");
        assert_eq!(
            v1_hourly_bookkeeping(start + Duration::milliseconds(510)),
            "2022-05-31T22:00:00.510Z"
        );
    }

    #[test]
    fn gap_times_resolve_forward() {
        let gap = d(2025, 3, 30).and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(
            berlin_to_utc(gap),
            Utc.with_ymd_and_hms(2025, 3, 30, 1, 30, 0).unwrap()
        );
    }

    /// A December evening moved to a June day stays on that day in Berlin (the offsets differ by an
    /// hour), and the time of day is kept.
    #[test]
    fn now_keeps_the_berlin_date_across_daylight_saving() {
        let real = Utc.with_ymd_and_hms(2026, 12, 7, 22, 30, 0).unwrap(); // 23:30 in Berlin
        let days = d(2025, 6, 16).signed_duration_since(d(2026, 12, 7));
        let now = shifted(real, days).with_timezone(&Berlin);
        assert_eq!(now.date_naive(), d(2025, 6, 16));
        assert_eq!(now.format("%H:%M").to_string(), "23:30");
        // And a June night moved to December.
        let real = Utc.with_ymd_and_hms(2025, 6, 16, 22, 30, 0).unwrap(); // 00:30 on the 17th
        let days = d(2026, 12, 7).signed_duration_since(d(2025, 6, 17));
        let now = shifted(real, days).with_timezone(&Berlin);
        assert_eq!(now.date_naive(), d(2026, 12, 7));
        assert_eq!(now.format("%H:%M").to_string(), "00:30");
    }

    #[test]
    fn clock_reports_configured_today() {
        let clock = SandboxClock::new(d(2024, 2, 29));
        assert_eq!(clock.today(), d(2024, 2, 29));
        // "now" lies on the configured date in Berlin (unless the real date turned meanwhile).
        let delta = clock
            .now()
            .with_timezone(&Berlin)
            .date_naive()
            .signed_duration_since(d(2024, 2, 29));
        assert!((0..=1).contains(&delta.num_days()));
    }
}
