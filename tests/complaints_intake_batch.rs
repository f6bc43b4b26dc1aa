//! The intake writer's group commit on both stores: several intakes in one transaction, each
//! answered as if alone. The same key twice in a batch stores one complaint (the second gets
//! the replay), a key used with another request is a conflict, a refused intake (bad routing)
//! leaves no claimed key behind, and an intake the store itself refuses (a trigger stands in
//! for any statement error) fails alone while its batch-mates are stored. Then the same over
//! HTTP with concurrent clients.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sigap::api::{self, AppState, Config};
use sigap::complaints::intake::{write_batch, write_batch_traced, Job, Keyed, Outcome, MAX_BATCH};
use sigap::complaints::model::{Category, Channel, Intake};
use sigap::complaints::ops::ComplaintError;
use sigap::complaints::routing::Geotag;
use sigap::store::{idempotency::request_hash, testing, Store};
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

/// A description the test trigger refuses at `INSERT INTO complaints`.
const REFUSED_BY_STORE: &str = "ditolak oleh trigger uji";

/// Makes the store refuse one complaint by its description: a real statement error inside the
/// batch's transaction (PostgreSQL then refuses every later statement of that transaction).
async fn refuse_one_description(store: &Store) {
    match store {
        Store::Gpkg(p) => {
            sqlx::query(&format!("CREATE TRIGGER test_refuse BEFORE INSERT ON complaints WHEN NEW.description = '{REFUSED_BY_STORE}' BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"))
                .execute(p).await.unwrap();
        }
        Store::Postgis(p) => {
            sqlx::query(&format!("CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.description = '{REFUSED_BY_STORE}' THEN RAISE EXCEPTION 'refused by the test trigger'; END IF; RETURN NEW; END $$"))
                .execute(p).await.unwrap();
            sqlx::query("CREATE TRIGGER test_refuse BEFORE INSERT ON complaints FOR EACH ROW EXECUTE FUNCTION test_refuse()").execute(p).await.unwrap();
        }
    }
}

