//! No personal data of recipients on any public route (every route of the OpenAPI document,
//! called without a token), in tiles, or in the logs. Its own test binary: the log subscriber it
//! installs sees only this test's requests.

mod common;
use axum::http::StatusCode;
use common::recipients::*;
use sigap::store::{testing, tokens};
use common::LogBuf;

#[tokio::test]
async fn no_personal_data_on_public_routes_or_in_logs() {
    let logs = LogBuf::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_ansi(false).with_writer(move || sink.clone()).finish();
    // The test runs on one thread (current-thread runtime): every log line of it lands here.
    let _guard = tracing::subscriber::set_default(subscriber);
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let admin = tokens::create(&store, "admin", None, None).await.unwrap();
        assert_eq!(import(&app, &admin, "dinsos", "dinsos.csv", dinsos_csv().into_bytes(), None).await.status, StatusCode::CREATED);
        assert_eq!(import(&app, &admin, "disnaker", "disnaker.csv", disnaker_csv().into_bytes(), None).await.status, StatusCode::CREATED);
        let refused = import(&app, &admin, "dinsos", "h.csv", "nik,nama\n3171014101900001,Siti Aminah\n".into(), None).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!refused.text().contains("3171014101900001") && !refused.text().contains("Siti"), "a refusal does not echo the data");
        // A bottom-up proposal of RW 001 (its answers, with a token, are masked too).
        let rw1 = tokens::create(&store, "rw", Some(RW1), None).await.unwrap();
        let p = call(&app, "POST", "/api/v1/recipients/proposals?nama_file=usulan.csv", Some(&rw1), None, Some("text/csv"), dinsos_csv().into_bytes()).await;
        assert_eq!(p.status, StatusCode::CREATED, "{}", p.text());
        for uri in ["/api/v1/recipients/proposals", "/api/v1/recipients/proposals/1"] {
            let r = call(&app, "GET", uri, Some(&rw1), None, None, vec![]).await;
            assert_eq!(r.status, StatusCode::OK);
            for s in SECRETS {
                assert!(!r.text().contains(s) && !p.text().contains(s), "{uri} shows {s}");
            }
        }

        // Every route of the OpenAPI document, called without a token, with its path filled in.
        let doc = call(&app, "GET", "/api-docs/openapi.json", None, None, None, vec![]).await.json();
        let mut public = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                let uri = path
                    .replace("{code}", KEL)
                    .replace("{id}", "1")
                    .replace("{photo}", "1")
                    .replace("{layer}/{z}/{x}/{y}", "rw/14/13068/8471.mvt")
                    .replace("{file}", "1.json");
                let extra = match path.as_str() {
                    "/api/v1/bansos/progress" => "?level=rw",
                    "/api/v1/bansos/progress/export" => "?level=rw&format=csv",
                    "/api/v1/locate" => "?lon=106.81&lat=-6.17",
                    "/open311/v2/requests.json" => "?status=open",
                    _ => "",
                };
                let r = call(&app, &method.to_uppercase(), &format!("{uri}{extra}"), None, None, Some("application/json"), b"{}".to_vec()).await;
                let text = r.text();
                for s in SECRETS {
                    assert!(!text.contains(s), "{} {uri} ({}) shows {s}", method.to_uppercase(), r.status);
                }
                if r.status.is_success() {
                    public.push(format!("{} {path}", method.to_uppercase()));
                }
                if path.starts_with("/api/v1/recipients") {
                    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path} needs a token");
                }
            }
        }
        assert!(public.len() >= 8, "the public routes answered: {public:?}");
        assert!(public.iter().any(|p| p == "GET /api/v1/bansos/progress/export"), "the download answered: {public:?}");
        // The logistics public recap (JSON and page) is public and was called above like every route.
        for route in ["GET /api/v1/publik/logistik/rekap", "GET /publik/logistik"] {
            assert!(public.iter().any(|p| p == route), "{route} answered without a token: {public:?}");
        }
        // The open-data downloads in both formats and the trend of the recipients' kelurahan.
        for uri in [format!("/api/v1/bansos/progress/export?level=rw&parent={KEL}&format=geojson"), "/api/v1/bansos/progress/export?level=kelurahan&format=csv".into(), format!("/api/v1/bansos/trend?area={KEL}")] {
            let r = call(&app, "GET", &uri, None, None, None, vec![]).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}");
            let text = r.text();
            for s in SECRETS {
                assert!(!text.contains(s), "{uri} shows {s}");
            }
        }
        // Tiles of the RW with recipients, the web config and the map page.
        for uri in ["/tiles/rw/16/52275/33885.mvt", "/tiles/kelurahan/14/13068/8471.mvt", "/web-config.json", "/metrics"] {
            let r = call(&app, "GET", uri, None, None, None, vec![]).await;
            let text = r.text();
            for s in SECRETS {
                assert!(!text.contains(s), "{uri} shows {s}");
            }
        }
    })
    .await;
    let logs = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(logs.contains("request"), "the log captured the requests: {}", &logs[..logs.len().min(500)]);
    for s in SECRETS {
        assert!(!logs.contains(s), "the log holds {s}");
    }
}
