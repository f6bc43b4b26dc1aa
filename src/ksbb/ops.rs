//! The KSBB writes, each inside the caller's transaction: check against the atlas and the stored
//! state, write, audit. Shared by the HTTP handlers, the CLI and the demo loader.

use super::model::{Hasil, NewVerifikasi, Pendamping};
use super::model::{required_lampiran, sniff_lampiran, JenisLampiran, JenisRealisasi, NewRealisasi, StatusAngsuran, MAX_LAMPIRAN};
use super::model::{footprint_json, mask_name, mask_phone, place, parse_umkm_table, Bentuk, KsbbError, NewKolaborator, NewKonfirmasi, NewSite, NewUmkm, Review, RowReport, Table};
use super::store::{self as kstore, FlagRow, NewFlag, VerifikasiRow, KolaboratorRecord, KonfirmasiRef, Lampiran, RealisasiHead, RealisasiLine, SiteRecord};
use crate::store::audit::{self, AuditEntry};
use crate::store::{StoreError, Tx};
use crate::wilayah::{Atlas, Level};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error(transparent)]
    Ksbb(#[from] KsbbError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn audit_site(tx: &mut Tx, actor: &str, action: &str, kode: &str, before: Option<&SiteRecord>, after: Option<&SiteRecord>) -> Result<(), StoreError> {
    let json = |s: Option<&SiteRecord>| s.and_then(|s| serde_json::to_value(s).ok());
    audit::record(tx, AuditEntry { actor, action, entity: "ksbb_site", entity_id: kode, before: json(before), after: json(after) }).await
}

/// Creates a site after checking its place (on land in DKI Jakarta) and that its code is new.
pub async fn create_site(tx: &mut Tx, atlas: &Atlas, kode: &str, s: &NewSite, actor: &str, generated: bool) -> Result<SiteRecord, OpError> {
    let placed = place(atlas, s)?;
    if kstore::site_tx(tx, kode).await?.is_some() {
        return Err(KsbbError::Duplicate { field: "kode".into(), detail: format!("site {kode} exists already; edit it with PUT") }.into());
    }
    let fp = s.footprint.as_ref().map(footprint_json);
    kstore::insert_site(tx, kode, s, placed.kelurahan.as_str(), fp.as_ref(), actor, generated).await?;
    let after = kstore::site_tx(tx, kode).await?.ok_or_else(|| StoreError::Invalid(format!("site {kode} vanished inside its own write")))?;
    audit_site(tx, actor, "ksbb.site.create", kode, None, Some(&after)).await?;
    Ok(after)
}

/// The site to edit, active and at `expected` version, or why not: 404 unknown, 409 retired,
/// 412 stale (someone edited it since the caller read it).
async fn editable(tx: &mut Tx, kode: &str, expected: i64) -> Result<SiteRecord, OpError> {
    let cur = kstore::site_tx(tx, kode).await?.ok_or_else(|| KsbbError::not_found("kode", format!("no site {kode}")))?;
    if cur.status != "aktif" {
        return Err(KsbbError::Duplicate { field: "kode".into(), detail: format!("site {kode} is retired (nonaktif); it cannot be edited") }.into());
    }
    if cur.version != expected {
        return Err(stale(kode, expected, cur.version).into());
    }
    Ok(cur)
}

fn stale(kode: &str, expected: i64, current: i64) -> KsbbError {
    KsbbError::Stale {
        field: "If-Match".into(),
        detail: format!("site {kode} is at version {current}, not {expected}: someone edited it since you read it; GET it again and redo your edit"),
    }
}

/// Replaces (edits or moves) a site at version `expected`. The UPDATE names that version too, so
/// an edit that raced past the read still changes nothing (412), never overwrites.
pub async fn update_site(tx: &mut Tx, atlas: &Atlas, kode: &str, expected: i64, s: &NewSite, actor: &str) -> Result<SiteRecord, OpError> {
    let placed = place(atlas, s)?;
    let before = editable(tx, kode, expected).await?;
    let fp = s.footprint.as_ref().map(footprint_json);
    if !kstore::update_site(tx, kode, expected, s, placed.kelurahan.as_str(), fp.as_ref(), actor).await? {
        return Err(stale(kode, expected, expected + 1).into());
    }
    let after = kstore::site_tx(tx, kode).await?.ok_or_else(|| StoreError::Invalid(format!("site {kode} vanished inside its own write")))?;
    let action = if (before.lon, before.lat) != (after.lon, after.lat) { "ksbb.site.move" } else { "ksbb.site.edit" };
    audit_site(tx, actor, action, kode, Some(&before), Some(&after)).await?;
    Ok(after)
}

/// Retires a site (status nonaktif): it stays on record with its history, takes no new Konfirmasi.
pub async fn retire_site(tx: &mut Tx, kode: &str, expected: i64, alasan: &str, actor: &str) -> Result<SiteRecord, OpError> {
    let before = editable(tx, kode, expected).await?;
    if !kstore::retire_site(tx, kode, expected, actor).await? {
        return Err(stale(kode, expected, expected + 1).into());
    }
    let after = kstore::site_tx(tx, kode).await?.ok_or_else(|| StoreError::Invalid(format!("site {kode} vanished inside its own write")))?;
    let mut after_json = serde_json::to_value(&after).unwrap_or_default();
    after_json["alasan"] = serde_json::Value::String(alasan.to_string());
    audit::record(
        tx,
        AuditEntry { actor, action: "ksbb.site.retire", entity: "ksbb_site", entity_id: kode, before: serde_json::to_value(&before).ok(), after: Some(after_json) },
    )
    .await?;
    Ok(after)
}

/// The answer of an UMKM import: every row's verdict and the counts.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ImportReport {
    /// False when nothing was stored (a dry run, or a strict import with a bad row).
    pub written: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: usize,
    pub rows: Vec<RowReport>,
}

/// How an import treats bad rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportMode {
    /// Check and report only.
    pub dry_run: bool,
    /// Store the good rows and report the bad ones (default: any bad row rejects the file).
    pub skip_invalid: bool,
}