async fn count(store: &Store, sql: &str) -> i64 {
    sigap::on_pool!(store, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await).unwrap()
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn job(atlas: &Arc<sigap::wilayah::Atlas>, description: &str, lon: f64, key: Option<(&str, &str)>) -> Job {
    let geotag = Some(Geotag { lon, lat: -6.1754, accuracy_m: Some(8.0) });
    Job {
        intake: Intake::new(Channel::Jaki, Category::Banjir, description, None, geotag).unwrap(),
        actor: "kanal:jaki".into(),
        keyed: key.map(|(k, req)| Keyed { key: k.into(), request_hash: request_hash(req.as_bytes()) }),
        // Each request its own secret, as `ops::new_upload_secret` gives.
        secret_hash: request_hash(format!("secret {}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)).as_bytes()),
        atlas: atlas.clone(),
    }
}

fn created(o: &Result<Outcome, ComplaintError>) -> i64 {
    match o {
        Ok(Outcome::Created { id, answer, .. }) => {
            let v: Value = serde_json::from_str(answer).unwrap();
            assert_eq!(v["id"], *id, "the stored answer names the stored id: {answer}");
            assert!(v.get("upload_secret").is_none(), "the stored answer holds no secret: {answer}");
            *id
        }
        other => panic!("expected a stored complaint, got {other:?}"),
    }
}

/// One batch with every kind of intake in it, written by `write_batch` directly (no timing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_batch_answers_each_intake_as_if_alone_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = Arc::new(atlas(&store).await);
        let jobs = vec![
            job(&atlas, "a", 106.8272, Some(("k-a", "request a"))),
            job(&atlas, "a", 106.8272, Some(("k-a", "request a"))), // same key, same request: the replay
            job(&atlas, "b", 106.8272, Some(("k-b", "request b"))),
            job(&atlas, "b2", 106.8272, Some(("k-b", "another request"))), // same key, other request: 409
            job(&atlas, "tanpa kunci", 106.8272, None),
            job(&atlas, "titik rusak", f64::NAN, Some(("k-nan", "request nan"))), // refused by routing
            job(&atlas, "c", 106.8272, Some(("k-nan", "request c"))), // the refused one's key is free again
        ];
        let out = write_batch(&store, &jobs).await;
        assert_eq!(out.len(), jobs.len());
        let a = created(&out[0]);
        match &out[1] {
            Ok(Outcome::Replayed { status: 201, body }) => assert_eq!(serde_json::from_str::<Value>(body).unwrap()["id"], a, "{body}"),
            other => panic!("{}: same key twice in a batch must replay the first, got {other:?}", store.kind()),
        }
        let b = created(&out[2]);
        assert!(matches!(out[3], Ok(Outcome::KeyConflict)), "{}: {:?}", store.kind(), out[3]);
        let unkeyed = created(&out[4]);
        match &out[5] {
            Err(e) => assert_eq!(e.field(), Some("location.lon"), "{e}"),
            other => panic!("{}: a point that is not a number is refused, got {other:?}", store.kind()),
        }
        let c = created(&out[6]);
        let ids = [a, b, unkeyed, c];
        assert_eq!(count(&store, "SELECT COUNT(*) FROM complaints").await, 4, "{}: one row per stored intake, none for the replay, the conflict or the refusal", store.kind());
        assert_eq!(count(&store, "SELECT COUNT(*) FROM complaint_history").await, 4);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM audit_log WHERE action = 'complaint.create'").await, 4);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM idempotency WHERE scope = 'complaints.intake:publik'").await, 3, "{}: keys a, b, nan (claimed by c)", store.kind());
        assert_eq!(count(&store, "SELECT COUNT(*) FROM idempotency WHERE status = 0").await, 0, "no key left claimed without its answer");
        // The replay's own upload secret is stored for the replayed complaint too.
        assert_eq!(count(&store, &format!("SELECT COUNT(*) FROM complaint_upload_secrets WHERE complaint_id = {a}")).await, 2);
        for id in ids {
            let c = sigap::complaints::store::get(&store, id).await.unwrap().unwrap();
            assert!(c.kelurahan.is_some() && c.kelurahan.as_deref() == Some(c.unit.as_str()), "{}: routed to the kelurahan of the point: {c:?}", store.kind());
            assert_eq!(count(&store, &format!("SELECT COUNT(*) FROM complaint_history WHERE complaint_id = {id} AND action = 'masuk' AND to_unit = '{}'", c.unit)).await, 1);
            assert_eq!(count(&store, &format!("SELECT COUNT(*) FROM audit_log WHERE entity = 'complaint' AND entity_id = '{id}'")).await, 1);
            assert!(count(&store, &format!("SELECT COUNT(*) FROM complaint_upload_secrets WHERE complaint_id = {id}")).await >= 1);
        }
        // The stored answer of a key is the answer given, id included.
        let Ok(Outcome::Created { answer, .. }) = &out[0] else { unreachable!() };
        let stored: String = sigap::on_pool!(&store, p => sqlx::query_scalar("SELECT response FROM idempotency WHERE key = 'k-a'").fetch_one(p).await).unwrap();
        assert_eq!(&stored, answer, "{}", store.kind());
    })
    .await;
}

/// A statement error of one intake rolls its batch back; the batch is written again one
/// intake per transaction, so only that intake fails and the others are stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intake_the_store_refuses_fails_alone_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = Arc::new(atlas(&store).await);
        refuse_one_description(&store).await;
        let jobs = vec![
            job(&atlas, "sebelum", 106.8272, Some(("k-1", "request 1"))),
            job(&atlas, REFUSED_BY_STORE, 106.8272, Some(("k-bad", "request bad"))),
            job(&atlas, "sesudah", 106.8272, None),
            job(&atlas, "sebelum", 106.8272, Some(("k-1", "request 1"))),
        ];
        let out = write_batch(&store, &jobs).await;
        let first = created(&out[0]);
        assert!(matches!(&out[1], Err(ComplaintError::Store(_))), "{}: {:?}", store.kind(), out[1]);
        created(&out[2]);
        assert!(matches!(&out[3], Ok(Outcome::Replayed { status: 201, .. })), "{}: {:?}", store.kind(), out[3]);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM complaints").await, 2, "{}", store.kind());
        assert_eq!(count(&store, "SELECT COUNT(*) FROM idempotency WHERE key = 'k-bad'").await, 0, "the failed intake's key is not kept");
        assert_eq!(count(&store, &format!("SELECT COUNT(*) FROM complaint_upload_secrets WHERE complaint_id = {first}")).await, 2);
        // The key of the failed intake works once the store accepts it.
        let again = write_batch(&store, &[job(&atlas, "diperbaiki", 106.8272, Some(("k-bad", "request bad")))]).await;
        created(&again[0]);
    })
    .await;
}

