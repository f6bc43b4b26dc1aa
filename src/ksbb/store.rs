//! KSBB tables on either store; the SQL is portable (both dialects accept it as written).

use super::model::{Dinas, Jenis, NewSite, NewUmkm, StatusVerifikasi};
use crate::store::{Json, Store, StoreError, Tx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use std::collections::HashMap;
use utoipa::ToSchema;

/// A stored site, everything included (the penanggung jawab contact too): what Citata, Bidang
/// Kolaborasi and the audit see. Public answers use [`SitePublic`].
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct SiteRecord {
    pub id: i64,
    pub kode: String,
    pub nama: String,
    /// lokbin | loksem | promosi
    pub jenis: String,
    pub lon: f64,
    pub lat: f64,
    #[schema(value_type = Option<Object>)]
    pub footprint: Option<Value>,
    pub kapasitas: i64,
    pub kelurahan: String,
    pub pj_nama: Option<String>,
    pub pj_telepon: Option<String>,
    /// aktif | nonaktif (retired)
    pub status: String,
    /// Bumped by every edit; send it back as `If-Match: "<version>"`.
    pub version: i64,
    pub generated: bool,
    pub sumber: Option<String>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// A site as the public sees it: no contact person, no editor; with the number of UMKM trading there.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SitePublic {
    pub kode: String,
    pub nama: String,
    pub jenis: String,
    pub lon: f64,
    pub lat: f64,
    #[schema(value_type = Option<Object>)]
    pub footprint: Option<Value>,
    pub kapasitas: i64,
    pub kelurahan: String,
    pub status: String,
    pub version: i64,
    pub generated: bool,
    pub sumber: Option<String>,
    /// UMKM of the target data registered at this site.
    pub umkm: i64,
}

impl SiteRecord {
    pub fn public(&self, umkm: i64) -> SitePublic {
        SitePublic {
            kode: self.kode.clone(),
            nama: self.nama.clone(),
            jenis: self.jenis.clone(),
            lon: self.lon,
            lat: self.lat,
            footprint: self.footprint.clone(),
            kapasitas: self.kapasitas,
            kelurahan: self.kelurahan.clone(),
            status: self.status.clone(),
            version: self.version,
            generated: self.generated,
            sumber: self.sumber.clone(),
            umkm,
        }
    }
}

const SITE_COLS: &str = "id, kode, nama, jenis, lon, lat, footprint, kapasitas, kelurahan, pj_nama, pj_telepon, status, version, generated, sumber, updated_by, updated_at";

/// One site by code, inside a write.
pub async fn site_tx(tx: &mut Tx, kode: &str) -> Result<Option<SiteRecord>, StoreError> {
    let sql = format!("SELECT {SITE_COLS} FROM ksbb_site WHERE kode = $1");
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, SiteRecord>(&sql).bind(kode).fetch_optional(c).await)?)
}

/// One site by code.
pub async fn site(store: &Store, kode: &str) -> Result<Option<SiteRecord>, StoreError> {
    let sql = format!("SELECT {SITE_COLS} FROM ksbb_site WHERE kode = $1");
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, SiteRecord>(&sql).bind(kode).fetch_optional(p).await)?)
}

/// Filters of the site list.
#[derive(Debug, Clone, Default)]
pub struct SiteFilter {
    pub jenis: Option<Jenis>,
    pub kelurahan: Option<String>,
    pub include_retired: bool,
}

/// Sites with their UMKM count, in code order.
pub async fn sites(store: &Store, f: &SiteFilter) -> Result<Vec<(SiteRecord, i64)>, StoreError> {
    let sql = format!(
        "SELECT {SITE_COLS}, (SELECT COUNT(*) FROM ksbb_umkm u WHERE u.site_id = s.id) AS umkm FROM ksbb_site s \
         WHERE ($1 IS NULL OR jenis = $1) AND ($2 IS NULL OR kelurahan = $2) AND ($3 OR status = 'aktif') ORDER BY kode"
    );
    let rows = crate::on_pool!(store, p => {
        let rows = sqlx::query(&sql).bind(f.jenis.map(Jenis::as_str)).bind(f.kelurahan.as_deref()).bind(f.include_retired).fetch_all(p).await?;
        rows.iter().map(|r| Ok((<SiteRecord as sqlx::FromRow<_>>::from_row(r)?, r.try_get::<i64, _>("umkm")?))).collect::<Result<Vec<_>, sqlx::Error>>()
    })?;
    Ok(rows)
}

pub async fn insert_site(tx: &mut Tx, kode: &str, s: &NewSite, kelurahan: &str, footprint: Option<&Value>, actor: &str, generated: bool) -> Result<i64, StoreError> {
    let id: i64 = crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO ksbb_site (kode, nama, jenis, lon, lat, footprint, kapasitas, kelurahan, pj_nama, pj_telepon, status, version, generated, sumber, updated_by, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'aktif',1,$11,$12,$13,$14) RETURNING id")
        .bind(kode).bind(&s.nama).bind(s.jenis.as_str()).bind(s.lon).bind(s.lat).bind(footprint.map(Json)).bind(s.kapasitas).bind(kelurahan)
        .bind(&s.pj_nama).bind(&s.pj_telepon).bind(generated).bind(&s.sumber).bind(actor).bind(Utc::now())
        .fetch_one(c).await?.try_get("id"))?;
    Ok(id)
}

