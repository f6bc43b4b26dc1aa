//! No personal data of KSBB on any public route or in the logs (issue 13): the owners' names and
//! phones of the UMKM, the sites' penanggung jawab, the collaborators' contact persons, phones and
//! e-mails, and a NIK sent where none belongs. Every route of the OpenAPI document is called
//! without a token (path parameters filled with the records below, any method, an empty JSON
//! body), and the public answers by name — the registration answer, the sites, the public lists,
//! the OGC collection. Its own test binary: the log subscriber it installs sees only this test.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sigap::api::{self, AppState, Config};
use sigap::store::{testing, tokens};
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

/// What must never leave through a public route or a log line.
const SECRETS: [&str; 12] = [
    "Nurhaliza",
    "081211223344",
    "1122334",
    "Hidayatullah",
    "081299887766",
    "9988776",
    "Wijayanti",
    "081377665544",
    "7766554",
    "ani.wijayanti",
    "3171014101900001",
    "Kurniawati",
];

async fn call(app: &axum::Router, method: &str, uri: &str, auth: Option<&str>, ctype: &str, body: Vec<u8>) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", ctype);
    if let Some(a) = auth {
        req = req.header("authorization", format!("Bearer {a}"));
    }
    let res = app.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let status = res.status();
    (status, String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).to_string())
}

async fn post(app: &axum::Router, uri: &str, auth: Option<&str>, body: Value) -> (StatusCode, Value) {
    let (s, t) = call(app, "POST", uri, auth, "application/json", body.to_string().into_bytes()).await;
    (s, serde_json::from_str(&t).unwrap_or(Value::Null))
}

fn clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} shows {s}: {}", &text[..text.len().min(400)]);
    }
}

