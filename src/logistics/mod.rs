//! Logistics (Kepgub DKI 659/2020, seed 000): the catalog of items (barang), the storage
//! locations (gudang), units' needs (kebutuhan) and availability (ketersediaan). Users: the
//! Bidang Logistik, the Sekretariat, the Bidang Kolaborasi, the receiving units (penerima
//! logistik), the Ketua Harian and Bidang Akuntabilitas (read-only). See `README.md`.
//!
//! `model` is plain values and rules; `ops` the writes shared by HTTP, CLI and the demo loader;
//! `store` the SQL on both stores; `http` and `cli` thin adapters.

pub mod cli;
pub mod demo;
pub mod http;
pub mod komitmen;
pub mod laporan;
pub mod model;
pub mod ogc;
pub mod ops;
pub mod penerimaan;
pub mod peta;
pub mod permintaan;
pub mod rencana;
pub mod stok;
pub mod store;

use crate::store::Store;
use crate::wilayah::Atlas;

/// The shipped demo catalog (GENERATED: realistic items, not an official list).
pub const DEMO_BARANG: &str = include_str!("../../data/demo/logistik_barang.csv");
/// The four storage locations of Lampiran A.3 (positions hand-placed at the street addresses:
/// approximate, marked generated).
pub const DEMO_GUDANG: &str = include_str!("../../data/demo/logistik_gudang.csv");

/// GENERATED demo pledges in three states, and the invented collaborators they name (registered
/// and approved in the one collaborator registry, `ksbb_kolaborator`, before the pledges).
pub const DEMO_KOMITMEN: &str = include_str!("../../data/demo/logistik_komitmen.json");

#[derive(serde::Deserialize)]
struct DemoKomitmenFile {
    kolaborator: Vec<DemoKolaborator>,
    komitmen: Vec<DemoKomitmen>,
}

#[derive(serde::Deserialize)]
struct DemoKolaborator {
    input: crate::ksbb::model::KolaboratorInput,
    pks: crate::ksbb::model::PksInput,
}

#[derive(serde::Deserialize)]
struct DemoKomitmen {
    status: komitmen::Status,
    #[serde(default)]
    alasan: Option<String>,
    /// The `nama` of one of the file's collaborators.
    kolaborator: String,
    /// A `KomitmenInput` without `kolaborator_id` (set from the registry at load).
    input: serde_json::Map<String, serde_json::Value>,
}

/// What the demo load stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoLoaded {
    pub barang: usize,
    pub gudang: usize,
    pub komitmen: usize,
}

/// Loads the demo catalog and gudang through `ops`, adding only codes not yet stored (a second
/// run, or a store with real entries under those codes, keeps what is there). `sigap init` runs it.
pub async fn load_demo(store: &Store, atlas: &Atlas) -> anyhow::Result<DemoLoaded> {
    let table = |text: &str| -> anyhow::Result<Vec<Vec<String>>> {
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).trim(csv::Trim::All).from_reader(text.as_bytes());
        Ok(rdr.records().map(|r| r.map(|r| r.iter().map(str::to_string).collect())).collect::<Result<_, _>>()?)
    };
    let rows = cli::rows_from_table(&table(DEMO_BARANG)?)?;
    let barang = model::parse_barang_rows(&rows).map_err(|e| anyhow::anyhow!("shipped demo catalog: {}", e.join("; ")))?;
    let gudang_rows = table(DEMO_GUDANG)?;
    let mut gudang = Vec::new();
    for r in gudang_rows.iter().skip(1) {
        let num = |i: usize| r.get(i).and_then(|v| v.parse::<f64>().ok()).ok_or_else(|| anyhow::anyhow!("shipped demo gudang: bad number in {r:?}"));
        let input = model::GudangInput { kode: r[0].clone(), nama: r[1].clone(), alamat: r.get(2).cloned(), lon: num(3)?, lat: num(4)?, aktif: true, versi: None };
        gudang.push(input.check().map_err(|e| anyhow::anyhow!("shipped demo gudang {}: {e}", r[0]))?);
    }
    let stored_barang = store::list_barang(store, None).await?;
    let stored_gudang = store::list_gudang(store).await?;
    // Read before the transaction: no second pooled connection while it is held.
    let no_komitmen = store::list_komitmen(store, None).await?.is_empty();
    let mut out = DemoLoaded::default();
    let mut tx = store.begin().await?;
    for b in barang.iter().filter(|b| !stored_barang.iter().any(|s| s.barang.kode == b.kode)) {
        ops::create_barang(&mut tx, b, "sigap-init", true).await?;
        out.barang += 1;
    }
    for g in gudang.iter().filter(|g| !stored_gudang.iter().any(|s| s.kode == g.kode)) {
        ops::create_gudang(&mut tx, atlas, g, "sigap-init", true).await?;
        out.gudang += 1;
    }
    // Pledges only into a store without any (they have no code to match on).
    if no_komitmen {
        let demo: DemoKomitmenFile = serde_json::from_str(DEMO_KOMITMEN)?;
        let mut ids = std::collections::HashMap::new();
        for c in &demo.kolaborator {
            let new = c.input.check().map_err(|e| anyhow::anyhow!("shipped demo kolaborator {}: {e}", c.input.nama))?;
            // A registry that already holds the legal-entity number keeps its entry.
            let id = match crate::ksbb::store::kolaborator_by_nomor(&mut tx, new.nomor_badan_hukum.as_deref().unwrap_or("")).await? {
                Some(id) => id,
                None => {
                    let id = crate::ksbb::ops::register_kolaborator(&mut tx, &new, "sigap-init").await?.id;
                    let review = crate::ksbb::model::ReviewInput { keputusan: crate::ksbb::model::Keputusan::Setujui, pks: Some(c.pks.clone()), alasan: None };
                    let review = review.check().map_err(|e| anyhow::anyhow!("shipped demo PKS {}: {e}", c.pks.nomor))?;
                    crate::ksbb::ops::review_kolaborator(&mut tx, id, &review, "sigap-init").await?;
                    id
                }
            };
            ids.insert(new.nama.clone(), id);
        }
        for d in &demo.komitmen {
            let id = ids.get(&d.kolaborator).ok_or_else(|| anyhow::anyhow!("shipped demo pledge names {:?}, not one of its collaborators", d.kolaborator))?;
            let mut input = d.input.clone();
            input.insert("kolaborator_id".into(), (*id).into());
            let input: komitmen::KomitmenInput = serde_json::from_value(input.into())?;
            let k = ops::create_komitmen(&mut tx, &input, "sigap-init", true).await?;
            let mut versi = k.head.versi;
            let steps: &[komitmen::Status] = match d.status {
                komitmen::Status::Disepakati => &[komitmen::Status::Disepakati],
                komitmen::Status::Batal => &[komitmen::Status::Disepakati, komitmen::Status::Batal],
                _ => &[],
            };
            for step in steps {
                let alasan = (*step == komitmen::Status::Batal).then(|| d.alasan.clone()).flatten();
                versi = ops::komitmen_status(&mut tx, k.head.id, &komitmen::StatusInput { status: *step, alasan, versi }, "sigap-init").await?.head.versi;
            }
            out.komitmen += 1;
        }
    }
    tx.commit().await?;
    Ok(out)
}
