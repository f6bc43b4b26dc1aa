//! The writes of complaints, shared by the HTTP handlers, Open311 and the CLI: intake, the one
//! transition sequence (status change, forward, relocate), photos, units, and the report
//! builder. Each returns a [`ComplaintError`]; the adapters map it (`http` to a problem, `cli`
//! to a rejected line). What a write needs from the store (units, the complaint) is read before
//! the transaction or through it: never a second pooled connection while a transaction is held.

use super::model::{Change, InputError, Intake, Unit, Units};
use super::report::{self, Month, Report};
use super::routing::{route, RouteError, Routing};
use super::status::{self, TransitionError};
use super::store::{self as cstore, Complaint, NewComplaint, NewEvent};
use crate::api::{Actor, Role};
use crate::store::audit::{self, AuditEntry};
use crate::store::{Store, StoreError, Tx};
use crate::wilayah::Atlas;
use chrono::{DateTime, Utc};
use serde_json::json;

/// Why a complaint write was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ComplaintError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Route(#[from] RouteError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("{detail}")]
    NotFound { field: &'static str, detail: String },
    #[error("{detail}")]
    Forbidden { field: Option<&'static str>, detail: String },
    /// Someone changed the complaint between read and write (PostgreSQL, read committed).
    #[error("the complaint changed meanwhile; reload and retry")]
    Changed,
    #[error("{detail}")]
    Conflict { field: &'static str, detail: String },
    /// A photo that is not JPEG, PNG or WebP by its bytes (415).
    #[error("body must be a JPEG, PNG or WebP image")]
    UnsupportedPhoto,
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The attachment store failed (disk full, permissions).
    #[error("attachment store: {0}")]
    Attachment(std::io::Error),
}

impl ComplaintError {
    /// The request field at fault, when one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            ComplaintError::Input(e) => Some(e.field()),
            ComplaintError::Route(e) => Some(e.field()),
            ComplaintError::Transition(e) => Some(match e {
                TransitionError::ReasonRequired => "reason",
                TransitionError::SameUnit(_) => "unit",
                _ => "to",
            }),
            ComplaintError::NotFound { field, .. } | ComplaintError::Conflict { field, .. } => Some(field),
            ComplaintError::Forbidden { field, .. } => *field,
            ComplaintError::UnsupportedPhoto => Some("body"),
            ComplaintError::Changed | ComplaintError::Store(_) | ComplaintError::Attachment(_) => None,
        }
    }

    fn forbidden(detail: String) -> ComplaintError {
        ComplaintError::Forbidden { field: None, detail }
    }
}

/// The unit list: the shipped CSV, overridden and extended by `complaint_units` (editable by
/// admins); kelurahan units come from the atlas.
pub async fn units(store: &Store) -> Result<Units, StoreError> {
    Ok(with_stored(cstore::stored_units(store).await?))
}

/// [`units`] read through a transaction (the intake writer reads them once per batch, inside
/// the batch's transaction, so the routing and the write see the same list).
pub async fn units_tx(tx: &mut Tx) -> Result<Units, StoreError> {
    Ok(with_stored(cstore::stored_units_tx(tx).await?))
}

fn with_stored(stored: Vec<Unit>) -> Units {
    // The shipped list is compiled in: parse it once, not on every intake.
    static SHIPPED: std::sync::LazyLock<Vec<Unit>> =
        std::sync::LazyLock::new(|| super::model::parse_units_csv(super::model::SHIPPED_UNITS_CSV).unwrap_or_default());
    let mut seeded = SHIPPED.clone();
    for u in stored {
        match seeded.iter_mut().find(|x| x.id == u.id) {
            Some(x) => *x = u,
            None => seeded.push(u),
        }
    }
    Units { seeded }
}

/// Routes and stores one complaint with its intake history and audit entries; the caller commits.
pub async fn create(tx: &mut Tx, atlas: &Atlas, units: &Units, req: &Intake, actor: &str, at: DateTime<Utc>) -> Result<(i64, Routing), ComplaintError> {
    let req = req.checked()?;
    let routing = route(atlas, units, req.channel, req.geotag)?;
    let id = create_routed(tx, &req, &routing, actor, at).await?;
    Ok((id, routing))
}

/// Stores one checked, routed complaint with its intake history and audit entry; the caller
/// commits. The HTTP intake writer stores the same rows in one round trip
/// (`store::insert_intake`, see `intake`).
pub async fn create_routed(tx: &mut Tx, req: &Intake, routing: &Routing, actor: &str, at: DateTime<Utc>) -> Result<i64, StoreError> {
    let id = cstore::insert(tx, &NewComplaint::of(req, routing, at)).await?;
    cstore::append(tx, &NewEvent {
        complaint_id: id, at, actor, action: "masuk", from_status: None, to_status: routing.status,
        from_unit: None, to_unit: &routing.unit, reason: Some(routing.reason.as_str()), note: Some(&routing.detail),
    }).await?;
    audit::record(tx, AuditEntry { actor, action: "complaint.create", entity: "complaint", entity_id: &id.to_string(), before: None,
        after: Some(json!({"unit": routing.unit, "status": routing.status, "routing": routing})) }).await?;
    Ok(id)
}

