//! Logistics receipts at a gudang (penerimaan) and the stock they book, on both stores: good and
//! bad input side by side, every refusal naming its field and writing nothing (receipt rows,
//! ledger, balance, pledge, audit, idempotency, photo files); a pledge following its receipts;
//! photos with their type, size and duplicate checks.

mod common;
mod logistics_support;
use axum::http::StatusCode;
use logistics_support::*;
use serde_json::{json, Value};
use sigap::store::{testing, tokens, Store};

/// Receipt, ledger and pledge tables and the shared ones a receipt write touches.
const TABLES: [&str; 9] = [
    "logistik_penerimaan",
    "logistik_penerimaan_baris",
    "logistik_mutasi",
    "logistik_saldo",
    "logistik_komitmen_riwayat",
    "logistik_foto",
    "audit_log",
    "idempotency",
    "logistik_komitmen",
];

async fn saldo(store: &Store, gudang: &str, barang: &str) -> i64 {
    sigap::on_pool!(store, p => sqlx::query_scalar::<_, i64>("SELECT CAST(COALESCE(SUM(jumlah), 0) AS BIGINT) FROM logistik_saldo WHERE gudang = $1 AND barang = $2")
        .bind(gudang).bind(barang).fetch_one(p).await.unwrap())
}

/// One attachment directory for the whole binary (tests run in parallel in one process).
fn attachments_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("sigap_logistik_photos_{}", std::process::id()));
    std::env::set_var("SIGAP_ATTACHMENTS_DIR", &d);
    d
}

fn files_under(d: &std::path::Path) -> usize {
    let Ok(rd) = std::fs::read_dir(d) else { return 0 };
    rd.flatten().map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 }).sum()
}

