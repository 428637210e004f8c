//! Time-off balances as a caller may see them.

use std::sync::Arc;

use chrono::NaiveDate;

use super::Guarded;
use crate::error::Result;
use crate::personio::{Balance, Employee};

/// One person's balances.
#[derive(Debug, Clone)]
pub struct Balances {
    pub employee: Arc<Employee>,
    /// The date the balances refer to.
    pub as_of: NaiveDate,
    pub balances: Vec<Balance>,
}

impl Guarded {
    /// The balances of one person the caller may see, optionally of one type only.
    pub async fn balances(&self, reference: &str, type_ref: Option<&str>) -> Result<Balances> {
        let who = self
            .visible_person(reference, "read this person's time-off balance")
            .await?;
        let wanted = match type_ref {
            Some(t) => Some(self.records.time_off_type(t).await?.id),
            None => None,
        };
        let balances = self
            .records
            .balances(who.id)
            .await?
            .into_iter()
            .filter(|b| wanted.is_none_or(|w| w == b.time_off_type_id))
            .filter(|b| self.sees_balance(who.id, b.category.as_deref(), Some(&b.name)))
            .collect();
        Ok(Balances {
            employee: who,
            as_of: self.records.today(),
            balances,
        })
    }
}

impl Guarded {
    /// May the caller see the balance of this person's type of this category? Balances of
    /// health-related types (sick leave, parental leave, quarantine) are health data: visible
    /// only to the person and HR, like the absences themselves.
    pub fn sees_balance(
        &self,
        employee_id: i64,
        category: Option<&str>,
        name: Option<&str>,
    ) -> bool {
        self.caller.sees_health_of(employee_id) || !self.rules.privacy.is_health(category, name)
    }
}
