//! The writes of recipients, each inside the caller's transaction, shared by HTTP and the CLI:
//! importing a batch of candidate data with its cleaning and dedup, deciding a near-duplicate,
//! reading a full NIK (audited), re-sealing under a new key.

use super::crypt::{mask, CryptError, Pii};
use super::model::{self, Candidate, Columns, FileProblem, Format, Keputusan, Sumber};
use super::eligibility::Kelayakan;
use super::registry::{Hasil, Padan, Query};
use super::usulan::{Aksi, Pelaku, Tahap as UsulanTahap};
use super::verification::{Putusan, Tahap};
use super::store::{self as rstore, NewBatch, NewHousehold, NewRow, Sealed};
use crate::store::audit::{self, AuditEntry};
use crate::store::{StoreError, Tx};
use crate::wilayah::{AreaCode, Atlas, Level};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// The file as a whole is refused (encoding, header, merged cells, formulas, no rows).
    #[error("the file is refused: {}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    File(Vec<FileProblem>),
    #[error("{detail}")]
    Invalid { field: String, detail: String },
    /// A malformed request parameter (HTTP 400), e.g. an area code of the wrong level.
    #[error("{detail}")]
    Bad { field: String, detail: String },
    #[error("{detail}")]
    NotFound { field: String, detail: String },
    #[error("{detail}")]
    Conflict { field: String, detail: String },
    #[error("{detail}")]
    Forbidden { detail: String },
    /// Outside the token's area, naming the field that points there (HTTP 403).
    #[error("{detail}")]
    Outside { field: String, detail: String },
    #[error(transparent)]
    Crypt(#[from] CryptError),
    #[error(transparent)]
    Registry(#[from] super::registry::RegistryError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Finds the RW of a row in the atlas: `rw` is a full RW code (31.71.01.1001.008), or an RW
/// number with `kelurahan` a kelurahan code or its unique name.
pub fn resolve_rw(atlas: &Atlas, rw: &str, kelurahan: &str) -> Result<AreaCode, String> {
    let known = |c: &AreaCode| atlas.get(c).is_some_and(|a| a.level == Level::Rw);
    if rw.contains('.') {
        let code = AreaCode::parse(rw).map_err(|e| format!("RW {rw:?}: {e}"))?;
        if code.level() != Level::Rw {
            return Err(format!("{code} is a {}, not an RW", code.level()));
        }
        return if known(&code) { Ok(code) } else { Err(format!("RW {code} does not exist in the loaded boundaries")) };
    }
    let n: u32 = rw.parse().map_err(|_| format!("RW {rw:?} is neither an RW code (31.71.01.1001.008) nor an RW number"))?;
    if kelurahan.is_empty() {
        return Err(format!("RW {n:03} needs its kelurahan (column kelurahan: code or name)"));
    }
    let kel = match AreaCode::parse(kelurahan) {
        Ok(c) if c.level() == Level::Kelurahan => c,
        _ => {
            let wanted = model::normalise(kelurahan);
            let found: Vec<AreaCode> = atlas.list(Level::Kelurahan, None).into_iter().filter(|a| model::normalise(&a.name) == wanted).map(|a| a.code.clone()).collect();
            match found.as_slice() {
                [one] => one.clone(),
                [] => return Err(format!("kelurahan {kelurahan:?} is not a kelurahan code or name in the loaded boundaries")),
                many => return Err(format!("kelurahan name {kelurahan:?} is ambiguous ({} kelurahan); give its code", many.len())),
            }
        }
    };
    let code = AreaCode::parse(&format!("{kel}.{n:03}")).map_err(|e| e.to_string())?;
    if known(&code) {
        Ok(code)
    } else {
        Err(format!("RW {n:03} does not exist in kelurahan {kel}"))
    }
}

/// A source file read and cleaned, ready to store (CPU work done before the transaction).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub format: Format,
    pub sha256: String,
    pub candidates: Vec<Candidate>,
}

/// Reads and cleans a file. A problem with the file as a whole refuses it (nothing is stored);
/// a problem with a row is that row's reason (`ditolak`), kept with the row.
pub fn prepare(bytes: &[u8], format: Format, atlas: &Atlas) -> Result<Prepared, OpError> {
    let table = match format {
        Format::Csv => model::read_csv(bytes),
        Format::Xlsx => model::read_xlsx(bytes),
    }
    .map_err(OpError::File)?;
    let cols = Columns::find(&table.header).map_err(OpError::File)?;
    if table.rows.is_empty() {
        return Err(OpError::File(vec![FileProblem { line: None, field: "file".into(), detail: "the file has a header but no rows".into() }]));
    }
    let resolve = |rw: &str, kel: &str| resolve_rw(atlas, rw, kel);
    let candidates = table.rows.iter().map(|(line, cells)| model::clean(*line, cells, &cols, &resolve)).collect();
    Ok(Prepared { format, sha256: hex::encode(Sha256::digest(bytes)), candidates })
}

/// Who sends a batch and from which file.
#[derive(Debug, Clone, Copy)]
pub struct BatchMeta<'a> {
    pub sumber: Sumber,
    pub nama_file: &'a str,
    pub actor: &'a str,
    /// Demo data, labelled as generated everywhere.
    pub generated: bool,
}

/// What an import did, row by row (NIK masked).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchReport {
    pub batch: rstore::BatchRecord,
    /// Rows flagged `luar_dki` (NIK issued outside DKI).
    pub luar_dki: i64,
    /// Households created by this batch.
    pub rumah_tangga_baru: i64,
    /// Valid rows that joined a household already known (same NIK or No. KK, from this or an
    /// earlier batch).
    pub rumah_tangga_gabung: i64,
    /// Near-duplicate pairs flagged by this batch for a person to decide.
    pub mirip_baru: i64,
    pub rows: Vec<rstore::RowReport>,
}

fn seal(pii: &Pii, field: &str, value: &str) -> Sealed {
    Sealed { enc: pii.seal(field, value), hash: pii.hash(field, value), mask: mask(value) }
}

/// The programmes as stored: `pkh,bpnt`.
fn programs(c: &Candidate) -> String {
    c.program.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
}

/// Stores a prepared batch: the batch, every row with its line and reasons, the households its
/// valid rows form or join (same NIK or same No. KK = one household, across sources and
/// batches), and the near-duplicate pairs (same RW, similar name and address) for a person to
/// decide. One audit entry, without personal data. `progress(done)` counts rows.
pub async fn import(tx: &mut Tx, pii: &Pii, batch: &BatchMeta<'_>, prepared: &Prepared, progress: &(dyn Fn(usize) + Sync)) -> Result<BatchReport, OpError> {
    // A page cache that holds what this batch touches (about 1 KiB a row across the tables and
    // indexes, at least 64 MiB, at most 1 GiB) for the import only, then SQLite's default again.
    let kib = (prepared.candidates.len() as i64).clamp(65_536, 1 << 20);
    rstore::import_cache(tx, Some(kib)).await?;
    let out = import_rows(tx, pii, batch, prepared, progress).await;
    rstore::import_cache(tx, None).await?;
    let report = out?;
    rstore::analyze_after_import(tx, prepared.candidates.len()).await?;
    Ok(report)
}

