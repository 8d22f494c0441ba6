//! The indicators for the six commitments: one const table, documented in
//! `docs/indicators.md` (a test keeps the two in step).

use crate::error::ReportError;

/// The six commitment areas of the Global Compact for Migration's child pledges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Protection = 1,
    Detention = 2,
    IdentityFamily = 3,
    Services = 4,
    RootCauses = 5,
    Discrimination = 6,
}

impl Area {
    pub const ALL: [Area; 6] = [
        Area::Protection,
        Area::Detention,
        Area::IdentityFamily,
        Area::Services,
        Area::RootCauses,
        Area::Discrimination,
    ];

    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn name(self) -> &'static str {
        match self {
            Area::Protection => "protection",
            Area::Detention => "detention",
            Area::IdentityFamily => "identity_family",
            Area::Services => "services",
            Area::RootCauses => "root_causes",
            Area::Discrimination => "discrimination",
        }
    }

    /// `1`..`6` or the area's name.
    pub fn parse(raw: &str) -> Result<Self, ReportError> {
        let s = raw.trim();
        Self::ALL
            .into_iter()
            .find(|a| s == a.name() || s == a.number().to_string())
            .ok_or_else(|| ReportError::UnknownArea(raw.to_string()))
    }
}

/// What an indicator's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A count of units.
    Count,
    /// numerator / denominator × 100.
    Percent,
    /// The median of a number of days over the units.
    MedianDays,
}

/// What is counted: a case, or something a case or an incident has several of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Case,
    Placement,
    DetentionSpell,
    TracingRequest,
    Referral,
    /// A case and one of its reasons for leaving.
    CaseReason,
    /// An incident and one child it affected.
    IncidentChild,
    /// An incident, one child it affected and one bias motivation.
    IncidentChildBias,
}

/// Whether values of consecutive periods add up to the value of the whole (a flow: things that
/// happened in the period) or not (a stock on the last day, a caseload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OverTime {
    Flow,
    Stock,
}

/// A breakdown every table of the indicator carries (open cases *by risk level*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Breakdown {
    Risk,
    Reason,
    Origin,
    Bias,
    Setting,
}

/// Whether a higher value is progress (for the commitments tracker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
}

/// One indicator of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct IndicatorDef {
    pub code: &'static str,
    pub name: &'static str,
    pub area: Area,
    pub kind: Kind,
    pub unit: Unit,
    pub over_time: OverTime,
    pub better: Better,
    pub breakdown: Option<Breakdown>,
    pub definition: &'static str,
    pub numerator: &'static str,
    /// Empty for counts and medians.
    pub denominator: &'static str,
    pub source_fields: &'static str,
}

use Area::*;
use Better::*;
use Kind::*;
use OverTime::*;

macro_rules! ind {
    ($code:literal, $name:literal, $area:expr, $kind:expr, $unit:expr, $ot:expr, $better:expr, $bd:expr,
     $def:literal, $num:literal, $den:literal, $src:literal) => {
        IndicatorDef {
            code: $code,
            name: $name,
            area: $area,
            kind: $kind,
            unit: $unit,
            over_time: $ot,
            better: $better,
            breakdown: $bd,
            definition: $def,
            numerator: $num,
            denominator: $den,
            source_fields: $src,
        }
    };
}

