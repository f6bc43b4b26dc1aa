//! Bottom-up proposals (usulan) for residents who were missed (seed 001 C, "Usulan Bantuan
//! Logistik Terhadap Warga Yang Belum Terdata"): the RT's forms go to the RW, the RW's recap up
//! through the Kelurahan, Kecamatan, Biro Pemerintahan and Diskominfotik to Dukcapil for NIK
//! cleaning, then to Biro Kesos for the decree (Keputusan Gubernur). Each step is a state; the
//! desk holding a proposal forwards it or sends it back one step with a reason. A pure rule.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a proposal is (whose desk holds it), in the order of seed 001 C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tahap {
    /// Forms filled by residents, checked by the RT (entered through the RW's token: the RT has none).
    Rt,
    Rw,
    Kelurahan,
    Kecamatan,
    BiroPemerintahan,
    Diskominfotik,
    /// NIK cleaning against the population register (`POST /api/v1/recipients/matching`).
    Dukcapil,
    /// Ready for the decree: Biro Kesos prepares the Keputusan Gubernur.
    BiroKesos,
    /// Fixed by a decree (SK); final. Only the SK moves a proposal here.
    Ditetapkan,
}

impl Tahap {
    pub const ALL: [Tahap; 9] =
        [Tahap::Rt, Tahap::Rw, Tahap::Kelurahan, Tahap::Kecamatan, Tahap::BiroPemerintahan, Tahap::Diskominfotik, Tahap::Dukcapil, Tahap::BiroKesos, Tahap::Ditetapkan];

    pub fn as_str(self) -> &'static str {
        match self {
            Tahap::Rt => "rt",
            Tahap::Rw => "rw",
            Tahap::Kelurahan => "kelurahan",
            Tahap::Kecamatan => "kecamatan",
            Tahap::BiroPemerintahan => "biro_pemerintahan",
            Tahap::Diskominfotik => "diskominfotik",
            Tahap::Dukcapil => "dukcapil",
            Tahap::BiroKesos => "biro_kesos",
            Tahap::Ditetapkan => "ditetapkan",
        }
    }

    pub fn parse(s: &str) -> Option<Tahap> {
        Tahap::ALL.into_iter().find(|t| t.as_str() == s)
    }

    fn index(self) -> usize {
        Tahap::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// What the desk holding a proposal does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aksi {
    /// Forward to the next desk.
    Teruskan,
    /// Send back one step, with a reason.
    Kembalikan,
}

impl Aksi {
    pub fn as_str(self) -> &'static str {
        match self {
            Aksi::Teruskan => "teruskan",
            Aksi::Kembalikan => "kembalikan",
        }
    }
}

/// Who acts (from the token): an RW officer of an RW, a Lurah of a kelurahan, the province's
/// data and welfare teams (planner: Kecamatan, Biro Pemerintahan, Diskominfotik, Dukcapil, Biro
/// Kesos desks have no role of their own), or an admin (any desk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pelaku {
    Rw(String),
    Lurah(String),
    Provinsi,
    Admin,
}

/// Whether `who` holds the desk `tahap` of a proposal of RW `rw`, or why not.
pub fn may_act(tahap: Tahap, who: &Pelaku, rw: &str) -> Result<(), String> {
    let ok = match (tahap, who) {
        (Tahap::Ditetapkan, _) => return Err("the proposal is fixed by a decree (ditetapkan); it moves no more".into()),
        (_, Pelaku::Admin) => true,
        (Tahap::Rt | Tahap::Rw, Pelaku::Rw(unit)) => unit == rw,
        (Tahap::Kelurahan, Pelaku::Lurah(unit)) => rw.starts_with(&format!("{unit}.")),
        (Tahap::Kecamatan | Tahap::BiroPemerintahan | Tahap::Diskominfotik | Tahap::Dukcapil | Tahap::BiroKesos, Pelaku::Provinsi) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        let desk = match tahap {
            Tahap::Rt | Tahap::Rw => format!("the RW officer of {rw}"),
            Tahap::Kelurahan => "the Lurah of its kelurahan".into(),
            _ => "the province (planner)".into(),
        };
        Err(format!("the proposal is at the {} desk: {desk} (or an admin) acts on it", tahap.as_str()))
    }
}

/// The state after `aksi` from `tahap`. `all_matched`: every household of the proposal has a
/// result from the population register (needed to leave the Dukcapil desk).
pub fn next(tahap: Tahap, aksi: Aksi, all_matched: bool) -> Result<Tahap, String> {
    match (aksi, tahap) {
        (_, Tahap::Ditetapkan) => Err("the proposal is fixed by a decree (ditetapkan); it moves no more".into()),
        (Aksi::Kembalikan, Tahap::Rt) => Err("the proposal is at its first step (rt): there is no step to send it back to".into()),
        (Aksi::Kembalikan, t) => Ok(Tahap::ALL[t.index() - 1]),
        (Aksi::Teruskan, Tahap::Dukcapil) if !all_matched => {
            Err("not every household of the proposal is matched with the population register yet (run matching first)".into())
        }
        (Aksi::Teruskan, Tahap::BiroKesos) => Err("Biro Kesos forwards by decree: an SK (penetapan) fixes the proposal".into()),
        (Aksi::Teruskan, t) => Ok(Tahap::ALL[t.index() + 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_the_chain_and_back_one_step() {
        let mut t = Tahap::Rt;
        let mut path = vec![t];
        while t != Tahap::BiroKesos {
            t = next(t, Aksi::Teruskan, true).unwrap();
            path.push(t);
        }
        assert_eq!(path.len(), 8);
        assert!(next(Tahap::BiroKesos, Aksi::Teruskan, true).unwrap_err().contains("decree"));
        assert!(next(Tahap::Dukcapil, Aksi::Teruskan, false).unwrap_err().contains("matching"));
        assert_eq!(next(Tahap::Kecamatan, Aksi::Kembalikan, false), Ok(Tahap::Kelurahan));
        assert!(next(Tahap::Rt, Aksi::Kembalikan, true).is_err());
        assert!(next(Tahap::Ditetapkan, Aksi::Kembalikan, true).is_err());
        for t in Tahap::ALL {
            assert_eq!(Tahap::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn only_the_desk_holder_acts() {
        let rw = "31.71.01.1002.001";
        assert!(may_act(Tahap::Rt, &Pelaku::Rw(rw.into()), rw).is_ok());
        assert!(may_act(Tahap::Rw, &Pelaku::Rw("31.71.01.1002.002".into()), rw).is_err());
        assert!(may_act(Tahap::Kelurahan, &Pelaku::Rw(rw.into()), rw).unwrap_err().contains("Lurah"));
        assert!(may_act(Tahap::Kelurahan, &Pelaku::Lurah("31.71.01.1002".into()), rw).is_ok());
        assert!(may_act(Tahap::Kelurahan, &Pelaku::Lurah("31.71.01.100".into()), rw).is_err(), "a prefix of the code is not the kelurahan");
        assert!(may_act(Tahap::Kecamatan, &Pelaku::Lurah("31.71.01.1002".into()), rw).is_err());
        assert!(may_act(Tahap::Dukcapil, &Pelaku::Provinsi, rw).is_ok());
        assert!(may_act(Tahap::Rw, &Pelaku::Provinsi, rw).is_err());
        assert!(may_act(Tahap::Rw, &Pelaku::Admin, rw).is_ok());
        assert!(may_act(Tahap::Ditetapkan, &Pelaku::Admin, rw).is_err());
    }
}
