//! Hand-out by name (penyaluran) on both stores, one flow from import to the report: households of
//! the current SK receive (or have their package taken back) once per round — many clients on the
//! same household at once: exactly one wins, no 500; the bansos `kk_served` of an RW named by the
//! SK is its households handed out by name (count-only hand-outs refused there, except a
//! correction to 0 of one recorded before); a record made against the wrong household is
//! corrected (voided, kept, the right one recorded, bansos following); every refusal writes
//! nothing. Then the rotation of
//! the lookup-hash key on the same data: lookups, dedup and the decree's unchanged check hold.
//! Before the decree, two RW operators verify the same page at once from many clients.

mod common;
use axum::http::StatusCode;
use common::recipients::*;
use serde_json::{json, Value};
use sigap::recipients::{crypt::Pii, ops as rops};
use sigap::store::{testing, tokens, Store};

/// Rows of every table a hand-out touches: the recipients tables, audit, idempotency, hand-outs
/// by name, bansos hand-outs, and the voided hand-outs.
async fn state(store: &Store) -> Vec<i64> {
    let mut v = rows(store).await;
    for sql in ["SELECT COUNT(*) AS n FROM recipient_penyaluran", "SELECT COUNT(*) AS n FROM bansos_handout", "SELECT COUNT(*) AS n FROM recipient_penyaluran WHERE koreksi_at IS NOT NULL"] {
        v.push(sigap::on_pool!(store, p => { use sqlx::Row; sqlx::query(sql).fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() }));
    }
    v
}

/// KK served of an RW as bansos counts it, and its households handed out by name.
async fn served(store: &Store, rw: &str) -> (u64, i64) {
    let figures = sigap::bansos::store::rw_figures(store).await.unwrap();
    let kk = figures.get(&sigap::wilayah::AreaCode::parse(rw).unwrap()).map_or(0, |f| f.served_kk);
    let sql = "SELECT COUNT(DISTINCT household_id) AS n FROM recipient_penyaluran WHERE rw = $1 AND status = 'diterima' AND koreksi_at IS NULL";
    let named = sigap::on_pool!(store, p => { use sqlx::Row; sqlx::query(sql).bind(rw).fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() });
    (kk, named)
}

