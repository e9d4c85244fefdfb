//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, the registration
//! the MCP authorization spec 2025-11-25 prefers): a `client_id` that is an https URL names a JSON
//! document the client hosts. It is fetched (5 KiB, 5 s, no redirects, public addresses only
//! unless OAUTH_CIMD_ALLOW_PRIVATE is set for development and tests, 60 fetches per host per 5
//! minutes), validated (its `client_id`
//! is the URL, public client, redirect URIs), cached as its `Cache-Control` allows (5 minutes at
//! most), and recorded as a client row under a derived id (`cimd-…`) so grants and the
//! connections list work as for registered clients.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{Arc, Mutex, OnceLock},
    time::{Duration, Instant},
};

use reqwest::{
    Url,
    dns::{Addrs, Name, Resolve, Resolving},
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use todobot_store::OauthClient;

use super::{OAuthError, register::valid_redirect_uri};
use crate::AppState;

/// Largest accepted document (the draft suggests 5 KB).
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
/// Bound on fetching one document.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a valid document is reused at most before it is fetched again (less when its
/// `Cache-Control` says so; never with `no-store` / `no-cache`).
const CACHE_TTL: Duration = Duration::from_secs(300);
/// Documents kept at most (expired ones are dropped first, then everything).
const CACHE_MAX: usize = 1000;
/// Prefix of the stored id of a URL-identified client.
pub const STORED_PREFIX: &str = "cimd-";
const MAX_URL_LEN: usize = 2000;
/// Fetches allowed per document host per window: todobot is not to be used to hammer a site.
pub const MAX_FETCHES_PER_HOST: i64 = 60;
const FETCH_WINDOW_SECS: i64 = 300;

/// Whether a `client_id` names a metadata document (else it is a registered client's id).
pub fn is_url_client_id(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// The id a client is stored under: registered ids as they are, URLs as `cimd-` + SHA-256 (the
/// id column holds 64 characters; a URL may be longer).
pub fn client_key(client_id: &str) -> String {
    if is_url_client_id(client_id) {
        let hex = hex::encode(Sha256::digest(client_id.as_bytes()));
        format!("{STORED_PREFIX}{}", &hex[..64 - STORED_PREFIX.len()])
    } else {
        client_id.to_owned()
    }
}

/// Validated documents by URL, each with the instant it expires.
#[derive(Default)]
pub struct Cache(Mutex<HashMap<String, (Instant, Arc<OauthClient>)>>);

impl Cache {
    fn get(&self, url: &str) -> Option<Arc<OauthClient>> {
        let map = self.0.lock().ok()?;
        map.get(url)
            .filter(|(until, _)| Instant::now() < *until)
            .map(|(_, c)| c.clone())
    }

    fn put(&self, url: &str, client: Arc<OauthClient>, ttl: Duration) {
        if ttl.is_zero() {
            return;
        }
        let Ok(mut map) = self.0.lock() else { return };
        if map.len() >= CACHE_MAX {
            let now = Instant::now();
            map.retain(|_, (until, _)| now < *until);
            if map.len() >= CACHE_MAX {
                map.clear();
            }
        }
        map.insert(url.to_owned(), (Instant::now() + ttl, client));
    }
}

/// How long a document may be reused, from its `Cache-Control` (capped at [`CACHE_TTL`]).
fn cache_ttl(cache_control: Option<&str>) -> Duration {
    let Some(value) = cache_control else {
        return CACHE_TTL;
    };
    let mut ttl = CACHE_TTL;
    for directive in value.split(',').map(|d| d.trim().to_ascii_lowercase()) {
        if directive == "no-store" || directive == "no-cache" {
            return Duration::ZERO;
        }
        if let Some(secs) = directive
            .strip_prefix("max-age=")
            .and_then(|n| n.trim_matches('"').parse::<u64>().ok())
        {
            ttl = ttl.min(Duration::from_secs(secs));
        }
    }
    ttl
}

fn refuse(description: impl Into<String>) -> OAuthError {
    OAuthError::new("invalid_client", description)
}

/// Whether an address is one a document may be fetched from by default: not loopback, private,
/// link-local, shared, documentation, benchmarking, multicast, reserved or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local()
                    || first == 0x2001 && v6.segments()[1] == 0x0db8
                    || first == 0x0064 && v6.segments()[1] == 0xff9b
                    || first == 0)
            }
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        || a == 100 && (64..128).contains(&b)
        || a == 198 && (18..20).contains(&b)
        || a == 192 && b == 0)
}

