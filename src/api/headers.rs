//! Security headers on everything sigap serves: `X-Content-Type-Options: nosniff` (a photo or
//! JSON is never run as script or HTML) and a Content-Security-Policy.
//!
//! The policy of the web map allows exactly what it needs: its own scripts as ES modules
//! (maplibre from `/node_modules`), its module worker from the same origin (`worker-src
//! 'self'`: maplibre falls back to `blob:` workers only when loaded from another origin),
//! images and tiles from itself, `data:`/`blob:` images (maplibre decodes images through
//! object URLs), and the tile and basemap origins configured with `--tile-url` / `--basemap` (martin
//! on another port, an online basemap). No inline script, no eval, no framing. Swagger UI
//! (under `/swagger-ui`) gets its own looser policy: it sets inline styles and loads data:
//! images.

use super::Config;
use axum::http::HeaderValue;

/// The policy of data that is never a document (vector tiles): nothing may load or frame it.
/// Short on purpose: it goes out with every tile, tens of thousands a second at peak, where the
/// web map's policy (≈ 250 bytes) would be a fifth of a small tile's response.
pub const DATA_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The policy for Swagger UI only.
pub const SWAGGER_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `scheme://host[:port]` of an absolute http(s) URL template, when its characters are safe in
/// a header (an odd configured URL is left out of the policy rather than breaking it).
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    let safe = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    safe.then(|| format!("{scheme}://{host}"))
}

/// The policy of everything but Swagger UI: the web map's needs plus the configured origins.
pub fn web_csp(config: &Config) -> String {
    let tiles = origin(&config.tile_url);
    let basemap = config.basemap.as_deref().and_then(origin);
    let extra = |list: &[&Option<String>]| list.iter().filter_map(|o| o.as_deref()).map(|o| format!(" {o}")).collect::<String>();
    format!(
        "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self' data: blob:{}; \
         connect-src 'self'{}; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        extra(&[&basemap]),
        extra(&[&tiles, &basemap]),
    )
}

/// The web policy as a header value (the strict policy without extra origins if the
/// configured ones cannot be a header).
pub fn web_csp_header(config: &Config) -> HeaderValue {
    HeaderValue::from_str(&web_csp(config)).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_tile_and_basemap_origins_join_the_policy() {
        let c = Config { tile_url: "http://127.0.0.1:3000/{layer}/{z}/{x}/{y}".into(), basemap: Some("https://tile.openstreetmap.org/{z}/{x}/{y}.png".into()), ..Config::default() };
        let p = web_csp(&c);
        assert!(p.contains("connect-src 'self' http://127.0.0.1:3000 https://tile.openstreetmap.org;"), "{p}");
        assert!(p.contains("img-src 'self' data: blob: https://tile.openstreetmap.org;"), "{p}");
        let own = web_csp(&Config::default());
        assert!(own.contains("connect-src 'self';") && !own.contains("unsafe"), "{own}");
        assert_eq!(origin("https://evil.example; script-src *"), None);
        assert_eq!(origin("/tiles/{layer}"), None);
    }
}
