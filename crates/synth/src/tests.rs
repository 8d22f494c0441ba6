use haven_domain::case::{CaseDoc, validate};
use time::Date;
use time::macros::date;

use crate::caseload;
use crate::origins::ORIGINS;
use crate::places::places;

const TODAY: Date = date!(2026 - 11 - 23);

fn all_names(doc: &CaseDoc) -> impl Iterator<Item = &str> {
    let child = doc
        .given_name
        .iter()
        .chain(&doc.family_name)
        .chain(&doc.other_names);
    let family = doc.family.iter().flat_map(|m| {
        m.given_name
            .iter()
            .chain(&m.family_name)
            .chain(&m.other_names)
    });
    child.chain(family).map(String::as_str)
}

fn has_char_in(docs: &[&CaseDoc], range: std::ops::RangeInclusive<char>) -> bool {
    docs.iter()
        .flat_map(|d| all_names(d))
        .any(|n| n.chars().any(|c| range.contains(&c)))
}

#[test]
fn every_case_passes_validation() {
    for seed in [1, 2, 3] {
        let load = caseload(seed, 700, TODAY);
        assert_eq!(load.cases.len(), 700);
        for (i, case) in load.cases.iter().enumerate() {
            assert!(case.agency < load.agencies.len());
            if let Err(p) = validate(case.doc.clone(), TODAY) {
                panic!("seed {seed} case {i}: {:?}\n{:#?}", p.errors(), case.doc);
            }
        }
    }
}

#[test]
fn same_seed_same_caseload_other_seed_other_caseload() {
    assert_eq!(caseload(7, 200, TODAY), caseload(7, 200, TODAY));
    assert_ne!(caseload(7, 200, TODAY), caseload(8, 200, TODAY));
    // A shorter run is a prefix of a longer one.
    let short = caseload(7, 50, TODAY);
    assert_eq!(short.cases[..], caseload(7, 200, TODAY).cases[..50]);
}

#[test]
fn names_come_in_every_script() {
    let load = caseload(11, 500, TODAY);
    let docs: Vec<&CaseDoc> = load.cases.iter().map(|c| &c.doc).collect();
    assert!(has_char_in(&docs, '\u{0600}'..='\u{06FF}'), "Arabic script");
    assert!(has_char_in(&docs, '\u{1200}'..='\u{137F}'), "Ge'ez script");
    assert!(has_char_in(&docs, '\u{0400}'..='\u{04FF}'), "Cyrillic");
    assert!(has_char_in(&docs, 'á'..='ú'), "Latin with accents");
    // Persian letters that Arabic does not use: Dari and Pashto names.
    assert!(
        docs.iter()
            .flat_map(|d| all_names(d))
            .any(|n| n.contains(['ی', 'پ', 'گ']))
    );
    // Transliterations sit beside names written in other scripts.
    assert!(docs.iter().any(|d| {
        d.given_name.as_deref().is_some_and(|g| !g.is_ascii())
            && d.other_names
                .iter()
                .any(|o| o.chars().all(|c| c.is_ascii() || c == '-'))
    }));
}

#[test]
fn some_children_are_in_immigration_detention_today() {
    let load = caseload(5, 500, TODAY);
    let current = |kind: &str| {
        load.cases
            .iter()
            .filter(|c| {
                c.doc
                    .placements
                    .iter()
                    .any(|p| p.kind == kind && p.end_date.is_none())
            })
            .count()
    };
    assert!(current("immigration_detention") >= 1);
    // Most detentions have ended and been followed by an alternative.
    let ended_then_alternative = load
        .cases
        .iter()
        .filter(|c| {
            c.doc.placements.len() > 1
                && c.doc.placements[0].kind == "immigration_detention"
                && c.doc.placements[0].end_date.is_some()
        })
        .count();
    assert!(ended_then_alternative > current("immigration_detention"));
}

