//! The reports dashboard (issue 7): the six commitment areas, one area's indicators over a
//! period cut by one dimension (a chart and its table for each), and the commitments tracker
//! with the form to record a pledge.
//!
//! Aggregates only: the numbers come from `crate::reports::view_report` (scoped facts, audited
//! as one `report.view`, every cell suppressed by the engine before it reaches this module), so
//! the page never holds a record, let alone a child's name.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use haven_domain::Problems;
use haven_domain::access::Permission;
use haven_domain::dates::{format_date, parse_date};
use haven_report::catalogue::{Area, IndicatorDef, Kind, indicators_of};
use haven_report::chart::{self, Bar, ChartText};
use haven_report::query::Ask;
use haven_report::tracker::{self, Status};
use haven_report::{Report, Table};
use haven_store::{PledgeDoc, PledgeRecord, StoreError};
use time::Date;

use super::forms::{FieldErrors, FormData};
use super::{Chrome, Posted, UiError, UiUser, html, see_other};
use crate::AppState;
use crate::error::ApiError;

/// The disaggregations the form offers (`by` of the report API); periods are drawn as lines.
pub const DIMENSIONS: &[&str] = &[
    "sex",
    "age",
    "separation",
    "nationality",
    "adm0",
    "adm1",
    "adm2",
    "adm3",
    "adm4",
    "month",
    "quarter",
    "year",
];

const DEFAULT_BY: &str = "quarter";

fn is_period(by: &str) -> bool {
    matches!(by, "month" | "quarter" | "year")
}

/// The Fluent id of a catalogue text: `ind-prot-open-cases`, `…-def` for its definition.
pub fn indicator_id(code: &str) -> String {
    format!("ind-{}", code.replace('_', "-"))
}

fn area_of(user: &UiUser, raw: &str) -> Result<Area, UiError> {
    // Only the numbers are pages: a name in the path is not found rather than a second URL.
    raw.parse::<u8>()
        .ok()
        .and_then(|n| Area::ALL.into_iter().find(|a| a.number() == n))
        .ok_or_else(|| user.err(ApiError::NotFound))
}

// ------------------------------------------------------------------------------------------
// The areas

pub struct AreaLink {
    pub number: u8,
    pub name: String,
    pub indicators: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "reports.html")]
struct AreasPage {
    c: Chrome,
    areas: Vec<AreaLink>,
}

pub async fn areas(user: UiUser) -> Result<Response, UiError> {
    user.require(Permission::ReportRead)?;
    let c = user.chrome(user.lang.t("reports-title"));
    let areas = Area::ALL
        .into_iter()
        .map(|a| AreaLink {
            number: a.number(),
            name: c.t(&format!("report-area-{}", a.number())),
            indicators: indicators_of(a)
                .map(|i| c.t(&indicator_id(i.code)))
                .collect(),
        })
        .collect();
    Ok(html(&AreasPage { c, areas }))
}

// ------------------------------------------------------------------------------------------
// One area

/// The dashboard's GET form, as typed.
#[derive(Debug, Default)]
pub struct Period {
    pub from: String,
    pub to: String,
    pub by: String,
}

pub struct Cell {
    pub label: String,
    pub value: String,
}

pub struct IndicatorBlock {
    pub code: String,
    pub name: String,
    pub definition: String,
    pub headline: String,
    pub svg: String,
    pub cells: Vec<Cell>,
}

pub struct PledgeRow {
    pub who: String,
    pub indicator: String,
    pub baseline: String,
    pub target: String,
    pub due: String,
    pub current: String,
    pub status: String,
    pub status_class: &'static str,
}

/// The pledge form, as typed.
#[derive(Debug, Default)]
pub struct PledgeForm {
    pub party: String,
    pub name: String,
    pub indicator: String,
    pub baseline: String,
    pub target: String,
    pub baseline_date: String,
    pub due_date: String,
    pub notes: String,
}

pub struct Choice {
    pub code: String,
    pub name: String,
}

#[derive(askama::Template)]
#[template(path = "report_area.html")]
struct AreaPage {
    c: Chrome,
    number: u8,
    area: String,
    q: Period,
    errors: FieldErrors,
    dimensions: &'static [&'static str],
    blocks: Vec<IndicatorBlock>,
    pledges: Vec<PledgeRow>,
    window: String,
    exports: Vec<(String, String)>,
    /// `None` when the user may not record pledges.
    pledge_form: Option<PledgeForm>,
    pledge_errors: FieldErrors,
    choices: Vec<Choice>,
}

fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default()
}

impl Period {
    fn of(raw: Option<&str>, today: Date) -> Self {
        let pairs = query_pairs(raw);
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.trim().to_string())
        };
        let jan1 = Date::from_calendar_date(today.year(), time::Month::January, 1).unwrap_or(today);
        Self {
            from: get("from").unwrap_or_else(|| format_date(jan1)),
            to: get("to").unwrap_or_else(|| format_date(today)),
            by: get("by")
                .filter(|b| !b.is_empty())
                .unwrap_or_else(|| DEFAULT_BY.to_string()),
        }
    }

    /// The dates, or each problem on its field in the user's language.
    fn dates(&self, c: &Chrome) -> Result<(Date, Date), FieldErrors> {
        let mut p = Problems::new();
        let from = parse_date(&self.from)
            .map_err(|_| p.push("from", BAD_DATE))
            .ok();
        let to = parse_date(&self.to)
            .map_err(|_| p.push("to", BAD_DATE))
            .ok();
        if !DIMENSIONS.contains(&self.by.as_str()) {
            p.push("by", "is not a disaggregation this page offers");
        }
        let mut errors = FieldErrors::from_problems(c.lang, &p, FIELDS);
        match (from, to) {
            (Some(f), Some(t)) if f > t => {
                Err(FieldErrors::single("from", c.t("reports-error-inverted")))
            }
            (Some(f), Some(t)) if errors.is_empty() => Ok((f, t)),
            _ => {
                if errors.is_empty() {
                    errors = FieldErrors::single("from", c.t("error-invalid"));
                }
                Err(errors)
            }
        }
    }

    fn link(&self, number: u8, format: &str) -> String {
        let q = serde_urlencoded::to_string([
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("by", self.by.as_str()),
            ("format", format),
        ])
        .unwrap_or_default();
        format!("/api/v1/reports/{number}?{q}")
    }
}

/// One wording for any unreadable date, so that it has a translation.
const BAD_DATE: &str = "must be a full date, YYYY-MM-DD";

const FIELDS: &[(&str, &str)] = &[("from", "from"), ("to", "to"), ("by", "by")];

const PLEDGE_FIELDS: &[(&str, &str)] = &[
    ("party", "party"),
    ("name", "name"),
    ("area", "indicator"),
    ("indicator", "indicator"),
    ("baseline", "baseline"),
    ("target", "target"),
    ("baseline_date", "baseline_date"),
    ("due_date", "due_date"),
    ("notes", "notes"),
];

/// A value as the table shows it: the word "suppressed" for a hidden cell.
fn show(c: &Chrome, v: Option<f64>, kind: Kind) -> String {
    match (v, kind) {
        (None, _) => c.t("reports-suppressed"),
        (Some(v), Kind::Count) => c.number(v.round() as i64),
        (Some(v), Kind::Percent) => format!("{v:.1} %"),
        (Some(v), Kind::MedianDays) => c.t1("reports-days", "n", format!("{v:.1}")),
    }
}

/// A table label in words where the locale has them (sex, risk, separation); codes, periods
/// and places as the report writes them.
fn label(c: &Chrome, dim: &str, raw: &str) -> String {
    match dim {
        "sex" | "risk" | "separation" => c.code(dim, raw),
        _ if raw == "unknown" => c.t("reports-unknown"),
        _ => raw.to_string(),
    }
}