/// Imports UMKM target data (insert or replace by `kode`). Every row is checked — columns, the
/// kelurahan against the atlas, `lokasi` against the stored active sites (and agreeing with the
/// kelurahan), duplicates inside the file — and reported. A strict import with any bad row is
/// refused whole (`KsbbError::Rows`, nothing written). Audit entries hold the owner's name and
/// phone masked: the log records that they changed, not a second copy of them.
pub async fn import_umkm(tx: &mut Tx, atlas: &Atlas, table: &Table, mode: ImportMode, actor: &str, generated: bool, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<ImportReport, OpError> {
    let parsed = parse_umkm_table(table)?;
    let sites = kstore::site_refs(tx).await?;
    let stored = kstore::umkm_all_tx(tx).await?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut report = ImportReport::default();
    let mut good: Vec<(usize, NewUmkm, Option<String>, Option<i64>)> = Vec::new();
    for (line, row) in parsed {
        let checked = row.and_then(|u| {
            let kode = Some(u.kode.clone());
            resolve(atlas, &sites, &u).map(|(kel, site)| (u, kel, site)).map_err(|e| (kode, e))
        });
        let checked = checked.and_then(|(u, kel, site)| match seen.insert(u.kode.clone(), line) {
            Some(first) => Err((Some(u.kode.clone()), KsbbError::invalid("kode", format!("kode {} appears again (first on line {first})", u.kode)))),
            None => Ok((u, kel, site)),
        });
        match checked {
            Ok((u, kel, site)) => good.push((line, u, kel, site)),
            Err((kode, e)) => {
                report.errors += 1;
                report.rows.push(RowReport::error(line, kode, &e));
            }
        }
    }
    let total = good.len();
    // A dry run reports every row (200) whatever it finds; a strict import refuses on any bad row.
    let reject = report.errors > 0 && !mode.skip_invalid && !mode.dry_run;
    for (i, (line, u, kel, site)) in good.into_iter().enumerate() {
        let before = stored.get(&u.kode);
        let outcome = match before {
            Some(b) if b.same_as(&u, kel.as_deref()) => "unchanged",
            Some(_) => "updated",
            None => "created",
        };
        let outcome = if mode.dry_run || reject { "valid" } else { outcome };
        match outcome {
            "created" => report.created += 1,
            "updated" => report.updated += 1,
            "unchanged" => report.unchanged += 1,
            _ => {}
        }
        if matches!(outcome, "created" | "updated") {
            kstore::upsert_umkm(tx, &u, kel.as_deref(), site, actor, generated).await?;
            let masked = |r: &NewUmkm, kel: Option<&str>| {
                serde_json::json!({"kode": r.kode, "nama_usaha": r.nama_usaha, "nama_pemilik": mask_name(&r.nama_pemilik),
                    "telepon": r.telepon.as_deref().map(mask_phone), "sektor": r.sektor, "dinas": r.dinas, "status_verifikasi": r.status_verifikasi,
                    "kelurahan": kel, "lokasi": r.lokasi, "generated": generated})
            };
            let before_json = before.map(|b| {
                serde_json::json!({"nama_usaha": b.nama_usaha, "nama_pemilik": mask_name(&b.nama_pemilik), "telepon": b.telepon.as_deref().map(mask_phone),
                    "sektor": b.sektor, "dinas": b.dinas, "status_verifikasi": b.status_verifikasi, "kelurahan": b.kelurahan, "lokasi": b.lokasi})
            });
            audit::record(tx, AuditEntry { actor, action: "ksbb.umkm.set", entity: "ksbb_umkm", entity_id: &u.kode, before: before_json, after: Some(masked(&u, kel.as_deref())) }).await?;
        }
        report.rows.push(RowReport { line, kode: Some(u.kode), outcome: outcome.into(), field: None, detail: None });
        progress(i + 1, total);
    }
    report.rows.sort_by_key(|r| r.line);
    if reject {
        let first: Vec<String> = report.rows.iter().filter(|r| r.outcome == "error").take(5).map(|r| format!("line {}: {}", r.line, r.detail.as_deref().unwrap_or(""))).collect();
        return Err(KsbbError::Rows {
            detail: format!("{} of {} rows are invalid, nothing was stored (first: {})", report.errors, report.rows.len(), first.join("; ")),
            rows: report.rows,
        }
        .into());
    }
    report.written = !mode.dry_run && report.created + report.updated > 0;
    Ok(report)
}

/// The kelurahan (checked in the atlas, or the site's) and site id of an UMKM row.
fn resolve(atlas: &Atlas, sites: &HashMap<String, kstore::SiteRef>, u: &NewUmkm) -> Result<(Option<String>, Option<i64>), KsbbError> {
    if let Some(k) = &u.kelurahan {
        if atlas.get(k).is_none_or(|a| a.level != Level::Kelurahan) {
            return Err(KsbbError::not_found("kelurahan", format!("unknown kelurahan {k}: not in the loaded boundaries")));
        }
    }
    let Some(l) = &u.lokasi else { return Ok((u.kelurahan.as_ref().map(|k| k.to_string()), None)) };
    let site = sites.get(l).ok_or_else(|| KsbbError::not_found("lokasi", format!("unknown site {l}")))?;
    if !site.aktif {
        return Err(KsbbError::not_found("lokasi", format!("site {l} is retired (nonaktif)")));
    }
    if let Some(k) = &u.kelurahan {
        if k.as_str() != site.kelurahan {
            return Err(KsbbError::invalid("kelurahan", format!("kelurahan {k} disagrees with site {l}, which is in {}", site.kelurahan)));
        }
    }
    Ok((Some(site.kelurahan.clone()), Some(site.id)))
}

// ---------------------------------------------------------------- collaborators

fn masked_kolaborator(k: &KolaboratorRecord) -> serde_json::Value {
    serde_json::to_value(k.masked()).unwrap_or_default()
}

/// Registers an application (status `diajukan`). A legal-entity number registers once: the check
/// reads it inside the transaction, and the UNIQUE index turns a simultaneous twin into the
/// same 409 instead of a 500.
pub async fn register_kolaborator(tx: &mut Tx, k: &NewKolaborator, actor: &str) -> Result<KolaboratorRecord, OpError> {
    let dup = |nomor: &str| KsbbError::Duplicate { field: "nomor_badan_hukum".into(), detail: format!("legal-entity number {nomor} is already registered") };
    if let Some(n) = &k.nomor_badan_hukum {
        if kstore::kolaborator_by_nomor(tx, n).await?.is_some() {
            return Err(dup(n).into());
        }
    }
    let id = match kstore::insert_kolaborator(tx, k, actor).await {
        Ok(id) => id,
        Err(e) if e.is_unique_violation() => return Err(dup(k.nomor_badan_hukum.as_deref().unwrap_or("")).into()),
        Err(e) => return Err(e.into()),
    };
    let rec = kstore::kolaborator_tx(tx, id).await?.ok_or_else(|| StoreError::Invalid(format!("collaborator {id} vanished inside its own write")))?;
    let entity_id = id.to_string();
    audit::record(tx, AuditEntry { actor, action: "ksbb.kolaborator.register", entity: "ksbb_kolaborator", entity_id: &entity_id, before: None, after: Some(masked_kolaborator(&rec)) }).await?;
    Ok(rec)
}

/// Bidang Kolaborasi's decision: approve with the PKS (number unique, dates in order) or reject
/// with the reason. Only an application still `diajukan` is decided; a second decision is a 409.
pub async fn review_kolaborator(tx: &mut Tx, id: i64, review: &Review, actor: &str) -> Result<KolaboratorRecord, OpError> {
    let before = kstore::kolaborator_tx(tx, id).await?.ok_or_else(|| KsbbError::not_found("id", format!("no collaborator {id}")))?;
    let decided = || KsbbError::Duplicate { field: "keputusan".into(), detail: format!("collaborator {id} was already reviewed ({})", before.status) };
    if before.status != "diajukan" {
        return Err(decided().into());
    }
    let (status, alasan) = match review {
        Review::Setujui { .. } => ("disetujui", None),
        Review::Tolak { alasan } => ("ditolak", Some(alasan.as_str())),
    };
    if let Review::Setujui { nomor, .. } = review {
        if kstore::pks_exists(tx, nomor).await? {
            return Err(KsbbError::Duplicate { field: "pks.nomor".into(), detail: format!("PKS {nomor} is already recorded for another collaborator") }.into());
        }
    }
    if !kstore::decide(tx, id, status, alasan, actor).await? {
        return Err(decided().into());
    }
    if let Review::Setujui { nomor, mulai, selesai } = review {
        match kstore::insert_pks(tx, id, nomor, *mulai, *selesai, actor).await {
            Ok(()) => {}
            Err(e) if e.is_unique_violation() => {
                return Err(KsbbError::Duplicate { field: "pks.nomor".into(), detail: format!("PKS {nomor} is already recorded for another collaborator") }.into())
            }
            Err(e) => return Err(e.into()),
        }
    }
    let after = kstore::kolaborator_tx(tx, id).await?.ok_or_else(|| StoreError::Invalid(format!("collaborator {id} vanished inside its own write")))?;
    let entity_id = id.to_string();
    let action = if status == "disetujui" { "ksbb.kolaborator.approve" } else { "ksbb.kolaborator.reject" };
    audit::record(
        tx,
        AuditEntry { actor, action, entity: "ksbb_kolaborator", entity_id: &entity_id, before: Some(masked_kolaborator(&before)), after: Some(masked_kolaborator(&after)) },
    )
    .await?;
    Ok(after)
}

// ---------------------------------------------------------------- Konfirmasi

/// The contact at one site of a Konfirmasi: the site's penanggung jawab, or (when the site
/// record has none) its kelurahan, whose Lurah provides the contact (diktum KESATU m).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PenanggungJawab {
    pub lokasi: String,
    pub kelurahan: String,
    pub nama: Option<String>,
    pub telepon: Option<String>,
}

