//! Bansos over HTTP on both stores: good and bad input side by side, the cache never stale after
//! a write, nothing half-written after a rejection, idempotent retries, corrections, demo load.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use sigap::api::{self, AppState, Config};
use sigap::bansos::{model, ops, store as bstore};
use sigap::store::{testing, Store};
use sigap::wilayah::{AreaCode, AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

type Res = (StatusCode, serde_json::Value);

async fn call(app: &axum::Router, method: &str, uri: &str, token: Option<&str>, key: Option<&str>, body: Option<String>) -> Res {
    let mut req = Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = app.clone().oneshot(req.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

fn problem(r: &Res, status: u16, field: &str) {
    assert_eq!(r.0.as_u16(), status, "{}", r.1);
    assert_eq!(r.1["status"], status);
    assert_eq!(r.1["field"], field, "{}", r.1);
}

const RW: &str = "31.71.01.1001.001";
const KEL: &str = "31.71.01.1001";

fn delivery(sent: i64, received: i64, damaged: i64, short: i64, returned: i64) -> serde_json::Value {
    serde_json::json!({"rw": RW, "date": "2026-11-20", "provider": "Penyedia Uji", "bast_ref": "BAST/UJI/1",
        "packages_sent": sent, "packages_received": received, "packages_damaged": damaged, "packages_short": short, "packages_returned": returned})
}

async fn rw_progress(app: &axum::Router) -> serde_json::Value {
    let r = call(app, "GET", &format!("/api/v1/bansos/progress?level=rw&parent={KEL}"), None, None, None).await;
    assert_eq!(r.0, StatusCode::OK, "{}", r.1);
    r.1["areas"][RW].clone()
}

/// Row counts of every table a bansos write touches.
async fn rows(store: &Store) -> (i64, i64, i64, i64, i64) {
    let (t, d, h) = bstore::counts(store).await.unwrap();
    let count = |table: &'static str| async move {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        sigap::on_pool!(store, p => { use sqlx::Row; sqlx::query(&sql).fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() })
    };
    (t, d, h, count("audit_log").await, count("idempotency").await)
}

#[tokio::test]
async fn records_and_progress_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Rw).await;
        let atlas = atlas(&store).await;
        // Targets through the importer's path: 50 KK in RW 001.
        let known = |c: &AreaCode| atlas.get(c).is_some();
        // The CLI import rejects a file with any bad line and writes nothing.
        let dir = std::env::temp_dir().join(format!("bansos_targets_{}_{}", std::process::id(), store.kind()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad_file = dir.join("bad.csv");
        std::fs::write(&bad_file, format!("rw,target_kk\n{RW},10\n31.71.01.1001.999,3\n")).unwrap();
        let err = sigap::bansos::cli::import_targets(&store, sigap::bansos::cli::ImportTargetsArgs { file: bad_file, dry_run: false }).await.unwrap_err();
        assert!(err.to_string().contains("nothing was changed"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(bstore::counts(&store).await.unwrap().0, 0);
        let (targets, _) = model::parse_targets(&format!("rw,target_kk\n{RW},50\n"), &known).unwrap();
        let mut tx = bstore::begin_write(&store).await.unwrap();
        ops::import_targets(&mut tx, &targets, false, "test", &|_| {}).await.unwrap();
        tx.commit().await.unwrap();
        let bad = model::parse_targets(&format!("rw,target_kk\n{RW},-1\n31.71.01.1001.999,3\n{RW},4\n"), &known).unwrap_err();
        assert_eq!(bad.len(), 3, "{bad:?}");

        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));
        let planner = sigap::store::tokens::create(&store, "planner", None, None).await.unwrap();
        let auditor = sigap::store::tokens::create(&store, "auditor", None, None).await.unwrap();
        let p = Some(planner.as_str());

        // Warm the cache, then every write must show in the next read.
        let before = rw_progress(&app).await;
        assert_eq!(before["target_kk"], 50);
        assert_eq!(before["served_kk"], 0);
        let prov = call(&app, "GET", "/api/v1/bansos/progress?level=provinsi", None, None, None).await;
        assert_eq!(prov.1["areas"]["31"]["target_kk"], 50);
        assert_eq!(prov.1["generated"], false);

        let d1 = call(&app, "POST", "/api/v1/bansos/deliveries", p, Some("d-1"), Some(delivery(40, 37, 2, 1, 3).to_string())).await;
        assert_eq!(d1.0, StatusCode::CREATED, "{}", d1.1);
        assert_eq!(d1.1["packages_usable"], 36, "37 good, 1 good one taken back beyond the 2 damaged");
        let after = rw_progress(&app).await;
        assert_eq!((after["packages_received"].as_u64(), after["packages_damaged"].as_u64(), after["packages_returned"].as_u64()), (Some(37), Some(2), Some(3)));

        // Replay: same answer, nothing new; same key, other body: 409.
        let again = call(&app, "POST", "/api/v1/bansos/deliveries", p, Some("d-1"), Some(delivery(40, 37, 2, 1, 3).to_string())).await;
        assert_eq!(again.0, StatusCode::CREATED);
        assert_eq!(again.1["id"], d1.1["id"]);
        problem(&call(&app, "POST", "/api/v1/bansos/deliveries", p, Some("d-1"), Some(delivery(41, 38, 2, 1, 3).to_string())).await, 409, "Idempotency-Key");

        let h1 = call(&app, "POST", "/api/v1/bansos/handouts", p, None, Some(format!(r#"{{"rw":"{RW}","date":"2026-11-21","kk_served":30}}"#))).await;
        assert_eq!(h1.0, StatusCode::CREATED, "{}", h1.1);
        let after = rw_progress(&app).await;
        assert_eq!(after["served_kk"], 30);
        assert_eq!(after["percent"], 60.0);
        let kel = call(&app, "GET", "/api/v1/bansos/progress?level=kelurahan&parent=31.71.01", None, None, None).await;
        assert_eq!(kel.1["areas"][KEL]["served_kk"], 30);

        // Bad input: each names its field and leaves every table as it was.
        let snapshot = rows(&store).await;
        let bad_delivery = |v: serde_json::Value| v.to_string();
        let mut unknown = delivery(10, 10, 0, 0, 0);
        unknown["rw"] = "31.71.01.1001.999".into();
        problem(&call(&app, "POST", "/api/v1/bansos/deliveries", p, None, Some(bad_delivery(unknown))).await, 422, "rw");
        // Unknown fields are refused, naming them (not silently dropped).
        let mut extra = delivery(10, 10, 0, 0, 0);
        extra["catatan"] = "x".into();
        problem(&call(&app, "POST", "/api/v1/bansos/deliveries", p, None, Some(bad_delivery(extra))).await, 422, "catatan");
        problem(&call(&app, "POST", "/api/v1/bansos/handouts", p, None, Some(format!(r#"{{"rw":"{RW}","date":"2026-11-21","kk_served":1,"kk":1}}"#))).await, 422, "kk");
        problem(&call(&app, "POST", "/api/v1/bansos/deliveries", p, None, Some(bad_delivery(delivery(-5, 0, 0, 0, 0)))).await, 422, "packages_sent");
        problem(&call(&app, "POST", "/api/v1/bansos/deliveries", p, None, Some(bad_delivery(delivery(10, 12, 0, 0, 0)))).await, 422, "packages_received");
        problem(&call(&app, "POST", "/api/v1/bansos/deliveries", p, None, Some(bad_delivery(delivery(10, 8, 0, 0, 0)))).await, 422, "packages_short");
        // 36 usable, 30 served: 7 more is more than received.
        problem(&call(&app, "POST", "/api/v1/bansos/handouts", p, Some("h-x"), Some(format!(r#"{{"rw":"{RW}","date":"2026-11-21","kk_served":7}}"#))).await, 422, "kk_served");
        problem(&call(&app, "POST", "/api/v1/bansos/handouts", p, None, Some(r#"{"rw":"31.71.01.1002.002","date":"2026-11-21","kk_served":1}"#.into())).await, 422, "kk_served");
        problem(&call(&app, "POST", "/api/v1/bansos/handouts", p, None, Some(format!(r#"{{"rw":"{RW}","date":"2999-01-01","kk_served":1}}"#))).await, 422, "date");
        let malformed = call(&app, "POST", "/api/v1/bansos/handouts", p, None, Some("{not json".into())).await;
        assert_eq!(malformed.0, StatusCode::BAD_REQUEST);
        let huge = format!(r#"{{"rw":"{RW}","date":"2026-11-21","kk_served":1,"pad":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
        assert_eq!(call(&app, "POST", "/api/v1/bansos/handouts", p, None, Some(huge)).await.0, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(call(&app, "POST", "/api/v1/bansos/handouts", None, None, Some(format!(r#"{{"rw":"{RW}","date":"2026-11-21","kk_served":1}}"#))).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(call(&app, "POST", "/api/v1/bansos/handouts", Some(&auditor), None, Some(format!(r#"{{"rw":"{RW}","date":"2026-11-21","kk_served":1}}"#))).await.0, StatusCode::FORBIDDEN);
        // The role is checked before the body: a wrong role with a bad body learns nothing about it.
        assert_eq!(call(&app, "POST", "/api/v1/bansos/handouts", Some(&auditor), None, Some(r#"{"rw":1,"bogus":true}"#.into())).await.0, StatusCode::FORBIDDEN);
        assert_eq!(call(&app, "POST", "/api/v1/bansos/deliveries", Some(&auditor), None, Some("{not json".into())).await.0, StatusCode::FORBIDDEN);
        // A correction that would leave fewer good packages than KK served is refused too.
        let mut shrink = delivery(20, 20, 0, 0, 0);
        shrink["corrects"] = d1.1["id"].clone();
        problem(&call(&app, "POST", "/api/v1/bansos/deliveries", p, None, Some(shrink.to_string())).await, 422, "packages_received");
        assert_eq!(rows(&store).await, snapshot, "a rejected request wrote something");
        assert_eq!(rw_progress(&app).await["served_kk"], 30);

        // A correction replaces the old record in the totals; the old one stays, marked.
        let mut fix = delivery(45, 45, 0, 0, 0);
        fix["corrects"] = d1.1["id"].clone();
        let c = call(&app, "POST", "/api/v1/bansos/deliveries", p, None, Some(fix.to_string())).await;
        assert_eq!(c.0, StatusCode::CREATED, "{}", c.1);
        assert_eq!(rw_progress(&app).await["packages_received"], 45);
        problem(&call(&app, "POST", "/api/v1/bansos/deliveries", p, None, Some(fix.to_string())).await, 409, "corrects");
        let mut missing = delivery(1, 1, 0, 0, 0);
        missing["corrects"] = 999_999.into();
        problem(&call(&app, "POST", "/api/v1/bansos/deliveries", p, None, Some(missing.to_string())).await, 404, "corrects");
        let rec = call(&app, "GET", &format!("/api/v1/bansos/rw/{RW}/records"), Some(&auditor), None, None).await;
        assert_eq!(rec.0, StatusCode::OK);
        assert_eq!(rec.1["deliveries"].as_array().unwrap().len(), 2);
        assert_eq!(rec.1["deliveries"][0]["corrected_by"], c.1["id"]);
        let hist = sigap::store::audit::history(&store, "bansos_delivery", &c.1["id"].to_string()).await.unwrap();
        assert_eq!(hist[0].action, "bansos.delivery.correct");

        // Bad queries.
        problem(&call(&app, "GET", "/api/v1/bansos/progress", None, None, None).await, 400, "level");
        problem(&call(&app, "GET", "/api/v1/bansos/progress?level=desa", None, None, None).await, 400, "level");
        problem(&call(&app, "GET", "/api/v1/bansos/progress?level=kota&parent=31.71.01", None, None, None).await, 400, "parent");
        problem(&call(&app, "GET", "/api/v1/bansos/progress?level=rw&parent=31.71.99.9999", None, None, None).await, 404, "parent");
    })
    .await;
}

#[tokio::test]
async fn demo_loads_once_and_sums_to_the_published_total() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Rw).await;
        let atlas = atlas(&store).await;
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let loaded = sigap::bansos::load_demo(&store, &atlas, &|_, _| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .await
        .unwrap();
        let first = bstore::counts(&store).await.unwrap();
        let sigap::bansos::demo::Loaded::Loaded { targets, total_kk, deliveries, handouts } = loaded else { panic!("first load skipped: {loaded:?}") };
        assert_eq!((targets as i64, deliveries as i64, handouts as i64), first, "returned counts are what was stored");
        assert_eq!(total_kk, 1_194_633);
        assert_eq!(calls.into_inner(), deliveries + handouts, "progress reported once per row");
        let again = sigap::bansos::load_demo(&store, &atlas, &|_, _| {}).await.unwrap();
        assert_eq!(again, sigap::bansos::demo::Loaded::Skipped { targets: first.0, deliveries: first.1, handouts: first.2 });
        assert_eq!(bstore::counts(&store).await.unwrap(), first, "second load changed data");
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));
        let prov = call(&app, "GET", "/api/v1/bansos/progress?level=provinsi", None, None, None).await;
        assert_eq!(prov.1["generated"], true);
        assert_eq!(prov.1["areas"]["31"]["target_kk"], 1_194_633);
        let served = prov.1["areas"]["31"]["served_kk"].as_u64().unwrap();
        assert!(served > 0 && served < 1_194_633);
        let kota = call(&app, "GET", "/api/v1/bansos/progress?level=kota", None, None, None).await;
        let sum: u64 = kota.1["areas"].as_object().unwrap().values().map(|a| a["served_kk"].as_u64().unwrap()).sum();
        assert_eq!(sum, served, "kota sums to the province");
    })
    .await;
}

#[tokio::test]
async fn trend_and_last_update_follow_the_records_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Rw).await;
        let atlas = atlas(&store).await;
        let known = |c: &AreaCode| atlas.get(c).is_some();
        let (targets, _) = model::parse_targets(&format!("rw,target_kk\n{RW},50\n31.71.01.1002.001,20\n"), &known).unwrap();
        let mut tx = bstore::begin_write(&store).await.unwrap();
        ops::import_targets(&mut tx, &targets, false, "test", &|_| {}).await.unwrap();
        tx.commit().await.unwrap();
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));
        let planner = sigap::store::tokens::create(&store, "planner", None, None).await.unwrap();
        let p = Some(planner.as_str());

        // Before any record: no days, the target already counts, updated_at is the target's.
        let empty = call(&app, "GET", &format!("/api/v1/bansos/trend?area={KEL}"), None, None, None).await;
        assert_eq!(empty.0, StatusCode::OK, "{}", empty.1);
        assert_eq!(empty.1["days"], serde_json::json!([]));
        assert_eq!(empty.1["now"]["target_kk"], 50);
        assert_eq!(empty.1["level"], "kelurahan");
        assert!(empty.1["now"]["updated_at"].is_string(), "{}", empty.1);

        let post = |path: &'static str, body: String| {
            let app = app.clone();
            async move {
                let r = call(&app, "POST", path, p, None, Some(body)).await;
                assert_eq!(r.0, StatusCode::CREATED, "{}", r.1);
                r.1
            }
        };
        let d1 = post("/api/v1/bansos/deliveries", delivery(40, 40, 0, 0, 0).to_string()).await;
        let mut d2 = delivery(15, 15, 0, 0, 0);
        d2["date"] = "2026-11-22".into();
        d2["rw"] = "31.71.01.1002.001".into();
        post("/api/v1/bansos/deliveries", d2.to_string()).await;
        post("/api/v1/bansos/handouts", format!(r#"{{"rw":"{RW}","date":"2026-11-21","kk_served":10}}"#)).await;
        post("/api/v1/bansos/handouts", format!(r#"{{"rw":"{RW}","date":"2026-11-22","kk_served":5}}"#)).await;
        // A correction moves the first delivery's 40 packages to 38: only the correction counts.
        let mut fix = delivery(38, 38, 0, 0, 0);
        fix["corrects"] = d1["id"].clone();
        post("/api/v1/bansos/deliveries", fix.to_string()).await;

        let t = call(&app, "GET", "/api/v1/bansos/trend?area=31.71.01", None, None, None).await;
        assert_eq!(t.0, StatusCode::OK, "{}", t.1);
        let days: Vec<(String, u64, u64, u64, u64)> = t.1["days"].as_array().unwrap().iter().map(|d| (
            d["date"].as_str().unwrap().to_string(), d["kk_served"].as_u64().unwrap(), d["packages_received"].as_u64().unwrap(),
            d["kk_served_total"].as_u64().unwrap(), d["packages_received_total"].as_u64().unwrap())).collect();
        assert_eq!(days, vec![
            ("2026-11-20".into(), 0, 38, 0, 38),
            ("2026-11-21".into(), 10, 0, 10, 38),
            ("2026-11-22".into(), 5, 15, 15, 53),
        ]);
        // The last running totals are the progress numbers of the same area.
        let kec = call(&app, "GET", "/api/v1/bansos/progress?level=kecamatan", None, None, None).await;
        let now = &kec.1["areas"]["31.71.01"];
        assert_eq!((now["served_kk"].as_u64(), now["packages_received"].as_u64()), (Some(15), Some(53)));
        assert_eq!(&t.1["now"], now, "trend's `now` is the progress answer");
        assert_eq!(t.1["nama"], now["nama"]);
        // The province by default; an RW alone has only its own records.
        let prov = call(&app, "GET", "/api/v1/bansos/trend", None, None, None).await;
        assert_eq!(prov.1["area"], "31");
        assert_eq!(prov.1["days"], t.1["days"]);
        let rw2 = call(&app, "GET", "/api/v1/bansos/trend?area=31.71.01.1002.001", None, None, None).await;
        assert_eq!(rw2.1["days"].as_array().unwrap().len(), 1);
        assert_eq!(rw2.1["level"], "rw");

        // Last update: the kota with records has the newest write; a kota without any has none.
        let kota = call(&app, "GET", "/api/v1/bansos/progress?level=kota", None, None, None).await;
        let at = |k: &str| kota.1["areas"][k]["updated_at"].clone();
        assert!(at("31.71").as_str().unwrap() >= empty.1["now"]["updated_at"].as_str().unwrap(), "{}", kota.1);
        assert_eq!(at("31.72"), serde_json::Value::Null);

        // ETag: a second read with the tag is a 304; a write changes the tag.
        let etag = {
            let req = Request::builder().uri("/api/v1/bansos/trend?area=31.71").body(Body::empty()).unwrap();
            let res = app.clone().oneshot(req).await.unwrap();
            res.headers()["etag"].to_str().unwrap().to_string()
        };
        let cond = |tag: String| {
            let app = app.clone();
            async move {
                let req = Request::builder().uri("/api/v1/bansos/trend?area=31.71").header("if-none-match", tag).body(Body::empty()).unwrap();
                app.oneshot(req).await.unwrap().status()
            }
        };
        assert_eq!(cond(etag.clone()).await, StatusCode::NOT_MODIFIED);
        post("/api/v1/bansos/handouts", format!(r#"{{"rw":"{RW}","date":"2026-11-22","kk_served":1}}"#)).await;
        assert_eq!(cond(etag).await, StatusCode::OK);

        // Bad areas name the field; a good one right beside them answers.
        problem(&call(&app, "GET", "/api/v1/bansos/trend?area=jakarta", None, None, None).await, 400, "area");
        problem(&call(&app, "GET", "/api/v1/bansos/trend?area=32", None, None, None).await, 400, "area");
        problem(&call(&app, "GET", "/api/v1/bansos/trend?area=31.71.99", None, None, None).await, 404, "area");
        problem(&call(&app, "GET", "/api/v1/bansos/trend?area=31.71.01.1001.999", None, None, None).await, 404, "area");
        assert_eq!(call(&app, "GET", "/api/v1/bansos/trend?area=%2031.71%20", None, None, None).await.0, StatusCode::OK);
    })
    .await;
}

/// GET `uri`: status, content type, content disposition and body text.
async fn download(app: &axum::Router, uri: &str) -> (StatusCode, String, String, String) {
    let res = app.clone().oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap()).await.unwrap();
    let h = |n: &str| res.headers().get(n).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let (ct, cd) = (h("content-type"), h("content-disposition"));
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, ct, cd, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn progress_downloads_equal_the_api_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Rw).await;
        let atlas = atlas(&store).await;
        sigap::bansos::load_demo(&store, &atlas, &|_, _| {}).await.unwrap();
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));
        for (level, parent) in [("kota", ""), ("kecamatan", ""), ("kelurahan", "31.71.01"), ("rw", KEL), ("provinsi", "")] {
            let q = if parent.is_empty() { format!("level={level}") } else { format!("level={level}&parent={parent}") };
            let api = call(&app, "GET", &format!("/api/v1/bansos/progress?{q}"), None, None, None).await.1;
            let areas = api["areas"].as_object().unwrap();
            let want: u64 = areas.values().map(|a| a["served_kk"].as_u64().unwrap()).sum();
            assert!(want > 0, "{level}: demo data serves someone");

            let (status, ct, cd, text) = download(&app, &format!("/api/v1/bansos/progress/export?{q}&format=csv")).await;
            assert_eq!(status, StatusCode::OK, "{text}");
            assert_eq!(ct, "text/csv; charset=utf-8");
            assert!(cd.starts_with("attachment; filename=\"bansos-progres-") && cd.ends_with(".csv\""), "{cd}");
            let mut r = csv::Reader::from_reader(text.as_bytes());
            let head = r.headers().unwrap().clone();
            let col = |n: &str| head.iter().position(|h| h == n).unwrap();
            let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
            assert_eq!(rows.len(), areas.len(), "{level}: one row per area");
            let got: u64 = rows.iter().map(|x| x[col("served_kk")].parse::<u64>().unwrap()).sum();
            assert_eq!(got, want, "{level}: CSV total = API total");
            for x in &rows {
                assert_eq!(x[col("target_kk")].parse::<u64>().unwrap(), areas[&x[col("kode")]]["target_kk"].as_u64().unwrap());
                assert_eq!(&x[col("catatan")], "data contoh (dibangkitkan)", "demo numbers are labelled");
                assert!(x[col("lisensi")].contains("CC BY 4.0"));
            }

            let (status, ct, _, text) = download(&app, &format!("/api/v1/bansos/progress/export?{q}&format=geojson")).await;
            assert_eq!(status, StatusCode::OK, "{text}");
            assert_eq!(ct, "application/geo+json");
            let fc: serde_json::Value = serde_json::from_str(&text).unwrap();
            let feats = fc["features"].as_array().unwrap();
            assert_eq!(feats.len(), areas.len());
            let got: u64 = feats.iter().map(|f| f["properties"]["served_kk"].as_u64().unwrap()).sum();
            assert_eq!(got, want, "{level}: GeoJSON total = API total");
            assert_eq!(fc["generated"], true);
            assert!(fc["license"].as_str().unwrap().contains(if level == "rw" { "ODbL" } else { "MIT" }), "{}", fc["license"]);
            let with_geometry = feats.iter().filter(|f| f["geometry"]["type"] == "MultiPolygon").count();
            assert_eq!(with_geometry, if level == "provinsi" { 0 } else { feats.len() }, "{level}: boundaries");
            // Aggregates only: the properties are the progress columns, nothing about records or people.
            let keys: Vec<&String> = feats[0]["properties"].as_object().unwrap().keys().collect();
            assert!(keys.iter().all(|k| !["actor", "provider", "bast_ref", "nik", "phone"].contains(&k.as_str())), "{keys:?}");
        }
        // Bad input beside the good: each names its field.
        problem(&call(&app, "GET", "/api/v1/bansos/progress/export?level=kota", None, None, None).await, 400, "format");
        problem(&call(&app, "GET", "/api/v1/bansos/progress/export?level=kota&format=xlsx", None, None, None).await, 400, "format");
        problem(&call(&app, "GET", "/api/v1/bansos/progress/export?format=csv", None, None, None).await, 400, "level");
        problem(&call(&app, "GET", "/api/v1/bansos/progress/export?level=desa&format=csv", None, None, None).await, 400, "level");
        problem(&call(&app, "GET", "/api/v1/bansos/progress/export?level=kota&parent=31.71.01&format=csv", None, None, None).await, 400, "parent");
        problem(&call(&app, "GET", "/api/v1/bansos/progress/export?level=rw&parent=31.71.99.9999&format=geojson", None, None, None).await, 404, "parent");
    })
    .await;
}
