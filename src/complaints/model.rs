//! The vocabulary of complaints, parsed once at the edge: channels, categories, statuses,
//! flags and reasons are enums so a typo in a request is a 400 naming the field, never a row.

use super::routing::Geotag;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares a snake_case string enum with `parse`, `as_str`, `ALL` and serde both ways.
macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, utoipa::ToSchema)]
        pub enum $name { $($(#[$vm])* #[schema(rename = $s)] $v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$v),)+ _ => None }
            }
            /// All accepted spellings, for error messages.
            pub fn choices() -> String {
                [$($s),+].join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.as_str()) }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown {} {s:?} (one of: {})", stringify!($name).to_lowercase(), $name::choices())))
            }
        }
    };
}

word_enum! {
    /// Official complaint channels of the Pemprov DKI (Pergub 128/2017 as amended by 39/2019).
    Channel {
        Jaki = "jaki", Qlue = "qlue", Web = "web", Sms = "sms", Email = "email", Social = "social",
        /// Submitted through the Open311 GeoReport v2 endpoint.
        Open311 = "open311",
        /// Loaded by `sigap complaints import`.
        Import = "import",
    }
}

word_enum! {
    /// Complaint categories (the common CRM categories; also the Open311 service list).
    Category {
        Banjir = "banjir", Genangan = "genangan", Sampah = "sampah", JalanRusak = "jalan_rusak",
        Drainase = "drainase", PohonTumbang = "pohon_tumbang", PeneranganJalan = "penerangan_jalan",
        Ketertiban = "ketertiban", Kesehatan = "kesehatan", Bansos = "bansos", Parkir = "parkir",
        Kebakaran = "kebakaran", AirBersih = "air_bersih", Lainnya = "lainnya",
    }
}

impl Category {
    /// Indonesian label shown in the UI and as the Open311 service name.
    pub fn label(self) -> &'static str {
        match self {
            Category::Banjir => "Banjir",
            Category::Genangan => "Genangan air",
            Category::Sampah => "Sampah",
            Category::JalanRusak => "Jalan rusak",
            Category::Drainase => "Saluran air / drainase",
            Category::PohonTumbang => "Pohon tumbang",
            Category::PeneranganJalan => "Penerangan jalan umum",
            Category::Ketertiban => "Ketertiban umum",
            Category::Kesehatan => "Kesehatan",
            Category::Bansos => "Bantuan sosial",
            Category::Parkir => "Parkir liar",
            Category::Kebakaran => "Kebakaran",
            Category::AirBersih => "Air bersih",
            Category::Lainnya => "Lainnya",
        }
    }
}

word_enum! {
    /// Lifecycle of a complaint. `assigned` is the *didisposisikan* state (accepted as an alias).
    Status {
        /// Received, waiting in the channel owner's queue for manual forwarding.
        Diterima = "diterima",
        /// Disposed to the unit that must act.
        Assigned = "assigned",
        DalamProses = "dalam_proses",
        Selesai = "selesai",
        Ditolak = "ditolak",
    }
}

impl Status {
    /// Parses the canonical words plus the Indonesian alias of `assigned`.
    pub fn parse_loose(s: &str) -> Option<Status> {
        match s {
            "didisposisikan" => Some(Status::Assigned),
            other => Status::parse(other),
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Selesai | Status::Ditolak)
    }
}

word_enum! {
    /// Markers an operator filters on (`flag=`).
    Flag {
        /// The point is near or on the boundary of another kelurahan: the assignment may be wrong.
        PerluKonfirmasi = "perlu_konfirmasi",
        /// The point is in no kelurahan (gap) or outside Jakarta.
        LokasiTidakJelas = "lokasi_tidak_jelas",
        /// lon/lat arrived swapped and were corrected.
        KoordinatTertukar = "koordinat_tertukar",
        /// No geotag: routed to the channel owner.
        TanpaGeotag = "tanpa_geotag",
        /// Reported GPS accuracy is worse than the boundary tolerance.
        AkurasiRendah = "akurasi_rendah",
    }
}

