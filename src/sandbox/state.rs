//! Shared state of one running sandbox. Lock order, where both are needed: company, then absences.
//! Locks are never held across an `.await`.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde_json::json;
use uuid::Uuid;

use super::absences::AbsenceStore;
use super::auth::TokenStore;
use super::clock::SandboxClock;
use super::data::{self, Company};
use super::faults::Faults;
use super::limits::Limits;
use super::stats::Stats;
use super::webhooks::Webhooks;
use super::webhooks::events;

pub struct AppState {
    pub company: RwLock<Company>,
    pub absences: RwLock<AbsenceStore>,
    pub tokens: TokenStore,
    pub limits: Limits,
    pub faults: Faults,
    pub stats: Stats,
    pub webhooks: Webhooks,
    pub clock: SandboxClock,
    /// `http://127.0.0.1:PORT` (used for `profile_picture` links).
    pub base_url: String,
    pub seed: u64,
    pub relaxed_limits: bool,
}

impl AppState {
    pub fn company(&self) -> RwLockReadGuard<'_, Company> {
        self.company.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn company_mut(&self) -> RwLockWriteGuard<'_, Company> {
        self.company.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn absences(&self) -> RwLockReadGuard<'_, AbsenceStore> {
        self.absences.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn absences_mut(&self) -> RwLockWriteGuard<'_, AbsenceStore> {
        self.absences.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Tells webhooks that an absence (v2 id `id`, of `employee_id`) was created or deleted.
    pub fn absence_changed(&self, event: &'static str, id: Uuid, employee_id: u64) {
        self.webhooks.emit(
            event,
            json!({"id": id.to_string(), "person": {"id": employee_id.to_string()}}),
            self.clock.now(),
        );
    }

    /// Tells webhooks that a person changed: `person_event` (if any) with the person's id, and
    /// `employment_event` (if any) with the employment's id and its person.
    pub fn person_changed(
        &self,
        employee_id: u64,
        person_event: Option<&'static str>,
        employment_event: Option<&'static str>,
    ) {
        let now = self.clock.now();
        let person = employee_id.to_string();
        if let Some(event) = person_event {
            self.webhooks.emit(event, json!({"id": person}), now);
        }
        if let Some(event) = employment_event {
            self.webhooks.emit(
                event,
                json!({"id": data::employment_id(employee_id).to_string(), "person": {"id": person}}),
                now,
            );
        }
    }
}

/// Which events a patch of these v1 attribute keys causes: person attributes (names, e-mail, gender,
/// custom attributes) → `person.updated`; everything about the contract → `employment.updated`.
pub fn patch_events(changed: &[&str]) -> (Option<&'static str>, Option<&'static str>) {
    const PERSON: &[&str] = &[
        "first_name", "last_name", "preferred_name", "email", "gender",
    ];
    let person = changed
        .iter()
        .any(|k| PERSON.contains(k) || k.starts_with("dynamic_"));
    let employment = changed
        .iter()
        .any(|k| !PERSON.contains(k) && !k.starts_with("dynamic_"));
    (
        person.then_some(events::PERSON_UPDATED),
        employment.then_some(events::EMPLOYMENT_UPDATED),
    )
}
