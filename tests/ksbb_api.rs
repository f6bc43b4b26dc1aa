//! KSBB over HTTP and the CLI on both stores: UMKM import (CSV and XLSX, per-row report, masked
//! personal data), the site layer (create, move, edit, retire with history and optimistic
//! concurrency, places refused with their reason), bad input beside good, nothing half-written.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use sigap::api::{self, AppState, Config};
use sigap::ksbb::store as kstore;
use sigap::store::{testing, Store};
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

struct Res {
    status: StatusCode,
    etag: Option<String>,
    text: String,
    json: serde_json::Value,
}

async fn call(app: &axum::Router, method: &str, uri: &str, headers: &[(&str, &str)], body: Option<Vec<u8>>) -> Res {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app.clone().oneshot(req.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
    let status = res.status();
    let etag = res.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).to_string();
    Res { status, etag, json: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null), text }
}

fn problem(r: &Res, status: u16, field: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text);
    assert_eq!(r.json["status"], status, "{}", r.text);
    assert_eq!(r.json["field"], field, "{}", r.text);
}

/// Rows of every table a KSBB write touches: sites, UMKM, audit, idempotency.
async fn rows(store: &Store) -> (i64, i64, i64, i64) {
    let (s, u) = kstore::counts(store).await.unwrap();
    let count = |table: &'static str| async move {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        sigap::on_pool!(store, p => { use sqlx::Row; sqlx::query(&sql).fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() })
    };
    (s, u, count("audit_log").await, count("idempotency").await)
}

const MONAS: (f64, f64) = (106.8272, -6.1754);

fn site(kode: &str, lon: f64, lat: f64) -> serde_json::Value {
    serde_json::json!({"kode": kode, "nama": "Lokbin Uji", "jenis": "lokbin", "lon": lon, "lat": lat, "kapasitas": 40,
        "pj_nama": "Pak Penanggung Jawab", "pj_telepon": "0811-1111-2222", "sumber": "uji (generated)"})
}

async fn setup(store: &Store) -> (axum::Router, String, String, String) {
    load_shipped(store, Level::Kelurahan).await;
    let atlas = atlas(store).await;
    let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));
    let citata = sigap::store::tokens::create(store, "citata", None, None).await.unwrap();
    let bk = sigap::store::tokens::create(store, "bidang_kolaborasi", None, None).await.unwrap();
    let planner = sigap::store::tokens::create(store, "planner", None, None).await.unwrap();
    (app, format!("Bearer {citata}"), format!("Bearer {bk}"), format!("Bearer {planner}"))
}

fn json_headers(auth: &str) -> Vec<(&str, &str)> {
    vec![("authorization", auth), ("content-type", "application/json")]
}

