//! Urdu, in Urdu script ("دودھ لینے کا ٹاسک بناؤ", "میرے کام دکھاؤ") and in Roman Urdu ("task 3
//! mukammal kar do", "doodh wala task delete karo"): parsing the everyday commands and replying.

use super::{
    Intent, StatusFilter, TaskSummary,
    pattern::{Pattern, pattern},
    refs::{parse_ref, unquote},
    replies::{Say, lines, listing_for, options_for},
};

const R_VERB: &str =
    r"(?:kar\s*(?:do|dein|den|dijiye|dijie|lo|diya|dia)|karo|karen|karein|krdo|kr\s*do|kardo|kar)";
const U_VERB: &str = r"(?:کر\s*(?:دو|دیں|دیجیے|دیجئے|لو|دیا)|کرو|کریں|کردو|کر)";

pattern!(
    ROMAN,
    r"^(?:kya|kia)\s|\b(?:karo|kar do|kardo|krdo|kar dein|kar den|dikhao|dikha do|batao|bata do|mukammal|mukamal|shamil|shaamil|banao|bana do|hatao|hata do|mitao|mita do|wala|kaam|kaun se|kitne|mere|mera|meri|naya|baqi|baaki|dobara|khol do|naam)\b|^(?:haan|han|haa|nahi|nahin|ji|ji haan|jee|theek hai|wapas karo|wapas kar do)$"
);
pattern!(
    R_LIST,
    r"^(?P<what>.*?(?:kaam|task|tasks|list|fehrist).*?)\s+(?:dikhao|dikha do|dikha dein|dikhaen|dikhaein|dikhayen|batao|bata do|bata dein)$"
);
pattern!(
    U_LIST,
    r"^(?P<what>.*?(?:کام|ٹاسک|فہرست|لسٹ).*?)\s+(?:دکھاؤ|دکھاو|دکھائیں|دکھا\s*دو|دکھا\s*دیں|بتاؤ|بتاو|بتائیں|بتا\s*دو)$"
);
pattern!(
    R_DONE,
    &format!(r"^(?P<t>.+?)\s+(?:ko\s+)?(?:mukammal|mukamal|poora|pura|complete|done)\s+{R_VERB}$")
);
pattern!(
    U_DONE,
    &format!(r"^(?P<t>.+?)\s+(?:کو\s+)?(?:مکمل|پورا)\s+(?:{U_VERB}|ہو\s*گیا|ہو\s*گئی)$")
);
pattern!(
    R_REOPEN,
    &format!(
        r"^(?P<t>.+?)\s+(?:ko\s+)?(?:dobara khol|wapas khol|na ?mukammal|pending|incomplete)\s*(?:{R_VERB}|do|dein)?$"
    )
);
pattern!(
    U_REOPEN,
    &format!(r"^(?P<t>.+?)\s+(?:کو\s+)?(?:دوبارہ\s+کھول|نامکمل)\s*(?:{U_VERB}|دو|دیں)?$")
);
pattern!(
    R_DELETE,
    &format!(
        r"^(?P<t>.+?)\s+(?:ko\s+)?(?:delete|hata|hatao|mita|mitao|remove)\s*(?:{R_VERB}|do|dein)?$"
    )
);
pattern!(
    U_DELETE,
    &format!(r"^(?P<t>.+?)\s+(?:کو\s+)?(?:حذف|ڈیلیٹ|مٹا|ہٹا)\s*(?:{U_VERB}|دو|دیں|ؤ|و|ئیں)?$")
);
pattern!(
    R_RENAME,
    &format!(
        r"^(?P<t>.+?)\s+ka\s+(?:naam|title|unwan)\s+(?:badal\s+kar\s+)?(?P<new>.+?)\s+(?:{R_VERB}|rakh do|rakho)$"
    )
);
pattern!(
    U_RENAME,
    &format!(
        r"^(?P<t>.+?)\s+کا\s+(?:نام|عنوان)\s+(?:بدل\s+کر\s+)?(?P<new>.+?)\s+(?:{U_VERB}|رکھ\s*دو|رکھو)$"
    )
);
pattern!(
    R_ADD,
    &format!(
        r"^(?:naya\s+(?:task|kaam)\s*:\s*(?P<a>.+)|(?P<b>.+?)\s*,?\s+(?:(?:ka|ki|ke|wala)\s+)?(?:(?:task|kaam)\s+)?(?:add|shamil|shaamil|likh|note)\s*(?:{R_VERB}|lo|likho)?|(?P<c>.+?)\s*,?\s+(?:(?:ka|ki|ke|wala)\s+)?(?:task|kaam)\s+(?:bana\s*do|banao|banaen|banayen|bana\s*dein))$"
    )
);
pattern!(
    U_ADD,
    &format!(
        r"^(?:نیا\s+(?:کام|ٹاسک)\s*[:：]\s*(?P<a>.+)|(?P<b>.+?)\s*[،,]?\s+(?:(?:کا|کی|کے|والا)\s+)?(?:(?:کام|ٹاسک)\s+)?(?:شامل|ایڈ|لکھ)\s*(?:{U_VERB}|لو|لیں)?|(?P<c>.+?)\s*[،,]?\s+(?:(?:کا|کی|کے|والا)\s+)?(?:کام|ٹاسک)\s+(?:بناؤ|بناو|بنا\s*دو|بنا\s*دیں|بنائیں))$"
    )
);

