//! German and English for the confirmation page: the language from `Accept-Language`, the words,
//! and dates and numbers the way each language writes them.
//!
//! Two languages and nineteen month and weekday names do not justify turning on chrono's
//! `unstable-locales` feature for the whole dependency tree; these tables are the whole of it.

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};

use crate::policy::state::QuantityUnit;

/// The page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
}

/// The longest `Accept-Language` header read; the rest is ignored.
const MAX_ACCEPT_LANGUAGE: usize = 512;

impl Lang {
    /// The preferred of German and English in an `Accept-Language` header (highest q wins, the
    /// earlier entry on a tie); English when neither is listed.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::En;
        };
        let header = header.get(..MAX_ACCEPT_LANGUAGE).unwrap_or(header);
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',').take(32) {
            let mut pieces = part.split(';');
            let tag = pieces
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let lang = match tag.split('-').next() {
                Some("de") => Lang::De,
                Some("en") => Lang::En,
                _ => continue,
            };
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::En)
    }

    /// The `lang` attribute value.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// A date in full: "Monday, 14 December 2026" / "Montag, 14. Dezember 2026".
    pub fn date(self, d: NaiveDate) -> String {
        let month = (d.month0() as usize).min(11);
        match self {
            Lang::En => format!(
                "{}, {} {} {}",
                weekday_en(d.weekday()),
                d.day(),
                MONTHS_EN[month],
                d.year()
            ),
            Lang::De => format!(
                "{}, {}. {} {}",
                weekday_de(d.weekday()),
                d.day(),
                MONTHS_DE[month],
                d.year()
            ),
        }
    }

    /// A time of day, 24-hour in both: "09:30" (German adds "Uhr" where a sentence needs it).
    pub fn time(self, t: NaiveTime) -> String {
        t.format("%H:%M").to_string()
    }

    /// A quantity: "1 day", "4.5 days" / "1 Tag", "4,5 Tage".
    pub fn quantity(self, value: f64, unit: QuantityUnit) -> String {
        let one = (value - 1.0).abs() < f64::EPSILON;
        let word = match (self, unit, one) {
            (Lang::En, QuantityUnit::Days, true) => "day",
            (Lang::En, QuantityUnit::Days, false) => "days",
            (Lang::En, QuantityUnit::Hours, true) => "hour",
            (Lang::En, QuantityUnit::Hours, false) => "hours",
            (Lang::De, QuantityUnit::Days, true) => "Tag",
            (Lang::De, QuantityUnit::Days, false) => "Tage",
            (Lang::De, QuantityUnit::Hours, true) => "Stunde",
            (Lang::De, QuantityUnit::Hours, false) => "Stunden",
        };
        format!("{} {word}", self.number(value))
    }

    /// A number with at most two decimals and the language's decimal mark.
    pub fn number(self, value: f64) -> String {
        let text = format!("{value:.2}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        let text = if text == "-0" { "0" } else { text };
        match self {
            Lang::En => text.to_string(),
            Lang::De => text.replace('.', ","),
        }
    }

    /// The words of the page.
    pub fn t(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::De => &DE,
        }
    }
}

const MONTHS_EN: [&str; 12] = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
];
const MONTHS_DE: [&str; 12] = [
    "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
    "November", "Dezember",
];

fn weekday_en(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

fn weekday_de(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Montag",
        Weekday::Tue => "Dienstag",
        Weekday::Wed => "Mittwoch",
        Weekday::Thu => "Donnerstag",
        Weekday::Fri => "Freitag",
        Weekday::Sat => "Samstag",
        Weekday::Sun => "Sonntag",
    }
}

/// Every sentence and label on the page, per language.
pub struct Texts {
    pub product: &'static str,
    pub title_create: &'static str,
    pub title_cancel: &'static str,
    pub lead_create: &'static str,
    pub lead_cancel: &'static str,
    pub employee: &'static str,
    pub requested_by: &'static str,
    pub time_off_type: &'static str,
    pub date: &'static str,
    pub first_day: &'static str,
    pub last_day: &'static str,
    pub half_day: &'static str,
    pub uses: &'static str,
    pub gives_back: &'static str,
    pub balance: &'static str,
    pub comment: &'static str,
    pub confirm: &'static str,
    pub decline: &'static str,
    pub fine_print: &'static str,
    /// "Valid for another {n} minutes."; `{n}` is replaced.
    pub valid_minutes: &'static str,
    pub valid_one_minute: &'static str,
    pub approved_title: &'static str,
    pub approved_text: &'static str,
    pub declined_title: &'static str,
    pub declined_text: &'static str,
    pub consumed_title: &'static str,
    pub consumed_text: &'static str,
    pub already_text: &'static str,
    pub expired_title: &'static str,
    pub expired_text: &'static str,
    pub unknown_title: &'static str,
    pub unknown_text: &'static str,
    pub forbidden_title: &'static str,
    pub forbidden_text: &'static str,
    pub unavailable_title: &'static str,
    pub unavailable_text: &'static str,
}

