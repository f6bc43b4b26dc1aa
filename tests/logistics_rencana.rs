//! Approved logistics requests planned from the gudang that approved them against the gudang's
//! real stock (`POST /api/v1/plans/logistik`, the same builder as `sigap plan --from-logistics`),
//! on both stores: a gudang whose approvals together exceed its balance reports `stock` for the
//! request it cannot cover, naming the item; no approved request, an unknown item, a wrong role
//! or body are refused naming the field with no plan stored.

mod common;
mod logistics_support;
use axum::http::StatusCode;
use logistics_support::*;
use serde_json::{json, Value};
use sigap::logistics::rencana::{self, RencanaInput};
use sigap::store::{testing, tokens};

const UNIT: &str = "31.71.01.1001";

async fn wait_done(app: &axum::Router, token: &str, href: &str) -> Value {
    for _ in 0..1200 {
        let r = call(app, "GET", href, Some(token), None, None).await;
        assert_eq!(r.0, StatusCode::OK, "{}", r.1);
        if r.1["status"] == "done" || r.1["status"] == "failed" {
            return r.1;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("plan {href} did not finish");
}

#[tokio::test]
async fn plan_from_logistics_uses_real_stock_on_both_stores() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        sigap::logistics::load_demo(&store, &common::atlas(&store).await).await.unwrap();
        let logistik = tokens::create(&store, "logistik", None, None).await.unwrap();
        let planner = tokens::create(&store, "planner", None, None).await.unwrap();
        let unit = tokens::create(&store, "penerima", Some(UNIT), None).await.unwrap();
        let (masker, hazmat) = ("APD-MASKER-3PLY", "APD-HAZMAT");
        for (gudang, bast, baris) in [
            ("BALAIKOTA", "BAST/R1", json!([{"barang": masker, "jumlah_diumumkan": 500, "jumlah_diterima": 500}])),
            ("DINSOS", "BAST/R2", json!([{"barang": masker, "jumlah_diumumkan": 100, "jumlah_diterima": 100}, {"barang": hazmat, "jumlah_diumumkan": 40, "jumlah_diterima": 40}])),
        ] {
            let r = call(&app, "POST", "/api/v1/logistik/penerimaan", Some(&logistik), None,
                Some(json!({"gudang": gudang, "pengirim": "Donatur", "bast_nomor": bast, "bast_tanggal": day(0), "baris": baris}))).await;
            assert_eq!(r.0, StatusCode::CREATED, "{}", r.1);
        }
        let post = |body: Value, token: &str| {
            let (app, token) = (app.clone(), token.to_string());
            async move { call(&app, "POST", "/api/v1/plans/logistik", Some(&token), None, Some(body)).await }
        };
        let settings = json!({"days": 1, "budget": {"generations": 20}});

        // Nothing approved yet (one request only submitted): 409 naming permintaan, no job stored.
        let request = |baris: Value| {
            let (app, unit) = (app.clone(), unit.clone());
            async move {
                let p = call(&app, "POST", "/api/v1/logistik/permintaan", Some(&unit), None, Some(json!({"unit": UNIT, "lon": 106.8272, "lat": -6.1754, "baris": baris}))).await;
                assert_eq!(p.0, StatusCode::CREATED, "{}", p.1);
                p.1["id"].as_i64().unwrap()
            }
        };
        let r1 = request(json!([{"barang": masker, "jumlah": 300}])).await;
        problem(&post(json!({"settings": settings}), &planner).await, 409, "permintaan");
        let plans = || count(&store, "plan_jobs");
        assert_eq!(plans().await, 0);

        // Three approvals: BALAIKOTA 300 of its 500 masker; DINSOS 80 and then 60 of its 100
        // (each fits alone: approval reserves nothing), and hazmat with the 80.
        let r2 = request(json!([{"barang": masker, "jumlah": 80}, {"barang": hazmat, "jumlah": 10}])).await;
        let r3 = request(json!([{"barang": masker, "jumlah": 60}])).await;
        let waiting = request(json!([{"barang": masker, "jumlah": 5}])).await;
        for (id, gudang) in [(r1, "BALAIKOTA"), (r2, "DINSOS"), (r3, "DINSOS")] {
            let v = call(&app, "POST", &format!("/api/v1/logistik/permintaan/{id}/verifikasi"), Some(&logistik), None, Some(json!({"keputusan": "setuju", "versi": 1, "gudang": gudang}))).await;
            assert_eq!(v.0, StatusCode::OK, "{}", v.1);
        }

        // The builder (shared with the CLI): pinned stops with their items, depots with real stock.
        let input: RencanaInput = serde_json::from_value(json!({"trucks": 2, "truck_capacity": 500, "settings": settings})).unwrap();
        let req = rencana::from_store(&store, &input, sigap::logistics::model::jakarta_today()).await.unwrap();
        let stops: Vec<(String, Option<String>, i64)> = req.stops.iter().map(|s| (s.id.clone(), s.depot.clone(), s.packages)).collect();
        assert_eq!(stops, [(rencana::stop_id(r1), Some("BALAIKOTA".into()), 300), (rencana::stop_id(r2), Some("DINSOS".into()), 90), (rencana::stop_id(r3), Some("DINSOS".into()), 60)],
            "approved requests only (not {waiting})");
        let dinsos = req.depots.iter().find(|d| d.id == "DINSOS").unwrap();
        assert_eq!((dinsos.items.get(masker), dinsos.items.get(hazmat), dinsos.stock), (Some(&100), Some(&40), 140));
        assert!(req.depots.iter().any(|d| d.id == "DINKES" && d.items.is_empty() && d.stock == 0), "every active gudang is a depot");
        let only_hazmat = rencana::from_store(&store, &RencanaInput { barang: Some(hazmat.into()), ..input.clone() }, sigap::logistics::model::jakarta_today()).await.unwrap();
        assert_eq!(only_hazmat.stops.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), [rencana::stop_id(r2)]);

        // Bad input next to the good: unknown item, item nobody asked for, wrong role, unknown field, bad settings.
        problem(&post(json!({"barang": "TIDAK-ADA", "settings": settings}), &planner).await, 422, "barang");
        problem(&post(json!({"barang": "APD-MASKER-N95", "settings": settings}), &planner).await, 409, "permintaan");
        problem(&post(json!({"settings": settings}), &logistik).await, 403, "");
        let unknown = post(json!({"settings": settings, "gudang": "DINSOS"}), &planner).await;
        assert_eq!(unknown.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.1);
        problem(&post(json!({"settings": {"days": 0}}), &planner).await, 422, "settings.days");
        problem(&post(json!({"truck_capacity": 0, "settings": settings}), &planner).await, 422, "depots[0].truck_capacity");
        assert_eq!(plans().await, 0, "a refused plan stores no job");

        // The plan: r1 from BALAIKOTA and r2 from DINSOS are routed; r3 is `stock` at DINSOS (20 left).
        let started = call(&app, "POST", "/api/v1/plans/logistik", Some(&planner), Some("rencana-1"), Some(json!({"trucks": 2, "truck_capacity": 500, "settings": settings}))).await;
        assert_eq!(started.0, StatusCode::ACCEPTED, "{}", started.1);
        let job = wait_done(&app, &planner, started.1["href"].as_str().unwrap()).await;
        assert_eq!(job["status"], "done", "{job}");
        let plan = &job["result"];
        let unassigned: Vec<(&str, &str, &str)> = plan["unassigned"].as_array().unwrap().iter()
            .map(|u| (u["stop"].as_str().unwrap(), u["reason"].as_str().unwrap(), u["depot"].as_str().unwrap_or(""))).collect();
        let r3_id = rencana::stop_id(r3);
        assert_eq!(unassigned, [(r3_id.as_str(), "stock", "DINSOS")], "{plan}");
        let detail = plan["unassigned"][0]["detail"].as_str().unwrap();
        assert!(detail.contains(masker) && detail.contains("20") && detail.contains("60"), "{detail}");
        let mut routed: Vec<(String, String)> = Vec::new();
        for day in plan["days"].as_array().unwrap() {
            for route in day["routes"].as_array().unwrap() {
                for v in route["stops"].as_array().unwrap() {
                    routed.push((v["stop"].as_str().unwrap().to_string(), route["depot"].as_str().unwrap().to_string()));
                }
            }
        }
        routed.sort();
        assert_eq!(routed, [(rencana::stop_id(r1), "BALAIKOTA".to_string()), (rencana::stop_id(r2), "DINSOS".to_string())]);
        assert_eq!(plans().await, 1);
        let replay = call(&app, "POST", "/api/v1/plans/logistik", Some(&planner), Some("rencana-1"), Some(json!({"trucks": 2, "truck_capacity": 500, "settings": settings}))).await;
        assert_eq!((replay.0, &replay.1["id"]), (StatusCode::ACCEPTED, &started.1["id"]), "a retry answers the same job");
        assert_eq!(plans().await, 1);
    })
    .await;
}