/// The catalogue. Windows are `[from, to]`, both days included; "open on d": registered on or
/// before d and not closed on or before d; "caseload": open on some day of the window.
pub const CATALOGUE: &[IndicatorDef] = &[
    ind!(
        "prot_open_cases",
        "Open cases by risk level",
        Protection,
        Count,
        Unit::Case,
        Stock,
        Higher,
        Some(Breakdown::Risk),
        "Cases open on the last day of the period, by risk level (unknown when not assessed).",
        "cases open on `to`",
        "",
        "registration_date, closed_on, risk"
    ),
    ind!(
        "prot_high_risk_assessed_in_time",
        "High-risk cases assessed within the response time",
        Protection,
        Percent,
        Unit::Case,
        Flow,
        Higher,
        None,
        "Share of high-risk cases registered in the period whose assessment was completed within the high-risk response time (default 24 hours).",
        "high-risk cases registered in the period with assessed_at - registered_at <= response time",
        "high-risk cases registered in the period",
        "risk, registration_date, registered_at, assessed_at"
    ),
    ind!(
        "prot_incidents_violence",
        "Children affected by violence",
        Protection,
        Count,
        Unit::IncidentChild,
        Flow,
        Lower,
        None,
        "Violence incidents dated in the period, counted once per child affected.",
        "(incident, child) pairs with category violence",
        "",
        "incident category, date, children"
    ),
    ind!(
        "prot_incidents_exploitation",
        "Children affected by exploitation",
        Protection,
        Count,
        Unit::IncidentChild,
        Flow,
        Lower,
        None,
        "Exploitation incidents (labour, sexual) dated in the period, counted once per child affected.",
        "(incident, child) pairs with category exploitation",
        "",
        "incident category, date, children"
    ),
    ind!(
        "prot_incidents_trafficking",
        "Children affected by trafficking",
        Protection,
        Count,
        Unit::IncidentChild,
        Flow,
        Lower,
        None,
        "Trafficking incidents dated in the period, counted once per child affected.",
        "(incident, child) pairs with category trafficking",
        "",
        "incident category, date, children"
    ),
    ind!(
        "det_in_immigration_detention",
        "Children in immigration detention now",
        Detention,
        Count,
        Unit::Case,
        Stock,
        Lower,
        None,
        "Children whose placement on the last day of the period is immigration detention (not released that day). The goal is zero.",
        "cases with an immigration_detention placement with start <= to and no end or end > to",
        "",
        "placements (type, start, end)"
    ),
    ind!(
        "det_placements",
        "Detention placements in the period",
        Detention,
        Count,
        Unit::Placement,
        Flow,
        Lower,
        None,
        "Placements in immigration detention or police custody starting in the period.",
        "detention placements with start in the period",
        "",
        "placements (type, start)"
    ),
    ind!(
        "det_median_days",
        "Median days detained",
        Detention,
        MedianDays,
        Unit::DetentionSpell,
        Flow,
        Lower,
        None,
        "Median length of detention spells (consecutive detention placements joined, first and last day counted) that ended in the period.",
        "days of each detention spell ending in the period",
        "",
        "placements (type, start, end)"
    ),
    ind!(
        "det_alternative_72h",
        "Detained children moved to an alternative within 72 h",
        Detention,
        Percent,
        Unit::DetentionSpell,
        Flow,
        Higher,
        None,
        "Share of detention spells starting in the period that ended within 3 days with a move to an alternative to detention (community care with case management).",
        "spells with end - start <= 3 days followed by an alternative placement starting on the end day or the next",
        "detention spells starting in the period",
        "placements (type, start, end)"
    ),
    ind!(
        "id_birth_registered",
        "Children with their birth registered",
        IdentityFamily,
        Percent,
        Unit::Case,
        Stock,
        Higher,
        None,
        "Share of the caseload whose birth is known to be registered (unknown counts as not registered).",
        "caseload with birth_registration = registered",
        "caseload",
        "birth_registration, registration_date, closed_on"
    ),
    ind!(
        "id_documents",
        "Children with identity documents",
        IdentityFamily,
        Percent,
        Unit::Case,
        Stock,
        Higher,
        None,
        "Share of the caseload holding at least one identity document.",
        "caseload with has_identity_documents",
        "caseload",
        "has_identity_documents, registration_date, closed_on"
    ),
    ind!(
        "fam_tracing_open",
        "Tracing requests open",
        IdentityFamily,
        Count,
        Unit::TracingRequest,
        Stock,
        Lower,
        None,
        "Tracing requests for the children open on the last day of the period.",
        "requests with opened <= to and no closed or closed > to",
        "",
        "tracing (opened, closed)"
    ),
    ind!(
        "fam_reunifications",
        "Reunifications",
        IdentityFamily,
        Count,
        Unit::Case,
        Flow,
        Higher,
        None,
        "Children reunified with their family in the period.",
        "cases with reunified_on in the period",
        "",
        "reunified_on"
    ),
    ind!(
        "fam_median_days_to_reunification",
        "Median days from tracing request to reunification",
        IdentityFamily,
        MedianDays,
        Unit::Case,
        Flow,
        Lower,
        None,
        "Median days from the child's first tracing request to reunification, over the reunifications of the period.",
        "reunified_on - earliest tracing opened (on or before reunification)",
        "",
        "reunified_on, tracing (opened)"
    ),
    ind!(
        "fam_uasc_family_care",
        "Unaccompanied and separated children in family-based care",
        IdentityFamily,
        Percent,
        Unit::Case,
        Stock,
        Higher,
        None,
        "Share of unaccompanied and separated children with an open case on the last day whose placement that day is family-based (parents, kinship, foster, kafala).",
        "of the denominator, those with a current family-based placement on `to`",
        "open cases on `to` with separation unaccompanied or separated",
        "separation, placements, registration_date, closed_on"
    ),
    ind!(
        "svc_school_enrolled",
        "School-age children enrolled",
        Services,
        Percent,
        Unit::Case,
        Stock,
        Higher,
        None,
        "Share of school-age children (default 6-17 on the last day) with an open case who are enrolled or attending school.",
        "of the denominator, enrolment enrolled or attending",
        "open cases on `to` of school age",
        "born, enrolment, registration_date, closed_on"
    ),
    ind!(
        "svc_health_service",
        "Children with a health service in the period",
        Services,
        Percent,
        Unit::Case,
        Stock,
        Higher,
        None,
        "Share of the caseload with a health service (default service type `health`) requested in the period and not declined or cancelled.",
        "caseload with such a service",
        "caseload",
        "services (service, status, requested_on)"
    ),
    ind!(
        "svc_referral_completion",
        "Referral completion rate",
        Services,
        Percent,
        Unit::Referral,
        Flow,
        Higher,
        None,
        "Share of referrals made in the period (cancelled ones left out) that are completed.",
        "referrals requested in the period with status completed",
        "referrals requested in the period, status not cancelled",
        "services (status, requested_on)"
    ),
    ind!(
        "root_reasons_for_leaving",
        "Reasons for leaving",
        RootCauses,
        Count,
        Unit::CaseReason,
        Flow,
        Higher,
        Some(Breakdown::Reason),
        "Children registered in the period, by reason for leaving: each reason a child gave counts once (`unknown` when none recorded), so a child may count under several reasons.",
        "(case, reason) pairs of cases registered in the period",
        "",
        "registration_date, reasons_for_leaving"
    ),
    ind!(
        "root_origin_area",
        "Children by area of origin",
        RootCauses,
        Count,
        Unit::Case,
        Flow,
        Higher,
        Some(Breakdown::Origin),
        "Children registered in the period, by area of origin (the country unless origin_adm1..4 is asked for).",
        "cases registered in the period",
        "",
        "registration_date, origin_pcode"
    ),
    ind!(
        "disc_incidents_by_bias",
        "Discrimination incidents by bias motivation",
        Discrimination,
        Count,
        Unit::IncidentChildBias,
        Flow,
        Lower,
        Some(Breakdown::Bias),
        "Discrimination or xenophobia incidents dated in the period, once per child affected and bias motivation.",
        "(incident, child, bias motivation) triples",
        "",
        "incident category, date, bias_motivations, children"
    ),
    ind!(
        "disc_incidents_by_setting",
        "Discrimination incidents by setting",
        Discrimination,
        Count,
        Unit::IncidentChild,
        Flow,
        Lower,
        Some(Breakdown::Setting),
        "Discrimination or xenophobia incidents dated in the period, once per child affected, by setting (school, health facility, police, ...).",
        "(incident, child) pairs",
        "",
        "incident category, date, setting, children"
    ),
];