async fn import_rows(tx: &mut Tx, pii: &Pii, batch: &BatchMeta<'_>, prepared: &Prepared, progress: &(dyn Fn(usize) + Sync)) -> Result<BatchReport, OpError> {
    let BatchMeta { sumber, nama_file, actor, generated } = *batch;
    let valid = prepared.candidates.iter().filter(|c| c.valid()).count() as i64;
    let total = prepared.candidates.len() as i64;
    let batch_id = rstore::insert_batch(
        tx,
        &NewBatch {
            sumber,
            nama_file,
            format: prepared.format.as_str(),
            file_sha256: &prepared.sha256,
            rows_total: total,
            rows_valid: valid,
            rows_ditolak: total - valid,
            generated,
            actor,
        },
    )
    .await?;
    // The numbers sealed and hashed once (CPU only), then the households already stored under
    // them fetched in chunks: a million-row file is a few thousand statements, not three per row.
    // NIK, No. KK (sealed, hashed, masked) and the sealed telephone of each row.
    type SealedRow = (Option<Sealed>, Option<Sealed>, Option<Vec<u8>>);
    let sealed: Vec<SealedRow> = prepared
        .candidates
        .iter()
        .map(|c| (c.nik.as_deref().map(|v| seal(pii, "nik", v)), c.no_kk.as_deref().map(|v| seal(pii, "no_kk", v)), c.telepon.as_deref().map(|v| pii.seal("telepon", v))))
        .collect();
    let progs: Vec<String> = prepared.candidates.iter().map(programs).collect();
    let luar = prepared.candidates.iter().filter(|c| c.luar_dki).count() as i64;
    // Rows that form or join a household: valid, with every household field.
    let joins = |i: usize| -> Option<(&Sealed, &Sealed)> {
        let c = &prepared.candidates[i];
        match (&sealed[i], c.valid() && c.rw.is_some() && c.rt.is_some() && c.nama.is_some() && c.alamat.is_some() && c.jumlah_anggota.is_some()) {
            ((Some(n), Some(k), _), true) => Some((n, k)),
            _ => None,
        }
    };
    let joining: Vec<usize> = (0..prepared.candidates.len()).filter(|i| joins(*i).is_some()).collect();
    let nik_hashes: Vec<&str> = joining.iter().filter_map(|i| joins(*i)).map(|(n, _)| n.hash.as_str()).collect();
    let kk_hashes: Vec<&str> = joining.iter().filter_map(|i| joins(*i)).map(|(_, k)| k.hash.as_str()).collect();
    /// A household a row joins: stored before this batch, or the n-th one this batch founds.
    #[derive(Clone, Copy, PartialEq)]
    enum Hh {
        Stored(i64),
        New(usize),
    }
    let mut by_nik: HashMap<&str, Hh> = HashMap::new();
    let mut by_kk: HashMap<&str, Hh> = HashMap::new();
    let stored = rstore::find_households(tx, &nik_hashes, &kk_hashes).await?;
    for (id, nh, kh) in &stored {
        by_nik.insert(nh.as_str(), Hh::Stored(*id));
        by_kk.insert(kh.as_str(), Hh::Stored(*id));
    }
    // Dedup in file order, as one lookup per row would see it (households founded earlier in this
    // batch included): the No. KK's household first, else the NIK's, else a new one.
    let (mut gabung, mut crossed_hh) = (0i64, Vec::new());
    let mut new_households: Vec<NewHousehold> = Vec::new();
    let mut row_hh: Vec<Option<Hh>> = vec![None; prepared.candidates.len()];
    for &i in &joining {
        let (Some((n, k)), c) = (joins(i), &prepared.candidates[i]) else { continue };
        let (Some(rw), Some(rt), Some(nama), Some(alamat), Some(jml)) = (&c.rw, &c.rt, &c.nama, &c.alamat, c.jumlah_anggota) else { continue };
        let (a, b) = (by_nik.get(n.hash.as_str()).copied(), by_kk.get(k.hash.as_str()).copied());
        let hh = match (a, b) {
            (Some(a), Some(b)) if a != b => {
                crossed_hh.push((rw.to_string(), a, b));
                b
            }
            (_, Some(b)) => b,
            (Some(a), None) => a,
            (None, None) => {
                let hh = Hh::New(new_households.len());
                new_households.push(NewHousehold {
                    rw: rw.as_str(),
                    rt,
                    nik: n,
                    kk: k,
                    nama,
                    alamat,
                    jumlah_anggota: jml,
                    telepon_enc: sealed[i].2.as_deref(),
                    program: &progs[i],
                    luar_dki: c.luar_dki,
                    generated,
                });
                by_nik.insert(n.hash.as_str(), hh);
                by_kk.insert(k.hash.as_str(), hh);
                hh
            }
        };
        gabung += i64::from(a.is_some() || b.is_some());
        row_hh[i] = Some(hh);
    }
    let baru = new_households.len() as i64;
    // The households already on the list in the RWs this batch adds to, read before adding
    // (the near-duplicate pass meets the new ones in memory instead of reading them back).
    let touched: Vec<&str> = new_households.iter().map(|h| h.rw).collect::<BTreeSet<_>>().into_iter().collect();
    let listed = rstore::rw_households(tx, &touched).await?;
    // On PostgreSQL two imports run side by side; one whose file shares a NIK or No. KK with
    // the other's waits on the unique hash index and is refused when the other commits (on
    // GeoPackage imports take turns, and the second joins the first one's households).
    let new_ids = rstore::insert_households(tx, &new_households).await.map_err(|e| match e {
        e if e.is_unique_violation() => OpError::Conflict {
            field: "file".into(),
            detail: "another import stored a household with one of this file's NIK or No. KK while this one ran; nothing was changed: \
                     import the file again (its rows then join those households)"
                .into(),
        },
        e => e.into(),
    })?;
    let id_of = |h: Hh| match h {
        Hh::Stored(id) => id,
        Hh::New(j) => new_ids[j],
    };
    // The comparison is CPU only: on a blocking thread, beside the rows' COPY (the server's work).
    let fresh: Vec<model::Listed> = new_households.iter().zip(&new_ids).map(|(h, id)| (*id, h.rw.to_string(), h.nama.to_string(), h.alamat.to_string())).collect();
    let near = tokio::task::spawn_blocking(move || model::near_pairs(listed, fresh));
    let rows: Vec<NewRow> = prepared
        .candidates
        .iter()
        .zip(&sealed)
        .zip(&progs)
        .zip(&row_hh)
        .map(|(((c, (nik, kk, tel)), program), hh)| NewRow {
            batch_id,
            line: c.line as i64,
            rw: c.rw.as_ref().map(|r| r.as_str()),
            rt: c.rt.as_deref(),
            nik: nik.as_ref(),
            kk: kk.as_ref(),
            nama: c.nama.as_deref(),
            alamat: c.alamat.as_deref(),
            jumlah_anggota: c.jumlah_anggota,
            telepon_enc: tel.as_deref(),
            program,
            valid: c.valid(),
            alasan: &c.alasan,
            luar_dki: c.luar_dki,
            household_id: hh.map(id_of),
        })
        .collect();
    for (n, chunk) in rows.chunks(rstore::IMPORT_CHUNK * 10).enumerate() {
        rstore::insert_rows(tx, chunk).await?;
        progress((n * rstore::IMPORT_CHUNK * 10 + chunk.len()).min(rows.len()));
    }
    // Pairs for a person to decide, each once (the first reason found kept), then stored in bulk.
    let mut pairs: Vec<rstore::NewNearDup> = Vec::new();
    let mut seen: HashSet<(i64, i64)> = HashSet::new();
    let mut flag = |rw, a: i64, b: i64, jenis, (skor_nama, skor_alamat): (f64, f64)| {
        let (household_a, household_b) = (a.min(b), a.max(b));
        if seen.insert((household_a, household_b)) {
            pairs.push(rstore::NewNearDup { rw, household_a, household_b, jenis, skor_nama, skor_alamat });
        }
    };
    // NIK and No. KK on different households: flagged for a person (`nik_kk_silang`).
    for (rw, a, b) in &crossed_hh {
        flag(rw, id_of(*a), id_of(*b), "nik_kk_silang", (1.0, 1.0));
    }
    let found = near.await.map_err(StoreError::Task)?;
    for (rw, a, b, scores) in &found {
        flag(rw, *a, *b, "nama_alamat_mirip", *scores);
    }
    let mirip = rstore::insert_near_dups(tx, &pairs).await?;
    let batch = rstore::BatchRecord {
        id: batch_id,
        sumber: sumber.as_str().into(),
        nama_file: nama_file.into(),
        format: prepared.format.as_str().into(),
        file_sha256: prepared.sha256.clone(),
        rows_total: total,
        rows_valid: valid,
        rows_ditolak: total - valid,
        generated,
        actor: actor.into(),
        created_at: chrono::Utc::now(),
    };
    let summary = serde_json::json!({
        "sumber": sumber.as_str(), "nama_file": nama_file, "format": prepared.format.as_str(), "file_sha256": prepared.sha256,
        "rows_total": total, "rows_valid": valid, "rows_ditolak": total - valid, "luar_dki": luar,
        "rumah_tangga_baru": baru, "rumah_tangga_gabung": gabung, "mirip_baru": mirip, "generated": generated,
    });
    audit::record(
        tx,
        AuditEntry { actor, action: "recipients.batch.import", entity: "recipient_batch", entity_id: &batch_id.to_string(), before: None, after: Some(summary) },
    )
    .await?;
    let rows = prepared
        .candidates
        .iter()
        .map(|c| rstore::RowReport {
            line: c.line as i64,
            status: if c.valid() { "valid" } else { "ditolak" }.into(),
            alasan: c.alasan.clone(),
            nik: c.nik.as_deref().map(mask),
            rw: c.rw.as_ref().map(|r| r.to_string()),
            luar_dki: c.luar_dki,
            household_id: None,
        })
        .collect();
    Ok(BatchReport { batch, luar_dki: luar, rumah_tangga_baru: baru, rumah_tangga_gabung: gabung, mirip_baru: mirip, rows })
}

