//! KSBB Realisasi on both stores (issue 13 part 5): BAST / BA of goods by the donatur and by the
//! agregator distributing for it, with documents through the AttachmentStore; the fintech flow of
//! Lampiran I steps 21–26 — disbursement to the confirmed recipients within their plafon,
//! repayment reports per period (never above what was disbursed), the final transfer of the funds
//! to an agregator after repayment. Bad input beside good, each refusal writing nothing.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sigap::api::{self, AppState, Config};
use sigap::ksbb::{model, ops, store as kstore};
use sigap::store::{testing, Store};
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

type Res = (StatusCode, Value, String);

async fn send(app: &axum::Router, method: &str, uri: &str, auth: &str, key: Option<&str>, ctype: &str, body: Vec<u8>) -> Res {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", ctype).header("authorization", auth);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = app.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), String::from_utf8_lossy(&bytes).to_string())
}

async fn post(app: &axum::Router, uri: &str, auth: &str, key: Option<&str>, body: &Value) -> Res {
    send(app, "POST", uri, auth, key, "application/json", body.to_string().into_bytes()).await
}

fn problem(r: &Res, status: u16, field: &str) {
    assert_eq!(r.0.as_u16(), status, "{}", r.2);
    assert_eq!(r.1["field"], field, "{}", r.2);
}

/// Rows that a refusal must leave as they were: the Realisasi tables and the audit log.
async fn rows(store: &Store) -> ([i64; 4], i64) {
    let a = sigap::on_pool!(store, p => { use sqlx::Row; sqlx::query("SELECT COUNT(*) AS n FROM audit_log").fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() });
    (kstore::realisasi_counts(store).await.unwrap(), a)
}

fn bast(id: &str, nomor: &str, lines: &[(&str, i64)]) -> Value {
    json!({"id_kolaborasi": id, "jenis": "bast", "nomor_dokumen": nomor, "tanggal": "2026-12-03",
        "umkm": lines.iter().map(|(k, n)| json!({"kode": k, "jumlah": n})).collect::<Vec<_>>()})
}

fn disbursement(id: &str, lines: &[(&str, i64)]) -> Value {
    json!({"id_kolaborasi": id, "jenis": "disbursement", "nomor_dokumen": "INV-D-1", "tanggal": "2026-12-06", "econtract": "EC-2026-1",
        "umkm": lines.iter().map(|(k, n)| json!({"kode": k, "jumlah": n})).collect::<Vec<_>>()})
}

fn angsuran(id: &str, periode: &str, lines: Value) -> Value {
    json!({"id_kolaborasi": id, "jenis": "angsuran", "nomor_dokumen": format!("INV-A-{periode}"), "tanggal": "2027-01-05", "periode": periode, "umkm": lines})
}

fn serah(id: &str, agregator: i64, jumlah: i64) -> Value {
    json!({"id_kolaborasi": id, "jenis": "serah_dana", "nomor_dokumen": "BST-1", "tanggal": "2027-02-10", "agregator_id": agregator, "jumlah": jumlah})
}

const PDF: &[u8] = b"%PDF-1.4\n% BAST\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 0xFF, 0xD9];

