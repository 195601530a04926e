//! Which sites may talk to the proxy. Two checks, both comparing scheme, host and port:
//!
//! - the `Host` header must name the proxy (its listen address, `localhost`, `127.0.0.1`,
//!   `[::1]`, on its port) or the host of an `ALLOWED_ORIGINS` entry. A page on a foreign
//!   name that resolves to the proxy (DNS rebinding) sends its own name and is refused.
//! - a cross-origin `Origin` must be the proxy's own (`http://` + an allowed Host) or an
//!   `ALLOWED_ORIGINS` entry. `Origin: null` (sandboxed frames, `file:` pages, some
//!   redirects) is never allowed: anyone can make a page whose origin is null.

use std::net::{IpAddr, SocketAddr};

use axum::http::{header, HeaderMap};

use super::errors::ApiError;

/// `scheme://host:port`, with the scheme's default port filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteOrigin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "https" {
        443
    } else {
        80
    }
}

impl SiteOrigin {
    /// Parses `scheme://host[:port]` (one trailing `/` tolerated); `http` and `https` only,
    /// no user, path, query or fragment.
    pub fn parse(text: &str) -> Option<SiteOrigin> {
        let text = text.strip_suffix('/').unwrap_or(text);
        let (scheme, rest) = text.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let (host, port) = split_authority(rest)?;
        let port = port.unwrap_or_else(|| default_port(&scheme));
        Some(SiteOrigin { scheme, host, port })
    }

    /// The origin of an absolute `http(s)://` URL.
    pub fn of_url(url: &str) -> Option<SiteOrigin> {
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next()?;
        SiteOrigin::parse(&format!("{scheme}://{authority}"))
    }

    /// As a CSP source expression, when its host is a plain name or address (nothing a
    /// policy could misread).
    pub fn csp_source(&self) -> String {
        if !self.host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '[' | ']' | ':')) {
            return String::new();
        }
        if self.port == default_port(&self.scheme) {
            format!("{}://{}", self.scheme, self.host)
        } else {
            format!("{}://{}:{}", self.scheme, self.host, self.port)
        }
    }

    /// Whether a `Host` header value `(host, port)` names this origin (a missing port is
    /// the scheme's default, as browsers and reverse proxies send it).
    fn is_named_by(&self, host: &str, port: Option<u16>) -> bool {
        self.host == host && port.unwrap_or_else(|| default_port(&self.scheme)) == self.port
    }
}

/// An `ALLOWED_ORIGINS` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedOrigin {
    /// `*`: any origin may use the relay through CORS (never `null`; the Host check stays).
    Any,
    Site(SiteOrigin),
}

impl AllowedOrigin {
    pub fn parse(text: &str) -> Option<AllowedOrigin> {
        match text {
            "*" => Some(AllowedOrigin::Any),
            _ => SiteOrigin::parse(text).map(AllowedOrigin::Site),
        }
    }
}

/// The lowercased host and the port of `host[:port]` (IPv6 in brackets); `None` for
/// anything with a user, a path, or an empty or invalid port.
fn split_authority(text: &str) -> Option<(String, Option<u16>)> {
    if text.is_empty() || text.ends_with(':') || text.contains(['/', '?', '#', '@', '\\', ' ']) {
        return None;
    }
    let authority: axum::http::uri::Authority = text.parse().ok()?;
    let host = authority.host().to_ascii_lowercase();
    let port = authority.port_u16();
    // Something after the host that is not a valid port (`:99999`, `:x`).
    if host.is_empty() || (port.is_none() && authority.as_str().len() > host.len()) {
        return None;
    }
    Some((host, port))
}

fn ip_of_host(host: &str) -> Option<IpAddr> {
    host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host).parse().ok()
}

/// The names the proxy answers to.
#[derive(Clone, Debug)]
pub struct HostPolicy {
    listen: SocketAddr,
    named: Vec<SiteOrigin>,
}

impl HostPolicy {
    /// For a proxy bound to `listen` with these `ALLOWED_ORIGINS`.
    pub fn new(listen: SocketAddr, allowed: &[AllowedOrigin]) -> HostPolicy {
        let named = allowed
            .iter()
            .filter_map(|a| match a {
                AllowedOrigin::Site(s) => Some(s.clone()),
                AllowedOrigin::Any => None,
            })
            .collect();
        HostPolicy { listen, named }
    }

