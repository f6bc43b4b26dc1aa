//! The writes, each inside the caller's transaction: check against the atlas and the stored
//! state, write the rows, append the audit entry. Shared by HTTP, the CLI and the demo loader.

use super::model::{self, jakarta_today, to_f64, Barang, CatatanInput, Jenis, JenisCatatan, KebutuhanVsStok, LogistikError, Milli, NewGudang, UnitFigure};
use std::collections::BTreeMap;
use super::komitmen::{KolaboratorLinkInput, KomitmenInput, Status, StatusInput};
use super::penerimaan::{PenerimaanInput, MAX_FOTO};
use super::permintaan::{AjukanInput, KirimInput, PermintaanInput, Status as PStatus, TerimaInput, VerifikasiInput};
use super::stok::MutasiInput;
use super::store::{self as lstore, BarangRecord, BarisRow, CatatanRow, FotoRow, GudangRecord, KomitmenRow, MutasiRow, NewCatatan, NewMutasi, PenerimaanBarisRow, PenerimaanRow, PermintaanRow, RiwayatRow, SaldoRow};
use crate::complaints::attachments::{sniff, AttachmentStore};
use crate::store::audit::{self, AuditEntry};
use crate::store::{StoreError, Tx};
use crate::wilayah::Atlas;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error(transparent)]
    Logistik(#[from] LogistikError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The photo store failed (disk, network): a 500, nothing recorded.
    #[error("attachment store: {0}")]
    Attachment(#[from] std::io::Error),
}

async fn audit_change(tx: &mut Tx, actor: &str, action: &str, entity: &str, id: &str, before: Option<serde_json::Value>, after: Option<serde_json::Value>) -> Result<(), StoreError> {
    audit::record(tx, AuditEntry { actor, action, entity, entity_id: id, before, after }).await
}

fn json(v: &impl Serialize) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

/// Adds an item to the catalog; 409 naming `kode` when the code is taken.
pub async fn create_barang(tx: &mut Tx, b: &Barang, actor: &str, generated: bool) -> Result<BarangRecord, OpError> {
    if !lstore::insert_barang(tx, b, generated).await? {
        return Err(LogistikError::conflict("kode", format!("barang {} already exists; edit it with PUT and its versi", b.kode)).into());
    }
    audit_change(tx, actor, "logistik.barang.create", "logistik_barang", &b.kode, None, json(b)).await?;
    stored_barang(tx, &b.kode).await
}

async fn stored_barang(tx: &mut Tx, kode: &str) -> Result<BarangRecord, OpError> {
    lstore::get_barang_tx(tx, kode).await?.ok_or_else(|| StoreError::Invalid(format!("barang {kode} vanished inside its own write")).into())
}

/// Edits an item that is still at `versi` (the version the editor read); the audit entry keeps
/// the record before and after.
pub async fn update_barang(tx: &mut Tx, b: &Barang, versi: i64, actor: &str) -> Result<BarangRecord, OpError> {
    let before = lstore::get_barang_tx(tx, &b.kode).await?.ok_or_else(|| LogistikError::not_found("kode", format!("no barang {}", b.kode)))?;
    if before.versi != versi || !lstore::update_barang(tx, b, versi).await? {
        return Err(LogistikError::conflict("versi", format!("barang {} is at versi {}, not {versi}: it was changed since it was read; reload and edit again", b.kode, before.versi)).into());
    }
    audit_change(tx, actor, "logistik.barang.update", "logistik_barang", &b.kode, json(&before.barang), json(b)).await?;
    stored_barang(tx, &b.kode).await
}

/// Summary of a catalog import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportStats {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Imports checked catalog lines: new codes are created, changed ones updated (audited), equal
/// ones left alone. The caller commits or drops the transaction as one.
pub async fn import_barang(tx: &mut Tx, items: &[Barang], actor: &str, generated: bool, progress: &(dyn Fn(usize) + Sync)) -> Result<ImportStats, OpError> {
    let mut stats = ImportStats { rows: items.len(), ..ImportStats::default() };
    for (i, b) in items.iter().enumerate() {
        match lstore::get_barang_tx(tx, &b.kode).await? {
            None => {
                create_barang(tx, b, actor, generated).await?;
                stats.created += 1;
            }
            Some(old) if old.barang == *b => stats.unchanged += 1,
            Some(old) => {
                update_barang(tx, b, old.versi, actor).await?;
                stats.updated += 1;
            }
        }
        progress(i + 1);
    }
    Ok(stats)
}

/// Where the atlas puts a gudang (or any place a unit names): its kelurahan and kota codes. A point outside Jakarta is refused
/// naming `lon`, with the swapped-coordinates hint when lat,lon would be inside.
pub fn locate_gudang(atlas: &Atlas, lon: f64, lat: f64) -> Result<(String, String), LogistikError> {
    let swapped = || atlas.locate(lat, lon).is_ok_and(|l| l.in_jakarta());
    let hint = |detail: String| {
        if swapped() {
            format!("{detail}; lon and lat look swapped: send the longitude (≈ 106.8) first, then the latitude (≈ -6.2)")
        } else {
            detail
        }
    };
    let loc = atlas.locate(lon, lat).map_err(|e| LogistikError::invalid(e.field().unwrap_or("lon"), hint(e.to_string())))?;
    match (loc.in_jakarta(), &loc.kelurahan, &loc.kota) {
        (true, Some(kel), Some(kota)) => Ok((kel.kode.clone(), kota.kode.clone())),
        _ => Err(LogistikError::invalid("lon", hint(format!("{lon},{lat} is outside Jakarta (no kelurahan within the tolerance)")))),
    }
}

/// Adds a gudang, located by the atlas; 409 naming `kode` when the code is taken.
pub async fn create_gudang(tx: &mut Tx, atlas: &Atlas, g: &NewGudang, actor: &str, generated: bool) -> Result<GudangRecord, OpError> {
    let (kel, kota) = locate_gudang(atlas, g.lon, g.lat)?;
    if !lstore::insert_gudang(tx, g, &kel, &kota, generated).await? {
        return Err(LogistikError::conflict("kode", format!("gudang {} already exists; edit it with PUT and its versi", g.kode)).into());
    }
    let rec = stored_gudang(tx, &g.kode).await?;
    audit_change(tx, actor, "logistik.gudang.create", "logistik_gudang", &g.kode, None, json(&rec)).await?;
    Ok(rec)
}

async fn stored_gudang(tx: &mut Tx, kode: &str) -> Result<GudangRecord, OpError> {
    lstore::get_gudang_tx(tx, kode).await?.ok_or_else(|| StoreError::Invalid(format!("gudang {kode} vanished inside its own write")).into())
}

/// Edits (or moves) a gudang still at `versi`; a move is located again by the atlas.
pub async fn update_gudang(tx: &mut Tx, atlas: &Atlas, g: &NewGudang, versi: i64, actor: &str) -> Result<GudangRecord, OpError> {
    let (kel, kota) = locate_gudang(atlas, g.lon, g.lat)?;
    let before = lstore::get_gudang_tx(tx, &g.kode).await?.ok_or_else(|| LogistikError::not_found("kode", format!("no gudang {}", g.kode)))?;
    if before.versi != versi || !lstore::update_gudang(tx, g, &kel, &kota, versi).await? {
        return Err(LogistikError::conflict("versi", format!("gudang {} is at versi {}, not {versi}: it was changed since it was read; reload and edit again", g.kode, before.versi)).into());
    }
    let rec = stored_gudang(tx, &g.kode).await?;
    audit_change(tx, actor, "logistik.gudang.update", "logistik_gudang", &g.kode, json(&before), json(&rec)).await?;
    Ok(rec)
}

/// A unit's figure as answered: the stored row with the quantity in the item's base satuan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Catatan {
    #[serde(flatten)]
    pub row: CatatanRow,
    /// In the item's base satuan.
    pub jumlah: f64,
}

impl From<CatatanRow> for Catatan {
    fn from(row: CatatanRow) -> Catatan {
        Catatan { jumlah: to_f64(row.jumlah), row }
    }
}

