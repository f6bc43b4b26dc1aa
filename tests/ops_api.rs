//! Operations on both stores: token expiry and revocation (401 with the reason), liveness and
//! readiness, Prometheus metrics (route templates, no ids), and the security headers on every
//! kind of response (API, tiles, web files, Swagger UI, errors).

mod common;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use chrono::{Duration, Utc};
use common::*;
use http_body_util::BodyExt;
use serde_json::Value;
use sigap::api::{self, AppState, Config};
use sigap::store::tokens::{self, NewToken};
use sigap::store::{audit, testing, Store};
use sigap::wilayah::{Atlas, AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

fn app(store: Store, atlas: Atlas) -> axum::Router {
    let config = Config { web_dir: root().join("web"), ..Config::default() };
    api::router(AppState::new(store, AtlasHandle::new(atlas), Arc::new(config)))
}

async fn get(app: &axum::Router, uri: &str, token: Option<&str>) -> (StatusCode, HeaderMap, String) {
    let mut req = Request::get(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = app.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let (parts, body) = res.into_parts();
    (parts.status, parts.headers, String::from_utf8_lossy(&body.collect().await.unwrap().to_bytes()).to_string())
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or(Value::Null)
}

fn assert_401(r: &(StatusCode, HeaderMap, String), detail: &str) {
    assert_eq!(r.0, StatusCode::UNAUTHORIZED, "{}", r.2);
    assert_eq!(r.1["content-type"], "application/problem+json");
    let p = json(&r.2);
    assert!(p["detail"].as_str().unwrap().contains(detail), "{p}");
    assert_eq!(p["field"], "Authorization");
}

#[tokio::test]
async fn revoked_and_expired_tokens_get_401_with_the_reason_on_both_stores() {
    testing::for_each_store(|store| async move {
        let app = app(store.clone(), Atlas::new(vec![], Default::default()));
        let now = Utc::now();
        let issue = |role: &'static str, expires_at| {
            let store = store.clone();
            async move { tokens::issue(&store, &NewToken { role, unit: None, label: Some("test"), expires_at }, "test").await.unwrap() }
        };
        let (_, good) = issue("auditor", now + Duration::days(1)).await;
        let (old_id, old) = issue("auditor", now - Duration::minutes(1)).await;
        let (gone_id, gone) = issue("auditor", now + Duration::days(1)).await;

        let ok = get(&app, "/api/v1/complaints", Some(&good)).await;
        assert_eq!(ok.0, StatusCode::OK, "{}", ok.2);

        let expired = get(&app, "/api/v1/complaints", Some(&old)).await;
        assert_401(&expired, &format!("token {old_id} expired on {}", (now - Duration::minutes(1)).format("%Y-%m-%d")));
        assert!(json(&expired.2)["type"].as_str().unwrap().ends_with("/token-expired"));

        let row = tokens::revoke(&store, gone_id, Some("bocor di grup WA"), "test").await.unwrap();
        assert!(row.revoked_at.is_some());
        let revoked = get(&app, "/api/v1/complaints", Some(&gone)).await;
        assert_401(&revoked, &format!("token {gone_id} was revoked on {}", Utc::now().format("%Y-%m-%d")));
        assert!(json(&revoked.2)["detail"].as_str().unwrap().contains("bocor di grup WA"));
        // A second revocation is refused and keeps the first on record.
        let again = tokens::revoke(&store, gone_id, Some("lagi"), "test").await.unwrap_err();
        assert!(again.to_string().contains("was revoked") && again.to_string().contains("bocor"), "{again}");
        assert!(matches!(tokens::revoke(&store, 9_999, None, "test").await, Err(tokens::RevokeError::NotFound(9_999))));

        assert_401(&get(&app, "/api/v1/complaints", Some("sgp_nope")).await, "unknown token");
        assert_401(&get(&app, "/api/v1/complaints", None).await, "missing Authorization");

        // Issue and revoke are audited; no entry carries the secret.
        let history = audit::history(&store, "api_token", &gone_id.to_string()).await.unwrap();
        let actions: Vec<&str> = history.iter().map(|h| h.action.as_str()).collect();
        assert_eq!(actions, ["issue", "revoke"]);
        assert!(history[1].before.as_ref().unwrap()["revoked_at"].is_null());
        assert_eq!(history[1].after.as_ref().unwrap()["revoked_reason"], "bocor di grup WA");
        assert!(!serde_json::to_string(&history[0].after).unwrap().contains(&gone));

        // Listing shows every token with its state and never a hash.
        let list = tokens::list(&store).await.unwrap();
        assert_eq!(list.len(), 3);
        assert!(list.iter().any(|t| t.id == gone_id && t.revoked_reason.as_deref() == Some("bocor di grup WA")));
        let listed = serde_json::to_string(&list).unwrap();
        assert!(!listed.contains("hash") && !listed.contains(&good));
    })
    .await;
}

#[tokio::test]
async fn liveness_readiness_and_metrics_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let empty = app(store.clone(), Atlas::new(vec![], Default::default()));
        let loaded = app(store.clone(), atlas(&store).await);

        let live = get(&loaded, "/healthz", None).await;
        assert_eq!(live.0, StatusCode::OK);
        assert_eq!(json(&live.2)["areas"]["kelurahan"], 267);
        assert_eq!(json(&live.2)["store"], store.kind());
        let ready = get(&loaded, "/readyz", None).await;
        assert_eq!(ready.0, StatusCode::OK, "{}", ready.2);
        assert_eq!(json(&ready.2)["kelurahan"], 267);

        // Not ready without boundaries; alive all the same.
        let r = get(&empty, "/readyz", None).await;
        assert_eq!(r.0, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.1["content-type"], "application/problem+json");
        assert!(json(&r.2)["type"].as_str().unwrap().ends_with("/atlas-empty"), "{}", r.2);
        assert_eq!(get(&empty, "/healthz", None).await.0, StatusCode::OK);

        // Requests with ids in the URL are labelled by their route template.
        for uri in ["/api/v1/wilayah/31.71.01.1001", "/api/v1/wilayah/31.74.01.1001", "/api/v1/locate?lon=106.8227&lat=-6.1754", "/tiles/kelurahan/12/3263/2118.mvt", "/tiles/kelurahan/12/3263/2118.mvt"] {
            assert_eq!(get(&loaded, uri, None).await.0, StatusCode::OK, "{uri}");
        }
        let m = get(&loaded, "/metrics", None).await;
        assert_eq!(m.0, StatusCode::OK);
        assert!(m.1["content-type"].to_str().unwrap().starts_with("text/plain"), "{:?}", m.1);
        let text = m.2;
        let count = |route: &str| -> u64 {
            text.lines()
                .find(|l| l.starts_with("sigap_http_request_duration_seconds_count") && l.contains(&format!("route=\"{route}\"")))
                .and_then(|l| l.rsplit(' ').next()?.parse().ok())
                .unwrap_or_else(|| panic!("no count for {route} in\n{text}"))
        };
        assert_eq!(count("/api/v1/wilayah/{code}"), 2);
        assert_eq!(count("/tiles/{layer}/{z}/{x}/{y}"), 2);
        assert!(!text.contains("31.71.01.1001") && !text.contains("3263"), "raw URL parts leaked into labels:\n{text}");
        assert!(text.contains("sigap_db_pool_connections{state=\"max\"}"), "{text}");
        assert!(text.contains("sigap_db_pool_connections{state=\"in_use\"}"), "{text}");
        let rev = sigap::store::boundaries::revision(&store).await.unwrap();
        assert!(text.contains(&format!("sigap_atlas_revision {rev}")), "{text}");
        assert!(text.contains("sigap_atlas_areas{level=\"kelurahan\"} 267"), "{text}");
        assert!(text.contains("sigap_cache_lookups_total{cache=\"tiles\",result=\"hit\"}"), "{text}");
        // A store that is gone makes the node unready (and still alive).
        store.close().await;
        let down = get(&loaded, "/readyz", None).await;
        assert_eq!(down.0, StatusCode::SERVICE_UNAVAILABLE, "{}", down.2);
        assert!(json(&down.2)["type"].as_str().unwrap().ends_with("/store-down"), "{}", down.2);
        assert_eq!(get(&loaded, "/healthz", None).await.0, StatusCode::OK);
    })
    .await;
}