fn block(c: &Chrome, ind: &IndicatorDef, report: &Report, by: &str) -> IndicatorBlock {
    let id = indicator_id(ind.code);
    let name = c.t(&id);
    let table: Option<&Table> = report.tables.iter().find(|t| t.indicator == ind.code);
    // Along the chosen dimension; an indicator always cut by a breakdown (open cases by risk)
    // keeps it as the table's other dimension, and its margin is what is drawn.
    let bars: Vec<Bar> = table
        .and_then(|t| {
            let dim = t.dimensions.iter().position(|d| d == by)?;
            Some(chart::bars(t, dim, |l| label(c, by, l)))
        })
        .unwrap_or_default();
    let text = ChartText {
        id: format!("chart-{}", ind.code),
        title: name.clone(),
        suppressed: c.t("reports-suppressed"),
        rtl: c.lang.dir() == "rtl",
    };
    let svg = if is_period(by) {
        chart::line_chart(&text, &bars, ind.kind)
    } else {
        chart::bar_chart(&text, &bars, ind.kind)
    };
    let cells = bars
        .iter()
        .map(|b| Cell {
            label: b.label.clone(),
            value: show(c, b.value, ind.kind),
        })
        .collect();
    IndicatorBlock {
        code: ind.code.to_string(),
        definition: c.t(&format!("{id}-def")),
        headline: match margin(report, ind.code) {
            Some(v) => show(c, v, ind.kind),
            None => c.t("reports-no-value"),
        },
        name,
        svg,
        cells,
    }
}

/// The whole-window value of an indicator: `Some(None)` when it is suppressed, `None` when the
/// report has no such cell (a stock cut by period has no sum over the periods), which must not
/// read as "suppressed".
fn margin(report: &Report, code: &str) -> Option<Option<f64>> {
    let (from, to) = (format_date(report.from), format_date(report.to));
    report
        .tables
        .iter()
        .filter(|t| t.indicator == code)
        .flat_map(|t| &t.rows)
        .find(|r| r.labels.iter().all(Option::is_none) && r.date_start == from && r.date_end == to)
        .map(|r| chart::number(&r.value))
}