/// Replaces a site's fields if it is still at `expected` version; returns whether a row changed
/// (false: someone else edited it first — the caller answers 412, nothing is overwritten).
pub async fn update_site(tx: &mut Tx, kode: &str, expected: i64, s: &NewSite, kelurahan: &str, footprint: Option<&Value>, actor: &str) -> Result<bool, StoreError> {
    let n = crate::on_tx!(tx, c => sqlx::query(
        "UPDATE ksbb_site SET nama = $1, jenis = $2, lon = $3, lat = $4, footprint = $5, kapasitas = $6, kelurahan = $7, pj_nama = $8, pj_telepon = $9, \
         sumber = $10, updated_by = $11, updated_at = $12, version = version + 1 WHERE kode = $13 AND version = $14 AND status = 'aktif'")
        .bind(&s.nama).bind(s.jenis.as_str()).bind(s.lon).bind(s.lat).bind(footprint.map(Json)).bind(s.kapasitas).bind(kelurahan)
        .bind(&s.pj_nama).bind(&s.pj_telepon).bind(&s.sumber).bind(actor).bind(Utc::now()).bind(kode).bind(expected)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Retires a site still at `expected` version (see [`update_site`]).
pub async fn retire_site(tx: &mut Tx, kode: &str, expected: i64, actor: &str) -> Result<bool, StoreError> {
    let n = crate::on_tx!(tx, c => sqlx::query(
        "UPDATE ksbb_site SET status = 'nonaktif', updated_by = $1, updated_at = $2, version = version + 1 WHERE kode = $3 AND version = $4 AND status = 'aktif'")
        .bind(actor).bind(Utc::now()).bind(kode).bind(expected).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// What an import needs of a site: its id, kelurahan and whether it is active.
#[derive(Debug, Clone)]
pub struct SiteRef {
    pub id: i64,
    pub kelurahan: String,
    pub aktif: bool,
}

/// Every site by code, inside a write (an UMKM import resolves `lokasi` against it).
pub async fn site_refs(tx: &mut Tx) -> Result<HashMap<String, SiteRef>, StoreError> {
    let rows = crate::on_tx!(tx, c => {
        let rows = sqlx::query("SELECT id, kode, kelurahan, status FROM ksbb_site").fetch_all(c).await?;
        rows.iter().map(|r| Ok((r.try_get::<String, _>("kode")?, SiteRef { id: r.try_get("id")?, kelurahan: r.try_get("kelurahan")?, aktif: r.try_get::<String, _>("status")? == "aktif" })))
            .collect::<Result<Vec<_>, sqlx::Error>>()
    })?;
    Ok(rows.into_iter().collect())
}

/// A stored UMKM, personal fields in full: only for the audited read and the store's own use.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct UmkmRow {
    pub id: i64,
    pub kode: String,
    pub nama_usaha: String,
    pub nama_pemilik: String,
    pub telepon: Option<String>,
    pub sektor: String,
    pub dinas: String,
    pub status_verifikasi: String,
    pub kelurahan: Option<String>,
    /// Code of the site where it trades.
    pub lokasi: Option<String>,
    pub generated: bool,
}

impl UmkmRow {
    /// True when the stored row already says what `u` (resolved to `site_id`/`kelurahan`) says.
    pub fn same_as(&self, u: &NewUmkm, kelurahan: Option<&str>) -> bool {
        self.nama_usaha == u.nama_usaha
            && self.nama_pemilik == u.nama_pemilik
            && self.telepon == u.telepon
            && self.sektor == u.sektor
            && self.dinas == u.dinas.as_str()
            && self.status_verifikasi == u.status_verifikasi.as_str()
            && self.kelurahan.as_deref() == kelurahan
            && self.lokasi == u.lokasi
    }
}

const UMKM_SELECT: &str = "SELECT u.id, u.kode, u.nama_usaha, u.nama_pemilik, u.telepon, u.sektor, u.dinas, u.status_verifikasi, u.kelurahan, \
     s.kode AS lokasi, u.generated FROM ksbb_umkm u LEFT JOIN ksbb_site s ON s.id = u.site_id";

/// Every stored UMKM by code, inside a write (an import compares against it).
pub async fn umkm_all_tx(tx: &mut Tx) -> Result<HashMap<String, UmkmRow>, StoreError> {
    let rows = crate::on_tx!(tx, c => sqlx::query_as::<_, UmkmRow>(UMKM_SELECT).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|r| (r.kode.clone(), r)).collect())
}

pub async fn umkm(store: &Store, kode: &str) -> Result<Option<UmkmRow>, StoreError> {
    let sql = format!("{UMKM_SELECT} WHERE u.kode = $1");
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, UmkmRow>(&sql).bind(kode).fetch_optional(p).await)?)
}

/// Filters of the UMKM list.
#[derive(Debug, Clone, Default)]
pub struct UmkmFilter {
    pub kelurahan: Option<String>,
    pub lokasi: Option<String>,
    pub dinas: Option<Dinas>,
    pub status_verifikasi: Option<StatusVerifikasi>,
    pub limit: i64,
    pub offset: i64,
}

/// A page of UMKM in code order and the total matching.
pub async fn umkm_list(store: &Store, f: &UmkmFilter) -> Result<(Vec<UmkmRow>, i64), StoreError> {
    let cond = "WHERE ($1 IS NULL OR u.kelurahan = $1) AND ($2 IS NULL OR s.kode = $2) AND ($3 IS NULL OR u.dinas = $3) AND ($4 IS NULL OR u.status_verifikasi = $4)";
    let sql = format!("{UMKM_SELECT} {cond} ORDER BY u.kode LIMIT $5 OFFSET $6");
    let count = format!("SELECT COUNT(*) AS n FROM ksbb_umkm u LEFT JOIN ksbb_site s ON s.id = u.site_id {cond}");
    let (kel, lok, din, st) = (f.kelurahan.as_deref(), f.lokasi.as_deref(), f.dinas.map(Dinas::as_str), f.status_verifikasi.map(StatusVerifikasi::as_str));
    let out = crate::on_pool!(store, p => {
        let rows = sqlx::query_as::<_, UmkmRow>(&sql).bind(kel).bind(lok).bind(din).bind(st).bind(f.limit).bind(f.offset).fetch_all(p).await?;
        let n: i64 = sqlx::query(&count).bind(kel).bind(lok).bind(din).bind(st).fetch_one(p).await?.try_get("n")?;
        Ok::<_, sqlx::Error>((rows, n))
    })?;
    Ok(out)
}

