//! What a task has beyond its title: priority, tags, due date, recurrence; and how listings filter,
//! search and sort by them.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// At most this many tags per task.
pub const MAX_TAGS: usize = 10;
/// At most this many characters per tag.
pub const MAX_TAG_CHARS: usize = 32;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Low,
    #[default]
    Medium,
    High,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::Low, Priority::Medium, Priority::High];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
        }
    }

    /// The stored rank (0 low, 1 medium, 2 high): sorting by it sorts by priority.
    pub fn rank(self) -> i16 {
        match self {
            Priority::Low => 0,
            Priority::Medium => 1,
            Priority::High => 2,
        }
    }

    pub fn from_rank(rank: i16) -> Priority {
        match rank {
            i16::MIN..=0 => Priority::Low,
            1 => Priority::Medium,
            _ => Priority::High,
        }
    }
}

impl std::str::FromStr for Priority {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" => Ok(Priority::Low),
            "medium" | "normal" => Ok(Priority::Medium),
            "high" => Ok(Priority::High),
            _ => Err("priority must be one of low, medium, high".into()),
        }
    }
}

/// How a task repeats. Completing a recurring task creates its next occurrence, due per the rule
/// in the user's time zone (same local time of day; month ends clamp to the last day).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recurrence {
    Daily,
    /// Monday to Friday.
    Weekdays,
    Weekly,
    Monthly,
}

impl Recurrence {
    pub fn as_str(self) -> &'static str {
        match self {
            Recurrence::Daily => "daily",
            Recurrence::Weekdays => "weekdays",
            Recurrence::Weekly => "weekly",
            Recurrence::Monthly => "monthly",
        }
    }

    /// The next due instant after `from` (a due date, or the completion time when there was none),
    /// keeping the local time of day in `tz` across DST changes.
    pub fn next_after(self, from: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let local = from.with_timezone(&tz);
        let (date, time) = (local.date_naive(), local.time());
        let next_date = match self {
            Recurrence::Daily => date + Duration::days(1),
            Recurrence::Weekdays => {
                let mut d = date + Duration::days(1);
                while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                    d += Duration::days(1);
                }
                d
            }
            Recurrence::Weekly => date + Duration::days(7),
            Recurrence::Monthly => add_month(date, local.day()),
        };
        match tz.from_local_datetime(&next_date.and_time(time)) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
            // the local time does not exist that day (spring forward): an hour later
            LocalResult::None => {
                let later = next_date.and_time(time) + Duration::hours(1);
                tz.from_local_datetime(&later)
                    .earliest()
                    .map_or(from + Duration::days(1), |t| t.with_timezone(&Utc))
            }
        }
    }
}

/// The same day of the next month, or its last day when it is shorter (Jan 31 → Feb 28/29).
fn add_month(date: NaiveDate, day: u32) -> NaiveDate {
    let (y, m) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    (1..=day)
        .rev()
        .find_map(|d| NaiveDate::from_ymd_opt(y, m, d))
        .unwrap_or(date)
}

impl std::str::FromStr for Recurrence {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "daily" => Ok(Recurrence::Daily),
            "weekdays" => Ok(Recurrence::Weekdays),
            "weekly" => Ok(Recurrence::Weekly),
            "monthly" => Ok(Recurrence::Monthly),
            _ => Err("recurrence must be one of daily, weekdays, weekly, monthly".into()),
        }
    }
}

/// An RFC 3339 instant with its offset (`2026-12-04T17:00:00+05:00`), as UTC; the error names `field`.
pub fn parse_instant(field: &str, raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            format!("{field} must be an RFC 3339 date-time, e.g. 2026-12-04T17:00:00+05:00")
        })
}

/// A time zone by IANA name; unknown names are refused.
pub fn parse_timezone(name: &str) -> Result<Tz, String> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| format!("unknown time zone {name:?}: use an IANA name such as Asia/Karachi"))
}

/// One tag, normalised: trimmed, lower case, inner spaces as `-`, letters (any script), digits,
/// `-` and `_` only, 1 to 32 characters. A leading `#` is dropped.
pub fn normalize_tag(raw: &str) -> Result<String, String> {
    let t = raw.trim().trim_start_matches('#').trim().to_lowercase();
    let t: String = t.split_whitespace().collect::<Vec<_>>().join("-");
    if t.is_empty() {
        return Err("tags cannot be empty".into());
    }
    if t.chars().count() > MAX_TAG_CHARS {
        return Err(format!("a tag has at most {MAX_TAG_CHARS} characters"));
    }
    if !t
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        return Err("tags may contain letters, digits, - and _ only".into());
    }
    Ok(t)
}