/// DNS resolution that refuses names resolving to any non-public address (checked on the
/// addresses actually connected to, so DNS rebinding cannot slip past a separate check).
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() || addrs.iter().any(|a| !is_public(a.ip())) {
                return Err("the host does not resolve to public addresses only".into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

fn http_client(allow_private: bool) -> Result<&'static reqwest::Client, OAuthError> {
    static STRICT: OnceLock<reqwest::Client> = OnceLock::new();
    static OPEN: OnceLock<reqwest::Client> = OnceLock::new();
    let cell = if allow_private { &OPEN } else { &STRICT };
    if let Some(c) = cell.get() {
        return Ok(c);
    }
    let mut builder = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent("todobot-oauth");
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    let client = builder.build().map_err(|e| {
        tracing::error!(error = %e, "oauth: cannot build the metadata document client");
        OAuthError::new("server_error", "Something went wrong on our side.")
    })?;
    Ok(cell.get_or_init(|| client))
}

/// Checks the form of a `client_id` URL: https (http too when private addresses are allowed),
/// a path, no credentials, fragment or dot segments, already in normal form, and — when it is an
/// address literal — a public address.
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url, OAuthError> {
    let bad = |d: &str| {
        refuse(format!(
            "client_id is not a valid metadata document URL: {d}"
        ))
    };
    if raw.len() > MAX_URL_LEN {
        return Err(bad("too long"));
    }
    let url = Url::parse(raw).map_err(|_| bad("not a URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(bad("it must use https")),
    }
    if url.as_str() != raw {
        return Err(bad(
            "it must be in normal form (no dot segments, default port or case)",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(bad("no credentials or fragment allowed"));
    }
    if url.path() == "/" || url.path().is_empty() {
        return Err(bad("it must have a path"));
    }
    let host = url.host_str().ok_or_else(|| bad("no host"))?;
    let literal = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    if !allow_private && literal.is_some_and(|ip| !is_public(ip)) {
        return Err(bad(
            "private, loopback and link-local addresses are not allowed",
        ));
    }
    Ok(url)
}

/// The document's fields todobot uses (others are ignored, as RFC 7591 allows).
#[derive(Deserialize)]
struct Document {
    client_id: String,
    client_name: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    client_secret: Option<serde_json::Value>,
}

/// Fetches a document: its body and how long it may be cached.
async fn fetch(url: &Url, allow_private: bool) -> Result<(Vec<u8>, Duration), OAuthError> {
    let failed = |d: &str| {
        refuse(format!(
            "The client's metadata document could not be fetched: {d}"
        ))
    };
    let mut res = http_client(allow_private)?
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| {
            tracing::info!(%url, error = %e, "oauth: metadata document fetch failed");
            failed(if e.is_timeout() {
                "timed out"
            } else {
                "connection failed or address not allowed"
            })
        })?;
    if res.status().is_redirection() {
        return Err(failed("redirects are not followed"));
    }
    if !res.status().is_success() {
        return Err(failed(&format!("HTTP {}", res.status().as_u16())));
    }
    if res
        .content_length()
        .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(failed("larger than 5 KiB"));
    }
    let ttl = cache_ttl(
        res.headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
    );
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|_| failed("reading it failed"))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DOCUMENT_BYTES {
            return Err(failed("larger than 5 KiB"));
        }
    }
    Ok((body, ttl))
}

/// Validates a fetched document against the URL it came from.
fn validate(url: &str, body: &[u8]) -> Result<OauthClient, OAuthError> {
    let invalid = |d: &str| refuse(format!("The client's metadata document is invalid: {d}"));
    let doc: Document =
        serde_json::from_slice(body).map_err(|_| invalid("not a JSON client metadata object"))?;
    if doc.client_id != url {
        return Err(invalid("its client_id is not the URL it was fetched from"));
    }
    if doc.client_secret.is_some() {
        return Err(invalid("it must not contain a client_secret"));
    }
    if doc.token_endpoint_auth_method.as_deref() != Some("none") {
        return Err(invalid(
            "token_endpoint_auth_method must be \"none\" (public client)",
        ));
    }
    if doc.redirect_uris.is_empty() || doc.redirect_uris.len() > 10 {
        return Err(invalid("redirect_uris must list 1 to 10 URIs"));
    }
    if doc.redirect_uris.iter().any(|u| !valid_redirect_uri(u)) {
        return Err(invalid(
            "a redirect URI is not allowed (https, or http on a loopback address)",
        ));
    }
    let grants_ok = doc.grant_types.as_ref().is_none_or(|g| {
        g.iter()
            .all(|t| t == "authorization_code" || t == "refresh_token")
    });
    let responses_ok = doc
        .response_types
        .as_ref()
        .is_none_or(|r| r.iter().all(|t| t == "code"));
    if !grants_ok || !responses_ok {
        return Err(invalid(
            "only the authorization_code and refresh_token grants (response type code) are supported",
        ));
    }
    let host = Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let name = doc
        .client_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&host);
    Ok(OauthClient {
        id: client_key(url),
        name: todobot_store::validate::truncate_chars(name, 200),
        redirect_uris: doc.redirect_uris,
        created_at: todobot_store::now(),
    })
}

