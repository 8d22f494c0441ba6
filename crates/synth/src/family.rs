//! Names that hang together within a family, and the family members of a case.

use haven_domain::case::FamilyMember;
use rand::Rng;

use crate::names::N;
use crate::origins::{Origin, Scheme};
use crate::util::{weighted, zipf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sex {
    Female,
    Male,
}

/// A given or family name made of one or more name parts (`María José`, `Hernández López`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Parts(pub(crate) Vec<N>);

impl Parts {
    fn one(n: N) -> Self {
        Self(vec![n])
    }

    /// As written, or `None` when there is no name.
    pub(crate) fn native(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| join(self.0.iter().map(|n| n.0)))
    }

    pub(crate) fn latin(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| join(self.0.iter().map(|n| n.1)))
    }

    /// The usual nickname of the first part, as written.
    pub(crate) fn nickname(&self) -> Option<&'static str> {
        self.0.first().map(|n| n.2).filter(|s| !s.is_empty())
    }
}

fn join<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    parts.collect::<Vec<_>>().join(" ")
}

/// A person's given and family name.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub given: Parts,
    pub family: Parts,
}

impl Person {
    /// The whole name in Latin letters, as an earlier registration might have written it.
    pub(crate) fn transliteration(&self) -> String {
        [self.given.latin(), self.family.latin()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A given name for someone of `sex` from `origin`, sometimes two.
pub(crate) fn given_name(rng: &mut impl Rng, origin: &Origin, sex: Sex) -> Parts {
    let list = match sex {
        Sex::Female => origin.female,
        Sex::Male => origin.male,
    };
    let first = zipf(rng, list, 0.0);
    let mut parts = vec![first];
    if origin.compound_given > 0.0 && rng.random_bool(origin.compound_given) {
        let second = zipf(rng, list, 0.0);
        if second.0 != first.0 {
            parts.push(second);
        }
    }
    Parts(parts)
}

/// A family name: skewed like given names, but less (half the draws uniform).
fn family_name(rng: &mut impl Rng, list: &[N]) -> N {
    zipf(rng, list, 0.5)
}

/// The family names of a child's parents and where the child's own comes from.
pub(crate) struct Lineage {
    scheme: Scheme,
    pub child: Parts,
    pub(crate) father_given: Parts,
    pub(crate) father: Parts,
    pub(crate) mother: Parts,
    /// The mother's birth family name (her own family's, for her relatives).
    maternal: Parts,
}

fn maybe(rng: &mut impl Rng, list: &[N], p: f64) -> Parts {
    if rng.random_bool(p) {
        Parts::one(family_name(rng, list))
    } else {
        Parts::default()
    }
}

impl Lineage {
    pub(crate) fn new(rng: &mut impl Rng, origin: &Origin) -> Self {
        let father_given = given_name(rng, origin, Sex::Male);
        let fam = origin.family;
        let (child, father, mother, maternal) = match origin.scheme {
            Scheme::Shared {
                mother_keeps,
                optional,
            } => {
                if optional && rng.random_bool(0.35) {
                    let none = Parts::default();
                    (none.clone(), none.clone(), none.clone(), none)
                } else {
                    let shared = Parts::one(family_name(rng, fam));
                    // Her own family's name; with `mother_keeps` she usually still goes by it.
                    let maternal = Parts::one(family_name(rng, fam));
                    let mother = if mother_keeps && rng.random_bool(0.85) {
                        maternal.clone()
                    } else {
                        shared.clone()
                    };
                    (shared.clone(), shared, mother, maternal)
                }
            }
            Scheme::Patronymic => {
                let grandfather = Parts::one(family_name(rng, fam));
                let maternal = Parts::one(family_name(rng, fam));
                (
                    father_given.clone(),
                    grandfather,
                    maternal.clone(),
                    maternal,
                )
            }
            Scheme::Spanish => {
                let [p1, p2, m1, m2] = [0; 4].map(|_| family_name(rng, fam));
                let father = Parts(vec![p1, p2]);
                let mother = Parts(vec![m1, m2]);
                (Parts(vec![p1, m1]), father, mother.clone(), mother)
            }
            Scheme::Loose => {
                let maternal = maybe(rng, fam, 0.4);
                (
                    maybe(rng, fam, 0.5),
                    maybe(rng, fam, 0.5),
                    maternal.clone(),
                    maternal,
                )
            }
        };
        Self {
            scheme: origin.scheme,
            child,
            father_given,
            father,
            mother,
            maternal,
        }
    }

    fn random_family(&self, rng: &mut impl Rng, origin: &Origin) -> Parts {
        match self.scheme {
            Scheme::Loose => maybe(rng, origin.family, 0.5),
            Scheme::Shared { optional: true, .. } if self.child.0.is_empty() => Parts::default(),
            _ => Parts::one(family_name(rng, origin.family)),
        }
    }

    /// A grandparent's name on the father's (`paternal`) or the mother's side.
    fn grandparent(&self, rng: &mut impl Rng, origin: &Origin, sex: Sex, paternal: bool) -> Person {
        let side = if paternal {
            &self.father
        } else {
            &self.maternal
        };
        let random = self.random_family(rng, origin);
        match (self.scheme, sex) {
            // The father's family name is his father's given name.
            (Scheme::Patronymic, Sex::Male) => Person {
                given: if side.0.is_empty() {
                    given_name(rng, origin, Sex::Male)
                } else {
                    side.clone()
                },
                family: random,
            },
            (Scheme::Spanish, _) => {
                let part = match sex {
                    Sex::Male => side.0.first(),
                    Sex::Female => side.0.get(1),
                };
                let mut family: Vec<N> = part.copied().into_iter().collect();
                family.extend(random.0);
                Person {
                    given: given_name(rng, origin, sex),
                    family: Parts(family),
                }
            }
            (Scheme::Shared { mother_keeps, .. }, s) if s == Sex::Male || !mother_keeps => Person {
                given: given_name(rng, origin, sex),
                family: side.clone(),
            },
            _ => Person {
                given: given_name(rng, origin, sex),
                family: random,
            },
        }
    }

    pub(crate) fn person(
        &self,
        rng: &mut impl Rng,
        origin: &Origin,
        relation: &str,
        sex: Sex,
    ) -> Person {
        let paternal = rng.random_bool(0.5);
        match relation {
            "mother" => Person {
                given: given_name(rng, origin, Sex::Female),
                family: self.mother.clone(),
            },
            "father" => Person {
                given: self.father_given.clone(),
                family: self.father.clone(),
            },
            "sibling" => Person {
                given: given_name(rng, origin, sex),
                family: match self.scheme {
                    Scheme::Loose => self.random_family(rng, origin),
                    _ => self.child.clone(),
                },
            },
            "aunt_uncle" => Person {
                given: given_name(rng, origin, sex),
                family: match self.scheme {
                    Scheme::Loose => self.random_family(rng, origin),
                    _ if paternal => self.father.clone(),
                    _ => self.maternal.clone(),
                },
            },
            _ => self.grandparent(rng, origin, sex, paternal),
        }
    }
}

/// How the child is cared for, which decides who in the family may be a caregiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Separation {
    Unaccompanied,
    Separated,
    Accompanied,
    Unknown,
}

/// A family of one to six members. Only accompanying adults are caregivers: a parent for an
/// accompanied child, another relative for a separated one, nobody for an unaccompanied one.
pub(crate) fn family(
    rng: &mut impl Rng,
    origin: &Origin,
    lineage: &Lineage,
    separation: Separation,
    child_birth_year: i32,
    this_year: i32,
) -> Vec<FamilyMember> {
    // (relation, is_caregiver); the caregivers first so that trimming never drops one.
    let mut plan: Vec<(&str, bool)> = Vec::new();
    match separation {
        Separation::Accompanied => match weighted(rng, &[(0, 5), (1, 2), (2, 3)]) {
            0 => plan.push(("mother", true)),
            1 => plan.push(("father", true)),
            _ => plan.extend([("mother", true), ("father", true)]),
        },
        Separation::Separated => {
            plan.push((
                weighted(rng, &[("aunt_uncle", 6), ("grandparent", 3)]),
                true,
            ));
        }
        Separation::Unaccompanied | Separation::Unknown => {}
    }
    for (relation, p) in [("mother", 0.85), ("father", 0.8)] {
        if !plan.iter().any(|(r, _)| *r == relation) && rng.random_bool(p) {
            plan.push((relation, false));
        }
    }
    for _ in 0..weighted(rng, &[(0, 3), (1, 4), (2, 3), (3, 2)]) {
        plan.push(("sibling", false));
    }
    if rng.random_bool(0.2) {
        plan.push(("aunt_uncle", false));
    }
    if rng.random_bool(0.15) {
        plan.push(("grandparent", false));
    }
    plan.truncate(6);
    if plan.is_empty() {
        plan.push(("mother", false));
    }

    plan.into_iter()
        .map(|(relation, caregiver)| {
            let sex = match relation {
                "mother" => Sex::Female,
                "father" => Sex::Male,
                _ if rng.random_bool(0.5) => Sex::Female,
                _ => Sex::Male,
            };
            let person = lineage.person(rng, origin, relation, sex);
            let is_alive = if caregiver {
                Some(true)
            } else {
                let weights: &[(Option<bool>, u32)] = match (relation, separation) {
                    ("mother" | "father", Separation::Accompanied) => {
                        &[(Some(true), 5), (None, 2), (Some(false), 3)]
                    }
                    ("mother" | "father", _) => &[(Some(true), 45), (None, 35), (Some(false), 20)],
                    ("sibling", _) => &[(Some(true), 15), (None, 4), (Some(false), 1)],
                    _ => &[(Some(true), 14), (None, 5), (Some(false), 1)],
                };
                weighted(rng, weights)
            };
            let contact_chance = if caregiver { 0.7 } else { 0.3 };
            let contact = (is_alive == Some(true) && rng.random_bool(contact_chance))
                .then(|| fake_phone(rng));
            let birth_year = match relation {
                "mother" | "father" if rng.random_bool(0.3) => {
                    Some(child_birth_year - rng.random_range(18..=42))
                }
                "sibling" if rng.random_bool(0.4) => {
                    Some((child_birth_year + rng.random_range(-8..=8)).min(this_year))
                }
                "grandparent" if rng.random_bool(0.1) => {
                    Some(child_birth_year - rng.random_range(40..=65))
                }
                _ => None,
            };
            let other_names = match person.given.nickname() {
                Some(nick) if rng.random_bool(0.15) => vec![nick.to_string()],
                _ => Vec::new(),
            };
            FamilyMember {
                relation: relation.to_string(),
                given_name: person.given.native(),
                family_name: person.family.native(),
                other_names,
                is_alive,
                is_caregiver: caregiver,
                contact,
                date_of_birth: birth_year.map(|y| format!("{y:04}")),
            }
        })
        .collect()
}

/// A phone number under `+000`, a prefix no country has: it can never ring anyone.
pub(crate) fn fake_phone(rng: &mut impl Rng) -> String {
    format!(
        "+000 {:02} {:03} {:04}",
        rng.random_range(10..100),
        rng.random_range(0..1000),
        rng.random_range(0..10000)
    )
}
