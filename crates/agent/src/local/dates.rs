//! Dates and times in plain words ("tomorrow at 5pm", "next friday", "in 3 days", "on dec 3"),
//! kept symbolic by the parser ([`When`], [`Range`]) and resolved at execution time against a
//! [`Clock`]: the current instant and the user's time zone (DST-correct through chrono-tz).
//!
//! Rules (see also `details`):
//! - a day without a time is due at 17:00 local; "today" after 17:00 means 23:59; "tonight" 20:00;
//!   a time alone ("at 5pm") is the next such time (today, or tomorrow once it has passed);
//! - "friday" is the next Friday after today (a week ahead when said on a Friday); "this friday"
//!   is today when today is Friday; "next friday" is the Friday of next week (weeks start Monday);
//! - "dec 3" / "3 december" is the next Dec 3 (this year, or next year once it has passed);
//! - a local time that does not exist (spring forward) moves an hour later; an ambiguous one
//!   (fall back) takes the earlier instant.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

use super::pattern::pattern;

/// Now, and the user's time zone.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    pub now: DateTime<Utc>,
    pub tz: Tz,
}

impl Clock {
    pub fn new(now: DateTime<Utc>, tz: Tz) -> Self {
        Self { now, tz }
    }

    /// The current instant, in UTC.
    pub fn utc_now() -> Self {
        Self::new(Utc::now(), Tz::UTC)
    }

    fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.tz).date_naive()
    }

    /// The instant of a local date and time (DST gaps move an hour later, overlaps take the first).
    pub fn at(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let local = date.and_time(time);
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
            LocalResult::None => self
                .tz
                .from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
                .map_or(self.now, |t| t.with_timezone(&Utc)),
        }
    }

    fn midnight(&self, date: NaiveDate) -> DateTime<Utc> {
        self.at(date, NaiveTime::MIN)
    }

    /// An instant as the user reads it: "Fri 27 Nov 17:00".
    pub fn show(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.tz)
            .format("%a %-d %b %H:%M")
            .to_string()
    }
}

/// A day in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Day {
    Today,
    Tonight,
    Tomorrow,
    InDays(i64),
    /// `this`: today counts; `next`: the one in next week.
    Weekday {
        day: Weekday,
        this: bool,
        next: bool,
    },
    Date {
        month: u32,
        day: u32,
    },
}

/// A due date in words: a day, a time of day, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct When {
    pub day: Option<Day>,
    pub time: Option<(u32, u32)>,
}

const DEFAULT_TIME: (u32, u32) = (17, 0);

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

impl When {
    /// The instant this names, for `clock`.
    pub fn resolve(&self, clock: &Clock) -> DateTime<Utc> {
        let today = clock.today();
        let Some(day) = self.day else {
            let (h, m) = self.time.unwrap_or(DEFAULT_TIME);
            let at = clock.at(today, hm(h, m));
            return if at > clock.now {
                at
            } else {
                clock.at(today + Duration::days(1), hm(h, m))
            };
        };
        let date = day_date(day, today);
        let default = if day == Day::Tonight {
            (20, 0)
        } else {
            DEFAULT_TIME
        };
        let (h, m) = self.time.unwrap_or(default);
        let at = clock.at(date, hm(h, m));
        if self.time.is_none() && day == Day::Today && at <= clock.now {
            return clock.at(date, hm(23, 59));
        }
        at
    }
}

fn day_date(day: Day, today: NaiveDate) -> NaiveDate {
    match day {
        Day::Today | Day::Tonight => today,
        Day::Tomorrow => today + Duration::days(1),
        Day::InDays(n) => today + Duration::days(n),
        Day::Weekday { day, this, next } => {
            let ahead = (7 + i64::from(day.num_days_from_monday())
                - i64::from(today.weekday().num_days_from_monday()))
                % 7;
            let ahead = if ahead == 0 && !this { 7 } else { ahead };
            let date = today + Duration::days(ahead);
            let this_week_ends =
                today + Duration::days(6 - i64::from(today.weekday().num_days_from_monday()));
            if next && date <= this_week_ends {
                date + Duration::days(7)
            } else {
                date
            }
        }
        Day::Date { month, day } => {
            let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
            match this_year {
                Some(d) if d >= today => d,
                _ => NaiveDate::from_ymd_opt(today.year() + 1, month, day).unwrap_or(today),
            }
        }
    }
}

