//! Languages: every word a page shows comes from the Fluent files in `crates/web/locales/`,
//! compiled into the binary. The language is `?lang=xx` when given (then remembered in a
//! cookie), else the cookie, else the browser's `Accept-Language`, else English.
//!
//! Dates are written with the locale's month names and order; numbers with its separators.
//! Arabic pages use Latin (European) digits: they are what Arabic-speaking caseworkers type
//! into the forms and what documents' numbers are written in, and they keep ids and dates
//! identical across languages.

use std::sync::OnceLock;

use axum::http::HeaderMap;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

pub const LANG_COOKIE: &str = "haven_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
    Es,
    Ar,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::En, Lang::Fr, Lang::Es, Lang::Ar];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Ar => "ar",
        }
    }

    /// The language's own name, for the language switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::Es => "Español",
            Lang::Ar => "العربية",
        }
    }

    pub fn parse(raw: &str) -> Option<Lang> {
        let primary = raw.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    pub fn dir(self) -> &'static str {
        if self == Lang::Ar { "rtl" } else { "ltr" }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// `?lang=` when given, else the remembered choice, else the browser's preference, else
    /// English.
    pub fn negotiate(query: Option<&str>, headers: &HeaderMap) -> Lang {
        if let Some(l) = query.and_then(lang_param) {
            return l;
        }
        if let Some(l) = crate::auth::cookie(headers, LANG_COOKIE).and_then(Lang::parse) {
            return l;
        }
        headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(from_accept_language)
            .unwrap_or(Lang::En)
    }

    /// The message `id`; its id itself when missing (a test keeps every locale complete).
    pub fn t(self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with one argument.
    pub fn t1(self, id: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), FluentValue::from(value.to_string()));
        self.format(id, Some(&args))
    }

    /// The message `id` with a number (for plural forms); the number is shown in the locale's
    /// format.
    pub fn tn(self, id: &str, name: &str, n: i64) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), FluentValue::from(n));
        self.format(id, Some(&args))
    }

    /// The message `id`, if this locale has one (used to translate validation problems).
    pub fn has(self, id: &str) -> bool {
        bundles()[self.index()].get_message(id).is_some()
    }

    fn format(self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let bundle = &bundles()[self.index()];
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            tracing::warn!(id, lang = self.code(), "missing translation");
            return id.to_string();
        };
        let mut errors = Vec::new();
        let out = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(id, lang = self.code(), ?errors, "translation formatting");
        }
        out.into_owned()
    }

    /// A whole number with the locale's group separator: 12,345 · 12 345 · 12.345.
    pub fn number(self, n: i64) -> String {
        let sep = match self {
            Lang::En | Lang::Ar => ",",
            Lang::Fr => "\u{202F}",
            Lang::Es => ".",
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    }

    /// A date in the locale's words and order: 5 March 2026 · 5 mars 2026 · 5 de marzo de 2026
    /// · 5 مارس 2026.
    /// A signed decimal (`+3.2`, `−1,5`) with one digit after the locale's decimal mark; the
    /// minus is the typographic one, so it is not read as a hyphen.
    pub fn signed(self, x: f64) -> String {
        let tenths = (x * 10.0).round() as i64;
        let mark = match self {
            Lang::En | Lang::Ar => ".",
            Lang::Fr | Lang::Es => ",",
        };
        let sign = match tenths.signum() {
            1 => "+",
            -1 => "\u{2212}",
            _ => "",
        };
        let whole = self.number(tenths.abs() / 10);
        format!("{sign}{whole}{mark}{}", tenths.abs() % 10)
    }

    pub fn date(self, d: time::Date) -> String {
        let month = self.t(&format!("month-{}", u8::from(d.month())));
        let mut args = FluentArgs::new();
        args.set("day", FluentValue::from(d.day().to_string()));
        args.set("month", FluentValue::from(month));
        args.set("year", FluentValue::from(d.year().to_string()));
        self.format("date-format", Some(&args))
    }

    /// A date given as text (`YYYY-MM-DD`, or the partial `YYYY-MM` / `YYYY`) in the locale's
    /// format; partial or unreadable dates are shown as given.
    pub fn date_str(self, raw: &str) -> String {
        haven_domain::dates::parse_date(raw)
            .map(|d| self.date(d))
            .unwrap_or_else(|_| raw.to_string())
    }
}

