//! Priority and due date in Roman Urdu ("task 3 ki priority high kar do", "task 1 ki due date kal
//! kar do") and Urdu script ("کام 3 کی ترجیح زیادہ کرو", "کام 1 کی آخری تاریخ کل کر دو").

use super::{
    Intent, SetDetails,
    dates::{Day, When},
    pattern::pattern,
    refs::parse_ref,
};

const R_VERB: &str = r"(?:kar\s*do|karo|kar\s*dein|kardo|krdo|rakho|rakh\s*do|set\s+karo)";
const U_VERB: &str = r"(?:کرو|کر\s*دو|کر\s*دیں|کردو|رکھو|رکھ\s*دو)";

pattern!(
    R_PRIORITY,
    &format!(
        r"^(?P<t>.+?)\s+ki\s+(?:priority|tarjeeh|tarjih|ahmiyat)\s+(?P<p>high|low|medium|zyada|ziyada|kam|darmiyani|aam)\s+{R_VERB}$"
    )
);
pattern!(
    R_DUE,
    &format!(
        r"^(?P<t>.+?)\s+ki\s+(?:due date|deadline|akhri tareekh|aakhri tareekh|tareekh)\s+(?P<w>aaj|kal|parson)\s+{R_VERB}$"
    )
);
pattern!(
    U_PRIORITY,
    &format!(r"^(?P<t>.+?)\s+کی\s+(?:ترجیح|اہمیت)\s+(?P<p>زیادہ|کم|درمیانی|عام)\s+{U_VERB}$")
);
pattern!(
    U_DUE,
    &format!(r"^(?P<t>.+?)\s+کی\s+(?:آخری تاریخ|تاریخ|ڈیڈ لائن)\s+(?P<w>آج|کل|پرسوں)\s+{U_VERB}$")
);

fn priority(word: &str) -> &'static str {
    match word.to_lowercase().as_str() {
        "high" | "zyada" | "ziyada" | "زیادہ" => "high",
        "low" | "kam" | "کم" => "low",
        _ => "medium",
    }
}

fn day(word: &str) -> Day {
    match word.to_lowercase().as_str() {
        "aaj" | "آج" => Day::Today,
        "parson" | "پرسوں" => Day::InDays(2),
        // "kal" is also yesterday; a due date is never set in the past
        _ => Day::Tomorrow,
    }
}

/// A priority or due-date change in Urdu or Roman Urdu.
pub(super) fn parse(text: &str) -> Option<Intent> {
    if let Some(c) = R_PRIORITY
        .captures(text)
        .or_else(|| U_PRIORITY.captures(text))
    {
        return Some(Intent::Set {
            target: parse_ref(&c["t"]),
            change: SetDetails {
                priority: Some(priority(&c["p"])),
                ..SetDetails::default()
            },
        });
    }
    let c = R_DUE.captures(text).or_else(|| U_DUE.captures(text))?;
    Some(Intent::Set {
        target: parse_ref(&c["t"]),
        change: SetDetails {
            due: Some(Some(When {
                day: Some(day(&c["w"])),
                time: None,
            })),
            ..SetDetails::default()
        },
    })
}