    /// Whether a `Host` header value names this proxy.
    pub fn allows(&self, value: &str) -> bool {
        let Some((host, port)) = split_authority(value) else { return false };
        // The proxy itself speaks plain HTTP: no port means 80.
        if port.unwrap_or(80) == self.listen.port() {
            if host == "localhost" {
                return true;
            }
            if let Some(ip) = ip_of_host(&host) {
                // Bound to every interface, any address of the machine is its own; a
                // rebinding attack needs a name, never an address.
                if ip.is_loopback() || ip == self.listen.ip() || self.listen.ip().is_unspecified() {
                    return true;
                }
            }
        }
        self.named.iter().any(|o| o.is_named_by(&host, port))
    }

    /// Refuses a request whose Host header does not name the proxy.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let value = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if self.allows(value) {
            Ok(())
        } else {
            let shown: String = value.chars().take(100).collect();
            Err(ApiError::forbidden(format!(
                "Host {shown:?} is not a name of this proxy; add the origin it is served under to ALLOWED_ORIGINS."
            )))
        }
    }
}

/// `Some(origin)` to echo in Access-Control-Allow-Origin; `Ok(None)` for a request
/// without an Origin; an error for an origin that is neither the proxy's own nor allowed.
/// Call after [`HostPolicy::check`], so the Host a same-origin request names is valid.
pub fn check_origin(allowed: &[AllowedOrigin], headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(header::ORIGIN) else { return Ok(None) };
    let text = value.to_str().unwrap_or("(unreadable)").trim_end_matches('/');
    let refuse =
        |shown: &str| ApiError::forbidden(format!("Origin {shown} may not use this proxy; add it to ALLOWED_ORIGINS to allow it."));
    if text == "null" {
        return Err(refuse("null"));
    }
    let Some(origin) = SiteOrigin::parse(text) else {
        let shown: String = text.chars().take(100).collect();
        return Err(refuse(&shown));
    };
    let same = origin.scheme == "http"
        && headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .and_then(split_authority)
            .is_some_and(|(host, port)| host == origin.host && port.unwrap_or(80) == origin.port);
    let listed = allowed.iter().any(|a| match a {
        AllowedOrigin::Any => true,
        AllowedOrigin::Site(s) => *s == origin,
    });
    if same || listed {
        Ok(Some(text.to_string()))
    } else {
        Err(refuse(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_with_default_ports() {
        let o = SiteOrigin::parse("HTTPS://Copilot.Example.com/").unwrap();
        assert_eq!(o, SiteOrigin { scheme: "https".into(), host: "copilot.example.com".into(), port: 443 });
        assert_eq!(SiteOrigin::parse("http://[::1]:8080").unwrap().host, "[::1]");
        assert_eq!(SiteOrigin::of_url("https://data.example.com/usage.db?x=1").unwrap().csp_source(), "https://data.example.com");
        assert_eq!(SiteOrigin::of_url("http://127.0.0.1:4000/p/").unwrap().csp_source(), "http://127.0.0.1:4000");
        assert_eq!(SiteOrigin::of_url("data/usage.db"), None);
        for bad in [
            "null",
            "copilot.example.com",
            "https://a.example/x",
            "https://u@a.example",
            "https://a.example:",
            "https://a.example:99999",
            "ws://a",
        ] {
            assert_eq!(SiteOrigin::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn hosts_name_the_listen_address_loopback_and_allowed_origins() {
        let allowed =
            [AllowedOrigin::parse("https://copilot.example.com").unwrap(), AllowedOrigin::parse("http://lan.example:3000").unwrap()];
        let p = HostPolicy::new("127.0.0.1:8080".parse().unwrap(), &allowed);
        for ok in ["127.0.0.1:8080", "localhost:8080", "[::1]:8080", "copilot.example.com", "copilot.example.com:443", "lan.example:3000"] {
            assert!(p.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "127.0.0.1",
            "localhost:80",
            "copilot.example.com:8080",
            "lan.example",
            "192.168.1.5:8080",
            "",
            "a@127.0.0.1:8080",
        ] {
            assert!(!p.allows(bad), "{bad}");
        }
        let any = HostPolicy::new("0.0.0.0:8080".parse().unwrap(), &[]);
        assert!(any.allows("192.168.1.5:8080") && !any.allows("rebind.evil.example:8080"));
    }
}
