//! Name pools for the seeded company, and the ASCII folding used to build e-mail addresses.
//!
//! The pools are deliberately European and full of characters that break naive code: umlauts and ß
//! (Jürgen Müller, Anna-Lena Weiß), accents and tildes (José Núñez), Nordic and Slavic letters (Søren
//! Ødegaard, Łukasz Wiśniewski), hyphenated first names, multi-word last names (van den Berg,
//! de la Fuente) and apostrophes (O'Brien). Pools are small enough that first and last names repeat.

use std::sync::LazyLock;

/// A regional name pool. `weight` is the relative frequency of the group in the company.
#[derive(Debug, Default)]
pub struct NameGroup {
    pub nationality: &'static str,
    pub weight: u32,
    pub female: Vec<&'static str>,
    pub male: Vec<&'static str>,
    pub last: Vec<&'static str>,
}

/// The pools as data (`names.txt`, format described at its top): 250 names are a table, not code.
const POOLS: &str = include_str!("names.txt");

static GROUPS: LazyLock<Vec<NameGroup>> = LazyLock::new(|| parse_pools(POOLS));

/// The name pools, in file order (the seed's draws depend on it).
pub fn groups() -> &'static [NameGroup] {
    &GROUPS
}

/// Reads the pool file. Lines it does not know are skipped; the unit tests pin the result.
fn parse_pools(text: &'static str) -> Vec<NameGroup> {
    let mut groups: Vec<NameGroup> = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix("= ") {
            let (nationality, weight) = header.rsplit_once(' ').unwrap_or((header, "1"));
            groups.push(NameGroup {
                nationality,
                weight: weight.parse().unwrap_or(1),
                ..NameGroup::default()
            });
        } else if let (Some(group), Some((kind, names))) = (groups.last_mut(), line.split_once(':'))
        {
            let list = match kind {
                "female" => &mut group.female,
                "male" => &mut group.male,
                "last" => &mut group.last,
                _ => continue,
            };
            list.extend(names.split(',').map(str::trim).filter(|n| !n.is_empty()));
        }
    }
    groups
}

/// Employees placed at fixed positions for every seed so that demos and tests can rely on them:
/// (first name, last name, gender, nationality). Positions 4 and 5 are an exact full-name duplicate.
pub static ANCHORS: &[(&str, &str, &str, &str)] = &[
    ("Jürgen", "Müller", "male", "German"),
    ("Anna-Lena", "Weiß", "female", "German"),
    ("José", "Núñez", "male", "Spanish"),
    ("Zoë", "Schröder", "female", "German"),
    ("Anna", "Schmidt", "female", "German"),
    ("Anna", "Schmidt", "female", "German"),
    ("Łukasz", "Wiśniewski", "male", "Polish"),
    ("Søren", "Ødegaard", "male", "Danish"),
    ("François", "Lefèvre", "male", "French"),
    ("Hans-Peter", "Groß", "male", "German"),
];

/// Folds a name to lowercase ASCII for e-mail local parts: diacritics are dropped (`ü`→`u`, `é`→`e`,
/// `ñ`→`n`), `ß`→`ss`, `æ`→`ae`, `œ`→`oe`, `ø`→`o`, `ł`→`l`; spaces and apostrophes are removed;
/// hyphens are kept; anything else outside `[a-z0-9-]` is dropped.
pub fn fold_ascii(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded: &str = match c {
            'a'..='z' | '0'..='9' | '-' => {
                out.push(c);
                continue;
            }
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'č' => "c",
            'ď' | 'đ' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
            'ğ' => "g",
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' => "i",
            'ł' => "l",
            'ñ' | 'ń' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
            'œ' => "oe",
            'ř' | 'ŕ' => "r",
            'ś' | 'š' | 'ş' => "s",
            'ß' => "ss",
            'ť' | 'ţ' => "t",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
            'ý' | 'ÿ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            _ => "",
        };
        out.push_str(folded);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_examples() {
        assert_eq!(fold_ascii("Jürgen"), "jurgen");
        assert_eq!(fold_ascii("Müller"), "muller");
        assert_eq!(fold_ascii("Anna-Lena"), "anna-lena");
        assert_eq!(fold_ascii("Weiß"), "weiss");
        assert_eq!(fold_ascii("José Luis"), "joseluis");
        assert_eq!(fold_ascii("Núñez"), "nunez");
        assert_eq!(fold_ascii("Ødegaard"), "odegaard");
        assert_eq!(fold_ascii("Łukasz"), "lukasz");
        assert_eq!(fold_ascii("O'Brien"), "obrien");
        assert_eq!(fold_ascii("de la Fuente"), "delafuente");
    }

    #[test]
    fn the_pool_file_is_read_whole() {
        let g = groups();
        let nationalities: Vec<&str> = g.iter().map(|g| g.nationality).collect();
        assert_eq!(nationalities.len(), 11, "{nationalities:?}");
        assert_eq!((g[0].nationality, g[0].weight), ("German", 55));
        let names: usize = g
            .iter()
            .map(|g| g.female.len() + g.male.len() + g.last.len())
            .sum();
        assert_eq!(names, 247);
        assert!(
            g.iter()
                .all(|g| !g.female.is_empty() && !g.male.is_empty() && !g.last.is_empty())
        );
        let all_last: Vec<&str> = g.iter().flat_map(|g| g.last.iter().copied()).collect();
        for tricky in [
            "Ní Bhriain", "O'Brien", "De Luca", "van den Berg", "de la Fuente",
        ] {
            assert!(all_last.contains(&tricky), "{tricky}");
        }
    }

    #[test]
    fn every_pool_name_folds_to_something() {
        for g in groups() {
            for n in g.female.iter().chain(&g.male).chain(&g.last) {
                let f = fold_ascii(n);
                assert!(!f.is_empty(), "{n}");
                assert!(
                    f.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                    "{n} -> {f}"
                );
            }
        }
    }
}