/// What submitting a Konfirmasi answers: the ID kolaborasi and the contacts at the sites.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Konfirmasi {
    /// `KSBB-<year>-<6 digits>`, unique and never reused.
    pub id_kolaborasi: String,
    pub kolaborator_id: i64,
    pub bentuk: String,
    pub penanggung_jawab: Vec<PenanggungJawab>,
}

/// Submits a Konfirmasi for collaborator `kolaborator` (approved, with a PKS): goods and training
/// by a donatur or agregator, loans by a fintech; every site known and active; a distributor, when
/// named, an approved agregator. Issues the ID kolaborasi of `tahun`.
pub async fn submit_konfirmasi(tx: &mut Tx, kolaborator: i64, k: &NewKonfirmasi, tahun: i32, actor: &str) -> Result<Konfirmasi, OpError> {
    let who = kstore::kolaborator_tx(tx, kolaborator).await?.ok_or_else(|| KsbbError::not_found("kolaborator", format!("no collaborator {kolaborator}")))?;
    if who.status != "disetujui" {
        return Err(KsbbError::invalid("kolaborator", format!("collaborator {kolaborator} is {}, not approved (disetujui): Bidang Kolaborasi reviews it first", who.status)).into());
    }
    match (k.bentuk, who.jenis.as_str()) {
        (Bentuk::Pinjaman, "fintech") | (Bentuk::Sarana | Bentuk::Pelatihan, "donatur" | "agregator") => {}
        (b, j) => return Err(KsbbError::invalid("bentuk", format!("a {j} cannot confirm {}: loans are given by fintech, goods and training by donatur or agregator", b.as_str())).into()),
    }
    if let Some(p) = k.penyalur_kolaborator_id {
        let ok = kstore::kolaborator_tx(tx, p).await?.is_some_and(|x| x.jenis == "agregator" && x.status == "disetujui");
        if !ok {
            return Err(KsbbError::invalid("penyalur_kolaborator_id", format!("collaborator {p} is not an approved agregator (pengelola dana)")).into());
        }
    }
    let mut site_ids = Vec::new();
    let mut pj = Vec::new();
    for (i, l) in k.lokasi.iter().enumerate() {
        let field = format!("lokasi[{i}]");
        let s = kstore::site_tx(tx, l).await?.ok_or_else(|| KsbbError::not_found(&field, format!("unknown site {l}")))?;
        if s.status != "aktif" {
            return Err(KsbbError::invalid(&field, format!("site {l} is retired (nonaktif)")).into());
        }
        site_ids.push(s.id);
        pj.push(PenanggungJawab { lokasi: s.kode, kelurahan: s.kelurahan, nama: s.pj_nama, telepon: s.pj_telepon });
    }
    for (i, (kode, _)) in k.penerima.iter().enumerate() {
        let field = format!("penerima[{i}].kode");
        let u = kstore::umkm_tx(tx, kode).await?.ok_or_else(|| KsbbError::not_found(&field, format!("no UMKM {kode} in the target data")))?;
        if u.status_verifikasi == "ditolak" {
            return Err(KsbbError::invalid(&field, format!("UMKM {kode} was rejected in verification (ditolak) by its dinas")).into());
        }
    }
    let n = kstore::next_id_number(tx, tahun).await?;
    let id_kolaborasi = format!("KSBB-{tahun}-{n:06}");
    let konfirmasi_id = kstore::insert_konfirmasi(tx, &id_kolaborasi, kolaborator, k, &site_ids, actor).await?;
    kstore::insert_penerima(tx, konfirmasi_id, &k.penerima).await?;
    audit::record(
        tx,
        AuditEntry { actor, action: "ksbb.konfirmasi.submit", entity: "ksbb_konfirmasi", entity_id: &id_kolaborasi, before: None, after: serde_json::to_value(k).ok() },
    )
    .await?;
    Ok(Konfirmasi { id_kolaborasi, kolaborator_id: kolaborator, bentuk: k.bentuk.as_str().into(), penanggung_jawab: pj })
}

