//! Seeded synthetic facts for tests and the bench: plausible shapes, no real person.

use haven_domain::case::{RiskLevel, SeparationStatus, Sex};
use haven_domain::casework::identity::BirthRegistrationStatus;
use haven_domain::casework::incident::IncidentCategory;
use haven_domain::casework::placement::Arrangement;
use haven_domain::casework::referral::{EnrolmentStatus, ReferralStatus};
use time::{Date, Duration, OffsetDateTime, Time};

use crate::facts::{
    Born, CaseFacts, ChildFacts, Facts, IncidentFacts, PlacementFact, ServiceFact, Sym, TracingFact,
};

/// SplitMix64: small, fast, good enough for synthetic data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// True with probability `p` percent.
    pub fn pct(&mut self, p: u64) -> bool {
        self.below(100) < p
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const NATIONALITIES: [&str; 8] = ["SY", "AF", "SD", "ER", "SO", "VE", "ML", "NG"];
const DRIVERS: [&str; 6] = [
    "conflict",
    "generalised_violence",
    "persecution",
    "domestic_violence",
    "poverty",
    "family_reunion",
];
const SERVICES: [&str; 4] = ["health", "education", "legal_aid", "documentation"];
const BIAS: [&str; 3] = ["nationality", "migration_status", "ethnicity"];
const SETTINGS: [&str; 4] = ["school", "health_facility", "police", "community"];

/// `cases` cases registered over the two years before `to`, with incidents for one in twenty.
pub fn generate(cases: usize, seed: u64, to: Date) -> Facts {
    let mut r = Rng::new(seed);
    let mut f = Facts::new();
    let nat: Vec<Sym> = NATIONALITIES.iter().map(|n| f.intern(n)).collect();
    let drivers: Vec<Sym> = DRIVERS.iter().map(|n| f.intern(n)).collect();
    let services: Vec<Sym> = SERVICES.iter().map(|n| f.intern(n)).collect();
    let bias: Vec<Sym> = BIAS.iter().map(|n| f.intern(n)).collect();
    let settings: Vec<Sym> = SETTINGS.iter().map(|n| f.intern(n)).collect();
    let mut here = Vec::new();
    for a1 in 1..=12 {
        for a2 in 1..=8 {
            here.push(f.intern(&format!("LY{a1:02}{a2:02}")));
        }
    }
    let mut origin = Vec::new();
    for n in NATIONALITIES {
        for a1 in 1..=5 {
            origin.push(f.intern(&format!("{n}{a1:02}")));
        }
    }
    let days = 730;
    f.cases.reserve(cases);
    for _ in 0..cases {
        let reg = to - Duration::days(r.below(days) as i64);
        let mut c = CaseFacts::new(reg);
        c.sex = Some(if r.pct(3) {
            Sex::Unknown
        } else if r.pct(50) {
            Sex::Female
        } else {
            Sex::Male
        });
        if !r.pct(4) {
            let born = reg - Duration::days(365 + r.below(17 * 365) as i64);
            c.born = Some(if r.pct(30) {
                Born::from_estimated_age(((reg - born).whole_days() / 365) as u32, reg)
            } else {
                Born::exact(born)
            });
        }
        c.separation = Some(r.pick(&[
            SeparationStatus::Unaccompanied,
            SeparationStatus::Separated,
            SeparationStatus::Accompanied,
            SeparationStatus::Accompanied,
            SeparationStatus::Unknown,
        ]));
        c.nationality = (!r.pct(2)).then(|| r.pick(&nat));
        c.pcode = (!r.pct(2)).then(|| r.pick(&here));
        c.origin_pcode = (!r.pct(10)).then(|| r.pick(&origin));
        c.risk = (!r.pct(10)).then(|| {
            r.pick(&[
                RiskLevel::High,
                RiskLevel::Medium,
                RiskLevel::Medium,
                RiskLevel::Low,
            ])
        });
        let at = OffsetDateTime::new_utc(reg, Time::MIDNIGHT) + Duration::hours(r.below(12) as i64);
        c.registered_at = Some(at);
        c.assessed_at = (!r.pct(15)).then(|| at + Duration::hours(r.below(96) as i64));
        c.closed_on = r
            .pct(40)
            .then(|| reg + Duration::days(30 + r.below(300) as i64))
            .filter(|d| *d <= to);
        c.birth_registration = Some(r.pick(&[
            BirthRegistrationStatus::Registered,
            BirthRegistrationStatus::Registered,
            BirthRegistrationStatus::NotRegistered,
            BirthRegistrationStatus::Unknown,
        ]));
        c.has_identity_documents = r.pct(45);
        c.enrolment = r.pct(70).then(|| {
            r.pick(&[
                EnrolmentStatus::Enrolled,
                EnrolmentStatus::Attending,
                EnrolmentStatus::NotEnrolled,
                EnrolmentStatus::DroppedOut,
            ])
        });
        let nreasons = r.below(3);
        for _ in 0..nreasons {
            let d = r.pick(&drivers);
            if !c.reasons_for_leaving.contains(&d) {
                c.reasons_for_leaving.push(d);
            }
        }
        // Placements: most in family care; some detained, then moved.
        let mut start = reg;
        if r.pct(6) {
            let len = 1 + r.below(20) as i64;
            let end = start + Duration::days(len);
            let kind = if r.pct(80) {
                Arrangement::ImmigrationDetention
            } else {
                Arrangement::PoliceCustody
            };
            if end <= to {
                c.placements.push(PlacementFact {
                    kind,
                    start,
                    end: Some(end),
                });
                start = end;
            } else {
                c.placements.push(PlacementFact {
                    kind,
                    start,
                    end: None,
                });
                start = Date::MAX;
            }
        }
        if start <= to {
            let kind = r.pick(&[
                Arrangement::Parents,
                Arrangement::Kinship,
                Arrangement::Foster,
                Arrangement::Residential,
                Arrangement::Street,
            ]);
            c.placements.push(PlacementFact {
                kind,
                start,
                end: None,
            });
        }
        for _ in 0..r.below(3) {
            let on = reg + Duration::days(r.below(60) as i64);
            if on <= to {
                c.services.push(ServiceFact {
                    service: r.pick(&services),
                    status: r.pick(&[
                        ReferralStatus::Requested,
                        ReferralStatus::Accepted,
                        ReferralStatus::Completed,
                        ReferralStatus::Completed,
                        ReferralStatus::Declined,
                        ReferralStatus::Cancelled,
                    ]),
                    requested_on: on,
                });
            }
        }
        if matches!(
            c.separation,
            Some(SeparationStatus::Unaccompanied | SeparationStatus::Separated)
        ) && r.pct(40)
        {
            let opened = reg + Duration::days(r.below(30) as i64);
            if opened <= to {
                let reunified = (reg + Duration::days(30 + r.below(200) as i64)).min(to);
                let done = r.pct(30);
                c.tracing.push(TracingFact {
                    opened,
                    closed: done.then_some(reunified),
                });
                if done {
                    c.reunified_on = Some(reunified);
                }
            }
        }
        f.cases.push(c);
    }
    for _ in 0..cases / 20 {
        let date = to - Duration::days(r.below(days) as i64);
        let category = r.pick(IncidentCategory::ALL);
        let n = 1 + r.below(3) as usize;
        let children = (0..n)
            .map(|_| ChildFacts {
                sex: Some(if r.pct(50) { Sex::Female } else { Sex::Male }),
                born: Some(Born::exact(
                    date - Duration::days(365 + r.below(16 * 365) as i64),
                )),
                separation: Some(r.pick(SeparationStatus::ALL)),
                nationality: Some(r.pick(&nat)),
            })
            .collect();
        f.incidents.push(IncidentFacts {
            category,
            types: Vec::new(),
            bias_motivations: if category == IncidentCategory::Discrimination {
                (0..1 + r.below(2)).map(|_| r.pick(&bias)).collect()
            } else {
                Vec::new()
            },
            setting: Some(r.pick(&settings)),
            date,
            pcode: Some(r.pick(&here)),
            children,
        });
    }
    f
}
