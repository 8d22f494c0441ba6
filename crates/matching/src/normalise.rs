//! Names and text in any script, brought to comparable keys.
//!
//! A name goes: NFKC and lower case → Arabic article and diacritics handled in the original
//! script → transliteration to ASCII (`any_ascii`) → particles dropped and compounds joined
//! (al-/el-, abd/abdul/abdel + next, abu/umm + next, …ullah, bin/ibn/bint) → a *consonant
//! skeleton* per name.
//!
//! Why a skeleton: Arabic and Persian script write no short vowels, so "محمد" romanises to
//! "mhmd" while a relative writes "Muhammad" or "Mohamed". Comparing consonants after folding
//! the usual spelling variants (kh/h, q/k, ph/f, dh/z, v/w, doubled letters, a final -h, vowels,
//! y and w inside a word) makes the two meet. The skeleton is also the phonetic key used for
//! blocking. Names that differ only in their vowels (Maria, Mario) share a skeleton; the other
//! fields (sex, birth) have to tell them apart.

use unicode_normalization::UnicodeNormalization;

/// Arabic diacritics (harakat, superscript alef) and the tatweel carry no identity.
fn is_arabic_mark(c: char) -> bool {
    matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' | '\u{06D6}'..='\u{06ED}')
}

fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// NFKC, lower case, ASCII letters and digits, single spaces. For place names and free text.
pub fn fold_text(raw: &str) -> String {
    // ASCII is its own NFKC and transliteration: skip both (most values in most lists).
    let ascii = if raw.is_ascii() {
        raw.to_ascii_lowercase()
    } else {
        let nfkc: String = raw.nfkc().filter(|c| !is_arabic_mark(*c)).collect();
        any_ascii::any_ascii(&nfkc.to_lowercase()).to_ascii_lowercase()
    };
    let mut out = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if c == '\'' || c == '`' {
            // Apostrophes stand for hamza or ayn (or a soft sign): part of the word.
        } else if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out
}

/// Latin letters, with their accented and extended forms (Ç, ñ, ş, ẓ…).
fn is_latin(c: char) -> bool {
    matches!(c, '\u{0000}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}')
}

/// A name written in another script, in Latin letters (`any_ascii`'s transliteration, each
/// word capitalised), to show next to the name as written; `None` when it is already Latin.
/// `"محمد الحلبي"` → `Mhmd Lhlby`: Arabic script writes no short vowels, so the Latin form is
/// a reading aid, not a spelling.
pub fn latin_form(raw: &str) -> Option<String> {
    let nfkc: String = raw.nfkc().filter(|c| !is_arabic_mark(*c)).collect();
    if nfkc.chars().all(is_latin) {
        return None;
    }
    let ascii = any_ascii::any_ascii(&nfkc);
    let words: Vec<String> = ascii
        .split_whitespace()
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|f| f.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase())
                .unwrap_or_default()
        })
        .collect();
    let out = words.join(" ");
    (!out.is_empty()).then_some(out)
}

/// Tokens that only connect or decorate names.
const PARTICLES: &[&str] = &[
    "al", "el", "ul", "bin", "ibn", "bint", "binti", "ben", "de", "del", "la", "los", "van", "von",
];
/// Tokens that form one name with the token after them.
const JOIN_NEXT: &[&str] = &[
    "abd", "abdul", "abdel", "abdal", "abdol", "abdu", "abu", "abou", "umm", "um", "oum",
];
/// Tokens that form one name with the token before them (Zabih Ullah).
const JOIN_PREV: &[&str] = &["allah", "ullah", "ulla", "alla", "llah", "llh", "lah"];