word_enum! {
    /// Why a unit hands a complaint to another (Pergub 39/2019 disposisi).
    ForwardReason {
        BukanKewenangan = "bukan_kewenangan",
        SalahLokasi = "salah_lokasi",
        LokasiTidakJelas = "lokasi_tidak_jelas",
    }
}

word_enum! {
    /// How routing at intake (or re-location) chose the unit; stored as `routing.reason`.
    RouteReason {
        /// Inside one kelurahan.
        DalamKelurahan = "dalam_kelurahan",
        /// Inside, but within the near-boundary distance of another kelurahan.
        DekatBatas = "dekat_batas",
        /// Inside two overlapping kelurahan polygons.
        TumpangTindih = "tumpang_tindih",
        /// In no kelurahan but within the gap tolerance of the nearest.
        CelahTerdekat = "celah_terdekat",
        /// Beyond the tolerance: the channel owner decides.
        LokasiTidakJelas = "lokasi_tidak_jelas",
        /// No geotag: the channel owner forwards by hand.
        PenanggungJawabKanal = "penanggung_jawab_kanal",
    }
}

word_enum! {
    /// Kinds of unit a complaint can be held by.
    UnitKind {
        Kelurahan = "kelurahan", Kanal = "kanal", Skpd = "skpd", Ukpd = "ukpd", Bumd = "bumd",
    }
}

/// A unit that can hold a complaint: a kelurahan (code from the atlas) or a seeded
/// SKPD/UKPD/BUMD/channel owner (id like `dinas-sda`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Unit {
    pub id: String,
    pub nama: String,
    pub jenis: UnitKind,
    /// Channels this unit owns (channel-owner queue), empty for others.
    #[serde(default)]
    pub kanal: Vec<Channel>,
    #[serde(default = "yes")]
    pub aktif: bool,
}

fn yes() -> bool {
    true
}

/// The unit list used for routing and validation: seeded units plus every kelurahan.
#[derive(Debug, Clone, Default)]
pub struct Units {
    pub seeded: Vec<Unit>,
}

impl Units {
    /// The unit whose queue receives complaints of `channel` that cannot be located.
    pub fn channel_owner(&self, channel: Channel) -> Option<&Unit> {
        self.seeded.iter().find(|u| u.aktif && u.kanal.contains(&channel))
    }

    pub fn find(&self, id: &str) -> Option<&Unit> {
        self.seeded.iter().find(|u| u.id == id)
    }

    /// The list after adding or replacing `unit`, refused when a channel would be left without
    /// an active owner: complaints of that channel without a usable location would have no queue.
    pub fn with(&self, unit: Unit) -> Result<Units, Channel> {
        let mut seeded: Vec<Unit> = self.seeded.iter().filter(|u| u.id != unit.id).cloned().collect();
        seeded.push(unit);
        let next = Units { seeded };
        match Channel::ALL.iter().find(|&&c| self.channel_owner(c).is_some() && next.channel_owner(c).is_none()) {
            Some(&orphan) => Err(orphan),
            None => Ok(next),
        }
    }
}

/// A unit id an admin may create: 1..64 of `[A-Za-z0-9_-]`, and not a kelurahan code (those
/// come from the atlas).
pub fn is_editable_unit_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') && !is_kelurahan_code(id)
}

/// Errors of a unit id: an unknown one is named in the 422.
pub fn is_kelurahan_code(id: &str) -> bool {
    crate::wilayah::AreaCode::parse(id).is_ok_and(|c| c.level() == crate::wilayah::Level::Kelurahan)
}

/// Parses the seeded unit list (`data/demo/units.csv`: id,nama,jenis,kanal with `;`-separated channels).
pub fn parse_units_csv(text: &str) -> Result<Vec<Unit>, String> {
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("line {line}: {e}"))?;
        let get = |n: usize| rec.get(n).unwrap_or("").to_string();
        let id = get(0);
        if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
            return Err(format!("line {line}: unit id {id:?} must be 1..64 of [A-Za-z0-9._-]"));
        }
        let jenis = UnitKind::parse(&get(2)).ok_or_else(|| format!("line {line}: jenis {:?} (one of {})", get(2), UnitKind::choices()))?;
        let kanal = get(3)
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Channel::parse(s).ok_or_else(|| format!("line {line}: unknown channel {s:?}")))
            .collect::<Result<Vec<_>, _>>()?;
        out.push(Unit { id, nama: get(1), jenis, kanal, aktif: true });
    }
    Ok(out)
}

