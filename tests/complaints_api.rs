//! Complaints over HTTP on both stores: routing at intake, role-scoped queues, the checked
//! status machine with history, and every bad input of issue 3 item 8 next to the good path.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sigap::api::{self, AppState, Config};
use sigap::store::{testing, tokens, Store};
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

struct T {
    app: axum::Router,
    admin: String,
    gambir: String,
    other: String,
    auditor: String,
}

async fn setup(store: &Store) -> T {
    load_shipped(store, Level::Kelurahan).await;
    let atlas = atlas(store).await;
    let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));
    T {
        app,
        admin: tokens::create(store, "admin", None, None).await.unwrap(),
        gambir: tokens::create(store, "operator", Some("31.71.01.1001"), None).await.unwrap(),
        other: tokens::create(store, "operator", Some("dinas-sda"), None).await.unwrap(),
        auditor: tokens::create(store, "auditor", None, None).await.unwrap(),
    }
}

async fn call(t: &T, method: &str, uri: &str, token: Option<&str>, idem: Option<&str>, body: Option<String>) -> (StatusCode, String, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    if let Some(tk) = token {
        req = req.header("authorization", format!("Bearer {tk}"));
    }
    if let Some(k) = idem {
        req = req.header("idempotency-key", k);
    }
    let res = t.app.clone().oneshot(req.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
    let status = res.status();
    let ctype = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, ctype, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn problem(r: &(StatusCode, String, Value), status: u16, field: &str) {
    assert_eq!(r.0.as_u16(), status, "{:?}", r.2);
    assert_eq!(r.1, "application/problem+json", "{:?}", r.2);
    assert_eq!(r.2["field"], field, "{:?}", r.2);
}

fn intake(ch: &str, lon: f64, lat: f64) -> String {
    json!({"channel": ch, "category": "banjir", "description": "Air setinggi lutut", "reporter_contact": "0812-0000-1111",
        "location": {"lon": lon, "lat": lat, "accuracy_m": 8.0}}).to_string()
}

#[tokio::test]
async fn intake_routes_and_units_work_their_queue_on_both_stores() {
    for store in testing::both().await {
        let t = setup(&store).await;
        // Inside Gambir (Monas).
        let a = call(&t, "POST", "/api/v1/complaints", None, Some("k1"), Some(intake("jaki", 106.8272, -6.1754))).await;
        assert_eq!(a.0, StatusCode::CREATED, "{:?}", a.2);
        assert_eq!(a.2["unit"], "31.71.01.1001");
        assert_eq!(a.2["status"], "assigned");
        assert_eq!(a.2["routing"]["reason"], "dalam_kelurahan");
        assert!(a.2.get("reporter_contact").is_none());
        let id = a.2["id"].as_i64().unwrap();
        // A retry with the same key and body replays the same answer, no second row.
        let again = call(&t, "POST", "/api/v1/complaints", None, Some("k1"), Some(intake("jaki", 106.8272, -6.1754))).await;
        assert_eq!((again.0, again.2["id"].as_i64()), (StatusCode::CREATED, Some(id)));

        // Swapped lon/lat is corrected and recorded.
        let s = call(&t, "POST", "/api/v1/complaints", None, None, Some(intake("qlue", -6.1754, 106.8272))).await;
        assert_eq!(s.2["unit"], "31.71.01.1001");
        assert_eq!(s.2["routing"]["swapped"], true);
        // No geotag: the channel owner's queue.
        let n = call(&t, "POST", "/api/v1/complaints", None, None, Some(json!({"channel": "sms", "category": "sampah", "description": "Sampah menumpuk"}).to_string())).await;
        assert_eq!((n.2["unit"].as_str(), n.2["status"].as_str(), n.2["routing"]["reason"].as_str()), (Some("diskominfotik"), Some("diterima"), Some("penanggung_jawab_kanal")));
        // Tangerang (BSD): outside, unclear location, channel owner.
        let o = call(&t, "POST", "/api/v1/complaints", None, None, Some(intake("web", 106.6530, -6.3010))).await;
        assert_eq!((o.2["unit"].as_str(), o.2["routing"]["reason"].as_str()), (Some("upjsc"), Some("lokasi_tidak_jelas")));
        let oid = o.2["id"].as_i64().unwrap();

        // Queues: an operator sees only its unit; the auditor reads all.
        let q = call(&t, "GET", "/api/v1/complaints?per_page=1", Some(&t.gambir), None, None).await;
        assert_eq!(q.0, StatusCode::OK, "{:?}", q.2);
        assert_eq!((q.2["total"].as_i64(), q.2["items"].as_array().unwrap().len()), (Some(2), 1));
        let p2 = call(&t, "GET", "/api/v1/complaints?per_page=1&page=2", Some(&t.gambir), None, None).await;
        assert_ne!(p2.2["items"][0]["id"], q.2["items"][0]["id"]);
        let all = call(&t, "GET", "/api/v1/complaints", Some(&t.auditor), None, None).await;
        assert_eq!(all.2["total"], 4);
        let fl = call(&t, "GET", "/api/v1/complaints?flag=koordinat_tertukar", Some(&t.admin), None, None).await;
        assert_eq!(fl.2["total"], 1);
        let bb = call(&t, "GET", "/api/v1/complaints?bbox=106.80,-6.20,106.85,-6.15&status=assigned&since=2020-01-01T00:00:00Z", Some(&t.admin), None, None).await;
        assert_eq!(bb.2["total"], 2, "{:?}", bb.2);

        // Status machine: assigned → dalam_proses → selesai, with history.
        let p = call(&t, "POST", &format!("/api/v1/complaints/{id}/status"), Some(&t.gambir), None, Some(r#"{"to":"dalam_proses"}"#.into())).await;
        assert_eq!(p.2["status"], "dalam_proses", "{:?}", p.2);
        let d = call(&t, "POST", &format!("/api/v1/complaints/{id}/status"), Some(&t.gambir), None, Some(r#"{"to":"selesai","reason":"air surut, saluran dibersihkan"}"#.into())).await;
        assert_eq!(d.2["status"], "selesai");
        let h = call(&t, "GET", &format!("/api/v1/complaints/{id}"), Some(&t.gambir), None, None).await;
        let hist = h.2["history"].as_array().unwrap();
        assert_eq!(hist.len(), 3);
        assert_eq!((hist[2]["from_status"].as_str(), hist[2]["to_status"].as_str()), (Some("dalam_proses"), Some("selesai")));
        assert!(hist[2]["actor"].as_str().unwrap().contains("31.71.01.1001"));

        // The channel owner forwards the unclear one to an SKPD; relocating re-routes by the atlas.
        let f = call(&t, "POST", &format!("/api/v1/complaints/{oid}/forward"), Some(&t.admin), None, Some(r#"{"unit":"dinas-sda","reason":"bukan_kewenangan"}"#.into())).await;
        assert_eq!((f.2["unit"].as_str(), f.2["status"].as_str()), (Some("dinas-sda"), Some("assigned")), "{:?}", f.2);
        let r = call(&t, "POST", &format!("/api/v1/complaints/{oid}/relocate"), Some(&t.other), None, Some(r#"{"lon":106.8206,"lat":-6.3125}"#.into())).await;
        assert_eq!(r.2["kelurahan"], "31.74.04.1004", "{:?}", r.2);
        assert_eq!(r.2["unit"], r.2["kelurahan"]);
        let audit = sigap::store::audit::history(&store, "complaint", &oid.to_string()).await.unwrap();
        assert_eq!(audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(), ["complaint.create", "complaint.forward", "complaint.relocate"]);
    }
}

#[tokio::test]
async fn every_bad_input_is_refused_naming_the_field_and_writes_nothing_on_both_stores() {
    for store in testing::both().await {
        let t = setup(&store).await;
        let ok = call(&t, "POST", "/api/v1/complaints", None, Some("dup"), Some(intake("jaki", 106.8272, -6.1754))).await;
        let id = ok.2["id"].as_i64().unwrap();
        let none = call(&t, "POST", "/api/v1/complaints", None, None, Some(json!({"channel":"email","category":"sampah","description":"x"}).to_string())).await;
        let nid = none.2["id"].as_i64().unwrap();
        let before = sigap::complaints::store::counts(&store).await.unwrap();
        let post = |b: Value| call(&t, "POST", "/api/v1/complaints", None, None, Some(b.to_string()));

        problem(&post(json!({"channel":"jaki","description":"x"})).await, 422, "category");
        problem(&post(json!({"category":"banjir","description":"x"})).await, 422, "channel");
        problem(&post(json!({"channel":"jaki","category":"banjir"})).await, 422, "description");
        problem(&post(json!({"channel":"telegram","category":"banjir","description":"x"})).await, 422, "channel");
        problem(&post(json!({"channel":"jaki","category":"gempa","description":"x"})).await, 422, "category");
        // The 400/422 split, pinned: 400 when the body is not JSON (or holds a number JSON cannot
        // carry) and for coordinates out of range (as `/locate` answers them); 422 when the JSON
        // has the wrong shape — a field missing, unknown or of the wrong type, an unknown word,
        // blank text or control characters. (Before the typed bodies, a string where a coordinate
        // belongs and a missing coordinate were 400; serde's split makes them 422 like every other
        // wrongly typed field, and `1e999` now names `location.lon` instead of `body`.)
        let loc = |l: Value| json!({"channel":"jaki","category":"banjir","description":"x","location": l});
        problem(&post(loc(json!({"lon":"NaN","lat":-6.2}))).await, 422, "location.lon");
        problem(&post(loc(json!({"lon":106.8,"lat":"Infinity"}))).await, 422, "location.lat");
        problem(&post(loc(json!({"lon":106.8,"lat":-96.0}))).await, 400, "location.lat");
        problem(&post(loc(json!({"lon":190.0,"lat":-6.2}))).await, 400, "location.lon");
        problem(&post(loc(json!({"lon":106.8,"lat":-6.2,"accuracy_m":-5}))).await, 400, "location.accuracy_m");
        problem(&post(loc(json!({"lat":-6.2}))).await, 422, "location.lon");
        problem(&post(loc(json!({"lon":106.8,"lat":-6.2,"alt":3}))).await, 422, "location.alt");
        // A geotag is an object: `[lon, lat]` (which serde's derive would take, in an order
        // nothing checks) is refused, here and as the relocate body (the good cases are above/below).
        problem(&post(loc(json!([106.8, -6.2]))).await, 422, "location");
        problem(&post(loc(json!([106.8, -6.2, 8.0]))).await, 422, "location");
        let inf = call(&t, "POST", "/api/v1/complaints", None, None, Some(r#"{"channel":"jaki","category":"banjir","description":"x","location":{"lon":1e999,"lat":-6.2}}"#.into())).await;
        problem(&inf, 400, "location.lon");
        problem(&call(&t, "POST", "/api/v1/complaints", None, None, Some("{not json".into())).await, 400, "body");
        problem(&call(&t, "POST", "/api/v1/complaints", None, None, Some("7".into())).await, 422, "body");
        // Unknown fields are refused, not silently dropped (the contact under a wrong name).
        problem(&post(json!({"channel":"jaki","category":"banjir","description":"x","reporter":{"phone":"0812"}})).await, 422, "reporter");
        problem(&post(json!({"channel":"jaki","category":"banjir","description":"  "})).await, 422, "description");
        problem(&post(json!({"channel":"jaki","category":"banjir","description":7})).await, 422, "description");
        // Control characters: PostgreSQL refuses U+0000, SQLite would store it; both answer 422.
        problem(&post(json!({"channel":"jaki","category":"banjir","description":"air\u{0}naik"})).await, 422, "description");
        problem(&post(json!({"channel":"jaki","category":"banjir","description":"x","reporter_contact":"0812\u{1b}[31m"})).await, 422, "reporter_contact");
        problem(&post(json!({"channel":"jaki","category":"banjir","description":"x","reporter_contact":"9".repeat(201)})).await, 422, "reporter_contact");
        // Without Content-Type: 415 naming it (documented in the OpenAPI description).
        let bare = t.app.clone().oneshot(Request::builder().method("POST").uri("/api/v1/complaints").body(Body::from(intake("jaki", 106.8272, -6.1754))).unwrap()).await.unwrap();
        assert_eq!(bare.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let bare: Value = serde_json::from_slice(&bare.into_body().collect().await.unwrap().to_bytes()).unwrap();
        assert_eq!(bare["field"], "Content-Type", "{bare:?}");
        // Same key, different body.
        problem(&call(&t, "POST", "/api/v1/complaints", None, Some("dup"), Some(intake("jaki", 106.8206, -6.3125))).await, 409, "Idempotency-Key");
        // 10 MB description.
        let big = json!({"channel":"jaki","category":"banjir","description": "a".repeat(10 * 1024 * 1024)}).to_string();
        let r = call(&t, "POST", "/api/v1/complaints", None, None, Some(big)).await;
        assert_eq!(r.0, StatusCode::PAYLOAD_TOO_LARGE, "{:?}", r.2);
        assert_eq!(r.1, "application/problem+json");
        problem(&post(json!({"channel":"jaki","category":"banjir","description": "a".repeat(6000)})).await, 413, "description");

        // Transitions: illegal jump, unknown status, reject without reason.
        async fn st_(t: &T, tk: &str, cid: i64, b: &str) -> (StatusCode, String, Value) {
            call(t, "POST", &format!("/api/v1/complaints/{cid}/status"), Some(tk), None, Some(b.to_string())).await
        }
        async fn fw_(t: &T, cid: i64, b: &str) -> (StatusCode, String, Value) {
            call(t, "POST", &format!("/api/v1/complaints/{cid}/forward"), Some(&t.gambir), None, Some(b.to_string())).await
        }
        let st = |tk: &str, cid: i64, b: &str| {
            let (tk, b) = (tk.to_string(), b.to_string());
            let t = &t;
            async move { st_(t, &tk, cid, &b).await }
        };
        problem(&st(&t.admin, nid, r#"{"to":"selesai"}"#).await, 409, "to");
        problem(&st(&t.gambir, id, r#"{"to":"selesai"}"#).await, 409, "to");
        problem(&st(&t.gambir, id, r#"{"to":"beres"}"#).await, 422, "to");
        problem(&st(&t.gambir, id, r#"{"to":"ditolak"}"#).await, 409, "reason");
        problem(&st(&t.gambir, id, r#"{"to":"dalam_proses","why":"x"}"#).await, 422, "why");
        problem(&st(&t.gambir, id, "{\"to\":\"ditolak\",\"reason\":\"ganda\\u0000\"}").await, 422, "reason");
        problem(&st(&t.gambir, id, r#"{"reason":"x"}"#).await, 422, "to");
        // A wrong role with a bad body: the role is checked first (403, not 422).
        assert_eq!(st(&t.auditor, id, r#"{"to":5,"extra":true}"#).await.0, StatusCode::FORBIDDEN);
        assert_eq!(call(&t, "POST", &format!("/api/v1/complaints/{id}/forward"), Some(&t.auditor), None, Some("{not json".into())).await.0, StatusCode::FORBIDDEN);
        assert_eq!(call(&t, "POST", &format!("/api/v1/complaints/{id}/relocate"), Some(&t.auditor), None, Some(r#"{"lon":"x"}"#.into())).await.0, StatusCode::FORBIDDEN);
        assert_eq!(call(&t, "PUT", "/api/v1/complaint-units/dinas-baru", Some(&t.gambir), None, Some(r#"{"nama":5}"#.into())).await.0, StatusCode::FORBIDDEN);
        // Another unit's token, the auditor, no token.
        let x = st(&t.other, id, r#"{"to":"dalam_proses"}"#).await;
        assert_eq!(x.0, StatusCode::FORBIDDEN);
        assert_eq!(st(&t.auditor, id, r#"{"to":"dalam_proses"}"#).await.0, StatusCode::FORBIDDEN);
        assert_eq!(call(&t, "GET", &format!("/api/v1/complaints/{id}"), Some(&t.other), None, None).await.0, StatusCode::FORBIDDEN);
        problem(&call(&t, "GET", "/api/v1/complaints?unit=31.71.01.1001", Some(&t.other), None, None).await, 403, "unit");
        problem(&call(&t, "GET", "/api/v1/complaints", None, None, None).await, 401, "Authorization");
        problem(&call(&t, "GET", "/api/v1/complaints?bbox=1,2,3", Some(&t.admin), None, None).await, 400, "bbox");
        problem(&call(&t, "GET", "/api/v1/complaints?status=open", Some(&t.admin), None, None).await, 400, "status");
        problem(&call(&t, "GET", "/api/v1/complaints/abc", Some(&t.admin), None, None).await, 400, "id");
        assert_eq!(call(&t, "GET", "/api/v1/complaints/99999", Some(&t.admin), None, None).await.0, StatusCode::NOT_FOUND);
        // Forwarding to an unknown unit, with an unknown reason, to itself.
        let fw = |b: &str| {
            let b = b.to_string();
            let t = &t;
            async move { fw_(t, id, &b).await }
        };
        problem(&fw(r#"{"unit":"dinas-rahasia","reason":"bukan_kewenangan"}"#).await, 422, "unit");
        problem(&fw(r#"{"unit":"31.71.01.9999","reason":"bukan_kewenangan"}"#).await, 422, "unit");
        problem(&fw(r#"{"unit":"dinas-sda","reason":"malas"}"#).await, 422, "reason");
        problem(&fw(r#"{"unit":"31.71.01.1001","reason":"salah_lokasi"}"#).await, 409, "unit");
        problem(&fw("{\"unit\":\"dinas-sda\",\"reason\":\"bukan_kewenangan\",\"note\":\"a\\u0007b\"}").await, 422, "note");
        problem(&fw(r#"{"unit":"dinas-sda","reason":"bukan_kewenangan","catatan":"x"}"#).await, 422, "catatan");
        problem(&call(&t, "POST", &format!("/api/v1/complaints/{id}/relocate"), Some(&t.gambir), None, Some(r#"{"lon":106.8,"lat":-6.2,"location":{}}"#.into())).await, 422, "location");
        problem(&call(&t, "POST", &format!("/api/v1/complaints/{id}/relocate"), Some(&t.gambir), None, Some(r#"{"lon":106.8,"lat":91}"#.into())).await, 400, "location.lat");
        problem(&call(&t, "POST", &format!("/api/v1/complaints/{id}/relocate"), Some(&t.gambir), None, Some("[106.8,-6.2]".into())).await, 422, "body");

        assert_eq!(sigap::complaints::store::counts(&store).await.unwrap(), before, "nothing written by refused requests");
        let c = call(&t, "GET", &format!("/api/v1/complaints/{id}"), Some(&t.admin), None, None).await;
        assert_eq!((c.2["status"].as_str(), c.2["unit"].as_str()), (Some("assigned"), Some("31.71.01.1001")));
    }
}

/// Six clients sending the same keyed intake at the same moment: every one gets the 201 with
/// the same id (the losers a replay, marked `Idempotent-Replayed`), and one complaint is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_intakes_with_one_key_store_one_complaint_on_both_stores() {
    for store in testing::both().await {
        let t = setup(&store).await;
        let before = sigap::complaints::store::counts(&store).await.unwrap();
        let mut handles = Vec::new();
        for _ in 0..6 {
            let app = t.app.clone();
            handles.push(tokio::spawn(async move {
                let req = Request::builder().method("POST").uri("/api/v1/complaints").header("content-type", "application/json")
                    .header("idempotency-key", "same-6").body(Body::from(intake("jaki", 106.8272, -6.1754))).unwrap();
                let res = app.oneshot(req).await.unwrap();
                let replayed = res.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
                let status = res.status();
                let v: Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap_or(Value::Null);
                (status, replayed, v)
            }));
        }
        let mut ids = Vec::new();
        let mut fresh = 0;
        for h in handles {
            let (status, replayed, v) = h.await.unwrap();
            assert_eq!(status, StatusCode::CREATED, "{} {v:?}", store.kind());
            assert!(v["upload_secret"].as_str().is_some_and(|s| s.len() >= 32), "{v:?}");
            fresh += usize::from(!replayed);
            ids.push(v["id"].as_i64().unwrap());
        }
        assert_eq!(fresh, 1, "{}: exactly one request wrote, the others replayed", store.kind());
        assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
        let after = sigap::complaints::store::counts(&store).await.unwrap();
        assert_eq!((after.0 - before.0, after.1 - before.1), (1, 1), "{}", store.kind());
    }
}

/// The OpenAPI document comes from the request types themselves: the intake body is the typed
/// `IntakeRequest` (closed to unknown fields), the 415 for a missing Content-Type and the
/// photo upload's `Upload-Secret` are documented, and the intake answer shows `upload_secret`.
#[tokio::test]
async fn the_openapi_document_shows_the_typed_bodies_the_415_the_upload_secret_and_the_429() {
    let store = testing::gpkg().await;
    let state = AppState::new(store, AtlasHandle::new(sigap::wilayah::Atlas::new(vec![], Default::default())), Arc::new(Config::default()));
    let res = api::router(state).oneshot(Request::get("/api-docs/openapi.json").body(Body::empty()).unwrap()).await.unwrap();
    let d: Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let intake = &d["paths"]["/api/v1/complaints"]["post"];
    assert!(intake["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap().ends_with("/IntakeRequest"), "{intake}");
    assert!(intake["requestBody"]["description"].as_str().unwrap().contains("415"), "{intake}");
    assert!(intake["responses"]["415"].is_object(), "{intake}");
    let schemas = &d["components"]["schemas"];
    assert_eq!(schemas["IntakeRequest"]["additionalProperties"], false, "{}", schemas["IntakeRequest"]);
    let accepted = intake["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
    assert!(schemas[accepted]["properties"]["upload_secret"].is_object(), "{}", schemas[accepted]);
    for (path, schema) in [("/api/v1/complaints/{id}/status", "StatusRequest"), ("/api/v1/complaints/{id}/forward", "ForwardRequest"), ("/api/v1/complaints/{id}/relocate", "Geotag")] {
        let op = &d["paths"][path]["post"];
        assert!(op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap().ends_with(schema), "{op}");
        assert!(op["responses"]["415"].is_object(), "{op}");
    }
    let photos = &d["paths"]["/api/v1/complaints/{id}/photos"]["post"];
    assert!(photos["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "Upload-Secret" && p["in"] == "header"), "{photos}");
    assert!(photos["responses"]["429"]["headers"]["Retry-After"].is_object(), "{photos}");
    assert_eq!(schemas["Geotag"]["type"], "object", "{}", schemas["Geotag"]);
}
