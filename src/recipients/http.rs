//! HTTP handlers of recipients: thin adapters to `model` and `ops`. No route here is public:
//! every one needs a token, and answers show NIK and No. KK masked (the full numbers only through
//! the audited `…/nomor` read, admin only).

use super::crypt::Pii;
use super::model::{DecisionInput, Format, LangkahInput, Sumber, VerifikasiInput};
use super::ops::{self, BatchReport, EligibilityReport, FullNumbers, MatchReport, OpError, QuotaSet};
use super::registry::{FileRegistry, PopulationRegistry};
use super::sk::SkInput;
use super::store::{self as rstore, BatchRecord, Household, HouseholdFilter, NearDup, RowReport};
use crate::api::problem::json_body;
use crate::api::write::{keyed_write, scope};
use crate::api::{Actor, ApiJson, ApiQuery, AppState, IdempotencyKey, Problem, Role};
use crate::store::Tx;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The keys of this process, or why there are none (routes that seal or open then answer 503;
/// the masked reads still work).
#[derive(Clone)]
pub struct Keys(Arc<Result<Pii, String>>);

impl Keys {
    fn get(&self) -> Result<&Pii, Problem> {
        self.0.as_ref().as_ref().map_err(|why| Problem::new(StatusCode::SERVICE_UNAVAILABLE, "pii-key-missing", why.clone()))
    }
}

/// The population register matching asks, or why there is none (matching then answers 503).
#[derive(Clone)]
pub struct Register(Arc<Result<Arc<dyn PopulationRegistry>, String>>);

/// The environment variable naming the register extract file (`registry::FileRegistry`).
pub const REGISTER_ENV: &str = "SIGAP_DUKCAPIL_EXTRACT";

/// Routes of recipients, with the keys (`crypt` module) and the register extract
/// (`SIGAP_DUKCAPIL_EXTRACT`) from the environment.
pub fn router() -> OpenApiRouter<AppState> {
    let register: Result<Arc<dyn PopulationRegistry>, String> = match std::env::var(REGISTER_ENV) {
        Err(_) => Err(format!("{REGISTER_ENV} is not set: no population register extract to match with")),
        Ok(path) => FileRegistry::open(std::path::Path::new(&path)).map(|r| Arc::new(r) as Arc<dyn PopulationRegistry>).map_err(|e| e.to_string()),
    };
    if let Err(why) = &register {
        tracing::info!(reason = %why, "recipients: matching with the population register is off");
    }
    router_with(Pii::from_env().map_err(|e| e.to_string()), register)
}

/// Routes of recipients with the given keys and register (tests and other registers pass theirs).
pub fn router_with(keys: Result<Pii, String>, register: Result<Arc<dyn PopulationRegistry>, String>) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_batch))
        .routes(routes!(get_batch))
        .routes(routes!(list_households))
        .routes(routes!(get_household))
        .routes(routes!(read_numbers))
        .routes(routes!(list_near_dups))
        .routes(routes!(decide))
        .routes(routes!(run_matching))
        .routes(routes!(put_quota))
        .routes(routes!(run_eligibility))
        .routes(routes!(post_verification))
        .routes(routes!(verification_history))
        .routes(routes!(post_proposal, list_proposals))
        .routes(routes!(get_proposal))
        .routes(routes!(post_proposal_step))
        .routes(routes!(post_decree, list_decrees))
        .routes(routes!(get_decree))
        .routes(routes!(decree_diff))
        .routes(routes!(decree_document))
        .routes(routes!(post_handouts, list_handouts))
        .routes(routes!(post_handout_koreksi))
        .layer(Extension(Keys(Arc::new(keys))))
        .layer(Extension(Register(Arc::new(register))))
}

impl From<OpError> for Problem {
    fn from(e: OpError) -> Problem {
        match e {
            OpError::File(problems) => {
                let field = problems.first().map(|p| p.field.clone()).unwrap_or_else(|| "file".into());
                let detail = problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; ");
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "file-refused", format!("nothing was imported: {detail}")).field(field)
            }
            OpError::Invalid { field, detail } => Problem::unprocessable(&field, detail),
            OpError::Bad { field, detail } => Problem::bad_request(&field, detail),
            OpError::NotFound { field, detail } => Problem::not_found(detail).field(field),
            OpError::Conflict { field, detail } => Problem::conflict(detail).field(field),
            OpError::Forbidden { detail } => Problem::forbidden(detail),
            OpError::Outside { field, detail } => Problem::forbidden(detail).field(field),
            // Says which key is missing or wrong, never a value.
            OpError::Crypt(c) => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "pii-key", c.to_string()),
            OpError::Registry(r) => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "register-unavailable", r.to_string()),
            OpError::Store(s) => s.into(),
        }
    }
}

/// The area a token may see: `None` for every area (admin, planner, auditor), an RW code for an
/// RW token, a kelurahan code for a Lurah token. Other roles may not read recipients.
pub fn area_of(actor: &Actor) -> Result<Option<String>, Problem> {
    match actor.role {
        Role::Admin | Role::Planner | Role::Auditor => Ok(None),
        Role::Rw | Role::Lurah => actor.unit.clone().map(Some).ok_or_else(|| Problem::forbidden(format!("a {} token needs a unit", actor.role.as_str()))),
        _ => Err(Problem::forbidden(format!("role {} may not read recipients (needs admin, planner, auditor, rw or lurah)", actor.role.as_str()))),
    }
}

