//! The policy facade: the one object tools talk to. It knows the caller, and every answer it
//! gives has the access rules (who sees whom), the field allow-list, health masking and result
//! caps applied already — tools get them by construction, not by remembering to call them.
//!
//! Split by subject: [`people`] (directory search, full records, completions), [`absences`]
//! (listing, masking, caps), [`balances`], [`writes`] (drafts, plans and commits of time off).

pub mod absences;
pub mod balances;
pub mod people;
pub mod writes;

use std::sync::Arc;

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::access::Caller;
use super::fields::FieldPolicy;
use super::principal::Principal;
use super::privacy::Privacy;
use super::write_gate::WritePolicy;
use crate::domain::directory::Progress;
use crate::domain::records::Records;
use crate::error::Result;
use crate::personio::TimeOffType;
use crate::personio::scope::ScopeReport;

/// The server's policy settings.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Which extra attributes may leave the server.
    pub fields: FieldPolicy,
    /// Health masking and result caps.
    pub privacy: Privacy,
    /// Whether and how writes are allowed.
    pub writes: WritePolicy,
}

/// The records, seen by one caller.
#[derive(Clone)]
pub struct Guarded {
    caller: Caller,
    records: Arc<Records>,
    rules: Arc<Rules>,
    progress: Option<Progress>,
}

impl Guarded {
    /// Resolves who is calling (fails closed for an unknown email). Without a principal the caller
    /// is the local operator. Resolving may be what loads a cold directory: `progress` sees it.
    pub async fn resolve(
        records: Arc<Records>,
        rules: Arc<Rules>,
        principal: Option<&Principal>,
        progress: Option<Progress>,
    ) -> Result<Guarded> {
        let caller = match principal {
            None => Caller::operator(),
            Some(p) => {
                let snapshot = records.snapshot(progress.clone()).await?;
                Caller::resolve(Some(p), &snapshot)?
            }
        };
        Ok(Guarded {
            caller,
            records,
            rules,
            progress,
        })
    }

    /// A facade for an already resolved caller (tests that build callers by hand).
    pub fn for_caller(records: Arc<Records>, rules: Arc<Rules>, caller: Caller) -> Guarded {
        Guarded {
            caller,
            records,
            rules,
            progress: None,
        }
    }

    /// The same caller, reporting directory loads to `progress`.
    pub fn with_progress(mut self, progress: Option<Progress>) -> Guarded {
        self.progress = progress;
        self
    }

    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Today in the company's time zone.
    pub fn today(&self) -> NaiveDate {
        self.records.today()
    }

    /// The first and last day of the current month in the company's calendar.
    pub fn this_month(&self) -> (NaiveDate, NaiveDate) {
        crate::domain::calendar::month_of(self.records.today())
    }

    /// The company's time zone.
    pub fn zone(&self) -> Tz {
        self.records.zone()
    }

    /// The account's time-off types (no personal data).
    pub async fn types(&self) -> Result<Arc<Vec<TimeOffType>>> {
        self.records.types().await
    }

    /// What the Personio credential may read and do (no personal data).
    pub async fn scope_report(&self) -> Result<ScopeReport> {
        self.records.scope_report().await
    }
}
