//! KSBB records as plain values and the checks every record passes before it is stored: the UMKM
//! target data (Lampiran I step 1, "pemutakhiran data target KSBB"), and the sites — lokasi
//! binaan (lokbin), lokasi sementara (loksem), lokasi promosi — that Citata manages (diktum
//! KESATU g). No SQL, no HTTP: `ops` and `http` call these.

use crate::text::{self, TextError};
use crate::wilayah::{check_lon_lat, project, to_metric, AreaCode, Atlas, Level, LocateError, Method};
use geo::{Contains, Distance, Intersects, Line, MultiPolygon, Point, Polygon};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest name, sector or code accepted.
pub const MAX_TEXT: usize = 200;
/// Largest site capacity (traders) accepted: the biggest lokbin hold a few hundred.
pub const MAX_KAPASITAS: i64 = 100_000;
/// Most vertices in a site footprint: a market hall outline, not a kelurahan.
pub const MAX_FOOTPRINT_VERTICES: usize = 2_000;

/// Why a KSBB record was refused; `field` names the request field (or CSV column) at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KsbbError {
    /// The value is malformed or out of range.
    #[error("{detail}")]
    Invalid { field: String, detail: String },
    /// The place is not on land in DKI Jakarta (or lon and lat look swapped); `reason` is
    /// `luar_jakarta`, `di_laut` or `koordinat_tertukar`.
    #[error("{detail}")]
    Place { field: String, reason: &'static str, detail: String },
    /// The record named does not exist (or is retired where an active one is needed).
    #[error("{detail}")]
    NotFound { field: String, detail: String },
    /// The record exists already (same kode, same legal-entity number).
    #[error("{detail}")]
    Duplicate { field: String, detail: String },
    /// An edit named a version that is no longer the current one: re-read and edit again.
    #[error("{detail}")]
    Stale { field: String, detail: String },
    /// An edit named no version at all (`If-Match` missing).
    #[error("{detail}")]
    PreconditionRequired { field: String, detail: String },
    /// An import with invalid rows, rejected whole; every row's verdict is in `rows`.
    #[error("{detail}")]
    Rows { detail: String, rows: Vec<RowReport> },
    /// The caller may not act on the record named (another collaborator's ID kolaborasi).
    #[error("{detail}")]
    Forbidden { field: String, detail: String },
}

impl KsbbError {
    pub fn invalid(field: &str, detail: impl Into<String>) -> KsbbError {
        KsbbError::Invalid { field: field.into(), detail: detail.into() }
    }

    pub fn not_found(field: &str, detail: impl Into<String>) -> KsbbError {
        KsbbError::NotFound { field: field.into(), detail: detail.into() }
    }

    pub fn field(&self) -> &str {
        match self {
            KsbbError::Invalid { field, .. }
            | KsbbError::Place { field, .. }
            | KsbbError::NotFound { field, .. }
            | KsbbError::Duplicate { field, .. }
            | KsbbError::Stale { field, .. }
            | KsbbError::PreconditionRequired { field, .. }
            | KsbbError::Forbidden { field, .. } => field,
            KsbbError::Rows { .. } => "rows",
        }
    }
}

impl From<TextError> for KsbbError {
    fn from(e: TextError) -> KsbbError {
        KsbbError::invalid(e.field(), e.to_string())
    }
}

/// Checks a free text with `crate::text` (trimmed, bounded, no control characters).
pub fn req_text(field: &str, s: &str) -> Result<String, KsbbError> {
    Ok(text::required(field, s, MAX_TEXT)?.to_string())
}

pub fn opt_text(field: &str, s: Option<&str>) -> Result<Option<String>, KsbbError> {
    Ok(text::optional(field, s, MAX_TEXT)?.map(String::from))
}

/// A record code (UMKM or site): letters, digits, `-`, `_`, `.`, `/`, at most 64 characters, so
/// it can sit in a URL path and a CSV cell unquoted.
pub fn parse_kode(field: &str, s: &str) -> Result<String, KsbbError> {
    let t = text::required(field, s, 64)?;
    if let Some(c) = t.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
        return Err(KsbbError::invalid(field, format!("{field} {t:?} has {c:?}; use letters, digits, '-', '_' and '.'")));
    }
    Ok(t.to_string())
}

/// The dinas that provided and verified an UMKM (diktum KESATU d and e).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Dinas {
    /// Perindustrian, Perdagangan, Koperasi, Usaha Kecil dan Menengah.
    Ppkukm,
    /// Ketahanan Pangan, Kelautan dan Pertanian.
    Kpkp,
    /// Pemberdayaan, Perlindungan Anak dan Pengendalian Penduduk.
    Ppapp,
    Sosial,
    /// Pariwisata dan Ekonomi Kreatif.
    Parekraf,
    Kebudayaan,
    /// Tenaga Kerja, Transmigrasi dan Energi.
    Nakertransgi,
}

impl Dinas {
    pub const ALL: [Dinas; 7] = [Dinas::Ppkukm, Dinas::Kpkp, Dinas::Ppapp, Dinas::Sosial, Dinas::Parekraf, Dinas::Kebudayaan, Dinas::Nakertransgi];

    pub fn as_str(self) -> &'static str {
        match self {
            Dinas::Ppkukm => "ppkukm",
            Dinas::Kpkp => "kpkp",
            Dinas::Ppapp => "ppapp",
            Dinas::Sosial => "sosial",
            Dinas::Parekraf => "parekraf",
            Dinas::Kebudayaan => "kebudayaan",
            Dinas::Nakertransgi => "nakertransgi",
        }
    }

    /// Case-insensitive; the common spellings of the seed ("PPKUKM", "Nakertrans") are accepted.
    pub fn parse(s: &str) -> Option<Dinas> {
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "nakertrans" | "nakertransenergi" => Some(Dinas::Nakertransgi),
            "parekra" => Some(Dinas::Parekraf),
            _ => Dinas::ALL.into_iter().find(|d| d.as_str() == t),
        }
    }
}

/// Status of the dinas's verification of an UMKM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusVerifikasi {
    Belum,
    Terverifikasi,
    Ditolak,
}

impl StatusVerifikasi {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusVerifikasi::Belum => "belum",
            StatusVerifikasi::Terverifikasi => "terverifikasi",
            StatusVerifikasi::Ditolak => "ditolak",
        }
    }

    pub fn parse(s: &str) -> Option<StatusVerifikasi> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "belum" | "belum_diverifikasi" => Some(StatusVerifikasi::Belum),
            "terverifikasi" | "verified" => Some(StatusVerifikasi::Terverifikasi),
            "ditolak" => Some(StatusVerifikasi::Ditolak),
            _ => None,
        }
    }
}

/// One UMKM as checked from an import row; `lokasi` is a site kode, resolved by `ops`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewUmkm {
    pub kode: String,
    pub nama_usaha: String,
    pub nama_pemilik: String,
    pub telepon: Option<String>,
    pub sektor: String,
    pub dinas: Dinas,
    pub status_verifikasi: StatusVerifikasi,
    pub kelurahan: Option<AreaCode>,
    pub lokasi: Option<String>,
}

/// The columns of an UMKM import (CSV header or the first XLSX row), in this order when written.
pub const UMKM_COLUMNS: [&str; 9] = ["kode", "nama_usaha", "nama_pemilik", "telepon", "sektor", "dinas", "status_verifikasi", "kelurahan", "lokasi"];
const UMKM_REQUIRED: [&str; 5] = ["kode", "nama_usaha", "nama_pemilik", "sektor", "dinas"];

/// The verdict on one import row (line numbers count the header as line 1).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RowReport {
    pub line: usize,
    pub kode: Option<String>,
    /// `created`, `updated`, `unchanged`, `valid` (dry run) or `error`.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl RowReport {
    pub fn error(line: usize, kode: Option<String>, e: &KsbbError) -> RowReport {
        RowReport { line, kode, outcome: "error".into(), field: Some(e.field().to_string()), detail: Some(e.to_string()) }
    }
}

/// Rows of a table (CSV or XLSX) as text cells, header first.
pub type Table = Vec<Vec<String>>;