/// A full batch (MAX_BATCH intakes, keyed, each with its own description, point and secret) is
/// written with a constant number of statements — not one or more per intake — and every row
/// beside a complaint (history, audit, upload secret, the key's answer) belongs to that complaint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_batch_takes_a_constant_number_of_statements_and_rows_match_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = Arc::new(atlas(&store).await);
        let batch = || -> Vec<Job> {
            (0..MAX_BATCH).map(|i| job(&atlas, &format!("keluhan ke-{i}"), 106.80 + 0.0004 * i as f64, Some((&format!("full-{i}"), &format!("request {i}"))))).collect()
        };
        let jobs = batch();
        let (out, trace) = write_batch_traced(&store, &jobs).await;
        let trace = trace.expect("the batch commits as one transaction");
        // BEGIN, units, key claims, the rows, COMMIT.
        assert_eq!(trace.round_trips, 5, "{}: {trace:?}", store.kind());
        let mut seen = std::collections::HashSet::new();
        for (i, (o, j)) in out.iter().zip(&jobs).enumerate() {
            let id = created(o);
            assert!(seen.insert(id), "{}: id {id} answered twice", store.kind());
            let c = sigap::complaints::store::get(&store, id).await.unwrap().unwrap();
            assert_eq!(c.description, format!("keluhan ke-{i}"), "{}: answer {i} names its own complaint", store.kind());
            assert_eq!(c.reported, Some([106.80 + 0.0004 * i as f64, -6.1754]), "coordinates stored exactly");
            let stored: String = sigap::on_pool!(&store, p => sqlx::query_scalar("SELECT response FROM idempotency WHERE key = $1").bind(format!("full-{i}")).fetch_one(p).await).unwrap();
            let Ok(Outcome::Created { answer, .. }) = o else { unreachable!() };
            assert_eq!(&stored, answer);
            let secret_of: i64 = sigap::on_pool!(&store, p => sqlx::query_scalar("SELECT complaint_id FROM complaint_upload_secrets WHERE secret_hash = $1").bind(&j.secret_hash).fetch_one(p).await).unwrap();
            assert_eq!(secret_of, id, "{}: the upload secret of intake {i} opens its complaint", store.kind());
            let audit_unit: String = sigap::on_pool!(&store, p => sqlx::query_scalar("SELECT actor || ':' || entity_id FROM audit_log WHERE entity = 'complaint' AND entity_id = $1").bind(id.to_string()).fetch_one(p).await).unwrap();
            assert_eq!(audit_unit, format!("kanal:jaki:{id}"));
            let history: i64 = sigap::on_pool!(&store, p => sqlx::query_scalar("SELECT COUNT(*) FROM complaint_history WHERE complaint_id = $1 AND to_unit = $2").bind(id).bind(&c.unit).fetch_one(p).await).unwrap();
            assert_eq!(history, 1);
        }
        // The same batch again: every intake a replay, with the same constant cost (the claims
        // find the keys, one read gets their answers; each replay's secret in one statement).
        // (Each request has its own upload secret, as over HTTP.)
        let (again, trace) = write_batch_traced(&store, &batch()).await;
        assert_eq!(trace.unwrap_or_else(|| panic!("{}: the replays commit as one batch: {:?}", store.kind(), again[0])).round_trips, 6, "{}", store.kind());
        for (a, o) in again.iter().zip(&out) {
            let Ok(Outcome::Replayed { status: 201, body }) = a else { panic!("{}: expected a replay, got {a:?}", store.kind()) };
            assert_eq!(serde_json::from_str::<Value>(body).unwrap()["id"], created(o));
        }
        assert_eq!(count(&store, "SELECT COUNT(*) FROM complaints").await, MAX_BATCH as i64);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM complaint_upload_secrets").await, 2 * MAX_BATCH as i64);
    })
    .await;
}

