//! The collections sigap's own domains publish: the four boundary levels of the atlas (with
//! bansos progress as properties) and the public complaints (the Open311 view: no contact,
//! point rounded to 3 decimals).

use super::collections::{q, BoxFuture, Collection, Snapshot, SnapshotCache};
use super::model::{CollectionInfo, Feature, Kind};
use crate::api::AppState;
use crate::bansos::rollup::{self, ProgressLevel};
use crate::store::StoreError;
use crate::wilayah::Level;
use geo::{Geometry, Point};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// One level of the administrative hierarchy. Features come from the in-memory atlas (so an
/// edit is visible as soon as the atlas is refreshed) joined with the bansos roll-up of the level.
pub struct Areas {
    level: Level,
    info: CollectionInfo,
    /// Keyed by (atlas serial, bansos revision): a boundary edit or a delivery rebuilds it.
    cache: SnapshotCache<(u64, i64)>,
}

impl Areas {
    pub fn new(level: Level) -> Areas {
        let (id, title, description) = match level {
            Level::Kota => ("kota", "Kota / kabupaten administrasi", "The 6 kota and kabupaten of DKI Jakarta (Kemendagri codes), with bansos progress."),
            Level::Kecamatan => ("kecamatan", "Kecamatan", "The 44 kecamatan of DKI Jakarta, with bansos progress."),
            Level::Kelurahan => ("kelurahan", "Kelurahan", "The 267 kelurahan of DKI Jakarta, with bansos progress."),
            Level::Rw => ("rw", "RW (generated)", "Rukun Warga boundaries with bansos progress. GENERATED demo layer (not official): every feature has `generated: true`."),
        };
        let mut queryables = vec![
            q("kode", Kind::String, "Kemendagri code, e.g. 31.71.01.1001"),
            q("nama", Kind::String, "name"),
            q("induk", Kind::String, "code of the parent area"),
            q("generated", Kind::Boolean, "true for generated (demo) boundaries"),
            q("target_kk", Kind::Integer, "bansos: households (KK) targeted"),
            q("served_kk", Kind::Integer, "bansos: households served"),
            q("packages_received", Kind::Integer, "bansos: packages received"),
            q("packages_damaged", Kind::Integer, "bansos: packages damaged"),
            q("packages_returned", Kind::Integer, "bansos: packages returned"),
            q("percent", Kind::Number, "bansos: served_kk / target_kk × 100, one decimal; null without target"),
        ];
        if level == Level::Kota {
            queryables.retain(|x| x.name != "induk");
        }
        Areas { level, info: CollectionInfo { id, title, description, geometry_type: "MultiPolygon", queryables, temporal: None }, cache: SnapshotCache::new() }
    }
}

fn progress_level(l: Level) -> ProgressLevel {
    match l {
        Level::Kota => ProgressLevel::Kota,
        Level::Kecamatan => ProgressLevel::Kecamatan,
        Level::Kelurahan => ProgressLevel::Kelurahan,
        Level::Rw => ProgressLevel::Rw,
    }
}

impl Collection for Areas {
    fn info(&self) -> &CollectionInfo {
        &self.info
    }

