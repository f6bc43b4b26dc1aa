//! The KSBB sites — lokasi binaan (lokbin), lokasi sementara (loksem), lokasi promosi — as an
//! editable OGC API – Features collection (`/ogc/collections/lokasi_umkm`), so Citata edits them
//! in QGIS or with OWSLib as it manages its other spatial data (diktum KESATU g).
//!
//! Reads show the public fields only (`SitePublic`: no penanggung jawab contact, no editor).
//! Writes go through `ksbb::ops` (`create_site`, `update_site`, `retire_site`), the functions the
//! native API and the CLI use, so an OGC edit gets the same place checks (on land in DKI
//! Jakarta, swapped coordinates named), the same audit history (`ksbb.site.*`) and the same
//! version: the ETag of a feature is the site's version (`"3"`), identical to the `ETag` of
//! `GET /api/v1/ksbb/sites/{kode}`, so an If-Match read on one API holds on the other.

use super::model::{parse_kode, Jenis, KsbbError, SiteInput};
use super::ops::{self, OpError};
use super::store::{self as kstore, SiteFilter, SiteRecord};
use crate::api::{AppState, Problem, Role};
use crate::ogc::collections::{q, stale, BoxFuture, Collection, Editor, Snapshot};
use crate::ogc::model::{CollectionInfo, Feature, FeatureBody, Kind};
use crate::store::StoreError;
use geo::{Geometry, Point};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Who may edit sites: the roles of the native site routes (`ksbb/README.md`, roles table).
const EDITORS: &[Role] = &[Role::Citata, Role::Admin];

/// Served and derived from the store: accepted back unchanged from a GET, never set by a client.
const DERIVED: &[&str] = &["kelurahan", "umkm", "generated", "status", "versi", "updated_at"];

/// The reason recorded when a site is deleted through OGC API (a DELETE has no body to give one).
const DELETE_REASON: &str = "deleted through OGC API – Features (DELETE)";

pub struct SitesLayer {
    info: CollectionInfo,
}

impl SitesLayer {
    pub fn new() -> SitesLayer {
        SitesLayer {
            info: CollectionInfo {
                id: "lokasi_umkm",
                title: "Lokasi UMKM KSBB (lokbin, loksem, lokasi promosi)",
                description: "Active KSBB sites (Instruksi Sekda DKI 56/2020) that Citata manages: lokasi binaan, lokasi sementara and lokasi promosi, \
                              with their capacity and the number of UMKM registered there. Public fields only. Editable (Part 4) by citata and admin; \
                              a DELETE retires the site (it stays on record with its history). `footprint` is a GeoJSON property in CRS84 whatever `crs` says.",
                geometry_type: "Point",
                queryables: vec![
                    q("kode", Kind::String, "site code, e.g. LOKBIN-3171-001"),
                    q("nama", Kind::String, "name of the site"),
                    q("jenis", Kind::String, "lokbin | loksem | promosi"),
                    q("kapasitas", Kind::Integer, "number of traders the site holds"),
                    q("kelurahan", Kind::String, "kelurahan code the site is in (from the atlas)"),
                    q("umkm", Kind::Integer, "UMKM of the target data registered at the site"),
                    q("generated", Kind::Boolean, "true for generated (demo) sites"),
                    q("updated_at", Kind::DateTime, "last change"),
                ],
                temporal: None,
            },
        }
    }
}

impl Default for SitesLayer {
    fn default() -> Self {
        SitesLayer::new()
    }
}

/// The ETag of a site version, as `ksbb::http` sends it.
fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

fn feature(s: &SiteRecord, umkm: i64) -> Feature {
    let p = s.public(umkm);
    let mut m = Map::new();
    m.insert("kode".into(), json!(p.kode));
    m.insert("nama".into(), json!(p.nama));
    m.insert("jenis".into(), json!(p.jenis));
    m.insert("kapasitas".into(), json!(p.kapasitas));
    m.insert("kelurahan".into(), json!(p.kelurahan));
    m.insert("umkm".into(), json!(p.umkm));
    m.insert("footprint".into(), p.footprint.unwrap_or(Value::Null));
    m.insert("sumber".into(), json!(p.sumber));
    m.insert("generated".into(), json!(p.generated));
    m.insert("status".into(), json!(p.status));
    m.insert("versi".into(), json!(p.version));
    m.insert("updated_at".into(), json!(s.updated_at.to_rfc3339()));
    Feature::new(p.kode, Some(Geometry::Point(Point::new(p.lon, p.lat))), m)
}

