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
