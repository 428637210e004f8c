//! Personio's records as the layers above see them: one object that owns the client, the
//! directory cache, the write locks and the company's calendar. The policy facade stands on this
//! and nothing else, so no tool and no policy rule reaches the HTTP client directly.

use std::sync::Arc;

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::absence_cache::{AbsenceCache, ForgetOnDrop, WriteNotice};
use super::absences::{AbsenceFilter, list_via};
use super::directory::{DIRECTORY_ATTRIBUTES, Directory, DirectoryConfig, Progress, Snapshot};
use super::time_off::cancel::{self, AbsenceId};
use super::time_off::{Draft, Plan, WriteGuard, WriteLocks, commit, prepare};
use super::types::resolve_type;
use crate::error::Result;
use crate::personio::scope::{RECOMMENDED, ScopeReport};
use crate::personio::{Absence, Balance, Employee, OmittedAttributes, PersonioClient, TimeOffType};

/// "Today" as a function, so tests can pin it.
pub type Today = Arc<dyn Fn() -> NaiveDate + Send + Sync>;

/// Today's date in `tz`.
pub fn today_in(tz: Tz) -> NaiveDate {
    chrono::Utc::now().with_timezone(&tz).date_naive()
}

/// Ends a write's [`ForgetOnDrop`]: settled when Personio's state is known (it stored the
/// write, refused it, or never got it); a write whose outcome is unknown (a timeout, a 5xx on
/// the write itself) leaves the person's listings unkept for one life, as Personio may apply it
/// later.
fn settle<T>(mut forget: ForgetOnDrop, written: &Result<T>) {
    if written
        .as_ref()
        .err()
        .is_none_or(|e| !crate::personio::is_outcome_unknown(e))
    {
        forget.settled();
    }
}

/// The records of one Personio account.
pub struct Records {
    client: PersonioClient,
    directory: Directory,
    write_locks: WriteLocks,
    /// Recent listings for reads (off unless [`Records::with_absence_cache`] gives it a life).
    absence_cache: Arc<AbsenceCache>,
    /// Told of each write (replicas: their kept listings of the person go too).
    write_notice: Option<WriteNotice>,
    /// The company's time zone: "today", duplicate detection of hour absences, display.
    zone: Tz,
    today: Today,
}

impl Records {
    pub fn new(client: PersonioClient, zone: Tz) -> Records {
        let client = client.with_zone(zone);
        Records {
            directory: Directory::new(client.clone(), DirectoryConfig::default()),
            client,
            write_locks: WriteLocks::default(),
            absence_cache: Arc::new(AbsenceCache::new(std::time::Duration::ZERO)),
            write_notice: None,
            zone,
            today: Arc::new(move || today_in(zone)),
        }
    }

    /// Other freshness settings for the directory cache (drops the current cache).
    pub fn with_directory_config(mut self, config: DirectoryConfig) -> Records {
        self.directory = Directory::new(self.client.clone(), config);
        self
    }

    /// Write locks that also take replica-wide leases (issue 19, `--state redis://…`).
    pub fn with_write_locks(mut self, locks: WriteLocks) -> Records {
        self.write_locks = locks;
        self
    }

    /// Keeps absence listings for `ttl` (zero: every read asks Personio; see
    /// [`AbsenceCache`]).
    pub fn with_absence_cache(mut self, ttl: std::time::Duration) -> Records {
        self.absence_cache = Arc::new(AbsenceCache::new(ttl));
        self
    }

    /// Tells `notice` of every write, with the person written for.
    pub fn with_write_notice(mut self, notice: Option<WriteNotice>) -> Records {
        self.write_notice = notice;
        self
    }

    /// Held across a write: whatever happens to it, the person's kept listings go (and are not
    /// kept again for a while unless [`settle`] says Personio's state is known).
    fn forget_after_write(&self, person: i64) -> ForgetOnDrop {
        self.absence_cache
            .forget_on_drop(person, self.write_notice.clone())
    }

    /// Something changed about this person's absences (a webhook): their listings are fetched
    /// anew.
    pub fn absences_changed(&self, person: i64) {
        self.absence_cache.forget_person(person);
    }

