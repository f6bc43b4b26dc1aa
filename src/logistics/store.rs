//! Logistics tables on either store. The SQL is portable (both dialects accept it); rows are read
//! through `FromRow` structs and converted into the domain types.

use super::komitmen::NewKomitmen;
use super::model::{Barang, Jenis, JenisCatatan, Konversi, NewGudang};
use crate::store::{Json, Store, StoreError, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A catalog item as stored, with its version for edits.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BarangRecord {
    #[serde(flatten)]
    pub barang: Barang,
    pub generated: bool,
    pub versi: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct BarangRow {
    kode: String,
    jenis: String,
    nama: String,
    spesifikasi: Option<String>,
    satuan: String,
    bulat: bool,
    perlu_kedaluwarsa: bool,
    konversi: Json<Vec<Konversi>>,
    generated: bool,
    versi: i64,
    updated_at: DateTime<Utc>,
}

impl TryFrom<BarangRow> for BarangRecord {
    type Error = StoreError;
    fn try_from(r: BarangRow) -> Result<BarangRecord, StoreError> {
        let jenis = Jenis::parse(&r.jenis).ok_or_else(|| StoreError::Invalid(format!("barang {}: jenis {}", r.kode, r.jenis)))?;
        Ok(BarangRecord {
            barang: Barang {
                kode: r.kode,
                jenis,
                nama: r.nama,
                spesifikasi: r.spesifikasi,
                satuan: r.satuan,
                bulat: r.bulat,
                perlu_kedaluwarsa: r.perlu_kedaluwarsa,
                konversi: r.konversi.0,
            },
            generated: r.generated,
            versi: r.versi,
            updated_at: r.updated_at,
        })
    }
}

const BARANG_COLS: &str = "kode, jenis, nama, spesifikasi, satuan, bulat, perlu_kedaluwarsa, konversi, generated, versi, updated_at";

/// The catalog, optionally of one jenis, ordered by jenis and code.
pub async fn list_barang(store: &Store, jenis: Option<Jenis>) -> Result<Vec<BarangRecord>, StoreError> {
    let sql = format!("SELECT {BARANG_COLS} FROM logistik_barang WHERE ($1 IS NULL OR jenis = $1) ORDER BY jenis, kode");
    let rows: Vec<BarangRow> = crate::on_pool!(store, p => sqlx::query_as(&sql).bind(jenis.map(Jenis::as_str)).fetch_all(p).await)?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// One item, read before a write.
pub async fn get_barang(store: &Store, kode: &str) -> Result<Option<BarangRecord>, StoreError> {
    let sql = format!("SELECT {BARANG_COLS} FROM logistik_barang WHERE kode = $1");
    let row: Option<BarangRow> = crate::on_pool!(store, p => sqlx::query_as(&sql).bind(kode).fetch_optional(p).await)?;
    row.map(TryInto::try_into).transpose()
}

/// One item, read inside a write.
pub async fn get_barang_tx(tx: &mut Tx, kode: &str) -> Result<Option<BarangRecord>, StoreError> {
    let sql = format!("SELECT {BARANG_COLS} FROM logistik_barang WHERE kode = $1");
    let row: Option<BarangRow> = crate::on_tx!(tx, c => sqlx::query_as(&sql).bind(kode).fetch_optional(c).await)?;
    row.map(TryInto::try_into).transpose()
}

/// Inserts a new item; false when the code is taken.
pub async fn insert_barang(tx: &mut Tx, b: &Barang, generated: bool) -> Result<bool, StoreError> {
    let n = crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO logistik_barang (kode, jenis, nama, spesifikasi, satuan, bulat, perlu_kedaluwarsa, konversi, generated, versi, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,1,$10) ON CONFLICT (kode) DO NOTHING")
        .bind(&b.kode).bind(b.jenis.as_str()).bind(&b.nama).bind(&b.spesifikasi).bind(&b.satuan).bind(b.bulat)
        .bind(b.perlu_kedaluwarsa).bind(Json(&b.konversi)).bind(generated).bind(Utc::now())
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Replaces an item if it is still at `versi`; false when it moved (or is gone).
pub async fn update_barang(tx: &mut Tx, b: &Barang, versi: i64) -> Result<bool, StoreError> {
    let n = crate::on_tx!(tx, c => sqlx::query(
        "UPDATE logistik_barang SET jenis = $2, nama = $3, spesifikasi = $4, satuan = $5, bulat = $6, perlu_kedaluwarsa = $7, \
         konversi = $8, versi = versi + 1, updated_at = $9 WHERE kode = $1 AND versi = $10")
        .bind(&b.kode).bind(b.jenis.as_str()).bind(&b.nama).bind(&b.spesifikasi).bind(&b.satuan).bind(b.bulat)
        .bind(b.perlu_kedaluwarsa).bind(Json(&b.konversi)).bind(Utc::now()).bind(versi)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A gudang as stored: located by the atlas.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct GudangRecord {
    pub kode: String,
    pub nama: String,
    pub alamat: Option<String>,
    pub lon: f64,
    pub lat: f64,
    /// Kelurahan code the atlas places the gudang in.
    pub kelurahan: String,
    /// Kota code, e.g. 31.71.
    pub kota: String,
    pub aktif: bool,
    pub generated: bool,
    pub versi: i64,
    pub updated_at: DateTime<Utc>,
}

const GUDANG_COLS: &str = "kode, nama, alamat, lon, lat, kelurahan, kota, aktif, generated, versi, updated_at";

pub async fn list_gudang(store: &Store) -> Result<Vec<GudangRecord>, StoreError> {
    let sql = format!("SELECT {GUDANG_COLS} FROM logistik_gudang ORDER BY kode");
    Ok(crate::on_pool!(store, p => sqlx::query_as(&sql).fetch_all(p).await)?)
}

pub async fn get_gudang(store: &Store, kode: &str) -> Result<Option<GudangRecord>, StoreError> {
    let sql = format!("SELECT {GUDANG_COLS} FROM logistik_gudang WHERE kode = $1");
    Ok(crate::on_pool!(store, p => sqlx::query_as(&sql).bind(kode).fetch_optional(p).await)?)
}

pub async fn get_gudang_tx(tx: &mut Tx, kode: &str) -> Result<Option<GudangRecord>, StoreError> {
    let sql = format!("SELECT {GUDANG_COLS} FROM logistik_gudang WHERE kode = $1");
    Ok(crate::on_tx!(tx, c => sqlx::query_as(&sql).bind(kode).fetch_optional(c).await)?)
}

/// Inserts a located gudang; false when the code is taken.
pub async fn insert_gudang(tx: &mut Tx, g: &NewGudang, kelurahan: &str, kota: &str, generated: bool) -> Result<bool, StoreError> {
    let n = crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO logistik_gudang (kode, nama, alamat, lon, lat, kelurahan, kota, aktif, generated, versi, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,1,$10) ON CONFLICT (kode) DO NOTHING")
        .bind(&g.kode).bind(&g.nama).bind(&g.alamat).bind(g.lon).bind(g.lat).bind(kelurahan).bind(kota).bind(g.aktif)
        .bind(generated).bind(Utc::now())
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Replaces a gudang if it is still at `versi`; false when it moved (or is gone).
pub async fn update_gudang(tx: &mut Tx, g: &NewGudang, kelurahan: &str, kota: &str, versi: i64) -> Result<bool, StoreError> {
    let n = crate::on_tx!(tx, c => sqlx::query(
        "UPDATE logistik_gudang SET nama = $2, alamat = $3, lon = $4, lat = $5, kelurahan = $6, kota = $7, aktif = $8, \
         versi = versi + 1, updated_at = $9 WHERE kode = $1 AND versi = $10")
        .bind(&g.kode).bind(&g.nama).bind(&g.alamat).bind(g.lon).bind(g.lat).bind(kelurahan).bind(kota).bind(g.aktif)
        .bind(Utc::now()).bind(versi)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A unit's current need or availability figure for one item.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct CatatanRow {
    pub unit: String,
    pub barang: String,
    /// kebutuhan | ketersediaan
    pub jenis: String,
    /// Thousandths of the item's base satuan (see `jumlah` in answers).
    #[serde(skip)]
    pub jumlah: i64,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub kelurahan: Option<String>,
    pub kota: Option<String>,
    pub tempat: Option<String>,
    pub catatan: Option<String>,
    pub versi: i64,
    pub actor: String,
    pub updated_at: DateTime<Utc>,
}

const CATATAN_COLS: &str = "unit, barang, jenis, jumlah, lon, lat, kelurahan, kota, tempat, catatan, versi, actor, updated_at";

/// What a write stores for one figure (already checked and located).
#[derive(Debug, Clone)]
pub struct NewCatatan<'a> {
    pub unit: &'a str,
    pub barang: &'a str,
    pub jenis: JenisCatatan,
    pub jumlah: i64,
    pub titik: Option<(f64, f64)>,
    pub kelurahan: Option<&'a str>,
    pub kota: Option<&'a str>,
    pub tempat: Option<&'a str>,
    pub catatan: Option<&'a str>,
}

pub async fn get_catatan_tx(tx: &mut Tx, unit: &str, barang: &str, jenis: JenisCatatan) -> Result<Option<CatatanRow>, StoreError> {
    let sql = format!("SELECT {CATATAN_COLS} FROM logistik_catatan WHERE unit = $1 AND barang = $2 AND jenis = $3");
    Ok(crate::on_tx!(tx, c => sqlx::query_as(&sql).bind(unit).bind(barang).bind(jenis.as_str()).fetch_optional(c).await)?)
}

/// Inserts or replaces one figure; a replacement bumps its versi.
pub async fn upsert_catatan(tx: &mut Tx, n: &NewCatatan<'_>, actor: &str) -> Result<(), StoreError> {
    let (lon, lat) = n.titik.unzip();
    crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO logistik_catatan (unit, barang, jenis, jumlah, lon, lat, kelurahan, kota, tempat, catatan, versi, actor, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,1,$11,$12) \
         ON CONFLICT (unit, barang, jenis) DO UPDATE SET jumlah = excluded.jumlah, lon = excluded.lon, lat = excluded.lat, \
         kelurahan = excluded.kelurahan, kota = excluded.kota, tempat = excluded.tempat, catatan = excluded.catatan, \
         versi = logistik_catatan.versi + 1, actor = excluded.actor, updated_at = excluded.updated_at")
        .bind(n.unit).bind(n.barang).bind(n.jenis.as_str()).bind(n.jumlah).bind(lon).bind(lat).bind(n.kelurahan).bind(n.kota)
        .bind(n.tempat).bind(n.catatan).bind(actor).bind(Utc::now())
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

pub async fn delete_catatan(tx: &mut Tx, unit: &str, barang: &str, jenis: JenisCatatan) -> Result<bool, StoreError> {
    let n = crate::on_tx!(tx, c => sqlx::query("DELETE FROM logistik_catatan WHERE unit = $1 AND barang = $2 AND jenis = $3")
        .bind(unit).bind(barang).bind(jenis.as_str()).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Every figure, optionally of one unit or one item, ordered by item then unit.
pub async fn list_catatan(store: &Store, unit: Option<&str>, barang: Option<&str>) -> Result<Vec<CatatanRow>, StoreError> {
    let sql = format!("SELECT {CATATAN_COLS} FROM logistik_catatan WHERE ($1 IS NULL OR unit = $1) AND ($2 IS NULL OR barang = $2) ORDER BY barang, unit, jenis");
    Ok(crate::on_pool!(store, p => sqlx::query_as(&sql).bind(unit).bind(barang).fetch_all(p).await)?)
}

/// Dispatchable stock per (barang, gudang): lots not expired on `today` (or without expiry).
pub async fn stok_per_gudang(store: &Store, today: NaiveDate) -> Result<Vec<(String, String, i64)>, StoreError> {
    let sql = "SELECT barang, gudang, CAST(SUM(jumlah) AS BIGINT) AS jumlah FROM logistik_saldo \
               WHERE kedaluwarsa IS NULL OR kedaluwarsa >= $1 GROUP BY barang, gudang ORDER BY barang, gudang";
    let rows: Vec<(String, String, i64)> = crate::on_pool!(store, p => sqlx::query_as(sql).bind(today).fetch_all(p).await)?;
    Ok(rows)
}

/// A pledge as stored (lines and history are read beside it).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct KomitmenRow {
    pub id: i64,
    /// The collaborator in the one registry (`ksbb_kolaborator`); null only for a pledge recorded
    /// before the registry was shared whose free-text name matched no approved collaborator.
    pub kolaborator_id: Option<i64>,
    /// The collaborator's name when the pledge was recorded (for old pledges: the name as typed).
    pub kolaborator: String,
    pub gudang: String,
    pub tanggal_harap: NaiveDate,
    pub status: String,
    pub catatan: Option<String>,
    pub versi: i64,
    pub actor: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Generated demo data (`sigap init`), not a real pledge.
    pub generated: bool,
}

/// One pledged line, quantities in thousandths of the base unit.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BarisRow {
    pub barang: String,
    pub jumlah: i64,
    pub diterima: i64,
}

/// One status change of a pledge.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct RiwayatRow {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub dari: Option<String>,
    pub ke: String,
    pub alasan: Option<String>,
}

const KOMITMEN_COLS: &str = "id, kolaborator_id, kolaborator, gudang, tanggal_harap, status, catatan, versi, actor, created_at, updated_at, generated";

/// Inserts a pledge in `draf`; `nama` is the registered collaborator's name, kept with it.
pub async fn insert_komitmen(tx: &mut Tx, k: &NewKomitmen, nama: &str, actor: &str, generated: bool) -> Result<i64, StoreError> {
    let now = Utc::now();
    let id: i64 = crate::on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO logistik_komitmen (kolaborator_id, kolaborator, gudang, tanggal_harap, status, catatan, versi, actor, created_at, updated_at, generated) \
         VALUES ($7,$1,$2,$3,'draf',$4,1,$5,$6,$6,$8) RETURNING id")
        .bind(nama).bind(&k.gudang).bind(k.tanggal_harap).bind(&k.catatan).bind(actor).bind(now).bind(k.kolaborator_id).bind(generated)
        .fetch_one(c).await)?;
    Ok(id)
}

pub async fn insert_baris(tx: &mut Tx, id: i64, barang: &str, jumlah: i64) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("INSERT INTO logistik_komitmen_baris (komitmen_id, barang, jumlah, diterima) VALUES ($1,$2,$3,0)")
        .bind(id).bind(barang).bind(jumlah).execute(c).await.map(|_| ()))?;
    Ok(())
}

pub async fn insert_riwayat(tx: &mut Tx, id: i64, actor: &str, dari: Option<&str>, ke: &str, alasan: Option<&str>) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("INSERT INTO logistik_komitmen_riwayat (komitmen_id, at, actor, dari, ke, alasan) VALUES ($1,$2,$3,$4,$5,$6)")
        .bind(id).bind(Utc::now()).bind(actor).bind(dari).bind(ke).bind(alasan).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Links an unlinked pledge to a registered collaborator at the versi it was read at; false when
/// it moved or is linked already.
pub async fn set_komitmen_kolaborator(tx: &mut Tx, id: i64, kolaborator_id: i64, versi: i64) -> Result<bool, StoreError> {
    let n = crate::on_tx!(tx, c => sqlx::query(
        "UPDATE logistik_komitmen SET kolaborator_id = $2, versi = versi + 1, updated_at = $4 WHERE id = $1 AND versi = $3 AND kolaborator_id IS NULL")
        .bind(id).bind(kolaborator_id).bind(versi).bind(Utc::now()).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Moves a pledge from the status and versi it was read at; false when it moved.
pub async fn set_komitmen_status(tx: &mut Tx, id: i64, from: &str, to: &str, versi: i64) -> Result<bool, StoreError> {
    let n = crate::on_tx!(tx, c => sqlx::query(
        "UPDATE logistik_komitmen SET status = $3, versi = versi + 1, updated_at = $4 WHERE id = $1 AND status = $2 AND versi = $5")
        .bind(id).bind(from).bind(to).bind(Utc::now()).bind(versi).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A pledge, its lines and its history, on any executor (`$e` is evaluated once per query, so a
/// transaction's connection is reborrowed each time).
macro_rules! read_komitmen {
    ($e:expr, $id:expr) => {{
        let sql = format!("SELECT {KOMITMEN_COLS} FROM logistik_komitmen WHERE id = $1");
        match sqlx::query_as::<_, KomitmenRow>(&sql).bind($id).fetch_optional($e).await? {
            None => Ok(None),
            Some(head) => {
                let baris: Vec<BarisRow> = sqlx::query_as("SELECT barang, jumlah, diterima FROM logistik_komitmen_baris WHERE komitmen_id = $1 ORDER BY barang")
                    .bind($id).fetch_all($e).await?;
                let riwayat: Vec<RiwayatRow> = sqlx::query_as("SELECT at, actor, dari, ke, alasan FROM logistik_komitmen_riwayat WHERE komitmen_id = $1 ORDER BY id")
                    .bind($id).fetch_all($e).await?;
                Ok::<_, sqlx::Error>(Some((head, baris, riwayat)))
            }
        }
    }};
}

/// A pledge with lines and history, read inside a write.
pub async fn get_komitmen_tx(tx: &mut Tx, id: i64) -> Result<Option<(KomitmenRow, Vec<BarisRow>, Vec<RiwayatRow>)>, StoreError> {
    Ok(crate::on_tx!(tx, c => read_komitmen!(&mut *c, id))?)
}

/// A pledge with lines and history.
pub async fn get_komitmen(store: &Store, id: i64) -> Result<Option<(KomitmenRow, Vec<BarisRow>, Vec<RiwayatRow>)>, StoreError> {
    Ok(crate::on_pool!(store, p => read_komitmen!(p, id))?)
}

/// Pledges, optionally of one status, newest first.
pub async fn list_komitmen(store: &Store, status: Option<&str>) -> Result<Vec<KomitmenRow>, StoreError> {
    list_komitmen_of(store, status, None).await
}

/// Pledges, optionally of one status and of one registered collaborator, newest first.
pub async fn list_komitmen_of(store: &Store, status: Option<&str>, kolaborator_id: Option<i64>) -> Result<Vec<KomitmenRow>, StoreError> {
    let sql = format!("SELECT {KOMITMEN_COLS} FROM logistik_komitmen WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR kolaborator_id = $2) ORDER BY id DESC");
    Ok(crate::on_pool!(store, p => sqlx::query_as(&sql).bind(status).bind(kolaborator_id).fetch_all(p).await)?)
}

/// A receipt at a gudang as stored (lines and photos are read beside it).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct PenerimaanRow {
    pub id: i64,
    pub gudang: String,
    pub komitmen_id: Option<i64>,
    pub pengirim: String,
    pub bast_nomor: String,
    pub bast_tanggal: NaiveDate,
    pub catatan: Option<String>,
    pub actor: String,
    pub created_at: DateTime<Utc>,
    /// Generated demo data (`sigap init`), not a real receipt.
    pub generated: bool,
}

/// One checked line of a receipt, quantities in thousandths of the base unit.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PenerimaanBarisRow {
    pub no: i64,
    pub barang: String,
    pub lot: String,
    pub kedaluwarsa: Option<NaiveDate>,
    pub diumumkan: i64,
    pub diterima: i64,
    pub ditolak: i64,
    pub alasan_tolak: Option<String>,
    pub kondisi: Option<String>,
}

/// A photo's record (the bytes are in the AttachmentStore under `storage_key`).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct FotoRow {
    pub id: i64,
    #[serde(skip)]
    pub storage_key: String,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
    pub actor: String,
    pub created_at: DateTime<Utc>,
}

const PENERIMAAN_COLS: &str = "id, gudang, komitmen_id, pengirim, bast_nomor, bast_tanggal, catatan, actor, created_at, generated";

/// Inserts a receipt head; `None` when its BAST number is already used (the unique index decides,
/// so two clients racing with one number cannot both win on either store).
pub async fn insert_penerimaan(tx: &mut Tx, p: &super::penerimaan::NewPenerimaan, actor: &str, generated: bool) -> Result<Option<i64>, StoreError> {
    let id: Option<i64> = crate::on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO logistik_penerimaan (gudang, komitmen_id, pengirim, bast_nomor, bast_tanggal, catatan, actor, created_at, generated) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (bast_nomor) DO NOTHING RETURNING id")
        .bind(&p.gudang).bind(p.komitmen_id).bind(&p.pengirim).bind(&p.bast_nomor).bind(p.bast_tanggal).bind(&p.catatan)
        .bind(actor).bind(Utc::now()).bind(generated).fetch_optional(c).await)?;
    Ok(id)
}

/// The receipt that holds a BAST number, if any.
pub async fn penerimaan_by_bast_tx(tx: &mut Tx, nomor: &str) -> Result<Option<i64>, StoreError> {
    Ok(crate::on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM logistik_penerimaan WHERE bast_nomor = $1").bind(nomor).fetch_optional(c).await)?)
}

pub async fn insert_penerimaan_baris(tx: &mut Tx, id: i64, no: i64, b: &super::penerimaan::NewBaris) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO logistik_penerimaan_baris (penerimaan_id, no, barang, lot, kedaluwarsa, diumumkan, diterima, ditolak, alasan_tolak, kondisi) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)")
        .bind(id).bind(no).bind(&b.barang).bind(&b.lot).bind(b.kedaluwarsa).bind(b.diumumkan).bind(b.diterima).bind(b.ditolak)
        .bind(b.alasan_tolak.map(|a| a.as_str())).bind(&b.kondisi).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Adds `delta` to a pledge line's received quantity.
pub async fn add_komitmen_diterima(tx: &mut Tx, id: i64, barang: &str, delta: i64) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("UPDATE logistik_komitmen_baris SET diterima = diterima + $3 WHERE komitmen_id = $1 AND barang = $2")
        .bind(id).bind(barang).bind(delta).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// A receipt, its lines and its photos, on any executor.
macro_rules! read_penerimaan {
    ($e:expr, $id:expr) => {{
        let sql = format!("SELECT {PENERIMAAN_COLS} FROM logistik_penerimaan WHERE id = $1");
        match sqlx::query_as::<_, PenerimaanRow>(&sql).bind($id).fetch_optional($e).await? {
            None => Ok(None),
            Some(head) => {
                let baris: Vec<PenerimaanBarisRow> = sqlx::query_as(
                    "SELECT CAST(no AS BIGINT) AS no, barang, lot, kedaluwarsa, diumumkan, diterima, ditolak, alasan_tolak, kondisi \
                     FROM logistik_penerimaan_baris WHERE penerimaan_id = $1 ORDER BY no")
                    .bind($id).fetch_all($e).await?;
                let foto: Vec<FotoRow> = sqlx::query_as(
                    "SELECT id, storage_key, content_type, bytes, sha256, actor, created_at FROM logistik_foto \
                     WHERE dokumen = 'penerimaan' AND dokumen_id = $1 ORDER BY id")
                    .bind($id).fetch_all($e).await?;
                Ok::<_, sqlx::Error>(Some((head, baris, foto)))
            }
        }
    }};
}

/// A receipt with lines and photos, read inside a write.
pub async fn get_penerimaan_tx(tx: &mut Tx, id: i64) -> Result<Option<(PenerimaanRow, Vec<PenerimaanBarisRow>, Vec<FotoRow>)>, StoreError> {
    Ok(crate::on_tx!(tx, c => read_penerimaan!(&mut *c, id))?)
}

/// A receipt with lines and photos.
pub async fn get_penerimaan(store: &Store, id: i64) -> Result<Option<(PenerimaanRow, Vec<PenerimaanBarisRow>, Vec<FotoRow>)>, StoreError> {
    Ok(crate::on_pool!(store, p => read_penerimaan!(p, id))?)
}

/// Receipts, optionally at one gudang, newest first.
pub async fn list_penerimaan(store: &Store, gudang: Option<&str>) -> Result<Vec<PenerimaanRow>, StoreError> {
    let sql = format!("SELECT {PENERIMAAN_COLS} FROM logistik_penerimaan WHERE ($1 IS NULL OR gudang = $1) ORDER BY id DESC");
    Ok(crate::on_pool!(store, p => sqlx::query_as(&sql).bind(gudang).fetch_all(p).await)?)
}

/// Locks a paper's head row (a no-op update) so concurrent photo uploads to it are counted one
/// after another on both stores; false when it does not exist.
pub async fn lock_dokumen(tx: &mut Tx, dokumen: &str, id: i64) -> Result<bool, StoreError> {
    let sql = match dokumen {
        "penerimaan" => "UPDATE logistik_penerimaan SET id = id WHERE id = $1",
        "permintaan" => "UPDATE logistik_permintaan SET id = id WHERE id = $1",
        other => return Err(StoreError::Invalid(format!("no logistics paper {other}"))),
    };
    let n = crate::on_tx!(tx, c => sqlx::query(sql).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The photos of one paper, read inside a write.
pub async fn fotos_tx(tx: &mut Tx, dokumen: &str, id: i64) -> Result<Vec<FotoRow>, StoreError> {
    Ok(crate::on_tx!(tx, c => sqlx::query_as(
        "SELECT id, storage_key, content_type, bytes, sha256, actor, created_at FROM logistik_foto WHERE dokumen = $1 AND dokumen_id = $2 ORDER BY id")
        .bind(dokumen).bind(id).fetch_all(c).await)?)
}

/// The photos of one paper.
pub async fn fotos(store: &Store, dokumen: &str, id: i64) -> Result<Vec<FotoRow>, StoreError> {
    Ok(crate::on_pool!(store, p => sqlx::query_as(
        "SELECT id, storage_key, content_type, bytes, sha256, actor, created_at FROM logistik_foto WHERE dokumen = $1 AND dokumen_id = $2 ORDER BY id")
        .bind(dokumen).bind(id).fetch_all(p).await)?)
}

/// A photo put in the AttachmentStore, not yet recorded (see `ops::stage_foto`).
pub struct StagedFoto {
    pub key: String,
    pub content_type: &'static str,
    pub sha256: String,
    pub bytes: i64,
}

/// Records a stored photo of a paper; returns its id.
pub async fn insert_foto(tx: &mut Tx, dokumen: &str, id: i64, f: &StagedFoto, actor: &str) -> Result<i64, StoreError> {
    let (key, content_type, bytes, sha) = (&f.key, f.content_type, f.bytes, &f.sha256);
    Ok(crate::on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO logistik_foto (dokumen, dokumen_id, storage_key, content_type, bytes, sha256, actor, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id")
        .bind(dokumen).bind(id).bind(key).bind(content_type).bind(bytes).bind(sha).bind(actor).bind(Utc::now()).fetch_one(c).await)?)
}

/// One movement of the stock ledger, as written.
#[derive(Debug, Clone)]
pub struct NewMutasi<'a> {
    pub jenis: &'a str,
    pub gudang: &'a str,
    pub barang: &'a str,
    pub lot: &'a str,
    pub kedaluwarsa: Option<NaiveDate>,
    /// Signed: positive into the gudang, negative out of it.
    pub jumlah: i64,
    pub referensi: Option<&'a str>,
    pub alasan: Option<&'a str>,
}

/// A balance row: one lot of one item in one gudang.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct SaldoRow {
    pub gudang: String,
    pub barang: String,
    pub lot: String,
    pub kedaluwarsa: Option<NaiveDate>,
    /// Thousandths of the base unit.
    #[serde(skip)]
    pub jumlah: i64,
}

/// One lot's balance, read inside a write.
pub async fn saldo_lot_tx(tx: &mut Tx, gudang: &str, barang: &str, lot: &str) -> Result<Option<SaldoRow>, StoreError> {
    Ok(crate::on_tx!(tx, c => sqlx::query_as(
        "SELECT gudang, barang, lot, kedaluwarsa, jumlah FROM logistik_saldo WHERE gudang = $1 AND barang = $2 AND lot = $3")
        .bind(gudang).bind(barang).bind(lot).fetch_optional(c).await)?)
}

/// Appends a movement and applies it to the balance, in the caller's transaction. A movement out
/// takes only from a balance that holds it (`jumlah >= n` in the UPDATE's own condition, which
/// PostgreSQL re-checks on the locked row and SQLite's single writer sees current): false, and
/// nothing written, when the lot does not hold it — the balance is never negative and two
/// clients can never both take the last units.
pub async fn apply_mutasi(tx: &mut Tx, m: &NewMutasi<'_>, actor: &str) -> Result<bool, StoreError> {
    let moved = if m.jumlah > 0 {
        crate::on_tx!(tx, c => sqlx::query(
            "INSERT INTO logistik_saldo (gudang, barang, lot, kedaluwarsa, jumlah) VALUES ($1,$2,$3,$4,$5) \
             ON CONFLICT (gudang, barang, lot) DO UPDATE SET jumlah = logistik_saldo.jumlah + excluded.jumlah")
            .bind(m.gudang).bind(m.barang).bind(m.lot).bind(m.kedaluwarsa).bind(m.jumlah).execute(c).await.map(|r| r.rows_affected()))?
    } else {
        crate::on_tx!(tx, c => sqlx::query(
            "UPDATE logistik_saldo SET jumlah = jumlah - $4 WHERE gudang = $1 AND barang = $2 AND lot = $3 AND jumlah >= $4")
            .bind(m.gudang).bind(m.barang).bind(m.lot).bind(-m.jumlah).execute(c).await.map(|r| r.rows_affected()))?
    };
    if moved == 0 {
        return Ok(false);
    }
    crate::on_tx!(tx, c => sqlx::query(
        "INSERT INTO logistik_mutasi (at, jenis, gudang, barang, lot, kedaluwarsa, jumlah, ref, alasan, actor) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)")
        .bind(Utc::now()).bind(m.jenis).bind(m.gudang).bind(m.barang).bind(m.lot).bind(m.kedaluwarsa).bind(m.jumlah)
        .bind(m.referensi).bind(m.alasan).bind(actor).execute(c).await.map(|_| ()))?;
    Ok(true)
}

/// Locks one gudang's row (a no-op update of a non-key column, so foreign-key checks of other
/// writers are not blocked): the lock every stock change at that gudang takes first.
pub async fn lock_gudang(tx: &mut Tx, kode: &str) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("UPDATE logistik_gudang SET versi = versi WHERE kode = $1").bind(kode).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// The lots of one item in one gudang with a balance, read inside a write.
pub async fn lots_tx(tx: &mut Tx, gudang: &str, barang: &str) -> Result<Vec<super::stok::Lot>, StoreError> {
    let rows: Vec<(String, Option<NaiveDate>, i64)> = crate::on_tx!(tx, c => sqlx::query_as(
        "SELECT lot, kedaluwarsa, jumlah FROM logistik_saldo WHERE gudang = $1 AND barang = $2 AND jumlah > 0 ORDER BY lot")
        .bind(gudang).bind(barang).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(lot, kedaluwarsa, jumlah)| super::stok::Lot { lot, kedaluwarsa, jumlah }).collect())
}

/// Balances with something in them, optionally of one gudang and/or item, optionally only lots
/// expiring by `sampai` (those with an expiry), ordered by gudang, item, expiry, lot.
pub async fn list_saldo(store: &Store, gudang: Option<&str>, barang: Option<&str>, sampai: Option<NaiveDate>) -> Result<Vec<SaldoRow>, StoreError> {
    let sql = "SELECT gudang, barang, lot, kedaluwarsa, jumlah FROM logistik_saldo \
               WHERE jumlah > 0 AND ($1 IS NULL OR gudang = $1) AND ($2 IS NULL OR barang = $2) AND ($3 IS NULL OR kedaluwarsa <= $3) \
               ORDER BY gudang, barang, kedaluwarsa IS NULL, kedaluwarsa, lot";
    Ok(crate::on_pool!(store, p => sqlx::query_as(sql).bind(gudang).bind(barang).bind(sampai).fetch_all(p).await)?)
}

/// One movement of the ledger as stored.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct MutasiRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub jenis: String,
    pub gudang: String,
    pub barang: String,
    pub lot: String,
    pub kedaluwarsa: Option<NaiveDate>,
    /// Thousandths of the base unit, signed (see `jumlah` in answers).
    #[serde(skip)]
    pub jumlah: i64,
    #[serde(rename = "ref")]
    pub referensi: Option<String>,
    pub alasan: Option<String>,
    pub actor: String,
}

/// Which movements to list.
#[derive(Debug, Clone, Default)]
pub struct MutasiFilter<'a> {
    pub gudang: Option<&'a str>,
    pub barang: Option<&'a str>,
    pub lot: Option<&'a str>,
    /// Only movements with a smaller id (paging back).
    pub sebelum: Option<i64>,
}

/// Movements, newest first, as filtered; at most `limit`.
pub async fn list_mutasi(store: &Store, f: &MutasiFilter<'_>, limit: i64) -> Result<Vec<MutasiRow>, StoreError> {
    let sql = "SELECT id, at, jenis, gudang, barang, lot, kedaluwarsa, jumlah, ref AS referensi, alasan, actor FROM logistik_mutasi \
               WHERE ($1 IS NULL OR gudang = $1) AND ($2 IS NULL OR barang = $2) AND ($3 IS NULL OR lot = $3) AND ($4 IS NULL OR id < $4) \
               ORDER BY id DESC LIMIT $5";
    Ok(crate::on_pool!(store, p => sqlx::query_as(sql).bind(f.gudang).bind(f.barang).bind(f.lot).bind(f.sebelum).bind(limit).fetch_all(p).await)?)
}

/// A request as stored (lines and history are read beside it).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct PermintaanRow {
    pub id: i64,
    pub unit: String,
    pub lon: f64,
    pub lat: f64,
    pub kelurahan: String,
    pub kota: String,
    pub tempat: Option<String>,
    pub status: String,
    pub gudang: Option<String>,
    pub surat_jalan: Option<String>,
    pub bast_nomor: Option<String>,
    pub bast_tanggal: Option<NaiveDate>,
    pub catatan: Option<String>,
    pub versi: i64,
    pub actor: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Generated demo data (`sigap init`), not a real request.
    pub generated: bool,
}

/// One requested line through its stages, thousandths of the base unit.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PermintaanBarisRow {
    pub barang: String,
    pub diminta: i64,
    pub disetujui: Option<i64>,
    pub dikirim: Option<i64>,
    pub diterima: Option<i64>,
    pub rusak: Option<i64>,
    pub kurang: Option<i64>,
}

