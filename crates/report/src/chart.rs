//! Charts as SVG text, for the dashboard: a column chart of one indicator across a dimension
//! (sex, age group, nationality, …) and a line chart across periods. Hand-written rather than
//! drawn with `plotters`: its SVG backend lays text out with its own font stack (and renders to
//! paths unless told not to), which would drag fonts into the build and shape Arabic wrongly;
//! here every word is an SVG `<text>` the browser shapes, so all four languages and right to
//! left work with the page's own fonts.
//!
//! Labels come in already translated (the caller owns Fluent); `rtl` mirrors the layout (first
//! category on the right, value axis on the right). Suppressed cells are drawn as hatched
//! placeholder columns (or gaps in the line) marked with the caller's "suppressed" word, never
//! as zero. Each chart is an accessible image: `role="img"`, `aria-labelledby` a `<title>` and a
//! `<desc>` that lists every value in words.

use std::fmt::Write;

use crate::catalogue::Kind;
use crate::table::{Table, Value};

/// One column or point: its label and value (`None` = suppressed).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
}

/// What the caller says about a chart, in the reader's language.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartText {
    /// A prefix for element ids, unique on the page (several charts share a dashboard).
    pub id: String,
    pub title: String,
    /// The word drawn on a suppressed column, e.g. "suppressed", "masqué", "محجوب".
    pub suppressed: String,
    pub rtl: bool,
}

/// The number a value shows: a count, a percentage or a median; `None` when suppressed.
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Count { count } => count.map(|c| c as f64),
        Value::Percent { percent, .. } => *percent,
        Value::MedianDays { median, .. } => *median,
    }
}

/// The columns of `table` along its dimension `dim`: the rows where that dimension has a value
/// and every other is at its total (the margins), in the table's order. `label` translates a
/// code (`female`, `12-17`, `2026-Q1`) for the reader.
pub fn bars(table: &Table, dim: usize, label: impl Fn(&str) -> String) -> Vec<Bar> {
    table
        .rows
        .iter()
        .filter(|r| {
            r.labels
                .iter()
                .enumerate()
                .all(|(i, l)| (i == dim) == l.is_some())
        })
        .filter_map(|r| {
            r.labels.get(dim).and_then(Option::as_deref).map(|l| Bar {
                label: label(l),
                value: number(&r.value),
            })
        })
        .collect()
}

const W: f64 = 640.0;
const H: f64 = 320.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 56.0;
const SIDE: f64 = 48.0;
/// The height of a suppressed column's placeholder.
const PLACEHOLDER: f64 = 28.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn show(v: f64, kind: Kind) -> String {
    match kind {
        Kind::Count => format!("{v:.0}"),
        Kind::Percent => format!("{v:.1}%"),
        _ => format!("{v:.1}"),
    }
}

/// The axis top: a round number at or above the largest value (100 for percentages).
fn axis_max(bars: &[Bar], kind: Kind) -> f64 {
    let max = bars.iter().filter_map(|b| b.value).fold(0.0_f64, f64::max);
    if kind == Kind::Percent {
        return 100.0;
    }
    if max <= 0.0 {
        return 1.0;
    }
    let step = 10f64.powf(max.log10().floor());
    (max / step).ceil() * step
}

struct Frame {
    x0: f64,
    plot_w: f64,
    max: f64,
    rtl: bool,
}

impl Frame {
    /// The x of slot `i` of `n` (its centre), mirrored for right to left.
    fn x(&self, i: usize, n: usize) -> f64 {
        let slot = self.plot_w / n.max(1) as f64;
        let pos = slot * (i as f64 + 0.5);
        if self.rtl {
            self.x0 + self.plot_w - pos
        } else {
            self.x0 + pos
        }
    }

    fn y(&self, v: f64) -> f64 {
        H - BOTTOM - (v / self.max).clamp(0.0, 1.0) * (H - TOP - BOTTOM)
    }
}