// ---------------------------------------------------------------- Realisasi

/// A Realisasi report as answered: the report, its UMKM lines, its documents and which of the
/// documents the seed asks for are still missing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Realisasi {
    #[serde(flatten)]
    pub head: RealisasiHead,
    pub umkm: Vec<RealisasiLine>,
    pub lampiran: Vec<Lampiran>,
    /// Kinds of document still to upload (`bast` and `foto` for a BAST, …); empty when complete.
    pub kurang: Vec<&'static str>,
}

impl Realisasi {
    pub fn of(head: RealisasiHead, umkm: Vec<RealisasiLine>, lampiran: Vec<Lampiran>) -> Realisasi {
        let kurang = match JenisRealisasi::parse(&head.jenis) {
            Some(j) => required_lampiran(j).iter().copied().filter(|k| !lampiran.iter().any(|l| l.jenis == k.as_str())).map(JenisLampiran::as_str).collect(),
            None => Vec::new(),
        };
        Realisasi { head, umkm, lampiran, kurang }
    }
}

/// The reports visible to `only` (a collaborator: those it filed and those under its IDs; `None`:
/// all), optionally under one ID kolaborasi, with their lines and documents. The one read behind
/// `GET /api/v1/ksbb/realisasi` and `sigap ksbb realisasi`.
pub async fn realisasi_list(store: &crate::store::Store, only: Option<i64>, id_kolaborasi: Option<&str>) -> Result<Vec<Realisasi>, StoreError> {
    with_parts(store, kstore::realisasi(store, only, id_kolaborasi).await?).await
}

/// One report with its lines and documents (`sigap ksbb realisasi-show`).
pub async fn realisasi_one(store: &crate::store::Store, id: i64) -> Result<Option<Realisasi>, StoreError> {
    let heads: Vec<RealisasiHead> = kstore::realisasi_by_id(store, id).await?.into_iter().collect();
    Ok(with_parts(store, heads).await?.pop())
}

async fn with_parts(store: &crate::store::Store, heads: Vec<RealisasiHead>) -> Result<Vec<Realisasi>, StoreError> {
    let ids: Vec<i64> = heads.iter().map(|h| h.id).collect();
    let mut lines: HashMap<i64, Vec<RealisasiLine>> = HashMap::new();
    for l in kstore::lines_of(store, &ids).await? {
        lines.entry(l.realisasi_id).or_default().push(l);
    }
    let mut docs: HashMap<i64, Vec<Lampiran>> = HashMap::new();
    for d in kstore::lampiran_of(store, &ids).await? {
        docs.entry(d.realisasi_id).or_default().push(d);
    }
    Ok(heads
        .into_iter()
        .map(|h| {
            let id = h.id;
            Realisasi::of(h, lines.remove(&id).unwrap_or_default(), docs.remove(&id).unwrap_or_default())
        })
        .collect())
}

/// Where the loan of one UMKM under one ID stands (Lampiran I step 25): what the fintech
/// disbursed, what its repayment reports say was repaid, what is outstanding, and the status of
/// the latest period reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Pelunasan {
    pub id_kolaborasi: String,
    pub kode: String,
    pub disalurkan: i64,
    pub dibayar: i64,
    pub sisa: i64,
    /// The latest period reported (YYYY-MM), if any.
    pub periode_terakhir: Option<String>,
    /// lancar | terlambat | gagal_bayar of that period.
    pub status_terakhir: Option<String>,
    pub alasan_terakhir: Option<String>,
}

/// The repayment state per (ID, UMKM) from Realisasi reports (pure: from what `realisasi_list`
/// answers), ordered by ID and UMKM code. Only UMKM that were disbursed to appear.
pub fn pelunasan(reports: &[Realisasi]) -> Vec<Pelunasan> {
    let mut out: std::collections::BTreeMap<(String, String), Pelunasan> = std::collections::BTreeMap::new();
    for r in reports.iter().filter(|r| r.head.jenis == JenisRealisasi::Disbursement.as_str()) {
        for l in &r.umkm {
            let e = out.entry((r.head.id_kolaborasi.clone(), l.umkm_kode.clone())).or_insert_with(|| Pelunasan {
                id_kolaborasi: r.head.id_kolaborasi.clone(),
                kode: l.umkm_kode.clone(),
                disalurkan: 0,
                dibayar: 0,
                sisa: 0,
                periode_terakhir: None,
                status_terakhir: None,
                alasan_terakhir: None,
            });
            e.disalurkan += l.jumlah;
        }
    }
    for r in reports.iter().filter(|r| r.head.jenis == JenisRealisasi::Angsuran.as_str()) {
        for l in &r.umkm {
            if let Some(e) = out.get_mut(&(r.head.id_kolaborasi.clone(), l.umkm_kode.clone())) {
                e.dibayar += l.jumlah;
                if e.periode_terakhir.as_deref() <= l.periode.as_deref() {
                    e.periode_terakhir = l.periode.clone();
                    e.status_terakhir = l.status.clone();
                    e.alasan_terakhir = l.alasan.clone();
                }
            }
        }
    }
    out.into_values().map(|mut e| {
        e.sisa = e.disalurkan - e.dibayar;
        e
    }).collect()
}

