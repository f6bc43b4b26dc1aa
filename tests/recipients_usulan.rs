//! Bottom-up proposals (usulan, seed 001 C) over HTTP on both stores: created by an RW from its
//! recap file, moved desk by desk up to Biro Kesos by the desk holding them, sent back one step
//! with a reason, with the version named; every refusal writes nothing.

mod common;
use axum::http::StatusCode;
use common::recipients::*;
use serde_json::json;
use sigap::store::{testing, tokens};

/// Two residents of RW 001 who were missed, and one row of RW 002 (refused: another RW's recap).
fn usulan_csv() -> String {
    format!(
        "{HEADER}\n\
         3171011203850006,3171010505200008,Yanti Kusuma,Jl. Kamboja 3,2,{RW1},,3,,\n\
         3171015507900007,3171010606200009,Rudi Hartono,Gang Dahlia 7,4,{RW1},,5,,\n\
         3171010808880008,3171010707200010,Tono Sugiarto,Jl. Anggrek 1,1,{RW2},,2,,\n"
    )
}

async fn propose(app: &axum::Router, token: &str, query: &str, body: Vec<u8>, key: Option<&str>) -> Res {
    call(app, "POST", &format!("/api/v1/recipients/proposals?{query}"), Some(token), key, Some("text/csv"), body).await
}

async fn step(app: &axum::Router, token: &str, id: i64, body: serde_json::Value) -> Res {
    call(app, "POST", &format!("/api/v1/recipients/proposals/{id}/steps"), Some(token), None, Some("application/json"), body.to_string().into_bytes()).await
}

