//! Complaints (CRM, Pergub DKI 39/2019): intake from every channel, routing to the unit that
//! must act, re-routing between units, a checked status machine with append-only history,
//! queues, Open311 GeoReport v2, the monthly report and bulk import.
//!
//! `model`, `routing`, `status` and `report` are pure; `ops` holds the writes (shared by
//! `http`, `open311` and `cli`, returning `ops::ComplaintError`); `intake` is the group-commit
//! writer of the HTTP intakes (JSON and Open311); `store` is the portable SQL.

pub mod model;
pub mod routing;
pub mod status;
pub mod report;
pub mod store;
pub mod ops;
pub mod intake;
pub mod http;
pub mod open311;
pub mod cli;
pub mod attachments;
pub mod photo_limits;

/// Seeds the shipped unit list into the store (existing rows are kept: they may have been edited).
/// Used by `sigap init`, like the other domains' `load_demo`.
pub async fn load_demo(store: &crate::store::Store, _atlas: &crate::wilayah::Atlas) -> anyhow::Result<()> {
    let stored = self::store::stored_units(store).await?;
    let mut tx = store.begin().await?;
    for u in model::parse_units_csv(model::SHIPPED_UNITS_CSV).map_err(anyhow::Error::msg)? {
        if !stored.iter().any(|x| x.id == u.id) {
            self::store::upsert_unit(&mut tx, &u).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