#[tokio::test]
async fn receipts_book_stock_and_follow_pledges_on_both_stores() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        sigap::logistics::load_demo(&store, &common::atlas(&store).await).await.unwrap();
        let logistik = tokens::create(&store, "logistik", None, None).await.unwrap();
        let balaikota = tokens::create(&store, "logistik", Some("BALAIKOTA"), None).await.unwrap();
        let dinsos_only = tokens::create(&store, "logistik", Some("DINSOS"), None).await.unwrap();
        let kol = tokens::create(&store, "bidang_kolaborasi", None, None).await.unwrap();
        let penerima = tokens::create(&store, "penerima", Some("31.71.01.1001"), None).await.unwrap();
        let auditor = tokens::create(&store, "auditor", None, None).await.unwrap();
        let l = Some(balaikota.as_str());

        // A pledge to BALAIKOTA: 2 karton of masker (4000 pcs) and 10 karton of sanitizer (240 botol), agreed.
        let kolaborator = kolaborator_id(&store).await;
        let pledge = json!({"kolaborator_id": kolaborator, "gudang": "BALAIKOTA", "tanggal_harap": day(3),
            "baris": [{"barang": "APD-MASKER-3PLY", "jumlah": 2, "satuan": "karton"}, {"barang": "APD-HAND-SANITIZER", "jumlah": 10, "satuan": "karton"}]});
        let k = call(&app, "POST", "/api/v1/logistik/komitmen", Some(&kol), None, Some(pledge)).await;
        let kid = k.1["id"].as_i64().unwrap();
        let draft = call(&app, "POST", "/api/v1/logistik/komitmen", Some(&kol), None,
            Some(json!({"kolaborator_id": kolaborator, "gudang": "BALAIKOTA", "tanggal_harap": day(3), "baris": [{"barang": "APD-MASKER-3PLY", "jumlah": 1}]}))).await;
        let draft_id = draft.1["id"].as_i64().unwrap();
        assert_eq!(call(&app, "POST", &format!("/api/v1/logistik/komitmen/{kid}/status"), Some(&kol), None, Some(json!({"status": "disepakati", "versi": 1}))).await.0, StatusCode::OK);

        let receipt = || {
            json!({"gudang": "BALAIKOTA", "komitmen_id": kid, "pengirim": "PT Contoh Peduli", "bast_nomor": "BAST/LOG/001", "bast_tanggal": day(0),
                "baris": [
                    {"barang": "APD-MASKER-3PLY", "satuan": "box", "jumlah_diumumkan": 60, "jumlah_diterima": 55, "jumlah_ditolak": 3, "alasan_tolak": "rusak", "kondisi": "3 box basah"},
                    {"barang": "APD-HAND-SANITIZER", "lot": "HS-2611", "kedaluwarsa": day(400), "satuan": "karton", "jumlah_diumumkan": 10, "jumlah_diterima": 10}
                ]})
        };
        let r = call(&app, "POST", "/api/v1/logistik/penerimaan", l, Some("r-1"), Some(receipt())).await;
        assert_eq!(r.0, StatusCode::CREATED, "{}", r.1);
        let rid = r.1["id"].as_i64().unwrap();
        assert_eq!(r.1["baris"][0]["lot"], "BAST/LOG/001", "without a lot code the BAST number is the lot");
        assert_eq!((r.1["baris"][0]["jumlah_diumumkan"].as_f64(), r.1["baris"][0]["jumlah_diterima"].as_f64(), r.1["baris"][0]["jumlah_ditolak"].as_f64(), r.1["baris"][0]["kurang"].as_f64()),
            (Some(3000.0), Some(2750.0), Some(150.0), Some(100.0)), "box of 50 pcs; 2 box missing at the count");
        // Only accepted quantities enter stock, each a movement of the ledger.
        assert_eq!(saldo(&store, "BALAIKOTA", "APD-MASKER-3PLY").await, 2_750_000);
        assert_eq!(saldo(&store, "BALAIKOTA", "APD-HAND-SANITIZER").await, 240_000);
        assert_eq!(count(&store, "logistik_mutasi").await, 2);
        // Replay: same answer, nothing booked twice; same key, other body: 409.
        let again = call(&app, "POST", "/api/v1/logistik/penerimaan", l, Some("r-1"), Some(receipt())).await;
        assert_eq!((again.0, &again.1), (StatusCode::CREATED, &r.1));
        assert_eq!(saldo(&store, "BALAIKOTA", "APD-MASKER-3PLY").await, 2_750_000);
        let mut other = receipt();
        other["pengirim"] = "PT Lain".into();
        problem(&call(&app, "POST", "/api/v1/logistik/penerimaan", l, Some("r-1"), Some(other)).await, 409, "Idempotency-Key");
        // The pledge follows: masker 2750 of 4000, sanitizer 240 of 240 → diterima_sebagian, in history.
        let kp = call(&app, "GET", &format!("/api/v1/logistik/komitmen/{kid}"), Some(&auditor), None, None).await;
        assert_eq!(kp.1["status"], "diterima_sebagian", "{}", kp.1);
        assert_eq!(kp.1["baris"][0]["diterima"], 240.0);
        assert_eq!(kp.1["baris"][1]["diterima"], 2750.0);
        assert_eq!(kp.1["riwayat"][2]["ke"], "diterima_sebagian");
        assert!(kp.1["riwayat"][2]["alasan"].as_str().unwrap().contains("BAST/LOG/001"));

        // Bad input: each names its field and writes nothing.
        let snapshot = counts(&store, &TABLES).await;
        let post = |b: Value, token: String| {
            let app = app.clone();
            async move { call(&app, "POST", "/api/v1/logistik/penerimaan", Some(&token), None, Some(b)).await }
        };
        let fresh = |f: &dyn Fn(&mut Value)| {
            let mut b = receipt();
            b["bast_nomor"] = "BAST/LOG/002".into();
            f(&mut b);
            b
        };
        let lt = balaikota.clone();
        problem(&post(receipt(), lt.clone()).await, 409, "bast_nomor");
        problem(&post(fresh(&|b| b["bast_nomor"] = " ".into()), lt.clone()).await, 422, "bast_nomor");
        problem(&post(fresh(&|b| { b.as_object_mut().unwrap().remove("bast_nomor"); }), lt.clone()).await, 422, "bast_nomor");
        problem(&post(fresh(&|b| { b.as_object_mut().unwrap().remove("bast_tanggal"); }), lt.clone()).await, 422, "bast_tanggal");
        problem(&post(fresh(&|b| b["bast_tanggal"] = "kemarin".into()), lt.clone()).await, 422, "bast_tanggal");
        problem(&post(fresh(&|b| b["bast_tanggal"] = day(1).into()), lt.clone()).await, 422, "bast_tanggal");
        problem(&post(fresh(&|b| b["pengirim"] = "a\u{0}b".into()), lt.clone()).await, 422, "pengirim");
        problem(&post(fresh(&|b| b["baris"] = json!([])), lt.clone()).await, 422, "baris");
        problem(&post(fresh(&|b| b["baris"][0]["jumlah_diumumkan"] = 0.into()), lt.clone()).await, 422, "baris[0].jumlah_diumumkan");
        problem(&post(fresh(&|b| b["baris"][0]["jumlah_diumumkan"] = (-5).into()), lt.clone()).await, 422, "baris[0].jumlah_diumumkan");
        problem(&post(fresh(&|b| b["baris"][0]["jumlah_diterima"] = (-1).into()), lt.clone()).await, 422, "baris[0].jumlah_diterima");
        problem(&post(fresh(&|b| { b["baris"][0]["satuan"] = "pcs".into(); b["baris"][0]["jumlah_diterima"] = 2.5.into(); }), lt.clone()).await, 422, "baris[0].jumlah_diterima");
        problem(&post(fresh(&|b| b["baris"][0]["satuan"] = "kg".into()), lt.clone()).await, 422, "baris[0].satuan");
        problem(&post(fresh(&|b| b["baris"][0]["jumlah_diterima"] = 58.into()), lt.clone()).await, 422, "baris[0].jumlah_diterima");
        problem(&post(fresh(&|b| { b["baris"][0].as_object_mut().unwrap().remove("alasan_tolak"); }), lt.clone()).await, 422, "baris[0].alasan_tolak");
        problem(&post(fresh(&|b| b["baris"][0]["alasan_tolak"] = "hilang".into()), lt.clone()).await, 422, "baris[0].alasan_tolak");
        problem(&post(fresh(&|b| b["baris"][0]["barang"] = "TIDAK-ADA".into()), lt.clone()).await, 422, "baris[0].barang");
        problem(&post(fresh(&|b| b["baris"][0]["barang"] = "PANGAN-SARDEN".into()), lt.clone()).await, 422, "baris[0].barang");
        problem(&post(fresh(&|b| { b["baris"][1].as_object_mut().unwrap().remove("kedaluwarsa"); }), lt.clone()).await, 422, "baris[1].kedaluwarsa");
        problem(&post(fresh(&|b| { b["baris"][1]["lot"] = "HS-LAMA".into(); b["baris"][1]["kedaluwarsa"] = day(-1).into(); }), lt.clone()).await, 422, "baris[1].kedaluwarsa");
        problem(&post(fresh(&|b| b["baris"][1]["kedaluwarsa"] = day(500).into()), lt.clone()).await, 409, "baris[1].lot");
        problem(&post(fresh(&|b| { b["baris"][1]["barang"] = "APD-MASKER-3PLY".into(); b["baris"][1]["lot"] = "BAST/LOG/002".into(); }), lt.clone()).await, 422, "baris[1].lot");
        problem(&post(fresh(&|b| b["baris"][0]["harga"] = 5.into()), lt.clone()).await, 422, "baris[0].harga");
        problem(&post(fresh(&|b| b["komitmen_id"] = 999.into()), lt.clone()).await, 422, "komitmen_id");
        problem(&post(fresh(&|b| b["komitmen_id"] = draft_id.into()), lt.clone()).await, 409, "komitmen_id");
        problem(&post(fresh(&|b| b["gudang"] = "DINSOS".into()), logistik.clone()).await, 422, "gudang");
        problem(&post(fresh(&|b| { b["gudang"] = "GUDANG-HANTU".into(); b.as_object_mut().unwrap().remove("komitmen_id"); }), logistik.clone()).await, 422, "gudang");
        // Roles and scope: another gudang's token, a unit, a reader.
        problem(&post(fresh(&|_| {}), dinsos_only.clone()).await, 403, "gudang");
        problem(&post(fresh(&|_| {}), penerima.clone()).await, 403, "");
        problem(&post(fresh(&|_| {}), auditor.clone()).await, 403, "");
        assert_eq!(call(&app, "POST", "/api/v1/logistik/penerimaan", None, None, Some(fresh(&|_| {}))).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(counts(&store, &TABLES).await, snapshot, "a rejected receipt changed a table");

        // An expired lot refused whole is recorded, with no movement; the rest of the pledge completes it.
        let rest = json!({"gudang": "BALAIKOTA", "komitmen_id": kid, "pengirim": "PT Contoh Peduli", "bast_nomor": "BAST/LOG/002", "bast_tanggal": day(0),
            "baris": [{"barang": "APD-MASKER-3PLY", "lot": "M-2", "jumlah_diumumkan": 1250, "jumlah_diterima": 1250},
                      {"barang": "APD-HAND-SANITIZER", "lot": "HS-LAMA", "kedaluwarsa": day(-1), "jumlah_diumumkan": 24, "jumlah_diterima": 0, "jumlah_ditolak": 24, "alasan_tolak": "kedaluwarsa"}]});
        let r2 = call(&app, "POST", "/api/v1/logistik/penerimaan", Some(&logistik), Some("r-2"), Some(rest)).await;
        assert_eq!(r2.0, StatusCode::CREATED, "{}", r2.1);
        assert_eq!(count(&store, "logistik_mutasi").await, 3, "the refused lot moved nothing");
        assert_eq!(saldo(&store, "BALAIKOTA", "APD-MASKER-3PLY").await, 4_000_000);
        let kp = call(&app, "GET", &format!("/api/v1/logistik/komitmen/{kid}"), Some(&auditor), None, None).await;
        assert_eq!(kp.1["status"], "selesai", "{}", kp.1);
        problem(&call(&app, "POST", "/api/v1/logistik/penerimaan", Some(&logistik), None,
            Some(json!({"gudang": "BALAIKOTA", "komitmen_id": kid, "pengirim": "x", "bast_nomor": "BAST/LOG/003", "bast_tanggal": day(0),
                "baris": [{"barang": "APD-MASKER-3PLY", "jumlah_diumumkan": 1, "jumlah_diterima": 1}]}))).await, 409, "komitmen_id");

        // Reads: list per gudang, one with lines; the ledger is append-only on both stores.
        let list = call(&app, "GET", "/api/v1/logistik/penerimaan?gudang=BALAIKOTA", Some(&auditor), None, None).await;
        assert_eq!(list.1.as_array().map(Vec::len), Some(2), "{}", list.1);
        assert_eq!(call(&app, "GET", &format!("/api/v1/logistik/penerimaan/{rid}"), Some(&auditor), None, None).await.1["bast_nomor"], "BAST/LOG/001");
        problem(&call(&app, "GET", "/api/v1/logistik/penerimaan/999", Some(&auditor), None, None).await, 404, "id");
        problem(&call(&app, "GET", "/api/v1/logistik/penerimaan/x", Some(&auditor), None, None).await, 400, "id");
        problem(&call(&app, "GET", "/api/v1/logistik/penerimaan", Some(&penerima), None, None).await, 403, "");
        let tamper = sigap::on_pool!(&store, p => sqlx::query("UPDATE logistik_mutasi SET jumlah = 1").execute(p).await.map(|_| ()));
        assert!(tamper.is_err(), "the ledger must refuse an update");
        let tamper = sigap::on_pool!(&store, p => sqlx::query("DELETE FROM logistik_mutasi").execute(p).await.map(|_| ()));
        assert!(tamper.is_err(), "the ledger must refuse a delete");
        let history = sigap::store::audit::history(&store, "logistik_penerimaan", &rid.to_string()).await.unwrap();
        assert_eq!(history.iter().map(|h| h.action.as_str()).collect::<Vec<_>>(), ["logistik.penerimaan.create"]);
    })
    .await;
}

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1];
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