impl Collection for SitesLayer {
    fn info(&self) -> &CollectionInfo {
        &self.info
    }

    fn features<'a>(&'a self, s: &'a AppState) -> BoxFuture<'a, Result<Arc<Snapshot>, StoreError>> {
        // Read per request: a few hundred points at most, and every edit is seen at once.
        Box::pin(async move {
            let rows = kstore::sites(&s.store, &SiteFilter::default()).await?;
            let generated = rows.iter().any(|(r, _)| r.generated);
            Ok(Arc::new(Snapshot { features: rows.iter().map(|(r, n)| feature(r, *n)).collect(), generated }))
        })
    }

    fn editor(&self) -> Option<&dyn Editor> {
        Some(self)
    }
}

/// A domain refusal as an OGC problem: the same status and type as the native API, the field
/// renamed to the part of the Feature at fault (`lon`/`lat` → `geometry`, `nama` →
/// `properties.nama`, the site code of an edit → `featureId`).
fn problem(e: OpError, edit: bool) -> Problem {
    let mut p: Problem = e.into();
    p.field = p.field.map(|f| match f.as_str() {
        "lon" | "lat" => "geometry".to_string(),
        "kode" if edit => "featureId".to_string(),
        "If-Match" | "rows" => f,
        other => format!("properties.{other}"),
    });
    p
}

fn ksbb(e: KsbbError, edit: bool) -> Problem {
    problem(OpError::Ksbb(e), edit)
}

/// A text property, absent or null as None.
fn text(props: &Map<String, Value>, name: &str) -> Result<Option<String>, Problem> {
    match props.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(Problem::unprocessable(&format!("properties.{name}"), format!("{name} must be a string, not {v}"))),
    }
}

/// The site a Feature describes, as the native API's request body (so `SiteInput::check` applies
/// unchanged). A replace is the whole site as served (`nama`, `jenis`, `kapasitas` required;
/// `footprint` and `sumber` absent means none); the contact (`pj_nama`, `pj_telepon`) is never
/// served, so a client cannot send it back: absent keeps the stored one, null clears it.
fn site_input(kode: &str, body: &FeatureBody, stored: Option<&SiteRecord>) -> Result<SiteInput, Problem> {
    if body.id.as_deref().is_some_and(|i| i != kode) {
        return Err(Problem::unprocessable("id", format!("id {:?} differs from the feature's code {kode}", body.id.as_deref().unwrap_or_default())));
    }
    let props = &body.properties;
    for (k, v) in props {
        match k.as_str() {
            "kode" if v.as_str() == Some(kode) => {}
            "kode" => return Err(Problem::unprocessable("properties.kode", format!("kode {v} differs from the feature's code {kode}; a code cannot change"))),
            "nama" | "jenis" | "kapasitas" | "footprint" | "sumber" | "pj_nama" | "pj_telepon" => {}
            k if DERIVED.contains(&k) => {}
            other => {
                return Err(Problem::unprocessable(
                    &format!("properties.{other}"),
                    format!("{other:?} is not a property of lokasi_umkm; editable: nama, jenis, kapasitas, footprint, sumber, pj_nama, pj_telepon"),
                ))
            }
        }
    }
    let (lon, lat) = match &body.geometry {
        Some(Geometry::Point(p)) => (p.x(), p.y()),
        Some(other) => {
            let kind = match other {
                Geometry::Polygon(_) => "Polygon",
                Geometry::MultiPolygon(_) => "MultiPolygon",
                Geometry::LineString(_) => "LineString",
                Geometry::MultiPoint(_) => "MultiPoint",
                Geometry::MultiLineString(_) => "MultiLineString",
                _ => "another type",
            };
            return Err(Problem::unprocessable("geometry", format!("a site is a Point (its entrance or centre), not a {kind}; an outline goes in properties.footprint")));
        }
        None => return Err(Problem::unprocessable("geometry", "geometry (the site's Point) is required")),
    };
    let nama = text(props, "nama")?.ok_or_else(|| Problem::unprocessable("properties.nama", "nama is required"))?;
    let jenis = text(props, "jenis")?.ok_or_else(|| Problem::unprocessable("properties.jenis", "jenis is required (lokbin, loksem or promosi)"))?;
    let jenis = Jenis::parse(&jenis).ok_or_else(|| Problem::unprocessable("properties.jenis", format!("jenis {jenis:?} is not lokbin, loksem or promosi")))?;
    let kapasitas = match props.get("kapasitas") {
        None | Some(Value::Null) => return Err(Problem::unprocessable("properties.kapasitas", "kapasitas (number of traders) is required")),
        Some(v) => v.as_i64().ok_or_else(|| Problem::unprocessable("properties.kapasitas", format!("kapasitas must be a whole number, not {v}")))?,
    };
    let footprint = props.get("footprint").filter(|v| !v.is_null()).cloned();
    let private = |name: &str, kept: Option<&String>| -> Result<Option<String>, Problem> {
        if props.contains_key(name) {
            text(props, name)
        } else {
            Ok(kept.cloned())
        }
    };
    Ok(SiteInput {
        kode: Some(kode.to_string()),
        nama,
        jenis,
        lon,
        lat,
        footprint,
        kapasitas,
        pj_nama: private("pj_nama", stored.and_then(|s| s.pj_nama.as_ref()))?,
        pj_telepon: private("pj_telepon", stored.and_then(|s| s.pj_telepon.as_ref()))?,
        sumber: text(props, "sumber")?,
    })
}