/// Records a person's decision on a near-duplicate pair; `sama` marks the newer household a
/// duplicate of the older one. A pair already decided is a conflict (decide once; the audit log
/// keeps who and why). `scope` limits it to an RW or kelurahan prefix for unit-scoped tokens.
pub async fn decide(tx: &mut Tx, id: i64, keputusan: Keputusan, alasan: &str, actor: &str, scope: Option<&str>) -> Result<rstore::NearDup, OpError> {
    let pair = rstore::near_dup(tx, id).await?.ok_or_else(|| OpError::NotFound { field: "id".into(), detail: format!("no near-duplicate pair {id}") })?;
    if let Some(s) = scope {
        if !(pair.rw == s || pair.rw.starts_with(&format!("{s}."))) {
            return Err(OpError::Forbidden { detail: format!("pair {id} is in RW {}, outside this token's area {s}", pair.rw) });
        }
    }
    if let Some(k) = &pair.keputusan {
        return Err(OpError::Conflict { field: "id".into(), detail: format!("pair {id} was already decided ({k}) by {}", pair.decided_by.clone().unwrap_or_default()) });
    }
    if !rstore::decide(tx, id, keputusan.as_str(), alasan, actor).await? {
        return Err(OpError::Conflict { field: "id".into(), detail: format!("pair {id} was decided meanwhile") });
    }
    if keputusan == Keputusan::Sama {
        rstore::mark_duplicate(tx, pair.household_b, pair.household_a).await?;
    }
    audit::record(
        tx,
        AuditEntry {
            actor,
            action: "recipients.near_dup.decide",
            entity: "recipient_near_dup",
            entity_id: &id.to_string(),
            before: None,
            after: Some(serde_json::json!({"keputusan": keputusan.as_str(), "alasan": alasan, "household_a": pair.household_a, "household_b": pair.household_b})),
        },
    )
    .await?;
    let after = rstore::near_dup(tx, id).await?.ok_or_else(|| OpError::NotFound { field: "id".into(), detail: format!("no near-duplicate pair {id}") })?;
    Ok(after)
}

/// The full NIK and No. KK of a household, for a role that must see them; the read itself is
/// written to the audit log (who, when, which household) in the same transaction.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FullNumbers {
    pub household_id: i64,
    pub nik: String,
    pub no_kk: String,
}

pub async fn read_numbers(tx: &mut Tx, pii: &Pii, id: i64, actor: &str) -> Result<FullNumbers, OpError> {
    let (_, nik, kk) = rstore::sealed_numbers(tx, id).await?.ok_or_else(|| OpError::NotFound { field: "id".into(), detail: format!("no household {id}") })?;
    let out = FullNumbers { household_id: id, nik: pii.open("nik", &nik)?, no_kk: pii.open("no_kk", &kk)? };
    audit::record(tx, AuditEntry { actor, action: "recipients.nik.read", entity: "recipient_household", entity_id: &id.to_string(), before: None, after: None }).await?;
    Ok(out)
}

/// Re-seals every value not under the current key (key rotation: set the new key as
/// `SIGAP_PII_KEY`, the old one in `SIGAP_PII_OLD_KEYS`, run this, then drop the old key).
/// Returns how many values were re-sealed.
pub async fn rekey(tx: &mut Tx, pii: &Pii, actor: &str) -> Result<usize, OpError> {
    let stale = rstore::stale_seals(tx, &|v| pii.is_current(v)).await?;
    for (table, id, col, v) in &stale {
        let field = match *col {
            "nik_enc" => "nik",
            "kk_enc" => "no_kk",
            _ => "telepon",
        };
        let fresh = pii.seal(field, &pii.open(field, v)?);
        rstore::reseal(tx, table, *id, col, &fresh).await?;
    }
    audit::record(
        tx,
        AuditEntry { actor, action: "recipients.rekey", entity: "recipient_household", entity_id: "*", before: None, after: Some(serde_json::json!({"resealed": stale.len()})) },
    )
    .await?;
    Ok(stale.len())
}

/// How many values a rehash moved to the current lookup-hash key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rehashed {
    pub households: usize,
    pub rows: usize,
}