    /// Another replica wrote for this person, or was told of a change: their listings are
    /// fetched anew, and not kept for one life (the write's outcome may be unknown there).
    pub fn absences_changed_elsewhere(&self, person: i64) {
        self.absence_cache.unsettle(person);
        self.absence_cache.forget_person(person);
    }

    /// An absence changed and nobody knows whose: every listing is fetched anew.
    pub fn all_absences_changed(&self) {
        self.absence_cache.forget_all();
    }

    /// Pins "today" (tests).
    pub fn with_today(mut self, today: NaiveDate) -> Records {
        self.today = Arc::new(move || today);
        self
    }

    pub fn today(&self) -> NaiveDate {
        (self.today)()
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The client, for the doctor, benchmarks and tests (tools never see it).
    pub fn client(&self) -> &PersonioClient {
        &self.client
    }

    /// A fresh-enough directory snapshot (loading it when cold).
    pub async fn snapshot(&self, progress: Option<Progress>) -> Result<Arc<Snapshot>> {
        self.directory.snapshot(progress).await
    }

    /// A change notification named this person: re-read them into the cached directory.
    pub async fn refresh_person(&self, id: i64) -> Result<()> {
        self.directory.refresh_person(id).await
    }

    /// The directory as cached, without loading (`None` when cold).
    pub async fn cached(&self) -> Option<Arc<Snapshot>> {
        self.directory.cached().await
    }

    /// One employee by exact work email, from the cache or with one filtered request.
    pub async fn by_email(&self, email: &str) -> Result<(Vec<Employee>, OmittedAttributes)> {
        let found = match self.cached().await {
            Some(snapshot) => snapshot
                .with_email(email)
                .into_iter()
                .map(|e| e.as_ref().clone())
                .collect(),
            None => self
                .client
                .employee_by_email(email, DIRECTORY_ATTRIBUTES)
                .await?
                .into_iter()
                .collect(),
        };
        let omitted = self.client.omitted_attributes(DIRECTORY_ATTRIBUTES).await?;
        Ok((found, omitted))
    }

    /// One employee's full record (every attribute the credential reads) and what it may not read
    /// of the recommended attributes.
    pub async fn employee(&self, id: i64) -> Result<(Employee, OmittedAttributes)> {
        let needed: Vec<&str> = RECOMMENDED.iter().map(|(k, _, _)| *k).collect();
        let (e, omitted) = futures::try_join!(
            self.client.employee(id),
            self.client.omitted_attributes(&needed)
        )?;
        Ok((e, omitted))
    }

    pub async fn types(&self) -> Result<Arc<Vec<TimeOffType>>> {
        self.client.time_off_types().await
    }

    /// A type by id or name (NOT_FOUND lists the valid names).
    pub async fn time_off_type(&self, reference: &str) -> Result<TimeOffType> {
        let types = self.types().await?;
        resolve_type(&types, reference).cloned()
    }

    pub async fn balances(&self, employee_id: i64) -> Result<Vec<Balance>> {
        self.client.balances(employee_id).await
    }

    /// Absences of both units overlapping the window, sorted, each with its type's category
    /// (hour absences carry none upstream; the type list knows it).
    pub async fn absences(&self, filter: &AbsenceFilter) -> Result<Vec<Absence>> {
        let (mut all, types) = futures::try_join!(
            list_via(&self.client, Some(&self.absence_cache), filter),
            self.types()
        )?;
        self.name_people(&mut all).await;
        for a in &mut all {
            if a.time_off_type.category.is_none()
                && let Some(t) = a
                    .time_off_type
                    .id
                    .and_then(|id| types.iter().find(|t| t.id == id))
            {
                a.time_off_type.category = t.category.clone();
            }
        }
        Ok(all)
    }

    /// Holds the write lock of one employee until the guard is dropped.
    pub async fn lock(&self, employee_id: i64) -> WriteGuard {
        self.write_locks.lock(employee_id).await
    }

    /// Checks a draft against today's data (no write).
    pub async fn prepare(&self, draft: Draft, allow_past: bool) -> Result<Plan> {
        prepare(&self.client, draft, self.today(), allow_past, self.zone).await
    }

    /// Writes a plan (see [`commit`]).
    pub async fn commit(
        &self,
        guard: &WriteGuard,
        plan: &Plan,
        skip_approval: bool,
        recheck: bool,
    ) -> Result<(Absence, bool)> {
        // Whatever happens to the write, this person's kept listings go.
        let forget = self.forget_after_write(guard.employee_id());
        let written = commit(&self.client, guard, plan, skip_approval, recheck, self.zone).await;
        settle(forget, &written);
        let (mut absence, stored) = written?;
        self.name_people(std::slice::from_mut(&mut absence)).await;
        if absence.time_off_type.category.is_none() {
            absence.time_off_type.category = plan.time_off_type.category.clone();
        }
        Ok((absence, stored))
    }

    /// An absence by id (`None`: not there any more). `employees` bounds the search for hourly
    /// absences (empty: everyone).
    pub async fn absence(&self, id: &AbsenceId, employees: &[i64]) -> Result<Option<Absence>> {
        let mut found = cancel::find(&self.client, id, employees, self.today()).await?;
        if let Some(a) = &mut found {
            self.name_people(std::slice::from_mut(a)).await;
        }
        if let Some(a) = &mut found
            && a.time_off_type.category.is_none()
        {
            let types = self.types().await?;
            if let Some(t) = a
                .time_off_type
                .id
                .and_then(|id| types.iter().find(|t| t.id == id))
            {
                a.time_off_type.category = t.category.clone();
            }
        }
        Ok(found)
    }

    /// Deletes an absence, under its employee's held write lock: looked up once more under the
    /// lock (NOT_FOUND when it is gone), then deleted (see [`cancel::delete`]).
    pub async fn cancel(&self, guard: &WriteGuard, id: &AbsenceId) -> Result<Absence> {
        let current = cancel::find(&self.client, id, &[guard.employee_id()], self.today())
            .await?
            .ok_or_else(|| cancel::not_found(id))?;
        if current.employee.id != guard.employee_id() {
            return Err(cancel::not_found(id));
        }
        let forget = self.forget_after_write(guard.employee_id());
        let deleted = cancel::delete(&self.client, &current, id, self.today()).await;
        settle(forget, &deleted);
        deleted?;
        let mut current = current;
        self.name_people(std::slice::from_mut(&mut current)).await;
        Ok(current)
    }

    /// Names the people of absences that came without names (v2 periods carry only the person's
    /// id), from the directory as cached: no request, and the same names v1 would have sent.
    async fn name_people(&self, absences: &mut [Absence]) {
        if absences
            .iter()
            .all(|a| a.employee.first_name.is_some() || a.employee.last_name.is_some())
        {
            return;
        }
        let Some(snapshot) = self.cached().await else {
            return;
        };
        for a in absences.iter_mut() {
            if a.employee.first_name.is_none()
                && a.employee.last_name.is_none()
                && let Some(e) = snapshot.by_id(a.employee.id)
            {
                a.employee.first_name = e.first_name.value().cloned();
                a.employee.last_name = e.last_name.value().cloned();
                a.employee.email = e.email.value().cloned();
            }
        }
    }

    /// What the credential may read and do.
    pub async fn scope_report(&self) -> Result<ScopeReport> {
        self.client.scope_report().await
    }

    /// One cheap authenticated round trip (readiness probes).
    pub async fn check_connection(&self) -> Result<()> {
        self.client.check_connection().await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::time::Duration;

    use super::*;
    use crate::domain::absence_cache::ListingKey;
    use crate::error::Error;

    /// Whether `person`'s listings are kept after a write that ended with `written`.
    fn kept_after(written: &Result<()>) -> bool {
        let cache = Arc::new(AbsenceCache::new(Duration::from_secs(60)));
        settle(cache.forget_on_drop(7, None), written);
        let day = NaiveDate::from_ymd_opt(2031, 1, 1).unwrap();
        let key = ListingKey::new(None, Some(&[7]), day, day);
        let g = cache.generation();
        cache.keep(key.clone(), g, Arc::new(Vec::new()));
        cache.get(&key).is_some()
    }

    #[test]
    fn only_a_write_of_unknown_outcome_stops_keeping_the_persons_listings() {
        assert!(kept_after(&Ok(())), "stored");
        assert!(
            kept_after(&Err(Error::validation("Personio refused it"))),
            "refused, or never sent: Personio's state is known"
        );
        assert!(
            !kept_after(&Err(crate::personio::failure::outcome_unknown(
                Error::upstream("timed out")
            ))),
            "Personio may still apply it"
        );
    }
}
