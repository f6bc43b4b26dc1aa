//! KSBB collaborators on both stores: registration with the seed's requirements, the Bidang
//! Kolaborasi review (approve → PKS, reject with reason), bad input beside good, nothing written
//! on a refusal, contacts masked, the public list only of those who agreed.


use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use sigap::api::{self, AppState, Config};
use sigap::ksbb::store as kstore;
use sigap::store::{testing, Store};
use sigap::wilayah::{Atlas, AtlasHandle};
use std::sync::Arc;
use tower::ServiceExt;

async fn call(app: &axum::Router, method: &str, uri: &str, auth: Option<&str>, key: Option<&str>, body: Option<serde_json::Value>) -> (StatusCode, serde_json::Value, String) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = app.clone().oneshot(req.body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).to_string();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null), text)
}

fn problem(r: &(StatusCode, serde_json::Value, String), status: u16, field: &str) {
    assert_eq!(r.0.as_u16(), status, "{}", r.2);
    assert_eq!(r.1["field"], field, "{}", r.2);
}

async fn rows(store: &Store) -> (i64, i64, i64) {
    let (k, p) = kstore::kolaborator_counts(store).await.unwrap();
    let a = sigap::on_pool!(store, p => { use sqlx::Row; sqlx::query("SELECT COUNT(*) AS n FROM audit_log").fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() });
    (k, p, a)
}

fn fintech(nomor: &str) -> serde_json::Value {
    serde_json::json!({"jenis": "fintech", "nama": "PT Pinjam Uji", "badan_hukum": "PT", "nomor_badan_hukum": nomor, "nomor_ojk": "KEP-99/D.05/2020",
        "kontak_nama": "Andi Wijaya", "kontak_telepon": "0813 9999 8888", "kontak_email": "andi@pinjamuji.co.id", "tampil_publik": true})
}

