//! Stored absences: day-unit time-offs (integer ids, `/v1/company/time-offs`) and hour-unit absence
//! periods (UUIDs, `/v1/company/absence-periods`).
//!
//! Both lists are kept sorted by start (then id) — the order listings page through, which matches the
//! captured fixture (sorted by start date, not by id). Rejected or cancelled absences are deleted, not
//! status-changed, exactly as Personio does (REFERENCE.md §11.9), so only `approved` and `pending` exist.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use uuid::Uuid;

use super::calendar;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbsenceStatus {
    Approved,
    Pending,
}

impl AbsenceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AbsenceStatus::Approved => "approved",
            AbsenceStatus::Pending => "pending",
        }
    }
}

/// Who created a day-unit absence: the API (`"API"`) or a person (rendered as their full name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreatedBy {
    Api,
    Employee(u64),
}

#[derive(Debug, Clone)]
pub struct DayAbsence {
    pub id: u64,
    pub id_v2: Uuid,
    pub employee_id: u64,
    pub type_id: u64,
    pub start: NaiveDate,
    /// Inclusive last absent day.
    pub end: NaiveDate,
    pub half_day_start: bool,
    pub half_day_end: bool,
    pub status: AbsenceStatus,
    pub comment: String,
    pub created_by: CreatedBy,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl DayAbsence {
    /// Working days consumed, optionally only up to and including `until`.
    pub fn days(&self, until: Option<NaiveDate>) -> f64 {
        calendar::day_amount(
            self.start, self.end, self.half_day_start, self.half_day_end, until,
        )
    }

    /// Working days consumed within `[from, to]` (used to clip balances to one calendar year).
    pub fn days_within(&self, from: NaiveDate, to: NaiveDate) -> f64 {
        calendar::day_amount_within(
            self.start, self.end, self.half_day_start, self.half_day_end, from, to,
        )
    }

    pub fn clashes_with(
        &self,
        start: NaiveDate,
        end: NaiveDate,
        half_day_start: bool,
        half_day_end: bool,
    ) -> bool {
        calendar::day_periods_clash(
            self.start, self.end, self.half_day_start, self.half_day_end, start, end,
            half_day_start, half_day_end,
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Web,
    Api,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Web => "web",
            Origin::Api => "api",
        }
    }
}

#[derive(Debug, Clone)]
pub struct HourAbsence {
    pub id: Uuid,
    pub employee_id: u64,
    pub type_id: u64,
    /// Berlin wall-clock start and (exclusive) end.
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub half_day_start: bool,
    pub half_day_end: bool,
    pub status: AbsenceStatus,
    pub comment: String,
    pub origin: Origin,
    /// Employee id of the creator (hourly periods report an id, not a name).
    pub created_by: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
    /// Minutes per calendar day.
    pub breakdown: Vec<(NaiveDate, u32)>,
}

impl HourAbsence {
    pub fn minutes(&self) -> u32 {
        self.breakdown.iter().map(|(_, m)| m).sum()
    }

    /// First and last calendar day touched.
    pub fn first_day(&self) -> NaiveDate {
        self.start.date()
    }

    pub fn last_day(&self) -> NaiveDate {
        // The end is exclusive: a period ending at midnight does not touch the next day.
        let end = self.end - chrono::Duration::minutes(1);
        end.date().max(self.start.date())
    }
}

/// Every stored absence of the sandbox.
#[derive(Debug, Default)]
pub struct AbsenceStore {
    day: Vec<DayAbsence>,
    hour: Vec<HourAbsence>,
    next_day_id: u64,
    /// Built on the first listing by employee, then kept in step with every change.
    by_employee: OnceLock<ByEmployee>,
}

/// Where each employee's absences stand in `day` and `hour`, in store order. A listing that names
/// people (the usual one: one person's absences) then looks at theirs only, instead of checking
/// every absence of a 2,000-person company twice per call.
#[derive(Debug, Default)]
struct ByEmployee {
    day: HashMap<u64, Vec<usize>>,
    hour: HashMap<u64, Vec<usize>>,
}

impl ByEmployee {
    /// An absence of `employee` now stands at `pos`; those at or after it moved up by one.
    /// A pass over every position (cheap integers) instead of a rebuild of the whole map, which
    /// would cost every listing after a create a millisecond on a 2,000-person company.
    fn inserted(map: &mut HashMap<u64, Vec<usize>>, employee: u64, pos: usize) {
        for p in map.values_mut().flatten() {
            if *p >= pos {
                *p += 1;
            }
        }
        let list = map.entry(employee).or_default();
        let at = list.partition_point(|&p| p < pos);
        list.insert(at, pos);
    }