/// A span of due dates asked about ("what's due this week?").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    Today,
    Tomorrow,
    ThisWeek,
    NextWeek,
    /// The next seven days.
    Soon,
}

impl Range {
    /// `(due_after, due_before)`: from (inclusive) and until (exclusive).
    pub fn bounds(self, clock: &Clock) -> (DateTime<Utc>, DateTime<Utc>) {
        let today = clock.today();
        let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        let (from, until) = match self {
            Range::Today => (today, today + Duration::days(1)),
            Range::Tomorrow => (today + Duration::days(1), today + Duration::days(2)),
            Range::ThisWeek => (today, monday + Duration::days(7)),
            Range::NextWeek => (monday + Duration::days(7), monday + Duration::days(14)),
            Range::Soon => return (clock.now, clock.now + Duration::days(7)),
        };
        (clock.midnight(from), clock.midnight(until))
    }

    pub fn words(self) -> &'static str {
        match self {
            Range::Today => "today",
            Range::Tomorrow => "tomorrow",
            Range::ThisWeek => "this week",
            Range::NextWeek => "next week",
            Range::Soon => "in the next 7 days",
        }
    }
}

pub(super) const WEEKDAY: &str = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thu|thurs?|fri|sat|sun)";
const MONTH: &str = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
const TIME: &str =
    r"(?:\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|noon|midday|midnight)";

pattern!(
    WHEN,
    &format!(
        r"^(?:(?:the\s+)?day after tomorrow|today|tonight|tomorrow|tmrw|tmr|in\s+(?P<n>\d+|a|an|one|two|three|four|five|six|seven|ten)\s+(?P<unit>days?|weeks?)|(?:(?P<rel>next|this|coming)\s+)?(?P<wd>{WEEKDAY})|(?:on\s+)?(?:the\s+)?(?P<md>{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}))?(?:\s*,?\s*(?:at\s+)?(?P<time>{TIME}))?$"
    )
);
pattern!(
    TIME_FIRST,
    &format!(r"^(?:at\s+)?(?P<time>{TIME})\s+(?P<rest>.+)$")
);
pattern!(DIGITS, r"\d+");

fn weekday(word: &str) -> Option<Weekday> {
    let w = word.to_lowercase();
    Some(match w.get(..3)? {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    })
}

fn month(word: &str) -> Option<u32> {
    let w = word.to_lowercase();
    let names = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    names
        .iter()
        .position(|m| w.starts_with(m))
        .and_then(|i| u32::try_from(i + 1).ok())
}

fn small_number(word: &str) -> Option<i64> {
    Some(match word.to_lowercase().as_str() {
        "a" | "an" | "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "ten" => 10,
        n => n.parse().ok()?,
    })
}

/// A time of day: "5pm", "5:30 pm", "17:00", "noon".
fn time_of(raw: &str) -> Option<(u32, u32)> {
    let t = raw.to_lowercase().replace('.', "");
    match t.as_str() {
        "noon" | "midday" => return Some((12, 0)),
        "midnight" => return Some((23, 59)),
        _ => {}
    }
    let nums: Vec<u32> = DIGITS
        .find_iter(&t)
        .filter_map(|m| m.as_str().parse().ok())
        .collect();
    let (mut h, m) = (*nums.first()?, nums.get(1).copied().unwrap_or(0));
    if t.ends_with("pm") && h < 12 {
        h += 12;
    } else if t.ends_with("am") && h == 12 {
        h = 0;
    }
    (h < 24 && m < 60).then_some((h, m))
}

