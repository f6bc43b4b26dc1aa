//! GeoJSON in and out for boundary layers.

use super::atlas::Area;
use geo::{Geometry, MultiPolygon};
use geojson::{Feature, FeatureCollection, GeoJson, JsonObject, JsonValue};

/// A feature as read from a file, before any validation.
#[derive(Debug, Clone)]
pub struct RawFeature {
    /// 1-based position in the file, for error messages.
    pub index: usize,
    pub properties: JsonObject,
    pub geometry: Result<MultiPolygon<f64>, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("not valid GeoJSON: {0}")]
    Parse(String),
    #[error("expected a FeatureCollection, got a {0}")]
    NotCollection(&'static str),
    #[error("unsupported CRS `{0}`: boundaries must be WGS84 lon/lat (EPSG:4326 / CRS84); reproject with `ogr2ogr -t_srs EPSG:4326`")]
    Crs(String),
    #[error("feature {feature} has coordinate ({x}, {y}), which is not longitude/latitude, and the file declares no CRS: it looks projected (e.g. UTM 48S, EPSG:32748); reproject with `ogr2ogr -t_srs EPSG:4326`")]
    Projected { feature: usize, x: f64, y: f64 },
}

/// Names of the CRS that mean plain WGS84 lon/lat.
pub fn is_wgs84(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    n.ends_with("CRS84") || n.ends_with("EPSG::4326") || n == "EPSG:4326" || n.ends_with("/EPSG/0/4326")
}

pub fn read_features(text: &str) -> Result<Vec<RawFeature>, ReadError> {
    let gj: GeoJson = text.parse().map_err(|e: geojson::Error| ReadError::Parse(e.to_string()))?;
    let fc = match gj {
        GeoJson::FeatureCollection(fc) => fc,
        GeoJson::Feature(_) => return Err(ReadError::NotCollection("Feature")),
        GeoJson::Geometry(_) => return Err(ReadError::NotCollection("Geometry")),
    };
    let crs = fc.foreign_members.as_ref().and_then(|m| m.get("crs"));
    if let Some(crs) = crs {
        let name = crs.pointer("/properties/name").and_then(JsonValue::as_str).unwrap_or("(unnamed)");
        if !is_wgs84(name) {
            return Err(ReadError::Crs(name.to_string()));
        }
    }
    let features: Vec<RawFeature> = fc
        .features
        .into_iter()
        .enumerate()
        .map(|(i, f)| RawFeature {
            index: i + 1,
            properties: f.properties.unwrap_or_default(),
            geometry: match f.geometry {
                None => Err("feature has no geometry".to_string()),
                Some(g) => to_multipolygon(g),
            },
        })
        .collect();
    // GeoJSON without a `crs` member is lon/lat by definition, but shapefiles exported in UTM
    // come out that way too: metres (hundreds of thousands) cannot be degrees, so say what happened
    // instead of rejecting every feature as "outside Jakarta".
    if crs.is_none() {
        use geo::CoordsIter;
        let projected = features.iter().find_map(|f| {
            let c = f.geometry.as_ref().ok()?.coords_iter().next()?;
            // Beyond 1,000 in either axis: metres, not degrees (swapped lat/lon stays under 180
            // and gets its own message from the importer).
            (c.x.abs() > 1_000.0 || c.y.abs() > 1_000.0).then_some(ReadError::Projected { feature: f.index, x: c.x, y: c.y })
        });
        if let Some(e) = projected {
            return Err(e);
        }
    }
    Ok(features)
}

/// Accepts Polygon and MultiPolygon; anything else is an error naming the type found.
pub fn to_multipolygon(g: geojson::Geometry) -> Result<MultiPolygon<f64>, String> {
    let kind = g.value.type_name();
    let geo: Geometry<f64> = g.try_into().map_err(|e: geojson::Error| format!("unreadable geometry: {e}"))?;
    match geo {
        Geometry::Polygon(p) => Ok(MultiPolygon(vec![p])),
        Geometry::MultiPolygon(mp) => Ok(mp),
        _ => Err(format!("geometry must be Polygon or MultiPolygon, found {kind}")),
    }
}

pub fn area_feature(a: &Area) -> Feature {
    let mut props = JsonObject::new();
    props.insert("kode".into(), a.code.to_string().into());
    props.insert("nama".into(), a.name.clone().into());
    props.insert("level".into(), a.level.as_str().into());
    if let Some(p) = &a.parent {
        props.insert("induk".into(), p.to_string().into());
    }
    props.insert("generated".into(), a.generated.into());
    props.insert("sumber".into(), a.source.clone().into());
    props.insert("tahun".into(), a.year.into());
    Feature {
        bbox: None,
        geometry: Some(geojson::Geometry::new(geojson::Value::from(&a.geometry))),
        id: None,
        properties: Some(props),
        foreign_members: None,
    }
}

pub fn areas_collection<'a>(areas: impl IntoIterator<Item = &'a Area>, name: &str) -> FeatureCollection {
    let mut fm = JsonObject::new();
    fm.insert("name".into(), name.into());
    fm.insert(
        "crs".into(),
        serde_json::json!({"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}),
    );
    FeatureCollection { bbox: None, features: areas.into_iter().map(area_feature).collect(), foreign_members: Some(fm) }
}