/// The version an edit names: the stored one when any `If-Match` tag is it, else the first tag
/// that is a version (the ops then answer 412 with both versions); no version at all is a 412
/// too (a tag that is not a site version can never match).
fn expected(id: &str, tags: &[String], stored: &SiteRecord) -> Result<i64, Problem> {
    let versions: Vec<i64> = tags.iter().filter_map(|t| t.trim_matches('"').parse().ok()).collect();
    if versions.contains(&stored.version) {
        return Ok(stored.version);
    }
    versions.first().copied().ok_or_else(|| stale(id, &etag(stored.version)))
}

fn unknown(id: &str) -> Problem {
    Problem::not_found(format!("no feature {id:?} in collection lokasi_umkm")).field("featureId")
}

impl Editor for SitesLayer {
    fn roles(&self) -> &'static [Role] {
        EDITORS
    }

    fn etag(&self, f: &Feature) -> String {
        f.properties.get("versi").and_then(Value::as_i64).map(etag).unwrap_or_default()
    }

    fn create<'a>(&'a self, s: &'a AppState, who: String, body: FeatureBody) -> BoxFuture<'a, Result<String, Problem>> {
        Box::pin(async move {
            let raw = body.properties.get("kode").and_then(Value::as_str).map(str::to_string).or(body.id.clone()).unwrap_or_default();
            let kode = parse_kode("kode", &raw).map_err(|e| ksbb(e, false))?;
            let site = site_input(&kode, &body, None)?.check().map_err(|e| ksbb(e, false))?;
            let atlas = s.atlas.current();
            let mut tx = s.store.begin().await?;
            ops::create_site(&mut tx, &atlas, &kode, &site, &who, false).await.map_err(|e| problem(e, false))?;
            tx.commit().await?;
            Ok(kode)
        })
    }

    fn replace<'a>(&'a self, s: &'a AppState, who: String, id: &'a str, if_match: Vec<String>, body: FeatureBody) -> BoxFuture<'a, Result<(), Problem>> {
        Box::pin(async move {
            let atlas = s.atlas.current();
            let mut tx = s.store.begin().await?;
            // The stored site is read through the transaction: the kept contact and the version
            // compared are the ones the write replaces.
            let stored = kstore::site_tx(&mut tx, id).await?.ok_or_else(|| unknown(id))?;
            let version = expected(id, &if_match, &stored)?;
            let site = site_input(id, &body, Some(&stored))?.check().map_err(|e| ksbb(e, true))?;
            ops::update_site(&mut tx, &atlas, id, version, &site, &who).await.map_err(|e| problem(e, true))?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, s: &'a AppState, who: String, id: &'a str, if_match: Vec<String>) -> BoxFuture<'a, Result<(), Problem>> {
        Box::pin(async move {
            let mut tx = s.store.begin().await?;
            let stored = kstore::site_tx(&mut tx, id).await?.filter(|r| r.status == "aktif").ok_or_else(|| unknown(id))?;
            let version = expected(id, &if_match, &stored)?;
            ops::retire_site(&mut tx, id, version, DELETE_REASON, &who).await.map_err(|e| problem(e, true))?;
            tx.commit().await?;
            Ok(())
        })
    }
}