#[test]
fn the_distribution_is_plausible() {
    let load = caseload(3, 1000, TODAY);
    let docs: Vec<&CaseDoc> = load.cases.iter().map(|c| &c.doc).collect();
    let share = |f: &dyn Fn(&CaseDoc) -> bool| {
        docs.iter().filter(|d| f(d)).count() as f64 / docs.len() as f64
    };
    let full_dob = share(&|d| d.date_of_birth.as_deref().is_some_and(|s| s.len() == 10));
    let partial_dob = share(&|d| d.date_of_birth.as_deref().is_some_and(|s| s.len() < 10));
    let estimated = share(&|d| d.estimated_age.is_some());
    assert!((0.5..0.7).contains(&full_dob), "{full_dob}");
    assert!((0.1..0.2).contains(&partial_dob), "{partial_dob}");
    assert!((0.18..0.32).contains(&estimated), "{estimated}");
    let uasc = share(&|d| {
        matches!(
            d.separation_status.as_deref(),
            Some("unaccompanied" | "separated")
        )
    });
    assert!(uasc > 0.5, "{uasc}");
    let minors = share(&|d| haven_domain::case::age(d, TODAY).is_some_and(|a| a < 18));
    assert!(minors > 0.85, "{minors}");

    for d in &docs {
        // Specific needs agree with separation.
        assert!(d.specific_needs.len() <= 3);
        let sep = d.separation_status.as_deref();
        if d.specific_needs.iter().any(|c| c == "SC-UC") {
            assert_eq!(sep, Some("unaccompanied"));
        }
        if d.specific_needs.iter().any(|c| c == "SC-SC") {
            assert_eq!(sep, Some("separated"));
        }
        // Families of one to six; caregivers alive, and none for an unaccompanied child.
        assert!((1..=6).contains(&d.family.len()));
        for m in &d.family {
            if m.is_caregiver {
                assert_eq!(m.is_alive, Some(true));
                assert_ne!(sep, Some("unaccompanied"));
            }
            if let Some(c) = &m.contact {
                assert!(c.starts_with("+000 "), "{c}");
            }
        }
        // Services are distinct, at most four.
        assert!(d.services.len() <= 4);
        let mut kinds: Vec<&str> = d.services.iter().map(|s| s.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), d.services.len());
        // Placements are in date order; only the last can be current.
        assert!(d.placements.len() <= 3);
        for w in d.placements.windows(2) {
            let end = w[0].end_date.as_deref().expect("only the last is current");
            assert!(end <= w[1].start_date.as_str());
        }
        assert!(d.caseworker_id.is_none());
        // The place is in a country that hosts children from the child's origin.
        if let Some(pcode) = d.location.as_ref().and_then(|l| l.pcode.as_deref()) {
            let origin = ORIGINS
                .iter()
                .map(|(o, _)| o)
                .find(|o| Some(o.nationality) == d.nationality.as_deref())
                .expect("a known origin");
            assert!(
                origin
                    .hosts
                    .iter()
                    .any(|(h, _)| pcode.starts_with(h) && places(h).iter().any(|p| p.0 == pcode))
            );
        }
    }
    assert!(share(&|d| d.family.iter().any(|m| m.is_alive == Some(false))) > 0.1);
    assert!(share(&|d| d.family.iter().any(|m| m.contact.is_some())) > 0.2);
}

#[test]
fn families_share_names_as_their_custom_does() {
    let load = caseload(21, 600, TODAY);
    let mut spanish = 0;
    let mut patronymic = 0;
    for d in load.cases.iter().map(|c| &c.doc) {
        let father = d.family.iter().find(|m| m.relation == "father");
        let Some(father) = father else { continue };
        match d.nationality.as_deref() {
            // Spanish: the child's first family name is the father's first.
            Some("HN" | "GT" | "SV" | "VE") => {
                let first = |s: &Option<String>| {
                    s.as_deref()
                        .and_then(|s| s.split(' ').next())
                        .map(str::to_string)
                };
                assert_eq!(first(&d.family_name), first(&father.family_name));
                assert_eq!(
                    d.family_name.as_deref().map(|s| s.split(' ').count()),
                    Some(2)
                );
                spanish += 1;
            }
            // Tigrinya: the child's family name is the father's given name.
            Some("ER") => {
                assert_eq!(d.family_name, father.given_name);
                patronymic += 1;
            }
            Some("UA") => assert_eq!(d.family_name, father.family_name),
            _ => {}
        }
    }
    assert!(spanish > 10 && patronymic > 5, "{spanish} {patronymic}");
}

#[test]
fn agencies_are_three_and_all_hold_cases() {
    let load = caseload(9, 300, TODAY);
    assert_eq!(load.agencies.len(), 3);
    assert_eq!(load.agencies[0].code, "HVN-CP");
    for i in 0..3 {
        assert!(load.cases.iter().any(|c| c.agency == i));
    }
}