/// Recomputes every lookup hash (`nik_hash`, `kk_hash`) under the current `SIGAP_PII_HASH_KEY`
/// from the opened values (rotation of the hash key: the old hash key is not needed, the sealed
/// values are the source), for households, batch rows and decree items, so lookups and dedup
/// find the stored households again under the new key. Pages of 2,000 by id inside the caller's
/// transaction (all or nothing); a value that cannot be opened refuses the whole rehash. A rerun
/// under the same key changes nothing. Decree items follow their household (an item whose hash
/// was not its household's refuses the rehash). The decree's own `hash` (its published
/// fingerprint) is not recomputed: a later decree compares items, not that fingerprint.
pub async fn rehash(tx: &mut Tx, pii: &Pii, actor: &str) -> Result<Rehashed, OpError> {
    const PAGE: i64 = 2_000;
    let mut out = Rehashed::default();
    for table in ["recipient_household", "recipient_row"] {
        let mut after = 0;
        loop {
            let page = rstore::sealed_hashes(tx, table, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            for (id, nik_enc, nik_hash, kk_enc, kk_hash) in &page {
                let fresh = |field: &str, v: &Option<Vec<u8>>| v.as_deref().map(|v| pii.open(field, v).map(|plain| pii.hash(field, &plain))).transpose();
                let (nik, kk) = (fresh("nik", nik_enc)?, fresh("no_kk", kk_enc)?);
                if nik == *nik_hash && kk == *kk_hash {
                    continue;
                }
                rstore::set_hashes(tx, table, *id, nik.as_deref(), kk.as_deref()).await?;
                if table == "recipient_household" {
                    out.households += 1;
                    let pair = |old: &Option<String>, new: &Option<String>| (old.clone().unwrap_or_default(), new.clone().unwrap_or_default());
                    let ((on, nn), (ok, nk)) = (pair(nik_hash, &nik), pair(kk_hash, &kk));
                    rstore::rehash_sk_items(tx, *id, (&on, &nn), (&ok, &nk)).await?;
                } else {
                    out.rows += 1;
                }
            }
        }
    }
    let off = rstore::sk_items_off_household(tx).await?;
    if off > 0 {
        return Err(StoreError::Invalid(format!("{off} decree item(s) hold lookup hashes that are not their household's: nothing was rehashed")).into());
    }
    audit::record(
        tx,
        AuditEntry { actor, action: "recipients.rehash", entity: "recipient_household", entity_id: "*", before: None, after: Some(serde_json::json!(out)) },
    )
    .await?;
    Ok(out)
}

/// Households read and opened for matching (before any transaction: the register may be a slow
/// web service, and no connection may be held while it answers).
pub async fn matching_queries(store: &crate::store::Store, pii: &Pii, ulang: bool) -> Result<(Vec<i64>, Vec<Query>), OpError> {
    let rows = rstore::to_match(store, ulang).await?;
    let mut ids = Vec::with_capacity(rows.len());
    let mut queries = Vec::with_capacity(rows.len());
    for (id, nik, kk, nama) in rows {
        ids.push(id);
        queries.push(Query { nik: pii.open("nik", &nik)?, no_kk: pii.open("no_kk", &kk)?, nama });
    }
    Ok((ids, queries))
}

/// Counts of a matching run per outcome.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct MatchReport {
    /// The register asked (`file:…` for an extract).
    pub register: String,
    pub diperiksa: i64,
    pub padan: i64,
    pub tidak_padan: i64,
    pub meninggal: i64,
    pub pindah: i64,
}

/// Stores the register's answers (one per id, in order) and one audit entry with the counts; the
/// reasons are kept per household (`padan_alasan`).
pub async fn record_matching(tx: &mut Tx, register: &str, ids: &[i64], hasil: &[Hasil], actor: &str) -> Result<MatchReport, OpError> {
    if ids.len() != hasil.len() {
        return Err(OpError::Store(StoreError::Invalid(format!("the register answered {} of {} households", hasil.len(), ids.len()))));
    }
    let mut r = MatchReport { register: register.into(), diperiksa: ids.len() as i64, ..MatchReport::default() };
    for (id, h) in ids.iter().zip(hasil) {
        rstore::set_padan(tx, *id, h.padan.as_str(), &h.alasan, register).await?;
        *match h.padan {
            Padan::Padan => &mut r.padan,
            Padan::TidakPadan => &mut r.tidak_padan,
            Padan::Meninggal => &mut r.meninggal,
            Padan::Pindah => &mut r.pindah,
        } += 1;
    }
    let after = serde_json::to_value(&r).map_err(|e| StoreError::Invalid(e.to_string()))?;
    audit::record(tx, AuditEntry { actor, action: "recipients.match", entity: "recipient_household", entity_id: "*", before: None, after: Some(after) }).await?;
    Ok(r)
}

/// Largest quota accepted for one area: every household of DKI.
pub const MAX_KUOTA: i64 = 5_000_000;

/// Sets the quota (kuota) of a kecamatan or kelurahan (seed 002 step 1). Audited.
pub async fn set_quota(tx: &mut Tx, atlas: &Atlas, code: &str, kuota: i64, actor: &str) -> Result<QuotaSet, OpError> {
    let area = AreaCode::parse(code).map_err(|e| OpError::Invalid { field: "code".into(), detail: e.to_string() })?;
    if !matches!(area.level(), Level::Kecamatan | Level::Kelurahan) {
        return Err(OpError::Invalid { field: "code".into(), detail: format!("{area} is a {}; a quota is set per kecamatan or kelurahan", area.level()) });
    }
    if atlas.get(&area).is_none() {
        return Err(OpError::NotFound { field: "code".into(), detail: format!("no {} {area} in the loaded boundaries", area.level()) });
    }
    if !(0..=MAX_KUOTA).contains(&kuota) {
        return Err(OpError::Invalid { field: "kuota".into(), detail: format!("kuota {kuota} must be 0..={MAX_KUOTA}") });
    }
    let before = rstore::upsert_quota(tx, area.as_str(), kuota, actor).await?;
    audit::record(
        tx,
        AuditEntry {
            actor,
            action: "recipients.quota.set",
            entity: "recipient_quota",
            entity_id: area.as_str(),
            before: before.map(|k| serde_json::json!({"kuota": k})),
            after: Some(serde_json::json!({"kuota": kuota})),
        },
    )
    .await?;
    Ok(QuotaSet { wilayah: area.to_string(), kuota, sebelumnya: before })
}

/// A quota as set.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuotaSet {
    pub wilayah: String,
    pub kuota: i64,
    /// The quota before (absent: none).
    pub sebelumnya: Option<i64>,
}

/// One quota area's use after an assessment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuotaUse {
    pub wilayah: String,
    pub kuota: i64,
    pub layak: i64,
    pub melebihi_kuota: i64,
}

/// Counts of an eligibility run.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct EligibilityReport {
    pub layak: i64,
    pub tidak_layak: i64,
    pub melebihi_kuota: i64,
    pub belum_dipadankan: i64,
    /// Every area with a quota, with the counts against it.
    pub kuota: Vec<QuotaUse>,
}

/// Assesses every household on the list (reading through the transaction) and stores each
/// outcome with its reason; one audit entry with the counts.
pub async fn assess_eligibility(tx: &mut Tx, actor: &str) -> Result<EligibilityReport, OpError> {
    let facts = rstore::eligibility_facts(tx).await?;
    let quotas = rstore::quotas(tx).await?;
    let (out, used) = super::eligibility::assess(&facts, &quotas);
    let mut r = EligibilityReport::default();
    for (id, k, alasan) in &out {
        rstore::set_kelayakan(tx, *id, k.as_str(), alasan).await?;
        *match k {
            Kelayakan::Layak => &mut r.layak,
            Kelayakan::TidakLayak => &mut r.tidak_layak,
            Kelayakan::MelebihiKuota => &mut r.melebihi_kuota,
            Kelayakan::BelumDipadankan => &mut r.belum_dipadankan,
        } += 1;
    }
    r.kuota = used.into_iter().map(|(wilayah, (kuota, layak, melebihi_kuota))| QuotaUse { wilayah, kuota, layak, melebihi_kuota }).collect();
    r.kuota.sort_by(|a, b| a.wilayah.cmp(&b.wilayah));
    let after = serde_json::to_value(&r).map_err(|e| StoreError::Invalid(e.to_string()))?;
    audit::record(tx, AuditEntry { actor, action: "recipients.eligibility", entity: "recipient_household", entity_id: "*", before: None, after: Some(after) }).await?;
    Ok(r)
}

/// A household's state after a verification decision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verified {
    pub household_id: i64,
    pub verifikasi: String,
}