const PERMINTAAN_COLS: &str = "id, unit, lon, lat, kelurahan, kota, tempat, status, gudang, surat_jalan, bast_nomor, bast_tanggal, catatan, versi, actor, created_at, updated_at, generated";

/// What a new request stores (checked and located).
pub struct NewPermintaan<'a> {
    pub unit: &'a str,
    pub titik: (f64, f64),
    pub kelurahan: &'a str,
    pub kota: &'a str,
    pub tempat: Option<&'a str>,
    pub catatan: Option<&'a str>,
    pub generated: bool,
}

pub async fn insert_permintaan(tx: &mut Tx, p: &NewPermintaan<'_>, actor: &str) -> Result<i64, StoreError> {
    let now = Utc::now();
    Ok(crate::on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO logistik_permintaan (unit, lon, lat, kelurahan, kota, tempat, status, catatan, versi, actor, created_at, updated_at, generated) \
         VALUES ($1,$2,$3,$4,$5,$6,'diajukan',$7,1,$8,$9,$9,$10) RETURNING id")
        .bind(p.unit).bind(p.titik.0).bind(p.titik.1).bind(p.kelurahan).bind(p.kota).bind(p.tempat).bind(p.catatan).bind(actor).bind(now).bind(p.generated)
        .fetch_one(c).await)?)
}