/// Inserts or replaces one UMKM by its code.
pub async fn upsert_umkm(tx: &mut Tx, u: &NewUmkm, kelurahan: Option<&str>, site_id: Option<i64>, actor: &str, generated: bool) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO ksbb_umkm (kode, nama_usaha, nama_pemilik, telepon, sektor, dinas, status_verifikasi, kelurahan, site_id, generated, updated_by, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (kode) DO UPDATE SET nama_usaha = excluded.nama_usaha, nama_pemilik = excluded.nama_pemilik, \
         telepon = excluded.telepon, sektor = excluded.sektor, dinas = excluded.dinas, status_verifikasi = excluded.status_verifikasi, kelurahan = excluded.kelurahan, \
         site_id = excluded.site_id, generated = excluded.generated, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
        .bind(&u.kode).bind(&u.nama_usaha).bind(&u.nama_pemilik).bind(&u.telepon).bind(&u.sektor).bind(u.dinas.as_str()).bind(u.status_verifikasi.as_str())
        .bind(kelurahan).bind(site_id).bind(generated).bind(actor).bind(Utc::now())
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Row counts of the KSBB tables (tests check a refusal wrote nothing).
pub async fn counts(store: &Store) -> Result<(i64, i64), StoreError> {
    let r = crate::on_pool!(store, p => {
        let r = sqlx::query("SELECT (SELECT COUNT(*) FROM ksbb_site) AS s, (SELECT COUNT(*) FROM ksbb_umkm) AS u").fetch_one(p).await?;
        Ok::<_, sqlx::Error>((r.try_get::<i64, _>("s")?, r.try_get::<i64, _>("u")?))
    })?;
    Ok(r)
}

// ---------------------------------------------------------------- collaborators

/// A stored collaborator with its PKS, contacts in full (reviewers, audit). Answers mask them
/// (`http::KolaboratorView`).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct KolaboratorRecord {
    pub id: i64,
    /// donatur | agregator | fintech
    pub jenis: String,
    pub nama: String,
    pub badan_hukum: Option<String>,
    pub nomor_badan_hukum: Option<String>,
    pub nomor_izin: Option<String>,
    pub nomor_ojk: Option<String>,
    pub kontak_nama: String,
    pub kontak_telepon: Option<String>,
    pub kontak_email: Option<String>,
    pub tampil_publik: bool,
    /// diajukan | disetujui | ditolak
    pub status: String,
    pub alasan_penolakan: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub pks_nomor: Option<String>,
    pub pks_tanggal_mulai: Option<chrono::NaiveDate>,
    pub pks_tanggal_selesai: Option<chrono::NaiveDate>,
}

impl KolaboratorRecord {
    /// The record with its contact person's name, phone and e-mail masked: what every answer and
    /// audit entry holds.
    pub fn masked(&self) -> KolaboratorRecord {
        use super::model::{mask_email, mask_name, mask_phone};
        KolaboratorRecord {
            kontak_nama: mask_name(&self.kontak_nama),
            kontak_telepon: self.kontak_telepon.as_deref().map(mask_phone),
            kontak_email: self.kontak_email.as_deref().map(mask_email),
            ..self.clone()
        }
    }
}

const KOLAB_SELECT: &str = "SELECT k.id, k.jenis, k.nama, k.badan_hukum, k.nomor_badan_hukum, k.nomor_izin, k.nomor_ojk, k.kontak_nama, k.kontak_telepon, \
     k.kontak_email, k.tampil_publik, k.status, k.alasan_penolakan, k.reviewed_by, k.reviewed_at, k.created_at, \
     p.nomor AS pks_nomor, p.tanggal_mulai AS pks_tanggal_mulai, p.tanggal_selesai AS pks_tanggal_selesai \
     FROM ksbb_kolaborator k LEFT JOIN ksbb_pks p ON p.kolaborator_id = k.id";

pub async fn kolaborator_tx(tx: &mut Tx, id: i64) -> Result<Option<KolaboratorRecord>, StoreError> {
    let sql = format!("{KOLAB_SELECT} WHERE k.id = $1");
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, KolaboratorRecord>(&sql).bind(id).fetch_optional(c).await)?)
}

/// Collaborators, optionally of one status, oldest first.
pub async fn kolaborators(store: &Store, status: Option<&str>) -> Result<Vec<KolaboratorRecord>, StoreError> {
    let sql = format!("{KOLAB_SELECT} WHERE ($1 IS NULL OR k.status = $1) ORDER BY k.id");
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, KolaboratorRecord>(&sql).bind(status).fetch_all(p).await)?)
}

/// What each collaborator of the one registry does in both domains: its KSBB Konfirmasi and its
/// logistics pledges (issue 11), by collaborator id (absent: none of either).
pub async fn kolaborator_activity(store: &Store) -> Result<HashMap<i64, (i64, i64)>, StoreError> {
    let sql = "SELECT kolaborator_id, CAST(SUM(k) AS BIGINT) AS k, CAST(SUM(l) AS BIGINT) AS l FROM ( \
               SELECT kolaborator_id, 1 AS k, 0 AS l FROM ksbb_konfirmasi \
               UNION ALL SELECT kolaborator_id, 0, 1 FROM logistik_komitmen WHERE kolaborator_id IS NOT NULL) a GROUP BY kolaborator_id";
    let rows: Vec<(i64, i64, i64)> = crate::on_pool!(store, p => sqlx::query_as(sql).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|(id, k, l)| (id, (k, l))).collect())
}