fn inside(area: &Option<String>, rw: &str) -> bool {
    match area {
        None => true,
        Some(a) => rw == a || rw.starts_with(&format!("{a}.")),
    }
}

#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct BatchQuery {
    /// disnaker | dinsos | pd_lain | usulan
    sumber: String,
    /// The file's name; its extension (.csv or .xlsx) says how to read the body.
    nama_file: String,
}

/// Imports one batch of candidate data (data calon penerima) from one source: the body is the
/// CSV (UTF-8, `,` or `;`) or XLSX file itself. Every row is kept with its line and, if refused,
/// its reasons; valid rows form or join households (same NIK or No. KK); near-duplicates are
/// flagged. A problem with the file as a whole (encoding, header, merged cells, formulas) is a 422
/// and nothing is stored. Roles admin, planner.
#[utoipa::path(post, path = "/api/v1/recipients/batches", tag = "recipients", params(BatchQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; same key and file replays the answer")),
    request_body(content = String, content_type = "text/csv", description = "The CSV or XLSX file (XLSX as application/vnd.openxmlformats-officedocument.spreadsheetml.sheet)"),
    responses((status = 201, body = BatchReport), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
async fn post_batch(
    State(s): State<AppState>,
    Extension(keys): Extension<Keys>,
    actor: Actor,
    key: IdempotencyKey,
    query: Result<ApiQuery<BatchQuery>, Problem>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Planner])?;
    let ApiQuery(q) = query?;
    let body = body?;
    let pii = keys.get()?.clone();
    let sumber = Sumber::parse(&q.sumber).ok_or_else(|| Problem::bad_request("sumber", format!("sumber {:?} is not one of disnaker, dinsos, pd_lain, usulan", q.sumber)))?;
    let nama_file = crate::text::required("nama_file", &q.nama_file, 200)?.to_string();
    let format = Format::from_name(&nama_file).ok_or_else(|| Problem::bad_request("nama_file", "nama_file must end in .csv or .xlsx"))?;
    let atlas = s.atlas.current();
    let bytes = body.clone();
    // Reading and cleaning is CPU work: off the async workers, before the transaction.
    let prepared = tokio::task::spawn_blocking(move || ops::prepare(&bytes, format, &atlas)).await.map_err(Problem::internal)??;
    let request = serde_json::json!({"sumber": sumber.as_str(), "nama_file": nama_file, "sha256": prepared.sha256});
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("recipients.batches", Some(actor.token_id)), &key, &request, StatusCode::CREATED, async |tx: &mut Tx| {
        ops::import(tx, &pii, &ops::BatchMeta { sumber, nama_file: &nama_file, actor: &who, generated: false }, &prepared, &|_| {}).await
    })
    .await
}

#[derive(Serialize, ToSchema)]
struct BatchAnswer {
    batch: BatchRecord,
    rows: Vec<RowReport>,
}