pattern!(
    WHICH_TASKS,
    r"^(?P<what>(?:کون\s+سے|کتنے|kaun\s+se|kitne)\s+(?:کام|ٹاسک|kaam|tasks?)\b.*)$"
);
pattern!(
    QUESTION,
    r"^(?:کیا|kya|kia)\s+(?P<t>.+?)(?:\s+(?:مکمل|پورا|mukammal|mukamal|complete|done))?(?:\s+(?:ہو\s*(?:گیا|گئی|چکا|چکی)|ho\s*(?:gaya|gayi|gya|chuka|chuki)))?(?:\s+(?:ہے|hai))?$"
);

/// Whether a message is written in Roman Urdu.
pub(super) fn is_roman(text: &str) -> bool {
    ROMAN.is_match(text)
}

fn list_status(what: &str) -> StatusFilter {
    let w = what.to_lowercase();
    if [
        "baqi",
        "baaki",
        "baki",
        "pending",
        "باقی",
        "نامکمل",
        "زیر التوا",
    ]
    .iter()
    .any(|k| w.contains(k))
    {
        StatusFilter::Pending
    } else if ["mukammal", "complete", "done", "مکمل"]
        .iter()
        .any(|k| w.contains(k))
    {
        StatusFilter::Completed
    } else {
        StatusFilter::All
    }
}

/// A title: the words before "ka task" / "کا کام", without trailing particles.
fn title(raw: &str) -> String {
    let mut t = unquote(raw.trim().trim_end_matches(['،', ',']));
    for suffix in [" ka", " ki", " ke", " کا", " کی", " کے", " wala", " والا"] {
        if let Some(s) = t.strip_suffix(suffix) {
            t = s.trim().to_owned();
        }
    }
    t
}

/// Parses Urdu or Roman Urdu; `None` for anything else.
pub(super) fn parse(text: &str) -> Option<Intent> {
    let urdu = text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c));
    if !urdu && !is_roman(text) {
        return None;
    }
    let pick = |r: &'static Pattern, u: &'static Pattern| {
        if urdu {
            u.captures(text)
        } else {
            r.captures(text)
        }
    };
    if let Some(c) = WHICH_TASKS.captures(text) {
        return Some(Intent::List(list_status(&c["what"])));
    }
    if let Some(c) = QUESTION.captures(text) {
        // "کیا کام 3 مکمل ہو گیا؟" asks; it never changes anything
        return Some(Intent::Ask {
            target: parse_ref(&c["t"]),
        });
    }
    if let Some(c) = pick(&R_LIST, &U_LIST) {
        return Some(Intent::List(list_status(&c["what"])));
    }
    if let Some(c) = pick(&R_RENAME, &U_RENAME) {
        return Some(Intent::Update {
            target: parse_ref(&c["t"]),
            title: Some(unquote(&c["new"])),
            description: None,
        });
    }
    if let Some(c) = pick(&R_REOPEN, &U_REOPEN) {
        return Some(Intent::SetCompleted {
            target: parse_ref(&c["t"]),
            completed: false,
        });
    }
    if let Some(c) = pick(&R_DONE, &U_DONE) {
        return Some(Intent::SetCompleted {
            target: parse_ref(&c["t"]),
            completed: true,
        });
    }
    if let Some(c) = pick(&R_DELETE, &U_DELETE) {
        return Some(Intent::Delete {
            target: parse_ref(&c["t"]),
        });
    }
    let c = pick(&R_ADD, &U_ADD)?;
    let raw = c
        .name("a")
        .or_else(|| c.name("b"))
        .or_else(|| c.name("c"))?;
    let title = title(raw.as_str());
    (!title.is_empty()).then_some(Intent::Add {
        title,
        description: None,
        details: super::Details::default(),
    })
}

