//! A whole synthetic caseload: agencies and the cases they hold.

use haven_domain::case::{CaseDoc, EstimatedAge, Location, Placement, Service};
use haven_domain::dates::{PartialDate, age_on, format_date};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::Date;

use crate::family::{Lineage, Parts, Separation, Sex, given_name};
use crate::origins::{ORIGINS, Origin};
use crate::places::{placement_providers, places, service_providers};
use crate::requests::{self, TracingRequestSeed};
use crate::util::{days_after, days_before, days_between, pick, weighted};

/// An agency to create before loading its cases. All three are invented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgencySeed {
    pub code: &'static str,
    pub name: &'static str,
}

/// One case and the agency (an index into [`Caseload::agencies`]) that holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseSeed {
    pub agency: usize,
    pub doc: CaseDoc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Caseload {
    pub agencies: Vec<AgencySeed>,
    pub cases: Vec<CaseSeed>,
    /// About one per three children; load them after the cases.
    pub tracing_requests: Vec<TracingRequestSeed>,
}

const AGENCIES: [AgencySeed; 3] = [
    AgencySeed {
        code: "HVN-CP",
        name: "Haven Child Protection",
    },
    AgencySeed {
        code: "RCA",
        name: "Riverstone Children's Aid",
    },
    AgencySeed {
        code: "PEM-SS",
        name: "Port Elmira Municipal Social Services",
    },
];

/// `cases` synthetic cases registered in the two years before `today`, and about a third as many
/// tracing requests, each valid under [`haven_domain::case::validate`] or
/// [`haven_domain::tracing_request::validate`] on `today`. The same seed and arguments always
/// give the same caseload; the requests come from a stream of their own, so the cases are the same
/// whether or not requests follow.
pub fn caseload(seed: u64, cases: usize, today: Date) -> Caseload {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (cases, facts): (Vec<CaseSeed>, Vec<Facts>) = (0..cases)
        .map(|_| {
            let agency = weighted(&mut rng, &[(0, 5), (1, 3), (2, 2)]);
            let (doc, facts) = case(&mut rng, today);
            (CaseSeed { agency, doc }, facts)
        })
        .unzip();
    let tracing_requests = requests::generate(seed, &cases, &facts, today);
    Caseload {
        agencies: AGENCIES.to_vec(),
        cases,
        tracing_requests,
    }
}

/// What a tracing request about a generated child needs beyond the case document: the names as
/// parts (for transliterations and nicknames), the true date of birth, where the child is from.
pub(crate) struct Facts {
    pub origin: &'static Origin,
    pub host: &'static str,
    pub given: Parts,
    pub family: Parts,
    pub born: Date,
    pub registered: Date,
}

/// What the later steps of generating a case need to know about the child.
struct Child<'a> {
    origin: &'a Origin,
    separation: Separation,
    /// Age in whole years at registration.
    age: i64,
    born: Date,
    registered: Date,
    /// The name of the place where the child is.
    place: &'a str,
}

const CONFINING: [&str; 2] = ["immigration_detention", "police_custody"];