/// Sum of `jumlah` per UMKM over the lines of one kind (and, when given, one reporter).
fn per_umkm(lines: &[RealisasiLine], jenis: JenisRealisasi, pelapor: Option<i64>) -> HashMap<String, i64> {
    let mut out: HashMap<String, i64> = HashMap::new();
    for l in lines.iter().filter(|l| l.jenis == jenis.as_str() && pelapor.is_none_or(|p| p == l.pelapor_id)) {
        *out.entry(l.umkm_kode.clone()).or_default() += l.jumlah;
    }
    out
}

/// The latest repayment status reported per UMKM (by period).
fn last_status(lines: &[RealisasiLine]) -> HashMap<String, (String, String)> {
    let mut out: HashMap<String, (String, String)> = HashMap::new();
    for l in lines.iter().filter(|l| l.jenis == JenisRealisasi::Angsuran.as_str()) {
        let (Some(p), Some(st)) = (&l.periode, &l.status) else { continue };
        if out.get(&l.umkm_kode).is_none_or(|(lp, _)| p >= lp) {
            out.insert(l.umkm_kode.clone(), (p.clone(), st.clone()));
        }
    }
    out
}

/// Files a Realisasi report of collaborator `pelapor` under an ID kolaborasi and checks it against
/// the Konfirmasi and the reports before it (read under a lock on the Konfirmasi, so two reports
/// on one ID are checked one after the other):
/// - only the ID's collaborator reports — or, for a BAST, the agregator it named as distributor;
/// - a BAST only under goods/training, the loan reports only under a loan;
/// - BAST: every UMKM trades at one of the Konfirmasi's sites; the reporter's packages stay within `jumlah_paket`;
/// - disbursement: every UMKM is in the confirmed list, and stays within its plafon;
/// - angsuran: every UMKM was disbursed to, one report per UMKM and period, repaid never above disbursed;
/// - serah_dana: once, to an approved agregator, after every loan is repaid (or reported gagal_bayar),
///   at most what was repaid.
pub async fn submit_realisasi(tx: &mut Tx, pelapor: i64, r: &NewRealisasi, actor: &str) -> Result<Realisasi, OpError> {
    let k = kstore::lock_konfirmasi(tx, &r.id_kolaborasi).await?.ok_or_else(|| KsbbError::not_found("id_kolaborasi", format!("no ID kolaborasi {}", r.id_kolaborasi)))?;
    let penyalur = r.jenis == JenisRealisasi::Bast && k.penyalur_kolaborator_id == Some(pelapor);
    if k.kolaborator_id != pelapor && !penyalur {
        return Err(KsbbError::Forbidden { field: "id_kolaborasi".into(), detail: format!("{} is not your ID kolaborasi (nor one you distribute for)", k.id_kolaborasi) }.into());
    }
    let loan = k.bentuk == "pinjaman";
    if loan == (r.jenis == JenisRealisasi::Bast) {
        return Err(KsbbError::invalid("jenis", format!("a {} report does not belong to a {} Konfirmasi", r.jenis.as_str(), k.bentuk)).into());
    }
    let lines = kstore::lines_tx(tx, k.id).await?;
    match r.jenis {
        JenisRealisasi::Bast => check_bast(tx, &k, pelapor, r, &lines).await?,
        JenisRealisasi::Disbursement => check_disbursement(tx, &k, r, &lines).await?,
        JenisRealisasi::Angsuran => check_angsuran(r, &lines)?,
        JenisRealisasi::SerahDana => check_serah_dana(tx, &k, r, &lines).await?,
    }
    let id = kstore::insert_realisasi(tx, k.id, pelapor, r, actor).await?;
    let entity_id = id.to_string();
    audit::record(
        tx,
        AuditEntry { actor, action: &format!("ksbb.realisasi.{}", r.jenis.as_str()), entity: "ksbb_realisasi", entity_id: &entity_id, before: None, after: serde_json::to_value(r).ok() },
    )
    .await?;
    let head = kstore::head_tx(tx, id).await?.ok_or_else(|| StoreError::Invalid(format!("realisasi {id} vanished inside its own write")))?;
    refresh_flags(tx, &k).await?;
    let umkm = kstore::lines_tx(tx, k.id).await?.into_iter().filter(|l| l.realisasi_id == id).collect();
    Ok(Realisasi::of(head, umkm, Vec::new()))
}

async fn check_bast(tx: &mut Tx, k: &KonfirmasiRef, pelapor: i64, r: &NewRealisasi, lines: &[RealisasiLine]) -> Result<(), OpError> {
    let sites = kstore::konfirmasi_site_kodes(tx, k.id).await?;
    for (i, l) in r.umkm.iter().enumerate() {
        let field = format!("umkm[{i}].kode");
        let u = kstore::umkm_tx(tx, &l.kode).await?.ok_or_else(|| KsbbError::not_found(&field, format!("no UMKM {} in the target data", l.kode)))?;
        if !u.lokasi.as_ref().is_some_and(|s| sites.contains(s)) {
            let at = u.lokasi.as_deref().map(|s| format!("trades at {s}")).unwrap_or_else(|| "has no site".into());
            return Err(KsbbError::invalid(&field, format!("UMKM {} {at}, not at a site of {} ({})", l.kode, k.id_kolaborasi, sites.join(", "))).into());
        }
    }
    let before: i64 = per_umkm(lines, JenisRealisasi::Bast, Some(pelapor)).values().sum();
    let now: i64 = r.umkm.iter().map(|u| u.jumlah).sum();
    let cap = k.jumlah_paket.unwrap_or(0);
    if before + now > cap {
        return Err(KsbbError::invalid("umkm", format!("{now} more packages after {before} already reported would exceed the {cap} confirmed in {}", k.id_kolaborasi)).into());
    }
    Ok(())
}

