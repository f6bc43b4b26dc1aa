//! The gudang as an OGC API – Features collection (`/ogc/collections/gudang`): where the Setgas
//! keeps its stock, for Citata and any GIS. Public data only (code, name, address, place, state);
//! read from the store on each request, as the layer is a handful of points.

use crate::api::AppState;
use crate::ogc::collections::{q, BoxFuture, Collection, Snapshot};
use crate::ogc::model::{CollectionInfo, Feature, Kind};
use crate::store::StoreError;
use geo::{Geometry, Point};
use serde_json::{json, Map};
use std::sync::Arc;

pub struct GudangLayer {
    info: CollectionInfo,
}

impl GudangLayer {
    pub fn new() -> GudangLayer {
        GudangLayer {
            info: CollectionInfo {
                id: "gudang",
                title: "Gudang logistik",
                description: "Storage locations of the Setgas (Kepgub DKI 659/2020), placed in their kelurahan by the atlas.",
                geometry_type: "Point",
                queryables: vec![
                    q("nama", Kind::String, "name of the gudang"),
                    q("kelurahan", Kind::String, "kelurahan code the gudang is in"),
                    q("kota", Kind::String, "kota code, e.g. 31.71"),
                    q("aktif", Kind::Boolean, "false once the gudang is closed"),
                    q("updated_at", Kind::DateTime, "last change"),
                ],
                temporal: None,
            },
        }
    }
}

impl Default for GudangLayer {
    fn default() -> Self {
        GudangLayer::new()
    }
}

impl Collection for GudangLayer {
    fn info(&self) -> &CollectionInfo {
        &self.info
    }

    fn features<'a>(&'a self, s: &'a AppState) -> BoxFuture<'a, Result<Arc<Snapshot>, StoreError>> {
        Box::pin(async move {
            let rows = super::store::list_gudang(&s.store).await?;
            let generated = rows.iter().any(|g| g.generated);
            let features = rows
                .into_iter()
                .map(|g| {
                    let mut p = Map::new();
                    p.insert("nama".into(), json!(g.nama));
                    p.insert("alamat".into(), json!(g.alamat));
                    p.insert("kelurahan".into(), json!(g.kelurahan));
                    p.insert("kota".into(), json!(g.kota));
                    p.insert("aktif".into(), json!(g.aktif));
                    p.insert("generated".into(), json!(g.generated));
                    p.insert("versi".into(), json!(g.versi));
                    p.insert("updated_at".into(), json!(g.updated_at.to_rfc3339()));
                    Feature::new(g.kode, Some(Geometry::Point(Point::new(g.lon, g.lat))), p)
                })
                .collect();
            Ok(Arc::new(Snapshot { features, generated }))
        })
    }
}