/// Reads CSV text into a table (any column order; BOM tolerated).
pub fn csv_table(text: &str) -> Result<Table, KsbbError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| KsbbError::invalid("file", format!("line {}: not CSV: {e}", i + 1)))?;
        out.push(rec.iter().map(str::to_string).collect());
    }
    Ok(out)
}

/// Reads the first sheet of an XLSX workbook into a table (numbers as written, e.g. a phone
/// stored as a number keeps its digits; dates as their text).
pub fn xlsx_table(bytes: &[u8]) -> Result<Table, KsbbError> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| KsbbError::invalid("file", format!("not an XLSX workbook: {e}")))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| KsbbError::invalid("file", "the workbook has no sheet"))?
        .map_err(|e| KsbbError::invalid("file", format!("cannot read the first sheet: {e}")))?;
    Ok(range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    // A whole number typed into a cell (a phone, a code) comes back as a float.
                    Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect())
}

/// One parsed import row: its line, and the record or (the row's kode if readable, the error).
pub type ParsedRow = (usize, Result<NewUmkm, (Option<String>, KsbbError)>);

/// Checks every row of an UMKM table on its own (the atlas and the stored sites are `ops`'s
/// business): returns each row's checked record or its error, in file order, with line numbers.
/// A table without the required columns is refused whole, naming the first one missing.
pub fn parse_umkm_table(table: &Table) -> Result<Vec<ParsedRow>, KsbbError> {
    let header: Vec<String> = table.first().ok_or_else(|| KsbbError::invalid("file", "the file is empty; expected a header row"))?.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    if let Some(h) = header.iter().find(|h| !h.is_empty() && !UMKM_COLUMNS.contains(&h.as_str())) {
        return Err(KsbbError::invalid(h, format!("unknown column {h:?}; the columns are {}", UMKM_COLUMNS.join(","))));
    }
    if let Some(m) = UMKM_REQUIRED.iter().find(|c| !header.iter().any(|h| h == *c)) {
        return Err(KsbbError::invalid(m, format!("column {m} is missing; required: {}", UMKM_REQUIRED.join(","))));
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut out = Vec::new();
    for (i, row) in table.iter().enumerate().skip(1) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |name: &str| col(name).and_then(|j| row.get(j)).map(String::as_str).unwrap_or("");
        let kode = Some(cell("kode").trim().to_string()).filter(|k| !k.is_empty());
        out.push((i + 1, parse_umkm_row(&cell).map_err(|e| (kode, e))));
    }
    Ok(out)
}

fn parse_umkm_row<'a>(cell: &impl Fn(&str) -> &'a str) -> Result<NewUmkm, KsbbError> {
    let dinas_raw = cell("dinas");
    let dinas = Dinas::parse(dinas_raw).ok_or_else(|| {
        KsbbError::invalid("dinas", format!("dinas {dinas_raw:?} is not one of {}", Dinas::ALL.map(Dinas::as_str).join(", ")))
    })?;
    let st_raw = cell("status_verifikasi");
    let status_verifikasi = StatusVerifikasi::parse(st_raw)
        .ok_or_else(|| KsbbError::invalid("status_verifikasi", format!("status_verifikasi {st_raw:?} is not one of belum, terverifikasi, ditolak")))?;
    let kelurahan = match cell("kelurahan").trim() {
        "" => None,
        k => Some(parse_kelurahan("kelurahan", k)?),
    };
    let lokasi = match cell("lokasi").trim() {
        "" => None,
        l => Some(parse_kode("lokasi", l)?),
    };
    Ok(NewUmkm {
        kode: parse_kode("kode", cell("kode"))?,
        nama_usaha: req_text("nama_usaha", cell("nama_usaha"))?,
        nama_pemilik: req_text("nama_pemilik", cell("nama_pemilik"))?,
        telepon: opt_text("telepon", Some(cell("telepon")))?.map(|t| parse_phone("telepon", &t)).transpose()?,
        sektor: req_text("sektor", cell("sektor"))?,
        dinas,
        status_verifikasi,
        kelurahan,
        lokasi,
    })
}

/// A phone number: digits with an optional leading `+`, spaces and dashes dropped, 8–15 digits.
pub fn parse_phone(field: &str, s: &str) -> Result<String, KsbbError> {
    let t: String = s.trim().chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = t.strip_prefix('+').unwrap_or(&t);
    if !digits.chars().all(|c| c.is_ascii_digit()) || !(8..=15).contains(&digits.len()) {
        return Err(KsbbError::invalid(field, format!("{field} {s:?} is not a phone number (8–15 digits, optional leading +)")));
    }
    Ok(t)
}

/// Parses a kelurahan code, naming `field`.
pub fn parse_kelurahan(field: &str, s: &str) -> Result<AreaCode, KsbbError> {
    let code = AreaCode::parse(s.trim()).map_err(|e| KsbbError::invalid(field, e.to_string()))?;
    if code.level() != Level::Kelurahan {
        return Err(KsbbError::invalid(field, format!("{code} is a {}, not a kelurahan (e.g. 31.71.01.1001)", code.level())));
    }
    Ok(code)
}

/// A name as shown outside the audited read: the first letter of each word, the rest starred
/// ("Budi Santoso" → "B*** S***"), so a list shows someone is there without saying who.
pub fn mask_name(s: &str) -> String {
    s.split_whitespace().map(|w| w.chars().next().map(|c| format!("{c}***")).unwrap_or_default()).collect::<Vec<_>>().join(" ")
}

/// A phone as shown outside the audited read: the first four and last two digits
/// ("081234567890" → "0812******90").
pub fn mask_phone(s: &str) -> String {
    let n = s.chars().count();
    if n <= 6 {
        return "*".repeat(n);
    }
    s.chars().enumerate().map(|(i, c)| if i < 4 || i >= n - 2 { c } else { '*' }).collect()
}

// ---------------------------------------------------------------- sites

/// Kind of site (Lampiran I step 1: "Lokasi Sementara, Lokasi Binaan, dan Lokasi Promosi").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Jenis {
    /// Lokasi binaan: a permanent, managed PKL site.
    Lokbin,
    /// Lokasi sementara: a temporary PKL site.
    Loksem,
    /// Lokasi promosi.
    Promosi,
}

impl Jenis {
    pub fn as_str(self) -> &'static str {
        match self {
            Jenis::Lokbin => "lokbin",
            Jenis::Loksem => "loksem",
            Jenis::Promosi => "promosi",
        }
    }

    pub fn parse(s: &str) -> Option<Jenis> {
        match s {
            "lokbin" => Some(Jenis::Lokbin),
            "loksem" => Some(Jenis::Loksem),
            "promosi" => Some(Jenis::Promosi),
            _ => None,
        }
    }
}

/// Request body of `POST /api/v1/ksbb/sites` and `PUT /api/v1/ksbb/sites/{kode}` (the whole
/// site; a move is a PUT with new `lon`/`lat`). Numbers are signed so a negative capacity gets a
/// clear error naming the field.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    /// Site code, e.g. `LOKBIN-3171-001` (create only; a PUT takes it from the path).
    #[serde(default)]
    pub kode: Option<String>,
    pub nama: String,
    pub jenis: Jenis,
    /// WGS84 longitude of the site's entrance or centre.
    pub lon: f64,
    pub lat: f64,
    /// Optional outline: a GeoJSON Polygon or MultiPolygon (lon/lat) that contains the point.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub footprint: Option<serde_json::Value>,
    /// Number of traders the site holds.
    pub kapasitas: i64,
    /// Penanggung jawab lokasi: the contact a collaborator gets with an ID kolaborasi.
    #[serde(default)]
    pub pj_nama: Option<String>,
    #[serde(default)]
    pub pj_telepon: Option<String>,
    /// Where the data comes from (dataset and licence), or why it is generated.
    #[serde(default)]
    pub sumber: Option<String>,
}

