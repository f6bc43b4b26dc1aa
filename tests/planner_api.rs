//! `POST /api/v1/plans` and `GET /api/v1/plans/{id}` on both stores: a plan for the RW drop
//! points of one kecamatan (from the atlas) runs as a job and is stored; bad bodies are problems
//! naming the field and store nothing.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use sigap::api::{self, AppState, Config};
use sigap::planner::model::{Budget, PlanSettings};
use sigap::planner::sources;
use sigap::planner::{PlanRequest, StopInput};
use sigap::store::{testing, Store};
use sigap::wilayah::{AreaCode, AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

struct Reply {
    status: StatusCode,
    ctype: String,
    text: String,
    json: serde_json::Value,
}

async fn call(app: &axum::Router, method: &str, uri: &str, token: Option<&str>, body: Option<String>) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = app.clone().oneshot(req.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
    let status = res.status();
    let ctype = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Reply { status, ctype, text, json }
}

fn assert_problem(r: &Reply, status: u16, field: Option<&str>) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text);
    assert_eq!(r.ctype, "application/problem+json");
    if let Some(f) = field {
        assert_eq!(r.json["field"], f, "{}", r.text);
    }
}

async fn plan_rows(store: &Store) -> i64 {
    sigap::on_pool!(store, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM plan_jobs").fetch_one(p).await).unwrap()
}

/// The shipped depots and one stop per RW of Gambir (31.71.01), 40 packages each, plus a stop in
/// Tangerang: inside the bounding box, outside the atlas.
fn good_request(atlas: &sigap::wilayah::Atlas) -> PlanRequest {
    let depots = sources::read_depots(&root().join("data/demo/depots.json")).unwrap();
    let gambir = AreaCode::parse("31.71.01").unwrap();
    let mut stops = sources::stops_from_atlas(atlas, |rw| rw.is_within(&gambir).then_some(40));
    assert!(stops.len() >= 5, "Gambir has RW in the demo layer: {}", stops.len());
    assert!(stops.iter().all(|s| s.id.starts_with("31.71.01.") && s.kecamatan.as_deref() == Some("Gambir")), "{:?}", stops[0]);
    stops.push(StopInput { id: "tangerang".into(), lon: 106.6300, lat: -6.1780, packages: 25, ..Default::default() });
    let settings = PlanSettings { days: 2, seed: 3, budget: Budget { generations: 30, max_seconds: None }, ..Default::default() };
    PlanRequest { depots, stops, settings, frozen: vec![] }
}

async fn wait_done(app: &axum::Router, token: &str, href: &str) -> serde_json::Value {
    for _ in 0..1200 {
        let r = call(app, "GET", href, Some(token), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        if r.json["status"] == "done" || r.json["status"] == "failed" {
            return r.json;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("plan {href} did not finish");
}

#[tokio::test]
async fn plans_run_as_jobs_and_are_stored_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Rw).await;
        let atlas = atlas(&store).await;
        let req = good_request(&atlas);

        // Drop points are editable: moved within the RW silently, outside it with a note, unknown ids refused.
        let mut stops = req.stops.clone();
        let first = stops[0].clone();
        let inside = sources::DropPoint { id: first.id.clone(), lon: first.lon, lat: first.lat };
        assert_eq!(sources::apply_drop_points(&mut stops, &[inside], &atlas), Ok(vec![]));
        let tebet = sources::DropPoint { id: first.id.clone(), lon: 106.8540, lat: -6.2260 };
        let notes = sources::apply_drop_points(&mut stops, &[tebet], &atlas).unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!((stops[0].lon, stops[0].lat), (106.8540, -6.2260));
        let typo = sources::DropPoint { id: "31.71.01.9999.001".into(), lon: 106.82, lat: -6.17 };
        assert!(sources::apply_drop_points(&mut stops, &[typo], &atlas).unwrap_err().contains("no such stop"));
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));
        let planner = sigap::store::tokens::create(&store, "planner", None, None).await.unwrap();
        let auditor = sigap::store::tokens::create(&store, "auditor", None, None).await.unwrap();

        let r = call(&app, "POST", "/api/v1/plans", Some(&planner), Some(serde_json::to_string(&req).unwrap())).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        assert_eq!(r.json["status"], "queued");
        let href = r.json["href"].as_str().unwrap().to_string();
        let id = r.json["id"].as_str().unwrap().to_string();
        assert_eq!(href, format!("/api/v1/plans/{id}"));

        // A retried POST with the same Idempotency-Key answers the same job and starts none.
        let keyed = |body: String| {
            let (app, planner) = (app.clone(), planner.clone());
            async move {
                let req = Request::builder().method("POST").uri("/api/v1/plans").header("content-type", "application/json")
                    .header("authorization", format!("Bearer {planner}")).header("idempotency-key", "plan-retry-1");
                let res = app.oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
                let replayed = res.headers().contains_key("idempotent-replayed");
                let status = res.status();
                let json: serde_json::Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
                (status, replayed, json)
            }
        };
        let first = keyed(serde_json::to_string(&req).unwrap()).await;
        assert_eq!((first.0, first.1), (StatusCode::ACCEPTED, false), "{}", first.2);
        let again = keyed(serde_json::to_string(&req).unwrap()).await;
        assert_eq!((again.0, again.1), (StatusCode::ACCEPTED, true), "{}", again.2);
        assert_eq!(again.2["id"], first.2["id"]);
        let mut other = req.clone();
        other.settings.days += 1;
        let conflict = keyed(serde_json::to_string(&other).unwrap()).await;
        assert_eq!(conflict.0, StatusCode::CONFLICT, "{}", conflict.2);
        assert_eq!(conflict.2["field"], "Idempotency-Key");
        wait_done(&app, &auditor, first.2["href"].as_str().unwrap()).await;

        // The shipped depots carry a free-text note: a known field, kept with the stored request.
        let stored = sigap::planner::store::get(&store, &id).await.unwrap().unwrap();
        assert!(stored.request["depots"][0]["note"].as_str().is_some_and(|n| n.contains("GENERATED")), "{}", stored.request["depots"][0]);
        let job = wait_done(&app, &auditor, &href).await;
        assert_eq!(job["status"], "done", "{job}");
        assert!(job["started_at"].is_string() && job["finished_at"].is_string());
        let plan = &job["result"];
        let rw_packages = 40 * (req.stops.len() as u64 - 1);
        assert_eq!(plan["totals"]["packages_requested"], rw_packages + 25);
        assert_eq!(plan["totals"]["packages_planned"], rw_packages, "{}", plan["unassigned"]);
        let unassigned = plan["unassigned"].as_array().unwrap();
        assert_eq!(unassigned.len(), 1, "{unassigned:?}");
        assert_eq!(unassigned[0]["stop"], "tangerang");
        assert_eq!(unassigned[0]["reason"], "outside_area");
        // Planned on the server's road file like `sigap plan --roads`, each route's road line
        // an encoded polyline (precision 6) in the JSON and decoded in the GeoJSON.
        assert!(plan["meta"]["travel"].as_str().is_some_and(|t| t.starts_with("roads")), "{}", plan["meta"]["travel"]);
        let lines: Vec<&str> = plan["days"].as_array().unwrap().iter().flat_map(|d| d["routes"].as_array().unwrap()).map(|r| r["polyline6"].as_str().unwrap_or("")).collect();
        assert!(!lines.is_empty() && lines.iter().all(|l| l.len() > 10), "{lines:?}");

        // The same plan as CSV (one row per stop visit) and GeoJSON (one line per truck-day).
        let visits: usize = plan["days"].as_array().unwrap().iter().flat_map(|d| d["routes"].as_array().unwrap()).map(|r| r["stops"].as_array().unwrap().len()).sum();
        let csv = call(&app, "GET", &format!("{href}?format=csv"), Some(&planner), None).await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.ctype.starts_with("text/csv"));
        assert_eq!(csv.text.lines().count(), visits + 1);
        let gj = call(&app, "GET", &format!("{href}?format=geojson"), Some(&planner), None).await;
        assert_eq!(gj.json["type"], "FeatureCollection");
        assert_eq!(gj.json["features"][0]["geometry"]["type"], "LineString");
        assert_eq!(gj.json["features"][0]["properties"]["follows_roads"], true);
        let first_stops = gj.json["features"][0]["properties"]["stops"].as_u64().unwrap() as usize;
        assert!(gj.json["features"][0]["geometry"]["coordinates"].as_array().unwrap().len() > first_stops + 2, "the line turns at street corners");

        // Stored with its audit trail.
        let history = sigap::store::audit::history(&store, "plan", &id).await.unwrap();
        let actions: Vec<&str> = history.iter().map(|h| h.action.as_str()).collect();
        assert_eq!(actions, ["plan.create", "plan.finish"]);
        // This plan and the keyed one above: its replay and its 409 stored no third job.
        assert_eq!(plan_rows(&store).await, 2);

        // Re-plan from progress: the first RW is served, the second got 10 of its 40, day 1 is on the road.
        let (a, b) = (&req.stops[0].id, &req.stops[1].id);
        let body = serde_json::json!({ "delivered": [{ "stop": a, "packages": 40 }, { "stop": b, "packages": 10 }], "freeze_day": 1 });
        let r = call(&app, "POST", &format!("{href}/replan"), Some(&planner), Some(body.to_string())).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        let again = wait_done(&app, &planner, r.json["href"].as_str().unwrap()).await;
        assert_eq!(again["status"], "done", "{again}");
        assert_eq!(again["result"]["totals"]["packages_requested"], rw_packages + 25 - 50);
        let routes = again["result"]["days"][0]["routes"].as_array().unwrap();
        assert!(routes.iter().any(|r| r["frozen"] == true));
        assert!(routes.iter().flat_map(|r| r["stops"].as_array().unwrap()).all(|v| &v["stop"] != a));
        assert_eq!(plan_rows(&store).await, 3);
        let bad = |body: serde_json::Value| {
            let app = app.clone();
            let (href, planner) = (href.clone(), planner.clone());
            async move { call(&app, "POST", &format!("{href}/replan"), Some(&planner), Some(body.to_string())).await }
        };
        assert_problem(&bad(serde_json::json!({ "delivered": [{ "stop": "31.99.99.9999.999", "packages": 1 }] })).await, 422, Some("delivered[0].stop"));
        assert_problem(&bad(serde_json::json!({ "delivered": [{ "stop": a, "packages": -1 }] })).await, 422, Some("delivered[0].packages"));
        assert_problem(&bad(serde_json::json!({ "freeze_day": 9 })).await, 422, Some("freeze_day"));
        assert_problem(&bad(serde_json::json!({ "frozen_day": 1 })).await, 422, None);
        assert_problem(&bad(serde_json::json!({ "frozen_day": 1 })).await, 422, Some("frozen_day"));
        assert_problem(&bad(serde_json::json!({ "delivered": [{ "stop": a, "packages": 1, "bast": "x" }] })).await, 422, Some("delivered[0].bast"));
        assert_problem(&call(&app, "POST", "/api/v1/plans/plan-0000000000000000/replan", Some(&planner), Some("{}".into())).await, 404, None);
        assert_problem(&call(&app, "POST", &format!("{href}/replan"), Some(&auditor), Some("{}".into())).await, 403, None);
        assert_eq!(plan_rows(&store).await, 3, "rejected re-plans store nothing");
    })
    .await;
}