fn case(rng: &mut impl Rng, today: Date) -> (CaseDoc, Facts) {
    let origin: &'static Origin = weighted(rng, ORIGINS);
    let host = weighted(rng, origin.hosts);

    let separation = weighted(
        rng,
        &[
            (Separation::Unaccompanied, 40),
            (Separation::Separated, 28),
            (Separation::Accompanied, 27),
            (Separation::Unknown, 5),
        ],
    );
    let age: i64 = match separation {
        Separation::Unaccompanied if rng.random_bool(0.9) => rng.random_range(12..=17),
        Separation::Unaccompanied => rng.random_range(6..=11),
        Separation::Separated => rng.random_range(2..=17),
        _ => rng.random_range(0..=17),
    };
    let male_share = if separation == Separation::Unaccompanied {
        0.72
    } else {
        0.5
    };
    let sex = if rng.random_bool(male_share) {
        Sex::Male
    } else {
        Sex::Female
    };
    let recorded_sex = if rng.random_bool(0.01) {
        "unknown"
    } else if sex == Sex::Male {
        "male"
    } else {
        "female"
    };

    let registered = days_before(today, rng.random_range(0..=730));
    let born = days_before(registered, age * 365 + age / 4 + rng.random_range(0..365));

    // The child's names.
    let lineage = Lineage::new(rng, origin);
    let given = given_name(rng, origin, sex);
    let mut other_names = Vec::new();
    if !origin.latin_script && rng.random_bool(0.4) {
        let whole = crate::family::Person {
            given: given.clone(),
            family: lineage.child.clone(),
        };
        other_names.push(whole.transliteration());
    }
    if let Some(nick) = given.nickname().filter(|_| rng.random_bool(0.4)) {
        other_names.push(nick.to_string());
    }

    // Date of birth: full, partial, or an age estimated at registration.
    let (date_of_birth, estimated_age) = match rng.random_range(0..100) {
        0..60 => (Some(format_date(born)), None),
        60..75 => {
            let partial = if rng.random_bool(0.5) {
                PartialDate::Year(born.year())
            } else {
                PartialDate::Month(born.year(), born.month())
            };
            (Some(partial.to_string()), None)
        }
        _ => {
            let actual = age_on(born, registered);
            let guess = (actual + rng.random_range(-1..=1)).max(0);
            let estimate = EstimatedAge {
                years: u32::try_from(guess).unwrap_or(0),
                estimated_on: rng.random_bool(0.85).then(|| format_date(registered)),
            };
            (None, Some(estimate))
        }
    };

    let mut languages = vec![weighted(rng, origin.languages).to_string()];
    for &(lang, p) in origin.extra_languages {
        if !languages.iter().any(|l| l == lang) && rng.random_bool(p) {
            languages.push(lang.to_string());
        }
    }

    let (pcode, place) = pick(rng, places(host));
    let location = rng.random_bool(0.95).then(|| Location {
        pcode: Some(pcode.to_string()),
        name: Some(place.to_string()),
    });

    let child = Child {
        origin,
        separation,
        age,
        born,
        registered,
        place,
    };
    let placements = placements(rng, &child, today);
    let confined_now = placements
        .iter()
        .any(|p| p.end_date.is_none() && CONFINING.contains(&p.kind.as_str()));
    let ever_detained = placements.iter().any(|p| p.kind == CONFINING[0]);

    let risk = if separation == Separation::Unaccompanied || confined_now {
        weighted(rng, &[("high", 5), ("medium", 4), ("low", 1)])
    } else {
        weighted(rng, &[("high", 2), ("medium", 5), ("low", 3)])
    };

    let doc = CaseDoc {
        given_name: given.native(),
        family_name: lineage.child.native(),
        other_names,
        sex: Some(recorded_sex.to_string()),
        date_of_birth,
        estimated_age,
        nationality: Some(origin.nationality.to_string()),
        languages,
        separation_status: Some(separation_code(separation).to_string()),
        displacement_status: Some(weighted(rng, origin.displacement).to_string()),
        risk_level: Some(risk.to_string()),
        specific_needs: specific_needs(rng, origin, separation, age, ever_detained),
        family: crate::family::family(rng, origin, &lineage, separation, born.year(), today.year()),
        location,
        registration_date: Some(format_date(registered)),
        caseworker_id: None,
        placements,
        services: services(rng, separation, registered, today),
        legal_identity: None,
        route: None,
    };
    let facts = Facts {
        origin,
        host,
        given,
        family: lineage.child,
        born,
        registered,
    };
    (doc, facts)
}

fn separation_code(s: Separation) -> &'static str {
    match s {
        Separation::Unaccompanied => "unaccompanied",
        Separation::Separated => "separated",
        Separation::Accompanied => "accompanied",
        Separation::Unknown => "unknown",
    }
}

