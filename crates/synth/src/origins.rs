//! Where the children come from: nationality, script and naming custom, languages, the countries
//! that host them and the displacement statuses plausible there.

use crate::names::*;

/// How a family's names relate to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// Father and children share a family name. The mother keeps her own when `mother_keeps`.
    /// When `optional`, some families record none.
    Shared { mother_keeps: bool, optional: bool },
    /// The family name is the father's given name.
    Patronymic,
    /// Two family names: the father's first, then the mother's first.
    Spanish,
    /// Single names are common and family names are not shared.
    Loose,
}

pub(crate) struct Origin {
    /// ISO 3166-1 alpha-2.
    pub nationality: &'static str,
    pub latin_script: bool,
    pub male: &'static Pool,
    pub female: &'static Pool,
    /// Family names; for [`Scheme::Patronymic`], unused (the male given names serve).
    pub family: &'static Pool,
    pub scheme: Scheme,
    /// The child's first language (ISO 639), by weight.
    pub languages: &'static [(&'static str, u32)],
    /// Further languages, each with the chance the child speaks it.
    pub extra_languages: &'static [(&'static str, f64)],
    /// Host countries (ISO 3166-1 alpha-2), by weight.
    pub hosts: &'static [(&'static str, u32)],
    /// Displacement statuses, by weight.
    pub displacement: &'static [(&'static str, u32)],
    /// Whether kafala is a usual care arrangement.
    pub kafala: bool,
    /// Chance of a second given name (María José).
    pub compound_given: f64,
}

const ARABIC_DISPLACEMENT: &[(&str, u32)] =
    &[("refugee", 6), ("asylum_seeker", 3), ("stateless", 1)];

/// Every origin, with how often children from it appear.
pub(crate) const ORIGINS: &[(&Origin, u32)] = &[
    (&SYRIA, 15),
    (&IRAQ, 6),
    (&AFGHANISTAN, 14),
    (&ERITREA, 8),
    (&UKRAINE, 9),
    (&HONDURAS, 6),
    (&GUATEMALA, 5),
    (&EL_SALVADOR, 3),
    (&VENEZUELA, 10),
    (&GUINEA, 6),
    (&MALI, 4),
    (&SOUTH_SUDAN, 7),
    (&MYANMAR, 6),
];

pub(crate) const SYRIA: Origin = Origin {
    nationality: "SY",
    latin_script: false,
    male: &P_ARABIC_MALE,
    female: &P_ARABIC_FEMALE,
    family: &P_SYRIAN_FAMILY,
    scheme: Scheme::Shared {
        mother_keeps: true,
        optional: false,
    },
    languages: &[("ar", 9), ("ku", 1)],
    extra_languages: &[("ar", 0.1), ("tr", 0.1), ("en", 0.05)],
    hosts: &[("LB", 4), ("JO", 3), ("TR", 4)],
    displacement: ARABIC_DISPLACEMENT,
    kafala: true,
    compound_given: 0.0,
};

pub(crate) const IRAQ: Origin = Origin {
    nationality: "IQ",
    latin_script: false,
    male: &P_ARABIC_MALE,
    female: &P_ARABIC_FEMALE,
    family: &P_IRAQI_FAMILY,
    scheme: Scheme::Shared {
        mother_keeps: true,
        optional: false,
    },
    languages: &[("ar", 8), ("ckb", 2)],
    extra_languages: &[("ar", 0.15), ("en", 0.05)],
    hosts: &[("JO", 3), ("TR", 3), ("LB", 1)],
    displacement: ARABIC_DISPLACEMENT,
    kafala: true,
    compound_given: 0.0,
};

pub(crate) const AFGHANISTAN: Origin = Origin {
    nationality: "AF",
    latin_script: false,
    male: &P_AFGHAN_MALE,
    female: &P_AFGHAN_FEMALE,
    family: &P_AFGHAN_FAMILY,
    scheme: Scheme::Shared {
        mother_keeps: true,
        optional: true,
    },
    languages: &[("prs", 6), ("ps", 4)],
    extra_languages: &[("prs", 0.2), ("ps", 0.15), ("tr", 0.1), ("en", 0.05)],
    hosts: &[("TR", 5), ("IT", 2)],
    displacement: &[
        ("asylum_seeker", 5),
        ("refugee", 3),
        ("migrant_irregular", 3),
    ],
    kafala: false,
    compound_given: 0.0,
};

pub(crate) const ERITREA: Origin = Origin {
    nationality: "ER",
    latin_script: false,
    male: &P_TIGRINYA_MALE,
    female: &P_TIGRINYA_FEMALE,
    family: &P_TIGRINYA_MALE,
    scheme: Scheme::Patronymic,
    languages: &[("ti", 1)],
    extra_languages: &[("ar", 0.1), ("en", 0.15), ("it", 0.1)],
    hosts: &[("IT", 1)],
    displacement: &[
        ("asylum_seeker", 5),
        ("refugee", 4),
        ("migrant_irregular", 1),
    ],
    kafala: false,
    compound_given: 0.0,
};

pub(crate) const UKRAINE: Origin = Origin {
    nationality: "UA",
    latin_script: false,
    male: &P_UKRAINIAN_MALE,
    female: &P_UKRAINIAN_FEMALE,
    family: &P_UKRAINIAN_FAMILY,
    scheme: Scheme::Shared {
        mother_keeps: false,
        optional: false,
    },
    languages: &[("uk", 8), ("ru", 2)],
    extra_languages: &[("ru", 0.3), ("uk", 0.2), ("pl", 0.1), ("en", 0.1)],
    hosts: &[("PL", 3), ("IT", 2)],
    displacement: &[("refugee", 6), ("asylum_seeker", 1), ("migrant_regular", 2)],
    kafala: false,
    compound_given: 0.0,
};

