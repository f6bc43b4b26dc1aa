//! The KSBB writes, each inside the caller's transaction: check against the atlas and the stored
//! state, write, audit. Shared by the HTTP handlers, the CLI and the demo loader.

use super::model::{footprint_json, mask_name, mask_phone, place, parse_umkm_table, Bentuk, KsbbError, NewKolaborator, NewKonfirmasi, NewSite, NewUmkm, Review, RowReport, Table};
use super::store::{self as kstore, KolaboratorRecord, SiteRecord};
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

fn is_unique_violation(e: &StoreError) -> bool {
    matches!(e, StoreError::Db(sqlx::Error::Database(d)) if d.is_unique_violation())
}

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
        Err(e) if is_unique_violation(&e) => return Err(dup(k.nomor_badan_hukum.as_deref().unwrap_or("")).into()),
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
            Err(e) if is_unique_violation(&e) => {
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
    let n = kstore::next_id_number(tx, tahun).await?;
    let id_kolaborasi = format!("KSBB-{tahun}-{n:06}");
    kstore::insert_konfirmasi(tx, &id_kolaborasi, kolaborator, k, &site_ids, actor).await?;
    audit::record(
        tx,
        AuditEntry { actor, action: "ksbb.konfirmasi.submit", entity: "ksbb_konfirmasi", entity_id: &id_kolaborasi, before: None, after: serde_json::to_value(k).ok() },
    )
    .await?;
    Ok(Konfirmasi { id_kolaborasi, kolaborator_id: kolaborator, bentuk: k.bentuk.as_str().into(), penanggung_jawab: pj })
}