fn date_of(md: &str) -> Option<Day> {
    let day: u32 = DIGITS.find(md)?.as_str().parse().ok()?;
    let month = md
        .split_whitespace()
        .filter(|w| !w.starts_with(|c: char| c.is_ascii_digit()))
        .find_map(month)?;
    NaiveDate::from_ymd_opt(2024, month, day)?; // a day some year has (Feb 29 included)
    Some(Day::Date { month, day })
}

/// Reads a whole phrase as a date/time ("tomorrow at 5pm", "5pm tomorrow", "next friday").
pub fn parse_when(phrase: &str) -> Option<When> {
    let phrase = phrase.trim().trim_matches(',').trim();
    if let Some(c) = TIME_FIRST.captures(phrase) {
        let time = time_of(&c["time"])?;
        let rest = parse_when(&c["rest"])?;
        return (rest.time.is_none() && rest.day.is_some()).then_some(When {
            day: rest.day,
            time: Some(time),
        });
    }
    let c = WHEN.captures(phrase)?;
    let time = match c.name("time") {
        Some(t) => Some(time_of(t.as_str())?),
        None => None,
    };
    let day_text = c.name("time").map_or(phrase, |t| &phrase[..t.start()]);
    let day_text = day_text.trim().trim_end_matches(',').to_lowercase();
    let day_text = day_text.strip_suffix(" at").unwrap_or(&day_text).trim();
    let day = if let Some(wd) = c.name("wd") {
        let rel = c.name("rel").map(|r| r.as_str().to_lowercase());
        Some(Day::Weekday {
            day: weekday(wd.as_str())?,
            this: rel.as_deref() == Some("this"),
            next: rel.as_deref() == Some("next"),
        })
    } else if let Some(md) = c.name("md") {
        Some(date_of(md.as_str())?)
    } else if let (Some(n), Some(unit)) = (c.name("n"), c.name("unit")) {
        let n = small_number(n.as_str())?;
        let days = if unit.as_str().to_lowercase().starts_with("week") {
            n.checked_mul(7)?
        } else {
            n
        };
        (1..=366).contains(&days).then_some(Day::InDays(days))
    } else {
        match day_text {
            "" | "at" => None,
            "today" => Some(Day::Today),
            "tonight" => Some(Day::Tonight),
            "tomorrow" | "tmrw" | "tmr" => Some(Day::Tomorrow),
            _ if day_text.contains("after tomorrow") => Some(Day::InDays(2)),
            _ => return None,
        }
    };
    (day.is_some() || time.is_some()).then_some(When { day, time })
}