async fn check_disbursement(tx: &mut Tx, k: &KonfirmasiRef, r: &NewRealisasi, lines: &[RealisasiLine]) -> Result<(), OpError> {
    let penerima = kstore::penerima_tx(tx, k.id).await?;
    let paid = per_umkm(lines, JenisRealisasi::Disbursement, None);
    for (i, l) in r.umkm.iter().enumerate() {
        let plafon = *penerima.get(&l.kode).ok_or_else(|| {
            KsbbError::invalid(&format!("umkm[{i}].kode"), format!("UMKM {} is not in the confirmed list of recipients of {}", l.kode, k.id_kolaborasi))
        })?;
        let before = paid.get(&l.kode).copied().unwrap_or(0);
        if before + l.jumlah > plafon {
            return Err(KsbbError::invalid(&format!("umkm[{i}].jumlah"), format!("Rp {} more to UMKM {} after Rp {before} would exceed its plafon Rp {plafon}", l.jumlah, l.kode)).into());
        }
    }
    Ok(())
}

fn check_angsuran(r: &NewRealisasi, lines: &[RealisasiLine]) -> Result<(), OpError> {
    let disbursed = per_umkm(lines, JenisRealisasi::Disbursement, None);
    let repaid = per_umkm(lines, JenisRealisasi::Angsuran, None);
    for (i, l) in r.umkm.iter().enumerate() {
        let d = disbursed.get(&l.kode).copied().unwrap_or(0);
        if d == 0 {
            return Err(KsbbError::invalid(&format!("umkm[{i}].kode"), format!("UMKM {} has no disbursement reported: nothing to repay", l.kode)).into());
        }
        if lines.iter().any(|x| x.jenis == "angsuran" && x.umkm_kode == l.kode && x.periode == r.periode) {
            return Err(KsbbError::Duplicate { field: "periode".into(), detail: format!("UMKM {} is already reported for {}", l.kode, r.periode.as_deref().unwrap_or("")) }.into());
        }
        let before = repaid.get(&l.kode).copied().unwrap_or(0);
        if before + l.jumlah > d {
            return Err(KsbbError::invalid(&format!("umkm[{i}].jumlah"), format!("repaid Rp {} after Rp {before} would exceed the Rp {d} disbursed to UMKM {}", l.jumlah, l.kode)).into());
        }
    }
    Ok(())
}

async fn check_serah_dana(tx: &mut Tx, k: &KonfirmasiRef, r: &NewRealisasi, lines: &[RealisasiLine]) -> Result<(), OpError> {
    if let Some(a) = r.agregator_id {
        let ok = kstore::kolaborator_tx(tx, a).await?.is_some_and(|x| x.jenis == "agregator" && x.status == "disetujui");
        if !ok {
            return Err(KsbbError::invalid("agregator_id", format!("collaborator {a} is not an approved agregator (pengelola dana berizin with a PKS)")).into());
        }
    }
    if kstore::heads_tx(tx, k.id).await?.iter().any(|h| h.jenis == "serah_dana") {
        return Err(KsbbError::Duplicate { field: "jenis".into(), detail: format!("the funds of {} were already transferred", k.id_kolaborasi) }.into());
    }
    let disbursed = per_umkm(lines, JenisRealisasi::Disbursement, None);
    if disbursed.is_empty() {
        return Err(KsbbError::invalid("id_kolaborasi", format!("{} has no disbursement reported yet", k.id_kolaborasi)).into());
    }
    let repaid = per_umkm(lines, JenisRealisasi::Angsuran, None);
    let last = last_status(lines);
    let mut open: Vec<String> = disbursed
        .iter()
        .filter(|(kode, d)| repaid.get(*kode).copied().unwrap_or(0) < **d && last.get(*kode).is_none_or(|(_, st)| st != StatusAngsuran::GagalBayar.as_str()))
        .map(|(kode, d)| format!("{kode} (Rp {} of {d} outstanding)", d - repaid.get(kode).copied().unwrap_or(0)))
        .collect();
    if !open.is_empty() {
        open.sort();
        return Err(KsbbError::invalid("id_kolaborasi", format!("loans of {} are not repaid yet: {}", k.id_kolaborasi, open.join(", "))).into());
    }
    let total: i64 = repaid.values().sum();
    if r.jumlah.unwrap_or(0) > total {
        return Err(KsbbError::invalid("jumlah", format!("Rp {} is more than the Rp {total} repaid under {}", r.jumlah.unwrap_or(0), k.id_kolaborasi)).into());
    }
    Ok(())
}

/// Attaches a document (BAST scan, photo, e-contract, invoice, bukti serah terima) to report
/// `id` of collaborator `pelapor`. Stored in the AttachmentStore under a key of its own (content
/// hash and a nonce), so undoing a failed write deletes only this upload's file. The report row
/// is read inside the write; the same bytes twice on one report are a 409.
pub async fn add_lampiran(
    store: &crate::store::Store,
    att: &dyn crate::complaints::attachments::AttachmentStore,
    id: i64,
    pelapor: i64,
    jenis: JenisLampiran,
    bytes: &[u8],
    actor: &str,
) -> Result<Lampiran, OpError> {
    let (ctype, ext) = sniff_lampiran(jenis, bytes)?;
    let sha = crate::store::idempotency::request_hash(bytes);
    let (nonce, _) = crate::complaints::ops::new_upload_secret();
    let key = format!("ksbb/realisasi/{id}/{}-{}.{ext}", &sha[..16], &nonce[..16]);
    let mut tx = store.begin().await?;
    let head = kstore::head_tx(&mut tx, id).await?.ok_or_else(|| KsbbError::not_found("id", format!("no realisasi {id}")))?;
    if head.pelapor_id != pelapor {
        return Err(KsbbError::Forbidden { field: "id".into(), detail: format!("realisasi {id} was filed by another collaborator") }.into());
    }
    let existing = kstore::lampiran_tx(&mut tx, id).await?;
    if let Some(same) = existing.iter().find(|a| a.sha256 == sha) {
        return Err(KsbbError::Duplicate { field: "body".into(), detail: format!("this document is already attached to realisasi {id} as {}", same.id) }.into());
    }
    if existing.len() as i64 >= MAX_LAMPIRAN {
        return Err(KsbbError::Duplicate { field: "lampiran".into(), detail: format!("realisasi {id} already has {MAX_LAMPIRAN} documents") }.into());
    }
    att.put(&key, bytes).await.map_err(|e| StoreError::Invalid(format!("attachment store: {e}")))?;
    let written: Result<Lampiran, OpError> = async {
        let lid = kstore::insert_lampiran(&mut tx, id, jenis.as_str(), &kstore::StoredFile { key: &key, content_type: ctype, bytes: bytes.len() as i64, sha256: &sha }, actor).await?;
        let entity_id = id.to_string();
        audit::record(&mut tx, AuditEntry { actor, action: "ksbb.realisasi.lampiran", entity: "ksbb_realisasi", entity_id: &entity_id, before: None,
            after: Some(serde_json::json!({"lampiran": lid, "jenis": jenis.as_str(), "sha256": sha, "bytes": bytes.len()})) }).await?;
        let rec = kstore::lampiran_tx(&mut tx, id).await?.into_iter().find(|l| l.id == lid).ok_or_else(|| StoreError::Invalid(format!("lampiran {lid} vanished inside its own write")))?;
        tx.commit().await?;
        Ok(rec)
    }
    .await;
    if written.is_err() {
        if let Err(d) = att.delete(&key).await {
            tracing::warn!(key, error = %d, "could not remove the file of a failed KSBB upload");
        }
    }
    written
}

