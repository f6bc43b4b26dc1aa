//! Boundary layers (kota, kecamatan, kelurahan, rw) in both stores.

use super::audit::{self, AuditEntry};
use super::geom;
use super::{Store, StoreError, Tx};
use crate::wilayah::{Area, AreaCode, Atlas, AtlasConfig, Level};
use chrono::Utc;
use serde_json::{json, Value};

/// Table of a level; the names are fixed, never taken from input.
pub fn table(level: Level) -> &'static str {
    level.as_str()
}

fn snapshot(a: &Area) -> Value {
    json!({
        "kode": a.code.as_str(),
        "nama": a.name,
        "generated": a.generated,
        "sumber": a.source,
        "tahun": a.year,
        "geometry": geojson::Geometry::new(geojson::Value::from(&a.geometry)),
    })
}

/// One stored boundary as either store returns it (`geom` is a GeoPackage blob on SQLite, WKB
/// from PostGIS's `ST_AsBinary`; `geom::from_stored` tells them apart).
#[derive(sqlx::FromRow)]
struct AreaRow {
    kode: String,
    nama: String,
    generated: bool,
    sumber: Option<String>,
    tahun: Option<i32>,
    geom: Vec<u8>,
}

impl TryFrom<(Level, AreaRow)> for Area {
    type Error = StoreError;
    fn try_from((level, r): (Level, AreaRow)) -> Result<Area, StoreError> {
        let code = AreaCode::parse(&r.kode).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let geometry = geom::from_stored(&r.geom).map_err(|e| StoreError::Geometry(r.kode.clone(), e))?;
        Ok(Area { parent: code.parent(), code, name: r.nama, level, geometry, generated: r.generated, source: r.sumber, year: r.tahun })
    }
}

/// The SELECT of `AreaRow`s of a level; the geometry column is read as WKB on PostGIS.
fn select(postgis: bool, level: Level, filter: &str) -> String {
    let geom = if postgis { "ST_AsBinary(geom)" } else { "geom" };
    format!("SELECT kode, nama, generated, sumber, tahun, {geom} AS geom FROM {} {filter} ORDER BY kode", table(level))
}

/// The current revision of the boundary layers (bumped by every boundary write).
pub async fn revision(store: &Store) -> Result<i64, StoreError> {
    let rev: (i64,) = crate::on_pool!(store, p => sqlx::query_as("SELECT rev FROM boundaries_revision WHERE id = 1").fetch_one(p).await)?;
    Ok(rev.0)
}

async fn bump_revision(tx: &mut Tx) -> Result<(), StoreError> {
    crate::on_tx!(tx, c => sqlx::query("UPDATE boundaries_revision SET rev = rev + 1 WHERE id = 1").execute(c).await.map(|_| ()))?;
    Ok(())
}

impl Atlas {
    /// The atlas of everything stored now, tagged with the boundaries revision it was read at.
    /// The one loader of the CLI and the server (`AppState::refresh_atlas`). The revision is
    /// read first: a write that commits during the load leaves the atlas at most newer than
    /// its tag, and the next poll reloads it, never the other way round.
    pub async fn load(store: &Store, config: AtlasConfig) -> Result<Atlas, StoreError> {
        let rev = revision(store).await?;
        Ok(Atlas::at_revision(load_all(store).await?, config, rev))
    }
}

/// Every stored boundary of every level, for the atlas.
pub async fn load_all(store: &Store) -> Result<Vec<Area>, StoreError> {
    let mut out = Vec::new();
    for level in Level::ALL {
        out.extend(load_level(store, level).await?);
    }
    Ok(out)
}

pub async fn load_level(store: &Store, level: Level) -> Result<Vec<Area>, StoreError> {
    let sql = select(matches!(store, Store::Postgis(_)), level, "");
    let rows: Vec<AreaRow> = crate::on_pool!(store, p => sqlx::query_as(&sql).fetch_all(p).await)?;
    rows.into_iter().map(|r| Area::try_from((level, r))).collect()
}

/// One stored boundary read inside `tx` after locking its row (a no-op UPDATE: a row lock on
/// PostgreSQL, the writer lock SQLite's `BEGIN IMMEDIATE` already holds), so a version check
/// and the write that follows see the same row; None when there is none.
pub async fn lock_get(tx: &mut Tx, level: Level, code: &AreaCode) -> Result<Option<Area>, StoreError> {
    let t = table(level);
    crate::on_tx!(tx, c => sqlx::query(&format!("UPDATE {t} SET kode = kode WHERE kode = $1")).bind(code.as_str()).execute(c).await.map(|_| ()))?;
    let sql = select(matches!(tx, Tx::Postgis(_)), level, "WHERE kode = $1");
    let row: Option<AreaRow> = crate::on_tx!(tx, c => sqlx::query_as(&sql).bind(code.as_str()).fetch_optional(c).await)?;
    row.map(|r| Area::try_from((level, r))).transpose()
}

