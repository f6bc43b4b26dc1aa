//! The gudang as a site layer of the public map (`/tiles/gudang/{z}/{x}/{y}.mvt`, through the
//! tiles' `SiteSource` hook): each gudang a point with its code, name, kota, whether it is active,
//! how many items it holds and its main items (the largest balances) with their stock. No
//! personal data: gudang are public places of the Setgas (Lampiran A.3).
//!
//! `SiteSource` is synchronous and called while a tile renders, so the sites are read from the
//! store beforehand into a plain list: `refresh` re-reads them and registers the new list under
//! the layer name, which also drops that layer's cached tiles. The service refreshes at start and
//! after every write that changes a gudang or its stock.

use super::store as lstore;
use crate::store::{Store, StoreError};
use crate::tiles::mvt::Prop;
use crate::tiles::sites::{Site, SiteSource};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The tile layer name.
pub const LAYER: &str = "gudang";

/// How many items a gudang's point lists (largest balance first).
pub const BARANG_UTAMA: usize = 5;

/// The gudang points as read at the last refresh.
pub struct GudangSites(Vec<Site>);

impl SiteSource for GudangSites {
    fn sites(&self, [w, s, e, n]: [f64; 4]) -> Vec<Site> {
        self.0.iter().filter(|p| p.lon >= w && p.lon <= e && p.lat >= s && p.lat <= n).cloned().collect()
    }
}

/// One gudang's point properties from its record and its balances per item (base units, dispatchable
/// or not): `stok_utama` reads "Masker 3 ply: 1920 pcs; …" for the `BARANG_UTAMA` largest, and
/// `barang_1`…, `stok_1`… give them as values a map style can use.
pub fn props(g: &lstore::GudangRecord, stok: &[(String, String, f64)]) -> Vec<(String, Prop)> {
    let mut top: Vec<&(String, String, f64)> = stok.iter().filter(|(_, _, j)| *j > 0.0).collect();
    top.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let mut p = vec![
        ("kode".to_string(), Prop::Str(g.kode.clone())),
        ("nama".to_string(), Prop::Str(g.nama.clone())),
        ("kota".to_string(), Prop::Str(g.kota.clone())),
        ("aktif".to_string(), Prop::Bool(g.aktif)),
        ("jumlah_barang".to_string(), Prop::Int(top.len() as i64)),
    ];
    let text: Vec<String> = top.iter().take(BARANG_UTAMA).map(|(_, label, j)| format!("{label}: {j}")).collect();
    p.push(("stok_utama".to_string(), Prop::Str(text.join("; "))));
    for (i, (kode, _, j)) in top.iter().take(BARANG_UTAMA).enumerate() {
        p.push((format!("barang_{}", i + 1), Prop::Str(kode.clone())));
        p.push((format!("stok_{}", i + 1), Prop::Double(*j)));
    }
    p
}

/// Reads the gudang and their current stock per item.
pub async fn read(store: &Store) -> Result<GudangSites, StoreError> {
    let gudang = lstore::list_gudang(store).await?;
    let items: BTreeMap<String, (String, String)> = lstore::list_barang(store, None).await?.into_iter().map(|b| (b.barang.kode, (b.barang.nama, b.barang.satuan))).collect();
    let mut per: BTreeMap<String, Vec<(String, String, f64)>> = BTreeMap::new();
    for s in lstore::stok_kini(store, super::model::jakarta_today()).await? {
        let (nama, satuan) = items.get(&s.barang).cloned().unwrap_or_default();
        per.entry(s.gudang).or_default().push((s.barang, format!("{nama} ({satuan})"), super::model::to_f64(s.jumlah)));
    }
    Ok(GudangSites(
        gudang
            .iter()
            .enumerate()
            .map(|(i, g)| Site { id: i as u64 + 1, lon: g.lon, lat: g.lat, props: props(g, per.get(&g.kode).map_or(&[][..], Vec::as_slice)) })
            .collect(),
    ))
}

/// Re-reads the gudang layer and plugs it into the tiles (replacing the previous list and its
/// cached tiles). A failure is logged, not returned: the write that triggered it has committed,
/// and the map shows the previous stock until the next refresh.
pub async fn refresh(store: &Store, tiles: &crate::tiles::TileService) {
    match read(store).await {
        Ok(sites) => {
            if let Err(e) = tiles.register_site_layer(LAYER, Arc::new(sites)) {
                tracing::warn!(error = %e, "gudang site layer not registered");
            }
        }
        Err(e) => tracing::warn!(error = %e, "gudang site layer not refreshed"),
    }
}