/// Applies a page of decisions at `tahap`, all or none: each household must be on the list, in
/// the token's area (`scope`: an RW or kelurahan code), `layak`, and the decision allowed from
/// its state (`verification::next`); a household whose state moved meanwhile is a conflict.
/// Each decision is kept in the history and the audit log. Errors name `items[i].…`; the
/// answer keeps the page's order.
pub async fn verify(tx: &mut Tx, tahap: Tahap, items: &[(i64, Putusan, String)], scope: Option<&str>, actor: &str) -> Result<Vec<Verified>, OpError> {
    let mut out: Vec<Option<Verified>> = (0..items.len()).map(|_| None).collect();
    // Households are changed in id order whatever the page's order: two pages with the same
    // households in different orders then wait for each other instead of deadlocking on
    // PostgreSQL's row locks (the loser gets the 409 below, never a 500).
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| items[i].0);
    for i in order {
        let (id, p, alasan) = &items[i];
        let field = format!("items[{i}].household_id");
        let (rw, kelayakan, state, versi) =
            rstore::verification_state(tx, *id).await?.ok_or_else(|| OpError::NotFound { field: field.clone(), detail: format!("no household {id} on the list") })?;
        if let Some(s) = scope {
            if !(rw == s || rw.starts_with(&format!("{s}."))) {
                return Err(OpError::Forbidden { detail: format!("household {id} (RW {rw}) is outside this token's area {s}") });
            }
        }
        let next = super::verification::next(tahap, state.as_deref(), kelayakan.as_deref(), *p)
            .map_err(|why| OpError::Invalid { field: format!("items[{i}].keputusan"), detail: format!("household {id}: {why}") })?;
        let decision = rstore::Decision { tahap: tahap.as_str(), keputusan: p.as_str(), alasan, actor };
        if !rstore::verify(tx, *id, versi, next, &decision).await? {
            return Err(OpError::Conflict { field, detail: format!("household {id} was verified meanwhile; reload and decide again") });
        }
        audit::record(
            tx,
            AuditEntry {
                actor,
                action: "recipients.verify",
                entity: "recipient_household",
                entity_id: &id.to_string(),
                before: Some(serde_json::json!({"verifikasi": state})),
                after: Some(serde_json::json!({"verifikasi": next, "tahap": tahap.as_str(), "keputusan": p.as_str(), "alasan": alasan})),
            },
        )
        .await?;
        out[i] = Some(Verified { household_id: *id, verifikasi: next.into() });
    }
    Ok(out.into_iter().flatten().collect())
}

/// A proposal as created: the proposal at the RT desk and its batch's row report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Proposed {
    pub usulan: rstore::UsulanRecord,
    pub laporan: BatchReport,
}

/// Creates a bottom-up proposal (usulan, seed 001 C) of RW `rw`: the rows are imported as a batch
/// of source `usulan` (cleaning and dedup as any batch; a row of another RW is refused with
/// `rw_di_luar_usulan`) and the proposal starts at the RT desk. A file without one valid row
/// is refused as a whole (a proposal of nobody would travel the whole chain for nothing).
pub async fn propose(tx: &mut Tx, pii: &Pii, batch: &BatchMeta<'_>, prepared: &Prepared, rw: &AreaCode, catatan: &str) -> Result<Proposed, OpError> {
    if !prepared.candidates.iter().any(|c| c.valid()) {
        let problems = prepared
            .candidates
            .iter()
            .map(|c| FileProblem {
                line: Some(c.line),
                field: "file".into(),
                detail: format!("no valid row: {}", c.alasan.iter().map(|a| a.kode.as_str()).collect::<Vec<_>>().join(", ")),
            })
            .collect();
        return Err(OpError::File(problems));
    }
    let laporan = import(tx, pii, &BatchMeta { sumber: Sumber::Usulan, ..*batch }, prepared, &|_| {}).await?;
    let id = rstore::insert_usulan(tx, rw.as_str(), laporan.batch.id, catatan, batch.actor).await?;
    audit::record(
        tx,
        AuditEntry {
            actor: batch.actor,
            action: "recipients.usulan.create",
            entity: "recipient_usulan",
            entity_id: &id.to_string(),
            before: None,
            after: Some(serde_json::json!({"rw": rw.as_str(), "batch_id": laporan.batch.id, "tahap": "rt", "catatan": catatan})),
        },
    )
    .await?;
    let usulan = rstore::usulan_tx(tx, id).await?.ok_or_else(|| OpError::NotFound { field: "id".into(), detail: format!("no proposal {id}") })?;
    Ok(Proposed { usulan, laporan })
}

/// Moves a proposal one desk forward or back (`usulan::next`), if `who` holds its desk
/// (`usulan::may_act`) and it is still at version `versi` (else a conflict naming `versi`).
/// The move is a history row and an audit entry.
pub async fn move_usulan(tx: &mut Tx, id: i64, aksi: Aksi, versi: i64, alasan: &str, who: &Pelaku, actor: &str) -> Result<rstore::UsulanRecord, OpError> {
    let not_found = || OpError::NotFound { field: "id".into(), detail: format!("no proposal {id}") };
    let u = rstore::usulan_tx(tx, id).await?.ok_or_else(not_found)?;
    let tahap = UsulanTahap::parse(&u.tahap).ok_or_else(|| StoreError::Invalid(format!("recipient_usulan.tahap {:?}", u.tahap)))?;
    super::usulan::may_act(tahap, who, &u.rw).map_err(|detail| OpError::Forbidden { detail: format!("proposal {id}: {detail}") })?;
    if u.versi != versi {
        return Err(OpError::Conflict { field: "versi".into(), detail: format!("proposal {id} is at version {} ({}), not {versi}: reload it", u.versi, u.tahap) });
    }
    let ke = super::usulan::next(tahap, aksi, u.belum_dipadankan == 0).map_err(|why| OpError::Invalid { field: "aksi".into(), detail: format!("proposal {id}: {why}") })?;
    let step = rstore::Langkah { dari: tahap.as_str(), ke: ke.as_str(), aksi: aksi.as_str(), alasan, actor };
    if !rstore::move_usulan(tx, id, versi, &step).await? {
        return Err(OpError::Conflict { field: "versi".into(), detail: format!("proposal {id} moved meanwhile: reload it") });
    }
    audit::record(
        tx,
        AuditEntry {
            actor,
            action: "recipients.usulan.step",
            entity: "recipient_usulan",
            entity_id: &id.to_string(),
            before: Some(serde_json::json!({"tahap": tahap.as_str(), "versi": versi})),
            after: Some(serde_json::json!({"tahap": ke.as_str(), "aksi": aksi.as_str(), "alasan": alasan})),
        },
    )
    .await?;
    rstore::usulan_tx(tx, id).await?.ok_or_else(not_found)
}

/// A decree as made: the version, its households per RW (the bansos targets it set) and the
/// proposals it fixed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Decreed {
    pub sk: rstore::SkRecord,
    /// KK per RW as set as the bansos target (`bansos_target`, generated = false); an RW the
    /// previous SK named and this one does not is set to 0.
    pub target_per_rw: BTreeMap<String, u32>,
    /// Proposals moved from the Biro Kesos desk to `ditetapkan`.
    pub usulan_ditetapkan: Vec<i64>,
}