// ---------------------------------------------------------------- pendamping checks

/// What a collaborator reported for each UMKM under a Konfirmasi — the claim a pendamping checks
/// and the flags compare: for a loan the rupiah disbursed; for goods or training the packages in
/// the ID's own collaborator's BASTs, or, when it filed none, its distributor's.
pub fn reported(k: &KonfirmasiRef, lines: &[RealisasiLine]) -> HashMap<String, i64> {
    if k.bentuk == "pinjaman" {
        return per_umkm(lines, JenisRealisasi::Disbursement, None);
    }
    let own = per_umkm(lines, JenisRealisasi::Bast, Some(k.kolaborator_id));
    match k.penyalur_kolaborator_id {
        Some(p) if own.is_empty() => per_umkm(lines, JenisRealisasi::Bast, Some(p)),
        _ => own,
    }
}

/// Records a pendamping's check of one UMKM under an ID kolaborasi: the UMKM must be in the
/// pendamping's scope (its dinas, or its kecamatan: else 403 naming `kode`) and have something
/// reported for it under that ID; once per UMKM and ID (409); a partial receipt below what was
/// reported. Keeps the reported amount beside the received one.
pub async fn verify(tx: &mut Tx, scope: &Pendamping, unit: &str, v: &NewVerifikasi, actor: &str) -> Result<kstore::VerifikasiRow, OpError> {
    let k = kstore::lock_konfirmasi(tx, &v.id_kolaborasi).await?.ok_or_else(|| KsbbError::not_found("id_kolaborasi", format!("no ID kolaborasi {}", v.id_kolaborasi)))?;
    let u = kstore::umkm_tx(tx, &v.kode).await?.ok_or_else(|| KsbbError::not_found("kode", format!("no UMKM {} in the target data", v.kode)))?;
    if !scope.covers(&u.dinas, u.kelurahan.as_deref()) {
        return Err(KsbbError::Forbidden { field: "kode".into(), detail: format!("UMKM {} ({}, {}) is not in the scope of pendamping {unit}", v.kode, u.dinas, u.kelurahan.as_deref().unwrap_or("no kelurahan")) }.into());
    }
    let lines = kstore::lines_tx(tx, k.id).await?;
    let dilaporkan = reported(&k, &lines).get(&v.kode).copied().unwrap_or(0);
    if dilaporkan == 0 {
        return Err(KsbbError::invalid("kode", format!("nothing was reported for UMKM {} under {} yet: there is nothing to check", v.kode, k.id_kolaborasi)).into());
    }
    if kstore::verifikasi_tx(tx, k.id).await?.iter().any(|x| x.umkm_kode == v.kode) {
        return Err(KsbbError::Duplicate { field: "kode".into(), detail: format!("UMKM {} was already checked under {}", v.kode, k.id_kolaborasi) }.into());
    }
    let diterima = match v.hasil {
        Hasil::Diterima => dilaporkan,
        Hasil::TidakDiterima => 0,
        Hasil::Sebagian => {
            let n = v.jumlah_diterima.unwrap_or(0);
            if n >= dilaporkan {
                return Err(KsbbError::invalid("jumlah_diterima", format!("{n} is not part of the {dilaporkan} reported; say diterima")).into());
            }
            n
        }
    };
    let id = kstore::insert_verifikasi(tx, k.id, v, dilaporkan, diterima, unit, actor).await?;
    let entity_id = id.to_string();
    audit::record(tx, AuditEntry { actor, action: "ksbb.verifikasi", entity: "ksbb_verifikasi", entity_id: &entity_id, before: None, after: serde_json::to_value(v).ok() }).await?;
    refresh_flags(tx, &k).await?;
    kstore::verifikasi_tx(tx, k.id).await?.into_iter().find(|x| x.id == id).ok_or_else(|| StoreError::Invalid(format!("check {id} vanished inside its own write")).into())
}

// ---------------------------------------------------------------- discrepancy flags