/// A stored batch with every row's status and reasons (NIK masked). Roles admin, planner,
/// auditor.
#[utoipa::path(get, path = "/api/v1/recipients/batches/{id}", tag = "recipients", params(("id" = i64, Path, description = "Batch id")),
    responses((status = 200, body = BatchAnswer), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_batch(State(s): State<AppState>, actor: Actor, Path(id): Path<i64>) -> Result<Json<BatchAnswer>, Problem> {
    actor.require(&[Role::Admin, Role::Planner, Role::Auditor])?;
    let batch = rstore::batch(&s.store, id).await?.ok_or_else(|| Problem::not_found(format!("no batch {id}")).field("id"))?;
    let rows = rstore::batch_rows(&s.store, id).await?;
    Ok(Json(BatchAnswer { batch, rows }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// Only this RW (31.71.01.1001.008).
    rw: Option<String>,
    /// Only this kelurahan (31.71.01.1001).
    kelurahan: Option<String>,
    /// Page after this household id.
    after: Option<i64>,
    /// Page size, 1..=500 (default 100).
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct HouseholdPage {
    households: Vec<Household>,
    /// Pass as `after` for the next page; absent on the last.
    next_after: Option<i64>,
}

/// Households (rumah tangga) of the candidate list, NIK and No. KK masked, paged by id. An RW
/// token sees its RW only, a Lurah token its kelurahan; asking for another area is a 403.
/// Roles admin, planner, auditor, rw, lurah.
#[utoipa::path(get, path = "/api/v1/recipients/households", tag = "recipients", params(ListQuery),
    responses((status = 200, body = HouseholdPage), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_households(State(s): State<AppState>, actor: Actor, query: Result<ApiQuery<ListQuery>, Problem>) -> Result<Json<HouseholdPage>, Problem> {
    let area = area_of(&actor)?;
    let ApiQuery(q) = query?;
    let limit = page_limit(q.limit)?;
    let (rw, kelurahan) = scoped_filter(&area, q.rw, q.kelurahan)?;
    let f = HouseholdFilter { rw, kelurahan, after: q.after.unwrap_or(0), limit };
    let households = rstore::households(&s.store, &f).await?;
    let next_after = (households.len() as i64 == limit).then(|| households.last().map(|h| h.id)).flatten();
    Ok(Json(HouseholdPage { households, next_after }))
}

/// The page size asked for (`limit`, 1..=500, default 100).
fn page_limit(limit: Option<i64>) -> Result<i64, Problem> {
    let limit = limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Problem::bad_request("limit", format!("limit {limit} must be 1..=500")));
    }
    Ok(limit)
}

/// The RW and kelurahan filters a token may use: its own area narrows every request, and a
/// filter outside it is refused.
fn scoped_filter(area: &Option<String>, rw: Option<String>, kelurahan: Option<String>) -> Result<(Option<String>, Option<String>), Problem> {
    let rw = rw.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    let kelurahan = kelurahan.map(|k| k.trim().to_string()).filter(|k| !k.is_empty());
    for (field, v) in [("rw", &rw), ("kelurahan", &kelurahan)] {
        if let Some(v) = v {
            crate::wilayah::AreaCode::parse(v).map_err(|e| Problem::bad_request(field, e.to_string()))?;
            // Inside the area, or an area above it (then narrowed to the token's area below).
            let ok = match area {
                None => true,
                Some(a) => inside(area, v) || a.starts_with(&format!("{v}.")),
            };
            if !ok {
                return Err(Problem::forbidden(format!("{field} {v} is outside this token's area {}", area.as_deref().unwrap_or(""))).field(field));
            }
        }
    }
    Ok(match area {
        None => (rw, kelurahan),
        // An RW token: its RW, whatever else was asked (the filters were checked inside it).
        Some(a) if a.matches('.').count() == 4 => (Some(a.clone()), None),
        Some(a) => (rw, Some(kelurahan.unwrap_or_else(|| a.clone()))),
    })
}

/// Household `id`, if the caller may see it (404 if none, 403 outside the token's area).
async fn household_in_area(s: &AppState, actor: &Actor, id: i64) -> Result<Household, Problem> {
    let area = area_of(actor)?;
    let h = rstore::household(&s.store, id).await?.ok_or_else(|| Problem::not_found(format!("no household {id}")).field("id"))?;
    if !inside(&area, &h.rw) {
        return Err(Problem::forbidden(format!("household {id} is outside this token's area")));
    }
    Ok(h)
}

/// One household, NIK and No. KK masked, with the sources that listed it. Scoped like the list.
#[utoipa::path(get, path = "/api/v1/recipients/households/{id}", tag = "recipients", params(("id" = i64, Path, description = "Household id")),
    responses((status = 200, body = Household), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_household(State(s): State<AppState>, actor: Actor, Path(id): Path<i64>) -> Result<Json<Household>, Problem> {
    Ok(Json(household_in_area(&s, &actor, id).await?))
}

/// The full NIK and No. KK of one household. Role admin only; every read is written to the
/// audit log (`recipients.nik.read`: who, when, which household).
#[utoipa::path(post, path = "/api/v1/recipients/households/{id}/nomor", tag = "recipients", params(("id" = i64, Path, description = "Household id")),
    responses((status = 200, body = FullNumbers), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 503, body = Problem)))]
async fn read_numbers(State(s): State<AppState>, Extension(keys): Extension<Keys>, actor: Actor, Path(id): Path<i64>) -> Result<Json<FullNumbers>, Problem> {
    actor.require(&[Role::Admin])?;
    let pii = keys.get()?;
    let mut tx = s.store.begin().await?;
    let out = ops::read_numbers(&mut tx, pii, id, &actor.audit_name()).await?;
    tx.commit().await?;
    Ok(Json(out))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct NearQuery {
    rw: Option<String>,
    kelurahan: Option<String>,
    /// Decided pairs too (default: open ones only).
    semua: Option<bool>,
}

/// Near-duplicate pairs (same RW, similar name and address; or NIK and No. KK on two households)
/// waiting for a person's decision. Scoped like the household list.
#[utoipa::path(get, path = "/api/v1/recipients/near-duplicates", tag = "recipients", params(NearQuery),
    responses((status = 200, body = [NearDup]), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_near_dups(State(s): State<AppState>, actor: Actor, query: Result<ApiQuery<NearQuery>, Problem>) -> Result<Json<Vec<NearDup>>, Problem> {
    let area = area_of(&actor)?;
    let ApiQuery(q) = query?;
    let (rw, kelurahan) = scoped_filter(&area, q.rw, q.kelurahan)?;
    Ok(Json(rstore::near_dups(&s.store, rw.as_deref(), kelurahan.as_deref(), q.semua.unwrap_or(false)).await?))
}

/// Decides a near-duplicate pair: `sama` (the newer household leaves the list, marked
/// `duplikat_dari`) or `beda`, with the reason. Once per pair (a second decision is a 409).
/// Roles admin, planner, lurah (own kelurahan).
#[utoipa::path(post, path = "/api/v1/recipients/near-duplicates/{id}/decision", tag = "recipients", request_body = DecisionInput,
    params(("id" = i64, Path, description = "Pair id"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = NearDup), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn decide(
    State(s): State<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    input: Result<ApiJson<DecisionInput>, Problem>,
) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Planner, Role::Lurah])?;
    let area = area_of(&actor)?;
    let input = json_body(input)?;
    let alasan = input.check()?;
    let who = actor.audit_name();
    let request = serde_json::json!({"id": id, "input": input});
    keyed_write(&s.store, &scope("recipients.near_dup.decide", Some(actor.token_id)), &key, &request, StatusCode::OK, async |tx: &mut Tx| {
        ops::decide(tx, id, input.keputusan, &alasan, &who, area.as_deref()).await
    })
    .await
}

/// Request body of `POST /api/v1/recipients/matching`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchInput {
    /// Match every household again (default: only those not matched yet).
    #[serde(default)]
    pub ulang: bool,
}