/// Deletes one boundary inside `tx`, audited, and bumps the boundaries revision. The caller
/// has checked that nothing depends on it (child areas, bansos records).
pub async fn delete(tx: &mut Tx, area: &Area, actor: &str) -> Result<(), StoreError> {
    let t = table(area.level);
    crate::on_tx!(tx, c => sqlx::query(&format!("DELETE FROM {t} WHERE kode = $1")).bind(area.code.as_str()).execute(c).await.map(|_| ()))?;
    audit::record(
        tx,
        AuditEntry {
            actor,
            action: "delete",
            entity: t,
            entity_id: area.code.as_str(),
            before: Some(snapshot(area)),
            after: None,
        },
    )
    .await?;
    bump_revision(tx).await
}

/// Inserts or replaces areas by code inside `tx`, with one audit entry per change, and bumps the
/// boundaries revision when anything changed (so every process reloads its atlas).
/// Unchanged areas (same name, flag and geometry) are skipped so re-imports stay quiet.
pub async fn upsert(tx: &mut Tx, areas: &[Area], actor: &str, progress: &(dyn Fn(usize) + Sync)) -> Result<UpsertStats, StoreError> {
    let mut stats = UpsertStats::default();
    let now = Utc::now();
    for (i, a) in areas.iter().enumerate() {
        progress(i + 1);
        let t = table(a.level);
        let kode = a.code.as_str();
        let induk = a.parent.as_ref().map(|p| p.to_string());
        let sql = select(matches!(tx, Tx::Postgis(_)), a.level, "WHERE kode = $1");
        let row: Option<AreaRow> = crate::on_tx!(tx, c => sqlx::query_as(&sql).bind(kode).fetch_optional(c).await)?;
        let before = row.map(|r| Area::try_from((a.level, r))).transpose()?;
        if let Some(b) = &before {
            if b.name == a.name && b.generated == a.generated && b.source == a.source && b.year == a.year && same_shape(&b.geometry, &a.geometry) {
                stats.unchanged += 1;
                continue;
            }
        }
        match tx {
            Tx::Gpkg(c) => {
                let blob = geom::to_gpkg(&a.geometry).map_err(|e| StoreError::Geometry(kode.into(), e))?;
                sqlx::query(&format!(
                    "INSERT INTO {t} (kode, nama, induk, generated, sumber, tahun, updated_at, geom) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
                     ON CONFLICT (kode) DO UPDATE SET nama = excluded.nama, induk = excluded.induk, generated = excluded.generated,
                     sumber = excluded.sumber, tahun = excluded.tahun, updated_at = excluded.updated_at, geom = excluded.geom"
                ))
                .bind(kode).bind(&a.name).bind(&induk).bind(a.generated).bind(&a.source).bind(a.year).bind(now).bind(blob)
                .execute(&mut **c)
                .await?;
            }
            Tx::Postgis(c) => {
                let wkb = geom::to_wkb(&a.geometry).map_err(|e| StoreError::Geometry(kode.into(), e))?;
                sqlx::query(&format!(
                    "INSERT INTO {t} (kode, nama, induk, generated, sumber, tahun, updated_at, geom) VALUES ($1,$2,$3,$4,$5,$6,$7, ST_Multi(ST_GeomFromWKB($8, 4326)))
                     ON CONFLICT (kode) DO UPDATE SET nama = excluded.nama, induk = excluded.induk, generated = excluded.generated,
                     sumber = excluded.sumber, tahun = excluded.tahun, updated_at = excluded.updated_at, geom = excluded.geom"
                ))
                .bind(kode).bind(&a.name).bind(&induk).bind(a.generated).bind(&a.source).bind(a.year).bind(now).bind(wkb)
                .execute(&mut **c)
                .await?;
            }
        }
        audit::record(
            tx,
            AuditEntry {
                actor,
                action: if before.is_some() { "update" } else { "create" },
                entity: t,
                entity_id: kode,
                before: before.as_ref().map(snapshot),
                after: Some(snapshot(a)),
            },
        )
        .await?;
        if before.is_some() {
            stats.updated += 1;
        } else {
            stats.created += 1;
        }
    }
    if stats.created + stats.updated > 0 {
        bump_revision(tx).await?;
    }
    if let Tx::Gpkg(c) = tx {
        // Keep the GeoPackage extent current so QGIS zooms to the layer.
        for level in Level::ALL {
            let t = table(level);
            sqlx::query(&format!(
                "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = '{t}'"
            ))
            .execute(&mut **c)
            .await?;
        }
    }
    Ok(stats)
}

/// Same shape, even when a repair wrote the rings in another order or start vertex.
fn same_shape(a: &geo::MultiPolygon<f64>, b: &geo::MultiPolygon<f64>) -> bool {
    use geo::{Area, BooleanOps};
    a == b || a.xor(b).unsigned_area() < 1e-12
}

#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct UpsertStats {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}
