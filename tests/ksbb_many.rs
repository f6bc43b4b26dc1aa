//! KSBB under many clients, on both stores (issue 13): concurrent Konfirmasi at the same site by
//! the same collaborators (every ID unique and the numbers of the year gap-free: a refused
//! submission draws none), concurrent repayment reports that together would exceed what was
//! disbursed (exactly the ones that fit succeed, the rest 422 naming the amount, never a 500),
//! concurrent resolution of one flag (one wins, the rest 409). Then the Realisasi CLI on what
//! they wrote: lists, one report, the repayment state, flags and their resolution, bad input
//! beside good, nothing written on refusal. One flow, one fixture.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sigap::api::{self, AppState, Config};
use sigap::ksbb::cli::{run, KsbbCommand};
use sigap::ksbb::{model, ops, store as kstore};
use sigap::store::{testing, tokens, Store};
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

async fn post(app: &axum::Router, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let req = Request::builder().method("POST").uri(uri).header("content-type", "application/json").header("authorization", format!("Bearer {token}"));
    let res = app.clone().oneshot(req.body(Body::from(body.to_string())).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Sends every body at once (each on its own task) and answers in the order given.
async fn all_at_once(app: &axum::Router, uri: &str, calls: Vec<(String, Value)>) -> Vec<(StatusCode, Value)> {
    let tasks: Vec<_> = calls
        .into_iter()
        .map(|(token, body)| {
            let (app, uri) = (app.clone(), uri.to_string());
            tokio::spawn(async move { post(&app, &uri, &token, body).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn audit_count(store: &Store, action: &str) -> i64 {
    sigap::on_pool!(store, p => { use sqlx::Row; sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = $1").bind(action).fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() })
}

fn disbursement(id: &str, tanggal: &str, lines: &[(&str, i64)]) -> Value {
    json!({"id_kolaborasi": id, "jenis": "disbursement", "nomor_dokumen": format!("INV-{id}"), "tanggal": tanggal, "econtract": format!("EC-{id}"),
        "umkm": lines.iter().map(|(k, n)| json!({"kode": k, "jumlah": n})).collect::<Vec<_>>()})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_clients_and_the_realisasi_cli_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let at = atlas(&store).await;
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas(&store).await), Arc::new(Config::default())));
        let citata = tokens::create(&store, "citata", None, None).await.unwrap();
        let bk = tokens::create(&store, "bidang_kolaborasi", None, None).await.unwrap();
        for (kode, lon, lat) in [("LOKBIN-M1", 106.8272, -6.1754), ("LOKBIN-M2", 106.8650, -6.1380)] {
            let s = json!({"kode": kode, "nama": kode, "jenis": "lokbin", "lon": lon, "lat": lat, "kapasitas": 30});
            assert_eq!(post(&app, "/api/v1/ksbb/sites", &citata, s).await.0, StatusCode::CREATED);
        }
        let mut tx = store.begin().await.unwrap();
        ops::retire_site(&mut tx, "LOKBIN-M2", 1, "ditutup", "test").await.unwrap();
        let table = model::csv_table("kode,nama_usaha,nama_pemilik,sektor,dinas,status_verifikasi,lokasi\nU-1,Warung Satu,Budi,kuliner,ppkukm,terverifikasi,LOKBIN-M1\n\
                                      U-2,Warung Dua,Sari,kuliner,ppkukm,terverifikasi,LOKBIN-M1\n").unwrap();
        ops::import_umkm(&mut tx, &at, &table, ops::ImportMode { dry_run: false, skip_invalid: false }, "test", false, &|_, _| {}).await.unwrap();
        tx.commit().await.unwrap();
        let donatur = approved_kolaborator(&store, json!({"jenis": "donatur", "nama": "Donatur M", "kontak_nama": "D", "kontak_email": "d@x.id"}), "PKS/M/D").await;
        let fintech = approved_kolaborator(&store, json!({"jenis": "fintech", "nama": "PT Fintech M", "badan_hukum": "PT", "nomor_badan_hukum": "AHU-M-F",
            "nomor_ojk": "KEP-M/2020", "kontak_nama": "F", "kontak_email": "f@x.id"}), "PKS/M/F").await;
        let td = tokens::create(&store, "kolaborator", Some(&donatur.to_string()), None).await.unwrap();
        let tf = tokens::create(&store, "kolaborator", Some(&fintech.to_string()), None).await.unwrap();

        // 1. Twelve Konfirmasi at once at the same site: nine goods by the donatur, two loans by
        // the fintech, and two at a retired site (refused, drawing no number).
        let goods = |lokasi: &str| json!({"bentuk": "sarana", "uraian": "Gerobak", "lokasi": [lokasi], "jadwal_mulai": "2026-12-01", "jadwal_selesai": "2026-12-15",
            "nilai_per_paket": 1_500_000, "jumlah_paket": 10});
        let loan = json!({"bentuk": "pinjaman", "uraian": "Modal kerja", "lokasi": ["LOKBIN-M1"], "jadwal_mulai": "2026-12-01", "jadwal_selesai": "2027-06-01",
            "jumlah_pinjaman": 2_000_000, "biaya_admin": 10_000, "jadwal_akad": "2026-12-05", "draf_econtract": "EC/DRAFT/M",
            "penerima": [{"kode": "U-1", "plafon": 1_000_000}, {"kode": "U-2", "plafon": 500_000}]});
        let mut calls: Vec<(String, Value)> = (0..8).map(|_| (td.clone(), goods("LOKBIN-M1"))).collect();
        calls.extend([(tf.clone(), loan.clone()), (td.clone(), goods("LOKBIN-M2")), (tf.clone(), loan.clone()), (td.clone(), goods("LOKBIN-M2"))]);
        let answers = all_at_once(&app, "/api/v1/ksbb/konfirmasi", calls).await;
        let mut ids = Vec::new();
        let mut loans = Vec::new();
        for (i, (s, b)) in answers.iter().enumerate() {
            match *s {
                StatusCode::CREATED => {
                    ids.push(b["id_kolaborasi"].as_str().unwrap().to_string());
                    if b["bentuk"] == "pinjaman" {
                        loans.push(b["id_kolaborasi"].as_str().unwrap().to_string());
                    }
                }
                StatusCode::UNPROCESSABLE_ENTITY => assert!([9, 11].contains(&i) && b["field"] == "lokasi[0]", "{i}: {b}"),
                other => panic!("client {i}: {other} {b}"),
            }
        }
        ids.sort();
        let year = model::jakarta_year();
        let want: Vec<String> = (1..=10).map(|n| format!("KSBB-{year}-{n:06}")).collect();
        assert_eq!(ids, want, "ten IDs, unique and gap-free: the refused two drew no number");
        assert_eq!(kstore::konfirmasi_count(&store).await.unwrap(), 10);
        assert_eq!(loans.len(), 2);
        let (l1, l2) = (loans[0].clone(), loans[1].clone());

        // 2. A loan disbursed (1.000.000 to U-1), then ten repayment reports at once of 300.000
        // each for ten periods: exactly three fit, the other seven are 422 naming the amount.
        let d = post(&app, "/api/v1/ksbb/realisasi", &tf, disbursement(&l1, "2026-12-06", &[("U-1", 1_000_000)])).await;
        assert_eq!(d.0, StatusCode::CREATED, "{}", d.1);
        let calls = (1..=10)
            .map(|m| {
                let periode = if m <= 1 { "2026-12".to_string() } else { format!("2027-{:02}", m - 1) };
                (tf.clone(), json!({"id_kolaborasi": l1, "jenis": "angsuran", "nomor_dokumen": format!("INV-A-{periode}"), "tanggal": "2027-01-05", "periode": periode,
                    "umkm": [{"kode": "U-1", "jumlah": 300_000, "status": "lancar"}]}))
            })
            .collect();
        let answers = all_at_once(&app, "/api/v1/ksbb/realisasi", calls).await;
        let ok = answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
        for (s, b) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
            assert_eq!((*s, b["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("umkm[0].jumlah")), "{b}");
        }
        assert_eq!(ok, 3, "exactly the reports that fit under the disbursed amount");
        let state = ops::pelunasan(&ops::realisasi_list(&store, None, Some(&l1)).await.unwrap());
        assert_eq!((state[0].disalurkan, state[0].dibayar, state[0].sisa), (1_000_000, 900_000, 100_000), "{state:?}");

        // 3. Two disbursements dated outside their schedule raise two flags; eight clients
        // resolve the first at once: one wins, seven get 409, one audit entry.
        for (tanggal, kode, jumlah) in [("2027-07-01", "U-1", 200_000), ("2027-08-01", "U-2", 100_000)] {
            let mut body = disbursement(&l2, tanggal, &[(kode, jumlah)]);
            body["nomor_dokumen"] = format!("INV-{tanggal}").into();
            let r = post(&app, "/api/v1/ksbb/realisasi", &tf, body).await;
            assert_eq!(r.0, StatusCode::CREATED, "{}", r.1);
        }
        let flags = kstore::flags(&store, Some(fintech), Some("terbuka")).await.unwrap();
        assert_eq!(flags.len(), 2, "{flags:?}");
        let (f1, f2) = (flags[0].id, flags[1].id);
        let calls = (0..8).map(|i| (bk.clone(), json!({"catatan": format!("Dikonfirmasi ke fintech, klien {i}")}))).collect();
        let answers = all_at_once(&app, &format!("/api/v1/ksbb/flags/{f1}/resolve"), calls).await;
        let won: Vec<&Value> = answers.iter().filter(|(s, _)| *s == StatusCode::OK).map(|(_, b)| b).collect();
        assert_eq!(won.len(), 1, "{answers:?}");
        for (s, b) in answers.iter().filter(|(s, _)| *s != StatusCode::OK) {
            assert_eq!((*s, b["field"].as_str()), (StatusCode::CONFLICT, Some("id")), "{b}");
        }
        let stored = kstore::flags(&store, Some(fintech), Some("selesai")).await.unwrap();
        assert_eq!((stored.len(), &stored[0].catatan), (1, &won[0]["catatan"].as_str().map(str::to_string)), "the winner's note is kept");
        assert_eq!(audit_count(&store, "ksbb.flag.resolve").await, 1);

        // 4. The CLI reads what the API wrote, through the same reads and ops.
        run(&store, KsbbCommand::Realisasi { id_kolaborasi: Some(l1.clone()), kolaborator: None, jenis: Some("angsuran".into()), json: false }).await.unwrap();
        run(&store, KsbbCommand::Realisasi { id_kolaborasi: None, kolaborator: Some(fintech), jenis: None, json: true }).await.unwrap();
        let first = d.1["id"].as_i64().unwrap();
        run(&store, KsbbCommand::RealisasiShow { id: first, json: false }).await.unwrap();
        run(&store, KsbbCommand::Angsuran { id_kolaborasi: None, kolaborator: Some(fintech) }).await.unwrap();
        run(&store, KsbbCommand::Flags { kolaborator: Some(fintech), status: Some("terbuka".into()) }).await.unwrap();
        // Bad input: each an error, nothing written.
        let before = (audit_count(&store, "ksbb.flag.resolve").await, kstore::flags(&store, None, Some("terbuka")).await.unwrap().len());
        for (cmd, why) in [
            (KsbbCommand::Realisasi { id_kolaborasi: None, kolaborator: None, jenis: Some("hibah".into()), json: false }, "--jenis"),
            (KsbbCommand::RealisasiShow { id: 9999, json: false }, "no Realisasi"),
            (KsbbCommand::Flags { kolaborator: None, status: Some("dibuka".into()) }, "--status"),
            (KsbbCommand::FlagResolve { id: f2, catatan: "  ".into() }, "--catatan"),
            (KsbbCommand::FlagResolve { id: f2, catatan: "a\u{0}b".into() }, "--catatan"),
            (KsbbCommand::FlagResolve { id: 9999, catatan: "tidak ada".into() }, "no flag"),
            (KsbbCommand::FlagResolve { id: f1, catatan: "lagi".into() }, "already resolved"),
        ] {
            let e = run(&store, cmd).await.unwrap_err().to_string();
            assert!(e.contains(why), "{why}: {e}");
        }
        assert_eq!((audit_count(&store, "ksbb.flag.resolve").await, kstore::flags(&store, None, Some("terbuka")).await.unwrap().len()), before, "a refusal wrote something");
        // Good: the second flag resolved from the CLI, audited like the API's.
        run(&store, KsbbCommand::FlagResolve { id: f2, catatan: "Jadwal diperpanjang lewat adendum PKS".into() }).await.unwrap();
        let f = kstore::flags(&store, Some(fintech), Some("selesai")).await.unwrap();
        assert_eq!(f.len(), 2);
        assert!(f.iter().any(|x| x.id == f2 && x.catatan.as_deref() == Some("Jadwal diperpanjang lewat adendum PKS") && x.resolved_by.as_deref().is_some_and(|b| b.starts_with("cli:"))), "{f:?}");
        assert_eq!(audit_count(&store, "ksbb.flag.resolve").await, 2);
    })
    .await;
}