/// Every difference between the reports under one Konfirmasi (Lampiran I step 27), each with both
/// figures: the collaborator's and its distributor's BASTs per UMKM and in the number of UMKM
/// (when both reported); what was reported and what the pendamping found received; a handover or
/// disbursement dated outside the Konfirmasi's schedule. Pure: the same inputs give the same flags.
pub fn discrepancies(k: &KonfirmasiRef, heads: &[RealisasiHead], lines: &[RealisasiLine], checks: &[VerifikasiRow]) -> Vec<NewFlag> {
    let mut out = Vec::new();
    let flag = |jenis: &'static str, umkm: Option<&str>, a: (String, String), b: (String, String)| NewFlag {
        jenis,
        umkm_kode: umkm.map(String::from),
        sumber_a: a.0,
        nilai_a: a.1,
        sumber_b: b.0,
        nilai_b: b.1,
    };
    if let Some(p) = k.penyalur_kolaborator_id.filter(|p| *p != k.kolaborator_id) {
        let filed = |who: i64| heads.iter().any(|h| h.jenis == "bast" && h.pelapor_id == who);
        if filed(k.kolaborator_id) && filed(p) {
            let own = per_umkm(lines, JenisRealisasi::Bast, Some(k.kolaborator_id));
            let dist = per_umkm(lines, JenisRealisasi::Bast, Some(p));
            let (sa, sb) = (format!("kolaborator:{}", k.kolaborator_id), format!("penyalur:{p}"));
            let mut kodes: Vec<&String> = own.keys().chain(dist.keys()).collect();
            kodes.sort();
            kodes.dedup();
            for kode in kodes {
                let (a, b) = (own.get(kode).copied().unwrap_or(0), dist.get(kode).copied().unwrap_or(0));
                if a != b {
                    out.push(flag("laporan_berbeda", Some(kode), (sa.clone(), a.to_string()), (sb.clone(), b.to_string())));
                }
            }
            if own.len() != dist.len() {
                out.push(flag("jumlah_umkm_berbeda", None, (sa, own.len().to_string()), (sb, dist.len().to_string())));
            }
        }
    }
    let claimed = reported(k, lines);
    for c in checks {
        let r = claimed.get(&c.umkm_kode).copied().unwrap_or(0);
        if r != c.jumlah_diterima {
            out.push(flag("verifikasi_berbeda", Some(&c.umkm_kode), ("laporan".into(), r.to_string()), (format!("pendamping:{}", c.pendamping), c.jumlah_diterima.to_string())));
        }
    }
    for h in heads.iter().filter(|h| matches!(h.jenis.as_str(), "bast" | "disbursement")) {
        if h.tanggal < k.jadwal_mulai || h.tanggal > k.jadwal_selesai {
            out.push(flag(
                "tanggal_di_luar_jadwal",
                None,
                (format!("realisasi:{}", h.id), h.tanggal.to_string()),
                ("konfirmasi".into(), format!("{}..{}", k.jadwal_mulai, k.jadwal_selesai)),
            ));
        }
    }
    out
}

/// Recomputes the flags of a Konfirmasi inside the write that changed one of its sources and
/// stores the new ones (old ones stay, open or resolved).
async fn refresh_flags(tx: &mut Tx, k: &KonfirmasiRef) -> Result<(), StoreError> {
    let heads = kstore::heads_tx(tx, k.id).await?;
    let lines = kstore::lines_tx(tx, k.id).await?;
    let checks = kstore::verifikasi_tx(tx, k.id).await?;
    kstore::raise_flags(tx, k.id, k.kolaborator_id, &discrepancies(k, &heads, &lines, &checks)).await?;
    Ok(())
}

/// Bidang Kolaborasi resolves an open flag with a note (the flag stays, with who and when).
pub async fn resolve_flag(tx: &mut Tx, id: i64, catatan: &str, actor: &str) -> Result<FlagRow, OpError> {
    let before = kstore::flag_tx(tx, id).await?.ok_or_else(|| KsbbError::not_found("id", format!("no flag {id}")))?;
    if !kstore::resolve_flag(tx, id, catatan, actor).await? {
        return Err(KsbbError::Duplicate { field: "id".into(), detail: format!("flag {id} is already resolved") }.into());
    }
    let after = kstore::flag_tx(tx, id).await?.ok_or_else(|| StoreError::Invalid(format!("flag {id} vanished inside its own write")))?;
    let entity_id = id.to_string();
    audit::record(tx, AuditEntry { actor, action: "ksbb.flag.resolve", entity: "ksbb_flag", entity_id: &entity_id,
        before: serde_json::to_value(&before).ok(), after: serde_json::to_value(&after).ok() }).await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: i64, jenis: &str, periode: Option<&str>, lines: &[(&str, i64, Option<&str>)]) -> Realisasi {
        let day = chrono::NaiveDate::from_ymd_opt(2027, 1, 5).unwrap_or_default();
        let head = RealisasiHead {
            id,
            id_kolaborasi: "KSBB-2026-000001".into(),
            pelapor_id: 1,
            jenis: jenis.into(),
            nomor_dokumen: format!("D-{id}"),
            tanggal: day,
            keterangan: None,
            econtract: None,
            periode: periode.map(str::to_string),
            agregator_id: None,
            jumlah: None,
            created_at: chrono::Utc::now(),
        };
        let umkm = lines
            .iter()
            .map(|(k, n, st)| RealisasiLine {
                realisasi_id: id,
                pelapor_id: 1,
                jenis: jenis.into(),
                tanggal: day,
                umkm_kode: k.to_string(),
                jumlah: *n,
                status: st.map(str::to_string),
                alasan: None,
                periode: periode.map(str::to_string),
            })
            .collect();
        Realisasi::of(head, umkm, Vec::new())
    }

    #[test]
    fn repayment_state_per_umkm_follows_the_latest_period() {
        let reports = [
            report(1, "disbursement", None, &[("U-1", 1_000, None), ("U-2", 500, None)]),
            report(3, "angsuran", Some("2027-01"), &[("U-1", 300, Some("lancar")), ("U-9", 5, Some("lancar"))]),
            report(2, "angsuran", Some("2026-12"), &[("U-1", 200, Some("terlambat"))]),
        ];
        let p = pelunasan(&reports);
        assert_eq!(p.len(), 2, "an UMKM never disbursed to is not listed: {p:?}");
        assert_eq!((p[0].kode.as_str(), p[0].disalurkan, p[0].dibayar, p[0].sisa), ("U-1", 1_000, 500, 500));
        assert_eq!((p[0].periode_terakhir.as_deref(), p[0].status_terakhir.as_deref()), (Some("2027-01"), Some("lancar")), "the latest period, not the latest report");
        assert_eq!((p[1].kode.as_str(), p[1].dibayar, p[1].sisa, p[1].periode_terakhir.as_deref()), ("U-2", 0, 500, None));
        assert!(pelunasan(&[]).is_empty());
    }
}
