//! KSBB map and roll-up (issue 13 part 8; Lampiran I steps 2 and 9): the site layers `lokbin`,
//! `loksem` and `promosi` as vector tiles through the tiles' `SiteSource` hook, styled by the share
//! of their UMKM reached, and the public roll-up of targets, pledges and realisation per kelurahan
//! and kota (`GET /api/v1/ksbb/rekap`).
//!
//! Both come from one [`rekap::Rekap`], computed from five grouped queries and cached under the
//! data revision (`ksbb_revision`, bumped by triggers on every write to the tables it reads,
//! migration 1006). Every reader first reads that one-row revision: equal → the cached roll-up;
//! newer → recompute once (single flight), swap, and drop exactly the cached tiles of the sites
//! whose feature changed. So an answer or a tile is never older than the last commit, whoever
//! wrote it (HTTP, CLI, OGC API, another process), and no write path has to remember the cache.
//! The tiles carry no personal data: code, name, kind, capacity, the counts and the share.

pub mod http;
pub mod rekap;
pub mod store;

use crate::store::{Store, StoreError};
use crate::tiles::mvt::Prop;
use crate::tiles::sites::{Site, SiteSource};
use crate::tiles::TileService;
use rekap::Rekap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

/// The tile layers, one per site kind (`ksbb_site.jenis`), named like the kind.
pub const LAYERS: [&str; 3] = ["lokbin", "loksem", "promosi"];

struct Inner {
    store: Store,
    current: RwLock<Arc<Rekap>>,
    /// One recomputation at a time; the others wait and then find it current.
    refresh: tokio::sync::Mutex<()>,
}

/// The cached roll-up of one process (in `AppState`).
#[derive(Clone)]
pub struct PetaService(Arc<Inner>);

/// The sites whose tile features changed: (layer, lon, lat).
pub type Changed = Vec<(String, f64, f64)>;

impl PetaService {
    pub fn new(store: Store) -> PetaService {
        // Revision -1: never loaded (the stored revision starts at 0).
        let empty = Rekap { revision: -1, ..Default::default() };
        PetaService(Arc::new(Inner { store, current: RwLock::new(Arc::new(empty)), refresh: tokio::sync::Mutex::new(()) }))
    }

    /// Registers the three site layers with the tile service.
    pub fn install(&self, tiles: &TileService) {
        for jenis in LAYERS {
            if let Err(e) = tiles.register_site_layer(jenis, Arc::new(Layer { peta: self.clone(), jenis })) {
                tracing::error!(error = %e, "ksbb site layer not registered");
            }
        }
    }

    /// The roll-up loaded now (possibly behind the store; see `refresh`).
    pub fn loaded(&self) -> Arc<Rekap> {
        self.0.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Brings the roll-up to the store's revision. Returns it and the sites whose tile features
    /// changed; the swap and that list happen with no await between, so a cancelled caller
    /// either changed nothing or gets the list (callers drop those tiles at once: `sync`).
    pub async fn refresh(&self) -> Result<(Arc<Rekap>, Changed), StoreError> {
        let rev = store::revision(&self.0.store).await?;
        let cur = self.loaded();
        if cur.revision >= rev {
            return Ok((cur, Vec::new()));
        }
        let _one = self.0.refresh.lock().await;
        let cur = self.loaded();
        if cur.revision >= rev {
            return Ok((cur, Vec::new()));
        }
        let (rev, rows) = store::read(&self.0.store).await?;
        let new = Arc::new(rekap::build(rev, &rows));
        let changed = rekap::changed_points(&cur.sites, &new.sites);
        *self.0.current.write().unwrap_or_else(|p| p.into_inner()) = new.clone();
        Ok((new, changed))
    }

    /// `refresh`, then drops the tiles of the changed sites from `tiles`.
    pub async fn sync(&self, tiles: &TileService) -> Result<Arc<Rekap>, StoreError> {
        let (rekap, changed) = self.refresh().await?;
        tiles.sites_changed_in(&changed);
        Ok(rekap)
    }
}

/// One site layer: the active sites of one kind from the loaded roll-up.
struct Layer {
    peta: PetaService,
    jenis: &'static str,
}

impl SiteSource for Layer {
    fn sites(&self, b: [f64; 4]) -> Vec<Site> {
        let rekap = self.peta.loaded();
        rekap
            .sites
            .iter()
            .filter(|s| s.site.jenis == self.jenis && s.site.lon >= b[0] && s.site.lon <= b[2] && s.site.lat >= b[1] && s.site.lat <= b[3])
            .map(|s| Site {
                id: s.site.id.unsigned_abs(),
                lon: s.site.lon,
                lat: s.site.lat,
                props: vec![
                    ("kode".into(), Prop::Str(s.site.kode.clone())),
                    ("nama".into(), Prop::Str(s.site.nama.clone())),
                    ("jenis".into(), Prop::Str(s.site.jenis.clone())),
                    ("kelurahan".into(), Prop::Str(s.site.kelurahan.clone())),
                    ("kapasitas".into(), Prop::Int(s.site.kapasitas)),
                    ("umkm".into(), Prop::Int(s.umkm)),
                    ("dijanjikan".into(), Prop::Int(s.dijanjikan)),
                    ("tercapai".into(), Prop::Int(s.tercapai)),
                    ("persen".into(), Prop::Int(s.persen)),
                    ("generated".into(), Prop::Bool(s.site.generated)),
                ],
            })
            .collect()
    }

    fn refresh(&self) -> Pin<Box<dyn Future<Output = Vec<(String, f64, f64)>> + Send + '_>> {
        Box::pin(async move {
            match self.peta.refresh().await {
                Ok((_, changed)) => changed,
                // The loaded roll-up keeps serving; the next request tries again.
                Err(e) => {
                    tracing::warn!(error = %e, "ksbb roll-up refresh failed; serving the loaded sites");
                    Vec::new()
                }
            }
        })
    }
}
