//! Value parsers for the configuration's typed fields. A URL that is not an absolute http(s) URL is
//! refused when the configuration is read, with the message naming its environment variable.

use std::convert::Infallible;

use secrecy::SecretString;
use url::Url;

/// A secret as given: kept in a [`SecretString`] so it never shows in `Debug` output or logs.
pub fn secret(raw: &str) -> Result<SecretString, Infallible> {
    Ok(SecretString::from(raw))
}

/// An absolute http(s) URL with a host.
pub fn http_url(raw: &str) -> Option<Url> {
    let url = Url::parse(raw).ok()?;
    let http = matches!(url.scheme(), "http" | "https");
    (http && url.host_str().is_some_and(|h| !h.is_empty())).then_some(url)
}

fn named(raw: &str, var: &str) -> Result<Url, String> {
    http_url(raw).ok_or_else(|| format!("{var} must be an absolute http(s) URL"))
}

pub fn better_auth_url(raw: &str) -> Result<Url, String> {
    named(raw, "BETTER_AUTH_URL")
}

pub fn openai_base_url(raw: &str) -> Result<Url, String> {
    named(raw, "OPENAI_BASE_URL")
}

pub fn mcp_url(raw: &str) -> Result<Url, String> {
    named(raw, "MCP_URL")
}

/// MCP_PUBLIC_URL: an empty value means unset (as the chart and `.env` files may leave it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionalUrl(pub Option<Url>);

impl From<Url> for OptionalUrl {
    fn from(url: Url) -> Self {
        Self(Some(url))
    }
}

pub fn mcp_public_url(raw: &str) -> Result<OptionalUrl, String> {
    if raw.trim().is_empty() {
        return Ok(OptionalUrl(None));
    }
    named(raw, "MCP_PUBLIC_URL").map(OptionalUrl::from)
}

/// The URL as text without a trailing `/` (the form issuers, audiences and API bases are built on:
/// `Url` always spells an empty path as `/`).
pub fn trimmed(url: &Url) -> &str {
    url.as_str().trim_end_matches('/')
}
