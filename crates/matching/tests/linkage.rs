//! The engine end to end on small generated data with known truth.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use haven_matching::{Index, Kind, Linkage, Params, Record, Schema, Silent, Value, Ymd};
use haven_synth::{LinkageData, LinkageSetting, linkage};

fn schema() -> Schema {
    Schema::new([
        ("given_name", Kind::GivenName),
        ("family_name", Kind::FamilyName),
        ("other_name", Kind::OtherName),
        ("father_name", Kind::ParentName),
        ("mother_name", Kind::ParentName),
        ("sex", Kind::Sex),
        ("date_of_birth", Kind::Date),
        ("age", Kind::Age),
        ("nationality", Kind::Nationality),
        ("place_code", Kind::PlaceCode),
    ])
}

fn ymd(s: &str) -> Option<Ymd> {
    let p: Vec<&str> = s.split('-').collect();
    let y = p.first()?.parse().ok()?;
    match p.len() {
        1 => Some(Ymd {
            year: y,
            month: None,
            day: None,
        }),
        3 => Ymd::day(y, p[1].parse().ok()?, p[2].parse().ok()?),
        _ => None,
    }
}

fn records(d: &LinkageData) -> Vec<Record> {
    d.rows
        .iter()
        .map(|r| {
            let t = |i: usize| {
                if r[i].is_empty() {
                    Value::Missing
                } else {
                    Value::Text(r[i].clone())
                }
            };
            let age = match (r[8].parse::<f32>(), ymd(&r[9])) {
                (Ok(years), Some(on)) => Value::Age { years, on },
                _ => Value::Missing,
            };
            let dob = ymd(&r[7]).map_or(Value::Missing, Value::Date);
            Record {
                id: r[0].clone(),
                values: vec![t(1), t(2), t(3), t(4), t(5), t(6), dob, age, t(10), t(11)],
            }
        })
        .collect()
}

fn data() -> (LinkageData, Vec<Record>) {
    let today = time::Date::from_calendar_date(2026, time::Month::June, 1).unwrap();
    let d = linkage(11, 1500, LinkageSetting::Easy, today);
    let r = records(&d);
    (d, r)
}

#[test]
fn dedupe_finds_the_duplicates_and_explains_each_pair() {
    let (d, recs) = data();
    let job = Linkage::dedupe(&schema(), &recs, &Silent).unwrap();
    let params = job.train(&Silent);
    let pairs = job.score(&params, 0.5, &Silent).unwrap();
    let tp = pairs
        .iter()
        .filter(|m| d.entity[m.left] == d.entity[m.right])
        .count() as f64;
    let (precision, recall) = (tp / pairs.len() as f64, tp / d.true_pairs() as f64);
    assert!(
        precision > 0.9 && recall > 0.9,
        "precision {precision}, recall {recall}"
    );
    // Every pair says what each field contributed.
    let labels = haven_matching::comparison_labels(&schema());
    for m in pairs.iter().take(20) {
        for l in &labels {
            assert!(m.explanation.iter().any(|w| &w.field == l), "{l} missing");
        }
        assert!(m.explanation.iter().map(|w| w.weight).sum::<f64>() > 0.0);
    }
    // Saved parameters score the same; parameters for other fields are refused.
    let again = Params::from_json(&params.to_json()).unwrap();
    let mut renamed: serde_json::Value = serde_json::from_str(&params.to_json()).unwrap();
    renamed["comparisons"][3]["label"] = "guardian_name".into();
    let err = Params::from_json(&renamed.to_string())
        .unwrap_err()
        .to_string();
    assert!(err.contains("guardian_name"), "{err}");
    let mut out_of_range: serde_json::Value = serde_json::from_str(&params.to_json()).unwrap();
    out_of_range["comparisons"][1]["levels"][0]["u_same_given"] = 2.0.into();
    let err = Params::from_json(&out_of_range.to_string())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("family_name") && err.contains("u_same_given"),
        "{err}"
    );
    let rescored = job.score(&again, 0.5, &Silent).unwrap();
    assert_eq!(rescored.len(), pairs.len());
    assert!(
        rescored
            .iter()
            .zip(&pairs)
            .all(|(a, b)| (a.probability - b.probability).abs() < 1e-9)
    );
}