#[tokio::test]
async fn realisasi_goods_and_loans_on_both_stores() {
    std::env::set_var("SIGAP_ATTACHMENTS_DIR", std::env::temp_dir().join(format!("sigap_ksbb_realisasi_{}", std::process::id())));
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let at = atlas(&store).await;
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas(&store).await), Arc::new(Config::default())));
        let token = |role: &'static str, unit: Option<String>| {
            let store = store.clone();
            async move { format!("Bearer {}", sigap::store::tokens::create(&store, role, unit.as_deref(), None).await.unwrap()) }
        };
        let (citata, bk) = (token("citata", None).await, token("bidang_kolaborasi", None).await);
        for (kode, lon, lat) in [("LOKBIN-R1", 106.8272, -6.1754), ("LOKBIN-R2", 106.8650, -6.1380)] {
            let s = json!({"kode": kode, "nama": kode, "jenis": "lokbin", "lon": lon, "lat": lat, "kapasitas": 30});
            assert_eq!(post(&app, "/api/v1/ksbb/sites", &citata, None, &s).await.0, StatusCode::CREATED);
        }
        let table = model::csv_table(
            "kode,nama_usaha,nama_pemilik,sektor,dinas,status_verifikasi,lokasi\nU-1,Warung Satu,Budi,kuliner,ppkukm,terverifikasi,LOKBIN-R1\n\
             U-2,Warung Dua,Sari,kuliner,ppkukm,terverifikasi,LOKBIN-R1\nU-3,Warung Tiga,Tono,kuliner,ppkukm,terverifikasi,LOKBIN-R2\n",
        )
        .unwrap();
        let mut tx = store.begin().await.unwrap();
        ops::import_umkm(&mut tx, &at, &table, ops::ImportMode { dry_run: false, skip_invalid: false }, "test", false, &|_, _| {}).await.unwrap();
        tx.commit().await.unwrap();
        let donatur = approved_kolaborator(&store, json!({"jenis": "donatur", "nama": "Donatur R", "kontak_nama": "D", "kontak_email": "d@x.id"}), "PKS/R/D").await;
        let lain = approved_kolaborator(&store, json!({"jenis": "donatur", "nama": "Donatur Lain", "kontak_nama": "L", "kontak_email": "l@x.id"}), "PKS/R/L").await;
        let agregator = approved_kolaborator(&store, json!({"jenis": "agregator", "nama": "Yayasan R", "badan_hukum": "Yayasan", "nomor_badan_hukum": "AHU-R-A",
            "nomor_izin": "IZ-R", "kontak_nama": "A", "kontak_email": "a@x.id"}), "PKS/R/A").await;
        let fintech = approved_kolaborator(&store, json!({"jenis": "fintech", "nama": "PT Fintech R", "badan_hukum": "PT", "nomor_badan_hukum": "AHU-R-F",
            "nomor_ojk": "KEP-R/2020", "kontak_nama": "F", "kontak_email": "f@x.id"}), "PKS/R/F").await;
        let (td, tl, ta, tf) = (
            token("kolaborator", Some(donatur.to_string())).await,
            token("kolaborator", Some(lain.to_string())).await,
            token("kolaborator", Some(agregator.to_string())).await,
            token("kolaborator", Some(fintech.to_string())).await,
        );
        let goods = json!({"bentuk": "sarana", "uraian": "Gerobak", "lokasi": ["LOKBIN-R1"], "jadwal_mulai": "2026-12-01", "jadwal_selesai": "2026-12-15",
            "nilai_per_paket": 1_500_000, "jumlah_paket": 10, "penyalur_kolaborator_id": agregator});
        let id1 = post(&app, "/api/v1/ksbb/konfirmasi", &td, None, &goods).await.1["id_kolaborasi"].as_str().unwrap().to_string();
        let loan = json!({"bentuk": "pinjaman", "uraian": "Modal kerja", "lokasi": ["LOKBIN-R1"], "jadwal_mulai": "2026-12-01", "jadwal_selesai": "2027-06-01",
            "jumlah_pinjaman": 2_000_000, "biaya_admin": 10_000, "jadwal_akad": "2026-12-05", "draf_econtract": "EC/DRAFT/R",
            "penerima": [{"kode": "U-1", "plafon": 1_000_000}, {"kode": "U-2", "plafon": 500_000}]});
        let id2 = post(&app, "/api/v1/ksbb/konfirmasi", &tf, None, &loan).await.1["id_kolaborasi"].as_str().unwrap().to_string();
        let url = "/api/v1/ksbb/realisasi";

        // Goods: the donatur's BAST, its retry, and the agregator's own BAST for the same handover.
        let b1 = post(&app, url, &td, Some("rb-1"), &bast(&id1, "BAST/1", &[("U-1", 4), ("U-2", 3)])).await;
        assert_eq!(b1.0, StatusCode::CREATED, "{}", b1.2);
        assert_eq!(b1.1["kurang"], json!(["bast", "foto"]), "{}", b1.2);
        assert_eq!(b1.1["umkm"].as_array().unwrap().len(), 2);
        let again = post(&app, url, &td, Some("rb-1"), &bast(&id1, "BAST/1", &[("U-1", 4), ("U-2", 3)])).await;
        assert_eq!(again.1["id"], b1.1["id"], "a retry files one report");
        let b2 = post(&app, url, &ta, None, &bast(&id1, "BAST/A/1", &[("U-1", 4), ("U-2", 3)])).await;
        assert_eq!(b2.0, StatusCode::CREATED, "the distributor reports too: {}", b2.2);
        let rid = b1.1["id"].as_i64().unwrap();
        let att = |jenis: &str| format!("{url}/{rid}/lampiran?jenis={jenis}");
        let pdf = send(&app, "POST", &att("bast"), &td, None, "application/pdf", PDF.to_vec()).await;
        assert_eq!((pdf.0, pdf.1["content_type"].as_str()), (StatusCode::CREATED, Some("application/pdf")), "{}", pdf.2);
        let foto = send(&app, "POST", &att("foto"), &td, None, "image/jpeg", JPEG.to_vec()).await;
        assert_eq!(foto.0, StatusCode::CREATED, "{}", foto.2);
        assert!(foto.1.get("storage_key").is_none(), "the storage key stays inside: {}", foto.2);

        // Loans: disbursement, two repayment periods, then the transfer to the agregator.
        let d = post(&app, url, &tf, None, &disbursement(&id2, &[("U-1", 1_000_000), ("U-2", 400_000)])).await;
        assert_eq!(d.0, StatusCode::CREATED, "{}", d.2);
        assert_eq!(d.1["kurang"], json!(["econtract", "invoice"]));
        let a1 = post(&app, url, &tf, None, &angsuran(&id2, "2026-12", json!([{"kode": "U-1", "jumlah": 600_000, "status": "lancar"},
            {"kode": "U-2", "jumlah": 100_000, "status": "terlambat", "alasan": "usaha sepi"}]))).await;
        assert_eq!(a1.0, StatusCode::CREATED, "{}", a1.2);
        let before = rows(&store).await;

        // Bad input, each naming its field, nothing written.
        let mut no_econtract = disbursement(&id2, &[("U-1", 1)]);
        no_econtract.as_object_mut().unwrap().remove("econtract");
        let mut negative = bast(&id1, "BAST/N", &[("U-1", 1)]);
        negative["umkm"][0]["jumlah"] = (-1).into();
        let mut ctrl = bast(&id1, "BAST/\u{0}", &[("U-1", 1)]);
        ctrl["keterangan"] = "ok".into();
        let mut unknown_field = bast(&id1, "BAST/U", &[("U-1", 1)]);
        unknown_field["nik"] = "3171".into();
        let cases: Vec<(&str, Value, u16, &str)> = vec![
            (&tl, bast(&id1, "BAST/X", &[("U-1", 1)]), 403, "id_kolaborasi"),
            (&tf, bast(&id1, "BAST/X", &[("U-1", 1)]), 403, "id_kolaborasi"),
            (&ta, disbursement(&id1, &[("U-1", 1)]), 403, "id_kolaborasi"),
            (&td, bast("KSBB-2000-999999", "BAST/X", &[("U-1", 1)]), 404, "id_kolaborasi"),
            (&td, bast(&id1, "BAST/X", &[("U-3", 1)]), 422, "umkm[0].kode"),
            (&td, bast(&id1, "BAST/X", &[("U-9", 1)]), 404, "umkm[0].kode"),
            (&td, bast(&id1, "BAST/X", &[("U-1", 1), ("U-1", 1)]), 422, "umkm[1].kode"),
            (&td, bast(&id1, "BAST/X", &[("U-1", 4)]), 422, "umkm"),
            (&td, bast(&id1, "BAST/X", &[]), 422, "umkm"),
            (&td, negative, 422, "umkm[0].jumlah"),
            (&td, ctrl, 422, "nomor_dokumen"),
            (&td, unknown_field, 422, "nik"),
            (&td, disbursement(&id1, &[("U-1", 1)]), 422, "jenis"),
            (&tf, bast(&id2, "BAST/X", &[("U-1", 1)]), 422, "jenis"),
            (&tf, disbursement(&id2, &[("U-3", 1)]), 422, "umkm[0].kode"),
            (&tf, disbursement(&id2, &[("U-2", 200_000)]), 422, "umkm[0].jumlah"),
            (&tf, no_econtract, 422, "econtract"),
            (&tf, angsuran(&id2, "2026-12", json!([{"kode": "U-1", "jumlah": 1, "status": "lancar"}])), 409, "periode"),
            (&tf, angsuran(&id2, "2027-01", json!([{"kode": "U-1", "jumlah": 400_001, "status": "lancar"}])), 422, "umkm[0].jumlah"),
            (&tf, angsuran(&id2, "2027-01", json!([{"kode": "U-3", "jumlah": 1, "status": "lancar"}])), 422, "umkm[0].kode"),
            (&tf, angsuran(&id2, "2027-01", json!([{"kode": "U-1", "jumlah": 1, "status": "gagal_bayar"}])), 422, "umkm[0].alasan"),
            (&tf, angsuran(&id2, "2027-01", json!([{"kode": "U-1", "jumlah": 1}])), 422, "umkm[0].status"),
            (&tf, angsuran(&id2, "2027-13", json!([{"kode": "U-1", "jumlah": 1, "status": "lancar"}])), 422, "periode"),
            (&tf, serah(&id2, agregator, 700_000), 422, "id_kolaborasi"),
            (&citata, bast(&id1, "BAST/X", &[("U-1", 1)]), 403, ""),
        ];
        for (auth, body, status, field) in cases {
            let r = post(&app, url, auth, None, &body).await;
            if field.is_empty() {
                assert_eq!(r.0.as_u16(), status, "{}", r.2);
            } else {
                problem(&r, status, field);
            }
        }
        // Documents: a PDF is no photo, HTML is no document, the same bytes twice, another's report.
        problem(&send(&app, "POST", &att("foto"), &td, None, "application/pdf", PDF.to_vec()).await, 422, "body");
        problem(&send(&app, "POST", &att("bast"), &td, None, "text/html", b"<html>".to_vec()).await, 422, "body");
        problem(&send(&app, "POST", &att("bast"), &td, None, "application/pdf", PDF.to_vec()).await, 409, "body");
        problem(&send(&app, "POST", &att("bast"), &tf, None, "application/pdf", PDF.to_vec()).await, 403, "id");
        problem(&send(&app, "POST", &att("kwitansi"), &td, None, "application/pdf", PDF.to_vec()).await, 422, "jenis");
        problem(&send(&app, "POST", &format!("{url}/999999/lampiran?jenis=bast"), &td, None, "application/pdf", PDF.to_vec()).await, 404, "id");
        assert_eq!(rows(&store).await, before, "a refused report or document wrote something");

        // The loan is repaid (U-2 defaults with its reason), then the funds go to the agregator once.
        let a2 = post(&app, url, &tf, None, &angsuran(&id2, "2027-01", json!([{"kode": "U-1", "jumlah": 400_000, "status": "lancar"},
            {"kode": "U-2", "jumlah": 0, "status": "gagal_bayar", "alasan": "usaha tutup"}]))).await;
        assert_eq!(a2.0, StatusCode::CREATED, "{}", a2.2);
        let before = rows(&store).await;
        problem(&post(&app, url, &tf, None, &serah(&id2, agregator, 1_100_001)).await, 422, "jumlah");
        problem(&post(&app, url, &tf, None, &serah(&id2, donatur, 1_000)).await, 422, "agregator_id");
        assert_eq!(rows(&store).await, before);
        let s = post(&app, url, &tf, None, &serah(&id2, agregator, 1_100_000)).await;
        assert_eq!((s.0, &s.1["kurang"]), (StatusCode::CREATED, &json!(["bukti_serah_terima"])), "{}", s.2);
        problem(&post(&app, url, &tf, None, &serah(&id2, agregator, 1)).await, 409, "jenis");

        // Lists: own (filed, or under one's IDs) for a collaborator, all for Bidang Kolaborasi.
        let list = |auth: String, q: &'static str| {
            let app = app.clone();
            async move { send(&app, "GET", &format!("{url}{q}"), &auth, None, "application/json", Vec::new()).await }
        };
        let own = list(td.clone(), "").await;
        assert_eq!(own.1.as_array().map(Vec::len), Some(2), "donatur: its BAST and the agregator's under its ID: {}", own.2);
        assert_eq!(own.1[0]["kurang"], json!([]), "BAST with scan and photo is complete: {}", own.2);
        assert_eq!(list(ta.clone(), "").await.1.as_array().map(Vec::len), Some(1));
        assert_eq!(list(bk.clone(), "").await.1.as_array().map(Vec::len), Some(6));
        let q = Box::leak(format!("?id_kolaborasi={id2}").into_boxed_str());
        assert_eq!(list(bk.clone(), q).await.1.as_array().map(Vec::len), Some(4));
        assert_eq!(list(citata.clone(), "").await.0, StatusCode::FORBIDDEN);
        // Document bytes: to the reporter and Bidang Kolaborasi, not to another collaborator.
        let lid = pdf.1["id"].as_i64().unwrap();
        let get = |auth: String| {
            let app = app.clone();
            async move {
                let req = Request::get(format!("{url}/{rid}/lampiran/{lid}")).header("authorization", auth).body(Body::empty()).unwrap();
                let res = app.oneshot(req).await.unwrap();
                (res.status(), res.into_body().collect().await.unwrap().to_bytes())
            }
        };
        assert_eq!(get(td.clone()).await, (StatusCode::OK, axum::body::Bytes::from_static(PDF)));
        assert_eq!(get(bk.clone()).await.0, StatusCode::OK);
        assert_eq!(get(tf.clone()).await.0, StatusCode::NOT_FOUND);

        // Part 6: the pendamping (Sudin of the UMKM's dinas, Kasatpel of its kecamatan) checks with the owners.
        let kel = send(&app, "GET", "/api/v1/ksbb/sites/LOKBIN-R1", &bk, None, "application/json", Vec::new()).await.1["kelurahan"].as_str().unwrap().to_string();
        let kecamatan = kel.rsplit_once('.').unwrap().0.to_string();
        let (sudin, kasatpel, other) =
            (token("pendamping", Some("ppkukm".into())).await, token("pendamping", Some(kecamatan.clone())).await, token("pendamping", Some("kpkp".into())).await);
        let check = |id: &str, kode: &str, hasil: &str| json!({"id_kolaborasi": id, "kode": kode, "hasil": hasil, "tanggal": "2026-12-20"});
        let vurl = "/api/v1/ksbb/verifikasi";
        let v1 = post(&app, vurl, &sudin, Some("v-1"), &check(&id1, "U-1", "diterima")).await;
        assert_eq!((v1.0, v1.1["jumlah_diterima"].as_i64(), v1.1["jumlah_dilaporkan"].as_i64()), (StatusCode::CREATED, Some(4), Some(4)), "{}", v1.2);
        assert_eq!(post(&app, vurl, &sudin, Some("v-1"), &check(&id1, "U-1", "diterima")).await.1["id"], v1.1["id"], "a retry records one check");
        let mut part = check(&id1, "U-2", "sebagian");
        part["jumlah_diterima"] = 2.into();
        part["catatan"] = "satu gerobak belum datang".into();
        let v2 = post(&app, vurl, &kasatpel, None, &part).await;
        assert_eq!((v2.0, v2.1["jumlah_diterima"].as_i64(), v2.1["pendamping"].as_str()), (StatusCode::CREATED, Some(2), Some(kecamatan.as_str())), "{}", v2.2);
        let mut none = check(&id2, "U-2", "tidak_diterima");
        none["catatan"] = "pemilik belum menerima dana".into();
        assert_eq!(post(&app, vurl, &sudin, None, &none).await.0, StatusCode::CREATED);
        let before = (kstore::verifikasi_count(&store).await.unwrap(), rows(&store).await);
        let mut no_amount = check(&id2, "U-1", "sebagian");
        no_amount["catatan"] = "x".into();
        let mut too_much = no_amount.clone();
        too_much["jumlah_diterima"] = 1_000_000.into();
        let mut amount_on_full = check(&id2, "U-1", "diterima");
        amount_on_full["jumlah_diterima"] = 5.into();
        let vcases: Vec<(&str, Value, u16, &str)> = vec![
            (&other, check(&id2, "U-1", "diterima"), 403, "kode"),
            (&sudin, check(&id1, "U-1", "diterima"), 409, "kode"),
            (&sudin, check(&id1, "U-3", "diterima"), 422, "kode"),
            (&sudin, check("KSBB-2000-999999", "U-1", "diterima"), 404, "id_kolaborasi"),
            (&sudin, check(&id1, "U-99", "diterima"), 404, "kode"),
            (&sudin, no_amount, 422, "jumlah_diterima"),
            (&sudin, too_much, 422, "jumlah_diterima"),
            (&sudin, amount_on_full, 422, "jumlah_diterima"),
            (&sudin, check(&id2, "U-1", "tidak_diterima"), 422, "catatan"),
            (&sudin, check(&id2, "U-1", "hilang"), 422, "hasil"),
            (&bk, check(&id2, "U-1", "diterima"), 403, ""),
            (&td, check(&id2, "U-1", "diterima"), 403, ""),
        ];
        for (auth, body, status, field) in vcases {
            let r = post(&app, vurl, auth, None, &body).await;
            if field.is_empty() {
                assert_eq!(r.0.as_u16(), status, "{}", r.2);
            } else {
                problem(&r, status, field);
            }
        }
        assert_eq!((kstore::verifikasi_count(&store).await.unwrap(), rows(&store).await), before, "a refused check wrote something");
        let vlist = |auth: String| {
            let app = app.clone();
            async move { send(&app, "GET", vurl, &auth, None, "application/json", Vec::new()).await.1.as_array().map(Vec::len) }
        };
        assert_eq!((vlist(sudin.clone()).await, vlist(td.clone()).await, vlist(tf.clone()).await, vlist(bk.clone()).await), (Some(2), Some(2), Some(1), Some(3)));
        use sigap::cli::token::{run as token_cli, TokenCommand};
        let create = |unit: Option<&str>| TokenCommand::Create { role: sigap::api::Role::Pendamping, unit: unit.map(String::from), label: None, expires_in_days: 30 };
        assert!(token_cli(&store, create(None)).await.is_err());
        assert!(token_cli(&store, create(Some("dinkes"))).await.is_err());
        token_cli(&store, create(Some("ppkukm"))).await.unwrap();
        token_cli(&store, create(Some(&kecamatan))).await.unwrap();

        // Part 7: flags where reports disagree, both figures; resolved with a note, never deleted.
        let furl = "/api/v1/ksbb/flags";
        let flags = |auth: String, q: String| {
            let app = app.clone();
            async move { send(&app, "GET", &format!("{furl}{q}"), &auth, None, "application/json", Vec::new()).await }
        };
        let f = flags(bk.clone(), String::new()).await.1;
        let kinds: Vec<(&str, &str, &str)> = f.as_array().unwrap().iter().map(|x| (x["jenis"].as_str().unwrap(), x["nilai_a"].as_str().unwrap(), x["nilai_b"].as_str().unwrap())).collect();
        assert_eq!(kinds, [("verifikasi_berbeda", "3", "2"), ("verifikasi_berbeda", "400000", "0")], "{f}");
        let mut late = bast(&id1, "BAST/A/2", &[("U-1", 1)]);
        late["tanggal"] = "2026-12-20".into();
        assert_eq!(post(&app, url, &ta, None, &late).await.0, StatusCode::CREATED);
        let mine = flags(td.clone(), String::new()).await.1;
        let kinds: Vec<&str> = mine.as_array().unwrap().iter().map(|x| x["jenis"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["verifikasi_berbeda", "laporan_berbeda", "tanggal_di_luar_jadwal"], "{mine}");
        assert_eq!((mine[1]["umkm_kode"].as_str(), mine[1]["nilai_a"].as_str(), mine[1]["nilai_b"].as_str()), (Some("U-1"), Some("4"), Some("5")), "{mine}");
        assert_eq!(flags(tf.clone(), String::new()).await.1.as_array().map(Vec::len), Some(1));
        assert_eq!(flags(bk.clone(), format!("?kolaborator={donatur}&status=terbuka")).await.1.as_array().map(Vec::len), Some(3));
        problem(&flags(bk.clone(), "?status=tutup".into()).await, 400, "status");
        assert_eq!(flags(citata.clone(), String::new()).await.0, StatusCode::FORBIDDEN);
        let fid = mine[1]["id"].as_i64().unwrap();
        let resolve = |id: i64| format!("{furl}/{id}/resolve");
        let before = rows(&store).await;
        problem(&post(&app, &resolve(fid), &bk, None, &json!({"catatan": " "})).await, 422, "catatan");
        problem(&post(&app, &resolve(999_999), &bk, None, &json!({"catatan": "x"})).await, 404, "id");
        assert_eq!(post(&app, &resolve(fid), &td, None, &json!({"catatan": "x"})).await.0, StatusCode::FORBIDDEN);
        assert_eq!(rows(&store).await, before);
        let done = post(&app, &resolve(fid), &bk, None, &json!({"catatan": "penyalur menyerahkan satu paket tambahan, dikonfirmasi"})).await;
        assert_eq!((done.0, done.1["status"].as_str()), (StatusCode::OK, Some("selesai")), "{}", done.2);
        problem(&post(&app, &resolve(fid), &bk, None, &json!({"catatan": "lagi"})).await, 409, "id");
        // The donatur reports the extra package too: that difference is gone, the resolved flag
        // stays, and the pendamping's earlier check now disagrees (new figures, a new flag).
        assert_eq!(post(&app, url, &td, None, &bast(&id1, "BAST/2", &[("U-1", 1)])).await.0, StatusCode::CREATED);
        let all = flags(bk.clone(), String::new()).await.1;
        assert_eq!(all.as_array().map(Vec::len), Some(5), "{all}");
        assert!(all.as_array().unwrap().iter().any(|x| x["id"] == fid && x["status"] == "selesai"));
        assert!(all.as_array().unwrap().iter().any(|x| x["jenis"] == "verifikasi_berbeda" && x["umkm_kode"] == "U-1" && x["nilai_a"] == "5" && x["nilai_b"] == "4"), "{all}");
    })
    .await;
}