fn handout(putaran: i64, items: Value) -> Value {
    json!({"putaran": putaran, "tanggal": "2026-04-25", "petugas": "Ketua RT 002", "items": items})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn households_of_the_sk_are_handed_out_by_name_once_per_round_and_counted_in_bansos() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let kind = store.kind();
        let planner = tokens::create(&store, "planner", None, None).await.unwrap();
        let auditor = tokens::create(&store, "auditor", None, None).await.unwrap();
        let operator = tokens::create(&store, "operator", None, None).await.unwrap();
        let rw1 = tokens::create(&store, "rw", Some(RW1), None).await.unwrap();
        let rw2 = tokens::create(&store, "rw", Some(RW2), None).await.unwrap();
        let lurah = tokens::create(&store, "lurah", Some(KEL), None).await.unwrap();
        let send = |method: &'static str, t: String, uri: String, body: Value, key: Option<&'static str>| {
            let app = app.clone();
            async move { call(&app, method, &uri, Some(&t), key, Some("application/json"), body.to_string().into_bytes()).await }
        };
        let post = |t: &String, uri: &str, body: Value| send("POST", t.clone(), uri.to_string(), body, None);
        let get = |t: &String, uri: String| send("GET", t.clone(), uri, Value::Null, None);

        // Ahmad, Bambang, Nur (RW 001) and Dewi (RW 002) are layak; Siti (on PKH) is not.
        let csv = format!(
            "{HEADER}\n3171011505800004,3171010303200006,Ahmad Fauzi,Jl. Kenanga 1,2,{RW1},,3,,\n\
             3171010507880006,3171010505200008,Bambang Sutrisno,Jl. Flamboyan 7,3,{RW1},,2,,\n\
             3171014507900007,3171010606200009,Nur Hidayah,Gang Anggrek 3,4,{RW1},,5,,\n\
             3171012006750005,3171010404200007,Dewi Lestari,Jl. Mawar 9,4,{RW2},,5,,\n\
             3171014101900001,3171010101200003,Siti Aminah,Jl. Melati No. 5,1,{RW1},,4,PKH,\n"
        );
        assert_eq!(import(&app, &planner, "dinsos", "dinsos.csv", csv.into_bytes(), None).await.status, StatusCode::CREATED);
        assert_eq!(post(&planner, "/api/v1/recipients/matching", json!({})).await.status, StatusCode::OK);
        assert_eq!(post(&planner, "/api/v1/recipients/eligibility", json!({})).await.status, StatusCode::OK);
        let hh = get(&planner, "/api/v1/recipients/households".into()).await.json()["households"].as_array().unwrap().clone();
        let id = |nama: &str| hh.iter().find(|h| h["nama"] == nama).unwrap()["id"].as_i64().unwrap();
        let (ahmad, bambang, nur, dewi, siti) = (id("Ahmad Fauzi"), id("Bambang Sutrisno"), id("Nur Hidayah"), id("Dewi Lestari"), id("Siti Aminah"));
        let accept = |ids: &[i64]| json!({"items": ids.iter().map(|i| json!({"household_id": i, "keputusan": "diterima"})).collect::<Vec<_>>()});

        // Two RW operators decide the same page at the same moment, four clients each, one
        // accepting in id order, the other refusing in reverse order: every answer is a 200
        // (its whole page applied) or a 409 (nothing applied), never a 500; no decision is lost
        // (each household's version = its history rows, its state = its last decision).
        let rw1b = tokens::create(&store, "rw", Some(RW1), None).await.unwrap();
        let refuse = |ids: &[i64]| json!({"items": ids.iter().map(|i| json!({"household_id": i, "keputusan": "ditolak", "alasan": "bukan warga RW"})).collect::<Vec<_>>()});
        let mut clients = Vec::new();
        for n in 0..8 {
            let (app, t) = (app.clone(), if n % 2 == 0 { rw1.clone() } else { rw1b.clone() });
            let body = if n % 2 == 0 { accept(&[ahmad, bambang, nur]) } else { refuse(&[nur, bambang, ahmad]) }.to_string().into_bytes();
            clients.push(tokio::spawn(async move { call(&app, "POST", "/api/v1/recipients/verification", Some(&t), None, Some("application/json"), body).await }));
        }
        let mut applied = 0;
        for c in clients {
            let r = c.await.unwrap();
            match r.status {
                StatusCode::OK => applied += 1,
                StatusCode::CONFLICT => assert!(r.json()["field"].as_str().unwrap().starts_with("items["), "{}", r.text()),
                other => panic!("{kind}: {other} {}", r.text()),
            }
        }
        assert!(applied >= 1, "{kind}: at least one page applied");
        for h in [ahmad, bambang, nur] {
            let history = get(&rw1, format!("/api/v1/recipients/households/{h}/verification")).await.json();
            let history = history.as_array().unwrap();
            assert_eq!(history.len(), applied, "{kind}: every applied page decided household {h} once");
            let (versi, state) = sigap::on_pool!(&store, p => { use sqlx::Row;
                let r = sqlx::query("SELECT verifikasi_versi, verifikasi FROM recipient_household WHERE id = $1").bind(h).fetch_one(p).await.unwrap();
                (r.try_get::<i64, _>("verifikasi_versi").unwrap(), r.try_get::<String, _>("verifikasi").unwrap()) });
            assert_eq!(versi as usize, history.len(), "{kind}: no lost update on {h}");
            let last = history.last().unwrap()["keputusan"].as_str().unwrap();
            assert_eq!(state, format!("{last}_rw"), "{kind}: the state is the last decision");
        }
        assert_eq!(post(&rw1, "/api/v1/recipients/verification", accept(&[ahmad, bambang, nur])).await.status, StatusCode::OK);
        assert_eq!(post(&rw2, "/api/v1/recipients/verification", accept(&[dewi])).await.status, StatusCode::OK);
        assert_eq!(post(&lurah, "/api/v1/recipients/verification", accept(&[ahmad, bambang, nur, dewi])).await.status, StatusCode::OK);

        // Before any SK: packages arrive and RW 001 counts 2 KK served without names.
        {
            let targets = [(RW1, 5), (RW2, 5)].map(|(rw, n)| sigap::bansos::model::Target { rw: sigap::wilayah::AreaCode::parse(rw).unwrap(), target_kk: n });
            let mut tx = store.begin().await.unwrap();
            sigap::bansos::ops::import_targets(&mut tx, &targets, false, "test", &|_| {}).await.unwrap();
            tx.commit().await.unwrap();
        }
        for rw in [RW1, RW2] {
            let d = json!({"rw": rw, "date": "2026-04-24", "provider": "PT Pos", "bast_ref": format!("BAST/{rw}"), "packages_sent": 10, "packages_received": 10});
            assert_eq!(post(&planner, "/api/v1/bansos/deliveries", d).await.status, StatusCode::CREATED);
        }
        let counted = post(&planner, "/api/v1/bansos/handouts", json!({"rw": RW1, "date": "2026-04-24", "kk_served": 2})).await;
        assert_eq!(counted.status, StatusCode::CREATED, "{}", counted.text());
        let counted = counted.json()["id"].as_i64().unwrap();
        let before = state(&store).await;
        problem(&post(&rw1, "/api/v1/recipients/handouts", handout(1, json!([{"household_id": ahmad, "status": "diterima"}]))).await, 422, "items[0].household_id");
        assert_eq!(state(&store).await, before, "no SK yet: nothing written");

        // SK 1 names RW 001 (3 KK) and RW 002 (1 KK): from now on they count by name only.
        let r = post(&planner, "/api/v1/recipients/decrees", json!({"nomor": "1/2026", "tanggal": "2026-04-20"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let before = state(&store).await;
        problem(&post(&planner, "/api/v1/bansos/handouts", json!({"rw": RW1, "date": "2026-04-25", "kk_served": 1})).await, 422, "rw");
        let r = post(&rw1, "/api/v1/recipients/handouts", handout(1, json!([{"household_id": ahmad, "status": "diterima"}]))).await;
        problem(&r, 409, "items[0].household_id");
        assert!(r.json()["detail"].as_str().unwrap().contains(&format!("#{counted}")), "names the count to correct: {}", r.text());
        assert_eq!(state(&store).await, before, "refusals write nothing");
        // The count recorded before names is corrected to 0: the way is clear.
        let c = post(&planner, "/api/v1/bansos/handouts", json!({"rw": RW1, "date": "2026-04-25", "kk_served": 0, "corrects": counted})).await;
        assert_eq!(c.status, StatusCode::CREATED, "{}", c.text());
        assert_eq!(served(&store, RW1).await, (0, 0));

        // Bad input beside the good: each refused whole, nothing written.
        let before = state(&store).await;
        let one = |h: i64| json!([{"household_id": h, "status": "diterima"}]);
        for (t, body, status, field) in [
            (&rw1, handout(1, one(9999)), 404, "items[0].household_id"),
            (&rw1, handout(1, one(siti)), 422, "items[0].household_id"),
            (&rw1, handout(1, json!([{"household_id": ahmad, "status": "diterima", "alasan": "tidak_layak"}])), 422, "items[0].alasan"),
            (&rw1, handout(1, json!([{"household_id": ahmad, "status": "diterima"}, {"household_id": nur, "status": "ditarik"}])), 422, "items[1].alasan"),
            (&rw1, handout(1, json!([{"household_id": ahmad, "status": "diberikan"}])), 422, "items[0].status"),
            (&rw1, handout(0, one(ahmad)), 422, "putaran"),
            (&rw1, json!({"putaran": 1, "tanggal": "2999-01-01", "items": one(ahmad)}), 422, "tanggal"),
            (&rw1, json!({"putaran": 1, "tanggal": "2026-04-25", "items": []}), 422, "items"),
            (&rw1, json!({"putaran": 1, "tanggal": "2026-04-25", "petugas": "a\u{0}b", "items": one(ahmad)}), 422, "petugas"),
            (&rw1, json!({"putaran": 1, "tanggal": "2026-04-25", "items": one(ahmad), "rw": RW1}), 422, "rw"),
            (&rw1, handout(1, json!([{"household_id": ahmad, "status": "diterima"}, {"household_id": dewi, "status": "diterima"}])), 403, ""),
        ] {
            let r = post(t, "/api/v1/recipients/handouts", body).await;
            if status == 403 {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
            } else {
                problem(&r, status, field);
            }
        }
        for t in [&operator, &auditor] {
            assert_eq!(post(t, "/api/v1/recipients/handouts", handout(1, one(ahmad))).await.status, StatusCode::FORBIDDEN);
        }
        assert_eq!(state(&store).await, before, "refusals write nothing");

        // Eight clients hand Ahmad's package out at the same moment: exactly one wins, the others
        // are told it is recorded (409), none fails.
        let mut clients = Vec::new();
        for n in 0..8 {
            let (app, t) = (app.clone(), if n % 2 == 0 { rw1.clone() } else { lurah.clone() });
            let body = handout(1, one(ahmad)).to_string().into_bytes();
            clients.push(tokio::spawn(async move { call(&app, "POST", "/api/v1/recipients/handouts", Some(&t), None, Some("application/json"), body).await }));
        }
        let mut won = 0;
        for c in clients {
            let r = c.await.unwrap();
            match r.status {
                StatusCode::CREATED => won += 1,
                StatusCode::CONFLICT => assert_eq!(r.json()["field"], "items[0].household_id", "{}", r.text()),
                other => panic!("{kind}: {other} {}", r.text()),
            }
        }
        assert_eq!(won, 1, "{kind}: exactly one hand-out of Ahmad's package");
        assert_eq!(served(&store, RW1).await, (1, 1));

        // A page: Bambang receives, Nur was not there (taken back); keyed, so a retry replays.
        let page = handout(1, json!([{"household_id": bambang, "status": "diterima"}, {"household_id": nur, "status": "ditarik", "alasan": "tidak_di_lokasi", "keterangan": "mudik"}]));
        let r = send("POST", rw1.clone(), "/api/v1/recipients/handouts".into(), page.clone(), Some("page-1")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let j = r.json();
        assert_eq!((j["diterima"].as_i64(), j["ditarik"].as_i64(), j["bansos_handouts"].as_array().map(Vec::len)), (Some(1), Some(1), Some(1)));
        assert_eq!(j["records"][0]["nik"], "3171**********06", "masked");
        assert_eq!((j["records"][1]["alasan"].as_str(), j["records"][1]["bansos_handout_id"].as_i64()), (Some("tidak_di_lokasi"), None));
        assert_eq!(j["records"][0]["petugas"], "Ketua RT 002");
        assert!(!r.text().contains("3171010507880006"));
        let again = send("POST", rw1.clone(), "/api/v1/recipients/handouts".into(), page, Some("page-1")).await;
        assert!(again.replayed && again.body == r.body, "the retry replays the answer");
        problem(&send("POST", rw1.clone(), "/api/v1/recipients/handouts".into(), handout(2, one(bambang)), Some("page-1")).await, 409, "Idempotency-Key");
        // Nur's package was taken back: she cannot receive in round 1 any more.
        problem(&post(&rw1, "/api/v1/recipients/handouts", handout(1, one(nur))).await, 409, "items[0].household_id");
        assert_eq!(served(&store, RW1).await, (2, 2), "kk_served = households handed out by name");

        // The Lurah refuses Dewi after the decree: she may not receive; her package is taken back.
        let refuse = json!({"items": [{"household_id": dewi, "keputusan": "ditolak", "alasan": "warga mampu"}]});
        assert_eq!(post(&lurah, "/api/v1/recipients/verification", refuse).await.status, StatusCode::OK);
        let before = state(&store).await;
        problem(&post(&rw2, "/api/v1/recipients/handouts", handout(1, one(dewi))).await, 422, "items[0].status");
        assert_eq!(state(&store).await, before);
        let r = post(&rw2, "/api/v1/recipients/handouts", handout(1, json!([{"household_id": dewi, "status": "ditarik", "alasan": "tidak_layak"}]))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(served(&store, RW2).await, (0, 0));

        // Round 2: Ahmad receives again (a household is counted once in kk_served), once.
        let r = post(&lurah, "/api/v1/recipients/handouts", handout(2, one(ahmad))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(r.json()["bansos_handouts"], json!([]));
        problem(&post(&rw1, "/api/v1/recipients/handouts", handout(2, one(ahmad))).await, 409, "items[0].household_id");
        assert_eq!(served(&store, RW1).await, (2, 2));
        // A named hand-out's bansos row is not corrected as a count.
        let named_row = j["bansos_handouts"][0].as_i64().unwrap();
        problem(&post(&planner, "/api/v1/bansos/handouts", json!({"rw": RW1, "date": "2026-04-25", "kk_served": 0, "corrects": named_row})).await, 422, "rw");

        // The report of round 1: per RW against the SK, and the packages taken back with reasons.
        let r = get(&planner, "/api/v1/recipients/handouts?putaran=1".into()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let j = r.json();
        assert_eq!(j["ringkasan"], json!([
            {"rw": RW1, "sk_kk": 3, "diterima": 2, "ditarik_tidak_di_lokasi": 1, "ditarik_tidak_layak": 0, "belum": 0},
            {"rw": RW2, "sk_kk": 1, "diterima": 0, "ditarik_tidak_di_lokasi": 0, "ditarik_tidak_layak": 1, "belum": 0},
        ]));
        assert_eq!(j["records"].as_array().unwrap().len(), 4);
        let taken = get(&auditor, "/api/v1/recipients/handouts?putaran=1&status=ditarik".into()).await.json();
        let who: Vec<(i64, &str)> = taken["records"].as_array().unwrap().iter().map(|r| (r["household_id"].as_i64().unwrap(), r["alasan"].as_str().unwrap())).collect();
        assert_eq!(who, [(nur, "tidak_di_lokasi"), (dewi, "tidak_layak")]);
        let own = get(&rw2, "/api/v1/recipients/handouts?putaran=1".into()).await.json();
        assert_eq!((own["records"].as_array().unwrap().len(), own["ringkasan"].as_array().unwrap().len()), (1, 1), "an RW token sees its RW");
        let paged = get(&lurah, "/api/v1/recipients/handouts?putaran=1&limit=3".into()).await.json();
        assert_eq!(paged["records"].as_array().unwrap().len(), 3);
        let rest = get(&lurah, format!("/api/v1/recipients/handouts?putaran=1&limit=3&after={}", paged["next_after"])).await.json();
        assert_eq!((rest["records"].as_array().unwrap().len(), &rest["next_after"]), (1, &Value::Null));
        problem(&get(&rw2, format!("/api/v1/recipients/handouts?putaran=1&rw={RW1}")).await, 403, "rw");
        problem(&get(&planner, "/api/v1/recipients/handouts".into()).await, 400, "putaran");
        problem(&get(&planner, "/api/v1/recipients/handouts?putaran=1&status=hilang".into()).await, 400, "status");
        problem(&get(&planner, "/api/v1/recipients/handouts?putaran=1&limit=0".into()).await, 400, "limit");
        assert_eq!(get(&operator, "/api/v1/recipients/handouts?putaran=1".into()).await.status, StatusCode::FORBIDDEN);
        let n = sigap::on_pool!(&store, p => { use sqlx::Row; sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'recipients.handout'").fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() });
        assert_eq!(n, 5, "one audit entry per record");

        // Correction of a record made against the wrong household. Round 2: the RW records
        // Bambang, but it was Nur (who never received) that got the package.
        let wrong = post(&rw1, "/api/v1/recipients/handouts", handout(2, one(bambang))).await;
        assert_eq!(wrong.status, StatusCode::CREATED, "{}", wrong.text());
        let wrong = wrong.json()["records"][0]["id"].as_i64().unwrap();
        let round1 = get(&planner, "/api/v1/recipients/handouts?putaran=1".into()).await.json();
        let dewi_r1 = round1["records"].as_array().unwrap().iter().find(|r| r["household_id"] == dewi).unwrap()["id"].as_i64().unwrap();
        let koreksi = |id: i64| format!("/api/v1/recipients/handouts/{id}/koreksi");
        let why = |h: Option<i64>| json!({"alasan": "salah catat: paket diterima Nur", "household_id": h});
        // Bad input beside the good: each refused naming its field, nothing written.
        let before = state(&store).await;
        for (t, id, body, status, field) in [
            (&rw1, 99999, why(None), 404, "id"),
            (&rw1, wrong, json!({"household_id": nur}), 422, "alasan"),
            (&rw1, wrong, json!({"alasan": "  ", "household_id": nur}), 422, "alasan"),
            (&rw1, wrong, json!({"alasan": "a\u{7}b"}), 422, "alasan"),
            (&rw1, wrong, json!({"alasan": "x", "rumah_tangga": nur}), 422, "rumah_tangga"),
            (&rw1, wrong, why(Some(siti)), 422, "household_id"),
            (&rw1, wrong, why(Some(9999)), 404, "household_id"),
            (&rw1, wrong, why(Some(bambang)), 422, "household_id"),
            (&rw1, wrong, why(Some(ahmad)), 409, "household_id"),
            (&rw1, wrong, why(Some(dewi)), 403, "household_id"),
            (&rw2, wrong, why(None), 403, "id"),
            (&rw1, dewi_r1, why(None), 403, "id"),
        ] {
            problem(&post(t, &koreksi(id), body).await, status, field);
        }
        for t in [&operator, &auditor] {
            assert_eq!(post(t, &koreksi(wrong), why(Some(nur))).await.status, StatusCode::FORBIDDEN);
        }
        assert_eq!(state(&store).await, before, "refused corrections write nothing");
        // Good, keyed: Bambang's record is voided (kept), Nur's recorded; Bambang still received
        // in round 1, so only Nur's first package adds to bansos.
        let r = send("POST", rw1.clone(), koreksi(wrong), why(Some(nur)), Some("koreksi-1")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let j = r.json();
        assert_eq!((j["dibatalkan"]["koreksi_alasan"].as_str(), j["dibatalkan"]["household_id"].as_i64()), (Some("salah catat: paket diterima Nur"), Some(bambang)));
        assert_eq!((j["pengganti"]["household_id"].as_i64(), j["pengganti"]["putaran"].as_i64(), j["pengganti"]["status"].as_str()), (Some(nur), Some(2), Some("diterima")));
        assert_eq!(j["dibatalkan"]["pengganti_id"], j["pengganti"]["id"]);
        assert_eq!(j["bansos_handouts"].as_array().map(Vec::len), Some(1));
        assert_eq!(served(&store, RW1).await, (3, 3), "{kind}: Nur counts, Bambang still counts once");
        let again = send("POST", rw1.clone(), koreksi(wrong), why(Some(nur)), Some("koreksi-1")).await;
        assert!(again.replayed && again.body == r.body, "the retry replays the answer");
        problem(&send("POST", rw1.clone(), koreksi(dewi_r1), why(None), Some("koreksi-1")).await, 409, "Idempotency-Key");
        let before = state(&store).await;
        problem(&post(&lurah, &koreksi(wrong), why(Some(nur))).await, 409, "id");
        problem(&post(&rw1, "/api/v1/recipients/handouts", handout(2, one(nur))).await, 409, "items[0].household_id");
        assert_eq!(state(&store).await, before);
        // Once per round still holds on the records in force: Bambang may now receive in round 2.
        assert_eq!(post(&rw1, "/api/v1/recipients/handouts", handout(2, one(bambang))).await.status, StatusCode::CREATED);
        assert_eq!(served(&store, RW1).await, (3, 3));
        // Void only (no household named): Nur's record; she received nowhere else, so bansos takes
        // her count back; then she receives in round 2 after all and counts again.
        // Six operators void the same record at the same moment: one wins, the others are told it
        // was corrected meanwhile (409 naming `id`), never a 500, and bansos moves once.
        let nur_r2 = j["pengganti"]["id"].as_i64().unwrap();
        let clients: Vec<_> = (0..6)
            .map(|i| {
                let (app, t) = (app.clone(), if i % 2 == 0 { lurah.clone() } else { rw1.clone() });
                let body = json!({"alasan": "dicatat sebelum paket diserahkan"}).to_string().into_bytes();
                tokio::spawn(async move { call(&app, "POST", &koreksi(nur_r2), Some(&t), None, Some("application/json"), body).await })
            })
            .collect();
        let mut answers = Vec::new();
        for c in clients {
            answers.push(c.await.unwrap());
        }
        let won: Vec<_> = answers.iter().filter(|a| a.status == StatusCode::CREATED).collect();
        assert_eq!(won.len(), 1, "{kind}: {:?}", answers.iter().map(|a| a.text()).collect::<Vec<_>>());
        for a in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
            problem(a, 409, "id");
        }
        let r = won[0];
        assert_eq!((&r.json()["pengganti"], r.json()["bansos_handouts"].as_array().map(Vec::len)), (&Value::Null, Some(1)));
        assert_eq!(served(&store, RW1).await, (2, 2), "{kind}: Nur's count taken back");
        assert_eq!(post(&rw1, "/api/v1/recipients/handouts", handout(2, one(nur))).await.status, StatusCode::CREATED);
        assert_eq!(served(&store, RW1).await, (3, 3));
        // The report keeps the voided records (history) and counts only the records in force.
        let r2 = get(&planner, "/api/v1/recipients/handouts?putaran=2".into()).await.json();
        assert_eq!(r2["ringkasan"][0], json!({"rw": RW1, "sk_kk": 3, "diterima": 3, "ditarik_tidak_di_lokasi": 0, "ditarik_tidak_layak": 0, "belum": 0}));
        let voided = r2["records"].as_array().unwrap().iter().filter(|r| !r["koreksi_at"].is_null()).count();
        assert_eq!((r2["records"].as_array().unwrap().len(), voided), (5, 2), "Ahmad, Bambang and Nur in force, the two voided");
        let n = sigap::on_pool!(&store, p => { use sqlx::Row; sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'recipients.handout.correct'").fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() });
        assert_eq!(n, 2, "one audit entry per correction");
        // The store itself keeps the history: a record is never edited, re-voided or deleted.
        for sql in ["UPDATE recipient_penyaluran SET status = 'ditarik', alasan = 'tidak_layak' WHERE id = $1", "UPDATE recipient_penyaluran SET koreksi_alasan = 'lagi' WHERE id = $1", "DELETE FROM recipient_penyaluran WHERE id = $1"] {
            let res = sigap::on_pool!(&store, p => sqlx::query(sql).bind(wrong).execute(p).await.map(|_| ()));
            assert!(res.is_err(), "{kind}: {sql} refused");
        }

        // The CLI (`sigap recipients handout record|correct`) runs the same checks and ops, from
        // the RW's ticked list: round 3, Ahmad received, Bambang was away. Bad input first, each
        // naming the line or flag, nothing written.
        use sigap::recipients::cli::{self, HandoutCommand};
        let dir = std::path::PathBuf::from(std::env::var("SIGAP_TEST_TMP").unwrap_or_else(|_| std::env::temp_dir().display().to_string()));
        let list = |name: &str, body: &str| {
            let path = dir.join(format!("{}-{name}.csv", store.kind()));
            std::fs::write(&path, format!("household_id,status,alasan,keterangan\n{body}")).unwrap();
            path
        };
        let record = |file, putaran| HandoutCommand::Record { putaran, tanggal: None, petugas: Some("Ketua RT 002".into()), file };
        // As a spreadsheet in an Indonesian locale saves it: `;` between the cells.
        let good = dir.join(format!("{}-ok.csv", store.kind()));
        std::fs::write(&good, format!("household_id;status;alasan;keterangan\n{ahmad};diterima;;\n{bambang};ditarik;tidak_di_lokasi;mudik\n")).unwrap();
        let before = state(&store).await;
        for (cmd, why) in [
            (record(list("status", &format!("{ahmad},diterima,,\n{bambang},diberikan,,\n")), 3), "line 3: status \"diberikan\""),
            (record(list("alasan", &format!("{ahmad},diterima,,\n{bambang},ditarik,,\n")), 3), "line 3 (items[1].alasan)"),
            (record(list("id", "x1,diterima,,\n"), 3), "line 2: household_id \"x1\""),
            (record(list("fields", &format!("{ahmad},diterima\n")), 3), "line 2"),
            (record(list("unknown", "99999,diterima,,\n"), 3), "line 2 (items[0].household_id): no household 99999"),
            (record(list("siti", &format!("{siti},diterima,,\n")), 3), "line 2 (items[0].household_id)"),
            (record(good.clone(), 0), "--putaran"),
            (record(dir.join("missing.csv"), 3), "cannot read"),
            (HandoutCommand::Correct { id: 99999, alasan: "salah catat".into(), household_id: None }, "ID: no hand-out record 99999"),
            (HandoutCommand::Correct { id: wrong, alasan: "  ".into(), household_id: Some(nur) }, "--alasan"),
            (HandoutCommand::Correct { id: wrong, alasan: "salah catat".into(), household_id: Some(nur) }, "ID: hand-out"),
        ] {
            let e = cli::handout(&store, cmd).await.unwrap_err().to_string();
            assert!(e.contains(why), "{kind}: {e:?} should name {why:?}");
        }
        std::fs::write(dir.join(format!("{}-header.csv", store.kind())), format!("rumah_tangga,status\n{ahmad},diterima\n")).unwrap();
        let e = cli::handout(&store, record(dir.join(format!("{}-header.csv", store.kind())), 3)).await.unwrap_err().to_string();
        assert!(e.contains("line 1 must be the header"), "{e}");
        assert_eq!(state(&store).await, before, "{kind}: refused CLI hand-outs write nothing");
        let r = cli::handout(&store, record(good.clone(), 3)).await.unwrap();
        assert_eq!((r["diterima"].as_i64(), r["ditarik"].as_i64(), r["bansos_handouts"].as_array().map(Vec::len)), (Some(1), Some(1), Some(0)), "{r}");
        let printed = r.to_string();
        assert!(!printed.contains("Ahmad") && !printed.contains("3171011505800004") && !printed.contains("****"), "no name, no NIK: {printed}");
        assert_eq!(served(&store, RW1).await, (3, 3), "{kind}: Ahmad had received before: counted once");
        // A second hand-out to the same household in the round: refused, nothing written.
        let before = state(&store).await;
        let e = cli::handout(&store, record(good, 3)).await.unwrap_err().to_string();
        assert!(e.contains("line 2 (items[0].household_id)") && e.contains("once per round"), "{e}");
        assert_eq!(state(&store).await, before);
        // The correction: the package of round 3 went to Nur, not Ahmad.
        let ahmad_r3 = r["records"][0]["id"].as_i64().unwrap();
        let c = cli::handout(&store, HandoutCommand::Correct { id: ahmad_r3, alasan: "salah catat: paket diterima Nur".into(), household_id: Some(nur) }).await.unwrap();
        assert_eq!((c["dibatalkan"]["id"].as_i64(), c["pengganti"]["household_id"].as_i64(), c["pengganti"]["putaran"].as_i64()), (Some(ahmad_r3), Some(nur), Some(3)), "{c}");
        assert_eq!(c["dibatalkan"]["pengganti_id"], c["pengganti"]["id"]);
        assert_eq!(served(&store, RW1).await, (3, 3), "{kind}: both had received before: bansos unchanged");
        let n = sigap::on_pool!(&store, p => { use sqlx::Row; sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action LIKE 'recipients.handout%' AND actor LIKE 'cli:%'").fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() });
        assert_eq!(n, 3, "{kind}: two records and a correction, audited as the CLI");

        // Rotation of the lookup-hash key: `rehash` (run by `sigap recipients rekey`) recomputes
        // every hash from the sealed values; afterwards lookups, dedup and the decree's
        // "unchanged" check work under the new key. SK 2 first (Dewi refused): the current list.
        let r = post(&planner, "/api/v1/recipients/decrees", json!({"nomor": "2/2026", "tanggal": "2026-04-21"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let new_hash = Pii::generate_key();
        let pii = Pii::new(KEY, &[], &new_hash).unwrap();
        let nik_hash_count = |h: String| {
            let store = store.clone();
            async move { sigap::on_pool!(&store, p => { use sqlx::Row; sqlx::query("SELECT COUNT(*) AS n FROM recipient_household WHERE nik_hash = $1").bind(h).fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() }) }
        };
        let ahmad_nik = "3171011505800004";
        // Bad: without the key that sealed the values nothing can be rehashed, and nothing is.
        let before = state(&store).await;
        let wrong = Pii::new(&Pii::generate_key(), &[], &new_hash).unwrap();
        let mut tx = store.begin().await.unwrap();
        assert!(matches!(rops::rehash(&mut tx, &wrong, "test").await, Err(rops::OpError::Crypt(_))));
        drop(tx);
        assert_eq!(state(&store).await, before);
        assert_eq!(nik_hash_count(Pii::new(KEY, &[], HASH_KEY).unwrap().hash("nik", ahmad_nik)).await, 1, "still under the old key");
        // Good: every household and row moves to the new key, once.
        let mut tx = store.begin().await.unwrap();
        let moved = rops::rehash(&mut tx, &pii, "test").await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!((moved.households, moved.rows), (5, 5), "{kind}");
        let mut tx = store.begin().await.unwrap();
        assert_eq!(rops::rehash(&mut tx, &pii, "test").await.unwrap(), rops::Rehashed::default(), "a rerun changes nothing");
        drop(tx);
        assert_eq!(nik_hash_count(Pii::new(KEY, &[], HASH_KEY).unwrap().hash("nik", ahmad_nik)).await, 0);
        assert_eq!(nik_hash_count(pii.hash("nik", ahmad_nik)).await, 1, "found under the new key");
        // The decree items moved with their households: the same list is still "unchanged".
        problem(&post(&planner, "/api/v1/recipients/decrees", json!({"nomor": "3/2026", "tanggal": "2026-04-22"})).await, 409, "households");
        // Dedup under the new key: Ahmad's row from another source joins his household.
        let atlas = common::atlas(&store).await;
        let file = format!("{HEADER}\n{ahmad_nik},3171010303200006,Ahmad Fauzi,Jl. Kenanga 1,2,{RW1},,3,,\n");
        let prepared = rops::prepare(file.as_bytes(), sigap::recipients::model::Format::Csv, &atlas).unwrap();
        let meta = rops::BatchMeta { sumber: sigap::recipients::model::Sumber::Disnaker, nama_file: "disnaker.csv", actor: "test", generated: false };
        let mut tx = store.begin().await.unwrap();
        let report = rops::import(&mut tx, &pii, &meta, &prepared, &|_| {}).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!((report.rumah_tangga_baru, report.rumah_tangga_gabung), (0, 1), "{kind}: the household is found under the new key");
    })
    .await;
}