    /// The absence of `employee` at `pos` is gone; those after it moved down by one.
    fn removed(map: &mut HashMap<u64, Vec<usize>>, employee: u64, pos: usize) {
        if let Some(list) = map.get_mut(&employee) {
            list.retain(|&p| p != pos);
            if list.is_empty() {
                map.remove(&employee);
            }
        }
        for p in map.values_mut().flatten() {
            if *p > pos {
                *p -= 1;
            }
        }
    }

    fn of(day: &[DayAbsence], hour: &[HourAbsence]) -> ByEmployee {
        fn positions(employees: impl Iterator<Item = u64>) -> HashMap<u64, Vec<usize>> {
            let mut map: HashMap<u64, Vec<usize>> = HashMap::new();
            for (pos, employee) in employees.enumerate() {
                map.entry(employee).or_default().push(pos);
            }
            map
        }
        ByEmployee {
            day: positions(day.iter().map(|a| a.employee_id)),
            hour: positions(hour.iter().map(|a| a.employee_id)),
        }
    }
}

/// The records of `all` that belong to `ids`, in store order.
fn among<'a, A>(all: &'a [A], ids: &[u64], index: &HashMap<u64, Vec<usize>>) -> Vec<&'a A> {
    let mut positions: Vec<usize> = ids
        .iter()
        .filter_map(|id| index.get(id))
        .flatten()
        .copied()
        .collect();
    positions.sort_unstable();
    positions.dedup();
    positions.iter().filter_map(|&p| all.get(p)).collect()
}

impl AbsenceStore {
    pub fn new(mut day: Vec<DayAbsence>, mut hour: Vec<HourAbsence>) -> AbsenceStore {
        day.sort_by_key(|a| (a.start, a.id));
        hour.sort_by_key(|a| (a.start, a.created_at, a.id));
        let next_day_id = day.iter().map(|a| a.id).max().unwrap_or(125_000_000) + 1;
        AbsenceStore {
            day,
            hour,
            next_day_id,
            by_employee: OnceLock::new(),
        }
    }

    fn index(&self) -> &ByEmployee {
        self.by_employee
            .get_or_init(|| ByEmployee::of(&self.day, &self.hour))
    }

    /// The index, if a listing built it already (changes before that need no bookkeeping).
    fn built(&mut self) -> Option<&mut ByEmployee> {
        self.by_employee.get_mut()
    }

    /// The day absences of `employees` (all when `None`, without building the index), in
    /// store order.
    pub fn day_of(&self, employees: Option<&[u64]>) -> Vec<&DayAbsence> {
        match employees {
            Some(ids) => among(&self.day, ids, &self.index().day),
            None => self.day.iter().collect(),
        }
    }

    /// The hourly absences of `employees` (all when `None`), in store order.
    pub fn hour_of(&self, employees: Option<&[u64]>) -> Vec<&HourAbsence> {
        match employees {
            Some(ids) => among(&self.hour, ids, &self.index().hour),
            None => self.hour.iter().collect(),
        }
    }

    pub fn day(&self) -> &[DayAbsence] {
        &self.day
    }

    pub fn hour(&self) -> &[HourAbsence] {
        &self.hour
    }

    pub fn day_by_id(&self, id: u64) -> Option<&DayAbsence> {
        self.day.iter().find(|a| a.id == id)
    }

    /// Allocates the next time-off id (ids grow monotonically, with gaps like real Personio ids).
    pub fn allocate_day_id(&mut self) -> u64 {
        let id = self.next_day_id;
        self.next_day_id += 7;
        id
    }

