//! Shared state of one running sandbox. Lock order, where both are needed: company, then absences.
//! Locks are never held across an `.await`.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::absences::AbsenceStore;
use super::auth::TokenStore;
use super::clock::SandboxClock;
use super::data::Company;
use super::faults::Faults;
use super::limits::Limits;
use super::stats::Stats;

pub struct AppState {
    pub company: RwLock<Company>,
    pub absences: RwLock<AbsenceStore>,
    pub tokens: TokenStore,
    pub limits: Limits,
    pub faults: Faults,
    pub stats: Stats,
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
}