/// Without a road file the server plans on great-circle distance (the fallback, said in
/// `meta.travel`); with a road file that has no usable roads the job fails naming the file.
#[tokio::test]
async fn plans_fall_back_without_roads_and_fail_on_a_bad_road_file_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Rw).await;
        let mut req = good_request(&atlas(&store).await);
        req.stops.truncate(3);
        req.settings.budget.generations = 10;
        let planner = sigap::store::tokens::create(&store, "planner", None, None).await.unwrap();
        let tmp = std::env::temp_dir().join(format!("sigap_plan_roads_{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        let bad_roads = tmp.join("no_roads.geojson");
        std::fs::write(&bad_roads, r#"{"type":"FeatureCollection","features":[]}"#).unwrap();
        let run = |roads: Option<std::path::PathBuf>| {
            let (store, planner, req) = (store.clone(), planner.clone(), req.clone());
            async move {
                let atlas = atlas(&store).await;
                let app = api::router(AppState::new(store, AtlasHandle::new(atlas), Arc::new(Config { roads, ..Config::default() })));
                let r = call(&app, "POST", "/api/v1/plans", Some(&planner), Some(serde_json::to_string(&req).unwrap())).await;
                assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
                wait_done(&app, &planner, r.json["href"].as_str().unwrap()).await
            }
        };
        let job = run(None).await;
        assert_eq!(job["status"], "done", "{job}");
        assert!(job["result"]["meta"]["travel"].as_str().is_some_and(|t| t.starts_with("great-circle")), "{}", job["result"]["meta"]);
        assert!(job["result"]["days"][0]["routes"][0].get("polyline6").is_none(), "straight lines carry no road line");
        let job = run(Some(bad_roads.clone())).await;
        assert_eq!(job["status"], "failed", "{job}");
        let error = job["error"].as_str().unwrap_or_default();
        assert!(error.contains("no_roads.geojson") && error.contains("no usable roads"), "{error}");
        assert!(job["result"].is_null());
    })
    .await;
}