#[tokio::test]
async fn receipt_photos_on_both_stores() {
    let dir = attachments_dir();
    testing::for_each_store(|store| {
        let dir = dir.clone();
        async move {
            let app = app(&store).await;
            sigap::logistics::load_demo(&store, &common::atlas(&store).await).await.unwrap();
            let balaikota = tokens::create(&store, "logistik", Some("BALAIKOTA"), None).await.unwrap();
            let dinsos_only = tokens::create(&store, "logistik", Some("DINSOS"), None).await.unwrap();
            let auditor = tokens::create(&store, "auditor", None, None).await.unwrap();
            let l = Some(balaikota.as_str());
            let bast = format!("BAST/FOTO/{}", store.kind());
            let r = call(&app, "POST", "/api/v1/logistik/penerimaan", l, None,
                Some(json!({"gudang": "BALAIKOTA", "pengirim": "Donatur", "bast_nomor": bast, "bast_tanggal": day(0),
                    "baris": [{"barang": "APD-HAZMAT", "jumlah_diumumkan": 40, "jumlah_diterima": 40}]}))).await;
            assert_eq!(r.0, StatusCode::CREATED, "{}", r.1);
            let rid = r.1["id"].as_i64().unwrap();
            let uri = format!("/api/v1/logistik/penerimaan/{rid}/foto");
            let files = || files_under(&dir.join("logistik/penerimaan").join(rid.to_string()));
            let before = files();

            let up = call_raw(&app, "POST", &uri, l, Some("f-1"), JPEG.to_vec()).await;
            assert_eq!(up.0, StatusCode::CREATED, "{}", String::from_utf8_lossy(&up.1));
            let stored: Value = serde_json::from_slice(&up.1).unwrap();
            assert_eq!(stored["content_type"], "image/jpeg");
            // The retry replays the answer and leaves no second file.
            let again = call_raw(&app, "POST", &uri, l, Some("f-1"), JPEG.to_vec()).await;
            assert!(again.0 == StatusCode::CREATED && again.2 && again.1 == up.1);
            assert_eq!(files(), before + 1);

            // Refusals: each names its field, no record, no file left behind.
            let snapshot = counts(&store, &["logistik_foto", "audit_log", "idempotency"]).await;
            let field = |b: &[u8]| serde_json::from_slice::<Value>(b).ok().and_then(|v| v["field"].as_str().map(String::from)).unwrap_or_default();
            let dup = call_raw(&app, "POST", &uri, l, None, JPEG.to_vec()).await;
            assert_eq!((dup.0, field(&dup.1).as_str()), (StatusCode::CONFLICT, "body"));
            let html = call_raw(&app, "POST", &uri, l, None, b"<html>not a photo</html>".to_vec()).await;
            assert_eq!((html.0, field(&html.1).as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "body"));
            let big = call_raw(&app, "POST", &uri, l, None, [PNG, &vec![0u8; 2 * 1024 * 1024]].concat()).await;
            assert_eq!(big.0, StatusCode::PAYLOAD_TOO_LARGE);
            let other = call_raw(&app, "POST", &uri, Some(&dinsos_only), None, PNG.to_vec()).await;
            assert_eq!((other.0, field(&other.1).as_str()), (StatusCode::FORBIDDEN, "gudang"));
            let reader = call_raw(&app, "POST", &uri, Some(&auditor), None, PNG.to_vec()).await;
            assert_eq!(reader.0, StatusCode::FORBIDDEN);
            let ghost = call_raw(&app, "POST", "/api/v1/logistik/penerimaan/99999/foto", l, None, PNG.to_vec()).await;
            assert_eq!((ghost.0, field(&ghost.1).as_str()), (StatusCode::NOT_FOUND, "id"));
            assert_eq!(counts(&store, &["logistik_foto", "audit_log", "idempotency"]).await, snapshot, "a refused photo was recorded");
            assert_eq!(files(), before + 1, "a refused photo left a file");

            // A second, different photo; then the bytes come back as stored, for a reader.
            let png = call_raw(&app, "POST", &uri, l, None, PNG.to_vec()).await;
            assert_eq!(png.0, StatusCode::CREATED);
            let one = call(&app, "GET", &format!("/api/v1/logistik/penerimaan/{rid}"), Some(&auditor), None, None).await;
            assert_eq!(one.1["foto"].as_array().map(Vec::len), Some(2), "{}", one.1);
            assert!(one.1["foto"][0].get("storage_key").is_none(), "storage keys stay internal");
            let fid = stored["id"].as_i64().unwrap();
            let got = call_raw(&app, "GET", &format!("{uri}/{fid}"), Some(&auditor), None, Vec::new()).await;
            assert_eq!((got.0, got.1.as_slice()), (StatusCode::OK, JPEG));
            assert_eq!(call_raw(&app, "GET", &format!("{uri}/9999"), Some(&auditor), None, Vec::new()).await.0, StatusCode::NOT_FOUND);
        }
    })
    .await;
}