const CENTRAL_AMERICAN_DISPLACEMENT: &[(&str, u32)] = &[
    ("asylum_seeker", 4),
    ("migrant_irregular", 4),
    ("refugee", 2),
    ("migrant_regular", 1),
];

pub(crate) const HONDURAS: Origin = Origin {
    nationality: "HN",
    latin_script: true,
    male: &P_CENTRAL_AMERICAN_MALE,
    female: &P_CENTRAL_AMERICAN_FEMALE,
    family: &P_CENTRAL_AMERICAN_FAMILY,
    scheme: Scheme::Spanish,
    languages: &[("es", 1)],
    extra_languages: &[("en", 0.05)],
    hosts: &[("MX", 1)],
    displacement: CENTRAL_AMERICAN_DISPLACEMENT,
    kafala: false,
    compound_given: 0.3,
};

pub(crate) const GUATEMALA: Origin = Origin {
    nationality: "GT",
    latin_script: true,
    male: &P_CENTRAL_AMERICAN_MALE,
    female: &P_CENTRAL_AMERICAN_FEMALE,
    family: &P_CENTRAL_AMERICAN_FAMILY,
    scheme: Scheme::Spanish,
    languages: &[("es", 7), ("quc", 2), ("mam", 1)],
    extra_languages: &[("es", 0.3)],
    hosts: &[("MX", 1)],
    displacement: CENTRAL_AMERICAN_DISPLACEMENT,
    kafala: false,
    compound_given: 0.3,
};

pub(crate) const EL_SALVADOR: Origin = Origin {
    nationality: "SV",
    latin_script: true,
    male: &P_CENTRAL_AMERICAN_MALE,
    female: &P_CENTRAL_AMERICAN_FEMALE,
    family: &P_CENTRAL_AMERICAN_FAMILY,
    scheme: Scheme::Spanish,
    languages: &[("es", 1)],
    extra_languages: &[("en", 0.05)],
    hosts: &[("MX", 1)],
    displacement: CENTRAL_AMERICAN_DISPLACEMENT,
    kafala: false,
    compound_given: 0.3,
};

pub(crate) const VENEZUELA: Origin = Origin {
    nationality: "VE",
    latin_script: true,
    male: &P_VENEZUELAN_MALE,
    female: &P_VENEZUELAN_FEMALE,
    family: &P_VENEZUELAN_FAMILY,
    scheme: Scheme::Spanish,
    languages: &[("es", 1)],
    extra_languages: &[("en", 0.03)],
    hosts: &[("CO", 5), ("MX", 1)],
    displacement: &[
        ("migrant_regular", 4),
        ("migrant_irregular", 4),
        ("asylum_seeker", 2),
        ("refugee", 1),
    ],
    kafala: false,
    compound_given: 0.25,
};

const WEST_AFRICAN_DISPLACEMENT: &[(&str, u32)] = &[
    ("asylum_seeker", 5),
    ("migrant_irregular", 4),
    ("refugee", 1),
];

pub(crate) const GUINEA: Origin = Origin {
    nationality: "GN",
    latin_script: true,
    male: &P_WEST_AFRICAN_MALE,
    female: &P_WEST_AFRICAN_FEMALE,
    family: &P_WEST_AFRICAN_FAMILY,
    scheme: Scheme::Shared {
        mother_keeps: true,
        optional: false,
    },
    languages: &[("fr", 3), ("ff", 4), ("sus", 2), ("man", 1)],
    extra_languages: &[("fr", 0.5), ("it", 0.15)],
    hosts: &[("IT", 1)],
    displacement: WEST_AFRICAN_DISPLACEMENT,
    kafala: false,
    compound_given: 0.0,
};

pub(crate) const MALI: Origin = Origin {
    nationality: "ML",
    latin_script: true,
    male: &P_WEST_AFRICAN_MALE,
    female: &P_WEST_AFRICAN_FEMALE,
    family: &P_WEST_AFRICAN_FAMILY,
    scheme: Scheme::Shared {
        mother_keeps: true,
        optional: false,
    },
    languages: &[("bm", 6), ("fr", 2), ("ff", 2)],
    extra_languages: &[("fr", 0.5), ("it", 0.15)],
    hosts: &[("IT", 1)],
    displacement: WEST_AFRICAN_DISPLACEMENT,
    kafala: false,
    compound_given: 0.0,
};

pub(crate) const SOUTH_SUDAN: Origin = Origin {
    nationality: "SS",
    latin_script: true,
    male: &P_SOUTH_SUDANESE_MALE,
    female: &P_SOUTH_SUDANESE_FEMALE,
    family: &P_SOUTH_SUDANESE_MALE,
    scheme: Scheme::Patronymic,
    languages: &[("din", 5), ("nus", 3), ("pga", 2)],
    extra_languages: &[("en", 0.4), ("pga", 0.2)],
    hosts: &[("UG", 1)],
    displacement: &[("refugee", 9), ("asylum_seeker", 1)],
    kafala: false,
    compound_given: 0.0,
};

pub(crate) const MYANMAR: Origin = Origin {
    nationality: "MM",
    latin_script: true,
    male: &P_ROHINGYA_MALE,
    female: &P_ROHINGYA_FEMALE,
    family: &P_ROHINGYA_FAMILY,
    scheme: Scheme::Loose,
    languages: &[("rhg", 1)],
    extra_languages: &[("my", 0.1), ("bn", 0.1)],
    hosts: &[("BD", 1)],
    displacement: &[("stateless", 6), ("refugee", 3), ("other_of_concern", 1)],
    kafala: false,
    compound_given: 0.0,
};