/// The frame, title, description, hatch pattern and value axis every chart shares.
fn open(text: &ChartText, bars: &[Bar], kind: Kind) -> (String, Frame) {
    let id = esc(&text.id);
    let desc: Vec<String> = bars
        .iter()
        .map(|b| {
            format!(
                "{}: {}",
                b.label,
                b.value
                    .map_or_else(|| text.suppressed.clone(), |v| show(v, kind))
            )
        })
        .collect();
    let frame = Frame {
        x0: SIDE,
        plot_w: W - 2.0 * SIDE,
        max: axis_max(bars, kind),
        rtl: text.rtl,
    };
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{id}-title {id}-desc" direction="{dir}" font-family="inherit" font-size="12">"#,
        dir = if text.rtl { "rtl" } else { "ltr" }
    );
    let _ = write!(
        s,
        r#"<title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        esc(&text.title),
        esc(&desc.join("; "))
    );
    let _ = write!(
        s,
        r#"<defs><pattern id="{id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="currentColor" stroke-width="1.5" opacity="0.5"/></pattern></defs>"#
    );
    // The title at the reading start: left, or right when right to left (`start` follows
    // `direction`).
    let tx = if text.rtl { W - 8.0 } else { 8.0 };
    let _ = write!(
        s,
        r#"<text x="{tx}" y="20" text-anchor="start" font-size="14" font-weight="bold">{}</text>"#,
        esc(&text.title)
    );
    let (axis_x, anchor) = if text.rtl {
        (frame.x0 + frame.plot_w, "start")
    } else {
        (frame.x0, "end")
    };
    for k in 0..=4 {
        let v = frame.max * f64::from(k) / 4.0;
        let y = frame.y(v);
        let _ = write!(
            s,
            r#"<line x1="{}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="currentColor" opacity="0.15"/><text x="{:.1}" y="{:.1}" text-anchor="{anchor}" direction="ltr" opacity="0.7">{}</text>"#,
            frame.x0,
            frame.x0 + frame.plot_w,
            if text.rtl { axis_x + 4.0 } else { axis_x - 4.0 },
            y + 4.0,
            esc(&show(v, kind))
        );
    }
    (s, frame)
}

fn category_label(s: &mut String, x: f64, label: &str) {
    let _ = write!(
        s,
        r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        H - BOTTOM + 18.0,
        esc(label)
    );
}

fn placeholder(s: &mut String, text: &ChartText, x: f64, width: f64) {
    let y = H - BOTTOM - PLACEHOLDER;
    let _ = write!(
        s,
        r#"<g class="suppressed"><rect x="{:.1}" y="{y:.1}" width="{width:.1}" height="{PLACEHOLDER}" fill="url(#{}-hatch)" stroke="currentColor" stroke-dasharray="3 2" opacity="0.8"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-style="italic">{}</text></g>"#,
        x - width / 2.0,
        esc(&text.id),
        y - 4.0,
        esc(&text.suppressed)
    );
}

/// A column chart: one column per bar, its value written above it.
pub fn bar_chart(text: &ChartText, bars: &[Bar], kind: Kind) -> String {
    let (mut s, f) = open(text, bars, kind);
    let n = bars.len();
    let width = (f.plot_w / n.max(1) as f64 * 0.6).min(72.0);
    for (i, b) in bars.iter().enumerate() {
        let x = f.x(i, n);
        match b.value {
            Some(v) => {
                let y = f.y(v);
                let _ = write!(
                    s,
                    r#"<rect x="{:.1}" y="{y:.1}" width="{width:.1}" height="{:.1}" fill="currentColor" opacity="0.75"><title>{}: {}</title></rect><text x="{x:.1}" y="{:.1}" text-anchor="middle" direction="ltr">{}</text>"#,
                    x - width / 2.0,
                    H - BOTTOM - y,
                    esc(&b.label),
                    esc(&show(v, kind)),
                    y - 4.0,
                    esc(&show(v, kind))
                );
            }
            None => placeholder(&mut s, text, x, width),
        }
        category_label(&mut s, x, &b.label);
    }
    s.push_str("</svg>");
    s
}

