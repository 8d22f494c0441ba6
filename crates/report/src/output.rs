//! Writing a report: CSV (with a BOM so Excel reads UTF-8), HXL (CSV with a hashtag row), XLSX
//! and JSON. One long-format layout for all: a row per cell or margin, a column per dimension
//! (`total` where the row sums over it), the dates the row covers, then the value columns.
//! Suppressed values are written as `*`.

use std::io::Write;

use crate::dims::Dimension;
use crate::error::ReportError;
use crate::table::{Report, Value};

pub const SUPPRESSED: &str = "*";
const TOTAL: &str = "total";

/// A flat view of the report, shared by every format.
struct Sheet {
    header: Vec<String>,
    hxl: Vec<String>,
    rows: Vec<Vec<Field>>,
}

enum Field {
    Text(String),
    Number(f64),
    Suppressed,
    Empty,
}

impl Field {
    fn text(&self) -> String {
        match self {
            Field::Text(s) => neutralise(s),
            Field::Number(n) => {
                if n.fract() == 0.0 {
                    format!("{n:.0}")
                } else {
                    format!("{n}")
                }
            }
            Field::Suppressed => SUPPRESSED.into(),
            Field::Empty => String::new(),
        }
    }
}

/// Spreadsheets run cells that start with `=`, `+`, `-` or `@` (and tab or CR) as formulas;
/// a leading apostrophe makes them text.
pub fn neutralise(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn sheet(report: &Report) -> Sheet {
    let mut dims: Vec<Dimension> = Vec::new();
    for t in &report.tables {
        for d in &t.dims {
            if !matches!(d, Dimension::Period(_)) && !dims.contains(d) {
                dims.push(*d);
            }
        }
    }
    dims.sort_by_key(|d| d.order());
    let mut header: Vec<String> = [
        "indicator_code",
        "indicator",
        "area",
        "date_start",
        "date_end",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut hxl: Vec<String> = [
        "#indicator+code",
        "#indicator+name",
        "#sector+area",
        "#date+start",
        "#date+end",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for d in &dims {
        header.push(d.name());
        hxl.push(d.hxl());
    }
    header.extend(["value", "numerator", "denominator", "n"].map(String::from));
    hxl.extend(
        [
            "#indicator+value",
            "#affected+children+num",
            "#affected+children+denom",
            "#affected+children+n",
        ]
        .map(String::from),
    );
    let opt = |v: Option<u64>| v.map_or(Field::Suppressed, |x| Field::Number(x as f64));
    let mut rows = Vec::new();
    for t in &report.tables {
        for r in &t.rows {
            let mut row = vec![
                Field::Text(t.indicator.into()),
                Field::Text(t.name.into()),
                Field::Number(f64::from(t.area)),
                Field::Text(r.date_start.clone()),
                Field::Text(r.date_end.clone()),
            ];
            for d in &dims {
                row.push(match t.dims.iter().position(|x| x == d) {
                    Some(i) => match r.labels.get(i).cloned().flatten() {
                        Some(l) => Field::Text(l),
                        None => Field::Text(TOTAL.into()),
                    },
                    None => Field::Empty,
                });
            }
            match &r.value {
                Value::Count { count } => {
                    row.extend([opt(*count), Field::Empty, Field::Empty, Field::Empty])
                }
                Value::Percent {
                    numerator,
                    denominator,
                    percent,
                } => row.extend([
                    percent.map_or(Field::Suppressed, Field::Number),
                    opt(*numerator),
                    opt(*denominator),
                    Field::Empty,
                ]),
                Value::MedianDays { n, median } => row.extend([
                    median.map_or(Field::Suppressed, Field::Number),
                    Field::Empty,
                    Field::Empty,
                    opt(*n),
                ]),
            }
            rows.push(row);
        }
    }
    Sheet { header, hxl, rows }
}

fn write_csv(report: &Report, out: &mut impl Write, with_hxl: bool) -> Result<(), ReportError> {
    let s = sheet(report);
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut w = csv::Writer::from_writer(out);
    let err = |e: csv::Error| ReportError::Write(e.to_string());
    w.write_record(&s.header).map_err(err)?;
    if with_hxl {
        w.write_record(&s.hxl).map_err(err)?;
    }
    for r in &s.rows {
        w.write_record(r.iter().map(Field::text)).map_err(err)?;
    }
    w.flush()?;
    Ok(())
}

/// CSV for spreadsheets: a UTF-8 byte-order mark, a header row, then data.
pub fn to_csv(report: &Report, out: &mut impl Write) -> Result<(), ReportError> {
    write_csv(report, out, false)
}

/// HXL: the header row, the hashtag row (`#adm1+code`, `#date+start`, `#indicator+code`, …),
/// then data.
pub fn to_hxl(report: &Report, out: &mut impl Write) -> Result<(), ReportError> {
    write_csv(report, out, true)
}

/// The report as JSON (what the API returns).
pub fn to_json(report: &Report, out: &mut impl Write) -> Result<(), ReportError> {
    serde_json::to_writer_pretty(&mut *out, report)
        .map_err(|e| ReportError::Write(e.to_string()))?;
    out.write_all(b"\n")?;
    Ok(())
}

/// One worksheet with the header, the HXL row and the data, numbers as numbers.
pub fn to_xlsx(report: &Report, out: &mut impl Write) -> Result<(), ReportError> {
    use rust_xlsxwriter::Workbook;
    let s = sheet(report);
    let err = |e: rust_xlsxwriter::XlsxError| ReportError::Write(e.to_string());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("report").map_err(err)?;
    for (row, line) in [&s.header, &s.hxl].into_iter().enumerate() {
        for (col, h) in line.iter().enumerate() {
            ws.write_string(row as u32, col as u16, h).map_err(err)?;
        }
    }
    for (i, r) in s.rows.iter().enumerate() {
        let row = i as u32 + 2;
        for (col, f) in r.iter().enumerate() {
            let col = col as u16;
            match f {
                // Written as string cells, never as formulas: no neutralising needed here.
                Field::Text(t) => {
                    ws.write_string(row, col, t).map_err(err)?;
                }
                Field::Number(n) => {
                    ws.write_number(row, col, *n).map_err(err)?;
                }
                Field::Suppressed => {
                    ws.write_string(row, col, SUPPRESSED).map_err(err)?;
                }
                Field::Empty => {}
            }
        }
    }
    let buf = wb.save_to_buffer().map_err(err)?;
    out.write_all(&buf)?;
    Ok(())
}

/// The formats by name, as the CLI's `--format` takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Hxl,
    Xlsx,
    Json,
}

impl Format {
    pub fn parse(raw: &str) -> Result<Self, ReportError> {
        match raw.trim() {
            "csv" => Ok(Self::Csv),
            "hxl" => Ok(Self::Hxl),
            "xlsx" => Ok(Self::Xlsx),
            "json" => Ok(Self::Json),
            other => Err(ReportError::UnknownFormat(other.to_string())),
        }
    }

    pub fn write(self, report: &Report, out: &mut impl Write) -> Result<(), ReportError> {
        match self {
            Self::Csv => to_csv(report, out),
            Self::Hxl => to_hxl(report, out),
            Self::Xlsx => to_xlsx(report, out),
            Self::Json => to_json(report, out),
        }
    }
}