pub(super) fn say_urdu(what: Say<'_>) -> String {
    match what {
        Say::Updated(id, t) => format!("کام {id} \"{t}\" میں تبدیلی کر دی:"),
        Say::Unchanged(id, t) => format!("کام {id} \"{t}\" میں کچھ نہیں بدلا۔"),
        Say::Added(id, t) => format!("میں نے \"{t}\" آپ کے کاموں میں شامل کر دیا (کام {id})۔"),
        Say::Completed(id, t) => format!("ہو گیا! کام {id} \"{t}\" مکمل کر دیا۔"),
        Say::Reopened(id, t) => format!("کام {id} \"{t}\" دوبارہ کھول دیا؛ یہ اب باقی ہے۔"),
        Say::Deleted(id, t) => format!("کام {id} \"{t}\" حذف کر دیا۔"),
        Say::Renamed(id, t) => format!("کام {id} بدل دیا: اب یہ \"{t}\" ہے۔"),
        Say::Described(id, t) => format!("کام {id} \"{t}\" کی تفصیل بدل دی۔"),
        Say::NotFoundId(id) => format!("کام {id} نہیں ملا۔ اپنے کام دیکھنے کے لیے \"میرے کام دکھاؤ\" لکھیں۔"),
        Say::Failed(why) => format!("یہ نہیں ہو سکا: {why}"),
        Say::NoTasks => "آپ کا ابھی کوئی کام نہیں۔ \"دودھ لینے کا کام شامل کرو\" لکھ کر دیکھیں۔".into(),
        Say::NoMatch(q, rows) => format!(
            "\"{q}\" سے ملتا کوئی کام نہیں ملا۔ آپ کے کام: {}۔ آپ کون سا کام کہہ رہے ہیں؟",
            listing_for(rows)
        ),
        Say::Clarify(q, rows) => format!(
            "آپ کون سا کام کہہ رہے ہیں؟ \"{q}\" سے {} کام ملتے ہیں: {}۔ کام کا نمبر لکھیں۔",
            rows.len(),
            options_for(super::Lang::Ur, rows)
        ),
        Say::ConfirmDelete(id, t) => {
            format!("کیا کام {id} \"{t}\" حذف کر دوں؟ حذف کرنے کے لیے \"ہاں\" اور رکھنے کے لیے \"نہیں\" لکھیں۔")
        }
        Say::Kept(id) => format!("ٹھیک ہے، کام {id} رکھ لیا۔"),
        Say::NothingToConfirm => "ابھی کسی ہاں یا نہیں کا انتظار نہیں۔ آپ کیا کرنا چاہیں گے؟".into(),
        Say::AskTitle(id) => format!("کام {id} کا نیا نام کیا ہو؟"),
        Say::Status(id, t, true) => format!("جی — کام {id} \"{t}\" مکمل ہو چکا ہے۔"),
        Say::Status(id, t, false) => format!("کام {id} \"{t}\" ابھی مکمل نہیں ہوا۔"),
        Say::WhichOne => "آپ کون سا کام کہہ رہے ہیں؟ اس کا نمبر لکھیں، جیسے \"کام 2\"۔".into(),
        Say::NoList => "کون سی فہرست؟ پہلے \"میرے کام دکھاؤ\" لکھیں۔".into(),
        Say::NothingToUndo => "میرے پچھلے جواب میں واپس کرنے کو کچھ نہیں۔".into(),
        Say::CantUndoDetails(id) => format!("یہ تبدیلی خود واپس نہیں کر سکتا؛ کام {id} کی ترجیح یا تاریخ دوبارہ بتائیں۔"),
        Say::CantUndoRename(id) => format!("نام کی تبدیلی خود واپس نہیں کر سکتا؛ کام {id} کا پرانا نام لکھیں۔"),
        Say::Greet => "السلام علیکم! میں آپ کے کام شامل، مکمل، تبدیل اور حذف کر سکتا ہوں۔".into(),
        Say::Help | Say::Unknown => "معاف کیجیے، میں سمجھ نہیں سکا۔ مثال: \"دودھ لینے کا کام شامل کرو\"، \"میرے کام دکھاؤ\"، \"کام 3 مکمل کرو\"، \"کام 2 حذف کرو\"۔".into(),
    }
}