/// Normalised, de-duplicated tags (first occurrence order), at most [`MAX_TAGS`].
pub fn normalize_tags(raw: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for r in raw {
        let t = normalize_tag(r)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(format!("a task has at most {MAX_TAGS} tags"));
    }
    Ok(out)
}

/// Tags as stored: `,a,b,` (empty string for none).
pub fn encode_tags(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!(",{},", tags.join(","))
    }
}

pub fn decode_tags(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Sort key of a listing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    /// Creation order (task numbers).
    #[default]
    Created,
    /// Due date (tasks without one last).
    Due,
    Priority,
    Title,
}

impl std::str::FromStr for SortKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "created" => Ok(SortKey::Created),
            "due" => Ok(SortKey::Due),
            "priority" => Ok(SortKey::Priority),
            "title" => Ok(SortKey::Title),
            _ => Err("sort must be one of created, due, priority, title".into()),
        }
    }
}

/// Values of a new task beyond the title.
#[derive(Clone, Debug, Default)]
pub struct TaskDetails {
    pub priority: Priority,
    pub tags: Vec<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub recurrence: Option<Recurrence>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(tz: Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("valid local time")
            .with_timezone(&Utc)
    }

    #[test]
    fn monthly_clamps_to_the_end_of_shorter_months() {
        let tz: Tz = "Asia/Karachi".parse().expect("tz");
        let jan31 = at(tz, 2027, 1, 31, 9, 0);
        assert_eq!(
            Recurrence::Monthly.next_after(jan31, tz),
            at(tz, 2027, 2, 28, 9, 0)
        );
        let dec15 = at(tz, 2027, 12, 15, 9, 0);
        assert_eq!(
            Recurrence::Monthly.next_after(dec15, tz),
            at(tz, 2028, 1, 15, 9, 0)
        );
    }

    #[test]
    fn daily_keeps_the_local_time_across_dst() {
        let tz: Tz = "Europe/Berlin".parse().expect("tz");
        // the night clocks go forward (2027-03-28): 08:00 stays 08:00 local, 23 hours later
        let before = at(tz, 2027, 3, 27, 8, 0);
        let next = Recurrence::Daily.next_after(before, tz);
        assert_eq!(next, at(tz, 2027, 3, 28, 8, 0));
        assert_eq!((next - before).num_hours(), 23);
    }

    #[test]
    fn a_time_skipped_by_dst_moves_an_hour_later() {
        let tz: Tz = "Europe/Berlin".parse().expect("tz");
        let before = at(tz, 2027, 3, 27, 2, 30);
        assert_eq!(
            Recurrence::Daily.next_after(before, tz),
            at(tz, 2027, 3, 28, 3, 30)
        );
    }

    #[test]
    fn weekdays_skip_the_weekend() {
        let tz = Tz::UTC;
        let friday = at(tz, 2027, 1, 1, 7, 0); // 2027-01-01 is a Friday
        assert_eq!(
            Recurrence::Weekdays.next_after(friday, tz),
            at(tz, 2027, 1, 4, 7, 0)
        );
        assert_eq!(
            Recurrence::Weekly.next_after(friday, tz),
            at(tz, 2027, 1, 8, 7, 0)
        );
    }

    #[test]
    fn tags_are_normalised_and_limited() {
        let raw = vec![
            "#Work".to_owned(),
            " home  office ".into(),
            "work".into(),
            "کام".into(),
        ];
        assert_eq!(
            normalize_tags(&raw).expect("ok"),
            ["work", "home-office", "کام"]
        );
        assert!(normalize_tag("a,b").is_err());
        assert!(normalize_tag("  ").is_err());
        assert!(normalize_tag(&"x".repeat(33)).is_err());
        let many: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        assert!(normalize_tags(&many).is_err());
        let tags = normalize_tags(&raw).expect("ok");
        assert_eq!(decode_tags(&encode_tags(&tags)), tags);
        assert_eq!(encode_tags(&[]), "");
    }
}