/// The id of the collaborator holding a legal-entity number, if any.
pub async fn kolaborator_by_nomor(tx: &mut Tx, nomor: &str) -> Result<Option<i64>, StoreError> {
    Ok(crate::on_tx!(tx, c => sqlx::query("SELECT id FROM ksbb_kolaborator WHERE nomor_badan_hukum = $1").bind(nomor).fetch_optional(c).await?
        .map(|r| r.try_get::<i64, _>("id")).transpose())?)
}

/// The id of the collaborator registered under legal-entity number `nomor`, if Bidang Kolaborasi
/// approved it (the demo loaders attach their pledges and Konfirmasi to such a one).
pub async fn approved_kolaborator_by_nomor(tx: &mut Tx, nomor: &str) -> Result<Option<i64>, StoreError> {
    let Some(id) = kolaborator_by_nomor(tx, nomor).await? else { return Ok(None) };
    Ok(kolaborator_tx(tx, id).await?.filter(|k| k.status == "disetujui").map(|k| k.id))
}

pub async fn insert_kolaborator(tx: &mut Tx, k: &super::model::NewKolaborator, actor: &str) -> Result<i64, StoreError> {
    let id: i64 = crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO ksbb_kolaborator (jenis, nama, badan_hukum, nomor_badan_hukum, nomor_izin, nomor_ojk, kontak_nama, kontak_telepon, kontak_email, \
         tampil_publik, status, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'diajukan',$11,$12) RETURNING id")
        .bind(k.jenis.as_str()).bind(&k.nama).bind(&k.badan_hukum).bind(&k.nomor_badan_hukum).bind(&k.nomor_izin).bind(&k.nomor_ojk)
        .bind(&k.kontak_nama).bind(&k.kontak_telepon).bind(&k.kontak_email).bind(k.tampil_publik).bind(actor).bind(Utc::now())
        .fetch_one(c).await?.try_get("id"))?;
    Ok(id)
}

/// Records the decision on an application still `diajukan`; false when it was decided meanwhile.
pub async fn decide(tx: &mut Tx, id: i64, status: &str, alasan: Option<&str>, actor: &str) -> Result<bool, StoreError> {
    let n = crate::on_tx!(tx, c => sqlx::query(
        "UPDATE ksbb_kolaborator SET status = $1, alasan_penolakan = $2, reviewed_by = $3, reviewed_at = $4 WHERE id = $5 AND status = 'diajukan'")
        .bind(status).bind(alasan).bind(actor).bind(Utc::now()).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Whether a PKS number is taken.
pub async fn pks_exists(tx: &mut Tx, nomor: &str) -> Result<bool, StoreError> {
    Ok(crate::on_tx!(tx, c => sqlx::query("SELECT 1 AS x FROM ksbb_pks WHERE nomor = $1").bind(nomor).fetch_optional(c).await.map(|r| r.is_some()))?)
}

pub async fn insert_pks(tx: &mut Tx, kolaborator: i64, nomor: &str, mulai: chrono::NaiveDate, selesai: chrono::NaiveDate, actor: &str) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("INSERT INTO ksbb_pks (kolaborator_id, nomor, tanggal_mulai, tanggal_selesai, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6)")
        .bind(kolaborator).bind(nomor).bind(mulai).bind(selesai).bind(actor).bind(Utc::now()).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Row counts of the collaborator tables.
pub async fn kolaborator_counts(store: &Store) -> Result<(i64, i64), StoreError> {
    let r = crate::on_pool!(store, p => {
        let r = sqlx::query("SELECT (SELECT COUNT(*) FROM ksbb_kolaborator) AS k, (SELECT COUNT(*) FROM ksbb_pks) AS p").fetch_one(p).await?;
        Ok::<_, sqlx::Error>((r.try_get::<i64, _>("k")?, r.try_get::<i64, _>("p")?))
    })?;
    Ok(r)
}

// ---------------------------------------------------------------- Konfirmasi

/// Takes the next number of `tahun` for an ID kolaborasi, inside the write (the counter row is
/// locked until commit, so two submissions never draw the same number).
pub async fn next_id_number(tx: &mut Tx, tahun: i32) -> Result<i64, StoreError> {
    let n: i64 = crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO ksbb_id_counter (tahun, last) VALUES ($1, 1) ON CONFLICT (tahun) DO UPDATE SET last = ksbb_id_counter.last + 1 RETURNING last")
        .bind(i64::from(tahun)).fetch_one(c).await?.try_get("last"))?;
    Ok(n)
}

pub async fn insert_konfirmasi(tx: &mut Tx, id_kolaborasi: &str, kolaborator: i64, k: &super::model::NewKonfirmasi, site_ids: &[i64], actor: &str) -> Result<i64, StoreError> {
    let id: i64 = crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO ksbb_konfirmasi (id_kolaborasi, kolaborator_id, bentuk, uraian, nilai_per_paket, jumlah_paket, jadwal_mulai, jadwal_selesai, penyalur_mandiri, \
         penyalur_kolaborator_id, jumlah_pinjaman, biaya_admin, biaya_originasi, biaya_asuransi, jadwal_akad, draf_econtract, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18) RETURNING id")
        .bind(id_kolaborasi).bind(kolaborator).bind(k.bentuk.as_str()).bind(&k.uraian).bind(k.nilai_per_paket).bind(k.jumlah_paket)
        .bind(k.jadwal_mulai).bind(k.jadwal_selesai).bind(k.penyalur_kolaborator_id.is_none()).bind(k.penyalur_kolaborator_id)
        .bind(k.jumlah_pinjaman).bind(k.biaya_admin).bind(k.biaya_originasi).bind(k.biaya_asuransi).bind(k.jadwal_akad).bind(&k.draf_econtract)
        .bind(actor).bind(Utc::now())
        .fetch_one(&mut *c).await?.try_get("id"))?;
    for s in site_ids {
        crate::on_tx!(tx, c => sqlx::query("INSERT INTO ksbb_konfirmasi_site (konfirmasi_id, site_id) VALUES ($1, $2)").bind(id).bind(*s).execute(c).await.map(|_| ()))?;
    }
    Ok(id)
}

