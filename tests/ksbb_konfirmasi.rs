//! KSBB Konfirmasi → ID kolaborasi on both stores: goods/training and loans, the penanggung jawab
//! of each site, bad input beside good (unknown or retired site, negative loan, fees above the
//! amount, the wrong kind of collaborator), nothing written on a refusal, retries keep one ID.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use sigap::api::{self, AppState, Config};
use sigap::ksbb::{model, ops, store as kstore};
use sigap::store::{testing, Store};
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

type Res = (StatusCode, serde_json::Value, String);

async fn call(app: &axum::Router, method: &str, uri: &str, auth: &str, key: Option<&str>, body: Option<serde_json::Value>) -> Res {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json").header("authorization", auth);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = app.clone().oneshot(req.body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null), String::from_utf8_lossy(&bytes).to_string())
}

fn problem(r: &Res, status: u16, field: &str) {
    assert_eq!(r.0.as_u16(), status, "{}", r.2);
    assert_eq!(r.1["field"], field, "{}", r.2);
}

async fn rows(store: &Store) -> (i64, i64, [i64; 4]) {
    let a = sigap::on_pool!(store, p => { use sqlx::Row; sqlx::query("SELECT COUNT(*) AS n FROM audit_log").fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() });
    (kstore::konfirmasi_count(store).await.unwrap(), a, kstore::realisasi_counts(store).await.unwrap())
}

/// Registers and (when `approve`) approves a collaborator; answers its id.
async fn kolaborator(store: &Store, body: serde_json::Value, approve: Option<&str>) -> i64 {
    let input: model::KolaboratorInput = serde_json::from_value(body).unwrap();
    let mut tx = store.begin().await.unwrap();
    let rec = ops::register_kolaborator(&mut tx, &input.check().unwrap(), "test").await.unwrap();
    if let Some(pks) = approve {
        let r = model::Review::Setujui { nomor: pks.into(), mulai: "2026-01-01".parse().unwrap(), selesai: "2026-12-31".parse().unwrap() };
        ops::review_kolaborator(&mut tx, rec.id, &r, "test").await.unwrap();
    }
    tx.commit().await.unwrap();
    rec.id
}

fn sarana(lokasi: &[&str]) -> serde_json::Value {
    serde_json::json!({"bentuk": "sarana", "uraian": "Gerobak dan tenda", "lokasi": lokasi, "jadwal_mulai": "2026-12-01", "jadwal_selesai": "2026-12-15",
        "nilai_per_paket": 1_500_000, "jumlah_paket": 40})
}

/// A loan to UMKM U-K1 (plafon half the amount).
fn pinjaman(amount: i64, admin: i64) -> serde_json::Value {
    serde_json::json!({"bentuk": "pinjaman", "uraian": "Pinjaman modal kerja", "lokasi": ["LOKBIN-K1"], "jadwal_mulai": "2026-12-01", "jadwal_selesai": "2027-06-01",
        "jumlah_pinjaman": amount, "biaya_admin": admin, "biaya_originasi": 0, "biaya_asuransi": 10_000, "jadwal_akad": "2026-12-05", "draf_econtract": "EC/DRAFT/77",
        "penerima": [{"kode": "U-K1", "plafon": (amount / 2).max(1)}]})
}