/// A site checked on its own (the place is checked against the atlas by [`place`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewSite {
    pub nama: String,
    pub jenis: Jenis,
    pub lon: f64,
    pub lat: f64,
    pub footprint: Option<MultiPolygon<f64>>,
    pub kapasitas: i64,
    pub pj_nama: Option<String>,
    pub pj_telepon: Option<String>,
    pub sumber: Option<String>,
}

impl SiteInput {
    pub fn check(&self) -> Result<NewSite, KsbbError> {
        if !(0..=MAX_KAPASITAS).contains(&self.kapasitas) {
            return Err(KsbbError::invalid("kapasitas", format!("kapasitas is {}; it must be 0..{MAX_KAPASITAS} traders", self.kapasitas)));
        }
        let footprint = self.footprint.as_ref().map(read_footprint).transpose()?;
        Ok(NewSite {
            nama: req_text("nama", &self.nama)?,
            jenis: self.jenis,
            lon: self.lon,
            lat: self.lat,
            footprint,
            kapasitas: self.kapasitas,
            pj_nama: opt_text("pj_nama", self.pj_nama.as_deref())?,
            pj_telepon: opt_text("pj_telepon", self.pj_telepon.as_deref())?.map(|t| parse_phone("pj_telepon", &t)).transpose()?,
            sumber: opt_text("sumber", self.sumber.as_deref())?,
        })
    }
}

/// Reads a footprint: a GeoJSON Polygon or MultiPolygon with finite coordinates and closed rings.
pub fn read_footprint(v: &serde_json::Value) -> Result<MultiPolygon<f64>, KsbbError> {
    let bad = |d: String| KsbbError::invalid("footprint", d);
    let g: geojson::Geometry = serde_json::from_value(v.clone()).map_err(|e| bad(format!("footprint is not a GeoJSON geometry: {e}")))?;
    let mp: MultiPolygon<f64> = match geo::Geometry::<f64>::try_from(g).map_err(|e| bad(format!("footprint: {e}")))? {
        geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
        geo::Geometry::MultiPolygon(m) => m,
        _ => return Err(bad("footprint must be a Polygon or MultiPolygon".into())),
    };
    let n: usize = mp.0.iter().map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>()).sum();
    if n > MAX_FOOTPRINT_VERTICES {
        return Err(bad(format!("footprint has {n} vertices; at most {MAX_FOOTPRINT_VERTICES}")));
    }
    for p in &mp.0 {
        let ring = p.exterior();
        if ring.0.len() < 4 {
            return Err(bad("footprint ring has fewer than 4 positions".into()));
        }
        if ring.0.iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
            return Err(bad("footprint has a coordinate that is not a finite number".into()));
        }
        if ring.0.first() != ring.0.last() {
            return Err(bad("footprint ring is not closed (first and last positions differ)".into()));
        }
    }
    Ok(mp)
}

/// Where a site is: its kelurahan, found in the atlas.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub kelurahan: AreaCode,
}

/// Checks that a site (point and footprint) lies on land in DKI Jakarta, held to the precise
/// province outline (the union of the loaded kota, as boundary edits are: `Atlas::province`),
/// not a bounding box, and finds its kelurahan. Refusals name the field and the reason:
/// `koordinat_tertukar` (as given it is outside, swapped it is inside), `di_laut` (outside the
/// outline, north of the mainland's coast or among the Kepulauan Seribu) or `luar_jakarta`.
pub fn place(atlas: &Atlas, site: &NewSite) -> Result<Placement, KsbbError> {
    let (lon, lat) = (site.lon, site.lat);
    let province = atlas.province().ok_or_else(|| KsbbError::invalid("lon", "no kota boundaries are loaded; run `sigap init` first"))?;
    let inside = |lon: f64, lat: f64| check_lon_lat(lon, lat).is_ok() && {
        let c = to_metric(lon, lat);
        province.distance([c.x, c.y]) == 0.0
    };
    if !inside(lon, lat) && inside(lat, lon) {
        return Err(KsbbError::Place {
            field: "lon".into(),
            reason: "koordinat_tertukar",
            detail: format!("lon {lon}, lat {lat} is outside DKI Jakarta but inside when swapped: send lon (≈106.8) and lat (≈−6.2) in GeoJSON order"),
        });
    }
    check_lon_lat(lon, lat).map_err(|e: LocateError| KsbbError::invalid(e.field().unwrap_or("lon"), e.to_string()))?;
    let c = to_metric(lon, lat);
    let out_m = province.distance([c.x, c.y]);
    if out_m > 0.0 {
        let (reason, where_) = if at_sea(atlas, lon, lat) { ("di_laut", "in the sea") } else { ("luar_jakarta", "outside DKI Jakarta") };
        return Err(KsbbError::Place { field: "lon".into(), reason, detail: format!("lon {lon}, lat {lat} lies {where_}, {out_m:.0} m from the province outline; a site must be on land in DKI Jakarta") });
    }
    let loc = atlas.locate(lon, lat).map_err(|e| KsbbError::invalid(e.field().unwrap_or("lon"), e.to_string()))?;
    let kelurahan = match (&loc.method, &loc.kelurahan) {
        (Method::Inside | Method::Overlap | Method::Gap, Some(k)) => AreaCode::parse(&k.kode).map_err(|e| KsbbError::invalid("lon", e.to_string()))?,
        _ => return Err(KsbbError::Place { field: "lon".into(), reason: "luar_jakarta", detail: format!("lon {lon}, lat {lat} is in no kelurahan") }),
    };
    if let Some(fp) = &site.footprint {
        if !fp.contains(&Point::new(lon, lat)) {
            return Err(KsbbError::invalid("footprint", "the footprint does not contain the site's point (lon, lat)"));
        }
        let reach = province.reach(&project(fp));
        if reach > 0.0 {
            let reason = if fp.0.iter().flat_map(|p| p.exterior().0.iter()).any(|c| at_sea(atlas, c.x, c.y)) { "di_laut" } else { "luar_jakarta" };
            return Err(KsbbError::Place { field: "footprint".into(), reason, detail: format!("the footprint reaches {reach:.0} m outside DKI Jakarta ({reason})") });
        }
    }
    Ok(Placement { kelurahan })
}

/// A point outside the province is taken to be at sea when a line due south from it (60 km)
/// meets a mainland kota — the Java Sea lies north of Jakarta, Tangerang, Depok and Bekasi to
/// its west, south and east — or when its nearest kota is Kepulauan Seribu. A heuristic over
/// the atlas (no coastline layer is shipped): it only chooses the words of the refusal.
fn at_sea(atlas: &Atlas, lon: f64, lat: f64) -> bool {
    let from = to_metric(lon, lat);
    let south = Line::new(from, geo::Coord { x: from.x, y: from.y - 60_000.0 });
    let p = Point::from(from);
    let mut nearest: Option<(f64, bool)> = None;
    for k in atlas.list(Level::Kota, None) {
        let Some(m) = atlas.metric(&k.code) else { continue };
        let seribu = k.code.as_str() == "31.01";
        if !seribu && m.intersects(&south) {
            return true;
        }
        let d = geo::Euclidean.distance(&p, m);
        if nearest.is_none_or(|(best, _)| d < best) {
            nearest = Some((d, seribu));
        }
    }
    nearest.is_some_and(|(_, seribu)| seribu)
}

/// A footprint as GeoJSON for storage and answers.
pub fn footprint_json(fp: &MultiPolygon<f64>) -> serde_json::Value {
    let g = if fp.0.len() == 1 { geojson::Geometry::from(&Polygon::clone(&fp.0[0])) } else { geojson::Geometry::from(fp) };
    serde_json::to_value(g).unwrap_or(serde_json::Value::Null)
}

/// Parses an `If-Match` value: `"3"`, `W/"3"` or a bare `3` (the site version it read).
pub fn parse_if_match(v: Option<&str>) -> Result<i64, KsbbError> {
    let v = v.map(str::trim).filter(|v| !v.is_empty()).ok_or_else(|| KsbbError::PreconditionRequired {
        field: "If-Match".into(),
        detail: "an edit needs If-Match with the ETag (version) of the site it read: GET it first".into(),
    })?;
    let t = v.strip_prefix("W/").unwrap_or(v).trim_matches('"');
    t.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| KsbbError::invalid("If-Match", format!("If-Match {v:?} is not a site ETag (\"<version>\")")))
}