    /// True when the employee already has a day-unit absence claiming any half of those days.
    pub fn day_clash(
        &self,
        employee_id: u64,
        start: NaiveDate,
        end: NaiveDate,
        half_day_start: bool,
        half_day_end: bool,
    ) -> bool {
        self.day.iter().any(|a| {
            a.employee_id == employee_id && a.clashes_with(start, end, half_day_start, half_day_end)
        })
    }

    /// True when the employee already has an hourly absence intersecting `[start, end)`.
    pub fn hour_clash(&self, employee_id: u64, start: NaiveDateTime, end: NaiveDateTime) -> bool {
        self.hour
            .iter()
            .any(|a| a.employee_id == employee_id && a.start < end && start < a.end)
    }

    pub fn insert_day(&mut self, absence: DayAbsence) {
        let key = (absence.start, absence.id);
        let pos = self.day.partition_point(|a| (a.start, a.id) < key);
        let employee = absence.employee_id;
        self.day.insert(pos, absence);
        if let Some(ix) = self.built() {
            ByEmployee::inserted(&mut ix.day, employee, pos);
        }
    }

    pub fn insert_hour(&mut self, absence: HourAbsence) {
        let key = (absence.start, absence.created_at, absence.id);
        let pos = self
            .hour
            .partition_point(|a| (a.start, a.created_at, a.id) < key);
        let employee = absence.employee_id;
        self.hour.insert(pos, absence);
        if let Some(ix) = self.built() {
            ByEmployee::inserted(&mut ix.hour, employee, pos);
        }
    }

    /// Books a day absence for a new request: allocates its id and stores it, unless the employee
    /// already has one claiming the same half days (`None`: Personio's overlap error).
    pub fn book_day(&mut self, mut absence: DayAbsence) -> Option<DayAbsence> {
        if self.day_clash(
            absence.employee_id, absence.start, absence.end, absence.half_day_start,
            absence.half_day_end,
        ) {
            return None;
        }
        absence.id = self.allocate_day_id();
        self.insert_day(absence.clone());
        Some(absence)
    }

    /// Books an hourly absence unless it intersects one of the employee's others (`false`).
    pub fn book_hour(&mut self, absence: HourAbsence) -> bool {
        if self.hour_clash(absence.employee_id, absence.start, absence.end) {
            return false;
        }
        self.insert_hour(absence);
        true
    }

    /// The absence with this v2 id (a day absence's `id_v2` or an hourly period's id).
    pub fn by_v2_id(&self, id: Uuid) -> Option<AbsenceRef<'_>> {
        self.day
            .iter()
            .find(|a| a.id_v2 == id)
            .map(AbsenceRef::Day)
            .or_else(|| self.hour.iter().find(|a| a.id == id).map(AbsenceRef::Hour))
    }

    /// Removes the absence with this v2 id, of either unit; returns its employee.
    pub fn remove_v2(&mut self, id: Uuid) -> Option<u64> {
        if let Some(pos) = self.day.iter().position(|a| a.id_v2 == id) {
            return self.remove_day_at(pos).map(|a| a.employee_id);
        }
        let pos = self.hour.iter().position(|a| a.id == id)?;
        self.remove_hour_at(pos).map(|a| a.employee_id)
    }

    /// Every absence of both units (day absences first), as v2 sees them.
    pub fn all(&self) -> impl Iterator<Item = AbsenceRef<'_>> {
        self.day
            .iter()
            .map(AbsenceRef::Day)
            .chain(self.hour.iter().map(AbsenceRef::Hour))
    }

    pub fn remove_day(&mut self, id: u64) -> Option<DayAbsence> {
        let pos = self.day.iter().position(|a| a.id == id)?;
        self.remove_day_at(pos)
    }

    pub fn remove_hour(&mut self, id: Uuid) -> Option<HourAbsence> {
        let pos = self.hour.iter().position(|a| a.id == id)?;
        self.remove_hour_at(pos)
    }

    fn remove_day_at(&mut self, pos: usize) -> Option<DayAbsence> {
        (pos < self.day.len()).then(|| {
            let gone = self.day.remove(pos);
            if let Some(ix) = self.built() {
                ByEmployee::removed(&mut ix.day, gone.employee_id, pos);
            }
            gone
        })
    }

    fn remove_hour_at(&mut self, pos: usize) -> Option<HourAbsence> {
        (pos < self.hour.len()).then(|| {
            let gone = self.hour.remove(pos);
            if let Some(ix) = self.built() {
                ByEmployee::removed(&mut ix.hour, gone.employee_id, pos);
            }
            gone
        })
    }
}