/// Sets a unit's need or availability for one item (replacing the previous figure, audited with
/// it). The quantity is converted to the item's base satuan; the place, when given, is located
/// by the atlas, else a kelurahan unit stands at its own kelurahan.
pub async fn set_catatan(tx: &mut Tx, atlas: &Atlas, unit: &str, barang: &str, jenis: JenisCatatan, input: &CatatanInput, actor: &str) -> Result<Catatan, OpError> {
    let c = input.check()?;
    let item = lstore::get_barang_tx(tx, barang).await?.ok_or_else(|| LogistikError::not_found("barang", format!("no barang {barang} in the catalog")))?;
    let jumlah = item.barang.to_base(input.jumlah, input.satuan.as_deref(), "jumlah", "satuan")?;
    let (kel, kota) = match c.titik {
        Some((lon, lat)) => {
            let (k, o) = locate_gudang(atlas, lon, lat)?;
            (Some(k), Some(o))
        }
        None if crate::complaints::model::is_kelurahan_code(unit) => (Some(unit.to_string()), unit.get(..5).map(str::to_string)),
        None => (None, None),
    };
    let before = lstore::get_catatan_tx(tx, unit, barang, jenis).await?;
    if let Some(v) = input.versi {
        let at = before.as_ref().map_or(0, |b| b.versi);
        if at != v {
            return Err(LogistikError::conflict("versi", format!("the {} figure of {unit} for {barang} is at versi {at}, not {v}; reload it", jenis.as_str())).into());
        }
    }
    let new = NewCatatan {
        unit,
        barang,
        jenis,
        jumlah,
        titik: c.titik,
        kelurahan: kel.as_deref(),
        kota: kota.as_deref(),
        tempat: c.tempat.as_deref(),
        catatan: c.catatan.as_deref(),
    };
    lstore::upsert_catatan(tx, &new, actor).await?;
    let after = lstore::get_catatan_tx(tx, unit, barang, jenis).await?.ok_or_else(|| StoreError::Invalid("catatan vanished inside its own write".into()))?;
    let id = format!("{unit}/{}/{barang}", jenis.as_str());
    let before = before.map(Catatan::from);
    let after = Catatan::from(after);
    audit_change(tx, actor, &format!("logistik.{}.set", jenis.as_str()), "logistik_catatan", &id, before.as_ref().and_then(json), json(&after)).await?;
    Ok(after)
}

/// Clears a unit's figure (the need is met, nothing is left); 404 naming `barang` when none is set.
pub async fn clear_catatan(tx: &mut Tx, unit: &str, barang: &str, jenis: JenisCatatan, actor: &str) -> Result<Catatan, OpError> {
    let before = lstore::get_catatan_tx(tx, unit, barang, jenis).await?
        .ok_or_else(|| LogistikError::not_found("barang", format!("{unit} has no {} figure for {barang}", jenis.as_str())))?;
    lstore::delete_catatan(tx, unit, barang, jenis).await?;
    let before = Catatan::from(before);
    let id = format!("{unit}/{}/{barang}", jenis.as_str());
    audit_change(tx, actor, &format!("logistik.{}.clear", jenis.as_str()), "logistik_catatan", &id, json(&before), None).await?;
    Ok(before)
}

/// The needs-vs-stock view of every item (of one `jenis`, or only `barang`): a read shared by the
/// API and the CLI. An unknown `barang` is a 404 naming it.
pub async fn kebutuhan_vs_stok(store: &crate::store::Store, jenis: Option<Jenis>, barang: Option<&str>) -> Result<Vec<KebutuhanVsStok>, OpError> {
    let mut items = lstore::list_barang(store, jenis).await?;
    if let Some(b) = barang {
        items.retain(|i| i.barang.kode == b);
        if items.is_empty() {
            return Err(LogistikError::not_found("barang", format!("no barang {b} in the catalog")).into());
        }
    }
    let figures = lstore::list_catatan(store, None, barang).await?;
    let stok = lstore::stok_per_gudang(store, jakarta_today()).await?;
    // Grouped once by item: filtering all (item, gudang) rows per item is items × rows (40
    // million comparisons for 2.000 items in 10 gudang, `cargo bench --bench logistics`).
    let mut stok_by_barang: BTreeMap<&str, BTreeMap<String, Milli>> = BTreeMap::new();
    for (b, g, j) in &stok {
        stok_by_barang.entry(b.as_str()).or_default().insert(g.clone(), *j);
    }
    Ok(items
        .iter()
        .map(|item| {
            let mut units: BTreeMap<&str, UnitFigure> = BTreeMap::new();
            for f in figures.iter().filter(|f| f.barang == item.barang.kode) {
                let u = units.entry(&f.unit).or_insert_with(|| UnitFigure { unit: f.unit.clone(), kota: None, kebutuhan: 0, ketersediaan: 0 });
                match JenisCatatan::parse(&f.jenis) {
                    Some(JenisCatatan::Kebutuhan) => {
                        u.kebutuhan += f.jumlah;
                        u.kota = f.kota.clone().or(u.kota.take());
                    }
                    Some(JenisCatatan::Ketersediaan) => u.ketersediaan += f.jumlah,
                    None => {}
                }
            }
            let units: Vec<UnitFigure> = units.into_values().collect();
            let per_gudang = stok_by_barang.remove(item.barang.kode.as_str()).unwrap_or_default();
            model::kebutuhan_vs_stok(&item.barang, &units, &per_gudang)
        })
        .collect())
}

/// A pledged line as answered, in the item's base satuan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BarisKomitmen {
    pub barang: String,
    pub jumlah: f64,
    pub diterima: f64,
}

/// A pledge with its lines and status history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Komitmen {
    #[serde(flatten)]
    pub head: KomitmenRow,
    pub baris: Vec<BarisKomitmen>,
    pub riwayat: Vec<RiwayatRow>,
}

impl Komitmen {
    pub fn from_rows((head, baris, riwayat): (KomitmenRow, Vec<BarisRow>, Vec<RiwayatRow>)) -> Komitmen {
        let baris = baris.into_iter().map(|b| BarisKomitmen { barang: b.barang, jumlah: to_f64(b.jumlah), diterima: to_f64(b.diterima) }).collect();
        Komitmen { head, baris, riwayat }
    }
}

async fn stored_komitmen(tx: &mut Tx, id: i64) -> Result<Komitmen, OpError> {
    let rows = lstore::get_komitmen_tx(tx, id).await?.ok_or_else(|| StoreError::Invalid(format!("komitmen {id} vanished inside its own write")))?;
    Ok(Komitmen::from_rows(rows))
}

/// The collaborator `id` of the one registry (`ksbb_kolaborator`, shared with KSBB), which must be
/// approved by Bidang Kolaborasi to pledge: unknown, not yet reviewed or rejected is a 422 naming
/// `kolaborator_id`.
async fn approved_kolaborator(tx: &mut Tx, id: i64) -> Result<crate::ksbb::store::KolaboratorRecord, OpError> {
    let k = crate::ksbb::store::kolaborator_tx(tx, id)
        .await?
        .ok_or_else(|| LogistikError::invalid("kolaborator_id", format!("no collaborator {id} in the registry (GET /api/v1/ksbb/kolaborator)")))?;
    if k.status != "disetujui" {
        return Err(LogistikError::invalid("kolaborator_id", format!("collaborator {id} is {}: only a collaborator approved by Bidang Kolaborasi pledges", k.status)).into());
    }
    Ok(k)
}

