//! Diminutives and nicknames (Sasha for Oleksandr, Pepe for José, حمودة for محمد): a name the
//! spelling cannot link. The table is `data/nicknames.txt`, read once and normalised like any
//! name, so one line covers every script and romanisation that normalise alike.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::normalise::name_forms;

const TABLE: &str = include_str!("../data/nicknames.txt");

/// A nickname's (skeleton, vowel form) → the skeleton of the name it stands for. Keyed on the
/// vowel form too: a skeleton alone is too coarse for short nicknames (Sasha and Aisha are both
/// "s").
type Map = FxHashMap<(String, String), String>;

fn table() -> &'static Map {
    static MAP: OnceLock<Map> = OnceLock::new();
    MAP.get_or_init(|| parse(TABLE))
}

fn parse(text: &str) -> Map {
    let mut map = Map::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, nicks)) = line.split_once(':') else {
            continue;
        };
        let Some((canon, _)) = name_forms(name).into_iter().next() else {
            continue;
        };
        for nick in nicks.split(',') {
            let Some(form) = name_forms(nick).into_iter().next() else {
                continue;
            };
            if form.0 != canon {
                // The first line naming a nickname keeps it.
                map.entry(form).or_insert_with(|| canon.clone());
            }
        }
    }
    map
}

/// The skeleton of the name a given name's part is the nickname of, or the part's own
/// skeleton. Blocking and the "alternative" level of the given-name comparison read this.
pub(crate) fn canonical<'a>(skeleton: &'a str, vowels: &'a str) -> &'a str {
    table()
        .get(&(skeleton.to_string(), vowels.to_string()))
        .map_or(skeleton, String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon_of(name: &str) -> String {
        let forms = name_forms(name);
        let (k, v) = forms.first().cloned().unwrap_or_default();
        canonical(&k, &v).to_string()
    }

    #[test]
    fn nicknames_in_any_script_lead_to_the_name() {
        for (nick, name) in [
            ("Ваня", "Ivan"),
            ("Vanya", "Іван"),
            ("Саша", "Oleksandr"),
            ("Sasha", "Aleksandr"),
            ("Pepe", "Jose"),
            ("Paco", "Francisco"),
            ("Pancho", "Francisco"),
            ("حمودة", "Mohammed"),
            ("Hamoudi", "Muhammad"),
            ("Fanta", "Fatoumata"),
        ] {
            assert_eq!(canon_of(nick), canon_of(name), "{nick} → {name}");
            assert_ne!(
                canon_of(nick),
                name_forms(nick)[0].0,
                "{nick} is in the table"
            );
        }
    }

    #[test]
    fn other_names_with_a_nickname_skeleton_are_left_alone() {
        // Aisha shares Sasha's skeleton, not its vowels.
        for name in ["Aisha", "Ivan", "Jose", "Maryam"] {
            let forms = name_forms(name);
            assert_eq!(canon_of(name), forms[0].0, "{name}");
        }
        assert!(parse(TABLE).len() > 80, "the table is read");
    }
}