/// A stored Konfirmasi as listed.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct KonfirmasiRow {
    pub id_kolaborasi: String,
    pub kolaborator_id: i64,
    pub bentuk: String,
    pub uraian: String,
    pub nilai_per_paket: Option<i64>,
    pub jumlah_paket: Option<i64>,
    pub jadwal_mulai: chrono::NaiveDate,
    pub jadwal_selesai: chrono::NaiveDate,
    pub penyalur_mandiri: bool,
    pub penyalur_kolaborator_id: Option<i64>,
    pub jumlah_pinjaman: Option<i64>,
    pub biaya_admin: Option<i64>,
    pub biaya_originasi: Option<i64>,
    pub biaya_asuransi: Option<i64>,
    pub jadwal_akad: Option<chrono::NaiveDate>,
    pub draf_econtract: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Konfirmasi of one collaborator (or all), oldest first.
pub async fn konfirmasi(store: &Store, kolaborator: Option<i64>) -> Result<Vec<KonfirmasiRow>, StoreError> {
    let sql = "SELECT id_kolaborasi, kolaborator_id, bentuk, uraian, nilai_per_paket, jumlah_paket, jadwal_mulai, jadwal_selesai, penyalur_mandiri, \
               penyalur_kolaborator_id, jumlah_pinjaman, biaya_admin, biaya_originasi, biaya_asuransi, jadwal_akad, draf_econtract, created_at \
               FROM ksbb_konfirmasi WHERE ($1 IS NULL OR kolaborator_id = $1) ORDER BY id";
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, KonfirmasiRow>(sql).bind(kolaborator).fetch_all(p).await)?)
}

pub async fn konfirmasi_count(store: &Store) -> Result<i64, StoreError> {
    Ok(crate::on_pool!(store, p => sqlx::query("SELECT COUNT(*) AS n FROM ksbb_konfirmasi").fetch_one(p).await.and_then(|r| r.try_get::<i64, _>("n")))?)
}

/// Whether `unit` (a `kolaborator` token's unit) names an approved collaborator.
pub async fn kolaborator_approved(store: &Store, unit: &str) -> Result<bool, StoreError> {
    let Ok(id) = unit.parse::<i64>() else { return Ok(false) };
    Ok(kolaborators(store, Some("disetujui")).await?.iter().any(|k| k.id == id))
}

/// One UMKM by code, inside a write.
pub async fn umkm_tx(tx: &mut Tx, kode: &str) -> Result<Option<UmkmRow>, StoreError> {
    let sql = format!("{UMKM_SELECT} WHERE u.kode = $1");
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, UmkmRow>(&sql).bind(kode).fetch_optional(c).await)?)
}

/// Records the confirmed loan recipients of a Konfirmasi.
pub async fn insert_penerima(tx: &mut Tx, konfirmasi_id: i64, penerima: &[(String, i64)]) -> Result<(), StoreError> {
    for (kode, plafon) in penerima {
        crate::on_tx!(tx, c => sqlx::query("INSERT INTO ksbb_konfirmasi_umkm (konfirmasi_id, umkm_kode, plafon) VALUES ($1, $2, $3)")
            .bind(konfirmasi_id).bind(kode).bind(*plafon).execute(c).await.map(|_| ()))?;
    }
    Ok(())
}

// ---------------------------------------------------------------- Realisasi

/// What a Realisasi needs to know of its Konfirmasi.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KonfirmasiRef {
    pub id: i64,
    pub id_kolaborasi: String,
    pub kolaborator_id: i64,
    pub bentuk: String,
    pub penyalur_kolaborator_id: Option<i64>,
    pub jumlah_paket: Option<i64>,
    pub jumlah_pinjaman: Option<i64>,
    pub jadwal_mulai: chrono::NaiveDate,
    pub jadwal_selesai: chrono::NaiveDate,
}

/// Locks the Konfirmasi (a no-op update, so concurrent reports on one ID are checked one after
/// another on both stores) and reads it; None when there is no such ID.
pub async fn lock_konfirmasi(tx: &mut Tx, id_kolaborasi: &str) -> Result<Option<KonfirmasiRef>, StoreError> {
    crate::on_tx!(tx, c => sqlx::query("UPDATE ksbb_konfirmasi SET created_at = created_at WHERE id_kolaborasi = $1").bind(id_kolaborasi).execute(c).await.map(|_| ()))?;
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, KonfirmasiRef>(
        "SELECT id, id_kolaborasi, kolaborator_id, bentuk, penyalur_kolaborator_id, jumlah_paket, jumlah_pinjaman, jadwal_mulai, jadwal_selesai \
         FROM ksbb_konfirmasi WHERE id_kolaborasi = $1").bind(id_kolaborasi).fetch_optional(c).await)?)
}

