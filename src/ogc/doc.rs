//! The OpenAPI 3.0 document of `/ogc/api` and the queryables schemas, built from the
//! collections' descriptions: one items path per collection, with its queryables as
//! parameters and the `limit` maximum (GDAL reads it to size its pages).

use super::crs::Crs;
use super::model::{CollectionInfo, DEFAULT_LIMIT, MAX_LIMIT};
use serde_json::{json, Map, Value};

fn qparam(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "style": "form", "explode": false, "description": description, "schema": schema})
}

fn f_param(values: &[&str]) -> Value {
    qparam("f", "the format; else by the Accept header", json!({"type": "string", "enum": values}))
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string"}})
}

fn get(summary: &str, operation_id: &str, parameters: Vec<Value>, ok: &str, ok_type: &str) -> Value {
    let problem = json!({"description": "problem+json naming the parameter", "content": {"application/problem+json": {"schema": {"type": "object"}}}});
    json!({"get": {
        "summary": summary,
        "operationId": operation_id,
        "tags": ["ogc"],
        "parameters": parameters,
        "responses": {
            "200": {"description": ok, "content": {ok_type: {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}},
            "400": problem.clone(),
            "404": problem,
        }
    }})
}

/// The whole document for the collections given, served at `{base}/api`.
pub fn openapi(base: &str, collections: &[CollectionInfo]) -> Value {
    let crs: Vec<&str> = Crs::ALL.iter().map(|c| c.uri()).collect();
    let mut paths = Map::new();
    paths.insert("/".into(), get("Landing page", "getLandingPage", vec![f_param(&["json", "html"])], "links to the API, conformance and collections", "application/json"));
    paths.insert("/conformance".into(), get("Conformance classes", "getConformance", vec![f_param(&["json", "html"])], "conformsTo", "application/json"));
    paths.insert("/api".into(), get("This document", "getApi", vec![f_param(&["json", "html"])], "OpenAPI 3.0", "application/vnd.oai.openapi+json;version=3.0"));
    paths.insert("/collections".into(), get("The collections", "getCollections", vec![f_param(&["json", "html"])], "collections", "application/json"));
    let ids: Vec<&str> = collections.iter().map(|c| c.id).collect();
    paths.insert(
        "/collections/{collectionId}".into(),
        get("One collection", "describeCollection", vec![json!({"name": "collectionId", "in": "path", "required": true, "schema": {"type": "string", "enum": ids}}), f_param(&["json", "html"])], "collection", "application/json"),
    );
    for c in collections {
        let mut params = vec![
            qparam("bbox", "minx,miny,maxx,maxy in bbox-crs (default CRS84)", json!({"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}})),
            qparam("limit", "features per page", json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT})),
            qparam("offset", "features to skip (set by the next link)", json!({"type": "integer", "minimum": 0, "default": 0})),
            qparam("datetime", "instant or interval (a/b, ../b, a/..)", json!({"type": "string"})),
            qparam("crs", "output CRS", json!({"type": "string", "format": "uri", "enum": crs, "default": Crs::Crs84.uri()})),
            qparam("bbox-crs", "CRS of bbox", json!({"type": "string", "format": "uri", "enum": crs, "default": Crs::Crs84.uri()})),
            qparam("filter", "CQL2 filter on the queryables (Basic CQL2, S_INTERSECTS, S_WITHIN, S_CONTAINS, S_DISJOINT)", json!({"type": "string"})),
            qparam("filter-lang", "encoding of filter", json!({"type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text"})),
            qparam("filter-crs", "CRS of the filter's geometry literals", json!({"type": "string", "format": "uri", "enum": crs, "default": Crs::Crs84.uri()})),
            f_param(&["json", "geojson", "html"]),
        ];
        params.extend(c.queryables.iter().map(|q| qparam(q.name, q.description, q.kind.schema())));
        paths.insert(format!("/collections/{}/items", c.id), get(&format!("Features of {}", c.title), &format!("getFeatures_{}", c.id), params, "GeoJSON FeatureCollection", "application/geo+json"));
        paths.insert(
            format!("/collections/{}/items/{{featureId}}", c.id),
            get(
                &format!("One feature of {}", c.title),
                &format!("getFeature_{}", c.id),
                vec![path_param("featureId", "feature id"), qparam("crs", "output CRS", json!({"type": "string", "enum": crs})), f_param(&["json", "geojson", "html"])],
                "GeoJSON Feature",
                "application/geo+json",
            ),
        );
        paths.insert(format!("/collections/{}/queryables", c.id), get(&format!("Queryables of {}", c.title), &format!("getQueryables_{}", c.id), vec![f_param(&["json", "html"])], "JSON Schema", "application/schema+json"));
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "sigap OGC API – Features", "version": "1.0", "description": "OGC API – Features over sigap's layers."},
        "servers": [{"url": base}],
        "tags": [{"name": "ogc"}],
        "paths": paths,
    })
}

/// The queryables of a collection as a JSON Schema (OGC API – Features 3).
pub fn queryables(base: &str, c: &CollectionInfo) -> Value {
    let mut props: Map<String, Value> = c
        .queryables
        .iter()
        .map(|q| {
            let mut s = q.kind.schema();
            s["title"] = json!(q.name);
            s["description"] = json!(q.description);
            (q.name.to_string(), s)
        })
        .collect();
    // The geometry, for the spatial functions of `filter` (not a `?name=value` parameter).
    props.insert(
        super::cql2::GEOMETRY.into(),
        json!({"title": "geometry", "description": "the feature's geometry (CQL2 S_INTERSECTS, S_WITHIN, …)", "format": format!("geometry-{}", c.geometry_type.to_ascii_lowercase()), "x-ogc-role": "primary-geometry"}),
    );
    json!({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": format!("{base}/collections/{}/queryables", c.id),
        "type": "object",
        "title": c.title,
        "properties": props,
        "additionalProperties": false,
    })
}