/// The name's parts as transliterated, lower-case ASCII words, particles dropped and compounds
/// joined. `"Abd al-Rahman AL-HALABI"` → `["abdalrahman", "halabi"]`.
pub fn name_words(raw: &str) -> Vec<String> {
    let lower = if raw.is_ascii() {
        raw.to_ascii_lowercase()
    } else {
        let nfkc: String = raw.nfkc().filter(|c| !is_arabic_mark(*c)).collect();
        nfkc.to_lowercase()
    };
    // The Arabic article is written joined to the word; strip it before transliteration loses it
    // among the consonants. Not after "عبد" (it belongs to the compound) and not from "الله".
    let mut native: Vec<String> = Vec::new();
    for (i, w) in lower.split_whitespace().enumerate() {
        let prev_is_abd = i > 0 && native.last().is_some_and(|p| p == "عبد");
        let stripped = match w.strip_prefix("ال") {
            Some(rest)
                if !prev_is_abd
                    && w != "الله"
                    && rest.chars().count() >= 2
                    && rest.chars().all(is_arabic_letter) =>
            {
                rest
            }
            _ => w,
        };
        native.push(stripped.to_string());
    }
    let mut words: Vec<String> = Vec::new();
    for w in native {
        // Letter by letter for scripts without written vowels, with a '.' between letters: "زهرا"
        // is z-h-r, not the digraph "zh".
        let arabic = w.chars().any(is_arabic_letter);
        let ascii = if arabic {
            w.chars()
                .map(|c| {
                    let mut buf = [0u8; 4];
                    any_ascii::any_ascii(c.encode_utf8(&mut buf))
                })
                .collect::<Vec<_>>()
                .join(".")
                .to_ascii_lowercase()
        } else {
            any_ascii::any_ascii(&w).to_ascii_lowercase()
        };
        for part in
            ascii.split(|c: char| !(c.is_ascii_alphanumeric() || c == '\'' || c == '`' || c == '.'))
        {
            let part: String = part
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            let mut part = part.trim_matches('.').to_string();
            // Still marked as letter by letter when one letter is left (دعاء is d, ' and
            // long vowels): its vowels are not written, whatever a romanisation shows.
            if arabic && !part.is_empty() && !part.contains('.') {
                part.push('.');
            }
            if !part.is_empty() {
                words.push(part);
            }
        }
    }
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut pending: Option<String> = None;
    for w in words {
        let plain = w.replace('.', "");
        if let Some(mut p) = pending.take() {
            // "abd al rahman": the article stays inside the compound.
            p.push_str(&w);
            if PARTICLES.contains(&plain.as_str()) {
                pending = Some(p);
            } else {
                out.push(p);
            }
            continue;
        }
        if JOIN_NEXT.contains(&plain.as_str()) {
            pending = Some(w);
        } else if JOIN_PREV.contains(&plain.as_str()) && !out.is_empty() {
            if let Some(last) = out.last_mut() {
                last.push_str(&w);
            }
        } else if !PARTICLES.contains(&plain.as_str()) {
            out.push(w);
        }
    }
    if let Some(p) = pending {
        out.push(p);
    }
    out
}

/// The consonant skeleton of one lower-case ASCII word (see the module comment).
pub fn skeleton(word: &str) -> String {
    let b = word.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        let first = i == 0;
        let (sound, used) = match (c, next) {
            (b'k' | b'g', Some(b'h')) => (Some(b'h'), 2),
            (b'p', Some(b'h')) => (Some(b'f'), 2),
            (b't', Some(b'h')) => (Some(b't'), 2),
            (b'd', Some(b'h')) => (Some(b'z'), 2),
            (b's', Some(b'h')) => (Some(b's'), 2),
            (b'c', Some(b'h')) => (Some(b'c'), 2),
            (b'z', Some(b'h')) => (Some(b'j'), 2),
            (b'd', Some(b'j')) => (Some(b'j'), 2),
            (b't', Some(b's')) => (Some(b'c'), 2),
            (b'c', Some(b'k')) => (Some(b'k'), 2),
            (b'a' | b'e' | b'i' | b'o' | b'u', _) => (None, 1),
            (b'y', _) if !first => (None, 1),
            (b'w' | b'v', _) if !first => (None, 1),
            (b'v', _) => (Some(b'w'), 1),
            (b'q' | b'c', _) => (Some(b'k'), 1),
            (b'x', _) => {
                out.push(b'k');
                (Some(b's'), 1)
            }
            (b'p', _) => (Some(b'b'), 1),
            (b'g', _) => (Some(b'h'), 1),
            (b'0'..=b'9' | b'.', _) => (None, 1),
            (other, _) => (Some(other), 1),
        };
        if let Some(s) = sound
            && out.last() != Some(&s)
        {
            out.push(s);
        }
        i += used;
    }
    if out.last() == Some(&b'h') {
        out.pop();
    }
    if out.is_empty() {
        // A name of vowels only (Aya): still a name, just a weak one.
        return "a".to_string();
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The skeletons of a name's parts, in order.
pub fn name_keys(raw: &str) -> Vec<String> {
    name_words(raw).iter().map(|w| skeleton(w)).collect()
}

/// A word's vowels folded (a/e/i/y, o/u) beside its consonants folded as in [`skeleton`]
/// (g/h, kh/h, v/w, q/k, …), doubled letters collapsed: tells Olena from Alina and Ahmad from
/// Hamid, which share a skeleton, while two romanisations of one name (Гусина as "Gusina" and
/// "Husyna") differ in no vowel. A word from a script that writes no short vowels (Arabic,
/// Persian) keeps its letters, long vowels included (حسن is not حسين), marked with `#`: it can
/// be compared with another such word, not with a romanisation.
pub fn vowel_form(word: &str) -> String {
    if word.contains('.') {
        let mut out = String::from("#");
        for c in word.chars().filter(|c| *c != '.') {
            if !out.ends_with(c) {
                out.push(c);
            }
        }
        return out;
    }
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    let b = word.as_bytes();
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        let (ch, used) = match (c, next) {
            (b'k' | b'g', Some(b'h')) => ('h', 2),
            (b'p', Some(b'h')) => ('f', 2),
            (b't', Some(b'h')) => ('t', 2),
            (b'd', Some(b'h')) => ('z', 2),
            (b's', Some(b'h')) => ('s', 2),
            (b'c', Some(b'h')) => ('c', 2),
            (b'z', Some(b'h')) | (b'd', Some(b'j')) => ('j', 2),
            (b't', Some(b's')) => ('c', 2),
            (b'c', Some(b'k')) => ('k', 2),
            (b'o' | b'u', _) => ('u', 1),
            (b'a' | b'e' | b'i' | b'y', _) => ('i', 1),
            (b'q' | b'c', _) => ('k', 1),
            (b'v', _) => ('w', 1),
            (b'p', _) => ('b', 1),
            (b'g', _) => ('h', 1),
            (other, _) => (char::from(other), 1),
        };
        if !out.ends_with(ch) {
            out.push(ch);
        }
        i += used;
    }
    out
}