/// The site codes of a Konfirmasi.
pub async fn konfirmasi_site_kodes(tx: &mut Tx, konfirmasi_id: i64) -> Result<Vec<String>, StoreError> {
    Ok(crate::on_tx!(tx, c => sqlx::query("SELECT s.kode FROM ksbb_konfirmasi_site ks JOIN ksbb_site s ON s.id = ks.site_id WHERE ks.konfirmasi_id = $1")
        .bind(konfirmasi_id).fetch_all(c).await?
        .iter().map(|r| r.try_get::<String, _>("kode")).collect::<Result<Vec<_>, _>>())?)
}

/// The confirmed loan recipients of a Konfirmasi: UMKM code → plafon.
pub async fn penerima_tx(tx: &mut Tx, konfirmasi_id: i64) -> Result<HashMap<String, i64>, StoreError> {
    Ok(crate::on_tx!(tx, c => sqlx::query("SELECT umkm_kode, plafon FROM ksbb_konfirmasi_umkm WHERE konfirmasi_id = $1").bind(konfirmasi_id).fetch_all(c).await?
        .iter().map(|r| Ok::<_, sqlx::Error>((r.try_get::<String, _>("umkm_kode")?, r.try_get::<i64, _>("plafon")?))).collect::<Result<HashMap<_, _>, _>>())?)
}

/// One UMKM line of a stored report, with its report's kind and reporter.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct RealisasiLine {
    pub realisasi_id: i64,
    pub pelapor_id: i64,
    pub jenis: String,
    pub tanggal: chrono::NaiveDate,
    pub umkm_kode: String,
    pub jumlah: i64,
    pub status: Option<String>,
    pub alasan: Option<String>,
    pub periode: Option<String>,
}

const LINE_SELECT: &str = "SELECT l.realisasi_id, r.pelapor_id, r.jenis, r.tanggal, l.umkm_kode, l.jumlah, l.status, l.alasan, l.periode \
     FROM ksbb_realisasi_umkm l JOIN ksbb_realisasi r ON r.id = l.realisasi_id";

/// Every UMKM line reported under a Konfirmasi, in the order they were reported.
pub async fn lines_tx(tx: &mut Tx, konfirmasi_id: i64) -> Result<Vec<RealisasiLine>, StoreError> {
    let sql = format!("{LINE_SELECT} WHERE l.konfirmasi_id = $1 ORDER BY l.realisasi_id, l.umkm_kode");
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, RealisasiLine>(&sql).bind(konfirmasi_id).fetch_all(c).await)?)
}

/// A stored Realisasi report (its lines and documents are listed beside it).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct RealisasiHead {
    pub id: i64,
    pub id_kolaborasi: String,
    pub pelapor_id: i64,
    /// bast | disbursement | angsuran | serah_dana
    pub jenis: String,
    pub nomor_dokumen: String,
    pub tanggal: chrono::NaiveDate,
    pub keterangan: Option<String>,
    pub econtract: Option<String>,
    pub periode: Option<String>,
    pub agregator_id: Option<i64>,
    pub jumlah: Option<i64>,
    pub created_at: DateTime<Utc>,
}

const HEAD_SELECT: &str = "SELECT r.id, k.id_kolaborasi, r.pelapor_id, r.jenis, r.nomor_dokumen, r.tanggal, r.keterangan, r.econtract, r.periode, \
     r.agregator_id, r.jumlah, r.created_at FROM ksbb_realisasi r JOIN ksbb_konfirmasi k ON k.id = r.konfirmasi_id";

/// The reports under a Konfirmasi, inside a write.
pub async fn heads_tx(tx: &mut Tx, konfirmasi_id: i64) -> Result<Vec<RealisasiHead>, StoreError> {
    let sql = format!("{HEAD_SELECT} WHERE r.konfirmasi_id = $1 ORDER BY r.id");
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, RealisasiHead>(&sql).bind(konfirmasi_id).fetch_all(c).await)?)
}

/// One report, inside a write.
pub async fn head_tx(tx: &mut Tx, id: i64) -> Result<Option<RealisasiHead>, StoreError> {
    let sql = format!("{HEAD_SELECT} WHERE r.id = $1");
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, RealisasiHead>(&sql).bind(id).fetch_optional(c).await)?)
}

/// Stores a report and its UMKM lines; answers its id.
pub async fn insert_realisasi(tx: &mut Tx, konfirmasi_id: i64, pelapor: i64, r: &super::model::NewRealisasi, actor: &str) -> Result<i64, StoreError> {
    let id: i64 = crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO ksbb_realisasi (konfirmasi_id, pelapor_id, jenis, nomor_dokumen, tanggal, keterangan, econtract, periode, agregator_id, jumlah, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id")
        .bind(konfirmasi_id).bind(pelapor).bind(r.jenis.as_str()).bind(&r.nomor_dokumen).bind(r.tanggal).bind(&r.keterangan).bind(&r.econtract)
        .bind(&r.periode).bind(r.agregator_id).bind(r.jumlah).bind(actor).bind(Utc::now())
        .fetch_one(c).await?.try_get("id"))?;
    for u in &r.umkm {
        crate::on_tx!(tx, c => sqlx::query(
            "INSERT INTO ksbb_realisasi_umkm (realisasi_id, konfirmasi_id, umkm_kode, jumlah, status, alasan, periode) VALUES ($1,$2,$3,$4,$5,$6,$7)")
            .bind(id).bind(konfirmasi_id).bind(&u.kode).bind(u.jumlah).bind(u.status.map(|s| s.as_str())).bind(&u.alasan).bind(&r.periode)
            .execute(c).await.map(|_| ()))?;
    }
    Ok(id)
}

