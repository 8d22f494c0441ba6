use haven_report::dims::Dimension;
use haven_report::output::{Format, neutralise, to_csv, to_hxl, to_json, to_xlsx};
use haven_report::{CATALOGUE, Request, Settings, compute, synth};
use time::macros::date;

fn report() -> haven_report::Report {
    let to = date!(2026 - 12 - 31);
    let facts = synth::generate(3_000, 11, to);
    let req = Request::new(
        date!(2026 - 01 - 01),
        to,
        CATALOGUE.iter().collect(),
        vec![
            vec![],
            vec![Dimension::Sex, Dimension::AgeGroup],
            vec![Dimension::Location(1)],
        ],
    )
    .unwrap();
    compute(&facts, &req, &Settings::default()).unwrap()
}

#[test]
fn csv_starts_with_a_bom_and_hxl_puts_the_hashtags_second() {
    let r = report();
    let mut csv = Vec::new();
    to_csv(&r, &mut csv).unwrap();
    assert!(csv.starts_with(
        b"\xEF\xBB\xBFindicator_code,indicator,area,date_start,date_end,sex,age,adm1"
    ));
    let mut hxl = Vec::new();
    to_hxl(&r, &mut hxl).unwrap();
    let text = String::from_utf8(hxl).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].starts_with("#indicator+code,#indicator+name,#sector+area,#date+start,#date+end,#group+sex,#group+age,#adm1+code"), "{}", lines[1]);
    assert!(lines[2].starts_with("prot_open_cases,"));
    assert!(
        text.contains(",*,") || text.contains(",*\n"),
        "some cell is suppressed in a 3,000-case report"
    );
}

#[test]
fn formula_like_cells_are_neutralised() {
    assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
    for s in ["+1", "-1", "@SUM(A1)"] {
        assert!(neutralise(s).starts_with('\''));
    }
    assert_eq!(neutralise("LY01"), "LY01");
}

#[test]
fn xlsx_and_json_are_written() {
    let r = report();
    let mut x = Vec::new();
    to_xlsx(&r, &mut x).unwrap();
    assert!(x.starts_with(b"PK"), "an XLSX is a zip");
    let mut j = Vec::new();
    to_json(&r, &mut j).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&j).unwrap();
    assert_eq!(v["from"], "2026-01-01");
    assert_eq!(v["threshold"], 4);
    assert_eq!(v["tables"][0]["indicator"], "prot_open_cases");
    assert!(
        Format::parse("pdf")
            .unwrap_err()
            .to_string()
            .contains("'pdf'")
    );
}