/// Makes a decree version (SK penetapan): freezes the accepted list (`store::sk_candidates`) as
/// version n+1 with its content hash, sets the bansos target of every RW it names to its KK
/// count (the switch from generated targets: bansos' own rule refuses a target below the KK
/// already served, and then nothing of the decree is written), moves the proposals it fixes to
/// `ditetapkan`, and audits it. Refused: an empty list, a number already used, a list equal to
/// the current version's.
pub async fn decree(tx: &mut Tx, nomor: &str, tanggal: chrono::NaiveDate, actor: &str) -> Result<Decreed, OpError> {
    let items = rstore::sk_candidates(tx).await?;
    if items.is_empty() {
        return Err(OpError::Invalid {
            field: "households".into(),
            detail: "the accepted list is empty: no household is layak and accepted by its Lurah (diterima_lurah); a decree of nobody is refused".into(),
        });
    }
    if let Some(same) = rstore::sk_by_nomor_tx(tx, nomor).await? {
        return Err(OpError::Conflict { field: "nomor".into(), detail: format!("SK {nomor} is already version {}", same.versi) });
    }
    let hash = super::sk::content_hash(&items);
    let current = rstore::current_sk_tx(tx).await?;
    let previous_rws: Vec<String> = match &current {
        Some(c) => {
            let previous = rstore::sk_items_tx(tx, c.id).await?;
            // The items, not the stored fingerprint: after a rotation of the hash key (`rehash`)
            // the items carry the new hashes and the fingerprint the old ones.
            if c.hash == hash || super::sk::content_hash(&previous) == hash {
                return Err(OpError::Conflict { field: "households".into(), detail: format!("the accepted list is unchanged since SK {} (version {}): nothing to decree", c.nomor, c.versi) });
            }
            let mut rws: Vec<String> = previous.into_iter().map(|i| i.rw).collect();
            rws.dedup();
            rws
        }
        None => vec![],
    };
    let versi = current.as_ref().map_or(1, |c| c.versi + 1);
    let id = rstore::insert_sk(tx, versi, nomor, tanggal, &hash, &items, actor).await?;
    let per_rw = super::sk::targets(&items, &previous_rws);
    let targets = per_rw
        .iter()
        .map(|(rw, n)| AreaCode::parse(rw).map(|rw| crate::bansos::model::Target { rw, target_kk: *n }))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::Invalid(format!("recipient_household.rw: {e}")))?;
    crate::bansos::ops::import_targets(tx, &targets, false, actor, &|_| {}).await.map_err(|e| match e {
        crate::bansos::ops::OpError::Record(r) => OpError::Invalid { field: "households".into(), detail: format!("the decree's targets are refused by bansos: {r}") },
        crate::bansos::ops::OpError::Store(s) => OpError::Store(s),
    })?;
    let mut fixed = Vec::new();
    for (uid, v) in rstore::proposals_decreed(tx, id).await? {
        let alasan = format!("SK {nomor}");
        let step = rstore::Langkah { dari: UsulanTahap::BiroKesos.as_str(), ke: UsulanTahap::Ditetapkan.as_str(), aksi: Aksi::Teruskan.as_str(), alasan: &alasan, actor };
        if !rstore::move_usulan(tx, uid, v, &step).await? {
            return Err(OpError::Conflict { field: "households".into(), detail: format!("proposal {uid} moved meanwhile: decree again") });
        }
        fixed.push(uid);
    }
    let sk = rstore::current_sk_tx(tx).await?.ok_or_else(|| StoreError::Invalid("the decree just written is not readable".into()))?;
    audit::record(
        tx,
        AuditEntry {
            actor,
            action: "recipients.sk.create",
            entity: "recipient_sk",
            entity_id: &id.to_string(),
            before: current.as_ref().map(|c| serde_json::json!({"versi": c.versi, "nomor": c.nomor, "hash": c.hash})),
            after: Some(serde_json::json!({"versi": versi, "nomor": nomor, "tanggal": tanggal, "hash": hash, "rumah_tangga": sk.rumah_tangga, "usulan_ditetapkan": fixed})),
        },
    )
    .await?;
    Ok(Decreed { sk, target_per_rw: per_rw, usulan_ditetapkan: fixed })
}

/// Why bansos may not record `kk_served` as a count in RW `rw` (None: it may). An RW named by
/// the current decree, or holding a hand-out by name, counts its KK served by name only
/// (`hand_out`), so its `kk_served` always equals its households handed out by name; the one
/// count it takes is a correction to 0 of a count recorded before names were (that clears the
/// way for the hand-outs by name).
pub async fn count_handout_refused(tx: &mut Tx, rw: &AreaCode, corrects: Option<i64>, kk_served: u32) -> Result<Option<String>, StoreError> {
    let (sk, named, corrects_named) = rstore::named_rw(tx, rw.as_str(), corrects).await?;
    if sk.is_none() && !named {
        return Ok(None);
    }
    if corrects.is_some() && kk_served == 0 && !corrects_named {
        return Ok(None);
    }
    let why = match sk {
        Some(nomor) => format!("RW {rw} is named by SK {nomor}"),
        None => format!("RW {rw} has hand-outs by name"),
    };
    Ok(Some(format!(
        "{why}: its KK served are the households handed out by name (POST /api/v1/recipients/handouts); \
         only a correction to 0 of a count recorded before is taken here"
    )))
}

/// What a page of hand-outs by name wrote.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Handed {
    pub putaran: i64,
    /// The decree the households were handed out under.
    pub sk_id: i64,
    pub diterima: i64,
    pub ditarik: i64,
    /// The bansos hand-out rows written (one per RW with households receiving for the first
    /// time), whose `kk_served` count them.
    pub bansos_handouts: Vec<i64>,
    pub records: Vec<rstore::PenyaluranRecord>,
}