#[tokio::test]
async fn proposals_are_created_by_the_rw_and_refused_whole_when_bad() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let admin = tokens::create(&store, "admin", None, None).await.unwrap();
        let planner = tokens::create(&store, "planner", None, None).await.unwrap();
        let rw1 = tokens::create(&store, "rw", Some(RW1), None).await.unwrap();
        let rw2 = tokens::create(&store, "rw", Some(RW2), None).await.unwrap();
        let csv = usulan_csv().into_bytes();

        let before = rows(&store).await;
        problem(&propose(&app, &rw2, &format!("rw={RW1}&nama_file=u.csv"), csv.clone(), None).await, 403, "rw");
        assert_eq!(propose(&app, &planner, &format!("rw={RW1}&nama_file=u.csv"), csv.clone(), None).await.status, StatusCode::FORBIDDEN);
        problem(&propose(&app, &rw1, &format!("rw={KEL}&nama_file=u.csv"), csv.clone(), None).await, 400, "rw");
        problem(&propose(&app, &admin, "nama_file=u.csv", csv.clone(), None).await, 400, "rw");
        problem(&propose(&app, &admin, "rw=31.71.01.1002.999&nama_file=u.csv", csv.clone(), None).await, 404, "rw");
        problem(&propose(&app, &rw1, "nama_file=u.txt", csv.clone(), None).await, 400, "nama_file");
        problem(&propose(&app, &rw1, "nama_file=u.csv&catatan=a%00b", csv.clone(), None).await, 422, "catatan");
        problem(&propose(&app, &rw1, "nama_file=u.csv&warna=merah", csv.clone(), None).await, 400, "warna");
        let wrong_header = propose(&app, &rw1, "nama_file=u.csv", b"nik,nama\n3171011203850006,Yanti Kusuma\n".to_vec(), None).await;
        assert_eq!(wrong_header.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(wrong_header.json()["type"].as_str().map(|t| t.ends_with("file-refused")), Some(true), "{}", wrong_header.text());
        // No valid row (only another RW's resident and a bad NIK): refused whole, the codes listed.
        let nobody = format!("{HEADER}\n3171010808880008,3171010707200010,Tono Sugiarto,Jl. Anggrek 1,1,{RW2},,2,,\n3.17101E+15,3171010707200011,Ani,Jl. A,1,{RW1},,2,,\n");
        let r = propose(&app, &rw1, "nama_file=u.csv", nobody.into_bytes(), None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert!(r.text().contains("rw_di_luar_usulan") && r.text().contains("nik_notasi_ilmiah"), "{}", r.text());
        assert!(!r.text().contains("Tono") && !r.text().contains("3171010808880008"), "a refusal does not echo the data");
        assert_eq!(rows(&store).await, before, "refused proposals write nothing (batch, rows, households, proposal, steps, audit, key)");

        // The RW's own proposal (rw omitted: the token's RW); the RW 002 row is kept, refused.
        let r = propose(&app, &rw1, "nama_file=usulan-rw001.csv&catatan=rekap%20RT%20002%20dan%20004", csv.clone(), Some("u1")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let j = r.json();
        assert_eq!(j["usulan"]["rw"], RW1);
        assert_eq!(j["usulan"]["tahap"], "rt");
        assert_eq!(j["usulan"]["versi"], 0);
        assert_eq!(j["usulan"]["rumah_tangga"], 2);
        assert_eq!(j["usulan"]["belum_dipadankan"], 2);
        assert_eq!(j["laporan"]["batch"]["sumber"], "usulan");
        assert_eq!(j["laporan"]["batch"]["rows_valid"], 2);
        assert_eq!(j["laporan"]["rows"][2]["alasan"][0]["kode"], "rw_di_luar_usulan");
        assert!(!r.text().contains("3171011203850006") && !r.text().contains("Yanti"), "masked answer");
        let again = propose(&app, &rw1, "nama_file=usulan-rw001.csv&catatan=rekap%20RT%20002%20dan%20004", csv.clone(), Some("u1")).await;
        assert!(again.replayed && again.status == StatusCode::CREATED);
        let other = propose(&app, &rw1, "nama_file=lain.csv", csv.clone(), Some("u1")).await;
        problem(&other, 409, "Idempotency-Key");
        // An admin proposes for RW 002.
        let r = propose(&app, &admin, &format!("rw={RW2}&nama_file=u2.csv"), csv.clone(), None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(r.json()["laporan"]["batch"]["rows_valid"], 1);
    })
    .await;
}

#[tokio::test]
async fn proposals_move_desk_by_desk_and_back_with_a_reason() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let admin = tokens::create(&store, "admin", None, None).await.unwrap();
        let planner = tokens::create(&store, "planner", None, None).await.unwrap();
        let auditor = tokens::create(&store, "auditor", None, None).await.unwrap();
        let rw1 = tokens::create(&store, "rw", Some(RW1), None).await.unwrap();
        let rw2 = tokens::create(&store, "rw", Some(RW2), None).await.unwrap();
        let lurah = tokens::create(&store, "lurah", Some(KEL), None).await.unwrap();
        let other_lurah = tokens::create(&store, "lurah", Some("31.71.01.1003"), None).await.unwrap();
        let r = propose(&app, &rw1, "nama_file=u.csv", usulan_csv().into_bytes(), None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let id = r.json()["usulan"]["id"].as_i64().unwrap();
        let go = |v: i64| json!({"aksi": "teruskan", "versi": v});
        let back = |v: i64, why: &str| json!({"aksi": "kembalikan", "versi": v, "alasan": why});

        // Bad moves at the RT desk write nothing.
        let before = rows(&store).await;
        problem(&step(&app, &rw1, id, back(0, "x")).await, 422, "aksi");
        problem(&step(&app, &rw1, id, json!({"aksi": "kembalikan", "versi": 0})).await, 422, "alasan");
        problem(&step(&app, &rw1, id, json!({"aksi": "kembalikan", "versi": 0, "alasan": "a\u{0}b"})).await, 422, "alasan");
        problem(&step(&app, &rw1, id, json!({"aksi": "lompat", "versi": 0})).await, 422, "aksi");
        problem(&step(&app, &rw1, id, json!({"aksi": "teruskan", "versi": 0, "extra": 1})).await, 422, "extra");
        problem(&step(&app, &rw1, id, go(7)).await, 409, "versi");
        problem(&step(&app, &rw1, 99999, go(0)).await, 404, "id");
        for t in [&rw2, &lurah, &planner, &auditor] {
            assert_eq!(step(&app, t, id, go(0)).await.status, StatusCode::FORBIDDEN);
        }
        assert_eq!(rows(&store).await, before, "refused moves write nothing");

        // RT → RW → Kelurahan by the RW; the Lurah sends it back with a reason, the RW forwards again.
        let r = step(&app, &rw1, id, go(0)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!((r.json()["tahap"].as_str(), r.json()["versi"].as_i64()), (Some("rw"), Some(1)));
        assert_eq!(step(&app, &rw1, id, go(1)).await.json()["tahap"], "kelurahan");
        for t in [&rw1, &other_lurah, &planner] {
            assert_eq!(step(&app, t, id, go(2)).await.status, StatusCode::FORBIDDEN, "the Lurah's desk");
        }
        let r = step(&app, &lurah, id, back(2, "data RT 004 belum lengkap")).await;
        assert_eq!(r.json()["tahap"], "rw", "{}", r.text());
        assert_eq!(step(&app, &rw1, id, go(3)).await.json()["tahap"], "kelurahan");
        assert_eq!(step(&app, &lurah, id, go(4)).await.json()["tahap"], "kecamatan");
        assert_eq!(step(&app, &lurah, id, go(5)).await.status, StatusCode::FORBIDDEN, "the province's desks");
        for (v, next) in [(5, "biro_pemerintahan"), (6, "diskominfotik"), (7, "dukcapil")] {
            assert_eq!(step(&app, &planner, id, go(v)).await.json()["tahap"], next);
        }
        // Leaving Dukcapil needs every household matched.
        let before = rows(&store).await;
        problem(&step(&app, &planner, id, go(8)).await, 422, "aksi");
        assert_eq!(rows(&store).await, before);
        let m = call(&app, "POST", "/api/v1/recipients/matching", Some(&planner), None, Some("application/json"), b"{}".to_vec()).await;
        assert_eq!(m.status, StatusCode::OK, "{}", m.text());
        let r = step(&app, &planner, id, go(8)).await;
        assert_eq!(r.json()["tahap"], "biro_kesos", "{}", r.text());
        assert_eq!(r.json()["belum_dipadankan"], 0);
        problem(&step(&app, &admin, id, go(9)).await, 422, "aksi");

        // History, scoped reads and lists.
        let h = call(&app, "GET", &format!("/api/v1/recipients/proposals/{id}"), Some(&rw1), None, None, vec![]).await;
        assert_eq!(h.status, StatusCode::OK, "{}", h.text());
        let steps: Vec<(String, String)> =
            h.json()["langkah"].as_array().unwrap().iter().map(|l| (l["aksi"].as_str().unwrap().into(), l["ke"].as_str().unwrap().into())).collect();
        let want = [
            ("buat", "rt"), ("teruskan", "rw"), ("teruskan", "kelurahan"), ("kembalikan", "rw"), ("teruskan", "kelurahan"), ("teruskan", "kecamatan"),
            ("teruskan", "biro_pemerintahan"), ("teruskan", "diskominfotik"), ("teruskan", "dukcapil"), ("teruskan", "biro_kesos"),
        ];
        assert_eq!(steps, want.map(|(a, k)| (a.to_string(), k.to_string())));
        assert_eq!(h.json()["langkah"][3]["alasan"], "data RT 004 belum lengkap");
        assert!(h.json()["langkah"][3]["actor"].as_str().unwrap().contains("lurah@31.71.01.1002"));
        assert_eq!(call(&app, "GET", &format!("/api/v1/recipients/proposals/{id}"), Some(&rw2), None, None, vec![]).await.status, StatusCode::FORBIDDEN);
        problem(&call(&app, "GET", "/api/v1/recipients/proposals/99999", Some(&admin), None, None, vec![]).await, 404, "id");
        let list = |t: String, q: &'static str| {
            let app = app.clone();
            async move { call(&app, "GET", &format!("/api/v1/recipients/proposals{q}"), Some(&t), None, None, vec![]).await }
        };
        assert_eq!(list(lurah.clone(), "").await.json().as_array().unwrap().len(), 1);
        assert_eq!(list(rw2.clone(), "").await.json().as_array().unwrap().len(), 0);
        assert_eq!(list(auditor.clone(), "?tahap=biro_kesos").await.json().as_array().unwrap().len(), 1);
        assert_eq!(list(auditor.clone(), "?tahap=rt").await.json().as_array().unwrap().len(), 0);
        problem(&list(auditor.clone(), "?tahap=lompat").await, 400, "tahap");
        assert_eq!(list(rw2.clone(), "?rw=31.71.01.1002.001").await.status, StatusCode::FORBIDDEN);
        let audit = sigap::on_pool!(&store, p => { use sqlx::Row; sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'recipients.usulan.step'").fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() });
        assert_eq!(audit, 9);
    })
    .await;
}