/// Longest description accepted (characters). A longer one is a 413 naming `description`
/// (larger bodies hit the 1 MiB body limit first, also 413).
pub const MAX_DESCRIPTION: usize = 5000;
/// Longest reporter contact (phone or e-mail), the same for JSON intake and Open311.
pub const MAX_CONTACT: usize = 200;
/// Longest reason or note of a transition, and unit name.
pub const MAX_NOTE: usize = 2000;

/// Why a request was refused before anything was read from the store. `field` names the
/// request field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    /// Missing, blank, control characters or too long (422).
    #[error(transparent)]
    Text(#[from] crate::text::TextError),
    /// A description longer than [`MAX_DESCRIPTION`]: 413, as a body over the limit would be.
    #[error("description has more than {MAX_DESCRIPTION} characters")]
    DescriptionTooLong,
    /// Well-formed but not acceptable (422).
    #[error("{detail}")]
    Invalid { field: String, detail: String },
}

impl InputError {
    pub fn field(&self) -> &str {
        match self {
            InputError::Text(e) => e.field(),
            InputError::DescriptionTooLong => "description",
            InputError::Invalid { field, .. } => field,
        }
    }
}

/// A checked intake: trimmed, no control characters, within the lengths. Built by the JSON
/// intake, Open311 and the bulk import alike.
#[derive(Debug, Clone, PartialEq)]
pub struct Intake {
    pub channel: Channel,
    pub category: Category,
    pub description: String,
    pub reporter_contact: Option<String>,
    pub geotag: Option<Geotag>,
}

impl Intake {
    /// Checks and trims the free text; `contact_field` names the contact as the caller's
    /// request does (`reporter_contact`, Open311's `email` or `phone`).
    pub fn new(channel: Channel, category: Category, description: &str, contact: Option<(&str, &str)>, geotag: Option<Geotag>) -> Result<Intake, InputError> {
        if description.trim().chars().count() > MAX_DESCRIPTION {
            return Err(InputError::DescriptionTooLong);
        }
        let description = crate::text::required("description", description, MAX_DESCRIPTION)?.to_string();
        let reporter_contact = match contact {
            Some((field, c)) => crate::text::optional(field, Some(c), MAX_CONTACT)?.map(String::from),
            None => None,
        };
        Ok(Intake { channel, category, description, reporter_contact, geotag })
    }

    /// Re-checks an intake built elsewhere (the bulk import builds its rows itself).
    pub fn checked(&self) -> Result<Intake, InputError> {
        Intake::new(self.channel, self.category, &self.description, self.reporter_contact.as_deref().map(|c| ("reporter_contact", c)), self.geotag)
    }
}

/// Intake request. Without `location` the complaint goes to the channel owner's queue.
/// Unknown fields are refused (422 naming them), so a misspelt `reporter` is not silently dropped.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeRequest {
    pub channel: Channel,
    pub category: Category,
    /// At most 5000 characters (longer: 413); no control characters other than tab and line breaks.
    pub description: String,
    /// Phone or e-mail of the reporter (at most 200 characters); never shown publicly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter_contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Geotag>,
}

impl IntakeRequest {
    pub fn check(&self) -> Result<Intake, InputError> {
        Intake::new(self.channel, self.category, &self.description, self.reporter_contact.as_deref().map(|c| ("reporter_contact", c)), self.location)
    }
}