// ---------------------------------------------------------------- collaborators

/// Kind of collaborator (Lampiran I step 5; Lampiran II).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JenisKolaborator {
    /// Gives goods, training or funds; may distribute itself or through an agregator.
    Donatur,
    /// Pengelola dana / agregator: a licensed legal entity that manages donated funds.
    Agregator,
    /// A fintech lender licensed or registered with OJK (capital loans).
    Fintech,
}

impl JenisKolaborator {
    pub fn as_str(self) -> &'static str {
        match self {
            JenisKolaborator::Donatur => "donatur",
            JenisKolaborator::Agregator => "agregator",
            JenisKolaborator::Fintech => "fintech",
        }
    }
}

/// Request body of `POST /api/v1/ksbb/kolaborator` (the application to Bidang Kolaborasi).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KolaboratorInput {
    pub jenis: JenisKolaborator,
    /// Name of the organisation (or the person, for an individual donatur).
    pub nama: String,
    /// Legal form: PT, Yayasan, Perkumpulan, CV, Koperasi … (required for agregator and fintech).
    #[serde(default)]
    pub badan_hukum: Option<String>,
    /// Legal-entity number (NIB or the AHU decree number); unique across collaborators.
    #[serde(default)]
    pub nomor_badan_hukum: Option<String>,
    /// Licence number (izin) of a fund manager; required for agregator ("berbadan hukum, berizin").
    #[serde(default)]
    pub nomor_izin: Option<String>,
    /// OJK licence or registration number; required for fintech ("sesuai ketentuan OJK").
    #[serde(default)]
    pub nomor_ojk: Option<String>,
    /// Contact person (personal data: masked in answers).
    pub kontak_nama: String,
    #[serde(default)]
    pub kontak_telepon: Option<String>,
    #[serde(default)]
    pub kontak_email: Option<String>,
    /// Agrees to be shown by name on the public KSBB page.
    #[serde(default)]
    pub tampil_publik: bool,
}

/// A checked application.
#[derive(Debug, Clone, PartialEq)]
pub struct NewKolaborator {
    pub jenis: JenisKolaborator,
    pub nama: String,
    pub badan_hukum: Option<String>,
    pub nomor_badan_hukum: Option<String>,
    pub nomor_izin: Option<String>,
    pub nomor_ojk: Option<String>,
    pub kontak_nama: String,
    pub kontak_telepon: Option<String>,
    pub kontak_email: Option<String>,
    pub tampil_publik: bool,
}

/// A registration number (legal entity, izin, OJK, PKS): letters, digits and `-./ `, 3–64
/// characters, compared without case and surrounding space.
pub fn parse_nomor(field: &str, s: &str) -> Result<String, KsbbError> {
    let t = text::required(field, s, 64)?;
    if t.chars().count() < 3 || t.chars().any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '/' | ' '))) {
        return Err(KsbbError::invalid(field, format!("{field} {t:?} is not a registration number (3–64 letters, digits, '-', '.', '/')")));
    }
    Ok(t.to_ascii_uppercase())
}

impl KolaboratorInput {
    /// The seed's requirements: agregator — badan hukum and izin; fintech — badan hukum and the
    /// OJK number; donatur — none (an individual may give), but a given number is checked.
    pub fn check(&self) -> Result<NewKolaborator, KsbbError> {
        let nomor = |f: &str, v: &Option<String>| -> Result<Option<String>, KsbbError> {
            opt_text(f, v.as_deref())?.map(|t| parse_nomor(f, &t)).transpose()
        };
        let k = NewKolaborator {
            jenis: self.jenis,
            nama: req_text("nama", &self.nama)?,
            badan_hukum: opt_text("badan_hukum", self.badan_hukum.as_deref())?,
            nomor_badan_hukum: nomor("nomor_badan_hukum", &self.nomor_badan_hukum)?,
            nomor_izin: nomor("nomor_izin", &self.nomor_izin)?,
            nomor_ojk: nomor("nomor_ojk", &self.nomor_ojk)?,
            kontak_nama: req_text("kontak_nama", &self.kontak_nama)?,
            kontak_telepon: opt_text("kontak_telepon", self.kontak_telepon.as_deref())?.map(|t| parse_phone("kontak_telepon", &t)).transpose()?,
            kontak_email: opt_text("kontak_email", self.kontak_email.as_deref())?.map(|e| parse_email("kontak_email", &e)).transpose()?,
            tampil_publik: self.tampil_publik,
        };
        let need = |field: &str, v: &Option<String>, why: &str| match v {
            Some(_) => Ok(()),
            None => Err(KsbbError::invalid(field, format!("{field} is required for a {}: {why}", self.jenis.as_str()))),
        };
        match self.jenis {
            JenisKolaborator::Agregator => {
                need("badan_hukum", &k.badan_hukum, "a pengelola dana must be a legal entity (berbadan hukum)")?;
                need("nomor_badan_hukum", &k.nomor_badan_hukum, "a pengelola dana must be a legal entity (berbadan hukum)")?;
                need("nomor_izin", &k.nomor_izin, "a pengelola dana must be licensed (berizin)")?;
            }
            JenisKolaborator::Fintech => {
                need("badan_hukum", &k.badan_hukum, "a fintech lender is a legal entity")?;
                need("nomor_badan_hukum", &k.nomor_badan_hukum, "a fintech lender is a legal entity")?;
                need("nomor_ojk", &k.nomor_ojk, "a fintech lender must be licensed or registered with OJK")?;
            }
            JenisKolaborator::Donatur => {}
        }
        if k.kontak_telepon.is_none() && k.kontak_email.is_none() {
            return Err(KsbbError::invalid("kontak_telepon", "give kontak_telepon or kontak_email: Bidang Kolaborasi must be able to reach the contact"));
        }
        Ok(k)
    }
}

/// An e-mail address, checked loosely (one `@`, a dot in the domain, no spaces).
pub fn parse_email(field: &str, s: &str) -> Result<String, KsbbError> {
    let t = s.trim();
    let ok = t.split_once('@').is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !d.contains('@'))
        && !t.contains(char::is_whitespace);
    if !ok {
        return Err(KsbbError::invalid(field, format!("{field} {t:?} is not an e-mail address")));
    }
    Ok(t.to_string())
}

/// An e-mail as shown outside the reviewer's read ("budi@example.org" → "b***@example.org").
pub fn mask_email(s: &str) -> String {
    match s.split_once('@') {
        Some((a, d)) => format!("{}***@{d}", a.chars().next().unwrap_or('*')),
        None => "***".into(),
    }
}

/// Decision of Bidang Kolaborasi on an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Keputusan {
    Setujui,
    Tolak,
}

/// The PKS (Perjanjian Kerja Sama) an approval records.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PksInput {
    /// PKS number as signed, e.g. `PKS/001/KSBB/2026`.
    pub nomor: String,
    /// First day in force, YYYY-MM-DD.
    pub tanggal_mulai: String,
    /// Last day in force, YYYY-MM-DD.
    pub tanggal_selesai: String,
}

/// Request body of `POST /api/v1/ksbb/kolaborator/{id}/review`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub keputusan: Keputusan,
    /// Required with `setujui`.
    #[serde(default)]
    pub pks: Option<PksInput>,
    /// Required with `tolak`: why the application does not meet the requirements.
    #[serde(default)]
    pub alasan: Option<String>,
}

/// A checked decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Review {
    Setujui { nomor: String, mulai: chrono::NaiveDate, selesai: chrono::NaiveDate },
    Tolak { alasan: String },
}

fn parse_day(field: &str, s: &str) -> Result<chrono::NaiveDate, KsbbError> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| KsbbError::invalid(field, format!("{field} {s:?} is not a date (YYYY-MM-DD)")))
}