#[tokio::test]
async fn konfirmasi_good_and_bad_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas(&store).await), Arc::new(Config::default())));
        let citata = format!("Bearer {}", sigap::store::tokens::create(&store, "citata", None, None).await.unwrap());
        let bk = format!("Bearer {}", sigap::store::tokens::create(&store, "bidang_kolaborasi", None, None).await.unwrap());
        let site = |kode: &str, lon: f64, lat: f64, pj: bool| {
            let mut s = serde_json::json!({"kode": kode, "nama": kode, "jenis": "lokbin", "lon": lon, "lat": lat, "kapasitas": 30});
            if pj {
                s["pj_nama"] = "Pengelola Lokbin".into();
                s["pj_telepon"] = "0215551234".into();
            }
            s
        };
        for s in [site("LOKBIN-K1", 106.8272, -6.1754, true), site("LOKBIN-K2", 106.8650, -6.1380, false), site("LOKBIN-TUTUP", 106.8300, -6.1800, false)] {
            let r = call(&app, "POST", "/api/v1/ksbb/sites", &citata, None, Some(s)).await;
            assert_eq!(r.0, StatusCode::CREATED, "{}", r.2);
        }
        let retire = Request::post("/api/v1/ksbb/sites/LOKBIN-TUTUP/retire").header("authorization", &citata).header("content-type", "application/json")
            .header("if-match", "\"1\"").body(Body::from(r#"{"alasan":"ditutup"}"#)).unwrap();
        assert_eq!(app.clone().oneshot(retire).await.unwrap().status(), StatusCode::OK);

        let table = model::csv_table("kode,nama_usaha,nama_pemilik,sektor,dinas,status_verifikasi,lokasi\nU-K1,Warung K1,Budi,kuliner,ppkukm,terverifikasi,LOKBIN-K1\n\
            U-TOLAK,Warung T,Tono,kuliner,ppkukm,ditolak,LOKBIN-K1\n").unwrap();
        let at = atlas(&store).await;
        let mut tx = store.begin().await.unwrap();
        ops::import_umkm(&mut tx, &at, &table, ops::ImportMode { dry_run: false, skip_invalid: false }, "test", false, &|_, _| {}).await.unwrap();
        tx.commit().await.unwrap();

        let donatur = kolaborator(&store, serde_json::json!({"jenis": "donatur", "nama": "Donatur Uji", "kontak_nama": "D", "kontak_email": "d@x.id"}), Some("PKS/D/1")).await;
        let agregator = kolaborator(&store, serde_json::json!({"jenis": "agregator", "nama": "Yayasan Uji", "badan_hukum": "Yayasan", "nomor_badan_hukum": "AHU-A",
            "nomor_izin": "IZ-1", "kontak_nama": "A", "kontak_email": "a@x.id"}), Some("PKS/A/1")).await;
        let fintech = kolaborator(&store, serde_json::json!({"jenis": "fintech", "nama": "PT Fintech Uji", "badan_hukum": "PT", "nomor_badan_hukum": "AHU-F",
            "nomor_ojk": "KEP-1/2020", "kontak_nama": "F", "kontak_email": "f@x.id"}), Some("PKS/F/1")).await;
        let pending = kolaborator(&store, serde_json::json!({"jenis": "donatur", "nama": "Belum Disetujui", "kontak_nama": "P", "kontak_email": "p@x.id"}), None).await;
        let token = |id: i64| {
            let store = store.clone();
            async move { format!("Bearer {}", sigap::store::tokens::create(&store, "kolaborator", Some(&id.to_string()), None).await.unwrap()) }
        };
        let (td, tf, tp) = (token(donatur).await, token(fintech).await, token(pending).await);
        let post = "/api/v1/ksbb/konfirmasi";
        let year = model::jakarta_year();

        // Good: a donatur distributing itself at two sites; the retry keeps its ID.
        let ok = call(&app, "POST", post, &td, Some("kf-1"), Some(sarana(&["LOKBIN-K1", "LOKBIN-K2"]))).await;
        assert_eq!(ok.0, StatusCode::CREATED, "{}", ok.2);
        assert_eq!(ok.1["id_kolaborasi"], format!("KSBB-{year}-000001"));
        assert_eq!(ok.1["penanggung_jawab"][0]["nama"], "Pengelola Lokbin");
        assert_eq!(ok.1["penanggung_jawab"][1]["nama"], serde_json::Value::Null);
        assert!(ok.1["penanggung_jawab"][1]["kelurahan"].as_str().unwrap().starts_with("31.72."), "{}", ok.2);
        let again = call(&app, "POST", post, &td, Some("kf-1"), Some(sarana(&["LOKBIN-K1", "LOKBIN-K2"]))).await;
        assert_eq!(again.1["id_kolaborasi"], ok.1["id_kolaborasi"]);
        // Through an agregator as distributor; then a fintech loan.
        let mut via = sarana(&["LOKBIN-K2"]);
        via["penyalur_kolaborator_id"] = agregator.into();
        let two = call(&app, "POST", post, &td, None, Some(via)).await;
        assert_eq!(two.1["id_kolaborasi"], format!("KSBB-{year}-000002"), "{}", two.2);
        let loan = call(&app, "POST", post, &tf, None, Some(pinjaman(5_000_000, 50_000))).await;
        assert_eq!((loan.0, loan.1["id_kolaborasi"].as_str()), (StatusCode::CREATED, Some(format!("KSBB-{year}-000003").as_str())), "{}", loan.2);
        let before = rows(&store).await;
        assert_eq!(before.0, 3);
        assert_eq!(before.2[3], 1, "the loan's confirmed recipient is stored");

        // Bad, each naming its field, nothing written.
        let mut no_value = sarana(&["LOKBIN-K1"]);
        no_value.as_object_mut().unwrap().remove("nilai_per_paket");
        let mut reversed = sarana(&["LOKBIN-K1"]);
        reversed["jadwal_selesai"] = "2026-11-01".into();
        let mut not_agregator = sarana(&["LOKBIN-K1"]);
        not_agregator["penyalur_kolaborator_id"] = fintech.into();
        let mut loan_fields = sarana(&["LOKBIN-K1"]);
        loan_fields["jumlah_pinjaman"] = 10.into();
        let mut no_penerima = pinjaman(5_000_000, 0);
        no_penerima.as_object_mut().unwrap().remove("penerima");
        let mut unknown_umkm = pinjaman(5_000_000, 0);
        unknown_umkm["penerima"][0]["kode"] = "U-NOPE".into();
        let mut rejected_umkm = pinjaman(5_000_000, 0);
        rejected_umkm["penerima"][0]["kode"] = "U-TOLAK".into();
        let mut over_plafon = pinjaman(5_000_000, 0);
        over_plafon["penerima"] = serde_json::json!([{"kode": "U-K1", "plafon": 4_000_000}, {"kode": "U-TOLAK", "plafon": 2_000_000}]);
        let mut twice = pinjaman(5_000_000, 0);
        twice["penerima"] = serde_json::json!([{"kode": "U-K1", "plafon": 1}, {"kode": "U-K1", "plafon": 1}]);
        let mut zero_plafon = pinjaman(5_000_000, 0);
        zero_plafon["penerima"][0]["plafon"] = 0.into();
        let mut goods_penerima = sarana(&["LOKBIN-K1"]);
        goods_penerima["penerima"] = serde_json::json!([{"kode": "U-K1", "plafon": 1}]);
        let cases: Vec<(&str, serde_json::Value, u16, &str)> = vec![
            (&tf, no_penerima, 422, "penerima"),
            (&tf, unknown_umkm, 404, "penerima[0].kode"),
            (&tf, rejected_umkm, 422, "penerima[0].kode"),
            (&tf, over_plafon, 422, "penerima"),
            (&tf, twice, 422, "penerima[1].kode"),
            (&tf, zero_plafon, 422, "penerima[0].plafon"),
            (&td, goods_penerima, 422, "penerima"),
            (&td, sarana(&["NOPE"]), 404, "lokasi[0]"),
            (&td, sarana(&["LOKBIN-K1", "LOKBIN-TUTUP"]), 422, "lokasi[1]"),
            (&td, sarana(&[]), 422, "lokasi"),
            (&td, sarana(&["LOKBIN-K1", "LOKBIN-K1"]), 422, "lokasi[1]"),
            (&td, no_value, 422, "nilai_per_paket"),
            (&td, reversed, 422, "jadwal_selesai"),
            (&td, not_agregator, 422, "penyalur_kolaborator_id"),
            (&td, loan_fields, 422, "jumlah_pinjaman"),
            (&td, pinjaman(5_000_000, 0), 422, "bentuk"),
            (&tf, sarana(&["LOKBIN-K1"]), 422, "bentuk"),
            (&tf, pinjaman(-5, 0), 422, "jumlah_pinjaman"),
            (&tf, pinjaman(100_000, 95_000), 422, "biaya_admin"),
            (&tf, pinjaman(100_000, -1), 422, "biaya_admin"),
            (&tp, sarana(&["LOKBIN-K1"]), 422, "kolaborator"),
        ];
        for (auth, body, status, field) in cases {
            problem(&call(&app, "POST", post, auth, None, Some(body.clone())).await, status, field);
        }
        assert_eq!(call(&app, "POST", post, &citata, None, Some(sarana(&["LOKBIN-K1"]))).await.0, StatusCode::FORBIDDEN);
        assert_eq!(rows(&store).await, before, "a refused Konfirmasi wrote something");

        // Lists: own for a collaborator, all for Bidang Kolaborasi.
        let own = call(&app, "GET", post, &tf, None, None).await;
        assert_eq!(own.1.as_array().unwrap().len(), 1, "{}", own.2);
        let all = call(&app, "GET", post, &bk, None, None).await;
        assert_eq!(all.1.as_array().unwrap().len(), 3, "{}", all.2);
        assert_eq!(call(&app, "GET", post, &citata, None, None).await.0, StatusCode::FORBIDDEN);

        // CLI: a kolaborator token only for an approved collaborator; a Konfirmasi typed in.
        use sigap::api::Role;
        use sigap::cli::token::{run as token_cli, TokenCommand};
        let create = |unit: Option<String>| TokenCommand::Create { role: Role::Kolaborator, unit, label: None, expires_in_days: 30 };
        assert!(token_cli(&store, create(Some(pending.to_string()))).await.is_err());
        assert!(token_cli(&store, create(None)).await.is_err());
        token_cli(&store, create(Some(donatur.to_string()))).await.unwrap();
        let f = std::env::temp_dir().join(format!("ksbb_konfirmasi_{}_{}.json", std::process::id(), store.kind()));
        std::fs::write(&f, sarana(&["NOPE"]).to_string()).unwrap();
        use sigap::ksbb::cli::{run, KsbbCommand};
        let e = run(&store, KsbbCommand::Konfirmasi { kolaborator: donatur, file: f.clone() }).await.unwrap_err();
        assert!(e.to_string().contains("lokasi[0]"), "{e}");
        std::fs::write(&f, sarana(&["LOKBIN-K1"]).to_string()).unwrap();
        run(&store, KsbbCommand::Konfirmasi { kolaborator: donatur, file: f }).await.unwrap();
        assert_eq!(kstore::konfirmasi_count(&store).await.unwrap(), 4);
    })
    .await;
}
