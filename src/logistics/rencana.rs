//! Approved requests handed to the planner (issue 11 part 7, `sigap plan --from-logistics` and
//! `POST /api/v1/plans/logistik`): every request `disetujui` and not yet dispatched is a stop
//! pinned to the gudang that approved it (the goods leave from there at dispatch), carrying its
//! approved items; every gudang is a depot whose per-item stock is its real ledger balance
//! (`logistik_saldo`, lots past their expiry excluded, as the dispatch counts them). The planner
//! then gives a request whose gudang cannot cover it the reason `stock`, naming the item, and
//! the demo `depots.json` stock number plays no part (that file stays an explicit `--depots`).
//!
//! Quantities are whole base units for the planner: a request's need is rounded up and a
//! gudang's balance down (a half liter more is asked, a half liter less is offered), so a plan
//! never promises what the dispatch would refuse.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{LogistikError, Milli};
use super::ops::OpError;
use super::store::{self as lstore, GudangRecord};
use crate::planner::model::{DepotInput, PlanSettings, StopInput};
use crate::planner::PlanRequest;
use crate::store::Store;

/// What a plan from logistics needs beyond the store: the fleet of each gudang (the gudang
/// record holds none yet) and the plan settings.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RencanaInput {
    /// Only the requests holding this item (catalog code); all approved requests when absent.
    #[serde(default)]
    pub barang: Option<String>,
    /// Trucks per gudang and day.
    #[serde(default = "default_trucks")]
    pub trucks: i64,
    /// Base units one truck carries (a request's size is the sum of its items in base units).
    #[serde(default = "default_capacity")]
    pub truck_capacity: i64,
    /// The planner's settings (`days`, `seed`, travel, …), as in `POST /api/v1/plans`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub settings: PlanSettings,
}

pub const DEFAULT_TRUCKS: i64 = 4;
pub const DEFAULT_CAPACITY: i64 = 2_000;

fn default_trucks() -> i64 {
    DEFAULT_TRUCKS
}
fn default_capacity() -> i64 {
    DEFAULT_CAPACITY
}

/// One approved line: request, item, approved thousandths.
type Baris = (i64, String, Milli);

/// The stop id of a request.
pub fn stop_id(permintaan: i64) -> String {
    format!("permintaan/{permintaan}")
}

fn up(m: Milli) -> i64 {
    (m + 999).div_euclid(1000)
}

fn down(m: Milli) -> i64 {
    m.div_euclid(1000)
}

/// Builds depots and stops from what the store holds (pure, so the rule is tested without a
/// store): `gudang` (all of them; a request may be pinned to one made inactive since approval),
/// `stok` as (barang, gudang, dispatchable thousandths), the approved requests with their lines.
pub fn plan_request(
    gudang: &[GudangRecord],
    stok: &[(String, String, Milli)],
    permintaan: &[lstore::PermintaanRow],
    baris: &[Baris],
    input: &RencanaInput,
) -> PlanRequest {
    let mut items: BTreeMap<&str, BTreeMap<String, i64>> = BTreeMap::new();
    for (barang, g, jumlah) in stok {
        let n = down(*jumlah);
        if n > 0 {
            items.entry(g.as_str()).or_default().insert(barang.clone(), n);
        }
    }
    let used: std::collections::BTreeSet<&str> = permintaan.iter().filter_map(|p| p.gudang.as_deref()).collect();
    let depots = gudang
        .iter()
        .filter(|g| g.aktif || used.contains(g.kode.as_str()))
        .map(|g| {
            let items = items.remove(g.kode.as_str()).unwrap_or_default();
            DepotInput {
                id: g.kode.clone(),
                name: g.nama.clone(),
                lon: g.lon,
                lat: g.lat,
                stock: items.values().sum(),
                trucks: input.trucks,
                truck_capacity: input.truck_capacity,
                shift_start: crate::planner::model::ClockTime::hm(7, 0),
                shift_end: crate::planner::model::ClockTime::hm(17, 0),
                cost_per_km: None,
                note: None,
                items,
            }
        })
        .collect();
    let mut lines: BTreeMap<i64, BTreeMap<String, i64>> = BTreeMap::new();
    for (id, barang, jumlah) in baris.iter().filter(|b| b.2 > 0) {
        lines.entry(*id).or_default().insert(barang.clone(), up(*jumlah));
    }
    let stops = permintaan
        .iter()
        .filter_map(|p| {
            let items = lines.remove(&p.id)?;
            if input.barang.as_ref().is_some_and(|b| !items.contains_key(b.trim())) {
                return None;
            }
            Some(StopInput {
                id: stop_id(p.id),
                name: Some(match &p.tempat {
                    Some(t) => format!("{t} ({})", p.unit),
                    None => p.unit.clone(),
                }),
                lon: p.lon,
                lat: p.lat,
                packages: items.values().sum(),
                kelurahan: Some(p.kelurahan.clone()),
                depot: p.gudang.clone(),
                items,
                ..Default::default()
            })
        })
        .collect();
    PlanRequest { depots, stops, settings: input.settings.clone(), frozen: vec![] }
}

/// Reads the approved requests, the gudang and their dispatchable stock, and builds the plan
/// request. No approved request (of the item): 409 naming `permintaan`; an unknown item: 422
/// naming `barang`.
pub async fn from_store(store: &Store, input: &RencanaInput, today: NaiveDate) -> Result<PlanRequest, OpError> {
    if let Some(kode) = &input.barang {
        if lstore::get_barang(store, kode.trim()).await?.is_none() {
            return Err(LogistikError::invalid("barang", format!("no item {kode:?} in the catalog")).into());
        }
    }
    let permintaan = lstore::list_permintaan(store, Some("disetujui"), None).await?;
    let baris: Vec<Baris> = crate::on_pool!(store, p => sqlx::query_as(
        "SELECT b.permintaan_id, b.barang, b.disetujui FROM logistik_permintaan_baris b \
         JOIN logistik_permintaan p ON p.id = b.permintaan_id WHERE p.status = 'disetujui' AND b.disetujui > 0 \
         ORDER BY b.permintaan_id, b.barang").fetch_all(p).await).map_err(crate::store::StoreError::from)?;
    let gudang = lstore::list_gudang(store).await?;
    let stok = lstore::stok_per_gudang(store, today).await?;
    let mut permintaan = permintaan;
    // Listed newest first; the plan lists them oldest first (a gudang short of stock serves its
    // pinned stops in the planner's stop-id order).
    permintaan.sort_by_key(|p| p.id);
    let request = plan_request(&gudang, &stok, &permintaan, &baris, input);
    if request.stops.is_empty() {
        let of = input.barang.as_ref().map(|b| format!(" holding {b}")).unwrap_or_default();
        return Err(LogistikError::conflict("permintaan", format!("no approved request{of} waits for dispatch: nothing to plan")).into());
    }
    Ok(request)
}
