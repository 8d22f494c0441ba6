//! Common given and family names per origin, as written in the origin's script, with a Latin
//! transliteration and, for some, a usual nickname as written. Combined at random, they make
//! names of no real person.

/// A name: as written, in Latin transliteration, and a usual nickname as written (`""`: none).
pub(crate) type N = (&'static str, &'static str, &'static str);

// Arabic script: Syria and Iraq.
pub(crate) const ARABIC_MALE: &[N] = &[
    ("محمد", "Mohammad", "حمودة"),
    ("أحمد", "Ahmad", ""),
    ("علي", "Ali", ""),
    ("عمر", "Omar", ""),
    ("يوسف", "Youssef", ""),
    ("خالد", "Khaled", ""),
    ("حسن", "Hassan", ""),
    ("إبراهيم", "Ibrahim", ""),
    ("مصطفى", "Mustafa", ""),
    ("عبد الله", "Abdullah", "عبود"),
    ("حسين", "Hussein", ""),
    ("كريم", "Karim", ""),
];
pub(crate) const ARABIC_FEMALE: &[N] = &[
    ("فاطمة", "Fatima", "فطوم"),
    ("مريم", "Maryam", ""),
    ("زينب", "Zainab", ""),
    ("نور", "Nour", ""),
    ("سارة", "Sara", ""),
    ("آية", "Aya", ""),
    ("هبة", "Hiba", ""),
    ("رنا", "Rana", ""),
    ("ليلى", "Layla", ""),
    ("دعاء", "Duaa", ""),
    ("رهف", "Rahaf", ""),
    ("شهد", "Shahad", ""),
];
pub(crate) const SYRIAN_FAMILY: &[N] = &[
    ("حداد", "Haddad", ""),
    ("الأحمد", "Al-Ahmad", ""),
    ("العلي", "Al-Ali", ""),
    ("خليل", "Khalil", ""),
    ("الحمصي", "Al-Homsi", ""),
    ("الحلبي", "Al-Halabi", ""),
    ("درويش", "Darwish", ""),
    ("سليمان", "Suleiman", ""),
    ("نصر", "Nasr", ""),
    ("الشامي", "Al-Shami", ""),
];
pub(crate) const IRAQI_FAMILY: &[N] = &[
    ("الجبوري", "Al-Jubouri", ""),
    ("العبيدي", "Al-Obaidi", ""),
    ("الدليمي", "Al-Dulaimi", ""),
    ("التميمي", "Al-Tamimi", ""),
    ("الساعدي", "Al-Saadi", ""),
    ("الموسوي", "Al-Musawi", ""),
    ("الكبيسي", "Al-Kubaisi", ""),
];

// Persian-Arabic script: Afghanistan (Dari and Pashto).
pub(crate) const AFGHAN_MALE: &[N] = &[
    ("احمد", "Ahmad", ""),
    ("محمود", "Mahmood", ""),
    ("فرید", "Farid", ""),
    ("جاوید", "Jawid", ""),
    ("حمید", "Hamid", ""),
    ("رحیم", "Rahim", ""),
    ("شفیق", "Shafiq", ""),
    ("ذبیح الله", "Zabihullah", "ذبیح"),
    ("نجیب", "Najib", ""),
    ("عبدالرحمن", "Abdulrahman", ""),
    ("مصطفی", "Mustafa", ""),
    ("سهراب", "Sohrab", ""),
];
pub(crate) const AFGHAN_FEMALE: &[N] = &[
    ("زهرا", "Zahra", ""),
    ("مریم", "Maryam", ""),
    ("فرشته", "Fereshta", ""),
    ("شبنم", "Shabnam", ""),
    ("ملالی", "Malalai", ""),
    ("پروانه", "Parwana", ""),
    ("گلالی", "Gulalai", ""),
    ("نرگس", "Nargis", ""),
    ("سمیرا", "Samira", ""),
    ("حلیمه", "Halima", ""),
];
pub(crate) const AFGHAN_FAMILY: &[N] = &[
    ("احمدی", "Ahmadi", ""),
    ("محمدی", "Mohammadi", ""),
    ("رحیمی", "Rahimi", ""),
    ("حیدری", "Haidari", ""),
    ("نوری", "Noori", ""),
    ("کریمی", "Karimi", ""),
    ("صافی", "Safi", ""),
    ("پوپل", "Popal", ""),
    ("وردک", "Wardak", ""),
    ("سلطانی", "Sultani", ""),
    ("عزیزی", "Azizi", ""),
];

// Ge'ez script: Eritrea (Tigrinya). Family names are the father's given name.
pub(crate) const TIGRINYA_MALE: &[N] = &[
    ("ዳዊት", "Dawit", ""),
    ("ሳሙኤል", "Samuel", ""),
    ("ዮናስ", "Yonas", ""),
    ("ኣማኑኤል", "Amanuel", ""),
    ("ተስፋይ", "Tesfay", ""),
    ("ሚካኤል", "Mikael", ""),
    ("ብርሃነ", "Berhane", ""),
    ("ፍሊሞን", "Filmon", ""),
    ("ሄኖክ", "Henok", ""),
    ("ሓጎስ", "Hagos", ""),
    ("ኪዳነ", "Kidane", ""),
    ("ገብረመድህን", "Gebremedhin", ""),
];
pub(crate) const TIGRINYA_FEMALE: &[N] = &[
    ("ሳባ", "Saba", ""),
    ("ሄለን", "Helen", ""),
    ("ሩታ", "Ruta", ""),
    ("ኤልሳ", "Elsa", ""),
    ("ሰላም", "Selam", ""),
    ("ፍዮሪ", "Fiyori", ""),
    ("ሊድያ", "Lidya", ""),
    ("ዮርዳኖስ", "Yordanos", ""),
    ("ኣስመረት", "Asmeret", ""),
    ("ትርሓስ", "Tirhas", ""),
];

// Cyrillic: Ukraine. Only family names that do not change with sex.
pub(crate) const UKRAINIAN_MALE: &[N] = &[
    ("Олександр", "Oleksandr", "Саша"),
    ("Андрій", "Andrii", ""),
    ("Дмитро", "Dmytro", "Діма"),
    ("Максим", "Maksym", ""),
    ("Іван", "Ivan", "Ваня"),
    ("Богдан", "Bohdan", ""),
    ("Артем", "Artem", ""),
    ("Микола", "Mykola", ""),
    ("Назар", "Nazar", ""),
    ("Тарас", "Taras", ""),
];
pub(crate) const UKRAINIAN_FEMALE: &[N] = &[
    ("Олена", "Olena", ""),
    ("Анна", "Anna", "Аня"),
    ("Марія", "Mariia", "Маша"),
    ("Софія", "Sofiia", ""),
    ("Дарина", "Daryna", ""),
    ("Вікторія", "Viktoriia", "Віка"),
    ("Ірина", "Iryna", ""),
    ("Катерина", "Kateryna", "Катя"),
    ("Ольга", "Olha", ""),
    ("Аліна", "Alina", ""),
];
pub(crate) const UKRAINIAN_FAMILY: &[N] = &[
    ("Шевченко", "Shevchenko", ""),
    ("Коваленко", "Kovalenko", ""),
    ("Бондаренко", "Bondarenko", ""),
    ("Ткаченко", "Tkachenko", ""),
    ("Мельник", "Melnyk", ""),
    ("Кравченко", "Kravchenko", ""),
    ("Бойко", "Boiko", ""),
    ("Ковальчук", "Kovalchuk", ""),
    ("Олійник", "Oliinyk", ""),
    ("Лисенко", "Lysenko", ""),
    ("Савчук", "Savchuk", ""),
];

// Latin script, Spanish naming (two family names): Central America.
pub(crate) const CENTRAL_AMERICAN_MALE: &[N] = &[
    ("José", "José", "Pepe"),
    ("Luis", "Luis", ""),
    ("Carlos", "Carlos", ""),
    ("Juan", "Juan", ""),
    ("Jorge", "Jorge", ""),
    ("Kevin", "Kevin", ""),
    ("Brayan", "Brayan", ""),
    ("Wilmer", "Wilmer", ""),
    ("Elmer", "Elmer", ""),
    ("Josué", "Josué", ""),
    ("Francisco", "Francisco", "Pancho"),
    ("Óscar", "Óscar", ""),
    ("Edwin", "Edwin", ""),
];
pub(crate) const CENTRAL_AMERICAN_FEMALE: &[N] = &[
    ("María", "María", ""),
    ("Ana", "Ana", ""),
    ("Dayana", "Dayana", ""),
    ("Génesis", "Génesis", ""),
    ("Yoselin", "Yoselin", ""),
    ("Karla", "Karla", ""),
    ("Sofía", "Sofía", ""),
    ("Daniela", "Daniela", ""),
    ("Keyla", "Keyla", ""),
    ("Guadalupe", "Guadalupe", "Lupe"),
    ("Wendy", "Wendy", ""),
    ("Alejandra", "Alejandra", ""),
];
pub(crate) const CENTRAL_AMERICAN_FAMILY: &[N] = &[
    ("Hernández", "Hernández", ""),
    ("López", "López", ""),
    ("Martínez", "Martínez", ""),
    ("García", "García", ""),
    ("Rodríguez", "Rodríguez", ""),
    ("Pérez", "Pérez", ""),
    ("Ramírez", "Ramírez", ""),
    ("Flores", "Flores", ""),
    ("Cruz", "Cruz", ""),
    ("Reyes", "Reyes", ""),
    ("Mejía", "Mejía", ""),
    ("Aguilar", "Aguilar", ""),
    ("Castillo", "Castillo", ""),
    ("Orellana", "Orellana", ""),
    ("Ramos", "Ramos", ""),
    ("Chávez", "Chávez", ""),
];

// Latin script, Spanish naming: Venezuela.
pub(crate) const VENEZUELAN_MALE: &[N] = &[
    ("Luis", "Luis", ""),
    ("José", "José", ""),
    ("Jesús", "Jesús", "Chuy"),
    ("Carlos", "Carlos", ""),
    ("Jhonny", "Jhonny", ""),
    ("Yeferson", "Yeferson", ""),
    ("Santiago", "Santiago", ""),
    ("Samuel", "Samuel", ""),
    ("Sebastián", "Sebastián", ""),
    ("Andrés", "Andrés", ""),
    ("Eduardo", "Eduardo", "Lalo"),
];
pub(crate) const VENEZUELAN_FEMALE: &[N] = &[
    ("Valentina", "Valentina", "Vale"),
    ("Yuliana", "Yuliana", ""),
    ("Mariangel", "Mariangel", ""),
    ("Daniela", "Daniela", ""),
    ("Isabella", "Isabella", "Isa"),
    ("Victoria", "Victoria", ""),
    ("Oriana", "Oriana", ""),
    ("Andreína", "Andreína", ""),
    ("Génesis", "Génesis", ""),
    ("Yusmary", "Yusmary", ""),
];
pub(crate) const VENEZUELAN_FAMILY: &[N] = &[
    ("González", "González", ""),
    ("Rodríguez", "Rodríguez", ""),
    ("Pérez", "Pérez", ""),
    ("Hernández", "Hernández", ""),
    ("Díaz", "Díaz", ""),
    ("Rojas", "Rojas", ""),
    ("Mendoza", "Mendoza", ""),
    ("Bracho", "Bracho", ""),
    ("Colmenares", "Colmenares", ""),
    ("Useche", "Useche", ""),
    ("Contreras", "Contreras", ""),
    ("Moreno", "Moreno", ""),
];

// Latin script, French spelling: West Africa (Guinea, Mali).
pub(crate) const WEST_AFRICAN_MALE: &[N] = &[
    ("Mamadou", "Mamadou", ""),
    ("Ibrahima", "Ibrahima", ""),
    ("Alpha", "Alpha", ""),
    ("Ousmane", "Ousmane", ""),
    ("Amadou", "Amadou", ""),
    ("Moussa", "Moussa", ""),
    ("Sékou", "Sékou", ""),
    ("Abdoulaye", "Abdoulaye", "Layes"),
    ("Boubacar", "Boubacar", "Bouba"),
    ("Souleymane", "Souleymane", ""),
    ("Lansana", "Lansana", ""),
    ("Mohamed", "Mohamed", ""),
];
pub(crate) const WEST_AFRICAN_FEMALE: &[N] = &[
    ("Fatoumata", "Fatoumata", "Fanta"),
    ("Mariama", "Mariama", ""),
    ("Aïssatou", "Aïssatou", ""),
    ("Kadiatou", "Kadiatou", "Kadi"),
    ("Hawa", "Hawa", ""),
    ("Aminata", "Aminata", ""),
    ("Oumou", "Oumou", ""),
    ("Djénéba", "Djénéba", ""),
    ("Mariam", "Mariam", ""),
    ("Kadidia", "Kadidia", ""),
];
pub(crate) const WEST_AFRICAN_FAMILY: &[N] = &[
    ("Diallo", "Diallo", ""),
    ("Barry", "Barry", ""),
    ("Bah", "Bah", ""),
    ("Camara", "Camara", ""),
    ("Keïta", "Keïta", ""),
    ("Traoré", "Traoré", ""),
    ("Coulibaly", "Coulibaly", ""),
    ("Sylla", "Sylla", ""),
    ("Konaté", "Konaté", ""),
    ("Sow", "Sow", ""),
    ("Condé", "Condé", ""),
    ("Touré", "Touré", ""),
    ("Diarra", "Diarra", ""),
    ("Sangaré", "Sangaré", ""),
];

// Latin script: South Sudan. Family names are the father's given name.
pub(crate) const SOUTH_SUDANESE_MALE: &[N] = &[
    ("Deng", "Deng", ""),
    ("Garang", "Garang", ""),
    ("Majok", "Majok", ""),
    ("Chol", "Chol", ""),
    ("Akol", "Akol", ""),
    ("Mayen", "Mayen", ""),
    ("Peter", "Peter", ""),
    ("John", "John", ""),
    ("James", "James", ""),
    ("Gatluak", "Gatluak", ""),
    ("Kuol", "Kuol", ""),
    ("Manyang", "Manyang", ""),
];
pub(crate) const SOUTH_SUDANESE_FEMALE: &[N] = &[
    ("Nyandeng", "Nyandeng", ""),
    ("Achol", "Achol", ""),
    ("Abuk", "Abuk", ""),
    ("Nyakim", "Nyakim", ""),
    ("Ayen", "Ayen", ""),
    ("Mary", "Mary", ""),
    ("Rebecca", "Rebecca", ""),
    ("Nyaluak", "Nyaluak", ""),
    ("Adut", "Adut", ""),
    ("Akuol", "Akuol", ""),
    ("Grace", "Grace", ""),
];

// Latin script: Rohingya from Myanmar. Many have a single name; family names are not shared.
pub(crate) const ROHINGYA_MALE: &[N] = &[
    ("Mohammed", "Mohammed", ""),
    ("Nur", "Nur", ""),
    ("Abdul", "Abdul", ""),
    ("Rafiq", "Rafiq", ""),
    ("Anwar", "Anwar", ""),
    ("Shafi", "Shafi", ""),
    ("Jamal", "Jamal", ""),
    ("Rashid", "Rashid", ""),
    ("Hamid", "Hamid", ""),
    ("Yunus", "Yunus", ""),
    ("Salim", "Salim", ""),
];
pub(crate) const ROHINGYA_FEMALE: &[N] = &[
    ("Rohima", "Rohima", ""),
    ("Yasmin", "Yasmin", ""),
    ("Sajeda", "Sajeda", ""),
    ("Minara", "Minara", ""),
    ("Asma", "Asma", ""),
    ("Hasina", "Hasina", ""),
    ("Tasmin", "Tasmin", ""),
    ("Senuara", "Senuara", ""),
    ("Rashida", "Rashida", ""),
    ("Shamima", "Shamima", ""),
];
pub(crate) const ROHINGYA_FAMILY: &[N] = &[
    ("Alam", "Alam", ""),
    ("Hussain", "Hussain", ""),
    ("Ullah", "Ullah", ""),
    ("Islam", "Islam", ""),
    ("Rahman", "Rahman", ""),
    ("Hossain", "Hossain", ""),
    ("Amin", "Amin", ""),
    ("Khan", "Khan", ""),
];

// The lists above are the most common names of each origin. Real name distributions have a
// long tail: hundreds of given names and thousands of family names per culture, most of them
// rare. The pools below extend each list with invented names built the way the culture builds
// them (Arabic roots in word patterns, Ge'ez syllables, Ukrainian stems and suffixes, …), in
// the native script with a Latin transliteration. Names are drawn from a pool with a Zipf-like
// skew (see `util::zipf`), so the head names stay very common.

/// A pool of names: the common ones first, then invented rarer ones.
pub(crate) type Pool = LazyLock<Vec<N>>;

use std::sync::LazyLock;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The head list, then up to `size` names in all from `make` (duplicates skipped). `make` gets
/// a seeded generator so every pool is the same in every run.
fn grow(
    head: &'static [N],
    size: usize,
    seed: u64,
    make: impl Fn(&mut ChaCha8Rng) -> (String, String),
) -> Vec<N> {
    let mut out: Vec<N> = head.to_vec();
    let mut seen: std::collections::HashSet<String> =
        head.iter().map(|n| n.0.to_string()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut tries = 0;
    while out.len() < size && tries < size * 50 {
        tries += 1;
        let (native, latin) = make(&mut rng);
        if seen.insert(native.clone()) {
            out.push((leak(native), leak(latin), ""));
        }
    }
    out
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Arabic consonants: Latin, Arabic letter, Persian letter.
const AR_CONS: &[(&str, &str, &str)] = &[
    ("b", "ب", "ب"),
    ("t", "ت", "ت"),
    ("th", "ث", "ث"),
    ("j", "ج", "ج"),
    ("h", "ح", "ح"),
    ("kh", "خ", "خ"),
    ("d", "د", "د"),
    ("dh", "ذ", "ذ"),
    ("r", "ر", "ر"),
    ("z", "ز", "ز"),
    ("s", "س", "س"),
    ("sh", "ش", "ش"),
    ("f", "ف", "ف"),
    ("q", "ق", "ق"),
    ("k", "ك", "ک"),
    ("l", "ل", "ل"),
    ("m", "م", "م"),
    ("n", "ن", "ن"),
    ("gh", "غ", "غ"),
    ("w", "و", "و"),
    ("y", "ي", "ی"),
];

/// Word patterns over a root's three consonants (1, 2, 3): Latin and script templates. In the
/// script, `A` is alef, `I` yeh, `U` waw, `T` teh marbuta, `L` the article.
const MALE_PATTERNS: &[(&str, &str)] = &[
    ("1a2i3", "1A23"),
    ("1a2i3", "12I3"),
    ("1a2a3", "123"),
    ("ma12u3", "m12U3"),
    ("1u2ay3", "12I3"),
    ("1a2a3", "123"),
];
const FEMALE_PATTERNS: &[(&str, &str)] = &[
    ("1a2i3a", "1A23T"),
    ("1a2i3a", "12I3T"),
    ("1a23a", "123T"),
    ("1a2aa3", "12A3"),
];
const FAMILY_PATTERNS: &[(&str, &str)] = &[
    ("1a22a3", "12A3"),
    ("Al-1a2a3i", "L123I"),
    ("Al-1u2a3i", "L123I"),
    ("1a2i3", "1A23"),
    ("Al-1a2i3", "L1A23"),
];

/// A name from a random Arabic root in one of `patterns`; `persian` writes it with Persian
/// letters (ک, ی).
fn arabic_name(rng: &mut impl Rng, patterns: &[(&str, &str)], persian: bool) -> (String, String) {
    let mut root = [0usize; 3];
    for i in 0..3 {
        loop {
            let c = rng.random_range(0..AR_CONS.len());
            if i == 0 || root[i - 1] != c {
                root[i] = c;
                break;
            }
        }
    }
    let (lat, nat) = patterns[rng.random_range(0..patterns.len())];
    let mut latin = String::new();
    for ch in lat.chars() {
        match ch.to_digit(10) {
            Some(d) => latin.push_str(AR_CONS[root[d as usize - 1]].0),
            None => latin.push(ch),
        }
    }
    let mut native = String::new();
    for ch in nat.chars() {
        match ch {
            '1' | '2' | '3' => {
                let c = AR_CONS[root[ch as usize - '1' as usize]];
                native.push_str(if persian { c.2 } else { c.1 });
            }
            'm' => native.push('م'),
            'A' => native.push('ا'),
            'I' => native.push(if persian { 'ی' } else { 'ي' }),
            'U' => native.push('و'),
            'T' => native.push(if persian { 'ه' } else { 'ة' }),
            'L' => native.push_str("ال"),
            _ => {}
        }
    }
    let latin = latin.split('-').map(capital).collect::<Vec<_>>().join("-");
    (native, latin)
}

/// Persian-style forms of an Arabic-root name: -ullah, -i, -zai.
fn afghan_name(rng: &mut impl Rng, female: bool, family: bool) -> (String, String) {
    let patterns = if female {
        FEMALE_PATTERNS
    } else {
        MALE_PATTERNS
    };
    let (n, l) = arabic_name(rng, patterns, true);
    match (family, female, rng.random_range(0..4)) {
        (true, _, 0 | 1) => (format!("{n}ی"), format!("{l}i")),
        (true, _, 2) => (format!("{n}زی"), format!("{l}zai")),
        (false, false, 0) => (format!("{n}الله"), format!("{l}ullah")),
        _ => (n, l),
    }
}

/// Ge'ez consonant rows: Latin and the first code point of the row. A row holds the orders ä,
/// u, i, a, e, ə (no vowel), o.
const GEEZ_ROWS: &[(&str, u32)] = &[
    ("h", 0x1200),
    ("l", 0x1208),
    ("m", 0x1218),
    ("r", 0x1228),
    ("s", 0x1230),
    ("sh", 0x1238),
    ("q", 0x1240),
    ("b", 0x1260),
    ("t", 0x1270),
    ("n", 0x1290),
    ("k", 0x12A8),
    ("w", 0x12C8),
    ("z", 0x12D8),
    ("y", 0x12E8),
    ("d", 0x12F0),
    ("g", 0x1308),
    ("f", 0x1348),
    ("ts", 0x1338),
];
const GEEZ_VOWELS: &[&str] = &["e", "u", "i", "a", "e", "", "o"];
const GEEZ_PREFIXES: &[(&str, &str)] = &[
    ("ገብረ", "Gebre"),
    ("ተስፋ", "Tesfa"),
    ("ሃይለ", "Haile"),
    ("ወልደ", "Welde"),
    ("ኪዳነ", "Kidane"),
];

fn geez_syllable(rng: &mut impl Rng, order: usize) -> (String, String) {
    let (c, base) = GEEZ_ROWS[rng.random_range(0..GEEZ_ROWS.len())];
    let glyph = char::from_u32(base + order as u32).unwrap_or('ሀ');
    (glyph.to_string(), format!("{c}{}", GEEZ_VOWELS[order]))
}

/// Two or three Ge'ez syllables, the last often without a vowel; sometimes a compound with a
/// usual first part (Gebre-, Tesfa-) for men.
fn geez_name(rng: &mut impl Rng, female: bool) -> (String, String) {
    let (mut native, mut latin) = (String::new(), String::new());
    if !female && rng.random_bool(0.25) {
        let (n, l) = GEEZ_PREFIXES[rng.random_range(0..GEEZ_PREFIXES.len())];
        native.push_str(n);
        latin.push_str(l);
    }
    let count = rng.random_range(2..=3);
    for i in 0..count {
        let order = if i + 1 == count {
            if female {
                [3, 2, 0][rng.random_range(0..3)]
            } else {
                [5, 5, 0, 2][rng.random_range(0..4)]
            }
        } else {
            [0, 3, 2, 1, 6][rng.random_range(0..5)]
        };
        let (n, l) = geez_syllable(rng, order);
        native.push_str(&n);
        latin.push_str(&l);
    }
    (native, capital(&latin.to_lowercase()))
}

/// Ukrainian Cyrillic, romanised by the national system (2010).
fn ukrainian_latin(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars().flat_map(char::to_lowercase) {
        out.push_str(match ch {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "h",
            'ґ' => "g",
            'д' => "d",
            'е' => "e",
            'є' => "ie",
            'ж' => "zh",
            'з' => "z",
            'и' => "y",
            'і' => "i",
            'ї' => "i",
            'й' => "i",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ю' => "iu",
            'я' => "ia",
            _ => "",
        });
    }
    capital(&out)
}

const UK_CONS: &[&str] = &[
    "б", "в", "г", "д", "ж", "з", "к", "л", "м", "н", "п", "р", "с", "т", "ф", "х", "ч", "ш", "ст",
    "др", "гр", "кр",
];
const UK_VOWELS: &[&str] = &["а", "о", "е", "и", "і", "у"];

/// A Ukrainian stem with an ending of the kind (family endings do not change with sex).
fn ukrainian_name(rng: &mut impl Rng, kind: u8) -> (String, String) {
    let mut stem = String::new();
    for _ in 0..rng.random_range(1..=2) {
        stem.push_str(UK_CONS[rng.random_range(0..UK_CONS.len())]);
        stem.push_str(UK_VOWELS[rng.random_range(0..UK_VOWELS.len())]);
    }
    stem.push_str(UK_CONS[rng.random_range(0..UK_CONS.len())]);
    let endings: &[&str] = match kind {
        0 => &["", "ан", "ар", "ій", "ко", "он", "ис"],
        1 => &["а", "ія", "ина", "ана", "ена"],
        _ => &["енко", "ук", "чук", "ик", "ець", "ко", "юк", "як"],
    };
    stem.push_str(endings[rng.random_range(0..endings.len())]);
    let native = capital(&stem);
    let latin = ukrainian_latin(&native);
    (native, latin)
}

/// A name from Latin syllables: a start, maybe a middle, an end.
fn latin_name(
    rng: &mut impl Rng,
    starts: &[&str],
    middles: &[&str],
    ends: &[&str],
) -> (String, String) {
    let mut s = starts[rng.random_range(0..starts.len())].to_string();
    if rng.random_bool(0.5) {
        s.push_str(middles[rng.random_range(0..middles.len())]);
    }
    s.push_str(ends[rng.random_range(0..ends.len())]);
    let s = capital(&s.to_lowercase());
    (s.clone(), s)
}

const ES_STARTS: &[&str] = &[
    "Al", "Ber", "Car", "Da", "Ed", "Fa", "Gil", "Her", "Is", "Ja", "Le", "Mar", "Nel", "Or", "Ra",
    "Se", "Tel", "Va", "Yo", "Ro", "Cris", "Fer", "Gus", "Lu", "Ma", "Pa", "Ri", "Sa", "Te", "Vi",
];
const ES_MIDDLES: &[&str] = &[
    "a", "e", "i", "ber", "del", "man", "ren", "si", "ton", "li", "gar", "lan",
];
const ES_MALE: &[&str] = &[
    "o", "io", "el", "an", "er", "ito", "ardo", "ón", "ino", "uel",
];
const ES_FEMALE: &[&str] = &["a", "ia", "ela", "ina", "ita", "ana", "ela", "enia", "isa"];
const ES_FAMILY: &[&str] = &[
    "ez", "es", "ado", "ero", "illa", "ón", "ares", "edo", "ano", "ueta",
];
const WA_STARTS: &[&str] = &[
    "Ma", "Sa", "Ba", "Ka", "Dia", "Kou", "Fo", "Sé", "Dra", "Bou", "Ou", "Ab", "Ya", "Mo", "Ti",
    "Lan", "Fan", "Kan", "Sou", "Dja", "Ham", "Nan",
];
const WA_MIDDLES: &[&str] = &["ma", "la", "ba", "dou", "ka", "ra", "sa", "mo", "ké"];
const WA_MALE: &[&str] = &["dou", "ne", "ba", "ry", "kou", "sa", "man", "li", "bo"];
const WA_FEMALE: &[&str] = &["ta", "ma", "tou", "na", "ssa", "nia", "wa", "dia"];
const WA_FAMILY: &[&str] = &[
    "ré", "té", "ba", "ra", "ko", "lla", "ssa", "ta", "ma", "bé", "gou", "ly",
];
const SS_STARTS: &[&str] = &[
    "Ma", "Ga", "De", "Cho", "Ako", "Ya", "Ku", "Ruo", "Lu", "Gat", "Bol", "Thon", "A", "Ay", "Ma",
    "Wu", "Tu", "Bi", "Ga", "Mi",
];
const SS_MIDDLES: &[&str] = &["ja", "ka", "lu", "ri", "no", "ma"];
const SS_MALE: &[&str] = &[
    "ng", "l", "k", "r", "t", "ch", "uak", "ol", "ak", "ier", "ny", "th",
];
const SS_FEMALE_STARTS: &[&str] = &["Nya", "A", "Nya", "Ay", "Ach", "Ad"];
const SS_FEMALE: &[&str] = &["ng", "ol", "uk", "en", "ut", "ual", "ier", "ot", "al"];
const RO_FAMILY_SUFFIX: &[&str] = &["ullah", "uddin", "i", "", "ur"];

fn rohingya_name(rng: &mut impl Rng, female: bool, family: bool) -> (String, String) {
    let patterns = if female {
        FEMALE_PATTERNS
    } else {
        MALE_PATTERNS
    };
    let (_, l) = arabic_name(rng, patterns, false);
    let s = if family {
        format!(
            "{l}{}",
            RO_FAMILY_SUFFIX[rng.random_range(0..RO_FAMILY_SUFFIX.len())]
        )
    } else if female && rng.random_bool(0.3) {
        format!(
            "{l} {}",
            ["Begum", "Khatun", "Bibi"][rng.random_range(0..3)]
        )
    } else {
        l
    };
    (s.clone(), s)
}

const GIVEN_POOL: usize = 400;
const FAMILY_POOL: usize = 700;

pub(crate) static P_ARABIC_MALE: Pool = LazyLock::new(|| {
    grow(ARABIC_MALE, GIVEN_POOL, 1, |r| {
        arabic_name(r, MALE_PATTERNS, false)
    })
});
pub(crate) static P_ARABIC_FEMALE: Pool = LazyLock::new(|| {
    grow(ARABIC_FEMALE, GIVEN_POOL, 2, |r| {
        arabic_name(r, FEMALE_PATTERNS, false)
    })
});
pub(crate) static P_SYRIAN_FAMILY: Pool = LazyLock::new(|| {
    grow(SYRIAN_FAMILY, FAMILY_POOL, 3, |r| {
        arabic_name(r, FAMILY_PATTERNS, false)
    })
});
pub(crate) static P_IRAQI_FAMILY: Pool = LazyLock::new(|| {
    grow(IRAQI_FAMILY, FAMILY_POOL, 4, |r| {
        arabic_name(r, FAMILY_PATTERNS, false)
    })
});
pub(crate) static P_AFGHAN_MALE: Pool =
    LazyLock::new(|| grow(AFGHAN_MALE, GIVEN_POOL, 5, |r| afghan_name(r, false, false)));
pub(crate) static P_AFGHAN_FEMALE: Pool = LazyLock::new(|| {
    grow(AFGHAN_FEMALE, GIVEN_POOL, 6, |r| {
        afghan_name(r, true, false)
    })
});
pub(crate) static P_AFGHAN_FAMILY: Pool = LazyLock::new(|| {
    grow(AFGHAN_FAMILY, FAMILY_POOL, 7, |r| {
        afghan_name(r, false, true)
    })
});
pub(crate) static P_TIGRINYA_MALE: Pool =
    LazyLock::new(|| grow(TIGRINYA_MALE, GIVEN_POOL, 8, |r| geez_name(r, false)));
pub(crate) static P_TIGRINYA_FEMALE: Pool =
    LazyLock::new(|| grow(TIGRINYA_FEMALE, GIVEN_POOL, 9, |r| geez_name(r, true)));
pub(crate) static P_UKRAINIAN_MALE: Pool =
    LazyLock::new(|| grow(UKRAINIAN_MALE, GIVEN_POOL, 10, |r| ukrainian_name(r, 0)));
pub(crate) static P_UKRAINIAN_FEMALE: Pool =
    LazyLock::new(|| grow(UKRAINIAN_FEMALE, GIVEN_POOL, 11, |r| ukrainian_name(r, 1)));
pub(crate) static P_UKRAINIAN_FAMILY: Pool =
    LazyLock::new(|| grow(UKRAINIAN_FAMILY, FAMILY_POOL, 12, |r| ukrainian_name(r, 2)));
pub(crate) static P_CENTRAL_AMERICAN_MALE: Pool = LazyLock::new(|| {
    grow(CENTRAL_AMERICAN_MALE, GIVEN_POOL, 13, |r| {
        latin_name(r, ES_STARTS, ES_MIDDLES, ES_MALE)
    })
});
pub(crate) static P_CENTRAL_AMERICAN_FEMALE: Pool = LazyLock::new(|| {
    grow(CENTRAL_AMERICAN_FEMALE, GIVEN_POOL, 14, |r| {
        latin_name(r, ES_STARTS, ES_MIDDLES, ES_FEMALE)
    })
});
pub(crate) static P_CENTRAL_AMERICAN_FAMILY: Pool = LazyLock::new(|| {
    grow(CENTRAL_AMERICAN_FAMILY, FAMILY_POOL, 15, |r| {
        latin_name(r, ES_STARTS, ES_MIDDLES, ES_FAMILY)
    })
});
pub(crate) static P_VENEZUELAN_MALE: Pool = LazyLock::new(|| {
    grow(VENEZUELAN_MALE, GIVEN_POOL, 16, |r| {
        latin_name(r, ES_STARTS, ES_MIDDLES, ES_MALE)
    })
});
pub(crate) static P_VENEZUELAN_FEMALE: Pool = LazyLock::new(|| {
    grow(VENEZUELAN_FEMALE, GIVEN_POOL, 17, |r| {
        latin_name(r, ES_STARTS, ES_MIDDLES, ES_FEMALE)
    })
});
pub(crate) static P_VENEZUELAN_FAMILY: Pool = LazyLock::new(|| {
    grow(VENEZUELAN_FAMILY, FAMILY_POOL, 18, |r| {
        latin_name(r, ES_STARTS, ES_MIDDLES, ES_FAMILY)
    })
});
pub(crate) static P_WEST_AFRICAN_MALE: Pool = LazyLock::new(|| {
    grow(WEST_AFRICAN_MALE, GIVEN_POOL, 19, |r| {
        latin_name(r, WA_STARTS, WA_MIDDLES, WA_MALE)
    })
});
pub(crate) static P_WEST_AFRICAN_FEMALE: Pool = LazyLock::new(|| {
    grow(WEST_AFRICAN_FEMALE, GIVEN_POOL, 20, |r| {
        latin_name(r, WA_STARTS, WA_MIDDLES, WA_FEMALE)
    })
});
pub(crate) static P_WEST_AFRICAN_FAMILY: Pool = LazyLock::new(|| {
    grow(WEST_AFRICAN_FAMILY, FAMILY_POOL, 21, |r| {
        latin_name(r, WA_STARTS, WA_MIDDLES, WA_FAMILY)
    })
});
pub(crate) static P_SOUTH_SUDANESE_MALE: Pool = LazyLock::new(|| {
    grow(SOUTH_SUDANESE_MALE, GIVEN_POOL, 22, |r| {
        latin_name(r, SS_STARTS, SS_MIDDLES, SS_MALE)
    })
});
pub(crate) static P_SOUTH_SUDANESE_FEMALE: Pool = LazyLock::new(|| {
    grow(SOUTH_SUDANESE_FEMALE, GIVEN_POOL, 23, |r| {
        latin_name(r, SS_FEMALE_STARTS, SS_MIDDLES, SS_FEMALE)
    })
});
pub(crate) static P_ROHINGYA_MALE: Pool = LazyLock::new(|| {
    grow(ROHINGYA_MALE, GIVEN_POOL, 24, |r| {
        rohingya_name(r, false, false)
    })
});
pub(crate) static P_ROHINGYA_FEMALE: Pool = LazyLock::new(|| {
    grow(ROHINGYA_FEMALE, GIVEN_POOL, 25, |r| {
        rohingya_name(r, true, false)
    })
});
pub(crate) static P_ROHINGYA_FAMILY: Pool = LazyLock::new(|| {
    grow(ROHINGYA_FAMILY, FAMILY_POOL, 26, |r| {
        rohingya_name(r, false, true)
    })
});

#[cfg(test)]
mod pool_tests {
    use super::*;

    #[test]
    fn pools_are_large_distinct_and_keep_the_common_names_first() {
        for (pool, head) in [
            (&P_ARABIC_MALE, ARABIC_MALE),
            (&P_AFGHAN_FAMILY, AFGHAN_FAMILY),
            (&P_TIGRINYA_FEMALE, TIGRINYA_FEMALE),
            (&P_UKRAINIAN_FAMILY, UKRAINIAN_FAMILY),
            (&P_WEST_AFRICAN_MALE, WEST_AFRICAN_MALE),
        ] {
            assert!(pool.len() >= 300, "{}", pool.len());
            assert_eq!(pool.get(..head.len()), Some(head));
            let distinct: std::collections::HashSet<_> = pool.iter().map(|n| n.0).collect();
            assert_eq!(distinct.len(), pool.len());
            // Native script where the origin uses it, a Latin transliteration beside it.
            assert!(
                pool.iter().all(|n| n.1.chars().all(|c| !c.is_alphabetic()
                    || c.is_ascii_alphabetic()
                    || "áéíóúñïëü".contains(c.to_ascii_lowercase()))),
                "{:?}",
                pool.iter().find(|n| !n.1.is_ascii())
            );
        }
        assert!(
            P_ARABIC_MALE
                .iter()
                .skip(20)
                .all(|n| n.0.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)))
        );
        assert!(
            P_TIGRINYA_MALE
                .iter()
                .all(|n| n.0.chars().all(|c| ('\u{1200}'..='\u{137F}').contains(&c)))
        );
        assert!(
            P_UKRAINIAN_MALE
                .iter()
                .all(|n| n.0.chars().all(|c| ('\u{0400}'..='\u{04FF}').contains(&c)))
        );
    }
}
