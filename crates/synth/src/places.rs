//! Places in the host countries and the (invented) services there.
//!
//! The P-codes are well formed (ISO country, then levels) but fictional: the first level is in the
//! 90s, which no real gazetteer uses, so they never collide with a real COD-AB code.

/// Host country → places (P-code, name). Every host named in `origins` has an entry.
const PLACES: &[(&str, &[(&str, &str)])] = &[
    (
        "LB",
        &[
            ("LB9101", "Bekaa, Zahle"),
            ("LB9102", "Bekaa, Baalbek"),
            ("LB9201", "Akkar, Halba"),
            ("LB9301", "Beirut, Bourj Hammoud"),
            ("LB9401", "North, Tripoli"),
        ],
    ),
    (
        "JO",
        &[
            ("JO9101", "Mafraq, Mafraq city"),
            ("JO9201", "Amman, Marka"),
            ("JO9301", "Irbid, Ramtha"),
            ("JO9401", "Zarqa, Russeifa"),
        ],
    ),
    (
        "TR",
        &[
            ("TR9101", "Gaziantep, Şahinbey"),
            ("TR9201", "İstanbul, Esenyurt"),
            ("TR9301", "Hatay, Antakya"),
            ("TR9401", "Van, İpekyolu"),
            ("TR9501", "Şanlıurfa, Haliliye"),
        ],
    ),
    (
        "IT",
        &[
            ("IT9101", "Sicilia, Catania"),
            ("IT9102", "Sicilia, Lampedusa"),
            ("IT9201", "Lazio, Roma"),
            ("IT9301", "Lombardia, Milano"),
            ("IT9401", "Friuli-Venezia Giulia, Trieste"),
        ],
    ),
    (
        "MX",
        &[
            ("MX9101", "Chiapas, Tapachula"),
            ("MX9201", "Baja California, Tijuana"),
            ("MX9301", "Chihuahua, Ciudad Juárez"),
            ("MX9401", "Ciudad de México, Iztapalapa"),
            ("MX9501", "Tabasco, Tenosique"),
        ],
    ),
    (
        "CO",
        &[
            ("CO9101", "Norte de Santander, Cúcuta"),
            ("CO9201", "La Guajira, Maicao"),
            ("CO9301", "Bogotá D.C., Kennedy"),
            ("CO9401", "Nariño, Ipiales"),
        ],
    ),
    (
        "PL",
        &[
            ("PL9101", "Mazowieckie, Warszawa"),
            ("PL9201", "Lubelskie, Chełm"),
            ("PL9301", "Podkarpackie, Przemyśl"),
        ],
    ),
    (
        "UG",
        &[
            ("UG9101", "Adjumani, Nyumanzi"),
            ("UG9201", "Yumbe, Bidibidi"),
            ("UG9301", "Kampala, Kisenyi"),
        ],
    ),
    (
        "BD",
        &[
            ("BD9101", "Cox's Bazar, Ukhiya"),
            ("BD9102", "Cox's Bazar, Teknaf"),
        ],
    ),
];

/// The places of a host country; an unknown host gets a single generic place in it.
pub(crate) fn places(host: &str) -> &'static [(&'static str, &'static str)] {
    PLACES
        .iter()
        .find(|(h, _)| *h == host)
        .map_or(&[("HV9901", "Unknown place")], |(_, p)| p)
}

/// Invented providers for each care arrangement (`""`: recorded without a provider).
pub(crate) fn placement_providers(kind: &str) -> &'static [&'static str] {
    match kind {
        "immigration_detention" => &[
            "National migration authority, holding centre",
            "Border reception and identification centre",
            "Immigration removal centre",
        ],
        "police_custody" => &["District police station", "Border police post"],
        "foster" => &[
            "Fostering Futures Network",
            "Haven Child Protection foster roster",
            "Municipal foster care programme",
        ],
        "residential" => &[
            "Olive Grove Children's Home",
            "Little Harbour Reception Centre",
            "Saint Brigid House for minors",
        ],
        "supported_independent_living" => &[
            "Hope Street Supported Living",
            "Stepping Stones semi-independent flats",
        ],
        "kafala" => &["Kafala arranged by the local religious court"],
        "unrelated_adult" => &["", "Community volunteer family"],
        _ => &[""],
    }
}

/// Invented providers for each service type.
pub(crate) fn service_providers(kind: &str) -> &'static [&'static str] {
    match kind {
        "education" => &[
            "Public school, local",
            "Bridgeway accelerated learning centre",
        ],
        "health" => &[
            "Municipal health centre",
            "Mobile clinic, Open Hands Medical",
        ],
        "mental_health_psychosocial" => &[
            "Haven Child Protection PSS team",
            "Riverstone Children's Aid counselling",
        ],
        "legal_aid" => &["Riverstone legal clinic", "Bar association pro bono desk"],
        "documentation" => &["Civil registry office", "Consular outreach day"],
        "family_tracing" => &["Haven tracing unit", "National tracing service"],
        "shelter" => &["Little Harbour Reception Centre"],
        "cash" => &["Multi-purpose cash programme"],
        "food" => &["Community kitchen"],
        _ => &["Riverstone Children's Aid"],
    }
}