/// One stored absence of either unit: v2 has a single endpoint for both.
#[derive(Debug, Clone, Copy)]
pub enum AbsenceRef<'a> {
    Day(&'a DayAbsence),
    Hour(&'a HourAbsence),
}

impl AbsenceRef<'_> {
    /// The v2 id: `id_v2` of a day absence, the UUID of an hourly one.
    pub fn v2_id(&self) -> Uuid {
        match self {
            AbsenceRef::Day(a) => a.id_v2,
            AbsenceRef::Hour(a) => a.id,
        }
    }

    pub fn employee_id(&self) -> u64 {
        match self {
            AbsenceRef::Day(a) => a.employee_id,
            AbsenceRef::Hour(a) => a.employee_id,
        }
    }

    pub fn type_id(&self) -> u64 {
        match self {
            AbsenceRef::Day(a) => a.type_id,
            AbsenceRef::Hour(a) => a.type_id,
        }
    }

    /// Berlin wall-clock start and **exclusive** end: a day absence ends at the midnight after its
    /// last day (v2's `ends_at`, REFERENCE.md §11.16).
    pub fn bounds(&self) -> (NaiveDateTime, NaiveDateTime) {
        match self {
            AbsenceRef::Day(a) => (
                a.start.and_time(chrono::NaiveTime::MIN),
                a.end
                    .succ_opt()
                    .unwrap_or(a.end)
                    .and_time(chrono::NaiveTime::MIN),
            ),
            AbsenceRef::Hour(a) => (a.start, a.end),
        }
    }

    pub fn status(&self) -> AbsenceStatus {
        match self {
            AbsenceRef::Day(a) => a.status,
            AbsenceRef::Hour(a) => a.status,
        }
    }

    pub fn comment(&self) -> &str {
        match self {
            AbsenceRef::Day(a) => &a.comment,
            AbsenceRef::Hour(a) => &a.comment,
        }
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        match self {
            AbsenceRef::Day(a) => a.created_at,
            AbsenceRef::Hour(a) => a.created_at,
        }
    }

    pub fn updated_at(&self) -> DateTime<Utc> {
        match self {
            AbsenceRef::Day(a) => a.updated_at,
            AbsenceRef::Hour(a) => a.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(id: u64, employee_id: u64, start: (u32, u32)) -> DayAbsence {
        let date = |(m, d)| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
        DayAbsence {
            id,
            id_v2: Uuid::from_u64_pair(0, id),
            employee_id,
            type_id: 1,
            start: date(start),
            end: date(start),
            half_day_start: false,
            half_day_end: false,
            status: AbsenceStatus::Approved,
            comment: String::new(),
            created_by: CreatedBy::Api,
            created_at: DateTime::<Utc>::default(),
            updated_at: DateTime::<Utc>::default(),
        }
    }

    fn hour(id: u64, employee_id: u64, day: u32) -> HourAbsence {
        let start = NaiveDate::from_ymd_opt(2026, 4, day)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap_or_default();
        HourAbsence {
            id: Uuid::from_u64_pair(1, id),
            employee_id,
            type_id: 2,
            start,
            end: start + chrono::Duration::hours(2),
            half_day_start: false,
            half_day_end: false,
            status: AbsenceStatus::Approved,
            comment: String::new(),
            origin: Origin::Api,
            created_by: employee_id,
            created_at: DateTime::<Utc>::default(),
            updated_at: DateTime::<Utc>::default(),
            approved_at: None,
            breakdown: Vec::new(),
        }
    }

    fn hour_ids(store: &AbsenceStore, employees: Option<&[u64]>) -> Vec<Uuid> {
        store.hour_of(employees).iter().map(|a| a.id).collect()
    }

    /// What a full scan of the store answers for `employees`, as ids in store order.
    fn scanned(store: &AbsenceStore, employees: &[u64]) -> Vec<u64> {
        let all = store.day_of(None);
        all.iter()
            .filter(|a| employees.contains(&a.employee_id))
            .map(|a| a.id)
            .collect()
    }

    fn indexed(store: &AbsenceStore, employees: &[u64]) -> Vec<u64> {
        store.day_of(Some(employees)).iter().map(|a| a.id).collect()
    }

    #[test]
    fn listings_by_employee_match_a_full_scan_after_every_change() {
        let mut store = AbsenceStore::new(
            vec![day(1, 7, (3, 2)), day(2, 8, (1, 5)), day(3, 7, (1, 9))],
            Vec::new(),
        );
        let people: [&[u64]; 4] = [&[7], &[8], &[7, 8], &[9]];
        let check = |store: &AbsenceStore| {
            for ids in people {
                assert_eq!(indexed(store, ids), scanned(store, ids), "{ids:?}");
            }
        };
        check(&store);
        assert_eq!(indexed(&store, &[7]), vec![3, 1], "store order (by start)");
        // An insert before everything shifts every position the index held.
        store.insert_day(day(4, 7, (1, 1)));
        check(&store);
        assert_eq!(indexed(&store, &[7]), vec![4, 3, 1]);
        assert!(store.remove_day(3).is_some());
        check(&store);
        assert_eq!(indexed(&store, &[7]), vec![4, 1]);
        assert!(store.remove_v2(Uuid::from_u64_pair(0, 2)).is_some());
        check(&store);
        assert!(indexed(&store, &[8]).is_empty());
        assert_eq!(store.day_of(None).len(), 2);
    }

    #[test]
    fn the_index_stays_in_step_through_a_long_run_of_inserts_and_removals() {
        let mut store = AbsenceStore::new(Vec::new(), Vec::new());
        let people: Vec<u64> = (1..=5).collect();
        assert!(indexed(&store, &people).is_empty(), "built while empty");
        // A fixed pseudo-random walk: inserts anywhere in the order, removals anywhere.
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % n
        };
        for id in 1..=300u64 {
            if next(4) == 0 && !store.day.is_empty() {
                let victim = store.day_of(None)[next(store.day.len() as u64) as usize].id;
                assert!(store.remove_day(victim).is_some());
            } else {
                let month = 1 + next(12) as u32;
                store.insert_day(day(id, 1 + next(5), (month, 1 + next(28) as u32)));
            }
            for who in &people {
                assert_eq!(
                    indexed(&store, &[*who]),
                    scanned(&store, &[*who]),
                    "step {id}"
                );
            }
        }
    }

    #[test]
    fn hourly_listings_by_employee_follow_inserts_and_both_removals() {
        let mut store = AbsenceStore::new(Vec::new(), vec![hour(1, 7, 9), hour(2, 8, 3)]);
        let of = |n| Uuid::from_u64_pair(1, n);
        assert_eq!(hour_ids(&store, Some(&[7])), vec![of(1)]);
        assert!(store.book_hour(hour(3, 7, 1)));
        assert_eq!(hour_ids(&store, Some(&[7])), vec![of(3), of(1)]);
        assert_eq!(hour_ids(&store, Some(&[7, 8])), vec![of(3), of(2), of(1)]);
        assert!(store.remove_hour(of(3)).is_some());
        assert_eq!(hour_ids(&store, Some(&[7])), vec![of(1)]);
        assert_eq!(store.remove_v2(of(2)), Some(8));
        assert!(hour_ids(&store, Some(&[8])).is_empty());
        assert_eq!(hour_ids(&store, None), vec![of(1)]);
        assert!(
            hour_ids(&store, Some(&[99])).is_empty(),
            "unknown people have none"
        );
    }
}