/// Reports visible to collaborator `kolaborator` (those it filed and those under its own IDs), or
/// all, optionally of one ID kolaborasi; oldest first.
pub async fn realisasi(store: &Store, kolaborator: Option<i64>, id_kolaborasi: Option<&str>) -> Result<Vec<RealisasiHead>, StoreError> {
    let sql = format!("{HEAD_SELECT} WHERE ($1 IS NULL OR r.pelapor_id = $1 OR k.kolaborator_id = $1) AND ($2 IS NULL OR k.id_kolaborasi = $2) ORDER BY r.id");
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, RealisasiHead>(&sql).bind(kolaborator).bind(id_kolaborasi).fetch_all(p).await)?)
}

/// One report by id.
pub async fn realisasi_by_id(store: &Store, id: i64) -> Result<Option<RealisasiHead>, StoreError> {
    let sql = format!("{HEAD_SELECT} WHERE r.id = $1");
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, RealisasiHead>(&sql).bind(id).fetch_optional(p).await)?)
}

/// The UMKM lines of the given reports.
pub async fn lines_of(store: &Store, ids: &[i64]) -> Result<Vec<RealisasiLine>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let sql = format!("{LINE_SELECT} WHERE l.realisasi_id IN ({list}) ORDER BY l.realisasi_id, l.umkm_kode");
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, RealisasiLine>(&sql).fetch_all(p).await)?)
}

/// A stored document of a Realisasi (the bytes are in the AttachmentStore under `storage_key`).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Lampiran {
    pub id: i64,
    pub realisasi_id: i64,
    pub jenis: String,
    #[serde(skip)]
    pub storage_key: String,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

const LAMPIRAN_SELECT: &str = "SELECT id, realisasi_id, jenis, storage_key, content_type, bytes, sha256, created_at FROM ksbb_lampiran";

pub async fn lampiran_tx(tx: &mut Tx, realisasi_id: i64) -> Result<Vec<Lampiran>, StoreError> {
    let sql = format!("{LAMPIRAN_SELECT} WHERE realisasi_id = $1 ORDER BY id");
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, Lampiran>(&sql).bind(realisasi_id).fetch_all(c).await)?)
}

/// Documents of the given reports.
pub async fn lampiran_of(store: &Store, ids: &[i64]) -> Result<Vec<Lampiran>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let sql = format!("{LAMPIRAN_SELECT} WHERE realisasi_id IN ({list}) ORDER BY id");
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, Lampiran>(&sql).fetch_all(p).await)?)
}

/// A file put into the AttachmentStore, as its record names it.
pub struct StoredFile<'a> {
    pub key: &'a str,
    pub content_type: &'a str,
    pub bytes: i64,
    pub sha256: &'a str,
}

pub async fn insert_lampiran(tx: &mut Tx, realisasi_id: i64, jenis: &str, f: &StoredFile<'_>, actor: &str) -> Result<i64, StoreError> {
    Ok(crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO ksbb_lampiran (realisasi_id, jenis, storage_key, content_type, bytes, sha256, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id")
        .bind(realisasi_id).bind(jenis).bind(f.key).bind(f.content_type).bind(f.bytes).bind(f.sha256).bind(actor).bind(Utc::now())
        .fetch_one(c).await?.try_get("id"))?)
}

/// Row counts of the Realisasi tables (reports, lines, documents, loan recipients).
pub async fn realisasi_counts(store: &Store) -> Result<[i64; 4], StoreError> {
    let r = crate::on_pool!(store, p => {
        let r = sqlx::query("SELECT (SELECT COUNT(*) FROM ksbb_realisasi) AS a, (SELECT COUNT(*) FROM ksbb_realisasi_umkm) AS b, \
            (SELECT COUNT(*) FROM ksbb_lampiran) AS c, (SELECT COUNT(*) FROM ksbb_konfirmasi_umkm) AS d").fetch_one(p).await?;
        Ok::<_, sqlx::Error>([r.try_get::<i64, _>("a")?, r.try_get::<i64, _>("b")?, r.try_get::<i64, _>("c")?, r.try_get::<i64, _>("d")?])
    })?;
    Ok(r)
}

// ---------------------------------------------------------------- pendamping checks

/// A stored pendamping check.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct VerifikasiRow {
    pub id: i64,
    pub id_kolaborasi: String,
    pub kolaborator_id: i64,
    pub umkm_kode: String,
    /// diterima | tidak_diterima | sebagian
    pub hasil: String,
    /// What the collaborator had reported for this UMKM when it was checked.
    pub jumlah_dilaporkan: i64,
    pub jumlah_diterima: i64,
    pub tanggal: chrono::NaiveDate,
    pub catatan: Option<String>,
    /// The pendamping's unit (dinas or kecamatan).
    pub pendamping: String,
    pub created_at: DateTime<Utc>,
}

const VERIFIKASI_SELECT: &str = "SELECT v.id, k.id_kolaborasi, k.kolaborator_id, v.umkm_kode, v.hasil, v.jumlah_dilaporkan, v.jumlah_diterima, v.tanggal, \
     v.catatan, v.pendamping, v.created_at FROM ksbb_verifikasi v JOIN ksbb_konfirmasi k ON k.id = v.konfirmasi_id";

pub async fn verifikasi_tx(tx: &mut Tx, konfirmasi_id: i64) -> Result<Vec<VerifikasiRow>, StoreError> {
    let sql = format!("{VERIFIKASI_SELECT} WHERE v.konfirmasi_id = $1 ORDER BY v.id");
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, VerifikasiRow>(&sql).bind(konfirmasi_id).fetch_all(c).await)?)
}