#[tokio::test]
async fn sites_good_and_bad_on_both_stores() {
    testing::for_each_store(|store| async move {
        let (app, citata, bk, planner) = setup(&store).await;
        let h = json_headers(&citata);
        let post = |body: serde_json::Value, h: Vec<(&'static str, String)>| {
            let app = app.clone();
            async move {
                let hh: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
                call(&app, "POST", "/api/v1/ksbb/sites", &hh, Some(body.to_string().into_bytes())).await
            }
        };
        let ch = |key: Option<&str>| {
            let mut v = vec![("authorization", citata.clone()), ("content-type", "application/json".to_string())];
            if let Some(k) = key {
                v.push(("idempotency-key", k.to_string()));
            }
            v
        };

        // Good: a lokbin at Monas; kelurahan from the atlas; replay of the same key.
        let ok = post(site("LOKBIN-UJI-1", MONAS.0, MONAS.1), ch(Some("s-1"))).await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
        assert_eq!(ok.json["version"], 1);
        assert!(ok.json["kelurahan"].as_str().unwrap().starts_with("31.71."), "{}", ok.text);
        let again = post(site("LOKBIN-UJI-1", MONAS.0, MONAS.1), ch(Some("s-1"))).await;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_eq!(again.json, ok.json);
        let before = rows(&store).await;
        assert_eq!(before.0, 1);

        // Bad, each refused naming the field and writing nothing.
        let cases: Vec<(serde_json::Value, u16, &str, &str)> = vec![
            (site("LOKBIN-UJI-1", MONAS.0, MONAS.1), 409, "kode", "conflict"),
            (site("X-DEPOK", 106.82, -6.40), 422, "lon", "site-outside-jakarta"),
            (site("X-BEKASI", 107.02, -6.25), 422, "lon", "site-outside-jakarta"),
            (site("X-LAUT", 106.85, -6.03), 422, "lon", "site-at-sea"),
            (site("X-SERIBU-LAUT", 106.45, -5.75), 422, "lon", "site-at-sea"),
            (site("X-SWAP", MONAS.1, MONAS.0), 422, "lon", "coordinates-swapped"),
            (site("X-LAT", 106.8, -95.0), 422, "lat", "invalid-field"),
            ({ let mut s = site("X-NEG", MONAS.0, MONAS.1); s["kapasitas"] = (-1).into(); s }, 422, "kapasitas", "invalid-field"),
            ({ let mut s = site("X-NAN", MONAS.0, MONAS.1); s["lon"] = "NaN".into(); s }, 422, "lon", ""),
            ({ let mut s = site("X-CTL", MONAS.0, MONAS.1); s["nama"] = "a\u{0}b".into(); s }, 422, "nama", "invalid-field"),
            ({ let mut s = site("bad kode", MONAS.0, MONAS.1); s["kode"] = "a b".into(); s }, 422, "kode", "invalid-field"),
            ({ let mut s = site("X-EXTRA", MONAS.0, MONAS.1); s["rt"] = "001".into(); s }, 422, "rt", ""),
            ({ let mut s = site("X-FP", MONAS.0, MONAS.1);
               s["footprint"] = serde_json::json!({"type": "Polygon", "coordinates": [[[106.80, -6.20], [106.801, -6.20], [106.801, -6.199], [106.80, -6.20]]]}); s },
             422, "footprint", "invalid-field"),
            ({ let mut s = site("X-FP-SEA", 106.8272, -6.1754);
               s["footprint"] = serde_json::json!({"type": "Polygon", "coordinates": [[[106.82, -6.18], [106.83, -6.18], [106.83, -5.9], [106.82, -5.9], [106.82, -6.18]]]}); s },
             422, "footprint", "site-at-sea"),
        ];
        for (body, status, field, slug) in cases {
            let r = post(body.clone(), ch(None)).await;
            problem(&r, status, field);
            if !slug.is_empty() {
                assert!(r.json["type"].as_str().unwrap().ends_with(slug), "{body}: {}", r.text);
            }
        }
        // A NaN or infinite number cannot be JSON; 1e999 is refused as a body error.
        let r = call(&app, "POST", "/api/v1/ksbb/sites", &h, Some(site("X", MONAS.0, MONAS.1).to_string().replace("106.8272", "1e999").into_bytes())).await;
        assert_eq!(r.status.as_u16() / 100, 4, "{}", r.text);
        // Wrong role (with a bad body too) is a 403; no token a 401.
        let r = call(&app, "POST", "/api/v1/ksbb/sites", &json_headers(&planner), Some(b"{".to_vec())).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = call(&app, "POST", "/api/v1/ksbb/sites", &[("content-type", "application/json")], Some(site("X", MONAS.0, MONAS.1).to_string().into_bytes())).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(rows(&store).await, before, "a refused site wrote something");

        // Read with ETag; edit needs If-Match.
        let g = call(&app, "GET", "/api/v1/ksbb/sites/LOKBIN-UJI-1", &[], None).await;
        assert_eq!(g.status, StatusCode::OK);
        assert_eq!(g.etag.as_deref(), Some("\"1\""));
        assert!(g.json.get("pj_nama").is_none(), "public site view shows the contact: {}", g.text);
        let nm = call(&app, "GET", "/api/v1/ksbb/sites/LOKBIN-UJI-1", &[("if-none-match", "\"1\"")], None).await;
        assert_eq!(nm.status, StatusCode::NOT_MODIFIED);
        let moved = site("LOKBIN-UJI-1", 106.8650, -6.1380); // Jakarta Utara, on land
        let r = call(&app, "PUT", "/api/v1/ksbb/sites/LOKBIN-UJI-1", &h, Some(moved.to_string().into_bytes())).await;
        problem(&r, 428, "If-Match");
        let mut hm = h.clone();
        hm.push(("if-match", "\"1\""));
        let sea = site("LOKBIN-UJI-1", 106.85, -6.03);
        let r = call(&app, "PUT", "/api/v1/ksbb/sites/LOKBIN-UJI-1", &hm, Some(sea.to_string().into_bytes())).await;
        problem(&r, 422, "lon");
        assert_eq!(rows(&store).await, before, "a refused move wrote something");

        // Two editors read version 1 and save at the same time: exactly one wins, the other gets
        // 412 and its change is not stored.
        let mut edit_a = site("LOKBIN-UJI-1", MONAS.0, MONAS.1);
        edit_a["kapasitas"] = 55.into();
        let (a, b) = tokio::join!(
            call(&app, "PUT", "/api/v1/ksbb/sites/LOKBIN-UJI-1", &hm, Some(edit_a.to_string().into_bytes())),
            call(&app, "PUT", "/api/v1/ksbb/sites/LOKBIN-UJI-1", &hm, Some(moved.to_string().into_bytes())),
        );
        let (win, lose, win_is_a) = if a.status == StatusCode::OK { (a, b, true) } else { (b, a, false) };
        assert_eq!(win.status, StatusCode::OK, "{}", win.text);
        problem(&lose, 412, "If-Match");
        assert_eq!(win.json["version"], 2);
        let now = call(&app, "GET", "/api/v1/ksbb/sites/LOKBIN-UJI-1", &[], None).await;
        assert_eq!(now.json["version"], 2);
        if win_is_a {
            assert_eq!((now.json["kapasitas"].as_i64(), now.json["lon"].as_f64()), (Some(55), Some(MONAS.0)));
        } else {
            assert_eq!((now.json["kapasitas"].as_i64(), now.json["lon"].as_f64()), (Some(40), Some(106.8650)));
        }
        // The loser re-reads and redoes its edit at version 2.
        let mut h2 = h.clone();
        h2.push(("if-match", "\"2\""));
        let redo = if win_is_a { &moved } else { &edit_a };
        let r = call(&app, "PUT", "/api/v1/ksbb/sites/LOKBIN-UJI-1", &h2, Some(redo.to_string().into_bytes())).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["version"], 3);
        // A stale retire is refused; the right one retires; a retired site cannot be edited.
        let mut h3 = h.clone();
        h3.push(("if-match", "\"3\""));
        let r = call(&app, "POST", "/api/v1/ksbb/sites/LOKBIN-UJI-1/retire", &h2, Some(br#"{"alasan":"ditutup"}"#.to_vec())).await;
        problem(&r, 412, "If-Match");
        let r = call(&app, "POST", "/api/v1/ksbb/sites/LOKBIN-UJI-1/retire", &h3, Some(br#"{"alasan":" "}"#.to_vec())).await;
        problem(&r, 422, "alasan");
        let r = call(&app, "POST", "/api/v1/ksbb/sites/LOKBIN-UJI-1/retire", &h3, Some(br#"{"alasan":"lokasi ditutup"}"#.to_vec())).await;
        assert_eq!((r.status, r.json["status"].as_str()), (StatusCode::OK, Some("nonaktif")), "{}", r.text);
        let mut h4 = h.clone();
        h4.push(("if-match", "\"4\""));
        let r = call(&app, "PUT", "/api/v1/ksbb/sites/LOKBIN-UJI-1", &h4, Some(moved.to_string().into_bytes())).await;
        problem(&r, 409, "kode");
        let r = call(&app, "PUT", "/api/v1/ksbb/sites/NOPE", &h4, Some(site("NOPE", MONAS.0, MONAS.1).to_string().into_bytes())).await;
        problem(&r, 404, "kode");

        // History: create, two edits (one a move), retire — with who and before/after.
        let hist = call(&app, "GET", "/api/v1/ksbb/sites/LOKBIN-UJI-1/history", &[("authorization", &bk)], None).await;
        let actions: Vec<&str> = hist.json.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions.len(), 4, "{}", hist.text);
        assert_eq!(actions[0], "ksbb.site.create");
        assert!(actions[1..3].contains(&"ksbb.site.move"), "{actions:?}");
        assert_eq!(actions[3], "ksbb.site.retire");
        let r = call(&app, "GET", "/api/v1/ksbb/sites/LOKBIN-UJI-1/history", &[("authorization", &planner)], None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // The public list leaves retired sites out unless asked.
        let l = call(&app, "GET", "/api/v1/ksbb/sites", &[], None).await;
        assert_eq!(l.json["features"].as_array().unwrap().len(), 0, "{}", l.text);
        let l = call(&app, "GET", "/api/v1/ksbb/sites?nonaktif=true", &[], None).await;
        assert_eq!(l.json["features"][0]["id"], "LOKBIN-UJI-1", "{}", l.text);
        let r = call(&app, "GET", "/api/v1/ksbb/sites?jenis=pasar", &[], None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    })
    .await;
}

#[tokio::test]
async fn umkm_import_masking_and_public_routes_on_both_stores() {
    testing::for_each_store(|store| async move {
        let (app, citata, bk, planner) = setup(&store).await;
        let r = call(&app, "POST", "/api/v1/ksbb/sites", &json_headers(&citata), Some(site("LOKBIN-A", MONAS.0, MONAS.1).to_string().into_bytes())).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let kel = r.json["kelurahan"].as_str().unwrap().to_string();
        let csv_h = |auth: &str| vec![("authorization", auth.to_string()), ("content-type", "text/csv".to_string())];
        let post = |uri: &'static str, h: Vec<(&'static str, String)>, body: String| {
            let app = app.clone();
            async move {
                let hh: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
                call(&app, "POST", uri, &hh, Some(body.into_bytes())).await
            }
        };
        let good = format!(
            "kode,nama_usaha,nama_pemilik,telepon,sektor,dinas,status_verifikasi,kelurahan,lokasi\n\
             U-1,Warung Makan Sederhana,Budi Santoso,081234567890,kuliner,PPKUKM,terverifikasi,,LOKBIN-A\n\
             U-2,Jahit Rapi,Siti Aminah,,fesyen,sosial,belum,{kel},\n"
        );
        let before = rows(&store).await;
        // Bad rows: a strict import refuses the file naming `rows`; nothing stored.
        let bad = format!(
            "{good}U-3,X,Y,12,kuliner,ppkukm,,,\nU-4,X,Y,,kuliner,dinkes,,,\nU-1,dup,Y,,kuliner,ppkukm,,,\nU-5,X,Y,,kuliner,kpkp,,31.71.01.9999,\n\
             U-6,X,Y,,kuliner,kpkp,,,NOPE\nU-7,X,Y,,kuliner,kpkp,,31.74.01.1001,LOKBIN-A\nU-8,X,\"a\u{0}b\",,kuliner,kpkp,,,\n"
        );
        let r = post("/api/v1/ksbb/umkm/import", csv_h(&bk), bad.clone()).await;
        problem(&r, 422, "rows");
        assert!(r.json["detail"].as_str().unwrap().contains("7 of 9 rows are invalid"), "{}", r.text);
        assert_eq!(rows(&store).await, before, "a refused import wrote something");
        // The dry run reports every row with the field at fault.
        let r = post("/api/v1/ksbb/umkm/import?dry_run=true", csv_h(&bk), bad.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let fields: Vec<(i64, String)> = r.json["rows"].as_array().unwrap().iter().map(|x| (x["line"].as_i64().unwrap(), x["field"].as_str().unwrap_or(x["outcome"].as_str().unwrap()).to_string())).collect();
        let want: Vec<(i64, String)> = [(2, "valid"), (3, "valid"), (4, "telepon"), (5, "dinas"), (6, "kode"), (7, "kelurahan"), (8, "lokasi"), (9, "kelurahan"), (10, "nama_pemilik")]
            .iter().map(|(l, f)| (*l, f.to_string())).collect();
        assert_eq!(fields, want, "{}", r.text);
        assert_eq!(rows(&store).await, before, "a dry run wrote something");
        // Bad headers, media types and roles.
        problem(&post("/api/v1/ksbb/umkm/import", csv_h(&bk), "kode,nama_usaha,nik\n".into()).await, 422, "nik");
        problem(&post("/api/v1/ksbb/umkm/import", vec![("authorization", bk.clone()), ("content-type", "application/json".into())], "{}".into()).await, 415, "Content-Type");
        assert_eq!(post("/api/v1/ksbb/umkm/import", csv_h(&citata), good.clone()).await.status, StatusCode::FORBIDDEN);
        assert_eq!(rows(&store).await, before);

        // Good: stored, then the same file again is all unchanged; skip_invalid stores the good rows.
        let r = post("/api/v1/ksbb/umkm/import", csv_h(&bk), good.clone()).await;
        assert_eq!((r.status, r.json["created"].as_i64()), (StatusCode::OK, Some(2)), "{}", r.text);
        let r = post("/api/v1/ksbb/umkm/import", csv_h(&bk), good.clone()).await;
        assert_eq!(r.json["unchanged"], 2, "{}", r.text);
        let r = post("/api/v1/ksbb/umkm/import?skip_invalid=true", csv_h(&bk), bad.clone()).await;
        assert_eq!((r.json["unchanged"].as_i64(), r.json["errors"].as_i64(), r.json["created"].as_i64()), (Some(2), Some(7), Some(0)), "{}", r.text);
        // XLSX through HTTP: one bad row (unknown dinas) skipped, two stored, the numeric phone kept.
        let xlsx = std::fs::read(testing::testdata("ksbb/umkm.xlsx")).unwrap();
        let xh = [("authorization", bk.as_str()), ("content-type", sigap::ksbb::http::XLSX)];
        let r = call(&app, "POST", "/api/v1/ksbb/umkm/import?skip_invalid=true", &xh, Some(xlsx.clone())).await;
        assert_eq!((r.status, r.json["created"].as_i64(), r.json["errors"].as_i64()), (StatusCode::OK, Some(2), Some(1)), "{}", r.text);
        assert_eq!(r.json["rows"][2]["field"], "dinas");

        // Masked in lists; in full only on the audited read by Bidang Kolaborasi.
        let l = call(&app, "GET", "/api/v1/ksbb/umkm?lokasi=LOKBIN-A", &[("authorization", &citata)], None).await;
        assert_eq!(l.json["total"], 1, "{}", l.text);
        assert_eq!(l.json["items"][0]["nama_pemilik"], "B*** S***");
        assert_eq!(l.json["items"][0]["telepon"], "0812******90");
        assert!(!l.text.contains("Budi") && !l.text.contains("081234567890"), "{}", l.text);
        let r = call(&app, "GET", "/api/v1/ksbb/umkm/U-1?pribadi=true", &[("authorization", &citata)], None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = call(&app, "GET", "/api/v1/ksbb/umkm/X-001?pribadi=true", &[("authorization", &bk)], None).await;
        assert_eq!((r.json["nama_pemilik"].as_str(), r.json["telepon"].as_str()), (Some("Rahmat Hidayat"), Some("81298765432")), "{}", r.text);
        let reads = sigap::store::audit::history(&store, "ksbb_umkm", "X-001").await.unwrap();
        assert_eq!(reads.last().unwrap().action, "ksbb.umkm.read_personal");
        assert!(!serde_json::to_string(&reads).unwrap().contains("Rahmat"), "the audit log holds the name in clear");
        assert_eq!(call(&app, "GET", "/api/v1/ksbb/umkm", &[("authorization", &planner)], None).await.status, StatusCode::FORBIDDEN);
        problem(&call(&app, "GET", "/api/v1/ksbb/umkm?per_page=0", &[("authorization", &bk)], None).await, 400, "per_page");
        let s = call(&app, "GET", "/api/v1/ksbb/sites/LOKBIN-A", &[], None).await;
        assert_eq!(s.json["umkm"], 1, "{}", s.text);

        // No personal data on any public route: every GET of the OpenAPI document, called
        // without a token, path parameters filled with the KSBB records above.
        let doc = call(&app, "GET", "/api-docs/openapi.json", &[], None).await.json;
        let secrets = ["Budi Santoso", "081234567890", "Siti Aminah", "Rahmat Hidayat", "81298765432", "Penanggung", "081111112222"];
        let mut public = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            if item.get("get").is_none() {
                continue;
            }
            let uri = path
                .replace("{kode}", if path.contains("umkm") { "U-1" } else { "LOKBIN-A" })
                .replace("{code}", &kel)
                .replace("{id}", "1")
                .replace("{file}", "1.json")
                .replace("{photo}", "1")
                .replace("{layer}", "kelurahan")
                .replace("{z}/{x}/{y}", "12/3265/2118");
            let uri = if uri.contains("progress") { format!("{uri}?level=kota") } else { uri };
            let r = call(&app, "GET", &uri, &[], None).await;
            if r.status.is_success() {
                public += 1;
                for s in secrets {
                    assert!(!r.text.contains(s), "public GET {uri} shows {s:?}");
                }
            }
        }
        assert!(public >= 5, "only {public} public routes answered");
    })
    .await;
}

#[tokio::test]
async fn cli_import_and_sites_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        use sigap::ksbb::cli::{import_umkm, run, ImportUmkmArgs, KsbbCommand};
        let dir = std::path::PathBuf::from(std::env::var("SIGAP_TEST_TMP").unwrap_or_else(|_| std::env::temp_dir().display().to_string()))
            .join(format!("ksbb_cli_{}_{}", std::process::id(), store.kind()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("site.json");
        std::fs::write(&f, site("LOKSEM-CLI", 106.8650, -6.1380).to_string()).unwrap();
        run(&store, KsbbCommand::SiteCreate { file: f.clone() }).await.unwrap();
        let sea = dir.join("sea.json");
        std::fs::write(&sea, site("LOKSEM-CLI", 106.85, -6.03).to_string()).unwrap();
        let e = run(&store, KsbbCommand::SiteUpdate { kode: "LOKSEM-CLI".into(), version: 1, file: sea }).await.unwrap_err();
        assert!(e.to_string().contains("in the sea"), "{e}");
        let e = run(&store, KsbbCommand::SiteUpdate { kode: "LOKSEM-CLI".into(), version: 7, file: f.clone() }).await.unwrap_err();
        assert!(e.to_string().contains("version 1, not 7"), "{e}");
        let before = rows(&store).await;
        // XLSX strict: the bad row rejects the file.
        let xlsx = testing::testdata("ksbb/umkm.xlsx");
        let e = import_umkm(&store, ImportUmkmArgs { file: xlsx.clone(), dry_run: false, skip_invalid: false }).await.unwrap_err();
        assert!(e.to_string().contains("1 of 3 rows are invalid"), "{e}");
        assert_eq!(rows(&store).await, before);
        import_umkm(&store, ImportUmkmArgs { file: xlsx, dry_run: false, skip_invalid: true }).await.unwrap();
        let csv = dir.join("u.csv");
        std::fs::write(&csv, "kode,nama_usaha,nama_pemilik,sektor,dinas,lokasi\nC-1,Kopi,Ani,kuliner,ppkukm,LOKSEM-CLI\n").unwrap();
        import_umkm(&store, ImportUmkmArgs { file: csv, dry_run: false, skip_invalid: false }).await.unwrap();
        assert_eq!(kstore::counts(&store).await.unwrap(), (1, 3));
        let c1 = kstore::umkm(&store, "C-1").await.unwrap().unwrap();
        assert_eq!(c1.lokasi.as_deref(), Some("LOKSEM-CLI"));
        assert!(c1.kelurahan.unwrap().starts_with("31.72."), "kelurahan taken from the site");
    })
    .await;
}
