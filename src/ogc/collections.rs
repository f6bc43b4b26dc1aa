//! The one trait a domain implements to publish a layer at `/ogc/collections/{id}`, and the
//! registry that lists them. Adding a collection: implement `Collection` in the domain's folder
//! (e.g. `src/logistics/ogc.rs`) and add one line to `Registry::new` (see `src/ogc/README.md`).

use super::model::{CollectionInfo, Feature, Kind, Queryable};
use crate::api::AppState;
use crate::store::StoreError;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The current features of a collection, in a stable order (paging relies on it).
#[derive(Debug, Default)]
pub struct Snapshot {
    pub features: Vec<Feature>,
    /// True when any feature is generated demo data (the RW layer): shown on the collection.
    pub generated: bool,
}

/// A layer served through OGC API – Features. Reads only: the features come as a snapshot (the
/// implementation caches it as it sees fit, keyed by what invalidates it); selection, paging,
/// CRS and formats are done once for every collection by `ogc::model` and `ogc::http`.
pub trait Collection: Send + Sync {
    fn info(&self) -> &CollectionInfo;
    fn features<'a>(&'a self, state: &'a AppState) -> BoxFuture<'a, Result<Arc<Snapshot>, StoreError>>;
}

/// Every collection, in the order `/ogc/collections` lists them.
pub struct Registry {
    collections: Vec<Box<dyn Collection>>,
}

impl Registry {
    /// The one place collections are registered.
    pub fn new() -> Registry {
        use crate::wilayah::Level;
        Registry {
            collections: vec![
                Box::new(super::sources::Areas::new(Level::Kota)),
                Box::new(super::sources::Areas::new(Level::Kecamatan)),
                Box::new(super::sources::Areas::new(Level::Kelurahan)),
                Box::new(super::sources::Areas::new(Level::Rw)),
                Box::new(super::sources::Complaints::new()),
            ],
        }
    }

    pub fn get(&self, id: &str) -> Option<&dyn Collection> {
        self.collections.iter().find(|c| c.info().id == id).map(|c| c.as_ref())
    }

    pub fn all(&self) -> impl Iterator<Item = &dyn Collection> {
        self.collections.iter().map(|c| c.as_ref())
    }

    pub fn ids(&self) -> Vec<&'static str> {
        self.collections.iter().map(|c| c.info().id).collect()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

/// A one-entry cache of a snapshot keyed by what invalidates it (atlas serial, data revision):
/// the help most collections need to avoid rebuilding features on every page.
pub struct SnapshotCache<K> {
    slot: Mutex<Option<(K, Arc<Snapshot>)>>,
}

impl<K: PartialEq + Clone> SnapshotCache<K> {
    pub fn new() -> SnapshotCache<K> {
        SnapshotCache { slot: Mutex::new(None) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(K, Arc<Snapshot>)>> {
        match self.slot.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The snapshot stored for `key`, if that is the one held.
    pub fn get(&self, key: &K) -> Option<Arc<Snapshot>> {
        self.lock().as_ref().filter(|(k, _)| k == key).map(|(_, s)| s.clone())
    }

    /// Stores a freshly built snapshot (two callers may both build one on a miss; the last
    /// stays, both are correct).
    pub fn put(&self, key: K, snapshot: Snapshot) -> Arc<Snapshot> {
        let s = Arc::new(snapshot);
        *self.lock() = Some((key, s.clone()));
        s
    }
}

impl<K: PartialEq + Clone> Default for SnapshotCache<K> {
    fn default() -> Self {
        SnapshotCache::new()
    }
}

/// Queryable shorthand for the collections' tables.
pub const fn q(name: &'static str, kind: Kind, description: &'static str) -> Queryable {
    Queryable { name, kind, description }
}