/// The web files: a `.br`/`.gz` copy made at setup is sent to a client that takes it (with
/// `Vary`), the file itself to one that does not, and a file without copies as it is; third-party
/// builds and glyphs are kept a day, the page's own files revalidated on every load.
#[tokio::test]
async fn web_files_are_sent_precompressed_and_cached_by_kind() {
    let dir = std::env::temp_dir().join(format!("sigap-web-{}", std::process::id()));
    let lib = dir.join("node_modules/lib");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(lib.join("big.mjs"), "export const x = 1;").unwrap();
    std::fs::write(lib.join("big.mjs.br"), "BROTLI").unwrap();
    std::fs::write(lib.join("big.mjs.gz"), "GZIP").unwrap();
    std::fs::write(dir.join("app.js"), "console.log(1);").unwrap();
    let store = testing::gpkg().await;
    let atlas = atlas(&store).await;
    let config = Config { web_dir: dir.clone(), ..Config::default() };
    let app = api::router(AppState::new(store, AtlasHandle::new(atlas), Arc::new(config)));
    let fetch = |uri: &'static str, enc: Option<&'static str>| {
        let app = app.clone();
        async move {
            let mut req = Request::get(uri);
            if let Some(e) = enc {
                req = req.header("accept-encoding", e);
            }
            let res = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
            let (parts, body) = res.into_parts();
            (parts.status, parts.headers, String::from_utf8_lossy(&body.collect().await.unwrap().to_bytes()).to_string())
        }
    };
    let (s, h, b) = fetch("/node_modules/lib/big.mjs", Some("gzip, deflate, br")).await;
    assert_eq!((s, b.as_str()), (StatusCode::OK, "BROTLI"));
    assert_eq!(h["content-encoding"], "br");
    assert_eq!(h["vary"], "accept-encoding");
    assert_eq!(h["cache-control"], "public, max-age=86400");
    assert!(h["content-type"].to_str().unwrap().contains("javascript"), "{h:?}");
    let (_, h, b) = fetch("/node_modules/lib/big.mjs", Some("gzip")).await;
    assert_eq!((h["content-encoding"].to_str().unwrap(), b.as_str()), ("gzip", "GZIP"));
    // No Accept-Encoding, or one the copies do not have: the file itself.
    for enc in [None, Some("identity"), Some("zstd")] {
        let (s, h, b) = fetch("/node_modules/lib/big.mjs", enc).await;
        assert_eq!((s, b.as_str()), (StatusCode::OK, "export const x = 1;"), "{enc:?}");
        assert!(h.get("content-encoding").is_none(), "{enc:?}: {h:?}");
    }
    // The page's own file has no copies: sent as it is, revalidated on every load.
    let (s, h, b) = fetch("/app.js", Some("br, gzip")).await;
    assert_eq!((s, b.as_str()), (StatusCode::OK, "console.log(1);"));
    assert!(h.get("content-encoding").is_none(), "{h:?}");
    assert_eq!(h["cache-control"], "no-cache");
    // A missing file (even with a copy's name asked for) is a problem+json 404 that is not cached.
    let (s, h, _) = fetch("/node_modules/lib/missing.mjs", Some("br")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(h["content-type"], "application/problem+json");
    assert!(h.get("cache-control").is_none(), "{h:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn every_response_carries_nosniff_and_a_content_security_policy() {
    let store = testing::gpkg().await;
    load_shipped(&store, Level::Kelurahan).await;
    let app = app(store.clone(), atlas(&store).await);
    for (uri, status) in [
        ("/", StatusCode::OK),
        ("/app.js", StatusCode::OK),
        ("/web-config.json", StatusCode::OK),
        ("/api/v1/wilayah?level=kota", StatusCode::OK),
        ("/api/v1/nope", StatusCode::NOT_FOUND),
        ("/api/v1/locate?lon=1", StatusCode::BAD_REQUEST),
        ("/metrics", StatusCode::OK),
        ("/healthz", StatusCode::OK),
    ] {
        let (got, h, body) = get(&app, uri, None).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{uri}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'; script-src 'self'; worker-src 'self'"), "{uri}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe"), "{uri}: {csp}");
    }
    // A tile is data, never a document: the shortest strict policy (it goes out with every tile).
    for uri in ["/tiles/kota/10/815/529.mvt", "/tiles/kota/2/0/0.mvt"] {
        let (got, h, body) = get(&app, uri, None).await;
        assert!(got == StatusCode::OK || got == StatusCode::NO_CONTENT, "{uri}: {got} {body}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{uri}");
        assert_eq!(h["content-security-policy"], "default-src 'none'; frame-ancestors 'none'", "{uri}");
    }
    // A bad tile request is a problem+json answer under the web policy, like every other error.
    let (got, h, _) = get(&app, "/tiles/kota/99/0/0.mvt", None).await;
    assert_eq!(got, StatusCode::BAD_REQUEST);
    assert!(h["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'; script-src 'self'"), "{h:?}");
    // Swagger UI has its own, looser policy (inline styles), only under /swagger-ui.
    let (got, h, _) = get(&app, "/swagger-ui/index.html", None).await;
    assert_eq!(got, StatusCode::OK);
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-security-policy"].to_str().unwrap().contains("style-src 'self' 'unsafe-inline'"), "{h:?}");
}
