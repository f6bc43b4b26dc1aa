//! Photo attachments through the local attachment store, on both stores.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use serde_json::Value;
use sigap::api::{self, AppState, Config};
use sigap::store::{testing, tokens};
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

async fn send(app: &axum::Router, method: &str, uri: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let st = res.status();
    let h = res.headers().clone();
    (st, res.into_body().collect().await.unwrap().to_bytes().to_vec(), h)
}

async fn call(app: &axum::Router, method: &str, uri: &str, token: Option<&str>, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.as_deref().map(|a| ("authorization", a)).into_iter().collect();
    let (st, b, _) = send(app, method, uri, &headers, body).await;
    (st, b)
}

/// One attachment directory for the whole binary (the tests run in parallel in one process).
fn attachments_dir() {
    std::env::set_var("SIGAP_ATTACHMENTS_DIR", std::env::temp_dir().join(format!("sigap_photos_{}", std::process::id())));
}

async fn app(store: &sigap::store::Store) -> axum::Router {
    load_shipped(store, Level::Kelurahan).await;
    let atlas = atlas(store).await;
    api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())))
}

fn field(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body).ok().and_then(|v| v["field"].as_str().map(String::from)).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_are_stored_served_and_bad_ones_refused_on_both_stores() {
    attachments_dir();
    for store in testing::both().await {
        let app = app(&store).await;
        let op = tokens::create(&store, "operator", Some("31.71.01.1001"), None).await.unwrap();
        let other = tokens::create(&store, "operator", Some("dinas-sda"), None).await.unwrap();
        let body = br#"{"channel":"jaki","category":"sampah","description":"Sampah","location":{"lon":106.8272,"lat":-6.1754}}"#.to_vec();
        let c = call(&app, "POST", "/api/v1/complaints", None, body.clone()).await;
        let cv = serde_json::from_slice::<Value>(&c.1).unwrap();
        let (id, secret) = (cv["id"].as_i64().unwrap(), cv["upload_secret"].as_str().unwrap().to_string());
        // A second complaint's secret does not open the first.
        let c2 = serde_json::from_slice::<Value>(&call(&app, "POST", "/api/v1/complaints", None, body).await.1).unwrap();
        let foreign = c2["upload_secret"].as_str().unwrap().to_string();
        let url = format!("/api/v1/complaints/{id}/photos");
        let with_secret = |s: &str| vec![("upload-secret", s.to_string())];
        let up = |hs: Vec<(&'static str, String)>, bytes: Vec<u8>| {
            let (app, url) = (app.clone(), url.clone());
            async move {
                let hs: Vec<(&str, &str)> = hs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                send(&app, "POST", &url, &hs, bytes).await
            }
        };

        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        jpeg.extend(store.kind().as_bytes());
        // Tied to the submitter: no secret 401, a wrong or foreign secret 403, another unit's token 403.
        let none = up(vec![], jpeg.clone()).await;
        assert_eq!((none.0, field(&none.1)), (StatusCode::UNAUTHORIZED, "Upload-Secret".to_string()));
        assert_eq!(up(with_secret("nope"), jpeg.clone()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(up(with_secret(&foreign), jpeg.clone()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(up(vec![("authorization", format!("Bearer {other}"))], jpeg.clone()).await.0, StatusCode::FORBIDDEN);
        assert!(sigap::complaints::store::attachments(&store, id).await.unwrap().is_empty());

        let p = up(with_secret(&secret), jpeg.clone()).await;
        assert_eq!(p.0, StatusCode::CREATED, "{}", String::from_utf8_lossy(&p.1));
        let pid = serde_json::from_slice::<Value>(&p.1).unwrap()["id"].as_i64().unwrap();
        let got = send(&app, "GET", &format!("/api/v1/complaints/{id}/photos/{pid}"), &[("authorization", &format!("Bearer {op}"))], vec![]).await;
        assert_eq!((got.0, &got.1), (StatusCode::OK, &jpeg));
        assert_eq!(got.2.get("x-content-type-options").map(|v| v.to_str().unwrap()), Some("nosniff"));
        assert_eq!(call(&app, "GET", &format!("/api/v1/complaints/{id}/photos/{pid}"), Some(&other), vec![]).await.0, StatusCode::FORBIDDEN);
        let v: Value = serde_json::from_slice(&call(&app, "GET", &format!("/api/v1/complaints/{id}"), Some(&op), vec![]).await.1).unwrap();
        assert_eq!(v["photos"].as_array().unwrap().len(), 1);
        // The same image again is a 409 naming the body; the saved one still serves its bytes.
        let again = up(with_secret(&secret), jpeg.clone()).await;
        assert_eq!((again.0, field(&again.1)), (StatusCode::CONFLICT, "body".to_string()));
        assert_eq!(call(&app, "GET", &format!("/api/v1/complaints/{id}/photos/{pid}"), Some(&op), vec![]).await.1, jpeg);

        let html = up(with_secret(&secret), b"<html>".to_vec()).await;
        assert_eq!(html.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let big = up(with_secret(&secret), vec![0xFF; 2 * 1024 * 1024]).await;
        assert_eq!(big.0, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(send(&app, "POST", "/api/v1/complaints/9999/photos", &[("upload-secret", &secret)], vec![0xFF, 0xD8, 0xFF]).await.0, StatusCode::NOT_FOUND);
        // The operator of the holding unit may add photos too.
        assert_eq!(call(&app, "POST", &url, Some(&op), vec![0xFF, 0xD8, 0xFF, 0]).await.0, StatusCode::CREATED);
        for i in 1..4u8 {
            assert_eq!(up(with_secret(&secret), vec![0xFF, 0xD8, 0xFF, i]).await.0, StatusCode::CREATED);
        }
        let sixth = up(with_secret(&secret), vec![0xFF, 0xD8, 0xFF, 9]).await;
        assert_eq!((sixth.0, field(&sixth.1)), (StatusCode::CONFLICT, "photos".to_string()));
        assert_eq!(sigap::complaints::store::attachments(&store, id).await.unwrap().len(), 5);
        for a in sigap::complaints::store::attachments(&store, id).await.unwrap() {
            assert_eq!(call(&app, "GET", &format!("/api/v1/complaints/{id}/photos/{}", a.id), Some(&op), vec![]).await.0, StatusCode::OK);
        }
    }
}

/// Six identical photos at once (issue 9): files are named per upload, so a refused or failed
/// upload never removes a file an earlier record points to; answers are 201 or 409, never 500,
/// and every saved record serves its bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_photos_at_once_never_500_and_saved_ones_keep_their_bytes_on_both_stores() {
    attachments_dir();
    for store in testing::both().await {
        let app = app(&store).await;
        let admin = tokens::create(&store, "admin", None, None).await.unwrap();
        let mut ids = Vec::new();
        for _ in 0..2 {
            let c = call(&app, "POST", "/api/v1/complaints", None, br#"{"channel":"web","category":"banjir","description":"Banjir"}"#.to_vec()).await;
            let v = serde_json::from_slice::<Value>(&c.1).unwrap();
            ids.push((v["id"].as_i64().unwrap(), v["upload_secret"].as_str().unwrap().to_string()));
        }
        let png = b"\x89PNG\r\n\x1a\nsame-bytes".to_vec();
        let mut handles = Vec::new();
        // Six identical photos to each of two complaints at once: twelve uploads of one content hash.
        for (id, secret) in ids.clone() {
            for _ in 0..6 {
                let (app, png, secret) = (app.clone(), png.clone(), secret.clone());
                handles.push(tokio::spawn(async move {
                    send(&app, "POST", &format!("/api/v1/complaints/{id}/photos"), &[("upload-secret", &secret)], png).await.0
                }));
            }
        }
        let mut created = 0;
        for h in handles {
            let st = h.await.unwrap();
            assert!(st == StatusCode::CREATED || st == StatusCode::CONFLICT, "{}: {st}", store.kind());
            created += usize::from(st == StatusCode::CREATED);
        }
        assert_eq!(created, 2, "{}: one per complaint", store.kind());
        for (id, _) in ids {
            let saved = sigap::complaints::store::attachments(&store, id).await.unwrap();
            assert_eq!(saved.len(), 1);
            for a in saved {
                let got = call(&app, "GET", &format!("/api/v1/complaints/{id}/photos/{}", a.id), Some(&admin), vec![]).await;
                assert_eq!((got.0, got.1), (StatusCode::OK, png.clone()), "{}", store.kind());
            }
        }
    }
}

/// Uploads over the rate (issue 9) get 429 problem+json with `Retry-After` and store nothing;
/// once the clock has moved on by that much, an upload within the limit works again. The
/// limiters run on a clock the test moves (no sleeps). Limits here: 3 attempts a minute per
/// address, 2 uploads a minute per complaint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photo_uploads_over_the_rate_get_429_and_store_nothing_on_both_stores() {
    use axum::extract::ConnectInfo;
    use sigap::complaints::photo_limits::{PhotoClock, PhotoLimits, PhotoRate};
    use std::num::NonZeroU32;
    attachments_dir();
    for store in testing::both().await {
        load_shipped(&store, Level::Kelurahan).await;
        let state = AppState::new(store.clone(), AtlasHandle::new(atlas(&store).await), Arc::new(Config::default()));
        let clock = governor::clock::FakeRelativeClock::default();
        let rate = PhotoRate { per_ip: NonZeroU32::new(3).unwrap(), per_complaint: NonZeroU32::new(2).unwrap() };
        let app = sigap::complaints::http::router_with(PhotoLimits::new(rate, PhotoClock::Fake(clock.clone()))).split_for_parts().0.with_state(state);
        let mut complaints = Vec::new();
        for _ in 0..2 {
            let c = call(&app, "POST", "/api/v1/complaints", None, br#"{"channel":"web","category":"banjir","description":"Banjir"}"#.to_vec()).await;
            let v = serde_json::from_slice::<Value>(&c.1).unwrap();
            complaints.push((v["id"].as_i64().unwrap(), v["upload_secret"].as_str().unwrap().to_string()));
        }
        let (a, b) = (complaints[0].clone(), complaints[1].clone());
        let mut n = 0u8;
        let mut up = async |from: Option<&str>, (id, secret): &(i64, String)| {
            n += 1;
            let mut req = Request::builder().method("POST").uri(format!("/api/v1/complaints/{id}/photos")).header("upload-secret", secret.as_str());
            if let Some(ip) = from {
                req = req.extension(ConnectInfo(std::net::SocketAddr::new(ip.parse().unwrap(), 40000)));
            }
            let res = app.clone().oneshot(req.body(Body::from(vec![0xFF, 0xD8, 0xFF, n])).unwrap()).await.unwrap();
            let (st, h) = (res.status(), res.headers().clone());
            let body: Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap_or(Value::Null);
            (st, h.get("retry-after").map(|v| v.to_str().unwrap().to_string()), h.get("content-type").cloned(), body)
        };
        let saved = async |id: i64| sigap::complaints::store::attachments(&store, id).await.unwrap().len();

        // Per complaint: the third upload to A within the minute is refused, from any address.
        assert_eq!(up(Some("10.0.0.1"), &a).await.0, StatusCode::CREATED);
        assert_eq!(up(Some("10.0.0.1"), &a).await.0, StatusCode::CREATED);
        let over = up(Some("10.0.0.1"), &a).await;
        assert_eq!((over.0, over.1.as_deref()), (StatusCode::TOO_MANY_REQUESTS, Some("30")), "{:?}", over.3);
        assert_eq!(over.2.unwrap(), "application/problem+json");
        assert!(over.3["detail"].as_str().unwrap().contains(&format!("complaint {}", a.0)), "{:?}", over.3);
        assert_eq!(up(Some("10.0.0.2"), &a).await.0, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(saved(a.0).await, 2, "{}: nothing stored for the 429s", store.kind());
        // Per address: 10.0.0.1 has made 3 attempts (the refused one counts), so B is refused
        // for it but not for another address; an IPv4-mapped IPv6 address is the same client.
        let ip_over = up(Some("10.0.0.1"), &b).await;
        assert_eq!((ip_over.0, ip_over.1.as_deref()), (StatusCode::TOO_MANY_REQUESTS, Some("20")), "{:?}", ip_over.3);
        assert_eq!(up(Some("::ffff:10.0.0.1"), &b).await.0, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(saved(b.0).await, 0);
        assert_eq!(up(Some("10.0.0.2"), &b).await.0, StatusCode::CREATED);
        assert!(ip_over.3["detail"].as_str().unwrap().contains("this address"), "{:?}", ip_over.3);
        // Without ConnectInfo all clients share one allowance: B's second upload is refused for
        // B, and the fourth attempt for the (unknown) address.
        let none = [up(None, &b).await, up(None, &b).await, up(None, &b).await, up(None, &b).await];
        let too_many = StatusCode::TOO_MANY_REQUESTS;
        assert_eq!(none.each_ref().map(|r| r.0), [StatusCode::CREATED, too_many, too_many, too_many]);
        assert!(none[1].3["detail"].as_str().unwrap().contains(&format!("complaint {}", b.0)), "{:?}", none[1].3);
        assert!(none[3].3["detail"].as_str().unwrap().contains("this address"), "{:?}", none[3].3);
        assert_eq!(saved(b.0).await, 2);
        // After the Retry-After of the per-complaint 429, an upload within the limit works.
        clock.advance(std::time::Duration::from_secs(30));
        assert_eq!(up(Some("10.0.0.3"), &a).await.0, StatusCode::CREATED);
        assert_eq!(saved(a.0).await, 3);
    }
}