#[tokio::test]
async fn registration_and_review_on_both_stores() {
    testing::for_each_store(|store| async move {
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(Atlas::new(vec![], Default::default())), Arc::new(Config::default())));
        let bk = format!("Bearer {}", sigap::store::tokens::create(&store, "bidang_kolaborasi", None, None).await.unwrap());
        let citata = format!("Bearer {}", sigap::store::tokens::create(&store, "citata", None, None).await.unwrap());
        let post = "/api/v1/ksbb/kolaborator";

        // Good: a fintech (public form), a donatur without legal entity, an agregator.
        let f = call(&app, "POST", post, None, Some("k-1"), Some(fintech("AHU-0001.AH.01.01"))).await;
        assert_eq!(f.0, StatusCode::CREATED, "{}", f.2);
        assert_eq!((f.1["status"].as_str(), f.1["nomor_badan_hukum"].as_str()), (Some("diajukan"), Some("AHU-0001.AH.01.01")));
        assert_eq!(f.1["kontak_nama"], "A*** W***");
        assert!(!f.2.contains("Andi") && !f.2.contains("081399998888"), "{}", f.2);
        let again = call(&app, "POST", post, None, Some("k-1"), Some(fintech("AHU-0001.AH.01.01"))).await;
        assert_eq!((again.0, &again.1), (StatusCode::CREATED, &f.1));
        let d = call(&app, "POST", post, None, None, Some(serde_json::json!({"jenis": "donatur", "nama": "Ibu Donatur", "kontak_nama": "Ibu Donatur", "kontak_email": "ibu@example.org"}))).await;
        assert_eq!(d.0, StatusCode::CREATED, "{}", d.2);
        let a = call(&app, "POST", post, None, None, Some(serde_json::json!({"jenis": "agregator", "nama": "Yayasan Dana Uji", "badan_hukum": "Yayasan",
            "nomor_badan_hukum": "AHU-0002", "nomor_izin": "IZIN/PUB/2026/7", "kontak_nama": "Rina", "kontak_telepon": "0812000111222"}))).await;
        assert_eq!(a.0, StatusCode::CREATED, "{}", a.2);
        let before = rows(&store).await;
        assert_eq!(before.0, 3);

        // Bad registrations, each naming its field, nothing written.
        let mut no_ojk = fintech("AHU-0003");
        no_ojk.as_object_mut().unwrap().remove("nomor_ojk");
        let mut no_bh = fintech("AHU-0004");
        no_bh.as_object_mut().unwrap().remove("nomor_badan_hukum");
        let no_izin = serde_json::json!({"jenis": "agregator", "nama": "Y", "badan_hukum": "Yayasan", "nomor_badan_hukum": "AHU-0005", "kontak_nama": "R", "kontak_email": "r@x.id"});
        let mut no_contact = fintech("AHU-0006");
        no_contact.as_object_mut().unwrap().remove("kontak_telepon");
        no_contact.as_object_mut().unwrap().remove("kontak_email");
        let mut bad_mail = fintech("AHU-0007");
        bad_mail["kontak_email"] = "andi at pinjam".into();
        let mut bad_nomor = fintech("AHU\u{0}8");
        bad_nomor["nama"] = "X".into();
        let cases = [
            (fintech("ahu-0001.ah.01.01 "), 409, "nomor_badan_hukum"),
            (no_ojk, 422, "nomor_ojk"),
            (no_bh, 422, "nomor_badan_hukum"),
            (no_izin, 422, "nomor_izin"),
            (no_contact, 422, "kontak_telepon"),
            (bad_mail, 422, "kontak_email"),
            (bad_nomor, 422, "nomor_badan_hukum"),
            (serde_json::json!({"jenis": "bank", "nama": "X", "kontak_nama": "Y", "kontak_email": "y@x.id"}), 422, "jenis"),
        ];
        for (body, status, field) in cases {
            problem(&call(&app, "POST", post, None, None, Some(body)).await, status, field);
        }
        assert_eq!(rows(&store).await, before, "a refused registration wrote something");

        // Review: roles, bad decisions, then approve the fintech with its PKS and reject the donatur.
        let fid = f.1["id"].as_i64().unwrap();
        let did = d.1["id"].as_i64().unwrap();
        let aid = a.1["id"].as_i64().unwrap();
        let review = |id: i64| format!("/api/v1/ksbb/kolaborator/{id}/review");
        let pks = |nomor: &str, mulai: &str, selesai: &str| serde_json::json!({"keputusan": "setujui", "pks": {"nomor": nomor, "tanggal_mulai": mulai, "tanggal_selesai": selesai}});
        assert_eq!(call(&app, "POST", &review(fid), Some(&citata), None, Some(pks("PKS/1", "2026-01-01", "2026-12-31"))).await.0, StatusCode::FORBIDDEN);
        assert_eq!(call(&app, "POST", &review(fid), None, None, Some(pks("PKS/1", "2026-01-01", "2026-12-31"))).await.0, StatusCode::UNAUTHORIZED);
        problem(&call(&app, "POST", &review(fid), Some(&bk), None, Some(serde_json::json!({"keputusan": "setujui"}))).await, 422, "pks");
        problem(&call(&app, "POST", &review(fid), Some(&bk), None, Some(pks("PKS/1", "2026-12-31", "2026-01-01"))).await, 422, "pks.tanggal_selesai");
        problem(&call(&app, "POST", &review(fid), Some(&bk), None, Some(pks("PKS/1", "2026-13-01", "2026-12-31"))).await, 422, "pks.tanggal_mulai");
        problem(&call(&app, "POST", &review(did), Some(&bk), None, Some(serde_json::json!({"keputusan": "tolak", "alasan": "  "}))).await, 422, "alasan");
        problem(&call(&app, "POST", &review(9999), Some(&bk), None, Some(serde_json::json!({"keputusan": "tolak", "alasan": "x"}))).await, 404, "id");
        assert_eq!(rows(&store).await, before, "a refused review wrote something");

        let ok = call(&app, "POST", &review(fid), Some(&bk), Some("r-1"), Some(pks("PKS/001/KSBB/2026", "2026-01-01", "2026-12-31"))).await;
        assert_eq!(ok.0, StatusCode::OK, "{}", ok.2);
        assert_eq!((ok.1["status"].as_str(), ok.1["pks_nomor"].as_str()), (Some("disetujui"), Some("PKS/001/KSBB/2026")));
        let dup_pks = call(&app, "POST", &review(aid), Some(&bk), None, Some(pks("pks/001/ksbb/2026", "2026-01-01", "2026-12-31"))).await;
        problem(&dup_pks, 409, "pks.nomor");
        problem(&call(&app, "POST", &review(fid), Some(&bk), None, Some(serde_json::json!({"keputusan": "tolak", "alasan": "berubah pikiran"}))).await, 409, "keputusan");
        let rej = call(&app, "POST", &review(did), Some(&bk), None, Some(serde_json::json!({"keputusan": "tolak", "alasan": "data kontak tidak dapat diverifikasi"}))).await;
        assert_eq!((rej.0, rej.1["status"].as_str(), rej.1["alasan_penolakan"].as_str()), (StatusCode::OK, Some("ditolak"), Some("data kontak tidak dapat diverifikasi")));
        assert_eq!(kstore::kolaborator_counts(&store).await.unwrap(), (3, 1));
        let hist = sigap::store::audit::history(&store, "ksbb_kolaborator", &fid.to_string()).await.unwrap();
        assert_eq!(hist.iter().map(|h| h.action.as_str()).collect::<Vec<_>>(), ["ksbb.kolaborator.register", "ksbb.kolaborator.approve"]);
        assert!(!serde_json::to_string(&hist).unwrap().contains("Andi"), "audit holds the contact in clear");

        // Lists: reviewers see all (masked); the public list only approved ones who agreed.
        let l = call(&app, "GET", "/api/v1/ksbb/kolaborator?status=diajukan", Some(&bk), None, None).await;
        assert_eq!(l.1.as_array().unwrap().len(), 1, "{}", l.2);
        assert!(!l.2.contains("Rina") && !l.2.contains("0812000111222"), "{}", l.2);
        problem(&call(&app, "GET", "/api/v1/ksbb/kolaborator?status=lain", Some(&bk), None, None).await, 400, "status");
        assert_eq!(call(&app, "GET", "/api/v1/ksbb/kolaborator", Some(&citata), None, None).await.0, StatusCode::FORBIDDEN);
        let p = call(&app, "GET", "/api/v1/ksbb/kolaborator/publik", None, None, None).await;
        assert_eq!(p.1, serde_json::json!([{"nama": "PT Pinjam Uji", "jenis": "fintech"}]), "{}", p.2);
    })
    .await;
}