    fn features<'a>(&'a self, s: &'a AppState) -> BoxFuture<'a, Result<Arc<Snapshot>, StoreError>> {
        Box::pin(async move {
            let atlas = s.atlas.current();
            let rev = crate::bansos::store::revision(&s.store).await?;
            let key = (atlas.serial(), rev);
            if let Some(hit) = self.cache.get(&key) {
                return Ok(hit);
            }
            let figures = crate::bansos::store::rw_figures(&s.store).await?;
            let areas = atlas.list(self.level, None);
            let names: Vec<(String, String)> = areas.iter().map(|a| (a.code.to_string(), a.name.clone())).collect();
            let progress = rollup::progress(progress_level(self.level), None, &names, &figures);
            let features: Vec<Feature> = areas
                .iter()
                .map(|a| {
                    let code = a.code.to_string();
                    let mut p = Map::new();
                    p.insert("kode".into(), json!(code));
                    p.insert("nama".into(), json!(a.name));
                    if let Some(parent) = &a.parent {
                        p.insert("induk".into(), json!(parent.to_string()));
                    }
                    p.insert("generated".into(), json!(a.generated));
                    let b = progress.areas.get(&code);
                    p.insert("target_kk".into(), json!(b.map_or(0, |b| b.target_kk)));
                    p.insert("served_kk".into(), json!(b.map_or(0, |b| b.served_kk)));
                    p.insert("packages_received".into(), json!(b.map_or(0, |b| b.packages_received)));
                    p.insert("packages_damaged".into(), json!(b.map_or(0, |b| b.packages_damaged)));
                    p.insert("packages_returned".into(), json!(b.map_or(0, |b| b.packages_returned)));
                    p.insert("percent".into(), json!(b.and_then(|b| b.percent)));
                    Feature::new(code, Some(Geometry::MultiPolygon(a.geometry.clone())), p)
                })
                .collect();
            let generated = areas.iter().any(|a| a.generated);
            Ok(self.cache.put(key, Snapshot { features, generated }))
        })
    }
}

/// Public complaints: the Open311 public view as features (no contact, no reported point,
/// point rounded to 3 decimals ≈ 110 m), oldest first so pages stay put as new ones arrive.
pub struct Complaints {
    info: CollectionInfo,
}

impl Complaints {
    pub fn new() -> Complaints {
        Complaints {
            info: CollectionInfo {
                id: "pengaduan",
                title: "Pengaduan (public view)",
                description: "Geotagged complaints as the public sees them (as Open311): no reporter contact, point rounded to 3 decimals (about 110 m).",
                geometry_type: "Point",
                queryables: vec![
                    q("category", Kind::String, "complaint category, e.g. jalan_rusak"),
                    q("status", Kind::String, "status word, e.g. diterima, assigned, selesai"),
                    q("open", Kind::Boolean, "true until the complaint is closed"),
                    q("unit", Kind::String, "unit responsible (kelurahan code or agency)"),
                    q("kelurahan", Kind::String, "kelurahan code the point is in"),
                    q("created_at", Kind::DateTime, "when it was received"),
                    q("updated_at", Kind::DateTime, "last change"),
                ],
                temporal: Some("created_at"),
            },
        }
    }
}

impl Default for Complaints {
    fn default() -> Self {
        Complaints::new()
    }
}

/// The Open311 rounding (3 decimals).
pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

impl Collection for Complaints {
    fn info(&self) -> &CollectionInfo {
        &self.info
    }

    fn features<'a>(&'a self, s: &'a AppState) -> BoxFuture<'a, Result<Arc<Snapshot>, StoreError>> {
        Box::pin(async move {
            let f = crate::complaints::store::Filter { limit: i64::MAX, ..Default::default() };
            let (mut items, _) = crate::complaints::store::list(&s.store, &f).await?;
            items.reverse();
            let features = items
                .iter()
                .map(|c| {
                    let mut p = Map::new();
                    p.insert("category".into(), json!(c.category.as_str()));
                    p.insert("category_label".into(), json!(c.category.label()));
                    p.insert("description".into(), json!(c.description));
                    p.insert("status".into(), json!(c.status.as_str()));
                    p.insert("open".into(), json!(!c.status.is_terminal()));
                    p.insert("unit".into(), json!(c.unit));
                    p.insert("kelurahan".into(), json!(c.kelurahan));
                    p.insert("kelurahan_nama".into(), c.routing.get("kelurahan").and_then(|k| k.get("nama")).cloned().unwrap_or(Value::Null));
                    p.insert("created_at".into(), json!(c.created_at.to_rfc3339()));
                    p.insert("updated_at".into(), json!(c.updated_at.to_rfc3339()));
                    let g = match (c.lon, c.lat) {
                        (Some(lon), Some(lat)) => Some(Geometry::Point(Point::new(round3(lon), round3(lat)))),
                        _ => None,
                    };
                    Feature::new(c.id.to_string(), g, p)
                })
                .collect();
            Ok(Arc::new(Snapshot { features, generated: false }))
        })
    }
}
