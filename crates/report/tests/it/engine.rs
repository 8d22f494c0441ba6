use haven_domain::case::{SeparationStatus, Sex};
use haven_domain::casework::placement::Arrangement;
use haven_report::dims::{Dimension, Granularity};
use haven_report::facts::{Born, CaseFacts, Facts, PlacementFact, TracingFact};
use haven_report::table::Value;
use haven_report::{ReportError, Request, Settings, compute, indicator};
use time::Date;
use time::macros::date;

use super::{count, table, value};

const FROM: Date = date!(2026 - 01 - 01);
const TO: Date = date!(2026 - 06 - 30);

fn settings(threshold: i64) -> Settings {
    Settings::default().with_threshold(threshold).unwrap()
}

fn detained(f: &mut Facts, sex: Sex, start: Date, end: Option<Date>, then: Option<Arrangement>) {
    let mut c = CaseFacts::new(date!(2025 - 12 - 01));
    c.sex = Some(sex);
    c.born = Some(Born::exact(date!(2012 - 05 - 05)));
    c.pcode = Some(f.intern("LY0102"));
    c.placements.push(PlacementFact {
        kind: Arrangement::ImmigrationDetention,
        start,
        end,
    });
    if let (Some(e), Some(k)) = (end, then) {
        c.placements.push(PlacementFact {
            kind: k,
            start: e,
            end: None,
        });
    }
    f.cases.push(c);
}

#[test]
fn detention_indicators_count_what_the_catalogue_says() {
    let mut f = Facts::new();
    // Three still detained on the last day, one released that very day, two moved to foster
    // care within 72 h, one moved after 10 days.
    for _ in 0..3 {
        detained(&mut f, Sex::Female, date!(2026 - 06 - 01), None, None);
    }
    detained(
        &mut f,
        Sex::Male,
        date!(2026 - 06 - 20),
        Some(TO),
        Some(Arrangement::Foster),
    );
    detained(
        &mut f,
        Sex::Male,
        date!(2026 - 02 - 01),
        Some(date!(2026 - 02 - 03)),
        Some(Arrangement::Foster),
    );
    detained(
        &mut f,
        Sex::Male,
        date!(2026 - 03 - 01),
        Some(date!(2026 - 03 - 02)),
        Some(Arrangement::Kinship),
    );
    detained(
        &mut f,
        Sex::Female,
        date!(2026 - 04 - 01),
        Some(date!(2026 - 04 - 11)),
        Some(Arrangement::Street),
    );
    let req = Request::new(
        FROM,
        TO,
        [
            "det_in_immigration_detention",
            "det_placements",
            "det_median_days",
            "det_alternative_72h",
        ]
        .iter()
        .map(|c| indicator(c).unwrap())
        .collect(),
        vec![vec![], vec![Dimension::Sex]],
    )
    .unwrap();
    let r = compute(&f, &req, &settings(1)).unwrap();
    assert_eq!(
        count(value(table(&r, "det_in_immigration_detention", &[]), &[])),
        Some(3)
    );
    assert_eq!(count(value(table(&r, "det_placements", &[]), &[])), Some(7));
    // Spells ended in the window: 11 (6-20..6-30), 3, 2, 11 days -> median 7.
    assert_eq!(
        value(table(&r, "det_median_days", &[]), &[]),
        &Value::MedianDays {
            n: Some(4),
            median: Some(7.0)
        }
    );
    // 7 spells started; 3 ended within 3 days... of which 2 moved to an alternative the same day.
    assert_eq!(
        value(table(&r, "det_alternative_72h", &[]), &[]),
        &Value::Percent {
            numerator: Some(2),
            denominator: Some(7),
            percent: Some(28.6)
        }
    );
    assert_eq!(
        count(value(
            table(&r, "det_in_immigration_detention", &["sex"]),
            &[Some("female")]
        )),
        Some(3)
    );
}

#[test]
fn tracing_reunification_and_family_care() {
    let mut f = Facts::new();
    for i in 0..6 {
        let mut c = CaseFacts::new(date!(2025 - 11 - 01));
        c.separation = Some(if i % 2 == 0 {
            SeparationStatus::Unaccompanied
        } else {
            SeparationStatus::Separated
        });
        c.tracing.push(TracingFact {
            opened: date!(2026 - 01 - 10),
            closed: (i < 4).then_some(date!(2026 - 03 - 01)),
        });
        if i < 4 {
            c.reunified_on = Some(date!(2026 - 01 - 10) + time::Duration::days(10 * (i + 1)));
            c.placements.push(PlacementFact {
                kind: Arrangement::Parents,
                start: c.reunified_on.unwrap(),
                end: None,
            });
        } else {
            c.placements.push(PlacementFact {
                kind: Arrangement::Residential,
                start: date!(2025 - 11 - 01),
                end: None,
            });
        }
        f.cases.push(c);
    }
    let inds = [
        "fam_tracing_open",
        "fam_reunifications",
        "fam_median_days_to_reunification",
        "fam_uasc_family_care",
    ];
    let req = Request::new(
        FROM,
        TO,
        inds.iter().map(|c| indicator(c).unwrap()).collect(),
        vec![],
    )
    .unwrap();
    let r = compute(&f, &req, &settings(1)).unwrap();
    assert_eq!(
        count(value(table(&r, "fam_tracing_open", &[]), &[])),
        Some(2)
    );
    assert_eq!(
        count(value(table(&r, "fam_reunifications", &[]), &[])),
        Some(4)
    );
    assert_eq!(
        value(table(&r, "fam_median_days_to_reunification", &[]), &[]),
        &Value::MedianDays {
            n: Some(4),
            median: Some(25.0)
        }
    );
    assert_eq!(
        value(table(&r, "fam_uasc_family_care", &[]), &[]),
        &Value::Percent {
            numerator: Some(4),
            denominator: Some(6),
            percent: Some(66.7)
        }
    );
}

