//! Bearer-token roles. Tokens are made by `sigap token create`; only their hash is stored.
//! A revoked or expired token is refused with 401 naming the token and the date.

use super::{AppState, Problem};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including unit and boundary administration.
    Admin,
    /// CRM operator scoped to one unit: sees and acts on that unit's queue only.
    Operator,
    /// Reads everything, changes nothing.
    Auditor,
    /// Distribution planner (Dinsos, Setgas, Bidang Logistik): bansos records and plans.
    Planner,
    /// Bidang Logistik (Kepgub 659/2020): catalog, gudang, receipts into stock, verification of
    /// requests. With a unit (a gudang code) the token acts for that gudang only.
    Logistik,
    /// Sekretariat Gugus Tugas: dispatches approved requests.
    Sekretariat,
    /// Penerima logistik (PD/UKPD down to a kelurahan), scoped to its unit: needs, availability,
    /// requests, receipt confirmation.
    Penerima,
    /// Dinas Cipta Karya, Tata Ruang dan Pertanahan: manages the KSBB site layers (lokbin,
    /// loksem, lokasi promosi). See `src/ksbb/README.md` for the KSBB role matrix.
    Citata,
    /// Bidang Kolaborasi dan Kemitraan: logistics pledges agreed with kolaborator (seed 000);
    /// KSBB UMKM target data, collaborator review, the personal data of UMKM, audited (seed 003).
    #[serde(rename = "bidang_kolaborasi")]
    #[value(name = "bidang_kolaborasi")]
    BidangKolaborasi,
    /// A KSBB collaborator (donatur, agregator, fintech) acting for itself: the token's unit is
    /// its collaborator id (`--unit <id>`); it submits and reads only its own Konfirmasi.
    Kolaborator,
    /// RW (rukun warga) officer scoped to one RW (`unit` = RW code): sees and verifies only that
    /// RW's recipients (src/recipients/README.md).
    Rw,
    /// Lurah scoped to one kelurahan (`unit` = kelurahan code): sees and verifies only that
    /// kelurahan's recipients.
    Lurah,
    /// KSBB pendamping (Sudin of a dinas, `unit` = ppkukm, kpkp, …; or Kasatpel of a kecamatan,
    /// `unit` = kecamatan code): checks that the UMKM in its scope received what was reported.
    Pendamping,
    /// Ketua Harian Gugus Tugas: receives the logistics reports (read-only).
    #[serde(rename = "ketua_harian")]
    #[value(name = "ketua_harian")]
    KetuaHarian,
    /// Bidang Akuntabilitas dan Pengawasan: receives a copy of the logistics reports and reads the
    /// ledger and papers behind them (read-only).
    Akuntabilitas,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
            Role::Planner => "planner",
            Role::Logistik => "logistik",
            Role::Sekretariat => "sekretariat",
            Role::Penerima => "penerima",
            Role::Citata => "citata",
            Role::BidangKolaborasi => "bidang_kolaborasi",
            Role::Kolaborator => "kolaborator",
            Role::Rw => "rw",
            Role::Lurah => "lurah",
            Role::Pendamping => "pendamping",
            Role::KetuaHarian => "ketua_harian",
            Role::Akuntabilitas => "akuntabilitas",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "operator" => Some(Role::Operator),
            "auditor" => Some(Role::Auditor),
            "planner" => Some(Role::Planner),
            "logistik" => Some(Role::Logistik),
            "sekretariat" => Some(Role::Sekretariat),
            "penerima" => Some(Role::Penerima),
            "citata" => Some(Role::Citata),
            "bidang_kolaborasi" => Some(Role::BidangKolaborasi),
            "kolaborator" => Some(Role::Kolaborator),
            "rw" => Some(Role::Rw),
            "lurah" => Some(Role::Lurah),
            "pendamping" => Some(Role::Pendamping),
            "ketua_harian" => Some(Role::KetuaHarian),
            "akuntabilitas" => Some(Role::Akuntabilitas),
            _ => None,
        }
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Actor {
    pub token_id: i64,
    pub role: Role,
    pub unit: Option<String>,
}

impl Actor {
    /// Name written to the audit log.
    pub fn audit_name(&self) -> String {
        match &self.unit {
            Some(u) => format!("token:{}:{}@{}", self.token_id, self.role.as_str(), u),
            None => format!("token:{}:{}", self.token_id, self.role.as_str()),
        }
    }

    pub fn require(&self, roles: &[Role]) -> Result<(), Problem> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(Problem::forbidden(format!("role {} may not do this (needs {})", self.role.as_str(), allowed.join(" or "))))
        }
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| Problem::unauthorized("missing Authorization: Bearer <token>").field("Authorization"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Problem::unauthorized("Authorization must be `Bearer <token>`").field("Authorization"))?;
        let row = crate::store::tokens::lookup(&state.store, token)
            .await?
            .ok_or_else(|| Problem::unauthorized("unknown token").field("Authorization"))?;
        // A revoked or expired token says which and since when, so its holder knows to ask for
        // a new one instead of retrying.
        row.usable_at(chrono::Utc::now()).map_err(|why| Problem::new(axum::http::StatusCode::UNAUTHORIZED, why.slug(), why.to_string()).field("Authorization"))?;
        let role = Role::parse(&row.role).ok_or_else(|| Problem::internal(format!("stored role {} is unknown", row.role)))?;
        Ok(Actor { token_id: row.id, role, unit: row.unit })
    }
}