fn status_loose<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Status, D::Error> {
    let s = String::deserialize(d)?;
    Status::parse_loose(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown status {s:?} (one of: {}, didisposisikan)", Status::choices())))
}

/// Status change; `reason` is required for `ditolak`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    /// Target status (`didisposisikan` is accepted for `assigned`).
    #[serde(deserialize_with = "status_loose")]
    pub to: Status,
    /// At most 2000 characters.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Hand-over to another unit (a kelurahan code in the atlas or a seeded unit id).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardRequest {
    pub unit: String,
    pub reason: ForwardReason,
    /// At most 2000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// What a unit does to a complaint, checked: the one input of `ops::transition`.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Status { to: Status, reason: Option<String> },
    Forward { unit: String, reason: ForwardReason, note: Option<String> },
    Relocate(Geotag),
}

impl StatusRequest {
    pub fn check(&self) -> Result<Change, InputError> {
        Ok(Change::Status { to: self.to, reason: crate::text::optional("reason", self.reason.as_deref(), MAX_NOTE)?.map(String::from) })
    }
}

impl ForwardRequest {
    pub fn check(&self) -> Result<Change, InputError> {
        Ok(Change::Forward {
            unit: crate::text::required("unit", &self.unit, 64)?.to_string(),
            reason: self.reason,
            note: crate::text::optional("note", self.note.as_deref(), MAX_NOTE)?.map(String::from),
        })
    }
}

/// A unit added or edited by an admin.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitRequest {
    /// At most 200 characters.
    pub nama: String,
    pub jenis: UnitKind,
    /// Channels whose unlocated complaints this unit receives; default none.
    #[serde(default)]
    pub kanal: Option<Vec<Channel>>,
    /// Default true.
    #[serde(default)]
    pub aktif: Option<bool>,
}

impl UnitRequest {
    /// The unit `id` (from the path) as this request describes it.
    pub fn check(&self, id: &str) -> Result<Unit, InputError> {
        Ok(Unit {
            id: id.to_string(),
            nama: crate::text::required("nama", &self.nama, 200)?.to_string(),
            jenis: self.jenis,
            kanal: self.kanal.clone().unwrap_or_default(),
            aktif: self.aktif.unwrap_or(true),
        })
    }
}

/// The shipped unit list, compiled in so tests and `init` agree.
pub const SHIPPED_UNITS_CSV: &str = include_str!("../../data/demo/units.csv");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_unknown_words_name_the_choices() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(*c));
        }
        let e = serde_json::from_str::<Channel>("\"telegram\"").unwrap_err().to_string();
        assert!(e.contains("telegram") && e.contains("jaki"), "{e}");
        assert_eq!(Status::parse_loose("didisposisikan"), Some(Status::Assigned));
        assert_eq!(Status::parse_loose("done"), None);
    }

    #[test]
    fn shipped_units_parse_and_every_public_channel_has_an_owner() {
        let units = Units { seeded: parse_units_csv(SHIPPED_UNITS_CSV).unwrap() };
        for ch in [Channel::Jaki, Channel::Qlue, Channel::Web, Channel::Sms, Channel::Email, Channel::Social, Channel::Open311, Channel::Import] {
            assert!(units.channel_owner(ch).is_some(), "{ch} has no owner");
        }
        assert!(parse_units_csv("id,nama,jenis,kanal\nx y,Foo,skpd,\n").is_err());
        let units = Units { seeded: parse_units_csv(SHIPPED_UNITS_CSV).unwrap() };
        let owner = units.channel_owner(Channel::Sms).unwrap().clone();
        let retired = Unit { aktif: false, ..owner.clone() };
        assert_eq!(units.with(retired.clone()).unwrap_err(), Channel::Sms, "the only sms owner cannot retire");
        let successor = Unit { id: "pengganti".into(), nama: "Pengganti".into(), jenis: owner.jenis, kanal: vec![Channel::Sms, Channel::Email, Channel::Social], aktif: true };
        let next = units.with(successor).unwrap();
        assert_eq!(next.with(retired).unwrap().channel_owner(Channel::Sms).unwrap().id, "pengganti");
        assert!(parse_units_csv("id,nama,jenis,kanal\nx,Foo,dinas,\n").unwrap_err().contains("jenis"));
    }
}
