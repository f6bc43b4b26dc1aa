//! The OpenAPI document served by the real router lists every route of the app, with its
//! methods, and the complaint schemas speak the wire words (`jaki`, not `Jaki`).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use sigap::api::{self, AppState, Config};
use sigap::store::testing;
use sigap::wilayah::{Atlas, AtlasHandle};
use std::sync::Arc;
use tower::ServiceExt;

/// Every (method, path) the app serves under /api, /open311, /ogc (also described, one path per
/// collection, in the OGC API's own OpenAPI 3.0 document at /ogc/api), /tiles and the operations endpoints (/healthz, /readyz, /metrics).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/api/v1/wilayah"),
    ("get", "/api/v1/wilayah/{code}"),
    ("put", "/api/v1/wilayah/{code}"),
    ("get", "/api/v1/locate"),
    ("post", "/api/v1/locate"),
    ("get", "/tiles/{file}"),
    ("get", "/tiles/{layer}/{z}/{x}/{y}"),
    ("get", "/api/v1/bansos/progress"),
    ("post", "/api/v1/bansos/deliveries"),
    ("post", "/api/v1/bansos/handouts"),
    ("get", "/api/v1/bansos/rw/{code}/records"),
    ("get", "/api/v1/bansos/trend"),
    ("get", "/api/v1/bansos/progress/export"),
    ("post", "/api/v1/plans"),
    ("get", "/api/v1/plans/{id}"),
    ("post", "/api/v1/plans/{id}/replan"),
    ("post", "/api/v1/plans/logistik"),
    ("post", "/api/v1/complaints"),
    ("get", "/api/v1/complaints"),
    ("get", "/api/v1/complaints/{id}"),
    ("post", "/api/v1/complaints/{id}/status"),
    ("post", "/api/v1/complaints/{id}/forward"),
    ("post", "/api/v1/complaints/{id}/relocate"),
    ("post", "/api/v1/complaints/{id}/photos"),
    ("get", "/api/v1/complaints/{id}/photos/{photo}"),
    ("get", "/api/v1/reports/complaints"),
    ("get", "/api/v1/complaint-units"),
    ("put", "/api/v1/complaint-units/{id}"),
    ("get", "/open311/v2/services.json"),
    ("get", "/open311/v2/requests.json"),
    ("post", "/open311/v2/requests.json"),
    ("get", "/open311/v2/requests/{file}"),
    ("get", "/ogc"),
    ("get", "/ogc/conformance"),
    ("get", "/ogc/api"),
    ("get", "/ogc/collections"),
    ("get", "/ogc/collections/{collectionId}"),
    ("get", "/ogc/collections/{collectionId}/items"),
    ("post", "/ogc/collections/{collectionId}/items"),
    ("get", "/ogc/collections/{collectionId}/items/{featureId}"),
    ("put", "/ogc/collections/{collectionId}/items/{featureId}"),
    ("patch", "/ogc/collections/{collectionId}/items/{featureId}"),
    ("delete", "/ogc/collections/{collectionId}/items/{featureId}"),
    ("get", "/ogc/collections/{collectionId}/queryables"),
    ("get", "/api/v1/logistik/barang"),
    ("post", "/api/v1/logistik/barang"),
    ("get", "/api/v1/logistik/barang/{kode}"),
    ("put", "/api/v1/logistik/barang/{kode}"),
    ("get", "/api/v1/logistik/gudang"),
    ("post", "/api/v1/logistik/gudang"),
    ("get", "/api/v1/logistik/gudang/{kode}"),
    ("put", "/api/v1/logistik/gudang/{kode}"),
    ("put", "/api/v1/logistik/unit/{unit}/{catatan}/{barang}"),
    ("delete", "/api/v1/logistik/unit/{unit}/{catatan}/{barang}"),
    ("get", "/api/v1/logistik/unit/{unit}"),
    ("get", "/api/v1/logistik/kebutuhan"),
    ("get", "/api/v1/logistik/komitmen"),
    ("post", "/api/v1/logistik/komitmen"),
    ("get", "/api/v1/logistik/komitmen/{id}"),
    ("post", "/api/v1/logistik/komitmen/{id}/status"),
    ("post", "/api/v1/logistik/komitmen/{id}/kolaborator"),
    ("get", "/api/v1/logistik/penerimaan"),
    ("post", "/api/v1/logistik/penerimaan"),
    ("get", "/api/v1/logistik/penerimaan/{id}"),
    ("post", "/api/v1/logistik/penerimaan/{id}/foto"),
    ("get", "/api/v1/logistik/penerimaan/{id}/foto/{foto}"),
    ("get", "/api/v1/logistik/mutasi"),
    ("post", "/api/v1/logistik/mutasi"),
    ("get", "/api/v1/logistik/stok"),
    ("get", "/api/v1/logistik/stok/kedaluwarsa"),
    ("get", "/api/v1/logistik/permintaan"),
    ("post", "/api/v1/logistik/permintaan"),
    ("get", "/api/v1/logistik/permintaan/{id}"),
    ("post", "/api/v1/logistik/permintaan/{id}/verifikasi"),
    ("post", "/api/v1/logistik/permintaan/{id}/kirim"),
    ("post", "/api/v1/logistik/permintaan/{id}/terima"),
    ("post", "/api/v1/logistik/permintaan/{id}/ajukan"),
    ("post", "/api/v1/logistik/permintaan/{id}/foto"),
    ("get", "/api/v1/logistik/permintaan/{id}/foto/{foto}"),
    ("get", "/api/v1/logistik/laporan"),
    ("get", "/api/v1/publik/logistik/rekap"),
    ("get", "/publik/logistik"),
    ("get", "/api/v1/search"),
    ("get", "/api/v1/ksbb/sites"),
    ("post", "/api/v1/ksbb/sites"),
    ("get", "/api/v1/ksbb/sites/{kode}"),
    ("put", "/api/v1/ksbb/sites/{kode}"),
    ("post", "/api/v1/ksbb/sites/{kode}/retire"),
    ("get", "/api/v1/ksbb/sites/{kode}/history"),
    ("post", "/api/v1/ksbb/umkm/import"),
    ("get", "/api/v1/ksbb/umkm"),
    ("get", "/api/v1/ksbb/umkm/{kode}"),
    ("post", "/api/v1/ksbb/kolaborator"),
    ("get", "/api/v1/ksbb/kolaborator"),
    ("post", "/api/v1/ksbb/kolaborator/{id}/review"),
    ("get", "/api/v1/ksbb/kolaborator/publik"),
    ("post", "/api/v1/ksbb/konfirmasi"),
    ("get", "/api/v1/ksbb/konfirmasi"),
    ("post", "/api/v1/ksbb/realisasi"),
    ("get", "/api/v1/ksbb/realisasi"),
    ("post", "/api/v1/ksbb/realisasi/{id}/lampiran"),
    ("get", "/api/v1/ksbb/realisasi/{id}/lampiran/{lampiran}"),
    ("post", "/api/v1/ksbb/verifikasi"),
    ("get", "/api/v1/ksbb/verifikasi"),
    ("get", "/api/v1/ksbb/flags"),
    ("post", "/api/v1/ksbb/flags/{id}/resolve"),
    ("get", "/api/v1/ksbb/rekap"),
    ("post", "/api/v1/recipients/batches"),
    ("get", "/api/v1/recipients/batches/{id}"),
    ("get", "/api/v1/recipients/households"),
    ("get", "/api/v1/recipients/households/{id}"),
    ("post", "/api/v1/recipients/households/{id}/nomor"),
    ("get", "/api/v1/recipients/near-duplicates"),
    ("post", "/api/v1/recipients/near-duplicates/{id}/decision"),
    ("post", "/api/v1/recipients/matching"),
    ("put", "/api/v1/recipients/quotas/{code}"),
    ("post", "/api/v1/recipients/eligibility"),
    ("post", "/api/v1/recipients/verification"),
    ("get", "/api/v1/recipients/households/{id}/verification"),
    ("post", "/api/v1/recipients/proposals"),
    ("get", "/api/v1/recipients/proposals"),
    ("get", "/api/v1/recipients/proposals/{id}"),
    ("post", "/api/v1/recipients/proposals/{id}/steps"),
    ("post", "/api/v1/recipients/decrees"),
    ("get", "/api/v1/recipients/decrees"),
    ("get", "/api/v1/recipients/decrees/{id}"),
    ("get", "/api/v1/recipients/decrees/{id}/diff"),
    ("get", "/api/v1/recipients/decrees/{id}/documents/{jenis}"),
    ("post", "/api/v1/recipients/handouts"),
    ("get", "/api/v1/recipients/handouts"),
    ("post", "/api/v1/recipients/handouts/{id}/koreksi"),
];

