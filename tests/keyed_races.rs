//! The same `Idempotency-Key` sent by several clients at the same moment, on the routes of the
//! domains that came after complaints (logistics, KSBB, recipients), on both stores (issue 9:
//! "concurrent same-key requests get the stored answer or a 409, never a 500"). They all go
//! through the shared `api::write::keyed_write`; the complaint intake has its own race test in
//! `complaints_api.rs`. Exactly one request writes, the others replay its answer byte for byte,
//! and the domain's table gains one row.

mod common;
use common::recipients::{app, call, dinsos_csv, Res};
use sigap::store::{testing, tokens, Store};

/// How many clients send the same request at once.
const CLIENTS: usize = 6;

/// Sends `CLIENTS` copies of one keyed request at the same moment, each on its own task.
async fn at_once(app: &axum::Router, uri: &str, token: &str, key: &str, ctype: &str, body: Vec<u8>) -> Vec<Res> {
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (app, uri, token, key, ctype, body) = (app.clone(), uri.to_string(), token.to_string(), key.to_string(), ctype.to_string(), body.clone());
            tokio::spawn(async move { call(&app, "POST", &uri, Some(&token), Some(&key), Some(&ctype), body).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// One 201 that wrote, the rest replays of the same body; no 409 is expected either, since
/// every copy carries the same request.
fn one_writer(what: &str, kind: &str, answers: &[Res]) {
    for a in answers {
        assert_eq!(a.status.as_u16(), 201, "{kind} {what}: {}", a.text());
        assert_eq!(a.body, answers[0].body, "{kind} {what}: every client sees the same answer");
    }
    let fresh = answers.iter().filter(|a| !a.replayed).count();
    assert_eq!(fresh, 1, "{kind} {what}: exactly one request wrote, the others replayed");
}

async fn count(store: &Store, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    sigap::on_pool!(store, p => { use sqlx::Row; sqlx::query(&sql).fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_key_sent_at_once_writes_once_on_every_domain_on_both_stores() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let kind = store.kind();
        const JSON: &str = "application/json";

        // Logistics: a catalog item.
        let logistik = tokens::create(&store, "logistik", None, None).await.unwrap();
        let before = count(&store, "logistik_barang").await;
        let item = serde_json::json!({"kode": "RACE-MASKER", "jenis": "apd", "nama": "Masker bedah", "satuan": "pcs"});
        let answers = at_once(&app, "/api/v1/logistik/barang", &logistik, "race-barang", JSON, item.to_string().into_bytes()).await;
        one_writer("logistik barang", kind, &answers);
        assert_eq!(count(&store, "logistik_barang").await, before + 1, "{kind}");

        // KSBB: a site managed by Citata.
        let citata = tokens::create(&store, "citata", None, None).await.unwrap();
        let before = count(&store, "ksbb_site").await;
        let site = serde_json::json!({"kode": "LOKBIN-RACE", "nama": "Lokbin Uji", "jenis": "lokbin", "lon": 106.8272, "lat": -6.1754, "kapasitas": 40});
        let answers = at_once(&app, "/api/v1/ksbb/sites", &citata, "race-site", JSON, site.to_string().into_bytes()).await;
        one_writer("ksbb site", kind, &answers);
        assert_eq!(count(&store, "ksbb_site").await, before + 1, "{kind}");

        // Recipients: a candidate file (the largest write of the three: rows, households, audit).
        let planner = tokens::create(&store, "planner", None, None).await.unwrap();
        let before = (count(&store, "recipient_batch").await, count(&store, "recipient_household").await);
        let uri = "/api/v1/recipients/batches?sumber=dinsos&nama_file=race.csv";
        let answers = at_once(&app, uri, &planner, "race-batch", "text/csv", dinsos_csv().into_bytes()).await;
        one_writer("recipients batch", kind, &answers);
        assert_eq!(count(&store, "recipient_batch").await, before.0 + 1, "{kind}");
        let new = answers[0].json()["rumah_tangga_baru"].as_i64().unwrap();
        assert_eq!(new, 2, "{kind}");
        assert_eq!(count(&store, "recipient_household").await, before.1 + new, "{kind}: the batch stored its households once");
    })
    .await;
}