/// A page of hand-outs by name in round `putaran` on `tanggal`, all or none. Each household must
/// be in the current decree, in the token's area (`scope`), and without a record in this round
/// (a second one is a conflict: the unique (round, household) also holds against a writer the
/// checks did not see). A household `diterima` must still be on the accepted list
/// (`penyaluran::may_receive`; else its package is taken back, `tidak_layak`), and its RW must
/// hold no KK served recorded as a count (`count_only_handouts`: correct those to 0 first).
/// Households receiving for the first time are written as one bansos hand-out per RW through
/// `bansos::ops::write_handout` (the RW's ledger check: within good packages and target), so
/// bansos' `kk_served` of the RW is its households handed out by name. The caller has bumped the
/// bansos revision first (that serialises hand-outs on both stores). Each record is audited.
#[allow(clippy::too_many_arguments)]
pub async fn hand_out(
    tx: &mut Tx,
    atlas: &Atlas,
    putaran: i64,
    tanggal: chrono::NaiveDate,
    petugas: Option<&str>,
    items: &[super::penyaluran::Checked],
    scope: Option<&str>,
    actor: &str,
) -> Result<Handed, OpError> {
    use super::penyaluran::Status;
    let sk = rstore::current_sk_tx(tx).await?.ok_or_else(|| OpError::Invalid {
        field: "items[0].household_id".into(),
        detail: "there is no decree (SK) yet: hand-outs by name name households of the current SK".into(),
    })?;
    // RW of each item; households receiving for the first time, per RW.
    let mut rws = Vec::with_capacity(items.len());
    let mut first: BTreeMap<String, u32> = BTreeMap::new();
    let mut first_item = vec![false; items.len()];
    for (i, it) in items.iter().enumerate() {
        let field = format!("items[{i}].household_id");
        let id = it.household_id;
        let f = rstore::handout_facts(tx, id, sk.id, putaran).await?.ok_or_else(|| OpError::NotFound { field: field.clone(), detail: format!("no household {id}") })?;
        let rw = f.sk_rw.ok_or_else(|| OpError::Invalid { field: field.clone(), detail: format!("household {id} is not in the current SK {} (version {})", sk.nomor, sk.versi) })?;
        if let Some(s) = scope {
            if !(rw == s || rw.starts_with(&format!("{s}."))) {
                return Err(OpError::Forbidden { detail: format!("household {id} (RW {rw}) is outside this token's area {s}") });
            }
        }
        if let Some(status) = f.this_round {
            return Err(OpError::Conflict { field, detail: format!("household {id} already has its package of round {putaran} recorded ({status}): a household receives once per round") });
        }
        if it.status == Status::Diterima {
            super::penyaluran::may_receive(f.duplikat != 0, f.kelayakan.as_deref(), f.verifikasi.as_deref()).map_err(|why| OpError::Invalid {
                field: format!("items[{i}].status"),
                detail: format!("household {id} may not receive: {why}; take its package back (status ditarik, alasan tidak_layak)"),
            })?;
            if f.received == 0 {
                *first.entry(rw.clone()).or_default() += 1;
                first_item[i] = true;
            }
        }
        rws.push(rw);
    }
    let mut bansos_ids: BTreeMap<String, i64> = BTreeMap::new();
    for (rw, n) in &first {
        let counted = rstore::count_only_handouts(tx, rw).await?;
        if !counted.is_empty() {
            let i = rws.iter().position(|r| r == rw).unwrap_or(0);
            let ids = counted.iter().map(|(id, n)| format!("#{id} ({n} KK)")).collect::<Vec<_>>().join(", ");
            return Err(OpError::Conflict {
                field: format!("items[{i}].household_id"),
                detail: format!("RW {rw} has KK served recorded as counts without names (bansos hand-outs {ids}): correct them to 0 (POST /api/v1/bansos/handouts with corrects), then record those households by name"),
            });
        }
        let code = AreaCode::parse(rw).map_err(|e| StoreError::Invalid(format!("recipient_sk_item.rw: {e}")))?;
        let h = crate::bansos::model::NewHandout { rw: code, date: tanggal, kk_served: *n, corrects: None };
        let w = crate::bansos::ops::write_handout(tx, atlas, &h, actor, false).await.map_err(|e| match e {
            crate::bansos::ops::OpError::Record(r) => OpError::Invalid { field: "items".into(), detail: format!("RW {rw}: {r}") },
            crate::bansos::ops::OpError::Store(s) => OpError::Store(s),
        })?;
        bansos_ids.insert(rw.clone(), w.id);
    }
    let mut out = Handed { putaran, sk_id: sk.id, diterima: 0, ditarik: 0, bansos_handouts: bansos_ids.values().copied().collect(), records: Vec::with_capacity(items.len()) };
    for (i, (it, rw)) in items.iter().zip(&rws).enumerate() {
        let rec = rstore::NewPenyaluran {
            putaran,
            household_id: it.household_id,
            sk_id: sk.id,
            rw,
            status: it.status.as_str(),
            alasan: it.alasan.map(|a| a.as_str()),
            keterangan: it.keterangan.as_deref(),
            petugas,
            tanggal,
            bansos_handout_id: if first_item[i] { bansos_ids.get(rw).copied() } else { None },
            actor,
        };
        let id = rstore::insert_penyaluran(tx, &rec).await?.ok_or_else(|| OpError::Conflict {
            field: format!("items[{i}].household_id"),
            detail: format!("household {} got its package of round {putaran} recorded meanwhile", it.household_id),
        })?;
        audit::record(
            tx,
            AuditEntry {
                actor,
                action: "recipients.handout",
                entity: "recipient_penyaluran",
                entity_id: &id.to_string(),
                before: None,
                after: Some(serde_json::json!({
                    "putaran": putaran, "household_id": it.household_id, "sk_id": sk.id, "rw": rw, "status": rec.status, "alasan": rec.alasan,
                    "tanggal": tanggal, "bansos_handout_id": rec.bansos_handout_id,
                })),
            },
        )
        .await?;
        match it.status {
            Status::Diterima => out.diterima += 1,
            Status::Ditarik => out.ditarik += 1,
        }
        out.records.push(rstore::penyaluran_tx(tx, id).await?.ok_or_else(|| StoreError::Invalid(format!("hand-out {id} just written is not readable")))?);
    }
    Ok(out)
}

/// What a correction of a hand-out by name wrote: the voided record (kept, marked), the record
/// that replaces it (when a household was named), and the bansos rows written (the count taken
/// back from the voided household's RW, the count of the household receiving instead).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Corrected {
    pub dibatalkan: rstore::PenyaluranRecord,
    pub pengganti: Option<rstore::PenyaluranRecord>,
    pub bansos_handouts: Vec<i64>,
}