#[test]
fn registration_is_within_two_years_and_never_in_the_future() {
    let load = caseload(4, 500, TODAY);
    let earliest = TODAY - time::Duration::days(731);
    for c in &load.cases {
        let reg = c.doc.registration_date.as_deref().expect("set");
        let reg = haven_domain::dates::parse_date(reg).expect("a date");
        assert!(reg <= TODAY && reg >= earliest);
    }
    assert!(caseload(4, 0, TODAY).cases.is_empty());
}

#[test]
fn every_tracing_request_passes_validation() {
    for seed in [1, 2, 3] {
        let load = caseload(seed, 600, TODAY);
        assert_eq!(load.tracing_requests.len(), 200);
        for (i, r) in load.tracing_requests.iter().enumerate() {
            assert!(r.agency < load.agencies.len());
            assert!(r.sought_case.is_none_or(|c| c < load.cases.len()));
            if let Err(p) = haven_domain::tracing_request::validate(r.doc.clone(), TODAY) {
                panic!("seed {seed} request {i}: {:?}\n{:#?}", p.errors(), r.doc);
            }
        }
    }
    assert!(caseload(4, 2, TODAY).tracing_requests.is_empty());
}

#[test]
fn requests_about_caseload_children_come_from_their_living_family() {
    let load = caseload(13, 900, TODAY);
    let about: Vec<_> = load
        .tracing_requests
        .iter()
        .filter_map(|r| r.sought_case.map(|c| (r, &load.cases[c])))
        .collect();
    let share = about.len() as f64 / load.tracing_requests.len() as f64;
    assert!((0.55..=0.8).contains(&share), "{share}");
    for (r, case) in &about {
        let inq = &r.doc.inquirer;
        assert!(
            case.doc.family.iter().any(|m| m.is_alive == Some(true)
                && m.relation == inq.relation
                && (m.given_name.is_none() || m.given_name == inq.given_name)),
            "{inq:?} is not a living member of {:?}",
            case.doc.family
        );
    }
    // Filed anywhere, not only with the agency holding the case.
    assert!(about.iter().any(|(r, c)| r.agency != c.agency));
    assert!(about.iter().any(|(r, c)| r.agency == c.agency));
    for i in 0..3 {
        assert!(load.tracing_requests.iter().any(|r| r.agency == i));
    }
}

#[test]
fn relatives_describe_children_differently_from_the_case() {
    let load = caseload(17, 900, TODAY);
    let about: Vec<_> = load
        .tracing_requests
        .iter()
        .filter_map(|r| r.sought_case.map(|c| (&r.doc.child, &load.cases[c].doc)))
        .collect();
    let some = |f: &dyn Fn(&haven_domain::tracing_request::SoughtChild, &CaseDoc) -> bool| {
        about.iter().any(|(s, c)| f(s, c))
    };
    // Spelled the same, transliterated into Latin letters, or by a nickname.
    assert!(some(&|s, c| s.given_name == c.given_name));
    assert!(some(&|s, c| {
        c.given_name.as_deref().is_some_and(|g| !g.is_ascii())
            && s.given_name.as_deref().is_some_and(|g| g.is_ascii())
    }));
    assert!(some(
        &|s, c| c.family_name.is_some() && s.family_name.is_none()
    ));
    assert!(some(&|s, _| s.estimated_age.is_some()));
    assert!(some(&|s, _| s
        .date_of_birth
        .as_deref()
        .is_some_and(|d| d.len() == 4)));
    assert!(some(
        &|s, c| s.date_of_birth.is_some() && s.date_of_birth == c.date_of_birth
    ));
    // Children nobody registered are sought too, and names come in several scripts.
    let unknown: Vec<_> = load
        .tracing_requests
        .iter()
        .filter(|r| r.sought_case.is_none())
        .collect();
    assert!(!unknown.is_empty());
    assert!(load.tracing_requests.iter().any(|r| {
        r.doc
            .inquirer
            .given_name
            .as_deref()
            .is_some_and(|n| n.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)))
    }));
}

#[test]
fn tracing_requests_are_deterministic_and_leave_the_cases_alone() {
    let a = caseload(7, 300, TODAY);
    assert_eq!(a.tracing_requests, caseload(7, 300, TODAY).tracing_requests);
    assert_ne!(a.tracing_requests, caseload(8, 300, TODAY).tracing_requests);
    assert_eq!(a.cases[..100], caseload(7, 100, TODAY).cases[..]);
}
