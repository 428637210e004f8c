//! The simulated company's organisation: departments (with teams and positions), offices (with
//! holiday calendars and subcompanies), subcompanies and cost centers — static tables that every seed
//! shares, so tests can name them — and the e-mail domain.
//!
//! Kept apart from `data.rs` (the employees and the company index) because it is reference data:
//! nothing in it changes while a sandbox runs.

/// A department with its teams and the positions its members hold.
pub struct Department {
    pub id: u64,
    pub name: &'static str,
    /// Relative share of the workforce.
    pub weight: u32,
    pub head_title: &'static str,
    pub lead_title: &'static str,
    pub positions: &'static [&'static str],
    pub teams: &'static [Team],
    pub cost_center_id: u64,
}

pub struct Team {
    pub id: u64,
    pub name: &'static str,
}

/// An office; it decides the holiday calendar (informational only, holidays are ignored) and the
/// subcompany.
pub struct Office {
    pub id: u64,
    pub name: &'static str,
    pub weight: u32,
    pub calendar_id: u64,
    pub calendar_name: &'static str,
    pub country: &'static str,
    pub state: Option<&'static str>,
    pub subcompany_id: Option<u64>,
    pub postcode: &'static str,
    pub city: &'static str,
}

pub struct Subcompany {
    pub id: u64,
    pub name: &'static str,
}

pub struct CostCenter {
    pub id: u64,
    pub name: &'static str,
}

/// Index of the management department in [`DEPARTMENTS`]; only the CEO and the department heads'
/// direct reports start there.
pub const MANAGEMENT: usize = 0;

pub static DEPARTMENTS: &[Department] = &[
    Department {
        id: 281501,
        name: "Management",
        weight: 0,
        head_title: "Chief Executive Officer",
        lead_title: "Chief of Staff",
        positions: &["Executive Assistant"],
        teams: &[],
        cost_center_id: 82900,
    },
    Department {
        id: 281502,
        name: "Engineering",
        weight: 30,
        head_title: "VP Engineering",
        lead_title: "Engineering Manager",
        positions: &[
            "Software Engineer",
            "Senior Software Engineer",
            "Staff Engineer",
            "QA Engineer",
            "DevOps Engineer",
            "Working Student Engineering",
        ],
        teams: &[
            Team {
                id: 59021,
                name: "Platform",
            },
            Team {
                id: 59022,
                name: "Payments",
            },
            Team {
                id: 59023,
                name: "Mobile",
            },
            Team {
                id: 59024,
                name: "Data & Analytics",
            },
        ],
        cost_center_id: 82901,
    },
    Department {
        id: 281503,
        name: "Product",
        weight: 8,
        head_title: "Head of Product",
        lead_title: "Group Product Manager",
        positions: &["Product Manager", "Product Designer", "UX Researcher"],
        teams: &[
            Team {
                id: 59031,
                name: "Discovery",
            },
            Team {
                id: 59032,
                name: "Design",
            },
        ],
        cost_center_id: 82902,
    },
    Department {
        id: 281504,
        name: "Sales",
        weight: 15,
        head_title: "Head of Sales",
        lead_title: "Sales Team Lead",
        positions: &[
            "Account Executive",
            "Sales Development Representative",
            "Solutions Consultant",
        ],
        teams: &[
            Team {
                id: 59041,
                name: "DACH Sales",
            },
            Team {
                id: 59042,
                name: "International Sales",
            },
            Team {
                id: 59043,
                name: "Sales Development",
            },
        ],
        cost_center_id: 82903,
    },
    Department {
        id: 281505,
        name: "Marketing",
        weight: 8,
        head_title: "Head of Marketing",
        lead_title: "Marketing Team Lead",
        positions: &[
            "Content Marketing Manager",
            "Performance Marketing Manager",
            "Brand Designer",
        ],
        teams: &[
            Team {
                id: 59051,
                name: "Brand",
            },
            Team {
                id: 59052,
                name: "Growth",
            },
        ],
        cost_center_id: 82904,
    },
    Department {
        id: 281521,
        name: "Customer Support",
        weight: 14,
        head_title: "Head of Customer Support",
        lead_title: "Support Team Lead",
        positions: &[
            "Customer Support Agent",
            "Customer Success Manager",
            "Onboarding Specialist",
        ],
        teams: &[
            Team {
                id: 59061,
                name: "1st Level Support",
            },
            Team {
                id: 59062,
                name: "Onboarding",
            },
        ],
        cost_center_id: 82905,
    },
    Department {
        id: 281507,
        name: "Finance",
        weight: 5,
        head_title: "Chief Financial Officer",
        lead_title: "Head of Accounting",
        positions: &["Accountant", "Financial Controller", "Payroll Specialist"],
        teams: &[
            Team {
                id: 59071,
                name: "Accounting",
            },
            Team {
                id: 59072,
                name: "Controlling",
            },
        ],
        cost_center_id: 82906,
    },
    Department {
        id: 281508,
        name: "People & Culture",
        weight: 5,
        head_title: "Head of People & Culture",
        lead_title: "Talent Acquisition Lead",
        positions: &[
            "HR Business Partner",
            "Recruiter",
            "People Operations Specialist",
        ],
        teams: &[
            Team {
                id: 59081,
                name: "Recruiting",
            },
            Team {
                id: 59082,
                name: "People Operations",
            },
        ],
        cost_center_id: 82907,
    },
    Department {
        id: 281509,
        name: "Operations",
        weight: 6,
        head_title: "Head of Operations",
        lead_title: "Office Manager",
        positions: &[
            "Office Coordinator", "Procurement Specialist", "Facility Manager",
        ],
        teams: &[Team {
            id: 59091,
            name: "Workplace",
        }],
        cost_center_id: 82908,
    },
    Department {
        id: 281510,
        name: "Legal",
        weight: 2,
        head_title: "General Counsel",
        lead_title: "Senior Legal Counsel",
        positions: &["Legal Counsel", "Data Protection Officer"],
        teams: &[],
        cost_center_id: 82909,
    },
];

