//! Open311 GeoReport v2 on both stores: submit like a GeoReport client, read the public view.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use serde_json::Value;
use sigap::api::{self, AppState, Config};
use sigap::store::testing;
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

async fn call(app: &axum::Router, method: &str, uri: &str, form: Option<&str>) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if form.is_some() {
        req = req.header("content-type", "application/x-www-form-urlencoded");
    }
    let res = app.clone().oneshot(req.body(form.map(|f| Body::from(f.to_string())).unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn open311_submit_and_read_on_both_stores() {
    for store in testing::both().await {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = atlas(&store).await;
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));

        let sv = call(&app, "GET", "/open311/v2/services.json", None).await;
        assert_eq!(sv.0, StatusCode::OK);
        assert!(sv.1.as_array().unwrap().iter().any(|s| s["service_code"] == "jalan_rusak"));

        let p = call(&app, "POST", "/open311/v2/requests.json", Some("service_code=jalan_rusak&lat=-6.175432&long=106.827189&description=Lubang+besar+di+jalan%2C+bahaya&email=warga%40example.id")).await;
        assert_eq!(p.0, StatusCode::CREATED, "{:?}", p.1);
        let id = p.1[0]["service_request_id"].as_str().unwrap().to_string();

        let one = call(&app, "GET", &format!("/open311/v2/requests/{id}.json"), None).await;
        assert_eq!(one.0, StatusCode::OK);
        let r = &one.1[0];
        assert_eq!((r["status"].as_str(), r["agency_responsible"].as_str()), (Some("open"), Some("31.71.01.1001")));
        assert_eq!(r["description"], "Lubang besar di jalan, bahaya");
        assert_eq!((r["lat"].as_f64(), r["long"].as_f64()), (Some(-6.175), Some(106.827)), "public point is rounded");
        let text = one.1.to_string();
        assert!(!text.contains("warga@example.id") && !text.contains("6.175432"), "{text}");

        let all = call(&app, "GET", "/open311/v2/requests.json?status=open&service_code=jalan_rusak", None).await;
        assert_eq!(all.1.as_array().unwrap().len(), 1);
        assert_eq!(call(&app, "GET", "/open311/v2/requests.json?status=closed", None).await.1.as_array().unwrap().len(), 0);

        // Bad input: unknown service, non-number and out-of-range coordinates, missing description.
        let before = sigap::complaints::store::counts(&store).await.unwrap();
        for (form, field) in [
            ("service_code=gempa&description=x", "service_code"),
            ("service_code=banjir&description=x&lat=NaN&long=106.8", "lat"),
            ("service_code=banjir&description=x&lat=abc&long=106.8", "lat"),
            ("service_code=banjir&description=x&lat=-6.2&long=200", "long"),
            ("service_code=banjir&lat=-6.2&long=106.8", "description"),
            ("service_code=banjir&description=x&lat=-6.2", "long"),
        ] {
            let r = call(&app, "POST", "/open311/v2/requests.json", Some(form)).await;
            assert_eq!(r.0, StatusCode::BAD_REQUEST, "{form}: {:?}", r.1);
            assert_eq!(r.1[0]["field"], field, "{form}: {:?}", r.1);
        }
        // Form fields with control characters, and a contact over the JSON intake's cap: 422 naming the field.
        let long = "9".repeat(201);
        for (form, field) in [
            ("service_code=banjir&description=air%00naik".to_string(), "description"),
            ("service_code=banjir&description=x&email=a%00%40b.id".to_string(), "email"),
            ("service_code=banjir&description=x&phone=0812%1B".to_string(), "phone"),
            (format!("service_code=banjir&description=x&email={long}"), "email"),
            (format!("service_code=banjir&description=x&phone={long}"), "phone"),
        ] {
            let r = call(&app, "POST", "/open311/v2/requests.json", Some(&form)).await;
            assert_eq!(r.0, StatusCode::UNPROCESSABLE_ENTITY, "{form}: {:?}", r.1);
            assert_eq!(r.1[0]["field"], field, "{form}: {:?}", r.1);
        }
        assert_eq!(sigap::complaints::store::counts(&store).await.unwrap(), before);
        assert_eq!(call(&app, "GET", "/open311/v2/requests/99999.json", None).await.0, StatusCode::NOT_FOUND);
    }
}
