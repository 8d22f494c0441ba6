//! Tracing requests: relatives looking for a child. About two thirds are about a child in the
//! caseload, filed by a living member of that child's family and describing the child the way a
//! relative would (a Latin transliteration instead of the original script, a dropped family name,
//! a nickname, an age instead of the date of birth, only the year); the rest seek children the
//! caseload does not hold. Any agency may receive a request about any child.

use haven_domain::case::{EstimatedAge, FamilyMember, Location};
use haven_domain::dates::{PartialDate, age_on, format_date};
use haven_domain::tracing_request::{Inquirer, SeparationEvent, SoughtChild, TracingRequestDoc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::Date;

use crate::caseload::{CaseSeed, Facts};
use crate::family::{Lineage, Parts, Sex, fake_phone, given_name};
use crate::origins::{ORIGINS, Origin};
use crate::places::places;
use crate::util::{days_after, days_before, pick, weighted};

/// One tracing request, the agency (an index into the caseload's agencies) it is filed with, and
/// the child it is about when that child is in the caseload.
#[derive(Debug, Clone, PartialEq)]
pub struct TracingRequestSeed {
    pub agency: usize,
    pub doc: TracingRequestDoc,
    /// An index into [`Caseload::cases`](crate::Caseload::cases) when the request is about a
    /// generated child; the matcher should find that case.
    pub sought_case: Option<usize>,
}

/// Keeps the requests' random stream apart from the cases' one.
const STREAM: u64 = 0x7472_6163_696e_6721;

pub(crate) fn generate(
    seed: u64,
    cases: &[CaseSeed],
    facts: &[Facts],
    today: Date,
) -> Vec<TracingRequestSeed> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ STREAM);
    let mut out = Vec::with_capacity(cases.len() / 3);
    for _ in 0..cases.len() / 3 {
        let agency = weighted(&mut rng, &[(0, 5), (1, 3), (2, 2)]);
        let mut about = None;
        if !cases.is_empty() && rng.random_bool(0.7) {
            // A child whose family has someone alive to ask; a few tries, then someone else's.
            for _ in 0..8 {
                let i = rng.random_range(0..cases.len());
                if let (Some(case), Some(f)) = (cases.get(i), facts.get(i))
                    && let Some(doc) = about_case(&mut rng, case, f, today)
                {
                    about = Some((i, doc));
                    break;
                }
            }
        }
        let (sought_case, doc) = match about {
            Some((i, doc)) => (Some(i), doc),
            None => (None, unknown_child(&mut rng, today)),
        };
        out.push(TracingRequestSeed {
            agency,
            doc,
            sought_case,
        });
    }
    out
}

/// The child as the relatives know them.
struct Child<'a> {
    origin: &'static Origin,
    host: &'static str,
    sex: Option<String>,
    given: &'a Parts,
    family: &'a Parts,
    born: Date,
    /// The child was apart from the family by then (registered, or found).
    apart_by: Date,
    nationality: Option<String>,
    language: Option<String>,
}

fn about_case(
    rng: &mut impl Rng,
    case: &CaseSeed,
    f: &Facts,
    today: Date,
) -> Option<TracingRequestDoc> {
    let living: Vec<&FamilyMember> = case
        .doc
        .family
        .iter()
        .filter(|m| m.is_alive == Some(true))
        .collect();
    if living.is_empty() {
        return None;
    }
    let member = living[rng.random_range(0..living.len())];
    let inquiry = days_after(
        days_before(f.registered, 180).max(f.born),
        rng.random_range(0..=900),
        today,
    );
    let inquirer = Inquirer {
        given_name: member.given_name.clone(),
        family_name: member.family_name.clone(),
        other_names: member.other_names.clone(),
        // What the member is to the child is what the inquirer is to the child.
        relation: member.relation.clone(),
        contact: member
            .contact
            .clone()
            .or_else(|| rng.random_bool(0.7).then(|| fake_phone(rng))),
        location: inquirer_location(rng, f.origin, f.host),
    };
    // An inquirer with no name on record gives one.
    let inquirer = if inquirer.given_name.is_none()
        && inquirer.family_name.is_none()
        && inquirer.other_names.is_empty()
    {
        Inquirer {
            given_name: given_name(rng, f.origin, Sex::Female).native(),
            ..inquirer
        }
    } else {
        inquirer
    };
    let child = Child {
        origin: f.origin,
        host: f.host,
        sex: case.doc.sex.clone(),
        given: &f.given,
        family: &f.family,
        born: f.born,
        apart_by: f.registered.min(inquiry),
        nationality: case.doc.nationality.clone(),
        language: case.doc.languages.first().cloned(),
    };
    Some(describe(rng, inquirer, &child, inquiry))
}