/// Matches households with the population register (Dukcapil; the configured extract): each
/// gets `padan`, `tidak_padan`, `meninggal` or `pindah` with the reason. The register is asked
/// before the transaction; the results and one audit entry commit together. Roles admin,
/// planner.
#[utoipa::path(post, path = "/api/v1/recipients/matching", tag = "recipients", request_body = MatchInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = MatchReport), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)))]
async fn run_matching(
    State(s): State<AppState>,
    Extension(keys): Extension<Keys>,
    Extension(register): Extension<Register>,
    actor: Actor,
    key: IdempotencyKey,
    input: Result<ApiJson<MatchInput>, Problem>,
) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Planner])?;
    let input = json_body(input)?;
    let pii = keys.get()?;
    let reg = register.0.as_ref().as_ref().map_err(|why| Problem::new(StatusCode::SERVICE_UNAVAILABLE, "register-unavailable", why.clone()))?;
    let (ids, queries) = ops::matching_queries(&s.store, pii, input.ulang).await?;
    let hasil = reg.match_batch(&queries).await.map_err(OpError::from)?;
    let who = actor.audit_name();
    let name = reg.name();
    keyed_write(&s.store, &scope("recipients.matching", Some(actor.token_id)), &key, &input, StatusCode::OK, async |tx: &mut Tx| {
        ops::record_matching(tx, &name, &ids, &hasil, &who).await
    })
    .await
}

/// Request body of `PUT /api/v1/recipients/quotas/{code}`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaInput {
    /// KK the area may receive (0..=5,000,000).
    pub kuota: i64,
}

/// Sets the quota (kuota) of a kecamatan or kelurahan (seed 002: quota per kecamatan). Roles
/// admin, planner. Takes effect at the next eligibility run.
#[utoipa::path(put, path = "/api/v1/recipients/quotas/{code}", tag = "recipients", request_body = QuotaInput,
    params(("code" = String, Path, description = "Kecamatan (31.71.01) or kelurahan (31.71.01.1002) code"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = QuotaSet), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn put_quota(
    State(s): State<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    Path(code): Path<String>,
    input: Result<ApiJson<QuotaInput>, Problem>,
) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Planner])?;
    let input = json_body(input)?;
    let atlas = s.atlas.current();
    let who = actor.audit_name();
    let request = serde_json::json!({"code": code, "kuota": input.kuota});
    keyed_write(&s.store, &scope("recipients.quota", Some(actor.token_id)), &key, &request, StatusCode::OK, async |tx: &mut Tx| {
        ops::set_quota(tx, &atlas, &code, input.kuota, &who).await
    })
    .await
}

/// Request body of `POST /api/v1/recipients/eligibility` (no options yet: `{}`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EligibilityInput {}

/// Assesses every household on the list (seed 002 step 3): already on PKH, BPNT, BST, KJS,
/// bantuan permakanan or paket isoman → `tidak_layak` naming them; not matched yet →
/// `belum_dipadankan`; not `padan` → `tidak_layak`; else `layak` up to the quota of its
/// kecamatan (and kelurahan), in household order, then `melebihi_kuota`. Roles admin, planner.
#[utoipa::path(post, path = "/api/v1/recipients/eligibility", tag = "recipients", request_body = EligibilityInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = EligibilityReport), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn run_eligibility(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, input: Result<ApiJson<EligibilityInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Planner])?;
    let input = json_body(input)?;
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("recipients.eligibility", Some(actor.token_id)), &key, &input, StatusCode::OK, async |tx: &mut Tx| {
        ops::assess_eligibility(tx, &who).await
    })
    .await
}

/// A page of verification decisions (seed 001: the RW verifies, the Lurah receives the result;
/// seed 002: a refused household is returned to the kecamatan): `diterima`, `ditolak` (with
/// `alasan`) or `dikembalikan` (Lurah, refused households only). An RW token decides at the RW
/// step for its RW, a Lurah (or admin) token at the Lurah step for its kelurahan. All or none:
/// a bad item is named (`items[3].keputusan`) and nothing is written.
#[utoipa::path(post, path = "/api/v1/recipients/verification", tag = "recipients", request_body = VerifikasiInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = [ops::Verified]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn post_verification(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, input: Result<ApiJson<VerifikasiInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Rw, Role::Lurah, Role::Admin])?;
    let area = area_of(&actor)?;
    let tahap = if actor.role == Role::Rw { super::verification::Tahap::Rw } else { super::verification::Tahap::Lurah };
    let input = json_body(input)?;
    let items = input.check().map_err(|(field, detail)| Problem::unprocessable(&field, detail))?;
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("recipients.verification", Some(actor.token_id)), &key, &input, StatusCode::OK, async |tx: &mut Tx| {
        ops::verify(tx, tahap, &items, area.as_deref(), &who).await
    })
    .await
}