/// Operators see their own unit's queue only; admin and auditor see all.
pub fn may_see(actor: &Actor, c: &Complaint) -> Result<(), ComplaintError> {
    match actor.role {
        Role::Admin | Role::Auditor => Ok(()),
        Role::Operator if actor.unit.as_deref() == Some(c.unit.as_str()) => Ok(()),
        _ => Err(ComplaintError::forbidden(format!("complaint {} is in the queue of {}, not yours", c.id, c.unit))),
    }
}

/// Acting on a complaint: an operator of the holding unit, or an admin.
pub fn may_act(actor: &Actor, c: &Complaint) -> Result<(), ComplaintError> {
    if !matches!(actor.role, Role::Admin | Role::Operator) {
        return Err(ComplaintError::forbidden(format!("role {} may not change complaints (needs admin or operator)", actor.role.as_str())));
    }
    may_see(actor, c)
}

/// Whether `id` can receive a complaint: an active seeded unit or a kelurahan in the atlas.
fn known_unit(atlas: &Atlas, units: &Units, id: &str) -> bool {
    units.find(id).is_some_and(|u| u.aktif)
        || (super::model::is_kelurahan_code(id) && crate::wilayah::AreaCode::parse(id).is_ok_and(|c| atlas.get(&c).is_some()))
}

/// The one sequence every change of a complaint goes through: load → permission → status check
/// → conditional update → history → audit → commit. Returns the complaint as stored after it.
pub async fn transition(store: &Store, atlas: &Atlas, actor: &Actor, id: i64, change: &Change) -> Result<Complaint, ComplaintError> {
    // Read before the transaction: never a second pooled connection while one is held.
    let units = units(store).await?;
    if let Change::Forward { unit, .. } = change {
        if !known_unit(atlas, &units, unit) {
            let detail = format!("unknown unit {unit:?}: not a kelurahan code in the atlas nor an active seeded SKPD/UKPD/BUMD");
            return Err(InputError::Invalid { field: "unit".into(), detail }.into());
        }
    }
    let mut tx = store.begin().await?;
    let c = cstore::get_tx(&mut tx, id).await?.ok_or_else(|| ComplaintError::NotFound { field: "id", detail: format!("no complaint {id}") })?;
    may_act(actor, &c)?;
    let name = actor.audit_name();
    let now = Utc::now();
    let entity_id = id.to_string();
    let (to, to_unit, relocated, action, reason, note, audit_action, before, after) = match change {
        Change::Status { to, reason } => {
            status::check(c.status, *to, reason.as_deref())?;
            let after = json!({"status": to, "reason": reason});
            (*to, c.unit.clone(), None, "ubah_status", reason.clone(), None, "complaint.status", json!({"status": c.status}), after)
        }
        Change::Forward { unit, reason, note } => {
            let to = status::check_forward(c.status, &c.unit, unit)?;
            let after = json!({"unit": unit, "status": to, "reason": reason});
            let before = json!({"unit": c.unit, "status": c.status});
            (to, unit.clone(), None, "teruskan", Some(reason.as_str().to_string()), note.clone(), "complaint.forward", before, after)
        }
        Change::Relocate(g) => {
            status::check_relocate(c.status)?;
            let routing = route(atlas, &units, c.channel, Some(*g))?;
            let after = json!({"unit": routing.unit, "routing": routing});
            let before = json!({"unit": c.unit, "routing": c.routing});
            let (reason, note) = (Some(routing.reason.as_str().to_string()), Some(routing.detail.clone()));
            (routing.status, routing.unit.clone(), Some((routing, *g)), "pindah_lokasi", reason, note, "complaint.relocate", before, after)
        }
    };
    let moved = relocated.as_ref().map(|(r, g)| cstore::Relocated { routing: r, reported: Some([g.lon, g.lat]), accuracy_m: g.accuracy_m });
    if !cstore::update_holder(&mut tx, id, (c.status, &c.unit), to, &to_unit, moved, now).await? {
        return Err(ComplaintError::Changed);
    }
    cstore::append(&mut tx, &NewEvent { complaint_id: id, at: now, actor: &name, action, from_status: Some(c.status), to_status: to,
        from_unit: Some(&c.unit), to_unit: &to_unit, reason: reason.as_deref(), note: note.as_deref() }).await?;
    audit::record(&mut tx, AuditEntry { actor: &name, action: audit_action, entity: "complaint", entity_id: &entity_id,
        before: Some(before), after: Some(after) }).await?;
    let now_stored = cstore::get_tx(&mut tx, id).await?.ok_or(ComplaintError::Changed)?;
    tx.commit().await?;
    Ok(now_stored)
}