/// Two batches at once sharing keys in opposite orders (two writers on PostGIS; serialised on
/// GeoPackage): no deadlock and no error; each key is stored once, the other batch replays it,
/// and a key sent with another request is a conflict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_batches_at_once_store_each_key_once_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = Arc::new(atlas(&store).await);
        let keys: Vec<String> = (0..40).map(|i| format!("both-{i}")).collect();
        let one: Vec<Job> = keys.iter().map(|k| job(&atlas, k, 106.8272, Some((k, k)))).collect();
        let mut two: Vec<Job> = keys.iter().rev().map(|k| job(&atlas, k, 106.8272, Some((k, k)))).collect();
        two.push(job(&atlas, "lain", 106.8272, Some(("both-7", "another request"))));
        let (s1, s2) = (store.clone(), store.clone());
        let a = tokio::spawn(async move { write_batch(&s1, &one).await });
        let b = tokio::spawn(async move { write_batch(&s2, &two).await });
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        let id_of = |o: &Result<Outcome, ComplaintError>| match o {
            Ok(Outcome::Created { id, .. }) => (*id, false),
            Ok(Outcome::Replayed { status: 201, body }) => (serde_json::from_str::<Value>(body).unwrap()["id"].as_i64().unwrap(), true),
            other => panic!("{}: {other:?}", store.kind()),
        };
        for (i, o) in a.iter().enumerate() {
            let (x, replayed_a) = id_of(o);
            let (y, replayed_b) = id_of(&b[keys.len() - 1 - i]);
            assert_eq!(x, y, "{}: key {i} has one complaint", store.kind());
            assert!(replayed_a != replayed_b, "{}: key {i}: stored by one batch, replayed by the other", store.kind());
        }
        assert!(matches!(b.last(), Some(Ok(Outcome::KeyConflict))), "{}: {:?}", store.kind(), b.last());
        assert_eq!(count(&store, "SELECT COUNT(*) FROM complaints").await, 40, "{}", store.kind());
        assert_eq!(count(&store, "SELECT COUNT(*) FROM idempotency WHERE status = 201").await, 40);
    })
    .await;
}

/// The GeoPackage's WAL is copied back by a background checkpoint, not by the commits
/// (`wal_autocheckpoint` is off on the store's connections): one checkpoint step copies all of
/// it and restarts it, the next commit starts the WAL over, and everything reads back after a
/// reopen. On PostGIS (no WAL of ours to manage) the same writes read back after a reopen.
/// The checkpoint mode is `background` or `auto`; anything else is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_is_checkpointed_off_the_commit_path_on_both_stores() {
    use sigap::store::{checkpoint_mode, checkpoint_step};
    assert!(checkpoint_mode(None).unwrap());
    assert!(checkpoint_mode(Some("Background")).unwrap());
    assert!(!checkpoint_mode(Some("auto")).unwrap());
    let bad = checkpoint_mode(Some("sometimes")).unwrap_err().to_string();
    assert!(bad.contains("SIGAP_GPKG_CHECKPOINT") && bad.contains("sometimes"), "{bad}");
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = Arc::new(atlas(&store).await);
        let jobs: Vec<Job> = (0..MAX_BATCH).map(|i| job(&atlas, &format!("keluhan {i}"), 106.8272, None)).collect();
        assert!(write_batch(&store, &jobs).await.iter().all(|o| matches!(o, Ok(Outcome::Created { .. }))));
        if let Store::Gpkg(pool) = &store {
            let autocheckpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint").fetch_one(pool).await.unwrap();
            assert_eq!(autocheckpoint, 0, "commits do not checkpoint");
            // The store's own checkpoint task may be running at that moment (the step then
            // finds it busy and leaves the restart to the next): try again, a little later (on
            // a loaded machine its PASSIVE can hold the checkpoint for tens of ms).
            let mut step = checkpoint_step(pool, 0).await.unwrap();
            for _ in 0..200 {
                if step.restarted {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                step = checkpoint_step(pool, 0).await.unwrap();
            }
            assert!(step.wal_frames > 0 && step.copied == step.wal_frames && step.restarted, "all of the WAL copied, then restarted: {step:?}");
            write_batch(&store, &[job(&atlas, "sesudah", 106.8272, None)]).await;
            // Again the store's own task may hold the checkpoint at that moment: SQLite then
            // answers busy with -1 frames; try again until it lets go.
            let mut after = checkpoint_step(pool, i64::MAX).await.unwrap();
            for _ in 0..200 {
                if after.wal_frames >= 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                after = checkpoint_step(pool, i64::MAX).await.unwrap();
            }
            assert!(after.wal_frames > 0 && after.wal_frames < step.wal_frames && !after.restarted, "the WAL started over: {after:?} after {step:?}");
        } else {
            write_batch(&store, &[job(&atlas, "sesudah", 106.8272, None)]).await;
        }
        let store = testing::reopen(&store).await;
        assert_eq!(count(&store, "SELECT COUNT(*) FROM complaints").await, MAX_BATCH as i64 + 1, "{}", store.kind());
    })
    .await;
}