/// Names the registered collaborator of a pledge recorded before the registry was shared (left
/// unlinked by migration 1010) at the `versi` read: 404 naming `id` for an unknown pledge, 409
/// naming `kolaborator_id` when it names one already, 409 naming `versi` when it moved; the typed
/// name stays. Audited with before and after.
pub async fn link_kolaborator(tx: &mut Tx, id: i64, input: &KolaboratorLinkInput, actor: &str) -> Result<Komitmen, OpError> {
    let (head, _, _) = lstore::get_komitmen_tx(tx, id).await?.ok_or_else(|| LogistikError::not_found("id", format!("no komitmen {id}")))?;
    if let Some(k) = head.kolaborator_id {
        return Err(LogistikError::conflict("kolaborator_id", format!("komitmen {id} already names collaborator {k}")).into());
    }
    if head.versi != input.versi {
        return Err(LogistikError::conflict("versi", format!("komitmen {id} is at versi {}, not {}; reload it", head.versi, input.versi)).into());
    }
    let k = approved_kolaborator(tx, input.kolaborator_id).await?;
    if !lstore::set_komitmen_kolaborator(tx, id, k.id, input.versi).await? {
        return Err(LogistikError::conflict("versi", format!("komitmen {id} changed while this request ran; reload it")).into());
    }
    let out = stored_komitmen(tx, id).await?;
    let before = serde_json::json!({"kolaborator": head.kolaborator, "kolaborator_id": null, "versi": head.versi});
    let after = serde_json::json!({"kolaborator": out.head.kolaborator, "kolaborator_id": k.id, "nama_terdaftar": k.nama, "versi": out.head.versi});
    audit_change(tx, actor, "logistik.komitmen.kolaborator", "logistik_komitmen", &id.to_string(), Some(before), Some(after)).await?;
    Ok(out)
}

/// Records a new pledge in `draf`: the collaborator must be in the one collaborator registry
/// (`ksbb_kolaborator`, shared with KSBB) and approved by Bidang Kolaborasi, the gudang must exist
/// and be active, every line an item of the catalog in a satuan it knows; the first history entry
/// and the audit entry go with it. `generated`: demo data (`sigap init`), marked as such.
pub async fn create_komitmen(tx: &mut Tx, input: &KomitmenInput, actor: &str, generated: bool) -> Result<Komitmen, OpError> {
    let k = input.check()?;
    let kolaborator = approved_kolaborator(tx, k.kolaborator_id).await?;
    match lstore::get_gudang_tx(tx, &k.gudang).await? {
        None => return Err(LogistikError::invalid("gudang", format!("unknown gudang {}", k.gudang)).into()),
        Some(g) if !g.aktif => return Err(LogistikError::invalid("gudang", format!("gudang {} is not active", k.gudang)).into()),
        Some(_) => {}
    }
    let mut lines = Vec::with_capacity(input.baris.len());
    for (i, b) in input.baris.iter().enumerate() {
        let kode = b.barang.trim();
        let item = lstore::get_barang_tx(tx, kode).await?.ok_or_else(|| LogistikError::invalid(&format!("baris[{i}].barang"), format!("unknown barang {kode}")))?;
        let jumlah = item.barang.to_base(b.jumlah, b.satuan.as_deref(), &format!("baris[{i}].jumlah"), &format!("baris[{i}].satuan"))?;
        lines.push((item.barang.kode, jumlah));
    }
    let id = lstore::insert_komitmen(tx, &k, &kolaborator.nama, actor, generated).await?;
    for (barang, jumlah) in &lines {
        lstore::insert_baris(tx, id, barang, *jumlah).await?;
    }
    lstore::insert_riwayat(tx, id, actor, None, Status::Draf.as_str(), None).await?;
    let out = stored_komitmen(tx, id).await?;
    audit_change(tx, actor, "logistik.komitmen.create", "logistik_komitmen", &id.to_string(), None, json(&out)).await?;
    Ok(out)
}

/// Agrees or cancels a pledge from the status and `versi` it was read at (409 naming `versi` when
/// it moved, naming `status` when the step is not allowed); history and audit record it.
pub async fn komitmen_status(tx: &mut Tx, id: i64, input: &StatusInput, actor: &str) -> Result<Komitmen, OpError> {
    let alasan = input.check()?;
    let (head, _, _) = lstore::get_komitmen_tx(tx, id).await?.ok_or_else(|| LogistikError::not_found("id", format!("no komitmen {id}")))?;
    let from = Status::parse(&head.status).ok_or_else(|| StoreError::Invalid(format!("komitmen {id}: status {}", head.status)))?;
    if head.versi != input.versi {
        return Err(LogistikError::conflict("versi", format!("komitmen {id} is at versi {} ({}), not {}; reload it", head.versi, head.status, input.versi)).into());
    }
    from.manual_step(input.status)?;
    if !lstore::set_komitmen_status(tx, id, from.as_str(), input.status.as_str(), input.versi).await? {
        return Err(LogistikError::conflict("versi", format!("komitmen {id} changed while this request ran; reload it")).into());
    }
    lstore::insert_riwayat(tx, id, actor, Some(from.as_str()), input.status.as_str(), alasan.as_deref()).await?;
    let out = stored_komitmen(tx, id).await?;
    let before = serde_json::json!({"status": from.as_str(), "versi": head.versi});
    let after = serde_json::json!({"status": input.status.as_str(), "versi": out.head.versi, "alasan": alasan});
    audit_change(tx, actor, "logistik.komitmen.status", "logistik_komitmen", &id.to_string(), Some(before), Some(after)).await?;
    Ok(out)
}

/// A receipt line as answered, quantities in the item's base satuan; `kurang` is what was
/// announced but neither accepted nor refused (missing at the count).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BarisPenerimaan {
    pub barang: String,
    pub lot: String,
    pub kedaluwarsa: Option<chrono::NaiveDate>,
    pub jumlah_diumumkan: f64,
    pub jumlah_diterima: f64,
    pub jumlah_ditolak: f64,
    pub kurang: f64,
    pub alasan_tolak: Option<String>,
    pub kondisi: Option<String>,
}

/// A receipt with its lines and its photos.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Penerimaan {
    #[serde(flatten)]
    pub head: PenerimaanRow,
    pub baris: Vec<BarisPenerimaan>,
    pub foto: Vec<FotoRow>,
}

impl Penerimaan {
    pub fn from_rows((head, baris, foto): (PenerimaanRow, Vec<PenerimaanBarisRow>, Vec<FotoRow>)) -> Penerimaan {
        let baris = baris
            .into_iter()
            .map(|b| BarisPenerimaan {
                barang: b.barang,
                lot: b.lot,
                kedaluwarsa: b.kedaluwarsa,
                jumlah_diumumkan: to_f64(b.diumumkan),
                jumlah_diterima: to_f64(b.diterima),
                jumlah_ditolak: to_f64(b.ditolak),
                kurang: to_f64(b.diumumkan - b.diterima - b.ditolak),
                alasan_tolak: b.alasan_tolak,
                kondisi: b.kondisi,
            })
            .collect();
        Penerimaan { head, baris, foto }
    }
}