/// Whether a phrase dates itself without a marker word ("tomorrow", "next friday", "in 3 days",
/// "at 5pm") — unlike a bare "friday" or "dec 3", which need "due", "by" or "on" before them.
pub fn self_marking(phrase: &str) -> bool {
    let p = phrase.trim().to_lowercase();
    [
        "today", "tonight", "tomorrow", "tmrw", "next ", "this ", "coming ", "in ", "at ",
    ]
    .iter()
    .any(|w| p.starts_with(w))
        || p.starts_with("the day after")
        || p.starts_with("day after")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(now: &str, tz: &str) -> Clock {
        Clock::new(
            DateTime::parse_from_rfc3339(now)
                .map(|d| d.with_timezone(&Utc))
                .expect("now"),
            tz.parse().expect("tz"),
        )
    }

    fn at(phrase: &str, c: &Clock) -> String {
        let w = parse_when(phrase).unwrap_or_else(|| panic!("no date in {phrase:?}"));
        w.resolve(c)
            .with_timezone(&c.tz)
            .format("%Y-%m-%d %H:%M %a")
            .to_string()
    }

    #[test]
    fn relative_days_resolve_in_the_users_zone() {
        // Wednesday 25 Nov 2026, 22:30 UTC = Thursday 03:30 in Karachi
        let c = clock("2026-11-25T22:30:00Z", "Asia/Karachi");
        assert_eq!(at("today", &c), "2026-11-26 17:00 Thu");
        assert_eq!(at("tomorrow", &c), "2026-11-27 17:00 Fri");
        assert_eq!(at("tomorrow at 5pm", &c), "2026-11-27 17:00 Fri");
        assert_eq!(at("tomorrow at 9:30 am", &c), "2026-11-27 09:30 Fri");
        assert_eq!(at("5pm tomorrow", &c), "2026-11-27 17:00 Fri");
        assert_eq!(at("friday", &c), "2026-11-27 17:00 Fri");
        assert_eq!(at("thursday", &c), "2026-12-03 17:00 Thu");
        assert_eq!(at("this thursday", &c), "2026-11-26 17:00 Thu");
        assert_eq!(at("next friday", &c), "2026-12-04 17:00 Fri");
        assert_eq!(at("next monday", &c), "2026-11-30 17:00 Mon");
        assert_eq!(at("in 3 days", &c), "2026-11-29 17:00 Sun");
        assert_eq!(at("in a week", &c), "2026-12-03 17:00 Thu");
        assert_eq!(at("on dec 3", &c), "2026-12-03 17:00 Thu");
        assert_eq!(at("3rd of december at noon", &c), "2026-12-03 12:00 Thu");
        assert_eq!(at("nov 1", &c), "2027-11-01 17:00 Mon");
        assert_eq!(at("at 5pm", &c), "2026-11-26 17:00 Thu");
        assert_eq!(at("tonight", &c), "2026-11-26 20:00 Thu");
        assert_eq!(at("day after tomorrow", &c), "2026-11-28 17:00 Sat");
        // in UTC the same instant is still Wednesday
        let u = clock("2026-11-25T22:30:00Z", "UTC");
        assert_eq!(at("tomorrow", &u), "2026-11-26 17:00 Thu");
        assert_eq!(at("today", &u), "2026-11-25 23:59 Wed");
        assert_eq!(at("at 5pm", &u), "2026-11-26 17:00 Thu");
    }

    #[test]
    fn daylight_saving_changes_keep_the_local_time() {
        // Saturday 7 Mar 2026 in New York; clocks spring forward on Sunday 8 Mar at 02:00
        let c = clock("2026-03-07T15:00:00Z", "America/New_York");
        let w = parse_when("tomorrow at 5pm").expect("when");
        assert_eq!(w.resolve(&c).to_rfc3339(), "2026-03-08T21:00:00+00:00");
        let w = parse_when("tomorrow at 2:30am").expect("when");
        assert_eq!(at("tomorrow at 2:30am", &c), "2026-03-08 03:30 Sun");
        assert_eq!(w.resolve(&c).to_rfc3339(), "2026-03-08T07:30:00+00:00");
        let w = parse_when("today at 5pm").expect("when");
        assert_eq!(w.resolve(&c).to_rfc3339(), "2026-03-07T22:00:00+00:00");
    }

    #[test]
    fn ranges_are_local_days_and_weeks() {
        let c = clock("2026-11-25T22:30:00Z", "Asia/Karachi");
        let (from, until) = Range::ThisWeek.bounds(&c);
        assert_eq!(from.to_rfc3339(), "2026-11-25T19:00:00+00:00");
        assert_eq!(until.to_rfc3339(), "2026-11-29T19:00:00+00:00");
        let (from, until) = Range::Today.bounds(&c);
        assert_eq!(
            (from.to_rfc3339(), until.to_rfc3339()),
            (
                "2026-11-25T19:00:00+00:00".into(),
                "2026-11-26T19:00:00+00:00".into()
            )
        );
    }

    #[test]
    fn not_dates() {
        for p in [
            "weekly",
            "the report",
            "friday snacks",
            "in the morning",
            "feb 30",
            "25:00",
        ] {
            assert_eq!(parse_when(p), None, "{p}");
        }
        assert!(self_marking("next friday") && !self_marking("friday"));
    }
}