#[test]
fn the_index_answers_top_k_and_follows_updates_and_removals() {
    let (d, recs) = data();
    let job = Linkage::dedupe(&schema(), &recs, &Silent).unwrap();
    let params = job.train(&Silent);
    let mut index = Index::new(params).unwrap();
    let first: Vec<Record> = recs
        .iter()
        .enumerate()
        .filter(|(i, _)| !d.second[*i])
        .map(|(_, r)| r.clone())
        .collect();
    index.extend(&first).unwrap();
    let mut found = 0;
    let mut asked = 0;
    for (i, q) in recs
        .iter()
        .enumerate()
        .filter(|(i, _)| d.second[*i])
        .take(100)
    {
        let want = recs
            .iter()
            .enumerate()
            .find(|(j, _)| !d.second[*j] && d.entity[*j] == d.entity[i])
            .map(|(_, r)| r.id.clone());
        let top = index.top_k(q, 10).unwrap();
        assert!(top.windows(2).all(|w| w[0].probability >= w[1].probability));
        asked += 1;
        if top.iter().any(|c| Some(&c.id) == want.as_ref()) {
            found += 1;
        }
    }
    assert!(found * 100 >= asked * 90, "{found}/{asked}");
    // A removed record is never proposed again; an updated one is found under its new values.
    let target = &first[0];
    index.remove(&target.id);
    assert!(!index.contains(&target.id));
    let probe = Record {
        id: "probe".into(),
        ..target.clone()
    };
    assert!(
        index
            .top_k(&probe, 10)
            .unwrap()
            .iter()
            .all(|c| c.id != target.id)
    );
    index.upsert(target).unwrap();
    let top = index.top_k(&probe, 1).unwrap();
    assert_eq!(top.first().map(|c| c.id.as_str()), Some(target.id.as_str()));
    // A record is never its own candidate.
    assert!(
        index
            .top_k(target, 10)
            .unwrap()
            .iter()
            .all(|c| c.id != target.id)
    );
}

#[test]
fn wrong_shapes_and_parameters_are_errors() {
    let bad = Record {
        id: "x".into(),
        values: vec![Value::Missing],
    };
    assert!(Linkage::dedupe(&schema(), &[bad], &Silent).is_err());
    assert!(Params::from_json("{}").is_err());
}

#[test]
fn pairs_across_scripts_are_found() {
    let (d, recs) = data();
    let job = Linkage::dedupe(&schema(), &recs, &Silent).unwrap();
    let params = job.train(&Silent);
    let pairs = job.score(&params, 0.5, &Silent).unwrap();
    let script = |i: usize| {
        d.rows[i][1]
            .chars()
            .any(|c| !c.is_ascii() && c.is_alphabetic() && !"áéíóúñïëüÁÉÍÓÚ".contains(c))
    };
    let latin = |i: usize| !d.rows[i][1].is_empty() && !script(i);
    let mut crossed = 0;
    let mut found = 0;
    for i in 0..d.rows.len() {
        for j in i + 1..(i + 3).min(d.rows.len()) {
            if d.entity[i] == d.entity[j] && ((script(i) && latin(j)) || (latin(i) && script(j))) {
                crossed += 1;
                if pairs.iter().any(|m| m.left == i && m.right == j) {
                    found += 1;
                }
            }
        }
    }
    assert!(crossed > 50, "{crossed} cross-script pairs");
    assert!(found * 100 >= crossed * 90, "{found}/{crossed}");
}