/// Books a receipt at a gudang (Lampiran B rows 3–5): the gudang must be active, the BAST number
/// unused (409 naming `bast_nomor`), every line an item of the catalog checked by
/// `BarisPenerimaanInput::check`; against a pledge, the pledge must be agreed and for this gudang
/// and every line one of its items. Only accepted quantities enter stock, each as a `penerimaan`
/// movement of the ledger; a lot already in the gudang must keep its expiry. The pledge's
/// received quantities and status follow (history entry when the status moves). One audit entry.
/// `generated`: demo data (`sigap init`), marked as such.
pub async fn create_penerimaan(tx: &mut Tx, input: &PenerimaanInput, today: chrono::NaiveDate, actor: &str, generated: bool) -> Result<Penerimaan, OpError> {
    let p = input.check(today)?;
    match lstore::get_gudang_tx(tx, &p.gudang).await? {
        None => return Err(LogistikError::invalid("gudang", format!("unknown gudang {}", p.gudang)).into()),
        Some(g) if !g.aktif => return Err(LogistikError::invalid("gudang", format!("gudang {} is not active", p.gudang)).into()),
        Some(_) => {}
    }
    let pledge = match p.komitmen_id {
        None => None,
        Some(kid) => {
            let (head, baris, _) = lstore::get_komitmen_tx(tx, kid).await?.ok_or_else(|| LogistikError::invalid("komitmen_id", format!("unknown komitmen {kid}")))?;
            let status = Status::parse(&head.status).ok_or_else(|| StoreError::Invalid(format!("komitmen {kid}: status {}", head.status)))?;
            if !matches!(status, Status::Disepakati | Status::DiterimaSebagian) {
                return Err(LogistikError::conflict("komitmen_id", format!("komitmen {kid} is {}: only an agreed pledge (disepakati, diterima_sebagian) takes receipts", head.status)).into());
            }
            if head.gudang != p.gudang {
                return Err(LogistikError::invalid("gudang", format!("komitmen {kid} is to arrive at gudang {}, not {}", head.gudang, p.gudang)).into());
            }
            Some((head, baris))
        }
    };
    lock_gudang(tx, &[p.gudang.as_str()]).await?;
    let mut lines = Vec::with_capacity(input.baris.len());
    for (i, b) in input.baris.iter().enumerate() {
        let kode = b.barang.trim();
        let item = lstore::get_barang_tx(tx, kode).await?.ok_or_else(|| LogistikError::invalid(&format!("baris[{i}].barang"), format!("unknown barang {kode}")))?;
        if let Some((head, baris)) = &pledge {
            if !baris.iter().any(|l| l.barang == item.barang.kode) {
                return Err(LogistikError::invalid(&format!("baris[{i}].barang"), format!("{kode} is not pledged in komitmen {}; book it as a receipt without komitmen_id", head.id)).into());
            }
        }
        let lot = match &b.lot {
            Some(l) => l.trim().to_string(),
            None => p.bast_nomor.clone(),
        };
        let line = b.check(i, &item.barang, lot, today)?;
        if let Some(s) = lstore::saldo_lot_tx(tx, &p.gudang, &line.barang, &line.lot).await? {
            if s.kedaluwarsa != line.kedaluwarsa {
                let was = s.kedaluwarsa.map_or("no expiry".to_string(), |d| d.to_string());
                return Err(LogistikError::conflict(&format!("baris[{i}].lot"), format!("lot {} of {} is already in gudang {} with {was}; one lot has one expiry: give this lot its own code", line.lot, line.barang, p.gudang)).into());
            }
        }
        lines.push(line);
    }
    if let Some(other) = lstore::penerimaan_by_bast_tx(tx, &p.bast_nomor).await? {
        return Err(bast_taken(&p.bast_nomor, other).into());
    }
    let id = match lstore::insert_penerimaan(tx, &p, actor, generated).await? {
        Some(id) => id,
        None => return Err(LogistikError::conflict("bast_nomor", format!("BAST {} was booked by another receipt at the same moment", p.bast_nomor)).into()),
    };
    let referensi = format!("penerimaan/{id}");
    for (no, line) in lines.iter().enumerate() {
        lstore::insert_penerimaan_baris(tx, id, no as i64 + 1, line).await?;
        if line.diterima > 0 {
            let m = NewMutasi { jenis: "penerimaan", gudang: &p.gudang, barang: &line.barang, lot: &line.lot, kedaluwarsa: line.kedaluwarsa, jumlah: line.diterima, referensi: Some(&referensi), alasan: None };
            lstore::apply_mutasi(tx, &m, actor).await?;
        }
    }
    if let Some((head, _)) = &pledge {
        for line in lines.iter().filter(|l| l.diterima > 0) {
            lstore::add_komitmen_diterima(tx, head.id, &line.barang, line.diterima).await?;
        }
        let (_, baris, _) = lstore::get_komitmen_tx(tx, head.id).await?.ok_or_else(|| StoreError::Invalid(format!("komitmen {} vanished inside a receipt", head.id)))?;
        let to = super::komitmen::after_receipt(&baris.iter().map(|b| (b.jumlah, b.diterima)).collect::<Vec<_>>());
        if to.as_str() != head.status {
            if !lstore::set_komitmen_status(tx, head.id, &head.status, to.as_str(), head.versi).await? {
                return Err(LogistikError::conflict("komitmen_id", format!("komitmen {} changed while this receipt was booked; retry", head.id)).into());
            }
            let why = format!("penerimaan {id} (BAST {})", p.bast_nomor);
            lstore::insert_riwayat(tx, head.id, actor, Some(&head.status), to.as_str(), Some(&why)).await?;
        }
    }
    let rows = lstore::get_penerimaan_tx(tx, id).await?.ok_or_else(|| StoreError::Invalid(format!("penerimaan {id} vanished inside its own write")))?;
    let out = Penerimaan::from_rows(rows);
    audit_change(tx, actor, "logistik.penerimaan.create", "logistik_penerimaan", &id.to_string(), None, json(&out)).await?;
    Ok(out)
}

fn bast_taken(nomor: &str, other: i64) -> LogistikError {
    LogistikError::conflict("bast_nomor", format!("BAST {nomor} is already the paper of receipt {other}; each receipt has its own BAST number"))
}

/// A photo as stored and answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FotoStored {
    pub id: i64,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
}

/// A photo checked and put in the AttachmentStore before its record is written: the caller
/// writes the record with `record_foto` (in a keyed write) and removes the file when that did not
/// commit, so only this upload's own file is ever removed.
pub use super::store::StagedFoto;

/// Sniffs the type (JPEG, PNG, WebP by content, like complaint photos) and stores the bytes under
/// a content-hash key with a nonce (`logistik/<dokumen>/<id>/<sha>-<nonce>.<ext>`, issue 9's
/// scheme); a wrong type is a 415 naming `body`.
pub async fn stage_foto(att: &dyn AttachmentStore, dokumen: &str, id: i64, bytes: &[u8]) -> Result<StagedFoto, OpError> {
    let (ctype, ext) = sniff(bytes).ok_or_else(|| LogistikError::unsupported("body", "a photo must be a JPEG, PNG or WebP image (recognised by its content)"))?;
    let sha = crate::store::idempotency::request_hash(bytes);
    let (nonce, _) = crate::complaints::ops::new_upload_secret();
    let key = format!("logistik/{dokumen}/{id}/{}-{}.{ext}", &sha[..16], &nonce[..16]);
    att.put(&key, bytes).await?;
    Ok(StagedFoto { key, content_type: ctype, sha256: sha, bytes: bytes.len() as i64 })
}

/// Records a staged photo of a paper: the paper is locked, each image once per paper (409 naming
/// `body`), at most `MAX_FOTO` (409 naming `foto`); audited.
pub async fn record_foto(tx: &mut Tx, dokumen: &str, id: i64, f: &StagedFoto, actor: &str) -> Result<FotoStored, OpError> {
    if !lstore::lock_dokumen(tx, dokumen, id).await? {
        return Err(LogistikError::not_found("id", format!("no {dokumen} {id}")).into());
    }
    if dokumen == "permintaan" {
        // Photos of the hand-over: the goods must have left the gudang (dikirim), or the unit
        // adds them with or after its confirmation (diterima).
        let (head, ..) = lstore::get_permintaan_tx(tx, id).await?.ok_or_else(|| LogistikError::not_found("id", format!("no permintaan {id}")))?;
        if !matches!(PStatus::parse(&head.status), Some(PStatus::Dikirim | PStatus::Diterima)) {
            return Err(LogistikError::conflict("status", format!("permintaan {id} is {}: photos of the hand-over come once it is dispatched (dikirim) or confirmed (diterima)", head.status)).into());
        }
    }
    let existing = lstore::fotos_tx(tx, dokumen, id).await?;
    if let Some(same) = existing.iter().find(|x| x.sha256 == f.sha256) {
        return Err(LogistikError::conflict("body", format!("this photo is already attached to {dokumen} {id} as photo {}", same.id)).into());
    }
    if existing.len() as i64 >= MAX_FOTO {
        return Err(LogistikError::conflict("foto", format!("{dokumen} {id} already has {MAX_FOTO} photos")).into());
    }
    let fid = lstore::insert_foto(tx, dokumen, id, f, actor).await?;
    let out = FotoStored { id: fid, content_type: f.content_type.to_string(), bytes: f.bytes, sha256: f.sha256.clone() };
    audit_change(tx, actor, &format!("logistik.{dokumen}.foto"), &format!("logistik_{dokumen}"), &id.to_string(), None, json(&out)).await?;
    Ok(out)
}