impl ReviewInput {
    pub fn check(&self) -> Result<Review, KsbbError> {
        match self.keputusan {
            Keputusan::Setujui => {
                if self.alasan.is_some() {
                    return Err(KsbbError::invalid("alasan", "alasan is for a rejection; an approval records its PKS"));
                }
                let p = self.pks.as_ref().ok_or_else(|| KsbbError::invalid("pks", "an approval needs the PKS: {nomor, tanggal_mulai, tanggal_selesai}"))?;
                let mulai = parse_day("pks.tanggal_mulai", &p.tanggal_mulai)?;
                let selesai = parse_day("pks.tanggal_selesai", &p.tanggal_selesai)?;
                if selesai < mulai {
                    return Err(KsbbError::invalid("pks.tanggal_selesai", format!("pks.tanggal_selesai {selesai} is before pks.tanggal_mulai {mulai}")));
                }
                Ok(Review::Setujui { nomor: parse_nomor("pks.nomor", &p.nomor)?, mulai, selesai })
            }
            Keputusan::Tolak => {
                if self.pks.is_some() {
                    return Err(KsbbError::invalid("pks", "a rejection has no PKS"));
                }
                let alasan = text::required("alasan", self.alasan.as_deref().unwrap_or(""), 2000)?;
                Ok(Review::Tolak { alasan: alasan.to_string() })
            }
        }
    }
}

// ---------------------------------------------------------------- Konfirmasi

/// Bentuk bantuan of a Konfirmasi (Lampiran II): goods (sarana prasarana), training, or a capital loan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Bentuk {
    Sarana,
    Pelatihan,
    Pinjaman,
}

impl Bentuk {
    pub fn as_str(self) -> &'static str {
        match self {
            Bentuk::Sarana => "sarana",
            Bentuk::Pelatihan => "pelatihan",
            Bentuk::Pinjaman => "pinjaman",
        }
    }
}

/// This year in Jakarta (UTC+7): the year of a new ID kolaborasi.
pub fn jakarta_year() -> i32 {
    use chrono::Datelike;
    (chrono::Utc::now() + chrono::Duration::hours(7)).year()
}

/// Most sites one Konfirmasi names.
pub const MAX_LOKASI: usize = 50;
/// Largest rupiah amount accepted (Rp 1 trillion).
pub const MAX_RUPIAH: i64 = 1_000_000_000_000;

/// Request body of `POST /api/v1/ksbb/konfirmasi`: the Formulir Konfirmasi's minimum contents.
/// Goods and training: `uraian` (the bentuk bantuan), `nilai_per_paket`, `jumlah_paket`, the
/// schedule, the distributor (`penyalur_kolaborator_id`: an approved agregator; absent = the
/// collaborator distributes itself, "penyaluran secara mandiri"). Capital loans (fintech):
/// `jumlah_pinjaman`, the fees (administrasi, originasi, asuransi), `jadwal_akad` and the draft
/// e-contract reference.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KonfirmasiInput {
    pub bentuk: Bentuk,
    pub uraian: String,
    /// Site codes (lokbin, loksem, promosi), at least one.
    pub lokasi: Vec<String>,
    pub jadwal_mulai: String,
    pub jadwal_selesai: String,
    #[serde(default)]
    pub nilai_per_paket: Option<i64>,
    #[serde(default)]
    pub jumlah_paket: Option<i64>,
    #[serde(default)]
    pub penyalur_kolaborator_id: Option<i64>,
    #[serde(default)]
    pub jumlah_pinjaman: Option<i64>,
    #[serde(default)]
    pub biaya_admin: Option<i64>,
    #[serde(default)]
    pub biaya_originasi: Option<i64>,
    #[serde(default)]
    pub biaya_asuransi: Option<i64>,
    #[serde(default)]
    pub jadwal_akad: Option<String>,
    /// Reference of the draft e-contract (document number or URL in the fintech's platform).
    #[serde(default)]
    pub draf_econtract: Option<String>,
    /// Loans only: the UMKM that passed the fintech's screening and the plafon of each (Lampiran I
    /// steps 20–21, Lampiran II fintech step 4 "menentukan penerima pinjaman modal"). The
    /// confirmed list a disbursement is held to; together at most `jumlah_pinjaman`.
    #[serde(default)]
    pub penerima: Vec<PenerimaInput>,
}

/// One loan recipient named in a Konfirmasi.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PenerimaInput {
    /// UMKM code from the target data.
    pub kode: String,
    /// Loan ceiling for this UMKM, rupiah.
    pub plafon: i64,
}

/// Most loan recipients one Konfirmasi names.
pub const MAX_PENERIMA: usize = 5_000;

/// A checked Konfirmasi (sites and collaborators are checked by `ops`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewKonfirmasi {
    pub bentuk: Bentuk,
    pub uraian: String,
    pub lokasi: Vec<String>,
    pub jadwal_mulai: chrono::NaiveDate,
    pub jadwal_selesai: chrono::NaiveDate,
    pub nilai_per_paket: Option<i64>,
    pub jumlah_paket: Option<i64>,
    pub penyalur_kolaborator_id: Option<i64>,
    pub jumlah_pinjaman: Option<i64>,
    pub biaya_admin: Option<i64>,
    pub biaya_originasi: Option<i64>,
    pub biaya_asuransi: Option<i64>,
    pub jadwal_akad: Option<chrono::NaiveDate>,
    pub draf_econtract: Option<String>,
    /// Loan recipients: (UMKM code, plafon).
    pub penerima: Vec<(String, i64)>,
}

fn rupiah(field: &str, v: Option<i64>, min: i64) -> Result<Option<i64>, KsbbError> {
    match v {
        Some(n) if n < min || n > MAX_RUPIAH => Err(KsbbError::invalid(field, format!("{field} is {n}; it must be {min}..{MAX_RUPIAH}"))),
        other => Ok(other),
    }
}