/// Whether two vowel forms say "the same name": both romanised and equal or a typo apart,
/// both in a script without short vowels and equal, or one of each (then only the skeleton
/// can be compared).
pub fn vowels_agree(a: &str, b: &str) -> bool {
    let (ra, rb) = (a.starts_with('#'), b.starts_with('#'));
    ra != rb || a == b || (!ra && vowel_typo(a.as_bytes(), b.as_bytes()))
}

/// A vowel dropped or added (Mría, Rafq), or two letters swapped (Lius, Abna), after the
/// first letter. Not a vowel changed, nor the first letter: that is another name of the same
/// consonants (Olena/Alina, Ahmad/Hamid, Amadou/Mamadou).
fn vowel_typo(a: &[u8], b: &[u8]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let p = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    match long.len() - short.len() {
        0 => {
            p >= 1
                && p + 1 < short.len()
                && short[p] == long[p + 1]
                && short[p + 1] == long[p]
                && short[p + 2..] == long[p + 2..]
        }
        1 => p >= 1 && short[p..] == long[p + 1..],
        _ => false,
    }
}

/// Each part's skeleton and vowel form.
pub fn name_forms(raw: &str) -> Vec<(String, String)> {
    name_words(raw)
        .iter()
        .map(|w| (skeleton(w), vowel_form(w)))
        .collect()
}

