//! Drivers and route (commitment 5): why the child left (several reasons from the `drivers` code
//! list) and the places on the way, as a timeline: the origin first, transit places, the
//! destination last, each with a P-code or a name and, where known, when the child arrived and
//! left. Dates may be partial (a month, a year) and must run forward.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::case::{Location, location};
use crate::dates::PartialDate;
use crate::problems::Problems;

use super::check::{limit, listed_all, partial, partial_not_before, required_code};
use super::codes::DRIVERS;
use super::wire_enum;

wire_enum!(StopKind {
    Origin = "origin",
    Transit = "transit",
    Destination = "destination",
});

/// The child's reasons for leaving and route, as the API takes it and the store keeps it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RouteDoc {
    /// Codes from the `drivers` list (multi-select): conflict, persecution, poverty,
    /// disaster_climate, family_reasons, education, work, …
    #[serde(default)]
    pub drivers: Vec<String>,
    /// In the order travelled.
    #[serde(default)]
    pub places: Vec<RoutePlaceDoc>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RoutePlaceDoc {
    /// origin | transit | destination
    #[serde(default)]
    pub kind: String,
    /// A P-code, a name, or both.
    #[serde(default)]
    pub place: Location,
    /// YYYY-MM-DD, YYYY-MM or YYYY; not in the future. Absent for the origin.
    #[serde(default)]
    pub arrived: Option<String>,
    /// Absent while the child is still there (or for a destination not yet reached).
    #[serde(default)]
    pub left: Option<String>,
}

/// Checks drivers and route, reporting every problem with its path (`places.2.arrived`).
pub fn validate(doc: RouteDoc, today: Date) -> Result<RouteDoc, Problems> {
    let mut p = Problems::new();
    let drivers = listed_all(&mut p, "drivers", &doc.drivers, DRIVERS);
    let mut places = Vec::new();
    let mut kinds: Vec<Option<StopKind>> = Vec::new();
    // The last date seen along the route, to check that the next one does not come before it.
    let mut previous: Option<(PartialDate, String)> = None;
    let n = doc.places.len();
    for (i, s) in limit(&mut p, "places", &doc.places).iter().enumerate() {
        let at = |f: &str| format!("places.{i}.{f}");
        let kind = required_code(&mut p, &at("kind"), &s.kind, StopKind::parse);
        match kind {
            Some(StopKind::Origin) if i != 0 => p.push(at("kind"), "the origin comes first"),
            Some(StopKind::Destination) if i + 1 != n => {
                p.push(at("kind"), "the destination comes last")
            }
            _ => {}
        }
        if kind == Some(StopKind::Origin)
            && s.arrived.as_deref().is_some_and(|a| !a.trim().is_empty())
        {
            p.push(at("arrived"), "the origin has no arrival, only a departure");
        }
        kinds.push(kind);
        let place = location(&mut p, &at("place"), &s.place);
        if place.is_none() && p.errors().iter().all(|e| !e.path.starts_with(&at("place"))) {
            p.push(at("place"), "a P-code or a name is required");
        }
        let arrived = partial(&mut p, &at("arrived"), s.arrived.as_deref(), today);
        let left = partial(&mut p, &at("left"), s.left.as_deref(), today);
        if let Some((before, name)) = &previous {
            partial_not_before(&mut p, &at("arrived"), Some(*before), arrived, name);
        }
        partial_not_before(&mut p, &at("left"), arrived, left, "arrived");
        if let Some(d) = left.or(arrived) {
            let which = if left.is_some() { "left" } else { "arrived" };
            previous = Some((d, format!("places.{i}.{which}")));
        }
        places.push(RoutePlaceDoc {
            kind: kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
            place: place.unwrap_or_default(),
            arrived: arrived.map(|d| d.to_string()),
            left: left.map(|d| d.to_string()),
        });
    }
    if kinds
        .iter()
        .filter(|k| **k == Some(StopKind::Origin))
        .count()
        > 1
    {
        p.push("places", "a route has one origin");
    }
    p.into_result(RouteDoc { drivers, places })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems::from_json;
    use serde_json::json;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    fn paths(p: &Problems) -> Vec<&str> {
        p.errors().iter().map(|e| e.path.as_str()).collect()
    }

    #[test]
    fn a_route_from_origin_to_destination() {
        let doc: RouteDoc = from_json(json!({
            "drivers": ["conflict", "Poverty", "conflict"],
            "places": [
                {"kind": "origin", "place": {"pcode": "af24", "name": "Kandahar"}, "left": "2025-03"},
                {"kind": "transit", "place": {"pcode": "ir"}, "arrived": "2025-03-20", "left": "2025-06"},
                {"kind": "transit", "place": {"pcode": "tr34"}, "arrived": "2025-06", "left": "2026-02-01"},
                {"kind": "destination", "place": {"name": "Athens"}, "arrived": "2026-02"},
            ],
        }))
        .unwrap();
        let v = validate(doc, TODAY).unwrap();
        assert_eq!(v.drivers, ["conflict", "poverty"]);
        assert_eq!(v.places[1].place.pcode.as_deref(), Some("IR"));
        assert_eq!(v.places[0].left.as_deref(), Some("2025-03"));
    }

    #[test]
    fn dates_run_forward_and_every_problem_is_named() {
        let doc: RouteDoc = from_json(json!({
            "drivers": ["boredom"],
            "places": [
                {"kind": "transit", "place": {"pcode": "LY"}, "arrived": "2025-05", "left": "2025-04"},
                {"kind": "origin", "place": {}, "arrived": "2024"},
                {"kind": "destination", "place": {"pcode": "IT"}, "arrived": "2025-01"},
                {"kind": "stopover", "place": {"pcode": "MT"}, "arrived": "2030"},
            ],
        }))
        .unwrap();
        assert_eq!(
            paths(&validate(doc, TODAY).unwrap_err()),
            [
                "drivers.0",
                "places.0.left",
                "places.1.kind",
                "places.1.arrived",
                "places.1.place",
                "places.1.arrived",
                "places.2.kind",
                "places.3.kind",
                "places.3.arrived",
            ]
        );
    }
}