impl KonfirmasiInput {
    pub fn check(&self) -> Result<NewKonfirmasi, KsbbError> {
        if self.lokasi.is_empty() || self.lokasi.len() > MAX_LOKASI {
            return Err(KsbbError::invalid("lokasi", format!("lokasi names 1..{MAX_LOKASI} sites, not {}", self.lokasi.len())));
        }
        let mut lokasi: Vec<String> = Vec::new();
        for (i, l) in self.lokasi.iter().enumerate() {
            let k = parse_kode(&format!("lokasi[{i}]"), l)?;
            if lokasi.contains(&k) {
                return Err(KsbbError::invalid(&format!("lokasi[{i}]"), format!("site {k} is named twice")));
            }
            lokasi.push(k);
        }
        let jadwal_mulai = parse_day("jadwal_mulai", &self.jadwal_mulai)?;
        let jadwal_selesai = parse_day("jadwal_selesai", &self.jadwal_selesai)?;
        if jadwal_selesai < jadwal_mulai {
            return Err(KsbbError::invalid("jadwal_selesai", format!("jadwal_selesai {jadwal_selesai} is before jadwal_mulai {jadwal_mulai}")));
        }
        let k = NewKonfirmasi {
            bentuk: self.bentuk,
            uraian: req_text("uraian", &self.uraian)?,
            lokasi,
            jadwal_mulai,
            jadwal_selesai,
            nilai_per_paket: rupiah("nilai_per_paket", self.nilai_per_paket, 1)?,
            jumlah_paket: match self.jumlah_paket {
                Some(n) if !(1..=10_000_000).contains(&n) => return Err(KsbbError::invalid("jumlah_paket", format!("jumlah_paket is {n}; it must be 1..10000000"))),
                other => other,
            },
            penyalur_kolaborator_id: self.penyalur_kolaborator_id,
            jumlah_pinjaman: rupiah("jumlah_pinjaman", self.jumlah_pinjaman, 1)?,
            biaya_admin: rupiah("biaya_admin", self.biaya_admin, 0)?,
            biaya_originasi: rupiah("biaya_originasi", self.biaya_originasi, 0)?,
            biaya_asuransi: rupiah("biaya_asuransi", self.biaya_asuransi, 0)?,
            jadwal_akad: self.jadwal_akad.as_deref().map(|d| parse_day("jadwal_akad", d)).transpose()?,
            draf_econtract: opt_text("draf_econtract", self.draf_econtract.as_deref())?,
            penerima: self.penerima(self.jumlah_pinjaman)?,
        };
        let absent = |field: &str, present: bool| if present { Err(KsbbError::invalid(field, format!("{field} belongs to a {} Konfirmasi, not {}", if field.starts_with("nilai") || field == "jumlah_paket" || field == "penyalur_kolaborator_id" { "sarana or pelatihan" } else { "pinjaman" }, self.bentuk.as_str()))) } else { Ok(()) };
        let need = |field: &str, present: bool| if present { Ok(()) } else { Err(KsbbError::invalid(field, format!("{field} is required in a {} Konfirmasi", self.bentuk.as_str()))) };
        match self.bentuk {
            Bentuk::Sarana | Bentuk::Pelatihan => {
                need("nilai_per_paket", k.nilai_per_paket.is_some())?;
                need("jumlah_paket", k.jumlah_paket.is_some())?;
                for (f, p) in [("jumlah_pinjaman", k.jumlah_pinjaman.is_some()), ("biaya_admin", k.biaya_admin.is_some()), ("biaya_originasi", k.biaya_originasi.is_some()),
                    ("biaya_asuransi", k.biaya_asuransi.is_some()), ("jadwal_akad", k.jadwal_akad.is_some()), ("draf_econtract", k.draf_econtract.is_some()),
                    ("penerima", !k.penerima.is_empty())] {
                    absent(f, p)?;
                }
            }
            Bentuk::Pinjaman => {
                need("jumlah_pinjaman", k.jumlah_pinjaman.is_some())?;
                need("jadwal_akad", k.jadwal_akad.is_some())?;
                need("draf_econtract", k.draf_econtract.is_some())?;
                need("penerima", !k.penerima.is_empty())?;
                for (f, p) in [("nilai_per_paket", k.nilai_per_paket.is_some()), ("jumlah_paket", k.jumlah_paket.is_some()), ("penyalur_kolaborator_id", k.penyalur_kolaborator_id.is_some())] {
                    absent(f, p)?;
                }
                let amount = k.jumlah_pinjaman.unwrap_or(0);
                let fees = k.biaya_admin.unwrap_or(0) + k.biaya_originasi.unwrap_or(0) + k.biaya_asuransi.unwrap_or(0);
                if fees >= amount {
                    return Err(KsbbError::invalid("biaya_admin", format!("the fees (administrasi + originasi + asuransi = {fees}) are not below jumlah_pinjaman {amount}")));
                }
            }
        }
        Ok(k)
    }
}

impl KonfirmasiInput {
    /// The loan recipients checked: codes well-formed and named once, each plafon 1..MAX_RUPIAH,
    /// together at most the loan amount (a fintech cannot promise more than it lends).
    fn penerima(&self, jumlah_pinjaman: Option<i64>) -> Result<Vec<(String, i64)>, KsbbError> {
        if self.penerima.len() > MAX_PENERIMA {
            return Err(KsbbError::invalid("penerima", format!("penerima names at most {MAX_PENERIMA} UMKM, not {}", self.penerima.len())));
        }
        let mut out: Vec<(String, i64)> = Vec::with_capacity(self.penerima.len());
        let mut total: i64 = 0;
        for (i, p) in self.penerima.iter().enumerate() {
            let kode = parse_kode(&format!("penerima[{i}].kode"), &p.kode)?;
            if out.iter().any(|(k, _)| *k == kode) {
                return Err(KsbbError::invalid(&format!("penerima[{i}].kode"), format!("UMKM {kode} is named twice")));
            }
            let plafon = rupiah(&format!("penerima[{i}].plafon"), Some(p.plafon), 1)?.unwrap_or(0);
            total = total.saturating_add(plafon);
            out.push((kode, plafon));
        }
        if let Some(j) = jumlah_pinjaman {
            if total > j {
                return Err(KsbbError::invalid("penerima", format!("the plafon of the recipients add up to {total}, more than jumlah_pinjaman {j}")));
            }
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------- Realisasi

/// Kind of a Realisasi report (see `migrations/*/1003_ksbb_realisasi.sql`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JenisRealisasi {
    /// BAST / BA of goods handed over or training held (Lampiran II donatur step 4); per UMKM the
    /// packages received (goods) or participants (training).
    Bast,
    /// A fintech's loan disbursement (Lampiran II fintech step 8): invoice number, e-contract; per
    /// UMKM the rupiah paid out.
    Disbursement,
    /// A periodic repayment report (Lampiran I step 25): per UMKM what was repaid in the period and
    /// whether it is lancar, terlambat or gagal_bayar (late and default need the reason).
    Angsuran,
    /// The final transfer of the donated funds to a licensed agregator after repayment (Lampiran I
    /// step 26, "bukti serah terima dana").
    SerahDana,
}

impl JenisRealisasi {
    pub fn as_str(self) -> &'static str {
        match self {
            JenisRealisasi::Bast => "bast",
            JenisRealisasi::Disbursement => "disbursement",
            JenisRealisasi::Angsuran => "angsuran",
            JenisRealisasi::SerahDana => "serah_dana",
        }
    }

    pub fn parse(s: &str) -> Option<JenisRealisasi> {
        [JenisRealisasi::Bast, JenisRealisasi::Disbursement, JenisRealisasi::Angsuran, JenisRealisasi::SerahDana].into_iter().find(|j| j.as_str() == s)
    }
}

/// The documents a report of each kind must carry, in the seed's words: a BAST "sekurang-kurangnya
/// memuat BAST / BA … Dokumentasi (foto …)"; a disbursement "e-contract, bukti disbursement
/// (invoice)"; a repayment report "invoice pengembalian dana"; the final transfer "bukti serah
/// terima dana".
pub fn required_lampiran(j: JenisRealisasi) -> &'static [JenisLampiran] {
    match j {
        JenisRealisasi::Bast => &[JenisLampiran::Bast, JenisLampiran::Foto],
        JenisRealisasi::Disbursement => &[JenisLampiran::Econtract, JenisLampiran::Invoice],
        JenisRealisasi::Angsuran => &[JenisLampiran::Invoice],
        JenisRealisasi::SerahDana => &[JenisLampiran::BuktiSerahTerima],
    }
}

/// Repayment state of one UMKM in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusAngsuran {
    Lancar,
    Terlambat,
    GagalBayar,
}

impl StatusAngsuran {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusAngsuran::Lancar => "lancar",
            StatusAngsuran::Terlambat => "terlambat",
            StatusAngsuran::GagalBayar => "gagal_bayar",
        }
    }
}

/// One UMKM line of a Realisasi.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RealisasiUmkmInput {
    /// UMKM code.
    pub kode: String,
    /// bast: packages (goods) or participants (training), ≥ 1; disbursement: rupiah paid out, ≥ 1;
    /// angsuran: rupiah repaid in the period, ≥ 0.
    pub jumlah: i64,
    /// angsuran only.
    #[serde(default)]
    pub status: Option<StatusAngsuran>,
    /// angsuran: required when terlambat or gagal_bayar ("laporan jika terdapat kendala/gagal bayar").
    #[serde(default)]
    pub alasan: Option<String>,
}

/// Request body of `POST /api/v1/ksbb/realisasi`: the Formulir Realisasi's contents. The
/// documents and photos it names (BAST scan, photos, e-contract, invoices, bukti serah terima)
/// are uploaded to `POST /api/v1/ksbb/realisasi/{id}/lampiran` after it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RealisasiInput {
    /// The ID kolaborasi (`KSBB-YYYY-NNNNNN`) this report is for: the caller's own, or one it distributes for.
    pub id_kolaborasi: String,
    pub jenis: JenisRealisasi,
    /// Number of the BAST / BA, the disbursement or repayment invoice, or the bukti serah terima.
    pub nomor_dokumen: String,
    /// Date of the handover, disbursement, report or transfer (YYYY-MM-DD).
    pub tanggal: String,
    #[serde(default)]
    pub keterangan: Option<String>,
    /// The UMKM lines (all kinds but serah_dana).
    #[serde(default)]
    pub umkm: Vec<RealisasiUmkmInput>,
    /// disbursement: the signed e-contract's reference.
    #[serde(default)]
    pub econtract: Option<String>,
    /// angsuran: the period reported, YYYY-MM.
    #[serde(default)]
    pub periode: Option<String>,
    /// serah_dana: the approved agregator receiving the funds.
    #[serde(default)]
    pub agregator_id: Option<i64>,
    /// serah_dana: rupiah transferred.
    #[serde(default)]
    pub jumlah: Option<i64>,
}

