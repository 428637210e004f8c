//! Which employee attributes are sensitive and never leave the server by default.
//!
//! Personio accounts name their custom attributes freely ("IBAN", "Bankverbindung", "Gehalt"), so
//! sensitivity is decided from the key, the global `universal_id` and the label together, in
//! English and German. When in doubt an attribute is treated as sensitive.

use crate::personio::ExtraAttribute;

/// Fragments that mark an attribute as sensitive (matched case-insensitively against key,
/// universal id and label).
const SENSITIVE_FRAGMENTS: &[&str] = &[
    "salary",
    "gehalt",
    "compensation",
    "bonus",
    "wage",
    "lohn",
    "pay",
    "iban",
    "bank",
    "konto",
    "tax",
    "steuer",
    "social",
    "sozialvers",
    "insurance",
    "versicherung",
    "birth",
    "geburt",
    "address",
    "adresse",
    "street",
    "strasse",
    "straße",
    "zip",
    "postal",
    "plz",
    "city",
    "private",
    "privat",
    "personal_email",
    "phone",
    "telefon",
    "mobile",
    "gender",
    "geschlecht",
    "nationality",
    "nationalit",
    "staatsang",
    "marital",
    "familienstand",
    "religion",
    "konfession",
    "health",
    "gesundheit",
    "disab",
    "behinder",
    "passport",
    "reisepass",
    "id_card",
    "ausweis",
    "emergency",
    "notfall",
    "children",
    "kinder",
];

/// True when the attribute must be withheld unless explicitly opted in.
pub fn is_sensitive(attr: &ExtraAttribute) -> bool {
    let haystacks = [
        attr.key.to_lowercase(),
        attr.universal_id.clone().unwrap_or_default().to_lowercase(),
        attr.label.to_lowercase(),
    ];
    haystacks
        .iter()
        .any(|h| SENSITIVE_FRAGMENTS.iter().any(|f| h.contains(f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(key: &str, uid: Option<&str>, label: &str) -> ExtraAttribute {
        ExtraAttribute {
            key: key.into(),
            label: label.into(),
            kind: None,
            universal_id: uid.map(str::to_string),
            value: serde_json::Value::Null,
        }
    }

    #[test]
    fn recognises_sensitive_attributes_in_english_and_german() {
        assert!(is_sensitive(&a(
            "fix_salary",
            Some("fix_salary"),
            "Fixed salary"
        )));
        assert!(is_sensitive(&a(
            "dynamic_1",
            Some("iban"),
            "Bankverbindung"
        )));
        assert!(is_sensitive(&a("dynamic_2", None, "Geburtsdatum")));
        assert!(is_sensitive(&a("dynamic_3", None, "Home address")));
        assert!(is_sensitive(&a("gender", Some("gender"), "Gender")));
        assert!(is_sensitive(&a("dynamic_4", None, "Nationality")));
        assert!(!is_sensitive(&a("dynamic_5", None, "Language Skills")));
        assert!(!is_sensitive(&a("dynamic_6", None, "T-shirt size")));
    }
}

/// Which employee attributes beyond the standard fields may leave the server.
#[derive(Debug, Clone, Default)]
pub struct FieldPolicy {
    /// Custom attributes (by label or `dynamic_<id>` key) every role may see. Default: none.
    pub exposed_custom: Vec<String>,
    /// Sensitive attributes (by label, key or universal id) HR callers may see. Default: none.
    pub hr_sensitive: Vec<String>,
}

fn named(list: &[String], attr: &ExtraAttribute) -> bool {
    list.iter().any(|n| {
        let n = n.trim();
        n.eq_ignore_ascii_case(&attr.key)
            || n.eq_ignore_ascii_case(&attr.label)
            || attr
                .universal_id
                .as_deref()
                .is_some_and(|u| n.eq_ignore_ascii_case(u))
    })
}

impl FieldPolicy {
    /// May this extra attribute be returned to a caller (`hr`: whether the caller has the HR role)?
    pub fn allows(&self, attr: &ExtraAttribute, hr: bool) -> bool {
        if is_sensitive(attr) {
            return hr && named(&self.hr_sensitive, attr);
        }
        attr.is_custom() && named(&self.exposed_custom, attr)
    }
}