#[test]
fn agreeing_on_a_very_common_name_weighs_less_than_on_a_rare_one() {
    let (_, mut recs) = data();
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for r in &recs {
        if let Value::Text(g) = &r.values[0] {
            *counts.entry(g.clone()).or_default() += 1;
        }
    }
    let common = counts
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(g, _)| g.clone())
        .unwrap();
    let base = recs.len();
    let person = |id: usize, given: &str| Record {
        id: format!("extra{id}"),
        values: vec![
            Value::Text(given.into()),
            Value::Text("Qaradunizade".into()),
            Value::Missing,
            Value::Text("Tamerlik Qaradunizade".into()),
            Value::Text("Ozvelina Morquandi".into()),
            Value::Text("M".into()),
            Value::Date(Ymd::day(2015, 4, 9).unwrap()),
            Value::Missing,
            Value::Text("AF".into()),
            Value::Text("AF990101".into()),
        ],
    };
    recs.push(person(0, &common));
    recs.push(person(1, &common));
    recs.push(person(2, "Zorvandel"));
    recs.push(person(3, "Zorvandel"));
    let job = Linkage::dedupe(&schema(), &recs, &Silent).unwrap();
    let params = job.train(&Silent);
    let pairs = job.score(&params, 0.5, &Silent).unwrap();
    let given_weight = |i: usize| {
        pairs
            .iter()
            .find(|m| m.left == i && m.right == i + 1)
            .map(|m| m.explanation[0].weight)
            .unwrap()
    };
    let (w_common, w_rare) = (given_weight(base), given_weight(base + 2));
    assert!(
        w_common + 1.0 < w_rare,
        "{common}: {w_common}, rare: {w_rare}"
    );
}

#[test]
fn the_index_finds_a_rare_name_whose_age_was_guessed_years_off() {
    let (_, recs) = data();
    let job = Linkage::dedupe(&schema(), &recs, &Silent).unwrap();
    let mut index = Index::new(job.train(&Silent)).unwrap();
    index.extend(&recs).unwrap();
    let text = |s: &str| Value::Text(s.into());
    let on = Ymd::day(2025, 6, 1).unwrap();
    let child = Record {
        id: "child".into(),
        values: vec![
            text("Zebulonia"),
            text("Quentaraz"),
            Value::Missing,
            Value::Missing,
            Value::Missing,
            text("female"),
            Value::Missing,
            Value::Age { years: 9.0, on },
            text("SY"),
            Value::Missing,
        ],
    };
    index.upsert(&child).unwrap();
    // A relative's request: the rare given name only, no parent, an age three years off.
    let mut asked = child.clone();
    asked.id = "request".into();
    asked.values[1] = Value::Missing;
    asked.values[7] = Value::Age { years: 12.0, on };
    let top = index.top_k(&asked, 10).unwrap();
    assert!(
        top.iter().any(|c| c.id == "child"),
        "no rule but the names alone can find it: {top:?}"
    );
}

/// A made-up child of the test's own family, appended to the generated data.
fn extra(id: &str, given: &str, family: &str, place: &str) -> Record {
    let text = |s: &str| Value::Text(s.into());
    Record {
        id: id.into(),
        values: vec![
            text(given),
            text(family),
            Value::Missing,
            text("Tamerlik Vosqorinde"),
            text("Ozvelina Morquandi"),
            text("M"),
            Value::Date(Ymd::day(2015, 4, 9).unwrap()),
            Value::Missing,
            text("AF"),
            text(place),
        ],
    }
}

fn pair<'a>(
    pairs: &'a [haven_matching::Match],
    recs: &[Record],
    a: &str,
    b: &str,
) -> &'a haven_matching::Match {
    let at = |id: &str| recs.iter().position(|r| r.id == id).unwrap();
    let (i, j) = (at(a).min(at(b)), at(a).max(at(b)));
    pairs
        .iter()
        .find(|m| m.left == i && m.right == j)
        .unwrap_or_else(|| panic!("{a} and {b} were not compared"))
}

fn explained<'a>(
    pairs: &'a [haven_matching::Match],
    recs: &[Record],
    a: &str,
    b: &str,
) -> &'a [haven_matching::FieldWeight] {
    &pair(pairs, recs, a, b).explanation
}

fn level<'a>(weights: &'a [haven_matching::FieldWeight], field: &str) -> &'a str {
    &weights.iter().find(|w| w.field == field).unwrap().level
}