static EN: Texts = Texts {
    product: "Personio time off",
    title_create: "Confirm this time-off request",
    title_cancel: "Confirm this cancellation",
    lead_create: "Your assistant prepared this request. Nothing is submitted to Personio until you confirm it here.",
    lead_cancel: "Your assistant wants to cancel this time off. Nothing is cancelled in Personio until you confirm it here.",
    employee: "Employee",
    requested_by: "Requested by",
    time_off_type: "Type",
    date: "Date",
    first_day: "First day",
    last_day: "Last day",
    half_day: "half day",
    uses: "Uses",
    gives_back: "Gives back",
    balance: "Balance",
    comment: "Comment",
    confirm: "Confirm",
    decline: "Decline",
    fine_print: "Only confirm what you asked for. This page cannot be changed after you answer.",
    valid_minutes: "This link is valid for another {n} minutes.",
    valid_one_minute: "This link is valid for one more minute.",
    approved_title: "Confirmed",
    approved_text: "Thank you. Go back to your assistant: it will now submit the request to Personio.",
    declined_title: "Declined",
    declined_text: "Nothing will be submitted. You can close this page.",
    consumed_title: "Submitted",
    consumed_text: "This request was confirmed and has been sent to Personio. You can close this page.",
    already_text: "This request was already answered; the answer cannot be changed.",
    expired_title: "This link has expired",
    expired_text: "Confirmation links are valid for a few minutes. Ask your assistant to prepare the request again.",
    unknown_title: "This link is not valid",
    unknown_text: "Check that you opened the complete link, or ask your assistant for a new one.",
    forbidden_title: "This answer could not be verified",
    forbidden_text: "Nothing was changed. Open the link from your assistant again and answer on that page.",
    unavailable_title: "Temporarily unavailable",
    unavailable_text: "The server could not read or record this confirmation. Nothing was changed; try again in a moment.",
};

static DE: Texts = Texts {
    product: "Personio Abwesenheiten",
    title_create: "Abwesenheitsantrag bestätigen",
    title_cancel: "Stornierung bestätigen",
    lead_create: "Ihr Assistent hat diesen Antrag vorbereitet. Erst wenn Sie hier bestätigen, wird er an Personio übermittelt.",
    lead_cancel: "Ihr Assistent möchte diese Abwesenheit stornieren. Erst wenn Sie hier bestätigen, wird sie in Personio storniert.",
    employee: "Mitarbeiter:in",
    requested_by: "Beantragt von",
    time_off_type: "Art",
    date: "Datum",
    first_day: "Erster Tag",
    last_day: "Letzter Tag",
    half_day: "halber Tag",
    uses: "Verbraucht",
    gives_back: "Schreibt gut",
    balance: "Saldo",
    comment: "Kommentar",
    confirm: "Bestätigen",
    decline: "Ablehnen",
    fine_print: "Bestätigen Sie nur, was Sie selbst beantragt haben. Nach Ihrer Antwort lässt sich diese Seite nicht mehr ändern.",
    valid_minutes: "Dieser Link ist noch {n} Minuten gültig.",
    valid_one_minute: "Dieser Link ist noch eine Minute gültig.",
    approved_title: "Bestätigt",
    approved_text: "Danke. Kehren Sie zu Ihrem Assistenten zurück: Er übermittelt den Antrag jetzt an Personio.",
    declined_title: "Abgelehnt",
    declined_text: "Es wird nichts übermittelt. Sie können diese Seite schließen.",
    consumed_title: "Übermittelt",
    consumed_text: "Dieser Antrag wurde bestätigt und an Personio übermittelt. Sie können diese Seite schließen.",
    already_text: "Dieser Antrag wurde bereits beantwortet; die Antwort lässt sich nicht mehr ändern.",
    expired_title: "Dieser Link ist abgelaufen",
    expired_text: "Bestätigungslinks sind nur wenige Minuten gültig. Bitten Sie Ihren Assistenten, den Antrag neu vorzubereiten.",
    unknown_title: "Dieser Link ist ungültig",
    unknown_text: "Prüfen Sie, ob Sie den vollständigen Link geöffnet haben, oder bitten Sie Ihren Assistenten um einen neuen.",
    forbidden_title: "Diese Antwort konnte nicht geprüft werden",
    forbidden_text: "Es wurde nichts geändert. Öffnen Sie den Link Ihres Assistenten erneut und antworten Sie auf dieser Seite.",
    unavailable_title: "Vorübergehend nicht verfügbar",
    unavailable_text: "Der Server konnte diese Bestätigung nicht lesen oder speichern. Es wurde nichts geändert; versuchen Sie es gleich noch einmal.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_of_german_and_english() {
        assert_eq!(Lang::from_accept_language(None), Lang::En);
        assert_eq!(
            Lang::from_accept_language(Some("de-DE,de;q=0.9,en;q=0.8")),
            Lang::De
        );
        assert_eq!(
            Lang::from_accept_language(Some("en-US,en;q=0.9,de;q=0.8")),
            Lang::En
        );
        assert_eq!(Lang::from_accept_language(Some("fr-FR,de;q=0.5")), Lang::De);
        assert_eq!(Lang::from_accept_language(Some("fr-FR")), Lang::En);
        assert_eq!(
            Lang::from_accept_language(Some("de;q=0,en;q=0.1")),
            Lang::En
        );
        assert_eq!(
            Lang::from_accept_language(Some("en;q=0.2, DE-at;q=0.7")),
            Lang::De
        );
        let huge = "x,".repeat(10_000) + "de";
        assert_eq!(Lang::from_accept_language(Some(&huge)), Lang::En);
    }

    #[test]
    fn dates_and_numbers_are_written_the_way_each_language_writes_them() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 14).unwrap();
        assert_eq!(Lang::En.date(d), "Monday, 14 December 2026");
        assert_eq!(Lang::De.date(d), "Montag, 14. Dezember 2026");
        assert_eq!(Lang::En.quantity(4.5, QuantityUnit::Days), "4.5 days");
        assert_eq!(Lang::De.quantity(4.5, QuantityUnit::Days), "4,5 Tage");
        assert_eq!(Lang::De.quantity(1.0, QuantityUnit::Hours), "1 Stunde");
        assert_eq!(Lang::En.number(24.0), "24");
        assert_eq!(Lang::En.number(0.126), "0.13");
        assert_eq!(Lang::En.number(20.0), "20");
        let t = NaiveTime::from_hms_opt(9, 5, 0).unwrap();
        assert_eq!(Lang::De.time(t), "09:05");
    }
}
