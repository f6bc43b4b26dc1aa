//! Recipients over HTTP and the CLI on both stores: a batch imported with every row kept and
//! cleaned (reasons, `luar_dki`), dedup across sources, near-duplicates decided once, refused
//! files writing nothing, idempotent imports, RW/Lurah scoping, the audited full-NIK read, and
//! and key rotation (the public routes and logs: tests/recipients_privacy.rs).

mod common;
use axum::http::StatusCode;
use common::recipients::*;
use sigap::recipients::{crypt, store as rstore};
use sigap::store::{testing, tokens};

#[tokio::test]
async fn import_cleans_dedups_and_flags_near_duplicates() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let admin = tokens::create(&store, "admin", None, None).await.unwrap();
        let r = import(&app, &admin, "dinsos", "dinsos.csv", dinsos_csv().into_bytes(), None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let j = r.json();
        assert_eq!(j["batch"]["rows_total"], 8);
        assert_eq!(j["batch"]["rows_valid"], 2);
        assert_eq!(j["batch"]["rows_ditolak"], 6);
        assert_eq!(j["luar_dki"], 1);
        assert_eq!(j["rumah_tangga_baru"], 2);
        let codes = |line: i64| -> Vec<String> {
            j["rows"].as_array().unwrap().iter().find(|r| r["line"] == line).unwrap()["alasan"].as_array().unwrap().iter().map(|a| a["kode"].as_str().unwrap().to_string()).collect()
        };
        assert!(codes(2).is_empty() && codes(3).is_empty());
        assert_eq!(codes(4), ["nik_notasi_ilmiah"]);
        assert_eq!(codes(5), ["nik_tanggal_lahir_salah"]);
        assert_eq!(codes(6), ["nik_panjang_salah"]);
        assert_eq!(codes(7), ["nik_bukan_angka"]);
        assert_eq!(codes(8), ["rw_tidak_ada"]);
        let last = codes(9);
        for c in ["rt_salah", "jumlah_anggota_salah", "program_tidak_dikenal", "telepon_salah"] {
            assert!(last.contains(&c.to_string()), "{c} in {last:?}");
        }
        let row2 = &j["rows"][0];
        assert_eq!(row2["nik"], "3171**********01", "masked in the report");
        assert!(!r.text().contains("3171014101900001") && !r.text().contains("Siti"), "the report holds no full NIK or name");
        // The rows are stored, with their lines, and the batch can be read back.
        let batch_id = j["batch"]["id"].as_i64().unwrap();
        let b = call(&app, "GET", &format!("/api/v1/recipients/batches/{batch_id}"), Some(&admin), None, None, vec![]).await;
        assert_eq!(b.status, StatusCode::OK);
        assert_eq!(b.json()["rows"].as_array().unwrap().len(), 8);
        assert_eq!(b.json()["rows"][3]["alasan"][0]["kode"], "nik_tanggal_lahir_salah");

        // Source 2: same NIK → same household; same No. KK → same household; a near-duplicate.
        let r = import(&app, &admin, "disnaker", "disnaker.csv", disnaker_csv().into_bytes(), None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let j = r.json();
        assert_eq!(j["batch"]["rows_valid"], 3, "{j}");
        assert_eq!(j["rumah_tangga_baru"], 1);
        assert_eq!(j["rumah_tangga_gabung"], 2);
        assert_eq!(j["mirip_baru"], 1, "{j}");
        let list = call(&app, "GET", &format!("/api/v1/recipients/households?kelurahan={KEL}"), Some(&admin), None, None, vec![]).await;
        let hh = list.json()["households"].as_array().unwrap().clone();
        assert_eq!(hh.len(), 3);
        assert_eq!(hh[0]["sumber"], serde_json::json!(["dinsos", "disnaker"]));
        assert_eq!(hh[0]["nik"], "3171**********01");
        assert_eq!(hh[0]["no_kk"], "3171**********03");
        assert_eq!(hh[0]["program"], serde_json::json!(["pkh"]));
        assert_eq!(hh[1]["luar_dki"], true);
        assert_eq!(hh[1]["sumber"], serde_json::json!(["dinsos", "disnaker"]), "Rina joined Budi's KK");

        // The near-duplicate: open, then decided once.
        let near = call(&app, "GET", &format!("/api/v1/recipients/near-duplicates?rw={RW1}"), Some(&admin), None, None, vec![]).await;
        let pairs = near.json();
        assert_eq!(pairs.as_array().unwrap().len(), 1, "{pairs}");
        assert_eq!(pairs[0]["jenis"], "nama_alamat_mirip");
        let pid = pairs[0]["id"].as_i64().unwrap();
        let uri = format!("/api/v1/recipients/near-duplicates/{pid}/decision");
        let before = rows(&store).await;
        for (body, status, field) in [
            (r#"{"keputusan":"mungkin","alasan":"x"}"#, 422, "keputusan"),
            (r#"{"keputusan":"sama","alasan":"  "}"#, 422, "alasan"),
            (r#"{"keputusan":"sama","alasan":"ok","extra":1}"#, 422, "extra"),
        ] {
            let r = call(&app, "POST", &uri, Some(&admin), None, Some("application/json"), body.into()).await;
            problem(&r, status, field);
        }
        let r = call(&app, "POST", "/api/v1/recipients/near-duplicates/9999/decision", Some(&admin), None, Some("application/json"), r#"{"keputusan":"sama","alasan":"ok"}"#.into()).await;
        problem(&r, 404, "id");
        assert_eq!(rows(&store).await, before, "refused decisions write nothing");
        let ok = call(&app, "POST", &uri, Some(&admin), Some("d1"), Some("application/json"), r#"{"keputusan":"sama","alasan":"satu orang, dicek RT"}"#.into()).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
        assert_eq!(ok.json()["keputusan"], "sama");
        let again = call(&app, "POST", &uri, Some(&admin), Some("d1"), Some("application/json"), r#"{"keputusan":"sama","alasan":"satu orang, dicek RT"}"#.into()).await;
        assert!(again.replayed && again.status == StatusCode::OK);
        let second = call(&app, "POST", &uri, Some(&admin), None, Some("application/json"), r#"{"keputusan":"beda","alasan":"lain"}"#.into()).await;
        problem(&second, 409, "id");
        let dup = call(&app, "GET", &format!("/api/v1/recipients/households/{}", hh[2]["id"]), Some(&admin), None, None, vec![]).await;
        assert_eq!(dup.json()["duplikat_dari"], hh[0]["id"]);

        // Text that PostgreSQL's COPY format escapes (backslashes, a backslash-N that is not
        // NULL) and that CSV quotes comes back exactly as written, on both stores.
        let (nama, alamat) = (r#"Ucok "Bang" O'Neil"#, r"Gg. H\Saan\N 3\t");
        let odd = format!("{HEADER}\n3171010505800007,3171010101200077,\"Ucok \"\"Bang\"\" O'Neil\",{alamat},2,{RW1},,1,,\n");
        let r = import(&app, &admin, "pd_lain", "odd.csv", odd.into_bytes(), None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(r.json()["rumah_tangga_baru"], 1, "{}", r.text());
        let list = call(&app, "GET", &format!("/api/v1/recipients/households?rw={RW1}"), Some(&admin), None, None, vec![]).await;
        let back = list.json()["households"].as_array().unwrap().iter().find(|h| h["nama"] == nama).cloned();
        assert_eq!(back.map(|h| h["alamat"].clone()), Some(serde_json::json!(alamat)), "{}", list.text());

        // A store-side refusal in the middle of the bulk insert (PostgreSQL: the COPY; here a
        // NIK hash taken meanwhile, as by another import) fails the call, and the transaction
        // rolls back whole; the connection goes on serving writes.
        let before = rows(&store).await;
        let sealed = |h: &str| rstore::Sealed { enc: vec![0, 1, 0x5c, 0xff], hash: h.repeat(64), mask: "3171**********99".into() };
        let (n1, k1, n2, k2) = (sealed("e"), sealed("b"), sealed("c"), sealed("d"));
        let hh = |nik, kk| rstore::NewHousehold {
            rw: RW1, rt: "001", nik, kk, nama: "X", alamat: "Y", jumlah_anggota: 1, telepon_enc: None, program: "[]", luar_dki: false, generated: true,
        };
        let mut tx = store.begin().await.unwrap();
        let ids = rstore::insert_households(&mut tx, &[hh(&n1, &k1), hh(&n2, &k2)]).await.unwrap();
        assert!(ids.len() == 2 && ids[0] < ids[1], "ids in the order given: {ids:?}");
        // PostgreSQL sends them sorted by NIK hash ("ccc…" first); each id still names its own.
        let found = rstore::find_households(&mut tx, &[&n1.hash], &[]).await.unwrap();
        assert_eq!(found.first().map(|f| f.0), Some(ids[0]), "the first household given holds the first id");
        let err = rstore::insert_households(&mut tx, &[hh(&n2, &k1)]).await.unwrap_err();
        assert!(err.to_string().contains("nik_hash") || err.to_string().to_lowercase().contains("unique"), "{err}");
        drop(tx);
        assert_eq!(rows(&store).await, before, "nothing of the refused insert stays");
        let r = call(&app, "POST", &uri, Some(&admin), Some("d1"), Some("application/json"), r#"{"keputusan":"sama","alasan":"satu orang, dicek RT"}"#.into()).await;
        assert!(r.replayed, "the store still answers after the refused COPY");

        // Two imports of one file at the same time. PostgreSQL runs them side by side: the second
        // waits on the first one's new NIK hash and, when the first commits, is refused whole as
        // a conflict naming the file (409), not a server error. GeoPackage imports take turns:
        // the second joins the household the first stored.
        let atlas = common::atlas(&store).await;
        let same = format!("{HEADER}\n3171011212800008,3171010808200088,Joko Susilo,Jl. Cempaka 2,3,{RW1},,2,,\n");
        let batch = |actor| sigap::recipients::ops::BatchMeta { sumber: sigap::recipients::model::Sumber::Dinsos, nama_file: "sama.csv", actor, generated: false };
        let prepare = || sigap::recipients::ops::prepare(same.as_bytes(), sigap::recipients::model::Format::Csv, &atlas).unwrap();
        let pii = crypt::Pii::new(KEY, &[], HASH_KEY).unwrap();
        let mut first = store.begin().await.unwrap();
        sigap::recipients::ops::import(&mut first, &pii, &batch("a"), &prepare(), &|_| {}).await.unwrap();
        let second = {
            let (store, prepared) = (store.clone(), prepare());
            tokio::spawn(async move {
                let pii = crypt::Pii::new(KEY, &[], HASH_KEY).unwrap();
                let mut tx = store.begin().await.unwrap();
                let r = sigap::recipients::ops::import(&mut tx, &pii, &batch("b"), &prepared, &|_| {}).await;
                if r.is_ok() {
                    tx.commit().await.unwrap();
                }
                r
            })
        };
        if let sigap::store::Store::Postgis(p) = &store {
            // Commit only once the second import waits on the first's row lock.
            let waiting = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
            let mut n = 0;
            for _ in 0..600 {
                n = sqlx::query_scalar::<_, i64>(waiting).fetch_one(p).await.unwrap();
                if n > 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            assert_eq!(n, 1, "the second import waits on the first");
        }
        first.commit().await.unwrap();
        match (second.await.unwrap(), &store) {
            (Err(sigap::recipients::ops::OpError::Conflict { field, detail }), sigap::store::Store::Postgis(_)) => assert!(field == "file" && detail.contains("import the file again"), "{detail}"),
            (Ok(r), sigap::store::Store::Gpkg(_)) => assert_eq!((r.rumah_tangga_baru, r.rumah_tangga_gabung), (0, 1)),
            (other, _) => panic!("{}: {:?}", store.kind(), other.map(|r| r.rumah_tangga_gabung)),
        }

        // Statistics after a large import (PostgreSQL): none below the threshold, none left by
        // a rolled-back import, and there after a committed one; SQLite: nothing to do.
        let stats = || async {
            match &store {
                sigap::store::Store::Postgis(p) => {
                    sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pg_stats WHERE tablename = 'recipient_household'").fetch_one(p).await.unwrap()
                }
                sigap::store::Store::Gpkg(_) => 0,
            }
        };
        let pg = matches!(store, sigap::store::Store::Postgis(_));
        let mut tx = store.begin().await.unwrap();
        rstore::analyze_after_import(&mut tx, rstore::ANALYZE_FROM - 1).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(stats().await, 0, "a small batch leaves statistics to autovacuum");
        let mut tx = store.begin().await.unwrap();
        rstore::analyze_after_import(&mut tx, rstore::ANALYZE_FROM).await.unwrap();
        drop(tx); // a refused or failed import: rolled back
        assert_eq!(stats().await, 0, "statistics roll back with the import");
        let mut tx = store.begin().await.unwrap();
        rstore::analyze_after_import(&mut tx, rstore::ANALYZE_FROM).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(stats().await > 0, pg, "a large batch's tables are analysed with it");
    })
    .await;
}

fn xlsx(rows: &[&[&str]], tweak: impl Fn(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    tweak(ws);
    wb.save_to_buffer().unwrap()
}

const XHEAD: &[&str] = &["NIK", "No. KK", "Nama", "Alamat", "RT", "RW", "Kelurahan", "Jumlah Anggota"];

#[tokio::test]
async fn xlsx_import_and_refused_files_write_nothing() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let planner = tokens::create(&store, "planner", None, None).await.unwrap();
        // Good XLSX: NIK as text; one NIK typed as a number (Excel lost its 16th digit).
        let good = xlsx(&[XHEAD, &["3171014101900001", "3171010101200003", "Siti Aminah", "Jl. Melati No. 5", "1", RW1, "", "4"]], |ws| {
            for (c, v) in ["", "3171010101200009", "Ani", "Jl. A", "1", RW1, "", "3"].iter().enumerate() {
                ws.write_string(2, c as u16, *v).unwrap();
            }
            ws.write_number(2, 0, 3171010101900010.0).unwrap();
        });
        let r = import(&app, &planner, "pd_lain", "data.xlsx", good, None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let j = r.json();
        assert_eq!(j["batch"]["format"], "xlsx");
        assert_eq!(j["rows"][0]["status"], "valid");
        assert_eq!(j["rows"][1]["line"], 3);
        assert_eq!(j["rows"][1]["alasan"][0]["kode"], "nik_notasi_ilmiah");

        let before = rows(&store).await;
        let merged = xlsx(&[XHEAD, &["3171014101900001", "3171010101200003", "Siti", "Jl", "1", RW1, "", "4"]], |ws| {
            ws.merge_range(2, 5, 4, 5, RW1, &rust_xlsxwriter::Format::new()).unwrap();
        });
        let formula = xlsx(&[XHEAD, &["3171014101900001", "3171010101200003", "Siti", "Jl", "1", RW1, "", "4"]], |ws| {
            ws.write_formula(1, 7, "=2+2").unwrap();
        });
        let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
            ("latin1.csv", format!("{HEADER}\n").into_bytes().into_iter().chain(b"1,2,Jos\xe9,a,1,1,1,1,,\n".iter().copied()).collect(), "file", "UTF-8"),
            ("header.csv", "nik,nama\n3171014101900001,Siti\n".into(), "no_kk", "missing"),
            ("empty.csv", format!("{HEADER}\n").into_bytes(), "file", "no rows"),
            ("merged.xlsx", merged, "file", "merged"),
            ("formula.xlsx", formula, "file", "formula"),
            ("broken.xlsx", b"PK not a zip".to_vec(), "file", "XLSX"),
        ];
        for (name, body, field, words) in cases {
            let r = import(&app, &planner, "dinsos", name, body, Some(name)).await;
            problem(&r, 422, field);
            assert!(r.json()["detail"].as_str().unwrap().contains(words), "{name}: {}", r.text());
            assert!(r.json()["detail"].as_str().unwrap().contains("nothing was imported"), "{name}");
        }
        let r = call(&app, "POST", "/api/v1/recipients/batches?sumber=bpbd&nama_file=a.csv", Some(&planner), None, Some("text/csv"), dinsos_csv().into()).await;
        problem(&r, 400, "sumber");
        let r = call(&app, "POST", "/api/v1/recipients/batches?sumber=dinsos&nama_file=a.txt", Some(&planner), None, Some("text/csv"), dinsos_csv().into()).await;
        problem(&r, 400, "nama_file");
        let r = call(&app, "POST", "/api/v1/recipients/batches?sumber=dinsos", Some(&planner), None, Some("text/csv"), dinsos_csv().into()).await;
        problem(&r, 400, "nama_file");
        assert_eq!(rows(&store).await, before, "refused files write nothing (rows, households, audit, idempotency)");

        // The CLI refuses the same way, and imports a good file.
        let dir = std::path::PathBuf::from(std::env::var("SIGAP_TEST_TMP").unwrap_or_else(|_| std::env::temp_dir().display().to_string()));
        let bad = dir.join(format!("recip_bad_{}_{}.csv", std::process::id(), store.kind()));
        std::fs::write(&bad, "nik,nama\n1,2\n").unwrap();
        let pii = crypt::Pii::from_env().unwrap();
        let args = |file| sigap::recipients::cli::ImportArgs { sumber: sigap::recipients::model::Sumber::Dinsos, file, dry_run: false };
        let err = sigap::recipients::cli::import(&store, &pii, args(bad)).await.unwrap_err();
        assert!(err.to_string().contains("nothing was changed"), "{err}");
        assert_eq!(rows(&store).await, before);
        let good = dir.join(format!("recip_good_{}_{}.csv", std::process::id(), store.kind()));
        std::fs::write(&good, dinsos_csv()).unwrap();
        sigap::recipients::cli::import(&store, &pii, args(good)).await.unwrap();
        assert_eq!(rstore::counts(&store).await.unwrap()[0], before[0] + 1);
    })
    .await;
}

#[tokio::test]
async fn retries_roles_and_the_audited_full_read() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let admin = tokens::create(&store, "admin", None, None).await.unwrap();
        let r1 = import(&app, &admin, "dinsos", "dinsos.csv", dinsos_csv().into_bytes(), Some("k1")).await;
        assert_eq!(r1.status, StatusCode::CREATED);
        let n = rows(&store).await;
        let r2 = import(&app, &admin, "dinsos", "dinsos.csv", dinsos_csv().into_bytes(), Some("k1")).await;
        assert!(r2.replayed && r2.status == StatusCode::CREATED && r2.body == r1.body);
        let r3 = import(&app, &admin, "dinsos", "dinsos.csv", disnaker_csv().into_bytes(), Some("k1")).await;
        problem(&r3, 409, "Idempotency-Key");
        assert_eq!(rows(&store).await, n, "a replay and a conflicting retry write nothing");

        // Roles: an RW token sees its RW, a Lurah token its kelurahan; others are refused.
        let rw = tokens::create(&store, "rw", Some(RW1), None).await.unwrap();
        let lurah = tokens::create(&store, "lurah", Some(KEL), None).await.unwrap();
        let operator = tokens::create(&store, "operator", Some(KEL), None).await.unwrap();
        let other_rw = tokens::create(&store, "rw", Some("31.71.01.1003.001"), None).await.unwrap();
        let list = |t: String, q: &'static str| {
            let app = app.clone();
            async move { call(&app, "GET", &format!("/api/v1/recipients/households{q}"), Some(&t), None, None, vec![]).await }
        };
        let mine = list(rw.clone(), "").await.json();
        let rws: Vec<&str> = mine["households"].as_array().unwrap().iter().map(|h| h["rw"].as_str().unwrap()).collect();
        assert_eq!(rws, [RW1], "{mine}");
        assert_eq!(list(lurah.clone(), "").await.json()["households"].as_array().unwrap().len(), 2);
        assert!(list(other_rw.clone(), "").await.json()["households"].as_array().unwrap().is_empty());
        problem(&list(rw.clone(), "?rw=31.71.01.1002.002").await, 403, "rw");
        problem(&list(lurah.clone(), "?kelurahan=31.71.01.1003").await, 403, "kelurahan");
        assert_eq!(list(operator.clone(), "").await.status, StatusCode::FORBIDDEN);
        problem(&list(admin.clone(), "?limit=0").await, 400, "limit");
        problem(&list(admin.clone(), "?rw=abc").await, 400, "rw");
        let hid = mine["households"][0]["id"].as_i64().unwrap();
        let budi = list(admin.clone(), "?rw=31.71.01.1002.002").await.json()["households"][0]["id"].as_i64().unwrap();
        assert_eq!(call(&app, "GET", &format!("/api/v1/recipients/households/{budi}"), Some(&rw), None, None, vec![]).await.status, StatusCode::FORBIDDEN);
        assert_eq!(call(&app, "GET", &format!("/api/v1/recipients/households/{hid}"), Some(&rw), None, None, vec![]).await.status, StatusCode::OK);
        assert_eq!(call(&app, "GET", "/api/v1/recipients/batches/1", Some(&rw), None, None, vec![]).await.status, StatusCode::FORBIDDEN);
        let r = import(&app, &lurah, "dinsos", "x.csv", b"garbage".to_vec(), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "the role is checked before the body");

        // The full NIK: admin only, and every read is audited.
        let uri = format!("/api/v1/recipients/households/{hid}/nomor");
        let audit_before = rows(&store).await[8];
        assert_eq!(call(&app, "POST", &uri, Some(&lurah), None, None, vec![]).await.status, StatusCode::FORBIDDEN);
        let full = call(&app, "POST", &uri, Some(&admin), None, None, vec![]).await;
        assert_eq!(full.status, StatusCode::OK, "{}", full.text());
        assert_eq!(full.json()["nik"], "3171014101900001");
        assert_eq!(full.json()["no_kk"], "3171010101200003");
        assert_eq!(rows(&store).await[8], audit_before + 1);
        let h = sigap::store::audit::history(&store, "recipient_household", &hid.to_string()).await.unwrap();
        assert_eq!(h.last().unwrap().action, "recipients.nik.read");
        problem(&call(&app, "POST", "/api/v1/recipients/households/99999/nomor", Some(&admin), None, None, vec![]).await, 404, "id");

        // At rest: no column of either store holds the NIK in clear.
        let dump: Vec<String> = sigap::on_pool!(&store, p => {
            use sqlx::Row;
            sqlx::query("SELECT nik_hash, nik_mask, kk_hash, nama FROM recipient_household").fetch_all(p).await.unwrap()
                .iter().map(|r| format!("{}{}{}", r.get::<String, _>(0), r.get::<String, _>(1), r.get::<String, _>(2))).collect()
        });
        assert!(dump.iter().all(|d| !d.contains("3171014101900001") && !d.contains("3171010101200003")));

        // Key rotation: a new current key, the old one kept for opening; rekey re-seals all.
        let old = crypt::Pii::new(KEY, &[], HASH_KEY).unwrap();
        let new_key = crypt::Pii::generate_key();
        let rotated = crypt::Pii::new(&new_key, &[KEY], HASH_KEY).unwrap();
        let mut tx = store.begin().await.unwrap();
        let n = sigap::recipients::ops::rekey(&mut tx, &rotated, "test").await.unwrap();
        tx.commit().await.unwrap();
        assert!(n > 0);
        let only_new = crypt::Pii::new(&new_key, &[], HASH_KEY).unwrap();
        let mut tx = store.begin().await.unwrap();
        assert_eq!(sigap::recipients::ops::read_numbers(&mut tx, &only_new, hid, "test").await.unwrap().nik, "3171014101900001");
        assert!(sigap::recipients::ops::read_numbers(&mut tx, &old, hid, "test").await.is_err(), "the old key alone no longer opens");
        drop(tx);
    })
    .await;
}


#[tokio::test]
async fn matching_with_the_population_register() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let admin = tokens::create(&store, "admin", None, None).await.unwrap();
        let lurah = tokens::create(&store, "lurah", Some(KEL), None).await.unwrap();
        assert_eq!(import(&app, &admin, "dinsos", "dinsos.csv", dinsos_csv().into_bytes(), None).await.status, StatusCode::CREATED);
        assert_eq!(import(&app, &admin, "disnaker", "disnaker.csv", disnaker_csv().into_bytes(), None).await.status, StatusCode::CREATED);
        let post = |t: String, body: &'static str, key: Option<&'static str>| {
            let app = app.clone();
            async move { call(&app, "POST", "/api/v1/recipients/matching", Some(&t), key, Some("application/json"), body.into()).await }
        };
        let before = rows(&store).await;
        problem(&post(admin.clone(), r#"{"ulang":"ya"}"#, None).await, 422, "ulang");
        problem(&post(admin.clone(), r#"{"semua":true}"#, None).await, 422, "semua");
        assert_eq!(post(lurah.clone(), "{}", None).await.status, StatusCode::FORBIDDEN);
        assert_eq!(rows(&store).await, before, "refused requests write nothing");

        let r = post(admin.clone(), "{}", Some("m1")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let j = r.json();
        assert_eq!((j["diperiksa"].as_i64(), j["padan"].as_i64(), j["meninggal"].as_i64(), j["tidak_padan"].as_i64()), (Some(3), Some(1), Some(1), Some(1)), "{j}");
        assert!(j["register"].as_str().unwrap().starts_with("file:dukcapil_extract.csv"));
        let hh = call(&app, "GET", "/api/v1/recipients/households", Some(&admin), None, None, vec![]).await.json()["households"].as_array().unwrap().clone();
        assert_eq!(hh[0]["padan"], "padan");
        assert_eq!(hh[1]["padan"], "meninggal");
        assert!(hh[1]["padan_alasan"].as_str().unwrap().contains("2021-07-02"));
        assert_eq!(hh[2]["padan"], "tidak_padan");
        assert!(hh[2]["padan_alasan"].as_str().unwrap().contains("tidak ditemukan"));
        assert!(post(admin.clone(), "{}", Some("m1")).await.replayed);
        assert_eq!(post(admin.clone(), "{}", None).await.json()["diperiksa"], 0, "only unmatched households by default");
        assert_eq!(post(admin.clone(), r#"{"ulang":true}"#, None).await.json()["diperiksa"], 3);

        // No register configured: 503, nothing written. The CLI refuses a bad extract the same way.
        let pii = crypt::Pii::new(KEY, &[], HASH_KEY).unwrap();
        let bare = sigap::recipients::http::router_with(Ok(pii.clone()), Err("no register".into())).split_for_parts().0.with_state(sigap::api::AppState::new(
            store.clone(),
            sigap::wilayah::AtlasHandle::new(common::atlas(&store).await),
            std::sync::Arc::new(sigap::api::Config::default()),
        ));
        let before = rows(&store).await;
        let r = call(&bare, "POST", "/api/v1/recipients/matching", Some(&admin), None, Some("application/json"), b"{}".to_vec()).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
        let dir = std::path::PathBuf::from(std::env::var("SIGAP_TEST_TMP").unwrap_or_else(|_| std::env::temp_dir().display().to_string()));
        let bad = dir.join(format!("extract_bad_{}_{}.csv", std::process::id(), store.kind()));
        std::fs::write(&bad, "nik,no_kk,nama,status\n3171014101900001,1,a,hilang\n").unwrap();
        let args = |register, ulang| sigap::recipients::cli::MatchArgs { register, ulang };
        let err = sigap::recipients::cli::match_cmd(&store, &pii, args(bad, true)).await.unwrap_err();
        assert!(err.to_string().contains("hilang"), "{err}");
        assert_eq!(rows(&store).await, before);
        let r = sigap::recipients::cli::match_cmd(&store, &pii, args(register_path(), true)).await.unwrap();
        assert_eq!((r.diperiksa, r.padan, r.pindah), (3, 1, 0));
    })
    .await;
}

#[tokio::test]
async fn eligibility_with_programmes_matching_and_quotas() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let planner = tokens::create(&store, "planner", None, None).await.unwrap();
        let rw = tokens::create(&store, "rw", Some(RW1), None).await.unwrap();
        assert_eq!(import(&app, &planner, "dinsos", "dinsos.csv", dinsos_csv().into_bytes(), None).await.status, StatusCode::CREATED);
        let extra = format!("{HEADER}\n3171011505800004,3171010303200006,Ahmad Fauzi,Jl. Kenanga 1,2,{RW1},,3,-,\n3171012006750005,3171010404200007,Dewi Lestari,Jl. Mawar 9,4,{RW2},,5,,\n");
        assert_eq!(import(&app, &planner, "usulan", "usulan.csv", extra.into_bytes(), None).await.status, StatusCode::CREATED);
        let post = |t: String, uri: &'static str, method: &'static str, body: &'static str| {
            let app = app.clone();
            async move { call(&app, method, uri, Some(&t), None, Some("application/json"), body.into()).await }
        };
        // Before matching: Siti is on PKH, the others wait for the register.
        let r = post(planner.clone(), "/api/v1/recipients/eligibility", "POST", "{}").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!((r.json()["tidak_layak"].as_i64(), r.json()["belum_dipadankan"].as_i64()), (Some(1), Some(3)), "{}", r.text());

        // Quotas: bad input first, nothing written.
        let before = rows(&store).await;
        problem(&post(planner.clone(), "/api/v1/recipients/quotas/31.71.01.1002.001", "PUT", r#"{"kuota":1}"#).await, 422, "code");
        problem(&post(planner.clone(), "/api/v1/recipients/quotas/31.79.01", "PUT", r#"{"kuota":1}"#).await, 404, "code");
        problem(&post(planner.clone(), "/api/v1/recipients/quotas/31.71.01", "PUT", r#"{"kuota":-1}"#).await, 422, "kuota");
        problem(&post(planner.clone(), "/api/v1/recipients/quotas/31.71.01", "PUT", r#"{"kuota":"satu"}"#).await, 422, "kuota");
        assert_eq!(post(rw.clone(), "/api/v1/recipients/quotas/31.71.01", "PUT", r#"{"kuota":1}"#).await.status, StatusCode::FORBIDDEN);
        assert_eq!(post(rw.clone(), "/api/v1/recipients/eligibility", "POST", "{}").await.status, StatusCode::FORBIDDEN);
        problem(&post(planner.clone(), "/api/v1/recipients/eligibility", "POST", r#"{"kuota":1}"#).await, 422, "kuota");
        assert_eq!(rows(&store).await, before);
        let q = post(planner.clone(), "/api/v1/recipients/quotas/31.71.01", "PUT", r#"{"kuota":1}"#).await;
        assert_eq!(q.status, StatusCode::OK, "{}", q.text());
        assert_eq!(q.json()["sebelumnya"], serde_json::Value::Null);

        assert_eq!(post(planner.clone(), "/api/v1/recipients/matching", "POST", "{}").await.status, StatusCode::OK);
        let r = post(planner.clone(), "/api/v1/recipients/eligibility", "POST", "{}").await.json();
        assert_eq!((r["layak"].as_i64(), r["tidak_layak"].as_i64(), r["melebihi_kuota"].as_i64(), r["belum_dipadankan"].as_i64()), (Some(1), Some(2), Some(1), Some(0)), "{r}");
        assert_eq!(r["kuota"][0], serde_json::json!({"wilayah": "31.71.01", "kuota": 1, "layak": 1, "melebihi_kuota": 1}));
        let hh = call(&app, "GET", "/api/v1/recipients/households", Some(&planner), None, None, vec![]).await.json()["households"].as_array().unwrap().clone();
        let by_name = |n: &str| hh.iter().find(|h| h["nama"] == n).unwrap().clone();
        assert_eq!(by_name("Siti Aminah")["kelayakan_alasan"], "sudah menerima PKH");
        assert_eq!(by_name("Budi Santoso")["kelayakan_alasan"], "hasil pemadanan: meninggal");
        assert_eq!(by_name("Ahmad Fauzi")["kelayakan"], "layak");
        assert_eq!(by_name("Dewi Lestari")["kelayakan"], "melebihi_kuota");
        // A kelurahan quota of 0 takes Ahmad's place too; the CLI runs the same rule.
        let q = post(planner.clone(), "/api/v1/recipients/quotas/31.71.01.1002", "PUT", r#"{"kuota":0}"#).await;
        assert_eq!(q.status, StatusCode::OK);
        let mut tx = store.begin().await.unwrap();
        let r = sigap::recipients::ops::assess_eligibility(&mut tx, "test").await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!((r.layak, r.melebihi_kuota), (0, 2));
    })
    .await;
}

#[tokio::test]
async fn verification_by_rw_and_lurah() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let planner = tokens::create(&store, "planner", None, None).await.unwrap();
        let rw1 = tokens::create(&store, "rw", Some(RW1), None).await.unwrap();
        let rw2 = tokens::create(&store, "rw", Some(RW2), None).await.unwrap();
        let lurah = tokens::create(&store, "lurah", Some(KEL), None).await.unwrap();
        let other_lurah = tokens::create(&store, "lurah", Some("31.71.01.1003"), None).await.unwrap();
        let csv = format!(
            "{HEADER}\n3171011505800004,3171010303200006,Ahmad Fauzi,Jl. Kenanga 1,2,{RW1},,3,,\n3171012006750005,3171010404200007,Dewi Lestari,Jl. Mawar 9,4,{RW2},,5,,\n\
             3171014101900001,3171010101200003,Siti Aminah,Jl. Melati No. 5,1,{RW1},,4,PKH,\n"
        );
        assert_eq!(import(&app, &planner, "usulan", "usulan.csv", csv.into_bytes(), None).await.status, StatusCode::CREATED);
        let post = |t: String, uri: &'static str, body: String| {
            let app = app.clone();
            async move { call(&app, "POST", uri, Some(&t), None, Some("application/json"), body.into_bytes()).await }
        };
        assert_eq!(post(planner.clone(), "/api/v1/recipients/matching", "{}".into()).await.status, StatusCode::OK);
        assert_eq!(post(planner.clone(), "/api/v1/recipients/eligibility", "{}".into()).await.status, StatusCode::OK);
        let hh = call(&app, "GET", "/api/v1/recipients/households", Some(&planner), None, None, vec![]).await.json()["households"].as_array().unwrap().clone();
        let (ahmad, dewi, siti) = (hh[0]["id"].as_i64().unwrap(), hh[1]["id"].as_i64().unwrap(), hh[2]["id"].as_i64().unwrap());
        let verify = |t: String, items: serde_json::Value| post(t, "/api/v1/recipients/verification", serde_json::json!({ "items": items }).to_string());
        let d = |id: i64, k: &str, a: Option<&str>| serde_json::json!({"household_id": id, "keputusan": k, "alasan": a});

        // Bad pages change nothing: every item checked, the bad one named.
        let before = rows(&store).await;
        problem(&verify(rw1.clone(), serde_json::json!([])).await, 422, "items");
        problem(&verify(rw1.clone(), serde_json::json!([d(ahmad, "ditolak", None)])).await, 422, "items[0].alasan");
        problem(&verify(rw1.clone(), serde_json::json!([d(ahmad, "diterima", None), d(ahmad, "ditolak", Some("x"))])).await, 422, "items[1].household_id");
        problem(&verify(rw1.clone(), serde_json::json!([d(ahmad, "diterima", None), d(siti, "diterima", None)])).await, 422, "items[1].keputusan");
        problem(&verify(rw1.clone(), serde_json::json!([d(ahmad, "dikembalikan", Some("x"))])).await, 422, "items[0].keputusan");
        problem(&verify(rw1.clone(), serde_json::json!([d(ahmad, "mungkin", None)])).await, 422, "items[0].keputusan");
        problem(&verify(rw1.clone(), serde_json::json!([d(99999, "diterima", None)])).await, 404, "items[0].household_id");
        assert_eq!(verify(rw1.clone(), serde_json::json!([d(ahmad, "diterima", None), d(dewi, "diterima", None)])).await.status, StatusCode::FORBIDDEN, "Dewi is in RW 002");
        assert_eq!(verify(other_lurah.clone(), serde_json::json!([d(ahmad, "ditolak", Some("x"))])).await.status, StatusCode::FORBIDDEN);
        assert_eq!(verify(planner.clone(), serde_json::json!([d(ahmad, "diterima", None)])).await.status, StatusCode::FORBIDDEN);
        problem(&verify(lurah.clone(), serde_json::json!([d(ahmad, "diterima", None)])).await, 422, "items[0].keputusan");
        assert_eq!(rows(&store).await, before, "refused pages write nothing");

        // RW accepts Ahmad, RW 002 refuses Dewi; the Lurah confirms Ahmad and returns Dewi.
        let r = verify(rw1.clone(), serde_json::json!([d(ahmad, "diterima", Some("warga terdampak"))])).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()[0]["verifikasi"], "diterima_rw");
        assert_eq!(verify(rw2.clone(), serde_json::json!([d(dewi, "ditolak", Some("warga mampu"))])).await.json()[0]["verifikasi"], "ditolak_rw");
        let r = verify(lurah.clone(), serde_json::json!([d(ahmad, "diterima", None), d(dewi, "dikembalikan", Some("tidak sesuai kriteria"))])).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()[1]["verifikasi"], "dikembalikan_kecamatan");
        problem(&verify(rw1.clone(), serde_json::json!([d(ahmad, "ditolak", Some("x"))])).await, 422, "items[0].keputusan");
        let h = call(&app, "GET", &format!("/api/v1/recipients/households/{ahmad}/verification"), Some(&rw1), None, None, vec![]).await.json();
        let steps: Vec<(&str, &str)> = h.as_array().unwrap().iter().map(|x| (x["tahap"].as_str().unwrap(), x["keputusan"].as_str().unwrap())).collect();
        assert_eq!(steps, [("rw", "diterima"), ("lurah", "diterima")]);
        assert!(h[0]["actor"].as_str().unwrap().contains("rw@31.71.01.1002.001"));
        assert_eq!(call(&app, "GET", &format!("/api/v1/recipients/households/{dewi}/verification"), Some(&rw1), None, None, vec![]).await.status, StatusCode::FORBIDDEN);
    })
    .await;
}