/// One movement as answered, in the item's base satuan (signed: out is negative).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Gerak {
    pub jenis: String,
    pub gudang: String,
    pub barang: String,
    pub lot: String,
    pub kedaluwarsa: Option<chrono::NaiveDate>,
    pub jumlah: f64,
    /// The same in thousandths, for the writes that follow.
    #[serde(skip)]
    pub milli: Milli,
}

/// A ledger row as answered: the stored row with the signed quantity in base units.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Mutasi {
    #[serde(flatten)]
    pub row: MutasiRow,
    pub jumlah: f64,
}

impl From<MutasiRow> for Mutasi {
    fn from(row: MutasiRow) -> Mutasi {
        Mutasi { jumlah: to_f64(row.jumlah), row }
    }
}

/// Appends one movement (and its balance); a movement out that the lot does not hold is a 409
/// naming `field` with what the lot has.
async fn gerak(tx: &mut Tx, m: &NewMutasi<'_>, actor: &str, field: &str, satuan: &str, out: &mut Vec<Gerak>) -> Result<(), OpError> {
    if !lstore::apply_mutasi(tx, m, actor).await? {
        let has = lstore::saldo_lot_tx(tx, m.gudang, m.barang, m.lot).await?.map_or(0, |s| s.jumlah);
        return Err(LogistikError::conflict(field, format!("lot {} of {} in gudang {} holds {} {satuan}, not {}", m.lot, m.barang, m.gudang, to_f64(has), to_f64(-m.jumlah))).into());
    }
    out.push(Gerak { jenis: m.jenis.to_string(), gudang: m.gudang.to_string(), barang: m.barang.to_string(), lot: m.lot.to_string(), kedaluwarsa: m.kedaluwarsa, jumlah: to_f64(m.jumlah), milli: m.jumlah });
    Ok(())
}

async fn active_gudang(tx: &mut Tx, field: &str, kode: &str) -> Result<(), OpError> {
    match lstore::get_gudang_tx(tx, kode).await? {
        None => Err(LogistikError::invalid(field, format!("unknown gudang {kode}")).into()),
        Some(g) if !g.aktif => Err(LogistikError::invalid(field, format!("gudang {kode} is not active")).into()),
        Some(_) => Ok(()),
    }
}

/// A movement out: its ledger `jenis`, the gudang, the paper it refers to, and the day expiry is
/// judged by.
#[derive(Debug, Clone, Copy)]
pub struct Keluar<'a> {
    pub jenis: &'a str,
    pub gudang: &'a str,
    pub referensi: Option<&'a str>,
    pub today: chrono::NaiveDate,
}

/// Takes `want` of an item out of a gudang, first expiry first out (expired lots never), as
/// movements of `jenis`. The caller has locked the gudang (`lock_gudang`), so concurrent movers
/// take one after another and never more than is there. 409 naming `field` with what is available.
pub async fn take_fefo(tx: &mut Tx, k: &Keluar<'_>, item: &Barang, want: Milli, actor: &str) -> Result<Vec<Gerak>, OpError> {
    let Keluar { jenis, gudang, referensi, today } = *k;
    let lots = lstore::lots_tx(tx, gudang, &item.kode).await?;
    let picks = super::stok::fefo(&lots, today, want).map_err(|avail| {
        LogistikError::conflict("jumlah", format!("gudang {gudang} has {} {} of {} available (expired lots excluded), not {}", to_f64(avail), item.satuan, item.kode, to_f64(want)))
    })?;
    let mut out = Vec::with_capacity(picks.len());
    for p in &picks {
        let m = NewMutasi { jenis, gudang, barang: &item.kode, lot: &p.lot, kedaluwarsa: p.kedaluwarsa, jumlah: -p.jumlah, referensi, alasan: None };
        gerak(tx, &m, actor, "jumlah", &item.satuan, &mut out).await?;
    }
    Ok(out)
}

/// Locks the gudang a movement touches, in code order (so two transfers in opposite directions
/// cannot deadlock): on PostgreSQL every stock change at a gudang waits for the one before it and
/// then reads the committed balances (READ COMMITTED reads afresh per statement); on SQLite the
/// transaction is already the only writer. One row per gudang, because locking the balance rows
/// themselves would take them in heap order, which updates change, and deadlock.
pub async fn lock_gudang(tx: &mut Tx, gudang: &[&str]) -> Result<(), OpError> {
    let mut g = gudang.to_vec();
    g.sort_unstable();
    g.dedup();
    for kode in g {
        lstore::lock_gudang(tx, kode).await?;
    }
    Ok(())
}

/// Books a movement by hand (Bidang Logistik): an adjustment after a stock count (the difference
/// to the counted quantity, with a reason), a write-off (expiry or damage), a transfer to another
/// gudang (FEFO unless a lot is named; each lot keeps its code and expiry), or a return into a
/// gudang. Every movement is a row of the append-only ledger with its balance; one audit entry.
pub async fn book_mutasi(tx: &mut Tx, input: &MutasiInput, today: chrono::NaiveDate, actor: &str) -> Result<Vec<Gerak>, OpError> {
    use super::stok::JenisManual;
    let c = input.check()?;
    match lstore::get_gudang_tx(tx, &c.gudang).await? {
        None => return Err(LogistikError::invalid("gudang", format!("unknown gudang {}", c.gudang)).into()),
        Some(g) if !g.aktif && c.jenis == JenisManual::Retur => return Err(LogistikError::invalid("gudang", format!("gudang {} is not active", c.gudang)).into()),
        Some(_) => {}
    }
    if let Some(to) = &c.ke_gudang {
        active_gudang(tx, "ke_gudang", to).await?;
    }
    let item = lstore::get_barang_tx(tx, &c.barang).await?.ok_or_else(|| LogistikError::invalid("barang", format!("unknown barang {}", c.barang)))?.barang;
    let (v, field, zero_ok) = c.jumlah;
    let satuan = input.satuan.as_deref();
    let jumlah = if zero_ok { super::penerimaan::jumlah0(&item, v, satuan, field, "satuan")? } else { item.to_base(v, satuan, field, "satuan")? };
    lock_gudang(tx, &[c.gudang.as_str(), c.ke_gudang.as_deref().unwrap_or(c.gudang.as_str())]).await?;
    let lot_row = match &c.lot {
        Some(l) => lstore::saldo_lot_tx(tx, &c.gudang, &item.kode, l).await?,
        None => None,
    };
    let existing = |what: &str| {
        lot_row.clone().ok_or_else(|| LogistikError::invalid("lot", format!("gudang {} has no lot {} of {} to {what}", c.gudang, c.lot.as_deref().unwrap_or("-"), item.kode)))
    };
    let alasan = c.alasan.as_deref();
    let mut out = Vec::new();
    match c.jenis {
        JenisManual::Penyesuaian => {
            let s = existing("count")?;
            let delta = jumlah - s.jumlah;
            if delta == 0 {
                return Err(LogistikError::invalid("jumlah_hitung", format!("the count equals the balance of lot {} ({} {}): nothing to adjust", s.lot, to_f64(s.jumlah), item.satuan)).into());
            }
            let m = NewMutasi { jenis: "penyesuaian", gudang: &c.gudang, barang: &item.kode, lot: &s.lot, kedaluwarsa: s.kedaluwarsa, jumlah: delta, referensi: None, alasan };
            gerak(tx, &m, actor, "jumlah_hitung", &item.satuan, &mut out).await?;
        }
        JenisManual::Penghapusan => {
            let s = existing("write off")?;
            let m = NewMutasi { jenis: "penghapusan", gudang: &c.gudang, barang: &item.kode, lot: &s.lot, kedaluwarsa: s.kedaluwarsa, jumlah: -jumlah, referensi: None, alasan };
            gerak(tx, &m, actor, "jumlah", &item.satuan, &mut out).await?;
        }
        JenisManual::Transfer => {
            let to = c.ke_gudang.as_deref().unwrap_or_default();
            let referensi = format!("transfer:{}>{to}", c.gudang);
            let picks = match &c.lot {
                None => take_fefo(tx, &Keluar { jenis: "transfer_keluar", gudang: &c.gudang, referensi: Some(&referensi), today }, &item, jumlah, actor).await?,
                Some(_) => {
                    let s = existing("move")?;
                    if let Some(k) = s.kedaluwarsa.filter(|k| *k < today) {
                        return Err(LogistikError::invalid("lot", format!("lot {} expired on {k}: write it off, do not move it", s.lot)).into());
                    }
                    let m = NewMutasi { jenis: "transfer_keluar", gudang: &c.gudang, barang: &item.kode, lot: &s.lot, kedaluwarsa: s.kedaluwarsa, jumlah: -jumlah, referensi: Some(&referensi), alasan };
                    let mut v = Vec::new();
                    gerak(tx, &m, actor, "jumlah", &item.satuan, &mut v).await?;
                    v
                }
            };
            for p in &picks {
                if let Some(t) = lstore::saldo_lot_tx(tx, to, &item.kode, &p.lot).await? {
                    if t.kedaluwarsa != p.kedaluwarsa {
                        return Err(LogistikError::conflict("lot", format!("gudang {to} holds lot {} of {} with another expiry; one lot has one expiry", p.lot, item.kode)).into());
                    }
                }
                let m = NewMutasi { jenis: "transfer_masuk", gudang: to, barang: &item.kode, lot: &p.lot, kedaluwarsa: p.kedaluwarsa, jumlah: -p.milli, referensi: Some(&referensi), alasan };
                gerak(tx, &m, actor, "jumlah", &item.satuan, &mut out).await?;
            }
            out.splice(0..0, picks);
        }
        JenisManual::Retur => {
            let kedaluwarsa = match (&lot_row, c.kedaluwarsa) {
                (Some(s), Some(k)) if s.kedaluwarsa != Some(k) => {
                    return Err(LogistikError::conflict("lot", format!("lot {} of {} is in gudang {} with another expiry; one lot has one expiry", s.lot, item.kode, c.gudang)).into());
                }
                (Some(s), _) => s.kedaluwarsa,
                (None, k) => k,
            };
            match kedaluwarsa {
                None if item.perlu_kedaluwarsa => return Err(LogistikError::invalid("kedaluwarsa", format!("{} needs an expiry date on every lot", item.kode)).into()),
                Some(k) if k < today => return Err(LogistikError::invalid("kedaluwarsa", format!("lot expired on {k}: expired goods are not taken back into stock")).into()),
                _ => {}
            }
            let lot = c.lot.as_deref().unwrap_or_default();
            let m = NewMutasi { jenis: "retur", gudang: &c.gudang, barang: &item.kode, lot, kedaluwarsa, jumlah, referensi: None, alasan };
            gerak(tx, &m, actor, "jumlah", &item.satuan, &mut out).await?;
        }
    }
    audit_change(tx, actor, &format!("logistik.mutasi.{}", c.jenis.as_str()), "logistik_saldo", &format!("{}/{}", c.gudang, item.kode), None, json(&out)).await?;
    Ok(out)
}

