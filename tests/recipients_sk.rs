//! The decree (SK penetapan) over HTTP on both stores: the accepted list frozen into numbered
//! versions with a hash, proposals held back until Biro Kesos and fixed by the decree, the diff
//! between versions, the bansos targets per RW switched to the current SK; every refusal
//! (empty list, number used, unchanged list, bad body, wrong role) writes nothing.

mod common;
use axum::http::StatusCode;
use common::recipients::*;
use serde_json::json;
use sigap::store::{testing, tokens, Store};

async fn target(store: &Store, rw: &str) -> Option<(i64, bool)> {
    sigap::on_pool!(store, p => {
        use sqlx::Row;
        sqlx::query("SELECT target_kk, generated FROM bansos_target WHERE rw = $1").bind(rw).fetch_optional(p).await.unwrap()
            .map(|r| (r.try_get::<i64, _>("target_kk").unwrap(), r.try_get::<bool, _>("generated").unwrap()))
    })
}

#[tokio::test]
async fn decrees_freeze_the_accepted_list_and_set_the_targets() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let admin = tokens::create(&store, "admin", None, None).await.unwrap();
        let planner = tokens::create(&store, "planner", None, None).await.unwrap();
        let auditor = tokens::create(&store, "auditor", None, None).await.unwrap();
        let rw1 = tokens::create(&store, "rw", Some(RW1), None).await.unwrap();
        let rw2 = tokens::create(&store, "rw", Some(RW2), None).await.unwrap();
        let lurah = tokens::create(&store, "lurah", Some(KEL), None).await.unwrap();
        let post = |t: String, uri: String, body: serde_json::Value| {
            let app = app.clone();
            async move { call(&app, "POST", &uri, Some(&t), None, Some("application/json"), body.to_string().into_bytes()).await }
        };
        let get = |t: String, uri: String| {
            let app = app.clone();
            async move { call(&app, "GET", &uri, Some(&t), None, None, vec![]).await }
        };
        let decree = |nomor: &str, tanggal: &str| post(planner.clone(), "/api/v1/recipients/decrees".into(), json!({"nomor": nomor, "tanggal": tanggal}));

        // Dewi (RW 002) and Siti (RW 001, already on PKH) from Dinsos; Ahmad (RW 001) only by proposal.
        let csv = format!(
            "{HEADER}\n3171012006750005,3171010404200007,Dewi Lestari,Jl. Mawar 9,4,{RW2},,5,,\n3171014101900001,3171010101200003,Siti Aminah,Jl. Melati No. 5,1,{RW1},,4,PKH,\n"
        );
        assert_eq!(import(&app, &planner, "dinsos", "dinsos.csv", csv.into_bytes(), None).await.status, StatusCode::CREATED);
        let p = call(&app, "POST", "/api/v1/recipients/proposals?nama_file=u.csv", Some(&rw1), None, Some("text/csv"),
            format!("{HEADER}\n3171011505800004,3171010303200006,Ahmad Fauzi,Jl. Kenanga 1,2,{RW1},,3,,\n").into_bytes()).await;
        assert_eq!(p.status, StatusCode::CREATED, "{}", p.text());
        let usulan = p.json()["usulan"]["id"].as_i64().unwrap();

        // Nothing accepted yet: a decree of nobody is refused, and writes nothing.
        let before = rows(&store).await;
        problem(&decree("1/2026", "2026-04-20").await, 422, "households");
        assert_eq!(rows(&store).await, before);

        assert_eq!(post(planner.clone(), "/api/v1/recipients/matching".into(), json!({})).await.status, StatusCode::OK);
        assert_eq!(post(planner.clone(), "/api/v1/recipients/eligibility".into(), json!({})).await.status, StatusCode::OK);
        let hh = get(planner.clone(), "/api/v1/recipients/households".into()).await.json()["households"].as_array().unwrap().clone();
        let (dewi, ahmad) = (hh[0]["id"].as_i64().unwrap(), hh[2]["id"].as_i64().unwrap());
        let d = |id: i64| json!({"items": [{"household_id": id, "keputusan": "diterima"}]});
        assert_eq!(post(rw2.clone(), "/api/v1/recipients/verification".into(), d(dewi)).await.status, StatusCode::OK);
        assert_eq!(post(rw1.clone(), "/api/v1/recipients/verification".into(), d(ahmad)).await.status, StatusCode::OK);
        let both = json!({"items": [{"household_id": dewi, "keputusan": "diterima"}, {"household_id": ahmad, "keputusan": "diterima"}]});
        assert_eq!(post(lurah.clone(), "/api/v1/recipients/verification".into(), both).await.status, StatusCode::OK);

        // Bad requests write nothing.
        let before = rows(&store).await;
        for (body, status, field) in [
            (json!({"nomor": " ", "tanggal": "2026-04-20"}), 422, "nomor"),
            (json!({"nomor": "a\u{7}b", "tanggal": "2026-04-20"}), 422, "nomor"),
            (json!({"nomor": "1/2026", "tanggal": "2999-01-01"}), 422, "tanggal"),
            (json!({"nomor": "1/2026", "tanggal": "20-04-2026"}), 422, "tanggal"),
            (json!({"nomor": "1/2026", "tanggal": "2026-04-20", "wilayah": "x"}), 422, "wilayah"),
        ] {
            problem(&post(planner.clone(), "/api/v1/recipients/decrees".into(), body).await, status, field);
        }
        for t in [&rw1, &lurah, &auditor] {
            assert_eq!(post(t.clone(), "/api/v1/recipients/decrees".into(), json!({"nomor": "1/2026", "tanggal": "2026-04-20"})).await.status, StatusCode::FORBIDDEN);
        }
        assert_eq!(rows(&store).await, before);

        // Version 1: Dewi only (Ahmad's proposal is still at the RT desk); the target of RW 002 is 1.
        let r = decree("1/2026", "2026-04-20").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let v1 = r.json();
        assert_eq!(v1["sk"]["versi"], 1);
        assert_eq!(v1["sk"]["rumah_tangga"], 1);
        assert_eq!(v1["sk"]["jiwa"], 5);
        assert_eq!(v1["sk"]["hash"].as_str().unwrap().len(), 64);
        assert_eq!(v1["target_per_rw"], json!({RW2: 1}));
        assert_eq!(target(&store, RW2).await, Some((1, false)));
        let v1_id = v1["sk"]["id"].as_i64().unwrap();
        // Same list again: nothing to decree; the number used: 409.
        let before = rows(&store).await;
        problem(&decree("2/2026", "2026-04-21").await, 409, "households");
        problem(&decree("1/2026", "2026-04-21").await, 409, "nomor");
        assert_eq!(rows(&store).await, before);

        // The proposal climbs to Biro Kesos; version 2 adds Ahmad and fixes the proposal.
        for (versi, t) in [&rw1, &rw1, &lurah, &planner, &planner, &planner, &planner].into_iter().enumerate() {
            let r = post(t.clone(), format!("/api/v1/recipients/proposals/{usulan}/steps"), json!({"aksi": "teruskan", "versi": versi})).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        }
        let r = decree("2/2026", "2026-04-22").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let v2 = r.json();
        assert_eq!((v2["sk"]["versi"].as_i64(), v2["sk"]["rumah_tangga"].as_i64()), (Some(2), Some(2)));
        assert_eq!(v2["usulan_ditetapkan"], json!([usulan]));
        assert_eq!(v2["target_per_rw"], json!({RW1: 1, RW2: 1}));
        assert_eq!(target(&store, RW1).await, Some((1, false)));
        let u = get(rw1.clone(), format!("/api/v1/recipients/proposals/{usulan}")).await.json();
        assert_eq!(u["usulan"]["tahap"], "ditetapkan");
        assert_eq!(u["langkah"].as_array().unwrap().last().unwrap()["alasan"], "SK 2/2026");
        let v2_id = v2["sk"]["id"].as_i64().unwrap();
        let diff = get(auditor.clone(), format!("/api/v1/recipients/decrees/{v2_id}/diff?dari={v1_id}")).await;
        assert_eq!(diff.status, StatusCode::OK, "{}", diff.text());
        let j = diff.json();
        assert_eq!(j["ditambah"].as_array().unwrap().iter().map(|i| i["household_id"].as_i64().unwrap()).collect::<Vec<_>>(), [ahmad]);
        assert_eq!(j["ditambah"][0]["nik"], "3171**********04", "masked");
        assert!(j["dihapus"].as_array().unwrap().is_empty() && j["diubah"].as_array().unwrap().is_empty());
        assert!(!diff.text().contains("3171011505800004") && !diff.text().contains("nik_hash"));

        // BNBA and BAST of the kelurahan under version 2, as PDF and XLSX.
        let doc = |t: &String, q: String| get(t.clone(), format!("/api/v1/recipients/decrees/{v2_id}/documents/{q}"));
        let r = doc(&admin, format!("bnba?kelurahan={KEL}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(r.body.starts_with(b"%PDF-"));
        // The content streams are not compressed: the text shown is in the file as written.
        let pdf = String::from_utf8_lossy(&r.body).to_string();
        for s in ["DAFTAR NAMA DAN ALAMAT PENERIMA BANTUAN SOSIAL", "2/2026", "(RW 001)", "(RW 002)", "(3171**********04)", "(Ahmad Fauzi)", "(Halaman 1 dari 1)", "(JUMLAH: 2 KK, 8 jiwa)", "(Lurah,)", "Cideng"] {
            assert!(pdf.contains(s), "the BNBA shows {s}");
        }
        assert!(!pdf.contains("3171011505800004") && !pdf.contains("3171012006750005"), "NIK masked in the document");
        if let Ok(dir) = std::env::var("SIGAP_TEST_TMP") {
            let _ = std::fs::write(format!("{dir}/bnba-{}.pdf", store.kind()), &r.body);
        }
        let r = doc(&lurah, "bast?format=xlsx".into()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(r.body.clone())).unwrap();
        let sheet = calamine::Reader::worksheet_range(&mut wb, "BAST").unwrap();
        let cells: Vec<String> = sheet.rows().flat_map(|row| row.iter().map(|c| c.to_string())).collect();
        for s in ["BERITA ACARA SERAH TERIMA BANTUAN SOSIAL (BAST)", "3171**********04", "Dewi Lestari", "JUMLAH: 2 KK, 8 jiwa", "Yang menerima,"] {
            assert!(cells.iter().any(|c| c.contains(s)), "the BAST sheet shows {s}: {cells:?}");
        }
        let own = doc(&rw1, "bnba".into()).await;
        assert_eq!(own.status, StatusCode::OK, "an RW token prints its own RW");
        let own = String::from_utf8_lossy(&own.body).to_string();
        assert!(own.contains("(Ahmad Fauzi)") && !own.contains("Dewi"), "only RW 001");
        let before = rows(&store).await;
        problem(&doc(&admin, format!("sk?kelurahan={KEL}")).await, 400, "jenis");
        problem(&doc(&admin, format!("bnba?kelurahan={KEL}&format=doc")).await, 400, "format");
        problem(&doc(&admin, "bnba".into()).await, 400, "kelurahan");
        problem(&doc(&admin, "bnba?kelurahan=31.71.01".into()).await, 400, "kelurahan");
        problem(&doc(&admin, format!("bnba?kelurahan={KEL}&rw=31.71.01.1003.001")).await, 400, "rw");
        problem(&doc(&admin, "bnba?kelurahan=31.71.01.1003".into()).await, 422, "kelurahan");
        problem(&get(admin.clone(), format!("/api/v1/recipients/decrees/9999/documents/bnba?kelurahan={KEL}")).await, 404, "id");
        assert_eq!(doc(&rw1, format!("bnba?rw={RW2}")).await.status, StatusCode::FORBIDDEN);
        assert_eq!(doc(&auditor, format!("bnba?kelurahan={KEL}")).await.status, StatusCode::FORBIDDEN);
        assert_eq!(rows(&store).await, before, "printing writes nothing");

        // The Lurah refuses Dewi after all: version 3 removes her and sets RW 002's target to 0.
        let refuse = json!({"items": [{"household_id": dewi, "keputusan": "ditolak", "alasan": "pindah domisili"}]});
        assert_eq!(post(lurah.clone(), "/api/v1/recipients/verification".into(), refuse).await.status, StatusCode::OK);
        let r = decree("3/2026", "2026-04-23").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(r.json()["target_per_rw"], json!({RW1: 1, RW2: 0}));
        assert_eq!(target(&store, RW2).await, Some((0, false)));
        let v3_id = r.json()["sk"]["id"].as_i64().unwrap();
        let j = get(admin.clone(), format!("/api/v1/recipients/decrees/{v3_id}/diff?dari={v2_id}")).await.json();
        assert_eq!(j["dihapus"][0]["household_id"], dewi);

        // Reads: the list, one version, 404s, roles.
        let list = get(auditor.clone(), "/api/v1/recipients/decrees".into()).await.json();
        assert_eq!(list.as_array().unwrap().iter().map(|s| s["nomor"].as_str().unwrap()).collect::<Vec<_>>(), ["3/2026", "2/2026", "1/2026"]);
        let one = get(planner.clone(), format!("/api/v1/recipients/decrees/{v2_id}")).await.json();
        assert_eq!(one["per_rw"], json!({RW1: 1, RW2: 1}));
        problem(&get(admin.clone(), "/api/v1/recipients/decrees/9999".into()).await, 404, "id");
        problem(&get(admin.clone(), format!("/api/v1/recipients/decrees/{v2_id}/diff?dari=9999")).await, 404, "dari");
        problem(&get(admin.clone(), format!("/api/v1/recipients/decrees/{v2_id}/diff")).await, 400, "dari");
        assert_eq!(get(rw1.clone(), "/api/v1/recipients/decrees".into()).await.status, StatusCode::FORBIDDEN);
        let n = sigap::on_pool!(&store, p => { use sqlx::Row; sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'recipients.sk.create'").fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() });
        assert_eq!(n, 3);

        // The CLI runs the same ops: decrees, documents to a file, proposals desk by desk; its
        // refusals change nothing.
        use sigap::recipients::cli::{self, DecreeCommand, DocumentArgs, ProposalCommand};
        let dir = std::path::PathBuf::from(std::env::var("SIGAP_TEST_TMP").unwrap_or_else(|_| std::env::temp_dir().display().to_string()));
        let listed = cli::decree(&store, DecreeCommand::List).await.unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 3);
        let shown = cli::decree(&store, DecreeCommand::Show { id: v2_id }).await.unwrap();
        assert_eq!(shown["per_rw"], json!({RW1: 1, RW2: 1}));
        let before = rows(&store).await;
        let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        assert!(cli::decree(&store, DecreeCommand::Create { nomor: "4/2026".into(), tanggal: day("2026-04-24") }).await.unwrap_err().to_string().contains("unchanged"));
        assert!(cli::decree(&store, DecreeCommand::Create { nomor: "4/2026".into(), tanggal: day("2999-01-01") }).await.unwrap_err().to_string().contains("--tanggal"));
        assert!(cli::decree(&store, DecreeCommand::Show { id: 9999 }).await.is_err());
        let out = |name: &str| dir.join(format!("{}-{name}", store.kind()));
        let doc = |jenis: &str, kelurahan: Option<&str>, rw: Option<&str>, file: std::path::PathBuf| DocumentArgs {
            jenis: jenis.into(), sk: v2_id, kelurahan: kelurahan.map(Into::into), rw: rw.map(Into::into), out: file,
        };
        let (path, n) = cli::document(&store, doc("bnba", Some(KEL), None, out("cli-bnba.pdf"))).await.unwrap();
        assert_eq!(n, 2);
        let pdf = std::fs::read(&path).unwrap();
        assert!(pdf.starts_with(b"%PDF-") && String::from_utf8_lossy(&pdf).contains("(Ahmad Fauzi)"));
        let (path, n) = cli::document(&store, doc("bast", None, Some(RW2), out("cli-bast.xlsx"))).await.unwrap();
        assert_eq!(n, 1);
        assert!(std::fs::read(&path).unwrap().starts_with(b"PK"));
        for (args, why) in [
            (doc("sk", Some(KEL), None, out("x.pdf")), "bnba or bast"),
            (doc("bnba", Some(KEL), None, out("x.doc")), ".pdf or .xlsx"),
            (doc("bnba", None, None, out("x.pdf")), "required"),
            (doc("bnba", Some("31.71.01"), None, out("x.pdf")), "not a kelurahan or RW"),
            (doc("bnba", Some("31.71.01.1003"), None, out("x.pdf")), "names no household"),
        ] {
            let e = cli::document(&store, args).await.unwrap_err().to_string();
            assert!(e.contains(why), "{e}");
        }
        assert!(!out("x.pdf").exists() && !out("x.doc").exists(), "nothing written on refusal");
        let file = out("usulan.csv");
        std::fs::write(&file, format!("{HEADER}\n3171010507880006,3171010505200008,Bambang Sutrisno,Jl. Flamboyan 7,3,{RW2},,2,,\n")).unwrap();
        assert!(cli::proposal(&store, ProposalCommand::Create { rw: "31.71.01".into(), file: file.clone(), catatan: None }).await.is_err());
        let bad = out("usulan-bad.csv");
        std::fs::write(&bad, "nama\nx\n").unwrap();
        assert!(cli::proposal(&store, ProposalCommand::Create { rw: RW2.into(), file: bad, catatan: None }).await.unwrap_err().to_string().contains("nothing was changed"));
        assert_eq!(rows(&store).await, before, "CLI refusals write nothing");
        let p = cli::proposal(&store, ProposalCommand::Create { rw: RW2.into(), file, catatan: Some("rekap RT 003".into()) }).await.unwrap();
        let pid = p["usulan"]["id"].as_i64().unwrap();
        assert_eq!((p["usulan"]["tahap"].as_str(), p["rumah_tangga_baru"].as_i64()), (Some("rt"), Some(1)));
        let step = |aksi: &str, versi: i64, alasan: Option<&str>| ProposalCommand::Step { id: pid, aksi: aksi.into(), versi, alasan: alasan.map(Into::into) };
        assert_eq!(cli::proposal(&store, step("teruskan", 0, None)).await.unwrap()["tahap"], "rw");
        let before = rows(&store).await;
        assert!(cli::proposal(&store, step("kembalikan", 1, None)).await.is_err(), "a reason is required to send back");
        assert!(cli::proposal(&store, step("teruskan", 0, None)).await.unwrap_err().to_string().contains("version"), "stale versi");
        assert!(cli::proposal(&store, step("lompat", 1, None)).await.is_err());
        assert_eq!(rows(&store).await, before);
        assert_eq!(cli::proposal(&store, step("kembalikan", 1, Some("formulir RT belum lengkap"))).await.unwrap()["tahap"], "rt");
        let shown = cli::proposal(&store, ProposalCommand::Show { id: pid }).await.unwrap();
        assert_eq!(shown["langkah"].as_array().unwrap().len(), 3, "created, forwarded, sent back");
        let listed = cli::proposal(&store, ProposalCommand::List { rw: Some(RW2.into()), kelurahan: None, tahap: Some("rt".into()) }).await.unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert!(cli::proposal(&store, ProposalCommand::List { rw: None, kelurahan: None, tahap: Some("x".into()) }).await.is_err());
    })
    .await;
}