#[tokio::test]
async fn no_personal_data_on_ksbb_public_routes_or_in_logs() {
    let logs = LogBuf::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_ansi(false).with_writer(move || sink.clone()).finish();
    // The test runs on one thread (current-thread runtime): every log line of it lands here.
    let _guard = tracing::subscriber::set_default(subscriber);
    std::env::set_var("SIGAP_ATTACHMENTS_DIR", std::env::temp_dir().join(format!("sigap_ksbb_privacy_{}", std::process::id())));
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas(&store).await), Arc::new(Config::default())));
        let citata = tokens::create(&store, "citata", None, None).await.unwrap();
        let bk = tokens::create(&store, "bidang_kolaborasi", None, None).await.unwrap();

        // A site with its penanggung jawab, an UMKM trading there with its owner's phone.
        let site = json!({"kode": "LOKBIN-P1", "nama": "Lokbin Privasi", "jenis": "lokbin", "lon": 106.8272, "lat": -6.1754, "kapasitas": 40,
            "pj_nama": "Rahmat Hidayatullah", "pj_telepon": "081299887766", "sumber": "uji (generated)"});
        assert_eq!(post(&app, "/api/v1/ksbb/sites", Some(&citata), site).await.0, StatusCode::CREATED);
        let csv = "kode,nama_usaha,nama_pemilik,telepon,sektor,dinas,status_verifikasi,lokasi\n\
                   U-P1,Warung Privasi,Siti Nurhaliza,081211223344,kuliner,ppkukm,terverifikasi,LOKBIN-P1\n";
        let (s, t) = call(&app, "POST", "/api/v1/ksbb/umkm/import", Some(&bk), "text/csv", csv.into()).await;
        assert_eq!(s, StatusCode::OK, "{t}");
        clean("the import answer", &t);
        // A NIK column is refused without echoing the number.
        let (s, t) = call(&app, "POST", "/api/v1/ksbb/umkm/import", Some(&bk), "text/csv", "kode,nama_usaha,nik\nU-9,X,3171014101900001\n".into()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{t}");
        clean("a refused import", &t);

        // The public registration: its answer masks the contact; a NIK where none belongs and a
        // refused application do not echo what was sent.
        let apply = json!({"jenis": "donatur", "nama": "PT Privasi Peduli", "badan_hukum": "PT", "nomor_badan_hukum": "NIB-PRIV-1",
            "kontak_nama": "Ani Wijayanti", "kontak_telepon": "081377665544", "kontak_email": "ani.wijayanti@contoh.id", "tampil_publik": true});
        let (s, t) = call(&app, "POST", "/api/v1/ksbb/kolaborator", None, "application/json", apply.to_string().into_bytes()).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        clean("the registration answer", &t);
        let id = serde_json::from_str::<Value>(&t).unwrap()["id"].as_i64().unwrap();
        let mut with_nik = apply.clone();
        with_nik["nik"] = "3171014101900001".into();
        with_nik["nomor_badan_hukum"] = "NIB-PRIV-2".into();
        let (s, t) = call(&app, "POST", "/api/v1/ksbb/kolaborator", None, "application/json", with_nik.to_string().into_bytes()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{t}");
        clean("a registration with a NIK", &t);
        let (s, t) = call(&app, "POST", "/api/v1/ksbb/kolaborator", None, "application/json", apply.to_string().into_bytes()).await;
        assert_eq!(s, StatusCode::CONFLICT, "the same legal-entity number: {t}");
        clean("a refused registration", &t);
        let mut bad = apply.clone();
        bad["kontak_nama"] = "Dewi Kurniawati\u{7}".into();
        bad["nomor_badan_hukum"] = "NIB-PRIV-3".into();
        let (s, t) = call(&app, "POST", "/api/v1/ksbb/kolaborator", None, "application/json", bad.to_string().into_bytes()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{t}");
        clean("a registration with a control character", &t);
        let review = json!({"keputusan": "setujui", "pks": {"nomor": "PKS/PRIV/1", "tanggal_mulai": "2026-01-01", "tanggal_selesai": "2027-12-31"}});
        assert_eq!(post(&app, &format!("/api/v1/ksbb/kolaborator/{id}/review"), Some(&bk), review).await.0, StatusCode::OK);
        // A Konfirmasi at the site (its answer names the penanggung jawab to the collaborator).
        let kol = tokens::create(&store, "kolaborator", Some(&id.to_string()), None).await.unwrap();
        let goods = json!({"bentuk": "sarana", "uraian": "Gerobak", "lokasi": ["LOKBIN-P1"], "jadwal_mulai": "2026-12-01", "jadwal_selesai": "2026-12-15",
            "nilai_per_paket": 1_500_000, "jumlah_paket": 10});
        let k = post(&app, "/api/v1/ksbb/konfirmasi", Some(&kol), goods).await;
        assert_eq!(k.0, StatusCode::CREATED, "{}", k.1);

        // The public answers by name.
        for uri in ["/api/v1/ksbb/sites", "/api/v1/ksbb/sites/LOKBIN-P1", "/api/v1/ksbb/kolaborator/publik", "/ogc/collections/lokasi_umkm/items", "/ogc/collections/lokasi_umkm/items/LOKBIN-P1"] {
            let (s, t) = call(&app, "GET", uri, None, "application/json", vec![]).await;
            assert_eq!(s, StatusCode::OK, "{uri}: {t}");
            clean(uri, &t);
        }
        let (_, t) = call(&app, "GET", "/api/v1/ksbb/kolaborator/publik", None, "application/json", vec![]).await;
        assert!(t.contains("PT Privasi Peduli"), "the collaborator who agreed is shown by name: {t}");

        // Every route of the OpenAPI document without a token.
        let (_, doc) = call(&app, "GET", "/api-docs/openapi.json", None, "application/json", vec![]).await;
        let doc: Value = serde_json::from_str(&doc).unwrap();
        let mut public = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                let uri = path
                    .replace("{kode}", if path.contains("umkm") { "U-P1" } else { "LOKBIN-P1" })
                    .replace("{id}", &id.to_string())
                    .replace("{lampiran}", "1")
                    .replace("{collectionId}", "lokasi_umkm")
                    .replace("{featureId}", "LOKBIN-P1")
                    .replace("{code}", "31.71.01.1001")
                    .replace("{photo}", "1")
                    .replace("{file}", "1.json")
                    .replace("{layer}/{z}/{x}/{y}", "kelurahan/14/13068/8471.mvt");
                let uri = if uri.contains("progress") { format!("{uri}?level=kota") } else { uri };
                let (s, t) = call(&app, &method.to_uppercase(), &uri, None, "application/json", b"{}".to_vec()).await;
                clean(&format!("{} {uri} ({s})", method.to_uppercase()), &t);
                if s.is_success() {
                    public.push(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        let ksbb: Vec<&String> = public.iter().filter(|p| p.contains("/ksbb/")).collect();
        assert!(ksbb.len() >= 3, "the KSBB public routes answered: {public:?}");
    })
    .await;
    let logs = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(logs.contains("ksbb"), "the log captured the requests: {}", &logs[..logs.len().min(500)]);
    clean("the log", &logs);
}
