//! Name pools for the seeded company, and the ASCII folding used to build e-mail addresses.
//!
//! The pools are deliberately European and full of characters that break naive code: umlauts and ß
//! (Jürgen Müller, Anna-Lena Weiß), accents and tildes (José Núñez), Nordic and Slavic letters (Søren
//! Ødegaard, Łukasz Wiśniewski), hyphenated first names, multi-word last names (van den Berg,
//! de la Fuente) and apostrophes (O'Brien). Pools are small enough that first and last names repeat.

/// A regional name pool. `weight` is the relative frequency of the group in the company.
pub struct NameGroup {
    pub nationality: &'static str,
    pub weight: u32,
    pub female: &'static [&'static str],
    pub male: &'static [&'static str],
    pub last: &'static [&'static str],
}

pub static GROUPS: &[NameGroup] = &[
    NameGroup {
        nationality: "German",
        weight: 55,
        female: &[
            "Anna",
            "Anna-Lena",
            "Marie",
            "Sophie",
            "Lena",
            "Leonie",
            "Hannah",
            "Katharina",
            "Sabine",
            "Ursula",
            "Jördis",
            "Dörte",
            "Brigitte",
            "Julia",
            "Laura",
            "Annegret",
            "Mareike",
            "Käthe",
            "Sünje",
            "Franziska",
        ],
        male: &[
            "Jürgen",
            "Jörg",
            "Lukas",
            "Felix",
            "Maximilian",
            "Jonas",
            "Leon",
            "Thomas",
            "Michael",
            "Stefan",
            "Andreas",
            "Markus",
            "Tobias",
            "Matthias",
            "Hans-Peter",
            "Karl-Heinz",
            "Björn",
            "Sören",
            "Günther",
            "Uwe",
        ],
        last: &[
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schulz",
            "Hoffmann",
            "Schäfer",
            "Koch",
            "Bauer",
            "Richter",
            "Klein",
            "Wolf",
            "Schröder",
            "Neumann",
            "Schwarz",
            "Zimmermann",
            "Braun",
            "Krüger",
            "Hartmann",
            "Lange",
            "Werner",
            "Krause",
            "Lehmann",
            "Köhler",
            "König",
            "Weiß",
            "Groß",
            "Strauß",
            "Voß",
            "Nußbaum",
            "Meißner",
            "Jäger",
            "Böhm",
            "Kühn",
            "Süß",
            "Bergmann",
        ],
    },
    NameGroup {
        nationality: "Austrian",
        weight: 6,
        female: &["Theresa", "Magdalena", "Valentina", "Elisabeth", "Jana"],
        male: &["Florian", "Dominik", "Christoph", "Johann", "Lorenz"],
        last: &[
            "Gruber",
            "Huber",
            "Pichler",
            "Moser",
            "Steiner",
            "Hofer",
            "Leitner",
            "Fröhlich",
        ],
    },
    NameGroup {
        nationality: "Spanish",
        weight: 8,
        female: &[
            "María José",
            "Lucía",
            "Sofía",
            "Inés",
            "Ana",
            "Carmen",
            "Begoña",
        ],
        male: &[
            "José",
            "Jesús",
            "Álvaro",
            "Raúl",
            "Iñigo",
            "José Luis",
            "Andrés",
        ],
        last: &[
            "García",
            "Núñez",
            "Fernández",
            "González",
            "Rodríguez",
            "López",
            "Martínez",
            "Muñoz",
            "Peña",
            "Ibáñez",
            "de la Fuente",
            "Sánchez",
        ],
    },
    NameGroup {
        nationality: "French",
        weight: 7,
        female: &[
            "Zoë",
            "Chloé",
            "Hélène",
            "Françoise",
            "Anaïs",
            "Léa",
            "Renée",
        ],
        male: &[
            "François",
            "Jérôme",
            "Loïc",
            "Benoît",
            "Gaël",
            "André",
            "Noël",
        ],
        last: &[
            "Dubois",
            "Lefèvre",
            "Moreau",
            "Laurent",
            "Girard",
            "Rousseau",
            "Lambert",
            "Chevalier",
            "Bélanger",
            "Gauthier",
        ],
    },
    NameGroup {
        nationality: "Italian",
        weight: 5,
        female: &["Giulia", "Chiara", "Francesca", "Martina", "Alessia"],
        male: &["Giuseppe", "Niccolò", "Matteo", "Luca", "Nicolò"],
        last: &[
            "Rossi", "Bianchi", "Romano", "Colombo", "Ricci", "De Luca", "Esposito", "Conti",
        ],
    },
    NameGroup {
        nationality: "Polish",
        weight: 6,
        female: &["Małgorzata", "Agnieszka", "Katarzyna", "Żaneta", "Zofia"],
        male: &["Łukasz", "Paweł", "Wojciech", "Michał", "Bartłomiej"],
        last: &[
            "Kowalski",
            "Wiśniewski",
            "Wójcik",
            "Kamiński",
            "Lewandowski",
            "Zieliński",
            "Woźniak",
            "Dąbrowski",
        ],
    },
    NameGroup {
        nationality: "Dutch",
        weight: 4,
        female: &["Saskia", "Jolien", "Femke", "Anouk"],
        male: &["Daan", "Sven", "Bram", "Joost"],
        last: &[
            "de Vries",
            "van den Berg",
            "van Dijk",
            "Bakker",
            "Jansen",
            "Visser",
            "Mulder",
        ],
    },
    NameGroup {
        nationality: "Danish",
        weight: 3,
        female: &["Åsa", "Ingrid", "Astrid", "Sigrún"],
        male: &["Søren", "Øyvind", "Mikkel", "Mats", "Nils"],
        last: &[
            "Ødegaard",
            "Søndergaard",
            "Ångström",
            "Sjöberg",
            "Lindqvist",
            "Bäckström",
            "Hansen",
        ],
    },
    NameGroup {
        nationality: "Czech",
        weight: 2,
        female: &["Jitka", "Tereza", "Kateřina"],
        male: &["Jiří", "Tomáš", "Ondřej"],
        last: &["Dvořák", "Novák", "Svoboda", "Černý", "Procházka", "Kučera"],
    },
    NameGroup {
        nationality: "Portuguese",
        weight: 2,
        female: &["Beatriz", "Conceição", "Inês"],
        male: &["João", "Gonçalo", "Luís"],
        last: &["Gonçalves", "Magalhães", "Araújo", "Simões"],
    },
    NameGroup {
        nationality: "Irish",
        weight: 2,
        female: &["Aoife", "Siobhán", "Niamh"],
        male: &["Seán", "Oisín", "Patrick"],
        last: &["O'Brien", "O'Sullivan", "Murphy", "Ní Bhriain"],
    },
];

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
    fn every_pool_name_folds_to_something() {
        for g in GROUPS {
            for n in g.female.iter().chain(g.male).chain(g.last) {
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
