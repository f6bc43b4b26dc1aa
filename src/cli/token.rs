//! `sigap token create|list|revoke`: issue, inspect and withdraw API tokens.
//!
//! A token's `--unit` must be a unit sigap knows (a kelurahan in the store, or a complaint unit
//! from the shipped or stored unit list), so an operator token cannot be scoped to a typo that
//! would show it an empty queue forever.

use crate::api::Role;
use crate::store::tokens::{self, NewToken, TokenRow, DEFAULT_LIFETIME_DAYS, MAX_LIFETIME_DAYS};
use crate::store::Store;
use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (shown once; only its hash is stored).
    #[command(after_help = "Tokens expire: 90 days after creation by default, at most 365 days (--expires-in-days). \
Revoke a leaked token at once with `sigap token revoke ID`.")]
    Create {
        #[arg(long, value_enum)]
        role: Role,
        /// Unit the token is scoped to (required for operator and penerima): a kelurahan code
        /// loaded in the store (31.71.01.1001) or a complaint unit id (dinas-sda); for a
        /// logistik token, a gudang code (BALAIKOTA), scoping it to that gudang.
        #[arg(long)]
        unit: Option<String>,
        /// Free text naming who holds the token (shown by `token list`).
        #[arg(long)]
        label: Option<String>,
        /// Days until the token expires: default 90, at most 365.
        #[arg(long, default_value_t = DEFAULT_LIFETIME_DAYS, value_parser = clap::value_parser!(u32).range(1..=MAX_LIFETIME_DAYS as i64))]
        expires_in_days: u32,
    },
    /// List tokens: id, role, unit, label, created, expires, revoked (never the secret or its hash).
    List,
    /// Revoke a token now (audited); requests with it get 401 saying so.
    Revoke {
        /// Token id, as shown by `token list`.
        id: i64,
        /// Why (kept with the revocation and shown in the 401).
        #[arg(long)]
        reason: Option<String>,
    },
}

fn actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

/// Whether `unit` names a unit sigap routes complaints to: a kelurahan in the store or a
/// complaint unit (shipped list overridden and extended by the stored one).
pub async fn known_unit(store: &Store, unit: &str) -> anyhow::Result<bool> {
    if crate::complaints::model::is_kelurahan_code(unit) {
        return Ok(tokens::kelurahan_exists(store, unit).await?);
    }
    let units = crate::complaints::ops::units(store).await?;
    Ok(units.find(unit).is_some())
}

pub async fn run(store: &Store, cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create { role, unit, label, expires_in_days } => {
            if role == Role::Operator && unit.is_none() {
                anyhow::bail!("an operator token needs --unit (the unit whose queue it works)");
            }
            if role == Role::Penerima && unit.is_none() {
                anyhow::bail!("a penerima token needs --unit (the unit it enters needs and requests for)");
            }
            let unit = crate::text::optional("--unit", unit.as_deref(), 64)?;
            let label = crate::text::optional("--label", label.as_deref(), 200)?;
            if role == Role::Kolaborator && !crate::ksbb::store::kolaborator_approved(store, unit.unwrap_or("")).await? {
                anyhow::bail!("a kolaborator token needs --unit <id> of an approved KSBB collaborator (GET /api/v1/ksbb/kolaborator)");
            }
            if role == Role::Pendamping && unit.and_then(crate::ksbb::model::Pendamping::parse).is_none() {
                anyhow::bail!("a pendamping token needs --unit: a dinas (ppkukm, kpkp, ppapp, sosial, parekraf, kebudayaan, nakertransgi) or a kecamatan code (31.71.01)");
            }
            if matches!(role, Role::Rw | Role::Lurah) {
                crate::recipients::cli::check_token_unit(store, role, unit).await?;
            } else if let (Some(u), Role::Logistik) = (unit, role) {
                // A Bidang Logistik token with a unit is scoped to that gudang.
                if crate::logistics::store::get_gudang(store, u).await?.is_none() {
                    anyhow::bail!("--unit {u:?} is not a gudang: a logistik token's unit is a gudang code from GET /api/v1/logistik/gudang");
                }
            } else if let Some(u) = unit.filter(|_| !matches!(role, Role::Kolaborator | Role::Pendamping)) {
                if !known_unit(store, u).await? {
                    anyhow::bail!(
                        "--unit {u:?} is not a loaded unit: give a kelurahan code present in the store (run `sigap init` first) \
                         or a complaint unit id from GET /api/v1/complaint-units"
                    );
                }
            }
            let expires_at = Utc::now() + Duration::days(expires_in_days.into());
            let new = NewToken { role: role.as_str(), unit, label, expires_at };
            let (id, token) = tokens::issue(store, &new, &actor()).await?;
            eprintln!("token {id} ({}) expires on {}", role.as_str(), day(expires_at));
            println!("{token}");
            Ok(())
        }
        TokenCommand::List => {
            print!("{}", table(&tokens::list(store).await?, Utc::now()));
            Ok(())
        }
        TokenCommand::Revoke { id, reason } => {
            let reason = crate::text::optional("--reason", reason.as_deref(), 200)?;
            let row = tokens::revoke(store, id, reason, &actor()).await.with_context(|| format!("revoking token {id}"))?;
            println!("token {id} revoked on {}", row.revoked_at.map(day).unwrap_or_default());
            Ok(())
        }
    }
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The token list as aligned columns; the last column says whether a token still works.
pub fn table(rows: &[TokenRow], now: DateTime<Utc>) -> String {
    let header = ["id", "role", "unit", "label", "created", "expires", "revoked", "state"].map(String::from);
    let mut lines = vec![header.to_vec()];
    for r in rows {
        let state = match r.usable_at(now) {
            Ok(()) => "active",
            Err(tokens::Refusal::Revoked { .. }) => "revoked",
            Err(tokens::Refusal::Expired { .. }) => "expired",
        };
        lines.push(vec![
            r.id.to_string(),
            r.role.clone(),
            r.unit.clone().unwrap_or_else(|| "-".into()),
            r.label.clone().unwrap_or_else(|| "-".into()),
            day(r.created_at),
            r.expires_at.map(day).unwrap_or_else(|| "never".into()),
            r.revoked_at.map(day).unwrap_or_else(|| "-".into()),
            state.into(),
        ]);
    }
    let widths: Vec<usize> = (0..header.len()).map(|i| lines.iter().map(|l| l[i].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for l in &lines {
        let cells: Vec<String> = l.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
