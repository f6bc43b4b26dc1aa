//! Logistics requests on both stores: a unit requests, the Bidang Logistik approves (part, from
//! the nearest gudang with stock) or returns, the Sekretariat dispatches (stock leaves FEFO), the
//! unit confirms with its BAST; every bad input and wrong actor refused naming its field with
//! nothing written; 20 clients dispatching the last 100 units never oversell.

mod common;
mod logistics_support;
use axum::http::StatusCode;
use logistics_support::*;
use serde_json::{json, Value};
use sigap::store::{testing, tokens, Store};

const TABLES: [&str; 7] = ["logistik_permintaan", "logistik_permintaan_baris", "logistik_permintaan_riwayat", "logistik_mutasi", "logistik_saldo", "audit_log", "idempotency"];

async fn saldo(store: &Store, gudang: &str, barang: &str) -> i64 {
    sigap::on_pool!(store, p => sqlx::query_scalar::<_, i64>("SELECT CAST(COALESCE(SUM(jumlah), 0) AS BIGINT) FROM logistik_saldo WHERE gudang = $1 AND barang = $2")
        .bind(gudang).bind(barang).fetch_one(p).await.unwrap())
}

/// Books `baris` into `gudang` through a receipt (the real path).
async fn stock(app: &axum::Router, token: &str, gudang: &str, bast: &str, baris: Value) {
    let r = call(app, "POST", "/api/v1/logistik/penerimaan", Some(token), None,
        Some(json!({"gudang": gudang, "pengirim": "Donatur", "bast_nomor": bast, "bast_tanggal": day(0), "baris": baris}))).await;
    assert_eq!(r.0, StatusCode::CREATED, "{}", r.1);
}

const UNIT: &str = "31.71.01.1001";

/// The answer's line of one item (lines are ordered by item code).
fn line<'a>(v: &'a Value, barang: &str) -> &'a Value {
    v["baris"].as_array().unwrap().iter().find(|b| b["barang"] == barang).unwrap()
}

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1];
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

/// The `field` of a raw problem answer.
fn field(b: &[u8]) -> String {
    serde_json::from_slice::<Value>(b).ok().and_then(|v| v["field"].as_str().map(String::from)).unwrap_or_default()
}

fn files_under(d: &std::path::Path) -> usize {
    let Ok(rd) = std::fs::read_dir(d) else { return 0 };
    rd.flatten().map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 }).sum()
}