#[tokio::test]
async fn bad_plan_requests_are_problems_and_store_nothing_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = atlas(&store).await;
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));
        let planner = sigap::store::tokens::create(&store, "planner", None, None).await.unwrap();
        let operator = sigap::store::tokens::create(&store, "operator", Some("31.71.01.1001"), None).await.unwrap();
        let depots = sources::read_depots(&root().join("data/demo/depots.json")).unwrap();
        let base = serde_json::json!({
            "depots": depots,
            "stops": [
                { "id": "31.71.01.1001.001", "lon": 106.8227, "lat": -6.1754, "packages": 120 },
                { "id": "31.71.01.1001.002", "lon": 106.8300, "lat": -6.1700, "packages": 80 }
            ],
            "settings": { "days": 1 }
        });
        let post = |token: Option<String>, body: String| {
            let app = app.clone();
            async move { call(&app, "POST", "/api/v1/plans", token.as_deref(), Some(body)).await }
        };
        let with = |pointer: &str, value: serde_json::Value| {
            let mut b = base.clone();
            *b.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}")) = value;
            b.to_string()
        };

        assert_problem(&post(None, base.to_string()).await, 401, Some("Authorization"));
        assert_problem(&post(Some(operator.clone()), base.to_string()).await, 403, None);
        assert_problem(&post(Some(operator.clone()), "{\"depots\": [".into()).await, 403, None);
        assert_problem(&post(Some(planner.clone()), "{\"depots\": [".into()).await, 400, None);
        assert_problem(&post(Some(planner.clone()), with("/settings/days", 0.into())).await, 422, Some("settings.days"));
        assert_problem(&post(Some(planner.clone()), with("/depots", serde_json::json!([]))).await, 422, Some("depots"));
        assert_problem(&post(Some(planner.clone()), with("/depots/0/truck_capacity", 0.into())).await, 422, Some("depots[0].truck_capacity"));
        assert_problem(&post(Some(planner.clone()), with("/depots/2/truck_capacity", (-50).into())).await, 422, Some("depots[2].truck_capacity"));
        assert_problem(&post(Some(planner.clone()), with("/stops/1/id", "31.71.01.1001.001".into())).await, 422, Some("stops[1].id"));
        let r = post(Some(planner.clone()), with("/stops/0/lat", 106.8227.into())).await;
        assert_problem(&r, 422, Some("stops[0].lat"));
        assert!(r.json["detail"].as_str().unwrap().contains("not a valid coordinate"), "{}", r.text);
        let r = post(Some(planner.clone()), with("/stops/0/packages", "banyak".into())).await;
        assert_eq!(r.status.as_u16(), 422, "{}", r.text);
        assert_eq!(r.ctype, "application/problem+json");
        assert!(r.text.contains("packages"), "{}", r.text);
        // Unknown fields anywhere in the body are refused, naming them: a misspelt optional field
        // would otherwise be dropped and its default planned.
        let unknown = |pointer: &str, key: &str| {
            let mut b = base.clone();
            b.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}"))[key] = 1.into();
            b.to_string()
        };
        assert_problem(&post(Some(planner.clone()), unknown("", "colour")).await, 422, Some("colour"));
        assert_problem(&post(Some(planner.clone()), unknown("/stops/1", "window_strat")).await, 422, Some("stops[1].window_strat"));
        assert_problem(&post(Some(planner.clone()), unknown("/depots/0", "truck")).await, 422, Some("depots[0].truck"));
        assert_problem(&post(Some(planner.clone()), unknown("/settings", "dayz")).await, 422, Some("settings.dayz"));
        // Control characters in free text are refused on both stores (PostgreSQL rejects U+0000
        // in jsonb and text, SQLite would store it).
        assert_problem(&post(Some(planner.clone()), with("/stops/0/id", "31.71.01.1001\u{0}.001".into())).await, 422, Some("stops[0].id"));
        let mut b = base.clone();
        b["stops"][1]["name"] = "RW 002\u{0}".into();
        assert_problem(&post(Some(planner.clone()), b.to_string()).await, 422, Some("stops[1].name"));
        assert_problem(&post(Some(planner.clone()), with("/depots/1/note", "catatan\u{7}".into())).await, 422, Some("depots[1].note"));
        assert_eq!(plan_rows(&store).await, 0, "a rejected request stores nothing");

        assert_problem(&call(&app, "GET", "/api/v1/plans/plan-0000000000000000", Some(&planner), None).await, 404, None);
        assert_problem(&call(&app, "GET", "/api/v1/plans/x?format=xml", Some(&planner), None).await, 400, Some("format"));
        assert_problem(&call(&app, "GET", "/api/v1/plans/x", None, None).await, 401, None);
    })
    .await;
}