/// A balance as answered: the lot, its quantity in base units and how it stands against its expiry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Saldo {
    #[serde(flatten)]
    pub row: SaldoRow,
    pub jumlah: f64,
    pub satuan: String,
    pub status: super::stok::StatusLot,
    /// Days to expiry (negative: expired that many days ago).
    pub sisa_hari: Option<i64>,
}

/// Balances per gudang × item × lot flagged against their expiry with `hari` days of look-ahead;
/// `only_segera` keeps the lots expired or expiring within it (the near-expiry report).
pub async fn saldo(store: &crate::store::Store, gudang: Option<&str>, barang: Option<&str>, hari: i64, only_segera: bool, today: chrono::NaiveDate) -> Result<Vec<Saldo>, OpError> {
    let sampai = only_segera.then(|| today + chrono::Duration::days(hari));
    let rows = lstore::list_saldo(store, gudang, barang, sampai).await?;
    let satuan: BTreeMap<String, String> = lstore::list_barang(store, None).await?.into_iter().map(|b| (b.barang.kode, b.barang.satuan)).collect();
    Ok(rows
        .into_iter()
        .map(|r| Saldo {
            jumlah: to_f64(r.jumlah),
            satuan: satuan.get(&r.barang).cloned().unwrap_or_default(),
            status: super::stok::status_lot(r.kedaluwarsa, today, hari),
            sisa_hari: r.kedaluwarsa.map(|k| (k - today).num_days()),
            row: r,
        })
        .collect())
}

/// A requested line through its stages, in the item's base satuan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BarisPermintaan {
    pub barang: String,
    pub diminta: f64,
    pub disetujui: Option<f64>,
    pub dikirim: Option<f64>,
    pub diterima: Option<f64>,
    pub rusak: Option<f64>,
    pub kurang: Option<f64>,
}

/// A request with its lines, status history, and the lots its dispatch took (the surat jalan).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Permintaan {
    #[serde(flatten)]
    pub head: PermintaanRow,
    pub baris: Vec<BarisPermintaan>,
    pub riwayat: Vec<RiwayatRow>,
    pub kiriman: Vec<Gerak>,
    /// Photos of the hand-over added by the receiving unit (`…/permintaan/{id}/foto`).
    pub foto: Vec<FotoRow>,
}

impl Permintaan {
    pub fn from_rows((head, baris, riwayat, kiriman): lstore::PermintaanRows) -> Permintaan {
        let f = |m: Option<i64>| m.map(to_f64);
        Permintaan {
            head,
            baris: baris
                .into_iter()
                .map(|b| BarisPermintaan { barang: b.barang, diminta: to_f64(b.diminta), disetujui: f(b.disetujui), dikirim: f(b.dikirim), diterima: f(b.diterima), rusak: f(b.rusak), kurang: f(b.kurang) })
                .collect(),
            riwayat,
            kiriman: kiriman
                .iter()
                .map(|m| Gerak { jenis: m.jenis.clone(), gudang: m.gudang.clone(), barang: m.barang.clone(), lot: m.lot.clone(), kedaluwarsa: m.kedaluwarsa, jumlah: -to_f64(m.jumlah), milli: -m.jumlah })
                .collect(),
            foto: Vec::new(),
        }
    }

    /// The answer with the request's photo records (read beside the rows).
    pub fn with_foto(mut self, foto: Vec<FotoRow>) -> Permintaan {
        self.foto = foto;
        self
    }
}

async fn stored_permintaan(tx: &mut Tx, id: i64) -> Result<Permintaan, OpError> {
    let rows = lstore::get_permintaan_tx(tx, id).await?.ok_or_else(|| StoreError::Invalid(format!("permintaan {id} vanished inside its own write")))?;
    let foto = lstore::fotos_tx(tx, "permintaan", id).await?;
    Ok(Permintaan::from_rows(rows).with_foto(foto))
}

/// Converts request lines against the catalog (errors naming `baris[i].…`).
async fn lines_to_base(tx: &mut Tx, baris: &[super::permintaan::BarisInput], zero_ok: bool) -> Result<Vec<(Barang, Milli)>, OpError> {
    let mut out = Vec::with_capacity(baris.len());
    for (i, b) in baris.iter().enumerate() {
        let kode = b.barang.trim();
        let item = lstore::get_barang_tx(tx, kode).await?.ok_or_else(|| LogistikError::invalid(&format!("baris[{i}].barang"), format!("unknown barang {kode}")))?.barang;
        let (jf, sf) = (format!("baris[{i}].jumlah"), format!("baris[{i}].satuan"));
        let j = if zero_ok { super::penerimaan::jumlah0(&item, b.jumlah, b.satuan.as_deref(), &jf, &sf)? } else { item.to_base(b.jumlah, b.satuan.as_deref(), &jf, &sf)? };
        out.push((item, j));
    }
    Ok(out)
}