/// An indicator by code.
pub fn indicator(code: &str) -> Result<&'static IndicatorDef, ReportError> {
    CATALOGUE
        .iter()
        .find(|i| i.code == code.trim())
        .ok_or_else(|| ReportError::UnknownIndicator(code.to_string()))
}

/// The indicators of one area, in catalogue order.
pub fn indicators_of(area: Area) -> impl Iterator<Item = &'static IndicatorDef> {
    CATALOGUE.iter().filter(move |i| i.area == area)
}

/// The catalogue as Markdown (what `docs/indicators.md` holds).
pub fn markdown() -> String {
    let mut s = String::from(
        "# Indicators for the six commitments\n\nGenerated from `crates/report/src/catalogue.rs` \
         (`cargo test -p haven-report` checks this file is current; \
         `HAVEN_WRITE_DOCS=1 cargo test -p haven-report catalogue` rewrites it).\n\n\
         A report covers a window `[from, to]`, both days included. *Open on d*: registered on or \
         before d and not closed on or before d. *Caseload*: open on some day of the window. \
         Age groups (0-4, 5-11, 12-17, 18+, unknown) are taken on the last day of the window or \
         period (incidents: on the incident date), from the middle of the possible birth dates.\n",
    );
    for area in Area::ALL {
        s.push_str(&format!("\n## {}. {}\n", area.number(), area.name()));
        for i in indicators_of(area) {
            s.push_str(&format!(
                "\n### `{}` — {}\n\n- kind: {:?}; unit: {:?}; over time: {:?}; better: {:?}{}\n- definition: {}\n- numerator: {}\n",
                i.code,
                i.name,
                i.kind,
                i.unit,
                i.over_time,
                i.better,
                i.breakdown
                    .map(|b| format!("; always broken down by {b:?}"))
                    .unwrap_or_default(),
                i.definition,
                i.numerator
            ));
            if !i.denominator.is_empty() {
                s.push_str(&format!("- denominator: {}\n", i.denominator));
            }
            s.push_str(&format!("- source fields: {}\n", i.source_fields));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_every_area_has_indicators() {
        let mut codes: Vec<_> = CATALOGUE.iter().map(|i| i.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), CATALOGUE.len());
        for a in Area::ALL {
            assert!(indicators_of(a).count() >= 2, "{a:?}");
        }
        for i in CATALOGUE {
            assert_eq!(
                i.kind == Kind::Percent,
                !i.denominator.is_empty(),
                "{}",
                i.code
            );
        }
    }

    #[test]
    fn catalogue_doc_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/indicators.md");
        if std::env::var_os("HAVEN_WRITE_DOCS").is_some() {
            std::fs::write(path, markdown()).unwrap();
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            on_disk,
            markdown(),
            "run HAVEN_WRITE_DOCS=1 cargo test -p haven-report catalogue"
        );
    }

    #[test]
    fn bad_area_and_indicator_are_named() {
        assert_eq!(Area::parse("2"), Ok(Area::Detention));
        assert_eq!(Area::parse("detention"), Ok(Area::Detention));
        assert_eq!(
            Area::parse("7").unwrap_err().to_string(),
            "unknown area '7': use 1 to 6"
        );
        assert_eq!(
            indicator("nope").unwrap_err().to_string(),
            "unknown indicator 'nope'"
        );
    }
}
