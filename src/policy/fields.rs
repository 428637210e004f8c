//! Which employee attributes are sensitive and never leave the server by default.
//!
//! Personio accounts name their custom attributes freely ("IBAN", "Bankverbindung", "Gehalt"), so
//! sensitivity is decided from the key, the global `universal_id` and the label together, in
//! English and German. When in doubt an attribute is treated as sensitive.

use crate::personio::ExtraAttribute;

/// Fragments that mark an attribute as sensitive (matched case-insensitively against key,
/// universal id and label).
const SENSITIVE_FRAGMENTS: &[&str] = &[
    "salary", "gehalt", "compensation", "bonus", "wage", "lohn", "pay", "iban", "bank", "konto",
    "tax", "steuer", "social", "sozialvers", "insurance", "versicherung", "birth", "geburt",
    "address", "adresse", "street", "strasse", "straße", "zip", "postal", "plz", "city", "private",
    "privat", "personal_email", "phone", "telefon", "mobile", "gender", "geschlecht",
    "nationality", "nationalit", "staatsang", "marital", "familienstand", "religion", "konfession",
    "health", "gesundheit", "disab", "behinder", "passport", "reisepass", "id_card", "ausweis",
    "emergency", "notfall", "children", "kinder",
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

/// An attribute known only by a name an administrator typed (a label, key or universal id).
fn named_only(name: &str) -> ExtraAttribute {
    ExtraAttribute {
        key: name.trim().to_string(),
        label: name.trim().to_string(),
        kind: None,
        universal_id: Some(name.trim().to_string()),
        value: serde_json::Value::Null,
    }
}

impl FieldPolicy {
    /// Refuses a configuration that cannot do what it says: `--expose-attribute` naming a
    /// sensitive attribute (those are never exposed to every role; `--hr-sensitive-attribute`
    /// is the way for HR), or an empty name.
    pub fn check(&self) -> crate::error::Result<()> {
        for name in &self.exposed_custom {
            if name.trim().is_empty() {
                return Err(crate::error::Error::validation(
                    "--expose-attribute was given an empty name",
                ));
            }
            if is_sensitive(&named_only(name)) {
                return Err(crate::error::Error::validation(format!(
                    "--expose-attribute `{}` names a sensitive attribute; sensitive attributes are never \
exposed to every role",
                    name.trim()
                ))
                .with_hint("Use --hr-sensitive-attribute to let HR callers see it, or remove it."));
            }
        }
        Ok(())
    }

    /// Configured names that match none of the attributes the credential can read (a typo, or
    /// an attribute the credential may not read): reported at start-up and by `doctor`.
    pub fn unknown_names<'a>(
        &'a self,
        readable: &[(String, String, Option<String>)],
    ) -> Vec<&'a str> {
        self.exposed_custom
            .iter()
            .chain(&self.hr_sensitive)
            .map(|n| n.trim())
            .filter(|n| {
                !readable.iter().any(|(key, label, uid)| {
                    n.eq_ignore_ascii_case(key)
                        || n.eq_ignore_ascii_case(label)
                        || uid.as_deref().is_some_and(|u| n.eq_ignore_ascii_case(u))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod check_tests {
    use super::*;

    #[test]
    fn exposing_a_sensitive_attribute_fails_at_start_up() {
        let p = FieldPolicy {
            exposed_custom: vec!["Gehalt".into()],
            hr_sensitive: vec![],
        };
        assert!(p.check().unwrap_err().message.contains("sensitive"));
        let ok = FieldPolicy {
            exposed_custom: vec!["Language Skills".into()],
            hr_sensitive: vec![],
        };
        assert!(ok.check().is_ok());
        let readable = vec![("dynamic_1".to_string(), "Language Skills".to_string(), None)];
        assert!(ok.unknown_names(&readable).is_empty());
        let typo = FieldPolicy {
            exposed_custom: vec!["Langauge Skills".into()],
            hr_sensitive: vec![],
        };
        assert_eq!(typo.unknown_names(&readable), vec!["Langauge Skills"]);
    }
}