#[tokio::test]
async fn jobs_interrupted_by_a_restart_are_marked_failed_on_both_stores() {
    use sigap::planner::store as jobs;
    testing::for_each_store(|store| async move {
        let request = serde_json::json!({ "depots": [], "stops": [] });
        jobs::create(&store, "plan-a", "test", &request).await.unwrap();
        jobs::create(&store, "plan-b", "test", &request).await.unwrap();
        jobs::mark_running(&store, "plan-b").await.unwrap();
        jobs::create(&store, "plan-c", "test", &request).await.unwrap();
        jobs::finish(&store, "plan-c", Ok(serde_json::json!({ "totals": {} }))).await.unwrap();
        assert_eq!(jobs::fail_interrupted(&store).await.unwrap(), 2);
        for id in ["plan-a", "plan-b"] {
            let j = jobs::get(&store, id).await.unwrap().unwrap();
            assert_eq!(j.status, jobs::JobStatus::Failed);
            assert!(j.error.unwrap().contains("submit it again"));
            assert!(j.finished_at.is_some());
        }
        let done = jobs::get(&store, "plan-c").await.unwrap().unwrap();
        assert_eq!(done.status, jobs::JobStatus::Done);
        assert_eq!(done.request, request);
        assert_eq!(jobs::fail_interrupted(&store).await.unwrap(), 0);

        // JSON columns read back alike on both stores (jsonb / TEXT): SQL NULL is None, JSON
        // null, nesting, numbers and non-ASCII text survive.
        assert_eq!(done.result, Some(serde_json::json!({ "totals": {} })), "{}", store.kind());
        assert_eq!(jobs::get(&store, "plan-a").await.unwrap().unwrap().result, None, "{}", store.kind());
        let rich = serde_json::json!({ "depots": [{ "id": "BKT", "note": null, "cost_per_km": 5000.5 }], "stops": [], "nama": "Kebon Kacang – Tanah Abang ü" });
        jobs::create(&store, "plan-d", "test", &rich).await.unwrap();
        assert_eq!(jobs::get(&store, "plan-d").await.unwrap().unwrap().request, rich, "{}", store.kind());
        let history = sigap::store::audit::history(&store, "plan", "plan-c").await.unwrap();
        assert_eq!(history.len(), 2, "{}", store.kind());
        assert_eq!(history[0].before, None);
        assert_eq!(history[1].after, Some(serde_json::json!({ "status": "done", "totals": {} })), "{}", store.kind());
    })
    .await;
}