/// Upper-case letters and digits only: identifiers, P-codes, nationality codes.
pub fn fold_code(raw: &str) -> String {
    if raw.is_ascii() {
        return raw
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| char::from(b.to_ascii_uppercase()))
            .collect();
    }
    raw.nfkc()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn latin_form_is_given_only_for_other_scripts() {
        assert_eq!(latin_form("María Ñúñez"), None);
        assert_eq!(latin_form("محمد").as_deref(), Some("Mhmd"));
        assert_eq!(
            latin_form("Алексей Петров").as_deref(),
            Some("Aleksey Petrov")
        );
    }

    use super::*;

    fn same(a: &str, b: &str) {
        assert_eq!(name_keys(a), name_keys(b), "{a} vs {b}");
    }

    #[test]
    fn arabic_script_meets_its_romanisations() {
        same("محمد", "Mohammed");
        same("محمد", "Muhammad");
        same("Mohamed", "MUHAMMAD");
        same("يوسف", "Youssef");
        same("يوسف", "Yusuf");
        same("خالد", "Khaled");
        same("خالد", "Halid");
        same("إبراهيم", "Ibrahim");
        same("فاطمة", "Fatimah");
        same("فاطمة", "Fatma");
        same("علي", "Aly");
        same("حسين", "Husayn");
        same("الجبوري", "Al-Jubouri");
        same("الجبوري", "el Jbouri");
        same("الأحمد", "Al Ahmad");
        same("مُحَمَّد", "محمد");
        // ت then س is t-s, as a romanisation with the vowel between writes it.
        same("تسيذ", "Tasidh");
    }

    #[test]
    fn compounds_and_particles_fold_together() {
        same("عبد الله", "Abdullah");
        same("عبد الله", "Abd Allah");
        same("عبدالرحمن", "Abdul Rahman");
        same("عبدالرحمن", "Abd al-Rahman");
        same("Abdelrahman", "Abdulrahman");
        same("ذبیح الله", "Zabihullah");
        same("زهرا", "Zahra");
        same("سهراب", "Sohrab");
        same("آية", "Aya");
        same("Zabih Ullah", "Zabihullah");
        same("Ahmad bin Ali", "Ahmad Ali");
        same("Abu Bakr", "Abubakr");
        assert_eq!(
            name_words("Ahmad ibn Khalid al-Homsi"),
            ["ahmad", "khalid", "homsi"]
        );
    }

    #[test]
    fn other_scripts_meet_their_romanisations() {
        same("Олександр", "Oleksandr");
        same("Олександр", "Aleksandr");
        same("Ольга", "Olha");
        same("Андрій", "Andrii");
        same("Коваленко", "Kovalenko");
        same("ዳዊት", "Dawit");
        same("ኣማኑኤል", "Amanuel");
        same("ገብረመድህን", "Gebremedhin");
        same("حمید", "Hameed");
        same("پروانه", "Parwana");
        same("Hernández", "HERNANDEZ");
        same("पूजा", "Pooja");
    }

    #[test]
    fn different_names_stay_apart() {
        assert_ne!(name_keys("Mohammad"), name_keys("Ahmad"));
        assert_ne!(name_keys("Fatima"), name_keys("Zainab"));
        assert_ne!(name_keys("Dawit"), name_keys("Yonas"));
    }

    #[test]
    fn vowels_tell_apart_what_consonants_do_not() {
        assert_eq!(name_keys("Olena"), name_keys("Alina"));
        assert_ne!(vowel_form("olena"), vowel_form("alina"));
        assert_ne!(vowel_form("ahmad"), vowel_form("hamid"));
        assert_eq!(vowel_form("mohammed"), vowel_form("muhammad"));
        let [hasan, husayn] = ["حسن", "حسين"].map(|n| vowel_form(&name_words(n)[0]));
        assert_eq!(name_keys("حسن"), name_keys("حسين"));
        assert!(!vowels_agree(&hasan, &husayn));
        assert!(vowels_agree(&hasan, &vowel_form("hassan")));
        // Romanisations and typos agree; another vowel does not.
        assert_eq!(vowel_form("gusina"), vowel_form("husyna"));
        assert!(vowels_agree(&vowel_form("lius"), &vowel_form("luis")));
        assert!(vowels_agree(&vowel_form("mria"), &vowel_form("maria")));
        assert!(!vowels_agree(&vowel_form("olena"), &vowel_form("alina")));
        assert!(!vowels_agree(&vowel_form("ahmad"), &vowel_form("hamid")));
        assert!(!vowels_agree(&vowel_form("amadou"), &vowel_form("mamadou")));
        // One letter left of a word without written vowels is still such a word.
        let duaa = vowel_form(&name_words("دعاء")[0]);
        assert!(vowels_agree(&duaa, &vowel_form("duaa")), "{duaa}");
    }

    #[test]
    fn text_and_codes_fold() {
        assert_eq!(fold_text("  Cox's Bazar,  UKHIYA "), "coxs bazar ukhiya");
        assert_eq!(fold_code("sy-91 01"), "SY9101");
        assert_eq!(name_keys(""), Vec::<String>::new());
        assert_eq!(skeleton("aya"), "a");
    }

    proptest::proptest! {
        #[test]
        fn keys_are_ascii_and_blind_to_unicode_forms(s in "\\PC{0,40}") {
            let keys = name_keys(&s);
            for k in &keys {
                proptest::prop_assert!(!k.is_empty());
                proptest::prop_assert!(k.bytes().all(|b| b.is_ascii_lowercase()));
            }
            // Decomposed and composed forms of the same text are the same name.
            let nfd: String = s.nfd().collect();
            proptest::prop_assert_eq!(name_keys(&nfd), keys);
        }

        #[test]
        fn case_does_not_matter_for_latin(s in "[A-Za-z' -]{0,30}") {
            proptest::prop_assert_eq!(name_keys(&s), name_keys(&s.to_lowercase()));
            proptest::prop_assert_eq!(fold_text(&s), fold_text(&s.to_uppercase()));
        }
    }
}
