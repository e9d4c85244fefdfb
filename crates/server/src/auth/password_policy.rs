//! Which new passwords are accepted, in the spirit of NIST SP 800-63B: at least 8 characters (at
//! most 128), not one of the most common passwords (a shipped list), not a single character
//! repeated, not the account's email (or its name part). No composition rules.

use std::{collections::HashSet, sync::OnceLock};

use crate::error::ApiError;

use super::password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};

/// The most common passwords of 8+ characters (zxcvbn's frequency list, MIT), lower case.
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect()
    })
}

/// Checks a new password for the account `email`; the error uses Better Auth's shape and codes.
pub fn check(password: &str, email: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(ApiError::bad_request(
            "PASSWORD_TOO_SHORT",
            format!("Password too short: use at least {MIN_PASSWORD_CHARS} characters."),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(ApiError::bad_request(
            "PASSWORD_TOO_LONG",
            format!("Password too long: use at most {MAX_PASSWORD_CHARS} characters."),
        ));
    }
    let lower = password.to_lowercase();
    if common_passwords().contains(lower.as_str()) {
        return Err(ApiError::bad_request(
            "PASSWORD_COMPROMISED",
            "This password is one of the most commonly used ones. Please choose a different password.",
        ));
    }
    let mut chars = password.chars();
    let first = chars.next();
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or("");
    if chars.all(|c| Some(c) == first) || lower == email || (local.len() >= 8 && lower == local) {
        return Err(ApiError::bad_request(
            "PASSWORD_TOO_WEAK",
            "This password is too easy to guess. Please choose a different password.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(pw: &str) -> Option<String> {
        check(pw, "ada.lovelace@example.com")
            .err()
            .map(|e| e.body().code.to_string())
    }

    #[test]
    fn the_policy_refuses_common_and_trivial_passwords() {
        assert!(common_passwords().len() > 10_000);
        assert_eq!(code("short").as_deref(), Some("PASSWORD_TOO_SHORT"));
        assert_eq!(code("password").as_deref(), Some("PASSWORD_COMPROMISED"));
        assert_eq!(code("12345678").as_deref(), Some("PASSWORD_COMPROMISED"));
        assert_eq!(code("PassWord1").as_deref(), Some("PASSWORD_COMPROMISED"));
        assert_eq!(code("        ").as_deref(), Some("PASSWORD_TOO_WEAK"));
        assert_eq!(code("zzzzzzzzzz").as_deref(), Some("PASSWORD_TOO_WEAK"));
        assert_eq!(
            code("Ada.Lovelace@example.com").as_deref(),
            Some("PASSWORD_TOO_WEAK")
        );
        assert_eq!(code("ada.lovelace").as_deref(), Some("PASSWORD_TOO_WEAK"));
        assert_eq!(code("correct horse battery"), None);
        assert_eq!(code(&"x".repeat(129)).as_deref(), Some("PASSWORD_TOO_LONG"));
    }
}