/// Counts a fetch from the document's host; `slow_down` (429) past [`MAX_FETCHES_PER_HOST`].
async fn limit_fetches(state: &AppState, url: &Url) -> Result<(), OAuthError> {
    let host = url.host_str().unwrap_or_default();
    let hits = state
        .store
        .rate_limit_hit(
            &format!("oauth-cimd:host:{host}"),
            FETCH_WINDOW_SECS,
            chrono::Utc::now().timestamp(),
        )
        .await?;
    if hits > MAX_FETCHES_PER_HOST {
        tracing::warn!(%host, "oauth: metadata document fetch limit hit");
        return Err(OAuthError::new(
            "slow_down",
            "Too many metadata document requests for this client's site. Please try again later.",
        ));
    }
    Ok(())
}

/// The client a URL `client_id` names: from the cache, else fetched, validated and recorded.
/// `Ok(None)` when documents are turned off (OAUTH_CLIENT_ID_METADATA_DOCUMENTS=false).
pub async fn resolve(state: &AppState, url: &str) -> Result<Option<Arc<OauthClient>>, OAuthError> {
    if !state.config.auth.oauth_client_id_metadata_documents {
        return Ok(None);
    }
    let allow_private = state.config.auth.oauth_cimd_allow_private;
    let parsed = check_url(url, allow_private)?;
    if let Some(client) = state.auth.cimd.get(url) {
        return Ok(Some(client));
    }
    limit_fetches(state, &parsed).await?;
    let (body, ttl) = fetch(&parsed, allow_private).await?;
    let client = validate(url, &body)?;
    let stored = state
        .store
        .upsert_oauth_client(&client.id, &client.name, &client.redirect_uris)
        .await?;
    let client = Arc::new(OauthClient {
        created_at: stored.created_at,
        ..client
    });
    state.auth.cimd.put(url, client.clone(), ttl);
    Ok(Some(client))
}

/// The client a `client_id` names: a registered one, or one its metadata document describes.
pub async fn find_client(
    state: &AppState,
    client_id: &str,
) -> Result<Option<OauthClient>, OAuthError> {
    if is_url_client_id(client_id) {
        return Ok(resolve(state, client_id).await?.map(|c| (*c).clone()));
    }
    Ok(state.store.find_oauth_client(client_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "224.0.0.1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn cache_lifetimes() {
        assert_eq!(cache_ttl(None), CACHE_TTL);
        assert_eq!(
            cache_ttl(Some("public, max-age=60")),
            Duration::from_secs(60)
        );
        assert_eq!(cache_ttl(Some("max-age=86400")), CACHE_TTL);
        assert_eq!(cache_ttl(Some("no-store")), Duration::ZERO);
        assert_eq!(cache_ttl(Some("private, No-Cache")), Duration::ZERO);
        assert_eq!(cache_ttl(Some("max-age=0")), Duration::ZERO);
        assert_eq!(cache_ttl(Some("max-age=abc")), CACHE_TTL);
    }

    #[test]
    fn urls() {
        let ok = "https://client.example.com/oauth/metadata.json";
        assert!(check_url(ok, false).is_ok());
        for bad in [
            "http://client.example.com/meta.json",
            "https://client.example.com",
            "https://client.example.com/",
            "https://user:pw@client.example.com/m.json",
            "https://client.example.com/m.json#x",
            "https://client.example.com/a/../m.json",
            "https://CLIENT.example.com/m.json",
            "https://client.example.com:443/m.json",
            "https://127.0.0.1/m.json",
            "https://[::1]/m.json",
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.1/m.json",
            "ftp://client.example.com/m.json",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_url("http://127.0.0.1:8123/m.json", true).is_ok());
    }

    #[test]
    fn documents() {
        let url = "https://c.example/m.json";
        let doc = |extra: serde_json::Value| {
            let mut base = serde_json::json!({
                "client_id": url, "client_name": "C", "redirect_uris": ["https://c.example/cb"],
                "token_endpoint_auth_method": "none",
            });
            if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
                b.extend(e.clone());
            }
            serde_json::to_vec(&base).expect("json")
        };
        let client = validate(url, &doc(serde_json::json!({}))).expect("valid");
        assert_eq!(client.name, "C");
        assert_eq!(client.id, client_key(url));
        assert_eq!(client.id.len(), 64);
        for bad in [
            serde_json::json!({"client_id": "https://other.example/m.json"}),
            serde_json::json!({"token_endpoint_auth_method": "client_secret_basic"}),
            serde_json::json!({"token_endpoint_auth_method": null}),
            serde_json::json!({"client_secret": "s"}),
            serde_json::json!({"redirect_uris": []}),
            serde_json::json!({"redirect_uris": ["http://evil.example/cb"]}),
            serde_json::json!({"grant_types": ["client_credentials"]}),
        ] {
            assert!(validate(url, &doc(bad.clone())).is_err(), "{bad}");
        }
        assert!(validate(url, b"[1]").is_err());
    }
}