/// The ledger explains every balance: per gudang × item × lot, the balance is the sum of its
/// movements, and never negative.
async fn ledger_explains_balances(store: &Store) {
    let off: i64 = sigap::on_pool!(store, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM logistik_saldo s WHERE s.jumlah < 0 OR s.jumlah <> \
         (SELECT COALESCE(SUM(m.jumlah), 0) FROM logistik_mutasi m WHERE m.gudang = s.gudang AND m.barang = s.barang AND m.lot = s.lot)")
        .fetch_one(p).await.unwrap());
    assert_eq!(off, 0, "a balance differs from its ledger");
}

/// Puts an expired lot into a gudang as time would have (a receipt long ago): a movement and its
/// balance, consistent with each other. Test set-up only.
async fn expired_lot(store: &Store, gudang: &str, barang: &str, lot: &str, jumlah_milli: i64) {
    let exp = sigap::logistics::model::jakarta_today() - chrono::Duration::days(2);
    sigap::on_pool!(store, p => sqlx::query("INSERT INTO logistik_mutasi (at, jenis, gudang, barang, lot, kedaluwarsa, jumlah, ref, actor) VALUES ($1,'penerimaan',$2,$3,$4,$5,$6,'uji','uji')")
        .bind(chrono::Utc::now()).bind(gudang).bind(barang).bind(lot).bind(exp).bind(jumlah_milli).execute(p).await.map(|_| ()).unwrap());
    sigap::on_pool!(store, p => sqlx::query("INSERT INTO logistik_saldo (gudang, barang, lot, kedaluwarsa, jumlah) VALUES ($1,$2,$3,$4,$5)")
        .bind(gudang).bind(barang).bind(lot).bind(exp).bind(jumlah_milli).execute(p).await.map(|_| ()).unwrap());
}