/// A unit requests goods for a delivery point (Lampiran B row 6): the point is located by the
/// atlas (outside Jakarta: 422 naming `lon`, with the swapped hint); without one a kelurahan unit
/// stands at an interior point of its kelurahan, another unit must give one. `generated`: demo
/// data (`sigap init`), marked as such.
pub async fn create_permintaan(tx: &mut Tx, atlas: &Atlas, input: &PermintaanInput, actor: &str, generated: bool) -> Result<Permintaan, OpError> {
    let super::permintaan::CheckedPermintaan { titik, tempat, catatan } = input.check()?;
    let unit = input.unit.trim();
    let titik = match titik {
        Some(t) => t,
        None => crate::wilayah::AreaCode::parse(unit)
            .ok()
            .filter(|_| crate::complaints::model::is_kelurahan_code(unit))
            .and_then(|c| atlas.interior_point(&c))
            .map(|p| (p.x(), p.y()))
            .ok_or_else(|| LogistikError::invalid("lon", format!("unit {unit} is not a kelurahan: give the delivery point (lon, lat)")))?,
    };
    let (kel, kota) = locate_gudang(atlas, titik.0, titik.1)?;
    let lines = lines_to_base(tx, &input.baris, false).await?;
    let new = lstore::NewPermintaan { unit, titik, kelurahan: &kel, kota: &kota, tempat: tempat.as_deref(), catatan: catatan.as_deref(), generated };
    let id = lstore::insert_permintaan(tx, &new, actor).await?;
    for (item, j) in &lines {
        lstore::insert_permintaan_baris(tx, id, &item.kode, *j).await?;
    }
    lstore::insert_permintaan_riwayat(tx, id, actor, None, PStatus::Diajukan.as_str(), None).await?;
    let out = stored_permintaan(tx, id).await?;
    audit_change(tx, actor, "logistik.permintaan.create", "logistik_permintaan", &id.to_string(), None, json(&out)).await?;
    Ok(out)
}

/// Reads a request for a step: it must exist (404 naming `id`), be at `versi` (409 naming
/// `versi`) and allow the step to `to` (409 naming `status`).
async fn for_step(tx: &mut Tx, id: i64, versi: i64, to: PStatus) -> Result<(lstore::PermintaanRows, PStatus), OpError> {
    let rows = lstore::get_permintaan_tx(tx, id).await?.ok_or_else(|| LogistikError::not_found("id", format!("no permintaan {id}")))?;
    let from = PStatus::parse(&rows.0.status).ok_or_else(|| StoreError::Invalid(format!("permintaan {id}: status {}", rows.0.status)))?;
    from.step(to)?;
    if rows.0.versi != versi {
        return Err(LogistikError::conflict("versi", format!("permintaan {id} is at versi {} ({}), not {versi}; reload it", rows.0.versi, rows.0.status)).into());
    }
    Ok((rows, from))
}

/// `step` is (from, to, the versi read).
async fn move_permintaan(tx: &mut Tx, id: i64, step: (PStatus, PStatus, i64), l: &lstore::Langkah<'_>, alasan: Option<&str>, actor: &str) -> Result<Permintaan, OpError> {
    let (from, to, versi) = step;
    if !lstore::set_permintaan_status(tx, id, from.as_str(), to.as_str(), versi, l).await? {
        return Err(LogistikError::conflict("versi", format!("permintaan {id} changed while this request ran; reload it")).into());
    }
    lstore::insert_permintaan_riwayat(tx, id, actor, Some(from.as_str()), to.as_str(), alasan).await?;
    let out = stored_permintaan(tx, id).await?;
    let before = serde_json::json!({"status": from.as_str(), "versi": versi});
    let after = serde_json::json!({"status": to.as_str(), "versi": out.head.versi, "alasan": alasan, "gudang": out.head.gudang});
    audit_change(tx, actor, &format!("logistik.permintaan.{}", to.as_str()), "logistik_permintaan", &id.to_string(), Some(before), Some(after)).await?;
    Ok(out)
}

/// The unit resubmits a returned request (`dikembalikan → diajukan`) at the `versi` it read:
/// with `baris` the corrected lines replace the old ones (the catalog's rules, errors naming
/// `baris[i].…`); the note goes into the history; the audit keeps the lines before and after.
pub async fn ajukan_ulang(tx: &mut Tx, id: i64, input: &AjukanInput, actor: &str) -> Result<Permintaan, OpError> {
    let catatan = input.check()?;
    let ((_, before, _, _), from) = for_step(tx, id, input.versi, PStatus::Diajukan).await?;
    if let Some(baris) = &input.baris {
        let lines = lines_to_base(tx, baris, false).await?;
        lstore::delete_permintaan_baris(tx, id).await?;
        for (item, j) in &lines {
            lstore::insert_permintaan_baris(tx, id, &item.kode, *j).await?;
        }
        let old: BTreeMap<&str, f64> = before.iter().map(|b| (b.barang.as_str(), to_f64(b.diminta))).collect();
        let new: BTreeMap<&str, f64> = lines.iter().map(|(b, j)| (b.kode.as_str(), to_f64(*j))).collect();
        audit_change(tx, actor, "logistik.permintaan.baris", "logistik_permintaan", &id.to_string(), json(&old), json(&new)).await?;
    }
    move_permintaan(tx, id, (from, PStatus::Diajukan, input.versi), &lstore::Langkah::default(), catatan.as_deref(), actor).await
}

/// Dispatchable (not expired) stock of an item at a gudang, read inside a write.
async fn available(tx: &mut Tx, gudang: &str, barang: &str, today: chrono::NaiveDate) -> Result<Milli, OpError> {
    Ok(lstore::lots_tx(tx, gudang, barang).await?.iter().filter(|l| l.kedaluwarsa.is_none_or(|k| k >= today)).map(|l| l.jumlah).sum())
}

/// The Bidang Logistik verifies a request: returns it with a reason, or approves it — whole, or
/// part (`baris`: at most what was requested, with an `alasan`) — from a gudang that holds every
/// approved quantity now: the one named (short: 409 naming `gudang` with what it has), else the
/// nearest active gudang to the delivery point that does (an R-tree over the gudang points;
/// none: 409 naming `gudang`). `scope`: a gudang-scoped token approves only from its gudang.
pub async fn verifikasi(tx: &mut Tx, id: i64, input: &VerifikasiInput, scope: Option<&str>, today: chrono::NaiveDate, actor: &str) -> Result<Permintaan, OpError> {
    use super::permintaan::Keputusan;
    let (gudang, alasan) = input.check()?;
    let to = match input.keputusan {
        Keputusan::Setuju => PStatus::Disetujui,
        Keputusan::Kembalikan => PStatus::Dikembalikan,
    };
    let ((head, baris, _, _), from) = for_step(tx, id, input.versi, to).await?;
    if to == PStatus::Dikembalikan {
        return move_permintaan(tx, id, (from, to, input.versi), &lstore::Langkah::default(), alasan.as_deref(), actor).await;
    }
    let part = lines_to_base(tx, &input.baris, true).await?;
    let mut approved: Vec<(String, Milli)> = baris.iter().map(|b| (b.barang.clone(), b.diminta)).collect();
    for (i, (item, j)) in part.iter().enumerate() {
        let line = approved.iter_mut().find(|(b, _)| *b == item.kode).ok_or_else(|| LogistikError::invalid(&format!("baris[{i}].barang"), format!("{} is not requested in permintaan {id}", item.kode)))?;
        if *j > line.1 {
            return Err(LogistikError::invalid(&format!("baris[{i}].jumlah"), format!("{} {} is more than the {} requested", to_f64(*j), item.satuan, to_f64(line.1))).into());
        }
        line.1 = *j;
    }
    let reduced = approved.iter().zip(&baris).any(|((_, a), b)| *a < b.diminta);
    if reduced && alasan.is_none() {
        return Err(LogistikError::invalid("alasan", "approving less than requested needs an alasan for the unit").into());
    }
    if approved.iter().all(|(_, a)| *a == 0) {
        return Err(LogistikError::invalid("baris", "nothing approved: return the request with an alasan instead").into());
    }
    let wanted: Vec<&(String, Milli)> = approved.iter().filter(|(_, a)| *a > 0).collect();
    let chosen = match gudang.as_deref().or(scope) {
        Some(g) => {
            if scope.is_some_and(|s| s != g) {
                return Err(LogistikError::forbidden("gudang", format!("this token approves from gudang {}, not {g}", scope.unwrap_or_default())).into());
            }
            active_gudang(tx, "gudang", g).await?;
            for (b, a) in &wanted {
                let has = available(tx, g, b, today).await?;
                if has < *a {
                    return Err(LogistikError::conflict("gudang", format!("gudang {g} has {} of {b} available, not {}", to_f64(has), to_f64(*a))).into());
                }
            }
            g.to_string()
        }
        None => {
            let all = lstore::gudang_aktif_tx(tx).await?;
            let tree = rstar::RTree::bulk_load(all.iter().enumerate().map(|(i, g)| rstar::primitives::GeomWithData::new([g.lon, g.lat], i)).collect());
            let mut found = None;
            for near in tree.nearest_neighbor_iter(&[head.lon, head.lat]) {
                let g = &all[near.data].kode;
                let mut enough = true;
                for (b, a) in &wanted {
                    if available(tx, g, b, today).await? < *a {
                        enough = false;
                        break;
                    }
                }
                if enough {
                    found = Some(g.clone());
                    break;
                }
            }
            found.ok_or_else(|| LogistikError::conflict("gudang", "no active gudang holds every approved quantity now; approve part, or name a gudang after a transfer"))?
        }
    };
    for (b, a) in &approved {
        lstore::set_permintaan_baris(tx, id, b, "disetujui", *a).await?;
    }
    move_permintaan(tx, id, (from, to, input.versi), &lstore::Langkah { gudang: Some(&chosen), ..Default::default() }, alasan.as_deref(), actor).await
}