pub async fn insert_permintaan_baris(tx: &mut Tx, id: i64, barang: &str, diminta: i64) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("INSERT INTO logistik_permintaan_baris (permintaan_id, barang, diminta) VALUES ($1,$2,$3)")
        .bind(id).bind(barang).bind(diminta).execute(c).await.map(|_| ()))?;
    Ok(())
}

pub async fn insert_permintaan_riwayat(tx: &mut Tx, id: i64, actor: &str, dari: Option<&str>, ke: &str, alasan: Option<&str>) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("INSERT INTO logistik_permintaan_riwayat (permintaan_id, at, actor, dari, ke, alasan) VALUES ($1,$2,$3,$4,$5,$6)")
        .bind(id).bind(Utc::now()).bind(actor).bind(dari).bind(ke).bind(alasan).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// The fields a step sets beside the status (`None` leaves a field as it is).
#[derive(Debug, Default)]
pub struct Langkah<'a> {
    pub gudang: Option<&'a str>,
    pub surat_jalan: Option<&'a str>,
    pub bast: Option<(&'a str, NaiveDate)>,
}

/// Moves a request from the status and versi it was read at; false when it moved since.
pub async fn set_permintaan_status(tx: &mut Tx, id: i64, from: &str, to: &str, versi: i64, l: &Langkah<'_>) -> Result<bool, StoreError> {
    let (bast, tanggal) = l.bast.unzip();
    let n = crate::on_tx!(tx, c => sqlx::query(
        "UPDATE logistik_permintaan SET status = $3, versi = versi + 1, updated_at = $4, gudang = COALESCE($6, gudang), \
         surat_jalan = COALESCE($7, surat_jalan), bast_nomor = COALESCE($8, bast_nomor), bast_tanggal = COALESCE($9, bast_tanggal) \
         WHERE id = $1 AND status = $2 AND versi = $5")
        .bind(id).bind(from).bind(to).bind(Utc::now()).bind(versi).bind(l.gudang).bind(l.surat_jalan).bind(bast).bind(tanggal)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Sets one stage's quantity of a line (`kolom` is one of the stage columns).
pub async fn set_permintaan_baris(tx: &mut Tx, id: i64, barang: &str, kolom: &str, jumlah: i64) -> Result<(), StoreError> {
    let sql = match kolom {
        "disetujui" => "UPDATE logistik_permintaan_baris SET disetujui = $3 WHERE permintaan_id = $1 AND barang = $2",
        "dikirim" => "UPDATE logistik_permintaan_baris SET dikirim = $3 WHERE permintaan_id = $1 AND barang = $2",
        other => return Err(StoreError::Invalid(format!("no request stage {other}"))),
    };
    crate::on_tx!(tx, c => sqlx::query(sql).bind(id).bind(barang).bind(jumlah).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Removes a request's lines (a resubmission replaces them; only before any approval).
pub async fn delete_permintaan_baris(tx: &mut Tx, id: i64) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("DELETE FROM logistik_permintaan_baris WHERE permintaan_id = $1").bind(id).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Records what the unit confirmed for a line.
pub async fn set_permintaan_terima(tx: &mut Tx, id: i64, barang: &str, diterima: i64, rusak: i64, kurang: i64) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("UPDATE logistik_permintaan_baris SET diterima = $3, rusak = $4, kurang = $5 WHERE permintaan_id = $1 AND barang = $2")
        .bind(id).bind(barang).bind(diterima).bind(rusak).bind(kurang).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// The request holding a BAST number, if any.
pub async fn permintaan_by_bast_tx(tx: &mut Tx, nomor: &str) -> Result<Option<i64>, StoreError> {
    Ok(crate::on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM logistik_permintaan WHERE bast_nomor = $1").bind(nomor).fetch_optional(c).await)?)
}

macro_rules! read_permintaan {
    ($e:expr, $id:expr) => {{
        let sql = format!("SELECT {PERMINTAAN_COLS} FROM logistik_permintaan WHERE id = $1");
        match sqlx::query_as::<_, PermintaanRow>(&sql).bind($id).fetch_optional($e).await? {
            None => Ok(None),
            Some(head) => {
                let baris: Vec<PermintaanBarisRow> = sqlx::query_as(
                    "SELECT barang, diminta, disetujui, dikirim, diterima, rusak, kurang FROM logistik_permintaan_baris WHERE permintaan_id = $1 ORDER BY barang")
                    .bind($id).fetch_all($e).await?;
                let riwayat: Vec<RiwayatRow> = sqlx::query_as("SELECT at, actor, dari, ke, alasan FROM logistik_permintaan_riwayat WHERE permintaan_id = $1 ORDER BY id")
                    .bind($id).fetch_all($e).await?;
                let kiriman: Vec<MutasiRow> = sqlx::query_as(
                    "SELECT id, at, jenis, gudang, barang, lot, kedaluwarsa, jumlah, ref AS referensi, alasan, actor FROM logistik_mutasi WHERE ref = $1 ORDER BY id")
                    .bind(format!("permintaan/{}", $id)).fetch_all($e).await?;
                Ok::<_, sqlx::Error>(Some((head, baris, riwayat, kiriman)))
            }
        }
    }};
}

/// A request with its lines, history and the ledger rows of its dispatch.
pub type PermintaanRows = (PermintaanRow, Vec<PermintaanBarisRow>, Vec<RiwayatRow>, Vec<MutasiRow>);

pub async fn get_permintaan_tx(tx: &mut Tx, id: i64) -> Result<Option<PermintaanRows>, StoreError> {
    Ok(crate::on_tx!(tx, c => read_permintaan!(&mut *c, id))?)
}

pub async fn get_permintaan(store: &Store, id: i64) -> Result<Option<PermintaanRows>, StoreError> {
    Ok(crate::on_pool!(store, p => read_permintaan!(p, id))?)
}

/// Requests, optionally of one status and/or unit, newest first.
pub async fn list_permintaan(store: &Store, status: Option<&str>, unit: Option<&str>) -> Result<Vec<PermintaanRow>, StoreError> {
    let sql = format!("SELECT {PERMINTAAN_COLS} FROM logistik_permintaan WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR unit = $2) ORDER BY id DESC");
    Ok(crate::on_pool!(store, p => sqlx::query_as(&sql).bind(status).bind(unit).fetch_all(p).await)?)
}

/// Active gudang with their points, read inside a write (for the nearest one with stock).
pub async fn gudang_aktif_tx(tx: &mut Tx) -> Result<Vec<GudangRecord>, StoreError> {
    let sql = format!("SELECT {GUDANG_COLS} FROM logistik_gudang WHERE aktif ORDER BY kode");
    Ok(crate::on_tx!(tx, c => sqlx::query_as(&sql).fetch_all(c).await)?)
}

/// Balances per gudang × item at `akhir` from the ledger (movements before it), with the part in
/// lots expiring before `kedaluwarsa_sebelum`. Lines that sum to zero are left out.
pub async fn stok_akhir(store: &Store, akhir: DateTime<Utc>, kedaluwarsa_sebelum: NaiveDate) -> Result<Vec<super::laporan::StokAkhir>, StoreError> {
    let sql = "SELECT gudang, barang, CAST(SUM(jumlah) AS BIGINT) AS jumlah, \
               CAST(SUM(CASE WHEN kedaluwarsa < $2 THEN jumlah ELSE 0 END) AS BIGINT) AS kedaluwarsa \
               FROM logistik_mutasi WHERE at < $1 GROUP BY gudang, barang ORDER BY gudang, barang";
    let rows: Vec<(String, String, i64, i64)> = crate::on_pool!(store, p => sqlx::query_as(sql).bind(akhir).bind(kedaluwarsa_sebelum).fetch_all(p).await)?;
    Ok(rows.into_iter().filter(|r| r.2 != 0).map(|(gudang, barang, jumlah, kedaluwarsa)| super::laporan::StokAkhir { gudang, barang, jumlah, kedaluwarsa }).collect())
}

/// The same from the balance table (the current stock: what `stok_akhir` gives for now, without
/// reading the whole ledger).
pub async fn stok_kini(store: &Store, kedaluwarsa_sebelum: NaiveDate) -> Result<Vec<super::laporan::StokAkhir>, StoreError> {
    let sql = "SELECT gudang, barang, CAST(SUM(jumlah) AS BIGINT) AS jumlah, \
               CAST(SUM(CASE WHEN kedaluwarsa < $1 THEN jumlah ELSE 0 END) AS BIGINT) AS kedaluwarsa \
               FROM logistik_saldo GROUP BY gudang, barang ORDER BY gudang, barang";
    let rows: Vec<(String, String, i64, i64)> = crate::on_pool!(store, p => sqlx::query_as(sql).bind(kedaluwarsa_sebelum).fetch_all(p).await)?;
    Ok(rows.into_iter().filter(|r| r.2 != 0).map(|(gudang, barang, jumlah, kedaluwarsa)| super::laporan::StokAkhir { gudang, barang, jumlah, kedaluwarsa }).collect())
}

/// Accepted receipts per gudang × item booked in `[mulai, akhir)`.
pub async fn masuk(store: &Store, mulai: DateTime<Utc>, akhir: DateTime<Utc>) -> Result<Vec<super::laporan::Masuk>, StoreError> {
    let sql = "SELECT gudang, barang, CAST(SUM(jumlah) AS BIGINT) AS jumlah FROM logistik_mutasi \
               WHERE jenis = 'penerimaan' AND at >= $1 AND at < $2 GROUP BY gudang, barang ORDER BY gudang, barang";
    let rows: Vec<(String, String, i64)> = crate::on_pool!(store, p => sqlx::query_as(sql).bind(mulai).bind(akhir).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|(gudang, barang, jumlah)| super::laporan::Masuk { gudang, barang, jumlah }).collect())
}

/// Dispatches per gudang × item × requesting unit (and the kota of its delivery point) in
/// `[mulai, akhir)`, positive.
pub async fn keluar(store: &Store, mulai: DateTime<Utc>, akhir: DateTime<Utc>) -> Result<Vec<super::laporan::Keluar>, StoreError> {
    let sql = "SELECT m.gudang, m.barang, p.unit, p.kota, CAST(-SUM(m.jumlah) AS BIGINT) AS jumlah \
               FROM logistik_mutasi m JOIN logistik_permintaan p ON m.ref = 'permintaan/' || CAST(p.id AS TEXT) \
               WHERE m.jenis = 'pengeluaran' AND m.at >= $1 AND m.at < $2 \
               GROUP BY m.gudang, m.barang, p.unit, p.kota ORDER BY m.gudang, m.barang, p.unit";
    let rows: Vec<(String, String, String, String, i64)> = crate::on_pool!(store, p => sqlx::query_as(sql).bind(mulai).bind(akhir).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|(gudang, barang, unit, kota, jumlah)| super::laporan::Keluar { gudang, barang, unit, kota, jumlah }).collect())
}

/// Whether any figure of a report ending before `akhir` may come from generated demo papers
/// (receipts or requests `sigap init` made): their movements count in the balance at the end and
/// in the period, so the report says it contains generated data.
pub async fn ada_generated(store: &Store, akhir: DateTime<Utc>) -> Result<bool, StoreError> {
    let sql = "SELECT CASE WHEN EXISTS (SELECT 1 FROM logistik_penerimaan WHERE generated AND created_at < $1) \
               OR EXISTS (SELECT 1 FROM logistik_permintaan WHERE generated AND created_at < $1) THEN 1 ELSE 0 END";
    let n: i32 = crate::on_pool!(store, p => sqlx::query_scalar(sql).bind(akhir).fetch_one(p).await)?;
    Ok(n == 1)
}