#[test]
fn reasons_count_each_reason_a_child_gave_and_periods_add_up_for_flows() {
    let mut f = Facts::new();
    let conflict = f.intern("conflict");
    let poverty = f.intern("poverty");
    for i in 0..20 {
        let month = if i < 10 {
            date!(2026 - 01 - 15)
        } else {
            date!(2026 - 02 - 15)
        };
        let mut c = CaseFacts::new(month);
        c.reasons_for_leaving = if i % 2 == 0 {
            vec![conflict, poverty]
        } else {
            vec![conflict]
        };
        f.cases.push(c);
    }
    let req = Request::new(
        FROM,
        TO,
        vec![indicator("root_reasons_for_leaving").unwrap()],
        vec![vec![], vec![Dimension::Period(Granularity::Month)]],
    )
    .unwrap();
    let r = compute(&f, &req, &settings(4)).unwrap();
    let t = table(&r, "root_reasons_for_leaving", &["reason"]);
    assert_eq!(count(value(t, &[Some("conflict")])), Some(20));
    assert_eq!(count(value(t, &[Some("poverty")])), Some(10));
    assert_eq!(count(value(t, &[None])), Some(30));
    let by_month = table(&r, "root_reasons_for_leaving", &["month", "reason"]);
    assert_eq!(
        count(value(by_month, &[Some("2026-01"), Some("conflict")])),
        Some(10)
    );
    assert_eq!(count(value(by_month, &[None, Some("conflict")])), Some(20));
    let row = by_month
        .rows
        .iter()
        .find(|r| r.labels[0].as_deref() == Some("2026-02"))
        .unwrap();
    assert_eq!(
        (row.date_start.as_str(), row.date_end.as_str()),
        ("2026-02-01", "2026-02-28")
    );
}

#[test]
fn bad_requests_are_refused_with_the_value_named() {
    let ind = vec![indicator("prot_open_cases").unwrap()];
    assert_eq!(
        Request::new(TO, FROM, ind.clone(), vec![]).unwrap_err(),
        ReportError::InvertedDates { from: TO, to: FROM }
    );
    assert_eq!(
        Settings::default()
            .with_threshold(0)
            .unwrap_err()
            .to_string(),
        "suppression threshold 0 is refused: it must be at least 1"
    );
    let e = Request::new(
        FROM,
        TO,
        vec![indicator("prot_incidents_violence").unwrap()],
        vec![vec![Dimension::Risk]],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "dimension 'risk' does not apply to indicator 'prot_incidents_violence'"
    );
    let e = Request::new(
        FROM,
        TO,
        ind.clone(),
        vec![vec![Dimension::Location(1), Dimension::Location(2)]],
    )
    .unwrap_err();
    assert_eq!(e, ReportError::RepeatedDimension("adm2".into()));
    assert!(
        Dimension::parse_list("sex,shoe_size")
            .unwrap_err()
            .to_string()
            .contains("'shoe_size'")
    );
}

#[test]
fn a_fine_level_cell_cannot_be_recovered_from_the_coarse_level_table() {
    // adm2: LY0101 = 3 (small), LY0102 = 20, LY0201 = LY0202 = 10; adm1: LY01 = 23, LY02 = 20.
    // Suppressing LY0101 and a partner in the adm2 table alone would leave LY0101 = LY01 - LY0102.
    let mut f = Facts::new();
    for (pcode, n) in [
        ("LY0101", 3),
        ("LY0102", 20),
        ("LY0201", 10),
        ("LY0202", 10),
    ] {
        let s = f.intern(pcode);
        for _ in 0..n {
            let mut c = CaseFacts::new(date!(2026 - 01 - 10));
            c.pcode = Some(s);
            f.cases.push(c);
        }
    }
    let req = Request::new(
        FROM,
        TO,
        vec![
            indicator("fam_reunifications").unwrap(),
            indicator("root_origin_area").unwrap(),
        ],
        vec![vec![Dimension::Location(1)], vec![Dimension::Location(2)]],
    )
    .unwrap();
    let r = compute(&f, &req, &settings(4)).unwrap();
    let adm2 = table(&r, "root_origin_area", &["adm2", "origin"]);
    let adm1 = table(&r, "root_origin_area", &["adm1", "origin"]);
    let unknown = Some("unknown");
    assert_eq!(count(value(adm2, &[Some("LY0101"), unknown])), None);
    let ly01 = count(value(adm1, &[Some("LY01"), unknown]));
    let ly0102 = count(value(adm2, &[Some("LY0102"), unknown]));
    assert!(
        ly01.is_none() || ly0102.is_none(),
        "LY0101 = {ly01:?} - {ly0102:?}"
    );
}