/// Up to three codes, led by the separation code and the family-tracing ones where they apply.
fn specific_needs(
    rng: &mut impl Rng,
    origin: &Origin,
    separation: Separation,
    age: i64,
    detained: bool,
) -> Vec<String> {
    let mut codes: Vec<&str> = Vec::new();
    let apart = matches!(
        separation,
        Separation::Unaccompanied | Separation::Separated
    );
    match separation {
        Separation::Unaccompanied if rng.random_bool(0.9) => codes.push("SC-UC"),
        Separation::Separated if rng.random_bool(0.9) => codes.push("SC-SC"),
        _ => {}
    }
    if apart && rng.random_bool(0.6) {
        codes.push("FU-TR");
    }
    if apart && rng.random_bool(0.3) {
        codes.push("FU-FR");
    }
    let mut extras: Vec<(&str, u32)> = vec![
        ("LP-ND", 4),
        ("LP-BN", 2),
        ("CR-NE", 4),
        ("SV-VA", 3),
        ("TR-WV", 2),
        ("SM-CI", 1),
        ("DS-PM", 1),
    ];
    if age >= 12 {
        extras.extend([("CR-LW", 3), ("CR-LO", 2), ("CR-CL", 1)]);
    }
    if age >= 14 {
        extras.push(("CR-AF", 1));
    }
    if detained {
        extras.push(("LP-DA", 12));
    }
    if origin.nationality == "MM" {
        extras.push(("LP-ST", 10));
    }
    while codes.len() < 3 && rng.random_bool(0.35) {
        let code = weighted(rng, &extras);
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes.truncate(3);
    codes.into_iter().map(str::to_string).collect()
}

/// Zero to three care arrangements in date order, at most one current. A detention or custody
/// comes first when there is one; most have ended and been followed by an alternative.
fn placements(rng: &mut impl Rng, child: &Child<'_>, today: Date) -> Vec<Placement> {
    let Child {
        origin,
        separation,
        age,
        born,
        registered,
        place,
    } = *child;
    let n = weighted(rng, &[(0usize, 15), (1, 45), (2, 28), (3, 12)]);
    let kafala = u32::from(origin.kafala);
    let care: Vec<(&str, u32)> = match separation {
        Separation::Unaccompanied => vec![
            ("foster", 3),
            ("residential", 4),
            (
                "supported_independent_living",
                if age >= 15 { 3 } else { 0 },
            ),
            ("unrelated_adult", 1),
            ("street", 1),
            ("kafala", kafala),
        ],
        Separation::Separated => vec![
            ("kinship", 6),
            ("foster", 1),
            ("residential", 1),
            ("kafala", kafala),
        ],
        Separation::Accompanied => vec![("parents", 6), ("kinship", 2)],
        Separation::Unknown => vec![
            ("residential", 2),
            ("foster", 1),
            ("kinship", 1),
            ("other", 1),
        ],
    };
    let detention_chance = if separation == Separation::Unaccompanied {
        0.18
    } else {
        0.06
    };
    let last_is_current = rng.random_bool(0.8);

    let mut out = Vec::with_capacity(n);
    // The first arrangement may predate registration a little, never birth.
    let mut cursor = born.max(days_before(registered, 45));
    for i in 0..n {
        let kind = if i == 0 && rng.random_bool(detention_chance) {
            CONFINING[0]
        } else if i == 0 && rng.random_bool(0.04) {
            CONFINING[1]
        } else {
            weighted(rng, &care)
        };
        let confining = CONFINING.contains(&kind);
        let current = i + 1 == n
            && if confining {
                rng.random_bool(0.5)
            } else {
                last_is_current
            };
        let start = if current && confining {
            // Still held today: recently, not for the whole time since registration.
            cursor
                .max(days_before(today, rng.random_range(1..=60)))
                .max(registered.min(today))
        } else {
            cursor
        };
        let days = match kind {
            "immigration_detention" => rng.random_range(1..=75),
            "police_custody" => rng.random_range(0..=4),
            _ => rng.random_range(20..=400),
        };
        let end = (!current).then(|| days_after(start, days, today));
        let provider = pick(rng, placement_providers(kind));
        out.push(Placement {
            kind: kind.to_string(),
            place: (kind != "parents").then(|| place.to_string()),
            pcode: None,
            provider: (!provider.is_empty()).then(|| provider.to_string()),
            start_date: format_date(start),
            end_date: end.map(format_date),
        });
        if let Some(end) = end {
            cursor = days_after(end, rng.random_range(0..=3), today);
        }
    }
    out
}

/// Zero to four different services, each with a status; referred ones have a date.
fn services(
    rng: &mut impl Rng,
    separation: Separation,
    registered: Date,
    today: Date,
) -> Vec<Service> {
    let n = weighted(rng, &[(0usize, 15), (1, 30), (2, 25), (3, 18), (4, 12)]);
    let tracing = match separation {
        Separation::Unaccompanied | Separation::Separated => 8,
        Separation::Unknown => 4,
        Separation::Accompanied => 1,
    };
    let kinds: [(&str, u32); 9] = [
        ("education", 6),
        ("health", 5),
        ("mental_health_psychosocial", 5),
        ("legal_aid", 4),
        ("documentation", 4),
        ("family_tracing", tracing),
        ("shelter", 2),
        ("cash", 2),
        ("food", 1),
    ];
    let mut chosen: Vec<&str> = Vec::new();
    for _ in 0..n * 4 {
        if chosen.len() == n {
            break;
        }
        let kind = weighted(rng, &kinds);
        if !chosen.contains(&kind) {
            chosen.push(kind);
        }
    }
    let span = days_between(registered, today);
    chosen
        .into_iter()
        .map(|kind| {
            let status = weighted(
                rng,
                &[
                    ("needed", 15),
                    ("referred", 25),
                    ("in_progress", 35),
                    ("completed", 20),
                    ("declined", 5),
                ],
            );
            let referred = status != "needed";
            let referred_on =
                referred.then(|| days_after(registered, rng.random_range(0..=span), today));
            Service {
                kind: kind.to_string(),
                status: status.to_string(),
                provider: referred.then(|| pick(rng, service_providers(kind)).to_string()),
                referred_on: referred_on.map(format_date),
            }
        })
        .collect()
}
