//! Input rules shared by every entry point (REST, MCP tools, chat), so they can never disagree.

use std::collections::BTreeMap;
use std::fmt;

pub const TITLE_MAX_CHARS: usize = 200;
pub const DESCRIPTION_MAX_CHARS: usize = 1000;
pub const NAME_MAX_CHARS: usize = 200;
pub const CONVERSATION_TITLE_MAX_CHARS: usize = 200;
pub const MESSAGE_MAX_CHARS: usize = 8000;

/// Field name -> what is wrong with it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FieldErrors(pub BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, message);
        e
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when no error was recorded.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Collects the error of one field check, returning the value when it passed.
    pub fn check<T>(&mut self, field: &str, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e);
                None
            }
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        f.write_str(&parts.join("; "))
    }
}

/// Empty, or only whitespace and invisible characters (zero-width spaces and joiners, BOM, soft
/// hyphen...): nothing a person could read.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_whitespace()
            || matches!(
                c,
                '\u{00AD}' | '\u{034F}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
            )
    })
}

fn has_forbidden_control(s: &str, allow_newlines: bool) -> bool {
    s.chars().any(|c| {
        c == '\u{0}'
            || (c.is_control() && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t')))
    })
}

/// A task title: trimmed, 1..=200 characters, a single line.
pub fn title(input: &str) -> Result<String, String> {
    let t = input.trim();
    if is_blank(t) {
        return Err("title must not be empty".into());
    }
    if t.chars().count() > TITLE_MAX_CHARS {
        return Err(format!(
            "title must be at most {TITLE_MAX_CHARS} characters"
        ));
    }
    if has_forbidden_control(t, false) {
        return Err("title must not contain control characters".into());
    }
    Ok(t.to_owned())
}

/// A task description: at most 1000 characters; blank means none.
pub fn description(input: Option<&str>) -> Result<Option<String>, String> {
    let Some(d) = input else { return Ok(None) };
    let d = d.trim();
    if d.is_empty() {
        return Ok(None);
    }
    if d.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(format!(
            "description must be at most {DESCRIPTION_MAX_CHARS} characters"
        ));
    }
    if has_forbidden_control(d, true) {
        return Err("description must not contain control characters".into());
    }
    Ok(Some(d.to_owned()))
}

/// A person's display name: trimmed, 1..=200 characters.
pub fn name(input: &str) -> Result<String, String> {
    let n = input.trim();
    if is_blank(n) {
        return Err("name must not be empty".into());
    }
    if n.chars().count() > NAME_MAX_CHARS {
        return Err(format!("name must be at most {NAME_MAX_CHARS} characters"));
    }
    if has_forbidden_control(n, false) {
        return Err("name must not contain control characters".into());
    }
    Ok(n.to_owned())
}

/// An email address, normalised to lower case. Deliberately simple: one `@`, a dot in the domain, no spaces.
pub fn email(input: &str) -> Result<String, String> {
    let e = input.trim().to_lowercase();
    let valid = e.len() <= 320
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && match e.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            }
            None => false,
        };
    if valid {
        Ok(e)
    } else {
        Err("invalid email address".into())
    }
}

/// A conversation title: trimmed, 1..=200 characters.
pub fn conversation_title(input: &str) -> Result<String, String> {
    let t = input.trim();
    if is_blank(t) {
        return Err("title must not be empty".into());
    }
    if t.chars().count() > CONVERSATION_TITLE_MAX_CHARS {
        return Err(format!(
            "title must be at most {CONVERSATION_TITLE_MAX_CHARS} characters"
        ));
    }
    if has_forbidden_control(t, false) {
        return Err("title must not contain control characters".into());
    }
    Ok(t.to_owned())
}

/// A chat message from the user: 1..=8000 characters, not blank.
pub fn message(input: &str) -> Result<String, String> {
    if is_blank(input) {
        return Err("message must not be empty".into());
    }
    if input.chars().count() > MESSAGE_MAX_CHARS {
        return Err(format!(
            "message must be at most {MESSAGE_MAX_CHARS} characters"
        ));
    }
    if has_forbidden_control(input, true) {
        return Err("message must not contain control characters".into());
    }
    Ok(input.to_owned())
}

/// Shortens text to at most `max` characters on a character boundary, adding an ellipsis when cut.
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_rules() {
        assert_eq!(title("  Buy milk ").as_deref(), Ok("Buy milk"));
        assert!(title("").is_err());
        assert!(title("   ").is_err());
        assert!(title(&"a".repeat(200)).is_ok());
        assert!(title(&"a".repeat(201)).is_err());
        // characters, not bytes
        assert!(title(&"é".repeat(200)).is_ok());
        assert!(title(&"🎉".repeat(201)).is_err());
        assert!(title("a\u{0}b").is_err());
        assert!(title("line\nbreak").is_err());
    }

    #[test]
    fn description_rules() {
        assert_eq!(description(None), Ok(None));
        assert_eq!(description(Some("  ")), Ok(None));
        assert_eq!(description(Some("x\ny")), Ok(Some("x\ny".into())));
        assert!(description(Some(&"d".repeat(1000))).is_ok());
        assert!(description(Some(&"d".repeat(1001))).is_err());
        assert!(description(Some("nul\u{0}")).is_err());
    }

    #[test]
    fn email_rules() {
        assert_eq!(email(" Ada@Example.COM ").as_deref(), Ok("ada@example.com"));
        for bad in [
            "", "a", "a@b", "@b.c", "a@b@c.d", "a b@c.d", "a@.c", "a@c.", "a@b..c",
        ] {
            assert!(email(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn truncation_respects_chars() {
        assert_eq!(truncate_chars("héllo", 10), "héllo");
        assert_eq!(truncate_chars("héllo wörld", 5), "héll…");
    }
}
