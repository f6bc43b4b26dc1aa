//! What the roll-up reads, on either store (portable SQL): five grouped queries, one revision.

use super::rekap::{KonfirmasiSite, Penerima, Realisasi, Rows, SiteRow, UmkmCount};
use crate::store::{Store, StoreError};
use sqlx::Row;

/// The revision of the KSBB data the roll-up depends on (bumped by triggers, migration 1006).
pub async fn revision(store: &Store) -> Result<i64, StoreError> {
    Ok(crate::on_pool!(store, p => sqlx::query("SELECT rev FROM ksbb_revision WHERE id = 1").fetch_one(p).await?.try_get("rev"))?)
}

#[derive(sqlx::FromRow)]
struct SiteDb {
    id: i64,
    kode: String,
    nama: String,
    jenis: String,
    lon: f64,
    lat: f64,
    kapasitas: i64,
    kelurahan: String,
    status: String,
    generated: bool,
}

#[derive(sqlx::FromRow)]
struct UmkmDb {
    kelurahan: Option<String>,
    site_id: Option<i64>,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct KonfDb {
    konfirmasi_id: i64,
    bentuk: String,
    nilai_per_paket: i64,
    jumlah_paket: i64,
    site_id: i64,
}

#[derive(sqlx::FromRow)]
struct PenerimaDb {
    konfirmasi_id: i64,
    umkm_kode: String,
    plafon: i64,
    kelurahan: Option<String>,
    site_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct RealDb {
    konfirmasi_id: i64,
    pelapor_id: i64,
    jenis: String,
    umkm_kode: String,
    kelurahan: Option<String>,
    site_id: Option<i64>,
    jumlah: i64,
}

const SITES: &str = "SELECT id, kode, nama, jenis, lon, lat, kapasitas, kelurahan, status, generated FROM ksbb_site";
const UMKM: &str = "SELECT kelurahan, site_id, COUNT(*) AS n FROM ksbb_umkm WHERE status_verifikasi <> 'ditolak' GROUP BY kelurahan, site_id";
const KONFIRMASI: &str = "SELECT k.id AS konfirmasi_id, k.bentuk, COALESCE(k.nilai_per_paket, 0) AS nilai_per_paket, \
     COALESCE(k.jumlah_paket, 0) AS jumlah_paket, ks.site_id FROM ksbb_konfirmasi k JOIN ksbb_konfirmasi_site ks ON ks.konfirmasi_id = k.id";
const PENERIMA: &str = "SELECT ku.konfirmasi_id, ku.umkm_kode, ku.plafon, u.kelurahan, u.site_id FROM ksbb_konfirmasi_umkm ku \
     JOIN ksbb_umkm u ON u.kode = ku.umkm_kode WHERE u.status_verifikasi <> 'ditolak'";
const REALISASI: &str = "SELECT ru.konfirmasi_id, r.pelapor_id, r.jenis, ru.umkm_kode, u.kelurahan, u.site_id, CAST(SUM(ru.jumlah) AS BIGINT) AS jumlah \
     FROM ksbb_realisasi_umkm ru JOIN ksbb_realisasi r ON r.id = ru.realisasi_id JOIN ksbb_umkm u ON u.kode = ru.umkm_kode \
     WHERE r.jenis IN ('bast', 'disbursement') AND u.status_verifikasi <> 'ditolak' \
     GROUP BY ru.konfirmasi_id, r.pelapor_id, r.jenis, ru.umkm_kode, u.kelurahan, u.site_id";

/// Reads the revision and the rows in one read transaction (a consistent snapshot on PostGIS —
/// REPEATABLE READ — and on SQLite, where a read transaction sees one WAL state), so the numbers
/// match the revision they are cached under. A read transaction, not `Store::begin` (a writer).
pub async fn read(store: &Store) -> Result<(i64, Rows), StoreError> {
    macro_rules! all {
        ($c:expr, $t:ty, $sql:expr) => {
            sqlx::query_as::<_, $t>($sql).fetch_all(&mut *$c).await?
        };
    }
    // sqlx's Transaction rolls back on drop, so a cancelled read never returns a pooled
    // connection still inside BEGIN; a deferred BEGIN is right here (nothing is written).
    let (rev, sites, umkm, konf, pen, real) = match store {
        Store::Gpkg(p) => {
            let mut t = p.begin().await?;
            let rev: i64 = sqlx::query("SELECT rev FROM ksbb_revision WHERE id = 1").fetch_one(&mut *t).await?.try_get("rev")?;
            let out = (rev, all!(t, SiteDb, SITES), all!(t, UmkmDb, UMKM), all!(t, KonfDb, KONFIRMASI), all!(t, PenerimaDb, PENERIMA), all!(t, RealDb, REALISASI));
            t.commit().await?;
            out
        }
        Store::Postgis(p) => {
            let mut t = p.begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *t).await?;
            let rev: i64 = sqlx::query("SELECT rev FROM ksbb_revision WHERE id = 1").fetch_one(&mut *t).await?.try_get("rev")?;
            let out = (rev, all!(t, SiteDb, SITES), all!(t, UmkmDb, UMKM), all!(t, KonfDb, KONFIRMASI), all!(t, PenerimaDb, PENERIMA), all!(t, RealDb, REALISASI));
            t.commit().await?;
            out
        }
    };
    let rows = Rows {
        sites: sites
            .into_iter()
            .map(|s| SiteRow { id: s.id, kode: s.kode, nama: s.nama, jenis: s.jenis, lon: s.lon, lat: s.lat, kapasitas: s.kapasitas, kelurahan: s.kelurahan, aktif: s.status == "aktif", generated: s.generated })
            .collect(),
        umkm: umkm.into_iter().map(|u| UmkmCount { kelurahan: u.kelurahan, site_id: u.site_id, n: u.n }).collect(),
        konfirmasi_sites: konf
            .into_iter()
            .map(|k| KonfirmasiSite { konfirmasi_id: k.konfirmasi_id, bentuk: k.bentuk, nilai_per_paket: k.nilai_per_paket, jumlah_paket: k.jumlah_paket, site_id: k.site_id })
            .collect(),
        penerima: pen
            .into_iter()
            .map(|p| Penerima { konfirmasi_id: p.konfirmasi_id, umkm_kode: p.umkm_kode, plafon: p.plafon, kelurahan: p.kelurahan, site_id: p.site_id })
            .collect(),
        realisasi: real
            .into_iter()
            .map(|r| Realisasi { konfirmasi_id: r.konfirmasi_id, pelapor_id: r.pelapor_id, jenis: r.jenis, umkm_kode: r.umkm_kode, kelurahan: r.kelurahan, site_id: r.site_id, jumlah: r.jumlah })
            .collect(),
    };
    Ok((rev, rows))
}