/// Corrects hand-out record `id` recorded against the wrong household (`penyaluran::Koreksi`):
/// voids it with the reason (kept as history, never deleted) and, when `household_id` is named,
/// records that household in the same round with the same status, reason taken back, note, day
/// and petugas. Refused, nothing written: an unknown record (404 `id`), one outside `scope`
/// (403 `id`), one already voided (409 `id`); a named household that is the same, unknown, not
/// in the current SK, outside `scope`, already recorded in the round, or (for a package
/// received) no longer on the accepted list (`household_id`). bansos follows in the same
/// transaction so its `kk_served` stays the distinct households handed out by name: the voided
/// household's count is taken back (a bansos correction of its RW's newest named row, −1) unless
/// it still received in another record; the named household counts (a bansos hand-out of 1
/// through `bansos::ops::write_handout`) unless it had already received. The caller has bumped
/// the bansos revision first, as for `hand_out`. Audited `recipients.handout.correct`.
pub async fn correct_handout(tx: &mut Tx, atlas: &Atlas, id: i64, k: &super::penyaluran::Koreksi, scope: Option<&str>, actor: &str) -> Result<Corrected, OpError> {
    let in_scope = |rw: &str| scope.is_none_or(|s| rw == s || rw.starts_with(&format!("{s}.")));
    let rec = rstore::penyaluran_row(tx, id).await?.ok_or_else(|| OpError::NotFound { field: "id".into(), detail: format!("no hand-out record {id}") })?;
    if !in_scope(&rec.rw) {
        return Err(OpError::Outside { field: "id".into(), detail: format!("hand-out {id} (RW {}) is outside this token's area", rec.rw) });
    }
    if let Some(at) = rec.koreksi_at {
        let then = rec.pengganti_id.map(|p| format!("; its replacement is record {p}: correct that one instead")).unwrap_or_default();
        return Err(OpError::Conflict { field: "id".into(), detail: format!("hand-out {id} was already corrected at {at} by {}{then}", rec.koreksi_actor.unwrap_or_default()) });
    }
    let received = rec.status == "diterima";
    let area = |rw: &str| AreaCode::parse(rw).map_err(|e| StoreError::Invalid(format!("recipient_penyaluran.rw: {e}")));
    let bansos_err = |rw: &str, e: crate::bansos::ops::OpError| match e {
        crate::bansos::ops::OpError::Record(r) => OpError::Invalid { field: "household_id".into(), detail: format!("RW {rw}: {r}") },
        crate::bansos::ops::OpError::Store(s) => OpError::Store(s),
    };
    // The household named instead, checked as `hand_out` checks one (before anything is written).
    let mut instead = None;
    if let Some(h) = k.household_id {
        let field = || "household_id".to_string();
        if h == rec.household_id {
            return Err(OpError::Invalid { field: field(), detail: format!("household {h} is the one hand-out {id} names: name the household that received instead, or leave household_id out to void only") });
        }
        let sk = rstore::current_sk_tx(tx).await?.ok_or_else(|| OpError::Invalid { field: field(), detail: "there is no decree (SK): a hand-out names a household of the current SK".into() })?;
        let f = rstore::handout_facts(tx, h, sk.id, rec.putaran).await?.ok_or_else(|| OpError::NotFound { field: field(), detail: format!("no household {h}") })?;
        let rw = f.sk_rw.clone().ok_or_else(|| OpError::Invalid { field: field(), detail: format!("household {h} is not in the current SK {} (version {})", sk.nomor, sk.versi) })?;
        if !in_scope(&rw) {
            return Err(OpError::Outside { field: field(), detail: format!("household {h} (RW {rw}) is outside this token's area") });
        }
        if let Some(status) = &f.this_round {
            return Err(OpError::Conflict { field: field(), detail: format!("household {h} already has its package of round {} recorded ({status}): a household receives once per round", rec.putaran) });
        }
        if received {
            super::penyaluran::may_receive(f.duplikat != 0, f.kelayakan.as_deref(), f.verifikasi.as_deref())
                .map_err(|why| OpError::Invalid { field: field(), detail: format!("household {h} may not receive: {why}") })?;
        }
        instead = Some((h, sk.id, rw, f.received == 0));
    }
    let mut bansos = Vec::new();
    // Undo: the voided household no longer counts, unless it received in another record.
    let mut koreksi_bansos_id = None;
    if received && rec.received_elsewhere == 0 {
        let (head, kk, date) = rstore::named_bansos_head(tx, &rec.rw).await?.ok_or_else(|| {
            StoreError::Invalid(format!("RW {} has no bansos hand-out written by names to take household {}'s count from", rec.rw, rec.household_id))
        })?;
        let kk_served = u32::try_from(kk - 1).map_err(|e| StoreError::Invalid(format!("bansos_handout {head}.kk_served: {e}")))?;
        let h = crate::bansos::model::NewHandout { rw: area(&rec.rw)?, date, kk_served, corrects: Some(head) };
        let w = crate::bansos::ops::write_handout(tx, atlas, &h, actor, false).await.map_err(|e| bansos_err(&rec.rw, e))?;
        koreksi_bansos_id = Some(w.id);
        bansos.push(w.id);
    }
    // Redo: the named household is recorded and counts if it receives for the first time.
    let mut pengganti = None;
    if let Some((h, sk_id, rw, first)) = &instead {
        let mut bansos_handout_id = None;
        if received && *first {
            let counted = rstore::count_only_handouts(tx, rw).await?;
            if !counted.is_empty() {
                let ids = counted.iter().map(|(id, n)| format!("#{id} ({n} KK)")).collect::<Vec<_>>().join(", ");
                return Err(OpError::Conflict { field: "household_id".into(), detail: format!("RW {rw} has KK served recorded as counts without names (bansos hand-outs {ids}): correct them to 0 first") });
            }
            let nh = crate::bansos::model::NewHandout { rw: area(rw)?, date: rec.tanggal, kk_served: 1, corrects: None };
            let w = crate::bansos::ops::write_handout(tx, atlas, &nh, actor, false).await.map_err(|e| bansos_err(rw, e))?;
            bansos_handout_id = Some(w.id);
            bansos.push(w.id);
        }
        let new = rstore::NewPenyaluran {
            putaran: rec.putaran,
            household_id: *h,
            sk_id: *sk_id,
            rw,
            status: &rec.status,
            alasan: rec.alasan.as_deref(),
            keterangan: rec.keterangan.as_deref(),
            petugas: rec.petugas.as_deref(),
            tanggal: rec.tanggal,
            bansos_handout_id,
            actor,
        };
        let new_id = rstore::insert_penyaluran(tx, &new).await?.ok_or_else(|| OpError::Conflict {
            field: "household_id".into(),
            detail: format!("household {h} got its package of round {} recorded meanwhile", rec.putaran),
        })?;
        pengganti = Some(new_id);
    }
    if !rstore::void_penyaluran(tx, id, &k.alasan, actor, pengganti, koreksi_bansos_id).await? {
        return Err(OpError::Conflict { field: "id".into(), detail: format!("hand-out {id} was corrected meanwhile") });
    }
    audit::record(
        tx,
        AuditEntry {
            actor,
            action: "recipients.handout.correct",
            entity: "recipient_penyaluran",
            entity_id: &id.to_string(),
            before: Some(serde_json::json!({"putaran": rec.putaran, "household_id": rec.household_id, "rw": rec.rw, "status": rec.status, "alasan": rec.alasan})),
            after: Some(serde_json::json!({
                "alasan_koreksi": k.alasan, "pengganti_id": pengganti, "household_id": k.household_id, "bansos_handouts": bansos,
            })),
        },
    )
    .await?;
    let read = |id: i64| StoreError::Invalid(format!("hand-out {id} just written is not readable"));
    let dibatalkan = rstore::penyaluran_tx(tx, id).await?.ok_or_else(|| read(id))?;
    let pengganti = match pengganti {
        Some(p) => Some(rstore::penyaluran_tx(tx, p).await?.ok_or_else(|| read(p))?),
        None => None,
    };
    Ok(Corrected { dibatalkan, pengganti, bansos_handouts: bansos })
}

/// A BNBA/BAST to print: its header and the decree's items of the area, read and checked
/// (`document`), laid out by `dokumen::render`.
#[derive(Debug, Clone)]
pub struct DocumentParts {
    pub kepala: super::dokumen::Kepala,
    pub items: Vec<super::sk::SkItem>,
    /// The file name (`bnba-sk2-31.71.01.1002.pdf`).
    pub nama_file: String,
}

/// Reads what a BNBA or BAST of decree `sk_id` prints for one kelurahan or one RW of it (the
/// area already narrowed to the caller's; shared by HTTP and the CLI). Refused: no area, an area
/// that is not a kelurahan or RW, an RW outside the kelurahan (`Bad`), an unknown kelurahan or
/// decree (`NotFound`), an area the decree names nobody in (`Invalid`).
pub async fn document(store: &crate::store::Store, atlas: &Atlas, sk_id: i64, jenis: super::dokumen::Jenis, rw: Option<&str>, kelurahan: Option<&str>, xlsx: bool) -> Result<DocumentParts, OpError> {
    let bad = |field: &str, detail: String| OpError::Bad { field: field.into(), detail };
    let code = match (rw, kelurahan) {
        (Some(r), _) => r.to_string(),
        (None, Some(k)) => k.to_string(),
        (None, None) => return Err(bad("kelurahan", "kelurahan (or rw) is required: a BNBA/BAST is per kelurahan or RW".into())),
    };
    let area = AreaCode::parse(&code).map_err(|e| bad("kelurahan", e.to_string()))?;
    if !matches!(area.level(), Level::Kelurahan | Level::Rw) {
        return Err(bad("kelurahan", format!("{area} is a {}, not a kelurahan or RW", area.level())));
    }
    if let (Some(r), Some(k)) = (rw, kelurahan) {
        if !r.starts_with(&format!("{k}.")) {
            return Err(bad("rw", format!("RW {r} is not in kelurahan {k}")));
        }
    }
    let kel_code = if area.level() == Level::Rw { code.rsplit_once('.').map(|(k, _)| k.to_string()).unwrap_or_default() } else { code.clone() };
    let kel_name = AreaCode::parse(&kel_code)
        .ok()
        .and_then(|c| atlas.get(&c).map(|a| a.name.clone()))
        .ok_or_else(|| OpError::NotFound { field: "kelurahan".into(), detail: format!("no kelurahan {kel_code} in the loaded boundaries") })?;
    let sk = rstore::sk(store, sk_id).await?.ok_or_else(|| OpError::NotFound { field: "id".into(), detail: format!("no decree {sk_id}") })?;
    let items = rstore::sk_items(store, sk_id, &code).await?;
    if items.is_empty() {
        return Err(OpError::Invalid { field: "kelurahan".into(), detail: format!("decree {} names no household in {code}", sk.nomor) });
    }
    let wilayah = match rw {
        Some(r) => format!("RW {}, Kelurahan {kel_name} ({r})", r.rsplit('.').next().unwrap_or(r)),
        None => format!("Kelurahan {kel_name} ({kel_code})"),
    };
    let nama_file = format!("{}-sk{}-{code}.{}", jenis.as_str(), sk.versi, if xlsx { "xlsx" } else { "pdf" });
    Ok(DocumentParts { kepala: super::dokumen::Kepala { jenis, sk_nomor: sk.nomor, sk_tanggal: sk.tanggal, sk_versi: sk.versi, wilayah }, items, nama_file })
}
