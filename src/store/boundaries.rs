//! Boundary layers (kota, kecamatan, kelurahan, rw) in both stores.

use super::audit::{self, AuditEntry};
use super::geom;
use super::{Store, StoreError, Tx};
use crate::wilayah::{Area, AreaCode, Level};
use chrono::Utc;
use serde_json::{json, Value};
use sqlx::Row;

/// Table of a level; the names are fixed, never taken from input.
pub fn table(level: Level) -> &'static str {
    level.as_str()
}

fn snapshot(kode: &str, nama: &str, generated: bool, g: &geo::MultiPolygon<f64>) -> Value {
    json!({
        "kode": kode,
        "nama": nama,
        "generated": generated,
        "geometry": geojson::Geometry::new(geojson::Value::from(g)),
    })
}

fn row_to_area(level: Level, r: &impl RowLike, decode: fn(&[u8]) -> Result<geo::MultiPolygon<f64>, String>) -> Result<Area, StoreError> {
    let kode = r.text("kode")?;
    let code = AreaCode::parse(&kode).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let geometry = decode(&r.bytes("geom")?).map_err(|e| StoreError::Geometry(kode.clone(), e))?;
    Ok(Area { parent: code.parent(), code, name: r.text("nama")?, level, geometry, generated: r.flag("generated")? })
}

/// Small shim so one row mapper serves both drivers.
trait RowLike {
    fn text(&self, c: &str) -> Result<String, StoreError>;
    fn bytes(&self, c: &str) -> Result<Vec<u8>, StoreError>;
    fn flag(&self, c: &str) -> Result<bool, StoreError>;
}

macro_rules! impl_rowlike {
    ($t:ty) => {
        impl RowLike for $t {
            fn text(&self, c: &str) -> Result<String, StoreError> {
                Ok(self.try_get(c)?)
            }
            fn bytes(&self, c: &str) -> Result<Vec<u8>, StoreError> {
                Ok(self.try_get(c)?)
            }
            fn flag(&self, c: &str) -> Result<bool, StoreError> {
                Ok(self.try_get(c)?)
            }
        }
    };
}
impl_rowlike!(sqlx::sqlite::SqliteRow);
impl_rowlike!(sqlx::postgres::PgRow);

/// Every stored boundary of every level, for the atlas.
pub async fn load_all(store: &Store) -> Result<Vec<Area>, StoreError> {
    let mut out = Vec::new();
    for level in Level::ALL {
        out.extend(load_level(store, level).await?);
    }
    Ok(out)
}

pub async fn load_level(store: &Store, level: Level) -> Result<Vec<Area>, StoreError> {
    let t = table(level);
    match store {
        Store::Gpkg(p) => {
            let rows = sqlx::query(&format!("SELECT kode, nama, generated, geom FROM {t} ORDER BY kode")).fetch_all(p).await?;
            rows.iter().map(|r| row_to_area(level, r, geom::from_gpkg)).collect()
        }
        Store::Postgis(p) => {
            let rows = sqlx::query(&format!("SELECT kode, nama, generated, ST_AsBinary(geom) AS geom FROM {t} ORDER BY kode"))
                .fetch_all(p)
                .await?;
            rows.iter().map(|r| row_to_area(level, r, geom::from_wkb)).collect()
        }
    }
}

/// Inserts or replaces areas by code inside `tx`, with one audit entry per change.
/// Unchanged areas (same name, flag and geometry) are skipped so re-imports stay quiet.
pub async fn upsert(tx: &mut Tx, areas: &[Area], actor: &str, progress: &(dyn Fn(usize) + Sync)) -> Result<UpsertStats, StoreError> {
    let mut stats = UpsertStats::default();
    let now = Utc::now();
    for (i, a) in areas.iter().enumerate() {
        progress(i + 1);
        let t = table(a.level);
        let kode = a.code.as_str();
        let induk = a.parent.as_ref().map(|p| p.to_string());
        let before: Option<Area> = match tx {
            Tx::Gpkg(c) => sqlx::query(&format!("SELECT kode, nama, generated, geom FROM {t} WHERE kode = $1"))
                .bind(kode)
                .fetch_optional(&mut **c)
                .await?
                .map(|r| row_to_area(a.level, &r, geom::from_gpkg))
                .transpose()?,
            Tx::Postgis(c) => sqlx::query(&format!("SELECT kode, nama, generated, ST_AsBinary(geom) AS geom FROM {t} WHERE kode = $1"))
                .bind(kode)
                .fetch_optional(&mut **c)
                .await?
                .map(|r| row_to_area(a.level, &r, geom::from_wkb))
                .transpose()?,
        };
        if let Some(b) = &before {
            if b.name == a.name && b.generated == a.generated && same_shape(&b.geometry, &a.geometry) {
                stats.unchanged += 1;
                continue;
            }
        }
        match tx {
            Tx::Gpkg(c) => {
                let blob = geom::to_gpkg(&a.geometry).map_err(|e| StoreError::Geometry(kode.into(), e))?;
                sqlx::query(&format!(
                    "INSERT INTO {t} (kode, nama, induk, generated, updated_at, geom) VALUES ($1,$2,$3,$4,$5,$6)
                     ON CONFLICT (kode) DO UPDATE SET nama = excluded.nama, induk = excluded.induk,
                     generated = excluded.generated, updated_at = excluded.updated_at, geom = excluded.geom"
                ))
                .bind(kode).bind(&a.name).bind(&induk).bind(a.generated).bind(now).bind(blob)
                .execute(&mut **c)
                .await?;
            }
            Tx::Postgis(c) => {
                let wkb = geom::to_wkb(&a.geometry).map_err(|e| StoreError::Geometry(kode.into(), e))?;
                sqlx::query(&format!(
                    "INSERT INTO {t} (kode, nama, induk, generated, updated_at, geom) VALUES ($1,$2,$3,$4,$5, ST_Multi(ST_GeomFromWKB($6, 4326)))
                     ON CONFLICT (kode) DO UPDATE SET nama = excluded.nama, induk = excluded.induk,
                     generated = excluded.generated, updated_at = excluded.updated_at, geom = excluded.geom"
                ))
                .bind(kode).bind(&a.name).bind(&induk).bind(a.generated).bind(now).bind(wkb)
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
                before: before.as_ref().map(|b| snapshot(b.code.as_str(), &b.name, b.generated, &b.geometry)),
                after: Some(snapshot(kode, &a.name, a.generated, &a.geometry)),
            },
        )
        .await?;
        if before.is_some() {
            stats.updated += 1;
        } else {
            stats.created += 1;
        }
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