/// `sigap plan --from-atlas` owes each RW its bansos target minus the good packages already
/// delivered: a fully served RW drops out, a partly served one keeps its remainder.
#[tokio::test]
async fn remaining_packages_follow_bansos_records_on_both_stores() {
    use sigap::bansos::{model, ops, store as bstore};
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Rw).await;
        let atlas = atlas(&store).await;
        assert_eq!(sigap::planner::cli::remaining_from_bansos(&store).await.unwrap(), None, "no targets yet");
        let known = |c: &AreaCode| atlas.get(c).is_some();
        let (a, b, c) = ("31.71.01.1001.001", "31.71.01.1002.001", "31.71.01.1002.002");
        let (targets, _) = model::parse_targets(&format!("rw,target_kk\n{a},50\n{b},80\n{c},30\n"), &known).unwrap();
        let mut tx = bstore::begin_write(&store).await.unwrap();
        ops::import_targets(&mut tx, &targets, false, "test", &|_| {}).await.unwrap();
        let delivery = |rw: &str, received: u32, damaged: u32, returned: u32| model::NewDelivery {
            rw: AreaCode::parse(rw).unwrap(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            provider: "Penyedia Uji".into(),
            bast_ref: format!("BAST/{rw}"),
            counts: model::PackageCounts { sent: received + damaged, received, damaged, short: 0, returned },
            corrects: None,
        };
        // a: all 50 good packages arrived; b: 30 arrived, 2 more damaged and sent back.
        ops::record_delivery(&mut tx, &atlas, &delivery(a, 50, 0, 0), "test", false).await.unwrap();
        ops::record_delivery(&mut tx, &atlas, &delivery(b, 30, 2, 2), "test", false).await.unwrap();
        tx.commit().await.unwrap();

        let remaining = sigap::planner::cli::remaining_from_bansos(&store).await.unwrap().expect("targets loaded");
        assert_eq!(remaining.get(a), Some(&0), "{}", store.kind());
        assert_eq!(remaining.get(b), Some(&50), "{}", store.kind());
        assert_eq!(remaining.get(c), Some(&30), "{}", store.kind());
        let stops = sources::stops_from_atlas(&atlas, |code| remaining.get(code.as_str()).copied());
        let ids: Vec<&str> = stops.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, vec![b, c], "a served RW gets no stop");
        assert_eq!(stops[0].packages, 50);
    })
    .await;
}