#[test]
fn swapped_names_agree_and_compound_names_of_siblings_do_not() {
    let (_, mut recs) = data();
    recs.extend([
        extra("in order", "Zorvandel", "Qaradunizade", "AF990101"),
        extra("swapped", "Qaradunizade", "Zorvandel", "AF990101"),
        extra("José Luis", "José Luis", "Vosqorinde", "AF990202"),
        extra("Juan José", "Juan José", "Vosqorinde", "AF990202"),
        extra(
            "María Guadalupe",
            "María Guadalupe",
            "Morquandi",
            "AF990303",
        ),
        extra("Guadalupe", "Guadalupe", "Morquandi", "AF990303"),
        extra("Karla", "Karla", "Alsiado Ferano", "AF990505"),
        extra("Karla swapped", "Alsiao Ferano", "Karla", "AF990505"),
        extra("Bawa", "Bawa", "Oubagou", "AF990707"),
        extra("Bawa swapped", "Oubagou", "Bawa", "AF990707"),
        extra("Fanta swapped", "Bahrindo", "Fanta", "AF990808"),
        extra("فاطمة", "فاطمة", "زمبرينال", "AF990909"),
        extra("فطوم", "فطوم", "زمبرينال", "AF990909"),
        extra("Josué", "Josué", "Zembrinal", "AF990606"),
        extra("Josué mistyped", "Jocué", "Zembrinal", "AF990606"),
        extra("María José", "María José", "Quentaraz", "AF990404"),
        extra("María Fernanda", "María Fernanda", "Quentaraz", "AF990404"),
    ]);
    let mut fatoumata = extra("Fatoumata", "Fatoumata", "Bahrindo", "AF990808");
    fatoumata.values[2] = Value::Text("Fanta".into());
    recs.push(fatoumata);
    let job = Linkage::dedupe(&schema(), &recs, &Silent).unwrap();
    let params = job.train(&Silent);
    let pairs = job.score(&params, 0.0, &Silent).unwrap();
    // Each pair's given names, and why.
    for (a, b, want) in [
        ("in order", "swapped", "exact"),
        // Swapped, with a slip in the family name.
        ("Karla", "Karla swapped", "exact"),
        // Swapped where given and family share a skeleton; swapped with the nickname.
        ("Bawa", "Bawa swapped", "exact"),
        ("Fatoumata", "Fanta swapped", "exact"),
        // A nickname with its name's consonants is the name, not a sister's.
        ("فاطمة", "فطوم", "alternative or swapped"),
        // A short name mistyped is a similar name, not another child's.
        ("Josué", "Josué mistyped", "similar"),
        // One name part left out: the same child, written shorter.
        ("María Guadalupe", "Guadalupe", "alternative or swapped"),
    ] {
        let got = level(explained(&pairs, &recs, a, b), "given_name");
        assert_eq!(got, want, "{a} / {b}");
    }
    let swap = explained(&pairs, &recs, "in order", "swapped");
    assert_eq!(level(swap, "family_name"), "exact");
    // Each has a part of its own: two brothers (twins here), then two sisters, so the family
    // they share proves nothing.
    for (a, b) in [("José Luis", "Juan José"), ("María José", "María Fernanda")] {
        let siblings = pair(&pairs, &recs, a, b);
        assert_eq!(level(&siblings.explanation, "given_name"), "different");
        assert!(siblings.probability < 0.5, "{siblings:?}");
    }
}

#[test]
fn once_the_given_names_agree_a_shared_country_counts_for_less() {
    let (_, mut recs) = data();
    recs.extend([
        extra("a", "Zorvandel", "Qaradunizade", "AF990101"),
        extra("b", "Zorvandel", "Qaradunizade", "AF990101"),
        extra("c", "Zorvanek", "Qaradunizade", "AF990101"),
    ]);
    let job = Linkage::dedupe(&schema(), &recs, &Silent).unwrap();
    let params = job.train(&Silent);
    // Namesakes share their country far more often than strangers drawn at random.
    let nationality = params
        .comparisons
        .iter()
        .find(|c| c.label == "nationality")
        .unwrap();
    let same = &nationality.levels[0];
    assert!(same.u_same_given.unwrap() > 2.0 * same.u, "{same:?}");
    let pairs = job.score(&params, 0.0, &Silent).unwrap();
    let weight = |w: &[haven_matching::FieldWeight]| {
        w.iter().find(|x| x.field == "nationality").unwrap().weight
    };
    let exact = explained(&pairs, &recs, "a", "b");
    let shorter = explained(&pairs, &recs, "a", "c");
    assert_eq!(level(exact, "given_name"), "exact");
    assert_ne!(level(shorter, "given_name"), "exact");
    assert!(weight(exact) + 1.0 < weight(shorter));
    // Parameters saved before this condition existed still load and score.
    let mut json: serde_json::Value = serde_json::from_str(&params.to_json()).unwrap();
    for c in json["comparisons"].as_array_mut().unwrap() {
        for l in c["levels"].as_array_mut().unwrap() {
            l.as_object_mut().unwrap().remove("u_same_given");
        }
    }
    let old = Params::from_json(&json.to_string()).unwrap();
    assert!(!job.score(&old, 0.5, &Silent).unwrap().is_empty());
}

