//! The checked status machine. Every change of status or unit goes through [`check`], so an
//! illegal jump (`diterima → selesai`) is refused before anything is written.

use super::model::{ForwardReason, Status};
use serde::{Deserialize, Serialize};

/// What a unit does to a complaint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "aksi", rename_all = "snake_case")]
pub enum Action {
    /// Change status (`dalam_proses`, `selesai`, `ditolak`, or `assigned` to accept from the
    /// channel owner's queue into its own).
    Ubah { to: Status },
    /// Hand over to another unit.
    Teruskan { unit: String, reason: ForwardReason },
    /// Move the point; the atlas re-routes.
    Pindah,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TransitionError {
    #[error("status {from} cannot change to {to} (allowed from {from}: {allowed})")]
    Illegal { from: Status, to: Status, allowed: String },
    #[error("complaint is {0}: it is closed and cannot be changed")]
    Closed(Status),
    #[error("a reason is required to change status to ditolak")]
    ReasonRequired,
    #[error("complaint is already held by {0}")]
    SameUnit(String),
}

/// Status changes a unit may make by hand.
pub fn allowed(from: Status) -> &'static [Status] {
    use Status::*;
    match from {
        Diterima => &[Assigned, Ditolak],
        Assigned => &[DalamProses, Ditolak],
        DalamProses => &[Selesai, Ditolak],
        Selesai | Ditolak => &[],
    }
}

/// Checks a status change; `why` must be given to reject.
pub fn check(from: Status, to: Status, why: Option<&str>) -> Result<(), TransitionError> {
    if from.is_terminal() {
        return Err(TransitionError::Closed(from));
    }
    if !allowed(from).contains(&to) {
        let allowed = allowed(from).iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        return Err(TransitionError::Illegal { from, to, allowed });
    }
    if to == Status::Ditolak && why.is_none_or(|w| w.trim().is_empty()) {
        return Err(TransitionError::ReasonRequired);
    }
    Ok(())
}

/// Forwarding is allowed from any open status; the receiving unit gets it as `assigned`.
pub fn check_forward(from: Status, holder: &str, to_unit: &str) -> Result<Status, TransitionError> {
    if from.is_terminal() {
        return Err(TransitionError::Closed(from));
    }
    if holder == to_unit {
        return Err(TransitionError::SameUnit(holder.to_string()));
    }
    Ok(Status::Assigned)
}

/// Re-location is allowed while the complaint is open.
pub fn check_relocate(from: Status) -> Result<(), TransitionError> {
    if from.is_terminal() {
        return Err(TransitionError::Closed(from));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn the_normal_path_is_allowed() {
        assert!(check(Diterima, Assigned, None).is_ok());
        assert!(check(Assigned, DalamProses, None).is_ok());
        assert!(check(DalamProses, Selesai, Some("diperbaiki")).is_ok());
    }

    #[test]
    fn jumps_and_changes_to_closed_complaints_are_refused() {
        let e = check(Diterima, Selesai, None).unwrap_err();
        assert!(matches!(e, TransitionError::Illegal { from: Diterima, to: Selesai, .. }));
        assert!(e.to_string().contains("assigned"), "{e}");
        assert!(matches!(check(Assigned, Selesai, None), Err(TransitionError::Illegal { .. })));
        assert!(matches!(check(DalamProses, Diterima, None), Err(TransitionError::Illegal { .. })));
        assert_eq!(check(Selesai, DalamProses, None), Err(TransitionError::Closed(Selesai)));
        assert_eq!(check(Ditolak, Assigned, None), Err(TransitionError::Closed(Ditolak)));
        assert_eq!(check_forward(Selesai, "a", "b"), Err(TransitionError::Closed(Selesai)));
        assert_eq!(check_relocate(Ditolak), Err(TransitionError::Closed(Ditolak)));
    }

    #[test]
    fn rejecting_needs_a_reason_and_forwarding_needs_another_unit() {
        assert_eq!(check(Assigned, Ditolak, None), Err(TransitionError::ReasonRequired));
        assert_eq!(check(Assigned, Ditolak, Some("  ")), Err(TransitionError::ReasonRequired));
        assert!(check(Assigned, Ditolak, Some("laporan ganda")).is_ok());
        assert_eq!(check_forward(DalamProses, "x", "y"), Ok(Assigned));
        assert_eq!(check_forward(Assigned, "x", "x"), Err(TransitionError::SameUnit("x".into())));
    }

    #[test]
    fn every_status_reaches_a_terminal_one() {
        for s in Status::ALL {
            let mut cur = *s;
            let mut steps = 0;
            while !cur.is_terminal() {
                cur = *allowed(cur).first().unwrap();
                steps += 1;
                assert!(steps < 10);
            }
        }
    }
}
