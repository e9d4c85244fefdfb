//! The UI's message catalogues (web/i18n/<locale>.json): every language has every message of the
//! English catalogue (and no other), with the same placeholders, so no screen falls back to a key.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
};

use serde_json::Value;

fn catalogues() -> BTreeMap<String, BTreeMap<String, Value>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/i18n");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("web/i18n") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let locale = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_owned();
        let text = std::fs::read_to_string(&path).expect("read");
        let messages: BTreeMap<String, Value> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{locale}.json: {e}"));
        out.insert(locale, messages);
    }
    out
}

/// The `{name}` placeholders of a message (all plural forms together).
fn placeholders(v: &Value) -> BTreeSet<String> {
    let forms: Vec<&str> = match v {
        Value::String(s) => vec![s.as_str()],
        Value::Object(m) => m.values().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let mut out = BTreeSet::new();
    for f in forms {
        let mut rest = f;
        while let Some(i) = rest.find('{') {
            let Some(j) = rest[i..].find('}') else { break };
            out.insert(rest[i + 1..i + j].to_owned());
            rest = &rest[i + j + 1..];
        }
    }
    out
}

#[test]
fn urdu_and_english_are_both_shipped() {
    let all = catalogues();
    assert!(
        all.contains_key("en") && all.contains_key("ur"),
        "{:?}",
        all.keys()
    );
    assert_eq!(all["ur"]["meta.dir"], "rtl");
    assert_eq!(all["en"]["meta.dir"], "ltr");
}

#[test]
fn every_catalogue_has_exactly_the_english_keys_with_the_same_placeholders() {
    let all = catalogues();
    let en = &all["en"];
    let mut problems = Vec::new();
    for (locale, messages) in &all {
        for (key, value) in en {
            match messages.get(key) {
                None => problems.push(format!("{locale}: missing {key}")),
                Some(v) if !key.starts_with("meta.") && placeholders(v) != placeholders(value) => {
                    problems.push(format!(
                        "{locale}: {key} has placeholders {:?}, English {:?}",
                        placeholders(v),
                        placeholders(value)
                    ));
                }
                Some(_) => {}
            }
        }
        for key in messages.keys().filter(|k| !en.contains_key(*k)) {
            problems.push(format!("{locale}: {key} is not in en.json"));
        }
        for (key, v) in messages {
            let ok = match v {
                Value::String(s) => !s.trim().is_empty(),
                Value::Object(m) => {
                    m.contains_key("other")
                        && m.values()
                            .all(|f| f.as_str().is_some_and(|s| !s.trim().is_empty()))
                }
                _ => false,
            };
            if !ok {
                problems.push(format!("{locale}: {key} is empty or malformed"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