/// What one record says about a pair of two others: a child that fits better takes a
/// sibling's pair down, a record that links two takes their pair up.
#[test]
fn third_records_weigh_on_a_pair() {
    let (_, base) = data();
    let score = |extra_recs: Vec<Record>| {
        let mut recs = base.clone();
        recs.extend(extra_recs);
        let job = Linkage::dedupe(&schema(), &recs, &Silent).unwrap();
        let params = job.train(&Silent);
        (job.score(&params, 0.0, &Silent).unwrap(), recs, params)
    };
    // A relative's request names the family and "Zorvandel", and nothing that tells the
    // children apart; Zorvandel fits it better than his sister, registered without her name.
    let mut query = extra("request", "Zorvandel", "Qaradunizade", "AF990101");
    (query.values[5], query.values[6]) = (Value::Missing, Value::Missing);
    let mut sister = extra("sister", "", "Qaradunizade", "AF990101");
    sister.values[0] = Value::Missing;
    sister.values[5] = Value::Text("F".into());
    sister.values[6] = Value::Date(Ymd::day(2011, 1, 20).unwrap());
    let brother = extra("brother", "Zorvandel", "Qaradunizade", "AF990101");
    let (alone, recs, _) = score(vec![query.clone(), sister.clone()]);
    let before = pair(&alone, &recs, "request", "sister").probability;
    let (all, recs, params) = score(vec![query.clone(), sister.clone(), brother.clone()]);
    let after = pair(&all, &recs, "request", "sister");
    let rival = after
        .explanation
        .iter()
        .find(|w| w.field == "other records")
        .unwrap_or_else(|| panic!("{after:?}"));
    assert_eq!(
        (rival.level.as_str(), rival.record.as_deref()),
        ("fits better", Some("brother"))
    );
    assert!(
        rival.weight < -1.0 && after.probability < before,
        "{before} {after:?}"
    );
    let b = pair(&all, &recs, "request", "brother");
    assert!(b.probability > after.probability, "{b:?} {after:?}");
    // The index weighs a query's candidates against each other the same way.
    let mut index = Index::new(params).unwrap();
    index.extend(&[sister, brother]).unwrap();
    let top = index.top_k(&query, 2).unwrap();
    assert_eq!(top[0].id, "brother");
    let last = top[1].explanation.last().unwrap();
    assert_eq!(top[1].id, "sister");
    assert_eq!(
        (last.level.as_str(), last.record.as_deref()),
        ("fits better", Some("brother"))
    );

    // One registration has the name and the birth date, another the parents and the
    // village, so little in common that blocking never pairs them; a third, complete one is
    // both, and shows the first two are one child.
    let mut named = extra("named", "Zorvandel", "Qaradunizade", "AF990101");
    (named.values[3], named.values[4], named.values[9]) =
        (Value::Missing, Value::Missing, Value::Missing);
    let mut placed = extra("placed", "", "Qaradunizade", "AF990101");
    placed.values[0] = Value::Missing;
    placed.values[6] = Value::Missing;
    let complete = extra("complete", "Zorvandel", "Qaradunizade", "AF990101");
    let (alone, recs, _) = score(vec![named.clone(), placed.clone()]);
    let at = |id: &str| recs.iter().position(|r| r.id == id).unwrap();
    let (named_at, placed_at) = (at("named"), at("placed"));
    assert!(
        !alone
            .iter()
            .any(|m| m.left == named_at && m.right == placed_at)
    );
    let (all, recs, _) = score(vec![named, placed, complete]);
    let after = pair(&all, &recs, "named", "placed");
    assert!(after.probability > 0.5, "{after:?}");
    assert!(
        after
            .explanation
            .iter()
            .any(|w| w.record.as_deref() == Some("complete") && w.weight > 0.0),
        "{after:?}"
    );
}