/// A checked UMKM line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RealisasiUmkm {
    pub kode: String,
    pub jumlah: i64,
    pub status: Option<StatusAngsuran>,
    pub alasan: Option<String>,
}

/// A checked Realisasi (the ID kolaborasi, the UMKM and the sums are checked by `ops`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewRealisasi {
    pub id_kolaborasi: String,
    pub jenis: JenisRealisasi,
    pub nomor_dokumen: String,
    pub tanggal: chrono::NaiveDate,
    pub keterangan: Option<String>,
    pub umkm: Vec<RealisasiUmkm>,
    pub econtract: Option<String>,
    pub periode: Option<String>,
    pub agregator_id: Option<i64>,
    pub jumlah: Option<i64>,
}

/// Most UMKM lines in one report.
pub const MAX_REALISASI_UMKM: usize = 5_000;

/// A period `YYYY-MM` (month 01–12, year 2000–2100).
pub fn parse_periode(field: &str, s: &str) -> Result<String, KsbbError> {
    let t = s.trim();
    let ok = t.len() == 7
        && t.as_bytes()[4] == b'-'
        && t[..4].parse::<u32>().is_ok_and(|y| (2000..=2100).contains(&y))
        && t[5..].parse::<u32>().is_ok_and(|m| (1..=12).contains(&m));
    if !ok {
        return Err(KsbbError::invalid(field, format!("{field} {t:?} is not a period YYYY-MM")));
    }
    Ok(t.to_string())
}

impl RealisasiInput {
    pub fn check(&self) -> Result<NewRealisasi, KsbbError> {
        let id_kolaborasi = text::required("id_kolaborasi", &self.id_kolaborasi, 32)?.to_string();
        let j = self.jenis;
        let mut umkm: Vec<RealisasiUmkm> = Vec::with_capacity(self.umkm.len());
        if self.umkm.len() > MAX_REALISASI_UMKM {
            return Err(KsbbError::invalid("umkm", format!("umkm holds at most {MAX_REALISASI_UMKM} lines, not {}", self.umkm.len())));
        }
        for (i, u) in self.umkm.iter().enumerate() {
            let f = |n: &str| format!("umkm[{i}].{n}");
            let kode = parse_kode(&f("kode"), &u.kode)?;
            if umkm.iter().any(|x| x.kode == kode) {
                return Err(KsbbError::invalid(&f("kode"), format!("UMKM {kode} is named twice")));
            }
            let min = if j == JenisRealisasi::Angsuran { 0 } else { 1 };
            let jumlah = rupiah(&f("jumlah"), Some(u.jumlah), min)?.unwrap_or(0);
            let alasan = text::optional(&f("alasan"), u.alasan.as_deref(), 2000)?.map(String::from);
            match (j, u.status) {
                (JenisRealisasi::Angsuran, None) => return Err(KsbbError::invalid(&f("status"), "a repayment line needs status: lancar, terlambat or gagal_bayar")),
                (JenisRealisasi::Angsuran, Some(StatusAngsuran::Terlambat | StatusAngsuran::GagalBayar)) if alasan.is_none() => {
                    return Err(KsbbError::invalid(&f("alasan"), "a late or defaulted repayment needs alasan (the reason reported)"))
                }
                (JenisRealisasi::Angsuran, _) => {}
                (_, Some(_)) => return Err(KsbbError::invalid(&f("status"), format!("status belongs to an angsuran report, not {}", j.as_str()))),
                (_, None) if alasan.is_some() => return Err(KsbbError::invalid(&f("alasan"), format!("alasan belongs to an angsuran report, not {}", j.as_str()))),
                _ => {}
            }
            umkm.push(RealisasiUmkm { kode, jumlah, status: u.status, alasan });
        }
        let r = NewRealisasi {
            id_kolaborasi,
            jenis: j,
            nomor_dokumen: req_text("nomor_dokumen", &self.nomor_dokumen)?,
            tanggal: parse_day("tanggal", &self.tanggal)?,
            keterangan: text::optional("keterangan", self.keterangan.as_deref(), 2000)?.map(String::from),
            umkm,
            econtract: opt_text("econtract", self.econtract.as_deref())?,
            periode: self.periode.as_deref().map(|p| parse_periode("periode", p)).transpose()?,
            agregator_id: self.agregator_id,
            jumlah: rupiah("jumlah", self.jumlah, 1)?,
        };
        let need = |field: &str, present: bool| if present { Ok(()) } else { Err(KsbbError::invalid(field, format!("{field} is required in a {} report", j.as_str()))) };
        let absent = |field: &str, present: bool| if present { Err(KsbbError::invalid(field, format!("{field} does not belong in a {} report", j.as_str()))) } else { Ok(()) };
        need("umkm", j == JenisRealisasi::SerahDana || !r.umkm.is_empty())?;
        absent("umkm", j == JenisRealisasi::SerahDana && !r.umkm.is_empty())?;
        let is = |k: JenisRealisasi| j == k;
        for (field, present, wanted) in [
            ("econtract", r.econtract.is_some(), is(JenisRealisasi::Disbursement)),
            ("periode", r.periode.is_some(), is(JenisRealisasi::Angsuran)),
            ("agregator_id", r.agregator_id.is_some(), is(JenisRealisasi::SerahDana)),
            ("jumlah", r.jumlah.is_some(), is(JenisRealisasi::SerahDana)),
        ] {
            if wanted { need(field, present)? } else { absent(field, present)? }
        }
        Ok(r)
    }
}

/// Kind of a document attached to a Realisasi.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JenisLampiran {
    /// The BAST / BA scan.
    Bast,
    /// A photo of the goods received, the handover or the training (an image).
    Foto,
    Econtract,
    /// Disbursement or repayment invoice.
    Invoice,
    BuktiSerahTerima,
    /// Dokumen pendukung lainnya.
    Lainnya,
}

impl JenisLampiran {
    pub fn parse(s: &str) -> Option<JenisLampiran> {
        [JenisLampiran::Bast, JenisLampiran::Foto, JenisLampiran::Econtract, JenisLampiran::Invoice, JenisLampiran::BuktiSerahTerima, JenisLampiran::Lainnya]
            .into_iter()
            .find(|j| j.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JenisLampiran::Bast => "bast",
            JenisLampiran::Foto => "foto",
            JenisLampiran::Econtract => "econtract",
            JenisLampiran::Invoice => "invoice",
            JenisLampiran::BuktiSerahTerima => "bukti_serah_terima",
            JenisLampiran::Lainnya => "lainnya",
        }
    }
}

/// The type of an attached document, recognised by its bytes (the Content-Type header is not
/// trusted): a photo is JPEG, PNG or WebP; any other document may also be a PDF.
pub fn sniff_lampiran(jenis: JenisLampiran, bytes: &[u8]) -> Result<(&'static str, &'static str), KsbbError> {
    if let Some(t) = crate::complaints::attachments::sniff(bytes) {
        return Ok(t);
    }
    if jenis != JenisLampiran::Foto && bytes.starts_with(b"%PDF-") {
        return Ok(("application/pdf", "pdf"));
    }
    let want = if jenis == JenisLampiran::Foto { "a JPEG, PNG or WebP image" } else { "a PDF or a JPEG, PNG or WebP image" };
    Err(KsbbError::invalid("body", format!("a {} attachment must be {want} (recognised by its content)", jenis.as_str())))
}

/// Most documents one Realisasi carries.
pub const MAX_LAMPIRAN: i64 = 20;

// ---------------------------------------------------------------- pendamping