#[tokio::test]
async fn cli_review_on_both_stores() {
    testing::for_each_store(|store| async move {
        use sigap::ksbb::cli::{run, KsbbCommand};
        let mut tx = store.begin().await.unwrap();
        let k: sigap::ksbb::model::KolaboratorInput = serde_json::from_value(fintech("AHU-CLI")).unwrap();
        let rec = sigap::ksbb::ops::register_kolaborator(&mut tx, &k.check().unwrap(), "test").await.unwrap();
        tx.commit().await.unwrap();
        let cmd = |setujui: bool, nomor: Option<&str>, alasan: Option<&str>| KsbbCommand::KolaboratorReview {
            id: rec.id,
            setujui,
            tolak: !setujui,
            pks_nomor: nomor.map(String::from),
            mulai: Some("2026-02-01".into()),
            selesai: Some("2026-08-01".into()),
            alasan: alasan.map(String::from),
        };
        let e = run(&store, cmd(true, None, None)).await.unwrap_err();
        assert!(e.to_string().contains("pks.nomor"), "{e}");
        run(&store, cmd(true, Some("PKS/CLI/1"), None)).await.unwrap();
        let e = run(&store, cmd(false, None, Some("terlambat"))).await.unwrap_err();
        assert!(e.to_string().contains("already reviewed"), "{e}");
        assert_eq!(kstore::kolaborator_counts(&store).await.unwrap(), (1, 1));
    })
    .await;
}

/// The public registration is rate-limited per address (a clock the test moves, no sleeping):
/// over the allowance is 429 with `Retry-After`, writing nothing; the allowance comes back with time.
#[tokio::test]
async fn registration_rate_limit_on_both_stores() {
    use sigap::complaints::photo_limits::PhotoClock;
    use sigap::ksbb::http::{router_with, RegisterLimits};
    testing::for_each_store(|store| async move {
        let clock = governor::clock::FakeRelativeClock::default();
        let limits = RegisterLimits::new(std::num::NonZeroU32::new(2).unwrap(), PhotoClock::Fake(clock.clone()));
        let state = AppState::new(store.clone(), AtlasHandle::new(Atlas::new(vec![], Default::default())), Arc::new(Config::default()));
        let app = router_with(limits).split_for_parts().0.with_state(state);
        let post = "/api/v1/ksbb/kolaborator";
        assert_eq!(call(&app, "POST", post, None, None, Some(fintech("AHU-RL-1"))).await.0, StatusCode::CREATED);
        assert_eq!(call(&app, "POST", post, None, None, Some(serde_json::json!({"jenis": "fintech"}))).await.0, StatusCode::UNPROCESSABLE_ENTITY, "refused attempts count too");
        let before = rows(&store).await;
        let req = Request::post(post).header("content-type", "application/json").body(Body::from(fintech("AHU-RL-2").to_string())).unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("30"));
        assert_eq!(rows(&store).await, before, "a limited attempt wrote something");
        clock.advance(std::time::Duration::from_secs(30));
        assert_eq!(call(&app, "POST", post, None, None, Some(fintech("AHU-RL-2"))).await.0, StatusCode::CREATED);
    })
    .await;
}