/// The Sekretariat dispatches an approved request: every approved line leaves the gudang FEFO as
/// `pengeluaran` movements referring to `permintaan/<id>` (the surat jalan's lots); a gudang that
/// no longer holds a quantity is a 409 naming `jumlah` with what is available, and nothing leaves.
pub async fn kirim(tx: &mut Tx, id: i64, input: &KirimInput, today: chrono::NaiveDate, actor: &str) -> Result<Permintaan, OpError> {
    let surat_jalan = input.check()?;
    let ((head, baris, _, _), from) = for_step(tx, id, input.versi, PStatus::Dikirim).await?;
    let gudang = head.gudang.clone().ok_or_else(|| StoreError::Invalid(format!("permintaan {id} approved without a gudang")))?;
    lock_gudang(tx, &[gudang.as_str()]).await?;
    let referensi = format!("permintaan/{id}");
    for b in &baris {
        let want = b.disetujui.unwrap_or(0);
        if want > 0 {
            let item = lstore::get_barang_tx(tx, &b.barang).await?.ok_or_else(|| StoreError::Invalid(format!("barang {} vanished", b.barang)))?.barang;
            take_fefo(tx, &Keluar { jenis: "pengeluaran", gudang: &gudang, referensi: Some(&referensi), today }, &item, want, actor).await?;
        }
        lstore::set_permintaan_baris(tx, id, &b.barang, "dikirim", want).await?;
    }
    move_permintaan(tx, id, (from, PStatus::Dikirim, input.versi), &lstore::Langkah { surat_jalan: Some(&surat_jalan), ..Default::default() }, None, actor).await
}

/// The receiving unit confirms a dispatched request with its BAST (unique: 409 naming
/// `bast_nomor`): every dispatched line once, received + damaged + short = dispatched (422
/// naming the line). A second confirmation is a 409 naming `status`.
pub async fn terima(tx: &mut Tx, id: i64, input: &TerimaInput, today: chrono::NaiveDate, actor: &str) -> Result<Permintaan, OpError> {
    let (nomor, tanggal, catatan) = input.check(today)?;
    let ((_, baris, _, _), from) = for_step(tx, id, input.versi, PStatus::Diterima).await?;
    let sent: Vec<&lstore::PermintaanBarisRow> = baris.iter().filter(|b| b.dikirim.unwrap_or(0) > 0).collect();
    let mut lines = Vec::with_capacity(sent.len());
    for (i, t) in input.baris.iter().enumerate() {
        let f = |n: &str| format!("baris[{i}].{n}");
        let b = sent.iter().find(|b| b.barang == t.barang.trim()).ok_or_else(|| LogistikError::invalid(&f("barang"), format!("{} was not dispatched in permintaan {id}", t.barang.trim())))?;
        if input.baris[..i].iter().any(|o| o.barang.trim() == b.barang) {
            return Err(LogistikError::invalid(&f("barang"), format!("{} is on two lines", b.barang)).into());
        }
        let item = lstore::get_barang_tx(tx, &b.barang).await?.ok_or_else(|| StoreError::Invalid(format!("barang {} vanished", b.barang)))?.barang;
        let q = |v: f64, n: &str| super::penerimaan::jumlah0(&item, v, None, &f(n), &f("satuan"));
        let (d, r, k) = (q(t.diterima, "diterima")?, q(t.rusak, "rusak")?, q(t.kurang, "kurang")?);
        let dikirim = b.dikirim.unwrap_or(0);
        if d + r + k != dikirim {
            return Err(LogistikError::invalid(&f("diterima"), format!("received {} + damaged {} + short {} must be the {} dispatched", t.diterima, t.rusak, t.kurang, to_f64(dikirim))).into());
        }
        lines.push((b.barang.clone(), d, r, k));
    }
    if let Some(missing) = sent.iter().find(|b| !lines.iter().any(|l| l.0 == b.barang)) {
        return Err(LogistikError::invalid("baris", format!("{} was dispatched: confirm every dispatched line", missing.barang)).into());
    }
    if let Some(other) = lstore::permintaan_by_bast_tx(tx, &nomor).await? {
        return Err(LogistikError::conflict("bast_nomor", format!("BAST {nomor} is already the paper of permintaan {other}")).into());
    }
    for (b, d, r, k) in &lines {
        lstore::set_permintaan_terima(tx, id, b, *d, *r, *k).await?;
    }
    move_permintaan(tx, id, (from, PStatus::Diterima, input.versi), &lstore::Langkah { bast: Some((&nomor, tanggal)), ..Default::default() }, catatan.as_deref(), actor).await
}

/// The report of a period (availability at its end, receipts and dispatches within it) from the
/// ledger; the current stock is read from the balances when the period ends today (the same
/// figures, without summing the whole ledger). Kota names come from the atlas.
pub async fn laporan(store: &crate::store::Store, atlas: &Atlas, periode: super::laporan::Periode, today: chrono::NaiveDate) -> Result<super::laporan::Laporan, OpError> {
    use super::laporan::{susun, Bahan, Item};
    let stok = if periode.sampai >= today {
        lstore::stok_kini(store, periode.sampai).await?
    } else {
        lstore::stok_akhir(store, periode.akhir(), periode.sampai).await?
    };
    let masuk = lstore::masuk(store, periode.mulai(), periode.akhir()).await?;
    let keluar = lstore::keluar(store, periode.mulai(), periode.akhir()).await?;
    let generated = lstore::ada_generated(store, periode.akhir()).await?;
    let items: BTreeMap<String, Item> = lstore::list_barang(store, None).await?.into_iter().map(|b| (b.barang.kode, Item { nama: b.barang.nama, satuan: b.barang.satuan })).collect();
    let gudang: BTreeMap<String, String> = lstore::list_gudang(store).await?.into_iter().map(|g| (g.kode, g.kota)).collect();
    let kota_of = |g: &str| gudang.get(g).cloned().unwrap_or_default();
    let kota_nama = |k: &str| crate::wilayah::AreaCode::parse(k).ok().and_then(|c| atlas.get(&c).map(|a| a.name.clone()));
    Ok(susun(periode, chrono::Utc::now(), &Bahan { stok, masuk, keluar, generated }, &items, &kota_of, &kota_nama))
}