/// Checks, optionally of one pendamping unit, one collaborator's IDs, or one ID; oldest first.
pub async fn verifikasi(store: &Store, pendamping: Option<&str>, kolaborator: Option<i64>, id_kolaborasi: Option<&str>) -> Result<Vec<VerifikasiRow>, StoreError> {
    let sql = format!("{VERIFIKASI_SELECT} WHERE ($1 IS NULL OR v.pendamping = $1) AND ($2 IS NULL OR k.kolaborator_id = $2) AND ($3 IS NULL OR k.id_kolaborasi = $3) ORDER BY v.id");
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, VerifikasiRow>(&sql).bind(pendamping).bind(kolaborator).bind(id_kolaborasi).fetch_all(p).await)?)
}

pub async fn insert_verifikasi(tx: &mut Tx, konfirmasi_id: i64, v: &super::model::NewVerifikasi, dilaporkan: i64, diterima: i64, pendamping: &str, actor: &str) -> Result<i64, StoreError> {
    Ok(crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO ksbb_verifikasi (konfirmasi_id, umkm_kode, hasil, jumlah_dilaporkan, jumlah_diterima, tanggal, catatan, pendamping, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id")
        .bind(konfirmasi_id).bind(&v.kode).bind(v.hasil.as_str()).bind(dilaporkan).bind(diterima).bind(v.tanggal).bind(&v.catatan).bind(pendamping)
        .bind(actor).bind(Utc::now()).fetch_one(c).await?.try_get("id"))?)
}

pub async fn verifikasi_count(store: &Store) -> Result<i64, StoreError> {
    Ok(crate::on_pool!(store, p => sqlx::query("SELECT COUNT(*) AS n FROM ksbb_verifikasi").fetch_one(p).await.and_then(|r| r.try_get::<i64, _>("n")))?)
}

// ---------------------------------------------------------------- discrepancy flags

/// A difference between two reports under one ID kolaborasi, with both figures.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct FlagRow {
    pub id: i64,
    pub id_kolaborasi: String,
    pub kolaborator_id: i64,
    /// laporan_berbeda | jumlah_umkm_berbeda | verifikasi_berbeda | tanggal_di_luar_jadwal
    pub jenis: String,
    pub umkm_kode: Option<String>,
    pub sumber_a: String,
    pub nilai_a: String,
    pub sumber_b: String,
    pub nilai_b: String,
    /// terbuka | selesai
    pub status: String,
    pub catatan: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A flag as computed, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFlag {
    pub jenis: &'static str,
    pub umkm_kode: Option<String>,
    pub sumber_a: String,
    pub nilai_a: String,
    pub sumber_b: String,
    pub nilai_b: String,
}

impl NewFlag {
    /// What makes the flag the same flag: what differs and both figures.
    pub fn kunci(&self) -> String {
        format!("{}|{}|{}={}|{}={}", self.jenis, self.umkm_kode.as_deref().unwrap_or(""), self.sumber_a, self.nilai_a, self.sumber_b, self.nilai_b)
    }
}

/// Stores the flags not stored yet (same ID and key); answers how many were new.
pub async fn raise_flags(tx: &mut Tx, konfirmasi_id: i64, kolaborator_id: i64, flags: &[NewFlag]) -> Result<u64, StoreError> {
    let mut n = 0;
    for f in flags {
        n += crate::on_tx!(tx, c => sqlx::query(
            "INSERT INTO ksbb_flag (konfirmasi_id, kolaborator_id, kunci, jenis, umkm_kode, sumber_a, nilai_a, sumber_b, nilai_b, status, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,'terbuka',$10) ON CONFLICT (konfirmasi_id, kunci) DO NOTHING")
            .bind(konfirmasi_id).bind(kolaborator_id).bind(f.kunci()).bind(f.jenis).bind(&f.umkm_kode).bind(&f.sumber_a).bind(&f.nilai_a)
            .bind(&f.sumber_b).bind(&f.nilai_b).bind(Utc::now()).execute(c).await.map(|r| r.rows_affected()))?;
    }
    Ok(n)
}

const FLAG_SELECT: &str = "SELECT f.id, k.id_kolaborasi, f.kolaborator_id, f.jenis, f.umkm_kode, f.sumber_a, f.nilai_a, f.sumber_b, f.nilai_b, f.status, \
     f.catatan, f.resolved_by, f.resolved_at, f.created_at FROM ksbb_flag f JOIN ksbb_konfirmasi k ON k.id = f.konfirmasi_id";

/// Flags, optionally of one collaborator and one status, oldest first.
pub async fn flags(store: &Store, kolaborator: Option<i64>, status: Option<&str>) -> Result<Vec<FlagRow>, StoreError> {
    let sql = format!("{FLAG_SELECT} WHERE ($1 IS NULL OR f.kolaborator_id = $1) AND ($2 IS NULL OR f.status = $2) ORDER BY f.kolaborator_id, f.id");
    Ok(crate::on_pool!(store, p => sqlx::query_as::<_, FlagRow>(&sql).bind(kolaborator).bind(status).fetch_all(p).await)?)
}

pub async fn flag_tx(tx: &mut Tx, id: i64) -> Result<Option<FlagRow>, StoreError> {
    let sql = format!("{FLAG_SELECT} WHERE f.id = $1");
    Ok(crate::on_tx!(tx, c => sqlx::query_as::<_, FlagRow>(&sql).bind(id).fetch_optional(c).await)?)
}

/// Resolves an open flag with a note; false when it is not open (resolved meanwhile).
pub async fn resolve_flag(tx: &mut Tx, id: i64, catatan: &str, actor: &str) -> Result<bool, StoreError> {
    let n = crate::on_tx!(tx, c => sqlx::query("UPDATE ksbb_flag SET status = 'selesai', catatan = $1, resolved_by = $2, resolved_at = $3 WHERE id = $4 AND status = 'terbuka'")
        .bind(catatan).bind(actor).bind(Utc::now()).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