#[tokio::test]
async fn ledger_movements_fefo_and_expiry_on_both_stores() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        sigap::logistics::load_demo(&store, &common::atlas(&store).await).await.unwrap();
        let logistik = tokens::create(&store, "logistik", None, None).await.unwrap();
        let dinsos_only = tokens::create(&store, "logistik", Some("DINSOS"), None).await.unwrap();
        let penerima = tokens::create(&store, "penerima", Some("31.71.01.1001"), None).await.unwrap();
        let l = Some(logistik.as_str());
        let hs = "APD-HAND-SANITIZER";
        let r = call(&app, "POST", "/api/v1/logistik/penerimaan", l, None,
            Some(json!({"gudang": "BALAIKOTA", "pengirim": "Donatur", "bast_nomor": "BAST/STOK/1", "bast_tanggal": day(0),
                "baris": [{"barang": hs, "lot": "B", "kedaluwarsa": day(100), "jumlah_diumumkan": 48, "jumlah_diterima": 48},
                          {"barang": hs, "lot": "A", "kedaluwarsa": day(10), "jumlah_diumumkan": 1, "satuan": "karton", "jumlah_diterima": 1}]}))).await;
        assert_eq!(r.0, StatusCode::CREATED, "{}", r.1);
        expired_lot(&store, "BALAIKOTA", hs, "LAMA", 100_000).await;

        // Stock per lot, flagged against expiry; the near-expiry report.
        let stok = call(&app, "GET", &format!("/api/v1/logistik/stok?gudang=BALAIKOTA&barang={hs}"), Some(&penerima), None, None).await;
        let lots: Vec<(String, String, f64)> = stok.1.as_array().unwrap().iter().map(|x| (x["lot"].as_str().unwrap().into(), x["status"].as_str().unwrap().into(), x["jumlah"].as_f64().unwrap())).collect();
        assert_eq!(lots, [("LAMA".into(), "kedaluwarsa".into(), 100.0), ("A".into(), "segera".into(), 24.0), ("B".into(), "baik".into(), 48.0)]);
        let soon = call(&app, "GET", "/api/v1/logistik/stok/kedaluwarsa", l, None, None).await;
        assert_eq!(soon.1.as_array().unwrap().iter().map(|x| x["lot"].as_str().unwrap()).collect::<Vec<_>>(), ["LAMA", "A"], "{}", soon.1);
        assert_eq!(call(&app, "GET", "/api/v1/logistik/stok/kedaluwarsa?hari=200", l, None, None).await.1.as_array().map(Vec::len), Some(3));
        problem(&call(&app, "GET", "/api/v1/logistik/stok?hari=-1", l, None, None).await, 400, "hari");
        problem(&call(&app, "GET", "/api/v1/logistik/stok?warna=merah", l, None, None).await, 400, "warna");

        // A transfer without a lot goes FEFO: lot A (24) first, then 6 of B; the expired lot never.
        let transfer = json!({"jenis": "transfer", "gudang": "BALAIKOTA", "ke_gudang": "DINSOS", "barang": hs, "jumlah": 30});
        let t = call(&app, "POST", "/api/v1/logistik/mutasi", l, Some("t-1"), Some(transfer.clone())).await;
        assert_eq!(t.0, StatusCode::CREATED, "{}", t.1);
        let moves: Vec<(String, String, String, f64)> = t.1.as_array().unwrap().iter()
            .map(|m| (m["jenis"].as_str().unwrap().into(), m["gudang"].as_str().unwrap().into(), m["lot"].as_str().unwrap().into(), m["jumlah"].as_f64().unwrap())).collect();
        assert_eq!(moves, [
            ("transfer_keluar".into(), "BALAIKOTA".into(), "A".into(), -24.0), ("transfer_keluar".into(), "BALAIKOTA".into(), "B".into(), -6.0),
            ("transfer_masuk".into(), "DINSOS".into(), "A".into(), 24.0), ("transfer_masuk".into(), "DINSOS".into(), "B".into(), 6.0)]);
        assert_eq!(call(&app, "POST", "/api/v1/logistik/mutasi", l, Some("t-1"), Some(transfer)).await.1, t.1, "replayed, not moved twice");
        assert_eq!(saldo(&store, "DINSOS", hs).await, 30_000);

        // Bad movements: each names its field and writes nothing.
        let snapshot = counts(&store, &TABLES).await;
        let post = |b: Value| {
            let app = app.clone();
            let l = logistik.clone();
            async move { call(&app, "POST", "/api/v1/logistik/mutasi", Some(&l), None, Some(b)).await }
        };
        let tr = |f: &dyn Fn(&mut Value)| {
            let mut b = json!({"jenis": "transfer", "gudang": "BALAIKOTA", "ke_gudang": "DINSOS", "barang": hs, "jumlah": 5});
            f(&mut b);
            b
        };
        let over = post(tr(&|b| b["jumlah"] = 43.into())).await;
        problem(&over, 409, "jumlah");
        assert!(over.1["detail"].as_str().unwrap().contains("42 botol"), "the 409 says what is available: {}", over.1);
        problem(&post(tr(&|b| b["ke_gudang"] = "BALAIKOTA".into())).await, 422, "ke_gudang");
        problem(&post(tr(&|b| b["ke_gudang"] = "GUDANG-HANTU".into())).await, 422, "ke_gudang");
        problem(&post(tr(&|b| b["gudang"] = "GUDANG-HANTU".into())).await, 422, "gudang");
        problem(&post(tr(&|b| b["barang"] = "TIDAK-ADA".into())).await, 422, "barang");
        problem(&post(tr(&|b| b["jumlah"] = 0.into())).await, 422, "jumlah");
        problem(&post(tr(&|b| b["jumlah"] = (-5).into())).await, 422, "jumlah");
        problem(&post(tr(&|b| b["jumlah"] = 1.5.into())).await, 422, "jumlah");
        problem(&post(tr(&|b| b["satuan"] = "kg".into())).await, 422, "satuan");
        problem(&post(tr(&|b| b["lot"] = "TIDAK-ADA".into())).await, 422, "lot");
        problem(&post(tr(&|b| b["lot"] = "LAMA".into())).await, 422, "lot");
        problem(&post(tr(&|b| { b["lot"] = "B".into(); b["jumlah"] = 43.into(); })).await, 409, "jumlah");
        problem(&post(tr(&|b| b["jenis"] = "pengeluaran".into())).await, 422, "jenis");
        problem(&post(tr(&|b| b["warna"] = "merah".into())).await, 422, "warna");
        let hapus = |f: &dyn Fn(&mut Value)| {
            let mut b = json!({"jenis": "penghapusan", "gudang": "BALAIKOTA", "barang": hs, "lot": "LAMA", "jumlah": 100, "alasan_hapus": "kedaluwarsa"});
            f(&mut b);
            b
        };
        problem(&post(hapus(&|b| b["jumlah"] = 101.into())).await, 409, "jumlah");
        problem(&post(hapus(&|b| b["alasan_hapus"] = "bosan".into())).await, 422, "alasan_hapus");
        let count_b = |f: &dyn Fn(&mut Value)| {
            let mut b = json!({"jenis": "penyesuaian", "gudang": "BALAIKOTA", "barang": hs, "lot": "B", "jumlah_hitung": 40, "alasan": "Stock opname 28/11: 2 botol pecah"});
            f(&mut b);
            b
        };
        problem(&post(count_b(&|b| b["jumlah_hitung"] = 42.into())).await, 422, "jumlah_hitung");
        problem(&post(count_b(&|b| b["jumlah_hitung"] = (-1).into())).await, 422, "jumlah_hitung");
        problem(&post(count_b(&|b| b["alasan"] = "".into())).await, 422, "alasan");
        let retur = |f: &dyn Fn(&mut Value)| {
            let mut b = json!({"jenis": "retur", "gudang": "DINSOS", "barang": hs, "lot": "A", "jumlah": 4, "alasan": "Tidak jadi dikirim"});
            f(&mut b);
            b
        };
        problem(&post(retur(&|b| b["kedaluwarsa"] = day(11).into())).await, 409, "lot");
        problem(&post(retur(&|b| b["lot"] = "BARU".into())).await, 422, "kedaluwarsa");
        problem(&post(retur(&|b| { b["lot"] = "BARU".into(); b["kedaluwarsa"] = day(-1).into(); })).await, 422, "kedaluwarsa");
        // Scope and roles.
        problem(&call(&app, "POST", "/api/v1/logistik/mutasi", Some(&dinsos_only), None, Some(tr(&|_| {}))).await, 403, "gudang");
        problem(&call(&app, "POST", "/api/v1/logistik/mutasi", Some(&penerima), None, Some(tr(&|_| {}))).await, 403, "");
        assert_eq!(counts(&store, &TABLES).await, snapshot, "a refused movement changed a table");

        // Write-off, count, return: each a movement; the ledger explains every balance.
        for (key, body) in [("h-1", hapus(&|_| {})), ("c-1", count_b(&|_| {})), ("u-1", retur(&|_| {}))] {
            let done = call(&app, "POST", "/api/v1/logistik/mutasi", l, Some(key), Some(body)).await;
            assert_eq!(done.0, StatusCode::CREATED, "{key}: {}", done.1);
        }
        let ledger = call(&app, "GET", &format!("/api/v1/logistik/mutasi?barang={hs}&limit=3"), l, None, None).await;
        let kinds: Vec<(&str, f64)> = ledger.1.as_array().unwrap().iter().map(|m| (m["jenis"].as_str().unwrap(), m["jumlah"].as_f64().unwrap())).collect();
        assert_eq!(kinds, [("retur", 4.0), ("penyesuaian", -2.0), ("penghapusan", -100.0)]);
        assert!(ledger.1[1]["alasan"].as_str().unwrap().contains("opname"));
        problem(&call(&app, "GET", "/api/v1/logistik/mutasi?limit=0", l, None, None).await, 400, "limit");
        problem(&call(&app, "GET", "/api/v1/logistik/mutasi", Some(&penerima), None, None).await, 403, "");
        assert_eq!(saldo(&store, "BALAIKOTA", hs).await, 40_000);
        assert_eq!(saldo(&store, "DINSOS", hs).await, 34_000);
        ledger_explains_balances(&store).await;
        let audit = sigap::store::audit::history(&store, "logistik_saldo", &format!("BALAIKOTA/{hs}")).await.unwrap();
        assert_eq!(audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(), ["logistik.mutasi.transfer", "logistik.mutasi.penghapusan", "logistik.mutasi.penyesuaian"]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_clients_never_take_more_than_the_stock_on_both_stores() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        sigap::logistics::load_demo(&store, &common::atlas(&store).await).await.unwrap();
        let logistik = tokens::create(&store, "logistik", None, None).await.unwrap();
        let m = "APD-MASKER-N95";
        // The last 100 pcs, in three lots (FEFO must span them under contention).
        let r = call(&app, "POST", "/api/v1/logistik/penerimaan", Some(&logistik), None,
            Some(json!({"gudang": "BALAIKOTA", "pengirim": "Donatur", "bast_nomor": "BAST/N95", "bast_tanggal": day(0),
                "baris": [{"barang": m, "lot": "N1", "kedaluwarsa": day(30), "jumlah_diumumkan": 30, "jumlah_diterima": 30},
                          {"barang": m, "lot": "N2", "kedaluwarsa": day(60), "jumlah_diumumkan": 30, "jumlah_diterima": 30},
                          {"barang": m, "lot": "N3", "jumlah_diumumkan": 40, "jumlah_diterima": 40}]}))).await;
        assert_eq!(r.0, StatusCode::CREATED, "{}", r.1);
        let clients: Vec<_> = (0..20)
            .map(|i| {
                let (app, t) = (app.clone(), logistik.clone());
                tokio::spawn(async move {
                    let body = json!({"jenis": "transfer", "gudang": "BALAIKOTA", "ke_gudang": "DINSOS", "barang": m, "jumlah": 10});
                    call(&app, "POST", "/api/v1/logistik/mutasi", Some(&t), Some(&format!("c-{i}")), Some(body)).await
                })
            })
            .collect();
        let mut ok = 0;
        for c in clients {
            let res = c.await.unwrap();
            match res.0 {
                StatusCode::CREATED => ok += 1,
                StatusCode::CONFLICT => assert_eq!(res.1["field"], "jumlah", "{}", res.1),
                other => panic!("unexpected {other}: {}", res.1),
            }
        }
        assert_eq!(ok, 10, "exactly 100 pcs leave, 10 each");
        assert_eq!(saldo(&store, "BALAIKOTA", m).await, 0);
        assert_eq!(saldo(&store, "DINSOS", m).await, 100_000);
        ledger_explains_balances(&store).await;
    })
    .await;
}