/// A line across periods (given in time order; drawn right to left when `rtl`). A suppressed
/// period breaks the line and is marked where its point would be.
pub fn line_chart(text: &ChartText, points: &[Bar], kind: Kind) -> String {
    let (mut s, f) = open(text, points, kind);
    let n = points.len();
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (i, p) in points.iter().enumerate() {
        let x = f.x(i, n);
        match p.value {
            Some(v) => {
                let y = f.y(v);
                if let Some(run) = runs.last_mut() {
                    run.push((x, y));
                }
                let _ = write!(
                    s,
                    r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="currentColor"><title>{}: {}</title></circle>"#,
                    esc(&p.label),
                    esc(&show(v, kind))
                );
            }
            None => {
                runs.push(Vec::new());
                placeholder(&mut s, text, x, 10.0);
            }
        }
        category_label(&mut s, x, &p.label);
    }
    for run in runs.iter().filter(|r| r.len() > 1) {
        let pts: Vec<String> = run.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="currentColor" stroke-width="2"/>"#,
            pts.join(" ")
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn text(rtl: bool) -> ChartText {
        ChartText {
            id: "det".into(),
            title: "أطفال في الاحتجاز <now>".into(),
            suppressed: "محجوب".into(),
            rtl,
        }
    }

    fn sample() -> Vec<Bar> {
        vec![
            Bar {
                label: "female".into(),
                value: Some(12.0),
            },
            Bar {
                label: "male".into(),
                value: None,
            },
            Bar {
                label: "other & unknown".into(),
                value: Some(30.0),
            },
        ]
    }

    #[test]
    fn a_bar_chart_is_an_accessible_image_with_suppressed_cells_marked() {
        let svg = bar_chart(&text(false), &sample(), Kind::Count);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"aria-labelledby="det-title det-desc""#));
        // Text stays text (shaped by the browser), escaped.
        assert!(svg.contains("<title id=\"det-title\">أطفال في الاحتجاز &lt;now&gt;</title>"));
        assert!(svg.contains("other &amp; unknown"));
        assert!(svg.contains("female: 12; male: محجوب; other &amp; unknown: 30"));
        assert_eq!(svg.matches(r#"class="suppressed""#).count(), 1);
        assert_eq!(
            svg.matches("<rect").count(),
            3,
            "two columns and one placeholder"
        );
    }

    #[test]
    fn right_to_left_mirrors_the_categories() {
        let x_of = |svg: &str, label: &str| -> f64 {
            let at = svg.find(&format!(">{label}</text>")).unwrap();
            let start = svg[..at].rfind("<text x=\"").unwrap() + 9;
            svg[start..].split('"').next().unwrap().parse().unwrap()
        };
        let ltr = bar_chart(&text(false), &sample(), Kind::Count);
        let rtl = bar_chart(&text(true), &sample(), Kind::Count);
        assert!(x_of(&ltr, "female") < x_of(&ltr, "male"));
        assert!(x_of(&rtl, "female") > x_of(&rtl, "male"));
        assert!((x_of(&ltr, "female") + x_of(&rtl, "female") - W).abs() < 0.2);
        assert!(rtl.contains(r#"direction="rtl""#));
    }

    #[test]
    fn a_line_breaks_at_a_suppressed_period() {
        let pts: Vec<Bar> = [Some(40.0), Some(35.0), None, Some(20.0), Some(12.5)]
            .into_iter()
            .enumerate()
            .map(|(i, v)| Bar {
                label: format!("2026-Q{}", i + 1),
                value: v,
            })
            .collect();
        let svg = line_chart(&text(false), &pts, Kind::Percent);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 4);
        assert!(svg.contains("100.0%"), "percent axis runs to 100");
    }

    #[test]
    fn bars_are_read_from_a_tables_margins() {
        use crate::engine::{Request, compute};
        use time::macros::date;
        let to = date!(2026 - 06 - 30);
        let facts = crate::synth::generate(3_000, 3, to);
        let ind = crate::catalogue::indicator("prot_open_cases").unwrap();
        let req = Request::new(
            date!(2026 - 01 - 01),
            to,
            vec![ind],
            vec![vec![crate::dims::Dimension::Sex]],
        )
        .unwrap();
        let report = compute(&facts, &req, &crate::Settings::default()).unwrap();
        let table = report
            .tables
            .iter()
            .find(|t| t.dimensions.len() == 2)
            .unwrap_or(&report.tables[0]);
        let sex = table.dimensions.iter().position(|d| d == "sex").unwrap();
        let b = bars(table, sex, |l| l.to_uppercase());
        assert!(!b.is_empty());
        assert!(b.iter().all(|x| x.label == x.label.to_uppercase()));
        let svg = bar_chart(&text(false), &b, ind.kind);
        assert!(svg.contains("FEMALE"));
    }
}