/// Whom a pendamping token answers for (its unit): the Sudin of one dinas (the UMKM that dinas
/// verified) or the Kasatpel of one kecamatan (the UMKM trading there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pendamping {
    Dinas(Dinas),
    Kecamatan(AreaCode),
}

impl Pendamping {
    pub fn parse(unit: &str) -> Option<Pendamping> {
        if let Some(d) = Dinas::parse(unit) {
            return Some(Pendamping::Dinas(d));
        }
        AreaCode::parse_level(unit.trim(), Level::Kecamatan).ok().map(Pendamping::Kecamatan)
    }

    /// Whether an UMKM of `dinas` in `kelurahan` is in this pendamping's scope.
    pub fn covers(&self, dinas: &str, kelurahan: Option<&str>) -> bool {
        match self {
            Pendamping::Dinas(d) => d.as_str() == dinas,
            Pendamping::Kecamatan(k) => kelurahan.is_some_and(|kel| kel.strip_prefix(k.as_str()).is_some_and(|rest| rest.starts_with('.'))),
        }
    }
}

/// Result of a pendamping's check with the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Hasil {
    /// Received what was reported.
    Diterima,
    /// Received nothing.
    TidakDiterima,
    /// Received part of it (`jumlah_diterima` says how much).
    Sebagian,
}

impl Hasil {
    pub fn as_str(self) -> &'static str {
        match self {
            Hasil::Diterima => "diterima",
            Hasil::TidakDiterima => "tidak_diterima",
            Hasil::Sebagian => "sebagian",
        }
    }
}

/// Request body of `POST /api/v1/ksbb/verifikasi`: one UMKM checked under one ID kolaborasi.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifikasiInput {
    pub id_kolaborasi: String,
    /// UMKM code.
    pub kode: String,
    pub hasil: Hasil,
    /// With `sebagian`: what the owner says arrived (packages, participants or rupiah), at least 1
    /// and below what was reported.
    #[serde(default)]
    pub jumlah_diterima: Option<i64>,
    /// Day of the check (YYYY-MM-DD).
    pub tanggal: String,
    /// Required unless `diterima`: what the owner said.
    #[serde(default)]
    pub catatan: Option<String>,
}

/// A checked verification (the reported amount is compared by `ops`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewVerifikasi {
    pub id_kolaborasi: String,
    pub kode: String,
    pub hasil: Hasil,
    pub jumlah_diterima: Option<i64>,
    pub tanggal: chrono::NaiveDate,
    pub catatan: Option<String>,
}

impl VerifikasiInput {
    pub fn check(&self) -> Result<NewVerifikasi, KsbbError> {
        let v = NewVerifikasi {
            id_kolaborasi: text::required("id_kolaborasi", &self.id_kolaborasi, 32)?.to_string(),
            kode: parse_kode("kode", &self.kode)?,
            hasil: self.hasil,
            jumlah_diterima: rupiah("jumlah_diterima", self.jumlah_diterima, 1)?,
            tanggal: parse_day("tanggal", &self.tanggal)?,
            catatan: text::optional("catatan", self.catatan.as_deref(), 2000)?.map(String::from),
        };
        match (v.hasil, v.jumlah_diterima) {
            (Hasil::Sebagian, None) => return Err(KsbbError::invalid("jumlah_diterima", "a partial receipt (sebagian) says how much arrived: jumlah_diterima")),
            (Hasil::Diterima | Hasil::TidakDiterima, Some(_)) => {
                return Err(KsbbError::invalid("jumlah_diterima", format!("jumlah_diterima is for sebagian; {} says it already", v.hasil.as_str())))
            }
            _ => {}
        }
        if v.hasil != Hasil::Diterima && v.catatan.is_none() {
            return Err(KsbbError::invalid("catatan", format!("{} needs catatan: what the owner said", v.hasil.as_str())));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_the_shape_not_the_person() {
        assert_eq!(mask_name("Budi  Santoso"), "B*** S***");
        assert_eq!(mask_phone("081234567890"), "0812******90");
        assert_eq!(mask_phone("12345"), "*****");
    }

    #[test]
    fn umkm_rows_are_checked_one_by_one() {
        let t = csv_table("kode,nama_usaha,nama_pemilik,telepon,sektor,dinas,kelurahan\nU1,Warung A,Budi,0812-3456-7890,kuliner,PPKUKM,31.71.01.1001\nU2,Warung B,Sari,12,kuliner,ppkukm,\nU3,X,Y,,kuliner,dinkes,\n").unwrap();
        let rows = parse_umkm_table(&t).unwrap();
        assert_eq!(rows.len(), 3);
        let ok = rows[0].1.as_ref().unwrap();
        assert_eq!((ok.dinas, ok.telepon.as_deref(), rows[0].0), (Dinas::Ppkukm, Some("081234567890"), 2));
        assert_eq!(rows[1].1.as_ref().unwrap_err().1.field(), "telepon");
        assert_eq!(rows[2].1.as_ref().unwrap_err().1.field(), "dinas");
        assert_eq!(parse_umkm_table(&csv_table("kode,nama_usaha\n").unwrap()).unwrap_err().field(), "nama_pemilik");
        assert_eq!(parse_umkm_table(&csv_table("kode,nik\n").unwrap()).unwrap_err().field(), "nik");
    }

    #[test]
    fn realisasi_kinds_take_their_own_fields() {
        let base = |v: serde_json::Value| serde_json::from_value::<RealisasiInput>(v).unwrap().check();
        let ok = base(serde_json::json!({"id_kolaborasi": "KSBB-2026-000001", "jenis": "angsuran", "nomor_dokumen": "I-1", "tanggal": "2027-01-05",
            "periode": "2027-01", "umkm": [{"kode": "U-1", "jumlah": 0, "status": "gagal_bayar", "alasan": "tutup"}]})).unwrap();
        assert_eq!(ok.periode.as_deref(), Some("2027-01"));
        let serah = serde_json::json!({"id_kolaborasi": "K", "jenis": "serah_dana", "nomor_dokumen": "B", "tanggal": "2027-01-05", "agregator_id": 3, "jumlah": 5});
        assert!(base(serah.clone()).is_ok());
        let mut with_lines = serah.clone();
        with_lines["umkm"] = serde_json::json!([{"kode": "U-1", "jumlah": 1}]);
        assert_eq!(base(with_lines).unwrap_err().field(), "umkm");
        let mut no_agregator = serah;
        no_agregator.as_object_mut().map(|o| o.remove("agregator_id"));
        assert_eq!(base(no_agregator).unwrap_err().field(), "agregator_id");
        for bad in ["2027-1", "2027-00", "1999-05", "2027/01"] {
            assert_eq!(parse_periode("periode", bad).unwrap_err().field(), "periode", "{bad}");
        }
        assert_eq!(sniff_lampiran(JenisLampiran::Foto, b"%PDF-1.4").unwrap_err().field(), "body");
        assert_eq!(sniff_lampiran(JenisLampiran::Bast, b"%PDF-1.4").unwrap().0, "application/pdf");
    }

    #[test]
    fn pendamping_scopes() {
        let sudin = Pendamping::parse("PPKUKM").unwrap();
        assert!(sudin.covers("ppkukm", None) && !sudin.covers("kpkp", Some("31.71.01.1001")));
        let kasatpel = Pendamping::parse("31.71.01").unwrap();
        assert!(kasatpel.covers("kpkp", Some("31.71.01.1001")) && !kasatpel.covers("kpkp", Some("31.71.010.1001")) && !kasatpel.covers("kpkp", None));
        assert_eq!(Pendamping::parse("31.71"), None);
        assert_eq!(Pendamping::parse("dinkes"), None);
    }

    #[test]
    fn if_match_forms() {
        assert_eq!(parse_if_match(Some("\"3\"")), Ok(3));
        assert_eq!(parse_if_match(Some("W/\"4\"")), Ok(4));
        assert_eq!(parse_if_match(None).unwrap_err().field(), "If-Match");
        assert_eq!(parse_if_match(Some("\"x\"")).unwrap_err().field(), "If-Match");
    }
}
