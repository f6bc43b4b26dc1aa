//! Monthly report over HTTP and bulk import, on both stores.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sigap::api::{self, AppState, Config};
use sigap::complaints::report::Month;
use sigap::store::{testing, tokens};
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

async fn call(app: &axum::Router, method: &str, uri: &str, token: &str, body: Option<Value>) -> (StatusCode, String, String) {
    let mut req = Request::builder().method(method).uri(uri).header("authorization", format!("Bearer {token}"));
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let res = app.clone().oneshot(req.body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
    let status = res.status();
    let ctype = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, ctype, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn monthly_report_and_bulk_import_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = atlas(&store).await;
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));
        let admin = tokens::create(&store, "admin", None, None).await.unwrap();
        let op = tokens::create(&store, "operator", Some("31.71.01.1001"), None).await.unwrap();

        // Bulk import: 3 good rows (inside, outside, no geotag) and 3 bad ones.
        let dir = std::env::temp_dir().join(format!("sigap_cimport_{}_{}", std::process::id(), store.kind()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("aduan.csv");
        std::fs::write(&csv, "channel,category,description,lon,lat\n\
            jaki,banjir,Banjir di Gambir,106.8272,-6.1754\n\
            qlue,sampah,Sampah di BSD,106.6530,-6.3010\n\
            ,jalan_rusak,Tanpa lokasi,,\n\
            jaki,gempa,Kategori salah,106.8272,-6.1754\n\
            jaki,banjir,Lintang salah,106.8272,-96\n\
            jaki,banjir,Separuh titik,106.8272,\n").unwrap();
        let sum = sigap::complaints::cli::import_file(&store, &atlas_of(&store).await, &csv, None, &|_, _| {}).await.unwrap();
        assert_eq!(sum.imported, 3, "{sum:?}");
        assert_eq!(sum.by_reason.get("dalam_kelurahan"), Some(&1));
        assert_eq!(sum.by_reason.get("lokasi_tidak_jelas"), Some(&1));
        assert_eq!(sum.by_reason.get("penanggung_jawab_kanal"), Some(&1));
        assert_eq!(sum.rejected.iter().map(|r| r.0).collect::<Vec<_>>(), vec![5, 6, 7]);
        assert!(sum.rejected[0].1.contains("gempa"));
        assert!(sum.rejected[1].1.contains("location.lat"), "{:?}", sum.rejected);

        // Gambir works and closes its complaint; upjsc forwards the unclear one.
        let gambir_id = 1;
        for to in ["dalam_proses", "selesai"] {
            let r = call(&app, "POST", &format!("/api/v1/complaints/{gambir_id}/status"), &op, Some(json!({"to": to}))).await;
            assert_eq!(r.0, StatusCode::OK, "{}", r.2);
        }
        let f = call(&app, "POST", "/api/v1/complaints/2/forward", &admin, Some(json!({"unit": "dinas-lh", "reason": "bukan_kewenangan"}))).await;
        assert_eq!(f.0, StatusCode::OK, "{}", f.2);

        let month = Month::of(chrono::Utc::now()).to_string();
        let j = call(&app, "GET", &format!("/api/v1/reports/complaints?month={month}"), &admin, None).await;
        assert_eq!(j.0, StatusCode::OK, "{}", j.2);
        let v: Value = serde_json::from_str(&j.2).unwrap();
        let row = |u: &str| v["units"].as_array().unwrap().iter().find(|r| r["unit"] == u).cloned().unwrap_or(Value::Null);
        let g = row("31.71.01.1001");
        assert_eq!((g["diterima"].as_u64(), g["selesai"].as_u64(), g["terbuka"].as_u64()), (Some(1), Some(1), Some(0)), "{g}");
        assert!(g["median_jam_penyelesaian"].as_f64().is_some());
        assert_eq!(g["nama"], "Kelurahan Gambir");
        let u = row("upjsc");
        assert_eq!((u["diterima"].as_u64(), u["diteruskan_keluar"].as_u64()), (Some(2), Some(1)), "{u}");
        let lh = row("dinas-lh");
        assert_eq!((lh["diteruskan_masuk"].as_u64(), lh["terbuka"].as_u64()), (Some(1), Some(1)));

        let c = call(&app, "GET", &format!("/api/v1/reports/complaints?month={month}&format=csv"), &admin, None).await;
        assert!(c.1.starts_with("text/csv"));
        assert!(c.2.contains(&format!("{month},31.71.01.1001,Kelurahan Gambir,1,0,0,1,0,")), "{}", c.2);
        // An earlier month has nothing.
        let empty = call(&app, "GET", "/api/v1/reports/complaints?month=2020-01", &admin, None).await;
        assert_eq!(serde_json::from_str::<Value>(&empty.2).unwrap()["units"], json!([]));

        for (q, st) in [("month=2026-13", 400), ("", 400), ("month=2026-10&format=xml", 400)] {
            let r = call(&app, "GET", &format!("/api/v1/reports/complaints?{q}"), &admin, None).await;
            assert_eq!(r.0.as_u16(), st, "{q}");
            assert_eq!(r.1, "application/problem+json");
        }
        assert_eq!(call(&app, "GET", &format!("/api/v1/reports/complaints?month={month}"), &op, None).await.0, StatusCode::FORBIDDEN);
    })
    .await;
}

async fn atlas_of(store: &sigap::store::Store) -> sigap::wilayah::Atlas {
    atlas(store).await
}