pub(super) fn say_roman(what: Say<'_>) -> String {
    match what {
        Say::Updated(id, t) => format!("Task {id} \"{t}\" update kar diya:"),
        Say::Unchanged(id, t) => format!("Task {id} \"{t}\" mein kuch nahi badla."),
        Say::Added(id, t) => format!("Maine \"{t}\" aap ke tasks mein shamil kar diya (task {id})."),
        Say::Completed(id, t) => format!("Ho gaya! Task {id} \"{t}\" mukammal kar diya."),
        Say::Reopened(id, t) => format!("Task {id} \"{t}\" dobara khol diya; ab yeh baqi hai."),
        Say::Deleted(id, t) => format!("Task {id} \"{t}\" delete kar diya."),
        Say::Renamed(id, t) => format!("Task {id} badal diya: ab yeh \"{t}\" hai."),
        Say::Described(id, t) => format!("Task {id} \"{t}\" ki tafseel badal di."),
        Say::NotFoundId(id) => format!("Task {id} nahi mila. \"mere kaam dikhao\" likh kar apne tasks dekhein."),
        Say::Failed(why) => format!("Yeh nahi ho saka: {why}"),
        Say::NoTasks => "Aap ka abhi koi task nahi. \"doodh lene ka task bana do\" likh kar dekhein.".into(),
        Say::NoMatch(q, rows) => format!(
            "\"{q}\" se milta koi task nahi mila. Aap ke tasks: {}. Aap kaun sa task keh rahe hain?",
            listing_for(rows)
        ),
        Say::Clarify(q, rows) => format!(
            "Aap kaun sa task keh rahe hain? \"{q}\" se {} tasks milte hain: {}. Task ka number likhein.",
            rows.len(),
            options_for(super::Lang::Roman, rows)
        ),
        Say::ConfirmDelete(id, t) => format!(
            "Task {id} \"{t}\" delete kar doon? Delete ke liye \"haan\", rakhne ke liye \"nahi\" likhein."
        ),
        Say::Kept(id) => format!("Theek hai, task {id} rakh liya."),
        Say::NothingToConfirm => "Abhi kisi haan ya nahi ka intezar nahi. Aap kya karna chahenge?".into(),
        Say::AskTitle(id) => format!("Task {id} ka naya naam kya ho?"),
        Say::Status(id, t, true) => format!("Ji — task {id} \"{t}\" mukammal ho chuka hai."),
        Say::Status(id, t, false) => format!("Task {id} \"{t}\" abhi mukammal nahi hua."),
        Say::WhichOne => "Aap kaun sa task keh rahe hain? Us ka number likhein, jaise \"task 2\".".into(),
        Say::NoList => "Kaun si list? Pehle \"mere kaam dikhao\" likhein.".into(),
        Say::NothingToUndo => "Mere pichle jawab mein wapas karne ko kuch nahi.".into(),
        Say::CantUndoDetails(id) => format!("Yeh tabdeeli khud wapas nahi kar sakta; task {id} ki priority ya tareekh dobara batayein."),
        Say::CantUndoRename(id) => format!("Naam ki tabdeeli khud wapas nahi kar sakta; task {id} ka purana naam likhein."),
        Say::Greet => "Assalam o alaikum! Main aap ke tasks shamil, mukammal, tabdeel aur delete kar sakta hoon.".into(),
        Say::Help | Say::Unknown => "Maaf kijiye, main samajh nahi saka. Misal: \"doodh lene ka task bana do\", \"mere kaam dikhao\", \"task 3 mukammal kar do\", \"task 2 delete kar do\".".into(),
    }
}

pub(super) fn render_list(lang: super::Lang, status: StatusFilter, rows: &[TaskSummary]) -> String {
    let roman = lang == super::Lang::Roman;
    if rows.is_empty() {
        return match (roman, status) {
            (false, StatusFilter::Pending) => "کوئی کام باقی نہیں — سب مکمل!".into(),
            (false, StatusFilter::Completed) => "آپ نے ابھی کوئی کام مکمل نہیں کیا۔".into(),
            (false, StatusFilter::All) => say_urdu(Say::NoTasks),
            (true, StatusFilter::Pending) => "Koi task baqi nahi — sab mukammal!".into(),
            (true, StatusFilter::Completed) => "Aap ne abhi koi task mukammal nahi kiya.".into(),
            (true, StatusFilter::All) => say_roman(Say::NoTasks),
        };
    }
    let n = rows.len();
    let head = match (roman, status) {
        (false, StatusFilter::All) => format!("آپ کے {n} کام:"),
        (false, StatusFilter::Pending) => format!("آپ کے {n} کام باقی ہیں:"),
        (false, StatusFilter::Completed) => format!("آپ نے {n} کام مکمل کیے:"),
        (true, StatusFilter::All) => format!("Aap ke {n} tasks:"),
        (true, StatusFilter::Pending) => format!("Aap ke {n} tasks baqi hain:"),
        (true, StatusFilter::Completed) => format!("Aap ne {n} tasks mukammal kiye:"),
    };
    format!("{head}\n{}", lines(status, rows))
}