fn unknown_child(rng: &mut impl Rng, today: Date) -> TracingRequestDoc {
    let origin: &'static Origin = weighted(rng, ORIGINS);
    let host = weighted(rng, origin.hosts);
    let sex = if rng.random_bool(0.6) {
        Sex::Male
    } else {
        Sex::Female
    };
    let lineage = Lineage::new(rng, origin);
    let given = given_name(rng, origin, sex);
    let age: i64 = rng.random_range(0..=17);
    let born = days_before(today, age * 365 + age / 4 + rng.random_range(0..365));
    let inquiry = days_before(today, rng.random_range(0..=730)).max(born);
    let relation = weighted(
        rng,
        &[
            ("mother", 6),
            ("father", 4),
            ("sibling", 2),
            ("aunt_uncle", 2),
            ("grandparent", 1),
        ],
    );
    let inquirer_sex = match relation {
        "mother" => Sex::Female,
        "father" => Sex::Male,
        _ if rng.random_bool(0.5) => Sex::Female,
        _ => Sex::Male,
    };
    let person = lineage.person(rng, origin, relation, inquirer_sex);
    let inquirer = Inquirer {
        given_name: person.given.native(),
        family_name: person.family.native(),
        other_names: Vec::new(),
        relation: relation.to_string(),
        contact: rng.random_bool(0.8).then(|| fake_phone(rng)),
        location: inquirer_location(rng, origin, host),
    };
    let child = Child {
        origin,
        host,
        sex: Some(if sex == Sex::Male { "male" } else { "female" }.to_string()),
        given: &given,
        family: &lineage.child,
        born,
        apart_by: inquiry,
        nationality: Some(origin.nationality.to_string()),
        language: Some(weighted(rng, origin.languages).to_string()),
    };
    describe(rng, inquirer, &child, inquiry)
}

/// Home (the country only), a place in a host country, or not said.
fn inquirer_location(
    rng: &mut impl Rng,
    origin: &'static Origin,
    host: &'static str,
) -> Option<Location> {
    match rng.random_range(0..10) {
        0..4 => Some(Location {
            pcode: Some(origin.nationality.to_string()),
            name: None,
        }),
        4..8 => {
            let (pcode, name) = pick(rng, places(host));
            Some(Location {
                pcode: Some(pcode.to_string()),
                name: Some(name.to_string()),
            })
        }
        _ => None,
    }
}

/// The request as the inquirer tells it: names as the family says or spells them, a birth date
/// remembered whole, by the year, or as an age, and when, where and how they were separated.
fn describe(
    rng: &mut impl Rng,
    inquirer: Inquirer,
    child: &Child<'_>,
    inquiry: Date,
) -> TracingRequestDoc {
    let latin = !child.origin.latin_script && rng.random_bool(0.4);
    let nickname = child.given.nickname().filter(|_| rng.random_bool(0.2));
    let given_name = match nickname {
        Some(nick) => Some(nick.to_string()),
        None if latin => child.given.latin(),
        None => child.given.native(),
    };
    let family_name = if rng.random_bool(0.25) {
        None
    } else if latin {
        child.family.latin()
    } else {
        child.family.native()
    };
    let mut other_names = Vec::new();
    if nickname.is_none()
        && let Some(nick) = child.given.nickname().filter(|_| rng.random_bool(0.15))
    {
        other_names.push(nick.to_string());
    }

    let (date_of_birth, estimated_age) = match rng.random_range(0..100) {
        0..40 => (Some(format_date(child.born)), None),
        40..65 => (Some(PartialDate::Year(child.born.year()).to_string()), None),
        _ => {
            let actual = age_on(child.born, inquiry);
            let guess = (actual + rng.random_range(-1..=1)).max(0);
            let estimate = EstimatedAge {
                years: u32::try_from(guess).unwrap_or(0),
                estimated_on: rng.random_bool(0.5).then(|| format_date(inquiry)),
            };
            (None, Some(estimate))
        }
    };

    let separated = days_before(child.apart_by, rng.random_range(0..=365)).max(child.born);
    let date = match rng.random_range(0..10) {
        0..3 => Some(format_date(separated)),
        3..7 => Some(PartialDate::Month(separated.year(), separated.month()).to_string()),
        7..9 => Some(PartialDate::Year(separated.year()).to_string()),
        _ => None,
    };
    let place = match rng.random_range(0..10) {
        0..5 => Some(Location {
            pcode: Some(child.origin.nationality.to_string()),
            name: None,
        }),
        5..9 => {
            let (pcode, name) = pick(rng, places(child.host));
            Some(Location {
                pcode: Some(pcode.to_string()),
                name: Some(name.to_string()),
            })
        }
        _ => None,
    };
    let kinds: [(&str, u32); 8] = [
        ("conflict", 6),
        ("flight", 8),
        ("disaster", 1),
        ("detention", 2),
        ("deportation", 1),
        ("trafficking", 1),
        ("lost_in_transit", 4),
        ("other", 1),
    ];
    let mut circumstances = vec![weighted(rng, &kinds).to_string()];
    if rng.random_bool(0.3) {
        let second = weighted(rng, &kinds).to_string();
        if !circumstances.contains(&second) {
            circumstances.push(second);
        }
    }

    TracingRequestDoc {
        inquirer,
        child: SoughtChild {
            given_name,
            family_name,
            other_names,
            sex: child.sex.clone().filter(|_| rng.random_bool(0.95)),
            date_of_birth,
            estimated_age,
            nationality: child.nationality.clone().filter(|_| rng.random_bool(0.85)),
            languages: child
                .language
                .iter()
                .filter(|_| rng.random_bool(0.6))
                .cloned()
                .collect(),
        },
        separation: SeparationEvent {
            date,
            place,
            circumstances,
        },
        date_of_inquiry: Some(format_date(inquiry)),
    }
}