/// The verification history of one household (who decided what, when, why). Scoped like the
/// household list.
#[utoipa::path(get, path = "/api/v1/recipients/households/{id}/verification", tag = "recipients", params(("id" = i64, Path, description = "Household id")),
    responses((status = 200, body = [rstore::VerifikasiRecord]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn verification_history(State(s): State<AppState>, actor: Actor, Path(id): Path<i64>) -> Result<Json<Vec<rstore::VerifikasiRecord>>, Problem> {
    household_in_area(&s, &actor, id).await?;
    Ok(Json(rstore::verification_history(&s.store, id).await?))
}

#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ProposalQuery {
    /// The proposal's RW (31.71.01.1002.001); an RW token's own RW when absent.
    rw: Option<String>,
    /// The file's name; its extension (.csv or .xlsx) says how to read the body.
    nama_file: String,
    /// A note kept with the first step (e.g. "rekap RT 001–004").
    catatan: Option<String>,
}

/// Creates a bottom-up proposal (usulan, seed 001 C) for residents who were missed: the body is
/// the RW's recap of the RT's forms as a CSV or XLSX file, imported as a batch of source `usulan`
/// (cleaned and deduplicated as any batch; a row of another RW is refused, `rw_di_luar_usulan`).
/// The proposal starts at the RT desk. Roles rw (own RW), admin.
#[utoipa::path(post, path = "/api/v1/recipients/proposals", tag = "recipients", params(ProposalQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; same key and file replays the answer")),
    request_body(content = String, content_type = "text/csv", description = "The CSV or XLSX file (columns as for a batch)"),
    responses((status = 201, body = ops::Proposed), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
async fn post_proposal(
    State(s): State<AppState>,
    Extension(keys): Extension<Keys>,
    actor: Actor,
    key: IdempotencyKey,
    query: Result<ApiQuery<ProposalQuery>, Problem>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, Problem> {
    actor.require(&[Role::Rw, Role::Admin])?;
    let ApiQuery(q) = query?;
    let body = body?;
    let pii = keys.get()?.clone();
    let rw_text = match (actor.role, q.rw.as_deref().map(str::trim).filter(|r| !r.is_empty())) {
        (Role::Rw, None) => actor.unit.clone().ok_or_else(|| Problem::forbidden("an rw token needs a unit"))?,
        (_, Some(r)) => r.to_string(),
        (_, None) => return Err(Problem::bad_request("rw", "rw (the proposal's RW code) is required")),
    };
    let rw = crate::wilayah::AreaCode::parse(&rw_text).map_err(|e| Problem::bad_request("rw", e.to_string()))?;
    if rw.level() != crate::wilayah::Level::Rw {
        return Err(Problem::bad_request("rw", format!("{rw} is a {}, not an RW", rw.level())));
    }
    if actor.role == Role::Rw && actor.unit.as_deref() != Some(rw.as_str()) {
        return Err(Problem::forbidden(format!("rw {rw} is outside this token's area")).field("rw"));
    }
    let atlas = s.atlas.current();
    if atlas.get(&rw).is_none() {
        return Err(Problem::not_found(format!("RW {rw} does not exist in the loaded boundaries")).field("rw"));
    }
    let nama_file = crate::text::required("nama_file", &q.nama_file, 200)?.to_string();
    let catatan = crate::text::optional("catatan", q.catatan.as_deref(), 500)?.unwrap_or("-").to_string();
    let format = Format::from_name(&nama_file).ok_or_else(|| Problem::bad_request("nama_file", "nama_file must end in .csv or .xlsx"))?;
    let bytes = body.clone();
    let only = rw.clone();
    // Reading and cleaning is CPU work: off the async workers, before the transaction.
    let prepared = tokio::task::spawn_blocking(move || {
        ops::prepare(&bytes, format, &atlas).map(|mut p| {
            p.candidates.iter_mut().for_each(|c| super::model::restrict_to_rw(c, &only));
            p
        })
    })
    .await
    .map_err(Problem::internal)??;
    let request = serde_json::json!({"rw": rw.as_str(), "nama_file": nama_file, "catatan": catatan, "sha256": prepared.sha256});
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("recipients.proposals", Some(actor.token_id)), &key, &request, StatusCode::CREATED, async |tx: &mut Tx| {
        ops::propose(tx, &pii, &ops::BatchMeta { sumber: Sumber::Usulan, nama_file: &nama_file, actor: &who, generated: false }, &prepared, &rw, &catatan).await
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ProposalListQuery {
    rw: Option<String>,
    kelurahan: Option<String>,
    /// Only proposals at this desk (rt, rw, kelurahan, kecamatan, biro_pemerintahan,
    /// diskominfotik, dukcapil, biro_kesos, ditetapkan).
    tahap: Option<String>,
}

/// Proposals (usulan), newest first, with their desk and counts (no personal data). Scoped like
/// the household list. Roles admin, planner, auditor, rw, lurah.
#[utoipa::path(get, path = "/api/v1/recipients/proposals", tag = "recipients", params(ProposalListQuery),
    responses((status = 200, body = [rstore::UsulanRecord]), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_proposals(State(s): State<AppState>, actor: Actor, query: Result<ApiQuery<ProposalListQuery>, Problem>) -> Result<Json<Vec<rstore::UsulanRecord>>, Problem> {
    let area = area_of(&actor)?;
    let ApiQuery(q) = query?;
    let tahap = match q.tahap.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(super::usulan::Tahap::parse(t).ok_or_else(|| Problem::bad_request("tahap", format!("tahap {t:?} is not a proposal desk")))?),
    };
    let (rw, kelurahan) = scoped_filter(&area, q.rw, q.kelurahan)?;
    Ok(Json(rstore::usulan_list(&s.store, rw.as_deref(), kelurahan.as_deref(), tahap.map(|t| t.as_str())).await?))
}

#[derive(Serialize, ToSchema)]
struct ProposalAnswer {
    usulan: rstore::UsulanRecord,
    /// Every move: from which desk to which, who, when, why.
    langkah: Vec<rstore::LangkahRecord>,
}

/// One proposal with its history. Scoped like the household list.
#[utoipa::path(get, path = "/api/v1/recipients/proposals/{id}", tag = "recipients", params(("id" = i64, Path, description = "Proposal id")),
    responses((status = 200, body = ProposalAnswer), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_proposal(State(s): State<AppState>, actor: Actor, Path(id): Path<i64>) -> Result<Json<ProposalAnswer>, Problem> {
    let area = area_of(&actor)?;
    let usulan = rstore::usulan(&s.store, id).await?.ok_or_else(|| Problem::not_found(format!("no proposal {id}")).field("id"))?;
    if !inside(&area, &usulan.rw) {
        return Err(Problem::forbidden(format!("proposal {id} is outside this token's area")));
    }
    let langkah = rstore::usulan_steps(&s.store, id).await?;
    Ok(Json(ProposalAnswer { usulan, langkah }))
}

/// Forwards a proposal to the next desk (`teruskan`) or sends it back one step (`kembalikan`,
/// with `alasan`), naming the `versi` read: RT and RW desks by the RW's token, the Kelurahan
/// desk by its Lurah, the Kecamatan, Biro Pemerintahan, Diskominfotik, Dukcapil and Biro Kesos
/// desks by a planner; an admin at any desk. Leaving the Dukcapil desk needs every household
/// matched with the register; Biro Kesos forwards by decree (SK) only.
#[utoipa::path(post, path = "/api/v1/recipients/proposals/{id}/steps", tag = "recipients", request_body = LangkahInput,
    params(("id" = i64, Path, description = "Proposal id"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = rstore::UsulanRecord), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn post_proposal_step(
    State(s): State<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    input: Result<ApiJson<LangkahInput>, Problem>,
) -> Result<Response, Problem> {
    use super::usulan::Pelaku;
    let unit = || actor.unit.clone().ok_or_else(|| Problem::forbidden(format!("a {} token needs a unit", actor.role.as_str())));
    let who = match actor.role {
        Role::Admin => Pelaku::Admin,
        Role::Planner => Pelaku::Provinsi,
        Role::Rw => Pelaku::Rw(unit()?),
        Role::Lurah => Pelaku::Lurah(unit()?),
        r => return Err(Problem::forbidden(format!("role {} may not move a proposal (needs rw, lurah, planner or admin)", r.as_str()))),
    };
    let input = json_body(input)?;
    let alasan = input.check()?;
    let name = actor.audit_name();
    let request = serde_json::json!({"id": id, "input": input});
    keyed_write(&s.store, &scope("recipients.proposals.step", Some(actor.token_id)), &key, &request, StatusCode::OK, async |tx: &mut Tx| {
        ops::move_usulan(tx, id, input.aksi, input.versi, &alasan, &who, &name).await
    })
    .await
}

/// Today in Jakarta (WIB, UTC+7): a decree signed this morning in Jakarta is not "in the future".
fn today_wib() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
}

/// Makes a decree version (SK penetapan, seed 002 step 5): the accepted list (layak, accepted
/// by the Lurah, proposals from the Biro Kesos desk on) frozen as version n+1 with its content
/// hash; the bansos target of every RW it names becomes its KK count; proposals it fixes become
/// `ditetapkan`. An empty list is a 422, a used number or an unchanged list a 409. Roles admin,
/// planner.
#[utoipa::path(post, path = "/api/v1/recipients/decrees", tag = "recipients", request_body = SkInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 201, body = ops::Decreed), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn post_decree(State(s): State<AppState>, actor: Actor, key: IdempotencyKey, input: Result<ApiJson<SkInput>, Problem>) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Planner])?;
    let input = json_body(input)?;
    let nomor = input.check(today_wib()).map_err(|(field, detail)| Problem::unprocessable(&field, detail))?;
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("recipients.decrees", Some(actor.token_id)), &key, &input, StatusCode::CREATED, async |tx: &mut Tx| {
        ops::decree(tx, &nomor, input.tanggal, &who).await
    })
    .await
}

/// Every decree version, newest first (number, date, hash, counts). Roles admin, planner,
/// auditor.
#[utoipa::path(get, path = "/api/v1/recipients/decrees", tag = "recipients",
    responses((status = 200, body = [rstore::SkRecord]), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_decrees(State(s): State<AppState>, actor: Actor) -> Result<Json<Vec<rstore::SkRecord>>, Problem> {
    actor.require(&[Role::Admin, Role::Planner, Role::Auditor])?;
    Ok(Json(rstore::sk_list(&s.store).await?))
}

#[derive(Serialize, ToSchema)]
struct DecreeAnswer {
    sk: rstore::SkRecord,
    /// Households (KK) per RW in this version.
    per_rw: std::collections::BTreeMap<String, i64>,
}

async fn decree_or_404(s: &AppState, id: i64, field: &str) -> Result<rstore::SkRecord, Problem> {
    rstore::sk(&s.store, id).await?.ok_or_else(|| Problem::not_found(format!("no decree {id}")).field(field))
}

/// One decree version with its households per RW. Roles admin, planner, auditor.
#[utoipa::path(get, path = "/api/v1/recipients/decrees/{id}", tag = "recipients", params(("id" = i64, Path, description = "Decree id")),
    responses((status = 200, body = DecreeAnswer), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_decree(State(s): State<AppState>, actor: Actor, Path(id): Path<i64>) -> Result<Json<DecreeAnswer>, Problem> {
    actor.require(&[Role::Admin, Role::Planner, Role::Auditor])?;
    let sk = decree_or_404(&s, id, "id").await?;
    let mut per_rw = std::collections::BTreeMap::new();
    for i in rstore::sk_items(&s.store, id, "").await? {
        *per_rw.entry(i.rw).or_insert(0) += 1;
    }
    Ok(Json(DecreeAnswer { sk, per_rw }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct DiffQuery {
    /// The earlier decree's id.
    dari: i64,
}

/// What changed from decree `dari` to decree `id`: households added, removed, and changed
/// (naming the fields; numbers masked). Roles admin, planner, auditor.
#[utoipa::path(get, path = "/api/v1/recipients/decrees/{id}/diff", tag = "recipients", params(("id" = i64, Path, description = "The later decree's id"), DiffQuery),
    responses((status = 200, body = super::sk::Diff), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn decree_diff(State(s): State<AppState>, actor: Actor, Path(id): Path<i64>, query: Result<ApiQuery<DiffQuery>, Problem>) -> Result<Json<super::sk::Diff>, Problem> {
    actor.require(&[Role::Admin, Role::Planner, Role::Auditor])?;
    let ApiQuery(q) = query?;
    decree_or_404(&s, id, "id").await?;
    decree_or_404(&s, q.dari, "dari").await?;
    let (a, b) = (rstore::sk_items(&s.store, q.dari, "").await?, rstore::sk_items(&s.store, id, "").await?);
    Ok(Json(super::sk::diff(&a, &b)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct DocQuery {
    /// The kelurahan (31.71.01.1002); a Lurah token's own when absent.
    kelurahan: Option<String>,
    /// Only this RW of the kelurahan (an RW token: its own).
    rw: Option<String>,
    /// pdf (default) or xlsx.
    format: Option<String>,
}

/// The BNBA (list by name and address) or BAST (hand-over record) of one kelurahan, or one RW,
/// under decree `id` (seed 002 step 6), as PDF or XLSX: header with the SK number, table by RW
/// and RT (No, NIK masked, nama, alamat, RT, jiwa, signature column), subtotals, total, page
/// numbers, signature blocks for the Lurah and the receiver. Roles admin, planner, lurah (own
/// kelurahan), rw (own RW).
#[utoipa::path(get, path = "/api/v1/recipients/decrees/{id}/documents/{jenis}", tag = "recipients",
    params(("id" = i64, Path, description = "Decree id"), ("jenis" = String, Path, description = "bnba or bast"), DocQuery),
    responses((status = 200, content_type = "application/pdf", description = "The document (application/pdf or the XLSX type)"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn decree_document(
    State(s): State<AppState>,
    actor: Actor,
    Path((id, jenis)): Path<(i64, String)>,
    query: Result<ApiQuery<DocQuery>, Problem>,
) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Planner, Role::Lurah, Role::Rw])?;
    let area = area_of(&actor)?;
    let ApiQuery(q) = query?;
    let jenis = super::dokumen::Jenis::parse(&jenis).ok_or_else(|| Problem::bad_request("jenis", format!("jenis {jenis:?} is not bnba or bast")))?;
    let xlsx = match q.format.as_deref().unwrap_or("pdf") {
        "pdf" => false,
        "xlsx" => true,
        f => return Err(Problem::bad_request("format", format!("format {f:?} is not pdf or xlsx"))),
    };
    let (rw, kelurahan) = scoped_filter(&area, q.rw, q.kelurahan)?;
    let atlas = s.atlas.current();
    let parts = ops::document(&s.store, &atlas, id, jenis, rw.as_deref(), kelurahan.as_deref(), xlsx).await?;
    let name = parts.nama_file.clone();
    // Layout is CPU work: off the async workers.
    let (bytes, ctype) = tokio::task::spawn_blocking(move || super::dokumen::render(&parts.kepala, &parts.items, xlsx))
        .await
        .map_err(Problem::internal)?
        .map_err(Problem::internal)?;
    Response::builder()
        .header(axum::http::header::CONTENT_TYPE, ctype)
        .header(axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))
        .header(axum::http::header::CACHE_CONTROL, "private, no-store")
        .body(axum::body::Body::from(bytes))
        .map_err(Problem::internal)
}

/// Records a page of hand-outs by name (penyaluran, seed 001 B.1–B.2) in one round: each
/// household of the current SK `diterima` (it received its package) or `ditarik` (taken back:
/// `tidak_di_lokasi` or `tidak_layak`), all or none. A household receives once per round (a
/// second record is a 409); one still not on the accepted list cannot receive (422: take it
/// back). Households receiving for the first time count in the bansos `kk_served` of their RW
/// (one bansos hand-out per RW, in the same transaction, within the RW's good packages and
/// target). Roles admin, planner, lurah (own kelurahan), rw (own RW).
#[utoipa::path(post, path = "/api/v1/recipients/handouts", tag = "recipients", request_body = super::penyaluran::PenyaluranInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 201, body = ops::Handed), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn post_handouts(
    State(s): State<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    input: Result<ApiJson<super::penyaluran::PenyaluranInput>, Problem>,
) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Planner, Role::Lurah, Role::Rw])?;
    let area = area_of(&actor)?;
    let input = json_body(input)?;
    let (petugas, items) = input.check(today_wib()).map_err(|(field, detail)| Problem::unprocessable(&field, detail))?;
    let atlas = s.atlas.current();
    let who = actor.audit_name();
    keyed_write(&s.store, &scope("recipients.handouts", Some(actor.token_id)), &key, &input, StatusCode::CREATED, async |tx: &mut Tx| {
        // Every bansos writer bumps the revision first: hand-outs are serialised on both stores
        // and the progress cache (keyed by revision) never outlives this write.
        crate::bansos::store::bump_revision(tx).await?;
        ops::hand_out(tx, &atlas, input.putaran, input.tanggal, petugas.as_deref(), &items, area.as_deref(), &who).await
    })
    .await
}

/// Corrects a hand-out by name recorded against the wrong household: the record is voided with
/// `alasan` (kept in the report as history, never deleted) and, with `household_id`, the
/// household of the current SK that did receive is recorded instead (same round, status, day).
/// bansos `kk_served` follows in the same transaction (the voided household's count taken back,
/// the named one's added), so it stays the distinct households handed out by name; once per
/// round still holds (the voided household may then receive in that round). Roles admin,
/// planner, lurah (own kelurahan), rw (own RW).
#[utoipa::path(post, path = "/api/v1/recipients/handouts/{id}/koreksi", tag = "recipients", request_body = super::penyaluran::KoreksiInput,
    params(("id" = i64, Path, description = "Hand-out record id"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 201, body = ops::Corrected), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn post_handout_koreksi(
    State(s): State<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    input: Result<ApiJson<super::penyaluran::KoreksiInput>, Problem>,
) -> Result<Response, Problem> {
    actor.require(&[Role::Admin, Role::Planner, Role::Lurah, Role::Rw])?;
    let area = area_of(&actor)?;
    let input = json_body(input)?;
    let k = input.check().map_err(|(field, detail)| Problem::unprocessable(&field, detail))?;
    let atlas = s.atlas.current();
    let who = actor.audit_name();
    let request = serde_json::json!({"id": id, "input": input});
    keyed_write(&s.store, &scope("recipients.handouts.koreksi", Some(actor.token_id)), &key, &request, StatusCode::CREATED, async |tx: &mut Tx| {
        // A bansos writer (the count follows): the revision first, as `post_handouts`.
        crate::bansos::store::bump_revision(tx).await?;
        ops::correct_handout(tx, &atlas, id, &k, area.as_deref(), &who).await
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct HandoutQuery {
    /// The round (putaran).
    putaran: i64,
    rw: Option<String>,
    kelurahan: Option<String>,
    /// Only `diterima` or only `ditarik` (the packages taken back: the report to Dinsos).
    status: Option<String>,
    /// Page after this record id.
    after: Option<i64>,
    /// Page size, 1..=500 (default 100).
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct HandoutReport {
    putaran: i64,
    /// The current decree the summary counts against (absent: none yet).
    sk: Option<rstore::SkRecord>,
    /// Per RW of the current SK in the area: KK decreed, received, taken back by reason, not yet recorded.
    ringkasan: Vec<rstore::PenyaluranRingkasan>,
    records: Vec<rstore::PenyaluranRecord>,
    /// Pass as `after` for the next page; absent on the last.
    next_after: Option<i64>,
}

/// The hand-outs by name of one round: a summary per RW against the current SK, and the records
/// (NIK masked) paged by id; `status=ditarik` lists the packages taken back with their reasons
/// (seed 001 B.2: "selisih data paket yang dikembalikan kepada Dinsos"). Scoped like the
/// household list. Roles admin, planner, auditor, rw, lurah.
#[utoipa::path(get, path = "/api/v1/recipients/handouts", tag = "recipients", params(HandoutQuery),
    responses((status = 200, body = HandoutReport), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_handouts(State(s): State<AppState>, actor: Actor, query: Result<ApiQuery<HandoutQuery>, Problem>) -> Result<Json<HandoutReport>, Problem> {
    let area = area_of(&actor)?;
    let ApiQuery(q) = query?;
    let limit = page_limit(q.limit)?;
    if !(1..=super::penyaluran::MAX_PUTARAN).contains(&q.putaran) {
        return Err(Problem::bad_request("putaran", format!("putaran {} must be 1..={}", q.putaran, super::penyaluran::MAX_PUTARAN)));
    }
    let status = match q.status.as_deref().map(str::trim).unwrap_or("") {
        s @ ("" | "diterima" | "ditarik") => s.to_string(),
        other => return Err(Problem::bad_request("status", format!("status {other:?} is not diterima or ditarik"))),
    };
    let (rw, kelurahan) = scoped_filter(&area, q.rw, q.kelurahan)?;
    let prefix = rw.or(kelurahan).unwrap_or_default();
    let f = rstore::PenyaluranFilter { putaran: q.putaran, area: &prefix, status: &status, after: q.after.unwrap_or(0), limit };
    let records = rstore::penyaluran_list(&s.store, &f).await?;
    let sk = rstore::current_sk(&s.store).await?;
    let ringkasan = match &sk {
        Some(sk) => rstore::penyaluran_ringkasan(&s.store, sk.id, q.putaran, &prefix).await?,
        None => vec![],
    };
    let next_after = (records.len() as i64 == limit).then(|| records.last().map(|r| r.id)).flatten();
    Ok(Json(HandoutReport { putaran: q.putaran, sk, ringkasan, records, next_after }))
}