fn status_words(c: &Chrome, s: Option<Status>) -> (String, &'static str) {
    match s {
        Some(Status::OnTrack) => (c.t("pledge-on-track"), "on-track"),
        Some(Status::AtRisk) => (c.t("pledge-at-risk"), "at-risk"),
        Some(Status::OffTrack) => (c.t("pledge-off-track"), "off-track"),
        None => (c.t("pledge-unknown"), "unknown"),
    }
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// The area's pledges with their progress over the user's scope (one more audited read, for
/// the current values over the last 365 days).
async fn pledge_rows(
    state: &AppState,
    user: &UiUser,
    c: &Chrome,
    area: Area,
) -> Result<(Vec<PledgeRow>, String), UiError> {
    let all: Vec<PledgeRecord> = state
        .store
        .pledges(&user.actor)
        .await
        .map_err(|e| user.err(e))?
        .into_iter()
        .filter(|p| p.doc.area == area.number())
        .collect();
    let (from, to) = tracker::current_window(state.store.clock().today());
    let window = format!("{} – {}", c.lang.date(from), c.lang.date(to));
    if all.is_empty() {
        return Ok((Vec::new(), window));
    }
    let codes: Vec<&str> = all.iter().map(|p| p.doc.indicator.as_str()).collect();
    let (_, to, report) = crate::reports::current_values(state, &user.actor, &codes)
        .await
        .map_err(|e| user.err(e))?;
    let mut rows = Vec::new();
    for rec in &all {
        let pledge = rec.pledge().map_err(|e| user.err(e))?;
        let kind = haven_report::indicator(&rec.doc.indicator).map_or(Kind::Count, |i| i.kind);
        let current = tracker::headline(&report, &rec.doc.indicator);
        let (status, status_class) =
            status_words(c, current.map(|v| tracker::progress(&pledge, v, to).status));
        rows.push(PledgeRow {
            who: format!("{} ({})", rec.doc.name, c.code("party", &rec.doc.party)),
            indicator: c.t(&indicator_id(&rec.doc.indicator)),
            baseline: number(rec.doc.baseline),
            target: number(rec.doc.target),
            due: c.date(&rec.doc.due_date),
            current: show(c, current, kind),
            status,
            status_class,
        });
    }
    Ok((rows, window))
}

async fn area_page(
    state: &AppState,
    user: &UiUser,
    number: u8,
    raw_query: Option<&str>,
    pledge: Option<(PledgeForm, FieldErrors)>,
) -> Result<Response, UiError> {
    let area = area_of(user, &number.to_string())?;
    let area_name = user.lang.t(&format!("report-area-{number}"));
    let c = user.chrome(area_name.clone());
    let q = Period::of(raw_query, state.store.clock().today());
    let mut blocks = Vec::new();
    let errors = match q.dates(&c) {
        Err(e) => e,
        Ok((from, to)) => {
            let ask = Ask {
                area: &number.to_string(),
                indicator: None,
                from,
                to,
                by: &q.by,
                threshold: None,
            };
            match crate::reports::view_report(state, &user.actor, &ask).await {
                Ok(report) => {
                    blocks = indicators_of(area)
                        .map(|i| block(&c, i, &report, &q.by))
                        .collect();
                    FieldErrors::default()
                }
                Err(ApiError::Validation(p)) => FieldErrors::from_problems(c.lang, &p, FIELDS),
                Err(e) => return Err(user.err(e)),
            }
        }
    };
    let (pledges, window) = pledge_rows(state, user, &c, area).await?;
    let exports = if user.actor.permissions.contains(Permission::ReportExport) {
        ["csv", "hxl", "xlsx"]
            .into_iter()
            .map(|f| (f.to_uppercase(), q.link(number, f)))
            .collect()
    } else {
        Vec::new()
    };
    let failed = !errors.is_empty() || pledge.as_ref().is_some_and(|(_, e)| !e.is_empty());
    let (pledge_form, pledge_errors) = match pledge {
        _ if !user.actor.permissions.contains(Permission::PledgeManage) => {
            (None, FieldErrors::default())
        }
        Some((f, e)) => (Some(f), e),
        None => (Some(PledgeForm::default()), FieldErrors::default()),
    };
    let mut choices: Vec<Choice> = indicators_of(area)
        .map(|i| Choice {
            code: i.code.to_string(),
            name: c.t(&indicator_id(i.code)),
        })
        .collect();
    // A code that is not the area's is kept as typed, next to its error.
    if let Some(f) = &pledge_form
        && !f.indicator.is_empty()
        && !choices.iter().any(|x| x.code == f.indicator)
    {
        choices.push(Choice {
            code: f.indicator.clone(),
            name: f.indicator.clone(),
        });
    }
    let mut resp = html(&AreaPage {
        c,
        number,
        area: area_name,
        q,
        errors,
        dimensions: DIMENSIONS,
        blocks,
        pledges,
        window,
        exports,
        pledge_form,
        pledge_errors,
        choices,
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

pub async fn area(
    State(state): State<AppState>,
    user: UiUser,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, UiError> {
    user.require(Permission::ReportRead)?;
    let area = area_of(&user, &raw)?;
    area_page(&state, &user, area.number(), query.as_deref(), None).await
}

impl PledgeForm {
    fn from(f: &FormData) -> Self {
        let g = |n: &str| f.get(n).trim().to_string();
        Self {
            party: g("party"),
            name: g("name"),
            indicator: g("indicator"),
            baseline: g("baseline"),
            target: g("target"),
            baseline_date: g("baseline_date"),
            due_date: g("due_date"),
            notes: g("notes"),
        }
    }

    /// The pledge, and the problems the form itself sees (a number that is missing or is none).
    fn doc(&self, area: Area) -> (PledgeDoc, Problems) {
        let mut p = Problems::new();
        let mut num = |field: &str, raw: &str| match raw.replace(',', ".").parse::<f64>() {
            _ if raw.is_empty() => {
                p.push(field, "is required");
                0.0
            }
            Ok(v) if v.is_finite() => v,
            _ => {
                p.push(field, "must be a number");
                0.0
            }
        };
        let baseline = num("baseline", &self.baseline);
        let target = num("target", &self.target);
        for (field, raw) in [
            ("baseline_date", &self.baseline_date),
            ("due_date", &self.due_date),
        ] {
            if raw.is_empty() {
                p.push(field, "is required");
            } else if parse_date(raw).is_err() {
                p.push(field, BAD_DATE);
            }
        }
        if !indicators_of(area).any(|i| i.code == self.indicator) {
            p.push("indicator", "is not an indicator of this area");
        }
        let doc = PledgeDoc {
            party: self.party.clone(),
            name: self.name.clone(),
            area: area.number(),
            indicator: self.indicator.clone(),
            baseline,
            target,
            baseline_date: self.baseline_date.clone(),
            due_date: self.due_date.clone(),
            notes: (!self.notes.is_empty()).then(|| self.notes.clone()),
        };
        (doc, p)
    }

    pub fn chose(&self, field: &str, value: &str) -> bool {
        match field {
            "party" => self.party == value,
            _ => self.indicator == value,
        }
    }
}

pub async fn create_pledge(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> Result<Response, UiError> {
    let user = posted.user;
    user.require(Permission::PledgeManage)?;
    let area = area_of(&user, &raw)?;
    let f = PledgeForm::from(&posted.form);
    let (doc, mut problems) = f.doc(area);
    let result = if problems.is_empty() {
        state.store.create_pledge(&user.actor, doc).await
    } else {
        // Every problem at once: the store's own rules are checked too, writing nothing.
        if let Err(more) = haven_store::reporting::validate_pledge(&doc) {
            for e in more.into_errors() {
                if !problems.errors().iter().any(|x| x.path == e.path) {
                    problems.push(e.path, e.problem);
                }
            }
        }
        Err(StoreError::Invalid(problems))
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/reports/{}#pledges", area.number()))),
        Err(StoreError::Invalid(p)) => {
            let errors = FieldErrors::from_problems(user.lang, &p, PLEDGE_FIELDS);
            area_page(&state, &user, area.number(), None, Some((f, errors))).await
        }
        Err(e) => Err(user.err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::Lang;

    #[test]
    fn every_area_and_indicator_has_words_in_every_language() {
        for lang in Lang::ALL {
            for a in Area::ALL {
                assert!(lang.has(&format!("report-area-{}", a.number())), "{lang:?}");
            }
            for i in haven_report::catalogue::CATALOGUE {
                let id = indicator_id(i.code);
                assert!(lang.has(&id), "{lang:?} {id}");
                assert!(lang.has(&format!("{id}-def")), "{lang:?} {id}-def");
            }
        }
    }

    #[test]
    fn every_offered_disaggregation_is_one_the_engine_knows_and_has_words() {
        for d in DIMENSIONS {
            assert!(haven_report::Dimension::parse(d).is_ok(), "{d}");
            for lang in Lang::ALL {
                assert!(lang.has(&format!("reports-dim-{d}")), "{lang:?} {d}");
            }
        }
    }

    #[test]
    fn the_english_names_are_the_catalogues() {
        for i in haven_report::catalogue::CATALOGUE {
            assert_eq!(Lang::En.t(&indicator_id(i.code)), i.name);
            assert_eq!(
                Lang::En.t(&format!("{}-def", indicator_id(i.code))),
                i.definition
            );
        }
    }

    #[test]
    fn a_missing_whole_period_value_is_not_called_suppressed() {
        use haven_report::{Row, Value};
        use time::macros::date;
        let row = |labels: Vec<Option<String>>, start: &str, count| Row {
            labels,
            date_start: start.into(),
            date_end: "2026-06-30".into(),
            value: Value::Count { count },
        };
        let report = |rows| Report {
            from: date!(2026 - 01 - 01),
            to: date!(2026 - 06 - 30),
            threshold: 4,
            tables: vec![Table {
                indicator: "det_placements",
                name: "",
                area: 2,
                kind: Kind::Count,
                dimensions: vec!["sex".into()],
                dims: vec![],
                rows,
            }],
        };
        let female = row(vec![Some("female".into())], "2026-01-01", None);
        let whole = report(vec![female.clone(), row(vec![None], "2026-01-01", None)]);
        assert_eq!(margin(&whole, "det_placements"), Some(None), "suppressed");
        let shown = report(vec![row(vec![None], "2026-01-01", Some(12))]);
        assert_eq!(margin(&shown, "det_placements"), Some(Some(12.0)));
        let by_period = report(vec![row(vec![None], "2026-04-01", Some(3))]);
        assert_eq!(margin(&by_period, "det_placements"), None, "no such cell");
    }

    #[test]
    fn inverted_dates_are_a_problem_of_the_from_field() {
        let q = Period {
            from: "2026-06-01".into(),
            to: "2026-01-01".into(),
            by: "sex".into(),
        };
        let c = Chrome::public(Lang::Fr, "reports-title", "/reports/1");
        let e = q.dates(&c).err().unwrap_or_default();
        assert_eq!(e.of("from"), Lang::Fr.t("reports-error-inverted"));
        let bad_by = Period {
            by: "shoe".into(),
            ..Period::of(None, time::macros::date!(2026 - 03 - 01))
        };
        assert!(bad_by.dates(&c).err().unwrap_or_default().has("by"));
    }
}
