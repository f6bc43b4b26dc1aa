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

#[tokio::test]
async fn request_verify_dispatch_confirm_on_both_stores() {
    testing::for_each_store(|store| async move {
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

        // Reads: the unit sees its own requests only.
        let mine = call(&app, "GET", "/api/v1/logistik/permintaan", Some(&unit), None, None).await;
        assert_eq!(mine.1.as_array().map(Vec::len), Some(2), "{}", mine.1);
        assert_eq!(call(&app, "GET", "/api/v1/logistik/permintaan", Some(&other_unit), None, None).await.1, json!([]));
        problem(&call(&app, "GET", &format!("/api/v1/logistik/permintaan?unit={UNIT}"), Some(&other_unit), None, None).await, 403, "unit");
        problem(&call(&app, "GET", &format!("/api/v1/logistik/permintaan/{id}"), Some(&other_unit), None, None).await, 403, "unit");
        assert_eq!(call(&app, "GET", "/api/v1/logistik/permintaan?status=dikembalikan", Some(&logistik), None, None).await.1.as_array().map(Vec::len), Some(1));
    })
    .await;
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