pub fn lang_param(query: &str) -> Option<Lang> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(&v))
}

/// The first language of `Accept-Language` Haven speaks, by the browser's weights.
fn from_accept_language(header: &str) -> Option<Lang> {
    let mut langs: Vec<(f32, Lang)> = header
        .split(',')
        .filter_map(|part| {
            let mut bits = part.split(';');
            let lang = Lang::parse(bits.next()?)?;
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((q, lang))
        })
        .collect();
    langs.sort_by(|a, b| b.0.total_cmp(&a.0));
    langs.first().map(|(_, l)| *l)
}

type Bundle = FluentBundle<FluentResource>;

const SOURCES: [(&str, &str); 4] = [
    ("en", include_str!("../../locales/en/main.ftl")),
    ("fr", include_str!("../../locales/fr/main.ftl")),
    ("es", include_str!("../../locales/es/main.ftl")),
    ("ar", include_str!("../../locales/ar/main.ftl")),
];

fn bundles() -> &'static [Bundle; 4] {
    static BUNDLES: OnceLock<[Bundle; 4]> = OnceLock::new();
    BUNDLES.get_or_init(|| SOURCES.map(|(code, src)| bundle(code, src)))
}

fn bundle(code: &str, src: &str) -> Bundle {
    let id: unic_langid::LanguageIdentifier = code.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Arguments are numbers, dates and words of the same language, never names: bidi isolation
    // marks would only get in the way of copying and searching the text.
    bundle.set_use_isolating(false);
    let resource = match FluentResource::try_new(src.to_string()) {
        Ok(r) => r,
        Err((r, errors)) => {
            tracing::error!(lang = code, ?errors, "translation file has errors");
            r
        }
    };
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(
            lang = code,
            ?errors,
            "translation file has duplicate messages"
        );
    }
    bundle
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn ids(src: &str) -> BTreeSet<String> {
        let res = FluentResource::try_new(src.to_string()).unwrap();
        res.entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_locale_parses_and_has_every_message() {
        let english = ids(SOURCES[0].1);
        assert!(english.len() > 100);
        for (code, src) in SOURCES {
            let here = ids(src);
            let missing: Vec<_> = english.difference(&here).collect();
            let extra: Vec<_> = here.difference(&english).collect();
            assert!(missing.is_empty(), "{code} lacks {missing:?}");
            assert!(
                extra.is_empty(),
                "{code} has messages English lacks: {extra:?}"
            );
        }
    }

    #[test]
    fn language_is_chosen_by_query_then_cookie_then_browser() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::negotiate(None, &h), Lang::En);
        h.insert(
            "accept-language",
            "de-DE, es;q=0.8, fr;q=0.9".parse().unwrap(),
        );
        assert_eq!(Lang::negotiate(None, &h), Lang::Fr);
        h.insert("cookie", "haven_lang=es".parse().unwrap());
        assert_eq!(Lang::negotiate(None, &h), Lang::Es);
        assert_eq!(Lang::negotiate(Some("x=1&lang=ar"), &h), Lang::Ar);
        assert_eq!(Lang::negotiate(Some("lang=zz"), &h), Lang::Es);
    }

    #[test]
    fn dates_and_numbers_follow_the_locale() {
        let d = time::macros::date!(2026 - 03 - 05);
        assert_eq!(Lang::En.date(d), "5 March 2026");
        assert_eq!(Lang::Fr.date(d), "5 mars 2026");
        assert_eq!(Lang::Es.date(d), "5 de marzo de 2026");
        assert_eq!(Lang::Ar.date(d), "5 مارس 2026");
        assert_eq!(Lang::En.number(1234567), "1,234,567");
        assert_eq!(Lang::Es.number(-1234), "-1.234");
        assert_eq!(Lang::Fr.number(999), "999");
        assert_eq!(Lang::Fr.signed(-1.46), "\u{2212}1,5");
        assert_eq!(Lang::En.signed(1234.04), "+1,234.0");
        assert_eq!(Lang::Es.signed(0.01), "0,0");
    }
}