async fn post(app: &axum::Router, body: String, key: Option<String>) -> (StatusCode, bool, Value) {
    let mut req = Request::builder().method("POST").uri("/api/v1/complaints").header("content-type", "application/json");
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = app.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let replayed = res.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
    let status = res.status();
    (status, replayed, serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap_or(Value::Null))
}

/// Concurrent clients through the router: 24 keys each sent twice at once and one intake the
/// store refuses. Every key's two answers carry the same id (one of them a replay), each with
/// its own upload secret; the refused intake alone gets a 500; each key is stored once; the
/// writer's batches and queue are on `/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_intakes_land_once_each_and_a_refused_one_fails_alone_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = atlas(&store).await;
        refuse_one_description(&store).await;
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));
        let body = |d: &str| json!({"channel": "jaki", "category": "banjir", "description": d, "location": {"lon": 106.8272, "lat": -6.1754}}).to_string();
        let mut handles = Vec::new();
        for i in 0..48 {
            let (app, b) = (app.clone(), body(&format!("keluhan {}", i / 2)));
            handles.push(tokio::spawn(async move { (i / 2, post(&app, b, Some(format!("key-{}", i / 2))).await) }));
        }
        let (app2, bad) = (app.clone(), body(REFUSED_BY_STORE));
        let refused = tokio::spawn(async move { post(&app2, bad, Some("key-refused".into())).await });
        let mut by_key: std::collections::BTreeMap<i32, Vec<(bool, i64, String)>> = Default::default();
        for h in handles {
            let (k, (status, replayed, v)) = h.await.unwrap();
            assert_eq!(status, StatusCode::CREATED, "{}: {v}", store.kind());
            by_key.entry(k).or_default().push((replayed, v["id"].as_i64().unwrap(), v["upload_secret"].as_str().unwrap().to_string()));
        }
        for (k, answers) in &by_key {
            assert_eq!(answers.iter().filter(|a| !a.0).count(), 1, "{}: key {k}: one stored, one replayed: {answers:?}", store.kind());
            assert_eq!(answers[0].1, answers[1].1, "{}: key {k}: the same id", store.kind());
            assert_ne!(answers[0].2, answers[1].2, "each answer has its own upload secret");
        }
        let (status, _, v) = refused.await.unwrap();
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{}: {v}", store.kind());
        assert_eq!(count(&store, "SELECT COUNT(*) FROM complaints").await, 24, "{}", store.kind());
        assert_eq!(count(&store, "SELECT COUNT(*) FROM idempotency").await, 24, "{}", store.kind());
        assert_eq!(count(&store, "SELECT COUNT(*) FROM complaint_upload_secrets").await, 48, "{}", store.kind());
        let res = app.clone().oneshot(Request::get("/metrics").body(Body::empty()).unwrap()).await.unwrap();
        let text = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
        for metric in ["sigap_intake_batch_size_count", "sigap_intake_queue_depth 0", "sigap_db_begin_waiting"] {
            assert!(text.contains(metric), "{metric} missing from /metrics");
        }
    })
    .await;
}