/// Adds or replaces a unit (admin), refusing a change that leaves a channel without an active owner.
pub async fn put_unit(store: &Store, actor: &str, u: &Unit) -> Result<(), ComplaintError> {
    let current = units(store).await?;
    let before = current.find(&u.id).cloned();
    if let Err(orphan) = current.with(u.clone()) {
        let field = if u.aktif { "kanal" } else { "aktif" };
        let detail = format!("channel {} would have no active owner; give it to another unit first", orphan.as_str());
        return Err(InputError::Invalid { field: field.into(), detail }.into());
    }
    let mut tx = store.begin().await?;
    cstore::upsert_unit(&mut tx, u).await?;
    audit::record(&mut tx, AuditEntry { actor, action: "complaint_unit.put", entity: "complaint_unit", entity_id: &u.id,
        before: before.map(|b| json!(b)), after: Some(json!(u)) }).await?;
    tx.commit().await?;
    Ok(())
}

/// A fresh per-complaint upload secret and the hash that is stored (never the secret itself).
pub fn new_upload_secret() -> (String, String) {
    use rand::RngCore;
    let mut raw = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut raw);
    let secret: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let hash = upload_secret_hash(&secret);
    (secret, hash)
}

pub fn upload_secret_hash(secret: &str) -> String {
    crate::store::idempotency::request_hash(secret.trim().as_bytes())
}

/// A stored photo.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PhotoStored {
    pub id: i64,
    pub content_type: &'static str,
    pub bytes: usize,
    pub sha256: String,
}

/// Stores a photo of complaint `id` and its record. The file is named by content hash *and* a
/// nonce, so it is this upload's alone: undoing a failed upload deletes only its own file,
/// never one an earlier record points to. The complaint row is locked first (a no-op update),
/// so concurrent uploads to one complaint are counted one after another on both stores.
pub async fn add_photo(store: &Store, att: &dyn super::attachments::AttachmentStore, id: i64, bytes: &[u8], actor: &str) -> Result<PhotoStored, ComplaintError> {
    use super::attachments::{sniff, MAX_PHOTOS};
    let (ctype, ext) = sniff(bytes).ok_or(ComplaintError::UnsupportedPhoto)?;
    let sha = crate::store::idempotency::request_hash(bytes);
    let (nonce, _) = new_upload_secret();
    let key = format!("complaints/{id}/{}-{}.{ext}", &sha[..16], &nonce[..16]);
    let mut tx = store.begin().await?;
    if !cstore::lock(&mut tx, id).await? {
        return Err(ComplaintError::NotFound { field: "id", detail: format!("no complaint {id}") });
    }
    let c = cstore::get_tx(&mut tx, id).await?.ok_or_else(|| ComplaintError::NotFound { field: "id", detail: format!("no complaint {id}") })?;
    if c.status.is_terminal() {
        return Err(ComplaintError::Conflict { field: "id", detail: format!("complaint {id} is {}: no more photos", c.status) });
    }
    let existing = cstore::attachments_tx(&mut tx, id).await?;
    if let Some(same) = existing.iter().find(|a| a.sha256 == sha) {
        return Err(ComplaintError::Conflict { field: "body", detail: format!("this photo is already attached to complaint {id} as photo {}", same.id) });
    }
    if existing.len() as i64 >= MAX_PHOTOS {
        return Err(ComplaintError::Conflict { field: "photos", detail: format!("complaint {id} already has {MAX_PHOTOS} photos") });
    }
    att.put(&key, bytes).await.map_err(ComplaintError::Attachment)?;
    let written: Result<i64, ComplaintError> = async {
        let pid = cstore::add_attachment(&mut tx, id, &key, ctype, bytes.len() as i64, &sha, Utc::now()).await?;
        audit::record(&mut tx, AuditEntry { actor, action: "complaint.photo", entity: "complaint", entity_id: &id.to_string(),
            before: None, after: Some(json!({"photo": pid, "sha256": sha, "bytes": bytes.len()})) }).await?;
        Ok(pid)
    }
    .await;
    let committed = match written {
        Ok(pid) => tx.commit().await.map(|_| pid).map_err(ComplaintError::from),
        Err(e) => Err(e),
    };
    match committed {
        Ok(pid) => Ok(PhotoStored { id: pid, content_type: ctype, bytes: bytes.len(), sha256: sha }),
        Err(e) => {
            // Only this upload's file: no record can point to it.
            if let Err(d) = att.delete(&key).await {
                tracing::warn!(key, error = %d, "could not remove the file of a failed photo upload");
            }
            Err(e)
        }
    }
}

/// Builds the monthly report from the store's history, with unit names filled in.
pub async fn report(store: &Store, atlas: &Atlas, month: Month) -> Result<Report, StoreError> {
    let events = cstore::events_before(store, month.end()).await?;
    let mut r = report::monthly(&events, month);
    let us = units(store).await?;
    for row in &mut r.units {
        row.nama = us.find(&row.unit).map(|u| u.nama.clone()).or_else(|| {
            crate::wilayah::AreaCode::parse(&row.unit).ok().and_then(|c| atlas.get(&c).map(|a| format!("Kelurahan {}", a.name)))
        });
    }
    Ok(r)
}
