//! CSRF safety for the session cookie. The web UI's session lives in an HttpOnly cookie that the
//! browser attaches by itself, so a state-changing request authenticated by that cookie must come
//! from a page of ours: its `Origin` (or, without one, its `Referer`) must be the app's own origin
//! (the request's host, or BETTER_AUTH_URL) or one of CORS_ORIGINS — as Better Auth's origin check
//! does. Every route is covered except the bearer-only API (/chatkit, /mcp, /api/{user_id}/…),
//! which never reads the cookie. Bearer-authenticated requests are unaffected (a cross-site page cannot set `Authorization`
//! without passing CORS). Sign-in and sign-up from a foreign page are refused too (login CSRF: a
//! cross-site form must not plant its own session in the victim's browser).

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{HeaderMap, Method, StatusCode, Uri, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{AuthService, session_cookie};
use crate::error::ApiError;

/// The normalized origins (`scheme://host[:port]`) of BETTER_AUTH_URL and CORS_ORIGINS.
pub fn trusted_origins(public_url: &str, cors_origins: &[String]) -> Vec<String> {
    let mut out: Vec<String> = std::iter::once(public_url)
        .chain(cors_origins.iter().map(String::as_str))
        .filter_map(normalize_origin)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `scheme://host[:port]` of an absolute http(s) URL, lower-cased, without a default port.
fn normalize_origin(raw: &str) -> Option<String> {
    let uri: Uri = raw.trim().parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = uri.authority()?;
    let host = authority.host().to_ascii_lowercase();
    let default_port = if scheme == "https" { 443 } else { 80 };
    Some(match authority.port_u16() {
        Some(p) if p != default_port => format!("{scheme}://{host}:{p}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// `host[:port]` of the request as the client addressed it (HTTP/1 `Host`, HTTP/2 `:authority`).
fn request_authority(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    let raw = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| uri.authority().map(|a| a.as_str().to_owned()))?;
    Some(raw.trim().to_ascii_lowercase())
}

/// Whether `origin` (normalized) names the host the request was sent to.
fn is_own_origin(origin: &str, authority: &str) -> bool {
    let Some((scheme, host)) = origin.split_once("://") else {
        return false;
    };
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    host == authority || format!("{host}{default_port}") == authority
}

/// Whether `raw` (a `callbackURL`) is a relative path on this site or an absolute URL of a trusted
/// origin (the request's own host, BETTER_AUTH_URL, CORS_ORIGINS) — Better Auth's rule.
pub fn is_trusted_callback(raw: &str, headers: &HeaderMap, trusted: &[String]) -> bool {
    let raw = raw.trim();
    if raw.starts_with('/') {
        // a path, but not `//host` (protocol-relative) or `/\host` (read as one by browsers)
        return !raw.starts_with("//") && !raw.contains('\\') && !raw.chars().any(char::is_control);
    }
    let Some(origin) = normalize_origin(raw) else {
        return false;
    };
    trusted.contains(&origin)
        || request_authority(headers, &Uri::default()).is_some_and(|a| is_own_origin(&origin, &a))
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginProblem {
    /// No `Origin` and no `Referer`, or `Origin: null` (sandboxed frames, some redirects).
    Missing,
    /// An origin that is not ours.
    Untrusted,
}

impl From<OriginProblem> for ApiError {
    fn from(p: OriginProblem) -> Self {
        match p {
            OriginProblem::Missing => ApiError::client(
                StatusCode::FORBIDDEN,
                "MISSING_OR_NULL_ORIGIN",
                "Missing or null Origin",
            ),
            OriginProblem::Untrusted => {
                ApiError::client(StatusCode::FORBIDDEN, "INVALID_ORIGIN", "Invalid origin")
            }
        }
    }
}

/// Checks the origin of a request against the trusted ones and the request's own host.
pub fn check_origin(
    headers: &HeaderMap,
    uri: &Uri,
    trusted: &[String],
) -> Result<(), OriginProblem> {
    let claimed = match headers.get(header::ORIGIN) {
        Some(v) => v.to_str().ok().map(str::to_owned),
        None => headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let Some(origin) = claimed
        .filter(|o| !o.trim().is_empty() && o.trim() != "null")
        .map(|o| normalize_origin(&o).ok_or(OriginProblem::Untrusted))
        .transpose()?
    else {
        return Err(OriginProblem::Missing);
    };
    let own = request_authority(headers, uri).is_some_and(|a| is_own_origin(&origin, &a));
    if own || trusted.contains(&origin) {
        Ok(())
    } else {
        Err(OriginProblem::Untrusted)
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Routes that only ever accept a bearer token: the cookie is never consulted there, so it cannot
/// be abused (and a request without a token gets its 401, cookie or not).
fn bearer_only(path: &str) -> bool {
    if path == "/chatkit"
        || path == "/mcp"
        || path.starts_with("/mcp/")
        || matches!(path, "/oauth/token" | "/oauth/register" | "/oauth/revoke")
    {
        return true;
    }
    // /api/{user_id}/tasks…, /api/{user_id}/chat, /api/{user_id}/conversations…
    let mut parts = path.trim_start_matches('/').split('/');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some("api"), Some(user), Some("tasks" | "chat" | "conversations"))
            if user != "auth" && user != "config"
    )
}

/// Which state-changing requests need a trusted origin: those the session cookie may authenticate
/// (it is present, no `Authorization` header is, and the route is not bearer-only — new routes
/// are covered by default), and browser sign-ins/sign-ups (an `Origin` header is present).
fn needs_check(method: &Method, uri: &Uri, headers: &HeaderMap) -> bool {
    if is_safe(method) {
        return false;
    }
    let path = uri.path();
    let cookie_auth = session_cookie(headers).is_some()
        && !headers.contains_key(header::AUTHORIZATION)
        && !bearer_only(path);
    let sign_in = path.starts_with("/api/auth/sign-in") || path.starts_with("/api/auth/sign-up");
    cookie_auth || (sign_in && headers.contains_key(header::ORIGIN))
}

/// Middleware: refuses (403, `{code, message}`) a cookie-authenticated state-changing request that
/// does not come from a trusted origin.
pub async fn guard(State(auth): State<Arc<AuthService>>, req: Request, next: Next) -> Response {
    if needs_check(req.method(), req.uri(), req.headers())
        && let Err(problem) = check_origin(req.headers(), req.uri(), &auth.trusted_origins)
    {
        tracing::warn!(
            path = %req.uri().path(),
            origin = ?req.headers().get(header::ORIGIN),
            ?problem,
            "refused a cookie-authenticated request from an untrusted origin"
        );
        return ApiError::from(problem).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                *k,
                HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")),
            );
        }
        h
    }

    #[test]
    fn origins_are_normalized() {
        assert_eq!(
            trusted_origins(
                "https://Todo.Example.com:443/app/",
                &[
                    "http://localhost:3000/".into(),
                    "not a url".into(),
                    "".into()
                ]
            ),
            vec!["http://localhost:3000", "https://todo.example.com"]
        );
        assert_eq!(normalize_origin("ftp://x.y"), None);
        assert_eq!(normalize_origin("http://x.y:80"), Some("http://x.y".into()));
    }

    #[test]
    fn own_host_trusted_and_others_missing_or_untrusted() {
        let uri: Uri = "/api/auth/sign-out".parse().unwrap_or_default();
        let trusted = trusted_origins("https://todo.example.com", &[]);
        let ok = |pairs: &[(&'static str, &str)]| check_origin(&headers(pairs), &uri, &trusted);
        assert_eq!(
            ok(&[
                ("host", "127.0.0.1:8080"),
                ("origin", "http://127.0.0.1:8080")
            ]),
            Ok(())
        );
        assert_eq!(
            ok(&[("host", "app.test"), ("origin", "https://app.test")]),
            Ok(())
        );
        assert_eq!(
            ok(&[("host", "x"), ("origin", "https://todo.example.com")]),
            Ok(())
        );
        assert_eq!(
            ok(&[
                ("host", "x"),
                ("referer", "https://todo.example.com/settings?a=1")
            ]),
            Ok(())
        );
        assert_eq!(
            ok(&[
                ("host", "127.0.0.1:8080"),
                ("origin", "http://127.0.0.1:9090")
            ]),
            Err(OriginProblem::Untrusted)
        );
        assert_eq!(
            ok(&[
                ("host", "app.test"),
                ("origin", "https://app.test.evil.com")
            ]),
            Err(OriginProblem::Untrusted)
        );
        assert_eq!(
            ok(&[("host", "app.test"), ("origin", "null")]),
            Err(OriginProblem::Missing)
        );
        assert_eq!(ok(&[("host", "app.test")]), Err(OriginProblem::Missing));
    }

    #[test]
    fn only_cookie_authenticated_unsafe_requests_are_checked() {
        let uri: Uri = "/api/auth/sign-out".parse().unwrap_or_default();
        let cookie = ("cookie", "a=b; better-auth.session_token=abc.sig");
        assert!(needs_check(&Method::POST, &uri, &headers(&[cookie])));
        assert!(!needs_check(&Method::GET, &uri, &headers(&[cookie])));
        assert!(!needs_check(
            &Method::POST,
            &uri,
            &headers(&[cookie, ("authorization", "Bearer x")])
        ));
        assert!(!needs_check(
            &Method::POST,
            &uri,
            &headers(&[("cookie", "a=b")])
        ));
        // bearer-only routes never read the cookie: no token there is a plain 401
        for path in [
            "/chatkit",
            "/mcp",
            "/api/u1/tasks",
            "/api/u1/tasks/3/complete",
            "/api/u1/chat",
        ] {
            let uri: Uri = path.parse().unwrap_or_default();
            assert!(
                !needs_check(&Method::POST, &uri, &headers(&[cookie])),
                "{path}"
            );
        }
        for path in ["/api/auth/anything-new", "/oauth/consent", "/api/tokens"] {
            let uri: Uri = path.parse().unwrap_or_default();
            assert!(
                needs_check(&Method::POST, &uri, &headers(&[cookie])),
                "{path}"
            );
        }
        let sign_in: Uri = "/api/auth/sign-in/email".parse().unwrap_or_default();
        assert!(needs_check(
            &Method::POST,
            &sign_in,
            &headers(&[("origin", "https://x")])
        ));
        assert!(!needs_check(&Method::POST, &sign_in, &headers(&[])));
    }
}
