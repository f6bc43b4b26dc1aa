//! The collections sigap's own domains publish: the four boundary levels of the atlas (with
//! bansos progress as properties) and the public complaints (the Open311 view: no contact,
//! point rounded to 3 decimals).

use super::collections::{q, stale, BoxFuture, Collection, Editor, Snapshot, SnapshotCache};
use super::model::{etag_of, CollectionInfo, Feature, FeatureBody, Kind};
use crate::api::{AppState, Problem, Role};
use crate::wilayah::{Area, AreaCode};
use axum::http::StatusCode;
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
            Level::Rw => ("rw", "RW", "Rukun Warga boundaries with bansos progress: real RW of 2012 (`sumber` inasafe-osm-2012, `tahun` 2012; InaSAFE data, source given as OpenStreetMap, ODbL, unverified) fitted to the 2025 kelurahan, and GENERATED RW (`generated: true`, `sumber` generated, not official) where the source has none."),
        };
        let mut queryables = vec![
            q("kode", Kind::String, "Kemendagri code, e.g. 31.71.01.1001"),
            q("nama", Kind::String, "name"),
            q("induk", Kind::String, "code of the parent area"),
            q("generated", Kind::Boolean, "true for generated (demo) boundaries"),
            q("sumber", Kind::String, "source key of the boundary (inasafe-osm-2012, generated); null when not recorded"),
            q("tahun", Kind::Integer, "year the source describes (2012); null when unknown"),
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

    fn editor(&self) -> Option<&dyn Editor> {
        // Citata edits kelurahan and RW boundaries; kota and kecamatan change by regulation only
        // (a re-import), not through an editing client.
        matches!(self.level, Level::Kelurahan | Level::Rw).then_some(self as &dyn Editor)
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
                    p.insert("sumber".into(), json!(a.source));
                    p.insert("tahun".into(), json!(a.year));
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

/// The version of a boundary: its name and every coordinate (what an edit may change; bansos
/// figures are not part of it, so a delivery never makes an editor's copy stale).
fn area_etag(name: &str, g: &geo::MultiPolygon<f64>) -> String {
    use geo::CoordsIter;
    let coords: Vec<u8> = g.coords_iter().flat_map(|c| c.x.to_bits().to_le_bytes().into_iter().chain(c.y.to_bits().to_le_bytes())).collect();
    etag_of(&[name.as_bytes(), &coords])
}

/// Properties a client may send back unchanged (from a GET) but not set: ignored on write.
const DERIVED: &[&str] = &["induk", "generated", "sumber", "tahun", "target_kk", "served_kk", "packages_received", "packages_damaged", "packages_returned", "percent"];

impl Areas {
    /// The code a request names, as an area of this collection's level (else 404 `featureId`).
    fn code(&self, id: &str) -> Result<AreaCode, Problem> {
        AreaCode::parse(id)
            .ok()
            .filter(|c| c.level() == self.level)
            .ok_or_else(|| Problem::not_found(format!("no feature {id:?} in collection {}", self.info.id)).field("featureId"))
    }

    /// Name and geometry of a create/replace body, checked: `kode` and `id` may only repeat
    /// the code, derived properties are ignored, anything else is refused by name.
    fn edit_of(&self, code: &AreaCode, body: FeatureBody, old_name: Option<&str>) -> Result<(String, geo::MultiPolygon<f64>), Problem> {
        if body.id.as_deref().is_some_and(|i| i != code.as_str()) {
            return Err(Problem::unprocessable("id", format!("id {:?} differs from the feature's code {code}", body.id.unwrap_or_default())));
        }
        let mut nama = None;
        for (k, v) in &body.properties {
            match k.as_str() {
                "kode" if v.as_str() == Some(code.as_str()) => {}
                "kode" => return Err(Problem::unprocessable("properties.kode", format!("kode {v} differs from the feature's code {code}; a code cannot change"))),
                "nama" => nama = Some(v.as_str().ok_or_else(|| Problem::unprocessable("properties.nama", "nama must be a string"))?),
                k if DERIVED.contains(&k) => {}
                other => return Err(Problem::unprocessable(&format!("properties.{other}"), format!("{other:?} is not a property of {}; editable: nama", self.info.id))),
            }
        }
        let nama = match (nama, old_name) {
            (Some(n), _) => crate::text::required("properties.nama", n, 200)?.to_string(),
            (None, Some(old)) => old.to_string(),
            (None, None) => return Err(Problem::unprocessable("properties.nama", "nama is required")),
        };
        let geometry = match body.geometry {
            Some(Geometry::MultiPolygon(m)) => m,
            Some(Geometry::Polygon(p)) => geo::MultiPolygon(vec![p]),
            Some(other) => {
                let kind = match other {
                    Geometry::Point(_) => "Point",
                    Geometry::LineString(_) => "LineString",
                    Geometry::MultiPoint(_) => "MultiPoint",
                    Geometry::MultiLineString(_) => "MultiLineString",
                    _ => "another type",
                };
                return Err(Problem::unprocessable("geometry", format!("a {} boundary is a Polygon or MultiPolygon, not a {kind}", self.info.id)));
            }
            None => return Err(Problem::unprocessable("geometry", "geometry is required")),
        };
        Ok((nama, geometry))
    }

    /// Validates, writes in one transaction holding the version check, refreshes the atlas.
    async fn write(&self, s: &AppState, who: &str, code: &AreaCode, checked: Vec<Area>, expect: Expect) -> Result<(), Problem> {
        let mut tx = s.store.begin().await?;
        let stored = crate::store::boundaries::lock_get(&mut tx, self.level, code).await?;
        match (&expect, &stored) {
            (Expect::Absent, Some(_)) => return Err(Problem::conflict(format!("{code} already exists; PUT or PATCH it instead")).field("properties.kode")),
            (Expect::Version(_), None) => return Err(Problem::not_found(format!("no feature {code:?} in collection {}", self.info.id)).field("featureId")),
            (Expect::Version(tags), Some(a)) => {
                let now = area_etag(&a.name, &a.geometry);
                if !tags.contains(&now) {
                    return Err(stale(code.as_str(), &now));
                }
            }
            (Expect::Absent, None) => {}
        }
        crate::store::boundaries::upsert(&mut tx, &checked, who, &|_| {}).await?;
        tx.commit().await?;
        s.refresh_atlas().await?;
        Ok(())
    }
}

/// What a write expects to find stored.
enum Expect {
    Absent,
    /// One of these ETags (`If-Match`).
    Version(Vec<String>),
}

impl Editor for Areas {
    fn roles(&self) -> &'static [Role] {
        &[Role::Admin]
    }

    fn etag(&self, f: &Feature) -> String {
        let name = f.properties.get("nama").and_then(Value::as_str).unwrap_or("");
        match &f.geometry {
            Some(Geometry::MultiPolygon(m)) => area_etag(name, m),
            _ => area_etag(name, &geo::MultiPolygon(vec![])),
        }
    }

    fn create<'a>(&'a self, s: &'a AppState, who: String, body: FeatureBody) -> BoxFuture<'a, Result<String, Problem>> {
        Box::pin(async move {
            let raw = body.properties.get("kode").and_then(Value::as_str).map(str::to_string).or(body.id.clone()).ok_or_else(|| Problem::unprocessable("properties.kode", "kode (the Kemendagri code) is required"))?;
            let code = AreaCode::parse(&raw).map_err(|e| Problem::unprocessable("properties.kode", e.to_string()))?;
            if code.level() != self.level {
                return Err(Problem::unprocessable("properties.kode", format!("{code} is a {} code, not a {}", code.level(), self.level)));
            }
            let atlas = s.atlas.current();
            if atlas.get(&code).is_some() {
                return Err(Problem::conflict(format!("{code} already exists; PUT or PATCH it instead")).field("properties.kode"));
            }
            let (nama, geometry) = self.edit_of(&code, body, None)?;
            // A boundary drawn by a person is official, not generated.
            let checked = crate::wilayah::import::check_edit(&atlas, &code, &nama, Ok(geometry), None).map_err(|(f, r)| Problem::unprocessable(f, r))?;
            self.write(s, &who, &code, checked, Expect::Absent).await?;
            Ok(code.to_string())
        })
    }

    fn replace<'a>(&'a self, s: &'a AppState, who: String, id: &'a str, if_match: Vec<String>, body: FeatureBody) -> BoxFuture<'a, Result<(), Problem>> {
        Box::pin(async move {
            let code = self.code(id)?;
            let atlas = s.atlas.current();
            let existing = atlas.get(&code).ok_or_else(|| Problem::not_found(format!("no feature {id:?} in collection {}", self.info.id)).field("featureId"))?;
            let (nama, geometry) = self.edit_of(&code, body, Some(&existing.name))?;
            let checked = crate::wilayah::import::check_edit(&atlas, &code, &nama, Ok(geometry), Some(existing)).map_err(|(f, r)| Problem::unprocessable(f, r))?;
            self.write(s, &who, &code, checked, Expect::Version(if_match)).await
        })
    }

    fn delete<'a>(&'a self, s: &'a AppState, who: String, id: &'a str, if_match: Vec<String>) -> BoxFuture<'a, Result<(), Problem>> {
        Box::pin(async move {
            let code = self.code(id)?;
            let atlas = s.atlas.current();
            atlas.get(&code).ok_or_else(|| Problem::not_found(format!("no feature {id:?} in collection {}", self.info.id)).field("featureId"))?;
            let children = atlas.children(&code).len();
            if children > 0 {
                return Err(Problem::conflict(format!("{code} has {children} RW; delete or move them first")).field("featureId"));
            }
            let mut tx = s.store.begin().await?;
            let stored = crate::store::boundaries::lock_get(&mut tx, self.level, &code).await?.ok_or_else(|| Problem::not_found(format!("no feature {id:?}")).field("featureId"))?;
            let now = area_etag(&stored.name, &stored.geometry);
            if !if_match.contains(&now) {
                return Err(stale(id, &now));
            }
            if self.level == Level::Rw {
                let n = crate::bansos::store::references(&mut tx, &code).await?;
                if n > 0 {
                    return Err(Problem::new(StatusCode::CONFLICT, "in-use", format!("{code} has {n} bansos records (target, deliveries, hand-outs); it cannot be deleted")).field("featureId"));
                }
            }
            crate::store::boundaries::delete(&mut tx, &stored, &who).await?;
            tx.commit().await?;
            s.refresh_atlas().await?;
            Ok(())
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
