//! The one trait a domain implements to publish a layer at `/ogc/collections/{id}`, and the
//! registry that lists them. Adding a collection: implement `Collection` in the domain's folder
//! (e.g. `src/logistics/ogc.rs`) and add one line to `Registry::new` (see `src/ogc/README.md`).

use super::model::{CollectionInfo, Feature, FeatureBody, Kind, Queryable};
use crate::api::{AppState, Problem, Role};
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
    /// The write side (Part 4), for editable collections; read-only ones keep the default.
    fn editor(&self) -> Option<&dyn Editor> {
        None
    }
}

/// Create, replace and delete of one collection's features (OGC API – Features Part 4; PATCH is
/// a merge patch turned into a replace by `ogc::http`). Each goes through the domain's own checks
/// and write (validated, audited, caches and atlas refreshed as the native API does), and
/// replace/delete hold the version the client read (`If-Match`): a stale one is a 412 and
/// writes nothing. Errors are problems naming the part at fault.
pub trait Editor: Send + Sync {
    /// Roles that may write.
    fn roles(&self) -> &'static [Role];
    /// The strong ETag (quoted) of a feature as served; what `If-Match` must repeat.
    fn etag(&self, f: &Feature) -> String;
    /// Creates a feature; returns its id.
    fn create<'a>(&'a self, s: &'a AppState, who: String, body: FeatureBody) -> BoxFuture<'a, Result<String, Problem>>;
    fn replace<'a>(&'a self, s: &'a AppState, who: String, id: &'a str, if_match: Vec<String>, body: FeatureBody) -> BoxFuture<'a, Result<(), Problem>>;
    fn delete<'a>(&'a self, s: &'a AppState, who: String, id: &'a str, if_match: Vec<String>) -> BoxFuture<'a, Result<(), Problem>>;
}

/// The 412 of a stale `If-Match`.
pub fn stale(id: &str, current: &str) -> Problem {
    Problem::new(axum::http::StatusCode::PRECONDITION_FAILED, "stale-version", format!("feature {id} changed since you read it (its ETag is now {current}); GET it again and redo your edit")).field("If-Match")
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
                Box::new(crate::logistics::ogc::GudangLayer::new()),
                Box::new(crate::ksbb::ogc::SitesLayer::new()),
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