async fn doc() -> serde_json::Value {
    let store = testing::gpkg().await;
    let state = AppState::new(store, AtlasHandle::new(Atlas::new(vec![], Default::default())), Arc::new(Config::default()));
    let res = api::router(state).oneshot(Request::get("/api-docs/openapi.json").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

#[tokio::test]
async fn every_route_is_documented() {
    let d = doc().await;
    let paths = d["paths"].as_object().expect("paths");
    let missing: Vec<String> = ROUTES
        .iter()
        .filter(|(m, p)| paths.get(*p).and_then(|item| item.get(*m)).is_none())
        .map(|(m, p)| format!("{} {p}", m.to_uppercase()))
        .collect();
    assert!(missing.is_empty(), "not in the OpenAPI document: {missing:?}");
    let documented: usize = paths.values().map(|item| item.as_object().map_or(0, |o| o.len())).sum();
    assert_eq!(documented, ROUTES.len(), "the document has operations this test does not list: {:?}", paths.keys().collect::<Vec<_>>());

    let op = &paths["/api/v1/complaints"]["post"];
    assert_eq!(op["tags"][0], "complaints");
    assert!(op["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"), "{op}");
    assert!(op["requestBody"]["content"]["application/json"].is_object(), "{op}");
    assert!(op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap().ends_with("/Problem"), "{op}");
    let submit = &paths["/open311/v2/requests.json"]["post"];
    assert_eq!(submit["tags"][0], "open311");
    assert!(submit["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object(), "{submit}");
    for (_, p) in ROUTES {
        for part in p.split('/').filter(|s| s.starts_with('{')) {
            let name = part.trim_matches(|c| c == '{' || c == '}');
            let declared = paths[*p].as_object().unwrap().values().all(|op| {
                op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|x| x["name"] == name && x["in"] == "path"))
            });
            assert!(declared, "{p}: path parameter {name} is not declared");
        }
    }
}

#[tokio::test]
async fn complaint_enums_show_the_wire_words() {
    let d = doc().await;
    let schemas = &d["components"]["schemas"];
    let words = |name: &str| -> Vec<String> {
        schemas[name]["enum"].as_array().unwrap_or_else(|| panic!("{name}: {}", schemas[name])).iter().map(|v| v.as_str().unwrap().to_string()).collect()
    };
    let channels = words("Channel");
    for c in sigap::complaints::model::Channel::ALL {
        assert!(channels.contains(&c.as_str().to_string()), "{c} missing in {channels:?}");
    }
    assert_eq!(channels.len(), sigap::complaints::model::Channel::ALL.len());
    assert!(words("Category").contains(&"jalan_rusak".to_string()));
    assert!(words("Status").contains(&"dalam_proses".to_string()));
}