#[tokio::test]
async fn request_verify_dispatch_confirm_on_both_stores() {
    testing::for_each_store(|store| async move {
        // One attachment directory per store run (the stores run one after the other and request
        // ids repeat across them); no other test of this binary stores files.
        let dir = std::env::temp_dir().join(format!("sigap_logistik_requests_{}_{}", std::process::id(), store.kind()));
        std::env::set_var("SIGAP_ATTACHMENTS_DIR", &dir);
        let files = |pid: i64| files_under(&dir.join("logistik/permintaan").join(pid.to_string()));
        let app = app(&store).await;
        sigap::logistics::load_demo(&store, &common::atlas(&store).await).await.unwrap();
        let logistik = tokens::create(&store, "logistik", None, None).await.unwrap();
        let balaikota = tokens::create(&store, "logistik", Some("BALAIKOTA"), None).await.unwrap();
        let sekretariat = tokens::create(&store, "sekretariat", None, None).await.unwrap();
        let unit = tokens::create(&store, "penerima", Some(UNIT), None).await.unwrap();
        let other_unit = tokens::create(&store, "penerima", Some("31.71.01.1002"), None).await.unwrap();
        let (masker, hazmat) = ("APD-MASKER-3PLY", "APD-HAZMAT");
        stock(&app, &logistik, "BALAIKOTA", "BAST/A", json!([{"barang": masker, "jumlah_diumumkan": 2000, "jumlah_diterima": 2000}])).await;
        stock(&app, &logistik, "DINSOS", "BAST/B", json!([{"barang": masker, "jumlah_diumumkan": 2000, "jumlah_diterima": 2000},
            {"barang": hazmat, "jumlah_diumumkan": 40, "jumlah_diterima": 40}])).await;

        let request = || json!({"unit": UNIT, "lon": 106.8272, "lat": -6.1754, "tempat": "Posko RW 03",
            "baris": [{"barang": masker, "jumlah": 2, "satuan": "box"}, {"barang": hazmat, "jumlah": 10}]});
        let p = call(&app, "POST", "/api/v1/logistik/permintaan", Some(&unit), Some("p-1"), Some(request())).await;
        assert_eq!(p.0, StatusCode::CREATED, "{}", p.1);
        assert_eq!((p.1["status"].as_str(), p.1["kelurahan"].as_str()), (Some("diajukan"), Some(UNIT)));
        assert_eq!(line(&p.1, masker)["diminta"], 100.0, "2 box of 50");
        let id = p.1["id"].as_i64().unwrap();
        assert_eq!(call(&app, "POST", "/api/v1/logistik/permintaan", Some(&unit), Some("p-1"), Some(request())).await.1, p.1, "replayed");
        // Without a point a kelurahan unit stands in its kelurahan.
        let own = call(&app, "POST", "/api/v1/logistik/permintaan", Some(&unit), None, Some(json!({"unit": UNIT, "baris": [{"barang": masker, "jumlah": 10}]}))).await;
        assert_eq!((own.0, own.1["kelurahan"].as_str()), (StatusCode::CREATED, Some(UNIT)), "{}", own.1);
        let returned_id = own.1["id"].as_i64().unwrap();

        // Bad requests: each names its field, nothing written.
        let snapshot = counts(&store, &TABLES).await;
        let with = |f: &dyn Fn(&mut Value)| {
            let mut b = request();
            f(&mut b);
            b
        };
        let post = |b: Value, t: &str| {
            let (app, t) = (app.clone(), t.to_string());
            async move { call(&app, "POST", "/api/v1/logistik/permintaan", Some(&t), None, Some(b)).await }
        };
        problem(&post(with(&|_| {}), &other_unit).await, 403, "unit");
        problem(&post(with(&|b| { b["lon"] = 110.4.into(); b["lat"] = (-7.0).into(); }), &unit).await, 422, "lon");
        let swapped = post(with(&|b| { b["lon"] = (-6.1754).into(); b["lat"] = 106.8272.into(); }), &unit).await;
        assert!(swapped.0 == StatusCode::UNPROCESSABLE_ENTITY && swapped.1["detail"].as_str().unwrap().contains("swapped"), "{}", swapped.1);
        problem(&post(with(&|b| { b.as_object_mut().unwrap().remove("lat"); }), &unit).await, 422, "lat");
        problem(&post(with(&|b| b["baris"][0]["jumlah"] = 0.into()), &unit).await, 422, "baris[0].jumlah");
        problem(&post(with(&|b| b["baris"][0]["jumlah"] = (-1).into()), &unit).await, 422, "baris[0].jumlah");
        problem(&post(with(&|b| { b["baris"][1]["jumlah"] = 1.5.into(); }), &unit).await, 422, "baris[1].jumlah");
        problem(&post(with(&|b| b["baris"][0]["satuan"] = "kg".into()), &unit).await, 422, "baris[0].satuan");
        problem(&post(with(&|b| b["baris"][0]["barang"] = "TIDAK-ADA".into()), &unit).await, 422, "baris[0].barang");
        problem(&post(with(&|b| b["baris"][1]["barang"] = masker.into()), &unit).await, 422, "baris[1].barang");
        problem(&post(with(&|b| b["baris"] = json!([])), &unit).await, 422, "baris");
        problem(&post(with(&|b| b["unit"] = "99.99".into()), &logistik).await, 403, "");
        assert_eq!(counts(&store, &TABLES).await, snapshot, "a refused request changed a table");

        // Verification: bad decisions refused, then a return with a reason and a part approval.
        let verify = |pid: i64, b: Value, t: &str| {
            let (app, t) = (app.clone(), t.to_string());
            async move { call(&app, "POST", &format!("/api/v1/logistik/permintaan/{pid}/verifikasi"), Some(&t), None, Some(b)).await }
        };
        let snapshot = counts(&store, &TABLES).await;
        problem(&verify(id, json!({"keputusan": "kembalikan", "versi": 1}), &logistik).await, 422, "alasan");
        problem(&verify(id, json!({"keputusan": "setuju", "versi": 1, "baris": [{"barang": masker, "jumlah": 80}]}), &logistik).await, 422, "alasan");
        problem(&verify(id, json!({"keputusan": "setuju", "versi": 1, "baris": [{"barang": masker, "jumlah": 101}], "alasan": "x"}), &logistik).await, 422, "baris[0].jumlah");
        problem(&verify(id, json!({"keputusan": "setuju", "versi": 1, "baris": [{"barang": "APD-MASKER-N95", "jumlah": 1}], "alasan": "x"}), &logistik).await, 422, "baris[0].barang");
        problem(&verify(id, json!({"keputusan": "setuju", "versi": 9}), &logistik).await, 409, "versi");
        problem(&verify(id, json!({"keputusan": "setuju", "versi": 1, "gudang": "BALAIKOTA"}), &logistik).await, 409, "gudang");
        problem(&verify(id, json!({"keputusan": "setuju", "versi": 1}), &balaikota).await, 409, "gudang");
        problem(&verify(id, json!({"keputusan": "setuju", "versi": 1, "gudang": "DINSOS"}), &balaikota).await, 403, "gudang");
        problem(&verify(id, json!({"keputusan": "setuju", "versi": 1}), &unit).await, 403, "");
        problem(&verify(999, json!({"keputusan": "setuju", "versi": 1}), &logistik).await, 404, "id");
        problem(&verify(id, json!({"keputusan": "kirim", "versi": 1}), &logistik).await, 422, "keputusan");
        assert_eq!(counts(&store, &TABLES).await, snapshot, "a refused verification changed a table");
        let back = verify(returned_id, json!({"keputusan": "kembalikan", "versi": 1, "alasan": "Sudah dipenuhi dari Dinkes"}), &logistik).await;
        assert_eq!(back.1["status"], "dikembalikan", "{}", back.1);

        // The unit resubmits the returned request with corrected lines; bad resubmissions and
        // other actors refused naming the field, nothing written.
        let ajukan = |pid: i64, b: Value, t: &str| {
            let (app, t) = (app.clone(), t.to_string());
            async move { call(&app, "POST", &format!("/api/v1/logistik/permintaan/{pid}/ajukan"), Some(&t), None, Some(b)).await }
        };
        let snapshot = counts(&store, &TABLES).await;
        let fixed = || json!({"versi": 2, "baris": [{"barang": masker, "jumlah": 5}], "catatan": "Jumlah dikoreksi"});
        problem(&ajukan(returned_id, fixed(), &other_unit).await, 403, "unit");
        problem(&ajukan(returned_id, fixed(), &logistik).await, 403, "");
        problem(&ajukan(returned_id, json!({"versi": 1}), &unit).await, 409, "versi");
        problem(&ajukan(id, json!({"versi": 1}), &unit).await, 409, "status");
        problem(&ajukan(returned_id, json!({"versi": 2, "baris": []}), &unit).await, 422, "baris");
        problem(&ajukan(returned_id, json!({"versi": 2, "baris": [{"barang": "TIDAK-ADA", "jumlah": 1}]}), &unit).await, 422, "baris[0].barang");
        problem(&ajukan(returned_id, json!({"versi": 2, "baris": [{"barang": masker, "jumlah": 0}]}), &unit).await, 422, "baris[0].jumlah");
        problem(&ajukan(returned_id, json!({"versi": 2, "catatan": "a\u{7}"}), &unit).await, 422, "catatan");
        problem(&ajukan(999, json!({"versi": 1}), &unit).await, 404, "id");
        assert_eq!(counts(&store, &TABLES).await, snapshot, "a refused resubmission changed a table");
        let again = ajukan(returned_id, fixed(), &unit).await;
        assert_eq!(again.0, StatusCode::OK, "{}", again.1);
        assert_eq!((again.1["status"].as_str(), again.1["versi"].as_i64(), again.1["baris"].as_array().map(Vec::len)), (Some("diajukan"), Some(3), Some(1)));
        assert_eq!(line(&again.1, masker)["diminta"], 5.0);
        let steps: Vec<(&str, Option<&str>)> = again.1["riwayat"].as_array().unwrap().iter().map(|r| (r["ke"].as_str().unwrap(), r["alasan"].as_str())).collect();
        assert_eq!(steps, [("diajukan", None), ("dikembalikan", Some("Sudah dipenuhi dari Dinkes")), ("diajukan", Some("Jumlah dikoreksi"))]);
        // Photos belong to the hand-over: none before dispatch.
        let early = call_raw(&app, "POST", &format!("/api/v1/logistik/permintaan/{returned_id}/foto"), Some(&unit), None, JPEG.to_vec()).await;
        assert_eq!((early.0, field(&early.1).as_str()), (StatusCode::CONFLICT, "status"));
        assert_eq!(files(returned_id), 0, "a refused photo left a file");
        // Part approval; no gudang named: the nearest holding everything is DINSOS (BALAIKOTA, nearer, has no hazmat).
        let ok = verify(id, json!({"keputusan": "setuju", "versi": 1, "baris": [{"barang": masker, "jumlah": 80}], "alasan": "Stok dibagi rata"}), &logistik).await;
        assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
        assert_eq!((ok.1["status"].as_str(), ok.1["gudang"].as_str(), line(&ok.1, masker)["disetujui"].as_f64(), line(&ok.1, hazmat)["disetujui"].as_f64()),
            (Some("disetujui"), Some("DINSOS"), Some(80.0), Some(10.0)));
        problem(&verify(id, json!({"keputusan": "setuju", "versi": 2}), &logistik).await, 409, "status");

        // Dispatch by the Sekretariat: stock leaves FEFO, exactly the approved quantities.
        let kirim = |b: Value, t: &str| {
            let (app, t) = (app.clone(), t.to_string());
            async move { call(&app, "POST", &format!("/api/v1/logistik/permintaan/{id}/kirim"), Some(&t), Some(&format!("k-{t}-{b}")), Some(b)).await }
        };
        problem(&kirim(json!({"versi": 2, "surat_jalan": "SJ/1"}), &logistik).await, 403, "");
        problem(&kirim(json!({"versi": 1, "surat_jalan": "SJ/1"}), &sekretariat).await, 409, "versi");
        problem(&kirim(json!({"versi": 2, "surat_jalan": ""}), &sekretariat).await, 422, "surat_jalan");
        let sent = kirim(json!({"versi": 2, "surat_jalan": "SJ/1"}), &sekretariat).await;
        assert_eq!(sent.0, StatusCode::OK, "{}", sent.1);
        assert_eq!(sent.1["status"], "dikirim");
        let lots: Vec<(&str, &str, f64)> = sent.1["kiriman"].as_array().unwrap().iter().map(|k| (k["barang"].as_str().unwrap(), k["lot"].as_str().unwrap(), k["jumlah"].as_f64().unwrap())).collect();
        assert_eq!(lots, [(hazmat, "BAST/B", 10.0), (masker, "BAST/B", 80.0)]);
        assert_eq!(saldo(&store, "DINSOS", masker).await, 1_920_000);
        assert_eq!(saldo(&store, "DINSOS", hazmat).await, 30_000);
        assert_eq!(saldo(&store, "BALAIKOTA", masker).await, 2_000_000, "the other gudang is untouched");

        // Photos of the hand-over by the receiving unit (through the AttachmentStore).
        let uri = format!("/api/v1/logistik/permintaan/{id}/foto");
        let up = call_raw(&app, "POST", &uri, Some(&unit), Some("pf-1"), JPEG.to_vec()).await;
        assert_eq!(up.0, StatusCode::CREATED, "{}", String::from_utf8_lossy(&up.1));
        let replay = call_raw(&app, "POST", &uri, Some(&unit), Some("pf-1"), JPEG.to_vec()).await;
        assert!(replay.0 == StatusCode::CREATED && replay.2 && replay.1 == up.1, "replayed");
        let fotos = [TABLES.as_slice(), &["logistik_foto"]].concat();
        let snapshot = counts(&store, &fotos).await;
        let refused = [
            (call_raw(&app, "POST", &uri, Some(&other_unit), None, PNG.to_vec()).await, StatusCode::FORBIDDEN, "unit"),
            (call_raw(&app, "POST", &uri, Some(&sekretariat), None, PNG.to_vec()).await, StatusCode::FORBIDDEN, ""),
            (call_raw(&app, "POST", &uri, Some(&unit), None, b"<html>not a photo</html>".to_vec()).await, StatusCode::UNSUPPORTED_MEDIA_TYPE, "body"),
            (call_raw(&app, "POST", &uri, Some(&unit), None, [PNG, &vec![0u8; 2 * 1024 * 1024]].concat()).await, StatusCode::PAYLOAD_TOO_LARGE, "body"),
            (call_raw(&app, "POST", &uri, Some(&unit), None, JPEG.to_vec()).await, StatusCode::CONFLICT, "body"),
        ];
        for (i, (r, status, f)) in refused.iter().enumerate() {
            assert_eq!((r.0, field(&r.1).as_str()), (*status, *f), "refusal {i}: {}", String::from_utf8_lossy(&r.1));
        }
        assert_eq!(counts(&store, &fotos).await, snapshot, "a refused photo was recorded");
        assert_eq!(files(id), 1, "one file for one recorded photo");
        let fid = serde_json::from_slice::<Value>(&up.1).unwrap()["id"].as_i64().unwrap();
        let got = call_raw(&app, "GET", &format!("{uri}/{fid}"), Some(&unit), None, Vec::new()).await;
        assert_eq!((got.0, got.1.as_slice()), (StatusCode::OK, JPEG));
        assert_eq!(call_raw(&app, "GET", &format!("{uri}/{fid}"), Some(&other_unit), None, Vec::new()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(call_raw(&app, "GET", &format!("{uri}/9999"), Some(&unit), None, Vec::new()).await.0, StatusCode::NOT_FOUND);

        // Confirmation by the unit: every line, sums equal to what was sent, its own request only.
        let terima = |b: Value, t: &str| {
            let (app, t) = (app.clone(), t.to_string());
            async move { call(&app, "POST", &format!("/api/v1/logistik/permintaan/{id}/terima"), Some(&t), None, Some(b)).await }
        };
        let good = || json!({"versi": 3, "bast_nomor": "BAST/UNIT/1", "bast_tanggal": day(0),
            "baris": [{"barang": masker, "diterima": 78, "rusak": 2}, {"barang": hazmat, "diterima": 10}]});
        let snapshot = counts(&store, &TABLES).await;
        problem(&terima(good(), &other_unit).await, 403, "unit");
        problem(&terima(good(), &sekretariat).await, 403, "");
        let mut b = good();
        b["baris"][0]["rusak"] = 1.into();
        problem(&terima(b, &unit).await, 422, "baris[0].diterima");
        let mut b = good();
        b["baris"].as_array_mut().unwrap().pop();
        problem(&terima(b, &unit).await, 422, "baris");
        let mut b = good();
        b["bast_tanggal"] = day(1).into();
        problem(&terima(b, &unit).await, 422, "bast_tanggal");
        let mut b = good();
        b["bast_nomor"] = " ".into();
        problem(&terima(b, &unit).await, 422, "bast_nomor");
        let mut b = good();
        b["versi"] = 2.into();
        problem(&terima(b, &unit).await, 409, "versi");
        assert_eq!(counts(&store, &TABLES).await, snapshot, "a refused confirmation changed a table");
        let done = terima(good(), &unit).await;
        assert_eq!(done.0, StatusCode::OK, "{}", done.1);
        assert_eq!((done.1["status"].as_str(), line(&done.1, masker)["rusak"].as_f64(), done.1["bast_nomor"].as_str()), (Some("diterima"), Some(2.0), Some("BAST/UNIT/1")));
        let mut twice = good();
        twice["versi"] = 4.into();
        problem(&terima(twice, &unit).await, 409, "status");
        let steps: Vec<&str> = done.1["riwayat"].as_array().unwrap().iter().map(|r| r["ke"].as_str().unwrap()).collect();
        assert_eq!(steps, ["diajukan", "disetujui", "dikirim", "diterima"]);
        assert_eq!(saldo(&store, "DINSOS", masker).await, 1_920_000, "confirmation moves no stock");
        // A photo with (after) the confirmation; the request answers its photos without storage keys.
        assert_eq!(call_raw(&app, "POST", &uri, Some(&unit), None, PNG.to_vec()).await.0, StatusCode::CREATED);
        let seen = call(&app, "GET", &format!("/api/v1/logistik/permintaan/{id}"), Some(&unit), None, None).await;
        assert_eq!(seen.1["foto"].as_array().map(Vec::len), Some(2), "{}", seen.1);
        assert!(seen.1["foto"][0].get("storage_key").is_none());

        // Reads: the unit sees its own requests only.
        let mine = call(&app, "GET", "/api/v1/logistik/permintaan", Some(&unit), None, None).await;
        assert_eq!(mine.1.as_array().map(Vec::len), Some(2), "{}", mine.1);
        assert_eq!(call(&app, "GET", "/api/v1/logistik/permintaan", Some(&other_unit), None, None).await.1, json!([]));
        problem(&call(&app, "GET", &format!("/api/v1/logistik/permintaan?unit={UNIT}"), Some(&other_unit), None, None).await, 403, "unit");
        problem(&call(&app, "GET", &format!("/api/v1/logistik/permintaan/{id}"), Some(&other_unit), None, None).await, 403, "unit");
        assert_eq!(call(&app, "GET", "/api/v1/logistik/permintaan?status=dikembalikan", Some(&logistik), None, None).await.1, json!([]));
        assert_eq!(call(&app, "GET", "/api/v1/logistik/permintaan?status=diajukan", Some(&logistik), None, None).await.1.as_array().map(Vec::len), Some(1), "the resubmitted one");

        // The reports, the public recap and the gudang map layer of what this flow did.
        reports_of_the_flow(&app, &store, &unit).await;
    })
    .await;
}

/// A raw GET: status, content type, body.
async fn get_raw(app: &axum::Router, uri: &str, token: Option<&str>) -> (StatusCode, String, Vec<u8>) {
    use tower::ServiceExt;
    let mut req = axum::http::Request::get(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = app.clone().oneshot(req.body(axum::body::Body::empty()).unwrap()).await.unwrap();
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let status = res.status();
    (status, ct, http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes().to_vec())
}

/// After the flow: receipts of 2000 masker at BALAIKOTA, 2000 masker + 40 hazmat at DINSOS, and a
/// dispatch of 80 masker + 10 hazmat from DINSOS to `UNIT`.
async fn reports_of_the_flow(app: &axum::Router, store: &Store, unit: &str) {
    let ketua = tokens::create(store, "ketua_harian", None, None).await.unwrap();
    let akuntabilitas = tokens::create(store, "akuntabilitas", None, None).await.unwrap();
    let (masker, hazmat) = ("APD-MASKER-3PLY", "APD-HAZMAT");
    let r = call(app, "GET", "/api/v1/logistik/laporan", Some(&ketua), None, None).await;
    assert_eq!(r.0, StatusCode::OK, "{}", r.1);
    let fig = |rows: &Value, barang: &str| -> (f64, f64, f64) {
        let b = rows.as_array().unwrap().iter().find(|b| b["barang"] == barang).unwrap_or_else(|| panic!("{barang} in {rows}"));
        (b["tersedia"].as_f64().unwrap(), b["diterima"].as_f64().unwrap(), b["disalurkan"].as_f64().unwrap())
    };
    assert_eq!(fig(&r.1["per_barang"], masker), (3920.0, 4000.0, 80.0));
    assert_eq!(fig(&r.1["per_barang"], hazmat), (30.0, 40.0, 10.0));
    let dinsos: Vec<&Value> = r.1["per_gudang"].as_array().unwrap().iter().filter(|g| g["gudang"] == "DINSOS").collect();
    assert_eq!(dinsos.len(), 2, "{}", r.1);
    let units: Vec<(&str, &str, f64)> = r.1["per_unit"].as_array().unwrap().iter().map(|u| (u["unit"].as_str().unwrap(), u["barang"].as_str().unwrap(), u["disalurkan"].as_f64().unwrap())).collect();
    assert_eq!(units, [(UNIT, hazmat, 10.0), (UNIT, masker, 80.0)]);
    let kota_masker: f64 = r.1["per_kota"].as_array().unwrap().iter().filter(|k| k["barang"] == masker).map(|k| k["tersedia"].as_f64().unwrap()).sum();
    assert_eq!(kota_masker, 3920.0, "per kota adds up to the total");
    let pusat = r.1["per_kota"].as_array().unwrap().iter().find(|k| k["kota"] == "31.71" && k["barang"] == masker).unwrap();
    assert_eq!((pusat["kota_nama"].as_str().map(|n| n.contains("Pusat")), pusat["disalurkan"].as_f64()), (Some(true), Some(80.0)), "{pusat}");
    // The stock at the end of today from the ledger equals the balances the report read.
    let today = sigap::logistics::model::jakarta_today();
    let p = sigap::logistics::laporan::Periode { dari: today, sampai: today };
    assert_eq!(sigap::logistics::store::stok_akhir(store, p.akhir(), today).await.unwrap(), sigap::logistics::store::stok_kini(store, today).await.unwrap());
    // A past period (before any of it) is empty, read from the ledger.
    let past = call(app, "GET", &format!("/api/v1/logistik/laporan?dari={}&sampai={}", day(-3), day(-1)), Some(&akuntabilitas), None, None).await;
    assert_eq!((past.0, past.1["per_barang"].clone(), past.1["dari"].as_str()), (StatusCode::OK, json!([]), Some(day(-3).as_str())));

    // CSV and XLSX carry the same figures.
    let (s, ct, csv) = get_raw(app, "/api/v1/logistik/laporan?format=csv", Some(&ketua)).await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "text/csv; charset=utf-8"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.lines().any(|l| l.starts_with("per_barang,,,,,APD-MASKER-3PLY,") && l.ends_with(",3920,0,4000,80")), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("per_unit,,31.71,") && l.contains(UNIT)), "{csv}");
    let (s, ct, xlsx) = get_raw(app, "/api/v1/logistik/laporan?format=xlsx", Some(&akuntabilitas)).await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    assert_eq!(calamine::Reader::sheet_names(&wb), ["Ringkasan", "Per barang", "Per gudang", "Per kota", "Per unit"]);
    let sheet = calamine::Reader::worksheet_range(&mut wb, "Per barang").unwrap();
    let row = sheet.rows().find(|r| r[4] == masker).expect("masker row");
    let nums: Vec<f64> = row[7..11].iter().map(|c| c.to_string().parse().unwrap()).collect();
    assert_eq!(nums, [3920.0, 0.0, 4000.0, 80.0]);
    assert_eq!(sheet.rows().next().unwrap()[0].to_string(), "gudang");

    // Bad periods, formats and readers.
    for (uri, status, field) in [
        (format!("/api/v1/logistik/laporan?dari={}&sampai={}", day(-1), day(-2)), 422, "dari"),
        (format!("/api/v1/logistik/laporan?sampai={}", day(1)), 422, "sampai"),
        ("/api/v1/logistik/laporan?dari=1-11-2026".to_string(), 422, "dari"),
        ("/api/v1/logistik/laporan?format=pdf".to_string(), 400, "format"),
        ("/api/v1/logistik/laporan?bulan=11".to_string(), 400, "bulan"),
    ] {
        problem(&call(app, "GET", &uri, Some(&ketua), None, None).await, status, field);
    }
    problem(&call(app, "GET", "/api/v1/logistik/laporan", Some(unit), None, None).await, 403, "");
    assert_eq!(call(app, "GET", "/api/v1/logistik/laporan", None, None, None).await.0, StatusCode::UNAUTHORIZED);

    // The public recap: per item and kota only, no token, no unit, no actor.
    let (s, _, body) = get_raw(app, "/api/v1/publik/logistik/rekap", None).await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(body).unwrap();
    let rekap: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(fig(&rekap["per_barang"], masker), (3920.0, 4000.0, 80.0));
    assert!(rekap.get("per_unit").is_none() && rekap.get("per_gudang").is_none());
    for secret in [UNIT, "token:", "penerima", "Donatur", "BAST/"] {
        assert!(!text.contains(secret), "the public recap shows {secret}: {text}");
    }
    problem(&call(app, "GET", &format!("/api/v1/publik/logistik/rekap?sampai={}", day(1)), None, None, None).await, 422, "sampai");
    let (s, ct, page) = get_raw(app, "/publik/logistik", None).await;
    let page = String::from_utf8(page).unwrap();
    assert!(s == StatusCode::OK && ct.starts_with("text/html") && page.contains("Rekap Logistik") && page.contains("3.920"), "{page}");
    assert!(!page.contains(UNIT));

    // The gudang layer of the public map: DINSOS with its largest balance first.
    let g = call(app, "GET", "/api/v1/logistik/gudang/DINSOS", None, None, None).await.1;
    let (x, y) = sigap::tiles::tile::to_world(g["lon"].as_f64().unwrap(), g["lat"].as_f64().unwrap());
    let n = (1u64 << 14) as f64;
    let (s, _, tile) = get_raw(app, &format!("/tiles/gudang/14/{}/{}.mvt", (x * n) as u32, (y * n) as u32), None).await;
    assert_eq!(s, StatusCode::OK);
    let layers = sigap::tiles::mvt::decode(&tile).unwrap();
    let f = layers[0].2.iter().find(|f| f.prop("kode").and_then(sigap::tiles::mvt::Prop::as_str) == Some("DINSOS")).expect("DINSOS on the map");
    assert_eq!(f.prop("barang_1").and_then(sigap::tiles::mvt::Prop::as_str), Some(masker));
    assert_eq!(f.prop("stok_1"), Some(&sigap::tiles::mvt::Prop::Double(1920.0)));
    assert_eq!(f.prop("jumlah_barang"), Some(&sigap::tiles::mvt::Prop::Int(2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_dispatches_of_the_last_hundred_on_both_stores() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        sigap::logistics::load_demo(&store, &common::atlas(&store).await).await.unwrap();
        let logistik = tokens::create(&store, "logistik", None, None).await.unwrap();
        let sekretariat = tokens::create(&store, "sekretariat", None, None).await.unwrap();
        let unit = tokens::create(&store, "penerima", Some(UNIT), None).await.unwrap();
        let n95 = "APD-MASKER-N95";
        stock(&app, &logistik, "BALAIKOTA", "BAST/N95", json!([{"barang": n95, "lot": "N1", "kedaluwarsa": day(30), "jumlah_diumumkan": 60, "jumlah_diterima": 60},
            {"barang": n95, "lot": "N2", "jumlah_diumumkan": 40, "jumlah_diterima": 40}])).await;
        let mut ids = Vec::new();
        for _ in 0..20 {
            let p = call(&app, "POST", "/api/v1/logistik/permintaan", Some(&unit), None, Some(json!({"unit": UNIT, "baris": [{"barang": n95, "jumlah": 10}]}))).await;
            let id = p.1["id"].as_i64().unwrap();
            let v = call(&app, "POST", &format!("/api/v1/logistik/permintaan/{id}/verifikasi"), Some(&logistik), None, Some(json!({"keputusan": "setuju", "versi": 1, "gudang": "BALAIKOTA"}))).await;
            assert_eq!(v.0, StatusCode::OK, "{}", v.1);
            ids.push(id);
        }
        let clients: Vec<_> = ids
            .into_iter()
            .map(|id| {
                let (app, t) = (app.clone(), sekretariat.clone());
                tokio::spawn(async move { call(&app, "POST", &format!("/api/v1/logistik/permintaan/{id}/kirim"), Some(&t), Some(&format!("sj-{id}")), Some(json!({"versi": 2, "surat_jalan": format!("SJ/{id}")}))).await })
            })
            .collect();
        let mut ok = 0;
        for c in clients {
            let res = c.await.unwrap();
            match res.0 {
                StatusCode::OK => ok += 1,
                StatusCode::CONFLICT => {
                    assert_eq!(res.1["field"], "jumlah", "{}", res.1);
                    assert!(res.1["detail"].as_str().unwrap().contains("available"), "{}", res.1);
                }
                other => panic!("unexpected {other}: {}", res.1),
            }
        }
        assert_eq!(ok, 10, "exactly 100 pcs leave");
        assert_eq!(saldo(&store, "BALAIKOTA", n95).await, 0);
        let out: i64 = sigap::on_pool!(&store, p => sqlx::query_scalar::<_, i64>("SELECT CAST(COALESCE(SUM(jumlah), 0) AS BIGINT) FROM logistik_mutasi WHERE jenis = 'pengeluaran'").fetch_one(p).await.unwrap());
        assert_eq!(out, -100_000);
        assert_eq!(count(&store, "logistik_permintaan WHERE status = 'dikirim'").await, 10);
    })
    .await;
}

/// `sigap logistik penerimaan|mutasi|stok|permintaan …` and `sigap report logistics` on both
/// stores, through the same `ops` as HTTP: a receipt and a write-off booked from JSON files, a
/// request approved, dispatched and confirmed from the terminal; bad input refused naming the
/// field with nothing written.
#[tokio::test]
async fn cli_receipts_movements_requests_and_report_on_both_stores() {
    use sigap::logistics::cli::{laporan_cmd, run, LaporanArgs, LogistikCommand as L, MutasiCmd, PenerimaanCmd, PermintaanCmd as P};
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let atlas = common::atlas(&store).await;
        sigap::logistics::load_demo(&store, &atlas).await.unwrap();
        let unit = tokens::create(&store, "penerima", Some(UNIT), None).await.unwrap();
        let dir = std::env::temp_dir().join(format!("sigap_logistik_cli_{}_{}", std::process::id(), store.kind()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = |name: &str, v: Value| {
            let p = dir.join(name);
            std::fs::write(&p, v.to_string()).unwrap();
            p
        };
        let masker = "APD-MASKER-3PLY";
        let receipt = json!({"gudang": "BALAIKOTA", "pengirim": "Donatur", "bast_nomor": "BAST/CLI/1", "bast_tanggal": day(0),
            "baris": [{"barang": masker, "lot": "L1", "jumlah_diumumkan": 500, "jumlah_diterima": 500}]});
        run(&store, L::Penerimaan(PenerimaanCmd::Book { file: file("r.json", receipt.clone()) })).await.unwrap();
        assert_eq!(saldo(&store, "BALAIKOTA", masker).await, 500_000);
        // The same BAST again, and a file that is not the API's body: refused, nothing written.
        let snapshot = counts(&store, &TABLES).await;
        let again = run(&store, L::Penerimaan(PenerimaanCmd::Book { file: file("r.json", receipt) })).await.unwrap_err().to_string();
        assert!(again.starts_with("bast_nomor:"), "{again}");
        let unknown = run(&store, L::Penerimaan(PenerimaanCmd::Book { file: file("x.json", json!({"gudang": "BALAIKOTA", "warna": "merah"})) })).await.unwrap_err().to_string();
        assert!(unknown.contains("warna"), "{unknown}");
        let wo = run(&store, L::Mutasi(MutasiCmd::Book { file: file("m.json", json!({"jenis": "penghapusan", "gudang": "BALAIKOTA", "barang": masker, "lot": "L1", "jumlah": 501, "alasan_hapus": "rusak"})) })).await.unwrap_err().to_string();
        assert!(wo.starts_with("jumlah:"), "{wo}");
        assert_eq!(counts(&store, &TABLES).await, snapshot, "a refused CLI write changed a table");
        run(&store, L::Mutasi(MutasiCmd::Book { file: file("m.json", json!({"jenis": "penghapusan", "gudang": "BALAIKOTA", "barang": masker, "lot": "L1", "jumlah": 100, "alasan_hapus": "rusak"})) })).await.unwrap();
        assert_eq!(saldo(&store, "BALAIKOTA", masker).await, 400_000);
        for cmd in [L::Penerimaan(PenerimaanCmd::List { gudang: None }), L::Penerimaan(PenerimaanCmd::Show { id: 1 }), L::Mutasi(MutasiCmd::List { gudang: None, barang: None, lot: None, limit: 10 }),
            L::Stok { gudang: None, barang: None, hari: None, kedaluwarsa: false }, L::Permintaan(P::List { status: None, unit: None })] {
            run(&store, cmd).await.unwrap();
        }
        assert!(run(&store, L::Penerimaan(PenerimaanCmd::Show { id: 99 })).await.unwrap_err().to_string().starts_with("id:"));
        assert!(run(&store, L::Stok { gudang: None, barang: None, hari: Some(-1), kedaluwarsa: false }).await.unwrap_err().to_string().starts_with("--hari"));

        // A unit's request from the terminal (the API's body in a file): an unknown item, a point
        // outside Jakarta, a zero quantity and an unknown unit are refused naming their field, with
        // nothing written; then the good one. The API's request follows the same `ops`.
        let snapshot = counts(&store, &TABLES).await;
        for (body, says) in [
            (json!({"unit": UNIT, "baris": [{"barang": "TIDAK-ADA", "jumlah": 3}]}), "baris[0].barang:"),
            (json!({"unit": UNIT, "lon": 107.6098, "lat": -6.9147, "baris": [{"barang": masker, "jumlah": 3}]}), "lon:"),
            (json!({"unit": UNIT, "lon": -6.2, "lat": 106.8, "baris": [{"barang": masker, "jumlah": 3}]}), "lat: lat = 106.8 is out of range (-90..90); lon and lat look swapped"),
            (json!({"unit": UNIT, "baris": [{"barang": masker, "jumlah": 0}]}), "baris[0].jumlah:"),
            (json!({"unit": "99.99", "baris": [{"barang": masker, "jumlah": 3}]}), "unit:"),
        ] {
            let e = run(&store, L::Permintaan(P::Buat { file: file("p.json", body) })).await.unwrap_err().to_string();
            assert!(e.starts_with(says), "{says}: {e}");
        }
        assert_eq!(counts(&store, &TABLES).await, snapshot, "a refused CLI request changed a table");
        run(&store, L::Permintaan(P::Buat { file: file("p.json", json!({"unit": UNIT, "tempat": "Posko RW 01", "baris": [{"barang": masker, "jumlah": 300}]})) })).await.unwrap();
        let id: i64 = sigap::on_pool!(&store, p => sqlx::query_scalar::<_, i64>("SELECT MAX(id) FROM logistik_permintaan").fetch_one(p).await.unwrap());
        assert_eq!(count(&store, "logistik_permintaan WHERE status = 'diajukan'").await, 1);
        let p = call(&app, "GET", &format!("/api/v1/logistik/permintaan/{id}"), Some(&unit), None, None).await;
        assert_eq!((p.1["unit"].as_str(), p.1["status"].as_str()), (Some(UNIT), Some("diajukan")), "{}", p.1);
        let snapshot = counts(&store, &TABLES).await;
        for (cmd, says) in [
            (P::Verifikasi { id, versi: 1, kembalikan: true, gudang: None, baris: vec![], alasan: None }, "alasan:"),
            (P::Verifikasi { id, versi: 2, kembalikan: false, gudang: None, baris: vec![], alasan: None }, "versi:"),
            (P::Verifikasi { id, versi: 1, kembalikan: false, gudang: None, baris: vec!["APD-MASKER-3PLY:10".into()], alasan: None }, "--baris"),
            (P::Kirim { id, versi: 1, surat_jalan: "SJ/CLI".into() }, "status:"),
            (P::Ajukan { id, versi: 1, catatan: None }, "status:"),
        ] {
            let e = run(&store, L::Permintaan(cmd)).await.unwrap_err().to_string();
            assert!(e.starts_with(says), "{says}: {e}");
        }
        assert_eq!(counts(&store, &TABLES).await, snapshot, "a refused step changed a table");
        run(&store, L::Permintaan(P::Verifikasi { id, versi: 1, kembalikan: false, gudang: Some("BALAIKOTA".into()), baris: vec![format!("{masker}=250")], alasan: Some("Stok terbatas".into()) })).await.unwrap();
        run(&store, L::Permintaan(P::Kirim { id, versi: 2, surat_jalan: "SJ/CLI".into() })).await.unwrap();
        assert_eq!(saldo(&store, "BALAIKOTA", masker).await, 150_000, "250 left FEFO");
        let bad = run(&store, L::Permintaan(P::Terima { id, file: file("t.json", json!({"versi": 3, "bast_nomor": "BAST/U/CLI", "bast_tanggal": day(0), "baris": [{"barang": masker, "diterima": 200}]})) })).await.unwrap_err().to_string();
        assert!(bad.starts_with("baris[0].diterima:"), "{bad}");
        run(&store, L::Permintaan(P::Terima { id, file: file("t.json", json!({"versi": 3, "bast_nomor": "BAST/U/CLI", "bast_tanggal": day(0), "baris": [{"barang": masker, "diterima": 250}]})) })).await.unwrap();
        run(&store, L::Permintaan(P::Show { id })).await.unwrap();
        assert_eq!(count(&store, "logistik_permintaan WHERE status = 'diterima'").await, 1);

        // The report from the terminal: XLSX to a file, read back; bad periods and formats refused.
        let out = dir.join("laporan.xlsx");
        let args = |from: Option<String>, to: Option<String>, format, out: Option<std::path::PathBuf>| LaporanArgs { from, to, format, out };
        use sigap::logistics::laporan::Format;
        laporan_cmd(&store, &atlas, args(Some(day(0)), Some(day(0)), Format::Xlsx, Some(out.clone()))).await.unwrap();
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
        let sheet = calamine::Reader::worksheet_range(&mut wb, "Per unit").unwrap();
        let row = sheet.rows().nth(1).expect("one unit line");
        assert_eq!((row[3].to_string(), row[10].to_string()), (UNIT.to_string(), "250".to_string()));
        assert!(laporan_cmd(&store, &atlas, args(None, None, Format::Xlsx, None)).await.unwrap_err().to_string().contains("--out"));
        assert!(laporan_cmd(&store, &atlas, args(Some(day(0)), Some(day(-1)), Format::Json, None)).await.unwrap_err().to_string().starts_with("--from"));
        assert!(laporan_cmd(&store, &atlas, args(None, Some(day(1)), Format::Csv, None)).await.unwrap_err().to_string().starts_with("--to"));
        laporan_cmd(&store, &atlas, args(None, None, Format::Csv, Some(dir.join("l.csv")))).await.unwrap();
        assert!(std::fs::read_to_string(dir.join("l.csv")).unwrap().contains("per_unit,,31.71,"));
    })
    .await;
}