pub static OFFICES: &[Office] = &[
    Office {
        id: 131014,
        name: "Berlin",
        weight: 45,
        calendar_id: 3,
        calendar_name: "Deutschland (Berlin) Feiertage",
        country: "DE",
        state: Some("Berlin"),
        subcompany_id: None,
        postcode: "10115",
        city: "Berlin",
    },
    Office {
        id: 131015,
        name: "München",
        weight: 20,
        calendar_id: 2,
        calendar_name: "Deutschland (Bayern) Feiertage",
        country: "DE",
        state: Some("Bayern"),
        subcompany_id: None,
        postcode: "80331",
        city: "München",
    },
    Office {
        id: 131016,
        name: "Hamburg",
        weight: 10,
        calendar_id: 6,
        calendar_name: "Deutschland (Hamburg) Feiertage",
        country: "DE",
        state: Some("Hamburg"),
        subcompany_id: None,
        postcode: "20095",
        city: "Hamburg",
    },
    Office {
        id: 131017,
        name: "Wien",
        weight: 8,
        calendar_id: 40,
        calendar_name: "Österreich Feiertage",
        country: "AT",
        state: None,
        subcompany_id: Some(7034),
        postcode: "1010",
        city: "Wien",
    },
    Office {
        id: 131018,
        name: "Zürich",
        weight: 5,
        calendar_id: 51,
        calendar_name: "Schweiz (Zürich) Feiertage",
        country: "CH",
        state: Some("Zürich"),
        subcompany_id: Some(7035),
        postcode: "8001",
        city: "Zürich",
    },
    Office {
        id: 131019,
        name: "Barcelona",
        weight: 5,
        calendar_id: 71,
        calendar_name: "España (Cataluña) Festivos",
        country: "ES",
        state: Some("Cataluña"),
        subcompany_id: Some(7036),
        postcode: "08002",
        city: "Barcelona",
    },
    Office {
        id: 201439,
        name: "Remote",
        weight: 7,
        calendar_id: 1,
        calendar_name: "Deutschland Feiertage",
        country: "DE",
        state: None,
        subcompany_id: None,
        postcode: "50667",
        city: "Köln",
    },
];

pub static SUBCOMPANIES: &[Subcompany] = &[
    Subcompany {
        id: 7034,
        name: "Nordlicht Austria GmbH",
    },
    Subcompany {
        id: 7035,
        name: "Nordlicht Schweiz AG",
    },
    Subcompany {
        id: 7036,
        name: "Nordlicht Iberia S.L.",
    },
];

pub static COST_CENTERS: &[CostCenter] = &[
    CostCenter {
        id: 82900,
        name: "CC-1000 Management",
    },
    CostCenter {
        id: 82901,
        name: "CC-4100 Engineering",
    },
    CostCenter {
        id: 82902,
        name: "CC-4200 Product",
    },
    CostCenter {
        id: 82903,
        name: "CC-5100 Sales",
    },
    CostCenter {
        id: 82904,
        name: "CC-5200 Marketing",
    },
    CostCenter {
        id: 82905,
        name: "CC-5300 Customer Support",
    },
    CostCenter {
        id: 82906,
        name: "CC-2100 Finance",
    },
    CostCenter {
        id: 82907,
        name: "CC-2200 People & Culture",
    },
    CostCenter {
        id: 82908,
        name: "CC-2300 Operations",
    },
    CostCenter {
        id: 82909,
        name: "CC-2400 Legal",
    },
    CostCenter {
        id: 82957,
        name: "CC-9000 Innovation Lab",
    },
];

/// The e-mail domain of the simulated company (`.example` is reserved, so nothing leaks anywhere).
pub const EMAIL_DOMAIN: &str = "nordlicht.example";

pub fn department(id: u64) -> Option<&'static Department> {
    DEPARTMENTS.iter().find(|d| d.id == id)
}

pub fn team(id: u64) -> Option<(&'static Department, &'static Team)> {
    DEPARTMENTS
        .iter()
        .find_map(|d| d.teams.iter().find(|t| t.id == id).map(|t| (d, t)))
}

pub fn office(id: u64) -> Option<&'static Office> {
    OFFICES.iter().find(|o| o.id == id)
}

pub fn subcompany(id: u64) -> Option<&'static Subcompany> {
    SUBCOMPANIES.iter().find(|s| s.id == id)
}

pub fn cost_center(id: u64) -> Option<&'static CostCenter> {
    COST_CENTERS.iter().find(|c| c.id == id)
}
